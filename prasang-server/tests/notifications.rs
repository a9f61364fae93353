//! Notifications over HTTP, with the real channel plugins from target/plugins: a booking's e-mail
//! lands in the outbox and shows up in the delivery log; preferences and organizer settings;
//! who may see what; a server without plugins.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use bytes::Bytes;
use common::{TestApp, assert_problem, serve, spawn, spawn_with};
use http_body_util::Full;
use hyper::{Method, Request, StatusCode};
use mail_parser::{MessageParser, MimeHeaders};
use prasang_core::plugin_host::{ChannelSettings, Mail, SmtpSettings};
use prasang_server::{Application, ServerConfig, ServerError};
use prasang_test_sinks::plugins::plugins_dir;
use prasang_test_sinks::smtp::SmtpSink;
use serde_json::{Value, json};

/// A test server with these channel settings.
fn with_channels(settings: ChannelSettings) -> ServerConfig {
    ServerConfig {
        channels: Some(settings),
        ..ServerConfig::temporary()
    }
}

/// A server with the bundled plugins loaded and e-mail going to `outbox`.
async fn spawn_with_plugins(outbox: &Path) -> TestApp {
    spawn_with(with_channels(ChannelSettings::outbox(
        plugins_dir(),
        outbox,
    )))
    .await
}

/// [`spawn_with_plugins`] with its outbox in a fresh temporary folder (keep the folder).
async fn spawn_with_plugins_in_temp() -> (tempfile::TempDir, TestApp) {
    let data = tempfile::tempdir().unwrap();
    let app = spawn_with_plugins(&data.path().join("outbox")).await;
    (data, app)
}

