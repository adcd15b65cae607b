//! Image entities: the `Image` or `EncodedImage` shown at a time, as
//! pixels (JPEG and PNG decoded with the `image` crate), at once on the
//! caller's thread ([`image_at`]) or for a viewer off its thread
//! ([`ImageLoader`]).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, RwLock};
use std::thread::JoinHandle;

use reel_store::{RowHandle, RowRef, Store};
use reel_types::{EncodedImage, EntityPath, Image, RowId};

use crate::{QueryResult, entity_error};

/// The row's picture as an `Image`: an `Image` as logged, an
/// `EncodedImage` decoded (8-bit gray or RGB); `None` if it holds neither.
pub fn image_of_row(row: &RowHandle) -> QueryResult<Option<Image>> {
    if let Some(image) = row.get::<Image>()? {
        return Ok(Some(image));
    }
    let Some(encoded) = row.get::<EncodedImage>()? else {
        return Ok(None);
    };
    let entity = row.chunk.entity_path();
    let decoded = image::load_from_memory(encoded.blob().as_slice()).map_err(|e| {
        entity_error(
            entity,
            format!("its {} image does not decode: {e}", encoded.media_type()),
        )
    })?;
    let (w, h) = (decoded.width(), decoded.height());
    Ok(Some(match decoded {
        image::DynamicImage::ImageLuma8(l) => Image::from_l8(l.into_raw(), [w, h])?,
        other => Image::from_rgb8(other.into_rgb8().into_raw(), [w, h])?,
    }))
}

/// The row of `entity`'s latest `Image` or `EncodedImage` at or before `t`.
fn latest_image_row(
    store: &Store,
    entity: &EntityPath,
    timeline: &str,
    t: i64,
) -> Option<RowHandle> {
    [&Image::BUFFER, &EncodedImage::BLOB]
        .into_iter()
        .filter_map(|c| store.latest_at(entity, timeline, t, c))
        .max_by_key(|r| (r.time.map(|c| c.value), r.row_id))
}

/// The picture of `entity` shown at `t` on `timeline`: its latest `Image`
/// or `EncodedImage` row at or before `t`, decoded.
pub fn image_at(
    store: &Store,
    entity: &EntityPath,
    timeline: &str,
    t: i64,
) -> QueryResult<Option<Image>> {
    match latest_image_row(store, entity, timeline, t) {
        Some(row) => image_of_row(&row),
        None if store.entity_info(entity).is_none() => {
            Err(entity_error(entity, "not in the recording"))
        }
        None => Ok(None),
    }
}

/// The answer to an image request, given at once.
#[derive(Clone, Debug, Default)]
pub struct ImageReply {
    /// The picture to show now: the one asked for if decoded, else the last
    /// one shown for the entity.
    pub image: Option<Arc<Image>>,
    /// `image` is the picture at the time asked for.
    pub exact: bool,
    /// The exact picture is being decoded: ask again (next paint).
    pub pending: bool,
    /// Why the last decode for this entity failed, if it did.
    pub error: Option<String>,
}

/// Decoded pictures by row, least recently used dropped first.
#[derive(Default)]
struct ImageCache {
    images: HashMap<RowId, (Arc<Image>, u64)>,
    bytes: usize,
    clock: u64,
}

impl ImageCache {
    fn get(&mut self, row: RowId) -> Option<Arc<Image>> {
        self.clock += 1;
        let clock = self.clock;
        self.images.get_mut(&row).map(|(image, used)| {
            *used = clock;
            image.clone()
        })
    }

    fn insert(&mut self, row: RowId, image: Arc<Image>, budget: usize) {
        self.clock += 1;
        self.bytes += image.buffer().len();
        if let Some((old, _)) = self.images.insert(row, (image, self.clock)) {
            self.bytes -= old.buffer().len();
        }
        while self.bytes > budget && self.images.len() > 1 {
            let Some((&oldest, _)) = self.images.iter().min_by_key(|(_, (_, used))| *used) else {
                break;
            };
            if let Some((gone, _)) = self.images.remove(&oldest) {
                self.bytes -= gone.buffer().len();
            }
        }
    }
}

#[derive(Default)]
struct LoaderState {
    /// Per entity, the row a view waits for (the newest request only: an
    /// older one nobody waits for any more is never decoded).
    wanted: HashMap<EntityPath, RowRef>,
    /// Entities with a wanted row, first asked first served (so one view
    /// asking every paint cannot starve another).
    queue: VecDeque<EntityPath>,
    /// Per entity, a row whose decode failed: asked again, it is not
    /// decoded again (a broken JPEG would cost a core every paint).
    failed: HashMap<EntityPath, RowId>,
    cache: ImageCache,
    shown: HashMap<EntityPath, Arc<Image>>,
    errors: HashMap<EntityPath, String>,
    decodes: u64,
    stop: bool,
}

struct LoaderShared {
    store: Arc<RwLock<Store>>,
    state: Mutex<LoaderState>,
    wake: Condvar,
    budget: usize,
}

