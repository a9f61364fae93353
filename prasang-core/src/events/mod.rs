//! Events: what organizers put on sale.
//!
//! An event lives in two records: its description in `events`, and its *sale state* in
//! `inventory` (seat counters plus the few fields a booking must check). A booking transaction
//! touches only the sale state, so it never reads or rewrites the description.
//!
//! This file holds the public types and the transactions that write events; [`rules`] decides
//! what a create or update makes of the records, [`record`] is how they are stored and
//! [`listing`] reads them.

pub(crate) mod attendee_names;
mod embed;
mod listing;
pub(crate) mod record;
mod rules;
pub(crate) mod types;
mod types_api;
pub(crate) mod visits;
pub use attendee_names::AttendeeNames;
pub use embed::MAX_EMBED_ORIGINS;
pub use record::EventStatus;
pub use types::{
    DEFAULT_TYPE_NAME, NewTicketType, TicketType, TicketTypeId, TicketTypeUpdate, TypeAvailability,
};

pub(crate) use record::{EventRecord, SaleState};

use serde::{Deserialize, Serialize};
use sled::transaction::{ConflictableTransactionError, TransactionalTree};

use crate::auth::Actor;
use crate::context::Context;
use crate::error::{CommonError, ErrorInfo, Subject, domain_error};
use crate::ids::{EventId, UserId};
use crate::log::{self, DomainEvent};
use crate::paging::PageRequest;
use crate::store::{StoreError, abort, codec, finish, keys, read_in_tx};
use crate::time::Timestamp;
use crate::waitlist::offers::ListTrees;
use crate::zone::EventTime;

/// Seat counters; `remaining + held + booked == capacity` always.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Seats {
    /// Seats in total.
    pub capacity: u32,
    /// Seats anyone can still book.
    pub remaining: u32,
    /// Seats in pending holds (awaiting payment).
    pub held: u32,
    /// Seats booked.
    pub booked: u32,
}

/// An event as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// The event's id.
    pub id: EventId,
    /// The organizer who owns it.
    pub organizer: UserId,
    /// Title.
    pub title: String,
    /// Description (may span lines).
    pub description: String,
    /// Where it happens.
    pub location: String,
    /// When it starts.
    pub starts_at: Timestamp,
    /// When it ends.
    pub ends_at: Timestamp,
    /// The IANA time zone it happens in (`UTC` for events created before zones existed).
    pub time_zone: String,
    /// `starts_at` as local time in `time_zone`, RFC 3339 with its offset
    /// (`2026-12-05T18:30:00+05:30`).
    pub starts_at_local: String,
    /// `ends_at` as local time in `time_zone`.
    pub ends_at_local: String,
    /// The lowest price of its listed ticket types ("from"), in minor units (cents); 0 for
    /// free events. Each type has its own price ([`Events::ticket_types`]).
    pub price_minor: u64,
    /// ISO 4217 currency code.
    pub currency: String,
    /// Picture for listings.
    pub image_url: Option<String>,
    /// Most seats one user may hold.
    pub per_user_limit: u32,
    /// Published or cancelled.
    pub status: EventStatus,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
    /// Seat counters, from the sale state in `inventory`.
    pub seats: Seats,
    /// Average rating and rating count, read from the analytics aggregates (never stored).
    pub rating: crate::analytics::EventRating,
    /// Whether a booking gives a name per seat.
    pub attendee_names: AttendeeNames,
}

/// A new event.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewEvent {
    /// 1–200 characters.
    pub title: String,
    /// Up to 10,000 characters.
    #[serde(default)]
    pub description: String,
    /// 1–300 characters.
    pub location: String,
    /// In the future: an RFC 3339 instant, or a local date-time (`2026-12-05T18:30`) read in
    /// `time_zone`.
    pub starts_at: EventTime,
    /// After `starts_at`; either form, like `starts_at`.
    pub ends_at: EventTime,
    /// IANA time zone such as `Asia/Kolkata`; the store's default zone (UTC unless configured
    /// with [`Config::default_time_zone`](crate::Config::default_time_zone)) when left out.
    #[serde(default)]
    pub time_zone: Option<String>,
    /// 1–1,000,000 seats.
    pub capacity: i64,
    /// Price per seat in minor units, 0 for free (the default): the price of the one
    /// "Admission" type an event made without `ticket_types` has.
    #[serde(default)]
    pub price_minor: i64,
    /// ISO 4217 code such as `EUR` (default `EUR`).
    #[serde(default = "default_currency")]
    pub currency: String,
    /// Optional http(s) picture URL.
    #[serde(default)]
    pub image_url: Option<String>,
    /// Seats one user may hold, 1–100 (default 1), across all ticket types.
    #[serde(default)]
    pub per_user_limit: Option<i64>,
    /// Its ticket types (1–50), each with its own price; left out: one "Admission" type at
    /// `price_minor`.
    #[serde(default)]
    pub ticket_types: Option<Vec<NewTicketType>>,
    /// Whether bookings give a name per seat (default `not_asked`).
    #[serde(default)]
    pub attendee_names: AttendeeNames,
}

