//! Feedback and analytics over HTTP: the rules the core decides come back as problem+json with
//! the field named, reports come as JSON or formula-safe CSV, organizers see only their own.

mod common;

use std::time::Duration;

use common::{assert_problem, spawn_with};
use hyper::{Method, Request, StatusCode};
use prasang_core::{Clock, Config, ManualClock, SystemClock};
use prasang_server::ServerConfig;
use serde_json::json;

fn field(reply: &prasang_http_client::Reply) -> String {
    let body = reply.json();
    body["errors"][0]["field"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// The bookings of every row of a trends report, added up.
fn bookings_in(trends: &prasang_http_client::Reply) -> u64 {
    let report = trends.json();
    let rows = report["rows"].as_array().expect("rows");
    rows.iter().map(|r| r["bookings"].as_u64().unwrap()).sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feedback_then_reports_as_json_and_csv() {
    let clock = ManualClock::new(SystemClock.now());
    let mut config = ServerConfig::temporary();
    config.store = Config::temporary().clock(clock.clone());
    let app = spawn_with(config).await;
    let olga = app.user("olga@example.org", "organizer").await;
    app.user("rita@example.org", "organizer").await;
    let ada = app.user("ada@example.org", "attendee").await;
    let event = app.event(&olga, 10, 0).await;
    let id = event["id"].as_str().unwrap().to_owned();
    assert_eq!(event["rating"], json!({ "average": null, "count": 0 }));
    assert_eq!(app.book(&id, &ada).await.status, StatusCode::CREATED);
    let feedback = format!("/api/v1/events/{id}/feedback");

    let early = app
        .post(&feedback, Some(&ada), &json!({ "rating": 5 }))
        .await;
    assert_problem(&early, StatusCode::CONFLICT, "event-not-started");

    clock.advance(Duration::from_secs(2 * 86_400));
    // Tokens are short-lived: log in again after two days.
    let olga = app.access_token("olga@example.org").await;
    let rita = app.access_token("rita@example.org").await;
    let ada = app.access_token("ada@example.org").await;

    for (body, slug, name) in [
        (json!({ "rating": 0 }), "invalid-field", "rating"),
        (json!({ "rating": 6 }), "invalid-field", "rating"),
        (
            json!({ "rating": 3, "comment": "x".repeat(3_000) }),
            "invalid-field",
            "comment",
        ),
    ] {
        let refused = app.post(&feedback, Some(&ada), &body).await;
        assert_problem(&refused, StatusCode::UNPROCESSABLE_ENTITY, slug);
        assert_eq!(field(&refused), name);
    }
    // Over the body limit (64 KiB) the server answers 413 without reading on. The body stays
    // small enough for the socket buffers, so the client is never cut off mid-write; the core
    // refuses a 1 MB comment by itself (prasang-core/tests/feedback.rs).
    let huge = app
        .post(
            &feedback,
            Some(&ada),
            &json!({ "rating": 3, "comment": "x".repeat(100_000) }),
        )
        .await;
    assert_eq!(huge.status, StatusCode::PAYLOAD_TOO_LARGE);
    let none = app.get(&format!("{feedback}/mine"), Some(&ada)).await;
    assert_problem(&none, StatusCode::NOT_FOUND, "feedback-not-found");

    let given = app
        .post(
            &feedback,
            Some(&ada),
            &json!({ "rating": 4, "comment": "=HYPERLINK(\"x\")" }),
        )
        .await;
    assert_eq!(given.status, StatusCode::CREATED, "{:?}", given.json());
    let again = app
        .post(&feedback, Some(&ada), &json!({ "rating": 5 }))
        .await;
    assert_problem(&again, StatusCode::CONFLICT, "feedback-exists");
    let stranger = app
        .post(&feedback, Some(&rita), &json!({ "rating": 1 }))
        .await;
    assert_problem(&stranger, StatusCode::FORBIDDEN, "not-a-ticket-holder");

    let ada_id = given.json()["user"].as_str().unwrap().to_owned();
    let reply_to_ada = format!("{feedback}/{ada_id}/reply");
    let reply = app
        .put(&reply_to_ada, Some(&olga), &json!({ "text": "Thanks!" }))
        .await;
    assert_eq!(reply.json()["reply"]["text"], "Thanks!");
    let not_yours = app
        .put(&reply_to_ada, Some(&rita), &json!({ "text": "Hi" }))
        .await;
    assert_problem(&not_yours, StatusCode::FORBIDDEN, "forbidden");
    let listed = app.get(&feedback, Some(&olga)).await;
    assert_eq!(listed.json()["items"].as_array().map(Vec::len), Some(1));

    app.prasang.run_analytics_once().expect("analytics");
    let shown = app.get(&format!("/api/v1/events/{id}"), None).await.json();
    assert_eq!(shown["rating"], json!({ "average": 4.0, "count": 1 }));

    let popularity = app
        .get(
            &format!("/api/v1/events/{id}/analytics/popularity"),
            Some(&olga),
        )
        .await;
    assert_eq!(popularity.status, StatusCode::OK);
    assert_eq!(popularity.json()["bookings"], 1);
    assert_eq!(popularity.json()["average_rating"], 4.0);
    let mine = app.get("/api/v1/analytics/funnel", Some(&olga)).await;
    assert_eq!(mine.json()["booked"], 1);

    let csv = app
        .get(
            &format!("/api/v1/events/{id}/analytics/popularity?format=csv"),
            Some(&olga),
        )
        .await;
    assert_eq!(
        csv.header("content-type"),
        Some("text/csv; charset=utf-8; header=present")
    );
    let text = String::from_utf8(csv.body.to_vec()).unwrap();
    assert!(
        text.starts_with(
            "visits,bookings,cancellations,expiries,conversion,average_rating,rating_count\r\n"
        ),
        "{text}"
    );
    let request = Request::builder()
        .method(Method::GET)
        .uri("/api/v1/analytics/top-events")
        .header("host", "localhost")
        .header("accept", "text/csv")
        .header("authorization", format!("Bearer {olga}"))
        .body(http_body_util::Full::new(bytes::Bytes::new()))
        .unwrap();
    let top = app.raw(request).await;
    assert_eq!(top.status, StatusCode::OK);
    assert!(
        String::from_utf8(top.body.to_vec())
            .unwrap()
            .starts_with("rank,event,title,")
    );

    // Another organizer's event and reports are refused.
    let trends = format!("/api/v1/events/{id}/analytics/trends");
    let refused = app.get(&trends, Some(&rita)).await;
    assert_problem(&refused, StatusCode::FORBIDDEN, "forbidden");
    let olga_id = app.me(&olga).await.json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let revenue = format!("/api/v1/analytics/revenue?organizer={olga_id}");
    let refused = app.get(&revenue, Some(&rita)).await;
    assert_problem(&refused, StatusCode::FORBIDDEN, "forbidden");

    for (path, status, slug, name) in [
        (
            "/api/v1/analytics/bogus",
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-field",
            Some("report"),
        ),
        (
            "/api/v1/analytics/trends?from=2030-01-02&to=2030-01-01",
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-field",
            Some("to"),
        ),
        (
            "/api/v1/analytics/trends?from=2000-01-01&to=2030-01-01",
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-field",
            Some("to"),
        ),
        (
            "/api/v1/analytics/trends?from=yesterday",
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-field",
            Some("from"),
        ),
        (
            "/api/v1/analytics/trends?group_by=year",
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-field",
            Some("group_by"),
        ),
        (
            "/api/v1/analytics/trends?time_zone=Mars/Olympus_Mons",
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-field",
            Some("time_zone"),
        ),
        (
            "/api/v1/analytics/top-events?by=mood",
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-field",
            Some("by"),
        ),
        (
            "/api/v1/analytics/top-events?by=rating&min_ratings=0",
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-field",
            Some("min_ratings"),
        ),
        (
            "/api/v1/analytics/funnel?format=xml",
            StatusCode::BAD_REQUEST,
            "bad-parameter",
            None,
        ),
        (
            "/api/v1/analytics/funnel?organizer=nobody",
            StatusCode::BAD_REQUEST,
            "bad-parameter",
            None,
        ),
        (
            "/api/v1/analytics/funnel?colour=red",
            StatusCode::BAD_REQUEST,
            "bad-parameter",
            None,
        ),
    ] {
        let reply = app.get(path, Some(&olga)).await;
        assert_problem(&reply, status, slug);
        if let Some(name) = name {
            assert_eq!(field(&reply), name, "{path}");
        }
    }
    let unknown_event_report = app
        .get(
            &format!("/api/v1/events/{id}/analytics/top-events"),
            Some(&olga),
        )
        .await;
    assert_problem(
        &unknown_event_report,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid-field",
    );

    let trends = app
        .get("/api/v1/analytics/trends?group_by=week", Some(&olga))
        .await;
    assert_eq!(trends.status, StatusCode::OK, "{:?}", trends.json());
    let bookings = bookings_in(&trends);
    assert_eq!(bookings, 1);
    let local = app
        .get(
            "/api/v1/analytics/trends?group_by=week&time_zone=Asia/Kolkata",
            Some(&olga),
        )
        .await;
    assert_eq!(local.status, StatusCode::OK, "{:?}", local.json());
    assert_eq!(local.json()["time_zone"], "Asia/Kolkata");
    let local_bookings = bookings_in(&local);
    assert_eq!(local_bookings, 1, "the booking is in a Kolkata week too");

    let metrics = app.get("/metrics", None).await;
    assert!(
        String::from_utf8(metrics.body.to_vec())
            .unwrap()
            .contains("prasang_analytics_lag_entries")
    );
    let doc = app.get("/api/v1/openapi.json", None).await.json();
    assert!(doc["paths"]["/api/v1/analytics/popularity"]["get"].is_object());
    assert!(doc["paths"]["/api/v1/events/{id}/feedback"]["post"].is_object());
    assert!(doc["components"]["schemas"]["TopEvents"].is_object());
    app.stop().await;
}

/// An organizer selling in EUR and INR gets two revenue totals over HTTP, as JSON and as CSV,
/// and no figure adds the two.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revenue_comes_per_currency_as_json_and_csv() {
    let app = common::spawn().await;
    let olga = app.user("olga@example.org", "organizer").await;
    let ada = app.user("ada@example.org", "attendee").await;
    for (currency, price) in [("EUR", 2_500), ("INR", 99_900)] {
        let id = app.event_id(&olga, 10, price).await;
        let changed = app
            .patch(
                &format!("/api/v1/events/{id}"),
                Some(&olga),
                &json!({ "price_minor": price, "currency": currency }),
            )
            .await;
        assert_eq!(changed.status, StatusCode::OK, "{:?}", changed.json());
        let held = app.book(&id, &ada).await;
        assert_eq!(held.status, StatusCode::CREATED, "{:?}", held.json());
        let ticket = held.json()["id"].as_str().unwrap().to_owned();
        let paid = app
            .post(
                &format!("/api/v1/tickets/{ticket}/confirm-payment"),
                Some(&olga),
                &json!({}),
            )
            .await;
        assert_eq!(paid.status, StatusCode::OK, "{:?}", paid.json());
    }
    app.prasang.run_analytics_once().expect("analytics");

    let revenue = app.get("/api/v1/analytics/revenue", Some(&olga)).await;
    assert_eq!(revenue.status, StatusCode::OK);
    assert_eq!(
        revenue.json()["by_currency"],
        json!([
            { "currency": "EUR", "bookings": 1, "cancellations": 0, "revenue_minor": 2_500 },
            { "currency": "INR", "bookings": 1, "cancellations": 0, "revenue_minor": 99_900 },
        ])
    );
    assert!(revenue.json().get("revenue_minor").is_none());
    let csv = app
        .get("/api/v1/analytics/revenue?format=csv", Some(&olga))
        .await;
    assert_eq!(
        String::from_utf8(csv.body.to_vec()).unwrap(),
        "currency,revenue_minor,seats_booked,capacity,utilisation\r\n\
         EUR,2500,2,20,0.1\r\nINR,99900,2,20,0.1\r\n"
    );
    let trends = app
        .get("/api/v1/analytics/trends", Some(&olga))
        .await
        .json();
    let today = trends["rows"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(today["by_currency"][0]["currency"], "EUR");
    assert_eq!(today["by_currency"][1]["revenue_minor"], 99_900);
    app.stop().await;
}

/// Sales by ticket type and by promo code of one event over HTTP, as JSON and CSV: a paid
/// Adult + Child order with a 10% code confirmed later, a free Child order, and a cancelled
/// booked ticket refunded; the reports are the event's only (422 over the caller's events).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sales_by_ticket_type_and_promo_code_as_json_and_csv() {
    use prasang_core::events::NewTicketType;
    use prasang_core::promo::{Discount, NewPromoCode};
    use prasang_core::tickets::BookingRequest;

    let app = common::spawn().await;
    let olga = app.user("olga@example.org", "organizer").await;
    let rita = app.user("rita@example.org", "organizer").await;
    let ada = app.user("ada@example.org", "attendee").await;
    let id = app.event_id(&olga, 20, 2_000).await;
    let limit = json!({ "per_user_limit": 10 });
    let changed = app
        .patch(&format!("/api/v1/events/{id}"), Some(&olga), &limit)
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{:?}", changed.json());
    let prasang = &app.prasang;
    let organizer = prasang.auth().verify(&olga).expect("olga");
    let buyer = prasang.auth().verify(&ada).expect("ada");
    let event = id.parse().expect("event id");
    let child = NewTicketType {
        name: "Child".into(),
        price_minor: 500,
        ..NewTicketType::default()
    };
    let child = prasang
        .events()
        .add_ticket_type(&organizer, event, child)
        .expect("child type")
        .id;
    let code = NewPromoCode::new("ten", Discount::Percent(10));
    prasang
        .promo_codes()
        .create(&organizer, event, code)
        .expect("code");
    let order =
        |lines: &[(u32, i64)], code: Option<&str>| BookingRequest::order(event, lines, code);
    let tickets = prasang.tickets();
    // 2 Adult (2 × 2,000 − 400) + 1 Child (500 − 50) with TEN: 4,050, paid.
    let paid = tickets
        .book(&buyer, &order(&[(1, 2), (child, 1)], Some("ten")))
        .expect("book")
        .ticket;
    tickets.confirm_payment(&organizer, paid.id).expect("pay");
    // 1 Adult at 2,000, paid, then cancelled: refunded.
    let refunded = tickets
        .book(&buyer, &order(&[(1, 1)], None))
        .expect("book")
        .ticket;
    tickets
        .confirm_payment(&organizer, refunded.id)
        .expect("pay");
    tickets.cancel(&buyer, refunded.id).expect("cancel");
    prasang.run_analytics_once().expect("analytics");

    let path = format!("/api/v1/events/{id}/analytics/by-ticket-type");
    let types = app.get(&path, Some(&olga)).await;
    assert_eq!(types.status, StatusCode::OK, "{:?}", types.json());
    let row = |ticket_type: u32, name: &str, numbers: [i64; 6]| {
        json!({ "ticket_type": ticket_type, "name": name, "currency": "EUR",
            "bookings": numbers[0], "seats_booked": numbers[1], "cancellations": numbers[2],
            "revenue_minor": numbers[3], "refund_minor": numbers[4], "discount_minor": numbers[5] })
    };
    assert_eq!(
        types.json()["types"],
        json!([
            row(1, "Admission", [2, 2, 1, 3_600, 2_000, 400]),
            row(child, "Child", [1, 1, 0, 450, 0, 50]),
        ])
    );
    let csv = app.get(&format!("{path}?format=csv"), Some(&olga)).await;
    assert_eq!(
        String::from_utf8(csv.body.to_vec()).unwrap(),
        "ticket_type,name,currency,bookings,seats_booked,cancellations,revenue_minor,\
         refund_minor,discount_minor\r\n\
         1,Admission,EUR,2,2,1,3600,2000,400\r\n2,Child,EUR,1,1,0,450,0,50\r\n"
    );
    let codes = app
        .get(
            &format!("/api/v1/events/{id}/analytics/by-promo-code"),
            Some(&olga),
        )
        .await;
    assert_eq!(
        codes.json()["codes"],
        json!([{ "code": "TEN", "currency": "EUR", "bookings": 1, "seats_booked": 3,
            "cancellations": 0, "revenue_minor": 4_050, "refund_minor": 0, "discount_minor": 450 }])
    );
    // Someone else's event, and the caller's events as a whole, are refused.
    assert_eq!(
        app.get(&path, Some(&rita)).await.status,
        StatusCode::FORBIDDEN
    );
    let everyone = app
        .get("/api/v1/analytics/by-ticket-type", Some(&olga))
        .await;
    assert_problem(&everyone, StatusCode::UNPROCESSABLE_ENTITY, "invalid-field");
    assert_eq!(field(&everyone), "report");
    app.stop().await;
}
