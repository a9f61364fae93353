//! Errors as RFC 9457 `application/problem+json`.
//!
//! Two functions decide every error response: [`core_problem`] for errors the core returned and
//! [`request_problem`] for requests the server could not even turn into a core call. Each problem
//! has a stable `type` URI (`urn:prasang:problem:<slug>`) that clients may match on; the slugs
//! are listed in docs/api.md.

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{CONTENT_TYPE, HeaderValue, RETRY_AFTER, WWW_AUTHENTICATE};
use hyper::{Response, StatusCode};
use prasang_core::auth::AuthError;
use prasang_core::events::EventError;
use prasang_core::log::LogError;
use prasang_core::notify::NotifyError;
use prasang_core::tickets::TicketError;
use prasang_core::users::UserError;
use prasang_core::{FieldError, StoreError};
use serde_json::json;

/// A failed request: either the core refused or failed, or the request itself was unusable.
#[derive(Debug)]
pub enum ApiError {
    /// The core returned an error.
    Core(CoreError),
    /// The request could not be handled before reaching the core.
    Request(RequestError),
}

/// An error from one of the core's sub-APIs.
#[derive(Debug)]
pub enum CoreError {
    /// From `users()`.
    User(UserError),
    /// From `auth()`.
    Auth(AuthError),
    /// From `events()`.
    Event(EventError),
    /// From `tickets()`.
    Ticket(TicketError),
    /// From `log()`.
    Log(LogError),
    /// From `notifications()`.
    Notify(NotifyError),
    /// From the store itself (flush, integrity check, size).
    Store(StoreError),
}

/// What can be wrong with a request before the core sees it.
#[derive(Debug)]
pub enum RequestError {
    /// The body is not JSON at all (syntax error, truncated, bad UTF-8).
    MalformedJson(String),
    /// The body is JSON but not the expected shape (wrong type, unknown or missing field).
    InvalidJson(String),
    /// A `Content-Type` other than JSON.
    UnsupportedMediaType,
    /// The body exceeded the configured limit.
    BodyTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The body could not be read (connection dropped mid-body).
    BodyUnreadable(String),
    /// A path segment is not a valid id.
    InvalidId,
    /// A query parameter or header is unusable.
    BadParameter(String),
    /// No `Authorization: Bearer` header on a route that needs one.
    MissingToken,
    /// No route has this path.
    RouteNotFound,
    /// The path exists but not with this method.
    MethodNotAllowed {
        /// The methods the path does accept.
        allow: String,
    },
    /// Too many attempts from this client address.
    RateLimited {
        /// Seconds until the next attempt is allowed.
        retry_after: u64,
    },
    /// The request took longer than the configured timeout.
    Timeout,
    /// A bug or a crashed blocking task; details go to the log only.
    Internal(String),
}

macro_rules! impl_from {
    ($($variant:ident($ty:ty)),*) => {$(
        impl From<$ty> for CoreError {
            fn from(error: $ty) -> Self { CoreError::$variant(error) }
        }
        impl From<$ty> for ApiError {
            fn from(error: $ty) -> Self { ApiError::Core(CoreError::$variant(error)) }
        }
    )*};
}
impl_from!(
    User(UserError),
    Auth(AuthError),
    Event(EventError),
    Ticket(TicketError),
    Log(LogError),
    Notify(NotifyError),
    Store(StoreError)
);

impl From<CoreError> for ApiError {
    fn from(error: CoreError) -> Self {
        ApiError::Core(error)
    }
}

impl From<RequestError> for ApiError {
    fn from(error: RequestError) -> Self {
        ApiError::Request(error)
    }
}

/// An RFC 9457 problem document plus the headers that go with it.
#[derive(Debug, Clone)]
pub struct Problem {
    /// HTTP status.
    pub status: StatusCode,
    /// The last part of the `type` URI.
    pub slug: &'static str,
    /// Short, fixed summary of the problem type.
    pub title: &'static str,
    /// What happened this time, in words the user can act on.
    pub detail: String,
    /// Per-field errors for 422 responses.
    pub field: Option<FieldError>,
    /// `Retry-After` seconds for 429.
    pub retry_after: Option<u64>,
    /// `Allow` header for 405.
    pub allow: Option<String>,
}

/// The `type` URI prefix of every Prasang problem.
pub const PROBLEM_TYPE_PREFIX: &str = "urn:prasang:problem:";

impl Problem {
    fn new(
        status: StatusCode,
        slug: &'static str,
        title: &'static str,
        detail: impl ToString,
    ) -> Self {
        Problem {
            status,
            slug,
            title,
            detail: detail.to_string(),
            field: None,
            retry_after: None,
            allow: None,
        }
    }

