//! The web pages of buying without an account (issue 29): guest checkout on the event page,
//! the sign-in link's page (a GET never spends it), asking for a link (the same answer for any
//! address), setting a password, names per seat, the organizer's attendee list and CSV, and the
//! booking widget (framed only by the organizer's origins, its form refusing forged posts).

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::browser::{Browser, text};
use common::{TestApp, spawn, spawn_with};
use hyper::StatusCode;
use prasang_core::notify::{Channel, DeliveryError, Notification, Receipt};
use prasang_core::{Clock, Config, ManualClock, SystemClock};
use prasang_server::ServerConfig;
use serde_json::json;

/// An `email` channel that keeps the sign-in links it is given (the core signs links only for
/// the channel with that id).
#[derive(Default)]
struct Mailbox {
    links: Mutex<Vec<(String, String)>>,
}

impl Channel for Mailbox {
    fn id(&self) -> &str {
        "email"
    }

    fn deliver(&self, notification: &Notification) -> Result<Receipt, DeliveryError> {
        if let Some(access) = &notification.access {
            self.links
                .lock()
                .unwrap()
                .push((notification.recipient.email.clone(), access.url.clone()));
        }
        Ok(Receipt {
            remote_id: None,
            detail: "kept".into(),
        })
    }
}

impl Mailbox {
    /// Installs a mailbox on `app`.
    fn on(app: &TestApp) -> Arc<Mailbox> {
        let mailbox = Arc::new(Mailbox::default());
        app.prasang
            .register_channel(mailbox.clone())
            .expect("the channel registers");
        mailbox
    }

