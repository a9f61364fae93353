//! `/api/v1/tickets/*`, booking under `/api/v1/events/{id}/tickets`, and `/api/v1/me/tickets`.

use hyper::header::HeaderValue;
use prasang_core::limits;
use prasang_core::tickets::{BookingLine, BookingOutcome, BookingRequest};
use prasang_core::{EventId, TicketId};
use serde::Deserialize;
use serde_json::{Value, json};

use super::page_request;
use crate::problem::ApiError;
use crate::request::{Ctx, Reply, created};
use crate::schema::{integer, string};

/// Booking body: `quantity` seats of the event's default type, or seats per type in `lines`,
/// with an optional promo code and names per seat; the body may be empty (one seat).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Booking {
    pub(crate) quantity: Option<i64>,
    #[serde(default)]
    pub(crate) lines: Vec<BookingLine>,
    #[serde(default)]
    pub(crate) promo_code: Option<String>,
    #[serde(default)]
    pub(crate) attendee_names: Vec<String>,
    /// The waiting room pass, while the event's room is on.
    #[serde(default)]
    pub(crate) pass: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AttendeeNamesChange {
    attendee_names: Vec<String>,
}

impl Booking {
    /// The core's request for these seats of `event`.
    pub(crate) fn request(self, event: EventId, idempotency_key: Option<String>) -> BookingRequest {
        // Without lines, one seat unless told; with lines, their sum is the quantity.
        let quantity = self
            .quantity
            .unwrap_or(if self.lines.is_empty() { 1 } else { 0 });
        BookingRequest {
            event,
            quantity,
            idempotency_key,
            lines: self.lines,
            promo_code: self.promo_code,
            attendee_names: self.attendee_names,
            pass: self.pass,
        }
    }
}

pub(crate) async fn book(cx: Ctx) -> Reply {
    let event: EventId = cx.id("id")?;
    let (actor, body): (_, Booking) = cx.caller_and_body().await?;
    let key = cx.header("idempotency-key")?.map(str::to_owned);
    let request = body.request(event, key);
    // Awaited here on the async worker: the core's booking writer answers through the
    // future, so a booking occupies no blocking-pool thread while it waits for its batch.
    let outcome = cx.prasang().tickets().book_async(&actor, &request).await;
    counted(&cx, outcome)
}

/// Counts a booking's outcome in the metrics and answers it as [`booked`] (or the refusal).
pub(crate) fn counted<E>(cx: &Ctx, outcome: Result<BookingOutcome, E>) -> Reply
where
    ApiError: From<E>,
{
    cx.state
        .metrics
        .booking(outcome.as_ref().map(|o| o.replayed));
    booked(&outcome?)
}

