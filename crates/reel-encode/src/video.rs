//! The video encoder interface and its settings.

use reel_types::{Image, VideoCodec};

use crate::{EncodeError, yuv};

/// Encoder settings shared by the codecs.
#[derive(Clone, Debug, PartialEq)]
pub struct EncoderSettings {
    /// H.264 or AV1.
    pub codec: VideoCodec,
    /// 1–100, higher is better and bigger; ignored when `bitrate` is set.
    pub quality: u8,
    /// Target bits per second instead of constant quality.
    pub bitrate: Option<u32>,
    /// A keyframe every this many frames (decoders can start there).
    pub keyframe_interval: u32,
    /// 0 (slowest, best) to 10 (fastest).
    pub speed: u8,
    /// Frame rate hint for rate control.
    pub fps: f32,
    /// Encoder threads (0: the encoder's choice).
    pub threads: usize,
}

impl EncoderSettings {
    /// Defaults for `codec`: quality 75, a keyframe every 60 frames, fast.
    pub fn new(codec: VideoCodec) -> Self {
        Self {
            codec,
            quality: 75,
            bitrate: None,
            keyframe_interval: 60,
            speed: 9,
            fps: 30.0,
            threads: 0,
        }
    }
}

/// One encoded sample, in reel's sample form (Annex B with SPS/PPS on
/// keyframes for H.264; OBUs with the sequence header on keyframes for AV1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EncodedPacket {
    /// The sample bytes.
    pub data: Vec<u8>,
    /// Whether it is a keyframe.
    pub is_keyframe: bool,
    /// Index of the input frame it encodes (0-based, in input order).
    pub frame_index: u64,
}

/// A video encoder: frames in, packets out in decode order.
///
/// Both encoders here are configured without frame reordering (no
/// B-frames), so packets come out in input order; AV1 may hold a few frames
/// back while it looks ahead.
pub trait VideoEncoder: Send {
    /// Encodes one frame; returns the packets that became ready.
    fn encode(&mut self, frame: &yuv::I420) -> Result<Vec<EncodedPacket>, EncodeError>;
    /// Encodes what is buffered and returns the remaining packets.
    fn finish(&mut self) -> Result<Vec<EncodedPacket>, EncodeError>;
}

/// Converts an image to the encoders' input, checking it against the stream size.
pub fn frame_from_image(
    image: &Image,
    stream_size: Option<(u32, u32)>,
) -> Result<yuv::I420, EncodeError> {
    let f = image.format();
    if let Some((w, h)) = stream_size
        && (w, h) != (f.width, f.height)
    {
        return Err(EncodeError::SizeChanged {
            want_w: w,
            want_h: h,
            got_w: f.width,
            got_h: f.height,
        });
    }
    yuv::to_i420(image)
}
