//! What the `messages` and `message_days` trees store (see docs/storage.md).

use serde::{Deserialize, Serialize};

use super::segment::Segment;
use crate::ids::{EventId, UserId};
use crate::store::codec::{self, Record};
use crate::store::{Store, StoreError};
use crate::time::Timestamp;

/// A message as stored under its event, version 1. The log entry `MessageSent` says the same
/// (but `recipients`); this copy lets an event's messages be listed without reading the log.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct MessageRecord {
    pub(crate) by: UserId,
    pub(crate) segment: Segment,
    pub(crate) subject: String,
    pub(crate) body: String,
    pub(crate) sent_at: Timestamp,
    /// How many people the dispatcher found in the segment when it fanned the message out;
    /// `None` until then.
    pub(crate) recipients: Option<u32>,
}

impl Record for MessageRecord {
    const TREE: &'static str = "messages";
    const VERSION: u8 = 1;
}

/// `messages`: event, then the complement of the message's log sequence, so an event's
/// messages scan newest first.
pub(crate) fn key(event: EventId, seq: u64) -> [u8; 24] {
    let mut key = [0; 24];
    key[..16].copy_from_slice(&event.to_bytes());
    key[16..].copy_from_slice(&(u64::MAX - seq).to_be_bytes());
    key
}

/// The log sequence (the message's id) inside a `messages` key.
pub(crate) fn seq_from_key(key: &[u8]) -> Option<u64> {
    let bytes: [u8; 8] = key.get(16..24)?.try_into().ok()?;
    Some(u64::MAX - u64::from_be_bytes(bytes))
}

/// `message_days`: event, then the UTC day (days since 1970-01-01) of `at`. The value is how
/// many messages the event sent that day, a count its sends read and raise in their transaction.
pub(crate) fn day_key(event: EventId, at: Timestamp) -> [u8; 24] {
    let day = at.as_millis().div_euclid(86_400_000);
    let mut key = [0; 24];
    key[..16].copy_from_slice(&event.to_bytes());
    // Flipping the sign bit keeps days before 1970 ordered before later ones.
    key[16..].copy_from_slice(&((day as u64) ^ (1 << 63)).to_be_bytes());
    key
}

/// Message `seq` of `event`.
pub(crate) fn load(
    store: &Store,
    event: EventId,
    seq: u64,
) -> Result<Option<MessageRecord>, StoreError> {
    codec::get(&store.messages, &key(event, seq))
}

/// Records how many recipients the dispatcher found for message `seq` (it may plan a message
/// again after a crash: the last count stands). Nothing if the message is unknown.
pub(crate) fn set_recipients(
    store: &Store,
    event: EventId,
    seq: u64,
    recipients: usize,
) -> Result<(), StoreError> {
    let key = key(event, seq);
    let Some(mut message) = codec::get::<MessageRecord>(&store.messages, &key)? else {
        return Ok(());
    };
    message.recipients = Some(u32::try_from(recipients).unwrap_or(u32::MAX));
    store.messages.insert(key, codec::write(&message))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_read_back_newest_first_and_days_split_at_utc_midnight() {
        let event = EventId::generate();
        assert_eq!(seq_from_key(&key(event, 42)), Some(42));
        assert!(key(event, 43) < key(event, 42), "newer first");
        let midnight = Timestamp::from_millis(1_893_456_000_000);
        let before = Timestamp::from_millis(midnight.as_millis() - 1);
        assert_ne!(day_key(event, before), day_key(event, midnight));
        assert!(day_key(event, before) < day_key(event, midnight));
        let later = Timestamp::from_millis(midnight.as_millis() + 86_399_999);
        assert_eq!(day_key(event, later), day_key(event, midnight));
    }
}
