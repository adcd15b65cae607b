//! AV1 encoding with rav1e.
//!
//! Configured for low latency (no frame reordering); rav1e still looks a
//! few frames ahead, so packets may come out later than their frames: each
//! packet says which input frame it encodes. Keyframe packets carry the
//! sequence header, so every keyframe decodes on its own.

use rav1e::prelude::{
    ChromaSampling, Config, Context, EncoderConfig, EncoderStatus, FrameType, SpeedSettings,
};

use reel_video::bitstream::av1::parse_av1c;
use reel_video::container::CodecConfig;

use crate::EncodeError;
use crate::video::{EncodedPacket, EncoderSettings, VideoEncoder};
use crate::yuv::I420;

/// rav1e behind the [`VideoEncoder`] interface.
pub struct Av1Encoder {
    ctx: Context<u8>,
    /// The container configuration, whose sequence header keyframes get.
    config: CodecConfig,
    width: u32,
    height: u32,
}

/// Quality 1–100 to a rav1e quantizer (255 worst … 0 lossless-ish), 100 at 75.
fn quantizer_for_quality(quality: u8) -> usize {
    (255.0 - f32::from(quality) * 2.07)
        .round()
        .clamp(0.0, 255.0) as usize
}

fn err(e: impl std::fmt::Display) -> EncodeError {
    EncodeError::Codec {
        codec: "AV1",
        message: e.to_string(),
    }
}

impl Av1Encoder {
    /// An encoder for `width`x`height` frames (any size).
    pub fn new(settings: &EncoderSettings, width: u32, height: u32) -> Result<Self, EncodeError> {
        let mut enc = EncoderConfig::with_speed_preset(settings.speed.min(10));
        enc.width = width as usize;
        enc.height = height as usize;
        enc.bit_depth = 8;
        enc.chroma_sampling = ChromaSampling::Cs420;
        enc.low_latency = true;
        enc.min_key_frame_interval = u64::from(settings.keyframe_interval);
        enc.max_key_frame_interval = u64::from(settings.keyframe_interval);
        enc.quantizer = quantizer_for_quality(settings.quality);
        if let Some(bps) = settings.bitrate {
            enc.bitrate = i32::try_from(bps).unwrap_or(i32::MAX);
        }
        enc.time_base =
            rav1e::data::Rational::new(1000, (settings.fps * 1000.0).round().max(1.0) as u64);
        enc.speed_settings = SpeedSettings::from_preset(settings.speed.min(10));
        // rav1e runs tiles in parallel, but picks one tile for frames below
        // ~1080p and with `low_latency` it has no frame parallelism either:
        // a camera-sized stream would use one core. One tile per thread
        // (rav1e caps tiles by the frame's superblocks): on the demo's
        // 320x240 camera two tiles cost 2.5% in size and save ~25% of the
        // wall time on two cores.
        let threads = match settings.threads {
            0 => std::thread::available_parallelism().map_or(1, usize::from),
            n => n,
        };
        enc.tiles = threads.min(8);
        let cfg = Config::new()
            .with_encoder_config(enc)
            .with_threads(settings.threads);
        let ctx: Context<u8> = cfg.new_context().map_err(err)?;
        let sequence_header = parse_av1c(&ctx.container_sequence_header())
            .map_err(err)?
            .map(|(_, obu)| obu);
        Ok(Self {
            ctx,
            config: CodecConfig::Av1 { sequence_header },
            width,
            height,
        })
    }

    fn drain(&mut self, flushing: bool) -> Result<Vec<EncodedPacket>, EncodeError> {
        let mut out = Vec::new();
        loop {
            match self.ctx.receive_packet() {
                Ok(p) => {
                    let is_keyframe = p.frame_type == FrameType::KEY;
                    let data = if is_keyframe {
                        self.config.to_canonical(&p.data, true).map_err(err)?
                    } else {
                        p.data
                    };
                    out.push(EncodedPacket {
                        data,
                        is_keyframe,
                        frame_index: p.input_frameno,
                    });
                }
                Err(EncoderStatus::Encoded) => continue,
                Err(EncoderStatus::NeedMoreData) if !flushing => break,
                Err(EncoderStatus::LimitReached) | Err(EncoderStatus::NeedMoreData) => break,
                Err(e) => return Err(err(e)),
            }
        }
        Ok(out)
    }
}

impl VideoEncoder for Av1Encoder {
    fn encode(&mut self, frame: &I420) -> Result<Vec<EncodedPacket>, EncodeError> {
        if (frame.width, frame.height) != (self.width, self.height) {
            return Err(EncodeError::SizeChanged {
                want_w: self.width,
                want_h: self.height,
                got_w: frame.width,
                got_h: frame.height,
            });
        }
        let mut f = self.ctx.new_frame();
        let (w, cw) = (frame.width as usize, frame.chroma_width());
        f.planes[0].copy_from_raw_u8(&frame.y, w, 1);
        f.planes[1].copy_from_raw_u8(&frame.u, cw, 1);
        f.planes[2].copy_from_raw_u8(&frame.v, cw, 1);
        self.ctx.send_frame(f).map_err(err)?;
        self.drain(false)
    }

    fn finish(&mut self) -> Result<Vec<EncodedPacket>, EncodeError> {
        self.ctx.flush();
        self.drain(true)
    }
}
