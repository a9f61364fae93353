//! Feedback rules: who may rate what and when, editing instead of rating twice, organizer
//! replies (and the notification they cause), the post-event "how was it?" request sent exactly
//! once per holder, and bad input refused with the field named and nothing stored.

mod common;
mod notify_support;

use std::sync::Arc;
use std::time::Duration;

use common::World;
use notify_support::Recording;
use prasang_core::feedback::{FeedbackError, FeedbackInput, ReplyInput};
use prasang_core::notify::NotificationKind;
use prasang_core::users::Role;
use prasang_core::{
    CommonError, Config, DomainError, ErrorKind, ManualClock, PageRequest, Prasang, Subject,
};

fn rating(rating: i64, comment: Option<&str>) -> FeedbackInput {
    FeedbackInput {
        rating,
        comment: comment.map(str::to_owned),
    }
}

/// Moves the clock past the start of the events `common::new_event` makes (7 days out).
fn start_events(world: &World) {
    world.clock.advance(Duration::from_secs(7 * 24 * 3600 + 60));
}

#[test]
fn a_booked_holder_rates_once_after_the_start_and_edits_instead_of_rating_again() {
    let world = World::new();
    let (_olga, ada, event) = world.organizer_attendee_event(10, 0, 1);
    world.book(&ada, event.id, 1);
    let feedback = world.prasang.feedback();

    let early = feedback.give(&ada, event.id, rating(4, None)).unwrap_err();
    assert_matches!(early, FeedbackError::NotStarted);

    start_events(&world);
    let given = feedback
        .give(&ada, event.id, rating(4, Some("  Great talks \n")))
        .expect("give");
    assert_eq!(
        (given.rating, given.comment.as_deref()),
        (4, Some("Great talks"))
    );
    let again = feedback.give(&ada, event.id, rating(5, None)).unwrap_err();
    assert_matches!(again, FeedbackError::AlreadyGiven);
    assert_eq!(again.kind(), ErrorKind::Conflict);

    let edited = feedback
        .edit(&ada, event.id, rating(2, Some("")))
        .expect("edit");
    assert_eq!((edited.rating, edited.comment), (2, None));
    world.prasang.run_analytics_once().expect("analytics");
    let shown = world.prasang.events().peek(event.id).expect("event").rating;
    assert_eq!((shown.average, shown.count), (Some(2.0), 1));

    feedback.delete(&ada, event.id).expect("delete");
    let gone = feedback.mine(&ada, event.id).unwrap_err();
    assert_matches!(
        gone,
        FeedbackError::Common(CommonError::NotFound(Subject::Feedback))
    );
    world.prasang.run_analytics_once().expect("analytics");
    let shown = world.prasang.events().peek(event.id).expect("event").rating;
    assert_eq!((shown.average, shown.count), (None, 0));
}

#[test]
fn only_holders_of_a_booked_ticket_may_rate() {
    let world = World::new();
    let olga = world.user("Olga", Role::Organizer);
    let paid = world.event(&olga, 10, 500, 2);
    let free = world.event(&olga, 10, 0, 2);
    let pending = world.user("Pia", Role::Attendee);
    world.book(&pending, paid.id, 1);
    let cancelled = world.user("Cai", Role::Attendee);
    world.book_and_cancel(&cancelled, free.id, 1);
    let stranger = world.user("Sam", Role::Attendee);
    let confirmed = world.user("Con", Role::Attendee);
    let paid_ticket = world.book(&confirmed, paid.id, 1);
    world.confirm_payment(&olga, paid_ticket.id);
    start_events(&world);

    let feedback = world.prasang.feedback();
    for (who, event) in [
        (&pending, paid.id),
        (&cancelled, free.id),
        (&stranger, free.id),
    ] {
        let refused = feedback.give(who, event, rating(5, None)).unwrap_err();
        assert_matches!(refused, FeedbackError::NotAHolder);
        assert_eq!(refused.kind(), ErrorKind::Forbidden);
    }
    feedback
        .give(&confirmed, paid.id, rating(5, None))
        .expect("a confirmed payment makes a holder");
}