/// `Image` and `EncodedImage` entities for a viewer: a request answers at
/// once with the picture to show and whether the exact one is pending;
/// JPEG/PNG decoding runs on a thread of its own, decoded pictures are
/// kept under a memory budget.
///
/// Why a thread apart from the video [`FrameServer`](reel_decode::FrameServer):
/// its pool serves `FrameSource`s, whose pictures are planar YUV; an image
/// decodes in one step to RGB or gray, and a view of it needs no decoder
/// state. One request per entity is kept, the newest.
pub struct ImageLoader {
    shared: Arc<LoaderShared>,
    worker: Option<JoinHandle<()>>,
}

fn lock_state(m: &Mutex<LoaderState>) -> MutexGuard<'_, LoaderState> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl ImageLoader {
    /// Starts the decoding thread; decoded pictures are kept up to
    /// `budget` bytes.
    pub fn new(store: Arc<RwLock<Store>>, budget: usize) -> Self {
        let shared = Arc::new(LoaderShared {
            store,
            state: Mutex::new(LoaderState::default()),
            wake: Condvar::new(),
            budget,
        });
        let worker = {
            let shared = shared.clone();
            std::thread::Builder::new()
                .name("reel-images".into())
                .spawn(move || loader_loop(&shared))
                .ok()
        };
        Self { shared, worker }
    }

    /// The picture of `entity` at `t` on `timeline`, at once (see
    /// [`ImageReply`]).
    pub fn request(&self, entity: &EntityPath, timeline: &str, t: i64) -> ImageReply {
        // Which row is shown at `t`: an index lookup, no pixels touched.
        let row = {
            let store = self.shared.store.read().unwrap_or_else(|e| e.into_inner());
            latest_image_row(&store, entity, timeline, t).map(|r| RowRef {
                chunk: r.chunk_index,
                row: r.row as u32,
                row_id: r.row_id,
            })
        };
        let mut state = lock_state(&self.shared.state);
        let error = state.errors.get(entity).cloned();
        let Some(row) = row else {
            state.wanted.remove(entity);
            return ImageReply {
                error,
                ..ImageReply::default()
            };
        };
        if state.failed.get(entity) == Some(&row.row_id) {
            state.wanted.remove(entity);
            return ImageReply {
                image: state.shown.get(entity).cloned(),
                exact: false,
                pending: false,
                error,
            };
        }
        if let Some(image) = state.cache.get(row.row_id) {
            state.wanted.remove(entity);
            state.shown.insert(entity.clone(), image.clone());
            return ImageReply {
                image: Some(image),
                exact: true,
                pending: false,
                error: None,
            };
        }
        if state.wanted.insert(entity.clone(), row).is_none() {
            state.queue.push_back(entity.clone());
        }
        let shown = state.shown.get(entity).cloned();
        drop(state);
        self.shared.wake.notify_one();
        ImageReply {
            image: shown,
            exact: false,
            pending: true,
            error,
        }
    }

    /// Pictures decoded so far.
    pub fn decodes(&self) -> u64 {
        lock_state(&self.shared.state).decodes
    }
}

impl Drop for ImageLoader {
    fn drop(&mut self) {
        lock_state(&self.shared.state).stop = true;
        self.shared.wake.notify_one();
        if let Some(w) = self.worker.take() {
            let _ = w.join();
        }
    }
}

