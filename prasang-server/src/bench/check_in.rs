//! The check-in benchmarks (issue 27).
//!
//! `--check-in`, the doors-open burst over HTTP, durable: N users each book one ticket of
//! `--seats-per-ticket` seats, every seat's admission code is fetched through the API, then
//! `--gates` gates (one keep-alive connection each) post every code once, as fast as the server
//! answers. It checks that every seat was admitted exactly once (through the answers and the
//! attendance report), and measures hyper hello-world with the same load generator and the same
//! number of connections in the same run.
//!
//! `--verify-codes N`: what an offline gate does with each scan, on one core in this process:
//! parse the code and check its Ed25519 signature with the published key it names.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hyper::Method;
use parking_lot::Mutex;
use serde_json::{Value, json};

use prasang_core::admission;
use prasang_core::auth::Actor;
use prasang_core::events::NewEvent;
use prasang_core::tickets::BookingRequest;
use prasang_core::users::{Gender, NewUser, Role};
use prasang_core::{Config, EventId, Prasang, Timestamp};
use prasang_http_client::usage::process_usage;
use prasang_http_client::{self as client};

use super::{
    BenchArgs, BenchError, MakeRequest, OnReply, Servers, bar, book_one_each, fans, integrity_ok,
    load, organizer_event, report_head, statuses, timed_get,
};

/// Every `code` string anywhere in a JSON answer, in order (the admissions route lists one per
/// seat).
fn codes_in(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, item) in map {
                match (key.as_str(), item) {
                    ("code", Value::String(code)) => out.push(code.clone()),
                    _ => codes_in(item, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| codes_in(item, out)),
        _ => {}
    }
}

