/** Where a simulated drone's frames go: one implementation per transport. */
export interface FrameSink {
  /** Human-readable destination, for logs and the CLI. */
  readonly description: string;
  /**
   * Resolves once there is someone to send to: at once for clients and the pty, on the
   * first datagram or connection for servers, which is when a real vehicle link comes up.
   */
  readonly peerReady: Promise<void>;
  /** Sends one frame; a returned promise asks the caller to wait (backpressure). */
  send(frame: Buffer): Promise<void> | undefined;
  close(): Promise<void>;
}

/** Called by a sink when the link fails for good after it came up. */
export type FatalHandler = (error: Error) => void;

/** Settles within ms or rejects; keeps a stuck process or socket from hanging a test run. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
