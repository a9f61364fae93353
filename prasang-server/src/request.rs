//! What a handler gets: the parsed request, and helpers to read it and to call the core.

use std::collections::HashMap;
use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::str::FromStr;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{
    AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, HeaderMap, HeaderValue, LOCATION,
};
use hyper::{Response, StatusCode};
use prasang_core::auth::Actor;
use prasang_core::{DomainError, InvalidId, Prasang};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::problem::{ApiError, RequestError};
use crate::state::State;

/// The response body type of every route.
pub type Body = Full<Bytes>;
/// What a handler returns.
pub type Reply = Result<Response<Body>, ApiError>;
/// A boxed handler future.
pub type BoxReply = Pin<Box<dyn Future<Output = Reply> + Send>>;

/// The boxed, table-friendly form of an `async fn(Ctx) -> Reply` handler (the route table holds
/// plain function pointers, which an `async fn` is not).
macro_rules! handler {
    ($handler:path) => {{
        fn boxed(cx: crate::request::Ctx) -> crate::request::BoxReply {
            Box::pin($handler(cx))
        }
        boxed
    }};
}
pub(crate) use handler;

/// One request, as a handler sees it.
pub struct Ctx {
    /// Server state (the store, caches, metrics).
    pub state: Arc<State>,
    /// Request headers.
    pub headers: HeaderMap,
    /// Path parameters by name.
    pub params: Vec<(String, String)>,
    /// The raw query string.
    pub query: Option<String>,
    /// The whole body (already size-checked).
    pub body: Bytes,
    /// The client's address.
    pub client_ip: IpAddr,
}

impl Ctx {
    /// The store.
    pub fn prasang(&self) -> &Prasang {
        &self.state.prasang
    }

    /// A path parameter parsed as an id.
    pub fn id<T: FromStr<Err = InvalidId>>(&self, name: &str) -> Result<T, ApiError> {
        self.params
            .iter()
            .find(|(key, _)| key == name)
            .and_then(|(_, value)| value.parse().ok())
            .ok_or(ApiError::Request(RequestError::InvalidId))
    }

    /// A path parameter as text ("" if the route has none of that name).
    pub fn param(&self, name: &str) -> &str {
        self.params
            .iter()
            .find(|(key, _)| key == name)
            .map_or("", |(_, value)| value.as_str())
    }

    /// A path parameter that is a number (a ticket type's), refused as a bad parameter if not.
    pub fn number<T: FromStr>(&self, name: &str) -> Result<T, ApiError> {
        self.param(name).parse().map_err(|_| {
            RequestError::BadParameter(format!("`{name}` must be a whole number")).into()
        })
    }

    /// Query parameters; any name outside `allowed` is an error, as is a repeated one.
    pub fn query_params(&self, allowed: &[&str]) -> Result<HashMap<String, String>, ApiError> {
        let mut params = HashMap::new();
        let Some(query) = self.query.as_deref() else {
            return Ok(params);
        };
        for (key, value) in form_urlencoded::parse(query.as_bytes()) {
            if !allowed.contains(&key.as_ref()) {
                return Err(RequestError::BadParameter(format!(
                    "unknown query parameter `{key}`; this resource accepts {allowed:?}"
                ))
                .into());
            }
            if params.insert(key.to_string(), value.into_owned()).is_some() {
                return Err(RequestError::BadParameter(format!(
                    "query parameter `{key}` repeated"
                ))
                .into());
            }
        }
        Ok(params)
    }