fn loader_loop(shared: &LoaderShared) {
    loop {
        let (entity, row) = 'found: {
            let mut state = lock_state(&shared.state);
            loop {
                if state.stop {
                    return;
                }
                while let Some(entity) = state.queue.pop_front() {
                    if let Some(row) = state.wanted.remove(&entity) {
                        break 'found (entity, row);
                    }
                }
                state = shared.wake.wait(state).unwrap_or_else(|e| e.into_inner());
            }
        };
        // Decoding holds neither the state's lock nor the store's (the
        // handle holds its chunk): a refresh waiting to write would
        // otherwise hold up every request behind the decode.
        let handle = shared
            .store
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .row(row);
        let decoded = match handle {
            Some(handle) => image_of_row(&handle).map_err(|e| e.to_string()),
            None => Err(format!(
                "{entity}: the row could not be read again from the recording"
            )),
        };
        let mut state = lock_state(&shared.state);
        state.decodes += 1;
        match decoded {
            Ok(Some(image)) => {
                let image = Arc::new(image);
                state.cache.insert(row.row_id, image, shared.budget);
                state.errors.remove(&entity);
                state.failed.remove(&entity);
            }
            Ok(None) => {}
            Err(e) => {
                state.errors.insert(entity.clone(), e);
                state.failed.insert(entity, row.row_id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reel_types::{Archetype, Chunk, PendingRow, RowId, TimeCell, TimePoint, TimelineName};

    fn row(t: i64, cells: Vec<reel_types::ComponentCell>) -> PendingRow {
        let mut tp = TimePoint::default();
        tp.insert(TimelineName::new("frame").unwrap(), TimeCell::sequence(t));
        PendingRow {
            row_id: RowId::new(),
            timepoint: tp,
            cells,
        }
    }

    /// A PNG logged at frame 0 and a raw image at frame 5: at 3 the PNG's
    /// pixels come back decoded, at 7 the raw ones; before 0, nothing.
    #[test]
    fn the_image_shown_at_a_time_is_decoded_whatever_its_form() {
        let (w, h) = (4u32, 3u32);
        let png_pixels: Vec<u8> = (0..w * h * 3).map(|i| (i * 7) as u8).collect();
        let mut png = Vec::new();
        image::RgbImage::from_raw(w, h, png_pixels.clone())
            .unwrap()
            .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        let raw_pixels: Vec<u8> = (0..w * h * 3).map(|i| (255 - i) as u8).collect();
        let entity = EntityPath::parse("cam").unwrap();
        let mut store = Store::new();
        for r in [
            row(0, EncodedImage::from_bytes(png).unwrap().to_cells()),
            row(
                5,
                Image::from_rgb8(raw_pixels.clone(), [w, h])
                    .unwrap()
                    .to_cells(),
            ),
        ] {
            store.insert(Chunk::from_rows(entity.clone(), &[r]).unwrap());
        }
        let at = |t| {
            image_at(&store, &entity, "frame", t)
                .unwrap()
                .map(|i| i.buffer().as_slice().to_vec())
        };
        assert_eq!(at(3), Some(png_pixels));
        assert_eq!(at(7), Some(raw_pixels));
        assert_eq!(at(-1), None);
        assert!(image_at(&store, &EntityPath::parse("nope").unwrap(), "frame", 0).is_err());
    }

    /// The loader answers at once, decodes off the caller's thread, gives
    /// the PNG's own pixels, and a burst of requests (a scrub) decodes far
    /// fewer pictures than were asked for.
    #[test]
    fn the_image_loader_answers_at_once_and_decodes_off_thread() {
        let (w, h) = (64u32, 48u32);
        let entity = EntityPath::parse("cam").unwrap();
        let mut store = Store::new();
        let mut expected = Vec::new();
        for f in 0..40i64 {
            let pixels: Vec<u8> = (0..w * h * 3)
                .map(|i| (i as i64 * 3 + f * 11) as u8)
                .collect();
            let mut png = Vec::new();
            image::RgbImage::from_raw(w, h, pixels.clone())
                .unwrap()
                .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
                .unwrap();
            expected.push(pixels);
            let r = row(f, EncodedImage::from_bytes(png).unwrap().to_cells());
            store.insert(Chunk::from_rows(entity.clone(), &[r]).unwrap());
        }
        let loader = ImageLoader::new(Arc::new(RwLock::new(store)), 64 << 20);
        let wait = |t: i64| {
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
            loop {
                let reply = loader.request(&entity, "frame", t);
                assert!(reply.error.is_none(), "{:?}", reply.error);
                if reply.exact {
                    return reply.image.unwrap();
                }
                assert!(reply.pending);
                assert!(std::time::Instant::now() < deadline, "frame {t} never came");
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
        };
        let first = loader.request(&entity, "frame", 7);
        assert!(first.pending && !first.exact && first.image.is_none());
        assert_eq!(wait(7).buffer().as_slice(), expected[7].as_slice());
        // A scrub over every frame, then the last one waited for.
        let before = loader.decodes();
        for t in (0..40).rev() {
            loader.request(&entity, "frame", t);
        }
        assert_eq!(wait(0).buffer().as_slice(), expected[0].as_slice());
        let decodes = loader.decodes() - before;
        assert!(decodes < 20, "{decodes} decodes for 41 requests");
        // A broken JPEG: an error, once; asked again, not decoded again.
        let broken_entity = EntityPath::parse("broken").unwrap();
        let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0];
        jpeg.extend([0x5A; 64]);
        {
            let mut store = loader.shared.store.write().unwrap();
            let r = row(0, EncodedImage::from_bytes(jpeg).unwrap().to_cells());
            store.insert(Chunk::from_rows(broken_entity.clone(), &[r]).unwrap());
        }
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        let error = loop {
            let reply = loader.request(&broken_entity, "frame", 0);
            if !reply.pending {
                assert!(!reply.exact);
                break reply.error.expect("the decode error");
            }
            assert!(std::time::Instant::now() < deadline, "no answer");
            std::thread::sleep(std::time::Duration::from_millis(1));
        };
        assert!(
            error.contains("broken") && error.contains("does not decode"),
            "{error}"
        );
        let decodes = loader.decodes();
        for _ in 0..20 {
            assert!(!loader.request(&broken_entity, "frame", 0).pending);
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
        assert_eq!(
            loader.decodes(),
            decodes,
            "a failed picture was decoded again"
        );
        // While the next one decodes, the last one shown is the answer.
        let reply = loader.request(&entity, "frame", 33);
        if !reply.exact {
            assert_eq!(
                reply.image.unwrap().buffer().as_slice(),
                expected[0].as_slice()
            );
        }
    }
}
