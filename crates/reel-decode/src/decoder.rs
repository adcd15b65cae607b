//! The decoder interface shared by every backend.

use std::collections::BTreeMap;

use reel_types::VideoCodec;

use crate::{DecodeError, DecodedFrame, Matrix};

/// Which implementation decodes a codec.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// openh264, in-process (H.264).
    OpenH264,
    /// libdav1d, in-process (AV1; the `dav1d` feature).
    Dav1d,
    /// rav1d, dav1d's Rust port, built in (AV1; the default `rav1d` feature).
    Rav1d,
    /// FFmpeg's libavcodec loaded in-process at run time (H.264, H.265,
    /// VP8, VP9; AV1 through its libdav1d) — where FFmpeg is installed.
    Libav,
    /// An `ffmpeg` child process fed through pipes (any codec).
    Ffmpeg,
}

impl std::fmt::Display for Backend {
    /// The name users know the decoder by.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::OpenH264 => "openh264",
            Self::Dav1d => "libdav1d",
            Self::Rav1d => "rav1d",
            Self::Libav => "FFmpeg's libavcodec",
            Self::Ffmpeg => "an ffmpeg process",
        })
    }
}

/// How a decoder trades delay for throughput.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecoderOptions {
    /// Each picture out as soon as its sample is in (live view), rather
    /// than decoding several frames in parallel (playback, export).
    pub low_latency: bool,
    /// Worker threads for backends that have them; 0: one per core.
    pub threads: usize,
}