    /// The body as JSON of type `T` (an empty body counts as `{}`). A body must be sent as
    /// `application/json` (or `application/*+json`), in UTF-8 if a charset is named.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        let has_body = !self.body.iter().all(u8::is_ascii_whitespace);
        if has_body && !self.headers.get(CONTENT_TYPE).is_some_and(is_json_utf8) {
            return Err(RequestError::UnsupportedMediaType.into());
        }
        let body: &[u8] = if has_body { &self.body } else { b"{}" };
        serde_json::from_slice(body).map_err(|error| {
            use serde_json::error::Category;
            let message = error.to_string();
            ApiError::Request(match error.classify() {
                Category::Data => RequestError::InvalidJson(message),
                Category::Syntax | Category::Eof | Category::Io => {
                    RequestError::MalformedJson(message)
                }
            })
        })
    }

    /// A header as text, if present once and valid; sent twice with different values, it is
    /// refused rather than one of them picked.
    pub fn header(&self, name: &str) -> Result<Option<&str>, ApiError> {
        let mut values = self.headers.get_all(name).iter();
        let Some(first) = values.next() else {
            return Ok(None);
        };
        if values.any(|other| other != first) {
            return Err(RequestError::BadParameter(format!(
                "header `{name}` was sent more than once with different values"
            ))
            .into());
        }
        first.to_str().map(Some).map_err(|_| {
            RequestError::BadParameter(format!("header `{name}` must be visible ASCII")).into()
        })
    }

    /// The verified caller: the bearer token checked by the core.
    pub async fn actor(&self) -> Result<Actor, ApiError> {
        let header = self
            .headers
            .get(AUTHORIZATION)
            .ok_or(RequestError::MissingToken)?;
        let token = header
            .to_str()
            .ok()
            .and_then(|h| {
                let (scheme, token) = h.split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
            })
            .filter(|t| !t.is_empty())
            .ok_or(RequestError::MissingToken)?;
        // Checked here on the async worker: the core remembers the tokens it signed or checked
        // and whose sessions it found alive, so this is a lookup in memory (at most a signature
        // check and two cached reads), cheaper than a blocking-pool hand-off.
        self.core_read(|p| p.auth().verify(token))
    }

    /// The verified caller if the request carries a token (a bad one is refused), else none.
    pub async fn optional_actor(&self) -> Result<Option<Actor>, ApiError> {
        if self.headers.contains_key(AUTHORIZATION) {
            self.actor().await.map(Some)
        } else {
            Ok(None)
        }
    }

    /// The verified caller, then `call` with it on the blocking pool: what most handlers do.
    pub async fn as_caller<T, E>(
        &self,
        call: impl FnOnce(&Prasang, &Actor) -> Result<T, E> + Send + 'static,
    ) -> Result<T, ApiError>
    where
        T: Send + 'static,
        E: DomainError,
    {
        let actor = self.actor().await?;
        self.core(move |p| call(p, &actor)).await
    }

    /// [`Ctx::as_caller`], answered `200 OK` with the result as JSON.
    pub async fn answer<T, E>(
        &self,
        call: impl FnOnce(&Prasang, &Actor) -> Result<T, E> + Send + 'static,
    ) -> Reply
    where
        T: Serialize + Send + 'static,
        E: DomainError,
    {
        ok(&self.as_caller(call).await?)
    }

    /// The verified caller and the JSON body (see [`Ctx::caller_and_body`]), then `call` with
    /// both on the blocking pool, answered `200 OK` with its result as JSON.
    pub async fn answer_with_body<B, T, E>(
        &self,
        call: impl FnOnce(&Prasang, &Actor, B) -> Result<T, E> + Send + 'static,
    ) -> Reply
    where
        B: DeserializeOwned + Send + 'static,
        T: Serialize + Send + 'static,
        E: DomainError,
    {
        let (actor, body) = self.caller_and_body().await?;
        ok(&self.core(move |p| call(p, &actor, body)).await?)
    }

    /// The verified caller and the JSON body, read in that order (a request without a token
    /// is refused as such before its body is looked at).
    pub async fn caller_and_body<T: DeserializeOwned>(&self) -> Result<(Actor, T), ApiError> {
        let actor = self.actor().await?;
        Ok((actor, self.json()?))
    }

    /// Runs a read-only core call that never waits for a flush (an event, the listing) right
    /// here on the async worker: sled serves it from its page cache in microseconds, and handing
    /// it to the blocking pool would cost more than the call (the listing ran at 28% of the
    /// hello-world ceiling that way, see BENCHMARKS.md). Anything that writes uses [`Ctx::core`].
    pub fn core_read<T, E: DomainError>(
        &self,
        call: impl FnOnce(&Prasang) -> Result<T, E>,
    ) -> Result<T, ApiError> {
        Ok(call(&self.state.prasang)?)
    }

    /// Runs a (synchronous, possibly disk-waiting) core call on the blocking pool.
    pub async fn core<T, E>(
        &self,
        call: impl FnOnce(&Prasang) -> Result<T, E> + Send + 'static,
    ) -> Result<T, ApiError>
    where
        T: Send + 'static,
        E: DomainError,
    {
        blocking(&self.state.prasang, call).await
    }
}

