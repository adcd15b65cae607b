// The body of an AV1 decoder over the `dav1d` crate's API, which both
// libdav1d's binding (`dav1d`) and the built-in Rust port (`re_rav1d::dav1d`)
// offer. Included by `av1/mod.rs` once per implementation, after it names
// the API as `api` and the backend as `BACKEND`: one body, two decoders.

use api::{Decoder as Dav1d, Error as DavError, PixelLayout, PlanarImageComponent, Settings};

use crate::DecodeError;
use crate::decoder::{Backend, DecoderOptions, SampleIn, SyncDecoder};
use reel_types::picture::{ChromaLayout, DecodedFrame, Matrix};

/// The decoder behind [`crate::Decoder`]; pictures carry their sample's timestamp.
pub struct Dav1dDecoder {
    decoder: Dav1d,
}

fn setup_err(e: impl std::fmt::Display) -> DecodeError {
    DecodeError::Setup(format!("{BACKEND}: {e}"))
}

fn new_raw(options: DecoderOptions) -> Result<Dav1d, DecodeError> {
    let mut settings = Settings::new();
    if options.low_latency {
        // One frame of delay at most: a picture is out as soon as its sample is in.
        settings.set_max_frame_delay(1);
    }
    // Otherwise the decoder picks its frame delay: frame threads, more throughput.
    settings.set_n_threads(options.threads as u32);
    Dav1d::with_settings(&settings).map_err(setup_err)
}

fn copy_picture(p: &api::Picture) -> DecodedFrame {
    let depth = p.bit_depth() as u8;
    let mut frame = DecodedFrame {
        width: p.width(),
        height: p.height(),
        bit_depth: depth,
        layout: match p.pixel_layout() {
            PixelLayout::I400 => ChromaLayout::Mono,
            PixelLayout::I420 => ChromaLayout::Yuv420,
            PixelLayout::I422 => ChromaLayout::Yuv422,
            PixelLayout::I444 => ChromaLayout::Yuv444,
        },
        pts: p.timestamp().unwrap_or_default(),
        planes: Default::default(),
        full_range: false,
        matrix: Matrix::Bt601,
        primaries: 2,
        transfer: 2,
        chroma_location: 0,
    };
    let bytes = if depth > 8 { 2 } else { 1 };
    let (w, h, cw, ch) = (
        frame.width as usize,
        frame.height as usize,
        frame.chroma_width(),
        frame.chroma_height(),
    );
    let plane = |c: PlanarImageComponent, pw: usize, ph: usize| -> Vec<u8> {
        let mut out = crate::pool::buffer(pw * ph * bytes);
        if pw == 0 {
            return out; // monochrome: no chroma planes
        }
        let data = p.plane(c);
        let stride = p.stride(c) as usize;
        for row in 0..ph {
            out.extend_from_slice(&data[row * stride..row * stride + pw * bytes]);
        }
        out
    };
    frame.planes = [
        plane(PlanarImageComponent::Y, w, h).into(),
        plane(PlanarImageComponent::U, cw, ch).into(),
        plane(PlanarImageComponent::V, cw, ch).into(),
    ];
    frame
}

impl Dav1dDecoder {
    /// A fresh decoder; low latency trades frame threads for zero delay.
    pub fn new(options: DecoderOptions) -> Result<Self, DecodeError> {
        Ok(Self {
            decoder: new_raw(options)?,
        })
    }

    fn drain(&mut self, out: &mut Vec<DecodedFrame>) -> Result<(), DavError> {
        loop {
            match self.decoder.get_picture() {
                Ok(p) => out.push(copy_picture(&p)),
                Err(DavError::Again) => return Ok(()),
                Err(e) => return Err(e),
            }
        }
    }
}

impl SyncDecoder for Dav1dDecoder {
    fn backend(&self) -> Backend {
        BACKEND
    }

    fn push(&mut self, sample: SampleIn<'_>) -> Result<Vec<DecodedFrame>, DecodeError> {
        let err = |e: DavError| DecodeError::Sample {
            codec: "AV1".into(),
            pts: sample.pts,
            message: e.to_string(),
        };
        let mut out = Vec::new();
        let mut result = self
            .decoder
            .send_data(sample.data.to_vec(), None, Some(sample.pts), None);
        // The decoder takes data only after handing out pictures it holds.
        while let Err(DavError::Again) = result {
            self.drain(&mut out).map_err(err)?;
            result = self.decoder.send_pending_data();
        }
        result.map_err(err)?;
        self.drain(&mut out).map_err(err)?;
        Ok(out)
    }

    fn flush(&mut self) -> Result<Vec<DecodedFrame>, DecodeError> {
        let mut out = Vec::new();
        // Pictures still inside come out on repeated get_picture calls.
        for _ in 0..64 {
            let before = out.len();
            self.drain(&mut out).map_err(setup_err)?;
            if out.len() == before {
                break;
            }
        }
        Ok(out)
    }

    fn reset(&mut self) -> Result<(), DecodeError> {
        self.decoder.flush();
        Ok(())
    }
}
