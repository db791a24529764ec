import type { MediaArgs, MediaHead, MediaOp, SegmentLayout } from '@sargs/shared';
import type { FastifyReply } from 'fastify';
import { MediaCallError, type MediaCall, type MediaGateway } from './media-gateway';

/** The agent answers one `segments.layout` call per hour of footage (its answer is one message of at most 2 MB). */
const LAYOUT_WINDOW_MS = 3_600_000;
const LAYOUT_CALLS_AT_ONCE = 3;
const HEAD_TIMEOUT_MS = 30_000;

/** A call's head, or a MediaCallError when the agent does not answer in time (the call is then cancelled). */
export async function headOf<K extends MediaOp>(call: MediaCall<K>, timeoutMs = HEAD_TIMEOUT_MS): Promise<MediaHead<K>> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      call.cancel();
      reject(new MediaCallError('unreachable', `the site agent did not answer within ${timeoutMs / 1000} s`));
    }, timeoutMs);
  });
  try {
    return await Promise.race([call.head, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A media call's failure as HTTP: what the client asked wrongly is 4xx with the agent's words,
 * what is missing 404, what is down 503, never a bare 500.
 */
const STATUS: Record<MediaCallError['code'], number> = {
  'bad-args': 400, 'not-found': 404, 'no-footage': 404, 'too-long': 400, 'camera-offline': 503, unsupported: 409,
  busy: 503, failed: 502, 'unknown-op': 503, unreachable: 503, protocol: 502,
};

export function replyMediaError(reply: FastifyReply, err: unknown): FastifyReply {
  if (!(err instanceof MediaCallError)) throw err;
  const message = err.code === 'unknown-op' ? 'the site agent does not serve recorded playback yet (update it)' : err.message;
  return reply.code(STATUS[err.code]).send({ error: message, code: err.code });
}

/** The time in a segment file's name (`…/YYYYMMDDTHHMMSSZ.mp4`), epoch ms. */
export function segmentNameTime(path: string): number | undefined {
  const m = /(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z\.mp4$/.exec(path);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * Segment layouts as the agents gave them, asked hour by hour, and remembered by path (a
 * bounded number) so a media request knows its file's size and which footage a byte range is.
 */
export class LayoutBook {
  private readonly byPath = new Map<string, SegmentLayout>();

  constructor(private readonly media: Pick<MediaGateway, 'open'>, private readonly maxEntries = 5000) {}

  /** The layouts of one camera's segments overlapping [fromMs, toMs), oldest first. */
  async fetch(agentId: string, cameraId: string, fromMs: number, toMs: number): Promise<SegmentLayout[]> {
    const windows: { from: string; to: string }[] = [];
    for (let t = fromMs; t < toMs; t += LAYOUT_WINDOW_MS) windows.push({ from: iso(t), to: iso(Math.min(toMs, t + LAYOUT_WINDOW_MS)) });
    const found = new Map<string, SegmentLayout>();
    for (let i = 0; i < windows.length; i += LAYOUT_CALLS_AT_ONCE) {
      const heads = await Promise.all(windows.slice(i, i + LAYOUT_CALLS_AT_ONCE).map((w) => this.call(agentId, 'segments.layout', { cameraId, ...w })));
      // A segment across a window's edge comes twice; the later answer is the newer (a file still being written grows).
      for (const h of heads) for (const l of h.segments) found.set(l.path, l);
    }
    const list = [...found.values()].sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
    for (const l of list) this.remember(cameraId, l);
    return list;
  }

  /** The layout of one of the camera's segment files, asking the agent about the time in its name when it is not known. */
  async find(agentId: string, cameraId: string, path: string, fresh = false): Promise<SegmentLayout | undefined> {
    const key = `${cameraId}|${path}`;
    const known = this.byPath.get(key);
    if (known && !fresh) return known;
    const t = segmentNameTime(path);
    if (t === undefined) return undefined;
    await this.fetch(agentId, cameraId, t - 120_000, t + 120_000);
    return this.byPath.get(key);
  }

  private remember(cameraId: string, l: SegmentLayout): void {
    const key = `${cameraId}|${l.path}`;
    this.byPath.delete(key);
    this.byPath.set(key, l);
    for (const k of this.byPath.keys()) {
      if (this.byPath.size <= this.maxEntries) break;
      this.byPath.delete(k);
    }
  }

  private call<K extends MediaOp>(agentId: string, op: K, args: MediaArgs<K>): Promise<MediaHead<K>> {
    return headOf(this.media.open(agentId, op, args));
  }
}

const iso = (ms: number) => new Date(ms).toISOString();
