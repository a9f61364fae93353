//! Messages from organizers over HTTP: preview, send, list and report; the daily limit; bad
//! input, which is refused with a 4xx and stores nothing; and the organizer's web pages.

mod common;

use std::time::{Duration, Instant};

use bytes::Bytes;
use common::browser::{Browser, assert_html, text};
use common::{TestApp, assert_problem, spawn};
use http_body_util::Full;
use hyper::{Method, StatusCode};
use serde_json::{Value, json};

fn path(event: &str) -> String {
    format!("/api/v1/events/{event}/messages")
}

fn draft(subject: &str) -> Value {
    json!({ "subject": subject, "body": "Doors open at 19:00.\nSee you there.",
        "segment": { "kind": "all_holders" } })
}

/// The organizer's event with two holders; the organizer's token and the event's id.
async fn event_with_holders(app: &TestApp) -> (String, String) {
    let (organizer, ada, event) = app.organizer_attendee_event(50, 0).await;
    let bob = app.user("b@example.org", "attendee").await;
    for token in [&ada, &bob] {
        assert_eq!(app.book(&event, token).await.status, StatusCode::CREATED);
    }
    (organizer, event)
}

/// The event's messages as its organizer lists them.
async fn listed(app: &TestApp, organizer: &str, event: &str) -> Vec<Value> {
    let reply = app.get(&path(event), Some(organizer)).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.json());
    reply.json()["items"].as_array().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_organizer_previews_sends_lists_and_reads_the_report() {
    let app = spawn().await;
    let (organizer, event) = event_with_holders(&app).await;

    let preview = app
        .post(
            &format!("{}/preview", path(&event)),
            Some(&organizer),
            &json!({ "segment": { "kind": "all_holders" } }),
        )
        .await;
    assert_eq!(preview.status, StatusCode::OK, "{:?}", preview.json());
    assert_eq!(preview.json()["recipients"], 2);
    assert_eq!(preview.json()["segment"]["kind"], "all_holders");

    let sent = app
        .post(
            &path(&event),
            Some(&organizer),
            &draft("<b>Later doors</b>"),
        )
        .await;
    assert_eq!(sent.status, StatusCode::CREATED, "{:?}", sent.json());
    let message = sent.json();
    assert_eq!(
        message["subject"], "<b>Later doors</b>",
        "plain text, kept as written"
    );
    assert_eq!(message["segment"], json!({ "kind": "all_holders" }));
    let id = message["id"].as_u64().unwrap();
    let location = format!("{}/{id}", path(&event));
    assert_eq!(sent.header("location"), Some(location.as_str()));
    // As sent, but for `recipients`, which the dispatcher may have set meanwhile.
    let mut listed = listed(&app, &organizer, &event).await;
    assert_eq!(listed.len(), 1);
    listed[0]["recipients"] = message["recipients"].clone();
    assert_eq!(listed[0], message);

    // The dispatcher runs in the background: the report says so once it has.
    let deadline = Instant::now() + Duration::from_secs(10);
    let report = loop {
        let reply = app.get(&location, Some(&organizer)).await;
        assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.json());
        let report = reply.json();
        if report["message"]["recipients"] == 2 || Instant::now() > deadline {
            break report;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(report["message"]["recipients"], 2, "{report:?}");
    assert_eq!(report["message"]["id"], id);
    assert_eq!(report["unreached"], 0);
    let channels = report["channels"].as_array().unwrap();
    assert_eq!(channels.len(), 1, "{report:?}");
    assert_eq!(channels[0]["channel"], "email");
    let counted: u64 = ["sent", "failed", "pending", "skipped"]
        .iter()
        .map(|status| channels[0][status].as_u64().unwrap())
        .sum();
    assert_eq!(counted, 2, "one e-mail to each holder");

    let admin = app.admin("root@example.org").await;
    let by_admin = app.get(&location, Some(&admin)).await;
    assert_eq!(by_admin.status, StatusCode::OK);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_sends_at_most_five_messages_a_day() {
    let app = spawn().await;
    let (organizer, event) = event_with_holders(&app).await;
    for n in 0..5 {
        let reply = app
            .post(
                &path(&event),
                Some(&organizer),
                &draft(&format!("Update {n}")),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.json());
    }
    let refused = app
        .post(&path(&event), Some(&organizer), &draft("One too many"))
        .await;
    assert_problem(&refused, StatusCode::CONFLICT, "message-limit-reached");
    let subjects: Vec<Value> = listed(&app, &organizer, &event)
        .await
        .iter()
        .map(|m| m["subject"].clone())
        .collect();
    assert_eq!(subjects.len(), 5);
    assert_eq!(subjects[0], "Update 4", "newest first");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_refused_with_a_4xx_and_nothing_is_stored() {
    let app = spawn().await;
    let (organizer, event) = event_with_holders(&app).await;
    let attendee = app.access_token("a@example.org").await;
    let other = app.user("other@example.org", "organizer").await;
    let log_end = || app.prasang.log().end().unwrap();
    let end = log_end();
    let messages = path(&event);
    let subject_151 = "s".repeat(151);
    let body_5001 = "b".repeat(5_001);
    let refusals: Vec<(Value, &str)> = vec![
        (
            json!({ "body": "b", "segment": { "kind": "all_holders" } }),
            "invalid-body",
        ),
        (json!({ "subject": "s", "body": "b" }), "invalid-body"),
        (
            json!({ "subject": "s", "body": "b", "segment": { "kind": "everyone" } }),
            "invalid-body",
        ),
        (
            json!({ "subject": "s", "body": "b", "segment": "all_holders" }),
            "invalid-body",
        ),
        (
            json!({ "subject": "s", "body": "b", "segment": { "kind": "all_holders" }, "html": true }),
            "invalid-body",
        ),
        (
            json!({ "subject": "s", "body": "b", "segment": { "kind": "ticket_type" } }),
            "invalid-body",
        ),
        (
            json!({ "subject": "", "body": "b", "segment": { "kind": "all_holders" } }),
            "invalid-field",
        ),
        (
            json!({ "subject": subject_151, "body": "b", "segment": { "kind": "all_holders" } }),
            "invalid-field",
        ),
        (
            json!({ "subject": "a\nb", "body": "b", "segment": { "kind": "all_holders" } }),
            "invalid-field",
        ),
        (
            json!({ "subject": "s", "body": body_5001, "segment": { "kind": "all_holders" } }),
            "invalid-field",
        ),
        (
            json!({ "subject": "s", "body": "\u{202E}b", "segment": { "kind": "all_holders" } }),
            "invalid-field",
        ),
        (
            json!({ "subject": "s", "body": "b", "segment": { "kind": "ticket_type", "ticket_type": 9 } }),
            "invalid-field",
        ),
    ];
    for (body, slug) in &refusals {
        let reply = app.post(&messages, Some(&organizer), body).await;
        assert_problem(&reply, StatusCode::UNPROCESSABLE_ENTITY, slug);
    }
    let preview = format!("{messages}/preview");
    for segment in [
        json!({ "kind": "everyone" }),
        json!({ "kind": "ticket_type" }),
    ] {
        let reply = app
            .post(&preview, Some(&organizer), &json!({ "segment": segment }))
            .await;
        assert_problem(&reply, StatusCode::UNPROCESSABLE_ENTITY, "invalid-body");
    }
    let no_type = json!({ "segment": { "kind": "ticket_type", "ticket_type": 9 } });
    let reply = app.post(&preview, Some(&organizer), &no_type).await;
    assert_problem(&reply, StatusCode::UNPROCESSABLE_ENTITY, "invalid-field");
    assert_eq!(reply.json()["errors"][0]["field"], "segment");
    for (body, kind, status, slug) in [
        (
            &b"{\"subject\": "[..],
            Some("application/json"),
            StatusCode::BAD_REQUEST,
            "malformed-json",
        ),
        (
            &b"subject=s"[..],
            Some("application/x-www-form-urlencoded"),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
        ),
        (
            &b"{}"[..],
            None,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
        ),
    ] {
        let mut request = hyper::Request::builder()
            .method(Method::POST)
            .uri(&messages)
            .header("host", "localhost")
            .header("authorization", format!("Bearer {organizer}"));
        if let Some(kind) = kind {
            request = request.header("content-type", kind);
        }
        let request = request.body(Full::new(Bytes::from(body.to_vec()))).unwrap();
        assert_problem(&app.raw(request).await, status, slug);
    }
    assert_problem(
        &app.post(&messages, None, &draft("s")).await,
        StatusCode::UNAUTHORIZED,
        "missing-token",
    );
    for outsider in [&attendee, &other] {
        let reply = app.post(&messages, Some(outsider), &draft("s")).await;
        assert_problem(&reply, StatusCode::FORBIDDEN, "forbidden");
        let reply = app.get(&messages, Some(outsider)).await;
        assert_problem(&reply, StatusCode::FORBIDDEN, "forbidden");
    }
    let nowhere = path("01ARZ3NDEKTSV4RRFFQ69G5FAV");
    assert_problem(
        &app.post(&nowhere, Some(&organizer), &draft("s")).await,
        StatusCode::NOT_FOUND,
        "event-not-found",
    );
    assert_problem(
        &app.post(
            "/api/v1/events/nope/messages",
            Some(&organizer),
            &draft("s"),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "invalid-id",
    );
    assert_problem(
        &app.get(&format!("{messages}/abc"), Some(&organizer)).await,
        StatusCode::BAD_REQUEST,
        "bad-parameter",
    );
    assert_problem(
        &app.get(&format!("{messages}/999999"), Some(&organizer))
            .await,
        StatusCode::NOT_FOUND,
        "message-not-found",
    );
    assert_problem(
        &app.get(&format!("{messages}?limit=0"), Some(&organizer))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid-field",
    );

    assert_eq!(log_end(), end, "nothing logged");
    assert!(listed(&app, &organizer, &event).await.is_empty());
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_organizer_pages_preview_then_send_and_list_without_javascript() {
    let app = spawn().await;
    let (_, event) = event_with_holders(&app).await;
    let mut browser = Browser::logged_in(&app, "o@example.org").await;
    let page = format!("/organizer/events/{event}/messages");
    let event_page = text(&browser.get(&format!("/organizer/events/{event}")).await);
    assert!(event_page.contains(&format!("href=\"{page}\"")), "linked");
    let empty = browser.get(&page).await;
    assert_html(&empty);
    assert!(text(&empty).contains("No messages sent yet."));

    // A refused draft comes back with the error beside its field, and nothing is stored.
    let end = app.prasang.log().end().unwrap();
    let refused = browser
        .submit(
            &page,
            &[("subject", ""), ("body", "b"), ("segment", "all_holders")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text(&refused).contains("field-error"), "{}", text(&refused));
    assert_eq!(app.prasang.log().end().unwrap(), end);

    let subject = "<script>alert(1)</script> Doors";
    let draft = [
        ("subject", subject),
        ("body", "Doors open at 19:00.\nSee you."),
        ("segment", "all_holders"),
    ];
    let preview = browser.submit(&format!("{page}/preview"), &draft).await;
    assert_eq!(preview.status, StatusCode::OK);
    let shown = text(&preview);
    assert!(shown.contains("<strong>2</strong> people"), "{shown}");
    assert!(shown.contains("Send to 2 people"));
    assert!(!shown.contains("<script>alert"), "escaped");
    assert_eq!(
        app.prasang.log().end().unwrap(),
        end,
        "a preview sends nothing"
    );

    let sent = browser.submit(&page, &draft).await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", text(&sent));
    let location = sent.header("location").unwrap().to_owned();
    assert_eq!(location, format!("{page}?done=message-sent#sent"));
    let listed = text(&browser.get(&location).await);
    assert!(listed.contains("The message is sent"));
    assert!(listed.contains("&lt;script&gt;alert(1)&lt;/script&gt; Doors"));
    assert!(!listed.contains("<script>alert"));
    assert!(listed.contains("Everyone with a ticket"));

    let mut attendee = Browser::logged_in(&app, "a@example.org").await;
    assert_eq!(attendee.get(&page).await.status, StatusCode::FORBIDDEN);
    let posted = attendee.submit(&page, &draft).await;
    assert_eq!(posted.status, StatusCode::FORBIDDEN);
    app.stop().await;
}
