//! `reel`: inspect, print and demo reel recordings.
//!
//! The binary only wires the library crates together: argument parsing
//! here, one module per subcommand, no logic another tool would want.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod demo;
mod export;
mod frame;
mod import;
mod info;
mod output;
mod print;
mod time_arg;
mod transcode;
mod video_info;
#[cfg(feature = "viewer")]
mod view;

/// Log, store and inspect camera images and video.
#[derive(Parser)]
#[command(name = "reel", version, arg_required_else_help = true)]
struct Cli {
    /// Show what reel does on stderr (-v: steps, -vv: details such as
    /// ffmpeg's output). RUST_LOG (e.g. `RUST_LOG=reel_decode=debug`) overrides.
    #[arg(long, short, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Summarise a recording: entities, archetypes, timelines, sizes, codecs, damage.
    Info {
        /// The recording (.reel).
        file: PathBuf,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Print the rows of a recording, per entity in logging order.
    Print {
        /// The recording (.reel).
        file: PathBuf,
        /// Only this entity (e.g. /camera/front).
        #[arg(long, short)]
        entity: Option<String>,
        /// At most this many rows per entity.
        #[arg(long, short = 'n', default_value_t = 20)]
        limit: usize,
    },
    /// Describe a video file: tracks, codec string, size, frames, keyframes, B-frames.
    VideoInfo {
        /// The video file (MP4, MOV, MKV, WebM, IVF).
        media: PathBuf,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
        /// Print the frame presentation timestamps in ns, one per line, sorted.
        #[arg(long, conflicts_with = "json")]
        timestamps: bool,
    },
    /// Import a video file into a recording, as a whole asset or as stream samples.
    Import {
        /// The video file (MP4, MOV, MKV, WebM, IVF).
        media: PathBuf,
        /// The recording to write (.reel).
        #[arg(long, short)]
        out: PathBuf,
        /// Entity to log the video to (default: /video).
        #[arg(long, short, default_value = "/video")]
        entity: String,
        /// `asset`: the file as one AssetVideo plus a VideoFrameReference per frame;
        /// `stream`: one VideoStream row per sample, copied without re-encoding.
        #[arg(long = "as", value_enum, default_value_t = import::Mode::Stream)]
        mode: import::Mode,
    },
    /// Write a video entity of a recording to MP4 without re-encoding.
    ExportMp4 {
        /// The recording (.reel).
        file: PathBuf,
        /// The VideoStream or AssetVideo entity.
        #[arg(long, short)]
        entity: String,
        /// Output file.
        #[arg(long, short)]
        out: PathBuf,
        /// Start at the keyframe at or before this time (e.g. 12.5s, 500ms, 12.5).
        #[arg(long, value_parser = time_arg::parse_ns)]
        from: Option<i64>,
        /// End with the last frame shown at or before this time.
        #[arg(long, value_parser = time_arg::parse_ns)]
        to: Option<i64>,
        /// Write a fragmented MP4 (a moof/mdat pair per GOP), for streaming.
        #[arg(long)]
        fragmented: bool,
        /// Timeline with the samples' presentation times, when they carry none.
        #[arg(long)]
        timeline: Option<String>,
        /// Frame rate, for streams logged only on a frame-number timeline.
        #[arg(long)]
        fps: Option<f64>,
    },
    /// Write the frame shown at a time as a PNG, from a recording or a video file.
    Frame(frame::FrameArgs),
    /// Turn an Image/EncodedImage series into an H.264 or AV1 VideoStream; copy the rest.
    Transcode {
        /// The recording (.reel).
        file: PathBuf,
        /// The entity holding the images.
        #[arg(long, short)]
        entity: String,
        /// Video codec to encode with.
        #[arg(long, value_enum, default_value_t = transcode::Codec::H264)]
        codec: transcode::Codec,
        /// Quality 1-100 (higher: better and bigger).
        #[arg(long, default_value_t = 75)]
        quality: u8,
        /// A keyframe every this many frames.
        #[arg(long, default_value_t = 60)]
        keyframe_interval: u32,
        /// Encoder speed 0 (slowest, best) to 10 (fastest).
        #[arg(long, default_value_t = 9)]
        speed: u8,
        /// Output recording.
        #[arg(long, short)]
        out: PathBuf,
    },
    /// Open the viewer on recordings and video files: a view per image or
    /// video entity, a timeline to play and scrub.
    #[cfg(feature = "viewer")]
    View(view::ViewArgs),
    /// Log a synthetic camera in every form to a recording and say how to look at it.
    Demo {
        /// Where to write the recording.
        #[arg(long, short, default_value = "demo.reel")]
        out: PathBuf,
        /// Number of frames of the synthetic camera (30 per second).
        #[arg(long, default_value_t = 120)]
        frames: u32,
        /// Do not open the viewer on the recording (it opens where a
        /// display is available).
        #[arg(long)]
        no_view: bool,
    },
}

/// Loads a recording, warning (not failing) when parts were unreadable.
fn load_recording(file: &std::path::Path) -> anyhow::Result<reel_sdk::Store> {
    let (store, report) = reel_sdk::Store::load(file)?;
    if report.is_damaged() {
        eprintln!(
            "warning: {}: some data was unreadable and skipped; see `reel info`",
            file.display()
        );
    }
    Ok(store)
}

/// Diagnostics go through `tracing` to stderr, quiet unless asked for.
fn init_diagnostics(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .without_time()
        .with_target(true)
        .init();
}

/// An error and its causes on one line, each cause once: many errors
/// already print their source ("x: Is a directory"), and repeating it as
/// a cause doubled the message.
fn error_line(e: &anyhow::Error) -> String {
    let mut line = e.to_string();
    for cause in e.chain().skip(1) {
        let cause = cause.to_string();
        if !line.contains(&cause) {
            line.push_str(": ");
            line.push_str(&cause);
        }
    }
    line
}

/// Keeps glibc from holding on to freed chunk-sized blocks. By default it
/// raises its mmap threshold to the largest block freed (up to 32 MiB), so
/// the 10 MB buffers of chunks read and dropped again stay in its heap:
/// loading and playing a 6-minute stream under a 50 MB budget peaked at 264
/// MB against 209 MB for 2 minutes; with the threshold fixed, 127 and 125
/// MB (`cargo test -p reel-cli --test memory -- --nocapture`).
fn bound_the_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter; it is called before
    // any other thread exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
    }
}