/// `201 Created` with the ticket a booking (or an accepted waiting-list offer) made, marked
/// `Idempotent-Replayed` when it is the answer to an earlier request.
pub(crate) fn booked(outcome: &BookingOutcome) -> Reply {
    let mut response = created(
        format!("/api/v1/tickets/{}", outcome.ticket.id),
        &outcome.ticket,
    )?;
    if outcome.replayed {
        response
            .headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Ok(response)
}

/// What the booking in the body would cost the caller now; nothing is held.
pub(crate) async fn quote(cx: Ctx) -> Reply {
    let event: EventId = cx.id("id")?;
    cx.answer_with_body(move |p, actor, body: Booking| {
        p.tickets().quote(actor, &body.request(event, None))
    })
    .await
}

pub(crate) async fn get(cx: Ctx) -> Reply {
    let id: TicketId = cx.id("id")?;
    cx.answer(move |p, actor| p.tickets().get(actor, id)).await
}

pub(crate) async fn cancel(cx: Ctx) -> Reply {
    let id: TicketId = cx.id("id")?;
    cx.answer(move |p, actor| p.tickets().cancel(actor, id))
        .await
}

/// `PUT /api/v1/tickets/{id}/attendee-names`: the holder renames the seats.
pub(crate) async fn set_attendee_names(cx: Ctx) -> Reply {
    let id: TicketId = cx.id("id")?;
    cx.answer_with_body(move |p, actor, change: AttendeeNamesChange| {
        p.tickets()
            .set_attendee_names(actor, id, &change.attendee_names)
    })
    .await
}

pub(crate) async fn confirm_payment(cx: Ctx) -> Reply {
    let id: TicketId = cx.id("id")?;
    cx.answer(move |p, actor| p.tickets().confirm_payment(actor, id))
        .await
}

pub(crate) async fn list_mine(cx: Ctx) -> Reply {
    let (page, _) = page_request(&cx, &[])?;
    cx.answer(move |p, actor| p.tickets().list_mine(actor, &page))
        .await
}

pub(crate) async fn list_for_event(cx: Ctx) -> Reply {
    let event: EventId = cx.id("id")?;
    let (page, _) = page_request(&cx, &[])?;
    cx.answer(move |p, actor| p.tickets().list_for_event(actor, event, &page))
        .await
}

/// The names per seat a booking or a change gives.
fn attendee_names() -> Value {
    json!({ "type": "array", "maxItems": limits::QUANTITY.max,
        "items": { "type": "string", "maxLength": limits::ATTENDEE_NAME.max },
        "description": "one name per seat in seat order (\"\" leaves a seat unnamed where names are optional), for events that ask for them; leave out for none" })
}

/// OpenAPI schemas of booking bodies, their lines and quotes.
pub(crate) fn schemas() -> Value {
    json!({
        "Booking": {
            "type": "object", "additionalProperties": false,
            "description": "`quantity` seats of the event's first listed type on sale, or seats per type in `lines` (all booked or none)",
            "properties": {
                "quantity": { "type": "integer", "minimum": limits::QUANTITY.min,
                    "maximum": limits::QUANTITY.max, "default": 1,
                    "description": "without lines: the seats (default 1); with lines: leave it out or give their sum" },
                "lines": { "type": "array", "maxItems": limits::BOOKING_LINES.max,
                    "items": { "$ref": "#/components/schemas/BookingLine" } },
                "promo_code": { "type": ["string", "null"], "maxLength": limits::PROMO_CODE.max,
                    "description": "a promo code of the event, any case; empty: none" },
                "attendee_names": attendee_names(),
                "pass": { "type": ["string", "null"],
                    "description": "while the event's waiting room is on: the pass the room gave the caller on admission (GET …/waiting-room/me); without a live one the booking is refused (429 pass-required, 403 pass-invalid)" }
            },
            "examples": [{ "quantity": 2 }, { "lines": [{ "ticket_type": 1, "quantity": 2 }],
                "promo_code": "EARLY", "pass": "AQGT...Zw.x1c...Q" }]
        },
        "AttendeeNamesChange": {
            "type": "object", "additionalProperties": false, "required": ["attendee_names"],
            "properties": { "attendee_names": attendee_names() }
        },
        "BookingLine": {
            "type": "object", "additionalProperties": false, "required": ["ticket_type", "quantity"],
            "properties": {
                "ticket_type": { "type": "integer", "minimum": 1 },
                "quantity": integer(limits::QUANTITY)
            }
        },
        "TicketLine": {
            "type": "object",
            "properties": {
                "ticket_type": { "type": "integer" }, "quantity": { "type": "integer" },
                "unit_price_minor": { "type": "integer", "description": "one seat before the discount, as charged then" },
                "discount_minor": { "type": "integer", "description": "what the promo code took off the line" }
            }
        },
        "Quote": {
            "type": "object",
            "properties": {
                "currency": string(),
                "lines": { "type": "array", "items": { "type": "object", "properties": {
                    "ticket_type": { "type": "integer" }, "name": string(),
                    "quantity": { "type": "integer" }, "unit_price_minor": { "type": "integer" },
                    "discount_minor": { "type": "integer" }, "amount_minor": { "type": "integer" } } } },
                "discount_minor": { "type": "integer" }, "amount_minor": { "type": "integer" },
                "status": { "enum": ["pending", "booked"], "description": "booked when nothing is to be paid" },
                "promo_code": { "type": ["string", "null"] }
            }
        }
    })
}
