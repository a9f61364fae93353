//! What one log entry becomes on the topic: a CloudEvents 1.0 structured-mode JSON value, keyed
//! by the event it concerns, with the sequence number in a header as well (docs/kafka.md).
//!
//! The topic follows the privacy rule of the analysts' tables (`crate::export`): no e-mail
//! address, name or password hash, an age group instead of an age, and an organizer message
//! without its text. The log itself never holds an address, a name or a hash; the two fields
//! it does hold that analysts do not see are removed here.

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
    let (kind, mut data) = kind_and_data(&entry.event);
    redact(&entry.event, &mut data);
    let key = ["event", "user"]
        .iter()
        .find_map(|field| data.get(*field).and_then(Value::as_str))
        .unwrap_or_default()
        .to_owned();
    let mut envelope = Map::with_capacity(8);
    envelope.insert("specversion".into(), "1.0".into());
    envelope.insert("id".into(), entry.seq.to_string().into());
    envelope.insert("source".into(), source.into());
    envelope.insert("type".into(), format!("{TYPE_PREFIX}{kind}").into());
    envelope.insert("time".into(), entry.at.to_rfc3339().into());
    if !key.is_empty() {
        envelope.insert("subject".into(), key.clone().into());
    }
    envelope.insert("datacontenttype".into(), "application/json".into());
    envelope.insert("data".into(), Value::Object(data));
    Record {
        seq: entry.seq,
        key,
        // A map of JSON values always serializes.
        value: serde_json::to_vec(&envelope).unwrap_or_default(),
    }
}

/// The entry's kind (`ticket_booked`) and its fields, as the log's JSON form names them.
fn kind_and_data(event: &DomainEvent) -> (String, Map<String, Value>) {
    // Every variant is a struct variant, which serde writes as `{"kind": {fields}}`.
    match serde_json::to_value(event) {
        Ok(Value::Object(outer)) => match outer.into_iter().next() {
            Some((kind, Value::Object(data))) => (kind, data),
            Some((kind, _)) => (kind, Map::new()),
            None => (String::new(), Map::new()),
        },
        _ => (String::new(), Map::new()),
    }
}

/// Applies the privacy rule. Every variant is named, so a new one cannot reach the topic
/// before someone decides what of it may.
fn redact(event: &DomainEvent, data: &mut Map<String, Value>) {
    use DomainEvent as E;
    match event {
        E::UserRegistered { age, .. } | E::GuestRegistered { age, .. } => {
            data.remove("age");
            data.insert("age_group".into(), AgeGroup::of(*age).as_str().into());
        }
        // The message's text is the organizer's words to named people; analysts see that a
        // message went to a segment, not what it said.
        E::MessageSent { .. } => {
            data.remove("subject");
            data.remove("body");
        }
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
        | E::TicketNamesChanged { .. } => {}
    }
}
