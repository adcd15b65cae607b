//! `reel info`: what a recording holds.

use crate::output::outln;
use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result};
use reel_store::{RecordingReader, ScanReport, Store};
use reel_types::{Archetype, EntityPath, VideoStream};
use serde::Serialize;

#[derive(Serialize)]
struct Info {
    file: String,
    format_version: String,
    bytes: u64,
    closed_cleanly: bool,
    chunks: usize,
    rows: u64,
    entities: Vec<EntityJson>,
    skipped: Vec<SkippedJson>,
}

#[derive(Serialize)]
struct EntityJson {
    path: String,
    archetypes: Vec<String>,
    rows: u64,
    static_rows: u64,
    timelines: Vec<TimelineJson>,
    components: BTreeMap<String, ComponentJson>,
    #[serde(skip_serializing_if = "Option::is_none")]
    video: Option<VideoJson>,
}

#[derive(Serialize)]
struct TimelineJson {
    name: String,
    #[serde(rename = "type")]
    typ: String,
    min: i64,
    max: i64,
    rows: u64,
}

#[derive(Serialize)]
struct ComponentJson {
    rows: u64,
    bytes: u64,
}

#[derive(Serialize)]
struct VideoJson {
    codecs: Vec<String>,
    samples: u64,
    keyframes: u64,
    sample_bytes: u64,
}

#[derive(Serialize)]
struct SkippedJson {
    offset: u64,
    len: u64,
    reason: String,
}

pub fn run(file: &Path, json: bool) -> Result<()> {
    let mut reader = RecordingReader::open(file)?;
    let header = reader.header();
    let bytes = reader.len();
    let mut store = Store::new();
    let report = reader
        .scan(|_, chunk| store.insert(chunk))
        .with_context(|| format!("reading {}", file.display()))?;
    let info = Info {
        file: file.display().to_string(),
        format_version: format!("{}.{}", header.major, header.minor),
        bytes,
        closed_cleanly: report.clean_close,
        chunks: report.chunks,
        rows: report.rows,
        entities: store.entities().map(|e| entity_json(&store, e)).collect(),
        skipped: skipped(&report),
    };
    if json {
        outln!("{}", serde_json::to_string_pretty(&info)?);
    } else {
        print_text(&info)?;
    }
    Ok(())
}

fn skipped(report: &ScanReport) -> Vec<SkippedJson> {
    report
        .skipped
        .iter()
        .chain(report.torn_tail.iter())
        .map(|s| SkippedJson {
            offset: s.offset,
            len: s.len,
            reason: s.reason.clone(),
        })
        .collect()
}

fn entity_json(store: &Store, path: &EntityPath) -> EntityJson {
    let info = store.entity_info(path).expect("listed entities exist");
    let video = info
        .archetypes
        .iter()
        .any(|a| a == VideoStream::NAME)
        .then(|| video_json(store, path));
    EntityJson {
        path: path.to_string(),
        archetypes: info.archetypes,
        rows: info.num_rows,
        static_rows: info.num_static_rows,
        timelines: info
            .timelines
            .iter()
            .map(|t| TimelineJson {
                name: t.timeline.name.to_string(),
                typ: t.timeline.typ.name().into(),
                min: t.min,
                max: t.max,
                rows: t.rows,
            })
            .collect(),
        components: info
            .components
            .into_iter()
            .map(|(k, v)| {
                (
                    k,
                    ComponentJson {
                        rows: v.rows,
                        bytes: v.bytes,
                    },
                )
            })
            .collect(),
        video,
    }
}

fn video_json(store: &Store, path: &EntityPath) -> VideoJson {
    let mut v = VideoJson {
        codecs: Vec::new(),
        samples: 0,
        keyframes: 0,
        sample_bytes: 0,
    };
    for row in store.rows_in_log_order(path) {
        let Ok(Some(s)) = row.get::<VideoStream>() else {
            continue;
        };
        if let Some(c) = s.codec
            && !v.codecs.contains(&c.to_string())
        {
            v.codecs.push(c.to_string());
        }
        if let Some(sample) = s.sample {
            v.samples += 1;
            v.sample_bytes += sample.len() as u64;
            v.keyframes += u64::from(s.is_keyframe == Some(true));
        }
    }
    v
}

fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

fn print_text(info: &Info) -> Result<()> {
    outln!(
        "{}: reel recording, format {}, {}, {}",
        info.file,
        info.format_version,
        human_bytes(info.bytes),
        if info.closed_cleanly {
            "closed cleanly"
        } else {
            "not closed (crashed or still being written)"
        }
    );
    outln!(
        "{} chunks, {} rows, {} entities",
        info.chunks,
        info.rows,
        info.entities.len()
    );
    for e in &info.entities {
        outln!();
        outln!("{}  [{}]", e.path, e.archetypes.join(", "));
        outln!("  rows: {} ({} static)", e.rows, e.static_rows);
        for t in &e.timelines {
            let typ =
                reel_types::TimeType::from_name(&t.typ).unwrap_or(reel_types::TimeType::Sequence);
            outln!(
                "  timeline {} ({}): {} .. {}, {} rows",
                t.name,
                t.typ,
                typ.format_value(t.min),
                typ.format_value(t.max),
                t.rows
            );
        }
        for (name, c) in &e.components {
            outln!("  {name}: {} rows, {}", c.rows, human_bytes(c.bytes));
        }
        if let Some(v) = &e.video {
            outln!(
                "  video: codec {}, {} samples, {} keyframes, {} of samples",
                if v.codecs.is_empty() {
                    "unknown".into()
                } else {
                    v.codecs.join("/")
                },
                v.samples,
                v.keyframes,
                human_bytes(v.sample_bytes)
            );
        }
    }
    if info.skipped.is_empty() {
        outln!("\nnothing skipped: every frame's checksum matched");
    } else {
        outln!("\nskipped {} damaged region(s):", info.skipped.len());
        for s in &info.skipped {
            outln!("  bytes {}..{}: {}", s.offset, s.offset + s.len, s.reason);
        }
    }
    Ok(())
}
