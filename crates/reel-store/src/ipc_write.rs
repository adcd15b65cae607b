//! reel's own writer of the record batch message, for LZ4 and raw bodies.
//!
//! Why not arrow-ipc's `StreamWriter` for these: with LZ4 it passes every
//! buffer through four fresh allocations (the frame encoder's block buffer,
//! its output block, a growing scratch `Vec`, the stream), so logging
//! camera images spent more time faulting in new memory and copying than
//! compressing (`perf` on `bench_workloads image`: 140 k page faults in
//! the timed part, half of them in arrow-ipc's compression path). Here each
//! LZ4 block is compressed straight from the column's buffer into one
//! output `Vec` that the caller hands back for the next chunk.
//!
//! The output is the same Arrow IPC stream (format V5, 64-byte alignment,
//! `LZ4_FRAME` per-buffer compression, an 8-byte uncompressed length before
//! each buffer, −1 for a buffer stored raw) that any Arrow reader decodes:
//! the schema message comes from arrow-ipc, the record batch header is
//! built with arrow-ipc's flatbuffer types. Arrays without nulls get an
//! empty validity buffer, as the format allows. Shapes this writer does not
//! cover (sliced arrays, dictionaries, zstd) return `None` and are written
//! by arrow-ipc.

use std::sync::OnceLock;

use arrow_array::RecordBatch;
use arrow_buffer::bit_util::ceil;
use arrow_data::ArrayData;
use arrow_ipc::writer::{DictionaryTracker, IpcDataGenerator, IpcWriteOptions, write_message};
use arrow_ipc::{
    BodyCompressionBuilder, BodyCompressionMethod, CompressionType, FieldNode, MessageBuilder,
    MessageHeader, MetadataVersion, RecordBatchBuilder,
};
use arrow_schema::DataType;
use flatbuffers::FlatBufferBuilder;

/// Buffers start at multiples of this in the body, as arrow-ipc writes them.
const ALIGNMENT: usize = 64;
const CONTINUATION: [u8; 4] = [0xff; 4];
/// A buffer that LZ4 does not shrink is stored raw behind this length.
const STORED_RAW: i64 = -1;

/// Appends `batch` to `out` as a complete IPC stream (schema, batch, end
/// marker), LZ4-compressed when `lz4`. `None`: a shape this writer leaves
/// to arrow-ipc (`out` is then as it was).
pub(crate) fn write_stream(
    batch: &RecordBatch,
    lz4: bool,
    out: &mut Vec<u8>,
) -> Option<Result<(), String>> {
    let start = out.len();
    let result = write_stream_inner(batch, lz4, out);
    if !matches!(result, Some(Ok(()))) {
        out.truncate(start);
    }
    result
}

fn write_stream_inner(
    batch: &RecordBatch,
    lz4: bool,
    out: &mut Vec<u8>,
) -> Option<Result<(), String>> {
    let mut body = Body {
        lz4,
        nodes: Vec::new(),
        buffers: Vec::new(),
        start: 0,
    };
    let columns: Vec<ArrayData> = batch.columns().iter().map(|c| c.to_data()).collect();
    if !columns.iter().all(supported) {
        return None;
    }
    let options = IpcWriteOptions::default();
    let schema = IpcDataGenerator {}.schema_to_bytes_with_dictionary_tracker(
        batch.schema_ref(),
        &mut DictionaryTracker::new(false),
        &options,
    );
    if let Err(e) = write_message(&mut *out, schema, &options) {
        return Some(Err(e.to_string()));
    }

    // The header precedes the body but holds the body's buffer offsets:
    // room is kept for a header of the same shape, whose size does not
    // depend on the values (every field is written, structs have fixed
    // size), and the real one is written into it afterwards.
    for column in &columns {
        body.placeholders(column);
    }
    let placeholder = header(batch.num_rows(), &body, 0);
    let header_at = out.len();
    out.resize(header_at + framed_len(placeholder.len()), 0);
    body.nodes.clear();
    body.buffers.clear();
    body.start = out.len();
    for column in &columns {
        if let Err(e) = body.array(column, out) {
            return Some(Err(e));
        }
    }
    let body_len = out.len() - body.start;
    let real = header(batch.num_rows(), &body, body_len);
    if real.len() != placeholder.len() {
        return Some(Err(format!(
            "internal: the IPC header changed size ({} → {} bytes)",
            placeholder.len(),
            real.len()
        )));
    }
    frame_header(&real, &mut out[header_at..body.start]);
    out.extend_from_slice(&CONTINUATION);
    out.extend_from_slice(&0i32.to_le_bytes());
    Some(Ok(()))
}

/// Bytes of a message's framing: marker, length, metadata, padding.
fn framed_len(metadata: usize) -> usize {
    (8 + metadata).next_multiple_of(ALIGNMENT)
}

