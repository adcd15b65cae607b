//! Crafted and awkward inputs, each built here from a real file: a clear
//! error or a correct result, within 2 s and 200 MB (the child's peak
//! resident memory, measured by the kernel through Python's `getrusage`).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

/// Runs `reel ARGS` and returns (exit code, what it printed, seconds, peak RSS in MB).
fn measured(args: &[&str]) -> (i32, String, f64, f64) {
    let script = r#"
import resource, subprocess, sys, time, json
t = time.monotonic()
p = subprocess.run(sys.argv[1:], capture_output=True)
dt = time.monotonic() - t
mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
out = (p.stdout + p.stderr).decode("utf-8", "replace")
print(json.dumps({"code": p.returncode, "stderr": out, "s": dt, "mb": mb}))
"#;
    let o = Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(env!("CARGO_BIN_EXE_reel"))
        .args(args)
        .output()
        .expect("python3 runs the measurement");
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!("{e}: {}", String::from_utf8_lossy(&o.stderr));
    });
    (
        v["code"].as_i64().unwrap() as i32,
        v["stderr"].as_str().unwrap().to_owned(),
        v["s"].as_f64().unwrap(),
        v["mb"].as_f64().unwrap(),
    )
}

/// A crafted input: no crash, bounded time and memory; returns exit code and stderr.
fn bounded(what: &str, args: &[&str]) -> (i32, String) {
    let (code, stderr, s, mb) = measured(args);
    assert!(
        code == 0 || code == 1,
        "{what}: reel {args:?} crashed (exit {code}): {stderr}"
    );
    assert!(!stderr.contains("panicked"), "{what}: {stderr}");
    assert!(s < 2.0, "{what}: reel {args:?} took {s:.2} s");
    assert!(mb < 200.0, "{what}: reel {args:?} peaked at {mb:.0} MB");
    eprintln!(
        "{what}: reel {} → exit {code}, {s:.2} s, {mb:.0} MB",
        args[0]
    );
    (code, stderr)
}

/// An MP4 box: type and either raw payload or children.
enum Mp4Box {
    Leaf([u8; 4], Vec<u8>),
    Node([u8; 4], Vec<Mp4Box>),
}

const CONTAINERS: &[&[u8; 4]] = &[
    b"moov", b"trak", b"mdia", b"minf", b"stbl", b"moof", b"traf",
];

fn parse_boxes(mut data: &[u8]) -> Vec<Mp4Box> {
    let mut out = Vec::new();
    while data.len() >= 8 {
        let size = u32::from_be_bytes(data[..4].try_into().unwrap()) as usize;
        let kind: [u8; 4] = data[4..8].try_into().unwrap();
        let body = &data[8..size];
        out.push(if CONTAINERS.contains(&&kind) {
            Mp4Box::Node(kind, parse_boxes(body))
        } else {
            Mp4Box::Leaf(kind, body.to_vec())
        });
        data = &data[size..];
    }
    out
}

fn write_boxes(boxes: &[Mp4Box]) -> Vec<u8> {
    let mut out = Vec::new();
    for b in boxes {
        let (kind, body) = match b {
            Mp4Box::Leaf(k, p) => (k, p.clone()),
            Mp4Box::Node(k, c) => (k, write_boxes(c)),
        };
        out.extend_from_slice(&(body.len() as u32 + 8).to_be_bytes());
        out.extend_from_slice(kind);
        out.extend_from_slice(&body);
    }
    out
}

/// Replaces the payload of every leaf box of `kind` (depth first).
fn replace(boxes: &mut [Mp4Box], kind: &[u8; 4], payload: &dyn Fn(&[u8]) -> Vec<u8>) {
    for b in boxes {
        match b {
            Mp4Box::Leaf(k, p) if k == kind => *p = payload(p),
            Mp4Box::Node(_, c) => replace(c, kind, payload),
            _ => {}
        }
    }
}

