//! The web UI over HTTP, as a browser without JavaScript would use it: status codes, security
//! headers, escaping, CSRF refusal, the cookie session (refresh, logout) and the login limit.
//! (The end-to-end journeys in a real browser are in tests/browser, run by
//! scripts/suite-browser.sh.)

mod common;

use common::browser::{Browser, assert_html, text};
use common::{spawn, spawn_with};
use hyper::StatusCode;
use prasang_server::ServerConfig;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_carry_the_security_headers_and_errors_are_html_pages() {
    let app = spawn().await;
    let mut browser = Browser::new(&app);
    let home = browser.get("/").await;
    assert_eq!(home.status, StatusCode::OK);
    assert_html(&home);
    let csp = home.header("content-security-policy").unwrap();
    for directive in [
        "default-src 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ] {
        assert!(csp.contains(directive), "{csp}");
    }
    assert!(!csp.contains("unsafe-inline"));
    assert_eq!(home.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(home.header("referrer-policy"), Some("same-origin"));
    assert!(!text(&home).contains("<script"), "the UI has no scripts");

    for missing in [
        "/no-such-page",
        "/events/not-an-id",
        "/events/01ARZ3NDEKTSV4RRFFQ69G5FAV",
    ] {
        let reply = browser.get(missing).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{missing}");
        assert_html(&reply);
        assert!(!text(&reply).contains("\"type\""), "no JSON on pages");
    }
    // The API keeps its problem documents, and its OpenAPI document lists no page.
    let api = app.get("/api/v1/no-such-route", None).await;
    assert_eq!(api.header("content-type"), Some("application/problem+json"));
    let doc = app.get("/api/v1/openapi.json", None).await.json();
    for path in doc["paths"].as_object().unwrap().keys() {
        assert!(
            path.starts_with("/api/v1/")
                || path.starts_with("/.well-known/")
                || path == "/healthz"
                || path == "/metrics",
            "{path}"
        );
    }
    let metrics = String::from_utf8(app.get("/metrics", None).await.body.to_vec()).unwrap();
    assert!(
        metrics.contains(r#"route="web-ui",status="404"} 3"#),
        "{metrics}"
    );
    let css = browser.get("/static/prasang.css").await;
    assert_eq!(css.header("content-type"), Some("text/css; charset=utf-8"));
    // Pages need a user: to the login page and back.
    let tickets = browser.get("/me/tickets").await;
    assert_eq!(tickets.status, StatusCode::SEE_OTHER);
    assert_eq!(
        tickets.header("location"),
        Some("/login?next=%2Fme%2Ftickets")
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_form_post_needs_this_browsers_token_and_this_sites_origin() {
    let app = spawn().await;
    app.register("ada@example.org", "attendee").await;
    let mut browser = Browser::new(&app);
    let token = browser.token("/login").await;
    let login = [("email", "ada@example.org"), ("password", "password123")];
    let without: Vec<_> = login.to_vec();
    let mut with = vec![("csrf", token.as_str())];
    with.extend_from_slice(&login);

    let no_token = browser
        .post("/login", &without, Some("http://localhost"))
        .await;
    assert_eq!(no_token.status, StatusCode::FORBIDDEN);
    assert_html(&no_token);
    let other_site = browser
        .post("/login", &with, Some("https://evil.example"))
        .await;
    assert_eq!(other_site.status, StatusCode::FORBIDDEN);
    let mut stranger = Browser::new(&app);
    stranger.get("/").await;
    let other_browser = stranger
        .post("/login", &with, Some("http://localhost"))
        .await;
    assert_eq!(
        other_browser.status,
        StatusCode::FORBIDDEN,
        "a token is bound to its browser"
    );
    assert!(!browser.cookies.contains_key("prasang_session"));

    let accepted = browser
        .post("/login", &with, Some("http://localhost"))
        .await;
    assert_eq!(accepted.status, StatusCode::SEE_OTHER);
    let cookie = accepted
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .find(|c| c.starts_with("prasang_session="))
        .expect("a session cookie");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(
        !cookie.contains("Secure"),
        "plain HTTP without --behind-tls"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cookies_are_secure_behind_tls() {
    let mut config = ServerConfig::temporary();
    config.web.secure_cookies = true;
    let app = spawn_with(config).await;
    let reply = Browser::new(&app).get("/").await;
    let cookie = reply.header("set-cookie").unwrap();
    assert!(cookie.contains("; Secure"), "{cookie}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_text_is_shown_literally_never_as_markup() {
    let app = spawn().await;
    let organizer = app.user("org@example.org", "organizer").await;
    let starts = common::now_plus_days(1);
    let title = "<script>alert('t')</script>";
    let created = app
        .create_event(
            &organizer,
            &serde_json::json!({ "title": title, "location": "\"><img src=x onerror=alert(1)>",
                "starts_at": starts, "ends_at": starts.plus(std::time::Duration::from_secs(3600)),
                "capacity": 5 }),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    let id = created.json()["id"].as_str().unwrap().to_owned();
    let mut browser = Browser::new(&app);
    for path in [
        format!("/events/{id}"),
        "/".to_owned(),
        "/?q=%3Cscript%3E".to_owned(),
    ] {
        let page = text(&browser.get(&path).await);
        assert!(
            page.contains("&lt;script&gt;alert('t')&lt;/script&gt;"),
            "{path}: {page}"
        );
        assert!(!page.contains("<script"), "{path}");
        assert!(!page.contains("<img"), "{path}");
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_attendee_books_and_cancels_through_forms_and_may_not_organize() {
    let app = spawn().await;
    let (_, event) = app.organizer_with_event("org@example.org", 3, 0).await;
    app.register("ada@example.org", "attendee").await;
    let mut browser = Browser::logged_in(&app, "ada@example.org").await;

    let booked = browser
        .submit(
            &format!("/events/{event}/book"),
            &[("quantity", "1"), ("key", "k1")],
        )
        .await;
    assert_eq!(booked.status, StatusCode::SEE_OTHER);
    assert_eq!(booked.header("location"), Some("/me/tickets?done=booked"));
    // The same form sent twice books once (its idempotency key).
    browser
        .submit(
            &format!("/events/{event}/book"),
            &[("quantity", "1"), ("key", "k1")],
        )
        .await;
    assert_eq!(app.seats(&event).await["remaining"], 2);
    let tickets = text(&browser.get("/me/tickets").await);
    assert!(tickets.contains("Concert") && tickets.contains("Booked"));
    let start = tickets.find("/tickets/").unwrap();
    let cancel = &tickets[start..start + tickets[start..].find('"').unwrap()];
    let cancelled = browser.submit(cancel, &[]).await;
    assert_eq!(
        cancelled.header("location"),
        Some("/me/tickets?done=cancelled")
    );
    assert_eq!(app.seats(&event).await["remaining"], 3);

    for page in [
        "/organizer",
        "/organizer/analytics",
        &format!("/organizer/events/{event}"),
        &format!("/organizer/events/{event}/edit"),
    ] {
        let reply = browser.get(page).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{page}");
        assert_html(&reply);
    }
    assert_eq!(browser.get("/admin").await.status, StatusCode::FORBIDDEN);
    let refused = browser
        .submit(
            "/organizer/events/new",
            &[
                ("title", "Mine"),
                ("location", "Here"),
                ("starts_at", "2099-01-01T10:00"),
                ("ends_at", "2099-01-01T12:00"),
                ("capacity", "5"),
                ("per_user_limit", "1"),
                ("price", "0"),
                ("currency", "EUR"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    // The organizer's attendee list names the holder of the (cancelled) ticket.
    let mut organizer_browser = Browser::logged_in(&app, "org@example.org").await;
    let attendees = text(
        &organizer_browser
            .get(&format!("/organizer/events/{event}"))
            .await,
    );
    assert!(attendees.contains("<td>ada</td>"), "{attendees}");

    // Its sales by ticket type: the one free Admission ticket, booked then cancelled; no codes.
    app.prasang.run_analytics_once().expect("analytics");
    let page = format!("/organizer/events/{event}");
    let sales = text(&organizer_browser.get(&page).await);
    assert!(
        sales.contains("<th scope=\"row\">Admission</th><td>1</td><td>0</td><td>1</td>"),
        "{sales}"
    );
    let csv_path = format!("/organizer/analytics/csv/by-ticket-type?event={event}");
    assert!(sales.contains(&csv_path.replace('&', "&amp;")), "{sales}");
    let csv = text(&organizer_browser.get(&csv_path).await);
    assert!(
        csv.starts_with("ticket_type,name,currency,bookings"),
        "{csv}"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_event_form_keeps_what_was_entered_and_shows_the_error_beside_the_field() {
    let app = spawn().await;
    let mut browser = Browser::organizer(&app).await;
    let fields = [
        ("title", "Poetry <night>"),
        ("location", "Library"),
        ("starts_at", "2099-01-01T19:00"),
        ("ends_at", "2099-01-01T18:00"),
        ("capacity", "40"),
        ("per_user_limit", "2"),
        ("price", "12.50"),
        ("currency", "EUR"),
    ];
    let refused = browser.submit("/organizer/events/new", &fields).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let page = text(&refused);
    assert!(
        page.contains("id=\"f-ends_at-error\""),
        "the core's error is beside ends_at: {page}"
    );
    assert!(
        page.contains("value=\"Poetry &lt;night&gt;\""),
        "entered values are kept"
    );
    assert!(page.contains("value=\"12.50\""));
    let mut fixed = fields.to_vec();
    fixed[3] = ("ends_at", "2099-01-01T21:00");
    let created = browser.submit("/organizer/events/new", &fixed).await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", text(&created));
    let location = created.header("location").unwrap().to_owned();
    assert!(location.starts_with("/organizer/events/"));
    let page = text(&browser.get(&location).await);
    assert!(
        page.contains("EUR 12.50") && page.contains("Thu 1 Jan 2099, 19:00 UTC"),
        "{page}"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn event_times_are_entered_and_shown_in_the_events_own_zone() {
    let app = spawn().await;
    let mut browser = Browser::organizer(&app).await;
    let mut fields = vec![
        ("title", "Sitar evening"),
        ("location", "Bengaluru"),
        ("starts_at", "2099-03-29T02:30"),
        ("ends_at", "2099-03-29T21:00"),
        ("time_zone", "Europe/Berlin"),
        ("capacity", "40"),
        ("per_user_limit", "2"),
        ("price", "0"),
        ("currency", "INR"),
    ];
    // 02:30 on the last Sunday of March does not exist in Berlin: refused beside the field.
    let refused = browser.submit("/organizer/events/new", &fields).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let page = text(&refused);
    assert!(page.contains("id=\"f-starts_at-error\""), "{page}");
    assert!(page.contains("value=\"Europe/Berlin\""), "the zone is kept");
    fields[2] = ("starts_at", "2099-03-29T19:00");
    fields[4] = ("time_zone", "Asia/Kolkata");
    let created = browser.submit("/organizer/events/new", &fields).await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", text(&created));
    let location = created.header("location").unwrap().to_owned();
    let id = location.trim_start_matches("/organizer/events/");
    let id = id.split('?').next().unwrap().to_owned();
    let api = app.get(&format!("/api/v1/events/{id}"), None).await.json();
    assert_eq!(api["starts_at"], "2099-03-29T13:30:00Z");
    let page = text(&browser.get(&format!("/events/{id}")).await);
    assert!(
        page.contains("Sun 29 Mar 2099, 19:00 IST (UTC+05:30)"),
        "{page}"
    );
    // A new zone keeps the wall-clock times on the form: 19:00 in Berlin (summer time).
    fields[4] = ("time_zone", "Europe/Berlin");
    let saved = browser
        .submit(&format!("/organizer/events/{id}/edit"), &fields)
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", text(&saved));
    let api = app.get(&format!("/api/v1/events/{id}"), None).await.json();
    assert_eq!(api["time_zone"], "Europe/Berlin");
    assert_eq!(api["starts_at"], "2099-03-29T17:00:00Z");
    let listed = text(&browser.get("/?date=2099-03-29").await);
    assert!(listed.contains("Sitar evening"), "{listed}");
    let other_day = text(&browser.get("/?date=2099-03-30").await);
    assert!(!other_day.contains("Sitar evening"));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admins_find_users_by_part_of_a_name_and_change_a_role() {
    let app = spawn().await;
    app.register("ada.lovelace@example.org", "attendee").await;
    app.register("grace@example.org", "attendee").await;
    app.admin("root@example.org").await;
    let mut browser = Browser::logged_in(&app, "root@example.org").await;
    let found = text(&browser.get("/admin?q=LOVE").await);
    assert!(found.contains("ada.lovelace@example.org"), "{found}");
    assert!(!found.contains("grace@example.org"));
    let marker = "action=\"/admin/users/";
    let start = found.find(marker).expect("a role form") + marker.len();
    let id = &found[start..start + 26];
    let changed = browser
        .submit(
            &format!("/admin/users/{id}/role"),
            &[("role", "organizer"), ("q", "LOVE")],
        )
        .await;
    assert_eq!(changed.status, StatusCode::SEE_OTHER, "{}", text(&changed));
    assert_eq!(changed.header("location"), Some("/admin?q=LOVE&done=role"));
    let after = text(&browser.get("/admin?q=LOVE").await);
    assert!(
        after.contains("ada.lovelace@example.org · organizer"),
        "{after}"
    );
    let everyone = text(&browser.get("/admin").await);
    assert!(everyone.contains("grace@example.org") && everyone.contains("root@example.org"));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_and_a_role_change_end_the_cookie_session() {
    let app = spawn().await;
    app.register("ada@example.org", "attendee").await;
    let admin = app.admin("root@example.org").await;
    let mut browser = Browser::logged_in(&app, "ada@example.org").await;
    let old_cookies = browser.cookies.clone();
    assert!(text(&browser.get("/").await).contains("Log out"));

    let out = browser.submit("/logout", &[]).await;
    assert_eq!(out.header("location"), Some("/?done=logged-out"));
    assert!(!browser.cookies.contains_key("prasang_session"));
    // The old cookie, replayed, is dead: logout revoked its session in the core.
    browser.cookies = old_cookies;
    let replay = text(&browser.get("/").await);
    assert!(
        replay.contains("Log in") && !replay.contains("Log out"),
        "{replay}"
    );

    // A role change ends older tokens: the page falls back to refreshing, with the new role.
    browser.cookies.clear();
    browser.log_in("ada@example.org").await;
    let id = app.login("ada@example.org").await["user"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let promoted = app.set_role(&admin, &id, "organizer").await;
    assert_eq!(promoted.status, StatusCode::OK);
    assert_eq!(
        browser.get("/organizer").await.status,
        StatusCode::OK,
        "refreshed with the new role"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_login_form_is_rate_limited_like_the_api() {
    let mut config = ServerConfig::temporary();
    config.auth_rate_per_minute = 1;
    config.auth_burst = 2;
    let app = spawn_with(config).await;
    let mut browser = Browser::new(&app);
    let token = browser.token("/login").await;
    let fields = [
        ("csrf", token.as_str()),
        ("email", "nobody@example.org"),
        ("password", "wrong-password"),
    ];
    for _ in 0..2 {
        let wrong = browser
            .post("/login", &fields, Some("http://localhost"))
            .await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
        assert!(text(&wrong).contains("do not match"));
    }
    let limited = browser
        .post("/login", &fields, Some("http://localhost"))
        .await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert_html(&limited);
    assert!(limited.header("retry-after").is_some());
    assert!(text(&limited).contains("Too many attempts"));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_listing_pages_and_a_sold_out_booking_gets_its_own_page() {
    let app = spawn().await;
    let organizer = app.user("org@example.org", "organizer").await;
    let mut events = Vec::new();
    for _ in 0..13 {
        events.push(app.event_id(&organizer, 1, 0).await);
    }
    let mut browser = Browser::new(&app);
    let first = text(&browser.get("/").await);
    assert_eq!(first.matches("class=\"card\"").count(), 12);
    let start = first
        .find("rel=\"next\"")
        .map(|_| first.find("href=\"/?after=").unwrap())
        .expect("a next page");
    let next =
        first[start + 6..start + 6 + first[start + 6..].find('"').unwrap()].replace("&amp;", "&");
    let second = text(&browser.get(&next).await);
    assert_eq!(second.matches("class=\"card\"").count(), 1);
    assert!(second.contains("First page") && !second.contains("rel=\"next\""));

    app.register("ada@example.org", "attendee").await;
    app.register("bo@example.org", "attendee").await;
    let seat = &events[0];
    let mut ada = Browser::logged_in(&app, "ada@example.org").await;
    let booked = ada
        .submit(&format!("/events/{seat}/book"), &[("quantity", "1")])
        .await;
    assert_eq!(booked.status, StatusCode::SEE_OTHER);
    let mut bo = Browser::logged_in(&app, "bo@example.org").await;
    assert!(text(&bo.get(&format!("/events/{seat}")).await).contains("Sold out"));
    let refused = bo
        .submit(&format!("/events/{seat}/book"), &[("quantity", "1")])
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert_html(&refused);
    assert!(text(&refused).contains("<h1>Sold out</h1>"));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_organizer_edits_and_cancels_and_a_user_sets_channels() {
    let app = spawn().await;
    let (organizer, event) = app.organizer_with_event("org@example.org", 5, 1250).await;
    let mut browser = Browser::logged_in(&app, "org@example.org").await;
    let form = text(
        &browser
            .get(&format!("/organizer/events/{event}/edit"))
            .await,
    );
    assert!(form.contains("value=\"Concert\"") && form.contains("value=\"12.50\""));
    let value = |name: &str| {
        let marker = format!("name=\"{name}\" type=\"datetime-local\" value=\"");
        let start = form.find(&marker).unwrap() + marker.len();
        form[start..start + 16].to_owned()
    };
    let (starts, ends) = (value("starts_at"), value("ends_at"));
    let saved = browser
        .submit(
            &format!("/organizer/events/{event}/edit"),
            &[
                ("title", "Concert, moved"),
                ("description", ""),
                ("location", "Hall"),
                ("starts_at", &starts),
                ("ends_at", &ends),
                ("capacity", "5"),
                ("per_user_limit", "1"),
                ("price", "12.50"),
                ("currency", "EUR"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", text(&saved));
    assert_eq!(
        app.get(&format!("/api/v1/events/{event}"), None)
            .await
            .json()["title"],
        "Concert, moved"
    );
    // Holders keep every notification but bookings (unticked), through the organizer's form.
    let kinds = [
        "ticket_pending",
        "ticket_cancelled",
        "ticket_expired",
        "event_updated",
        "event_cancelled",
        "feedback_reply",
        "feedback_request",
    ];
    let fields: Vec<_> = kinds.iter().map(|kind| ("send", *kind)).collect();
    let saved = browser
        .submit(&format!("/organizer/events/{event}/notifications"), &fields)
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", text(&saved));
    let settings = app
        .get(
            &format!("/api/v1/events/{event}/notification-settings"),
            Some(&organizer),
        )
        .await
        .json();
    assert_eq!(
        settings["disabled_kinds"],
        serde_json::json!(["ticket_booked"])
    );
    let cancelled = browser
        .submit(&format!("/organizer/events/{event}/cancel"), &[])
        .await;
    assert_eq!(cancelled.status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.get(&format!("/api/v1/events/{event}"), None)
            .await
            .json()["status"],
        "cancelled"
    );
    assert!(text(&browser.get(&format!("/events/{event}")).await).contains("Cancelled"));

    // No channel plugins here: choosing none is allowed, an unknown one is refused by the core.
    let none = browser.submit("/me/notifications", &[]).await;
    assert_eq!(
        none.header("location"),
        Some("/me/notifications?done=preferences")
    );
    let unknown = browser
        .submit("/me/notifications", &[("channels", "pigeon")])
        .await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_html(&unknown);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reused_refresh_token_revokes_the_cookie_session_too() {
    use base64::Engine;
    let app = spawn().await;
    app.register("ada@example.org", "attendee").await;
    let mut browser = Browser::logged_in(&app, "ada@example.org").await;
    let cookie = browser.cookies["prasang_session"].clone();
    let refresh = cookie.split_once('~').unwrap().1;
    let refresh = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(refresh)
        .unwrap();
    let refresh = String::from_utf8(refresh).unwrap();
    let body = serde_json::json!({ "refresh_token": refresh });
    assert_eq!(
        app.post("/api/v1/auth/refresh", None, &body).await.status,
        StatusCode::OK
    );
    // A stolen copy used twice: the core revokes the whole family, the browser's session with it.
    assert_eq!(
        app.post("/api/v1/auth/refresh", None, &body).await.status,
        StatusCode::UNAUTHORIZED
    );
    let page = browser.get("/me/tickets").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "signed out");
    assert!(
        !browser.cookies.contains_key("prasang_session"),
        "the dead cookie is cleared"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_organizer_adds_edits_moves_closes_and_deletes_ticket_types() {
    let app = spawn().await;
    let mut browser = Browser::organizer(&app).await;
    let token = app.access_token("org@example.org").await;
    let event = app.event_id(&token, 10, 1500).await;
    let page_path = format!("/organizer/events/{event}/types");
    let api_types = || async {
        let path = format!("/api/v1/events/{event}/ticket-types");
        app.get(&path, Some(&token)).await.json()["items"].clone()
    };

    let page = text(&browser.get(&page_path).await);
    assert!(
        page.contains("Admission") && page.contains("EUR 15.00"),
        "{page}"
    );
    let organizer_page = text(&browser.get(&format!("/organizer/events/{event}")).await);
    assert!(organizer_page.contains(&format!("href=\"{page_path}\"")));

    let child = [
        ("name", "admission"),
        ("price", "7.50"),
        ("quota", "5"),
        ("sales_open_at", "2098-12-31T18:30"),
        ("min_per_order", "1"),
        ("hidden", "1"),
    ];
    // A name another type has (whatever its case): the form again, the error beside the name.
    let refused = browser.submit(&page_path, &child).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let page = text(&refused);
    assert!(page.contains("id=\"f-new-name-error\""), "{page}");
    assert!(page.contains("value=\"7.50\""), "entered values are kept");
    let mut child = child.to_vec();
    child[0] = ("name", "Child");
    let added = browser.submit(&page_path, &child).await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", text(&added));
    assert_eq!(
        added.header("location"),
        Some(format!("{page_path}?done=type-added#type-2").as_str())
    );
    let page = text(&browser.get(&page_path).await);
    assert!(
        page.contains("From Wed 31 Dec 2098, 18:30 UTC") && page.contains("Not on sale yet"),
        "the window in the event's time: {page}"
    );
    assert!(page.contains("Hidden") && page.contains("id=\"f-t2-name\""));

    // Edit: the change is saved; the window it did not touch keeps its instant.
    let type_path = format!("{page_path}/2");
    let mut edited = child.clone();
    edited[1] = ("price", "8");
    edited.push(("do", "save"));
    let saved = browser.submit(&type_path, &edited).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", text(&saved));
    let types = api_types().await;
    assert_eq!(types[1]["price_minor"], 800);
    assert_eq!(types[1]["sales_open_at"], "2098-12-31T18:30:00Z");

    let up = browser.submit(&type_path, &[("do", "up")]).await;
    assert_eq!(up.status, StatusCode::SEE_OTHER);
    assert_eq!(api_types().await[0]["name"], "Child");
    let admission = format!("{page_path}/1");
    browser.submit(&admission, &[("do", "close")]).await;
    assert_eq!(api_types().await[1]["availability"], "closed");
    let deleted = browser.submit(&admission, &[("do", "delete")]).await;
    assert_eq!(
        deleted.header("location"),
        Some(format!("{page_path}?done=type-deleted").as_str())
    );
    // The last type stays: the page says why, above the table.
    let last = browser.submit(&type_path, &[("do", "delete")]).await;
    assert_eq!(last.status, StatusCode::CONFLICT);
    assert!(
        text(&last).contains("An event needs at least one ticket type"),
        "{}",
        text(&last)
    );
    assert_eq!(api_types().await.as_array().unwrap().len(), 1);

    app.register("ada@example.org", "attendee").await;
    let mut attendee = Browser::logged_in(&app, "ada@example.org").await;
    assert_eq!(attendee.get(&page_path).await.status, StatusCode::FORBIDDEN);
    let refused = attendee.submit(&type_path, &[("do", "close")]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_organizer_creates_edits_and_deactivates_promo_codes_and_sees_their_uses() {
    let app = spawn().await;
    let mut browser = Browser::organizer(&app).await;
    let token = app.access_token("org@example.org").await;
    let event = app.event_id(&token, 10, 2000).await;
    let list = format!("/organizer/events/{event}/codes");
    let api_code = || async {
        let path = format!("/api/v1/events/{event}/promo-codes/SPRING");
        app.get(&path, Some(&token)).await.json()
    };

    let mut fields = vec![
        ("code", "x"),
        ("kind", "percent"),
        ("amount", "20"),
        ("applies_to", "1"),
        ("max_uses", ""),
    ];
    let refused = browser.submit(&list, &fields).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        text(&refused).contains("id=\"f-code-error\""),
        "{}",
        text(&refused)
    );
    fields[0] = ("code", "spring");
    let created = browser.submit(&list, &fields).await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", text(&created));
    let page_path = format!("{list}/SPRING");
    assert_eq!(
        created.header("location"),
        Some(format!("{page_path}?done=code-created").as_str())
    );
    assert_eq!(
        api_code().await["discount"],
        serde_json::json!({ "percent": 20 })
    );
    let listed = text(&browser.get(&list).await);
    assert!(
        listed.contains("20 % off") && listed.contains("Admission"),
        "{listed}"
    );

    fields.retain(|(name, _)| *name != "code");
    fields[3] = ("max_uses", "5");
    fields.push(("do", "save"));
    let saved = browser.submit(&page_path, &fields).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", text(&saved));
    assert_eq!(api_code().await["max_uses"], 5);
    let deactivated = browser.submit(&page_path, &[("do", "deactivate")]).await;
    assert_eq!(deactivated.status, StatusCode::SEE_OTHER);
    assert_eq!(api_code().await["active"], false);
    browser.submit(&page_path, &[("do", "activate")]).await;

    app.register("ada@example.org", "attendee").await;
    let ada = app.access_token("ada@example.org").await;
    let booked = app
        .post(
            &format!("/api/v1/events/{event}/tickets"),
            Some(&ada),
            &serde_json::json!({ "promo_code": "Spring" }),
        )
        .await;
    assert_eq!(booked.status, StatusCode::CREATED, "{:?}", booked.json());
    let page = text(&browser.get(&page_path).await);
    assert!(
        page.contains("EUR 4.00") && page.contains("Awaiting payment"),
        "{page}"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_buyer_applies_a_code_sees_the_total_and_books_two_adults_and_a_child() {
    let app = spawn().await;
    let organizer = app.user("org@example.org", "organizer").await;
    let body = serde_json::json!({ "title": "Circus", "location": "Tent", "capacity": 50,
        "per_user_limit": 6, "starts_at": common::now_plus_days(2),
        "ends_at": common::now_plus_days(3), "ticket_types": [
            { "name": "Adult", "price_minor": 2000 },
            { "name": "Child", "price_minor": 1000, "quota": 2 },
            { "name": "Ringside", "price_minor": 5000, "hidden": true }
        ] });
    let event = app.create_event(&organizer, &body).await.json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let code = serde_json::json!({ "code": "FAMILY", "discount": { "percent": 10 },
        "reveals": [3] });
    let path = format!("/api/v1/events/{event}/promo-codes");
    assert_eq!(
        app.post(&path, Some(&organizer), &code).await.status,
        StatusCode::CREATED
    );
    app.register("ada@example.org", "attendee").await;
    let mut browser = Browser::logged_in(&app, "ada@example.org").await;
    let book = format!("/events/{event}/book");

    let page = text(&browser.get(&format!("/events/{event}")).await);
    assert!(
        page.contains("name=\"seats-1\"") && page.contains("name=\"seats-2\""),
        "{page}"
    );
    assert!(
        !page.contains("Ringside"),
        "a hidden type is not listed without its code"
    );
    assert!(
        page.contains("From EUR 10.00"),
        "the lowest of several prices: {page}"
    );

    // A code that does not exist: the page again, the reason beside the code field.
    let mut order = vec![
        ("seats-1", "2"),
        ("seats-2", "1"),
        ("promo_code", "famly"),
        ("step", "quote"),
        ("key", "k"),
    ];
    let refused = browser.submit(&book, &order).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let page = text(&refused);
    assert!(
        page.contains("id=\"promo_code-error\"") && page.contains("value=\"famly\""),
        "{page}"
    );
    order[2] = ("promo_code", "family");
    let quoted = browser.submit(&book, &order).await;
    assert_eq!(quoted.status, StatusCode::OK);
    let page = text(&quoted);
    assert!(
        page.contains("Ringside"),
        "the code reveals the hidden type: {page}"
    );
    assert!(
        page.contains("takes off EUR 5.00") && page.contains("Total: EUR 45.00"),
        "{page}"
    );
    assert!(
        page.contains("name=\"seats-1\" type=\"number\" min=\"0\" max=\"6\" value=\"2\""),
        "{page}"
    );
    assert_eq!(app.seats(&event).await["held"], 0, "a quote holds nothing");

    // More children than are left: the page says which, and nothing is held.
    let mut too_many = order.clone();
    too_many[1] = ("seats-2", "3");
    too_many[3] = ("step", "book");
    let refused = browser.submit(&book, &too_many).await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert!(
        text(&refused).contains("Child: only 2 seats of this ticket type are left"),
        "{}",
        text(&refused)
    );
    assert_eq!(app.seats(&event).await["held"], 0);

    order[3] = ("step", "book");
    let booked = browser.submit(&book, &order).await;
    assert_eq!(booked.status, StatusCode::SEE_OTHER, "{}", text(&booked));
    assert_eq!(booked.header("location"), Some("/me/tickets?done=held"));
    let mine = text(&browser.get("/me/tickets").await);
    assert!(
        mine.contains("2\u{a0}×\u{a0}Adult")
            && mine.contains("1\u{a0}×\u{a0}Child")
            && mine.contains("EUR 45.00"),
        "{mine}"
    );
    assert!(mine.contains("Code FAMILY: −EUR 5.00"), "{mine}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_event_page_shows_attendance_and_the_arrival_curve() {
    let app = spawn().await;
    let mut browser = Browser::organizer(&app).await;
    let organizer = app.access_token("org@example.org").await;
    let event = app.event_id(&organizer, 10, 0).await;
    let ada = app.user("ada@example.org", "attendee").await;
    let booked = app.book(&event, &ada).await.json();
    let ticket = booked["id"].as_str().unwrap().parse().unwrap();
    let holder = app.prasang.auth().verify(&ada).unwrap();
    let code = app.prasang.admissions().codes(&holder, ticket).unwrap()[0]
        .code
        .clone();
    let request = prasang_core::checkin::CheckInRequest {
        event: event.parse().unwrap(),
        code: &code,
        gate: "North".into(),
        scan_id: "scan-1".into(),
    };
    let scanner = app.prasang.auth().verify(&organizer).unwrap();
    app.prasang
        .check_ins()
        .check_in(&scanner, request)
        .expect("admitted");
    app.prasang.run_analytics_once().expect("analytics");

    let page = text(&browser.get(&format!("/organizer/events/{event}")).await);
    assert!(
        page.contains("<h2 id=\"attendance\">Attendance</h2>"),
        "{page}"
    );
    assert!(
        page.contains("<strong>1 / 1</strong>seats checked in"),
        "{page}"
    );
    // The arrival curve: one bar of one check-in, drawn on the server, with its CSV.
    assert!(page.contains("id=\"chart-arrivals\""), "{page}");
    assert!(
        page.contains("data-series=\"Checked in\" data-value=\"1\""),
        "{page}"
    );
    let csv = format!("/organizer/analytics/csv/arrivals?event={event}");
    assert!(page.contains(&csv.replace('&', "&amp;")), "{page}");
    assert!(text(&browser.get(&csv).await).starts_with("starts_at,time,checked_in"));
    app.stop().await;
}
