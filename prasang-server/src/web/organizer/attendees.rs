//! The attendees of an organizer's event (with the names on their seats, also as CSV), and
//! confirming a held ticket's payment.

use bytes::Bytes;
use http_body_util::Full;
use hyper::Response;
use hyper::header::{CONTENT_DISPOSITION, CONTENT_TYPE, HeaderValue};
use maud::{Markup, html};
use prasang_core::analytics::csv::{Table, to_csv};
use prasang_core::checkin::seat_type;
use prasang_core::events::Event;
use prasang_core::tickets::{Ticket, TicketStatus};
use prasang_core::{EventId, Page, PageRequest, TicketId, UserId};

use crate::web::cx::{BoxPage, WebCx};
use crate::web::layout::{csrf_field, redirect};
use crate::web::names::seat_list;
use crate::web::tickets::{TypeNames, status_text, ticket_cells};

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
                                td {
                                    (name(&ticket.user))
                                    @if ticket.attendee_names.iter().any(|seat| !seat.is_empty()) {
                                        (seat_list(&ticket.attendee_names))
                                    }
                                }
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
            p { a href=(format!("/organizer/events/{id}/attendees.csv")) { "Download the attendees, one seat a row (CSV)" } }
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

/// The attendees one seat a row: the ticket, its holder and status, the seat, its ticket type
/// and the name on it.
struct SeatRows(Vec<Vec<String>>);

impl Table for SeatRows {
    fn header(&self) -> Vec<&'static str> {
        vec![
            "ticket",
            "holder",
            "status",
            "seat",
            "ticket_type",
            "attendee_name",
        ]
    }

    fn rows(&self) -> Vec<Vec<String>> {
        self.0.clone()
    }
}

/// Tickets read for the CSV at a time (the most a page may hold).
const CSV_PAGE: usize = prasang_core::MAX_PAGE_SIZE;

/// `GET /organizer/events/{id}/attendees.csv`: every ticket of the event, one seat a row
/// (the organizer and admins; the core's rule).
pub(crate) fn csv(cx: WebCx) -> BoxPage {
    Box::pin(async move {
        let id: EventId = cx.id("id")?;
        let actor = cx.signed_in()?.actor;
        let people = |tickets: &[Ticket]| tickets.iter().map(|t| t.user).collect::<Vec<_>>();
        let types = cx.core_read(|p| p.events().ticket_types(&actor, id))?;
        let type_names = TypeNames::of(&types);
        let mut rows = Vec::new();
        let mut after = None;
        loop {
            let request = PageRequest {
                after: after.take(),
                limit: Some(CSV_PAGE),
            };
            let page = cx
                .core(move |p| p.tickets().list_for_event(&actor, id, &request))
                .await?;
            let holders = people(&page.items);
            let names = cx.core_read(|p| p.tickets().attendee_names(&actor, id, &holders))?;
            for ticket in &page.items {
                let holder = names.get(&ticket.user).cloned().unwrap_or_default();
                for seat in 1..=ticket.quantity {
                    let type_name = type_names
                        .get(seat_type(ticket, seat))
                        .unwrap_or_default()
                        .to_owned();
                    rows.push(vec![
                        ticket.id.to_string(),
                        holder.clone(),
                        status_text(ticket.status).to_owned(),
                        seat.to_string(),
                        type_name,
                        ticket
                            .attendee_names
                            .get(seat as usize - 1)
                            .cloned()
                            .unwrap_or_default(),
                    ]);
                }
            }
            match page.next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        let mut response = Response::new(Full::new(Bytes::from(to_csv(&SeatRows(rows)))));
        let headers = response.headers_mut();
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("text/csv; charset=utf-8"),
        );
        let file = format!("attachment; filename=\"attendees-{id}.csv\"");
        if let Ok(value) = HeaderValue::from_str(&file) {
            headers.insert(CONTENT_DISPOSITION, value);
        }
        Ok(response)
    })
}
