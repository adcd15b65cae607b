//! Choosing and creating a decoder for a stream.

use reel_types::VideoCodec;

use crate::DecodeError;
use crate::decoder::{Backend, Decoder, DecoderOptions, Synchronous, WithColor};

/// The backend for a stream whose first keyframe is `keyframe`: the
/// fastest in-process decoder that decodes the stream exactly, the FFmpeg
/// process otherwise.
///
/// - FFmpeg's libavcodec in-process ([`Backend::Libav`]) wherever FFmpeg's
///   libraries are installed: it is what the `ffmpeg` command runs, so it
///   decodes every profile at FFmpeg's speed, without a pipe or lookahead.
/// - AV1: libdav1d with the `dav1d` feature first (it is also what
///   libavcodec would use); without FFmpeg, rav1d built in (the `rav1d`
///   feature), slower than libdav1d (see the README's decode figures) but
///   needing no system library.
/// - H.264 without FFmpeg: openh264 decodes 8-bit 4:2:0 progressive
///   streams without frame reordering bit-exactly (Constrained Baseline to
///   High). Measured on libx264's default High-profile output, it gets some
///   B-frames wrong (B-pyramid), so streams that may reorder frames (SPS
///   `max_num_reorder_frames` > 0), High 10, 4:2:2/4:4:4 and interlaced
///   streams go to the FFmpeg process.
pub fn default_backend(codec: VideoCodec, keyframe: &[u8]) -> Backend {
    if codec == VideoCodec::AV1 && cfg!(feature = "dav1d") {
        return Backend::Dav1d;
    }
    if crate::libav::available(codec) {
        return Backend::Libav;
    }
    if codec == VideoCodec::AV1 && cfg!(feature = "rav1d") {
        return Backend::Rav1d;
    }
    if codec == VideoCodec::H264 && openh264_decodes(keyframe) {
        return Backend::OpenH264;
    }
    Backend::Ffmpeg
}

/// Whether openh264 decodes the stream starting at `keyframe` exactly.
pub fn openh264_decodes(keyframe: &[u8]) -> bool {
    let (sps, _) = reel_video::bitstream::h264::parameter_sets(keyframe);
    sps.first()
        .and_then(|s| reel_video::bitstream::h264::Sps::parse(s).ok())
        .is_some_and(|s| {
            s.bit_depth_luma == 8
                && s.chroma_format_idc == 1
                && s.frame_mbs_only
                && s.max_num_reorder_frames == 0
        })
}

/// A low-latency decoder for `codec` with `backend` (see
/// [`default_backend`]). `first_keyframe` lets the FFmpeg backend size its
/// output before the first picture.
pub fn new_decoder(
    codec: VideoCodec,
    backend: Backend,
    first_keyframe: &[u8],
) -> Result<Box<dyn Decoder>, DecodeError> {
    new_decoder_with(codec, backend, first_keyframe, DecoderOptions::default())
}

/// Like [`new_decoder`], with the delay/throughput trade of `options`.
pub fn new_decoder_with(
    codec: VideoCodec,
    backend: Backend,
    first_keyframe: &[u8],
    options: DecoderOptions,
) -> Result<Box<dyn Decoder>, DecodeError> {
    let inner = backend_decoder(codec, backend, first_keyframe, options)?;
    tracing::info!("decoding {codec} with {backend}");
    Ok(Box::new(WithColor::new(inner, codec)))
}

fn backend_decoder(
    codec: VideoCodec,
    backend: Backend,
    first_keyframe: &[u8],
    options: DecoderOptions,
) -> Result<Box<dyn Decoder>, DecodeError> {
    match backend {
        Backend::OpenH264 if codec == VideoCodec::H264 => {
            Ok(Synchronous::boxed(crate::openh264::OpenH264Decoder::new()?))
        }
        #[cfg(feature = "dav1d")]
        Backend::Dav1d if codec == VideoCodec::AV1 => Ok(Synchronous::boxed(
            crate::av1::libdav1d::Dav1dDecoder::new(options)?,
        )),
        #[cfg(not(feature = "dav1d"))]
        Backend::Dav1d => Err(DecodeError::Setup(
            "this build of reel has no libdav1d (build with the `dav1d` feature)".into(),
        )),
        #[cfg(feature = "rav1d")]
        Backend::Rav1d if codec == VideoCodec::AV1 => Ok(Synchronous::boxed(
            crate::av1::rav1d::Dav1dDecoder::new(options)?,
        )),
        #[cfg(not(feature = "rav1d"))]
        Backend::Rav1d => Err(DecodeError::Setup(
            "this build of reel has no rav1d (build with the `rav1d` feature)".into(),
        )),
        Backend::Libav => Ok(Synchronous::boxed(crate::libav::LibavDecoder::new(
            codec, options,
        )?)),
        Backend::Ffmpeg => Ok(Box::new(crate::ffmpeg::FfmpegDecoder::new(
            codec,
            first_keyframe,
        )?)),
        other => Err(DecodeError::Setup(format!(
            "{other:?} cannot decode {codec}"
        ))),
    }
}
