//! An event's promo codes over HTTP: its organizer creates, changes, deactivates and lists them
//! and sees their uses; everyone else is refused, and bad input names its field.

mod common;

use common::{assert_problem, spawn};
use hyper::StatusCode;
use prasang_core::tickets::{BookingLine, BookingRequest};
use serde_json::{Value, json};

fn codes_path(event: &str) -> String {
    format!("/api/v1/events/{event}/promo-codes")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn organizers_create_change_deactivate_and_list_codes_and_see_their_uses() {
    let app = spawn().await;
    let (organizer, attendee, event) = app.organizer_attendee_event(10, 2000).await;
    let path = codes_path(&event);
    let created = app
        .post(
            &path,
            Some(&organizer),
            &json!({ "code": "early-bird", "discount": { "percent": 20 }, "max_uses": 10,
                     "applies_to": [1], "valid_until": common::now_plus_days(1) }),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.json());
    let code = created.json();
    assert_eq!(code["code"], "EARLY-BIRD", "codes are kept in upper case");
    assert_eq!(code["discount"], json!({ "percent": 20 }));
    assert_eq!(code["active"], true);
    let location = created.header("location").unwrap().to_owned();
    assert_eq!(location, format!("{path}/EARLY-BIRD"));
    let by_lower_case = app
        .get(&format!("{path}/early-bird"), Some(&organizer))
        .await;
    assert_eq!(by_lower_case.status, StatusCode::OK);
    assert_eq!(by_lower_case.json()["max_uses"], 10);

    let taken = app
        .post(
            &path,
            Some(&organizer),
            &json!({ "code": "Early-Bird", "discount": "free" }),
        )
        .await;
    assert_problem(&taken, StatusCode::CONFLICT, "promo-code-taken");
    let reveal_only = app
        .post(
            &path,
            Some(&organizer),
            &json!({ "code": "VIP-ONLY", "discount": "none" }),
        )
        .await;
    assert_eq!(reveal_only.status, StatusCode::CREATED);
    let listed = app.get(&path, Some(&organizer)).await.json();
    let names: Vec<&str> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|code| code["code"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["EARLY-BIRD", "VIP-ONLY"]);

    // A booking with the code (through the core: the REST booking has its own tests) is a use.
    let actor = app.prasang.auth().verify(&attendee).unwrap();
    let request = BookingRequest {
        lines: vec![BookingLine {
            ticket_type: 1,
            quantity: 1,
        }],
        promo_code: Some("early-BIRD".into()),
        ..BookingRequest::seats(event.parse().unwrap(), 0)
    };
    let ticket = app.prasang.tickets().book(&actor, &request).unwrap().ticket;
    assert_eq!(ticket.amount_minor, 1600);
    let uses = app.get(&format!("{location}/uses"), Some(&organizer)).await;
    assert_eq!(uses.status, StatusCode::OK);
    let uses = uses.json()["items"].clone();
    assert_eq!(uses[0]["ticket"], ticket.id.to_string());
    assert_eq!(
        (uses[0]["seats"].clone(), uses[0]["discount_minor"].clone()),
        (json!(1), json!(400))
    );
    assert_eq!(app.get(&location, Some(&organizer)).await.json()["used"], 1);

    let changed = app
        .patch(
            &location,
            Some(&organizer),
            &json!({ "active": false, "max_uses": null, "discount": { "per_seat": 500 } }),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{:?}", changed.json());
    let changed = changed.json();
    assert_eq!(changed["active"], false);
    assert_eq!(changed["max_uses"], Value::Null, "null removes the limit");
    assert_eq!(changed["discount"], json!({ "per_seat": 500 }));
    let below = app
        .patch(&location, Some(&organizer), &json!({ "max_uses": 0 }))
        .await;
    assert_eq!(below.json()["errors"][0]["field"], "max_uses");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn codes_are_the_organizers_and_bad_ones_name_their_field() {
    let app = spawn().await;
    let (organizer, attendee, event) = app.organizer_attendee_event(10, 2000).await;
    let other = app.user("other@example.org", "organizer").await;
    let path = codes_path(&event);
    let new = json!({ "code": "SPRING", "discount": "free" });
    assert_eq!(
        app.post(&path, Some(&organizer), &new).await.status,
        StatusCode::CREATED
    );
    let code = format!("{path}/SPRING");
    for token in [&attendee, &other] {
        assert_problem(
            &app.get(&path, Some(token)).await,
            StatusCode::FORBIDDEN,
            "forbidden",
        );
        assert_problem(
            &app.get(&code, Some(token)).await,
            StatusCode::FORBIDDEN,
            "forbidden",
        );
        let uses = app.get(&format!("{code}/uses"), Some(token)).await;
        assert_problem(&uses, StatusCode::FORBIDDEN, "forbidden");
        let made = app
            .post(
                &path,
                Some(token),
                &json!({ "code": "MINE", "discount": "free" }),
            )
            .await;
        assert_problem(&made, StatusCode::FORBIDDEN, "forbidden");
        let changed = app
            .patch(&code, Some(token), &json!({ "active": false }))
            .await;
        assert_problem(&changed, StatusCode::FORBIDDEN, "forbidden");
    }
    assert_problem(
        &app.get(&path, None).await,
        StatusCode::UNAUTHORIZED,
        "missing-token",
    );
    for missing in ["AUTUMN", "no", "not%20a%20code"] {
        let reply = app
            .get(&format!("{path}/{missing}"), Some(&organizer))
            .await;
        assert_problem(&reply, StatusCode::NOT_FOUND, "promo-code-not-found");
    }
    for (body, field) in [
        (json!({ "code": "has space", "discount": "free" }), "code"),
        (
            json!({ "code": "ZERO", "discount": { "percent": 0 } }),
            "discount",
        ),
        (
            json!({ "code": "WHICH", "discount": "free", "applies_to": [9] }),
            "applies_to",
        ),
        (
            json!({ "code": "HIDDEN", "discount": "none", "reveals": [9] }),
            "reveals",
        ),
        (
            json!({ "code": "BACKWARDS", "discount": "free",
                 "valid_from": common::now_plus_days(2), "valid_until": common::now_plus_days(1) }),
            "valid_until",
        ),
        (
            json!({ "code": "MANY", "discount": "free", "max_uses": 0 }),
            "max_uses",
        ),
    ] {
        let reply = app.post(&path, Some(&organizer), &body).await;
        assert_problem(&reply, StatusCode::UNPROCESSABLE_ENTITY, "invalid-field");
        assert_eq!(reply.json()["errors"][0]["field"], field, "{body}");
    }
    let unknown_shape = app
        .post(
            &path,
            Some(&organizer),
            &json!({ "code": "ODD", "discount": "half" }),
        )
        .await;
    assert_problem(
        &unknown_shape,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid-body",
    );
    app.stop().await;
}
