//! What the `tickets` tree stores: [`TicketRecord`], version 1.

use serde::{Deserialize, Serialize};

use super::Ticket;
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

/// A ticket as stored: the same fields in the same order as version 1, which stored the API
/// `Ticket` itself, so version-1 values read as they are.
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
}

impl Record for TicketRecord {
    const TREE: &'static str = "tickets";
    const VERSION: u8 = 1;
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
        }
    }
}

impl TicketRecord {
    /// The ticket as the API shows it.
    pub(crate) fn into_api(self) -> Ticket {
        Ticket {
            id: self.id,
            event: self.event,
            user: self.user,
            quantity: self.quantity,
            status: self.status,
            amount_minor: self.amount_minor,
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
