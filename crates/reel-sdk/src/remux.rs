//! Remuxing: `VideoStream` samples of a recording back into an MP4 file,
//! without re-encoding. An `AssetVideo` that is already an MP4 is written out
//! as its original bytes (audio and all); one in another container (WebM,
//! Matroska, IVF) or cut with `from`/`to` has its video track remuxed.

use std::fs::File;
use std::io::{BufWriter, Cursor, Write};
use std::path::Path;

pub use reel_query::asset_video;
use reel_query::{SampleClock, VideoForm, video_form};
use reel_store::Store;
use reel_types::{EntityPath, VideoCodec};
pub use reel_video::mux::{Mp4Options, MuxReport, StreamSample, write_mp4};
use reel_video::{ContainerKind, MediaFile};

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
    /// An `AssetVideo` that is an MP4, written unchanged.
    Asset {
        /// Bytes written.
        bytes: u64,
        /// Its media type.
        media_type: String,
    },
    /// A remuxed `VideoStream`, or the video track of an `AssetVideo`.
    Stream {
        /// The codec.
        codec: VideoCodec,
        /// The muxer's report.
        mux: MuxReport,
        /// For an `AssetVideo`: its container, and the tracks left out
        /// (audio, subtitles: only the video track is remuxed).
        asset: Option<AssetSource>,
    },
}

/// Where a remuxed `AssetVideo` came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssetSource {
    /// Its container ("WebM", "Matroska", "IVF", …).
    pub container: String,
    /// Other tracks, not exported ("audio (A_OPUS)", …).
    pub left_out: Vec<String>,
}

fn err(entity: &EntityPath, message: impl Into<String>) -> SdkError {
    SdkError::Entity {
        entity: entity.to_string(),
        message: message.into(),
    }
}

/// The samples of a `VideoStream` entity in decode order, with their codec
/// and the source's media timescale: the logged media PTS, else the time on
/// `options.timeline` (default: the entity's default timeline).
pub fn stream_samples(
    store: &Store,
    entity: &EntityPath,
    options: &ExportOptions,
) -> SdkResult<(VideoCodec, Option<u32>, Vec<StreamSample>)> {
    let found = reel_query::stream_samples(
        store,
        entity,
        &SampleClock::LoggedPtsOrTimeline {
            timeline: options.timeline.clone(),
            fps: options.fps,
        },
    )?;
    let samples = found
        .samples
        .into_iter()
        .map(|s| StreamSample {
            data: s.data,
            pts_ns: s.pts,
            dts_ns: s.dts_ns,
            is_keyframe: s.is_keyframe,
        })
        .collect();
    Ok((found.codec, found.timescale, select_range(samples, options)))
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

/// Writes the video at `entity` to `out`: an `AssetVideo` as its original
/// bytes, a `VideoStream` remuxed into an MP4.
pub fn export_mp4(
    store: &Store,
    entity: &EntityPath,
    out: &Path,
    options: &ExportOptions,
) -> SdkResult<ExportReport> {
    let io = |source: std::io::Error| SdkError::Write {
        path: out.display().to_string(),
        source,
    };
    let (codec, timescale, samples, asset) = match video_form(store, entity)? {
        VideoForm::Asset(asset) => {
            let file = MediaFile::from_reader(
                Cursor::new(asset.blob().clone()),
                format!("the AssetVideo of {entity}"),
            )?;
            let whole = options.from_ns.is_none() && options.to_ns.is_none();
            if whole && !options.fragmented && file.container == ContainerKind::Mp4 {
                std::fs::write(out, asset.blob().as_slice()).map_err(io)?;
                return Ok(ExportReport::Asset {
                    bytes: asset.blob().len() as u64,
                    media_type: asset.media_type().to_owned(),
                });
            }
            let (codec, timescale, samples, source) = asset_samples(file)?;
            (
                codec,
                timescale,
                select_range(samples, options),
                Some(source),
            )
        }
        VideoForm::Stream => {
            let (codec, timescale, samples) = stream_samples(store, entity, options)?;
            (codec, timescale, samples, None)
        }
        VideoForm::References => {
            return Err(err(
                entity,
                "holds VideoFrameReference rows only; export-mp4 needs a VideoStream or an AssetVideo (export the entity they refer to)",
            ));
        }
    };
    if samples.is_empty() {
        return Err(err(entity, "no samples in the requested range"));
    }
    // Large writes: one per MiB, not one per sample (a sample is ~12 KB).
    let mut file = BufWriter::with_capacity(1 << 20, File::create(out).map_err(io)?);
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
    Ok(ExportReport::Stream { codec, mux, asset })
}

/// The video track of an `AssetVideo` as stream samples (decode order,
/// times in ns), for remuxing.
fn asset_samples(
    mut file: MediaFile,
) -> SdkResult<(VideoCodec, Option<u32>, Vec<StreamSample>, AssetSource)> {
    let track = file.video_track()?.clone();
    let mut samples = Vec::with_capacity(track.samples.len());
    for (i, s) in track.samples.iter().enumerate() {
        samples.push(StreamSample {
            data: file.read_sample(0, i)?.into(),
            pts_ns: track.ticks_to_ns(s.pts),
            dts_ns: s.dts.map(|d| track.ticks_to_ns(d)),
            is_keyframe: s.is_keyframe,
        });
    }
    let source = AssetSource {
        container: file.container.name().to_owned(),
        left_out: file
            .other_tracks
            .iter()
            .map(|t| format!("{} ({})", t.kind, t.codec))
            .collect(),
    };
    Ok((
        track.codec,
        u32::try_from(track.timescale).ok(),
        samples,
        source,
    ))
}
