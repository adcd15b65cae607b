//! AV1: OBUs, the sequence header, keyframes, `av1C`, codec strings.

use super::bits::BitReader;
use super::{BitstreamError, ColorInfo};

/// OBU type: sequence header.
pub const OBU_SEQUENCE_HEADER: u8 = 1;
/// OBU type: temporal delimiter.
pub const OBU_TEMPORAL_DELIMITER: u8 = 2;
/// OBU type: frame header.
pub const OBU_FRAME_HEADER: u8 = 3;
/// OBU type: frame (header + tile group).
pub const OBU_FRAME: u8 = 6;

/// One OBU of a low-overhead bitstream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Obu<'a> {
    /// `obu_type`.
    pub obu_type: u8,
    /// The whole OBU: header, size field and payload.
    pub raw: &'a [u8],
    /// The payload.
    pub payload: &'a [u8],
}

/// Splits a temporal unit (low-overhead format: every OBU has a size field,
/// except possibly the last) into OBUs.
pub fn split_obus(data: &[u8]) -> Result<Vec<Obu<'_>>, BitstreamError> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < data.len() {
        let header = data[pos];
        if header & 0x80 != 0 {
            return Err(BitstreamError::Invalid("OBU forbidden bit set"));
        }
        let obu_type = (header >> 3) & 0xf;
        let has_extension = header & 0x04 != 0;
        let has_size = header & 0x02 != 0;
        let mut r = BitReader::new(
            data.get(pos + 1 + usize::from(has_extension)..)
                .ok_or(BitstreamError::Truncated)?,
        );
        let start = pos + 1 + usize::from(has_extension);
        let (payload_start, size) = if has_size {
            let size = r.leb128()?;
            (start + r.position() / 8, size)
        } else {
            (start, (data.len() - start) as u64)
        };
        let end = payload_start
            .checked_add(usize::try_from(size).map_err(|_| BitstreamError::Truncated)?)
            .filter(|&e| e <= data.len())
            .ok_or(BitstreamError::Truncated)?;
        out.push(Obu {
            obu_type,
            raw: &data[pos..end],
            payload: &data[payload_start..end],
        });
        pos = end;
    }
    Ok(out)
}

/// What a sequence header says about the stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SequenceHeader {
    /// `seq_profile` (0 Main, 1 High, 2 Professional).
    pub profile: u8,
    /// `seq_level_idx[0]`.
    pub level_idx: u8,
    /// `seq_tier[0]`.
    pub tier: bool,
    /// 8, 10 or 12.
    pub bit_depth: u8,
    /// Whether the stream is monochrome.
    pub monochrome: bool,
    /// `subsampling_x`.
    pub subsampling_x: bool,
    /// `subsampling_y`.
    pub subsampling_y: bool,
    /// `chroma_sample_position`.
    pub chroma_sample_position: u8,
    /// Maximum frame width.
    pub max_width: u32,
    /// Maximum frame height.
    pub max_height: u32,
    /// `reduced_still_picture_header`.
    pub reduced_still_picture_header: bool,
    /// Color description.
    pub color: ColorInfo,
}

impl SequenceHeader {
    /// Parses a sequence header OBU payload.
    pub fn parse(payload: &[u8]) -> Result<Self, BitstreamError> {
        let mut r = BitReader::new(payload);
        let profile = r.bits(3)? as u8;
        if profile > 2 {
            return Err(BitstreamError::Invalid("seq_profile > 2"));
        }
        let _still = r.bit()?;
        let reduced = r.bit()?;
        let (level_idx, tier);
        if reduced {
            level_idx = r.bits(5)? as u8;
            tier = false;
        } else {
            let timing_info = r.bit()?;
            let mut decoder_model_info = false;
            let mut buffer_delay_len = 0;
            if timing_info {
                r.skip(64)?;
                if r.bit()? {
                    r.uvlc()?;
                }
                decoder_model_info = r.bit()?;
                if decoder_model_info {
                    buffer_delay_len = r.bits32(5)? + 1;
                    r.skip(32 + 5 + 5)?;
                }
            }
            let initial_display_delay = r.bit()?;
            let ops = r.bits(5)? + 1;
            let (mut first_level, mut first_tier) = (0, false);
            for i in 0..ops {
                r.skip(12)?;
                let lvl = r.bits(5)? as u8;
                let t = if lvl > 7 { r.bit()? } else { false };
                if decoder_model_info && r.bit()? {
                    r.skip(2 * buffer_delay_len as usize + 1)?;
                }
                if initial_display_delay && r.bit()? {
                    r.skip(4)?;
                }
                if i == 0 {
                    first_level = lvl;
                    first_tier = t;
                }
            }
            level_idx = first_level;
            tier = first_tier;
        }
        let wbits = r.bits32(4)? + 1;
        let hbits = r.bits32(4)? + 1;
        let max_width = r.bits32(wbits)? + 1;
        let max_height = r.bits32(hbits)? + 1;
        if !reduced && r.bit()? {
            r.skip(4 + 3)?; // frame id lengths
        }
        r.skip(3)?; // 128x128, filter intra, intra edge
        if !reduced {
            r.skip(4)?; // interintra, masked, warped, dual filter
            let order_hint = r.bit()?;
            if order_hint {
                r.skip(2)?;
            }
            let force_screen_content = if r.bit()? { 2 } else { u8::from(r.bit()?) };
            if force_screen_content > 0 && !r.bit()? {
                r.bit()?;
            }
            if order_hint {
                r.skip(3)?;
            }
        }
        r.skip(3)?; // superres, cdef, restoration
        // color_config()
        let high_bitdepth = r.bit()?;
        let bit_depth = if profile == 2 && high_bitdepth {
            if r.bit()? { 12 } else { 10 }
        } else if high_bitdepth {
            10
        } else {
            8
        };
        let monochrome = if profile == 1 { false } else { r.bit()? };
        let mut color = ColorInfo::default();
        if r.bit()? {
            color.primaries = r.bits(8)? as u8;
            color.transfer = r.bits(8)? as u8;
            color.matrix = r.bits(8)? as u8;
        }
        let (mut sx, mut sy, mut csp) = (true, true, 0);
        if monochrome {
            color.full_range = r.bit()?;
        } else if color.primaries == 1 && color.transfer == 13 && color.matrix == 0 {
            color.full_range = true;
            sx = false;
            sy = false;
        } else {
            color.full_range = r.bit()?;
            match profile {
                0 => {}
                1 => {
                    sx = false;
                    sy = false;
                }
                _ => {
                    if bit_depth == 12 {
                        sx = r.bit()?;
                        sy = if sx { r.bit()? } else { false };
                    } else {
                        sx = true;
                        sy = false;
                    }
                }
            }
            if sx && sy {
                csp = r.bits(2)? as u8;
            }
        }
        Ok(Self {
            profile,
            level_idx,
            tier,
            bit_depth,
            monochrome,
            subsampling_x: sx,
            subsampling_y: sy,
            chroma_sample_position: csp,
            max_width,
            max_height,
            reduced_still_picture_header: reduced,
            color,
        })
    }

