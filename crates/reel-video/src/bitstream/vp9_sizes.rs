//! The size of every picture a VP9 stream shows, from its frame headers.
//!
//! VP9 may change resolution on any frame, inter frames included (they
//! take their size from a reference slot or state a new one). A decoder
//! behind a pipe hands out raw pictures with no size attached, so the
//! reader of that pipe needs each shown picture's size in advance: this
//! tracks the eight reference slots through the uncompressed headers
//! (VP9 spec §6.2: `frame_size`, `frame_size_with_refs`,
//! `refresh_frame_flags`, `show_existing_frame`).

use super::BitstreamError;
use super::bits::BitReader;
use super::vp9::split_superframe;

const SYNC_CODE: u64 = 0x49_83_42;

/// Reference-slot sizes of a VP9 stream being decoded.
#[derive(Clone, Debug, Default)]
pub struct FrameSizes {
    slots: [Option<(u32, u32)>; 8],
}

/// What one frame's header says about sizes.
struct Parsed {
    /// The picture's size, and whether it is shown.
    size: Option<(u32, u32)>,
    shown: bool,
    refresh: u8,
}

impl FrameSizes {
    /// A tracker before the first key frame.
    pub fn new() -> Self {
        Self::default()
    }

    /// The sizes of the pictures `sample` (a frame or superframe) shows, in
    /// order; updates the reference slots. A frame whose size cannot be
    /// known (no key frame yet, a bad header) is an error.
    pub fn shown_sizes(&mut self, sample: &[u8]) -> Result<Vec<(u32, u32)>, BitstreamError> {
        let mut shown = Vec::new();
        for frame in split_superframe(sample) {
            let p = self.parse(frame)?;
            let size = p.size.ok_or(BitstreamError::Invalid(
                "VP9 frame refers to an empty reference slot",
            ))?;
            for (i, slot) in self.slots.iter_mut().enumerate() {
                if p.refresh & (1 << i) != 0 {
                    *slot = Some(size);
                }
            }
            if p.shown {
                shown.push(size);
            }
        }
        Ok(shown)
    }

    fn parse(&self, frame: &[u8]) -> Result<Parsed, BitstreamError> {
        let mut r = BitReader::new(frame);
        if r.bits(2)? != 2 {
            return Err(BitstreamError::Invalid("VP9 frame_marker is not 2"));
        }
        let profile = u8::from(r.bit()?) | (u8::from(r.bit()?) << 1);
        if profile == 3 {
            r.bit()?;
        }
        if r.bit()? {
            // show_existing_frame: shows a slot as it is, refreshes nothing.
            let slot = r.bits(3)? as usize;
            return Ok(Parsed {
                size: self.slots[slot],
                shown: true,
                refresh: 0,
            });
        }
        let is_keyframe = !r.bit()?;
        let shown = r.bit()?;
        let error_resilient = r.bit()?;
        if is_keyframe {
            sync_code(&mut r)?;
            color_config(&mut r, profile)?;
            return Ok(Parsed {
                size: Some(frame_size(&mut r)?),
                shown,
                refresh: 0xFF,
            });
        }
        let intra_only = if shown { false } else { r.bit()? };
        if !error_resilient {
            r.skip(2)?; // reset_frame_context
        }
        if intra_only {
            sync_code(&mut r)?;
            if profile > 0 {
                color_config(&mut r, profile)?;
            }
            let refresh = r.bits(8)? as u8;
            return Ok(Parsed {
                size: Some(frame_size(&mut r)?),
                shown,
                refresh,
            });
        }
        let refresh = r.bits(8)? as u8;
        let mut refs = [0usize; 3];
        for slot in &mut refs {
            *slot = r.bits(3)? as usize;
            r.skip(1)?; // ref_frame_sign_bias
        }
        // frame_size_with_refs: the first reference flagged gives the size.
        let mut size = None;
        for slot in refs {
            if r.bit()? {
                size = Some(self.slots[slot]);
                break;
            }
        }
        let size = match size {
            Some(s) => s,
            None => Some(frame_size(&mut r)?),
        };
        Ok(Parsed {
            size,
            shown,
            refresh,
        })
    }
}

fn sync_code(r: &mut BitReader<'_>) -> Result<(), BitstreamError> {
    if r.bits(24)? != SYNC_CODE {
        return Err(BitstreamError::Invalid("VP9 frame sync code missing"));
    }
    Ok(())
}

fn color_config(r: &mut BitReader<'_>, profile: u8) -> Result<(), BitstreamError> {
    if profile >= 2 {
        r.skip(1)?; // ten_or_twelve_bit
    }
    let color_space = r.bits(3)?;
    if color_space != 7 {
        r.skip(1)?; // color_range
        if profile == 1 || profile == 3 {
            r.skip(3)?; // subsampling_x, subsampling_y, reserved_zero
        }
    } else if profile == 1 || profile == 3 {
        r.skip(1)?;
    }
    Ok(())
}

fn frame_size(r: &mut BitReader<'_>) -> Result<(u32, u32), BitstreamError> {
    let width = r.bits32(16)? + 1;
    let height = r.bits32(16)? + 1;
    Ok((width, height))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inter_frames_before_a_key_frame_are_an_error() {
        // frame_marker 2, profile 0, not show_existing, inter frame, shown.
        let inter = [0b1000_0110, 0, 0, 0, 0, 0];
        assert!(FrameSizes::new().shown_sizes(&inter).is_err());
        assert!(FrameSizes::new().shown_sizes(&[]).unwrap().is_empty());
    }
}