/// Polls `path` until its first item has `status`, or gives up after 30 s.
async fn first_item_once(app: &TestApp, path: &str, token: &str, status: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let reply = app.get(path, Some(token)).await;
        assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.json());
        let page = reply.json();
        if page["items"][0]["status"] == status {
            return page;
        }
        assert!(
            Instant::now() < deadline,
            "no `{status}` delivery at {path}: {page}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn eml_files(outbox: &Path) -> Vec<std::path::PathBuf> {
    match std::fs::read_dir(outbox) {
        Ok(entries) => entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "eml"))
            .collect(),
        Err(_) => Vec::new(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn booking_mails_the_holder_into_the_outbox_and_the_delivery_log_shows_it_sent() {
    let data = tempfile::tempdir().unwrap();
    let outbox = data.path().join("outbox");
    let app = spawn_with_plugins(&outbox).await;
    let organizer = app.user("olga@example.org", "organizer").await;
    let attendee = app.user("arun@example.org", "attendee").await;

    let channels = app
        .get("/api/v1/notification-channels", Some(&attendee))
        .await;
    assert_eq!(channels.status, StatusCode::OK);
    assert_eq!(
        channels.json(),
        json!({ "items": [{ "id": "chat" }, { "id": "email" }, { "id": "webhook" }] })
    );

    let event = app.event(&organizer, 10, 0).await;
    let event_id = event["id"].as_str().unwrap();
    let booked = app.book(event_id, &attendee).await;
    assert_eq!(booked.status, StatusCode::CREATED);
    let ticket_id = booked.json()["id"].as_str().unwrap().to_owned();

    let mine = first_item_once(&app, "/api/v1/me/deliveries", &attendee, "sent").await;
    let items = mine["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "only the default channel, e-mail: {mine}");
    let delivery = &items[0];
    assert_eq!(delivery["channel"], "email");
    assert_eq!(delivery["kind"], "ticket_booked");
    assert_eq!(delivery["event"], event_id);
    assert_eq!(delivery["ticket"], ticket_id.as_str());
    assert_eq!(delivery["recipient"]["email"], "arun@example.org");
    assert_eq!(delivery["attempts"], 1);
    assert_eq!(delivery["last_error"], Value::Null);
    assert_eq!(delivery["next_attempt_at"], Value::Null);
    let key = delivery["id"].as_str().unwrap();
    let message_id = format!("<{key}@prasang.localhost>");
    assert_eq!(
        delivery["remote_id"], message_id,
        "the Message-ID comes from the idempotency key"
    );

    let for_event = first_item_once(
        &app,
        &format!("/api/v1/events/{event_id}/deliveries"),
        &organizer,
        "sent",
    )
    .await;
    assert_eq!(for_event["items"].as_array().unwrap().len(), 1);
    assert_eq!(for_event["items"][0]["id"], key);
    assert_eq!(for_event["items"][0]["remote_id"], message_id);

    let files = eml_files(&outbox);
    assert_eq!(files.len(), 1, "{files:?}");
    let bytes = std::fs::read(&files[0]).unwrap();
    let message = MessageParser::default().parse(&bytes).unwrap();
    assert_eq!(
        message.message_id().map(|id| format!("<{id}>")),
        Some(message_id)
    );
    let to = message.to().unwrap().first().unwrap();
    assert_eq!(to.address(), Some("arun@example.org"));
    let subject = message.subject().unwrap();
    assert!(subject.starts_with("Booked: Concert"), "{subject}");
    assert!(
        message.body_text(0).unwrap().contains("1 seat(s)"),
        "the e-mail carries the booking"
    );
    // The seat's admission code, as the holder's ticket shows it: its text in both bodies, and
    // its QR code as an inline image/png part that the HTML shows by its Content-ID.
    let shown = app
        .get(
            &format!("/api/v1/tickets/{ticket_id}/admissions"),
            Some(&attendee),
        )
        .await
        .json();
    let code = shown["seats"][0]["code"].as_str().unwrap();
    assert!(
        message
            .body_text(0)
            .unwrap()
            .contains(&format!("Seat 1 of 1: {code}")),
        "the text has the code"
    );
    let html = message.body_html(0).unwrap();
    let cid = format!("seat1.{ticket_id}@prasang");
    assert!(html.contains(&format!("src=\"cid:{cid}\"")), "{html}");
    assert!(html.contains(code), "{html}");
    let image = message
        .parts
        .iter()
        .find(|part| part.content_id() == Some(cid.as_str()))
        .expect("the inline image");
    let content_type = image.content_type().unwrap();
    assert_eq!(
        (content_type.ctype(), content_type.subtype()),
        ("image", Some("png"))
    );
    assert_eq!(
        Some(image.contents()),
        prasang_core::admission::qr::png(code, 6).as_deref()
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_an_smtp_relay_the_booking_email_goes_over_smtp_from_the_configured_sender() {
    let sink = SmtpSink::start();
    let data = tempfile::tempdir().unwrap();
    let app = spawn_with(with_channels(ChannelSettings {
        plugins_dir: plugins_dir(),
        mail: Mail::Smtp(SmtpSettings::new("127.0.0.1", sink.port)),
        mail_from: Some("Venue Tickets <tickets@venue.test>".into()),
    }))
    .await;
    let organizer = app.user("olga@example.org", "organizer").await;
    let attendee = app.user("arun@example.org", "attendee").await;
    let event = app.event(&organizer, 10, 0).await;
    let booked = app.book(event["id"].as_str().unwrap(), &attendee).await;
    assert_eq!(booked.status, StatusCode::CREATED);

    let page = first_item_once(&app, "/api/v1/me/deliveries", &attendee, "sent").await;
    let key = page["items"][0]["id"].as_str().unwrap();
    let message_id = format!("<{key}@venue.test>");
    assert_eq!(page["items"][0]["remote_id"], message_id);

    let received = tokio::task::spawn_blocking(move || sink.wait_for(1))
        .await
        .unwrap();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].to, ["arun@example.org"]);
    let message = MessageParser::default().parse(&received[0].data).unwrap();
    assert_eq!(
        message.message_id().map(|id| format!("<{id}>")),
        Some(message_id)
    );
    let from = message.from().unwrap().first().unwrap();
    assert_eq!(from.address(), Some("tickets@venue.test"));
    assert!(
        eml_files(&data.path().join("outbox")).is_empty(),
        "nothing goes to an outbox when SMTP is configured"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn preferences_round_trip_and_unknown_channels_are_refused() {
    let (_data, app) = spawn_with_plugins_in_temp().await;
    let user = app.user("ada@example.org", "attendee").await;
    let path = "/api/v1/me/notification-preferences";

    let defaults = app.get(path, Some(&user)).await;
    assert_eq!(defaults.status, StatusCode::OK);
    assert_eq!(
        defaults.json(),
        json!({ "channels": ["email"] }),
        "users who never chose get e-mail, as it is installed"
    );

    let twice = json!({ "channels": ["webhook", "email", "webhook"] });
    let set = app.put(path, Some(&user), &twice).await;
    assert_eq!(set.status, StatusCode::OK, "{:?}", set.json());
    assert_eq!(set.json(), json!({ "channels": ["webhook", "email"] }));
    assert_eq!(app.get(path, Some(&user)).await.json(), set.json());

    let unknown = app
        .put(path, Some(&user), &json!({ "channels": ["email", "sms"] }))
        .await;
    assert_problem(
        &unknown,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unknown-channel",
    );
    assert!(
        unknown.json()["detail"].as_str().unwrap().contains("`sms`"),
        "{:?}",
        unknown.json()
    );

    let wrong_shape = app
        .put(path, Some(&user), &json!({ "channel": "email" }))
        .await;
    assert_problem(
        &wrong_shape,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid-body",
    );

    let malformed = app
        .raw(
            Request::builder()
                .method(Method::PUT)
                .uri(path)
                .header("host", "localhost")
                .header("authorization", format!("Bearer {user}"))
                .header("content-type", "application/json")
                .body(Full::new(Bytes::from_static(b"{\"channels\": [")))
                .unwrap(),
        )
        .await;
    assert_problem(&malformed, StatusCode::BAD_REQUEST, "malformed-json");

    let anonymous = app.get(path, None).await;
    assert_problem(&anonymous, StatusCode::UNAUTHORIZED, "missing-token");
    assert_eq!(
        app.get(path, Some(&user)).await.json(),
        json!({ "channels": ["webhook", "email"] }),
        "refused changes leave the preferences as they were"
    );

    let off = app.put(path, Some(&user), &json!({ "channels": [] })).await;
    assert_eq!(off.json(), json!({ "channels": [] }));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_organizer_or_an_admin_sees_and_sets_an_events_notifications() {
    let (_data, app) = spawn_with_plugins_in_temp().await;
    let organizer = app.user("olga@example.org", "organizer").await;
    let rival = app.user("rita@example.org", "organizer").await;
    let attendee = app.user("arun@example.org", "attendee").await;
    let event = app.event(&organizer, 5, 0).await;
    let id = event["id"].as_str().unwrap();
    let deliveries = format!("/api/v1/events/{id}/deliveries");
    let settings = format!("/api/v1/events/{id}/notification-settings");

    for token in [&rival, &attendee] {
        let forbidden = |reply| assert_problem(&reply, StatusCode::FORBIDDEN, "forbidden");
        forbidden(app.get(&deliveries, Some(token)).await);
        forbidden(app.get(&settings, Some(token)).await);
        forbidden(app.put(&settings, Some(token), &json!({})).await);
    }
    let missing = app
        .get(
            "/api/v1/events/01ARZ3NDEKTSV4RRFFQ69G5FAV/deliveries",
            Some(&organizer),
        )
        .await;
    assert_problem(&missing, StatusCode::NOT_FOUND, "event-not-found");
    let bad_id = app
        .get("/api/v1/events/not-an-id/deliveries", Some(&organizer))
        .await;
    assert_problem(&bad_id, StatusCode::BAD_REQUEST, "invalid-id");

    let own = app.get(&deliveries, Some(&organizer)).await;
    assert_eq!(own.status, StatusCode::OK);
    assert_eq!(own.json(), json!({ "items": [], "next": null }));
    let admin = app.admin("root@example.org").await;
    assert_eq!(app.status(&deliveries, Some(&admin)).await, StatusCode::OK);
    assert_eq!(app.status(&settings, Some(&admin)).await, StatusCode::OK);
    let bad_limit = app
        .get(&format!("{deliveries}?limit=0"), Some(&organizer))
        .await;
    assert_problem(
        &bad_limit,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid-field",
    );

    assert_eq!(
        app.get(&settings, Some(&organizer)).await.json(),
        json!({ "disabled_kinds": [], "extra_channels": [] })
    );
    let set = app
        .put(
            &settings,
            Some(&organizer),
            &json!({ "disabled_kinds": ["ticket_cancelled", "ticket_booked", "ticket_cancelled"],
                     "extra_channels": ["webhook"] }),
        )
        .await;
    assert_eq!(set.status, StatusCode::OK, "{:?}", set.json());
    let expected = json!({ "disabled_kinds": ["ticket_booked", "ticket_cancelled"],
                           "extra_channels": ["webhook"] });
    assert_eq!(set.json(), expected);
    assert_eq!(app.get(&settings, Some(&organizer)).await.json(), expected);

    for (body, slug) in [
        (json!({ "extra_channels": ["pager"] }), "unknown-channel"),
        (json!({ "disabled_kinds": ["everything"] }), "invalid-body"),
    ] {
        let refused = app.put(&settings, Some(&organizer), &body).await;
        assert_problem(&refused, StatusCode::UNPROCESSABLE_ENTITY, slug);
    }
    assert_eq!(
        app.get(&settings, Some(&organizer)).await.json(),
        expected,
        "refused changes leave the settings as they were"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_plugins_folder_means_no_channels_and_no_deliveries() {
    let data = tempfile::tempdir().unwrap();
    let missing = data.path().join("no-such-plugins");
    let outbox = data.path().join("outbox");
    let app = Application::build(with_channels(ChannelSettings::outbox(&missing, &outbox)))
        .await
        .expect("a missing plugins folder is not an error");
    let report = app.channels().expect("the channels were set up");
    assert!(!report.plugins_dir_found);
    assert!(report.loaded.is_empty() && report.default_channels.is_empty());
    let app = serve(app);
    let organizer = app.user("olga@example.org", "organizer").await;
    let attendee = app.user("arun@example.org", "attendee").await;
    let channels = app
        .get("/api/v1/notification-channels", Some(&attendee))
        .await;
    assert_eq!(channels.json(), json!({ "items": [] }));
    assert_eq!(
        app.get("/api/v1/me/notification-preferences", Some(&attendee))
            .await
            .json(),
        json!({ "channels": [] })
    );
    let event = app.event(&organizer, 5, 0).await;
    let booked = app.book(event["id"].as_str().unwrap(), &attendee).await;
    assert_eq!(booked.status, StatusCode::CREATED);
    // Dispatch now, on this thread: a default channel that is not installed would leave a
    // delivery waiting forever.
    let report = app.prasang.run_notifications_once().unwrap();
    assert_eq!(report.created, 0, "{report:?}");
    let mine = app.get("/api/v1/me/deliveries", Some(&attendee)).await;
    assert_eq!(mine.json(), json!({ "items": [], "next": null }));
    assert!(eml_files(&data.path().join("outbox")).is_empty());
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugins_folder_relative_to_the_working_directory_loads() {
    // Integration tests run in the package folder; the demo passes `target/plugins` likewise.
    let cwd = std::env::current_dir().unwrap();
    let plugins = plugins_dir();
    let Some(relative) = pathdiff(&plugins, &cwd) else {
        panic!("{} is not below {}", plugins.display(), cwd.display());
    };
    assert!(relative.is_relative());
    let data = tempfile::tempdir().unwrap();
    let app = Application::build(with_channels(ChannelSettings::outbox(
        &relative,
        data.path().join("outbox"),
    )))
    .await
    .unwrap();
    let report = app.channels().unwrap();
    assert!(report.skipped.is_empty(), "{:?}", report.skipped);
    assert_eq!(report.loaded, ["chat", "email", "webhook"]);
    assert_eq!(report.default_channels, ["email"]);
}

/// `path` relative to `base`, both absolute, through their common ancestor.
fn pathdiff(path: &Path, base: &Path) -> Option<std::path::PathBuf> {
    let common = base.ancestors().find(|a| path.starts_with(a))?;
    let ups = base.strip_prefix(common).ok()?.components().count();
    let mut relative: std::path::PathBuf = std::iter::repeat_n("..", ups).collect();
    relative.push(path.strip_prefix(common).ok()?);
    Some(relative)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreadable_plugins_folder_or_a_bad_sender_stops_the_start() {
    let data = tempfile::tempdir().unwrap();
    let outbox = data.path().join("outbox");
    let not_a_folder = data.path().join("plugins");
    std::fs::write(&not_a_folder, "a file, not a folder").unwrap();
    let mut bad_sender = ChannelSettings::outbox(plugins_dir(), &outbox);
    bad_sender.mail_from = Some("not a mailbox".into());
    for settings in [ChannelSettings::outbox(&not_a_folder, &outbox), bad_sender] {
        let built = Application::build(with_channels(settings)).await;
        assert!(
            matches!(built, Err(ServerError::Channels(_))),
            "{:?}",
            built.err()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_channel_settings_the_server_runs_as_before() {
    let app = spawn().await;
    let user = app.user("ada@example.org", "attendee").await;
    let channels = app.get("/api/v1/notification-channels", Some(&user)).await;
    assert_eq!(channels.json(), json!({ "items": [] }));
    let anonymous = app.get("/api/v1/notification-channels", None).await;
    assert_problem(&anonymous, StatusCode::UNAUTHORIZED, "missing-token");
    app.stop().await;
}

/// Waits until the holder of `token` has `count` sent deliveries; their kinds.
async fn sent_kinds(app: &TestApp, token: &str, count: usize) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let reply = app.get("/api/v1/me/deliveries", Some(token)).await;
        assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.json());
        let page = reply.json();
        let items = page["items"].as_array().unwrap();
        if items.len() == count && items.iter().all(|d| d["status"] == "sent") {
            let mut kinds: Vec<String> = items
                .iter()
                .map(|d| d["kind"].as_str().unwrap().to_owned())
                .collect();
            kinds.sort();
            return kinds;
        }
        assert!(Instant::now() < deadline, "not {count} sent: {page}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The e-mails in `outbox` to `address` whose subject starts with `subject`.
fn mails_to(outbox: &Path, address: &str, subject: &str) -> Vec<Vec<u8>> {
    eml_files(outbox)
        .into_iter()
        .map(|path| std::fs::read(path).unwrap())
        .filter(|bytes| {
            let message = MessageParser::default().parse(bytes).unwrap();
            let to = message.to().and_then(|to| to.first()?.address());
            to == Some(address) && message.subject().is_some_and(|s| s.starts_with(subject))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_waitlist_offer_and_an_organizers_message_reach_the_waiting_person_by_e_mail() {
    let data = tempfile::tempdir().unwrap();
    let outbox = data.path().join("outbox");
    let app = spawn_with_plugins(&outbox).await;
    let organizer = app.user("olga@example.org", "organizer").await;
    let holder = app.user("arun@example.org", "attendee").await;
    let waiting = app.user("wren@example.org", "attendee").await;
    let body = json!({ "title": "Sitar night", "location": "Hall", "time_zone": "Asia/Kolkata",
        "starts_at": common::now_plus_days(1), "ends_at": common::now_plus_days(2),
        "capacity": 1, "price_minor": 0 });
    let created = app.create_event(&organizer, &body).await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.json());
    let event = created.json()["id"].as_str().unwrap().to_owned();
    let ticket = app.book_seats(&event, &holder, 1).await;
    let waitlist = format!("/api/v1/events/{event}/waitlist");
    let settings = json!({ "enabled": true, "offer_window_minutes": 60 });
    let opened = app
        .put(&format!("{waitlist}/settings"), Some(&organizer), &settings)
        .await;
    assert_eq!(opened.status, StatusCode::OK, "{:?}", opened.json());
    let joined = app
        .post(&waitlist, Some(&waiting), &json!({ "seats": 1 }))
        .await;
    assert_eq!(joined.status, StatusCode::CREATED, "{:?}", joined.json());

    // The seat comes free: it is offered to the waiting person, who is then written to.
    let cancelled = app
        .cancel(&format!("/api/v1/tickets/{ticket}"), &holder)
        .await;
    assert_eq!(cancelled.status, StatusCode::OK);
    let draft = json!({ "subject": "<b>Doors</b> at 19:30",
        "body": "Doors open later.\n<script>alert(1)</script> & thanks",
        "segment": { "kind": "waiting_list" } });
    let sent = app
        .post(
            &format!("/api/v1/events/{event}/messages"),
            Some(&organizer),
            &draft,
        )
        .await;
    assert_eq!(sent.status, StatusCode::CREATED, "{:?}", sent.json());
    assert_eq!(
        sent_kinds(&app, &waiting, 2).await,
        ["organizer_message", "waitlist_offer"]
    );

    let offers = mails_to(&outbox, "wren@example.org", "Seats for you: Sitar night, ");
    assert_eq!(offers.len(), 1);
    let offer = MessageParser::default().parse(&offers[0]).unwrap();
    let text = offer.body_text(0).unwrap();
    // Held for the hour's window, until a time on the event's clock, with the link to reply.
    assert!(
        text.contains("we are holding 1 × Admission for you until"),
        "{text}"
    );
    assert!(text.contains("IST (UTC+05:30). Accept them"), "{text}");
    let accept = format!("http://127.0.0.1:8080/waitlist/{event}");
    assert!(
        text.contains(&format!("Accept or decline: {accept}")),
        "{text}"
    );
    let html = offer.body_html(0).unwrap();
    assert!(html.contains(&format!("<a href=\"{accept}\"")), "{html}");

    let messages = mails_to(
        &outbox,
        "wren@example.org",
        "From the organizer of Sitar night",
    );
    assert_eq!(messages.len(), 1);
    let message = MessageParser::default().parse(&messages[0]).unwrap();
    assert_eq!(
        message.subject(),
        Some("From the organizer of Sitar night: <b>Doors</b> at 19:30")
    );
    let html = message.body_html(0).unwrap();
    assert!(
        !html.contains("<script") && !html.contains("<b>Doors"),
        "{html}"
    );
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; thanks"),
        "{html}"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admission_from_the_waiting_room_is_mailed_with_the_pass_expiry_and_the_waiting_page() {
    let data = tempfile::tempdir().unwrap();
    let outbox = data.path().join("outbox");
    let app = spawn_with_plugins(&outbox).await;
    let organizer = app.user("olga@example.org", "organizer").await;
    let waiting = app.user("wren@example.org", "attendee").await;
    let body = json!({ "title": "Sitar night", "location": "Hall", "time_zone": "Asia/Kolkata",
        "starts_at": common::now_plus_days(1), "ends_at": common::now_plus_days(2),
        "capacity": 10, "price_minor": 0 });
    let created = app.create_event(&organizer, &body).await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.json());
    let event = created.json()["id"].as_str().unwrap().to_owned();
    // The sale is open and the room admits as fast as passes are spent.
    let room = format!("/api/v1/events/{event}/waiting-room");
    let settings = json!({ "enabled": true, "on_sale_at": app.prasang.now(),
        "admission": "automatic", "pass_minutes": 10 });
    let opened = app.put(&room, Some(&organizer), &settings).await;
    assert_eq!(opened.status, StatusCode::OK, "{:?}", opened.json());
    let joined = app
        .post(&format!("{room}/join"), Some(&waiting), &json!({}))
        .await;
    assert_eq!(joined.status, StatusCode::OK, "{:?}", joined.json());
    // The maintenance thread admits within a second; this step may find nobody left to admit.
    app.prasang
        .waiting_room()
        .admit_due()
        .expect("admission step");

    assert_eq!(sent_kinds(&app, &waiting, 1).await, ["queue_admitted"]);
    let mails = mails_to(
        &outbox,
        "wren@example.org",
        "Your turn to book: Sitar night, ",
    );
    assert_eq!(mails.len(), 1);
    let mail = MessageParser::default().parse(&mails[0]).unwrap();
    let text = mail.body_text(0).unwrap();
    // Until when on the event's clock, and the page where the signed-in person books.
    assert!(text.contains("Book before: "), "{text}");
    assert!(text.contains("IST (UTC+05:30)\r\n  Book now: "), "{text}");
    let page = format!("http://127.0.0.1:8080/events/{event}/waiting-room");
    assert!(text.contains(&format!("Book now: {page}")), "{text}");
    app.stop().await;
}
