//! Decoding for reel: samples in, pictures out, behind one small interface
//! the CLI, the native viewer and the web server share.
//!
//! - [`Decoder`]: send samples in decode order, receive [`DecodedFrame`]s
//!   in presentation order with their PTS — separate calls, so that a
//!   decoder may deliver pictures later (the `ffmpeg` process here; the
//!   browser's WebCodecs in the web viewer); a bad sample is an error for
//!   that sample only (the decoder resumes at the next keyframe).
//! - Backends, fastest first: FFmpeg's libavcodec loaded in-process at run
//!   time where FFmpeg ≥ 5.1 is installed (every codec); AV1 with libdav1d
//!   in-process (feature `dav1d`) or rav1d built in (default feature
//!   `rav1d`); H.264 with openh264 in-process (bundled, no system library);
//!   anything through an `ffmpeg` child process (the fallback when FFmpeg's
//!   libraries cannot be loaded).
//! - [`FrameSource`]: the frame shown at a time, decoding from the right
//!   keyframe, with a decoded-frame cache under a memory budget; live
//!   streams keep appending samples.
//! - [`Playback`]: a `FrameSource` with a worker thread that decodes ahead
//!   of the playhead while a viewer plays.
//! - [`FrameServer`]: many streams on one pool of decoding threads, with a
//!   request that answers at once (the best frame decoded so far, and
//!   whether the exact one is pending) — what an interactive viewer uses.
//!
//! Design decisions:
//! - **In-process where it matters**: decoding never needs a process round
//!   trip where FFmpeg is installed (libavcodec is loaded at run time, so
//!   reel builds without FFmpeg), and H.264/AV1 decode in-process even
//!   without it: one sample in, one picture out for streams without
//!   B-frames, so the newest frame of a live stream shows at once.
//! - **The stream's own color description and layout**: pictures carry the
//!   matrix and range from the keyframe headers, not what a backend happens
//!   to report, and keep their chroma layout (4:2:0, 4:2:2, 4:4:4, gray)
//!   and bit depth; RGB conversion works from the full sample precision.
//! - **One frame cache, shared by seeking, scrubbing and prefetch**: every
//!   decoded picture goes to it; `Playback` fills it ahead of the playhead.
//!   Behind the playhead it keeps what is asked for again (viewers: all of
//!   their budget), so reading a long stream once touches little memory.
//! - **Reading in order uses every core without waiting**: a stream read
//!   for throughput is decoded a group of pictures per core, each on a
//!   one-thread decoder (`gop_parallel`), where frame threads would wait for
//!   each other's reference rows; only at clean keyframes without leading
//!   pictures, and only while a group per core fits the budget.
//! - **PTS travels with every picture, as the decoder reports it**:
//!   libavcodec carries a tag per packet through `AVPacket.pts` to
//!   `AVFrame.pts`, libdav1d its timestamp, the ffmpeg process the sample's
//!   PTS through IVF frame headers and `showinfo`; openh264 gets only
//!   streams without reordering (one picture per sample). A sample that
//!   yields no picture (RASL pictures where decoding starts at a CRA) so
//!   never shifts the labels of later pictures. Only a decoder that loses
//!   every timestamp falls back to the set of pending PTS (pictures leave in presentation
//!   order), so B-frames are handled the same way everywhere.
#![deny(missing_docs)]

mod backends;
#[cfg(all(feature = "dav1d", feature = "rav1d"))]
compile_error!(
    "reel-decode: the `dav1d` and `rav1d` features both define libdav1d's C functions \
     (dav1d_open, ...) and cannot be linked into one binary; turn off default features \
     (reel-cli: --no-default-features --features viewer,dav1d)"
);

mod av1;
mod decoder;
mod error;
pub mod ffmpeg;
mod frame_server;
mod gop_parallel;
pub mod libav;
mod openh264;
mod playback;
mod pool;
mod source;

pub use backends::{default_backend, new_decoder, new_decoder_with, openh264_decodes};
pub use decoder::{Backend, Decoder, DecoderOptions, Output, SampleIn};
pub use error::DecodeError;
pub use frame_server::{FrameReply, FrameServer, ServerOptions, StreamFrames, StreamStats};
pub use playback::Playback;
pub use reel_types::picture::{ChromaLayout, DecodedFrame, Matrix, PlaneView};
pub use source::{
    DEFAULT_CACHE_BYTES, FrameSource, HISTORY_FLOOR_BYTES, SampleReader, SourceStats, StreamSample,
};
