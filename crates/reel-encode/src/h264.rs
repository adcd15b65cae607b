//! H.264 encoding with openh264 (built from its bundled source).
//!
//! openh264 encodes Constrained Baseline without B-frames: one frame in,
//! one access unit out, which is what live logging wants. Each IDR access
//! unit carries SPS and PPS, so every keyframe decodes on its own.

use openh264::OpenH264API;
use openh264::encoder::{
    BitRate, Complexity, Encoder, EncoderConfig, FrameRate, FrameType, IntraFramePeriod, QpRange,
    RateControlMode, SpsPpsStrategy, UsageType, VuiConfig,
};
use openh264::formats::YUVSource;

use crate::EncodeError;
use crate::video::{EncodedPacket, EncoderSettings, VideoEncoder};
use crate::yuv::I420;

/// openh264 behind the [`VideoEncoder`] interface.
pub struct H264Encoder {
    encoder: Encoder,
    frame_index: u64,
}

struct Planes<'a>(&'a I420);

impl YUVSource for Planes<'_> {
    fn dimensions(&self) -> (usize, usize) {
        (self.0.width as usize, self.0.height as usize)
    }
    fn strides(&self) -> (usize, usize, usize) {
        let cw = self.0.chroma_width();
        (self.0.width as usize, cw, cw)
    }
    fn y(&self) -> &[u8] {
        &self.0.y
    }
    fn u(&self) -> &[u8] {
        &self.0.u
    }
    fn v(&self) -> &[u8] {
        &self.0.v
    }
}

/// Quality 1–100 to an H.264 QP (51 worst … ~10 best), around QP 26 at 75.
fn qp_for_quality(quality: u8) -> u8 {
    (51.0 - f32::from(quality) * 0.33).round().clamp(10.0, 51.0) as u8
}

impl H264Encoder {
    /// An encoder for `width`x`height` frames (both even).
    pub fn new(settings: &EncoderSettings, width: u32, height: u32) -> Result<Self, EncodeError> {
        if !width.is_multiple_of(2) || !height.is_multiple_of(2) {
            return Err(EncodeError::OddSize {
                codec: "H.264",
                width,
                height,
            });
        }
        let qp = qp_for_quality(settings.quality);
        let complexity = match settings.speed {
            0..=3 => Complexity::High,
            4..=7 => Complexity::Medium,
            _ => Complexity::Low,
        };
        let mut config = EncoderConfig::new()
            .usage_type(UsageType::CameraVideoRealTime)
            .max_frame_rate(FrameRate::from_hz(settings.fps))
            .intra_frame_period(IntraFramePeriod::from_num_frames(
                settings.keyframe_interval,
            ))
            .complexity(complexity)
            .skip_frames(false)
            .scene_change_detect(false)
            .sps_pps_strategy(SpsPpsStrategy::ConstantId)
            .num_threads(u16::try_from(settings.threads).unwrap_or(0))
            .vui(VuiConfig::bt601());
        config = match settings.bitrate {
            Some(bps) => config
                .rate_control_mode(RateControlMode::Bitrate)
                .bitrate(BitRate::from_bps(bps)),
            None => config
                .rate_control_mode(RateControlMode::Quality)
                .qp(QpRange::new(
                    qp.saturating_sub(4),
                    qp.saturating_add(2).min(51),
                )),
        };
        let mut encoder =
            Encoder::with_api_config(OpenH264API::from_source(), config).map_err(|e| {
                EncodeError::Codec {
                    codec: "H.264",
                    message: e.to_string(),
                }
            })?;
        quiet_library_log(&mut encoder);
        Ok(Self {
            encoder,
            frame_index: 0,
        })
    }
}

/// OpenH264 logs warnings to stderr while it initialises, before the crate
/// applies the configured trace level ("[OpenH264] this = 0x…, Warning:
/// bEnableFrameSkip = 0, bitrate can't be controlled…" on every encode).
/// Quieting the library's log before the first frame keeps that from users;
/// encode errors still come back as `Err`.
fn quiet_library_log(encoder: &mut Encoder) {
    let mut level: i32 = openh264_sys2::WELS_LOG_QUIET;
    // SAFETY: the encoder pointer is valid for the encoder's lifetime and the
    // trace-level option takes a pointer to an int, read during the call.
    unsafe {
        encoder.raw_api().set_option(
            openh264_sys2::ENCODER_OPTION_TRACE_LEVEL,
            std::ptr::addr_of_mut!(level).cast(),
        );
    }
}

impl VideoEncoder for H264Encoder {
    fn encode(&mut self, frame: &I420) -> Result<Vec<EncodedPacket>, EncodeError> {
        let index = self.frame_index;
        self.frame_index += 1;
        let stream = self
            .encoder
            .encode(&Planes(frame))
            .map_err(|e| EncodeError::Codec {
                codec: "H.264",
                message: e.to_string(),
            })?;
        let is_keyframe = matches!(stream.frame_type(), FrameType::IDR);
        if matches!(stream.frame_type(), FrameType::Skip | FrameType::Invalid) {
            return Ok(Vec::new());
        }
        let data = stream.to_vec();
        if data.is_empty() {
            return Ok(Vec::new());
        }
        Ok(vec![EncodedPacket {
            data,
            is_keyframe,
            frame_index: index,
        }])
    }

    fn finish(&mut self) -> Result<Vec<EncodedPacket>, EncodeError> {
        // openh264 holds no frames back.
        Ok(Vec::new())
    }
}
