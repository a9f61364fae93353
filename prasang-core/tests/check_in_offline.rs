//! Offline gates: sync (keys, revocations, admissions and undos since a cursor) and upload of
//! scans made offline, where a seat another gate admitted, or a revoked ticket, is stored as a
//! conflict — never merged away, never lost, never duplicated by a re-upload.

mod common;

use std::time::Duration;

use common::{World, assert_intact};
use prasang_core::auth::Actor;
use prasang_core::checkin::{
    CheckInError, CheckInRequest, ConflictReason, OfflineScan, RevokedReason, SeatRef,
    UploadOutcome,
};
use prasang_core::error::{DomainError, ErrorKind};
use prasang_core::limits::UPLOAD_SCANS;
use prasang_core::users::Role;
use prasang_core::{PageRequest, TicketId, Timestamp};

fn codes(world: &World, holder: &Actor, ticket: TicketId) -> Vec<String> {
    common::codes::seat_codes(&world.prasang, holder, ticket)
}

fn offline(scan_id: &str, code: &str, scanned_at: Timestamp) -> OfflineScan {
    OfflineScan {
        scan_id: scan_id.into(),
        code: code.into(),
        scanned_at,
    }
}

/// What an outcome says, in short, for comparing whole uploads.
fn summary(outcome: &UploadOutcome) -> String {
    match outcome {
        UploadOutcome::Admitted(seat) => format!("admitted {} at {}", seat.seat, seat.gate),
        UploadOutcome::Conflict(conflict) => format!(
            "conflict {} {:?} first {:?}",
            conflict.seat,
            conflict.reason,
            conflict.first.as_ref().map(|first| first.gate.as_str())
        ),
        UploadOutcome::Refused(error) => format!("refused {}", error.info().code),
    }
}

