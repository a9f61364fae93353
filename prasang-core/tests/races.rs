//! Concurrency: many threads booking, cancelling, confirming and expiring on one small event
//! at once, two threads per user. Afterwards the log, replayed in order, must never show more
//! seats taken than exist nor a user holding more than the per-user limit, and every counter
//! must agree with the tickets.
//!
//! Ticket types and promo codes (real threads through `book` and `book_many`, group commit):
//! buyers racing for a code's last uses, for types' quotas and the event's last seats, for a
//! once-per-user code, with one idempotency key, against lapsing holds and against the
//! organizer's changes never get more than the code, the type or the event allows.

mod common;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::time::Duration;

use common::crash::log_entries;
use common::types::{
    code_used, event_with_code, order, promo_code, refusal_code, replay_log, ticket_type,
    type_counters, typed_event,
};
use common::{World, assert_intact};
use prasang_core::DomainError;
use prasang_core::auth::Actor;
use prasang_core::events::{NewTicketType, TicketTypeUpdate};
use prasang_core::log::DomainEvent;
use prasang_core::promo::{Discount, NewPromoCode, PromoCodeUpdate};
use prasang_core::tickets::{BookingRequest, Ticket, TicketError, TicketStatus};
use prasang_core::users::Role;
use prasang_core::{Durability, EventId, TicketId, UserId};
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
                                pass: None,
                                attendee_names: Default::default(),
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

// Ticket types and promo codes: the booking writer decides a code's uses and a type's quota in
// memory per batch, so racing buyers must never get more than either allows.

