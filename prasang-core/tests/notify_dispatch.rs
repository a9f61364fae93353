//! Notification dispatch, driven by hand: who is told what, through which channel, and how
//! failures are retried.

mod common;
mod notify_support;

use prasang_core::CommonError;
use std::sync::Arc;
use std::time::Duration;

use common::World;
use notify_support::Recording;
use prasang_core::auth::Actor;
use prasang_core::events::{EventUpdate, NewTicketType, TicketTypeUpdate};
use prasang_core::log::EventField;
use prasang_core::notify::{
    CURSOR, Delivery, DeliveryPolicy, DeliveryStatus, EventNotificationSettings, NotificationKind,
    NotificationPreferences, NotifyError,
};
use prasang_core::promo::{Discount, NewPromoCode};
use prasang_core::tickets::{BookingLine, BookingRequest, TicketStatus};
use prasang_core::users::Role;
use prasang_core::{EventId, PageRequest, TicketId};

/// Books one seat of `event` for `who`; the booking must succeed.
fn book(world: &World, who: &Actor, event: EventId) -> TicketId {
    world.book(who, event, 1).id
}

/// A store whose only channel is a recording `email` channel.
fn email_world() -> (Arc<Recording>, World) {
    let email = Arc::new(Recording::new("email"));
    let world = world_with(&[&email]);
    (email, world)
}

/// A world delivering by email and over one more recorded channel named `other`.
fn email_and(other: &str) -> (Arc<Recording>, Arc<Recording>, World) {
    let email = Arc::new(Recording::new("email"));
    let other = Arc::new(Recording::new(other));
    let world = world_with(&[&email, &other]);
    (email, other, world)
}

fn world_with(channels: &[&Arc<Recording>]) -> World {
    world_with_policy(channels, DeliveryPolicy::default())
}

fn world_with_policy(channels: &[&Arc<Recording>], policy: DeliveryPolicy) -> World {
    World::with(|mut config| {
        for channel in channels {
            config = config.channel(Arc::clone(channel) as _);
        }
        config.delivery_policy(policy)
    })
}

fn run(world: &World) -> prasang_core::notify::DispatchReport {
    world.prasang.run_notifications_once().expect("dispatch")
}

fn cancel_event(world: &World, organizer: &Actor, event: EventId) {
    world
        .prasang
        .events()
        .cancel(organizer, event)
        .expect("cancel event");
}

/// Moves the dispatcher's cursor back to the start of the log, so the next run reads every
/// entry again (as after a crash between delivering and committing the cursor).
fn rewind(world: &World) {
    world
        .prasang
        .log()
        .commit_cursor(CURSOR, 0)
        .expect("rewind");
}

/// The first page of `who`'s own deliveries, as `who` lists them.
fn deliveries_of(world: &World, who: &Actor) -> Vec<Delivery> {
    deliveries_seen_by(world, who, who)
}

/// The first page of `whose` deliveries, as `viewer` lists them.
fn deliveries_seen_by(world: &World, viewer: &Actor, whose: &Actor) -> Vec<Delivery> {
    world
        .prasang
        .notifications()
        .deliveries_for_user(viewer, whose.user_id(), &PageRequest::default())
        .expect("list deliveries")
        .items
}

/// The first page of `who`'s deliveries in full, as an admin sees them.
fn deliveries_in_full(world: &World, who: &Actor) -> Vec<Delivery> {
    deliveries_seen_by(world, &world.prasang.auth().system_actor(), who)
}

fn preferences(channels: &[&str]) -> NotificationPreferences {
    NotificationPreferences {
        channels: channels.iter().map(|&id| id.to_owned()).collect(),
    }
}

/// `who` chooses the channels they are told through.
fn choose_channels(world: &World, who: &Actor, channels: &[&str]) {
    world
        .prasang
        .notifications()
        .set_preferences(who, who.user_id(), preferences(channels))
        .expect("choose channels");
}

fn update_event(world: &World, organizer: &Actor, event: EventId, change: EventUpdate) {
    world
        .prasang
        .events()
        .update(organizer, event, change)
        .expect("update event");
}

