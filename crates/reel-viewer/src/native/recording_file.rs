//! A reel recording: every entity with pictures gets a view — `Image` and
//! `EncodedImage` rows through the image loader, `VideoStream` samples and
//! `VideoFrameReference` rows (into an `AssetVideo` or a stream) through
//! the frame server.
//!
//! The store holds loaded chunks under a budget (evicted chunks are read
//! again from the file by offset); streams hold no sample bytes (read from
//! the store when decoded), so memory follows what is shown, not the file.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use reel_decode::{FrameServer, FrameSource, StreamFrames};
use reel_query::frames::{following_stream_source, lazy_stream_source};
use reel_query::images::ImageLoader;
use reel_query::{SampleClock, VideoForm, stream_sample_index, video_form};
use reel_store::Store;
use reel_types::{EncodedImage, EntityPath, Image, VideoFrameReference, VideoStream};
use reel_video::MediaFile;

use super::background::Background;
use super::frame_facts::{frame_details, reply_of};
use super::loading::{Loading, index_summaries};
use super::stream_entry::{Made, VideoEntry, VideoSlot};
use crate::picture::{Picture, ValueRange, picture_of_image};
use crate::recording::{EntityKind, EntitySummary, PictureReply, Recording, SampleMark};
use crate::time::TimelineSummary;

/// Decoded images kept per recording.
const IMAGE_BUDGET: usize = 128 << 20;

/// How long the selection panel's facts are reused (some wait for a decode).
const DETAILS_FOR: Duration = Duration::from_millis(500);

/// An open recording.
pub struct RecordingFile {
    name: String,
    file: String,
    store: Arc<RwLock<Store>>,
    server: Arc<FrameServer>,
    images: ImageLoader,
    entities: Vec<EntitySummary>,
    paths: Vec<EntityPath>,
    /// Per entity, the archetypes it had when summarized from the store
    /// (`None`: listed from the footer index): see `summarize_entities`.
    summarized: Vec<Option<Vec<String>>>,
    /// Streams by (entity, timeline); referenced videos by (video, "").
    videos: HashMap<(EntityPath, String), VideoSlot>,
    times: HashMap<(usize, String), Arc<Vec<i64>>>,
    samples: HashMap<(usize, String), Arc<Vec<SampleMark>>>,
    samples_pending: HashMap<(usize, String), Background<Vec<SampleMark>>>,
    pictures: HashMap<usize, (Arc<Image>, Option<ValueRange>, Picture)>,
    details: HashMap<usize, (Instant, Vec<(String, String)>)>,
    follow: bool,
    last_follow: Instant,
    /// Chunks in the store when it was last looked at for new ones.
    chunks_seen: usize,
    messages: Vec<String>,
    path: PathBuf,
    /// Set while the file is read on a thread.
    loading: Option<Loading>,
    /// Timelines from the footer index, while loading.
    index_timelines: Vec<TimelineSummary>,
    /// The groups of pictures shown while loading, until the streams of the
    /// loaded store show their own frame.
    fallback: BTreeMap<(EntityPath, String), StreamFrames>,
}

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|e| e.into_inner())
}

impl RecordingFile {
    /// Opens `path` at once: the file is read on a thread; meanwhile the
    /// footer index gives the entities, timelines and the frames around
    /// the cursor. `follow`: keep reading what is appended to it.
    pub fn open(path: &Path, server: Arc<FrameServer>, follow: bool) -> Result<Self, String> {
        let file = path.display().to_string();
        std::fs::File::open(path).map_err(|e| format!("{file}: {e}"))?;
        let store = Arc::new(RwLock::new(Store::new()));
        let loading = Loading::start(path, &store);
        let (listed, index_timelines) = loading
            .index
            .as_ref()
            .map(|index| index_summaries(index))
            .unwrap_or_default();
        let (paths, entities): (Vec<_>, _) = listed.into_iter().unzip();
        let summarized = vec![None; paths.len()];
        let name = path
            .file_name()
            .map_or_else(|| file.clone(), |n| n.to_string_lossy().into_owned());
        Ok(Self {
            name,
            file,
            images: ImageLoader::new(store.clone(), IMAGE_BUDGET),
            store,
            server,
            entities,
            paths,
            summarized,
            videos: HashMap::new(),
            times: HashMap::new(),
            samples: HashMap::new(),
            samples_pending: HashMap::new(),
            pictures: HashMap::new(),
            details: HashMap::new(),
            follow,
            last_follow: Instant::now(),
            chunks_seen: 0,
            messages: Vec::new(),
            path: path.to_path_buf(),
            loading: Some(loading),
            index_timelines,
            fallback: BTreeMap::new(),
        })
    }

