//! Turning container samples into reel's canonical sample form and back,
//! and filling in what a container left out (durations, codec details).

use super::{SampleData, SampleInfo, VideoTrack};
use crate::bitstream::{self, BitstreamError, av1, h264, h265, nal};

/// The decoder configuration a container carries beside its samples.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CodecConfig {
    /// H.264 samples are length-prefixed; parameter sets from `avcC`.
    Avc {
        /// NAL length prefix size.
        length_size: usize,
        /// SPS and PPS NAL units.
        parameter_sets: Vec<Vec<u8>>,
    },
    /// H.265 samples are length-prefixed; VPS/SPS/PPS from `hvcC`.
    Hevc {
        /// NAL length prefix size.
        length_size: usize,
        /// VPS, SPS and PPS NAL units.
        parameter_sets: Vec<Vec<u8>>,
    },
    /// AV1 samples are OBUs; the sequence header OBU from `av1C`.
    Av1 {
        /// The sequence header OBU, if the record has one.
        sequence_header: Option<Vec<u8>>,
    },
    /// Samples are already in reel's form (VP8, VP9, Annex B or OBU streams).
    None,
}

impl CodecConfig {
    /// Converts one container sample to reel's form: Annex B (4-byte start
    /// codes) for H.264/H.265, with the configuration's parameter sets put
    /// in front of keyframes that lack them, so every keyframe decodes on
    /// its own; for AV1 the sequence header is likewise put in front of
    /// keyframes lacking one. Other samples are unchanged.
    pub fn to_canonical(&self, raw: &[u8], is_keyframe: bool) -> Result<Vec<u8>, BitstreamError> {
        match self {
            Self::Avc {
                length_size,
                parameter_sets,
            } => {
                let nals = nal::split_length_prefixed(raw, *length_size)?;
                let has_sps = nals.iter().any(|n| h264::nal_type(n) == h264::NAL_SPS);
                Ok(with_parameter_sets(
                    &nals,
                    parameter_sets,
                    is_keyframe && !has_sps,
                ))
            }
            Self::Hevc {
                length_size,
                parameter_sets,
            } => {
                let nals = nal::split_length_prefixed(raw, *length_size)?;
                let has_sps = nals.iter().any(|n| h265::nal_type(n) == h265::NAL_SPS);
                Ok(with_parameter_sets(
                    &nals,
                    parameter_sets,
                    is_keyframe && !has_sps,
                ))
            }
            Self::Av1 { sequence_header } => {
                let needs = is_keyframe && av1::sequence_header_obu(raw).is_none();
                match (needs, sequence_header) {
                    (true, Some(seq)) => {
                        // After a temporal delimiter, if the sample starts with one.
                        let obus = av1::split_obus(raw)?;
                        let mut out = Vec::with_capacity(raw.len() + seq.len());
                        let td = obus
                            .first()
                            .filter(|o| o.obu_type == av1::OBU_TEMPORAL_DELIMITER)
                            .map_or(0, |o| o.raw.len());
                        out.extend_from_slice(&raw[..td]);
                        out.extend_from_slice(seq);
                        out.extend_from_slice(&raw[td..]);
                        Ok(out)
                    }
                    _ => Ok(raw.to_vec()),
                }
            }
            Self::None => Ok(raw.to_vec()),
        }
    }
}

fn with_parameter_sets(nals: &[&[u8]], parameter_sets: &[Vec<u8>], insert: bool) -> Vec<u8> {
    let extra = if insert { parameter_sets.len() } else { 0 };
    let mut all: Vec<&[u8]> = Vec::with_capacity(nals.len() + extra);
    if insert {
        // First in the access unit: some decoders (Chromium's) reject an SEI before the SPS.
        all.extend(parameter_sets.iter().map(Vec::as_slice));
    }
    all.extend_from_slice(nals);
    nal::to_annex_b(all)
}

