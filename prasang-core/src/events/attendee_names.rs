//! Attendee names: whether a booking asks for one name per seat, and the rules those names
//! follow (the display-text rules of every name: NFC, no control or bidi characters).

use serde::{Deserialize, Serialize};

use crate::limits;
use crate::validate::{self, FieldError};

/// Whether an event's bookings carry a name for each seat (set by its organizer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttendeeNames {
    /// No names (the default): a booking that gives some is refused.
    #[default]
    NotAsked,
    /// The buyer may name any seat and leave others unnamed (`""`).
    Optional,
    /// Every seat needs a name.
    Required,
}

/// The names of a booking or a change of names, checked against `policy` for `seats` seats:
/// [`normalize`] then [`require`].
pub(crate) fn check(
    policy: AttendeeNames,
    names: &[String],
    seats: u32,
) -> Result<Vec<String>, FieldError> {
    let names = normalize(names, seats)?;
    require(policy, &names, seats)?;
    Ok(names)
}

const FIELD: &str = "attendee_names";

/// Names as given, normalised like every display name: none, or exactly one per seat (an
/// unnamed seat is `""`). Needs no store, so a booking does it before it queues.
pub(crate) fn normalize(names: &[String], seats: u32) -> Result<Vec<String>, FieldError> {
    if names.is_empty() {
        return Ok(Vec::new());
    }
    if names.len() != seats as usize {
        return Err(FieldError::new(
            FIELD,
            format!("give one name per seat: {seats} names, not {}", names.len()),
        ));
    }
    names
        .iter()
        .map(|name| match name.trim() {
            "" => Ok(String::new()),
            _ => validate::text(&limits::ATTENDEE_NAME, name, false),
        })
        .collect()
}

/// Whether normalised `names` satisfy the event's `policy`: none where names are not asked,
/// one for every seat where they are required.
pub(crate) fn require(
    policy: AttendeeNames,
    names: &[String],
    seats: u32,
) -> Result<(), FieldError> {
    match policy {
        AttendeeNames::NotAsked if !names.is_empty() => Err(FieldError::new(
            FIELD,
            "this event does not ask for attendee names",
        )),
        AttendeeNames::Required if names.is_empty() => Err(FieldError::new(
            FIELD,
            format!("this event needs a name for each of the {seats} seats"),
        )),
        AttendeeNames::Required if names.iter().any(String::is_empty) => {
            Err(FieldError::new(FIELD, "every seat needs a name"))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::codec::variant_indexes;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|name| (*name).to_owned()).collect()
    }

    #[test]
    fn names_follow_the_policy_and_the_display_text_rules() {
        use AttendeeNames::*;
        assert_eq!(check(NotAsked, &[], 2), Ok(vec![]));
        assert!(check(NotAsked, &names(&["Ada", "Bo"]), 2).is_err());
        assert_eq!(check(Optional, &[], 2), Ok(vec![]));
        assert_eq!(
            check(Optional, &names(&[" Ada ", ""]), 2),
            Ok(names(&["Ada", ""]))
        );
        assert!(
            check(Optional, &names(&["Ada"]), 2).is_err(),
            "one per seat"
        );
        assert!(check(Required, &[], 1).is_err());
        assert!(check(Required, &names(&["Ada", " "]), 2).is_err());
        // Decomposed "é" is stored composed; controls and bidi overrides are refused.
        assert_eq!(
            check(Required, &names(&["Rene\u{301}"]), 1),
            Ok(names(&["Ren\u{e9}"]))
        );
        assert!(check(Required, &names(&["Ada\u{7}"]), 1).is_err());
        assert!(check(Required, &names(&["\u{202E}adA"]), 1).is_err());
        assert!(check(Required, &names(&[&"x".repeat(101)]), 1).is_err());
    }

    /// Stored by variant index in the sale state: reordering would change old events.
    #[test]
    fn stored_variant_indexes_never_change() {
        use AttendeeNames::*;
        assert_eq!(variant_indexes(&[NotAsked, Optional, Required]), [0, 1, 2]);
    }
}
