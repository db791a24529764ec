/** Everything that shapes one recording ffmpeg's command line. */
export interface FfmpegArgsOptions {
  /** RTSP URL, credentials already inserted. */
  url: string;
  /** Output file pattern with strftime fields, see segment-paths.ts. */
  outputPattern: string;
  segmentSeconds: number;
  /** Socket I/O timeout for connecting and reading (the RTSP `timeout` option). */
  ioTimeoutSeconds?: number;
  /** How often ffmpeg reports progress (default 1 s); health's stall limit must leave room for a late report. */
  statsPeriodSeconds?: number;
}

/**
 * The fMP4 options. frag_keyframe alone cuts a fragment only at the next keyframe, so kill -9
 * loses up to a GOP; frag_duration (µs) and flush_packets bound that to about half a second.
 * empty_moov puts the track headers first so every fragment written so far stays playable.
 */
export const FRAGMENT_OPTIONS = 'movflags=+frag_keyframe+empty_moov+default_base_moof:frag_duration=500000:flush_packets=1';

/** One recording ffmpeg's command, in the parts fluent-ffmpeg takes. */
export interface RecorderCommand {
  inputOptions: string[];
  input: string;
  outputOptions: string[];
  output: string;
}

/**
 * The command of one recording ffmpeg. Progress (key=value blocks) and the finished-segment
 * list (CSV lines `name,start,end`) both go to stdout: they are told apart by shape, and each is
 * written with one small write, so they never interleave mid-line. stderr carries only warnings
 * and errors, kept for the exit reason.
 */
export function recorderCommand(o: FfmpegArgsOptions): RecorderCommand {
  const seconds = (n: number) => String(Number(n.toFixed(3)));
  return {
    inputOptions: [
      '-hide_banner', '-nostdin', '-nostats', '-loglevel', 'warning',
      '-progress', 'pipe:1', '-stats_period', seconds(o.statsPeriodSeconds ?? 1),
      '-rtsp_transport', 'tcp', '-timeout', String(Math.round((o.ioTimeoutSeconds ?? 5) * 1e6)),
    ],
    input: o.url,
    outputOptions: [
      '-map', '0:v:0', '-c', 'copy', '-an',
      '-f', 'segment', '-segment_time', seconds(o.segmentSeconds), '-segment_format', 'mp4',
      '-segment_format_options', FRAGMENT_OPTIONS,
      '-reset_timestamps', '1', '-strftime', '1',
      '-segment_list', 'pipe:1', '-segment_list_type', 'csv',
    ],
    output: o.outputPattern,
  };
}

/** The argument list ffmpeg gets for that command, in the order fluent-ffmpeg writes it (it adds -y for file outputs). */
export function ffmpegArgs(o: FfmpegArgsOptions): string[] {
  const c = recorderCommand(o);
  return [...c.inputOptions, '-i', c.input, '-y', ...c.outputOptions, c.output];
}

/** The URL with the camera's credentials in it, percent-encoded as RTSP expects. */
export function withCredentials(url: string, username: string | undefined, password: string | undefined): string {
  if (!username) return url;
  const u = new URL(url);
  u.username = encodeURIComponent(username);
  u.password = password ? encodeURIComponent(password) : '';
  return u.toString();
}

/** For logs: the password never leaves the process. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url.replace(/\/\/([^:/@]*):[^@/]*@/, '//$1:***@');
  }
}

/** Any argument containing a URL, redacted, for logging a command line. */
export function redactArgs(args: readonly string[]): string[] {
  return args.map((a) => (/^[a-z]+:\/\//i.test(a) ? redactUrl(a) : a));
}
