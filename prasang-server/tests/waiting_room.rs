//! The waiting room over HTTP (behaviour in docs/waiting-room.md): the organizer's settings and
//! numbers (refused to others, bad values refused as 422), whether a room is on (public),
//! joining and one's place with `Retry-After` while waiting, and bookings refused without the
//! booker's live pass (429 with the place and `Retry-After`), with another's or a spent one (403). The clock is a manual one, so the on-sale time and the rate are stepped, and the
//! admission step is run as the maintenance thread runs it (`admit_due`).

mod common;

use std::time::Duration;

use common::{TestApp, assert_problem, spawn_clocked};
use hyper::StatusCode;
use prasang_core::{Clock, Timestamp};
use prasang_http_client::Reply;
use serde_json::{Value, json};

fn room(event: &str) -> String {
    format!("/api/v1/events/{event}/waiting-room")
}

/// Room settings opening the sale at `on_sale_at`, admitting `per_minute` people a minute.
fn settings(on_sale_at: Timestamp, per_minute: u32) -> Value {
    json!({ "enabled": true, "on_sale_at": on_sale_at,
        "admission": { "per_minute": per_minute }, "pass_minutes": 10 })
}

/// `POST …/waiting-room/join` as the holder of `token`, answered 200.
async fn join(app: &TestApp, event: &str, token: &str) -> Reply {
    let reply = app
        .post(&format!("{}/join", room(event)), Some(token), &json!({}))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.json());
    reply
}

/// `GET …/waiting-room/me` as the holder of `token`.
async fn me(app: &TestApp, event: &str, token: &str) -> Reply {
    app.get(&format!("{}/me", room(event)), Some(token)).await
}

