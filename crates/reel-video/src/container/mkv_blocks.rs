//! The block layer of Matroska: clusters, SimpleBlocks and BlockGroups,
//! read as byte ranges of the file.
//!
//! Why our own: `matroska-demuxer` (which still reads the header and the
//! tracks) loses frames stored in BlockGroups (Block + ReferenceBlock, as
//! `mkvmerge` writes them), ignores ReferenceBlock (so no keyframes), stops
//! at the first damaged element, and copies every frame into memory. The
//! block layer is small — EBML variable-size integers, a 4-byte block
//! header, three lacing schemes — and reading it ourselves gives frames as
//! file ranges (nothing copied), keyframes from the container, and
//! recovery from damage at the next cluster, as FFmpeg does.

use std::io::{Read, Seek, SeekFrom};

const EBML_HEADER: u32 = 0x1A45_DFA3;
const SEGMENT: u32 = 0x1853_8067;
const CLUSTER: u32 = 0x1F43_B675;
const CLUSTER_TIMESTAMP: u32 = 0xE7;
const SIMPLE_BLOCK: u32 = 0xA3;
const BLOCK_GROUP: u32 = 0xA0;
const BLOCK: u32 = 0xA1;
const REFERENCE_BLOCK: u32 = 0xFB;
const BLOCK_DURATION: u32 = 0x9B;

/// Elements that may stand between blocks and are skipped whole: the
/// other children of a segment, of a cluster and of a block group, Void
/// and CRC-32. Any other ID where an element should start is damage.
const SKIPPED: &[u32] = &[
    // Segment level.
    0x114D_9B74, // SeekHead
    0x1549_A966, // Info
    0x1654_AE6B, // Tracks
    0x1C53_BB6B, // Cues
    0x1043_A770, // Chapters
    0x1254_C367, // Tags
    0x1941_A469, // Attachments
    // Cluster level.
    0x5854, // SilentTracks
    0xA7,   // Position
    0xAB,   // PrevSize
    0xAF,   // EncryptedBlock
    // BlockGroup level.
    0xA2,   // BlockVirtual
    0x75A1, // BlockAdditions
    0xFA,   // ReferencePriority
    0xFD,   // ReferenceVirtual
    0xA4,   // CodecState
    0x75A2, // DiscardPadding
    0x8E,   // Slices
    // Anywhere.
    0xEC, // Void
    0xBF, // CRC-32
];

/// One frame of a block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct BlockFrame {
    pub track: u64,
    /// Cluster timestamp + the block's relative one, in the segment's ticks.
    pub timestamp: i64,
    pub duration: Option<u64>,
    pub keyframe: bool,
    pub offset: u64,
    pub len: u64,
}

/// An element header: ID (with its length marker), body start and size
/// (`None`: unknown, as live writers leave clusters).
struct Header {
    id: u32,
    body: u64,
    size: Option<u64>,
}

/// Reads the header at `pos`; `None` where no valid one is.
fn header(r: &mut (impl Read + Seek), pos: u64) -> std::io::Result<Option<Header>> {
    let mut buf = [0u8; 12];
    r.seek(SeekFrom::Start(pos))?;
    let n = super::read_up_to(r, &mut buf)?;
    let buf = &buf[..n];
    let Some((id, id_len)) = vint(buf, true).filter(|(_, l)| *l <= 4) else {
        return Ok(None);
    };
    let Some((size, size_len)) = buf.get(id_len..).and_then(|b| vint(b, false)) else {
        return Ok(None);
    };
    let unknown = size == (1u64 << (7 * size_len)) - 1;
    Ok(Some(Header {
        id: id as u32,
        body: pos + (id_len + size_len) as u64,
        size: (!unknown).then_some(size),
    }))
}

/// An EBML variable-size integer at the start of `b` and its length; IDs
/// keep their length marker.
fn vint(b: &[u8], keep_marker: bool) -> Option<(u64, usize)> {
    let first = *b.first()?;
    if first == 0 {
        return None;
    }
    let len = first.leading_zeros() as usize + 1;
    let bytes = b.get(..len)?;
    let mut v = if keep_marker {
        u64::from(first)
    } else {
        u64::from(first) & (0xFF >> len)
    };
    for &x in &bytes[1..] {
        v = (v << 8) | u64::from(x);
    }
    Some((v, len))
}

