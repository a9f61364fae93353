//! The waiting list under random operations and under racing threads.
//!
//! The property test drives one event of two ticket types (a paid one limited only by the
//! event's seats, a free one with a quota of 2) through joins, leaves, bookings, cancellations,
//! payments, capacity changes, accepts, declines, settings changes and the clock (holds and
//! offers lapse), and after every step recomputes the list from the log alone and checks:
//! the store shows exactly the recomputed entries and offers; offers went strictly in joining
//! order within each type; no seat was sold to a newcomer while someone waited for a type with
//! room; among the types with room, the earliest head is served first and free seats are never
//! left unoffered while it fits (or what fits is offered); and the seat counters, offers
//! included, agree with the tickets.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use common::crash::log_entries;
use common::types::{order, ticket_type, typed_event};
use common::{World, waitlist};
use prasang_core::auth::Actor;
use prasang_core::events::{EventUpdate, TicketTypeId};
use prasang_core::log::DomainEvent;
use prasang_core::tickets::{BookingRequest, TicketError, TicketStatus};
use prasang_core::users::Role;
use prasang_core::waitlist::{JoinRequest, WaitlistSettings};
use prasang_core::{EventId, PageRequest, TicketId, UserId};
use proptest::prelude::*;

const USERS: usize = 5;
/// The paid type with no quota and the free type with a quota of 2.
const TYPES: [TicketTypeId; 2] = [1, 2];

#[derive(Debug, Clone)]
enum Op {
    Book(usize, TicketTypeId, u32),
    Cancel(usize),
    Confirm(usize),
    Join(usize, TicketTypeId, u32),
    Leave(usize),
    Accept(usize),
    Decline(usize),
    Capacity(u32),
    Settings {
        paused: bool,
        what_fits: bool,
    },
    /// Minutes pass; lapsed holds and offers are swept.
    Wait(u64),
}

fn op() -> impl Strategy<Value = Op> {
    let user = 0..USERS;
    prop_oneof![
        3 => (user.clone(), proptest::sample::select(&TYPES[..]), 1..=2u32).prop_map(|(u, t, n)| Op::Book(u, t, n)),
        3 => user.clone().prop_map(Op::Cancel),
        1 => user.clone().prop_map(Op::Confirm),
        3 => (user.clone(), proptest::sample::select(&TYPES[..]), 1..=2u32).prop_map(|(u, t, n)| Op::Join(u, t, n)),
        1 => user.clone().prop_map(Op::Leave),
        2 => user.clone().prop_map(Op::Accept),
        1 => user.clone().prop_map(Op::Decline),
        1 => (1..=5u32).prop_map(Op::Capacity),
        1 => (any::<bool>(), any::<bool>()).prop_map(|(paused, what_fits)| Op::Settings { paused, what_fits }),
        1 => (1..=20u64).prop_map(Op::Wait),
    ]
}

/// An entry as the log tells it: who, seats wanted, seats on offer.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Recomputed {
    user: UserId,
    ticket_type: TicketTypeId,
    seats: u32,
    offer: Option<u32>,
}

