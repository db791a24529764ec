import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import ffmpeg from 'fluent-ffmpeg';
import { FRAGMENT_OPTIONS, ffmpegArgs, recorderCommand, redactArgs, redactUrl, withCredentials } from './ffmpeg-args';
import { recorderLauncher } from './ffmpeg-launcher';
import { classifyExit, exitDetail, StdoutParser } from './ffmpeg-output';
import { segmentNameTime, segmentPattern, segmentRelPath } from './segment-paths';

const after = (args: string[], flag: string) => args[args.indexOf(flag) + 1];

describe('ffmpeg arguments', () => {
  const args = ffmpegArgs({ url: 'rtsp://u:p@10.0.0.5:554/s1', outputPattern: '/rec/cam1/%Y-%m-%d/%Y%m%dT%H%M%SZ.mp4', segmentSeconds: 5 });

  it('copies RTSP over TCP into fragmented MP4 segments named by UTC time', () => {
    expect(after(args, '-rtsp_transport')).toBe('tcp');
    expect(args.indexOf('-rtsp_transport')).toBeLessThan(args.indexOf('-i'));
    expect(after(args, '-i')).toBe('rtsp://u:p@10.0.0.5:554/s1');
    expect(after(args, '-c')).toBe('copy');
    expect(args).toContain('-an');
    expect(after(args, '-f')).toBe('segment');
    expect(after(args, '-segment_time')).toBe('5');
    expect(after(args, '-segment_format')).toBe('mp4');
    expect(after(args, '-segment_format_options')).toBe(FRAGMENT_OPTIONS);
    expect(FRAGMENT_OPTIONS).toContain('empty_moov');
    expect(FRAGMENT_OPTIONS).toContain('frag_duration=500000');
    expect(FRAGMENT_OPTIONS).toContain('flush_packets=1');
    expect(after(args, '-reset_timestamps')).toBe('1');
    expect(after(args, '-strftime')).toBe('1');
    expect(args[args.length - 1]).toBe('/rec/cam1/%Y-%m-%d/%Y%m%dT%H%M%SZ.mp4');
  });

  it('reports progress once a second and lists finished segments on stdout, with a 5 s socket timeout', () => {
    expect(after(args, '-progress')).toBe('pipe:1');
    expect(after(args, '-stats_period')).toBe('1');
    expect(after(args, '-segment_list')).toBe('pipe:1');
    expect(after(args, '-segment_list_type')).toBe('csv');
    expect(after(args, '-timeout')).toBe('5000000');
    expect(args).toContain('-nostdin');
  });

  it('inserts credentials percent-encoded and never shows the password in logs', () => {
    const url = withCredentials('rtsp://10.0.0.5/s1', 'admin', 'p@ss:w/rd');
    expect(url).toBe('rtsp://admin:p%40ss%3Aw%2Frd@10.0.0.5/s1');
    expect(redactUrl(url)).toBe('rtsp://admin:***@10.0.0.5/s1');
    expect(withCredentials('rtsp://10.0.0.5/s1', undefined, 'x')).toBe('rtsp://10.0.0.5/s1');
    expect(redactArgs(['-i', url]).join(' ')).not.toContain('p%40ss');
    expect(exitDetail(['[rtsp @ 0x1] method DESCRIBE failed: 401 Unauthorized rtsp://admin:hunter2@h/s'], 1, null)).not.toContain('hunter2');
  });

  it('is the command line fluent-ffmpeg builds from the recorder command', () => {
    const c = recorderCommand({ url: 'rtsp://u:p@10.0.0.5:554/s1', outputPattern: '/rec/cam1/%Y-%m-%d/%Y%m%dT%H%M%SZ.mp4', segmentSeconds: 5 });
    const built = ffmpeg().input(c.input).inputOptions(c.inputOptions).output(c.output).outputOptions(c.outputOptions);
    // _getArguments is fluent-ffmpeg's own assembly of the argv it spawns.
    expect((built as unknown as { _getArguments(): string[] })._getArguments()).toEqual(args);
  });

  it('launches ffmpeg in UTC whatever the agent\'s time zone, so file names match the index', () => {
    const out = execFileSync(recorderLauncher('/bin/sh'), ['-c', 'printf %s "$TZ"'], { env: { ...process.env, TZ: 'Europe/Riga' } }).toString();
    expect(out).toBe('UTC');
    expect(recorderLauncher('/bin/sh')).toBe(recorderLauncher('/bin/sh'));
  });

  it('lays out files by camera and UTC day', () => {
    expect(segmentPattern('/rec', 'cam1')).toBe('/rec/cam1/%Y-%m-%d/%Y%m%dT%H%M%SZ.mp4');
    expect(segmentNameTime('20260102T030405Z.mp4')).toBe(Date.UTC(2026, 0, 2, 3, 4, 5));
    expect(segmentNameTime('20260102T030405Z.mkv')).toBeUndefined();
    expect(segmentRelPath('cam1', '20260102T235959Z.mp4')).toBe('cam1/2026-01-02/20260102T235959Z.mp4');
  });
});