#[test]
fn booking_a_free_ticket_tells_the_holder_once_by_email() {
    let (email, world) = email_world();
    let (_organizer, ada, event) = world.organizer_attendee_event(10, 0, 1);
    let ticket = book(&world, &ada, event.id);

    let report = run(&world);
    assert_eq!((report.created, report.sent), (1, 1));
    let told = email.notifications();
    assert_eq!(told.len(), 1);
    let n = &told[0];
    assert_eq!(n.kind, NotificationKind::TicketBooked);
    assert_eq!(n.recipient.user_id, ada.user_id());
    assert_eq!(n.recipient.email, "ada@example.org");
    assert_eq!(n.recipient.name, "Ada");
    assert_eq!(n.event.id, event.id);
    assert_eq!(n.event.title, "RustConf");
    let summary = n.ticket.as_ref().expect("ticket summary");
    assert_eq!((summary.id, summary.status), (ticket, TicketStatus::Booked));
    // An event with one price sells one type, which the notification names.
    let lines: Vec<_> = summary
        .lines
        .iter()
        .map(|l| (l.ticket_type.as_str(), l.quantity))
        .collect();
    assert_eq!(lines, [("Admission", 1)]);
    assert_eq!(
        n.idempotency_key,
        format!("{}.{}.email", n.log_seq, ada.user_id())
    );

    // Nothing more to do: no second delivery.
    let again = run(&world);
    assert_eq!((again.created, again.sent), (0, 0));
    assert_eq!(email.calls().len(), 1);

    let mine = deliveries_of(&world, &ada);
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].status, DeliveryStatus::Sent);
    assert_eq!(mine[0].attempts, 1);
    assert!(mine[0].receipt.is_some());
}

#[test]
fn paid_holds_confirmations_and_lapses_each_tell_the_holder() {
    let (email, world) = email_world();
    let (organizer, ada, bob) = world.olga_ada_bob();
    let event = world.event(&organizer, 10, 2_500, 1);

    let held = book(&world, &ada, event.id);
    book(&world, &bob, event.id);
    world.confirm_payment(&organizer, held);
    world.clock.advance(Duration::from_secs(16 * 60));
    world.prasang.run_maintenance().expect("expire bob's hold");
    run(&world);

    let told: Vec<_> = email
        .notifications()
        .into_iter()
        .map(|n| (n.recipient.user_id, n.kind, n.ticket.expect("ticket")))
        .collect();
    let kinds: Vec<_> = told.iter().map(|(user, kind, _)| (*user, *kind)).collect();
    assert_eq!(
        kinds,
        vec![
            (ada.user_id(), NotificationKind::TicketPending),
            (bob.user_id(), NotificationKind::TicketPending),
            (ada.user_id(), NotificationKind::TicketBooked),
            (bob.user_id(), NotificationKind::TicketExpired),
        ]
    );
    let pending = &told[0].2;
    assert_eq!(
        pending.expires_at,
        Some(common::START.plus(Duration::from_secs(15 * 60)))
    );
    assert_eq!(pending.amount_minor, 2_500);
    assert_eq!(told[3].2.status, TicketStatus::Expired);
    assert_eq!(told[3].2.amount_minor, 2_500);
}