    /// Takes the store the loading thread read; what it found goes to the
    /// messages; the entity list is completed (indices of the entities
    /// already listed stay).
    fn loaded(&mut self, store: Option<Store>, report: reel_store::ScanReport) {
        for s in &report.skipped {
            self.messages.push(format!(
                "skipped {} damaged bytes at offset {} ({})",
                s.len, s.offset, s.reason
            ));
        }
        if let Some(t) = &report.torn_tail
            && !self.follow
        {
            self.messages.push(format!(
                "the file ends in an incomplete write at offset {} ({} bytes; it was not \
                 closed cleanly, or is still being written: try --follow)",
                t.offset, t.len
            ));
        }
        match store {
            Some(store) => *self.store.write().unwrap_or_else(|e| e.into_inner()) = store,
            // Scanned into the shared store: streams take its last part,
            // and end there unless the file is followed.
            None => {
                // Seen or not, the streams take what they skipped meanwhile.
                self.chunks_seen = 0;
                self.take_new_chunks();
                for slot in self.videos.values_mut() {
                    if let VideoSlot::Ready(Ok(entry)) = slot {
                        entry.ends = !self.follow;
                    }
                }
            }
        }
        self.summarize_entities();
        if self.entities.is_empty() {
            self.messages.push("no entity with images or video".into());
        }
        self.times.clear();
        self.samples.clear();
        self.details.clear();
    }

    /// Whether the recording is being read with the footer index's
    /// previews standing in (the store arrives whole at the end).
    fn previewing(&self) -> bool {
        self.loading.as_ref().is_some_and(|l| l.index.is_some())
    }

    /// Bytes scanned so far of a recording without a footer index, while
    /// it is scanned in parts.
    fn scanning(&self) -> Option<u64> {
        let scanned = self.loading.as_ref()?.scanned.as_ref()?;
        Some(scanned.load(std::sync::atomic::Ordering::Relaxed))
    }

    /// Chunks the store took in since the last call (a followed file grew,
    /// or a scan went on): streams get their new samples, entities and
    /// caches are brought up to date. Whether there were any.
    fn take_new_chunks(&mut self) -> bool {
        let count = read(&self.store).chunk_count();
        if count == self.chunks_seen {
            return false;
        }
        self.chunks_seen = count;
        // While a footerless file is scanned, streams keep the samples they
        // have and take the rest when the scan ends, unless the time asked
        // for is past their last sample: new samples every 250 ms restart
        // the decoding of the frame being waited for (measured on a 951 MB
        // file: its frame at 1 s showed after 7.2 s instead of 2.1 s).
        let scanning = self.scanning().is_some();
        for slot in self.videos.values_mut() {
            let VideoSlot::Ready(Ok(entry)) = slot else {
                continue;
            };
            if scanning && !entry.short_of_wanted() {
                continue;
            }
            entry.stale |= entry.follower.is_some();
            entry.advance(&self.store, &mut self.messages);
        }
        self.times.clear();
        self.samples.clear();
        self.summarize_entities();
        true
    }

    /// Summaries from the store: updated in place, new entities appended.
    /// This runs each time a followed or scanned file grows, and a summary
    /// reads rows (a stream's first keyframe, the first image): an entity
    /// is summarized again only when its archetypes or timelines changed,
    /// or its details were still missing.
    fn summarize_entities(&mut self) {
        let store = read(&self.store);
        for path in store.entities() {
            let Some(info) = store.entity_info(path) else {
                continue;
            };
            let listed = self.paths.iter().position(|p| p == path);
            if let Some(i) = listed {
                let current = &self.entities[i];
                let same_timelines = current
                    .timelines
                    .iter()
                    .eq(info.timelines.iter().map(|t| t.timeline.name.as_str()));
                let details_missing = current.details.is_empty()
                    && matches!(
                        current.kind,
                        EntityKind::VideoStream | EntityKind::Image | EntityKind::EncodedImage
                    );
                if self.summarized[i].as_ref() == Some(&info.archetypes)
                    && same_timelines
                    && !details_missing
                {
                    continue;
                }
            }
            let Some(summary) = summarize(&store, path) else {
                continue;
            };
            match listed {
                Some(i) => {
                    self.entities[i] = summary;
                    self.summarized[i] = Some(info.archetypes);
                }
                None => {
                    self.entities.push(summary);
                    self.paths.push(path.clone());
                    self.summarized.push(Some(info.archetypes));
                }
            }
        }
    }

