//! The waiting list: offers in joining order, made in the transaction that frees the seats;
//! partial fits wait unless the organizer allows what fits; offers lapse, are declined or
//! accepted as bookings; newcomers never get seats that belong to the list.

mod common;

use std::time::Duration;

use common::crash::log_entries;
use common::{World, waitlist};
use prasang_core::EventId;
use prasang_core::auth::Actor;
use prasang_core::events::EventUpdate;
use prasang_core::log::DomainEvent;
use prasang_core::tickets::{BookingRequest, TicketError, TicketStatus};
use prasang_core::users::Role;
use prasang_core::waitlist::{JoinRequest, WaitlistError, WaitlistSettings};

fn open_list(world: &World, organizer: &Actor, event: EventId, what_fits: bool) {
    waitlist::configure(
        &world.prasang,
        organizer,
        event,
        waitlist::open(24 * 60, what_fits),
    );
}

fn join(world: &World, who: &Actor, event: EventId, seats: i64) -> u64 {
    waitlist::join(&world.prasang, who, event, seats)
}

fn offered_seats(world: &World, who: &Actor, event: EventId) -> Option<u32> {
    let mine = world.prasang.waitlist().mine_for(who, event).expect("mine");
    mine.first()
        .and_then(|entry| entry.offer)
        .map(|offer| offer.seats)
}

fn book(world: &World, who: &Actor, event: EventId, seats: i64) -> Result<(), TicketError> {
    world
        .prasang
        .tickets()
        .book(who, &BookingRequest::seats(event, seats))
        .map(|_| ())
}

#[test]
fn freed_seats_are_offered_in_joining_order_and_never_sold_to_newcomers() {
    let world = World::new();
    let (olga, ada, event) = world.organizer_attendee_event(2, 0, 2);
    let event = event.id;
    let sold = world.book(&ada, event, 2);
    open_list(&world, &olga, event, false);
    let bob = world.user("Bob", Role::Attendee);
    let cat = world.user("Cat", Role::Attendee);
    let dan = world.user("Dan", Role::Attendee);
    let bob_entry = join(&world, &bob, event, 1);
    let cat_entry = join(&world, &cat, event, 1);
    assert!(bob_entry < cat_entry);
    let mine = world
        .prasang
        .waitlist()
        .mine_for(&cat, event)
        .expect("mine");
    assert_eq!(mine[0].position, Some(2));

    world.cancel_ticket(&ada, sold.id);
    assert_eq!(offered_seats(&world, &bob, event), Some(1));
    assert_eq!(offered_seats(&world, &cat, event), Some(1));
    let status = world.prasang.waitlist().status(event).expect("status");
    assert_eq!(
        (status.waiting, status.offers, status.offered_seats),
        (0, 2, 2)
    );
    assert_eq!(world.seats(event).remaining, 0);
    assert!(matches!(
        book(&world, &dan, event, 1),
        Err(TicketError::SoldOut { .. })
    ));

    let accepted = world
        .prasang
        .waitlist()
        .accept(&bob, event, bob_entry)
        .expect("accept");
    assert_eq!(accepted.ticket.status, TicketStatus::Booked);
    assert_eq!(accepted.ticket.quantity, 1);
    let again = world
        .prasang
        .waitlist()
        .accept(&bob, event, bob_entry)
        .expect("a repeated accept gives the same ticket");
    assert_eq!(again.ticket.id, accepted.ticket.id);
    assert!(again.replayed);

    world
        .prasang
        .waitlist()
        .decline(&cat, event, cat_entry)
        .expect("decline");
    // The list is empty now: the declined seat is anyone's.
    book(&world, &dan, event, 1).expect("a newcomer books once nobody waits");

    let offers: Vec<_> = log_entries(&world.prasang)
        .into_iter()
        .filter_map(|entry| match entry.event {
            DomainEvent::WaitlistOffered { entry, .. } => Some(entry),
            _ => None,
        })
        .collect();
    assert_eq!(offers, [bob_entry, cat_entry]);
    let report = world
        .prasang
        .verify_integrity(&world.prasang.auth().system_actor())
        .expect("verify");
    assert!(report.is_ok(), "{:?}", report.problems);
}

