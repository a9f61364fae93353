//! The check-in part of `verify_integrity`: admissions, their counters, feed and staff indexes.

use std::collections::BTreeMap;

use super::record::{
    self, AdmissionRecord, ConflictRecord, CountsRecord, FeedEntry, ScanAnswer, ScanRecord,
};
use super::seat_type;
use crate::ids::{EventId, TicketId};
use crate::store::{Store, StoreError, codec};
use crate::tickets::{Ticket, TicketStatus};

/// Checks, on a quiet store, that every admission is of a seat of a ticket of its event that
/// was booked when it came in (a booked ticket, or one cancelled after the admission: the
/// person did come in, so the admission stays), that its feed entry says so, that each
/// event's counters equal its admissions in all and per type, that every scan id answered by a
/// conflict has it, and that the two staff trees mirror each other. Returns the number of
/// admissions; problems go to `problems`.
pub(crate) fn verify(
    store: &Store,
    tickets: &BTreeMap<TicketId, Ticket>,
    problems: &mut Vec<String>,
) -> Result<usize, StoreError> {
    let mut counted: BTreeMap<EventId, CountsRecord> = BTreeMap::new();
    let mut admissions = 0;
    for entry in store.admissions.iter() {
        let (key, value) = entry?;
        admissions += 1;
        let Some((event, ticket_id, seat)) = record::seat_from_key(&key) else {
            problems.push("admissions: short key".into());
            continue;
        };
        let admission: AdmissionRecord = codec::read(&value)?;
        let here = format!("admission of ticket {ticket_id} seat {seat}");
        let Some(ticket) = tickets.get(&ticket_id).filter(|t| t.event == event) else {
            problems.push(format!("{here}: no such ticket of event {event}"));
            continue;
        };
        if !(1..=ticket.quantity).contains(&seat) {
            problems.push(format!("{here}: the ticket has {} seats", ticket.quantity));
        }
        let booked_then = match ticket.status {
            TicketStatus::Booked => true,
            TicketStatus::Cancelled => ticket.updated_at >= admission.recorded_at,
            TicketStatus::Pending | TicketStatus::Expired => false,
        };
        if !booked_then {
            problems.push(format!(
                "{here}: the ticket was not booked when it came in ({:?})",
                ticket.status
            ));
        }
        let feed = store
            .admission_feed
            .get(record::seq_key(event, admission.seq))?;
        let feed_says = feed
            .map(|bytes| codec::read::<FeedEntry>(&bytes))
            .transpose()?;
        if !matches!(feed_says, Some(FeedEntry::Admitted { ticket: t, seat: s, .. }) if t == ticket_id && s == seat)
        {
            problems.push(format!(
                "{here}: its feed entry {} is missing",
                admission.seq
            ));
        }
        counted
            .entry(event)
            .or_default()
            .change(seat_type(ticket, seat), true);
    }
    for entry in store.admission_counts.iter() {
        let (key, value) = entry?;
        let Some(event) = EventId::from_key_prefix(&key) else {
            problems.push("admission_counts: short key".into());
            continue;
        };
        let stored: CountsRecord = codec::read(&value)?;
        let wanted = counted.remove(&event).unwrap_or_default();
        let mut types: Vec<_> = stored.by_type.iter().filter(|(_, n)| *n > 0).collect();
        let mut wanted_types: Vec<_> = wanted.by_type.iter().collect();
        types.sort();
        wanted_types.sort();
        if stored.admitted != wanted.admitted || types != wanted_types {
            problems.push(format!(
                "event {event}: admission counters say {stored:?}, admissions say {wanted:?}"
            ));
        }
    }
    for (event, wanted) in counted {
        problems.push(format!(
            "event {event}: {} admissions but no admission counters",
            wanted.admitted
        ));
    }
    check_scans(store, problems)?;
    check_staff(store, problems)?;
    Ok(admissions)
}

/// Every scan id answered by a conflict has its conflict.
fn check_scans(store: &Store, problems: &mut Vec<String>) -> Result<(), StoreError> {
    for entry in store.admission_scans.iter() {
        let (key, value) = entry?;
        let scan: ScanRecord = codec::read(&value)?;
        let ScanAnswer::Conflict { seq } = scan.answer else {
            continue;
        };
        let Some(event) = EventId::from_key_prefix(&key) else {
            problems.push("admission_scans: short key".into());
            continue;
        };
        let stored = store.admission_conflicts.get(record::seq_key(event, seq))?;
        let conflict = stored
            .map(|bytes| codec::read::<ConflictRecord>(&bytes))
            .transpose()?;
        if conflict.is_none_or(|c| (c.ticket, c.seat) != (scan.ticket, scan.seat)) {
            problems.push(format!(
                "event {event}: conflict {seq} of a scan is missing"
            ));
        }
    }
    Ok(())
}

/// `door_staff` and `door_staff_by_user` hold the same pairs.
fn check_staff(store: &Store, problems: &mut Vec<String>) -> Result<(), StoreError> {
    for entry in store.door_staff.iter() {
        let (key, _) = entry?;
        let (event, user) = key.split_at(16.min(key.len()));
        let mirrored = [user, event].concat();
        if !store.door_staff_by_user.contains_key(&mirrored)? {
            problems.push("door_staff entry missing from door_staff_by_user".into());
        }
    }
    if store.door_staff.len() != store.door_staff_by_user.len() {
        problems.push("door_staff_by_user has entries without door_staff".into());
    }
    Ok(())
}
