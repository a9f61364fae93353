//! The OpenAPI 3.1 document, generated from the route table so it cannot drift from the router.

use prasang_core::limits;
use serde_json::{Map, Value, json};

use crate::routes::{Access, ROUTES, Route};
use crate::schema::{
    event_time, id, integer, integer_or, local_time, page_of, string, text, time, time_zone,
};

/// Every error status `route` can answer with, and why: those its shape implies (an id in the
/// path, a body, a token, a query), the refusals the route table names for it, and 503, which any
/// route gives when storage refuses a write or password hashing is saturated.
fn error_statuses(route: &Route) -> Vec<(u16, &'static str)> {
    let mut statuses = Vec::new();
    let has_id = route.path.contains('{');
    let has_query = !route.query.is_empty() || !route.headers.is_empty();
    if has_id || has_query || route.request.is_some() {
        statuses.push((400, "invalid id, bad parameter or malformed body"));
    }
    if route.access != Access::Public || route.refusals.contains(&401) {
        statuses.push((
            401,
            "missing, invalid, expired or revoked token or credentials",
        ));
    }
    if route.access == Access::Bearer || route.refusals.contains(&403) {
        statuses.push((403, "not allowed for this user"));
    }
    if has_id || route.refusals.contains(&404) {
        statuses.push((404, "not found (or not visible to the caller)"));
    }
    if route.refusals.contains(&409) {
        statuses.push((409, "conflicts with the current state"));
    }
    if route.request.is_some() {
        statuses.push((413, "body too large"));
        statuses.push((415, "body not sent as JSON in UTF-8"));
    }
    if route.request.is_some() || !route.query.is_empty() || route.refusals.contains(&422) {
        statuses.push((422, "invalid fields, query values or paging cursor"));
    }
    if route.rate_limited {
        statuses.push((429, "too many attempts; see Retry-After"));
    } else if route.refusals.contains(&429) {
        statuses.push((
            429,
            "the event's waiting room is on: join it and book with the pass it gives; see Retry-After",
        ));
    }
    statuses.push((503, "busy or storage unavailable; see Retry-After"));
    statuses
}

