//! Event rules: who may change what, capacity, listing.

mod common;

use prasang_core::{CommonError, Subject};
use std::time::Duration;

use common::{World, assert_intact, new_event};
use prasang_core::PageRequest;
use prasang_core::auth::Actor;
use prasang_core::events::{Event, EventError, EventQuery, EventStatus, EventUpdate};
use prasang_core::log::{DomainEvent, EventField};
use prasang_core::users::Role;

/// Olga and Otto, two organizers, and an event of Olga's.
fn two_organizers(world: &World) -> (Actor, Actor, Event) {
    let olga = world.user("Olga", Role::Organizer);
    let otto = world.user("Otto", Role::Organizer);
    let event = world.event(&olga, 10, 0, 1);
    (olga, otto, event)
}

#[test]
fn attendees_cannot_create_events() {
    let world = World::new();
    let ada = world.user("Ada", Role::Attendee);
    let result = world.prasang.events().create(&ada, new_event(10, 0, 1));
    assert_matches!(result, Err(EventError::Common(CommonError::Forbidden(_))));
}

#[test]
fn bad_event_fields_are_typed_errors() {
    let world = World::new();
    let olga = world.user("Olga", Role::Organizer);
    type Spoil = Box<dyn Fn(&mut prasang_core::events::NewEvent)>;
    let cases: Vec<(&str, Spoil)> = vec![
        ("capacity", Box::new(|e| e.capacity = -5)),
        ("capacity", Box::new(|e| e.capacity = 0)),
        ("capacity", Box::new(|e| e.capacity = 10_000_000)),
        ("title", Box::new(|e| e.title = String::new())),
        ("title", Box::new(|e| e.title = "t".repeat(201))),
        ("location", Box::new(|e| e.location = " ".into())),
        (
            "description",
            Box::new(|e| e.description = "d".repeat(10_001)),
        ),
        ("price_minor", Box::new(|e| e.price_minor = -1)),
        ("currency", Box::new(|e| e.currency = "euro".into())),
        (
            "image_url",
            Box::new(|e| e.image_url = Some("javascript:alert(1)".into())),
        ),
        ("per_user_limit", Box::new(|e| e.per_user_limit = Some(0))),
        (
            "starts_at",
            Box::new(|e| e.starts_at = common::START.into()),
        ),
        ("ends_at", Box::new(|e| e.ends_at = e.starts_at)),
    ];
    for (field, spoil) in cases {
        let mut event = new_event(10, 0, 1);
        spoil(&mut event);
        let result = world.prasang.events().create(&olga, event);
        assert!(
            matches!(&result, Err(EventError::Common(CommonError::Invalid(e))) if e.field == field),
            "{field}: {result:?}"
        );
    }
    assert_eq!(
        world
            .prasang
            .verify_integrity(&world.prasang.auth().system_actor())
            .expect("check")
            .events,
        0
    );
}

#[test]
fn only_the_owner_or_an_admin_edits_an_event() {
    let world = World::new();
    let (olga, otto, event) = two_organizers(&world);
    let retitle = || EventUpdate {
        title: Some("Hijacked".into()),
        ..Default::default()
    };
    for (call, result) in [
        (
            "update",
            world
                .prasang
                .events()
                .update(&otto, event.id, retitle())
                .map(|_| ()),
        ),
        (
            "cancel",
            world.prasang.events().cancel(&otto, event.id).map(|_| ()),
        ),
        ("delete", world.prasang.events().delete(&otto, event.id)),
        (
            "get_managed",
            world
                .prasang
                .events()
                .get_managed(&otto, event.id)
                .map(|_| ()),
        ),
    ] {
        assert!(
            matches!(result, Err(EventError::Common(CommonError::Forbidden(_)))),
            "{call}: {result:?}"
        );
    }
    assert_eq!(
        world.prasang.events().peek(event.id).expect("event").title,
        "RustConf"
    );
    let managed = world.prasang.events().get_managed(&olga, event.id);
    assert_eq!(managed.expect("the organizer's own").title, "RustConf");
}

#[test]
fn updates_keep_the_seat_counters_and_log_what_changed() {
    let world = World::new();
    let (olga, ada, event) = world.organizer_attendee_event(10, 0, 3);
    world.book(&ada, event.id, 3);

    let later = event.starts_at.plus(Duration::from_secs(3600));
    let update = EventUpdate {
        location: Some("Lisbon".into()),
        starts_at: Some(later.into()),
        ends_at: Some(later.plus(Duration::from_secs(3600)).into()),
        capacity: Some(20),
        title: Some(event.title.clone()), // unchanged: not reported
        ..Default::default()
    };
    let updated = world
        .prasang
        .events()
        .update(&olga, event.id, update)
        .expect("update");
    assert_eq!(updated.location, "Lisbon");
    assert_eq!(
        (
            updated.seats.capacity,
            updated.seats.remaining,
            updated.seats.booked
        ),
        (20, 17, 3)
    );

    let last = world
        .prasang
        .log()
        .read(&world.prasang.auth().system_actor(), 0, 100)
        .expect("log")
        .pop()
        .expect("entry");
    match last.event {
        DomainEvent::EventUpdated { event: id, changed } => {
            assert_eq!(id, event.id);
            assert_eq!(
                changed,
                [
                    EventField::Location,
                    EventField::StartsAt,
                    EventField::EndsAt,
                    EventField::Capacity
                ]
            );
        }
        other => panic!("expected EventUpdated, got {other:?}"),
    }
    let below = world.prasang.events().update(
        &olga,
        event.id,
        EventUpdate {
            capacity: Some(2),
            ..Default::default()
        },
    );
    assert_matches!(below, Err(EventError::CapacityBelowSold { sold: 3 }));
    assert_intact(&world.prasang);
}

