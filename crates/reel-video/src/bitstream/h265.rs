//! H.265 / HEVC: NAL types, SPS parsing, IRAP keyframes, `hvcC`, codec strings.

use super::bits::{BitReader, unescape_rbsp};
use super::{BitstreamError, nal};

/// NAL unit type: video parameter set.
pub const NAL_VPS: u8 = 32;
/// NAL unit type: sequence parameter set.
pub const NAL_SPS: u8 = 33;
/// NAL unit type: picture parameter set.
pub const NAL_PPS: u8 = 34;

/// The NAL unit type (6 bits after the forbidden bit).
pub fn nal_type(nal: &[u8]) -> u8 {
    nal.first().map_or(0, |b| (b >> 1) & 0x3f)
}

/// Whether a NAL type is an IRAP picture (BLA, IDR, CRA: 16..=23).
pub fn is_irap(nal_type: u8) -> bool {
    (16..=23).contains(&nal_type)
}

/// `general_profile_tier_level` fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProfileTierLevel {
    /// `general_profile_space`.
    pub profile_space: u8,
    /// `general_tier_flag` (false: Main tier).
    pub tier: bool,
    /// `general_profile_idc` (1 Main, 2 Main 10, 4 RExt, …).
    pub profile_idc: u8,
    /// `general_profile_compatibility_flags`.
    pub compatibility_flags: u32,
    /// The 48 constraint-indicator bits (progressive, interlaced, …).
    pub constraint_flags: [u8; 6],
    /// `general_level_idc` (level × 30).
    pub level_idc: u8,
}

/// What an H.265 SPS says about the stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sps {
    /// Profile, tier and level.
    pub ptl: ProfileTierLevel,
    /// `sps_max_sub_layers_minus1 + 1`.
    pub max_sub_layers: u8,
    /// `sps_temporal_id_nesting_flag`.
    pub temporal_id_nesting: bool,
    /// 0 monochrome, 1 4:2:0, 2 4:2:2, 3 4:4:4.
    pub chroma_format_idc: u8,
    /// Luma bit depth.
    pub bit_depth_luma: u8,
    /// Chroma bit depth.
    pub bit_depth_chroma: u8,
    /// Width after the conformance window.
    pub width: u32,
    /// Height after the conformance window.
    pub height: u32,
    /// `sps_max_num_reorder_pics` of the highest sub-layer.
    pub max_num_reorder_frames: u32,
    /// VUI color description (unspecified when absent).
    pub color: super::ColorInfo,
}

fn parse_ptl(
    r: &mut BitReader<'_>,
    max_sub_layers_minus1: u32,
) -> Result<ProfileTierLevel, BitstreamError> {
    let profile_space = r.bits(2)? as u8;
    let tier = r.bit()?;
    let profile_idc = r.bits(5)? as u8;
    let compatibility_flags = r.bits(32)? as u32;
    let mut constraint_flags = [0u8; 6];
    for b in &mut constraint_flags {
        *b = r.bits(8)? as u8;
    }
    let level_idc = r.bits(8)? as u8;
    let mut profile_present = [false; 8];
    let mut level_present = [false; 8];
    for i in 0..max_sub_layers_minus1 as usize {
        profile_present[i] = r.bit()?;
        level_present[i] = r.bit()?;
    }
    if max_sub_layers_minus1 > 0 {
        for _ in max_sub_layers_minus1..8 {
            r.skip(2)?;
        }
    }
    for i in 0..max_sub_layers_minus1 as usize {
        if profile_present[i] {
            r.skip(88)?;
        }
        if level_present[i] {
            r.skip(8)?;
        }
    }
    Ok(ProfileTierLevel {
        profile_space,
        tier,
        profile_idc,
        compatibility_flags,
        constraint_flags,
        level_idc,
    })
}

