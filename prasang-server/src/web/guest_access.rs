//! A guest's way back in: the page a sign-in link opens (a button, since mail scanners fetch
//! links and a GET must never spend one), asking for a new link, and setting a password, which
//! makes the guest account a normal one that keeps its tickets.

use hyper::StatusCode;
use maud::{Markup, html};
use prasang_core::guests::GuestRegistration;

use super::account::{profile, profile_fields, rate_limit, signed_in};
use super::cx::{BoxPage, PageReply, WebCx};
use super::error::WebError;
use super::layout::{Field, capitalised, csrf_field, page_with, redirect};
use crate::problem::ApiError;

/// What the link page answers for every well-formed address, known or not.
const LINK_SENT: &str = "If this address has tickets, a sign-in link is on its way. \
    It works once, for 30 minutes.";

/// `GET /guest/access?token=`: a page with a button that posts the token (a GET never spends
/// it: mail scanners fetch links).
pub(crate) fn landing(cx: WebCx) -> BoxPage {
    Box::pin(async move {
        let token = cx.query("token").unwrap_or("").to_owned();
        if token.is_empty() {
            return link_refused(&cx, "This sign-in link is not complete. Ask for a new one.");
        }
        let body = html! {
            h1 { "Sign in to see your tickets" }
            p { "This link signs you in once, to see, name or cancel the tickets you bought with this e-mail address." }
            form method="post" action="/guest/access" {
                (csrf_field(&cx))
                input type="hidden" name="token" value=(token);
                button type="submit" { "Sign in" }
            }
        };
        page_with(&cx, StatusCode::OK, "Sign in", body)
    })
}

/// `POST /guest/access` (`token`): spends the link, starts the session as the login page does
/// and goes to "My tickets"; a used, expired or invalid link gets a page to ask for a new one.
pub(crate) fn open(cx: WebCx) -> BoxPage {
    Box::pin(async move {
        rate_limit(&cx)?;
        let token = cx.form.get("token").to_owned();
        match cx.core(move |p| p.guests().open(&token)).await {
            Ok(session) => signed_in(&cx, &session, "/me/tickets?done=guest-signed-in"),
            Err(error) if is_unauthorized(&error) => {
                link_refused(&cx, &capitalised(&error.message()))
            }
            Err(error) => Err(error),
        }
    })
}

/// Whether the core refused the link itself (invalid, expired, used).
fn is_unauthorized(error: &WebError) -> bool {
    matches!(error, WebError::Api(e @ ApiError::Core(_)) if e.problem().status == StatusCode::UNAUTHORIZED)
}

/// A link that does not open anything: why, and the form to ask for a new one.
fn link_refused(cx: &WebCx, why: &str) -> PageReply {
    let body = html! {
        h1 { "This sign-in link does not work" }
        p.form-error role="alert" { (why) }
        (request_form(cx, "", None))
    };
    page_with(cx, StatusCode::UNAUTHORIZED, "Sign-in link", body)
}

/// The form that asks for a sign-in link.
fn request_form(cx: &WebCx, email: &str, error: Option<&str>) -> Markup {
    html! {
        form method="post" action="/guest/link" novalidate {
            (csrf_field(cx))
            (Field::new("email", "E-mail", email).kind("email").hint("The address you bought the tickets with.").error(error).render())
            button type="submit" { "E-mail me a link" }
        }
    }
}

/// `GET /guest/link`
pub(crate) fn link_form(cx: WebCx) -> BoxPage {
    Box::pin(async move { link_page(&cx, StatusCode::OK, "", None, false) })
}

fn link_page(
    cx: &WebCx,
    status: StatusCode,
    email: &str,
    error: Option<&str>,
    sent: bool,
) -> PageReply {
    let body = html! {
        h1 { "E-mail me a sign-in link" }
        @if sent {
            p.notice role="status" { (LINK_SENT) }
        } @else {
            p { "Bought tickets without an account? Enter the address you used: we send a link that signs you in to see, name or cancel them." }
        }
        (request_form(cx, email, error))
    };
    page_with(cx, status, "Sign-in link", body)
}

