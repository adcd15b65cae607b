//! Decoder errors.

use thiserror::Error;

/// Why decoding failed.
#[allow(missing_docs)]
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// One sample could not be decoded; the decoder goes on at the next keyframe.
    ///
    /// The message leaves `pts` out: it is in the stream's units (a
    /// timeline's or nanoseconds), which only the caller can put in words,
    /// as `reel frame` does ("decoding the frame at 0.5s on time: …").
    #[error("the {codec} sample could not be decoded: {message}")]
    Sample {
        codec: String,
        pts: i64,
        message: String,
    },

    #[error(
        "FFmpeg is needed to decode {codec} but was not found ({detail}). Install FFmpeg 5.1 or newer (Debian/Ubuntu: `sudo apt-get install ffmpeg`; macOS: `brew install ffmpeg`) or point REEL_FFMPEG at an ffmpeg binary (in `reel view`: Settings, in the right panel, saved between runs)"
    )]
    FfmpegMissing { codec: String, detail: String },

    #[error(
        "FFmpeg {found} is too old to decode {codec}: reel needs 5.1 or newer (Debian 12 ships 5.1: `sudo apt-get install ffmpeg`), or point REEL_FFMPEG at a newer ffmpeg"
    )]
    FfmpegTooOld { codec: String, found: String },

    #[error("the FFmpeg decoder process failed: {0}")]
    Ffmpeg(String),

    #[error("cannot decode: {0}")]
    Setup(String),
}