/// The list recomputed from the log, checking on the way that each offer went to the earliest
/// waiting entry of its type.
fn recompute(log: &[prasang_core::log::LogEntry], event: EventId) -> BTreeMap<u64, Recomputed> {
    let mut entries: BTreeMap<u64, Recomputed> = BTreeMap::new();
    for entry in log {
        match &entry.event {
            DomainEvent::WaitlistJoined {
                event: e,
                user,
                ticket_type,
                seats,
                entry,
            } if *e == event => {
                entries.insert(
                    *entry,
                    Recomputed {
                        user: *user,
                        ticket_type: *ticket_type,
                        seats: *seats,
                        offer: None,
                    },
                );
            }
            DomainEvent::WaitlistOffered {
                event: e,
                entry,
                seats,
                ticket_type,
                ..
            } if *e == event => {
                let first_waiting = entries
                    .iter()
                    .find(|(_, waiting)| {
                        waiting.offer.is_none() && waiting.ticket_type == *ticket_type
                    })
                    .map(|(number, _)| *number);
                assert_eq!(first_waiting, Some(*entry), "offers go in joining order");
                let offered = entries.get_mut(entry).expect("offered entry joined");
                assert!(*seats >= 1 && *seats <= offered.seats);
                offered.offer = Some(*seats);
            }
            DomainEvent::WaitlistOfferAccepted {
                event: e, entry, ..
            }
            | DomainEvent::WaitlistOfferDeclined {
                event: e, entry, ..
            }
            | DomainEvent::WaitlistOfferExpired {
                event: e, entry, ..
            } if *e == event => {
                let gone = entries.remove(entry).expect("answered entry existed");
                assert!(
                    gone.offer.is_some(),
                    "only offers are accepted, declined or lapse"
                );
            }
            DomainEvent::WaitlistLeft {
                event: e, entry, ..
            } if *e == event => {
                entries.remove(entry).expect("an entry that left existed");
            }
            _ => {}
        }
    }
    entries
}

struct Real {
    world: World,
    olga: Actor,
    users: Vec<Actor>,
    event: EventId,
    settings: WaitlistSettings,
}

impl Real {
    fn new() -> Self {
        let world = World::new();
        let olga = world.user("Olga", Role::Organizer);
        let types = vec![
            ticket_type("Paid", 1_000, None),
            ticket_type("Free", 0, Some(2)),
        ];
        let event = world
            .prasang
            .events()
            .create(&olga, typed_event(3, 2, types))
            .expect("event");
        let mut users = vec![];
        for n in 0..USERS {
            users.push(world.user(&format!("Fan {n}"), Role::Attendee));
        }
        let settings = waitlist::open(15, false);
        waitlist::configure(&world.prasang, &olga, event.id, settings);
        Real {
            world,
            olga,
            users,
            event: event.id,
            settings,
        }
    }

    fn active_tickets(&self, user: usize) -> Vec<(TicketId, TicketStatus)> {
        let page = self
            .world
            .prasang
            .tickets()
            .list_mine(&self.users[user], &PageRequest::first(100))
            .expect("tickets");
        page.items
            .into_iter()
            .filter(|ticket| ticket.event == self.event && ticket.status.is_active())
            .map(|ticket| (ticket.id, ticket.status))
            .collect()
    }

    fn entry_of(&self, user: usize) -> Option<prasang_core::waitlist::WaitlistEntry> {
        let waitlist = self.world.prasang.waitlist();
        waitlist
            .mine_for(&self.users[user], self.event)
            .expect("mine")
            .into_iter()
            .next()
    }

