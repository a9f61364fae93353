//! Where an organizer's booking widget may be framed: `/api/v1/users/{id}/embed-origins` (read
//! and set by the organizer themself or an admin) and `/api/v1/events/{id}/embed-origins` (the
//! event's organizer's, public as the widget page's own CSP header is).

use prasang_core::{EventId, UserId};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::request::{Ctx, Reply, ok};

/// The web origins that may frame an organizer's booking widget (in and out).
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct EmbedOrigins {
    origins: Vec<String>,
}

/// `GET /api/v1/users/{id}/embed-origins`: the user themself or an admin, as for the account.
pub(crate) async fn for_user(cx: Ctx) -> Reply {
    let id: UserId = cx.id("id")?;
    let actor = cx.actor().await?;
    // Whoever may see the account may see where its widgets show (the core's rule).
    cx.core_read(|p| p.users().get(&actor, id))?;
    let origins = cx.core_read(|p| p.events().embed_origins(id))?;
    ok(&EmbedOrigins { origins })
}

/// `PUT /api/v1/users/{id}/embed-origins`: answers the origins as stored (normalised).
pub(crate) async fn set_for_user(cx: Ctx) -> Reply {
    let id: UserId = cx.id("id")?;
    let (actor, body): (_, EmbedOrigins) = cx.caller_and_body().await?;
    let origins = cx
        .core(move |p| p.events().set_embed_origins(&actor, id, &body.origins))
        .await?;
    ok(&EmbedOrigins { origins })
}

/// `GET /api/v1/events/{id}/embed-origins`: the origins that may frame the event's widget (its
/// organizer's), public as the widget's own `Content-Security-Policy` header is.
pub(crate) async fn for_event(cx: Ctx) -> Reply {
    let event: EventId = cx.id("id")?;
    let origins = cx.core_read(|p| p.events().embed_origins_for_event(event))?;
    ok(&EmbedOrigins { origins })
}

/// OpenAPI schemas of the embed origins.
pub(crate) fn schemas() -> Value {
    json!({
        "EmbedOrigins": {
            "type": "object", "additionalProperties": false, "required": ["origins"],
            "properties": { "origins": {
                "type": "array", "maxItems": prasang_core::events::MAX_EMBED_ORIGINS,
                "items": { "type": "string", "maxLength": 200,
                    "examples": ["https://venue.example", "http://localhost:8000"] },
                "description": "web origins (scheme, host, optional port; nothing else) that may frame the organizer's booking widget /embed/events/{id}; empty: none"
            } }
        }
    })
}
