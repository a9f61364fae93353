//! What a page handler gets: the request as a page sees it (path and query, the posted form, the
//! signed-in user, this browser's CSRF token) and helpers to call the core.

use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::str::FromStr;
use std::sync::Arc;

use hyper::Response;
use prasang_core::{DomainError, InvalidId, PageRequest, Prasang};

use super::error::WebError;
use super::form::Form;
use super::session::SignedIn;
use crate::request::{Body, blocking};
use crate::state::State;

/// What a page handler returns.
pub(crate) type PageReply = Result<Response<Body>, WebError>;
/// A boxed page future (the page table holds plain function pointers).
pub(crate) type BoxPage = Pin<Box<dyn Future<Output = PageReply> + Send>>;

/// One page request.
pub(crate) struct WebCx {
    pub(crate) state: Arc<State>,
    pub(super) params: Vec<(String, String)>,
    pub(super) query: Vec<(String, String)>,
    /// The submitted form (empty for GET).
    pub(crate) form: Form,
    pub(crate) client_ip: IpAddr,
    /// The signed-in user, if any.
    pub(crate) user: Option<SignedIn>,
    /// This browser's CSRF token, to put in every form.
    pub(crate) csrf_token: String,
    /// The path and query asked for (where to come back to after logging in).
    pub(crate) here: String,
    /// Whether cookies are marked `Secure` ([`super::WebSettings::secure_cookies`]).
    pub(crate) secure_cookies: bool,
}

impl WebCx {
    pub(super) fn anonymous(
        state: Arc<State>,
        params: Vec<(String, String)>,
        query: Vec<(String, String)>,
        client_ip: IpAddr,
        here: String,
    ) -> WebCx {
        WebCx {
            state,
            params,
            query,
            form: Form::default(),
            client_ip,
            user: None,
            csrf_token: String::new(),
            here,
            secure_cookies: false,
        }
    }

    pub(crate) fn prasang(&self) -> &Prasang {
        &self.state.prasang
    }

    /// A path parameter as an id; a malformed one is a missing page.
    pub(crate) fn id<T: FromStr<Err = InvalidId>>(&self, name: &str) -> Result<T, WebError> {
        self.params
            .iter()
            .find(|(key, _)| key == name)
            .and_then(|(_, value)| value.parse().ok())
            .ok_or(WebError::NotFound)
    }

    /// A path parameter as text.
    pub(crate) fn param(&self, name: &str) -> &str {
        self.params
            .iter()
            .find(|(key, _)| key == name)
            .map_or("", |(_, value)| value.as_str())
    }

    /// A query parameter (the first, if repeated); unknown ones are ignored, as browsers
    /// and people add them.
    pub(crate) fn query(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
            .filter(|value| !value.is_empty())
    }

    /// A page of `limit` items from where the `after` query parameter says (the pager's link).
    pub(crate) fn page_request(&self, limit: usize) -> PageRequest {
        PageRequest {
            after: self.query("after").map(str::to_owned),
            limit: Some(limit),
        }
    }

    /// The signed-in user, or a redirect to the login page.
    pub(crate) fn signed_in(&self) -> Result<&SignedIn, WebError> {
        self.user.as_ref().ok_or_else(|| WebError::LoginRequired {
            next: self.here.clone(),
        })
    }

    /// A read-only core call that never waits for the disk (see [`crate::request::Ctx::core_read`]).
    pub(crate) fn core_read<T, E: DomainError>(
        &self,
        call: impl FnOnce(&Prasang) -> Result<T, E>,
    ) -> Result<T, WebError> {
        Ok(call(&self.state.prasang)?)
    }

    /// A core call on the blocking pool.
    pub(crate) async fn core<T, E>(
        &self,
        call: impl FnOnce(&Prasang) -> Result<T, E> + Send + 'static,
    ) -> Result<T, WebError>
    where
        T: Send + 'static,
        E: DomainError,
    {
        Ok(blocking(&self.state.prasang, call).await?)
    }
}
