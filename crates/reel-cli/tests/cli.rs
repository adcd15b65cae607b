//! The `reel` binary end to end: demo, info, print, and its errors.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn reel(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_reel"))
        .args(args)
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("reel-cli-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn demo(dir: &Path, frames: u32) -> PathBuf {
    let out = dir.join("demo.reel");
    let o = reel(&[
        "demo",
        "--out",
        out.to_str().unwrap(),
        "--frames",
        &frames.to_string(),
        "--no-view",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("cargo run --release -- view"),
        "the demo says how to open the viewer"
    );
    assert!(
        stdout(&o).contains("cargo run --release -- info"),
        "the demo says how to look at it, with a command that works without `reel` on PATH"
    );
    out
}

#[test]
fn demo_then_info_json_lists_every_form() {
    let dir = tempdir("info");
    let file = demo(&dir, 12);
    let o = reel(&["info", file.to_str().unwrap(), "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let info: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(info["closed_cleanly"], true);
    assert_eq!(info["format_version"], "1.0");
    assert_eq!(info["skipped"].as_array().unwrap().len(), 0);
    let entities = info["entities"].as_array().unwrap();
    let find = |p: &str| {
        entities
            .iter()
            .find(|e| e["path"] == p)
            .unwrap_or_else(|| panic!("{p} missing"))
    };
    let raw = find("/camera/raw");
    assert_eq!(raw["archetypes"], serde_json::json!(["Image"]));
    assert_eq!(raw["rows"], 12);
    let timelines: Vec<&str> = raw["timelines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(timelines, ["frame", "time"]);
    assert_eq!(raw["timelines"][0]["max"], 11);
    // Pixel bytes plus the column's offsets.
    let bytes = raw["components"]["Image:buffer"]["bytes"].as_u64().unwrap();
    assert!(
        (12 * 320 * 240 * 3..12 * 320 * 240 * 3 + 1024).contains(&bytes),
        "{bytes}"
    );
    assert_eq!(
        find("/camera/png")["archetypes"],
        serde_json::json!(["EncodedImage"])
    );
    // The AV1 encoder logs from a thread of its own: every frame, at the
    // camera's times on both timelines.
    for stream in ["/camera/h264", "/camera/av1"] {
        let e = find(stream);
        assert_eq!(e["video"]["samples"], 12, "{stream}");
        assert_eq!(e["timelines"], raw["timelines"], "{stream}");
    }
    let asset = find("/video/asset");
    assert_eq!(asset["static_rows"], 1);
    assert_eq!(
        asset["archetypes"],
        serde_json::json!(["AssetVideo", "VideoFrameReference"])
    );
    // One reference per frame of the 2 s, 30 fps fixture, on the camera's timelines.
    assert_eq!(
        asset["components"]["VideoFrameReference:timestamp_ns"]["rows"],
        60
    );
    assert_eq!(asset["timelines"][1]["name"], "time");
    assert_eq!(asset["timelines"][1]["max"], 1_966_666_667);

    let text = reel(&["info", file.to_str().unwrap()]);
    assert!(text.status.success());
    let text = stdout(&text);
    assert!(
        text.contains("closed cleanly") && text.contains("timeline frame (sequence): #0 .. #11"),
        "{text}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn demo_png_frames_decode_to_the_raw_frames() {
    use reel_store::Store;
    use reel_types::{EncodedImage, EntityPath, Image};
    let dir = tempdir("png");
    let file = demo(&dir, 5);
    let (store, _) = Store::load(&file).unwrap();
    let raw = store.range(&EntityPath::parse("camera/raw").unwrap(), "frame", 0, 100);
    let png = store.range(&EntityPath::parse("camera/png").unwrap(), "frame", 0, 100);
    assert_eq!(raw.len(), 5);
    assert_eq!(png.len(), 5);
    for (r, p) in raw.iter().zip(&png) {
        let image: Image = r.get().unwrap().unwrap();
        let encoded: EncodedImage = p.get().unwrap().unwrap();
        // Decoded by the `png` crate's decoder: lossless means bit-exact.
        let mut decoder = png::Decoder::new(std::io::Cursor::new(encoded.blob().to_vec()))
            .read_info()
            .unwrap();
        let mut buf = vec![0; decoder.output_buffer_size().unwrap()];
        let frame = decoder.next_frame(&mut buf).unwrap();
        assert_eq!((frame.width, frame.height), (320, 240));
        assert_eq!(&buf[..frame.buffer_size()], image.buffer().as_slice());
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn info_reports_a_cut_recording_and_keeps_the_rest() {
    let dir = tempdir("cut");
    let file = demo(&dir, 30);
    let bytes = std::fs::read(&file).unwrap();
    let cut = dir.join("cut.reel");
    std::fs::write(&cut, &bytes[..bytes.len() * 2 / 3]).unwrap();
    let o = reel(&["info", cut.to_str().unwrap(), "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let info: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(info["closed_cleanly"], false);
    let skipped = info["skipped"].as_array().unwrap();
    assert_eq!(skipped.len(), 1);
    assert!(
        skipped[0]["reason"].as_str().unwrap().contains("cut short"),
        "{skipped:?}"
    );
    assert!(info["rows"].as_u64().unwrap() > 10);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn print_lists_rows_and_names_unknown_entities() {
    let dir = tempdir("print");
    let file = demo(&dir, 4);
    let o = reel(&[
        "print",
        file.to_str().unwrap(),
        "--entity",
        "/camera/raw",
        "--limit",
        "2",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("/camera/raw: 4 rows"), "{out}");
    assert!(out.contains("Image 320x240 RGB8 (230400 B)"), "{out}");
    assert!(out.contains("frame=#1"), "{out}");
    assert!(out.contains("2 more"), "{out}");

    let o = reel(&["print", file.to_str().unwrap(), "--entity", "/nope"]);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(
        err.contains("no entity /nope") && err.contains("/camera/raw"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_files_get_clear_errors() {
    let dir = tempdir("bad");
    let not_reel = dir.join("notes.txt");
    std::fs::write(&not_reel, "hello, not a recording").unwrap();
    let o = reel(&["info", not_reel.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains("notes.txt") && err.contains("not a reel recording"),
        "{err}"
    );
    // An empty file is called empty, in every command that reads one.
    let empty = dir.join("empty.mp4");
    std::fs::write(&empty, b"").unwrap();
    let e = empty.to_str().unwrap();
    for (args, what) in [
        (vec!["info", e], "not a reel recording (it is empty;"),
        (vec!["print", e], "not a reel recording (it is empty;"),
        (
            vec!["video-info", e],
            "not a video file reel can read (it is empty)",
        ),
        (
            vec!["frame", e, "--at", "1s", "-o", "f.png"],
            "(it is empty)",
        ),
    ] {
        let o = reel(&args);
        assert_eq!(o.status.code(), Some(1), "{args:?}");
        let err = stderr(&o);
        assert!(err.contains(e) && err.contains(what), "{args:?}: {err}");
    }
    let o = reel(&["video-info", not_reel.to_str().unwrap()]);
    assert!(
        stderr(&o).contains("(it starts with 68 65 6c 6c 6f 2c 20 6e); reel reads MP4"),
        "{}",
        stderr(&o)
    );
    let o = reel(&["info", "/nonexistent/file.reel"]);
    assert!(stderr(&o).contains("/nonexistent/file.reel"));
    let o = reel(&["print", "/nonexistent/file.reel"]);
    assert!(!o.status.success());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn help_reads_like_a_cli() {
    let o = reel(&["--help"]);
    let out = stdout(&o);
    for cmd in ["info", "print", "demo"] {
        assert!(out.contains(cmd), "{out}");
    }
    let o = reel(&[]);
    assert!(!o.status.success(), "no subcommand prints help and fails");
}

#[test]
fn transcode_turns_images_into_a_stream_and_copies_the_rest() {
    let dir = tempdir("transcode");
    let file = demo(&dir, 20);
    let out = dir.join("t.reel");
    let o = reel(&[
        "transcode",
        file.to_str().unwrap(),
        "--entity",
        "/camera/png",
        "--codec",
        "h264",
        "--keyframe-interval",
        "10",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let before: Value =
        serde_json::from_slice(&reel(&["info", file.to_str().unwrap(), "--json"]).stdout).unwrap();
    let after: Value =
        serde_json::from_slice(&reel(&["info", out.to_str().unwrap(), "--json"]).stdout).unwrap();
    let find = |v: &Value, p: &str| {
        v["entities"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["path"] == p)
            .cloned()
            .unwrap()
    };
    // The transcoded entity: a stream on the same timelines, one sample per image.
    let png = find(&after, "/camera/png");
    assert_eq!(png["archetypes"], serde_json::json!(["VideoStream"]));
    assert_eq!(png["video"]["samples"], 20);
    assert_eq!(png["video"]["keyframes"], 2);
    assert_eq!(png["timelines"], find(&before, "/camera/png")["timelines"]);
    // Everything else unchanged.
    for e in [
        "/camera/raw",
        "/camera/jpeg",
        "/camera/h264",
        "/video/asset",
    ] {
        assert_eq!(find(&after, e), find(&before, e), "{e}");
    }
    // A stream cannot be transcoded without a decoder: a clear error.
    let o = reel(&[
        "transcode",
        file.to_str().unwrap(),
        "-e",
        "/camera/h264",
        "-o",
        dir.join("x.reel").to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("Image or EncodedImage"),
        "{}",
        stderr(&o)
    );
    let _ = std::fs::remove_dir_all(&dir);
}
