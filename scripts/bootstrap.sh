#!/usr/bin/env bash
# Makes this machine ready for `npm test` (mode "test") or `npm run demo` (mode "demo"):
# system packages from apt when we are root on Debian/Ubuntu, pnpm, and the workspace;
# then runs the rest of its arguments with that pnpm on PATH.
# When it cannot install something itself it stops with one sentence naming it.
set -euo pipefail
mode="${1:-test}"
shift || true
cd "$(dirname "$0")/.."

need_node_major=20
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt "$need_node_major" ]; then
  echo "Sargs needs Node.js $need_node_major or newer: install it from your distribution or nodejs.org." >&2; exit 1
fi

gst_ok() { /usr/bin/python3 -c "import gi; gi.require_version('Gst','1.0'); gi.require_version('GstRtspServer','1.0'); from gi.repository import Gst, GstRtspServer" >/dev/null 2>&1; }
# x264enc (plugins-ugly): the simulated cameras that paint their clock into the picture encode live.
# Looked for as a file: initialising GStreamer here would write its registry into ~/.cache.
x264_ok() { compgen -G '/usr/lib/*/gstreamer-1.0/libgstx264.so' >/dev/null; }
have() { command -v "$1" >/dev/null 2>&1; }

missing=()
have ffmpeg  || missing+=(ffmpeg)
have ffprobe || missing+=(ffmpeg)
have socat   || missing+=(socat)
have ip      || missing+=(iproute2)
gst_ok       || missing+=(python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-rtsp gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad)
x264_ok      || missing+=(gstreamer1.0-plugins-ugly)
if [ "$mode" = test ]; then
  have chromium || missing+=(chromium)
  have git      || missing+=(git)
fi

if [ "${#missing[@]}" -gt 0 ]; then
  # shellcheck disable=SC2207
  pkgs=($(printf '%s\n' "${missing[@]}" | sort -u))
  if [ "$(id -u)" = 0 ] && have apt-get; then
    echo "sargs: installing system packages: ${pkgs[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${pkgs[@]}" >/dev/null
  else
    echo "Sargs needs these system packages: ${pkgs[*]} (on Debian/Ubuntu: sudo apt-get install ${pkgs[*]})." >&2
    exit 1
  fi
fi

# Everything the commands write stays inside the clone: npm's cache (.npmrc covers npm run and
# pnpm), the caches and settings of the programs the tests start (GStreamer's registry,
# fontconfig, chromium), and temporary files. Nothing lands in your home folder or /tmp.
export npm_config_cache="$PWD/.tools/npm-cache"
export XDG_CACHE_HOME="$PWD/.tools/cache" XDG_CONFIG_HOME="$PWD/.tools/config" XDG_DATA_HOME="$PWD/.tools/share" XDG_STATE_HOME="$PWD/.tools/state"
export TMPDIR="$PWD/data/tmp"
mkdir -p "$TMPDIR"

want_pnpm=$(node -p 'require("./package.json").packageManager.split("@")[1]')
if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version 2>/dev/null)" != "$want_pnpm" ]; then
  # A project-local pnpm: needs no root and leaves the system's npm alone.
  if [ ! -x .tools/node_modules/.bin/pnpm ] || [ "$(.tools/node_modules/.bin/pnpm --version)" != "$want_pnpm" ]; then
    echo "sargs: installing pnpm $want_pnpm into .tools/"
    if ! npm install --silent --no-audit --no-fund --prefix .tools "pnpm@$want_pnpm" >/dev/null; then
      echo "Sargs needs pnpm $want_pnpm and could not install it: run 'npm install -g pnpm@$want_pnpm'." >&2
      exit 1
    fi
  fi
  export PATH="$PWD/.tools/node_modules/.bin:$PATH"
fi

# Install the workspace when the lockfile changed since the last install.
stamp=node_modules/.sargs-lock-stamp
if [ ! -f "$stamp" ] || ! cmp -s pnpm-lock.yaml "$stamp"; then
  pnpm install --frozen-lockfile --reporter=append-only | tail -n 3
  cp pnpm-lock.yaml "$stamp"
fi

[ "$#" -gt 0 ] && exec "$@"
exit 0
