//! The page shell (header, navigation, notices), response helpers and the stylesheet.

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderValue, LOCATION, RETRY_AFTER};
use hyper::{Response, StatusCode};
use maud::{DOCTYPE, Markup, html};

use super::csrf;
use super::cx::{BoxPage, PageReply, WebCx};
use super::error::WebError;
use crate::request::Body;

const STYLESHEET: &str = include_str!("prasang.css");
const EMBED_STYLESHEET: &str = include_str!("embed.css");
/// The site's icon, small enough to serve as it is.
const FAVICON: &str = include_str!("favicon.svg");

/// `GET /static/prasang.css`
pub(crate) fn stylesheet(_cx: WebCx) -> BoxPage {
    Box::pin(async {
        asset(
            "text/css; charset=utf-8",
            STYLESHEET,
            "public, max-age=3600",
        )
    })
}

/// `GET /static/embed.css`: the booking widget's own small stylesheet.
pub(crate) fn embed_stylesheet(_cx: WebCx) -> BoxPage {
    Box::pin(async {
        asset(
            "text/css; charset=utf-8",
            EMBED_STYLESHEET,
            "public, max-age=3600",
        )
    })
}

/// `GET /static/favicon.svg`, and `GET /favicon.ico` for browsers that ask there whatever the
/// page links (an SVG under that name: browsers go by its type). It never changes: cached a week.
pub(crate) fn favicon(_cx: WebCx) -> BoxPage {
    Box::pin(async { asset("image/svg+xml", FAVICON, "public, max-age=604800") })
}

/// A file built into the server, with its type and how long browsers may keep it.
fn asset(content_type: &'static str, body: &'static str, cache: &'static str) -> PageReply {
    let mut response = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static(cache));
    Ok(response)
}

/// An HTML response.
pub(crate) fn html(status: StatusCode, markup: Markup) -> Response<Body> {
    let mut response = Response::new(Full::new(Bytes::from(markup.into_string())));
    *response.status_mut() = status;
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response
}

/// A page for the request's user.
pub(crate) fn page(cx: &WebCx, title: &str, body: Markup) -> PageReply {
    Ok(html(StatusCode::OK, document(Some(cx), title, body)))
}

/// A page with another status (a form shown again with its errors).
pub(crate) fn page_with(cx: &WebCx, status: StatusCode, title: &str, body: Markup) -> PageReply {
    Ok(html(status, document(Some(cx), title, body)))
}

/// A page that reloads itself after `refresh` seconds, if given (`<meta http-equiv="refresh">`:
/// live numbers and a place in a queue without JavaScript), saying so under `body` with a link
/// that stops it (`?still=1`; WCAG 2.2.1: a person may turn a time limit off) and back.
pub(crate) fn refreshing_page(
    cx: &WebCx,
    title: &str,
    body: Markup,
    refresh: Option<u64>,
) -> PageReply {
    let still = cx.query("still").is_some();
    let path = cx.here.split(['?', '#']).next().unwrap_or("/");
    let body = html! {
        (body)
        @if let Some(seconds) = refresh {
            @if still {
                p.hint { "Automatic updates are off. " a href=(path) { "Update every " (seconds) " seconds" } }
            } @else {
                p.hint { "This page updates itself every " (seconds) " seconds. " a href=(format!("{path}?still=1")) { "Stop updating" } }
            }
        }
    };
    let refresh = refresh.filter(|_| !still);
    Ok(html(StatusCode::OK, shell(Some(cx), title, body, refresh)))
}

/// `303 See Other` to a path of this site (after a form post).
pub(crate) fn see_other(location: &str) -> Response<Body> {
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = StatusCode::SEE_OTHER;
    let location = HeaderValue::from_str(location).unwrap_or(HeaderValue::from_static("/"));
    response.headers_mut().insert(LOCATION, location);
    response
}

/// The same, as a page's answer.
pub(crate) fn redirect(location: &str) -> PageReply {
    Ok(see_other(location))
}

/// Only a path of this site (not `//elsewhere`) may be a place to go back to.
pub(crate) fn local_path(next: &str) -> &str {
    if next.starts_with('/') && !next.starts_with("//") && !next.starts_with("/\\") {
        next
    } else {
        "/"
    }
}

/// The hidden field that carries the CSRF token; every POST form has it.
pub(crate) fn csrf_field(cx: &WebCx) -> Markup {
    html! { input type="hidden" name=(csrf::FIELD) value=(cx.csrf_token); }
}

