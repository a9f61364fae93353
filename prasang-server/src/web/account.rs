//! Accounts: register, log in, log out, notification channels and deliveries.

use hyper::StatusCode;
use hyper::header::SET_COOKIE;
use maud::html;
use prasang_core::ErrorKind;
use prasang_core::auth::AuthError;
use prasang_core::notify::{DeliveryStatus, NotificationPreferences};
use prasang_core::users::{Gender, NewUser, Role};

use super::cx::{BoxPage, PageReply, WebCx};
use super::error::WebError;
use super::layout::{Field, csrf_field, local_path, page, page_with, redirect, see_other};
use super::{format, session};
use crate::problem::{ApiError, RequestError};

/// Takes one login/registration attempt from the client's address (the API's limiter).
pub(super) fn rate_limit(cx: &WebCx) -> Result<(), WebError> {
    cx.state
        .limiter
        .check(cx.client_ip)
        .map_err(|retry_after| ApiError::Request(RequestError::RateLimited { retry_after }).into())
}

/// `GET /login?next=`
pub(crate) fn login_form(cx: WebCx) -> BoxPage {
    Box::pin(async move {
        let next = local_path(cx.query("next").unwrap_or("/")).to_owned();
        login_page(&cx, StatusCode::OK, "", &next, None)
    })
}

fn login_page(
    cx: &WebCx,
    status: StatusCode,
    email: &str,
    next: &str,
    error: Option<&str>,
) -> PageReply {
    let body = html! {
        h1 { "Log in" }
        @if let Some(error) = error { p.form-error role="alert" { (error) } }
        form method="post" action="/login" {
            (csrf_field(cx))
            input type="hidden" name="next" value=(next);
            (Field::new("email", "E-mail", email).kind("email").render())
            (Field::new("password", "Password", "").kind("password").render())
            button type="submit" { "Log in" }
        }
        p { "New here? " a href="/register" { "Create an account" } "." }
        p { "Bought without an account? " a href="/guest/link" { "E-mail me a sign-in link" } "." }
    };
    page_with(cx, status, "Log in", body)
}

/// `POST /login` (email, password, next): rate-limited like the API's login.
pub(crate) fn login(cx: WebCx) -> BoxPage {
    Box::pin(async move {
        rate_limit(&cx)?;
        let email = cx.form.get("email").to_owned();
        let password = cx.form.get("password").to_owned();
        let next = local_path(cx.form.get("next")).to_owned();
        let (shown, tried) = (email.clone(), email);
        let outcome = cx
            .core(move |p| Ok::<_, AuthError>(p.auth().login(&tried, &password)))
            .await?;
        match outcome {
            Ok(session) => signed_in(&cx, &session, &next),
            Err(error) if prasang_core::DomainError::kind(&error) == ErrorKind::Unauthorized => {
                login_page(
                    &cx,
                    StatusCode::UNAUTHORIZED,
                    &shown,
                    &next,
                    Some("That e-mail and password do not match an account."),
                )
            }
            Err(error) => Err(error.into()),
        }
    })
}

/// Sets the session cookie and goes to `next`.
pub(super) fn signed_in(
    cx: &WebCx,
    session: &prasang_core::auth::Session,
    next: &str,
) -> PageReply {
    let mut response = see_other(next);
    response
        .headers_mut()
        .append(SET_COOKIE, session::start(session, cx.secure_cookies));
    Ok(response)
}

/// `POST /logout`: revokes the session's refresh token and clears the cookie.
pub(crate) fn logout(cx: WebCx) -> BoxPage {
    Box::pin(async move {
        if let Some(user) = &cx.user {
            let refresh = user.refresh_token.clone();
            // An already-dead session is logged out all the same.
            let _ = cx.core(move |p| p.auth().logout(&refresh)).await;
        }
        let mut response = see_other("/?done=logged-out");
        response
            .headers_mut()
            .append(SET_COOKIE, session::end(cx.secure_cookies));
        Ok(response)
    })
}

