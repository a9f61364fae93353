//! The waiting list under load, in one run:
//!
//! ```text
//! cargo run --release -p prasang-core --example waitlist_bench [-- --waiting 10000 --freed 1000]
//! ```
//!
//! 1. **Cancellation wave.** `--freed` holders of a sold-out event cancel at once (8 threads)
//!    while `--waiting` people wait. Each cancellation offers its seat in its own transaction;
//!    the dispatcher then turns each offer into a queued delivery (one native channel that
//!    accepts everything). Reported: offers made, the wave's span, and per offer the time from
//!    its freeing commit (the log entry's time) to its queued delivery (the record's creation),
//!    p50 / p99 / max.
//! 2. **Flash sale beside a long list.** Durable bookings (64 callers) of a fresh event, without
//!    and then with `--list` entries waiting on another event of the same store; the ratio
//!    shows what a long list elsewhere costs a sale.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use prasang_core::auth::Actor;
use prasang_core::notify::{Channel, DeliveryError, Notification, NotificationKind, Receipt};
use prasang_core::tickets::BookingRequest;
use prasang_core::users::{PasswordCost, Role};
use prasang_core::waitlist::{JoinRequest, WaitlistSettings};
use prasang_core::{Config, EventId, PageRequest, Prasang};
use prasang_test_sinks::sample::{account, flash_sale};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A channel that takes every notification at once.
struct Accept;

impl Channel for Accept {
    fn id(&self) -> &str {
        "email"
    }

    fn deliver(&self, _: &Notification) -> Result<Receipt, DeliveryError> {
        Ok(Receipt {
            remote_id: None,
            detail: "accepted".into(),
        })
    }
}

fn flag(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|arg| arg == name)
        .and_then(|at| args.get(at + 1))
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

fn open(dir: &std::path::Path) -> Prasang {
    let config = Config::new(dir)
        .password_cost(PasswordCost::INSECURE_FAST)
        .channel(Arc::new(Accept));
    Prasang::open(config).expect("open")
}

fn people(prasang: &Prasang, tag: &str, count: usize) -> Vec<Actor> {
    (0..count)
        .map(|n| account(prasang, &format!("{tag}{n}"), Role::Attendee).expect("account"))
        .collect()
}

/// Opens a list on a new sold-out event and fills it with `count` people wanting one seat.
fn waiting_event(
    prasang: &Prasang,
    organizer: &Actor,
    seats: u32,
    count: usize,
    tag: &str,
) -> (EventId, Vec<(Actor, prasang_core::TicketId)>) {
    let starts_at = prasang.now().plus(Duration::from_secs(30 * 86_400));
    let event = prasang
        .events()
        .create(organizer, flash_sale(starts_at, seats))
        .expect("event")
        .id;
    let holders: Vec<_> = people(prasang, &format!("{tag}holder"), seats as usize)
        .into_iter()
        .map(|holder| {
            let ticket = prasang
                .tickets()
                .book(&holder, &BookingRequest::seats(event, 1))
                .expect("book")
                .ticket
                .id;
            (holder, ticket)
        })
        .collect();
    let settings = WaitlistSettings {
        enabled: true,
        ..WaitlistSettings::default()
    };
    prasang
        .waitlist()
        .configure(organizer, event, settings)
        .expect("open list");
    let join = JoinRequest {
        ticket_type: None,
        seats: 1,
    };
    for fan in people(prasang, &format!("{tag}fan"), count) {
        prasang.waitlist().join(&fan, event, &join).expect("join");
    }
    (event, holders)
}

