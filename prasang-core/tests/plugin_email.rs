//! The bundled email plugin, through a real SMTP conversation and through the outbox folder.
#![cfg(feature = "plugins")]

mod plugin_support;

use mail_parser::{MessageParser, MimeHeaders, PartType};
use prasang_core::admission::qr;
use prasang_core::notify::{Channel, DeliveryError, NotificationKind};
use prasang_core::plugin_host::{
    HostServices, PluginChannel, PluginHost, PluginLoadError, SmtpSettings,
};
use prasang_core::tickets::TicketStatus;
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
    // The ticket's types with what each cost, through the 0.3.0 bindings.
    assert!(text.contains("    1 × Adult (600.00 INR)"), "{text}");
    assert!(
        text.contains("    1 × Child (400.00 INR, 100.00 INR off)"),
        "{text}"
    );
    assert!(text.contains("Code:  FAMILY (100.00 INR off)"), "{text}");
    let html = message.body_html(0).unwrap();
    assert!(html.contains("<th colspan=\"2\""), "{html}");
    assert!(html.contains("Rust &amp; Wasm Night"), "{html}");
    assert!(
        html.contains("1 × Adult (600.00 INR)<br>1 × Child"),
        "{html}"
    );

    let attachment = message
        .attachments()
        .find(|a| a.attachment_name() == Some("event.ics"))
        .expect("an .ics attachment");
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

/// The bundled email plugin on a host without SMTP, writing into `<data>/outbox`.
fn outbox_email(data: &std::path::Path) -> std::sync::Arc<PluginChannel> {
    let host = PluginHost::new(HostServices::outbox(data.join("outbox"))).unwrap();
    host.load(plugin_support::plugins_dir().join("email.toml"))
        .unwrap()
}

#[test]
fn without_smtp_the_email_lands_once_in_the_outbox() {
    let data = tempfile::tempdir().unwrap();
    let outbox = data.path().join("outbox");
    let email = outbox_email(data.path());
    let mut notification = plugin_support::booked("email");
    notification.kind = NotificationKind::TicketCancelled;
    let ticket = notification.ticket.as_mut().unwrap();
    ticket.status = TicketStatus::Cancelled;
    ticket.admissions.clear();

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
        "only booked tickets get a calendar and admission codes"
    );
}

/// The `cid:` references of `html`'s images, in order.
fn image_cids(html: &str) -> Vec<String> {
    html.split("<img src=\"cid:")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap().to_owned())
        .collect()
}

#[test]
fn the_booking_email_shows_each_seats_qr_code_inline_with_its_code_under_it() {
    let data = tempfile::tempdir().unwrap();
    let outbox = data.path().join("outbox");
    let email = outbox_email(data.path());
    let notification = plugin_support::booked("email");
    let admissions = notification.ticket.as_ref().unwrap().admissions.clone();
    assert_eq!(admissions.len(), 2);
    email.deliver(&notification).unwrap();

    let bytes = outbox_message(&outbox);
    let message = MessageParser::default().parse(&bytes).unwrap();
    let html = message.body_html(0).unwrap();
    let cids = image_cids(&html);
    assert_eq!(cids.len(), 2, "{html}");
    let text = message.body_text(0).unwrap();
    for (admission, cid) in admissions.iter().zip(&cids) {
        // One inline image/png part per seat, named by the cid the HTML shows.
        let parts: Vec<_> = message
            .parts
            .iter()
            .filter(|p| p.content_id() == Some(cid.as_str()))
            .collect();
        assert_eq!(parts.len(), 1, "one part for cid:{cid}");
        let part = parts[0];
        let content_type = part.content_type().unwrap();
        assert_eq!(
            (content_type.ctype(), content_type.subtype()),
            ("image", Some("png"))
        );
        assert!(part.content_disposition().unwrap().is_inline());
        // It is the QR code of this seat's code, as the host draws it.
        let png = part.contents();
        assert_eq!(Some(png), qr::png(&admission.code, 6).as_deref());
        let image = png::Decoder::new(std::io::Cursor::new(png))
            .read_info()
            .unwrap();
        assert!(image.info().width >= 200, "{}", image.info().width);
        // The code's text under the image, and in the plain text.
        let after_image = &html[html.find(cid.as_str()).unwrap()..];
        assert!(after_image.contains(&admission.code), "{html}");
        let line = format!("Seat {} of 2: {}", admission.seat, admission.code);
        assert!(text.contains(&line), "{text}");
    }
    // multipart/alternative { text/plain, multipart/related { text/html, image/png × 2 } }.
    let related = message
        .parts
        .iter()
        .position(|p| p.content_type().and_then(|t| t.subtype()) == Some("related"))
        .expect("a multipart/related part");
    let PartType::Multipart(children) = &message.parts[related].body else {
        panic!("multipart/related has no parts");
    };
    let kinds: Vec<_> = children
        .iter()
        .map(|&i| {
            message.parts[i as usize]
                .content_type()
                .unwrap()
                .subtype()
                .unwrap()
        })
        .collect();
    assert_eq!(kinds, ["html", "png", "png"]);
}

