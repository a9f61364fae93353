//! The waiting room in front of an on-sale: a fair lottery for early arrivals, strict arrival
//! order after the on-sale time, admission at the set rate, account- and event-bound passes,
//! and places that survive a restart.

mod common;

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use common::{START, World, register_actor};
use prasang_core::auth::Actor;
use prasang_core::log::DomainEvent;
use prasang_core::tickets::{BookingOutcome, BookingRequest, TicketError};
use prasang_core::users::{PasswordCost, Role};
use prasang_core::waiting_room::{
    AdmissionRate, PassRefusal, Place, QueueStatus, RoomError, RoomSettings,
};
use prasang_core::{
    Config, DomainError, Durability, ErrorKind, EventId, ManualClock, Prasang, Timestamp, UserId,
};

const MINUTE: Duration = Duration::from_secs(60);

fn settings(on_sale_at: Timestamp, admission: AdmissionRate) -> RoomSettings {
    RoomSettings {
        enabled: true,
        on_sale_at,
        admission,
        pass_minutes: 10,
    }
}

/// A store that skips the fsync of every write: for tests that make thousands of places and
/// check orders and counts, not durability.
fn quick_world(seed: u64) -> World {
    World::with(|config| {
        config.lottery_seed(seed).durability(Durability::Periodic {
            every: Duration::from_secs(60),
        })
    })
}

fn people(prasang: &Prasang, prefix: &str, count: usize) -> Vec<Actor> {
    (0..count)
        .map(|n| register_actor(prasang, &format!("{prefix} {n}"), Role::Attendee))
        .collect()
}

fn join(prasang: &Prasang, who: &Actor, event: EventId) -> QueueStatus {
    prasang.waiting_room().join(who, event).expect("join")
}

fn status(prasang: &Prasang, who: &Actor, event: EventId) -> QueueStatus {
    prasang.waiting_room().status(who, event).expect("status")
}

fn position(prasang: &Prasang, who: &Actor, event: EventId) -> u64 {
    match status(prasang, who, event).place {
        Place::Waiting { position, .. } => position,
        other => panic!("not waiting: {other:?}"),
    }
}

fn pass_of(prasang: &Prasang, who: &Actor, event: EventId) -> String {
    match status(prasang, who, event).place {
        Place::Admitted { pass, .. } => pass,
        other => panic!("not admitted: {other:?}"),
    }
}

fn admit(prasang: &Prasang) -> usize {
    prasang.waiting_room().admit_due().expect("admission step")
}

/// The users of `event`'s `QueueAdmitted` log entries, in log order.
fn admitted_in_order(prasang: &Prasang, event: EventId) -> Vec<UserId> {
    queue_entries(prasang, event, Entry::Admitted)
}

#[derive(PartialEq)]
enum Entry {
    Joined,
    Admitted,
}

/// The users of `event`'s waiting-room log entries of one kind, in log order.
fn queue_entries(prasang: &Prasang, event: EventId, kind: Entry) -> Vec<UserId> {
    let admin = prasang.auth().system_actor();
    let entries = prasang
        .log()
        .read(&admin, 0, 100_000)
        .expect("read the log");
    entries
        .into_iter()
        .filter_map(|entry| match entry.event {
            DomainEvent::QueueAdmitted {
                event: of, user, ..
            } if of == event && kind == Entry::Admitted => Some(user),
            DomainEvent::QueueJoined { event: of, user }
                if of == event && kind == Entry::Joined =>
            {
                Some(user)
            }
            _ => None,
        })
        .collect()
}

/// Books one seat of `event` for `who`, with `pass` if given.
fn book(
    prasang: &Prasang,
    who: &Actor,
    event: EventId,
    pass: Option<&str>,
) -> Result<BookingOutcome, TicketError> {
    let request = BookingRequest {
        pass: pass.map(str::to_owned),
        ..BookingRequest::seats(event, 1)
    };
    prasang.tickets().book(who, &request)
}

fn booking_refusal(result: Result<BookingOutcome, TicketError>) -> PassRefusal {
    match result {
        Err(TicketError::PassInvalid(refusal)) => refusal,
        other => panic!("expected a refused pass, got {other:?}"),
    }
}

fn refusal(result: Result<impl std::fmt::Debug, RoomError>) -> PassRefusal {
    match result {
        Err(RoomError::PassInvalid(refusal)) => refusal,
        other => panic!("expected a refused pass, got {other:?}"),
    }
}

