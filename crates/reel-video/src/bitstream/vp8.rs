//! VP8: the frame tag, key frames and their size.

/// Key frame size from the first bytes of a VP8 frame, or `None` for an
/// inter frame or bytes that are not a VP8 key frame.
pub fn keyframe_size(frame: &[u8]) -> Option<(u32, u32)> {
    if frame.len() < 10 || frame[0] & 1 != 0 || frame[3..6] != [0x9d, 0x01, 0x2a] {
        return None;
    }
    let w = u32::from(u16::from_le_bytes([frame[6], frame[7]]) & 0x3fff);
    let h = u32::from(u16::from_le_bytes([frame[8], frame[9]]) & 0x3fff);
    Some((w, h))
}

/// Whether a VP8 frame is a key frame.
pub fn is_keyframe(frame: &[u8]) -> bool {
    keyframe_size(frame).is_some()
}
