//! What the UI asks of an open recording or video file. The native
//! implementation ([`crate::native`]) reads files and decodes on threads;
//! a web one will answer from the network and WebCodecs. The UI never
//! blocks on it: every call returns at once.

use crate::picture::{Picture, ValueRange};
use crate::time::TimelineSummary;

/// How an entity holds its pictures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntityKind {
    /// `Image` rows (raw pixels).
    Image,
    /// `EncodedImage` rows (JPEG, PNG).
    EncodedImage,
    /// `VideoStream` rows (one encoded sample each).
    VideoStream,
    /// An `AssetVideo` shown through `VideoFrameReference` rows.
    AssetVideo,
    /// `VideoFrameReference` rows into another entity's video.
    FrameReferences,
    /// A plain video file opened as one entity.
    VideoFile,
}

impl EntityKind {
    /// The kind of an entity that has the archetypes `has` names, is on
    /// some timeline or not, and whose frame references are into its own
    /// `AssetVideo` or not (`is_asset`, asked only for references); `None`:
    /// nothing to show. One rule for the footer index and the loaded store.
    pub fn of(
        has: impl Fn(&str) -> bool,
        on_a_timeline: bool,
        is_asset: impl FnOnce() -> bool,
    ) -> Option<Self> {
        Some(if has("VideoStream") && on_a_timeline {
            Self::VideoStream
        } else if has("VideoFrameReference") {
            if is_asset() {
                Self::AssetVideo
            } else {
                Self::FrameReferences
            }
        } else if has("Image") {
            Self::Image
        } else if has("EncodedImage") {
            Self::EncodedImage
        } else {
            return None;
        })
    }

    /// The archetype name users know.
    pub fn name(self) -> &'static str {
        match self {
            Self::Image => "Image",
            Self::EncodedImage => "EncodedImage",
            Self::VideoStream => "VideoStream",
            Self::AssetVideo => "AssetVideo",
            Self::FrameReferences => "VideoFrameReference",
            Self::VideoFile => "video file",
        }
    }

    /// Whether frames come from a video decoder (and have a GOP structure).
    pub fn is_video(self) -> bool {
        !matches!(self, Self::Image | Self::EncodedImage)
    }
}

/// One entity with a view, as the entity tree lists it.
#[derive(Clone, Debug)]
pub struct EntitySummary {
    /// Its path (`/camera/front`), or the file name of a video file.
    pub path: String,
    /// How it holds pictures.
    pub kind: EntityKind,
    /// What the tree shows beside it: codec, resolution, bit depth.
    pub details: String,
    /// The timelines it has rows on.
    pub timelines: Vec<String>,
}

/// A sample of a video entity, for the GOP strip: where it is, what it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SampleMark {
    /// Presentation time on the driving timeline.
    pub time: i64,
    /// Bytes.
    pub bytes: u64,
    /// A keyframe (decoding can start here).
    pub keyframe: bool,
    /// Shown before a sample decoded earlier (a B-frame's reordering).
    pub reordered: bool,
}

/// What a view shows now.
#[derive(Clone, Debug, Default)]
pub struct PictureReply {
    /// The picture to draw: the one at the time asked for if ready, else
    /// the last good one.
    pub picture: Option<Picture>,
    /// `picture` is the one at the time asked for.
    pub exact: bool,
    /// The exact one is being decoded: ask again next frame.
    pub pending: bool,
    /// What went wrong, in words for the view ("frame 12 could not be
    /// decoded: …; showing the last good frame").
    pub error: Option<String>,
}

/// Memory the user can see and bound: what is held, and the limit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Budget {
    /// What it holds ("recording chunks", "decoded frames").
    pub name: String,
    /// Bytes held now.
    pub used: usize,
    /// Bytes allowed.
    pub limit: usize,
    /// Shared by every open file (counted once).
    pub shared: bool,
}

/// An open recording (or video file) as the viewer uses it.
pub trait Recording {
    /// What to call it (its file name).
    fn name(&self) -> &str;
    /// Entities with a view.
    fn entities(&self) -> &[EntitySummary];
    /// Its timelines with their spans.
    fn timelines(&self) -> Vec<TimelineSummary>;
    /// Sorted times of `entity`'s rows (or frames) on `timeline`: the marks
    /// of the time panel and the steps of frame stepping.
    fn times(&mut self, entity: usize, timeline: &str) -> std::sync::Arc<Vec<i64>>;
    /// The samples of a video entity on `timeline` (empty for images).
    fn samples(&mut self, entity: usize, timeline: &str) -> std::sync::Arc<Vec<SampleMark>>;
    /// What `entity` shows at `t` on `timeline`, at once. `playing`: the
    /// look-ahead to decode ahead of `t` (time units), `None` when paused;
    /// `visible`: whether its view is on screen (decoded first).
    fn request(
        &mut self,
        entity: usize,
        timeline: &str,
        t: i64,
        playing: Option<i64>,
        visible: bool,
        range: Option<ValueRange>,
    ) -> PictureReply;
    /// Facts for the selection panel: (label, value) pairs such as rows,
    /// bytes, codec string, GOP lengths, decoder, decode rate, cache use.
    fn details(&mut self, entity: usize) -> Vec<(String, String)>;
    /// Called every UI frame: picks up a recording that finished loading,
    /// and what was appended to a file still being written; whether
    /// anything new came (entities, rows).
    fn refresh(&mut self) -> bool {
        false
    }
    /// Whether it is still being read (entities and rows may come).
    fn loading(&self) -> bool {
        false
    }
    /// Its memory budgets.
    fn budgets(&self) -> Vec<Budget> {
        Vec::new()
    }
    /// Sets the budget called `name` (see [`Budget`]).
    fn set_budget(&mut self, name: &str, bytes: usize) {
        let _ = (name, bytes);
    }
    /// Problems found since the last call (damage skipped while reading,
    /// a file that could not be read), for the user.
    fn take_messages(&mut self) -> Vec<String> {
        Vec::new()
    }
}
