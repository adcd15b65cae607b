//! The color description at the end of an H.265 SPS (VUI
//! `video_signal_type`), read past the fields before it (ITU-T H.265
//! §7.3.2.2.1): coding block sizes, scaling lists, PCM, the short-term
//! reference picture sets (whose sizes depend on earlier sets, §7.4.8) and
//! the long-term ones.

use super::bits::BitReader;
use super::{BitstreamError, ColorInfo};

/// Most short-term reference picture sets an SPS may carry.
const MAX_ST_RPS: u32 = 64;

/// Reads from just after `sps_max_latency_increase_plus1` to the VUI's
/// colour description; the unspecified default when the SPS has no VUI or
/// no video signal type.
pub(crate) fn color(r: &mut BitReader<'_>, poc_lsb_bits: u32) -> Result<ColorInfo, BitstreamError> {
    for _ in 0..6 {
        r.ue()?; // coding/transform block sizes, transform hierarchy depths
    }
    if r.bit()? && r.bit()? {
        skip_scaling_list_data(r)?;
    }
    r.skip(2)?; // amp_enabled_flag, sample_adaptive_offset_enabled_flag
    if r.bit()? {
        // pcm: sample bit depths (4 + 4), block sizes, loop filter flag
        r.skip(8)?;
        r.ue()?;
        r.ue()?;
        r.skip(1)?;
    }
    let num_sets = r.ue()?;
    if num_sets > MAX_ST_RPS {
        return Err(BitstreamError::Invalid("num_short_term_ref_pic_sets > 64"));
    }
    let mut sets: Vec<RefPicSet> = Vec::with_capacity(num_sets as usize);
    for _ in 0..num_sets {
        let set = RefPicSet::parse(r, &sets)?;
        sets.push(set);
    }
    if r.bit()? {
        // long-term reference pictures
        let n = r.ue()?;
        if n > 32 {
            return Err(BitstreamError::Invalid("num_long_term_ref_pics_sps > 32"));
        }
        for _ in 0..n {
            r.skip(poc_lsb_bits as usize + 1)?;
        }
    }
    r.skip(2)?; // sps_temporal_mvp_enabled_flag, strong_intra_smoothing_enabled_flag
    let mut color = ColorInfo::default();
    if !r.bit()? {
        return Ok(color); // no VUI
    }
    if r.bit()? && r.bits(8)? == 255 {
        r.skip(32)?; // sar_width, sar_height
    }
    if r.bit()? {
        r.skip(1)?; // overscan_appropriate_flag
    }
    if r.bit()? {
        r.skip(3)?; // video_format
        color.full_range = r.bit()?;
        if r.bit()? {
            color.primaries = r.bits(8)? as u8;
            color.transfer = r.bits(8)? as u8;
            color.matrix = r.bits(8)? as u8;
        }
    }
    // chroma_loc_info (top field, then bottom): read only as far as the
    // VUI goes, so a short one keeps the colour description above.
    if r.bit().unwrap_or(false) {
        color.chroma_location = r.ue().map_or(0, |v| v.min(5) as u8);
    }
    Ok(color)
}

fn skip_scaling_list_data(r: &mut BitReader<'_>) -> Result<(), BitstreamError> {
    for size_id in 0..4u32 {
        let step = if size_id == 3 { 3 } else { 1 };
        for _ in (0..6).step_by(step) {
            if !r.bit()? {
                r.ue()?; // scaling_list_pred_matrix_id_delta
            } else {
                let coefs = 64.min(1 << (4 + (size_id << 1)));
                if size_id > 1 {
                    r.se()?; // scaling_list_dc_coef_minus8
                }
                for _ in 0..coefs {
                    r.se()?;
                }
            }
        }
    }
    Ok(())
}

/// A short-term reference picture set: the POC deltas of its pictures
/// (negative ones nearest first, then positive ones).
struct RefPicSet {
    negative: Vec<i64>,
    positive: Vec<i64>,
}

