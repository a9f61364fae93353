//! Check-in at the door: each answer a scan can get, idempotent scan ids, undo, and who may
//! scan (door staff of one event, and nothing more).

mod common;

use common::{World, assert_intact};
use prasang_core::auth::Actor;
use prasang_core::checkin::{Admitted, CheckInError, CheckInRequest, InvalidReason, RevokedReason};
use prasang_core::error::{DomainError, ErrorKind};
use prasang_core::events::Event;
use prasang_core::users::Role;
use prasang_core::{EventId, TicketId};

/// The codes of every seat of `ticket`, as its holder sees them.
fn codes(world: &World, holder: &Actor, ticket: TicketId) -> Vec<String> {
    common::codes::seat_codes(&world.prasang, holder, ticket)
}

fn scan(
    world: &World,
    who: &Actor,
    event: EventId,
    code: &str,
    scan_id: &str,
) -> Result<Admitted, CheckInError> {
    world.prasang.check_ins().check_in(
        who,
        CheckInRequest {
            event,
            code,
            gate: "North door".into(),
            scan_id: scan_id.into(),
        },
    )
}

/// Seats of `event` admitted now, as its organizer's counts say.
fn admitted(world: &World, organizer: &Actor, event: EventId) -> u64 {
    let counts = world.prasang.check_ins().counts(organizer, event);
    counts.expect("counts").admitted
}

fn code_of(error: &CheckInError) -> &'static str {
    error.info().code
}

/// Olga's event with Ada's 3-seat ticket; returns (olga, ada, event, ticket id, codes).
fn ada_at_the_door(world: &World) -> (Actor, Actor, Event, TicketId, Vec<String>) {
    let (olga, ada, event) = world.organizer_attendee_event(50, 0, 5);
    let ticket = world.book(&ada, event.id, 3);
    let codes = codes(world, &ada, ticket.id);
    (olga, ada, event, ticket.id, codes)
}

#[test]
fn a_seat_is_admitted_once_and_then_answered_already_admitted() {
    let world = World::new();
    let (olga, _ada, event, ticket, codes) = ada_at_the_door(&world);

    let admitted = scan(&world, &olga, event.id, &codes[1], "scan-1").expect("admitted");
    assert_eq!(
        (admitted.ticket, admitted.seat, admitted.of),
        (ticket, 2, 3)
    );
    assert_eq!(admitted.name, "Ada");
    assert_eq!(admitted.ticket_type_name, "Admission");
    assert_eq!(admitted.gate, "North door");
    assert_eq!(admitted.at, world.prasang.now());
    assert!(!admitted.replayed);

    world.clock.advance(std::time::Duration::from_secs(60));
    let again = scan(&world, &olga, event.id, &codes[1], "scan-2").expect_err("twice");
    assert_eq!(code_of(&again), "admission-already-admitted");
    assert_eq!(again.kind(), ErrorKind::Conflict);
    let CheckInError::AlreadyAdmitted { first } = &again else {
        panic!("{again:?}")
    };
    assert_eq!((first.at, first.gate.as_str()), (admitted.at, "North door"));
    assert_eq!(first.name, "Ada");

    // The other seats of the ticket are separate admissions.
    scan(&world, &olga, event.id, &codes[0], "scan-3").expect("seat 1");
    let counts = world
        .prasang
        .check_ins()
        .counts(&olga, event.id)
        .expect("counts");
    assert_eq!((counts.admitted, counts.expected), (2, 3));
    assert_eq!(counts.by_type.len(), 1);
    assert_eq!(
        (counts.by_type[0].admitted, counts.by_type[0].expected),
        (2, 3)
    );
    assert_intact(&world.prasang);
}

#[test]
fn a_retried_scan_id_answers_the_first_answer_and_counts_once() {
    let world = World::new();
    let (olga, _ada, event, _ticket, codes) = ada_at_the_door(&world);
    let first = scan(&world, &olga, event.id, &codes[0], "retry-me").expect("admitted");
    world.clock.advance(std::time::Duration::from_secs(5));
    let retried = scan(&world, &olga, event.id, &codes[0], "retry-me").expect("same answer");
    assert_eq!(
        retried,
        Admitted {
            replayed: true,
            ..first.clone()
        }
    );
    let counts = world
        .prasang
        .check_ins()
        .counts(&olga, event.id)
        .expect("counts");
    assert_eq!(counts.admitted, 1);
    // The id cannot be reused for another seat.
    let reused = scan(&world, &olga, event.id, &codes[1], "retry-me").expect_err("reused");
    assert_eq!(code_of(&reused), "admission-scan-id-reused");
    let recent = world
        .prasang
        .check_ins()
        .recent(&olga, event.id, 10)
        .expect("recent");
    assert_eq!(recent.len(), 1);
    assert_intact(&world.prasang);
}

