//! Shared helpers of the CLI tests: running `reel`, making media with
//! ffmpeg, and reading what ffprobe says about it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use serde_json::Value;

pub fn reel(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_reel"))
        .args(args)
        .output()
        .unwrap()
}

pub fn reel_ok(args: &[&str]) -> String {
    let o = reel(args);
    assert!(
        o.status.success(),
        "reel {args:?} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("reel-test-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn have(tool: &str) -> bool {
    Command::new(tool)
        .arg("-version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Whether ffmpeg/ffprobe are here; panics when the test script promised them.
pub fn ffmpeg_available() -> bool {
    let ok = have("ffmpeg") && have("ffprobe");
    if !ok {
        if std::env::var("REEL_REQUIRE_MEDIA_TOOLS").as_deref() == Ok("1") {
            panic!("ffmpeg/ffprobe are required (REEL_REQUIRE_MEDIA_TOOLS=1) but missing");
        }
        eprintln!("SKIPPED: ffmpeg/ffprobe not found; scripts/test.sh installs them");
    }
    ok
}

/// A test video made by ffmpeg: name, ffmpeg output arguments.
pub const GENERATED: &[(&str, &[&str])] = &[
    (
        "h264_bframes.mp4",
        &["-c:v", "libx264", "-pix_fmt", "yuv420p"],
    ),
    (
        "h264_no_bframes.mp4",
        &["-c:v", "libx264", "-bf", "0", "-pix_fmt", "yuv420p"],
    ),
    (
        "h264_baseline_gop10.mp4",
        &[
            "-c:v",
            "libx264",
            "-profile:v",
            "baseline",
            "-g",
            "10",
            "-pix_fmt",
            "yuv420p",
        ],
    ),
    (
        "h264_high10.mp4",
        &["-c:v", "libx264", "-pix_fmt", "yuv420p10le"],
    ),
    (
        "h265.mp4",
        &[
            "-c:v",
            "libx265",
            "-x265-params",
            "log-level=error",
            "-pix_fmt",
            "yuv420p",
        ],
    ),
    (
        "h265_10bit.mkv",
        &[
            "-c:v",
            "libx265",
            "-x265-params",
            "log-level=error",
            "-pix_fmt",
            "yuv420p10le",
        ],
    ),
    (
        "av1_aom.mp4",
        &[
            "-c:v",
            "libaom-av1",
            "-cpu-used",
            "8",
            "-pix_fmt",
            "yuv420p",
        ],
    ),
    (
        "av1_svt_10bit.mkv",
        &[
            "-c:v",
            "libsvtav1",
            "-pix_fmt",
            "yuv420p10le",
            "-svtav1-params",
            "verbosity=-1",
        ],
    ),
    (
        "vp9.mp4",
        &[
            "-c:v",
            "libvpx-vp9",
            "-b:v",
            "300k",
            "-deadline",
            "realtime",
            "-cpu-used",
            "8",
        ],
    ),
    (
        "vp9.webm",
        &[
            "-c:v",
            "libvpx-vp9",
            "-b:v",
            "300k",
            "-deadline",
            "realtime",
            "-cpu-used",
            "8",
        ],
    ),
    (
        "vp8.webm",
        &["-c:v", "libvpx", "-b:v", "300k", "-deadline", "realtime"],
    ),
    (
        "h264_fragmented.mp4",
        &[
            "-c:v",
            "libx264",
            "-g",
            "15",
            "-movflags",
            "frag_keyframe+empty_moov",
        ],
    ),
    ("h264.mov", &["-c:v", "libx264", "-pix_fmt", "yuv420p"]),
    ("h264.mkv", &["-c:v", "libx264", "-pix_fmt", "yuv420p"]),
    (
        "h264_faststart.mp4",
        &["-c:v", "libx264", "-movflags", "+faststart", "-g", "10"],
    ),
];

/// Generates every file of [`GENERATED`] once per test process (2 s, 320x240, 30 fps).
pub fn generated_media() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempdir("media");
        for (name, args) in GENERATED {
            ffmpeg_lavfi(
                &dir.join(name),
                "testsrc2=size=320x240:rate=30:duration=2",
                args,
            );
        }
        dir
    })
}

/// Third-party media shipped inside crates.io packages (fetched by scripts/test.sh).
pub fn third_party_media() -> Option<PathBuf> {
    let candidates: Vec<PathBuf> = match std::env::var("REEL_THIRD_PARTY_MEDIA") {
        Ok(p) => vec![PathBuf::from(p)],
        Err(_) => {
            let home = std::env::var("CARGO_HOME")
                .map(PathBuf::from)
                .or_else(|_| std::env::var("HOME").map(|h| PathBuf::from(h).join(".cargo")))
                .unwrap_or_default();
            std::fs::read_dir(home.join("registry/src"))
                .map(|d| d.flatten().map(|e| e.path()).collect())
                .unwrap_or_default()
        }
    };
    let found = candidates.into_iter().find(|p| {
        p.join("shiguredo_mp4-2026.5.0").is_dir()
            && p.join("matroska-demuxer-0.8.1").is_dir()
            && p.join("cros-codecs-0.0.6").is_dir()
    });
    if found.is_none() {
        if std::env::var("REEL_REQUIRE_MEDIA_TOOLS").as_deref() == Ok("1") {
            panic!(
                "third-party test media missing: scripts/test.sh fetches it (REEL_THIRD_PARTY_MEDIA)"
            );
        }
        eprintln!("SKIPPED: third-party media not fetched; scripts/test.sh fetches it");
    }
    found
}

/// One packet as ffprobe reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Packet {
    pub pts: Option<i64>,
    pub dts: Option<i64>,
    pub keyframe: bool,
    pub size: u64,
    pub hash: String,
}

