//! Bitstream helpers: parameter sets and headers of H.264, H.265, AV1, VP8
//! and VP9, keyframe detection, and Annex B ↔ length-prefixed conversion.
//!
//! Written here rather than taken from a crate: the crates that parse these
//! headers are decoders (heavy, C) or cover one codec each with different
//! error models; what reel needs is a few hundred lines of header reading
//! with one rule — bounds-checked reads that return errors, never panic —
//! and every parser has a fuzz target.

pub mod av1;
pub mod bits;
pub mod h264;
pub mod h265;
mod h265_vui;
pub mod nal;
pub mod vp8;
pub mod vp9;
pub mod vp9_sizes;

use reel_types::VideoCodec;
use thiserror::Error;

/// Why a header could not be parsed.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum BitstreamError {
    /// The data ends inside a header.
    #[error("bitstream ends inside a header")]
    Truncated,
    /// A value is out of range or a marker is wrong.
    #[error("invalid bitstream: {0}")]
    Invalid(&'static str),
}

/// Color description (ISO/IEC 23091-2 code points).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ColorInfo {
    /// `colour_primaries` (1 BT.709, 2 unspecified, …).
    pub primaries: u8,
    /// `transfer_characteristics`.
    pub transfer: u8,
    /// `matrix_coefficients`.
    pub matrix: u8,
    /// Full-range (0–255) rather than limited (16–235) samples.
    pub full_range: bool,
    /// Where 4:2:0 chroma samples sit: ISO/IEC 23091-2
    /// `ChromaSampleLocType` (0 left — between two luma rows, on the left
    /// column; the default of H.264/H.265/VP9 and MPEG-2; 1 center, as JPEG;
    /// 2 top-left, as BT.2020 and AV1's "colocated").
    pub chroma_location: u8,
}

impl Default for ColorInfo {
    fn default() -> Self {
        Self {
            primaries: 2,
            transfer: 2,
            matrix: 2,
            full_range: false,
            chroma_location: 0,
        }
    }
}

/// What one keyframe sample says about its stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamInfo {
    /// The WebCodecs codec string.
    pub codec_string: String,
    /// Coded (displayed) width.
    pub width: u32,
    /// Coded (displayed) height.
    pub height: u32,
    /// Luma bit depth.
    pub bit_depth: u8,
    /// `4:2:0`, `4:2:2`, `4:4:4` or `4:0:0`.
    pub chroma_format: &'static str,
    /// Frames a decoder may have to hold back for reordering (0: none).
    pub max_num_reorder_frames: u32,
    /// Color description (H.264/H.265 VUI, AV1 color config, VP9 color
    /// space; BT.601 for VP8).
    pub color: ColorInfo,
}

/// `4:0:0`, `4:2:0`, `4:2:2` or `4:4:4` for a `chroma_format_idc`.
pub fn chroma_name(idc: u8) -> &'static str {
    match idc {
        0 => "4:0:0",
        1 => "4:2:0",
        2 => "4:2:2",
        _ => "4:4:4",
    }
}

/// Whether decoding can start at this sample (Annex B for H.264/H.265).
pub fn is_keyframe(codec: VideoCodec, sample: &[u8]) -> bool {
    match codec {
        VideoCodec::H264 => h264::is_keyframe(sample),
        VideoCodec::H265 => h265::is_keyframe(sample),
        VideoCodec::AV1 => av1::is_keyframe(sample),
        VideoCodec::VP8 => vp8::is_keyframe(sample),
        VideoCodec::VP9 => vp9::is_keyframe(sample),
    }
}

/// Describes the stream from a keyframe sample carrying its parameter sets
/// (SPS, sequence header, or VP8/VP9 key frame header); `None` if the
/// sample has none.
pub fn stream_info(codec: VideoCodec, sample: &[u8]) -> Option<StreamInfo> {
    match codec {
        VideoCodec::H264 => {
            let (sps, _) = h264::parameter_sets(sample);
            let s = h264::Sps::parse(sps.first()?).ok()?;
            Some(StreamInfo {
                codec_string: s.codec_string(),
                width: s.width,
                height: s.height,
                bit_depth: s.bit_depth_luma,
                chroma_format: chroma_name(s.chroma_format_idc),
                max_num_reorder_frames: s.max_num_reorder_frames,
                color: s.color,
            })
        }
        VideoCodec::H265 => {
            let sets = h265::parameter_sets(sample);
            let sps = sets.iter().find(|n| h265::nal_type(n) == h265::NAL_SPS)?;
            let s = h265::Sps::parse(sps).ok()?;
            Some(StreamInfo {
                codec_string: s.codec_string("hvc1"),
                width: s.width,
                height: s.height,
                bit_depth: s.bit_depth_luma,
                chroma_format: chroma_name(s.chroma_format_idc),
                max_num_reorder_frames: s.max_num_reorder_frames,
                color: s.color,
            })
        }
        VideoCodec::AV1 => {
            let obu = av1::sequence_header_obu(sample)?;
            let s = av1::SequenceHeader::parse(obu.payload).ok()?;
            // chroma_sample_position: 1 vertical (= left), 2 colocated (=
            // top-left), 0 unknown (taken as left, as dav1d renders it).
            let chroma_location = if s.chroma_sample_position == 2 { 2 } else { 0 };
            let chroma = match (s.monochrome, s.subsampling_x, s.subsampling_y) {
                (true, _, _) => "4:0:0",
                (_, true, true) => "4:2:0",
                (_, true, false) => "4:2:2",
                _ => "4:4:4",
            };
            Some(StreamInfo {
                codec_string: s.codec_string(),
                width: s.max_width,
                height: s.max_height,
                bit_depth: s.bit_depth,
                chroma_format: chroma,
                max_num_reorder_frames: 0,
                color: ColorInfo {
                    chroma_location,
                    ..s.color
                },
            })
        }
        VideoCodec::VP8 => {
            let (w, h) = vp8::keyframe_size(sample)?;
            Some(StreamInfo {
                codec_string: "vp8".into(),
                width: w,
                height: h,
                bit_depth: 8,
                chroma_format: "4:2:0",
                max_num_reorder_frames: 0,
                // VP8 is BT.601 by definition.
                color: ColorInfo {
                    matrix: 6,
                    ..ColorInfo::default()
                },
            })
        }
        VideoCodec::VP9 => {
            let frame = *vp9::split_superframe(sample).first()?;
            let h = vp9::FrameHeader::parse(frame).ok()?;
            let info = h.keyframe_info?;
            let chroma = match (info.subsampling_x, info.subsampling_y) {
                (true, true) => "4:2:0",
                (true, false) => "4:2:2",
                _ => "4:4:4",
            };
            Some(StreamInfo {
                codec_string: vp9::codec_string(
                    h.profile,
                    vp9::level_for_size(info.width, info.height),
                    &info,
                ),
                width: info.width,
                height: info.height,
                bit_depth: info.bit_depth,
                chroma_format: chroma,
                max_num_reorder_frames: 0,
                color: ColorInfo {
                    // VP9 color_space → ISO/IEC 23091-2 matrix_coefficients.
                    matrix: match info.color_space {
                        1 | 3 => 6,
                        2 => 1,
                        4 => 7,
                        5 => 9,
                        7 => 0,
                        _ => 2,
                    },
                    full_range: info.full_range,
                    ..ColorInfo::default()
                },
            })
        }
    }
}
