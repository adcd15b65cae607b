//! H.264 with openh264, in-process.
//!
//! reel gives openh264 only streams without frame reordering (see
//! `default_backend`), and has it flush after every sample: one sample in,
//! its picture out, no delay — the newest frame of a live stream shows as
//! soon as its sample arrives.

use openh264::OpenH264API;
use openh264::decoder::{DecodedYUV, Decoder as H264, DecoderConfig, Flush};
use openh264::formats::YUVSource;

use crate::DecodeError;
use crate::decoder::{Backend, PendingSamples, SampleIn, SyncDecoder};
use reel_types::picture::{ChromaLayout, DecodedFrame, Matrix};

/// openh264 behind [`Decoder`].
pub struct OpenH264Decoder {
    decoder: H264,
    pending: PendingSamples,
    /// After an error, samples are skipped until the next keyframe.
    waiting_for_keyframe: bool,
}

fn setup_err(e: impl std::fmt::Display) -> DecodeError {
    DecodeError::Setup(format!("openh264: {e}"))
}

fn new_raw() -> Result<H264, DecodeError> {
    let config = DecoderConfig::new().flush_after_decode(Flush::Flush);
    H264::with_api_config(OpenH264API::from_source(), config).map_err(setup_err)
}

fn copy_frame(yuv: &DecodedYUV<'_>, pts: i64) -> DecodedFrame {
    let (w, h) = yuv.dimensions();
    let (sy, su, sv) = yuv.strides();
    let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
    let plane = |data: &[u8], stride: usize, pw: usize, ph: usize| -> Vec<u8> {
        let mut out = crate::pool::buffer(pw * ph);
        for row in 0..ph {
            out.extend_from_slice(&data[row * stride..row * stride + pw]);
        }
        out
    };
    DecodedFrame {
        width: w as u32,
        height: h as u32,
        bit_depth: 8,
        layout: ChromaLayout::Yuv420,
        pts,
        planes: [
            plane(yuv.y(), sy, w, h).into(),
            plane(yuv.u(), su, cw, ch).into(),
            plane(yuv.v(), sv, cw, ch).into(),
        ],
        full_range: false,
        matrix: Matrix::Bt601,
        primaries: 2,
        transfer: 2,
        chroma_location: 0,
    }
}

impl OpenH264Decoder {
    /// A fresh decoder.
    pub fn new() -> Result<Self, DecodeError> {
        Ok(Self {
            decoder: new_raw()?,
            pending: PendingSamples::default(),
            waiting_for_keyframe: false,
        })
    }
}

impl SyncDecoder for OpenH264Decoder {
    fn backend(&self) -> Backend {
        Backend::OpenH264
    }

    fn push(&mut self, sample: SampleIn<'_>) -> Result<Vec<DecodedFrame>, DecodeError> {
        if self.waiting_for_keyframe {
            if !sample.is_keyframe {
                return Ok(Vec::new());
            }
            self.reset()?;
        }
        let tag = self.pending.push(sample.pts);
        match self.decoder.decode(sample.data) {
            Ok(Some(yuv)) => {
                // Flushed after every sample (and given only streams
                // without reordering): the picture is this sample's.
                self.pending.forget(tag);
                Ok(vec![copy_frame(&yuv, sample.pts)])
            }
            Ok(None) => Ok(Vec::new()),
            Err(e) => {
                self.pending.forget(tag);
                self.waiting_for_keyframe = true;
                Err(DecodeError::Sample {
                    codec: reel_types::VideoCodec::H264.to_string(),
                    pts: sample.pts,
                    message: e.to_string(),
                })
            }
        }
    }

    fn flush(&mut self) -> Result<Vec<DecodedFrame>, DecodeError> {
        let frames = self.decoder.flush_remaining().map_err(setup_err)?;
        let mut out = Vec::with_capacity(frames.len());
        for yuv in &frames {
            let pts = self.pending.take(None).unwrap_or_default();
            out.push(copy_frame(yuv, pts));
        }
        Ok(out)
    }

    fn reset(&mut self) -> Result<(), DecodeError> {
        self.decoder = new_raw()?;
        self.pending.clear();
        self.waiting_for_keyframe = false;
        Ok(())
    }
}
