//! Video archetypes: `AssetVideo`, `VideoFrameReference`, `VideoStream`.
//!
//! ## Decode order and presentation time
//! A `VideoStream` row is one encoded sample. Rows are logged in **decode
//! order** (the order an encoder emits them), and row ids only ever grow, so
//! row-id order *is* decode order. The row's time on each timeline is the
//! sample's **presentation** time, so a frame lines up with whatever else was
//! logged at its capture time. Streams with B-frames can therefore be logged
//! packet by packet: a B-frame arrives after the P-frame it depends on, at
//! an earlier timeline time. Optional `presentation_timestamp_ns` and
//! `decode_timestamp_ns` carry the media clock's PTS/DTS verbatim (as a
//! container had them) so a remux reproduces the source's timestamps, and so
//! a `VideoFrameReference` can name a frame of a stream by its media time.

use std::fmt;
use std::path::Path;

use crate::component::{RowView, cell};
use crate::encoded_image::check_media_type;
use crate::media_type::{self, VIDEO_TYPES};
use crate::{
    Archetype, Blob, ComponentCell, ComponentColumn, ComponentDescriptor, DataError, DataResult,
    EntityPath,
};

/// A whole video file (MP4, MOV, WebM, MKV) logged at once.
///
/// The time it is logged at is ignored by design: log it statically and map
/// timeline time to video time with [`VideoFrameReference`] rows.
#[derive(Clone, Debug, PartialEq)]
pub struct AssetVideo {
    blob: Blob,
    media_type: String,
}

impl AssetVideo {
    /// Component: the file bytes.
    pub const BLOB: ComponentDescriptor = ComponentDescriptor::new("AssetVideo", "blob");
    /// Component: the media type.
    pub const MEDIA_TYPE: ComponentDescriptor =
        ComponentDescriptor::new("AssetVideo", "media_type");

    /// Wraps a video file's bytes, telling the container from its first bytes.
    pub fn from_bytes(bytes: impl Into<Blob>) -> DataResult<Self> {
        let blob = bytes.into();
        if blob.is_empty() {
            return Err(DataError::Empty {
                what: "AssetVideo bytes",
            });
        }
        let media_type =
            media_type::sniff_video(&blob).ok_or_else(|| DataError::UnknownMediaType {
                archetype: "AssetVideo",
                first_bytes: media_type::describe_start(&blob),
            })?;
        Ok(Self {
            blob,
            media_type: media_type.to_owned(),
        })
    }

    /// Wraps bytes of a known container type.
    pub fn from_bytes_with_media_type(
        bytes: impl Into<Blob>,
        media_type: &str,
    ) -> DataResult<Self> {
        let blob = bytes.into();
        if blob.is_empty() {
            return Err(DataError::Empty {
                what: "AssetVideo bytes",
            });
        }
        check_media_type("AssetVideo", media_type, VIDEO_TYPES)?;
        Ok(Self {
            blob,
            media_type: media_type.to_owned(),
        })
    }

    /// Reads a video file, sniffing its container.
    pub fn from_file(path: impl AsRef<Path>) -> DataResult<Self> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|e| DataError::Io {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        Self::from_bytes(bytes).map_err(|e| DataError::Io {
            path: path.display().to_string(),
            message: e.to_string(),
        })
    }

    /// The file bytes.
    pub fn blob(&self) -> &Blob {
        &self.blob
    }

    /// The container's media type.
    pub fn media_type(&self) -> &str {
        &self.media_type
    }
}

impl Archetype for AssetVideo {
    const NAME: &'static str = "AssetVideo";

    fn to_cells(&self) -> Vec<ComponentCell> {
        vec![
            (Self::BLOB, cell::blob(&self.blob)),
            (Self::MEDIA_TYPE, cell::utf8(&self.media_type)),
        ]
    }

    fn from_row(row: &RowView<'_>) -> DataResult<Option<Self>> {
        let Some(blob) = row.blob(&Self::BLOB)? else {
            return Ok(None);
        };
        match row.utf8(&Self::MEDIA_TYPE)? {
            Some(mt) => Self::from_bytes_with_media_type(blob, mt).map(Some),
            None => Self::from_bytes(blob).map(Some),
        }
    }
}

/// Maps a timeline row to a frame of a video: "at this time, show the frame
/// of video time `timestamp_ns`".
///
/// The video is the `AssetVideo` **or `VideoStream`** at `video_reference`,
/// or at this row's own entity when that is not set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VideoFrameReference {
    /// Presentation time within the video, in nanoseconds.
    pub timestamp_ns: i64,
    /// The video entity; `None` means the entity this row is logged to.
    pub video_reference: Option<EntityPath>,
}

