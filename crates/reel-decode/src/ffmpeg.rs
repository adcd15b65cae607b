//! Any codec through an `ffmpeg` child process (FFmpeg ≥ 5.1).
//!
//! Samples go to ffmpeg's stdin as an elementary stream (Annex B for
//! H.264/H.265, IVF for AV1/VP8/VP9); raw planar YUV comes back on stdout,
//! read by a thread into a channel: an asynchronous [`Decoder`] (`send`
//! never blocks on output; pictures are received when ffmpeg is done).
//! ffmpeg holds a few frames back (its parser needs the next sample to end
//! the current one, and it probes the stream first) — the decode benchmark
//! measures how many.
//!
//! Raw pictures carry no size, so the reader is told each picture's size
//! in advance: the stream's size, or for VP9, which may change resolution
//! on any frame, the size its frame headers give (`vp9_sizes`), with
//! ffmpeg's scaling to the first size turned off (`-autoscale 0`).

use std::io::{Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread::JoinHandle;

use reel_types::VideoCodec;
use reel_video::bitstream;
use reel_video::bitstream::vp9_sizes::FrameSizes;

use crate::DecodeError;
use crate::decoder::{Backend, Decoder, Output, PendingSamples, SampleIn};
use reel_types::picture::{ChromaLayout, DecodedFrame, Matrix};

/// The ffmpeg a program configured (a viewer's saved setting).
static CONFIGURED: std::sync::RwLock<Option<String>> = std::sync::RwLock::new(None);

/// Sets the ffmpeg to run when `REEL_FFMPEG` is not set (`None`: `ffmpeg`
/// on `PATH`); decoders created from now on use it.
pub fn set_ffmpeg_path(path: Option<String>) {
    *CONFIGURED.write().unwrap_or_else(|e| e.into_inner()) = path.filter(|p| !p.is_empty());
}

/// The ffmpeg to run: `REEL_FFMPEG`, else the path set with
/// [`set_ffmpeg_path`], else `ffmpeg` on `PATH`.
pub fn ffmpeg_path() -> String {
    std::env::var("REEL_FFMPEG")
        .ok()
        .or_else(|| CONFIGURED.read().unwrap_or_else(|e| e.into_inner()).clone())
        .unwrap_or_else(|| "ffmpeg".into())
}

/// Checks that ffmpeg runs and is ≥ 5.1; returns its version string.
pub fn check_ffmpeg(codec: VideoCodec) -> Result<String, DecodeError> {
    let path = ffmpeg_path();
    let out =
        Command::new(&path)
            .arg("-version")
            .output()
            .map_err(|e| DecodeError::FfmpegMissing {
                codec: codec.to_string(),
                detail: format!("running {path:?}: {e}"),
            })?;
    let text = String::from_utf8_lossy(&out.stdout);
    let version = text
        .split_whitespace()
        .nth(2)
        .unwrap_or("unknown")
        .to_owned();
    let mut parts = version
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty());
    let major: u32 = parts.next().and_then(|s| s.parse().ok()).unwrap_or(0);
    let minor: u32 = parts.next().and_then(|s| s.parse().ok()).unwrap_or(0);
    // Development builds ("N-…", "git-…") are assumed recent.
    let numeric = version.chars().next().is_some_and(|c| c.is_ascii_digit());
    if numeric && (major, minor) < (5, 1) {
        return Err(DecodeError::FfmpegTooOld {
            codec: codec.to_string(),
            found: version,
        });
    }
    Ok(version)
}

/// Raw planes of one picture, and its size.
type Picture = (Vec<u8>, u32, u32);

/// Bytes of each plane of a `width`×`height` picture.
pub(crate) fn plane_bytes(
    width: u32,
    height: u32,
    bit_depth: u8,
    layout: ChromaLayout,
) -> [usize; 3] {
    let (w, h) = (width as usize, height as usize);
    let bps = if bit_depth > 8 { 2 } else { 1 };
    let (sx, sy) = layout.shift();
    let chroma = if layout == ChromaLayout::Mono {
        0
    } else {
        w.div_ceil(1 << sx) * h.div_ceil(1 << sy) * bps
    };
    [w * h * bps, chroma, chroma]
}

/// The layout a `StreamInfo::chroma_format` names.
pub(crate) fn chroma_layout(chroma_format: &str) -> ChromaLayout {
    match chroma_format {
        "4:0:0" => ChromaLayout::Mono,
        "4:2:2" => ChromaLayout::Yuv422,
        "4:4:4" => ChromaLayout::Yuv444,
        _ => ChromaLayout::Yuv420,
    }
}

