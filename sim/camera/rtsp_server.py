#!/usr/bin/python3
"""RTSP side of the simulated camera: loops pre-encoded H.264 clips at real-time pace, or encodes
live frames with the camera's wall-clock time burnt in.

The main clip is served at --path; each --mount PATH=CLIP serves another (the sub-stream) from
the same server, so a second stream costs no process, and no pipeline until a client plays it.
Each --clock-mount PATH=WIDTHxHEIGHT@FPS:GOP:KBPS serves a live stream instead: every frame is
painted here with time.time() in ms as it is made (the pattern of clock-pattern.ts) and encoded by
x264 (gstreamer1.0-plugins-ugly) at once, so (decode time - painted time) is glass-to-glass latency.

Run with Debian's /usr/bin/python3 (python3-gi, gir1.2-gst-rtsp-server-1.0).
Prints `READY <port>` once listening. Reads commands on stdin, one per line:
`freeze`, `unfreeze`, and `keyframe PATH` (the encoder of a clock mount makes its next frame an IDR
with SPS/PPS, as ONVIF SetSynchronizationPoint asks; a looped clip cannot, so it is a no-op there);
each is acknowledged with `OK <command>`. Exits on stdin EOF, so it never outlives the Node process
that spawned it.
"""
import argparse
import ctypes
import re
import signal
import sys
import time

import gi

gi.require_version('Gst', '1.0')
gi.require_version('GstRtspServer', '1.0')
gi.require_version('GstVideo', '1.0')
from gi.repository import GLib, Gst, GstRtspServer, GstVideo  # noqa: E402

PR_SET_PDEATHSIG = 1
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3


def die_with_parent():
    # Stdin EOF covers a clean parent exit; this covers SIGKILL of the parent too.
    try:
        ctypes.CDLL('libc.so.6', use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except OSError:
        pass


def keep_frames_on_the_heap():
    # A clock stream allocates and frees a few frame-sized buffers (345 kB at 640x360) per frame.
    # glibc serves blocks that large with a fresh mmap each time, and every page of it then faults
    # in: measured, two clock streams spent over half their CPU time in the kernel that way. Kept on
    # the heap, freed frames are reused; the heap keeps up to 32 MB it could give back.
    try:
        libc = ctypes.CDLL('libc.so.6', use_errno=True)
        libc.mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024)
        libc.mallopt(M_TRIM_THRESHOLD, 32 * 1024 * 1024)
    except (OSError, AttributeError):
        pass


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument('--host', default='127.0.0.1')
    p.add_argument('--port', type=int, default=0)
    p.add_argument('--clip', help='Annex-B .h264 (or, with --codec h265, .h265) file served at --path')
    p.add_argument('--codec', choices=('h264', 'h265'), default='h264',
                   help='what --clip and --mount clips are encoded with (clock mounts are always H.264)')
    p.add_argument('--fps', type=int, default=25)
    p.add_argument('--path', default='/stream')
    p.add_argument('--mount', action='append', default=[], metavar='PATH=CLIP',
                   help='another Annex-B clip (of --codec) served at PATH, e.g. /sub=/tmp/sub.h264')
    p.add_argument('--clock-mount', action='append', default=[], metavar='PATH=WIDTHxHEIGHT@FPS:GOP:KBPS',
                   help='a live stream with the wall-clock time painted in, e.g. /stream=640x360@25:50:800')
    p.add_argument('--frozen', action='store_true')
    args = p.parse_args()
    args.mounts = [(args.path, args.clip)] if args.clip else []
    for m in args.mount:
        path, sep, clip = m.partition('=')
        if not sep or not path.startswith('/') or not clip:
            p.error(f'--mount wants PATH=CLIP with PATH starting with /, got {m!r}')
        args.mounts.append((path, clip))
    args.clock_mounts = []
    for m in args.clock_mount:
        match = re.fullmatch(r'(/[^=]*)=(\d+)x(\d+)@(\d+):(\d+):(\d+)', m)
        if not match:
            p.error(f'--clock-mount wants PATH=WIDTHxHEIGHT@FPS:GOP:KBPS with PATH starting with /, got {m!r}')
        width, height, fps, gop, kbps = (int(g) for g in match.groups()[1:])
        if width < CLOCK_WIDTH or height < CLOCK_HEIGHT or width % 2 or height % 2:
            p.error(f'--clock-mount needs an even size of at least {CLOCK_WIDTH}x{CLOCK_HEIGHT}, got {width}x{height}')
        if not 1 <= fps <= 120 or gop < 1 or kbps < 1:
            p.error(f'--clock-mount wants 1-120 fps, a GOP and a bitrate above 0, got {m!r}')
        args.clock_mounts.append((match.group(1), ClockFormat(width, height, fps, gop, kbps)))
    paths = [path for path, _ in args.mounts + args.clock_mounts]
    if not paths:
        p.error('nothing to serve: give --clip, --mount or --clock-mount')
    if len(set(paths)) != len(paths):
        p.error(f'a path is served twice: {paths}')
    return args


