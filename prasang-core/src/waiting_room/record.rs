//! What a waiting room stores, and its keys.
//!
//! - `waiting_rooms`: event → [`RoomRecord`] (settings and the durable counters and cursors);
//! - `room_queue`: event ++ place (u64 big-endian) ++ user → `[]`, so a range scan walks the
//!   queue in admission order. The user in the key breaks ties between equal lottery draws and
//!   keeps two people from sharing a key;
//! - `room_members`: event ++ user → [`MemberRecord`] (one place per account).
//!
//! A place below [`LATE`] is a lottery draw (an early arrival); `LATE + n` is the n-th arrival
//! after the on-sale time, so every early arrival sorts before every late one.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::ids::{EventId, UserId};
use crate::store::codec::Record;
use crate::time::Timestamp;

/// The first place of an arrival at or after the on-sale time: 2^63.
pub(crate) const LATE: u64 = 1 << 63;

/// How a room admits people, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum StoredAdmission {
    /// This many people per minute.
    PerMinute(u32),
    /// As passes are spent, keeping a window of outstanding passes.
    Automatic,
}

/// A room's settings, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct StoredSettings {
    pub(crate) enabled: bool,
    pub(crate) on_sale_at: Timestamp,
    pub(crate) admission: StoredAdmission,
    pub(crate) pass_lifetime_secs: u32,
}

impl StoredSettings {
    pub(crate) fn pass_lifetime(&self) -> Duration {
        Duration::from_secs(u64::from(self.pass_lifetime_secs))
    }
}

/// A spot in the queue: the key of a member's place, without the event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Spot {
    pub(crate) place: u64,
    pub(crate) user: UserId,
}

/// One event's waiting room: settings, counters and how far each step has walked the queue.
/// The store is the truth: every step reads this record in its transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct RoomRecord {
    pub(crate) settings: StoredSettings,
    /// Early arrivals: the lottery's size (the ordinals 1..=early).
    pub(crate) early: u64,
    /// Set when the lottery stops taking arrivals (the first arrival after the on-sale time, or
    /// the draw); `early` never changes after it, so a late arrival's ordinal is known at join.
    pub(crate) early_closed: bool,
    /// Arrivals after the on-sale time (and people coming back after their pass lapsed).
    pub(crate) late: u64,
    /// Early arrivals given their ordinal so far, and the last spot given one.
    pub(crate) drawn: u64,
    pub(crate) draw_cursor: Option<Spot>,
    /// The ordinal of the last person admitted (admission goes in ordinal order, so this is
    /// also how many were admitted), and their spot.
    pub(crate) admitted: u64,
    pub(crate) admit_cursor: Option<Spot>,
    /// Passes spent by a booking, and passes that lapsed unspent.
    pub(crate) spent: u64,
    pub(crate) abandoned: u64,
    /// The last admitted spot the expiry sweep has settled (spent, or lapsed and counted).
    pub(crate) expiry_cursor: Option<Spot>,
    /// Per-minute pacing: `admitted` was `pace_admitted` at `pace_from`.
    pub(crate) pace_from: Timestamp,
    pub(crate) pace_admitted: u64,
    /// The recent admission rate (people per minute), measured about once a minute from
    /// `rate_mark` (admitted count then): the automatic mode's wait estimate.
    pub(crate) rate_mark: (Timestamp, u64),
    pub(crate) recent_per_minute: u64,
}

impl Record for RoomRecord {
    const TREE: &'static str = "waiting_rooms";
    const VERSION: u8 = 1;
}

impl RoomRecord {
    pub(crate) fn new(settings: StoredSettings, now: Timestamp) -> Self {
        RoomRecord {
            settings,
            early: 0,
            early_closed: false,
            late: 0,
            drawn: 0,
            draw_cursor: None,
            admitted: 0,
            admit_cursor: None,
            spent: 0,
            abandoned: 0,
            expiry_cursor: None,
            pace_from: settings.on_sale_at.max(now),
            pace_admitted: 0,
            rate_mark: (now, 0),
            recent_per_minute: 0,
        }
    }

    /// Ordinals given so far minus those admitted: the people waiting.
    pub(crate) fn waiting(&self) -> u64 {
        (self.early + self.late).saturating_sub(self.admitted)
    }

    /// Whether every early arrival has its ordinal (admission starts only then).
    pub(crate) fn lottery_drawn(&self) -> bool {
        self.early_closed && self.drawn == self.early
    }

