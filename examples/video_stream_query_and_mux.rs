//! Reads the `VideoStream` samples of a recording back out and writes them
//! to an MP4 without re-encoding — the reference page's remuxing sample,
//! with the SDK's remux API instead of a dataframe query and PyAV.
//!
//! ```sh
//! cargo run --release --example video_stream_synthetic
//! cargo run --release --example video_stream_query_and_mux -- video_stream_synthetic.reel /video_stream out.mp4
//! ffprobe out.mp4
//! ```

use reel_sdk::remux::{ExportOptions, Mp4Options, stream_samples, write_mp4};
use reel_sdk::{EntityPath, Store};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let recording = args
        .next()
        .unwrap_or_else(|| "video_stream_synthetic.reel".into());
    let entity = EntityPath::parse(&args.next().unwrap_or_else(|| "/video_stream".into()))?;
    let out = args.next().unwrap_or_else(|| "video_stream.mp4".into());

    // Query: every sample of the entity, in decode order, with its times.
    let (store, _report) = Store::load(&recording)?;
    let (codec, timescale, samples) = stream_samples(&store, &entity, &ExportOptions::default())?;
    let keyframes = samples.iter().filter(|s| s.is_keyframe).count();
    println!(
        "{recording}: {} {codec} samples of {entity}, {keyframes} keyframes, {} bytes",
        samples.len(),
        samples.iter().map(|s| s.data.len()).sum::<usize>()
    );

    // Mux: the samples as they are into an MP4.
    let mut file = std::io::BufWriter::new(std::fs::File::create(&out)?);
    let report = write_mp4(
        &mut file,
        codec,
        &samples,
        &Mp4Options {
            fragmented: false,
            timescale,
        },
    )?;
    println!(
        "Wrote {out}: {} samples, {} bytes, timescale {}",
        report.samples, report.bytes, report.timescale
    );
    Ok(())
}
