//! Containers: take MP4 (plain, fragmented, QuickTime), Matroska/WebM and
//! IVF files apart into tracks and samples, reading only their indexes
//! where the container allows it.
//!
//! Crate choices: MP4 boxes are parsed by `shiguredo_mp4` (no dependencies,
//! returns errors instead of panicking, knows avc1/hev1/hvc1/av01/vp08/vp09
//! and fragmented files; `re_mp4` panics on malformed tables, `mp4` and
//! `mp4parse` lack HEVC/AV1 or fragments); Matroska/WebM by
//! `matroska-demuxer`. IVF is 32 + 12 bytes of header per frame, written
//! here. Timestamps follow FFmpeg's conventions (edit list applied), so they
//! agree with `ffprobe`.

mod ivf;
mod mkv;
mod mkv_blocks;
mod mp4;
mod sample;

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use reel_types::VideoCodec;

pub use sample::{CodecConfig, derive_decode_timestamps};

use crate::VideoError;

/// The kind of file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContainerKind {
    /// ISO base media file (MP4).
    Mp4,
    /// Fragmented MP4 (`moov` + `moof`/`mdat` pairs).
    FragmentedMp4,
    /// QuickTime `.mov`.
    QuickTime,
    /// Matroska `.mkv`.
    Matroska,
    /// WebM (Matroska subset).
    WebM,
    /// IVF (AV1/VP8/VP9 elementary stream with timestamps).
    Ivf,
}

impl ContainerKind {
    /// A short name: `mp4`, `fmp4`, `mov`, `mkv`, `webm`, `ivf`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Mp4 => "mp4",
            Self::FragmentedMp4 => "fmp4",
            Self::QuickTime => "mov",
            Self::Matroska => "mkv",
            Self::WebM => "webm",
            Self::Ivf => "ivf",
        }
    }

    /// The `AssetVideo` media type of this container.
    pub fn media_type(self) -> &'static str {
        match self {
            Self::Mp4 | Self::FragmentedMp4 | Self::Ivf => reel_types::media_type::MP4,
            Self::QuickTime => reel_types::media_type::QUICKTIME,
            Self::Matroska => reel_types::media_type::MATROSKA,
            Self::WebM => reel_types::media_type::WEBM,
        }
    }
}

/// Where a sample's bytes are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SampleData {
    /// A byte range of the file.
    Range {
        /// Offset from the start of the file.
        offset: u64,
        /// Length in bytes.
        len: u64,
    },
    /// Already read (Matroska blocks are read while indexing).
    Inline(Vec<u8>),
}

/// One sample (encoded frame) as the container stores it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SampleInfo {
    /// Decode timestamp in track ticks, edit list applied; `None` where the
    /// container has none (Matroska, IVF).
    pub dts: Option<i64>,
    /// Presentation timestamp in track ticks, edit list applied.
    pub pts: i64,
    /// Duration in track ticks (0 if unknown).
    pub duration: i64,
    /// Whether decoding can start here (container flag, or the bitstream).
    pub is_keyframe: bool,
    /// The bytes.
    pub data: SampleData,
}

impl SampleInfo {
    /// Size of the sample in bytes.
    pub fn size(&self) -> u64 {
        match &self.data {
            SampleData::Range { len, .. } => *len,
            SampleData::Inline(v) => v.len() as u64,
        }
    }
}

/// One video track.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VideoTrack {
    /// The container's track id / number.
    pub track_id: u64,
    /// The codec.
    pub codec: VideoCodec,
    /// The sample entry / codec id as the container names it (`avc1`, `hev1`, `V_VP9`, …).
    pub container_codec: String,
    /// The WebCodecs codec string (`avc1.64001f`, `hev1.1.6.L93.B0`, `av01.0.04M.08`, `vp09.00.10.08`).
    pub codec_string: String,
    /// Coded width.
    pub width: u32,
    /// Coded height.
    pub height: u32,
    /// Luma bit depth, when the codec configuration says.
    pub bit_depth: Option<u8>,
    /// `4:2:0`, `4:2:2`, `4:4:4` or `4:0:0`, when known.
    pub chroma_format: Option<&'static str>,
    /// Ticks per second of this track's timestamps.
    pub timescale: u64,
    /// Ticks the edit list shifts timestamps by (subtracted; 0 without an edit list).
    pub edit_offset: i64,
    /// The decoder configuration (avcC, hvcC, av1C, vpcC), parsed.
    pub config: CodecConfig,
    /// Samples in decode (file) order.
    pub samples: Vec<SampleInfo>,
}

