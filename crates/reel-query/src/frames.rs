//! Frame sources for an entity or a video file: what a frame at a time
//! is decoded from (the `decode` feature).

use std::path::Path;

use std::sync::{Arc, Mutex, RwLock};

use reel_decode::{DecodeError, FrameSource, SampleReader, StreamSample};
use reel_store::{RowRef, Store};
use reel_types::{
    Blob, EntityPath, TimeType, VideoCodec, VideoFrameReference, VideoStream, seconds,
};
use reel_video::MediaFile;

use crate::recording::load_for_frame_at;
use crate::timeline::default_timeline;
use crate::video::{
    SampleClock, StreamSamples, VideoForm, stream_sample_index, stream_samples, video_form,
    walk_stream_after,
};
use crate::{QueryError, QueryResult, entity_error};

/// Where on which clock a frame is asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum At {
    /// A time (ns) on a duration or timestamp timeline (`None`: the
    /// entity's default timeline).
    Time {
        /// The timeline.
        timeline: Option<String>,
        /// The time.
        ns: i64,
    },
    /// A position on a sequence timeline.
    Sequence {
        /// The timeline.
        timeline: String,
        /// The position.
        value: i64,
    },
}

/// The clock a frame's time is read on, to say times the way the user
/// gave them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Clock {
    /// A timeline of the recording.
    Timeline {
        /// Its name.
        name: String,
        /// Its type.
        typ: TimeType,
    },
    /// Media time of a video file or an `AssetVideo`.
    Video,
}

impl Clock {
    /// `t` in words: "frame #10", "0.5s on time", "video time 0.3s".
    pub fn show(&self, t: i64) -> String {
        match self {
            Self::Timeline {
                name,
                typ: TimeType::Sequence,
            } => format!("{name} #{t}"),
            Self::Timeline {
                name,
                typ: TimeType::DurationNs,
            } => format!("{} on {name}", seconds(t)),
            Self::Timeline { name, typ } => format!("{} on {name}", typ.format_value(t)),
            Self::Video => format!("video time {}", seconds(t)),
        }
    }
}

/// The frames a request resolves to: decode `frames` at `t`, said on `clock`.
pub struct EntityFrames {
    /// The frames (sample bytes shared with the store, or read lazily).
    pub frames: FrameSource,
    /// The time to look up in `frames`.
    pub t: i64,
    /// The clock of `t` and of the frames' times.
    pub clock: Clock,
    /// Whose frames: the video entity, or the file.
    pub subject: String,
    /// For a recording read through its keyframe index: chunks read, of
    /// how many.
    pub chunks_read: Option<(usize, usize)>,
}

/// The frames of a video file's first video track. Only its index is read
/// now; sample bytes are read when decoded.
pub fn file_frames(path: &Path) -> QueryResult<FrameSource> {
    Ok(FrameSource::from_media_file(MediaFile::open(path)?)?)
}

/// A frame source over stream samples.
pub fn stream_source(samples: StreamSamples) -> FrameSource {
    let mut source = FrameSource::new(samples.codec);
    for s in samples.samples {
        source.append(StreamSample {
            data: s.data,
            pts: s.pts,
            is_keyframe: s.is_keyframe,
        });
    }
    source
}

/// Reads a stream's samples from a shared store when a decoder needs them.
struct StoreSampleReader {
    store: Arc<RwLock<Store>>,
    entity: EntityPath,
    /// Shared with the [`StreamFollower`] that appends to it.
    rows: Arc<Mutex<Vec<RowRef>>>,
}

impl SampleReader for StoreSampleReader {
    fn read(&mut self, index: usize) -> Result<Blob, DecodeError> {
        let missing =
            |what: &str| DecodeError::Setup(format!("{}: sample {index} {what}", self.entity));
        let row = *self
            .rows
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(index)
            .ok_or_else(|| missing("does not exist"))?;
        let store = self.store.read().unwrap_or_else(|e| e.into_inner());
        let handle = store
            .row(row)
            .ok_or_else(|| missing("could not be read again from the recording"))?;
        handle
            .view()
            .blob(&VideoStream::SAMPLE)
            .map_err(|e| DecodeError::Setup(format!("{}: {e}", self.entity)))?
            .ok_or_else(|| missing("has no bytes"))
    }
}

