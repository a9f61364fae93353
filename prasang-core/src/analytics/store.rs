//! The aggregate keyspace: counter buckets in `agg_counters`, per-(event, user) state in
//! `agg_members`, the consumer's view of events and users in `agg_events` / `agg_users`.
//! docs/storage.md describes the same layout.
//!
//! Every bucket is one [`Counters`] value under
//! `kind (1 byte) ++ scope (17 bytes) ++ suffix`:
//!
//! | kind | suffix | what |
//! |---|---|---|
//! | 0 `TOTALS` | — | everything of the scope |
//! | 1 `DAY` | UTC day number, 8 bytes sign-flipped big-endian | bookings, cancellations, revenue that day |
//! | 2 `GROUP` | gender, age group (1 byte each) | holders and ratings of one demographic group |
//! | 3 `QUARTER` | quarter hour since the epoch, 8 bytes sign-flipped big-endian | the `DAY` counters per quarter hour, so trends can be bucketed by any zone's local days |
//! | 4 `MONEY` | currency (3 ASCII bytes) | bookings, cancellations, revenue of the scope's events priced in that currency |
//! | 5 `MONEY_DAY` | currency ++ UTC day number | the same per day |
//! | 6 `MONEY_QUARTER` | currency ++ quarter hour | the same per quarter hour |
//! | 7 `TYPE` | currency ++ ticket type number (4 bytes big-endian) | the seats of one ticket type: tickets, seats, revenue, refunds, discounts (event scope only) |
//! | 8 `CODE` | currency ++ promo code (upper case) | the same for the tickets sold with one promo code (event scope only) |
//! | 9 `ADMIT_TYPE` | ticket type number (4 bytes big-endian) | the seats of one ticket type checked in (event scope only) |
//! | 10 `ARRIVAL` | quarter hour of the scan, as `QUARTER` | seats checked in then (event scope only) |
//! | 11 `WAITLIST` | quarter hour, as `QUARTER` | the waiting list's changes then: joins, offers and their outcomes, and the change in entries and seats waiting (event scope only) |
//! | 12 `ROOM` | minute since the epoch, 8 bytes sign-flipped big-endian | the waiting room's joins and admissions in that minute (event scope only) |
//!
//! Revenue is only ever reported per currency: minor units of two currencies do not add up.
//!
//! A scope is `0 ++ 16 zero bytes` (all events), `1 ++ organizer id`, or `2 ++ event id`.
//!
//! `agg_admissions` holds each seat checked in, under `event id ++ ticket id ++ seat (4 bytes
//! big-endian)`: when, where, and the buckets it was counted in, so an undo or a cancellation
//! takes it out of the same ones.
//!
//! `agg_waitlist` holds each waiting list entry under `event id ++ entry number (8 bytes
//! big-endian)`: its seats, its state and the outcome of its offers, so leaving takes its seats
//! off the list. `agg_messages` holds each organizer message under its log sequence number
//! (8 bytes big-endian): event, sender, segment, time and the text's lengths, never the text.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{AgeGroup, Group};
use crate::context::Context;
use crate::events::TicketTypeId;
use crate::ids::{EventId, TicketId, UserId};
use crate::messages::Segment;
use crate::store::codec::Record;
use crate::store::{StoreError, codec};
use crate::time::Timestamp;
use crate::users::Gender;

pub(crate) const TOTALS: u8 = 0;
pub(crate) const DAY: u8 = 1;
pub(crate) const GROUP: u8 = 2;
pub(crate) const QUARTER: u8 = 3;
pub(crate) const MONEY: u8 = 4;
pub(crate) const MONEY_DAY: u8 = 5;
pub(crate) const MONEY_QUARTER: u8 = 6;
pub(crate) const TYPE: u8 = 7;
pub(crate) const CODE: u8 = 8;
pub(crate) const ADMIT_TYPE: u8 = 9;
pub(crate) const ARRIVAL: u8 = 10;
pub(crate) const WAITLIST: u8 = 11;
pub(crate) const ROOM: u8 = 12;

/// A quarter hour in milliseconds: every UTC offset in use is a whole number of them.
pub(crate) const QUARTER_MS: i64 = 15 * 60 * 1000;

/// A minute in milliseconds: the waiting room's buckets, since an on-sale plays out in minutes.
pub(crate) const MINUTE_MS: i64 = 60 * 1000;

/// Member kinds in `agg_members`.
pub(crate) const HOLDER: u8 = 0;
pub(crate) const RATER: u8 = 1;