#[test]
fn booked_tickets_carry_each_seats_signed_code_and_the_delivery_log_keeps_none() {
    let (email, world) = email_world();
    let (organizer, ada, bob) = world.olga_ada_bob();
    let free = world.event(&organizer, 10, 0, 3);
    let paid = world.event(&organizer, 10, 2_500, 3);
    let ada_ticket = world.book(&ada, free.id, 3).id;
    let bob_ticket = world.book(&bob, paid.id, 2).id;
    run(&world);
    world.confirm_payment(&organizer, bob_ticket);
    world.cancel_ticket(&ada, ada_ticket);
    run(&world);

    let told = email.notifications();
    let kinds: Vec<_> = told.iter().map(|n| n.kind).collect();
    use NotificationKind as K;
    assert_eq!(
        kinds,
        [
            K::TicketBooked,
            K::TicketPending,
            K::TicketBooked,
            K::TicketCancelled
        ]
    );
    let admissions = world.prasang.admissions();
    for (n, holder, ticket, seats) in [
        (&told[0], &ada, ada_ticket, 3),
        (&told[2], &bob, bob_ticket, 2),
    ] {
        let summary = n.ticket.as_ref().expect("a ticket");
        let numbers: Vec<u32> = summary.admissions.iter().map(|a| a.seat).collect();
        assert_eq!(numbers, (1..=seats).collect::<Vec<_>>());
        for admission in &summary.admissions {
            // Each code verifies offline with the published keys and names its own seat.
            let parsed = admissions
                .verify(n.event.id, &admission.code)
                .expect("a valid code");
            assert_eq!((parsed.ticket, parsed.seat), (ticket, admission.seat));
        }
        if holder.user_id() == bob.user_id() {
            // Bob's were signed after his payment: the codes his ticket page shows.
            let shown: Vec<String> = admissions
                .codes(holder, ticket)
                .expect("codes")
                .into_iter()
                .map(|c| c.code)
                .collect();
            let sent: Vec<&str> = summary.admissions.iter().map(|a| a.code.as_str()).collect();
            assert_eq!(sent, shown);
        }
    }
    for unbooked in [&told[1], &told[3]] {
        let summary = unbooked.ticket.as_ref().expect("a ticket");
        assert!(summary.admissions.is_empty(), "{:?}", unbooked.kind);
    }
    // The codes were signed for the channel, not stored with the deliveries.
    for who in [&ada, &bob] {
        for delivery in deliveries_in_full(&world, who) {
            let ticket = delivery.notification.ticket.expect("a ticket");
            assert!(ticket.admissions.is_empty(), "{:?}", delivery.kind);
        }
    }
}

#[test]
fn cancelling_a_ticket_tells_its_holder() {
    let (email, world) = email_world();
    let (_organizer, ada, event) = world.organizer_attendee_event(10, 0, 1);
    let ticket = book(&world, &ada, event.id);
    world.cancel_ticket(&ada, ticket);
    run(&world);

    let kinds: Vec<_> = email.notifications().iter().map(|n| n.kind).collect();
    assert_eq!(
        kinds,
        vec![
            NotificationKind::TicketBooked,
            NotificationKind::TicketCancelled
        ]
    );
    let last = email.notifications().pop().expect("one");
    assert_eq!(last.ticket.map(|t| t.status), Some(TicketStatus::Cancelled));
}

#[test]
fn moving_or_cancelling_an_event_tells_every_active_holder_and_retitling_tells_nobody() {
    let (email, world) = email_world();
    let organizer = world.user("Olga", Role::Organizer);
    let event = world.event(&organizer, 10, 0, 2);
    let ada = world.user("Ada", Role::Attendee);
    let bob = world.user("Bob", Role::Attendee);
    let cid = world.user("Cid", Role::Attendee);
    book(&world, &ada, event.id);
    book(&world, &ada, event.id); // two tickets, told once
    book(&world, &bob, event.id);
    let gone = book(&world, &cid, event.id);
    world.cancel_ticket(&cid, gone);
    run(&world);
    let before = email.calls().len();

    let retitle = EventUpdate {
        title: Some("RustConf 2030".into()),
        ..EventUpdate::default()
    };
    update_event(&world, &organizer, event.id, retitle);
    run(&world);
    assert_eq!(email.calls().len(), before, "a title change tells nobody");

    let move_to_lisbon = EventUpdate {
        location: Some("Lisbon".into()),
        ..EventUpdate::default()
    };
    update_event(&world, &organizer, event.id, move_to_lisbon);
    cancel_event(&world, &organizer, event.id);
    run(&world);

    let later: Vec<_> = email.notifications()[before..].to_vec();
    let told: Vec<_> = later
        .iter()
        .map(|n| (n.kind, n.recipient.user_id))
        .collect();
    assert_eq!(
        told,
        vec![
            (NotificationKind::EventUpdated, ada.user_id()),
            (NotificationKind::EventUpdated, bob.user_id()),
            (NotificationKind::EventCancelled, ada.user_id()),
            (NotificationKind::EventCancelled, bob.user_id()),
        ]
    );
    assert_eq!(later[0].changed, vec![EventField::Location]);
    assert_eq!(later[0].event.location, "Lisbon");
    assert!(later.iter().all(|n| n.ticket.is_none()));
}

