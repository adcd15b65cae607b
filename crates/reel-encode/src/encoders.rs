//! Creating an encoder for a codec.

use reel_types::VideoCodec;

use crate::video::{EncoderSettings, VideoEncoder};
use crate::{EncodeError, av1::Av1Encoder, h264::H264Encoder};

/// An encoder for `settings.codec` sized for `width`x`height` frames.
pub fn new_encoder(
    settings: &EncoderSettings,
    width: u32,
    height: u32,
) -> Result<Box<dyn VideoEncoder>, EncodeError> {
    if width == 0 || height == 0 {
        return Err(EncodeError::InvalidSetting(format!(
            "frame size {width}x{height} is empty"
        )));
    }
    if !(1..=100).contains(&settings.quality) {
        return Err(EncodeError::InvalidSetting(format!(
            "quality {} is not within 1–100",
            settings.quality
        )));
    }
    if settings.keyframe_interval == 0 {
        return Err(EncodeError::InvalidSetting(
            "keyframe interval must be at least 1".into(),
        ));
    }
    match settings.codec {
        VideoCodec::H264 => Ok(Box::new(H264Encoder::new(settings, width, height)?)),
        VideoCodec::AV1 => Ok(Box::new(Av1Encoder::new(settings, width, height)?)),
        other => Err(EncodeError::InvalidSetting(format!(
            "no built-in {other} encoder (built in: H264, AV1); encode with ffmpeg and import the file"
        ))),
    }
}
