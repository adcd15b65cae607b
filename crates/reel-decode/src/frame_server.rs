//! Frames for interactive viewers: many streams, one pool of decoding
//! threads, and a request that never waits for a decoder.
//!
//! [`FrameServer::add_stream`] takes a [`FrameSource`] and returns a
//! [`StreamFrames`] handle. [`StreamFrames::request`] answers at once with
//! the best frame decoded so far for a time (the exact one, else the
//! nearest earlier one already decoded, else the last one shown) and
//! whether the exact one is still pending; the decoding happens on the
//! server's worker threads, which the viewer's next request (next paint)
//! picks up.
//!
//! Design decisions:
//! - **One pool for every stream**, sized to the machine: with a thread per
//!   stream (as `Playback` has), eight streams on two cores fight for the
//!   CPU and the one the user looks at loses. Workers take the most urgent
//!   job first: a visible stream before a hidden one, a frame someone waits
//!   for before decoding ahead, and among streams playing ahead the one
//!   with the least decoded past its playhead.
//! - **Work nobody waits for is dropped**: a stream has one slot for the
//!   frame wanted, not a queue; a newer request replaces an older one
//!   before a worker takes it, and a hidden or removed stream's work is not
//!   started. A job started finishes (at most one group of pictures for a
//!   seek); decoding ahead runs a sample or two per job, so the pool turns
//!   to another stream between samples.
//! - **Requests touch only small locks**: decoded frames are published to
//!   a per-stream map the request reads; the source's lock, which a worker
//!   holds while decoding, is never taken by `request`. Lock order: source
//!   before published and control (a worker publishes and settles before
//!   letting go of the source, so what it says matches the samples); pool
//!   before control; no path holds control or published while waiting for
//!   the source.
//! - **One memory budget**: decoded frames of all streams share it; each
//!   stream's cache gets a part, a visible stream four times a hidden
//!   one's, re-split as streams come, go, show or hide.
//! - **Decoders run one thread each** (parallelism comes from the pool
//!   across streams) and in low-latency mode for live (open-ended) sources.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, Weak};
use std::thread::JoinHandle;

use crate::{DecodeError, DecodedFrame, DecoderOptions, FrameSource, StreamSample};

/// Samples a worker decodes ahead per job before looking for more urgent work.
const SAMPLES_PER_AHEAD_JOB: usize = 2;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every update under these locks leaves the data valid; a panic in a
    // worker is not a reason to stop serving frames.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// How a [`FrameServer`] is set up.
#[derive(Clone, Copy, Debug)]
pub struct ServerOptions {
    /// Decoding threads (0: one per core but one, for the viewer's thread).
    pub threads: usize,
    /// Bytes of decoded frames kept, over all streams.
    pub frame_budget: usize,
}

impl Default for ServerOptions {
    fn default() -> Self {
        Self {
            threads: 0,
            frame_budget: crate::DEFAULT_CACHE_BYTES,
        }
    }
}

/// The answer to a frame request, given at once.
#[derive(Clone, Debug, Default)]
pub struct FrameReply {
    /// The frame to show now: the one asked for if decoded, else the
    /// nearest earlier one decoded, else the last one shown (`None` before
    /// anything was decoded).
    pub frame: Option<Arc<DecodedFrame>>,
    /// `frame` is the frame shown at the time asked for.
    pub exact: bool,
    /// The exact frame is being decoded: ask again (next paint).
    pub pending: bool,
    /// The last decode of this stream failed; the message says why.
    pub error: Option<DecodeError>,
}

/// Counters of one stream, for a viewer's statistics panel and benchmarks.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct StreamStats {
    /// Requests answered.
    pub requests: u64,
    /// Requests answered with the exact frame.
    pub exact: u64,
    /// Jobs the workers ran for this stream.
    pub jobs: u64,
    /// The stream's part of the frame budget, in bytes.
    pub frame_budget: usize,
    /// Bytes of decoded frames it held after its last job.
    pub cached_bytes: usize,
    /// The decoder, once one ran.
    pub backend: Option<crate::Backend>,
    /// The source's counters after its last job.
    pub source: crate::SourceStats,
}