/// Messages a redirect may ask for with `?done=`: fixed texts, so nothing the address says
/// is shown.
fn notice(code: &str) -> Option<&'static str> {
    Some(match code {
        "booked" => "Booked. Your ticket is below.",
        "held" => "Your seats are held until the time shown: the organizer confirms the payment.",
        "cancelled" => "The ticket is cancelled and its seats are free again.",
        "feedback" => "Thank you: your feedback is saved.",
        "logged-out" => "You are logged out.",
        "welcome" => "Welcome! Your account is ready.",
        "created" => "The event is published.",
        "saved" => "Changes saved.",
        "event-cancelled" => "The event is cancelled; ticket holders are told.",
        "confirmed" => "Payment confirmed: the ticket is booked.",
        "replied" => "Your reply is saved; the attendee is told.",
        "role" => "The role is changed; the user's older sessions ended.",
        "preferences" => "Your notification channels are saved.",
        "type-added" => "The ticket type is added.",
        "type-deleted" => "The ticket type is deleted.",
        "code-created" => "The promo code is created; it works at once.",
        "staff-added" => "Added to the door staff: they can scan at this event's door now.",
        "staff-removed" => "Removed from the door staff.",
        "admission-undone" => "The admission is undone: the seat's code admits once more.",
        "message-sent" => "The message is sent: it goes out through each person's channels.",
        "waitlist-joined" => {
            "You are on the waiting list: you are told when seats are offered to you."
        }
        "waitlist-left" => "You left the waiting list.",
        "offer-declined" => "Offer declined: the seats go to the next in line.",
        "waitlist-removed" => "The entry is removed from the waiting list.",
        "guest-signed-in" => "You are signed in: here are your tickets.",
        "password-set" => "Your password is set: log in with your e-mail address from now on.",
        "names-saved" => "The names on the seats are saved.",
        "embed-saved" => "The sites that may show your booking widget are saved.",
        "pass-required" => {
            "This sale has a waiting room: book when it is your turn. Your place is below."
        }
        "pass-refused" => {
            "Your pass could not be used (it lapsed, or was used already). Your place is below."
        }
        _ => return None,
    })
}

/// The whole document: header with navigation for `cx`'s user (none on error pages), the
/// notice a redirect asked for, then `body`.
pub(crate) fn document(cx: Option<&WebCx>, title: &str, body: Markup) -> Markup {
    shell(cx, title, body, None)
}

/// [`document`], reloading itself after `refresh` seconds if given.
fn shell(cx: Option<&WebCx>, title: &str, body: Markup, refresh: Option<u64>) -> Markup {
    let user = cx.and_then(|cx| cx.user.as_ref());
    let notice = cx.and_then(|cx| cx.query("done")).and_then(notice);
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                @if let Some(seconds) = refresh {
                    meta http-equiv="refresh" content=(seconds);
                }
                title { (title) " · Prasang" }
                link rel="stylesheet" href="/static/prasang.css";
                link rel="icon" type="image/svg+xml" href="/static/favicon.svg";
            }
            body {
                a.skip href="#main" { "Skip to content" }
                header.top {
                    nav aria-label="Main" {
                        a.brand href="/" { "Prasang" }
                        ul {
                            li { a href="/" { "Events" } }
                            @if let Some(user) = user {
                                li { a href="/me/tickets" { "My tickets" } }
                                li { a href="/me/notifications" { "Notifications" } }
                                @if user.actor.can_organize() {
                                    li { a href="/organizer" { "Organizer" } }
                                }
                                @if user.actor.is_admin() {
                                    li { a href="/admin" { "Admin" } }
                                }
                            } @else {
                                li { a href="/login" { "Log in" } }
                                li { a href="/register" { "Register" } }
                            }
                        }
                        @if let (Some(user), Some(cx)) = (user, cx) {
                            form.logout method="post" action="/logout" {
                                (csrf_field(cx))
                                span.who { (user.user.name) }
                                button type="submit" { "Log out" }
                            }
                        }
                    }
                }
                main #main {
                    @if let Some(text) = notice {
                        p.notice role="status" { (text) }
                    }
                    (body)
                }
                footer { p { "Prasang · event times are each event's local time" } }
            }
        }
    }
}

