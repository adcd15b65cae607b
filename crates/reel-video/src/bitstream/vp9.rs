//! VP9: superframes, the uncompressed header, keyframes, `vpcC`, codec strings.

use super::BitstreamError;
use super::bits::BitReader;

/// The frames of a sample: a superframe's frames, or the sample itself.
pub fn split_superframe(data: &[u8]) -> Vec<&[u8]> {
    let Some(&last) = data.last() else {
        return Vec::new();
    };
    if last & 0xe0 == 0xc0 {
        let frames = usize::from(last & 7) + 1;
        let size_bytes = usize::from((last >> 3) & 3) + 1;
        let index_len = 2 + size_bytes * frames;
        if data.len() >= index_len && data[data.len() - index_len] == last {
            let mut sizes = &data[data.len() - index_len + 1..data.len() - 1];
            let mut out = Vec::with_capacity(frames);
            let mut pos = 0usize;
            for _ in 0..frames {
                let size = sizes[..size_bytes]
                    .iter()
                    .rev()
                    .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
                sizes = &sizes[size_bytes..];
                let Some(frame) = data.get(pos..pos + size) else {
                    return vec![data];
                };
                out.push(frame);
                pos += size;
            }
            return out;
        }
    }
    vec![data]
}

/// What a VP9 frame header says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FrameHeader {
    /// Profile 0..=3.
    pub profile: u8,
    /// Whether this is a key frame.
    pub is_keyframe: bool,
    /// `show_existing_frame`.
    pub show_existing_frame: bool,
    /// Key frames only: bit depth, chroma subsampling, range, size.
    pub keyframe_info: Option<KeyframeInfo>,
}

/// Stream properties a VP9 key frame carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyframeInfo {
    /// 8, 10 or 12.
    pub bit_depth: u8,
    /// VP9 `color_space` (0 unknown, 1 BT.601, 2 BT.709, …, 7 sRGB).
    pub color_space: u8,
    /// Full-range samples.
    pub full_range: bool,
    /// `subsampling_x`.
    pub subsampling_x: bool,
    /// `subsampling_y`.
    pub subsampling_y: bool,
    /// Frame width.
    pub width: u32,
    /// Frame height.
    pub height: u32,
}

impl FrameHeader {
    /// Parses the start of an uncompressed frame header.
    pub fn parse(frame: &[u8]) -> Result<Self, BitstreamError> {
        let mut r = BitReader::new(frame);
        if r.bits(2)? != 2 {
            return Err(BitstreamError::Invalid("VP9 frame_marker is not 2"));
        }
        let low = r.bit()?;
        let high = r.bit()?;
        let profile = (u8::from(high) << 1) | u8::from(low);
        if profile == 3 {
            r.bit()?;
        }
        if r.bit()? {
            r.skip(3)?;
            return Ok(Self {
                profile,
                is_keyframe: false,
                show_existing_frame: true,
                keyframe_info: None,
            });
        }
        let is_keyframe = !r.bit()?;
        r.skip(2)?; // show_frame, error_resilient_mode
        if !is_keyframe {
            return Ok(Self {
                profile,
                is_keyframe,
                show_existing_frame: false,
                keyframe_info: None,
            });
        }
        if r.bits(24)? != 0x49_83_42 {
            return Err(BitstreamError::Invalid("VP9 key frame sync code missing"));
        }
        let bit_depth = if profile >= 2 {
            if r.bit()? { 12 } else { 10 }
        } else {
            8
        };
        let color_space = r.bits(3)? as u8;
        let (full_range, sx, sy);
        if color_space != 7 {
            full_range = r.bit()?;
            if profile == 1 || profile == 3 {
                sx = r.bit()?;
                sy = r.bit()?;
                r.bit()?;
            } else {
                sx = true;
                sy = true;
            }
        } else {
            full_range = true;
            sx = false;
            sy = false;
            if profile == 1 || profile == 3 {
                r.bit()?;
            }
        }
        let width = r.bits32(16)? + 1;
        let height = r.bits32(16)? + 1;
        Ok(Self {
            profile,
            is_keyframe,
            show_existing_frame: false,
            keyframe_info: Some(KeyframeInfo {
                bit_depth,
                color_space,
                full_range,
                subsampling_x: sx,
                subsampling_y: sy,
                width,
                height,
            }),
        })
    }
}

/// Whether a sample (frame or superframe) starts with a key frame.
pub fn is_keyframe(sample: &[u8]) -> bool {
    split_superframe(sample)
        .first()
        .and_then(|f| FrameHeader::parse(f).ok())
        .is_some_and(|h| h.is_keyframe)
}

/// The smallest VP9 level whose maximum luma picture size holds `w`x`h`
/// (Annex A; frame rate and bitrate are not known from one frame, so this
/// is a lower bound, as the `vpcC` level field allows).
pub fn level_for_size(width: u32, height: u32) -> u8 {
    let luma = u64::from(width) * u64::from(height);
    const LEVELS: [(u64, u8); 14] = [
        (36_864, 10),
        (73_728, 11),
        (122_880, 20),
        (245_760, 21),
        (552_960, 30),
        (983_040, 31),
        (2_228_224, 40),
        (2_228_224, 41),
        (8_912_896, 50),
        (8_912_896, 51),
        (8_912_896, 52),
        (35_651_584, 60),
        (35_651_584, 61),
        (35_651_584, 62),
    ];
    LEVELS
        .iter()
        .find(|(max, _)| luma <= *max)
        .map_or(62, |(_, l)| *l)
}

/// `vpcC` chroma_subsampling code: 0/1 4:2:0, 2 4:2:2, 3 4:4:4.
fn chroma_code(info: &KeyframeInfo) -> u8 {
    match (info.subsampling_x, info.subsampling_y) {
        (true, true) => 1,
        (true, false) => 2,
        _ => 3,
    }
}

/// The WebCodecs codec string, e.g. `vp09.00.10.08`.
pub fn codec_string(profile: u8, level: u8, info: &KeyframeInfo) -> String {
    let _ = chroma_code(info);
    format!("vp09.{profile:02}.{level:02}.{:02}", info.bit_depth)
}

/// Builds a `VPCodecConfigurationRecord` payload (the `vpcC` full box body,
/// version 1, flags 0, starting with the version/flags word).
pub fn build_vpcc(profile: u8, level: u8, info: &KeyframeInfo) -> Vec<u8> {
    let (primaries, transfer, matrix) = match info.color_space {
        1 => (6, 6, 6),  // BT.601
        2 => (1, 1, 1),  // BT.709
        5 => (9, 14, 9), // BT.2020
        7 => (1, 13, 0), // sRGB
        _ => (2, 2, 2),  // unspecified
    };
    vec![
        1,
        0,
        0,
        0,
        profile,
        level,
        (info.bit_depth << 4) | (chroma_code(info) << 1) | u8::from(info.full_range),
        primaries,
        transfer,
        matrix,
        0,
        0,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn superframe_index() {
        // Two frames of 2 and 3 bytes, 1-byte sizes: marker 0b11000_001.
        let data = [0x82, 0x49, 0x80, 0x01, 0x02, 0xc1, 2, 3, 0xc1];
        let frames = split_superframe(&data);
        assert_eq!(frames, vec![&[0x82, 0x49][..], &[0x80, 0x01, 0x02]]);
        assert!(FrameHeader::parse(&[0x00]).is_err());
        assert_eq!(level_for_size(1280, 720), 31);
    }
}
