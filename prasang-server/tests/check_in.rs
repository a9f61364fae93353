//! Check-in at the door over HTTP: the published admission keys, a ticket's seat codes, scans
//! and their answers (admitted, already admitted, revoked, wrong event, invalid), undo, door
//! staff who may scan their event only (through REST and the web UI), offline gates' sync and
//! upload with a conflict, and bad input that is refused with a 4xx and stores nothing.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};

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
    reply.json()["seats"].as_array().unwrap().clone()
}

/// An event of `token`'s starting in a day, where a person may book up to 4 seats; its id.
async fn new_event(app: &TestApp, token: &str, title: &str) -> String {
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
    let event = new_event(app, &organizer, "Concert").await;
    (organizer, attendee, event)
}

/// Books `seats` seats of `event` for the holder of `token`; returns the ticket's id.
async fn book(app: &TestApp, event: &str, token: &str, seats: u32) -> String {
    app.book_seats(event, token, seats).await
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
    // Two more tickets: eight seats' codes on the page, which stays under the UI's 50 KB.
    book(&app, &event, &attendee, 2).await;
    let other = new_event(&app, &app.access_token("o@example.org").await, "Matinee").await;
    book(&app, &other, &attendee, 4).await;
    let page = text(&browser.get("/me/tickets").await);
    assert_eq!(page.matches("<svg").count(), 8);
    assert!(page.len() < 50_000, "{} bytes", page.len());
    let mut stranger = Browser::new(&app);
    app.register("s@example.org", "attendee").await;
    stranger.log_in("s@example.org").await;
    let refused = stranger.get(&format!("/tickets/{ticket}/print")).await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
}

/// `POST /api/v1/events/{event}/check-ins` of `code` at gate `gate` with scan id `scan`.
async fn scan(
    app: &TestApp,
    event: &str,
    token: &str,
    code: &str,
    gate: &str,
    scan: &str,
) -> prasang_http_client::Reply {
    app.post(
        &format!("/api/v1/events/{event}/check-ins"),
        Some(token),
        &json!({ "code": code, "gate": gate, "scan_id": scan }),
    )
    .await
}

