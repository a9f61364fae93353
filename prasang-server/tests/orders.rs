//! Orders across ticket types over HTTP: a booking names lines and a promo code, a quote says
//! what it would cost first, the old one-quantity body keeps working, and a refused line or code
//! is named in the problem.

mod common;

use common::{TestApp, assert_problem, spawn};
use hyper::StatusCode;
use serde_json::{Value, json};

/// An event with Adult (20.00, at most 2 per order), Child (10.00, 3 seats) and a hidden VIP
/// type, and the codes FAMILY (10 % off, 3 seats) and BACKSTAGE (reveals VIP, for VIP only);
/// returns the organizer's token and the event's id.
async fn family_event(app: &TestApp) -> (String, String) {
    let organizer = app.user("o@example.org", "organizer").await;
    let body = json!({ "title": "Circus", "location": "Tent", "capacity": 50, "per_user_limit": 6,
        "starts_at": common::now_plus_days(2), "ends_at": common::now_plus_days(3),
        "ticket_types": [
            { "name": "Adult", "price_minor": 2000, "max_per_order": 2 },
            { "name": "Child", "price_minor": 1000, "quota": 3 },
            { "name": "VIP", "price_minor": 9000, "hidden": true }
        ] });
    let reply = app.create_event(&organizer, &body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.json());
    let event = reply.json()["id"].as_str().unwrap().to_owned();
    let codes = format!("/api/v1/events/{event}/promo-codes");
    for code in [
        json!({ "code": "FAMILY", "discount": { "percent": 10 }, "max_uses": 3 }),
        json!({ "code": "BACKSTAGE", "discount": "none", "reveals": [3], "applies_to": [3] }),
    ] {
        let made = app.post(&codes, Some(&organizer), &code).await;
        assert_eq!(made.status, StatusCode::CREATED, "{:?}", made.json());
    }
    (organizer, event)
}

fn order(lines: &[(u32, u32)], code: Option<&str>) -> Value {
    let lines: Vec<Value> = lines
        .iter()
        .map(|(ticket_type, quantity)| json!({ "ticket_type": ticket_type, "quantity": quantity }))
        .collect();
    json!({ "lines": lines, "promo_code": code })
}

