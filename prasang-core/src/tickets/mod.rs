//! Tickets: booking, payment confirmation, cancellation and expiry of seats.
//!
//! Every change is one sled transaction over the sale state, the ticket, its indexes and the log,
//! so seat counters and tickets can never disagree: a seat is taken exactly once and released
//! exactly once. Bookings queue for one writer that decides everything waiting in arrival order
//! and writes it as one transaction (group booking, [`group`]).

mod booking;
pub(crate) mod group;
pub(crate) mod held;
mod names;
mod order;
pub(crate) mod record;
mod release;
mod shop;

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

pub use booking::{BookingLine, BookingRequest};
pub(crate) use booking::{uses_count, write_batch};
pub(crate) use group::NewGuest;
pub use group::{BookingOutcome, PendingBooking};
pub use record::{TicketLine, TicketStatus};
pub use shop::{Quote, QuoteLine};

use crate::auth::Actor;
use crate::context::Context;
use crate::error::{CommonError, ErrorInfo, Subject, domain_error};
use crate::events::TicketTypeId;
use crate::events::record as event_record;
use crate::ids::{EventId, TicketId, UserId};
use crate::paging::{self, Page, PageRequest};
use crate::promo::PromoRefusal;
use crate::store::{Store, StoreError, keys};
use crate::time::Timestamp;
use crate::validate::FieldError;
use crate::waiting_room::PassRefusal;
use crate::waiting_room::gate::Turned;

/// A ticket: one booking of one or more seats of one event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ticket {
    /// The ticket's id.
    pub id: TicketId,
    /// The event.
    pub event: EventId,
    /// The holder.
    pub user: UserId,
    /// Seats.
    pub quantity: u32,
    /// Where it is in its life.
    pub status: TicketStatus,
    /// What was charged for all seats at booking time (after any discount), minor units.
    pub amount_minor: u64,
    /// Seats per ticket type, at the prices charged then.
    pub lines: Vec<TicketLine>,
    /// The promo code used, upper case.
    pub promo_code: Option<String>,
    /// Seats the promo code was used for (0 without one).
    pub promo_seats: u32,
    /// What the promo code took off, minor units (the sum over the lines).
    pub discount_minor: u64,
    /// One attendee name per seat, in seat order (`""`: unnamed); empty when the booking gave
    /// none. The holder may change them until the event starts.
    pub attendee_names: Vec<String>,
    /// When it was booked.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
    /// For pending tickets: when the hold lapses.
    pub expires_at: Option<Timestamp>,
}

