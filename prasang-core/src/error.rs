//! One error vocabulary for every module.
//!
//! Each module has its own `thiserror` enum (`UserError`, `TicketError`, ...) for the refusals
//! only it knows (sold out, e-mail taken), plus one [`CommonError`] variant for the ones every
//! module shares (invalid input, not found, forbidden, storage). Every module error implements
//! [`DomainError`]: a [`kind`](DomainError::kind) from the one [`ErrorKind`] list, a stable
//! [`code`](ErrorInfo::code) and a short title. Front ends map kinds once (problem+json, an HTML
//! error page, a Python exception class) and never match on module variants.
//!
//! ```
//! use prasang_core::{Config, DomainError, ErrorKind, Prasang};
//! use prasang_core::users::{Gender, NewUser, Role};
//!
//! let prasang = Prasang::open(Config::temporary())?;
//! let refused = prasang.users().register(NewUser {
//!     name: "Eve".into(), email: "not an address".into(), password: "long enough".into(),
//!     gender: Gender::Female, age: 30, role: Role::Attendee,
//! }).unwrap_err();
//! assert_eq!(refused.kind(), ErrorKind::InvalidInput);
//! assert_eq!(refused.field().map(|f| f.field), Some("email"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;

use crate::paging::ScanError;
use crate::store::StoreError;
use crate::validate::FieldError;

/// What kind of failure an error is: the one thing a front end needs to decide how to answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The input breaks a rule; [`DomainError::field`] names the field when one is at fault.
    InvalidInput,
    /// No such thing, or the caller may not learn that it exists.
    NotFound,
    /// The caller is known but may not do this.
    Forbidden,
    /// The caller could not be authenticated: wrong password, bad, expired or revoked token.
    Unauthorized,
    /// The request clashes with the current state: sold out, limit reached, e-mail taken.
    Conflict,
    /// Too many attempts; try again later.
    RateLimited,
    /// Temporarily impossible (the disk refused a write, a transaction kept conflicting); the
    /// same request may succeed later.
    Unavailable,
    /// A fault on our side (an unreadable record, a bug). Users see only that something went
    /// wrong; the `Debug` chain tells operators what.
    Internal,
}

/// How a front end describes one error: its kind, a stable machine-readable code (`sold-out`,
/// used as the problem `type` over HTTP) and a short fixed title (`Sold out`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorInfo {
    /// The kind.
    pub kind: ErrorKind,
    /// Stable code, lower-case words joined by `-`.
    pub code: &'static str,
    /// Short summary of the code, the same for every error with it.
    pub title: &'static str,
}

impl ErrorInfo {
    pub(crate) const fn new(kind: ErrorKind, code: &'static str, title: &'static str) -> Self {
        ErrorInfo { kind, code, title }
    }
}

/// Implemented by every module error of the core. Its `Display` is the detail a user may read;
/// it never contains internals.
pub trait DomainError: std::error::Error + Send + Sync + 'static {
    /// Kind, code and title.
    fn info(&self) -> ErrorInfo;

    /// The field at fault, for [`ErrorKind::InvalidInput`] errors that concern one field.
    fn field(&self) -> Option<&FieldError> {
        None
    }

    /// The kind of failure.
    fn kind(&self) -> ErrorKind {
        self.info().kind
    }
}

/// What a [`CommonError::NotFound`] did not find.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Subject {
    /// A user account.
    User,
    /// An event.
    Event,
    /// A ticket.
    Ticket,
    /// A feedback entry.
    Feedback,
    /// A ticket type of an event.
    TicketType,
    /// A promo code of an event.
    PromoCode,
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Subject::User => "user",
            Subject::Event => "event",
            Subject::Ticket => "ticket",
            Subject::Feedback => "feedback",
            Subject::TicketType => "ticket type",
            Subject::PromoCode => "promo code",
        })
    }
}

