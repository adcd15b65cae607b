//! reel's viewer: a timeline and one view per image or video entity.
//!
//! Design decisions:
//! - **One UI for every target**: views, layout, the time cursor and the
//!   YUV shader use egui/eframe and the data model only, so the same code
//!   compiles to `wasm32` (`cargo check --target wasm32-unknown-unknown -p
//!   reel-viewer`). Files, threads and decoders sit behind the
//!   [`Recording`] trait; [`native`] implements it over reel-query and the
//!   frame server, a web build will over the network and WebCodecs.
//! - **The UI thread never decodes or waits**: every [`Recording::request`]
//!   answers at once with the best picture ready (and whether the exact one
//!   is pending); the last good frame stays while a seek decodes, with a
//!   spinner after 400 ms.
//! - **Planes to the GPU**: video frames and YUV images go up as integer
//!   textures at their own bit depth and are converted in a shader with
//!   their matrix and range ([`gpu`]), so the CPU is left for decoding.
//! - **Playback never shows a frame from the wrong time**: while a visible
//!   video's frame is not decoded, the clock waits ("buffering"), or — a
//!   setting — goes on and counts the frames it skipped.
#![deny(missing_docs)]

pub mod app;
pub mod gpu;
pub mod host;
pub mod layout;
#[cfg(not(target_arch = "wasm32"))]
pub mod native;
mod panels;
pub mod picture;
pub mod recording;
pub mod time;
mod time_panel;
mod view;

pub use app::{PlaybackReport, Settled, StartAt, ViewerApp, ViewerOptions};
pub use host::Host;
pub use recording::{EntityKind, EntitySummary, PictureReply, Recording, SampleMark};
pub use time::WhenBehind;