#[test]
fn a_cancelled_event_takes_no_feedback() {
    let world = World::new();
    let (olga, ada, event) = world.organizer_attendee_event(10, 0, 1);
    world.book(&ada, event.id, 1);
    world
        .prasang
        .events()
        .cancel(&olga, event.id)
        .expect("cancel");
    start_events(&world);
    let refused = world
        .prasang
        .feedback()
        .give(&ada, event.id, rating(3, None))
        .unwrap_err();
    assert_matches!(refused, FeedbackError::EventCancelled);
}

#[test]
fn bad_input_names_the_field_and_stores_nothing() {
    let world = World::new();
    let (_olga, ada, event) = world.organizer_attendee_event(10, 0, 1);
    world.book(&ada, event.id, 1);
    start_events(&world);
    let log_end = world.prasang.log().end().expect("end");
    let huge = "x".repeat(1024 * 1024);
    let cases = [
        (rating(0, None), "rating"),
        (rating(6, None), "rating"),
        (rating(-1, None), "rating"),
        (rating(3, Some(&huge)), "comment"),
        (rating(3, Some(&"y".repeat(2_001))), "comment"),
        (rating(3, Some("bell \u{7}")), "comment"),
    ];
    for (input, field) in cases {
        let refused = world
            .prasang
            .feedback()
            .give(&ada, event.id, input)
            .unwrap_err();
        assert_eq!(refused.kind(), ErrorKind::InvalidInput, "{refused:?}");
        assert_eq!(refused.field().map(|f| f.field), Some(field));
    }
    assert_eq!(world.prasang.log().end().expect("end"), log_end);
    assert!(world.prasang.feedback().mine(&ada, event.id).is_err());
}

#[test]
fn the_organizer_lists_and_answers_feedback_and_the_attendee_is_told() {
    let channel = Arc::new(Recording::new("email"));
    let world = World::with(|config| config.channel(channel.clone()));
    let (olga, ada, bob, event) = world.organizer_two_attendees_event(10, 0, 1);
    let rival = world.user("Rita", Role::Organizer);
    world.book(&ada, event.id, 1);
    world.book(&bob, event.id, 1);
    start_events(&world);
    let feedback = world.prasang.feedback();
    feedback.give(&ada, event.id, rating(5, None)).expect("ada");
    feedback
        .give(&bob, event.id, rating(2, Some("too loud")))
        .expect("bob");

    let first = feedback
        .list_for_event(&olga, event.id, &PageRequest::first(1))
        .expect("list");
    assert_eq!(first.items.len(), 1);
    let rest = feedback
        .list_for_event(
            &olga,
            event.id,
            &PageRequest {
                after: first.next.clone(),
                limit: Some(10),
            },
        )
        .expect("next page");
    assert_eq!(rest.items.len(), 1);
    assert_ne!(first.items[0].user, rest.items[0].user);

    for outsider in [&rival, &ada] {
        let refused = feedback
            .list_for_event(outsider, event.id, &PageRequest::default())
            .unwrap_err();
        assert_eq!(refused.kind(), ErrorKind::Forbidden);
        let refused = feedback
            .reply(
                outsider,
                event.id,
                bob.user_id(),
                ReplyInput { text: "hi".into() },
            )
            .unwrap_err();
        assert_eq!(refused.kind(), ErrorKind::Forbidden);
    }

    let reply = |text: &str| ReplyInput { text: text.into() };
    feedback
        .reply(&olga, event.id, bob.user_id(), reply("Sorry!"))
        .expect("reply");
    let edited = feedback
        .reply(
            &olga,
            event.id,
            bob.user_id(),
            reply("Sorry, we fixed the sound."),
        )
        .expect("edit reply");
    let answer = edited.reply.expect("reply");
    assert_eq!(
        (answer.text.as_str(), answer.by),
        ("Sorry, we fixed the sound.", olga.user_id())
    );
    let empty = feedback
        .reply(&olga, event.id, bob.user_id(), reply("  "))
        .unwrap_err();
    assert_eq!(empty.field().map(|f| f.field), Some("text"));

    world.prasang.run_notifications_once().expect("notify");
    let replies: Vec<_> = channel
        .notifications()
        .into_iter()
        .filter(|n| n.kind == NotificationKind::FeedbackReply)
        .collect();
    assert_eq!(replies.len(), 2, "one notification per reply or edit");
    assert!(replies.iter().all(|n| n.recipient.user_id == bob.user_id()));
    assert!(replies.iter().all(|n| n.message.is_some()));
}

