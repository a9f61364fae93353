//! Guests in the demographic reports: a guest told no gender or age (age 0), so their holdings
//! count in the `unknown` age group (and `undisclosed` gender) until they register with an age;
//! their later holdings count in that group.

mod common;

use common::World;
use prasang_core::analytics::csv::to_csv;
use prasang_core::analytics::{AgeGroup, Demographics, Scope};
use prasang_core::auth::Actor;
use prasang_core::guests::{GuestCheckout, GuestRegistration};
use prasang_core::tickets::BookingRequest;
use prasang_core::users::{Gender, Role};
use prasang_core::{EventId, UserId};

/// Holders of `event` per (gender, age group) with any, as the folded aggregates say.
fn holders(world: &World, olga: &Actor, event: EventId) -> Vec<(Gender, AgeGroup, u64)> {
    world.prasang.run_analytics_once().expect("analytics");
    let report = demographics(world, olga, event);
    report
        .groups
        .iter()
        .filter(|row| row.holders > 0)
        .map(|row| (row.gender, row.age_group, row.holders))
        .collect()
}

fn demographics(world: &World, olga: &Actor, event: EventId) -> Demographics {
    world
        .prasang
        .analytics()
        .demographics(olga, Scope::Event(event))
        .expect("demographics")
}

/// Gita checks out as a guest: 2 seats of `event`.
fn guest_books(world: &World, event: EventId) -> UserId {
    let checkout = GuestCheckout {
        name: "Gita Guest".into(),
        email: "gita@guest.example".into(),
        booking: BookingRequest::seats(event, 2),
    };
    let outcome = world
        .prasang
        .guests()
        .book(&checkout)
        .expect("guest checkout");
    outcome.ticket.user
}

#[test]
fn a_guest_counts_in_the_unknown_age_group_until_they_register_with_an_age() {
    let world = World::new();
    let olga = world.user("Olga", Role::Organizer);
    let first = world.event(&olga, 10, 0, 4);
    let gita = guest_books(&world, first.id);

    assert_eq!(
        holders(&world, &olga, first.id),
        [(Gender::Undisclosed, AgeGroup::Unknown, 1)]
    );
    let report = demographics(&world, &olga, first.id);
    assert_eq!(report.by_age_group.len(), AgeGroup::ALL.len());
    assert_eq!(report.by_age_group.last(), Some(&(AgeGroup::Unknown, 1)));
    assert!(
        to_csv(&report).contains("\r\nundisclosed,unknown,1\r\n"),
        "{}",
        to_csv(&report)
    );
    let attendees = world
        .prasang
        .export()
        .attendees(&world.prasang.auth().system_actor())
        .expect("attendees");
    let row = attendees.iter().find(|a| a.id == gita).expect("the guest");
    assert_eq!(row.age_group, AgeGroup::Unknown);

    // Gita sets a password with her gender and age: a normal account from now on.
    let actor = world.prasang.auth().trusted_actor(gita).expect("actor");
    let registration = GuestRegistration {
        password: "gita has a long password".into(),
        gender: Gender::Female,
        age: 30,
    };
    world
        .prasang
        .guests()
        .register(&actor, registration)
        .expect("register");
    let later = world.event(&olga, 10, 0, 4);
    world.book(&actor, later.id, 1);
    assert_eq!(
        holders(&world, &olga, later.id),
        [(Gender::Female, AgeGroup::From25To34, 1)]
    );
    // What was counted when she was a guest stays where it was counted.
    assert_eq!(
        holders(&world, &olga, first.id),
        [(Gender::Undisclosed, AgeGroup::Unknown, 1)]
    );
}

#[test]
fn ages_no_registration_gives_are_unknown_and_the_others_keep_their_groups() {
    assert_eq!(AgeGroup::of(0), AgeGroup::Unknown);
    assert_eq!(AgeGroup::of(12), AgeGroup::Unknown);
    assert_eq!(AgeGroup::of(13), AgeGroup::Under18);
    assert_eq!(AgeGroup::of(17), AgeGroup::Under18);
    assert_eq!(AgeGroup::of(18), AgeGroup::From18To24);
    assert_eq!(AgeGroup::of(120), AgeGroup::From65);
    // Stored aggregates key a group by its number: the groups before `unknown` keep theirs.
    let numbers: Vec<u8> = AgeGroup::ALL.iter().map(|group| *group as u8).collect();
    assert_eq!(numbers, [0, 1, 2, 3, 4, 5, 6, 7]);
    assert_eq!(AgeGroup::Unknown.as_str(), "unknown");
    let parsed: AgeGroup = serde_json::from_str("\"unknown\"").unwrap();
    assert_eq!(parsed, AgeGroup::Unknown);
}
