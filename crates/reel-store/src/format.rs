//! Byte layout of the `.reel` file: header, frames, trailer.
//!
//! `docs/FORMAT.md` is the specification; this module is its one
//! implementation, and its constants are the numbers the spec names.

/// First 8 bytes of every recording. Like PNG's signature, the high byte
/// and the CR LF / EOF bytes catch 7-bit and text-mode transfers.
pub const MAGIC: [u8; 8] = *b"\x89REEL\r\n\x1a";
/// Format major version this code writes and reads; a larger one is refused.
pub const VERSION_MAJOR: u16 = 1;
/// Format minor version this code writes; larger minors are readable (additions only).
pub const VERSION_MINOR: u16 = 0;
/// Bytes of the file header.
pub const FILE_HEADER_LEN: usize = 16;

/// Sync marker at the start of every frame: `RLFR`.
pub const FRAME_SYNC: [u8; 4] = *b"RLFR";
/// Bytes of a frame header.
pub const FRAME_HEADER_LEN: usize = 24;
/// Frames start at multiples of this, so Arrow buffers can be read in place.
pub const FRAME_ALIGN: u64 = 8;

/// What a frame's payload holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameKind {
    /// One chunk as an Arrow IPC stream.
    Chunk,
    /// The chunk index (footer), an Arrow IPC stream.
    ChunkIndex,
    /// The keyframe index (footer), an Arrow IPC stream.
    KeyframeIndex,
    /// Where the two indexes are: 16 bytes, last frame of a cleanly closed file.
    Trailer,
    /// A kind this version does not know; skipped.
    Unknown(u8),
}

impl std::fmt::Display for FrameKind {
    /// What the frame holds, in words ("chunk index", "frame of unknown kind 7").
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Chunk => f.write_str("chunk"),
            Self::ChunkIndex => f.write_str("chunk index"),
            Self::KeyframeIndex => f.write_str("keyframe index"),
            Self::Trailer => f.write_str("trailer"),
            Self::Unknown(b) => write!(f, "frame of unknown kind {b}"),
        }
    }
}

impl FrameKind {
    /// The kind byte.
    pub fn to_byte(self) -> u8 {
        match self {
            Self::Chunk => 1,
            Self::ChunkIndex => 2,
            Self::KeyframeIndex => 3,
            Self::Trailer => 4,
            Self::Unknown(b) => b,
        }
    }

    /// The inverse of [`FrameKind::to_byte`].
    pub fn from_byte(b: u8) -> Self {
        match b {
            1 => Self::Chunk,
            2 => Self::ChunkIndex,
            3 => Self::KeyframeIndex,
            4 => Self::Trailer,
            b => Self::Unknown(b),
        }
    }
}

/// The version found in a file header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileHeader {
    /// Major version.
    pub major: u16,
    /// Minor version.
    pub minor: u16,
}

/// The 16 header bytes for this version.
pub fn encode_file_header() -> [u8; FILE_HEADER_LEN] {
    let mut b = [0u8; FILE_HEADER_LEN];
    b[..8].copy_from_slice(&MAGIC);
    b[8..10].copy_from_slice(&VERSION_MAJOR.to_le_bytes());
    b[10..12].copy_from_slice(&VERSION_MINOR.to_le_bytes());
    let crc = crc32fast::hash(&b[..12]);
    b[12..16].copy_from_slice(&crc.to_le_bytes());
    b
}

/// Why a file header was rejected.
#[derive(Debug, PartialEq, Eq)]
pub enum HeaderProblem {
    /// Too short or wrong magic.
    NotARecording,
    /// Magic right, checksum wrong.
    Corrupt,
}

/// Parses the 16 header bytes.
pub fn decode_file_header(b: &[u8]) -> Result<FileHeader, HeaderProblem> {
    if b.len() < FILE_HEADER_LEN || b[..8] != MAGIC {
        return Err(HeaderProblem::NotARecording);
    }
    let crc = u32::from_le_bytes([b[12], b[13], b[14], b[15]]);
    if crc != crc32fast::hash(&b[..12]) {
        return Err(HeaderProblem::Corrupt);
    }
    Ok(FileHeader {
        major: u16::from_le_bytes([b[8], b[9]]),
        minor: u16::from_le_bytes([b[10], b[11]]),
    })
}

