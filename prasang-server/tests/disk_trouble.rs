//! Disk trouble: the server runs with a file-size limit (RLIMIT_FSIZE, SIGXFSZ ignored), so once
//! the store's file would grow past it every write fails with EFBIG, as on a full disk. Writes
//! must then be refused with 503 storage-unavailable (never a 500, never a crash), the log must
//! say why, and after a restart without the limit nothing acknowledged is lost, the store is
//! intact and bookings work again. (sled refuses every write after an I/O error until the store
//! is opened again, so service resumes after a restart, not by itself: /healthz answers 503
//! meanwhile, for a supervisor to act on.)

mod process;

use hyper::{Method, StatusCode};
use process::ServerProcess;
use serde_json::json;

/// Room the store may grow by under the limit, beyond its size when the server starts.
const HEADROOM_KIB: u64 = 1024;
const CAPACITY: u64 = 100_000;

/// Size of the largest file under `folder`, in KiB, rounded up.
fn largest_file_kib(folder: &std::path::Path) -> u64 {
    let mut largest = 0;
    for entry in std::fs::read_dir(folder).unwrap().map(Result::unwrap) {
        let meta = entry.metadata().unwrap();
        largest = largest.max(if meta.is_dir() {
            largest_file_kib(&entry.path()) * 1024
        } else {
            meta.len()
        });
    }
    largest.div_ceil(1024)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_refuses_writes_with_503_and_loses_nothing_acknowledged() {
    let folder = tempfile::tempdir().unwrap();
    let data = folder.path().join("store");
    let log = folder.path().join("server.log");
    let server = ServerProcess::start(&data, &log);
    let organizer = process::account(server.address, "org@example.org", "organizer").await;
    let attendee = process::account(server.address, "a@example.org", "attendee").await;
    let event = process::event(server.address, &organizer, CAPACITY, 100).await;
    drop(server);

    // sled grows its file a segment at a time: the limit lets it open and take some writes.
    let limit = largest_file_kib(&data) + HEADROOM_KIB;
    let mut server =
        ServerProcess::start_limited(&data, &log, &format!("trap '' XFSZ; ulimit -f {limit}"));
    let at = server.address;
    let book = format!("/api/v1/events/{event}/tickets");
    let (mut booked, mut cancelled, mut uncertain, mut refused) =
        (Vec::new(), Vec::new(), Vec::new(), 0);
    // Book and cancel (keeping at most 50 seats) until the disk is "full", then 20 more tries.
    while refused < 20 && booked.len() < 20_000 {
        let active = booked.len() - cancelled.len();
        let reply = if active >= 50 {
            let ticket: &String = &booked[cancelled.len()];
            let path = format!("/api/v1/tickets/{ticket}/cancel");
            process::send(at, Method::POST, &path, &attendee, Some(&json!({})), None).await
        } else {
            process::send(at, Method::POST, &book, &attendee, Some(&json!({})), None).await
        }
        .expect("the server answers, full disk or not");
        match reply.status {
            StatusCode::CREATED => booked.push(reply.json()["id"].as_str().unwrap().to_owned()),
            StatusCode::OK => cancelled.push(booked[cancelled.len()].clone()),
            StatusCode::SERVICE_UNAVAILABLE => {
                assert_eq!(
                    reply.json()["type"],
                    "urn:prasang:problem:storage-unavailable",
                    "{:?}",
                    reply.json()
                );
                assert!(
                    reply.header("retry-after").is_some(),
                    "503 without Retry-After"
                );
                refused += 1;
                if active >= 50 {
                    // A refused cancellation may or may not have reached the disk.
                    uncertain.push(booked[cancelled.len()].clone());
                }
            }
            // A cancellation refused with 503 was applied in memory before its flush failed, so
            // its retry finds the ticket cancelled; after the restart it may be either.
            StatusCode::CONFLICT if uncertain.contains(&booked[cancelled.len()]) => {
                cancelled.push(booked[cancelled.len()].clone());
            }
            other => panic!("{other} {:?}", reply.json()),
        }
    }
    assert!(
        refused > 0,
        "{} bookings fit under {limit} KiB: no write failed",
        booked.len()
    );
    assert!(server.is_running(), "the server died when the disk filled");
    let health = process::send(at, Method::GET, "/healthz", &attendee, None, None).await;
    assert_eq!(
        health.expect("answered").status,
        StatusCode::SERVICE_UNAVAILABLE
    );
    // Reads go on.
    let path = format!("/api/v1/events/{event}");
    let read = process::send(at, Method::GET, &path, &attendee, None, None).await;
    assert_eq!(read.expect("answered").status, StatusCode::OK);
    server.kill();
    let said = std::fs::read_to_string(&log).unwrap();
    assert!(
        said.contains("the store cannot write to disk"),
        "no clear log line:\n{said}"
    );
    assert!(!said.contains("panicked"), "a thread panicked:\n{said}");

    let server = ServerProcess::start(&data, &log);
    let at = server.address;
    for (n, ticket) in booked.iter().enumerate() {
        let path = format!("/api/v1/tickets/{ticket}");
        let reply = process::send(at, Method::GET, &path, &attendee, None, None)
            .await
            .unwrap();
        assert_eq!(
            reply.status,
            StatusCode::OK,
            "acknowledged ticket {ticket} is gone"
        );
        let expected = if n < cancelled.len() {
            "cancelled"
        } else {
            "booked"
        };
        if !uncertain.contains(ticket) {
            assert_eq!(reply.json()["status"], expected, "ticket {ticket}");
        }
    }
    process::seats_adding_up(at, &organizer, &event, CAPACITY).await;
    process::assert_intact(at).await;
    let again = process::send(at, Method::POST, &book, &attendee, Some(&json!({})), None).await;
    assert_eq!(
        again.unwrap().status,
        StatusCode::CREATED,
        "bookings resume after the restart"
    );
    eprintln!(
        "limit {limit} KiB: {} booked and {} cancelled before the first of {refused} refusals",
        booked.len(),
        cancelled.len()
    );
}
