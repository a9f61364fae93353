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
//! stdout as a Markdown table for BENCHMARKS.md, with the CPU time and the bytes written per
//! booking (whole process, from `/proc/self`), and one row where the sale is spread over 100
//! events, and one of guest checkouts (each with a new e-mail address, so each makes a guest
//! account first). Rows with the dispatcher running last until it and the analytics consumer
//! have caught up with every booking. `--only dispatch` times the dispatcher alone, turning 20,000
//! bookings into deliveries on one thread.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use prasang_core::auth::Actor;
use prasang_core::guests::{GuestCheckout, GuestError};
use prasang_core::tickets::{BookingRequest, TicketError};
use prasang_core::users::{PasswordCost, Role};
use prasang_core::{Config, Durability, Prasang};
use prasang_http_client::usage::process_usage;
use prasang_test_sinks::sample::{account, flash_sale};
use sled::Transactional;

/// The allocator the server uses, so these rows predict the server's booking path (BENCHMARKS.md,
/// "Allocator", has the same scenarios on glibc's malloc).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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

#[allow(clippy::disallowed_methods)] // the ceiling: a bare sled transaction, no Prasang around it
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

struct HotEvents {
    prasang: Prasang,
    events: Vec<prasang_core::EventId>,
    users: Vec<Actor>,
    _dir: tempfile::TempDir,
}

fn hot_events(durability: Durability, background: bool, events: usize, users: usize) -> HotEvents {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = Config::new(dir.path())
        .durability(durability)
        .password_cost(PasswordCost::INSECURE_FAST)
        .background_tasks(background);
    let prasang = Prasang::open(config).expect("open");
    let register = |name: String, role| account(&prasang, &name, role).expect("register");
    let organizer = register("organizer".into(), Role::Organizer);
    let starts_at = prasang.now().plus(Duration::from_secs(86_400));
    let events = (0..events)
        .map(|_| {
            prasang
                .events()
                .create(&organizer, flash_sale(starts_at, 1_000_000))
                .expect("event")
                .id
        })
        .collect();
    let users = (0..users)
        .map(|i| register(format!("fan{i}"), Role::Attendee))
        .collect();
    HotEvents {
        prasang,
        events,
        users,
        _dir: dir,
    }
}

/// One scenario's result: bookings per second, CPU per booking (whole process) and bytes the
/// process wrote per booking.
struct Booked {
    rate: f64,
    cpu_us: f64,
    bytes: f64,
}

/// Who books: registered users, or guests, each checkout with a new e-mail address (so each
/// makes a guest account before it books).
#[derive(Clone, Copy, PartialEq)]
enum Buyers {
    Accounts,
    Guests,
}

/// `threads` callers book one seat at a time, spread round-robin over `events` events.
fn bookings(
    durability: Durability,
    background: bool,
    threads: usize,
    events: usize,
    seconds: f64,
) -> Booked {
    bookings_by(
        Buyers::Accounts,
        durability,
        background,
        threads,
        events,
        seconds,
    )
}

/// [`bookings`] by `buyers`.
fn bookings_by(
    buyers: Buyers,
    durability: Durability,
    background: bool,
    threads: usize,
    events: usize,
    seconds: f64,
) -> Booked {
    // Each user may hold 100 seats; enough users that nobody reaches the limit.
    let hot = Arc::new(hot_events(durability, background, events, 2_000));
    let per_thread = hot.users.len() / threads;
    let bench = Arc::clone(&hot);
    let (cpu_before, written_before) = process_usage("self");
    let started = Instant::now();
    let rate = measure(threads, seconds, move |thread, n| {
        let user = &bench.users[thread * per_thread + (n as usize % per_thread)];
        let request = BookingRequest {
            pass: None,
            attendee_names: Default::default(),
            event: bench.events[(thread + n as usize) % bench.events.len()],
            quantity: 1,
            idempotency_key: None,
            lines: Vec::new(),
            promo_code: None,
        };
        let booked = match buyers {
            Buyers::Accounts => bench.prasang.tickets().book(user, &request),
            Buyers::Guests => {
                let checkout = GuestCheckout {
                    name: "Guest".into(),
                    email: format!("guest-{thread}-{n}@bench.example"),
                    booking: request,
                };
                bench
                    .prasang
                    .guests()
                    .book(&checkout)
                    .map_err(|error| match error {
                        GuestError::Booking(refused) => refused,
                        other => panic!("guest checkout failed: {other:?}"),
                    })
            }
        };
        match booked {
            Ok(_) => {}
            Err(TicketError::LimitReached { .. }) => {}
            Err(other) => panic!("booking failed: {other:?}"),
        }
    });
    let booked = rate * started.elapsed().as_secs_f64();
    // The background consumers' work counts too: the rate is over the time until they have
    // caught up with every booking, so one that falls behind cannot flatter it.
    let rate = if background {
        drain_consumers(&hot.prasang);
        booked / started.elapsed().as_secs_f64()
    } else {
        rate
    };
    let (cpu_after, written_after) = process_usage("self");
    let report = hot
        .prasang
        .verify_integrity(&hot.prasang.auth().system_actor())
        .expect("integrity");
    assert!(report.is_ok(), "{:?}", report.problems);
    Booked {
        rate,
        cpu_us: (cpu_after - cpu_before).as_secs_f64() * 1e6 / booked,
        bytes: written_after.saturating_sub(written_before) as f64 / booked,
    }
}

