//! The whole booking flow over HTTP, idempotency, payments, and who may see what.

mod common;

use common::{assert_problem, problem, spawn};
use hyper::{Method, StatusCode};
use serde_json::{Value, json};

/// The path of a ticket, from its JSON.
fn ticket_path(ticket: &Value) -> String {
    format!("/api/v1/tickets/{}", ticket["id"].as_str().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_login_create_book_cancel_and_list() {
    let app = spawn().await;
    let organizer = app.user("olga@example.org", "organizer").await;
    let attendee = app.user("arun@example.org", "attendee").await;

    let me = app.me(&attendee).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.json()["email"], "arun@example.org");

    let id = app.event_id(&organizer, 2, 0).await;
    let listed = app.get("/api/v1/events", None).await.json();
    assert_eq!(listed["items"][0]["id"], id);

    let booked = app.book(&id, &attendee).await;
    assert_eq!(booked.status, StatusCode::CREATED);
    let ticket = booked.json();
    assert_eq!(ticket["status"], "booked");
    let location = booked.header("location").unwrap().to_owned();
    assert_eq!(location, ticket_path(&ticket));
    assert_eq!(
        app.get(&location, Some(&attendee)).await.json()["id"],
        ticket["id"]
    );

    let again = app.book(&id, &attendee).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(problem(&again), "limit-reached");

    let mine = app.get("/api/v1/me/tickets", Some(&attendee)).await.json();
    assert_eq!(mine["items"].as_array().unwrap().len(), 1);
    let seats = app.seats(&id).await;
    assert_eq!(seats["booked"], 1);

    let cancelled = app.cancel(&location, &attendee).await;
    assert_eq!(cancelled.status, StatusCode::OK);
    assert_eq!(cancelled.json()["status"], "cancelled");
    let twice = app.cancel(&location, &attendee).await;
    assert_eq!(twice.status, StatusCode::CONFLICT);
    assert_eq!(problem(&twice), "wrong-ticket-status");
    let seats = app.seats(&id).await;
    assert_eq!(
        seats["remaining"], 2,
        "cancelling frees the seat exactly once"
    );

    let for_event = app
        .get(&format!("/api/v1/events/{id}/tickets"), Some(&organizer))
        .await;
    assert_eq!(for_event.status, StatusCode::OK);
    assert_eq!(for_event.json()["items"][0]["status"], "cancelled");
    let organized = app.get("/api/v1/me/events", Some(&organizer)).await.json();
    assert_eq!(organized["items"][0]["id"], id);
    common::assert_intact(&app.prasang);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sold_out_is_a_conflict_and_seats_are_never_oversold() {
    let app = spawn().await;
    let (_, id) = app.organizer_with_event("o@example.org", 3, 0).await;
    let mut tokens = Vec::new();
    for i in 0..8 {
        tokens.push(app.user(&format!("fan{i}@example.org"), "attendee").await);
    }
    let mut handles = Vec::new();
    for token in tokens {
        let (address, path) = (app.address, format!("/api/v1/events/{id}/tickets"));
        handles.push(tokio::spawn(async move {
            prasang_http_client::call(address, Method::POST, &path, Some(&token), Some(&json!({})))
                .await
                .unwrap()
        }));
    }
    let mut statuses = Vec::new();
    for handle in handles {
        let reply = handle.await.unwrap();
        if reply.status == StatusCode::CONFLICT {
            assert_eq!(problem(&reply), "sold-out");
        }
        statuses.push(reply.status.as_u16());
    }
    assert_eq!(statuses.iter().filter(|&&s| s == 201).count(), 3);
    assert_eq!(statuses.iter().filter(|&&s| s == 409).count(), 5);
    common::assert_intact(&app.prasang);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeating_a_booking_with_the_same_idempotency_key_returns_the_first_ticket() {
    let app = spawn().await;
    let (_, attendee, id) = app.organizer_attendee_event(10, 0).await;
    let book = |quantity: u32| {
        let mut request = prasang_http_client::request(
            Method::POST,
            &format!("/api/v1/events/{id}/tickets"),
            Some(&attendee),
            Some(&json!({ "quantity": quantity })),
        );
        request
            .headers_mut()
            .insert("idempotency-key", "order-42".parse().unwrap());
        request
    };
    let first = app.raw(book(1)).await;
    assert_eq!(first.status, StatusCode::CREATED);
    assert_eq!(first.header("idempotent-replayed"), None);
    let replay = app.raw(book(1)).await;
    assert_eq!(replay.status, StatusCode::CREATED);
    assert_eq!(replay.header("idempotent-replayed"), Some("true"));
    assert_eq!(replay.json()["id"], first.json()["id"]);
    let different = app.raw(book(2)).await;
    assert_eq!(different.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem(&different), "idempotency-key-reused");
    let seats = app.seats(&id).await;
    assert_eq!(seats["booked"], 1);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paid_tickets_are_pending_until_the_organizer_confirms_payment() {
    let app = spawn().await;
    let (organizer, attendee, id) = app.organizer_attendee_event(10, 2500).await;
    let ticket = app.book(&id, &attendee).await.json();
    assert_eq!(ticket["status"], "pending");
    assert_eq!(ticket["amount_minor"], 2500);
    let path = format!("{}/confirm-payment", ticket_path(&ticket));
    let by_attendee = app.post(&path, Some(&attendee), &json!({})).await;
    assert_eq!(by_attendee.status, StatusCode::FORBIDDEN);
    let confirmed = app.post(&path, Some(&organizer), &json!({})).await;
    assert_eq!(confirmed.status, StatusCode::OK);
    assert_eq!(confirmed.json()["status"], "booked");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_users_ticket_is_not_found_and_another_organizers_event_is_forbidden() {
    let app = spawn().await;
    let olga = app.user("olga@example.org", "organizer").await;
    let omar = app.user("omar@example.org", "organizer").await;
    let alice = app.user("alice@example.org", "attendee").await;
    let bob = app.user("bob@example.org", "attendee").await;
    let id = app.event_id(&olga, 10, 0).await;
    let ticket_path = ticket_path(&app.book(&id, &alice).await.json());

    let peek = app.get(&ticket_path, Some(&bob)).await;
    assert_eq!(peek.status, StatusCode::NOT_FOUND);
    assert_eq!(problem(&peek), "ticket-not-found");
    let cancel = app.cancel(&ticket_path, &bob).await;
    assert_eq!(cancel.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.status(&ticket_path, Some(&olga)).await,
        StatusCode::OK,
        "the organizer sees it"
    );

    let event_path = format!("/api/v1/events/{id}");
    let patch = app
        .patch(&event_path, Some(&omar), &json!({ "title": "Mine now" }))
        .await;
    assert_eq!(patch.status, StatusCode::FORBIDDEN);
    assert_eq!(problem(&patch), "forbidden");
    assert_eq!(
        app.delete(&event_path, Some(&omar)).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.cancel(&event_path, &omar).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.status(&format!("{event_path}/tickets"), Some(&omar))
            .await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.status(&format!("{event_path}/tickets"), Some(&alice))
            .await,
        StatusCode::FORBIDDEN
    );

    let create = app.create_event(&alice, &json!({ "title": "x", "location": "y",
        "starts_at": common::now_plus_days(1), "ends_at": common::now_plus_days(2), "capacity": 1 })).await;
    assert_eq!(
        create.status,
        StatusCode::FORBIDDEN,
        "attendees cannot create events"
    );

    let patched = app
        .patch(&event_path, Some(&olga), &json!({ "title": "Renamed" }))
        .await;
    assert_eq!(patched.status, StatusCode::OK);
    assert_eq!(patched.json()["title"], "Renamed");
    let delete = app.delete(&event_path, Some(&olga)).await;
    assert_eq!(
        delete.status,
        StatusCode::CONFLICT,
        "an event with tickets cannot be deleted"
    );
    let cancelled = app.cancel(&event_path, &olga).await;
    assert_eq!(cancelled.json()["status"], "cancelled");
    let book = app.book(&id, &bob).await;
    assert_problem(&book, StatusCode::CONFLICT, "not-on-sale");

    let empty = app.event_id(&olga, 5, 0).await;
    let gone = app
        .delete(&format!("/api/v1/events/{empty}"), Some(&olga))
        .await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.status(&format!("/api/v1/events/{empty}"), None).await,
        StatusCode::NOT_FOUND
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_admins_change_roles_and_check_integrity() {
    let app = spawn().await;
    let user = app.register("u@example.org", "attendee").await;
    let token = app.access_token("u@example.org").await;
    let admin = app.admin("root@example.org").await;
    let path = format!("/api/v1/users/{}/role", user["id"].as_str().unwrap());
    let body = json!({ "role": "organizer" });
    assert_eq!(
        app.put(&path, Some(&token), &body).await.status,
        StatusCode::FORBIDDEN
    );
    let changed = app.put(&path, Some(&admin), &body).await;
    assert_eq!(changed.status, StatusCode::OK);
    assert_eq!(changed.json()["role"], "organizer");
    // The role change ended the user's older token; a new one carries the new role.
    let stale = app.get("/api/v1/admin/integrity", Some(&token)).await;
    assert_problem(&stale, StatusCode::UNAUTHORIZED, "session-revoked");
    let token = app.access_token("u@example.org").await;
    assert_eq!(
        app.status("/api/v1/admin/integrity", Some(&token)).await,
        StatusCode::FORBIDDEN
    );
    let report = app.get("/api/v1/admin/integrity", Some(&admin)).await;
    assert_eq!(report.json()["ok"], true);
    let log = app.get("/api/v1/admin/log?limit=5", Some(&admin)).await;
    assert_eq!(log.status, StatusCode::OK);
    assert!(!log.json()["entries"].as_array().unwrap().is_empty());
    app.stop().await;
}
