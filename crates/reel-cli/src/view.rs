//! `reel view`: the viewer window on recordings and video files.

use std::path::{Path, PathBuf};
use std::sync::mpsc;

use anyhow::{Context, bail};
use clap::Args;
use reel_viewer::{PlaybackReport, Settled, StartAt, ViewerOptions, WhenBehind};

/// Arguments of `reel view`.
#[derive(Args)]
pub struct ViewArgs {
    /// Recordings (.reel) and video files (MP4, MOV, MKV, WebM, IVF); more
    /// open from the window (Open…, Ctrl+O) or by dropping them on it.
    files: Vec<PathBuf>,
    /// Only views of entities under this path (e.g. /camera).
    #[arg(long, short)]
    entity: Option<String>,
    /// Open with the cursor at this time on the first duration or
    /// timestamp timeline (a timestamp timeline counts from its first row),
    /// e.g. 12.5s.
    #[arg(long, value_parser = crate::time_arg::parse_ns, conflicts_with = "seq")]
    time: Option<i64>,
    /// Open with the cursor at this position of a timeline, e.g. frame=300.
    #[arg(long)]
    seq: Option<String>,
    /// Follow files still being written: new rows show as they are
    /// appended, the cursor at the live edge.
    #[arg(long)]
    follow: bool,
    /// Once every view shows its picture, save the window as this PNG,
    /// print each view's picture rectangle (JSON lines; then the time it
    /// took and the peak memory), and exit.
    #[arg(long)]
    screenshot: Option<PathBuf>,
    /// When decoding falls behind while playing: `wait` (the clock waits,
    /// every frame shows) or `skip` (late frames are skipped and counted).
    #[arg(long, value_enum, default_value_t = Behind::Wait)]
    when_behind: Behind,
    /// Benchmark: once every view shows its first picture, play for this
    /// many seconds, print how it went (JSON: UI frame times, frames due
    /// and shown per view, CPU time) and exit.
    #[arg(long, value_name = "SECONDS", conflicts_with = "screenshot")]
    play_for: Option<f64>,
    /// Benchmark, with --play-for: after playing, step back one frame per
    /// UI frame (60 steps) through what was just played; the report gains
    /// those frames' times and how many steps showed their exact frame at once.
    #[arg(long, requires = "play_for")]
    step_back: bool,
}

/// `--when-behind`.
#[derive(Clone, Copy, clap::ValueEnum)]
enum Behind {
    Wait,
    Skip,
}

pub fn run(args: ViewArgs) -> anyhow::Result<()> {
    let start = match (args.time, &args.seq) {
        (Some(ns), _) => Some(StartAt::Seconds(ns as f64 / 1e9)),
        (None, Some(seq)) => {
            let (name, value) = seq
                .split_once('=')
                .context("--seq takes NAME=VALUE, e.g. frame=300")?;
            let value = value
                .trim()
                .parse()
                .with_context(|| format!("--seq {seq}: {value:?} is not a whole number"))?;
            Some(StartAt::Sequence {
                timeline: name.trim().to_owned(),
                value,
            })
        }
        (None, None) => None,
    };
    for f in &args.files {
        if !f.exists() {
            bail!("{}: no such file", f.display());
        }
    }
    if !reel_viewer::native::display_available() {
        bail!(
            "no display to open the viewer on (DISPLAY and WAYLAND_DISPLAY are unset); \
             on a machine without one, run it under Xvfb: xvfb-run reel view …"
        );
    }
    let (tx, rx) = mpsc::channel::<Settled>();
    let when_settled = args.screenshot.is_some().then(|| {
        Box::new(move |settled: Settled| {
            let _ = tx.send(settled);
        }) as reel_viewer::app::SettledHook
    });
    let (report_tx, report_rx) = mpsc::channel::<PlaybackReport>();
    let play_for = args.play_for.map(|seconds| {
        let hook: reel_viewer::app::ReportHook = Box::new(move |report| {
            let _ = report_tx.send(report);
        });
        (seconds, hook)
    });
    let options = ViewerOptions {
        start,
        entity: args.entity,
        follow: args.follow,
        when_settled,
        play_for,
        when_behind: match args.when_behind {
            Behind::Wait => WhenBehind::Wait,
            Behind::Skip => WhenBehind::Skip,
        },
        step_back: args.step_back,
    };
    let started = std::time::Instant::now();
    reel_viewer::native::run(&args.files, options).map_err(anyhow::Error::msg)?;
    if args.play_for.is_some() {
        let report = report_rx
            .try_recv()
            .context("the window closed before playing ended")?;
        print_report(&report, started.elapsed().as_secs_f64());
    }
    if let Some(path) = &args.screenshot {
        let settled = rx
            .try_recv()
            .context("the window closed before every view showed its picture")?;
        save_png(path, &settled)?;
        for message in &settled.messages {
            println!("{}", serde_json::json!({ "message": message }));
        }
        for (entity, rect, error) in &settled.views {
            println!(
                "{}",
                serde_json::json!({ "entity": entity, "rect": rect, "error": error })
            );
        }
        println!(
            "{}",
            serde_json::json!({
                "wall_seconds": started.elapsed().as_secs_f64(),
                "max_rss_mb": usage().1,
            })
        );
    }
    Ok(())
}

