//! Waiting list analytics through the real waiting list: random joins, leaves, removals,
//! cancellations, accepts, declines and lapses, after which the folded reports equal a
//! recomputation from the log, the list's own numbers (`Waitlist::status`), the tickets the
//! accepted offers became, and the export table; and a scenario by hand.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use common::World;
use common::crash::log_entries;
use prasang_core::analytics::{EntryState, Scope, WaitlistTotals};
use prasang_core::auth::Actor;
use prasang_core::log::DomainEvent;
use prasang_core::tickets::Ticket;
use prasang_core::users::Role;
use prasang_core::waitlist::{JoinRequest, WaitlistSettings};
use prasang_core::{EventId, Prasang};
use proptest::prelude::*;

/// People who may wait.
const WAITERS: usize = 5;

/// The totals recomputed from the log, entry by entry, without the consumer's state.
fn recompute(prasang: &Prasang, event: EventId) -> WaitlistTotals {
    let mut seats = BTreeMap::new();
    let mut offered = BTreeSet::new();
    let mut ended = BTreeSet::new();
    let mut t = WaitlistTotals {
        joined: 0,
        left: 0,
        waiting: 0,
        waiting_seats: 0,
        offers: 0,
        offered_seats: 0,
        accepted: 0,
        declined: 0,
        expired: 0,
        withdrawn: 0,
        open_offers: 0,
        seats_recovered: 0,
        acceptance_rate: None,
    };
    for entry in log_entries(prasang) {
        match entry.event {
            DomainEvent::WaitlistJoined {
                event: e,
                entry,
                seats: wanted,
                ..
            } if e == event => {
                t.joined += 1;
                seats.insert(entry, u64::from(wanted));
            }
            DomainEvent::WaitlistOffered {
                event: e,
                entry,
                seats,
                ..
            } if e == event => {
                t.offers += 1;
                t.offered_seats += u64::from(seats);
                offered.insert(entry);
            }
            DomainEvent::WaitlistOfferAccepted {
                event: e,
                entry,
                seats,
                ..
            } if e == event => {
                t.accepted += 1;
                t.seats_recovered += u64::from(seats);
                ended.insert(entry);
            }
            DomainEvent::WaitlistOfferDeclined {
                event: e, entry, ..
            } if e == event => {
                t.declined += 1;
                ended.insert(entry);
            }
            DomainEvent::WaitlistOfferExpired {
                event: e, entry, ..
            } if e == event => {
                t.expired += 1;
                ended.insert(entry);
            }
            DomainEvent::WaitlistLeft {
                event: e,
                entry,
                offered: on_offer,
                ..
            } if e == event => {
                t.left += 1;
                t.withdrawn += u64::from(on_offer > 0);
                ended.insert(entry);
            }
            _ => {}
        }
    }
    let waiting: Vec<u64> = seats
        .iter()
        .filter(|(entry, _)| !offered.contains(*entry) && !ended.contains(*entry))
        .map(|(_, seats)| *seats)
        .collect();
    t.waiting = waiting.len() as u64;
    t.waiting_seats = waiting.iter().sum();
    let closed = t.accepted + t.declined + t.expired + t.withdrawn;
    t.open_offers = t.offers - closed;
    t.acceptance_rate =
        (closed > 0).then(|| (t.accepted as f64 / closed as f64 * 1000.0).round() / 1000.0);
    t
}

/// Checks every view of the list against each other.
fn assert_reports_agree(world: &World, organizer: &Actor, event: EventId) {
    let prasang = &world.prasang;
    prasang.run_analytics_once().expect("fold");
    let analytics = prasang.analytics();
    let totals = analytics
        .waitlist_totals(organizer, Scope::Event(event))
        .expect("waitlist");
    assert_eq!(totals, recompute(prasang, event));
    let status = prasang.waitlist().status(event).expect("status");
    assert_eq!(
        (totals.waiting, totals.waiting_seats, totals.open_offers),
        (
            u64::from(status.waiting),
            u64::from(status.waiting_seats),
            u64::from(status.offers)
        )
    );
    // The curve ends where the list stands.
    let length = analytics.waitlist_length(organizer, event).expect("length");
    if let Some(last) = length.rows.last() {
        let levels = (last.waiting, last.waiting_seats, last.open_offers);
        assert_eq!(
            levels,
            (totals.waiting, totals.waiting_seats, totals.open_offers)
        );
    }
    let flows: u64 = length.rows.iter().map(|row| row.joined).sum();
    assert_eq!(flows, totals.joined);
    // The export has every entry; its accepted ones became tickets of their seats.
    let admin = prasang.auth().system_actor();
    let rows = prasang.export().waitlist(&admin).expect("rows");
    assert_eq!(rows.len() as u64, totals.joined);
    let in_state = |state| rows.iter().filter(|r| r.state == state).count() as u64;
    assert_eq!(in_state(EntryState::Waiting), totals.waiting);
    assert_eq!(in_state(EntryState::Offered), totals.open_offers);
    assert_eq!(in_state(EntryState::Accepted), totals.accepted);
    let mut recovered = 0;
    for row in rows.iter().filter(|r| r.state == EntryState::Accepted) {
        let id = row.ticket.expect("an accepted entry names its ticket");
        let ticket: Ticket = prasang.tickets().get(&admin, id).expect("ticket");
        recovered += u64::from(ticket.quantity);
    }
    assert_eq!(recovered, totals.seats_recovered);
}

/// A step of the random workload (`who` picks a waiter or a holder by index).
#[derive(Debug, Clone)]
enum Op {
    Join { who: usize, seats: i64 },
    Leave { who: usize },
    Remove { who: usize },
    Cancel { who: usize },
    Accept { who: usize },
    Decline { who: usize },
    Lapse,
}

