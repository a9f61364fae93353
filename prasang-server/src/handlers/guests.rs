//! `/api/v1/guest/*`: buying without an account (behaviour in docs/guests.md). A checkout with
//! a name and an e-mail address books for that address's (guest) account; sign-in links sent to
//! the address open sessions for it; a guest may then set a password. Who may do what, and
//! what is sent to whom, is the core's; this reads requests and shapes answers.

use hyper::StatusCode;
use prasang_core::EventId;
use prasang_core::guests::{GuestCheckout, GuestRegistration};
use prasang_core::limits;
use prasang_core::tickets::BookingLine;
use serde::Deserialize;
use serde_json::{Value, json};

use super::tickets::{Booking, counted};
use crate::problem::{ApiError, RequestError};
use crate::request::{Ctx, Reply, json as json_reply, ok};
use crate::schema::{id, integer, string, text};

/// `POST /api/v1/guest/bookings` body: the buyer, the event and the seats as a booking gives
/// them (unknown fields refused).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Checkout {
    name: String,
    email: String,
    event: EventId,
    quantity: Option<i64>,
    #[serde(default)]
    lines: Vec<BookingLine>,
    #[serde(default)]
    promo_code: Option<String>,
    #[serde(default)]
    idempotency_key: Option<String>,
    #[serde(default)]
    attendee_names: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LinkRequest {
    email: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SignIn {
    token: String,
}

/// `POST /api/v1/guest/bookings`: books as a booking does, for the guest account of the
/// address (made by the booking writer with the booking if new); 201 with the ticket. Awaited
/// on the async worker like any booking.
pub(crate) async fn book(cx: Ctx) -> Reply {
    let body: Checkout = cx.json()?;
    let key = idempotency_key(&cx, body.idempotency_key)?;
    let booking = Booking {
        quantity: body.quantity,
        lines: body.lines,
        promo_code: body.promo_code,
        attendee_names: body.attendee_names,
        // A guest has no place in a waiting room, so no pass: the core refuses the checkout
        // while the room is on.
        pass: None,
    };
    let checkout = GuestCheckout {
        name: body.name,
        email: body.email,
        booking: booking.request(body.event, key),
    };
    let outcome = cx.prasang().guests().book_async(&checkout).await;
    counted(&cx, outcome)
}

/// The idempotency key of a checkout: the body's or the `Idempotency-Key` header's (as a
/// booking takes it); both may be sent only if they agree.
fn idempotency_key(cx: &Ctx, in_body: Option<String>) -> Result<Option<String>, ApiError> {
    match (cx.header("idempotency-key")?, in_body) {
        (Some(header), Some(body)) if header != body => Err(RequestError::BadParameter(
            "the Idempotency-Key header and the body's idempotency_key differ".into(),
        )
        .into()),
        (header, body) => Ok(body.or(header.map(str::to_owned))),
    }
}

/// What `POST /api/v1/guest/links` answers, whether or not a link is sent.
const LINK_ANSWER: &str = "if this address has guest tickets, a sign-in link is on its way";

/// `POST /api/v1/guest/links`: sends a new sign-in link to a guest's address; `202` with the
/// same body whether the address is a guest's, a normal account's or unknown (only a malformed
/// address is refused).
pub(crate) async fn request_link(cx: Ctx) -> Reply {
    let body: LinkRequest = cx.json()?;
    cx.core(move |p| p.guests().request_link(&body.email))
        .await?;
    json_reply(StatusCode::ACCEPTED, &json!({ "detail": LINK_ANSWER }))
}

/// `POST /api/v1/guest/sessions`: spends a sign-in link's token and answers a session, as a
/// login does.
pub(crate) async fn sign_in(cx: Ctx) -> Reply {
    let body: SignIn = cx.json()?;
    ok(&cx.core(move |p| p.guests().open(&body.token)).await?)
}

/// `POST /api/v1/guest/registration`: the caller's guest account gets a password and becomes
/// a normal account, keeping its tickets.
pub(crate) async fn register(cx: Ctx) -> Reply {
    cx.answer_with_body(move |p, actor, registration: GuestRegistration| {
        p.guests().register(actor, registration)
    })
    .await
}

/// OpenAPI schemas of the guest bodies.
pub(crate) fn schemas() -> Value {
    let booking = super::tickets::schemas()["Booking"]["properties"].clone();
    let mut checkout = json!({
        "type": "object", "additionalProperties": false,
        "required": ["name", "email", "event"],
        "description": "a booking by someone without an account: the seats go to the guest account of `email` (made if new; an existing account's when the address has one)",
        "properties": {
            "name": text(limits::USER_NAME),
            "email": { "type": "string", "format": "email", "maxLength": 254 },
            "event": id(),
            "idempotency_key": { "type": "string", "minLength": limits::IDEMPOTENCY_KEY.min,
                "maxLength": limits::IDEMPOTENCY_KEY.max,
                "description": "as the Idempotency-Key header of a booking (either, or both if equal)" }
        }
    });
    if let (Some(all), Value::Object(seats)) = (checkout["properties"].as_object_mut(), booking) {
        all.extend(seats);
    }
    json!({
        "GuestCheckout": checkout,
        "GuestLinkRequest": {
            "type": "object", "additionalProperties": false, "required": ["email"],
            "properties": { "email": { "type": "string", "format": "email", "maxLength": 254 } }
        },
        "GuestLinkAccepted": {
            "type": "object",
            "description": "the same answer whether or not the address is known",
            "properties": { "detail": string() }
        },
        "GuestSignIn": {
            "type": "object", "additionalProperties": false, "required": ["token"],
            "properties": { "token": { "type": "string",
                "description": "the `token` of a sign-in link (`/guest/access?token=…`)" } }
        },
        "GuestRegistration": {
            "type": "object", "additionalProperties": false,
            "required": ["password", "gender", "age"],
            "properties": {
                "password": text(limits::PASSWORD),
                "gender": { "enum": ["female", "male", "non_binary", "undisclosed"] },
                "age": integer(limits::AGE)
            }
        }
    })
}