/// Writes the continuation marker, padded length and metadata into `slot`
/// (zero padding is already there).
fn frame_header(metadata: &[u8], slot: &mut [u8]) {
    let padded = (slot.len() - 8) as i32;
    slot[..4].copy_from_slice(&CONTINUATION);
    slot[4..8].copy_from_slice(&padded.to_le_bytes());
    slot[8..8 + metadata.len()].copy_from_slice(metadata);
}

/// The record batch message's flatbuffer.
fn header(rows: usize, body: &Body, body_len: usize) -> Vec<u8> {
    let mut fbb = FlatBufferBuilder::new();
    // Fields equal to their default are otherwise left out, which would
    // make the placeholder smaller than the real header.
    fbb.force_defaults(true);
    let nodes = fbb.create_vector(&body.nodes);
    let buffers = fbb.create_vector(&body.buffers);
    let compression = body.lz4.then(|| {
        let mut c = BodyCompressionBuilder::new(&mut fbb);
        c.add_method(BodyCompressionMethod::BUFFER);
        c.add_codec(CompressionType::LZ4_FRAME);
        c.finish()
    });
    let mut batch = RecordBatchBuilder::new(&mut fbb);
    batch.add_length(rows as i64);
    batch.add_nodes(nodes);
    batch.add_buffers(buffers);
    if let Some(c) = compression {
        batch.add_compression(c);
    }
    let batch = batch.finish().as_union_value();
    let mut message = MessageBuilder::new(&mut fbb);
    message.add_version(MetadataVersion::V5);
    message.add_header_type(MessageHeader::RecordBatch);
    message.add_bodyLength(body_len as i64);
    message.add_header(batch);
    let root = message.finish();
    fbb.finish(root, None);
    fbb.finished_data().to_vec()
}

/// Whether this writer lays out `data`: the types reel writes, unsliced.
fn supported(data: &ArrayData) -> bool {
    use DataType::*;
    let type_ok = matches!(
        data.data_type(),
        Null | Boolean
            | Int8
            | Int16
            | Int32
            | Int64
            | UInt8
            | UInt16
            | UInt32
            | UInt64
            | Float16
            | Float32
            | Float64
            | Timestamp(..)
            | Duration(_)
            | FixedSizeBinary(_)
            | Binary
            | Utf8
            | LargeBinary
            | LargeUtf8
            | List(_)
            | LargeList(_)
            | Struct(_)
    );
    let unsliced = data.offset() == 0 && data.nulls().is_none_or(|n| n.offset() == 0);
    let offsets_from_zero = match data.data_type() {
        Binary | Utf8 | List(_) => first_offset::<4>(data) == Some(0),
        LargeBinary | LargeUtf8 | LargeList(_) => first_offset::<8>(data) == Some(0),
        _ => true,
    };
    type_ok && unsliced && offsets_from_zero && data.child_data().iter().all(supported)
}

/// The first offset of a variable-size array (`W` bytes each).
fn first_offset<const W: usize>(data: &ArrayData) -> Option<i64> {
    let bytes = data.buffers().first()?.as_slice().get(..W)?;
    Some(match W {
        4 => i64::from(i32::from_le_bytes(bytes.try_into().ok()?)),
        _ => i64::from_le_bytes(bytes.try_into().ok()?),
    })
}

/// The value bytes of an offsets buffer's last entry.
fn last_offset<const W: usize>(data: &ArrayData) -> usize {
    let at = data.len() * W;
    let Some(bytes) = data.buffers()[0].as_slice().get(at..at + W) else {
        return 0;
    };
    let value = match W {
        4 => i64::from(i32::from_le_bytes(bytes.try_into().unwrap_or_default())),
        _ => i64::from_le_bytes(bytes.try_into().unwrap_or_default()),
    };
    usize::try_from(value).unwrap_or(0)
}

/// The message body as it is written: field nodes and buffer locations.
struct Body {
    lz4: bool,
    nodes: Vec<FieldNode>,
    buffers: Vec<arrow_ipc::Buffer>,
    /// Where the body starts in the output.
    start: usize,
}

impl Body {
    /// The slices of `data`'s buffers as the IPC layout orders them
    /// (validity first; none for `Null`).
    fn slices(data: &ArrayData) -> Vec<&[u8]> {
        use DataType::*;
        let n = data.len();
        let mut slices = Vec::with_capacity(3);
        if *data.data_type() == Null {
            return slices;
        }
        slices.push(match data.nulls() {
            Some(nulls) if nulls.null_count() > 0 => &nulls.validity()[..ceil(n, 8)],
            _ => &[][..],
        });
        let buffer = |i: usize, len: usize| -> &[u8] {
            let bytes = data.buffers()[i].as_slice();
            &bytes[..len.min(bytes.len())]
        };
        match data.data_type() {
            Boolean => slices.push(buffer(0, ceil(n, 8))),
            FixedSizeBinary(w) => slices.push(buffer(0, n * *w as usize)),
            Binary | Utf8 => {
                slices.push(buffer(0, (n + 1) * 4));
                slices.push(buffer(1, last_offset::<4>(data)));
            }
            LargeBinary | LargeUtf8 => {
                slices.push(buffer(0, (n + 1) * 8));
                slices.push(buffer(1, last_offset::<8>(data)));
            }
            List(_) => slices.push(buffer(0, (n + 1) * 4)),
            LargeList(_) => slices.push(buffer(0, (n + 1) * 8)),
            Struct(_) => {}
            t => slices.push(buffer(0, n * t.primitive_width().unwrap_or(0))),
        }
        slices
    }