    /// The WebCodecs codec string, e.g. `av01.0.04M.08`.
    pub fn codec_string(&self) -> String {
        format!(
            "av01.{}.{:02}{}.{:02}",
            self.profile,
            self.level_idx,
            if self.tier { 'H' } else { 'M' },
            self.bit_depth
        )
    }

    /// Builds an `AV1CodecConfigurationRecord` with `seq_obu` (the whole
    /// sequence header OBU) as its config OBUs.
    pub fn build_av1c(&self, seq_obu: &[u8]) -> Vec<u8> {
        let mut out = vec![
            0x81,
            (self.profile << 5) | self.level_idx,
            (u8::from(self.tier) << 7)
                | (u8::from(self.bit_depth > 8) << 6)
                | (u8::from(self.bit_depth == 12) << 5)
                | (u8::from(self.monochrome) << 4)
                | (u8::from(self.subsampling_x) << 3)
                | (u8::from(self.subsampling_y) << 2)
                | self.chroma_sample_position,
            0,
        ];
        out.extend_from_slice(seq_obu);
        out
    }
}

/// The sequence header OBU of a temporal unit, if it has one.
pub fn sequence_header_obu(temporal_unit: &[u8]) -> Option<Obu<'_>> {
    split_obus(temporal_unit)
        .ok()?
        .into_iter()
        .find(|o| o.obu_type == OBU_SEQUENCE_HEADER)
}

/// Whether a temporal unit starts a coded video sequence: it carries a
/// sequence header and a shown `KEY_FRAME`.
pub fn is_keyframe(temporal_unit: &[u8]) -> bool {
    let Ok(obus) = split_obus(temporal_unit) else {
        return false;
    };
    let Some(seq) = obus
        .iter()
        .find(|o| o.obu_type == OBU_SEQUENCE_HEADER)
        .and_then(|o| SequenceHeader::parse(o.payload).ok())
    else {
        return false;
    };
    if seq.reduced_still_picture_header {
        return true;
    }
    obus.iter()
        .filter(|o| matches!(o.obu_type, OBU_FRAME | OBU_FRAME_HEADER))
        .any(|o| {
            let mut r = BitReader::new(o.payload);
            // show_existing_frame = 0, frame_type = KEY_FRAME (0).
            matches!((r.bit(), r.bits(2)), (Ok(false), Ok(0)))
        })
}

/// Parses an `av1C` record: the sequence header inside its config OBUs.
pub fn parse_av1c(data: &[u8]) -> Result<Option<(SequenceHeader, Vec<u8>)>, BitstreamError> {
    if data.len() < 4 || data[0] != 0x81 {
        return Err(BitstreamError::Invalid("av1C marker/version is not 0x81"));
    }
    let Some(obu) = split_obus(&data[4..])?
        .into_iter()
        .find(|o| o.obu_type == OBU_SEQUENCE_HEADER)
    else {
        return Ok(None);
    };
    Ok(Some((
        SequenceHeader::parse(obu.payload)?,
        obu.raw.to_vec(),
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_an_error() {
        assert!(split_obus(&[0x80]).is_err());
        assert!(split_obus(&[0x0a, 0x05, 1]).is_err());
        assert!(!is_keyframe(&[0x12, 0x00]));
        assert!(SequenceHeader::parse(&[]).is_err());
    }
}