fn default_currency() -> String {
    "EUR".into()
}

/// Changes to an event; `None` leaves a field as it is. The seat counters cannot be set.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventUpdate {
    /// New title.
    pub title: Option<String>,
    /// New description.
    pub description: Option<String>,
    /// New location.
    pub location: Option<String>,
    /// New start (in the future): an instant, or a local date-time read in the event's zone
    /// (the new `time_zone` when this update sets one).
    pub starts_at: Option<EventTime>,
    /// New end, either form.
    pub ends_at: Option<EventTime>,
    /// New IANA time zone. Times not given in the same update keep their instants (their local
    /// times move).
    pub time_zone: Option<String>,
    /// New capacity: at least the seats already held or booked.
    pub capacity: Option<i64>,
    /// New price per seat of an event with one ticket type (existing tickets keep theirs); an
    /// event with several types changes each type's price instead.
    pub price_minor: Option<i64>,
    /// New currency.
    pub currency: Option<String>,
    /// New picture; `Some(None)` removes it.
    #[serde(default, with = "double_option")]
    pub image_url: Option<Option<String>>,
    /// New per-user limit.
    pub per_user_limit: Option<i64>,
    /// Whether bookings give a name per seat from now on (tickets keep the names they have).
    pub attendee_names: Option<AttendeeNames>,
}

/// A field that can be left out (`None`), set (`Some(Some(_))`) or removed with `null`
/// (`Some(None)`).
mod double_option {
    use serde::{Deserialize, Deserializer};

    pub(super) fn deserialize<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
        d: D,
    ) -> Result<Option<Option<T>>, D::Error> {
        Option::<T>::deserialize(d).map(Some)
    }
}

/// What to list.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct EventQuery {
    /// Case-insensitive text to find in title, description or location.
    pub text: Option<String>,
    /// Only events starting on this calendar date (`YYYY-MM-DD`) in their own time zone.
    pub local_date: Option<String>,
    /// Paging.
    #[serde(flatten)]
    pub page: PageRequest,
}

/// Errors of the events API.
#[derive(Debug, thiserror::Error)]
pub enum EventError {
    /// Capacity below the seats already held or booked.
    #[error("capacity cannot drop below the {sold} seats already sold or held")]
    CapacityBelowSold {
        /// Seats held or booked.
        sold: u32,
    },
    /// A cancelled event cannot change.
    #[error("the event is cancelled")]
    Cancelled,
    /// An event with tickets cannot be deleted (cancel it instead).
    #[error("the event has tickets; cancel it instead of deleting it")]
    HasTickets,
    /// A ticket type with tickets cannot be deleted (close it instead).
    #[error("tickets of this type were issued; close it instead of deleting it")]
    TypeHasTickets,
    /// An event keeps at least one ticket type.
    #[error("an event needs at least one ticket type")]
    LastType,
    /// A type's quota below the seats of it already held or booked.
    #[error("the quota cannot drop below the {sold} seats of this type already sold or held")]
    QuotaBelowSold {
        /// Seats of the type held or booked.
        sold: u32,
    },
    /// Shared refusals and failures: invalid field, event not found, forbidden, storage.
    #[error(transparent)]
    Common(#[from] CommonError),
}

domain_error!(EventError {
    EventError::CapacityBelowSold { .. } => ErrorInfo::new(Conflict, "capacity-below-sold", "Capacity too small"),
    EventError::Cancelled => ErrorInfo::new(Conflict, "event-cancelled", "Event cancelled"),
    EventError::HasTickets => ErrorInfo::new(Conflict, "event-has-tickets", "Event has tickets"),
    EventError::TypeHasTickets => ErrorInfo::new(Conflict, "ticket-type-has-tickets", "Ticket type has tickets"),
    EventError::LastType => ErrorInfo::new(Conflict, "last-ticket-type", "Last ticket type"),
    EventError::QuotaBelowSold { .. } => ErrorInfo::new(Conflict, "quota-below-sold", "Quota too small"),
});

/// The trees of [`Events::write_whole`], as its transaction sees them.
struct EventTrees<'t> {
    events: &'t TransactionalTree,
    by_start: &'t TransactionalTree,
    by_organizer: &'t TransactionalTree,
    inventory: &'t TransactionalTree,
    log: &'t TransactionalTree,
}

