//! Errors as RFC 9457 `application/problem+json`.
//!
//! Two functions decide every error response: [`core_problem`] for errors the core returned
//! (mapped by their [`ErrorKind`] alone, with the core's stable code as the problem type) and
//! [`request_problem`] for requests the server could not even turn into a core call. Each problem
//! has a stable `type` URI (`urn:prasang:problem:<code>`) that clients may match on; the codes
//! are listed in docs/api.md.

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{CONTENT_TYPE, HeaderValue, RETRY_AFTER, WWW_AUTHENTICATE};
use hyper::{Response, StatusCode};
use prasang_core::checkin::CheckInError;
use prasang_core::tickets::TicketError;
use prasang_core::waiting_room::{PassRefusal, RoomError};
use prasang_core::waitlist::WaitlistError;
use prasang_core::{DomainError, ErrorKind, FieldError};
use serde_json::json;

/// A failed request: either the core refused or failed, or the request itself was unusable.
#[derive(Debug)]
pub enum ApiError {
    /// The core returned an error.
    Core(Box<dyn DomainError>),
    /// The request could not be handled before reaching the core.
    Request(RequestError),
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

impl<E: DomainError> From<E> for ApiError {
    fn from(error: E) -> Self {
        ApiError::Core(Box::new(error))
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
    /// Extension members (RFC 9457 §3.2): a refused booking line's `line` and `ticket_type`, a
    /// refused scan's `first` admission or `reason` (see [`core_problem`]).
    pub members: Vec<(&'static str, serde_json::Value)>,
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
            members: Vec::new(),
        }
    }

    /// The same, telling the client when to retry (`Retry-After`, seconds).
    fn with_retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    /// The `type` URI.
    pub fn type_uri(&self) -> String {
        format!("{PROBLEM_TYPE_PREFIX}{}", self.slug)
    }

    /// The problem document (also a member of answers that carry several outcomes, such as an
    /// offline gate's upload).
    pub fn body(&self) -> serde_json::Value {
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
        for (name, value) in &self.members {
            body[*name] = value.clone();
        }
        body
    }

