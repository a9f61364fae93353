//! Messages from organizers: segments and their preview counts, who may send, what is refused
//! (and then not stored), the daily limit (also under racing sends), and the report of what
//! became of each delivery.

mod common;
mod notify_support;

use std::sync::{Arc, Barrier};
use std::time::Duration;

use common::World;
use notify_support::Recording;
use prasang_core::auth::Actor;
use prasang_core::checkin::CheckInRequest;
use prasang_core::error::{DomainError, ErrorKind};
use prasang_core::limits::MESSAGES_PER_EVENT_PER_DAY;
use prasang_core::log::DomainEvent;
use prasang_core::messages::{ChannelCounts, Message, MessageDraft, MessageError, Segment};
use prasang_core::notify::{
    Channel, DeliveryError, EventNotificationSettings, Notification, NotificationKind,
    NotificationPreferences, Receipt,
};
use prasang_core::users::Role;
use prasang_core::waitlist::{JoinRequest, WaitlistSettings};
use prasang_core::{EventId, PageRequest};

/// Answers as a plugin built before organizer messages existed does: skipped.
struct Outdated;

impl Channel for Outdated {
    fn id(&self) -> &str {
        "sms"
    }
    fn deliver(&self, notification: &Notification) -> Result<Receipt, DeliveryError> {
        Ok(Receipt {
            remote_id: None,
            detail: format!(
                "skipped: plugins built for prasang:channel@0.2.0 do not receive {:?} notifications",
                notification.kind
            ),
        })
    }
}

fn draft(subject: &str, body: &str, segment: Segment) -> MessageDraft {
    MessageDraft {
        subject: subject.into(),
        body: body.into(),
        segment,
    }
}

fn everyone(subject: &str) -> MessageDraft {
    draft(
        subject,
        "Doors open at 19:00, not 18:00.",
        Segment::AllHolders,
    )
}

/// A store delivering through a recorded `email` channel and an outdated `sms` plugin.
fn world() -> (Arc<Recording>, World) {
    let email = Arc::new(Recording::new("email"));
    let world = World::with(|config| {
        config
            .channel(Arc::clone(&email) as Arc<dyn Channel>)
            .channel(Arc::new(Outdated))
    });
    (email, world)
}

fn run_notifications(world: &World) {
    while {
        let report = world.prasang.run_notifications_once().expect("dispatch");
        report.created + report.sent + report.retrying > 0
    } {}
}

fn all_messages(world: &World, actor: &Actor, event: EventId) -> Vec<Message> {
    let page = PageRequest::first(100);
    let messages = world.prasang.messages().list(actor, event, &page);
    messages.expect("list").items
}

fn admin(world: &World) -> Actor {
    let users = world.prasang.users();
    let root = users.create_admin(common::new_user("Root", Role::Admin));
    let root = root.expect("admin");
    world.prasang.auth().trusted_actor(root.id).expect("actor")
}

fn log_end(world: &World) -> u64 {
    world.prasang.log().end().expect("log end")
}

