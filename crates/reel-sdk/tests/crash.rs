//! A logging process killed with SIGKILL leaves a readable recording:
//! every chunk that reached the file is read back intact.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use reel_sdk::{
    BatcherConfig, EntityPath, Image, RecordingStreamBuilder, Store, VideoCodec, VideoStream,
};

const CHILD_ENV: &str = "REEL_CRASH_TEST_CHILD";
const W: u32 = 64;
const H: u32 = 48;

fn frame_pixels(frame: i64) -> Vec<u8> {
    (0..W * H * 3)
        .map(|i| (i as i64 * 3 + frame * 7) as u8)
        .collect()
}

/// Runs in the child: logs frames forever, small chunks, until killed.
fn child(path: &str) {
    let rec = RecordingStreamBuilder::new("crash")
        .batcher_config(BatcherConfig {
            max_rows: 4,
            ..BatcherConfig::default()
        })
        .save(path)
        .unwrap();
    // A static row first, then rows that never pause: the static row must
    // still reach the file within the batcher's max_age.
    rec.log_static("video", &VideoStream::new(VideoCodec::H264))
        .unwrap();
    for frame in 0.. {
        rec.set_time_sequence("frame", frame);
        rec.log(
            "cam",
            &Image::from_rgb8(frame_pixels(frame), [W, H]).unwrap(),
        )
        .unwrap();
    }
}

#[test]
fn sigkill_while_logging_keeps_every_written_chunk() {
    if let Ok(path) = std::env::var(CHILD_ENV) {
        child(&path);
        return;
    }
    let path = std::env::temp_dir().join(format!("reel-crash-{}.reel", std::process::id()));
    let mut proc = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "sigkill_while_logging_keeps_every_written_chunk",
            "--nocapture",
        ])
        .env(CHILD_ENV, &path)
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let deadline = started + Duration::from_secs(60);
    // Well past the batcher's max_age (100 ms) of the static row.
    while std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0) < 2_000_000
        || started.elapsed() < Duration::from_millis(600)
    {
        assert!(Instant::now() < deadline, "child wrote too little");
        assert!(proc.try_wait().unwrap().is_none(), "child exited early");
        std::thread::sleep(Duration::from_millis(5));
    }
    proc.kill().unwrap(); // SIGKILL: no destructors, no footer
    proc.wait().unwrap();

    let (store, report) = Store::load(&path).unwrap();
    assert!(!report.clean_close);
    assert!(report.index.is_none());
    assert!(report.skipped.is_empty(), "{report:?}");
    let video = EntityPath::parse("video").unwrap();
    assert_eq!(
        store.static_rows(&video).len(),
        1,
        "the static row was lost"
    );
    let cam = EntityPath::parse("cam").unwrap();
    let rows = store.range(&cam, "frame", i64::MIN, i64::MAX);
    assert!(rows.len() >= 20, "only {} rows", rows.len());
    // Frames come back gapless from 0, each with its exact pixels.
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(row.time.unwrap().value, i as i64);
        let image: Image = row.get().unwrap().unwrap();
        assert_eq!(image.buffer().as_slice(), frame_pixels(i as i64).as_slice());
    }
    // Whatever was not read is at most the frame being written when killed.
    let file_len = std::fs::metadata(&path).unwrap().len();
    let chunk_frame = 4 * u64::from(W * H * 3) + 4096;
    assert!(file_len - report.end_offset <= chunk_frame, "{report:?}");
    let _ = std::fs::remove_file(&path);
}