/// Decode timestamps for samples that have only presentation timestamps
/// (Matroska, IVF, streams logged without DTS), given in decode order:
/// the sorted presentation times, shifted back by the largest amount any
/// frame is shown after its decode slot, so that DTS ≤ PTS everywhere and
/// DTS increases strictly.
pub fn derive_decode_timestamps(pts_in_decode_order: &[i64]) -> Vec<i64> {
    let mut sorted = pts_in_decode_order.to_vec();
    sorted.sort_unstable();
    let delay = sorted
        .iter()
        .zip(pts_in_decode_order)
        .map(|(s, p)| s.saturating_sub(*p))
        .max()
        .unwrap_or(0)
        .max(0);
    let mut out: Vec<i64> = sorted.iter().map(|s| s.saturating_sub(delay)).collect();
    for i in 1..out.len() {
        if out[i] <= out[i - 1] {
            out[i] = out[i - 1].saturating_add(1);
        }
    }
    out
}

/// Durations from the gaps between presentation times, where the container gave none.
pub(crate) fn fill_durations(samples: &mut [SampleInfo]) {
    let mut order: Vec<usize> = (0..samples.len()).collect();
    order.sort_by_key(|&i| samples[i].pts);
    for w in order.windows(2) {
        if samples[w[0]].duration == 0 {
            samples[w[0]].duration = samples[w[1]].pts.saturating_sub(samples[w[0]].pts);
        }
    }
    if let (Some(&last), Some(w)) = (order.last(), order.windows(2).last())
        && samples[last].duration == 0
    {
        samples[last].duration = samples[w[1]].pts.saturating_sub(samples[w[0]].pts);
    }
}

/// Codec string, bit depth and chroma from the first keyframe's headers,
/// when its bytes are in memory (containers that list file ranges call
/// [`fill_from_keyframe`] with the bytes they read).
pub(crate) fn fill_from_bitstream(track: &mut VideoTrack) {
    let info = track
        .samples
        .iter()
        .find(|s| s.is_keyframe)
        .and_then(|s| match &s.data {
            SampleData::Inline(raw) => keyframe_info(track, raw),
            SampleData::Range { .. } => None,
        });
    apply_info(track, info);
}

/// Codec string, bit depth and chroma from a keyframe's headers (`raw`:
/// the sample as the container stores it).
pub(crate) fn fill_from_keyframe(track: &mut VideoTrack, raw: &[u8]) {
    let info = keyframe_info(track, raw);
    apply_info(track, info);
}

fn keyframe_info(track: &VideoTrack, raw: &[u8]) -> Option<bitstream::StreamInfo> {
    let sample = track.config.to_canonical(raw, true).ok()?;
    bitstream::stream_info(track.codec, &sample)
}

fn apply_info(track: &mut VideoTrack, info: Option<bitstream::StreamInfo>) {
    if let Some(info) = info {
        track.codec_string = info.codec_string;
        track.bit_depth = Some(info.bit_depth);
        track.chroma_format = Some(info.chroma_format);
        if track.width == 0 {
            track.width = info.width;
            track.height = info.height;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dts_for_b_frames() {
        // I P B B as decoded, shown I B B P.
        let pts = [0, 3, 1, 2];
        let dts = derive_decode_timestamps(&pts);
        assert_eq!(dts, vec![-1, 0, 1, 2]);
        assert!(dts.iter().zip(&pts).all(|(d, p)| d <= p));
        assert_eq!(derive_decode_timestamps(&[0, 1, 2]), vec![0, 1, 2]);
    }

    #[test]
    fn inserts_parameter_sets_on_keyframes_only() {
        let config = CodecConfig::Avc {
            length_size: 4,
            parameter_sets: vec![vec![0x67, 1], vec![0x68, 2]],
        };
        let sample = nal::to_length_prefixed([&[0x65u8, 9][..]]);
        let key = config.to_canonical(&sample, true).unwrap();
        assert_eq!(
            nal::split_annex_b(&key),
            vec![&[0x67, 1][..], &[0x68, 2], &[0x65, 9]]
        );
        let delta = config.to_canonical(&sample, false).unwrap();
        assert_eq!(nal::split_annex_b(&delta), vec![&[0x65, 9][..]]);
    }
}