/// A decoded, checksum-verified frame header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameHeader {
    /// Payload kind.
    pub kind: FrameKind,
    /// Payload length in bytes (without padding).
    pub payload_len: u64,
    /// CRC-32 (IEEE, as zlib) of the payload.
    pub payload_crc: u32,
}

impl FrameHeader {
    /// Bytes from the frame's start to the next frame's start.
    pub fn total_len(&self) -> u64 {
        align(self.payload_len.saturating_add(FRAME_HEADER_LEN as u64))
    }
}

/// Encodes a frame header for `payload`.
pub fn encode_frame_header(kind: FrameKind, payload: &[u8]) -> [u8; FRAME_HEADER_LEN] {
    let mut b = [0u8; FRAME_HEADER_LEN];
    b[..4].copy_from_slice(&FRAME_SYNC);
    b[4] = kind.to_byte();
    // b[5] flags and b[6..8] reserved stay zero.
    b[8..16].copy_from_slice(&(payload.len() as u64).to_le_bytes());
    b[16..20].copy_from_slice(&crc32fast::hash(payload).to_le_bytes());
    let hcrc = crc32fast::hash(&b[..20]);
    b[20..24].copy_from_slice(&hcrc.to_le_bytes());
    b
}

/// Parses a frame header; `None` if the sync marker or its checksum is wrong.
pub fn decode_frame_header(b: &[u8]) -> Option<FrameHeader> {
    if b.len() < FRAME_HEADER_LEN || b[..4] != FRAME_SYNC {
        return None;
    }
    let hcrc = u32::from_le_bytes(b[20..24].try_into().ok()?);
    if hcrc != crc32fast::hash(&b[..20]) {
        return None;
    }
    Some(FrameHeader {
        kind: FrameKind::from_byte(b[4]),
        payload_len: u64::from_le_bytes(b[8..16].try_into().ok()?),
        payload_crc: u32::from_le_bytes(b[16..20].try_into().ok()?),
    })
}

/// Rounds up to the frame alignment (saturating: a length read from a
/// damaged or hostile file may be anything).
pub fn align(n: u64) -> u64 {
    n.div_ceil(FRAME_ALIGN).saturating_mul(FRAME_ALIGN)
}

/// Zero bytes that pad a frame of `payload_len` to the alignment.
pub fn padding(payload_len: u64) -> usize {
    let total = payload_len.saturating_add(FRAME_HEADER_LEN as u64);
    (align(total) - total) as usize
}

/// Bytes of the trailer payload: the two index offsets.
pub const TRAILER_PAYLOAD_LEN: u64 = 16;

/// Bytes of the whole trailer frame (header, payload, padding): the last
/// bytes of a cleanly closed file.
pub const TRAILER_FRAME_LEN: u64 =
    (FRAME_HEADER_LEN as u64 + TRAILER_PAYLOAD_LEN).div_ceil(FRAME_ALIGN) * FRAME_ALIGN;

/// Encodes the trailer payload: offsets of the chunk and keyframe indexes.
pub fn encode_trailer(chunk_index: u64, keyframe_index: u64) -> [u8; 16] {
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(&chunk_index.to_le_bytes());
    b[8..].copy_from_slice(&keyframe_index.to_le_bytes());
    b
}

/// Parses a trailer payload.
pub fn decode_trailer(b: &[u8]) -> Option<(u64, u64)> {
    if b.len() != 16 {
        return None;
    }
    Some((
        u64::from_le_bytes(b[..8].try_into().ok()?),
        u64::from_le_bytes(b[8..].try_into().ok()?),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_round_trip_and_detect_damage() {
        let h = encode_file_header();
        assert_eq!(
            decode_file_header(&h).unwrap(),
            FileHeader { major: 1, minor: 0 }
        );
        let mut bad = h;
        bad[9] ^= 1;
        assert_eq!(decode_file_header(&bad), Err(HeaderProblem::Corrupt));
        assert_eq!(
            decode_file_header(b"PK\x03\x04"),
            Err(HeaderProblem::NotARecording)
        );

        let payload = b"hello";
        let fh = encode_frame_header(FrameKind::Chunk, payload);
        let d = decode_frame_header(&fh).unwrap();
        assert_eq!(d.payload_len, 5);
        assert_eq!(d.total_len(), 32);
        assert_eq!(padding(5), 3);
        for i in 0..FRAME_HEADER_LEN {
            let mut bad = fh;
            bad[i] ^= 0x10;
            assert!(
                decode_frame_header(&bad).is_none(),
                "flip at {i} undetected"
            );
        }
    }
}