/// Errors of the tickets API.
#[derive(Debug, thiserror::Error)]
pub enum TicketError {
    /// Not enough seats left.
    #[error("sold out: {remaining} seats left")]
    SoldOut {
        /// Seats still available.
        remaining: u32,
    },
    /// The user would hold more seats than the event allows per person.
    #[error("you can hold at most {limit} seats for this event and already hold {held}")]
    LimitReached {
        /// The per-user limit.
        limit: u32,
        /// Seats the user holds already.
        held: u32,
    },
    /// The event is not selling (cancelled or already started).
    #[error("tickets for this event are not on sale: {0}")]
    NotOnSale(&'static str),
    /// The idempotency key was used before for a different request.
    #[error("this idempotency key was already used for a different booking")]
    IdempotencyKeyReused,
    /// The ticket is not in a state that allows this.
    #[error("the ticket is {0:?}, so this is not possible")]
    WrongStatus(TicketStatus),
    /// Not enough seats of a ticket type are left (its quota).
    #[error("only {remaining} seats of this ticket type are left")]
    TypeSoldOut {
        /// Seats of the type still available.
        remaining: u32,
    },
    /// A line asks for fewer or more seats of its type than one booking may.
    #[error("{}", order_limit(*min, *max))]
    OrderLimit {
        /// Fewest seats of the type per booking.
        min: u32,
        /// Most seats of the type per booking.
        max: Option<u32>,
    },
    /// The promo code cannot be used for this booking.
    #[error("{}", field.message)]
    PromoRefused {
        /// Why.
        refusal: PromoRefusal,
        /// The field at fault (`promo_code`) with the reason in words.
        field: FieldError,
    },
    /// One line of a booking with lines was refused; nothing was booked. Its kind and code are
    /// those of `refusal`.
    #[error("lines[{line}] ({name}): {refusal}")]
    InLine {
        /// The line's index in the request's `lines`, from 0.
        line: usize,
        /// The ticket type it named.
        ticket_type: TicketTypeId,
        /// The type's name (empty when the event has no such type).
        name: String,
        /// Why it does not fit.
        refusal: Box<TicketError>,
    },
    /// A waiting-list offer to accept is no longer open (accepted, declined, lapsed or
    /// withdrawn).
    #[error("this waiting list offer is no longer open")]
    OfferGone,
    /// A guest checkout's address got an account between the checkout's look-up and its
    /// booking (a race with another checkout or a registration). Internal: the guests API books
    /// again for that account and never returns it.
    #[doc(hidden)]
    #[error("this e-mail address got an account meanwhile; please try again")]
    GuestAddressTaken,
    /// Attendee names can no longer change: the event has started or was cancelled.
    #[error("attendee names can no longer be changed: the event has started or was cancelled")]
    NamesLocked,
    /// The event's sale has a waiting room that is on, and the booking carries no pass: join
    /// the room and book once admitted.
    #[error("{}", pass_required(*position, *estimated_wait_secs))]
    PassRequired {
        /// The booker's position in the queue, while they wait there.
        position: Option<u64>,
        /// Seconds until their turn, when known.
        estimated_wait_secs: Option<u64>,
    },
    /// The waiting-room pass given is not the booker's live pass for this event.
    #[error("{0}")]
    PassInvalid(PassRefusal),
    /// Shared refusals and failures: invalid field, event or ticket not found, forbidden,
    /// storage.
    #[error(transparent)]
    Common(#[from] CommonError),
}

domain_error!(TicketError {
    TicketError::SoldOut { .. } => ErrorInfo::new(Conflict, "sold-out", "Sold out"),
    TicketError::LimitReached { .. } => ErrorInfo::new(Conflict, "limit-reached", "Per-person limit reached"),
    TicketError::NotOnSale(_) => ErrorInfo::new(Conflict, "not-on-sale", "Not on sale"),
    TicketError::IdempotencyKeyReused => ErrorInfo::new(InvalidInput, "idempotency-key-reused", "Idempotency key reused"),
    TicketError::WrongStatus(_) => ErrorInfo::new(Conflict, "wrong-ticket-status", "Ticket in the wrong state"),
    TicketError::TypeSoldOut { .. } => ErrorInfo::new(Conflict, "ticket-type-sold-out", "Ticket type sold out"),
    TicketError::OrderLimit { .. } => ErrorInfo::new(InvalidInput, "order-limit", "Seats per booking out of range"),
    TicketError::PromoRefused { refusal, .. } => promo_info(*refusal),
    TicketError::OfferGone => ErrorInfo::new(Conflict, "waitlist-offer-gone", "Offer no longer open"),
    TicketError::NamesLocked => ErrorInfo::new(Conflict, "attendee-names-locked", "Names can no longer change"),
    TicketError::GuestAddressTaken => ErrorInfo::new(Conflict, "guest-address-taken", "Please try again"),
    TicketError::InLine { refusal, .. } => refusal.info(),
    TicketError::PassRequired { .. } => ErrorInfo::new(RateLimited, "pass-required", "Waiting room pass required"),
    TicketError::PassInvalid(_) => ErrorInfo::new(Forbidden, "pass-invalid", "Invalid waiting room pass"),
} fields {
    TicketError::PromoRefused { field, .. } => Some(field),
    TicketError::InLine { refusal, .. } => refusal.field(),
});

impl TicketError {
    /// For a refused line of a booking: its index in `lines` and the ticket type it named.
    pub fn line(&self) -> Option<(usize, TicketTypeId)> {
        match self {
            TicketError::InLine {
                line, ticket_type, ..
            } => Some((*line, *ticket_type)),
            _ => None,
        }
    }
}

impl From<PromoRefusal> for TicketError {
    fn from(refusal: PromoRefusal) -> Self {
        TicketError::PromoRefused {
            field: FieldError::new("promo_code", refusal.message()),
            refusal,
        }
    }
}

impl From<Turned> for TicketError {
    fn from(turned: Turned) -> Self {
        match turned {
            Turned::NoPass {
                position,
                estimated_wait_secs,
            } => TicketError::PassRequired {
                position,
                estimated_wait_secs,
            },
            Turned::BadPass(refusal) => TicketError::PassInvalid(refusal),
        }
    }
}

fn pass_required(position: Option<u64>, estimated_wait_secs: Option<u64>) -> String {
    let join = "this sale has a waiting room: join it and book once admitted";
    match (position, estimated_wait_secs) {
        (Some(position), Some(secs)) => {
            format!("{join}; you are number {position} in the queue (about {secs} s to go)")
        }
        (Some(position), None) => format!("{join}; you are number {position} in the queue"),
        _ => join.to_owned(),
    }
}

fn order_limit(min: u32, max: Option<u32>) -> String {
    match max {
        Some(max) => format!("book {min} to {max} seats of this ticket type at a time"),
        None => format!("book at least {min} seats of this ticket type at a time"),
    }
}

/// Each promo refusal has its own code, so clients can tell them apart.
fn promo_info(refusal: PromoRefusal) -> ErrorInfo {
    use crate::error::ErrorKind::{Conflict, InvalidInput};
    match refusal {
        PromoRefusal::Unknown => {
            ErrorInfo::new(InvalidInput, "promo-code-unknown", "Unknown promo code")
        }
        PromoRefusal::Inactive => {
            ErrorInfo::new(Conflict, "promo-code-inactive", "Promo code inactive")
        }
        PromoRefusal::NotYetValid => ErrorInfo::new(
            Conflict,
            "promo-code-not-yet-valid",
            "Promo code not valid yet",
        ),
        PromoRefusal::Expired => {
            ErrorInfo::new(Conflict, "promo-code-expired", "Promo code expired")
        }
        PromoRefusal::UsedUp { .. } => {
            ErrorInfo::new(Conflict, "promo-code-used-up", "Promo code used up")
        }
        PromoRefusal::NotApplicable => ErrorInfo::new(
            InvalidInput,
            "promo-code-not-applicable",
            "Promo code not applicable",
        ),
        PromoRefusal::AlreadyUsed => ErrorInfo::new(
            Conflict,
            "promo-code-already-used",
            "Promo code already used",
        ),
    }
}

/// The refusal for a ticket that does not exist or that the caller may not see (the same, so
/// ids cannot be probed).
pub(crate) const NO_SUCH_TICKET: CommonError = CommonError::NotFound(Subject::Ticket);

/// Tickets. Obtained from [`crate::Prasang::tickets`].
pub struct Tickets<'a> {
    pub(crate) inner: &'a Context,
    pub(crate) booking: &'a group::BookingQueue,
}

/// Ticket `id` if `actor` may see it (its holder, the event's organizer, admins); `None`
/// otherwise, as for a ticket that does not exist, so ids cannot be probed.
pub(crate) fn visible_to(
    store: &Store,
    actor: &Actor,
    id: TicketId,
) -> Result<Option<Ticket>, StoreError> {
    let Some(ticket) = record::load(store, id)? else {
        return Ok(None);
    };
    let visible = ticket.user == actor.user_id()
        || event_record::sale_state(store, ticket.event)?.is_some_and(|sale| sale.is_run_by(actor));
    Ok(visible.then_some(ticket))
}

impl Tickets<'_> {
    /// A ticket, visible to its holder, the event's organizer and admins; anyone else gets
    /// `NotFound` so ids cannot be probed.
    pub fn get(&self, actor: &Actor, id: TicketId) -> Result<Ticket, TicketError> {
        Ok(visible_to(&self.inner.store, actor, id)?.ok_or(NO_SUCH_TICKET)?)
    }