/// A frame source over the `VideoStream` at `entity` that holds no sample
/// bytes: each is read from the store when a decoder needs it (a dropped
/// chunk is read again from the file). With a store budget
/// ([`Store::set_budget`]) and the frame cache's, memory stays bounded
/// however long the stream.
pub fn lazy_stream_source(
    store: Arc<RwLock<Store>>,
    entity: &EntityPath,
    clock: &SampleClock,
) -> QueryResult<FrameSource> {
    following_stream_source(store, entity, clock).map(|(source, _)| source)
}

/// As [`lazy_stream_source`], with a [`StreamFollower`] that appends the
/// samples of rows the store gains later ([`Store::refresh`] on a
/// recording still being written): a live view of a file.
pub fn following_stream_source(
    store: Arc<RwLock<Store>>,
    entity: &EntityPath,
    clock: &SampleClock,
) -> QueryResult<(FrameSource, StreamFollower)> {
    let index = {
        let s = store.read().unwrap_or_else(|e| e.into_inner());
        stream_sample_index(&s, entity, clock)?
    };
    let mut source = FrameSource::new(index.codec);
    let mut rows = Vec::with_capacity(index.samples.len());
    for s in index.samples {
        source.append_lazy(s.pts, s.is_keyframe);
        rows.push(s.row);
    }
    let last = rows.iter().map(|r| r.chunk).max();
    let rows = Arc::new(Mutex::new(rows));
    source.set_reader(Box::new(StoreSampleReader {
        store,
        entity: entity.clone(),
        rows: rows.clone(),
    }));
    let follower = StreamFollower {
        entity: entity.clone(),
        clock: clock.clone(),
        codec: index.codec,
        rows,
        last,
    };
    Ok((source, follower))
}

/// Keeps a source made by [`following_stream_source`] in step with its
/// store, in two steps so that no lock is held across both (a decoder
/// reading a sample holds the source, then reads the store):
/// [`collect_new`](Self::collect_new) with the store locked,
/// [`NewSamples::append_to`] with the source locked.
pub struct StreamFollower {
    entity: EntityPath,
    clock: SampleClock,
    codec: VideoCodec,
    rows: Arc<Mutex<Vec<RowRef>>>,
    /// The last chunk whose rows were looked at.
    last: Option<u32>,
}

/// Samples a [`StreamFollower`] found, to append to its source.
pub struct NewSamples {
    rows: Arc<Mutex<Vec<RowRef>>>,
    samples: Vec<(RowRef, i64, bool)>,
}

impl StreamFollower {
    /// The samples of rows in chunks the store gained since the last call
    /// (call with the store locked for reading, not the source).
    pub fn collect_new(&mut self, store: &Store) -> QueryResult<NewSamples> {
        let mut samples = Vec::new();
        walk_stream_after(
            store,
            &self.entity,
            &self.clock,
            self.last,
            Some(self.codec),
            |row, s| samples.push((row, s.pts, s.is_keyframe)),
        )?;
        self.last = store
            .chunk_count()
            .checked_sub(1)
            .map(|c| c as u32)
            .max(self.last);
        Ok(NewSamples {
            rows: self.rows.clone(),
            samples,
        })
    }
}

impl NewSamples {
    /// How many samples.
    pub fn len(&self) -> usize {
        self.samples.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }

    /// Appends them (without their bytes) to the follower's source (call
    /// with the source locked, not the store).
    pub fn append_to(self, source: &mut FrameSource) {
        let mut rows = self.rows.lock().unwrap_or_else(|e| e.into_inner());
        for (row, pts, is_keyframe) in self.samples {
            source.append_lazy(pts, is_keyframe);
            rows.push(row);
        }
    }
}

/// The frames of `entity` in the recording at `path` that show at `at`:
/// a `VideoStream`, an `AssetVideo` through the `VideoFrameReference` at
/// that time, or references into a `VideoStream`. A closed recording is
/// read through its keyframe index (one group of pictures), not whole.
pub fn recording_frames(path: &Path, entity: &EntityPath, at: &At) -> QueryResult<EntityFrames> {
    let (timeline, t) = match at {
        At::Time { timeline, ns } => (timeline.as_deref(), *ns),
        At::Sequence { timeline, value } => (Some(timeline.as_str()), *value),
    };
    let (store, chunks_read) = match load_for_frame_at(path, entity, timeline, t)? {
        Some(load) => {
            tracing::info!(
                "keyframe index: read {} of {} chunks for {entity} on {}",
                load.chunks_read,
                load.chunks_total,
                load.timeline
            );
            (load.store, Some((load.chunks_read, load.chunks_total)))
        }
        None => (Store::load(path)?.0, None),
    };
    let file = path.display().to_string();
    let mut frames = store_frames(&store, entity, at, &file).map_err(|e| match e {
        // Entity errors say which recording.
        QueryError::Entity { entity, message } => QueryError::Entity {
            entity: format!("{file}: {entity}"),
            message,
        },
        other => other,
    })?;
    frames.chunks_read = chunks_read;
    Ok(frames)
}

