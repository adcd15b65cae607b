//! Checks an Arrow IPC stream from outside before arrow-ipc decodes it.
//!
//! arrow-ipc trusts parts of its input: it allocates a compressed buffer's
//! declared length up front (an exabyte declaration aborts the process, which
//! no panic fence can stop), slices buffers at offsets it does not check, and
//! asserts on schema types it does not know. reel writes a small set of
//! types, so a stream is checked here first: every message's flatbuffer is
//! verified, every buffer lies inside its message body, no buffer declares
//! more than its codec can produce, and the schema holds only types reel
//! writes (or could read). What passes is then decoded with full validation.

use arrow_ipc::{Field, Message, Precision, TimeUnit, Type};

/// Most bytes one compressed byte can stand for: LZ4 tops out near 255:1;
/// zstd's RLE blocks reach about 32768:1 (128 KiB from 4 bytes).
const MAX_RATIO_LZ4: u64 = 256;
const MAX_RATIO_ZSTD: u64 = 32_768;

/// Deepest nesting of list/struct fields accepted (reel writes 2 levels).
const MAX_FIELD_DEPTH: usize = 8;

/// Walks the stream's messages and checks each, see the module docs.
pub(crate) fn check_stream(bytes: &[u8]) -> Result<(), String> {
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
        check_message(&message, body)?;
    }
    Ok(())
}

fn check_message(message: &Message<'_>, body: &[u8]) -> Result<(), String> {
    if let Some(schema) = message.header_as_schema() {
        for field in schema.fields().iter().flatten() {
            check_field(&field, 0)?;
        }
        return Ok(());
    }
    if message.header_as_dictionary_batch().is_some() {
        return Err("the Arrow stream holds a dictionary batch, which reel never writes".into());
    }
    let Some(batch) = message.header_as_record_batch() else {
        return Ok(());
    };
    if batch.length() < 0 {
        return Err("a record batch declares a negative row count".into());
    }
    if batch.variadicBufferCounts().is_some_and(|c| !c.is_empty()) {
        return Err("a record batch declares view-type buffers, which reel never writes".into());
    }
    for node in batch.nodes().iter().flatten() {
        if node.length() < 0 || node.null_count() < 0 || node.null_count() > node.length() {
            return Err(format!(
                "an array declares {} rows with {} nulls",
                node.length(),
                node.null_count()
            ));
        }
    }
    let ratio = match batch.compression() {
        None => None,
        Some(c) if c.codec() == arrow_ipc::CompressionType::ZSTD => Some(MAX_RATIO_ZSTD),
        Some(_) => Some(MAX_RATIO_LZ4),
    };
    for buffer in batch.buffers().iter().flatten() {
        let (start, length) = match (
            usize::try_from(buffer.offset()),
            usize::try_from(buffer.length()),
        ) {
            (Ok(s), Ok(l)) => (s, l),
            _ => return Err("a buffer has a negative offset or length".into()),
        };
        let data = body
            .get(start..start.saturating_add(length))
            .ok_or_else(|| {
                format!(
                    "a buffer at {start}+{length} lies outside its {}-byte message body",
                    body.len()
                )
            })?;
        if let Some(ratio) = ratio {
            check_declared_size(data, ratio)?;
        }
    }
    Ok(())
}

/// A compressed buffer starts with its decompressed length (−1: stored raw).
fn check_declared_size(data: &[u8], ratio: u64) -> Result<(), String> {
    let Some(prefix) = data.get(..8) else {
        return Ok(());
    };
    let declared = i64::from_le_bytes(prefix.try_into().map_err(|_| "bad buffer prefix")?);
    if declared == -1 {
        return Ok(());
    }
    let compressed = (data.len() as u64).saturating_sub(8);
    let limit = compressed.saturating_mul(ratio).saturating_add(1024);
    if declared < 0 || declared as u64 > limit {
        return Err(format!(
            "a compressed buffer declares {declared} bytes from {compressed} compressed bytes (more than the codec can produce)"
        ));
    }
    Ok(())
}

/// Accepts the types reel writes or reads (and their valid parameters).
fn check_field(field: &Field<'_>, depth: usize) -> Result<(), String> {
    let name = field.name().unwrap_or("(unnamed)");
    let bad = |what: &str| Err(format!("column '{name}' {what}"));
    if depth > MAX_FIELD_DEPTH {
        return bad("is nested deeper than any reel column");
    }
    if field.dictionary().is_some() {
        return bad("is dictionary-encoded, which reel never writes");
    }
    // Only the typed accessors below read the type table: the flatbuffer
    // verifier skips the table of a union variant it does not know, so the
    // untyped `type_()` may follow an unchecked offset (found by fuzzing).
    let children = field.children().map(|c| c.len()).unwrap_or(0);
    let ok = match field.type_type() {
        Type::Null => field.type_as_null().is_some(),
        Type::Binary => field.type_as_binary().is_some(),
        Type::Utf8 => field.type_as_utf_8().is_some(),
        Type::Bool => field.type_as_bool().is_some(),
        Type::LargeBinary => field.type_as_large_binary().is_some(),
        Type::LargeUtf8 => field.type_as_large_utf_8().is_some(),
        Type::Struct_ => field.type_as_struct_().is_some(),
        Type::Int => field
            .type_as_int()
            .is_some_and(|i| matches!(i.bitWidth(), 8 | 16 | 32 | 64)),
        Type::FloatingPoint => field.type_as_floating_point().is_some_and(|f| {
            matches!(
                f.precision(),
                Precision::HALF | Precision::SINGLE | Precision::DOUBLE
            )
        }),
        Type::Timestamp => field
            .type_as_timestamp()
            .is_some_and(|t| valid_unit(t.unit())),
        Type::Duration => field
            .type_as_duration()
            .is_some_and(|d| valid_unit(d.unit())),
        Type::FixedSizeBinary => field
            .type_as_fixed_size_binary()
            .is_some_and(|f| f.byteWidth() >= 0),
        Type::List => field.type_as_list().is_some() && children == 1,
        Type::LargeList => field.type_as_large_list().is_some() && children == 1,
        other => {
            return bad(&format!(
                "has Arrow type {}, which reel never writes",
                other.variant_name().unwrap_or("(unknown)")
            ));
        }
    };
    if !ok {
        return bad("has an invalid type description");
    }
    for child in field.children().iter().flatten() {
        check_field(&child, depth + 1)?;
    }
    Ok(())
}

fn valid_unit(unit: TimeUnit) -> bool {
    matches!(
        unit,
        TimeUnit::SECOND | TimeUnit::MILLISECOND | TimeUnit::MICROSECOND | TimeUnit::NANOSECOND
    )
}