/// With a fixed seed, over many small rooms, every early arrival is equally likely to end up at
/// every rank of admission, whatever their arrival order: the counts of (arrival index, rank)
/// pass a chi-square test of independence at p = 0.001. A room admitting by arrival (or by any
/// fixed rule) puts all the weight on a few cells and fails by far.
#[test]
fn early_arrivals_are_admitted_in_a_uniformly_random_order() {
    const PEOPLE: usize = 6;
    const TRIALS: usize = 600;
    // The chi-square value that (PEOPLE - 1)^2 = 25 degrees of freedom exceed with
    // probability 0.001.
    const CRITICAL: f64 = 52.62;
    let world = quick_world(31);
    let prasang = &world.prasang;
    let olga = world.user("Olga", Role::Organizer);
    let crowd = people(prasang, "Early", PEOPLE);
    let mut counts = [[0u32; PEOPLE]; PEOPLE];
    for _ in 0..TRIALS {
        let event = world.event(&olga, 100, 0, 4).id;
        let on_sale = prasang.now().plus(MINUTE);
        let rate = AdmissionRate::PerMinute(10);
        let rooms = prasang.waiting_room();
        rooms
            .configure(&olga, event, settings(on_sale, rate))
            .expect("room on");
        for person in &crowd {
            assert!(matches!(
                join(prasang, person, event).place,
                Place::InLottery { .. }
            ));
            world.clock.advance(Duration::from_millis(10));
        }
        world.clock.set(on_sale);
        admit(prasang);
        for (arrival, person) in crowd.iter().enumerate() {
            let rank = position(prasang, person, event) as usize;
            counts[arrival][rank - 1] += 1;
        }
        // Off again, so later steps leave this room alone (its places are kept).
        let off = RoomSettings {
            enabled: false,
            ..settings(on_sale, rate)
        };
        rooms.configure(&olga, event, off).expect("room off");
    }
    let expected = TRIALS as f64 / PEOPLE as f64;
    let chi_square: f64 = counts
        .iter()
        .flatten()
        .map(|&seen| (f64::from(seen) - expected).powi(2) / expected)
        .sum();
    assert!(
        chi_square < CRITICAL,
        "rank counts by arrival are not uniform (chi-square {chi_square:.1}): {counts:?}"
    );
    for row in &counts {
        assert_eq!(row.iter().sum::<u32>(), TRIALS as u32);
    }
}

/// Early arrivals (in the lottery's order) come first, then everyone who came after the
/// on-sale time, strictly in arrival order; a late arrival knows their position at once.
#[test]
fn late_arrivals_queue_in_arrival_order_behind_the_lottery() {
    let world = quick_world(5);
    let prasang = &world.prasang;
    let olga = world.user("Olga", Role::Organizer);
    let event = world.event(&olga, 100, 0, 4).id;
    let on_sale = START.plus(10 * MINUTE);
    let rooms = prasang.waiting_room();
    rooms
        .configure(&olga, event, settings(on_sale, AdmissionRate::PerMinute(7)))
        .expect("room on");
    let early = people(prasang, "Early", 20);
    for person in &early {
        join(prasang, person, event);
    }
    world.clock.set(on_sale);
    let late = people(prasang, "Late", 30);
    for (index, person) in late.iter().enumerate() {
        world.clock.advance(Duration::from_millis(1));
        let joined = join(prasang, person, event);
        assert_eq!(
            joined.place,
            Place::Waiting {
                position: 21 + index as u64,
                estimated_wait_secs: Some(((21 + index as u64) * 60).div_ceil(7)),
            }
        );
    }
    // The lottery's order, as positions show it once drawn.
    admit(prasang);
    let mut by_draw: Vec<(u64, UserId)> = early
        .iter()
        .map(|person| (position(prasang, person, event), person.user_id()))
        .collect();
    by_draw.sort();
    assert_eq!(
        by_draw.iter().map(|(rank, _)| *rank).collect::<Vec<_>>(),
        (1..=20).collect::<Vec<_>>()
    );
    for _ in 0..8 {
        world.clock.advance(MINUTE);
        admit(prasang);
    }
    let expected: Vec<UserId> = by_draw
        .iter()
        .map(|(_, user)| *user)
        .chain(late.iter().map(Actor::user_id))
        .collect();
    assert_eq!(admitted_in_order(prasang, event), expected);
    for person in early.iter().chain(&late) {
        pass_of(prasang, person, event);
    }
}