fn percentile(sorted: &[i64], p: f64) -> i64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn wave(waiting: usize, freed: usize) {
    let dir = tempfile::tempdir().expect("tempdir");
    let prasang = open(dir.path());
    let organizer = account(&prasang, "olga", Role::Organizer).expect("organizer");
    let setup = Instant::now();
    let (event, holders) = waiting_event(&prasang, &organizer, freed as u32, waiting, "w");
    eprintln!(
        "set up {freed} holders and {waiting} waiting in {:.1} s",
        setup.elapsed().as_secs_f64()
    );
    // Let the dispatcher catch up with the set-up before the wave.
    std::thread::sleep(Duration::from_secs(2));
    let holders = Arc::new(holders);
    let next = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let (prasang, holders, next) =
                (prasang.clone(), Arc::clone(&holders), Arc::clone(&next));
            std::thread::spawn(move || {
                loop {
                    let at = next.fetch_add(1, Ordering::Relaxed) as usize;
                    let Some((holder, ticket)) = holders.get(at) else {
                        return;
                    };
                    prasang.tickets().cancel(holder, *ticket).expect("cancel");
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().expect("canceller");
    }
    let cancelled_in = started.elapsed();
    let offers_at: std::collections::HashMap<u64, i64> = {
        let system = prasang.auth().system_actor();
        let mut from = 0;
        let mut found = std::collections::HashMap::new();
        loop {
            let entries = prasang.log().read(&system, from, 10_000).expect("log");
            let Some(last) = entries.last() else { break };
            from = last.seq + 1;
            for entry in entries {
                if let prasang_core::log::DomainEvent::WaitlistOffered { .. } = entry.event {
                    found.insert(entry.seq, entry.at.as_millis());
                }
            }
        }
        found
    };
    let mut latencies;
    loop {
        let mut page = PageRequest::first(100);
        latencies = Vec::new();
        loop {
            let deliveries = prasang
                .notifications()
                .deliveries_for_event(&organizer, event, &page)
                .expect("deliveries");
            for delivery in &deliveries.items {
                if delivery.kind == NotificationKind::WaitlistOffer
                    && let Some(at) = offers_at.get(&delivery.log_seq)
                {
                    latencies.push(delivery.created_at.as_millis() - at);
                }
            }
            match deliveries.next {
                Some(next) => page.after = Some(next),
                None => break,
            }
        }
        if latencies.len() >= offers_at.len() || started.elapsed() > Duration::from_secs(120) {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    latencies.sort_unstable();
    let status = prasang.waitlist().status(event).expect("status");
    println!("| cancellation wave | {freed} seats freed, {waiting} waiting |");
    println!(
        "| offers made (open) / still waiting | {} / {} |",
        status.offers, status.waiting
    );
    println!(
        "| all {freed} cancellations (with their offers) durable in | {:.0} ms |",
        cancelled_in.as_secs_f64() * 1e3
    );
    println!(
        "| freeing commit → queued delivery, p50 / p99 / max | {} / {} / {} ms ({} deliveries) |",
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
        latencies.last().copied().unwrap_or(0),
        latencies.len()
    );
}

fn sale_rate(prasang: &Prasang, organizer: &Actor, buyers: &[Actor]) -> f64 {
    let starts_at = prasang.now().plus(Duration::from_secs(30 * 86_400));
    let event = prasang
        .events()
        .create(organizer, flash_sale(starts_at, buyers.len() as u32))
        .expect("event")
        .id;
    let buyers = Arc::new(buyers.to_vec());
    let next = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let threads: Vec<_> = (0..64)
        .map(|_| {
            let (prasang, buyers, next) = (prasang.clone(), Arc::clone(&buyers), Arc::clone(&next));
            std::thread::spawn(move || {
                loop {
                    let at = next.fetch_add(1, Ordering::Relaxed) as usize;
                    let Some(buyer) = buyers.get(at) else { return };
                    prasang
                        .tickets()
                        .book(buyer, &BookingRequest::seats(event, 1))
                        .expect("book");
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().expect("buyer");
    }
    buyers.len() as f64 / started.elapsed().as_secs_f64()
}

fn sale_beside_list(list: usize) {
    let dir = tempfile::tempdir().expect("tempdir");
    let prasang = open(dir.path());
    let organizer = account(&prasang, "olga", Role::Organizer).expect("organizer");
    let first = people(&prasang, "a", 20_000);
    let second = people(&prasang, "b", 20_000);
    let without = sale_rate(&prasang, &organizer, &first);
    let setup = Instant::now();
    waiting_event(&prasang, &organizer, 10, list, "l");
    eprintln!(
        "filled a list of {list} in {:.1} s",
        setup.elapsed().as_secs_f64()
    );
    std::thread::sleep(Duration::from_secs(2));
    let with = sale_rate(&prasang, &organizer, &second);
    println!("| durable sale, 64 callers, no list anywhere | {without:.0} bookings/s |");
    println!(
        "| the same with {list} waiting on another event | {with:.0} bookings/s = {:.0}% |",
        with / without * 100.0
    );
}

fn main() {
    let waiting = flag("--waiting", 10_000);
    let freed = flag("--freed", 1_000);
    let list = flag("--list", 100_000);
    println!("| measurement | result |\n|---|---|");
    wave(waiting, freed);
    sale_beside_list(list);
}
