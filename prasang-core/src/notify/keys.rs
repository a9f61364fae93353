//! Key encodings of the notification trees (see the "Notifications" section of docs/storage.md).
//!
//! A delivery is identified by `seq (8, big-endian) ++ user (16) ++ channel id (utf-8)`: the same
//! triple as its idempotency key, so re-processing a log entry finds the record it made before.
//! Channel ids come last (or length-prefixed) because they vary in length.

use crate::ids::{EventId, UserId};
use crate::store::keys;
use crate::time::Timestamp;

/// Length of the fixed part of a delivery key (`seq ++ user`).
const SEQ_USER: usize = 8 + 16;

/// `deliveries`: log sequence, recipient, channel.
pub(crate) fn delivery(seq: u64, user: UserId, channel: &str) -> Vec<u8> {
    let mut key = Vec::with_capacity(SEQ_USER + channel.len());
    key.extend_from_slice(&keys::log_seq(seq));
    key.extend_from_slice(&user.to_bytes());
    key.extend_from_slice(channel.as_bytes());
    key
}

/// Splits a delivery key into its parts.
#[cfg(test)]
fn delivery_parts(key: &[u8]) -> Option<(u64, UserId, &str)> {
    let seq = keys::seq_from_key(key)?;
    let user = UserId::from_key_prefix(key.get(8..)?)?;
    let channel = std::str::from_utf8(key.get(SEQ_USER..)?).ok()?;
    Some((seq, user, channel))
}

/// `deliveries_by_event`: event, then the delivery key.
pub(crate) fn delivery_by_event(event: EventId, delivery: &[u8]) -> Vec<u8> {
    let mut key = Vec::with_capacity(16 + delivery.len());
    key.extend_from_slice(&event.to_bytes());
    key.extend_from_slice(delivery);
    key
}

/// The delivery key inside a `deliveries_by_event` key.
pub(crate) fn delivery_from_by_event(key: &[u8]) -> Option<&[u8]> {
    key.get(16..)
}

/// `deliveries_by_user`: user, sequence, channel (the user is not repeated).
pub(crate) fn delivery_by_user(seq: u64, user: UserId, channel: &str) -> Vec<u8> {
    let mut key = Vec::with_capacity(SEQ_USER + channel.len());
    key.extend_from_slice(&user.to_bytes());
    key.extend_from_slice(&keys::log_seq(seq));
    key.extend_from_slice(channel.as_bytes());
    key
}

/// The delivery key a `deliveries_by_user` key points at.
pub(crate) fn delivery_from_by_user(key: &[u8]) -> Option<Vec<u8>> {
    let user = UserId::from_key_prefix(key)?;
    let seq = keys::seq_from_key(key.get(16..)?)?;
    let channel = std::str::from_utf8(key.get(SEQ_USER..)?).ok()?;
    Some(delivery(seq, user, channel))
}

/// The `deliveries_due` range of one channel: its id's length, then its id. The length byte
/// keeps one channel's range from containing another's (`mail` vs `mailer`).
pub(crate) fn due_prefix(channel: &str) -> Vec<u8> {
    let mut key = Vec::with_capacity(1 + channel.len() + 8 + SEQ_USER);
    key.push(u8::try_from(channel.len()).unwrap_or(u8::MAX));
    key.extend_from_slice(channel.as_bytes());
    key
}

/// `deliveries_due`, one delivery's entry: channel prefix, when the attempt is due, sequence,
/// user.
pub(crate) fn due(channel: &str, at: Timestamp, seq: u64, user: UserId) -> Vec<u8> {
    let mut key = due_prefix(channel);
    key.extend_from_slice(&keys::timestamp(at));
    key.extend_from_slice(&keys::log_seq(seq));
    key.extend_from_slice(&user.to_bytes());
    key
}

