//! What the `events` and `inventory` trees store: [`EventRecord`] (version 3) and [`SaleState`]
//! (version 4).

use serde::{Deserialize, Serialize};

use sled::transaction::{ConflictableTransactionError, TransactionalTree};

use super::attendee_names::AttendeeNames;
use super::types::{TicketTypeId, TypeSale};
use super::{Event, NO_SUCH_EVENT, Seats};
use crate::auth::Actor;
use crate::error::CommonError;
use crate::ids::{EventId, UserId};
use crate::store::codec::{self, Record};
use crate::store::{Store, StoreError, abort, read_in_tx};
use crate::time::Timestamp;
use crate::waitlist::state::WaitlistState;
use crate::zone::Zone;

/// Whether an event is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventStatus {
    /// Listed and on sale until it starts.
    Published,
    /// Called off: not listed, not on sale.
    Cancelled,
}

/// An event's description as stored in `events` (version 3): the time zone is its last field.
pub(crate) type EventRecord = EventRecordOf<String>;

/// The fields every version of [`EventRecord`] has, then `time_zone: Z`.
///
/// Version 1 stored the API `Event`, whose last field was a copy of the seat counters that was
/// never read (the counters live in the sale state). Version 2 is the same fields without it:
/// `EventRecordOf<()>` (a unit takes no bytes). Version 3 adds the event's time zone, an IANA
/// name checked against the tz database when it was set; older events read as UTC.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct EventRecordOf<Z> {
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
    pub(crate) time_zone: Z,
}

impl Record for EventRecord {
    const TREE: &'static str = "events";
    const VERSION: u8 = 3;

    fn read_older(version: u8, body: &[u8]) -> Option<postcard::Result<Self>> {
        if !matches!(version, 1 | 2) {
            return None;
        }
        // Postcard writes fields in order without names, so the fields both older versions
        // start with, followed by a zone, are a version-3 body. Version 1's seat counters come
        // after those fields, and are dropped with what is left after the shared fields.
        Some(
            postcard::take_from_bytes::<EventRecordOf<()>>(body).and_then(|(_, unused)| {
                let mut current = body[..body.len() - unused.len()].to_vec();
                current.extend(postcard::to_allocvec(Zone::utc().name())?);
                postcard::from_bytes(&current)
            }),
        )
    }
}

