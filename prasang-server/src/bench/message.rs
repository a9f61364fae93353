//! The organizer-message benchmark (issue 28), `--message`: N users each book a seat of one
//! event over HTTP (booking e-mails turned off for it, so the dispatcher has nothing else to
//! do), then the organizer writes to all holders and the benchmark polls the message's report
//! until every recipient's delivery record exists: the time from sending to fully queued, which
//! should stay under 2 s for 10,000 holders. The server delivers through the plugins of
//! `--plugins-dir` meanwhile (the e-mail plugin writes to its outbox without SMTP settings).

use std::sync::Arc;
use std::time::{Duration, Instant};

use hyper::Method;
use serde_json::{Value, json};

use prasang_http_client::usage::process_usage;
use prasang_http_client::{self as client};

use super::{
    BenchArgs, BenchError, Servers, book_one_each, fans, integrity_ok, organizer_event, report_head,
};

/// How often the report is asked while the fan-out runs (each ask reads every delivery of the
/// message, so not too often).
const POLL: Duration = Duration::from_millis(20);

/// Sends one message to every holder and measures how long until its deliveries are queued.
pub(super) async fn run(args: BenchArgs) -> Result<(), BenchError> {
    if args.plugins_dir.is_none() {
        return Err(
            "--message needs --plugins-dir (e.g. target/plugins): a server without \
            channels tells no one"
                .into(),
        );
    }
    let servers = Servers::start(&args).await?;
    let server = servers.server;
    let c = args.concurrency.max(1);
    let n = args.users;

    // 1. Users register, log in and each book one seat; booking e-mails are off for the event.
    let (tokens, _, _) = fans(server, "fan", n, c).await?;
    let new_event = json!({ "title": "Doors open later", "location": "Loopback Arena",
                            "capacity": n, "per_user_limit": 1 });
    let (organizer, event_id) = organizer_event(server, new_event).await?;
    let quiet = json!({ "disabled_kinds": ["ticket_booked"], "extra_channels": [] });
    let settings = client::call(
        server,
        Method::PUT,
        &format!("/api/v1/events/{event_id}/notification-settings"),
        Some(&organizer),
        Some(&quiet),
    )
    .await?;
    if settings.status != 200 {
        return Err(format!("notification settings refused: {}", settings.status).into());
    }
    book_one_each(server, c, &Arc::new(tokens), &event_id, 1).await?;
    // Let the dispatcher and the analytics consumer pass the bookings' log entries first.
    tokio::time::sleep(Duration::from_secs(2)).await;

    // 2. The message, then the report until every recipient has a delivery.
    let messages = format!("/api/v1/events/{event_id}/messages");
    let draft = json!({ "subject": "Doors open at 19:00",
        "body": "Doors open an hour later than announced: 19:00. See you there.",
        "segment": { "kind": "all_holders" } });
    let server_pid = servers.server_pid();
    let (cpu_before, written_before) = process_usage(&server_pid);
    let started = Instant::now();
    let sent = client::call(
        server,
        Method::POST,
        &messages,
        Some(&organizer),
        Some(&draft),
    )
    .await?;
    let send_latency = started.elapsed();
    if sent.status != 201 {
        return Err(format!("sending failed: {}", sent.status).into());
    }
    let id = sent.json()["id"].as_u64().unwrap_or_default();
    let report_path = format!("{messages}/{id}");
    let mut recipients_known = None;
    let (queued, report) = loop {
        let report = client::call(server, Method::GET, &report_path, Some(&organizer), None)
            .await?
            .json();
        if recipients_known.is_none() && !report["message"]["recipients"].is_null() {
            recipients_known = Some(started.elapsed());
        }
        if deliveries(&report) >= n as u64 {
            break (started.elapsed(), report);
        }
        if started.elapsed() > Duration::from_secs(30) {
            return Err(format!(
                "only {} deliveries after 30 s; the report: {report}",
                deliveries(&report)
            )
            .into());
        }
        tokio::time::sleep(POLL).await;
    };
    let (cpu_after, written_after) = process_usage(&server_pid);
    let integrity = integrity_ok(server).await?;
    drop(servers);

    let recipients = report["message"]["recipients"].as_u64().unwrap_or(0);
    let every_holder = recipients == n as u64 && deliveries(&report) == n as u64;
    report_head(
        "Organizer message result",
        &format!("one message to {n} holders of one event, each with one channel"),
        &args,
        "message",
    );
    println!(
        "| send → every delivery record created (polled every {} ms) | {:.0} ms ({}) |",
        POLL.as_millis(),
        queued.as_secs_f64() * 1e3,
        if queued < Duration::from_secs(2) {
            "< 2 s: met"
        } else {
            "≥ 2 s: NOT met"
        }
    );
    println!(
        "| send → segment resolved (recipients known) | {} |",
        recipients_known.map_or("—".into(), |at| format!(
            "{:.0} ms",
            at.as_secs_f64() * 1e3
        ))
    );
    println!(
        "| POST …/messages latency (durable) | {:.2} ms |",
        send_latency.as_secs_f64() * 1e3
    );
    println!(
        "| deliveries queued per second | {:.0} |",
        n as f64 / queued.as_secs_f64().max(1e-9)
    );
    println!(
        "| server CPU per delivery queued (µs, whole process, from /proc; includes the report polls) | {:.1} |",
        (cpu_after - cpu_before).as_secs_f64() * 1e6 / n.max(1) as f64
    );
    println!(
        "| bytes written per delivery (server, /proc io) | {:.0} |",
        written_after.saturating_sub(written_before) as f64 / n.max(1) as f64
    );
    println!(
        "| recipients / deliveries (report) | {recipients} / {} ({}) |",
        deliveries(&report),
        if every_holder {
            "every holder once: OK"
        } else {
            "MISMATCH"
        }
    );
    println!(
        "| verify_integrity (GET /api/v1/admin/integrity) | {} |",
        if integrity { "ok" } else { "FAILED" }
    );
    if !every_holder || !integrity {
        return Err("the message did not reach every holder once, or broke integrity".into());
    }
    Ok(())
}

/// Deliveries a report counts, over all channels and states.
fn deliveries(report: &Value) -> u64 {
    report["channels"]
        .as_array()
        .map(|channels| {
            channels
                .iter()
                .flat_map(|channel| {
                    ["sent", "failed", "pending", "skipped"]
                        .map(|state| channel[state].as_u64().unwrap_or(0))
                })
                .sum()
        })
        .unwrap_or(0)
}