/// The kit's 0.1.0 component (`ok.wat`, componentized against `plugins/wit/0.1.0`), which
/// answers every delivery with an empty receipt.
fn a_0_1_plugin(host: &PluginHost) -> std::sync::Arc<PluginChannel> {
    host.load_bytes(
        plugin_support::test_manifest("old"),
        &plugin_support::wat_component("ok"),
    )
    .unwrap()
}

#[test]
fn a_0_1_plugin_is_skipped_for_feedback_requests_and_still_gets_the_kinds_it_knows() {
    let data = tempfile::tempdir().unwrap();
    let host = PluginHost::new(HostServices::outbox(data.path().join("outbox"))).unwrap();
    let old = a_0_1_plugin(&host);
    let mut request = plugin_support::booked("old");
    request.kind = NotificationKind::FeedbackRequest;
    request.ticket = None;

    // Not sent and not an error: nothing to retry, and the delivery log says why.
    let receipt = old.deliver(&request).unwrap();
    assert!(receipt.detail.starts_with("skipped:"), "{receipt:?}");
    assert_eq!(receipt.remote_id, None);

    // Every kind 0.1.0 has reaches it, through the 0.1.0 bindings, event in any zone.
    assert_called_for(
        &old,
        &[
            NotificationKind::TicketBooked,
            NotificationKind::FeedbackReply,
        ],
    );
}

/// The kit's waiting-list offer, organizer message, guest's sign-in link and waiting room
/// admission, as log entry 45 makes them for `channel`.
fn kinds_of_0_3(channel: &str) -> [prasang_core::notify::Notification; 4] {
    [
        prasang_test_sinks::sample::waitlist_offer(45, channel),
        prasang_test_sinks::sample::organizer_message(45, channel),
        prasang_test_sinks::sample::guest_access(45, channel),
        prasang_test_sinks::sample::queue_admitted(45, channel),
    ]
}

#[test]
fn plugins_before_0_3_are_skipped_for_offers_messages_sign_in_links_and_queue_admissions() {
    let data = tempfile::tempdir().unwrap();
    let host = PluginHost::new(HostServices::outbox(data.path().join("outbox"))).unwrap();
    for version in ["0.1.0", "0.2.0"] {
        let older = host
            .load_bytes(
                plugin_support::test_manifest_at("older", version),
                &plugin_support::wat_component_at("ok", version),
            )
            .unwrap();
        for notification in kinds_of_0_3("older") {
            let receipt = older.deliver(&notification).unwrap();
            let expected = format!(
                "skipped: plugins built for prasang:channel@{version} do not receive {:?} \
                 notifications",
                notification.kind
            );
            assert_eq!(receipt.detail, expected, "{version}");
            assert_eq!(receipt.remote_id, None);
        }
    }
    // A 0.3.0 plugin is called for each.
    let current = host
        .load_bytes(
            plugin_support::test_manifest_at("current", "0.3.0"),
            &plugin_support::wat_component_at("ok", "0.3.0"),
        )
        .unwrap();
    for notification in kinds_of_0_3("current") {
        let receipt = current.deliver(&notification).unwrap();
        assert_eq!(receipt.detail, "", "called for {:?}", notification.kind);
    }
}

