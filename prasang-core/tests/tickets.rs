//! Booking rules: capacity, per-user limits, holds, expiry, cancellation, idempotency.

mod common;

use prasang_core::{CommonError, Subject};
use std::time::Duration;

use common::{World, assert_intact, booking};
use prasang_core::PageRequest;
use prasang_core::auth::Actor;
use prasang_core::events::Event;
use prasang_core::log::DomainEvent;
use prasang_core::tickets::{BookingRequest, Ticket, TicketError, TicketStatus};
use prasang_core::users::Role;

/// A store whose holds last 60 s, where Ada holds `seats` seats (all she may) of Olga's paid
/// two-seat event: the world, Olga, Ada, the event and the held ticket.
fn paid_hold(seats: i64) -> (World, Actor, Actor, Event, Ticket) {
    let world = World::with(|config| config.hold_duration(Duration::from_secs(60)));
    let (organizer, ada, event) = world.organizer_attendee_event(2, 1_000, seats);
    let ticket = world.book(&ada, event.id, seats);
    (world, organizer, ada, event, ticket)
}

/// Asserts that `result` was refused because the ticket's hold had lapsed.
#[track_caller]
fn assert_refused_as_expired<T: std::fmt::Debug>(result: Result<T, TicketError>) {
    assert_matches!(result, Err(TicketError::WrongStatus(TicketStatus::Expired)));
}

#[test]
fn free_tickets_are_booked_at_once_and_take_seats() {
    let world = World::new();
    let (_, ada, event) = world.organizer_attendee_event(10, 0, 2);

    let outcome = world.book_with(&ada, &booking(event.id, 2));
    assert_eq!(outcome.ticket.status, TicketStatus::Booked);
    assert!(!outcome.replayed);
    let seats = world.seats(event.id);
    assert_eq!((seats.remaining, seats.held, seats.booked), (8, 0, 2));
    assert_intact(&world.prasang);
}

#[test]
fn the_last_seat_goes_to_one_booking_only() {
    let world = World::new();
    let (_, ada, bob, event) = world.organizer_two_attendees_event(1, 0, 1);

    world.book(&ada, event.id, 1);
    let refused = world.prasang.tickets().book(&bob, &booking(event.id, 1));
    assert_matches!(refused, Err(TicketError::SoldOut { remaining: 0 }));
    assert_intact(&world.prasang);
}

#[test]
fn one_ticket_per_user_per_event_by_default() {
    let world = World::new();
    let (_, ada, event) = world.organizer_attendee_event(10, 0, 1);

    world.book(&ada, event.id, 1);
    let again = world.prasang.tickets().book(&ada, &booking(event.id, 1));
    assert_matches!(again, Err(TicketError::LimitReached { limit: 1, held: 1 }));
}

#[test]
fn cancelling_twice_frees_the_seat_once() {
    let world = World::new();
    let (_, ada, event) = world.organizer_attendee_event(1, 0, 1);
    let ticket = world.book(&ada, event.id, 1);

    let cancelled = world.cancel_ticket(&ada, ticket.id);
    assert_eq!(cancelled.status, TicketStatus::Cancelled);
    let twice = world.prasang.tickets().cancel(&ada, ticket.id);
    assert_matches!(
        twice,
        Err(TicketError::WrongStatus(TicketStatus::Cancelled))
    );
    let seats = world.seats(event.id);
    assert_eq!((seats.remaining, seats.booked), (1, 0));
    assert_intact(&world.prasang);
}

#[test]
fn a_cancelled_seat_can_be_booked_again_even_by_the_same_user() {
    let world = World::new();
    let (_, ada, event) = world.organizer_attendee_event(1, 0, 1);
    let first = world.book_and_cancel(&ada, event.id, 1);
    let second = world.book(&ada, event.id, 1);
    assert_ne!(first.id, second.id);
    assert_intact(&world.prasang);
}