/// FFmpeg decoding behind [`Decoder`].
pub struct FfmpegDecoder {
    codec: VideoCodec,
    width: u32,
    height: u32,
    bit_depth: u8,
    /// The stream's chroma layout, which ffmpeg is asked to keep.
    layout: ChromaLayout,
    /// Full-range samples: kept so (no conversion to limited range).
    full_range: bool,
    child: Option<Child>,
    stdin: Option<ChildStdin>,
    /// The size of each picture to come, in output order, for the reader.
    sizes: Option<Sender<(u32, u32)>>,
    /// VP9 only: picture sizes from the frame headers.
    vp9_sizes: Option<FrameSizes>,
    frames: Option<Receiver<Picture>>,
    reader: Option<JoinHandle<()>>,
    /// The IVF timestamp of each picture, in output order (from `showinfo`).
    stamps: Option<Receiver<i64>>,
    /// What IVF timestamps count from (set by the first sample after a start).
    origin: Option<i64>,
    /// Samples in flight, by their IVF timestamps.
    pending: PendingSamples,
    /// A picture `wait` saw arrive, for the next `receive`.
    arrived: Option<Picture>,
    /// Input ended (`flush`): every picture still owed comes without more.
    flushing: bool,
}

impl FfmpegDecoder {
    /// Starts ffmpeg for `codec`, sized from the first keyframe's headers.
    pub fn new(codec: VideoCodec, first_keyframe: &[u8]) -> Result<Self, DecodeError> {
        check_ffmpeg(codec)?;
        let info = bitstream::stream_info(codec, first_keyframe).ok_or_else(|| {
            DecodeError::Setup(format!(
                "the first {codec} keyframe has no headers to size the picture from"
            ))
        })?;
        let mut d = Self {
            codec,
            width: info.width,
            height: info.height,
            bit_depth: info.bit_depth,
            layout: chroma_layout(info.chroma_format),
            full_range: info.color.full_range,
            child: None,
            stdin: None,
            sizes: None,
            vp9_sizes: None,
            frames: None,
            reader: None,
            stamps: None,
            origin: None,
            pending: PendingSamples::default(),
            arrived: None,
            flushing: false,
        };
        d.start()?;
        Ok(d)
    }

