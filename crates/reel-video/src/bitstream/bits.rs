//! A big-endian bit reader for codec headers (exp-Golomb, fixed-width, LEB128).

use super::BitstreamError;

/// Reads bits MSB-first from a byte slice; every read is bounds-checked and
/// fails with [`BitstreamError::Truncated`] instead of panicking.
pub struct BitReader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> BitReader<'a> {
    /// A reader at the first bit of `data`.
    pub fn new(data: &'a [u8]) -> Self {
        Self { data, pos: 0 }
    }

    /// Bits consumed so far.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Bits left.
    pub fn remaining(&self) -> usize {
        (self.data.len() * 8).saturating_sub(self.pos)
    }

    /// One bit.
    pub fn bit(&mut self) -> Result<bool, BitstreamError> {
        let byte = *self
            .data
            .get(self.pos / 8)
            .ok_or(BitstreamError::Truncated)?;
        let bit = (byte >> (7 - self.pos % 8)) & 1;
        self.pos += 1;
        Ok(bit == 1)
    }

    /// `n` ≤ 64 bits as an unsigned integer.
    pub fn bits(&mut self, n: u32) -> Result<u64, BitstreamError> {
        if n > 64 {
            return Err(BitstreamError::Invalid("bit field wider than 64 bits"));
        }
        if self.remaining() < n as usize {
            return Err(BitstreamError::Truncated);
        }
        let mut v = 0u64;
        for _ in 0..n {
            v = (v << 1) | u64::from(self.bit()?);
        }
        Ok(v)
    }

    /// `n` ≤ 32 bits.
    pub fn bits32(&mut self, n: u32) -> Result<u32, BitstreamError> {
        Ok(self.bits(n.min(32))? as u32)
    }

    /// Skips `n` bits.
    pub fn skip(&mut self, n: usize) -> Result<(), BitstreamError> {
        if self.remaining() < n {
            return Err(BitstreamError::Truncated);
        }
        self.pos += n;
        Ok(())
    }

    /// Unsigned exp-Golomb, `ue(v)`, as in H.264/H.265.
    pub fn ue(&mut self) -> Result<u32, BitstreamError> {
        let mut zeros = 0;
        while !self.bit()? {
            zeros += 1;
            if zeros > 31 {
                return Err(BitstreamError::Invalid(
                    "exp-Golomb code longer than 32 bits",
                ));
            }
        }
        let rest = self.bits(zeros)?;
        Ok(((1u64 << zeros) - 1 + rest) as u32)
    }

    /// Signed exp-Golomb, `se(v)`.
    pub fn se(&mut self) -> Result<i32, BitstreamError> {
        let k = i64::from(self.ue()?);
        Ok(if k % 2 == 1 { (k + 1) / 2 } else { -(k / 2) } as i32)
    }

    /// Unsigned LEB128 as in AV1 (`leb128()`), at a byte boundary.
    pub fn leb128(&mut self) -> Result<u64, BitstreamError> {
        let mut value = 0u64;
        for i in 0..8 {
            let byte = self.bits(8)?;
            value |= (byte & 0x7f) << (i * 7);
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(BitstreamError::Invalid("LEB128 value longer than 8 bytes"))
    }

    /// AV1 `uvlc()`.
    pub fn uvlc(&mut self) -> Result<u32, BitstreamError> {
        let mut zeros = 0;
        while !self.bit()? {
            zeros += 1;
            if zeros >= 32 {
                return Ok(u32::MAX);
            }
        }
        Ok(((1u64 << zeros) - 1 + self.bits(zeros)?) as u32)
    }
}

/// Removes H.264/H.265 emulation-prevention bytes (`00 00 03` → `00 00`).
pub fn unescape_rbsp(nal: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(nal.len());
    let mut zeros = 0;
    for &b in nal {
        if zeros >= 2 && b == 3 {
            zeros = 0;
            continue;
        }
        zeros = if b == 0 { zeros + 1 } else { 0 };
        out.push(b);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_golomb() {
        // 1 | 010 | 011 | 00100 | 00101 → 0, 1, 2, 3, 4
        let data = [0b1010_0110, 0b0100_0010, 0b1000_0000];
        let mut r = BitReader::new(&data);
        let v: Vec<u32> = (0..5).map(|_| r.ue().unwrap()).collect();
        assert_eq!(v, [0, 1, 2, 3, 4]);
        let mut r = BitReader::new(&[0b0100_0000]);
        assert_eq!(r.se().unwrap(), 1);
        assert!(BitReader::new(&[0]).ue().is_err());
    }

    #[test]
    fn unescape() {
        assert_eq!(unescape_rbsp(&[0, 0, 3, 1, 0, 0, 3]), [0, 0, 1, 0, 0]);
    }
}
