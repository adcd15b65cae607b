//! Any bytes as a video file: container detection, MP4/fMP4/MOV, Matroska
//! and IVF demuxing, sample reads and conversion to reel's form, stream
//! info, and a remux of what was read back to MP4. Must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use reel_video::mux::{write_mp4, Mp4Options, StreamSample};
use reel_video::{bitstream, MediaFile};

#[path = "shared.rs"]
mod shared;

fuzz_target!(|data: &[u8]| {
    let Ok(mut file) = MediaFile::from_bytes(data.to_vec(), "fuzz") else {
        return;
    };
    let tracks = file.tracks.clone();
    for (t, track) in tracks.iter().enumerate() {
        let _ = track.frame_timestamps_ns();
        let _ = track.duration_ns();
        let mut samples = Vec::new();
        for (i, s) in track.samples.iter().enumerate().take(64) {
            let Ok(bytes) = file.read_sample(t, i) else { continue };
            let _ = bitstream::stream_info(track.codec, &bytes);
            let _ = bitstream::is_keyframe(track.codec, &bytes);
            samples.push(StreamSample {
                data: bytes.into(),
                pts_ns: track.ticks_to_ns(s.pts),
                dts_ns: s.dts.map(|d| track.ticks_to_ns(d)),
                is_keyframe: s.is_keyframe,
            });
        }
        for fragmented in [false, true] {
            let mut out = std::io::Cursor::new(Vec::new());
            let _ = write_mp4(&mut out, track.codec, &samples, &Mp4Options { fragmented, timescale: None });
        }
    }
});
