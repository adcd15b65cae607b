//! Any bytes to every bitstream parser: the first byte picks the codec, the
//! rest is a sample in reel's form (or a configuration record). Must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use reel_types::VideoCodec;
use reel_video::bitstream::{self, av1, h264, h265, nal, vp8, vp9, vp9_sizes};
use reel_video::mux::{sample_entry_from_keyframe, to_container_sample};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else { return };
    let codec = VideoCodec::ALL[usize::from(selector) % VideoCodec::ALL.len()];
    let _ = bitstream::is_keyframe(codec, rest);
    let _ = bitstream::stream_info(codec, rest);
    if let Ok((_, sets)) = sample_entry_from_keyframe(codec, rest) {
        let _ = to_container_sample(codec, rest, &sets);
    }
    for n in nal::split_annex_b(rest) {
        let _ = h264::Sps::parse(n);
        let _ = h265::Sps::parse(n);
    }
    let _ = nal::split_length_prefixed(rest, 1 + usize::from(selector % 4));
    let _ = h264::parse_avcc(rest);
    let _ = h265::parse_hvcc(rest);
    let _ = av1::parse_av1c(rest);
    let _ = av1::split_obus(rest);
    let _ = av1::SequenceHeader::parse(rest);
    let _ = vp9::FrameHeader::parse(rest);
    let _ = vp9::split_superframe(rest);
    // Sizes across samples: the tracker keeps reference slots between calls.
    let mut sizes = vp9_sizes::FrameSizes::new();
    for part in rest.split(|b| *b == 0xA5) {
        let _ = sizes.shown_sizes(part);
    }
    let _ = vp8::keyframe_size(rest);
    if let Ok(sps) = h264::Sps::parse(rest) {
        let _ = sps.codec_string();
    }
});
