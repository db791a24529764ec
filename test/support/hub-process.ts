import { startCliProcess, type CliProcess } from './cli-process';

export interface HubProcess extends Omit<CliProcess, 'stop'> {
  url: string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Runs `sargs hub` as a real child process and waits until it listens. */
export async function startHubProcess(dataDir: string, port: number): Promise<HubProcess> {
  const p = await startCliProcess(['hub', '--data', dataDir, '--port', String(port)], /Sargs hub listening on (\S+)/);
  return { ...p, url: p.ready, stop: async (signal) => { await p.stop(signal); } };
}