fn op() -> impl Strategy<Value = Op> {
    let who = 0..WAITERS;
    prop_oneof![
        3 => (who.clone(), 1..=2i64).prop_map(|(who, seats)| Op::Join { who, seats }),
        1 => who.clone().prop_map(|who| Op::Leave { who }),
        1 => who.clone().prop_map(|who| Op::Remove { who }),
        2 => who.clone().prop_map(|who| Op::Cancel { who }),
        2 => who.clone().prop_map(|who| Op::Accept { who }),
        1 => who.prop_map(|who| Op::Decline { who }),
        1 => Just(Op::Lapse),
    ]
}

/// A sold-out event of 3 seats with its list open (what fits offered, one-hour offers), its
/// organizer, its three holders (a seat each) and the people who may wait.
struct Run {
    world: World,
    organizer: Actor,
    event: EventId,
    /// Holders and their booked tickets; accepted offers add theirs.
    holders: Vec<(Actor, Vec<Ticket>)>,
    waiters: Vec<Actor>,
}

impl Run {
    fn new() -> Run {
        let world = World::new();
        let organizer = world.user("Olga", Role::Organizer);
        let event = world.event(&organizer, 3, 0, 2).id;
        let holders: Vec<_> = (0..3)
            .map(|n| {
                let who = world.user(&format!("Holder{n}"), Role::Attendee);
                let ticket = world.book(&who, event, 1);
                (who, vec![ticket])
            })
            .collect();
        let settings = WaitlistSettings {
            enabled: true,
            offer_window_minutes: 60,
            offer_what_fits: true,
            ..WaitlistSettings::default()
        };
        world
            .prasang
            .waitlist()
            .configure(&organizer, event, settings)
            .expect("open the list");
        let waiters = (0..WAITERS)
            .map(|n| world.user(&format!("Waiter{n}"), Role::Attendee))
            .collect();
        Run {
            world,
            organizer,
            event,
            holders,
            waiters,
        }
    }

    /// `who`'s entry on the list, if any.
    fn entry_of(&self, who: &Actor) -> Option<u64> {
        let list = self.world.prasang.waitlist();
        let mine = list.mine_for(who, self.event).expect("mine");
        mine.first().map(|entry| entry.entry)
    }

    /// Applies `op`; refusals (not sold out, no offer, no entry) are part of the workload.
    fn apply(&mut self, op: &Op) {
        let list = self.world.prasang.waitlist();
        let event = self.event;
        match *op {
            Op::Join { who, seats } => {
                let request = JoinRequest {
                    ticket_type: None,
                    seats,
                };
                let _ = list.join(&self.waiters[who], event, &request);
            }
            Op::Leave { who } | Op::Remove { who } => {
                let waiter = &self.waiters[who];
                if let Some(entry) = self.entry_of(waiter) {
                    let by = match op {
                        Op::Leave { .. } => waiter,
                        _ => &self.organizer,
                    };
                    list.leave(by, event, entry).expect("leave");
                }
            }
            Op::Cancel { who } => {
                let (holder, tickets) = &mut self.holders[who % 3];
                if let Some(ticket) = tickets.pop() {
                    self.world.cancel_ticket(holder, ticket.id);
                }
            }
            Op::Accept { who } => {
                let waiter = &self.waiters[who];
                if let Some(entry) = self.entry_of(waiter)
                    && let Ok(outcome) = list.accept(waiter, event, entry)
                {
                    // The seats are a holder's now: they may cancel them and free them again.
                    self.holders.push((*waiter, vec![outcome.ticket]));
                }
            }
            Op::Decline { who } => {
                let waiter = &self.waiters[who];
                if let Some(entry) = self.entry_of(waiter) {
                    let _ = list.decline(waiter, event, entry);
                }
            }
            Op::Lapse => {
                self.world.clock.advance(Duration::from_secs(61 * 60));
                list.expire_due().expect("expire");
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    /// Folded in batches of random length (a round after some steps), the reports always agree.
    #[test]
    fn waitlist_reports_equal_the_log_the_list_and_the_tickets(
        ops in proptest::collection::vec((op(), any::<bool>()), 1..40)
    ) {
        let mut run = Run::new();
        for (op, fold) in &ops {
            run.apply(op);
            if *fold {
                run.world.prasang.run_analytics_once().expect("fold");
            }
        }
        assert_reports_agree(&run.world, &run.organizer, run.event);
    }
}

/// By hand: two wait, a cancellation offers the first a seat, they accept; a second
/// cancellation's offer lapses; the organizer sees one seat recovered of two offered.
#[test]
fn a_sold_out_event_recovers_a_seat_through_its_list() {
    let mut run = Run::new();
    let [ada, bob] = [0, 1];
    run.apply(&Op::Join { who: ada, seats: 1 });
    run.apply(&Op::Join { who: bob, seats: 2 });
    run.apply(&Op::Cancel { who: 0 });
    run.apply(&Op::Accept { who: ada });
    // Bob waits for 2: the next single seat is offered as what fits, and lapses.
    run.apply(&Op::Cancel { who: 1 });
    run.apply(&Op::Lapse);
    let prasang = &run.world.prasang;
    prasang.run_analytics_once().expect("fold");
    let totals = prasang
        .analytics()
        .waitlist_totals(&run.organizer, Scope::Organizer(run.organizer.user_id()))
        .expect("waitlist");
    assert_eq!(
        (
            totals.joined,
            totals.offers,
            totals.accepted,
            totals.expired,
            totals.seats_recovered
        ),
        (2, 2, 1, 1, 1)
    );
    assert_eq!((totals.waiting, totals.open_offers), (0, 0));
    assert_eq!(totals.acceptance_rate, Some(0.5));
    assert_reports_agree(&run.world, &run.organizer, run.event);
}
