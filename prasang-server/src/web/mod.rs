//! The web UI: server-rendered HTML for attendees, organizers and admins, beside the REST API.
//!
//! Pages work without JavaScript (plain links and forms), are drawn with `maud` (checked at
//! compile time, every interpolated string escaped) and make the same core calls as the REST
//! handlers: rules live in the core, and core errors ([`error`]) become HTML pages in one place
//! ([`layout::error_page`]). Every answer carries the security headers of [`headers`]; every
//! POST must pass the CSRF check of [`csrf`]; the signed-in user is the core session kept in a
//! cookie ([`session`]).
//!
//! The stack, bottom up: `form`, `format`, `headers`, `charts`, `error` and `session`; `csrf`;
//! `cx` (what a page gets); `layout`; the pages (`events` with `booking`, `waitlist` and
//! `waiting_room`, `guest`
//! (checkout without an account) and `embed` (the booking widget, framed by venue sites),
//! `tickets` with `admission` and `names`, `door`, `account` with `guest_access`, `organizer`,
//! `dashboard`, `admin`); and here, on top, the page table and the dispatcher.

mod account;
mod admin;
mod admission;
mod booking;
mod charts;
mod csrf;
mod cx;
mod dashboard;
mod door;
mod embed;
mod error;
mod events;
mod form;
pub mod format;
mod guest;
mod guest_access;
mod headers;
mod layout;
mod names;
mod organizer;
mod session;
mod tickets;
mod waiting_room;
mod waitlist;

use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;

use hyper::body::Incoming;
use hyper::header::{HeaderValue, SET_COOKIE};
use hyper::{Method, Request, Response};

use crate::problem::{ApiError, RequestError};
use crate::request::{Body, read_body};
use crate::router::{Found, Router};
use crate::state::State;
use csrf::WidgetPost;
use cx::{BoxPage, PageReply, WebCx};
pub use error::WebError;
use form::Form;

/// Settings of the web UI.
#[derive(Debug, Clone, Default)]
pub struct WebSettings {
    /// File holding the server secret that signs CSRF tokens (created 0600 when missing).
    /// `None`: a random secret for this process only (forms open across a restart fail once).
    pub secret_file: Option<PathBuf>,
    /// Mark cookies `Secure` (the server is reached over HTTPS, e.g. behind a TLS proxy).
    pub secure_cookies: bool,
}

/// What the pages share beyond the server's [`State`]: their router, the CSRF signer and the
/// cookie setting.
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

type PageHandler = fn(WebCx) -> BoxPage;

/// How the dispatcher treats a page.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A page of the site: the session, the browser's CSRF cookie, never framed.
    Site,
    /// A static file: served without a session (and must not race pages to refresh one).
    Asset,
    /// A booking widget page, made to be framed by an organizer's venue site: no cookie at all
    /// (a cross-site frame would not send them), its forms carry the widget's own token
    /// ([`csrf::Csrf::widget_token`]), and it may set its own framing policy.
    Widget,
}

struct Page {
    method: &'static str,
    path: &'static str,
    handler: PageHandler,
    kind: Kind,
}

const fn get(path: &'static str, handler: PageHandler) -> Page {
    Page {
        method: "GET",
        path,
        handler,
        kind: Kind::Site,
    }
}

const fn post(path: &'static str, handler: PageHandler) -> Page {
    Page {
        method: "POST",
        ..get(path, handler)
    }
}

const fn asset(path: &'static str, handler: PageHandler) -> Page {
    Page {
        kind: Kind::Asset,
        ..get(path, handler)
    }
}

const fn widget(page: Page) -> Page {
    Page {
        kind: Kind::Widget,
        ..page
    }
}

