//! Admission codes over REST: the public keys that verify them (anyone, no token: a gate or a
//! third-party scanner app fetches them to verify codes offline) and a booked ticket's seat
//! codes (its holder, the event's organizer, admins: the core's rule).

use prasang_core::TicketId;
use prasang_core::admission::CODE_LEN;
use serde_json::{Value, json};

use crate::request::{Ctx, Reply, ok};
use crate::schema::id;

/// `GET /api/v1/admission-keys` (also `/.well-known/admission-keys.json`).
pub(crate) async fn keys(cx: Ctx) -> Reply {
    let keys = cx.core_read(|p| p.admissions().public_keys())?;
    ok(&json!({ "keys": keys }))
}

/// `GET /api/v1/tickets/{id}/admissions`
pub(crate) async fn ticket_codes(cx: Ctx) -> Reply {
    let ticket: TicketId = cx.id("id")?;
    let actor = cx.actor().await?;
    let seats = cx.core_read(|p| p.admissions().codes(&actor, ticket))?;
    ok(&json!({ "seats": seats }))
}

/// The schema of an admission code's text.
pub(crate) fn code_schema() -> Value {
    json!({ "type": "string", "minLength": CODE_LEN, "maxLength": CODE_LEN,
        "pattern": "^[A-Z2-7]+$",
        "description": "base32 (RFC 4648, upper case, no padding) of version, key id, event tag, ticket, seat and Ed25519 signature; see docs/check-in.md" })
}

/// OpenAPI schemas of the admission routes.
pub(crate) fn schemas() -> Value {
    json!({
        "AdmissionKey": {
            "type": "object",
            "properties": {
                "key_id": { "type": "integer", "minimum": 0, "maximum": 255,
                    "description": "the id codes carry (their second byte)" },
                "algorithm": { "const": "Ed25519" },
                "public_key": { "type": "string",
                    "description": "the 32-byte public key, base64url without padding" },
                "current": { "type": "boolean", "description": "whether it signs new codes" }
            }
        },
        "AdmissionKeys": {
            "type": "object", "required": ["keys"],
            "properties": { "keys": { "type": "array",
                "items": { "$ref": "#/components/schemas/AdmissionKey" } } }
        },
        "SeatCode": {
            "type": "object",
            "properties": {
                "event": id(), "ticket": id(),
                "seat": { "type": "integer", "minimum": 1 }, "of": { "type": "integer", "minimum": 1 },
                "code": code_schema()
            }
        },
        "SeatCodes": {
            "type": "object", "required": ["seats"],
            "properties": { "seats": { "type": "array",
                "items": { "$ref": "#/components/schemas/SeatCode" } } }
        }
    })
}