/// `POST /guest/link` (`email`): asks the core to send a link; the same answer whether or not
/// the address is known (only a malformed one is refused), rate-limited per client address
/// like the login form (the core limits links per e-mail address).
pub(crate) fn send_link(cx: WebCx) -> BoxPage {
    Box::pin(async move {
        rate_limit(&cx)?;
        let email = cx.form.get("email").trim().to_owned();
        let asked = email.clone();
        match cx.core(move |p| p.guests().request_link(&asked)).await {
            Ok(()) => link_page(&cx, StatusCode::OK, "", None, true),
            Err(error) => match error.field() {
                Some(field) => {
                    let message = capitalised(&field.message);
                    link_page(
                        &cx,
                        StatusCode::UNPROCESSABLE_ENTITY,
                        &email,
                        Some(&message),
                        false,
                    )
                }
                None => Err(error),
            },
        }
    })
}

/// `GET /me/password`: a signed-in guest sets a password (and gender and age, as registering
/// asks); an account that has one is told so.
pub(crate) fn password_form(cx: WebCx) -> BoxPage {
    Box::pin(async move {
        cx.signed_in()?;
        password_page(&cx, StatusCode::OK, "undisclosed", "", None)
    })
}

fn password_page(
    cx: &WebCx,
    status: StatusCode,
    gender: &str,
    age: &str,
    error: Option<(&str, String)>,
) -> PageReply {
    let guest = cx.user.as_ref().is_some_and(|user| user.user.guest);
    let error_for = |field: &str| {
        error
            .as_ref()
            .filter(|(f, _)| *f == field)
            .map(|(_, message)| message.as_str())
    };
    let general = error
        .as_ref()
        .filter(|(field, _)| !["password", "gender", "age"].contains(field));
    let body = html! {
        h1 { "Set a password" }
        @if let Some((_, message)) = general { p.form-error role="alert" { (message) } }
        @if guest {
            p { "You signed in with a link. With a password you can log in any time; your tickets stay yours." }
            form method="post" action="/me/password" novalidate {
                (csrf_field(cx))
                (Field::new("password", "Password", "").kind("password").hint("At least 8 characters.").error(error_for("password")).render())
                (profile_fields(gender, age, &error_for))
                button type="submit" { "Set password" }
            }
        } @else if general.is_none() {
            p { "Your account has a password already." }
        }
        p { a href="/me/tickets" { "Back to my tickets" } }
    };
    page_with(cx, status, "Set a password", body)
}

/// `POST /me/password` (`password`, `gender`, `age`): the guest account becomes a normal one.
pub(crate) fn set_password(cx: WebCx) -> BoxPage {
    Box::pin(async move {
        let actor = cx.signed_in()?.actor;
        let (gender_text, age_text) = (cx.form.get("gender"), cx.form.get("age"));
        let (gender, age) = match profile(gender_text, age_text) {
            Ok(profile) => profile,
            Err(error) => {
                let status = StatusCode::UNPROCESSABLE_ENTITY;
                return password_page(&cx, status, gender_text, age_text, Some(error));
            }
        };
        let registration = GuestRegistration {
            password: cx.form.get("password").to_owned(),
            gender,
            age,
        };
        match cx
            .core(move |p| p.guests().register(&actor, registration))
            .await
        {
            Ok(_) => redirect("/me/tickets?done=password-set"),
            Err(error) => {
                let Some(status) = error.refusal_status() else {
                    return Err(error);
                };
                let shown = match error.field() {
                    Some(field) => (field.field, capitalised(&field.message)),
                    None => ("", capitalised(&error.message())),
                };
                password_page(&cx, status, gender_text, age_text, Some(shown))
            }
        }
    })
}