/// The video packets of a file and the stream's time base (num, den).
pub fn ffprobe_packets(path: &Path) -> (Vec<Packet>, (i64, i64)) {
    let o = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-select_streams",
            "v:0",
            "-show_data_hash",
            "md5",
            "-show_entries",
        ])
        .arg("packet=pts,dts,flags,size,data_hash:stream=time_base")
        .args(["-of", "json"])
        .arg(path)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "ffprobe {}: {}",
        path.display(),
        String::from_utf8_lossy(&o.stderr)
    );
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let tb = v["streams"][0]["time_base"].as_str().unwrap_or("1/1000");
    let (n, d) = tb.split_once('/').unwrap();
    let packets = v["packets"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|p| Packet {
                    pts: p["pts"].as_i64(),
                    dts: p["dts"].as_i64(),
                    keyframe: p["flags"].as_str().unwrap_or("").starts_with('K'),
                    size: p["size"].as_str().and_then(|s| s.parse().ok()).unwrap_or(0),
                    hash: p["data_hash"].as_str().unwrap_or("").to_owned(),
                })
                .collect()
        })
        .unwrap_or_default();
    (packets, (n.parse().unwrap(), d.parse().unwrap()))
}

/// ffprobe's packet PTS of a file in ns, sorted.
pub fn ffprobe_pts_ns(path: &Path) -> Vec<i64> {
    let (packets, (num, den)) = ffprobe_packets(path);
    let mut v: Vec<i64> = packets
        .iter()
        .filter_map(|p| p.pts)
        .map(|t| {
            let x = i128::from(t) * i128::from(num) * 1_000_000_000;
            let d = i128::from(den);
            (if x >= 0 {
                (x + d / 2) / d
            } else {
                -((-x + d / 2) / d)
            }) as i64
        })
        .collect();
    v.sort_unstable();
    v
}

/// `ffmpeg -v error -i FILE -f null -`: what it prints (nothing when the file decodes cleanly).
pub fn ffmpeg_decode_errors(path: &Path) -> String {
    let o = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(path)
        .args(["-f", "null", "-"])
        .output()
        .unwrap();
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Whether `mediainfo` reads a video track in the file (skipped when mediainfo is missing).
pub fn mediainfo_sees_video(path: &Path) -> Option<bool> {
    let o = Command::new("mediainfo").arg(path).output().ok()?;
    Some(o.status.success() && String::from_utf8_lossy(&o.stdout).contains("\nVideo"))
}

/// `ffmpeg -f lavfi -i SOURCE ARGS OUT`: test media from a synthetic source.
pub fn ffmpeg_lavfi(out: &Path, source: &str, args: &[&str]) {
    let o = Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-f", "lavfi", "-i", source])
        .args(args)
        .arg(out)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "ffmpeg {}: {}",
        out.display(),
        String::from_utf8_lossy(&o.stderr)
    );
}

/// ffmpeg's decode of a file's first video track: raw frames of
/// `frame_bytes` in `pix_fmt`, in presentation order; `extra` goes before
/// the output options (e.g. `-sws_flags …`).
pub fn ffmpeg_raw_frames(
    path: &Path,
    pix_fmt: &str,
    frame_bytes: usize,
    extra: &[&str],
) -> Vec<Vec<u8>> {
    let o = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(path)
        .args(["-map", "0:v:0", "-fps_mode", "passthrough"])
        .args(extra)
        .args(["-pix_fmt", pix_fmt, "-f", "rawvideo", "-"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    o.stdout
        .chunks_exact(frame_bytes)
        .map(<[u8]>::to_vec)
        .collect()
}

/// An 8-bit RGB PNG file: width, height, pixels.
pub fn read_png_rgb(path: &Path) -> (u32, u32, Vec<u8>) {
    let mut reader = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()))
        .read_info()
        .unwrap();
    let mut rgb = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut rgb).unwrap();
    assert_eq!(info.color_type, png::ColorType::Rgb, "{}", path.display());
    rgb.truncate(info.buffer_size());
    (info.width, info.height, rgb)
}