/// The page for an error of a page (a redirect to the login page when it needs a user).
pub(crate) fn error_page(error: WebError) -> Response<Body> {
    let (status, heading, detail, retry_after) = match &error {
        WebError::LoginRequired { next } => {
            let target = format!(
                "/login?next={}",
                form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
            );
            return see_other(&target);
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
                (429, "pass-required") => "This sale has a waiting room",
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
    let mut response = html(status, document(None, heading, body));
    if let Some(seconds) = retry_after {
        response
            .headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

/// `text` with a capital first letter (core messages start in lower case).
pub(crate) fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A labelled form field with its error beside it (`aria-describedby`) and the entered value.
pub(crate) struct Field<'a> {
    pub(crate) name: &'a str,
    pub(crate) label: &'a str,
    pub(crate) kind: &'a str,
    pub(crate) value: &'a str,
    pub(crate) error: Option<&'a str>,
    pub(crate) required: bool,
    pub(crate) hint: Option<&'a str>,
    /// Tells this field's id apart from the same field in other forms of the page.
    pub(crate) scope: Option<&'a str>,
}

impl<'a> Field<'a> {
    pub(crate) fn new(name: &'a str, label: &'a str, value: &'a str) -> Self {
        Field {
            name,
            label,
            kind: "text",
            value,
            error: None,
            required: true,
            hint: None,
            scope: None,
        }
    }
    /// For a field repeated in several forms of one page (one reply form per feedback item):
    /// its label must point at its own control.
    pub(crate) fn scoped(mut self, scope: &'a str) -> Self {
        self.scope = Some(scope);
        self
    }
    pub(crate) fn kind(mut self, kind: &'a str) -> Self {
        self.kind = kind;
        self
    }
    pub(crate) fn optional(mut self) -> Self {
        self.required = false;
        self
    }
    pub(crate) fn hint(mut self, hint: &'a str) -> Self {
        self.hint = Some(hint);
        self
    }
    pub(crate) fn error(mut self, error: Option<&'a str>) -> Self {
        self.error = error;
        self
    }

    pub(crate) fn render(&self) -> Markup {
        let id = match self.scope {
            Some(scope) => format!("f-{scope}-{}", self.name),
            None => format!("f-{}", self.name),
        };
        let error_id = format!("{id}-error");
        let hint_id = format!("{id}-hint");
        let described = match (self.error.is_some(), self.hint.is_some()) {
            (true, true) => Some(format!("{error_id} {hint_id}")),
            (true, false) => Some(error_id.clone()),
            (false, true) => Some(hint_id.clone()),
            (false, false) => None,
        };
        html! {
            div.field.invalid[self.error.is_some()] {
                label for=(id) { (self.label) }
                @if self.kind == "textarea" {
                    textarea id=(id) name=(self.name) rows="5" required[self.required]
                        aria-invalid=[self.error.map(|_| "true")]
                        aria-describedby=[described.as_deref()] { (self.value) }
                } @else {
                    input id=(id) name=(self.name) type=(self.kind) value=(self.value)
                        required[self.required]
                        aria-invalid=[self.error.map(|_| "true")]
                        aria-describedby=[described.as_deref()];
                }
                @if let Some(hint) = self.hint {
                    small.hint id=(hint_id) { (hint) }
                }
                @if let Some(error) = self.error {
                    p.field-error id=(error_id) { (error) }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two forms on one page with the same field: each label points at its own control.
    #[test]
    fn scoped_fields_have_their_own_ids() {
        let field = |scope| {
            Field::new("text", "Your reply", "")
                .scoped(scope)
                .render()
                .into_string()
        };
        let (first, second) = (field("a"), field("b"));
        assert!(
            first.contains(r#"for="f-a-text""#) && first.contains(r#"id="f-a-text""#),
            "{first}"
        );
        assert!(
            second.contains(r#"for="f-b-text""#) && second.contains(r#"id="f-b-text""#),
            "{second}"
        );
    }

    /// Every page's head links the icon, as SVG (the CSP's `img-src 'self'` allows it).
    #[test]
    fn every_page_links_the_svg_icon() {
        let page = document(None, "Title", html! { p { "body" } }).into_string();
        assert!(
            page.contains(r#"<link rel="icon" type="image/svg+xml" href="/static/favicon.svg">"#),
            "{page}"
        );
        assert!(FAVICON.starts_with("<svg") && FAVICON.len() < 1024);
        assert!(super::super::headers::CONTENT_SECURITY_POLICY_VALUE.contains("img-src 'self'"));
    }
}
