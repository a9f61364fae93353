//! Whole tables for analysts: every event, ticket type, promo code, ticket and feedback entry,
//! seat checked in, waiting list entry and organizer message (without its text), and the
//! attendees as demographics only (never a name, an e-mail address or a password hash).
//!
//! Each read covers the whole store, so only admins (and the system actor) may make it; an
//! organizer reads their own events through the paged APIs and the reports. Reads are not one
//! snapshot in time: export from a stopped store or a snapshot ([`crate::Prasang::snapshot`])
//! when tables must agree with each other.
//!
//! ```
//! use prasang_core::{Config, Prasang};
//!
//! let prasang = Prasang::open(Config::temporary())?;
//! let admin = prasang.auth().system_actor();
//! assert_eq!(prasang.export().tickets(&admin)?.count(), 0);
//! assert!(prasang.export().attendees(&admin)?.is_empty());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::analytics::store as agg;
use crate::analytics::{AgeGroup, EntryState};
use crate::auth::Actor;
use crate::context::Context;
use crate::error::{CommonError, domain_error};
use crate::events::record::{self as event_record, SaleState};
use crate::events::{Event, Events, TicketType, TicketTypeId};
use crate::feedback::{Feedback, FeedbackRecord};
use crate::ids::{EventId, TicketId, UserId};
use crate::messages::Segment;
use crate::promo::PromoCode;
use crate::store::{StoreError, codec};
use crate::tickets::Ticket;
use crate::time::Timestamp;
use crate::users::{Gender, Role, UserRecord};
use crate::zone::Zone;

const ADMINS_ONLY: &str = "only admins can export whole tables";

/// A user as analysts see them: demographics, no identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attendee {
    /// The user's id (joins with tickets and feedback).
    pub id: UserId,
    /// Attendee, organizer or admin.
    pub role: Role,
    /// Gender from the profile.
    pub gender: Gender,
    /// Age group from the profile (never the age itself); `unknown` for a guest.
    pub age_group: AgeGroup,
    /// A guest account (made at checkout, no password yet): its gender and age are not known.
    pub guest: bool,
    /// When the account was created.
    pub created_at: Timestamp,
}

/// A seat checked in at the door, as analysts see it: where and when, never who (join `ticket`
/// with the tickets table for the holder's id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeatCheckIn {
    /// The event.
    pub event: EventId,
    /// The ticket.
    pub ticket: TicketId,
    /// The seat within the ticket, from 1.
    pub seat: u32,
    /// The seat's ticket type (seats take the ticket's lines in order).
    pub ticket_type: TicketTypeId,
    /// The gate that scanned it, as the gate named itself.
    pub gate: String,
    /// When it was scanned (by the gate's own clock when offline).
    pub scanned_at: Timestamp,
    /// Scanned while the gate was offline and uploaded later.
    pub offline: bool,
}

/// A waiting list entry as analysts see it: what it waited for and how it ended, never who
/// beyond the user's id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaitlistRow {
    /// The event.
    pub event: EventId,
    /// The entry's number in the event's list (joining order).
    pub entry: u64,
    /// Its user's id (joins with the attendees table).
    pub user: UserId,
    /// The ticket type waited for.
    pub ticket_type: TicketTypeId,
    /// Seats wanted.
    pub seats: u32,
    /// When it joined.
    pub joined_at: Timestamp,
    /// On the list (waiting, offered) or how it came off.
    pub state: EntryState,
    /// Offers made to it.
    pub offers: u32,
    /// Seats of its latest offer (0 if none).
    pub offered_seats: u32,
    /// That offer's deadline.
    pub offer_deadline: Option<Timestamp>,
    /// When it came off the list.
    pub ended_at: Option<Timestamp>,
    /// The ticket its accepted offer became.
    pub ticket: Option<TicketId>,
}

/// An organizer message as analysts see it: to whom and when, and the lengths of its subject
/// and body — not their text, which is the organizer's to their attendees (it stays in the log).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageSummary {
    /// The message's id: the log sequence number of its `message_sent` entry.
    pub message: u64,
    /// The event.
    pub event: EventId,
    /// Who sent it (the organizer or an admin).
    pub sent_by: UserId,
    /// Who it was for.
    pub segment: Segment,
    /// When it was sent.
    pub sent_at: Timestamp,
    /// Characters in the subject.
    pub subject_chars: u32,
    /// Characters in the body.
    pub body_chars: u32,
}

/// Errors of the export API.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// Forbidden for non-admins, or storage failure.
    #[error(transparent)]
    Common(#[from] CommonError),
}

domain_error!(ExportError {});

