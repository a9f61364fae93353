//! Admission codes: one per booked seat, signed with the admission key, verifiable with the
//! published public key, surviving key rotation.

mod common;

use common::World;
use prasang_core::admission::{AdmissionError, CodeError};

#[test]
fn a_booked_ticket_has_one_verifiable_code_per_seat() {
    let world = World::new();
    let (olga, ada, bob, event) = world.organizer_two_attendees_event(10, 0, 5);
    let ticket = world.book(&ada, event.id, 3);
    let admissions = world.prasang.admissions();

    let codes = admissions
        .codes(&ada, ticket.id)
        .expect("the holder sees the codes");
    assert_eq!(codes.len(), 3);
    let seats: Vec<(u32, u32)> = codes.iter().map(|code| (code.seat, code.of)).collect();
    assert_eq!(seats, [(1, 3), (2, 3), (3, 3)]);
    // The organizer sees the same codes (they are computed, and deterministic).
    assert_eq!(
        admissions.codes(&olga, ticket.id).expect("organizer"),
        codes
    );
    // Someone else learns nothing about the ticket.
    assert!(matches!(
        admissions.codes(&bob, ticket.id),
        Err(AdmissionError::Common(_))
    ));

    // Verified with nothing but the published key (what an offline gate does).
    let keys = admissions.public_keys().expect("keys");
    assert_eq!(keys.len(), 1);
    let key = keys[0].verifying_key().expect("a valid public key");
    for seat in &codes {
        let parsed = prasang_core::admission::parse(&seat.code).expect("parses");
        assert_eq!((parsed.ticket, parsed.seat), (ticket.id, seat.seat));
        parsed
            .verify(event.id, &key)
            .expect("signed by the published key");
    }
    let other = world.event(&olga, 10, 0, 5);
    assert!(matches!(
        admissions.verify(other.id, &codes[0].code),
        Err(AdmissionError::InvalidCode(CodeError::WrongEvent))
    ));
}

#[test]
fn only_booked_tickets_have_codes() {
    let world = World::new();
    let (olga, ada, event) = world.organizer_attendee_event(10, 1500, 5);
    let pending = world.book(&ada, event.id, 1);
    assert!(matches!(
        world.prasang.admissions().codes(&ada, pending.id),
        Err(AdmissionError::NotBooked(_))
    ));
    world.confirm_payment(&olga, pending.id);
    assert_eq!(
        world
            .prasang
            .admissions()
            .codes(&ada, pending.id)
            .expect("paid")
            .len(),
        1
    );
    world.cancel_ticket(&ada, pending.id);
    assert!(matches!(
        world.prasang.admissions().codes(&ada, pending.id),
        Err(AdmissionError::NotBooked(_))
    ));
}

#[test]
fn codes_signed_before_a_rotation_keep_verifying() {
    let world = World::new();
    let (olga, ada, event) = world.organizer_attendee_event(10, 0, 5);
    let admin = world.prasang.auth().system_actor();
    let admissions = world.prasang.admissions();
    let ticket = world.book(&ada, event.id, 1);
    let before = admissions.codes(&ada, ticket.id).expect("codes")[0]
        .code
        .clone();

    assert!(
        admissions.rotate_key(&olga).is_err(),
        "organizers cannot rotate"
    );
    assert_eq!(admissions.rotate_key(&admin).expect("rotate"), 2);
    let after = admissions.codes(&ada, ticket.id).expect("codes")[0]
        .code
        .clone();
    assert_ne!(before, after, "new codes are signed with the new key");
    assert_eq!(
        admissions
            .verify(event.id, &before)
            .expect("old key")
            .key_id,
        1
    );
    assert_eq!(
        admissions.verify(event.id, &after).expect("new key").key_id,
        2
    );
    let keys = admissions.public_keys().expect("keys");
    let current: Vec<(u8, bool)> = keys.iter().map(|key| (key.key_id, key.current)).collect();
    assert_eq!(current, [(1, false), (2, true)]);
}

#[cfg(unix)]
#[test]
fn the_admission_key_is_private_and_apart_from_the_token_key() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let prasang = prasang_core::Prasang::open(dir.path()).expect("open");
    let key_file = dir.path().join("keys/admission/admission-ed25519-1.pk8");
    assert!(!key_file.exists(), "made on first use, not at open");
    prasang.admissions().public_keys().expect("keys");
    let mode = std::fs::metadata(&key_file)
        .expect("key file")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let first = prasang.admissions().public_keys().expect("keys");
    drop(prasang);
    let reopened = prasang_core::Prasang::open(dir.path()).expect("reopen");
    assert_eq!(reopened.admissions().public_keys().expect("keys"), first);
}
