//! libavcodec behind [`Decoder`].

use std::ffi::c_int;
use std::ptr;
use std::sync::Arc;

use reel_types::VideoCodec;

use super::{
    Api, AvFrameHead, AvFrameTimesV59, AvFrameTimesV62, AvPacketHead, ERROR_EOF, NO_PTS, Opaque,
    PADDING, api, error_text, find_decoder, set_option,
};
use crate::DecodeError;
use crate::decoder::{Backend, DecoderOptions, PendingSamples, SampleIn, SyncDecoder};
use reel_types::picture::{ChromaLayout, DecodedFrame, Matrix, PlaneData, SharedPlane};

/// A reference to a frame libavcodec returned: its buffers stay allocated
/// and unchanged (libavcodec never writes a frame it has output) until the
/// last plane lent from it is dropped.
struct HeldFrame {
    api: &'static Api,
    frame: *mut AvFrameHead,
}

// SAFETY: the frame is only read after the clone, and av_frame_free drops
// reference-counted buffers with atomic counts, from any thread.
unsafe impl Send for HeldFrame {}
unsafe impl Sync for HeldFrame {}

impl Drop for HeldFrame {
    fn drop(&mut self) {
        // SAFETY: `frame` came from av_frame_clone and is freed once.
        unsafe { (self.api.av_frame_free)(&mut self.frame) };
    }
}

/// One plane of a [`HeldFrame`], rows back to back.
struct LentPlane {
    frame: Arc<HeldFrame>,
    plane: usize,
    len: usize,
}

impl SharedPlane for LentPlane {
    fn bytes(&self) -> &[u8] {
        // SAFETY: checked when lent: the plane holds `len` bytes (its rows
        // without gaps), alive while `frame` is.
        unsafe { std::slice::from_raw_parts((*self.frame.frame).data[self.plane], self.len) }
    }
}

/// `AVERROR(EAGAIN)`: the decoder wants the other call first.
const ERROR_AGAIN: c_int = if cfg!(target_os = "macos") { -35 } else { -11 };

/// An open libavcodec decoder.
pub struct LibavDecoder {
    api: &'static Api,
    codec: VideoCodec,
    ctx: *mut Opaque,
    packet: *mut Opaque,
    frame: *mut AvFrameHead,
    /// Samples in flight, by the tag their packets carry in `pts`.
    pending: PendingSamples,
    /// After an error, samples are skipped until the next keyframe.
    waiting_for_keyframe: bool,
    /// After a drain libavcodec takes no input until flushed.
    drained: bool,
}

// SAFETY: the context, packet and frame belong to this decoder alone and are
// only touched through `&mut self`; libavcodec contexts may move between
// threads (its own worker threads are internal).
unsafe impl Send for LibavDecoder {}

fn setup_err(e: impl std::fmt::Display) -> DecodeError {
    DecodeError::Setup(format!("libavcodec: {e}"))
}

impl LibavDecoder {
    /// Opens FFmpeg's decoder for `codec`.
    pub fn new(codec: VideoCodec, options: DecoderOptions) -> Result<Self, DecodeError> {
        let api = api().map_err(setup_err)?;
        let av_codec = find_decoder(api, codec)
            .ok_or_else(|| setup_err(format!("this FFmpeg has no {codec} decoder")))?;
        // SAFETY: each pointer is checked before use; `Drop` frees what was
        // allocated if a later step fails.
        unsafe {
            let d = Self {
                api,
                codec,
                ctx: (api.avcodec_alloc_context3)(av_codec),
                packet: (api.av_packet_alloc)(),
                frame: (api.av_frame_alloc)(),
                pending: PendingSamples::default(),
                waiting_for_keyframe: false,
                drained: false,
            };
            if d.ctx.is_null() || d.packet.is_null() || d.frame.is_null() {
                return Err(setup_err("out of memory"));
            }
            let threads = if options.threads == 0 {
                "auto".to_owned()
            } else {
                options.threads.to_string()
            };
            set_option(api, d.ctx, "threads", &threads).map_err(setup_err)?;
            if options.low_latency {
                // Slice threads add no delay; frame threads hold one frame
                // per thread back.
                set_option(api, d.ctx, "thread_type", "slice").map_err(setup_err)?;
                if codec == VideoCodec::AV1 {
                    // libdav1d's frame delay: 1 with the low-delay flag
                    // (FFmpeg 5.1's wrapper reads that; `max_frame_delay`
                    // is an option only in newer ones). H.264/H.265 must not
                    // get the flag: it would break B-frame order.
                    set_option(api, d.ctx, "flags", "+low_delay").map_err(setup_err)?;
                    let _ = set_option(api, d.ctx, "max_frame_delay", "1");
                }
            }
            let r = (api.avcodec_open2)(d.ctx, av_codec, ptr::null_mut());
            if r < 0 {
                return Err(setup_err(error_text(api, r)));
            }
            Ok(d)
        }
    }

    fn sample_err(&mut self, pts: i64, code: c_int) -> DecodeError {
        self.waiting_for_keyframe = true;
        DecodeError::Sample {
            codec: self.codec.to_string(),
            pts,
            message: error_text(self.api, code),
        }
    }

