//! An attendee's tickets: booking, the list with cancel and each booked seat's admission code
//! ([`super::admission`]), and feedback on events they attended.

use maud::{Markup, html};
use prasang_core::feedback::FeedbackInput;
use std::collections::HashMap;

use prasang_core::auth::Actor;
use prasang_core::events::{TicketType, TicketTypeId};
use prasang_core::tickets::{Ticket, TicketStatus};
use prasang_core::{EventId, TicketId};

use super::cx::{BoxPage, WebCx};
use super::error::WebError;
use super::format;
use super::layout::{csrf_field, page, redirect};
use super::{admission, names, waitlist};

/// `GET /me/tickets?after=`: the user's tickets with status, hold expiry and cancel.
pub(crate) fn mine(cx: WebCx) -> BoxPage {
    Box::pin(async move {
        let actor = cx.signed_in()?.actor;
        let page_request = cx.page_request(50);
        let tickets = cx
            .core(move |p| p.tickets().list_mine(&actor, &page_request))
            .await?;
        let mut rows = Vec::with_capacity(tickets.items.len());
        let mut codes = Vec::new();
        let now = cx.prasang().now();
        for ticket in tickets.items {
            let event = cx.core_read(|p| p.events().peek(ticket.event))?;
            let names = type_names(&cx, &actor, &ticket);
            // Codes of events that are over would only weigh the page down.
            if ticket.status == TicketStatus::Booked && event.ends_at > now {
                let seats = admission::codes(&cx, actor, ticket.id)?;
                codes.push((ticket.id, event.title.clone(), seats));
            }
            rows.push((ticket, event, names));
        }
        // Events whose door the user works: their door pages are found here.
        let door_duty = cx.core_read(|p| p.check_ins().staff_events(&actor))?;
        // (An event deleted since is left out.)
        let mut doors: Vec<_> = door_duty
            .into_iter()
            .filter_map(|event| cx.core_read(|p| p.events().peek(event)).ok())
            .collect();
        doors.sort_by_key(|event| event.starts_at);
        let waitlists = waitlist::on_my_tickets(&cx)?;
        let guest = cx.user.as_ref().is_some_and(|user| user.user.guest);
        let csrf = csrf_field(&cx);
        let body = html! {
            h1 { "My tickets" }
            @if guest {
                p.notice { "You bought without an account. " a href="/me/password" { "Set a password" } " to log in any time without a link." }
            }
            (waitlists)
            @if !doors.is_empty() {
                section.door-duty aria-labelledby="door-duty" {
                    h2 #door-duty { "Door duty" }
                    ul {
                        @for event in &doors {
                            li {
                                a href=(format!("/events/{}/door", event.id)) { "Door page: " (event.title) }
                                " · " span.meta { (format::event_time(event, event.starts_at)) }
                            }
                        }
                    }
                }
            }
            @if rows.is_empty() {
                p { "No tickets yet. " a href="/" { "Find an event" } "." }
            } @else {
                div.table-wrap tabindex="0" {
                    table {
                        thead { tr { th scope="col" { "Event" } th scope="col" { "Seats" } th scope="col" { "Amount" } th scope="col" { "Status" } th scope="col" { span.hint { "Actions" } } } }
                        tbody {
                            @for (ticket, event, names) in &rows {
                                tr {
                                    td {
                                        a href=(format!("/events/{}", event.id)) { (event.title) }
                                        br; span.meta { (format::event_time(event, event.starts_at)) }
                                    }
                                    (ticket_cells(ticket, &event.currency, names))
                                    td {
                                        @if ticket.status.is_active() {
                                            form.inline method="post" action=(format!("/tickets/{}/cancel", ticket.id)) {
                                                (csrf_field(&cx))
                                                button.secondary type="submit" aria-label=(format!("Cancel ticket for {}", event.title)) { "Cancel" }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @if let Some(after) = &tickets.next {
                nav.pager aria-label="Pages" { a href=(format!("/me/tickets?after={after}")) rel="next" { "More tickets" } }
            }
            @let named: Vec<_> = rows.iter().filter(|(ticket, event, _)| names::editable(ticket, event, now) || ticket.attendee_names.iter().any(|name| !name.is_empty())).collect();
            @if !named.is_empty() {
                h2 #names { "Names on the seats" }
                @for (ticket, event, _) in named {
                    section.ticket-names aria-label=(format!("Names on the seats for {}", event.title)) {
                        h3 { (event.title) }
                        @if names::editable(ticket, event, now) {
                            (names::form(ticket, &csrf, &ticket.attendee_names, None))
                        } @else {
                            (names::seat_list(&ticket.attendee_names))
                        }
                    }
                }
            }
            @if !codes.is_empty() {
                h2 #codes { "Admission codes" }
                p.hint { "Show a seat's code at the door (on your phone or printed); each admits one person once." }
                @for (ticket, title, seats) in &codes { (admission::seats_section(*ticket, title, seats)) }
            }
        };
        page(&cx, "My tickets", body)
    })
}

/// The names of the ticket types a holder may see of `ticket`'s event: the listed ones and
/// those its code revealed (when the code no longer works, the listed ones; none once the event
/// is cancelled, and the seats then show without a name).
fn type_names(cx: &WebCx, actor: &Actor, ticket: &Ticket) -> TypeNames {
    let types = |code: Option<&str>| {
        cx.core_read(|p| p.tickets().types_for(Some(actor), ticket.event, code))
    };
    types(ticket.promo_code.as_deref())
        .or_else(|_| types(None))
        .map(|types| TypeNames::of(&types))
        .unwrap_or_default()
}

/// Ticket type names by number, as far as the viewer may see them.
#[derive(Default)]
pub(crate) struct TypeNames(HashMap<TicketTypeId, String>);

impl TypeNames {
    pub(crate) fn of(types: &[TicketType]) -> Self {
        TypeNames(types.iter().map(|t| (t.id, t.name.clone())).collect())
    }

    /// A type's name, if the viewer may see it.
    pub(crate) fn get(&self, id: TicketTypeId) -> Option<&str> {
        self.0.get(&id).map(String::as_str)
    }
}

/// A ticket's seats per type, amount (with the code and what it took off) and status cells (a
/// pending hold shows when it lapses).
pub(crate) fn ticket_cells(ticket: &Ticket, currency: &str, names: &TypeNames) -> Markup {
    let money = |minor: u64| format::money(minor as i64, currency);
    html! {
        td {
            @for (index, line) in ticket.lines.iter().enumerate() {
                @if index > 0 { br; }
                (line.quantity)
                // Kept on one line: "2 × Adult".
                @if let Some(name) = names.0.get(&line.ticket_type) { "\u{a0}×\u{a0}" (name) }
                @else { " " @if line.quantity == 1 { "seat" } @else { "seats" } }
            }
            @if ticket.lines.is_empty() { (ticket.quantity) }
        }
        td {
            (money(ticket.amount_minor))
            @if let Some(code) = &ticket.promo_code {
                br; span.meta {
                    "Code " (code)
                    @if ticket.discount_minor > 0 { ": −" (money(ticket.discount_minor)) }
                }
            }
        }
        td {
            span class=(format!("badge {}", status_class(ticket.status))) { (status_text(ticket.status)) }
            @if let (TicketStatus::Pending, Some(until)) = (ticket.status, ticket.expires_at) {
                br; span.meta { "Held until " (format::instant(until)) }
            }
        }
    }
}

/// A ticket's status in words.
pub(crate) fn status_text(status: TicketStatus) -> &'static str {
    match status {
        TicketStatus::Pending => "Awaiting payment",
        TicketStatus::Booked => "Booked",
        TicketStatus::Cancelled => "Cancelled",
        TicketStatus::Expired => "Hold expired",
    }
}

fn status_class(status: TicketStatus) -> &'static str {
    match status {
        TicketStatus::Pending => "pending",
        TicketStatus::Booked => "booked",
        TicketStatus::Cancelled => "cancelled",
        TicketStatus::Expired => "expired",
    }
}

/// `POST /tickets/{id}/cancel`
pub(crate) fn cancel(cx: WebCx) -> BoxPage {
    Box::pin(async move {
        let id: TicketId = cx.id("id")?;
        let actor = cx.signed_in()?.actor;
        cx.core(move |p| p.tickets().cancel(&actor, id)).await?;
        redirect("/me/tickets?done=cancelled")
    })
}

/// `POST /events/{id}/feedback` (rating, comment): gives feedback, or changes the user's own.
pub(crate) fn feedback(cx: WebCx) -> BoxPage {
    Box::pin(async move {
        let event: EventId = cx.id("id")?;
        let actor = cx.signed_in()?.actor;
        let comment = cx.form.get("comment");
        let input = FeedbackInput {
            rating: cx.form.get("rating").trim().parse().unwrap_or(0),
            comment: (!comment.trim().is_empty()).then(|| comment.to_owned()),
        };
        let exists = match cx.core_read(|p| p.feedback().mine(&actor, event)) {
            Ok(_) => true,
            Err(error) if error.is_not_found() => false,
            Err(error) => return Err(error),
        };
        let saved: Result<_, WebError> = if exists {
            cx.core(move |p| p.feedback().edit(&actor, event, input))
                .await
        } else {
            cx.core(move |p| p.feedback().give(&actor, event, input))
                .await
        };
        saved?;
        redirect(&format!("/events/{event}?done=feedback#feedback"))
    })
}
