//! Messages from an event's organizer to its people over REST: the preview count of a segment,
//! sending (at most a few a day), the list, and one message with its delivery report. Every rule
//! (who may write, what a segment holds, the limits) is the core's.

use prasang_core::EventId;
use prasang_core::limits;
use prasang_core::messages::{MessageDraft, Segment};
use serde::Deserialize;
use serde_json::{Value, json};

use super::page_request;
use crate::request::{Ctx, Reply, created, ok};
use crate::schema::{id, page_of, string, text, time};

/// `POST /api/v1/events/{id}/messages/preview`: whom a message to `segment` would reach.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PreviewRequest {
    segment: Segment,
}

pub(crate) async fn preview(cx: Ctx) -> Reply {
    let event: EventId = cx.id("id")?;
    cx.answer_with_body(move |p, actor, request: PreviewRequest| {
        p.messages()
            .preview(actor, event, request.segment)
            .map(|recipients| json!({ "segment": request.segment, "recipients": recipients }))
    })
    .await
}

/// `POST /api/v1/events/{id}/messages`: `201 Created`, the message at its own address.
pub(crate) async fn send(cx: Ctx) -> Reply {
    let event: EventId = cx.id("id")?;
    let (actor, draft): (_, MessageDraft) = cx.caller_and_body().await?;
    let message = cx
        .core(move |p| p.messages().send(&actor, event, draft))
        .await?;
    created(
        format!("/api/v1/events/{event}/messages/{}", message.id),
        &message,
    )
}

pub(crate) async fn list(cx: Ctx) -> Reply {
    let event: EventId = cx.id("id")?;
    let (page, _) = page_request(&cx, &[])?;
    let actor = cx.actor().await?;
    ok(&cx.core_read(|p| p.messages().list(&actor, event, &page))?)
}

/// `GET /api/v1/events/{id}/messages/{message}`: the message and what became of it.
pub(crate) async fn report(cx: Ctx) -> Reply {
    let event: EventId = cx.id("id")?;
    let message: u64 = cx.number("message")?;
    let actor = cx.actor().await?;
    ok(&cx.core_read(|p| p.messages().report(&actor, event, message))?)
}

/// A segment, as requests and answers spell it.
fn segment() -> Value {
    let kind = |name: &str| {
        json!({ "type": "object", "additionalProperties": false, "required": ["kind"],
            "properties": { "kind": { "const": name } } })
    };
    json!({
        "description": "who a message is for: everyone holding an active (booked or pending) ticket, holders of one ticket type, holders with a seat admitted at the door, holders of booked tickets with no seat admitted yet, or everyone on the waiting list",
        "oneOf": [
            kind("all_holders"),
            { "type": "object", "additionalProperties": false, "required": ["kind", "ticket_type"],
              "properties": { "kind": { "const": "ticket_type" },
                  "ticket_type": { "type": "integer", "minimum": 1,
                      "description": "the ticket type's number within the event" } } },
            kind("checked_in"),
            kind("not_checked_in"),
            kind("waiting_list"),
        ]
    })
}

/// The OpenAPI schemas of the message routes.
pub(crate) fn schemas() -> Value {
    let count = || json!({ "type": "integer", "minimum": 0 });
    let segment_ref = || json!({ "$ref": "#/components/schemas/MessageSegment" });
    json!({
        "MessageSegment": segment(),
        "MessagePreviewRequest": {
            "type": "object", "additionalProperties": false, "required": ["segment"],
            "properties": { "segment": segment_ref() }
        },
        "MessagePreview": {
            "type": "object",
            "properties": { "segment": segment_ref(), "recipients": count() }
        },
        "MessageDraft": {
            "type": "object", "additionalProperties": false,
            "required": ["subject", "body", "segment"],
            "properties": {
                "subject": text(limits::MESSAGE_SUBJECT),
                "body": { "type": "string", "minLength": limits::MESSAGE_BODY.min,
                    "maxLength": limits::MESSAGE_BODY.max,
                    "description": "plain text, lines allowed; nothing in it is read as HTML" },
                "segment": segment_ref()
            }
        },
        "Message": {
            "type": "object",
            "properties": {
                "id": { "type": "integer", "minimum": 0,
                    "description": "the sequence number of its message_sent log entry" },
                "event": id(), "sent_by": id(), "segment": segment_ref(),
                "subject": string(), "body": string(), "sent_at": time(),
                "recipients": { "type": ["integer", "null"], "minimum": 0,
                    "description": "people in the segment when it went out; null until then" }
            }
        },
        "MessagePage": page_of("Message"),
        "MessageReport": {
            "type": "object",
            "properties": {
                "message": { "$ref": "#/components/schemas/Message" },
                "unreached": { "type": ["integer", "null"], "minimum": 0,
                    "description": "recipients none of whose channels got a delivery (notifications off); null until it went out" },
                "channels": { "type": "array", "items": { "type": "object", "properties": {
                    "channel": string(), "sent": count(), "failed": count(),
                    "pending": count(),
                    "skipped": { "type": "integer", "minimum": 0,
                        "description": "the channel does not carry organizer messages (a plugin built before prasang:channel@0.3.0)" }
                } } }
            }
        }
    })
}
