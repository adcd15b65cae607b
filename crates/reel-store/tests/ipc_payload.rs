//! Chunk payloads written by reel's own IPC writer decode, through
//! arrow-ipc's reader, to the very batch that was written: every column
//! type reel writes, with and without nulls, multi-block LZ4 frames,
//! incompressible data, empty and sliced batches. arrow-ipc's own writer
//! is the reference for size.

use std::io::Cursor;
use std::sync::Arc;

use arrow_array::builder::Float32Builder;
use arrow_array::builder::{FixedSizeBinaryBuilder, LargeListBuilder, ListBuilder, UInt8Builder};
use arrow_array::{
    ArrayRef, BooleanArray, Float64Array, Int64Array, LargeBinaryArray, NullArray, RecordBatch,
    StringArray, StructArray, TimestampNanosecondArray, UInt32Array, UInt64Array,
};
use arrow_ipc::reader::StreamReader;
use arrow_ipc::writer::{IpcWriteOptions, StreamWriter};
use arrow_schema::{DataType, Field};
use reel_store::{Compression, decode_batch, encode_batch, encode_batch_into};

/// Smooth bytes LZ4 shrinks (a gradient that drifts).
fn smooth(len: usize, seed: u64) -> Vec<u8> {
    (0..len)
        .map(|i| ((i as u64 / 7 + seed * 3 + (i as u64 % 640) / 5) % 251) as u8)
        .collect()
}

/// Bytes LZ4 does not shrink (xorshift).
fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

fn batch(columns: Vec<(&str, ArrayRef)>) -> RecordBatch {
    RecordBatch::try_from_iter_with_nullable(columns.into_iter().map(|(n, c)| (n, c, true)))
        .unwrap()
}

fn every_type(rows: usize, with_nulls: bool) -> RecordBatch {
    let null_at = |i: usize| with_nulls && i % 3 == 1;
    fn some_unless<T>(null: bool, v: T) -> Option<T> {
        (!null).then_some(v)
    }
    macro_rules! opt {
        ($i:expr, $v:expr) => {
            some_unless(null_at($i), $v)
        };
    }
    let mut list = ListBuilder::new(UInt8Builder::new());
    let mut large_list = LargeListBuilder::new(Float32Builder::new());
    let mut fixed = FixedSizeBinaryBuilder::new(5);
    for i in 0..rows {
        if null_at(i) {
            list.append_null();
            large_list.append_null();
            fixed.append_null();
        } else {
            list.values().append_slice(&smooth(i % 9, i as u64));
            list.append(true);
            for k in 0..i % 4 {
                large_list.values().append_value(k as f32 * 0.5);
            }
            large_list.append(true);
            fixed.append_value([i as u8; 5]).unwrap();
        }
    }
    let blobs: Vec<Option<Vec<u8>>> = (0..rows)
        .map(|i| opt!(i, smooth(1000 + i * 37, i as u64)))
        .collect();
    let strings: Vec<Option<String>> = (0..rows).map(|i| opt!(i, format!("row {i}"))).collect();
    let a: ArrayRef = Arc::new(UInt32Array::from_iter((0..rows).map(|i| opt!(i, i as u32))));
    let b: ArrayRef = Arc::new(BooleanArray::from_iter(
        (0..rows).map(|i| opt!(i, i % 2 == 0)),
    ));
    let structs: ArrayRef = Arc::new(StructArray::from(vec![
        (Arc::new(Field::new("a", DataType::UInt32, true)), a),
        (Arc::new(Field::new("b", DataType::Boolean, true)), b),
    ]));
    batch(vec![
        (
            "row_id",
            Arc::new(UInt64Array::from_iter_values(0..rows as u64)),
        ),
        (
            "frame",
            Arc::new(Int64Array::from_iter(
                (0..rows).map(|i| opt!(i, i as i64 * 10)),
            )),
        ),
        (
            "time",
            Arc::new(TimestampNanosecondArray::from_iter(
                (0..rows).map(|i| opt!(i, i as i64)),
            )),
        ),
        (
            "f64",
            Arc::new(Float64Array::from_iter(
                (0..rows).map(|i| opt!(i, i as f64 / 3.0)),
            )),
        ),
        (
            "flag",
            Arc::new(BooleanArray::from_iter(
                (0..rows).map(|i| opt!(i, i % 5 == 0)),
            )),
        ),
        ("text", Arc::new(StringArray::from(strings))),
        ("blob", Arc::new(LargeBinaryArray::from_iter(blobs))),
        ("list", Arc::new(list.finish())),
        ("large_list", Arc::new(large_list.finish())),
        ("fixed", Arc::new(fixed.finish())),
        ("nothing", Arc::new(NullArray::new(rows))),
        ("struct", structs),
    ])
}

