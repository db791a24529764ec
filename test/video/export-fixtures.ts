// Footage for the export tests: segments cut exactly as the recorder cuts them, placed in an
// index, and what ffprobe/ffmpeg make of an exported file.
import { createHash } from 'node:crypto';
import { copyFile, mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Agent } from '@sargs/agent';
import { FRAGMENT_OPTIONS } from '@sargs/agent/cameras/ffmpeg-args';
import type { Segment } from '@sargs/agent/cameras/types';
import type { RunningHub } from '@sargs/hub';
import type { HubClient } from '../support/hub-client';
import { hubWithAdmin, testAgent } from '../support/in-process';
import { tempDir } from '../support/paths';
import { ffmpeg, ffprobe, segmentPath } from '../support/segment-fixtures';
import { waitFor } from '../support/wait';

export interface FootageOptions {
  segments: number;
  seconds?: number;
  size?: string;
  /** Keyframe interval in frames at 25 fps (default 50: every 2 s, as the simulated camera). */
  gop?: number;
  /** Constant bitrate (padded), for segments of a predictable size: 4 s at 8000k is about 4 MB. */
  kbps?: number;
}

/**
 * A continuous testsrc clip (25 fps, H.264 with B-frames) cut with the recorder's own muxer
 * options: fragmented MP4 with a fragment at every keyframe and at least every 0.5 s (so most
 * fragments do not start with a keyframe), timestamps reset to 0 in every file.
 */
export async function recorderSegments(dir: string, o: FootageOptions): Promise<string[]> {
  const seconds = o.seconds ?? 4;
  const gop = o.gop ?? 50;
  await mkdir(dir, { recursive: true });
  const rate = o.kbps
    ? ['-b:v', `${o.kbps}k`, '-minrate', `${o.kbps}k`, '-maxrate', `${o.kbps}k`, '-bufsize', `${o.kbps / 2}k`, '-x264-params', 'nal-hrd=cbr']
    : [];
  await ffmpeg(['-f', 'lavfi', '-i', `testsrc=size=${o.size ?? '320x240'}:rate=25`, '-t', String(o.segments * seconds),
    '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', '-g', String(gop), '-keyint_min', String(gop), '-sc_threshold', '0', ...rate,
    '-f', 'segment', '-segment_time', String(seconds), '-segment_format', 'mp4', '-segment_format_options', FRAGMENT_OPTIONS,
    '-reset_timestamps', '1', join(dir, 'seg%03d.mp4')]);
  return (await readdir(dir)).filter((f) => /^seg\d+\.mp4$/.test(f)).sort().map((f) => join(dir, f));
}

/** Copies a file into the recordings root as a segment of `cameraId` from startMs, and indexes it. */
export async function place(root: string, index: { add(s: Segment): Promise<void> }, cameraId: string, startMs: number, src: string, seconds = 4): Promise<Segment> {
  const path = segmentPath(cameraId, startMs);
  const file = join(root, path);
  await mkdir(dirname(file), { recursive: true });
  await copyFile(src, file);
  const seg: Segment = { cameraId, path, bytes: (await stat(file)).size, start: new Date(startMs).toISOString(), end: new Date(startMs + seconds * 1000).toISOString() };
  await index.add(seg);
  return seg;
}

export interface Packet { dts: number; pts: number; key: boolean }
export interface Probed {
  codec: string;
  width: number;
  durationS: number;
  frames: number;
  packets: Packet[];
  /** What `ffmpeg -v error -i file -f null -` printed: empty when every frame decodes. */
  decodeErrors: string;
  /** Presentation time of the first decoded frame. */
  firstFrameS: number;
}

