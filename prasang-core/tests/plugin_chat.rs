//! The bundled chat plugin posts a Slack-compatible message.
#![cfg(feature = "plugins")]

mod plugin_support;

use std::sync::Arc;

use prasang_core::notify::Channel;
use prasang_core::plugin_host::PluginChannel;
use prasang_test_sinks::http::HttpSink;

/// The chat plugin posting to `path` on `sink`, on a host of its own (keep the folder).
fn chat_posting_to(sink: &HttpSink, path: &str) -> (tempfile::TempDir, Arc<PluginChannel>) {
    let (outbox, host) = plugin_support::outbox_host();
    let mut manifest = plugin_support::manifest("chat");
    manifest.allowed_hosts.push(sink.host());
    manifest.config.insert("webhook-url".into(), sink.url(path));
    (outbox, host.load_manifest(manifest).unwrap())
}

#[test]
fn chat_plugin_posts_a_slack_compatible_message() {
    let sink = HttpSink::start();
    let (_outbox, chat) = chat_posting_to(&sink, "/services/T0/B0/x");
    assert_eq!(chat.id(), "chat");

    let receipt = chat.deliver(&plugin_support::booked("chat")).unwrap();
    assert!(receipt.detail.contains("200"), "{receipt:?}");

    let requests = sink.wait_for(1);
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/services/T0/B0/x");
    assert_eq!(request.headers["content-type"], "application/json");
    let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(
        body["text"],
        "Ada Lovelace booked 2 seat(s) for *Rust &amp; Wasm Night*"
    );
    assert_eq!(body["blocks"][0]["type"], "section");
    let details = body["blocks"][1]["elements"][0]["text"].as_str().unwrap();
    assert!(
        details.contains("Tue 1 Dec 2026, 18:30 UTC · Hall 1, Pune"),
        "{details}"
    );
    assert!(
        details.contains("1 × Adult (600.00 INR), 1 × Child (400.00 INR, 100.00 INR off)"),
        "{details}"
    );
    assert!(details.contains("total 1000.00 INR"), "{details}");
    let admission = prasang_test_sinks::sample::admission;
    let codes = format!(
        "\nAdmission codes: seat 1 `{}` · seat 2 `{}`",
        admission(1).code,
        admission(2).code
    );
    assert!(details.ends_with(&codes), "{details}");
    assert_eq!(body["username"], "Prasang");
}

#[test]
fn offers_messages_and_queue_admissions_are_short_with_the_deadline_and_the_link() {
    let sink = HttpSink::start();
    let (_outbox, chat) = chat_posting_to(&sink, "/x");
    chat.deliver(&prasang_test_sinks::sample::waitlist_offer(45, "chat"))
        .unwrap();
    chat.deliver(&prasang_test_sinks::sample::organizer_message(46, "chat"))
        .unwrap();
    chat.deliver(&prasang_test_sinks::sample::queue_admitted(47, "chat"))
        .unwrap();
    let requests = sink.wait_for(3);
    let bodies: Vec<serde_json::Value> = requests
        .iter()
        .map(|request| serde_json::from_slice(&request.body).unwrap())
        .collect();
    let details = |body: &serde_json::Value| {
        body["blocks"][1]["elements"][0]["text"]
            .as_str()
            .unwrap()
            .to_owned()
    };

    assert_eq!(
        bodies[0]["text"],
        "Ada Lovelace was offered 2 × Adult for *Rust &amp; Wasm Night* from the waiting list"
    );
    let offer = details(&bodies[0]);
    let accept = prasang_test_sinks::sample::ACCEPT_URL;
    assert!(
        offer.ends_with(&format!(
            "\nHeld until Mon 30 Nov 2026, 20:00 IST (UTC+05:30) · <{accept}|Accept or decline>"
        )),
        "{offer}"
    );

    assert_eq!(
        bodies[1]["text"],
        "The organizer of *Rust &amp; Wasm Night* wrote to Ada Lovelace: \
         *Doors open at &lt;b&gt;19:00&lt;/b&gt;*"
    );
    let message = details(&bodies[1]);
    assert!(
        message.ends_with(
            "\n> The hall opens an hour later.\n> &lt;script&gt;alert(1)&lt;/script&gt; &amp; \
             &lt;a href=\"https://evil.example\"&gt;bring this&lt;/a&gt;"
        ),
        "{message}"
    );

    assert_eq!(
        bodies[2]["text"],
        "Ada Lovelace was let through the waiting room for *Rust &amp; Wasm Night*"
    );
    let admitted = details(&bodies[2]);
    let page = prasang_test_sinks::sample::WAITING_ROOM_URL;
    assert!(
        admitted.ends_with(&format!(
            "\nMay book until Mon 30 Nov 2026, 20:00 IST (UTC+05:30) · <{page}|Book now>"
        )),
        "{admitted}"
    );
}

#[test]
fn a_guests_sign_in_link_never_reaches_a_chat_room() {
    let sink = HttpSink::start();
    let (_outbox, chat) = chat_posting_to(&sink, "/x");
    chat.deliver(&prasang_test_sinks::sample::guest_booked(47, "chat"))
        .unwrap();
    let requests = sink.wait_for(1);
    let body = String::from_utf8(requests[0].body.clone()).unwrap();
    assert!(body.contains("booked 2 seat(s)"), "{body}");
    assert!(
        !body.contains(prasang_test_sinks::sample::ACCESS_TOKEN),
        "{body}"
    );

    let receipt = chat
        .deliver(&prasang_test_sinks::sample::guest_access(48, "chat"))
        .unwrap();
    assert!(receipt.detail.starts_with("skipped:"), "{receipt:?}");
    std::thread::sleep(std::time::Duration::from_millis(50));
    assert_eq!(sink.requests().len(), 1, "the sign-in link was posted");
}

#[test]
fn a_server_error_from_the_chat_service_is_temporary() {
    let sink = HttpSink::start();
    sink.answer_with(503);
    let (_outbox, chat) = chat_posting_to(&sink, "/x");
    let error = chat.deliver(&plugin_support::booked("chat")).unwrap_err();
    assert!(
        matches!(&error, prasang_core::notify::DeliveryError::Temporary(why) if why.contains("503")),
        "{error:?}"
    );
}
