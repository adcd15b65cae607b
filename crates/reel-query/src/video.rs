//! A video entity's samples, whatever form it was logged in.

use reel_store::{RowRef, Store};
use reel_types::{AssetVideo, Blob, EntityPath, TimeType, VideoCodec, VideoStream};

use crate::timeline::{default_timeline, time_on};
use crate::{QueryResult, entity_error};

/// How a video entity was logged.
#[derive(Clone, Debug)]
pub enum VideoForm {
    /// `VideoStream` rows: one encoded sample per row.
    Stream,
    /// An `AssetVideo`: a whole video file, shown through
    /// `VideoFrameReference` rows (on this entity or others).
    Asset(AssetVideo),
    /// `VideoFrameReference` rows pointing at another entity (or at a
    /// `VideoStream`'s media times).
    References,
}

/// How `entity` holds video; an error names what it holds instead.
pub fn video_form(store: &Store, entity: &EntityPath) -> QueryResult<VideoForm> {
    let info = store.entity_info(entity).ok_or_else(|| {
        entity_error(
            entity,
            "not in the recording (`reel info FILE` lists its entities)",
        )
    })?;
    let has = |a: &str| info.archetypes.iter().any(|x| x == a);
    if has("AssetVideo") {
        return asset_video(store, entity)
            .map(VideoForm::Asset)
            .ok_or_else(|| {
                entity_error(
                    entity,
                    "its AssetVideo rows hold no video bytes (the blob or media type is missing)",
                )
            });
    }
    if has("VideoStream") {
        return Ok(VideoForm::Stream);
    }
    if has("VideoFrameReference") {
        return Ok(VideoForm::References);
    }
    Err(entity_error(
        entity,
        format!("holds {}: not a video", info.archetypes.join(", ")),
    ))
}

/// The `AssetVideo` logged at `entity` (static rows first), if any.
pub fn asset_video(store: &Store, entity: &EntityPath) -> Option<AssetVideo> {
    store
        .static_rows(entity)
        .into_iter()
        .chain(store.rows_in_log_order(entity))
        .find_map(|r| r.get::<AssetVideo>().ok().flatten())
}

/// Which time each sample of a `VideoStream` is given.
#[derive(Clone, Debug, PartialEq)]
pub enum SampleClock {
    /// Its time on this timeline: the frame shows when the timeline is
    /// there (the viewer's and `reel frame --time`'s view).
    Timeline(String),
    /// Its logged media presentation time (ns); samples without one are
    /// left out (what a `VideoFrameReference` into a stream names).
    LoggedPts,
    /// Its logged media presentation time, else its time on a timeline
    /// (`None`: the default timeline); a sequence timeline needs `fps`
    /// (what an MP4 export writes).
    LoggedPtsOrTimeline {
        /// The timeline.
        timeline: Option<String>,
        /// Frames per second of a sequence timeline.
        fps: Option<f64>,
    },
}

/// One sample of a stream.
#[derive(Clone, Debug)]
pub struct Sample {
    /// The bytes: a slice of the chunk's Arrow buffer, not a copy.
    pub data: Blob,
    /// Its time on the [`SampleClock`] asked for.
    pub pts: i64,
    /// Its logged decode time (ns), if any.
    pub dts_ns: Option<i64>,
    /// Whether decoding can start here (as logged, else from the bitstream).
    pub is_keyframe: bool,
}

/// The samples of a `VideoStream` entity in decode (logging) order.
#[derive(Clone, Debug)]
pub struct StreamSamples {
    /// The codec.
    pub codec: VideoCodec,
    /// The source's media timescale, if logged.
    pub timescale: Option<u32>,
    /// The samples.
    pub samples: Vec<Sample>,
}

/// The samples of the `VideoStream` at `entity`, timed by `clock`.
pub fn stream_samples(
    store: &Store,
    entity: &EntityPath,
    clock: &SampleClock,
) -> QueryResult<StreamSamples> {
    let mut samples = Vec::new();
    let (codec, timescale) = walk_stream(store, entity, clock, |_, sample| samples.push(sample))?;
    Ok(StreamSamples {
        codec,
        timescale,
        samples,
    })
}

/// Where each sample of a stream is, with its time and keyframe flag:
/// what a lazily read frame source needs, without the bytes.
#[derive(Clone, Debug)]
pub struct SampleIndex {
    /// The codec.
    pub codec: VideoCodec,
    /// The samples in decode order.
    pub samples: Vec<IndexedSample>,
}

/// One sample of a [`SampleIndex`]: where it is and what it is, not its bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IndexedSample {
    /// Its row.
    pub row: RowRef,
    /// Its time on the clock asked for.
    pub pts: i64,
    /// Whether decoding can start here.
    pub is_keyframe: bool,
    /// Its size in bytes.
    pub bytes: u64,
}

