//! The bundled webhook plugin: signed Standard Webhooks POSTs, only to allow-listed hosts.
#![cfg(feature = "plugins")]

mod plugin_support;

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use prasang_core::notify::{Channel, DeliveryError};
use prasang_core::plugin_host::{PluginChannel, PluginHost};
use prasang_test_sinks::http::{HttpSink, Request};
use sha2::Sha256;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

fn verify(request: &Request) {
    let id = &request.headers["webhook-id"];
    let timestamp = &request.headers["webhook-timestamp"];
    let key = BASE64.decode(SECRET.trim_start_matches("whsec_")).unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(&request.body);
    let expected = format!("v1,{}", BASE64.encode(mac.finalize().into_bytes()));
    let signatures: Vec<&str> = request.headers["webhook-signature"].split(' ').collect();
    assert!(
        signatures.contains(&expected.as_str()),
        "signature {signatures:?} does not verify (expected {expected})"
    );
}

fn webhook(host: &PluginHost, sink: &HttpSink, allow: bool) -> Arc<PluginChannel> {
    let allowed = allow.then(|| sink.host());
    webhook_to(host, allowed, sink.url("/hooks/prasang"))
}

/// The webhook plugin posting to `url`, with `allowed` (if any) as its one allowed host.
fn webhook_to(host: &PluginHost, allowed: Option<String>, url: String) -> Arc<PluginChannel> {
    let mut manifest = plugin_support::manifest("webhook");
    manifest.allowed_hosts.extend(allowed);
    manifest.config.insert("url".into(), url);
    manifest.config.insert("secret".into(), SECRET.into());
    host.load_manifest(manifest).unwrap()
}

/// How delivering the sample notification over `channel` fails.
fn failure(channel: &PluginChannel) -> DeliveryError {
    channel
        .deliver(&plugin_support::booked("webhook"))
        .unwrap_err()
}

