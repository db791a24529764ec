import { Command, CommanderError } from 'commander';
import { agentCommand } from './commands/agent';
import { auditCommand } from './commands/audit';
import { cameraCommand } from './commands/camera';
import { demoCommand } from './commands/demo';
import { exportCommand } from './commands/export';
import { flightsCommand } from './commands/flights';
import { hubCommand } from './commands/hub';
import { surveyCommand } from './commands/survey';
import { userCommand } from './commands/user';
import { UsageError } from './usage-error';

const program = new Command('sargs')
  .description('Sargs: edge CCTV and drone-survey management for municipal IT (hub, site agent, tools)')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();

program.addCommand(hubCommand());
program.addCommand(agentCommand());
program.addCommand(demoCommand());
program.addCommand(userCommand());
program.addCommand(cameraCommand());
program.addCommand(auditCommand());
program.addCommand(exportCommand());
program.addCommand(flightsCommand());
program.addCommand(surveyCommand());

// Subcommands added with addCommand do not inherit these settings: apply them everywhere,
// so a usage mistake anywhere ends with a message and exit code 2, never process.exit(1) mid-way.
const configure = (cmd: Command) => {
  cmd.exitOverride().showHelpAfterError('(run with --help for usage)');
  cmd.commands.forEach(configure);
};
configure(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : 2);
  // Operators get one clear sentence; stack traces are for bugs, and go to debug output only.
  const message = err instanceof Error ? err.message : String(err);
  console.error(`sargs: ${message}`);
  if (process.env.SARGS_DEBUG && err instanceof Error) console.error(err.stack);
  process.exit(err instanceof UsageError ? 2 : 1);
}
