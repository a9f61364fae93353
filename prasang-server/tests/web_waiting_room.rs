//! The waiting room through the web UI, as a browser without JavaScript uses it: the organizer
//! sets the room up (the on-sale time in the event's time zone) and watches its numbers reload
//! themselves; attendees find "Join the waiting room" where the booking form was, wait on a
//! page that reloads itself (`<meta http-equiv="refresh">`) with their place, and book with the
//! pass once admitted. The clock is a manual one, and the admission step runs as the
//! maintenance thread runs it.

mod common;

use std::time::Duration;

use common::browser::{Browser, assert_html, text};
use common::spawn_clocked;
use hyper::StatusCode;
use prasang_core::{Clock, Timestamp};
use prasang_http_client::Reply;
use serde_json::json;

/// `at` as a `datetime-local` value on India's clock (UTC+05:30, no daylight saving).
fn in_india(at: Timestamp) -> String {
    let local = at
        .plus(Duration::from_secs(5 * 3600 + 30 * 60))
        .to_rfc3339();
    local[..16].to_owned()
}

/// Posts the organizer's room settings form: on, the sale at `on_sale_at` (as typed), admitting
/// `per_minute` people a minute, passes of 10 minutes.
async fn save_settings(
    organizer: &mut Browser<'_>,
    path: &str,
    on_sale_at: &str,
    per_minute: &str,
) -> Reply {
    let fields = [
        ("enabled", "on"),
        ("on_sale_at", on_sale_at),
        ("admission", "per_minute"),
        ("per_minute", per_minute),
        ("pass_minutes", "10"),
    ];
    organizer.submit(path, &fields).await
}

/// The value of the hidden field `name` in `page`.
fn hidden_value(page: &str, name: &str) -> String {
    let marker = format!("type=\"hidden\" name=\"{name}\" value=\"");
    let start = page.find(&marker).expect("the page has the field") + marker.len();
    page[start..start + page[start..].find('"').unwrap()].to_owned()
}

