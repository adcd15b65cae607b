//! The viewer on a desktop: files opened from disk, decoded on reel's
//! frame server (one pool of threads for every stream), images decoded on
//! the image loader's thread. Nothing here runs on the UI's paint path but
//! index lookups and replies already decoded.

mod background;
mod file_dialog;
mod frame_facts;
mod host;
mod loading;
mod recording_file;
mod settings;
mod stream_entry;
mod video_file;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use reel_decode::{FrameServer, ServerOptions};

use crate::app::{ViewerApp, ViewerOptions};
use crate::host::Host;
use crate::recording::Recording;

pub use host::NativeHost;
pub use recording_file::RecordingFile;
pub use settings::Settings;
pub use video_file::VideoFile;

/// Memory for loaded chunks of each recording (evicted oldest first; the
/// file is read again when they are needed). Settable in the window.
pub const STORE_BUDGET: usize = 128 << 20;

/// Memory for decoded frames, shared by every stream: a second ahead of
/// one 1080p and four 720p streams. Settable in the window.
pub const FRAME_BUDGET: usize = 256 << 20;

/// The budget of decoded frames, as the window lists it.
pub const FRAMES: &str = "decoded frames";

/// The budget of a recording's loaded chunks.
pub const CHUNKS: &str = "recording chunks";

fn frame_budget(server: &FrameServer) -> crate::recording::Budget {
    crate::recording::Budget {
        name: FRAMES.into(),
        used: server.cached_bytes(),
        limit: server.frame_budget(),
        shared: true,
    }
}

/// Opens `path`: a reel recording (by its magic bytes), else a video file.
pub fn open(
    path: &Path,
    server: &Arc<FrameServer>,
    follow: bool,
) -> Result<Box<dyn Recording>, String> {
    let mut magic = [0u8; 8];
    let is_recording = std::fs::File::open(path)
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut magic))
        .map(|_| magic == reel_store::format::MAGIC)
        .unwrap_or(false);
    if is_recording || path.extension().is_some_and(|e| e == "reel") {
        Ok(Box::new(RecordingFile::open(path, server.clone(), follow)?))
    } else {
        Ok(Box::new(VideoFile::open(path, server)?))
    }
}

/// Opens the window on `files` and runs until it is closed.
pub fn run(files: &[PathBuf], options: ViewerOptions) -> Result<(), String> {
    // Saved settings first: they say where FFmpeg is for every decoder.
    let (settings, settings_error) = Settings::load();
    settings.apply();
    let server = Arc::new(FrameServer::new(ServerOptions {
        frame_budget: FRAME_BUDGET,
        ..ServerOptions::default()
    }));
    let mut host = NativeHost::new(server, options.follow, settings);
    let mut recordings = Vec::new();
    let mut errors: Vec<String> = settings_error.into_iter().collect();
    for f in files {
        match host.open(f) {
            Ok(r) => recordings.push(r),
            Err(e) => errors.push(e),
        }
    }
    if recordings.is_empty() && !errors.is_empty() && !files.is_empty() {
        return Err(errors.join("\n"));
    }
    let title = match files {
        [one] => format!("reel — {}", one.display()),
        _ => "reel".to_owned(),
    };
    let native = eframe::NativeOptions {
        viewport: eframe::egui::ViewportBuilder::default()
            .with_title(title)
            .with_inner_size([1280.0, 800.0])
            .with_drag_and_drop(true),
        renderer: eframe::Renderer::Glow,
        ..Default::default()
    };
    eframe::run_native(
        "reel",
        native,
        Box::new(move |_cc| {
            let mut app = ViewerApp::new(recordings, options, Some(Box::new(host)));
            for e in errors {
                app.report(e);
            }
            Ok(Box::new(app))
        }),
    )
    .map_err(|e| {
        format!(
            "the viewer window could not open ({e}); a display is needed (DISPLAY or \
             WAYLAND_DISPLAY), e.g. `xvfb-run reel view …` on a machine without one"
        )
    })
}

/// Whether a window can open here (a display to open it on).
pub fn display_available() -> bool {
    std::env::var_os("DISPLAY").is_some_and(|d| !d.is_empty())
        || std::env::var_os("WAYLAND_DISPLAY").is_some_and(|d| !d.is_empty())
}
