//! The on-sale behind a waiting room (issue 31), `--waiting-room N`: N signed-in people arrive
//! at one event whose room opens its sale 5 s after the first arrival (so the early ones are
//! drawn by lottery, the rest queue in order), then everyone polls their place while the room
//! admits `--admit-per-minute` people a minute and each admitted person books one seat with
//! their pass.
//!
//! Reported beside hyper hello-world in the same run: the arrivals (targets: all within 10 s),
//! the status answers per second and their p99 (< 10 ms), the admitted bookings' p99 (< 20 ms),
//! the admission rate achieved against the setting, and the server's memory.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use hyper::Method;
use parking_lot::Mutex;
use serde_json::json;

use prasang_http_client::usage::process_memory;
use prasang_http_client::{self as client, Connection};

use super::{
    BenchArgs, BenchError, LoadResult, MakeRequest, OnReply, Servers, bar, fans, integrity_ok,
    load, organizer_event, print_integrity_and_ceiling, report_head, seats, statuses, timed_bar,
    timed_get,
};

/// Seconds from the first arrival to the on-sale time (the lottery's draw).
const LOTTERY_SECS: u64 = 5;
/// Connections that book for the admitted people.
const BOOKERS: usize = 8;
/// How often the organizer's numbers are read while the crowd polls.
const SAMPLE_EVERY: Duration = Duration::from_millis(250);

