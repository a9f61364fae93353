//! An event's check-in on its organizer pages: the counts, the door staff (add an existing user
//! by e-mail, remove one), the conflicts offline gates reported, and the last admissions with an
//! undo for a wrong one. The door page itself is [`crate::web::door`]. Every rule is the core's.

use hyper::StatusCode;
use maud::{Markup, html};
use prasang_core::auth::Actor;
use prasang_core::checkin::{Conflict, ConflictReason, GateScan};
use prasang_core::events::Event;
use prasang_core::{EventId, PageRequest, TicketId, UserId};

use super::edit::form_page;
use crate::web::cx::{BoxPage, PageReply, WebCx};
use crate::web::door::who;
use crate::web::error::WebError;
use crate::web::format;
use crate::web::layout::{Field, capitalised, csrf_field, redirect};

/// How many of the last admissions the page lists (each with its undo), and of the conflicts
/// (the REST listing pages through them all).
const LAST_ADMISSIONS: usize = 50;
const CONFLICTS_SHOWN: usize = 100;

fn path(id: EventId) -> String {
    format!("/organizer/events/{id}/check-in")
}

/// `GET /organizer/events/{id}/check-in`
pub(crate) fn page(cx: WebCx) -> BoxPage {
    Box::pin(async move {
        let id: EventId = cx.id("id")?;
        let actor = cx.signed_in()?.actor;
        render(&cx, actor, id, "", None)
    })
}

