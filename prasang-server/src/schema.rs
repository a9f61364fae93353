//! JSON Schema pieces the OpenAPI document and the handlers' own schemas are built from; the
//! bounds come from `prasang_core::limits`, so the document says what the core enforces.

use prasang_core::limits::Limit;
use serde_json::{Value, json};

/// Any string.
pub(crate) fn string() -> Value {
    json!({ "type": "string" })
}
/// A ULID.
pub(crate) fn id() -> Value {
    json!({ "type": "string", "pattern": "^[0-9A-HJKMNP-TV-Z]{26}$", "description": "ULID" })
}
/// A string of `limit.min..=limit.max` characters, as the core checks it.
pub(crate) fn text(limit: Limit) -> Value {
    json!({ "type": "string", "minLength": limit.min, "maxLength": limit.max })
}
/// An integer in `limit.min..=limit.max`, as the core checks it.
pub(crate) fn integer(limit: Limit) -> Value {
    json!({ "type": "integer", "minimum": limit.min, "maximum": limit.max })
}
/// `schema`, or JSON `null` (which removes an optional setting in an update).
pub(crate) fn nullable(schema: Value) -> Value {
    json!({ "oneOf": [schema, { "type": "null" }] })
}
/// [`integer`] with the default the core applies when the field is left out.
pub(crate) fn integer_or(limit: Limit, default: i64) -> Value {
    let mut schema = integer(limit);
    schema["default"] = json!(default);
    schema
}
/// An instant, RFC 3339 in UTC.
pub(crate) fn time() -> Value {
    json!({ "type": "string", "format": "date-time" })
}
/// An IANA time zone name, checked against the tz database compiled into the server.
pub(crate) fn time_zone() -> Value {
    json!({ "type": "string", "examples": ["Asia/Kolkata", "Europe/Berlin", "UTC"],
        "description": "IANA time zone name" })
}
/// An event's start or end as the organizer gives it: an instant, or a local time in the zone.
pub(crate) fn event_time() -> Value {
    json!({ "type": "string",
        "description": "RFC 3339 instant (`2026-12-05T13:00:00Z`, `2026-12-05T18:30:00+05:30`) \
            or a local date-time without offset (`2026-12-05T18:30`) read in the event's \
            time_zone; a local time skipped by a daylight-saving change is refused (422), one \
            that happens twice means the earlier instant" })
}
/// A local time with its UTC offset.
pub(crate) fn local_time() -> Value {
    json!({ "type": "string", "format": "date-time",
        "description": "local time in the event's time_zone, with its offset" })
}
/// A page of `item`s with the cursor of the next.
pub(crate) fn page_of(item: &str) -> Value {
    json!({
        "type": "object",
        "required": ["items"],
        "properties": {
            "items": { "type": "array", "items": { "$ref": format!("#/components/schemas/{item}") } },
            "next": { "type": ["string", "null"], "description": "cursor for `after`" }
        }
    })
}
/// A whole list of `item`s, not paged: `{"items": [...]}`.
pub(crate) fn list_of(item: &str) -> Value {
    json!({
        "type": "object",
        "required": ["items"],
        "properties": {
            "items": { "type": "array", "items": { "$ref": format!("#/components/schemas/{item}") } }
        }
    })
}
