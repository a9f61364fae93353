//! Concurrency: many threads booking, cancelling, confirming and expiring on one small event
//! at once, two threads per user. Afterwards the log, replayed in order, must never show more
//! seats taken than exist nor a user holding more than the per-user limit, and every counter
//! must agree with the tickets.

mod common;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::time::Duration;

use common::{World, assert_intact};
use prasang_core::log::DomainEvent;
use prasang_core::tickets::{BookingRequest, TicketError};
use prasang_core::users::Role;
use prasang_core::{EventId, TicketId, UserId};
use rand::{Rng, SeedableRng};

const THREADS: usize = 12;
const OPERATIONS_PER_THREAD: usize = 150;

/// The most seats of one event ever taken at once, in all and by one user.
struct Peaks {
    seats: u32,
    by_one_user: u32,
}

/// Replays the log and returns the peaks for `event`.
fn peak_seats_taken(world: &World, event: EventId) -> Peaks {
    let mut taken = 0u32;
    let mut peak = 0u32;
    let mut active: HashMap<TicketId, (UserId, u32)> = HashMap::new();
    let mut held: HashMap<UserId, u32> = HashMap::new();
    let mut peak_by_one_user = 0u32;
    for entry in world
        .prasang
        .log()
        .read(&world.prasang.auth().system_actor(), 0, usize::MAX)
        .expect("log")
    {
        match entry.event {
            DomainEvent::TicketPending {
                ticket,
                event: e,
                user,
                quantity,
                ..
            } if e == event => {
                active.insert(ticket, (user, quantity));
                taken += quantity;
                *held.entry(user).or_default() += quantity;
            }
            // A booking of a ticket already pending (payment confirmed) takes nothing new.
            DomainEvent::TicketBooked {
                ticket,
                event: e,
                user,
                quantity,
                ..
            } if e == event && active.insert(ticket, (user, quantity)).is_none() => {
                taken += quantity;
                *held.entry(user).or_default() += quantity;
            }
            DomainEvent::TicketCancelled {
                ticket, event: e, ..
            }
            | DomainEvent::TicketExpired {
                ticket, event: e, ..
            } if e == event => {
                let (user, quantity) = active
                    .remove(&ticket)
                    .expect("released a ticket that held nothing");
                taken -= quantity;
                *held.entry(user).or_default() -= quantity;
            }
            _ => {}
        }
        peak = peak.max(taken);
        peak_by_one_user = peak_by_one_user.max(held.values().copied().max().unwrap_or(0));
    }
    Peaks {
        seats: peak,
        by_one_user: peak_by_one_user,
    }
}

fn race(price_minor: i64) {
    let capacity = 5;
    let world = Arc::new(World::with(|c| c.hold_duration(Duration::from_secs(30))));
    let organizer = world.user("Olga", Role::Organizer);
    let per_user_limit = 2;
    let event = world.event(&organizer, capacity, price_minor, per_user_limit);
    // Two threads per user, so one thread's cancel races the other's booking for that user.
    let users: Vec<_> = (0..THREADS / 2)
        .map(|i| world.user(&format!("Racer {i}"), Role::Attendee))
        .collect();
    let start = Arc::new(Barrier::new(THREADS));
    let limits_reached = Arc::new(AtomicUsize::new(0));

    let handles: Vec<_> = (0..THREADS)
        .map(|i| {
            let user = users[i % users.len()];
            let limits_reached = Arc::clone(&limits_reached);
            let world = Arc::clone(&world);
            let start = Arc::clone(&start);
            std::thread::spawn(move || {
                let mut rng = rand::rngs::StdRng::seed_from_u64(i as u64);
                let mut mine: Vec<TicketId> = Vec::new();
                let tickets = world.prasang.tickets();
                start.wait();
                for n in 0..OPERATIONS_PER_THREAD {
                    match rng.gen_range(0..10) {
                        0..=4 => {
                            let request = BookingRequest {
                                event: event.id,
                                quantity: rng.gen_range(1..=2),
                                idempotency_key: Some(format!("{i}-{n}")),
                                lines: Vec::new(),
                                promo_code: None,
                            };
                            match tickets.book(&user, &request) {
                                Ok(outcome) => mine.push(outcome.ticket.id),
                                Err(TicketError::LimitReached { .. }) => {
                                    limits_reached.fetch_add(1, Ordering::Relaxed);
                                }
                                Err(TicketError::SoldOut { .. }) => {}
                                Err(other) => panic!("unexpected booking error: {other:?}"),
                            }
                        }
                        5..=7 if !mine.is_empty() => {
                            let ticket = mine.swap_remove(rng.gen_range(0..mine.len()));
                            // The organizer or the expiry sweeper may have got there first.
                            match tickets.cancel(&user, ticket) {
                                Ok(_) | Err(TicketError::WrongStatus(_)) => {}
                                Err(other) => panic!("unexpected cancel error: {other:?}"),
                            }
                        }
                        8 if !mine.is_empty() => {
                            let ticket = mine[rng.gen_range(0..mine.len())];
                            match tickets.confirm_payment(&organizer, ticket) {
                                Ok(_) | Err(TicketError::WrongStatus(_)) => {}
                                Err(other) => panic!("unexpected confirm error: {other:?}"),
                            }
                        }
                        _ => {
                            world
                                .clock
                                .advance(Duration::from_secs(rng.gen_range(0..10)));
                            tickets.expire_due().expect("expire");
                        }
                    }
                }
            })
        })
        .collect();
    for handle in handles {
        handle.join().expect("racer thread");
    }

    assert_intact(&world.prasang);
    let peaks = peak_seats_taken(&world, event.id);
    let peak = peaks.seats;
    assert!(
        peak <= capacity as u32,
        "oversold: {peak} seats taken of {capacity}"
    );
    assert!(
        peak == capacity as u32,
        "the race never filled the event (peak {peak}); it tested nothing"
    );
    assert!(
        peaks.by_one_user <= per_user_limit as u32,
        "a user held {} seats, over the limit of {per_user_limit}",
        peaks.by_one_user
    );
    assert!(
        limits_reached.load(Ordering::Relaxed) > 0,
        "nobody ever reached the per-user limit; the race tested nothing of it"
    );
    let seats = world.prasang.events().peek(event.id).expect("event").seats;
    assert_eq!(seats.remaining + seats.held + seats.booked, seats.capacity);
}

#[test]
fn racing_bookings_and_cancellations_never_oversell_a_free_event() {
    race(0);
}

#[test]
fn racing_holds_confirmations_and_expiry_never_oversell_a_paid_event() {
    race(1_500);
}