/// A lazy read of tickets in id order, from [`Export::tickets`] or
/// [`Export::tickets_in_parts`]; `Send`, so each part can be read on its own thread.
pub struct TicketScan(sled::Iter);

impl Iterator for TicketScan {
    type Item = Result<Ticket, ExportError>;

    fn next(&mut self) -> Option<Self::Item> {
        let item = self.0.next()?;
        Some(
            item.map_err(StoreError::from)
                .and_then(|(_, value)| crate::tickets::record::decode(&value))
                .map_err(ExportError::from),
        )
    }
}

/// The keys that cut the 16-byte keys from `first` to `last` into `parts` ranges of equal
/// width (at most `parts - 1` cuts, strictly increasing, none at or below `first`).
fn split_evenly(first: &[u8], last: &[u8], parts: usize) -> Vec<[u8; 16]> {
    let as_number = |key: &[u8]| {
        key.get(..16)
            .and_then(|k| k.try_into().ok())
            .map(u128::from_be_bytes)
    };
    let (Some(low), Some(high)) = (as_number(first), as_number(last)) else {
        return Vec::new();
    };
    let parts = parts.max(1) as u128;
    let width = high.saturating_sub(low) / parts;
    if width == 0 {
        return Vec::new();
    }
    (1..parts)
        .map(|i| (low + width * i).to_be_bytes())
        .collect()
}

/// Whole-table reads. Obtained from [`crate::Prasang::export`].
pub struct Export<'a> {
    pub(crate) inner: &'a Context,
}