/// Sends every request at once from `threads` threads: even threads book their share one by one
/// (`book`), odd threads hand theirs to `book_many` together. The answers, in request order.
fn race_requests(
    world: &Arc<World>,
    requests: Vec<(Actor, BookingRequest)>,
    threads: usize,
) -> Vec<Result<Ticket, TicketError>> {
    let count = requests.len();
    let start = Arc::new(Barrier::new(threads));
    let mut shares: Vec<Vec<(usize, (Actor, BookingRequest))>> = vec![Vec::new(); threads];
    for (i, request) in requests.into_iter().enumerate() {
        shares[i % threads].push((i, request));
    }
    let handles: Vec<_> = shares
        .into_iter()
        .enumerate()
        .map(|(thread, share)| {
            let world = Arc::clone(world);
            let start = Arc::clone(&start);
            std::thread::spawn(move || {
                let tickets = world.prasang.tickets();
                let (indexes, requests): (Vec<usize>, Vec<_>) = share.into_iter().unzip();
                start.wait();
                let answers = if thread % 2 == 0 {
                    requests
                        .iter()
                        .map(|(actor, request)| tickets.book(actor, request))
                        .collect()
                } else {
                    tickets.book_many(&requests)
                };
                indexes
                    .into_iter()
                    .zip(answers.into_iter().map(|answer| answer.map(|o| o.ticket)))
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut answers: Vec<Option<Result<Ticket, TicketError>>> = (0..count).map(|_| None).collect();
    for handle in handles {
        for (i, answer) in handle.join().expect("buyer thread") {
            answers[i] = Some(answer);
        }
    }
    answers
        .into_iter()
        .map(|answer| answer.expect("every request answered"))
        .collect()
}

/// The booked tickets among `answers`, and the problem codes of the refusals, counted.
fn tally(answers: Vec<Result<Ticket, TicketError>>) -> (Vec<Ticket>, HashMap<&'static str, usize>) {
    let mut booked = Vec::new();
    let mut refused = HashMap::new();
    for answer in answers {
        match answer {
            Ok(ticket) => booked.push(ticket),
            Err(error) => *refused.entry(refusal_code(&error)).or_default() += 1,
        }
    }
    (booked, refused)
}

/// A group-commit world in which Olga sells `types` (100 seats, `per_user_limit` per person)
/// with `code`.
fn coded_sale(
    per_user_limit: i64,
    types: Vec<NewTicketType>,
    code: NewPromoCode,
) -> (Arc<World>, Actor, EventId) {
    let world = group_commit_world();
    let organizer = world.user("Olga", Role::Organizer);
    let new = typed_event(100, per_user_limit, types);
    let event = event_with_code(&world.prasang, &organizer, new, code);
    (world, organizer, event)
}

fn group_commit_world() -> Arc<World> {
    Arc::new(World::with(|c| {
        c.durability(Durability::GroupCommit)
            .hold_duration(Duration::from_secs(600))
    }))
}

#[test]
fn sixty_four_buyers_racing_for_ten_uses_of_a_code_get_exactly_ten() {
    const BUYERS: usize = 64;
    const USES: u32 = 10;
    let types = vec![ticket_type("Adult", 2_000, None)];
    let code = promo_code("SPRING", Discount::Percent(25), Some(USES.into()), false);
    let (world, organizer, event) = coded_sale(1, types, code);
    let buyers: Vec<Actor> = (0..BUYERS)
        .map(|i| world.user(&format!("Buyer {i}"), Role::Attendee))
        .collect();
    let requests = |who: &[Actor]| {
        who.iter()
            .map(|buyer| (*buyer, order(event, &[(1, 1)], Some("spring"))))
            .collect::<Vec<_>>()
    };

    let (booked, refused) = tally(race_requests(&world, requests(&buyers), 16));
    assert_eq!(booked.len(), USES as usize, "refusals: {refused:?}");
    assert_eq!(
        refused.get("promo-code-used-up"),
        Some(&(BUYERS - USES as usize))
    );
    for ticket in &booked {
        assert_eq!(ticket.promo_code.as_deref(), Some("SPRING"));
        assert_eq!((ticket.promo_seats, ticket.discount_minor), (1, 500));
        assert_eq!(ticket.amount_minor, 1_500);
    }
    assert_eq!(code_used(&world.prasang, &organizer, event, "SPRING"), USES);
    assert_intact(&world.prasang);

    // Four cancels give four uses back; the 54 who lost race again and exactly four win.
    const GIVEN_BACK: usize = 4;
    for ticket in &booked[..GIVEN_BACK] {
        let holder = buyers
            .iter()
            .find(|b| b.user_id() == ticket.user)
            .expect("holder");
        world.cancel_ticket(holder, ticket.id);
    }
    assert_eq!(
        code_used(&world.prasang, &organizer, event, "SPRING"),
        USES - GIVEN_BACK as u32
    );
    let losers: Vec<Actor> = buyers
        .iter()
        .filter(|b| !booked.iter().any(|t| t.user == b.user_id()))
        .copied()
        .collect();
    let (again, refused) = tally(race_requests(&world, requests(&losers), 16));
    assert_eq!(again.len(), GIVEN_BACK, "refusals: {refused:?}");
    assert_eq!(
        refused.get("promo-code-used-up"),
        Some(&(losers.len() - GIVEN_BACK))
    );
    assert_eq!(code_used(&world.prasang, &organizer, event, "SPRING"), USES);
    let uses = world
        .prasang
        .promo_codes()
        .uses(&organizer, event, "SPRING")
        .expect("uses");
    let active = uses.iter().filter(|used| used.status.is_active()).count();
    assert_eq!(
        (uses.len(), active),
        (USES as usize + GIVEN_BACK, USES as usize)
    );
    assert_intact(&world.prasang);
}

#[test]
fn racing_for_a_types_quota_and_the_last_seats_across_two_types_never_oversells() {
    const CAPACITY: u32 = 10;
    const QUOTA: u32 = 6;
    const THREADS: usize = 12;
    let world = group_commit_world();
    let organizer = world.user("Olga", Role::Organizer);
    // Two types of 6 seats each share 10: the quotas and the event's capacity both bind.
    let types = vec![
        ticket_type("Paid", 1_500, Some(QUOTA.into())),
        ticket_type("Free", 0, Some(QUOTA.into())),
    ];
    let event = world
        .prasang
        .events()
        .create(&organizer, typed_event(CAPACITY.into(), 10, types))
        .expect("event")
        .id;
    let users: Vec<Actor> = (0..THREADS / 2)
        .map(|i| world.user(&format!("Racer {i}"), Role::Attendee))
        .collect();
    let start = Arc::new(Barrier::new(THREADS));
    let handles: Vec<_> = (0..THREADS)
        .map(|i| {
            let user = users[i % users.len()];
            let world = Arc::clone(&world);
            let start = Arc::clone(&start);
            std::thread::spawn(move || {
                let mut rng = rand::rngs::StdRng::seed_from_u64(100 + i as u64);
                let mut refusals: HashMap<&'static str, usize> = HashMap::new();
                let mut mine: Vec<TicketId> = Vec::new();
                let tickets = world.prasang.tickets();
                start.wait();
                for _ in 0..OPERATIONS_PER_THREAD {
                    let mut lines = Vec::new();
                    match rng.gen_range(0..10) {
                        0..=6 => {
                            for ticket_type in [1, 2] {
                                if rng.gen_bool(0.6) || (ticket_type == 2 && lines.is_empty()) {
                                    lines.push((ticket_type, rng.gen_range(1..=3)));
                                }
                            }
                            let request = order(event, &lines, None);
                            let answers = if rng.gen_bool(0.5) {
                                vec![tickets.book(&user, &request)]
                            } else {
                                tickets.book_many(&[(user, request.clone()), (user, request)])
                            };
                            for answer in answers {
                                match answer {
                                    Ok(outcome) => mine.push(outcome.ticket.id),
                                    Err(error) => {
                                        *refusals.entry(refusal_code(&error)).or_default() += 1
                                    }
                                }
                            }
                        }
                        7..=8 if !mine.is_empty() => {
                            let ticket = mine.swap_remove(rng.gen_range(0..mine.len()));
                            match tickets.cancel(&user, ticket) {
                                Ok(_) | Err(TicketError::WrongStatus(_)) => {}
                                Err(other) => panic!("unexpected cancel error: {other:?}"),
                            }
                        }
                        _ => {
                            if let Some(&ticket) = mine.first() {
                                match tickets.confirm_payment(&organizer, ticket) {
                                    Ok(_) | Err(TicketError::WrongStatus(_)) => {}
                                    Err(other) => panic!("unexpected confirm error: {other:?}"),
                                }
                            }
                        }
                    }
                }
                refusals
            })
        })
        .collect();
    let mut refusals: HashMap<&'static str, usize> = HashMap::new();
    for handle in handles {
        for (code, n) in handle.join().expect("racer thread") {
            *refusals.entry(code).or_default() += n;
        }
    }

    assert_intact(&world.prasang);
    let replayed = replay_log(&log_entries(&world.prasang), event);
    for ticket_type in [1, 2] {
        let peak = replayed.peak_by_type[&ticket_type];
        assert!(
            peak <= QUOTA,
            "type {ticket_type}: {peak} seats over its quota of {QUOTA}"
        );
    }
    assert!(
        replayed.peak <= CAPACITY,
        "oversold: {} of {CAPACITY}",
        replayed.peak
    );
    assert_eq!(replayed.peak, CAPACITY, "the race never filled the event");
    assert!(
        replayed.peak_by_type.values().any(|&peak| peak == QUOTA),
        "no type ever reached its quota; the race tested nothing of it"
    );
    for expected in ["sold-out", "ticket-type-sold-out"] {
        assert!(
            refusals.contains_key(expected),
            "never refused {expected}: {refusals:?}"
        );
    }
    let now = type_counters(&world.prasang, &organizer, event);
    assert_eq!(now, replayed.by_type);
    let seats = world.seats(event);
    assert_eq!(
        seats.held + seats.booked,
        now.values().map(|t| t.total()).sum::<u32>()
    );
}

#[test]
fn a_once_per_user_code_raced_by_one_user_from_eight_threads_gives_one_ticket() {
    let types = vec![ticket_type("Adult", 2_000, None)];
    let code = promo_code("ONCE", Discount::PerSeat(500), None, true);
    let (world, organizer, event) = coded_sale(20, types, code);
    let ada = world.user("Ada", Role::Attendee);
    let requests: Vec<_> = (0..16)
        .map(|_| (ada, order(event, &[(1, 1)], Some("once"))))
        .collect();

    let (booked, refused) = tally(race_requests(&world, requests.clone(), 8));
    assert_eq!(booked.len(), 1, "refusals: {refused:?}");
    assert_eq!(refused.get("promo-code-already-used"), Some(&15));
    assert_eq!(code_used(&world.prasang, &organizer, event, "ONCE"), 1);
    assert_intact(&world.prasang);

    // Cancelled, the code is Ada's to use once again.
    world.cancel_ticket(&ada, booked[0].id);
    let (again, _) = tally(race_requests(&world, requests, 8));
    assert_eq!(again.len(), 1);
    assert_intact(&world.prasang);
}

/// The organizer changes the code's maximum and a type's price and quota while buyers book and
/// cancel with the code: the changes and the bookings write the same records (the code, the
/// sale state), so neither may lose the other's writes.
#[test]
fn organizer_changes_racing_bookings_lose_no_write() {
    const BUYER_THREADS: usize = 8;
    let types = vec![
        ticket_type("Adult", 2_000, Some(60)),
        ticket_type("Child", 500, None),
    ];
    let code = promo_code("FLASH", Discount::Percent(10), Some(20), false);
    let (world, organizer, event) = coded_sale(10, types, code);
    let buyers: Vec<Actor> = (0..BUYER_THREADS)
        .map(|i| world.user(&format!("Buyer {i}"), Role::Attendee))
        .collect();
    let start = Arc::new(Barrier::new(BUYER_THREADS + 1));
    let handles: Vec<_> = buyers
        .iter()
        .enumerate()
        .map(|(i, &buyer)| {
            let world = Arc::clone(&world);
            let start = Arc::clone(&start);
            std::thread::spawn(move || {
                let mut rng = rand::rngs::StdRng::seed_from_u64(200 + i as u64);
                let tickets = world.prasang.tickets();
                let mut mine: Vec<TicketId> = Vec::new();
                let mut booked = 0;
                start.wait();
                for _ in 0..OPERATIONS_PER_THREAD {
                    if rng.gen_bool(0.4) && !mine.is_empty() {
                        let ticket = mine.swap_remove(rng.gen_range(0..mine.len()));
                        tickets.cancel(&buyer, ticket).expect("cancel");
                        continue;
                    }
                    let lines = [(rng.gen_range(1..=2), rng.gen_range(1..=2))];
                    let code = rng.gen_bool(0.7).then_some("flash");
                    match tickets.book(&buyer, &order(event, &lines, code)) {
                        Ok(outcome) => {
                            mine.push(outcome.ticket.id);
                            booked += 1;
                        }
                        Err(error) => match refusal_code(&error) {
                            "promo-code-used-up"
                            | "limit-reached"
                            | "ticket-type-sold-out"
                            | "sold-out" => {}
                            other => panic!("unexpected refusal {other}: {error:?}"),
                        },
                    }
                }
                booked
            })
        })
        .collect();

    // The organizer's last accepted settings; a maximum below the uses is refused.
    let mut rng = rand::rngs::StdRng::seed_from_u64(300);
    let (mut max_uses, mut price) = (20, 2_000);
    let (mut changes, mut maxima_refused) = (0, 0);
    start.wait();
    while changes < 300 {
        let wanted = rng.gen_range(5..=40);
        let update = PromoCodeUpdate {
            max_uses: Some(Some(wanted)),
            ..Default::default()
        };
        match world
            .prasang
            .promo_codes()
            .update(&organizer, event, "FLASH", update)
        {
            Ok(code) => max_uses = code.max_uses.expect("a maximum"),
            Err(error) if error.field().is_some_and(|f| f.field == "max_uses") => {
                maxima_refused += 1
            }
            Err(other) => panic!("unexpected code update error: {other:?}"),
        }
        let wanted_price = rng.gen_range(1..=40) * 100;
        let update = TicketTypeUpdate {
            price_minor: Some(wanted_price),
            ..Default::default()
        };
        let changed = world
            .prasang
            .events()
            .update_ticket_type(&organizer, event, 1, update)
            .expect("reprice");
        price = changed.price_minor;
        changes += 1;
    }
    let booked: usize = handles
        .into_iter()
        .map(|h| h.join().expect("buyer thread"))
        .sum();

    assert!(
        booked > 100,
        "only {booked} bookings; the race tested little"
    );
    assert!(maxima_refused > 0, "no maximum was ever below the uses");
    let code = world
        .prasang
        .promo_codes()
        .get(&organizer, event, "FLASH")
        .expect("code");
    assert_eq!(code.max_uses, Some(max_uses), "a code change was lost");
    let adult = world
        .prasang
        .events()
        .ticket_types(&organizer, event)
        .expect("types")
        .into_iter()
        .find(|t| t.id == 1)
        .expect("adult");
    assert_eq!(adult.price_minor, price, "a price change was lost");
    assert_intact(&world.prasang);
}

/// Holds with a code lapse while their holders cancel them, the sweeper expires them and new
/// buyers race for the uses they give back: each hold gives its use back once, and the new
/// buyers get exactly the uses there are.
#[test]
fn lapsing_holds_give_their_code_uses_back_once_to_racing_buyers() {
    const USES: usize = 10;
    const NEWCOMERS: usize = 30;
    let types = vec![ticket_type("Adult", 2_000, None)];
    let code = promo_code("LAPSE", Discount::PerSeat(300), Some(USES as i64), false);
    let (world, organizer, event) = coded_sale(1, types, code);
    let holders: Vec<Actor> = (0..USES)
        .map(|i| world.user(&format!("Holder {i}"), Role::Attendee))
        .collect();
    let holds: Vec<Ticket> = holders
        .iter()
        .map(|holder| {
            world
                .book_with(holder, &order(event, &[(1, 1)], Some("LAPSE")))
                .ticket
        })
        .collect();
    assert!(holds.iter().all(|t| t.status == TicketStatus::Pending));
    let newcomers: Vec<Actor> = (0..NEWCOMERS)
        .map(|i| world.user(&format!("Newcomer {i}"), Role::Attendee))
        .collect();
    world.clock.advance(Duration::from_secs(601));

    // The holders cancel and the sweeper expires, at once; new buyers race in while they do.
    let start = Arc::new(Barrier::new(3));
    let cancels = {
        let (world, start) = (Arc::clone(&world), Arc::clone(&start));
        let pairs: Vec<_> = holders
            .iter()
            .copied()
            .zip(holds.iter().map(|t| t.id))
            .collect();
        std::thread::spawn(move || {
            start.wait();
            for (holder, ticket) in pairs {
                match world.prasang.tickets().cancel(&holder, ticket) {
                    Ok(_) | Err(TicketError::WrongStatus(TicketStatus::Expired)) => {}
                    Err(other) => panic!("unexpected cancel error: {other:?}"),
                }
            }
        })
    };
    let sweeper = {
        let (world, start) = (Arc::clone(&world), Arc::clone(&start));
        std::thread::spawn(move || {
            start.wait();
            (0..20)
                .map(|_| world.prasang.tickets().expire_due().expect("expire"))
                .sum::<usize>()
        })
    };
    start.wait();
    let requests = newcomers
        .iter()
        .map(|buyer| (*buyer, order(event, &[(1, 1)], Some("lapse"))))
        .collect();
    let (early, _) = tally(race_requests(&world, requests, 8));
    cancels.join().expect("cancels");
    let expired = sweeper.join().expect("sweeper");
    // Whatever the race left of the uses, the newcomers who lost it try once more.
    let losers: Vec<_> = newcomers
        .iter()
        .filter(|b| !early.iter().any(|t| t.user == b.user_id()))
        .map(|buyer| (*buyer, order(event, &[(1, 1)], Some("lapse"))))
        .collect();
    let (late, refused) = tally(race_requests(&world, losers, 8));

    let released = holds
        .iter()
        .map(|t| world.prasang.tickets().get(&organizer, t.id).expect("hold"))
        .filter(|t| !t.status.is_active())
        .count();
    assert_eq!(released, USES, "every hold is released");
    assert!(expired <= USES);
    assert_eq!(early.len() + late.len(), USES, "refusals: {refused:?}");
    assert_eq!(refused.get("promo-code-used-up"), Some(&(NEWCOMERS - USES)));
    assert_eq!(
        code_used(&world.prasang, &organizer, event, "LAPSE"),
        USES as u32
    );
    assert_intact(&world.prasang);
}

/// One booking with a code retried from eight threads with the same idempotency key is one
/// ticket and one use of the code.
#[test]
fn a_retried_booking_with_a_code_is_one_ticket_and_one_use() {
    let types = vec![
        ticket_type("Adult", 2_000, None),
        ticket_type("Child", 0, Some(5)),
    ];
    let code = promo_code("RETRY", Discount::Percent(50), Some(5), false);
    let (world, organizer, event) = coded_sale(10, types, code);
    let ada = world.user("Ada", Role::Attendee);
    let request = BookingRequest {
        idempotency_key: Some("checkout-1".into()),
        ..order(event, &[(1, 2), (2, 1)], Some("retry"))
    };
    let requests = (0..16).map(|_| (ada, request.clone())).collect();

    let (tickets, refused) = tally(race_requests(&world, requests, 8));
    assert!(refused.is_empty(), "{refused:?}");
    assert!(
        tickets.iter().all(|t| t.id == tickets[0].id),
        "more than one ticket"
    );
    assert_eq!(tickets[0].amount_minor, 2_000);
    assert_eq!(code_used(&world.prasang, &organizer, event, "RETRY"), 3);
    assert_intact(&world.prasang);
}
