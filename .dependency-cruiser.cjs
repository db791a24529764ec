// The architecture as rules, checked by `npm test` (pnpm run deps): what may import what.
// Production code is every non-test module of agent/, hub/, shared/, web/ and cli/, except the
// demo command, which runs the simulators by design.
const PRODUCTION = '^(agent|hub|shared|web|cli)/';
const NOT_PRODUCTION = ['\\.test\\.ts$', '^cli/src/commands/demo', '^cli/test/'];
const TEST_CODE = ['^test/', '^sim/', '^@sargs/(test|sim)(/|$)', '\\.test\\.ts$', 'test-support', 'test-helpers', '(^|/)node_modules/vitest/'];

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-cycle',
      severity: 'error',
      comment: 'Modules that import each other cannot be read, tested or loaded one at a time.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'production-imports-no-test-code',
      severity: 'error',
      comment: 'Production code never loads tests, test helpers or simulators (they are not shipped).',
      from: { path: PRODUCTION, pathNot: NOT_PRODUCTION },
      to: { path: TEST_CODE },
    },
    {
      name: 'agent-and-hub-meet-only-in-shared',
      severity: 'error',
      comment: 'The agent and the hub talk through the wire protocol in shared/, never through each other\'s code.',
      from: { path: '^agent/' },
      to: { path: ['^hub/', '^@sargs/hub(/|$)'] },
    },
    {
      name: 'hub-and-agent-meet-only-in-shared',
      severity: 'error',
      from: { path: '^hub/' },
      to: { path: ['^agent/', '^@sargs/agent(/|$)'] },
    },
    {
      name: 'console-sees-only-shared',
      severity: 'error',
      comment: 'The console runs in a browser: it may use shared/ and browser libraries only.',
      from: { path: '^web/', pathNot: '\\.test\\.ts$' },
      to: { path: ['^(agent|hub|cli|sim|test)/', '^@sargs/(agent|hub|cli|sim|test)(/|$)'] },
    },
    {
      name: 'shared-depends-on-no-side',
      severity: 'error',
      from: { path: '^shared/', pathNot: '\\.test\\.ts$' },
      to: { path: ['^(agent|hub|web|cli|sim|test)/', '^@sargs/(agent|hub|web|cli|sim|test)(/|$)'] },
    },
    {
      name: 'nothing-outside-the-repository',
      severity: 'error',
      comment: 'A clone stands alone: no import reaches a folder beside the repository.',
      from: {},
      to: { path: '^\\.\\./' },
    },
    {
      name: 'resolvable',
      severity: 'error',
      comment: 'An import the checker cannot resolve is an import it cannot check.',
      from: {},
      to: { couldNotResolve: true, pathNot: ['^(bun|deno):'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['(^|/)node_modules/', '(^|/)dist/', '(^|/)\\.build/', '^sim/\\.cache/', '^\\.tools/', '^data/'] },
    tsPreCompilationDeps: true,
    combinedDependencies: true,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.json', '.d.ts'],
    },
  },
};