/// The registration form's entered values.
struct Registration<'a> {
    name: &'a str,
    email: &'a str,
    gender: &'a str,
    age: &'a str,
    role: &'a str,
}

/// `GET /register`
pub(crate) fn register_form(cx: WebCx) -> BoxPage {
    Box::pin(async move {
        let empty = Registration {
            name: "",
            email: "",
            gender: "undisclosed",
            age: "",
            role: "attendee",
        };
        register_page(&cx, StatusCode::OK, &empty, None)
    })
}

fn register_page(
    cx: &WebCx,
    status: StatusCode,
    entered: &Registration<'_>,
    error: Option<(&str, String)>,
) -> PageReply {
    let error_for = |field: &str| {
        error
            .as_ref()
            .filter(|(f, _)| *f == field)
            .map(|(_, m)| m.as_str())
    };
    let general = error
        .as_ref()
        .filter(|(f, _)| !["name", "email", "password", "age", "gender", "role"].contains(f));
    let body = html! {
        h1 { "Create an account" }
        @if let Some((_, message)) = general { p.form-error role="alert" { (message) } }
        form method="post" action="/register" novalidate {
            (csrf_field(cx))
            (Field::new("name", "Name", entered.name).error(error_for("name")).render())
            (Field::new("email", "E-mail", entered.email).kind("email").error(error_for("email")).render())
            (Field::new("password", "Password", "").kind("password").hint("At least 8 characters.").error(error_for("password")).render())
            (profile_fields(entered.gender, entered.age, &error_for))
            fieldset.field {
                legend { "I want to" }
                label { input type="radio" name="role" value="attendee" checked[entered.role != "organizer"]; " attend events" }
                label { input type="radio" name="role" value="organizer" checked[entered.role == "organizer"]; " organize events" }
            }
            button type="submit" { "Create account" }
        }
    };
    page_with(cx, status, "Create an account", body)
}

/// The gender and age fields of a registration (a new account, or a guest setting a password).
pub(super) fn profile_fields<'a>(
    gender: &str,
    age: &str,
    error_for: &dyn Fn(&str) -> Option<&'a str>,
) -> maud::Markup {
    let genders = [
        ("female", "Female"),
        ("male", "Male"),
        ("non_binary", "Non-binary"),
        ("undisclosed", "Prefer not to say"),
    ];
    html! {
        div.field.invalid[error_for("gender").is_some()] {
            label for="f-gender" { "Gender" }
            select #f-gender name="gender" {
                @for (value, label) in genders {
                    option value=(value) selected[gender == value] { (label) }
                }
            }
            @if let Some(message) = error_for("gender") { p.field-error { (message) } }
        }
        (Field::new("age", "Age", age).kind("number").hint("Used only for anonymous statistics.").error(error_for("age")).render())
    }
}

/// The gender and age as entered, or the field that does not read and why.
pub(super) fn profile(gender: &str, age: &str) -> Result<(Gender, i64), (&'static str, String)> {
    let gender = match gender {
        "female" => Gender::Female,
        "male" => Gender::Male,
        "non_binary" => Gender::NonBinary,
        "undisclosed" => Gender::Undisclosed,
        _ => return Err(("gender", "Choose one of the options.".to_owned())),
    };
    let Ok(age) = age.trim().parse::<i64>() else {
        return Err(("age", "Enter your age as a whole number.".to_owned()));
    };
    Ok((gender, age))
}

