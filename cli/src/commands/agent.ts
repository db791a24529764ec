import { Command } from 'commander';
import { untilSignal } from '../options';

export function agentCommand(): Command {
  return new Command('agent')
    .description('run a site agent that dials out to the hub')
    .requiredOption('--config <file>', 'agent configuration file (YAML or JSON)')
    .action(async (o: { config: string }) => {
      // Loaded here, not at the top: a gateway's agent process must not carry the hub's code.
      const { Agent, loadAgentConfig } = await import('@sargs/agent');
      const agent = await Agent.start({ config: loadAgentConfig(o.config) });
      await untilSignal();
      await agent.stop();
    });
}