impl VideoFrameReference {
    /// Component: video time in nanoseconds.
    pub const TIMESTAMP: ComponentDescriptor =
        ComponentDescriptor::new("VideoFrameReference", "timestamp_ns");
    /// Component: the entity path of the video.
    pub const VIDEO_REFERENCE: ComponentDescriptor =
        ComponentDescriptor::new("VideoFrameReference", "video_reference");

    /// A reference to the frame at `timestamp_ns` of the video on the same entity.
    pub fn new(timestamp_ns: i64) -> Self {
        Self {
            timestamp_ns,
            video_reference: None,
        }
    }

    /// Points at the video on another entity.
    pub fn with_video_reference(mut self, path: EntityPath) -> Self {
        self.video_reference = Some(path);
        self
    }

    /// Columns for `send_columns`: one reference per timestamp.
    pub fn columns_from_nanos(timestamps_ns: &[i64]) -> Vec<ComponentColumn> {
        let array = arrow_array::Int64Array::from(timestamps_ns.to_vec());
        vec![(Self::TIMESTAMP, std::sync::Arc::new(array))]
    }
}

impl Archetype for VideoFrameReference {
    const NAME: &'static str = "VideoFrameReference";

    fn to_cells(&self) -> Vec<ComponentCell> {
        let mut cells = vec![(Self::TIMESTAMP, cell::i64(self.timestamp_ns))];
        if let Some(p) = &self.video_reference {
            cells.push((Self::VIDEO_REFERENCE, cell::utf8(&p.to_string())));
        }
        cells
    }

    fn from_row(row: &RowView<'_>) -> DataResult<Option<Self>> {
        let Some(timestamp_ns) = row.i64(&Self::TIMESTAMP)? else {
            return Ok(None);
        };
        let video_reference = row
            .utf8(&Self::VIDEO_REFERENCE)?
            .map(EntityPath::parse)
            .transpose()?;
        Ok(Some(Self {
            timestamp_ns,
            video_reference,
        }))
    }
}

/// Video codecs a `VideoStream` can carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum VideoCodec {
    /// H.264 / AVC, Annex B byte stream (start codes).
    H264,
    /// H.265 / HEVC, Annex B byte stream.
    H265,
    /// AV1, low-overhead bitstream format (OBUs).
    AV1,
    /// VP8 frames.
    VP8,
    /// VP9 frames (superframes allowed).
    VP9,
}

impl VideoCodec {
    /// All codecs.
    pub const ALL: [Self; 5] = [Self::H264, Self::H265, Self::AV1, Self::VP8, Self::VP9];

    /// The stored name: `H264`, `H265`, `AV1`, `VP8`, `VP9`.
    pub fn name(self) -> &'static str {
        match self {
            Self::H264 => "H264",
            Self::H265 => "H265",
            Self::AV1 => "AV1",
            Self::VP8 => "VP8",
            Self::VP9 => "VP9",
        }
    }

    /// Parses a stored name (case-insensitive; `avc`/`hevc` accepted).
    pub fn from_name(s: &str) -> DataResult<Self> {
        let up = s.to_ascii_uppercase();
        let codec = match up.as_str() {
            "H264" | "H.264" | "AVC" => Some(Self::H264),
            "H265" | "H.265" | "HEVC" => Some(Self::H265),
            _ => Self::ALL.into_iter().find(|c| c.name() == up),
        };
        codec.ok_or_else(|| DataError::UnknownName {
            what: "video codec",
            value: s.to_owned(),
            known: "H264, H265, AV1, VP8, VP9".into(),
        })
    }
}

impl fmt::Display for VideoCodec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One row of an encoded video stream: usually either the codec (logged once,
/// statically) or one sample (logged per frame), or both.
///
/// See the module docs for how decode order and presentation time are modeled.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct VideoStream {
    /// The codec.
    pub codec: Option<VideoCodec>,
    /// One encoded sample (access unit / temporal unit / frame).
    pub sample: Option<Blob>,
    /// Whether decoding can start at this sample; detected from the bitstream when absent.
    pub is_keyframe: Option<bool>,
    /// Media-clock presentation time in ns, as the source container had it.
    pub presentation_timestamp_ns: Option<i64>,
    /// Media-clock decode time in ns, as the source container had it.
    pub decode_timestamp_ns: Option<i64>,
    /// Ticks per second of the source container's media clock (usually on
    /// the static codec row), so a remux reproduces its timestamps exactly.
    pub media_timescale: Option<u32>,
}

impl VideoStream {
    /// Component: the codec name.
    pub const CODEC: ComponentDescriptor = ComponentDescriptor::new("VideoStream", "codec");
    /// Component: the encoded sample.
    pub const SAMPLE: ComponentDescriptor = ComponentDescriptor::new("VideoStream", "sample");
    /// Component: keyframe flag.
    pub const IS_KEYFRAME: ComponentDescriptor =
        ComponentDescriptor::new("VideoStream", "is_keyframe");
    /// Component: media-clock PTS in ns.
    pub const PTS: ComponentDescriptor =
        ComponentDescriptor::new("VideoStream", "presentation_timestamp_ns");
    /// Component: media-clock DTS in ns.
    pub const DTS: ComponentDescriptor =
        ComponentDescriptor::new("VideoStream", "decode_timestamp_ns");
    /// Component: the source's media timescale.
    pub const TIMESCALE: ComponentDescriptor =
        ComponentDescriptor::new("VideoStream", "media_timescale");