/// A lottery and an admission larger than one transaction's batch (1,024): every early arrival
/// gets exactly one of the ranks 1..=N, and admission follows those ranks across batches.
#[test]
fn a_large_lottery_is_drawn_and_admitted_across_batches() {
    const CROWD: usize = 2_500;
    let world = quick_world(11);
    let prasang = &world.prasang;
    let olga = world.user("Olga", Role::Organizer);
    let event = world.event(&olga, 100, 0, 4).id;
    let on_sale = START.plus(MINUTE);
    prasang
        .waiting_room()
        .configure(
            &olga,
            event,
            settings(on_sale, AdmissionRate::PerMinute(1_000_000)),
        )
        .expect("room on");
    let crowd = people(prasang, "Fan", CROWD);
    for person in &crowd {
        join(prasang, person, event);
    }
    world.clock.set(on_sale);
    assert_eq!(admit(prasang), 0, "nobody before the rate allows");
    let mut by_rank: Vec<(u64, UserId)> = crowd
        .iter()
        .map(|person| (position(prasang, person, event), person.user_id()))
        .collect();
    by_rank.sort();
    let ranks: Vec<u64> = by_rank.iter().map(|(rank, _)| *rank).collect();
    assert_eq!(ranks, (1..=CROWD as u64).collect::<Vec<_>>());
    world.clock.advance(MINUTE);
    assert_eq!(admit(prasang), CROWD);
    let in_rank_order: Vec<UserId> = by_rank.iter().map(|(_, user)| *user).collect();
    assert_eq!(admitted_in_order(prasang, event), in_rank_order);
}

/// Per minute: over ten simulated minutes, stepped every ten seconds, each minute admits the
/// set rate within 5%, and so does the whole; a step after a pause admits no more than one
/// minute's worth (no burst for the crowd).
#[test]
fn admission_keeps_the_set_rate() {
    const RATE: u64 = 120;
    let world = quick_world(9);
    let prasang = &world.prasang;
    let olga = world.user("Olga", Role::Organizer);
    let event = world.event(&olga, 100, 0, 4).id;
    prasang
        .waiting_room()
        .configure(
            &olga,
            event,
            settings(START, AdmissionRate::PerMinute(RATE as u32)),
        )
        .expect("room on");
    for person in &people(prasang, "Fan", 2_000) {
        join(prasang, person, event);
    }
    let low = RATE as f64 * 0.95;
    let high = RATE as f64 * 1.05;
    let mut total = 0;
    for minute in 0..10 {
        let mut this_minute = 0;
        for _ in 0..6 {
            world.clock.advance(Duration::from_secs(10));
            this_minute += admit(prasang);
        }
        let seen = this_minute as f64;
        assert!(
            (low..=high).contains(&seen),
            "minute {minute}: admitted {this_minute}"
        );
        total += this_minute;
    }
    assert!(
        (low * 10.0..=high * 10.0).contains(&(total as f64)),
        "{total}"
    );
    let numbers = prasang
        .waiting_room()
        .numbers(&olga, event)
        .expect("numbers");
    assert_eq!(numbers.admitted, total as u64);
    assert_eq!(numbers.queue_length, 2_000 - total as u64);
    assert_eq!(admitted_in_order(prasang, event).len(), total);

    world.clock.advance(5 * MINUTE);
    let after_pause = admit(prasang) as u64;
    assert!(
        after_pause <= RATE,
        "{after_pause} admitted at once after a pause"
    );
}

