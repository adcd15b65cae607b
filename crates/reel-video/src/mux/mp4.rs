//! The MP4 writer.

use std::io::{Seek, SeekFrom, Write};
use std::num::NonZeroU32;

use reel_types::{Blob, VideoCodec};
use shiguredo_mp4::boxes::{EdtsBox, ElstBox, ElstEntry, MoovBox};
use shiguredo_mp4::mux::{Fmp4SegmentMuxer, Mp4FileMuxer, Sample};
use shiguredo_mp4::{Decode, Encode, FixedPointNumber, TrackKind};

use super::sample_entry::{sample_entry_from_keyframe, to_container_sample};
use crate::container::derive_decode_timestamps;

/// One sample to write, in reel form, in decode order.
#[derive(Clone, Debug)]
pub struct StreamSample {
    /// The sample bytes (Annex B / OBUs / frame), shared: a sample of a
    /// recording is a slice of its chunk's buffer.
    pub data: Blob,
    /// Presentation time in ns.
    pub pts_ns: i64,
    /// Decode time in ns, if known (derived from the PTS order otherwise).
    pub dts_ns: Option<i64>,
    /// Keyframe flag.
    pub is_keyframe: bool,
}

/// How to write.
#[derive(Clone, Debug, Default)]
pub struct Mp4Options {
    /// Fragmented MP4 (one `moof`/`mdat` per GOP) instead of one `moov` at the end.
    pub fragmented: bool,
    /// Ticks per second of the media clock; derived from the frame rate as
    /// FFmpeg does when `None`.
    pub timescale: Option<u32>,
}

/// What was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MuxReport {
    /// Samples written.
    pub samples: usize,
    /// Bytes written.
    pub bytes: u64,
    /// The media timescale used.
    pub timescale: u32,
    /// Samples dropped before the first keyframe (undecodable).
    pub dropped_before_keyframe: usize,
    /// Timestamps changed because the stream's were not strictly increasing.
    pub timestamps_adjusted: usize,
}

/// FFmpeg's choice for a video track: the frame-rate denominator doubled until ≥ 10000.
fn derive_timescale(samples: &[StreamSample]) -> u32 {
    let mut pts: Vec<i64> = samples.iter().map(|s| s.pts_ns).collect();
    pts.sort_unstable();
    let mut deltas: Vec<i64> = pts
        .windows(2)
        .map(|w| w[1].saturating_sub(w[0]))
        .filter(|d| *d > 0)
        .collect();
    deltas.sort_unstable();
    let Some(&typical) = deltas.get(deltas.len() / 2) else {
        return 90_000;
    };
    let fps = 1e9 / typical as f64;
    // Common rates exactly (29.97 → 30000/1001).
    let mut base = if (fps - fps.round()).abs() < 0.01 {
        fps.round() as u32
    } else if (fps * 1001.0 / 1000.0 - (fps * 1001.0 / 1000.0).round()).abs() < 0.01 {
        ((fps * 1001.0 / 1000.0).round() as u32).saturating_mul(1000)
    } else {
        90_000
    };
    base = base.max(1);
    while base < 10_000 {
        base *= 2;
    }
    base
}

fn to_ticks(ns: i64, timescale: u32) -> i64 {
    let t = i128::from(ns) * i128::from(timescale);
    let q = if t >= 0 {
        (t + 500_000_000) / 1_000_000_000
    } else {
        -((-t + 500_000_000) / 1_000_000_000)
    };
    i64::try_from(q).unwrap_or(i64::MAX)
}