    /// While loading: the group of pictures around `t`, read through the
    /// keyframe index; other entities wait for the file.
    fn preview_reply(
        &mut self,
        entity: usize,
        timeline: &str,
        t: i64,
        visible: bool,
    ) -> PictureReply {
        let waiting = PictureReply {
            pending: true,
            ..Default::default()
        };
        let Some(loading) = self.loading.as_mut() else {
            return waiting;
        };
        if self.entities[entity].kind != EntityKind::VideoStream || loading.index.is_none() {
            return waiting;
        }
        let preview = loading.preview(&self.path, &self.server, &self.paths[entity], timeline, t);
        match &preview.frames {
            Some(frames) => {
                frames.set_visible(visible);
                reply_of(frames, t, &[])
            }
            None => PictureReply {
                pending: preview.error.is_none(),
                error: preview.error.clone(),
                ..Default::default()
            },
        }
    }

    /// The frames of a video under `key`, made on first use by `make` on a
    /// thread (indexing a stream reads each of its chunks; a long one read
    /// again from disk takes seconds): `None` while it is being made.
    fn video(
        &mut self,
        key: (EntityPath, String),
        make: impl FnOnce() -> Made + Send + 'static,
    ) -> Option<Result<&VideoEntry, String>> {
        if !self.videos.contains_key(&key) {
            let slot = match Background::spawn("reel-stream-index", make) {
                Ok(thread) => VideoSlot::Making(thread),
                Err(e) => VideoSlot::Ready(Err(e)),
            };
            self.videos.insert(key.clone(), slot);
        }
        if let Some(VideoSlot::Making(thread)) = self.videos.get(&key) {
            let made = thread
                .poll()?
                .unwrap_or_else(|()| Err("the thread indexing the video stopped".into()));
            let entry = made.map(|(source, follower)| {
                let times = source.frame_times();
                VideoEntry::new(self.server.add_stream(source), follower, times)
            });
            self.videos.insert(key.clone(), VideoSlot::Ready(entry));
        }
        match self.videos.get(&key) {
            Some(VideoSlot::Ready(r)) => Some(r.as_ref().map_err(Clone::clone)),
            _ => None,
        }
    }

    /// The frames of the stream at `entity` timed on `timeline`.
    fn stream(
        &mut self,
        entity: &EntityPath,
        timeline: &str,
    ) -> Option<Result<&VideoEntry, String>> {
        // A file still being scanned grows like a followed one meanwhile.
        let follow = self.follow || self.scanning().is_some();
        let (store, path) = (self.store.clone(), entity.clone());
        let clock = SampleClock::Timeline(timeline.to_owned());
        self.video((entity.clone(), timeline.to_owned()), move || {
            let (mut source, follower) =
                following_stream_source(store, &path, &clock).map_err(|e| e.to_string())?;
            source.set_open_ended(follow);
            Ok((source, follow.then_some(follower)))
        })
    }

    /// The frames of `video` on its media clock (what references name).
    fn referenced(&mut self, video: &EntityPath) -> Option<Result<&VideoEntry, String>> {
        let (store, path, file) = (self.store.clone(), video.clone(), self.file.clone());
        self.video((video.clone(), String::new()), move || {
            Ok((referenced_source(&store, &path, &file)?, None))
        })
    }

    fn image_reply(
        &mut self,
        entity: usize,
        timeline: &str,
        t: i64,
        range: Option<ValueRange>,
    ) -> PictureReply {
        let reply = self.images.request(&self.paths[entity], timeline, t);
        let picture = reply.image.and_then(|image| {
            // Converted once per picture and range, not per paint.
            if let Some((held, r, picture)) = self.pictures.get(&entity)
                && Arc::ptr_eq(held, &image)
                && *r == range
            {
                return Some(picture.clone());
            }
            let picture = picture_of_image(&image, range).ok()?;
            self.pictures
                .insert(entity, (image, range, picture.clone()));
            Some(picture)
        });
        PictureReply {
            picture,
            exact: reply.exact,
            pending: reply.pending,
            error: reply.error,
        }
    }

