//! Containers benchmark, one run on one 60 s 1280x720 30 fps H.264 file with
//! B-frames (made once with ffmpeg and cached under target/):
//! - path → frame timestamps (`reel_video::read_frame_timestamps_nanos`),
//! - `reel import --as stream` MB/s, `reel export-mp4` MB/s,
//! - beside `ffmpeg -c copy` of the same file.
//!
//! Run: `cargo bench -p reel-cli --bench containers` (needs ffmpeg).
//! Each figure is the median of several runs; outputs are checked first.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

mod common;
use common::target_dir;

use reel_sdk::import::{ImportMode, import_video};
use reel_sdk::remux::{ExportOptions, export_mp4};
use reel_sdk::{EntityPath, RecordingStreamBuilder, Store};

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> (f64, T) {
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..runs {
        let t = Instant::now();
        last = Some(f());
        times.push(t.elapsed().as_secs_f64());
    }
    (median(times), last.expect("at least one run"))
}

fn ffprobe_packets(path: &Path) -> usize {
    let o = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-select_streams",
            "v:0",
            "-count_packets",
            "-show_entries",
            "stream=nb_read_packets",
            "-of",
            "csv=p=0",
        ])
        .arg(path)
        .output()
        .expect("ffprobe");
    String::from_utf8_lossy(&o.stdout)
        .trim()
        .parse()
        .unwrap_or(0)
}

fn main() {
    let media_dir = target_dir().join("bench-media");
    std::fs::create_dir_all(&media_dir).unwrap();
    let src = media_dir.join("h264_720p30_60s_bframes.mp4");
    if !src.exists() {
        eprintln!("making {} with ffmpeg (once)…", src.display());
        let ok = Command::new("ffmpeg")
            .args([
                "-v",
                "error",
                "-y",
                "-f",
                "lavfi",
                "-i",
                "testsrc2=size=1280x720:rate=30:duration=60",
            ])
            .args([
                "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p",
            ])
            .arg(&src)
            .status()
            .expect("ffmpeg is needed for this benchmark");
        assert!(ok.success());
    }
    let mb = std::fs::metadata(&src).unwrap().len() as f64 / 1e6;
    let packets = ffprobe_packets(&src);
    let work = std::env::temp_dir().join(format!("reel-bench-containers-{}", std::process::id()));
    std::fs::create_dir_all(&work).unwrap();
    println!(
        "Input: {} ({mb:.1} MB, {packets} frames, H.264 High with B-frames)",
        src.display()
    );
    println!("{:<44} {:>10} {:>10}", "workload", "median", "MB/s");

    // 1. Frame timestamps from a path: only the index is read.
    let (secs, ts) = time(21, || {
        reel_video::read_frame_timestamps_nanos(&src).unwrap()
    });
    assert_eq!(ts.len(), packets, "timestamps must cover every frame");
    println!(
        "{:<44} {:>8.3}ms {:>10}",
        "frame timestamps (read_frame_timestamps_nanos)",
        secs * 1e3,
        "-"
    );

    // 2. Import as stream (in-process, includes writing and closing the .reel).
    let rec_path = work.join("imported.reel");
    let entity = EntityPath::parse("video").unwrap();
    let (secs, report) = time(3, || {
        let rec = RecordingStreamBuilder::new("bench")
            .save(&rec_path)
            .unwrap();
        let r = import_video(&rec, &src, &entity, ImportMode::Stream, &mut |_, _| {}).unwrap();
        drop(rec);
        r
    });
    assert_eq!(report.frames, packets);
    println!(
        "{:<44} {:>8.1}ms {:>10.0}",
        "reel import --as stream (SDK)",
        secs * 1e3,
        mb / secs
    );

    // 3. Export to MP4 (in-process: load the recording, remux, write).
    let out = work.join("exported.mp4");
    let (secs, _) = time(3, || {
        let (store, _) = Store::load(&rec_path).unwrap();
        export_mp4(&store, &entity, &out, &ExportOptions::default()).unwrap()
    });
    assert_eq!(ffprobe_packets(&out), packets, "exported packets");
    println!(
        "{:<44} {:>8.1}ms {:>10.0}",
        "reel export-mp4 (SDK)",
        secs * 1e3,
        mb / secs
    );

    // The same through the `reel` binary, if built, to compare process to process.
    let reel_bin = target_dir().join("release/reel");
    if reel_bin.exists() {
        let rec2 = work.join("cli.reel");
        let (secs, _) = time(3, || {
            let s = Command::new(&reel_bin)
                .arg("import")
                .arg(&src)
                .arg("-o")
                .arg(&rec2)
                .output()
                .unwrap();
            assert!(s.status.success());
        });
        println!(
            "{:<44} {:>8.1}ms {:>10.0}",
            "reel import --as stream (process)",
            secs * 1e3,
            mb / secs
        );
        let out2 = work.join("cli.mp4");
        let (secs, _) = time(3, || {
            let s = Command::new(&reel_bin)
                .arg("export-mp4")
                .arg(&rec2)
                .args(["-e", "/video", "-o"])
                .arg(&out2)
                .output()
                .unwrap();
            assert!(s.status.success());
        });
        assert_eq!(ffprobe_packets(&out2), packets);
        println!(
            "{:<44} {:>8.1}ms {:>10.0}",
            "reel export-mp4 (process)",
            secs * 1e3,
            mb / secs
        );
    }

    // 4. ffmpeg's stream copy of the same file.
    let ff_out = work.join("ffmpeg_copy.mp4");
    let (secs, _) = time(3, || {
        let s = Command::new("ffmpeg")
            .args(["-v", "error", "-y", "-i"])
            .arg(&src)
            .args(["-c", "copy"])
            .arg(&ff_out)
            .status()
            .unwrap();
        assert!(s.success());
    });
    assert_eq!(ffprobe_packets(&ff_out), packets);
    println!(
        "{:<44} {:>8.1}ms {:>10.0}",
        "ffmpeg -c copy (process)",
        secs * 1e3,
        mb / secs
    );
    let _ = std::fs::remove_dir_all(&work);
}