/// A decoded frame the viewer can take: shown from its PTS until `next`.
struct Published {
    frame: Arc<DecodedFrame>,
    next: Option<i64>,
}

/// Drops the published frames before `shown` but the nearest ones, which
/// hold at most `bytes` (they are mostly the cache's own frames, shared).
fn keep_behind(published: &mut BTreeMap<i64, Published>, shown: i64, bytes: usize) {
    let mut held = 0usize;
    let mut cut = None;
    for (pts, p) in published.range(..shown).rev() {
        held += p.frame.heap_size();
        if held > bytes {
            cut = Some(*pts);
            break;
        }
    }
    if let Some(cut) = cut {
        // Everything up to and including `cut` goes.
        *published = published.split_off(&(cut + 1));
    }
}

struct Control {
    /// The frame a viewer waits for.
    wanted: Option<i64>,
    /// The time asked for last.
    playhead: Option<i64>,
    /// Playing: decode this far ahead of the playhead.
    lookahead: Option<i64>,
    visible: bool,
    /// A worker holds the stream.
    busy: bool,
    /// Decoding ahead found nothing to do; set back by any change.
    ahead_done: bool,
    /// Counts changes, so a worker marks `ahead_done` only if none came.
    generation: u64,
    /// Latest frame decoded past the playhead (for priorities).
    ready_until: Option<i64>,
    /// The stream's share of the frame budget, applied by the next job.
    cache_bytes: Option<usize>,
    /// The share last given.
    share: usize,
    last_error: Option<DecodeError>,
    /// The frame shown last, kept to answer while the next one decodes.
    shown: Option<Arc<DecodedFrame>>,
    /// A time whose decode ended without a frame to publish (before the
    /// first frame, or an error): asked again, it is not decoded again.
    settled: Option<i64>,
    removed: bool,
}

impl Control {
    /// Something the workers act on changed: the playhead, a sample, play
    /// or pause.
    fn changed(&mut self) {
        self.generation += 1;
        self.ahead_done = false;
    }
}

struct Stream {
    id: u64,
    /// Decoder and cache; only a worker locks it.
    source: Mutex<FrameSource>,
    control: Mutex<Control>,
    published: Mutex<BTreeMap<i64, Published>>,
    /// More samples may come (a live stream): the newest frame is not
    /// known to be shown forever.
    open_ended: bool,
    requests: AtomicU64,
    exact: AtomicU64,
    jobs: AtomicU64,
    /// Bytes of decoded frames cached after the last job.
    cached: AtomicUsize,
    /// The source's backend and counters after the last job (read without
    /// waiting for a decode).
    after_job: Mutex<(Option<crate::Backend>, crate::SourceStats)>,
}

struct Pool {
    streams: Vec<Arc<Stream>>,
    next_id: u64,
    stop: bool,
}

struct Inner {
    pool: Mutex<Pool>,
    work: Condvar,
    frame_budget: AtomicUsize,
}

/// Decodes frames of many streams on one pool of threads.
pub struct FrameServer {
    inner: Arc<Inner>,
    workers: Vec<JoinHandle<()>>,
}

/// One stream of a [`FrameServer`]; dropping it removes the stream.
pub struct StreamFrames {
    stream: Arc<Stream>,
    inner: Weak<Inner>,
}

/// What a worker does for a stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Job {
    /// Decode the frame shown at this time.
    Exact(i64),
    /// Decode a few samples ahead of the playhead, up to this time.
    Ahead { playhead: i64, until: i64 },
}

