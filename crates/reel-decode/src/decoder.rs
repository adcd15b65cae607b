//! The decoder interface shared by every backend.

use std::collections::BTreeMap;

use reel_types::VideoCodec;

use crate::{DecodeError, DecodedFrame};

/// Which implementation decodes a codec.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// openh264, in-process (H.264).
    OpenH264,
    /// libdav1d, in-process (AV1; the `dav1d` feature).
    Dav1d,
    /// An `ffmpeg` child process fed through pipes (any codec).
    Ffmpeg,
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

/// The backend for a stream whose first keyframe is `keyframe`:
/// in-process where reel has one that decodes the stream exactly, FFmpeg
/// otherwise.
///
/// openh264 decodes 8-bit 4:2:0 progressive H.264 without frame
/// reordering bit-exactly (Constrained Baseline to High). Measured on
/// libx264's default High-profile output, it gets some B-frames wrong
/// (B-pyramid), so streams that may reorder frames (SPS
/// `max_num_reorder_frames` > 0), High 10, 4:2:2/4:4:4 and interlaced
/// streams go to FFmpeg.
pub fn default_backend(codec: VideoCodec, keyframe: &[u8]) -> Backend {
    match codec {
        VideoCodec::H264 => {
            let (sps, _) = reel_video::bitstream::h264::parameter_sets(keyframe);
            let supported = sps
                .first()
                .and_then(|s| reel_video::bitstream::h264::Sps::parse(s).ok())
                .is_some_and(|s| {
                    s.bit_depth_luma == 8
                        && s.chroma_format_idc == 1
                        && s.frame_mbs_only
                        && s.max_num_reorder_frames == 0
                });
            if supported {
                Backend::OpenH264
            } else {
                Backend::Ffmpeg
            }
        }
        VideoCodec::AV1 if cfg!(feature = "dav1d") => Backend::Dav1d,
        _ => Backend::Ffmpeg,
    }
}

/// A decoder for `codec` with `backend` (see [`default_backend`]).
/// `first_keyframe` lets the FFmpeg backend size its output before the
/// first picture.
pub fn new_decoder(
    codec: VideoCodec,
    backend: Backend,
    first_keyframe: &[u8],
) -> Result<Box<dyn Decoder>, DecodeError> {
    match backend {
        Backend::OpenH264 if codec == VideoCodec::H264 => {
            Ok(Box::new(crate::openh264::OpenH264Decoder::new()?))
        }
        #[cfg(feature = "dav1d")]
        Backend::Dav1d if codec == VideoCodec::AV1 => {
            Ok(Box::new(crate::dav1d::Dav1dDecoder::new()?))
        }
        Backend::Ffmpeg => Ok(Box::new(crate::ffmpeg::FfmpegDecoder::new(
            codec,
            first_keyframe,
        )?)),
        other => Err(DecodeError::Setup(format!(
            "{other:?} cannot decode {codec}"
        ))),
    }
}
