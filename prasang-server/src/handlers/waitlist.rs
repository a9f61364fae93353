//! An event's waiting list over REST (behaviour in docs/waitlist.md): its public numbers, the
//! organizer's settings and list, joining and leaving, and accepting or declining an offer. Who
//! may do what, and when seats are offered, is the core's; this reads requests and shapes
//! answers.

use prasang_core::EventId;
use prasang_core::limits;
use prasang_core::waitlist::{JoinRequest, WaitlistSettings};
use serde_json::{Value, json};

use super::page_request;
use crate::problem::ApiError;
use crate::request::{Ctx, Reply, created, no_content, ok};
use crate::schema::{id, integer_or, list_of, page_of, string, time};

/// The event and the entry a route names (`{id}`, `{entry}`).
fn event_and_entry(cx: &Ctx) -> Result<(EventId, u64), ApiError> {
    Ok((cx.id("id")?, cx.number("entry")?))
}

/// `GET /api/v1/events/{id}/waitlist`: the settings and numbers, no names (anyone).
pub(crate) async fn status(cx: Ctx) -> Reply {
    let event: EventId = cx.id("id")?;
    ok(&cx.core_read(|p| p.waitlist().status(event))?)
}

/// `PUT /api/v1/events/{id}/waitlist/settings`
pub(crate) async fn configure(cx: Ctx) -> Reply {
    let event: EventId = cx.id("id")?;
    cx.answer_with_body(move |p, actor, settings: WaitlistSettings| {
        p.waitlist().configure(actor, event, settings)
    })
    .await
}

/// `POST /api/v1/events/{id}/waitlist`: 201 with the entry and its position.
pub(crate) async fn join(cx: Ctx) -> Reply {
    let event: EventId = cx.id("id")?;
    let (actor, request): (_, JoinRequest) = cx.caller_and_body().await?;
    let entry = cx
        .core(move |p| p.waitlist().join(&actor, event, &request))
        .await?;
    created(format!("/api/v1/events/{event}/waitlist/mine"), &entry)
}

/// `GET /api/v1/events/{id}/waitlist/mine`
pub(crate) async fn mine_for(cx: Ctx) -> Reply {
    let event: EventId = cx.id("id")?;
    let actor = cx.actor().await?;
    let items = cx.core_read(|p| p.waitlist().mine_for(&actor, event))?;
    ok(&json!({ "items": items }))
}

/// `GET /api/v1/me/waitlist`: the caller's entries of every event, offers first.
pub(crate) async fn mine(cx: Ctx) -> Reply {
    let actor = cx.actor().await?;
    let items = cx.core_read(|p| p.waitlist().mine(&actor))?;
    ok(&json!({ "items": items }))
}

/// `GET /api/v1/events/{id}/waitlist/entries?after=&limit=`: the list with names.
pub(crate) async fn list(cx: Ctx) -> Reply {
    let event: EventId = cx.id("id")?;
    let (page, _) = page_request(&cx, &[])?;
    let actor = cx.actor().await?;
    ok(&cx.core_read(|p| p.waitlist().list(&actor, event, &page))?)
}

/// `DELETE /api/v1/events/{id}/waitlist/{entry}`: the entry's user leaving, or the organizer
/// (or an admin) removing it.
pub(crate) async fn leave(cx: Ctx) -> Reply {
    let (event, entry) = event_and_entry(&cx)?;
    cx.as_caller(move |p, actor| p.waitlist().leave(actor, event, entry))
        .await?;
    no_content()
}

/// `POST /api/v1/events/{id}/waitlist/{entry}/accept`: books the offered seats; 201 with the
/// ticket, as a booking answers (`Idempotent-Replayed` when accepted before).
pub(crate) async fn accept(cx: Ctx) -> Reply {
    let (event, entry) = event_and_entry(&cx)?;
    let actor = cx.actor().await?;
    // Awaited on the async worker, as a booking is: the booking writer answers the future.
    let outcome: Result<_, ApiError> =
        match cx.prasang().waitlist().accept_async(&actor, event, entry) {
            Ok(pending) => pending.await.map_err(Into::into),
            Err(refused) => Err(refused.into()),
        };
    super::tickets::counted(&cx, outcome)
}

/// `POST /api/v1/events/{id}/waitlist/{entry}/decline`: the seats go to the next in line.
pub(crate) async fn decline(cx: Ctx) -> Reply {
    let (event, entry) = event_and_entry(&cx)?;
    cx.as_caller(move |p, actor| p.waitlist().decline(actor, event, entry))
        .await?;
    no_content()
}

/// The `{entry}` path parameter.
pub(crate) fn entry_schema() -> Value {
    json!({ "type": "integer", "minimum": 1,
        "description": "the entry's number within the event's waiting list (joining order)" })
}

/// OpenAPI schemas of the waiting list routes.
pub(crate) fn schemas() -> Value {
    let count = || json!({ "type": "integer", "minimum": 0 });
    let settings = json!({
        "type": "object", "additionalProperties": false, "required": ["enabled"],
        "properties": {
            "enabled": { "type": "boolean",
                "description": "people may join (entries already in the list are served either way)" },
            "paused": { "type": "boolean", "default": false,
                "description": "hold offers back for now; freed seats stay with the list" },
            "offer_window_minutes": integer_or(limits::OFFER_WINDOW_MINUTES, 24 * 60),
            "offer_what_fits": { "type": "boolean", "default": false,
                "description": "offer the head of the line the seats that fit when fewer came free than it waits for" }
        }
    });
    let entry_properties = json!({
        "event": id(), "entry": entry_schema(), "ticket_type": { "type": "integer" },
        "seats": { "type": "integer" }, "joined_at": time(),
        "position": { "type": ["integer", "null"], "minimum": 1,
            "description": "while waiting: the place among those waiting for the same type" },
        "offer": { "oneOf": [{ "$ref": "#/components/schemas/WaitlistOffer" }, { "type": "null" }] }
    });
    let mut member_properties = entry_properties.clone();
    if let Some(properties) = member_properties.as_object_mut() {
        properties.insert("user".into(), id());
        properties.insert("name".into(), string());
        properties.insert("email".into(), string());
    }
    json!({
        "WaitlistSettings": settings,
        "WaitlistStatus": {
            "type": "object",
            "properties": {
                "settings": { "$ref": "#/components/schemas/WaitlistSettings" },
                "waiting": count(), "waiting_seats": count(),
                "offers": count(), "offered_seats": count(),
                "held_back_seats": { "type": "integer", "minimum": 0,
                    "description": "free seats kept for the people waiting (the first in line waits for more, or offers are paused): bookings find them sold out" }
            }
        },
        "WaitlistJoin": {
            "type": "object", "additionalProperties": false, "required": ["seats"],
            "properties": {
                "ticket_type": { "type": ["integer", "null"], "minimum": 1,
                    "description": "the type waited for; left out: the event's default type" },
                "seats": { "type": "integer", "minimum": 1,
                    "description": "1 up to the event's (and the type's) per-person limit" }
            }
        },
        "WaitlistOffer": {
            "type": "object",
            "properties": {
                "seats": { "type": "integer" },
                "deadline": { "type": "string", "format": "date-time",
                    "description": "when the offer lapses and the seats go to the next in line" }
            }
        },
        "WaitlistEntry": { "type": "object", "properties": entry_properties },
        "WaitlistEntryList": list_of("WaitlistEntry"),
        "WaitlistMember": { "type": "object", "properties": member_properties },
        "WaitlistMemberPage": page_of("WaitlistMember"),
    })
}