#[test]
fn events_with_tickets_are_cancelled_not_deleted() {
    let world = World::new();
    let (olga, ada, sold) = world.organizer_attendee_event(10, 0, 1);
    world.book_and_cancel(&ada, sold.id, 1);
    assert!(matches!(
        world.prasang.events().delete(&olga, sold.id),
        Err(EventError::HasTickets)
    ));
    let cancelled = world
        .prasang
        .events()
        .cancel(&olga, sold.id)
        .expect("cancel");
    assert_eq!(cancelled.status, EventStatus::Cancelled);
    assert!(matches!(
        world.prasang.events().cancel(&olga, sold.id),
        Err(EventError::Cancelled)
    ));

    let empty = world.event(&olga, 10, 0, 1);
    world
        .prasang
        .events()
        .delete(&olga, empty.id)
        .expect("delete");
    assert!(matches!(
        world.prasang.events().peek(empty.id),
        Err(EventError::Common(CommonError::NotFound(Subject::Event)))
    ));
    assert_intact(&world.prasang);
}

#[test]
fn listing_shows_upcoming_published_events_by_start_with_paging_and_search() {
    let world = World::new();
    let olga = world.user("Olga", Role::Organizer);
    let mut ids = Vec::new();
    for day in (1..=12).rev() {
        let mut new = new_event(10, 0, 1);
        new.title = if day % 3 == 0 {
            format!("Jazz night {day}")
        } else {
            format!("Meetup {day}")
        };
        let starts_at = common::START.plus(Duration::from_secs(day * 86_400));
        new.starts_at = starts_at.into();
        new.ends_at = starts_at.plus(Duration::from_secs(3600)).into();
        ids.push((
            day,
            world
                .prasang
                .events()
                .create(&olga, new)
                .expect("create")
                .id,
        ));
    }
    ids.sort();
    let cancelled = ids[4].1;
    world
        .prasang
        .events()
        .cancel(&olga, cancelled)
        .expect("cancel");

    let mut seen = Vec::new();
    let mut query = EventQuery {
        text: None,
        local_date: None,
        page: PageRequest::first(5),
    };
    loop {
        let page = world.prasang.events().list(&query).expect("list");
        seen.extend(page.items.iter().map(|e| e.id));
        let Some(next) = page.next else { break };
        query.page.after = Some(next);
    }
    let expected: Vec<_> = ids
        .iter()
        .map(|(_, id)| *id)
        .filter(|id| *id != cancelled)
        .collect();
    assert_eq!(seen, expected);

    let jazz = world
        .prasang
        .events()
        .list(&EventQuery {
            text: Some("JAZZ".into()),
            local_date: None,
            page: PageRequest::default(),
        })
        .expect("search");
    assert_eq!(jazz.items.len(), 4);
    assert!(jazz.items.iter().all(|e| e.title.starts_with("Jazz")));

    // Time passes: started events leave the listing.
    world.clock.advance(Duration::from_secs(6 * 86_400 + 1));
    let upcoming = world
        .prasang
        .events()
        .list(&EventQuery::default())
        .expect("list");
    assert_eq!(upcoming.items.len(), 6);
}

#[test]
fn views_are_counted_in_memory_and_logged_in_batches() {
    let world = World::new();
    let olga = world.user("Olga", Role::Organizer);
    let event = world.event(&olga, 10, 0, 1);
    let before = world.prasang.log().end().expect("end");
    for _ in 0..5 {
        world.prasang.events().get(event.id).expect("get");
    }
    world
        .prasang
        .events()
        .peek(event.id)
        .expect("peek does not count");
    assert_eq!(
        world.prasang.log().end().expect("end"),
        before,
        "reads write nothing"
    );
    world.prasang.run_maintenance().expect("maintenance");
    let entries = world
        .prasang
        .log()
        .read(&world.prasang.auth().system_actor(), before, 10)
        .expect("log");
    assert_eq!(entries.len(), 1);
    assert_eq!(
        entries[0].event,
        DomainEvent::EventViewed {
            event: event.id,
            count: 5
        }
    );
}

#[test]
fn organizers_list_their_own_events_only() {
    let world = World::new();
    let (olga, otto, event) = two_organizers(&world);
    world.event(&otto, 10, 0, 1);
    let mine = world
        .prasang
        .events()
        .list_by_organizer(&olga, olga.user_id(), &PageRequest::default())
        .expect("list");
    assert_eq!(
        mine.items.iter().map(|e| e.id).collect::<Vec<_>>(),
        [event.id]
    );
    let peek =
        world
            .prasang
            .events()
            .list_by_organizer(&otto, olga.user_id(), &PageRequest::default());
    assert_matches!(peek, Err(EventError::Common(CommonError::Forbidden(_))));
}