    /// The token of the `n`th sign-in link sent to `email` (waits up to 10 s for it).
    async fn token(&self, app: &TestApp, email: &str, n: usize) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            app.prasang
                .run_notifications_once()
                .expect("notifications run");
            let found = self
                .links
                .lock()
                .unwrap()
                .iter()
                .filter(|(to, _)| to == email)
                .nth(n)
                .map(|(_, url)| url.clone());
            if let Some(url) = found {
                let (_, token) = url.split_once("/guest/access?token=").expect("a link");
                return token.to_owned();
            }
            assert!(Instant::now() < deadline, "no sign-in link for {email}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// An organizer (`org@example.org`) with an event of 10 free seats asking for `names`; its id.
async fn event_asking_names(app: &TestApp, names: &str) -> String {
    let organizer = app.user("org@example.org", "organizer").await;
    let starts = app.prasang.now().plus(Duration::from_secs(86_400));
    let body = json!({ "title": "Concert", "location": "Hall", "starts_at": starts,
                       "ends_at": starts.plus(Duration::from_secs(3600)),
                       "capacity": 10, "price_minor": 0, "per_user_limit": 4,
                       "attendee_names": names });
    let reply = app.create_event(&organizer, &body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.json());
    reply.json()["id"].as_str().unwrap().to_owned()
}

/// A guest checkout from the event page with `names` for 2 seats.
async fn guest_books(
    browser: &mut Browser<'_>,
    event: &str,
    email: &str,
    names: &[&str],
) -> String {
    let csrf = browser.token(&format!("/events/{event}")).await;
    let mut fields = vec![
        ("csrf", csrf.as_str()),
        ("name", "Gita Guest"),
        ("email", email),
        ("quantity", "2"),
        ("step", "book"),
    ];
    fields.extend(names.iter().map(|name| ("attendee_name", *name)));
    let reply = browser
        .post(
            &format!("/events/{event}/guest"),
            &fields,
            Some("http://localhost"),
        )
        .await;
    let page = text(&reply);
    assert_eq!(reply.status, StatusCode::OK, "{page}");
    page
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_visitor_buys_without_an_account_with_a_name_on_each_seat() {
    let app = spawn().await;
    let event = event_asking_names(&app, "required").await;
    let mut visitor = Browser::new(&app);
    let page = text(&visitor.get(&format!("/events/{event}")).await);
    assert!(page.contains("Buy without an account"), "{page}");
    assert!(page.contains(&format!("action=\"/events/{event}/guest#book\"")));
    assert!(page.contains("Name on seat 2") && page.contains("name=\"attendee_name\""));

    let page = guest_books(&mut visitor, &event, "gita@example.org", &["Ada", "Bo"]).await;
    assert!(page.contains("<h1>Booked</h1>"), "{page}");
    assert!(page.contains(
        "We e-mailed your tickets and a sign-in link to <strong>gita@example.org</strong>"
    ));
    assert!(page.contains("Seat 1: Ada") && page.contains("Seat 2: Bo"));
    assert_eq!(app.seats(&event).await["booked"], 2);
    // Someone else typing that address over the limit is not told what it holds.
    let reply = Browser::new(&app)
        .submit(
            &format!("/events/{event}/guest"),
            &[
                ("name", "Other"),
                ("email", "gita@example.org"),
                ("quantity", "3"),
                ("attendee_name", "A"),
                ("attendee_name", "B"),
                ("attendee_name", "C"),
            ],
        )
        .await;
    assert_eq!(reply.status, StatusCode::CONFLICT);
    let page = text(&reply);
    assert!(
        page.contains("One e-mail address can book at most 4 seats for this event in all."),
        "{page}"
    );
    assert!(!page.contains("already hold"), "{page}");

    // The organizer sees the names per seat on the list and in the CSV.
    let mut organizer = Browser::logged_in(&app, "org@example.org").await;
    let page = text(&organizer.get(&format!("/organizer/events/{event}")).await);
    assert!(
        page.contains("Gita Guest") && page.contains("Seat 2: Bo"),
        "{page}"
    );
    let csv = organizer
        .get(&format!("/organizer/events/{event}/attendees.csv"))
        .await;
    assert_eq!(
        csv.header("content-type"),
        Some("text/csv; charset=utf-8"),
        "{}",
        text(&csv)
    );
    let csv = text(&csv);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "ticket,holder,status,seat,ticket_type,attendee_name"
    );
    assert!(
        lines[1].ends_with(",Gita Guest,Booked,1,Admission,Ada"),
        "{csv}"
    );
    assert!(
        lines[2].ends_with(",Gita Guest,Booked,2,Admission,Bo"),
        "{csv}"
    );
    // Attendees may not read it.
    let mut attendee = Browser::new(&app);
    app.register("a@example.org", "attendee").await;
    attendee.log_in("a@example.org").await;
    let refused = attendee
        .get(&format!("/organizer/events/{event}/attendees.csv"))
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_that_do_not_fit_the_seats_or_the_rules_are_refused_beside_them() {
    let app = spawn().await;
    let event = event_asking_names(&app, "required").await;
    let mut visitor = Browser::new(&app);
    let csrf = visitor.token(&format!("/events/{event}")).await;
    let post = |names: &'static [&'static str]| {
        let mut fields = vec![
            ("csrf", csrf.clone()),
            ("name", "Gita".to_owned()),
            ("email", "gita@example.org".to_owned()),
            ("quantity", "2".to_owned()),
        ];
        fields.extend(
            names
                .iter()
                .map(|name| ("attendee_name", (*name).to_owned())),
        );
        fields
    };
    for (names, message) in [
        (&["Ada", ""][..], "Every seat needs a name"),
        (&[][..], "This event needs a name for each of the 2 seats"),
        (
            &["Ada", "Bo", "Cy"][..],
            "You gave names for 3 seats but chose 2",
        ),
        (&["Ada", "Bo\u{7}"][..], "attendee"),
    ] {
        let fields = post(names);
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let reply = visitor
            .post(
                &format!("/events/{event}/guest"),
                &fields,
                Some("http://localhost"),
            )
            .await;
        let page = text(&reply);
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{names:?}: {page}"
        );
        let fieldset = &page[page.find("id=\"attendee_names\"").expect("the names")..];
        assert!(
            fieldset.contains("field-error") && page.contains(message),
            "{names:?}: {page}"
        );
        // The form comes back as entered.
        assert!(page.contains("value=\"Gita\""));
    }
    assert_eq!(app.seats(&event).await["booked"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sign_in_link_is_spent_by_the_button_never_by_opening_it() {
    let app = spawn().await;
    let mailbox = Mailbox::on(&app);
    let event = event_asking_names(&app, "optional").await;
    let mut buyer = Browser::new(&app);
    guest_books(&mut buyer, &event, "gita@example.org", &[]).await;
    let token = mailbox.token(&app, "gita@example.org", 0).await;

    // Opening the link (twice, as a mail scanner and then its reader would) spends nothing.
    let mut reader = Browser::new(&app);
    for _ in 0..2 {
        let reply = reader.get(&format!("/guest/access?token={token}")).await;
        assert_eq!(reply.status, StatusCode::OK);
        // Its address holds the token: no other site may see it as a referrer.
        assert_eq!(reply.header("referrer-policy"), Some("same-origin"));
        let page = text(&reply);
        assert!(page.contains("action=\"/guest/access\"") && page.contains(&token));
    }
    // The button does: a session as the login page starts it, then My tickets.
    let reply = reader.submit("/guest/access", &[("token", &token)]).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", text(&reply));
    assert_eq!(
        reply.header("location"),
        Some("/me/tickets?done=guest-signed-in")
    );
    assert!(reader.cookies.contains_key("prasang_session"));
    let page = text(&reader.get("/me/tickets").await);
    assert!(
        page.contains("Concert") && page.contains("Set a password"),
        "{page}"
    );
    // Names per seat can be given afterwards, one field per seat.
    assert!(page.contains("action=\"/tickets/"), "{page}");

    // A second use, and a tampered link, get the page to ask for a new one.
    let mut other = Browser::new(&app);
    let reply = other.submit("/guest/access", &[("token", &token)]).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    let page = text(&reply);
    assert!(
        page.contains("already used") && page.contains("action=\"/guest/link\""),
        "{page}"
    );
    assert!(!other.cookies.contains_key("prasang_session"));
    let tampered = format!("{}A", &token[..token.len() - 1]);
    let tampered = if tampered == token {
        format!("{}B", &token[..token.len() - 1])
    } else {
        tampered
    };
    let reply = other.submit("/guest/access", &[("token", &tampered)]).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert!(text(&reply).contains("not valid"));

    // The guest sets a password: a normal account from now on, with the same ticket.
    let reply = reader
        .submit(
            "/me/password",
            &[
                ("password", "password123"),
                ("gender", "female"),
                ("age", "31"),
            ],
        )
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", text(&reply));
    let mut returning = Browser::new(&app);
    returning.log_in("gita@example.org").await;
    let page = text(&returning.get("/me/tickets").await);
    assert!(
        page.contains("Concert") && !page.contains("Set a password"),
        "{page}"
    );
    let page = text(&returning.get("/me/password").await);
    assert!(page.contains("has a password already"), "{page}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn asking_for_a_link_answers_the_same_for_any_address() {
    let app = spawn().await;
    let mailbox = Mailbox::on(&app);
    let event = event_asking_names(&app, "not_asked").await;
    let mut buyer = Browser::new(&app);
    guest_books(&mut buyer, &event, "gita@example.org", &[]).await;
    mailbox.token(&app, "gita@example.org", 0).await;

    let login = text(&buyer.get("/login").await);
    assert!(login.contains("href=\"/guest/link\""), "{login}");
    let mut asker = Browser::new(&app);
    let mut answers = Vec::new();
    for email in ["gita@example.org", "nobody@example.org", "org@example.org"] {
        let reply = asker.submit("/guest/link", &[("email", email)]).await;
        assert_eq!(reply.status, StatusCode::OK);
        answers.push(text(&reply));
    }
    assert!(answers[0].contains("If this address has tickets, a sign-in link is on its way"));
    assert!(answers.iter().all(|answer| *answer == answers[0]));
    // The known guest's address did get a second link.
    mailbox.token(&app, "gita@example.org", 1).await;
    // A malformed address is refused beside the field.
    let reply = asker
        .submit("/guest/link", &[("email", "not an address")])
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text(&reply).contains("field-error"));

    // Registering with the guest's address says what to do instead.
    let reply = asker
        .submit(
            "/register",
            &[
                ("name", "Gita"),
                ("email", "gita@example.org"),
                ("password", "password123"),
                ("gender", "female"),
                ("age", "31"),
                ("role", "attendee"),
            ],
        )
        .await;
    assert_eq!(reply.status, StatusCode::CONFLICT);
    assert!(
        text(&reply).contains("bought without an account"),
        "{}",
        text(&reply)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_widget_is_framed_only_by_the_organizers_sites_and_refuses_forged_posts() {
    let app = spawn().await;
    let event = event_asking_names(&app, "optional").await;
    let mut organizer = Browser::logged_in(&app, "org@example.org").await;
    app.register("a@example.org", "attendee").await;
    let mut attendee = Browser::logged_in(&app, "a@example.org").await;
    assert_eq!(
        attendee.get("/organizer/embed").await.status,
        StatusCode::FORBIDDEN
    );
    // Before any site is listed, nobody may frame it.
    let reply = Browser::new(&app)
        .get(&format!("/embed/events/{event}"))
        .await;
    let policy = reply.header("content-security-policy").unwrap().to_owned();
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");

    let reply = organizer
        .submit(
            "/organizer/embed",
            &[(
                "embed_origins",
                "https://Venue.example/\r\nhttp://localhost:8000\r\n",
            )],
        )
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", text(&reply));
    let reply = organizer
        .submit(
            "/organizer/embed",
            &[("embed_origins", "https://venue.example/shop")],
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text(&reply).contains("field-error"));
    let page = text(&organizer.get(&format!("/organizer/events/{event}")).await);
    assert!(
        page.contains(&format!("&lt;iframe src=&quot;http://127.0.0.1:8080/embed/events/{event}&quot; title=&quot;Tickets: Concert&quot;")),
        "{page}"
    );

    let mut frame = Browser::new(&app);
    let reply = frame.get(&format!("/embed/events/{event}")).await;
    assert_eq!(reply.status, StatusCode::OK);
    let policy = reply.header("content-security-policy").unwrap();
    assert!(
        policy.contains("frame-ancestors https://venue.example http://localhost:8000;"),
        "{policy}"
    );
    assert_eq!(reply.header("x-frame-options"), None);
    // Inside a cross-site frame no cookie would come back: the widget sets none.
    assert!(reply.headers.get("set-cookie").is_none());
    let page = text(&reply);
    assert!(!page.contains("<header") && page.contains("/static/embed.css"));
    let token = hidden_input(&page, "csrf");
    let key = hidden_input(&page, "key");
    // Every other page keeps 'none'.
    for path in ["/", &format!("/events/{event}"), "/guest/link"] {
        let reply = frame.get(path).await;
        let policy = reply.header("content-security-policy").unwrap();
        assert!(
            policy.contains("frame-ancestors 'none'"),
            "{path}: {policy}"
        );
        assert_eq!(reply.header("x-frame-options"), Some("DENY"));
    }

    let fields = |csrf: &str| {
        vec![
            ("csrf", csrf.to_owned()),
            ("key", key.clone()),
            ("name", "Wim Widget".to_owned()),
            ("email", "wim@example.org".to_owned()),
            ("quantity", "1".to_owned()),
            ("attendee_name", "Wim".to_owned()),
        ]
    };
    let post = |csrf: String, origin: Option<&'static str>| {
        let fields = fields(&csrf);
        let event = event.clone();
        let app = &app;
        async move {
            let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            Browser::new(app)
                .post(&format!("/embed/events/{event}"), &fields, origin)
                .await
        }
    };
    // Forged: from the venue's (or any other) page, without the token, with another event's.
    let other = event_of_another_organizer(&app).await;
    let other_token = hidden_input(
        &text(&frame.get(&format!("/embed/events/{other}")).await),
        "csrf",
    );
    for (csrf, origin) in [
        (token.clone(), Some("https://venue.example")),
        (token.clone(), Some("https://evil.example")),
        (String::new(), Some("http://localhost")),
        ("1.AAAA".to_owned(), Some("http://localhost")),
        (other_token, Some("http://localhost")),
    ] {
        let reply = post(csrf.clone(), origin).await;
        assert_eq!(
            reply.status,
            StatusCode::FORBIDDEN,
            "{csrf} from {origin:?}"
        );
        let policy = reply.header("content-security-policy").unwrap();
        assert!(policy.contains("frame-ancestors 'none'"));
    }
    assert_eq!(app.seats(&event).await["booked"], 0);

    // The framed page itself posts it: booked, the confirmation in the frame.
    let reply = post(token.clone(), Some("http://localhost")).await;
    let page = text(&reply);
    assert_eq!(reply.status, StatusCode::OK, "{page}");
    assert!(
        page.contains("<h1>Booked</h1>")
            && page.contains("wim@example.org")
            && page.contains("Seat 1: Wim"),
        "{page}"
    );
    assert!(
        reply
            .header("content-security-policy")
            .unwrap()
            .contains("frame-ancestors https://venue.example")
    );
    assert!(reply.headers.get("set-cookie").is_none());
    // Sent twice (a reload): booked once.
    let again = post(token, Some("http://localhost")).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(app.seats(&event).await["booked"], 1);
}

/// An event of `other@example.org`, who lists no site.
async fn event_of_another_organizer(app: &TestApp) -> String {
    let organizer = app.user("other@example.org", "organizer").await;
    app.event_id(&organizer, 5, 0).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_event_form_sets_whether_names_are_asked() {
    let app = spawn().await;
    let event = event_asking_names(&app, "not_asked").await;
    let mut organizer = Browser::logged_in(&app, "org@example.org").await;
    let form = text(
        &organizer
            .get(&format!("/organizer/events/{event}/edit"))
            .await,
    );
    assert!(
        form.contains("name=\"attendee_names\" value=\"not_asked\" checked"),
        "{form}"
    );
    let field = |name: &str| hidden_input(&form, name);
    let (title, location, starts, ends, capacity, limit, price, currency, zone) = (
        field("title"),
        field("location"),
        field("starts_at"),
        field("ends_at"),
        field("capacity"),
        field("per_user_limit"),
        field("price"),
        field("currency"),
        field("time_zone"),
    );
    let reply = organizer
        .submit(
            &format!("/organizer/events/{event}/edit"),
            &[
                ("title", &title),
                ("location", &location),
                ("starts_at", &starts),
                ("ends_at", &ends),
                ("capacity", &capacity),
                ("per_user_limit", &limit),
                ("price", &price),
                ("currency", &currency),
                ("time_zone", &zone),
                ("attendee_names", "required"),
            ],
        )
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", text(&reply));
    let form = text(
        &organizer
            .get(&format!("/organizer/events/{event}/edit"))
            .await,
    );
    assert!(
        form.contains("name=\"attendee_names\" value=\"required\" checked"),
        "{form}"
    );
    let reply = app.get(&format!("/api/v1/events/{event}"), None).await;
    assert_eq!(reply.json()["attendee_names"], "required");
}

/// The value of the (first) input named `name` in `page`.
fn hidden_input(page: &str, name: &str) -> String {
    let start = page.find(&format!("name=\"{name}\"")).expect("the field");
    let rest = &page[start..];
    let value = rest.find("value=\"").expect("a value") + "value=\"".len();
    rest[value..value + rest[value..].find('"').unwrap()].to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_holder_names_the_seats_on_my_tickets_and_the_door_shows_the_name() {
    let app = spawn().await;
    let event = event_asking_names(&app, "optional").await;
    app.register("a@example.org", "attendee").await;
    let mut attendee = Browser::logged_in(&app, "a@example.org").await;
    let page = text(&attendee.get(&format!("/events/{event}")).await);
    assert!(page.contains("Name on seat 1") && !page.contains("Buy without an account"));
    let reply = attendee
        .submit(
            &format!("/events/{event}/book"),
            &[
                ("quantity", "2"),
                ("attendee_name", ""),
                ("attendee_name", "Bo"),
            ],
        )
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", text(&reply));
    let page = text(&attendee.get("/me/tickets").await);
    let at = page.find("action=\"/tickets/").expect("a names form") + "action=\"/tickets/".len();
    let ticket = page[at..at + page[at..].find('/').unwrap()].to_owned();
    // Each ticket's fields have ids of their own (several forms on one page).
    let second = format!(
        "id=\"t{ticket}-attendee_name-2\" name=\"attendee_name\" type=\"text\" autocomplete=\"off\" maxlength=\"100\" value=\"Bo\""
    );
    assert!(page.contains(&second), "{page}");

    // A name too long is refused on the ticket's names page, as entered.
    let long = "x".repeat(101);
    let reply = attendee
        .submit(
            &format!("/tickets/{ticket}/names"),
            &[("attendee_name", "Cy"), ("attendee_name", &long)],
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    let page = text(&reply);
    assert!(
        page.contains("field-error") && page.contains("value=\"Cy\""),
        "{page}"
    );
    let reply = attendee
        .submit(
            &format!("/tickets/{ticket}/names"),
            &[("attendee_name", "Cy"), ("attendee_name", "")],
        )
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", text(&reply));
    assert_eq!(
        reply.header("location"),
        Some("/me/tickets?done=names-saved")
    );
    let page = text(&attendee.get(&format!("/tickets/{ticket}/names")).await);
    assert!(page.contains("value=\"Cy\""), "{page}");
    // Someone else's ticket is not theirs to name.
    let mut stranger = Browser::new(&app);
    app.register("s@example.org", "attendee").await;
    stranger.log_in("s@example.org").await;
    let reply = stranger
        .submit(
            &format!("/tickets/{ticket}/names"),
            &[("attendee_name", "Eve"), ("attendee_name", "")],
        )
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);

    // At the door, the seat's name shows with the holder's; an unnamed seat shows the holder.
    let token = app.access_token("a@example.org").await;
    let seats = app
        .get(
            &format!("/api/v1/tickets/{ticket}/admissions"),
            Some(&token),
        )
        .await
        .json()["seats"]
        .clone();
    let mut organizer = Browser::logged_in(&app, "org@example.org").await;
    for (seat, shown) in [
        (0, "Cy <span class=\"meta\">(ticket of a)</span>"),
        (1, "<p class=\"who\">a</p>"),
    ] {
        let reply = organizer
            .submit(
                &format!("/events/{event}/door"),
                &[
                    ("code", seats[seat]["code"].as_str().unwrap()),
                    ("gate", "Door"),
                    ("scan_id", &format!("s{seat}")),
                ],
            )
            .await;
        let page = text(&reply);
        assert!(
            page.contains("<h2>Admitted</h2>") && page.contains(shown),
            "{page}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_widget_form_left_open_for_hours_is_shown_again_not_booked() {
    let clock = ManualClock::new(SystemClock.now());
    let app = spawn_with(ServerConfig {
        store: Config::temporary().clock(clock.clone()),
        ..ServerConfig::temporary()
    })
    .await;
    let event = event_asking_names(&app, "not_asked").await;
    let mut frame = Browser::new(&app);
    let page = text(&frame.get(&format!("/embed/events/{event}")).await);
    let fields = [
        ("csrf", hidden_input(&page, "csrf")),
        ("key", hidden_input(&page, "key")),
        ("name", "Wim".to_owned()),
        ("email", "wim@example.org".to_owned()),
        ("quantity", "1".to_owned()),
    ];
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    clock.advance(Duration::from_secs(3 * 3600));
    let path = format!("/embed/events/{event}");
    let reply = frame.post(&path, &fields, Some("http://localhost")).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", text(&reply));
    let expired = format!("{path}?expired=1");
    assert_eq!(reply.header("location"), Some(expired.as_str()));
    let page = text(&frame.get(&expired).await);
    assert!(page.contains("nothing was booked"), "{page}");
    assert_eq!(app.seats(&event).await["booked"], 0);
    // The page shown again carries a fresh token, which books.
    let fields = [("csrf", hidden_input(&page, "csrf"))]
        .into_iter()
        .chain(fields[1..].iter().map(|(k, v)| (*k, (*v).to_owned())))
        .collect::<Vec<_>>();
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let reply = frame.post(&path, &fields, Some("http://localhost")).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", text(&reply));
    assert_eq!(app.seats(&event).await["booked"], 1);
}