/// The page, with the add-staff form as entered and its error after a refusal.
fn render(cx: &WebCx, actor: Actor, id: EventId, email: &str, error: Option<&str>) -> PageReply {
    let event = cx.core_read(|p| p.events().get_managed(&actor, id))?;
    let counts = cx.core_read(|p| p.check_ins().counts(&actor, id))?;
    let staff = cx.core_read(|p| p.check_ins().staff(&actor, id))?;
    let conflicts = cx.core_read(|p| {
        p.check_ins().conflicts(
            &actor,
            id,
            &PageRequest {
                after: None,
                limit: Some(CONFLICTS_SHOWN),
            },
        )
    })?;
    let recent = cx.core_read(|p| p.check_ins().recent(&actor, id, LAST_ADMISSIONS))?;
    let here = path(id);
    let body = html! {
        p.row {
            a href=(format!("/organizer/events/{id}")) { "Back to the event" }
            a.button href=(format!("/events/{id}/door")) { "Open the door page" }
        }
        ul.stats aria-label="Counts" {
            li { strong { (counts.admitted) } "admitted" }
            li { strong { (counts.expected) } "expected" }
        }
        @if counts.by_type.len() > 1 {
            div.table-wrap tabindex="0" {
                table.numbers {
                    caption { "By ticket type" }
                    thead { tr { th scope="col" { "Ticket type" } th scope="col" { "Admitted" } th scope="col" { "Expected" } } }
                    tbody {
                        @for sale_type in &counts.by_type {
                            tr { td { (sale_type.name) } td { (sale_type.admitted) } td { (sale_type.expected) } }
                        }
                    }
                }
            }
        }
        h2 #staff { "Door staff" }
        p.hint { "Staff may scan at this event's door and see its counts, nothing else." }
        @if staff.is_empty() {
            p { "No door staff yet: you and admins can scan." }
        } @else {
            ul {
                @for member in &staff {
                    li {
                        (member.name) " (" (member.email) ") "
                        form.inline method="post" action=(format!("{here}/staff/{}/remove", member.user)) {
                            (csrf_field(cx))
                            button.secondary type="submit" aria-label=(format!("Remove {} from the door staff", member.name)) { "Remove" }
                        }
                    }
                }
            }
        }
        form method="post" action=(format!("{here}/staff")) novalidate {
            (csrf_field(cx))
            (Field::new("email", "E-mail of an existing account", email).kind("email").error(error).render())
            button type="submit" { "Add to the door staff" }
        }
        h2 #conflicts { "Conflicts" }
        @if conflicts.items.is_empty() {
            p { "None: no offline gate let in a seat that was in already or revoked." }
        } @else {
            (conflict_table(&event, &conflicts.items))
        }
        h2 #admissions { "Last admissions" }
        @if recent.is_empty() {
            p { "No one admitted yet." }
        } @else {
            div.table-wrap tabindex="0" {
                table {
                    thead { tr { th scope="col" { "Time" } th scope="col" { "Name" } th scope="col" { "Ticket type" } th scope="col" { "Seat" } th scope="col" { "Gate" } th scope="col" { span.hint { "Actions" } } } }
                    tbody {
                        @for scan in &recent {
                            @let admitted = &scan.admitted;
                            tr {
                                td { (format::event_time(&event, admitted.at)) }
                                td { (who(admitted)) }
                                td { (admitted.ticket_type_name) }
                                td { (admitted.seat) " of " (admitted.of) }
                                td { (admitted.gate) @if scan.offline { " (offline)" } }
                                td {
                                    @if scan.undone { "Undone" } @else {
                                    form.inline method="post" action=(format!("{here}/undo")) {
                                        (csrf_field(cx))
                                        input type="hidden" name="ticket" value=(admitted.ticket);
                                        input type="hidden" name="seat" value=(admitted.seat);
                                        button.secondary type="submit" aria-label=(format!("Undo the admission of {}, seat {}", admitted.name, admitted.seat)) { "Undo" }
                                    }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    form_page(cx, status, &format!("Check-in: {}", event.title), body)
}

/// The conflicts: the seat, what admitted it first (or why it was revoked), and the offline
/// scan that let the person in as well.
fn conflict_table(event: &Event, conflicts: &[Conflict]) -> Markup {
    let scan = |scan: &GateScan| {
        format!(
            "{} · gate {}",
            format::event_time(event, scan.at),
            scan.gate
        )
    };
    html! {
        div.table-wrap tabindex="0" {
            table {
                thead { tr { th scope="col" { "Seat" } th scope="col" { "First" } th scope="col" { "Offline scan" } } }
                tbody {
                    @for conflict in conflicts {
                        tr {
                            td { (conflict.name) " · " (conflict.ticket_type_name) ", seat " (conflict.seat) " of " (conflict.of) }
                            td {
                                @match (&conflict.reason, &conflict.first) {
                                    (ConflictReason::AlreadyAdmitted, Some(first)) => { "Admitted " (scan(first)) }
                                    (ConflictReason::AlreadyAdmitted, None) => { "Admitted before" }
                                    (ConflictReason::Revoked(_), _) => { "Revoked before the scan" }
                                }
                            }
                            td { (scan(&conflict.this)) }
                        }
                    }
                }
            }
        }
    }
}

/// `POST /organizer/events/{id}/check-in/staff` (`email`)
pub(crate) fn add_staff(cx: WebCx) -> BoxPage {
    Box::pin(async move {
        let id: EventId = cx.id("id")?;
        let actor = cx.signed_in()?.actor;
        let email = cx.form.get("email").trim().to_owned();
        let entered = email.clone();
        match cx
            .core(move |p| p.check_ins().add_staff_by_email(&actor, id, &entered))
            .await
        {
            Ok(_) => redirect(&format!("{}?done=staff-added#staff", path(id))),
            // No such account, or not an e-mail address: said beside the field.
            Err(error) if error.refusal_status().is_some() || error.is_not_found() => {
                let message = capitalised(&error.message());
                render(&cx, actor, id, &email, Some(&message))
            }
            Err(error) => Err(error),
        }
    })
}

/// `POST /organizer/events/{id}/check-in/staff/{user}/remove`
pub(crate) fn remove_staff(cx: WebCx) -> BoxPage {
    Box::pin(async move {
        let id: EventId = cx.id("id")?;
        let user: UserId = cx.id("user")?;
        let actor = cx.signed_in()?.actor;
        cx.core(move |p| p.check_ins().remove_staff(&actor, id, user))
            .await?;
        redirect(&format!("{}?done=staff-removed#staff", path(id)))
    })
}

/// `POST /organizer/events/{id}/check-in/undo` (`ticket`, `seat`)
pub(crate) fn undo(cx: WebCx) -> BoxPage {
    Box::pin(async move {
        let id: EventId = cx.id("id")?;
        let actor = cx.signed_in()?.actor;
        let ticket: TicketId = cx
            .form
            .get("ticket")
            .parse()
            .map_err(|_| WebError::NotFound)?;
        let seat: u32 = cx
            .form
            .get("seat")
            .parse()
            .map_err(|_| WebError::NotFound)?;
        cx.core(move |p| p.check_ins().undo(&actor, id, ticket, seat))
            .await?;
        redirect(&format!("{}?done=admission-undone#admissions", path(id)))
    })
}
