//! Snapshots of a store that keeps taking bookings: the copy is consistent (its integrity check
//! passes) and holds every booking acknowledged before the cut.

mod common;

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::{World, booking};
use prasang_core::users::Role;
use prasang_core::{DomainError, Durability, ErrorKind, Prasang, TicketId};

/// Books and cancels in a loop, as `who`, until told to stop; returns each booking with the
/// instant it was acknowledged. Pauses a millisecond between rounds, like a server's clients:
/// sled runs every transaction under one global lock, and four threads booking flat out in a
/// debug build would starve the snapshot's reads.
fn book_and_cancel(
    prasang: Prasang,
    who: prasang_core::auth::Actor,
    event: prasang_core::EventId,
    stop: Arc<AtomicBool>,
) -> Vec<(TicketId, Instant)> {
    let mut acknowledged = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        let ticket = prasang
            .tickets()
            .book(&who, &booking(event, 1))
            .expect("book")
            .ticket;
        acknowledged.push((ticket.id, Instant::now()));
        prasang.tickets().cancel(&who, ticket.id).expect("cancel");
        std::thread::sleep(Duration::from_millis(1));
    }
    acknowledged
}

/// The ids of every ticket in `prasang`, as its export lists them.
fn ticket_ids(prasang: &Prasang) -> HashSet<TicketId> {
    let system = prasang.auth().system_actor();
    let tickets = prasang.export().tickets(&system).expect("export");
    tickets.map(|t| t.expect("ticket").id).collect()
}

#[test]
fn a_snapshot_taken_during_bookings_is_consistent_and_holds_every_acknowledged_booking() {
    let world = World::with(|config| {
        config.durability(Durability::Periodic {
            every: Duration::from_millis(200),
        })
    });
    let organizer = world.user("Olga", Role::Organizer);
    let event = world.event(&organizer, 1_000, 0, 1);
    let bookers: Vec<_> = (0..4)
        .map(|i| world.user(&format!("Booker {i}"), Role::Attendee))
        .collect();
    // Enough records that the copy takes a while.
    for _ in 0..3_000 {
        world.book_and_cancel(&bookers[0], event.id, 1);
    }

    let set_up = world.prasang.log().end().expect("log end");
    let stop = Arc::new(AtomicBool::new(false));
    let threads: Vec<_> = bookers
        .into_iter()
        .map(|who| {
            let (prasang, stop) = (world.prasang.clone(), Arc::clone(&stop));
            std::thread::spawn(move || book_and_cancel(prasang, who, event.id, stop))
        })
        .collect();
    // Let every booker get going before the snapshot starts.
    while world.prasang.log().end().expect("log end") < set_up + 40 {
        std::thread::yield_now();
    }
    let dest = tempfile::tempdir().expect("temp dir");
    let dest = dest.path().join("snapshot");
    let admin = world.prasang.auth().system_actor();
    let report = world.prasang.snapshot(&admin, &dest).expect("snapshot");
    stop.store(true, Ordering::Relaxed);
    let acknowledged: Vec<_> = threads
        .into_iter()
        .flat_map(|t| t.join().expect("booker thread"))
        .collect();
    assert!(report.replayed > 0, "bookings went on during the copy");

    let copy = Prasang::open(dest.as_path()).expect("open the snapshot");
    let system = copy.auth().system_actor();
    let integrity = copy.verify_integrity(&system).expect("integrity check");
    assert!(integrity.is_ok(), "problems: {:#?}", integrity.problems);
    let in_copy = ticket_ids(&copy);
    let before_cut: Vec<_> = acknowledged
        .iter()
        .filter(|(_, at)| *at < report.cut_at)
        .collect();
    assert!(!before_cut.is_empty());
    for (ticket, _) in &before_cut {
        assert!(
            in_copy.contains(ticket),
            "ticket {ticket} acknowledged before the cut is missing"
        );
    }
    // Nothing in the copy that the live store does not have.
    let live = ticket_ids(&world.prasang);
    assert!(in_copy.is_subset(&live));
    eprintln!(
        "snapshot: {} keys copied, {} writes replayed, cut held writes {:?}, took {:?}",
        report.keys, report.replayed, report.pause, report.took
    );
}

#[test]
fn snapshots_are_for_admins_and_need_a_new_or_empty_folder() {
    let world = World::new();
    let ada = world.user("Ada", Role::Attendee);
    let dest = tempfile::tempdir().expect("temp dir");
    let refused = world.prasang.snapshot(&ada, dest.path()).unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::Forbidden);

    std::fs::write(dest.path().join("something"), b"x").expect("write");
    let admin = world.prasang.auth().system_actor();
    let refused = world.prasang.snapshot(&admin, dest.path()).unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::InvalidInput);
    assert_eq!(refused.field().map(|f| f.field), Some("dest"));
}

#[test]
fn opening_a_store_another_handle_holds_says_to_take_a_snapshot() {
    let dir = tempfile::tempdir().expect("temp dir");
    let _held = Prasang::open(dir.path()).expect("open");
    // sled's file lock is per process, so a second process is needed to see the refusal; in
    // one process a second open of the same folder is refused by the same lock.
    let child = common::crash::child_test("second_process_open")
        .env("PRASANG_LOCKED_DIR", dir.path())
        .output()
        .expect("run the second process");
    let out = String::from_utf8_lossy(&child.stdout);
    assert!(out.contains("LOCKED:"), "second process said: {out}");
    assert!(
        out.contains("snapshot"),
        "the error mentions snapshots: {out}"
    );
}

/// Run by [`opening_a_store_another_handle_holds_says_to_take_a_snapshot`] in a second process.
#[test]
#[ignore = "run as the second process of the locked-store test"]
fn second_process_open() {
    let Some(dir) = std::env::var_os("PRASANG_LOCKED_DIR") else {
        return;
    };
    match Prasang::open(std::path::Path::new(&dir)) {
        Err(error @ prasang_core::OpenError::Locked { .. }) => {
            assert_eq!(error.kind(), ErrorKind::Conflict);
            println!("LOCKED: {error}");
        }
        Err(other) => println!("OTHER: {other}"),
        Ok(_) => println!("OPENED"),
    }
}
