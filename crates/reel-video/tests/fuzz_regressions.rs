//! Inputs the fuzz targets found; each must give errors, never a panic.

use reel_video::mux::{Mp4Options, StreamSample, write_mp4};
use reel_video::{MediaFile, bitstream};

fn exercise(bytes: &[u8]) {
    let Ok(mut file) = MediaFile::from_bytes(bytes.to_vec(), "fuzz") else {
        return;
    };
    let tracks = file.tracks.clone();
    for (t, track) in tracks.iter().enumerate() {
        let _ = track.frame_timestamps_ns();
        let _ = track.duration_ns();
        let _ = track.has_reordering();
        let mut samples = Vec::new();
        for (i, s) in track.samples.iter().enumerate() {
            let Ok(data) = file.read_sample(t, i) else {
                continue;
            };
            let _ = bitstream::stream_info(track.codec, &data);
            samples.push(StreamSample {
                data: data.into(),
                pts_ns: track.ticks_to_ns(s.pts),
                dts_ns: s.dts.map(|d| track.ticks_to_ns(d)),
                is_keyframe: s.is_keyframe,
            });
        }
        for fragmented in [false, true] {
            let mut out = std::io::Cursor::new(Vec::new());
            let _ = write_mp4(
                &mut out,
                track.codec,
                &samples,
                &Mp4Options {
                    fragmented,
                    timescale: None,
                },
            );
        }
    }
}

/// IVF with timestamps near i64::MAX: `pts + duration` overflowed.
#[test]
fn ivf_av1_found_by_demux_media() {
    exercise(include_bytes!("data/fuzz_ivf_av1_panic.bin"));
}

/// An H.265 SPS whose `bit_depth_chroma_minus8` is near `u32::MAX`: `+ 8`
/// overflowed. Now it is an invalid SPS, reported as such.
#[test]
fn h265_sps_found_by_bitstream() {
    let data = include_bytes!("data/fuzz_h265_sps_bit_depth.bin");
    let (_, rest) = data.split_first().unwrap();
    let sps: Vec<&[u8]> = bitstream::nal::split_annex_b(rest)
        .into_iter()
        .filter(|n| bitstream::h265::nal_type(n) == bitstream::h265::NAL_SPS)
        .collect();
    assert!(!sps.is_empty(), "the input holds an H.265 SPS");
    for nal in sps {
        let err = bitstream::h265::Sps::parse(nal).unwrap_err();
        assert!(
            matches!(
                err,
                bitstream::BitstreamError::Invalid(_) | bitstream::BitstreamError::Truncated
            ),
            "{err}"
        );
    }
    assert!(bitstream::stream_info(reel_types::VideoCodec::H265, rest).is_none());
}

/// An H.264 SPS with a scaling-list `delta_scale` near `i32::MAX`:
/// `last + delta` overflowed. Out-of-range deltas now make the SPS invalid.
#[test]
fn h264_scaling_list_found_by_bitstream() {
    let data = include_bytes!("data/fuzz_h264_scaling_list.bin");
    let (_, rest) = data.split_first().unwrap();
    let candidates: Vec<&[u8]> = bitstream::nal::split_annex_b(rest)
        .into_iter()
        .chain(std::iter::once(rest))
        .filter(|n| bitstream::h264::nal_type(n) == bitstream::h264::NAL_SPS)
        .collect();
    let errors: Vec<String> = candidates
        .iter()
        .filter_map(|nal| bitstream::h264::Sps::parse(nal).err())
        .map(|e| e.to_string())
        .collect();
    assert!(
        errors.iter().any(|e| e.contains("delta_scale")),
        "{errors:?}"
    );
}
