#!/usr/bin/env bash
# Runs reel's whole test suite: formatting, lints, every crate's tests.
# Installs what the tests need where it is missing, so it works on a fresh
# Debian machine with only Rust and a C compiler:
#   - Debian packages (as root or through sudo): ffmpeg (makes test media and
#     checks results), mediainfo (a second, independent reader of our MP4s),
#     nasm (assembly of rav1e, rav1d and openh264: the `asm` feature used below),
#     cmake (builds libjpeg-turbo from source: the `turbojpeg` feature below),
#     libdav1d-dev and pkg-config (the `dav1d` build, tested at the end),
#     python3 with venv support, and for the viewer's window tests xvfb with
#     Mesa's software OpenGL (libgl1-mesa-dri, libegl1) and the X libraries
#     winit loads
#   - the wasm32 Rust target (rustup), to check that the viewer's UI builds
#     for the web
#   - pyarrow (from PyPI, into a venv under target/) for the independent
#     reader of the recording format (tests/python/read_reel.py)
#   - for the Python SDK's tests: numpy, pytest, PyAV, pyarrow, rerun-sdk
#     0.41 (the parity test) and maturin (from PyPI, into target/py-venv),
#     which builds `pip install ./python`
#   - third-party test media shipped inside crates.io packages (cros-codecs,
#     matroska-demuxer, shiguredo_mp4), fetched with `cargo fetch`; not committed
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\n== %s\n' "$*"; }

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
        echo "error: need root (or sudo) to run: $*" >&2; return 1; fi
}

apt_updated=0
apt_install() {
    command -v apt-get >/dev/null || { echo "error: install $* (no apt-get here)" >&2; return 1; }
    if [ "$apt_updated" = 0 ]; then as_root apt-get update -qq; apt_updated=1; fi
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
}

# --- Media tools ---------------------------------------------------------------
missing=()
command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null || missing+=(ffmpeg)
command -v mediainfo >/dev/null || missing+=(mediainfo)
command -v mkvmerge >/dev/null || missing+=(mkvtoolnix)   # BlockGroup Matroska for the demuxer tests
command -v nasm >/dev/null || missing+=(nasm)
command -v cmake >/dev/null || missing+=(cmake)
command -v c++ >/dev/null || missing+=(g++)   # openh264 builds from C++ source
command -v pkg-config >/dev/null || missing+=(pkg-config)
pkg-config --exists dav1d 2>/dev/null || missing+=(libdav1d-dev)
if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    apt_install "${missing[@]}"
fi
ffmpeg -hide_banner -version | head -1

# --- A display for the viewer's tests --------------------------------------------
# Xvfb, and what a window needs on a machine without a GPU: OpenGL and EGL
# with Mesa's software renderer (llvmpipe), and the X libraries winit loads.
gui=()
command -v xvfb-run >/dev/null || gui+=(xvfb xauth)
for lib in libGL.so.1:libgl1 libEGL.so.1:libegl1 libxkbcommon-x11.so.0:libxkbcommon-x11-0 \
           libXcursor.so.1:libxcursor1 libXi.so.6:libxi6 libXrandr.so.2:libxrandr2; do
    ldconfig -p | grep -q "${lib%%:*}" || gui+=("${lib##*:}")
done
ls /usr/lib/*/dri/swrast_dri.so >/dev/null 2>&1 || gui+=(libgl1-mesa-dri)
if [ ${#gui[@]} -gt 0 ]; then
    log "installing ${gui[*]}"
    apt_install "${gui[@]}"
fi
# The tests must not skip what this script provides.
export REEL_REQUIRE_MEDIA_TOOLS=1

# --- Third-party test media from crates.io ------------------------------------
media_manifest_dir="${CARGO_TARGET_DIR:-$PWD/target}/third-party-media"
mkdir -p "$media_manifest_dir/src"
cat > "$media_manifest_dir/Cargo.toml" <<'TOML'
[package]
name = "reel-third-party-media"
version = "0.0.0"
edition = "2021"
publish = false

# Only fetched for the test media inside these packages; never built.
[dependencies]
cros-codecs = { version = "=0.0.6", default-features = false }
matroska-demuxer = "=0.8.1"
shiguredo_mp4 = "=2026.5.0"

[workspace]
TOML
echo 'fn main() {}' > "$media_manifest_dir/src/main.rs"
log "fetching third-party test media (cargo fetch)"
cargo fetch --quiet --manifest-path "$media_manifest_dir/Cargo.toml"
registry_src="${CARGO_HOME:-$HOME/.cargo}/registry/src"
for d in "$registry_src"/*/; do
    if [ -d "$d/shiguredo_mp4-2026.5.0" ] && [ -d "$d/matroska-demuxer-0.8.1" ] && [ -d "$d/cros-codecs-0.0.6" ]; then
        export REEL_THIRD_PARTY_MEDIA="${d%/}"
    fi