#[test]
fn paid_tickets_are_held_until_payment_is_confirmed() {
    let world = World::new();
    let (organizer, ada, event) = world.organizer_attendee_event(5, 2_500, 2);

    let ticket = world.book(&ada, event.id, 2);
    assert_eq!(ticket.status, TicketStatus::Pending);
    assert_eq!(ticket.amount_minor, 5_000);
    assert_eq!(
        ticket.expires_at,
        Some(common::START.plus(Duration::from_secs(15 * 60)))
    );
    let seats = world.seats(event.id);
    assert_eq!((seats.remaining, seats.held, seats.booked), (3, 2, 0));

    let refused = world.prasang.tickets().confirm_payment(&ada, ticket.id);
    assert!(
        matches!(refused, Err(TicketError::Common(CommonError::Forbidden(_)))),
        "attendees cannot confirm their own payment"
    );
    let confirmed = world.confirm_payment(&organizer, ticket.id);
    assert_eq!(confirmed.status, TicketStatus::Booked);
    assert_eq!(confirmed.expires_at, None);
    let seats = world.seats(event.id);
    assert_eq!((seats.remaining, seats.held, seats.booked), (3, 0, 2));

    // Confirmed tickets never expire.
    world.clock.advance(Duration::from_secs(3600));
    assert_eq!(world.prasang.tickets().expire_due().expect("expire"), 0);
    assert_intact(&world.prasang);
}

#[test]
fn holds_expire_and_release_their_seats_exactly_once() {
    let (world, organizer, ada, event, ticket) = paid_hold(2);
    let tickets = world.prasang.tickets();

    world.clock.advance(Duration::from_secs(59));
    assert_eq!(tickets.expire_due().expect("expire"), 0, "not yet due");
    world.clock.advance(Duration::from_secs(1));
    assert_eq!(tickets.expire_due().expect("expire"), 1);
    assert_eq!(tickets.expire_due().expect("expire"), 0, "never twice");

    let expired = tickets.get(&ada, ticket.id).expect("ticket");
    assert_eq!(expired.status, TicketStatus::Expired);
    let seats = world.seats(event.id);
    assert_eq!((seats.remaining, seats.held), (2, 0));
    assert_refused_as_expired(tickets.confirm_payment(&organizer, ticket.id));
    assert_refused_as_expired(tickets.cancel(&ada, ticket.id));
    assert_intact(&world.prasang);
}

#[test]
fn a_lapsed_hold_cannot_be_confirmed_even_before_the_sweeper_runs() {
    let (world, organizer, _, _, ticket) = paid_hold(1);
    world.clock.advance(Duration::from_secs(61));
    assert_refused_as_expired(
        world
            .prasang
            .tickets()
            .confirm_payment(&organizer, ticket.id),
    );
}

#[test]
fn background_maintenance_expires_holds_by_itself() {
    let prasang = prasang_core::Prasang::open(
        prasang_core::Config::temporary()
            .hold_duration(Duration::from_millis(50))
            .maintenance_interval(Duration::from_millis(20)),
    )
    .expect("open");
    let organizer = common::register_actor(&prasang, "Olga", Role::Organizer);
    let ada = common::register_actor(&prasang, "Ada", Role::Attendee);
    let mut new = common::new_event(1, 100, 1);
    let starts_at = prasang.now().plus(Duration::from_secs(3600));
    new.starts_at = starts_at.into();
    new.ends_at = starts_at.plus(Duration::from_secs(3600)).into();
    let event = prasang.events().create(&organizer, new).expect("event");
    let ticket = common::book(&prasang, &ada, event.id, 1);

    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let status = prasang
            .tickets()
            .get(&ada, ticket.id)
            .expect("ticket")
            .status;
        if status == TicketStatus::Expired {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the hold never expired"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(
        prasang
            .events()
            .peek(event.id)
            .expect("event")
            .seats
            .remaining,
        1
    );
}

#[test]
fn retrying_with_the_same_idempotency_key_returns_the_first_ticket() {
    let world = World::new();
    let (_, ada, event) = world.organizer_attendee_event(10, 0, 3);
    let keyed = |quantity| BookingRequest {
        pass: None,
        attendee_names: Default::default(),
        event: event.id,
        quantity,
        idempotency_key: Some("order-7f3a".into()),
        lines: Vec::new(),
        promo_code: None,
    };

    let first = world.book_with(&ada, &keyed(2));
    let retry = world.book_with(&ada, &keyed(2));
    assert!(retry.replayed);
    assert_eq!(retry.ticket.id, first.ticket.id);
    assert_eq!(world.seats(event.id).booked, 2, "booked once");

    let different = world.prasang.tickets().book(&ada, &keyed(1));
    assert_matches!(different, Err(TicketError::IdempotencyKeyReused));

    // Keys are per user: another user's identical key is a different request.
    let bob = world.user("Bob", Role::Attendee);
    let bobs = world.book_with(&bob, &keyed(2));
    assert!(!bobs.replayed);
    assert_ne!(bobs.ticket.id, first.ticket.id);
    assert_intact(&world.prasang);
}