impl Sps {
    /// Parses an SPS NAL unit (2-byte header included, no start code).
    pub fn parse(nal: &[u8]) -> Result<Self, BitstreamError> {
        if nal_type(nal) != NAL_SPS || nal.len() < 3 {
            return Err(BitstreamError::Invalid("not an H.265 SPS NAL unit"));
        }
        let rbsp = unescape_rbsp(&nal[2..]);
        let mut r = BitReader::new(&rbsp);
        let _vps_id = r.bits(4)?;
        let max_sub_layers_minus1 = r.bits32(3)?;
        if max_sub_layers_minus1 > 6 {
            return Err(BitstreamError::Invalid("sps_max_sub_layers_minus1 > 6"));
        }
        let temporal_id_nesting = r.bit()?;
        let ptl = parse_ptl(&mut r, max_sub_layers_minus1)?;
        let _sps_id = r.ue()?;
        let chroma_format_idc = r.ue()?;
        if chroma_format_idc > 3 {
            return Err(BitstreamError::Invalid("chroma_format_idc > 3"));
        }
        if chroma_format_idc == 3 {
            r.bit()?;
        }
        let width = r.ue()?;
        let height = r.ue()?;
        let (mut cw, mut ch) = (0u64, 0u64);
        if r.bit()? {
            let (l, rt, t, b) = (r.ue()?, r.ue()?, r.ue()?, r.ue()?);
            let (sw, sh) = match chroma_format_idc {
                1 => (2, 2),
                2 => (2, 1),
                _ => (1, 1),
            };
            cw = sw * (u64::from(l) + u64::from(rt));
            ch = sh * (u64::from(t) + u64::from(b));
        }
        if width == 0
            || height == 0
            || cw >= u64::from(width)
            || ch >= u64::from(height)
            || width > 1 << 16
            || height > 1 << 16
        {
            return Err(BitstreamError::Invalid(
                "picture size or conformance window out of range",
            ));
        }
        let bit_depth_luma = r.ue()?.saturating_add(8);
        let bit_depth_chroma = r.ue()?.saturating_add(8);
        if bit_depth_luma > 16 || bit_depth_chroma > 16 {
            return Err(BitstreamError::Invalid("bit depth above 16"));
        }
        let poc_lsb_bits = r.ue()?.saturating_add(4);
        let ordering_info_present = r.bit()?;
        let mut max_num_reorder_frames = 0;
        let first = if ordering_info_present {
            0
        } else {
            max_sub_layers_minus1
        };
        for _ in first..=max_sub_layers_minus1 {
            let _max_dec_pic_buffering = r.ue()?;
            max_num_reorder_frames = r.ue()?;
            let _max_latency_increase = r.ue()?;
        }
        // A VUI that does not parse leaves the color unspecified, not the SPS unread.
        let color = super::h265_vui::color(&mut r, poc_lsb_bits).unwrap_or_default();
        Ok(Self {
            ptl,
            max_sub_layers: max_sub_layers_minus1 as u8 + 1,
            temporal_id_nesting,
            chroma_format_idc: chroma_format_idc as u8,
            bit_depth_luma: bit_depth_luma as u8,
            bit_depth_chroma: bit_depth_chroma as u8,
            width: (u64::from(width) - cw) as u32,
            height: (u64::from(height) - ch) as u32,
            max_num_reorder_frames,
            color,
        })
    }

    /// The WebCodecs / ISO 14496-15 codec string, e.g. `hvc1.1.6.L93.B0`.
    pub fn codec_string(&self, sample_entry: &str) -> String {
        let p = &self.ptl;
        let space = match p.profile_space {
            1 => "A",
            2 => "B",
            3 => "C",
            _ => "",
        };
        let mut s = format!(
            "{sample_entry}.{space}{}.{:X}.{}{}",
            p.profile_idc,
            p.compatibility_flags.reverse_bits(),
            if p.tier { 'H' } else { 'L' },
            p.level_idc
        );
        let last = p.constraint_flags.iter().rposition(|&b| b != 0);
        if let Some(last) = last {
            for b in &p.constraint_flags[..=last] {
                s.push_str(&format!(".{b:X}"));
            }
        }
        s
    }
}

/// Whether an Annex B access unit holds an IRAP picture (IDR, CRA or BLA).
pub fn is_keyframe(annex_b: &[u8]) -> bool {
    nal::split_annex_b(annex_b)
        .iter()
        .any(|n| is_irap(nal_type(n)))
}

