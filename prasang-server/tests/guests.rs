//! Buying without an account over REST (issue 29): a guest checkout, the sign-in link its
//! confirmation carries, a session from it, the ticket seen and cancelled; links refused when
//! reused, expired or tampered with; link requests that answer alike for every address and are
//! limited per client; a guest setting a password and keeping the ticket; attendee names per
//! seat; the origins that may frame an organizer's widget.
//!
//! The first test reads the guest's e-mail from the outbox the bundled e-mail plugin writes to
//! (the real plugins from target/plugins); the others read a recording `email` channel
//! registered with the store instead, which gets every notification the e-mail channel would
//! get, with the sign-in link the notifier signs for that channel only.

mod common;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{TestApp, access_of, assert_problem, spawn_with};
use hyper::StatusCode;
use mail_parser::MessageParser;
use parking_lot::Mutex;
use prasang_core::notify::{Channel, DeliveryError, Notification, NotificationKind, Receipt};
use prasang_core::plugin_host::ChannelSettings;
use prasang_core::{Clock, Config, ManualClock, SystemClock};
use prasang_http_client::Reply;
use prasang_server::ServerConfig;
use prasang_test_sinks::plugins::plugins_dir;
use serde_json::{Value, json};

/// An `email` channel that keeps what it is given.
#[derive(Default)]
struct Outbox {
    sent: Mutex<Vec<Notification>>,
}

impl Channel for Outbox {
    fn id(&self) -> &str {
        "email"
    }
    fn deliver(&self, notification: &Notification) -> Result<Receipt, DeliveryError> {
        self.sent.lock().push(notification.clone());
        Ok(Receipt {
            remote_id: None,
            detail: "kept".into(),
        })
    }
}

impl Outbox {
    /// The notifications of `kind` sent to `address` so far.
    fn to(&self, address: &str, kind: NotificationKind) -> Vec<Notification> {
        self.sent
            .lock()
            .iter()
            .filter(|n| n.recipient.email == address && n.kind == kind)
            .cloned()
            .collect()
    }

    /// Waits (up to 30 s) until `address` has had `count` notifications of `kind`; them.
    async fn wait_for(
        &self,
        address: &str,
        kind: NotificationKind,
        count: usize,
    ) -> Vec<Notification> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let sent = self.to(address, kind);
            if sent.len() >= count {
                return sent;
            }
            assert!(
                Instant::now() < deadline,
                "{address} got {} {kind:?}, not {count}",
                sent.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The token of the sign-in link in the latest notification of `kind` to `address`.
    async fn token(&self, address: &str, kind: NotificationKind) -> String {
        let sent = self.wait_for(address, kind, 1).await;
        let access = sent
            .last()
            .and_then(|n| n.access.clone())
            .expect("a guest's e-mail carries a sign-in link");
        let (page, token) = access
            .url
            .split_once("?token=")
            .expect("the link carries its token");
        assert!(page.ends_with(prasang_core::notify::ACCESS_PATH), "{page}");
        token.to_owned()
    }
}

/// A server whose e-mail channel is `outbox`, on `store` (a temporary one, maybe with a clock).
async fn spawn_with_outbox(store: Config, config: ServerConfig) -> (TestApp, Arc<Outbox>) {
    let outbox = Arc::new(Outbox::default());
    let config = ServerConfig {
        store: store.channel(outbox.clone()),
        ..config
    };
    (spawn_with(config).await, outbox)
}

async fn spawn_app() -> (TestApp, Arc<Outbox>) {
    spawn_with_outbox(Config::temporary(), ServerConfig::temporary()).await
}

/// `POST /api/v1/guest/bookings` with `body`.
async fn checkout(app: &TestApp, body: &Value) -> Reply {
    app.post("/api/v1/guest/bookings", None, body).await
}

/// A guest checkout of `seats` seats of `event` for `email`; the ticket.
async fn guest_books(app: &TestApp, event: &str, email: &str, seats: u32) -> Value {
    let reply = checkout(
        app,
        &json!({ "name": "Gita Guest", "email": email, "event": event, "quantity": seats }),
    )
    .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.json());
    reply.json()
}

