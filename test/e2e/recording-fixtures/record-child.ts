// A recorder in a process of its own, so a test can kill -9 the whole thing.
// Usage: node --import tsx record-child.ts <rtspUrl> <root> <dbDir> <segmentSeconds>
// Prints one JSON line per event on stdout.
import { Level } from 'level';
import pino from 'pino';
import { Recorder } from '@sargs/agent/cameras/recorder';
import { SegmentIndex } from '@sargs/agent/cameras/segment-index';

const [url, root, dbDir, seconds] = process.argv.slice(2);
if (!url || !root || !dbDir) throw new Error('usage: record-child.ts <rtspUrl> <root> <dbDir> <segmentSeconds>');
const db = new Level<string, unknown>(dbDir, { valueEncoding: 'json' });
await db.open();
const rec = new Recorder({
  camera: { id: 'child-cam', streamUri: url }, root, segmentSeconds: Number(seconds ?? 2),
  index: new SegmentIndex(db), log: pino({ level: 'warn' }, pino.destination(2)), tuning: { ffmpegPath: '/usr/bin/ffmpeg' },
});
const say = (o: object) => process.stdout.write(`${JSON.stringify(o)}\n`);
rec.on('state', (e) => say({ type: 'state', ...e, ffmpegPid: rec.ffmpegPid }));
rec.on('segment', (s) => say({ type: 'segment', segment: s }));
rec.on('progress', (p) => say({ type: 'progress', ...p }));
rec.start();
process.once('SIGTERM', () => { void rec.stop().then(() => db.close()).then(() => process.exit(0)); });
