//! Every archetype logged from several threads at once comes back equal,
//! through memory and through a file.

use std::path::Path;

use reel_sdk::{
    AssetVideo, EncodedImage, EntityPath, Image, PixelFormat, RecordingStream,
    RecordingStreamBuilder, Store, VideoCodec, VideoFrameReference, VideoStream,
};
use reel_types::{Archetype, ChannelDatatype, ColorModel};

const FIXTURE_MP4: &[u8] = include_bytes!("../../../tests/fixtures/testsrc2_320x240_h264.mp4");
const THREADS: usize = 4;
const FRAMES: i64 = 25;

/// What thread `t` logs at frame `f` for each entity.
fn image(t: usize, f: i64) -> Image {
    let (w, h) = (17 + t as u32, 9);
    match f % 4 {
        0 => Image::from_rgb8(pattern(w * h * 3, t, f), [w, h]).unwrap(),
        1 => Image::from_color_model(
            pattern(w * h * 2, t, f),
            [w, h],
            ColorModel::L,
            ChannelDatatype::U16,
        )
        .unwrap(),
        2 => Image::from_color_model(
            pattern(w * h * 16, t, f),
            [w, h],
            ColorModel::BGRA,
            ChannelDatatype::F32,
        )
        .unwrap(),
        _ => Image::from_pixel_format(
            pattern(PixelFormat::NV12.num_bytes(w.into(), h.into()) as u32, t, f),
            [w, h],
            PixelFormat::NV12,
        )
        .unwrap(),
    }
}

fn pattern(n: u32, t: usize, f: i64) -> Vec<u8> {
    (0..n)
        .map(|i| (i as usize * 7 + t * 31 + f as usize * 13) as u8)
        .collect()
}

fn encoded(t: usize, f: i64) -> EncodedImage {
    let img = Image::from_rgb8(pattern(8 * 8 * 3, t, f), [8, 8]).unwrap();
    reel_sdk::encode_png(&img).unwrap()
}

fn sample(t: usize, f: i64) -> VideoStream {
    let mut bytes = vec![0, 0, 0, 1, 0x65];
    bytes.extend(pattern(40 + f as u32, t, f));
    VideoStream::from_sample(bytes)
        .unwrap()
        .with_keyframe(f % 10 == 0)
        .with_timestamps_ns(f * 40_000_000, (f - 1) * 40_000_000)
}

fn log_thread(rec: &RecordingStream, t: usize) {
    let base = EntityPath::parse(&format!("thread{t}")).unwrap();
    let video = base.join("video").unwrap();
    rec.log_static(&video, &VideoStream::new(VideoCodec::H264))
        .unwrap();
    rec.log_static(
        &base.join("asset").unwrap(),
        &AssetVideo::from_bytes(FIXTURE_MP4).unwrap(),
    )
    .unwrap();
    for f in 0..FRAMES {
        rec.set_time_sequence("frame", f);
        rec.set_duration_secs("time", f as f64 / 25.0);
        rec.log(&base.join("image").unwrap(), &image(t, f)).unwrap();
        rec.log(&base.join("encoded").unwrap(), &encoded(t, f))
            .unwrap();
        rec.log(&video, &sample(t, f)).unwrap();
        rec.log(
            &base.join("refs").unwrap(),
            &VideoFrameReference::new(f * 1_000_000).with_video_reference(video.clone()),
        )
        .unwrap();
    }
}

fn log_concurrently(rec: &RecordingStream) {
    std::thread::scope(|s| {
        for t in 0..THREADS {
            let rec = rec.clone();
            s.spawn(move || log_thread(&rec, t));
        }
    });
}

fn read_back<A: Archetype>(store: &Store, path: &str) -> Vec<(i64, A)> {
    let path = EntityPath::parse(path).unwrap();
    store
        .range(&path, "frame", i64::MIN, i64::MAX)
        .into_iter()
        .map(|h| (h.time.unwrap().value, h.get::<A>().unwrap().unwrap()))
        .collect()
}