impl Export<'_> {
    /// Every event (any status, past ones too) with its seat counters and rating, in id order.
    pub fn events(&self, actor: &Actor) -> Result<Vec<Event>, ExportError> {
        actor.require_admin(ADMINS_ONLY)?;
        let mut events = Vec::new();
        for item in self.inner.store.events.iter() {
            let (key, _) = item.map_err(StoreError::from)?;
            let Some(id) = EventId::from_key_prefix(&key) else {
                continue;
            };
            if let Some(event) = Events::new(self.inner).load(id)? {
                events.push(event);
            }
        }
        Ok(events)
    }

    /// Every ticket in id (booking) order, read lazily: a million tickets never sit in memory
    /// as API values at once.
    pub fn tickets(&self, actor: &Actor) -> Result<TicketScan, ExportError> {
        actor.require_admin(ADMINS_ONLY)?;
        Ok(TicketScan(self.inner.store.tickets.iter()))
    }

    /// Every ticket, as [`Export::tickets`] gives them, in `parts` scans of consecutive id
    /// ranges, to read on as many threads: one after the other they hold every ticket once, in
    /// id order. Ticket ids begin with their creation time, so the ranges split the time from
    /// the first ticket to the last evenly (even in rows when bookings came at a steady pace).
    ///
    /// ```
    /// # use prasang_core::{Config, Prasang};
    /// # let prasang = Prasang::open(Config::temporary())?;
    /// let admin = prasang.auth().system_actor();
    /// let parts = prasang.export().tickets_in_parts(&admin, 2)?;
    /// let counts = std::thread::scope(|s| {
    ///     let scans: Vec<_> = parts.into_iter().map(|p| s.spawn(move || p.count())).collect();
    ///     scans.into_iter().map(|scan| scan.join().unwrap_or(0)).sum::<usize>()
    /// });
    /// assert_eq!(counts, 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn tickets_in_parts(
        &self,
        actor: &Actor,
        parts: usize,
    ) -> Result<Vec<TicketScan>, ExportError> {
        actor.require_admin(ADMINS_ONLY)?;
        let tree = &self.inner.store.tickets;
        let first = tree.first().map_err(StoreError::from)?;
        let last = tree.last().map_err(StoreError::from)?;
        let bounds = match (first, last) {
            (Some((first, _)), Some((last, _))) => split_evenly(&first, &last, parts),
            _ => Vec::new(),
        };
        // Unbounded at both ends, so a key of any length still lands in exactly one part.
        let mut scans = Vec::with_capacity(bounds.len() + 1);
        let mut start: Option<[u8; 16]> = None;
        for bound in bounds {
            scans.push(TicketScan(match start {
                None => tree.range(..bound),
                Some(start) => tree.range(start..bound),
            }));
            start = Some(bound);
        }
        scans.push(TicketScan(match start {
            None => tree.iter(),
            Some(start) => tree.range(start..),
        }));
        Ok(scans)
    }

    /// Every ticket type of every event with its event, by event then display order.
    pub fn ticket_types(&self, actor: &Actor) -> Result<Vec<(EventId, TicketType)>, ExportError> {
        actor.require_admin(ADMINS_ONLY)?;
        let now = self.inner.now();
        let per_event = every_record(&self.inner.store.inventory, |key, value| {
            let Some(event) = EventId::from_key_prefix(key) else {
                return Ok(None);
            };
            let sale: SaleState = codec::read(value)?;
            let zone = event_record::load(&self.inner.store, event)?
                .map_or_else(|| Zone::stored(""), |e| Zone::stored(&e.time_zone));
            let remaining = sale.seats.remaining;
            Ok(Some(
                sale.types
                    .iter()
                    .map(move |t| (event, t.to_api(&zone, now, remaining)))
                    .collect::<Vec<_>>(),
            ))
        })?;
        Ok(per_event.into_iter().flatten().collect())
    }

    /// Every promo code of every event (their uses in seats, never who used them), by event
    /// then code.
    pub fn promo_codes(&self, actor: &Actor) -> Result<Vec<PromoCode>, ExportError> {
        actor.require_admin(ADMINS_ONLY)?;
        every_record(&self.inner.store.promo_codes, |key, value| {
            let Some(event) = key.get(..16).and_then(EventId::from_key_prefix) else {
                return Ok(None);
            };
            Ok(Some(PromoCode::of(event, codec::read(value)?)))
        })
    }

    /// Every feedback entry with its reply, by event then user.
    pub fn feedback(&self, actor: &Actor) -> Result<Vec<Feedback>, ExportError> {
        actor.require_admin(ADMINS_ONLY)?;
        every_record(&self.inner.store.feedback, |key, value| {
            let event = key.get(..16).and_then(EventId::from_key_prefix);
            let user = key.get(16..).and_then(UserId::from_key_prefix);
            let (Some(event), Some(user)) = (event, user) else {
                return Ok(None);
            };
            let record: FeedbackRecord = codec::decode("feedback", value)?;
            Ok(Some(record.to_api(event, user)))
        })
    }

    /// Every seat checked in now (an undone admission or a cancelled ticket's seats are not), in
    /// event, ticket and seat order, as the analytics consumer has folded them: the same seats
    /// the attendance reports count.
    pub fn check_ins(&self, actor: &Actor) -> Result<Vec<SeatCheckIn>, ExportError> {
        actor.require_admin(ADMINS_ONLY)?;
        every_record(&self.inner.store.agg_admissions, |key, value| {
            let Some((event, ticket, seat)) = agg::admission_from(key) else {
                return Ok(None);
            };
            let admission: agg::Admission = codec::read(value)?;
            Ok(Some(SeatCheckIn {
                event,
                ticket,
                seat,
                ticket_type: admission.ticket_type,
                gate: admission.gate,
                scanned_at: admission.scanned_at,
                offline: admission.offline,
            }))
        })
    }

    /// Every waiting list entry ever made (on the list now or not), in event then joining order,
    /// as the analytics consumer has folded them: the entries the waiting list report counts.
    pub fn waitlist(&self, actor: &Actor) -> Result<Vec<WaitlistRow>, ExportError> {
        actor.require_admin(ADMINS_ONLY)?;
        every_record(&self.inner.store.agg_waitlist, |key, value| {
            let Some((event, entry)) = agg::waitlist_entry_from(key) else {
                return Ok(None);
            };
            let row: agg::WaitlistRow = codec::read(value)?;
            Ok(Some(WaitlistRow {
                event,
                entry,
                user: row.user,
                ticket_type: row.ticket_type,
                seats: row.seats,
                joined_at: row.joined_at,
                state: row.state,
                offers: row.offers,
                offered_seats: row.offered_seats,
                offer_deadline: row.deadline,
                ended_at: row.ended_at,
                ticket: row.ticket,
            }))
        })
    }

    /// Every organizer message, oldest first, without its text (as the analytics consumer has
    /// folded them).
    pub fn messages(&self, actor: &Actor) -> Result<Vec<MessageSummary>, ExportError> {
        actor.require_admin(ADMINS_ONLY)?;
        every_record(&self.inner.store.agg_messages, |key, value| {
            let Some(message) = crate::store::keys::seq_from_key(key) else {
                return Ok(None);
            };
            let row: agg::MessageRow = codec::read(value)?;
            Ok(Some(MessageSummary {
                message,
                event: row.event,
                sent_by: row.by,
                segment: row.segment,
                sent_at: row.sent_at,
                subject_chars: row.subject_chars,
                body_chars: row.body_chars,
            }))
        })
    }

    /// Every account as demographics (id, role, gender, age group, creation time), in id order.
    pub fn attendees(&self, actor: &Actor) -> Result<Vec<Attendee>, ExportError> {
        actor.require_admin(ADMINS_ONLY)?;
        every_record(&self.inner.store.users, |_, value| {
            let record: UserRecord = codec::read(value)?;
            Ok(Some(Attendee {
                id: record.id,
                role: record.role,
                gender: record.gender,
                age_group: AgeGroup::of(record.age),
                guest: record.is_guest(),
                created_at: record.created_at,
            }))
        })
    }
}

