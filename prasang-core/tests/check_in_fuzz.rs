//! Fuzzing the admission code parser and the check-in behind it: no input panics, and no
//! change to a genuine code — any bit of its bytes, any character of its text — ever admits or
//! verifies.

mod common;

use std::sync::OnceLock;

use common::World;
use prasang_core::admission::{self, CODE_LEN};
use prasang_core::auth::Actor;
use prasang_core::checkin::{CheckInError, CheckInRequest};
use prasang_core::error::DomainError;
use prasang_core::events::Event;
use proptest::prelude::*;

/// One store for all cases: an event with one 3-seat ticket's codes, and its organizer.
struct Door {
    world: World,
    olga: Actor,
    event: Event,
    codes: Vec<String>,
}

fn door() -> &'static Door {
    static DOOR: OnceLock<Door> = OnceLock::new();
    DOOR.get_or_init(|| {
        let world = World::new();
        let (olga, ada, event) = world.organizer_attendee_event(10, 0, 5);
        let ticket = world.book(&ada, event.id, 3).id;
        let codes = common::codes::seat_codes(&world.prasang, &ada, ticket);
        Door {
            world,
            olga,
            event,
            codes,
        }
    })
}

/// Scans `code` at the door; every refusal must be one of the scan's own 4xx answers.
fn scan(code: &str, scan_id: &str) -> Result<(), CheckInError> {
    let door = door();
    door.world
        .prasang
        .check_ins()
        .check_in(
            &door.olga,
            CheckInRequest {
                event: door.event.id,
                code,
                gate: "Fuzz".into(),
                scan_id: scan_id.into(),
            },
        )
        .map(|_| ())
}

fn nothing_admitted() -> bool {
    let door = door();
    let counts = door
        .world
        .prasang
        .check_ins()
        .counts(&door.olga, door.event.id)
        .expect("counts");
    counts.admitted == 0
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Arbitrary text, arbitrary bytes read as text, and strings of the code's own alphabet and
    /// length are refused as invalid codes (or, by luck of the tag, another event's), never a
    /// panic, never an admission.
    #[test]
    fn arbitrary_input_is_refused(
        text in prop_oneof![
            any::<String>(),
            proptest::collection::vec(any::<u8>(), 0..400)
                .prop_map(|bytes| bytes.into_iter().map(char::from).collect()),
            proptest::string::string_regex(&format!("[A-Z2-7]{{{CODE_LEN}}}")).expect("regex"),
        ]
    ) {
        let _ = admission::parse(&text);
        let refused = scan(&text, "fuzz").expect_err("arbitrary text never admits");
        let code = refused.info().code;
        prop_assert!(
            matches!(code, "admission-code-invalid" | "admission-wrong-event"),
            "{code}"
        );
        prop_assert!(nothing_admitted());
    }

    /// Flipping any bit of a genuine code's 88 bytes makes a code that neither verifies
    /// offline against the published key nor admits.
    #[test]
    fn a_code_with_any_bit_flipped_never_verifies(seat in 0usize..3, bit in 0usize..(88 * 8)) {
        let door = door();
        let mut bytes = common::codes::unbase32(&door.codes[seat]);
        prop_assert_eq!(bytes.len(), 88);
        bytes[bit / 8] ^= 1 << (bit % 8);
        let mutated = common::codes::base32(&bytes);
        let key = door.world.prasang.admissions().public_keys().expect("keys")[0]
            .verifying_key()
            .expect("key");
        let offline = admission::parse(&mutated).and_then(|parsed| parsed.verify(door.event.id, &key));
        prop_assert!(offline.is_err());
        prop_assert!(door.world.prasang.admissions().verify(door.event.id, &mutated).is_err());
        prop_assert!(scan(&mutated, "flip").is_err());
        prop_assert!(nothing_admitted());
    }

    /// Replacing, deleting or inserting a character anywhere in a genuine code's text never
    /// yields a code that admits (case and surrounding space are all a scan may change).
    #[test]
    fn a_code_with_any_character_changed_never_admits(
        seat in 0usize..3,
        at in 0usize..CODE_LEN,
        with in proptest::char::any(),
        edit in 0u8..3,
    ) {
        let door = door();
        let mut chars: Vec<char> = door.codes[seat].chars().collect();
        match edit {
            0 if chars[at] != with.to_ascii_uppercase() => chars[at] = with,
            0 => return Ok(()),
            1 => { chars.remove(at); }
            _ => chars.insert(at, with),
        }
        let mutated: String = chars.into_iter().collect();
        if mutated.trim().eq_ignore_ascii_case(&door.codes[seat]) {
            return Ok(());
        }
        prop_assert!(scan(&mutated, "edit").is_err());
        prop_assert!(nothing_admitted());
    }
}

/// The genuine codes do admit at this door (so the properties above test refusals of codes
/// that would otherwise have worked). Runs on its own store so the properties stay at zero.
#[test]
fn the_unchanged_codes_admit() {
    let world = World::new();
    let (olga, ada, event) = world.organizer_attendee_event(10, 0, 5);
    let ticket = world.book(&ada, event.id, 1).id;
    let code = common::codes::seat_codes(&world.prasang, &ada, ticket).remove(0);
    let decoded = common::codes::unbase32(&code);
    assert_eq!(
        common::codes::base32(&decoded),
        code,
        "the tests' codec agrees"
    );
    let admitted = world
        .prasang
        .check_ins()
        .check_in(
            &olga,
            CheckInRequest {
                event: event.id,
                code: &format!("  {}\r\n", code.to_lowercase()),
                gate: "Door".into(),
                scan_id: "ok".into(),
            },
        )
        .expect("a genuine code admits, whatever its case and surrounding space");
    assert_eq!(admitted.ticket, ticket);
}
