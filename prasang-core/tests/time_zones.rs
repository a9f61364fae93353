//! Events in their own time zone: local times in and out, daylight-saving changes, the default
//! zone and the listing's local-date filter.

mod common;

use common::{World, new_event};
use prasang_core::auth::Actor;
use prasang_core::events::{Event, EventError, EventQuery, EventUpdate, NewEvent};
use prasang_core::users::Role;
use prasang_core::zone::{EventTime, Zone};
use prasang_core::{DomainError, ErrorKind, PageRequest, Timestamp};

fn at(text: &str) -> Timestamp {
    Timestamp::parse_rfc3339(text).expect("an RFC 3339 instant")
}

fn time(text: &str) -> EventTime {
    EventTime::parse(text).expect("an instant or a local date-time")
}

fn zoned(zone: &str, starts_at: &str, ends_at: &str) -> NewEvent {
    NewEvent {
        time_zone: Some(zone.into()),
        starts_at: time(starts_at),
        ends_at: time(ends_at),
        ..new_event(10, 0, 1)
    }
}

/// A store with one organizer, Olga, who creates and changes events in their own zones.
struct Olga {
    world: World,
    olga: Actor,
}

impl Olga {
    fn new() -> Self {
        let world = World::new();
        let olga = world.user("Olga", Role::Organizer);
        Olga { world, olga }
    }

    /// Creates an event in `zone` from `starts_at` to `ends_at` (local times or instants).
    fn create(&self, zone: &str, starts_at: &str, ends_at: &str) -> Result<Event, EventError> {
        let new = zoned(zone, starts_at, ends_at);
        self.world.prasang.events().create(&self.olga, new)
    }

    /// Creates an event that must be valid.
    fn event(&self, zone: &str, starts_at: &str, ends_at: &str) -> Event {
        self.create(zone, starts_at, ends_at).expect("create")
    }

    fn update(&self, event: &Event, update: EventUpdate) -> Result<Event, EventError> {
        self.world
            .prasang
            .events()
            .update(&self.olga, event.id, update)
    }

    /// Moves `event` to `zone`, its times left as they are.
    fn move_to(&self, event: &Event, zone: &str) -> Result<Event, EventError> {
        let update = EventUpdate {
            time_zone: Some(zone.into()),
            ..Default::default()
        };
        self.update(event, update)
    }
}

/// The field an error blames, when it is invalid input.
fn invalid_field(error: &impl DomainError) -> &'static str {
    assert_eq!(error.kind(), ErrorKind::InvalidInput, "{error}");
    error.field().expect("names a field").field
}

#[test]
fn an_event_across_the_october_change_lasts_its_real_duration() {
    let olga = Olga::new();
    // Berlin leaves summer time at 03:00 CEST on 27 October 2030: the night has 25 hours.
    let event = olga.event("Europe/Berlin", "2030-10-26T22:00", "2030-10-27T06:00");
    assert_eq!(event.time_zone, "Europe/Berlin");
    assert_eq!(event.starts_at, at("2030-10-26T20:00:00Z"));
    assert_eq!(event.ends_at, at("2030-10-27T05:00:00Z"));
    assert_eq!(
        event.ends_at.as_millis() - event.starts_at.as_millis(),
        9 * 3_600_000,
        "22:00 to 06:00 across the change is nine hours"
    );
    assert_eq!(event.starts_at_local, "2030-10-26T22:00:00+02:00");
    assert_eq!(event.ends_at_local, "2030-10-27T06:00:00+01:00");
    // The stored event reads back the same.
    let read = olga.world.prasang.events().peek(event.id).expect("read");
    assert_eq!(read.ends_at_local, event.ends_at_local);
}

#[test]
fn a_local_time_in_the_spring_gap_is_refused_naming_the_field() {
    let olga = Olga::new();
    // On 31 March 2030 Berlin's clocks jump from 02:00 to 03:00.
    let error = olga
        .create("Europe/Berlin", "2030-03-31T02:30", "2030-03-31T05:00")
        .expect_err("02:30 does not exist");
    assert_eq!(invalid_field(&error), "starts_at");
    assert!(
        error
            .to_string()
            .contains("does not exist in Europe/Berlin"),
        "{error}"
    );
    let error = olga
        .create("Europe/Berlin", "2030-03-31T01:00", "2030-03-31T02:15")
        .expect_err("02:15 does not exist");
    assert_eq!(invalid_field(&error), "ends_at");
    // The same wall-clock time a day later exists.
    olga.create("Europe/Berlin", "2030-04-01T02:30", "2030-04-01T05:00")
        .expect("an ordinary night");
}

#[test]
fn a_folded_local_time_means_the_earlier_instant_and_an_offset_picks_the_later() {
    let olga = Olga::new();
    let event = olga.event("Europe/Berlin", "2030-10-27T02:30", "2030-10-27T04:00");
    assert_eq!(event.starts_at_local, "2030-10-27T02:30:00+02:00");
    let later = olga
        .update(
            &event,
            EventUpdate {
                starts_at: Some(time("2030-10-27T02:30:00+01:00")),
                ..Default::default()
            },
        )
        .expect("update");
    assert_eq!(later.starts_at, at("2030-10-27T01:30:00Z"));
    assert_eq!(later.starts_at_local, "2030-10-27T02:30:00+01:00");
}

