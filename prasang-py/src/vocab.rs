//! The closed vocabularies that become dictionary (categorical) columns, each in a fixed order
//! (the core's own order), with the names JSON and CSV use.

use prasang_core::analytics::{AgeGroup, EntryState};
use prasang_core::events::EventStatus;
use prasang_core::messages::Segment;
use prasang_core::promo::Discount;
use prasang_core::tickets::TicketStatus;
use prasang_core::users::{Gender, Role};

pub(crate) const GENDERS: [&str; 4] = ["female", "male", "non_binary", "undisclosed"];
/// `unknown` last: a guest's, who told no age.
pub(crate) const AGE_GROUPS: [&str; 8] = [
    "under_18", "18_24", "25_34", "35_44", "45_54", "55_64", "65_plus", "unknown",
];
pub(crate) const ROLES: [&str; 3] = ["attendee", "organizer", "admin"];
pub(crate) const TICKET_STATUSES: [&str; 4] = ["pending", "booked", "cancelled", "expired"];
pub(crate) const EVENT_STATUSES: [&str; 2] = ["published", "cancelled"];
pub(crate) const DISCOUNTS: [&str; 4] = ["percent", "per_seat", "free", "none"];
pub(crate) const ENTRY_STATES: [&str; 7] = [
    "waiting", "offered", "accepted", "declined", "expired", "left", "removed",
];
pub(crate) const SEGMENTS: [&str; 5] = [
    "all_holders",
    "ticket_type",
    "checked_in",
    "not_checked_in",
    "waiting_list",
];

/// A waiting list entry's state (an index into [`ENTRY_STATES`]).
pub(crate) fn entry_state(state: EntryState) -> usize {
    EntryState::ALL
        .iter()
        .position(|s| *s == state)
        .unwrap_or(0)
}

/// A message's segment kind (an index into [`SEGMENTS`]) and its ticket type, if it names one.
pub(crate) fn segment(segment: Segment) -> (usize, Option<i64>) {
    match segment {
        Segment::AllHolders => (0, None),
        Segment::TicketType { ticket_type } => (1, Some(i64::from(ticket_type))),
        Segment::CheckedIn => (2, None),
        Segment::NotCheckedIn => (3, None),
        Segment::WaitingList => (4, None),
    }
}

/// A promo code's discount kind (an index into [`DISCOUNTS`]) and its amount: the percentage,
/// or the minor units off each seat; none for free seats and for no discount.
pub(crate) fn discount(discount: Discount) -> (usize, Option<i64>) {
    match discount {
        Discount::Percent(percent) => (0, Some(i64::from(percent))),
        Discount::PerSeat(amount) => (1, Some(i64::try_from(amount).unwrap_or(i64::MAX))),
        Discount::Free => (2, None),
        Discount::None => (3, None),
    }
}

pub(crate) fn gender(gender: Gender) -> usize {
    match gender {
        Gender::Female => 0,
        Gender::Male => 1,
        Gender::NonBinary => 2,
        Gender::Undisclosed => 3,
    }
}

pub(crate) fn gender_named(name: &str) -> Option<Gender> {
    [
        Gender::Female,
        Gender::Male,
        Gender::NonBinary,
        Gender::Undisclosed,
    ]
    .into_iter()
    .find(|g| GENDERS[self::gender(*g)] == name)
}

pub(crate) fn age_group(group: AgeGroup) -> usize {
    AgeGroup::ALL.iter().position(|g| *g == group).unwrap_or(0)
}

pub(crate) fn role(role: Role) -> usize {
    match role {
        Role::Attendee => 0,
        Role::Organizer => 1,
        Role::Admin => 2,
    }
}

pub(crate) fn role_named(name: &str) -> Option<Role> {
    [Role::Attendee, Role::Organizer, Role::Admin]
        .into_iter()
        .find(|r| r.as_str() == name)
}

pub(crate) fn ticket_status(status: TicketStatus) -> usize {
    match status {
        TicketStatus::Pending => 0,
        TicketStatus::Booked => 1,
        TicketStatus::Cancelled => 2,
        TicketStatus::Expired => 3,
    }
}

pub(crate) fn event_status(status: EventStatus) -> usize {
    match status {
        EventStatus::Published => 0,
        EventStatus::Cancelled => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_the_core() {
        for group in AgeGroup::ALL {
            assert_eq!(AGE_GROUPS[age_group(group)], group.as_str());
        }
        for r in [Role::Attendee, Role::Organizer, Role::Admin] {
            assert_eq!(ROLES[role(r)], r.as_str());
        }
    }
}