    /// A column of samples, one row each, for `send_columns` (many rows of
    /// a stream logged at once; the codec goes in a static row).
    pub fn columns_from_samples(samples: &[Blob]) -> Vec<ComponentColumn> {
        let array =
            arrow_array::LargeBinaryArray::from_iter_values(samples.iter().map(Blob::as_slice));
        vec![(Self::SAMPLE, std::sync::Arc::new(array))]
    }

    /// Only the codec, to be logged once (statically) before the samples.
    pub fn new(codec: VideoCodec) -> Self {
        Self {
            codec: Some(codec),
            ..Self::default()
        }
    }

    /// One sample; fails on an empty sample.
    pub fn from_sample(sample: impl Into<Blob>) -> DataResult<Self> {
        let sample = sample.into();
        if sample.is_empty() {
            return Err(DataError::Empty {
                what: "VideoStream sample",
            });
        }
        Ok(Self {
            sample: Some(sample),
            ..Self::default()
        })
    }

    /// Sets the codec on this row.
    pub fn with_codec(mut self, codec: VideoCodec) -> Self {
        self.codec = Some(codec);
        self
    }

    /// Marks whether this sample is a keyframe.
    pub fn with_keyframe(mut self, is_keyframe: bool) -> Self {
        self.is_keyframe = Some(is_keyframe);
        self
    }

    /// Sets the source's media timescale (ticks per second).
    pub fn with_media_timescale(mut self, timescale: u32) -> Self {
        self.media_timescale = Some(timescale);
        self
    }

    /// Sets the media-clock presentation and decode timestamps.
    pub fn with_timestamps_ns(mut self, pts: i64, dts: i64) -> Self {
        self.presentation_timestamp_ns = Some(pts);
        self.decode_timestamp_ns = Some(dts);
        self
    }
}

impl Archetype for VideoStream {
    const NAME: &'static str = "VideoStream";

    fn to_cells(&self) -> Vec<ComponentCell> {
        let mut cells = Vec::new();
        if let Some(c) = self.codec {
            cells.push((Self::CODEC, cell::utf8(c.name())));
        }
        if let Some(s) = &self.sample {
            cells.push((Self::SAMPLE, cell::blob(s)));
        }
        if let Some(k) = self.is_keyframe {
            cells.push((Self::IS_KEYFRAME, cell::bool(k)));
        }
        if let Some(v) = self.presentation_timestamp_ns {
            cells.push((Self::PTS, cell::i64(v)));
        }
        if let Some(v) = self.decode_timestamp_ns {
            cells.push((Self::DTS, cell::i64(v)));
        }
        if let Some(v) = self.media_timescale {
            cells.push((Self::TIMESCALE, cell::u32(v)));
        }
        cells
    }

    fn from_row(row: &RowView<'_>) -> DataResult<Option<Self>> {
        let codec = row
            .utf8(&Self::CODEC)?
            .map(VideoCodec::from_name)
            .transpose()?;
        let sample = row.blob(&Self::SAMPLE)?;
        if codec.is_none() && sample.is_none() {
            return Ok(None);
        }
        Ok(Some(Self {
            codec,
            sample,
            is_keyframe: row.bool(&Self::IS_KEYFRAME)?,
            presentation_timestamp_ns: row.i64(&Self::PTS)?,
            decode_timestamp_ns: row.i64(&Self::DTS)?,
            media_timescale: row.u32(&Self::TIMESCALE)?,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codec_names() {
        for c in VideoCodec::ALL {
            assert_eq!(VideoCodec::from_name(c.name()).unwrap(), c);
        }
        assert_eq!(VideoCodec::from_name("hevc").unwrap(), VideoCodec::H265);
        let e = VideoCodec::from_name("mpeg4").unwrap_err().to_string();
        assert!(e.contains("H264, H265, AV1, VP8, VP9"), "{e}");
    }

    #[test]
    fn asset_video_sniffs() {
        let v = AssetVideo::from_bytes(b"\0\0\0\x20ftypisom\0\0\0\0".to_vec()).unwrap();
        assert_eq!(v.media_type(), "video/mp4");
        let e = AssetVideo::from_bytes(b"not a video".to_vec())
            .unwrap_err()
            .to_string();
        assert!(e.contains("could not tell"), "{e}");
        assert!(VideoStream::from_sample(Vec::new()).is_err());
    }
}