/// `deliveries_due`, a dispatch round's entry: channel prefix, when it is due, then the log
/// range `from..to` whose new deliveries over the channel it stands for. Eight bytes shorter
/// than a delivery's entry, which tells the two apart.
pub(crate) fn due_fresh(channel: &str, at: Timestamp, from: u64, to: u64) -> Vec<u8> {
    let mut key = due_prefix(channel);
    key.extend_from_slice(&keys::timestamp(at));
    key.extend_from_slice(&keys::log_seq(from));
    key.extend_from_slice(&keys::log_seq(to));
    key
}

/// The first key of `channel`'s due range that is due later than `at`.
pub(crate) fn due_after(channel: &str, at: Timestamp) -> Vec<u8> {
    let mut key = due_prefix(channel);
    key.extend_from_slice(&keys::timestamp(Timestamp::from_millis(
        at.as_millis().saturating_add(1),
    )));
    key
}

/// What an entry of a channel's due queue stands for.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum DueEntry {
    /// One delivery, by its key.
    One(Vec<u8>),
    /// The deliveries over the channel made for log entries `from..to` that were never
    /// attempted: one entry for a dispatch round's new deliveries instead of one each.
    Fresh { from: u64, to: u64 },
}

/// The due time and what it stands for, inside a `deliveries_due` key of `channel`.
pub(crate) fn due_parts(key: &[u8], channel: &str) -> Option<(Timestamp, DueEntry)> {
    let rest = key.get(1 + channel.len()..)?;
    let raw = u64::from_be_bytes(rest.get(..8)?.try_into().ok()?);
    let at = Timestamp::from_millis((raw ^ (1 << 63)) as i64);
    let seq = keys::seq_from_key(rest.get(8..)?)?;
    let entry = match rest.len() {
        24 => DueEntry::Fresh {
            from: seq,
            to: keys::seq_from_key(rest.get(16..)?)?,
        },
        _ => DueEntry::One(delivery(
            seq,
            UserId::from_key_prefix(rest.get(16..)?)?,
            channel,
        )),
    };
    Some((at, entry))
}

/// The `deliveries` keys of log entries `from..to`, as a range.
pub(crate) fn deliveries_of(from: u64, to: u64) -> std::ops::Range<[u8; 8]> {
    keys::log_seq(from)..keys::log_seq(to)
}

/// Whether the delivery key `key` is a delivery over `channel`.
pub(crate) fn delivery_is_over(key: &[u8], channel: &str) -> bool {
    key.get(SEQ_USER..) == Some(channel.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_read_back() {
        let user = UserId::generate();
        let key = delivery(42, user, "email");
        assert_eq!(delivery_parts(&key), Some((42, user, "email")));
        let event = EventId::generate();
        assert_eq!(
            delivery_from_by_event(&delivery_by_event(event, &key)),
            Some(key.as_slice())
        );
        assert_eq!(
            delivery_from_by_user(&delivery_by_user(42, user, "email")),
            Some(key.clone())
        );
        let at = Timestamp::from_millis(1_700_000_000_123);
        assert_eq!(
            due_parts(&due("email", at, 42, user), "email"),
            Some((at, DueEntry::One(key.clone())))
        );
        assert_eq!(
            due_parts(&due_fresh("email", at, 42, 50), "email"),
            Some((at, DueEntry::Fresh { from: 42, to: 50 }))
        );
        assert!(delivery_is_over(&key, "email"));
        assert!(!delivery_is_over(&key, "mail"));
        assert!(deliveries_of(42, 43).contains(&keys::log_seq(42)));
    }

    #[test]
    fn due_ranges_of_channels_do_not_overlap_and_sort_by_time() {
        let user = UserId::generate();
        let early = Timestamp::from_millis(1);
        let late = Timestamp::from_millis(2);
        assert!(!due("mailer", early, 1, user).starts_with(&due_prefix("mail")));
        assert!(due("mail", early, 9, user) < due("mail", late, 1, user));
        assert!(due("mail", early, 9, user) < due_after("mail", early));
        assert!(due("mail", late, 1, user) >= due_after("mail", early));
    }
}
