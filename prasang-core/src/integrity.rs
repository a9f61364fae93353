//! `verify_integrity`: recomputes every counter and index from the records and compares.

use std::collections::{BTreeMap, BTreeSet};

use crate::context::Context;
use crate::events::{EventRecord, SaleState};
use crate::ids::{EventId, TicketId};
use crate::store::{StoreError, codec, keys};
use crate::tickets::{Ticket, TicketStatus};
use crate::users::UserRecord;

/// What [`crate::Prasang::verify_integrity`] found.
#[derive(Debug, Clone, Default)]
pub struct IntegrityReport {
    /// Events checked.
    pub events: usize,
    /// Tickets checked.
    pub tickets: usize,
    /// Users checked.
    pub users: usize,
    /// Every disagreement found, in words.
    pub problems: Vec<String>,
}

impl IntegrityReport {
    /// True when nothing disagreed.
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }
}

#[derive(Default)]
struct Expected {
    held: u32,
    booked: u32,
}

/// Checks, on a quiescent store: for every event `remaining + held + booked == capacity` and the
/// counters equal the sums over its tickets; every index entry points at a matching record and
/// every record has its index entries.
pub(crate) fn verify(inner: &Context) -> Result<IntegrityReport, StoreError> {
    let store = &inner.store;
    let mut report = IntegrityReport::default();
    let mut per_event: BTreeMap<EventId, Expected> = BTreeMap::new();
    let mut tickets: BTreeMap<TicketId, Ticket> = BTreeMap::new();

    for entry in store.tickets.iter() {
        let (_, value) = entry?;
        let ticket = crate::tickets::record::decode(&value)?;
        let expected = per_event.entry(ticket.event).or_default();
        match ticket.status {
            TicketStatus::Pending => expected.held += ticket.quantity,
            TicketStatus::Booked => expected.booked += ticket.quantity,
            TicketStatus::Cancelled | TicketStatus::Expired => {}
        }
        tickets.insert(ticket.id, ticket);
    }
    report.tickets = tickets.len();

    for entry in store.inventory.iter() {
        let (key, value) = entry?;
        let sale: SaleState = codec::read(&value)?;
        let Some(id) = EventId::from_key_prefix(&key) else {
            report.problems.push("inventory key too short".into());
            continue;
        };
        report.events += 1;
        let seats = sale.seats;
        if u64::from(seats.remaining) + u64::from(seats.held) + u64::from(seats.booked)
            != u64::from(seats.capacity)
        {
            report.problems.push(format!(
                "event {id}: remaining + held + booked != capacity ({seats:?})"
            ));
        }
        let expected = per_event.remove(&id).unwrap_or_default();
        if expected.held != seats.held || expected.booked != seats.booked {
            report.problems.push(format!(
                "event {id}: counters say held {} booked {}, tickets say held {} booked {}",
                seats.held, seats.booked, expected.held, expected.booked
            ));
        }
        match store.events.get(key)? {
            Some(bytes) => {
                let event: EventRecord = codec::read(&bytes)?;
                if event.starts_at != sale.starts_at
                    || event.organizer != sale.organizer
                    || event.status != sale.status
                {
                    report.problems.push(format!(
                        "event {id}: sale state disagrees with the event record"
                    ));
                }
                let indexes = [
                    (
                        &store.events_by_start,
                        keys::event_by_start(event.starts_at, id).to_vec(),
                        "events_by_start",
                    ),
                    (
                        &store.events_by_organizer,
                        keys::event_by_organizer(event.organizer, id).to_vec(),
                        "events_by_organizer",
                    ),
                ];
                for (index, entry, name) in indexes {
                    if index.get(entry)?.is_none() {
                        report
                            .problems
                            .push(format!("event {id}: missing from {name}"));
                    }
                }
            }
            None => report
                .problems
                .push(format!("event {id}: sale state without an event record")),
        }
    }
    for id in per_event.keys() {
        report.problems.push(format!(
            "tickets reference event {id}, which has no sale state"
        ));
    }
    if store.events.len() != report.events {
        report
            .problems
            .push("events and inventory hold different numbers of records".into());
    }
    for entry in store.events_by_start.iter() {
        let (key, _) = entry?;
        if keys::event_from_start_key(&key)
            .is_none_or(|id| !store.inventory.contains_key(id.to_bytes()).unwrap_or(false))
        {
            report
                .problems
                .push("events_by_start entry without an event".into());
        }
    }

    check_ticket_index(
        &store.tickets_by_event,
        "tickets_by_event",
        &tickets,
        |t| keys::ticket_by_event(t.event, t.id).to_vec(),
        &mut report,
    )?;
    check_ticket_index(
        &store.tickets_by_user,
        "tickets_by_user",
        &tickets,
        |t| keys::ticket_by_user(t.user, t.id).to_vec(),
        &mut report,
    )?;
    let pending: BTreeMap<TicketId, Ticket> = tickets
        .iter()
        .filter(|(_, t)| t.status == TicketStatus::Pending)
        .map(|(id, t)| (*id, t.clone()))
        .collect();
    check_ticket_index(
        &store.holds_by_expiry,
        "holds_by_expiry",
        &pending,
        |t| keys::hold_by_expiry(t.expires_at.unwrap_or(t.created_at), t.id).to_vec(),
        &mut report,
    )?;

    let mut emails = BTreeSet::new();
    for entry in store.users.iter() {
        let (key, value) = entry?;
        let record: UserRecord = codec::read(&value)?;
        report.users += 1;
        let indexed = store.users_by_email.get(record.email.as_bytes())?;
        if indexed.as_deref() != Some(&key[..]) {
            report.problems.push(format!(
                "user {}: users_by_email does not point back",
                record.id
            ));
        }
        emails.insert(record.email);
    }
    if store.users_by_email.len() != emails.len() {
        report
            .problems
            .push("users_by_email has entries without users".into());
    }
    Ok(report)
}

/// Every ticket in `expected` has exactly its key in `index`, and nothing else is there.
fn check_ticket_index(
    index: &sled::Tree,
    name: &str,
    expected: &BTreeMap<TicketId, Ticket>,
    key_of: impl Fn(&Ticket) -> Vec<u8>,
    report: &mut IntegrityReport,
) -> Result<(), StoreError> {
    let wanted: BTreeSet<Vec<u8>> = expected.values().map(&key_of).collect();
    let mut found = 0usize;
    for entry in index.iter() {
        let (key, _) = entry?;
        if wanted.contains(&key[..]) {
            found += 1;
        } else {
            report
                .problems
                .push(format!("{name}: stray entry {}", keys::cursor_text(&key)));
        }
    }
    if found != wanted.len() {
        report.problems.push(format!(
            "{name}: {} tickets have no entry",
            wanted.len() - found
        ));
    }
    Ok(())
}
