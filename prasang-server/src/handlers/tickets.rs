//! `/api/v1/tickets/*`, booking under `/api/v1/events/{id}/tickets`, and `/api/v1/me/tickets`.

use hyper::StatusCode;
use hyper::header::HeaderValue;
use prasang_core::tickets::BookingRequest;
use prasang_core::{EventId, TicketId};
use serde::Deserialize;

use super::page_request;
use crate::request::{BoxReply, Ctx, created, json};

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

pub(crate) fn book(cx: Ctx) -> BoxReply {
    Box::pin(async move {
        let event: EventId = cx.id("id")?;
        let actor = cx.actor().await?;
        let body: Booking = cx.json()?;
        let request = BookingRequest {
            event,
            quantity: body.quantity,
            idempotency_key: cx.header("idempotency-key")?.map(str::to_owned),
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
    })
}

pub(crate) fn get(cx: Ctx) -> BoxReply {
    Box::pin(async move {
        let id: TicketId = cx.id("id")?;
        let actor = cx.actor().await?;
        let ticket = cx.core(move |p| p.tickets().get(&actor, id)).await?;
        json(StatusCode::OK, &ticket)
    })
}

pub(crate) fn cancel(cx: Ctx) -> BoxReply {
    Box::pin(async move {
        let id: TicketId = cx.id("id")?;
        let actor = cx.actor().await?;
        let ticket = cx.core(move |p| p.tickets().cancel(&actor, id)).await?;
        json(StatusCode::OK, &ticket)
    })
}

pub(crate) fn confirm_payment(cx: Ctx) -> BoxReply {
    Box::pin(async move {
        let id: TicketId = cx.id("id")?;
        let actor = cx.actor().await?;
        let ticket = cx
            .core(move |p| p.tickets().confirm_payment(&actor, id))
            .await?;
        json(StatusCode::OK, &ticket)
    })
}

pub(crate) fn list_mine(cx: Ctx) -> BoxReply {
    Box::pin(async move {
        let (page, _) = page_request(&cx, &[])?;
        let actor = cx.actor().await?;
        let page = cx
            .core(move |p| p.tickets().list_mine(&actor, &page))
            .await?;
        json(StatusCode::OK, &page)
    })
}

pub(crate) fn list_for_event(cx: Ctx) -> BoxReply {
    Box::pin(async move {
        let event: EventId = cx.id("id")?;
        let (page, _) = page_request(&cx, &[])?;
        let actor = cx.actor().await?;
        let page = cx
            .core(move |p| p.tickets().list_for_event(&actor, event, &page))
            .await?;
        json(StatusCode::OK, &page)
    })
}