#[test]
fn cancelled_expired_unpaid_tickets_and_cancelled_events_are_revoked() {
    let world = World::new();
    let (olga, ada, event) = world.organizer_attendee_event(50, 1_000, 5);
    let key = common::codes::store_key(&world.prasang, 1);
    // The core shows codes of booked tickets only; these are signed with its key directly.
    let code = |ticket: TicketId| common::codes::sign(&key, 1, event.id, ticket, 1);
    let refusal = |ticket: TicketId, scan_id: &str| {
        let refused = scan(&world, &olga, event.id, &code(ticket), scan_id).expect_err("revoked");
        assert_eq!(code_of(&refused), "admission-revoked");
        match refused {
            CheckInError::Revoked {
                reason, seat: 1, ..
            } => reason,
            other => panic!("{other:?}"),
        }
    };

    let paid = world.book(&ada, event.id, 1);
    world.confirm_payment(&olga, paid.id);
    world.cancel_ticket(&ada, paid.id);
    assert_eq!(refusal(paid.id, "s1"), RevokedReason::Cancelled);

    let pending = world.book(&ada, event.id, 1);
    assert_eq!(refusal(pending.id, "s2"), RevokedReason::NotPaid);
    world
        .clock
        .advance(std::time::Duration::from_secs(24 * 3600));
    world.prasang.run_maintenance().expect("expire holds");
    assert_eq!(refusal(pending.id, "s3"), RevokedReason::Expired);

    let booked = world.book(&ada, event.id, 1);
    world.confirm_payment(&olga, booked.id);
    world
        .prasang
        .events()
        .cancel(&olga, event.id)
        .expect("cancel the event");
    assert_eq!(refusal(booked.id, "s4"), RevokedReason::EventCancelled);

    assert_eq!(admitted(&world, &olga, event.id), 0);
    let revoked = world
        .prasang
        .check_ins()
        .sync(&olga, event.id, 0)
        .expect("sync")
        .revoked;
    assert_eq!(
        revoked.len(),
        3,
        "every ticket of a cancelled event: {revoked:?}"
    );
    assert!(
        revoked
            .iter()
            .all(|r| r.reason == RevokedReason::EventCancelled)
    );
    assert_intact(&world.prasang);
}

#[test]
fn codes_signed_with_another_key_never_admit() {
    let world = World::new();
    let (olga, _ada, event, ticket, _codes) = ada_at_the_door(&world);
    let stranger = common::codes::stranger_key();
    for (key_id, reason) in [
        (1, InvalidReason::BadSignature),
        (9, InvalidReason::UnknownKey),
    ] {
        let forged = common::codes::sign(&stranger, key_id, event.id, ticket, 1);
        let refused = scan(&world, &olga, event.id, &forged, "f").expect_err("forged");
        assert!(
            matches!(refused, CheckInError::CodeInvalid(r) if r == reason),
            "key {key_id}: {refused:?}"
        );
    }
    // The real key, through the tests' own encoder, admits: the format is what docs say.
    let key = common::codes::store_key(&world.prasang, 1);
    let genuine = common::codes::sign(&key, 1, event.id, ticket, 2);
    assert_eq!(
        scan(&world, &olga, event.id, &genuine, "g")
            .expect("admitted")
            .seat,
        2
    );
    // A seat the ticket does not have, genuinely signed, is invalid too.
    let no_seat = common::codes::sign(&key, 1, event.id, ticket, 4);
    let refused = scan(&world, &olga, event.id, &no_seat, "n").expect_err("no seat 4");
    assert!(matches!(
        refused,
        CheckInError::CodeInvalid(InvalidReason::NoSuchSeat)
    ));
    assert_intact(&world.prasang);
}