/// `POST /register`: creates the account, then logs in.
pub(crate) fn register(cx: WebCx) -> BoxPage {
    Box::pin(async move {
        rate_limit(&cx)?;
        let form = &cx.form;
        let entered = Registration {
            name: form.get("name"),
            email: form.get("email"),
            gender: form.get("gender"),
            age: form.get("age"),
            role: form.get("role"),
        };
        let (gender, age) = match profile(entered.gender, entered.age) {
            Ok(profile) => profile,
            Err(error) => {
                return register_page(&cx, StatusCode::UNPROCESSABLE_ENTITY, &entered, Some(error));
            }
        };
        let role = if entered.role == "organizer" {
            Role::Organizer
        } else {
            Role::Attendee
        };
        let new = NewUser {
            name: entered.name.to_owned(),
            email: entered.email.to_owned(),
            password: form.get("password").to_owned(),
            gender,
            age,
            role,
        };
        let (email, password) = (new.email.clone(), new.password.clone());
        match cx.core(move |p| p.users().register(new)).await {
            Ok(_) => {}
            Err(error) => {
                let kind_field = error.field().map(|f| (f.field, f.message.clone()));
                let shown = kind_field.unwrap_or(("", error.message()));
                let status = match &error {
                    WebError::Api(e) => e.problem().status,
                    _ => StatusCode::UNPROCESSABLE_ENTITY,
                };
                if status.is_client_error() && status != StatusCode::TOO_MANY_REQUESTS {
                    return register_page(&cx, status, &entered, Some(shown));
                }
                return Err(error);
            }
        }
        let session = cx.core(move |p| p.auth().login(&email, &password)).await?;
        signed_in(&cx, &session, "/?done=welcome")
    })
}

/// `GET /me/notifications`: channel preferences and the user's deliveries.
pub(crate) fn notifications(cx: WebCx) -> BoxPage {
    Box::pin(async move {
        let actor = cx.signed_in()?.actor;
        let channels = cx.prasang().notifications().channels();
        let preferences = cx
            .core(move |p| p.notifications().preferences(&actor, actor.user_id()))
            .await?;
        let page_request = cx.page_request(50);
        let deliveries = cx
            .core(move |p| {
                p.notifications()
                    .deliveries_for_user(&actor, actor.user_id(), &page_request)
            })
            .await?;
        let body = html! {
            h1 { "Notifications" }
            h2 { "How to tell me" }
            @if channels.is_empty() {
                p { "This server has no notification channels installed." }
            } @else {
                form method="post" action="/me/notifications" {
                    (csrf_field(&cx))
                    fieldset {
                        legend { "Channels" }
                        @for channel in &channels {
                            div {
                                label {
                                    input type="checkbox" name="channels" value=(channel)
                                        checked[preferences.channels.contains(channel)];
                                    " " (channel)
                                }
                            }
                        }
                        small.hint { "None ticked: no notifications." }
                    }
                    button type="submit" { "Save" }
                }
            }
            h2 { "Sent to me" }
            @if deliveries.items.is_empty() {
                p { "Nothing yet." }
            } @else {
                div.table-wrap tabindex="0" {
                    table {
                        thead { tr { th scope="col" { "When" } th scope="col" { "What" } th scope="col" { "Channel" } th scope="col" { "Status" } } }
                        tbody {
                            @for delivery in &deliveries.items {
                                tr {
                                    td { (format::instant(delivery.created_at)) }
                                    td { (format::notification_kind(delivery.kind).replace('_', " ")) }
                                    td { (delivery.channel) }
                                    td { (delivery_status(delivery.status)) }
                                }
                            }
                        }
                    }
                }
                @if let Some(after) = &deliveries.next {
                    nav.pager aria-label="Pages" { a href=(format!("/me/notifications?after={after}")) rel="next" { "Older" } }
                }
            }
        };
        page(&cx, "Notifications", body)
    })
}

/// A delivery's status in words.
pub(crate) fn delivery_status(status: DeliveryStatus) -> &'static str {
    match status {
        DeliveryStatus::Pending => "Waiting",
        DeliveryStatus::Sending => "Sending",
        DeliveryStatus::Sent => "Sent",
        DeliveryStatus::Retrying => "Retrying",
        DeliveryStatus::Failed => "Failed",
    }
}

/// `POST /me/notifications` (channels, repeated)
pub(crate) fn set_notifications(cx: WebCx) -> BoxPage {
    Box::pin(async move {
        let actor = cx.signed_in()?.actor;
        let preferences = NotificationPreferences {
            channels: cx.form.all("channels"),
        };
        cx.core(move |p| {
            p.notifications()
                .set_preferences(&actor, actor.user_id(), preferences)
        })
        .await?;
        redirect("/me/notifications?done=preferences")
    })
}
