//! Sample entries (`avc1`+`avcC`, `hvc1`+`hvcC`, `av01`+`av1C`, `vp09`/`vp08`+`vpcC`)
//! built from the parameter sets a keyframe carries in-band.

use reel_types::VideoCodec;
use shiguredo_mp4::Decode;
use shiguredo_mp4::boxes::SampleEntry;

use crate::bitstream::{BitstreamError, av1, h264, h265, nal, vp8, vp9};

/// Wraps a configuration record in a visual sample entry box and decodes
/// it into `shiguredo_mp4`'s typed form.
fn visual_entry(
    fourcc: &[u8; 4],
    width: u32,
    height: u32,
    config: (&[u8; 4], &[u8]),
) -> Result<SampleEntry, BitstreamError> {
    let (w, h) = (
        u16::try_from(width).map_err(|_| BitstreamError::Invalid("width above 65535"))?,
        u16::try_from(height).map_err(|_| BitstreamError::Invalid("height above 65535"))?,
    );
    let mut body = vec![0u8; 6];
    body.extend_from_slice(&1u16.to_be_bytes()); // data_reference_index
    body.extend_from_slice(&[0u8; 16]); // pre_defined, reserved
    body.extend_from_slice(&w.to_be_bytes());
    body.extend_from_slice(&h.to_be_bytes());
    body.extend_from_slice(&0x0048_0000u32.to_be_bytes());
    body.extend_from_slice(&0x0048_0000u32.to_be_bytes());
    body.extend_from_slice(&[0u8; 4]);
    body.extend_from_slice(&1u16.to_be_bytes()); // frame_count
    body.extend_from_slice(&[0u8; 32]); // compressorname
    body.extend_from_slice(&0x0018u16.to_be_bytes());
    body.extend_from_slice(&0xFFFFu16.to_be_bytes());
    body.extend_from_slice(&((8 + config.1.len()) as u32).to_be_bytes());
    body.extend_from_slice(config.0);
    body.extend_from_slice(config.1);
    let mut entry = ((8 + body.len()) as u32).to_be_bytes().to_vec();
    entry.extend_from_slice(fourcc);
    entry.extend_from_slice(&body);
    SampleEntry::decode(&entry).map(|(e, _)| e).map_err(|_| {
        BitstreamError::Invalid("could not build the sample entry from the stream's headers")
    })
}

/// The sample entry for a stream whose first keyframe is `keyframe` (reel form).
/// Returns the entry and the parameter-set NAL units it holds (H.264/H.265),
/// which in-band copies are stripped against.
pub fn sample_entry_from_keyframe(
    codec: VideoCodec,
    keyframe: &[u8],
) -> Result<(SampleEntry, Vec<Vec<u8>>), BitstreamError> {
    match codec {
        VideoCodec::H264 => {
            let (sps, pps) = h264::parameter_sets(keyframe);
            if sps.is_empty() || pps.is_empty() {
                return Err(BitstreamError::Invalid(
                    "the first H.264 keyframe carries no SPS/PPS",
                ));
            }
            let s = h264::Sps::parse(sps[0])?;
            let avcc = h264::build_avcc(&sps, &pps)?;
            let entry = visual_entry(b"avc1", s.width, s.height, (b"avcC", &avcc))?;
            Ok((entry, sps.iter().chain(&pps).map(|n| n.to_vec()).collect()))
        }
        VideoCodec::H265 => {
            let sets = h265::parameter_sets(keyframe);
            let sps = sets
                .iter()
                .find(|n| h265::nal_type(n) == h265::NAL_SPS)
                .ok_or(BitstreamError::Invalid(
                    "the first H.265 keyframe carries no SPS",
                ))?;
            let s = h265::Sps::parse(sps)?;
            let hvcc = h265::build_hvcc(&sets)?;
            let entry = visual_entry(b"hvc1", s.width, s.height, (b"hvcC", &hvcc))?;
            Ok((entry, sets.iter().map(|n| n.to_vec()).collect()))
        }
        VideoCodec::AV1 => {
            let obu = av1::sequence_header_obu(keyframe).ok_or(BitstreamError::Invalid(
                "the first AV1 keyframe carries no sequence header",
            ))?;
            let seq = av1::SequenceHeader::parse(obu.payload)?;
            let av1c = seq.build_av1c(obu.raw);
            let entry = visual_entry(b"av01", seq.max_width, seq.max_height, (b"av1C", &av1c))?;
            Ok((entry, Vec::new()))
        }
        VideoCodec::VP9 => {
            let frame = vp9::split_superframe(keyframe)
                .first()
                .copied()
                .ok_or(BitstreamError::Truncated)?;
            let h = vp9::FrameHeader::parse(frame)?;
            let info = h.keyframe_info.ok_or(BitstreamError::Invalid(
                "the first VP9 sample is not a key frame",
            ))?;
            let level = vp9::level_for_size(info.width, info.height);
            let vpcc = vp9::build_vpcc(h.profile, level, &info);
            let entry = visual_entry(b"vp09", info.width, info.height, (b"vpcC", &vpcc))?;
            Ok((entry, Vec::new()))
        }
        VideoCodec::VP8 => {
            let (w, h) = vp8::keyframe_size(keyframe).ok_or(BitstreamError::Invalid(
                "the first VP8 sample is not a key frame",
            ))?;
            let info = vp9::KeyframeInfo {
                bit_depth: 8,
                color_space: 0,
                full_range: false,
                subsampling_x: true,
                subsampling_y: true,
                width: w,
                height: h,
            };
            let vpcc = vp9::build_vpcc(0, 10, &info);
            let entry = visual_entry(b"vp08", w, h, (b"vpcC", &vpcc))?;
            Ok((entry, Vec::new()))
        }
    }
}

/// Converts a reel sample to what an MP4 sample holds: length-prefixed NAL
/// units without the parameter sets already in the sample entry
/// (H.264/H.265), OBUs without temporal delimiters (AV1), frames as they are.
pub fn to_container_sample(codec: VideoCodec, sample: &[u8], entry_sets: &[Vec<u8>]) -> Vec<u8> {
    match codec {
        VideoCodec::H264 | VideoCodec::H265 => {
            let nals = nal::split_annex_b(sample);
            let is_param = |n: &[u8]| match codec {
                VideoCodec::H264 => matches!(h264::nal_type(n), h264::NAL_SPS | h264::NAL_PPS),
                _ => matches!(
                    h265::nal_type(n),
                    h265::NAL_VPS | h265::NAL_SPS | h265::NAL_PPS
                ),
            };
            // Leading parameter sets identical to the entry's are redundant there.
            let skip = nals
                .iter()
                .take_while(|n| is_param(n) && entry_sets.iter().any(|s| s.as_slice() == **n))
                .count();
            nal::to_length_prefixed(nals[skip..].iter().copied())
        }
        VideoCodec::AV1 => match av1::split_obus(sample) {
            Ok(obus) => {
                let mut out = Vec::with_capacity(sample.len());
                for o in obus
                    .iter()
                    .filter(|o| o.obu_type != av1::OBU_TEMPORAL_DELIMITER)
                {
                    out.extend_from_slice(o.raw);
                }
                out
            }
            Err(_) => sample.to_vec(),
        },
        VideoCodec::VP8 | VideoCodec::VP9 => sample.to_vec(),
    }
}
