//! Everything a page can fail with. Core errors go through the server's single problem mapping
//! (by their `kind()`); [`super::layout::error_page`] is the one place that turns any of these
//! into an HTML page, with a friendly heading. Pages never show a stack trace or JSON.

use prasang_core::DomainError;

use crate::problem::ApiError;

/// Why a page could not be shown.
#[derive(Debug)]
pub enum WebError {
    /// The core refused or failed, or the request was unusable.
    Api(ApiError),
    /// No such page (or a malformed id in its address).
    NotFound,
    /// The page needs a signed-in user: go to the login page, then back to `next`.
    LoginRequired {
        /// Where to come back to.
        next: String,
    },
    /// A form post without this browser's CSRF token, or from another site.
    Csrf,
}

impl<E: DomainError> From<E> for WebError {
    fn from(error: E) -> Self {
        WebError::Api(ApiError::Core(Box::new(error)))
    }
}

impl From<ApiError> for WebError {
    fn from(error: ApiError) -> Self {
        WebError::Api(error)
    }
}

impl WebError {
    /// The core error's field, when the core refused one field of a form.
    pub(crate) fn field(&self) -> Option<&prasang_core::FieldError> {
        match self {
            WebError::Api(ApiError::Core(error)) => error.field(),
            _ => None,
        }
    }

    /// The core's code of the refusal (`pass-required`), if the core refused.
    pub(crate) fn code(&self) -> Option<&'static str> {
        match self {
            WebError::Api(ApiError::Core(error)) => Some(error.info().code),
            _ => None,
        }
    }

    /// Whether the core said "no such thing" (e.g. no feedback yet).
    pub(crate) fn is_not_found(&self) -> bool {
        matches!(self, WebError::Api(ApiError::Core(e)) if e.kind() == prasang_core::ErrorKind::NotFound)
    }

    /// The status of a refusal the user can act on where they are (a conflict, or a value the
    /// core refused): the page shows it above its form rather than as an error page.
    pub(crate) fn refusal_status(&self) -> Option<hyper::StatusCode> {
        use prasang_core::ErrorKind;
        match self {
            WebError::Api(ApiError::Core(e)) => match e.kind() {
                ErrorKind::Conflict => Some(hyper::StatusCode::CONFLICT),
                ErrorKind::InvalidInput => Some(hyper::StatusCode::UNPROCESSABLE_ENTITY),
                _ => None,
            },
            _ => None,
        }
    }

    /// What a buyer is told of a refused order: a refused line by its type's name ("Child:
    /// only 2 seats of this ticket type are left"), anything else as [`WebError::message`].
    pub(crate) fn order_message(&self) -> String {
        use prasang_core::tickets::TicketError;
        if let WebError::Api(ApiError::Core(error)) = self {
            let error: &(dyn std::error::Error + 'static) = error.as_ref();
            if let Some(TicketError::InLine { name, refusal, .. }) = error.downcast_ref()
                && !name.is_empty()
            {
                return format!("{name}: {refusal}");
            }
        }
        self.message()
    }

    /// What the user is told, in one sentence.
    pub(crate) fn message(&self) -> String {
        match self {
            WebError::Api(error) => error.problem().detail,
            WebError::NotFound => "There is no such page.".into(),
            WebError::LoginRequired { .. } => "Please log in first.".into(),
            WebError::Csrf => "This form expired or was sent from another site.".into(),
        }
    }
}
