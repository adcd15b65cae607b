//! Media types and sniffing them from magic bytes.

/// `image/jpeg`
pub const JPEG: &str = "image/jpeg";
/// `image/png`
pub const PNG: &str = "image/png";
/// `video/mp4`
pub const MP4: &str = "video/mp4";
/// `video/quicktime`
pub const QUICKTIME: &str = "video/quicktime";
/// `video/webm`
pub const WEBM: &str = "video/webm";
/// `video/x-matroska`
pub const MATROSKA: &str = "video/x-matroska";

/// Image types `EncodedImage` accepts.
pub const IMAGE_TYPES: &[&str] = &[JPEG, PNG];
/// Video container types `AssetVideo` accepts.
pub const VIDEO_TYPES: &[&str] = &[MP4, QUICKTIME, WEBM, MATROSKA];

/// The image type of `bytes`, from their magic numbers.
pub fn sniff_image(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(JPEG)
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(PNG)
    } else {
        None
    }
}

/// The video container type of `bytes`, from their first boxes or elements.
pub fn sniff_video(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0x1A, 0x45, 0xDF, 0xA3]) {
        // EBML header: the DocType element says webm or matroska.
        let head = &bytes[..bytes.len().min(64)];
        return Some(if head.windows(4).any(|w| w == b"webm") {
            WEBM
        } else {
            MATROSKA
        });
    }
    let box_type = bytes.get(4..8)?;
    match box_type {
        b"ftyp" => {
            let brand = bytes.get(8..12)?;
            Some(if brand == b"qt  " { QUICKTIME } else { MP4 })
        }
        // QuickTime files may start without `ftyp`.
        b"moov" | b"mdat" | b"wide" | b"free" | b"skip" => Some(QUICKTIME),
        _ => None,
    }
}

/// How bytes of an unknown type start, for error messages: "it is empty"
/// or "it starts with 1a 45 df a3 …" (at most 8 bytes as hex).
pub fn describe_start(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        return "it is empty".into();
    }
    let hex: Vec<String> = bytes.iter().take(8).map(|b| format!("{b:02x}")).collect();
    format!("it starts with {}", hex.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs() {
        assert_eq!(sniff_image(&[0xFF, 0xD8, 0xFF, 0xE0]), Some(JPEG));
        assert_eq!(sniff_image(b"\x89PNG\r\n\x1a\n...."), Some(PNG));
        assert_eq!(sniff_image(b"GIF89a"), None);
        assert_eq!(sniff_video(b"\0\0\0\x20ftypisom"), Some(MP4));
        assert_eq!(sniff_video(b"\0\0\0\x14ftypqt  "), Some(QUICKTIME));
        assert_eq!(
            sniff_video(b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm"),
            Some(WEBM)
        );
        assert_eq!(
            sniff_video(b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x88matroska"),
            Some(MATROSKA)
        );
        assert_eq!(sniff_video(b"RIFF....AVI "), None);
        assert_eq!(sniff_video(b""), None);
    }
}