/// The VPS, SPS and PPS NAL units of an Annex B access unit, in that order.
pub fn parameter_sets(annex_b: &[u8]) -> Vec<&[u8]> {
    let nals = nal::split_annex_b(annex_b);
    let mut out = Vec::new();
    for t in [NAL_VPS, NAL_SPS, NAL_PPS] {
        out.extend(nals.iter().copied().filter(|n| nal_type(n) == t));
    }
    out
}

/// Builds an `HEVCDecoderConfigurationRecord` (ISO/IEC 14496-15 §8.3.3)
/// with 4-byte NAL lengths from VPS, SPS and PPS NAL units.
pub fn build_hvcc(parameter_sets: &[&[u8]]) -> Result<Vec<u8>, BitstreamError> {
    let sps = parameter_sets
        .iter()
        .find(|n| nal_type(n) == NAL_SPS)
        .ok_or(BitstreamError::Invalid("no SPS to build hvcC from"))?;
    let s = Sps::parse(sps)?;
    let p = &s.ptl;
    let mut out = vec![
        1,
        (p.profile_space << 6) | (u8::from(p.tier) << 5) | p.profile_idc,
    ];
    out.extend_from_slice(&p.compatibility_flags.to_be_bytes());
    out.extend_from_slice(&p.constraint_flags);
    out.push(p.level_idc);
    out.extend_from_slice(&[0xF0, 0x00, 0xFC, 0xFC | s.chroma_format_idc]);
    out.push(0xF8 | (s.bit_depth_luma - 8));
    out.push(0xF8 | (s.bit_depth_chroma - 8));
    out.extend_from_slice(&[0, 0]); // avgFrameRate unknown
    out.push(((s.max_sub_layers & 7) << 3) | (u8::from(s.temporal_id_nesting) << 2) | 3);
    let types: Vec<u8> = [NAL_VPS, NAL_SPS, NAL_PPS]
        .into_iter()
        .filter(|t| parameter_sets.iter().any(|n| nal_type(n) == *t))
        .collect();
    out.push(types.len() as u8);
    for t in types {
        let nals: Vec<&&[u8]> = parameter_sets.iter().filter(|n| nal_type(n) == t).collect();
        out.push(0x80 | t);
        out.extend_from_slice(&(nals.len() as u16).to_be_bytes());
        for n in nals {
            out.extend_from_slice(&(n.len() as u16).to_be_bytes());
            out.extend_from_slice(n);
        }
    }
    Ok(out)
}

/// A parsed `hvcC`: NAL length size and the parameter-set NAL units.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HevcConfig {
    /// Bytes of each NAL length prefix in samples.
    pub length_size: usize,
    /// VPS, SPS, PPS (and any SEI) NAL units, in record order.
    pub nals: Vec<Vec<u8>>,
}

/// Parses an `HEVCDecoderConfigurationRecord`.
pub fn parse_hvcc(data: &[u8]) -> Result<HevcConfig, BitstreamError> {
    let get = |i: usize| data.get(i).copied().ok_or(BitstreamError::Truncated);
    if get(0)? != 1 {
        return Err(BitstreamError::Invalid("hvcC version is not 1"));
    }
    let length_size = usize::from(get(21)? & 3) + 1;
    let arrays = get(22)?;
    let mut pos = 23;
    let mut nals = Vec::new();
    for _ in 0..arrays {
        let count = u16::from_be_bytes([get(pos + 1)?, get(pos + 2)?]);
        pos += 3;
        for _ in 0..count {
            let len = usize::from(u16::from_be_bytes([get(pos)?, get(pos + 1)?]));
            let nal = data
                .get(pos + 2..pos + 2 + len)
                .ok_or(BitstreamError::Truncated)?;
            nals.push(nal.to_vec());
            pos += 2 + len;
        }
    }
    Ok(HevcConfig { length_size, nals })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_an_error() {
        assert!(Sps::parse(&[0x42, 0x01]).is_err());
        assert!(Sps::parse(&[0x42, 0x01, 0xff, 0xff]).is_err());
        assert!(parse_hvcc(&[1; 10]).is_err());
        assert!(build_hvcc(&[]).is_err());
    }
}
