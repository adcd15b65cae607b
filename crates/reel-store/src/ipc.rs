//! Arrow IPC encoding of record batches: the payload of every data frame.

use std::io::Cursor;

use arrow_array::RecordBatch;
use arrow_ipc::CompressionType;
use arrow_ipc::reader::StreamReader;
use arrow_ipc::writer::{IpcWriteOptions, StreamWriter};
use arrow_schema::ArrowError;

use crate::{ipc_check, ipc_write};

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
    let mut out = Vec::new();
    encode_batch_into(batch, compression, &mut out)?;
    Ok(out)
}

/// [`encode_batch`] into `out`, which is cleared first: a caller encoding
/// chunk after chunk hands the same buffer back and its memory is reused.
pub fn encode_batch_into(
    batch: &RecordBatch,
    compression: Compression,
    out: &mut Vec<u8>,
) -> Result<(), String> {
    out.clear();
    let compression = if compression == Compression::Lz4 && !worth_lz4(batch) {
        Compression::Off
    } else {
        compression
    };
    if matches!(compression, Compression::Off | Compression::Lz4)
        && let Some(done) = ipc_write::write_stream(batch, compression == Compression::Lz4, out)
    {
        return done;
    }
    let options = IpcWriteOptions::default()
        .try_with_compression(compression.arrow())
        .and_then(|o| o.try_with_compression_level(compression.level()))
        .map_err(|e| e.to_string())?;
    // Room for the batch uncompressed (arrow-ipc stores a buffer raw when
    // it does not shrink): a smaller guess made the Vec grow and copy.
    out.reserve(batch.get_array_memory_size() + 4096);
    let mut writer = StreamWriter::try_new_with_options(&mut *out, &batch.schema(), options)
        .map_err(|e| e.to_string())?;
    writer.write(batch).map_err(|e| e.to_string())?;
    writer.finish().map_err(|e| e.to_string())?;
    Ok(())
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

/// Why arrow-ipc refused a payload, in words: a buffer that does not
/// decompress reaches us as an I/O error carrying the codec's enum name
/// ("Io error: DecompressionError(OffsetOutOfBounds)").
fn arrow_reason(e: ArrowError) -> String {
    match e {
        ArrowError::IoError(desc, _) => {
            let detail = desc
                .trim_start_matches("DecompressionError(")
                .trim_end_matches(')');
            format!(
                "a compressed Arrow buffer does not decompress ({})",
                words(detail)
            )
        }
        other => format!("the Arrow data is malformed ({other})"),
    }
}

/// "OffsetOutOfBounds" → "offset out of bounds".
fn words(camel: &str) -> String {
    let mut out = String::new();
    for (i, c) in camel.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push(' ');
        }
        out.extend(c.to_lowercase());
    }
    out
}

/// Decodes the single batch of an IPC stream.
///
/// The bytes come from disk (or the network) and may be anything. They are
/// checked first ([`ipc_check`]: sizes, buffer ranges, only the types reel
/// writes), which keeps arrow-ipc away from the inputs it allocates for
/// without limit or asserts on; the Arrow reader then runs with full
/// validation, fenced by [`reel_types::guard`] for the assertions left.
///
/// Errors are one line (flatbuffers' verifier appends a trace): they end up
/// in a list of skipped frames.
pub fn decode_batch(bytes: &[u8]) -> Result<RecordBatch, String> {
    let decoded = ipc_check::check_stream(bytes).and_then(|()| {
        reel_types::guard::third_party(|| -> Result<RecordBatch, String> {
            let mut reader =
                StreamReader::try_new(Cursor::new(bytes), None).map_err(arrow_reason)?;
            reader
                .next()
                .ok_or_else(|| "the Arrow IPC stream holds no record batch".to_string())?
                .map_err(arrow_reason)
        })
        .map_err(|panic| format!("the Arrow data is malformed ({panic})"))?
    });
    decoded.map_err(|e| {
        e.lines()
            .next()
            .unwrap_or("malformed Arrow data")
            .trim()
            .to_string()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{ArrayRef, UInt8Array};
    use std::sync::Arc;

    /// Damaged LZ4 inside a well-formed message is named as such, not as
    /// arrow's "Io error: DecompressionError(…)".
    #[test]
    fn a_buffer_that_does_not_decompress_is_named_in_words() {
        let values: Vec<u8> = (0..4096u32).map(|i| (i / 64) as u8).collect();
        let column: ArrayRef = Arc::new(UInt8Array::from(values));
        let batch = RecordBatch::try_from_iter([("pixels", column)]).unwrap();
        let bytes = encode_batch(&batch, Compression::Lz4).unwrap();
        let magic = [0x04, 0x22, 0x4d, 0x18];
        let frame = bytes
            .windows(4)
            .position(|w| w == magic)
            .expect("an LZ4 frame");
        let mut reasons = Vec::new();
        for at in frame + 7..(frame + 64).min(bytes.len()) {
            let mut damaged = bytes.clone();
            damaged[at] ^= 0xff;
            if let Err(reason) = decode_batch(&damaged) {
                reasons.push(reason);
            }
        }
        assert!(
            reasons.iter().any(|r| r.contains("does not decompress (")),
            "{reasons:#?}"
        );
        assert!(
            !reasons.iter().any(|r| r.contains("Io error")),
            "{reasons:#?}"
        );
    }
}
