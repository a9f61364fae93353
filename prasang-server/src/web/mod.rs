//! The web UI: server-rendered HTML for attendees, organizers and admins, beside the REST API.
//!
//! Pages work without JavaScript (plain links and forms), are drawn with `maud` (checked at
//! compile time, every interpolated string escaped) and make the same core calls as the REST
//! handlers: rules live in the core, and core errors become HTML pages in one place
//! ([`error`]). Every answer carries the security headers of [`headers`]; every POST must pass
//! the CSRF check of [`csrf`]; the signed-in user is the core session kept in a cookie
//! ([`session`]).

mod account;
mod admin;
mod charts;
mod csrf;
mod dashboard;
mod error;
mod events;
mod form;
pub mod format;
mod headers;
mod layout;
mod organizer;
mod session;
mod tickets;

use std::future::Future;
use std::net::IpAddr;
use std::path::PathBuf;
use std::pin::Pin;
use std::str::FromStr;
use std::sync::Arc;

use hyper::body::Incoming;
use hyper::header::{HeaderValue, SET_COOKIE};
use hyper::{Method, Request, Response};
use prasang_core::{DomainError, InvalidId, Prasang};

use crate::app::State;
use crate::problem::ApiError;
use crate::request::Body;
use crate::routes::{Found, Router};

pub use error::WebError;
use form::Form;
use session::SignedIn;

/// Settings of the web UI.
#[derive(Debug, Clone, Default)]
pub struct WebSettings {
    /// File holding the server secret that signs CSRF tokens (created 0600 when missing).
    /// `None`: a random secret for this process only (forms open across a restart fail once).
    pub secret_file: Option<PathBuf>,
    /// Mark cookies `Secure` (the server is reached over HTTPS, e.g. behind a TLS proxy).
    pub secure_cookies: bool,
}

/// The web UI's shared state.
pub(crate) struct Web {
    router: Router,
    csrf: csrf::Csrf,
    secure_cookies: bool,
}

impl Web {
    pub(crate) fn new(settings: &WebSettings) -> std::io::Result<Web> {
        Ok(Web {
            router: Router::over(PAGES.iter().map(|page| (page.method, page.path))),
            csrf: csrf::Csrf::new(settings.secret_file.as_deref())?,
            secure_cookies: settings.secure_cookies,
        })
    }
}

/// What a page handler returns.
pub(crate) type PageReply = Result<Response<Body>, WebError>;
type BoxPage = Pin<Box<dyn Future<Output = PageReply> + Send>>;
type PageHandler = fn(WebCx) -> BoxPage;

struct Page {
    method: &'static str,
    path: &'static str,
    handler: PageHandler,
}

const fn get(path: &'static str, handler: PageHandler) -> Page {
    Page {
        method: "GET",
        path,
        handler,
    }
}

const fn post(path: &'static str, handler: PageHandler) -> Page {
    Page {
        method: "POST",
        path,
        handler,
    }
}

/// Every page of the UI. (The REST route table and its OpenAPI document do not list these.)
static PAGES: &[Page] = &[
    get("/", events::list),
    get("/static/prasang.css", layout::stylesheet),
    get("/events/{id}", events::show),
    post("/events/{id}/book", tickets::book),
    post("/events/{id}/feedback", tickets::feedback),
    get("/login", account::login_form),
    post("/login", account::login),
    get("/register", account::register_form),
    post("/register", account::register),
    post("/logout", account::logout),
    get("/me/tickets", tickets::mine),
    post("/tickets/{id}/cancel", tickets::cancel),
    get("/me/notifications", account::notifications),
    post("/me/notifications", account::set_notifications),
    get("/organizer", organizer::home),
    get("/organizer/events/new", organizer::new_form),
    post("/organizer/events/new", organizer::create),
    get("/organizer/events/{id}", organizer::event),
    get("/organizer/events/{id}/edit", organizer::edit_form),
    post("/organizer/events/{id}/edit", organizer::update),
    post("/organizer/events/{id}/cancel", organizer::cancel),
    post(
        "/organizer/events/{id}/notifications",
        organizer::set_notifications,
    ),
    post(
        "/organizer/tickets/{id}/confirm",
        organizer::confirm_payment,
    ),
    post(
        "/organizer/events/{id}/feedback/{user}/reply",
        organizer::reply,
    ),
    get("/organizer/analytics", dashboard::show),
    get("/organizer/analytics/csv/{report}", dashboard::csv),
    get("/admin", admin::users),
    post("/admin/users/{id}/role", admin::set_role),
    get("/admin/integrity", admin::integrity),
];