fn check(store: &Store) {
    for t in 0..THREADS {
        let images: Vec<_> = read_back::<Image>(store, &format!("thread{t}/image"));
        assert_eq!(
            images,
            (0..FRAMES).map(|f| (f, image(t, f))).collect::<Vec<_>>()
        );
        let encoded_rows: Vec<_> = read_back::<EncodedImage>(store, &format!("thread{t}/encoded"));
        assert_eq!(
            encoded_rows,
            (0..FRAMES).map(|f| (f, encoded(t, f))).collect::<Vec<_>>()
        );
        let samples: Vec<_> = read_back::<VideoStream>(store, &format!("thread{t}/video"));
        assert_eq!(
            samples,
            (0..FRAMES).map(|f| (f, sample(t, f))).collect::<Vec<_>>()
        );
        let video = EntityPath::parse(&format!("thread{t}/video")).unwrap();
        let refs: Vec<_> = read_back::<VideoFrameReference>(store, &format!("thread{t}/refs"));
        assert_eq!(
            refs,
            (0..FRAMES)
                .map(|f| (
                    f,
                    VideoFrameReference::new(f * 1_000_000).with_video_reference(video.clone())
                ))
                .collect::<Vec<_>>()
        );
        // Static rows: the codec and the asset.
        let codec = store.static_rows(&video);
        assert_eq!(codec.len(), 1);
        assert_eq!(
            codec[0].get::<VideoStream>().unwrap().unwrap(),
            VideoStream::new(VideoCodec::H264)
        );
        let asset = store.static_rows(&EntityPath::parse(&format!("thread{t}/asset")).unwrap());
        let asset: AssetVideo = asset[0].get().unwrap().unwrap();
        assert_eq!(asset.blob().as_slice(), FIXTURE_MP4);
        assert_eq!(asset.media_type(), "video/mp4");
        // Decode order is logging order.
        let order: Vec<i64> = store
            .rows_in_log_order(&video)
            .iter()
            .filter_map(|h| h.get::<VideoStream>().unwrap()?.decode_timestamp_ns)
            .collect();
        assert_eq!(
            order,
            (0..FRAMES)
                .map(|f| (f - 1) * 40_000_000)
                .collect::<Vec<_>>()
        );
    }
}

#[test]
fn every_archetype_round_trips_through_memory_from_several_threads() {
    let (rec, storage) = RecordingStreamBuilder::new("roundtrip").memory().unwrap();
    log_concurrently(&rec);
    rec.flush().unwrap();
    check(&storage.store());
}

fn file_round_trip(path: &Path, compression: reel_sdk::Compression) {
    let rec = RecordingStreamBuilder::new("roundtrip")
        .compression(compression)
        .save(path)
        .unwrap();
    log_concurrently(&rec);
    drop(rec);
    let (store, report) = Store::load(path).unwrap();
    assert!(report.clean_close, "{report:?}");
    assert!(!report.is_damaged(), "{report:?}");
    let index = report.index.expect("a cleanly closed file has an index");
    assert_eq!(index.chunks.len(), report.chunks);
    // Keyframes of every thread's video are in the footer, on both timelines.
    let keyframes = index
        .keyframes
        .iter()
        .filter(|k| k.timeline == "frame")
        .count();
    assert_eq!(keyframes, THREADS * 3, "frames 0, 10, 20 per thread");
    check(&store);
}

#[test]
fn every_archetype_round_trips_through_a_file() {
    let dir = tempdir();
    for (name, c) in [
        ("off", reel_sdk::Compression::Off),
        ("lz4", reel_sdk::Compression::Lz4),
        ("zstd", reel_sdk::Compression::Zstd(1)),
    ] {
        file_round_trip(&dir.join(format!("{name}.reel")), c);
    }
}