#[test]
fn every_booked_holder_is_asked_for_feedback_exactly_once_even_across_restarts() {
    let dir = tempfile::tempdir().expect("dir");
    let clock = ManualClock::new(common::START);
    let channel = Arc::new(Recording::new("email"));
    let open = |channel: Arc<Recording>| {
        Prasang::open(
            Config::new(dir.path())
                .clock(clock.clone())
                .background_tasks(false)
                .channel(channel),
        )
        .expect("open")
    };
    let prasang = open(channel.clone());
    let olga = common::register_actor(&prasang, "Olga", Role::Organizer);
    let ada = common::register_actor(&prasang, "Ada", Role::Attendee);
    let bob = common::register_actor(&prasang, "Bob", Role::Attendee);
    let cai = common::register_actor(&prasang, "Cai", Role::Attendee);
    let event = prasang
        .events()
        .create(&olga, common::new_event(10, 0, 2))
        .expect("event");
    let called_off = prasang
        .events()
        .create(&olga, common::new_event(10, 0, 2))
        .expect("event");
    common::book(&prasang, &ada, event.id, 2);
    common::book(&prasang, &bob, event.id, 1);
    let cancelled = common::book(&prasang, &cai, event.id, 1);
    prasang
        .tickets()
        .cancel(&cai, cancelled.id)
        .expect("cancel");
    common::book(&prasang, &bob, called_off.id, 1);
    prasang
        .events()
        .cancel(&olga, called_off.id)
        .expect("call off");

    prasang.run_analytics_once().expect("schedule");
    // Not over yet: nobody is asked.
    clock.advance(Duration::from_secs(7 * 24 * 3600 + 3600));
    let report = prasang.run_analytics_once().expect("run");
    assert_eq!(report.feedback_requests, 0);

    clock.advance(Duration::from_secs(8 * 3600));
    let report = prasang.run_analytics_once().expect("run");
    assert_eq!(report.feedback_requests, 1);
    assert_eq!(
        prasang
            .run_analytics_once()
            .expect("again")
            .feedback_requests,
        0
    );
    drop(prasang);

    let prasang = open(channel.clone());
    assert_eq!(
        prasang
            .run_analytics_once()
            .expect("after restart")
            .feedback_requests,
        0
    );
    prasang.run_notifications_once().expect("notify");
    drop(prasang);
    let prasang = open(channel.clone());
    prasang.run_notifications_once().expect("notify again");

    let mut asked: Vec<_> = channel
        .notifications()
        .into_iter()
        .filter(|n| n.kind == NotificationKind::FeedbackRequest)
        .map(|n| (n.recipient.user_id, n.event.id))
        .collect();
    asked.sort();
    let mut expected = vec![(ada.user_id(), event.id), (bob.user_id(), event.id)];
    expected.sort();
    assert_eq!(
        asked, expected,
        "booked holders of the ended event, once each"
    );
}

#[test]
fn events_that_ended_long_before_the_consumer_saw_them_are_not_asked_about() {
    let channel = Arc::new(Recording::new("email"));
    let world = World::with(|config| config.channel(channel.clone()));
    let (_olga, ada, event) = world.organizer_attendee_event(10, 0, 1);
    world.book(&ada, event.id, 1);
    // The consumer first runs (as after an upgrade) a month after the event ended.
    world.clock.advance(Duration::from_secs(40 * 24 * 3600));
    let report = world.prasang.run_analytics_once().expect("run");
    assert_eq!(report.feedback_requests, 0);
    world.prasang.run_notifications_once().expect("notify");
    assert!(
        channel
            .notifications()
            .iter()
            .all(|n| n.kind != NotificationKind::FeedbackRequest)
    );
}
