//! The names on a ticket's seats: its holder changes them until the event starts (a form per
//! ticket on "My tickets", and a page of its own that shows a refused form again).

use hyper::StatusCode;
use maud::{Markup, html};
use prasang_core::TicketId;
use prasang_core::events::{AttendeeNames, Event, EventStatus};
use prasang_core::tickets::Ticket;

use super::booking::{NAME_FIELD, name_inputs, seat_names};
use super::cx::{BoxPage, PageReply, WebCx};
use super::layout::{capitalised, csrf_field, page_with, redirect};
use prasang_core::Timestamp;

/// Whether the holder may still change the names on `ticket` (the core decides on saving).
pub(crate) fn editable(ticket: &Ticket, event: &Event, now: Timestamp) -> bool {
    let asked =
        event.attendee_names != AttendeeNames::NotAsked || !ticket.attendee_names.is_empty();
    asked
        && ticket.status.is_active()
        && event.status != EventStatus::Cancelled
        && event.starts_at > now
}

/// The form that changes the names on `ticket`'s seats, one field per seat.
pub(crate) fn form(
    ticket: &Ticket,
    csrf: &Markup,
    entered: &[String],
    error: Option<&str>,
) -> Markup {
    html! {
        form.names method="post" action=(format!("/tickets/{}/names", ticket.id)) novalidate {
            (csrf)
            @if let Some(error) = error { p.field-error role="alert" { (error) } }
            (name_inputs(&format!("t{}-", ticket.id), entered, ticket.quantity as usize, error.is_some()))
            button.secondary type="submit" { "Save names" }
        }
    }
}

/// `GET /tickets/{id}/names`: the names form of one ticket.
pub(crate) fn page(cx: WebCx) -> BoxPage {
    Box::pin(async move {
        let id: TicketId = cx.id("id")?;
        let actor = cx.signed_in()?.actor;
        let ticket = cx.core_read(|p| p.tickets().get(&actor, id))?;
        let names = ticket.attendee_names.clone();
        names_page(&cx, &ticket, &names, None, StatusCode::OK)
    })
}

fn names_page(
    cx: &WebCx,
    ticket: &Ticket,
    entered: &[String],
    error: Option<&str>,
    status: StatusCode,
) -> PageReply {
    let event = cx.core_read(|p| p.events().peek(ticket.event))?;
    let open = editable(ticket, &event, cx.prasang().now());
    let body = html! {
        h1 { "Names on the seats" }
        p { strong { (event.title) } }
        @if open || error.is_some() {
            (form(ticket, &csrf_field(cx), entered, error))
        } @else {
            p { "The names on this ticket can no longer be changed." }
        }
        p { a href="/me/tickets" { "Back to my tickets" } }
    };
    page_with(cx, status, "Names on the seats", body)
}

/// `POST /tickets/{id}/names` (`attendee_name`, once per seat in seat order): saves the names
/// and goes back to "My tickets"; a refusal shows the form again with why.
pub(crate) fn change(cx: WebCx) -> BoxPage {
    Box::pin(async move {
        let id: TicketId = cx.id("id")?;
        let actor = cx.signed_in()?.actor;
        let ticket = cx.core_read(|p| p.tickets().get(&actor, id))?;
        let entered = cx.form.all(NAME_FIELD);
        let names = match seat_names(&entered, i64::from(ticket.quantity)) {
            Ok(names) => names,
            Err(message) => {
                let status = StatusCode::UNPROCESSABLE_ENTITY;
                return names_page(&cx, &ticket, &entered, Some(&message), status);
            }
        };
        match cx
            .core(move |p| p.tickets().set_attendee_names(&actor, id, &names))
            .await
        {
            Ok(_) => redirect("/me/tickets?done=names-saved"),
            Err(error) => match error.refusal_status() {
                Some(status) => {
                    let message = error
                        .field()
                        .map_or_else(|| error.message(), |field| field.message.clone());
                    let message = capitalised(&message);
                    names_page(&cx, &ticket, &entered, Some(&message), status)
                }
                None => Err(error),
            },
        }
    })
}

/// The names on a ticket's seats ("Seat 1: Ada"), unnamed seats left out.
pub(crate) fn seat_list(names: &[String]) -> Markup {
    html! {
        ul.seat-names aria-label="Names on the seats" {
            @for (seat, name) in names.iter().enumerate().filter(|(_, name)| !name.is_empty()) {
                li { "Seat " (seat + 1) ": " (name) }
            }
        }
    }
}