#[test]
fn codes_of_another_event_and_garbage_are_refused_and_store_nothing() {
    let world = World::new();
    let (olga, ada, event, _ticket, codes) = ada_at_the_door(&world);
    let other = world.event(&olga, 10, 0, 5);
    let elsewhere = world.book(&ada, other.id, 1);
    let elsewhere_code = &self::codes(&world, &ada, elsewhere.id)[0];

    let wrong = scan(&world, &olga, event.id, elsewhere_code, "w1").expect_err("wrong event");
    assert_eq!(code_of(&wrong), "admission-wrong-event");

    let mut flipped = codes[0].clone().into_bytes();
    flipped[100] = if flipped[100] == b'A' { b'B' } else { b'A' };
    let flipped = String::from_utf8(flipped).expect("ascii");
    let inputs = [
        (String::new(), InvalidReason::Malformed),
        ("A".repeat(100_000), InvalidReason::Malformed),
        (codes[0][..100].to_owned(), InvalidReason::Malformed),
        (
            "\u{0}\u{1}binary\u{ff}".to_owned(),
            InvalidReason::Malformed,
        ),
        (flipped, InvalidReason::BadSignature),
    ];
    for (n, (input, reason)) in inputs.iter().enumerate() {
        let refused = scan(&world, &olga, event.id, input, &format!("bad-{n}")).expect_err("bad");
        assert_eq!(code_of(&refused), "admission-code-invalid", "input {n}");
        assert!(
            matches!(refused, CheckInError::CodeInvalid(r) if r == *reason),
            "input {n}: {refused:?}"
        );
        assert_eq!(refused.kind(), ErrorKind::InvalidInput);
    }
    assert_eq!(admitted(&world, &olga, event.id), 0);
    let sync = world
        .prasang
        .check_ins()
        .sync(&olga, event.id, 0)
        .expect("sync");
    assert!(sync.admissions.is_empty());
    // A good code after all that, with a scan id a refused scan used: refusals kept nothing.
    scan(&world, &olga, event.id, &codes[0], "bad-0").expect("admitted");
    assert_intact(&world.prasang);
}

#[test]
fn an_organizer_undoes_a_wrong_admission_and_the_seat_can_come_in_again() {
    let world = World::new();
    let (olga, ada, event, ticket, codes) = ada_at_the_door(&world);
    let check_ins = world.prasang.check_ins();
    scan(&world, &olga, event.id, &codes[0], "s1").expect("admitted");
    let staff = world.user("Sam", Role::Attendee);
    check_ins
        .add_staff(&olga, event.id, staff.user_id())
        .expect("staff");
    for who in [&staff, &ada] {
        let refused = check_ins
            .undo(who, event.id, ticket, 1)
            .expect_err("not theirs");
        assert_eq!(refused.kind(), ErrorKind::Forbidden);
    }
    check_ins.undo(&olga, event.id, ticket, 1).expect("undo");
    let again = check_ins
        .undo(&olga, event.id, ticket, 1)
        .expect_err("nothing to undo");
    assert_eq!(code_of(&again), "admission-not-admitted");
    assert_eq!(
        check_ins.counts(&olga, event.id).expect("counts").admitted,
        0
    );
    let back = scan(&world, &staff, event.id, &codes[0], "s2").expect("admitted again");
    assert!(!back.replayed);
    // The log has the admission, the undo and the second admission.
    let kinds: Vec<_> = common::crash::log_entries(&world.prasang)
        .into_iter()
        .filter_map(|entry| match entry.event {
            prasang_core::log::DomainEvent::Admitted { seat, .. } => Some(format!("in {seat}")),
            prasang_core::log::DomainEvent::AdmissionUndone { seat, by, .. } => {
                assert_eq!(by, olga.user_id());
                Some(format!("undone {seat}"))
            }
            _ => None,
        })
        .collect();
    assert_eq!(kinds, ["in 1", "undone 1", "in 1"]);
    let recent = check_ins.recent(&olga, event.id, 10).expect("recent");
    let undone: Vec<bool> = recent.iter().map(|scan| scan.undone).collect();
    assert_eq!(
        undone,
        [false, true],
        "newest first; the first one was undone"
    );
    assert_intact(&world.prasang);
}