#[test]
fn users_choose_their_channels_and_only_their_own() {
    let (email, sms, world) = email_and("sms");
    let organizer = world.user("Olga", Role::Organizer);
    let event = world.event(&organizer, 10, 0, 1);
    let ada = world.user("Ada", Role::Attendee);
    let bob = world.user("Bob", Role::Attendee);
    let cid = world.user("Cid", Role::Attendee);
    let notifications = world.prasang.notifications();

    let default = notifications
        .preferences(&ada, ada.user_id())
        .expect("defaults");
    assert_eq!(default.channels, vec!["email".to_string()]);
    choose_channels(&world, &ada, &["sms"]);
    choose_channels(&world, &bob, &[]); // opts out

    let not_hers = notifications.set_preferences(&ada, cid.user_id(), preferences(&[]));
    assert_matches!(
        not_hers,
        Err(NotifyError::Common(CommonError::Forbidden(_)))
    );
    let unknown = notifications.set_preferences(&cid, cid.user_id(), preferences(&["pigeon"]));
    assert!(
        matches!(unknown, Err(NotifyError::UnknownChannel(ref c)) if c == "pigeon"),
        "{unknown:?}"
    );

    for who in [&ada, &bob, &cid] {
        book(&world, who, event.id);
    }
    run(&world);
    let to = |channel: &Recording| -> Vec<_> {
        channel
            .notifications()
            .iter()
            .map(|n| n.recipient.user_id)
            .collect()
    };
    assert_eq!(to(&sms), vec![ada.user_id()]);
    assert_eq!(to(&email), vec![cid.user_id()]);
    assert!(sms.notifications()[0].idempotency_key.ends_with(".sms"));
}

#[test]
fn organizers_mute_kinds_and_copy_notifications_to_their_own_channel() {
    let (email, webhook, world) = email_and("webhook");
    let organizer = world.user("Olga", Role::Organizer);
    let other = world.user("Oscar", Role::Organizer);
    let ada = world.user("Ada", Role::Attendee);
    let event = world.event(&organizer, 10, 0, 1);
    let settings = EventNotificationSettings {
        disabled_kinds: vec![NotificationKind::TicketCancelled],
        extra_channels: vec!["webhook".into()],
    };
    let notifications = world.prasang.notifications();
    for intruder in [&ada, &other] {
        let refused = notifications.set_event_settings(intruder, event.id, settings.clone());
        assert_matches!(refused, Err(NotifyError::Common(CommonError::Forbidden(_))));
    }
    notifications
        .set_event_settings(&organizer, event.id, settings.clone())
        .expect("organizer sets");
    assert_eq!(
        notifications
            .event_settings(&organizer, event.id)
            .expect("read back"),
        settings
    );

    let ticket = book(&world, &ada, event.id);
    world.cancel_ticket(&ada, ticket);
    run(&world);

    assert_eq!(email.notifications().len(), 1);
    let copies = webhook.notifications();
    assert_eq!(copies.len(), 1, "the organizer's channel gets a copy");
    assert_eq!(copies[0].kind, NotificationKind::TicketBooked);
    assert_eq!(copies[0].recipient.user_id, ada.user_id());
    assert_ne!(
        copies[0].idempotency_key,
        email.notifications()[0].idempotency_key
    );

    let listed = notifications
        .deliveries_for_event(&organizer, event.id, &PageRequest::default())
        .expect("organizer lists");
    assert_eq!(listed.items.len(), 2);
    let refused = notifications.deliveries_for_event(&ada, event.id, &PageRequest::default());
    assert_matches!(refused, Err(NotifyError::Common(CommonError::Forbidden(_))));
}

