//! The viewer window under Xvfb (Mesa's software OpenGL): `reel view
//! --screenshot` opens files, waits until every view shows its picture,
//! saves the window and prints where each picture is. The pixels there must
//! have the colour of the frame at the cursor's time: the media are solid
//! red for 0–1 s, blue for 1–2 s, green for 2–3 s, so a frame from the
//! wrong time cannot pass.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use serde_json::Value;

const RED: [u8; 3] = [255, 0, 0];
const BLUE: [u8; 3] = [0, 0, 255];
const GREEN: [u8; 3] = [0, 128, 0];

/// Whether `xvfb-run` is here; panics when the test script promised it.
fn xvfb() -> bool {
    let ok = Command::new("xvfb-run")
        .arg("--help")
        .output()
        .is_ok_and(|o| o.status.success() || !o.stdout.is_empty() || !o.stderr.is_empty());
    if !ok {
        if std::env::var("REEL_REQUIRE_MEDIA_TOOLS").as_deref() == Ok("1") {
            panic!("xvfb-run is required (REEL_REQUIRE_MEDIA_TOOLS=1) but missing");
        }
        eprintln!("SKIPPED: xvfb-run not found; scripts/test.sh installs xvfb");
    }
    ok
}

/// What `reel view --screenshot` saw.
struct Shot {
    width: u32,
    rgb: Vec<u8>,
    views: Vec<Value>,
    messages: Vec<String>,
}

impl Shot {
    fn view(&self, entity: &str) -> &Value {
        self.views
            .iter()
            .find(|v| v["entity"].as_str().is_some_and(|e| e.ends_with(entity)))
            .unwrap_or_else(|| panic!("no view of {entity}: {:?}", self.views))
    }

    /// The mean colour of a 9x9 block at the centre of `entity`'s picture.
    fn centre(&self, entity: &str) -> [u8; 3] {
        let v = self.view(entity);
        let rect: Vec<f64> = v["rect"]
            .as_array()
            .unwrap_or_else(|| panic!("{entity} shows no picture: {v}"))
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect();
        let (cx, cy) = (
            ((rect[0] + rect[2]) / 2.0) as u32,
            ((rect[1] + rect[3]) / 2.0) as u32,
        );
        let mut sum = [0u32; 3];
        for y in cy - 4..=cy + 4 {
            for x in cx - 4..=cx + 4 {
                let i = ((y * self.width + x) * 3) as usize;
                for (total, value) in sum.iter_mut().zip(&self.rgb[i..i + 3]) {
                    *total += u32::from(*value);
                }
            }
        }
        sum.map(|s| (s / 81) as u8)
    }

    fn error(&self, entity: &str) -> Option<String> {
        self.view(entity)["error"].as_str().map(str::to_owned)
    }
}

/// Runs `reel view ARGS --screenshot` under Xvfb with `env` set.
fn view(args: &[&str], env: &[(&str, &str)], dir: &Path) -> Shot {
    let png = dir.join(format!("shot-{}.png", std::process::id()));
    let _ = std::fs::remove_file(&png);
    let out = Command::new("timeout")
        .args(["120", "xvfb-run", "-a", "-s", "-screen 0 1280x800x24"])
        .arg(env!("CARGO_BIN_EXE_reel"))
        .arg("view")
        .args(args)
        .arg("--screenshot")
        .arg(&png)
        // Saved viewer settings come from the test's folder, not the user's.
        .env("REEL_CONFIG_DIR", dir)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "reel view {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (width, _, rgb) = read_png_rgb(&png);
    let mut views = Vec::new();
    let mut messages = Vec::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        if let Some(m) = v["message"].as_str() {
            messages.push(m.to_owned());
        } else if v.get("entity").is_some() {
            views.push(v);
        }
    }
    Shot {
        width,
        rgb,
        views,
        messages,
    }
}

fn assert_colour(got: [u8; 3], want: [u8; 3], what: &str) {
    let close = got
        .iter()
        .zip(want)
        .all(|(g, w)| (i32::from(*g) - i32::from(w)).abs() <= 12);
    assert!(
        close,
        "{what}: the view shows {got:?}, expected about {want:?}"
    );
}

/// Red, blue and green seconds (320x240, 30 fps) encoded with `args`.
fn segments(out: &Path, args: &[&str]) {
    let mut all = vec![
        "-f",
        "lavfi",
        "-i",
        "color=blue:s=320x240:d=1:r=30",
        "-f",
        "lavfi",
        "-i",
        "color=0x008000:s=320x240:d=1:r=30",
        "-filter_complex",
        "[0][1][2]concat=n=3:v=1:a=0",
    ];
    all.extend_from_slice(args);
    ffmpeg_lavfi(out, "color=red:s=320x240:d=1:r=30", &all);
}