#[test]
fn webhook_is_signed_and_carries_the_idempotency_key() {
    let sink = HttpSink::start();
    let (_outbox, host) = plugin_support::outbox_host();
    let channel = webhook(&host, &sink, true);
    let notification = plugin_support::booked("webhook");

    let receipt = channel.deliver(&notification).unwrap();
    assert_eq!(
        receipt.remote_id.as_deref(),
        Some(notification.idempotency_key.as_str())
    );

    let requests = sink.wait_for(1);
    let request = &requests[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/hooks/prasang");
    assert_eq!(request.headers["content-type"], "application/json");
    assert_eq!(request.headers["webhook-id"], notification.idempotency_key);
    let sent_at: i64 = request.headers["webhook-timestamp"].parse().unwrap();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!(
        (now - sent_at).abs() <= 5,
        "timestamp {sent_at} is not now ({now})"
    );
    verify(request);

    let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(body["type"], "ticket.booked");
    assert_eq!(body["data"]["recipient"]["email"], "ada@example.org");
    assert_eq!(body["data"]["event"]["title"], "Rust & Wasm Night");
    assert_eq!(body["data"]["event"]["starts_at"], "2026-12-01T18:30:00Z");
    let ticket = &body["data"]["ticket"];
    assert_eq!(ticket["quantity"], 2);
    assert_eq!(ticket["amount_minor"], 100_000);
    assert_eq!(ticket["lines"][0]["ticket_type"], "Adult");
    assert_eq!(ticket["lines"][0]["amount_minor"], 60_000);
    assert_eq!(ticket["lines"][1]["ticket_type"], "Child");
    assert_eq!(ticket["lines"][1]["unit_price_minor"], 50_000);
    assert_eq!(ticket["lines"][1]["discount_minor"], 10_000);
    assert_eq!(ticket["discount_minor"], 10_000);
    assert_eq!(ticket["promo_code"], "FAMILY");
    // Each seat's admission code, through the 0.3.0 bindings.
    let admission = prasang_test_sinks::sample::admission;
    assert_eq!(
        ticket["admissions"],
        serde_json::json!([
            { "seat": 1, "code": admission(1).code },
            { "seat": 2, "code": admission(2).code },
        ])
    );

    // A retry repeats the same id, so the receiver can drop it.
    channel.deliver(&notification).unwrap();
    let requests = sink.wait_for(2);
    assert_eq!(
        requests[1].headers["webhook-id"],
        notification.idempotency_key
    );
    verify(&requests[1]);
}

#[test]
fn offers_organizer_messages_and_queue_admissions_are_posted_with_their_fields() {
    let sink = HttpSink::start();
    let (_outbox, host) = plugin_support::outbox_host();
    let channel = webhook(&host, &sink, true);
    channel
        .deliver(&prasang_test_sinks::sample::waitlist_offer(45, "webhook"))
        .unwrap();
    channel
        .deliver(&prasang_test_sinks::sample::organizer_message(
            46, "webhook",
        ))
        .unwrap();
    channel
        .deliver(&prasang_test_sinks::sample::queue_admitted(47, "webhook"))
        .unwrap();
    let requests = sink.wait_for(3);
    let bodies: Vec<serde_json::Value> = requests
        .iter()
        .map(|request| {
            verify(request);
            serde_json::from_slice(&request.body).unwrap()
        })
        .collect();

    assert_eq!(bodies[0]["type"], "waitlist.offer");
    // The deadline in UTC and, through the host's tz database, on Kolkata's clock.
    assert_eq!(
        bodies[0]["data"]["offer"],
        serde_json::json!({
            "seats": 2,
            "ticket_type": "Adult",
            "deadline": "2026-11-30T14:30:00Z",
            "deadline_local": "2026-11-30T20:00:00+05:30",
            "accept_url": prasang_test_sinks::sample::ACCEPT_URL,
        })
    );
    assert_eq!(bodies[0]["data"]["subject"], serde_json::Value::Null);

    assert_eq!(bodies[1]["type"], "organizer.message");
    assert_eq!(bodies[1]["data"]["subject"], "Doors open at <b>19:00</b>");
    assert!(
        bodies[1]["data"]["message"]
            .as_str()
            .unwrap()
            .starts_with("The hall opens an hour later.\n<script>"),
        "{}",
        bodies[1]
    );
    assert_eq!(bodies[1]["data"]["offer"], serde_json::Value::Null);

    assert_eq!(bodies[2]["type"], "queue.admitted");
    // The pass's expiry in UTC and on Kolkata's clock, and the waiting page.
    assert_eq!(
        bodies[2]["data"]["queue_pass"],
        serde_json::json!({
            "expires_at": "2026-11-30T14:30:00Z",
            "expires_at_local": "2026-11-30T20:00:00+05:30",
            "url": prasang_test_sinks::sample::WAITING_ROOM_URL,
        })
    );
    assert_eq!(bodies[0]["data"]["queue_pass"], serde_json::Value::Null);
}

#[test]
fn a_guests_sign_in_link_never_reaches_a_webhook() {
    let sink = HttpSink::start();
    let (_outbox, host) = plugin_support::outbox_host();
    let channel = webhook(&host, &sink, true);
    // Even a booking that carries the link (as an `email` delivery would) posts without it.
    let booked = prasang_test_sinks::sample::guest_booked(47, "webhook");
    channel.deliver(&booked).unwrap();
    let requests = sink.wait_for(1);
    verify(&requests[0]);
    let body = String::from_utf8(requests[0].body.clone()).unwrap();
    assert!(body.contains("\"ticket.booked\""), "{body}");
    assert!(
        !body.contains(prasang_test_sinks::sample::ACCESS_TOKEN),
        "{body}"
    );
    assert!(!body.contains("/guest/access"), "{body}");

    // A sign-in link itself is not posted at all.
    let receipt = channel
        .deliver(&prasang_test_sinks::sample::guest_access(48, "webhook"))
        .unwrap();
    assert!(receipt.detail.starts_with("skipped:"), "{receipt:?}");
    assert_eq!(receipt.remote_id, None);
    std::thread::sleep(std::time::Duration::from_millis(50));
    assert_eq!(sink.requests().len(), 1, "the sign-in link was posted");
}

#[test]
fn a_host_missing_from_the_allow_list_is_refused() {
    let sink = HttpSink::start();
    let (_outbox, host) = plugin_support::outbox_host();
    let channel = webhook(&host, &sink, false);
    let error = failure(&channel);
    assert!(
        matches!(&error, DeliveryError::Permanent(why) if why.contains("not on the plugin's allowed-hosts")),
        "{error:?}"
    );
    std::thread::sleep(std::time::Duration::from_millis(50));
    assert!(sink.requests().is_empty(), "the request went out anyway");
}

#[test]
fn an_unreachable_receiver_is_a_temporary_failure() {
    let (_outbox, host) = plugin_support::outbox_host();
    // Port 9 on loopback: nothing listens there.
    let channel = webhook_to(
        &host,
        Some("127.0.0.1:9".into()),
        "http://127.0.0.1:9/x".into(),
    );
    let error = failure(&channel);
    assert!(matches!(error, DeliveryError::Temporary(_)), "{error:?}");
}

#[test]
fn a_receiver_addressed_by_host_name_gets_every_webhook() {
    let sink = HttpSink::start();
    let (_outbox, host) = plugin_support::outbox_host();
    let channel = webhook_to(
        &host,
        Some(format!("localhost:{}", sink.port)),
        format!("http://localhost:{}/hooks/by-name", sink.port),
    );

    // The first looks the name up, the others reuse what it found.
    for _ in 0..3 {
        channel.deliver(&plugin_support::booked("webhook")).unwrap();
    }
    let requests = sink.wait_for(3);
    assert_eq!(requests.len(), 3);
    for request in &requests {
        assert_eq!(request.path, "/hooks/by-name");
        verify(request);
    }
}
