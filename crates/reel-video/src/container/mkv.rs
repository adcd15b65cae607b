//! Matroska / WebM demuxing: the header and tracks with `matroska-demuxer`,
//! the blocks with reel's own cluster walker ([`super::mkv_blocks`]), which
//! lists frames as ranges of the file.
//!
//! Matroska stores presentation timestamps only.

use std::io::{Read, Seek};

use matroska_demuxer::{MatroskaFile, TrackType};
use reel_types::VideoCodec;

use super::sample::{fill_durations, fill_from_keyframe};
use super::{CodecConfig, ContainerKind, OtherTrack, Parsed, SampleData, SampleInfo, VideoTrack};
use crate::VideoError;
use crate::bitstream::{av1, h264, h265};

/// A CodecID as written, without the NUL padding EBML strings may carry.
fn clean_codec_id(raw: &str) -> String {
    raw.trim_end_matches('\0').to_owned()
}

fn codec_of(codec_id: &str) -> Option<VideoCodec> {
    Some(match codec_id {
        "V_MPEG4/ISO/AVC" => VideoCodec::H264,
        "V_MPEGH/ISO/HEVC" => VideoCodec::H265,
        "V_AV1" => VideoCodec::AV1,
        "V_VP8" => VideoCodec::VP8,
        "V_VP9" => VideoCodec::VP9,
        _ => return None,
    })
}

fn config_of(codec: VideoCodec, private: Option<&[u8]>) -> CodecConfig {
    match (codec, private) {
        (VideoCodec::H264, Some(p)) => match h264::parse_avcc(p) {
            Ok(c) => CodecConfig::Avc {
                length_size: c.length_size,
                parameter_sets: c.sps.into_iter().chain(c.pps).collect(),
            },
            Err(_) => CodecConfig::None,
        },
        (VideoCodec::H265, Some(p)) => match h265::parse_hvcc(p) {
            Ok(c) => CodecConfig::Hevc {
                length_size: c.length_size,
                parameter_sets: c
                    .nals
                    .into_iter()
                    .filter(|n| {
                        matches!(
                            h265::nal_type(n),
                            h265::NAL_VPS | h265::NAL_SPS | h265::NAL_PPS
                        )
                    })
                    .collect(),
            },
            Err(_) => CodecConfig::None,
        },
        (VideoCodec::AV1, p) => CodecConfig::Av1 {
            sequence_header: p
                .and_then(|p| av1::parse_av1c(p).ok().flatten())
                .map(|(_, obu)| obu),
        },
        _ => CodecConfig::None,
    }
}

/// Bounds the reads a parser may make, so a file that makes it loop (a
/// seek head pointing back at itself: the `demux_media` fuzz target found
/// that `matroska-demuxer` then never returns) fails with an error instead
/// of hanging. The budget is generous: many times what reading a valid
/// file once takes.
struct BudgetReader<R> {
    inner: R,
    calls_left: u64,
    bytes_left: u64,
}

impl<R: Read + Seek> BudgetReader<R> {
    fn new(mut inner: R) -> std::io::Result<Self> {
        let len = inner.seek(std::io::SeekFrom::End(0))?;
        inner.seek(std::io::SeekFrom::Start(0))?;
        Ok(Self {
            inner,
            calls_left: (len / 4).max(2_000_000),
            bytes_left: len.saturating_mul(16).max(256 << 20),
        })
    }

    fn spend(&mut self, bytes: u64) -> std::io::Result<()> {
        self.calls_left = self.calls_left.checked_sub(1).ok_or_else(exhausted)?;
        self.bytes_left = self.bytes_left.checked_sub(bytes).ok_or_else(exhausted)?;
        Ok(())
    }
}

fn exhausted() -> std::io::Error {
    std::io::Error::other(
        "the file makes the parser go round in circles (damaged or hostile index)",
    )
}

impl<R: Read + Seek> Read for BudgetReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.spend(buf.len() as u64)?;
        self.inner.read(buf)
    }
}

impl<R: Read + Seek> Seek for BudgetReader<R> {
    fn seek(&mut self, pos: std::io::SeekFrom) -> std::io::Result<u64> {
        self.spend(0)?;
        self.inner.seek(pos)
    }
}

