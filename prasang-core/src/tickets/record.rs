//! What the `tickets` tree stores: [`TicketRecord`], version 3.

use serde::{Deserialize, Serialize};

use super::Ticket;
use crate::events::TicketTypeId;
use crate::ids::{EventId, TicketId, UserId};
use crate::store::codec::{self, Record};
use crate::store::{Store, StoreError};
use crate::time::Timestamp;

/// Where a ticket is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketStatus {
    /// Seats held until `expires_at`, awaiting payment.
    Pending,
    /// Seats booked.
    Booked,
    /// Cancelled; seats released.
    Cancelled,
    /// The hold lapsed; seats released.
    Expired,
}

impl TicketStatus {
    /// Whether the ticket still occupies seats.
    pub fn is_active(self) -> bool {
        matches!(self, TicketStatus::Pending | TicketStatus::Booked)
    }
}

/// Seats of one ticket type on a ticket, at the price charged when it was booked (a later
/// price change never rewrites it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketLine {
    /// The ticket type's number within the event.
    pub ticket_type: TicketTypeId,
    /// Seats.
    pub quantity: u32,
    /// Price of one seat before any discount, minor units.
    pub unit_price_minor: u64,
    /// What the promo code took off the whole line, minor units.
    pub discount_minor: u64,
}

impl TicketLine {
    /// What was charged for the line.
    pub fn amount_minor(&self) -> u64 {
        self.unit_price_minor
            .saturating_mul(u64::from(self.quantity))
            .saturating_sub(self.discount_minor)
    }
}

/// A ticket as stored (version 3): version 1's fields in the same order, then its lines and
/// promo code (version 2), then its attendee names (version 3).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct TicketRecord {
    id: TicketId,
    event: EventId,
    user: UserId,
    quantity: u32,
    status: TicketStatus,
    amount_minor: u64,
    created_at: Timestamp,
    updated_at: Timestamp,
    expires_at: Option<Timestamp>,
    lines: Vec<TicketLine>,
    promo_code: Option<String>,
    promo_seats: u32,
    attendee_names: Vec<String>,
}

/// Version 1, which stored the API `Ticket` of its day: one price for every seat of the event.
#[derive(Deserialize)]
struct TicketRecordV1 {
    id: TicketId,
    event: EventId,
    user: UserId,
    quantity: u32,
    status: TicketStatus,
    amount_minor: u64,
    created_at: Timestamp,
    updated_at: Timestamp,
    expires_at: Option<Timestamp>,
}

impl From<TicketRecordV1> for TicketRecord {
    /// A version-1 ticket is one line of the type its event reads as ("Admission", number 1),
    /// at the price it was charged.
    fn from(v1: TicketRecordV1) -> Self {
        let line = TicketLine {
            ticket_type: 1,
            quantity: v1.quantity,
            unit_price_minor: v1.amount_minor / u64::from(v1.quantity.max(1)),
            discount_minor: 0,
        };
        TicketRecord {
            id: v1.id,
            event: v1.event,
            user: v1.user,
            quantity: v1.quantity,
            status: v1.status,
            amount_minor: v1.amount_minor,
            created_at: v1.created_at,
            updated_at: v1.updated_at,
            expires_at: v1.expires_at,
            lines: vec![line],
            promo_code: None,
            promo_seats: 0,
            attendee_names: Vec::new(),
        }
    }
}

impl Record for TicketRecord {
    const TREE: &'static str = "tickets";
    const VERSION: u8 = 3;

    fn read_older(version: u8, body: &[u8]) -> Option<postcard::Result<Self>> {
        match version {
            1 => Some(postcard::from_bytes::<TicketRecordV1>(body).map(Self::from)),
            // Version 3 appended the attendee names: none is one zero byte (an empty list).
            2 => Some(postcard::from_bytes(&[body, &[0]].concat())),
            _ => None,
        }
    }
}

impl From<&Ticket> for TicketRecord {
    fn from(ticket: &Ticket) -> Self {
        TicketRecord {
            id: ticket.id,
            event: ticket.event,
            user: ticket.user,
            quantity: ticket.quantity,
            status: ticket.status,
            amount_minor: ticket.amount_minor,
            created_at: ticket.created_at,
            updated_at: ticket.updated_at,
            expires_at: ticket.expires_at,
            lines: ticket.lines.clone(),
            promo_code: ticket.promo_code.clone(),
            promo_seats: ticket.promo_seats,
            attendee_names: ticket.attendee_names.clone(),
        }
    }
}