    /// Admitted passes neither spent nor lapsed (as far as the expiry sweep knows).
    pub(crate) fn outstanding(&self) -> u64 {
        self.admitted.saturating_sub(self.spent + self.abandoned)
    }
}

/// Where a member stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum MemberState {
    /// In the queue.
    Waiting,
    /// Given a pass that lapses at `expires_at`.
    Admitted {
        at: Timestamp,
        expires_at: Timestamp,
    },
    /// The pass was spent by a booking.
    Spent { at: Timestamp },
    /// The pass lapsed unspent (counted as abandoned).
    Expired { at: Timestamp },
}

/// One account's place in one event's room.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct MemberRecord {
    pub(crate) place: u64,
    /// Its rank in admission order from 1; 0 while the lottery is not drawn yet.
    pub(crate) ordinal: u64,
    pub(crate) joined_at: Timestamp,
    pub(crate) state: MemberState,
}

impl Record for MemberRecord {
    const TREE: &'static str = "room_members";
    const VERSION: u8 = 1;
}

impl MemberRecord {
    /// The state as of `now`: an admitted pass past its expiry reads as expired before the
    /// sweep has written it.
    pub(crate) fn state_at(&self, now: Timestamp) -> MemberState {
        match self.state {
            MemberState::Admitted { expires_at, .. } if expires_at <= now => {
                MemberState::Expired { at: expires_at }
            }
            state => state,
        }
    }
}

/// `waiting_rooms` key.
pub(crate) fn room_key(event: EventId) -> [u8; 16] {
    event.to_bytes()
}

/// `room_members` key.
pub(crate) fn member_key(event: EventId, user: UserId) -> [u8; 32] {
    let mut key = [0; 32];
    key[..16].copy_from_slice(&event.to_bytes());
    key[16..].copy_from_slice(&user.to_bytes());
    key
}

/// `room_queue` key.
pub(crate) fn queue_key(event: EventId, spot: Spot) -> [u8; 40] {
    let mut key = [0; 40];
    key[..16].copy_from_slice(&event.to_bytes());
    key[16..24].copy_from_slice(&spot.place.to_be_bytes());
    key[24..].copy_from_slice(&spot.user.to_bytes());
    key
}

/// The spot a `room_queue` key names.
pub(crate) fn spot_of(key: &[u8]) -> Option<Spot> {
    let place = u64::from_be_bytes(key.get(16..24)?.try_into().ok()?);
    let user = UserId::from_bytes(key.get(24..40)?.try_into().ok()?);
    Some(Spot { place, user })
}

/// The `room_queue` keys of `event` after `after` (from the start when none), up to the end of
/// the event's queue.
pub(crate) fn queue_after(event: EventId, after: Option<Spot>) -> (Vec<u8>, Vec<u8>) {
    let start = match after {
        // The smallest key greater than the cursor's: itself with a zero byte appended.
        Some(spot) => [&queue_key(event, spot)[..], &[0]].concat(),
        None => event.to_bytes().to_vec(),
    };
    let mut end = event.to_bytes().to_vec();
    end.extend_from_slice(&[0xff; 25]);
    (start, end)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::codec;

    #[test]
    fn stored_enums_keep_their_variant_indexes() {
        assert_eq!(
            codec::variant_indexes(&[StoredAdmission::PerMinute(1), StoredAdmission::Automatic]),
            [0, 1]
        );
        let at = Timestamp::from_millis(1);
        assert_eq!(
            codec::variant_indexes(&[
                MemberState::Waiting,
                MemberState::Admitted { at, expires_at: at },
                MemberState::Spent { at },
                MemberState::Expired { at },
            ]),
            [0, 1, 2, 3]
        );
    }

    #[test]
    fn queue_keys_sort_early_before_late_and_round_trip() {
        let event = EventId::generate();
        let user = UserId::generate();
        let early = Spot {
            place: LATE - 1,
            user,
        };
        let late = Spot { place: LATE, user };
        assert!(queue_key(event, early) < queue_key(event, late));
        assert_eq!(spot_of(&queue_key(event, late)), Some(late));
        let (start, end) = queue_after(event, Some(early));
        assert!(start.as_slice() > &queue_key(event, early)[..]);
        assert!(start.as_slice() <= &queue_key(event, late)[..]);
        assert!(end.as_slice() > &queue_key(event, late)[..]);
    }
}