pub(crate) fn parse<R: Read + Seek>(
    r: &mut R,
    file_size: u64,
    name: &str,
) -> Result<Parsed, VideoError> {
    let malformed = |message: String| VideoError::Malformed {
        path: name.to_owned(),
        message,
    };
    let io = |source| VideoError::Io {
        path: name.to_owned(),
        source,
    };
    let budget = BudgetReader::new(&mut *r).map_err(io)?;
    let damaged = |why: String| {
        malformed(format!(
            "the Matroska/WebM header or track list is damaged ({why})"
        ))
    };
    let mkv = reel_types::guard::third_party(|| MatroskaFile::open(budget))
        .map_err(&damaged)?
        .map_err(|e| damaged(matroska_error(&e)))?;
    let container = if mkv.ebml_header().doc_type() == "webm" {
        ContainerKind::WebM
    } else {
        ContainerKind::Matroska
    };
    let scale = mkv.info().timestamp_scale().get();
    // Track ticks are the file's timestamp unit; the timescale is ticks per second.
    let timescale = if 1_000_000_000 % scale == 0 {
        1_000_000_000 / scale
    } else {
        1000
    };
    let mut tracks = Vec::new();
    let mut other = Vec::new();
    for t in mkv.tracks() {
        let id = t.track_number().get();
        let codec_id = clean_codec_id(t.codec_id());
        match (t.track_type(), codec_of(&codec_id), t.video()) {
            (TrackType::Video, Some(codec), Some(v)) => tracks.push(VideoTrack {
                track_id: id,
                codec,
                container_codec: codec_id,
                codec_string: String::new(),
                width: u32::try_from(v.pixel_width().get()).unwrap_or(0),
                height: u32::try_from(v.pixel_height().get()).unwrap_or(0),
                bit_depth: None,
                chroma_format: None,
                timescale,
                edit_offset: 0,
                config: config_of(codec, t.codec_private()),
                samples: Vec::new(),
            }),
            (kind, _, _) => other.push(OtherTrack {
                track_id: id,
                kind: match kind {
                    TrackType::Video => "video".into(),
                    TrackType::Audio => "audio".into(),
                    TrackType::Subtitle => "subtitle".into(),
                    k => format!("{k:?}").to_lowercase(),
                },
                codec: codec_id,
            }),
        }
    }
    drop(mkv);
    let (blocks, warnings) = super::mkv_blocks::read_blocks(r, file_size).map_err(io)?;
    for b in blocks {
        let Some(track) = tracks.iter_mut().find(|t| t.track_id == b.track) else {
            continue;
        };
        track.samples.push(SampleInfo {
            dts: None,
            pts: b.timestamp,
            duration: b.duration.and_then(|d| i64::try_from(d).ok()).unwrap_or(0),
            is_keyframe: b.keyframe,
            data: SampleData::Range {
                offset: b.offset,
                len: b.len,
            },
        });
    }
    for track in &mut tracks {
        fill_durations(&mut track.samples);
        // The first keyframe's headers tell the codec details (profile, bit
        // depth, chroma format) the track header leaves out.
        if let Some(&SampleData::Range { offset, len }) = track
            .samples
            .iter()
            .find(|s| s.is_keyframe)
            .map(|s| &s.data)
            && len <= 64 << 20
        {
            let mut raw = vec![0; len as usize];
            r.seek(std::io::SeekFrom::Start(offset)).map_err(io)?;
            r.read_exact(&mut raw).map_err(io)?;
            fill_from_keyframe(track, &raw);
        }
    }
    Ok(Parsed {
        container,
        tracks,
        other_tracks: other,
        warnings,
    })
}

/// matroska-demuxer's error in words.
fn matroska_error(e: &matroska_demuxer::DemuxError) -> String {
    use matroska_demuxer::DemuxError as E;
    // The crate displays wrapped errors through `source()`, which prints
    // "None" for most of them: say what they mean instead.
    match e {
        E::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            "the file ends inside an element: it is cut short".into()
        }
        E::IoError(io) => io.to_string(),
        E::FromUtf8Error(_) => "a text element is not valid UTF-8".into(),
        E::TryFromIntError(_) => "a number in an element is out of range".into(),
        other => other.to_string(),
    }
}