impl RefPicSet {
    fn len(&self) -> usize {
        self.negative.len() + self.positive.len()
    }

    /// `st_ref_pic_set(idx)` in an SPS, `earlier` being the sets before it.
    fn parse(r: &mut BitReader<'_>, earlier: &[RefPicSet]) -> Result<Self, BitstreamError> {
        // inter_ref_pic_set_prediction_flag, for all but the first set.
        let predicted = !earlier.is_empty() && r.bit()?;
        if let Some(reference) = earlier.last().filter(|_| predicted) {
            // Predicted from the previous set (delta_idx is 1 in an SPS).
            let sign = r.bit()?;
            let magnitude = i64::from(r.ue()?) + 1;
            let delta_rps = if sign { -magnitude } else { magnitude };
            let mut use_delta = Vec::with_capacity(reference.len() + 1);
            for _ in 0..=reference.len() {
                let used_by_curr = r.bit()?;
                use_delta.push(used_by_curr || r.bit()?);
            }
            return Ok(Self::predicted(reference, delta_rps, &use_delta));
        }
        let negatives = r.ue()?;
        let positives = r.ue()?;
        if negatives > 16 || positives > 16 {
            return Err(BitstreamError::Invalid(
                "too many pictures in a reference set",
            ));
        }
        let mut read = |count: u32, sign: i64| -> Result<Vec<i64>, BitstreamError> {
            let mut poc = 0i64;
            let mut out = Vec::with_capacity(count as usize);
            for _ in 0..count {
                poc += sign * (i64::from(r.ue()?) + 1);
                r.skip(1)?; // used_by_curr_pic flag
                out.push(poc);
            }
            Ok(out)
        };
        let negative = read(negatives, -1)?;
        let positive = read(positives, 1)?;
        Ok(Self { negative, positive })
    }

    /// The set derived from `reference` shifted by `delta_rps` (§7.4.8,
    /// equations 7-61 and 7-62); `use_delta` has one flag per picture of
    /// `reference` (negatives, then positives) and one for `delta_rps` itself.
    fn predicted(reference: &RefPicSet, delta_rps: i64, use_delta: &[bool]) -> Self {
        let (n_neg, n_all) = (reference.negative.len(), reference.len());
        let mut negative = Vec::new();
        for (j, d) in reference.positive.iter().enumerate().rev() {
            let poc = d + delta_rps;
            if poc < 0 && use_delta[n_neg + j] {
                negative.push(poc);
            }
        }
        if delta_rps < 0 && use_delta[n_all] {
            negative.push(delta_rps);
        }
        for (j, d) in reference.negative.iter().enumerate() {
            let poc = d + delta_rps;
            if poc < 0 && use_delta[j] {
                negative.push(poc);
            }
        }
        let mut positive = Vec::new();
        for (j, d) in reference.negative.iter().enumerate().rev() {
            let poc = d + delta_rps;
            if poc > 0 && use_delta[j] {
                positive.push(poc);
            }
        }
        if delta_rps > 0 && use_delta[n_all] {
            positive.push(delta_rps);
        }
        for (j, d) in reference.positive.iter().enumerate() {
            let poc = d + delta_rps;
            if poc > 0 && use_delta[n_neg + j] {
                positive.push(poc);
            }
        }
        Self { negative, positive }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_predicted_set_shifts_the_reference_by_delta_rps() {
        // Reference: pictures at -1, -3 and +2; shifted by -1, all used.
        let reference = RefPicSet {
            negative: vec![-1, -3],
            positive: vec![2],
        };
        let set = RefPicSet::predicted(&reference, -1, &[true; 4]);
        assert_eq!(set.negative, vec![-1, -2, -4]);
        assert_eq!(set.positive, vec![1]);
        // Pictures landing on delta 0 drop out.
        let set = RefPicSet::predicted(&reference, 1, &[true; 4]);
        assert_eq!(set.negative, vec![-2]);
        assert_eq!(set.positive, vec![1, 3]);
    }
}