/// The dispatcher alone: `bookings` bookings made with no background threads, then turned into
/// deliveries by one `run_notifications_once` on this thread. Returns deliveries per second and
/// the process's CPU µs per delivery.
fn dispatch_alone(bookings: usize) -> (f64, f64) {
    let periodic = Durability::Periodic {
        every: Duration::from_millis(100),
    };
    let hot = hot_events(periodic, false, 1, 2_000);
    for n in 0..bookings {
        let request = BookingRequest {
            pass: None,
            attendee_names: Default::default(),
            event: hot.events[0],
            quantity: 1,
            idempotency_key: None,
            lines: Vec::new(),
            promo_code: None,
        };
        let user = &hot.users[n % hot.users.len()];
        hot.prasang.tickets().book(user, &request).expect("book");
    }
    let (cpu_before, _) = process_usage("self");
    let started = Instant::now();
    let report = hot.prasang.run_notifications_once().expect("dispatch");
    let elapsed = started.elapsed().as_secs_f64();
    let (cpu_after, _) = process_usage("self");
    assert!(report.created >= bookings, "{report:?}");
    let created = report.created as f64;
    (
        created / elapsed,
        (cpu_after - cpu_before).as_secs_f64() * 1e6 / created,
    )
}

/// Waits until the notification dispatcher and the analytics consumer have read the whole log.
fn drain_consumers(prasang: &Prasang) {
    let log = prasang.log();
    let end = log.end().expect("log end");
    let caught_up = |name| log.cursor(name).expect("cursor") >= end;
    while !(caught_up(prasang_core::notify::CURSOR) && caught_up(prasang_core::analytics::CURSOR)) {
        std::thread::sleep(Duration::from_millis(1));
    }
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
    let durable = Durability::GroupCommit;
    if let Some(only) = std::env::args().skip_while(|a| a != "--only").nth(1) {
        if only == "dispatch" {
            let (rate, cpu_us) = dispatch_alone(20_000);
            println!("dispatch: {rate:.0} deliveries/s, {cpu_us:.1} µs CPU per delivery");
            return;
        }
        // For profiling one scenario: `--only periodic|durable2|durable64|dispatch64|spread64|guests64|dispatch`.
        let result = match only.as_str() {
            "periodic" => bookings(periodic, true, 64, 1, seconds),
            "durable2" => bookings(durable, false, 2, 1, seconds),
            "dispatch64" => bookings(durable, true, 64, 1, seconds),
            "spread64" => bookings(durable, false, 64, 100, seconds),
            "guests64" => bookings_by(Buyers::Guests, durable, false, 64, 1, seconds),
            _ => bookings(durable, false, 64, 1, seconds),
        };
        println!(
            "{only}: {:.0} bookings/s, {:.0} µs CPU and {:.0} bytes written per booking",
            result.rate, result.cpu_us, result.bytes
        );
        return;
    }

    let cas = raw_cas(2, seconds);
    let tx = raw_transaction(2, seconds, false);
    let tx_flush = raw_transaction(2, seconds, true);
    let rows = [
        (
            "periodic flush (100 ms), no background threads",
            periodic,
            false,
            2,
            1,
        ),
        (
            "periodic flush (100 ms), dispatcher running",
            periodic,
            true,
            64,
            1,
        ),
        ("durable (group commit)", durable, false, 2, 1),
        ("durable (group commit)", durable, false, 64, 1),
        (
            "durable (group commit), dispatcher running",
            durable,
            true,
            64,
            1,
        ),
        (
            "durable (group commit), 100 events",
            durable,
            false,
            64,
            100,
        ),
    ];
    let results: Vec<_> = rows
        .iter()
        .map(|&(_, durability, background, threads, events)| {
            bookings(durability, background, threads, events, seconds)
        })
        .collect();
    let guests = bookings_by(Buyers::Guests, durable, false, 64, 1, seconds);

    println!(
        "| measurement | threads | ops/s | vs. 2-tree transaction | CPU µs / booking | bytes written / booking |"
    );
    println!("|---|---|---|---|---|---|");
    let ceiling = |name: &str, threads: usize, rate: f64| {
        println!(
            "| {name} | {threads} | {rate:.0} | {:.0}% | | |",
            100.0 * rate / tx
        );
    };
    ceiling("sled CAS decrement, one key (ceiling)", 2, cas);
    ceiling("sled 2-tree transaction (ceiling)", 2, tx);
    ceiling("sled 2-tree transaction + flush each", 2, tx_flush);
    for ((name, _, _, threads, _), result) in rows.iter().zip(&results) {
        println!(
            "| Prasang bookings, {name} | {threads} | {:.0} | {:.0}% | {:.0} | {:.0} |",
            result.rate,
            100.0 * result.rate / tx,
            result.cpu_us,
            result.bytes
        );
    }
    println!(
        "| Prasang guest checkouts (a new guest account each), durable (group commit) | 64 | {:.0} | {:.0}% | {:.0} | {:.0} |",
        guests.rate,
        100.0 * guests.rate / tx,
        guests.cpu_us,
        guests.bytes
    );
}
