//! The core's error kinds as Python exceptions: one class per [`ErrorKind`], all under
//! `prasang.Error`, mapped here once.

use prasang_core::{DomainError, ErrorKind, OpenError};
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::{PyErr, Python, create_exception};

create_exception!(
    prasang,
    Error,
    PyException,
    "Base class of every Prasang error; `.code` is the stable error code (`sold-out`)."
);
create_exception!(
    prasang,
    InvalidInput,
    Error,
    "The input breaks a rule; `.field` names the field at fault, or is None."
);
create_exception!(
    prasang,
    NotFound,
    Error,
    "No such thing, or not visible to the caller."
);
create_exception!(
    prasang,
    Forbidden,
    Error,
    "The caller is known but may not do this."
);
create_exception!(
    prasang,
    Unauthorized,
    Error,
    "Not logged in, wrong password, or a bad or expired token."
);
create_exception!(
    prasang,
    Conflict,
    Error,
    "The request clashes with the current state: sold out, limit reached, e-mail taken."
);
create_exception!(
    prasang,
    StoreLocked,
    Conflict,
    "Another process (a running server) has the store open: open a snapshot of it instead."
);
create_exception!(
    prasang,
    RateLimited,
    Error,
    "Too many attempts; try again later."
);
create_exception!(
    prasang,
    Unavailable,
    Error,
    "Temporarily impossible (the disk refused a write); the same call may succeed later."
);
create_exception!(
    prasang,
    Internal,
    Error,
    "A fault inside Prasang (a bug or an unreadable record)."
);
create_exception!(
    prasang,
    ReadOnly,
    Error,
    "A write on a store opened read-only: use prasang.open(path, writable=True)."
);

/// Adds every exception class to the module.
pub(crate) fn register(module: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = module.py();
    module.add("Error", py.get_type::<Error>())?;
    module.add("InvalidInput", py.get_type::<InvalidInput>())?;
    module.add("NotFound", py.get_type::<NotFound>())?;
    module.add("Forbidden", py.get_type::<Forbidden>())?;
    module.add("Unauthorized", py.get_type::<Unauthorized>())?;
    module.add("Conflict", py.get_type::<Conflict>())?;
    module.add("StoreLocked", py.get_type::<StoreLocked>())?;
    module.add("RateLimited", py.get_type::<RateLimited>())?;
    module.add("Unavailable", py.get_type::<Unavailable>())?;
    module.add("Internal", py.get_type::<Internal>())?;
    module.add("ReadOnly", py.get_type::<ReadOnly>())?;
    Ok(())
}

/// The exception for a core error: its kind picks the class; the message is the error's own
/// (internal errors say only that something went wrong); `.code` and `.field` are set.
pub(crate) fn to_py(py: Python<'_>, error: &dyn DomainError) -> PyErr {
    let info = error.info();
    let message = match info.kind {
        ErrorKind::Internal => "internal error in prasang (details are in its log)".to_owned(),
        _ => error.to_string(),
    };
    let exception = match info.kind {
        ErrorKind::InvalidInput => InvalidInput::new_err(message),
        ErrorKind::NotFound => NotFound::new_err(message),
        ErrorKind::Forbidden => Forbidden::new_err(message),
        ErrorKind::Unauthorized => Unauthorized::new_err(message),
        ErrorKind::Conflict => Conflict::new_err(message),
        ErrorKind::RateLimited => RateLimited::new_err(message),
        ErrorKind::Unavailable => Unavailable::new_err(message),
        _ => Internal::new_err(message),
    };
    annotate(py, exception, info.code, error.field().map(|f| f.field))
}

/// [`to_py`] for [`prasang_core::Prasang::open`], whose locked-store refusal has its own class.
pub(crate) fn open_error(py: Python<'_>, error: &OpenError) -> PyErr {
    match error {
        OpenError::Locked { .. } => annotate(
            py,
            StoreLocked::new_err(error.to_string()),
            "store-locked",
            None,
        ),
        other => to_py(py, other),
    }
}

/// An [`InvalidInput`] about one argument that never reached the core.
pub(crate) fn invalid(py: Python<'_>, field: &'static str, message: impl Into<String>) -> PyErr {
    annotate(
        py,
        InvalidInput::new_err(message.into()),
        "invalid-field",
        Some(field),
    )
}

fn annotate(py: Python<'_>, error: PyErr, code: &str, field: Option<&str>) -> PyErr {
    let value = error.value(py);
    // Setting attributes on a fresh exception instance cannot fail; if it ever did, the
    // exception is still the right class with the right message.
    let _ = value.setattr("code", code);
    let _ = value.setattr("field", field);
    error
}