#[test]
fn door_staff_scan_their_event_only_and_see_nothing_else() {
    let world = World::new();
    let (olga, ada, event, _ticket, codes) = ada_at_the_door(&world);
    let other = world.event(&olga, 10, 0, 5);
    let check_ins = world.prasang.check_ins();
    let sam = world.user("Sam", Role::Attendee);
    let mallory = world.user("Mallory", Role::Organizer);

    // Before being added, Sam may not scan.
    let refused = scan(&world, &sam, event.id, &codes[0], "s0").expect_err("not staff");
    assert_eq!(refused.kind(), ErrorKind::Forbidden);
    // Only the event's organizer (or an admin) adds staff.
    for who in [&sam, &ada, &mallory] {
        let refused = check_ins
            .add_staff(who, event.id, sam.user_id())
            .expect_err("not the organizer");
        assert_eq!(refused.kind(), ErrorKind::Forbidden);
    }
    let member = check_ins
        .add_staff(&olga, event.id, sam.user_id())
        .expect("add");
    assert_eq!(member.name, "Sam");
    check_ins
        .add_staff_by_email(&olga, event.id, "SAM@example.org")
        .expect("adding again keeps the first");
    assert_eq!(check_ins.staff(&olga, event.id).expect("staff").len(), 1);
    assert_eq!(check_ins.staff_events(&sam).expect("mine"), [event.id]);

    // Sam scans, sees counts, recent scans and the sync of this event.
    scan(&world, &sam, event.id, &codes[0], "s1").expect("staff scan");
    check_ins.counts(&sam, event.id).expect("counts");
    assert_eq!(
        check_ins.recent(&sam, event.id, 5).expect("recent").len(),
        1
    );
    check_ins.sync(&sam, event.id, 0).expect("sync");
    check_ins
        .upload(&sam, event.id, "Gate 2", &[])
        .expect_err("an empty upload is a bad request, not a refusal of rights");

    // ... and nothing else: not the other event, not undo, not the staff list, not conflicts,
    // not the organizer's views of tickets.
    let forbidden = [
        scan(&world, &sam, other.id, &codes[1], "s2").map(|_| ()),
        check_ins.counts(&sam, other.id).map(|_| ()),
        check_ins.recent(&sam, other.id, 5).map(|_| ()),
        check_ins.sync(&sam, other.id, 0).map(|_| ()),
        check_ins.undo(&sam, event.id, _ticket, 1),
        check_ins.staff(&sam, event.id).map(|_| ()),
        check_ins
            .add_staff(&sam, event.id, ada.user_id())
            .map(|_| ()),
        check_ins
            .remove_staff(&sam, event.id, sam.user_id())
            .map(|_| ()),
        check_ins
            .conflicts(&sam, event.id, &prasang_core::PageRequest::first(10))
            .map(|_| ()),
    ];
    for (n, refused) in forbidden.into_iter().enumerate() {
        let error = refused.expect_err("staff may not");
        assert_eq!(error.kind(), ErrorKind::Forbidden, "call {n}: {error:?}");
    }
    assert!(
        world
            .prasang
            .tickets()
            .list_for_event(&sam, event.id, &prasang_core::PageRequest::first(10))
            .is_err()
    );

    // Removed, Sam can no longer scan.
    assert!(
        check_ins
            .remove_staff(&olga, event.id, sam.user_id())
            .expect("remove")
    );
    assert!(
        !check_ins
            .remove_staff(&olga, event.id, sam.user_id())
            .expect("gone")
    );
    let refused = scan(&world, &sam, event.id, &codes[1], "s3").expect_err("removed");
    assert_eq!(refused.kind(), ErrorKind::Forbidden);
    assert!(check_ins.staff_events(&sam).expect("mine").is_empty());
    // Unknown users cannot be added.
    let nobody = check_ins
        .add_staff_by_email(&olga, event.id, "nobody@example.org")
        .expect_err("no such user");
    assert_eq!(nobody.kind(), ErrorKind::NotFound);
    assert_intact(&world.prasang);
}

