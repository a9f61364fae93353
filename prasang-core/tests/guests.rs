//! Buying without an account (issue 29): guest checkout, sign-in links, a guest who sets a
//! password, and attendee names per seat.

mod common;
mod notify_support;

use std::sync::Arc;
use std::time::Duration;

use common::{START, World, new_event, new_user};
use notify_support::Recording;
use prasang_core::auth::{Actor, AuthError, Session};
use prasang_core::events::{AttendeeNames, Event, EventUpdate};
use prasang_core::guests::{GuestCheckout, GuestError, GuestRegistration, LINK_TTL};
use prasang_core::notify::{Channel, DeliveryPolicy, Notification, NotificationKind};
use prasang_core::tickets::{BookingOutcome, BookingRequest, TicketError};
use prasang_core::users::{Gender, Role, UserError};
use prasang_core::{CommonError, Config, PageRequest, Prasang, UserId};

const PUBLIC_URL: &str = "https://tickets.example.org";

/// A store delivering over a recorded `email` channel, plus `others` channels every user gets
/// by default too.
fn world(others: &[&str]) -> (Arc<Recording>, Vec<Arc<Recording>>, World) {
    let email = Arc::new(Recording::new("email"));
    let others: Vec<_> = others
        .iter()
        .map(|id| Arc::new(Recording::new(id)))
        .collect();
    let world = World::with(|config: Config| {
        let mut default_channels = vec!["email".to_owned()];
        let mut config = config
            .public_url(PUBLIC_URL)
            .channel(Arc::clone(&email) as _);
        for other in &others {
            default_channels.push(Channel::id(other.as_ref()).to_owned());
            config = config.channel(Arc::clone(other) as _);
        }
        config.delivery_policy(DeliveryPolicy {
            default_channels,
            ..DeliveryPolicy::default()
        })
    });
    (email, others, world)
}

fn organizer_and_event(world: &World, names: AttendeeNames) -> (Actor, Event) {
    let organizer = world.user("Olga", Role::Organizer);
    let new = prasang_core::events::NewEvent {
        attendee_names: names,
        ..new_event(20, 0, 4)
    };
    let event = world
        .prasang
        .events()
        .create(&organizer, new)
        .expect("event");
    (organizer, event)
}

/// Olga's free event of `capacity` seats, at most `per_person` a person.
fn free_event(world: &World, capacity: i64, per_person: i64) -> Event {
    let organizer = world.user("Olga", Role::Organizer);
    world
        .prasang
        .events()
        .create(&organizer, new_event(capacity, 0, per_person))
        .expect("event")
}

fn checkout(email: &str, event: &Event, seats: i64) -> GuestCheckout {
    GuestCheckout {
        name: "Gita Guest".into(),
        email: email.into(),
        booking: BookingRequest::seats(event.id, seats),
    }
}

/// Olga's event, where the guest Gita (gita@example.org) books one seat; her confirmation has
/// been delivered.
fn gita_books_a_seat(world: &World) -> (Event, BookingOutcome) {
    let (_, event) = organizer_and_event(world, AttendeeNames::NotAsked);
    let booked = world
        .prasang
        .guests()
        .book(&checkout("gita@example.org", &event, 1))
        .expect("checkout");
    deliver(world);
    (event, booked)
}

fn deliver(world: &World) {
    world.prasang.run_notifications_once().expect("dispatch");
}

/// The sign-in tokens the channel was given, in order.
fn tokens(channel: &Recording) -> Vec<String> {
    channel
        .notifications()
        .iter()
        .filter_map(|n| n.access.as_ref())
        .map(|access| {
            let prefix = format!("{PUBLIC_URL}/guest/access?token=");
            access
                .url
                .strip_prefix(&prefix)
                .unwrap_or_else(|| panic!("a link under {prefix}: {}", access.url))
                .to_owned()
        })
        .collect()
}

fn of_kind(channel: &Recording, kind: NotificationKind) -> Vec<Notification> {
    channel
        .notifications()
        .into_iter()
        .filter(|n| n.kind == kind)
        .collect()
}

fn actor(prasang: &Prasang, session: &Session) -> Actor {
    prasang
        .auth()
        .verify(&session.access_token)
        .expect("a valid session")
}

