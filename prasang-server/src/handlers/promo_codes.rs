//! `/api/v1/events/{id}/promo-codes*`: an event's discount codes. Its organizer (or an admin)
//! creates, changes, deactivates and lists them and sees who used them; every rule is the
//! core's (codes are case-insensitive: `{code}` may be given in any case).

use prasang_core::EventId;
use prasang_core::limits;
use prasang_core::promo::{NewPromoCode, PromoCodeUpdate};
use serde_json::{Value, json};

use crate::request::{Ctx, Reply, created, ok};
use crate::schema::{event_time, id, integer, list_of, nullable, text, time};

/// The `{code}` path parameter as given (the core matches it whatever its case).
fn code(cx: &Ctx) -> String {
    cx.param("code").to_owned()
}

pub(crate) async fn list(cx: Ctx) -> Reply {
    let event: EventId = cx.id("id")?;
    let actor = cx.actor().await?;
    let items = cx.core_read(|p| p.promo_codes().list(&actor, event))?;
    ok(&json!({ "items": items }))
}

pub(crate) async fn create(cx: Ctx) -> Reply {
    let event: EventId = cx.id("id")?;
    let (actor, new): (_, NewPromoCode) = cx.caller_and_body().await?;
    let made = cx
        .core(move |p| p.promo_codes().create(&actor, event, new))
        .await?;
    let location = format!("/api/v1/events/{event}/promo-codes/{}", made.code);
    created(location, &made)
}

pub(crate) async fn get(cx: Ctx) -> Reply {
    let event: EventId = cx.id("id")?;
    let (actor, code) = (cx.actor().await?, code(&cx));
    ok(&cx.core_read(|p| p.promo_codes().get(&actor, event, &code))?)
}

pub(crate) async fn update(cx: Ctx) -> Reply {
    let event: EventId = cx.id("id")?;
    let code = code(&cx);
    cx.answer_with_body(move |p, actor, update: PromoCodeUpdate| {
        p.promo_codes().update(actor, event, &code, update)
    })
    .await
}

pub(crate) async fn uses(cx: Ctx) -> Reply {
    let event: EventId = cx.id("id")?;
    let (actor, code) = (cx.actor().await?, code(&cx));
    let items = cx.core_read(|p| p.promo_codes().uses(&actor, event, &code))?;
    ok(&json!({ "items": items }))
}

/// The `{code}` path parameter: a code of the event in any case.
pub(crate) fn code_schema() -> Value {
    let mut schema = text(limits::PROMO_CODE);
    schema["pattern"] = json!("^[A-Za-z0-9-]+$");
    schema["description"] = json!("letters, digits and dashes, in any case");
    schema
}

/// What a code takes off each seat it applies to.
fn discount() -> Value {
    let one = |name: &str, schema: Value| {
        json!({ "type": "object", "additionalProperties": false, "required": [name],
            "properties": { name: schema } })
    };
    json!({
        "description": "`{\"percent\": 20}` off each seat, `{\"per_seat\": 500}` minor units off each seat (never below free), `\"free\"`, or `\"none\"` for a code that only reveals hidden types",
        "oneOf": [
            one("percent", integer(limits::PROMO_PERCENT)),
            one("per_seat", integer(limits::PROMO_AMOUNT)),
            { "enum": ["free", "none"] }
        ]
    })
}

/// A code's settings as a new one takes them; an update takes the same, each optional and the
/// optional ones removable with `null`.
fn code_fields(update: bool) -> Value {
    let optional = |schema: Value| if update { nullable(schema) } else { schema };
    let types = |what: &str| {
        json!({ "type": "array", "maxItems": limits::TICKET_TYPES.max, "description": what,
            "items": { "type": "integer", "minimum": 1 } })
    };
    let mut fields = json!({
        "discount": discount(),
        "applies_to": types("ticket type numbers it applies to; empty: every type"),
        "reveals": types("hidden ticket type numbers it makes bookable"),
        "max_uses": optional(integer(limits::PROMO_MAX_USES)),
        "valid_from": optional(event_time()),
        "valid_until": optional(event_time()),
        "once_per_user": { "type": "boolean",
            "description": "a user may hold one active ticket with it at a time" }
    });
    if update {
        fields["active"] =
            json!({ "type": "boolean", "description": "false stops it working; true again" });
    } else {
        fields["code"] = code_schema();
        fields["once_per_user"]["default"] = json!(false);
    }
    fields
}

/// OpenAPI schemas of the promo code routes.
pub(crate) fn schemas() -> Value {
    let maybe_time = json!({ "type": ["string", "null"], "format": "date-time" });
    let number = |what: &str| json!({ "type": "integer", "description": what });
    json!({
        "PromoCode": {
            "type": "object",
            "properties": {
                "event": id(), "code": { "type": "string", "description": "upper case" },
                "discount": discount(),
                "applies_to": { "type": "array", "items": { "type": "integer" } },
                "reveals": { "type": "array", "items": { "type": "integer" } },
                "max_uses": { "type": ["integer", "null"] },
                "used": number("seats of pending and booked tickets using it"),
                "valid_from": maybe_time.clone(), "valid_until": maybe_time,
                "once_per_user": { "type": "boolean" }, "active": { "type": "boolean" },
                "created_at": time(), "updated_at": time()
            }
        },
        "PromoCodeList": list_of("PromoCode"),
        "PromoUse": {
            "type": "object",
            "properties": {
                "ticket": id(), "user": id(), "seats": number("seats it was used for"),
                "discount_minor": number("what it took off the ticket"),
                "status": { "enum": ["pending", "booked", "cancelled", "expired"],
                    "description": "cancelled and expired tickets gave their uses back" },
                "created_at": time()
            }
        },
        "PromoUseList": list_of("PromoUse"),
        "NewPromoCode": {
            "type": "object", "additionalProperties": false, "required": ["code", "discount"],
            "properties": code_fields(false)
        },
        "PromoCodeUpdate": {
            "type": "object", "additionalProperties": false,
            "description": "fields left out stay; `null` removes an optional setting",
            "properties": code_fields(true)
        }
    })
}
