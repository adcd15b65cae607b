//! `reel print`: the rows of a recording, one line each.

use crate::output::outln;
use std::path::Path;

use anyhow::{Result, bail};
use reel_store::{RowHandle, Store};
use reel_types::arrow_array::{
    Array, BooleanArray, Int64Array, LargeBinaryArray, StringArray, UInt32Array,
};
use reel_types::{Archetype, EntityPath, Image};

pub fn run(file: &Path, entity: Option<&str>, limit: usize) -> Result<()> {
    let (store, report) = Store::load(file)?;
    let entities: Vec<EntityPath> = match entity {
        Some(e) => {
            let path = EntityPath::parse(e)?;
            if store.entity_info(&path).is_none() {
                let known: Vec<String> = store.entities().map(ToString::to_string).collect();
                bail!(
                    "{}: no entity {path} (entities: {})",
                    file.display(),
                    known.join(", ")
                );
            }
            vec![path]
        }
        None => store.entities().cloned().collect(),
    };
    for path in entities {
        let rows = store.rows_in_log_order(&path);
        outln!("{path}: {} rows", rows.len());
        for row in rows.iter().take(limit) {
            outln!("  {}", describe_row(row));
        }
        if rows.len() > limit {
            outln!("  … {} more (use --limit)", rows.len() - limit);
        }
    }
    if report.is_damaged() {
        eprintln!(
            "warning: {}: some data was unreadable and skipped; see `reel info`",
            file.display()
        );
    }
    Ok(())
}

fn describe_row(row: &RowHandle) -> String {
    let chunk = &row.chunk;
    let mut parts = vec![format!("row {}", row.row_id.0)];
    let times: Vec<String> = chunk
        .timelines()
        .filter_map(|tl| {
            let v = chunk.time_at(tl.name.as_str(), row.row)?;
            Some(format!("{}={}", tl.name, tl.typ.format_value(v)))
        })
        .collect();
    parts.push(if times.is_empty() {
        "static".into()
    } else {
        times.join(" ")
    });
    if let Ok(Some(image)) = Image::from_row(&row.view()) {
        parts.push(format!(
            "Image {} ({} B)",
            image.format(),
            image.buffer().len()
        ));
    }
    for (desc, array) in chunk.components() {
        if desc.archetype == Image::NAME || !array.is_valid(row.row) {
            continue;
        }
        parts.push(format!("{desc}={}", cell_text(array.as_ref(), row.row)));
    }
    parts.join("  ")
}

fn cell_text(array: &dyn Array, i: usize) -> String {
    let any = array.as_any();
    if let Some(a) = any.downcast_ref::<LargeBinaryArray>() {
        format!("<{} bytes>", a.value(i).len())
    } else if let Some(a) = any.downcast_ref::<StringArray>() {
        a.value(i).to_owned()
    } else if let Some(a) = any.downcast_ref::<Int64Array>() {
        a.value(i).to_string()
    } else if let Some(a) = any.downcast_ref::<UInt32Array>() {
        a.value(i).to_string()
    } else if let Some(a) = any.downcast_ref::<BooleanArray>() {
        a.value(i).to_string()
    } else {
        format!("<{}>", array.data_type())
    }
}
