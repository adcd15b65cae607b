//! The parallel writer writes the very file the serial one writes, and a
//! failing output is reported, not lost.

use std::io::{self, Write};
use std::sync::{Arc, Mutex};

use reel_store::{Compression, ParallelWriter, RecordingReader, RecordingWriter};
use reel_types::{
    Archetype, Chunk, EntityPath, PendingRow, RowId, TimeCell, TimePoint, TimelineName, VideoStream,
};

/// Chunks of very different sizes, so encoders finish out of order.
fn chunks(n: usize) -> Vec<Chunk> {
    (0..n)
        .map(|c| {
            let rows: Vec<PendingRow> = (0..1 + c % 5)
                .map(|r| {
                    let mut tp = TimePoint::default();
                    tp.insert(
                        TimelineName::new("frame").unwrap(),
                        TimeCell::sequence((c * 8 + r) as i64),
                    );
                    // Large and compressible for some chunks, tiny for others.
                    let len = if c % 3 == 0 { 300_000 } else { 40 };
                    let bytes: Vec<u8> = (0..len).map(|i| (i / 7 + c) as u8).collect();
                    PendingRow {
                        row_id: RowId::new(),
                        timepoint: tp,
                        cells: VideoStream::from_sample(bytes)
                            .unwrap()
                            .with_keyframe(r == 0)
                            .to_cells(),
                    }
                })
                .collect();
            Chunk::from_rows(EntityPath::parse(&format!("cam{}", c % 3)).unwrap(), &rows).unwrap()
        })
        .collect()
}

/// A `Write` into shared memory, so the bytes can be read while the writer
/// thread owns it; fails once `fail_after` bytes are written.
#[derive(Clone)]
struct SharedOut {
    bytes: Arc<Mutex<Vec<u8>>>,
    fail_after: usize,
}

impl Write for SharedOut {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut b = self.bytes.lock().unwrap();
        if b.len() + buf.len() > self.fail_after {
            return Err(io::Error::other("disk full"));
        }
        b.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The chunks in the output so far, read by the (footerless) scan.
fn read_back(out: &SharedOut) -> Vec<Chunk> {
    let bytes = out.bytes.lock().unwrap().clone();
    let mut chunks = Vec::new();
    RecordingReader::from_bytes(&bytes, "mem")
        .unwrap()
        .scan(|_, c| chunks.push(c))
        .unwrap();
    chunks
}

#[test]
fn same_bytes_as_the_serial_writer() {
    let chunks = chunks(40);
    let mut serial = RecordingWriter::new(Vec::new(), "mem".into(), Compression::Lz4).unwrap();
    for c in &chunks {
        serial.append_chunk(c).unwrap();
    }
    let serial = serial.finish().unwrap();

    for threads in [1, 3] {
        let out = SharedOut {
            bytes: Arc::default(),
            fail_after: usize::MAX,
        };
        let inner = RecordingWriter::new(out.clone(), "mem".into(), Compression::Lz4).unwrap();
        let mut parallel = ParallelWriter::new(inner, threads).unwrap();
        for (i, c) in chunks.iter().enumerate() {
            parallel.append(c.clone()).unwrap();
            if i == 20 {
                // After a flush every chunk so far is in the output, readable.
                parallel.flush().unwrap();
                assert_eq!(read_back(&out).len(), 21, "{threads} threads");
            }
        }
        parallel.finish().unwrap();
        assert!(
            *out.bytes.lock().unwrap() == serial,
            "{threads} threads: the file differs from the serial writer's"
        );
    }
}

#[test]
fn a_failing_output_is_reported_and_earlier_chunks_stay() {
    let chunks = chunks(30);
    let out = SharedOut {
        bytes: Arc::default(),
        fail_after: 1_000_000,
    };
    let inner = RecordingWriter::new(out.clone(), "rec.reel".into(), Compression::Off).unwrap();
    let mut parallel = ParallelWriter::new(inner, 2).unwrap();
    let mut error = None;
    for c in &chunks {
        if let Err(e) = parallel.append(c.clone()) {
            error = Some(e);
            break;
        }
    }
    let error = error
        .or_else(|| parallel.flush().err())
        .expect("a write past 1 MB fails");
    let message = error.to_string();
    assert!(
        message.contains("rec.reel") && message.contains("disk full"),
        "{message}"
    );
    assert!(parallel.finish().is_err(), "finish reports the failure too");
    // The chunks written before the failure are intact and in order.
    let read = read_back(&out);
    assert!(!read.is_empty());
    for (read, logged) in read.iter().zip(&chunks) {
        assert_eq!(read.record_batch(), logged.record_batch());
    }
}