impl FrameServer {
    /// Starts the worker threads.
    pub fn new(options: ServerOptions) -> Self {
        // One core is left to the viewer's own thread: with every core
        // decoding, its requests waited for a CPU (p99 1.0–2.1 ms against
        // 0.02–0.03 ms with one core left, `cargo bench -p reel-cli --bench
        // frame_server`).
        let threads = match options.threads {
            0 => std::thread::available_parallelism()
                .map_or(1, |n| n.get().saturating_sub(1))
                .max(1),
            n => n,
        };
        let inner = Arc::new(Inner {
            pool: Mutex::new(Pool {
                streams: Vec::new(),
                next_id: 0,
                stop: false,
            }),
            work: Condvar::new(),
            frame_budget: AtomicUsize::new(options.frame_budget),
        });
        let workers = (0..threads)
            .filter_map(|i| {
                let inner = inner.clone();
                std::thread::Builder::new()
                    .name(format!("reel-decode-{i}"))
                    .spawn(move || worker_loop(&inner))
                    .ok()
            })
            .collect();
        Self { inner, workers }
    }

    /// Number of decoding threads.
    pub fn threads(&self) -> usize {
        self.workers.len()
    }

    /// The memory all streams' decoded frames may take (bytes).
    pub fn frame_budget(&self) -> usize {
        self.inner.frame_budget.load(Ordering::Relaxed)
    }

    /// Changes the decoded-frame budget of all streams; each stream's cache
    /// shrinks to its new share at its next job (or at once when idle).
    pub fn set_frame_budget(&self, bytes: usize) {
        self.inner.frame_budget.store(bytes, Ordering::Relaxed);
        split_budget(&lock(&self.inner.pool), bytes);
    }

    /// Bytes of decoded frames the streams held after their last job.
    pub fn cached_bytes(&self) -> usize {
        lock(&self.inner.pool)
            .streams
            .iter()
            .map(|s| s.cached.load(Ordering::Relaxed))
            .sum()
    }

    /// Serves frames of `source`; visible, paused.
    pub fn add_stream(&self, mut source: FrameSource) -> StreamFrames {
        source.set_options(DecoderOptions {
            low_latency: source.is_open_ended(),
            threads: 1,
        });
        // A viewer's user scrubs back over what was played: frames behind
        // the playhead stay up to the stream's share of the budget.
        source.set_adaptive_history(false);
        let open_ended = source.is_open_ended();
        let mut pool = lock(&self.inner.pool);
        let stream = Arc::new(Stream {
            id: pool.next_id,
            source: Mutex::new(source),
            control: Mutex::new(Control {
                wanted: None,
                playhead: None,
                lookahead: None,
                visible: true,
                busy: false,
                ahead_done: true,
                generation: 0,
                ready_until: None,
                cache_bytes: None,
                share: 0,
                last_error: None,
                shown: None,
                settled: None,
                removed: false,
            }),
            published: Mutex::new(BTreeMap::new()),
            open_ended,
            requests: AtomicU64::new(0),
            exact: AtomicU64::new(0),
            jobs: AtomicU64::new(0),
            cached: AtomicUsize::new(0),
            after_job: Mutex::new((None, crate::SourceStats::default())),
        });
        pool.next_id += 1;
        pool.streams.push(stream.clone());
        split_budget(&pool, self.inner.frame_budget.load(Ordering::Relaxed));
        StreamFrames {
            stream,
            inner: Arc::downgrade(&self.inner),
        }
    }
}

/// How much more of the frame budget a visible stream gets than a hidden
/// one: what is on screen is what gets scrubbed back over.
const VISIBLE_WEIGHT: usize = 4;

/// Splits the frame budget over the streams, visible ones weighted up.
fn split_budget(pool: &Pool, budget: usize) {
    let weights: Vec<usize> = pool
        .streams
        .iter()
        .map(|s| {
            if lock(&s.control).visible {
                VISIBLE_WEIGHT
            } else {
                1
            }
        })
        .collect();
    let total: usize = weights.iter().sum::<usize>().max(1);
    for (s, w) in pool.streams.iter().zip(weights) {
        let mut c = lock(&s.control);
        c.share = budget / total * w;
        // A stream nobody decodes for would keep its old share until its
        // next job; apply it now when its source is free (never waiting).
        match s.source.try_lock() {
            Ok(mut source) => {
                source.set_cache_bytes(c.share);
                c.cache_bytes = None;
            }
            Err(_) => c.cache_bytes = Some(c.share),
        }
    }
}