    fn reference_reply(&mut self, entity: usize, timeline: &str, t: i64) -> PictureReply {
        let reference = {
            let store = read(&self.store);
            store
                .latest_at(
                    &self.paths[entity],
                    timeline,
                    t,
                    &VideoFrameReference::TIMESTAMP,
                )
                .map(|row| row.get::<VideoFrameReference>())
        };
        let reference = match reference {
            None => return PictureReply::default(),
            Some(Err(e)) => {
                return PictureReply {
                    error: Some(format!("unreadable VideoFrameReference: {e}")),
                    ..Default::default()
                };
            }
            Some(Ok(None)) => return PictureReply::default(),
            Some(Ok(Some(r))) => r,
        };
        let video = reference
            .video_reference
            .clone()
            .unwrap_or_else(|| self.paths[entity].clone());
        match self.referenced(&video) {
            Some(Ok(entry)) => reply_of(&entry.frames, reference.timestamp_ns, &entry.times),
            Some(Err(e)) => PictureReply {
                error: Some(e),
                ..Default::default()
            },
            None => PictureReply {
                pending: true,
                ..Default::default()
            },
        }
    }
}

/// What the tree says of `path`, or `None` if it has nothing to show.
fn summarize(store: &Store, path: &EntityPath) -> Option<EntitySummary> {
    let info = store.entity_info(path)?;
    let has = |name: &str| info.archetypes.iter().any(|a| a == name);
    let timelines: Vec<String> = info
        .timelines
        .iter()
        .map(|t| t.timeline.name.to_string())
        .collect();
    // The rows at the first time only: a range over all of them would
    // load every chunk of the entity.
    let first_rows = || {
        let first = info.timelines.first()?;
        let name = first.timeline.name.as_str();
        store
            .range(path, name, first.min, first.min)
            .into_iter()
            .next()
    };
    let kind = EntityKind::of(has, !timelines.is_empty(), || {
        matches!(video_form(store, path), Ok(VideoForm::Asset(_)))
    })?;
    let details = match kind {
        EntityKind::VideoStream => stream_details(store, path).unwrap_or_default(),
        EntityKind::Image => first_rows()
            .and_then(|r| r.get::<Image>().ok().flatten())
            .map(|i| i.format().to_string())
            .unwrap_or_default(),
        EntityKind::EncodedImage => first_rows()
            .and_then(|r| r.get::<EncodedImage>().ok().flatten())
            .map(|i| i.media_type().to_owned())
            .unwrap_or_default(),
        _ => String::new(),
    };
    Some(EntitySummary {
        path: path.to_string(),
        kind,
        details,
        timelines,
    })
}

/// "H264 1280x720 8-bit 4:2:0 avc1.64001f" from the first keyframe: the
/// first rows only (the whole stream would mean reading every chunk).
fn stream_details(store: &Store, path: &EntityPath) -> Option<String> {
    let codec = store
        .static_rows(path)
        .iter()
        .rev()
        .find_map(|r| r.get::<VideoStream>().ok().flatten()?.codec)?;
    let info = store
        .row_refs_in_log_order(path)
        .into_iter()
        .take(64)
        .find_map(|r| {
            let blob = store.row(r)?.view().blob(&VideoStream::SAMPLE).ok()??;
            reel_video::bitstream::stream_info(codec, blob.as_slice())
        })?;
    Some(format!(
        "{codec} {}x{} {}-bit {} {}",
        info.width, info.height, info.bit_depth, info.chroma_format, info.codec_string
    ))
}

/// The samples of a stream for the GOP strip, sorted by time.
fn sample_marks(
    store: &RwLock<Store>,
    entity: &EntityPath,
    clock: &SampleClock,
) -> Vec<SampleMark> {
    let index = match stream_sample_index(&read(store), entity, clock) {
        Ok(index) => index,
        Err(_) => return Vec::new(),
    };
    let mut max = i64::MIN;
    let mut marks: Vec<SampleMark> = index
        .samples
        .iter()
        .map(|s| {
            let reordered = s.pts < max;
            max = max.max(s.pts);
            SampleMark {
                time: s.pts,
                bytes: s.bytes,
                keyframe: s.is_keyframe,
                reordered,
            }
        })
        .collect();
    marks.sort_by_key(|s| s.time);
    marks
}