impl EventRecord {
    /// The event as the API shows it, with the seat counters of its sale state (and no ratings:
    /// [`Events::load`](super::Events) adds them from the analytics aggregates).
    pub(crate) fn into_api(self, seats: SeatCounters, attendee_names: AttendeeNames) -> Event {
        let zone = Zone::stored(&self.time_zone);
        Event {
            starts_at_local: zone.local(self.starts_at).to_rfc3339(),
            ends_at_local: zone.local(self.ends_at).to_rfc3339(),
            time_zone: zone.name().to_owned(),
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
            attendee_names,
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

/// The sale state in `inventory` (version 2): everything a booking checks and changes, so a
/// booking never reads or rewrites the event's description. Version 2 replaced the one price
/// with the event's ticket types; a version-1 state reads as one type, "Admission", at its price.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct SaleState {
    pub(crate) organizer: UserId,
    pub(crate) seats: SeatCounters,
    pub(crate) per_user_limit: u32,
    pub(crate) starts_at: Timestamp,
    pub(crate) status: EventStatus,
    /// Tickets ever issued (any status); an event with tickets cannot be deleted.
    pub(crate) tickets_issued: u64,
    /// Its ticket types in display order (1–50).
    pub(crate) types: Vec<TypeSale>,
    /// The highest type number ever given, so a deleted type's number is never reused.
    pub(crate) last_type_id: TicketTypeId,
    /// Its waiting list, once an organizer has set one up (version 3). Kept here so every
    /// transaction that frees seats already holds what it needs to offer them on.
    pub(crate) waitlist: Option<Box<WaitlistState>>,
    /// Whether bookings carry a name per seat (version 4), read by the booking transaction.
    pub(crate) attendee_names: AttendeeNames,
}

/// The sale state as version 1 stored it: one price for every seat.
#[derive(Deserialize)]
struct SaleStateV1 {
    organizer: UserId,
    seats: SeatCounters,
    per_user_limit: u32,
    price_minor: u64,
    starts_at: Timestamp,
    status: EventStatus,
    tickets_issued: u64,
}

impl From<SaleStateV1> for SaleState {
    fn from(v1: SaleStateV1) -> Self {
        let admission = TypeSale {
            held: v1.seats.held,
            booked: v1.seats.booked,
            tickets_issued: u32::try_from(v1.tickets_issued).unwrap_or(u32::MAX),
            ..TypeSale::admission(v1.price_minor)
        };
        SaleState {
            organizer: v1.organizer,
            seats: v1.seats,
            per_user_limit: v1.per_user_limit,
            starts_at: v1.starts_at,
            status: v1.status,
            tickets_issued: v1.tickets_issued,
            last_type_id: admission.id,
            types: vec![admission],
            waitlist: None,
            attendee_names: AttendeeNames::NotAsked,
        }
    }
}

impl Record for SaleState {
    const TREE: &'static str = "inventory";
    const VERSION: u8 = 4;

    fn read_older(version: u8, body: &[u8]) -> Option<postcard::Result<Self>> {
        match version {
            1 => Some(postcard::from_bytes::<SaleStateV1>(body).map(SaleState::from)),
            // Version 3 appended the waiting list, version 4 the attendee-names policy: a
            // version-2 body reads with `None` and `NotAsked` (a zero byte each).
            2 => Some(postcard::from_bytes(&[body, &[0, 0]].concat())),
            3 => Some(postcard::from_bytes(&[body, &[0]].concat())),
            _ => None,
        }
    }
}

impl SaleState {
    /// The sale state of a new event: every seat free, nothing issued, its first types.
    pub(crate) fn of_new(event: &EventRecord, capacity: u32, types: Vec<TypeSale>) -> Self {
        SaleState {
            organizer: event.organizer,
            seats: SeatCounters::empty(capacity),
            per_user_limit: event.per_user_limit,
            starts_at: event.starts_at,
            status: event.status,
            tickets_issued: 0,
            last_type_id: types.iter().map(|t| t.id).max().unwrap_or(0),
            types,
            waitlist: None,
            attendee_names: AttendeeNames::NotAsked,
        }
    }

    /// A number for a new type of this event.
    pub(crate) fn next_type_id(&mut self) -> TicketTypeId {
        self.last_type_id += 1;
        self.last_type_id
    }

    /// Type `id` of this event.
    pub(crate) fn ticket_type(&self, id: TicketTypeId) -> Option<&TypeSale> {
        self.types.iter().find(|sale_type| sale_type.id == id)
    }

    /// Type `id` of this event, to change.
    pub(crate) fn ticket_type_mut(&mut self, id: TicketTypeId) -> Option<&mut TypeSale> {
        self.types.iter_mut().find(|sale_type| sale_type.id == id)
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

/// The stored description of event `id`.
pub(crate) fn load(store: &Store, id: EventId) -> Result<Option<EventRecord>, StoreError> {
    codec::get(&store.events, &id.to_bytes())
}

/// The sale state of event `id`.
pub(crate) fn sale_state(store: &Store, id: EventId) -> Result<Option<SaleState>, StoreError> {
    codec::get(&store.inventory, &id.to_bytes())
}

/// Checks `actor` runs event `id` (its organizer, or an admin): the rule every sub-API that
/// shows or changes an event's own data asks. No such event is `NotFound`; someone else's is
/// `Forbidden(refusal)`.
pub(crate) fn require_run_by(
    store: &Store,
    actor: &Actor,
    id: EventId,
    refusal: &'static str,
) -> Result<SaleState, CommonError> {
    let sale = sale_state(store, id)?.ok_or(NO_SUCH_EVENT)?;
    if !sale.is_run_by(actor) {
        return Err(CommonError::Forbidden(refusal));
    }
    Ok(sale)
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
            time_zone: "Asia/Kolkata".into(),
        }
    }

    /// A version-2 body: the version-3 fields without the zone (postcard writes fields in
    /// order, so that is the version-3 encoding with the trailing string cut off).
    fn v2_body(event: &EventRecord) -> Vec<u8> {
        let v3 = postcard::to_allocvec(event).expect("encodes");
        let zone = postcard::to_allocvec(&event.time_zone).expect("encodes");
        v3[..v3.len() - zone.len()].to_vec()
    }

    #[test]
    fn versions_1_and_2_read_as_utc_without_the_seat_copy() {
        let event = record();
        let in_utc = EventRecord {
            time_zone: "UTC".into(),
            ..event.clone()
        };
        let stale_seats = SeatCounters::empty(5);
        let mut v1 = vec![1];
        v1.extend(v2_body(&event));
        v1.extend(postcard::to_allocvec(&stale_seats).expect("encodes"));
        assert_eq!(codec::read::<EventRecord>(&v1).expect("reads v1"), in_utc);
        let mut v2 = vec![2];
        v2.extend(v2_body(&event));
        assert_eq!(codec::read::<EventRecord>(&v2).expect("reads v2"), in_utc);
        let v3 = codec::write(&event);
        assert_eq!(v3[0], 3);
        assert_eq!(codec::read::<EventRecord>(&v3).expect("reads v3"), event);
    }

    /// Statuses are stored by variant index: reordering them would change what old events say.
    /// A sale state of layout 2 (ticket types, no waiting list) reads as one with no list and
    /// no attendee names asked; one of layout 3 as one with no names asked: layouts 3 and 4
    /// only appended the list (`None`) and the policy (`NotAsked`), one zero byte each.
    #[test]
    fn sale_states_of_layouts_2_and_3_read_with_no_list_and_no_names() {
        let event = record();
        let sale = SaleState::of_new(&event, 40, vec![TypeSale::admission(1_500)]);
        let v4 = codec::write(&sale);
        assert_eq!((v4[0], &v4[v4.len() - 2..]), (4, &[0, 0][..]));
        let v3 = [&[3][..], &v4[1..v4.len() - 1]].concat();
        assert_eq!(codec::read::<SaleState>(&v3).expect("reads layout 3"), sale);
        let v2 = [&[2][..], &v4[1..v4.len() - 2]].concat();
        assert_eq!(codec::read::<SaleState>(&v2).expect("reads layout 2"), sale);
        let asking = SaleState {
            attendee_names: AttendeeNames::Required,
            ..sale
        };
        let read = codec::read::<SaleState>(&codec::write(&asking)).expect("reads layout 4");
        assert_eq!(read.attendee_names, AttendeeNames::Required);
    }

    #[test]
    fn stored_variant_indexes_never_change() {
        let statuses = [EventStatus::Published, EventStatus::Cancelled];
        assert_eq!(variant_indexes(&statuses), [0, 1]);
    }
}
