//! Kill -9 under HTTP load: attendees book and cancel over HTTP while the server process is
//! SIGKILLed at random moments and restarted on the same data folder. Every booking answered 201
//! must exist afterwards, every cancellation answered 200 must have stuck, the integrity check
//! must pass, and the seats must add up (no seat lost, none sold twice).

mod process;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use hyper::{Method, StatusCode};
use prasang_http_client::{ClientError, Reply};
use process::ServerProcess;
use rand::Rng;
use serde_json::json;

const ATTENDEES: usize = 12;
const CAPACITY: u64 = 150;
const KILLS: usize = 5;

/// Where the server listens now (a restart binds a new port).
type Address = Arc<RwLock<SocketAddr>>;

/// POSTs an empty JSON body to wherever the server listens now.
async fn post(
    address: &Address,
    path: &str,
    token: &str,
    key: Option<&str>,
) -> Result<Reply, ClientError> {
    let at = *address.read().expect("address lock");
    process::send(at, Method::POST, path, token, Some(&json!({})), key).await
}

/// Calls until the server answers (it may be dead or restarting meanwhile).
async fn answered(address: &Address, path: &str, token: &str) -> Reply {
    for _ in 0..600 {
        let at = *address.read().expect("address lock");
        if let Ok(reply) = process::send(at, Method::GET, path, token, None, None).await {
            return reply;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("GET {path} never answered");
}

/// What one attendee was told.
#[derive(Default)]
struct Outcomes {
    /// Tickets answered 201 (ids), each once even when an idempotent retry replayed it.
    booked: Vec<String>,
    /// Of those, the ones whose cancellation was answered 200.
    cancelled: Vec<String>,
    /// Cancellations sent but not answered (the server died): either outcome is right.
    cancel_unknown: Vec<String>,
}

/// Books (retrying a booking with the same idempotency key until it is answered, so a booking
/// made just before a kill is replayed, not repeated) and sometimes cancels one of its tickets.
async fn attendee(
    n: usize,
    token: String,
    event: String,
    address: Address,
    stop: Arc<AtomicBool>,
) -> Outcomes {
    let mut outcomes = Outcomes::default();
    let mut attempt = 0;
    while !stop.load(Ordering::Relaxed) {
        let cancel = rand::thread_rng().gen_bool(0.25);
        let active: Vec<&String> = outcomes
            .booked
            .iter()
            .filter(|id| !outcomes.cancelled.contains(id) && !outcomes.cancel_unknown.contains(id))
            .collect();
        if cancel && !active.is_empty() {
            let ticket = active[rand::thread_rng().gen_range(0..active.len())].clone();
            let path = format!("/api/v1/tickets/{ticket}/cancel");
            match post(&address, &path, &token, None).await {
                Ok(reply) if reply.status == StatusCode::OK => outcomes.cancelled.push(ticket),
                Ok(reply) if reply.status == StatusCode::NOT_FOUND => {
                    panic!("acknowledged ticket {ticket} is gone (its cancellation got 404)")
                }
                Ok(reply) => panic!("cancel {ticket}: {} {:?}", reply.status, reply.json()),
                Err(_) => outcomes.cancel_unknown.push(ticket),
            }
            continue;
        }
        attempt += 1;
        let key = format!("attendee-{n}-booking-{attempt}");
        let path = format!("/api/v1/events/{event}/tickets");
        loop {
            match post(&address, &path, &token, Some(&key)).await {
                Ok(reply) if reply.status == StatusCode::CREATED => {
                    let id = reply.json()["id"].as_str().unwrap().to_owned();
                    if !outcomes.booked.contains(&id) {
                        outcomes.booked.push(id);
                    }
                    break;
                }
                // Sold out or at the per-user limit: a fair answer under load.
                Ok(reply) if reply.status == StatusCode::CONFLICT => break,
                Ok(reply) => panic!("booking: {} {:?}", reply.status, reply.json()),
                Err(_) if stop.load(Ordering::Relaxed) => break,
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
    }
    outcomes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_under_booking_load_loses_no_acknowledged_booking_and_no_seat() {
    let folder = tempfile::tempdir().unwrap();
    let data = folder.path().join("store");
    let log = folder.path().join("server.log");
    let mut server = ServerProcess::start(&data, &log);
    let address: Address = Arc::new(RwLock::new(server.address));
    let organizer = process::account(server.address, "org@example.org", "organizer").await;
    let event = process::event(server.address, &organizer, CAPACITY, 20).await;

    let stop = Arc::new(AtomicBool::new(false));
    let mut load = Vec::new();
    for n in 0..ATTENDEES {
        let email = format!("a{n}@example.org");
        let token = process::account(server.address, &email, "attendee").await;
        let task = attendee(
            n,
            token.clone(),
            event.clone(),
            address.clone(),
            stop.clone(),
        );
        load.push((token, tokio::spawn(task)));
    }

    for _ in 0..KILLS {
        let pause = rand::thread_rng().gen_range(150..700);
        tokio::time::sleep(Duration::from_millis(pause)).await;
        server.kill();
        server = ServerProcess::start(&data, &log);
        *address.write().unwrap() = server.address;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Ordering::Relaxed);

    let mut acknowledged = 0;
    let mut still_active = HashMap::new();
    for (token, task) in load {
        let outcomes = task.await.expect("the attendee task ends");
        acknowledged += outcomes.booked.len();
        for id in &outcomes.booked {
            let reply = answered(&address, &format!("/api/v1/tickets/{id}"), &token).await;
            assert_eq!(
                reply.status,
                StatusCode::OK,
                "acknowledged ticket {id} is gone"
            );
            let status = reply.json()["status"].as_str().unwrap().to_owned();
            if outcomes.cancelled.contains(id) {
                assert_eq!(
                    status, "cancelled",
                    "ticket {id}: its cancellation was acknowledged"
                );
            } else if !outcomes.cancel_unknown.contains(id) {
                assert_eq!(
                    status, "booked",
                    "ticket {id} was booked and never cancelled"
                );
            }
            still_active.insert(id.clone(), status == "booked");
        }
    }
    assert!(
        acknowledged > 0,
        "no booking was acknowledged: the load never ran"
    );

    // The seats add up: capacity = booked + held + remaining, and booked = the active tickets.
    let at = server.address;
    let seats = process::seats_adding_up(at, &organizer, &event, CAPACITY).await;
    let mut active_listed = 0;
    let mut after: Option<String> = None;
    loop {
        let mut path = format!("/api/v1/events/{event}/tickets?limit=100");
        if let Some(cursor) = &after {
            path.push_str(&format!("&after={cursor}"));
        }
        let page = answered(&address, &path, &organizer).await.json();
        for ticket in page["items"].as_array().unwrap() {
            if ticket["status"] == "booked" {
                active_listed += ticket["quantity"].as_u64().unwrap();
            }
        }
        match page["next"].as_str() {
            Some(cursor) => after = Some(cursor.to_owned()),
            None => break,
        }
    }
    assert_eq!(
        active_listed,
        seats["booked"].as_u64().unwrap(),
        "tickets listed vs {seats}"
    );
    // Bookings in flight when the load stopped may have landed unanswered: at least, not equal.
    let active_acknowledged = still_active.values().filter(|active| **active).count() as u64;
    assert!(
        active_listed >= active_acknowledged,
        "{active_listed} active tickets, but {active_acknowledged} acknowledged and not cancelled"
    );
    process::assert_intact(at).await;
    eprintln!("{KILLS} kills: {acknowledged} bookings acknowledged, at the end {seats}");
}
