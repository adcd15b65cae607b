//! `VideoStreamEncoder`: frames in, `VideoStream` samples logged.

use std::collections::HashMap;

use reel_encode::{EncodedPacket, EncoderSettings, VideoEncoder, frame_from_image, new_encoder};
use reel_types::{DataError, EntityPath, Image, TimePoint, VideoStream};

use crate::{RecordingStream, SdkError, SdkResult};

fn encode_err(e: reel_encode::EncodeError) -> SdkError {
    SdkError::Encode(e.to_string())
}

/// Encodes frames to H.264 or AV1 and logs each sample as a `VideoStream`
/// row at the time its frame was given (the thread's current time at
/// [`encode`](Self::encode)), with the codec logged once, statically.
///
/// The stream's size is fixed by its first frame; a frame of another size
/// is an error, and the samples logged before it stay a valid stream.
/// Call [`finish`](Self::finish) to log frames the encoder still holds
/// (dropping the encoder does the same, ignoring errors).
pub struct VideoStreamEncoder {
    rec: RecordingStream,
    entity: EntityPath,
    settings: EncoderSettings,
    encoder: Option<Box<dyn VideoEncoder>>,
    size: Option<(u32, u32)>,
    times: HashMap<u64, TimePoint>,
    next_frame: u64,
    samples: u64,
}

impl VideoStreamEncoder {
    /// An encoder logging to `entity` of `rec`.
    pub fn new(
        rec: &RecordingStream,
        entity: impl TryInto<EntityPath, Error = DataError>,
        settings: EncoderSettings,
    ) -> SdkResult<Self> {
        Ok(Self {
            rec: rec.clone(),
            entity: entity.try_into()?,
            settings,
            encoder: None,
            size: None,
            times: HashMap::new(),
            next_frame: 0,
            samples: 0,
        })
    }

    /// Samples logged so far.
    pub fn samples_logged(&self) -> u64 {
        self.samples
    }

    /// Encodes one frame (RGB8, RGBA8, BGR8, BGRA8, L8, NV12 or I420) taken
    /// at the thread's current time.
    pub fn encode(&mut self, image: &Image) -> SdkResult<()> {
        let time = self.rec.current_timepoint()?;
        let frame = frame_from_image(image, self.size).map_err(encode_err)?;
        if self.encoder.is_none() {
            let f = image.format();
            self.encoder =
                Some(new_encoder(&self.settings, f.width, f.height).map_err(encode_err)?);
            self.size = Some((f.width, f.height));
            self.rec
                .log_static(&self.entity, &VideoStream::new(self.settings.codec))?;
        }
        let index = self.next_frame;
        self.next_frame += 1;
        self.times.insert(index, time);
        let packets = match self.encoder.as_mut() {
            Some(e) => e.encode(&frame).map_err(encode_err)?,
            None => Vec::new(),
        };
        self.log_packets(packets)
    }

    fn log_packets(&mut self, packets: Vec<EncodedPacket>) -> SdkResult<()> {
        for p in packets {
            let time = self.times.remove(&p.frame_index).unwrap_or_default();
            let row = VideoStream::from_sample(p.data)?.with_keyframe(p.is_keyframe);
            self.rec.log_at(self.entity.clone(), time, &row)?;
            self.samples += 1;
        }
        Ok(())
    }

    /// Logs the frames the encoder still holds; returns the samples logged
    /// in all.
    pub fn finish(mut self) -> SdkResult<u64> {
        self.flush_encoder()?;
        Ok(self.samples)
    }

    fn flush_encoder(&mut self) -> SdkResult<()> {
        let packets = match self.encoder.as_mut() {
            Some(e) => e.finish().map_err(encode_err)?,
            None => Vec::new(),
        };
        self.encoder = None;
        self.log_packets(packets)
    }
}

impl Drop for VideoStreamEncoder {
    fn drop(&mut self) {
        if self.encoder.is_some() {
            let _ = self.flush_encoder();
        }
    }
}