#[test]
fn a_message_reaches_each_holder_once_per_channel_and_the_report_counts_it() {
    let (email, world) = world();
    let (olga, ada, bob, event) = world.organizer_two_attendees_event(50, 0, 5);
    let cy = world.user("Cy", Role::Attendee);
    let dee = world.user("Dee", Role::Attendee);
    world.book(&ada, event.id, 2);
    world.book(&ada, event.id, 1);
    world.book(&bob, event.id, 1);
    world.book(&dee, event.id, 1);
    world.book_and_cancel(&cy, event.id, 1);
    let prefs = world.prasang.notifications();
    let both = NotificationPreferences {
        channels: vec!["email".into(), "sms".into()],
    };
    prefs
        .set_preferences(&bob, bob.user_id(), both)
        .expect("prefs");
    let none = NotificationPreferences { channels: vec![] };
    prefs
        .set_preferences(&dee, dee.user_id(), none)
        .expect("prefs");
    run_notifications(&world);
    let before = email.calls().len();

    let messages = world.prasang.messages();
    let preview = messages.preview(&olga, event.id, Segment::AllHolders);
    assert_eq!(preview.expect("preview"), 3, "Ada once, Bob, Dee; not Cy");
    let body = "Doors open at 19:00.\n<b>Not</b> 18:00 & bring your ticket.";
    let sent = messages
        .send(
            &olga,
            event.id,
            draft(" Later doors ", body, Segment::AllHolders),
        )
        .expect("sent");
    assert_eq!(sent.subject, "Later doors", "trimmed");
    assert_eq!(sent.body, body, "plain text, stored as written");
    assert_eq!(sent.recipients, None, "not dispatched yet");

    // The log keeps the message and its sender, under the message's id.
    let entries = world
        .prasang
        .log()
        .read(&world.prasang.auth().system_actor(), sent.id, 1);
    let entry = entries.expect("log").pop().expect("the entry");
    assert_eq!(entry.seq, sent.id);
    assert_eq!(
        entry.event,
        DomainEvent::MessageSent {
            event: event.id,
            by: olga.user_id(),
            segment: Segment::AllHolders,
            subject: "Later doors".into(),
            body: body.into(),
        }
    );

    run_notifications(&world);
    let told: Vec<Notification> = email.notifications()[before..].to_vec();
    let mut to: Vec<_> = told.iter().map(|n| n.recipient.user_id).collect();
    to.sort();
    let mut expected = vec![ada.user_id(), bob.user_id()];
    expected.sort();
    assert_eq!(to, expected, "once each by e-mail; Dee chose no channel");
    for notification in &told {
        assert_eq!(notification.kind, NotificationKind::OrganizerMessage);
        assert_eq!(notification.subject.as_deref(), Some("Later doors"));
        assert_eq!(notification.message.as_deref(), Some(body));
        assert_eq!(notification.log_seq, sent.id);
    }

    let report = messages.report(&olga, event.id, sent.id).expect("report");
    assert_eq!(report.message.recipients, Some(3));
    assert_eq!(report.unreached, Some(1), "Dee");
    assert_eq!(
        report.channels,
        [
            ChannelCounts {
                channel: "email".into(),
                sent: 2,
                ..ChannelCounts::default()
            },
            ChannelCounts {
                channel: "sms".into(),
                skipped: 1,
                ..ChannelCounts::default()
            },
        ]
    );
    assert_eq!(all_messages(&world, &olga, event.id), [report.message]);
}

#[test]
fn segments_pick_holders_of_a_type_and_who_is_in_or_not_yet() {
    let world = World::new();
    let olga = world.user("Olga", Role::Organizer);
    let types = vec![
        common::types::ticket_type("Standing", 0, None),
        common::types::ticket_type("Seated", 0, None),
    ];
    let event = world
        .prasang
        .events()
        .create(&olga, common::types::typed_event(50, 5, types))
        .expect("event");
    let listed = world.prasang.events().ticket_types(&olga, event.id);
    let ids: Vec<_> = listed.expect("types").iter().map(|t| t.id).collect();
    let (standing, seated) = (ids[0], ids[1]);
    let [ada, bob, cy] = ["Ada", "Bob", "Cy"].map(|name| world.user(name, Role::Attendee));
    let book = |who: &Actor, ticket_type| {
        let order = common::types::order(event.id, &[(ticket_type, 1)], None);
        world.book_with(who, &order).ticket.clone()
    };
    let ada_ticket = book(&ada, standing);
    book(&bob, seated);
    book(&cy, seated);
    let code = &common::codes::seat_codes(&world.prasang, &ada, ada_ticket.id)[0];
    let scan = CheckInRequest {
        event: event.id,
        code,
        gate: "North door".into(),
        scan_id: "scan-1".into(),
    };
    world.prasang.check_ins().check_in(&olga, scan).expect("in");

    let count = |segment| {
        world
            .prasang
            .messages()
            .preview(&olga, event.id, segment)
            .expect("preview")
    };
    assert_eq!(count(Segment::AllHolders), 3);
    let ticket_type = |ticket_type| Segment::TicketType { ticket_type };
    assert_eq!(count(ticket_type(standing)), 1);
    assert_eq!(count(ticket_type(seated)), 2);
    assert_eq!(count(Segment::CheckedIn), 1);
    assert_eq!(count(Segment::NotCheckedIn), 2);
    assert_eq!(count(Segment::WaitingList), 0);

    let refused = world
        .prasang
        .messages()
        .preview(&olga, event.id, ticket_type(99))
        .expect_err("no such type");
    assert_eq!(refused.field().map(|f| f.field), Some("segment"));
}

