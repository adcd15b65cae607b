//! H.264 / AVC: NAL types, SPS parsing, keyframes, `avcC`, codec strings.

use super::bits::{BitReader, unescape_rbsp};
use super::{BitstreamError, ColorInfo, nal};

/// NAL unit type: coded slice of an IDR picture.
pub const NAL_IDR: u8 = 5;
/// NAL unit type: non-IDR slice.
pub const NAL_SLICE: u8 = 1;
/// NAL unit type: sequence parameter set.
pub const NAL_SPS: u8 = 7;
/// NAL unit type: picture parameter set.
pub const NAL_PPS: u8 = 8;
/// NAL unit type: access unit delimiter.
pub const NAL_AUD: u8 = 9;

/// The NAL unit type of a NAL (without start code).
pub fn nal_type(nal: &[u8]) -> u8 {
    nal.first().map_or(0, |b| b & 0x1f)
}

/// What a sequence parameter set says about the stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sps {
    /// `profile_idc` (66 baseline, 77 main, 100 high, …).
    pub profile_idc: u8,
    /// The constraint flags byte (`constraint_set0_flag` … and reserved bits).
    pub constraint_flags: u8,
    /// `level_idc` (31 = level 3.1).
    pub level_idc: u8,
    /// 0 monochrome, 1 4:2:0, 2 4:2:2, 3 4:4:4.
    pub chroma_format_idc: u8,
    /// Luma bit depth.
    pub bit_depth_luma: u8,
    /// Chroma bit depth.
    pub bit_depth_chroma: u8,
    /// Displayed width after cropping.
    pub width: u32,
    /// Displayed height after cropping.
    pub height: u32,
    /// Whether pictures may be field-coded (interlaced).
    pub frame_mbs_only: bool,
    /// `max_num_reorder_frames` from the VUI, or the profile's worst case when absent.
    pub max_num_reorder_frames: u32,
    /// Color description from the VUI.
    pub color: ColorInfo,
}

