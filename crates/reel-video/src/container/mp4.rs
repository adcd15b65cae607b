//! MP4 / fragmented MP4 / QuickTime demuxing on `shiguredo_mp4` boxes.
//!
//! Only box headers, `moov` and `moof` boxes are read: sample bytes stay on
//! disk, so listing a 60 s file's frames reads a few hundred kilobytes.

use std::io::{Read, Seek, SeekFrom};

use reel_types::VideoCodec;
use shiguredo_mp4::aux::SampleTableAccessor;
use std::collections::HashMap;

use shiguredo_mp4::Decode;
use shiguredo_mp4::boxes::{MoofBox, MoovBox, SampleEntry, TrakBox, TrexBox};

use super::{CodecConfig, ContainerKind, OtherTrack, Parsed, SampleData, SampleInfo, VideoTrack};
use crate::VideoError;
use crate::bitstream::{av1, chroma_name, h264, h265};

/// Top-level box types an MP4 or QuickTime file may start with.
pub(crate) fn looks_like_mp4(head: &[u8]) -> bool {
    matches!(
        &head[4..8],
        b"ftyp" | b"moov" | b"mdat" | b"free" | b"skip" | b"wide" | b"styp" | b"pnot"
    )
}

struct TopBox {
    kind: [u8; 4],
    offset: u64,
    /// Declared size (may exceed the file when it was cut).
    size: u64,
    header: u64,
}

/// Walks the top-level boxes, reading only their headers.
fn top_level_boxes(
    r: &mut (impl Read + Seek),
    file_size: u64,
    name: &str,
) -> Result<(Vec<TopBox>, Vec<String>), VideoError> {
    let io = |source| VideoError::Io {
        path: name.to_owned(),
        source,
    };
    let mut boxes = Vec::new();
    let mut warnings = Vec::new();
    let mut pos = 0u64;
    while pos + 8 <= file_size {
        let mut h = [0u8; 16];
        r.seek(SeekFrom::Start(pos)).map_err(io)?;
        let n = super::read_up_to(r, &mut h).map_err(io)?;
        let size32 = u32::from_be_bytes([h[0], h[1], h[2], h[3]]);
        let kind = [h[4], h[5], h[6], h[7]];
        let (size, header) = match size32 {
            0 => (file_size - pos, 8),
            1 if n >= 16 => (
                u64::from_be_bytes(h[8..16].try_into().unwrap_or_default()),
                16,
            ),
            1 => break,
            s => (u64::from(s), 8),
        };
        if size < header {
            warnings.push(format!(
                "box at byte {pos} has an invalid size {size}; stopped reading boxes there"
            ));
            break;
        }
        boxes.push(TopBox {
            kind,
            offset: pos,
            size,
            header,
        });
        if pos.saturating_add(size) > file_size {
            warnings.push(format!(
                "the '{}' box at byte {pos} declares {size} bytes but the file ends after {} (the file was cut short)",
                String::from_utf8_lossy(&kind),
                file_size - pos
            ));
            break;
        }
        pos += size;
    }
    Ok((boxes, warnings))
}

