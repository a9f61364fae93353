//! Waiting list analytics over HTTP: the totals and the hourly curve as JSON and CSV, the
//! curve refused over the caller's events, another organizer and an attendee refused; and the
//! numbers on the organizer's event page.

mod common;

use common::browser::{Browser, text};
use common::{assert_problem, spawn};
use hyper::StatusCode;
use prasang_core::EventId;
use prasang_core::waitlist::{JoinRequest, WaitlistSettings};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waitlist_reports_as_json_and_csv() {
    let app = spawn().await;
    let (olga, ada, id) = app.organizer_attendee_event(1, 0).await;
    let bob = app.user("bob@example.org", "attendee").await;
    let rita = app.user("rita@example.org", "organizer").await;
    assert_eq!(app.book(&id, &ada).await.status, StatusCode::CREATED);
    // The list through the core (its REST routes have their own tests): Bob waits for the
    // sold-out seat, Ada cancels, Bob accepts the offer.
    let event: EventId = id.parse().expect("event id");
    let verify = |token: &str| app.prasang.auth().verify(token).expect("token");
    let (organizer, holder, waiter) = (verify(&olga), verify(&ada), verify(&bob));
    let list = app.prasang.waitlist();
    let settings = WaitlistSettings {
        enabled: true,
        ..WaitlistSettings::default()
    };
    list.configure(&organizer, event, settings).expect("open");
    let request = JoinRequest {
        ticket_type: None,
        seats: 1,
    };
    let entry = list.join(&waiter, event, &request).expect("join").entry;
    let ticket = app.get("/api/v1/me/tickets", Some(&ada)).await.json()["items"][0]["id"]
        .as_str()
        .expect("ticket id")
        .parse()
        .expect("ticket id");
    app.prasang
        .tickets()
        .cancel(&holder, ticket)
        .expect("cancel");
    list.accept(&waiter, event, entry).expect("accept");
    app.prasang.run_analytics_once().expect("analytics");
    let report = |name: &str| format!("/api/v1/events/{id}/analytics/{name}");

    let totals = app.get(&report("waitlist-totals"), Some(&olga)).await;
    assert_eq!(totals.status, StatusCode::OK);
    let expected = json!({ "joined": 1, "left": 0, "waiting": 0, "waiting_seats": 0,
        "offers": 1, "offered_seats": 1, "accepted": 1, "declined": 0, "expired": 0,
        "withdrawn": 0, "open_offers": 0, "seats_recovered": 1, "acceptance_rate": 1.0 });
    assert_eq!(totals.json(), expected);
    let csv = app
        .get(
            &format!("{}?format=csv", report("waitlist-totals")),
            Some(&olga),
        )
        .await;
    assert_eq!(
        String::from_utf8_lossy(&csv.body),
        "joined,left,waiting,waiting_seats,offers,offered_seats,accepted,declined,expired,\
         withdrawn,open_offers,seats_recovered,acceptance_rate\r\n1,0,0,0,1,1,1,0,0,0,0,1,1\r\n"
    );
    // Over the caller's events the totals are the same (one event).
    let mine = app
        .get("/api/v1/analytics/waitlist-totals", Some(&olga))
        .await;
    assert_eq!(mine.json(), expected);

    // Everything happened within one hour of the (UTC) event clock.
    let length = app
        .get(&report("waitlist-length"), Some(&olga))
        .await
        .json();
    assert_eq!(length["time_zone"], "UTC");
    let rows = length["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 1, "{length}");
    assert_eq!(
        (
            &rows[0]["waiting"],
            &rows[0]["joined"],
            &rows[0]["offers"],
            &rows[0]["accepted"]
        ),
        (&json!(0), &json!(1), &json!(1), &json!(1))
    );
    assert!(
        rows[0]["starts_at"]
            .as_str()
            .unwrap()
            .ends_with(":00:00+00:00")
    );
    let csv = app
        .get(
            &format!("{}?format=csv", report("waitlist-length")),
            Some(&olga),
        )
        .await;
    let csv = String::from_utf8_lossy(&csv.body).into_owned();
    assert!(
        csv.starts_with(
            "starts_at,time,waiting,waiting_seats,open_offers,joined,offers,accepted,declined,\
             expired\r\n"
        ),
        "{csv}"
    );
    assert!(csv.ends_with(",0,0,0,1,1,1,0,0\r\n"), "{csv}");
    let refused = app
        .get("/api/v1/analytics/waitlist-length", Some(&olga))
        .await;
    assert_problem(&refused, StatusCode::UNPROCESSABLE_ENTITY, "invalid-field");
    assert_eq!(refused.json()["errors"][0]["field"], "report");

    for name in ["waitlist-totals", "waitlist-length"] {
        let refused = app.get(&report(name), Some(&rita)).await;
        assert_problem(&refused, StatusCode::FORBIDDEN, "forbidden");
        let refused = app.get(&report(name), Some(&bob)).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{name}");
    }

    // The organizer's event page: the numbers, the hourly chart drawn on the server, the CSV.
    let mut browser = Browser::logged_in(&app, "o@example.org").await;
    let page = text(&browser.get(&format!("/organizer/events/{id}")).await);
    assert!(page.contains("Waiting list in numbers</h2>"), "{page}");
    assert!(page.contains("<strong>1</strong>seats recovered"), "{page}");
    assert!(page.contains("id=\"chart-waitlist-length\""), "{page}");
    assert!(
        page.contains("data-series=\"Waiting\" data-value=\"0\""),
        "{page}"
    );
    let csv = format!("/organizer/analytics/csv/waitlist-length?event={id}");
    assert!(page.contains(&csv), "{page}");
    assert!(text(&browser.get(&csv).await).starts_with("starts_at,time,waiting"));
    app.stop().await;
}

/// An event nobody waited for shows no waiting list numbers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_numbers_without_a_list() {
    let app = spawn().await;
    let (_, _, id) = app.organizer_attendee_event(1, 0).await;
    let mut browser = Browser::logged_in(&app, "o@example.org").await;
    let page = text(&browser.get(&format!("/organizer/events/{id}")).await);
    assert!(page.contains("Attendance</h2>"), "{page}");
    assert!(!page.contains("Waiting list in numbers"), "{page}");
    app.stop().await;
}
