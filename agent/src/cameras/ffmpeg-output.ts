/** Reading what a recording ffmpeg prints: progress blocks, finished-segment lines, exit reasons. */

export interface ProgressReport {
  frames: number;
  /** Output time of the last packet, µs from the start of this ffmpeg run; undefined until known. */
  outTimeUs: number | undefined;
  ended: boolean;
}

/** A segment ffmpeg has closed, times in seconds of this run's output timeline. */
export interface SegmentLine {
  name: string;
  start: number;
  end: number;
}

export type StdoutItem = { kind: 'progress'; report: ProgressReport } | { kind: 'segment'; segment: SegmentLine };

const SEGMENT_RE = /^"?([^",]+\.mp4)"?,(-?\d+(?:\.\d+)?),(-?\d+(?:\.\d+)?)$/;

/**
 * Turns ffmpeg's stdout into items; a progress block ends with its `progress=` line.
 * Fed raw chunks (`push`), not lines: ffmpeg writes each block and each segment line with
 * one write, so a chunk is nearly always whole lines, and splitting it here costs far less
 * than a line reader's stream machinery on a gateway that hears from every camera each second.
 * Only the two fields health and timing need are kept.
 */
export class StdoutParser {
  private frames: number | undefined;
  private outTimeUs: number | undefined;
  /** An unfinished last line, carried to the next chunk. */
  private partial = '';

  push(chunk: string): StdoutItem[] {
    const text = this.partial + chunk;
    const lines = text.split('\n');
    this.partial = lines.pop() ?? '';
    // A runaway line without newlines is not ffmpeg output worth keeping.
    if (this.partial.length > 4096) this.partial = '';
    const items: StdoutItem[] = [];
    for (const l of lines) {
      const item = this.line(l);
      if (item) items.push(item);
    }
    return items;
  }

  line(raw: string): StdoutItem | undefined {
    const line = raw.trim();
    const eq = line.indexOf('=');
    const key = eq > 0 ? line.slice(0, eq) : '';
    if (key === 'frame') this.frames = Number(line.slice(eq + 1));
    else if (key === 'out_time_us') this.outTimeUs = Number(line.slice(eq + 1));
    else if (key === 'progress') {
      const frames = this.frames, outTime = this.outTimeUs;
      this.frames = undefined;
      this.outTimeUs = undefined;
      return {
        kind: 'progress',
        report: {
          frames: frames !== undefined && Number.isFinite(frames) ? frames : 0,
          outTimeUs: outTime !== undefined && Number.isFinite(outTime) && outTime >= 0 ? outTime : undefined,
          ended: line.slice(eq + 1) === 'end',
        },
      };
    } else if (line.includes('.mp4')) {
      const seg = SEGMENT_RE.exec(line);
      if (seg) return { kind: 'segment', segment: { name: seg[1]!, start: Number(seg[2]), end: Number(seg[3]) } };
    }
    return undefined;
  }
}

export type ExitReason = 'unauthorized' | 'unreachable' | 'no-video' | 'exited';

const RULES: Array<[RegExp, ExitReason]> = [
  [/401 Unauthorized|403 Forbidden|authori[sz]ation failed|method DESCRIBE failed: 401/i, 'unauthorized'],
  [/Connection refused|Connection timed out|timed out|No route to host|Network is unreachable|Host is unreachable|Name or service not known|Temporary failure in name resolution|Connection reset by peer|404 Not Found|Server returned 5\d\d/i, 'unreachable'],
  [/matches no streams|does not contain any stream|no video|Could not find codec parameters|Invalid data found when processing input/i, 'no-video'],
];

/**
 * Why ffmpeg stopped, from its last stderr lines. A run that had frames and then timed out
 * lost its video, not its camera: the connection was up, so that is 'no-video', not 'unreachable'.
 */
export function classifyExit(stderrTail: readonly string[], hadFrames: boolean): ExitReason {
  const text = stderrTail.join('\n');
  for (const [re, reason] of RULES) {
    if (!re.test(text)) continue;
    if (reason === 'unreachable' && hadFrames && /timed out/i.test(text)) return 'no-video';
    return reason;
  }
  return 'exited';
}

// Warnings every RTSP copy prints (the first packet has no timestamp); they explain nothing.
const NOISE = /^\s*(Last message repeated|frame=)|Timestamps are unset in a packet|Non-monotonous DTS|changing to \d+\. This may result/;

/** The last stderr lines worth showing an operator, credentials removed. */
export function exitDetail(stderrTail: readonly string[], code: number | null, signal: string | null): string {
  const lines = stderrTail.filter((l) => l.trim() && !NOISE.test(l)).slice(-3);
  const how = signal ? `killed by ${signal}` : code === 0 ? 'the stream ended' : `exit code ${code}`;
  return (lines.length ? `${lines.join(' | ')} (${how})` : how).replace(/\/\/([^:/@\s]*):[^@/\s]*@/g, '//$1:***@').slice(0, 500);
}
