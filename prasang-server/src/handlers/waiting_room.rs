//! An event's waiting room over REST (behaviour in docs/waiting-room.md): the organizer's
//! settings and numbers, whether a room is on (anyone), joining and one's place. Answers about a
//! place carry `Retry-After` while the person waits, so clients poll politely. Who may do what,
//! and when people are admitted, is the core's.

use hyper::header::{HeaderValue, RETRY_AFTER};
use prasang_core::waiting_room::{Place, QueueStatus, RoomSettings};
use prasang_core::{EventId, Timestamp, limits};
use serde::Serialize;
use serde_json::{Value, json};

use crate::problem::poll_interval;
use crate::request::{Ctx, Reply, ok};
use crate::schema::{id, integer, integer_or, time};

/// What anyone may know of an event's room: whether it is on and when the sale opens (a client
/// joins the room before booking while it is on).
#[derive(Serialize)]
struct PublicRoom {
    enabled: bool,
    on_sale_at: Option<Timestamp>,
}

/// `GET /api/v1/events/{id}/waiting-room/settings`: `{enabled, on_sale_at}` (anyone; an event
/// that never had a room reads as off).
pub(crate) async fn public(cx: Ctx) -> Reply {
    let event: EventId = cx.id("id")?;
    let settings = cx.core_read(|p| p.waiting_room().settings(event))?;
    ok(&PublicRoom {
        enabled: settings.is_some_and(|s| s.enabled),
        on_sale_at: settings.map(|s| s.on_sale_at),
    })
}

/// `PUT /api/v1/events/{id}/waiting-room`: the settings; answers the numbers.
pub(crate) async fn configure(cx: Ctx) -> Reply {
    let event: EventId = cx.id("id")?;
    cx.answer_with_body(move |p, actor, settings: RoomSettings| {
        p.waiting_room().configure(actor, event, settings)
    })
    .await
}

/// `GET /api/v1/events/{id}/waiting-room`: the numbers (its organizer or an admin).
pub(crate) async fn numbers(cx: Ctx) -> Reply {
    let event: EventId = cx.id("id")?;
    let actor = cx.actor().await?;
    ok(&cx.core_read(|p| p.waiting_room().numbers(&actor, event))?)
}

/// `POST /api/v1/events/{id}/waiting-room/join`: the caller's place (the same one when joined
/// before), once durable.
pub(crate) async fn join(cx: Ctx) -> Reply {
    let event: EventId = cx.id("id")?;
    let status = cx
        .as_caller(move |p, actor| p.waiting_room().join(actor, event))
        .await?;
    place_reply(&cx, &status)
}

/// `GET /api/v1/events/{id}/waiting-room/me`: the caller's place (two point reads).
pub(crate) async fn mine(cx: Ctx) -> Reply {
    let event: EventId = cx.id("id")?;
    let actor = cx.actor().await?;
    let status = cx.core_read(|p| p.waiting_room().status(&actor, event))?;
    place_reply(&cx, &status)
}

/// `200 OK` with the status, and `Retry-After` while the person waits.
fn place_reply(cx: &Ctx, status: &QueueStatus) -> Reply {
    let mut response = ok(status)?;
    if let Some(seconds) = poll_after(status, cx.prasang().now()) {
        response
            .headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from(seconds));
    }
    Ok(response)
}

/// When someone at `status` should ask again, in seconds: while they wait, the estimate (in
/// the lottery: the time until the draw) clamped by [`poll_interval`]; nothing once admitted,
/// spent or expired (nothing changes by waiting then).
pub(crate) fn poll_after(status: &QueueStatus, now: Timestamp) -> Option<u64> {
    match status.place {
        Place::InLottery { on_sale_at } => {
            let until_draw = (on_sale_at.as_millis() - now.as_millis()).max(0) as u64 / 1000;
            Some(poll_interval(Some(until_draw)))
        }
        Place::Waiting {
            estimated_wait_secs,
            ..
        } => Some(poll_interval(estimated_wait_secs)),
        Place::Admitted { .. } | Place::Spent { .. } | Place::Expired { .. } => None,
    }
}