#[test]
fn an_offline_gate_syncs_uploads_and_gets_conflicts_for_what_it_should_not_have_admitted() {
    let world = World::new();
    let (olga, ada, bob, event) = world.organizer_two_attendees_event(50, 0, 5);
    let check_ins = world.prasang.check_ins();
    let sam = world.user("Sam", Role::Attendee);
    check_ins
        .add_staff(&olga, event.id, sam.user_id())
        .expect("staff");
    let ada_ticket = world.book(&ada, event.id, 3);
    let bob_ticket = world.book(&bob, event.id, 1);
    let ada_codes = codes(&world, &ada, ada_ticket.id);
    let bob_code = codes(&world, &bob, bob_ticket.id).remove(0);

    // Gate A goes offline after its first sync.
    let first_sync = check_ins.sync(&sam, event.id, 0).expect("sync");
    assert_eq!(first_sync.keys.len(), 1);
    assert!(first_sync.revoked.is_empty() && first_sync.admissions.is_empty());
    assert!(!first_sync.more);
    let cursor = first_sync.next_cursor;

    // Meanwhile the online gate B admits Ada's seat 1, and Bob cancels.
    let door_opens = world.prasang.now();
    check_ins
        .check_in(
            &olga,
            CheckInRequest {
                event: event.id,
                code: &ada_codes[0],
                gate: "Gate B".into(),
                scan_id: "b-1".into(),
            },
        )
        .expect("admitted online");
    world.cancel_ticket(&bob, bob_ticket.id);

    // Gate A's scans, by its own clock (a little behind).
    let at = |minutes: u64| door_opens.plus(Duration::from_secs(60 * minutes));
    let scans = vec![
        offline("a-1", &ada_codes[0], at(1)),
        offline("a-2", &ada_codes[1], at(2)),
        offline("a-3", &bob_code, at(3)),
        offline("a-4", "NOT A CODE", at(4)),
        offline("a-5", &ada_codes[2], at(5)),
        offline("a-6", &ada_codes[2], at(6)),
    ];
    world.clock.advance(Duration::from_secs(3600));
    let outcomes = check_ins
        .upload(&sam, event.id, "Gate A", &scans)
        .expect("uploaded");
    let said: Vec<String> = outcomes.iter().map(summary).collect();
    assert_eq!(
        said,
        [
            "conflict 1 AlreadyAdmitted first Some(\"Gate B\")",
            "admitted 2 at Gate A",
            "conflict 1 Revoked(Cancelled) first None",
            "refused admission-code-invalid",
            "admitted 3 at Gate A",
            "conflict 3 AlreadyAdmitted first Some(\"Gate A\")",
        ]
    );
    // The gate's own times are kept.
    let UploadOutcome::Admitted(seat_2) = &outcomes[1] else {
        unreachable!("checked above")
    };
    assert_eq!(seat_2.at, at(2));
    assert_eq!(seat_2.name, "Ada");
    let UploadOutcome::Conflict(double) = &outcomes[0] else {
        unreachable!("checked above")
    };
    assert_eq!(double.this.at, at(1));
    assert_eq!(
        double.first.as_ref().map(|first| first.at),
        Some(door_opens)
    );

    // Uploading the same batch again (the answer was lost) changes nothing and answers the same.
    let again = check_ins
        .upload(&sam, event.id, "Gate A", &scans)
        .expect("re-uploaded");
    assert_eq!(again.iter().map(summary).collect::<Vec<_>>(), said);
    assert!(again.iter().all(|outcome| match outcome {
        UploadOutcome::Admitted(seat) => seat.replayed,
        UploadOutcome::Conflict(conflict) => conflict.replayed,
        UploadOutcome::Refused(_) => true,
    }));

    // The organizer sees the three conflicts, once each, oldest first; staff may not.
    let conflicts = check_ins
        .conflicts(&olga, event.id, &PageRequest::first(50))
        .expect("conflicts");
    let reasons: Vec<(u32, ConflictReason)> = conflicts
        .items
        .iter()
        .map(|conflict| (conflict.seat, conflict.reason))
        .collect();
    assert_eq!(
        reasons,
        [
            (1, ConflictReason::AlreadyAdmitted),
            (1, ConflictReason::Revoked(RevokedReason::Cancelled)),
            (3, ConflictReason::AlreadyAdmitted),
        ]
    );
    assert_eq!(conflicts.items[1].name, "Bob");
    let refused = check_ins
        .conflicts(&sam, event.id, &PageRequest::first(50))
        .expect_err("organizer only");
    assert_eq!(refused.kind(), ErrorKind::Forbidden);
    let counts = check_ins.counts(&olga, event.id).expect("counts");
    assert_eq!((counts.admitted, counts.expected), (3, 3));

    // Gate A syncs from its cursor: what gate B admitted, its own admissions, Bob's revocation.
    let synced = check_ins.sync(&sam, event.id, cursor).expect("sync");
    let seats: Vec<(u32, &str)> = synced
        .admissions
        .iter()
        .map(|seat| (seat.seat, seat.gate.as_str()))
        .collect();
    assert_eq!(seats, [(1, "Gate B"), (2, "Gate A"), (3, "Gate A")]);
    let revoked: Vec<(TicketId, RevokedReason)> = synced
        .revoked
        .iter()
        .map(|ticket| (ticket.ticket, ticket.reason))
        .collect();
    assert_eq!(revoked, [(bob_ticket.id, RevokedReason::Cancelled)]);
    let nothing_new = check_ins
        .sync(&sam, event.id, synced.next_cursor)
        .expect("sync");
    assert!(nothing_new.admissions.is_empty() && nothing_new.revoked.is_empty());
    assert_eq!(nothing_new.next_cursor, synced.next_cursor);

    // An undo reaches the gate too.
    check_ins
        .undo(&olga, event.id, ada_ticket.id, 2)
        .expect("undo");
    let after_undo = check_ins
        .sync(&sam, event.id, synced.next_cursor)
        .expect("sync");
    assert_eq!(
        after_undo.undone,
        [SeatRef {
            ticket: ada_ticket.id,
            seat: 2
        }]
    );
    assert!(after_undo.admissions.is_empty());
    assert_intact(&world.prasang);
}

#[test]
fn uploads_are_bounded_and_checked_before_anything_is_written() {
    let world = World::new();
    let (olga, ada, event) = world.organizer_attendee_event(10, 0, 5);
    let check_ins = world.prasang.check_ins();
    let ticket = world.book(&ada, event.id, 1);
    let code = codes(&world, &ada, ticket.id).remove(0);
    let now = world.prasang.now();
    let too_many: Vec<_> = (0..=UPLOAD_SCANS.max)
        .map(|n| offline(&format!("s{n}"), &code, now))
        .collect();
    for (gate, scans) in [
        ("Gate", &too_many[..]),
        ("Gate", &[][..]),
        ("", &too_many[..1]),
    ] {
        let refused = check_ins
            .upload(&olga, event.id, gate, scans)
            .expect_err("bad upload");
        assert_eq!(refused.kind(), ErrorKind::InvalidInput, "{refused:?}");
    }
    // A bad scan id is refused for that scan only.
    let outcomes = check_ins
        .upload(
            &olga,
            event.id,
            "Gate",
            &[offline("has space", &code, now), offline("ok", &code, now)],
        )
        .expect("upload");
    assert!(matches!(
        &outcomes[0],
        UploadOutcome::Refused(CheckInError::Common(_))
    ));
    assert!(matches!(&outcomes[1], UploadOutcome::Admitted(_)));
    let counts = check_ins.counts(&olga, event.id).expect("counts");
    assert_eq!(counts.admitted, 1);
    assert_intact(&world.prasang);
}
