import { createSocket } from 'node:dgram';

/**
 * `preferred` if a UDP socket can be bound there on 127.0.0.1 now, else one the kernel picks.
 * The port is released again for the component that will use it.
 */
export async function usableUdpPort(preferred: number | undefined): Promise<number> {
  const tryBind = (port: number) => new Promise<number | undefined>((resolve) => {
    const s = createSocket('udp4');
    s.once('error', () => { s.close(); resolve(undefined); });
    s.bind(port, '127.0.0.1', () => {
      const bound = s.address().port;
      s.close(() => resolve(bound));
    });
  });
  const kept = preferred ? await tryBind(preferred) : undefined;
  if (kept !== undefined) return kept;
  const fresh = await tryBind(0);
  if (fresh === undefined) throw new Error('cannot bind any UDP port on 127.0.0.1');
  return fresh;
}
