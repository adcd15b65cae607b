//! Cut-short and damaged recordings: every complete chunk is recovered,
//! damage is reported, nothing panics.

use reel_store::{Compression, RecordingReader, RecordingWriter, StoreError};
use reel_types::{
    Archetype, Chunk, EntityPath, PendingRow, RowId, TimeCell, TimePoint, TimelineName,
    VideoFrameReference, VideoStream,
};

/// A small recording of `n` chunks; returns its bytes, the chunks and where each frame ends.
fn small_recording(n: usize) -> (Vec<u8>, Vec<Chunk>, Vec<u64>) {
    let mut writer = RecordingWriter::new(Vec::new(), "mem".into(), Compression::Lz4).unwrap();
    let mut chunks = Vec::new();
    let mut ends = Vec::new();
    for c in 0..n {
        let rows: Vec<PendingRow> = (0..3)
            .map(|r| {
                let mut tp = TimePoint::default();
                tp.insert(
                    TimelineName::new("frame").unwrap(),
                    TimeCell::sequence((c * 3 + r) as i64),
                );
                let sample = VideoStream::from_sample(vec![c as u8; 20 + r])
                    .unwrap()
                    .with_keyframe(r == 0);
                let mut cells = sample.to_cells();
                cells.extend(VideoFrameReference::new(r as i64).to_cells());
                PendingRow {
                    row_id: RowId::new(),
                    timepoint: tp,
                    cells,
                }
            })
            .collect();
        let chunk =
            Chunk::from_rows(EntityPath::parse(&format!("e{}", c % 2)).unwrap(), &rows).unwrap();
        writer.append_chunk(&chunk).unwrap();
        ends.push(writer.position());
        chunks.push(chunk);
    }
    let bytes = writer.finish().unwrap();
    (bytes, chunks, ends)
}

fn read(bytes: &[u8]) -> Result<(Vec<Chunk>, reel_store::ScanReport), StoreError> {
    let mut reader = RecordingReader::from_bytes(bytes, "test.reel")?;
    let mut out = Vec::new();
    let report = reader.scan(|_, c| out.push(c))?;
    Ok((out, report))
}

#[test]
fn truncation_at_every_offset_yields_the_complete_prefix() {
    let (bytes, chunks, ends) = small_recording(6);
    let starts = std::iter::once(16).chain(ends.iter().copied());
    let payload_ends: Vec<usize> = starts
        .zip(&ends)
        .map(|(start, _)| {
            let s = start as usize;
            let payload_len = u64::from_le_bytes(bytes[s + 8..s + 16].try_into().unwrap());
            s + 24 + payload_len as usize
        })
        .collect();
    // (payload end, padded end) of every frame, footer frames included.
    let mut boundaries = vec![(16, 16)];
    let mut at = 16;
    while at < bytes.len() {
        let payload_len = u64::from_le_bytes(bytes[at + 8..at + 16].try_into().unwrap()) as usize;
        let end = (at + 24 + payload_len).div_ceil(8) * 8;
        boundaries.push((at + 24 + payload_len, end));
        at = end;
    }
    for len in 0..=bytes.len() {
        let cut = &bytes[..len];
        match read(cut) {
            Err(StoreError::NotARecording { .. }) => assert!(len < 16, "len {len}"),
            Err(e) => panic!("len {len}: unexpected error {e}"),
            Ok((got, report)) => {
                // A chunk is complete once its payload is there; padding may be missing.
                let complete = payload_ends.iter().filter(|&&e| e <= len).count();
                assert_eq!(got.len(), complete, "len {len}: {report:?}");
                assert_eq!(&got[..], &chunks[..complete], "len {len}");
                assert!(report.skipped.is_empty(), "len {len}: {report:?}");
                let at_frame_boundary = boundaries.iter().any(|&(_, end)| end == len);
                let in_padding = boundaries.iter().any(|&(p, e)| p <= len && len < e);
                if len < bytes.len() && !at_frame_boundary && !in_padding {
                    assert!(
                        report.torn_tail.is_some(),
                        "len {len}: the cut went unreported"
                    );
                }
                assert_eq!(report.clean_close, len == bytes.len(), "len {len}");
            }
        }
    }
}