/// The rows, times and keyframe flags of the `VideoStream` at `entity`,
/// timed by `clock`. Chunks dropped from memory are read one at a time
/// and let go again, so a long stream under a store budget is indexed in
/// bounded memory.
pub fn stream_sample_index(
    store: &Store,
    entity: &EntityPath,
    clock: &SampleClock,
) -> QueryResult<SampleIndex> {
    let mut samples = Vec::new();
    let (codec, _) = walk_stream(store, entity, clock, |row, s| {
        samples.push(IndexedSample {
            row,
            pts: s.pts,
            is_keyframe: s.is_keyframe,
            bytes: s.data.len() as u64,
        });
    })?;
    Ok(SampleIndex { codec, samples })
}

/// Calls `each` for every sample of the stream at `entity` in decode order;
/// returns the codec and the media timescale.
fn walk_stream(
    store: &Store,
    entity: &EntityPath,
    clock: &SampleClock,
    each: impl FnMut(RowRef, Sample),
) -> QueryResult<(VideoCodec, Option<u32>)> {
    let (codec, timescale) = walk_stream_after(store, entity, clock, None, None, each)?;
    let codec = codec.ok_or_else(|| entity_error(entity, "no VideoStream codec was logged"))?;
    Ok((codec, timescale))
}

/// As [`walk_stream`], for the rows of chunks inserted after chunk
/// `after` (`None`: all), so a row that arrives late is not skipped;
/// `codec` is the stream's codec when known (its static row may be among
/// the rows skipped).
pub(crate) fn walk_stream_after(
    store: &Store,
    entity: &EntityPath,
    clock: &SampleClock,
    after: Option<u32>,
    codec: Option<VideoCodec>,
    mut each: impl FnMut(RowRef, Sample),
) -> QueryResult<(Option<VideoCodec>, Option<u32>)> {
    let info = store
        .entity_info(entity)
        .ok_or_else(|| entity_error(entity, "not in the recording"))?;
    // The timeline (and its type) samples fall back to.
    let fallback = match clock {
        SampleClock::Timeline(name) => Some(name.clone()),
        SampleClock::LoggedPts => None,
        SampleClock::LoggedPtsOrTimeline { timeline, .. } => timeline
            .clone()
            .or_else(|| default_timeline(&info).map(|t| t.name.to_string())),
    };
    let fallback_type = fallback.as_deref().and_then(|name| {
        info.timelines
            .iter()
            .find(|t| t.timeline.name.as_str() == name)
            .map(|t| t.timeline.typ)
    });
    let fps = match clock {
        SampleClock::LoggedPtsOrTimeline { fps, .. } => *fps,
        _ => None,
    };
    if let (SampleClock::Timeline(name), None) = (clock, fallback_type) {
        return Err(entity_error(entity, format!("is not on timeline {name}")));
    }
    let mut codec = codec;
    let mut timescale = None;
    for row_ref in store.row_refs_in_log_order(entity) {
        if after.is_some_and(|a| row_ref.chunk <= a) {
            continue;
        }
        let Some(row) = store.row(row_ref) else {
            continue;
        };
        let Some(s) = row.get::<VideoStream>()? else {
            continue;
        };
        codec = s.codec.or(codec);
        timescale = s.media_timescale.or(timescale);
        let Some(data) = s.sample else {
            continue;
        };
        let logged = match clock {
            SampleClock::Timeline(_) => None,
            _ => s.presentation_timestamp_ns,
        };
        let pts = match (logged, clock) {
            (Some(p), _) => p,
            (None, SampleClock::LoggedPts) => continue,
            (None, SampleClock::Timeline(name)) => match time_on(&row, name) {
                Some(t) => t,
                None => continue,
            },
            (None, SampleClock::LoggedPtsOrTimeline { .. }) => {
                let name = fallback.as_deref().ok_or_else(|| {
                    entity_error(entity, "samples have no time: log them on a timeline")
                })?;
                let v = time_on(&row, name).ok_or_else(|| {
                    entity_error(entity, format!("a sample is not on timeline {name}"))
                })?;
                match (fallback_type, fps) {
                    (Some(TimeType::Sequence), Some(fps)) if fps > 0.0 => {
                        (v as f64 * 1e9 / fps).round() as i64
                    }
                    (Some(TimeType::Sequence), _) => {
                        return Err(entity_error(
                            entity,
                            format!(
                                "timeline {name} counts frames, not time: pass --fps (or log on a duration timeline)"
                            ),
                        ));
                    }
                    _ => v,
                }
            }
        };
        let is_keyframe = match s.is_keyframe {
            Some(k) => k,
            None => codec.is_some_and(|c| reel_video::bitstream::is_keyframe(c, data.as_slice())),
        };
        each(
            row_ref,
            Sample {
                data,
                pts,
                dts_ns: s.decode_timestamp_ns,
                is_keyframe,
            },
        );
    }
    Ok((codec, timescale))
}