/// Automatic: at most a window of unspent passes is out; spent and lapsed passes make room,
/// and the organizer's numbers count them.
#[test]
fn automatic_admission_keeps_a_window_of_passes() {
    use prasang_core::waiting_room::AUTOMATIC_WINDOW;
    let world = quick_world(3);
    let prasang = &world.prasang;
    let olga = world.user("Olga", Role::Organizer);
    let event = world.event(&olga, 100, 0, 4).id;
    let rooms = prasang.waiting_room();
    rooms
        .configure(&olga, event, settings(START, AdmissionRate::Automatic))
        .expect("room on");
    let crowd = people(prasang, "Fan", 300);
    for person in &crowd {
        join(prasang, person, event);
    }
    world.clock.advance(Duration::from_secs(1));
    assert_eq!(admit(prasang) as u64, AUTOMATIC_WINDOW);
    assert_eq!(admit(prasang), 0, "the window is full");
    for person in &crowd[..30] {
        let pass = pass_of(prasang, person, event);
        book(prasang, person, event, Some(&pass)).expect("book with the pass");
    }
    assert_eq!(admit(prasang), 30);
    // Every pass out lapses unspent.
    world.clock.advance(11 * MINUTE);
    assert_eq!(admit(prasang) as u64, AUTOMATIC_WINDOW);
    let numbers = rooms.numbers(&olga, event).expect("numbers");
    assert_eq!(
        (
            numbers.admitted,
            numbers.spent,
            numbers.abandoned,
            numbers.outstanding
        ),
        (230, 30, 100, 100)
    );
    assert_eq!(numbers.queue_length, 70);
    assert!(matches!(
        status(prasang, &crowd[40], event).place,
        Place::Expired { .. }
    ));
    // The estimate follows the measured rate: 230 admitted over the 661 s since the room was
    // set is 20 a minute, so the 21st in line waits 63 s; with nobody admitted for minutes it
    // is unknown.
    let waiting = |who: &Actor| match status(prasang, who, event).place {
        Place::Waiting {
            position,
            estimated_wait_secs,
        } => (position, estimated_wait_secs),
        other => panic!("not waiting: {other:?}"),
    };
    assert_eq!(waiting(&crowd[250]), (21, Some(63)));
    world.clock.advance(3 * MINUTE);
    assert_eq!(waiting(&crowd[250]), (21, None));
}