/// arrow-ipc's own encoding of `batch`, the reference.
fn arrow_ipc_encoding(batch: &RecordBatch, lz4: bool) -> Vec<u8> {
    let compression = lz4.then_some(arrow_ipc::CompressionType::LZ4_FRAME);
    let options = IpcWriteOptions::default()
        .try_with_compression(compression)
        .unwrap();
    let mut out = Vec::new();
    let mut w = StreamWriter::try_new_with_options(&mut out, &batch.schema(), options).unwrap();
    w.write(batch).unwrap();
    w.finish().unwrap();
    drop(w);
    out
}

/// Decodes with arrow-ipc alone (no reel check in between).
fn arrow_ipc_decode(bytes: &[u8]) -> RecordBatch {
    let mut reader = StreamReader::try_new(Cursor::new(bytes), None).unwrap();
    let batch = reader.next().unwrap().unwrap();
    assert!(reader.next().is_none(), "one batch, then the end marker");
    batch
}

fn round_trip(name: &str, batch: &RecordBatch) {
    for compression in [Compression::Off, Compression::Lz4] {
        let bytes = encode_batch(batch, compression).unwrap();
        assert_eq!(
            &decode_batch(&bytes).unwrap(),
            batch,
            "{name} {compression:?}"
        );
        assert_eq!(&arrow_ipc_decode(&bytes), batch, "{name} {compression:?}");
        let reference = arrow_ipc_encoding(batch, compression == Compression::Lz4);
        // Headers with every field written and offsets of empty arrays
        // cost a few hundred bytes at most.
        assert!(
            bytes.len() <= reference.len() + 512,
            "{name} {compression:?}: {} bytes, arrow-ipc {}",
            bytes.len(),
            reference.len()
        );
    }
}

#[test]
fn every_column_type_decodes_to_what_was_written() {
    for rows in [0, 1, 2, 7, 64, 300] {
        round_trip(&format!("{rows} rows"), &every_type(rows, false));
        round_trip(&format!("{rows} rows with nulls"), &every_type(rows, true));
    }
}

#[test]
fn images_of_several_lz4_blocks_decode_and_compress_like_arrow_ipc() {
    // 9.2 MB of pixels: frames of two full 4 MiB blocks and a short one.
    let frames: Vec<Vec<u8>> = (0..10).map(|i| smooth(640 * 480 * 3, i)).collect();
    let images = batch(vec![(
        "pixels",
        Arc::new(LargeBinaryArray::from_iter_values(frames.iter())),
    )]);
    let ours = encode_batch(&images, Compression::Lz4).unwrap();
    assert_eq!(arrow_ipc_decode(&ours), images);
    let theirs = arrow_ipc_encoding(&images, true);
    let raw = 10 * 640 * 480 * 3;
    assert!(
        ours.len() < raw / 2,
        "{} of {raw} bytes: LZ4 was not applied",
        ours.len()
    );
    // Independent blocks of the same size with the same compressor: the
    // same size to within headers and padding (reel's validity buffers
    // are empty, not all-ones bitmaps).
    assert!(
        ours.len() <= theirs.len() + 512 && ours.len() + 4096 > theirs.len(),
        "reel {} bytes, arrow-ipc {}",
        ours.len(),
        theirs.len()
    );
}

#[test]
fn noise_is_stored_raw_and_mixed_buffers_fall_back_per_block() {
    let noisy = batch(vec![(
        "pixels",
        Arc::new(LargeBinaryArray::from_iter_values([
            noise(3 << 20, 1),
            noise(3 << 20, 2),
        ])),
    )]);
    let bytes = encode_batch(&noisy, Compression::Lz4).unwrap();
    assert_eq!(arrow_ipc_decode(&bytes), noisy);
    assert!(
        bytes.len() < (6 << 20) + 4096,
        "noise is not inflated: {}",
        bytes.len()
    );
    // Smooth then noise in one buffer: LZ4 is worth it overall, and the
    // incompressible 4 MiB block is stored raw inside the frame.
    let mut mixed = smooth(5 << 20, 3);
    mixed.extend(noise(5 << 20, 4));
    let mixed = batch(vec![(
        "pixels",
        Arc::new(LargeBinaryArray::from_iter_values([mixed])),
    )]);
    round_trip("mixed", &mixed);
}

#[test]
fn sliced_batches_are_written_whole_and_right() {
    let full = every_type(50, true);
    for (offset, len) in [(1, 10), (17, 33), (0, 0), (49, 1)] {
        round_trip(&format!("slice {offset}+{len}"), &full.slice(offset, len));
    }
}

#[test]
fn a_reused_buffer_gives_the_same_bytes() {
    let (a, b) = (every_type(64, true), every_type(7, false));
    let mut buffer = Vec::new();
    for (batch, compression) in [
        (&a, Compression::Lz4),
        (&b, Compression::Off),
        (&a, Compression::Lz4),
    ] {
        encode_batch_into(batch, compression, &mut buffer).unwrap();
        assert_eq!(buffer, encode_batch(batch, compression).unwrap());
    }
}
