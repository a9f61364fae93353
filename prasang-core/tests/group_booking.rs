//! Group booking: requests that reach the booking writer together are decided in the order they
//! arrived and written as one batch. `book_many` hands several requests over back to back (no
//! other caller's request between them), so these tests know what one batch holds.

mod common;

use std::sync::{Arc, Barrier};

use common::{World, assert_intact, booking};
use prasang_core::log::DomainEvent;
use prasang_core::tickets::{BookingRequest, TicketError};
use prasang_core::users::Role;
use prasang_core::{EventId, TicketId};

/// The tickets the log says were issued for `event`, in log order.
fn issued_in_log_order(world: &World, event: EventId) -> Vec<TicketId> {
    let system = world.prasang.auth().system_actor();
    let entries = world
        .prasang
        .log()
        .read(&system, 0, usize::MAX)
        .expect("log");
    entries
        .into_iter()
        .filter_map(|entry| match entry.event {
            DomainEvent::TicketBooked {
                ticket, event: e, ..
            }
            | DomainEvent::TicketPending {
                ticket, event: e, ..
            } if e == event => Some(ticket),
            _ => None,
        })
        .collect()
}

#[test]
fn requests_in_one_batch_are_decided_in_arrival_order() {
    let world = World::new();
    let organizer = world.user("Olga", Role::Organizer);
    let fans: Vec<_> = ["Ada", "Bob", "Cy"]
        .iter()
        .map(|name| world.user(name, Role::Attendee))
        .collect();
    // 5 seats, 2 per request: whoever comes third finds 1 seat left.
    for order in [[0, 1, 2], [2, 1, 0]] {
        let event = world.event(&organizer, 5, 0, 4).id;
        let requests: Vec<_> = order
            .iter()
            .map(|&fan| (fans[fan], booking(event, 2)))
            .collect();
        let answers = world.prasang.tickets().book_many(&requests);

        let first = answers[0].as_ref().expect("first in line books");
        let second = answers[1].as_ref().expect("second in line books");
        assert_eq!(first.ticket.user, fans[order[0]].user_id());
        assert_eq!(second.ticket.user, fans[order[1]].user_id());
        assert!(
            matches!(answers[2], Err(TicketError::SoldOut { remaining: 1 })),
            "the last in line finds one seat: {:?}",
            answers[2]
        );
        assert_eq!(
            issued_in_log_order(&world, event),
            [first.ticket.id, second.ticket.id],
            "the log records the batch in arrival order"
        );
        assert_eq!(world.seats(event).remaining, 1);
    }
    assert_intact(&world.prasang);
}

#[test]
fn an_idempotent_retry_in_the_same_batch_returns_the_first_ticket() {
    let world = World::new();
    let (_, ada, bob, event) = world.organizer_two_attendees_event(10, 0, 4);
    let keyed = |quantity| BookingRequest {
        pass: None,
        attendee_names: Default::default(),
        event: event.id,
        quantity,
        idempotency_key: Some("ada-checkout-1".into()),
        lines: Vec::new(),
        promo_code: None,
    };
    let answers = world.prasang.tickets().book_many(&[
        (ada, keyed(2)),
        (bob, booking(event.id, 1)),
        (ada, keyed(2)),
        (ada, keyed(3)),
    ]);

    let first = answers[0].as_ref().expect("first request books");
    let retry = answers[2].as_ref().expect("the retry is answered");
    assert!(!first.replayed);
    assert!(retry.replayed, "the retry is a replay");
    assert_eq!(
        retry.ticket, first.ticket,
        "the retry gets the first ticket"
    );
    assert!(
        answers[1].is_ok(),
        "Bob's booking between them: {:?}",
        answers[1]
    );
    assert!(
        matches!(answers[3], Err(TicketError::IdempotencyKeyReused)),
        "the key cannot be reused for another quantity in the same batch: {:?}",
        answers[3]
    );
    // Ada's two seats were taken once, Bob's one.
    assert_eq!(world.seats(event.id).remaining, 7);
    assert_eq!(issued_in_log_order(&world, event.id).len(), 2);
    // A retry in a later batch is answered the same way.
    let later = world.book_with(&ada, &keyed(2));
    assert!(later.replayed);
    assert_eq!(later.ticket, first.ticket);
    assert_intact(&world.prasang);
}