#[test]
fn a_guest_books_opens_the_link_of_the_confirmation_and_cancels() {
    let (email, _, world) = world(&[]);
    let (_, event) = organizer_and_event(&world, AttendeeNames::NotAsked);
    let booked = world
        .prasang
        .guests()
        .book(&checkout("Gita@Example.org", &event, 2))
        .expect("guest checkout");
    assert_eq!(booked.ticket.quantity, 2);
    deliver(&world);

    let confirmations = of_kind(&email, NotificationKind::TicketBooked);
    assert_eq!(confirmations.len(), 1);
    let confirmation = &confirmations[0];
    assert_eq!(confirmation.recipient.email, "gita@example.org");
    let access = confirmation
        .access
        .as_ref()
        .expect("the confirmation carries a link");
    assert_eq!(access.expires_at, START.plus(LINK_TTL));
    let token = &tokens(&email)[0];

    let session = world.prasang.guests().open(token).expect("the link opens");
    assert!(session.user.guest);
    assert_eq!(session.user.id, booked.ticket.user);
    assert_eq!(session.user.email, "gita@example.org");
    let gita = actor(&world.prasang, &session);
    let mine = world
        .prasang
        .tickets()
        .list_mine(&gita, &PageRequest::default())
        .expect("list");
    assert_eq!(mine.items.len(), 1);
    assert_eq!(mine.items[0].id, booked.ticket.id);
    world
        .prasang
        .tickets()
        .cancel(&gita, booked.ticket.id)
        .expect("the guest cancels");

    // Used once: never again.
    assert!(matches!(
        world.prasang.guests().open(token),
        Err(GuestError::LinkUsed)
    ));
    // A guest has no password to log in with, whatever is typed.
    for password in ["", "Gita Guest", "a long enough password"] {
        assert!(matches!(
            world.prasang.auth().login("gita@example.org", password),
            Err(AuthError::InvalidCredentials)
        ));
    }
}

#[test]
fn a_link_is_refused_when_tampered_expired_foreign_or_spent_by_another_copy() {
    let (email, others, world) = world(&["sms"]);
    gita_books_a_seat(&world);
    let token = tokens(&email).pop().expect("a link");

    // The confirmation also went by SMS, but a link proves the e-mail address: e-mail only.
    let sms = &others[0];
    assert_eq!(of_kind(sms, NotificationKind::TicketBooked).len(), 1);
    assert!(tokens(sms).is_empty(), "no link over another channel");

    // Any changed character breaks the signature.
    for at in [0, 40, 70, 139] {
        let mut tampered: Vec<char> = token.chars().collect();
        tampered[at] = if tampered[at] == 'A' { 'B' } else { 'A' };
        let tampered: String = tampered.into_iter().collect();
        assert!(
            matches!(
                world.prasang.guests().open(&tampered),
                Err(GuestError::LinkInvalid)
            ),
            "{at}"
        );
    }
    assert!(matches!(
        world.prasang.guests().open("not a token"),
        Err(GuestError::LinkInvalid)
    ));

    // A link signed by another store's key opens nothing here.
    let (other_email, _, elsewhere) = world_at_another_store();
    assert!(matches!(
        world.prasang.guests().open(&other_email),
        Err(GuestError::LinkInvalid)
    ));
    drop(elsewhere);

    // Past its 30 minutes, the link is refused as expired.
    world.clock.advance(LINK_TTL + Duration::from_secs(1));
    assert!(matches!(
        world.prasang.guests().open(&token),
        Err(GuestError::LinkExpired)
    ));

    // A new link works, once.
    world
        .prasang
        .guests()
        .request_link("gita@example.org")
        .expect("request");
    deliver(&world);
    let fresh = tokens(&email).pop().expect("a new link");
    assert_ne!(fresh, token);
    world.prasang.guests().open(&fresh).expect("opens");
    assert!(matches!(
        world.prasang.guests().open(&fresh),
        Err(GuestError::LinkUsed)
    ));
}

/// A guest's link from a store with its own signing key.
fn world_at_another_store() -> (String, Arc<Recording>, World) {
    let (email, _, world) = world(&[]);
    gita_books_a_seat(&world);
    let token = tokens(&email).pop().expect("a link");
    (token, email, world)
}