impl Drop for FrameServer {
    fn drop(&mut self) {
        lock(&self.inner.pool).stop = true;
        self.inner.work.notify_all();
        for w in self.workers.drain(..) {
            let _ = w.join();
        }
    }
}

impl StreamFrames {
    /// The frame to show at `t`, at once (see [`FrameReply`]). When the
    /// stream plays, `t` is its playhead and the pool decodes ahead of it.
    pub fn request(&self, t: i64) -> FrameReply {
        let s = &self.stream;
        s.requests.fetch_add(1, Ordering::Relaxed);
        let share = lock(&s.control).share;
        let (hit, nearest) = {
            let mut published = lock(&s.published);
            let found = published
                .range(..=t)
                .next_back()
                .map(|(p, f)| (*p, f.frame.clone(), f.next));
            let exact = found.as_ref().is_some_and(|(_, _, next)| match next {
                Some(n) => t < *n,
                None => !s.open_ended,
            });
            match &found {
                // Frames before the one shown are behind the playhead: the
                // nearest stay, up to a quarter of the stream's budget, so
                // stepping or scrubbing back finds them at once.
                Some((pts, _, _)) => keep_behind(&mut published, *pts, share / 4),
                // Before everything published: a seek backwards.
                None => published.clear(),
            }
            let frame = found.map(|(_, f, _)| f);
            if exact { (frame, None) } else { (None, frame) }
        };
        let mut c = lock(&s.control);
        c.playhead = Some(t);
        let settled = hit.is_none() && c.settled == Some(t);
        c.wanted = if hit.is_some() || settled {
            None
        } else {
            Some(t)
        };
        c.changed();
        if let Some(f) = &hit {
            c.shown = Some(f.clone());
        }
        let reply = FrameReply {
            exact: hit.is_some(),
            pending: hit.is_none() && !settled,
            frame: hit.or(nearest).or_else(|| c.shown.clone()),
            error: c.last_error.clone(),
        };
        drop(c);
        if reply.exact {
            s.exact.fetch_add(1, Ordering::Relaxed);
        }
        self.wake();
        reply
    }

    /// Plays: the pool keeps `lookahead` (the source's time unit) decoded
    /// past each requested time. `None` pauses.
    pub fn set_playing(&self, lookahead: Option<i64>) {
        let mut c = lock(&self.stream.control);
        c.lookahead = lookahead;
        c.changed();
        drop(c);
        self.wake();
    }

    /// Whether a view shows the stream: hidden streams get decoding time
    /// only when no visible one needs it.
    pub fn set_visible(&self, visible: bool) {
        let changed = {
            let mut c = lock(&self.stream.control);
            std::mem::replace(&mut c.visible, visible) != visible
        };
        if changed && let Some(inner) = self.inner.upgrade() {
            split_budget(
                &lock(&inner.pool),
                inner.frame_budget.load(Ordering::Relaxed),
            );
        }
        self.wake();
    }

    /// Adds the next sample of a live stream.
    pub fn append(&self, sample: StreamSample) {
        let pts = sample.pts;
        // Appending waits for a decode in progress: a sample arrives at most
        // once per frame interval, and the viewer's thread does not append.
        lock(&self.stream.source).append(sample);
        // A published frame whose time span the new sample falls in (the
        // newest one, or one before a late B-frame) is shown no longer there.
        let mut published = lock(&self.stream.published);
        if let Some((&at, p)) = published.range(..=pts).next_back()
            && p.next.is_none_or(|n| pts < n)
        {
            published.remove(&at);
        }
        drop(published);
        self.samples_added();
    }

