//! Webhook channel: POSTs the notification as JSON, signed the Standard Webhooks way
//! (<https://www.standardwebhooks.com/>):
//!
//! - `webhook-id`: the notification's idempotency key (the same on every retry);
//! - `webhook-timestamp`: Unix seconds of this attempt;
//! - `webhook-signature`: `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`.
//!
//! A guest's sign-in link (`notification.access`) is a credential and never goes into a
//! payload; a `guest-access` notification, which only carries one, is answered with a
//! `skipped:` receipt and not posted.
//!
//! Settings: `url` and `secret` (`whsec_<base64>`, or plain text used as the key).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use prasang_plugin_sdk::time::UtcDateTime;
use prasang_plugin_sdk::{
    ChannelPlugin, DeliveryError, EventStatus, Notification, NotificationKind, Receipt,
    TicketStatus, access, config, host,
};
use serde_json::{Value, json};
use sha2::Sha256;

struct Webhook;

impl ChannelPlugin for Webhook {
    fn deliver(notification: Notification) -> Result<Receipt, DeliveryError> {
        if let Some(skipped) = access::skip_unpublishable(&notification) {
            return Ok(skipped);
        }
        let url = config::require("url")?;
        let key = signing_key(&config::require("secret")?)?;
        let body = payload(&notification).to_string();
        let id = notification.idempotency_key.as_str();
        let timestamp = notification.attempted_at.div_euclid(1000).to_string();
        let signature = sign(&key, id, &timestamp, &body);
        let response = host::http_post(
            &url,
            &[
                ("content-type", "application/json"),
                ("webhook-id", id),
                ("webhook-timestamp", &timestamp),
                ("webhook-signature", &signature),
            ],
            body.as_bytes(),
        )?;
        host::check_status(&response)?;
        Ok(Receipt {
            remote_id: Some(id.to_owned()),
            detail: format!("webhook answered HTTP {}", response.status),
        })
    }
}

prasang_plugin_sdk::export_plugin!(Webhook);

/// The key bytes of a secret: `whsec_` + base64, or the text itself.
pub fn signing_key(secret: &str) -> Result<Vec<u8>, DeliveryError> {
    match secret.strip_prefix("whsec_") {
        Some(encoded) => BASE64.decode(encoded).map_err(|e| {
            DeliveryError::Permanent(format!("the `secret` setting is not valid base64: {e}"))
        }),
        None if secret.is_empty() => Err(DeliveryError::Permanent(
            "the `secret` setting is empty".into(),
        )),
        None => Ok(secret.as_bytes().to_vec()),
    }
}

/// `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`.
pub fn sign(key: &[u8], id: &str, timestamp: &str, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    format!("v1,{}", BASE64.encode(mac.finalize().into_bytes()))
}

/// The event type, e.g. `ticket.booked`.
pub fn event_type(kind: NotificationKind) -> &'static str {
    match kind {
        NotificationKind::TicketBooked => "ticket.booked",
        NotificationKind::TicketPending => "ticket.pending",
        NotificationKind::TicketCancelled => "ticket.cancelled",
        NotificationKind::TicketExpired => "ticket.expired",
        NotificationKind::EventUpdated => "event.updated",
        NotificationKind::EventCancelled => "event.cancelled",
        NotificationKind::FeedbackReply => "feedback.reply",
        NotificationKind::FeedbackRequest => "feedback.request",
        NotificationKind::WaitlistOffer => "waitlist.offer",
        NotificationKind::OrganizerMessage => "organizer.message",
        NotificationKind::QueueAdmitted => "queue.admitted",
        // Never posted (see `deliver`): named for completeness.
        NotificationKind::GuestAccess => "guest.access",
    }
}