#[test]
fn asking_for_a_link_answers_the_same_for_every_address_and_is_limited_per_address() {
    let (email, _, world) = world(&[]);
    world.register("Ada", Role::Attendee);
    let (event, _) = gita_books_a_seat(&world);
    let before = email.notifications().len();

    let guests = world.prasang.guests();
    for address in ["nobody@example.org", "ada@example.org", "GITA@example.org"] {
        assert!(guests.request_link(address).is_ok(), "{address}");
    }
    deliver(&world);
    let sent = &email.notifications()[before..];
    assert_eq!(sent.len(), 1, "only the guest is sent a link: {sent:#?}");
    assert_eq!(sent[0].kind, NotificationKind::GuestAccess);
    assert_eq!(sent[0].recipient.email, "gita@example.org");
    assert!(sent[0].access.is_some());
    assert_eq!(
        sent[0].event.id, event.id,
        "named by the latest ticket's event"
    );

    // Two more fit in the window, then nothing is sent (and the answer does not change).
    for _ in 0..4 {
        assert!(guests.request_link("gita@example.org").is_ok());
    }
    deliver(&world);
    assert_eq!(
        of_kind(&email, NotificationKind::GuestAccess).len(),
        3,
        "three links per address per window"
    );
    world.clock.advance(Duration::from_secs(16 * 60));
    guests.request_link("gita@example.org").expect("request");
    deliver(&world);
    assert_eq!(of_kind(&email, NotificationKind::GuestAccess).len(), 4);

    // Only a malformed address is refused, as a field error.
    assert!(matches!(
        guests.request_link("not an address"),
        Err(GuestError::Common(CommonError::Invalid(_)))
    ));
}

#[test]
fn a_guest_who_sets_a_password_keeps_the_tickets_and_the_old_links_stop() {
    let (email, _, world) = world(&[]);
    let (_, booked) = gita_books_a_seat(&world);
    let first = tokens(&email).pop().expect("the confirmation's link");

    // Registering the guest's address sends a link instead of making a second account.
    let mut again = new_user("Gita", Role::Attendee);
    again.email = "gita@example.org".into();
    assert!(matches!(
        world.prasang.users().register(again),
        Err(UserError::GuestAccount)
    ));
    deliver(&world);
    let link = tokens(&email).pop().expect("a link to set the password");
    assert_ne!(link, first);
    let session = world.prasang.guests().open(&link).expect("opens");
    let gita = actor(&world.prasang, &session);

    let registration = || GuestRegistration {
        password: "gita's own password".into(),
        gender: Gender::Female,
        age: 29,
    };
    let short = GuestRegistration {
        password: "short".into(),
        ..registration()
    };
    assert!(world.prasang.guests().register(&gita, short).is_err());
    let user = world
        .prasang
        .guests()
        .register(&gita, registration())
        .expect("register");
    assert!(!user.guest);
    assert_eq!(
        (user.id, user.age, user.gender),
        (booked.ticket.user, 29, Gender::Female)
    );
    assert!(matches!(
        world.prasang.guests().register(&gita, registration()),
        Err(GuestError::NotAGuest)
    ));

    let login = world
        .prasang
        .auth()
        .login("gita@example.org", "gita's own password")
        .expect("logs in with the password");
    let mine = world
        .prasang
        .tickets()
        .list_mine(&actor(&world.prasang, &login), &PageRequest::default())
        .expect("list");
    assert_eq!(mine.items[0].id, booked.ticket.id, "the tickets stay");
    // Links of the guest days open nothing now, and no new ones are sent.
    assert!(matches!(
        world.prasang.guests().open(&first),
        Err(GuestError::LinkInvalid)
    ));
    let before = email.notifications().len();
    world
        .prasang
        .guests()
        .request_link("gita@example.org")
        .expect("request");
    deliver(&world);
    assert_eq!(email.notifications().len(), before);
}

#[test]
fn a_checkout_with_the_address_of_an_account_books_for_it_without_a_link() {
    let (email, _, world) = world(&[]);
    let (_, event) = organizer_and_event(&world, AttendeeNames::NotAsked);
    let ada = world.register("Ada", Role::Attendee);
    let booked = world
        .prasang
        .guests()
        .book(&checkout("ADA@example.org", &event, 1))
        .expect("checkout");
    assert_eq!(booked.ticket.user, ada.id);
    deliver(&world);
    assert_eq!(of_kind(&email, NotificationKind::TicketBooked).len(), 1);
    assert!(tokens(&email).is_empty(), "a password account gets no link");
}