    /// Applies `op`; returns whether it was a booking that succeeded.
    fn apply(&mut self, op: &Op) -> bool {
        let prasang = &self.world.prasang;
        let waitlist = prasang.waitlist();
        match *op {
            Op::Book(user, ticket_type, seats) => {
                let request = order(self.event, &[(ticket_type, i64::from(seats))], None);
                return prasang.tickets().book(&self.users[user], &request).is_ok();
            }
            Op::Cancel(user) => {
                if let Some((ticket, _)) = self.active_tickets(user).first() {
                    prasang
                        .tickets()
                        .cancel(&self.users[user], *ticket)
                        .expect("cancel");
                }
            }
            Op::Confirm(user) => {
                let pending = self
                    .active_tickets(user)
                    .into_iter()
                    .find(|(_, s)| *s == TicketStatus::Pending);
                if let Some((ticket, _)) = pending {
                    prasang
                        .tickets()
                        .confirm_payment(&self.olga, ticket)
                        .expect("confirm");
                }
            }
            Op::Join(user, ticket_type, seats) => {
                let request = JoinRequest {
                    ticket_type: Some(ticket_type),
                    seats: i64::from(seats),
                };
                let _ = waitlist.join(&self.users[user], self.event, &request);
            }
            Op::Leave(user) => {
                if let Some(entry) = self.entry_of(user) {
                    waitlist
                        .leave(&self.users[user], self.event, entry.entry)
                        .expect("leave");
                }
            }
            Op::Accept(user) => {
                if let Some(entry) = self.entry_of(user).filter(|entry| entry.offer.is_some()) {
                    // The per-user limit may refuse it; the offer then stands.
                    if let Err(refusal) =
                        waitlist.accept(&self.users[user], self.event, entry.entry)
                    {
                        assert!(
                            self.entry_of(user).is_some(),
                            "a refused accept keeps the offer: {refusal}"
                        );
                    }
                }
            }
            Op::Decline(user) => {
                if let Some(entry) = self.entry_of(user).filter(|entry| entry.offer.is_some()) {
                    waitlist
                        .decline(&self.users[user], self.event, entry.entry)
                        .expect("decline");
                }
            }
            Op::Capacity(capacity) => {
                let update = EventUpdate {
                    capacity: Some(i64::from(capacity)),
                    ..EventUpdate::default()
                };
                let _ = prasang.events().update(&self.olga, self.event, update);
            }
            Op::Settings { paused, what_fits } => {
                self.settings.paused = paused;
                self.settings.offer_what_fits = what_fits;
                waitlist
                    .configure(&self.olga, self.event, self.settings)
                    .expect("configure");
            }
            Op::Wait(minutes) => {
                self.world.clock.advance(Duration::from_secs(minutes * 60));
                prasang.tickets().expire_due().expect("expire holds");
                waitlist.expire_due().expect("lapse offers");
            }
        }
        false
    }

    /// Checks the store against the list recomputed from the log.
    fn check(&self, booked_while_waiting: bool) -> Result<(), TestCaseError> {
        let prasang = &self.world.prasang;
        let log = log_entries(prasang);
        let recomputed = recompute(&log, self.event);
        prop_assert!(
            !booked_while_waiting,
            "a newcomer booked while someone waited"
        );
        let shown: BTreeMap<u64, Recomputed> = prasang
            .waitlist()
            .list(&self.olga, self.event, &PageRequest::first(100))
            .expect("list")
            .items
            .into_iter()
            .map(|member| {
                let entry = member.entry;
                (
                    entry.entry,
                    Recomputed {
                        user: member.user,
                        ticket_type: entry.ticket_type,
                        seats: entry.seats,
                        offer: entry.offer.map(|o| o.seats),
                    },
                )
            })
            .collect();
        prop_assert_eq!(&shown, &recomputed);
        // The earliest head among the types with room must not fit (else it had an offer).
        let rooms = self.rooms();
        let head = recomputed.values().find(|entry| {
            entry.offer.is_none() && rooms.get(&entry.ticket_type).is_some_and(|room| *room > 0)
        });
        if let Some(head) = head.filter(|_| !self.settings.paused) {
            let room = rooms[&head.ticket_type];
            prop_assert!(
                head.seats > room && !self.settings.offer_what_fits,
                "{} seats of type {} free while the head waits for {}",
                room,
                head.ticket_type,
                head.seats
            );
        }
        let report = prasang
            .verify_integrity(&prasang.auth().system_actor())
            .expect("verify");
        prop_assert!(report.is_ok(), "{:?}", report.problems);
        Ok(())
    }

    /// Seats of each type a booking could take now: the type's own and the event's.
    fn rooms(&self) -> BTreeMap<TicketTypeId, u32> {
        let prasang = &self.world.prasang;
        let remaining = prasang
            .events()
            .peek(self.event)
            .expect("event")
            .seats
            .remaining;
        prasang
            .events()
            .ticket_types(&self.olga, self.event)
            .expect("types")
            .into_iter()
            .map(|t| {
                let left = t.quota.map_or(remaining, |quota| quota - t.held - t.booked);
                (t.id, left.min(remaining))
            })
            .collect()
    }