/// Writes `samples` (decode order) of one video stream as an MP4 to `out`.
///
/// Samples before the first keyframe are dropped (nothing could decode
/// them); the first keyframe must carry its parameter sets, which become
/// the sample entry. DTS and PTS are kept exactly; an edit list makes the
/// earliest frame show at time zero, as FFmpeg writes it.
pub fn write_mp4(
    out: &mut (impl Write + Seek),
    codec: VideoCodec,
    samples: &[StreamSample],
    options: &Mp4Options,
) -> Result<MuxReport, String> {
    let first_key = samples
        .iter()
        .position(|s| s.is_keyframe)
        .ok_or("the stream has no keyframe to start from")?;
    let samples = &samples[first_key..];
    let (entry, entry_sets) =
        sample_entry_from_keyframe(codec, samples[0].data.as_slice()).map_err(|e| e.to_string())?;
    let timescale = options
        .timescale
        .unwrap_or_else(|| derive_timescale(samples));
    let ts_nz = NonZeroU32::new(timescale).ok_or("timescale is zero")?;

    let mut pts: Vec<i64> = samples
        .iter()
        .map(|s| to_ticks(s.pts_ns, timescale))
        .collect();
    let mut dts: Vec<i64> = if samples.iter().all(|s| s.dts_ns.is_some()) {
        samples
            .iter()
            .map(|s| to_ticks(s.dts_ns.unwrap_or_default(), timescale))
            .collect()
    } else {
        derive_decode_timestamps(&pts)
    };
    // MP4 needs strictly increasing DTS and PTS ≥ DTS. Streams that break
    // this (duplicate timestamps) are repaired as FFmpeg repairs them:
    // each DTS at least one tick after the previous, PTS raised to its DTS.
    let mut adjusted = 0;
    for i in 0..dts.len() {
        if i > 0 && dts[i] <= dts[i - 1] {
            dts[i] = dts[i - 1].saturating_add(1);
            adjusted += 1;
        }
        if pts[i] < dts[i] {
            pts[i] = dts[i];
            adjusted += 1;
        }
    }
    let dts0 = dts[0];
    let typical = {
        let mut d: Vec<i64> = dts.windows(2).map(|w| w[1].saturating_sub(w[0])).collect();
        d.sort_unstable();
        d.get(d.len() / 2)
            .copied()
            .unwrap_or(i64::from(timescale) / 30)
            .max(1)
    };
    let durations: Vec<u32> = (0..samples.len())
        .map(|i| {
            let d = if i + 1 < dts.len() {
                dts[i + 1].saturating_sub(dts[i])
            } else {
                typical
            };
            u32::try_from(d).unwrap_or(u32::MAX)
        })
        .collect();
    let ctos: Vec<i64> = pts
        .iter()
        .zip(&dts)
        .map(|(p, d)| p.saturating_sub(*d))
        .collect();
    let has_cto = ctos.iter().any(|&c| c != 0);
    let payloads: Vec<Vec<u8>> = samples
        .iter()
        .map(|s| to_container_sample(codec, s.data.as_slice(), &entry_sets))
        .collect();

    let min_pts = *pts.iter().min().unwrap_or(&0);
    let end_pts = pts
        .iter()
        .zip(&durations)
        .map(|(p, d)| p.saturating_add(i64::from(*d)))
        .max()
        .unwrap_or(0);
    // In media ticks from the first DTS: where presentation starts.
    let media_time = min_pts.saturating_sub(dts0);

    let make_sample = |i: usize, offset: u64| Sample {
        track_kind: TrackKind::Video,
        sample_entry: (i == 0).then(|| entry.clone()),
        keyframe: samples[i].is_keyframe,
        timescale: ts_nz,
        duration: durations[i],
        composition_time_offset: has_cto.then_some(ctos[i]),
        data_offset: offset,
        data_size: payloads[i].len(),
    };
    let io = |e: std::io::Error| e.to_string();
    let mux = |e: shiguredo_mp4::mux::MuxError| e.to_string();

    let bytes = if options.fragmented {
        // One fragment per GOP.
        let mut muxer = Fmp4SegmentMuxer::new().map_err(mux)?;
        let mut segments = Vec::new();
        let mut start = 0;
        while start < samples.len() {
            let end = (start + 1..samples.len())
                .find(|&i| samples[i].is_keyframe)
                .unwrap_or(samples.len());
            let mut offset = 0u64;
            let batch: Vec<Sample> = (start..end)
                .map(|i| {
                    let s = make_sample(i, offset);
                    offset += payloads[i].len() as u64;
                    s
                })
                .collect();
            segments.push((
                muxer.create_media_segment_metadata(&batch).map_err(mux)?,
                start..end,
            ));
            start = end;
        }
        let init = muxer.init_segment_bytes().map_err(mux)?;
        let init = with_edit_list(
            &init,
            media_time,
            end_pts.saturating_sub(min_pts),
            timescale,
        )?;
        out.write_all(&init).map_err(io)?;
        let mut written = init.len() as u64;
        for (meta, range) in segments {
            out.write_all(&meta).map_err(io)?;
            written += meta.len() as u64;
            for p in &payloads[range] {
                out.write_all(p).map_err(io)?;
                written += p.len() as u64;
            }
        }
        written
    } else {
        let mut muxer = Mp4FileMuxer::new().map_err(mux)?;
        let initial = muxer.initial_boxes_bytes().to_vec();
        out.write_all(&initial).map_err(io)?;
        let mut offset = initial.len() as u64;
        for (i, p) in payloads.iter().enumerate() {
            out.write_all(p).map_err(io)?;
            muxer.append_sample(&make_sample(i, offset)).map_err(mux)?;
            offset += p.len() as u64;
        }
        let finalized = muxer.finalize().map_err(mux)?;
        let mut moov = finalized.moov_box().clone();
        add_edit_list(
            &mut moov,
            media_time,
            end_pts.saturating_sub(min_pts),
            timescale,
        );
        let moov_bytes = moov.encode_to_vec().map_err(|e| e.to_string())?;
        let mut end = offset;
        for (at, bytes) in finalized.offset_and_bytes_pairs() {
            out.seek(SeekFrom::Start(at)).map_err(io)?;
            if at >= offset {
                // The moov, after the media data: ours, with the edit list.
                out.write_all(&moov_bytes).map_err(io)?;
                end = at + moov_bytes.len() as u64;
            } else {
                out.write_all(bytes).map_err(io)?;
            }
        }
        out.seek(SeekFrom::Start(end)).map_err(io)?;
        end
    };
    out.flush().map_err(io)?;
    Ok(MuxReport {
        samples: samples.len(),
        bytes,
        timescale,
        dropped_before_keyframe: first_key,
        timestamps_adjusted: adjusted,
    })
}

