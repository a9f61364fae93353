//! Check-in at the door: admitting each booked seat exactly once with its signed admission code
//! ([`crate::admission`]), door staff, live counts, and offline gates that sync and upload.
//!
//! A scan is one small sled transaction over the seat's admission, the scan's id, the event's
//! feed, its counters and the log ([`scan`]), then a shared flush (group commit, like a
//! booking): an answer "admitted" is on disk. sled runs transactions one at a time, so two gates
//! scanning the same seat at once get one "admitted" and one "already admitted". The protocol
//! a third-party scanner implements is in docs/check-in.md.

mod batch;
pub(crate) mod integrity;
mod record;
mod scan;
mod staff;
mod sync;

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

pub(crate) use record::admitted_tickets;
pub(crate) use scan::ScanBatches;
pub use staff::StaffMember;
pub use sync::{RevokedTicket, SeatRef, SyncAdmission, SyncBatch};

use crate::auth::Actor;
use crate::context::Context;
use crate::error::{CommonError, ErrorInfo, Subject, domain_error};
use crate::events::{SaleState, TicketTypeId, record as event_record};
use crate::ids::{EventId, TicketId, UserId};
use crate::limits;
use crate::store::{StoreError, codec};
use crate::tickets::Ticket;
use crate::time::Timestamp;
use crate::validate::FieldError;

/// A scan at a gate: the code read from a seat's QR code.
#[derive(Debug, Clone)]
pub struct CheckInRequest<'a> {
    /// The event the gate admits to.
    pub event: EventId,
    /// The code as scanned (surrounding spaces and line ends are ignored).
    pub code: &'a str,
    /// The gate's name, 1–64 characters ("North door", "gate-2").
    pub gate: String,
    /// An id the gate gives this scan, unique within the event (a UUID or ULID): retrying the
    /// request with the same id answers the first answer again and admits nothing twice.
    pub scan_id: String,
}

/// A seat let in: what the door shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Admitted {
    /// The event.
    pub event: EventId,
    /// The ticket.
    pub ticket: TicketId,
    /// The seat, 1-based.
    pub seat: u32,
    /// Seats on the ticket.
    pub of: u32,
    /// The ticket holder's name.
    pub name: String,
    /// The name the buyer gave this seat, where the event asks for names (none if unnamed).
    pub attendee_name: Option<String>,
    /// The seat's ticket type (seat `n` belongs to the ticket's lines in order).
    pub ticket_type: TicketTypeId,
    /// Its name.
    pub ticket_type_name: String,
    /// When it was scanned (the gate's clock for offline scans).
    pub at: Timestamp,
    /// The gate that scanned it.
    pub gate: String,
    /// True when this answers a retried scan id (nothing new was admitted).
    pub replayed: bool,
}

/// Why a ticket's codes no longer admit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RevokedReason {
    /// The ticket was cancelled (or refunded).
    Cancelled,
    /// The ticket's hold lapsed unpaid.
    Expired,
    /// The ticket is still pending: not paid yet.
    NotPaid,
    /// The event was cancelled.
    EventCancelled,
}

impl RevokedReason {
    fn words(self) -> &'static str {
        match self {
            RevokedReason::Cancelled => "the ticket was cancelled",
            RevokedReason::Expired => "the ticket expired unpaid",
            RevokedReason::NotPaid => "the ticket is not paid yet",
            RevokedReason::EventCancelled => "the event was cancelled",
        }
    }
}

/// Why a code is not a valid admission code (one problem code, `admission-code-invalid`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InvalidReason {
    /// Not a code at all: wrong length or characters, empty, too long.
    Malformed,
    /// A code format this server does not know.
    UnsupportedVersion,
    /// Signed with a key this server never had.
    UnknownKey,
    /// The signature does not match: forged or damaged.
    BadSignature,
    /// Signed, but no such ticket or seat exists here.
    NoSuchSeat,
}

impl InvalidReason {
    fn words(self) -> &'static str {
        match self {
            InvalidReason::Malformed => "not an admission code",
            InvalidReason::UnsupportedVersion => "an unknown code version",
            InvalidReason::UnknownKey => "signed with an unknown key",
            InvalidReason::BadSignature => "the signature does not match",
            InvalidReason::NoSuchSeat => "no such ticket or seat",
        }
    }
}