/// OpenAPI schemas of the waiting room routes.
pub(crate) fn schemas() -> Value {
    let count = || json!({ "type": "integer", "minimum": 0 });
    let seconds = |what: &str| {
        json!({ "type": ["integer", "null"], "minimum": 0,
            "description": format!("{what}; null while no rate is known") })
    };
    let settings_example = json!({ "enabled": true, "on_sale_at": "2026-12-05T10:00:00Z",
        "admission": { "per_minute": 500 }, "pass_minutes": 10 });
    json!({
        "RoomSettings": {
            "type": "object", "additionalProperties": false,
            "required": ["enabled", "on_sale_at", "admission"],
            "properties": {
                "enabled": { "type": "boolean",
                    "description": "while on, booking the event needs a pass; off keeps every place" },
                "on_sale_at": { "type": "string", "format": "date-time",
                    "description": "when the sale opens: earlier arrivals are drawn by lottery then, later ones queue in arrival order; fixed once the lottery is drawn" },
                "admission": { "oneOf": [
                    { "type": "object", "additionalProperties": false, "required": ["per_minute"],
                      "properties": { "per_minute": integer(limits::ROOM_PER_MINUTE) },
                      "description": "this many people per minute" },
                    { "const": "automatic",
                      "description": "as fast as passes are spent, with at most 100 out unspent" }
                ] },
                "pass_minutes": integer_or(limits::PASS_MINUTES, 10)
            },
            "examples": [settings_example.clone(),
                { "enabled": true, "on_sale_at": "2026-12-05T10:00:00Z", "admission": "automatic" }]
        },
        "RoomNumbers": {
            "type": "object",
            "properties": {
                "settings": { "$ref": "#/components/schemas/RoomSettings" },
                "queue_length": count(), "admitted": count(), "spent": count(),
                "abandoned": { "type": "integer", "minimum": 0,
                    "description": "passes that lapsed unspent" },
                "outstanding": { "type": "integer", "minimum": 0,
                    "description": "passes out, neither spent nor lapsed" },
                "lottery_size": { "type": "integer", "minimum": 0,
                    "description": "people who arrived before the on-sale time" },
                "lottery_drawn": { "type": "boolean" },
                "estimated_wait_secs": seconds("the wait of someone joining now")
            },
            "examples": [{ "settings": settings_example, "queue_length": 1200, "admitted": 3000,
                "spent": 2700, "abandoned": 180, "outstanding": 120, "lottery_size": 4000,
                "lottery_drawn": true, "estimated_wait_secs": 146 }]
        },
        "QueueStatus": {
            "type": "object", "required": ["event", "state", "queue_length", "admitted"],
            "description": "one person's place; the fields beside `state` depend on it",
            "properties": {
                "event": id(),
                "state": { "enum": ["in_lottery", "waiting", "admitted", "spent", "expired"] },
                "on_sale_at": { "type": "string", "format": "date-time",
                    "description": "in_lottery: when places are drawn" },
                "position": { "type": "integer", "minimum": 1,
                    "description": "waiting: people ahead plus one" },
                "estimated_wait_secs": seconds("waiting: seconds until admitted"),
                "pass": { "type": "string",
                    "description": "admitted: send it as `pass` with the booking" },
                "expires_at": { "type": "string", "format": "date-time",
                    "description": "admitted: when the pass lapses" },
                "at": { "type": "string", "format": "date-time",
                    "description": "spent, expired: when (joining again queues at the end)" },
                "queue_length": count(), "admitted": count()
            },
            "examples": [
                { "event": "01JEV7S0AVZ3ZP6F3WQ2V2ZK4M", "state": "waiting", "position": 812,
                  "estimated_wait_secs": 98, "queue_length": 1200, "admitted": 3000 },
                { "event": "01JEV7S0AVZ3ZP6F3WQ2V2ZK4M", "state": "admitted",
                  "pass": "AQGT...Zw.x1c...Q", "expires_at": "2026-12-05T10:14:00Z",
                  "queue_length": 1200, "admitted": 3000 }
            ]
        },
        "PublicRoom": {
            "type": "object", "required": ["enabled", "on_sale_at"],
            "properties": {
                "enabled": { "type": "boolean",
                    "description": "booking needs a pass from the room (join it first)" },
                "on_sale_at": { "oneOf": [time(), { "type": "null" }],
                    "description": "null: the event never had a room" }
            },
            "examples": [{ "enabled": true, "on_sale_at": "2026-12-05T10:00:00Z" },
                { "enabled": false, "on_sale_at": null }]
        }
    })
}
