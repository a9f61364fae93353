//! `/api/v1/events/*` and `/api/v1/me/events`.

use prasang_core::EventId;
use prasang_core::events::{EventQuery, EventUpdate, NewEvent};

use super::page_request;
use crate::request::{Ctx, Reply, created, no_content, ok};

pub(crate) async fn list(cx: Ctx) -> Reply {
    let (page, params) = page_request(&cx, &["text", "local_date"])?;
    let query = EventQuery {
        text: params.get("text").cloned(),
        local_date: params.get("local_date").cloned(),
        page,
    };
    ok(&cx.core_read(|p| p.events().list(&query))?)
}

pub(crate) async fn list_mine(cx: Ctx) -> Reply {
    let (page, _) = page_request(&cx, &[])?;
    cx.answer(move |p, actor| p.events().list_by_organizer(actor, actor.user_id(), &page))
        .await
}

pub(crate) async fn get(cx: Ctx) -> Reply {
    let id: EventId = cx.id("id")?;
    ok(&cx.core_read(|p| p.events().get(id))?)
}

pub(crate) async fn create(cx: Ctx) -> Reply {
    let (actor, new): (_, NewEvent) = cx.caller_and_body().await?;
    let event = cx.core(move |p| p.events().create(&actor, new)).await?;
    created(format!("/api/v1/events/{}", event.id), &event)
}

pub(crate) async fn update(cx: Ctx) -> Reply {
    let id: EventId = cx.id("id")?;
    cx.answer_with_body(move |p, actor, update: EventUpdate| p.events().update(actor, id, update))
        .await
}

pub(crate) async fn delete(cx: Ctx) -> Reply {
    let id: EventId = cx.id("id")?;
    cx.as_caller(move |p, actor| p.events().delete(actor, id))
        .await?;
    no_content()
}

pub(crate) async fn cancel(cx: Ctx) -> Reply {
    let id: EventId = cx.id("id")?;
    cx.answer(move |p, actor| p.events().cancel(actor, id))
        .await
}