pub(crate) fn parse(
    r: &mut (impl Read + Seek),
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
    let (boxes, mut warnings) = top_level_boxes(r, file_size, name)?;
    let mut container = ContainerKind::Mp4;
    if let Some(ftyp) = boxes.iter().find(|b| &b.kind == b"ftyp") {
        let mut brand = [0u8; 4];
        r.seek(SeekFrom::Start(ftyp.offset + ftyp.header))
            .map_err(io)?;
        r.read_exact(&mut brand).map_err(io)?;
        if &brand == b"qt  " {
            container = ContainerKind::QuickTime;
        }
    } else if boxes
        .iter()
        .any(|b| &b.kind == b"moov" || &b.kind == b"wide")
    {
        container = ContainerKind::QuickTime;
    }
    let Some(moov_box) = boxes.iter().find(|b| &b.kind == b"moov") else {
        let cut = boxes
            .iter()
            .any(|b| b.offset.saturating_add(b.size) > file_size);
        return Err(VideoError::MissingIndex {
            path: name.to_owned(),
            message: if cut {
                "no 'moov' box (the index of samples): the file was cut short before it was written"
                    .into()
            } else {
                "no 'moov' box (the index of samples): not a complete MP4/MOV file".into()
            },
        });
    };
    if moov_box.offset.saturating_add(moov_box.size) > file_size {
        return Err(VideoError::MissingIndex {
            path: name.to_owned(),
            message: "the 'moov' box (the index of samples) is cut short".into(),
        });
    }
    if moov_box.size > 1 << 30 {
        return Err(malformed(format!(
            "'moov' box of {} bytes is implausibly large",
            moov_box.size
        )));
    }
    let mut moov_bytes = vec![0u8; moov_box.size as usize];
    r.seek(SeekFrom::Start(moov_box.offset)).map_err(io)?;
    r.read_exact(&mut moov_bytes).map_err(io)?;
    let (moov, _) = reel_types::guard::third_party(|| MoovBox::decode(&moov_bytes))
        .map_err(|panic| malformed(format!("the 'moov' box is damaged ({panic})")))?
        .map_err(|e| malformed(format!("the 'moov' box is damaged: {}", box_error(&e))))?;
    let fragmented = moov.mvex_box.is_some() || boxes.iter().any(|b| &b.kind == b"moof");
    if fragmented {
        container = ContainerKind::FragmentedMp4;
    }
    let movie_timescale = u64::from(moov.mvhd_box.timescale.get());

    let mut fragment_samples = if fragmented {
        Some(read_fragments(
            r,
            &boxes,
            &moov,
            file_size,
            name,
            &mut warnings,
        )?)
    } else {
        None
    };

    let mut tracks = Vec::new();
    let mut other = Vec::new();
    for trak in &moov.trak_boxes {
        let track_id = u64::from(trak.tkhd_box.track_id);
        let handler = trak.mdia_box.hdlr_box.handler_type;
        let entry = trak.mdia_box.minf_box.stbl_box.stsd_box.entries.first();
        let entry_name = entry.map(entry_fourcc).unwrap_or_else(|| "none".into());
        if &handler != b"vide" {
            other.push(OtherTrack {
                track_id,
                kind: match &handler {
                    b"soun" => "audio".into(),
                    b"text" | b"sbtl" | b"subt" => "subtitle".into(),
                    h => String::from_utf8_lossy(h).into_owned(),
                },
                codec: entry_name,
            });
            continue;
        }
        let Some(entry) = entry else {
            other.push(OtherTrack {
                track_id,
                kind: "video".into(),
                codec: entry_name,
            });
            continue;
        };
        let Some(desc) = describe_entry(entry) else {
            other.push(OtherTrack {
                track_id,
                kind: "video".into(),
                codec: entry_name,
            });
            continue;
        };
        let timescale = u64::from(trak.mdia_box.mdhd_box.timescale.get());
        let raw: Vec<RawSample> = match &mut fragment_samples {
            Some(all) => all.remove(&(track_id as u32)).unwrap_or_default(),
            None => plain_samples(trak, file_size, &mut warnings)
                .map_err(|e| malformed(format!("track {track_id}: {e}")))?,
        };
        let edit_offset = edit_offset(trak, movie_timescale, timescale);
        let min_cto = raw.iter().map(|s| s.cto).min().unwrap_or(0);
        // Without an edit list, FFmpeg shifts DTS so negative offsets never put DTS after PTS.
        let dts_shift = if trak.edts_box.is_none() && min_cto < 0 {
            min_cto.saturating_neg()
        } else {
            0
        };
        let mut past_end = 0;
        let samples: Vec<SampleInfo> = raw
            .iter()
            .filter(|s| {
                let inside = s.offset.saturating_add(s.size) <= file_size;
                past_end += usize::from(!inside);
                inside
            })
            .map(|s| SampleInfo {
                dts: Some(s.dts.saturating_sub(edit_offset).saturating_sub(dts_shift)),
                pts: s.dts.saturating_add(s.cto).saturating_sub(edit_offset),
                duration: s.duration,
                is_keyframe: s.keyframe,
                data: SampleData::Range {
                    offset: s.offset,
                    len: s.size,
                },
            })
            .collect();
        if past_end > 0 {
            warnings.push(format!(
                "track {track_id}: {past_end} of {} samples lie past the end of the file (it was cut short); the {} complete ones are listed",
                raw.len(),
                samples.len()
            ));
        }
        tracks.push(VideoTrack {
            track_id,
            codec: desc.codec,
            container_codec: entry_name,
            codec_string: shiguredo_mp4::codec_string::from_sample_entry(entry)
                .unwrap_or(desc.fallback_codec_string),
            width: desc.width,
            height: desc.height,
            bit_depth: desc.bit_depth,
            chroma_format: desc.chroma,
            timescale,
            edit_offset,
            config: desc.config,
            samples,
        });
    }
    Ok(Parsed {
        container,
        tracks,
        other_tracks: other,
        warnings,
    })
}

