//! A plain video file (MP4, MOV, MKV, WebM, IVF) as one video entity on a
//! `video time` timeline: its first video track, read lazily (only the
//! index now; samples when decoded).

use std::path::Path;
use std::sync::Arc;

use reel_decode::{FrameServer, FrameSource, StreamFrames};
use reel_types::TimeType;
use reel_video::MediaFile;

use super::frame_facts::{frame_details, reply_of};
use crate::picture::ValueRange;
use crate::recording::{EntityKind, EntitySummary, PictureReply, Recording, SampleMark};
use crate::time::TimelineSummary;

/// The timeline a video file is shown on: media time in ns.
pub const VIDEO_TIME: &str = "video time";

/// An open video file.
pub struct VideoFile {
    name: String,
    entities: Vec<EntitySummary>,
    frames: StreamFrames,
    server: Arc<FrameServer>,
    times: Arc<Vec<i64>>,
    samples: Arc<Vec<SampleMark>>,
    codec_string: String,
}

impl VideoFile {
    /// Opens `path` (its index only).
    pub fn open(path: &Path, server: &Arc<FrameServer>) -> Result<Self, String> {
        let file = MediaFile::open(path).map_err(|e| e.to_string())?;
        let track = file.video_track().map_err(|e| e.to_string())?.clone();
        let mut max_pts = i64::MIN;
        let samples: Vec<SampleMark> = track
            .samples
            .iter()
            .map(|s| {
                let time = track.ticks_to_ns(s.pts);
                let reordered = time < max_pts;
                max_pts = max_pts.max(time);
                SampleMark {
                    time,
                    bytes: s.size(),
                    keyframe: s.is_keyframe,
                    reordered,
                }
            })
            .collect();
        let mut marks = samples.clone();
        marks.sort_by_key(|s| s.time);
        let source = FrameSource::from_media_file(file).map_err(|e| e.to_string())?;
        let times = Arc::new(source.frame_times());
        let details = format!(
            "{} {}x{}{}{}",
            track.codec,
            track.width,
            track.height,
            track
                .bit_depth
                .map(|d| format!(" {d}-bit"))
                .unwrap_or_default(),
            track
                .chroma_format
                .map(|c| format!(" {c}"))
                .unwrap_or_default(),
        );
        let name = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        Ok(Self {
            entities: vec![EntitySummary {
                path: name.clone(),
                kind: EntityKind::VideoFile,
                details,
                timelines: vec![VIDEO_TIME.to_owned()],
            }],
            name,
            frames: server.add_stream(source),
            server: server.clone(),
            times,
            samples: Arc::new(marks),
            codec_string: track.codec_string.clone(),
        })
    }
}

impl Recording for VideoFile {
    fn name(&self) -> &str {
        &self.name
    }

    fn entities(&self) -> &[EntitySummary] {
        &self.entities
    }

    fn timelines(&self) -> Vec<TimelineSummary> {
        vec![TimelineSummary {
            name: VIDEO_TIME.to_owned(),
            typ: TimeType::DurationNs,
            min: self.times.first().copied().unwrap_or(0),
            max: self.times.last().copied().unwrap_or(0),
        }]
    }

    fn times(&mut self, _entity: usize, _timeline: &str) -> Arc<Vec<i64>> {
        self.times.clone()
    }

    fn samples(&mut self, _entity: usize, _timeline: &str) -> Arc<Vec<SampleMark>> {
        self.samples.clone()
    }

    fn request(
        &mut self,
        _entity: usize,
        _timeline: &str,
        t: i64,
        playing: Option<i64>,
        visible: bool,
        _range: Option<ValueRange>,
    ) -> PictureReply {
        self.frames.set_visible(visible);
        self.frames.set_playing(playing);
        reply_of(&self.frames, t, &self.times)
    }

    fn budgets(&self) -> Vec<crate::recording::Budget> {
        vec![super::frame_budget(&self.server)]
    }

    fn set_budget(&mut self, name: &str, bytes: usize) {
        if name == super::FRAMES {
            self.server.set_frame_budget(bytes);
        }
    }

    fn details(&mut self, _entity: usize) -> Vec<(String, String)> {
        let mut out = vec![("codec string".to_owned(), self.codec_string.clone())];
        out.extend(frame_details(&self.frames, &self.samples));
        out
    }
}