/// Seats held or booked of each type, as the organizer lists them.
async fn sold(app: &TestApp, organizer: &str, event: &str) -> Vec<u64> {
    let path = format!("/api/v1/events/{event}/ticket-types");
    let types = app.get(&path, Some(organizer)).await.json();
    types["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["held"].as_u64().unwrap() + t["booked"].as_u64().unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_adults_and_a_child_with_a_code_are_quoted_then_booked_at_that_price() {
    let app = spawn().await;
    let (organizer, event) = family_event(&app).await;
    let buyer = app.user("a@example.org", "attendee").await;
    let body = order(&[(1, 2), (2, 1)], Some("family"));

    let quote = app
        .post(
            &format!("/api/v1/events/{event}/quote"),
            Some(&buyer),
            &body,
        )
        .await;
    assert_eq!(quote.status, StatusCode::OK, "{:?}", quote.json());
    let quote = quote.json();
    assert_eq!(quote["lines"][0]["name"], "Adult");
    assert_eq!(quote["lines"][0]["amount_minor"], 3600);
    assert_eq!(quote["lines"][1]["amount_minor"], 900);
    assert_eq!(
        (
            quote["discount_minor"].clone(),
            quote["amount_minor"].clone()
        ),
        (json!(500), json!(4500))
    );
    assert_eq!(quote["promo_code"], "FAMILY");
    assert_eq!(
        sold(&app, &organizer, &event).await,
        [0, 0, 0],
        "a quote holds nothing"
    );

    let booked = app
        .post(
            &format!("/api/v1/events/{event}/tickets"),
            Some(&buyer),
            &body,
        )
        .await;
    assert_eq!(booked.status, StatusCode::CREATED, "{:?}", booked.json());
    let ticket = booked.json();
    assert_eq!(ticket["status"], "pending");
    assert_eq!(ticket["quantity"], 3);
    assert_eq!(ticket["amount_minor"], quote["amount_minor"]);
    assert_eq!(ticket["discount_minor"], 500);
    assert_eq!(ticket["promo_code"], "FAMILY");
    assert_eq!(ticket["lines"][1]["ticket_type"], 2);
    assert_eq!(sold(&app, &organizer, &event).await, [2, 1, 0]);
    let mine = app.get("/api/v1/me/tickets", Some(&buyer)).await.json();
    assert_eq!(mine["items"][0]["lines"].as_array().unwrap().len(), 2);

    // The body of before (a quantity) still books the first listed type, at its price.
    let other = app.user("b@example.org", "attendee").await;
    let plain = app
        .post(
            &format!("/api/v1/events/{event}/tickets"),
            Some(&other),
            &json!({ "quantity": 1 }),
        )
        .await;
    assert_eq!(plain.status, StatusCode::CREATED, "{:?}", plain.json());
    assert_eq!(plain.json()["amount_minor"], 2000);
    assert_eq!(plain.json()["lines"][0]["ticket_type"], 1);
    common::assert_intact(&app.prasang);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_line_or_code_is_named_and_nothing_is_held() {
    let app = spawn().await;
    let (organizer, event) = family_event(&app).await;
    let buyer = app.user("a@example.org", "attendee").await;
    let tickets = format!("/api/v1/events/{event}/tickets");
    let quote = format!("/api/v1/events/{event}/quote");

    for path in [&tickets, &quote] {
        let too_many = app
            .post(path, Some(&buyer), &order(&[(1, 1), (2, 4)], None))
            .await;
        assert_problem(&too_many, StatusCode::CONFLICT, "ticket-type-sold-out");
        assert_eq!(
            (
                too_many.json()["line"].clone(),
                too_many.json()["ticket_type"].clone()
            ),
            (json!(1), json!(2))
        );
        let per_order = app.post(path, Some(&buyer), &order(&[(1, 3)], None)).await;
        assert_problem(&per_order, StatusCode::UNPROCESSABLE_ENTITY, "order-limit");
        assert_eq!(per_order.json()["line"], 0);
        let hidden = app.post(path, Some(&buyer), &order(&[(3, 1)], None)).await;
        assert_problem(&hidden, StatusCode::NOT_FOUND, "ticket-type-not-found");
        assert_eq!(hidden.json()["ticket_type"], 3);
        let unknown = app
            .post(path, Some(&buyer), &order(&[(1, 1)], Some("nope")))
            .await;
        assert_problem(
            &unknown,
            StatusCode::UNPROCESSABLE_ENTITY,
            "promo-code-unknown",
        );
        assert_eq!(unknown.json()["errors"][0]["field"], "promo_code");
        let used_up = app
            .post(
                path,
                Some(&buyer),
                &order(&[(1, 2), (2, 2)], Some("FAMILY")),
            )
            .await;
        assert_problem(&used_up, StatusCode::CONFLICT, "promo-code-used-up");
        assert_eq!(used_up.json()["errors"][0]["field"], "promo_code");
        let not_applicable = app
            .post(path, Some(&buyer), &order(&[(1, 1)], Some("BACKSTAGE")))
            .await;
        assert_problem(
            &not_applicable,
            StatusCode::UNPROCESSABLE_ENTITY,
            "promo-code-not-applicable",
        );
    }
    assert_eq!(
        sold(&app, &organizer, &event).await,
        [0, 0, 0],
        "nothing was held"
    );

    // The code that reveals VIP lets it be booked.
    let vip = app
        .post(&tickets, Some(&buyer), &order(&[(3, 1)], Some("backstage")))
        .await;
    assert_eq!(vip.status, StatusCode::CREATED, "{:?}", vip.json());
    assert_eq!(vip.json()["amount_minor"], 9000);
    let no_token = app.post(&quote, None, &order(&[(1, 1)], None)).await;
    assert_problem(&no_token, StatusCode::UNAUTHORIZED, "missing-token");
    app.stop().await;
}