/// One place per account: joining again returns the same place; many people joining at once
/// each get their own place, and every place they were told is in the store after a reopen.
#[test]
fn joining_twice_keeps_the_place_and_concurrent_joins_get_distinct_durable_places() {
    const THREADS: usize = 8;
    const EACH: usize = 40;
    let folder = tempfile::tempdir().expect("dir");
    let clock = ManualClock::new(START);
    let (event, told) = {
        let prasang = open_at(folder.path(), &clock);
        let (_, event) = olgas_room(&prasang, settings(START, AdmissionRate::PerMinute(60)));
        let prasang = Arc::new(prasang);
        let crowd = Arc::new(people(&prasang, "Fan", THREADS * EACH));
        let threads: Vec<_> = (0..THREADS)
            .map(|thread| {
                let (prasang, crowd) = (Arc::clone(&prasang), Arc::clone(&crowd));
                std::thread::spawn(move || {
                    crowd[thread * EACH..(thread + 1) * EACH]
                        .iter()
                        .map(|person| {
                            let first = join(&prasang, person, event).place;
                            let again = join(&prasang, person, event).place;
                            assert_eq!(again, first, "joined again");
                            (*person, first)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let told: Vec<(Actor, Place)> = threads
            .into_iter()
            .flat_map(|thread| thread.join().expect("joiner"))
            .collect();
        let positions: HashSet<u64> = told
            .iter()
            .map(|(_, place)| match place {
                Place::Waiting { position, .. } => *position,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(positions, (1..=(THREADS * EACH) as u64).collect());
        // One `queue_joined` per person: joining again logs nothing.
        let mut joined = queue_entries(&prasang, event, Entry::Joined);
        joined.sort();
        let mut crowd: Vec<UserId> = crowd.iter().map(Actor::user_id).collect();
        crowd.sort();
        assert_eq!(joined, crowd);
        (event, told)
    };
    let reopened = open_at(folder.path(), &clock);
    for (person, place) in &told {
        assert_eq!(&status(&reopened, person, event).place, place);
    }
}

/// A pass books only its own account's seat for its own event, before it lapses, once; an
/// altered pass is refused; joining again after a lapse queues at the end.
#[test]
fn a_pass_is_refused_for_another_account_event_after_expiry_tampered_or_spent() {
    let world = quick_world(1);
    let prasang = &world.prasang;
    let (olga, ada, bob) = world.olga_ada_bob();
    let event = world.event(&olga, 100, 0, 4).id;
    let other_event = world.event(&olga, 100, 0, 4).id;
    let rooms = prasang.waiting_room();
    for id in [event, other_event] {
        rooms
            .configure(&olga, id, settings(START, AdmissionRate::PerMinute(60)))
            .expect("room on");
    }
    let carl = world.user("Carl", Role::Attendee);
    for person in [&ada, &bob, &carl] {
        join(prasang, person, event);
    }
    join(prasang, &bob, other_event);
    world.clock.advance(3 * MINUTE);
    assert_eq!(admit(prasang), 4);
    let pass = pass_of(prasang, &ada, event);
    let (ada_id, bob_id) = (ada.user_id(), bob.user_id());
    let granted = rooms.verify_pass(ada_id, event, &pass).expect("valid");
    assert_eq!((granted.user, granted.event), (ada_id, event));

    assert_eq!(
        refusal(rooms.verify_pass(bob_id, event, &pass)),
        PassRefusal::OtherAccount
    );
    assert_eq!(
        refusal(rooms.verify_pass(ada_id, other_event, &pass)),
        PassRefusal::OtherEvent
    );
    let bob_elsewhere = pass_of(prasang, &bob, other_event);
    assert_eq!(
        refusal(rooms.verify_pass(bob_id, event, &bob_elsewhere)),
        PassRefusal::OtherEvent
    );
    let (payload, mac) = pass.split_once('.').expect("two parts");
    let bob_payload = pass_of(prasang, &bob, event);
    let swapped = format!("{}.{mac}", bob_payload.split_once('.').expect("parts").0);
    assert_eq!(
        refusal(rooms.verify_pass(bob_id, event, &swapped)),
        PassRefusal::Tampered
    );
    let mut flipped = mac.to_owned().into_bytes();
    flipped[3] = if flipped[3] == b'A' { b'B' } else { b'A' };
    let forged = format!("{payload}.{}", String::from_utf8(flipped).expect("ascii"));
    assert_eq!(
        refusal(rooms.verify_pass(ada_id, event, &forged)),
        PassRefusal::Tampered
    );
    assert_eq!(
        refusal(rooms.verify_pass(ada_id, event, "junk")),
        PassRefusal::Tampered
    );

    book(prasang, &ada, event, Some(&pass)).expect("the pass books once");
    assert_eq!(
        refusal(rooms.verify_pass(ada_id, event, &pass)),
        PassRefusal::Spent
    );
    assert_eq!(
        booking_refusal(book(prasang, &ada, event, Some(&pass))),
        PassRefusal::Spent
    );
    assert!(matches!(
        status(prasang, &ada, event).place,
        Place::Spent { .. }
    ));

    let carl_pass = pass_of(prasang, &carl, event);
    world.clock.advance(10 * MINUTE);
    assert_eq!(
        refusal(rooms.verify_pass(carl.user_id(), event, &carl_pass)),
        PassRefusal::Expired
    );
    assert_eq!(
        booking_refusal(book(prasang, &carl, event, Some(&carl_pass))),
        PassRefusal::Expired
    );
    // Back at the end of the queue, and the old pass stays dead once admitted again.
    let dave = world.user("Dave", Role::Attendee);
    join(prasang, &dave, event);
    let again = join(prasang, &carl, event);
    assert_eq!(
        again.place,
        Place::Waiting {
            position: 2,
            estimated_wait_secs: Some(2)
        }
    );
    world.clock.advance(2 * MINUTE);
    admit(prasang);
    assert_eq!(
        refusal(rooms.verify_pass(carl.user_id(), event, &carl_pass)),
        PassRefusal::Expired
    );
    let new_pass = pass_of(prasang, &carl, event);
    rooms
        .verify_pass(carl.user_id(), event, &new_pass)
        .expect("the new pass is valid");
    let numbers = rooms.numbers(&olga, event).expect("numbers");
    assert_eq!((numbers.spent, numbers.abandoned), (1, 2));
}

/// While the room is on, a booking needs the booker's live pass: without one it is refused
/// with their position and estimate; a completed booking spends the pass, a refused one does
/// not; a repeated request (same idempotency key) gets its first ticket; turning the room off
/// frees booking and leaves passes unspent.
#[test]
fn booking_needs_a_live_pass_while_the_room_is_on() {
    let world = quick_world(5);
    let prasang = &world.prasang;
    let (olga, ada, bob) = world.olga_ada_bob();
    let carl = world.user("Carl", Role::Attendee);
    let event = world.event(&olga, 100, 0, 4).id;
    let rooms = prasang.waiting_room();
    rooms
        .configure(&olga, event, settings(START, AdmissionRate::PerMinute(60)))
        .expect("room on");
    let refused = book(prasang, &ada, event, None).expect_err("no pass, not joined");
    assert_eq!(
        (refused.kind(), refused.info().code),
        (ErrorKind::RateLimited, "pass-required")
    );
    assert!(matches!(
        refused,
        TicketError::PassRequired {
            position: None,
            estimated_wait_secs: None
        }
    ));
    for person in [&ada, &bob, &carl] {
        join(prasang, person, event);
    }
    assert!(matches!(
        book(prasang, &bob, event, None),
        Err(TicketError::PassRequired {
            position: Some(2),
            estimated_wait_secs: Some(2)
        })
    ));
    world.clock.advance(MINUTE);
    assert_eq!(admit(prasang), 3);
    let (ada_pass, bob_pass) = (pass_of(prasang, &ada, event), pass_of(prasang, &bob, event));
    assert_eq!(
        booking_refusal(book(prasang, &ada, event, Some(&bob_pass))),
        PassRefusal::OtherAccount
    );
    assert_eq!(
        booking_refusal(book(prasang, &ada, event, Some("made.up"))),
        PassRefusal::Tampered
    );
    assert!(matches!(
        book(prasang, &ada, event, None),
        Err(TicketError::PassRequired { position: None, .. })
    ));

    // A refused booking leaves the pass live.
    let too_many = BookingRequest {
        pass: Some(bob_pass.clone()),
        ..BookingRequest::seats(event, 5)
    };
    assert!(matches!(
        prasang.tickets().book(&bob, &too_many),
        Err(TicketError::LimitReached { .. })
    ));
    rooms
        .verify_pass(bob.user_id(), event, &bob_pass)
        .expect("still live");

    let keyed = BookingRequest {
        pass: Some(ada_pass.clone()),
        idempotency_key: Some("ada-1".into()),
        ..BookingRequest::seats(event, 2)
    };
    let first = prasang
        .tickets()
        .book(&ada, &keyed)
        .expect("booked with the pass");
    assert!(matches!(
        status(prasang, &ada, event).place,
        Place::Spent { .. }
    ));
    let again = prasang
        .tickets()
        .book(&ada, &keyed)
        .expect("the same request again");
    assert_eq!((again.ticket.id, again.replayed), (first.ticket.id, true));
    assert_eq!(
        booking_refusal(book(prasang, &ada, event, Some(&ada_pass))),
        PassRefusal::Spent
    );
    assert_eq!(rooms.numbers(&olga, event).expect("numbers").spent, 1);

    // Off: anyone books, and passes (good or bad) are ignored, not spent.
    let off = RoomSettings {
        enabled: false,
        ..settings(START, AdmissionRate::PerMinute(60))
    };
    rooms.configure(&olga, event, off).expect("room off");
    book(prasang, &bob, event, Some(&bob_pass)).expect("booking is free");
    book(prasang, &carl, event, Some("junk")).expect("a bad pass is ignored");
    book(prasang, &world.user("Dora", Role::Attendee), event, None).expect("no pass needed");
    rooms
        .verify_pass(bob.user_id(), event, &bob_pass)
        .expect("not spent while off");
    assert_eq!(rooms.numbers(&olga, event).expect("numbers").spent, 1);
    assert_eq!(world.seats(event).remaining, 100 - 2 - 3);
}

/// Sixteen threads race to book with one person's pass, and a crowd books at once with their
/// own: the pass books exactly once, and every other pass books once too.
#[test]
fn a_pass_books_once_when_requests_race() {
    const THREADS: usize = 16;
    let world = quick_world(6);
    let prasang = &world.prasang;
    let olga = world.user("Olga", Role::Organizer);
    let event = world.event(&olga, 1_000, 0, 4).id;
    prasang
        .waiting_room()
        .configure(
            &olga,
            event,
            settings(START, AdmissionRate::PerMinute(1_000)),
        )
        .expect("room on");
    let crowd = people(prasang, "Fan", THREADS);
    for person in &crowd {
        join(prasang, person, event);
    }
    world.clock.advance(MINUTE);
    admit(prasang);
    let passes: Vec<String> = crowd
        .iter()
        .map(|person| pass_of(prasang, person, event))
        .collect();
    let results: Vec<(bool, bool)> = std::thread::scope(|scope| {
        let racers: Vec<_> = (0..THREADS)
            .map(|n| {
                let (crowd, passes) = (&crowd, &passes);
                scope.spawn(move || {
                    let with_first = book(prasang, &crowd[0], event, Some(&passes[0])).is_ok();
                    let with_own =
                        n == 0 || book(prasang, &crowd[n], event, Some(&passes[n])).is_ok();
                    (with_first, with_own)
                })
            })
            .collect();
        racers
            .into_iter()
            .map(|racer| racer.join().expect("racer"))
            .collect()
    });
    let first_booked = results.iter().filter(|(first, _)| *first).count();
    assert_eq!(first_booked, 1, "the shared pass booked once");
    assert!(results.iter().all(|(_, own)| *own), "every own pass booked");
    let numbers = prasang
        .waiting_room()
        .numbers(&olga, event)
        .expect("numbers");
    assert_eq!((numbers.spent, numbers.outstanding), (THREADS as u64, 0));
    assert_eq!(world.seats(event).remaining, 1_000 - THREADS as u32);
}

/// An accepted waiting-list offer books the seats held for it with no pass; a guest checkout
/// (no account, so no place in the room) is sent to the room.
#[test]
fn offers_pass_the_room_and_guests_are_sent_to_it() {
    use prasang_core::guests::{GuestCheckout, GuestError};
    let world = quick_world(7);
    let prasang = &world.prasang;
    let (olga, ada, bob) = world.olga_ada_bob();
    let event = world.event(&olga, 1, 0, 1).id;
    let sold = world.book(&ada, event, 1);
    common::waitlist::configure(prasang, &olga, event, common::waitlist::open(60, false));
    let entry = common::waitlist::join(prasang, &bob, event, 1);
    prasang
        .waiting_room()
        .configure(&olga, event, settings(START, AdmissionRate::PerMinute(60)))
        .expect("room on");
    world.cancel_ticket(&ada, sold.id);
    let accepted = prasang
        .waitlist()
        .accept(&bob, event, entry)
        .expect("accepted without a pass");
    assert_eq!(accepted.ticket.quantity, 1);

    let other = world.event(&olga, 10, 0, 2).id;
    prasang
        .waiting_room()
        .configure(&olga, other, settings(START, AdmissionRate::PerMinute(60)))
        .expect("room on");
    let checkout = GuestCheckout {
        name: "Gita Guest".into(),
        email: "gita@example.org".into(),
        booking: BookingRequest::seats(other, 1),
    };
    assert!(matches!(
        prasang.guests().book(&checkout),
        Err(GuestError::Booking(TicketError::PassRequired {
            position: None,
            ..
        }))
    ));
}

/// A restart keeps places, ordinals, the admitted set and the passes; admission goes on with
/// the next in line, admitting nobody twice.
#[test]
fn a_restart_keeps_places_ordinals_and_the_admitted_set() {
    let folder = tempfile::tempdir().expect("dir");
    let clock = ManualClock::new(START);
    let on_sale = START.plus(10 * MINUTE);
    let (event, olga, crowd, before, first_admitted) = {
        let prasang = open_at(folder.path(), &clock);
        let (olga, event) = olgas_room(&prasang, settings(on_sale, AdmissionRate::PerMinute(4)));
        let crowd = people(&prasang, "Fan", 15);
        for person in &crowd[..10] {
            join(&prasang, person, event);
        }
        clock.set(on_sale);
        for person in &crowd[10..] {
            join(&prasang, person, event);
        }
        clock.advance(MINUTE);
        assert_eq!(admit(&prasang), 4);
        let before: Vec<QueueStatus> = crowd
            .iter()
            .map(|person| status(&prasang, person, event))
            .collect();
        let first_admitted = admitted_in_order(&prasang, event);
        (event, olga, crowd, before, first_admitted)
    };
    let prasang = open_at(folder.path(), &clock);
    let after: Vec<QueueStatus> = crowd
        .iter()
        .map(|person| status(&prasang, person, event))
        .collect();
    assert_eq!(
        after, before,
        "places, positions and passes after the restart"
    );
    for (person, seen) in crowd.iter().zip(&after) {
        if let Place::Admitted { pass, .. } = &seen.place {
            prasang
                .waiting_room()
                .verify_pass(person.user_id(), event, pass)
                .expect("a pass from before the restart");
        }
    }
    clock.advance(MINUTE);
    assert_eq!(admit(&prasang), 4);
    let admitted = admitted_in_order(&prasang, event);
    assert_eq!(admitted[..4], first_admitted[..]);
    assert_eq!(
        admitted.iter().collect::<HashSet<_>>().len(),
        8,
        "nobody admitted twice"
    );
    // The next four are the next in line as the positions said before the restart.
    let mut waiting: Vec<(u64, UserId)> = crowd
        .iter()
        .zip(&before)
        .filter_map(|(person, seen)| match seen.place {
            Place::Waiting { position, .. } => Some((position, person.user_id())),
            _ => None,
        })
        .collect();
    waiting.sort();
    let next: Vec<UserId> = waiting.iter().take(4).map(|(_, user)| *user).collect();
    assert_eq!(admitted[4..], next[..]);
    let numbers = prasang
        .waiting_room()
        .numbers(&olga, event)
        .expect("numbers");
    assert_eq!(
        (numbers.admitted, numbers.queue_length, numbers.lottery_size),
        (8, 7, 10)
    );
}

/// Only the organizer (or an admin) sets a room; people join only an open room; turning it off
/// keeps every place for when it comes back on.
#[test]
fn rooms_are_the_organizers_and_off_keeps_the_places() {
    let world = quick_world(2);
    let prasang = &world.prasang;
    let (olga, ada, bob) = world.olga_ada_bob();
    let event = world.event(&olga, 100, 0, 4).id;
    let rooms = prasang.waiting_room();
    let on = settings(START, AdmissionRate::PerMinute(60));
    let refused = rooms.configure(&ada, event, on).expect_err("not hers");
    assert_eq!(refused.kind(), ErrorKind::Forbidden);
    assert_eq!(
        rooms.numbers(&ada, event).expect_err("not hers").kind(),
        ErrorKind::Forbidden
    );
    assert!(matches!(rooms.join(&ada, event), Err(RoomError::NotOpen)));
    assert_eq!(rooms.settings(event).expect("settings"), None);

    let too_fast = settings(START, AdmissionRate::PerMinute(0));
    let invalid = rooms.configure(&olga, event, too_fast).expect_err("rate 0");
    assert_eq!(invalid.field().map(|field| field.field), Some("per_minute"));
    let long_pass = RoomSettings {
        pass_minutes: 121,
        ..on
    };
    let invalid = rooms
        .configure(&olga, event, long_pass)
        .expect_err("too long");
    assert_eq!(
        invalid.field().map(|field| field.field),
        Some("pass_minutes")
    );

    rooms.configure(&olga, event, on).expect("room on");
    assert_eq!(rooms.settings(event).expect("settings"), Some(on));
    let ada_place = join(prasang, &ada, event);
    assert!(matches!(
        rooms.status(&bob, event),
        Err(RoomError::NotJoined)
    ));
    let off = RoomSettings {
        enabled: false,
        ..on
    };
    rooms.configure(&olga, event, off).expect("room off");
    assert!(matches!(rooms.join(&bob, event), Err(RoomError::NotOpen)));
    assert!(matches!(rooms.status(&ada, event), Err(RoomError::NotOpen)));
    world.clock.advance(5 * MINUTE);
    assert_eq!(admit(prasang), 0, "a room that is off admits nobody");
    rooms.configure(&olga, event, on).expect("room on again");
    assert_eq!(status(prasang, &ada, event), ada_place);
    let moved = RoomSettings {
        on_sale_at: START.plus(MINUTE),
        ..on
    };
    let refused = rooms
        .configure(&olga, event, moved)
        .expect_err("sale started");
    assert_eq!(refused.field().map(|field| field.field), Some("on_sale_at"));
}

/// Registers Olga (organizer) in `prasang` and turns a room with `room` on for her
/// new event of 100 seats.
fn olgas_room(prasang: &Prasang, room: RoomSettings) -> (Actor, EventId) {
    let olga = register_actor(prasang, "Olga", Role::Organizer);
    let event = prasang
        .events()
        .create(&olga, common::new_event(100, 0, 4))
        .expect("event")
        .id;
    prasang
        .waiting_room()
        .configure(&olga, event, room)
        .expect("room on");
    (olga, event)
}

fn open_at(dir: &Path, clock: &ManualClock) -> Prasang {
    let config = Config::new(dir)
        .clock(clock.clone())
        .background_tasks(false)
        .password_cost(PasswordCost::INSECURE_FAST)
        .lottery_seed(17);
    Prasang::open(config).expect("open the store")
}