/// The frames a `VideoFrameReference` names: an `AssetVideo`'s file (its
/// index read now, samples when decoded) or a stream by its media PTS.
fn referenced_source(
    store: &Arc<RwLock<Store>>,
    video: &EntityPath,
    file: &str,
) -> Result<FrameSource, String> {
    let form = video_form(&read(store), video).map_err(|e| e.to_string())?;
    match form {
        VideoForm::Asset(asset) => {
            let media = MediaFile::from_reader(
                std::io::Cursor::new(asset.blob().clone()),
                format!("{file}: the AssetVideo of {video}"),
            )
            .map_err(|e| e.to_string())?;
            FrameSource::from_media_file(media).map_err(|e| e.to_string())
        }
        VideoForm::Stream => lazy_stream_source(store.clone(), video, &SampleClock::LoggedPts)
            .map_err(|e| e.to_string()),
        VideoForm::References => Err(format!("{video} holds no video to refer to")),
    }
}

impl Recording for RecordingFile {
    fn name(&self) -> &str {
        &self.name
    }

    fn entities(&self) -> &[EntitySummary] {
        &self.entities
    }

    fn timelines(&self) -> Vec<TimelineSummary> {
        if self.previewing() {
            return self.index_timelines.clone();
        }
        let store = read(&self.store);
        let mut out: Vec<TimelineSummary> = Vec::new();
        for path in &self.paths {
            let Some(info) = store.entity_info(path) else {
                continue;
            };
            for t in info.timelines {
                TimelineSummary {
                    name: t.timeline.name.to_string(),
                    typ: t.timeline.typ,
                    min: t.min,
                    max: t.max,
                }
                .merge_into(&mut out);
            }
        }
        out
    }

    fn times(&mut self, entity: usize, timeline: &str) -> Arc<Vec<i64>> {
        if self.previewing() {
            return Arc::default();
        }
        let key = (entity, timeline.to_owned());
        if let Some(t) = self.times.get(&key) {
            return t.clone();
        }
        // From the store's index: no chunk is read for it.
        let mut times = read(&self.store).times(&self.paths[entity], timeline);
        times.dedup();
        let times = Arc::new(times);
        self.times.insert(key, times.clone());
        times
    }

    fn samples(&mut self, entity: usize, timeline: &str) -> Arc<Vec<SampleMark>> {
        if self.previewing() {
            return Arc::default();
        }
        let key = (entity, timeline.to_owned());
        if let Some(s) = self.samples.get(&key) {
            return s.clone();
        }
        if self.entities[entity].kind != EntityKind::VideoStream {
            return Arc::default();
        }
        // Sample sizes mean reading every chunk of the stream: on a thread
        // (chunks dropped from memory are read one at a time and let go
        // again, so the store's budget holds).
        match self.samples_pending.get(&key).map(Background::poll) {
            Some(None) => Arc::default(),
            Some(Some(made)) => {
                self.samples_pending.remove(&key);
                // A thread that stopped leaves the strip empty.
                let marks = Arc::new(made.unwrap_or_default());
                self.samples.insert(key, marks.clone());
                marks
            }
            None => {
                let (store, path) = (self.store.clone(), self.paths[entity].clone());
                let clock = SampleClock::Timeline(timeline.to_owned());
                let spawned = Background::spawn("reel-gop-strip", move || {
                    sample_marks(&store, &path, &clock)
                });
                if let Ok(thread) = spawned {
                    self.samples_pending.insert(key, thread);
                }
                Arc::default()
            }
        }
    }

    fn request(
        &mut self,
        entity: usize,
        timeline: &str,
        t: i64,
        playing: Option<i64>,
        visible: bool,
        range: Option<ValueRange>,
    ) -> PictureReply {
        if self.previewing() {
            return self.preview_reply(entity, timeline, t, visible);
        }
        match self.entities[entity].kind {
            EntityKind::Image | EntityKind::EncodedImage => {
                self.image_reply(entity, timeline, t, range)
            }
            EntityKind::VideoStream => {
                let path = self.paths[entity].clone();
                let key = (path.clone(), timeline.to_owned());
                match self.stream(&path, timeline) {
                    None => {
                        // Being indexed: the preview's frame meanwhile.
                        let picture = self
                            .fallback
                            .get(&key)
                            .and_then(|p| reply_of(p, t, &[]).picture);
                        PictureReply {
                            picture,
                            pending: true,
                            ..Default::default()
                        }
                    }
                    Some(Ok(entry)) => {
                        entry.want(t);
                        entry.frames.set_visible(visible);
                        entry.frames.set_playing(playing);
                        let mut reply = reply_of(&entry.frames, t, &entry.times);
                        // The preview's frame stands in until the stream has one.
                        if reply.picture.is_none()
                            && let Some(preview) = self.fallback.get(&key)
                        {
                            reply.picture = reply_of(preview, t, &[]).picture;
                        } else if reply.exact {
                            self.fallback.remove(&key);
                        }
                        reply
                    }
                    Some(Err(e)) => PictureReply {
                        error: Some(e),
                        ..Default::default()
                    },
                }
            }
            EntityKind::AssetVideo | EntityKind::FrameReferences | EntityKind::VideoFile => {
                self.reference_reply(entity, timeline, t)
            }
        }
    }