impl Sps {
    /// Parses an SPS NAL unit (header byte included, no start code).
    pub fn parse(nal: &[u8]) -> Result<Self, BitstreamError> {
        if nal_type(nal) != NAL_SPS {
            return Err(BitstreamError::Invalid("not an H.264 SPS NAL unit"));
        }
        let rbsp = unescape_rbsp(&nal[1..]);
        let mut r = BitReader::new(&rbsp);
        let profile_idc = r.bits(8)? as u8;
        let constraint_flags = r.bits(8)? as u8;
        let level_idc = r.bits(8)? as u8;
        let _sps_id = r.ue()?;
        let (mut chroma_format_idc, mut bit_depth_luma, mut bit_depth_chroma) = (1u32, 8u32, 8u32);
        let mut separate_colour_plane = false;
        if matches!(
            profile_idc,
            100 | 110 | 122 | 244 | 44 | 83 | 86 | 118 | 128 | 138 | 139 | 134 | 135
        ) {
            chroma_format_idc = r.ue()?;
            if chroma_format_idc > 3 {
                return Err(BitstreamError::Invalid("chroma_format_idc > 3"));
            }
            if chroma_format_idc == 3 {
                separate_colour_plane = r.bit()?;
            }
            bit_depth_luma = r.ue()?.saturating_add(8);
            bit_depth_chroma = r.ue()?.saturating_add(8);
            if bit_depth_luma > 14 || bit_depth_chroma > 14 {
                return Err(BitstreamError::Invalid("bit depth above 14"));
            }
            let _qpprime_bypass = r.bit()?;
            if r.bit()? {
                // seq_scaling_matrix_present_flag
                let lists = if chroma_format_idc == 3 { 12 } else { 8 };
                for i in 0..lists {
                    if r.bit()? {
                        skip_scaling_list(&mut r, if i < 6 { 16 } else { 64 })?;
                    }
                }
            }
        }
        let _log2_max_frame_num = r.ue()?;
        let poc_type = r.ue()?;
        match poc_type {
            0 => {
                r.ue()?;
            }
            1 => {
                r.bit()?;
                r.se()?;
                r.se()?;
                let n = r.ue()?;
                if n > 255 {
                    return Err(BitstreamError::Invalid("too many ref frames in POC cycle"));
                }
                for _ in 0..n {
                    r.se()?;
                }
            }
            2 => {}
            _ => return Err(BitstreamError::Invalid("pic_order_cnt_type > 2")),
        }
        let max_num_ref_frames = r.ue()?;
        let _gaps = r.bit()?;
        let width_mbs = r.ue()?.saturating_add(1);
        let height_map_units = r.ue()?.saturating_add(1);
        let frame_mbs_only = r.bit()?;
        if !frame_mbs_only {
            let _mb_adaptive = r.bit()?;
        }
        let _direct_8x8 = r.bit()?;
        let (mut crop_l, mut crop_r, mut crop_t, mut crop_b) = (0, 0, 0, 0);
        if r.bit()? {
            crop_l = r.ue()?;
            crop_r = r.ue()?;
            crop_t = r.ue()?;
            crop_b = r.ue()?;
        }
        let chroma_array_type = if separate_colour_plane {
            0
        } else {
            chroma_format_idc
        };
        let (sub_w, sub_h): (u32, u32) = match chroma_array_type {
            1 => (2, 2),
            2 => (2, 1),
            _ => (1, 1),
        };
        let (crop_unit_x, crop_unit_y) = if chroma_array_type == 0 {
            (1, 2 - u32::from(frame_mbs_only))
        } else {
            (sub_w, sub_h * (2 - u32::from(frame_mbs_only)))
        };
        let full_w = u64::from(width_mbs) * 16;
        let full_h = u64::from(height_map_units) * 16 * (2 - u64::from(frame_mbs_only));
        let crop_w = u64::from(crop_unit_x) * (u64::from(crop_l) + u64::from(crop_r));
        let crop_h = u64::from(crop_unit_y) * (u64::from(crop_t) + u64::from(crop_b));
        if crop_w >= full_w || crop_h >= full_h || full_w > 1 << 16 || full_h > 1 << 16 {
            return Err(BitstreamError::Invalid(
                "picture size or cropping out of range",
            ));
        }
        // Without VUI bitstream_restriction the decoder must assume the worst
        // case: as many reordered frames as the DPB holds.
        let mut max_num_reorder_frames =
            if matches!(profile_idc, 66) || constraint_flags & 0x10 != 0 && profile_idc == 77 {
                0
            } else {
                max_num_ref_frames.clamp(1, 16)
            };
        let mut color = ColorInfo::default();
        if r.bit()? {
            // vui_parameters()
            if r.bit()? {
                let aspect = r.bits(8)?;
                if aspect == 255 {
                    r.skip(32)?;
                }
            }
            if r.bit()? {
                r.bit()?;
            }
            if r.bit()? {
                r.bits(3)?;
                color.full_range = r.bit()?;
                if r.bit()? {
                    color.primaries = r.bits(8)? as u8;
                    color.transfer = r.bits(8)? as u8;
                    color.matrix = r.bits(8)? as u8;
                }
            }
            if r.bit()? {
                // chroma_loc_info: top field, then bottom field
                color.chroma_location = r.ue()?.min(5) as u8;
                r.ue()?;
            }
            if r.bit()? {
                r.skip(32 + 32 + 1)?;
            }
            let nal_hrd = r.bit()?;
            if nal_hrd {
                skip_hrd(&mut r)?;
            }
            let vcl_hrd = r.bit()?;
            if vcl_hrd {
                skip_hrd(&mut r)?;
            }
            if nal_hrd || vcl_hrd {
                r.bit()?;
            }
            r.bit()?; // pic_struct_present_flag
            if r.bit()? {
                // bitstream_restriction_flag
                r.bit()?;
                r.ue()?;
                r.ue()?;
                r.ue()?;
                r.ue()?;
                max_num_reorder_frames = r.ue()?;
                let _max_dec_frame_buffering = r.ue()?;
            }
        }
        Ok(Self {
            profile_idc,
            constraint_flags,
            level_idc,
            chroma_format_idc: chroma_format_idc as u8,
            bit_depth_luma: bit_depth_luma as u8,
            bit_depth_chroma: bit_depth_chroma as u8,
            width: (full_w - crop_w) as u32,
            height: (full_h - crop_h) as u32,
            frame_mbs_only,
            max_num_reorder_frames,
            color,
        })
    }

    /// The WebCodecs / RFC 6381 codec string, e.g. `avc1.64001f`.
    pub fn codec_string(&self) -> String {
        format!(
            "avc1.{:02x}{:02x}{:02x}",
            self.profile_idc, self.constraint_flags, self.level_idc
        )
    }
}

fn skip_scaling_list(r: &mut BitReader<'_>, size: usize) -> Result<(), BitstreamError> {
    let (mut last, mut next) = (8i32, 8i32);
    for _ in 0..size {
        if next != 0 {
            let delta = r.se()?;
            if !(-128..=127).contains(&delta) {
                return Err(BitstreamError::Invalid("delta_scale outside -128..=127"));
            }
            next = (last + delta + 256).rem_euclid(256);
        }
        last = if next == 0 { last } else { next };
    }
    Ok(())
}

fn skip_hrd(r: &mut BitReader<'_>) -> Result<(), BitstreamError> {
    let cpb_cnt = r.ue()?.saturating_add(1);
    if cpb_cnt > 32 {
        return Err(BitstreamError::Invalid("cpb_cnt above 32"));
    }
    r.skip(8)?;
    for _ in 0..cpb_cnt {
        r.ue()?;
        r.ue()?;
        r.bit()?;
    }
    r.skip(20)
}

/// Whether an Annex B access unit holds an IDR slice (decoding can start here
/// if the parameter sets are known).
pub fn is_keyframe(annex_b: &[u8]) -> bool {
    nal::split_annex_b(annex_b)
        .iter()
        .any(|n| nal_type(n) == NAL_IDR)
}

