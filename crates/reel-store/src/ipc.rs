//! Arrow IPC encoding of record batches: the payload of every data frame.

use std::io::Cursor;
use std::panic::{AssertUnwindSafe, catch_unwind};

use arrow_array::RecordBatch;
use arrow_ipc::CompressionType;
use arrow_ipc::reader::StreamReader;
use arrow_ipc::writer::{IpcWriteOptions, StreamWriter};

/// How chunk bodies are compressed inside their Arrow IPC message.
///
/// Compression is Arrow's own body compression, so any Arrow reader
/// (pyarrow, arrow-rs, arrow C++) decodes a frame without reel's help.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Compression {
    /// Raw buffers: fastest to write, largest.
    Off,
    /// LZ4 frame: fast, good on smooth images. The default.
    #[default]
    Lz4,
    /// Zstandard at the given level (1 is a good default; negative levels
    /// are faster, higher ones smaller). Needs the `zstd` feature.
    #[cfg(feature = "zstd")]
    Zstd(i32),
}

impl Compression {
    fn arrow(self) -> Option<CompressionType> {
        match self {
            Self::Off => None,
            Self::Lz4 => Some(CompressionType::LZ4_FRAME),
            #[cfg(feature = "zstd")]
            Self::Zstd(_) => Some(CompressionType::ZSTD),
        }
    }

    fn level(self) -> Option<i32> {
        match self {
            #[cfg(feature = "zstd")]
            Self::Zstd(level) => Some(level),
            _ => None,
        }
    }
}

/// Encodes one batch as a complete IPC stream (schema, batch, end marker).
pub fn encode_batch(batch: &RecordBatch, compression: Compression) -> Result<Vec<u8>, String> {
    let compression = if compression == Compression::Lz4 && !worth_lz4(batch) {
        Compression::Off
    } else {
        compression
    };
    let options = IpcWriteOptions::default()
        .try_with_compression(compression.arrow())
        .and_then(|o| o.try_with_compression_level(compression.level()))
        .map_err(|e| e.to_string())?;
    let mut out = Vec::with_capacity(batch.get_array_memory_size() / 2 + 1024);
    let mut writer = StreamWriter::try_new_with_options(&mut out, &batch.schema(), options)
        .map_err(|e| e.to_string())?;
    writer.write(batch).map_err(|e| e.to_string())?;
    writer.finish().map_err(|e| e.to_string())?;
    drop(writer);
    Ok(out)
}

/// Whether LZ4 is likely to shrink the batch: compresses a few samples of
/// its largest buffer. Noise (sensor noise, already-compressed blobs) does
/// not shrink, and trying costs more than writing it raw, so such chunks are
/// stored uncompressed.
fn worth_lz4(batch: &RecordBatch) -> bool {
    const SAMPLE: usize = 16 * 1024;
    let largest = batch
        .columns()
        .iter()
        .flat_map(|c| c.to_data().buffers().to_vec())
        .max_by_key(|b| b.len());
    let Some(buf) = largest else {
        return true;
    };
    let bytes = buf.as_slice();
    if bytes.len() < 4 * SAMPLE {
        return true;
    }
    let step = bytes.len() / 4;
    let (mut raw, mut packed) = (0usize, 0usize);
    for i in 1..4 {
        let sample = &bytes[i * step..(i * step + SAMPLE).min(bytes.len())];
        raw += sample.len();
        packed += lz4_flex::block::compress(sample).len();
    }
    packed * 10 < raw * 9
}

/// Decodes the single batch of an IPC stream.
///
/// The bytes come from disk (or the network) and may be anything, so the
/// Arrow reader runs with full validation, and — as a last line of defense
/// against a panic in a third-party parser on hostile input — behind
/// `catch_unwind`; a caught panic becomes an ordinary error.
pub fn decode_batch(bytes: &[u8]) -> Result<RecordBatch, String> {
    check_decompressed_sizes(bytes)?;
    let result = catch_unwind(AssertUnwindSafe(|| -> Result<RecordBatch, String> {
        let mut reader =
            StreamReader::try_new(Cursor::new(bytes), None).map_err(|e| e.to_string())?;
        let batch = reader
            .next()
            .ok_or_else(|| "the Arrow IPC stream holds no record batch".to_string())?
            .map_err(|e| e.to_string())?;
        Ok(batch)
    }));
    match result {
        Ok(r) => r,
        Err(_) => Err("the Arrow IPC reader failed on malformed data".into()),
    }
}

/// Most bytes one compressed byte can stand for: LZ4 tops out near 255:1;
/// zstd's RLE blocks reach about 32768:1 (128 KiB from 4 bytes).
const MAX_RATIO_LZ4: u64 = 256;
const MAX_RATIO_ZSTD: u64 = 32_768;

/// Checks every compressed buffer's declared decompressed length against
/// what its codec can possibly produce from its compressed size.
///
/// arrow-ipc allocates the declared length up front; a hostile or damaged
/// file declaring exabytes would abort the process on allocation failure,
/// which no `catch_unwind` can stop. Walking the stream's messages here
/// (flatbuffers verified by `root_as_message`) rejects such a frame first.
fn check_decompressed_sizes(bytes: &[u8]) -> Result<(), String> {
    let mut pos = 0usize;
    let read_i32 = |at: usize| -> Option<i32> {
        Some(i32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
    };
    while pos + 4 <= bytes.len() {
        let mut len = read_i32(pos).ok_or("IPC message length cut short")?;
        pos += 4;
        if len == -1 {
            // Continuation marker, then the length.
            len = read_i32(pos).ok_or("IPC message length cut short")?;
            pos += 4;
        }
        if len == 0 {
            return Ok(()); // end of stream
        }
        let len = usize::try_from(len).map_err(|_| "negative IPC message length")?;
        let meta = bytes
            .get(pos..pos.saturating_add(len))
            .ok_or("IPC message metadata cut short")?;
        pos += len;
        let message =
            arrow_ipc::root_as_message(meta).map_err(|e| format!("invalid IPC message: {e}"))?;
        let body_len =
            usize::try_from(message.bodyLength()).map_err(|_| "negative IPC body length")?;
        let body = bytes
            .get(pos..pos.saturating_add(body_len))
            .ok_or("IPC message body cut short")?;
        pos += body_len;
        let batch = message
            .header_as_record_batch()
            .or_else(|| message.header_as_dictionary_batch().and_then(|d| d.data()));
        let Some(batch) = batch else { continue };
        let Some(compression) = batch.compression() else {
            continue;
        };
        let ratio = if compression.codec() == arrow_ipc::CompressionType::ZSTD {
            MAX_RATIO_ZSTD
        } else {
            MAX_RATIO_LZ4
        };
        for buffer in batch.buffers().iter().flatten() {
            let (offset, length) = (buffer.offset(), buffer.length());
            if length < 8 {
                continue;
            }
            let start = usize::try_from(offset).map_err(|_| "negative buffer offset")?;
            let prefix = body
                .get(start..start + 8)
                .ok_or("IPC buffer outside its message body")?;
            let declared = i64::from_le_bytes(prefix.try_into().map_err(|_| "bad buffer prefix")?);
            // -1 marks a buffer stored uncompressed.
            if declared == -1 {
                continue;
            }
            let compressed = (length as u64).saturating_sub(8);
            let limit = compressed.saturating_mul(ratio).saturating_add(1024);
            if declared < 0 || declared as u64 > limit {
                return Err(format!(
                    "a compressed buffer declares {declared} bytes from {compressed} compressed bytes (more than the codec can produce)"
                ));
            }
        }
    }
    Ok(())
}