    /// The `type` URI.
    pub fn type_uri(&self) -> String {
        format!("{PROBLEM_TYPE_PREFIX}{}", self.slug)
    }

    /// The response carrying this problem.
    pub fn into_response(self) -> Response<Full<Bytes>> {
        let mut body = json!({
            "type": self.type_uri(),
            "title": self.title,
            "status": self.status.as_u16(),
            "detail": self.detail,
        });
        if let Some(field) = &self.field {
            body["errors"] = json!([{ "field": field.field, "message": field.message }]);
        }
        if let Some(seconds) = self.retry_after {
            body["retry_after"] = json!(seconds);
        }
        let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
        *response.status_mut() = self.status;
        let headers = response.headers_mut();
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(
                WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"prasang\""),
            );
        }
        if let Some(seconds) = self.retry_after {
            headers.insert(RETRY_AFTER, HeaderValue::from(seconds));
        }
        if let Some(allow) = self
            .allow
            .as_deref()
            .and_then(|a| HeaderValue::from_str(a).ok())
        {
            headers.insert(hyper::header::ALLOW, allow);
        }
        response
    }
}

// Problem types that several core errors share get one constructor each, so the status, slug
// and title of a type are written once and cannot drift apart between sub-APIs.

/// A field failed validation; `detail` says how. Without a [`FieldError`] (a bad log cursor
/// name) the response has no `errors` list.
fn invalid(detail: impl ToString) -> Problem {
    Problem::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid-field",
        "A field is invalid",
        detail,
    )
}

fn invalid_field(field: &FieldError) -> Problem {
    let mut problem = invalid(field);
    problem.field = Some(field.clone());
    problem
}

fn user_not_found(detail: impl ToString) -> Problem {
    Problem::new(
        StatusCode::NOT_FOUND,
        "user-not-found",
        "User not found",
        detail,
    )
}

fn event_not_found(detail: impl ToString) -> Problem {
    Problem::new(
        StatusCode::NOT_FOUND,
        "event-not-found",
        "Event not found",
        detail,
    )
}

fn storage_failure() -> Problem {
    Problem::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "Internal server error",
        "something went wrong on our side; please try again later",
    )
}

fn forbidden(reason: &str) -> Problem {
    Problem::new(StatusCode::FORBIDDEN, "forbidden", "Not allowed", reason)
}

/// Maps every core error to its HTTP problem. The only place that decides what a core error
/// means over HTTP.
pub fn core_problem(error: &CoreError) -> Problem {
    use StatusCode as S;
    match error {
        CoreError::User(e) => match e {
            UserError::Invalid(field) => invalid_field(field),
            UserError::EmailTaken => {
                Problem::new(S::CONFLICT, "email-taken", "E-mail already registered", e)
            }
            UserError::NotFound => user_not_found(e),
            UserError::Forbidden(reason) => forbidden(reason),
            UserError::Storage(_) | UserError::Hashing => storage_failure(),
        },
        CoreError::Auth(e) => match e {
            AuthError::InvalidCredentials => {
                Problem::new(S::UNAUTHORIZED, "invalid-credentials", "Login failed", e)
            }
            AuthError::InvalidToken => {
                Problem::new(S::UNAUTHORIZED, "invalid-token", "Invalid token", e)
            }
            AuthError::TokenExpired => {
                Problem::new(S::UNAUTHORIZED, "token-expired", "Token expired", e)
            }
            AuthError::RefreshReused => {
                Problem::new(S::UNAUTHORIZED, "refresh-reused", "Refresh token reused", e)
            }
            AuthError::SessionRevoked => {
                Problem::new(S::UNAUTHORIZED, "session-revoked", "Session ended", e)
            }
            AuthError::Storage(_) => storage_failure(),
        },
        CoreError::Event(e) => match e {
            EventError::Invalid(field) => invalid_field(field),
            EventError::NotFound => event_not_found(e),
            EventError::Forbidden(reason) => forbidden(reason),
            EventError::CapacityBelowSold { .. } => {
                Problem::new(S::CONFLICT, "capacity-below-sold", "Capacity too small", e)
            }
            EventError::Cancelled => {
                Problem::new(S::CONFLICT, "event-cancelled", "Event cancelled", e)
            }
            EventError::HasTickets => {
                Problem::new(S::CONFLICT, "event-has-tickets", "Event has tickets", e)
            }
            EventError::Storage(_) => storage_failure(),
        },
        CoreError::Ticket(e) => match e {
            TicketError::Invalid(field) => invalid_field(field),
            TicketError::EventNotFound => event_not_found(e),
            TicketError::NotFound => {
                Problem::new(S::NOT_FOUND, "ticket-not-found", "Ticket not found", e)
            }
            TicketError::SoldOut { .. } => Problem::new(S::CONFLICT, "sold-out", "Sold out", e),
            TicketError::LimitReached { .. } => {
                Problem::new(S::CONFLICT, "limit-reached", "Per-person limit reached", e)
            }
            TicketError::NotOnSale(_) => Problem::new(S::CONFLICT, "not-on-sale", "Not on sale", e),
            TicketError::IdempotencyKeyReused => Problem::new(
                S::UNPROCESSABLE_ENTITY,
                "idempotency-key-reused",
                "Idempotency key reused",
                e,
            ),
            TicketError::WrongStatus(_) => Problem::new(
                S::CONFLICT,
                "wrong-ticket-status",
                "Ticket in the wrong state",
                e,
            ),
            TicketError::Forbidden(reason) => forbidden(reason),
            TicketError::Storage(_) => storage_failure(),
        },
        CoreError::Log(e) => match e {
            LogError::InvalidCursorName => invalid(e),
            LogError::Storage(_) => storage_failure(),
        },
        CoreError::Notify(e) => match e {
            NotifyError::Invalid(field) => invalid_field(field),
            NotifyError::UserNotFound => user_not_found(e),
            NotifyError::EventNotFound => event_not_found(e),
            NotifyError::Forbidden(reason) => forbidden(reason),
            NotifyError::UnknownChannel(_) | NotifyError::InvalidChannelId(_) => Problem::new(
                S::UNPROCESSABLE_ENTITY,
                "unknown-channel",
                "Unknown notification channel",
                format!("{e}; see /api/v1/notification-channels"),
            ),
            NotifyError::Storage(_) => storage_failure(),
        },
        CoreError::Store(_) => storage_failure(),
    }
}