    fn node(&mut self, data: &ArrayData) {
        let nulls = if *data.data_type() == DataType::Null {
            data.len()
        } else {
            data.null_count()
        };
        self.nodes
            .push(FieldNode::new(data.len() as i64, nulls as i64));
    }

    /// Nodes and buffers of the same count as [`Self::array`] writes.
    fn placeholders(&mut self, data: &ArrayData) {
        self.node(data);
        for _ in Self::slices(data) {
            self.buffers.push(arrow_ipc::Buffer::new(0, 0));
        }
        for child in data.child_data() {
            self.placeholders(child);
        }
    }

    /// Writes `data` and its children, depth first.
    fn array(&mut self, data: &ArrayData, out: &mut Vec<u8>) -> Result<(), String> {
        self.node(data);
        for slice in Self::slices(data) {
            self.buffer(slice, out)?;
        }
        for child in data.child_data() {
            self.array(child, out)?;
        }
        Ok(())
    }

    /// Appends one buffer (compressed when that pays) and its padding.
    fn buffer(&mut self, bytes: &[u8], out: &mut Vec<u8>) -> Result<(), String> {
        let at = out.len();
        if !bytes.is_empty() {
            if self.lz4 {
                out.extend_from_slice(&(bytes.len() as i64).to_le_bytes());
                lz4_frame(bytes, out)?;
                if out.len() - at > bytes.len() {
                    out.truncate(at);
                    out.extend_from_slice(&STORED_RAW.to_le_bytes());
                    out.extend_from_slice(bytes);
                }
            } else {
                out.extend_from_slice(bytes);
            }
        }
        let len = out.len() - at;
        out.resize(at + len.next_multiple_of(ALIGNMENT), 0);
        self.buffers
            .push(arrow_ipc::Buffer::new((at - self.start) as i64, len as i64));
        Ok(())
    }
}

/// Appends `input` as one LZ4 frame of independent blocks, compressed
/// straight into `out`. The block size is the one lz4_flex's frame encoder
/// picks for the input's size.
fn lz4_frame(input: &[u8], out: &mut Vec<u8>) -> Result<(), String> {
    let (index, block) = match input.len() {
        n if n > 256 << 10 => (2, 4 << 20),
        n if n > 64 << 10 => (1, 256 << 10),
        _ => (0, 64 << 10),
    };
    out.extend_from_slice(&frame_headers()[index]);
    for piece in input.chunks(block) {
        let at = out.len();
        let room = lz4_flex::block::get_maximum_output_size(piece.len());
        out.resize(at + 4 + room, 0);
        let packed = lz4_flex::block::compress_into(piece, &mut out[at + 4..])
            .map_err(|e| format!("LZ4 compression failed ({e})"))?;
        if packed < piece.len() {
            out[at..at + 4].copy_from_slice(&(packed as u32).to_le_bytes());
            out.truncate(at + 4 + packed);
        } else {
            // The high bit marks a block stored uncompressed.
            out.truncate(at);
            out.extend_from_slice(&(piece.len() as u32 | 1 << 31).to_le_bytes());
            out.extend_from_slice(piece);
        }
    }
    out.extend_from_slice(&[0; 4]); // end mark
    Ok(())
}

/// The frame headers (magic, flags, block size, header checksum) for
/// 64 KiB, 256 KiB and 4 MiB blocks, as lz4_flex's encoder writes them
/// (independent blocks, no checksums, no content size).
fn frame_headers() -> &'static [[u8; 7]; 3] {
    static HEADERS: OnceLock<[[u8; 7]; 3]> = OnceLock::new();
    HEADERS.get_or_init(|| {
        use lz4_flex::frame::{BlockMode, BlockSize, FrameEncoder, FrameInfo};
        use std::io::Write;
        [BlockSize::Max64KB, BlockSize::Max256KB, BlockSize::Max4MB].map(|size| {
            let info = FrameInfo::new()
                .block_size(size)
                .block_mode(BlockMode::Independent);
            let mut encoder = FrameEncoder::with_frame_info(info, Vec::new());
            // Writing to a Vec cannot fail.
            let _ = encoder.write_all(b"x");
            let frame = encoder.finish().unwrap_or_default();
            let mut header = [0u8; 7];
            if let Some(bytes) = frame.get(..7) {
                header.copy_from_slice(bytes);
            }
            header
        })
    })
}
