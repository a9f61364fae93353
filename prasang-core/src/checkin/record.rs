//! What the check-in trees store, and their keys (docs/storage.md describes both for humans).
//!
//! | tree | key | value |
//! |---|---|---|
//! | `admissions` | event ++ ticket ++ seat (u32) | [`AdmissionRecord`]: the seat is in |
//! | `admission_scans` | event ++ scan id bytes | [`ScanRecord`]: the first answer to a scan id |
//! | `admission_feed` | event ++ seq (u64) | [`FeedEntry`]: what gates learn through sync |
//! | `admission_conflicts` | event ++ seq (u64) | [`ConflictRecord`] |
//! | `admission_counts` | event | [`CountsRecord`]: seats admitted, in all and per type |
//! | `door_staff` | event ++ user | [`StaffRecord`] |
//! | `door_staff_by_user` | user ++ event | empty |

use serde::{Deserialize, Serialize};

use super::{ConflictReason, GateScan, RevokedReason};
use crate::events::TicketTypeId;
use crate::ids::{EventId, TicketId, UserId};
use crate::store::codec::Record;
use crate::time::Timestamp;

/// An admitted seat (version 1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct AdmissionRecord {
    /// The gate that scanned it.
    pub(crate) gate: String,
    /// When it was scanned: by the server's clock online, by the gate's clock offline.
    pub(crate) at: Timestamp,
    /// When the server recorded it.
    pub(crate) recorded_at: Timestamp,
    /// Who scanned it (the staff member's or organizer's account).
    pub(crate) by: UserId,
    /// The scan's id.
    pub(crate) scan_id: String,
    /// Whether it was uploaded by an offline gate.
    pub(crate) offline: bool,
    /// Its entry in `admission_feed`.
    pub(crate) seq: u64,
}

impl Record for AdmissionRecord {
    const TREE: &'static str = "admissions";
    const VERSION: u8 = 1;
}

impl AdmissionRecord {
    /// Where and when, as a conflict stores it.
    pub(crate) fn gate_scan(&self) -> StoredScan {
        StoredScan {
            gate: self.gate.clone(),
            at: self.at,
            scan_id: self.scan_id.clone(),
        }
    }
}

/// A gate's scan as a conflict stores it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct StoredScan {
    pub(crate) gate: String,
    pub(crate) at: Timestamp,
    pub(crate) scan_id: String,
}

impl From<StoredScan> for GateScan {
    fn from(stored: StoredScan) -> Self {
        GateScan {
            gate: stored.gate,
            at: stored.at,
            scan_id: stored.scan_id,
        }
    }
}

/// Why a scan conflicts, as stored (a flat enum: the API's is tagged for JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum StoredReason {
    AlreadyAdmitted,
    Cancelled,
    Expired,
    NotPaid,
    EventCancelled,
}

impl From<ConflictReason> for StoredReason {
    fn from(reason: ConflictReason) -> Self {
        match reason {
            ConflictReason::AlreadyAdmitted => StoredReason::AlreadyAdmitted,
            ConflictReason::Revoked(RevokedReason::Cancelled) => StoredReason::Cancelled,
            ConflictReason::Revoked(RevokedReason::Expired) => StoredReason::Expired,
            ConflictReason::Revoked(RevokedReason::NotPaid) => StoredReason::NotPaid,
            ConflictReason::Revoked(RevokedReason::EventCancelled) => StoredReason::EventCancelled,
        }
    }
}

impl From<StoredReason> for ConflictReason {
    fn from(reason: StoredReason) -> Self {
        let revoked = match reason {
            StoredReason::AlreadyAdmitted => return ConflictReason::AlreadyAdmitted,
            StoredReason::Cancelled => RevokedReason::Cancelled,
            StoredReason::Expired => RevokedReason::Expired,
            StoredReason::NotPaid => RevokedReason::NotPaid,
            StoredReason::EventCancelled => RevokedReason::EventCancelled,
        };
        ConflictReason::Revoked(revoked)
    }
}

/// The first answer given to a scan id (version 1): a retry answers it again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ScanRecord {
    pub(crate) ticket: TicketId,
    pub(crate) seat: u32,
    pub(crate) answer: ScanAnswer,
}

