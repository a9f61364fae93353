//! The waiting list over HTTP: the public numbers, the organizer's settings and list (names,
//! remove), joining when sold out with one's position, offers made when seats come free,
//! accepting (a booking) and declining, and bad input and other people's entries refused with a
//! 4xx; then the same through the web UI: the join form on the event page, the offer page an
//! offer's notification links to (`/waitlist/{event}`), "My tickets" and the organizer's page.

mod common;

use common::browser::{Browser, assert_html, text};
use common::{TestApp, assert_problem, spawn};
use hyper::StatusCode;
use prasang_http_client::Reply;
use serde_json::{Value, json};

/// An event of `token`'s in Asia/Kolkata starting in a day: 2 seats, up to 2 per person, `price`
/// a seat; its id.
async fn small_event(app: &TestApp, token: &str, price_minor: u64) -> String {
    let body = json!({ "title": "Sitar night", "location": "Hall", "time_zone": "Asia/Kolkata",
        "starts_at": common::now_plus_days(1), "ends_at": common::now_plus_days(2),
        "capacity": 2, "per_user_limit": 2, "price_minor": price_minor });
    let reply = app.create_event(token, &body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.json());
    reply.json()["id"].as_str().unwrap().to_owned()
}

fn waitlist(event: &str) -> String {
    format!("/api/v1/events/{event}/waitlist")
}

/// Opens `event`'s waiting list with a window of `minutes`, as its organizer.
async fn open(app: &TestApp, organizer: &str, event: &str, minutes: u32) {
    let reply = app
        .put(
            &format!("{}/settings", waitlist(event)),
            Some(organizer),
            &json!({ "enabled": true, "offer_window_minutes": minutes }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.json());
    assert_eq!(reply.json()["settings"]["enabled"], true);
}

/// Joins `event`'s list for `seats` as the holder of `token`; the entry as answered.
async fn join(app: &TestApp, event: &str, token: &str, seats: u32) -> Value {
    let reply = app
        .post(&waitlist(event), Some(token), &json!({ "seats": seats }))
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.json());
    assert_eq!(
        reply.header("location"),
        Some(format!("{}/mine", waitlist(event)).as_str())
    );
    reply.json()
}

/// The caller's entries of `event`.
async fn mine(app: &TestApp, event: &str, token: &str) -> Vec<Value> {
    let reply = app
        .get(&format!("{}/mine", waitlist(event)), Some(token))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.json());
    reply.json()["items"].as_array().unwrap().clone()
}

fn entry_path(event: &str, entry: &Value) -> String {
    format!("{}/{}", waitlist(event), entry["entry"])
}

