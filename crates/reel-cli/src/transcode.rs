//! `reel transcode`: an image series into a video stream, the rest copied.

use crate::output::{PendingFile, outln};
use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use reel_encode::{EncoderSettings, frame_from_image, new_encoder};
use reel_query::images::image_of_row;
use reel_sdk::{Compression, EncodedImage, EntityPath, Image, VideoCodec, VideoStream};
use reel_store::{RecordingWriter, RowHandle};
use reel_types::{Archetype, Chunk, PendingRow, RowId, TimeCell, TimePoint};

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum Codec {
    /// H.264 with openh264: fast, plays everywhere.
    H264,
    /// AV1 with rav1e: smaller, slower to encode.
    Av1,
}

/// Rows per chunk of the new stream.
const ROWS_PER_CHUNK: usize = 64;

fn timepoint_of(row: &RowHandle) -> TimePoint {
    let mut tp = TimePoint::default();
    for tl in row.chunk.timelines() {
        if let Some(value) = row.chunk.time_at(tl.name.as_str(), row.row) {
            tp.insert(tl.name.clone(), TimeCell { typ: tl.typ, value });
        }
    }
    tp
}

pub fn run(
    file: &Path,
    entity: &str,
    codec: Codec,
    quality: u8,
    keyframe_interval: u32,
    speed: u8,
    out: &Path,
) -> Result<()> {
    let started = Instant::now();
    let entity = EntityPath::parse(entity)?;
    let pending_out = PendingFile::new(out, &[file])?;
    let store = crate::load_recording(file)?;
    let Some(info) = store.entity_info(&entity) else {
        let known: Vec<String> = store.entities().map(ToString::to_string).collect();
        bail!(
            "{}: no entity {entity} (entities: {})",
            file.display(),
            known.join(", ")
        );
    };
    if !info
        .archetypes
        .iter()
        .any(|a| a == "Image" || a == "EncodedImage")
    {
        bail!(
            "{}: entity {entity} holds {}; transcode takes an Image or EncodedImage series (re-encoding a VideoStream needs a decoder, which reel does not have yet)",
            file.display(),
            info.archetypes.join(", ")
        );
    }
    let codec = match codec {
        Codec::H264 => VideoCodec::H264,
        Codec::Av1 => VideoCodec::AV1,
    };
    let mut settings = EncoderSettings::new(codec);
    settings.quality = quality;
    settings.keyframe_interval = keyframe_interval;
    settings.speed = speed;

    let mut writer = RecordingWriter::create(pending_out.path(), Compression::default())?;
    // Everything else, byte for byte (row ids and times kept).
    let mut image_chunks = 0;
    for chunk in store.chunks() {
        let is_images = chunk.entity_path() == &entity
            && chunk
                .archetypes()
                .iter()
                .any(|a| *a == Image::NAME || *a == EncodedImage::NAME);
        if is_images {
            image_chunks += 1;
        } else {
            writer.append_chunk(&chunk)?;
        }
    }

    let rows = store.rows_in_log_order(&entity);
    let bar = ProgressBar::new(rows.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} frames ({per_sec}, {eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_message(format!("encoding {entity} to {codec}"));
    let mut encoder = None;
    let mut size = None;
    let mut sources: Vec<(RowId, TimePoint)> = Vec::new();
    // The codec, once, as a static row in a chunk of its own.
    let codec_row = PendingRow {
        row_id: RowId::new(),
        timepoint: TimePoint::default(),
        cells: VideoStream::new(codec).to_cells(),
    };
    writer.append_chunk(&Chunk::from_rows(entity.clone(), &[codec_row])?)?;
    let mut pending: Vec<PendingRow> = Vec::new();
    let (mut frames, mut bytes_in, mut bytes_out) = (0usize, 0u64, 0u64);
    let flush = |pending: &mut Vec<PendingRow>, writer: &mut RecordingWriter<_>| -> Result<()> {
        if !pending.is_empty() {
            let chunk = Chunk::from_rows(entity.clone(), pending)?;
            writer.append_chunk(&chunk)?;
            pending.clear();
        }
        Ok(())
    };
    let emit = |packets: Vec<reel_encode::EncodedPacket>,
                sources: &[(RowId, TimePoint)],
                pending: &mut Vec<PendingRow>|
     -> Result<u64> {
        let mut n = 0;
        for p in packets {
            let (row_id, timepoint) = sources
                .get(p.frame_index as usize)
                .cloned()
                .context("encoder returned a packet for an unknown frame")?;
            n += p.data.len() as u64;
            let sample = VideoStream::from_sample(p.data)?.with_keyframe(p.is_keyframe);
            pending.push(PendingRow {
                row_id,
                timepoint,
                cells: sample.to_cells(),
            });
        }
        Ok(n)
    };
    for row in &rows {
        bar.inc(1);
        let Some(image) = image_of_row(row)? else {
            continue;
        };
        bytes_in += image.buffer().len() as u64;
        let frame = frame_from_image(&image, size)
            .with_context(|| format!("frame at row {}", row.row_id.0))?;
        if encoder.is_none() {
            let f = image.format();
            encoder = Some(new_encoder(&settings, f.width, f.height)?);
            size = Some((f.width, f.height));
        }
        sources.push((row.row_id, timepoint_of(row)));
        frames += 1;
        let packets = encoder
            .as_mut()
            .map(|e| e.encode(&frame))
            .transpose()?
            .unwrap_or_default();
        bytes_out += emit(packets, &sources, &mut pending)?;
        if pending.len() >= ROWS_PER_CHUNK {
            flush(&mut pending, &mut writer)?;
        }
    }
    if let Some(mut e) = encoder {
        bytes_out += emit(e.finish()?, &sources, &mut pending)?;
    }
    flush(&mut pending, &mut writer)?;
    writer.finish()?;
    pending_out.commit()?;
    bar.finish_and_clear();
    outln!(
        "Transcoded {frames} frames of {entity} ({image_chunks} chunks, {bytes_in} bytes of pixels) to {codec}: {bytes_out} bytes ({:.1}x smaller), everything else copied, in {:.2}s → {}",
        bytes_in as f64 / bytes_out.max(1) as f64,
        started.elapsed().as_secs_f64(),
        out.display()
    );
    Ok(())
}
