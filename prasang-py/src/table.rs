//! Arrow tables handed to Python through the Arrow PyCapsule interface
//! (`__arrow_c_stream__`), so pyarrow, polars and pandas take them without copying row by row
//! and without this package depending on any of them.
//!
//! Conventions: timestamps are `timestamp[ms, tz=UTC]`, money is an integer in minor units,
//! counts are `int64`, and closed vocabularies (gender, age group, status, role) are dictionary
//! columns whose dictionary lists every value in a fixed order (pandas and polars make them
//! categoricals).

use std::ffi::CStr;
use std::sync::Arc;

use arrow_array::builder::{StringBuilder, TimestampMillisecondBuilder};
use arrow_array::ffi_stream::FFI_ArrowArrayStream;
use arrow_array::types::Int8Type;
use arrow_array::{
    ArrayRef, BooleanArray, Date32Array, DictionaryArray, Float64Array, Int8Array, Int64Array,
    RecordBatch, RecordBatchIterator, StringArray,
};
use arrow_schema::{ArrowError, Field, Schema, SchemaRef};
use prasang_core::IdText;
use pyo3::prelude::*;
use pyo3::types::PyCapsule;

use crate::errors::Internal;

const STREAM_CAPSULE: &CStr = c"arrow_array_stream";

/// The time zone of every timestamp column.
const UTC: &str = "UTC";

/// A table of Arrow data: pass it to `pyarrow.table()`, `polars.DataFrame()` or any library
/// that reads the Arrow PyCapsule interface, or call `to_pyarrow()`, `to_pandas()`,
/// `to_polars()`.
#[pyclass(module = "prasang", frozen)]
pub struct Table {
    schema: SchemaRef,
    batches: Vec<RecordBatch>,
}

#[pymethods]
impl Table {
    /// Exports the table as an Arrow C stream in a PyCapsule named `arrow_array_stream`
    /// (the Arrow PyCapsule interface). A requested schema is ignored: the table has one.
    #[pyo3(signature = (requested_schema=None))]
    fn __arrow_c_stream__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        let _ = requested_schema;
        let reader = RecordBatchIterator::new(
            self.batches.clone().into_iter().map(Ok::<_, ArrowError>),
            self.schema.clone(),
        );
        let stream = FFI_ArrowArrayStream::new(Box::new(reader));
        PyCapsule::new_with_value(py, stream, STREAM_CAPSULE)
    }

    /// Number of rows.
    #[getter]
    fn num_rows(&self) -> usize {
        self.batches.iter().map(RecordBatch::num_rows).sum()
    }

    /// Column names, in order.
    #[getter]
    fn column_names(&self) -> Vec<String> {
        self.schema
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect()
    }

    /// Number of rows.
    fn __len__(&self) -> usize {
        self.num_rows()
    }

    /// `Table(rows=…, columns=[…])`.
    fn __repr__(&self) -> String {
        format!(
            "Table(rows={}, columns={:?})",
            self.num_rows(),
            self.column_names()
        )
    }

    /// The table as a `pyarrow.Table` (needs pyarrow).
    fn to_pyarrow<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        slf.py().import("pyarrow")?.call_method1("table", (slf,))
    }

    /// The table as a `pandas.DataFrame` (needs pyarrow and pandas): dictionary columns become
    /// categoricals, timestamps `datetime64[ms, UTC]`.
    fn to_pandas<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        Self::to_pyarrow(slf)?.call_method0("to_pandas")
    }

    /// The table as a `polars.DataFrame` (needs polars): dictionary columns become
    /// categoricals, timestamps `Datetime("ms", "UTC")`.
    fn to_polars<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        slf.py().import("polars")?.call_method1("DataFrame", (slf,))
    }

    /// The rows as a list of dicts (plain Python values; needs pyarrow). Handy in tests and
    /// small scripts.
    fn to_pylist<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        Self::to_pyarrow(slf)?.call_method0("to_pylist")
    }
}

impl Table {
    /// A table of one batch.
    pub(crate) fn new(columns: Columns) -> PyResult<Table> {
        Self::from_batches(vec![columns])
    }

