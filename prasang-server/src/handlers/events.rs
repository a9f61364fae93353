//! `/api/v1/events/*` and `/api/v1/me/events`.

use hyper::StatusCode;
use prasang_core::EventId;
use prasang_core::events::{EventQuery, EventUpdate, NewEvent};

use super::page_request;
use crate::request::{BoxReply, Ctx, created, json, no_content};

pub(crate) fn list(cx: Ctx) -> BoxReply {
    Box::pin(async move {
        let (page, params) = page_request(&cx, &["text", "local_date"])?;
        let query = EventQuery {
            text: params.get("text").cloned(),
            local_date: params.get("local_date").cloned(),
            page,
        };
        let page = cx.core_read(|p| p.events().list(&query))?;
        json(StatusCode::OK, &page)
    })
}

pub(crate) fn list_mine(cx: Ctx) -> BoxReply {
    Box::pin(async move {
        let (page, _) = page_request(&cx, &[])?;
        let actor = cx.actor().await?;
        let page = cx
            .core(move |p| p.events().list_by_organizer(&actor, actor.user_id(), &page))
            .await?;
        json(StatusCode::OK, &page)
    })
}

pub(crate) fn get(cx: Ctx) -> BoxReply {
    Box::pin(async move {
        let id: EventId = cx.id("id")?;
        let event = cx.core_read(|p| p.events().get(id))?;
        json(StatusCode::OK, &event)
    })
}

pub(crate) fn create(cx: Ctx) -> BoxReply {
    Box::pin(async move {
        let actor = cx.actor().await?;
        let new: NewEvent = cx.json()?;
        let event = cx.core(move |p| p.events().create(&actor, new)).await?;
        created(format!("/api/v1/events/{}", event.id), &event)
    })
}

pub(crate) fn update(cx: Ctx) -> BoxReply {
    Box::pin(async move {
        let id: EventId = cx.id("id")?;
        let actor = cx.actor().await?;
        let update: EventUpdate = cx.json()?;
        let event = cx
            .core(move |p| p.events().update(&actor, id, update))
            .await?;
        json(StatusCode::OK, &event)
    })
}

pub(crate) fn delete(cx: Ctx) -> BoxReply {
    Box::pin(async move {
        let id: EventId = cx.id("id")?;
        let actor = cx.actor().await?;
        cx.core(move |p| p.events().delete(&actor, id)).await?;
        no_content()
    })
}

pub(crate) fn cancel(cx: Ctx) -> BoxReply {
    Box::pin(async move {
        let id: EventId = cx.id("id")?;
        let actor = cx.actor().await?;
        let event = cx.core(move |p| p.events().cancel(&actor, id)).await?;
        json(StatusCode::OK, &event)
    })
}