    /// The response carrying this problem.
    pub fn into_response(self) -> Response<Full<Bytes>> {
        let body = self.body();
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

fn internal_error() -> Problem {
    Problem::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "Internal server error",
        "something went wrong on our side; please try again later",
    )
}

/// Maps every core error to its HTTP problem: the status from its kind, the `type` from its
/// code. The only place that decides what a core error means over HTTP.
pub fn core_problem(error: &dyn DomainError) -> Problem {
    let info = error.info();
    let status = match info.kind {
        ErrorKind::InvalidInput => StatusCode::UNPROCESSABLE_ENTITY,
        ErrorKind::NotFound => StatusCode::NOT_FOUND,
        ErrorKind::Forbidden => StatusCode::FORBIDDEN,
        ErrorKind::Unauthorized => StatusCode::UNAUTHORIZED,
        ErrorKind::Conflict => StatusCode::CONFLICT,
        ErrorKind::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        ErrorKind::Unavailable => {
            // What failed underneath is for the log, not for the client.
            return Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                info.code,
                info.title,
                "the server is busy or cannot store this right now; please retry shortly",
            )
            .with_retry_after(5);
        }
        _ => return internal_error(),
    };
    let mut problem = Problem::new(status, info.code, info.title, error);
    problem.field = error.field().cloned();
    problem.members = members(error);
    if let Some((_, estimated_wait_secs)) = pass_required(error) {
        problem.retry_after = Some(poll_interval(estimated_wait_secs));
    }
    problem
}

/// How long a client waiting in a room should wait before asking again, in seconds: the
/// estimate clamped to 2..=30 (often enough to notice admission soon, rarely enough that a
/// crowd polling does not load the server), 5 when unknown. `Retry-After`, and the waiting
/// page's refresh, use it.
pub fn poll_interval(estimated_wait_secs: Option<u64>) -> u64 {
    estimated_wait_secs.map_or(5, |seconds| seconds.clamp(2, 30))
}

/// The caller's position and wait when `error` refuses a booking for want of a waiting room
/// pass.
fn pass_required(error: &(dyn std::error::Error + 'static)) -> Option<(Option<u64>, Option<u64>)> {
    match (error.downcast_ref(), error.downcast_ref()) {
        (
            Some(TicketError::PassRequired {
                position,
                estimated_wait_secs,
            }),
            _,
        )
        | (
            _,
            Some(RoomError::PassRequired {
                position,
                estimated_wait_secs,
            }),
        ) => Some((*position, *estimated_wait_secs)),
        _ => None,
    }
}

/// Why a waiting room pass was refused, when `error` refuses one.
fn pass_refusal(error: &(dyn std::error::Error + 'static)) -> Option<PassRefusal> {
    match (error.downcast_ref(), error.downcast_ref()) {
        (Some(TicketError::PassInvalid(reason)), _) | (_, Some(RoomError::PassInvalid(reason))) => {
            Some(*reason)
        }
        _ => None,
    }
}

/// What a refusal says beyond its code, as extension members (RFC 9457 §3.2): a booking's
/// refused line (so a client can point at it); a refused scan's first admission (when, at which
/// gate), why a ticket is revoked or why a code is invalid (so a gate can say it); how many seats
/// a booking would get instead of joining a waiting list; where someone stands in a waiting
/// room (when known) or why their pass was refused.
fn members(error: &(dyn std::error::Error + 'static)) -> Vec<(&'static str, serde_json::Value)> {
    if let Some((line, ticket_type)) = error
        .downcast_ref::<TicketError>()
        .and_then(TicketError::line)
    {
        return vec![("line", json!(line)), ("ticket_type", json!(ticket_type))];
    }
    if let Some((position, estimated_wait_secs)) = pass_required(error) {
        let known = [
            ("position", position),
            ("estimated_wait_secs", estimated_wait_secs),
        ];
        return known
            .into_iter()
            .filter_map(|(name, value)| Some((name, json!(value?))))
            .collect();
    }
    if let Some(reason) = pass_refusal(error) {
        return vec![("reason", json!(reason))];
    }
    match error.downcast_ref::<CheckInError>() {
        Some(CheckInError::AlreadyAdmitted { first }) => vec![("first", json!(first))],
        Some(CheckInError::Revoked {
            ticket,
            seat,
            reason,
        }) => vec![
            ("ticket", json!(ticket)),
            ("seat", json!(seat)),
            ("reason", json!(reason)),
        ],
        Some(CheckInError::CodeInvalid(reason)) => vec![("reason", json!(reason))],
        _ => match error.downcast_ref::<WaitlistError>() {
            Some(WaitlistError::NotSoldOut { available }) => {
                vec![("available", json!(available))]
            }
            _ => Vec::new(),
        },
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
        RequestError::MethodNotAllowed { allow } => Problem {
            allow: Some(allow.clone()),
            ..Problem::new(
                S::METHOD_NOT_ALLOWED,
                "method-not-allowed",
                "Method not allowed",
                format!("this resource accepts {allow}"),
            )
        },
        RequestError::RateLimited { retry_after } => Problem::new(
            S::TOO_MANY_REQUESTS,
            "rate-limited",
            "Too many attempts",
            format!("too many attempts from your address; retry in {retry_after} s"),
        )
        .with_retry_after(*retry_after),
        RequestError::Timeout => Problem::new(
            S::SERVICE_UNAVAILABLE,
            "timeout",
            "Request timed out",
            "the server took too long; please retry",
        ),
        RequestError::Internal(_) => internal_error(),
    }
}

impl ApiError {
    /// The problem this error becomes; 5xx details go to the log, never to the client.
    pub fn problem(&self) -> Problem {
        let problem = match self {
            ApiError::Core(e) => core_problem(e.as_ref()),
            ApiError::Request(e) => request_problem(e),
        };
        if problem.status == StatusCode::SERVICE_UNAVAILABLE {
            tracing::warn!(error = ?self, "request refused for now");
        } else if problem.status.is_server_error() {
            tracing::error!(error = ?self, "request failed on the server side");
        }
        problem
    }
}
