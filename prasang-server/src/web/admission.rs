//! Admission codes on the attendee's pages: each seat's QR code as inline SVG with the code text
//! under it (for a door whose scanner fails, staff type the text), on "My tickets" and on a
//! printable page per ticket. The codes are the core's; who may see them is the core's rule.

use maud::{Markup, PreEscaped, html};
use prasang_core::TicketId;
use prasang_core::admission::{SeatCode, qr};
use prasang_core::auth::Actor;

use super::cx::{BoxPage, WebCx};
use super::error::WebError;
use super::format;
use super::layout::page;

/// A ticket's seat codes as the holder (or the organizer) may see them.
pub(crate) fn codes(cx: &WebCx, actor: Actor, ticket: TicketId) -> Result<Vec<SeatCode>, WebError> {
    cx.core_read(|p| p.admissions().codes(&actor, ticket))
}

/// One seat: its QR code, the code text and "Seat n of m".
fn seat(code: &SeatCode, what: &str) -> Markup {
    html! {
        figure.seat-code aria-label=(format!("Seat {} of {} {what}", code.seat, code.of)) {
            // The core draws the SVG from the code alone: no user text is in it.
            @if let Some(svg) = qr::svg(&code.code) {
                div.qr { (PreEscaped(svg)) }
            }
            figcaption {
                "Seat " (code.seat) " of " (code.of)
                br; code.code-text { (code.code) }
            }
        }
    }
}

/// A booked ticket's seats on "My tickets", under the event's name, with the link to its
/// printable page.
pub(crate) fn seats_section(ticket: TicketId, title: &str, codes: &[SeatCode]) -> Markup {
    html! {
        section.ticket-codes {
            h3 { (title) }
            div.codes {
                @for code in codes { (seat(code, &format!("for {title}"))) }
            }
            a href=(format!("/tickets/{ticket}/print")) aria-label=(format!("Print the admission codes for {title}")) { "Print" }
        }
    }
}

/// `GET /tickets/{id}/print`: the ticket's codes, one seat a block, for paper (print CSS).
pub(crate) fn print(cx: WebCx) -> BoxPage {
    Box::pin(async move {
        let id: TicketId = cx.id("id")?;
        let actor = cx.signed_in()?.actor;
        let codes = codes(&cx, actor, id)?;
        let ticket = cx.core_read(|p| p.tickets().get(&actor, id))?;
        let event = cx.core_read(|p| p.events().peek(ticket.event))?;
        let body = html! {
            h1 { (event.title) }
            p.meta { (format::event_time(&event, event.starts_at)) " · " (event.location) }
            p.no-print { "Print this page, or show a code on your phone at the door. " a href="/me/tickets" { "Back to my tickets" } }
            div.codes.printable {
                @for code in &codes { (seat(code, &format!("for {}", event.title))) }
            }
        };
        page(&cx, &format!("Tickets for {}", event.title), body)
    })
}
