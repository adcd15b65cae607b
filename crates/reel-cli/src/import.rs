//! `reel import`: a video file into a recording.

use crate::output::{PendingFile, outln};
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use reel_sdk::import::{ImportMode, import_video};
use reel_sdk::{EntityPath, RecordingStreamBuilder};

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum Mode {
    /// One AssetVideo (the file's bytes) plus a VideoFrameReference per frame.
    Asset,
    /// One VideoStream sample per frame, copied without re-encoding.
    Stream,
}

pub fn run(media: &Path, out: &Path, entity: &str, mode: Mode) -> Result<()> {
    let entity = EntityPath::parse(entity)?;
    let started = Instant::now();
    // Written beside OUT and moved over it only when the import worked:
    // a failed import leaves an existing OUT as it was.
    let pending_out = PendingFile::new(out, &[media])?;
    let rec = RecordingStreamBuilder::new("reel_import")
        .save(pending_out.path())
        .with_context(|| format!("creating {}", out.display()))?;
    // Shown only when the import takes more than a moment.
    let bar = ProgressBar::hidden();
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} samples ({eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_message(format!("importing {}", media.display()));
    let mut shown = false;
    let mut progress = |done: u64, total: u64| {
        if !shown && started.elapsed() > Duration::from_millis(300) {
            bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
            shown = true;
        }
        bar.set_length(total);
        bar.set_position(done);
    };
    let mode = match mode {
        Mode::Asset => ImportMode::Asset,
        Mode::Stream => ImportMode::Stream,
    };
    let report = import_video(&rec, media, &entity, mode, &mut progress)?;
    rec.flush()?;
    drop(rec);
    bar.finish_and_clear();
    if report.frames == 0 {
        bail!(
            "{}: no frames could be read ({}); {} was not written",
            media.display(),
            if report.warnings.is_empty() {
                "the video track is empty".to_owned()
            } else {
                report.warnings.join("; ")
            },
            out.display()
        );
    }
    pending_out.commit()?;
    let secs = started.elapsed().as_secs_f64();
    outln!(
        "Imported {} ({}, {} {}) into {} at {entity} as {}: {} frames, {} keyframes{}, {} bytes of video in {:.2}s ({:.0} MB/s)",
        media.display(),
        report.container,
        report.codec,
        report.codec_string,
        out.display(),
        match mode {
            ImportMode::Asset => "an AssetVideo with frame references",
            ImportMode::Stream => "VideoStream samples",
        },
        report.frames,
        report.keyframes,
        if report.has_b_frames {
            ", with B-frames (kept)"
        } else {
            ""
        },
        report.bytes,
        secs,
        report.bytes as f64 / 1e6 / secs.max(1e-9)
    );
    for w in &report.warnings {
        eprintln!("warning: {}: {w}", media.display());
    }
    Ok(())
}
