//! `prasang._prasang`: the native half of the `prasang` Python package.
//!
//! An adapter over prasang-core: every rule (who may read what, what a table may show) is the
//! core's; this crate turns arguments into core calls (with the GIL released), results into
//! Arrow tables ([`table`]) and core errors into Python exceptions ([`errors`]). It never talks
//! HTTP.

mod database;
mod errors;
mod reports;
mod table;
mod tables;
mod vocab;

use pyo3::prelude::*;

/// The native module; `prasang/__init__.py` re-exports it.
#[pymodule]
fn _prasang(module: &Bound<'_, PyModule>) -> PyResult<()> {
    errors::register(module)?;
    module.add_class::<table::Table>()?;
    module.add_class::<database::Database>()?;
    module.add_function(wrap_pyfunction!(database::open, module)?)?;
    module.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
