#!/usr/bin/env bash
# Runs reel's whole test suite: formatting, lints, every crate's tests.
# Installs what the tests need where it is missing, so it works on a fresh
# Debian machine with only Rust and a C compiler:
#   - Debian packages (as root or through sudo): python3 with venv support
#   - pyarrow (from PyPI, into a venv under target/) for the independent
#     reader of the recording format (tests/python/read_reel.py)
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

log "cargo fmt --check"
cargo fmt --all --check

log "cargo clippy -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings

log "cargo test"
# The pyarrow test must not skip itself here: this script installed pyarrow.
REEL_REQUIRE_PYARROW=1 cargo test --workspace --locked