#[test]
fn latest_at_follows_time_and_static_wins() {
    let (rec, storage) = RecordingStreamBuilder::new("latest").memory().unwrap();
    for f in [0, 10, 20] {
        rec.set_time_sequence("frame", f);
        rec.log("cam", &VideoFrameReference::new(f)).unwrap();
    }
    rec.flush().unwrap();
    let store = storage.store();
    let cam = EntityPath::parse("cam").unwrap();
    let at = |t| {
        store
            .latest_at(&cam, "frame", t, &VideoFrameReference::TIMESTAMP)
            .map(|h| {
                h.get::<VideoFrameReference>()
                    .unwrap()
                    .unwrap()
                    .timestamp_ns
            })
    };
    assert_eq!(at(-1), None);
    assert_eq!(at(0), Some(0));
    assert_eq!(at(15), Some(10));
    assert_eq!(at(99), Some(20));
    assert_eq!(store.range(&cam, "frame", 5, 20).len(), 2);

    rec.log_static("cam", &VideoFrameReference::new(777))
        .unwrap();
    rec.flush().unwrap();
    let store = storage.store();
    let h = store
        .latest_at(&cam, "frame", 15, &VideoFrameReference::TIMESTAMP)
        .unwrap();
    assert_eq!(
        h.get::<VideoFrameReference>()
            .unwrap()
            .unwrap()
            .timestamp_ns,
        777
    );
    assert!(h.time.is_none());
}

#[test]
fn send_columns_logs_many_rows_as_one_chunk() {
    let (rec, storage) = RecordingStreamBuilder::new("columns").memory().unwrap();
    let n = 5000;
    let ts: Vec<i64> = (0..n).map(|i| i * 33_333_333).collect();
    rec.send_columns(
        "video",
        [reel_sdk::TimeColumn::new_duration_nanos("video_time", ts.clone()).unwrap()],
        VideoFrameReference::columns_from_nanos(&ts),
    )
    .unwrap();
    rec.flush().unwrap();
    let chunks = storage.chunks();
    assert_eq!(chunks.len(), 1);
    assert_eq!(chunks[0].num_rows(), n as usize);
    let store = storage.store();
    let video = EntityPath::parse("video").unwrap();
    let h = store
        .latest_at(
            &video,
            "video_time",
            1_000_000_000,
            &VideoFrameReference::TIMESTAMP,
        )
        .unwrap();
    assert_eq!(
        h.get::<VideoFrameReference>()
            .unwrap()
            .unwrap()
            .timestamp_ns,
        30 * 33_333_333
    );

    // Mismatched lengths are an error, not a panic.
    let err = rec
        .send_columns(
            "video",
            [reel_sdk::TimeColumn::new_sequence("frame", vec![1, 2]).unwrap()],
            VideoFrameReference::columns_from_nanos(&[1, 2, 3]),
        )
        .unwrap_err()
        .to_string();
    assert!(err.contains("expected 3"), "{err}");
}

#[test]
fn logging_errors_are_results_not_panics() {
    let (rec, _storage) = RecordingStreamBuilder::new("errors").memory().unwrap();
    let e = rec
        .log("a b", &VideoFrameReference::new(0))
        .unwrap_err()
        .to_string();
    assert!(e.contains("must be escaped"), "{e}");
    rec.set_time_sequence("", 1);
    let e = rec
        .log("ok", &VideoFrameReference::new(0))
        .unwrap_err()
        .to_string();
    assert!(e.contains("timeline needs a name"), "{e}");
    // The error is reported once; logging goes on.
    rec.log("ok", &VideoFrameReference::new(0)).unwrap();
    let e = rec
        .log("ok", &VideoStream::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("no component"), "{e}");
    rec.disable_timeline("frame");
    rec.flush().unwrap();
}

#[test]
fn saving_to_an_unwritable_path_names_it() {
    let e = RecordingStreamBuilder::new("x")
        .save("/nonexistent-dir/x.reel")
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("/nonexistent-dir/x.reel"), "{e}");
}

fn tempdir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "reel-test-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