impl TicketRecord {
    /// The ticket as the API shows it.
    pub(crate) fn into_api(self) -> Ticket {
        Ticket {
            discount_minor: self.lines.iter().map(|line| line.discount_minor).sum(),
            id: self.id,
            event: self.event,
            user: self.user,
            quantity: self.quantity,
            status: self.status,
            amount_minor: self.amount_minor,
            lines: self.lines,
            promo_code: self.promo_code,
            promo_seats: self.promo_seats,
            attendee_names: self.attendee_names,
            created_at: self.created_at,
            updated_at: self.updated_at,
            expires_at: self.expires_at,
        }
    }
}

/// A ticket's stored bytes. Ticket logic works on the API type, which has nothing it does not
/// store, so the record exists only at this boundary.
pub(crate) fn encode(ticket: &Ticket) -> Vec<u8> {
    codec::write(&TicketRecord::from(ticket))
}

/// The ticket stored in `bytes`.
pub(crate) fn decode(bytes: &[u8]) -> Result<Ticket, StoreError> {
    codec::read::<TicketRecord>(bytes).map(TicketRecord::into_api)
}

/// Ticket `id`, as the API shows it.
pub(crate) fn load(store: &Store, id: TicketId) -> Result<Option<Ticket>, StoreError> {
    let stored = codec::get::<TicketRecord>(&store.tickets, &id.to_bytes())?;
    Ok(stored.map(TicketRecord::into_api))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::codec::variant_indexes;

    /// A version-1 ticket reads as one Admission line at the price it was charged.
    #[test]
    fn version_1_reads_as_one_admission_line() {
        let at = Timestamp::from_millis(1_900_000_000_000);
        let v1 = (
            TicketId::generate(),
            EventId::generate(),
            UserId::generate(),
            3u32,
            TicketStatus::Pending,
            7_500u64,
            at,
            at,
            Some(at),
        );
        let mut bytes = vec![1];
        bytes.extend(postcard::to_allocvec(&v1).expect("encodes"));
        let ticket = decode(&bytes).expect("reads version 1");
        assert_eq!(
            (ticket.id, ticket.quantity, ticket.amount_minor),
            (v1.0, 3, 7_500)
        );
        assert_eq!(
            ticket.lines,
            [TicketLine {
                ticket_type: 1,
                quantity: 3,
                unit_price_minor: 2_500,
                discount_minor: 0
            }]
        );
        assert_eq!(
            (ticket.promo_code.as_deref(), ticket.discount_minor),
            (None, 0)
        );
        let again = decode(&encode(&ticket)).expect("reads version 3");
        assert_eq!(again.lines, ticket.lines);
        assert!(again.attendee_names.is_empty());
    }

    /// A version-2 ticket (before attendee names) reads with none; a version-3 one keeps them.
    #[test]
    fn version_2_reads_without_names() {
        let at = Timestamp::from_millis(1_900_000_000_000);
        let ticket = Ticket {
            id: TicketId::generate(),
            event: EventId::generate(),
            user: UserId::generate(),
            quantity: 2,
            status: TicketStatus::Booked,
            amount_minor: 0,
            lines: Vec::new(),
            promo_code: None,
            promo_seats: 0,
            discount_minor: 0,
            attendee_names: vec!["Ada".into(), String::new()],
            created_at: at,
            updated_at: at,
            expires_at: None,
        };
        let v3 = encode(&ticket);
        assert_eq!(
            decode(&v3).expect("v3").attendee_names,
            ticket.attendee_names
        );
        // Version 2's body is version 3's without the trailing names.
        let names = postcard::to_allocvec(&ticket.attendee_names).expect("encodes");
        let mut v2 = vec![2];
        v2.extend_from_slice(&v3[1..v3.len() - names.len()]);
        let read = decode(&v2).expect("reads version 2");
        assert_eq!((read.id, read.quantity), (ticket.id, 2));
        assert!(read.attendee_names.is_empty());
    }

    /// Statuses are stored by variant index: reordering them would change what old tickets say.
    #[test]
    fn stored_variant_indexes_never_change() {
        let statuses = [
            TicketStatus::Pending,
            TicketStatus::Booked,
            TicketStatus::Cancelled,
            TicketStatus::Expired,
        ];
        assert_eq!(variant_indexes(&statuses), [0, 1, 2, 3]);
    }
}
