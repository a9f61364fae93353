//! Waiting room analytics over HTTP: the queue per minute as JSON and CSV, refused over the
//! caller's events, and refused to another organizer and an attendee; and its chart on the
//! organizer's event page. (The counts themselves are proven in prasang-core's
//! `analytics_waiting_room` tests.)

mod common;

use std::time::Duration;

use common::browser::{Browser, text};
use common::{assert_problem, spawn};
use hyper::StatusCode;
use prasang_core::EventId;
use prasang_core::waiting_room::{AdmissionRate, RoomSettings};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_waiting_room_report_as_json_and_csv() {
    let app = spawn().await;
    let (olga, ada, id) = app.organizer_attendee_event(10, 0).await;
    let bob = app.user("bob@example.org", "attendee").await;
    let rita = app.user("rita@example.org", "organizer").await;
    // The room through the core (its REST routes are another helper's): it opens tomorrow, so
    // the two who join today wait in its lottery, admitted by no background step.
    let event: EventId = id.parse().expect("event id");
    let verify = |token: &str| app.prasang.auth().verify(token).expect("token");
    let room = app.prasang.waiting_room();
    let settings = RoomSettings {
        enabled: true,
        on_sale_at: app.prasang.now().plus(Duration::from_secs(86_400)),
        admission: AdmissionRate::Automatic,
        pass_minutes: 10,
    };
    room.configure(&verify(&olga), event, settings)
        .expect("room on");
    for who in [&ada, &bob] {
        room.join(&verify(who), event).expect("join");
    }
    app.prasang.run_analytics_once().expect("analytics");
    let report = format!("/api/v1/events/{id}/analytics/waiting-room");

    let queue = app.get(&report, Some(&olga)).await;
    assert_eq!(queue.status, StatusCode::OK);
    let queue = queue.json();
    assert_eq!(queue["time_zone"], "UTC");
    let rows = queue["rows"].as_array().expect("rows");
    // Both joined within a minute or two of each other.
    assert!(!rows.is_empty() && rows.len() <= 2, "{queue}");
    let joined: u64 = rows
        .iter()
        .map(|r| r["joined"].as_u64().expect("joined"))
        .sum();
    assert_eq!(joined, 2, "{queue}");
    let last = rows.last().expect("a row");
    assert_eq!(
        (&last["admitted"], &last["waiting"]),
        (&0.into(), &2.into())
    );
    assert!(
        last["starts_at"]
            .as_str()
            .expect("start")
            .ends_with(":00+00:00")
    );

    let csv = app.get(&format!("{report}?format=csv"), Some(&olga)).await;
    let csv = String::from_utf8_lossy(&csv.body).into_owned();
    assert!(
        csv.starts_with("starts_at,time,joined,admitted,waiting\r\n"),
        "{csv}"
    );
    assert!(csv.ends_with(",0,2\r\n"), "{csv}");

    let refused = app.get("/api/v1/analytics/waiting-room", Some(&olga)).await;
    assert_problem(&refused, StatusCode::UNPROCESSABLE_ENTITY, "invalid-field");
    assert_eq!(refused.json()["errors"][0]["field"], "report");
    let refused = app.get(&report, Some(&rita)).await;
    assert_problem(&refused, StatusCode::FORBIDDEN, "forbidden");
    let refused = app.get(&report, Some(&bob)).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    // The organizer's event page: the chart drawn on the server, and its CSV.
    let mut browser = Browser::logged_in(&app, "o@example.org").await;
    let page = text(&browser.get(&format!("/organizer/events/{id}")).await);
    assert!(page.contains("id=\"chart-waiting-room\""), "{page}");
    assert!(
        page.contains("data-series=\"In the queue\" data-value=\"2\""),
        "{page}"
    );
    let csv = format!("/organizer/analytics/csv/waiting-room?event={id}");
    assert!(page.contains(&csv), "{page}");
    assert!(text(&browser.get(&csv).await).starts_with("starts_at,time,joined,admitted,waiting"));
    app.stop().await;
}
