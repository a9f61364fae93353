//! `/api/v1/tickets/*`, booking under `/api/v1/events/{id}/tickets`, and `/api/v1/me/tickets`.

use hyper::header::HeaderValue;
use prasang_core::tickets::BookingRequest;
use prasang_core::{EventId, TicketId};
use serde::Deserialize;

use super::page_request;
use crate::request::{Ctx, Reply, created};

/// Booking body; `quantity` defaults to 1 and the body may be empty.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Booking {
    #[serde(default = "one")]
    quantity: i64,
}

fn one() -> i64 {
    1
}

pub(crate) async fn book(cx: Ctx) -> Reply {
    let event: EventId = cx.id("id")?;
    let (actor, body): (_, Booking) = cx.caller_and_body().await?;
    let request = BookingRequest {
        event,
        quantity: body.quantity,
        idempotency_key: cx.header("idempotency-key")?.map(str::to_owned),
        lines: Vec::new(),
        promo_code: None,
    };
    let metrics = cx.state.metrics.clone();
    // Awaited here on the async worker: the core's booking writer answers through the
    // future, so a booking occupies no blocking-pool thread while it waits for its batch.
    let outcome = cx.prasang().tickets().book_async(&actor, &request).await;
    metrics.booking(outcome.as_ref().map(|o| o.replayed));
    let outcome = outcome?;
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

pub(crate) async fn get(cx: Ctx) -> Reply {
    let id: TicketId = cx.id("id")?;
    cx.answer(move |p, actor| p.tickets().get(actor, id)).await
}

pub(crate) async fn cancel(cx: Ctx) -> Reply {
    let id: TicketId = cx.id("id")?;
    cx.answer(move |p, actor| p.tickets().cancel(actor, id))
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