/// As [`recording_frames`], on a store already loaded (`file` names it in
/// the errors of an `AssetVideo`'s bytes).
pub fn store_frames(
    store: &Store,
    entity: &EntityPath,
    at: &At,
    file: &str,
) -> QueryResult<EntityFrames> {
    let info = store.entity_info(entity).ok_or_else(|| {
        let names: Vec<String> = store.entities().map(ToString::to_string).collect();
        entity_error(
            entity,
            format!("not in the recording (entities: {})", names.join(", ")),
        )
    })?;
    let (name, t) = match at {
        At::Time { timeline, ns } => {
            let name = match timeline {
                Some(n) => n.clone(),
                None => default_timeline(&info)
                    .filter(|t| t.typ != TimeType::Sequence)
                    .map(|t| t.name.to_string())
                    .ok_or_else(|| {
                        entity_error(
                            entity,
                            "has no duration or timestamp timeline; use --seq NAME=VALUE",
                        )
                    })?,
            };
            (name, *ns)
        }
        At::Sequence { timeline, value } => (timeline.clone(), *value),
    };
    let typ = info
        .timelines
        .iter()
        .find(|x| x.timeline.name.as_str() == name)
        .map(|x| x.timeline.typ)
        .ok_or_else(|| {
            let names: Vec<_> = info
                .timelines
                .iter()
                .map(|x| x.timeline.name.to_string())
                .collect();
            entity_error(
                entity,
                format!(
                    "is not on a timeline {name} (its timelines: {})",
                    names.join(", ")
                ),
            )
        })?;
    let timeline_clock = Clock::Timeline {
        name: name.clone(),
        typ,
    };
    match video_form(store, entity)? {
        VideoForm::Stream => {
            // The sample's time on the timeline is its presentation time.
            let samples = stream_samples(store, entity, &SampleClock::Timeline(name))?;
            Ok(EntityFrames {
                frames: stream_source(samples),
                t,
                clock: timeline_clock,
                subject: entity.to_string(),
                chunks_read: None,
            })
        }
        VideoForm::Asset(_) | VideoForm::References => {
            let reference = store
                .latest_at(entity, &name, t, &VideoFrameReference::TIMESTAMP)
                .ok_or_else(|| {
                    entity_error(
                        entity,
                        format!(
                            "no VideoFrameReference at or before {}",
                            timeline_clock.show(t)
                        ),
                    )
                })?
                .get::<VideoFrameReference>()?
                .ok_or_else(|| entity_error(entity, "unreadable VideoFrameReference"))?;
            let video = reference
                .video_reference
                .clone()
                .unwrap_or_else(|| entity.clone());
            if store.entity_info(&video).is_none() {
                return Err(entity_error(
                    entity,
                    format!("refers to {video}, which is not in the recording"),
                ));
            }
            let frames = match video_form(store, &video)? {
                VideoForm::Asset(asset) => FrameSource::from_media_file(MediaFile::from_reader(
                    std::io::Cursor::new(asset.blob().clone()),
                    format!("{file}: the AssetVideo of {video}"),
                )?)?,
                VideoForm::Stream => {
                    // A reference into a VideoStream names its media PTS.
                    let samples = stream_samples(store, &video, &SampleClock::LoggedPts)?;
                    if samples.samples.is_empty() {
                        return Err(entity_error(
                            &video,
                            "its samples carry no media presentation timestamps to refer to",
                        ));
                    }
                    stream_source(samples)
                }
                VideoForm::References => {
                    return Err(entity_error(
                        entity,
                        format!("refers to {video}, which holds no video"),
                    ));
                }
            };
            Ok(EntityFrames {
                frames,
                t: reference.timestamp_ns,
                clock: Clock::Video,
                subject: video.to_string(),
                chunks_read: None,
            })
        }
    }
}