/// The 17-byte scope prefix.
pub(crate) type ScopeKey = [u8; 17];

/// An ISO 4217 code as stored in keys (`EUR`).
pub(crate) type Currency = [u8; 3];

/// The key form of an event's currency (validated as three ASCII letters; `XXX`, ISO's "no
/// currency", if a record ever held anything else).
pub(crate) fn currency_code(text: &str) -> Currency {
    text.as_bytes().try_into().unwrap_or(*b"XXX")
}

/// The dated buckets a trend reads: all of the scope, or its events priced in one currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Series {
    All,
    Currency(Currency),
}

impl Series {
    pub(crate) fn day(self, scope: &ScopeKey, day: i64) -> Vec<u8> {
        match self {
            Series::All => numbered(DAY, scope, &[], day),
            Series::Currency(code) => numbered(MONEY_DAY, scope, &code, day),
        }
    }

    pub(crate) fn quarter(self, scope: &ScopeKey, quarter: i64) -> Vec<u8> {
        match self {
            Series::All => numbered(QUARTER, scope, &[], quarter),
            Series::Currency(code) => numbered(MONEY_QUARTER, scope, &code, quarter),
        }
    }
}

/// The totals of the scope's events priced in `currency`.
pub(crate) fn money(scope: &ScopeKey, currency: Currency) -> Vec<u8> {
    let mut key = totals(scope);
    key[0] = MONEY;
    key.extend_from_slice(&currency);
    key
}

/// The currency of a `MONEY` key.
pub(crate) fn currency_from(key: &[u8]) -> Option<Currency> {
    key.get(18..21)?.try_into().ok()
}

/// A sale bucket (`TYPE` or `CODE`) of one event: `name` is the type's number or the code.
pub(crate) fn sale(kind: u8, event: EventId, currency: Currency, name: &[u8]) -> Vec<u8> {
    let mut key = sale_prefix(kind, event);
    key.extend_from_slice(&currency);
    key.extend_from_slice(name);
    key
}

/// The start of every `kind` sale bucket of `event`.
pub(crate) fn sale_prefix(kind: u8, event: EventId) -> Vec<u8> {
    let mut key = totals(&event_scope(event));
    key[0] = kind;
    key
}

/// The currency and name of a sale bucket's key.
pub(crate) fn sale_from(key: &[u8]) -> Option<(Currency, &[u8])> {
    Some((currency_from(key)?, key.get(21..)?))
}

/// The key form of a ticket type's number.
pub(crate) fn type_name(id: TicketTypeId) -> [u8; 4] {
    id.to_be_bytes()
}

/// The ticket type number of a `TYPE` bucket's name.
pub(crate) fn type_from(name: &[u8]) -> Option<TicketTypeId> {
    Some(TicketTypeId::from_be_bytes(name.try_into().ok()?))
}

/// The check-ins of one ticket type of `event`.
pub(crate) fn admit_type(event: EventId, id: TicketTypeId) -> Vec<u8> {
    let mut key = sale_prefix(ADMIT_TYPE, event);
    key.extend_from_slice(&type_name(id));
    key
}

/// The check-ins of `event` scanned in quarter hour `quarter`.
pub(crate) fn arrival(event: EventId, quarter: i64) -> Vec<u8> {
    numbered(ARRIVAL, &event_scope(event), &[], quarter)
}

/// The waiting list changes of `event` in quarter hour `quarter`.
pub(crate) fn waitlist(event: EventId, quarter: i64) -> Vec<u8> {
    numbered(WAITLIST, &event_scope(event), &[], quarter)
}

/// The waiting room changes of `event` in minute `minute` (milliseconds since the epoch /
/// [`MINUTE_MS`]).
pub(crate) fn room(event: EventId, minute: i64) -> Vec<u8> {
    numbered(ROOM, &event_scope(event), &[], minute)
}

/// The key of an entry in `agg_waitlist`: the event, then its number in the event's list.
pub(crate) fn waitlist_entry(event: EventId, entry: u64) -> [u8; 24] {
    let mut key = [0; 24];
    key[..16].copy_from_slice(&event.to_bytes());
    key[16..].copy_from_slice(&entry.to_be_bytes());
    key
}

/// The event and entry number of an `agg_waitlist` key.
pub(crate) fn waitlist_entry_from(key: &[u8]) -> Option<(EventId, u64)> {
    let event = EventId::from_key_prefix(key.get(..16)?)?;
    let entry = u64::from_be_bytes(key.get(16..24)?.try_into().ok()?);
    Some((event, entry))
}

