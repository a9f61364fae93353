//! `/api/v1/events/{id}/ticket-types*`: an event's ticket types. Buyers list the ones on offer
//! to them; its organizer (or an admin) lists all, adds, changes, reorders, closes and deletes
//! them. Every rule is the core's.

use prasang_core::EventId;
use prasang_core::events::{NewTicketType, TicketTypeId, TicketTypeUpdate};
use prasang_core::limits;
use serde_json::{Value, json};

use crate::request::{Ctx, Reply, created, no_content, ok};
use crate::schema::{event_time, integer, list_of, nullable, text};

/// What a buyer may see (the listed types, and hidden ones `?code=` reveals); the event's
/// organizer and admins, signed in, see every type.
pub(crate) async fn list(cx: Ctx) -> Reply {
    let event: EventId = cx.id("id")?;
    let params = cx.query_params(&["code"])?;
    let viewer = cx.optional_actor().await?;
    let code = params.get("code").map(String::as_str);
    let items = cx.core_read(|p| p.tickets().types_for(viewer.as_ref(), event, code))?;
    ok(&json!({ "items": items }))
}

pub(crate) async fn add(cx: Ctx) -> Reply {
    let event: EventId = cx.id("id")?;
    let (actor, new): (_, NewTicketType) = cx.caller_and_body().await?;
    let added = cx
        .core(move |p| p.events().add_ticket_type(&actor, event, new))
        .await?;
    let location = format!("/api/v1/events/{event}/ticket-types/{}", added.id);
    created(location, &added)
}

pub(crate) async fn update(cx: Ctx) -> Reply {
    let event: EventId = cx.id("id")?;
    let type_id: TicketTypeId = cx.number("type_id")?;
    cx.answer_with_body(move |p, actor, update: TicketTypeUpdate| {
        p.events().update_ticket_type(actor, event, type_id, update)
    })
    .await
}

pub(crate) async fn delete(cx: Ctx) -> Reply {
    let event: EventId = cx.id("id")?;
    let type_id: TicketTypeId = cx.number("type_id")?;
    cx.as_caller(move |p, actor| p.events().delete_ticket_type(actor, event, type_id))
        .await?;
    no_content()
}

/// A ticket type's fields as a new one takes them; an update takes the same, each optional
/// and the optional settings removable with `null`.
fn type_fields(update: bool) -> Value {
    let optional = |schema: Value| if update { nullable(schema) } else { schema };
    let mut fields = json!({
        "name": text(limits::TICKET_TYPE_NAME),
        "description": text(limits::TICKET_TYPE_DESCRIPTION),
        "price_minor": integer(limits::PRICE_MINOR),
        "quota": optional(integer(limits::TICKET_TYPE_QUOTA)),
        "sales_open_at": optional(event_time()),
        "sales_close_at": optional(event_time()),
        "per_user_limit": optional(integer(limits::TYPE_PER_USER_LIMIT)),
        "min_per_order": integer(limits::MIN_PER_ORDER),
        "max_per_order": optional(integer(limits::MAX_PER_ORDER)),
        "hidden": { "type": "boolean", "default": false,
            "description": "bookable only with a promo code that reveals it; never listed to buyers without one" }
    });
    if update {
        fields["closed"] =
            json!({ "type": "boolean", "description": "true stops its sale; false reopens it" });
        fields["position"] = json!({ "type": "integer", "minimum": 1,
            "maximum": limits::TICKET_TYPES.max, "description": "its new place in the list, from 1" });
    } else {
        fields["price_minor"]["default"] = json!(0);
        fields["min_per_order"]["default"] = json!(1);
    }
    fields
}

/// OpenAPI schemas of the ticket type routes.
pub(crate) fn schemas() -> Value {
    let count = |description: &str| json!({ "type": "integer", "description": description });
    let maybe_count =
        |description: &str| json!({ "type": ["integer", "null"], "description": description });
    let time = json!({ "type": ["string", "null"], "format": "date-time" });
    let local = json!({ "type": ["string", "null"], "format": "date-time",
        "description": "the same instant as local time in the event's time_zone, with its offset" });
    let mut list = list_of("TicketType");
    list["properties"]["items"]["maxItems"] = json!(limits::TICKET_TYPES.max);
    json!({
        "TicketType": {
            "type": "object",
            "properties": {
                "id": { "type": "integer", "minimum": 1, "description": "its number within the event" },
                "name": { "type": "string" }, "description": { "type": "string" },
                "price_minor": count("price of one seat in the event's currency, minor units; 0 free"),
                "quota": maybe_count("most seats of this type; null: only the event's capacity"),
                "held": count("seats in pending holds"), "booked": count("seats booked"),
                "available": count("seats anyone can still book (its quota's rest within the event's)"),
                "sales_open_at": time.clone(), "sales_close_at": time,
                "sales_open_at_local": local.clone(), "sales_close_at_local": local,
                "per_user_limit": maybe_count("most seats of this type one user may hold"),
                "min_per_order": count("fewest seats of this type in one booking"),
                "max_per_order": maybe_count("most seats of this type in one booking"),
                "hidden": { "type": "boolean" },
                "closed": { "type": "boolean", "description": "its sale was stopped by the organizer" },
                "availability": { "enum": ["on_sale", "not_yet_open", "sale_ended", "closed", "sold_out"] },
                "has_tickets": { "type": "boolean", "description": "tickets were issued with it: it can be closed, not deleted" }
            }
        },
        "TicketTypeList": list,
        "NewTicketType": {
            "type": "object", "additionalProperties": false, "required": ["name"],
            "properties": type_fields(false)
        },
        "TicketTypeUpdate": {
            "type": "object", "additionalProperties": false,
            "description": "fields left out stay; `null` removes an optional setting",
            "properties": type_fields(true)
        }
    })
}
