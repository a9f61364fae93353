//! Admin pages: find a user by e-mail and change their role; the integrity check.

use maud::html;
use prasang_core::UserId;
use prasang_core::users::Role;

use super::layout::{csrf_field, page, redirect};
use super::{BoxPage, WebCx, WebError};
use crate::problem::ApiError;

const ROLES: [(Role, &str); 3] = [
    (Role::Attendee, "attendee"),
    (Role::Organizer, "organizer"),
    (Role::Admin, "admin"),
];

/// Admin pages are for admins (the core refuses everyone else every action on them too).
fn require_admin(cx: &WebCx) -> Result<prasang_core::auth::Actor, WebError> {
    let actor = cx.signed_in()?.actor;
    if actor.is_admin() {
        Ok(actor)
    } else {
        Err(WebError::Api(ApiError::Core(Box::new(
            prasang_core::CommonError::Forbidden("only admins can use the admin pages"),
        ))))
    }
}

/// `GET /admin?email=`: look a user up by e-mail; change their role.
pub(crate) fn users(cx: WebCx) -> BoxPage {
    Box::pin(async move {
        let actor = require_admin(&cx)?;
        let email = cx.query("email").unwrap_or("").to_owned();
        let found = if email.is_empty() {
            None
        } else {
            let wanted = email.clone();
            match cx
                .core(move |p| p.users().find_by_email(&actor, &wanted))
                .await
            {
                Ok(user) => Some(Ok(user)),
                Err(error) if error.is_not_found() => {
                    Some(Err("No account has that e-mail.".to_owned()))
                }
                Err(error) if error.field().is_some() => Some(Err(error.message())),
                Err(error) => return Err(error),
            }
        };
        let body = html! {
            h1 { "Users" }
            form.search method="get" action="/admin" role="search" {
                label for="email" { "Find by e-mail" }
                input #email type="email" name="email" value=(email) required;
                button type="submit" { "Find" }
            }
            @match &found {
                Some(Ok(user)) => {
                    div.card {
                        h2 { (user.name) }
                        p.meta { (user.email) " · " (user.role.as_str()) " · " code { (user.id) } }
                        form method="post" action=(format!("/admin/users/{}/role", user.id)) {
                            (csrf_field(&cx))
                            input type="hidden" name="email" value=(user.email);
                            div.field {
                                label for="role" { "Role" }
                                select #role name="role" {
                                    @for (role, name) in ROLES {
                                        option value=(name) selected[role == user.role] { (name) }
                                    }
                                }
                            }
                            button type="submit" { "Change role" }
                        }
                    }
                }
                Some(Err(message)) => { p.form-error role="alert" { (message) } }
                None => {}
            }
            h2 { "Store" }
            p { a href="/admin/integrity" { "Run the integrity check" } " (recounts every counter and index; may take a while on a big store)." }
        };
        page(&cx, "Users", body)
    })
}

/// `POST /admin/users/{id}/role` (role, email)
pub(crate) fn set_role(cx: WebCx) -> BoxPage {
    Box::pin(async move {
        let id: UserId = cx.id("id")?;
        let actor = cx.signed_in()?.actor;
        let role = ROLES
            .iter()
            .find(|(_, name)| *name == cx.form.get("role"))
            .map(|(role, _)| *role)
            .ok_or_else(|| {
                WebError::Api(
                    crate::problem::RequestError::BadParameter(
                        "choose attendee, organizer or admin".into(),
                    )
                    .into(),
                )
            })?;
        cx.core(move |p| p.users().set_role(&actor, id, role))
            .await?;
        // The core ended the user's older access tokens; no cached one may keep its old role.
        cx.state.tokens.clear();
        let email =
            form_urlencoded::byte_serialize(cx.form.get("email").as_bytes()).collect::<String>();
        redirect(&format!("/admin?email={email}&done=role"))
    })
}

/// `GET /admin/integrity`
pub(crate) fn integrity(cx: WebCx) -> BoxPage {
    Box::pin(async move {
        let actor = cx.signed_in()?.actor;
        let report = cx.core(move |p| p.verify_integrity(&actor)).await?;
        let body = html! {
            h1 { "Integrity check" }
            @if report.is_ok() {
                p.notice role="status" { "Everything agrees." }
            } @else {
                p.form-error role="alert" { (report.problems.len()) " problem(s) found." }
                ul { @for problem in &report.problems { li { (problem) } } }
            }
            dl.facts {
                dt { "Events" } dd { (report.events) }
                dt { "Tickets" } dd { (report.tickets) }
                dt { "Users" } dd { (report.users) }
            }
            p { a href="/admin" { "Back" } }
        };
        page(&cx, "Integrity check", body)
    })
}