/// The key of a seat in `agg_admissions`; its first 32 bytes are [`admissions_of`].
pub(crate) type AdmissionKey = [u8; 36];

pub(crate) fn admission(event: EventId, ticket: TicketId, seat: u32) -> AdmissionKey {
    let mut key = [0; 36];
    key[..32].copy_from_slice(&admissions_of(event, ticket));
    key[32..].copy_from_slice(&seat.to_be_bytes());
    key
}

/// The start of every seat of `ticket` checked in.
pub(crate) fn admissions_of(event: EventId, ticket: TicketId) -> [u8; 32] {
    let mut key = [0; 32];
    key[..16].copy_from_slice(&event.to_bytes());
    key[16..].copy_from_slice(&ticket.to_bytes());
    key
}

/// The event, ticket and seat of an `agg_admissions` key.
pub(crate) fn admission_from(key: &[u8]) -> Option<(EventId, TicketId, u32)> {
    let event = EventId::from_key_prefix(key.get(..16)?)?;
    let ticket = TicketId::from_key_prefix(key.get(16..32)?)?;
    let seat = u32::from_be_bytes(key.get(32..36)?.try_into().ok()?);
    Some((event, ticket, seat))
}

pub(crate) const ALL: ScopeKey = [0; 17];

pub(crate) fn organizer_scope(organizer: UserId) -> ScopeKey {
    let mut key = [1u8; 17];
    key[1..].copy_from_slice(&organizer.to_bytes());
    key
}

pub(crate) fn event_scope(event: EventId) -> ScopeKey {
    let mut key = [2u8; 17];
    key[1..].copy_from_slice(&event.to_bytes());
    key
}

pub(crate) fn totals(scope: &ScopeKey) -> Vec<u8> {
    let mut key = Vec::with_capacity(18);
    key.push(TOTALS);
    key.extend_from_slice(scope);
    key
}

pub(crate) fn day(scope: &ScopeKey, day: i64) -> Vec<u8> {
    Series::All.day(scope, day)
}

/// The bucket of quarter hour `quarter` (milliseconds since the epoch / [`QUARTER_MS`]).
pub(crate) fn quarter(scope: &ScopeKey, quarter: i64) -> Vec<u8> {
    Series::All.quarter(scope, quarter)
}

fn numbered(kind: u8, scope: &ScopeKey, currency: &[u8], number: i64) -> Vec<u8> {
    let mut key = Vec::with_capacity(29);
    key.push(kind);
    key.extend_from_slice(scope);
    key.extend_from_slice(currency);
    key.extend_from_slice(&day_bytes(number));
    key
}

pub(crate) fn day_bytes(day: i64) -> [u8; 8] {
    ((day as u64) ^ (1 << 63)).to_be_bytes()
}

/// The day (or quarter hour) number of a dated key: its last 8 bytes.
pub(crate) fn day_from(key: &[u8]) -> Option<i64> {
    let start = key.len().checked_sub(8).filter(|start| *start >= 18)?;
    let bytes: [u8; 8] = key.get(start..)?.try_into().ok()?;
    Some((u64::from_be_bytes(bytes) ^ (1 << 63)) as i64)
}

pub(crate) fn group(scope: &ScopeKey, group: Group) -> Vec<u8> {
    let mut key = Vec::with_capacity(20);
    key.push(GROUP);
    key.extend_from_slice(scope);
    key.push(gender_byte(group.0));
    key.push(group.1 as u8);
    key
}

pub(crate) fn group_from(key: &[u8]) -> Option<Group> {
    let gender = gender_from(*key.get(18)?)?;
    let age = AgeGroup::from_byte(*key.get(19)?)?;
    Some((gender, age))
}

pub(crate) fn member(kind: u8, event: EventId, user: UserId) -> [u8; 33] {
    let mut key = [kind; 33];
    key[1..17].copy_from_slice(&event.to_bytes());
    key[17..].copy_from_slice(&user.to_bytes());
    key
}

pub(crate) fn gender_byte(gender: Gender) -> u8 {
    match gender {
        Gender::Female => 0,
        Gender::Male => 1,
        Gender::NonBinary => 2,
        Gender::Undisclosed => 3,
    }
}

pub(crate) fn gender_from(byte: u8) -> Option<Gender> {
    Some(match byte {
        0 => Gender::Female,
        1 => Gender::Male,
        2 => Gender::NonBinary,
        3 => Gender::Undisclosed,
        _ => return None,
    })
}

