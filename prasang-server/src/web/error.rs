//! Everything a page can fail with, and the one place that turns it into an HTML page: core
//! errors go through the server's single problem mapping (by their `kind()`), then get a
//! friendly heading here. Pages never show a stack trace or JSON.

use hyper::header::{HeaderValue, RETRY_AFTER};
use hyper::{Response, StatusCode};
use maud::html;
use prasang_core::DomainError;

use super::layout;
use crate::problem::ApiError;
use crate::request::Body;

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

    /// Whether the core said "no such thing" (e.g. no feedback yet).
    pub(crate) fn is_not_found(&self) -> bool {
        matches!(self, WebError::Api(ApiError::Core(e)) if e.kind() == prasang_core::ErrorKind::NotFound)
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

    /// The page for this error.
    pub(crate) fn page(self) -> Response<Body> {
        let (status, heading, detail, retry_after) = match &self {
            WebError::LoginRequired { next } => {
                let target = format!(
                    "/login?next={}",
                    form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
                );
                return layout::see_other(&target);
            }
            WebError::NotFound => (
                StatusCode::NOT_FOUND,
                "Page not found",
                "There is no such page. It may have been removed, or the address is mistyped."
                    .to_owned(),
                None,
            ),
            WebError::Csrf => (
                StatusCode::FORBIDDEN,
                "This form could not be accepted",
                "It expired or was sent from another site. Go back, reload the page and try again."
                    .to_owned(),
                None,
            ),
            WebError::Api(error) => {
                let problem = error.problem();
                let heading = match (problem.status.as_u16(), problem.slug) {
                    (409, "sold-out") => "Sold out",
                    (404, _) => "Not found",
                    (403, _) => "Not allowed",
                    (401, _) => "Please log in again",
                    (409, _) => "That cannot be done now",
                    (429, _) => "Too many attempts",
                    (400..=499, _) => "Please check what you entered",
                    _ => "Something went wrong",
                };
                (
                    problem.status,
                    heading,
                    capitalised(&problem.detail),
                    problem.retry_after,
                )
            }
        };
        let body = html! {
            h1 { (heading) }
            p.error-detail { (detail) }
            p { a href="/" { "Back to the events" } }
        };
        let mut response = layout::html(status, layout::document(None, heading, body));
        if let Some(seconds) = retry_after {
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
