//! `reel frame`: the frame shown at a time, as a PNG.

use crate::output::{PendingFile, outln};
use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use reel_decode::{Backend, DecodedFrame};
use reel_query::frames::{At, Clock, EntityFrames, file_frames, recording_frames};
use reel_sdk::EntityPath;
use reel_store::format::MAGIC;

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
    /// rav1d, built in (AV1).
    Rav1d,
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
            Self::Rav1d => Some(Backend::Rav1d),
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
    let EntityFrames {
        mut frames,
        t,
        clock,
        subject,
        ..
    } = if !is_recording {
        let at = at.context("a video file takes --at TIME (media time, e.g. 12.5s)")?;
        EntityFrames {
            frames: file_frames(source)?,
            t: at,
            clock: Clock::Video,
            subject: source.display().to_string(),
            chunks_read: None,
        }
    } else {
        let entity = EntityPath::parse(entity.context("a recording takes --entity PATH")?)?;
        let at = match (time, seq) {
            (Some(ns), _) => At::Time {
                timeline: timeline.map(str::to_owned),
                ns,
            },
            (None, Some(s)) => {
                let (n, v) = s
                    .split_once('=')
                    .context("--seq takes NAME=VALUE, e.g. frame=300")?;
                At::Sequence {
                    timeline: n.to_owned(),
                    value: v
                        .parse()
                        .with_context(|| format!("{v:?} is not a whole number"))?,
                }
            }
            _ => bail!("give --time T or --seq NAME=VALUE"),
        };
        recording_frames(source, &entity, &at)?
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
    let stats = frames.stats();
    if stats.bytes_read > 0 {
        tracing::info!(
            "read {} bytes of samples from {} ({} samples decoded)",
            stats.bytes_read,
            source.display(),
            stats.samples_decoded
        );
    }
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
