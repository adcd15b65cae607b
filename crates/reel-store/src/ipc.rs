//! Arrow IPC encoding of record batches: the payload of every data frame.

use std::io::Cursor;
use std::panic::{catch_unwind, AssertUnwindSafe};

use arrow_array::RecordBatch;
use arrow_ipc::reader::StreamReader;
use arrow_ipc::writer::{IpcWriteOptions, StreamWriter};
use arrow_ipc::CompressionType;

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
    /// Zstandard: smaller, slower (needs the `zstd` feature).
    #[cfg(feature = "zstd")]
    Zstd,
}

impl Compression {
    fn arrow(self) -> Option<CompressionType> {
        match self {
            Self::Off => None,
            Self::Lz4 => Some(CompressionType::LZ4_FRAME),
            #[cfg(feature = "zstd")]
            Self::Zstd => Some(CompressionType::ZSTD),
        }
    }

    /// Parses `off`, `lz4` or `zstd`.
    pub fn from_name(s: &str) -> Option<Self> {
        match s {
            "off" | "none" => Some(Self::Off),
            "lz4" => Some(Self::Lz4),
            #[cfg(feature = "zstd")]
            "zstd" => Some(Self::Zstd),
            _ => None,
        }
    }
}

/// Encodes one batch as a complete IPC stream (schema, batch, end marker).
pub fn encode_batch(batch: &RecordBatch, compression: Compression) -> Result<Vec<u8>, String> {
    let options = IpcWriteOptions::default()
        .try_with_compression(compression.arrow())
        .map_err(|e| e.to_string())?;
    let mut out = Vec::with_capacity(batch.get_array_memory_size() / 2 + 1024);
    let mut writer = StreamWriter::try_new_with_options(&mut out, &batch.schema(), options)
        .map_err(|e| e.to_string())?;
    writer.write(batch).map_err(|e| e.to_string())?;
    writer.finish().map_err(|e| e.to_string())?;
    drop(writer);
    Ok(out)
}

/// Decodes the single batch of an IPC stream.
///
/// The bytes come from disk (or the network) and may be anything, so the
/// Arrow reader runs with full validation, and — as a last line of defense
/// against a panic in a third-party parser on hostile input — behind
/// `catch_unwind`; a caught panic becomes an ordinary error.
pub fn decode_batch(bytes: &[u8]) -> Result<RecordBatch, String> {
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