#[test]
fn no_sales_for_cancelled_or_started_events() {
    let world = World::new();
    let organizer = world.user("Olga", Role::Organizer);
    let ada = world.user("Ada", Role::Attendee);
    let cancelled = world.event(&organizer, 10, 0, 1);
    world
        .prasang
        .events()
        .cancel(&organizer, cancelled.id)
        .expect("cancel");
    let refused = world
        .prasang
        .tickets()
        .book(&ada, &booking(cancelled.id, 1));
    assert_matches!(refused, Err(TicketError::NotOnSale(_)));

    let started = world.event(&organizer, 10, 0, 1);
    world.clock.set(started.starts_at);
    let refused = world.prasang.tickets().book(&ada, &booking(started.id, 1));
    assert_matches!(refused, Err(TicketError::NotOnSale(_)));

    let missing = world.prasang.tickets().book(
        &ada,
        &booking(prasang_core::EventId::from_bytes([7; 16]), 1),
    );
    assert_matches!(
        missing,
        Err(TicketError::Common(CommonError::NotFound(Subject::Event)))
    );
}

#[test]
fn attendees_cannot_cancel_after_the_start_but_organizers_can() {
    let world = World::new();
    let (organizer, ada, event) = world.organizer_attendee_event(10, 0, 1);
    let ticket = world.book(&ada, event.id, 1);
    world.clock.set(event.starts_at);
    let refused = world.prasang.tickets().cancel(&ada, ticket.id);
    assert_matches!(refused, Err(TicketError::Common(CommonError::Forbidden(_))));
    world.cancel_ticket(&organizer, ticket.id);
}

#[test]
fn nobody_else_sees_or_cancels_a_ticket() {
    let world = World::new();
    let (organizer, ada, event) = world.organizer_attendee_event(10, 0, 1);
    let other_organizer = world.user("Otto", Role::Organizer);
    let mallory = world.user("Mallory", Role::Attendee);
    let ticket = world.book(&ada, event.id, 1);

    for intruder in [&mallory, &other_organizer] {
        assert!(matches!(
            world.prasang.tickets().get(intruder, ticket.id),
            Err(TicketError::Common(CommonError::NotFound(Subject::Ticket)))
        ));
        assert!(matches!(
            world.prasang.tickets().cancel(intruder, ticket.id),
            Err(TicketError::Common(CommonError::NotFound(Subject::Ticket)))
        ));
    }
    // Confirming another organizer's ticket answers as `get` does: no such ticket.
    let confirm = world
        .prasang
        .tickets()
        .confirm_payment(&other_organizer, ticket.id);
    assert_matches!(
        confirm,
        Err(TicketError::Common(CommonError::NotFound(Subject::Ticket)))
    );
    let listed =
        world
            .prasang
            .tickets()
            .list_for_event(&other_organizer, event.id, &PageRequest::default());
    assert_matches!(listed, Err(TicketError::Common(CommonError::Forbidden(_))));
    assert_eq!(
        world
            .prasang
            .tickets()
            .get(&organizer, ticket.id)
            .expect("organizer sees")
            .id,
        ticket.id
    );
    assert_eq!(
        world
            .prasang
            .tickets()
            .list_mine(&mallory, &PageRequest::default())
            .expect("list")
            .items
            .len(),
        0
    );
    assert_eq!(
        world
            .prasang
            .tickets()
            .list_mine(&ada, &PageRequest::default())
            .expect("list")
            .items
            .len(),
        1
    );
}

#[test]
fn bad_quantities_and_keys_are_typed_errors() {
    let world = World::new();
    let (_, ada, event) = world.organizer_attendee_event(10, 0, 1);
    for quantity in [0, -1, 101, i64::MAX, i64::MIN] {
        let result = world
            .prasang
            .tickets()
            .book(&ada, &booking(event.id, quantity));
        assert!(
            matches!(&result, Err(TicketError::Common(CommonError::Invalid(e))) if e.field == "quantity"),
            "{quantity}: {result:?}"
        );
    }
    for key in ["", "has space", &"k".repeat(256), "tab\there"] {
        let result = world.prasang.tickets().book(
            &ada,
            &BookingRequest {
                pass: None,
                attendee_names: Default::default(),
                event: event.id,
                quantity: 1,
                idempotency_key: Some(key.to_owned()),
                lines: Vec::new(),
                promo_code: None,
            },
        );
        assert!(
            matches!(&result, Err(TicketError::Common(CommonError::Invalid(e))) if e.field == "idempotency_key"),
            "{key:?}: {result:?}"
        );
    }
    assert_eq!(world.seats(event.id).remaining, 10, "nothing was taken");
}