/// A block group being read.
#[derive(Default)]
struct Group {
    end: u64,
    frames: Vec<BlockFrame>,
    referenced: bool,
    duration: Option<u64>,
}

/// Every frame of every track, in file order, and what was damaged.
pub(crate) fn read_blocks(
    r: &mut (impl Read + Seek),
    file_size: u64,
) -> std::io::Result<(Vec<BlockFrame>, Vec<String>)> {
    let mut frames = Vec::new();
    let mut warnings = Vec::new();
    // The EBML header, then the segment, whose body holds clusters.
    let Some(ebml) = header(r, 0)?.filter(|h| h.id == EBML_HEADER) else {
        return Ok((frames, warnings));
    };
    let mut pos = ebml.body.saturating_add(ebml.size.unwrap_or(0));
    let segment = loop {
        match header(r, pos)? {
            Some(h) if h.id == SEGMENT => break h,
            Some(h) if h.id == 0xEC || h.id == 0xBF => {
                pos = h.body.saturating_add(h.size.unwrap_or(0));
            }
            _ => {
                warnings.push("no Segment element after the EBML header".into());
                return Ok((frames, warnings));
            }
        }
    };
    let end = segment
        .size
        .map_or(file_size, |s| segment.body.saturating_add(s).min(file_size));
    pos = segment.body;
    let mut cluster_time = 0i64;
    let mut cluster_end = end;
    let mut group: Option<Group> = None;
    while pos < end {
        if let Some(g) = group.take_if(|g| pos >= g.end) {
            finish_group(g, &mut frames);
        }
        // A header that cannot be where an element starts, or a block
        // running past the end of the file (cut there, or its size field
        // damaged: then a cluster follows), sends reading to the next cluster.
        let checked = match header(r, pos)? {
            Some(h) if !is_known(h.id) || (h.size.is_none() && !is_master(h.id)) => {
                Err("no valid element starts there")
            }
            Some(h) if h.size.is_some_and(|s| h.body.saturating_add(s) > file_size) => {
                if is_master(h.id) {
                    // A cut file: read the blocks of it that are complete.
                    warnings.push(format!(
                        "the file ends inside the element at byte {pos} (it was cut short)"
                    ));
                    Ok(Header { size: None, ..h })
                } else {
                    Err("an element runs past the end of the file")
                }
            }
            Some(h) => Ok(h),
            None => Err("no valid element starts there"),
        };
        let h = match checked {
            Ok(h) => h,
            Err(what) => {
                let what = format!("damaged data at byte {pos} ({what})");
                match resync(r, pos, end, &mut warnings, what)? {
                    Some(next) => {
                        pos = next;
                        group = None;
                        continue;
                    }
                    None => break,
                }
            }
        };
        let body_end = h.size.map(|s| h.body + s);
        match h.id {
            CLUSTER => {
                cluster_time = 0;
                cluster_end = body_end.unwrap_or(end);
                group = None;
                pos = h.body;
                continue;
            }
            BLOCK_GROUP => {
                group = Some(Group {
                    end: body_end.unwrap_or(cluster_end),
                    ..Group::default()
                });
                pos = h.body;
                continue;
            }
            _ => {}
        }
        let Some(size) = h.size else {
            break; // unreachable: only masters may have an unknown size
        };
        match h.id {
            CLUSTER_TIMESTAMP => {
                cluster_time = read_uint(r, h.body, size)?.map_or(0, |v| v as i64);
            }
            SIMPLE_BLOCK | BLOCK => match block_frames(r, h.body, size, cluster_time)? {
                Ok(mut fs) => {
                    if h.id == SIMPLE_BLOCK {
                        frames.append(&mut fs);
                    } else if let Some(g) = &mut group {
                        g.frames.append(&mut fs);
                    }
                }
                Err(what) => warnings.push(format!("block at byte {pos} skipped: {what}")),
            },
            REFERENCE_BLOCK => {
                if let Some(g) = &mut group {
                    g.referenced = true;
                }
            }
            BLOCK_DURATION => {
                if let Some(g) = &mut group {
                    g.duration = read_uint(r, h.body, size)?;
                }
            }
            _ => {}
        }
        pos = h.body + size;
    }
    if let Some(g) = group {
        finish_group(g, &mut frames);
    }
    Ok((frames, warnings))
}