#[test]
fn a_waitlist_offer_is_mailed_with_its_deadline_on_the_events_clock_and_the_accept_link() {
    let [offer, _, _, _] = kinds_of_0_3("email");
    let bytes = mailed(&offer);
    let message = MessageParser::default().parse(&bytes).unwrap();
    assert_eq!(
        message.subject(),
        Some("Seats for you: Rust & Wasm Night, Tue 1 Dec 2026, 18:30 IST (UTC+05:30)")
    );
    // The deadline, 14:30 UTC, in Kolkata's time as the host's tz database computes it.
    let text = message.body_text(0).unwrap();
    assert!(
        text.contains("we are holding 2 × Adult for you until Mon 30 Nov 2026, 20:00 IST"),
        "{text}"
    );
    let accept = prasang_test_sinks::sample::ACCEPT_URL;
    assert!(
        text.contains(&format!("Accept or decline: {accept}")),
        "{text}"
    );
    let html = message.body_html(0).unwrap();
    assert!(html.contains(&format!("<a href=\"{accept}\"")), "{html}");
    assert!(
        html.contains("Mon 30 Nov 2026, 20:00 IST (UTC+05:30)"),
        "{html}"
    );
    assert_eq!(message.attachments().count(), 0);
}

#[test]
fn an_organizers_message_is_mailed_as_theirs_and_its_markup_arrives_as_text() {
    let [_, written, _, _] = kinds_of_0_3("email");
    let bytes = mailed(&written);
    let message = MessageParser::default().parse(&bytes).unwrap();
    assert_eq!(
        message.subject(),
        Some("From the organizer of Rust & Wasm Night: Doors open at <b>19:00</b>")
    );
    // The text as written, line break included (the e-mail's lines end in CRLF).
    let text = message.body_text(0).unwrap().replace("\r\n", "\n");
    assert!(
        text.contains(
            "The hall opens an hour later.\n<script>alert(1)</script> & \
             <a href=\"https://evil.example\">bring this</a>"
        ),
        "the text as written: {text}"
    );
    let html = message.body_html(0).unwrap();
    for markup in ["<script", "<a href=\"https://evil", "<b>19"] {
        assert!(!html.contains(markup), "{markup} in {html}");
    }
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;a href=&quot;"),
        "{html}"
    );
    assert!(
        html.contains("Doors open at &lt;b&gt;19:00&lt;/b&gt;"),
        "{html}"
    );
}

#[test]
fn a_guests_sign_in_link_is_mailed_whole_with_its_expiry_on_the_events_clock() {
    let [_, _, access, _] = kinds_of_0_3("email");
    let bytes = mailed(&access);
    let message = MessageParser::default().parse(&bytes).unwrap();
    assert_eq!(
        message.subject(),
        Some("Your sign-in link: Rust & Wasm Night, Tue 1 Dec 2026, 18:30 IST (UTC+05:30)")
    );
    let url = prasang_test_sinks::sample::ACCESS_URL;
    let text = message.body_text(0).unwrap();
    assert!(text.contains(&format!("Sign in: {url}")), "{text}");
    // 14:30 UTC, on Kolkata's clock as the host's tz database computes it.
    assert!(
        text.contains("Works once, until: Mon 30 Nov 2026, 20:00 IST (UTC+05:30)"),
        "{text}"
    );
    assert!(
        text.contains("If you did not ask for it, ignore this e-mail"),
        "{text}"
    );
    let html = message.body_html(0).unwrap();
    assert!(html.contains(&format!("<a href=\"{url}\"")), "{html}");
    assert_eq!(message.attachments().count(), 0);

    // Without its link (the guest set a password meanwhile) nothing is mailed.
    let data = tempfile::tempdir().unwrap();
    let mut linkless = access.clone();
    linkless.access = None;
    let receipt = outbox_email(data.path()).deliver(&linkless).unwrap();
    assert!(receipt.detail.starts_with("skipped:"), "{receipt:?}");
    let outbox = std::fs::read_dir(data.path().join("outbox")).ok();
    assert!(outbox.is_none_or(|mut files| files.next().is_none()));
}