/// One bucket's counters. Every bucket kind uses the same record; fields a kind does not count
/// stay zero (one byte each in postcard).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Counters {
    pub(crate) visits: i64,
    /// Pending holds taken (paid tickets awaiting payment).
    pub(crate) holds: i64,
    /// Tickets that became booked (free bookings and confirmed payments).
    pub(crate) bookings: i64,
    /// Seats currently booked.
    pub(crate) seats_booked: i64,
    pub(crate) cancellations: i64,
    pub(crate) expiries: i64,
    /// Confirmed payments minus refunds of cancelled booked tickets, minor units.
    pub(crate) revenue_minor: i64,
    pub(crate) rating_sum: i64,
    pub(crate) rating_count: i64,
    /// Distinct users currently holding a booked ticket.
    pub(crate) holders: i64,
    /// Seats on sale (sum of capacities).
    pub(crate) capacity: i64,
    /// Promo-code discounts of booked tickets, less those of cancelled ones, minor units
    /// (`TYPE` and `CODE` buckets only).
    pub(crate) discount_minor: i64,
    /// Refunds of cancelled booked tickets, minor units (`TYPE` and `CODE` buckets only).
    pub(crate) refund_minor: i64,
    /// Seats checked in now.
    pub(crate) admitted: i64,
    /// Tickets with at least one seat checked in now.
    pub(crate) admitted_tickets: i64,
    /// Waiting list entries that joined.
    pub(crate) waitlist_joined: i64,
    /// Entries that left the list, or were removed by the organizer, before being served.
    pub(crate) waitlist_left: i64,
    /// Entries waiting now (on the list without an offer); in `WAITLIST` buckets, the change.
    pub(crate) waitlist_entries: i64,
    /// Seats they wait for; in `WAITLIST` buckets, the change.
    pub(crate) waitlist_seats: i64,
    /// Offers made, and the seats they held.
    pub(crate) offers: i64,
    pub(crate) offered_seats: i64,
    /// Offers accepted, declined, lapsed, and withdrawn (their entry left while holding one).
    pub(crate) offers_accepted: i64,
    pub(crate) offers_declined: i64,
    pub(crate) offers_expired: i64,
    pub(crate) offers_withdrawn: i64,
    /// Seats of accepted offers: seats the list turned back into tickets.
    pub(crate) seats_recovered: i64,
    /// People who took a place in a waiting room (`ROOM` buckets).
    pub(crate) queue_joined: i64,
    /// People a waiting room admitted (`ROOM` buckets).
    pub(crate) queue_admitted: i64,
}

/// The fields version 4 added.
const WAITLIST_FIELDS: usize = 11;
/// The fields version 5 added.
const ROOM_FIELDS: usize = 2;

impl Record for Counters {
    const TREE: &'static str = "agg_counters";
    const VERSION: u8 = 5;

    /// Each version added fields at the end (2: the discount and refund of sale buckets; 3: the
    /// check-ins; 4: the waiting list; 5: the waiting room), so an older body reads with them
    /// zero: a zero varint is one zero byte.
    fn read_older(version: u8, body: &[u8]) -> Option<postcard::Result<Self>> {
        let missing = ROOM_FIELDS
            + match version {
                1 => 4 + WAITLIST_FIELDS,
                2 => 2 + WAITLIST_FIELDS,
                3 => WAITLIST_FIELDS,
                4 => 0,
                _ => return None,
            };
        let mut padded = body.to_vec();
        padded.resize(body.len() + missing, 0);
        Some(postcard::from_bytes(&padded))
    }
}

impl Counters {
    /// Nothing counted (`Default`, usable in constants).
    pub(crate) const ZERO: Counters = Counters {
        visits: 0,
        holds: 0,
        bookings: 0,
        seats_booked: 0,
        cancellations: 0,
        expiries: 0,
        revenue_minor: 0,
        rating_sum: 0,
        rating_count: 0,
        holders: 0,
        capacity: 0,
        discount_minor: 0,
        refund_minor: 0,
        admitted: 0,
        admitted_tickets: 0,
        waitlist_joined: 0,
        waitlist_left: 0,
        waitlist_entries: 0,
        waitlist_seats: 0,
        offers: 0,
        offered_seats: 0,
        offers_accepted: 0,
        offers_declined: 0,
        offers_expired: 0,
        offers_withdrawn: 0,
        seats_recovered: 0,
        queue_joined: 0,
        queue_admitted: 0,
    };