fn entry_fourcc(entry: &SampleEntry) -> String {
    let t = match entry {
        SampleEntry::Avc1(_) => "avc1",
        SampleEntry::Hev1(_) => "hev1",
        SampleEntry::Hvc1(_) => "hvc1",
        SampleEntry::Vp08(_) => "vp08",
        SampleEntry::Vp09(_) => "vp09",
        SampleEntry::Av01(_) => "av01",
        SampleEntry::Opus(_) => "Opus",
        SampleEntry::Mp4a(_) => "mp4a",
        SampleEntry::Flac(_) => "fLaC",
        SampleEntry::Unknown(b) => {
            return match b.box_type {
                shiguredo_mp4::BoxType::Normal(t) => String::from_utf8_lossy(&t).into_owned(),
                shiguredo_mp4::BoxType::Uuid(_) => "uuid".into(),
            };
        }
        _ => "other",
    };
    t.into()
}

struct EntryDesc {
    codec: VideoCodec,
    width: u32,
    height: u32,
    bit_depth: Option<u8>,
    chroma: Option<&'static str>,
    config: CodecConfig,
    fallback_codec_string: String,
}

fn describe_entry(entry: &SampleEntry) -> Option<EntryDesc> {
    Some(match entry {
        SampleEntry::Avc1(b) => {
            let c = &b.avcc_box;
            let sps = c.sps_list.first().and_then(|s| h264::Sps::parse(s).ok());
            let mut sets = c.sps_list.clone();
            sets.extend(c.pps_list.iter().cloned());
            EntryDesc {
                codec: VideoCodec::H264,
                width: u32::from(b.visual.width),
                height: u32::from(b.visual.height),
                bit_depth: sps.as_ref().map(|s| s.bit_depth_luma),
                chroma: sps.as_ref().map(|s| chroma_name(s.chroma_format_idc)),
                config: CodecConfig::Avc {
                    length_size: usize::from(c.length_size_minus_one.get()) + 1,
                    parameter_sets: sets,
                },
                fallback_codec_string: sps
                    .map(|s| s.codec_string())
                    .unwrap_or_else(|| "avc1".into()),
            }
        }
        SampleEntry::Hev1(b) => hevc_desc(&b.visual, &b.hvcc_box, "hev1"),
        SampleEntry::Hvc1(b) => hevc_desc(&b.visual, &b.hvcc_box, "hvc1"),
        SampleEntry::Av01(b) => {
            let c = &b.av1c_box;
            let seq = av1::split_obus(&c.config_obus)
                .ok()
                .and_then(|obus| {
                    obus.into_iter()
                        .find(|o| o.obu_type == av1::OBU_SEQUENCE_HEADER)
                })
                .map(|o| o.raw.to_vec());
            let bit_depth = if c.twelve_bit.get() == 1 {
                12
            } else if c.high_bitdepth.get() == 1 {
                10
            } else {
                8
            };
            let chroma = match (
                c.monochrome.get(),
                c.chroma_subsampling_x.get(),
                c.chroma_subsampling_y.get(),
            ) {
                (1, _, _) => "4:0:0",
                (_, 1, 1) => "4:2:0",
                (_, 1, 0) => "4:2:2",
                _ => "4:4:4",
            };
            EntryDesc {
                codec: VideoCodec::AV1,
                width: u32::from(b.visual.width),
                height: u32::from(b.visual.height),
                bit_depth: Some(bit_depth),
                chroma: Some(chroma),
                config: CodecConfig::Av1 {
                    sequence_header: seq,
                },
                fallback_codec_string: format!(
                    "av01.{}.{:02}{}.{bit_depth:02}",
                    c.seq_profile.get(),
                    c.seq_level_idx_0.get(),
                    if c.seq_tier_0.get() == 1 { 'H' } else { 'M' }
                ),
            }
        }
        SampleEntry::Vp09(b) => vp_desc(&b.visual, &b.vpcc_box, VideoCodec::VP9),
        SampleEntry::Vp08(b) => vp_desc(&b.visual, &b.vpcc_box, VideoCodec::VP8),
        _ => return None,
    })
}

