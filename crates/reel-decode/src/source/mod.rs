//! Frame at time: a seek index over a stream's samples, decoding from the
//! right keyframe, and a decoded-frame cache under a memory budget.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::task::Poll;

use reel_types::{Blob, VideoCodec};

use crate::backends::{default_backend, new_decoder_with};
use crate::decoder::{Backend, Decoder, DecoderOptions, MAX_SILENCE, Output, SampleIn, silent};
use crate::gop_parallel::GroupDecoders;

mod cache;
mod in_order;

use crate::{DecodeError, DecodedFrame};
use cache::FrameCache;

/// Default decoded-frame cache budget: 512 MiB.
pub const DEFAULT_CACHE_BYTES: usize = 512 << 20;

/// Bytes of frames behind the playhead a cache keeps until one of them is
/// asked for again after it was evicted (about 23 frames of 720p): from
/// then on it keeps twice as many each time, up to its whole budget.
pub const HISTORY_FLOOR_BYTES: usize = 32 << 20;

/// One sample of a stream, in decode order.
#[derive(Clone, Debug)]
pub struct StreamSample {
    /// The bytes, shared: a sample read from a recording is a slice of the
    /// chunk's Arrow buffer, not a copy.
    pub data: Blob,
    /// Presentation time (timeline units or ns; frames are looked up by it).
    pub pts: i64,
    /// Whether decoding can start here.
    pub is_keyframe: bool,
}

/// Counters for tests and benchmarks.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct SourceStats {
    /// Samples pushed into a decoder.
    pub samples_decoded: u64,
    /// Times decoding restarted at a keyframe.
    pub seeks: u64,
    /// Lookups answered from the cache.
    pub cache_hits: u64,
    /// Sample bytes read through a [`SampleReader`] (lazily read sources).
    pub bytes_read: u64,
    /// Times a lookup waited for an asynchronous decoder to deliver
    /// pictures it owed (the `ffmpeg` process; never for in-process ones).
    pub waits: u64,
    /// Seconds spent handing samples to the decoder and taking its
    /// pictures: `samples_decoded / decode_seconds` is its speed (the
    /// source's own decoder; groups on worker threads are not timed).
    pub decode_seconds: f64,
    /// Groups of pictures given to worker threads while reading in order.
    pub groups: u64,
}

/// Reads the bytes of samples that were appended without them
/// ([`FrameSource::append_lazy`]), when a decoder needs them: a video file
/// is then read one GOP at a time instead of whole.
pub trait SampleReader: Send {
    /// The bytes of sample `index` (decode order), in the decoder's format.
    fn read(&mut self, index: usize) -> Result<Blob, DecodeError>;
}

/// A sample as the source keeps it: its bytes, or where to read them.
struct SampleSlot {
    /// `None`: read through the source's [`SampleReader`] when needed.
    data: Option<Blob>,
    pts: i64,
    is_keyframe: bool,
}

/// What decoding up to one frame found.
enum Lookup {
    Frame(Arc<DecodedFrame>),
    /// The newest decoded frame of a live stream (the one asked for is still
    /// held back by the decoder).
    Live(Option<Arc<DecodedFrame>>),
    /// Its sample yielded no picture.
    NoPicture(i64),
    /// An asynchronous decoder still owes the picture.
    Pending,
}