/// Reads every entry of `tree` in key order through `read`, keeping what it returns (`None`:
/// an entry whose key is not one of ours, skipped).
fn every_record<T>(
    tree: &sled::Tree,
    mut read: impl FnMut(&[u8], &[u8]) -> Result<Option<T>, ExportError>,
) -> Result<Vec<T>, ExportError> {
    let mut records = Vec::new();
    for item in tree.iter() {
        let (key, value) = item.map_err(StoreError::from)?;
        records.extend(read(&key, &value)?);
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::error::ErrorKind;
    use crate::ids::TicketId;
    use crate::tickets::BookingRequest;
    use crate::users::Role;
    use crate::{Config, DomainError, Prasang, testing};

    #[test]
    fn cuts_split_the_key_range_evenly_and_stay_inside_it() {
        let first = 1_000u128.to_be_bytes();
        let last = 1_999u128.to_be_bytes();
        let cuts: Vec<u128> = split_evenly(&first, &last, 4)
            .into_iter()
            .map(u128::from_be_bytes)
            .collect();
        assert_eq!(cuts, [1_249, 1_498, 1_747]);
        assert!(split_evenly(&first, &last, 1).is_empty());
        assert!(split_evenly(&first, &first, 4).is_empty());
        assert!(
            split_evenly(&[1, 2], &last, 4).is_empty(),
            "short keys: one part"
        );
    }

    /// Booked a few milliseconds apart, so the ids' time prefixes differ.
    fn store_with_tickets(count: usize) -> (Prasang, Vec<TicketId>) {
        let prasang = Prasang::open(Config::temporary().background_tasks(false)).expect("open");
        let organizer = testing::register(&prasang, "olga", Role::Organizer);
        let attendee = testing::register(&prasang, "ada", Role::Attendee);
        let starts_at = prasang.now().plus(Duration::from_secs(86_400));
        let mut event = testing::free_event(starts_at, 1_000);
        event.per_user_limit = Some(100);
        let event = prasang
            .events()
            .create(&organizer, event)
            .expect("event")
            .id;
        let booked = (0..count)
            .map(|_| {
                std::thread::sleep(Duration::from_millis(2));
                let request = BookingRequest {
                    attendee_names: Default::default(),
                    pass: None,
                    event,
                    quantity: 1,
                    idempotency_key: None,
                    lines: Vec::new(),
                    promo_code: None,
                };
                prasang
                    .tickets()
                    .book(&attendee, &request)
                    .expect("book")
                    .ticket
                    .id
            })
            .collect();
        (prasang, booked)
    }

    #[test]
    fn parts_hold_every_ticket_once_in_id_order() {
        let (prasang, booked) = store_with_tickets(40);
        let admin = prasang.auth().system_actor();
        let whole: Vec<TicketId> = prasang
            .export()
            .tickets(&admin)
            .expect("export")
            .map(|t| t.expect("ticket").id)
            .collect();
        assert_eq!(whole, booked);
        for parts in [1, 2, 3, 7] {
            let scans = prasang
                .export()
                .tickets_in_parts(&admin, parts)
                .expect("export in parts");
            let read: Vec<Vec<TicketId>> = scans
                .into_iter()
                .map(|scan| scan.map(|t| t.expect("ticket").id).collect())
                .collect();
            let non_empty = read.iter().filter(|part| !part.is_empty()).count();
            assert!(
                non_empty >= parts.min(2),
                "{parts} parts: only {non_empty} read anything"
            );
            assert_eq!(read.concat(), whole, "{parts} parts");
        }
    }

    #[test]
    fn an_empty_store_has_one_empty_part_and_only_admins_export() {
        let prasang = Prasang::open(Config::temporary()).expect("open");
        let admin = prasang.auth().system_actor();
        let parts = prasang.export().tickets_in_parts(&admin, 4).expect("parts");
        assert_eq!(parts.len(), 1);
        assert_eq!(parts.into_iter().flatten().count(), 0);
        let attendee = testing::register(&prasang, "ada", Role::Attendee);
        let refused = prasang.export().tickets_in_parts(&attendee, 2).err();
        assert_eq!(refused.map(|e| e.kind()), Some(ErrorKind::Forbidden));
    }
}
