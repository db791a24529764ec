import type { SegmentLayout } from '@sargs/shared';

export interface PlaylistOptions {
  /** Only parts overlapping [fromMs, toMs) are listed (the first one starts at the keyframe at or before fromMs). */
  fromMs?: number;
  toMs?: number;
  /** The address the player fetches a segment file's byte ranges from. */
  mediaUri: (path: string) => string;
}

export interface Playlist {
  text: string;
  /** Media segments (keyframe-aligned parts) and segment files listed. */
  parts: number;
  files: number;
  /** Wall-clock start of the first part and end of the last (epoch ms), when any. */
  startMs: number | undefined;
  endMs: number | undefined;
}

/**
 * An HLS VOD playlist (version 7, fMP4) over recorded segment files, in the shape Frigate's
 * nginx-vod and MediaMTX's playback give (DESIGN §7), without copying a byte:
 *
 *   #EXT-X-MAP:URI="<file>",BYTERANGE="<init length>@0"        once per file (ftyp+moov)
 *   #EXT-X-PROGRAM-DATE-TIME:<part start>                      every part: its own wall-clock time
 *   #EXTINF:<part duration>,
 *   #EXT-X-BYTERANGE:<length>@<offset>                         one keyframe-aligned run of fragments
 *   <file>
 *   #EXT-X-DISCONTINUITY                                       between files: each file's timestamps start at 0,
 *                                                              and a gap in recording is always between files
 *
 * The player's timeline runs on without holes across gaps; wall-clock time comes from the
 * PROGRAM-DATE-TIME of the fragment playing.
 */
export function buildPlaylist(layouts: readonly SegmentLayout[], o: PlaylistOptions): Playlist {
  const from = o.fromMs ?? -Infinity;
  const to = o.toMs ?? Infinity;
  const body: string[] = [];
  let parts = 0;
  let files = 0;
  let longest = 0;
  let startMs: number | undefined;
  let endMs: number | undefined;
  const sorted = [...layouts].sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
  for (const layout of sorted) {
    const chosen = layout.parts.filter((p) => {
      const s = Date.parse(p.start);
      return p.durationS > 0 && s + p.durationS * 1000 > from && s < to;
    });
    if (!chosen.length) continue;
    const uri = o.mediaUri(layout.path);
    if (files > 0) body.push('#EXT-X-DISCONTINUITY');
    body.push(`#EXT-X-MAP:URI="${uri}",BYTERANGE="${layout.init.length}@${layout.init.offset}"`);
    for (const p of chosen) {
      const s = Date.parse(p.start);
      startMs ??= s;
      endMs = Math.max(endMs ?? s, s + p.durationS * 1000);
      longest = Math.max(longest, p.durationS);
      body.push(`#EXT-X-PROGRAM-DATE-TIME:${new Date(s).toISOString()}`, `#EXTINF:${p.durationS.toFixed(6)},`, `#EXT-X-BYTERANGE:${p.length}@${p.offset}`, uri);
      parts++;
    }
    files++;
  }
  const head = [
    '#EXTM3U', '#EXT-X-VERSION:7', '#EXT-X-PLAYLIST-TYPE:VOD', '#EXT-X-INDEPENDENT-SEGMENTS',
    `#EXT-X-TARGETDURATION:${Math.max(1, Math.ceil(longest))}`, '#EXT-X-MEDIA-SEQUENCE:0',
  ];
  return { text: [...head, ...body, '#EXT-X-ENDLIST', ''].join('\n'), parts, files, startMs, endMs };
}

/** Which parts of a layout a byte range touches, as the wall-clock span they cover (for the audit of what was watched). */
export function footageSpan(layout: SegmentLayout, start: number, end: number): { fromMs: number; toMs: number } | undefined {
  let fromMs: number | undefined;
  let toMs: number | undefined;
  for (const p of layout.parts) {
    if (p.offset > end || p.offset + p.length <= start) continue;
    const s = Date.parse(p.start);
    fromMs = Math.min(fromMs ?? s, s);
    toMs = Math.max(toMs ?? s, s + p.durationS * 1000);
  }
  return fromMs === undefined || toMs === undefined ? undefined : { fromMs, toMs };
}
