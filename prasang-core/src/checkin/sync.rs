//! What gates read: the sync feed for offline gates, the last admissions, the conflicts.
//!
//! Every admission, undo and revocation of a booked ticket appends an entry to the event's
//! feed (`admission_feed`, keyed by event and an increasing sequence number) in the
//! transaction that makes it, so a gate's sync reads only what is new since its cursor.

use std::collections::BTreeMap;

use serde::Serialize;

use super::record::{self, AdmissionRecord, ConflictRecord, FeedEntry};
use super::scan::conflict;
use super::{CheckInError, CheckIns, Conflict, Names, RecentScan, RevokedReason};
use crate::admission::AdmissionPublicKey;
use crate::auth::Actor;
use crate::ids::{EventId, TicketId};
use crate::limits;
use crate::paging::{self, Page, PageRequest};
use crate::store::{StoreError, codec, keys};
use crate::tickets::{TicketStatus, record as ticket_record};
use crate::time::Timestamp;
use crate::validate;

/// Most feed entries one sync answer covers; `more` says when to ask again at once.
pub const SYNC_PAGE: usize = 5_000;

/// What an offline gate needs to check codes alone: the keys, the revoked tickets, and the
/// seats admitted or released elsewhere since its cursor.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SyncBatch {
    /// The event.
    pub event: EventId,
    /// The public keys that sign admission codes, by key id.
    pub keys: Vec<AdmissionPublicKey>,
    /// Tickets whose codes no longer admit: with cursor 0 every cancelled or expired ticket of
    /// the event (and every ticket, if the event is cancelled), after that those cancelled since.
    pub revoked: Vec<RevokedTicket>,
    /// Seats admitted since the cursor (and still admitted).
    pub admissions: Vec<SyncAdmission>,
    /// Seats whose admission was undone since the cursor: they may be admitted again.
    pub undone: Vec<SeatRef>,
    /// The cursor for the next sync.
    pub next_cursor: u64,
    /// True when there is more to read already: sync again at once with `next_cursor`.
    pub more: bool,
}

/// A ticket whose codes are revoked.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RevokedTicket {
    /// The ticket.
    pub ticket: TicketId,
    /// Its seats (every seat's code is revoked).
    pub seats: u32,
    /// Why.
    pub reason: RevokedReason,
}

/// A seat admitted, as a gate learns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SyncAdmission {
    /// The ticket.
    pub ticket: TicketId,
    /// The seat, 1-based.
    pub seat: u32,
    /// The gate that admitted it.
    pub gate: String,
    /// When.
    pub at: Timestamp,
}

/// One seat of one ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct SeatRef {
    /// The ticket.
    pub ticket: TicketId,
    /// The seat, 1-based.
    pub seat: u32,
}

/// Where each seat the feed mentions ended up, in the order of its last change.
#[derive(Default)]
struct NetChanges {
    seats: BTreeMap<SeatRef, (u64, Option<SyncAdmission>)>,
    revoked: BTreeMap<TicketId, RevokedTicket>,
}

impl NetChanges {
    fn apply(&mut self, seq: u64, entry: FeedEntry) {
        match entry {
            FeedEntry::Admitted {
                ticket,
                seat,
                gate,
                at,
            } => {
                let admitted = SyncAdmission {
                    ticket,
                    seat,
                    gate,
                    at,
                };
                self.seats
                    .insert(SeatRef { ticket, seat }, (seq, Some(admitted)));
            }
            FeedEntry::Undone { ticket, seat } => {
                self.seats.insert(SeatRef { ticket, seat }, (seq, None));
            }
            FeedEntry::Revoked { ticket, seats } => {
                self.revoked.insert(
                    ticket,
                    RevokedTicket {
                        ticket,
                        seats,
                        reason: RevokedReason::Cancelled,
                    },
                );
            }
        }
    }
}