/// Runs the on-sale behind the room and prints its report.
pub(super) async fn run(args: BenchArgs, n: usize) -> Result<(), BenchError> {
    let servers = Servers::start(&args).await?;
    let server = servers.server;
    let c = args.concurrency.max(1);
    let new_event = json!({ "title": "On-sale behind a waiting room", "location": "Loopback Arena",
                            "capacity": args.capacity, "per_user_limit": 1 });
    let (organizer, event_id) = organizer_event(server, new_event).await?;
    let room_path = format!("/api/v1/events/{event_id}/waiting-room");
    let (tokens, _, _) = fans(server, "fan", n, c).await?;
    let tokens = Arc::new(tokens);

    // 1. The arrivals: the room opens its sale LOTTERY_SECS after the first.
    let on_sale_at = prasang_core::Clock::now(&prasang_core::SystemClock)
        .plus(Duration::from_secs(LOTTERY_SECS));
    let settings = json!({ "enabled": true, "on_sale_at": on_sale_at,
        "admission": { "per_minute": args.admit_per_minute }, "pass_minutes": 10 });
    let configured = client::call(
        server,
        Method::PUT,
        &room_path,
        Some(&organizer),
        Some(&settings),
    )
    .await?;
    if configured.status != 200 {
        return Err(format!("configuring the room failed: {}", configured.status).into());
    }
    let join: MakeRequest = {
        let (tokens, path) = (Arc::clone(&tokens), format!("{room_path}/join"));
        Arc::new(move |i| client::request(Method::POST, &path, Some(&tokens[i]), None))
    };
    let arrivals = load(
        server,
        c,
        Some(n),
        None,
        join,
        None,
        bar(n as u64, "arrive"),
    )
    .await?;
    if arrivals.count(200) != n {
        return Err(format!("joining the room failed: {}", statuses(&arrivals)).into());
    }

    // 2. Everyone polls their place (a fixed stride through the crowd) while the room admits;
    // the admitted book with their pass as soon as a poll shows it.
    let span = Duration::from_secs(args.room_secs.max(1));
    let passes: Arc<Mutex<VecDeque<(usize, String)>>> = Arc::default();
    let seen: Arc<Mutex<Vec<bool>>> = Arc::new(Mutex::new(vec![false; n]));
    let polls_over = Arc::new(AtomicBool::new(false));
    let bookings = tokio::spawn(book_as_admitted(
        server,
        Arc::clone(&tokens),
        format!("/api/v1/events/{event_id}/tickets"),
        Arc::clone(&passes),
        Arc::clone(&polls_over),
    ));
    let poll: MakeRequest = {
        let (tokens, path) = (Arc::clone(&tokens), format!("{room_path}/me"));
        Arc::new(move |job| {
            client::request(Method::GET, &path, Some(&tokens[stride(job, n)]), None)
        })
    };
    let keep_pass: OnReply = {
        let (passes, seen) = (Arc::clone(&passes), Arc::clone(&seen));
        Arc::new(move |job, reply| {
            let status = reply.json();
            let person = stride(job, n);
            if status["state"] == "admitted" && !std::mem::replace(&mut seen.lock()[person], true) {
                let pass = status["pass"].as_str().unwrap_or_default().to_owned();
                passes.lock().push_back((person, pass));
            }
        })
    };
    let sampler = tokio::spawn(sample_admitted(
        server,
        room_path.clone(),
        organizer.clone(),
        Arc::clone(&polls_over),
    ));
    let started = Instant::now();
    let polls = load(
        server,
        c,
        None,
        Some(span),
        poll,
        Some(keep_pass),
        timed_bar("poll place"),
    )
    .await?;
    let polled_for = started.elapsed();
    polls_over.store(true, Ordering::Relaxed);
    let admitted_per_minute = slope(&sampler.await??) * 60.0;
    let booked = bookings.await??;

    // 3. Checks, memory, and the ceiling.
    let (sold, _) = seats(server, &event_id).await?;
    let integrity_ok = integrity_ok(server).await?;
    let server_memory = process_memory(&servers.server_pid());
    let hello_memory = process_memory(&servers.hello_pid());
    let hello = timed_get(
        servers.hello,
        c,
        Duration::from_secs(args.ceiling_secs.max(1)),
        "/",
        "hello-world",
    )
    .await?;
    let numbers = client::call(server, Method::GET, &room_path, Some(&organizer), None)
        .await?
        .json();
    drop(servers);

    let sold_ok = sold == booked.count(201) as u64;
    report_head(
        "On-sale behind a waiting room",
        &format!(
            "{n} people, {} seats, admitting {} a minute, concurrency {c}",
            args.capacity, args.admit_per_minute
        ),
        &args,
        "join",
    );
    println!(
        "| arrivals: {n} joins | {:.1} s = {:.0}/s; p50 / p99 {:.2} / {:.2} ms; {} in the lottery |",
        arrivals.elapsed.as_secs_f64(),
        arrivals.rate(),
        arrivals.percentile(0.5),
        arrivals.percentile(0.99),
        numbers["lottery_size"]
    );
    println!(
        "| status answers/s (GET …/waiting-room/me, {:.0} s) | {:.0} = {:.1}% of hello-world |",
        polled_for.as_secs_f64(),
        polls.rate(),
        100.0 * polls.rate() / hello.rate()
    );
    println!(
        "| status latency p50 / p99 / max (ms) | {:.2} / {:.2} / {:.2} |",
        polls.percentile(0.5),
        polls.percentile(0.99),
        polls.percentile(1.0)
    );
    println!("| status statuses | {} |", statuses(&polls));
    println!(
        "| admitted bookings (with the pass) | {}; p50 / p99 / max {:.2} / {:.2} / {:.2} ms; {} |",
        booked.latencies.len(),
        booked.percentile(0.5),
        booked.percentile(0.99),
        booked.percentile(1.0),
        statuses(&booked)
    );
    println!(
        "| admission rate achieved (fit over the polling, sampled every 250 ms) | {admitted_per_minute:.0}/min against {} set = {:.3} |",
        args.admit_per_minute,
        admitted_per_minute / args.admit_per_minute as f64
    );
    println!(
        "| server memory: resident / peak (MiB) | {:.0} / {:.0} (hello-world {:.0} / {:.0}) |",
        server_memory.0, server_memory.1, hello_memory.0, hello_memory.1
    );
    println!(
        "| room at the end (organizer's numbers) | waiting {}, admitted {}, spent {}, out {} |",
        numbers["queue_length"], numbers["admitted"], numbers["spent"], numbers["outstanding"]
    );
    println!(
        "| seats sold (via API) | {sold} ({}) |",
        if sold_ok {
            "one per admitted booking: OK"
        } else {
            "MISMATCH"
        }
    );
    print_integrity_and_ceiling(integrity_ok, &hello);
    if !sold_ok || !integrity_ok {
        return Err("the room's sale sold the wrong number of seats or broke integrity".into());
    }
    Ok(())
}