/// Where and when a gate scanned a seat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GateScan {
    /// The gate.
    pub gate: String,
    /// When (the gate's clock for offline scans).
    pub at: Timestamp,
    /// The scan's id.
    pub scan_id: String,
}

/// Why an offline scan conflicts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "reason")]
pub enum ConflictReason {
    /// Another scan had already admitted the seat.
    AlreadyAdmitted,
    /// The gate admitted a seat whose ticket is revoked (it learned of it too late).
    Revoked(RevokedReason),
}

/// An offline scan that could not be applied as it was: stored, listed for the organizer, never
/// merged away.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Conflict {
    /// Its number within the event (increasing in the order they were recorded).
    pub id: u64,
    /// The event.
    pub event: EventId,
    /// The ticket.
    pub ticket: TicketId,
    /// The seat, 1-based.
    pub seat: u32,
    /// Seats on the ticket.
    pub of: u32,
    /// The ticket holder's name.
    pub name: String,
    /// The name the buyer gave this seat (none if unnamed).
    pub attendee_name: Option<String>,
    /// The seat's ticket type's name.
    pub ticket_type_name: String,
    /// What went wrong.
    pub reason: ConflictReason,
    /// The admission recorded first (for `already_admitted`).
    pub first: Option<GateScan>,
    /// The uploaded scan.
    pub this: GateScan,
    /// When the server recorded the conflict.
    pub recorded_at: Timestamp,
    /// True when this answers a re-uploaded scan id (recorded before).
    pub replayed: bool,
}

/// A scan an offline gate made, to upload.
#[derive(Debug, Clone, Deserialize)]
pub struct OfflineScan {
    /// The scan's id, unique within the event.
    pub scan_id: String,
    /// The code as scanned.
    pub code: String,
    /// When the gate scanned it, by its own clock.
    pub scanned_at: Timestamp,
}

/// What became of one uploaded scan.
#[derive(Debug)]
pub enum UploadOutcome {
    /// The seat is now admitted (or was, by this same scan id, before).
    Admitted(Admitted),
    /// Stored as a conflict for the organizer.
    Conflict(Conflict),
    /// Refused without storing anything (an invalid code, another event's code, a bad scan id).
    Refused(CheckInError),
}

/// Admissions of an event against what was booked.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckInCounts {
    /// The event.
    pub event: EventId,
    /// Seats admitted (a seat admitted and then cancelled stays counted: that person is in).
    pub admitted: u64,
    /// Seats booked (pending ones are not expected until paid).
    pub expected: u64,
    /// Per ticket type, in the event's order.
    pub by_type: Vec<TypeCounts>,
}

/// Admissions of one ticket type.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TypeCounts {
    /// The type's number.
    pub ticket_type: TicketTypeId,
    /// Its name.
    pub name: String,
    /// Seats of it admitted.
    pub admitted: u64,
    /// Seats of it booked.
    pub expected: u64,
}

/// One of the last admissions at an event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecentScan {
    /// The admission as it was answered.
    pub admitted: Admitted,
    /// Whether it was uploaded by an offline gate.
    pub offline: bool,
    /// Whether an organizer has undone it since.
    pub undone: bool,
}

/// Errors of the check-in API. Each refusal of a scan has its own problem code.
#[derive(Debug, thiserror::Error)]
pub enum CheckInError {
    /// The seat is in already; `first` is that admission (when, at which gate).
    #[error(
        "already admitted: seat {} of {} came in at {} through {}",
        first.seat, first.of, first.at, first.gate
    )]
    AlreadyAdmitted {
        /// The admission recorded first.
        first: Box<Admitted>,
    },
    /// The ticket's codes are revoked.
    #[error("this ticket does not admit: {}", reason.words())]
    Revoked {
        /// The ticket.
        ticket: TicketId,
        /// The seat scanned.
        seat: u32,
        /// Why.
        reason: RevokedReason,
    },
    /// A genuine code of another event.
    #[error("this code is for another event")]
    WrongEvent,
    /// Not a genuine admission code.
    #[error("not a valid admission code: {}", .0.words())]
    CodeInvalid(InvalidReason),
    /// The scan id was used before for another seat.
    #[error("this scan id was already used for another code")]
    ScanIdReused,
    /// An undo of a seat that is not admitted.
    #[error("seat {seat} of this ticket is not admitted")]
    NotAdmitted {
        /// The ticket.
        ticket: TicketId,
        /// The seat.
        seat: u32,
    },
    /// Shared refusals and failures: invalid field, event or user not found, forbidden,
    /// storage.
    #[error(transparent)]
    Common(#[from] CommonError),
}