#[test]
fn a_partial_fit_waits_and_holds_everyone_behind_it_unless_what_fits_is_offered() {
    let world = World::new();
    let (olga, ada, event) = world.organizer_attendee_event(3, 0, 3);
    let event = event.id;
    let first = world.book(&ada, event, 1);
    world.book(&ada, event, 2);
    open_list(&world, &olga, event, false);
    let bob = world.user("Bob", Role::Attendee);
    let cat = world.user("Cat", Role::Attendee);
    let dan = world.user("Dan", Role::Attendee);
    join(&world, &bob, event, 2);
    join(&world, &cat, event, 1);

    world.cancel_ticket(&ada, first.id);
    assert_eq!(offered_seats(&world, &bob, event), None, "2 wanted, 1 free");
    assert_eq!(
        offered_seats(&world, &cat, event),
        None,
        "no skipping ahead"
    );
    assert_eq!(world.seats(event).remaining, 1);
    let status = world.prasang.waitlist().status(event).expect("status");
    assert_eq!(status.held_back_seats, 1);
    assert!(
        matches!(
            book(&world, &dan, event, 1),
            Err(TicketError::SoldOut { remaining: 0 })
        ),
        "the free seat belongs to the list"
    );

    open_list(&world, &olga, event, true);
    assert_eq!(offered_seats(&world, &bob, event), Some(1));
    assert_eq!(offered_seats(&world, &cat, event), None);
    assert_eq!(world.seats(event).remaining, 0);
}

#[test]
fn lapsed_and_declined_offers_pass_to_the_next_in_line() {
    let world = World::new();
    let (olga, ada, event) = world.organizer_attendee_event(1, 0, 1);
    let event = event.id;
    let sold = world.book(&ada, event, 1);
    waitlist::configure(&world.prasang, &olga, event, waitlist::open(15, false));
    let bob = world.user("Bob", Role::Attendee);
    let cat = world.user("Cat", Role::Attendee);
    let bob_entry = join(&world, &bob, event, 1);
    join(&world, &cat, event, 1);
    world.cancel_ticket(&ada, sold.id);
    assert_eq!(offered_seats(&world, &bob, event), Some(1));

    world.clock.advance(Duration::from_secs(14 * 60));
    assert_eq!(world.prasang.waitlist().expire_due().expect("sweep"), 0);
    world.clock.advance(Duration::from_secs(61));
    assert_eq!(world.prasang.waitlist().expire_due().expect("sweep"), 1);
    assert_eq!(offered_seats(&world, &cat, event), Some(1));
    assert!(
        world
            .prasang
            .waitlist()
            .mine_for(&bob, event)
            .expect("mine")
            .is_empty()
    );
    assert!(matches!(
        world.prasang.waitlist().accept(&bob, event, bob_entry),
        Err(WaitlistError::Booking(TicketError::OfferGone))
    ));
}

#[test]
fn raising_the_capacity_offers_the_new_seats_and_a_paid_offer_becomes_a_hold() {
    let world = World::new();
    let (olga, ada, event) = world.organizer_attendee_event(1, 1_500, 2);
    let event = event.id;
    world.book(&ada, event, 1);
    open_list(&world, &olga, event, false);
    let bob = world.user("Bob", Role::Attendee);
    let entry = join(&world, &bob, event, 2);
    let update = EventUpdate {
        capacity: Some(3),
        ..EventUpdate::default()
    };
    world
        .prasang
        .events()
        .update(&olga, event, update)
        .expect("raise capacity");
    assert_eq!(offered_seats(&world, &bob, event), Some(2));
    let accepted = world
        .prasang
        .waitlist()
        .accept(&bob, event, entry)
        .expect("accept");
    assert_eq!(accepted.ticket.status, TicketStatus::Pending);
    assert_eq!(accepted.ticket.amount_minor, 3_000);
    let seats = world.seats(event);
    assert_eq!((seats.remaining, seats.held), (0, 3));
}

#[test]
fn joining_is_refused_when_closed_twice_too_big_or_not_sold_out() {
    let world = World::new();
    let (olga, ada, event) = world.organizer_attendee_event(2, 0, 2);
    let event = event.id;
    let waitlist = world.prasang.waitlist();
    let one = JoinRequest {
        ticket_type: None,
        seats: 1,
    };
    assert!(matches!(
        waitlist.join(&ada, event, &one),
        Err(WaitlistError::Closed)
    ));
    open_list(&world, &olga, event, false);
    assert!(matches!(
        waitlist.join(&ada, event, &one),
        Err(WaitlistError::NotSoldOut { available: 2 })
    ));
    world.book(&ada, event, 2);
    let bob = world.user("Bob", Role::Attendee);
    let too_many = JoinRequest {
        ticket_type: None,
        seats: 3,
    };
    assert!(matches!(
        waitlist.join(&bob, event, &too_many),
        Err(WaitlistError::Common(_))
    ));
    waitlist.join(&bob, event, &one).expect("join");
    assert!(matches!(
        waitlist.join(&bob, event, &one),
        Err(WaitlistError::AlreadyJoined)
    ));
    assert!(matches!(
        waitlist.configure(&bob, event, WaitlistSettings::default()),
        Err(WaitlistError::Common(_))
    ));
    let listed = waitlist
        .list(&olga, event, &prasang_core::PageRequest::first(10))
        .expect("list");
    assert_eq!(listed.items.len(), 1);
    assert_eq!(listed.items[0].name, "Bob");
}