fn is_master(id: u32) -> bool {
    id == CLUSTER || id == BLOCK_GROUP
}

fn is_known(id: u32) -> bool {
    matches!(
        id,
        CLUSTER
            | CLUSTER_TIMESTAMP
            | SIMPLE_BLOCK
            | BLOCK_GROUP
            | BLOCK
            | REFERENCE_BLOCK
            | BLOCK_DURATION
    ) || SKIPPED.contains(&id)
}

/// A block group's frames: keyframes when no ReferenceBlock names another.
fn finish_group(g: Group, frames: &mut Vec<BlockFrame>) {
    let last = g.frames.len().saturating_sub(1);
    for (i, mut f) in g.frames.into_iter().enumerate() {
        f.keyframe = !g.referenced;
        // BlockDuration covers the whole (laced) block: give it to the last frame.
        if i == last {
            f.duration = g.duration;
        }
        frames.push(f);
    }
}

/// Searches forward from `damaged_at` for the next Cluster ID.
fn resync(
    r: &mut (impl Read + Seek),
    damaged_at: u64,
    end: u64,
    warnings: &mut Vec<String>,
    what: String,
) -> std::io::Result<Option<u64>> {
    const ID: [u8; 4] = CLUSTER.to_be_bytes();
    let mut buf = vec![0u8; 1 << 16];
    let mut from = damaged_at + 1;
    while from < end {
        r.seek(SeekFrom::Start(from))?;
        let n = super::read_up_to(r, &mut buf)?;
        if n < ID.len() {
            break;
        }
        if let Some(i) = buf[..n].windows(4).position(|w| w == ID) {
            let next = from + i as u64;
            warnings.push(format!(
                "{what}; skipped {} bytes to the next cluster at byte {next}",
                next - damaged_at
            ));
            return Ok(Some(next));
        }
        from += (n - (ID.len() - 1)) as u64;
    }
    warnings.push(format!(
        "{what}; no cluster after it, so reading stopped there"
    ));
    Ok(None)
}

/// An unsigned integer element's value (at most 8 bytes).
fn read_uint(r: &mut (impl Read + Seek), body: u64, size: u64) -> std::io::Result<Option<u64>> {
    if size > 8 {
        return Ok(None);
    }
    let mut b = [0u8; 8];
    r.seek(SeekFrom::Start(body))?;
    r.read_exact(&mut b[..size as usize])?;
    Ok(Some(
        b[..size as usize]
            .iter()
            .fold(0u64, |v, &x| (v << 8) | u64::from(x)),
    ))
}

/// The frames of a (Simple)Block: its header, then one frame or a lace.
fn block_frames(
    r: &mut (impl Read + Seek),
    body: u64,
    size: u64,
    cluster_time: i64,
) -> std::io::Result<Result<Vec<BlockFrame>, String>> {
    // The lace sizes live at the start of the body; 64 KiB holds any
    // video lace header (Xiph lacing takes one byte per 255 of a size).
    let mut head = vec![0u8; size.min(1 << 16) as usize];
    r.seek(SeekFrom::Start(body))?;
    r.read_exact(&mut head)?;
    Ok(parse_block(&head, body, size, cluster_time))
}

