//! Booking throughput against the raw sled ceilings, measured in one run.
//!
//! ```text
//! cargo run --release -p prasang-core --example bench [-- --seconds 3]
//! ```
//!
//! Ceilings: a compare-and-swap decrement on one key, a 2-tree transaction (read-modify-write one
//! key, insert another), and that transaction followed by its own flush. Then Prasang bookings on
//! one hot event, in periodic-flush mode and in durable group-commit mode, with 2 threads (one
//! per core) and with 64 threads (a server's worth of concurrent requests). Results go to
//! stdout as a Markdown table for BENCHMARKS.md.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use prasang_core::auth::Actor;
use prasang_core::tickets::{BookingRequest, TicketError};
use prasang_core::users::{PasswordCost, Role};
use prasang_core::{Config, Durability, Prasang};
use prasang_test_sinks::sample::{account, flash_sale};
use sled::Transactional;

/// Runs `op` on `threads` threads for `seconds`, returning operations per second.
fn measure(threads: usize, seconds: f64, op: impl Fn(usize, u64) + Send + Sync + 'static) -> f64 {
    let op = Arc::new(op);
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let workers: Vec<_> = (0..threads)
        .map(|thread| {
            let (op, stop, done) = (Arc::clone(&op), Arc::clone(&stop), Arc::clone(&done));
            std::thread::spawn(move || {
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    op(thread, n);
                    n += 1;
                }
                done.fetch_add(n, Ordering::Relaxed);
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs_f64(seconds));
    stop.store(true, Ordering::Relaxed);
    for worker in workers {
        let _ = worker.join();
    }
    done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}

fn raw_db() -> (tempfile::TempDir, sled::Db) {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = sled::Config::new()
        .path(dir.path())
        .cache_capacity(256 << 20)
        .flush_every_ms(Some(500))
        .open()
        .expect("sled");
    (dir, db)
}

fn raw_cas(threads: usize, seconds: f64) -> f64 {
    let (_dir, db) = raw_db();
    db.insert("seats", &u64::MAX.to_be_bytes()).expect("seed");
    measure(threads, seconds, move |_, _| {
        loop {
            let current = db.get("seats").expect("get").expect("seeded");
            let value = u64::from_be_bytes(current.as_ref().try_into().expect("8 bytes"));
            let swapped =
                db.compare_and_swap("seats", Some(current), Some(&(value - 1).to_be_bytes()));
            if matches!(swapped, Ok(Ok(()))) {
                break;
            }
        }
    })
}

fn raw_transaction(threads: usize, seconds: f64, flush_each: bool) -> f64 {
    let (_dir, db) = raw_db();
    let counters = db.open_tree("counters").expect("tree");
    let records = db.open_tree("records").expect("tree");
    counters
        .insert("seats", &u64::MAX.to_be_bytes())
        .expect("seed");
    measure(threads, seconds, move |thread, n| {
        let key = ((thread as u64) << 48 | n).to_be_bytes();
        (&counters, &records)
            .transaction(|(counters, records)| {
                let current = counters.get("seats")?.map_or(0, |v| {
                    u64::from_be_bytes(v.as_ref().try_into().unwrap_or([0; 8]))
                });
                counters.insert("seats", &(current - 1).to_be_bytes())?;
                records.insert(&key, &[0u8; 64][..])?;
                Ok::<_, sled::transaction::ConflictableTransactionError<()>>(())
            })
            .expect("transaction");
        if flush_each {
            db.flush().expect("flush");
        }
    })
}

struct HotEvent {
    prasang: Prasang,
    event: prasang_core::EventId,
    users: Vec<Actor>,
    _dir: tempfile::TempDir,
}

fn hot_event(durability: Durability, users: usize) -> HotEvent {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = Config::new(dir.path())
        .durability(durability)
        .password_cost(PasswordCost::INSECURE_FAST)
        .background_tasks(std::env::var("BENCH_BACKGROUND").is_ok());
    let prasang = Prasang::open(config).expect("open");
    let register = |name: String, role| account(&prasang, &name, role).expect("register");
    let organizer = register("organizer".into(), Role::Organizer);
    let starts_at = prasang.now().plus(Duration::from_secs(86_400));
    let event = prasang
        .events()
        .create(&organizer, flash_sale(starts_at, 1_000_000))
        .expect("event")
        .id;
    let users = (0..users)
        .map(|i| register(format!("fan{i}"), Role::Attendee))
        .collect();
    HotEvent {
        prasang,
        event,
        users,
        _dir: dir,
    }
}

fn bookings(durability: Durability, threads: usize, seconds: f64) -> f64 {
    // Each user may hold 100 seats; enough users that nobody reaches the limit.
    let hot = Arc::new(hot_event(durability, 2_000));
    let per_thread = hot.users.len() / threads;
    let bench = Arc::clone(&hot);
    let rate = measure(threads, seconds, move |thread, n| {
        let user = &bench.users[thread * per_thread + (n as usize % per_thread)];
        let request = BookingRequest {
            event: bench.event,
            quantity: 1,
            idempotency_key: None,
        };
        match bench.prasang.tickets().book(user, &request) {
            Ok(_) => {}
            Err(TicketError::LimitReached { .. }) => {}
            Err(other) => panic!("booking failed: {other:?}"),
        }
    });
    let report = hot
        .prasang
        .verify_integrity(&hot.prasang.auth().system_actor())
        .expect("integrity");
    assert!(report.is_ok(), "{:?}", report.problems);
    rate
}

fn main() {
    let seconds: f64 = std::env::args()
        .skip_while(|a| a != "--seconds")
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(3.0);
    let periodic = Durability::Periodic {
        every: Duration::from_millis(100),
    };
    if let Some(only) = std::env::args().skip_while(|a| a != "--only").nth(1) {
        // For profiling one scenario: `--only periodic|durable2|durable64`.
        let rate = match only.as_str() {
            "periodic" => bookings(periodic, 2, seconds),
            "durable2" => bookings(Durability::GroupCommit, 2, seconds),
            _ => bookings(Durability::GroupCommit, 64, seconds),
        };
        println!("{only}: {rate:.0} bookings/s");
        return;
    }

    let cas = raw_cas(2, seconds);
    let tx = raw_transaction(2, seconds, false);
    let tx_flush = raw_transaction(2, seconds, true);
    let periodic_2 = bookings(periodic, 2, seconds);
    let durable_2 = bookings(Durability::GroupCommit, 2, seconds);
    let durable_64 = bookings(Durability::GroupCommit, 64, seconds);

    println!("| measurement | threads | ops/s | vs. 2-tree transaction |");
    println!("|---|---|---|---|");
    let row = |name: &str, threads: usize, rate: f64| {
        println!(
            "| {name} | {threads} | {rate:.0} | {:.0}% |",
            100.0 * rate / tx
        );
    };
    row("sled CAS decrement, one key (ceiling)", 2, cas);
    row("sled 2-tree transaction (ceiling)", 2, tx);
    row("sled 2-tree transaction + flush each", 2, tx_flush);
    row("Prasang bookings, periodic flush (100 ms)", 2, periodic_2);
    row("Prasang bookings, durable (group commit)", 2, durable_2);
    row("Prasang bookings, durable (group commit)", 64, durable_64);
}
