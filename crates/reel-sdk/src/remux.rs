//! Remuxing: `VideoStream` samples of a recording back into an MP4 file,
//! without re-encoding; an `AssetVideo` is written out as its original bytes.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use reel_store::Store;
use reel_types::{AssetVideo, EntityPath, TimeType, VideoCodec, VideoStream};
pub use reel_video::mux::{Mp4Options, MuxReport, StreamSample, write_mp4};

use crate::{SdkError, SdkResult};

/// What to export.
#[derive(Clone, Debug, Default)]
pub struct ExportOptions {
    /// Start at the keyframe at or before this presentation time (ns).
    pub from_ns: Option<i64>,
    /// End with the last frame at or before this presentation time (ns).
    pub to_ns: Option<i64>,
    /// Write a fragmented MP4.
    pub fragmented: bool,
    /// Timeline giving presentation times when samples carry none
    /// (default: the entity's first duration or timestamp timeline).
    pub timeline: Option<String>,
    /// Frames per second, for streams logged only on a sequence timeline.
    pub fps: Option<f64>,
}

/// What an export wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExportReport {
    /// An `AssetVideo`'s bytes, written unchanged.
    Asset {
        /// Bytes written.
        bytes: u64,
        /// Its media type.
        media_type: String,
    },
    /// A remuxed `VideoStream`.
    Stream {
        /// The codec.
        codec: VideoCodec,
        /// The muxer's report.
        mux: MuxReport,
    },
}

fn err(entity: &EntityPath, message: impl Into<String>) -> SdkError {
    SdkError::Sink(format!("entity {entity}: {}", message.into()))
}

/// The samples of a `VideoStream` entity in decode order, with their codec
/// and the source's media timescale.
pub fn stream_samples(
    store: &Store,
    entity: &EntityPath,
    options: &ExportOptions,
) -> SdkResult<(VideoCodec, Option<u32>, Vec<StreamSample>)> {
    let info = store
        .entity_info(entity)
        .ok_or_else(|| err(entity, "not in the recording"))?;
    let timeline = options.timeline.clone().or_else(|| {
        info.timelines
            .iter()
            .find(|t| t.timeline.typ != TimeType::Sequence)
            .or(info.timelines.first())
            .map(|t| t.timeline.name.to_string())
    });
    let mut codec = None;
    let mut timescale = None;
    let mut samples = Vec::new();
    for row in store.rows_in_log_order(entity) {
        let Some(s) = row.get::<VideoStream>()? else {
            continue;
        };
        codec = s.codec.or(codec);
        timescale = s.media_timescale.or(timescale);
        let Some(data) = s.sample else {
            continue;
        };
        let pts_ns = match s.presentation_timestamp_ns {
            Some(p) => p,
            None => {
                let name = timeline
                    .as_deref()
                    .ok_or_else(|| err(entity, "samples have no time: log them on a timeline"))?;
                let (typ, values) = row
                    .chunk
                    .timeline_values(name)
                    .ok_or_else(|| err(entity, format!("a sample is not on timeline {name}")))?;
                let v =
                    values.get(row.row).copied().flatten().ok_or_else(|| {
                        err(entity, format!("a sample is not on timeline {name}"))
                    })?;
                match (typ, options.fps) {
                    (TimeType::Sequence, Some(fps)) if fps > 0.0 => {
                        (v as f64 * 1e9 / fps).round() as i64
                    }
                    (TimeType::Sequence, _) => {
                        return Err(err(
                            entity,
                            format!(
                                "timeline {name} counts frames, not time: pass --fps (or log on a duration timeline)"
                            ),
                        ));
                    }
                    _ => v,
                }
            }
        };
        let is_keyframe = match s.is_keyframe {
            Some(k) => k,
            None => codec.is_some_and(|c| reel_video::bitstream::is_keyframe(c, &data)),
        };
        samples.push(StreamSample {
            data: data.to_vec(),
            pts_ns,
            dts_ns: s.decode_timestamp_ns,
            is_keyframe,
        });
    }
    let codec = codec.ok_or_else(|| err(entity, "no VideoStream codec was logged"))?;
    Ok((codec, timescale, select_range(samples, options)))
}

/// Samples from the keyframe at or before `from` to the last frame shown at or before `to`.
fn select_range(samples: Vec<StreamSample>, options: &ExportOptions) -> Vec<StreamSample> {
    let start = match options.from_ns {
        Some(from) => samples
            .iter()
            .rposition(|s| s.is_keyframe && s.pts_ns <= from)
            .or_else(|| samples.iter().position(|s| s.is_keyframe))
            .unwrap_or(0),
        None => 0,
    };
    let end = match options.to_ns {
        Some(to) => samples
            .iter()
            .rposition(|s| s.pts_ns <= to)
            .map_or(start, |e| e + 1)
            .max(start),
        None => samples.len(),
    };
    samples.into_iter().take(end).skip(start).collect()
}

/// The `AssetVideo` logged at `entity` (static rows first), if any.
pub fn asset_video(store: &Store, entity: &EntityPath) -> Option<AssetVideo> {
    store
        .static_rows(entity)
        .into_iter()
        .chain(store.rows_in_log_order(entity))
        .find_map(|r| r.get::<AssetVideo>().ok().flatten())
}

/// Writes the video at `entity` to `out`: an `AssetVideo` as its original
/// bytes, a `VideoStream` remuxed into an MP4.
pub fn export_mp4(
    store: &Store,
    entity: &EntityPath,
    out: &Path,
    options: &ExportOptions,
) -> SdkResult<ExportReport> {
    let io = |e: std::io::Error| SdkError::Sink(format!("{}: {e}", out.display()));
    let info = store
        .entity_info(entity)
        .ok_or_else(|| err(entity, "not in the recording"))?;
    if info.archetypes.iter().any(|a| a == "AssetVideo") {
        let asset = asset_video(store, entity).ok_or_else(|| err(entity, "no AssetVideo row"))?;
        if options.from_ns.is_some() || options.to_ns.is_some() {
            return Err(err(
                entity,
                "--from/--to cut VideoStream entities; an AssetVideo is written whole",
            ));
        }
        std::fs::write(out, asset.blob().as_slice()).map_err(io)?;
        return Ok(ExportReport::Asset {
            bytes: asset.blob().len() as u64,
            media_type: asset.media_type().to_owned(),
        });
    }
    if !info.archetypes.iter().any(|a| a == "VideoStream") {
        return Err(err(
            entity,
            format!(
                "holds {} — export-mp4 needs a VideoStream or AssetVideo",
                info.archetypes.join(", ")
            ),
        ));
    }
    let (codec, timescale, samples) = stream_samples(store, entity, options)?;
    if samples.is_empty() {
        return Err(err(entity, "no samples in the requested range"));
    }
    let mut file = BufWriter::new(File::create(out).map_err(io)?);
    let mux = write_mp4(
        &mut file,
        codec,
        &samples,
        &Mp4Options {
            fragmented: options.fragmented,
            timescale,
        },
    )
    .map_err(|m| {
        SdkError::Video(reel_video::VideoError::Mux {
            path: out.display().to_string(),
            message: m,
        })
    })?;
    file.flush().map_err(io)?;
    Ok(ExportReport::Stream { codec, mux })
}
