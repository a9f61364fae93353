//! The bundled email plugin, through a real SMTP conversation and through the outbox folder.
#![cfg(feature = "plugins")]

mod plugin_support;

use mail_parser::{MessageParser, MimeHeaders};
use prasang_core::notify::{Channel, DeliveryError, NotificationKind};
use prasang_core::plugin_host::{HostServices, PluginHost, SmtpSettings};
use prasang_test_sinks::free_port;
use prasang_test_sinks::smtp::SmtpSink;

fn smtp_host(port: u16) -> PluginHost {
    let mut settings = SmtpSettings::new("127.0.0.1", port);
    settings.timeout = std::time::Duration::from_secs(2);
    let services = HostServices::smtp(settings)
        .unwrap()
        .with_sender("Prasang Tickets <tickets@prasang.test>")
        .unwrap();
    PluginHost::new(services).unwrap()
}

#[test]
fn booking_email_reaches_the_smtp_server_with_both_bodies_and_the_calendar() {
    let smtp = SmtpSink::start();
    let host = smtp_host(smtp.port);
    let email = host
        .load(plugin_support::plugins_dir().join("email.toml"))
        .unwrap();
    let notification = plugin_support::booked("email");

    let receipt = email.deliver(&notification).unwrap();
    let expected_id = format!("<{}@prasang.test>", notification.idempotency_key);
    assert_eq!(receipt.remote_id.as_deref(), Some(expected_id.as_str()));

    let messages = smtp.wait_for(1);
    assert_eq!(messages.len(), 1);
    let received = &messages[0];
    assert_eq!(received.from, "tickets@prasang.test");
    assert_eq!(received.to, ["ada@example.org"]);

    let message = MessageParser::default().parse(&received.data).unwrap();
    assert_eq!(
        message.message_id(),
        Some(notification.idempotency_key.as_str())
            .map(|k| format!("{k}@prasang.test"))
            .as_deref()
    );
    assert_eq!(
        message.subject(),
        Some("Booked: Rust & Wasm Night, Tue 1 Dec 2026, 18:30 UTC")
    );
    let to = message.to().unwrap().first().unwrap();
    assert_eq!(to.address(), Some("ada@example.org"));
    assert_eq!(to.name(), Some("Ada Lovelace"));

    let text = message.body_text(0).unwrap();
    assert!(text.contains("Hello Ada Lovelace,"), "{text}");
    assert!(
        text.contains("Your booking is confirmed: 2 seat(s)."),
        "{text}"
    );
    assert!(text.contains("Where: Hall 1, Pune"), "{text}");
    assert!(text.contains("Total: 1000.00 INR"), "{text}");
    let html = message.body_html(0).unwrap();
    assert!(html.contains("<th colspan=\"2\""), "{html}");
    assert!(html.contains("Rust &amp; Wasm Night"), "{html}");

    let attachment = message.attachments().next().expect("an .ics attachment");
    assert_eq!(attachment.attachment_name(), Some("event.ics"));
    let content_type = attachment.content_type().unwrap();
    assert_eq!(content_type.c_type, "text");
    assert_eq!(content_type.subtype(), Some("calendar"));
    let ics = String::from_utf8(attachment.contents().to_vec()).unwrap();
    assert!(ics.contains("BEGIN:VEVENT\r\n"), "{ics}");
    assert!(ics.contains("DTSTART:20261201T183000Z\r\n"), "{ics}");
    assert!(ics.contains("SUMMARY:Rust & Wasm Night\r\n"), "{ics}");
}

#[test]
fn smtp_down_is_temporary_and_the_retry_succeeds_once_it_is_back() {
    let port = free_port();
    let host = smtp_host(port);
    let email = host
        .load(plugin_support::plugins_dir().join("email.toml"))
        .unwrap();
    let notification = plugin_support::booked("email");

    let error = email.deliver(&notification).unwrap_err();
    assert!(
        matches!(&error, DeliveryError::Temporary(why) if why.contains("SMTP")),
        "{error:?}"
    );

    let smtp = SmtpSink::start_on(port);
    let receipt = email.deliver(&notification).unwrap();
    let messages = smtp.wait_for(1);
    assert_eq!(messages.len(), 1);
    let message = MessageParser::default().parse(&messages[0].data).unwrap();
    assert_eq!(
        receipt.remote_id.as_deref(),
        message.message_id().map(|id| format!("<{id}>")).as_deref()
    );
}

#[test]
fn without_smtp_the_email_lands_once_in_the_outbox() {
    let data = tempfile::tempdir().unwrap();
    let outbox = data.path().join("outbox");
    let host = PluginHost::new(HostServices::outbox(&outbox)).unwrap();
    let email = host
        .load(plugin_support::plugins_dir().join("email.toml"))
        .unwrap();
    let mut notification = plugin_support::booked("email");
    notification.kind = NotificationKind::TicketCancelled;

    // Delivered twice (a retry after a crash): still one file, under the same Message-ID.
    let first = email.deliver(&notification).unwrap();
    let second = email.deliver(&notification).unwrap();
    assert_eq!(first.remote_id, second.remote_id);
    let files: Vec<_> = std::fs::read_dir(&outbox).unwrap().flatten().collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let path = files[0].path();
    assert_eq!(path.extension().unwrap(), "eml");

    let bytes = std::fs::read(&path).unwrap();
    let message = MessageParser::default().parse(&bytes).unwrap();
    assert!(
        message
            .subject()
            .unwrap()
            .starts_with("Cancelled: Rust & Wasm Night")
    );
    assert!(message.body_text(0).unwrap().contains("is cancelled"));
    assert_eq!(
        message.attachments().count(),
        0,
        "only booked tickets get a calendar"
    );
}

#[test]
fn a_0_1_plugin_is_skipped_for_feedback_requests_and_still_gets_the_kinds_it_knows() {
    let data = tempfile::tempdir().unwrap();
    let outbox = data.path().join("outbox");
    let host = PluginHost::new(HostServices::outbox(&outbox)).unwrap();
    let email = host
        .load(plugin_support::plugins_dir().join("email.toml"))
        .unwrap();
    let mut request = plugin_support::booked("email");
    request.kind = NotificationKind::FeedbackRequest;
    request.ticket = None;
    request.message = Some("How was it?".into());

    // Not sent and not an error: nothing to retry, and the delivery log says why.
    let receipt = email.deliver(&request).unwrap();
    assert!(receipt.detail.starts_with("skipped:"), "{receipt:?}");
    assert_eq!(receipt.remote_id, None);
    assert!(!outbox.exists() || std::fs::read_dir(&outbox).unwrap().next().is_none());

    let mut reply = plugin_support::booked("email");
    reply.kind = NotificationKind::FeedbackReply;
    reply.message = Some("Thanks for coming!".into());
    email.deliver(&reply).unwrap();
    assert_eq!(std::fs::read_dir(&outbox).unwrap().count(), 1);
}