/// An event created in `world` without a zone, 18:30-21:00 on 5 December 2030 local time.
fn created_without_a_zone(world: &World) -> Event {
    let olga = world.user("Olga", Role::Organizer);
    let new = NewEvent {
        starts_at: time("2030-12-05T18:30"),
        ends_at: time("2030-12-05T21:00"),
        ..new_event(10, 0, 1)
    };
    world.prasang.events().create(&olga, new).expect("create")
}

#[test]
fn events_without_a_zone_take_the_configured_default() {
    let kolkata = Zone::new("Asia/Kolkata").expect("a known zone");
    let event = created_without_a_zone(&World::with(|config| config.default_time_zone(kolkata)));
    assert_eq!(event.time_zone, "Asia/Kolkata");
    assert_eq!(event.starts_at, at("2030-12-05T13:00:00Z"));
    assert_eq!(event.starts_at_local, "2030-12-05T18:30:00+05:30");

    // A store without a configured default reads local times as UTC.
    let event = created_without_a_zone(&World::new());
    assert_eq!(event.time_zone, "UTC");
    assert_eq!(event.starts_at_local, "2030-12-05T18:30:00+00:00");
}

#[test]
fn unknown_zones_are_refused() {
    let olga = Olga::new();
    for zone in ["Mars/Olympus_Mons", "", "+05:30", "../../etc/passwd"] {
        let error = olga
            .create(zone, "2030-12-05T18:30", "2030-12-05T21:00")
            .expect_err("not a zone");
        assert_eq!(invalid_field(&error), "time_zone", "{zone:?}");
    }
    let events = olga.world.prasang.events();
    let event = events
        .create(&olga.olga, new_event(10, 0, 1))
        .expect("create");
    let error = olga
        .move_to(&event, "Europe/Atlantis")
        .expect_err("not a zone");
    assert_eq!(invalid_field(&error), "time_zone");
}

#[test]
fn changing_the_zone_keeps_the_instants_unless_local_times_come_with_it() {
    let olga = Olga::new();
    let event = olga.event("Europe/Berlin", "2030-06-01T19:00", "2030-06-01T22:00");
    let moved = olga.move_to(&event, "America/New_York").expect("update");
    assert_eq!(moved.starts_at, event.starts_at);
    assert_eq!(moved.starts_at_local, "2030-06-01T13:00:00-04:00");
    let rescheduled = olga
        .update(
            &event,
            EventUpdate {
                time_zone: Some("Asia/Tokyo".into()),
                starts_at: Some(time("2030-06-01T19:00")),
                ends_at: Some(time("2030-06-01T22:00")),
                ..Default::default()
            },
        )
        .expect("update");
    assert_eq!(rescheduled.starts_at, at("2030-06-01T10:00:00Z"));
    assert_eq!(rescheduled.ends_at_local, "2030-06-01T22:00:00+09:00");
}

fn listed_on(world: &World, date: &str) -> Vec<String> {
    let query = EventQuery {
        local_date: Some(date.into()),
        page: PageRequest::first(2),
        ..Default::default()
    };
    let mut titles = Vec::new();
    let mut query = query;
    loop {
        let page = world.prasang.events().list(&query).expect("list");
        titles.extend(page.items.iter().map(|e: &Event| e.title.clone()));
        let Some(next) = page.next else { break };
        query.page.after = Some(next);
    }
    titles
}

#[test]
fn the_local_date_filter_uses_each_events_own_zone_around_midnight() {
    let world = World::new();
    let olga = world.user("Olga", Role::Organizer);
    let create = |title: &str, zone: &str, starts_at: &str, ends_at: &str| {
        let new = NewEvent {
            title: title.into(),
            ..zoned(zone, starts_at, ends_at)
        };
        world.prasang.events().create(&olga, new).expect("create");
    };
    // 2030-12-04T18:30Z, still the 4th in UTC, already the 5th in Kolkata.
    create(
        "Kolkata just after midnight",
        "Asia/Kolkata",
        "2030-12-05T00:00",
        "2030-12-05T02:00",
    );
    // 2030-12-04T18:29Z: a minute earlier, the last minute of the 4th in Kolkata.
    create(
        "Kolkata just before midnight",
        "Asia/Kolkata",
        "2030-12-04T23:59",
        "2030-12-05T02:00",
    );
    // 2030-12-06T07:59Z, already the 6th in UTC, still the 5th in Los Angeles.
    create(
        "Los Angeles late",
        "America/Los_Angeles",
        "2030-12-05T23:59",
        "2030-12-06T02:00",
    );
    create(
        "Los Angeles next day",
        "America/Los_Angeles",
        "2030-12-06T00:00",
        "2030-12-06T02:00",
    );
    create("UTC noon", "UTC", "2030-12-05T12:00", "2030-12-05T14:00");

    assert_eq!(
        listed_on(&world, "2030-12-05"),
        [
            "Kolkata just after midnight",
            "UTC noon",
            "Los Angeles late"
        ]
    );
    assert_eq!(
        listed_on(&world, "2030-12-04"),
        ["Kolkata just before midnight"]
    );
    assert_eq!(listed_on(&world, "2030-12-06"), ["Los Angeles next day"]);

    // Started events stay out of a past day.
    world.clock.set(at("2030-12-05T13:00:00Z"));
    assert_eq!(listed_on(&world, "2030-12-05"), ["Los Angeles late"]);

    for bad in ["5 Dec", "2030-13-01", "2030-12-5"] {
        let query = EventQuery {
            local_date: Some(bad.into()),
            ..Default::default()
        };
        let error = world.prasang.events().list(&query).expect_err("bad date");
        assert_eq!(invalid_field(&error), "local_date", "{bad}");
    }
}
