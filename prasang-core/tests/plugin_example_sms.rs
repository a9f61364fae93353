//! The custom example plugin in examples/sms-plugin, built with the SDK, loads and delivers.
#![cfg(feature = "plugins")]

mod plugin_support;

use prasang_core::notify::{Channel, DeliveryError};
use prasang_core::plugin_host::Manifest;
use prasang_test_sinks::http::HttpSink;

#[test]
fn example_sms_plugin_posts_to_its_gateway() {
    let gateway = HttpSink::start();
    let (_outbox, host) = plugin_support::outbox_host();
    let mut manifest =
        Manifest::from_file(&prasang_test_sinks::plugins::example_plugins_dir().join("sms.toml"))
            .unwrap();
    manifest.allowed_hosts = vec![gateway.host()];
    manifest
        .config
        .insert("gateway-url".into(), gateway.url("/v1/messages"));
    manifest.config.insert("api-key".into(), "k3y".into());
    let sms = host.load_manifest(manifest).unwrap();
    assert_eq!(sms.id(), "sms");

    let notification = plugin_support::booked("sms");
    sms.deliver(&notification).unwrap();
    let requests = gateway.wait_for(1);
    let request = &requests[0];
    assert_eq!(request.path, "/v1/messages");
    assert_eq!(request.headers["authorization"], "Bearer k3y");
    assert_eq!(
        request.headers["idempotency-key"],
        notification.idempotency_key
    );
    let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(body["sender"], "PRASANG");
    assert_eq!(
        body["recipient_ref"],
        notification.recipient.user_id.to_string()
    );
    assert_eq!(
        body["text"],
        "Booked: 1 × Adult, 1 × Child for Rust & Wasm Night, Tue 1 Dec 2026, 18:30 UTC. \
         Paid 1000.00 INR (code FAMILY)."
    );

    // An offer: the deadline on the event's clock and the whole link, in one SMS.
    sms.deliver(&prasang_test_sinks::sample::waitlist_offer(45, "sms"))
        .unwrap();
    let requests = gateway.wait_for(2);
    let body: serde_json::Value = serde_json::from_slice(&requests[1].body).unwrap();
    let text = body["text"].as_str().unwrap();
    assert_eq!(
        text,
        format!(
            "Seats for you: 2 × Adult, Rust & Wasm Night. Accept by 30 Nov 20:00 IST: {}",
            prasang_test_sinks::sample::ACCEPT_URL
        )
    );
    assert!(text.chars().count() <= 160);

    // A guest's sign-in link cannot arrive whole in one SMS: not sent, with a skip receipt;
    // a guest's booking is texted without it.
    let receipt = sms
        .deliver(&prasang_test_sinks::sample::guest_access(46, "sms"))
        .unwrap();
    assert!(receipt.detail.starts_with("skipped:"), "{receipt:?}");
    sms.deliver(&prasang_test_sinks::sample::guest_booked(47, "sms"))
        .unwrap();
    let requests = gateway.wait_for(3);
    assert_eq!(requests.len(), 3, "the sign-in link was sent");
    let body = String::from_utf8(requests[2].body.clone()).unwrap();
    assert!(body.contains("Booked: "), "{body}");
    assert!(
        !body.contains(prasang_test_sinks::sample::ACCESS_TOKEN),
        "{body}"
    );

    // A waiting room's admission: the pass's expiry on the event's clock and the whole link.
    sms.deliver(&prasang_test_sinks::sample::queue_admitted(48, "sms"))
        .unwrap();
    let requests = gateway.wait_for(4);
    let body: serde_json::Value = serde_json::from_slice(&requests[3].body).unwrap();
    assert_eq!(
        body["text"],
        format!(
            "Your turn to book Rust & Wasm Night. Book by 30 Nov 20:00 IST: {}",
            prasang_test_sinks::sample::WAITING_ROOM_URL
        )
    );

    // A gateway that rejects the request for good makes a permanent failure.
    gateway.answer_with(400);
    let error = sms.deliver(&notification).unwrap_err();
    assert!(matches!(error, DeliveryError::Permanent(_)), "{error:?}");
}