done
echo "third-party media: ${REEL_THIRD_PARTY_MEDIA:?not found after cargo fetch}"

# --- Python with pyarrow -----------------------------------------------------
PYTHON=python3
if ! command -v python3 >/dev/null; then
    log "installing python3"
    apt_install python3 python3-venv
fi
if ! python3 -c 'import pyarrow' 2>/dev/null; then
    venv="${REEL_TEST_VENV:-$PWD/target/test-venv}"
    if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import pyarrow' 2>/dev/null; then
        log "installing pyarrow into $venv"
        python3 -m venv "$venv" 2>/dev/null || { apt_install python3-venv; python3 -m venv "$venv"; }
        "$venv/bin/python" -m pip install --quiet --disable-pip-version-check pyarrow
    fi
    export PATH="$venv/bin:$PATH"
    PYTHON="$venv/bin/python"
fi
"$PYTHON" -c 'import pyarrow; print("pyarrow", pyarrow.__version__)'

# --- Rust components -----------------------------------------------------------
if command -v rustup >/dev/null; then
    rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt
    rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy
fi

if command -v rustup >/dev/null; then
    # The viewer's UI must keep building for the web.
    rustup target list --installed 2>/dev/null | grep -q '^wasm32-unknown-unknown' \
        || rustup target add wasm32-unknown-unknown \
        || echo "warning: could not add the wasm32 target; the wasm check below is skipped" >&2
fi

log "cargo fmt --check"
cargo fmt --all --check

# nasm and cmake are installed above: build with the assembly kernels of the
# AV1 encoder (rav1e) and of the built-in AV1 decoder (rav1d), and with
# libjpeg-turbo for JPEG. The pure-Rust JPEG encoder (the default build's)
# is tested by the libdav1d build at the end.
FEATURES=(--features reel-cli/asm,reel-cli/turbojpeg)

log "cargo clippy -D warnings"
cargo clippy --workspace --all-targets --locked "${FEATURES[@]}" -- -D warnings

if rustup target list --installed 2>/dev/null | grep -q '^wasm32-unknown-unknown'; then
    log "the viewer's UI builds for wasm32 (cargo check --target wasm32-unknown-unknown)"
    cargo check -p reel-viewer --target wasm32-unknown-unknown --locked
fi

log "cargo test"
# The pyarrow test must not skip itself here: this script installed pyarrow.
REEL_REQUIRE_PYARROW=1 cargo test --workspace --locked "${FEATURES[@]}"

# --- The Python SDK ---------------------------------------------------------------
# Built the way the README says (pip install ./python, maturin from PyPI),
# in debug with the features the tests above built, so it reuses their build.
log "Python SDK: pip install ./python, then pytest python/tests"
py_venv="${CARGO_TARGET_DIR:-$PWD/target}/py-venv"
if [ ! -x "$py_venv/bin/python" ]; then
    python3 -m venv "$py_venv" 2>/dev/null || { apt_install python3-venv; python3 -m venv "$py_venv"; }
fi
# rerun-sdk: the parity test logs the same code with Rerun and compares.
"$py_venv/bin/python" -c 'import numpy, pytest, av, pyarrow, rerun' 2>/dev/null \
    || "$py_venv/bin/python" -m pip install --quiet --disable-pip-version-check numpy pytest av pyarrow "rerun-sdk==0.41.0"
MATURIN_PEP517_ARGS="--profile dev --features reel-decode/asm,turbojpeg" \
    "$py_venv/bin/python" -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps ./python
REEL_BIN="${CARGO_TARGET_DIR:-$PWD/target}/debug/reel" \
    "$py_venv/bin/python" -m pytest -q -p no:cacheprovider python/tests

log "decode tests without FFmpeg's libraries in-process (openh264, rav1d and the ffmpeg process as defaults)"
REEL_LIBAVCODEC=off cargo test -p reel-cli --locked "${FEATURES[@]}" --test decode_cli --test pixels_cli

# The system libdav1d instead of rav1d (the two cannot share a binary).
log "decode tests of the libdav1d build (--no-default-features --features dav1d), encode tests with the pure-Rust JPEG encoder"
cargo test -p reel-cli --locked --no-default-features --features reel-cli/asm,reel-cli/dav1d --test decode_cli --test encode_cli
