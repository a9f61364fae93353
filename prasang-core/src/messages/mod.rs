//! Messages from organizers to the attendees of one event, delivered through each recipient's
//! notification channels.

use serde::{Deserialize, Serialize};

use crate::events::TicketTypeId;

/// Who a message is for, among one event's people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Segment {
    /// Everyone holding an active (booked or pending) ticket.
    AllHolders,
    /// Holders of seats of one ticket type.
    TicketType {
        /// The type's number within the event.
        ticket_type: TicketTypeId,
    },
    /// Holders with at least one seat admitted at the door.
    CheckedIn,
    /// Holders of booked tickets with no seat admitted yet.
    NotCheckedIn,
    /// Everyone on the event's waiting list (waiting or holding an offer).
    WaitingList,
}