    /// Hands one packet (or the end of input, `None`) to libavcodec,
    /// tagged with `tag` in its `pts`.
    fn send(&mut self, data: Option<&[u8]>, tag: i64) -> c_int {
        let api = self.api;
        // SAFETY: the buffer comes from av_malloc with the zeroed padding
        // libavcodec reads past the end; av_packet_from_data takes it over
        // (or we free it), and the packet is unreferenced after sending
        // (libavcodec keeps its own reference).
        unsafe {
            let Some(data) = data else {
                return (api.avcodec_send_packet)(self.ctx, ptr::null());
            };
            if data.len() > (c_int::MAX as usize) - PADDING {
                return -22; // EINVAL: larger than an AVPacket holds
            }
            let buf = (api.av_malloc)(data.len() + PADDING).cast::<u8>();
            if buf.is_null() {
                return -12; // ENOMEM
            }
            ptr::copy_nonoverlapping(data.as_ptr(), buf, data.len());
            ptr::write_bytes(buf.add(data.len()), 0, PADDING);
            let r = (api.av_packet_from_data)(self.packet, buf, data.len() as c_int);
            if r < 0 {
                (api.av_free)(buf.cast());
                return r;
            }
            (*self.packet.cast::<AvPacketHead>()).pts = tag;
            let r = (api.avcodec_send_packet)(self.ctx, self.packet);
            (api.av_packet_unref)(self.packet);
            r
        }
    }

    /// Takes every picture libavcodec has ready.
    fn receive(&mut self, out: &mut Vec<DecodedFrame>, pts: i64) -> Result<(), DecodeError> {
        loop {
            // SAFETY: ctx and frame are live; the frame is unreferenced
            // after copying.
            let r = unsafe { (self.api.avcodec_receive_frame)(self.ctx, self.frame) };
            if r == ERROR_AGAIN || r == ERROR_EOF {
                return Ok(());
            }
            if r < 0 {
                return Err(self.sample_err(pts, r));
            }
            // SAFETY: a received frame's planes hold `height` rows of
            // `linesize` bytes (chroma: its subsampled height).
            let frame = unsafe { picture_of(self.api, &*self.frame) };
            let tag = unsafe { self.frame_tag() };
            unsafe { (self.api.av_frame_unref)(self.frame) };
            let frame_pts = self.pending.take(Some(tag)).unwrap_or(pts);
            match frame {
                Ok(mut f) => {
                    f.pts = frame_pts;
                    out.push(f);
                }
                Err(message) => {
                    return Err(DecodeError::Sample {
                        codec: self.codec.to_string(),
                        pts: frame_pts,
                        message,
                    });
                }
            }
        }
    }

    /// The tag of the picture just received (`AVFrame.pts`).
    ///
    /// # Safety
    /// `self.frame` holds a received picture.
    unsafe fn frame_tag(&self) -> i64 {
        // SAFETY: both layouts are AVFrame's leading fields in the library
        // versions they are read for.
        unsafe {
            if self.api.major >= 62 {
                (*self.frame.cast::<AvFrameTimesV62>()).pts
            } else {
                (*self.frame.cast::<AvFrameTimesV59>()).pts
            }
        }
    }
}

/// How a libavutil pixel format is laid out, by its name.
struct Layout {
    bit_depth: u8,
    chroma: ChromaLayout,
    full_range: bool,
}

fn layout(name: &str) -> Option<Layout> {
    let (chroma, full_range, depth) = if let Some(depth) = name.strip_prefix("gray") {
        (ChromaLayout::Mono, false, depth)
    } else {
        let (rest, full_range) = match name.strip_prefix("yuvj") {
            Some(r) => (r, true),
            None => (name.strip_prefix("yuv")?, false),
        };
        let (sampling, depth) = rest.split_at_checked(4)?;
        let chroma = match sampling {
            "420p" => ChromaLayout::Yuv420,
            "422p" => ChromaLayout::Yuv422,
            "444p" => ChromaLayout::Yuv444,
            _ => return None,
        };
        (chroma, full_range, depth)
    };
    let bit_depth = match depth {
        "" => 8,
        "10le" => 10,
        "12le" => 12,
        _ => return None,
    };
    Some(Layout {
        bit_depth,
        chroma,
        full_range,
    })
}

