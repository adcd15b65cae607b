//! Video containers and bitstreams: take any common video file apart into
//! samples and put samples back into an MP4 — without re-encoding, with
//! B-frames kept.
//!
//! - [`container`]: demux MP4 (plain, fragmented, QuickTime), Matroska/WebM
//!   and IVF into tracks and samples with DTS, PTS, duration, keyframe flag
//!   and byte range; the index is read without loading the file.
//! - [`bitstream`]: H.264/H.265 parameter sets, AV1 sequence headers, VP8/VP9
//!   frame headers, keyframe detection, Annex B ↔ length-prefixed.
//! - [`mux`]: write an MP4 (plain or fragmented) from `VideoStream` samples.
//!
//! Design decisions:
//! - **reel's sample form is codec-native and self-contained**: Annex B
//!   with parameter sets on keyframes (H.264/H.265), OBUs with the sequence
//!   header on keyframes (AV1), frames (VP8/VP9) — what a decoder or
//!   WebCodecs takes, independent of the container it came from.
//! - **Timestamps follow FFmpeg**: edit lists applied as FFmpeg applies
//!   them, so every number agrees with `ffprobe`, the tool users check with.
//! - **No process, no GUI**: this crate reads and writes bytes; decoding
//!   lives elsewhere, so the SDK can depend on it and stay light.
#![deny(missing_docs)]

pub mod bitstream;
pub mod container;
mod error;
pub mod mux;

pub use container::{ContainerKind, MediaFile, SampleData, SampleInfo, VideoTrack};
pub use error::VideoError;

use reel_types::AssetVideo;

/// Frame timestamps of an [`AssetVideo`], as the reference page's
/// `read_frame_timestamps_nanos` utility.
pub trait AssetVideoExt {
    /// The presentation timestamps of all frames of the first video track,
    /// in nanoseconds, sorted — the video times to log
    /// `VideoFrameReference`s at.
    fn read_frame_timestamps_nanos(&self) -> Result<Vec<i64>, VideoError>;
}

impl AssetVideoExt for AssetVideo {
    fn read_frame_timestamps_nanos(&self) -> Result<Vec<i64>, VideoError> {
        let file = MediaFile::from_reader(
            std::io::Cursor::new(self.blob().clone()),
            format!("AssetVideo ({})", self.media_type()),
        )?;
        Ok(file.video_track()?.frame_timestamps_ns())
    }
}

/// Frame timestamps of a video file on disk, reading only its index.
pub fn read_frame_timestamps_nanos(
    path: impl AsRef<std::path::Path>,
) -> Result<Vec<i64>, VideoError> {
    Ok(MediaFile::open(path)?.video_track()?.frame_timestamps_ns())
}