const NO_SUCH_EVENT: CommonError = CommonError::NotFound(Subject::Event);
const NO_SUCH_TYPE: CommonError = CommonError::NotFound(Subject::TicketType);

/// Inside a transaction: the records of event `key`, if it exists, is not cancelled and `actor`
/// runs it (else `refusal` as the forbidden message).
fn live_event_run_by(
    actor: &Actor,
    key: &[u8],
    inventory: &TransactionalTree,
    events: &TransactionalTree,
    refusal: &'static str,
) -> Result<(SaleState, EventRecord), ConflictableTransactionError<EventError>> {
    let sale = SaleState::read_in_tx(inventory, key)?;
    if !sale.is_run_by(actor) {
        return Err(abort(CommonError::Forbidden(refusal)));
    }
    if sale.status == EventStatus::Cancelled {
        return Err(abort(EventError::Cancelled));
    }
    let bytes = events.get(key)?.ok_or_else(|| abort(NO_SUCH_EVENT))?;
    Ok((sale, read_in_tx(&bytes)?))
}

/// Events. Obtained from [`crate::Prasang::events`].
pub struct Events<'a> {
    pub(crate) inner: &'a Context,
}

impl<'a> Events<'a> {
    pub(crate) fn new(inner: &'a Context) -> Self {
        Events { inner }
    }
}

