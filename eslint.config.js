import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// The import boundaries below are the architecture: agent and hub talk only through
// the wire protocol in shared/, and the console sees nothing but shared/.
const noImport = (...names) => ({
  'no-restricted-imports': ['error', {
    patterns: names.map((n) => ({ group: [`@sargs/${n}`, `@sargs/${n}/*`, `**/${n}/src/*`], message: `this package must not import ${n}/ (put shared code in shared/)` })),
  }],
});

export default tseslint.config(
  { ignores: ['**/node_modules/**', '.tools/**', '**/.build/**', '**/dist/**', 'data/**', 'sim/.cache/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  { files: ['**/*.cjs'], languageOptions: { sourceType: 'commonjs', globals: { module: 'writable', require: 'readonly' } } },
  { files: ['shared/**'], rules: noImport('agent', 'hub', 'web', 'cli', 'test') },
  { files: ['agent/**'], rules: noImport('hub', 'web', 'cli', 'test') },
  { files: ['hub/**'], rules: noImport('agent', 'web', 'cli', 'test') },
  { files: ['web/**'], rules: noImport('agent', 'hub', 'cli', 'test') },
);