    fn start(&mut self) -> Result<(), DecodeError> {
        // Every codec goes in as IVF (H.264 under its BMP fourcc): each
        // frame header carries a timestamp made from the sample's PTS (see
        // `push`), and `showinfo` says which timestamp each picture came
        // with, so a sample that yields no picture (RASL pictures after a
        // CRA, where decoding starts) cannot shift the labels of later ones.
        let pix_fmt = self.layout.ffmpeg_pix_fmt(self.bit_depth);
        let mut filters = vec!["showinfo".to_owned()];
        if self.full_range {
            // Converting a full-range picture to plain yuv420p would also
            // squeeze it to limited range; this keeps the decoded samples.
            filters.insert(0, "scale=out_range=full".into());
        }
        let mut child = Command::new(ffmpeg_path())
            .args(["-hide_banner", "-loglevel", "info", "-nostats", "-nostdin"])
            // Timestamps as given: no shift to 0, no dropping of jumps.
            .arg("-copyts")
            // The smallest probe that still finds the stream's parameters;
            // `-fflags nobuffer` or `-analyzeduration 0` make ffmpeg give up
            // on a pipe, and `-flags low_delay` would break B-frame order.
            .args(["-probesize", "32"])
            // IVF has no H.265 fourcc FFmpeg 5.1 knows: name the decoder.
            .args(if self.codec == VideoCodec::H265 {
                &["-c:v", "hevc"][..]
            } else {
                &[]
            })
            .args(["-f", "ivf", "-i", "pipe:0"])
            .args(if self.codec == VideoCodec::VP9 {
                &["-autoscale", "0"][..]
            } else {
                &[]
            })
            .args(["-vf", &filters.join(",")])
            .args([
                "-map",
                "0:v:0",
                "-fps_mode",
                "passthrough",
                "-pix_fmt",
                &pix_fmt,
                "-f",
                "rawvideo",
                "pipe:1",
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| DecodeError::FfmpegMissing {
                codec: self.codec.to_string(),
                detail: e.to_string(),
            })?;
        let mut stdout = child
            .stdout
            .take()
            .ok_or_else(|| DecodeError::Ffmpeg("no stdout".into()))?;
        let stderr = child
            .stderr
            .take()
            .ok_or_else(|| DecodeError::Ffmpeg("no stderr".into()))?;
        let (stamps_tx, stamps_rx) = mpsc::channel();
        std::thread::spawn(move || {
            // `[Parsed_showinfo_1 @ 0x…] n:   3 pts:      7 pts_time:0.007 …`
            for line in
                std::io::BufRead::lines(std::io::BufReader::new(stderr)).map_while(Result::ok)
            {
                // What ffmpeg says, for `reel -vv` / RUST_LOG=reel_decode=debug.
                tracing::debug!(target: "reel_decode::ffmpeg", "{line}");
                if !line.contains("showinfo") {
                    continue;
                }
                let stamp = line
                    .split_once(" pts:")
                    .and_then(|(_, rest)| rest.split_whitespace().next())
                    .and_then(|v| v.parse::<i64>().ok());
                if let Some(stamp) = stamp
                    && stamps_tx.send(stamp).is_err()
                {
                    return;
                }
            }
        });
        let mut stdin = child
            .stdin
            .take()
            .ok_or_else(|| DecodeError::Ffmpeg("no stdin".into()))?;
        stdin
            .write_all(&ivf_header(self.codec, self.width, self.height))
            .map_err(|e| DecodeError::Ffmpeg(e.to_string()))?;
        let (bit_depth, layout) = (self.bit_depth, self.layout);
        let (tx, rx) = mpsc::channel();
        let (sizes_tx, sizes_rx) = mpsc::channel::<(u32, u32)>();
        let reader = std::thread::spawn(move || {
            while let Ok((w, h)) = sizes_rx.recv() {
                let mut buf = vec![0u8; plane_bytes(w, h, bit_depth, layout).iter().sum()];
                if stdout.read_exact(&mut buf).is_err() || tx.send((buf, w, h)).is_err() {
                    return;
                }
            }
        });
        self.child = Some(child);
        self.stdin = Some(stdin);
        self.sizes = Some(sizes_tx);
        self.vp9_sizes = (self.codec == VideoCodec::VP9).then(FrameSizes::new);
        self.frames = Some(rx);
        self.stamps = Some(stamps_rx);
        self.reader = Some(reader);
        self.origin = None;
        Ok(())
    }

    fn frame_from(&mut self, (buf, width, height): Picture) -> DecodedFrame {
        let [ys, cs, _] = plane_bytes(width, height, self.bit_depth, self.layout);
        DecodedFrame {
            width,
            height,
            bit_depth: self.bit_depth,
            layout: self.layout,
            pts: self.picture_pts(),
            planes: [
                buf[..ys].to_vec().into(),
                buf[ys..ys + cs].to_vec().into(),
                buf[ys + cs..].to_vec().into(),
            ],
            full_range: false,
            matrix: Matrix::Bt601,
            primaries: 2,
            transfer: 2,
            chroma_location: 0,
        }
    }

    /// The PTS of the sample the next picture came from.
    fn picture_pts(&mut self) -> i64 {
        // showinfo logs a picture before it is written out, so its line is
        // there by the time the picture is.
        let stamp = self
            .stamps
            .as_ref()
            .and_then(|rx| rx.recv_timeout(std::time::Duration::from_secs(5)).ok());
        self.pending.take(stamp).unwrap_or_default()
    }

    fn stop(&mut self) {
        self.stdin.take();
        self.sizes.take();
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        self.frames.take();
        self.stamps.take();
        if let Some(r) = self.reader.take() {
            let _ = r.join();
        }
        self.arrived = None;
        self.flushing = false;
    }
}

/// A 32-byte IVF file header.
fn ivf_header(codec: VideoCodec, w: u32, h: u32) -> Vec<u8> {
    let fourcc: &[u8; 4] = match codec {
        VideoCodec::AV1 => b"AV01",
        VideoCodec::VP8 => b"VP80",
        VideoCodec::H264 => b"H264",
        VideoCodec::H265 => b"H265",
        _ => b"VP90",
    };
    let mut v = b"DKIF".to_vec();
    v.extend_from_slice(&0u16.to_le_bytes());
    v.extend_from_slice(&32u16.to_le_bytes());
    v.extend_from_slice(fourcc);
    v.extend_from_slice(&(w as u16).to_le_bytes());
    v.extend_from_slice(&(h as u16).to_le_bytes());
    // Time base 1/1e9: frame timestamps are sample PTS, usually ns.
    v.extend_from_slice(&1_000_000_000u32.to_le_bytes());
    v.extend_from_slice(&1u32.to_le_bytes());
    v.extend_from_slice(&0u32.to_le_bytes());
    v.extend_from_slice(&0u32.to_le_bytes());
    v
}

impl Decoder for FfmpegDecoder {
    fn backend(&self) -> Backend {
        Backend::Ffmpeg
    }