#[test]
fn a_queue_admission_is_mailed_with_the_passs_expiry_on_the_events_clock_and_the_page() {
    let [_, _, _, admitted] = kinds_of_0_3("email");
    let bytes = mailed(&admitted);
    let message = MessageParser::default().parse(&bytes).unwrap();
    assert_eq!(
        message.subject(),
        Some("Your turn to book: Rust & Wasm Night, Tue 1 Dec 2026, 18:30 IST (UTC+05:30)")
    );
    // 14:30 UTC, on Kolkata's clock as the host's tz database computes it.
    let text = message.body_text(0).unwrap();
    assert!(
        text.contains("Book before: Mon 30 Nov 2026, 20:00 IST (UTC+05:30)"),
        "{text}"
    );
    let page = prasang_test_sinks::sample::WAITING_ROOM_URL;
    assert!(text.contains(&format!("Book now: {page}")), "{text}");
    let html = message.body_html(0).unwrap();
    assert!(html.contains(&format!("<a href=\"{page}\"")), "{html}");
    assert_eq!(message.attachments().count(), 0);
}

#[test]
fn a_guests_booking_mail_says_how_to_manage_the_tickets_with_the_link() {
    let booked = prasang_test_sinks::sample::guest_booked(46, "email");
    let message_bytes = mailed(&booked);
    let message = MessageParser::default().parse(&message_bytes).unwrap();
    let url = prasang_test_sinks::sample::ACCESS_URL;
    let text = message.body_text(0).unwrap();
    assert!(
        text.contains(&format!(
            "Manage your tickets: {url} (works once, until 20:00 IST)"
        )),
        "{text}"
    );
    assert!(text.contains("Your booking is confirmed"), "{text}");
    let html = message.body_html(0).unwrap();
    assert!(html.contains(&format!("<a href=\"{url}\"")), "{html}");
    // An account's booking (no link) has no such line.
    let account = mailed(&prasang_test_sinks::sample::booked_in_kolkata(47, "email"));
    let text = MessageParser::default()
        .parse(&account)
        .unwrap()
        .body_text(0)
        .unwrap()
        .into_owned();
    assert!(!text.contains("Manage your tickets"), "{text}");
}

/// Delivers the kit's booking in Kolkata as each of `kinds` through `plugin` (a fixture built
/// from `ok.wat`) and checks the plugin's own empty receipt came back: it was called.
fn assert_called_for(plugin: &PluginChannel, kinds: &[NotificationKind]) {
    for &kind in kinds {
        let mut notification = prasang_test_sinks::sample::booked_in_kolkata(42, plugin.id());
        notification.kind = kind;
        let receipt = plugin.deliver(&notification).unwrap();
        assert_eq!(
            receipt.detail, "",
            "the plugin's own (empty) receipt for {kind:?}"
        );
    }
}

/// Plugins built against 0.2.0 (before ticket lines) keep loading after the SDK moved to
/// 0.3.0, through their own bindings, and get every kind, ticket notifications included.
#[test]
fn a_0_2_plugin_still_loads_and_gets_every_kind() {
    let data = tempfile::tempdir().unwrap();
    let host = PluginHost::new(HostServices::outbox(data.path().join("outbox"))).unwrap();
    let older = host
        .load_bytes(
            plugin_support::test_manifest_at("older", "0.2.0"),
            &plugin_support::wat_component_at("ok", "0.2.0"),
        )
        .unwrap();
    assert_called_for(
        &older,
        &[
            NotificationKind::TicketBooked,
            NotificationKind::FeedbackRequest,
        ],
    );
    // A 0.3.0 component does not pass for a 0.2.0 plugin: it imports 0.3.0's types.
    let refused = host.load_bytes(
        plugin_support::test_manifest_at("mismatched", "0.2.0"),
        &plugin_support::wat_component_at("ok", "0.3.0"),
    );
    assert!(
        matches!(&refused, Err(PluginLoadError::Invalid { reason, .. }) if reason.contains("types@0.3.0")),
        "a 0.3.0 component loaded as 0.2.0: {:?}",
        refused.err()
    );
}

fn outbox_message(outbox: &std::path::Path) -> Vec<u8> {
    let files: Vec<_> = std::fs::read_dir(outbox).unwrap().flatten().collect();
    assert_eq!(files.len(), 1, "{files:?}");
    std::fs::read(files[0].path()).unwrap()
}