/// A picture in its own chroma layout and bit depth: its planes lent by
/// libavcodec when their rows have no gaps, copied otherwise.
///
/// # Safety
/// `f` is a frame libavcodec just returned.
unsafe fn picture_of(api: &'static Api, f: &AvFrameHead) -> Result<DecodedFrame, String> {
    // SAFETY: libavutil returns a static name or null.
    let name_ptr = unsafe { (api.av_get_pix_fmt_name)(f.format) };
    let name = if name_ptr.is_null() {
        format!("#{}", f.format)
    } else {
        unsafe { std::ffi::CStr::from_ptr(name_ptr) }
            .to_string_lossy()
            .into_owned()
    };
    let l = layout(&name).ok_or_else(|| {
        format!("pixel format {name} is not supported (reel takes planar YUV or gray, 8–12 bits)")
    })?;
    let mut frame = DecodedFrame {
        width: f.width as u32,
        height: f.height as u32,
        bit_depth: l.bit_depth,
        layout: l.chroma,
        pts: 0,
        planes: Default::default(),
        full_range: l.full_range,
        matrix: Matrix::Bt601,
        primaries: 2,
        transfer: 2,
        chroma_location: 0,
    };
    let bps = if l.bit_depth > 8 { 2 } else { 1 };
    let sizes = [
        (frame.width as usize, frame.height as usize),
        (frame.chroma_width(), frame.chroma_height()),
        (frame.chroma_width(), frame.chroma_height()),
    ];
    // Rows back to back — the usual case: libavcodec aligns rows to 32 or
    // 64 bytes, and 720p/1080p rows are multiples — the picture holds a
    // reference to libavcodec's buffers instead of a copy.
    let contiguous = sizes
        .iter()
        .enumerate()
        .all(|(p, (pw, ph))| pw * ph == 0 || f.linesize[p] as usize == pw * bps);
    if contiguous {
        // SAFETY: `f` is a valid frame; the clone references its buffers.
        let held = unsafe { (api.av_frame_clone)(f) };
        if !held.is_null() {
            let held = Arc::new(HeldFrame { api, frame: held });
            for (plane, (pw, ph)) in sizes.into_iter().enumerate() {
                if pw * ph > 0 {
                    frame.planes[plane] = PlaneData::shared(Arc::new(LentPlane {
                        frame: held.clone(),
                        plane,
                        len: pw * ph * bps,
                    }));
                }
            }
            return Ok(frame);
        }
    }
    for (plane, (pw, ph)) in sizes.into_iter().enumerate() {
        let mut out = crate::pool::buffer(pw * ph * bps);
        for y in 0..ph {
            // SAFETY: see the function's contract; each plane holds `ph`
            // rows of `linesize` bytes, at least `pw` samples wide.
            out.extend_from_slice(unsafe {
                std::slice::from_raw_parts(
                    f.data[plane].offset(y as isize * f.linesize[plane] as isize),
                    pw * bps,
                )
            });
        }
        frame.planes[plane] = out.into();
    }
    Ok(frame)
}

impl SyncDecoder for LibavDecoder {
    fn backend(&self) -> Backend {
        Backend::Libav
    }

    fn push(&mut self, sample: SampleIn<'_>) -> Result<Vec<DecodedFrame>, DecodeError> {
        if self.waiting_for_keyframe || self.drained {
            if self.waiting_for_keyframe && !sample.is_keyframe {
                return Ok(Vec::new());
            }
            self.reset()?;
        }
        let tag = self.pending.push(sample.pts);
        let mut out = Vec::new();
        let mut r = self.send(Some(sample.data), tag);
        if r == ERROR_AGAIN {
            // Output first, then the packet goes in.
            self.receive(&mut out, sample.pts)?;
            r = self.send(Some(sample.data), tag);
        }
        if r < 0 {
            self.pending.forget(tag);
            return Err(self.sample_err(sample.pts, r));
        }
        self.receive(&mut out, sample.pts)?;
        Ok(out)
    }

    fn flush(&mut self) -> Result<Vec<DecodedFrame>, DecodeError> {
        let mut out = Vec::new();
        if !self.drained {
            self.drained = true;
            let r = self.send(None, NO_PTS);
            if r < 0 && r != ERROR_EOF {
                return Err(setup_err(error_text(self.api, r)));
            }
            self.receive(&mut out, 0)?;
        }
        self.pending.clear();
        Ok(out)
    }

    fn reset(&mut self) -> Result<(), DecodeError> {
        // SAFETY: ctx is live.
        unsafe { (self.api.avcodec_flush_buffers)(self.ctx) };
        self.pending.clear();
        self.waiting_for_keyframe = false;
        self.drained = false;
        Ok(())
    }
}

impl Drop for LibavDecoder {
    fn drop(&mut self) {
        // SAFETY: each free function takes a pointer to the pointer and
        // accepts null.
        unsafe {
            (self.api.av_frame_free)(&mut self.frame);
            (self.api.av_packet_free)(&mut self.packet);
            (self.api.avcodec_free_context)(&mut self.ctx);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::layout;
    use reel_types::picture::ChromaLayout;

    #[test]
    fn pixel_formats_by_name() {
        let l = layout("yuv420p10le").unwrap();
        assert_eq!(
            (l.bit_depth, l.chroma, l.full_range),
            (10, ChromaLayout::Yuv420, false)
        );
        let l = layout("yuvj422p").unwrap();
        assert_eq!(
            (l.bit_depth, l.chroma, l.full_range),
            (8, ChromaLayout::Yuv422, true)
        );
        let l = layout("gray10le").unwrap();
        assert_eq!((l.bit_depth, l.chroma), (10, ChromaLayout::Mono));
        assert!(layout("nv12").is_none());
        assert!(layout("yuv420p16be").is_none());
    }
}
