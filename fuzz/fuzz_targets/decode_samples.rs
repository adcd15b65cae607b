//! Any bytes as a stream of samples through the in-process decoders
//! (FFmpeg's libavcodec loaded at run time, and openh264) and
//! `FrameSource`: the first byte picks the codec and backend, 0xA5 bytes
//! split samples, a sample starting with 0xFF is flagged a keyframe (the
//! first always is). The decoders' own parsers are fuzzed upstream; this
//! checks reel's side: the FFI wrapper, plane copies of whatever picture
//! comes out, PTS bookkeeping, seeks, error recovery and groups decoded on
//! worker threads (throughput mode). Must never panic or crash.
#![no_main]


use libfuzzer_sys::fuzz_target;
use reel_decode::{Backend, FrameSource, StreamSample};
use reel_types::VideoCodec;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let codec = VideoCodec::ALL[usize::from(selector) % VideoCodec::ALL.len()];
    let backend = if codec == VideoCodec::H264 && selector & 0x80 != 0 {
        Backend::OpenH264
    } else {
        Backend::Libav
    };
    let mut source = FrameSource::with_options(codec, Some(backend), 16 << 20);
    // Throughput mode: groups of pictures on worker threads where the
    // samples look like clean keyframes.
    if selector & 0x40 != 0 {
        source.set_low_latency(false);
    }
    for (i, part) in rest.split(|b| *b == 0xA5).take(64).enumerate() {
        source.append(StreamSample {
            data: reel_types::Blob::from(part),
            pts: i as i64,
            is_keyframe: i == 0 || part.first() == Some(&0xFF),
        });
    }
    // Forward, then a few jumps back (seeks to earlier keyframes).
    let n = source.len() as i64;
    for t in (0..n).chain([n / 2, 0, n - 1]) {
        if let Ok(Some(frame)) = source.frame_at(t) {
            let _ = frame.to_rgba8();
        }
    }
});