/// The window's pixels as an RGB PNG (temp + rename).
fn save_png(path: &Path, settled: &Settled) -> anyhow::Result<()> {
    let image = &settled.image;
    let [w, h] = image.size;
    let mut rgb = Vec::with_capacity(w * h * 3);
    for p in &image.pixels {
        rgb.extend_from_slice(&[p.r(), p.g(), p.b()]);
    }
    let tmp = path.with_extension("png.tmp");
    {
        let file = std::fs::File::create(&tmp)
            .with_context(|| format!("{}: cannot create", tmp.display()))?;
        let mut encoder = png::Encoder::new(std::io::BufWriter::new(file), w as u32, h as u32);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header()?;
        writer.write_image_data(&rgb)?;
        writer.finish()?;
    }
    std::fs::rename(&tmp, path).with_context(|| format!("{}: cannot write", path.display()))?;
    Ok(())
}

/// The playback report as one JSON object, with this process's CPU time.
/// p50/p95/p99/max of frame times in ms.
fn percentiles(ms: &[f32]) -> serde_json::Value {
    let mut ms = ms.to_vec();
    ms.sort_by(f32::total_cmp);
    let pct = |p: f64| {
        ms.get(((ms.len() as f64 - 1.0) * p).round() as usize)
            .copied()
            .unwrap_or(0.0)
    };
    serde_json::json!({ "p50": pct(0.5), "p95": pct(0.95), "p99": pct(0.99), "max": pct(1.0) })
}

fn print_report(report: &PlaybackReport, wall: f64) {
    let views: Vec<_> = report
        .views
        .iter()
        .map(|(entity, due, shown)| {
            serde_json::json!({ "entity": entity, "due": due, "shown": shown })
        })
        .collect();
    println!(
        "{}",
        serde_json::json!({
            "seconds": report.seconds,
            "ui_frames": report.frame_ms.len(),
            "ui_frame_ms": percentiles(&report.frame_ms),
            "step_back": {
                "steps": report.back_frame_ms.len(),
                "exact_at_once": report.back_exact,
                "ui_frame_ms": percentiles(&report.back_frame_ms),
            },
            "waited_seconds": report.waited_seconds,
            "views": views,
            "cpu_seconds": usage().0,
            "max_rss_mb": usage().1,
            "wall_seconds": wall,
        })
    );
}

/// This process so far: user + system CPU seconds (all its threads), and
/// peak resident memory in MB.
fn usage() -> (f64, f64) {
    // SAFETY: getrusage fills the struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } != 0 {
        return (f64::NAN, f64::NAN);
    }
    let t = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
    (
        t(usage.ru_utime) + t(usage.ru_stime),
        usage.ru_maxrss as f64 / 1024.0,
    )
}