/// The meta refresh of a page, if any: its seconds.
fn refresh_of(page: &str) -> Option<u64> {
    let marker = "<meta http-equiv=\"refresh\" content=\"";
    let start = page.find(marker)? + marker.len();
    page[start..start + page[start..].find('"')?].parse().ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn people_join_through_the_event_page_wait_on_a_self_refreshing_page_and_book_when_admitted()
{
    let (app, clock) = spawn_clocked().await;
    let mut organizer = Browser::organizer(&app).await;
    let token = app.access_token("org@example.org").await;
    let body = json!({ "title": "Sitar night", "location": "Hall", "time_zone": "Asia/Kolkata",
        "starts_at": clock.now().plus(Duration::from_secs(86_400)),
        "ends_at": clock.now().plus(Duration::from_secs(90_000)), "capacity": 50 });
    let created = app.create_event(&token, &body).await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.json());
    let event = created.json()["id"].as_str().unwrap().to_owned();
    app.register("ada@example.org", "attendee").await;
    app.register("bob@example.org", "attendee").await;

    // The organizer's event page leads to the room, which is not set up yet.
    let room_page = format!("/organizer/events/{event}/waiting-room");
    let event_admin = text(&organizer.get(&format!("/organizer/events/{event}")).await);
    assert!(
        event_admin.contains(&format!("href=\"{room_page}\"")),
        "{event_admin}"
    );
    let page = text(&organizer.get(&room_page).await);
    assert!(page.contains("No waiting room yet"), "{page}");
    assert_eq!(refresh_of(&page), None, "nothing to watch yet");

    // Values that do not read, or that the core refuses, are shown beside their fields.
    let settings_page = format!("{room_page}/settings");
    let on_sale = clock.now().plus(Duration::from_secs(120));
    let refused = save_settings(&mut organizer, &settings_page, "", "0").await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let refused = text(&refused);
    assert!(refused.contains("Enter a date and time."), "{refused}");
    let refused = save_settings(&mut organizer, &settings_page, &in_india(on_sale), "0").await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let refused = text(&refused);
    assert!(
        refused.contains("id=\"f-per_minute-error\""),
        "the refusal is beside the rate: {refused}"
    );

    // Saved: the on-sale time was read on India's clock.
    let saved = save_settings(&mut organizer, &settings_page, &in_india(on_sale), "60").await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", text(&saved));
    assert_eq!(
        saved.header("location"),
        Some(format!("{room_page}?done=saved").as_str())
    );
    let public = app
        .get(
            &format!("/api/v1/events/{event}/waiting-room/settings"),
            None,
        )
        .await
        .json();
    assert_eq!(public, json!({ "enabled": true, "on_sale_at": on_sale }));
    let form = text(&organizer.get(&settings_page).await);
    assert!(
        form.contains(&format!("value=\"{}\"", in_india(on_sale))),
        "the form shows the time as entered: {form}"
    );

    // Visitors are asked to log in to join; there is no guest checkout while the room is on.
    let event_page = format!("/events/{event}");
    let waiting_page = format!("/events/{event}/waiting-room");
    let visitor = text(&Browser::new(&app).get(&event_page).await);
    assert!(visitor.contains("to join the waiting room"), "{visitor}");
    assert!(!visitor.contains("id=\"book\""), "{visitor}");

    // Ada joins before the sale: she is in the lottery, and the page reloads every 30 s.
    let mut ada = Browser::logged_in(&app, "ada@example.org").await;
    let page = text(&ada.get(&event_page).await);
    assert!(page.contains("Join the waiting room"), "{page}");
    assert!(!page.contains("id=\"book\""), "no booking form: {page}");
    let joined = ada.submit(&waiting_page, &[]).await;
    assert_eq!(joined.status, StatusCode::SEE_OTHER, "{}", text(&joined));
    assert_eq!(joined.header("location"), Some(waiting_page.as_str()));
    let waiting = ada.get(&waiting_page).await;
    assert_html(&waiting);
    let waiting = text(&waiting);
    assert!(waiting.contains("You are in."), "{waiting}");
    assert!(
        waiting.contains("IST (UTC+05:30)"),
        "the draw on the event's clock: {waiting}"
    );
    assert_eq!(refresh_of(&waiting), Some(30));
    let page = text(&ada.get(&event_page).await);
    assert!(page.contains("See your place in line"), "{page}");

    // The sale opens; a second later one person a second has been admitted: Ada. Bob, who
    // joins now, is next in line, and his page reloads every 2 s.
    clock.advance(Duration::from_secs(121));
    app.prasang
        .waiting_room()
        .admit_due()
        .expect("the admission step runs");
    let mut bob = Browser::logged_in(&app, "bob@example.org").await;
    bob.submit(&waiting_page, &[]).await;
    let waiting = text(&bob.get(&waiting_page).await);
    assert!(
        waiting.contains("You are number <strong>1</strong> in line."),
        "{waiting}"
    );
    assert!(
        waiting.contains("Estimated wait: under a minute."),
        "{waiting}"
    );
    assert_eq!(refresh_of(&waiting), Some(2));
    // Updates can be turned off (WCAG 2.2.1), and on again.
    let still_page = format!("{waiting_page}?still=1");
    assert!(
        waiting.contains(&format!("href=\"{still_page}\">Stop updating")),
        "{waiting}"
    );
    let still = text(&bob.get(&still_page).await);
    assert_eq!(refresh_of(&still), None);
    assert!(
        still.contains("number <strong>1</strong> in line"),
        "{still}"
    );
    assert!(
        still.contains(&format!("href=\"{waiting_page}\">Update every 2 seconds")),
        "{still}"
    );

    // Ada's turn: no reload, a link to book; the event page's form carries her pass.
    let admitted = text(&ada.get(&waiting_page).await);
    assert!(admitted.contains("It is your turn."), "{admitted}");
    assert_eq!(refresh_of(&admitted), None);
    let page = text(&ada.get(&event_page).await);
    assert!(page.contains("id=\"book\""), "{page}");
    assert!(page.contains("name=\"pass\" value=\""), "{page}");
    assert!(page.contains("book before"), "{page}");

    // Bob, not admitted yet, posts a booking anyway: he is sent to his place, told why.
    let book_path = format!("{event_page}/book");
    let sent_back = bob
        .submit(&book_path, &[("seats-1", "1"), ("step", "book")])
        .await;
    assert_eq!(
        sent_back.status,
        StatusCode::SEE_OTHER,
        "{}",
        text(&sent_back)
    );
    let back = format!("{waiting_page}?done=pass-required");
    assert_eq!(sent_back.header("location"), Some(back.as_str()));
    let told = text(&bob.get(&back).await);
    assert!(
        told.contains("This sale has a waiting room: book when it is your turn."),
        "{told}"
    );

    // Ada books with the form as shown (her pass in it); the pass is spent then.
    let pass = hidden_value(&page, "pass");
    let with_pass = [("seats-1", "1"), ("step", "book"), ("pass", pass.as_str())];
    let booked = ada.submit(&book_path, &with_pass).await;
    assert_eq!(booked.status, StatusCode::SEE_OTHER, "{}", text(&booked));
    assert_eq!(booked.header("location"), Some("/me/tickets?done=booked"));
    let spent = text(&ada.get(&waiting_page).await);
    assert!(
        spent.contains("Your pass was used for a booking"),
        "{spent}"
    );
    assert!(
        spent.contains("Join again (at the end of the line)"),
        "{spent}"
    );
    let again = ada.submit(&book_path, &with_pass).await;
    assert_eq!(
        again.header("location"),
        Some(format!("{waiting_page}?done=pass-refused").as_str())
    );

    // The organizer's numbers, reloading themselves while the room is on.
    let numbers = text(&organizer.get(&room_page).await);
    assert_eq!(refresh_of(&numbers), Some(10));
    assert!(
        numbers.contains("<strong>1</strong>waiting")
            && numbers.contains("<strong>1</strong>admitted"),
        "{numbers}"
    );

    // Attendees may not see the organizer's pages.
    for path in [&room_page, &settings_page] {
        let forbidden = ada.get(path).await;
        assert_eq!(forbidden.status, StatusCode::FORBIDDEN, "{path}");
        assert_html(&forbidden);
    }
    app.stop().await;
}