/// Frames of one video stream by presentation time.
///
/// Samples are appended in decode order (a live stream keeps appending);
/// [`frame_at`](Self::frame_at) returns the frame shown at a time — the one
/// with the latest PTS ≤ t — decoding from the keyframe before it only when
/// the decoder is not already on its way there, and caching decoded frames
/// (those behind the playhead as far as they are asked for again, see
/// [`HISTORY_FLOOR_BYTES`]), so scrubbing backwards within cached frames
/// decodes nothing.
pub struct FrameSource {
    codec: VideoCodec,
    /// Chosen from the first keyframe when `None`.
    backend: Option<Backend>,
    samples: Vec<SampleSlot>,
    /// Where the bytes of lazily appended samples come from.
    reader: Option<Box<dyn SampleReader>>,
    /// Bytes of appended samples to keep (a live stream's window).
    sample_budget: Option<usize>,
    /// Bytes of appended samples held, and the first sample still holding
    /// its bytes (those before it let them go).
    held_bytes: usize,
    held_from: usize,
    /// (pts, sample index), sorted.
    by_pts: Vec<(i64, usize)>,
    decoder: Option<Box<dyn Decoder>>,
    /// Next sample to push, and the keyframe the decoder started from.
    next: usize,
    started_at: Option<usize>,
    /// PTS pushed since the last restart whose pictures have not come out yet
    /// (decoders that reorder, and the FFmpeg process, hold some back).
    in_flight: BTreeSet<i64>,
    options: DecoderOptions,
    open_ended: bool,
    /// The decoder was told the samples ended and is handing out the rest.
    flushing: bool,
    cache: FrameCache,
    stats: SourceStats,
    /// Groups of pictures decoded side by side while the stream is read in
    /// order (see `gop_parallel`); created at the first such lookup.
    groups: Option<GroupDecoders>,
    /// The stream or this machine cannot use them.
    groups_off: bool,
    /// One past the last sample of the group last served from a worker: a
    /// lookup at that keyframe reads on in order.
    last_group_end: Option<usize>,
}

impl FrameSource {
    /// A source for `codec` with the default backend for the stream (see
    /// [`default_backend`]) and the default cache budget.
    pub fn new(codec: VideoCodec) -> Self {
        Self::with_options(codec, None, DEFAULT_CACHE_BYTES)
    }

    /// A source with a chosen backend (or `None`: the default) and cache budget (bytes).
    pub fn with_options(codec: VideoCodec, backend: Option<Backend>, cache_bytes: usize) -> Self {
        Self {
            codec,
            backend,
            samples: Vec::new(),
            reader: None,
            sample_budget: None,
            held_bytes: 0,
            held_from: 0,
            by_pts: Vec::new(),
            decoder: None,
            next: 0,
            started_at: None,
            in_flight: BTreeSet::new(),
            options: DecoderOptions::default(),
            open_ended: false,
            flushing: false,
            cache: FrameCache::new(cache_bytes),
            stats: SourceStats::default(),
            groups: None,
            groups_off: false,
            last_group_end: None,
        }
    }

    /// Adds the next sample (decode order).
    pub fn append(&mut self, sample: StreamSample) {
        self.push_slot(SampleSlot {
            data: Some(sample.data),
            pts: sample.pts,
            is_keyframe: sample.is_keyframe,
        });
    }

    /// Adds the next sample (decode order) without its bytes: the reader
    /// set with [`set_reader`](Self::set_reader) reads them when a decoder
    /// needs them.
    pub fn append_lazy(&mut self, pts: i64, is_keyframe: bool) {
        self.push_slot(SampleSlot {
            data: None,
            pts,
            is_keyframe,
        });
    }

    /// Where the bytes of samples appended with
    /// [`append_lazy`](Self::append_lazy) come from.
    pub fn set_reader(&mut self, reader: Box<dyn SampleReader>) {
        self.reader = Some(reader);
    }

    /// Keeps at most about `bytes` of the bytes of appended samples (`None`:
    /// all): a live stream then holds a window behind its newest sample,
    /// whole groups of pictures let go oldest first. Never the group the
    /// decoder is in, nor the newest one. With a [`SampleReader`] the bytes
    /// are read again when needed; without one, frames behind the window
    /// can no longer be decoded (`frame_at` says so).
    pub fn set_sample_budget(&mut self, bytes: Option<usize>) {
        self.sample_budget = bytes;
        self.let_go_behind_window();
    }

    /// Bytes of appended samples held in memory.
    pub fn held_sample_bytes(&self) -> usize {
        self.held_bytes
    }

