//! Groups of pictures decoded side by side, for reading a stream in order
//! (`frames()` iterators, export, playback benchmarks).
//!
//! Why: a decoder's own threads wait on each other. With frame threads
//! each picture waits for the rows of its references to be decoded by
//! another thread; on two cores libavcodec's H.264 gets ~1.4x the speed of
//! one thread. Decoders that each take a whole group of pictures (keyframe
//! to keyframe) never wait for one another, and a [`FrameSource`] knows
//! where every group starts from its sample index. Measured on a 60 s 720p
//! H.264 file, 2 cores: two one-thread decoders on its two halves 1.45–1.6 s,
//! one decoder with frame threads 2.17 s.
//!
//! Design decisions:
//! - **Only where no picture can change**: a finite stream, throughput
//!   mode with automatic threads, an in-process backend, no leading
//!   pictures at any keyframe (open GOPs: every frame then has the decoder
//!   that saw the group before), and a group starts only at a keyframe the
//!   bitstream calls a clean start (`bitstream::is_keyframe`: an IDR for
//!   H.264); a keyframe that is not one stays inside the group before it.
//! - **Only while reading in order**: groups are queued when a lookup asks
//!   for the first frame of a group or enters the group after the last one
//!   served, one group per worker; a random seek is served by the source's
//!   own decoder with all its threads (one frame sooner), and cancels what
//!   was queued.
//! - **Memory bounded by the consumer**: a worker waits while the pictures
//!   of its group that nobody took yet pass its share of the cache budget,
//!   however long the group is.
//!
//! [`FrameSource`]: crate::FrameSource

use std::collections::VecDeque;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use reel_types::{Blob, VideoCodec};

use crate::backends::new_decoder_with;
use crate::decoder::{Backend, Decoder, DecoderOptions, Output, SampleIn};
use crate::{DecodeError, DecodedFrame};

/// Most decoding threads (and groups queued at once).
const MAX_WORKERS: usize = 8;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every update under these locks leaves the state valid.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// What a worker has delivered for one group so far.
#[derive(Default)]
struct Delivery {
    frames: VecDeque<DecodedFrame>,
    /// Bytes of `frames`.
    held: usize,
    /// PTS of every picture delivered (taken or not), in order.
    delivered: Vec<i64>,
    /// The first error the decoder reported in this group.
    error: Option<DecodeError>,
    done: bool,
    cancelled: bool,
}

/// One group of pictures: samples `start..end` (decode order).
pub(crate) struct GroupJob {
    pub(crate) start: usize,
    pub(crate) end: usize,
    /// Bytes of undelivered pictures a worker may hold before it waits.
    cap: usize,
    state: Mutex<Delivery>,
    changed: Condvar,
}

/// What [`GroupJob::take`] found.
pub(crate) struct Taken {
    pub(crate) frames: Vec<DecodedFrame>,
    pub(crate) done: bool,
    pub(crate) error: Option<DecodeError>,
}

impl GroupJob {
    /// The pictures delivered since the last call.
    pub(crate) fn take(&self) -> Taken {
        let mut s = lock(&self.state);
        s.held = 0;
        let taken = Taken {
            frames: s.frames.drain(..).collect(),
            done: s.done,
            error: s.error.clone(),
        };
        drop(s);
        // A worker waiting for room goes on.
        self.changed.notify_all();
        taken
    }

    /// Whether the worker delivered a picture with this PTS.
    pub(crate) fn delivered(&self, pts: i64) -> bool {
        lock(&self.state).delivered.contains(&pts)
    }

    /// Waits up to `timeout` for more pictures or the end of the group.
    pub(crate) fn wait(&self, timeout: Duration) {
        let s = lock(&self.state);
        if s.frames.is_empty() && !s.done {
            drop(self.changed.wait_timeout(s, timeout));
        }
    }

    fn cancel(&self) {
        lock(&self.state).cancelled = true;
        self.changed.notify_all();
    }

    /// Hands a picture over; waits while the consumer is behind. `false`:
    /// the group was cancelled.
    fn deliver(&self, frame: DecodedFrame) -> bool {
        let mut s = lock(&self.state);
        s.held += frame.heap_size();
        s.delivered.push(frame.pts);
        s.frames.push_back(frame);
        self.changed.notify_all();
        while s.held > self.cap && !s.cancelled {
            s = self.changed.wait(s).unwrap_or_else(|e| e.into_inner());
        }
        !s.cancelled
    }

    fn note_error(&self, e: DecodeError) {
        lock(&self.state).error.get_or_insert(e);
    }

    fn cancelled(&self) -> bool {
        lock(&self.state).cancelled
    }

    fn finish(&self) {
        lock(&self.state).done = true;
        self.changed.notify_all();
    }
}

/// Marks its group done however the worker leaves it (a decoder that
/// panics included), so that no lookup waits for it forever.
struct FinishOnDrop(Arc<GroupJob>);

impl Drop for FinishOnDrop {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.note_error(DecodeError::Setup(
                "a decoding thread stopped in the middle of a group of pictures".into(),
            ));
        }
        self.0.finish();
    }
}

/// A group and the bytes of its samples: (data, pts, is_keyframe).
struct Task {
    job: Arc<GroupJob>,
    samples: Vec<(Blob, i64, bool)>,
}

/// Worker threads, each with its own one-thread decoder, and the groups
/// queued for them in stream order.
pub(crate) struct GroupDecoders {
    codec: VideoCodec,
    backend: Backend,
    workers: usize,
    tasks: Option<Sender<Task>>,
    threads: Vec<JoinHandle<()>>,
    jobs: VecDeque<Arc<GroupJob>>,
}

