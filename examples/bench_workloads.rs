//! reel's side of `bench/compare.sh`: one workload per call, timed inside
//! (inputs are loaded before the clock starts), one JSON line out.
//!
//! `cargo run --release --example bench_workloads -- WORKLOAD ARGS…`

use std::io::Read;
use std::time::Instant;

use reel_decode::{FrameSource, StreamSample};
use reel_sdk::synthetic::moving_pattern_rgb8;
use reel_sdk::{
    EncoderSettings, Image, ImageCompressExt, MediaFile, RecordingStreamBuilder, VideoCodec,
    VideoStream, VideoStreamEncoder,
};

const W: u32 = 640;
const H: u32 = 480;

/// The frames of a raw RGB8 file, each read into its own buffer (not the
/// whole file first and copies of it: half the memory to fault in before
/// the clock starts).
fn frames(path: &str) -> Vec<Image> {
    let frame_bytes = (W * H * 3) as usize;
    let mut file = std::fs::File::open(path).unwrap();
    let count = file.metadata().unwrap().len() as usize / frame_bytes;
    (0..count)
        .map(|_| {
            let mut f = vec![0u8; frame_bytes];
            file.read_exact(&mut f).unwrap();
            Image::from_rgb8(f, [W, H]).unwrap()
        })
        .collect()
}

fn size(path: &str) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

fn emit(seconds: f64, bytes: u64, count: usize) {
    println!("{{\"seconds\": {seconds}, \"bytes\": {bytes}, \"count\": {count}}}");
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| args.get(i).map(String::as_str).unwrap_or("");
    match arg(0) {
        "make-frames" => {
            let n: u64 = arg(2).parse().unwrap();
            let mut out = Vec::with_capacity((n * u64::from(W * H * 3)) as usize);
            for i in 0..n {
                out.extend(moving_pattern_rgb8(W, H, i));
            }
            std::fs::write(arg(1), out).unwrap();
        }
        "image" | "jpeg" | "jpeg-pool" | "encode-log" => {
            let images = frames(arg(1));
            let out = arg(2);
            // Created before the clock starts, as the Python workloads do
            // (replacing a large earlier output is the file system's time).
            let rec = RecordingStreamBuilder::new("bench").save(out).unwrap();
            let t = Instant::now();
            {
                let mut enc = (arg(0) == "encode-log").then(|| {
                    let mut s = EncoderSettings::new(VideoCodec::H264);
                    s.keyframe_interval = 30;
                    VideoStreamEncoder::new(&rec, "camera", s).unwrap()
                });
                for (i, img) in images.iter().enumerate() {
                    rec.set_time_sequence("frame", i as i64);
                    match arg(0) {
                        "image" => rec.log("camera", img).unwrap(),
                        "jpeg" => rec.log("camera", &img.compress(75).unwrap()).unwrap(),
                        "jpeg-pool" => rec.log_compressed("camera", img, 75).unwrap(),
                        _ => enc.as_mut().unwrap().encode(img).unwrap(),
                    }
                }
                if let Some(e) = enc {
                    e.finish().unwrap();
                }
                rec.flush().unwrap();
                drop(rec); // the footer is part of the work
            }
            emit(t.elapsed().as_secs_f64(), size(out), images.len());
        }
        "stream-log" => {
            let mut file = MediaFile::open(arg(1)).unwrap();
            let track = file.video_track().unwrap().clone();
            let samples: Vec<(Vec<u8>, bool)> = (0..track.samples.len())
                .map(|i| {
                    (
                        file.read_sample(0, i).unwrap(),
                        track.samples[i].is_keyframe,
                    )
                })
                .collect();
            let out = arg(2);
            let rec = RecordingStreamBuilder::new("bench").save(out).unwrap();
            let t = Instant::now();
            {
                rec.log_static("camera", &VideoStream::new(track.codec))
                    .unwrap();
                for (i, (data, key)) in samples.iter().enumerate() {
                    rec.set_time_sequence("frame", i as i64);
                    rec.log(
                        "camera",
                        &VideoStream::from_sample(data.clone())
                            .unwrap()
                            .with_keyframe(*key),
                    )
                    .unwrap();
                }
                rec.flush().unwrap();
                drop(rec); // the footer is part of the work
            }
            emit(t.elapsed().as_secs_f64(), size(out), samples.len());
        }
        "timestamps" => {
            let t = Instant::now();
            let ts = reel_video::read_frame_timestamps_nanos(arg(1)).unwrap();
            emit(t.elapsed().as_secs_f64(), 0, ts.len());
        }
        "decode" => {
            let mut source =
                FrameSource::from_media_file(MediaFile::open(arg(1)).unwrap()).unwrap();
            // Playback, not live: decoders may look ahead (libdav1d frame threads).
            source.set_low_latency(false);
            // An optional frame-cache budget in MiB (default 512), or
            // `keep-history`: frames behind the playhead kept up to the
            // budget from the start (no adaptation: the cache fills).
            if let Ok(mib) = arg(2).parse::<usize>() {
                source.set_cache_bytes(mib << 20);
            }
            if arg(2) == "keep-history" {
                source.set_adaptive_history(false);
            }
            let times = source.frame_times();
            let t = Instant::now();
            for ts in &times {
                source.frame_at(*ts).unwrap().unwrap();
            }
            emit(t.elapsed().as_secs_f64(), 0, times.len());
        }
        "seek" => {
            let path = arg(1);
            let times = FrameSource::from_media_file(MediaFile::open(path).unwrap())
                .unwrap()
                .frame_times();
            let mut lat = Vec::new();
            let mut rng = 0x9E37_79B9u64;
            for _ in 0..20 {
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                let target = times[(rng % times.len() as u64) as usize];
                let mut file = MediaFile::open(path).unwrap();
                let track = file.video_track().unwrap().clone();
                let mut source = FrameSource::new(track.codec);
                for (i, s) in track.samples.iter().enumerate() {
                    source.append(StreamSample {
                        data: reel_types::Blob::from(file.read_sample(0, i).unwrap()),
                        pts: track.ticks_to_ns(s.pts),
                        is_keyframe: s.is_keyframe,
                    });
                }
                source.frame_at(times[0]).unwrap();
                let t = Instant::now();
                source.frame_at(target).unwrap().unwrap();
                lat.push(t.elapsed().as_secs_f64());
            }
            lat.sort_by(f64::total_cmp);
            emit(lat[lat.len() / 2], 0, lat.len());
        }
        other => {
            eprintln!("unknown workload {other:?}");
            std::process::exit(2);
        }
    }
}
