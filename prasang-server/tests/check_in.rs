//! Check-in at the door over HTTP: the published admission keys, a ticket's seat codes, scans
//! and their answers (admitted, already admitted, revoked, wrong event, invalid), undo, door
//! staff who may scan their event only (through REST and the web UI), offline gates' sync and
//! upload with a conflict, and bad input that is refused with a 4xx and stores nothing.

mod common;

use common::browser::{Browser, text};
use common::{TestApp, assert_problem, spawn};
use hyper::StatusCode;
use serde_json::{Value, json};

/// The seat codes of `ticket` as the holder of `token` sees them.
async fn codes(app: &TestApp, ticket: &str, token: &str) -> Vec<Value> {
    let reply = app
        .get(&format!("/api/v1/tickets/{ticket}/admissions"), Some(token))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.json());
    reply.json()["items"].as_array().unwrap().clone()
}

/// An event of `token`'s starting in a day, where a person may book up to 4 seats; its id.
async fn event(app: &TestApp, token: &str, title: &str) -> String {
    let starts = common::now_plus_days(1);
    let body = json!({ "title": title, "location": "Hall", "starts_at": starts,
        "ends_at": common::now_plus_days(2), "capacity": 50, "per_user_limit": 4 });
    let reply = app.create_event(token, &body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.json());
    reply.json()["id"].as_str().unwrap().to_owned()
}

/// The organizer `o@`, the attendee `a@` and an event of the organizer's: tokens and its id.
async fn setup(app: &TestApp) -> (String, String, String) {
    let organizer = app.user("o@example.org", "organizer").await;
    let attendee = app.user("a@example.org", "attendee").await;
    let event = event(app, &organizer, "Concert").await;
    (organizer, attendee, event)
}

/// Books `seats` seats of `event` for the holder of `token`; returns the ticket's id.
async fn book(app: &TestApp, event: &str, token: &str, seats: u32) -> String {
    let reply = app
        .post(
            &format!("/api/v1/events/{event}/tickets"),
            Some(token),
            &json!({ "quantity": seats }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.json());
    reply.json()["id"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_keys_are_public_and_a_tickets_codes_are_for_its_holder_and_organizer() {
    let app = spawn().await;
    let (organizer, attendee, event) = setup(&app).await;
    let keys = app.get("/api/v1/admission-keys", None).await;
    assert_eq!(keys.status, StatusCode::OK);
    let keys = keys.json()["keys"].clone();
    assert_eq!(keys[0]["algorithm"], "Ed25519");
    assert_eq!(keys[0]["current"], true);
    let well_known = app.get("/.well-known/admission-keys.json", None).await;
    assert_eq!(well_known.json()["keys"], keys, "the same document");

    let ticket = book(&app, &event, &attendee, 3).await;
    let mine = codes(&app, &ticket, &attendee).await;
    let seats: Vec<(u64, u64)> = mine
        .iter()
        .map(|c| (c["seat"].as_u64().unwrap(), c["of"].as_u64().unwrap()))
        .collect();
    assert_eq!(seats, [(1, 3), (2, 3), (3, 3)]);
    assert_eq!(codes(&app, &ticket, &organizer).await, mine);
    let stranger = app.user("s@example.org", "attendee").await;
    let path = format!("/api/v1/tickets/{ticket}/admissions");
    assert_problem(
        &app.get(&path, Some(&stranger)).await,
        StatusCode::NOT_FOUND,
        "ticket-not-found",
    );
    assert_problem(
        &app.get(&path, None).await,
        StatusCode::UNAUTHORIZED,
        "missing-token",
    );
    // A cancelled ticket admits nobody: it shows no codes.
    app.cancel(&format!("/api/v1/tickets/{ticket}"), &attendee)
        .await;
    assert_problem(
        &app.get(&path, Some(&attendee)).await,
        StatusCode::CONFLICT,
        "ticket-not-booked",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn my_tickets_shows_each_seats_qr_code_and_a_printable_page() {
    let app = spawn().await;
    let (_, attendee, event) = setup(&app).await;
    let ticket = book(&app, &event, &attendee, 2).await;
    let seats = codes(&app, &ticket, &attendee).await;
    let mut browser = Browser::logged_in(&app, "a@example.org").await;
    let page = text(&browser.get("/me/tickets").await);
    for seat in &seats {
        assert!(
            page.contains(seat["code"].as_str().unwrap()),
            "the code text shows"
        );
    }
    assert_eq!(page.matches("<svg").count(), 2, "one QR code per seat");
    assert!(page.contains(&format!("/tickets/{ticket}/print")));
    let print = browser.get(&format!("/tickets/{ticket}/print")).await;
    assert_eq!(print.status, StatusCode::OK);
    let print = text(&print);
    assert_eq!(print.matches("<svg").count(), 2);
    assert!(print.contains("Seat 2 of 2"));
    let mut stranger = Browser::new(&app);
    app.register("s@example.org", "attendee").await;
    stranger.log_in("s@example.org").await;
    let refused = stranger.get(&format!("/tickets/{ticket}/print")).await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
}