/// 16 gates scan the same 1,000 codes at once, each in its own order: every seat is admitted
/// exactly once, every other scan is answered "already admitted", and the counters, the log and
/// the feed agree.
#[test]
fn sixteen_gates_scanning_the_same_thousand_codes_admit_each_seat_once() {
    const GATES: usize = 16;
    const HOLDERS: usize = 100;
    const SEATS_EACH: i64 = 10;
    let world = World::new();
    let olga = world.user("Olga", Role::Organizer);
    let event = world.event(&olga, 2_000, 0, SEATS_EACH);
    let mut all_codes = Vec::new();
    for n in 0..HOLDERS {
        let holder = world.user(&format!("Holder {n}"), Role::Attendee);
        let ticket = world.book(&holder, event.id, SEATS_EACH);
        all_codes.extend(codes(&world, &holder, ticket.id));
    }
    assert_eq!(all_codes.len(), 1_000);
    let all_codes = std::sync::Arc::new(all_codes);
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(GATES));
    let gates: Vec<_> = (0..GATES)
        .map(|gate| {
            let (prasang, codes, barrier) = (
                world.prasang.clone(),
                std::sync::Arc::clone(&all_codes),
                std::sync::Arc::clone(&barrier),
            );
            std::thread::spawn(move || {
                barrier.wait();
                let mut admitted = Vec::new();
                let mut already = 0usize;
                // Each gate starts elsewhere in the list and half go backwards.
                let order: Vec<usize> = (0..codes.len())
                    .map(|i| (i * 7 + gate * 61) % codes.len())
                    .map(|i| {
                        if gate % 2 == 0 {
                            i
                        } else {
                            codes.len() - 1 - i
                        }
                    })
                    .collect();
                for i in order {
                    let answer = prasang.check_ins().check_in(
                        &olga,
                        CheckInRequest {
                            event: event.id,
                            code: &codes[i],
                            gate: format!("Gate {gate}"),
                            scan_id: format!("g{gate}-{i}"),
                        },
                    );
                    match answer {
                        Ok(seat) => admitted.push((seat.ticket, seat.seat)),
                        Err(CheckInError::AlreadyAdmitted { .. }) => already += 1,
                        Err(other) => panic!("gate {gate}: {other:?}"),
                    }
                }
                (admitted, already)
            })
        })
        .collect();
    let mut admitted = Vec::new();
    let mut already = 0;
    for gate in gates {
        let (seats, refused) = gate.join().expect("gate thread");
        admitted.extend(seats);
        already += refused;
    }
    let distinct: std::collections::HashSet<_> = admitted.iter().copied().collect();
    assert_eq!(admitted.len(), 1_000, "each seat admitted exactly once");
    assert_eq!(distinct.len(), 1_000);
    assert_eq!(already, 1_000 * (GATES - 1));
    let counts = world
        .prasang
        .check_ins()
        .counts(&olga, event.id)
        .expect("counts");
    assert_eq!((counts.admitted, counts.expected), (1_000, 1_000));
    let logged = common::crash::log_entries(&world.prasang)
        .into_iter()
        .filter(|entry| matches!(entry.event, prasang_core::log::DomainEvent::Admitted { .. }))
        .count();
    assert_eq!(logged, 1_000);
    let sync = world
        .prasang
        .check_ins()
        .sync(&olga, event.id, 0)
        .expect("sync");
    assert_eq!(sync.admissions.len(), 1_000);
    assert_intact(&world.prasang);
}

/// The worked example in docs/check-in.md: a third-party scanner can check its encoder and
/// verifier against it.
#[test]
fn the_documented_test_vector_holds() {
    let key = ed25519_dalek::SigningKey::from_bytes(&[0x42; 32]);
    let event: EventId = "01JF0000000000000000000001".parse().expect("event id");
    let ticket: TicketId = "01JF0000000000000000000002".parse().expect("ticket id");
    let code = common::codes::sign(&key, 1, event, ticket, 2);
    let public = base64::Engine::encode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        key.verifying_key().to_bytes(),
    );
    let tag = prasang_core::admission::code::event_tag(event);
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/check-in.md"))
        .expect("docs/check-in.md");
    for shown in [code.as_str(), public.as_str(), &hex(&tag)] {
        assert!(doc.contains(shown), "docs/check-in.md should show {shown}");
    }
    let parsed = prasang_core::admission::parse(&code).expect("parses");
    assert_eq!((parsed.key_id, parsed.ticket, parsed.seat), (1, ticket, 2));
    parsed
        .verify(event, &key.verifying_key())
        .expect("verifies");
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}
