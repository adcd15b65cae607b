//! `reel frame`: the frame shown at a time, as a PNG.

use crate::output::{PendingFile, outln};
use crate::time_arg::seconds;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use reel_decode::{Backend, DecodedFrame, FrameSource, StreamSample};
use reel_sdk::{AssetVideo, EntityPath, MediaFile, Store, VideoFrameReference, VideoStream};
use reel_store::format::MAGIC;
use reel_store::{RecordingReader, RowHandle};
use reel_types::{TimeType, VideoCodec};

fn write_png(frame: &DecodedFrame, out: &Path) -> Result<()> {
    let rgb = frame.to_rgb8();
    let mut bytes = Vec::new();
    let mut enc = png::Encoder::new(&mut bytes, frame.width, frame.height);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    let mut writer = enc.write_header()?;
    writer.write_image_data(&rgb)?;
    writer.finish()?;
    std::fs::write(out, &bytes).with_context(|| format!("writing {}", out.display()))
}

/// The clock a time is read on, to say times the way the user gave them.
enum Clock {
    /// A timeline of the recording.
    Timeline { name: String, typ: TimeType },
    /// Media time of a video file or an AssetVideo.
    Video,
}

impl Clock {
    fn show(&self, t: i64) -> String {
        match self {
            Self::Timeline {
                name,
                typ: TimeType::Sequence,
            } => format!("{name} #{t}"),
            Self::Timeline {
                name,
                typ: TimeType::DurationNs,
            } => format!("{} on {name}", seconds(t)),
            Self::Timeline { name, typ } => format!("{} on {name}", typ.format_value(t)),
            Self::Video => format!("video time {}", seconds(t)),
        }
    }
}

/// `-o` must name a PNG: reel writes nothing else under another name.
fn check_png_name(out: &Path) -> Result<()> {
    let ext = out
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    if ext != "png" {
        bail!(
            "{}: reel frame writes PNG images; give the output a .png name",
            out.display()
        );
    }
    Ok(())
}

/// The samples of a VideoStream entity, timed by `pts_of`.
fn source_from_stream(
    store: &Store,
    entity: &EntityPath,
    pts_of: &dyn Fn(&RowHandle, &VideoStream) -> Option<i64>,
) -> Result<FrameSource> {
    let mut codec = None;
    let mut samples = Vec::new();
    for row in store.rows_in_log_order(entity) {
        let Some(s) = row.get::<VideoStream>()? else {
            continue;
        };
        codec = s.codec.or(codec);
        let Some(data) = s.sample.clone() else {
            continue;
        };
        let Some(pts) = pts_of(&row, &s) else {
            continue;
        };
        samples.push((data, pts, s.is_keyframe));
    }
    let codec: VideoCodec =
        codec.with_context(|| format!("{entity}: no VideoStream codec was logged"))?;
    let mut source = FrameSource::new(codec);
    for (data, pts, key) in samples {
        let is_keyframe = key.unwrap_or_else(|| reel_video::bitstream::is_keyframe(codec, &data));
        source.append(StreamSample {
            data: Arc::from(data.as_slice()),
            pts,
            is_keyframe,
        });
    }
    Ok(source)
}

/// For a VideoStream entity of a cleanly closed recording: a store of just
/// the chunks that decode the frame at `t` (found with the footer's
/// keyframe index), the timeline, and how many of the file's chunks that
/// is. `None` (read everything) without a footer, for other archetypes,
/// or when the stream's keyframes were not flagged.
fn indexed_stream_store(
    source: &Path,
    entity: &EntityPath,
    timeline: Option<&str>,
    t: i64,
) -> Result<Option<(Store, String, usize, usize)>> {
    let mut reader = RecordingReader::open(source)?;
    let Some(index) = reader.read_index()? else {
        return Ok(None);
    };
    let mine: Vec<_> = index
        .chunks
        .iter()
        .filter(|c| &c.entity_path == entity)
        .collect();
    if !mine
        .iter()
        .any(|c| c.components.iter().any(|n| n.starts_with("VideoStream:")))
    {
        return Ok(None);
    }
    // The same default as `Store::entity_info` gives: the first
    // non-sequence timeline by name.
    let timelines: BTreeMap<&str, TimeType> = mine
        .iter()
        .flat_map(|c| c.time_ranges.iter().map(|r| (r.timeline.as_str(), r.typ)))
        .collect();
    let Some(name) = timeline.map(str::to_owned).or_else(|| {
        timelines
            .iter()
            .find(|(_, typ)| **typ != TimeType::Sequence)
            .map(|(n, _)| n.to_string())
    }) else {
        return Ok(None);
    };
    let Some(offsets) = index.chunks_for_frame_at(entity, &name, t) else {
        return Ok(None);
    };
    let chunks = offsets
        .iter()
        .map(|o| reader.read_chunk_at(*o))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some((
        Store::from_chunks(chunks),
        name,
        offsets.len(),
        index.chunks.len(),
    )))
}