export async function probeFile(file: string): Promise<Probed> {
  const info = JSON.parse(await ffprobe(['-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=codec_name,width,nb_read_frames:format=duration', '-of', 'json', file])) as {
    streams: { codec_name: string; width: number; nb_read_frames: string }[]; format: { duration: string };
  };
  const packets = (await ffprobe(['-select_streams', 'v:0', '-show_entries', 'packet=dts_time,pts_time,flags', '-of', 'csv=p=0', file]))
    .split('\n').filter(Boolean).map((l) => { const [pts, dts, flags] = l.split(','); return { pts: Number(pts), dts: Number(dts), key: (flags ?? '').includes('K') }; });
  const first = await ffprobe(['-select_streams', 'v:0', '-read_intervals', '%+#1', '-show_entries', 'frame=pts_time', '-of', 'csv=p=0', file]);
  return {
    codec: info.streams[0]?.codec_name ?? '', width: info.streams[0]?.width ?? 0,
    durationS: Number(info.format.duration), frames: Number(info.streams[0]?.nb_read_frames), packets,
    decodeErrors: await ffmpeg(['-v', 'error', '-i', file, '-f', 'null', '-']),
    firstFrameS: Number(first.trim().split('\n')[0]),
  };
}

export async function probeBuffer(dir: string, clip: Buffer): Promise<Probed> {
  const file = join(dir, `probe-${createHash('md5').update(clip).digest('hex')}.mp4`);
  await writeFile(file, clip);
  return probeFile(file);
}

/** The hub learns of a camera the way it does from its agent's camera list. */
export async function announceCamera(hub: RunningHub, agentId: string, cameraId: string, name: string): Promise<void> {
  const agent = await hub.store.getAgent(agentId);
  if (!agent) throw new Error(`no agent ${agentId}`);
  await hub.fleet.cameras.applyList(agent, {
    cameras: [{ info: { id: cameraId, name, deviceUrl: 'http://192.0.2.10/onvif/device_service' }, health: { cameraId, state: 'online', reason: null, since: new Date().toISOString() } }],
  });
}

/** Where the agent keeps its recordings, and its index. */
export function agentFootage(agent: Agent): { root: string; index: { add(s: Segment): Promise<void> } } {
  return { root: agent.cameras.recordingsDir, index: agent.cameras.index };
}

export interface ExportSite {
  hub: RunningHub;
  agent: Agent;
  agentId: string;
  admin: HubClient;
  cameraId: string;
  /** Footage placed: `segments` files of `seconds` each from `t0`, back to back. */
  t0: number;
  at: (s: number) => string;
  close: () => Promise<void>;
}

/**
 * A real hub and agent in this process (real WebSockets on loopback, LevelDBs on disk), a camera
 * the hub knows at that agent, and recorder-made segments in the agent's index, an hour ago.
 */
export async function exportSite(prefix: string, footage: FootageOptions & { layout?: number[] }): Promise<ExportSite> {
  const dir = tempDir(prefix);
  const { hub, admin } = await hubWithAdmin(join(dir.path, 'hub'));
  const site = await admin.createSite('Export parish');
  const { agent } = await testAgent(hub.url, site.enrolmentToken, join(dir.path, 'agent'));
  const close = async () => { await agent.stop(); await hub.close(); dir.remove(); };
  try {
    await waitFor('media link up', () => hub.media.isConnected(site.agent.id), 15_000);
    const cameraId = 'cam-gate';
    await announceCamera(hub, site.agent.id, cameraId, 'Depot gate');
    const seconds = footage.seconds ?? 4;
    const files = await recorderSegments(join(dir.path, 'clip'), footage);
    const t0 = Math.floor((Date.now() - 3_600_000) / 1000) * 1000;
    const { root, index } = agentFootage(agent);
    const layout = footage.layout ?? files.map((_f, i) => i * seconds);
    for (const [i, s] of layout.entries()) await place(root, index, cameraId, t0 + s * 1000, files[i % files.length]!, seconds);
    return { hub, agent, agentId: site.agent.id, admin, cameraId, t0, at: (s) => new Date(t0 + s * 1000).toISOString(), close };
  } catch (err) {
    await close();
    throw err;
  }
}