    /// A table of one batch per `Columns`, in order; each has the same columns.
    pub(crate) fn from_batches(parts: Vec<Columns>) -> PyResult<Table> {
        let failed = |e: ArrowError| Internal::new_err(format!("could not build a table: {e}"));
        let mut schema: Option<SchemaRef> = None;
        let mut batches = Vec::with_capacity(parts.len());
        for columns in parts {
            if let Some(error) = columns.error {
                return Err(failed(error));
            }
            let part_schema = Arc::new(Schema::new(columns.fields));
            let schema = schema.get_or_insert(part_schema.clone());
            if *schema != part_schema {
                return Err(failed(ArrowError::SchemaError(
                    "the batches have different columns".into(),
                )));
            }
            batches.push(RecordBatch::try_new(schema.clone(), columns.arrays).map_err(failed)?);
        }
        let schema = schema.ok_or_else(|| failed(ArrowError::SchemaError("no batch".into())))?;
        Ok(Table { schema, batches })
    }
}

/// Builds a table column by column.
#[derive(Default)]
pub(crate) struct Columns {
    fields: Vec<Field>,
    arrays: Vec<ArrayRef>,
    error: Option<ArrowError>,
}

impl Columns {
    fn failed(mut self, error: ArrowError) -> Self {
        self.error.get_or_insert(error);
        self
    }

    fn push(mut self, name: &str, nullable: bool, array: ArrayRef) -> Self {
        self.fields
            .push(Field::new(name, array.data_type().clone(), nullable));
        self.arrays.push(array);
        self
    }

    /// An `int64` column.
    pub(crate) fn int(self, name: &str, values: impl IntoIterator<Item = i64>) -> Self {
        self.push(name, false, Arc::new(Int64Array::from_iter_values(values)))
    }

    /// A nullable `int64` column.
    pub(crate) fn int_opt(self, name: &str, values: impl IntoIterator<Item = Option<i64>>) -> Self {
        self.push(name, true, Arc::new(Int64Array::from_iter(values)))
    }

    /// A `bool` column.
    pub(crate) fn boolean(self, name: &str, values: impl IntoIterator<Item = bool>) -> Self {
        let array = BooleanArray::from_iter(values.into_iter().map(Some));
        self.push(name, false, Arc::new(array))
    }

    /// A nullable `float64` column.
    pub(crate) fn float(self, name: &str, values: impl IntoIterator<Item = Option<f64>>) -> Self {
        self.push(name, true, Arc::new(Float64Array::from_iter(values)))
    }

    /// A `string` column.
    pub(crate) fn text<S: AsRef<str>>(
        self,
        name: &str,
        values: impl IntoIterator<Item = S>,
    ) -> Self {
        let array = StringArray::from_iter_values(values);
        self.push(name, false, Arc::new(array))
    }

    /// A `string` column of ids, its buffer sized once (ids have one length).
    pub(crate) fn ids(self, name: &str, ids: &[IdText]) -> Self {
        let mut builder = StringBuilder::with_capacity(ids.len(), ids.len() * IdText::LEN);
        for id in ids {
            builder.append_value(id);
        }
        self.push(name, false, Arc::new(builder.finish()))
    }

    /// A nullable `string` column.
    pub(crate) fn text_opt<S: AsRef<str>>(
        self,
        name: &str,
        values: impl IntoIterator<Item = Option<S>>,
    ) -> Self {
        let mut builder = StringBuilder::new();
        for value in values {
            builder.append_option(value);
        }
        self.push(name, true, Arc::new(builder.finish()))
    }

    /// A dictionary (categorical) column over the fixed `categories`; each value is an index
    /// into them.
    pub(crate) fn category(
        self,
        name: &str,
        categories: &[&str],
        values: impl IntoIterator<Item = usize>,
    ) -> Self {
        let keys = Int8Array::from_iter_values(values.into_iter().map(|i| i as i8));
        let dictionary = Arc::new(StringArray::from_iter_values(categories));
        match DictionaryArray::<Int8Type>::try_new(keys, dictionary) {
            Ok(array) => self.push(name, false, Arc::new(array)),
            Err(error) => self.failed(error),
        }
    }

    /// A `timestamp[ms, tz=UTC]` column (nullable when any value is missing).
    pub(crate) fn timestamp(
        self,
        name: &str,
        millis: impl IntoIterator<Item = Option<i64>>,
    ) -> Self {
        let mut builder = TimestampMillisecondBuilder::new().with_timezone(UTC);
        for value in millis {
            builder.append_option(value);
        }
        self.push(name, true, Arc::new(builder.finish()))
    }

    /// A `date32` column (days since 1970-01-01).
    pub(crate) fn date(self, name: &str, days: impl IntoIterator<Item = i32>) -> Self {
        self.push(name, false, Arc::new(Date32Array::from_iter_values(days)))
    }
}