fn time_on(row: &RowHandle, timeline: &str) -> Option<i64> {
    let (_, values) = row.chunk.timeline_values(timeline)?;
    values.get(row.row).copied().flatten()
}

/// Which decoder `reel frame --decoder` asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum DecoderChoice {
    /// The fastest that decodes the stream exactly.
    Auto,
    /// FFmpeg's libavcodec, loaded in-process.
    Libav,
    /// openh264 (H.264 without frame reordering).
    Openh264,
    /// libdav1d (AV1; the `dav1d` build feature).
    Dav1d,
    /// An `ffmpeg` child process.
    Ffmpeg,
}

impl DecoderChoice {
    fn backend(self) -> Option<Backend> {
        match self {
            Self::Auto => None,
            Self::Libav => Some(Backend::Libav),
            Self::Openh264 => Some(Backend::OpenH264),
            Self::Dav1d => Some(Backend::Dav1d),
            Self::Ffmpeg => Some(Backend::Ffmpeg),
        }
    }
}

/// What `reel frame` takes.
#[derive(Debug, clap::Args)]
pub struct FrameArgs {
    /// A recording (.reel) or a video file (MP4, MOV, MKV, WebM, IVF).
    source: PathBuf,
    /// Video entity (recordings only): a VideoStream, an AssetVideo, or
    /// VideoFrameReference rows pointing at either.
    #[arg(long, short)]
    entity: Option<String>,
    /// Time on a duration/timestamp timeline (recordings), e.g. 12.5s.
    #[arg(long, value_parser = crate::time_arg::parse_ns, conflicts_with_all = ["seq", "at"])]
    time: Option<i64>,
    /// The timeline of --time (default: the entity's first duration timeline).
    #[arg(long)]
    timeline: Option<String>,
    /// Position on a sequence timeline (recordings), e.g. frame=300.
    #[arg(long, conflicts_with = "at")]
    seq: Option<String>,
    /// Media time in a video file (as ffprobe's pts_time), e.g. 12.5s.
    #[arg(long, value_parser = crate::time_arg::parse_ns)]
    at: Option<i64>,
    /// Decoder to use (auto: FFmpeg's libavcodec in-process where
    /// installed, libdav1d for AV1, openh264 for H.264 without
    /// B-frames, else an ffmpeg process).
    #[arg(long, value_enum, default_value_t = DecoderChoice::Auto)]
    decoder: DecoderChoice,
    /// Output PNG.
    #[arg(long, short)]
    out: PathBuf,
}