/// What a scan id was answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) enum ScanAnswer {
    /// The seat was admitted by this scan.
    Admitted {
        /// The gate.
        gate: String,
        /// When it was scanned.
        at: Timestamp,
    },
    /// The (offline) scan conflicted; the conflict is stored under this sequence number.
    Conflict {
        /// Key suffix in `admission_conflicts`.
        seq: u64,
    },
}

impl Record for ScanRecord {
    const TREE: &'static str = "admission_scans";
    const VERSION: u8 = 1;
}

/// One change an offline gate must learn (version 1), in commit order per event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) enum FeedEntry {
    /// A seat was admitted.
    Admitted {
        ticket: TicketId,
        seat: u32,
        gate: String,
        at: Timestamp,
    },
    /// An admission was undone: the seat may be admitted again.
    Undone { ticket: TicketId, seat: u32 },
    /// A booked ticket was cancelled: all its seats' codes are revoked.
    Revoked { ticket: TicketId, seats: u32 },
}

impl Record for FeedEntry {
    const TREE: &'static str = "admission_feed";
    const VERSION: u8 = 1;
}

/// An offline scan that could not simply be applied (version 1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ConflictRecord {
    pub(crate) ticket: TicketId,
    pub(crate) seat: u32,
    /// The admission already recorded for the seat, if that is the conflict.
    pub(crate) first: Option<StoredScan>,
    /// The uploaded scan.
    pub(crate) this: StoredScan,
    pub(crate) reason: StoredReason,
    /// Who uploaded it.
    pub(crate) by: UserId,
    pub(crate) recorded_at: Timestamp,
}

impl Record for ConflictRecord {
    const TREE: &'static str = "admission_conflicts";
    const VERSION: u8 = 1;
}

/// Seats of an event admitted now (version 1): in all and per ticket type, kept by every
/// admission and undo so counts never scan.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct CountsRecord {
    pub(crate) admitted: u64,
    pub(crate) by_type: Vec<(TicketTypeId, u64)>,
}

impl Record for CountsRecord {
    const TREE: &'static str = "admission_counts";
    const VERSION: u8 = 1;
}

impl CountsRecord {
    /// Counts one seat of `ticket_type` in (`up`) or out.
    pub(crate) fn change(&mut self, ticket_type: TicketTypeId, up: bool) {
        let step = |count: &mut u64| {
            *count = if up {
                count.saturating_add(1)
            } else {
                count.saturating_sub(1)
            }
        };
        step(&mut self.admitted);
        match self.by_type.iter_mut().find(|(id, _)| *id == ticket_type) {
            Some((_, count)) => step(count),
            None if up => self.by_type.push((ticket_type, 1)),
            None => {}
        }
    }

    /// Seats of `ticket_type` admitted.
    pub(crate) fn of_type(&self, ticket_type: TicketTypeId) -> u64 {
        self.by_type
            .iter()
            .find(|(id, _)| *id == ticket_type)
            .map_or(0, |(_, count)| *count)
    }
}

/// A user's assignment as door staff of an event (version 1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct StaffRecord {
    pub(crate) added_by: UserId,
    pub(crate) added_at: Timestamp,
}

impl Record for StaffRecord {
    const TREE: &'static str = "door_staff";
    const VERSION: u8 = 1;
}

/// `admissions`: event, ticket, seat.
pub(crate) fn seat_key(event: EventId, ticket: TicketId, seat: u32) -> [u8; 36] {
    let mut key = [0u8; 36];
    key[..16].copy_from_slice(&event.to_bytes());
    key[16..32].copy_from_slice(&ticket.to_bytes());
    key[32..].copy_from_slice(&seat.to_be_bytes());
    key
}

/// The ticket and seat of an `admissions` key.
pub(crate) fn seat_from_key(key: &[u8]) -> Option<(EventId, TicketId, u32)> {
    let event = EventId::from_key_prefix(key.get(..16)?)?;
    let ticket = TicketId::from_key_prefix(key.get(16..32)?)?;
    let seat = u32::from_be_bytes(key.get(32..36)?.try_into().ok()?);
    Some((event, ticket, seat))
}

