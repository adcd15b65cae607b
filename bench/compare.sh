#!/usr/bin/env bash
# reel beside the Python Rerun SDK 0.41 and FFmpeg, in one run: builds reel,
# makes the inputs with ffmpeg, sets up a Python venv with rerun-sdk, av and
# numpy (the Rerun column is skipped, with the reason, if that fails), runs
# every workload 5 times and writes the table to docs/BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
WORK="${REEL_BENCH_DIR:-$PWD/target/bench-compare}"
mkdir -p "$WORK"

for tool in ffmpeg ffprobe python3; do
    command -v "$tool" >/dev/null || { echo "error: $tool is needed (Debian: apt-get install ffmpeg python3-venv)" >&2; exit 1; }
done

VENV="${REEL_BENCH_VENV:-$PWD/target/bench-venv}"
PY=python3
if [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"; then
    if "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "rerun-sdk==0.41.0" av numpy; then
        PY="$VENV/bin/python"
    else
        echo "note: could not install rerun-sdk 0.41.0 / av / numpy; the Rerun column is skipped" >&2
    fi
fi

# reel's Python SDK into the same venv: the Python workloads run with
# `import reel as rr` beside `import rerun as rr` (release build, the
# features of the reel binary below).
# libjpeg-turbo (the `turbojpeg` feature) where cmake and nasm can build it.
turbo=0
command -v nasm >/dev/null && command -v cmake >/dev/null && turbo=1
if [ "$PY" != python3 ]; then
    py_features=()
    command -v nasm >/dev/null && py_features+=(reel-decode/asm)
    [ "$turbo" = 1 ] && py_features+=(turbojpeg)
    MATURIN_PEP517_ARGS="$([ ${#py_features[@]} -gt 0 ] && echo --features "$(IFS=,; echo "${py_features[*]}")")" \
        "$PY" -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps ./python \
        || echo "note: could not build reel's Python SDK (pip install ./python); its column is skipped" >&2
fi

FEATURES=()
# AV1 decodes with FFmpeg's libavcodec (its libdav1d), installed here.
command -v nasm >/dev/null && FEATURES+=(reel-cli/asm)
[ "$turbo" = 1 ] && FEATURES+=(reel-cli/turbojpeg)
[ "$turbo" = 1 ] || echo "note: no cmake or nasm: JPEG uses the pure-Rust encoder (apt-get install cmake nasm for libjpeg-turbo)" >&2
FEATURE_ARGS=()
[ ${#FEATURES[@]} -gt 0 ] && FEATURE_ARGS=(--features "$(IFS=,; echo "${FEATURES[*]}")")
cargo build --release --quiet "${FEATURE_ARGS[@]}" --bin reel --example bench_workloads
TARGET="${CARGO_TARGET_DIR:-$PWD/target}/release"

make() { # OUT SECONDS SIZE ARGS…
    local out="$WORK/$1" secs="$2" size="$3"; shift 3
    [ -f "$out" ] || ffmpeg -v error -y -f lavfi -i "testsrc2=size=$size:rate=30:duration=$secs" "$@" "$out"
}
make h264_720p30_60s_bframes.mp4 60 1280x720 -c:v libx264 -preset veryfast -pix_fmt yuv420p
make h264_720p30_60s_gop60_nob.mp4 60 1280x720 -c:v libx264 -preset veryfast -bf 0 -g 60 -pix_fmt yuv420p
make av1_720p30_60s_gop60.mp4 60 1280x720 -c:v libsvtav1 -preset 12 -g 60 -pix_fmt yuv420p -svtav1-params verbosity=-1
[ -f "$WORK/frames_640x480_600.rgb" ] || "$TARGET/examples/bench_workloads" make-frames "$WORK/frames_640x480_600.rgb" 600
[ -f "$WORK/h264_640x480_600_nob.mp4" ] || ffmpeg -v error -y -f rawvideo -pix_fmt rgb24 -s 640x480 -r 30 \
    -i "$WORK/frames_640x480_600.rgb" -c:v libx264 -preset veryfast -bf 0 -g 30 -pix_fmt yuv420p "$WORK/h264_640x480_600_nob.mp4"

"$PY" bench/compare.py "$WORK" "$TARGET/reel" "$TARGET/examples/bench_workloads"
echo "wrote docs/BENCHMARKS.md"