fn hevc_desc(
    visual: &shiguredo_mp4::boxes::VisualSampleEntryFields,
    c: &shiguredo_mp4::boxes::HvccBox,
    fourcc: &str,
) -> EntryDesc {
    let sets: Vec<Vec<u8>> = c
        .nalu_arrays
        .iter()
        .filter(|a| {
            matches!(
                a.nal_unit_type.get(),
                h265::NAL_VPS | h265::NAL_SPS | h265::NAL_PPS
            )
        })
        .flat_map(|a| a.nalus.iter().cloned())
        .collect();
    let sps = sets
        .iter()
        .find(|n| h265::nal_type(n) == h265::NAL_SPS)
        .and_then(|s| h265::Sps::parse(s).ok());
    EntryDesc {
        codec: VideoCodec::H265,
        width: u32::from(visual.width),
        height: u32::from(visual.height),
        bit_depth: Some(c.bit_depth_luma_minus8.get() + 8),
        chroma: Some(chroma_name(c.chroma_format_idc.get())),
        config: CodecConfig::Hevc {
            length_size: usize::from(c.length_size_minus_one.get()) + 1,
            parameter_sets: sets,
        },
        fallback_codec_string: sps
            .map(|s| s.codec_string(fourcc))
            .unwrap_or_else(|| fourcc.into()),
    }
}

fn vp_desc(
    visual: &shiguredo_mp4::boxes::VisualSampleEntryFields,
    c: &shiguredo_mp4::boxes::VpccBox,
    codec: VideoCodec,
) -> EntryDesc {
    let bit_depth = c.bit_depth.get();
    EntryDesc {
        codec,
        width: u32::from(visual.width),
        height: u32::from(visual.height),
        bit_depth: Some(bit_depth),
        chroma: Some(match c.chroma_subsampling.get() {
            0 | 1 => "4:2:0",
            2 => "4:2:2",
            _ => "4:4:4",
        }),
        config: CodecConfig::None,
        fallback_codec_string: if codec == VideoCodec::VP8 {
            "vp8".into()
        } else {
            format!("vp09.{:02}.{:02}.{bit_depth:02}", c.profile, c.level)
        },
    }
}

/// A sample before the edit list is applied.
#[derive(Clone, Copy, Debug, Default)]
struct RawSample {
    dts: i64,
    cto: i64,
    duration: i64,
    keyframe: bool,
    offset: u64,
    size: u64,
}