impl VideoTrack {
    /// Converts track ticks to nanoseconds (rounded to nearest).
    pub fn ticks_to_ns(&self, ticks: i64) -> i64 {
        ticks_to_ns(ticks, self.timescale)
    }

    /// Presentation timestamps of all samples in ns, sorted.
    pub fn frame_timestamps_ns(&self) -> Vec<i64> {
        let mut ts: Vec<i64> = self
            .samples
            .iter()
            .map(|s| self.ticks_to_ns(s.pts))
            .collect();
        ts.sort_unstable();
        ts
    }

    /// Whether presentation order differs from decode order (B-frames).
    pub fn has_reordering(&self) -> bool {
        self.samples.windows(2).any(|w| w[1].pts < w[0].pts)
    }

    /// Keyframe count.
    pub fn keyframes(&self) -> usize {
        self.samples.iter().filter(|s| s.is_keyframe).count()
    }

    /// From the earliest presentation to the end of the last frame, in ns.
    pub fn duration_ns(&self) -> i64 {
        let start = self.samples.iter().map(|s| s.pts).min().unwrap_or(0);
        let end = self
            .samples
            .iter()
            .map(|s| s.pts.saturating_add(s.duration))
            .max()
            .unwrap_or(0);
        self.ticks_to_ns(end.saturating_sub(start))
    }
}

/// Converts ticks of a `timescale`-per-second clock to nanoseconds.
pub fn ticks_to_ns(ticks: i64, timescale: u64) -> i64 {
    let t = i128::from(ticks) * 1_000_000_000;
    let d = i128::from(timescale.max(1));
    let q = if t >= 0 {
        (t + d / 2) / d
    } else {
        -((-t + d / 2) / d)
    };
    i64::try_from(q).unwrap_or(if q > 0 { i64::MAX } else { i64::MIN })
}

/// A non-video track, listed for information.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OtherTrack {
    /// Track id.
    pub track_id: u64,
    /// `audio`, `subtitle`, or the handler.
    pub kind: String,
    /// Codec name as the container gives it.
    pub codec: String,
}

/// A demuxed media file: its tracks and samples; sample bytes are read on demand.
pub struct MediaFile {
    path: String,
    source: Box<dyn ReadSeek>,
    /// What kind of file it is.
    pub container: ContainerKind,
    /// Size in bytes.
    pub file_size: u64,
    /// Video tracks.
    pub tracks: Vec<VideoTrack>,
    /// Other tracks (audio, subtitles, unsupported video).
    pub other_tracks: Vec<OtherTrack>,
    /// Problems that did not stop demuxing (e.g. samples past the end of a cut file).
    pub warnings: Vec<String>,
}

/// `Read + Seek` as a trait object.
pub trait ReadSeek: Read + Seek + Send {}
impl<T: Read + Seek + Send> ReadSeek for T {}

/// What a parser hands back before the file is wrapped.
pub(crate) struct Parsed {
    pub container: ContainerKind,
    pub tracks: Vec<VideoTrack>,
    pub other_tracks: Vec<OtherTrack>,
    pub warnings: Vec<String>,
}