describe('ffmpeg output', () => {
  it('tells progress blocks from segment lines', () => {
    const p = new StdoutParser();
    const items = ['frame=42', 'out_time_us=1600078', 'progress=continue', '20260102T030405Z.mp4,0.000000,3.960000', 'frame=55', 'out_time_us=N/A', 'progress=end']
      .map((l) => p.line(l)).filter((x) => x !== undefined);
    expect(items).toEqual([
      { kind: 'progress', report: { frames: 42, outTimeUs: 1600078, ended: false } },
      { kind: 'segment', segment: { name: '20260102T030405Z.mp4', start: 0, end: 3.96 } },
      { kind: 'progress', report: { frames: 55, outTimeUs: undefined, ended: true } },
    ]);
  });

  it('reads raw stdout chunks, whether a block arrives whole, split mid-line or several at once', () => {
    const block = (n: number) => `frame=${n}\nfps=25.00\nstream_0_0_q=-1.0\nbitrate=N/A\ntotal_size=N/A\nout_time_us=${n * 40_000}\nout_time_ms=${n * 40_000}\nout_time=00:00:01.000000\ndup_frames=0\ndrop_frames=0\nspeed=1x\nprogress=continue\n`;
    const p = new StdoutParser();
    const whole = block(25);
    expect(p.push(whole)).toEqual([{ kind: 'progress', report: { frames: 25, outTimeUs: 1_000_000, ended: false } }]);
    const two = block(50) + '20260102T030405Z.mp4,0.000000,60.000000\n' + block(75);
    const cut = two.indexOf('out_time_us=') + 5;
    expect(p.push(two.slice(0, cut))).toEqual([]);
    expect(p.push(two.slice(cut, -3))).toEqual([
      { kind: 'progress', report: { frames: 50, outTimeUs: 2_000_000, ended: false } },
      { kind: 'segment', segment: { name: '20260102T030405Z.mp4', start: 0, end: 60 } },
    ]);
    expect(p.push(two.slice(-3))).toEqual([{ kind: 'progress', report: { frames: 75, outTimeUs: 3_000_000, ended: false } }]);
    // A block without a frame count (ffmpeg before the first packet) reports no frames rather than the previous block's.
    expect(p.push('out_time_us=N/A\nprogress=continue\n')).toEqual([{ kind: 'progress', report: { frames: 0, outTimeUs: undefined, ended: false } }]);
  });

  it('classifies exits by what ffmpeg said last', () => {
    expect(classifyExit(['[rtsp @ 0x55] method DESCRIBE failed: 401 Unauthorized', 'rtsp://h/s: Server returned 401 Unauthorized (authorization failed)'], false)).toBe('unauthorized');
    expect(classifyExit(['[tcp @ 0x5] Connection to tcp://127.0.0.1:9?timeout=5000000 failed: Connection refused'], false)).toBe('unreachable');
    expect(classifyExit(['rtsp://10.9.9.9/s: Connection timed out'], false)).toBe('unreachable');
    expect(classifyExit(['Error during demuxing: Connection timed out'], true)).toBe('no-video');
    expect(classifyExit(["Stream map '0:v:0' matches no streams."], false)).toBe('no-video');
    expect(classifyExit([], true)).toBe('exited');
    expect(exitDetail(['[segment @ 0x5] Timestamps are unset in a packet for stream 0.'], 0, null)).toBe('the stream ended');
    expect(exitDetail(['boom'], null, 'SIGKILL')).toBe('boom (killed by SIGKILL)');
  });
});