    fn send(&mut self, sample: SampleIn<'_>) -> Result<(), DecodeError> {
        let sizes = match &mut self.vp9_sizes {
            Some(tracker) => tracker
                .shown_sizes(sample.data)
                .map_err(|e| DecodeError::Sample {
                    codec: self.codec.to_string(),
                    pts: sample.pts,
                    message: e.to_string(),
                })?,
            None => vec![(self.width, self.height)],
        };
        if let Some(tx) = &self.sizes {
            for size in &sizes {
                let _ = tx.send(*size);
            }
        }
        // The frame header's timestamp is the sample's PTS (moved to stay
        // positive): pictures come out with increasing timestamps, which
        // the ffmpeg CLI keeps (numbers in decode order would look faulty
        // to it after reordering, and it would replace them).
        let origin = *self
            .origin
            .get_or_insert(sample.pts.saturating_sub(1 << 40));
        let stamp = sample.pts.saturating_sub(origin).max(0);
        self.pending.insert(stamp, sample.pts);
        let mut packet = Vec::with_capacity(sample.data.len() + 12);
        packet.extend_from_slice(&(sample.data.len() as u32).to_le_bytes());
        packet.extend_from_slice(&stamp.to_le_bytes());
        packet.extend_from_slice(sample.data);
        let stdin = self
            .stdin
            .as_mut()
            .ok_or_else(|| DecodeError::Ffmpeg("ffmpeg is not running".into()))?;
        stdin
            .write_all(&packet)
            .and_then(|_| stdin.flush())
            .map_err(|e| DecodeError::Ffmpeg(format!("ffmpeg stopped reading ({e})")))
    }

    fn receive(&mut self) -> Result<Output, DecodeError> {
        let next = match self.arrived.take() {
            Some(picture) => Ok(picture),
            None => match &self.frames {
                Some(rx) => rx.try_recv(),
                None => Err(mpsc::TryRecvError::Disconnected),
            },
        };
        match next {
            Ok(picture) => Ok(Output::Picture(self.frame_from(picture))),
            // Before the end of input, ffmpeg's parser holds the last
            // sample until the next one: more input, not time, brings it.
            Err(mpsc::TryRecvError::Empty) if self.flushing => Ok(Output::Later),
            Err(mpsc::TryRecvError::Empty) => Ok(Output::NeedInput),
            Err(mpsc::TryRecvError::Disconnected) if self.flushing => {
                // Drained: ffmpeg has exited; a new one takes the next keyframe.
                self.stop();
                self.pending.clear();
                self.start()?;
                Ok(Output::NeedInput)
            }
            Err(mpsc::TryRecvError::Disconnected) => Err(DecodeError::Ffmpeg(
                "ffmpeg stopped before its pictures came out".into(),
            )),
        }
    }

    fn wait(&mut self, timeout: std::time::Duration) -> bool {
        if self.arrived.is_some() {
            return true;
        }
        match self.frames.as_ref().map(|rx| rx.recv_timeout(timeout)) {
            Some(Ok(picture)) => {
                self.arrived = Some(picture);
                true
            }
            Some(Err(mpsc::RecvTimeoutError::Timeout)) => false,
            // The end of its output is news for `receive` too.
            _ => true,
        }
    }

    fn flush(&mut self) -> Result<(), DecodeError> {
        self.stdin.take(); // end of input: ffmpeg drains and exits
        self.sizes.take(); // the reader ends after the sizes already sent
        self.flushing = true;
        Ok(())
    }

    fn reset(&mut self) -> Result<(), DecodeError> {
        self.stop();
        self.pending.clear();
        self.start()
    }
}

impl Drop for FfmpegDecoder {
    fn drop(&mut self) {
        self.stop();
    }
}