fn parse_block(
    head: &[u8],
    body: u64,
    size: u64,
    cluster_time: i64,
) -> Result<Vec<BlockFrame>, String> {
    let (track, n) = vint(head, false).ok_or("no track number")?;
    let rest = head.get(n..n + 3).ok_or("block header cut short")?;
    let relative = i64::from(i16::from_be_bytes([rest[0], rest[1]]));
    let flags = rest[2];
    let mut at = n + 3;
    let frame = |offset: u64, len: u64| BlockFrame {
        track,
        timestamp: cluster_time.saturating_add(relative),
        duration: None,
        keyframe: flags & 0x80 != 0,
        offset: body + offset,
        len,
    };
    let lacing = (flags >> 1) & 3;
    if lacing == 0 {
        return Ok(vec![frame(at as u64, size - at as u64)]);
    }
    let count = usize::from(*head.get(at).ok_or("lace count missing")?) + 1;
    at += 1;
    let mut sizes = Vec::with_capacity(count);
    match lacing {
        1 => {
            // Xiph: each size a run of 255s plus a last byte.
            for _ in 0..count - 1 {
                let mut s = 0u64;
                loop {
                    let b = *head.get(at).ok_or("lace sizes cut short")?;
                    at += 1;
                    s += u64::from(b);
                    if b != 255 {
                        break;
                    }
                }
                sizes.push(s);
            }
        }
        3 => {
            // EBML: the first size, then signed differences.
            let (first, l) =
                vint(head.get(at..).unwrap_or_default(), false).ok_or("lace sizes cut short")?;
            at += l;
            sizes.push(first);
            for _ in 1..count - 1 {
                let (raw, l) = vint(head.get(at..).unwrap_or_default(), false)
                    .ok_or("lace sizes cut short")?;
                at += l;
                let bias = (1i64 << (7 * l - 1)) - 1;
                let prev = *sizes.last().unwrap_or(&0) as i64;
                let s = prev + (raw as i64 - bias);
                sizes.push(u64::try_from(s).map_err(|_| "negative lace size")?);
            }
        }
        _ => {
            // Fixed: equal parts.
            let total = size.checked_sub(at as u64).ok_or("lace cut short")?;
            if total % count as u64 != 0 {
                return Err("fixed-size lace does not divide evenly".into());
            }
            sizes = vec![total / count as u64; count - 1];
        }
    }
    let used: u64 = sizes.iter().sum::<u64>() + at as u64;
    let last = size
        .checked_sub(used)
        .ok_or("lace sizes exceed the block")?;
    sizes.push(last);
    let mut offset = at as u64;
    Ok(sizes
        .into_iter()
        .map(|len| {
            let f = frame(offset, len);
            offset += len;
            f
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variable_size_integers() {
        assert_eq!(vint(&[0x81], false), Some((1, 1)));
        assert_eq!(vint(&[0x40, 0x02], false), Some((2, 2)));
        assert_eq!(
            vint(&[0x1A, 0x45, 0xDF, 0xA3], true),
            Some((0x1A45_DFA3, 4))
        );
        assert_eq!(vint(&[0x00], false), None);
        assert_eq!(vint(&[0x40], false), None);
    }

    #[test]
    fn laced_blocks_split_into_frames() {
        // Track 1, time +2, keyframe, Xiph lacing of 3 frames: 300, 2, rest.
        let mut b = vec![0x81, 0x00, 0x02, 0x80 | 0x02, 2, 255, 45, 2];
        let at = b.len() as u64;
        b.extend(std::iter::repeat_n(0, 300 + 2 + 7));
        let f = parse_block(&b, 1000, b.len() as u64, 10).unwrap();
        let spans: Vec<(u64, u64)> = f.iter().map(|f| (f.offset, f.len)).collect();
        assert_eq!(
            spans,
            vec![(1000 + at, 300), (1000 + at + 300, 2), (1000 + at + 302, 7)]
        );
        assert!(
            f.iter()
                .all(|f| f.keyframe && f.timestamp == 12 && f.track == 1)
        );
        // EBML lacing: 2 frames, first 5 bytes, the rest 3.
        let b = [0x81, 0x00, 0x00, 0x06, 1, 0x85, 1, 2, 3, 4, 5, 6, 7, 8];
        let f = parse_block(&b, 0, b.len() as u64, 0).unwrap();
        assert_eq!((f[0].len, f[1].len), (5, 3));
        // A lace whose sizes exceed the block is an error, not a panic.
        let b = [0x81, 0x00, 0x00, 0x02, 1, 200, 1, 2];
        assert!(parse_block(&b, 0, b.len() as u64, 0).is_err());
    }
}