    /// Counters so far.
    /// Never waits for a decode: the source's figures are those after its
    /// last job.
    pub fn stats(&self) -> StreamStats {
        let (backend, source) = *lock(&self.stream.after_job);
        StreamStats {
            requests: self.stream.requests.load(Ordering::Relaxed),
            exact: self.stream.exact.load(Ordering::Relaxed),
            jobs: self.stream.jobs.load(Ordering::Relaxed),
            frame_budget: lock(&self.stream.control).share,
            cached_bytes: self.stream.cached.load(Ordering::Relaxed),
            backend,
            source,
        }
    }

    /// Runs `f` on the source (stats, backend, samples appended without
    /// their bytes); waits for a decode in progress, so not for a viewer's
    /// paint path.
    pub fn with_source<R>(&self, f: impl FnOnce(&mut FrameSource) -> R) -> R {
        self.edit(lock(&self.stream.source), f)
    }

    /// Like [`Self::with_source`], if no decode holds the source now
    /// (`None`: `f` was not called; try again later): for a viewer's UI
    /// thread, which must not wait behind a decode.
    pub fn try_with_source<R>(&self, f: impl FnOnce(&mut FrameSource) -> R) -> Option<R> {
        let source = match self.stream.source.try_lock() {
            Ok(s) => s,
            Err(std::sync::TryLockError::Poisoned(e)) => e.into_inner(),
            Err(std::sync::TryLockError::WouldBlock) => return None,
        };
        Some(self.edit(source, f))
    }

    fn edit<R>(
        &self,
        mut source: std::sync::MutexGuard<'_, FrameSource>,
        f: impl FnOnce(&mut FrameSource) -> R,
    ) -> R {
        let (result, grew) = {
            let before = source.len();
            let result = f(&mut source);
            let grew = source.len() != before;
            drop(source);
            (result, grew)
        };
        if grew {
            // New samples may show between or after published frames.
            lock(&self.stream.published).clear();
            self.samples_added();
        }
        result
    }

    /// After samples were added: decoding ahead may go on, and a time that
    /// had no frame may have one now.
    fn samples_added(&self) {
        let mut c = lock(&self.stream.control);
        c.changed();
        c.settled = None;
        drop(c);
        self.wake();
    }

    fn wake(&self) {
        if let Some(inner) = self.inner.upgrade() {
            // Taking the pool lock orders this after a worker's check for
            // work, so the notification is not lost between its check and
            // its wait.
            drop(lock(&inner.pool));
            inner.work.notify_one();
        }
    }
}

impl Drop for StreamFrames {
    fn drop(&mut self) {
        lock(&self.stream.control).removed = true;
        if let Some(inner) = self.inner.upgrade() {
            let mut pool = lock(&inner.pool);
            pool.streams.retain(|s| s.id != self.stream.id);
            split_budget(&pool, inner.frame_budget.load(Ordering::Relaxed));
        }
    }
}

/// How urgent a job is, compared as a tuple: (stream visible, 2 for a frame
/// someone waits for or 1 for decoding ahead, minus how far ahead the
/// stream is already decoded).
type Rank = (bool, u8, i64);

/// The most urgent job of all streams not held by another worker, with
/// its stream marked busy.
fn take_job(pool: &Pool) -> Option<(Arc<Stream>, Job)> {
    let mut best: Option<(Rank, &Arc<Stream>, Job)> = None;
    for s in &pool.streams {
        let c = lock(&s.control);
        if c.busy || c.removed {
            continue;
        }
        let candidate = if let Some(t) = c.wanted {
            Some(((c.visible, 2, 0), Job::Exact(t)))
        } else if let (Some(playhead), Some(lookahead), false) =
            (c.playhead, c.lookahead, c.ahead_done)
        {
            // Least decoded past the playhead first.
            let margin = c.ready_until.map_or(0, |r| r.saturating_sub(playhead));
            Some((
                (c.visible, 1, -margin),
                Job::Ahead {
                    playhead,
                    until: playhead.saturating_add(lookahead),
                },
            ))
        } else {
            None
        };
        if let Some((rank, job)) = candidate
            && best.as_ref().is_none_or(|(b, _, _)| rank > *b)
        {
            best = Some((rank, s, job));
        }
    }
    let (_, stream, job) = best?;
    lock(&stream.control).busy = true;
    Some((stream.clone(), job))
}

