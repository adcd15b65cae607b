//! Importing video files: as a whole `AssetVideo` with frame references, or
//! as `VideoStream` samples copied without re-encoding.

use std::path::Path;

use reel_types::{
    AssetVideo, EntityPath, TimeCell, TimeColumn, TimePoint, TimelineName, VideoCodec,
    VideoFrameReference, VideoStream,
};
use reel_video::{AssetVideoExt, MediaFile};

use crate::{RecordingStream, SdkResult};

/// The timeline imported videos are placed on (presentation time, ns).
pub const VIDEO_TIME: &str = "video_time";

/// How to store an imported video.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImportMode {
    /// The file's bytes as one static `AssetVideo`, plus one
    /// `VideoFrameReference` per frame on the `video_time` timeline.
    Asset,
    /// One `VideoStream` row per sample on `video_time`, bytes copied as
    /// they are (no re-encoding), DTS/PTS and keyframe flags kept.
    Stream,
}

/// What an import did.
#[derive(Clone, Debug)]
pub struct ImportReport {
    /// Container name (`mp4`, `mkv`, …).
    pub container: &'static str,
    /// The codec.
    pub codec: VideoCodec,
    /// WebCodecs codec string.
    pub codec_string: String,
    /// Frames (samples) imported.
    pub frames: usize,
    /// Keyframes among them.
    pub keyframes: usize,
    /// Whether presentation order differs from decode order.
    pub has_b_frames: bool,
    /// Bytes of video data logged.
    pub bytes: u64,
    /// Problems that did not stop the import.
    pub warnings: Vec<String>,
}

/// Imports the first video track of `path` into `rec` at `entity`.
/// `progress(done, total)` is called as samples are logged.
pub fn import_video(
    rec: &RecordingStream,
    path: &Path,
    entity: &EntityPath,
    mode: ImportMode,
    progress: &mut dyn FnMut(u64, u64),
) -> SdkResult<ImportReport> {
    let mut file = MediaFile::open(path)?;
    let track = file.video_track()?.clone();
    let mut report = ImportReport {
        container: file.container.name(),
        codec: track.codec,
        codec_string: track.codec_string.clone(),
        frames: track.samples.len(),
        keyframes: track.keyframes(),
        has_b_frames: track.has_reordering(),
        bytes: 0,
        warnings: file.warnings.clone(),
    };
    let total = track.samples.len() as u64;
    match mode {
        ImportMode::Asset => {
            let asset = AssetVideo::from_file(path)?;
            let timestamps = asset.read_frame_timestamps_nanos()?;
            report.bytes = asset.blob().len() as u64;
            rec.log_static(entity, &asset)?;
            rec.send_columns(
                entity,
                [TimeColumn::new_duration_nanos(
                    VIDEO_TIME,
                    timestamps.clone(),
                )?],
                VideoFrameReference::columns_from_nanos(&timestamps),
            )?;
            progress(total, total);
        }
        ImportMode::Stream => {
            let mut codec_row = VideoStream::new(track.codec);
            if let Ok(ts) = u32::try_from(track.timescale) {
                codec_row = codec_row.with_media_timescale(ts);
            }
            rec.log_static(entity, &codec_row)?;
            let timeline = TimelineName::new(VIDEO_TIME)?;
            for (i, s) in track.samples.iter().enumerate() {
                let data = file.read_sample(0, i)?;
                report.bytes += data.len() as u64;
                let pts = track.ticks_to_ns(s.pts);
                let mut row = VideoStream::from_sample(data)?.with_keyframe(s.is_keyframe);
                row.presentation_timestamp_ns = Some(pts);
                row.decode_timestamp_ns = s.dts.map(|d| track.ticks_to_ns(d));
                let mut time = TimePoint::default();
                time.insert(timeline.clone(), TimeCell::duration_nanos(pts));
                rec.log_at(entity.clone(), time, &row)?;
                if i % 64 == 0 {
                    progress(i as u64, total);
                }
            }
            progress(total, total);
        }
    }
    Ok(report)
}