    pub(crate) fn add(&mut self, other: &Counters) {
        self.visits += other.visits;
        self.holds += other.holds;
        self.bookings += other.bookings;
        self.seats_booked += other.seats_booked;
        self.cancellations += other.cancellations;
        self.expiries += other.expiries;
        self.revenue_minor += other.revenue_minor;
        self.rating_sum += other.rating_sum;
        self.rating_count += other.rating_count;
        self.holders += other.holders;
        self.capacity += other.capacity;
        self.discount_minor += other.discount_minor;
        self.refund_minor += other.refund_minor;
        self.admitted += other.admitted;
        self.admitted_tickets += other.admitted_tickets;
        self.waitlist_joined += other.waitlist_joined;
        self.waitlist_left += other.waitlist_left;
        self.waitlist_entries += other.waitlist_entries;
        self.waitlist_seats += other.waitlist_seats;
        self.offers += other.offers;
        self.offered_seats += other.offered_seats;
        self.offers_accepted += other.offers_accepted;
        self.offers_declined += other.offers_declined;
        self.offers_expired += other.offers_expired;
        self.offers_withdrawn += other.offers_withdrawn;
        self.seats_recovered += other.seats_recovered;
        self.queue_joined += other.queue_joined;
        self.queue_admitted += other.queue_admitted;
    }

    pub(crate) fn negated(&self) -> Counters {
        let mut out = Counters::default();
        out.add(&Counters {
            visits: -self.visits,
            holds: -self.holds,
            bookings: -self.bookings,
            seats_booked: -self.seats_booked,
            cancellations: -self.cancellations,
            expiries: -self.expiries,
            revenue_minor: -self.revenue_minor,
            rating_sum: -self.rating_sum,
            rating_count: -self.rating_count,
            holders: -self.holders,
            capacity: -self.capacity,
            discount_minor: -self.discount_minor,
            refund_minor: -self.refund_minor,
            admitted: -self.admitted,
            admitted_tickets: -self.admitted_tickets,
            waitlist_joined: -self.waitlist_joined,
            waitlist_left: -self.waitlist_left,
            waitlist_entries: -self.waitlist_entries,
            waitlist_seats: -self.waitlist_seats,
            offers: -self.offers,
            offered_seats: -self.offered_seats,
            offers_accepted: -self.offers_accepted,
            offers_declined: -self.offers_declined,
            offers_expired: -self.offers_expired,
            offers_withdrawn: -self.offers_withdrawn,
            seats_recovered: -self.seats_recovered,
            queue_joined: -self.queue_joined,
            queue_admitted: -self.queue_admitted,
        });
        out
    }

    pub(crate) fn is_zero(&self) -> bool {
        *self == Counters::default()
    }
}

/// Implements `Record` for aggregate values, all at their first layout (the bytes
/// `codec::encode` writes).
macro_rules! first_layout {
    ($($value:ty => $tree:literal),*) => {$(
        impl Record for $value {
            const TREE: &'static str = $tree;
            const VERSION: u8 = 1;
        }
    )*};
}

first_layout!(
    Member => "agg_members",
    EventInfo => "agg_events",
    UserInfo => "agg_users",
    Admission => "agg_admissions",
    WaitlistRow => "agg_waitlist",
    MessageRow => "agg_messages"
);

/// Where a waiting list entry stands (`agg_waitlist`): on the list, or how it came off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EntryState {
    /// On the list, waiting for seats.
    Waiting,
    /// On the list, holding an offer.
    Offered,
    /// Served: its offer was accepted.
    Accepted,
    /// Its offer was declined.
    Declined,
    /// Its offer lapsed.
    Expired,
    /// Its user left the list.
    Left,
    /// The organizer (or an admin) removed it.
    Removed,
}

impl EntryState {
    /// The name used in tables (`waiting`, `offered`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            EntryState::Waiting => "waiting",
            EntryState::Offered => "offered",
            EntryState::Accepted => "accepted",
            EntryState::Declined => "declined",
            EntryState::Expired => "expired",
            EntryState::Left => "left",
            EntryState::Removed => "removed",
        }
    }

    /// Every state, in the order above.
    pub const ALL: [EntryState; 7] = [
        EntryState::Waiting,
        EntryState::Offered,
        EntryState::Accepted,
        EntryState::Declined,
        EntryState::Expired,
        EntryState::Left,
        EntryState::Removed,
    ];
}