/// The samples of a track's sample table. Every real sample has at least
/// one byte in the file, so no more than the file's size in bytes are
/// listed, however many the table declares: a tiny file with a compact
/// table (one `stts` run, a uniform `stsz`) cannot make reel allocate for
/// billions of samples.
fn plain_samples(
    trak: &TrakBox,
    file_size: u64,
    warnings: &mut Vec<String>,
) -> Result<Vec<RawSample>, String> {
    // shiguredo_mp4's accessor walks the tables itself: fenced as a whole.
    reel_types::guard::third_party(|| {
        let table = SampleTableAccessor::new(&trak.mdia_box.minf_box.stbl_box)
            .map_err(|e| format!("the sample table is inconsistent ({e})"))?;
        let declared = u64::from(table.sample_count());
        let listed = declared.min(file_size);
        if listed < declared {
            warnings.push(format!(
                "track {}: the sample table declares {declared} samples, more than a \
                 {file_size}-byte file can hold; only the first {listed} are read",
                trak.tkhd_box.track_id
            ));
        }
        Ok(table
            .samples()
            .take(listed as usize)
            .map(|s| RawSample {
                dts: i64::try_from(s.timestamp()).unwrap_or(i64::MAX),
                cto: s.composition_time_offset().unwrap_or(0),
                duration: i64::from(s.duration()),
                keyframe: s.is_sync_sample(),
                offset: s.data_offset(),
                size: u64::from(s.data_size()),
            })
            .collect())
    })?
}

/// The `sample_count` of every `trun` box in a `moof` box's bytes (read
/// before the box is decoded, which allocates per declared sample).
fn trun_sample_counts(moof: &[u8]) -> Vec<u64> {
    /// The child boxes of `data` as (type, body).
    fn children(data: &[u8]) -> impl Iterator<Item = ([u8; 4], &[u8])> {
        let mut pos = 0usize;
        std::iter::from_fn(move || {
            let head = data.get(pos..pos.checked_add(8)?)?;
            let size = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
            let kind = [head[4], head[5], head[6], head[7]];
            let end = if size == 0 {
                data.len()
            } else {
                pos.checked_add(size)?
            };
            let body = data.get(pos + 8..end)?;
            pos = end.max(pos + 8);
            Some((kind, body))
        })
    }
    let mut counts = Vec::new();
    for (kind, moof_body) in children(moof) {
        if &kind != b"moof" {
            continue;
        }
        for (kind, traf) in children(moof_body) {
            if &kind != b"traf" {
                continue;
            }
            for (kind, trun) in children(traf) {
                if &kind == b"trun" && trun.len() >= 8 {
                    counts.push(u64::from(u32::from_be_bytes([
                        trun[4], trun[5], trun[6], trun[7],
                    ])));
                }
            }
        }
    }
    counts
}