#[test]
fn every_flipped_byte_is_detected() {
    let (bytes, chunks, _) = small_recording(3);
    for pos in 0..bytes.len() {
        let mut bad = bytes.clone();
        bad[pos] ^= 0x04;
        match read(&bad) {
            Err(StoreError::NotARecording { .. } | StoreError::CorruptHeader { .. }) => {
                assert!(pos < 16)
            }
            Err(e) => panic!("pos {pos}: unexpected error {e}"),
            Ok((got, report)) => {
                // Whatever is returned is exactly what was written.
                for c in &got {
                    assert!(
                        chunks.contains(c),
                        "pos {pos}: a damaged chunk was returned"
                    );
                }
                if got.len() < chunks.len() {
                    assert!(report.is_damaged(), "pos {pos}: lost a chunk silently");
                }
                if got.len() == chunks.len() && !report.is_damaged() && report.clean_close {
                    // Only padding bytes are unchecked; they carry no data.
                    assert_eq!(bytes[pos], 0, "pos {pos}: a flip went unnoticed");
                }
            }
        }
    }
}

#[test]
fn damage_in_the_middle_is_skipped_and_later_chunks_are_kept() {
    let (bytes, chunks, ends) = small_recording(5);
    // Overwrite the whole second frame (header included) with garbage.
    let mut bad = bytes.clone();
    for b in &mut bad[ends[0] as usize..ends[1] as usize] {
        *b = 0xAB;
    }
    let (got, report) = read(&bad).unwrap();
    assert_eq!(got.len(), 4);
    assert_eq!(got[0], chunks[0]);
    assert_eq!(&got[1..], &chunks[2..]);
    assert_eq!(report.skipped.len(), 1);
    assert_eq!(report.skipped[0].offset, ends[0]);
    assert_eq!(report.skipped[0].len, ends[1] - ends[0]);
    assert!(report.skipped[0].reason.contains("damaged"), "{report:?}");
}

#[test]
fn newer_major_versions_get_a_clear_error() {
    let (mut bytes, _, _) = small_recording(1);
    bytes[8] = 2; // major version 2
    let crc = crc32(&bytes[..12]);
    bytes[12..16].copy_from_slice(&crc.to_le_bytes());
    let e = read(&bytes).err().unwrap().to_string();
    assert!(
        e.contains("newer reel (format 2.0)") && e.contains("upgrade"),
        "{e}"
    );
    // A newer minor version is readable.
    bytes[8] = 1;
    bytes[10] = 7;
    let crc = crc32(&bytes[..12]);
    bytes[12..16].copy_from_slice(&crc.to_le_bytes());
    assert_eq!(read(&bytes).unwrap().0.len(), 1);
}

#[test]
fn not_a_recording_names_the_file_and_bytes() {
    let e = read(b"PK\x03\x04 this is a zip file")
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("test.reel") && e.contains("50 4b 03 04"), "{e}");
    let e = RecordingReader::open("/nonexistent/x.reel")
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("/nonexistent/x.reel"), "{e}");
}

#[test]
fn the_footer_indexes_chunks_and_keyframes() {
    let (bytes, chunks, ends) = small_recording(4);
    let mut reader = RecordingReader::from_bytes(&bytes, "test.reel").unwrap();
    let index = reader.read_index().unwrap().expect("index");
    assert_eq!(index.chunks.len(), 4);
    let mut start = 16;
    for (entry, (chunk, end)) in index.chunks.iter().zip(chunks.iter().zip(&ends)) {
        assert_eq!(entry.offset, start);
        assert_eq!(entry.offset + entry.frame_len, *end);
        assert_eq!(&entry.entity_path, chunk.entity_path());
        assert_eq!(entry.num_rows, 3);
        assert_eq!(entry.time_ranges[0].timeline, "frame");
        assert_eq!(reader.read_chunk_at(entry.offset).unwrap(), *chunk);
        start = *end;
    }
    // One keyframe (row 0) per chunk, sorted by entity then time.
    assert_eq!(index.keyframes.len(), 4);
    assert!(index.keyframes.iter().all(|k| k.row == 0));
    let e0: Vec<i64> = index
        .keyframes
        .iter()
        .filter(|k| k.entity_path.to_string() == "/e0")
        .map(|k| k.time)
        .collect();
    assert_eq!(e0, vec![0, 6]);
    // Seeking with the index: read one chunk directly and check its first time.
    let k = &index.keyframes[1];
    let chunk = reader.read_chunk_at(k.chunk_offset).unwrap();
    let (_, times) = chunk.timeline_values("frame").unwrap();
    assert_eq!(times[k.row as usize], Some(k.time));
    // A file without a footer has no index, but scans fine.
    let (bytes, _, ends) = small_recording(2);
    let cut = &bytes[..ends[1] as usize];
    assert!(
        RecordingReader::from_bytes(cut, "x")
            .unwrap()
            .read_index()
            .unwrap()
            .is_none()
    );
}

