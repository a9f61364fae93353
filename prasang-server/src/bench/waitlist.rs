//! The waiting list beside the flash sale (issue 28), `--waitlist N`: before the sale starts,
//! another event of the same server (one seat, booked) gets a waiting list of N entries over
//! HTTP, so the sale runs against a store that holds it. The target: the durable sale stays
//! ≥ 0.15 of hyper hello-world with 100,000 entries waiting on another event.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hyper::Method;
use serde_json::json;

use prasang_http_client::{self as client};

use super::{BenchError, LoadResult, MakeRequest, bar, create_event, fans, load, statuses};

/// The filled list, for the report.
pub(super) struct Waitlist {
    entries: usize,
    /// From the first registration to the status showing every entry.
    filled_in: Duration,
    joins: LoadResult,
}

impl Waitlist {
    /// The report's line: the sale ran beside this list.
    pub(super) fn report_row(&self) -> String {
        format!(
            "| beside it: waiting list of another event (GET …/waitlist) | {} entries waiting, \
             filled in {:.1} s (users registered and logged in, then {:.0} joins/s, p99 {:.2} ms) |",
            self.entries,
            self.filled_in.as_secs_f64(),
            self.joins.rate(),
            self.joins.percentile(0.99)
        )
    }
}

/// Fills a waiting list of `entries` on a new one-seat event of `organizer`'s over `c`
/// connections: user 0 of a fresh group books the seat, the organizer opens the list, and users
/// 1..=entries each join for one seat; checks the list's status counts them all.
pub(super) async fn fill(
    server: SocketAddr,
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
    Ok(Waitlist {
        entries,
        filled_in: started.elapsed(),
        joins,
    })
}