impl Default for DecoderOptions {
    fn default() -> Self {
        Self {
            low_latency: true,
            threads: 0,
        }
    }
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

/// What [`Decoder::receive`] found.
#[derive(Debug)]
pub enum Output {
    /// The next picture, in presentation order.
    Picture(DecodedFrame),
    /// Pictures are owed and will come without more input, but are not
    /// ready yet: an asynchronous decoder is still working on them. Come
    /// back after [`Decoder::wait`] (native) or on a later UI frame (web).
    Later,
    /// Nothing ready: the next picture needs more samples, or [`Decoder::flush`].
    NeedInput,
}

/// Samples in (decode order), pictures out (presentation order), each with
/// the PTS of its sample.
///
/// Input and output are separate calls, as in libavcodec's
/// send/receive and the browser's WebCodecs `VideoDecoder` (`decode()`
/// queues a chunk; pictures arrive later through its output callback):
/// nothing may assume a sample's picture is out when [`send`](Self::send)
/// returns. A synchronous backend has it ready at once (or after more
/// samples, for reordering); an asynchronous one (the `ffmpeg` process, a
/// WebCodecs decoder) delivers it when it is done, and says
/// [`Output::Later`] meanwhile. A WebCodecs implementation maps `send` to
/// `decode()` with the PTS as the chunk's timestamp, queues the output
/// callback's `VideoFrame`s for `receive`, maps `flush` to `flush()`, `reset`
/// to `reset()`, and cannot block in `wait`.
///
/// A sample that fails returns [`DecodeError::Sample`] (from `send`, or from
/// `receive` when the failure is found later); the decoder then skips to the
/// next keyframe by itself, so one bad sample costs one GOP, not the stream.
pub trait Decoder: Send {
    /// The backend.
    fn backend(&self) -> Backend;
    /// Queues one sample for decoding.
    fn send(&mut self, sample: SampleIn<'_>) -> Result<(), DecodeError>;
    /// The next picture, if one is ready (never blocks).
    fn receive(&mut self) -> Result<Output, DecodeError>;
    /// End of stream: every picture held back for reordering becomes
    /// receivable; after the last one, `receive` says [`Output::NeedInput`]
    /// and the next sample must be a keyframe.
    fn flush(&mut self) -> Result<(), DecodeError>;
    /// Forgets all state (before seeking): the next sample must be a keyframe.
    fn reset(&mut self) -> Result<(), DecodeError>;
    /// Blocks until `receive` may have something new, at most `timeout`;
    /// whether it does. Synchronous backends never owe pictures and return
    /// at once.
    fn wait(&mut self, timeout: std::time::Duration) -> bool {
        let _ = timeout;
        false
    }

    /// Sends `sample` and returns the pictures ready now.
    fn decode(&mut self, sample: SampleIn<'_>) -> Result<Vec<DecodedFrame>, DecodeError> {
        self.send(sample)?;
        let mut out = Vec::new();
        while let Output::Picture(f) = self.receive()? {
            out.push(f);
        }
        Ok(out)
    }

    /// Flushes and returns every picture still to come, waiting for an
    /// asynchronous decoder (native callers only).
    fn finish(&mut self) -> Result<Vec<DecodedFrame>, DecodeError> {
        self.flush()?;
        let mut out = Vec::new();
        let mut idle = std::time::Duration::ZERO;
        loop {
            match self.receive()? {
                Output::Picture(f) => {
                    out.push(f);
                    idle = std::time::Duration::ZERO;
                }
                Output::NeedInput => return Ok(out),
                Output::Later => {
                    let step = std::time::Duration::from_millis(100);
                    if !self.wait(step) {
                        idle += step;
                    }
                    if idle >= MAX_SILENCE {
                        return Err(silent(self.backend()));
                    }
                }
            }
        }
    }
}

/// How long an asynchronous decoder may owe pictures without delivering
/// one before it counts as hung.
pub(crate) const MAX_SILENCE: std::time::Duration = std::time::Duration::from_secs(30);

pub(crate) fn silent(backend: Backend) -> DecodeError {
    DecodeError::Setup(format!(
        "{backend} owed pictures but delivered none for {} s",
        MAX_SILENCE.as_secs()
    ))
}

/// A backend that returns each sample's pictures from the call that takes
/// it (openh264, libdav1d, libavcodec): [`Synchronous`] gives it the
/// send/receive shape of [`Decoder`].
pub(crate) trait SyncDecoder: Send {
    fn backend(&self) -> Backend;
    /// Decodes one sample; returns the pictures that became ready.
    fn push(&mut self, sample: SampleIn<'_>) -> Result<Vec<DecodedFrame>, DecodeError>;
    /// Returns the pictures still held back for reordering (end of stream).
    fn flush(&mut self) -> Result<Vec<DecodedFrame>, DecodeError>;
    fn reset(&mut self) -> Result<(), DecodeError>;
}

/// A [`SyncDecoder`] behind [`Decoder`]: its pictures wait in a queue.
pub(crate) struct Synchronous<D> {
    inner: D,
    ready: std::collections::VecDeque<DecodedFrame>,
}

impl<D: SyncDecoder> Synchronous<D> {
    pub fn boxed(inner: D) -> Box<dyn Decoder>
    where
        D: 'static,
    {
        Box::new(Self {
            inner,
            ready: Default::default(),
        })
    }
}

impl<D: SyncDecoder> Decoder for Synchronous<D> {
    fn backend(&self) -> Backend {
        self.inner.backend()
    }

    fn send(&mut self, sample: SampleIn<'_>) -> Result<(), DecodeError> {
        let frames = self.inner.push(sample)?;
        self.ready.extend(frames);
        Ok(())
    }

    fn receive(&mut self) -> Result<Output, DecodeError> {
        Ok(self
            .ready
            .pop_front()
            .map_or(Output::NeedInput, Output::Picture))
    }

    fn flush(&mut self) -> Result<(), DecodeError> {
        let frames = self.inner.flush()?;
        self.ready.extend(frames);
        Ok(())
    }

    fn reset(&mut self) -> Result<(), DecodeError> {
        self.ready.clear();
        self.inner.reset()
    }
}

/// Samples sent to a decoder whose pictures have not come out yet: each
/// one's PTS by the tag it went in with (a sequence number, or a timestamp
/// the decoder hands back), so every picture is labelled with the sample
/// the decoder says it came from. A picture whose tag is unknown (a decoder
/// that lost it) takes the smallest PTS pending, as pictures leave in
/// presentation order.
#[derive(Default, Debug)]
pub(crate) struct PendingSamples {
    pts_by_tag: BTreeMap<i64, i64>,
    next_tag: i64,
}

impl PendingSamples {
    /// Samples remembered at most; the oldest tags are forgotten (their
    /// pictures were dropped), so a live stream's map stays small.
    const MAX: usize = 256;