fn worker_loop(inner: &Inner) {
    loop {
        let (stream, job) = {
            let mut pool = lock(&inner.pool);
            loop {
                if pool.stop {
                    return;
                }
                if let Some(found) = take_job(&pool) {
                    break found;
                }
                pool = inner.work.wait(pool).unwrap_or_else(|e| e.into_inner());
            }
        };
        run_job(&stream, job);
        lock(&stream.control).busy = false;
        // The stream may have more to do, for this worker or another.
        drop(lock(&inner.pool));
        inner.work.notify_all();
    }
}

fn run_job(s: &Stream, job: Job) {
    s.jobs.fetch_add(1, Ordering::Relaxed);
    let (generation, cache_bytes) = {
        let mut c = lock(&s.control);
        (c.generation, c.cache_bytes.take())
    };
    // The source's lock is taken without holding `control`: `request`
    // takes `control`, and must not wait behind a decode.
    if let Some(bytes) = cache_bytes {
        lock(&s.source).set_cache_bytes(bytes);
    }
    match job {
        Job::Exact(t) => {
            // Published while the source is still locked: a sample added
            // after would make the frames' spans stale, and adding one
            // takes this lock, then clears what was published.
            {
                let mut source = lock(&s.source);
                let result = source.frame_at(t);
                // The frame found, with the time the next one starts. It is
                // the frame shown at `t` even when samples after it yield no
                // picture (the decoder dropped them): it shows at least
                // until `t`.
                let ready = match &result {
                    Ok(Some(f)) => source
                        .cached_between(f.pts, f.pts)
                        .into_iter()
                        .map(|(p, f, next)| (p, f, next.map(|n| n.max(t + 1))))
                        .collect(),
                    _ => Vec::new(),
                };
                // A frame that does not decode: the last good one before
                // it (decoded on the way) is what the view keeps showing.
                let last_good = match &result {
                    Err(_) => source.cached_between(i64::MIN, t).pop().map(|(_, f, _)| f),
                    _ => None,
                };
                publish(s, ready);
                note_job(s, &source);
                // Still under the source's lock: `settled` must not outlive
                // samples added after this decode (adding one clears it).
                let mut c = lock(&s.control);
                // A newer request may have replaced this one meanwhile.
                if c.wanted == Some(t) {
                    c.wanted = None;
                }
                match result {
                    Ok(Some(f)) => {
                        c.shown = Some(f);
                        c.last_error = None;
                        c.settled = None;
                    }
                    Ok(None) => {
                        c.last_error = None;
                        c.settled = Some(t);
                    }
                    Err(e) => {
                        c.last_error = Some(e);
                        c.settled = Some(t);
                        if last_good.is_some() {
                            c.shown = last_good;
                        }
                    }
                }
            }
        }
        Job::Ahead { playhead, until } => {
            let (decoded, newest) = {
                let mut source = lock(&s.source);
                let decoded = source.decode_ahead(until, SAMPLES_PER_AHEAD_JOB);
                let ready = source.cached_between(playhead, until);
                let newest = ready.last().map(|(p, _, _)| *p);
                publish(s, ready);
                note_job(s, &source);
                (decoded, newest)
            };
            let mut c = lock(&s.control);
            c.ready_until = newest.or(c.ready_until);
            if decoded == 0 && c.generation == generation {
                c.ahead_done = true;
            }
        }
    }
}

/// What a job leaves for `stats` (called with the source locked).
fn note_job(s: &Stream, source: &FrameSource) {
    s.cached.store(source.cached_bytes(), Ordering::Relaxed);
    *lock(&s.after_job) = (source.backend(), source.stats());
}

fn publish(s: &Stream, ready: Vec<(i64, Arc<DecodedFrame>, Option<i64>)>) {
    if ready.is_empty() {
        return;
    }
    let mut published = lock(&s.published);
    for (pts, frame, next) in ready {
        published.insert(pts, Published { frame, next });
    }
}