fn schemas() -> Value {
    let gender = json!({ "enum": ["female", "male", "non_binary", "undisclosed"] });
    let role = json!({ "enum": ["attendee", "organizer", "admin"] });
    let kind = json!({ "enum": ["ticket_booked", "ticket_pending", "ticket_cancelled",
        "ticket_expired", "event_updated", "event_cancelled", "feedback_reply", "feedback_request",
        "waitlist_offer", "organizer_message", "guest_access",
        "queue_admitted"] });
    let attendee_names = json!({ "enum": ["not_asked", "optional", "required"],
        "description": "whether bookings give a name per seat" });
    json!({
        "Problem": {
            "type": "object",
            "description": "RFC 9457 problem details; `type` is stable per error (urn:prasang:problem:<slug>)",
            "properties": {
                "type": string(), "title": string(), "status": { "type": "integer" },
                "detail": string(),
                "errors": { "type": "array", "items": { "type": "object",
                    "properties": { "field": string(), "message": string() } } },
                "retry_after": { "type": "integer" },
                "line": { "type": "integer", "description": "a refused booking line's index in `lines`, from 0" },
                "ticket_type": { "type": "integer", "description": "the ticket type the refused line named" },
                "first": { "$ref": "#/components/schemas/Admitted",
                    "description": "admission-already-admitted: the seat's first admission" },
                "ticket": { "type": "string", "description": "admission-revoked: the ticket" },
                "seat": { "type": "integer", "description": "admission-revoked: the seat scanned" },
                "reason": { "type": "string", "description": "admission-revoked: cancelled, expired, not_paid or event_cancelled; admission-code-invalid: malformed, unsupported_version, unknown_key, bad_signature or no_such_seat; pass-invalid: other_account, other_event, expired, tampered or spent" },
                "position": { "type": "integer", "minimum": 1, "description": "pass-required: the caller's place in the waiting room, when they wait in it" },
                "estimated_wait_secs": { "type": "integer", "minimum": 0, "description": "pass-required: seconds until the caller is admitted, when known" },
                "available": { "type": "integer", "description": "waitlist-not-sold-out: the seats a booking would get now" }
            }
        },
        "Health": { "type": "object", "properties": {
            "status": string(),
            "kafka": { "type": "object", "description": "only when the Kafka exporter is on (docs/kafka.md)",
                "properties": {
                    "topic": string(),
                    "state": { "type": "string", "enum": ["exporting", "retrying"] },
                    "behind": { "type": "integer", "description": "log entries the broker has not acknowledged yet (counted up to 100000)" },
                    "lag_seconds": { "type": "number", "description": "age of the oldest entry not acknowledged yet" }
                } }
        } },
        "Jwks": { "type": "object", "properties": { "keys": { "type": "array", "items": { "type": "object" } } } },
        "User": {
            "type": "object",
            "properties": {
                "id": id(), "name": string(), "email": string(), "role": role,
                "gender": gender, "age": { "type": "integer", "description": "0: unknown (a guest's)" },
                "created_at": time(),
                "guest": { "type": "boolean",
                    "description": "a guest account: made at checkout, no password; signs in with e-mailed links" }
            }
        },
        "NewUser": {
            "type": "object", "additionalProperties": false,
            "required": ["name", "email", "password", "gender", "age"],
            "properties": {
                "name": text(limits::USER_NAME),
                "email": { "type": "string", "format": "email" },
                "password": text(limits::PASSWORD),
                "gender": gender, "age": integer(limits::AGE),
                "role": { "enum": ["attendee", "organizer"], "default": "attendee" }
            }
        },
        "Login": {
            "type": "object", "additionalProperties": false, "required": ["email", "password"],
            "properties": { "email": string(), "password": string() }
        },
        "RefreshToken": {
            "type": "object", "additionalProperties": false, "required": ["refresh_token"],
            "properties": { "refresh_token": string() }
        },
        "Session": {
            "type": "object",
            "properties": {
                "access_token": string(), "token_type": { "const": "Bearer" },
                "expires_in": { "type": "integer" }, "refresh_token": string(),
                "user": { "$ref": "#/components/schemas/User" }
            }
        },
        "ProfileUpdate": {
            "type": "object", "additionalProperties": false,
            "properties": {
                "name": text(limits::USER_NAME), "email": string(),
                "password": text(limits::PASSWORD), "gender": gender, "age": integer(limits::AGE)
            }
        },
        "RoleChange": {
            "type": "object", "additionalProperties": false, "required": ["role"],
            "properties": { "role": role }
        },
        "Seats": {
            "type": "object",
            "properties": {
                "capacity": { "type": "integer" }, "remaining": { "type": "integer" },
                "held": { "type": "integer" }, "booked": { "type": "integer" }
            }
        },
        "Event": {
            "type": "object",
            "properties": {
                "id": id(), "organizer": id(), "title": string(), "description": string(),
                "location": string(), "starts_at": time(), "ends_at": time(),
                "time_zone": time_zone(),
                "starts_at_local": local_time(), "ends_at_local": local_time(),
                "price_minor": { "type": "integer" }, "currency": string(),
                "image_url": { "type": ["string", "null"] },
                "per_user_limit": { "type": "integer" },
                "status": { "enum": ["published", "cancelled"] },
                "created_at": time(), "updated_at": time(),
                "seats": { "$ref": "#/components/schemas/Seats" },
                "rating": { "$ref": "#/components/schemas/EventRating" },
                "attendee_names": attendee_names.clone()
            }
        },
        "NewEvent": {
            "type": "object", "additionalProperties": false,
            "required": ["title", "location", "starts_at", "ends_at", "capacity"],
            "properties": {
                "title": text(limits::TITLE),
                "description": text(limits::DESCRIPTION),
                "location": text(limits::LOCATION),
                "starts_at": event_time(), "ends_at": event_time(),
                "time_zone": time_zone(),
                "capacity": integer(limits::CAPACITY),
                "price_minor": integer_or(limits::PRICE_MINOR, 0),
                "currency": { "type": "string", "default": "EUR" },
                "image_url": { "type": ["string", "null"] },
                "per_user_limit": integer_or(limits::PER_USER_LIMIT, 1),
                "attendee_names": { "enum": ["not_asked", "optional", "required"],
                    "default": "not_asked", "description": "whether bookings give a name per seat" },
                "ticket_types": {
                    "type": "array", "minItems": limits::TICKET_TYPES.min,
                    "maxItems": limits::TICKET_TYPES.max,
                    "items": { "$ref": "#/components/schemas/NewTicketType" },
                    "description": "its ticket types, each with its own price (then leave price_minor out); left out: one \"Admission\" type at price_minor"
                }
            }
        },
        "EventUpdate": {
            "type": "object", "additionalProperties": false,
            "properties": {
                "title": text(limits::TITLE), "description": text(limits::DESCRIPTION),
                "location": text(limits::LOCATION),
                "starts_at": event_time(), "ends_at": event_time(), "time_zone": time_zone(),
                "capacity": integer(limits::CAPACITY), "price_minor": integer(limits::PRICE_MINOR),
                "currency": string(), "image_url": { "type": ["string", "null"] },
                "per_user_limit": integer(limits::PER_USER_LIMIT),
                "attendee_names": attendee_names
            }
        },
        "EventPage": page_of("Event"),
        "Ticket": {
            "type": "object",
            "properties": {
                "id": id(), "event": id(), "user": id(), "quantity": { "type": "integer" },
                "status": { "enum": ["pending", "booked", "cancelled", "expired"] },
                "amount_minor": { "type": "integer", "description": "charged for all seats, after the discount" },
                "lines": { "type": "array", "items": { "$ref": "#/components/schemas/TicketLine" } },
                "promo_code": { "type": ["string", "null"] },
                "promo_seats": { "type": "integer" }, "discount_minor": { "type": "integer" },
                "attendee_names": { "type": "array", "items": string(),
                    "description": "one per seat in seat order (\"\": unnamed); empty when none were given" },
                "created_at": time(),
                "updated_at": time(), "expires_at": { "type": ["string", "null"], "format": "date-time" }
            }
        },
        "TicketPage": page_of("Ticket"),
        "NotificationChannels": {
            "type": "object",
            "properties": { "items": { "type": "array", "items": {
                "type": "object", "properties": { "id": string() } } } }
        },
        "NotificationPreferences": {
            "type": "object", "additionalProperties": false, "required": ["channels"],
            "properties": { "channels": {
                "type": "array", "maxItems": 16, "items": string(),
                "description": "installed channel ids in order of preference; empty: tell me nothing"
            } }
        },
        "EventNotificationSettings": {
            "type": "object", "additionalProperties": false,
            "properties": {
                "disabled_kinds": { "type": "array", "items": kind.clone(), "default": [] },
                "extra_channels": {
                    "type": "array", "maxItems": 16, "items": string(), "default": [],
                    "description": "channels that get a copy of every notification about the event"
                }
            }
        },
        "Delivery": {
            "type": "object",
            "properties": {
                "id": { "type": "string", "description": "idempotency key, also sent on the wire (e-mail Message-ID, webhook-id)" },
                "log_seq": { "type": "integer" }, "channel": string(), "kind": kind,
                "event": id(), "ticket": { "type": ["string", "null"] },
                "recipient": { "type": "object", "properties": {
                    "user_id": id(), "name": string(), "email": string() } },
                "status": { "enum": ["pending", "sending", "sent", "retrying", "failed"] },
                "attempts": { "type": "integer" },
                "next_attempt_at": { "type": ["string", "null"], "format": "date-time" },
                "last_error": { "type": ["string", "null"], "description": "the reason only for admins; others see the class (temporary / permanent delivery failure)" },
                "remote_id": { "type": ["string", "null"], "description": "what the far side knows it by, e.g. the e-mail Message-ID" },
                "detail": { "type": ["string", "null"] },
                "created_at": time(), "updated_at": time()
            }
        },
        "DeliveryPage": page_of("Delivery"),
        "IntegrityReport": {
            "type": "object",
            "properties": {
                "ok": { "type": "boolean" }, "events": { "type": "integer" },
                "tickets": { "type": "integer" }, "users": { "type": "integer" },
                "problems": { "type": "array", "items": string() }
            }
        },
        "LogPage": {
            "type": "object",
            "properties": {
                "entries": { "type": "array", "items": { "type": "object" } },
                "next": { "type": ["integer", "null"] }, "end": { "type": "integer" }
            }
        },
        "SnapshotRequest": {
            "type": "object",
            "required": ["name"],
            "additionalProperties": false,
            "properties": {
                "name": { "type": "string", "minLength": 1, "maxLength": 64,
                          "pattern": "^[A-Za-z0-9_-][A-Za-z0-9._-]*$",
                          "description": "folder under snapshots/ of the data folder; must not exist yet" }
            }
        },
        "Snapshot": {
            "type": "object",
            "properties": {
                "name": string(), "path": string(),
                "keys": { "type": "integer" }, "replayed": { "type": "integer" },
                "pause_ms": { "type": "number" }, "took_ms": { "type": "number" }
            }
        }
    })
}