/// The tickets of `event` with at least one seat admitted now (an undone admission is gone from
/// `admissions`): who is checked in, for the segments of organizer messages.
pub(crate) fn admitted_tickets(
    store: &crate::store::Store,
    event: EventId,
) -> Result<std::collections::HashSet<TicketId>, crate::store::StoreError> {
    let mut tickets = std::collections::HashSet::new();
    for key in store.admissions.scan_prefix(event.to_bytes()).keys() {
        if let Some((_, ticket, _)) = seat_from_key(&key?) {
            tickets.insert(ticket);
        }
    }
    Ok(tickets)
}

/// `admission_scans`: event, then the scan id's bytes.
pub(crate) fn scan_key(event: EventId, scan_id: &str) -> Vec<u8> {
    let mut key = Vec::with_capacity(16 + scan_id.len());
    key.extend_from_slice(&event.to_bytes());
    key.extend_from_slice(scan_id.as_bytes());
    key
}

/// Inside a transaction: a new sequence number for `admission_feed` or `admission_conflicts`,
/// from 1 (cursor 0 means "from the start"). sled runs transactions one at a time, so numbers
/// are drawn in commit order and a gate that has read up to `n` never later finds a smaller one.
pub(crate) fn next_seq(
    tree: &sled::transaction::TransactionalTree,
) -> Result<u64, sled::transaction::UnabortableTransactionError> {
    Ok(tree.generate_id()? + 1)
}

/// `admission_feed` and `admission_conflicts`: event, then a sequence number.
pub(crate) fn seq_key(event: EventId, seq: u64) -> [u8; 24] {
    let mut key = [0u8; 24];
    key[..16].copy_from_slice(&event.to_bytes());
    key[16..].copy_from_slice(&seq.to_be_bytes());
    key
}

/// The sequence number of an `admission_feed` or `admission_conflicts` key.
pub(crate) fn seq_from_key(key: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(key.get(16..24)?.try_into().ok()?))
}

/// `door_staff`: event, then user.
pub(crate) fn staff_key(event: EventId, user: UserId) -> [u8; 32] {
    crate::store::keys::event_user(event, user)
}

/// `door_staff_by_user`: user, then event.
pub(crate) fn staff_by_user_key(user: UserId, event: EventId) -> [u8; 32] {
    let mut key = [0u8; 32];
    key[..16].copy_from_slice(&user.to_bytes());
    key[16..].copy_from_slice(&event.to_bytes());
    key
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::codec::variant_indexes;

    #[test]
    fn keys_read_back_and_sort_by_sequence() {
        let (event, ticket) = (EventId::generate(), TicketId::generate());
        assert_eq!(
            seat_from_key(&seat_key(event, ticket, 7)),
            Some((event, ticket, 7))
        );
        assert_eq!(seq_from_key(&seq_key(event, 300)), Some(300));
        assert!(seq_key(event, 255) < seq_key(event, 256));
    }

    #[test]
    fn counts_go_up_and_down_per_type() {
        let mut counts = CountsRecord::default();
        counts.change(2, true);
        counts.change(2, true);
        counts.change(1, true);
        counts.change(2, false);
        assert_eq!(
            (counts.admitted, counts.of_type(2), counts.of_type(1)),
            (2, 1, 1)
        );
        counts.change(9, false);
        assert_eq!(counts.admitted, 1);
    }

    /// Stored enums are written by variant index: reordering them would change old records.
    #[test]
    fn stored_variant_indexes_never_change() {
        let reasons = [
            StoredReason::AlreadyAdmitted,
            StoredReason::Cancelled,
            StoredReason::Expired,
            StoredReason::NotPaid,
            StoredReason::EventCancelled,
        ];
        assert_eq!(variant_indexes(&reasons), [0, 1, 2, 3, 4]);
        let round_trip: Vec<StoredReason> = reasons
            .iter()
            .map(|&reason| StoredReason::from(ConflictReason::from(reason)))
            .collect();
        assert_eq!(round_trip, reasons);
        let feed = [
            FeedEntry::Undone {
                ticket: TicketId::generate(),
                seat: 1,
            },
            FeedEntry::Revoked {
                ticket: TicketId::generate(),
                seats: 1,
            },
        ];
        assert_eq!(variant_indexes(&feed), [1, 2]);
    }
}
