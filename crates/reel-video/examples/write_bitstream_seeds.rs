//! Writes seeds for the `bitstream` fuzz target: the first keyframe of each
//! demux seed, in reel's sample form, after a codec selector byte.
//!
//! `cargo run -p reel-video --example write_bitstream_seeds -- fuzz/seeds/demux_media fuzz/seeds/bitstream`

use reel_types::VideoCodec;
use reel_video::MediaFile;

fn main() {
    let mut args = std::env::args().skip(1);
    let from = args
        .next()
        .unwrap_or_else(|| "fuzz/seeds/demux_media".into());
    let to = args.next().unwrap_or_else(|| "fuzz/seeds/bitstream".into());
    std::fs::create_dir_all(&to).unwrap();
    for entry in std::fs::read_dir(&from).unwrap().flatten() {
        let path = entry.path();
        let Ok(mut file) = MediaFile::open(&path) else {
            continue;
        };
        let Ok(track) = file.video_track() else {
            continue;
        };
        let codec = track.codec;
        let Some(index) = track.samples.iter().position(|s| s.is_keyframe) else {
            continue;
        };
        let sample = file.read_sample(0, index).unwrap();
        let selector = VideoCodec::ALL.iter().position(|c| *c == codec).unwrap() as u8;
        let mut seed = vec![selector];
        seed.extend_from_slice(&sample);
        let name = format!("{}/{}.bin", to, path.file_stem().unwrap().to_string_lossy());
        std::fs::write(&name, &seed).unwrap();
        println!("{name} ({} bytes)", seed.len());
    }
}