/// Maps request-level failures (before or around the core call) to problems.
pub fn request_problem(error: &RequestError) -> Problem {
    use StatusCode as S;
    match error {
        RequestError::MalformedJson(why) => Problem::new(
            S::BAD_REQUEST,
            "malformed-json",
            "Malformed JSON",
            format!("the request body is not valid JSON: {why}"),
        ),
        RequestError::InvalidJson(why) => Problem::new(
            S::UNPROCESSABLE_ENTITY,
            "invalid-body",
            "Unexpected request body",
            format!("the request body does not have the expected fields: {why}"),
        ),
        RequestError::UnsupportedMediaType => Problem::new(
            S::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "Unsupported media type",
            "send the body as application/json",
        ),
        RequestError::BodyTooLarge { limit } => Problem::new(
            S::PAYLOAD_TOO_LARGE,
            "body-too-large",
            "Request body too large",
            format!("request bodies may be at most {limit} bytes"),
        ),
        RequestError::BodyUnreadable(why) => Problem::new(
            S::BAD_REQUEST,
            "body-unreadable",
            "Request body unreadable",
            why,
        ),
        RequestError::InvalidId => Problem::new(
            S::BAD_REQUEST,
            "invalid-id",
            "Invalid id",
            "ids are 26 characters of Crockford base32",
        ),
        RequestError::BadParameter(why) => {
            Problem::new(S::BAD_REQUEST, "bad-parameter", "Bad parameter", why)
        }
        RequestError::MissingToken => Problem::new(
            S::UNAUTHORIZED,
            "missing-token",
            "Authentication required",
            "send an access token as `Authorization: Bearer <token>`",
        ),
        RequestError::RouteNotFound => Problem::new(
            S::NOT_FOUND,
            "route-not-found",
            "Not found",
            "no such resource; see /api/v1/openapi.json",
        ),
        RequestError::MethodNotAllowed { allow } => {
            let mut problem = Problem::new(
                S::METHOD_NOT_ALLOWED,
                "method-not-allowed",
                "Method not allowed",
                format!("this resource accepts {allow}"),
            );
            problem.allow = Some(allow.clone());
            problem
        }
        RequestError::RateLimited { retry_after } => {
            let mut problem = Problem::new(
                S::TOO_MANY_REQUESTS,
                "rate-limited",
                "Too many attempts",
                format!("too many attempts from your address; retry in {retry_after} s"),
            );
            problem.retry_after = Some(*retry_after);
            problem
        }
        RequestError::Timeout => Problem::new(
            S::SERVICE_UNAVAILABLE,
            "timeout",
            "Request timed out",
            "the server took too long; please retry",
        ),
        RequestError::Internal(_) => storage_failure(),
    }
}

impl ApiError {
    /// The problem this error becomes; 5xx details go to the log, never to the client.
    pub fn problem(&self) -> Problem {
        let problem = match self {
            ApiError::Core(e) => core_problem(e),
            ApiError::Request(e) => request_problem(e),
        };
        if problem.status.is_server_error() && problem.status != StatusCode::SERVICE_UNAVAILABLE {
            tracing::error!(error = ?self, "request failed on the server side");
        }
        problem
    }
}
