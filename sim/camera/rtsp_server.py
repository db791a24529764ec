#!/usr/bin/python3
"""RTSP side of the simulated camera: loops pre-encoded H.264 clips at real-time pace.

The main clip is served at --path; each --mount PATH=CLIP serves another (the sub-stream) from
the same server, so a second stream costs no process, and no pipeline until a client plays it.

Run with Debian's /usr/bin/python3 (python3-gi, gir1.2-gst-rtsp-server-1.0).
Prints `READY <port>` once listening. Reads commands on stdin, one per line:
`freeze`, `unfreeze`; each is acknowledged with `OK <command>`. Exits on stdin EOF,
so it never outlives the Node process that spawned it.
"""
import argparse
import ctypes
import signal
import sys

import gi

gi.require_version('Gst', '1.0')
gi.require_version('GstRtspServer', '1.0')
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

PR_SET_PDEATHSIG = 1


def die_with_parent():
    # Stdin EOF covers a clean parent exit; this covers SIGKILL of the parent too.
    try:
        ctypes.CDLL('libc.so.6', use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except OSError:
        pass


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument('--host', default='127.0.0.1')
    p.add_argument('--port', type=int, default=0)
    p.add_argument('--clip', required=True, help='Annex-B .h264 file')
    p.add_argument('--fps', type=int, default=25)
    p.add_argument('--path', default='/stream')
    p.add_argument('--mount', action='append', default=[], metavar='PATH=CLIP',
                   help='another Annex-B .h264 clip served at PATH, e.g. /sub=/tmp/sub.h264')
    p.add_argument('--frozen', action='store_true')
    args = p.parse_args()
    args.mounts = [(args.path, args.clip)]
    for m in args.mount:
        path, sep, clip = m.partition('=')
        if not sep or not path.startswith('/') or not clip:
            p.error(f'--mount wants PATH=CLIP with PATH starting with /, got {m!r}')
        args.mounts.append((path, clip))
    return args


class Camera:
    def __init__(self, args):
        self.frozen = args.frozen
        # Every playing stream's valve, of every mount: freezing the camera freezes them all.
        self.valves = set()
        self.server = GstRtspServer.RTSPServer()
        self.server.set_address(args.host)
        self.server.set_service(str(args.port))
        mounts = self.server.get_mount_points()
        for path, clip in args.mounts:
            mounts.add_factory(path, self.factory(clip, args.fps))

    def factory(self, clip, fps):
        location = clip.replace('\\', '\\\\').replace('"', '\\"')
        # multifilesrc gives no timestamps; h264parse interpolates DTS from the framerate caps
        # and keeps counting across loops, so the stream never jumps back in time.
        # clocksync paces to real time *before* the valve: otherwise a dropping valve would
        # let the source race ahead while frozen and stall the stream after unfreezing.
        launch = (
            f'( multifilesrc location="{location}" loop=true '
            f'! video/x-h264,stream-format=byte-stream,alignment=au,framerate={fps}/1 '
            f'! h264parse name=parse config-interval=-1 '
            f'! clocksync ! valve name=freeze drop={"true" if self.frozen else "false"} '
            f'! rtph264pay name=pay0 pt=96 config-interval=-1 )'
        )
        factory = GstRtspServer.RTSPMediaFactory()
        factory.set_launch(launch)
        factory.set_shared(True)
        factory.connect('media-configure', self.on_media_configure)
        return factory

    def on_media_configure(self, _factory, media):
        bin_ = media.get_element()
        parse = bin_.get_by_name('parse')
        # h264parse leaves PTS unset for a raw stream; the clip has no B-frames so PTS = DTS.
        parse.get_static_pad('src').add_probe(Gst.PadProbeType.BUFFER, self.copy_dts_to_pts)
        valve = bin_.get_by_name('freeze')
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