/// The JSON body: `{type, timestamp, data}` as Standard Webhooks recommends. Every field is
/// named here, so a guest's sign-in link (`access`) is never in it.
pub fn payload(n: &Notification) -> Value {
    let time = |millis: i64| UtcDateTime::from_millis(millis).rfc3339();
    let ticket = n.ticket.as_ref().map(|t| {
        json!({
            "id": t.id,
            "quantity": t.quantity,
            "status": match t.status {
                TicketStatus::Pending => "pending",
                TicketStatus::Booked => "booked",
                TicketStatus::Cancelled => "cancelled",
                TicketStatus::Expired => "expired",
            },
            "amount_minor": t.amount_minor,
            "expires_at": t.expires_at.map(time),
            "lines": t.lines.iter().map(|line| json!({
                "ticket_type": line.ticket_type,
                "quantity": line.quantity,
                "unit_price_minor": line.unit_price_minor,
                "discount_minor": line.discount_minor,
                "amount_minor": line.amount_minor,
            })).collect::<Vec<_>>(),
            "discount_minor": t.discount_minor,
            "promo_code": t.promo_code,
            "admissions": t.admissions.iter().map(|a| json!({
                "seat": a.seat,
                "code": a.code,
            })).collect::<Vec<_>>(),
        })
    });
    let offer = n.offer.as_ref().map(|offer| {
        json!({
            "seats": offer.seats,
            "ticket_type": offer.ticket_type,
            "deadline": time(offer.deadline),
            "deadline_local": offer.deadline_local.rfc3339,
            "accept_url": offer.accept_url,
        })
    });
    let queue_pass = n.queue_pass.as_ref().map(|pass| {
        json!({
            "expires_at": time(pass.expires_at),
            "expires_at_local": pass.expires_at_local.rfc3339,
            "url": pass.url,
        })
    });
    json!({
        "type": event_type(n.kind),
        "timestamp": time(n.occurred_at),
        "data": {
            "idempotency_key": n.idempotency_key,
            "log_seq": n.log_seq,
            "recipient": {
                "user_id": n.recipient.user_id,
                "name": n.recipient.name,
                "email": n.recipient.email,
            },
            "event": {
                "id": n.event.id,
                "title": n.event.title,
                "description": n.event.description,
                "location": n.event.location,
                "starts_at": time(n.event.starts_at),
                "ends_at": time(n.event.ends_at),
                "time_zone": n.event.time_zone,
                "starts_at_local": n.event.starts_at_local.rfc3339,
                "ends_at_local": n.event.ends_at_local.rfc3339,
                "status": match n.event.status {
                    EventStatus::Published => "published",
                    EventStatus::Cancelled => "cancelled",
                },
                "price_minor": n.event.price_minor,
                "currency": n.event.currency,
            },
            "ticket": ticket,
            "changed": n.changed,
            "message": n.message,
            "offer": offer,
            "subject": n.subject,
            "queue_pass": queue_pass,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use prasang_plugin_sdk::testing::booked_notification;

    #[test]
    fn signature_matches_the_standard_webhooks_reference() {
        // The example from the Standard Webhooks specification's reference libraries.
        let key = signing_key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let signature = sign(
            &key,
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            "1614265330",
            r#"{"test": 2432232314}"#,
        );
        assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn offers_carry_the_seats_the_deadline_in_utc_and_local_time_and_the_link() {
        let body = payload(&prasang_plugin_sdk::testing::waitlist_offer());
        assert_eq!(body["type"], "waitlist.offer");
        assert_eq!(
            body["data"]["offer"],
            json!({
                "seats": 2,
                "ticket_type": "Adult",
                "deadline": "2026-11-30T14:30:00Z",
                "deadline_local": "2026-11-30T20:00:00+05:30",
                "accept_url": prasang_plugin_sdk::testing::ACCEPT_URL,
            })
        );
        assert_eq!(body["data"]["ticket"], Value::Null);
        assert_eq!(body["data"]["subject"], Value::Null);
    }

    #[test]
    fn queue_admissions_carry_the_pass_expiry_in_utc_and_local_time_and_the_waiting_page() {
        let body = payload(&prasang_plugin_sdk::testing::queue_admitted());
        assert_eq!(body["type"], "queue.admitted");
        assert_eq!(
            body["data"]["queue_pass"],
            json!({
                "expires_at": "2026-11-30T14:30:00Z",
                "expires_at_local": "2026-11-30T20:00:00+05:30",
                "url": prasang_plugin_sdk::testing::WAITING_ROOM_URL,
            })
        );
        assert_eq!(body["data"]["ticket"], Value::Null);
        assert_eq!(body["data"]["offer"], Value::Null);
        let booked = payload(&booked_notification());
        assert_eq!(booked["data"]["queue_pass"], Value::Null);
    }

    #[test]
    fn a_guests_sign_in_link_is_never_in_a_payload() {
        use prasang_plugin_sdk::testing::{ACCESS_URL, guest_access, guest_booked};
        let body = payload(&guest_booked()).to_string();
        assert!(body.contains("ticket.booked"), "{body}");
        assert!(!body.contains(ACCESS_URL), "{body}");
        assert!(!body.contains("token="), "{body}");
        assert!(!body.contains("access"), "{body}");
        let skipped = access::skip_unpublishable(&guest_access()).expect("skipped");
        assert!(
            skipped.detail.starts_with("skipped: "),
            "{}",
            skipped.detail
        );
    }

    #[test]
    fn organizer_messages_carry_subject_and_text_as_written() {
        let body = payload(&prasang_plugin_sdk::testing::organizer_message());
        assert_eq!(body["type"], "organizer.message");
        assert_eq!(body["data"]["subject"], "Doors open at <b>19:00</b>");
        assert_eq!(
            body["data"]["message"],
            "The hall opens an hour later than planned.\n<script>alert(\"hi\")</script> & see you!"
        );
        assert_eq!(body["data"]["offer"], Value::Null);
    }

    #[test]
    fn payload_carries_type_and_event_details() {
        let body = payload(&booked_notification());
        assert_eq!(body["type"], "ticket.booked");
        assert_eq!(body["data"]["event"]["starts_at"], "2026-12-01T18:30:00Z");
        let local = payload(&prasang_plugin_sdk::testing::booked_in_kolkata());
        assert_eq!(local["data"]["event"]["time_zone"], "Asia/Kolkata");
        assert_eq!(local["data"]["event"]["starts_at"], "2026-12-01T13:00:00Z");
        assert_eq!(
            local["data"]["event"]["starts_at_local"],
            "2026-12-01T18:30:00+05:30"
        );
        let ticket = &body["data"]["ticket"];
        assert_eq!(ticket["quantity"], 2);
        assert_eq!(ticket["amount_minor"], 100_000);
        assert_eq!(ticket["discount_minor"], 10_000);
        assert_eq!(ticket["promo_code"], "FAMILY");
        assert_eq!(
            ticket["lines"][1],
            json!({
                "ticket_type": "Child",
                "quantity": 1,
                "unit_price_minor": 50_000,
                "discount_minor": 10_000,
                "amount_minor": 40_000,
            })
        );
        assert_eq!(ticket["lines"][0]["ticket_type"], "Adult");
        let sample = prasang_plugin_sdk::testing::sample_admission;
        assert_eq!(
            ticket["admissions"],
            json!([
                { "seat": 1, "code": sample(1).code },
                { "seat": 2, "code": sample(2).code },
            ])
        );
        assert!(signing_key("").is_err());
    }
}