fn be(words: &[u32]) -> Vec<u8> {
    words.iter().flat_map(|w| w.to_be_bytes()).collect()
}

fn ffmpeg_make(dir: &Path, name: &str, args: &[&str]) -> PathBuf {
    let out = dir.join(name);
    ffmpeg_lavfi(&out, "testsrc2=size=160x120:rate=30:duration=2", args);
    out
}

#[test]
fn a_compact_sample_table_declaring_billions_of_samples_is_bounded() {
    if !ffmpeg_available() {
        return;
    }
    let dir = tempdir("crafted-stbl");
    // mdat before moov, so rewriting moov moves no sample.
    let src = ffmpeg_make(&dir, "src.mp4", &["-c:v", "libx264", "-bf", "0"]);
    let mut boxes = parse_boxes(&std::fs::read(&src).unwrap());
    let n = (1u32 << 31) - 1;
    replace(&mut boxes, b"stts", &|_| be(&[0, 1, n, 512]));
    replace(&mut boxes, b"stsz", &|_| be(&[0, 100, n]));
    replace(&mut boxes, b"stsc", &|_| be(&[0, 1, 1, n, 1]));
    replace(&mut boxes, b"stss", &|_| be(&[0, 0]));
    let crafted = dir.join("billions.mp4");
    std::fs::write(&crafted, write_boxes(&boxes)).unwrap();
    let path = crafted.to_str().unwrap();
    let (code, stderr) = bounded("2^31-1 samples: video-info", &["video-info", path]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("more than a"),
        "says the table was cut: {stderr}"
    );
    let rec = dir.join("out.reel");
    bounded(
        "2^31-1 samples: import",
        &["import", path, "-o", rec.to_str().unwrap()],
    );
    bounded(
        "2^31-1 samples: frame",
        &[
            "frame",
            path,
            "--at",
            "1s",
            "-o",
            dir.join("f.png").to_str().unwrap(),
        ],
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn fragments_declaring_millions_of_samples_are_bounded() {
    if !ffmpeg_available() {
        return;
    }
    let dir = tempdir("crafted-trun");
    let src = ffmpeg_make(
        &dir,
        "src.mp4",
        &[
            "-c:v",
            "libx264",
            "-g",
            "6",
            "-movflags",
            "frag_keyframe+empty_moov",
        ],
    );
    let mut boxes = parse_boxes(&std::fs::read(&src).unwrap());
    // Ten million samples per trun, no per-sample fields: four bytes of box.
    replace(&mut boxes, b"trun", &|p| {
        let mut v = be(&[1, 10_000_000]);
        v.extend_from_slice(&p[8..12]); // keep the data offset
        v
    });
    let crafted = dir.join("trun.mp4");
    std::fs::write(&crafted, write_boxes(&boxes)).unwrap();
    let (_, stderr) = bounded(
        "10M samples per trun",
        &["video-info", crafted.to_str().unwrap()],
    );
    assert!(stderr.contains("declares"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_box_size_near_u64_max_does_not_loop() {
    let dir = tempdir("crafted-box");
    let mut bytes = vec![0, 0, 0, 1];
    bytes.extend_from_slice(b"ftyp");
    bytes.extend_from_slice(&(u64::MAX - 7).to_be_bytes());
    bytes.extend_from_slice(b"isom\0\0\0\0");
    let path = dir.join("huge-box.mp4");
    std::fs::write(&path, &bytes).unwrap();
    let (code, stderr) = bounded(
        "64-bit box size 2^64-8",
        &["video-info", path.to_str().unwrap()],
    );
    assert_eq!(code, 1);
    assert!(stderr.contains("huge-box.mp4"), "names the file: {stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_recording_followed_by_a_gib_of_zeros_is_read_at_disk_speed() {
    if !ffmpeg_available() {
        return;
    }
    let dir = tempdir("crafted-zeros");
    let src = ffmpeg_make(&dir, "src.mp4", &["-c:v", "libx264"]);
    let rec = dir.join("padded.reel");
    reel_ok(&["import", src.to_str().unwrap(), "-o", rec.to_str().unwrap()]);
    let rows = reel_ok(&["info", rec.to_str().unwrap()]);
    // A sparse GiB of zeros after the recording (as a pre-allocated file leaves).
    let f = std::fs::OpenOptions::new().write(true).open(&rec).unwrap();
    f.set_len(f.metadata().unwrap().len() + (1 << 30)).unwrap();
    drop(f);
    // Read once (`cat`), so the timing is reel's scan, not the kernel's
    // first fill of the page cache with the file's zeros.
    let o = Command::new("sh")
        .args(["-c", "cat \"$0\" > /dev/null"])
        .arg(&rec)
        .status()
        .unwrap();
    assert!(o.success());
    let (code, stderr) = bounded("1 GiB of zeros", &["info", rec.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    let after = reel_ok(&["info", rec.to_str().unwrap()]);
    let frames = |s: &str| {
        s.lines()
            .find(|l| l.contains("VideoStream"))
            .map(str::to_owned)
    };
    assert_eq!(
        frames(&after),
        frames(&rows),
        "the same rows before and after the zeros"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Frame count and keyframe count of a file by ffprobe.
fn ffprobe_counts(path: &Path) -> (usize, usize) {
    let (packets, _) = ffprobe_packets(path);
    (packets.len(), packets.iter().filter(|p| p.keyframe).count())
}

fn video_info_json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&reel_ok(&["video-info", "--json", path.to_str().unwrap()])).unwrap()
}

#[test]
fn matroska_block_groups_list_every_frame_and_keyframe() {
    if !ffmpeg_available() || Command::new("mkvmerge").arg("--version").output().is_err() {
        if std::env::var("REEL_REQUIRE_MEDIA_TOOLS").as_deref() == Ok("1") {
            panic!("mkvmerge is required (scripts/test.sh installs mkvtoolnix)");
        }
        return;
    }
    let dir = tempdir("crafted-blockgroups");
    let src = ffmpeg_make(&dir, "src.mkv", &["-c:v", "libx264", "-g", "15"]);
    let groups = dir.join("groups.mkv");
    let o = Command::new("mkvmerge")
        .args(["-q", "--engage", "no_simpleblocks", "-o"])
        .arg(&groups)
        .arg(&src)
        .output()
        .unwrap();
    assert!(
        o.status.code().is_some_and(|c| c <= 1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let (frames, keys) = ffprobe_counts(&groups);
    let v = video_info_json(&groups);
    let track = &v["tracks"][0];
    assert_eq!(track["frames"].as_u64(), Some(frames as u64), "{v}");
    assert_eq!(track["keyframes"].as_u64(), Some(keys as u64), "{v}");
    assert!(
        track["codec_string"].as_str().unwrap().starts_with("avc1."),
        "{v}"
    );
    assert_timestamps_equal(&groups);
    let _ = std::fs::remove_dir_all(&dir);
}

fn assert_timestamps_equal(path: &Path) {
    let ours: Vec<i64> = reel_ok(&["video-info", "--timestamps", path.to_str().unwrap()])
        .lines()
        .map(|l| l.parse().unwrap())
        .collect();
    assert_eq!(ours, ffprobe_pts_ns(path), "{}", path.display());
}

#[test]
fn a_damaged_block_costs_its_cluster_not_the_file() {
    if !ffmpeg_available() {
        return;
    }
    let dir = tempdir("crafted-mkvdamage");
    let src = ffmpeg_make(
        &dir,
        "src.webm",
        &[
            "-c:v",
            "libvpx-vp9",
            "-deadline",
            "realtime",
            "-cpu-used",
            "8",
            "-g",
            "15",
            "-cluster_time_limit",
            "500",
        ],
    );
    let mut bytes = std::fs::read(&src).unwrap();
    // The first block's size becomes absurd (an 8-byte size near 2^56):
    // its header no longer says where the next element starts.
    let cluster = bytes
        .windows(4)
        .position(|w| w == [0x1F, 0x43, 0xB6, 0x75])
        .unwrap();
    // Past the cluster's ID, size and Timestamp element (E7, 1-byte size).
    let size_len = bytes[cluster + 4].leading_zeros() as usize + 1;
    let timestamp = cluster + 4 + size_len;
    assert_eq!(bytes[timestamp], 0xE7);
    let block = timestamp + 2 + usize::from(bytes[timestamp + 1] & 0x7F);
    assert_eq!(bytes[block], 0xA3, "a SimpleBlock follows");
    bytes[block + 1..block + 9].copy_from_slice(&[0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE]);
    let damaged = dir.join("damaged.webm");
    std::fs::write(&damaged, &bytes).unwrap();
    let (ffprobe_frames, _) = ffprobe_counts(&damaged);
    let rec = dir.join("damaged.reel");
    let (code, stderr) = bounded(
        "damaged block",
        &[
            "import",
            damaged.to_str().unwrap(),
            "-o",
            rec.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("damaged"),
        "warns about the damage: {stderr}"
    );
    let v = video_info_json(&damaged);
    let ours = v["tracks"][0]["frames"].as_u64().unwrap() as usize;
    assert!(
        ours >= ffprobe_frames.min(60) / 2 && ours > 0,
        "reel keeps {ours} frames, ffprobe {ffprobe_frames}"
    );
    eprintln!("damaged first cluster: reel keeps {ours} of 60 frames, ffprobe {ffprobe_frames}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_nul_padded_codec_id_is_read() {
    if !ffmpeg_available() {
        return;
    }
    let dir = tempdir("crafted-codecid");
    let src = ffmpeg_make(
        &dir,
        "src.webm",
        &["-c:v", "libvpx", "-deadline", "realtime"],
    );
    let mut bytes = std::fs::read(&src).unwrap();
    // CodecID "V_VP8" (0x86, size 5) becomes "V_VP8\0" (size 6); the byte
    // comes from the same track entry's 1-byte FlagLacing (0x9C 0x81 0x00),
    // made zero-length (0x9C 0x80, the default value): both legal EBML, and
    // no parent size changes.
    let id = bytes
        .windows(7)
        .position(|w| w == b"\x86\x85V_VP8")
        .expect("CodecID");
    let lacing = bytes
        .windows(3)
        .position(|w| w == [0x9C, 0x81, 0x00])
        .expect("FlagLacing");
    let pad_codec_id = |bytes: &mut Vec<u8>| {
        bytes.splice(id..id + 7, b"\x86\x86V_VP8\0".iter().copied());
    };
    let shorten_lacing = |bytes: &mut Vec<u8>| {
        bytes.remove(lacing + 2);
        bytes[lacing + 1] = 0x80;
    };
    // The later edit first, so the earlier offset still holds.
    if lacing > id {
        shorten_lacing(&mut bytes);
        pad_codec_id(&mut bytes);
    } else {
        pad_codec_id(&mut bytes);
        shorten_lacing(&mut bytes);
    }
    let padded = dir.join("padded.webm");
    std::fs::write(&padded, &bytes).unwrap();
    let v = video_info_json(&padded);
    assert_eq!(v["tracks"][0]["codec"].as_str(), Some("VP8"), "{v}");
    assert_eq!(
        v["tracks"][0]["container_codec"].as_str(),
        Some("V_VP8"),
        "{v}"
    );
    assert_timestamps_equal(&padded);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_failed_import_leaves_the_output_as_it_was_and_never_overwrites_its_input() {
    if !ffmpeg_available() {
        return;
    }
    let dir = tempdir("dataloss");
    let src = ffmpeg_make(&dir, "src.mp4", &["-c:v", "libx264"]);
    let rec = dir.join("kept.reel");
    reel_ok(&["import", src.to_str().unwrap(), "-o", rec.to_str().unwrap()]);
    let before = std::fs::read(&rec).unwrap();
    // A failed import (not a video) leaves the existing recording untouched.
    let junk = dir.join("junk.mp4");
    std::fs::write(&junk, b"not a video at all").unwrap();
    let o = reel(&[
        "import",
        junk.to_str().unwrap(),
        "-o",
        rec.to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    assert!(
        std::fs::read(&rec).unwrap() == before,
        "the recording was changed by a failed import"
    );
    // An import with zero usable frames fails and writes nothing.
    let empty = dir.join("empty.reel");
    let mut boxes = parse_boxes(&std::fs::read(&src).unwrap());
    replace(&mut boxes, b"stsz", &|_| be(&[0, 0, 0]));
    replace(&mut boxes, b"stts", &|_| be(&[0, 0]));
    let no_frames = dir.join("no-frames.mp4");
    std::fs::write(&no_frames, write_boxes(&boxes)).unwrap();
    let o = reel(&[
        "import",
        no_frames.to_str().unwrap(),
        "-o",
        empty.to_str().unwrap(),
    ]);
    assert!(!o.status.success(), "zero frames is a failure");
    assert!(!empty.exists(), "no empty recording left behind");
    // OUT == IN is refused before anything is written.
    let copy = dir.join("same.mp4");
    std::fs::copy(&src, &copy).unwrap();
    let original = std::fs::read(&copy).unwrap();
    let o = reel(&[
        "import",
        copy.to_str().unwrap(),
        "-o",
        copy.to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("also the input"));
    assert!(
        std::fs::read(&copy).unwrap() == original,
        "the input was overwritten"
    );
    let o = reel(&[
        "transcode",
        rec.to_str().unwrap(),
        "--entity",
        "/video",
        "-o",
        rec.to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    assert!(std::fs::read(&rec).unwrap() == before);
    // Export arguments that select nothing are refused, and write nothing.
    let mp4 = dir.join("out.mp4");
    for args in [
        ["--from", "2s", "--to", "1s"],
        ["--fps", "inf", "--to", "9s"],
        ["--fps", "1e-10", "--to", "9s"],
    ] {
        let mut all = vec![
            "export-mp4",
            rec.to_str().unwrap(),
            "--entity",
            "/video",
            "-o",
            mp4.to_str().unwrap(),
        ];
        all.extend(args);
        let o = reel(&all);
        assert!(!o.status.success(), "{args:?} accepted");
        assert!(!mp4.exists(), "{args:?} wrote a file");
    }
    // No temporary files left beside the outputs.
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains(".partial-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_closed_pipe_ends_quietly_and_a_full_disk_is_an_error() {
    if !ffmpeg_available() {
        return;
    }
    let dir = tempdir("pipes");
    let src = ffmpeg_make(&dir, "src.mp4", &["-c:v", "libx264"]);
    let rec = dir.join("r.reel");
    reel_ok(&["import", src.to_str().unwrap(), "-o", rec.to_str().unwrap()]);
    let bin = env!("CARGO_BIN_EXE_reel");
    for cmd in [
        format!("'{bin}' print '{}' -n 1000 | head -c 10", rec.display()),
        format!(
            "'{bin}' video-info --timestamps '{}' | head -n 1",
            src.display()
        ),
    ] {
        let o = Command::new("bash")
            .args([
                "-c",
                &format!("set -o pipefail; {cmd} >/dev/null; echo ${{PIPESTATUS[0]}}"),
            ])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(!stderr.contains("panicked"), "{cmd}: {stderr}");
        assert_eq!(
            String::from_utf8_lossy(&o.stdout).trim(),
            "0",
            "{cmd}: {stderr}"
        );
    }
    let o = Command::new("bash")
        .args([
            "-c",
            &format!("'{bin}' info '{}' > /dev/full", rec.display()),
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("standard output") && !stderr.contains("panicked"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