domain_error!(CheckInError {
    CheckInError::AlreadyAdmitted { .. } => ErrorInfo::new(Conflict, "admission-already-admitted", "Already admitted"),
    CheckInError::Revoked { .. } => ErrorInfo::new(Conflict, "admission-revoked", "Ticket revoked"),
    CheckInError::WrongEvent => ErrorInfo::new(InvalidInput, "admission-wrong-event", "Code for another event"),
    CheckInError::CodeInvalid(_) => ErrorInfo::new(InvalidInput, "admission-code-invalid", "Invalid admission code"),
    CheckInError::ScanIdReused => ErrorInfo::new(InvalidInput, "admission-scan-id-reused", "Scan id reused"),
    CheckInError::NotAdmitted { .. } => ErrorInfo::new(Conflict, "admission-not-admitted", "Seat not admitted"),
});

/// Who may scan: the event's organizer, admins, and the event's door staff.
const SCANNERS_ONLY: &str = "only the event's organizer and its door staff can check people in";
/// Who may undo admissions, manage staff and see conflicts.
const ORGANIZER_ONLY: &str = "only the event's organizer can do this";

/// Check-in at the door. Obtained from [`crate::Prasang::check_ins`].
pub struct CheckIns<'a> {
    pub(crate) inner: &'a Context,
    pub(crate) batches: &'a ScanBatches,
}

impl CheckIns<'_> {
    /// Checks `actor` may scan at `event` (its organizer, an admin, or its door staff) and
    /// returns the event's sale state.
    fn require_scanner(&self, actor: &Actor, event: EventId) -> Result<SaleState, CheckInError> {
        let sale = event_record::sale_state(&self.inner.store, event)?
            .ok_or(CommonError::NotFound(Subject::Event))?;
        if sale.is_run_by(actor) || staff::is_staff(&self.inner.store, event, actor.user_id())? {
            Ok(sale)
        } else {
            Err(CommonError::Forbidden(SCANNERS_ONLY).into())
        }
    }

    /// Checks `actor` runs `event` (its organizer or an admin).
    fn require_organizer(&self, actor: &Actor, event: EventId) -> Result<SaleState, CheckInError> {
        Ok(event_record::require_run_by(
            &self.inner.store,
            actor,
            event,
            ORGANIZER_ONLY,
        )?)
    }

    /// Admissions of `event` against its booked seats, in all and per ticket type (its
    /// organizer, admins and its door staff).
    pub fn counts(&self, actor: &Actor, event: EventId) -> Result<CheckInCounts, CheckInError> {
        let sale = self.require_scanner(actor, event)?;
        let counts: record::CountsRecord =
            codec::get(&self.inner.store.admission_counts, &event.to_bytes())?.unwrap_or_default();
        let by_type = sale
            .types
            .iter()
            .map(|sale_type| TypeCounts {
                ticket_type: sale_type.id,
                name: sale_type.name.clone(),
                admitted: counts.of_type(sale_type.id),
                expected: u64::from(sale_type.booked),
            })
            .collect();
        Ok(CheckInCounts {
            event,
            admitted: counts.admitted,
            expected: u64::from(sale.seats.booked),
            by_type,
        })
    }
}

/// Attendee names and type names, read once per answer (a batch may name one holder often).
pub(crate) struct Names<'s> {
    store: &'s crate::store::Store,
    sale: &'s SaleState,
    users: HashMap<UserId, String>,
}

impl<'s> Names<'s> {
    pub(crate) fn new(store: &'s crate::store::Store, sale: &'s SaleState) -> Self {
        Names {
            store,
            sale,
            users: HashMap::new(),
        }
    }

    /// The name of `user` (empty if the account is gone).
    fn user(&mut self, user: UserId) -> Result<String, StoreError> {
        if let Some(name) = self.users.get(&user) {
            return Ok(name.clone());
        }
        let name = crate::users::record::load(self.store, user)?
            .map(|record| record.name)
            .unwrap_or_default();
        self.users.insert(user, name.clone());
        Ok(name)
    }

    /// The name of ticket type `id` of the event (empty if it is gone).
    fn ticket_type(&self, id: TicketTypeId) -> String {
        self.sale
            .ticket_type(id)
            .map(|sale_type| sale_type.name.clone())
            .unwrap_or_default()
    }

