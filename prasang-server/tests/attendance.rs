//! Attendance over HTTP: the reports as JSON and CSV, the per-event ones refused over the
//! caller's events, another organizer refused, the funnel's checked-in step.

mod common;

use common::{assert_problem, spawn};
use hyper::StatusCode;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attendance_reports_as_json_and_csv() {
    let app = spawn().await;
    let (olga, ada, id) = app.organizer_attendee_event(10, 0).await;
    let rita = app.user("rita@example.org", "organizer").await;
    assert_eq!(app.book(&id, &ada).await.status, StatusCode::CREATED);
    app.prasang.run_analytics_once().expect("analytics");
    let report = |name: &str| format!("/api/v1/events/{id}/analytics/{name}");

    let attendance = app.get(&report("attendance"), Some(&olga)).await;
    assert_eq!(attendance.status, StatusCode::OK);
    assert_eq!(
        attendance.json(),
        json!({ "booked_seats": 1, "checked_in": 0, "no_shows": 1, "rate": 0.0 })
    );
    let csv = app
        .get(&format!("{}?format=csv", report("attendance")), Some(&olga))
        .await;
    assert_eq!(
        String::from_utf8_lossy(&csv.body),
        "booked_seats,checked_in,no_shows,rate\r\n1,0,1,0\r\n"
    );
    let by_type = app
        .get(&report("attendance-by-ticket-type"), Some(&olga))
        .await
        .json();
    assert_eq!(by_type["types"][0]["ticket_type"], 1);
    assert_eq!(by_type["types"][0]["booked_seats"], 1);
    let by_group = app
        .get(&report("attendance-by-group"), Some(&olga))
        .await
        .json();
    let groups = by_group["groups"].as_array().expect("groups");
    assert_eq!(groups.len(), 32, "every gender × age group");
    let booked: u64 = groups
        .iter()
        .map(|g| g["booked_seats"].as_u64().unwrap())
        .sum();
    assert_eq!(booked, 1);
    let arrivals = app.get(&report("arrivals"), Some(&olga)).await.json();
    assert_eq!(arrivals["time_zone"], "UTC");
    assert_eq!(arrivals["rows"], json!([]));
    let funnel = app.get(&report("funnel"), Some(&olga)).await.json();
    assert_eq!(
        (funnel["booked"].clone(), funnel["checked_in"].clone()),
        (json!(1), json!(0))
    );

    // Over the caller's events: attendance and by group are served, the per-event ones not.
    let mine = app.get("/api/v1/analytics/attendance", Some(&olga)).await;
    assert_eq!(mine.json()["booked_seats"], 1);
    let mine = app
        .get("/api/v1/analytics/attendance-by-group", Some(&olga))
        .await;
    assert_eq!(mine.status, StatusCode::OK);
    for name in ["attendance-by-ticket-type", "arrivals"] {
        let refused = app
            .get(&format!("/api/v1/analytics/{name}"), Some(&olga))
            .await;
        assert_problem(&refused, StatusCode::UNPROCESSABLE_ENTITY, "invalid-field");
        assert_eq!(refused.json()["errors"][0]["field"], "report");
    }
    // Ada checks in at the door (through the core: the REST check-in is its own test).
    let ticket = app.get("/api/v1/me/tickets", Some(&ada)).await.json()["items"][0]["id"]
        .as_str()
        .unwrap()
        .parse::<prasang_core::TicketId>()
        .unwrap();
    let event: prasang_core::EventId = id.parse().unwrap();
    let organizer = app.prasang.auth().verify(&olga).unwrap();
    let holder = app.prasang.auth().verify(&ada).unwrap();
    let code = app.prasang.admissions().codes(&holder, ticket).unwrap()[0]
        .code
        .clone();
    let request = prasang_core::checkin::CheckInRequest {
        event,
        code: &code,
        gate: "North".into(),
        scan_id: "scan-1".into(),
    };
    app.prasang
        .check_ins()
        .check_in(&organizer, request)
        .expect("admitted");
    app.prasang.run_analytics_once().expect("analytics");
    let attendance = app.get(&report("attendance"), Some(&olga)).await.json();
    assert_eq!(
        attendance,
        json!({ "booked_seats": 1, "checked_in": 1, "no_shows": 0, "rate": 1.0 })
    );
    let arrivals = app.get(&report("arrivals"), Some(&olga)).await.json();
    assert_eq!(arrivals["rows"][0]["checked_in"], 1, "{arrivals}");
    let csv = app
        .get(&format!("{}?format=csv", report("arrivals")), Some(&olga))
        .await;
    let csv = String::from_utf8_lossy(&csv.body).into_owned();
    assert!(csv.starts_with("starts_at,time,checked_in\r\n"), "{csv}");
    assert!(csv.ends_with(",1\r\n"), "{csv}");
    let funnel = app.get(&report("funnel"), Some(&olga)).await.json();
    assert_eq!(funnel["checked_in"], 1);

    // Another organizer's event, and an attendee, are refused.
    for name in [
        "attendance",
        "attendance-by-ticket-type",
        "attendance-by-group",
        "arrivals",
    ] {
        let refused = app.get(&report(name), Some(&rita)).await;
        assert_problem(&refused, StatusCode::FORBIDDEN, "forbidden");
        let refused = app.get(&report(name), Some(&ada)).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{name}");
    }
}
