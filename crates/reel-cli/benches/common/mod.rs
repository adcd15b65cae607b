//! Helpers the CLI benchmarks share: where their media live, and making
//! that media once with ffmpeg.
#![allow(dead_code)] // each benchmark uses part of it

use std::path::{Path, PathBuf};
use std::process::Command;

/// The build's target directory (`CARGO_TARGET_DIR`, else the workspace's).
pub fn target_dir() -> PathBuf {
    std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"))
}

/// `ffmpeg -f lavfi -i SOURCE ARGS PATH`, unless `path` exists already.
pub fn make_once(path: &Path, source: &str, args: &[&str]) {
    if path.exists() {
        return;
    }
    eprintln!("making {} with ffmpeg (once)…", path.display());
    let ok = Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-f", "lavfi", "-i", source])
        .args(args)
        .arg(path)
        .status()
        .expect("ffmpeg is needed for this benchmark");
    assert!(ok.success(), "ffmpeg could not make {}", path.display());
}
