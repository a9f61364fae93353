//! An event's ticket types over HTTP: its organizer creates, edits, reorders, closes and deletes
//! them; everyone else is refused, and bad input names its field.

mod common;

use common::{TestApp, assert_problem, spawn};
use hyper::StatusCode;
use serde_json::{Value, json};

/// `/api/v1/events/{event}/ticket-types`, or one type's path under it.
fn types_path(event: &str, type_id: Option<&Value>) -> String {
    match type_id {
        Some(id) => format!("/api/v1/events/{event}/ticket-types/{id}"),
        None => format!("/api/v1/events/{event}/ticket-types"),
    }
}

/// Creates an event with `types` as the holder of `token`; returns its id.
async fn event_with_types(app: &TestApp, token: &str, types: Value) -> String {
    let starts = common::now_plus_days(2);
    let body = json!({ "title": "Fair", "location": "Park", "capacity": 100,
        "starts_at": starts, "ends_at": common::now_plus_days(3), "ticket_types": types });
    let reply = app.create_event(token, &body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.json());
    reply.json()["id"].as_str().unwrap().to_owned()
}

/// The names of `event`'s types in display order, as its organizer lists them.
async fn names(app: &TestApp, token: &str, event: &str) -> Vec<String> {
    let reply = app.get(&types_path(event, None), Some(token)).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.json());
    reply.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn organizers_create_edit_reorder_close_and_delete_types() {
    let app = spawn().await;
    let organizer = app.user("o@example.org", "organizer").await;
    let event = event_with_types(
        &app,
        &organizer,
        json!([{ "name": "Adult", "price_minor": 2000 },
               { "name": "Child", "price_minor": 1000, "quota": 20 }]),
    )
    .await;
    assert_eq!(names(&app, &organizer, &event).await, ["Adult", "Child"]);
    let listed = app.get(&format!("/api/v1/events/{event}"), None).await;
    assert_eq!(
        listed.json()["price_minor"],
        1000,
        "the event lists its lowest price"
    );

    let added = app
        .post(
            &types_path(&event, None),
            Some(&organizer),
            &json!({ "name": "VIP", "price_minor": 9000, "hidden": true, "quota": 5,
                     "sales_open_at": common::now_plus_days(1), "max_per_order": 2 }),
        )
        .await;
    assert_eq!(added.status, StatusCode::CREATED, "{:?}", added.json());
    let vip = added.json();
    assert_eq!(vip["id"], 3);
    assert_eq!(vip["availability"], "not_yet_open");
    assert_eq!(
        added.header("location"),
        Some(types_path(&event, Some(&vip["id"])).as_str())
    );

    let vip_path = types_path(&event, Some(&vip["id"]));
    let changed = app
        .patch(
            &vip_path,
            Some(&organizer),
            &json!({ "price_minor": 8500, "position": 1, "sales_open_at": null, "quota": null }),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{:?}", changed.json());
    assert_eq!(changed.json()["price_minor"], 8500);
    assert_eq!(
        changed.json()["quota"],
        Value::Null,
        "null removes the quota"
    );
    assert_eq!(changed.json()["availability"], "on_sale");
    assert_eq!(
        names(&app, &organizer, &event).await,
        ["VIP", "Adult", "Child"]
    );

    let closed = app
        .patch(&vip_path, Some(&organizer), &json!({ "closed": true }))
        .await;
    assert_eq!(closed.json()["availability"], "closed");
    let reopened = app
        .patch(&vip_path, Some(&organizer), &json!({ "closed": false }))
        .await;
    assert_eq!(reopened.json()["availability"], "on_sale");

    let deleted = app.delete(&vip_path, Some(&organizer)).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(names(&app, &organizer, &event).await, ["Adult", "Child"]);
    let again = app.delete(&vip_path, Some(&organizer)).await;
    assert_problem(&again, StatusCode::NOT_FOUND, "ticket-type-not-found");

    // A type added later never takes a deleted type's number.
    let next = app
        .post(
            &types_path(&event, None),
            Some(&organizer),
            &json!({ "name": "Senior" }),
        )
        .await;
    assert_eq!(next.json()["id"], 4);
    common::assert_intact(&app.prasang);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_organizer_or_an_admin_manages_types() {
    let app = spawn().await;
    let (organizer, attendee, event) = app.organizer_attendee_event(10, 1500).await;
    let other = app.user("other@example.org", "organizer").await;
    let admin = app.admin("root@example.org").await;
    let path = types_path(&event, None);
    let first = types_path(&event, Some(&json!(1)));
    let new_type = json!({ "name": "Student", "price_minor": 500 });

    // The event made without types sells one "Admission" type at its price.
    let listed = app.get(&path, Some(&organizer)).await.json();
    assert_eq!(listed["items"][0]["name"], "Admission");
    assert_eq!(listed["items"][0]["price_minor"], 1500);

    for token in [&attendee, &other] {
        let add = app.post(&path, Some(token), &new_type).await;
        assert_problem(&add, StatusCode::FORBIDDEN, "forbidden");
        let change = app
            .patch(&first, Some(token), &json!({ "price_minor": 1 }))
            .await;
        assert_problem(&change, StatusCode::FORBIDDEN, "forbidden");
        assert_problem(
            &app.delete(&first, Some(token)).await,
            StatusCode::FORBIDDEN,
            "forbidden",
        );
    }
    let forged = app.get(&path, Some("not-a-token")).await;
    assert_eq!(
        forged.status,
        StatusCode::UNAUTHORIZED,
        "a bad token is refused"
    );
    let unknown = types_path("01ARZ3NDEKTSV4RRFFQ69G5FAV", None);
    assert_problem(
        &app.get(&unknown, Some(&organizer)).await,
        StatusCode::NOT_FOUND,
        "event-not-found",
    );

    let by_admin = app.post(&path, Some(&admin), &new_type).await;
    assert_eq!(
        by_admin.status,
        StatusCode::CREATED,
        "{:?}",
        by_admin.json()
    );
    assert_eq!(
        names(&app, &organizer, &event).await,
        ["Admission", "Student"]
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_name_the_field_or_the_conflict() {
    let app = spawn().await;
    let (organizer, event) = app.organizer_with_event("o@example.org", 10, 0).await;
    let path = types_path(&event, None);
    let admission = types_path(&event, Some(&json!(1)));

    let duplicate = app
        .post(&path, Some(&organizer), &json!({ "name": "admission" }))
        .await;
    assert_problem(
        &duplicate,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid-field",
    );
    assert_eq!(duplicate.json()["errors"][0]["field"], "name");
    let long = "x".repeat(prasang_core::limits::TICKET_TYPE_NAME.max as usize + 1);
    for (body, field) in [
        (json!({ "name": long }), "name"),
        (
            json!({ "name": "Group", "min_per_order": 3, "max_per_order": 2 }),
            "max_per_order",
        ),
        (
            json!({ "name": "Late", "sales_open_at": common::now_plus_days(2),
                 "sales_close_at": common::now_plus_days(1) }),
            "sales_close_at",
        ),
        (json!({ "name": "Big", "quota": 0 }), "quota"),
    ] {
        let reply = app.post(&path, Some(&organizer), &body).await;
        assert_problem(&reply, StatusCode::UNPROCESSABLE_ENTITY, "invalid-field");
        assert_eq!(reply.json()["errors"][0]["field"], field, "{body}");
    }
    let moved = app
        .patch(&admission, Some(&organizer), &json!({ "position": 2 }))
        .await;
    assert_eq!(moved.json()["errors"][0]["field"], "position");
    let unknown_field = app
        .patch(&admission, Some(&organizer), &json!({ "colour": "red" }))
        .await;
    assert_problem(
        &unknown_field,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid-body",
    );

    let last = app.delete(&admission, Some(&organizer)).await;
    assert_problem(&last, StatusCode::CONFLICT, "last-ticket-type");
    let not_a_number = types_path(&event, Some(&json!("first")));
    let reply = app.delete(&not_a_number, Some(&organizer)).await;
    assert_problem(&reply, StatusCode::BAD_REQUEST, "bad-parameter");

    // A cancelled event's types no longer change.
    app.cancel(&format!("/api/v1/events/{event}"), &organizer)
        .await;
    let after = app
        .post(&path, Some(&organizer), &json!({ "name": "Encore" }))
        .await;
    assert_problem(&after, StatusCode::CONFLICT, "event-cancelled");
    app.stop().await;
}

/// A type with tickets is closed, not deleted, and its quota stays at or above what it sold.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_type_that_sold_seats_is_closed_not_deleted() {
    let app = spawn().await;
    let (organizer, attendee, event) = app.organizer_attendee_event(10, 0).await;
    let path = types_path(&event, None);
    let admission = types_path(&event, Some(&json!(1)));
    let second = app
        .post(&path, Some(&organizer), &json!({ "name": "Later" }))
        .await;
    assert_eq!(second.status, StatusCode::CREATED);
    assert_eq!(
        app.book(&event, &attendee).await.status,
        StatusCode::CREATED
    );
    let another = app.user("b@example.org", "attendee").await;
    assert_eq!(app.book(&event, &another).await.status, StatusCode::CREATED);
    let sold = app.delete(&admission, Some(&organizer)).await;
    assert_problem(&sold, StatusCode::CONFLICT, "ticket-type-has-tickets");
    let below = app
        .patch(&admission, Some(&organizer), &json!({ "quota": 1 }))
        .await;
    assert_problem(&below, StatusCode::CONFLICT, "quota-below-sold");
    let enough = app
        .patch(
            &admission,
            Some(&organizer),
            &json!({ "quota": 2, "closed": true }),
        )
        .await;
    assert_eq!(
        enough.json()["availability"],
        "closed",
        "{:?}",
        enough.json()
    );

    common::assert_intact(&app.prasang);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn buyers_see_hidden_types_only_with_a_code_that_reveals_them() {
    let app = spawn().await;
    let (organizer, attendee, event) = app.organizer_attendee_event(10, 1500).await;
    let path = types_path(&event, None);
    let vip = app
        .post(
            &path,
            Some(&organizer),
            &json!({ "name": "VIP", "price_minor": 9000, "hidden": true }),
        )
        .await;
    assert_eq!(vip.status, StatusCode::CREATED);
    let codes = format!("/api/v1/events/{event}/promo-codes");
    for body in [
        json!({ "code": "BACKSTAGE", "discount": "none", "reveals": [2] }),
        json!({ "code": "TENOFF", "discount": { "percent": 10 } }),
    ] {
        assert_eq!(
            app.post(&codes, Some(&organizer), &body).await.status,
            StatusCode::CREATED
        );
    }
    assert_eq!(names(&app, &organizer, &event).await, ["Admission", "VIP"]);
    for token in [None, Some(attendee.as_str())] {
        let listed = app.get(&path, token).await;
        assert_eq!(listed.status, StatusCode::OK, "{:?}", listed.json());
        assert_eq!(
            listed.json()["items"].as_array().unwrap().len(),
            1,
            "no hidden type"
        );
        let other_code = app.get(&format!("{path}?code=tenoff"), token).await.json();
        assert_eq!(other_code["items"].as_array().unwrap().len(), 1);
        let revealed = app
            .get(&format!("{path}?code=backstage"), token)
            .await
            .json();
        assert_eq!(revealed["items"][1]["name"], "VIP");
    }
    let unknown = app.get(&format!("{path}?code=NOPE"), None).await;
    assert_problem(
        &unknown,
        StatusCode::UNPROCESSABLE_ENTITY,
        "promo-code-unknown",
    );
    assert_eq!(unknown.json()["errors"][0]["field"], "promo_code");
    let deactivate = json!({ "active": false });
    app.patch(&format!("{codes}/BACKSTAGE"), Some(&organizer), &deactivate)
        .await;
    let inactive = app.get(&format!("{path}?code=backstage"), None).await;
    assert_problem(&inactive, StatusCode::CONFLICT, "promo-code-inactive");
    app.stop().await;
}