async fn sign_in(app: &TestApp, token: &str) -> Reply {
    app.post("/api/v1/guest/sessions", None, &json!({ "token": token }))
        .await
}

async fn request_link(app: &TestApp, email: &str) -> Reply {
    app.post("/api/v1/guest/links", None, &json!({ "email": email }))
        .await
}

/// The token of the sign-in link in the first e-mail to `address` in the `outbox` folder
/// (waits up to 30 s for it), read from its text body as a person would.
async fn mailed_token(outbox: &Path, address: &str) -> String {
    const LINK: &str = "/guest/access?token=";
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let mails = std::fs::read_dir(outbox)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|entry| std::fs::read(entry.path()).ok());
        for bytes in mails {
            let Some(message) = MessageParser::default().parse(&bytes) else {
                continue;
            };
            let to = message.to().and_then(|to| to.first()?.address());
            let text = message.body_text(0).unwrap_or_default();
            if to == Some(address)
                && let Some((_, after)) = text.split_once(LINK)
            {
                return after
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
                    .collect();
            }
        }
        assert!(
            Instant::now() < deadline,
            "no e-mail with a link to {address}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guest_books_signs_in_with_the_e_mailed_link_sees_and_cancels_the_ticket() {
    let data = tempfile::tempdir().unwrap();
    let outbox = data.path().join("outbox");
    let app = spawn_with(ServerConfig {
        channels: Some(ChannelSettings::outbox(plugins_dir(), &outbox)),
        ..ServerConfig::temporary()
    })
    .await;
    let (_, event) = app.organizer_with_event("o@example.org", 5, 0).await;
    let ticket = guest_books(&app, &event, " Gita@Example.org ", 1).await;
    assert_eq!(ticket["status"], "booked");
    assert_eq!(app.seats(&event).await["booked"], 1);

    let token = mailed_token(&outbox, "gita@example.org").await;
    assert_eq!(token.len(), 140, "{token}");
    let session = sign_in(&app, &token).await;
    assert_eq!(session.status, StatusCode::OK, "{:?}", session.json());
    let session = session.json();
    assert_eq!(session["token_type"], "Bearer");
    assert!(session["refresh_token"].is_string());
    assert_eq!(session["user"]["email"], "gita@example.org");
    assert_eq!(session["user"]["guest"], true);
    assert_eq!(session["user"]["id"], ticket["user"]);
    let access = access_of(&session);

    let mine = app.get("/api/v1/me/tickets", Some(access)).await.json();
    assert_eq!(mine["items"].as_array().unwrap().len(), 1, "{mine}");
    assert_eq!(mine["items"][0]["id"], ticket["id"]);
    let cancelled = app
        .cancel(
            &format!("/api/v1/tickets/{}", ticket["id"].as_str().unwrap()),
            access,
        )
        .await;
    assert_eq!(cancelled.status, StatusCode::OK, "{:?}", cancelled.json());
    assert_eq!(cancelled.json()["status"], "cancelled");
    assert_eq!(app.seats(&event).await["booked"], 0);

    // The link worked once; a changed one never works; a guest has no password to log in with.
    assert_problem(
        &sign_in(&app, &token).await,
        StatusCode::UNAUTHORIZED,
        "guest-link-used",
    );
    let mut tampered = token.into_bytes();
    tampered[20] = if tampered[20] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    for refused in [tampered.as_str(), "", "not-a-link"] {
        assert_problem(
            &sign_in(&app, refused).await,
            StatusCode::UNAUTHORIZED,
            "guest-link-invalid",
        );
    }
    assert_problem(
        &app.try_login("gita@example.org", "").await,
        StatusCode::UNAUTHORIZED,
        "invalid-credentials",
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_checkout_is_a_booking_by_the_usual_rules() {
    let (app, outbox) = spawn_app().await;
    let (_, event) = app.organizer_with_event("o@example.org", 1, 0).await;
    // A normal account's address books for that account, and its e-mail carries no link.
    let ada = app.user("ada@example.org", "attendee").await;
    let ticket = guest_books(&app, &event, "ada@example.org", 1).await;
    let me = app.me(&ada).await.json();
    assert_eq!(ticket["user"], me["id"]);
    assert_eq!(me["guest"], false);
    let mail = outbox
        .wait_for("ada@example.org", NotificationKind::TicketBooked, 1)
        .await;
    assert!(mail[0].access.is_none(), "no sign-in link for an account");

    // Sold out, refused as a booking is; an unknown event, a bad address, a bad body.
    let sold_out = checkout(
        &app,
        &json!({ "name": "Bo", "email": "bo@example.org", "event": event }),
    )
    .await;
    assert_problem(&sold_out, StatusCode::CONFLICT, "sold-out");
    let unknown = json!({ "name": "Bo", "email": "bo@example.org",
        "event": "01ARZ3NDEKTSV4RRFFQ69G5FAV" });
    assert_eq!(checkout(&app, &unknown).await.status, StatusCode::NOT_FOUND);
    let bad_address = json!({ "name": "Bo", "email": "bo-at-example", "event": event });
    let refused = checkout(&app, &bad_address).await;
    assert_problem(&refused, StatusCode::UNPROCESSABLE_ENTITY, "invalid-field");
    assert_eq!(refused.json()["errors"][0]["field"], "email");
    let extra = json!({ "name": "Bo", "email": "bo@example.org", "event": event, "role": "admin" });
    assert_problem(
        &checkout(&app, &extra).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid-body",
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeated_checkout_with_one_key_answers_the_first_ticket() {
    let (app, _) = spawn_app().await;
    let (_, event) = app.organizer_with_event("o@example.org", 5, 0).await;
    let body = json!({ "name": "Gita", "email": "gita@example.org", "event": event,
        "idempotency_key": "checkout-1" });
    let first = checkout(&app, &body).await;
    let again = checkout(&app, &body).await;
    assert_eq!(first.status, StatusCode::CREATED);
    assert_eq!(again.status, StatusCode::CREATED);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(first.json()["id"], again.json()["id"]);
    assert_eq!(app.seats(&event).await["booked"], 1);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_link_is_refused() {
    let clock = ManualClock::new(SystemClock.now());
    let store = Config::temporary().clock(clock.clone());
    let (app, outbox) = spawn_with_outbox(store, ServerConfig::temporary()).await;
    let (_, event) = app.organizer_with_event("o@example.org", 5, 0).await;
    guest_books(&app, &event, "gita@example.org", 1).await;
    let token = outbox
        .token("gita@example.org", NotificationKind::TicketBooked)
        .await;
    clock.advance(prasang_core::guests::LINK_TTL + Duration::from_secs(1));
    assert_problem(
        &sign_in(&app, &token).await,
        StatusCode::UNAUTHORIZED,
        "guest-link-expired",
    );
    app.stop().await;
}

/// An answer's status, headers (name and bytes, sorted) and body.
type Comparable = (StatusCode, Vec<(String, Vec<u8>)>, Vec<u8>);

/// The parts of an answer that must not differ between addresses: status, headers but the
/// date, body.
fn comparable(reply: &Reply) -> Comparable {
    let mut headers: Vec<_> = reply
        .headers
        .iter()
        .filter(|(name, _)| *name != hyper::header::DATE)
        .map(|(name, value)| (name.to_string(), value.as_bytes().to_vec()))
        .collect();
    headers.sort();
    (reply.status, headers, reply.body.to_vec())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn link_requests_answer_alike_for_unknown_normal_and_guest_addresses() {
    let (app, outbox) = spawn_app().await;
    let (_, event) = app.organizer_with_event("o@example.org", 5, 0).await;
    app.register("ada@example.org", "attendee").await;
    guest_books(&app, &event, "gita@example.org", 1).await;

    let answers = [
        request_link(&app, "nobody@example.org").await,
        request_link(&app, "ada@example.org").await,
        request_link(&app, "GITA@example.org").await,
    ];
    assert_eq!(answers[0].status, StatusCode::ACCEPTED);
    let first = comparable(&answers[0]);
    for answer in &answers[1..] {
        assert_eq!(comparable(answer), first);
    }
    // Only the guest is sent a link, and it opens the guest's account.
    let token = outbox
        .token("gita@example.org", NotificationKind::GuestAccess)
        .await;
    let session = sign_in(&app, &token).await;
    assert_eq!(session.status, StatusCode::OK, "{:?}", session.json());
    assert_eq!(session.json()["user"]["email"], "gita@example.org");
    for nobody in ["nobody@example.org", "ada@example.org"] {
        assert!(outbox.to(nobody, NotificationKind::GuestAccess).is_empty());
    }
    let malformed = request_link(&app, "not an address").await;
    assert_problem(
        &malformed,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid-field",
    );
    assert_eq!(malformed.json()["errors"][0]["field"], "email");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn link_requests_are_limited_per_client_and_per_address() {
    let config = ServerConfig {
        auth_rate_per_minute: 6,
        auth_burst: 6,
        ..ServerConfig::temporary()
    };
    let (app, outbox) = spawn_with_outbox(Config::temporary(), config).await;
    let (_, event) = app.organizer_with_event("o@example.org", 5, 0).await;
    // The organizer's registration and login took 2 of the burst of 6 (a checkout is not
    // limited).
    guest_books(&app, &event, "gita@example.org", 1).await;
    for _ in 0..4 {
        let reply = request_link(&app, "gita@example.org").await;
        assert_eq!(reply.status, StatusCode::ACCEPTED, "{:?}", reply.json());
    }
    let limited = request_link(&app, "gita@example.org").await;
    assert_problem(&limited, StatusCode::TOO_MANY_REQUESTS, "rate-limited");
    assert!(limited.header("retry-after").is_some());
    let signed_in = sign_in(&app, "whatever").await;
    assert_problem(&signed_in, StatusCode::TOO_MANY_REQUESTS, "rate-limited");
    // Four requests answered, three links sent: the address's own limit.
    outbox
        .wait_for("gita@example.org", NotificationKind::GuestAccess, 3)
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        outbox
            .to("gita@example.org", NotificationKind::GuestAccess)
            .len(),
        3
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guest_sets_a_password_and_keeps_the_ticket() {
    let (app, outbox) = spawn_app().await;
    let (_, event) = app.organizer_with_event("o@example.org", 5, 0).await;
    let ticket = guest_books(&app, &event, "gita@example.org", 1).await;

    // Registering with the guest's address is refused, and a sign-in link is sent instead.
    let attempt = json!({ "name": "Gita", "email": "gita@example.org", "password": "password123",
        "gender": "female", "age": 30 });
    assert_problem(
        &app.register_with(&attempt).await,
        StatusCode::CONFLICT,
        "guest-account",
    );
    let token = outbox
        .token("gita@example.org", NotificationKind::GuestAccess)
        .await;
    let session = sign_in(&app, &token).await.json();
    let guest = access_of(&session);
    let registration = json!({ "password": "password123", "gender": "female", "age": 30 });
    let short = json!({ "password": "short", "gender": "female", "age": 30 });
    let refused = app
        .post("/api/v1/guest/registration", Some(guest), &short)
        .await;
    assert_problem(&refused, StatusCode::UNPROCESSABLE_ENTITY, "invalid-field");
    let registered = app
        .post("/api/v1/guest/registration", Some(guest), &registration)
        .await;
    assert_eq!(registered.status, StatusCode::OK, "{:?}", registered.json());
    let user = registered.json();
    assert_eq!(user["guest"], false);
    assert_eq!(user["id"], ticket["user"]);
    assert_eq!(user["age"], 30);
    let again = app
        .post("/api/v1/guest/registration", Some(guest), &registration)
        .await;
    assert_problem(&again, StatusCode::CONFLICT, "not-a-guest");

    let password = app.access_token("gita@example.org").await;
    let mine = app.get("/api/v1/me/tickets", Some(&password)).await.json();
    assert_eq!(mine["items"][0]["id"], ticket["id"], "{mine}");
    let anonymous = app
        .post("/api/v1/guest/registration", None, &registration)
        .await;
    assert_problem(&anonymous, StatusCode::UNAUTHORIZED, "missing-token");
    app.stop().await;
}

/// Creates an event asking for names per `policy`, starting in a day; its id.
async fn event_asking_names(app: &TestApp, organizer: &str, policy: &str) -> String {
    let starts = common::now_plus_days(1);
    let body = json!({ "title": "Named seats", "location": "Hall", "starts_at": starts,
        "ends_at": common::now_plus_days(2), "capacity": 10, "per_user_limit": 4,
        "attendee_names": policy });
    let created = app.create_event(organizer, &body).await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.json());
    assert_eq!(created.json()["attendee_names"], policy);
    created.json()["id"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attendee_names_follow_the_events_policy_and_the_text_rules() {
    let (app, _) = spawn_app().await;
    let (organizer, ada, plain) = app.organizer_attendee_event(10, 0).await;
    assert_eq!(
        app.get(&format!("/api/v1/events/{plain}"), None)
            .await
            .json()["attendee_names"],
        "not_asked"
    );
    let event = event_asking_names(&app, &organizer, "required").await;
    let book = |body: Value| {
        let path = format!("/api/v1/events/{event}/tickets");
        let ada = ada.clone();
        let app = &app;
        async move { app.post(&path, Some(&ada), &body).await }
    };
    for (body, why) in [
        (json!({ "quantity": 2 }), "none given"),
        (
            json!({ "quantity": 2, "attendee_names": ["Ada"] }),
            "one short",
        ),
        (
            json!({ "quantity": 2, "attendee_names": ["Ada", ""] }),
            "one blank",
        ),
        (
            json!({ "quantity": 1, "attendee_names": ["\u{202E}adA"] }),
            "a bidi override",
        ),
        (
            json!({ "quantity": 1, "attendee_names": ["Ada\u{7}"] }),
            "a control",
        ),
    ] {
        let reply = book(body).await;
        assert_problem(&reply, StatusCode::UNPROCESSABLE_ENTITY, "invalid-field");
        assert_eq!(
            reply.json()["errors"][0]["field"],
            "attendee_names",
            "{why}"
        );
    }
    let booked = book(json!({ "quantity": 2, "attendee_names": [" Ada ", "Rene\u{301}"] })).await;
    assert_eq!(booked.status, StatusCode::CREATED, "{:?}", booked.json());
    let ticket = booked.json();
    assert_eq!(ticket["attendee_names"], json!(["Ada", "Ren\u{e9}"]));

    // A guest checkout names its seats too; an event that does not ask refuses names.
    let guest = checkout(
        &app,
        &json!({ "name": "Gita", "email": "gita@example.org", "event": event, "quantity": 1,
                 "attendee_names": ["Gita"] }),
    )
    .await;
    assert_eq!(guest.status, StatusCode::CREATED, "{:?}", guest.json());
    assert_eq!(guest.json()["attendee_names"], json!(["Gita"]));
    let unasked = app
        .post(
            &format!("/api/v1/events/{plain}/tickets"),
            Some(&ada),
            &json!({ "attendee_names": ["Ada"] }),
        )
        .await;
    assert_problem(&unasked, StatusCode::UNPROCESSABLE_ENTITY, "invalid-field");

    // The holder renames the seats; nobody else may; the rules hold as at booking.
    let path = format!(
        "/api/v1/tickets/{}/attendee-names",
        ticket["id"].as_str().unwrap()
    );
    let renamed = app
        .put(
            &path,
            Some(&ada),
            &json!({ "attendee_names": ["Ada", "Bo"] }),
        )
        .await;
    assert_eq!(renamed.status, StatusCode::OK, "{:?}", renamed.json());
    assert_eq!(renamed.json()["attendee_names"], json!(["Ada", "Bo"]));
    let stranger = app.user("s@example.org", "attendee").await;
    let names = json!({ "attendee_names": ["X", "Y"] });
    assert_eq!(
        app.put(&path, Some(&stranger), &names).await.status,
        StatusCode::NOT_FOUND
    );
    let blank = app
        .put(&path, Some(&ada), &json!({ "attendee_names": ["Ada", ""] }))
        .await;
    assert_problem(&blank, StatusCode::UNPROCESSABLE_ENTITY, "invalid-field");

    // The organizer makes names optional: the event says so.
    let changed = app
        .patch(
            &format!("/api/v1/events/{event}"),
            Some(&organizer),
            &json!({ "attendee_names": "optional" }),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{:?}", changed.json());
    assert_eq!(changed.json()["attendee_names"], "optional");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_are_locked_once_the_event_starts() {
    let clock = ManualClock::new(SystemClock.now());
    let store = Config::temporary()
        .clock(clock.clone())
        .access_token_ttl(Duration::from_secs(3 * 86_400));
    let (app, _) = spawn_with_outbox(store, ServerConfig::temporary()).await;
    let organizer = app.user("o@example.org", "organizer").await;
    let ada = app.user("ada@example.org", "attendee").await;
    let event = event_asking_names(&app, &organizer, "optional").await;
    let booked = app
        .post(
            &format!("/api/v1/events/{event}/tickets"),
            Some(&ada),
            &json!({ "quantity": 1 }),
        )
        .await;
    assert_eq!(booked.status, StatusCode::CREATED, "{:?}", booked.json());
    let path = format!(
        "/api/v1/tickets/{}/attendee-names",
        booked.json()["id"].as_str().unwrap()
    );
    clock.advance(Duration::from_secs(86_400 + 60));
    let late = app
        .put(&path, Some(&ada), &json!({ "attendee_names": ["Ada"] }))
        .await;
    assert_problem(&late, StatusCode::CONFLICT, "attendee-names-locked");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embed_origins_are_the_organizers_to_set() {
    let (app, _) = spawn_app().await;
    let (organizer, event) = app.organizer_with_event("o@example.org", 5, 0).await;
    let me = app.me(&organizer).await.json();
    let path = format!("/api/v1/users/{}/embed-origins", me["id"].as_str().unwrap());
    let event_path = format!("/api/v1/events/{event}/embed-origins");
    assert_eq!(
        app.get(&event_path, None).await.json(),
        json!({ "origins": [] })
    );

    let set = app
        .put(
            &path,
            Some(&organizer),
            &json!({ "origins": ["https://Venue.Example/", "http://localhost:8000",
                                 "https://venue.example"] }),
        )
        .await;
    assert_eq!(set.status, StatusCode::OK, "{:?}", set.json());
    let stored = json!({ "origins": ["https://venue.example", "http://localhost:8000"] });
    assert_eq!(set.json(), stored);
    assert_eq!(app.get(&path, Some(&organizer)).await.json(), stored);
    assert_eq!(app.get(&event_path, None).await.json(), stored);

    for bad in [
        "https://venue.example/shop",
        "https://*.venue.example",
        "venue.example",
        "https://venue.example; script-src *",
    ] {
        let refused = app
            .put(&path, Some(&organizer), &json!({ "origins": [bad] }))
            .await;
        assert_problem(&refused, StatusCode::UNPROCESSABLE_ENTITY, "invalid-field");
        assert_eq!(
            refused.json()["errors"][0]["field"],
            "embed_origins",
            "{bad}"
        );
    }
    // Another organizer neither sees nor sets them; an admin may.
    let other = app.user("p@example.org", "organizer").await;
    assert_eq!(app.status(&path, Some(&other)).await, StatusCode::NOT_FOUND);
    let theirs = app
        .put(
            &path,
            Some(&other),
            &json!({ "origins": ["https://evil.example"] }),
        )
        .await;
    assert_problem(&theirs, StatusCode::FORBIDDEN, "forbidden");
    let admin = app.admin("root@example.org").await;
    let cleared = app
        .put(&path, Some(&admin), &json!({ "origins": [] }))
        .await;
    assert_eq!(cleared.status, StatusCode::OK, "{:?}", cleared.json());
    assert_eq!(
        app.get(&event_path, None).await.json(),
        json!({ "origins": [] })
    );
    app.stop().await;
}