/// A waiting list entry as the analytics consumer folded it from the log (`agg_waitlist`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct WaitlistRow {
    pub(crate) user: UserId,
    pub(crate) ticket_type: TicketTypeId,
    /// Seats wanted: what it counts for on the list.
    pub(crate) seats: u32,
    pub(crate) joined_at: Timestamp,
    pub(crate) state: EntryState,
    /// Offers made to it.
    pub(crate) offers: u32,
    /// Seats of its latest offer, and that offer's deadline.
    pub(crate) offered_seats: u32,
    pub(crate) deadline: Option<Timestamp>,
    /// When it came off the list.
    pub(crate) ended_at: Option<Timestamp>,
    /// The ticket its accepted offer became.
    pub(crate) ticket: Option<TicketId>,
}

/// An organizer message as the analytics consumer folded it (`agg_messages`): who sent it to
/// which segment of which event, when, and how long its text was. The subject and body are the
/// organizer's words to their attendees, so they stay in the log only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct MessageRow {
    pub(crate) event: EventId,
    pub(crate) by: UserId,
    pub(crate) segment: Segment,
    pub(crate) sent_at: Timestamp,
    pub(crate) subject_chars: u32,
    pub(crate) body_chars: u32,
}

/// A seat checked in (`agg_admissions`): the scan, and the ticket type and demographic group it
/// was counted in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Admission {
    /// When the gate scanned it (its own clock when offline).
    pub(crate) scanned_at: Timestamp,
    pub(crate) gate: String,
    /// Scanned by a gate without network and uploaded later.
    pub(crate) offline: bool,
    pub(crate) ticket_type: TicketTypeId,
    pub(crate) gender: u8,
    pub(crate) age: u8,
}

impl Admission {
    pub(crate) fn group(&self) -> Group {
        group_of(self.gender, self.age)
    }
}

pub(crate) fn group_of(gender: u8, age: u8) -> Group {
    (
        gender_from(gender).unwrap_or(Gender::Undisclosed),
        AgeGroup::from_byte(age).unwrap_or(AgeGroup::Unknown),
    )
}

/// Per (event, user) state in `agg_members`: booked tickets held (holders) or the rating given
/// (raters), and the demographic group the user was counted in, so taking them out later hits
/// the same bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Member {
    pub(crate) value: u32,
    pub(crate) gender: u8,
    pub(crate) age: u8,
}

impl Member {
    pub(crate) fn group(&self) -> Group {
        group_of(self.gender, self.age)
    }
}

/// What the consumer remembers of an event (`agg_events`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct EventInfo {
    pub(crate) organizer: UserId,
    pub(crate) capacity: u32,
}

/// What the consumer remembers of a user (`agg_users`): their demographic group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct UserInfo {
    pub(crate) gender: u8,
    pub(crate) age: u8,
}

/// An event's average rating, shown on the API `Event`. Filled at read time from the
/// aggregates; never stored in the event record.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct EventRating {
    /// Mean of the current ratings, if any.
    pub average: Option<f64>,
    /// How many users rated the event.
    pub count: u64,
}

#[derive(Serialize, Deserialize)]
struct EventRatingJson {
    average: Option<f64>,
    count: u64,
}

// In the store format the rating is nothing at all (a unit takes no bytes), so event records
// written before it existed still read and no rating is ever stored; in JSON it is an object.
impl Serialize for EventRating {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            EventRatingJson {
                average: self.average,
                count: self.count,
            }
            .serialize(serializer)
        } else {
            serializer.serialize_unit()
        }
    }
}

impl<'de> Deserialize<'de> for EventRating {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        if deserializer.is_human_readable() {
            let json = EventRatingJson::deserialize(deserializer)?;
            Ok(EventRating {
                average: json.average,
                count: json.count,
            })
        } else {
            <()>::deserialize(deserializer)?;
            Ok(EventRating::default())
        }
    }
}

pub(super) fn average(sum: i64, count: i64) -> Option<f64> {
    (count > 0).then(|| round3(sum as f64 / count as f64))
}

pub(super) fn round3(value: f64) -> f64 {
    (value * 1000.0).round() / 1000.0
}

pub(super) fn count(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

pub(super) fn read_totals(inner: &Context, scope: &ScopeKey) -> Result<Counters, StoreError> {
    Ok(codec::get(&inner.store.agg_counters, &totals(scope))?.unwrap_or_default())
}

/// The rating shown on an event (what the consumer has folded so far).
pub(crate) fn event_rating(inner: &Context, event: EventId) -> Result<EventRating, StoreError> {
    let c = read_totals(inner, &event_scope(event))?;
    Ok(EventRating {
        average: average(c.rating_sum, c.rating_count),
        count: count(c.rating_count),
    })
}