#[test]
fn paging_walks_every_ticket_once_in_order() {
    let world = World::new();
    let organizer = world.user("Olga", Role::Organizer);
    let event = world.event(&organizer, 100, 0, 1);
    let mut booked = Vec::new();
    for i in 0..25 {
        let user = world.user(&format!("Fan {i}"), Role::Attendee);
        booked.push(world.book(&user, event.id, 1).id);
    }
    let mut seen = Vec::new();
    let mut page = PageRequest::first(10);
    loop {
        let result = world
            .prasang
            .tickets()
            .list_for_event(&organizer, event.id, &page)
            .expect("page");
        seen.extend(result.items.iter().map(|t| t.id));
        match result.next {
            Some(next) => page.after = Some(next),
            None => break,
        }
    }
    assert_eq!(seen, booked);
    let bad = world.prasang.tickets().list_for_event(
        &organizer,
        event.id,
        &PageRequest {
            after: Some("!!!".into()),
            limit: None,
        },
    );
    assert_matches!(bad, Err(TicketError::Common(CommonError::Invalid(_))));
}

#[test]
fn every_change_is_in_the_log_in_order() {
    let world = World::new();
    let (_, ada, event) = world.organizer_attendee_event(10, 0, 1);
    let ticket = world.book_and_cancel(&ada, event.id, 1);

    let entries = world
        .prasang
        .log()
        .read(&world.prasang.auth().system_actor(), 0, 100)
        .expect("read");
    let kinds: Vec<&str> = entries
        .iter()
        .map(|e| match &e.event {
            DomainEvent::UserRegistered { .. } => "user",
            DomainEvent::EventCreated { .. } => "created",
            DomainEvent::TicketOrdered { ticket: t, .. } if *t == ticket.id => "ordered",
            DomainEvent::TicketBooked { ticket: t, .. } if *t == ticket.id => "booked",
            DomainEvent::TicketCancelled { ticket: t, .. } if *t == ticket.id => "cancelled",
            _ => "other",
        })
        .collect();
    assert_eq!(
        kinds,
        ["user", "user", "created", "ordered", "booked", "cancelled"]
    );
    assert!(entries.windows(2).all(|w| w[0].seq < w[1].seq));

    // Replay from any point.
    let system = world.prasang.auth().system_actor();
    let from_third = world
        .prasang
        .log()
        .read(&system, entries[2].seq, 100)
        .expect("replay");
    assert_eq!(from_third, entries[2..]);
    let log = world.prasang.log();
    assert_eq!(log.cursor("analytics").expect("cursor"), 0);
    log.commit_cursor("analytics", entries[4].seq + 1)
        .expect("commit");
    assert_eq!(log.cursor("analytics").expect("cursor"), entries[4].seq + 1);
    assert_eq!(
        log.read(&system, log.cursor("analytics").expect("cursor"), 10)
            .expect("rest"),
        entries[5..]
    );
}

#[test]
fn organizers_see_the_names_of_their_attendees_only() {
    let world = World::new();
    let (organizer, ada, bob, event) = world.organizer_two_attendees_event(10, 0, 2);
    let stranger = world.user("Stranger", Role::Attendee);
    let other_organizer = world.user("Oscar", Role::Organizer);
    world.book(&ada, event.id, 1);
    world.book_and_cancel(&bob, event.id, 1);
    let people = [ada.user_id(), bob.user_id(), stranger.user_id()];
    let names = world
        .prasang
        .tickets()
        .attendee_names(&organizer, event.id, &people)
        .expect("the organizer may");
    assert_eq!(names.get(&ada.user_id()).map(String::as_str), Some("Ada"));
    assert_eq!(
        names.get(&bob.user_id()).map(String::as_str),
        Some("Bob"),
        "a cancelled ticket still makes an attendee"
    );
    assert!(
        !names.contains_key(&stranger.user_id()),
        "no name of someone without a ticket"
    );
    for outsider in [&other_organizer, &ada] {
        let refused = world
            .prasang
            .tickets()
            .attendee_names(outsider, event.id, &people);
        assert_matches!(refused, Err(TicketError::Common(CommonError::Forbidden(_))));
    }
}