impl GroupDecoders {
    /// Workers for the machine's cores; `None` on one core.
    pub(crate) fn for_this_machine(codec: VideoCodec, backend: Backend) -> Option<Self> {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        (cores >= 2).then(|| Self {
            codec,
            backend,
            workers: cores.min(MAX_WORKERS),
            tasks: None,
            threads: Vec::new(),
            jobs: VecDeque::new(),
        })
    }

    /// Groups decoded at once.
    pub(crate) fn workers(&self) -> usize {
        self.workers
    }

    /// The queued group holding sample `index`.
    pub(crate) fn job_holding(&self, index: usize) -> Option<Arc<GroupJob>> {
        self.jobs
            .iter()
            .find(|j| (j.start..j.end).contains(&index))
            .cloned()
    }

    /// One past the last sample of the last queued group.
    pub(crate) fn queued_until(&self) -> Option<usize> {
        self.jobs.back().map(|j| j.end)
    }

    /// Groups queued (running or waiting).
    pub(crate) fn queued(&self) -> usize {
        self.jobs.len()
    }

    /// Cancels the groups that end at or before sample `index`.
    pub(crate) fn drop_before(&mut self, index: usize) {
        while let Some(j) = self.jobs.front().filter(|j| j.end <= index) {
            j.cancel();
            self.jobs.pop_front();
        }
    }

    /// Cancels every queued group.
    pub(crate) fn cancel_all(&mut self) {
        for j in self.jobs.drain(..) {
            j.cancel();
        }
    }

    /// Queues samples `start..start + samples.len()` as one group; a
    /// worker keeps at most `cap` bytes of its pictures waiting.
    pub(crate) fn queue(&mut self, start: usize, samples: Vec<(Blob, i64, bool)>, cap: usize) {
        let job = Arc::new(GroupJob {
            start,
            end: start + samples.len(),
            cap,
            state: Mutex::new(Delivery::default()),
            changed: Condvar::new(),
        });
        self.jobs.push_back(job.clone());
        if self.tasks.is_none() {
            self.start_workers();
        }
        let task = Task { job, samples };
        if let Some(Err(e)) = self.tasks.as_ref().map(|t| t.send(task)) {
            // Every worker is gone: nobody will decode it.
            e.0.job
                .note_error(DecodeError::Setup("the decoding threads stopped".into()));
            e.0.job.finish();
        }
    }

    fn start_workers(&mut self) {
        let (tx, rx) = channel::<Task>();
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..self.workers {
            let (rx, codec, backend) = (rx.clone(), self.codec, self.backend);
            let spawned = std::thread::Builder::new()
                .name(format!("reel-gop-{i}"))
                .spawn(move || work(&rx, codec, backend));
            if let Ok(handle) = spawned {
                self.threads.push(handle);
            }
        }
        self.tasks = Some(tx);
    }
}

impl Drop for GroupDecoders {
    fn drop(&mut self) {
        self.cancel_all();
        self.tasks = None; // workers see the channel close
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

fn work(tasks: &Mutex<Receiver<Task>>, codec: VideoCodec, backend: Backend) {
    let mut decoder: Option<Box<dyn Decoder>> = None;
    loop {
        let next = lock(tasks).recv();
        let Ok(task) = next else {
            return;
        };
        decode_group(task, &mut decoder, codec, backend);
    }
}

/// Decodes one group from its keyframe to the end, flushing the decoder
/// (the pictures it holds back for reordering belong to this group).
fn decode_group(
    task: Task,
    decoder: &mut Option<Box<dyn Decoder>>,
    codec: VideoCodec,
    backend: Backend,
) {
    let Task { job, samples } = task;
    let _finish = FinishOnDrop(job.clone());
    if job.cancelled() || samples.is_empty() {
        return;
    }
    if let Some(d) = decoder.as_mut()
        && d.reset().is_err()
    {
        *decoder = None;
    }
    if decoder.is_none() {
        // One thread: the parallelism is one group per worker.
        let options = DecoderOptions {
            low_latency: false,
            threads: 1,
        };
        match new_decoder_with(codec, backend, samples[0].0.as_slice(), options) {
            Ok(d) => *decoder = Some(d),
            Err(e) => return job.note_error(e),
        }
    }
    let Some(d) = decoder.as_mut() else { return };
    for (data, pts, is_keyframe) in &samples {
        // A seek elsewhere cancelled the group: the worker is wanted there.
        if job.cancelled() {
            return;
        }
        if let Err(e) = d.send(SampleIn {
            data: data.as_slice(),
            pts: *pts,
            is_keyframe: *is_keyframe,
        }) {
            job.note_error(e);
        }
        if !hand_over(d.as_mut(), &job) {
            return;
        }
    }
    match d.flush() {
        Ok(()) => {
            hand_over(d.as_mut(), &job);
        }
        Err(e) => job.note_error(e),
    }
}

/// Delivers the pictures the decoder has ready; `false`: cancelled.
fn hand_over(d: &mut dyn Decoder, job: &GroupJob) -> bool {
    loop {
        match d.receive() {
            Ok(Output::Picture(f)) => {
                if !job.deliver(f) {
                    return false;
                }
            }
            // In-process backends only; a picture owed later is waited for.
            Ok(Output::Later) => {
                d.wait(Duration::from_millis(10));
            }
            Ok(Output::NeedInput) => return true,
            Err(e) => {
                job.note_error(e);
                return true;
            }
        }
    }
}