/// Samples of every track of a fragmented file, from its `moof` boxes.
///
/// Written here because `shiguredo_mp4`'s fragmented demuxer rejects
/// `tfhd` boxes with an absolute `base_data_offset`, which FFmpeg writes by
/// default; the boxes themselves are decoded by `shiguredo_mp4`.
fn read_fragments(
    r: &mut (impl Read + Seek),
    boxes: &[TopBox],
    moov: &MoovBox,
    file_size: u64,
    name: &str,
    warnings: &mut Vec<String>,
) -> Result<HashMap<u32, Vec<RawSample>>, VideoError> {
    let io = |source| VideoError::Io {
        path: name.to_owned(),
        source,
    };
    let trex: HashMap<u32, &TrexBox> = moov
        .mvex_box
        .iter()
        .flat_map(|m| &m.trex_boxes)
        .map(|t| (t.track_id, t))
        .collect();
    let mut out: HashMap<u32, Vec<RawSample>> = HashMap::new();
    let mut next_dts: HashMap<u32, i64> = HashMap::new();
    let mut buf = Vec::new();
    let mut listed = 0u64;
    for b in boxes.iter().filter(|b| &b.kind == b"moof") {
        if b.offset.saturating_add(b.size) > file_size || b.size > 64 << 20 {
            break;
        }
        buf.resize(b.size as usize, 0);
        r.seek(SeekFrom::Start(b.offset)).map_err(io)?;
        r.read_exact(&mut buf).map_err(io)?;
        // Each sample has at least one byte in the file: a fragment that
        // declares more than the file can hold is damaged.
        let declared: u64 = trun_sample_counts(&buf).iter().sum();
        listed = listed.saturating_add(declared);
        if listed > file_size {
            warnings.push(format!(
                "'moof' box at byte {} declares {declared} samples, more than the {file_size}-byte \
                 file can hold; it and later fragments skipped",
                b.offset
            ));
            break;
        }
        let decoded = reel_types::guard::third_party(|| MoofBox::decode(&buf))
            .and_then(|r| r.map_err(|e| box_error(&e)));
        let moof = match decoded {
            Ok((m, _)) => m,
            Err(e) => {
                warnings.push(format!(
                    "'moof' box at byte {} is damaged ({e}); later fragments skipped",
                    b.offset
                ));
                break;
            }
        };
        for traf in &moof.traf_boxes {
            let tfhd = &traf.tfhd_box;
            let defaults = trex.get(&tfhd.track_id);
            let base = tfhd.base_data_offset.unwrap_or(b.offset);
            let dts = next_dts.entry(tfhd.track_id).or_insert(0);
            if let Some(tfdt) = &traf.tfdt_box {
                *dts = i64::try_from(tfdt.base_media_decode_time).unwrap_or(i64::MAX);
            }
            let mut data_end = base;
            for trun in &traf.trun_boxes {
                let mut offset = match trun.data_offset {
                    Some(d) => base.saturating_add_signed(i64::from(d)),
                    None => data_end,
                };
                for (i, s) in trun.samples.iter().enumerate() {
                    let duration = s
                        .duration
                        .or(tfhd.default_sample_duration)
                        .or(defaults.map(|t| t.default_sample_duration))
                        .unwrap_or(0);
                    let size = s
                        .size
                        .or(tfhd.default_sample_size)
                        .or(defaults.map(|t| t.default_sample_size))
                        .unwrap_or(0);
                    let flags = s
                        .flags
                        .or(if i == 0 {
                            trun.first_sample_flags
                        } else {
                            None
                        })
                        .or(tfhd.default_sample_flags)
                        .or(defaults.map(|t| t.default_sample_flags));
                    out.entry(tfhd.track_id).or_default().push(RawSample {
                        dts: *dts,
                        cto: s.composition_time_offset.unwrap_or(0),
                        duration: i64::from(duration),
                        keyframe: flags.is_none_or(|f| !f.sample_is_non_sync_sample()),
                        offset,
                        size: u64::from(size),
                    });
                    *dts = dts.saturating_add(i64::from(duration));
                    offset = offset.saturating_add(u64::from(size));
                }
                data_end = offset;
            }
        }
    }
    Ok(out)
}

/// Ticks to subtract from media timestamps, as FFmpeg applies the edit list:
/// leading empty edits delay the track, the first real edit's `media_time`
/// is where presentation starts.
fn edit_offset(trak: &TrakBox, movie_timescale: u64, media_timescale: u64) -> i64 {
    let Some(elst) = trak.edts_box.as_ref().and_then(|e| e.elst_box.as_ref()) else {
        return 0;
    };
    let mut delay = 0i64;
    for e in &elst.entries {
        if e.media_time < 0 {
            let d = i128::from(e.edit_duration) * i128::from(media_timescale)
                / i128::from(movie_timescale.max(1));
            delay = delay.saturating_add(i64::try_from(d).unwrap_or(i64::MAX));
        } else {
            return e.media_time.saturating_sub(delay);
        }
    }
    -delay
}

/// A box parser's error in the user's terms: which box, and what is wrong
/// with it (not the parser's source location).
fn box_error(e: &shiguredo_mp4::Error) -> String {
    use shiguredo_mp4::ErrorKind as K;
    let what = e
        .box_type
        .map(|t| format!("'{t}' box"))
        .unwrap_or_else(|| "a box".into());
    let reason = match e.kind {
        K::InsufficientBuffer => format!("{what} is cut short or its size is wrong"),
        K::InvalidData | K::InvalidInput => format!("{what} holds invalid data"),
        K::Unsupported => format!("{what} uses a feature reel cannot read"),
    };
    if e.reason.is_empty() {
        reason
    } else {
        format!("{reason}: {}", e.reason)
    }
}