impl CheckIns<'_> {
    /// What an offline gate of `event` needs since `cursor` (0 the first time; then the
    /// `next_cursor` of the previous answer): the public keys, the revoked tickets, and the
    /// seats admitted and undone since (its organizer, admins and its door staff). At most
    /// [`SYNC_PAGE`] changes per answer; `more` says to ask again at once.
    pub fn sync(
        &self,
        actor: &Actor,
        event: EventId,
        cursor: u64,
    ) -> Result<SyncBatch, CheckInError> {
        let sale = self.require_scanner(actor, event)?;
        let store = &self.inner.store;
        let mut changes = NetChanges::default();
        let mut next_cursor = cursor.max(1);
        let mut more = false;
        let range = record::seq_key(event, cursor)..=record::seq_key(event, u64::MAX);
        for (read, entry) in store.admission_feed.range(range).enumerate() {
            let (key, value) = entry.map_err(StoreError::from)?;
            if read == SYNC_PAGE {
                more = true;
                break;
            }
            let seq = record::seq_from_key(&key).ok_or(StoreError::Corrupt {
                tree: "admission_feed",
                reason: "short key".into(),
            })?;
            changes.apply(seq, codec::read(&value)?);
            next_cursor = seq + 1;
        }
        if cursor == 0 {
            // Everything released before the feed existed, and expired holds (never in it).
            self.all_revoked(
                event,
                sale.status == crate::events::EventStatus::Cancelled,
                &mut changes,
            )?;
        }
        let mut admissions = Vec::new();
        let mut undone = Vec::new();
        let mut by_seq: Vec<_> = changes.seats.into_iter().collect();
        by_seq.sort_by_key(|(_, (seq, _))| *seq);
        for (seat, (_, admitted)) in by_seq {
            match admitted {
                Some(admitted) => admissions.push(admitted),
                None => undone.push(seat),
            }
        }
        Ok(SyncBatch {
            event,
            keys: self.inner.admission_keys.public_keys()?,
            revoked: changes.revoked.into_values().collect(),
            admissions,
            undone,
            next_cursor,
            more,
        })
    }

    /// Every released ticket of `event` (every ticket, when the event is cancelled).
    fn all_revoked(
        &self,
        event: EventId,
        event_cancelled: bool,
        changes: &mut NetChanges,
    ) -> Result<(), StoreError> {
        let store = &self.inner.store;
        for key in store.tickets_by_event.scan_prefix(event.to_bytes()).keys() {
            let Some(id) = keys::ticket_from_index_key(&key?) else {
                continue;
            };
            let Some(ticket) = ticket_record::load(store, id)? else {
                continue;
            };
            let reason = match ticket.status {
                _ if event_cancelled => RevokedReason::EventCancelled,
                TicketStatus::Cancelled => RevokedReason::Cancelled,
                TicketStatus::Expired => RevokedReason::Expired,
                TicketStatus::Pending | TicketStatus::Booked => continue,
            };
            changes.revoked.insert(
                id,
                RevokedTicket {
                    ticket: id,
                    seats: ticket.quantity,
                    reason,
                },
            );
        }
        Ok(())
    }

    /// The last `limit` (1–100) admissions at `event`, newest first (its organizer, admins and
    /// its door staff).
    pub fn recent(
        &self,
        actor: &Actor,
        event: EventId,
        limit: usize,
    ) -> Result<Vec<RecentScan>, CheckInError> {
        let limit = validate::in_range::<usize>(
            &limits::PAGE_SIZE,
            i64::try_from(limit).unwrap_or(i64::MAX),
        )?;
        let sale = self.require_scanner(actor, event)?;
        let store = &self.inner.store;
        let mut names = Names::new(store, &sale);
        let mut recent = Vec::with_capacity(limit);
        for entry in store.admission_feed.scan_prefix(event.to_bytes()).rev() {
            if recent.len() == limit {
                break;
            }
            let (key, value) = entry.map_err(StoreError::from)?;
            let FeedEntry::Admitted {
                ticket,
                seat,
                gate,
                at,
            } = codec::read(&value)?
            else {
                continue;
            };
            let Some(stored) = ticket_record::load(store, ticket)? else {
                continue;
            };
            let seq = record::seq_from_key(&key);
            let now: Option<AdmissionRecord> =
                codec::get(&store.admissions, &record::seat_key(event, ticket, seat))?;
            let current = now.as_ref().filter(|admission| Some(admission.seq) == seq);
            recent.push(RecentScan {
                admitted: names.admitted(&stored, seat, &gate, at, false)?,
                offline: current.is_some_and(|admission| admission.offline),
                undone: current.is_none(),
            });
        }
        Ok(recent)
    }

    /// The conflicts offline gates reported at `event`, oldest first (its organizer and
    /// admins).
    pub fn conflicts(
        &self,
        actor: &Actor,
        event: EventId,
        page: &PageRequest,
    ) -> Result<Page<Conflict>, CheckInError> {
        let sale = self.require_organizer(actor, event)?;
        let store = &self.inner.store;
        let mut names = Names::new(store, &sale);
        let prefix = event.to_bytes();
        let page = paging::scan(&store.admission_conflicts, &prefix, &prefix, page, |key| {
            let Some(stored) = store.admission_conflicts.get(key)? else {
                return Ok(None);
            };
            let stored: ConflictRecord = codec::read(&stored)?;
            let (Some(id), Some(ticket)) = (
                record::seq_from_key(key),
                ticket_record::load(store, stored.ticket)?,
            ) else {
                return Ok(None);
            };
            conflict(&mut names, event, &ticket, id, stored, false).map(Some)
        })?;
        Ok(page)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_feed_is_netted_per_seat_in_order_of_last_change() {
        let (a, b) = (TicketId::generate(), TicketId::generate());
        let at = Timestamp::from_millis(0);
        let admitted = |ticket, seat| FeedEntry::Admitted {
            ticket,
            seat,
            gate: "g".into(),
            at,
        };
        let mut changes = NetChanges::default();
        changes.apply(1, admitted(a, 1));
        changes.apply(2, admitted(b, 1));
        changes.apply(3, FeedEntry::Undone { ticket: a, seat: 1 });
        changes.apply(4, admitted(a, 1));
        changes.apply(5, FeedEntry::Undone { ticket: b, seat: 1 });
        let a1 = SeatRef { ticket: a, seat: 1 };
        let b1 = SeatRef { ticket: b, seat: 1 };
        assert!(matches!(changes.seats[&a1], (4, Some(_))));
        assert!(matches!(changes.seats[&b1], (5, None)));
    }
}