#[test]
fn temporary_failures_are_retried_with_capped_exponential_backoff_then_succeed() {
    let email = Arc::new(Recording::failing("email", 3));
    let policy = DeliveryPolicy {
        max_attempts: 10,
        backoff_base: Duration::from_secs(10),
        backoff_cap: Duration::from_secs(30),
        ..DeliveryPolicy::default()
    };
    let world = world_with_policy(&[&email], policy);
    let (_organizer, ada, event) = world.organizer_attendee_event(10, 0, 1);
    book(&world, &ada, event.id);
    let delivery = || deliveries_in_full(&world, &ada).remove(0);

    // Waits after attempts 1, 2, 3: 10 s, 20 s, then 30 s (40 s capped).
    for (attempt, wait) in [(1, 10), (2, 20), (3, 30)] {
        let report = run(&world);
        assert_eq!(report.retrying, 1, "attempt {attempt} fails");
        let d = delivery();
        assert_eq!(d.status, DeliveryStatus::Retrying);
        assert_eq!(d.attempts, attempt);
        assert_eq!(
            d.last_error.as_deref(),
            Some("temporary delivery failure: connection refused")
        );
        let now = world.prasang.now();
        assert_eq!(d.next_attempt_at, Some(now.plus(Duration::from_secs(wait))));

        world.clock.advance(Duration::from_secs(wait - 1));
        assert_eq!(run(&world).retrying + run(&world).sent, 0, "not due yet");
        assert_eq!(email.calls().len(), attempt as usize);
        world.clock.advance(Duration::from_secs(1));
    }
    assert_eq!(run(&world).sent, 1);
    let d = delivery();
    assert_eq!((d.status, d.attempts), (DeliveryStatus::Sent, 4));
    assert_eq!(d.next_attempt_at, None);
    let keys: Vec<_> = email
        .notifications()
        .into_iter()
        .map(|n| n.idempotency_key)
        .collect();
    assert_eq!(keys.len(), 4);
    assert!(keys.iter().all(|k| *k == keys[0]), "one key across retries");
}

#[test]
fn attempts_are_bounded_and_permanent_failures_are_not_retried() {
    let email = Arc::new(Recording::failing("email", u32::MAX));
    let sms = Arc::new(Recording::refusing("sms"));
    let policy = DeliveryPolicy {
        max_attempts: 3,
        backoff_base: Duration::from_secs(1),
        backoff_cap: Duration::from_secs(1),
        ..DeliveryPolicy::default()
    };
    let world = world_with_policy(&[&email, &sms], policy);
    let organizer = world.user("Olga", Role::Organizer);
    let ada = world.user("Ada", Role::Attendee);
    choose_channels(&world, &ada, &["email", "sms"]);
    let event = world.event(&organizer, 10, 0, 1);
    book(&world, &ada, event.id);

    for _ in 0..10 {
        run(&world);
        world.clock.advance(Duration::from_secs(60));
    }
    assert_eq!(email.calls().len(), 3, "three attempts, no more");
    assert_eq!(sms.calls().len(), 1, "a permanent failure is not retried");
    let deliveries = deliveries_of(&world, &ada);
    assert_eq!(deliveries.len(), 2);
    for d in &deliveries {
        assert_eq!(d.status, DeliveryStatus::Failed, "{d:?}");
        assert_eq!(d.next_attempt_at, None);
        assert!(d.last_error.is_some());
    }
}

#[test]
fn replaying_the_log_from_the_start_creates_no_duplicate_deliveries() {
    let (email, world) = email_world();
    let organizer = world.user("Olga", Role::Organizer);
    let event = world.event(&organizer, 10, 0, 1);
    for name in ["Ada", "Bob", "Cid"] {
        let who = world.user(name, Role::Attendee);
        book(&world, &who, event.id);
    }
    cancel_event(&world, &organizer, event.id);
    let first = run(&world);
    assert_eq!((first.created, first.sent), (6, 6));

    rewind(&world);
    let replay = run(&world);
    assert!(replay.entries > 0, "the log was read again");
    assert_eq!((replay.created, replay.sent), (0, 0));
    assert_eq!(email.calls().len(), 6);
    let listed = world
        .prasang
        .notifications()
        .deliveries_for_event(&organizer, event.id, &PageRequest::first(100))
        .expect("list");
    assert_eq!(listed.items.len(), 6);
}