impl Events<'_> {
    /// Creates and publishes an event (organizers and admins).
    pub fn create(&self, actor: &Actor, new: NewEvent) -> Result<Event, EventError> {
        if !actor.can_organize() {
            return Err(CommonError::Forbidden("only organizers can create events").into());
        }
        let now = self.inner.now();
        let (event, sale) = rules::new_event(
            &new,
            EventId::generate(),
            actor.user_id(),
            now,
            &self.inner.config.default_time_zone,
        )?;
        let id = event.id.to_bytes();
        let record = codec::write(&event);
        let sale_record = codec::write(&sale);
        self.write_whole(|trees| {
            trees.events.insert(&id, record.as_slice())?;
            trees.inventory.insert(&id, sale_record.as_slice())?;
            let by_start = keys::event_by_start(event.starts_at, event.id);
            trees.by_start.insert(&by_start, &[])?;
            let by_organizer = keys::event_by_organizer(event.organizer, event.id);
            trees.by_organizer.insert(&by_organizer, &[])?;
            let created = DomainEvent::EventCreated {
                event: event.id,
                organizer: event.organizer,
                capacity: sale.seats.capacity,
                starts_at: event.starts_at,
            };
            log::append(trees.log, now, &created)?;
            Ok(())
        })?;
        Ok(event.into_api(sale.seats, sale.attendee_names))
    }

    /// Runs `body` as one transaction over every tree that holds part of an event (its
    /// description, sale state, both indexes) and the log, then waits until it is durable and
    /// wakes log consumers: how an event comes and goes.
    fn write_whole(
        &self,
        body: impl Fn(EventTrees<'_>) -> Result<(), ConflictableTransactionError<EventError>>,
    ) -> Result<(), EventError> {
        let store = &self.inner.store;
        finish::<_, EventError>(store.transaction(
            (
                &store.events,
                &store.events_by_start,
                &store.events_by_organizer,
                &store.inventory,
                &store.log,
            ),
            |(events, by_start, by_organizer, inventory, log)| {
                body(EventTrees {
                    events,
                    by_start,
                    by_organizer,
                    inventory,
                    log,
                })
            },
        ))?;
        Ok(self.inner.committed_with_log()?)
    }

    /// `event` with its ratings from the analytics aggregates (a transaction cannot read them).
    fn with_rating(&self, mut event: Event) -> Result<Event, StoreError> {
        event.rating = crate::analytics::event_rating(self.inner, event.id)?;
        Ok(event)
    }

    /// Changes an event (its organizer or an admin). Seat counters are kept; capacity may not
    /// drop below the seats held or booked.
    pub fn update(
        &self,
        actor: &Actor,
        id: EventId,
        update: EventUpdate,
    ) -> Result<Event, EventError> {
        let now = self.inner.now();
        let update = update.validate()?;
        let store = &self.inner.store;
        let key = id.to_bytes();
        let event = finish::<_, EventError>(store.transaction(
            (
                &store.events,
                &store.events_by_start,
                &store.inventory,
                &store.log,
                &store.waitlist,
            ),
            |(events, by_start, inventory, log, waitlist)| {
                let (sale, event) = live_event_run_by(
                    actor,
                    &key,
                    inventory,
                    events,
                    "only the event's organizer can change it",
                )?;
                let changes = rules::apply_update(&event, &sale, &update, now).map_err(abort)?;
                let (new, mut sale) = (changes.event, changes.sale);
                if changes.changed.is_empty() {
                    return Ok(new.into_api(sale.seats, sale.attendee_names));
                }
                if new.starts_at != event.starts_at {
                    by_start.remove(&keys::event_by_start(event.starts_at, id))?;
                    by_start.insert(&keys::event_by_start(new.starts_at, id), &[])?;
                }
                events.insert(&key, codec::write(&new))?;
                let updated = DomainEvent::EventUpdated {
                    event: id,
                    changed: changes.changed,
                };
                log::append(log, now, &updated)?;
                // A raised capacity (or a later start) may free seats for the waiting list.
                ListTrees { waitlist, log }.offer_freed(&mut sale, id, now)?;
                inventory.insert(&key, codec::write(&sale))?;
                Ok(new.into_api(sale.seats, sale.attendee_names))
            },
        ))?;
        self.inner.committed_with_log()?;
        Ok(self.with_rating(event)?)
    }

    /// Cancels an event (its organizer or an admin): it leaves the listing and stops selling.
    /// Tickets stay as they are so their holders can be told.
    pub fn cancel(&self, actor: &Actor, id: EventId) -> Result<Event, EventError> {
        let now = self.inner.now();
        let store = &self.inner.store;
        let key = id.to_bytes();
        let event = finish::<_, EventError>(store.transaction(
            (&store.events, &store.inventory, &store.log),
            |(events, inventory, log)| {
                let (mut sale, mut event) = live_event_run_by(
                    actor,
                    &key,
                    inventory,
                    events,
                    "only the event's organizer can cancel it",
                )?;
                let previous = sale.status;
                sale.status = EventStatus::Cancelled;
                event.status = EventStatus::Cancelled;
                event.updated_at = now;
                events.insert(&key, codec::write(&event))?;
                inventory.insert(&key, codec::write(&sale))?;
                log::append(
                    log,
                    now,
                    &DomainEvent::EventCancelled {
                        event: id,
                        previous,
                    },
                )?;
                Ok(event.into_api(sale.seats, sale.attendee_names))
            },
        ))?;
        self.inner.committed_with_log()?;
        Ok(self.with_rating(event)?)
    }

    /// Deletes an event that never issued a ticket (its organizer or an admin).
    pub fn delete(&self, actor: &Actor, id: EventId) -> Result<(), EventError> {
        let now = self.inner.now();
        let key = id.to_bytes();
        self.write_whole(|trees| {
            let sale = SaleState::read_in_tx(trees.inventory, &key)?;
            if !sale.is_run_by(actor) {
                return Err(abort(CommonError::Forbidden(
                    "only the event's organizer can delete it",
                )));
            }
            if sale.tickets_issued > 0 {
                return Err(abort(EventError::HasTickets));
            }
            trees.events.remove(&key)?;
            trees.inventory.remove(&key)?;
            trees
                .by_start
                .remove(&keys::event_by_start(sale.starts_at, id))?;
            trees
                .by_organizer
                .remove(&keys::event_by_organizer(sale.organizer, id))?;
            log::append(trees.log, now, &DomainEvent::EventDeleted { event: id })?;
            Ok(())
        })
    }
}