    /// Whether someone waits for a type that has room: a newcomer must then find it sold out.
    fn someone_waits(&self) -> bool {
        let rooms = self.rooms();
        let members = self
            .world
            .prasang
            .waitlist()
            .list(&self.olga, self.event, &PageRequest::first(100))
            .expect("list");
        members
            .items
            .iter()
            .any(|member| member.entry.offer.is_none() && rooms[&member.entry.ticket_type] > 0)
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn the_list_matches_its_log_and_serves_strictly_in_order(ops in proptest::collection::vec(op(), 1..50)) {
        let mut real = Real::new();
        for op in &ops {
            let waited = real.someone_waits();
            let booked = real.apply(op);
            real.check(booked && waited)?;
        }
    }
}

/// Holders cancel from several threads while newcomers keep trying to book and the people on
/// the list accept their offers as they come: every freed seat goes to the list in joining
/// order, no newcomer gets one, and the counters agree with the tickets.
#[test]
fn cancellations_racing_newcomers_all_go_to_the_list_in_order() {
    const SEATS: usize = 24;
    const WAITING: usize = 36;
    let world = Arc::new(World::new());
    let (olga, _, event) = world.organizer_attendee_event(SEATS as i64, 0, 1);
    let event = event.id;
    let holders: Vec<_> = (0..SEATS)
        .map(|n| {
            let holder = world.user(&format!("Holder {n}"), Role::Attendee);
            let ticket = world.book(&holder, event, 1);
            (holder, ticket.id)
        })
        .collect();
    waitlist::configure(&world.prasang, &olga, event, waitlist::open(24 * 60, false));
    let waiters: Vec<_> = (0..WAITING)
        .map(|n| {
            let fan = world.user(&format!("Waiter {n}"), Role::Attendee);
            let entry = waitlist::join(&world.prasang, &fan, event, 1);
            (fan, entry)
        })
        .collect();
    let newcomers: Vec<_> = (0..4)
        .map(|n| world.user(&format!("Newcomer {n}"), Role::Attendee))
        .collect();

    std::thread::scope(|scope| {
        for chunk in holders.chunks(SEATS / 4) {
            let world = &world;
            scope.spawn(move || {
                for (holder, ticket) in chunk {
                    world
                        .prasang
                        .tickets()
                        .cancel(holder, *ticket)
                        .expect("cancel");
                }
            });
        }
        for newcomer in &newcomers {
            let world = &world;
            scope.spawn(move || {
                for _ in 0..50 {
                    let refused = world
                        .prasang
                        .tickets()
                        .book(newcomer, &BookingRequest::seats(event, 1));
                    assert!(
                        matches!(refused, Err(TicketError::SoldOut { .. })),
                        "{refused:?}"
                    );
                }
            });
        }
        for chunk in waiters[..SEATS].chunks(SEATS / 4) {
            let world = &world;
            scope.spawn(move || {
                for (fan, entry) in chunk {
                    loop {
                        match world.prasang.waitlist().accept(fan, event, *entry) {
                            Ok(outcome) => {
                                assert_eq!(outcome.ticket.quantity, 1);
                                break;
                            }
                            Err(_) => std::thread::yield_now(),
                        }
                    }
                }
            });
        }
    });
    for (n, (fan, _)) in waiters.iter().enumerate() {
        let tickets = world
            .prasang
            .tickets()
            .list_mine(fan, &PageRequest::first(10))
            .expect("tickets");
        assert_eq!(tickets.items.len(), usize::from(n < SEATS), "waiter {n}");
    }
    let status = world.prasang.waitlist().status(event).expect("status");
    assert_eq!(
        (status.waiting as usize, status.offers),
        (WAITING - SEATS, 0)
    );
    let report = world
        .prasang
        .verify_integrity(&world.prasang.auth().system_actor())
        .expect("verify");
    assert!(report.is_ok(), "{:?}", report.problems);
}
