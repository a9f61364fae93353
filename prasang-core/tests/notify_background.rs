//! Notification delivery on the background workers: off the booking path, one channel never
//! holding up another, and a clean stop when the store closes.

mod common;
mod notify_support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::World;
use notify_support::Recording;
use prasang_core::notify::{DeliveryPolicy, DeliveryStatus, NotificationPreferences};
use prasang_core::tickets::BookingRequest;
use prasang_core::users::Role;
use prasang_core::{Config, PageRequest, Prasang};

fn background_world(channels: &[&Arc<Recording>], workers: usize) -> World {
    World::with(|mut config| {
        for channel in channels {
            config = config.channel(Arc::clone(channel) as _);
        }
        config
            .background_tasks(true)
            .delivery_policy(DeliveryPolicy {
                workers_per_channel: workers,
                ..DeliveryPolicy::default()
            })
    })
}

fn request(event: prasang_core::EventId) -> BookingRequest {
    BookingRequest::seats(event, 1)
}

#[test]
fn a_slow_channel_does_not_delay_another_channels_deliveries() {
    let slow = Arc::new(Recording::slow("chat", Duration::from_secs(4)));
    let email = Arc::new(Recording::new("email"));
    let world = background_world(&[&slow, &email], 1);
    let organizer = world.user("Olga", Role::Organizer);
    let event = world.event(&organizer, 10, 0, 1);
    let start = Instant::now();
    for name in ["Ada", "Bob", "Cid", "Dee"] {
        let who = world.user(name, Role::Attendee);
        world
            .prasang
            .notifications()
            .set_preferences(
                &who,
                who.user_id(),
                NotificationPreferences {
                    channels: vec!["chat".into(), "email".into()],
                },
            )
            .expect("prefs");
        world.book_with(&who, &request(event.id));
    }

    // The chat channel needs 16 s for its four messages; e-mail must not wait for it.
    assert_eq!(email.wait_for(4, Duration::from_secs(3)), 4);
    assert!(
        start.elapsed() < Duration::from_secs(4),
        "e-mail waited for chat"
    );
    assert!(
        slow.calls().is_empty(),
        "chat is still on its first message"
    );
}

#[test]
fn bookings_never_call_a_channel_and_a_stuck_one_does_not_slow_them() {
    let stuck = Arc::new(Recording::slow("email", Duration::from_secs(2)));
    let world = background_world(&[&stuck], 2);
    let organizer = world.user("Olga", Role::Organizer);
    let event = world.event(&organizer, 100, 0, 1);
    let mut slowest = Duration::ZERO;
    for i in 0..12 {
        let who = world.user(&format!("Guest {i}"), Role::Attendee);
        let started = Instant::now();
        world.book_with(&who, &request(event.id));
        slowest = slowest.max(started.elapsed());
    }
    assert!(
        // A booking that waited for the channel would take at least its 2 s.
        slowest < Duration::from_millis(1500),
        "a booking took {slowest:?} while the channel was stuck"
    );
    let n = stuck.wait_for(2, Duration::from_secs(10));
    assert!(n >= 2);
    for call in stuck.calls() {
        assert!(
            call.thread.starts_with("prasang-notify-email-"),
            "called on {:?}",
            call.thread
        );
    }
}

#[test]
fn workers_deliver_new_bookings_promptly_and_record_them_sent() {
    let email = Arc::new(Recording::new("email"));
    let world = background_world(&[&email], 2);
    let organizer = world.user("Olga", Role::Organizer);
    let event = world.event(&organizer, 100, 0, 1);
    let mut guests = Vec::new();
    for i in 0..20 {
        let who = world.user(&format!("Guest {i}"), Role::Attendee);
        world.book_with(&who, &request(event.id));
        guests.push(who);
    }
    assert_eq!(email.wait_for(20, Duration::from_secs(10)), 20);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let page = world
            .prasang
            .notifications()
            .deliveries_for_event(&organizer, event.id, &PageRequest::first(100))
            .expect("list");
        if page.items.len() == 20 && page.items.iter().all(|d| d.status == DeliveryStatus::Sent) {
            break;
        }
        assert!(Instant::now() < deadline, "not all recorded sent: {page:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut keys: Vec<_> = email
        .notifications()
        .into_iter()
        .map(|n| n.idempotency_key)
        .collect();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), 20, "each delivered once");
}

#[test]
fn dropping_the_store_stops_the_workers_so_it_can_be_reopened_at_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let email = Arc::new(Recording::new("email"));
    let config = || {
        Config::new(dir.path())
            .password_cost(prasang_core::users::PasswordCost::INSECURE_FAST)
            .channel(Arc::clone(&email) as _)
    };
    for _ in 0..3 {
        let prasang = Prasang::open(config()).expect("open");
        prasang
            .users()
            .register(common::new_user("Ada", Role::Attendee))
            .ok();
        drop(prasang);
    }
}