#[test]
fn deliveries_wait_for_a_channel_registered_after_open() {
    let world = World::new();
    let (_organizer, ada, event) = world.organizer_attendee_event(10, 0, 1);
    book(&world, &ada, event.id);
    let report = run(&world);
    assert_eq!((report.created, report.sent), (1, 0));

    let email = Arc::new(Recording::new("email"));
    world
        .prasang
        .register_channel(Arc::clone(&email) as _)
        .expect("register");
    assert_eq!(run(&world).sent, 1);
    assert_eq!(email.calls().len(), 1);

    let bad = world
        .prasang
        .register_channel(Arc::new(Recording::new("Not OK")));
    assert_matches!(bad, Err(NotifyError::InvalidChannelId(_)));
}

#[test]
fn delivery_lists_page_and_are_private() {
    let (_email, world) = email_world();
    let (organizer, ada, bob) = world.olga_ada_bob();
    let admin_user = world
        .prasang
        .users()
        .create_admin(common::new_user("Root", Role::Admin))
        .expect("admin");
    let admin = world
        .prasang
        .auth()
        .trusted_actor(admin_user.id)
        .expect("actor");
    let event = world.event(&organizer, 10, 0, 3);
    for _ in 0..3 {
        book(&world, &ada, event.id);
    }
    run(&world);
    let notifications = world.prasang.notifications();

    let first = notifications
        .deliveries_for_user(&ada, ada.user_id(), &PageRequest::first(2))
        .expect("page 1");
    assert_eq!(first.items.len(), 2);
    let second = notifications
        .deliveries_for_user(
            &ada,
            ada.user_id(),
            &PageRequest {
                after: first.next.clone(),
                limit: Some(2),
            },
        )
        .expect("page 2");
    assert_eq!(second.items.len(), 1);
    assert!(first.items[1].log_seq < second.items[0].log_seq);

    let snoop = notifications.deliveries_for_user(&bob, ada.user_id(), &PageRequest::default());
    assert_matches!(snoop, Err(NotifyError::Common(CommonError::Forbidden(_))));
    let by_admin = notifications
        .deliveries_for_user(&admin, ada.user_id(), &PageRequest::default())
        .expect("admin sees");
    assert_eq!(by_admin.items.len(), 3);
    let by_admin = notifications
        .deliveries_for_event(&admin, event.id, &PageRequest::default())
        .expect("admin sees");
    assert_eq!(by_admin.items.len(), 3);
}

#[test]
fn cancelling_a_big_event_tells_each_of_its_many_holders_once() {
    let (email, world) = email_world();
    let organizer = world.user("Olga", Role::Organizer);
    let event = world.event(&organizer, 1_000, 0, 1);
    let holders = 600; // more than one transaction's worth of deliveries
    for i in 0..holders {
        let who = world.user(&format!("Guest {i}"), Role::Attendee);
        book(&world, &who, event.id);
    }
    run(&world);
    cancel_event(&world, &organizer, event.id);
    let report = run(&world);
    assert_eq!((report.created, report.sent), (holders, holders));
    let mut told: Vec<_> = email
        .notifications()
        .into_iter()
        .filter(|n| n.kind == NotificationKind::EventCancelled)
        .map(|n| n.recipient.user_id)
        .collect();
    told.sort();
    told.dedup();
    assert_eq!(told.len(), holders);

    rewind(&world);
    assert_eq!(run(&world).created, 0);
}

struct Panicking;

impl prasang_core::notify::Channel for Panicking {
    fn id(&self) -> &str {
        "email"
    }
    fn deliver(
        &self,
        _: &prasang_core::notify::Notification,
    ) -> Result<prasang_core::notify::Receipt, prasang_core::notify::DeliveryError> {
        panic!("the channel has a bug");
    }
}

#[test]
fn a_panicking_channel_fails_only_that_delivery_which_is_retried() {
    let world = World::with(|config| config.channel(Arc::new(Panicking)));
    let (_organizer, ada, event) = world.organizer_attendee_event(10, 0, 1);
    book(&world, &ada, event.id);
    let report = run(&world);
    assert_eq!(report.retrying, 1);
    let d = deliveries_in_full(&world, &ada).remove(0);
    assert_eq!(d.status, DeliveryStatus::Retrying);
    assert!(d.last_error.expect("error").contains("panicked"));
}