/// The doors-open burst.
pub(super) async fn run(args: BenchArgs) -> Result<(), BenchError> {
    let servers = Servers::start(&args).await?;
    let server = servers.server;
    let c = args.concurrency.max(1);
    let n = args.users;
    let per_ticket = args.seats_per_ticket.max(1);
    let seats = n * per_ticket;

    // 1. Users register, log in and each book one ticket.
    let (tokens, _, _) = fans(server, "fan", n, c).await?;
    let new_event = json!({ "title": "Doors open", "location": "Loopback Arena",
                            "capacity": seats, "per_user_limit": per_ticket });
    let (organizer, event_id) = organizer_event(server, new_event).await?;
    let tokens = Arc::new(tokens);
    let ticket_ids = Arc::new(book_one_each(server, c, &tokens, &event_id, per_ticket).await?);

    // 2. Every seat's code, as the holder's page shows it.
    let codes = Arc::new(Mutex::new(Vec::with_capacity(seats)));
    let fetch: MakeRequest = {
        let (tokens, ids) = (Arc::clone(&tokens), Arc::clone(&ticket_ids));
        Arc::new(move |i| {
            let path = format!("/api/v1/tickets/{}/admissions", ids[i]);
            client::request(Method::GET, &path, Some(&tokens[i]), None)
        })
    };
    let keep = Arc::clone(&codes);
    let keep_codes: OnReply = Arc::new(move |_, reply| {
        let mut found = Vec::new();
        codes_in(&reply.json(), &mut found);
        keep.lock().extend(found);
    });
    load(
        server,
        c,
        Some(n),
        None,
        fetch,
        Some(keep_codes),
        bar(n as u64, "codes"),
    )
    .await?;
    let codes: Arc<Vec<String>> = Arc::new(std::mem::take(&mut *codes.lock()));
    if codes.len() != seats {
        return Err(format!("{} codes fetched for {seats} seats", codes.len()).into());
    }

    // 3. Doors open: the gates post every code once.
    let gates = args.gates.max(1);
    let scan: MakeRequest = {
        let codes = Arc::clone(&codes);
        let path = format!("/api/v1/events/{event_id}/check-ins");
        Arc::new(move |i| {
            let body = json!({ "code": codes[i], "gate": format!("gate-{}", i % gates),
                               "scan_id": format!("bench-scan-{i}") });
            client::request(Method::POST, &path, Some(&organizer), Some(&body))
        })
    };
    let server_pid = servers.server_pid();
    let (cpu_before, written_before) = process_usage(&server_pid);
    let burst = load(
        server,
        gates,
        Some(seats),
        None,
        scan,
        None,
        bar(seats as u64, "doors open"),
    )
    .await?;
    let (cpu_after, written_after) = process_usage(&server_pid);
    let admitted = burst.count(200) + burst.count(201);
    let cpu_per_scan = (cpu_after - cpu_before).as_secs_f64() * 1e6 / seats as f64;
    let bytes_per_admission =
        written_after.saturating_sub(written_before) as f64 / admitted.max(1) as f64;

    // 4. Check: the attendance report (once the analytics caught up) says every seat is in.
    let checked_in = checked_in(server, &event_id, seats).await?;
    let integrity = integrity_ok(server).await?;

    // 5. The ceiling, with the same load generator and as many connections as gates.
    let span = Duration::from_secs(args.ceiling_secs.max(1));
    let hello = timed_get(servers.hello, gates, span, "/", "hello-world").await?;
    drop(servers);

    let every_seat_once = admitted == seats && checked_in == seats as u64;
    report_head(
        "Check-in result (doors open)",
        &format!("{n} tickets of {per_ticket} seat(s) = {seats} seats, {gates} gates"),
        &args,
        "admission",
    );
    println!(
        "| admissions/s (all {seats}) | {:.0} = {:.3} of hello-world ({:.1}%) |",
        burst.rate(),
        burst.rate() / hello.rate(),
        100.0 * burst.rate() / hello.rate()
    );
    println!(
        "| check-in latency p50 / p99 / max (ms) | {:.2} / {:.2} / {:.2} |",
        burst.percentile(0.5),
        burst.percentile(0.99),
        burst.percentile(1.0)
    );
    println!("| statuses | {} |", statuses(&burst));
    println!("| transport errors | {} |", burst.transport_errors);
    println!("| server CPU per check-in (µs, whole process, from /proc) | {cpu_per_scan:.0} |");
    println!("| bytes written per admission (server, /proc io) | {bytes_per_admission:.0} |");
    println!(
        "| admitted / checked in (attendance report) | {admitted} / {checked_in} ({}) |",
        if every_seat_once {
            "every seat once: OK"
        } else {
            "MISMATCH"
        }
    );
    println!(
        "| verify_integrity (GET /api/v1/admin/integrity) | {} |",
        if integrity { "ok" } else { "FAILED" }
    );
    println!(
        "| ceiling: hyper hello-world, {gates} connections (req/s, p99 ms) | {:.0} ({:.2}) |",
        hello.rate(),
        hello.percentile(0.99)
    );
    if !every_seat_once || !integrity {
        return Err("the burst did not admit every seat exactly once, or broke integrity".into());
    }
    Ok(())
}