    /// Remembers a sample under the next sequence number, which it returns.
    pub fn push(&mut self, pts: i64) -> i64 {
        let tag = self.next_tag;
        self.next_tag += 1;
        self.insert(tag, pts);
        tag
    }

    /// Remembers a sample under a tag of the caller's choosing.
    pub fn insert(&mut self, tag: i64, pts: i64) {
        self.pts_by_tag.insert(tag, pts);
        while self.pts_by_tag.len() > Self::MAX {
            self.pts_by_tag.pop_first();
        }
    }

    /// The PTS of the picture that came out with `tag` (`None`: the
    /// decoder gave none), forgetting its sample.
    pub fn take(&mut self, tag: Option<i64>) -> Option<i64> {
        if let Some(pts) = tag.and_then(|t| self.pts_by_tag.remove(&t)) {
            return Some(pts);
        }
        let (&tag, _) = self.pts_by_tag.iter().min_by_key(|(_, pts)| **pts)?;
        self.pts_by_tag.remove(&tag)
    }

    /// Forgets one sample (its packet was refused).
    pub fn forget(&mut self, tag: i64) {
        self.pts_by_tag.remove(&tag);
    }

    pub fn clear(&mut self) {
        self.pts_by_tag.clear();
    }
}

/// Any backend, with the color description of the stream stamped on its
/// pictures: read from each keyframe's headers (H.264/H.265 VUI, AV1 color
/// config, VP9 color space), so conversion to RGB uses the stream's matrix
/// and range whatever the backend reports.
pub(crate) struct WithColor {
    inner: Box<dyn Decoder>,
    codec: VideoCodec,
    color: Option<reel_video::bitstream::ColorInfo>,
}

impl WithColor {
    pub fn new(inner: Box<dyn Decoder>, codec: VideoCodec) -> Self {
        Self {
            inner,
            codec,
            color: None,
        }
    }

    fn stamp(&self, f: &mut DecodedFrame) {
        if let Some(color) = self.color {
            // A backend that knows better (a full-range pixel format) keeps it.
            f.full_range |= color.full_range;
            f.matrix = Matrix::from_code(color.matrix);
            f.primaries = color.primaries;
            f.transfer = color.transfer;
            f.chroma_location = color.chroma_location;
        }
    }
}

impl Decoder for WithColor {
    fn backend(&self) -> Backend {
        self.inner.backend()
    }

    fn send(&mut self, sample: SampleIn<'_>) -> Result<(), DecodeError> {
        if sample.is_keyframe
            && let Some(info) = reel_video::bitstream::stream_info(self.codec, sample.data)
        {
            self.color = Some(info.color);
        }
        self.inner.send(sample)
    }

    fn receive(&mut self) -> Result<Output, DecodeError> {
        let mut out = self.inner.receive()?;
        if let Output::Picture(f) = &mut out {
            self.stamp(f);
        }
        Ok(out)
    }

    fn flush(&mut self) -> Result<(), DecodeError> {
        self.inner.flush()
    }

    fn reset(&mut self) -> Result<(), DecodeError> {
        self.inner.reset()
    }

    fn wait(&mut self, timeout: std::time::Duration) -> bool {
        self.inner.wait(timeout)
    }
}

#[cfg(test)]
mod tests {
    use super::PendingSamples;

    #[test]
    fn pictures_take_their_own_samples_pts() {
        let mut p = PendingSamples::default();
        // Decode order I P B: the B picture comes out first, by its tag.
        let i = p.push(0);
        let pp = p.push(3000);
        let b = p.push(1000);
        assert_eq!(p.take(Some(i)), Some(0));
        assert_eq!(p.take(Some(b)), Some(1000));
        // A lost tag takes the smallest PTS pending.
        p.push(2000);
        assert_eq!(p.take(None), Some(2000));
        assert_eq!(p.take(Some(pp)), Some(3000));
        assert_eq!(p.take(Some(pp)), None);
        // A sample whose picture never came is forgotten past the bound.
        let dropped = p.push(5);
        for t in 0..PendingSamples::MAX as i64 {
            p.push(10 + t);
        }
        assert_eq!(
            p.take(Some(dropped)),
            Some(10),
            "tag gone: smallest left instead"
        );
    }
}
