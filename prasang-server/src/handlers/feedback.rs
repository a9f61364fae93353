//! `/api/v1/events/{id}/feedback*`: attendees rate events they attended; organizers list and
//! answer. Every rule (holder, started, one each, who may read or reply) is in the core.

use hyper::StatusCode;
use prasang_core::feedback::{FeedbackInput, ReplyInput};
use prasang_core::limits;
use prasang_core::{EventId, UserId};
use serde_json::{Value, json};

use super::page_request;
use crate::request::{BoxReply, Ctx, created, json, no_content};

pub(crate) fn give(cx: Ctx) -> BoxReply {
    Box::pin(async move {
        let event: EventId = cx.id("id")?;
        let actor = cx.actor().await?;
        let input: FeedbackInput = cx.json()?;
        let feedback = cx
            .core(move |p| p.feedback().give(&actor, event, input))
            .await?;
        created(format!("/api/v1/events/{event}/feedback/mine"), &feedback)
    })
}

pub(crate) fn mine(cx: Ctx) -> BoxReply {
    Box::pin(async move {
        let event: EventId = cx.id("id")?;
        let actor = cx.actor().await?;
        let feedback = cx.core_read(|p| p.feedback().mine(&actor, event))?;
        json(StatusCode::OK, &feedback)
    })
}

pub(crate) fn edit(cx: Ctx) -> BoxReply {
    Box::pin(async move {
        let event: EventId = cx.id("id")?;
        let actor = cx.actor().await?;
        let input: FeedbackInput = cx.json()?;
        let feedback = cx
            .core(move |p| p.feedback().edit(&actor, event, input))
            .await?;
        json(StatusCode::OK, &feedback)
    })
}

pub(crate) fn delete(cx: Ctx) -> BoxReply {
    Box::pin(async move {
        let event: EventId = cx.id("id")?;
        let actor = cx.actor().await?;
        cx.core(move |p| p.feedback().delete(&actor, event)).await?;
        no_content()
    })
}

pub(crate) fn list(cx: Ctx) -> BoxReply {
    Box::pin(async move {
        let event: EventId = cx.id("id")?;
        let (page, _) = page_request(&cx, &[])?;
        let actor = cx.actor().await?;
        let page = cx.core_read(|p| p.feedback().list_for_event(&actor, event, &page))?;
        json(StatusCode::OK, &page)
    })
}

pub(crate) fn reply(cx: Ctx) -> BoxReply {
    Box::pin(async move {
        let event: EventId = cx.id("id")?;
        let user: UserId = cx.id("user")?;
        let actor = cx.actor().await?;
        let input: ReplyInput = cx.json()?;
        let feedback = cx
            .core(move |p| p.feedback().reply(&actor, event, user, input))
            .await?;
        json(StatusCode::OK, &feedback)
    })
}

/// OpenAPI schemas of the feedback routes.
pub(crate) fn schemas() -> Value {
    let id =
        json!({ "type": "string", "pattern": "^[0-9A-HJKMNP-TV-Z]{26}$", "description": "ULID" });
    let time = json!({ "type": "string", "format": "date-time" });
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
