//! Crash safety: a child process books in a loop and prints every acknowledged ticket; we kill
//! it with SIGKILL mid-run, reopen the store and require every acknowledged booking (and
//! cancellation) to be there, with all counters and indexes consistent. Some workers hand the
//! booking writer batches of requests (`book_many`), so the kill often lands while a batch is
//! being written: a batch is all there or not there at all. Other workers order lines of
//! several ticket types with a promo code (alone and in batches), so the kill also lands while
//! types' counters and the code's uses are written: every acknowledged order is there with its
//! lines and discount, and the counters agree with the tickets.

mod common;

use std::collections::HashMap;
use std::io::{Stdout, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use common::types::{event_with_code, order, promo_code, ticket_type, typed_event};
use prasang_core::auth::Actor;
use prasang_core::events::NewEvent;
use prasang_core::promo::{Discount, NewPromoCode};
use prasang_core::tickets::{BookingRequest, Ticket, TicketError, TicketStatus};
use prasang_core::users::{PasswordCost, Role};
use prasang_core::{Config, EventId, PageRequest, Prasang, TicketId, UserId};

const CHILD_ENV: &str = "PRASANG_CRASH_CHILD_DIR";
const WORKERS: usize = 4;
/// Workers that book in batches, and the requests per batch (one seat each, all for one fresh
/// user, so the user's ticket count tells whether the whole batch was written).
const BATCH_WORKERS: usize = 2;
const BATCH: usize = 8;
/// Workers that order lines of the typed event with its code: one alone, one in batches.
const TYPED_WORKERS: usize = 2;
/// The typed event's code: 20% off Adult seats.
const CODE: &str = "CRASH-20";

/// The child's body. Only does anything when re-executed by the crash test with the env var set.
/// Starts `count` threads of the child, each running `work` with the store, the shared stdout
/// and its number.
fn spawn_all(
    count: usize,
    prasang: &Prasang,
    stdout: &Arc<Mutex<Stdout>>,
    work: impl Fn(&Prasang, &Mutex<Stdout>, usize) + Send + Copy + 'static,
) -> Vec<JoinHandle<()>> {
    (0..count)
        .map(|w| {
            let prasang = prasang.clone();
            let stdout = Arc::clone(stdout);
            std::thread::spawn(move || work(&prasang, &stdout, w))
        })
        .collect()
}

/// Prints one line for the parent, whole (the child's threads share stdout).
fn say(stdout: &Mutex<Stdout>, line: std::fmt::Arguments) {
    writeln!(stdout.lock().expect("stdout"), "{line}").expect("print");
}

#[test]
#[ignore = "run by crash_loses_no_acknowledged_booking in a child process"]
fn crash_child() {
    let Ok(dir) = std::env::var(CHILD_ENV) else {
        return;
    };
    let prasang =
        Prasang::open(Config::new(&dir).password_cost(PasswordCost::INSECURE_FAST)).expect("open");
    // Each run (the test runs several against one store) has its own people.
    let run = std::process::id();
    let organizer = prasang
        .users()
        .register(common::new_user(&format!("Olga {run}"), Role::Organizer))
        .expect("organizer");
    let organizer = prasang.auth().trusted_actor(organizer.id).expect("actor");
    let new = starting_tomorrow(&prasang, common::new_event(1_000_000, 0, 100));
    let event = prasang.events().create(&organizer, new).expect("event").id;
    let typed = typed_event_with_code(&prasang, &organizer);
    let stdout = Arc::new(Mutex::new(std::io::stdout()));
    let workers = spawn_all(WORKERS, &prasang, &stdout, move |prasang, stdout, w| {
        for round in 0.. {
            let name = format!("Fan {run} {w} {round}");
            let actor = common::register_actor(prasang, &name, Role::Attendee);
            for n in 0..100 {
                let request = BookingRequest {
                    pass: None,
                    attendee_names: Default::default(),
                    event,
                    quantity: 1,
                    idempotency_key: None,
                    lines: Vec::new(),
                    promo_code: None,
                };
                let ticket = match prasang.tickets().book(&actor, &request) {
                    Ok(outcome) => outcome.ticket,
                    Err(TicketError::LimitReached { .. }) => break,
                    Err(other) => panic!("{other:?}"),
                };
                say(stdout, format_args!("booked {}", ticket.id));
                if n % 5 == 0 {
                    prasang.tickets().cancel(&actor, ticket.id).expect("cancel");
                    say(stdout, format_args!("cancelled {}", ticket.id));
                }
            }
        }
    });
    let batchers = spawn_all(
        BATCH_WORKERS,
        &prasang,
        &stdout,
        move |prasang, stdout, w| {
            for round in 0.. {
                let name = format!("Batcher {run} {w} {round}");
                let actor = common::register_actor(prasang, &name, Role::Attendee);
                // Announced before booking, so the parent checks unacknowledged batches too.
                say(stdout, format_args!("batcher {}", actor.user_id()));
                let requests: Vec<_> = (0..BATCH)
                    .map(|_| (actor, common::booking(event, 1)))
                    .collect();
                for answer in prasang.tickets().book_many(&requests) {
                    let ticket = answer.expect("batch booking").ticket;
                    say(stdout, format_args!("booked {}", ticket.id));
                }
            }
        },
    );
    let typed_workers = spawn_all(
        TYPED_WORKERS,
        &prasang,
        &stdout,
        move |prasang, stdout, w| {
            for round in 0.. {
                let name = format!("Family {run} {w} {round}");
                let actor = common::register_actor(prasang, &name, Role::Attendee);
                let orders: Vec<_> = (0..4).map(|n| (actor, typed_order(typed, n))).collect();
                let answers = if w == 0 {
                    let tickets = prasang.tickets();
                    orders.iter().map(|(a, r)| tickets.book(a, r)).collect()
                } else {
                    prasang.tickets().book_many(&orders)
                };
                for (n, answer) in answers.into_iter().enumerate() {
                    let ticket = answer.expect("typed booking").ticket;
                    say(
                        stdout,
                        format_args!("ordered {} {}", ticket.id, ordered_text(&ticket)),
                    );
                    if n == 1 && round % 2 == 0 {
                        prasang.tickets().cancel(&actor, ticket.id).expect("cancel");
                        say(stdout, format_args!("cancelled {}", ticket.id));
                    }
                }
            }
        },
    );
    for worker in workers.into_iter().chain(batchers).chain(typed_workers) {
        let _ = worker.join();
    }
}

/// `new`, starting a day from the store's "now" (the child runs on the system clock).
fn starting_tomorrow(prasang: &Prasang, new: NewEvent) -> NewEvent {
    let starts_at = prasang.now().plus(Duration::from_secs(86_400));
    NewEvent {
        starts_at: starts_at.into(),
        ends_at: starts_at.plus(Duration::from_secs(3_600)).into(),
        ..new
    }
}

/// An event of Adult (20.00) and Child (free) seats with [`CODE`], 20% off Adult seats.
fn typed_event_with_code(prasang: &Prasang, organizer: &Actor) -> EventId {
    let types = vec![
        ticket_type("Adult", 2_000, None),
        ticket_type("Child", 0, Some(500_000)),
    ];
    let new = starting_tomorrow(prasang, typed_event(1_000_000, 100, types));
    let code = NewPromoCode {
        applies_to: vec![1],
        ..promo_code(CODE, Discount::Percent(20), Some(1_000_000), false)
    };
    event_with_code(prasang, organizer, new, code)
}

/// The `n`th order of a family: 2 Adult + 1 Child with the code, 1 Adult with it, 2 Child
/// without, 1 Adult + 1 Child without.
fn typed_order(event: EventId, n: usize) -> BookingRequest {
    match n % 4 {
        0 => order(event, &[(1, 2), (2, 1)], Some(CODE)),
        1 => order(event, &[(1, 1)], Some(CODE)),
        2 => order(event, &[(2, 2)], None),
        _ => order(event, &[(2, 1), (1, 1)], None),
    }
}

/// What the parent checks of a typed ticket, in one word per field: `amount discount
/// promo-seats code type:seats:price:discount,...`.
fn ordered_text(ticket: &Ticket) -> String {
    let lines: Vec<String> = ticket
        .lines
        .iter()
        .map(|l| {
            let (t, q, p, d) = (
                l.ticket_type,
                l.quantity,
                l.unit_price_minor,
                l.discount_minor,
            );
            format!("{t}:{q}:{p}:{d}")
        })
        .collect();
    format!(
        "{} {} {} {} {}",
        ticket.amount_minor,
        ticket.discount_minor,
        ticket.promo_seats,
        ticket.promo_code.as_deref().unwrap_or("-"),
        lines.join(",")
    )
}

/// What the child acknowledged before it died.
#[derive(Default)]
struct Acknowledged {
    tickets: HashMap<TicketId, TicketStatus>,
    /// Users who booked (or were about to book) one batch each.
    batchers: Vec<UserId>,
    /// Typed orders, with what the child was told of them (see [`ordered_text`]).
    ordered: HashMap<TicketId, String>,
}

fn run_child_and_kill(dir: &Path, kill_after_acks: usize) -> Acknowledged {
    let mut acknowledged = Acknowledged::default();
    common::crash::run_child_and_kill("crash_child", CHILD_ENV, dir, kill_after_acks, |line| {
        record(line, &mut acknowledged)
    });
    acknowledged
}

fn record(line: &str, acknowledged: &mut Acknowledged) -> usize {
    // The harness may print its own text in front of the child's first line.
    let words: Vec<&str> = line.split_whitespace().collect();
    let (status, id) = match words.as_slice() {
        [.., "booked", id] => (TicketStatus::Booked, *id),
        [.., "cancelled", id] => (TicketStatus::Cancelled, *id),
        [.., "batcher", id] => {
            acknowledged.batchers.push(id.parse().expect("user id"));
            return 0;
        }
        [.., "ordered", id, amount, discount, seats, code, lines] => {
            let text = [*amount, *discount, *seats, *code, *lines].join(" ");
            acknowledged
                .ordered
                .insert(id.parse().expect("ticket id"), text);
            (TicketStatus::Booked, *id)
        }
        _ => return 0,
    };
    acknowledged
        .tickets
        .insert(id.parse().expect("ticket id"), status);
    1
}

#[test]
fn crash_loses_no_acknowledged_booking() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (round, kill_after) in [(1, 400), (2, 250)] {
        let Acknowledged {
            tickets: acknowledged,
            batchers,
            ordered,
        } = run_child_and_kill(dir.path(), kill_after);
        assert!(
            acknowledged.len() >= kill_after / 2,
            "round {round}: too few acknowledgements"
        );

        let prasang = Prasang::open(Config::new(dir.path())).expect("reopen after SIGKILL");
        let admin = prasang
            .auth()
            .trusted_actor(admin_of(&prasang))
            .expect("admin");
        for (id, status) in &acknowledged {
            let ticket = prasang
                .tickets()
                .get(&admin, *id)
                .unwrap_or_else(|e| panic!("round {round}: acknowledged ticket {id} lost: {e:?}"));
            if *status == TicketStatus::Cancelled {
                assert_eq!(
                    ticket.status,
                    TicketStatus::Cancelled,
                    "round {round}: acknowledged cancel of {id} lost"
                );
            }
        }
        assert!(
            !ordered.is_empty(),
            "round {round}: no typed order was booked"
        );
        for (id, told) in &ordered {
            let ticket = prasang.tickets().get(&admin, *id).expect("ordered ticket");
            assert_eq!(
                &ordered_text(&ticket),
                told,
                "round {round}: ticket {id} is not what was acknowledged"
            );
        }
        assert!(!batchers.is_empty(), "round {round}: no batch was booked");
        for user in &batchers {
            let holder = prasang.auth().trusted_actor(*user).expect("batcher");
            let mine = prasang
                .tickets()
                .list_mine(&holder, &PageRequest::first(100))
                .expect("tickets");
            assert!(
                mine.items.is_empty() || mine.items.len() == BATCH,
                "round {round}: half a batch survived: {} of {BATCH} tickets of {user}",
                mine.items.len()
            );
        }
        let report = prasang
            .verify_integrity(&prasang.auth().system_actor())
            .expect("integrity check");
        assert!(report.is_ok(), "round {round}: {:#?}", report.problems);
        assert!(report.tickets >= acknowledged.len());
        // The next round crashes a store that has already survived one crash.
        drop(prasang);
    }
}

/// The store's admin, created on first use.
fn admin_of(prasang: &Prasang) -> prasang_core::UserId {
    let root = common::new_user("Root", Role::Attendee);
    match prasang.users().create_admin(root.clone()) {
        Ok(user) => user.id,
        Err(_) => {
            prasang
                .auth()
                .login(&root.email, &root.password)
                .expect("admin login")
                .user
                .id
        }
    }
}