    /// The answer "admitted" for `seat` of `ticket`, scanned at `gate` at `at`.
    pub(crate) fn admitted(
        &mut self,
        ticket: &Ticket,
        seat: u32,
        gate: &str,
        at: Timestamp,
        replayed: bool,
    ) -> Result<Admitted, StoreError> {
        let ticket_type = seat_type(ticket, seat);
        Ok(Admitted {
            event: ticket.event,
            ticket: ticket.id,
            seat,
            of: ticket.quantity,
            name: self.user(ticket.user)?,
            attendee_name: attendee_name(ticket, seat),
            ticket_type,
            ticket_type_name: self.ticket_type(ticket_type),
            at,
            gate: gate.to_owned(),
            replayed,
        })
    }
}

/// The name the buyer gave `seat` (1-based) of `ticket`, if any.
fn attendee_name(ticket: &Ticket, seat: u32) -> Option<String> {
    let index = usize::try_from(seat).ok()?.checked_sub(1)?;
    ticket
        .attendee_names
        .get(index)
        .filter(|name| !name.is_empty())
        .cloned()
}

/// Inside the transaction that cancels a booked ticket: appends its revocation to the event's
/// feed, so offline gates learn at their next sync that its codes no longer admit.
pub(crate) fn revoke_in_tx(
    feed: &sled::transaction::TransactionalTree,
    ticket: &Ticket,
) -> Result<(), sled::transaction::UnabortableTransactionError> {
    let seq = record::next_seq(feed)?;
    let entry = record::FeedEntry::Revoked {
        ticket: ticket.id,
        seats: ticket.quantity,
    };
    feed.insert(&record::seq_key(ticket.event, seq), codec::write(&entry))?;
    Ok(())
}

/// The ticket type of seat `seat` (1-based): seats are numbered through the ticket's lines in
/// order, so with lines [2 × Adult, 1 × Child] seats 1–2 are Adult and seat 3 is Child.
pub fn seat_type(ticket: &Ticket, seat: u32) -> TicketTypeId {
    let mut last = 0;
    let mut before = 0u32;
    for line in &ticket.lines {
        before = before.saturating_add(line.quantity);
        last = line.ticket_type;
        if seat <= before {
            return line.ticket_type;
        }
    }
    last
}

/// A gate's name: 1–64 characters of display text.
fn check_gate(gate: &str) -> Result<String, FieldError> {
    crate::validate::text(&limits::GATE, gate, false)
}

/// A scan id: 1–128 printable ASCII characters without spaces.
fn check_scan_id(scan_id: &str) -> Result<(), FieldError> {
    let printable = scan_id.bytes().all(|b| (0x21..=0x7e).contains(&b));
    if !printable || !limits::SCAN_ID.contains(scan_id.len() as i64) {
        return Err(FieldError::new(
            limits::SCAN_ID.field,
            format!(
                "must be 1 to {} printable ASCII characters without spaces",
                limits::SCAN_ID.max
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tickets::{TicketLine, TicketStatus};

    #[test]
    fn seats_take_the_type_of_their_line_in_order() {
        let line = |ticket_type, quantity| TicketLine {
            ticket_type,
            quantity,
            unit_price_minor: 0,
            discount_minor: 0,
        };
        let at = Timestamp::from_millis(0);
        let ticket = Ticket {
            attendee_names: Default::default(),
            id: TicketId::generate(),
            event: EventId::generate(),
            user: UserId::generate(),
            quantity: 3,
            status: TicketStatus::Booked,
            amount_minor: 0,
            lines: vec![line(4, 2), line(7, 1)],
            promo_code: None,
            promo_seats: 0,
            discount_minor: 0,
            created_at: at,
            updated_at: at,
            expires_at: None,
        };
        let types: Vec<_> = (1..=3).map(|seat| seat_type(&ticket, seat)).collect();
        assert_eq!(types, [4, 4, 7]);
    }

    #[test]
    fn scan_ids_are_printable_ascii_within_the_limit() {
        assert!(check_scan_id("gate-2:0001").is_ok());
        assert!(check_scan_id("").is_err());
        assert!(check_scan_id("with space").is_err());
        assert!(check_scan_id("é").is_err());
        assert!(check_scan_id(&"x".repeat(129)).is_err());
    }
}
