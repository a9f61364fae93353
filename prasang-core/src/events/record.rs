//! What the `events` and `inventory` trees store: [`EventRecord`] (version 2) and [`SaleState`]
//! (version 1).

use serde::{Deserialize, Serialize};

use sled::transaction::{ConflictableTransactionError, TransactionalTree};

use super::{Event, EventStatus, NO_SUCH_EVENT, Seats};
use crate::auth::Actor;
use crate::error::CommonError;
use crate::ids::{EventId, UserId};
use crate::store::codec::Record;
use crate::store::{StoreError, abort, read_in_tx};
use crate::time::Timestamp;

/// An event's description as stored in `events`.
///
/// Version 1 stored the API `Event`, whose last field was a copy of the seat counters that was
/// never read (the counters live in the sale state). Version 2 is the same fields without it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct EventRecord {
    pub(crate) id: EventId,
    pub(crate) organizer: UserId,
    pub(crate) title: String,
    pub(crate) description: String,
    pub(crate) location: String,
    /// Also in the sale state, which bookings read; this copy orders `events_by_start`.
    pub(crate) starts_at: Timestamp,
    pub(crate) ends_at: Timestamp,
    pub(crate) price_minor: u64,
    pub(crate) currency: String,
    pub(crate) image_url: Option<String>,
    pub(crate) per_user_limit: u32,
    pub(crate) status: EventStatus,
    pub(crate) created_at: Timestamp,
    pub(crate) updated_at: Timestamp,
}

impl Record for EventRecord {
    const TREE: &'static str = "events";
    const VERSION: u8 = 2;

    fn read_older(version: u8, body: &[u8]) -> Option<postcard::Result<Self>> {
        // Postcard writes a tuple as its parts in order, so a version-1 body is exactly a
        // version-2 body followed by the unused seat counters, which are dropped.
        (version == 1).then(|| {
            postcard::from_bytes::<(EventRecord, SeatCounters)>(body).map(|(event, _)| event)
        })
    }
}

impl EventRecord {
    /// The event as the API shows it, with the seat counters of its sale state (and no ratings:
    /// [`Events::load`](super::Events) adds them from the analytics aggregates).
    pub(crate) fn into_api(self, seats: SeatCounters) -> Event {
        Event {
            id: self.id,
            organizer: self.organizer,
            title: self.title,
            description: self.description,
            location: self.location,
            starts_at: self.starts_at,
            ends_at: self.ends_at,
            price_minor: self.price_minor,
            currency: self.currency,
            image_url: self.image_url,
            per_user_limit: self.per_user_limit,
            status: self.status,
            created_at: self.created_at,
            updated_at: self.updated_at,
            seats: seats.into(),
            rating: Default::default(),
        }
    }
}

/// Seat counters as stored; `remaining + held + booked == capacity` always.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub(crate) struct SeatCounters {
    pub(crate) capacity: u32,
    pub(crate) remaining: u32,
    pub(crate) held: u32,
    pub(crate) booked: u32,
}

impl SeatCounters {
    /// All `capacity` seats free.
    pub(crate) fn empty(capacity: u32) -> Self {
        SeatCounters {
            capacity,
            remaining: capacity,
            held: 0,
            booked: 0,
        }
    }
}

impl From<SeatCounters> for Seats {
    fn from(seats: SeatCounters) -> Self {
        Seats {
            capacity: seats.capacity,
            remaining: seats.remaining,
            held: seats.held,
            booked: seats.booked,
        }
    }
}

/// The sale state in `inventory`: everything a booking checks and changes, so a booking never
/// reads or rewrites the event's description.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct SaleState {
    pub(crate) organizer: UserId,
    pub(crate) seats: SeatCounters,
    pub(crate) per_user_limit: u32,
    pub(crate) price_minor: u64,
    pub(crate) starts_at: Timestamp,
    pub(crate) status: EventStatus,
    /// Tickets ever issued (any status); an event with tickets cannot be deleted.
    pub(crate) tickets_issued: u64,
}

impl Record for SaleState {
    const TREE: &'static str = "inventory";
    const VERSION: u8 = 1;
}

impl SaleState {
    /// The sale state of a new event: every seat free, nothing issued.
    pub(crate) fn of_new(event: &EventRecord, capacity: u32) -> Self {
        SaleState {
            organizer: event.organizer,
            seats: SeatCounters::empty(capacity),
            per_user_limit: event.per_user_limit,
            price_minor: event.price_minor,
            starts_at: event.starts_at,
            status: event.status,
            tickets_issued: 0,
        }
    }

    /// Inside a transaction: the sale state of the event keyed `key`, or `NotFound`.
    pub(crate) fn read_in_tx<E: From<CommonError> + From<StoreError>>(
        inventory: &TransactionalTree,
        key: &[u8],
    ) -> Result<SaleState, ConflictableTransactionError<E>> {
        let bytes = inventory.get(key)?.ok_or_else(|| abort(NO_SUCH_EVENT))?;
        read_in_tx(&bytes)
    }

    /// Whether `actor` runs this event (its organizer, or an admin).
    pub(crate) fn is_run_by(&self, actor: &Actor) -> bool {
        actor.can_manage(self.organizer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::codec::{self, variant_indexes};

    fn record() -> EventRecord {
        let at = Timestamp::from_millis(1_900_000_000_000);
        EventRecord {
            id: EventId::generate(),
            organizer: UserId::generate(),
            title: "RustConf".into(),
            description: String::new(),
            location: "Montreal".into(),
            starts_at: at,
            ends_at: at,
            price_minor: 0,
            currency: "EUR".into(),
            image_url: Some("https://example.org/p.png".into()),
            per_user_limit: 2,
            status: EventStatus::Published,
            created_at: at,
            updated_at: at,
        }
    }

    #[test]
    fn version_1_events_read_without_their_seat_copy() {
        let event = record();
        let stale_seats = SeatCounters::empty(5);
        let mut v1 = vec![1];
        v1.extend(postcard::to_allocvec(&(&event, stale_seats)).expect("encodes"));
        assert_eq!(codec::read::<EventRecord>(&v1).expect("reads v1"), event);
        let v2 = codec::write(&event);
        assert_eq!(v2[0], 2);
        assert_eq!(v2.len(), v1.len() - 4, "version 2 drops the four counters");
        assert_eq!(codec::read::<EventRecord>(&v2).expect("reads v2"), event);
    }

    /// Statuses are stored by variant index: reordering them would change what old events say.
    #[test]
    fn stored_variant_indexes_never_change() {
        let statuses = [EventStatus::Published, EventStatus::Cancelled];
        assert_eq!(variant_indexes(&statuses), [0, 1]);
    }
}