#[test]
fn only_the_organizer_and_admins_may_write_and_read_an_events_messages() {
    let (_, world) = world();
    let (olga, ada, event) = world.organizer_attendee_event(50, 0, 5);
    let other = world.user("Otto", Role::Organizer);
    let admin = admin(&world);
    let messages = world.prasang.messages();
    for outsider in [&ada, &other] {
        let refused = messages.send(outsider, event.id, everyone("Hi"));
        assert_eq!(refused.expect_err("refused").kind(), ErrorKind::Forbidden);
        let refused = messages.preview(outsider, event.id, Segment::AllHolders);
        assert_eq!(refused.expect_err("refused").kind(), ErrorKind::Forbidden);
        let refused = messages.list(outsider, event.id, &PageRequest::first(10));
        assert_eq!(refused.expect_err("refused").kind(), ErrorKind::Forbidden);
    }
    let by_admin = messages.send(&admin, event.id, everyone("From the venue"));
    let by_admin = by_admin.expect("admins may");
    assert_eq!(by_admin.sent_by, admin.user_id());
    let refused = messages.report(&ada, event.id, by_admin.id);
    assert_eq!(refused.expect_err("refused").kind(), ErrorKind::Forbidden);
    let report = messages.report(&olga, event.id, by_admin.id);
    assert_eq!(report.expect("the organizer sees it").message, by_admin);

    let missing = messages.report(&olga, event.id, by_admin.id + 1);
    assert!(matches!(missing, Err(MessageError::NotFound)));
    let elsewhere = world.event(&olga, 10, 0, 1);
    let wrong_event = messages.report(&olga, elsewhere.id, by_admin.id);
    assert!(matches!(wrong_event, Err(MessageError::NotFound)));
    let nowhere = messages.send(
        &olga,
        "01ARZ3NDEKTSV4RRFFQ69G5FAV".parse::<EventId>().expect("id"),
        everyone("Hi"),
    );
    assert_eq!(nowhere.expect_err("no event").kind(), ErrorKind::NotFound);
}

#[test]
fn bad_drafts_are_refused_naming_the_field_and_nothing_is_stored() {
    let (_, world) = world();
    let (olga, _ada, event) = world.organizer_attendee_event(50, 0, 5);
    let end = log_end(&world);
    let long_subject = "s".repeat(151);
    let long_body = "b".repeat(5_001);
    let bad = [
        ("", "body", "subject"),
        ("   ", "body", "subject"),
        (long_subject.as_str(), "body", "subject"),
        ("two\nlines", "body", "subject"),
        ("evil\u{202E}txt", "body", "subject"),
        ("subject", "", "body"),
        ("subject", "\u{200B}", "body"),
        ("subject", long_body.as_str(), "body"),
        ("subject", "bell\u{7}", "body"),
    ];
    for (subject, body, field) in bad {
        let refused = world
            .prasang
            .messages()
            .send(&olga, event.id, draft(subject, body, Segment::AllHolders))
            .expect_err("refused");
        assert_eq!(
            refused.kind(),
            ErrorKind::InvalidInput,
            "{subject:?} {body:?}"
        );
        assert_eq!(refused.field().map(|f| f.field), Some(field));
    }
    let no_type = draft("s", "b", Segment::TicketType { ticket_type: 7 });
    let refused = world.prasang.messages().send(&olga, event.id, no_type);
    assert_eq!(
        refused.expect_err("refused").kind(),
        ErrorKind::InvalidInput
    );

    assert_eq!(log_end(&world), end, "nothing logged");
    assert!(all_messages(&world, &olga, event.id).is_empty());
    let longest = draft(&"s".repeat(150), &"b".repeat(5_000), Segment::AllHolders);
    world
        .prasang
        .messages()
        .send(&olga, event.id, longest)
        .expect("the limits themselves are fine");
}

#[test]
fn an_event_sends_a_few_messages_a_day_and_more_the_next_utc_day() {
    let (_, world) = world();
    let (olga, _ada, event) = world.organizer_attendee_event(50, 0, 5);
    let other = world.event(&olga, 10, 0, 1);
    let messages = world.prasang.messages();
    for n in 0..MESSAGES_PER_EVENT_PER_DAY {
        messages
            .send(&olga, event.id, everyone(&format!("Update {n}")))
            .expect("within the limit");
    }
    let end = log_end(&world);
    let refused = messages.send(&olga, event.id, everyone("One too many"));
    let refused = refused.expect_err("over the limit");
    assert_eq!(refused.kind(), ErrorKind::Conflict);
    assert_eq!(refused.info().code, "message-limit-reached");
    assert_eq!(log_end(&world), end, "nothing logged");
    messages
        .send(&olga, other.id, everyone("Another event"))
        .expect("the limit is per event");

    // The test clock starts at midnight UTC: the next day begins a day later.
    world.clock.advance(Duration::from_secs(24 * 3600));
    let next_day = messages.send(&olga, event.id, everyone("Next day"));
    next_day.expect("a new day");
    let listed = all_messages(&world, &olga, event.id);
    assert_eq!(listed.len() as u32, MESSAGES_PER_EVENT_PER_DAY + 1);
    assert_eq!(listed[0].subject, "Next day", "newest first");
    assert!(listed.windows(2).all(|pair| pair[0].id > pair[1].id));
}