/// Adds an edit list starting presentation at `media_time` (media ticks,
/// relative to the first DTS) for `duration` media ticks.
fn add_edit_list(moov: &mut MoovBox, media_time: i64, duration: i64, media_timescale: u32) {
    let movie_timescale = u64::from(moov.mvhd_box.timescale.get());
    let edit_duration = u64::try_from(
        i128::from(duration.max(0)) * i128::from(movie_timescale)
            / i128::from(media_timescale.max(1)),
    )
    .unwrap_or(u64::MAX);
    for trak in &mut moov.trak_boxes {
        trak.edts_box = Some(EdtsBox {
            elst_box: Some(ElstBox {
                entries: vec![ElstEntry {
                    edit_duration,
                    media_time,
                    media_rate: FixedPointNumber::new(1, 0),
                }],
            }),
            unknown_boxes: Vec::new(),
        });
    }
}

/// The init segment (`ftyp` + `moov`) with an edit list added to its track.
fn with_edit_list(
    init: &[u8],
    media_time: i64,
    duration: i64,
    timescale: u32,
) -> Result<Vec<u8>, String> {
    let mut pos = 0;
    let mut out = Vec::with_capacity(init.len() + 64);
    while pos + 8 <= init.len() {
        let size = u32::from_be_bytes(init[pos..pos + 4].try_into().unwrap_or_default()) as usize;
        let kind = &init[pos + 4..pos + 8];
        let end = (pos + size.max(8)).min(init.len());
        if kind == b"moov" {
            let (mut moov, _) = MoovBox::decode(&init[pos..end]).map_err(|e| e.to_string())?;
            // A fragmented file has no total duration up front; the edit only shifts.
            add_edit_list(&mut moov, media_time, duration, timescale);
            for trak in &mut moov.trak_boxes {
                if let Some(e) = trak.edts_box.as_mut().and_then(|e| e.elst_box.as_mut()) {
                    e.entries[0].edit_duration = 0;
                }
            }
            out.extend_from_slice(&moov.encode_to_vec().map_err(|e| e.to_string())?);
        } else {
            out.extend_from_slice(&init[pos..end]);
        }
        pos = end;
    }
    Ok(out)
}