#[test]
fn a_refusal_in_a_batch_writes_nothing_and_spoils_nothing_for_the_others() {
    let world = World::new();
    let (_, ada, bob, event) = world.organizer_two_attendees_event(10, 0, 2);
    let answers = world.prasang.tickets().book_many(&[
        (ada, booking(event.id, 2)),
        (ada, booking(event.id, 1)),
        (bob, booking(EventId::from_bytes([7; 16]), 1)),
        (bob, booking(event.id, 0)),
        (bob, booking(event.id, 2)),
    ]);
    assert!(answers[0].is_ok());
    assert!(
        matches!(
            answers[1],
            Err(TicketError::LimitReached { limit: 2, held: 2 })
        ),
        "Ada's own earlier booking in the batch counts toward her limit: {:?}",
        answers[1]
    );
    assert!(
        matches!(answers[2], Err(TicketError::Common(_))),
        "no such event"
    );
    assert!(
        matches!(answers[3], Err(TicketError::Common(_))),
        "invalid quantity"
    );
    assert!(answers[4].is_ok(), "Bob books after the refusals");
    assert_eq!(world.seats(event.id).remaining, 6);
    assert_eq!(issued_in_log_order(&world, event.id).len(), 2);
    assert_intact(&world.prasang);
}

/// Many callers at once, each with its own idempotency key sent twice at the same moment: one
/// ticket per key, never more seats than exist, whatever batches the writer forms.
#[test]
fn concurrent_retries_and_strangers_book_each_key_once_and_never_oversell() {
    const CALLERS: usize = 16;
    let world = Arc::new(World::new());
    let organizer = world.user("Olga", Role::Organizer);
    let event = world.event(&organizer, 20, 0, 4).id;
    let fans: Vec<_> = (0..CALLERS)
        .map(|i| world.user(&format!("Fan {i}"), Role::Attendee))
        .collect();
    let start = Arc::new(Barrier::new(CALLERS * 2));
    let handles: Vec<_> = (0..CALLERS * 2)
        .map(|i| {
            let (world, start, fan) = (Arc::clone(&world), Arc::clone(&start), fans[i / 2]);
            std::thread::spawn(move || {
                let request = BookingRequest {
                    pass: None,
                    attendee_names: Default::default(),
                    event,
                    quantity: 2,
                    idempotency_key: Some(format!("key-{}", i / 2)),
                    lines: Vec::new(),
                    promo_code: None,
                };
                start.wait();
                (
                    i / 2,
                    world.prasang.tickets().book_async(&fan, &request).wait(),
                )
            })
        })
        .collect();
    let mut by_key: std::collections::HashMap<usize, Vec<TicketId>> = Default::default();
    for handle in handles {
        let (key, answer) = handle.join().expect("caller");
        match answer {
            Ok(outcome) => by_key.entry(key).or_default().push(outcome.ticket.id),
            Err(TicketError::SoldOut { .. }) => {}
            Err(other) => panic!("unexpected refusal: {other:?}"),
        }
    }
    let issued = issued_in_log_order(&world, event);
    assert_eq!(issued.len(), 10, "20 seats, 2 per key: 10 keys book");
    for (key, tickets) in &by_key {
        assert!(
            tickets.windows(2).all(|pair| pair[0] == pair[1]),
            "key {key} got different tickets: {tickets:?}"
        );
    }
    assert_eq!(world.seats(event).remaining, 0);
    assert_intact(&world.prasang);
}