/// The event's seats checked in, as the attendance report says once it stops moving (it lags
/// the log by a round of the analytics consumer); waits up to 60 s for `expected`.
async fn checked_in(server: SocketAddr, event: &str, expected: usize) -> Result<u64, BenchError> {
    let (admin, password) = super::ADMIN;
    let token = super::access_token(server, admin, password).await?;
    let path = format!("/api/v1/events/{event}/analytics/attendance");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let report = client::call(server, Method::GET, &path, Some(&token), None).await?;
        let seen = report.json()["checked_in"].as_u64().unwrap_or(0);
        if seen >= expected as u64 || Instant::now() >= deadline {
            return Ok(seen);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Offline verification on one core: `count` real codes (booked in a throwaway store), each
/// parsed and its signature checked with the published key it names, for at least two seconds.
pub(super) fn verify_codes(count: usize) -> Result<(), BenchError> {
    let (event, codes, keys) = make_codes(count.max(1))?;
    // What a gate holds: the published keys by id.
    let keys: Vec<_> = keys
        .iter()
        .filter_map(|key| Some((key.key_id, key.verifying_key()?)))
        .collect();
    let verify = |code: &str| -> bool {
        let Ok(parsed) = admission::parse(code) else {
            return false;
        };
        keys.iter()
            .find(|(id, _)| *id == parsed.key_id)
            .is_some_and(|(_, key)| parsed.verify(event, key).is_ok())
    };
    // Warm up, and check every code verifies (and a tampered one does not).
    if !codes.iter().all(|code| verify(code)) {
        return Err("a code the store made does not verify".into());
    }
    let mut tampered = codes[0].clone().into_bytes();
    tampered[40] = if tampered[40] == b'A' { b'B' } else { b'A' };
    if verify(&String::from_utf8_lossy(&tampered)) {
        return Err("a tampered code verified".into());
    }
    // CPU time too: on a shared machine the wall clock also counts the time others ran.
    let pid = std::process::id().to_string();
    let (cpu_before, _) = process_usage(&pid);
    let started = Instant::now();
    let mut verified = 0usize;
    while started.elapsed() < Duration::from_secs(2) {
        verified += codes.iter().filter(|code| verify(code)).count();
    }
    let elapsed = started.elapsed();
    let cpu = (process_usage(&pid).0 - cpu_before).as_secs_f64();
    let rate = verified as f64 / elapsed.as_secs_f64();
    println!();
    println!("## Offline verification of admission codes");
    println!();
    println!(
        "{} distinct codes ({} characters each), verified in turn on one thread (parse + Ed25519)",
        codes.len(),
        admission::CODE_LEN
    );
    println!();
    println!("| measurement | value |");
    println!("|---|---|");
    println!("| codes verified/s, one thread (wall clock) | {rate:.0} |");
    println!(
        "| codes verified per CPU-second (the process's CPU time) | {:.0} |",
        verified as f64 / cpu.max(1e-9)
    );
    println!(
        "| per code (µs) | {:.1} |",
        elapsed.as_secs_f64() * 1e6 / verified.max(1) as f64
    );
    println!(
        "| verified in {:.2} s | {verified} |",
        elapsed.as_secs_f64()
    );
    Ok(())
}

/// `count` seat codes of one event, booked in a throwaway store 100 seats a ticket, and the
/// published keys.
fn make_codes(
    count: usize,
) -> Result<(EventId, Vec<String>, Vec<admission::AdmissionPublicKey>), BenchError> {
    let prasang = Prasang::open(Config::temporary())?;
    let person = |i: usize, role| -> Result<Actor, BenchError> {
        let email = format!("fan{i}@bench.example");
        prasang.users().register(NewUser {
            name: format!("Fan {i}"),
            email: email.clone(),
            password: "bench password".into(),
            gender: Gender::Undisclosed,
            age: 30,
            role,
        })?;
        let session = prasang.auth().login(&email, "bench password")?;
        Ok(prasang.auth().verify(&session.access_token)?)
    };
    let organizer = person(0, Role::Organizer)?;
    let starts = Timestamp::from_millis(prasang.now().as_millis() + 86_400_000);
    let new: NewEvent = serde_json::from_value(json!({
        "title": "Doors open", "location": "Loopback Arena",
        "starts_at": starts, "ends_at": starts.plus(Duration::from_secs(7200)),
        "capacity": count, "per_user_limit": 100,
    }))?;
    let event = prasang.events().create(&organizer, new)?.id;
    let mut codes = Vec::with_capacity(count);
    for i in 1.. {
        let left = count - codes.len();
        if left == 0 {
            break;
        }
        let fan = person(i, Role::Attendee)?;
        let request = BookingRequest {
            attendee_names: Default::default(),
            pass: None,
            event,
            quantity: left.min(100) as i64,
            idempotency_key: None,
            lines: Vec::new(),
            promo_code: None,
        };
        let ticket = prasang.tickets().book(&fan, &request)?.ticket;
        let seats = prasang.admissions().codes(&fan, ticket.id)?;
        codes.extend(seats.into_iter().map(|seat| seat.code));
    }
    let keys = prasang.admissions().public_keys()?;
    Ok((event, codes, keys))
}
