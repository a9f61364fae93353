//! Admin pages: find users by name or e-mail and change their role; the integrity check.

use maud::html;
use prasang_core::UserId;
use prasang_core::users::Role;

use super::cx::{BoxPage, WebCx};
use super::error::WebError;
use super::layout::{csrf_field, page, redirect};
use crate::problem::ApiError;

const PAGE_SIZE: usize = 20;

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

/// `GET /admin?q=&after=`: accounts whose name or e-mail contains `q` (all when empty), each
/// with a role form.
pub(crate) fn users(cx: WebCx) -> BoxPage {
    Box::pin(async move {
        let actor = require_admin(&cx)?;
        let q = cx.query("q").unwrap_or("").to_owned();
        let request = cx.page_request(PAGE_SIZE);
        let wanted = q.clone();
        let found = match cx
            .core(move |p| p.users().search(&actor, &wanted, &request))
            .await
        {
            Ok(page) => Ok(page),
            Err(error) if error.field().is_some() => Err(error.message()),
            Err(error) => return Err(error),
        };
        let query = |after: Option<&str>| {
            let mut link = form_urlencoded::Serializer::new(String::new());
            link.append_pair("q", &q);
            if let Some(after) = after {
                link.append_pair("after", after);
            }
            format!("/admin?{}", link.finish())
        };
        let body = html! {
            h1 { "Users" }
            form.search method="get" action="/admin" role="search" {
                label for="q" { "Find by name or e-mail" }
                input #q type="search" name="q" value=(q);
                button type="submit" { "Find" }
            }
            @match &found {
                Ok(page) => {
                    @if page.items.is_empty() { p { "No account matches." } }
                    @for user in &page.items {
                        div.card {
                            h2 { (user.name) }
                            p.meta { (user.email) " · " (user.role.as_str()) " · " code { (user.id) } }
                            form method="post" action=(format!("/admin/users/{}/role", user.id)) {
                                (csrf_field(&cx))
                                input type="hidden" name="q" value=(q);
                                div.field {
                                    label for=(format!("role-{}", user.id)) { "Role" }
                                    select id=(format!("role-{}", user.id)) name="role" {
                                        @for (role, name) in ROLES {
                                            option value=(name) selected[role == user.role] { (name) }
                                        }
                                    }
                                }
                                button type="submit" { "Change role" }
                            }
                        }
                    }
                    @if let Some(after) = &page.next {
                        nav.pager aria-label="Pages" { a href=(query(Some(after))) rel="next" { "More accounts" } }
                    }
                }
                Err(message) => { p.form-error role="alert" { (message) } }
            }
            h2 { "Store" }
            p { a href="/admin/integrity" { "Run the integrity check" } " (recounts every counter and index; may take a while on a big store)." }
        };
        page(&cx, "Users", body)
    })
}

/// `POST /admin/users/{id}/role` (role, and the search `q` to return to)
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
        let q = form_urlencoded::byte_serialize(cx.form.get("q").as_bytes()).collect::<String>();
        redirect(&format!("/admin?q={q}&done=role"))
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
