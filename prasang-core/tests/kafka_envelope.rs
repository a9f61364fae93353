//! What the Kafka exporter puts on the topic for each log entry (feature `kafka`): a CloudEvent
//! keyed by its event, and never a person's address, name, exact age or an organizer's words.
#![cfg(feature = "kafka")]

mod common;

use common::{World, email_of};
use prasang_core::guests::GuestCheckout;
use prasang_core::kafka::envelope::{self, Record};
use prasang_core::log::LogEntry;
use prasang_core::messages::{MessageDraft, Segment};
use prasang_core::tickets::BookingRequest;
use prasang_core::users::Role;
use serde_json::Value;

const SOURCE: &str = "https://tickets.example.org";
const SUBJECT: &str = "Doors open at seven";
const BODY: &str = "Bring the printed ticket, please";

/// A log with accounts, an event, a booking, a cancellation, a guest checkout and a message.
fn varied_log(world: &World) -> Vec<LogEntry> {
    let (olga, ada, event) = world.organizer_attendee_event(10, 0, 4);
    world.book_and_cancel(&ada, event.id, 2);
    world.book(&ada, event.id, 1);
    world
        .prasang
        .guests()
        .book(&GuestCheckout {
            name: "Gita Guest".into(),
            email: "gita@example.org".into(),
            booking: BookingRequest::seats(event.id, 1),
        })
        .expect("guest checkout");
    world
        .prasang
        .messages()
        .send(
            &olga,
            event.id,
            MessageDraft {
                subject: SUBJECT.into(),
                body: BODY.into(),
                segment: Segment::AllHolders,
            },
        )
        .expect("message");
    let admin = world.prasang.auth().system_actor();
    world.prasang.log().read(&admin, 0, 1000).expect("log")
}

fn json(record: &Record) -> Value {
    serde_json::from_slice(&record.value).expect("the value is JSON")
}

#[test]
fn every_entry_is_a_cloudevent_keyed_by_its_event_or_user() {
    let world = World::new();
    let entries = varied_log(&world);
    assert!(entries.len() >= 8, "{entries:?}");
    for entry in &entries {
        let record = envelope::record(entry, SOURCE);
        let value = json(&record);
        let log_form = serde_json::to_value(&entry.event).expect("log JSON");
        let (kind, fields) = log_form
            .as_object()
            .and_then(|outer| outer.iter().next())
            .expect("one kind");
        assert_eq!(record.seq, entry.seq);
        assert_eq!(value["specversion"], "1.0");
        assert_eq!(value["id"], entry.seq.to_string());
        assert_eq!(value["source"], SOURCE);
        assert_eq!(value["type"], format!("prasang.{kind}"));
        assert_eq!(value["time"], entry.at.to_rfc3339());
        assert_eq!(value["datacontenttype"], "application/json");
        let expected_key = fields
            .get("event")
            .or_else(|| fields.get("user"))
            .and_then(Value::as_str)
            .expect("every entry names an event or a user");
        assert_eq!(record.key, expected_key, "{kind}");
        assert_eq!(value["subject"], expected_key);
        assert!(value["data"].is_object(), "{value}");
    }
    let kinds: Vec<String> = entries
        .iter()
        .map(|entry| json(&envelope::record(entry, SOURCE))["type"].to_string())
        .collect();
    for kind in [
        "ticket_booked",
        "ticket_cancelled",
        "guest_created",
        "message_sent",
    ] {
        assert!(
            kinds.iter().any(|seen| seen.contains(kind)),
            "{kind} in {kinds:?}"
        );
    }
}

#[test]
fn no_address_name_age_or_message_text_reaches_the_topic() {
    let world = World::new();
    let entries = varied_log(&world);
    let forbidden = [
        email_of("Olga"),
        email_of("Ada"),
        "gita@example.org".to_owned(),
        "Olga".to_owned(),
        "Ada".to_owned(),
        "Gita Guest".to_owned(),
        SUBJECT.to_owned(),
        BODY.to_owned(),
    ];
    let mut registrations = 0;
    for entry in &entries {
        let record = envelope::record(entry, SOURCE);
        let text = String::from_utf8(record.value.clone()).expect("UTF-8");
        for secret in &forbidden {
            assert!(!text.contains(secret.as_str()), "{secret:?} in {text}");
        }
        let value = json(&record);
        let data = value["data"].as_object().expect("data");
        for field in [
            "email",
            "name",
            "password",
            "password_hash",
            "age",
            "subject",
            "body",
        ] {
            assert!(!data.contains_key(field), "{field} in {value}");
        }
        if value["type"] == "prasang.user_registered" {
            registrations += 1;
            // The fixture's users are adults; the group, never the age, goes out.
            let group = data["age_group"].as_str().expect("age group");
            assert!(group.contains('_') && group != "unknown", "{group}");
        }
        if value["type"] == "prasang.message_sent" {
            assert_eq!(data["segment"]["kind"], "all_holders", "{value}");
        }
    }
    assert_eq!(registrations, 2, "Olga and Ada registered");
    // The log itself did hold the message text: the envelope is what removed it.
    let raw = serde_json::to_string(&entries).expect("log JSON");
    assert!(raw.contains(SUBJECT));
}

#[test]
fn a_registration_says_the_age_group_of_the_age_given() {
    let world = World::new();
    world.user("Ada", Role::Attendee);
    let admin = world.prasang.auth().system_actor();
    let entries = world.prasang.log().read(&admin, 0, 10).expect("log");
    let registered = entries
        .iter()
        .map(|entry| json(&envelope::record(entry, SOURCE)))
        .find(|value| value["type"] == "prasang.user_registered")
        .expect("a registration");
    let age = u8::try_from(common::new_user("Ada", Role::Attendee).age).expect("an age");
    let group = prasang_core::analytics::AgeGroup::of(age).as_str();
    assert_eq!(registered["data"]["age_group"], group);
}
