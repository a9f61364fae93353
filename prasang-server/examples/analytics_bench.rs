//! Analytics benchmark (not a test): builds a store of `--events` events, `--users` users and
//! `--tickets` tickets with page views and feedback through the public API, then measures
//!
//! 1. how fast the analytics consumer folds the whole log from scratch (entries/s),
//! 2. each report's latency in-process and over HTTP (p50 / p99 of `--calls` calls), for one
//!    event, one organizer and all events,
//! 3. the same popularity numbers recomputed from the raw records (every ticket and feedback
//!    entry read back), the cost incremental analytics avoids, and
//! 4. the consumer's lag while 2 threads book one hot event as fast as they can (flash sale)
//!    with the background consumer running.
//!
//! ```sh
//! cargo run --release -p prasang-server --example analytics_bench -- \
//!     --events 1000 --users 100000 --tickets 1000000 --calls 100
//! ```
//!
//! `--keep DIR` builds the data set in the data folder `DIR` (new or empty) instead of a
//! temporary one, folds it into the aggregates, adds an admin (`admin@bench.example`, password
//! `bench password`, like every bench user) and stops without measuring: `DIR` then opens with
//! `prasang-server --data-dir DIR` or `prasang.open(DIR)` (the Python benchmark,
//! `prasang-py/bench/bench.py`).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use hyper::Method;
use prasang_core::analytics::{Scope, TopParams, TrendParams};
use prasang_core::auth::Actor;
use prasang_core::events::NewEvent;
use prasang_core::feedback::FeedbackInput;
use prasang_core::tickets::BookingRequest;
use prasang_core::users::{Gender, NewUser, PasswordCost, Role};
use prasang_core::{
    Clock, Config, Durability, EventId, ManualClock, PageRequest, Prasang, SystemClock,
};
use prasang_http_client::{Connection, request};
use prasang_server::ServerConfig;