#[test]
fn a_growing_file_is_read_incrementally() {
    let (bytes, chunks, ends) = small_recording(4);
    let mut seen = Vec::new();
    let mut next = 16;
    for &cut in &[
        ends[0] as usize + 5,
        ends[1] as usize,
        ends[3] as usize - 1,
        bytes.len(),
    ] {
        let mut reader = RecordingReader::from_bytes(&bytes[..cut], "live").unwrap();
        let report = reader.scan_from(next, |_, c| seen.push(c)).unwrap();
        next = report.end_offset.min(
            ends.iter()
                .copied()
                .filter(|&e| e <= cut as u64)
                .max()
                .unwrap_or(16),
        );
    }
    assert_eq!(seen, chunks);
}

fn crc32(b: &[u8]) -> u32 {
    // Bitwise CRC-32 (IEEE), independent of the implementation under test.
    let mut crc = !0u32;
    for &byte in b {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[test]
fn absurd_lengths_with_valid_checksums_do_not_overflow() {
    // Found by the `read_recording_repaired` fuzz target: a frame header
    // whose CRC is right but whose payload length is near u64::MAX.
    let (bytes, chunks, ends) = small_recording(2);
    let mut bad = bytes[..ends[0] as usize].to_vec();
    let mut header = [0u8; 24];
    header[..4].copy_from_slice(b"RLFR");
    header[4] = 1;
    header[8..16].copy_from_slice(&(u64::MAX - 5).to_le_bytes());
    let crc = crc32(&header[..20]);
    header[20..24].copy_from_slice(&crc.to_le_bytes());
    bad.extend_from_slice(&header);
    bad.extend_from_slice(&[0u8; 40]);
    let (got, report) = read(&bad).unwrap();
    assert_eq!(got, chunks[..1]);
    let tail = report.torn_tail.expect("reported as an incomplete tail");
    assert_eq!(tail.offset, ends[0]);
    let mut reader = RecordingReader::from_bytes(&bad, "x").unwrap();
    assert!(reader.read_chunk_at(ends[0]).is_err());
    assert!(reader.read_chunk_at(u64::MAX - 3).is_err());
}

#[test]
fn a_malformed_arrow_schema_behind_valid_checksums_is_skipped() {
    // Found by the `read_recording_repaired` fuzz target: arrow-ipc 59
    // panics ("Type NONE not supported") on this schema; reel turns that
    // into a skipped frame and goes on.
    let bytes = include_bytes!("data/ipc_schema_type_none.bin");
    let (_, report) = read(bytes).unwrap();
    assert!(
        report
            .skipped
            .iter()
            .any(|s| s.reason.contains("Arrow type NONE")),
        "{report:?}"
    );
}

#[test]
fn an_absurd_decompressed_length_is_rejected_before_allocating() {
    // Found by the `read_recording_repaired` fuzz target: an LZ4 buffer
    // declaring ~8e17 decompressed bytes made arrow-ipc try to allocate
    // them (an abort, not a panic). reel checks the declared sizes first.
    let bytes = include_bytes!("data/ipc_huge_decompressed_length.bin");
    let (_, report) = read(bytes).unwrap();
    assert!(
        report
            .skipped
            .iter()
            .any(|s| s.reason.contains("more than the codec can produce")),
        "{report:?}"
    );
}

/// Rewrites every frame's payload and header CRC so that a change inside a
/// payload reaches the Arrow decoder and the index parsers.
fn repair_checksums(bytes: &mut [u8]) {
    let mut pos = 16usize;
    while pos + 24 <= bytes.len() {
        let len = u64::from_le_bytes(bytes[pos + 8..pos + 16].try_into().unwrap()) as usize;
        let end = (pos + 24 + len).min(bytes.len());
        let payload_crc = crc32(&bytes[pos + 24..end]);
        bytes[pos + 16..pos + 20].copy_from_slice(&payload_crc.to_le_bytes());
        let header_crc = crc32(&bytes[pos..pos + 20]);
        bytes[pos + 20..pos + 24].copy_from_slice(&header_crc.to_le_bytes());
        pos = (pos + 24 + len).div_ceil(8) * 8;
    }
}

/// Offsets of every frame payload byte (headers left alone: their changes are
/// covered by `every_flipped_byte_is_detected`).
fn payload_bytes(bytes: &[u8]) -> Vec<usize> {
    let mut out = Vec::new();
    let mut pos = 16usize;
    while pos + 24 <= bytes.len() {
        let len = u64::from_le_bytes(bytes[pos + 8..pos + 16].try_into().unwrap()) as usize;
        out.extend(pos + 24..pos + 24 + len);
        pos = (pos + 24 + len).div_ceil(8) * 8;
    }
    out
}

#[test]
fn every_changed_payload_byte_behind_valid_checksums_is_read_or_reported() {
    // One-byte changes to chunk and index payloads with valid CRCs used to
    // make arrow-ipc/arrow-buffer panic (printed with a backtrace) while
    // `reel info` said "nothing skipped". Now each such frame is checked
    // before decoding or fenced, skipped and reported with a one-line
    // reason; no panic reaches the panic hook.
    use std::sync::{Arc, Mutex};
    let (bytes, chunks, _) = small_recording(2);
    let this_thread = std::thread::current().id();
    let escaped = Arc::new(Mutex::new(Vec::<String>::new()));
    reel_types::guard::install_hook();
    let previous: Arc<dyn Fn(&std::panic::PanicHookInfo<'_>) + Send + Sync> =
        Arc::from(std::panic::take_hook());
    {
        let (escaped, previous) = (escaped.clone(), previous.clone());
        std::panic::set_hook(Box::new(move |info| {
            let here = std::thread::current().id() == this_thread;
            if here && !reel_types::guard::fenced() {
                escaped.lock().unwrap().push(info.to_string());
            } else {
                previous(info);
            }
        }));
    }
    let (mut changed, mut reported, mut fenced) = (0, 0, 0);
    let mut failures = Vec::new();
    for at in payload_bytes(&bytes) {
        let value = bytes[at] ^ 0xFF;
        let mut bad = bytes.clone();
        bad[at] = value;
        repair_checksums(&mut bad);
        changed += 1;
        let Ok(Ok((got, report))) = std::panic::catch_unwind(|| read(&bad)) else {
            failures.push(format!(
                "byte {at} = {value:#x}: panicked or failed the whole file"
            ));
            continue;
        };
        for s in &report.skipped {
            if s.reason.is_empty() || s.reason.contains('\n') {
                failures.push(format!("byte {at}: reason not one line: {s:?}"));
            }
            fenced += usize::from(s.reason.contains("the Arrow data is malformed"));
        }
        let index_lost = report.clean_close && report.index.is_none();
        if got.len() < chunks.len() || index_lost {
            reported += 1;
            if report.skipped.is_empty() {
                failures.push(format!(
                    "byte {at} = {value:#x}: data lost without a report"
                ));
            }
        }
    }
    std::panic::set_hook(Box::new(move |info| previous(info)));
    let escaped = escaped.lock().unwrap();
    assert!(
        escaped.is_empty(),
        "panics reached the hook: {:?}",
        &escaped[..escaped.len().min(3)]
    );
    assert!(
        failures.is_empty(),
        "{} failures: {:?}",
        failures.len(),
        &failures[..failures.len().min(5)]
    );
    eprintln!(
        "{changed} changed recordings: {reported} lost a chunk or the index and said so, \
         {fenced} frames stopped by the fence around arrow-ipc"
    );
    assert!(reported > 100, "the changes must reach the decoder");
}

#[test]
fn a_field_of_an_unknown_arrow_type_is_skipped_without_following_its_table() {
    // Found by the `arrow_payloads` and `read_recording_repaired` fuzz
    // targets: the flatbuffer verifier skips the type table of a union
    // variant it does not know, and reel's schema check read it anyway (an
    // out-of-bounds slice in flatbuffers). Each input is the fuzz target's:
    // a selector byte (which frame gets the payload), then the payload.
    use reel_store::format::{
        FrameKind, encode_file_header, encode_frame_header, encode_trailer, padding,
    };
    fn push(file: &mut Vec<u8>, kind: FrameKind, payload: &[u8]) -> u64 {
        let at = file.len() as u64;
        file.extend_from_slice(&encode_frame_header(kind, payload));
        file.extend_from_slice(payload);
        file.resize(file.len() + padding(payload.len() as u64), 0);
        at
    }
    for input in [
        &include_bytes!("data/ipc_unknown_type_union_a.bin")[..],
        &include_bytes!("data/ipc_unknown_type_union_b.bin")[..],
    ] {
        let (&selector, payload) = input.split_first().unwrap();
        let kinds = [
            FrameKind::Chunk,
            FrameKind::ChunkIndex,
            FrameKind::KeyframeIndex,
        ];
        let mut file = encode_file_header().to_vec();
        push(&mut file, kinds[usize::from(selector) % 3], payload);
        let ci = push(&mut file, FrameKind::ChunkIndex, payload);
        let ki = push(&mut file, FrameKind::KeyframeIndex, payload);
        push(&mut file, FrameKind::Trailer, &encode_trailer(ci, ki));
        let (_, report) = read(&file).unwrap();
        assert!(!report.skipped.is_empty(), "{report:?}");
    }
}