#[test]
fn concurrent_checkouts_of_one_new_address_share_one_guest_account() {
    let (_, _, world) = world(&[]);
    let event = free_event(&world, 100, 16);
    let users: Vec<UserId> = std::thread::scope(|scope| {
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let (prasang, event) = (&world.prasang, &event);
                scope.spawn(move || {
                    prasang
                        .guests()
                        .book(&checkout("same@example.org", event, 2))
                        .expect("checkout")
                        .ticket
                        .user
                })
            })
            .collect();
        threads
            .into_iter()
            .map(|t| t.join().expect("thread"))
            .collect()
    });
    assert!(users.iter().all(|user| *user == users[0]), "{users:?}");
    let admin = world.prasang.auth().system_actor();
    let found = world
        .prasang
        .users()
        .search(&admin, "same@example.org", &PageRequest::default())
        .expect("search");
    assert_eq!(found.items.len(), 1);
    assert_eq!(world.seats(event.id).booked, 16);
    // The 9th pair would pass the guest's per-person limit of 16; the refusal does not tell
    // whoever typed the address how many seats it holds.
    let refused = world
        .prasang
        .guests()
        .book(&checkout("same@example.org", &event, 2));
    let message = refused.as_ref().map(drop).expect_err("refused").to_string();
    assert!(
        !message.contains("16 seats and") && !message.contains("hold 16"),
        "{message}"
    );
    assert!(matches!(
        world
            .prasang
            .guests()
            .book(&checkout("same@example.org", &event, 2)),
        Err(GuestError::LimitReached {
            limit: 16,
            ticket_type: None
        })
    ));
}

fn with_names(event: &Event, names: &[&str]) -> GuestCheckout {
    let mut order = checkout("gita@example.org", event, names.len() as i64);
    order.booking.attendee_names = names.iter().map(|n| (*n).to_owned()).collect();
    order
}

fn refused_field(result: Result<impl std::fmt::Debug, GuestError>) -> &'static str {
    match result {
        Err(GuestError::Booking(TicketError::Common(CommonError::Invalid(field)))) => field.field,
        other => panic!("expected a field error, got {other:?}"),
    }
}

#[test]
fn attendee_names_follow_the_events_policy_and_change_until_it_starts() {
    let (_, _, world) = world(&[]);
    let (organizer, event) = organizer_and_event(&world, AttendeeNames::Required);
    let guests = world.prasang.guests();
    assert_eq!(
        refused_field(guests.book(&checkout("g@example.org", &event, 2))),
        "attendee_names"
    );
    assert_eq!(
        refused_field(guests.book(&with_names(&event, &["Ada", ""]))),
        "attendee_names"
    );
    let mut wrong_count = with_names(&event, &["Ada", "Bo"]);
    wrong_count.booking.quantity = 3;
    assert_eq!(refused_field(guests.book(&wrong_count)), "attendee_names");
    assert_eq!(
        refused_field(guests.book(&with_names(&event, &["Ada", "\u{202E}oB"]))),
        "attendee_names"
    );
    assert_eq!(world.seats(event.id).booked, 0, "refusals book nothing");

    let booked = guests
        .book(&with_names(&event, &[" Ada ", "Rene\u{301}"]))
        .expect("named seats");
    assert_eq!(booked.ticket.attendee_names, ["Ada", "Ren\u{e9}"]);

    // The holder renames a seat; a stranger cannot; the organizer sees the names.
    let holder = world
        .prasang
        .auth()
        .trusted_actor(booked.ticket.user)
        .expect("actor");
    let tickets = world.prasang.tickets();
    let names = ["Ada".to_owned(), "Bo".to_owned()];
    let renamed = tickets
        .set_attendee_names(&holder, booked.ticket.id, &names)
        .expect("rename");
    assert_eq!(renamed.attendee_names, names);
    let stranger = world.user("Eve", Role::Attendee);
    assert!(
        tickets
            .set_attendee_names(&stranger, booked.ticket.id, &names)
            .is_err()
    );
    let listed = tickets
        .list_for_event(&organizer, event.id, &PageRequest::default())
        .expect("list");
    assert_eq!(listed.items[0].attendee_names, names);

    // Optional names may leave seats unnamed; an event that stops asking refuses new names.
    let ask = |policy| {
        let update = EventUpdate {
            attendee_names: Some(policy),
            ..EventUpdate::default()
        };
        let events = world.prasang.events();
        events.update(&organizer, event.id, update).expect("update");
    };
    ask(AttendeeNames::Optional);
    let partly = guests
        .book(&with_names(&event, &["", "Cy"]))
        .expect("optional names");
    assert_eq!(partly.ticket.attendee_names, ["", "Cy"]);
    ask(AttendeeNames::NotAsked);
    assert_eq!(
        refused_field(guests.book(&with_names(&event, &["Di"]))),
        "attendee_names"
    );
    // Names given before stay changeable until the start, then lock.
    tickets
        .set_attendee_names(&holder, booked.ticket.id, &["Ada".into(), "Cy".into()])
        .expect("still changeable");
    world
        .clock
        .set(START.plus(Duration::from_secs(8 * 24 * 3600)));
    assert!(matches!(
        tickets.set_attendee_names(&holder, booked.ticket.id, &names),
        Err(TicketError::NamesLocked)
    ));
}