    fn let_go_behind_window(&mut self) {
        let Some(budget) = self.sample_budget else {
            return;
        };
        // Groups before the one the decoder is in (where it will push next)
        // and before the newest keyframe may go.
        let newest_key = self.samples.iter().rposition(|s| s.is_keyframe);
        let decoding = self.started_at.map(|_| {
            self.samples[..self.next.min(self.samples.len())]
                .iter()
                .rposition(|s| s.is_keyframe)
                .unwrap_or(0)
        });
        let limit = match (decoding, newest_key) {
            (Some(a), Some(b)) => a.min(b),
            (a, b) => a.or(b).unwrap_or(0),
        };
        while self.held_bytes > budget && self.held_from < limit {
            // The next group: up to the next keyframe after `held_from`.
            let end = (self.held_from + 1..limit)
                .find(|&i| self.samples[i].is_keyframe)
                .unwrap_or(limit);
            for slot in &mut self.samples[self.held_from..end] {
                if let Some(data) = slot.data.take() {
                    self.held_bytes -= data.len();
                }
            }
            self.held_from = end;
        }
    }

    fn push_slot(&mut self, slot: SampleSlot) {
        self.held_bytes += slot.data.as_ref().map_or(0, Blob::len);
        // A keyframe completes the group before it, which may then go.
        let completes_a_group = slot.is_keyframe;
        let entry = (slot.pts, self.samples.len());
        // Samples of a stream mostly arrive in PTS order: appending is the
        // common case, an insertion is as far back as the reordering.
        let at = self.by_pts.partition_point(|e| *e <= entry);
        self.by_pts.insert(at, entry);
        self.samples.push(slot);
        if completes_a_group {
            self.let_go_behind_window();
        }
    }

    /// The bytes of sample `index`, read through the reader if needed.
    fn sample_data(&mut self, index: usize) -> Result<Blob, DecodeError> {
        let slot = self
            .samples
            .get(index)
            .ok_or_else(|| DecodeError::Setup(format!("no sample {index}")))?;
        if let Some(data) = &slot.data {
            return Ok(data.clone());
        }
        let reader = self.reader.as_mut().ok_or_else(|| {
            DecodeError::Setup(format!(
                "sample {index} is behind the live window: its bytes were let go \
                 (FrameSource::set_sample_budget) and there is no file to read them again from"
            ))
        })?;
        let data = reader.read(index)?;
        self.stats.bytes_read += data.len() as u64;
        Ok(data)
    }

    /// The codec.
    pub fn codec(&self) -> VideoCodec {
        self.codec
    }

    /// Sample `index` (decode order), its bytes read if it was appended
    /// without them; `None` past the end.
    pub fn sample(&mut self, index: usize) -> Result<Option<StreamSample>, DecodeError> {
        let Some(slot) = self.samples.get(index) else {
            return Ok(None);
        };
        let (pts, is_keyframe) = (slot.pts, slot.is_keyframe);
        Ok(Some(StreamSample {
            data: self.sample_data(index)?,
            pts,
            is_keyframe,
        }))
    }

    /// Sets the decoded-frame cache budget in bytes (evicting down to it).
    pub fn set_cache_bytes(&mut self, bytes: usize) {
        self.cache.budget = bytes;
        self.cache.evict();
    }

    /// Whether frames behind the playhead are kept only as far as they are
    /// asked for again (the default, see [`HISTORY_FLOOR_BYTES`]) or up to
    /// the whole budget from the start.
    pub fn set_adaptive_history(&mut self, adaptive: bool) {
        self.cache.history = adaptive.then_some(HISTORY_FLOOR_BYTES);
        self.cache.evict();
    }

    /// Bytes of decoded frames in the cache.
    pub fn cached_bytes(&self) -> usize {
        self.cache.bytes
    }

    /// Drops every cached frame (the decoder keeps its place).
    pub fn clear_cache(&mut self) {
        self.cache.frames.clear();
        self.cache.bytes = 0;
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.samples.len()
    }

