//! Events in their own time zone over HTTP: local times in and out, the spring gap as a 422
//! naming the field, the `local_date` listing filter.

mod common;

use common::{TestApp, assert_problem, spawn_with};
use hyper::StatusCode;
use prasang_core::{Config, ManualClock, Timestamp};
use prasang_server::ServerConfig;
use serde_json::{Value, json};

async fn app() -> TestApp {
    let start = Timestamp::parse_rfc3339("2030-01-01T00:00:00Z").expect("an instant");
    let mut config = ServerConfig::temporary();
    config.store = Config::temporary().clock(ManualClock::new(start));
    spawn_with(config).await
}

/// A new event in `zone` from `starts_at` to `ends_at`, as an organizer sends it.
fn event(zone: &str, starts_at: &str, ends_at: &str) -> Value {
    json!({
        "title": "Town meeting", "location": "Town hall", "capacity": 50,
        "time_zone": zone, "starts_at": starts_at, "ends_at": ends_at,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_take_local_times_and_show_both_forms() {
    let app = app().await;
    let olga = app.user("olga@example.org", "organizer").await;
    let body = event("Asia/Kolkata", "2030-12-05T18:30", "2030-12-05T23:00");
    let created = app.create_event(&olga, &body).await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.json());
    let body = created.json();
    assert_eq!(body["time_zone"], "Asia/Kolkata");
    assert_eq!(body["starts_at"], "2030-12-05T13:00:00Z");
    assert_eq!(body["starts_at_local"], "2030-12-05T18:30:00+05:30");
    assert_eq!(body["ends_at_local"], "2030-12-05T23:00:00+05:30");

    // An RFC 3339 instant still works, as before, and keeps its instant.
    let id = body["id"].as_str().expect("an id");
    let instant = json!({ "starts_at": "2030-12-05T12:00:00Z" });
    let path = format!("/api/v1/events/{id}");
    let moved = app.patch(&path, Some(&olga), &instant).await;
    assert_eq!(moved.status, StatusCode::OK, "{:?}", moved.json());
    assert_eq!(moved.json()["starts_at_local"], "2030-12-05T17:30:00+05:30");

    let body = event("Europe/Berlin", "2030-03-31T02:30", "2030-03-31T05:00");
    let gap = app.create_event(&olga, &body).await;
    assert_problem(&gap, StatusCode::UNPROCESSABLE_ENTITY, "invalid-field");
    let problem = gap.json();
    assert_eq!(problem["errors"][0]["field"], "starts_at");
    let message = problem["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("does not exist in Europe/Berlin"),
        "{message}"
    );

    let body = event("Mars/Base", "2030-12-05T18:30", "2030-12-05T19:30");
    let unknown = app.create_event(&olga, &body).await;
    assert_problem(&unknown, StatusCode::UNPROCESSABLE_ENTITY, "invalid-field");
    assert_eq!(unknown.json()["errors"][0]["field"], "time_zone");
    // Neither an instant nor a local date-time: the body is refused with both forms shown.
    let body = event("UTC", "2030-12-05 18:30", "2030-12-05T19:30");
    let malformed = app.create_event(&olga, &body).await;
    assert_eq!(malformed.status, StatusCode::UNPROCESSABLE_ENTITY);
    let detail = malformed.json()["detail"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(detail.contains("or a local date-time such as"), "{detail}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listings_filter_by_the_local_date_of_each_event() {
    let app = app().await;
    let olga = app.user("olga@example.org", "organizer").await;
    for (title, zone, starts_at, ends_at) in [
        (
            "Late in LA",
            "America/Los_Angeles",
            "2030-12-05T23:30",
            "2030-12-06T01:00",
        ),
        (
            "Early in Kolkata",
            "Asia/Kolkata",
            "2030-12-05T00:30",
            "2030-12-05T02:00",
        ),
        (
            "Day before in Kolkata",
            "Asia/Kolkata",
            "2030-12-04T23:30",
            "2030-12-05T02:00",
        ),
    ] {
        let mut body = event(zone, starts_at, ends_at);
        body["title"] = title.into();
        let created = app.create_event(&olga, &body).await;
        assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.json());
    }
    let titles = |reply: &prasang_http_client::Reply| -> Vec<String> {
        reply.json()["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|e| e["title"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    let listed = app.get("/api/v1/events?local_date=2030-12-05", None).await;
    assert_eq!(listed.status, StatusCode::OK);
    assert_eq!(titles(&listed), ["Early in Kolkata", "Late in LA"]);
    let all = app.get("/api/v1/events", None).await;
    assert_eq!(titles(&all).len(), 3);
    let bad = app.get("/api/v1/events?local_date=tomorrow", None).await;
    assert_problem(&bad, StatusCode::UNPROCESSABLE_ENTITY, "invalid-field");
    assert_eq!(bad.json()["errors"][0]["field"], "local_date");
    app.stop().await;
}