/// Every page of the UI. (The REST route table and its OpenAPI document do not list these.)
static PAGES: &[Page] = &[
    get("/", events::list),
    asset("/static/prasang.css", layout::stylesheet),
    asset("/static/favicon.svg", layout::favicon),
    asset("/favicon.ico", layout::favicon),
    asset("/static/embed.css", layout::embed_stylesheet),
    widget(get("/embed/events/{id}", embed::show)),
    widget(post("/embed/events/{id}", embed::book)),
    get("/events/{id}", events::show),
    post("/events/{id}/book", events::book),
    post("/events/{id}/guest", guest::book),
    post("/events/{id}/feedback", tickets::feedback),
    post("/events/{id}/waitlist", events::join_waitlist),
    get("/events/{id}/waiting-room", waiting_room::show),
    post("/events/{id}/waiting-room", waiting_room::join),
    get("/waitlist/{event}", waitlist::show),
    post("/waitlist/{event}/{entry}/accept", waitlist::accept),
    post("/waitlist/{event}/{entry}/decline", waitlist::decline),
    post("/waitlist/{event}/{entry}/leave", waitlist::leave),
    get("/events/{id}/door", door::show),
    post("/events/{id}/door", door::scan),
    get("/login", account::login_form),
    post("/login", account::login),
    get("/register", account::register_form),
    post("/register", account::register),
    post("/logout", account::logout),
    get("/guest/access", guest_access::landing),
    post("/guest/access", guest_access::open),
    get("/guest/link", guest_access::link_form),
    post("/guest/link", guest_access::send_link),
    get("/me/password", guest_access::password_form),
    post("/me/password", guest_access::set_password),
    get("/me/tickets", tickets::mine),
    post("/tickets/{id}/cancel", tickets::cancel),
    get("/tickets/{id}/names", names::page),
    post("/tickets/{id}/names", names::change),
    get("/tickets/{id}/print", admission::print),
    get("/me/notifications", account::notifications),
    post("/me/notifications", account::set_notifications),
    get("/organizer", organizer::home),
    get("/organizer/events/new", organizer::edit::new_form),
    post("/organizer/events/new", organizer::edit::create),
    get("/organizer/embed", organizer::embed::page),
    post("/organizer/embed", organizer::embed::save),
    get("/organizer/events/{id}", organizer::event),
    get(
        "/organizer/events/{id}/attendees.csv",
        organizer::attendees::csv,
    ),
    get("/organizer/events/{id}/edit", organizer::edit::edit_form),
    post("/organizer/events/{id}/edit", organizer::edit::update),
    post("/organizer/events/{id}/cancel", organizer::edit::cancel),
    get("/organizer/events/{id}/types", organizer::types::page),
    post("/organizer/events/{id}/types", organizer::types::add),
    post(
        "/organizer/events/{id}/types/{type}",
        organizer::types::change,
    ),
    get("/organizer/events/{id}/check-in", organizer::check_in::page),
    post(
        "/organizer/events/{id}/check-in/staff",
        organizer::check_in::add_staff,
    ),
    post(
        "/organizer/events/{id}/check-in/staff/{user}/remove",
        organizer::check_in::remove_staff,
    ),
    post(
        "/organizer/events/{id}/check-in/undo",
        organizer::check_in::undo,
    ),
    get("/organizer/events/{id}/messages", organizer::messages::page),
    post("/organizer/events/{id}/messages", organizer::messages::send),
    post(
        "/organizer/events/{id}/messages/preview",
        organizer::messages::preview,
    ),
    get("/organizer/events/{id}/waitlist", organizer::waitlist::page),
    post(
        "/organizer/events/{id}/waitlist/settings",
        organizer::waitlist::settings,
    ),
    post(
        "/organizer/events/{id}/waitlist/{entry}/remove",
        organizer::waitlist::remove,
    ),
    get(
        "/organizer/events/{id}/waiting-room",
        organizer::waiting_room::page,
    ),
    get(
        "/organizer/events/{id}/waiting-room/settings",
        organizer::waiting_room::settings_form,
    ),
    post(
        "/organizer/events/{id}/waiting-room/settings",
        organizer::waiting_room::save,
    ),
    get("/organizer/events/{id}/codes", organizer::codes::list),
    post("/organizer/events/{id}/codes", organizer::codes::create),
    get(
        "/organizer/events/{id}/codes/{code}",
        organizer::codes::show,
    ),
    post(
        "/organizer/events/{id}/codes/{code}",
        organizer::codes::change,
    ),
    post(
        "/organizer/events/{id}/notifications",
        organizer::settings::set_notifications,
    ),
    post(
        "/organizer/tickets/{id}/confirm",
        organizer::attendees::confirm_payment,
    ),
    post(
        "/organizer/events/{id}/feedback/{user}/reply",
        organizer::feedback::reply,
    ),
    get("/organizer/analytics", dashboard::show),
    get("/organizer/analytics/csv/{report}", dashboard::csv),
    get("/admin", admin::users),
    post("/admin/users/{id}/role", admin::set_role),
    get("/admin/integrity", admin::integrity),
];

