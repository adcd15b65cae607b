//! Writing MP4 files from reel samples without re-encoding.
//!
//! `shiguredo_mp4` lays out the boxes (sample tables, `ctts`, `stss`, `co64`,
//! fragments); reel adds the edit list it does not write, so a stream with
//! B-frames shows its first frame at zero with the source's DTS kept — the
//! same packets `ffmpeg -c copy` would write.

mod mp4;
mod sample_entry;

pub use mp4::{Mp4Options, MuxReport, StreamSample, write_mp4};
pub use sample_entry::{sample_entry_from_keyframe, to_container_sample};
