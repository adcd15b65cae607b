//! `reel export-mp4`: a video entity to an MP4 file, without re-encoding.

use crate::output::{PendingFile, outln};
use crate::time_arg::seconds;
use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use reel_sdk::EntityPath;
use reel_sdk::remux::{ExportOptions, ExportReport, export_mp4};

pub fn run(file: &Path, entity: &str, out: &Path, options: ExportOptions) -> Result<()> {
    let started = Instant::now();
    if let (Some(from), Some(to)) = (options.from_ns, options.to_ns)
        && from > to
    {
        bail!(
            "--from {} is after --to {}: nothing to export",
            seconds(from),
            seconds(to)
        );
    }
    if let Some(fps) = options.fps
        && !(fps.is_finite() && (0.001..=10_000.0).contains(&fps))
    {
        bail!("--fps {fps} is not a frame rate: give one between 0.001 and 10000");
    }
    let entity = EntityPath::parse(entity)?;
    let pending_out = PendingFile::new(out, &[file])?;
    let store = crate::load_recording(file)?;
    let result = export_mp4(&store, &entity, pending_out.path(), &options)
        .with_context(|| format!("exporting {entity} of {}", file.display()))?;
    pending_out.commit()?;
    let secs = started.elapsed().as_secs_f64();
    match result {
        ExportReport::Asset { bytes, media_type } => outln!(
            "Wrote {} ({bytes} bytes, {media_type}): the AssetVideo's original file",
            out.display()
        ),
        ExportReport::Stream { codec, mux, asset } => {
            let what = match &asset {
                Some(a) => format!("the AssetVideo's {} video track", a.container),
                None => "VideoStream".to_string(),
            };
            outln!(
                "Wrote {} ({} bytes{}): {} {} samples of the {what} remuxed without re-encoding, timescale {}, in {:.2}s",
                out.display(),
                mux.bytes,
                if options.fragmented {
                    ", fragmented"
                } else {
                    ""
                },
                mux.samples,
                codec,
                mux.timescale,
                secs
            );
            if let Some(a) = asset.filter(|a| !a.left_out.is_empty()) {
                eprintln!(
                    "note: only the video track was exported; left out: {}",
                    a.left_out.join(", ")
                );
            }
            if mux.timestamps_adjusted > 0 {
                eprintln!(
                    "warning: {} timestamps were not strictly increasing (duplicate times in the stream) and were moved forward, as ffmpeg does",
                    mux.timestamps_adjusted
                );
            }
            if mux.dropped_before_keyframe > 0 {
                eprintln!(
                    "note: dropped {} samples before the first keyframe (they cannot be decoded)",
                    mux.dropped_before_keyframe
                );
            }
        }
    }
    Ok(())
}