/// The test media: (file, ffmpeg arguments).
const MEDIA: &[(&str, &[&str])] = &[
    (
        "h264_bframes.mp4",
        &[
            "-c:v", "libx264", "-pix_fmt", "yuv420p", "-bf", "3", "-g", "30",
        ],
    ),
    (
        "h264_444.mkv",
        &["-c:v", "libx264", "-pix_fmt", "yuv444p", "-g", "30"],
    ),
    (
        "h265.mp4",
        &[
            "-c:v",
            "libx265",
            "-pix_fmt",
            "yuv420p",
            "-x265-params",
            "log-level=error",
        ],
    ),
    (
        "h265_10bit.mkv",
        &[
            "-c:v",
            "libx265",
            "-pix_fmt",
            "yuv420p10le",
            "-x265-params",
            "log-level=error",
        ],
    ),
    (
        "av1.mp4",
        &[
            "-c:v",
            "libaom-av1",
            "-pix_fmt",
            "yuv420p",
            "-cpu-used",
            "8",
            "-g",
            "30",
        ],
    ),
    (
        "av1_10bit.mkv",
        &[
            "-c:v",
            "libsvtav1",
            "-pix_fmt",
            "yuv420p10le",
            "-preset",
            "12",
            "-g",
            "30",
        ],
    ),
    (
        "vp9.webm",
        &[
            "-c:v",
            "libvpx-vp9",
            "-pix_fmt",
            "yuv420p",
            "-deadline",
            "realtime",
            "-g",
            "30",
        ],
    ),
];

fn media(dir: &Path) -> Vec<PathBuf> {
    MEDIA
        .iter()
        .map(|(name, args)| {
            let path = dir.join(name);
            segments(&path, args);
            path
        })
        .collect()
}

fn strs(paths: &[PathBuf]) -> Vec<&str> {
    paths.iter().map(|p| p.to_str().unwrap()).collect()
}