/// The SPS and PPS NAL units of an Annex B access unit.
pub fn parameter_sets(annex_b: &[u8]) -> (Vec<&[u8]>, Vec<&[u8]>) {
    let nals = nal::split_annex_b(annex_b);
    let sps = nals
        .iter()
        .copied()
        .filter(|n| nal_type(n) == NAL_SPS)
        .collect();
    let pps = nals
        .iter()
        .copied()
        .filter(|n| nal_type(n) == NAL_PPS)
        .collect();
    (sps, pps)
}

/// Builds an `AVCDecoderConfigurationRecord` (ISO/IEC 14496-15 §5.3.3) with
/// 4-byte NAL lengths.
pub fn build_avcc(sps: &[&[u8]], pps: &[&[u8]]) -> Result<Vec<u8>, BitstreamError> {
    let first = sps
        .first()
        .ok_or(BitstreamError::Invalid("no SPS to build avcC from"))?;
    let parsed = Sps::parse(first)?;
    if sps.len() > 31 || pps.len() > 255 {
        return Err(BitstreamError::Invalid("too many parameter sets for avcC"));
    }
    let mut out = vec![
        1,
        parsed.profile_idc,
        parsed.constraint_flags,
        parsed.level_idc,
        0xFF,
    ];
    out.push(0xE0 | sps.len() as u8);
    for s in sps {
        out.extend_from_slice(&(s.len() as u16).to_be_bytes());
        out.extend_from_slice(s);
    }
    out.push(pps.len() as u8);
    for p in pps {
        out.extend_from_slice(&(p.len() as u16).to_be_bytes());
        out.extend_from_slice(p);
    }
    if !matches!(parsed.profile_idc, 66 | 77 | 88) {
        out.push(0xFC | parsed.chroma_format_idc);
        out.push(0xF8 | (parsed.bit_depth_luma - 8));
        out.push(0xF8 | (parsed.bit_depth_chroma - 8));
        out.push(0);
    }
    Ok(out)
}

/// A parsed `avcC`: NAL length size and the parameter sets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AvcConfig {
    /// Bytes of each NAL length prefix in samples.
    pub length_size: usize,
    /// SPS NAL units.
    pub sps: Vec<Vec<u8>>,
    /// PPS NAL units.
    pub pps: Vec<Vec<u8>>,
}

/// Parses an `AVCDecoderConfigurationRecord`.
pub fn parse_avcc(data: &[u8]) -> Result<AvcConfig, BitstreamError> {
    let get = |i: usize| data.get(i).copied().ok_or(BitstreamError::Truncated);
    if get(0)? != 1 {
        return Err(BitstreamError::Invalid("avcC version is not 1"));
    }
    let length_size = usize::from(get(4)? & 3) + 1;
    let mut pos = 5;
    let read_sets = |count: usize, pos: &mut usize| -> Result<Vec<Vec<u8>>, BitstreamError> {
        let mut sets = Vec::new();
        for _ in 0..count {
            let len = usize::from(u16::from_be_bytes([get(*pos)?, get(*pos + 1)?]));
            let set = data
                .get(*pos + 2..*pos + 2 + len)
                .ok_or(BitstreamError::Truncated)?;
            sets.push(set.to_vec());
            *pos += 2 + len;
        }
        Ok(sets)
    };
    let n_sps = usize::from(get(pos)? & 0x1f);
    pos += 1;
    let sps = read_sets(n_sps, &mut pos)?;
    let n_pps = usize::from(get(pos)?);
    pos += 1;
    let pps = read_sets(n_pps, &mut pos)?;
    Ok(AvcConfig {
        length_size,
        sps,
        pps,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    // SPS of an ffmpeg libx264 320x240 High profile stream.
    const SPS_HIGH_320X240: &[u8] = &[
        0x67, 0x64, 0x00, 0x0d, 0xac, 0xd9, 0x41, 0x41, 0xfb, 0x01, 0x10, 0x00, 0x00, 0x03, 0x00,
        0x10, 0x00, 0x00, 0x03, 0x03, 0xc0, 0xf1, 0x42, 0x99, 0x60,
    ];

    #[test]
    fn parses_a_libx264_sps() {
        let sps = Sps::parse(SPS_HIGH_320X240).unwrap();
        assert_eq!((sps.width, sps.height), (320, 240));
        assert_eq!(sps.profile_idc, 100);
        assert_eq!(sps.level_idc, 13);
        assert_eq!(sps.chroma_format_idc, 1);
        assert_eq!(sps.bit_depth_luma, 8);
        assert_eq!(sps.codec_string(), "avc1.64000d");
        let avcc = build_avcc(
            &[SPS_HIGH_320X240],
            &[&[0x68, 0xeb, 0xe3, 0xcb, 0x22, 0xc0]],
        )
        .unwrap();
        let parsed = parse_avcc(&avcc).unwrap();
        assert_eq!(parsed.sps[0], SPS_HIGH_320X240);
        assert_eq!(parsed.length_size, 4);
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(Sps::parse(&[0x67]).is_err());
        assert!(Sps::parse(&[0x65, 1, 2]).is_err());
        assert!(parse_avcc(&[1, 2, 3]).is_err());
    }
}