fn retry_after(reply: &Reply) -> Option<u64> {
    reply
        .header("retry-after")
        .map(|value| value.parse().expect("Retry-After is a number of seconds"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn organizers_set_the_room_and_see_its_numbers_and_no_one_else_may() {
    let (app, clock) = spawn_clocked().await;
    let (organizer, attendee, event) = app.organizer_attendee_event(10, 0).await;
    let admin = app.admin("root@example.org").await;
    let on_sale = clock.now().plus(Duration::from_secs(3600));

    // No room yet: public settings read as off; numbers and joining are refused as not there.
    let public = app.get(&format!("{}/settings", room(&event)), None).await;
    assert_eq!(public.status, StatusCode::OK);
    assert_eq!(
        public.json(),
        json!({ "enabled": false, "on_sale_at": null })
    );
    let none = app.get(&room(&event), Some(&organizer)).await;
    assert_problem(&none, StatusCode::NOT_FOUND, "room-not-open");
    let refused = app
        .post(
            &format!("{}/join", room(&event)),
            Some(&attendee),
            &json!({}),
        )
        .await;
    assert_problem(&refused, StatusCode::NOT_FOUND, "room-not-open");

    // Only the organizer (or an admin) sets it; bad values are refused by field.
    let forbidden = app
        .put(&room(&event), Some(&attendee), &settings(on_sale, 100))
        .await;
    assert_problem(&forbidden, StatusCode::FORBIDDEN, "forbidden");
    let unauthenticated = app.put(&room(&event), None, &settings(on_sale, 100)).await;
    assert_eq!(unauthenticated.status, StatusCode::UNAUTHORIZED);
    for (field, body) in [
        ("per_minute", settings(on_sale, 0)),
        (
            "pass_minutes",
            json!({ "enabled": true, "on_sale_at": on_sale, "admission": "automatic",
                "pass_minutes": 121 }),
        ),
    ] {
        let reply = app.put(&room(&event), Some(&organizer), &body).await;
        assert_problem(&reply, StatusCode::UNPROCESSABLE_ENTITY, "invalid-field");
        assert_eq!(
            reply.json()["errors"][0]["field"],
            field,
            "{:?}",
            reply.json()
        );
    }
    for body in [
        json!({ "enabled": true, "on_sale_at": on_sale, "admission": "fast" }),
        json!({ "enabled": true, "admission": "automatic" }),
        json!({ "enabled": true, "on_sale_at": on_sale, "admission": "automatic", "extra": 1 }),
    ] {
        let reply = app.put(&room(&event), Some(&organizer), &body).await;
        assert_problem(&reply, StatusCode::UNPROCESSABLE_ENTITY, "invalid-body");
    }

    let saved = app
        .put(&room(&event), Some(&organizer), &settings(on_sale, 100))
        .await;
    assert_eq!(saved.status, StatusCode::OK, "{:?}", saved.json());
    let numbers = saved.json();
    assert_eq!(numbers["settings"], settings(on_sale, 100));
    assert_eq!(numbers["queue_length"], 0);
    assert_eq!(numbers["lottery_drawn"], false);

    // Anyone sees that it is on and when the sale opens; the numbers are the organizer's.
    let public = app
        .get(&format!("{}/settings", room(&event)), None)
        .await
        .json();
    assert_eq!(public, json!({ "enabled": true, "on_sale_at": on_sale }));
    let refused = app.get(&room(&event), Some(&attendee)).await;
    assert_problem(&refused, StatusCode::FORBIDDEN, "forbidden");
    for token in [&organizer, &admin] {
        let reply = app.get(&room(&event), Some(token)).await;
        assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.json());
        assert_eq!(
            reply.json()["settings"]["admission"],
            json!({ "per_minute": 100 })
        );
    }

    // Automatic admission reads back as the plain string.
    let automatic = json!({ "enabled": true, "on_sale_at": on_sale, "admission": "automatic" });
    let saved = app.put(&room(&event), Some(&admin), &automatic).await;
    assert_eq!(saved.status, StatusCode::OK, "{:?}", saved.json());
    assert_eq!(saved.json()["settings"]["admission"], "automatic");
    assert_eq!(saved.json()["settings"]["pass_minutes"], 10);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn people_queue_for_the_sale_poll_politely_and_book_only_with_their_own_live_pass() {
    let (app, clock) = spawn_clocked().await;
    let (organizer, ada, event) = app.organizer_attendee_event(10, 0).await;
    let bob = app.user("bob@example.org", "attendee").await;
    let on_sale = clock.now().plus(Duration::from_secs(60));
    let saved = app
        .put(&room(&event), Some(&organizer), &settings(on_sale, 60))
        .await;
    assert_eq!(saved.status, StatusCode::OK, "{:?}", saved.json());

    // Bob has no place until he joins.
    assert_problem(
        &me(&app, &event, &bob).await,
        StatusCode::NOT_FOUND,
        "room-not-joined",
    );

    // Ada comes a minute early: she is in the lottery, told to ask again in 30 s at most.
    let joined = join(&app, &event, &ada).await;
    assert_eq!(joined.json()["state"], "in_lottery", "{:?}", joined.json());
    assert_eq!(joined.json()["on_sale_at"], json!(on_sale));
    assert_eq!(retry_after(&joined), Some(30));
    let again = join(&app, &event, &ada).await;
    assert_eq!(
        again.json(),
        joined.json(),
        "the same place on joining again"
    );

    // The sale opens; a second later the room has admitted one person (60 a minute): Ada,
    // the only early arrival. Bob, arriving now, queues behind her and is next.
    clock.advance(Duration::from_secs(61));
    app.prasang
        .waiting_room()
        .admit_due()
        .expect("the admission step runs");
    let admitted = me(&app, &event, &ada).await;
    assert_eq!(admitted.status, StatusCode::OK);
    assert_eq!(
        admitted.json()["state"],
        "admitted",
        "{:?}",
        admitted.json()
    );
    let pass = admitted.json()["pass"].clone();
    assert!(pass.as_str().is_some_and(|pass| !pass.is_empty()));
    assert_eq!(
        retry_after(&admitted),
        None,
        "nothing to wait for once admitted"
    );

    let bob_joined = join(&app, &event, &bob).await;
    let status = bob_joined.json();
    assert_eq!(status["state"], "waiting", "{status:?}");
    assert_eq!(status["position"], 1);
    assert_eq!(status["estimated_wait_secs"], 1);
    assert_eq!(status["queue_length"], 1);
    assert_eq!(status["admitted"], 1);
    assert_eq!(
        retry_after(&bob_joined),
        Some(2),
        "a 1 s estimate polls every 2 s"
    );
    let place = me(&app, &event, &bob).await;
    assert_eq!(place.json(), status);
    assert_eq!(retry_after(&place), Some(2));

    // The organizer's numbers: one admitted with a pass out, one waiting.
    let numbers = app.get(&room(&event), Some(&organizer)).await.json();
    assert_eq!(
        (
            &numbers["queue_length"],
            &numbers["admitted"],
            &numbers["outstanding"],
            &numbers["lottery_size"],
            &numbers["lottery_drawn"],
        ),
        (&json!(1), &json!(1), &json!(1), &json!(1), &json!(true)),
        "{numbers:?}"
    );

    // Without a pass a booking is refused, with Bob's place and when to ask again; so is a
    // guest checkout (a guest has no place in the room) and anyone who has not joined.
    let book = |token: &str, pass: Option<&Value>| {
        let body = match pass {
            Some(pass) => json!({ "quantity": 1, "pass": pass }),
            None => json!({ "quantity": 1 }),
        };
        let (app, path, token) = (
            &app,
            format!("/api/v1/events/{event}/tickets"),
            token.to_owned(),
        );
        async move { app.post(&path, Some(&token), &body).await }
    };
    let refused = book(&bob, None).await;
    assert_problem(&refused, StatusCode::TOO_MANY_REQUESTS, "pass-required");
    assert_eq!(
        (
            &refused.json()["position"],
            &refused.json()["estimated_wait_secs"]
        ),
        (&json!(1), &json!(1))
    );
    assert_eq!(retry_after(&refused), Some(2));
    let carol = app.user("carol@example.org", "attendee").await;
    let refused = book(&carol, None).await;
    assert_problem(&refused, StatusCode::TOO_MANY_REQUESTS, "pass-required");
    assert!(
        refused.json().get("position").is_none(),
        "{:?}",
        refused.json()
    );
    assert_eq!(retry_after(&refused), Some(5), "no estimate: every 5 s");
    let guest =
        json!({ "name": "Gita", "email": "gita@example.org", "event": event, "quantity": 1 });
    let refused = app.post("/api/v1/guest/bookings", None, &guest).await;
    assert_problem(&refused, StatusCode::TOO_MANY_REQUESTS, "pass-required");

    // Ada's pass books once, for Ada only.
    let stolen = book(&bob, Some(&pass)).await;
    assert_problem(&stolen, StatusCode::FORBIDDEN, "pass-invalid");
    assert_eq!(stolen.json()["reason"], "other_account");
    let booked = book(&ada, Some(&pass)).await;
    assert_eq!(booked.status, StatusCode::CREATED, "{:?}", booked.json());
    let again = book(&ada, Some(&pass)).await;
    assert_problem(&again, StatusCode::FORBIDDEN, "pass-invalid");
    assert_eq!(again.json()["reason"], "spent");
    assert_eq!(me(&app, &event, &ada).await.json()["state"], "spent");
    assert_eq!(
        app.get(&room(&event), Some(&organizer)).await.json()["spent"],
        1
    );

    // Turned off, the room has no places to show (and keeps them for when it is on again).
    let off = json!({ "enabled": false, "on_sale_at": on_sale, "admission": { "per_minute": 60 } });
    assert_eq!(
        app.put(&room(&event), Some(&organizer), &off).await.status,
        StatusCode::OK
    );
    assert_problem(
        &me(&app, &event, &bob).await,
        StatusCode::NOT_FOUND,
        "room-not-open",
    );
    assert_eq!(
        app.put(&room(&event), Some(&organizer), &settings(on_sale, 60))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(me(&app, &event, &bob).await.json()["position"], 1);
    app.stop().await;
}
