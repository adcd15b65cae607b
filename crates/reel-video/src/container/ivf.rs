//! IVF: the simple container of libvpx/libaom test streams (AV1, VP8, VP9).
//!
//! A 32-byte file header (`DKIF`, FourCC, size, time base) and a 12-byte
//! header per frame (size, 64-bit timestamp). Small enough to read here.

use std::io::{Read, Seek, SeekFrom};

use reel_types::VideoCodec;

use super::{CodecConfig, ContainerKind, Parsed, SampleData, SampleInfo, VideoTrack};
use crate::VideoError;

pub(crate) fn parse(
    r: &mut (impl Read + Seek),
    file_size: u64,
    name: &str,
) -> Result<Parsed, VideoError> {
    let io = |source| VideoError::Io {
        path: name.to_owned(),
        source,
    };
    let malformed = |message: String| VideoError::Malformed {
        path: name.to_owned(),
        message,
    };
    let mut h = [0u8; 32];
    r.read_exact(&mut h)
        .map_err(|_| malformed("IVF header is shorter than 32 bytes".into()))?;
    let header_len = u64::from(u16::from_le_bytes([h[6], h[7]]));
    let fourcc = [h[8], h[9], h[10], h[11]];
    let codec = match &fourcc {
        b"AV01" => VideoCodec::AV1,
        b"VP80" => VideoCodec::VP8,
        b"VP90" => VideoCodec::VP9,
        other => {
            return Err(VideoError::UnsupportedCodec {
                path: name.to_owned(),
                codec: format!("IVF FourCC {}", String::from_utf8_lossy(other)),
            });
        }
    };
    let width = u32::from(u16::from_le_bytes([h[12], h[13]]));
    let height = u32::from(u16::from_le_bytes([h[14], h[15]]));
    let rate = u32::from_le_bytes([h[16], h[17], h[18], h[19]]);
    let scale = u32::from_le_bytes([h[20], h[21], h[22], h[23]]);
    if rate == 0 || scale == 0 {
        return Err(malformed("IVF time base is zero".into()));
    }
    // Timestamps count `scale/rate` seconds. Reduced to num/den (as FFmpeg
    // does), ticks of 1/den second are `timestamp * num`: an integer clock.
    let g = gcd(u64::from(rate), u64::from(scale));
    let (num, timescale) = (i64::from(scale) / g as i64, u64::from(rate) / g);
    let mut samples = Vec::new();
    let mut warnings = Vec::new();
    let mut pos = header_len.max(32);
    while pos < file_size {
        let mut fh = [0u8; 12];
        if pos + 12 > file_size {
            warnings.push(format!("frame header at byte {pos} is cut short"));
            break;
        }
        r.seek(SeekFrom::Start(pos)).map_err(io)?;
        r.read_exact(&mut fh).map_err(io)?;
        let size = u64::from(u32::from_le_bytes([fh[0], fh[1], fh[2], fh[3]]));
        let ts = i64::from_le_bytes(fh[4..12].try_into().unwrap_or_default());
        if pos + 12 + size > file_size {
            warnings.push(format!(
                "frame at byte {pos} is cut short ({size} bytes declared)"
            ));
            break;
        }
        let mut data = vec![0u8; size as usize];
        r.read_exact(&mut data).map_err(io)?;
        let pts = ts.saturating_mul(num);
        let is_keyframe = crate::bitstream::is_keyframe(codec, &data);
        samples.push(SampleInfo {
            dts: None,
            pts,
            duration: 0,
            is_keyframe,
            data: SampleData::Inline(data),
        });
        pos += 12 + size;
    }
    super::sample::fill_durations(&mut samples);
    let mut track = VideoTrack {
        track_id: 0,
        codec,
        container_codec: String::from_utf8_lossy(&fourcc).into_owned(),
        codec_string: String::new(),
        width,
        height,
        bit_depth: None,
        chroma_format: None,
        timescale,
        edit_offset: 0,
        config: CodecConfig::None,
        samples,
    };
    super::sample::fill_from_bitstream(&mut track);
    Ok(Parsed {
        container: ContainerKind::Ivf,
        tracks: vec![track],
        other_tracks: Vec::new(),
        warnings,
    })
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a.max(1)
}
