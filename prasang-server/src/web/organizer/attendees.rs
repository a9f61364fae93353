//! The attendees of an organizer's event, and confirming a held ticket's payment.

use maud::{Markup, html};
use prasang_core::events::Event;
use prasang_core::tickets::{Ticket, TicketStatus};
use prasang_core::{Page, TicketId, UserId};

use crate::web::cx::{BoxPage, WebCx};
use crate::web::layout::{csrf_field, redirect};
use crate::web::tickets::{TypeNames, ticket_cells};

/// The event page's attendees section: each ticket, with a payment button while it is held.
pub(crate) fn section(
    cx: &WebCx,
    event: &Event,
    tickets: &Page<Ticket>,
    name: &dyn Fn(&UserId) -> String,
    names: &TypeNames,
) -> Markup {
    let id = event.id;
    html! {
        h2 #attendees { "Attendees" }
        @if tickets.items.is_empty() {
            p { "No tickets yet." }
        } @else {
            div.table-wrap tabindex="0" {
                table {
                    thead { tr { th scope="col" { "Ticket" } th scope="col" { "Holder" } th scope="col" { "Seats" } th scope="col" { "Amount" } th scope="col" { "Status" } th scope="col" { span.hint { "Actions" } } } }
                    tbody {
                        @for ticket in &tickets.items {
                            tr {
                                td { code { (short(&ticket.id.to_string())) } }
                                td { (name(&ticket.user)) }
                                (ticket_cells(ticket, &event.currency, names))
                                td {
                                    @if ticket.status == TicketStatus::Pending {
                                        form.inline method="post" action=(format!("/organizer/tickets/{}/confirm", ticket.id)) {
                                            (csrf_field(cx))
                                            button type="submit" { "Confirm payment" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @if let Some(after) = &tickets.next {
                nav.pager aria-label="Pages" { a href=(format!("/organizer/events/{id}?after={after}")) rel="next" { "More tickets" } }
            }
        }
    }
}

/// The last 6 characters of an id: enough to tell rows apart.
pub(super) fn short(id: &str) -> &str {
    &id[id.len().saturating_sub(6)..]
}

/// `POST /organizer/tickets/{id}/confirm`
pub(crate) fn confirm_payment(cx: WebCx) -> BoxPage {
    Box::pin(async move {
        let id: TicketId = cx.id("id")?;
        let actor = cx.signed_in()?.actor;
        let ticket = cx
            .core(move |p| p.tickets().confirm_payment(&actor, id))
            .await?;
        redirect(&format!(
            "/organizer/events/{}?done=confirmed#attendees",
            ticket.event
        ))
    })
}
