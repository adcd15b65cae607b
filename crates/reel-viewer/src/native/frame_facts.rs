//! What a view and the selection panel say of a video's frames: a frame
//! server's answer as a view's reply, and the facts of a stream (GOPs,
//! decoder, speed, cache).

use std::sync::Arc;

use reel_decode::StreamFrames;
use reel_types::picture::DecodedFrame;

use crate::picture::Picture;
use crate::recording::{PictureReply, SampleMark};

/// A frame server's answer as a view's.
pub(super) fn reply_of(frames: &StreamFrames, t: i64, times: &[i64]) -> PictureReply {
    let reply = frames.request(t);
    let error = reply.error.map(|e| {
        let n = times.partition_point(|x| *x <= t);
        format!("frame {} could not be decoded: {e}", n.saturating_sub(1))
    });
    PictureReply {
        picture: reply.frame.map(|f: Arc<DecodedFrame>| Picture::Yuv(f)),
        exact: reply.exact,
        pending: reply.pending,
        error,
    }
}

/// What the selection panel says of a video: GOPs, decoder, cache.
pub(super) fn frame_details(
    frames: &StreamFrames,
    samples: &[SampleMark],
) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let keys: Vec<usize> = samples
        .iter()
        .enumerate()
        .filter(|(_, s)| s.keyframe)
        .map(|(i, _)| i)
        .collect();
    if !samples.is_empty() {
        let bytes: u64 = samples.iter().map(|s| s.bytes).sum();
        out.push(("samples".into(), samples.len().to_string()));
        out.push((
            "bytes per sample".into(),
            format!("{:.0}", bytes as f64 / samples.len() as f64),
        ));
        out.push(("keyframes".into(), keys.len().to_string()));
        let gops: Vec<usize> = keys
            .windows(2)
            .map(|w| w[1] - w[0])
            .chain(keys.last().map(|k| samples.len() - k))
            .collect();
        if let (Some(min), Some(max)) = (gops.iter().min(), gops.iter().max()) {
            out.push(("GOP length".into(), format!("{min}–{max} samples")));
        }
        let reordered = samples.iter().filter(|s| s.reordered).count();
        out.push(("B-frames (reordered)".into(), reordered.to_string()));
    }
    // Figures after the last decode job: never waits for one.
    let stats = frames.stats();
    let (backend, source) = (stats.backend, stats.source);
    out.push((
        "decoder".into(),
        backend.map_or_else(|| "not started".to_owned(), |b| b.to_string()),
    ));
    out.push(("samples decoded".into(), source.samples_decoded.to_string()));
    if source.decode_seconds > 0.0 {
        out.push((
            "decode speed".into(),
            format!(
                "{:.0} frames/s",
                source.samples_decoded as f64 / source.decode_seconds
            ),
        ));
    }
    out.push(("decoder restarts".into(), source.seeks.to_string()));
    out.push(("sample bytes read".into(), source.bytes_read.to_string()));
    out.push((
        "requests exact".into(),
        format!("{} of {}", stats.exact, stats.requests),
    ));
    out.push((
        "frame cache share".into(),
        format!("{:.0} MB", stats.frame_budget as f64 / 1e6),
    ));
    out
}