#[test]
fn video_files_show_the_frame_at_the_cursor() {
    if !ffmpeg_available() || !xvfb() {
        return;
    }
    let dir = tempdir("viewer-files");
    let files = media(&dir);
    // The last red frame, the first blue one (B-frames reorder around
    // it), and one well inside green: all files in one window.
    for (time, colour) in [("0.99", RED), ("1.0", BLUE), ("2.5", GREEN)] {
        let mut args = strs(&files);
        args.extend(["--time", time]);
        let shot = view(&args, &[], &dir);
        for (name, _) in MEDIA {
            assert_eq!(shot.error(name), None, "{name} at {time}s");
            assert_colour(shot.centre(name), colour, &format!("{name} at {time}s"));
        }
    }
    // AV1 with no FFmpeg at all (neither its libraries nor the program):
    // the decoder built in (rav1d; libdav1d in a `dav1d` build).
    let av1: Vec<PathBuf> = files
        .iter()
        .filter(|f| f.file_name().unwrap().to_string_lossy().starts_with("av1"))
        .cloned()
        .collect();
    assert_eq!(av1.len(), 2);
    for (time, colour) in [("0.99", RED), ("1.0", BLUE)] {
        let mut args = strs(&av1);
        args.extend(["--time", time]);
        let no_ffmpeg = [
            ("REEL_LIBAVCODEC", "off"),
            ("REEL_FFMPEG", "/nonexistent/ffmpeg"),
        ];
        let shot = view(&args, &no_ffmpeg, &dir);
        for f in &av1 {
            let name = f.file_name().unwrap().to_str().unwrap();
            assert_eq!(shot.error(name), None, "{name} at {time}s without FFmpeg");
            assert_colour(
                shot.centre(name),
                colour,
                &format!("{name} at {time}s, no FFmpeg"),
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Red, blue and green pictures at 0, 1 and 2 s on `time` (and 0, 1, 2 on
/// `frame`) as every image form: RGB8, NV12, 16-bit gray, JPEG, PNG.
fn image_recording(path: &Path) {
    use reel_sdk::{
        ChannelDatatype, ColorModel, Image, ImageCompressExt, PixelFormat, RecordingStreamBuilder,
        encode_png,
    };
    let rec = RecordingStreamBuilder::new("viewer-test")
        .save(path)
        .unwrap();
    let (w, h) = (64u32, 48u32);
    // BT.601 limited-range Y'CbCr of each colour.
    let colours: [([u8; 3], [u8; 3], u16); 3] = [
        ([255, 0, 0], [81, 90, 240], 10_000),
        ([0, 0, 255], [41, 240, 110], 40_000),
        ([0, 128, 0], [80, 80, 76], 60_000),
    ];
    for (i, (rgb, yuv, gray)) in colours.iter().enumerate() {
        rec.set_time("time", std::time::Duration::from_secs(i as u64));
        rec.set_time_sequence("frame", i as i64);
        let pixels: Vec<u8> = (0..w * h).flat_map(|_| *rgb).collect();
        let image = Image::from_rgb8(pixels, [w, h]).unwrap();
        rec.log("rgb8", &image).unwrap();
        rec.log("jpeg", &image.compress(90).unwrap()).unwrap();
        rec.log("png", &encode_png(&image).unwrap()).unwrap();
        let mut nv12 = vec![yuv[0]; (w * h) as usize];
        for _ in 0..(w * h / 4) {
            nv12.extend_from_slice(&[yuv[1], yuv[2]]);
        }
        rec.log(
            "nv12",
            &Image::from_pixel_format(nv12, [w, h], PixelFormat::NV12).unwrap(),
        )
        .unwrap();
        let l16: Vec<u8> = (0..w * h).flat_map(|_| gray.to_ne_bytes()).collect();
        rec.log(
            "gray16",
            &Image::from_color_model(l16, [w, h], ColorModel::L, ChannelDatatype::U16).unwrap(),
        )
        .unwrap();
    }
    rec.flush().unwrap();
}

#[test]
fn recordings_show_streams_assets_and_images() {
    if !ffmpeg_available() || !xvfb() {
        return;
    }
    let dir = tempdir("viewer-recordings");
    let video = dir.join("h264_bframes.mp4");
    segments(&video, MEDIA[0].1);
    let stream = dir.join("stream.reel");
    let asset = dir.join("asset.reel");
    let video_arg = video.to_str().unwrap();
    reel_ok(&[
        "import",
        video_arg,
        "--out",
        stream.to_str().unwrap(),
        "--entity",
        "/camera/stream",
    ]);
    reel_ok(&[
        "import",
        video_arg,
        "--out",
        asset.to_str().unwrap(),
        "--entity",
        "/camera/asset",
        "--as",
        "asset",
    ]);
    // A VideoStream and an AssetVideo through its frame references, one window.
    for (time, colour) in [("0.5", RED), ("1.0", BLUE), ("2.9", GREEN)] {
        let shot = view(
            &[
                stream.to_str().unwrap(),
                asset.to_str().unwrap(),
                "--time",
                time,
            ],
            &[],
            &dir,
        );
        for entity in ["/camera/stream", "/camera/asset"] {
            assert_eq!(shot.error(entity), None, "{entity} at {time}s");
            assert_colour(shot.centre(entity), colour, &format!("{entity} at {time}s"));
        }
    }
    let images = dir.join("images.reel");
    image_recording(&images);
    let images_arg = images.to_str().unwrap();
    for (args, colour, gray) in [
        (["--time", "1.5"], BLUE, 156u8),
        (["--seq", "frame=2"], GREEN, 234),
    ] {
        let mut a = vec![images_arg];
        a.extend(args);
        let shot = view(&a, &[], &dir);
        for entity in ["rgb8", "jpeg", "png", "nv12"] {
            assert_eq!(shot.error(entity), None, "{entity} {args:?}");
            assert_colour(shot.centre(entity), colour, &format!("{entity} {args:?}"));
        }
        // 16-bit gray over its whole range: 40000 → 156, 60000 → 234.
        assert_colour(
            shot.centre("gray16"),
            [gray; 3],
            &format!("gray16 {args:?}"),
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// The samples of `video` as a `VideoStream` at /camera on `time`, a chunk
/// per half second; sample `corrupt` replaced by noise.
fn stream_recording(path: &Path, video: &Path, corrupt: Option<usize>) {
    use reel_sdk::{RecordingStreamBuilder, VideoCodec, VideoStream};
    let mut file = reel_sdk::MediaFile::open(video).unwrap();
    let track = file.video_track().unwrap().clone();
    let rec = RecordingStreamBuilder::new("stream").save(path).unwrap();
    rec.log_static("camera", &VideoStream::new(VideoCodec::H264))
        .unwrap();
    for (i, s) in track.samples.iter().enumerate() {
        let pts = track.ticks_to_ns(s.pts);
        let mut data = file.read_sample(0, i).unwrap();
        if Some(i) == corrupt {
            // Slice data replaced by noise after the NAL header.
            for (k, b) in data.iter_mut().enumerate().skip(8) {
                *b = (k * 7919 % 251) as u8;
            }
        }
        rec.set_time("time", std::time::Duration::from_nanos(pts as u64));
        rec.log(
            "camera",
            &VideoStream::from_sample(data)
                .unwrap()
                .with_keyframe(s.is_keyframe),
        )
        .unwrap();
        if i % 15 == 14 {
            rec.flush().unwrap();
        }
    }
    rec.flush().unwrap();
}

#[test]
fn errors_show_in_place_and_the_window_stays_up() {
    if !ffmpeg_available() || !xvfb() {
        return;
    }
    let dir = tempdir("viewer-errors");
    let video = dir.join("h264.mp4");
    segments(
        &video,
        &[
            "-c:v", "libx264", "-pix_fmt", "yuv420p", "-bf", "0", "-g", "15",
        ],
    );
    // A stream whose sample at 1.667 s (inside the GOP from 1.5 s) is garbage.
    let corrupt = dir.join("corrupt.reel");
    stream_recording(&corrupt, &video, Some(50));
    let shot = view(&[corrupt.to_str().unwrap(), "--time", "1.7"], &[], &dir);
    let error = shot.error("camera").expect("the corrupt frame is reported");
    assert!(error.contains("could not be decoded"), "{error}");
    // The last good frame before it shows (blue, decoded on the way).
    assert_colour(shot.centre("camera"), BLUE, "the last good frame");

    // No decoder: FFmpeg's libraries off and no ffmpeg binary.
    let h265 = dir.join("h265.mp4");
    segments(&h265, MEDIA[2].1);
    let shot = view(
        &[h265.to_str().unwrap(), "--time", "1.5"],
        &[
            ("REEL_LIBAVCODEC", "off"),
            ("REEL_FFMPEG", "/nonexistent/ffmpeg"),
        ],
        &dir,
    );
    let error = shot
        .error("h265.mp4")
        .expect("the missing decoder is reported");
    assert!(error.to_lowercase().contains("install"), "{error}");
    assert!(error.contains("Settings"), "{error}");
    // The ffmpeg saved in the viewer's settings is the one tried.
    std::fs::write(
        dir.join("viewer-settings.json"),
        r#"{"ffmpeg": "/nonexistent/saved-ffmpeg"}"#,
    )
    .unwrap();
    let shot = view(
        &[h265.to_str().unwrap(), "--time", "1.5"],
        &[("REEL_LIBAVCODEC", "off")],
        &dir,
    );
    let error = shot.error("h265.mp4").expect("the saved path is reported");
    assert!(error.contains("/nonexistent/saved-ffmpeg"), "{error}");
    // A damaged settings file is said, and the viewer goes on with defaults.
    std::fs::write(dir.join("viewer-settings.json"), "{\"ffmpeg\": ").unwrap();
    let shot = view(&[h265.to_str().unwrap(), "--time", "1.5"], &[], &dir);
    assert!(
        shot.messages
            .iter()
            .any(|m| m.contains("not valid settings")),
        "{:?}",
        shot.messages
    );
    assert_colour(shot.centre("h265.mp4"), BLUE, "decoded with the defaults");
    std::fs::remove_file(dir.join("viewer-settings.json")).unwrap();

    // A truncated recording: what is before the cut shows; the cut is said.
    let stream = dir.join("stream.reel");
    stream_recording(&stream, &video, None);
    let bytes = std::fs::read(&stream).unwrap();
    let cut = dir.join("cut.reel");
    std::fs::write(&cut, &bytes[..bytes.len() * 6 / 10]).unwrap();
    // A file that is no video at all, beside it.
    let text = dir.join("notes.mp4");
    std::fs::write(&text, "not a video").unwrap();
    let shot = view(
        &[
            cut.to_str().unwrap(),
            text.to_str().unwrap(),
            "--time",
            "0.5",
        ],
        &[],
        &dir,
    );
    assert!(
        shot.messages.iter().any(|m| m.contains("incomplete")),
        "{:?}",
        shot.messages
    );
    assert!(
        shot.messages
            .iter()
            .any(|m| m.contains("notes.mp4") && m.contains("not a video")),
        "{:?}",
        shot.messages
    );
    assert_colour(shot.centre("camera"), RED, "before the cut");

    // No file given: the window opens with its file dialog up.
    let shot = view(&[], &[], &dir);
    assert!(shot.views.is_empty() && shot.messages.is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}
