//! The waiting list beside the flash sale (issue 28), `--waitlist N`: before the sale starts,
//! another event of the same server (one seat, booked) gets a waiting list of N entries over
//! HTTP, so the sale runs against a store that holds it. The target: the durable sale stays
//! ≥ 0.15 of hyper hello-world with 100,000 entries waiting on another event.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hyper::Method;
use serde_json::json;

use prasang_http_client::usage::process_usage;
use prasang_http_client::{self as client};

use super::{BenchError, LoadResult, MakeRequest, bar, create_event, fans, load, statuses};

/// The filled list, for the report.
pub(super) struct Waitlist {
    entries: usize,
    /// From the first registration to the status showing every entry.
    filled_in: Duration,
    joins: LoadResult,
    /// From then until the server's CPU went quiet (its log consumers caught up).
    settled_in: Duration,
}

/// The window the server's CPU is sampled over while it settles, and the CPU time within one
/// window (10% of a core) below which it counts as quiet.
const SETTLE_WINDOW: Duration = Duration::from_millis(500);
const QUIET_CPU: Duration = Duration::from_millis(50);
/// Longest wait for the server to settle; the sale then starts anyway.
const SETTLE_AT_MOST: Duration = Duration::from_secs(180);

impl Waitlist {
    /// The report's line: the sale ran beside this list.
    pub(super) fn report_row(&self) -> String {
        format!(
            "| beside it: waiting list of another event (GET …/waitlist) | {} entries waiting, \
             filled in {:.1} s (users registered and logged in, then {:.0} joins/s, p99 {:.2} ms); \
             server quiet {:.1} s later, then the sale |",
            self.entries,
            self.filled_in.as_secs_f64(),
            self.joins.rate(),
            self.joins.percentile(0.99),
            self.settled_in.as_secs_f64()
        )
    }
}

/// Fills a waiting list of `entries` on a new one-seat event of `organizer`'s over `c`
/// connections: user 0 of a fresh group books the seat, the organizer opens the list, and users
/// 1..=entries each join for one seat; checks the list's status counts them all, then waits
/// until the server (process `server_pid`) is quiet, so that the sale measures a store holding
/// the list rather than one still catching up on filling it.
pub(super) async fn fill(
    server: SocketAddr,
    server_pid: &str,
    organizer: &str,
    entries: usize,
    c: usize,
) -> Result<Waitlist, BenchError> {
    let started = Instant::now();
    // Their own e-mail prefix: the sale's fans are `fan{i}`.
    let (tokens, _, _) = fans(server, "waiter", entries + 1, c).await?;
    let new_event = json!({ "title": "Sold out elsewhere", "location": "Loopback Annex",
                            "capacity": 1, "per_user_limit": 1 });
    let event_id = create_event(server, organizer, new_event).await?;
    let event = format!("/api/v1/events/{event_id}");
    let steps = [
        (
            Method::POST,
            format!("{event}/tickets"),
            tokens[0].as_str(),
            json!({ "quantity": 1 }),
        ),
        (
            Method::PUT,
            format!("{event}/waitlist/settings"),
            organizer,
            json!({ "enabled": true }),
        ),
    ];
    for (method, path, token, body) in steps {
        let reply = client::call(server, method, &path, Some(token), Some(&body)).await?;
        if !reply.status.is_success() {
            return Err(format!("{path} refused: {}", reply.status).into());
        }
    }

    let tokens = Arc::new(tokens);
    let join: MakeRequest = {
        let (tokens, path) = (Arc::clone(&tokens), format!("{event}/waitlist"));
        Arc::new(move |i| {
            let body = json!({ "seats": 1 });
            client::request(Method::POST, &path, Some(&tokens[i + 1]), Some(&body))
        })
    };
    let joins = load(
        server,
        c,
        Some(entries),
        None,
        join,
        None,
        bar(entries as u64, "join list"),
    )
    .await?;
    if joins.count(201) != entries {
        return Err(format!("joining the waiting list failed: {}", statuses(&joins)).into());
    }
    let status = client::call(
        server,
        Method::GET,
        &format!("{event}/waitlist"),
        None,
        None,
    )
    .await?
    .json();
    let waiting = status["waiting"].as_u64().unwrap_or(0);
    if waiting != entries as u64 {
        return Err(format!("the waiting list shows {waiting} waiting, not {entries}").into());
    }
    let filled_in = started.elapsed();
    Ok(Waitlist {
        entries,
        filled_in,
        joins,
        settled_in: settle(server_pid).await,
    })
}

/// Waits until the process `pid` uses less than [`QUIET_CPU`] in a [`SETTLE_WINDOW`] (at most
/// [`SETTLE_AT_MOST`]); how long that took.
async fn settle(pid: &str) -> Duration {
    let started = Instant::now();
    let mut before = process_usage(pid).0;
    while started.elapsed() < SETTLE_AT_MOST {
        tokio::time::sleep(SETTLE_WINDOW).await;
        let now = process_usage(pid).0;
        if now.saturating_sub(before) < QUIET_CPU {
            break;
        }
        before = now;
    }
    started.elapsed()
}