#[test]
fn racing_sends_never_pass_the_daily_limit() {
    let (_, world) = world();
    let (olga, _ada, event) = world.organizer_attendee_event(50, 0, 5);
    let admin = admin(&world);
    let senders = 16;
    let barrier = Arc::new(Barrier::new(senders));
    let outcomes: Vec<Result<Message, MessageError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..senders)
            .map(|n| {
                let (prasang, barrier) = (world.prasang.clone(), Arc::clone(&barrier));
                let sender = if n % 2 == 0 { olga } else { admin };
                scope.spawn(move || {
                    barrier.wait();
                    prasang
                        .messages()
                        .send(&sender, event.id, everyone(&format!("Race {n}")))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("sender"))
            .collect()
    });
    let sent = outcomes.iter().filter(|o| o.is_ok()).count();
    assert_eq!(sent as u32, MESSAGES_PER_EVENT_PER_DAY);
    for refused in outcomes.iter().filter_map(|o| o.as_ref().err()) {
        assert!(
            matches!(refused, MessageError::DailyLimit { .. }),
            "{refused:?}"
        );
    }
    assert_eq!(all_messages(&world, &olga, event.id).len(), sent);
    let logged = common::crash::log_entries(&world.prasang)
        .into_iter()
        .filter(|e| matches!(e.event, DomainEvent::MessageSent { .. }))
        .count();
    assert_eq!(logged, sent);
}

#[test]
fn an_organizer_who_turned_messages_off_for_the_event_sees_everyone_unreached() {
    let (email, world) = world();
    let (olga, ada, event) = world.organizer_attendee_event(50, 0, 5);
    world.book(&ada, event.id, 1);
    let settings = EventNotificationSettings {
        disabled_kinds: vec![NotificationKind::OrganizerMessage],
        extra_channels: Vec::new(),
    };
    let notifications = world.prasang.notifications();
    notifications
        .set_event_settings(&olga, event.id, settings)
        .expect("settings");
    run_notifications(&world);
    let before = email.calls().len();
    let sent = world
        .prasang
        .messages()
        .send(&olga, event.id, everyone("Hi"));
    let sent = sent.expect("sent");
    run_notifications(&world);
    assert_eq!(email.calls().len(), before, "nothing delivered");
    let report = world.prasang.messages().report(&olga, event.id, sent.id);
    let report = report.expect("report");
    assert_eq!(
        (report.message.recipients, report.unreached),
        (Some(1), Some(1))
    );
    assert!(report.channels.is_empty());
}

#[test]
fn the_waiting_list_segment_reaches_those_waiting_and_not_the_holders() {
    let (email, world) = world();
    let (olga, ada, bob, event) = world.organizer_two_attendees_event(1, 0, 1);
    world.book(&ada, event.id, 1);
    let settings = WaitlistSettings {
        enabled: true,
        ..WaitlistSettings::default()
    };
    let waitlist = world.prasang.waitlist();
    waitlist
        .configure(&olga, event.id, settings)
        .expect("open the list");
    let join = JoinRequest {
        ticket_type: None,
        seats: 1,
    };
    waitlist.join(&bob, event.id, &join).expect("Bob waits");
    let messages = world.prasang.messages();
    let preview = messages.preview(&olga, event.id, Segment::WaitingList);
    assert_eq!(preview.expect("preview"), 1);
    run_notifications(&world);
    let before = email.calls().len();
    let to_list = draft("A seat may free up", "Hang on.", Segment::WaitingList);
    messages.send(&olga, event.id, to_list).expect("sent");
    run_notifications(&world);
    let told: Vec<_> = email.notifications()[before..]
        .iter()
        .map(|n| n.recipient.user_id)
        .collect();
    assert_eq!(told, [bob.user_id()]);
}
