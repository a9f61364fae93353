//! What one log entry becomes on the topic: a CloudEvents 1.0 structured-mode JSON value, keyed
//! by the event it concerns, with the sequence number in a header as well (docs/kafka.md).
//!
//! The topic follows the privacy rule of the analysts' tables (`crate::export`): no e-mail
//! address, name or password hash, an age group instead of an age, and an organizer message
//! without its text. The log itself never holds an address, a name or a hash; the two fields
//! it does hold that analysts do not see are removed here.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::analytics::AgeGroup;
use crate::log::{DomainEvent, LogEntry};

/// The CloudEvents `type` of every entry starts with this, followed by the entry's kind
/// (`prasang.ticket_booked`).
pub const TYPE_PREFIX: &str = "prasang.";

/// The header that carries the entry's sequence number, in decimal ASCII.
pub const SEQUENCE_HEADER: &str = "prasang-seq";

/// The header that says the value is a structured CloudEvent (the CloudEvents Kafka binding).
pub const CONTENT_TYPE_HEADER: &str = "content-type";

/// Its value.
pub const CONTENT_TYPE: &str = "application/cloudevents+json; charset=UTF-8";

/// One entry ready for the producer.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// The log sequence number (also the CloudEvent's `id` and the `prasang-seq` header).
    pub seq: u64,
    /// The event's id, or the user's for entries about no event: one event's entries share a
    /// partition, so a consumer sees them in log order.
    pub key: String,
    /// The CloudEvent, as JSON.
    pub value: Vec<u8>,
}

/// The record for `entry`; `source` is the CloudEvents `source` (the server's public URL).
pub fn record(entry: &LogEntry, source: &str) -> Record {
    // The log's JSON form of an entry is `{"kind":{fields}}`. It is written once and the kind
    // and the fields are cut out of it; only the kinds the privacy rule changes go through a
    // tree of values (half the cost per entry, which the exporter pays during a sale).
    let tagged = serde_json::to_vec(&entry.event).unwrap_or_default();
    let (kind, fields) = split_tagged(&tagged);
    let data: Cow<'_, [u8]> = match rule(&entry.event) {
        Rule::Keep => Cow::Borrowed(fields),
        changed => Cow::Owned(apply(changed, fields)),
    };
    let key = serde_json::from_slice::<Subject<'_>>(&data)
        .ok()
        .and_then(|subject| subject.event.or(subject.user))
        .map(Cow::into_owned)
        .unwrap_or_default();
    let mut value = Vec::with_capacity(data.len() + source.len() + 200);
    value.extend_from_slice(br#"{"specversion":"1.0","id":""#);
    value.extend_from_slice(entry.seq.to_string().as_bytes());
    value.extend_from_slice(br#"","source":"#);
    write_string(&mut value, source);
    value.extend_from_slice(br#","type":""#);
    value.extend_from_slice(TYPE_PREFIX.as_bytes());
    value.extend_from_slice(kind.as_bytes());
    value.extend_from_slice(br#"","time":""#);
    value.extend_from_slice(entry.at.to_rfc3339().as_bytes());
    value.push(b'"');
    if !key.is_empty() {
        value.extend_from_slice(br#","subject":"#);
        write_string(&mut value, &key);
    }
    value.extend_from_slice(br#","datacontenttype":"application/json","data":"#);
    value.extend_from_slice(&data);
    value.push(b'}');
    Record {
        seq: entry.seq,
        key,
        value,
    }
}

/// The fields that give a record its key.
#[derive(Deserialize)]
struct Subject<'a> {
    #[serde(borrow, default)]
    event: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    user: Option<Cow<'a, str>>,
}

/// `{"kind":{fields}}` as the kind and the fields' object (serde_json writes an externally
/// tagged struct variant exactly so: no spaces, and kinds are plain snake case).
fn split_tagged(tagged: &[u8]) -> (&str, &[u8]) {
    let cut = || {
        let rest = tagged.strip_prefix(b"{\"")?;
        let end = rest.iter().position(|&byte| byte == b'"')?;
        let kind = std::str::from_utf8(&rest[..end]).ok()?;
        let fields = rest[end..].strip_prefix(b"\":")?.strip_suffix(b"}")?;
        Some((kind, fields))
    };
    cut().unwrap_or(("", b"{}"))
}

/// Writes `text` as a JSON string.
fn write_string(out: &mut Vec<u8>, text: &str) {
    // Writing a string into a vector cannot fail.
    let _ = serde_json::to_writer(&mut *out, text);
}

/// What the privacy rule does to an entry of some kind.
enum Rule {
    /// Nothing: the entry holds nothing personal.
    Keep,
    /// The age becomes an age group.
    AgeToGroup(u8),
    /// A message's subject and text are left out.
    DropMessageText,
}

/// `fields` with `rule` applied.
fn apply(rule: Rule, fields: &[u8]) -> Vec<u8> {
    let mut data: Map<String, Value> = serde_json::from_slice(fields).unwrap_or_default();
    match rule {
        Rule::Keep => {}
        Rule::AgeToGroup(age) => {
            data.remove("age");
            data.insert("age_group".into(), AgeGroup::of(age).as_str().into());
        }
        Rule::DropMessageText => {
            data.remove("subject");
            data.remove("body");
        }
    }
    // A map of JSON values always serializes.
    serde_json::to_vec(&data).unwrap_or_default()
}

/// The privacy rule for `event`. Every variant is named, so a new one cannot reach the topic
/// before someone decides what of it may.
fn rule(event: &DomainEvent) -> Rule {
    use DomainEvent as E;
    match event {
        E::UserRegistered { age, .. } | E::GuestRegistered { age, .. } => Rule::AgeToGroup(*age),
        // The message's text is the organizer's words to named people; analysts see that a
        // message went to a segment, not what it said.
        E::MessageSent { .. } => Rule::DropMessageText,
        E::UserUpdated { .. }
        | E::EventCreated { .. }
        | E::EventUpdated { .. }
        | E::EventCancelled { .. }
        | E::EventDeleted { .. }
        | E::EventViewed { .. }
        | E::TicketPending { .. }
        | E::TicketBooked { .. }
        | E::TicketCancelled { .. }
        | E::TicketExpired { .. }
        | E::FeedbackGiven { .. }
        | E::FeedbackEdited { .. }
        | E::FeedbackDeleted { .. }
        | E::FeedbackReplied { .. }
        | E::FeedbackRequested { .. }
        | E::TicketOrdered { .. }
        | E::TicketTypeChanged { .. }
        | E::PromoCodeChanged { .. }
        | E::Admitted { .. }
        | E::AdmissionUndone { .. }
        | E::AdmissionConflict { .. }
        | E::DoorStaffAdded { .. }
        | E::DoorStaffRemoved { .. }
        | E::WaitlistConfigured { .. }
        | E::WaitlistJoined { .. }
        | E::WaitlistLeft { .. }
        | E::WaitlistOffered { .. }
        | E::WaitlistOfferAccepted { .. }
        | E::WaitlistOfferDeclined { .. }
        | E::WaitlistOfferExpired { .. }
        | E::GuestCreated { .. }
        | E::GuestAccessRequested { .. }
        | E::TicketNamesChanged { .. }
        | E::QueueAdmitted { .. }
        | E::QueueJoined { .. } => Rule::Keep,
    }
}