# The clock pattern of clock-pattern.ts (keep the two in step): blocks of CLOCK_BLOCK px from the
# frame's top-left corner, CLOCK_ROWS rows of CLOCK_COLUMNS, 48 bits of milliseconds since the epoch,
# most significant first, row by row; luma 235 for a 1, 16 for a 0.
CLOCK_BLOCK = 16
CLOCK_COLUMNS = 16
CLOCK_ROWS = 3
CLOCK_BITS = CLOCK_COLUMNS * CLOCK_ROWS
CLOCK_WIDTH = CLOCK_BLOCK * CLOCK_COLUMNS
CLOCK_HEIGHT = CLOCK_BLOCK * CLOCK_ROWS
BLOCK_ONE = bytes([235]) * CLOCK_BLOCK
BLOCK_ZERO = bytes([16]) * CLOCK_BLOCK
BACKGROUND_LUMA = 128  # grey: reads as "no clock" (ambiguous) wherever the pattern is missing
BAR_LUMA = 40
BAR_WIDTH = 16
BAR_SWEEP_SECONDS = 4


class ClockFormat:
    def __init__(self, width, height, fps, gop, kbps):
        self.width, self.height, self.fps, self.gop, self.kbps = width, height, fps, gop, kbps
        # GStreamer's default I420 layout: each plane's rows padded to 4 bytes.
        self.y_stride = (width + 3) & ~3
        self.c_stride = ((width // 2) + 3) & ~3
        self.y_size = self.y_stride * height
        self.size = self.y_size + 2 * self.c_stride * (height // 2)


def paint_clock(frame, y_stride, ms):
    """Paints ms into the luma plane at the start of frame (a bytearray), row by row."""
    bits = format(ms, '048b')
    if len(bits) != CLOCK_BITS:
        raise ValueError(f'{ms} does not fit in {CLOCK_BITS} bits')
    for r in range(CLOCK_ROWS):
        line = b''.join(BLOCK_ONE if b == '1' else BLOCK_ZERO
                        for b in bits[r * CLOCK_COLUMNS:(r + 1) * CLOCK_COLUMNS])
        for y in range(r * CLOCK_BLOCK, (r + 1) * CLOCK_BLOCK):
            frame[y * y_stride:y * y_stride + CLOCK_WIDTH] = line


class ClockSource:
    """Feeds one clock stream's appsrc: a painted frame every 1/fps s while the pipeline plays."""

    def __init__(self, fmt, appsrc):
        self.fmt = fmt
        self.appsrc = appsrc
        self.period = 1.0 / fmt.fps
        self.duration = Gst.SECOND // fmt.fps
        # Grey luma, neutral chroma; every frame starts as a copy of it.
        self.background = bytes([BACKGROUND_LUMA]) * fmt.y_size + bytes([128]) * (fmt.size - fmt.y_size)
        self.bar = bytes([BAR_LUMA]) * BAR_WIDTH
        self.bar_rows = range(CLOCK_HEIGHT + CLOCK_BLOCK, fmt.height - CLOCK_BLOCK)
        self.start = time.monotonic()
        self.frame_no = 0
        self.timer = 0
        self.schedule(0)

    def schedule(self, delay):
        self.timer = GLib.timeout_add(max(0, int(delay * 1000)), self.tick)

    def stop(self):
        if self.timer:
            GLib.source_remove(self.timer)
            self.timer = 0

    def tick(self):
        self.timer = 0
        self.push_frame()
        # Frame n is due at start + n * period (no drift from rounding the timer to ms); when we
        # fell behind by more than a frame, skip the missed ones, as a live camera drops them.
        now = time.monotonic()
        self.frame_no += 1
        due = self.start + self.frame_no * self.period
        if now - due > self.period:
            self.frame_no = int((now - self.start) / self.period) + 1
            due = self.start + self.frame_no * self.period
        self.schedule(due - now)
        return False

    def push_frame(self):
        src = self.appsrc
        clock = src.get_clock()
        # Only a playing pipeline has a clock and a running time to stamp frames with.
        if clock is None or src.get_state(0)[1] != Gst.State.PLAYING:
            return
        frame = bytearray(self.background)
        fmt = self.fmt
        if self.bar_rows:
            # A dark bar sweeping left to right below the clock, so the picture visibly moves.
            x = int((time.monotonic() % BAR_SWEEP_SECONDS) / BAR_SWEEP_SECONDS * (fmt.width - BAR_WIDTH))
            for y in self.bar_rows:
                frame[y * fmt.y_stride + x:y * fmt.y_stride + x + BAR_WIDTH] = self.bar
        # The wall-clock time as the frame is made, and the running time stamped on it, together.
        ms = int(time.time() * 1000)
        running = clock.get_time() - src.get_base_time()
        paint_clock(frame, fmt.y_stride, ms)
        buf = Gst.Buffer.new_wrapped(bytes(frame))
        buf.pts = running
        buf.dts = running
        buf.duration = self.duration
        src.emit('push-buffer', buf)


class Camera:
    def __init__(self, args):
        self.frozen = args.frozen
        # Every playing stream's valve, of every mount: freezing the camera freezes them all.
        self.valves = set()
        # Each clock mount's playing encoder (a shared media: at most one per mount), by path.
        self.encoders = {}
        self.paths = set()
        self.server = GstRtspServer.RTSPServer()
        self.server.set_address(args.host)
        self.server.set_service(str(args.port))
        mounts = self.server.get_mount_points()
        for path, clip in args.mounts:
            mounts.add_factory(path, self.factory(clip, args.fps, args.codec))
            self.paths.add(path)
        for path, fmt in args.clock_mounts:
            mounts.add_factory(path, self.clock_factory(path, fmt))
            self.paths.add(path)

    def factory(self, clip, fps, codec='h264'):
        location = clip.replace('\\', '\\\\').replace('"', '\\"')
        # h264 or h265: caps, parser and payloader of that codec, the pipeline otherwise the same.
        # config-interval=-1 sends the parameter sets (H.265: VPS, SPS, PPS) with every keyframe.
        # multifilesrc gives no timestamps; the parser interpolates DTS from the framerate caps
        # and keeps counting across loops, so the stream never jumps back in time.
        # clocksync paces to real time *before* the valve: otherwise a dropping valve would
        # let the source race ahead while frozen and stall the stream after unfreezing.
        launch = (
            f'( multifilesrc location="{location}" loop=true '
            f'! video/x-{codec},stream-format=byte-stream,alignment=au,framerate={fps}/1 '
            f'! {codec}parse name=parse config-interval=-1 '
            f'! clocksync ! valve name=freeze drop={"true" if self.frozen else "false"} '
            f'! rtp{codec}pay name=pay0 pt=96 config-interval=-1 )'
        )
        factory = GstRtspServer.RTSPMediaFactory()
        factory.set_launch(launch)
        factory.set_shared(True)
        factory.connect('media-configure', self.on_media_configure)
        return factory

    def clock_factory(self, path, fmt):
        # The valve sits before the encoder: while frozen nothing is encoded, and after unfreezing
        # the next frame refers to the last one the clients got, so they decode it cleanly.
        # Baseline profile, no B-frames, no lookahead (zerolatency), a keyframe exactly every GOP
        # frames (no scene-cut ones), SPS/PPS with every keyframe. One thread, so one slice a frame:
        # zerolatency's sliced threads cut frames into slices, rtph264pay config-interval=-1 then sends
        # SPS/PPS before every IDR slice, and ffmpeg takes each slice of a keyframe for a frame of its own.
        launch = (
            f'( appsrc name=clocksrc is-live=true format=time do-timestamp=false '
            f'caps=video/x-raw,format=I420,width={fmt.width},height={fmt.height},framerate={fmt.fps}/1 '
            f'! valve name=freeze drop={"true" if self.frozen else "false"} '
            f'! x264enc name=enc tune=zerolatency speed-preset=ultrafast bframes=0 key-int-max={fmt.gop} '
            f'bitrate={fmt.kbps} threads=1 option-string=scenecut=0 '
            f'! video/x-h264,profile=baseline,stream-format=byte-stream,alignment=au '
            f'! h264parse config-interval=-1 '
            f'! rtph264pay name=pay0 pt=96 config-interval=-1 )'
        )
        factory = GstRtspServer.RTSPMediaFactory()
        factory.set_launch(launch)
        # One pipeline, one encoder, for every client of the mount.
        factory.set_shared(True)
        factory.connect('media-configure', self.on_clock_media_configure, path, fmt)
        return factory

    def on_clock_media_configure(self, _factory, media, path, fmt):
        source = ClockSource(fmt, media.get_element().get_by_name('clocksrc'))
        encoders = self.encoders.setdefault(path, set())
        encoder = media.get_element().get_by_name('enc')
        encoders.add(encoder)

        def unprepared(_m):
            source.stop()
            encoders.discard(encoder)
        media.connect('unprepared', unprepared)
        self.track_valve(media)

    def keyframe(self, path):
        """Asks the encoder of a clock mount for a keyframe now; False for an unknown path."""
        if path not in self.paths:
            return False
        for encoder in list(self.encoders.get(path, ())):
            # An upstream force-key-unit event into the encoder's source pad: x264 makes the next
            # frame an IDR, and with all_headers the SPS and PPS go in front of it.
            event = GstVideo.video_event_new_upstream_force_key_unit(Gst.CLOCK_TIME_NONE, True, 0)
            encoder.get_static_pad('src').send_event(event)
        return True

    def on_media_configure(self, _factory, media):
        bin_ = media.get_element()
        parse = bin_.get_by_name('parse')
        # The parser leaves PTS unset for a raw stream; the clip has no B-frames so PTS = DTS.
        parse.get_static_pad('src').add_probe(Gst.PadProbeType.BUFFER, self.copy_dts_to_pts)
        self.track_valve(media)

    def track_valve(self, media):
        valve = media.get_element().get_by_name('freeze')
        valve.set_property('drop', self.frozen)
        self.valves.add(valve)
        media.connect('unprepared', lambda _m: self.valves.discard(valve))

    @staticmethod
    def copy_dts_to_pts(_pad, info):
        buf = info.get_buffer()
        if buf is not None and buf.pts == Gst.CLOCK_TIME_NONE:
            buf.pts = buf.dts
        return Gst.PadProbeReturn.OK

    def set_frozen(self, frozen):
        self.frozen = frozen
        for valve in list(self.valves):
            valve.set_property('drop', frozen)


def main():
    die_with_parent()
    args = parse_args()
    if args.clock_mounts:
        keep_frames_on_the_heap()
    Gst.init(None)
    cam = Camera(args)
    loop = GLib.MainLoop()
    if cam.server.attach(None) == 0:
        print(f'ERROR cannot listen on {args.host}:{args.port}', file=sys.stderr, flush=True)
        sys.exit(2)

    def on_stdin(channel, condition):
        if condition & (GLib.IO_HUP | GLib.IO_ERR):
            loop.quit()
            return False
        line = channel.readline()
        if line == '':
            loop.quit()
            return False
        cmd = line.strip()
        if cmd in ('freeze', 'unfreeze'):
            cam.set_frozen(cmd == 'freeze')
            print(f'OK {cmd}', flush=True)
        elif cmd.startswith('keyframe '):
            path = cmd[len('keyframe '):]
            print(f'OK {cmd}' if cam.keyframe(path) else f'ERROR no mount {path}', flush=True)
        elif cmd:
            print(f'ERROR unknown command {cmd}', flush=True)
        return True

    stdin = GLib.IOChannel.unix_new(sys.stdin.fileno())
    GLib.io_add_watch(stdin, GLib.PRIORITY_DEFAULT, GLib.IO_IN | GLib.IO_HUP | GLib.IO_ERR, on_stdin)
    for sig in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_HIGH, sig, loop.quit)

    print(f'READY {cam.server.get_bound_port()}', flush=True)
    loop.run()


if __name__ == '__main__':
    main()