impl MediaFile {
    /// Opens a media file and reads its index.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, VideoError> {
        let path = path.as_ref();
        let name = path.display().to_string();
        let file = File::open(path).map_err(|source| VideoError::Io {
            path: name.clone(),
            source,
        })?;
        Self::from_reader(BufReader::with_capacity(64 * 1024, file), name)
    }

    /// Reads a media file held in memory; `name` appears in errors.
    pub fn from_bytes(bytes: Vec<u8>, name: impl Into<String>) -> Result<Self, VideoError> {
        Self::from_reader(std::io::Cursor::new(bytes), name.into())
    }

    /// Reads from any seekable source.
    pub fn from_reader(
        mut source: impl ReadSeek + 'static,
        name: String,
    ) -> Result<Self, VideoError> {
        let io = |source| VideoError::Io {
            path: name.clone(),
            source,
        };
        let file_size = source.seek(SeekFrom::End(0)).map_err(io)?;
        source.seek(SeekFrom::Start(0)).map_err(io)?;
        let mut head = [0u8; 64];
        let n = read_up_to(&mut source, &mut head).map_err(io)?;
        let head = &head[..n];
        source.seek(SeekFrom::Start(0)).map_err(io)?;
        enum Kind {
            Ivf,
            Mkv,
            Mp4,
        }
        let kind = if head.starts_with(b"DKIF") {
            Kind::Ivf
        } else if head.starts_with(&[0x1A, 0x45, 0xDF, 0xA3]) {
            Kind::Mkv
        } else if head.len() >= 8 && mp4::looks_like_mp4(head) {
            Kind::Mp4
        } else {
            return Err(VideoError::UnknownContainer {
                path: name,
                first_bytes: reel_types::media_type::describe_start(head),
            });
        };
        // The third-party box and EBML parsers inside run behind
        // `reel_types::guard`; reel's own code here must not panic at all.
        let parsed = match kind {
            Kind::Ivf => ivf::parse(&mut source, file_size, &name),
            Kind::Mkv => mkv::parse(&mut source, file_size, &name),
            Kind::Mp4 => mp4::parse(&mut source, file_size, &name),
        }?;
        // Video tracks exist but none in a codec reel supports: say which.
        if parsed.tracks.is_empty()
            && let Some(v) = parsed.other_tracks.iter().find(|t| t.kind == "video")
        {
            return Err(VideoError::UnsupportedCodec {
                path: name,
                codec: v.codec.clone(),
            });
        }
        Ok(Self {
            path: name,
            source: Box::new(source),
            container: parsed.container,
            file_size,
            tracks: parsed.tracks,
            other_tracks: parsed.other_tracks,
            warnings: parsed.warnings,
        })
    }

    /// The file name used in messages.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The first video track, or an error naming the file and what it holds instead.
    pub fn video_track(&self) -> Result<&VideoTrack, VideoError> {
        self.tracks.first().ok_or_else(|| VideoError::NoVideoTrack {
            path: self.path.clone(),
            found: if self.other_tracks.is_empty() {
                "no tracks".into()
            } else {
                self.other_tracks
                    .iter()
                    .map(|t| format!("{} ({})", t.kind, t.codec))
                    .collect::<Vec<_>>()
                    .join(", ")
            },
        })
    }

    /// The bytes of a sample as the container stores them.
    pub fn read_raw(&mut self, sample: &SampleInfo) -> Result<Vec<u8>, VideoError> {
        match &sample.data {
            SampleData::Inline(v) => Ok(v.clone()),
            SampleData::Range { offset, len } => {
                if offset.saturating_add(*len) > self.file_size {
                    return Err(VideoError::Malformed {
                        path: self.path.clone(),
                        message: format!(
                            "sample at byte {offset} ({len} bytes) lies past the end of the file"
                        ),
                    });
                }
                let mut buf = vec![0u8; *len as usize];
                self.source
                    .seek(SeekFrom::Start(*offset))
                    .and_then(|_| self.source.read_exact(&mut buf))
                    .map_err(|source| VideoError::Io {
                        path: self.path.clone(),
                        source,
                    })?;
                Ok(buf)
            }
        }
    }

    /// The bytes of a sample in reel's form: Annex B with parameter sets on
    /// keyframes for H.264/H.265, OBUs for AV1, frames for VP8/VP9.
    pub fn read_sample(&mut self, track: usize, index: usize) -> Result<Vec<u8>, VideoError> {
        let t = self
            .tracks
            .get(track)
            .ok_or_else(|| VideoError::Malformed {
                path: self.path.clone(),
                message: format!("no video track {track}"),
            })?;
        let s = t.samples.get(index).ok_or_else(|| VideoError::Malformed {
            path: self.path.clone(),
            message: format!("track {} has no sample {index}", t.track_id),
        })?;
        let (config, is_key) = (t.config.clone(), s.is_keyframe);
        let s = s.clone();
        let raw = self.read_raw(&s)?;
        config
            .to_canonical(&raw, is_key)
            .map_err(|e| VideoError::Malformed {
                path: self.path.clone(),
                message: format!("sample {index}: {e}"),
            })
    }
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}
