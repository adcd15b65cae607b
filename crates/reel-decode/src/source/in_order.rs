//! Serving a [`FrameSource`](super::FrameSource) read in order from groups
//! of pictures decoded side by side (the workers are `gop_parallel`'s).

use reel_types::Blob;

use super::{FrameSource, Lookup};
use crate::DecodeError;
use crate::backends::default_backend;
use crate::decoder::Backend;
use crate::gop_parallel::GroupDecoders;

impl FrameSource {
    /// Serves the frame `pts` (sample `index`, keyframe `key`) from a group
    /// decoded on a worker thread while the stream is read in order, queueing
    /// the groups after it; `None`: the source's own decoder serves it.
    pub(super) fn decode_in_group(
        &mut self,
        key: usize,
        index: usize,
        pts: i64,
    ) -> Result<Option<Lookup>, DecodeError> {
        if !self.groups_allowed(key)? {
            return Ok(None);
        }
        let held = self.groups.as_ref().and_then(|g| g.job_holding(index));
        let job = match held {
            Some(job) => job,
            None => {
                // Not queued: a seek, unless it reads on from the last group.
                if let Some(g) = self.groups.as_mut() {
                    g.cancel_all();
                }
                let in_order = pts == self.samples[key].pts || self.last_group_end == Some(key);
                // The last group alone runs on one thread: the source's own
                // decoder has more.
                let more_groups = self.samples[key + 1..].iter().any(|s| s.is_keyframe);
                self.last_group_end = None;
                if !in_order || !more_groups || !self.queue_group(key)? {
                    return Ok(None);
                }
                match self.groups.as_ref().and_then(|g| g.job_holding(index)) {
                    Some(job) => job,
                    None => return Ok(None),
                }
            }
        };
        self.last_group_end = Some(job.end);
        if let Some(g) = self.groups.as_mut() {
            g.drop_before(job.start);
        }
        self.queue_ahead();
        loop {
            let taken = job.take();
            for frame in taken.frames {
                self.cache.insert(frame);
            }
            if let Some(frame) = self.cache.get(pts) {
                return Ok(Some(Lookup::Frame(frame)));
            }
            if taken.done {
                if job.delivered(pts) {
                    // Decoded, and evicted before it was asked for (a budget
                    // smaller than a group): the source's own decoder.
                    self.last_group_end = None;
                    return Ok(None);
                }
                return match taken.error {
                    Some(e) => Err(e),
                    None => Ok(Some(Lookup::NoPicture(pts))),
                };
            }
            job.wait(std::time::Duration::from_millis(50));
        }
    }

    /// Whether groups may be decoded side by side (see `gop_parallel`):
    /// reading a finite stream for throughput with automatic threads, on an
    /// in-process backend, without leading pictures.
    fn groups_allowed(&mut self, key: usize) -> Result<bool, DecodeError> {
        if self.groups_off
            || self.options.low_latency
            || self.options.threads != 0
            || self.open_ended
            || self.sample_budget.is_some()
        {
            return Ok(false);
        }
        if self.groups.is_none() {
            if self.has_leading_pictures() {
                self.groups_off = true;
                return Ok(false);
            }
            let data = self.sample_data(key)?;
            let backend = *self
                .backend
                .get_or_insert_with(|| default_backend(self.codec, data.as_slice()));
            // The ffmpeg process delivers later and costs a process per worker.
            self.groups = (backend != Backend::Ffmpeg)
                .then(|| GroupDecoders::for_this_machine(self.codec, backend))
                .flatten();
            self.groups_off = self.groups.is_none();
        }
        Ok(self.groups.is_some())
    }

    /// Whether a frame is shown before the keyframe it is decoded after, or
    /// after a later keyframe (open GOPs): decoding from that keyframe alone
    /// would not give it.
    fn has_leading_pictures(&self) -> bool {
        let mut latest_before = i64::MIN;
        let mut group_key: Option<i64> = None;
        for s in &self.samples {
            if s.is_keyframe {
                if s.pts < latest_before {
                    return true;
                }
                group_key = Some(s.pts);
            } else if group_key.is_some_and(|k| s.pts < k) {
                return true;
            }
            latest_before = latest_before.max(s.pts);
        }
        false
    }

    /// Queues groups after the last one queued, one per worker. A group
    /// whose bytes cannot be read is left for the lookup that needs it.
    fn queue_ahead(&mut self) {
        while let Some(g) = self.groups.as_ref() {
            let Some(start) = g.queued_until() else {
                return;
            };
            if g.queued() >= g.workers() || start >= self.samples.len() {
                return;
            }
            if !matches!(self.queue_group(start), Ok(true)) {
                return;
            }
        }
    }

    /// Queues the group starting at sample `start` (up to the next keyframe
    /// that is a clean start); `false` if `start` is not one, or if its
    /// pictures would not fit a worker's share of the cache budget (a worker
    /// would then wait for the reader most of the time, and the source's
    /// own decoder with frame threads is faster).
    fn queue_group(&mut self, start: usize) -> Result<bool, DecodeError> {
        let clean = |codec, data: &Blob| reel_video::bitstream::is_keyframe(codec, data.as_slice());
        let Some(workers) = self.groups.as_ref().map(GroupDecoders::workers) else {
            return Ok(false);
        };
        // Half the budget for pictures not taken yet, shared by the workers.
        let cap = self.cache.budget / (2 * workers);
        if !self.samples[start].is_keyframe {
            return Ok(false);
        }
        let first = self.sample_data(start)?;
        if !clean(self.codec, &first) {
            return Ok(false);
        }
        let frame_bytes = self.frame_bytes_estimate(&first);
        let fits = |samples: usize| frame_bytes.saturating_mul(samples) <= cap;
        // A group reaches at least the next keyframe: checked before reading it.
        let at_least = self.samples[start + 1..]
            .iter()
            .position(|s| s.is_keyframe)
            .map_or(self.samples.len() - start, |n| n + 1);
        if !fits(at_least) {
            return Ok(false);
        }
        let mut samples = vec![(first, self.samples[start].pts, true)];
        for i in start + 1..self.samples.len() {
            let data = self.sample_data(i)?;
            let is_keyframe = self.samples[i].is_keyframe;
            if is_keyframe && clean(self.codec, &data) {
                break;
            }
            samples.push((data, self.samples[i].pts, is_keyframe));
        }
        if !fits(samples.len()) {
            return Ok(false);
        }
        self.stats.samples_decoded += samples.len() as u64;
        self.stats.groups += 1;
        if let Some(groups) = self.groups.as_mut() {
            groups.queue(start, samples, cap);
        }
        Ok(true)
    }

    /// Bytes of one decoded picture: a cached one's, else what the
    /// keyframe's headers say (size, chroma layout, bit depth); unknown
    /// counts as too large.
    fn frame_bytes_estimate(&self, keyframe: &Blob) -> usize {
        if let Some(c) = self.cache.frames.values().next() {
            return c.frame.heap_size();
        }
        let Some(info) = reel_video::bitstream::stream_info(self.codec, keyframe.as_slice()) else {
            return usize::MAX;
        };
        let layout = crate::ffmpeg::chroma_layout(info.chroma_format);
        crate::ffmpeg::plane_bytes(info.width, info.height, info.bit_depth, layout)
            .iter()
            .sum()
    }
}