fn main() -> ExitCode {
    bound_the_allocator();
    let cli = Cli::parse();
    init_diagnostics(cli.verbose);
    let result = match cli.command {
        Command::Info { file, json } => info::run(&file, json),
        Command::Print {
            file,
            entity,
            limit,
        } => print::run(&file, entity.as_deref(), limit),
        Command::Demo {
            out,
            frames,
            no_view,
        } => demo::run(&out, frames, !no_view),
        Command::Frame(args) => frame::run(args),
        #[cfg(feature = "viewer")]
        Command::View(args) => view::run(args),
        Command::Transcode {
            file,
            entity,
            codec,
            quality,
            keyframe_interval,
            speed,
            out,
        } => transcode::run(
            &file,
            &entity,
            codec,
            quality,
            keyframe_interval,
            speed,
            &out,
        ),
        Command::VideoInfo {
            media,
            json,
            timestamps,
        } => video_info::run(&media, json, timestamps),
        Command::Import {
            media,
            out,
            entity,
            mode,
        } => import::run(&media, &out, &entity, mode),
        Command::ExportMp4 {
            file,
            entity,
            out,
            from,
            to,
            fragmented,
            timeline,
            fps,
        } => export::run(
            &file,
            &entity,
            &out,
            reel_sdk::remux::ExportOptions {
                from_ns: from,
                to_ns: to,
                fragmented,
                timeline,
                fps,
            },
        ),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", error_line(&e));
            ExitCode::FAILURE
        }
    }
}
