//! Image entities: the `Image` or `EncodedImage` shown at a time, as
//! pixels (the `decode` feature decodes JPEG and PNG with the `image`
//! crate).

use reel_store::{RowHandle, Store};
use reel_types::{EncodedImage, EntityPath, Image};

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

/// The picture of `entity` shown at `t` on `timeline`: its latest `Image`
/// or `EncodedImage` row at or before `t`, decoded.
pub fn image_at(
    store: &Store,
    entity: &EntityPath,
    timeline: &str,
    t: i64,
) -> QueryResult<Option<Image>> {
    let row = [&Image::BUFFER, &EncodedImage::BLOB]
        .into_iter()
        .filter_map(|c| store.latest_at(entity, timeline, t, c))
        .max_by_key(|r| (r.time.map(|c| c.value), r.row_id));
    match row {
        Some(row) => image_of_row(&row),
        None if store.entity_info(entity).is_none() => {
            Err(entity_error(entity, "not in the recording"))
        }
        None => Ok(None),
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
}
