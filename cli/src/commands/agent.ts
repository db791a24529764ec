import { Agent, loadAgentConfig } from '@sargs/agent';
import { Command } from 'commander';
import { untilSignal } from '../options';

export function agentCommand(): Command {
  return new Command('agent')
    .description('run a site agent that dials out to the hub')
    .requiredOption('--config <file>', 'agent configuration file (YAML or JSON)')
    .action(async (o: { config: string }) => {
      const agent = await Agent.start({ config: loadAgentConfig(o.config) });
      await untilSignal();
      await agent.stop();
    });
}
