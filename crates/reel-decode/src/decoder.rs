//! The decoder interface shared by every backend.

use std::collections::BTreeMap;

use reel_types::VideoCodec;

use crate::{DecodeError, DecodedFrame, Matrix};

/// Which implementation decodes a codec.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// openh264, in-process (H.264).
    OpenH264,
    /// libdav1d, in-process (AV1; the `dav1d` feature).
    Dav1d,
    /// FFmpeg's libavcodec loaded in-process at run time (H.264, H.265,
    /// VP8, VP9; AV1 through its libdav1d) — where FFmpeg is installed.
    Libav,
    /// An `ffmpeg` child process fed through pipes (any codec).
    Ffmpeg,
}

/// How a decoder trades delay for throughput.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecoderOptions {
    /// Each picture out as soon as its sample is in (live view), rather
    /// than decoding several frames in parallel (playback, export).
    pub low_latency: bool,
    /// Worker threads for backends that have them; 0: one per core.
    pub threads: usize,
}

impl Default for DecoderOptions {
    fn default() -> Self {
        Self {
            low_latency: true,
            threads: 0,
        }
    }
}

/// One encoded sample, in reel's sample form, pushed in decode order.
#[derive(Clone, Copy, Debug)]
pub struct SampleIn<'a> {
    /// The bytes.
    pub data: &'a [u8],
    /// Presentation timestamp (any unit; frames come back with it).
    pub pts: i64,
    /// Whether decoding can start here.
    pub is_keyframe: bool,
}

/// Samples in (decode order), pictures out (presentation order), each with
/// the PTS of its sample.
///
/// A sample that fails returns [`DecodeError::Sample`]; the decoder then
/// skips to the next keyframe by itself, so one bad sample costs one GOP,
/// not the stream.
pub trait Decoder: Send {
    /// The backend.
    fn backend(&self) -> Backend;
    /// Decodes one sample; returns the pictures that became ready.
    fn push(&mut self, sample: SampleIn<'_>) -> Result<Vec<DecodedFrame>, DecodeError>;
    /// Returns the pictures still held back for reordering (end of stream).
    fn flush(&mut self) -> Result<Vec<DecodedFrame>, DecodeError>;
    /// Forgets all state (before seeking): the next sample must be a keyframe.
    fn reset(&mut self) -> Result<(), DecodeError>;
}

/// Presentation timestamps of samples sent but not yet returned as
/// pictures: decoders without timestamp plumbing return pictures in
/// presentation order, so each takes the smallest one pending.
#[derive(Default, Debug)]
pub(crate) struct PendingPts(BTreeMap<i64, usize>);

impl PendingPts {
    pub fn push(&mut self, pts: i64) {
        *self.0.entry(pts).or_default() += 1;
    }

    pub fn pop_smallest(&mut self) -> Option<i64> {
        let (&pts, n) = self.0.iter_mut().next()?;
        *n -= 1;
        if *n == 0 {
            self.0.remove(&pts);
        }
        Some(pts)
    }

    pub fn remove(&mut self, pts: i64) {
        if let Some(n) = self.0.get_mut(&pts) {
            *n -= 1;
            if *n == 0 {
                self.0.remove(&pts);
            }
        }
    }

    pub fn clear(&mut self) {
        self.0.clear();
    }
}

/// Any backend, with the color description of the stream stamped on its
/// pictures: read from each keyframe's headers (H.264/H.265 VUI, AV1 color
/// config, VP9 color space), so conversion to RGB uses the stream's matrix
/// and range whatever the backend reports.
pub(crate) struct WithColor {
    inner: Box<dyn Decoder>,
    codec: VideoCodec,
    color: Option<(bool, Matrix)>,
}

impl WithColor {
    pub fn new(inner: Box<dyn Decoder>, codec: VideoCodec) -> Self {
        Self {
            inner,
            codec,
            color: None,
        }
    }

    fn stamp(&self, mut frames: Vec<DecodedFrame>) -> Vec<DecodedFrame> {
        if let Some((full_range, matrix)) = self.color {
            for f in &mut frames {
                // A backend that knows better (a full-range pixel format) keeps it.
                f.full_range |= full_range;
                f.matrix = matrix;
            }
        }
        frames
    }
}

impl Decoder for WithColor {
    fn backend(&self) -> Backend {
        self.inner.backend()
    }

    fn push(&mut self, sample: SampleIn<'_>) -> Result<Vec<DecodedFrame>, DecodeError> {
        if sample.is_keyframe
            && let Some(info) = reel_video::bitstream::stream_info(self.codec, sample.data)
        {
            self.color = Some((info.color.full_range, Matrix::from_code(info.color.matrix)));
        }
        let frames = self.inner.push(sample)?;
        Ok(self.stamp(frames))
    }

    fn flush(&mut self) -> Result<Vec<DecodedFrame>, DecodeError> {
        let frames = self.inner.flush()?;
        Ok(self.stamp(frames))
    }

    fn reset(&mut self) -> Result<(), DecodeError> {
        self.inner.reset()
    }
}
