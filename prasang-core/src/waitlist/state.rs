//! What a waiting list stores: its settings and lines inside the event's sale state, and one
//! record per entry in the `waitlist` tree.
//!
//! Sled transactions read and write single keys but cannot scan, so each ticket type's line of
//! waiting entries is a doubly linked list through the entries' records, with its head and tail
//! in the sale state: joining, leaving and serving the head are each a few point reads and
//! writes inside whatever transaction frees the seats.
//!
//! Keys of the `waitlist` tree (one tree, three prefixes, so a transaction names one tree):
//! - `e` event entry → [`EntryRecord`] (entry numbers ascend in joining order);
//! - `u` user event ticket-type → entry number (one entry per user and type);
//! - `d` deadline event entry → `[]` (open offers by deadline, for the lapse sweep).

use serde::{Deserialize, Serialize};

use crate::events::TicketTypeId;
use crate::ids::{EventId, UserId};
use crate::store::codec::Record;
use crate::store::keys;
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

/// Seats held for an entry until a deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Offer {
    /// Seats held.
    pub seats: u32,
    /// When the offer lapses and the seats go to the next in line.
    pub deadline: Timestamp,
}

/// An event's waiting list inside its sale state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct WaitlistState {
    pub(crate) settings: WaitlistSettings,
    /// The last entry number given (entries count from 1).
    pub(crate) last_entry: u64,
    /// One line per ticket type anyone waited for.
    pub(crate) lines: Vec<TypeLine>,
}

/// The entries waiting for one ticket type, and the offers made to its entries.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct TypeLine {
    pub(crate) ticket_type: TicketTypeId,
    /// First and last waiting entry (0: none).
    pub(crate) head: u64,
    pub(crate) tail: u64,
    /// Entries waiting and the seats they want.
    pub(crate) waiting: u32,
    pub(crate) waiting_seats: u32,
    /// Open offers and their seats (counted in the event's and the type's `held` seats).
    pub(crate) offers: u32,
    pub(crate) offered_seats: u32,
}

impl WaitlistState {
    /// The line of `ticket_type`, made if missing.
    pub(crate) fn line_mut(&mut self, ticket_type: TicketTypeId) -> &mut TypeLine {
        let at = match self
            .lines
            .iter()
            .position(|line| line.ticket_type == ticket_type)
        {
            Some(at) => at,
            None => {
                self.lines.push(TypeLine {
                    ticket_type,
                    ..TypeLine::default()
                });
                self.lines.len() - 1
            }
        };
        &mut self.lines[at]
    }

    /// Entries waiting, in all lines.
    pub(crate) fn waiting(&self) -> u32 {
        self.lines.iter().map(|line| line.waiting).sum()
    }
}

/// One entry of a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct EntryRecord {
    pub(crate) user: UserId,
    pub(crate) ticket_type: TicketTypeId,
    /// Seats wanted.
    pub(crate) seats: u32,
    pub(crate) joined_at: Timestamp,
    /// Neighbours in its line while waiting (0: none).
    pub(crate) prev: u64,
    pub(crate) next: u64,
    /// Seats held for it, once offered (it has then left its line).
    pub(crate) offer: Option<Offer>,
}

impl Record for EntryRecord {
    const TREE: &'static str = "waitlist";
    const VERSION: u8 = 1;
}

const ENTRY: u8 = b'e';
const USER: u8 = b'u';
const DEADLINE: u8 = b'd';

/// The key of entry `entry` of `event`.
pub(crate) fn entry_key(event: EventId, entry: u64) -> Vec<u8> {
    [&[ENTRY][..], &event.to_bytes(), &entry.to_be_bytes()].concat()
}

/// The prefix of all entries of `event`.
pub(crate) fn entries_of(event: EventId) -> Vec<u8> {
    [&[ENTRY][..], &event.to_bytes()].concat()
}

/// The entry number at the end of an entry key.
pub(crate) fn entry_number(key: &[u8]) -> Option<u64> {
    let tail = key.get(key.len().checked_sub(8)?..)?;
    Some(u64::from_be_bytes(tail.try_into().ok()?))
}

/// The key naming `user`'s entry for `ticket_type` of `event`.
pub(crate) fn user_key(user: UserId, event: EventId, ticket_type: TicketTypeId) -> Vec<u8> {
    [
        &[USER][..],
        &user.to_bytes(),
        &event.to_bytes(),
        &ticket_type.to_be_bytes(),
    ]
    .concat()
}

/// The prefix of `user`'s entries (of `event` when given).
pub(crate) fn user_prefix(user: UserId, event: Option<EventId>) -> Vec<u8> {
    let mut prefix = [&[USER][..], &user.to_bytes()].concat();
    if let Some(event) = event {
        prefix.extend_from_slice(&event.to_bytes());
    }
    prefix
}

/// The event and entry number a user-index key and value name.
pub(crate) fn from_user_index(key: &[u8], value: &[u8]) -> Option<(EventId, u64)> {
    let event = EventId::from_bytes(key.get(17..33)?.try_into().ok()?);
    Some((event, u64::from_be_bytes(value.try_into().ok()?)))
}

/// The key of an open offer in the deadline index.
pub(crate) fn deadline_key(deadline: Timestamp, event: EventId, entry: u64) -> Vec<u8> {
    [
        &[DEADLINE][..],
        &keys::timestamp(deadline),
        &event.to_bytes(),
        &entry.to_be_bytes(),
    ]
    .concat()
}

/// Deadline-index keys of offers due by `now` sort before this.
pub(crate) fn deadlines_until(now: Timestamp) -> (Vec<u8>, Vec<u8>) {
    let end = now.plus(std::time::Duration::from_millis(1));
    (
        vec![DEADLINE],
        [&[DEADLINE][..], &keys::timestamp(end)].concat(),
    )
}

/// The event and entry a deadline-index key names.
pub(crate) fn from_deadline_key(key: &[u8]) -> Option<(EventId, u64)> {
    let event = EventId::from_bytes(key.get(9..25)?.try_into().ok()?);
    Some((event, u64::from_be_bytes(key.get(25..33)?.try_into().ok()?)))
}

/// Every open offer of every event, as (event, the seats and their type): what the integrity
/// check adds to the seats tickets hold.
pub(crate) fn offers(
    store: &crate::store::Store,
) -> Result<Vec<(EventId, OfferedSeats)>, crate::store::StoreError> {
    let mut found = Vec::new();
    for entry in store.waitlist.scan_prefix([ENTRY]) {
        let (key, bytes) = entry?;
        let record: EntryRecord = crate::store::codec::read(&bytes)?;
        let event = key.get(1..17).and_then(|id| <[u8; 16]>::try_from(id).ok());
        if let (Some(event), Some(offer)) = (event, record.offer) {
            let seats = OfferedSeats {
                ticket_type: record.ticket_type,
                seats: offer.seats,
            };
            found.push((EventId::from_bytes(event), seats));
        }
    }
    Ok(found)
}

/// Seats of one type on offer to one entry.
pub(crate) struct OfferedSeats {
    pub(crate) ticket_type: TicketTypeId,
    pub(crate) seats: u32,
}
