//! The flash sale of guests (issue 29), `--guests N`: N people without accounts race for the
//! event's seats, each with one guest checkout (`POST /api/v1/guest/bookings`) under their own
//! e-mail address, so every request also makes a guest account. No one registers or logs in
//! first. The target: ≥ 0.15 of hyper hello-world, measured in the same run.

use std::sync::Arc;
use std::time::Duration;

use hyper::Method;
use serde_json::json;

use prasang_http_client as client;

use super::{
    BenchArgs, BenchError, MakeRequest, Measured, Servers, integrity_ok, measured, organizer_event,
    print_integrity_and_ceiling, report_head, seats, statuses, timed_get,
};

/// Runs the guests' sale and prints its report.
pub(super) async fn run(args: BenchArgs, n: usize) -> Result<(), BenchError> {
    let servers = Servers::start(&args).await?;
    let server = servers.server;
    let c = args.concurrency.max(1);
    let new_event = json!({ "title": "Flash sale for guests", "location": "Loopback Arena",
                            "capacity": args.capacity, "per_user_limit": 1 });
    let (_, event_id) = organizer_event(server, new_event).await?;

    let checkout: MakeRequest = {
        let event_id = event_id.clone();
        Arc::new(move |i| {
            let body = json!({ "name": format!("Guest {i}"),
                "email": format!("guest{i}@bench.example"), "event": event_id, "quantity": 1 });
            client::request(Method::POST, "/api/v1/guest/bookings", None, Some(&body))
        })
    };
    let Measured {
        run: sale,
        cpu,
        written,
    } = measured(&servers, c, n, checkout, "guest sale").await?;
    let cpu_per_request = cpu.as_secs_f64() * 1e6 / n as f64;
    let bytes_per_request = written as f64 / n as f64;

    let (booked, _) = seats(server, &event_id).await?;
    let integrity_ok = integrity_ok(server).await?;
    let span = Duration::from_secs(args.ceiling_secs.max(1));
    let hello = timed_get(servers.hello, c, span, "/", "hello-world").await?;
    drop(servers);

    let sold = sale.count(201);
    let sold_ok = booked == args.capacity.min(n) as u64 && sold as u64 == booked;
    report_head(
        "Flash sale of guests (guest checkout, a new account each)",
        &format!("{n} guests, {} seats, concurrency {c}", args.capacity),
        &args,
        "booking",
    );
    println!(
        "| guest checkouts/s (all {n}) | {:.0} = {:.1}% of hello-world |",
        sale.rate(),
        100.0 * sale.rate() / hello.rate()
    );
    println!(
        "| seats sold/s (seats / time of the last 201) | {:.0} (last seat after {:.2} s) |",
        sold as f64 / sale.last_created.as_secs_f64(),
        sale.last_created.as_secs_f64()
    );
    println!(
        "| checkout latency p50 / p99 / max (ms) | {:.2} / {:.2} / {:.2} |",
        sale.percentile(0.5),
        sale.percentile(0.99),
        sale.percentile(1.0)
    );
    println!("| statuses | {} |", statuses(&sale));
    println!("| transport errors | {} |", sale.transport_errors);
    println!("| server CPU per checkout (µs, whole process, from /proc) | {cpu_per_request:.0} |");
    println!("| bytes written per checkout (server, /proc io) | {bytes_per_request:.0} |");
    println!(
        "| seats booked (via API) | {booked} ({}) |",
        if sold_ok {
            "exactly the seats: OK"
        } else {
            "MISMATCH"
        }
    );
    print_integrity_and_ceiling(integrity_ok, &hello);
    if !sold_ok || !integrity_ok {
        return Err("the guests' sale sold the wrong number of seats or broke integrity".into());
    }
    Ok(())
}