fn arg(name: &str, default: u64) -> u64 {
    std::env::args()
        .skip_while(|a| a != name)
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The value after `name` as text, if given.
fn text_arg(name: &str) -> Option<String> {
    std::env::args().skip_while(|a| a != name).nth(1)
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let index = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[index].as_secs_f64() * 1000.0
}

/// A tiny deterministic generator (SplitMix64), so runs are comparable.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

fn register(prasang: &Prasang, name: String, role: Role, i: u64) -> Actor {
    let genders = [
        Gender::Female,
        Gender::Male,
        Gender::NonBinary,
        Gender::Undisclosed,
    ];
    let user = prasang
        .users()
        .register(NewUser {
            email: format!("{}@bench.example", name.to_lowercase().replace(' ', ".")),
            name,
            password: "bench password".into(),
            gender: genders[(i % 4) as usize],
            age: 14 + (i * 7 % 70) as i64,
            role,
        })
        .expect("register");
    prasang.auth().trusted_actor(user.id).expect("actor")
}

/// The admin the HTTP measurements (and a kept data folder's users) log in as.
fn create_bench_admin(prasang: &Prasang) {
    prasang
        .users()
        .create_admin(NewUser {
            name: "Bench admin".into(),
            email: "admin@bench.example".into(),
            password: "bench password".into(),
            gender: Gender::Undisclosed,
            age: 40,
            role: Role::Admin,
        })
        .expect("admin");
}

/// Runs `work(thread, range)` on 2 threads over `0..n`.
fn parallel(n: u64, work: impl Fn(u64, std::ops::Range<u64>) + Sync) {
    std::thread::scope(|scope| {
        let half = n / 2;
        let work = &work;
        scope.spawn(move || work(0, 0..half));
        scope.spawn(move || work(1, half..n));
    });
}

fn main() {
    let n_events = arg("--events", 1_000);
    let n_users = arg("--users", 100_000);
    let n_tickets = arg("--tickets", 1_000_000);
    let calls = arg("--calls", 100) as usize;
    let organizers = (n_events / 100).max(1);

    let keep = text_arg("--keep").map(std::path::PathBuf::from);
    let dir = tempfile::Builder::new()
        .prefix("prasang-analytics-bench-")
        .tempdir()
        .expect("temp dir");
    let clock = ManualClock::new(SystemClock.now());
    let config = Config::new(keep.as_deref().unwrap_or(dir.path()))
        .clock(clock.clone())
        .background_tasks(false)
        .password_cost(PasswordCost::INSECURE_FAST)
        .cache_bytes(2 << 30)
        .durability(Durability::Periodic {
            every: Duration::from_millis(500),
        });
    let prasang = Prasang::open(config).expect("open");
    let started = Instant::now();
    let booking_day = clock.now();

    // --- Data set ------------------------------------------------------------------------
    let organizer_actors: Vec<Actor> = (0..organizers)
        .map(|i| register(&prasang, format!("Org {i}"), Role::Organizer, i))
        .collect();
    let starts_at = clock.now().plus(Duration::from_secs(30 * 86_400));
    let events: Vec<EventId> = (0..n_events)
        .map(|i| {
            let organizer = &organizer_actors[(i % organizers) as usize];
            prasang
                .events()
                .create(
                    organizer,
                    NewEvent {
                        attendee_names: Default::default(),
                        title: format!("Event {i}"),
                        description: String::new(),
                        location: "Bench hall".into(),
                        starts_at: starts_at.into(),
                        ends_at: starts_at.plus(Duration::from_secs(4 * 3600)).into(),
                        time_zone: None,
                        capacity: 100_000,
                        price_minor: if i % 3 == 0 { 2_500 } else { 0 },
                        currency: "EUR".into(),
                        image_url: None,
                        per_user_limit: Some(100),
                        ticket_types: None,
                    },
                )
                .expect("event")
                .id
        })
        .collect();
    let users: Vec<Actor> = {
        let slots: Vec<parking_lot::Mutex<Option<Actor>>> = (0..n_users)
            .map(|_| parking_lot::Mutex::new(None))
            .collect();
        parallel(n_users, |_, range| {
            for i in range {
                *slots[i as usize].lock() =
                    Some(register(&prasang, format!("User {i}"), Role::Attendee, i));
            }
        });
        slots
            .into_iter()
            .map(|slot| slot.into_inner().expect("registered"))
            .collect()
    };
    eprintln!(
        "registered {} users and {} events in {:.1} s",
        n_users,
        n_events,
        started.elapsed().as_secs_f64()
    );
    // Events drawn with a skew (a few popular, a long tail) so rankings mean something.
    let pick_event = |rng: &mut Rng| {
        let a = rng.below(n_events);
        let b = rng.below(n_events);
        a.min(b) as usize
    };
    let booked: Vec<parking_lot::Mutex<Vec<(usize, usize)>>> = (0..2)
        .map(|_| parking_lot::Mutex::new(Vec::new()))
        .collect();
    let phase = Instant::now();
    parallel(n_tickets, |thread, range| {
        let mut rng = Rng(42 + thread);
        let mut mine = Vec::new();
        for i in range {
            let user = (i % n_users) as usize;
            let event = pick_event(&mut rng);
            let request = BookingRequest {
                attendee_names: Default::default(),
                pass: None,
                event: events[event],
                quantity: 1 + (rng.below(10) == 0) as i64,
                idempotency_key: None,
                lines: Vec::new(),
                promo_code: None,
            };
            let Ok(outcome) = prasang.tickets().book(&users[user], &request) else {
                continue;
            };
            let organizer = &organizer_actors[event % organizers as usize];
            let roll = rng.below(100);
            if outcome.ticket.amount_minor > 0 && roll < 85 {
                let _ = prasang
                    .tickets()
                    .confirm_payment(organizer, outcome.ticket.id);
            }
            if roll >= 95 {
                let _ = prasang.tickets().cancel(&users[user], outcome.ticket.id);
            } else {
                mine.push((user, event));
            }
            if rng.below(4) == 0 {
                let _ = prasang.events().get(events[event]);
            }
        }
        booked[thread as usize].lock().extend(mine);
    });
    prasang.run_maintenance().expect("record views");
    eprintln!(
        "booked {} tickets in {:.1} s",
        n_tickets,
        phase.elapsed().as_secs_f64()
    );
    clock.advance(Duration::from_secs(31 * 86_400));
    let pairs: Vec<(usize, usize)> = booked.into_iter().flat_map(|m| m.into_inner()).collect();
    let phase = Instant::now();
    let given = AtomicU64::new(0);
    parallel(pairs.len() as u64, |thread, range| {
        let mut rng = Rng(7 + thread);
        for i in range {
            if rng.below(10) >= 3 {
                continue;
            }
            let (user, event) = pairs[i as usize];
            let input = FeedbackInput {
                rating: 1 + rng.below(5) as i64,
                comment: None,
            };
            if prasang
                .feedback()
                .give(&users[user], events[event], input)
                .is_ok()
            {
                given.fetch_add(1, Ordering::Relaxed);
            }
        }
    });
    prasang.flush().expect("flush");
    let log_end = prasang.log().end().expect("end");
    eprintln!(
        "gave {} feedback entries in {:.1} s; log holds {} entries; data set built in {:.0} s",
        given.load(Ordering::Relaxed),
        phase.elapsed().as_secs_f64(),
        log_end,
        started.elapsed().as_secs_f64()
    );

    if let Some(keep) = keep {
        let folded = Instant::now();
        let report = prasang.run_analytics_once().expect("catch up");
        create_bench_admin(&prasang);
        prasang.flush().expect("flush");
        eprintln!(
            "folded {} log entries in {:.1} s; kept the data folder {} ({} MB)",
            report.entries,
            folded.elapsed().as_secs_f64(),
            keep.display(),
            prasang.size_on_disk().unwrap_or(0) >> 20
        );
        return;
    }

    // --- 1. Catch-up from scratch -----------------------------------------------------------
    let catch_up = Instant::now();
    let report = prasang.run_analytics_once().expect("catch up");
    let catch_up = catch_up.elapsed().as_secs_f64();
    println!("## Analytics at {n_tickets} tickets, {n_events} events, {n_users} users\n");
    println!(
        "log entries: {log_end}; feedback: {}; store on disk: {} MB\n",
        given.load(Ordering::Relaxed),
        prasang.size_on_disk().unwrap_or(0) >> 20
    );
    println!(
        "| consumer catch-up from scratch | {} entries in {:.2} s = **{:.0} entries/s** |",
        report.entries,
        catch_up,
        report.entries as f64 / catch_up
    );
    println!("|---|---|");

    // --- 3. Recompute from the raw records ---------------------------------------------------
    let admin = prasang.auth().system_actor();
    let recompute = Instant::now();
    let (mut bookings, mut ratings, mut rating_sum) = (0u64, 0u64, 0u64);
    for (i, event) in events.iter().enumerate() {
        let organizer = &organizer_actors[i % organizers as usize];
        let tickets = |page: &PageRequest| {
            prasang
                .tickets()
                .list_for_event(organizer, *event, page)
                .expect("tickets")
        };
        each_page(tickets, |items| {
            bookings += items
                .iter()
                .filter(|t| t.status == prasang_core::tickets::TicketStatus::Booked)
                .count() as u64;
        });
        let feedback = |page: &PageRequest| {
            prasang
                .feedback()
                .list_for_event(organizer, *event, page)
                .expect("feedback")
        };
        each_page(feedback, |items| {
            ratings += items.len() as u64;
            rating_sum += items.iter().map(|f| u64::from(f.rating)).sum::<u64>();
        });
    }
    let recompute = recompute.elapsed().as_secs_f64();
    println!(
        "| recompute from raw records (every ticket and feedback entry read, all events) | {:.2} s ({bookings} booked tickets, {ratings} ratings, mean {:.3}) |",
        recompute,
        rating_sum as f64 / ratings.max(1) as f64
    );

    // --- 2a. Reports in-process ------------------------------------------------------------------
    let hot = events[0];
    let org = organizer_actors[0].user_id();
    // Bookings were made on `booking_day`; feedback 31 days later.
    let date = |t: prasang_core::Timestamp| t.to_rfc3339()[..10].to_owned();
    let last = date(booking_day);
    let month_before = date(booking_day.minus(Duration::from_secs(29 * 86_400)));
    let year_before = date(booking_day.minus(Duration::from_secs(364 * 86_400)));
    let trend = TrendParams {
        from: Some(month_before.clone()),
        to: Some(last.clone()),
        group_by: Some("day".into()),
        time_zone: None,
    };
    let trend_year = TrendParams {
        from: Some(year_before.clone()),
        to: Some(last.clone()),
        group_by: Some("week".into()),
        time_zone: None,
    };
    let day_query = format!("from={month_before}&to={last}&group_by=day");
    let week_query = format!("from={year_before}&to={last}&group_by=week&format=csv");
    let top = TopParams {
        by: Some("rating".into()),
        min_ratings: Some("10".into()),
    };
    type Call<'a> = Box<dyn Fn() + 'a>;
    /// A report call to time; its answer is kept from the optimizer and dropped.
    fn timed<'a, T>(call: impl Fn() -> T + 'a) -> Call<'a> {
        Box::new(move || {
            std::hint::black_box(call());
        })
    }
    let a = || prasang.analytics();
    let scopes = [
        ("event", Scope::Event(hot)),
        ("organizer", Scope::Organizer(org)),
        ("all", Scope::All),
    ];
    println!("\n| report | scope | in-process p50 (ms) | p99 (ms) | HTTP p50 (ms) | p99 (ms) |");
    println!("|---|---|---|---|---|---|");
    let mut rows: Vec<(String, &str, f64, f64, String)> = Vec::new();
    for (scope_name, scope) in scopes {
        let scope_path = match scope {
            Scope::Event(e) => format!("/api/v1/events/{e}/analytics"),
            Scope::Organizer(o) => format!("/api/v1/analytics/{{}}?organizer={o}"),
            Scope::All => "/api/v1/analytics".into(),
        };
        let path = |report: &str, query: &str| -> String {
            if scope_path.contains("{}") {
                let base = scope_path.replace("{}", report);
                if query.is_empty() {
                    base
                } else {
                    format!("{base}&{query}")
                }
            } else if query.is_empty() {
                format!("{scope_path}/{report}")
            } else {
                format!("{scope_path}/{report}?{query}")
            }
        };
        // A report under its own name, without parameters.
        let plain = |report, call| (report, call, path(report, ""));
        let mut reports: Vec<(&str, Call<'_>, String)> = vec![
            plain(
                "popularity",
                timed(|| a().popularity(&admin, scope).expect("r")),
            ),
            plain(
                "demographics",
                timed(|| a().demographics(&admin, scope).expect("r")),
            ),
            plain(
                "ratings-by-group",
                timed(|| a().ratings_by_group(&admin, scope).expect("r")),
            ),
            (
                "trends (30 days by day)",
                timed(|| a().trends(&admin, scope, &trend).expect("r")),
                path("trends", &day_query),
            ),
            (
                "trends (a year by week; CSV over HTTP)",
                timed(|| a().trends(&admin, scope, &trend_year).expect("r")),
                path("trends", &week_query),
            ),
            plain("funnel", timed(|| a().funnel(&admin, scope).expect("r"))),
            plain("revenue", timed(|| a().revenue(&admin, scope).expect("r"))),
        ];
        if !matches!(scope, Scope::Event(_)) {
            reports.push((
                "top-events (by rating, min 10)",
                timed(|| a().top_events(&admin, scope, &top).expect("r")),
                path("top-events", "by=rating&min_ratings=10"),
            ));
        }
        for (name, call, http_path) in reports {
            let mut times = Vec::with_capacity(calls);
            for _ in 0..calls {
                let t = Instant::now();
                call();
                times.push(t.elapsed());
            }
            times.sort();
            rows.push((
                name.to_owned(),
                scope_name,
                percentile(&times, 0.5),
                percentile(&times, 0.99),
                http_path,
            ));
        }
    }

    // --- 2b. The same over HTTP ------------------------------------------------------------------
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let http: Vec<(f64, f64)> = runtime.block_on(async {
        let app = prasang_server::Application::with_store(
            prasang.clone(),
            ServerConfig::new(Config::temporary()),
        )
        .await
        .expect("server");
        let address = app.address();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(app.run_until(async {
            let _ = stopped.await;
        }));
        create_bench_admin(&prasang);
        let session = prasang
            .auth()
            .login("admin@bench.example", "bench password")
            .expect("login");
        let token = session.access_token;
        let mut connection = Connection::open(address).await.expect("connect");
        let mut out = Vec::new();
        for (_, _, _, _, path) in &rows {
            let mut times = Vec::with_capacity(calls);
            for _ in 0..calls {
                let t = Instant::now();
                let reply = connection
                    .send(request(Method::GET, path, Some(&token), None))
                    .await
                    .expect("reply");
                assert!(reply.status.is_success(), "{path}: {:?}", reply.json());
                times.push(t.elapsed());
            }
            times.sort();
            out.push((percentile(&times, 0.5), percentile(&times, 0.99)));
        }
        let _ = stop.send(());
        let _ = server.await;
        out
    });
    for ((name, scope, p50, p99, _), (h50, h99)) in rows.iter().zip(http) {
        println!("| {name} | {scope} | {p50:.3} | {p99:.3} | {h50:.3} | {h99:.3} |");
    }
    drop(prasang);

    // --- 4. Lag during a flash sale --------------------------------------------------------------
    let flash = Prasang::open(
        Config::temporary()
            .password_cost(PasswordCost::INSECURE_FAST)
            .durability(Durability::Periodic {
                every: Duration::from_millis(100),
            }),
    )
    .expect("open");
    let organizer = register(&flash, "Flash Org".into(), Role::Organizer, 0);
    let now = flash.now();
    let hot = flash
        .events()
        .create(
            &organizer,
            NewEvent {
                attendee_names: Default::default(),
                title: "Flash sale".into(),
                description: String::new(),
                location: "Arena".into(),
                starts_at: now.plus(Duration::from_secs(86_400)).into(),
                ends_at: now.plus(Duration::from_secs(90_000)).into(),
                time_zone: None,
                capacity: 1_000_000,
                price_minor: 0,
                currency: "EUR".into(),
                image_url: None,
                per_user_limit: Some(100),
                ticket_types: None,
            },
        )
        .expect("event")
        .id;
    let buyers: Vec<Actor> = (0..5_000)
        .map(|i| register(&flash, format!("Buyer {i}"), Role::Attendee, i))
        .collect();
    let done = Arc::new(AtomicBool::new(false));
    let sold = AtomicU64::new(0);
    let mut max_lag = (0u64, 0.0f64);
    let seconds = 5;
    std::thread::scope(|scope| {
        for thread in 0..2usize {
            let (flash, buyers, done, sold) = (&flash, &buyers, &done, &sold);
            scope.spawn(move || {
                let mut i = thread;
                while !done.load(Ordering::Relaxed) {
                    let request = BookingRequest {
                        attendee_names: Default::default(),
                        pass: None,
                        event: hot,
                        quantity: 1,
                        idempotency_key: None,
                        lines: Vec::new(),
                        promo_code: None,
                    };
                    if flash
                        .tickets()
                        .book(&buyers[i % buyers.len()], &request)
                        .is_ok()
                    {
                        sold.fetch_add(1, Ordering::Relaxed);
                    }
                    i += 2;
                }
            });
        }
        let until = Instant::now() + Duration::from_secs(seconds);
        while Instant::now() < until {
            std::thread::sleep(Duration::from_millis(50));
            let lag = flash.analytics().lag().expect("lag");
            max_lag.0 = max_lag.0.max(lag.entries);
            max_lag.1 = max_lag.1.max(lag.seconds);
        }
        done.store(true, Ordering::Relaxed);
    });
    println!(
        "\nflash sale, background consumer running: {} bookings in {seconds} s ({:.0}/s, 2 threads); max lag {} entries, {:.3} s",
        sold.load(Ordering::Relaxed),
        sold.load(Ordering::Relaxed) as f64 / seconds as f64,
        max_lag.0,
        max_lag.1
    );
}

/// Hands each page of a listing to `each`, from the first to the last.
fn each_page<T>(
    mut list: impl FnMut(&PageRequest) -> prasang_core::Page<T>,
    mut each: impl FnMut(&[T]),
) {
    let mut page = PageRequest::first(100);
    loop {
        let got = list(&page);
        each(&got.items);
        match got.next {
            Some(next) => page.after = Some(next),
            None => break,
        }
    }
}
