//! Key encodings for every tree. All integers are big-endian so byte order is numeric order;
//! see docs/storage.md for the full keyspace.

use crate::ids::{EventId, TicketId, UserId};
use crate::time::Timestamp;

/// Concatenates fixed-width key parts.
fn concat<const N: usize>(parts: &[&[u8]]) -> [u8; N] {
    let mut key = [0u8; N];
    let mut at = 0;
    for part in parts {
        key[at..at + part.len()].copy_from_slice(part);
        at += part.len();
    }
    key
}

/// A timestamp as 8 bytes that sort like the signed value (sign bit flipped).
pub(crate) fn timestamp(at: Timestamp) -> [u8; 8] {
    ((at.as_millis() as u64) ^ (1 << 63)).to_be_bytes()
}

/// Reads back a timestamp written by [`timestamp`].
pub(crate) fn timestamp_from(bytes: &[u8]) -> Option<Timestamp> {
    let raw = u64::from_be_bytes(bytes.try_into().ok()?) ^ (1 << 63);
    Some(Timestamp::from_millis(raw as i64))
}

/// `events_by_start`: start time, then event id.
pub(crate) fn event_by_start(starts_at: Timestamp, event: EventId) -> [u8; 24] {
    concat(&[&timestamp(starts_at), &event.to_bytes()])
}

/// Reads the event id back out of an `events_by_start` key.
pub(crate) fn event_from_start_key(key: &[u8]) -> Option<EventId> {
    EventId::from_key_prefix(key.get(8..)?)
}

/// `events_by_organizer`: organizer, then event id.
pub(crate) fn event_by_organizer(organizer: UserId, event: EventId) -> [u8; 32] {
    concat(&[&organizer.to_bytes(), &event.to_bytes()])
}

/// `tickets_by_event`: event, then ticket id.
pub(crate) fn ticket_by_event(event: EventId, ticket: TicketId) -> [u8; 32] {
    concat(&[&event.to_bytes(), &ticket.to_bytes()])
}

/// `tickets_by_user`: user, then ticket id.
pub(crate) fn ticket_by_user(user: UserId, ticket: TicketId) -> [u8; 32] {
    concat(&[&user.to_bytes(), &ticket.to_bytes()])
}

/// The ticket id in the second half of a `tickets_by_event` / `tickets_by_user` key.
pub(crate) fn ticket_from_index_key(key: &[u8]) -> Option<TicketId> {
    TicketId::from_key_prefix(key.get(16..)?)
}

/// `feedback`: event, then user.
pub(crate) fn event_user(event: EventId, user: UserId) -> [u8; 32] {
    concat(&[&event.to_bytes(), &user.to_bytes()])
}

/// `holds_by_expiry`: expiry time, then ticket id.
pub(crate) fn hold_by_expiry(expires_at: Timestamp, ticket: TicketId) -> [u8; 24] {
    concat(&[&timestamp(expires_at), &ticket.to_bytes()])
}

/// The ticket id in a `holds_by_expiry` key.
pub(crate) fn ticket_from_expiry_key(key: &[u8]) -> Option<TicketId> {
    TicketId::from_key_prefix(key.get(8..)?)
}

/// `idempotency`: user, then the caller's key bytes.
pub(crate) fn idempotency(user: UserId, key: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 + key.len());
    out.extend_from_slice(&user.to_bytes());
    out.extend_from_slice(key.as_bytes());
    out
}

/// `log`: the sequence number.
pub(crate) fn log_seq(seq: u64) -> [u8; 8] {
    seq.to_be_bytes()
}

/// Reads a sequence number back from a `log` key.
pub(crate) fn seq_from_key(key: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(key.get(..8)?.try_into().ok()?))
}

/// Encodes the position after `key` as an opaque paging cursor.
pub(crate) fn cursor_text(key: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(key)
}

/// Decodes a paging cursor made by [`cursor_text`].
pub(crate) fn cursor_bytes(text: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text)
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_sort_bytewise_including_before_1970() {
        let times = [-5_000i64, -1, 0, 1, 1_700_000_000_000];
        for pair in times.windows(2) {
            let a = timestamp(Timestamp::from_millis(pair[0]));
            let b = timestamp(Timestamp::from_millis(pair[1]));
            assert!(a < b, "{} should sort before {}", pair[0], pair[1]);
        }
    }

    #[test]
    fn composite_keys_read_back() {
        let event = EventId::generate();
        let ticket = TicketId::generate();
        assert_eq!(
            ticket_from_index_key(&ticket_by_event(event, ticket)),
            Some(ticket)
        );
        let at = Timestamp::from_millis(42);
        assert_eq!(
            event_from_start_key(&event_by_start(at, event)),
            Some(event)
        );
        assert_eq!(
            ticket_from_expiry_key(&hold_by_expiry(at, ticket)),
            Some(ticket)
        );
        assert_eq!(seq_from_key(&log_seq(9)), Some(9));
    }
}
