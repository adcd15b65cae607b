#!/usr/bin/env bash
# reel's viewer beside Rerun's (rerun-sdk 0.41) playing the same 1080p30
# H.264 stream (no B-frames: Rerun's VideoStream has none, rerun#10090) as a
# VideoStream for 60 s under Xvfb, each alone on the machine. Prints the CPU
# both used, as cores (busy time of the whole machine from /proc/stat, so
# decoder processes and the X server count for both), and the ratio.
#
# Needs ffmpeg, xvfb-run, python3; installs rerun-sdk 0.41.0 and av into a
# venv, and Rerun's viewer needs Vulkan (Debian: mesa-vulkan-drivers, whose
# lavapipe renders on the CPU). Run: bench/viewer_vs_rerun.sh
set -euo pipefail
cd "$(dirname "$0")/.."
WORK="${REEL_BENCH_DIR:-$PWD/target/bench-viewer-rerun}"
SECONDS_PLAYED="${REEL_VIEWER_BENCH_SECONDS:-60}"
mkdir -p "$WORK"
VENV="${REEL_BENCH_VENV:-$PWD/target/bench-venv}"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/python" -c 'import rerun, av' 2>/dev/null \
    || "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "rerun-sdk==0.41.0" av numpy
ls /usr/share/vulkan/icd.d/lvp_icd*.json >/dev/null 2>&1 \
    || { echo "error: Rerun's viewer needs Vulkan here: apt-get install mesa-vulkan-drivers" >&2; exit 1; }

FEATURES=()
command -v nasm >/dev/null && FEATURES=(--features reel-cli/asm)
cargo build --release --quiet "${FEATURES[@]}" --bin reel
REEL="${CARGO_TARGET_DIR:-$PWD/target}/release/reel"

MP4="$WORK/1080p30_nob.mp4"
[ -f "$MP4" ] || ffmpeg -v error -y -f lavfi -i testsrc2=size=1920x1080:rate=30 -t 62 \
    -c:v libx264 -preset veryfast -bf 0 -g 60 -pix_fmt yuv420p "$MP4"
[ -f "$WORK/stream.reel" ] || "$REEL" import "$MP4" --out "$WORK/stream.reel" --entity /camera >/dev/null
[ -f "$WORK/stream.rrd" ] || "$VENV/bin/python" - "$MP4" "$WORK/stream.rrd" <<'PY'
# The way Rerun's docs log a stream: PyAV packets (Annex B) as VideoStream samples.
import sys
import av
import rerun as rr
import rerun.blueprint as rrb

src, out = sys.argv[1], sys.argv[2]
rr.init("viewer_vs_rerun")
rr.save(out, default_blueprint=rrb.Blueprint(
    rrb.Spatial2DView(origin="/camera"),
    rrb.TimePanel(play_state="playing", loop_mode="all"),
))
rr.log("camera", rr.VideoStream(codec=rr.VideoCodec.H264), static=True)
container = av.open(src)
stream = container.streams.video[0]
bsf = av.BitStreamFilterContext("h264_mp4toannexb", stream)
for packet in container.demux(stream):
    for p in bsf.filter(packet):
        if p.pts is None:
            continue
        rr.set_time("time", duration=float(p.pts * p.time_base))
        rr.log("camera", rr.VideoStream.from_fields(sample=bytes(p)))
PY

# Rerun's viewer wants a runtime folder (headless machines have none).
if [ -z "${XDG_RUNTIME_DIR:-}" ]; then
    XDG_RUNTIME_DIR="$(mktemp -d)"
    export XDG_RUNTIME_DIR
fi

busy() { awk '/^cpu /{print $2+$3+$4+$7+$8, $2+$3+$4+$5+$6+$7+$8}' /proc/stat; }
# Runs "$@" for SECONDS_PLAYED under Xvfb; prints the machine's busy cores.
cores() {
    local before after
    before=$(busy)
    timeout --signal=INT "$((SECONDS_PLAYED + 15))" xvfb-run -a -s "-screen 0 1920x1080x24" "$@" >/dev/null 2>&1 || true
    after=$(busy)
    python3 -c "
b0, t0 = map(float, '$before'.split()); b1, t1 = map(float, '$after'.split())
print(f'{(b1 - b0) / (t1 - t0) * $(nproc):.2f}')"
}
echo "playing $MP4 as a VideoStream for ${SECONDS_PLAYED} s under Xvfb, $(nproc) cores; CPU as busy cores of the machine (viewer, its decoders, Xvfb)"
reel_cores=$(cores "$REEL" view "$WORK/stream.reel" --play-for "$SECONDS_PLAYED")
echo "reel view (--play-for, OpenGL on llvmpipe):        $reel_cores cores"
rerun_cores=$(cores timeout "$SECONDS_PLAYED" "$VENV/bin/rerun" --renderer vulkan "$WORK/stream.rrd")
echo "rerun 0.41 (--renderer vulkan on lavapipe):        $rerun_cores cores"
python3 -c "print(f'Rerun / reel CPU: {$rerun_cores / max($reel_cores, 0.01):.2f}x')"