#[test]
fn only_admins_read_why_a_delivery_failed() {
    let email = Arc::new(Recording::failing("email", 1));
    let world = world_with_policy(&[&email], DeliveryPolicy::default());
    let (organizer, ada, event) = world.organizer_attendee_event(10, 0, 1);
    book(&world, &ada, event.id);
    assert_eq!(run(&world).retrying, 1);

    let full = "temporary delivery failure: connection refused";
    let error_seen_by = |viewer: &Actor| {
        deliveries_seen_by(&world, viewer, &ada)[0]
            .last_error
            .clone()
    };
    assert_eq!(
        error_seen_by(&ada).as_deref(),
        Some("temporary delivery failure")
    );
    assert_eq!(
        deliveries_in_full(&world, &ada)[0].last_error.as_deref(),
        Some(full)
    );
    let for_event = |viewer: &Actor| {
        world
            .prasang
            .notifications()
            .deliveries_for_event(viewer, event.id, &PageRequest::default())
            .expect("list")
            .items[0]
            .last_error
            .clone()
    };
    assert_eq!(
        for_event(&organizer).as_deref(),
        Some("temporary delivery failure")
    );
    assert_eq!(
        for_event(&world.prasang.auth().system_actor()).as_deref(),
        Some(full)
    );
}

/// A booking across ticket types tells each line with its type's name (as the event calls it
/// when the notification is made) and what was charged for it, the discount and the code.
#[test]
fn a_booking_of_two_types_tells_both_lines_by_name_with_the_discount_and_code() {
    let (email, world) = email_world();
    let (organizer, ada, event) = world.organizer_attendee_event(10, 2_500, 4);
    let events = world.prasang.events();
    let adult = TicketTypeUpdate {
        name: Some("Adult".into()),
        ..Default::default()
    };
    events
        .update_ticket_type(&organizer, event.id, 1, adult)
        .expect("rename the default type");
    let child = NewTicketType {
        name: "Child".into(),
        price_minor: 1_000,
        ..Default::default()
    };
    let child = events
        .add_ticket_type(&organizer, event.id, child)
        .expect("add a type");
    let family = NewPromoCode {
        applies_to: vec![child.id],
        ..NewPromoCode::new("family", Discount::Percent(20))
    };
    world
        .prasang
        .promo_codes()
        .create(&organizer, event.id, family)
        .expect("create a code");
    let request = BookingRequest {
        lines: vec![
            BookingLine {
                ticket_type: 1,
                quantity: 2,
            },
            BookingLine {
                ticket_type: child.id,
                quantity: 1,
            },
        ],
        promo_code: Some("Family".into()),
        ..BookingRequest::seats(event.id, 0)
    };
    let held = world.book_with(&ada, &request).ticket;
    world.confirm_payment(&organizer, held.id);
    run(&world);

    let told = email.notifications();
    let kinds: Vec<_> = told.iter().map(|n| n.kind).collect();
    assert_eq!(
        kinds,
        [
            NotificationKind::TicketPending,
            NotificationKind::TicketBooked
        ]
    );
    for n in &told {
        let ticket = n.ticket.as_ref().expect("a ticket");
        let lines: Vec<_> = ticket
            .lines
            .iter()
            .map(|line| {
                (
                    line.ticket_type.as_str(),
                    line.quantity,
                    line.unit_price_minor,
                    line.discount_minor,
                    line.amount_minor,
                )
            })
            .collect();
        assert_eq!(
            lines,
            [("Adult", 2, 2_500, 0, 5_000), ("Child", 1, 1_000, 200, 800)]
        );
        assert_eq!(ticket.quantity, 3);
        assert_eq!(ticket.amount_minor, 5_800);
        assert_eq!(ticket.discount_minor, 200);
        assert_eq!(ticket.promo_code.as_deref(), Some("FAMILY"));
    }
}