    /// Whether there are no samples.
    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }

    /// Low latency (the default: each frame out as soon as its sample is in,
    /// for live streams) or throughput (decoders may look ahead and decode
    /// several frames in parallel: playback and export). Takes effect when
    /// the decoder is next created.
    pub fn set_low_latency(&mut self, low_latency: bool) {
        self.set_options(DecoderOptions {
            low_latency,
            ..self.options
        });
    }

    /// Sets the decoder options (delay vs throughput, threads); takes
    /// effect when the decoder is next created.
    pub fn set_options(&mut self, options: DecoderOptions) {
        if self.options != options {
            self.options = options;
            self.decoder = None;
            self.started_at = None;
            self.groups = None;
        }
    }

    /// Whether samples may still be appended (a live stream). Then a frame
    /// the decoder holds back for reordering is not forced out at the newest
    /// sample (which would end the decoder's stream): `frame_at` shows the
    /// newest decoded frame ≤ t until more samples release it. Off (the
    /// default), the end of the samples is the end of the stream.
    pub fn set_open_ended(&mut self, open_ended: bool) {
        self.open_ended = open_ended;
    }

    /// Whether samples may still be appended (see [`set_open_ended`](Self::set_open_ended)).
    pub fn is_open_ended(&self) -> bool {
        self.open_ended
    }

    /// Decodes with `backend` from now on (`None`: the default for the stream).
    pub fn set_backend(&mut self, backend: Option<Backend>) {
        if self.backend != backend {
            self.backend = backend;
            self.decoder = None;
            self.started_at = None;
            self.groups = None;
            self.groups_off = false;
        }
    }

    /// The backend decoding this stream (once a frame was asked for).
    pub fn backend(&self) -> Option<Backend> {
        match (&self.decoder, &self.groups) {
            (Some(d), _) => Some(d.backend()),
            (None, Some(_)) => self.backend,
            (None, None) => None,
        }
    }

    /// Counters so far.
    pub fn stats(&self) -> SourceStats {
        self.stats
    }

    /// Presentation times of all frames, sorted.
    pub fn frame_times(&self) -> Vec<i64> {
        self.by_pts.iter().map(|(p, _)| *p).collect()
    }

    /// Cached frames with `from` ≤ PTS ≤ `until`, each with the next frame's
    /// PTS (a frame is shown from its PTS until the next one's).
    pub(crate) fn cached_between(
        &self,
        from: i64,
        until: i64,
    ) -> Vec<(i64, Arc<DecodedFrame>, Option<i64>)> {
        let start = self.by_pts.partition_point(|(p, _)| *p < from);
        let end = self.by_pts.partition_point(|(p, _)| *p <= until);
        (start..end)
            .filter_map(|i| {
                let pts = self.by_pts[i].0;
                let frame = self.cache.frames.get(&pts)?.frame.clone();
                Some((pts, frame, self.by_pts.get(i + 1).map(|(p, _)| *p)))
            })
            .collect()
    }

    /// The frame shown at `t`: the latest PTS ≤ `t` (`None` before the first frame).
    ///
    /// A sample that yields no picture (a decoder drops it, as FFmpeg drops
    /// the RASL pictures of a CRA decoding starts at, or it is never meant
    /// to be shown) is not a frame: the one shown before it is returned.
    pub fn frame_at(&mut self, t: i64) -> Result<Option<Arc<DecodedFrame>>, DecodeError> {
        let mut silence = std::time::Duration::ZERO;
        loop {
            if let Poll::Ready(frame) = self.poll_frame_at(t)? {
                return Ok(frame);
            }
            // An asynchronous decoder owes the picture: wait for it.
            self.stats.waits += 1;
            let step = std::time::Duration::from_millis(100);
            let decoder = self.decoder.as_mut().ok_or_else(no_decoder)?;
            if !decoder.wait(step) {
                silence += step;
            }
            if silence >= MAX_SILENCE {
                return Err(silent(decoder.backend()));
            }
        }
    }

    /// [`frame_at`](Self::frame_at) without blocking: `Pending` while an
    /// asynchronous decoder (the `ffmpeg` process; a browser's WebCodecs)
    /// still owes the picture — ask again later (after [`Decoder::wait`],
    /// or on the next UI frame where nothing may block).
    pub fn poll_frame_at(
        &mut self,
        t: i64,
    ) -> Result<Poll<Option<Arc<DecodedFrame>>>, DecodeError> {
        /// Samples in a row that may yield no picture before giving up.
        const MAX_DROPPED: usize = 16;
        let mut end = self.by_pts.partition_point(|(p, _)| *p <= t);
        let mut dropped = None;
        for _ in 0..MAX_DROPPED {
            let Some(position) = end.checked_sub(1) else {
                break;
            };
            match self.decode_frame(position, end)? {
                Lookup::Frame(frame) => return Ok(Poll::Ready(Some(frame))),
                Lookup::Live(frame) => return Ok(Poll::Ready(frame)),
                Lookup::Pending => return Ok(Poll::Pending),
                Lookup::NoPicture(pts) => {
                    dropped.get_or_insert(pts);
                    end = position;
                }
            }
        }
        match dropped {
            Some(pts) => Err(DecodeError::Sample {
                codec: self.codec.to_string(),
                pts,
                message: "the decoder produced no picture for this sample or the ones before it"
                    .into(),
            }),
            None => Ok(Poll::Ready(None)),
        }
    }

    /// The keyframe to decode sample `index` (PTS `pts`) from: the last one
    /// before it in decode order that is not shown after it. A leading
    /// picture (PTS before its keyframe's, as RASL pictures after an open-GOP
    /// CRA) refers to the group before, so decoding starts a keyframe earlier.
    fn keyframe_for(&self, index: usize, pts: i64) -> Option<usize> {
        let mut nearest = None;
        for i in (0..=index).rev() {
            let s = &self.samples[i];
            if s.is_keyframe {
                if s.pts <= pts {
                    return Some(i);
                }
                nearest.get_or_insert(i);
            }
        }
        nearest
    }

    /// The picture of `by_pts[position]`, decoding up to it when not cached
    /// (`end`: one past the last frame ≤ the time asked for).
    fn decode_frame(&mut self, position: usize, end: usize) -> Result<Lookup, DecodeError> {
        self.cache.pinned = Some(self.by_pts[position].0);
        self.cache.playhead = Some(self.by_pts[position].0);
        let found = self.decode_frame_pinned(position, end);
        self.cache.pinned = None;
        self.cache.evict();
        found
    }

    fn decode_frame_pinned(&mut self, position: usize, end: usize) -> Result<Lookup, DecodeError> {
        let (pts, index) = self.by_pts[position];
        if let Some(f) = self.cache.get(pts) {
            self.stats.cache_hits += 1;
            return Ok(Lookup::Frame(f));
        }
        self.cache.missed(pts);
        let key = self
            .keyframe_for(index, pts)
            .ok_or_else(|| DecodeError::Setup("no keyframe at or before this frame".into()))?;
        if let Some(found) = self.decode_in_group(key, index, pts)? {
            return Ok(found);
        }
        // Keep decoding forward if the decoder is on a valid path (started at
        // a keyframe not after this one) and has not passed the frame yet —
        // unless the keyframe is far ahead, where a restart skips work.
        const MAX_FORWARD: usize = 30;
        let on_the_way = self.decoder.is_some()
            && self.started_at.is_some_and(|s| s <= key)
            && (self.next <= index || self.in_flight.contains(&pts))
            && (self.next >= key || key - self.next <= MAX_FORWARD);
        if !on_the_way {
            self.seek_to(key)?;
        }
        let mut last_error = None;
        loop {
            if let Some(f) = self.cache.get(pts) {
                return Ok(Lookup::Frame(f));
            }
            if self.next > index && !self.in_flight.contains(&pts) {
                // Its sample is in, and later pictures came out (they leave
                // in presentation order): this one never will.
                return match last_error {
                    Some(e) => Err(e),
                    None => Ok(Lookup::NoPicture(pts)),
                };
            }
            let at_end = self.next >= self.samples.len();
            if self.flushing || (at_end && !self.open_ended) {
                // The end of a finite stream (or a flush under way): the
                // decoder hands out what it holds back, an asynchronous one
                // when it is done.
                let decoder = self.decoder.as_mut().ok_or_else(no_decoder)?;
                if !self.flushing {
                    decoder.flush()?;
                    self.flushing = true;
                }
                if self.receive_ready()? {
                    return Ok(Lookup::Pending);
                }
                // Drained: the checks above now find the picture or know
                // it never came.
                self.end_flush();
            } else if !at_end {
                // Bytes that cannot be read end the lookup; a sample the
                // decoder refuses is reported once its frame is due.
                if let Err(e) = self.push_next()? {
                    last_error = Some(e);
                }
            } else {
                // The newest samples of a live stream: the decoder holds
                // frames back for reordering, and forcing them out would end
                // its stream. Show the newest decoded frame ≤ t until then.
                if let Some(e) = last_error {
                    return Err(e);
                }
                return Ok(Lookup::Live(self.newest_decoded_before(end)));
            }
        }
    }

    /// After the decoder handed out its last picture: nothing is in flight
    /// any more, and a drained decoder starts again at a keyframe.
    fn end_flush(&mut self) {
        self.flushing = false;
        self.in_flight.clear();
        self.started_at = None;
    }

    /// Moves the pictures the decoder has ready to the cache; whether it
    /// still owes some that are not ready yet (an asynchronous decoder).
    fn receive_ready(&mut self) -> Result<bool, DecodeError> {
        let decoder = self.decoder.as_mut().ok_or_else(no_decoder)?;
        loop {
            match decoder.receive()? {
                Output::Picture(fr) => {
                    // Pictures leave in presentation order: any earlier PTS
                    // still pending was dropped by the decoder and will not come.
                    self.in_flight = self.in_flight.split_off(&fr.pts);
                    self.in_flight.remove(&fr.pts);
                    self.cache.insert(fr);
                }
                Output::Later => return Ok(true),
                Output::NeedInput => return Ok(false),
            }
        }
    }

    /// Pushes the next sample into the decoder; its pictures go to the cache.
    /// The outer error means the sample never reached the decoder (its bytes
    /// could not be read, or there is no decoder): the lookup cannot go on.
    /// The inner one is the decoder refusing the sample, which it recovers
    /// from at the next keyframe.
    fn push_next(&mut self) -> Result<Result<(), DecodeError>, DecodeError> {
        // `started_at` stays at the keyframe decoding began from: frames
        // before a keyframe the decoder has already read ahead past
        // (reordering delay) still come out of it.
        let index = self.next;
        let (pts, is_keyframe) = (self.samples[index].pts, self.samples[index].is_keyframe);
        let data = match self.sample_data(index) {
            Ok(data) => data,
            Err(e) => {
                // A sample the decoder never saw: its path is broken, the
                // next lookup starts again at a keyframe.
                self.started_at = None;
                return Err(e);
            }
        };
        let decoder = self.decoder.as_mut().ok_or_else(no_decoder)?;
        self.next += 1;
        self.stats.samples_decoded += 1;
        self.in_flight.insert(pts);
        let started = std::time::Instant::now();
        if let Err(e) = decoder.send(SampleIn {
            data: data.as_slice(),
            pts,
            is_keyframe,
        }) {
            self.stats.decode_seconds += started.elapsed().as_secs_f64();
            return Ok(Err(e));
        }
        // A failure the decoder finds later is the sample's too.
        let received = self.receive_ready().map(|_| ());
        self.stats.decode_seconds += started.elapsed().as_secs_f64();
        Ok(received)
    }

    /// Prefetch: decodes up to `max_samples` more samples along the
    /// decoder's current path while they belong to frames up to `until`,
    /// so that playing on finds them cached. Returns how many it decoded
    /// (0: nothing left to do before `until`; while an asynchronous decoder
    /// hands out the end of the stream, 1 for each turn it is owed more). Decode errors are left for
    /// [`frame_at`](Self::frame_at) to report when the frame is asked for.
    pub fn decode_ahead(&mut self, until: i64, max_samples: usize) -> usize {
        if self.flushing {
            // An asynchronous decoder handing out the end of the stream
            // after a lookup took the picture it wanted: collect the rest
            // here, waiting a little for them (a FrameServer's requests do
            // not wait for this lock).
            match self.receive_ready() {
                Ok(true) => {
                    if let Some(decoder) = self.decoder.as_mut() {
                        decoder.wait(std::time::Duration::from_millis(10));
                    }
                    return 1;
                }
                _ => self.end_flush(),
            }
            return 0;
        }
        let mut pushed = 0;
        // Frames up to `until` are still to come from samples not pushed
        // yet, or held inside the decoder (reordering, frame threads).
        let wanted = |me: &Self| {
            me.samples.get(me.next).is_some_and(|s| s.pts <= until)
                || me.in_flight.first().is_some_and(|p| *p <= until)
        };
        while pushed < max_samples
            && self.decoder.is_some()
            && self.started_at.is_some()
            && !self.flushing
            && self.next < self.samples.len()
            && wanted(self)
        {
            // Decode errors wait for `frame_at`; unreadable bytes stop here.
            if self.push_next().is_err() {
                break;
            }
            pushed += 1;
        }
        pushed
    }

    /// The cached frame with the latest PTS among `by_pts[..end]` (looking
    /// back as far as a reordering decoder can hold frames).
    fn newest_decoded_before(&mut self, end: usize) -> Option<Arc<DecodedFrame>> {
        let pts = self.by_pts[..end]
            .iter()
            .rev()
            .take(64)
            .map(|(p, _)| *p)
            .find(|p| self.cache.frames.contains_key(p))?;
        self.cache.get(pts)
    }

    fn seek_to(&mut self, key: usize) -> Result<(), DecodeError> {
        self.stats.seeks += 1;
        match self.decoder.as_mut() {
            Some(d) => d.reset()?,
            None => {
                let data = self.sample_data(key)?;
                let backend = *self
                    .backend
                    .get_or_insert_with(|| default_backend(self.codec, data.as_slice()));
                self.decoder = Some(new_decoder_with(
                    self.codec,
                    backend,
                    data.as_slice(),
                    self.options,
                )?);
            }
        }
        self.next = key;
        self.started_at = Some(key);
        self.in_flight.clear();
        self.flushing = false;
        Ok(())
    }
}

fn no_decoder() -> DecodeError {
    DecodeError::Setup("no decoder".into())
}

/// Reads samples of a video file's first video track on demand.
struct MediaFileReader(reel_video::MediaFile);

impl SampleReader for MediaFileReader {
    fn read(&mut self, index: usize) -> Result<Blob, DecodeError> {
        self.0
            .read_sample(0, index)
            .map(Blob::from)
            .map_err(|e| DecodeError::Setup(e.to_string()))
    }
}

impl FrameSource {
    /// A source over the samples of `file`'s first video track, timed by
    /// media PTS in ns (as `ffprobe` reports `pts_time`). Only the track's
    /// index is in memory: sample bytes are read from the file when a
    /// decoder needs them (one GOP for one frame).
    pub fn from_media_file(file: reel_video::MediaFile) -> Result<Self, DecodeError> {
        let track = file
            .video_track()
            .map_err(|e| DecodeError::Setup(e.to_string()))?;
        let mut source = Self::new(track.codec);
        for s in &track.samples {
            source.append_lazy(track.ticks_to_ns(s.pts), s.is_keyframe);
        }
        source.set_reader(Box::new(MediaFileReader(file)));
        Ok(source)
    }
}