/// Job `job`'s person: a stride coprime with most crowd sizes, so consecutive polls ask for
/// people far apart and every person is asked in turn.
fn stride(job: usize, n: usize) -> usize {
    job.wrapping_mul(7_919) % n
}

/// The room's count of admitted people every [`SAMPLE_EVERY`] until the polls are over, as
/// (seconds from the first sample, admitted).
async fn sample_admitted(
    server: SocketAddr,
    path: String,
    organizer: String,
    polls_over: Arc<AtomicBool>,
) -> Result<Vec<(f64, f64)>, BenchError> {
    let started = Instant::now();
    let mut samples = Vec::new();
    while !polls_over.load(Ordering::Relaxed) {
        let count = admitted(server, &path, &organizer).await?;
        samples.push((started.elapsed().as_secs_f64(), count as f64));
        tokio::time::sleep(SAMPLE_EVERY).await;
    }
    Ok(samples)
}

/// The least-squares slope of `samples` (admitted per second): the admission step runs once a
/// second, so the count rises in steps, and a fit over all samples averages them out where
/// two end points would not.
fn slope(samples: &[(f64, f64)]) -> f64 {
    let n = samples.len() as f64;
    let (mean_t, mean_a) = samples
        .iter()
        .fold((0.0, 0.0), |(t, a), (ti, ai)| (t + ti / n, a + ai / n));
    let (covariance, variance) = samples.iter().fold((0.0, 0.0), |(c, v), (t, a)| {
        (c + (t - mean_t) * (a - mean_a), v + (t - mean_t).powi(2))
    });
    if variance > 0.0 {
        covariance / variance
    } else {
        0.0
    }
}

/// The room's count of admitted people, as its organizer sees it.
async fn admitted(server: SocketAddr, path: &str, organizer: &str) -> Result<u64, BenchError> {
    let numbers = client::call(server, Method::GET, path, Some(organizer), None).await?;
    numbers.json()["admitted"]
        .as_u64()
        .ok_or_else(|| format!("the room's numbers: {}", numbers.status).into())
}

/// Books one seat for each admitted person as their pass shows up, over [`BOOKERS`]
/// connections, until the polls are over and no pass is left; every booking's latency.
async fn book_as_admitted(
    server: SocketAddr,
    tokens: Arc<Vec<String>>,
    path: String,
    passes: Arc<Mutex<VecDeque<(usize, String)>>>,
    polls_over: Arc<AtomicBool>,
) -> Result<LoadResult, BenchError> {
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..BOOKERS {
        let (tokens, path, passes, polls_over) = (
            Arc::clone(&tokens),
            path.clone(),
            Arc::clone(&passes),
            Arc::clone(&polls_over),
        );
        let mut connection = Connection::open(server).await.map_err(|e| e.to_string())?;
        workers.push(tokio::spawn(async move {
            let mut run = LoadResult::default();
            loop {
                let next = passes.lock().pop_front();
                let Some((person, pass)) = next else {
                    if polls_over.load(Ordering::Relaxed) {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(2)).await;
                    continue;
                };
                let body = json!({ "quantity": 1, "pass": pass });
                let request =
                    client::request(Method::POST, &path, Some(&tokens[person]), Some(&body));
                let sent = Instant::now();
                match connection.send(request).await {
                    Ok(reply) => {
                        run.latencies.push(sent.elapsed().as_micros() as u64);
                        *run.statuses.entry(reply.status.as_u16()).or_default() += 1;
                    }
                    Err(_) => run.transport_errors += 1,
                }
            }
            run
        }));
    }
    let mut all = LoadResult::default();
    for worker in workers {
        all.absorb(worker.await?);
    }
    all.elapsed = started.elapsed();
    all.latencies.sort_unstable();
    Ok(all)
}
