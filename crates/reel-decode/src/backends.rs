//! Choosing and creating a decoder for a stream.

use reel_types::VideoCodec;

use crate::DecodeError;
use crate::decoder::{Backend, Decoder};

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

/// A low-latency decoder for `codec` with `backend` (see
/// [`default_backend`]). `first_keyframe` lets the FFmpeg backend size its
/// output before the first picture.
pub fn new_decoder(
    codec: VideoCodec,
    backend: Backend,
    first_keyframe: &[u8],
) -> Result<Box<dyn Decoder>, DecodeError> {
    new_decoder_with(codec, backend, first_keyframe, true)
}

/// Like [`new_decoder`]; with `low_latency` false, backends that can trade
/// delay for throughput do (libdav1d decodes several frames in parallel).
pub fn new_decoder_with(
    codec: VideoCodec,
    backend: Backend,
    first_keyframe: &[u8],
    low_latency: bool,
) -> Result<Box<dyn Decoder>, DecodeError> {
    let _ = low_latency; // only the dav1d backend uses it
    match backend {
        Backend::OpenH264 if codec == VideoCodec::H264 => {
            Ok(Box::new(crate::openh264::OpenH264Decoder::new()?))
        }
        #[cfg(feature = "dav1d")]
        Backend::Dav1d if codec == VideoCodec::AV1 => {
            Ok(Box::new(crate::dav1d::Dav1dDecoder::new(low_latency)?))
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