/// Serves one request for a page: resolves the session, checks CSRF on POST, runs the page
/// under the request timeout, and adds cookies and security headers to whatever comes back.
pub(crate) async fn dispatch(
    state: Arc<State>,
    web: &Web,
    client_ip: IpAddr,
    request: Request<Incoming>,
) -> Response<Body> {
    let mut cookies = Vec::new();
    let mut kind = Kind::Site;
    let outcome = tokio::time::timeout(
        state.request_timeout,
        serve(state, web, client_ip, request, &mut cookies, &mut kind),
    )
    .await
    .unwrap_or(Err(WebError::Api(ApiError::Request(RequestError::Timeout))));
    let mut response = outcome.unwrap_or_else(layout::error_page);
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
    headers::secure(response.headers_mut(), kind == Kind::Widget);
    response
}

async fn serve(
    state: Arc<State>,
    web: &Web,
    client_ip: IpAddr,
    request: Request<Incoming>,
    cookies: &mut Vec<HeaderValue>,
    kind: &mut Kind,
) -> PageReply {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let (index, params) = match web.router.find(method.as_str(), &path) {
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
    let page = &PAGES[index];
    *kind = page.kind;
    if page.kind == Kind::Asset {
        return (page.handler)(WebCx::anonymous(state, params, query, client_ip, here)).await;
    }
    let (parts, body) = request.into_parts();
    let form = if method == Method::POST {
        let body = read_body(&state, &parts, body).await?;
        Form::parse(&body)
    } else {
        Form::default()
    };
    let (csrf_token, user) = if page.kind == Kind::Widget {
        // No cookie is read or set: the token is bound to the widget's event and the hour.
        let event = params
            .iter()
            .find(|(name, _)| name == "id")
            .map_or("", |(_, id)| id.as_str());
        let now = state.prasang.now();
        if method == Method::POST
            && web.csrf.check_widget(&parts.headers, &form, event, now)? == WidgetPost::Stale
        {
            return Ok(layout::see_other(&format!("{path}?expired=1")));
        }
        (web.csrf.widget_token(event, now), None)
    } else {
        let browser = csrf::browser_id(&parts.headers, web.secure_cookies, cookies);
        let csrf_token = web.csrf.token(&browser);
        if method == Method::POST {
            csrf::check(&parts.headers, &form, &csrf_token)?;
        }
        let user = session::resume(&state, web.secure_cookies, &parts.headers, cookies).await;
        (csrf_token, user)
    };
    let cx = WebCx {
        state: Arc::clone(&state),
        params,
        query,
        form,
        client_ip,
        user,
        csrf_token,
        here,
        secure_cookies: web.secure_cookies,
    };
    (page.handler)(cx).await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The icon answers at the address the layout links and at the one browsers try on their
    /// own, both without a session (a static file must not refresh one).
    #[test]
    fn the_icon_is_served_at_both_addresses_as_an_asset() {
        let router = Router::over(PAGES.iter().map(|page| (page.method, page.path)));
        for path in ["/favicon.ico", "/static/favicon.svg"] {
            let Found::Route(index, _) = router.find("GET", path) else {
                panic!("{path} is not served");
            };
            assert!(PAGES[index].kind == Kind::Asset, "{path}");
        }
    }
}