    /// The caller's tickets, oldest first.
    pub fn list_mine(
        &self,
        actor: &Actor,
        page: &PageRequest,
    ) -> Result<Page<Ticket>, TicketError> {
        let prefix = actor.user_id().to_bytes();
        self.list_index(&self.inner.store.tickets_by_user, &prefix, page)
    }

    /// An event's tickets, oldest first (its organizer and admins).
    pub fn list_for_event(
        &self,
        actor: &Actor,
        event: EventId,
        page: &PageRequest,
    ) -> Result<Page<Ticket>, TicketError> {
        event_record::require_run_by(
            &self.inner.store,
            actor,
            event,
            "only the event's organizer can list its tickets",
        )?;
        let prefix = event.to_bytes();
        self.list_index(&self.inner.store.tickets_by_event, &prefix, page)
    }

    /// The names of the people among `users` who hold or held a ticket for `event`, for its
    /// organizer and admins (the attendee list, the names beside feedback). Anyone else in
    /// `users` is left out, so the call reveals no name of a stranger.
    pub fn attendee_names(
        &self,
        actor: &Actor,
        event: EventId,
        users: &[UserId],
    ) -> Result<HashMap<UserId, String>, TicketError> {
        event_record::require_run_by(
            &self.inner.store,
            actor,
            event,
            "only the event's organizer can see its attendees",
        )?;
        let mut names = HashMap::new();
        for &user in users {
            if names.contains_key(&user) || !self.ever_held(user, event)? {
                continue;
            }
            if let Some(record) = crate::users::record::load(&self.inner.store, user)? {
                names.insert(user, record.name);
            }
        }
        Ok(names)
    }

    /// Whether `user` has (or had: cancelled and expired tickets stay) a ticket for `event`.
    fn ever_held(&self, user: UserId, event: EventId) -> Result<bool, StoreError> {
        for key in self
            .inner
            .store
            .tickets_by_user
            .scan_prefix(user.to_bytes())
            .keys()
        {
            let Some(id) = keys::ticket_from_index_key(&key?) else {
                continue;
            };
            if self.load(id)?.is_some_and(|ticket| ticket.event == event) {
                return Ok(true);
            }
        }
        Ok(false)
    }

    fn list_index(
        &self,
        index: &sled::Tree,
        prefix: &[u8],
        page: &PageRequest,
    ) -> Result<Page<Ticket>, TicketError> {
        Ok(paging::scan(
            index,
            prefix,
            prefix,
            page,
            |key| match keys::ticket_from_index_key(key) {
                Some(id) => self.load(id),
                None => Ok(None),
            },
        )?)
    }

    fn load(&self, id: TicketId) -> Result<Option<Ticket>, StoreError> {
        record::load(&self.inner.store, id)
    }
}