/// The event's counts as the holder of `token` sees them.
async fn summary(app: &TestApp, event: &str, token: &str) -> Value {
    let reply = app
        .get(
            &format!("/api/v1/events/{event}/check-ins/summary"),
            Some(token),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.json());
    reply.json()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scan_admits_once_and_every_refusal_has_its_own_code() {
    let app = spawn().await;
    let (organizer, attendee, event) = setup(&app).await;
    let ticket = book(&app, &event, &attendee, 2).await;
    let seats = codes(&app, &ticket, &attendee).await;
    let first = seats[0]["code"].as_str().unwrap();

    let admitted = scan(&app, &event, &organizer, first, "North", "scan-1").await;
    assert_eq!(admitted.status, StatusCode::OK, "{:?}", admitted.json());
    let admitted = admitted.json();
    assert_eq!(admitted["name"], "a");
    assert_eq!(admitted["ticket_type_name"], "Admission");
    assert_eq!(
        (admitted["seat"].as_u64(), admitted["of"].as_u64()),
        (Some(1), Some(2))
    );
    assert_eq!(admitted["gate"], "North");
    assert_eq!(admitted["replayed"], false);
    // The same scan again (a lost answer): the same answer, nothing counted twice.
    let retried = scan(&app, &event, &organizer, first, "North", "scan-1").await;
    assert_eq!(retried.status, StatusCode::OK);
    assert_eq!(retried.json()["replayed"], true);
    assert_eq!(retried.json()["at"], admitted["at"]);
    // Another scan of the same seat: already admitted, saying when and where.
    let again = scan(&app, &event, &organizer, first, "South", "scan-2").await;
    assert_problem(&again, StatusCode::CONFLICT, "admission-already-admitted");
    assert_eq!(again.json()["first"]["gate"], "North");
    assert_eq!(again.json()["first"]["at"], admitted["at"]);
    let counts = summary(&app, &event, &organizer).await;
    assert_eq!(
        (counts["admitted"].as_u64(), counts["expected"].as_u64()),
        (Some(1), Some(2))
    );

    // Another event's genuine code.
    let other = new_event(&app, &organizer, "Other night").await;
    let other_ticket = book(&app, &other, &attendee, 1).await;
    let other_code = codes(&app, &other_ticket, &attendee).await[0]["code"].clone();
    let wrong = scan(
        &app,
        &event,
        &organizer,
        other_code.as_str().unwrap(),
        "North",
        "scan-3",
    )
    .await;
    assert_problem(
        &wrong,
        StatusCode::UNPROCESSABLE_ENTITY,
        "admission-wrong-event",
    );
    // A cancelled ticket's code.
    let second = seats[1]["code"].as_str().unwrap().to_owned();
    app.cancel(&format!("/api/v1/tickets/{ticket}"), &attendee)
        .await;
    let revoked = scan(&app, &event, &organizer, &second, "North", "scan-4").await;
    assert_problem(&revoked, StatusCode::CONFLICT, "admission-revoked");
    assert_eq!(revoked.json()["reason"], "cancelled");
    // A forged one: a character changed.
    let mut forged = second.clone().into_bytes();
    forged[40] = if forged[40] == b'A' { b'B' } else { b'A' };
    let forged = String::from_utf8(forged).unwrap();
    let invalid = scan(&app, &event, &organizer, &forged, "North", "scan-5").await;
    assert_problem(
        &invalid,
        StatusCode::UNPROCESSABLE_ENTITY,
        "admission-code-invalid",
    );
    assert_eq!(invalid.json()["reason"], "bad_signature");

    let recent = app
        .get(
            &format!("/api/v1/events/{event}/check-ins?limit=10"),
            Some(&organizer),
        )
        .await
        .json();
    let items = recent["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "only the one admission: {recent}");
    assert_eq!(items[0]["admitted"]["seat"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_organizer_undoes_a_wrong_admission_and_the_seat_comes_in_again() {
    let app = spawn().await;
    let (organizer, attendee, event) = setup(&app).await;
    let ticket = book(&app, &event, &attendee, 1).await;
    let code = codes(&app, &ticket, &attendee).await[0]["code"].clone();
    let code = code.as_str().unwrap();
    assert_eq!(
        scan(&app, &event, &organizer, code, "A", "s1").await.status,
        StatusCode::OK
    );
    let undo = format!("/api/v1/events/{event}/check-ins/{ticket}/1");
    assert_eq!(
        app.delete(&undo, Some(&organizer)).await.status,
        StatusCode::NO_CONTENT
    );
    assert_problem(
        &app.delete(&undo, Some(&organizer)).await,
        StatusCode::CONFLICT,
        "admission-not-admitted",
    );
    assert_eq!(summary(&app, &event, &organizer).await["admitted"], 0);
    assert_eq!(
        scan(&app, &event, &organizer, code, "A", "s2").await.status,
        StatusCode::OK
    );
    assert_eq!(summary(&app, &event, &organizer).await["admitted"], 1);
    let bad_seat = format!("/api/v1/events/{event}/check-ins/{ticket}/first");
    assert_problem(
        &app.delete(&bad_seat, Some(&organizer)).await,
        StatusCode::BAD_REQUEST,
        "bad-parameter",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn door_staff_scan_at_their_event_only_and_see_nothing_else() {
    let app = spawn().await;
    let (organizer, attendee, event) = setup(&app).await;
    let other = new_event(&app, &organizer, "Other night").await;
    let staff = app.user("door@example.org", "attendee").await;
    let staff_id = app.me(&staff).await.json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let ticket = book(&app, &event, &attendee, 2).await;
    let other_ticket = book(&app, &other, &attendee, 1).await;
    let seats = codes(&app, &ticket, &attendee).await;
    let other_code = codes(&app, &other_ticket, &attendee).await[0]["code"].clone();
    let code = |n: usize| seats[n]["code"].as_str().unwrap().to_owned();

    // Not staff yet: refused.
    assert_problem(
        &scan(&app, &event, &staff, &code(0), "D", "x1").await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    let staff_path = format!("/api/v1/events/{event}/door-staff/{staff_id}");
    // Only the organizer assigns staff.
    assert_problem(
        &app.put(&staff_path, Some(&attendee), &json!({})).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    let added = app.put(&staff_path, Some(&organizer), &json!({})).await;
    assert_eq!(added.status, StatusCode::OK, "{:?}", added.json());
    assert_eq!(added.json()["email"], "door@example.org");
    let listed = app
        .get(
            &format!("/api/v1/events/{event}/door-staff"),
            Some(&organizer),
        )
        .await;
    assert_eq!(listed.json()["items"][0]["user"], staff_id.as_str());

    // Staff scan here and see the counts and the last scans...
    assert_eq!(
        scan(&app, &event, &staff, &code(0), "D", "x2").await.status,
        StatusCode::OK
    );
    assert_eq!(summary(&app, &event, &staff).await["admitted"], 1);
    let recent = format!("/api/v1/events/{event}/check-ins");
    assert_eq!(app.status(&recent, Some(&staff)).await, StatusCode::OK);
    let sync = format!("/api/v1/events/{event}/check-in-sync?cursor=0");
    assert_eq!(app.status(&sync, Some(&staff)).await, StatusCode::OK);
    // ...and nothing else: not another event, not undo, staff, conflicts or the attendees.
    let elsewhere = scan(
        &app,
        &other,
        &staff,
        other_code.as_str().unwrap(),
        "D",
        "x3",
    )
    .await;
    assert_problem(&elsewhere, StatusCode::FORBIDDEN, "forbidden");
    for path in [
        format!("/api/v1/events/{other}/check-ins/summary"),
        format!("/api/v1/events/{other}/check-ins"),
        format!("/api/v1/events/{other}/check-in-sync"),
        format!("/api/v1/events/{event}/door-staff"),
        format!("/api/v1/events/{event}/check-in-conflicts"),
        format!("/api/v1/events/{event}/tickets"),
    ] {
        assert_eq!(
            app.status(&path, Some(&staff)).await,
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
    let undo = format!("/api/v1/events/{event}/check-ins/{ticket}/1");
    assert_problem(
        &app.delete(&undo, Some(&staff)).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    assert_problem(
        &app.put(
            &format!("/api/v1/events/{event}/door-staff/{staff_id}"),
            Some(&staff),
            &json!({}),
        )
        .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );

    // Through the web UI: their door page, not another event's, not the organizer's pages.
    let mut browser = Browser::logged_in(&app, "door@example.org").await;
    let mine = browser.get("/me/tickets").await;
    assert!(
        text(&mine).contains(&format!("/events/{event}/door")),
        "My tickets links the door"
    );
    let door = browser.get(&format!("/events/{event}/door")).await;
    assert_eq!(door.status, StatusCode::OK);
    let answer = door_scan(&mut browser, &event, &code(1)).await;
    assert!(answer.contains("<h2>Admitted</h2>"), "{answer}");
    assert!(answer.contains("seat 2 of 2"), "{answer}");
    assert_eq!(
        browser.get(&format!("/events/{other}/door")).await.status,
        StatusCode::FORBIDDEN
    );
    let refused = door_post(&mut browser, &other, other_code.as_str().unwrap()).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    for page in [
        format!("/organizer/events/{event}/check-in"),
        format!("/organizer/events/{event}"),
        "/organizer".to_owned(),
    ] {
        assert_eq!(
            browser.get(&page).await.status,
            StatusCode::FORBIDDEN,
            "{page}"
        );
    }
    let undo_form = browser
        .submit(
            &format!("/organizer/events/{event}/check-in/undo"),
            &[("ticket", &ticket), ("seat", "1")],
        )
        .await;
    assert_eq!(undo_form.status, StatusCode::FORBIDDEN);
    assert_eq!(
        summary(&app, &event, &organizer).await["admitted"],
        2,
        "nothing undone"
    );

    // Removed from the staff: refused again.
    assert_eq!(
        app.delete(&staff_path, Some(&organizer)).await.status,
        StatusCode::NO_CONTENT
    );
    assert_problem(
        &app.delete(&staff_path, Some(&organizer)).await,
        StatusCode::NOT_FOUND,
        "user-not-found",
    );
    assert_eq!(
        browser.get(&format!("/events/{event}/door")).await.status,
        StatusCode::FORBIDDEN
    );
}

/// Posts `code` on the door page of `event` as a browser would (its form's fields).
async fn door_post(
    browser: &mut Browser<'_>,
    event: &str,
    code: &str,
) -> prasang_http_client::Reply {
    let token = browser.token("/login").await;
    // Each post a new scan, as each rendering of the form carries a fresh id.
    static SCANS: AtomicUsize = AtomicUsize::new(0);
    let scan_id = format!("web-{}", SCANS.fetch_add(1, Ordering::Relaxed));
    browser
        .post(
            &format!("/events/{event}/door"),
            &[
                ("csrf", &token),
                ("code", code),
                ("gate", "Door"),
                ("scan_id", &scan_id),
            ],
            Some("http://localhost"),
        )
        .await
}

/// The door page's answer to `code` (the page must answer 200).
async fn door_scan(browser: &mut Browser<'_>, event: &str, code: &str) -> String {
    let reply = door_post(browser, event, code).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", text(&reply));
    let page = text(&reply);
    let start = page.find("<section class=\"answer").expect("an answer");
    let end = page[start..].find("</section>").expect("its end") + start;
    assert!(
        page.contains(r#"value="" autofocus"#),
        "the field is empty and focused again"
    );
    page[start..end].to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_door_page_answers_in_words_and_the_organizer_page_undoes_and_adds_staff() {
    let app = spawn().await;
    let (organizer, attendee, event) = setup(&app).await;
    let ticket = book(&app, &event, &attendee, 2).await;
    let seats = codes(&app, &ticket, &attendee).await;
    let code = |n: usize| seats[n]["code"].as_str().unwrap().to_owned();
    let mut browser = Browser::logged_in(&app, "o@example.org").await;
    let door = text(&browser.get(&format!("/events/{event}/door")).await);
    assert!(
        door.contains("0</strong>admitted") && door.contains("2</strong>expected"),
        "{door}"
    );
    let answer = door_scan(&mut browser, &event, &code(0)).await;
    assert!(
        answer.contains("answer admitted") && answer.contains("<h2>Admitted</h2>"),
        "{answer}"
    );
    assert!(
        answer.contains(">a<") && answer.contains("Admission · seat 1 of 2"),
        "{answer}"
    );
    let answer = door_scan(&mut browser, &event, &code(0)).await;
    assert!(
        answer.contains("answer warning") && answer.contains("Already admitted at"),
        "{answer}"
    );
    assert!(answer.contains("by gate Door"), "{answer}");
    let answer = door_scan(&mut browser, &event, "NOT-A-CODE").await;
    assert!(
        answer.contains("answer refused") && answer.contains("Invalid code"),
        "{answer}"
    );
    let other = new_event(&app, &organizer, "Other night").await;
    let other_ticket = book(&app, &other, &attendee, 1).await;
    let other_code = codes(&app, &other_ticket, &attendee).await[0]["code"].clone();
    let answer = door_scan(&mut browser, &event, other_code.as_str().unwrap()).await;
    assert!(answer.contains("Wrong event"), "{answer}");
    app.cancel(&format!("/api/v1/tickets/{other_ticket}"), &attendee)
        .await;
    let answer = door_scan(&mut browser, &other, other_code.as_str().unwrap()).await;
    assert!(answer.contains("Revoked"), "{answer}");
    let page = text(&browser.get(&format!("/events/{event}/door")).await);
    assert!(page.contains("1</strong>admitted"), "the counts: {page}");

    // The organizer's page: the admission with its undo, and staff added by e-mail.
    let path = format!("/organizer/events/{event}/check-in");
    let check_in = text(&browser.get(&path).await);
    assert!(
        check_in.contains("Undo the admission of a, seat 1"),
        "{check_in}"
    );
    let undone = browser
        .submit(
            &format!("{path}/undo"),
            &[("ticket", &ticket), ("seat", "1")],
        )
        .await;
    assert_eq!(undone.status, StatusCode::SEE_OTHER);
    assert_eq!(summary(&app, &event, &organizer).await["admitted"], 0);
    let unknown = browser
        .submit(&format!("{path}/staff"), &[("email", "nobody@example.org")])
        .await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        text(&unknown).contains("field-error"),
        "said beside the field"
    );
    app.register("door@example.org", "attendee").await;
    let added = browser
        .submit(&format!("{path}/staff"), &[("email", "door@example.org")])
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", text(&added));
    let staff = app
        .get(
            &format!("/api/v1/events/{event}/door-staff"),
            Some(&organizer),
        )
        .await;
    assert_eq!(staff.json()["items"][0]["email"], "door@example.org");
    let page = text(&browser.get(&path).await);
    assert!(page.contains("Remove door from the door staff"), "{page}");
}

/// `POST /api/v1/events/{event}/check-in-uploads` of `scans` (scan id, code) from `gate`,
/// scanned a minute ago by the gate's clock.
async fn upload(
    app: &TestApp,
    event: &str,
    token: &str,
    gate: &str,
    scans: &[(&str, &str)],
) -> Value {
    let at = app.prasang.now().minus(std::time::Duration::from_secs(60));
    let scans: Vec<Value> = scans
        .iter()
        .map(|(id, code)| json!({ "scan_id": id, "code": code, "scanned_at": at }))
        .collect();
    let reply = app
        .post(
            &format!("/api/v1/events/{event}/check-in-uploads"),
            Some(token),
            &json!({ "gate": gate, "scans": scans }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.json());
    reply.json()
}

/// `GET /api/v1/events/{event}/check-in-sync?cursor=`
async fn sync(app: &TestApp, event: &str, token: &str, cursor: u64) -> Value {
    let path = format!("/api/v1/events/{event}/check-in-sync?cursor={cursor}");
    let reply = app.get(&path, Some(token)).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.json());
    reply.json()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_offline_gate_syncs_uploads_and_a_seat_let_in_twice_is_a_conflict() {
    let app = spawn().await;
    let (organizer, attendee, event) = setup(&app).await;
    let ticket = book(&app, &event, &attendee, 2).await;
    let cancelled = book(&app, &event, &attendee, 1).await;
    let seats = codes(&app, &ticket, &attendee).await;
    let code = |n: usize| seats[n]["code"].as_str().unwrap().to_owned();
    app.cancel(&format!("/api/v1/tickets/{cancelled}"), &attendee)
        .await;

    // The gate's first sync: the keys, the cancelled ticket, nobody in yet.
    let first = sync(&app, &event, &organizer, 0).await;
    assert_eq!(
        first["keys"],
        app.get("/api/v1/admission-keys", None).await.json()["keys"]
    );
    assert_eq!(first["revoked"][0]["ticket"], cancelled.as_str());
    assert_eq!(first["revoked"][0]["reason"], "cancelled");
    assert_eq!(first["admissions"], json!([]));
    let cursor = first["next_cursor"].as_u64().unwrap();

    // Online, North admits seat 1; offline, South let seat 1 and seat 2 in as well.
    let online = scan(&app, &event, &organizer, &code(0), "North", "n-1").await;
    assert_eq!(online.status, StatusCode::OK);
    let scans = [
        ("s-1", code(0)),
        ("s-2", code(1)),
        ("s-3", "GARBAGE".to_owned()),
    ];
    let scans: Vec<(&str, &str)> = scans.iter().map(|(id, c)| (*id, c.as_str())).collect();
    let answer = upload(&app, &event, &organizer, "South", &scans).await;
    let outcomes = answer["outcomes"].as_array().unwrap();
    let kinds: Vec<&str> = outcomes
        .iter()
        .map(|o| o["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["conflict", "admitted", "refused"], "{answer}");
    let conflict = &outcomes[0]["conflict"];
    assert_eq!(conflict["reason"]["kind"], "already_admitted");
    assert_eq!(conflict["first"]["gate"], "North");
    assert_eq!(conflict["this"]["gate"], "South");
    assert_eq!(outcomes[1]["admitted"]["seat"], 2);
    assert_eq!(
        outcomes[2]["problem"]["type"],
        "urn:prasang:problem:admission-code-invalid"
    );
    assert_eq!(
        outcomes.iter().map(|o| &o["scan_id"]).collect::<Vec<_>>(),
        ["s-1", "s-2", "s-3"]
    );
    // The same upload again (its answer was lost): the same outcomes, nothing more stored.
    let again = upload(&app, &event, &organizer, "South", &scans).await;
    assert_eq!(again["outcomes"][0]["conflict"]["replayed"], true);
    assert_eq!(again["outcomes"][1]["admitted"]["replayed"], true);
    assert_eq!(summary(&app, &event, &organizer).await["admitted"], 2);

    let conflicts = app
        .get(
            &format!("/api/v1/events/{event}/check-in-conflicts"),
            Some(&organizer),
        )
        .await;
    assert_eq!(conflicts.status, StatusCode::OK);
    let conflicts = conflicts.json()["items"].clone();
    assert_eq!(
        conflicts.as_array().unwrap().len(),
        1,
        "reported once: {conflicts}"
    );
    assert_eq!(conflicts[0]["seat"], 1);

    // Another gate's next sync learns both admissions, each at the gate that made it.
    let next = sync(&app, &event, &organizer, cursor).await;
    let mut admitted: Vec<(u64, String)> = next["admissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["seat"].as_u64().unwrap(),
                a["gate"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    admitted.sort();
    assert_eq!(admitted, [(1, "North".to_owned()), (2, "South".to_owned())]);
    assert!(next["next_cursor"].as_u64().unwrap() > cursor);

    // The organizer's page lists the conflict.
    let mut browser = Browser::logged_in(&app, "o@example.org").await;
    let page = text(
        &browser
            .get(&format!("/organizer/events/{event}/check-in"))
            .await,
    );
    let section =
        &page[page.find("id=\"conflicts\"").unwrap()..page.find("id=\"admissions\"").unwrap()];
    assert!(
        section.contains("gate North") && section.contains("gate South"),
        "{section}"
    );
    common::assert_intact(&app.prasang);
}

/// RFC 4648 base32, upper case, no padding: how codes are written.
fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let (mut text, mut buffer, mut bits) = (String::new(), 0u16, 0);
    for &byte in bytes {
        buffer = buffer << 8 | u16::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            text.push(char::from(ALPHABET[usize::from(buffer >> bits & 31)]));
        }
        buffer &= (1 << bits) - 1;
    }
    if bits > 0 {
        text.push(char::from(ALPHABET[usize::from(buffer << (5 - bits) & 31)]));
    }
    text
}

/// A code in the published format for `seat` of `ticket`, signed by a key the server never had
/// under the server's own key id.
fn resigned(event: &str, ticket: &str, seat: u16) -> String {
    use ed25519_dalek::{Signer, SigningKey};
    use prasang_core::admission::code::{event_tag, signed_message};
    let (event, ticket): (prasang_core::EventId, prasang_core::TicketId) =
        (event.parse().unwrap(), ticket.parse().unwrap());
    let key_id = 1;
    let signature =
        SigningKey::from_bytes(&[7; 32]).sign(&signed_message(key_id, event, ticket, seat));
    let mut bytes = vec![1, key_id];
    bytes.extend_from_slice(&event_tag(event));
    bytes.extend_from_slice(&ticket.to_bytes());
    bytes.extend_from_slice(&seat.to_be_bytes());
    bytes.extend_from_slice(&signature.to_bytes());
    base32(&bytes)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_codes_are_refused_with_a_4xx_and_nothing_is_stored() {
    let app = spawn().await;
    let (organizer, attendee, event) = setup(&app).await;
    let ticket = book(&app, &event, &attendee, 1).await;
    let genuine = codes(&app, &ticket, &attendee).await[0]["code"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(base32(&[0xff; 5]), "77777777", "the test's own encoder");

    let mut flipped = genuine.clone().into_bytes();
    flipped[100] = if flipped[100] == b'Q' { b'R' } else { b'Q' };
    let flipped = String::from_utf8(flipped).unwrap();
    let cases: Vec<(&str, String, StatusCode, &str)> = vec![
        (
            "empty",
            String::new(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "admission-code-invalid",
        ),
        (
            "50 KB",
            "A".repeat(50_000),
            StatusCode::UNPROCESSABLE_ENTITY,
            "admission-code-invalid",
        ),
        (
            "100 KB",
            "A".repeat(100_000),
            StatusCode::PAYLOAD_TOO_LARGE,
            "body-too-large",
        ),
        (
            "binary",
            "\u{0}\u{1}\u{7f}\u{ff}\u{fffd}".repeat(28),
            StatusCode::UNPROCESSABLE_ENTITY,
            "admission-code-invalid",
        ),
        (
            "truncated",
            genuine[..120].to_owned(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "admission-code-invalid",
        ),
        (
            "bit-flipped",
            flipped,
            StatusCode::UNPROCESSABLE_ENTITY,
            "admission-code-invalid",
        ),
        (
            "re-signed",
            resigned(&event, &ticket, 1),
            StatusCode::UNPROCESSABLE_ENTITY,
            "admission-code-invalid",
        ),
    ];
    for (index, (what, code, status, slug)) in cases.iter().enumerate() {
        let reply = scan(
            &app,
            &event,
            &organizer,
            code,
            "North",
            &format!("bad-{index}"),
        )
        .await;
        assert_eq!(
            (reply.status, common::problem(&reply)),
            (*status, (*slug).to_owned()),
            "{what}"
        );
    }
    // Not JSON inside: raw bytes that are not UTF-8.
    let raw = hyper::Request::builder()
        .method(hyper::Method::POST)
        .uri(format!("/api/v1/events/{event}/check-ins"))
        .header("host", "localhost")
        .header("authorization", format!("Bearer {organizer}"))
        .header("content-type", "application/json")
        .body(http_body_util::Full::new(bytes::Bytes::from_static(
            b"{\"code\": \"\xff\xfe\x00\", \"gate\": \"North\", \"scan_id\": \"raw\"}",
        )))
        .unwrap();
    assert_problem(
        &app.raw(raw).await,
        StatusCode::BAD_REQUEST,
        "malformed-json",
    );
    // The same codes uploaded by an offline gate: each refused, none stored as a conflict.
    let ids: Vec<String> = (0..cases.len()).map(|n| format!("offline-{n}")).collect();
    let scans: Vec<(&str, &str)> = cases
        .iter()
        .filter(|(what, ..)| *what != "100 KB")
        .zip(&ids)
        .map(|((_, code, ..), id)| (id.as_str(), code.as_str()))
        .collect();
    let uploaded = app
        .post(
            &format!("/api/v1/events/{event}/check-in-uploads"),
            Some(&organizer),
            &json!({ "gate": "South", "scans": scans.iter().map(|(id, code)| json!({
                "scan_id": id, "code": code, "scanned_at": app.prasang.now() })).collect::<Vec<_>>() }),
        )
        .await;
    assert_eq!(uploaded.status, StatusCode::OK, "{:?}", uploaded.json());
    let outcomes = uploaded.json()["outcomes"].clone();
    assert_eq!(outcomes.as_array().unwrap().len(), scans.len());
    for outcome in outcomes.as_array().unwrap() {
        assert_eq!(outcome["outcome"], "refused", "{outcome}");
    }
    // Nothing was admitted or reported; the genuine code still admits.
    assert_eq!(summary(&app, &event, &organizer).await["admitted"], 0);
    let recent = app
        .get(
            &format!("/api/v1/events/{event}/check-ins"),
            Some(&organizer),
        )
        .await;
    assert_eq!(recent.json()["items"], json!([]));
    let conflicts = app
        .get(
            &format!("/api/v1/events/{event}/check-in-conflicts"),
            Some(&organizer),
        )
        .await;
    assert_eq!(conflicts.json()["items"], json!([]));
    assert_eq!(
        sync(&app, &event, &organizer, 0).await["admissions"],
        json!([])
    );
    assert_eq!(
        scan(&app, &event, &organizer, &genuine, "North", "ok")
            .await
            .status,
        StatusCode::OK
    );
    common::assert_intact(&app.prasang);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_seat_is_named_by_its_type_and_the_organizer_sees_counts_per_type() {
    let app = spawn().await;
    let organizer = app.user("o@example.org", "organizer").await;
    let attendee = app.user("a@example.org", "attendee").await;
    let body = json!({ "title": "Circus", "location": "Tent", "capacity": 20, "per_user_limit": 4,
        "starts_at": common::now_plus_days(1), "ends_at": common::now_plus_days(2),
        "ticket_types": [{ "name": "Adult", "price_minor": 0 }, { "name": "Child", "price_minor": 0 }] });
    let event = app.create_event(&organizer, &body).await.json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let booked = app
        .post(
            &format!("/api/v1/events/{event}/tickets"),
            Some(&attendee),
            &json!({ "lines": [{ "ticket_type": 1, "quantity": 1 }, { "ticket_type": 2, "quantity": 1 }] }),
        )
        .await;
    assert_eq!(booked.status, StatusCode::CREATED, "{:?}", booked.json());
    let ticket = booked.json()["id"].as_str().unwrap().to_owned();
    let seats = codes(&app, &ticket, &attendee).await;
    let mut browser = Browser::logged_in(&app, "o@example.org").await;
    let answer = door_scan(&mut browser, &event, seats[1]["code"].as_str().unwrap()).await;
    assert!(answer.contains("Child · seat 2 of 2"), "{answer}");
    let page = text(
        &browser
            .get(&format!("/organizer/events/{event}/check-in"))
            .await,
    );
    let table = &page[page.find("By ticket type").expect("counts per type")..];
    let rows: Vec<&str> = [
        "<td>Adult</td><td>0</td><td>1</td>",
        "<td>Child</td><td>1</td><td>1</td>",
    ]
    .into_iter()
    .filter(|row| table.contains(row))
    .collect();
    assert_eq!(rows.len(), 2, "{table}");
}