#[test]
fn embed_origins_are_the_organizers_to_set() {
    let (_, _, world) = world(&[]);
    let (organizer, event) = organizer_and_event(&world, AttendeeNames::NotAsked);
    let events = world.prasang.events();
    assert!(
        events
            .embed_origins_for_event(event.id)
            .expect("read")
            .is_empty()
    );
    let listed = events
        .set_embed_origins(
            &organizer,
            organizer.user_id(),
            &[
                "https://Venue.Example/".into(),
                "https://venue.example".into(),
            ],
        )
        .expect("set");
    assert_eq!(listed, ["https://venue.example"]);
    assert_eq!(
        events.embed_origins_for_event(event.id).expect("read"),
        listed
    );
    let eve = world.user("Eve", Role::Organizer);
    assert!(
        events
            .set_embed_origins(&eve, organizer.user_id(), &[])
            .is_err()
    );
    assert!(
        events
            .set_embed_origins(&organizer, organizer.user_id(), &["https://x/*".into()])
            .is_err()
    );
}

#[test]
fn every_attempt_of_one_message_carries_a_link_and_using_one_spends_them_all() {
    let email = Arc::new(Recording::failing("email", 1));
    let world = World::with(|config: Config| {
        config
            .channel(Arc::clone(&email) as _)
            .delivery_policy(DeliveryPolicy {
                backoff_base: Duration::from_secs(1),
                ..DeliveryPolicy::default()
            })
    });
    gita_books_a_seat(&world);
    world.clock.advance(Duration::from_secs(2));
    deliver(&world);
    let links: Vec<String> = email
        .notifications()
        .iter()
        .filter_map(|n| n.access.as_ref().map(|a| a.url.clone()))
        .collect();
    assert_eq!(links.len(), 2, "the failed attempt and the retry");
    assert_ne!(links[0], links[1], "each attempt signs a fresh expiry");
    let token = |url: &str| url.split("token=").nth(1).expect("token").to_owned();
    world
        .prasang
        .guests()
        .open(&token(&links[1]))
        .expect("the delivered link opens");
    assert!(matches!(
        world.prasang.guests().open(&token(&links[0])),
        Err(GuestError::LinkUsed)
    ));
}

#[test]
fn a_refused_checkout_makes_no_account() {
    let (_, _, world) = world(&[]);
    let event = free_event(&world, 1, 1);
    let guests = world.prasang.guests();
    guests
        .book(&checkout("first@example.org", &event, 1))
        .expect("the last seat");
    assert!(matches!(
        guests.book(&checkout("second@example.org", &event, 1)),
        Err(GuestError::Booking(TicketError::SoldOut { .. }))
    ));
    let admin = world.prasang.auth().system_actor();
    let users = world.prasang.users();
    let found = |text: &str| {
        users
            .search(&admin, text, &PageRequest::default())
            .expect("search")
            .items
            .len()
    };
    assert_eq!(found("first@example.org"), 1);
    assert_eq!(
        found("second@example.org"),
        0,
        "no account without a booking"
    );
    let entries = world.prasang.log().read(&admin, 0, 1_000).expect("log");
    let made = entries
        .iter()
        .filter(|e| matches!(e.event, prasang_core::log::DomainEvent::GuestCreated { .. }))
        .count();
    assert_eq!(made, 1);
}

#[test]
fn the_door_shows_the_name_given_to_the_seat() {
    let (_, _, world) = world(&[]);
    let (organizer, event) = organizer_and_event(&world, AttendeeNames::Optional);
    let booked = world
        .prasang
        .guests()
        .book(&with_names(&event, &["Ada", ""]))
        .expect("named seats");
    let holder = world
        .prasang
        .auth()
        .trusted_actor(booked.ticket.user)
        .expect("actor");
    let codes = common::codes::seat_codes(&world.prasang, &holder, booked.ticket.id);
    let scan = |code: &str, id: &str| {
        world
            .prasang
            .check_ins()
            .check_in(
                &organizer,
                prasang_core::checkin::CheckInRequest {
                    event: event.id,
                    code,
                    gate: "Main".into(),
                    scan_id: id.into(),
                },
            )
            .expect("admitted")
    };
    let first = scan(&codes[0], "s1");
    assert_eq!(
        first.name, "Gita Guest",
        "the holder, a guest like any attendee"
    );
    assert_eq!(first.attendee_name.as_deref(), Some("Ada"));
    assert_eq!(scan(&codes[1], "s2").attendee_name, None, "an unnamed seat");
}