/// `POST …/waitlist/{entry}/{action}` (accept, decline) as the holder of `token`.
async fn act(app: &TestApp, event: &str, entry: &Value, action: &str, token: &str) -> Reply {
    let path = format!("{}/{action}", entry_path(event, entry));
    app.post(&path, Some(token), &json!({})).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn people_join_a_sold_out_event_and_seats_that_come_free_are_offered_in_order() {
    let app = spawn().await;
    let organizer = app.user("o@example.org", "organizer").await;
    let holder = app.user("holder@example.org", "attendee").await;
    let first = app.user("first@example.org", "attendee").await;
    let second = app.user("second@example.org", "attendee").await;
    let event = small_event(&app, &organizer, 0).await;

    // Closed until the organizer opens it; the numbers are public.
    let status = app.get(&waitlist(&event), None).await;
    assert_eq!(status.status, StatusCode::OK);
    assert_eq!(status.json()["settings"]["enabled"], false);
    assert_eq!(status.json()["settings"]["offer_window_minutes"], 1440);
    let closed = app
        .post(&waitlist(&event), Some(&first), &json!({ "seats": 1 }))
        .await;
    assert_problem(&closed, StatusCode::CONFLICT, "waitlist-closed");
    open(&app, &organizer, &event, 60).await;

    // Seats can be booked: book them instead (and how many a booking would get).
    let free = app
        .post(&waitlist(&event), Some(&first), &json!({ "seats": 1 }))
        .await;
    assert_problem(&free, StatusCode::CONFLICT, "waitlist-not-sold-out");
    assert_eq!(free.json()["available"], 2);

    let ticket = app.book_seats(&event, &holder, 2).await;
    let first_entry = join(&app, &event, &first, 1).await;
    assert_eq!(first_entry["position"], 1);
    assert_eq!(first_entry["seats"], 1);
    assert!(first_entry["offer"].is_null());
    let again = app
        .post(&waitlist(&event), Some(&first), &json!({ "seats": 1 }))
        .await;
    assert_problem(&again, StatusCode::CONFLICT, "waitlist-already-joined");
    let second_entry = join(&app, &event, &second, 1).await;
    assert_eq!(second_entry["position"], 2);

    let status = app.get(&waitlist(&event), None).await.json();
    assert_eq!(
        (&status["waiting"], &status["waiting_seats"]),
        (&json!(2), &json!(2))
    );
    assert_eq!(mine(&app, &event, &second).await[0]["position"], 2);
    let across = app.get("/api/v1/me/waitlist", Some(&second)).await;
    assert_eq!(across.status, StatusCode::OK);
    assert_eq!(across.json()["items"][0]["event"], event.as_str());

    // The organizer's list: names in joining order, paged.
    let listed = app
        .get(
            &format!("{}/entries?limit=1", waitlist(&event)),
            Some(&organizer),
        )
        .await;
    assert_eq!(listed.status, StatusCode::OK, "{:?}", listed.json());
    let page = listed.json();
    assert_eq!(page["items"][0]["name"], "first");
    assert_eq!(page["items"][0]["email"], "first@example.org");
    let after = page["next"].as_str().expect("a second page");
    let rest = app
        .get(
            &format!("{}/entries?after={after}", waitlist(&event)),
            Some(&organizer),
        )
        .await
        .json();
    assert_eq!(rest["items"][0]["name"], "second");
    assert_eq!(rest["items"][0]["position"], 2);

    // Nothing to accept or decline before an offer.
    let early = act(&app, &event, &first_entry, "accept", &first).await;
    assert_problem(&early, StatusCode::CONFLICT, "waitlist-no-offer");
    let early = act(&app, &event, &first_entry, "decline", &first).await;
    assert_problem(&early, StatusCode::CONFLICT, "waitlist-no-offer");

    // Two seats come free: each waiting person is offered theirs, held for the window.
    let before = app.prasang.now();
    let cancelled = app
        .cancel(&format!("/api/v1/tickets/{ticket}"), &holder)
        .await;
    assert_eq!(cancelled.status, StatusCode::OK);
    let offered = mine(&app, &event, &first).await;
    let offer = &offered[0]["offer"];
    assert_eq!(offer["seats"], 1, "{offered:?}");
    let deadline: prasang_core::Timestamp =
        serde_json::from_value(offer["deadline"].clone()).unwrap();
    let window = deadline.as_millis() - before.as_millis();
    assert!((59 * 60_000..=61 * 60_000).contains(&window), "{window} ms");
    assert_eq!(app.seats(&event).await["remaining"], 0);
    let status = app.get(&waitlist(&event), None).await.json();
    assert_eq!(
        (&status["offers"], &status["offered_seats"]),
        (&json!(2), &json!(2))
    );
    // A newcomer cannot take a seat held for someone.
    let newcomer = app.user("late@example.org", "attendee").await;
    let refused = app
        .post(
            &format!("/api/v1/events/{event}/tickets"),
            Some(&newcomer),
            &json!({}),
        )
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);

    // Only the entry's user accepts or declines it.
    let not_theirs = act(&app, &event, &first_entry, "accept", &second).await;
    assert_problem(
        &not_theirs,
        StatusCode::NOT_FOUND,
        "waitlist-entry-not-found",
    );
    assert_eq!(mine(&app, &event, &first).await[0]["offer"]["seats"], 1);
    let accepted = act(&app, &event, &first_entry, "accept", &first).await;
    assert_eq!(
        accepted.status,
        StatusCode::CREATED,
        "{:?}",
        accepted.json()
    );
    let ticket = accepted.json();
    assert_eq!(
        (&ticket["status"], &ticket["quantity"]),
        (&json!("booked"), &json!(1))
    );
    assert_eq!(
        accepted.header("location"),
        Some(format!("/api/v1/tickets/{}", ticket["id"].as_str().unwrap()).as_str())
    );
    // Accepting again answers the same ticket.
    let replay = act(&app, &event, &first_entry, "accept", &first).await;
    assert_eq!(replay.status, StatusCode::CREATED, "{:?}", replay.json());
    assert_eq!(replay.json()["id"], ticket["id"]);
    assert_eq!(replay.header("idempotent-replayed"), Some("true"));
    assert_eq!(accepted.header("idempotent-replayed"), None);
    assert!(mine(&app, &event, &first).await.is_empty());

    let declined = act(&app, &event, &second_entry, "decline", &second).await;
    assert_eq!(declined.status, StatusCode::NO_CONTENT);
    assert!(mine(&app, &event, &second).await.is_empty());
    // No one waits: the declined seat is free for anyone.
    assert_eq!(app.seats(&event).await["remaining"], 1);
    common::assert_intact(&app.prasang);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_accepted_offer_of_a_paid_event_is_a_hold_awaiting_payment() {
    let app = spawn().await;
    let organizer = app.user("o@example.org", "organizer").await;
    let holder = app.user("holder@example.org", "attendee").await;
    let waiting = app.user("w@example.org", "attendee").await;
    let event = small_event(&app, &organizer, 1500).await;
    open(&app, &organizer, &event, 1440).await;
    let ticket = app.book_seats(&event, &holder, 2).await;
    let entry = join(&app, &event, &waiting, 2).await;
    app.cancel(&format!("/api/v1/tickets/{ticket}"), &holder)
        .await;
    let accepted = act(&app, &event, &entry, "accept", &waiting).await;
    assert_eq!(
        accepted.status,
        StatusCode::CREATED,
        "{:?}",
        accepted.json()
    );
    assert_eq!(accepted.json()["status"], "pending");
    assert_eq!(accepted.json()["amount_minor"], 3000);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_organizer_removes_entries_people_leave_and_bad_requests_are_refused() {
    let app = spawn().await;
    let organizer = app.user("o@example.org", "organizer").await;
    let other_organizer = app.user("other@example.org", "organizer").await;
    let holder = app.user("holder@example.org", "attendee").await;
    let waiting = app.user("w@example.org", "attendee").await;
    let event = small_event(&app, &organizer, 0).await;
    let settings = format!("{}/settings", waitlist(&event));

    // Settings: the organizer only, the window within its bounds, no unknown fields.
    let body = json!({ "enabled": true });
    let no_token = app.put(&settings, None, &body).await;
    assert_problem(&no_token, StatusCode::UNAUTHORIZED, "missing-token");
    for token in [&holder, &other_organizer] {
        let refused = app.put(&settings, Some(token), &body).await;
        assert_problem(&refused, StatusCode::FORBIDDEN, "forbidden");
    }
    for minutes in [14, 10_081] {
        let refused = app
            .put(
                &settings,
                Some(&organizer),
                &json!({ "enabled": true, "offer_window_minutes": minutes }),
            )
            .await;
        assert_problem(&refused, StatusCode::UNPROCESSABLE_ENTITY, "invalid-field");
        assert_eq!(refused.json()["errors"][0]["field"], "offer_window_minutes");
    }
    let unknown = app
        .put(
            &settings,
            Some(&organizer),
            &json!({ "enabled": true, "color": "red" }),
        )
        .await;
    assert_problem(&unknown, StatusCode::UNPROCESSABLE_ENTITY, "invalid-body");
    let missing = app.put(&settings, Some(&organizer), &json!({})).await;
    assert_problem(&missing, StatusCode::UNPROCESSABLE_ENTITY, "invalid-body");
    assert_eq!(
        app.get(&waitlist(&event), None).await.json()["settings"]["enabled"],
        false,
        "nothing refused was stored"
    );
    open(&app, &organizer, &event, 15).await;
    app.book_seats(&event, &holder, 2).await;

    // Joining: 1 up to the per-person limit, a known type, a JSON body.
    for (body, slug) in [
        (json!({ "seats": 3 }), "invalid-field"),
        (json!({ "seats": 0 }), "invalid-field"),
        (json!({ "seats": "two" }), "invalid-body"),
        (
            json!({ "seats": 1, "ticket_type": 99 }),
            "ticket-type-not-found",
        ),
    ] {
        let refused = app.post(&waitlist(&event), Some(&waiting), &body).await;
        let status = if slug == "ticket-type-not-found" {
            StatusCode::NOT_FOUND
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        };
        assert_problem(&refused, status, slug);
    }
    let anonymous = app
        .post(&waitlist(&event), None, &json!({ "seats": 1 }))
        .await;
    assert_problem(&anonymous, StatusCode::UNAUTHORIZED, "missing-token");
    let unknown_event = app
        .post(
            "/api/v1/events/01ARZ3NDEKTSV4RRFFQ69G5FAV/waitlist",
            Some(&waiting),
            &json!({ "seats": 1 }),
        )
        .await;
    assert_eq!(unknown_event.status, StatusCode::NOT_FOUND);
    assert_problem(
        &app.get("/api/v1/events/nope/waitlist", None).await,
        StatusCode::BAD_REQUEST,
        "invalid-id",
    );

    let entry = join(&app, &event, &waiting, 1).await;
    let path = entry_path(&event, &entry);
    // The list is the organizer's: not the attendees', not another organizer's.
    let entries = format!("{}/entries", waitlist(&event));
    for token in [&waiting, &other_organizer] {
        assert_problem(
            &app.get(&entries, Some(token)).await,
            StatusCode::FORBIDDEN,
            "forbidden",
        );
    }
    for query in ["?limit=abc", "?colour=red"] {
        let refused = app
            .get(&format!("{entries}{query}"), Some(&organizer))
            .await;
        assert_problem(&refused, StatusCode::BAD_REQUEST, "bad-parameter");
    }
    // An entry is named by its number; someone else's is not found.
    assert_problem(
        &app.delete(&format!("{}/first", waitlist(&event)), Some(&waiting))
            .await,
        StatusCode::BAD_REQUEST,
        "bad-parameter",
    );
    assert_problem(
        &app.delete(&format!("{}/999", waitlist(&event)), Some(&waiting))
            .await,
        StatusCode::NOT_FOUND,
        "waitlist-entry-not-found",
    );
    for token in [&holder, &other_organizer] {
        assert_problem(
            &app.delete(&path, Some(token)).await,
            StatusCode::NOT_FOUND,
            "waitlist-entry-not-found",
        );
    }
    assert_eq!(mine(&app, &event, &waiting).await.len(), 1);

    // The organizer removes it; the user joins again and leaves on their own.
    assert_eq!(
        app.delete(&path, Some(&organizer)).await.status,
        StatusCode::NO_CONTENT
    );
    assert!(mine(&app, &event, &waiting).await.is_empty());
    let entry = join(&app, &event, &waiting, 1).await;
    assert_eq!(entry["position"], 1);
    let path = entry_path(&event, &entry);
    assert_eq!(
        app.delete(&path, Some(&waiting)).await.status,
        StatusCode::NO_CONTENT
    );
    assert_problem(
        &app.delete(&path, Some(&waiting)).await,
        StatusCode::NOT_FOUND,
        "waitlist-entry-not-found",
    );
    assert_eq!(app.get(&waitlist(&event), None).await.json()["waiting"], 0);
    common::assert_intact(&app.prasang);
    app.stop().await;
}

/// The value of the first `action="…"` of a form on `page` whose action ends with `suffix`.
fn form_action(page: &str, suffix: &str) -> String {
    let marker = format!("{suffix}\"");
    let end = page
        .find(&marker)
        .unwrap_or_else(|| panic!("no form ending in {suffix}: {page}"))
        + suffix.len();
    let start = page[..end].rfind("action=\"").unwrap() + "action=\"".len();
    page[start..end].to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn through_the_web_ui_people_join_see_their_place_and_accept_an_offer() {
    let app = spawn().await;
    let mut organizer_browser = Browser::organizer(&app).await;
    let organizer = app.access_token("org@example.org").await;
    let holder = app.user("holder@example.org", "attendee").await;
    app.register("ada@example.org", "attendee").await;
    let other = app.user("bo@example.org", "attendee").await;
    let event = small_event(&app, &organizer, 0).await;

    // The organizer's event page links the waiting list page; its settings form checks the
    // window beside the field, then saves.
    let page = text(
        &organizer_browser
            .get(&format!("/organizer/events/{event}"))
            .await,
    );
    let list_page = format!("/organizer/events/{event}/waitlist");
    assert!(page.contains(&format!("href=\"{list_page}\"")), "{page}");
    let empty = organizer_browser.get(&list_page).await;
    assert_eq!(empty.status, StatusCode::OK);
    assert!(text(&empty).contains("No one is waiting."));
    let settings = format!("{list_page}/settings");
    let refused = organizer_browser
        .submit(
            &settings,
            &[("enabled", "on"), ("offer_window_minutes", "5")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let refused = text(&refused);
    assert!(
        refused.contains("field-error") && refused.contains("value=\"5\""),
        "{refused}"
    );
    let saved = organizer_browser
        .submit(
            &settings,
            &[("enabled", "on"), ("offer_window_minutes", "90")],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    assert_eq!(
        saved.header("location"),
        Some(format!("{list_page}?done=saved#settings").as_str())
    );
    assert_eq!(
        app.get(&waitlist(&event), None).await.json()["settings"]["offer_window_minutes"],
        90
    );

    // Seats left: no join form, and a join posted anyway is refused in words on the page.
    let mut early = Browser::logged_in(&app, "bo@example.org").await;
    let page = text(&early.get(&format!("/events/{event}")).await);
    assert!(!page.contains("Join the waiting list"), "{page}");
    let refused = early
        .submit(&format!("/events/{event}/waitlist"), &[("seats", "1")])
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    let refused = text(&refused);
    assert!(
        refused.contains("role=\"alert\">2 seats of this ticket type can be booked now"),
        "{refused}"
    );

    // Sold out: the event page offers the join form (and to log in, to visitors).
    let ticket = app.book_seats(&event, &holder, 2).await;
    let visitor = text(&Browser::new(&app).get(&format!("/events/{event}")).await);
    assert!(visitor.contains("to join the waiting list"), "{visitor}");
    let mut ada = Browser::logged_in(&app, "ada@example.org").await;
    let event_page = format!("/events/{event}");
    let page = text(&ada.get(&event_page).await);
    assert!(page.contains("Join the waiting list"), "{page}");
    let too_many = ada
        .submit(
            &format!("{event_page}/waitlist"),
            &[("ticket_type", "1"), ("seats", "5")],
        )
        .await;
    assert_eq!(too_many.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        text(&too_many).contains("role=\"alert\""),
        "{}",
        text(&too_many)
    );
    let joined = ada
        .submit(
            &format!("{event_page}/waitlist"),
            &[("ticket_type", "1"), ("seats", "2")],
        )
        .await;
    assert_eq!(joined.status, StatusCode::SEE_OTHER, "{}", text(&joined));
    assert_eq!(
        joined.header("location"),
        Some(format!("{event_page}?done=waitlist-joined#waitlist").as_str())
    );
    let page = text(&ada.get(&event_page).await);
    assert!(page.contains("number <strong>1</strong> in line"), "{page}");
    assert!(
        page.contains("Leave the waiting list for Sitar night"),
        "{page}"
    );
    assert!(
        !page.contains("Join the waiting list"),
        "one entry per type: {page}"
    );
    let bo = join(&app, &event, &other, 1).await;

    // The organizer sees both, by name, waiting in order.
    let listed = text(&organizer_browser.get(&list_page).await);
    assert!(
        listed.contains("ada") && listed.contains("bo@example.org"),
        "{listed}"
    );
    assert!(listed.contains("Waiting, number 2"), "{listed}");

    // The offer page needs a signed-in user (and comes back after logging in).
    let offers_page = format!("/waitlist/{event}");
    let anonymous = Browser::new(&app).get(&offers_page).await;
    assert_eq!(anonymous.status, StatusCode::SEE_OTHER);
    assert_eq!(
        anonymous.header("location"),
        Some(format!("/login?next=%2Fwaitlist%2F{event}").as_str())
    );

    // Seats come free: Ada is offered them until a deadline on the event's clock (IST).
    app.cancel(&format!("/api/v1/tickets/{ticket}"), &holder)
        .await;
    let offer = ada.get(&offers_page).await;
    assert_eq!(offer.status, StatusCode::OK);
    assert_html(&offer);
    let offer = text(&offer);
    assert!(
        offer.contains("2 seats of Admission held for you"),
        "{offer}"
    );
    assert!(offer.contains("IST (UTC+05:30)"), "{offer}");
    let tickets = text(&ada.get("/me/tickets").await);
    assert!(
        tickets.contains("Offers from waiting lists (1)"),
        "{tickets}"
    );
    assert!(
        tickets.contains("Accept the offer for Sitar night"),
        "{tickets}"
    );

    // Accepting books the seats; Bo, behind, still waits.
    let accepted = ada
        .submit(&form_action(&offer, "/accept"), &[("from", "offers")])
        .await;
    assert_eq!(
        accepted.status,
        StatusCode::SEE_OTHER,
        "{}",
        text(&accepted)
    );
    assert_eq!(accepted.header("location"), Some("/me/tickets?done=booked"));
    let tickets = text(&ada.get("/me/tickets").await);
    assert!(
        tickets.contains("Booked") && !tickets.contains("Offers from waiting lists"),
        "{tickets}"
    );
    assert_eq!(mine(&app, &event, &other).await[0]["position"], 1);

    // The organizer removes Bo through the list page.
    let listed = text(&organizer_browser.get(&list_page).await);
    let remove = format!("{list_page}/{}/remove", bo["entry"]);
    assert!(listed.contains(&remove), "{listed}");
    let removed = organizer_browser.submit(&remove, &[]).await;
    assert_eq!(
        removed.header("location"),
        Some(format!("{list_page}?done=waitlist-removed#list").as_str())
    );
    assert!(mine(&app, &event, &other).await.is_empty());

    // Attendees may not see the organizer's page or remove entries.
    let forbidden = ada.get(&list_page).await;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN);
    assert_html(&forbidden);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn through_the_web_ui_people_decline_an_offer_and_leave_the_list() {
    let app = spawn().await;
    let organizer = app.user("o@example.org", "organizer").await;
    let holder = app.user("holder@example.org", "attendee").await;
    app.register("ada@example.org", "attendee").await;
    let event = small_event(&app, &organizer, 0).await;
    open(&app, &organizer, &event, 60).await;
    let ticket = app.book_seats(&event, &holder, 2).await;
    let mut ada = Browser::logged_in(&app, "ada@example.org").await;
    let event_page = format!("/events/{event}");
    ada.submit(&format!("{event_page}/waitlist"), &[("seats", "1")])
        .await;

    // Leaving from the event page comes back to it.
    let page = text(&ada.get(&event_page).await);
    let left = ada
        .submit(&form_action(&page, "/leave"), &[("from", "event")])
        .await;
    assert_eq!(
        left.header("location"),
        Some(format!("{event_page}?done=waitlist-left#waitlist").as_str())
    );
    let page = text(&ada.get(&format!("{event_page}?done=waitlist-left")).await);
    assert!(
        page.contains("You left the waiting list.") && page.contains("Join the waiting list"),
        "{page}"
    );

    // Joined again and offered a seat: declined from "My tickets", it goes back there.
    ada.submit(&format!("{event_page}/waitlist"), &[("seats", "1")])
        .await;
    app.cancel(&format!("/api/v1/tickets/{ticket}"), &holder)
        .await;
    let tickets = text(&ada.get("/me/tickets").await);
    let declined = ada
        .submit(&form_action(&tickets, "/decline"), &[("from", "tickets")])
        .await;
    assert_eq!(
        declined.header("location"),
        Some("/me/tickets?done=offer-declined#offers")
    );
    let offers = text(&ada.get(&format!("/waitlist/{event}")).await);
    assert!(
        offers.contains("You are not on this event's waiting list"),
        "{offers}"
    );
    // An offer that is gone cannot be accepted: an HTML error page, not a 5xx.
    let gone = ada.submit(&form_action(&tickets, "/accept"), &[]).await;
    assert!(gone.status.is_client_error(), "{}", gone.status);
    assert_html(&gone);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paused_offers_hold_freed_seats_back_until_the_organizer_resumes() {
    let app = spawn().await;
    let organizer = app.user("o@example.org", "organizer").await;
    let holder = app.user("holder@example.org", "attendee").await;
    let waiting = app.user("w@example.org", "attendee").await;
    app.register("ada@example.org", "attendee").await;
    let event = small_event(&app, &organizer, 0).await;
    let settings = format!("{}/settings", waitlist(&event));
    let paused = json!({ "enabled": true, "paused": true });
    assert_eq!(
        app.put(&settings, Some(&organizer), &paused).await.status,
        StatusCode::OK
    );
    let ticket = app.book_seats(&event, &holder, 2).await;
    join(&app, &event, &waiting, 1).await;
    app.cancel(&format!("/api/v1/tickets/{ticket}"), &holder)
        .await;

    // Two seats are free, yet kept for the list: no offer, and the page says so.
    let status = app.get(&waitlist(&event), None).await.json();
    assert_eq!(
        (&status["held_back_seats"], &status["offers"]),
        (&json!(2), &json!(0))
    );
    assert!(mine(&app, &event, &waiting).await[0]["offer"].is_null());
    let mut ada = Browser::logged_in(&app, "ada@example.org").await;
    let page = text(&ada.get(&format!("/events/{event}")).await);
    assert!(
        page.contains("2 seats free now, kept for the people waiting in turn."),
        "{page}"
    );
    assert!(page.contains("Join the waiting list"), "{page}");

    let resumed = app
        .put(&settings, Some(&organizer), &json!({ "enabled": true }))
        .await;
    assert_eq!(resumed.json()["offered_seats"], 1, "{:?}", resumed.json());
    assert_eq!(mine(&app, &event, &waiting).await[0]["offer"]["seats"], 1);
    app.stop().await;
}