/// The schemas the handlers of feedback, analytics, ticket types, promo codes and bookings
/// define, beside the others.
fn with_handler_schemas(mut schemas: Value) -> Value {
    for extra in [
        crate::handlers::feedback::schemas(),
        crate::handlers::analytics::schemas(),
        crate::handlers::ticket_types::schemas(),
        crate::handlers::promo_codes::schemas(),
        crate::handlers::tickets::schemas(),
        crate::handlers::admission::schemas(),
        crate::handlers::check_in::schemas(),
        crate::handlers::messages::schemas(),
        crate::handlers::waitlist::schemas(),
        crate::handlers::waiting_room::schemas(),
        crate::handlers::guests::schemas(),
        crate::handlers::embed::schemas(),
    ] {
        if let (Some(all), Value::Object(more)) = (schemas.as_object_mut(), extra) {
            all.extend(more);
        }
    }
    schemas
}

fn problem_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": { "application/problem+json": {
            "schema": { "$ref": "#/components/schemas/Problem" } } }
    })
}

/// The whole document.
pub fn document() -> Value {
    let mut paths = Map::new();
    for route in ROUTES {
        let mut parameters = Vec::new();
        for segment in route.path.split('/') {
            if let Some(name) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                let schema = match name {
                    "type_id" => json!({ "type": "integer", "minimum": 1,
                        "description": "the ticket type's number within the event" }),
                    "code" => crate::handlers::promo_codes::code_schema(),
                    "entry" => crate::handlers::waitlist::entry_schema(),
                    "seat" => json!({ "type": "integer", "minimum": 1,
                        "description": "the seat within the ticket, from 1" }),
                    "message" => json!({ "type": "integer", "minimum": 0,
                        "description": "the message's id (its log sequence number)" }),
                    _ => crate::handlers::analytics::query_schema(name).unwrap_or_else(id),
                };
                parameters.push(json!({
                    "name": name, "in": "path", "required": true, "schema": schema
                }));
            }
        }
        for name in route.query {
            let schema = match *name {
                _ if route.tag == "analytics" => {
                    crate::handlers::analytics::query_schema(name).unwrap_or_else(string)
                }
                "limit" => integer(limits::PAGE_SIZE),
                "text" => text(limits::SEARCH_TEXT),
                "from" => json!({ "type": "integer", "minimum": 0 }),
                "cursor" => json!({ "type": "integer", "minimum": 0, "default": 0,
                    "description": "0 the first time, then the last answer's next_cursor" }),
                "code" => json!({ "type": "string", "maxLength": limits::PROMO_CODE.max,
                    "description": "a promo code of the event (any case): the hidden types it reveals are listed too" }),
                "local_date" => json!({ "type": "string", "format": "date",
                    "description": "YYYY-MM-DD: only events starting on that date in their own time zone" }),
                _ => string(),
            };
            parameters
                .push(json!({ "name": name, "in": "query", "required": false, "schema": schema }));
        }
        for name in route.headers {
            parameters.push(json!({
                "name": name, "in": "header", "required": false,
                "schema": text(limits::IDEMPOTENCY_KEY)
            }));
        }
        let mut responses = Map::new();
        let success = match route.response {
            Some(schema) => {
                let mut content = json!({ route.media_type: {
                    "schema": { "$ref": format!("#/components/schemas/{schema}") } } });
                // Reports also come as CSV (`?format=csv` or `Accept: text/csv`).
                if route.query.contains(&"format") {
                    content["text/csv"] = json!({ "schema": { "type": "string" } });
                }
                json!({ "description": "success", "content": content })
            }
            None => json!({ "description": "success" }),
        };
        responses.insert(route.success.to_string(), success);
        for (status, why) in error_statuses(route) {
            responses.insert(status.to_string(), problem_response(why));
        }
        let mut operation = json!({
            "operationId": route.operation,
            "summary": route.summary,
            "tags": [route.tag],
            "parameters": parameters,
            "responses": responses,
        });
        if let Some(schema) = route.request {
            operation["requestBody"] = json!({
                "required": route.request != Some("Booking"),
                "content": { "application/json": {
                    "schema": { "$ref": format!("#/components/schemas/{schema}") } } }
            });
        }
        match route.access {
            Access::Bearer => operation["security"] = json!([{ "bearer": [] }]),
            Access::OptionalBearer => operation["security"] = json!([{}, { "bearer": [] }]),
            Access::Public => {}
        }
        let item = paths
            .entry(route.path.to_owned())
            .or_insert_with(|| json!({}));
        item[route.method.to_ascii_lowercase()] = operation;
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Prasang",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Event management: events, ticket booking that never oversells, auth, notifications. Errors are RFC 9457 problem documents."
        },
        "paths": paths,
        "components": {
            "schemas": with_handler_schemas(schemas()),
            "securitySchemes": {
                "bearer": { "type": "http", "scheme": "bearer", "bearerFormat": "JWT (EdDSA)" }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each report is documented once, under its own name: no `{report}` path beside the named
    /// ones (those only refuse names the named ones do not have, and stay undocumented).
    #[test]
    fn reports_are_documented_by_name_only() {
        let doc = document();
        let paths: Vec<&String> = doc["paths"].as_object().unwrap().keys().collect();
        let parameterised: Vec<_> = paths.iter().filter(|p| p.contains("{report}")).collect();
        assert!(parameterised.is_empty(), "{parameterised:?}");
        for report in [
            "popularity",
            "demographics",
            "ratings-by-group",
            "trends",
            "funnel",
            "revenue",
            "attendance",
            "attendance-by-group",
            "waitlist-totals",
        ] {
            for path in [
                format!("/api/v1/analytics/{report}"),
                format!("/api/v1/events/{{id}}/analytics/{report}"),
            ] {
                assert!(doc["paths"][&path]["get"].is_object(), "{path}");
            }
        }
        assert!(doc["paths"]["/api/v1/analytics/top-events"]["get"].is_object());
        for report in [
            "attendance-by-ticket-type",
            "arrivals",
            "waitlist-length",
            "waiting-room",
        ] {
            let path = format!("/api/v1/events/{{id}}/analytics/{report}");
            assert!(doc["paths"][&path]["get"].is_object(), "{path}");
        }
    }
}
