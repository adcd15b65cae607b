//! `reel video-info`: what the demuxer sees in a video file.

use crate::output::outln;
use std::path::Path;

use anyhow::Result;
use reel_decode::Backend;
use reel_video::MediaFile;
use serde::Serialize;

#[derive(Serialize)]
struct Info {
    file: String,
    container: &'static str,
    bytes: u64,
    tracks: Vec<Track>,
    other_tracks: Vec<Other>,
    warnings: Vec<String>,
}

#[derive(Serialize)]
struct Track {
    track_id: u64,
    codec: String,
    container_codec: String,
    codec_string: String,
    width: u32,
    height: u32,
    bit_depth: Option<u8>,
    chroma_format: Option<&'static str>,
    timescale: u64,
    edit_offset_ticks: i64,
    frames: usize,
    keyframes: usize,
    b_frames: bool,
    duration_ns: i64,
    first_pts_ns: Option<i64>,
    bytes: u64,
    /// The decoder `reel frame` (and the viewers) would use.
    decoder: String,
}

#[derive(Serialize)]
struct Other {
    track_id: u64,
    kind: String,
    codec: String,
}

/// Which decoder takes track `index`, judged from its first keyframe.
fn decoder_for(file: &mut MediaFile, index: usize) -> String {
    let track = &file.tracks[index];
    let codec = track.codec;
    let key = track
        .samples
        .iter()
        .position(|s| s.is_keyframe)
        .unwrap_or(0);
    let sample = file.read_sample(index, key).unwrap_or_default();
    match reel_decode::default_backend(codec, &sample) {
        Backend::Libav => format!(
            "FFmpeg's libavcodec {}, in-process",
            reel_decode::libav::version().unwrap_or_default()
        ),
        Backend::Dav1d => "libdav1d, in-process".into(),
        Backend::Rav1d => "rav1d (built in), in-process".into(),
        Backend::OpenH264 => "openh264, in-process".into(),
        Backend::Ffmpeg => format!("an ffmpeg process ({})", reel_decode::ffmpeg::ffmpeg_path()),
    }
}

pub fn run(media: &Path, json: bool, timestamps: bool) -> Result<()> {
    let mut file = MediaFile::open(media)?;
    let decoders: Vec<String> = (0..file.tracks.len())
        .map(|i| decoder_for(&mut file, i))
        .collect();
    if timestamps {
        let track = file.video_track()?;
        let mut out = String::with_capacity(track.samples.len() * 12);
        for t in track.frame_timestamps_ns() {
            out.push_str(&t.to_string());
            out.push('\n');
        }
        print!("{out}");
        return Ok(());
    }
    let info = Info {
        file: media.display().to_string(),
        container: file.container.name(),
        bytes: file.file_size,
        tracks: file
            .tracks
            .iter()
            .zip(decoders)
            .map(|(t, decoder)| Track {
                track_id: t.track_id,
                codec: t.codec.to_string(),
                container_codec: t.container_codec.clone(),
                codec_string: t.codec_string.clone(),
                width: t.width,
                height: t.height,
                bit_depth: t.bit_depth,
                chroma_format: t.chroma_format,
                timescale: t.timescale,
                edit_offset_ticks: t.edit_offset,
                frames: t.samples.len(),
                keyframes: t.keyframes(),
                b_frames: t.has_reordering(),
                duration_ns: t.duration_ns(),
                first_pts_ns: t.frame_timestamps_ns().first().copied(),
                bytes: t.samples.iter().map(|s| s.size()).sum(),
                decoder,
            })
            .collect(),
        other_tracks: file
            .other_tracks
            .iter()
            .map(|t| Other {
                track_id: t.track_id,
                kind: t.kind.clone(),
                codec: t.codec.clone(),
            })
            .collect(),
        warnings: file.warnings.clone(),
    };
    if json {
        outln!("{}", serde_json::to_string_pretty(&info)?);
        return Ok(());
    }
    outln!("{}: {} ({} bytes)", info.file, info.container, info.bytes);
    for t in &info.tracks {
        outln!(
            "  track {}: {} ({}, {}) {}x{}{}{}",
            t.track_id,
            t.codec,
            t.codec_string,
            t.container_codec,
            t.width,
            t.height,
            t.bit_depth.map(|b| format!(" {b}-bit")).unwrap_or_default(),
            t.chroma_format.map(|c| format!(" {c}")).unwrap_or_default(),
        );
        outln!(
            "    {} frames, {} keyframes, B-frames: {}, duration {:.3}s, timescale {}{}",
            t.frames,
            t.keyframes,
            if t.b_frames { "yes" } else { "no" },
            t.duration_ns as f64 / 1e9,
            t.timescale,
            if t.edit_offset_ticks != 0 {
                format!(", edit list shifts by {} ticks", t.edit_offset_ticks)
            } else {
                String::new()
            }
        );
        outln!("    decodes with {}", t.decoder);
    }
    for o in &info.other_tracks {
        outln!(
            "  track {}: {} ({}), not imported",
            o.track_id,
            o.kind,
            o.codec
        );
    }
    for w in &info.warnings {
        outln!("  warning: {w}");
    }
    if info.tracks.is_empty() {
        outln!("  no video track");
    }
    Ok(())
}
