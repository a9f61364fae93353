//! `/api/v1/events/{id}/feedback*`: attendees rate events they attended; organizers list and
//! answer. Every rule (holder, started, one each, who may read or reply) is in the core.

use prasang_core::feedback::{FeedbackInput, ReplyInput};
use prasang_core::limits;
use prasang_core::{EventId, UserId};
use serde_json::{Value, json};

use super::page_request;
use crate::request::{Ctx, Reply, created, no_content, ok};
use crate::schema::{id, time};

pub(crate) async fn give(cx: Ctx) -> Reply {
    let event: EventId = cx.id("id")?;
    let (actor, input): (_, FeedbackInput) = cx.caller_and_body().await?;
    let feedback = cx
        .core(move |p| p.feedback().give(&actor, event, input))
        .await?;
    created(format!("/api/v1/events/{event}/feedback/mine"), &feedback)
}

pub(crate) async fn mine(cx: Ctx) -> Reply {
    let event: EventId = cx.id("id")?;
    let actor = cx.actor().await?;
    ok(&cx.core_read(|p| p.feedback().mine(&actor, event))?)
}

pub(crate) async fn edit(cx: Ctx) -> Reply {
    let event: EventId = cx.id("id")?;
    cx.answer_with_body(move |p, actor, input: FeedbackInput| {
        p.feedback().edit(actor, event, input)
    })
    .await
}

pub(crate) async fn delete(cx: Ctx) -> Reply {
    let event: EventId = cx.id("id")?;
    cx.as_caller(move |p, actor| p.feedback().delete(actor, event))
        .await?;
    no_content()
}

pub(crate) async fn list(cx: Ctx) -> Reply {
    let event: EventId = cx.id("id")?;
    let (page, _) = page_request(&cx, &[])?;
    let actor = cx.actor().await?;
    ok(&cx.core_read(|p| p.feedback().list_for_event(&actor, event, &page))?)
}

pub(crate) async fn reply(cx: Ctx) -> Reply {
    let event: EventId = cx.id("id")?;
    let user: UserId = cx.id("user")?;
    cx.answer_with_body(move |p, actor, input: ReplyInput| {
        p.feedback().reply(actor, event, user, input)
    })
    .await
}

/// OpenAPI schemas of the feedback routes.
pub(crate) fn schemas() -> Value {
    let (id, time) = (id(), time());
    json!({
        "Feedback": {
            "type": "object",
            "properties": {
                "event": id, "user": id,
                "rating": { "type": "integer", "minimum": 1, "maximum": 5 },
                "comment": { "type": ["string", "null"] },
                "created_at": time, "updated_at": time,
                "reply": { "oneOf": [ { "type": "null" }, { "$ref": "#/components/schemas/Reply" } ] }
            }
        },
        "Reply": {
            "type": "object",
            "properties": { "text": { "type": "string" }, "by": id, "updated_at": time }
        },
        "FeedbackPage": {
            "type": "object",
            "required": ["items"],
            "properties": {
                "items": { "type": "array", "items": { "$ref": "#/components/schemas/Feedback" } },
                "next": { "type": ["string", "null"], "description": "cursor for `after`" }
            }
        },
        "FeedbackInput": {
            "type": "object", "additionalProperties": false, "required": ["rating"],
            "properties": {
                "rating": { "type": "integer", "minimum": limits::RATING.min, "maximum": limits::RATING.max },
                "comment": { "type": ["string", "null"], "maxLength": limits::COMMENT.max,
                    "description": "trimmed; no control characters except line breaks and tabs" }
            }
        },
        "ReplyInput": {
            "type": "object", "additionalProperties": false, "required": ["text"],
            "properties": {
                "text": { "type": "string", "minLength": limits::REPLY.min, "maxLength": limits::REPLY.max }
            }
        },
        "EventRating": {
            "type": "object",
            "description": "mean of current ratings (null without ratings) and how many",
            "properties": { "average": { "type": ["number", "null"] }, "count": { "type": "integer" } }
        }
    })
}