pub fn run(args: FrameArgs) -> Result<()> {
    let FrameArgs {
        source,
        entity,
        time,
        timeline,
        seq,
        at,
        decoder,
        out,
    } = args;
    let (source, out) = (source.as_path(), out.as_path());
    check_png_name(out)?;
    let (entity, timeline, seq) = (entity.as_deref(), timeline.as_deref(), seq.as_deref());
    // The magic only: a recording is then read through its index, not whole.
    let mut head = Vec::with_capacity(MAGIC.len());
    std::fs::File::open(source)
        .and_then(|f| f.take(MAGIC.len() as u64).read_to_end(&mut head))
        .with_context(|| format!("reading {}", source.display()))?;
    let is_recording = head == MAGIC;
    // The frames, the time to show, its clock, and whose frames they are.
    let (mut frames, t, clock, subject) = if !is_recording {
        let at = at.context("a video file takes --at TIME (media time, e.g. 12.5s)")?;
        let mut file = MediaFile::open(source)?;
        let frames = FrameSource::from_media_file(&mut file)?;
        (frames, at, Clock::Video, source.display().to_string())
    } else {
        let entity = EntityPath::parse(entity.context("a recording takes --entity PATH")?)?;
        let seq = seq
            .map(|s| -> Result<(String, i64)> {
                let (n, v) = s
                    .split_once('=')
                    .context("--seq takes NAME=VALUE, e.g. frame=300")?;
                Ok((
                    n.to_owned(),
                    v.parse()
                        .with_context(|| format!("{v:?} is not a whole number"))?,
                ))
            })
            .transpose()?;
        let indexed = match (time, &seq) {
            (Some(t), _) => indexed_stream_store(source, &entity, timeline, t)?,
            (None, Some((n, v))) => indexed_stream_store(source, &entity, Some(n), *v)?,
            _ => None,
        };
        let store = match indexed {
            Some((store, name, read, total)) => {
                tracing::info!(
                    "keyframe index: read {read} of {total} chunks for {entity} on {name}"
                );
                store
            }
            None => Store::load(source)?.0,
        };
        let info = store
            .entity_info(&entity)
            .with_context(|| format!("{}: no entity {entity}", source.display()))?;
        // Which timeline and time.
        let (tl_name, t) = match (time, seq) {
            (Some(t), _) => {
                let name = match timeline {
                    Some(n) => n.to_owned(),
                    None => info
                        .timelines
                        .iter()
                        .find(|t| t.timeline.typ != TimeType::Sequence)
                        .map(|t| t.timeline.name.to_string())
                        .context("the entity has no duration or timestamp timeline; use --seq NAME=VALUE")?,
                };
                (name, t)
            }
            (None, Some((n, v))) => (n, v),
            _ => bail!("give --time T or --seq NAME=VALUE"),
        };
        let typ = info
            .timelines
            .iter()
            .find(|x| x.timeline.name.as_str() == tl_name)
            .map(|x| x.timeline.typ)
            .with_context(|| {
                let names: Vec<_> = info
                    .timelines
                    .iter()
                    .map(|x| x.timeline.name.to_string())
                    .collect();
                format!(
                    "{entity} is not on a timeline {tl_name} (its timelines: {})",
                    names.join(", ")
                )
            })?;
        let timeline_clock = Clock::Timeline {
            name: tl_name.clone(),
            typ,
        };
        let has = |a: &str| info.archetypes.iter().any(|x| x == a);
        if has("VideoStream") {
            // The sample's time on the timeline is its presentation time.
            let name = tl_name.clone();
            let frames = source_from_stream(&store, &entity, &|row, _| time_on(row, &name))?;
            (frames, t, timeline_clock, entity.to_string())
        } else if has("VideoFrameReference") {
            let reference = store
                .latest_at(&entity, &tl_name, t, &VideoFrameReference::TIMESTAMP)
                .with_context(|| {
                    format!(
                        "{entity}: no VideoFrameReference at or before {}",
                        timeline_clock.show(t)
                    )
                })?
                .get::<VideoFrameReference>()?
                .context("unreadable VideoFrameReference")?;
            let video = reference
                .video_reference
                .clone()
                .unwrap_or_else(|| entity.clone());
            let video_info = store.entity_info(&video).with_context(|| {
                format!("{entity} refers to {video}, which is not in the recording")
            })?;
            if video_info.archetypes.iter().any(|a| a == "AssetVideo") {
                let asset: AssetVideo =
                    reel_sdk::remux::asset_video(&store, &video).with_context(|| {
                        format!(
                            "{}: {video}: its AssetVideo rows hold no video bytes",
                            source.display()
                        )
                    })?;
                let mut file = MediaFile::from_bytes(
                    asset.blob().to_vec(),
                    format!("{}: the AssetVideo of {video}", source.display()),
                )?;
                let frames = FrameSource::from_media_file(&mut file)?;
                (
                    frames,
                    reference.timestamp_ns,
                    Clock::Video,
                    video.to_string(),
                )
            } else {
                // A reference into a VideoStream names its media PTS.
                let frames =
                    source_from_stream(&store, &video, &|_, s| s.presentation_timestamp_ns)?;
                if frames.is_empty() {
                    bail!(
                        "{video}: its samples carry no media presentation timestamps to refer to"
                    );
                }
                (
                    frames,
                    reference.timestamp_ns,
                    Clock::Video,
                    video.to_string(),
                )
            }
        } else {
            bail!("{entity} holds {}: not a video", info.archetypes.join(", "));
        }
    };
    frames.set_backend(decoder.backend());
    let times = frames.frame_times();
    let (first, last) = (times.first().copied(), times.last().copied());
    let frame = frames
        .frame_at(t)
        .with_context(|| format!("{subject}: decoding the frame at {}", clock.show(t)))?
        .with_context(|| match first {
            Some(first) => format!(
                "{subject}: no frame at or before {}: the first is at {}",
                clock.show(t),
                clock.show(first)
            ),
            None => format!("{subject}: no frames"),
        })?;
    let pending_out = PendingFile::new(out, &[source])?;
    write_png(&frame, pending_out.path())?;
    pending_out.commit()?;
    outln!(
        "Wrote {} ({}x{}): {subject}, the frame at {}, decoded with {}",
        out.display(),
        frame.width,
        frame.height,
        clock.show(frame.pts),
        frames.backend().context("no decoder")?
    );
    if let Some(last) = last.filter(|&last| t > last) {
        eprintln!(
            "note: {} is after the last frame ({}); that frame was written",
            clock.show(t),
            clock.show(last)
        );
    }
    Ok(())
}
