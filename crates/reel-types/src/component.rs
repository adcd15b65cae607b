//! Components: the typed columns archetypes are made of.
//!
//! Each component is one Arrow column named `Archetype:field`. Archetypes
//! turn themselves into one-row arrays ([`ComponentCell`]) which the batcher
//! concatenates into chunks, and read themselves back from a [`RowView`].

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use arrow_array::{
    Array, ArrayRef, BooleanArray, Int64Array, LargeBinaryArray, StringArray, UInt32Array,
};
use arrow_buffer::{Buffer, OffsetBuffer};
use arrow_schema::DataType;

use crate::{Blob, DataError, DataResult};

/// Names a component column: the archetype it belongs to and its field.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ComponentDescriptor {
    /// Archetype name, e.g. `Image`.
    pub archetype: Cow<'static, str>,
    /// Field name, e.g. `buffer`.
    pub field: Cow<'static, str>,
}

impl ComponentDescriptor {
    /// A descriptor known at compile time.
    pub const fn new(archetype: &'static str, field: &'static str) -> Self {
        Self {
            archetype: Cow::Borrowed(archetype),
            field: Cow::Borrowed(field),
        }
    }

    /// The column name, `Archetype:field`.
    pub fn column_name(&self) -> String {
        format!("{}:{}", self.archetype, self.field)
    }

    /// Parses a column name of the form `Archetype:field`.
    pub fn from_column_name(name: &str) -> Option<Self> {
        let (a, f) = name.split_once(':')?;
        (!a.is_empty() && !f.is_empty()).then(|| Self {
            archetype: Cow::Owned(a.to_owned()),
            field: Cow::Owned(f.to_owned()),
        })
    }
}

impl fmt::Display for ComponentDescriptor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.archetype, self.field)
    }
}

/// One component value of one row: a descriptor and a one-row array.
pub type ComponentCell = (ComponentDescriptor, ArrayRef);

/// Many values of one component, one per row, for columnar logging.
pub type ComponentColumn = (ComponentDescriptor, ArrayRef);

/// Something that can be logged: a named group of components.
pub trait Archetype: Sized {
    /// The archetype's name, the prefix of its column names.
    const NAME: &'static str;

    /// The components this value sets, each as a one-row array.
    fn to_cells(&self) -> Vec<ComponentCell>;

    /// Rebuilds the archetype from one row; `Ok(None)` when the row holds
    /// none of its required components.
    fn from_row(row: &RowView<'_>) -> DataResult<Option<Self>>;
}

/// Builders of one-row arrays, shared by the archetypes.
pub(crate) mod cell {
    use super::*;

    /// A blob without copying its bytes.
    pub fn blob(blob: &Blob) -> ArrayRef {
        let buffer: Buffer = blob.buffer().clone();
        let len = buffer.len() as i64;
        let offsets = OffsetBuffer::new(vec![0i64, len].into());
        Arc::new(LargeBinaryArray::new(offsets, buffer, None))
    }

    pub fn utf8(s: &str) -> ArrayRef {
        Arc::new(StringArray::from(vec![s]))
    }

    pub fn i64(v: i64) -> ArrayRef {
        Arc::new(Int64Array::from(vec![v]))
    }

    pub fn u32(v: u32) -> ArrayRef {
        Arc::new(UInt32Array::from(vec![v]))
    }

    pub fn bool(v: bool) -> ArrayRef {
        Arc::new(BooleanArray::from(vec![v]))
    }
}

/// One row of a chunk, for reading components back.
#[derive(Clone, Copy)]
pub struct RowView<'a> {
    pub(crate) chunk: &'a crate::Chunk,
    pub(crate) row: usize,
}

impl<'a> RowView<'a> {
    /// The row's index in its chunk.
    pub fn index(&self) -> usize {
        self.row
    }

    /// The chunk this row is in.
    pub fn chunk(&self) -> &'a crate::Chunk {
        self.chunk
    }

    fn cell(&self, desc: &ComponentDescriptor) -> Option<&'a ArrayRef> {
        self.chunk
            .component(desc)
            .filter(|a| self.row < a.len() && a.is_valid(self.row))
    }

    fn wrong_type(&self, desc: &ComponentDescriptor, want: &str, got: &DataType) -> DataError {
        DataError::MalformedChunk(format!(
            "{} of entity {}: expected {want}, found {got}",
            desc,
            self.chunk.entity_path()
        ))
    }

    /// Whether the row sets this component.
    pub fn has(&self, desc: &ComponentDescriptor) -> bool {
        self.cell(desc).is_some()
    }

    /// A binary component, without copying (a slice of the chunk's buffer).
    pub fn blob(&self, desc: &ComponentDescriptor) -> DataResult<Option<Blob>> {
        let Some(a) = self.cell(desc) else {
            return Ok(None);
        };
        if let Some(a) = a.as_any().downcast_ref::<LargeBinaryArray>() {
            let start = a.value_offsets()[self.row] as usize;
            let end = a.value_offsets()[self.row + 1] as usize;
            return Ok(Some(Blob::from_buffer(
                a.values().slice_with_length(start, end - start),
            )));
        }
        if let Some(a) = a.as_any().downcast_ref::<arrow_array::BinaryArray>() {
            return Ok(Some(Blob::from(a.value(self.row).to_vec())));
        }
        Err(self.wrong_type(desc, "LargeBinary", a.data_type()))
    }

    /// A string component.
    pub fn utf8(&self, desc: &ComponentDescriptor) -> DataResult<Option<&'a str>> {
        let Some(a) = self.cell(desc) else {
            return Ok(None);
        };
        a.as_any()
            .downcast_ref::<StringArray>()
            .map(|a| Some(a.value(self.row)))
            .ok_or_else(|| self.wrong_type(desc, "Utf8", a.data_type()))
    }

    /// An `Int64` component.
    pub fn i64(&self, desc: &ComponentDescriptor) -> DataResult<Option<i64>> {
        let Some(a) = self.cell(desc) else {
            return Ok(None);
        };
        a.as_any()
            .downcast_ref::<Int64Array>()
            .map(|a| Some(a.value(self.row)))
            .ok_or_else(|| self.wrong_type(desc, "Int64", a.data_type()))
    }

    /// A `UInt32` component.
    pub fn u32(&self, desc: &ComponentDescriptor) -> DataResult<Option<u32>> {
        let Some(a) = self.cell(desc) else {
            return Ok(None);
        };
        a.as_any()
            .downcast_ref::<UInt32Array>()
            .map(|a| Some(a.value(self.row)))
            .ok_or_else(|| self.wrong_type(desc, "UInt32", a.data_type()))
    }

    /// A `Boolean` component.
    pub fn bool(&self, desc: &ComponentDescriptor) -> DataResult<Option<bool>> {
        let Some(a) = self.cell(desc) else {
            return Ok(None);
        };
        a.as_any()
            .downcast_ref::<BooleanArray>()
            .map(|a| Some(a.value(self.row)))
            .ok_or_else(|| self.wrong_type(desc, "Boolean", a.data_type()))
    }

    /// A required component: `Err` naming the entity when absent.
    pub fn require<T>(&self, desc: &ComponentDescriptor, v: Option<T>) -> DataResult<T> {
        v.ok_or_else(|| {
            DataError::MalformedChunk(format!(
                "row {} of entity {} lacks required component {desc}",
                self.row,
                self.chunk.entity_path()
            ))
        })
    }
}
