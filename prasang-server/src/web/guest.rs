//! Guest checkout: someone not signed in books with a name and an e-mail address (on the event
//! page, and in the booking widget of [`super::embed`]). The core finds or makes the guest
//! account of the address and books by the usual rules; the confirmation page says where the
//! tickets and the sign-in link went, whether or not the address was known (nothing here tells).

use hyper::StatusCode;
use maud::{Markup, html};
use prasang_core::EventId;
use prasang_core::events::Event;
use prasang_core::guests::{GuestCheckout, GuestError};
use prasang_core::tickets::{Ticket, TicketStatus};

use super::booking::{Order, Purchase};
use super::cx::{BoxPage, WebCx};
use super::error::WebError;
use super::events::{refused, render};
use super::format;
use super::layout::page;
use super::tickets::{TypeNames, ticket_cells};
use super::waitlist::JoinForm;
use crate::problem::ApiError;

/// What a guest's form post came to.
pub(crate) enum Checkout {
    /// Booked (or held awaiting payment): the ticket and the address it was sent to.
    Booked { ticket: Box<Ticket>, email: String },
    /// The form again: a code applied, or the order refused (why is in the purchase).
    Again(Box<Purchase>, StatusCode),
}

/// Reads a guest's booking form for `event` and books it (`step=quote` only applies the code:
/// there is no account to quote for, so the form comes back with the types it reveals).
pub(crate) async fn checkout(cx: &WebCx, event: EventId) -> Result<Checkout, WebError> {
    let order = Order::entered(&cx.form);
    let request = match order.request(event) {
        Ok(request) => request,
        Err(message) => {
            let purchase = Purchase::refused_with(order, message, Some("attendee_names"));
            return Ok(Checkout::Again(
                Box::new(purchase),
                StatusCode::UNPROCESSABLE_ENTITY,
            ));
        }
    };
    if cx.form.get("step") == "quote" {
        let purchase = Purchase {
            order,
            ..Purchase::default()
        };
        return Ok(Checkout::Again(Box::new(purchase), StatusCode::OK));
    }
    let checkout = GuestCheckout {
        name: order.buyer_name.clone(),
        email: order.buyer_email.clone(),
        booking: request,
    };
    // The booking waits in the booking writer's queue without holding a thread.
    let outcome = cx
        .prasang()
        .guests()
        .book_async(&checkout)
        .await
        .map_err(WebError::from);
    cx.state
        .metrics
        .booking(outcome.as_ref().map(|o| o.replayed).map_err(|_| ()));
    match outcome {
        Ok(outcome) => Ok(Checkout::Booked {
            ticket: Box::new(outcome.ticket),
            email: order.buyer_email,
        }),
        Err(error) => {
            if let Some(message) = limit_without_holdings(&error) {
                let purchase = Purchase::refused_with(order, message, None);
                return Ok(Checkout::Again(Box::new(purchase), StatusCode::CONFLICT));
            }
            let (purchase, status) = refused(order, error)?;
            Ok(Checkout::Again(Box::new(purchase), status))
        }
    }
}

/// A per-person limit refused in words that do not say how many seats the address holds
/// already (the core's guest refusal carries none: anyone may type any address here).
fn limit_without_holdings(error: &WebError) -> Option<String> {
    let WebError::Api(ApiError::Core(core)) = error else {
        return None;
    };
    let core: &(dyn std::error::Error + 'static) = core.as_ref();
    let GuestError::LimitReached { limit, ticket_type } = core.downcast_ref::<GuestError>()? else {
        return None;
    };
    let seats = format::seats(*limit);
    Some(match ticket_type {
        None => format!("One e-mail address can book at most {seats} for this event in all."),
        Some((_, _, name)) => {
            format!(
                "{name}: one e-mail address can book at most {seats} of this ticket type in all."
            )
        }
    })
}

/// `POST /events/{id}/guest` (`name`, `email`, the booking form's fields): books for a guest
/// and shows the confirmation; a refusal shows the event page again with the form as entered.
pub(crate) fn book(cx: WebCx) -> BoxPage {
    Box::pin(async move {
        let event: EventId = cx.id("id")?;
        match checkout(&cx, event).await? {
            Checkout::Booked { ticket, email } => {
                let shown = cx.core_read(|p| p.events().peek(event))?;
                let names = type_names(&cx, &ticket);
                let body = html! {
                    h1 { (heading(&ticket)) }
                    (confirmation(&shown, &ticket, &email, &names))
                    p { a href=(format!("/events/{event}")) { "Back to the event" } }
                };
                page(&cx, heading(&ticket), body)
            }
            Checkout::Again(purchase, status) => {
                render(&cx, event, *purchase, JoinForm::default(), status)
            }
        }
    })
}

/// The names of the ticket types of `ticket`'s event as a visitor sees them (with those its
/// code revealed).
pub(crate) fn type_names(cx: &WebCx, ticket: &Ticket) -> TypeNames {
    cx.core_read(|p| {
        p.tickets()
            .types_for(None, ticket.event, ticket.promo_code.as_deref())
    })
    .map(|types| TypeNames::of(&types))
    .unwrap_or_default()
}

/// "Booked" or "Seats held".
pub(crate) fn heading(ticket: &Ticket) -> &'static str {
    match ticket.status {
        TicketStatus::Pending => "Seats held",
        _ => "Booked",
    }
}

/// What a guest booked, and where the tickets and the sign-in link went.
pub(crate) fn confirmation(
    event: &Event,
    ticket: &Ticket,
    email: &str,
    names: &TypeNames,
) -> Markup {
    html! {
        section.confirmation aria-label="Your booking" {
            p { strong { (event.title) } br; span.meta { (format::event_time(event, event.starts_at)) " · " (event.location) } }
            div.table-wrap tabindex="0" {
                table {
                    thead { tr { th scope="col" { "Seats" } th scope="col" { "Amount" } th scope="col" { "Status" } } }
                    tbody { tr { (ticket_cells(ticket, &event.currency, names)) } }
                }
            }
            @if ticket.attendee_names.iter().any(|name| !name.is_empty()) {
                (super::names::seat_list(&ticket.attendee_names))
            }
            p.notice role="status" { "We e-mailed your tickets and a sign-in link to " strong { (email) } "." }
            @if ticket.status == TicketStatus::Pending {
                p.hint { "Your seats are held until the organizer confirms your payment." }
            }
        }
    }
}