/// One page request.
pub(crate) struct WebCx {
    pub(crate) state: Arc<State>,
    params: Vec<(String, String)>,
    query: Vec<(String, String)>,
    /// The submitted form (empty for GET).
    pub(crate) form: Form,
    pub(crate) client_ip: IpAddr,
    /// The signed-in user, if any.
    pub(crate) user: Option<SignedIn>,
    /// This browser's CSRF token, to put in every form.
    pub(crate) csrf_token: String,
    /// The path and query asked for (where to come back to after logging in).
    pub(crate) here: String,
}

impl WebCx {
    fn anonymous(
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
        Ok(crate::request::blocking(&self.state.prasang, call).await?)
    }
}

/// Serves one request for a page: resolves the session, checks CSRF on POST, runs the page
/// under the request timeout, and adds cookies and security headers to whatever comes back.
pub(crate) async fn dispatch(
    state: Arc<State>,
    client_ip: IpAddr,
    request: Request<Incoming>,
) -> Response<Body> {
    let timeout = state.request_timeout();
    let mut cookies = Vec::new();
    let outcome = tokio::time::timeout(
        timeout,
        serve(Arc::clone(&state), client_ip, request, &mut cookies),
    )
    .await
    .unwrap_or(Err(WebError::Api(ApiError::Request(
        crate::problem::RequestError::Timeout,
    ))));
    let mut response = outcome.unwrap_or_else(WebError::page);
    // Cookies the dispatcher set (a refreshed or cleared session, a new CSRF cookie) go first,
    // so a page's own (login, logout) win.
    let own: Vec<HeaderValue> = response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .cloned()
        .collect();
    response.headers_mut().remove(SET_COOKIE);
    for cookie in cookies.into_iter().chain(own) {
        response.headers_mut().append(SET_COOKIE, cookie);
    }
    headers::secure(response.headers_mut());
    response
}

async fn serve(
    state: Arc<State>,
    client_ip: IpAddr,
    request: Request<Incoming>,
    cookies: &mut Vec<HeaderValue>,
) -> PageReply {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let (index, params) = match state.web.router.find(method.as_str(), &path) {
        Found::Route(index, params) => (index, params),
        Found::NotFound => return Err(WebError::NotFound),
        Found::WrongMethod(_) => return Err(WebError::NotFound),
    };
    let here = request
        .uri()
        .path_and_query()
        .map_or_else(|| path.clone(), |pq| pq.as_str().to_owned());
    let query = request
        .uri()
        .query()
        .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
        .unwrap_or_default();
    if path.starts_with("/static/") {
        // Assets need no session (and must not race pages to refresh one).
        return (PAGES[index].handler)(WebCx::anonymous(state, params, query, client_ip, here))
            .await;
    }
    let (parts, body) = request.into_parts();
    let browser = csrf::browser_id(&parts.headers, state.web.secure_cookies, cookies);
    let csrf_token = state.web.csrf.token(&browser);
    let form = if method == Method::POST {
        let body = crate::app::read_body(&state, &parts, body).await?;
        let form = Form::parse(&body);
        csrf::check(&parts.headers, &form, &csrf_token)?;
        form
    } else {
        Form::default()
    };
    let user = session::resume(&state, &parts.headers, cookies).await;
    let cx = WebCx {
        state: Arc::clone(&state),
        params,
        query,
        form,
        client_ip,
        user,
        csrf_token,
        here,
    };
    (PAGES[index].handler)(cx).await
}