/// Runs a (synchronous, possibly disk-waiting) core call on the blocking pool; shared by the
/// REST handlers and the web pages.
pub(crate) async fn blocking<T, E>(
    prasang: &Prasang,
    call: impl FnOnce(&Prasang) -> Result<T, E> + Send + 'static,
) -> Result<T, ApiError>
where
    T: Send + 'static,
    E: DomainError,
{
    let prasang = prasang.clone();
    match tokio::task::spawn_blocking(move || call(&prasang)).await {
        Ok(result) => Ok(result?),
        Err(join) => Err(RequestError::Internal(join.to_string()).into()),
    }
}

/// Whether a `Content-Type` names JSON (`application/json` or `application/*+json`) and, if it
/// names a charset, UTF-8.
fn is_json_utf8(content_type: &HeaderValue) -> bool {
    let Ok(text) = content_type.to_str() else {
        return false;
    };
    let mut parts = text.split(';').map(|part| part.trim().to_ascii_lowercase());
    let kind = parts.next().unwrap_or_default();
    let json =
        kind == "application/json" || (kind.starts_with("application/") && kind.ends_with("+json"));
    let utf8 = parts.all(|parameter| match parameter.split_once('=') {
        Some(("charset", charset)) => matches!(charset.trim_matches('"'), "utf-8" | "utf8"),
        _ => true,
    });
    json && utf8
}

/// A JSON response.
pub fn json<T: Serialize>(status: StatusCode, value: &T) -> Reply {
    let bytes = serde_json::to_vec(value)
        .map_err(|e| ApiError::Request(RequestError::Internal(e.to_string())))?;
    let mut response = Response::new(Full::new(Bytes::from(bytes)));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    Ok(response)
}

/// `200 OK` with a JSON body.
pub fn ok<T: Serialize>(value: &T) -> Reply {
    json(StatusCode::OK, value)
}

/// `201 Created` with a `Location` header.
pub fn created<T: Serialize>(location: String, value: &T) -> Reply {
    let mut response = json(StatusCode::CREATED, value)?;
    if let Ok(location) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(LOCATION, location);
    }
    Ok(response)
}

/// `204 No Content`.
pub fn no_content() -> Reply {
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = StatusCode::NO_CONTENT;
    Ok(response)
}

/// A plain response with a given content type.
pub fn text(content_type: &'static str, body: impl Into<Bytes>) -> Reply {
    let mut response = Response::new(Full::new(body.into()));
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    Ok(response)
}

/// The whole request body, refused when it is over the configured limit.
pub(crate) async fn read_body(
    state: &State,
    parts: &hyper::http::request::Parts,
    body: Incoming,
) -> Result<Bytes, ApiError> {
    let limit = state.max_body_bytes;
    let declared = parts
        .headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(RequestError::BodyTooLarge { limit }.into());
    }
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(error) if error.is::<http_body_util::LengthLimitError>() => {
            Err(RequestError::BodyTooLarge { limit }.into())
        }
        Err(error) => Err(RequestError::BodyUnreadable(error.to_string()).into()),
    }
}