/// `notification` delivered by the e-mail plugin into a fresh outbox: the one e-mail's bytes.
fn mailed(notification: &prasang_core::notify::Notification) -> Vec<u8> {
    let data = tempfile::tempdir().unwrap();
    let receipt = outbox_email(data.path()).deliver(notification).unwrap();
    assert!(receipt.remote_id.is_some(), "{receipt:?}");
    outbox_message(&data.path().join("outbox"))
}

#[test]
fn feedback_requests_reach_0_2_plugins_as_an_email() {
    let mut request = prasang_test_sinks::sample::booked_in_kolkata(43, "email");
    request.kind = NotificationKind::FeedbackRequest;
    request.ticket = None;
    let bytes = mailed(&request);
    let message = MessageParser::default().parse(&bytes).unwrap();
    assert_eq!(
        message.subject(),
        Some("How was it?: Rust & Wasm Night, Tue 1 Dec 2026, 18:30 IST (UTC+05:30)")
    );
    assert!(message.body_text(0).unwrap().contains("How was the event?"));
    assert_eq!(message.attachments().count(), 0);
}

/// The Python that checks calendar files with the `icalendar` library: `$PRASANG_PYTHON`
/// (scripts/test.sh points it at the pinned venv, where a missing library is a broken set-up),
/// else `python3` when it has the library, else `None` (the test says it skipped).
fn python_with_icalendar() -> Option<String> {
    let pinned = std::env::var("PRASANG_PYTHON").ok();
    let python = pinned.clone().unwrap_or_else(|| "python3".into());
    let probe = std::process::Command::new(&python)
        .args(["-c", "import icalendar"])
        .output();
    if probe.is_ok_and(|o| o.status.success()) {
        return Some(python);
    }
    let why = format!("{python} has no icalendar (pip install -r scripts/python/requirements.txt)");
    assert!(pinned.is_none(), "PRASANG_PYTHON is set: {why}");
    eprintln!("SKIPPED: {why}");
    None
}

#[test]
fn local_times_in_the_mail_and_a_calendar_file_an_independent_parser_places_right() {
    let data = tempfile::tempdir().unwrap();
    let outbox = data.path().join("outbox");
    let email = outbox_email(data.path());
    // 18:30-21:00 in Kolkata: 13:00-15:30 UTC.
    let booked = prasang_test_sinks::sample::booked_in_kolkata(44, "email");
    email.deliver(&booked).unwrap();
    let bytes = outbox_message(&outbox);
    let message = MessageParser::default().parse(&bytes).unwrap();
    assert_eq!(
        message.subject(),
        Some("Booked: Rust & Wasm Night, Tue 1 Dec 2026, 18:30 IST (UTC+05:30)")
    );
    let text = message.body_text(0).unwrap();
    assert!(
        text.contains("When:  Tue 1 Dec 2026, 18:30 IST (UTC+05:30)"),
        "{text}"
    );
    assert!(
        text.contains("Until: Tue 1 Dec 2026, 21:00 IST (UTC+05:30)"),
        "{text}"
    );
    let html = message.body_html(0).unwrap();
    assert!(html.contains("18:30 IST (UTC+05:30)"), "{html}");

    let ics = message
        .attachments()
        .find(|a| a.attachment_name() == Some("event.ics"))
        .expect("an .ics attachment")
        .contents()
        .to_vec();
    let Some(python) = python_with_icalendar() else {
        return;
    };
    let ics_path = data.path().join("event.ics");
    std::fs::write(&ics_path, &ics).unwrap();
    let script = "import sys, icalendar, datetime\n\
        cal = icalendar.Calendar.from_ical(open(sys.argv[1], 'rb').read())\n\
        event = next(iter(cal.walk('VEVENT')))\n\
        for name in ('DTSTART', 'DTEND'):\n\
        \x20   at = event.decoded(name)\n\
        \x20   assert at.tzinfo is not None, name + ' has no zone: a floating time'\n\
        \x20   print(at.astimezone(datetime.timezone.utc).isoformat())\n";
    let output = std::process::Command::new(&python)
        .args(["-c", script])
        .arg(&ics_path)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "2026-12-01T13:00:00+00:00\n2026-12-01T15:30:00+00:00\n"
    );
}
