import { Command } from 'commander';
export function demoCommand(): Command {
  return new Command('demo').description('run a demo site').action(() => { throw new Error('not yet'); });
}