/// The refusals and failures every module shares, written once. Each module error wraps it as
/// its `Common` variant.
#[derive(Debug, thiserror::Error)]
pub enum CommonError {
    /// A field was unacceptable.
    #[error(transparent)]
    Invalid(#[from] FieldError),
    /// No such thing, or not visible to the caller.
    #[error("{0} not found")]
    NotFound(Subject),
    /// The caller may not do this; the text says who may.
    #[error("{0}")]
    Forbidden(&'static str),
    /// The storage layer failed (users see only this; `Debug` holds the cause).
    #[error("storage failure")]
    Storage(#[from] StoreError),
}

impl DomainError for CommonError {
    fn info(&self) -> ErrorInfo {
        use ErrorKind as K;
        match self {
            CommonError::Invalid(_) => {
                ErrorInfo::new(K::InvalidInput, "invalid-field", "A field is invalid")
            }
            CommonError::NotFound(Subject::User) => {
                ErrorInfo::new(K::NotFound, "user-not-found", "User not found")
            }
            CommonError::NotFound(Subject::Event) => {
                ErrorInfo::new(K::NotFound, "event-not-found", "Event not found")
            }
            CommonError::NotFound(Subject::Ticket) => {
                ErrorInfo::new(K::NotFound, "ticket-not-found", "Ticket not found")
            }
            CommonError::NotFound(Subject::Feedback) => {
                ErrorInfo::new(K::NotFound, "feedback-not-found", "Feedback not found")
            }
            CommonError::NotFound(Subject::TicketType) => ErrorInfo::new(
                K::NotFound,
                "ticket-type-not-found",
                "Ticket type not found",
            ),
            CommonError::NotFound(Subject::PromoCode) => {
                ErrorInfo::new(K::NotFound, "promo-code-not-found", "Promo code not found")
            }
            CommonError::Forbidden(_) => ErrorInfo::new(K::Forbidden, "forbidden", "Not allowed"),
            CommonError::Storage(store) => store.info(),
        }
    }

    fn field(&self) -> Option<&FieldError> {
        match self {
            CommonError::Invalid(field) => Some(field),
            _ => None,
        }
    }
}

/// Storage failures the caller cannot fix: the disk refused (retry later) or the data is wrong.
impl DomainError for StoreError {
    fn info(&self) -> ErrorInfo {
        let unavailable = ErrorInfo::new(
            ErrorKind::Unavailable,
            "storage-unavailable",
            "Storage unavailable",
        );
        let internal = ErrorInfo::new(ErrorKind::Internal, "internal", "Internal error");
        match self {
            // The disk refused a read or write (full, gone read-only): retrying later may work.
            StoreError::Engine(sled::Error::Io(_))
            | StoreError::Flush(_)
            | StoreError::Io(_)
            | StoreError::Conflict => unavailable,
            StoreError::Engine(_) | StoreError::Corrupt { .. } | StoreError::Signing(_) => internal,
        }
    }
}

impl From<ScanError> for CommonError {
    fn from(error: ScanError) -> Self {
        match error {
            ScanError::Invalid(e) => CommonError::Invalid(e),
            ScanError::Store(e) => CommonError::Storage(e),
        }
    }
}

/// Implements [`DomainError`] for a module error with a `Common(CommonError)` variant, given the
/// info of its own variants (and, after `fields`, the field at fault of those that have one), plus
/// the conversions that let `?` lift field, storage and paging errors into it.
macro_rules! domain_error {
    ($error:ident { $($variant:pat => $info:expr),* $(,)? }) => {
        $crate::error::domain_error!($error { $($variant => $info),* } fields {});
    };
    ($error:ident { $($variant:pat => $info:expr),* $(,)? } fields { $($fvariant:pat => $field:expr),* $(,)? }) => {
        impl $crate::error::DomainError for $error {
            fn info(&self) -> $crate::error::ErrorInfo {
                #[allow(unused_imports)]
                use $crate::error::ErrorKind::*;
                match self {
                    $error::Common(common) => common.info(),
                    $($variant => $info,)*
                }
            }

            fn field(&self) -> Option<&$crate::validate::FieldError> {
                match self {
                    $error::Common(common) => common.field(),
                    $($fvariant => $field,)*
                    #[allow(unreachable_patterns)]
                    _ => None,
                }
            }
        }

        impl From<$crate::validate::FieldError> for $error {
            fn from(error: $crate::validate::FieldError) -> Self {
                $error::Common(error.into())
            }
        }

        impl From<$crate::store::StoreError> for $error {
            fn from(error: $crate::store::StoreError) -> Self {
                $error::Common(error.into())
            }
        }

        impl From<$crate::paging::ScanError> for $error {
            fn from(error: $crate::paging::ScanError) -> Self {
                $error::Common(error.into())
            }
        }
    };
}
pub(crate) use domain_error;