    fn details(&mut self, entity: usize) -> Vec<(String, String)> {
        if self.previewing() {
            return vec![("recording".into(), "being read…".into())];
        }
        if let Some((at, d)) = self.details.get(&entity)
            && at.elapsed() < DETAILS_FOR
        {
            return d.clone();
        }
        let mut out = Vec::new();
        if let Some(scanned) = self.scanning() {
            let size = std::fs::metadata(&self.path).map_or(0, |m| m.len());
            out.push((
                "recording".into(),
                format!(
                    "no footer index: scanned {:.0} of {:.0} MB",
                    scanned as f64 / 1e6,
                    size as f64 / 1e6
                ),
            ));
        }
        let path = self.paths[entity].clone();
        let e = &self.entities[entity];
        out.push(("entity".into(), e.path.clone()));
        out.push(("archetype".into(), e.kind.name().to_owned()));
        if !e.details.is_empty() {
            out.push(("format".into(), e.details.clone()));
        }
        if let Some(info) = read(&self.store).entity_info(&path) {
            out.push(("rows".into(), info.num_rows.to_string()));
            let bytes: u64 = info.components.values().map(|c| c.bytes).sum();
            out.push(("bytes".into(), bytes.to_string()));
        }
        let timeline = e.timelines.first().cloned();
        if e.kind == EntityKind::VideoStream
            && let Some(tl) = timeline
        {
            let samples = self.samples(entity, &tl);
            if let Some(Ok(entry)) = self.stream(&path, &tl) {
                out.extend(frame_details(&entry.frames, &samples));
            }
        }
        let memory = read(&self.store).memory();
        out.push((
            "recording chunks in memory".into(),
            format!("{:.1} MB", memory.resident_bytes as f64 / 1e6),
        ));
        self.details.insert(entity, (Instant::now(), out.clone()));
        out
    }

    fn refresh(&mut self) -> bool {
        // New samples move along as soon as they can, every UI frame.
        for slot in self.videos.values_mut() {
            if let VideoSlot::Ready(Ok(entry)) = slot {
                entry.advance(&self.store, &mut self.messages);
            }
        }
        let paced = self.last_follow.elapsed() >= Duration::from_millis(250);
        if let Some(loading) = self.loading.as_mut() {
            if let Some(result) = loading.poll() {
                if let Some(loading) = self.loading.take() {
                    self.fallback = loading.into_previews();
                }
                match result {
                    Ok((store, report)) => self.loaded(store, report),
                    Err(e) => self.messages.push(e),
                }
                return true;
            }
            // A scan in parts: what it added so far shows.
            if self.scanning().is_none() || !paced {
                return false;
            }
            self.last_follow = Instant::now();
            return self.take_new_chunks();
        }
        if !self.follow || !paced {
            return false;
        }
        self.last_follow = Instant::now();
        let report = match self.store.write() {
            Ok(mut s) => s.refresh(),
            Err(e) => e.into_inner().refresh(),
        };
        if let Err(e) = report {
            self.messages.push(e.to_string());
        }
        self.take_new_chunks()
    }

    fn loading(&self) -> bool {
        self.loading.is_some()
    }

    fn budgets(&self) -> Vec<crate::recording::Budget> {
        let memory = read(&self.store).memory();
        vec![
            crate::recording::Budget {
                name: super::CHUNKS.into(),
                used: memory.resident_bytes,
                limit: memory.budget.unwrap_or(usize::MAX),
                shared: false,
            },
            super::frame_budget(&self.server),
        ]
    }

    fn set_budget(&mut self, name: &str, bytes: usize) {
        match name {
            super::CHUNKS => self
                .store
                .write()
                .unwrap_or_else(|e| e.into_inner())
                .set_budget(Some(bytes)),
            super::FRAMES => self.server.set_frame_budget(bytes),
            _ => {}
        }
    }

    fn take_messages(&mut self) -> Vec<String> {
        std::mem::take(&mut self.messages)
    }
}
