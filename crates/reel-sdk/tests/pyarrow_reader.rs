//! Proves docs/FORMAT.md: an independent Python reader written from the spec
//! alone (tests/python/read_reel.py, pyarrow + zlib) sees exactly what reel
//! wrote. Skipped when python3 with pyarrow is missing, unless
//! REEL_REQUIRE_PYARROW=1 (set by scripts/test.sh, which installs it).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use reel_sdk::{
    AssetVideo, Compression, EntityPath, Image, RecordingStreamBuilder, Store, VideoCodec,
    VideoFrameReference, VideoStream,
};
use reel_types::Blob;
use serde_json::Value;

fn python_reader() -> Option<std::path::PathBuf> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/python/read_reel.py");
    let ok = Command::new("python3")
        .args(["-c", "import pyarrow"])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if ok {
        return Some(script);
    }
    if std::env::var("REEL_REQUIRE_PYARROW").as_deref() == Ok("1") {
        panic!("python3 with pyarrow is required (REEL_REQUIRE_PYARROW=1) but missing");
    }
    eprintln!("SKIPPED: python3 with pyarrow not found; scripts/test.sh installs it");
    None
}

fn write_recording(path: &Path, compression: Compression) {
    let rec = RecordingStreamBuilder::new("pyarrow")
        .compression(compression)
        .save(path)
        .unwrap();
    let mp4 = include_bytes!("../../../tests/fixtures/testsrc2_320x240_h264.mp4");
    rec.log_static("video/asset", &AssetVideo::from_bytes(&mp4[..]).unwrap())
        .unwrap();
    rec.log_static("video/stream", &VideoStream::new(VideoCodec::AV1))
        .unwrap();
    for f in 0..40i64 {
        rec.set_time_sequence("frame", f);
        rec.set_time("time", std::time::Duration::from_millis(f as u64 * 33));
        let pixels = reel_sdk::synthetic::moving_pattern_rgb8(96, 64, f as u64);
        rec.log("camera/raw", &Image::from_rgb8(pixels, [96, 64]).unwrap())
            .unwrap();
        if f < 3 {
            // 3.9 MB frames: LZ4 frames of several 4 MiB blocks.
            let pixels = reel_sdk::synthetic::moving_pattern_rgb8(1280, 1024, f as u64);
            rec.log(
                "camera/large",
                &Image::from_rgb8(pixels, [1280, 1024]).unwrap(),
            )
            .unwrap();
        }
        rec.log(
            "video/refs",
            &VideoFrameReference::new(f * 33_333_333)
                .with_video_reference(EntityPath::parse("video/asset").unwrap()),
        )
        .unwrap();
        let sample = VideoStream::from_sample(vec![f as u8; 100 + f as usize])
            .unwrap()
            .with_keyframe(f % 8 == 0);
        rec.log("video/stream", &sample).unwrap();
    }
}

fn blob_crcs(store: &Store, entity: &str) -> BTreeMap<String, Vec<u64>> {
    let mut out: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    for row in store.rows_in_log_order(&EntityPath::parse(entity).unwrap()) {
        let view = row.view();
        for (desc, _) in row.chunk.components() {
            if let Ok(Some(blob)) = view.blob(desc) {
                let blob: Blob = blob;
                out.entry(desc.column_name())
                    .or_default()
                    .push(u64::from(crc32fast::hash(&blob)));
            }
        }
    }
    out
}

#[test]
fn an_independent_pyarrow_reader_agrees_with_reel() {
    let Some(script) = python_reader() else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("reel-pyarrow-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (name, compression) in [
        ("off", Compression::Off),
        ("lz4", Compression::Lz4),
        ("zstd", Compression::Zstd(1)),
    ] {
        let path = dir.join(format!("{name}.reel"));
        write_recording(&path, compression);
        let out = Command::new("python3")
            .arg(&script)
            .arg(&path)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let py: Value = serde_json::from_slice(&out.stdout).unwrap();

        let (store, report) = Store::load(&path).unwrap();
        assert_eq!(py["version"], "1.0");
        assert_eq!(py["chunks"], report.chunks as u64, "{name}");
        assert_eq!(py["clean_close"], true);
        let index = report.index.as_ref().unwrap();
        assert_eq!(py["index"]["chunks"], index.chunks.len() as u64);
        assert_eq!(py["index"]["rows"], report.rows);
        let kf: Vec<Value> = index
            .keyframes
            .iter()
            .map(|k| serde_json::json!([k.entity_path.to_string(), k.timeline, k.time]))
            .collect();
        assert_eq!(py["index"]["keyframes"], Value::Array(kf));
        assert_eq!(index.keyframes.len(), 2 * 5, "5 keyframes on 2 timelines");

        let entities = py["entities"].as_object().unwrap();
        assert_eq!(entities.len(), store.entities().count());
        for path in store.entities() {
            let info = store.entity_info(path).unwrap();
            let e = &entities[&path.to_string()];
            assert_eq!(e["rows"], info.num_rows, "{path}");
            assert_eq!(e["row_ids_increasing"], true, "{path}");
            for t in &info.timelines {
                let pt = &e["timelines"][t.timeline.name.as_str()];
                assert_eq!(pt["min"], t.min, "{path}");
                assert_eq!(pt["max"], t.max, "{path}");
            }
            for (column, stats) in &info.components {
                assert_eq!(
                    e["components"][column]["rows"], stats.rows,
                    "{path} {column}"
                );
            }
            for (column, crcs) in blob_crcs(&store, &path.to_string()) {
                let py_crcs: Vec<u64> = e["components"][&column]["crc32"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_u64().unwrap())
                    .collect();
                assert_eq!(py_crcs, crcs, "{path} {column}");
            }
        }
        // Image archetypes really are pixels pyarrow saw.
        assert_eq!(
            entities["/camera/raw"]["components"][&Image::BUFFER.column_name()]["rows"],
            40
        );
        assert_eq!(
            entities["/camera/raw"]["timelines"]["time"]["type"],
            "duration[ns]"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
