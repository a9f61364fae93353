//! Model-based property test: random operation sequences against the real store and against a
//! tiny in-memory model of the rules must give the same answers and the same seat counts.

mod common;

use prasang_core::{CommonError, Subject};
use std::collections::HashMap;
use std::time::Duration;

use common::World;
use prasang_core::auth::Actor;
use prasang_core::tickets::{BookingRequest, TicketError, TicketStatus};
use prasang_core::users::Role;
use prasang_core::{EventId, TicketId};
use proptest::prelude::*;

const CAPACITY: u32 = 4;
const LIMIT: u32 = 2;
const HOLD_SECS: u64 = 900;
const USERS: usize = 3;

#[derive(Debug, Clone)]
enum Op {
    Book {
        user: usize,
        paid: bool,
        quantity: u32,
    },
    /// Several bookings handed to the booking writer back to back (one batch): the model
    /// decides them one after the other.
    BookMany {
        requests: Vec<(usize, bool, u32)>,
    },
    Cancel {
        ticket: usize,
        by: Option<usize>,
    },
    Confirm {
        ticket: usize,
    },
    Advance {
        secs: u64,
    },
    Expire,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..USERS, any::<bool>(), 1..=3u32).prop_map(|(user, paid, quantity)| Op::Book { user, paid, quantity }),
        2 => proptest::collection::vec((0..USERS, any::<bool>(), 1..=3u32), 1..6).prop_map(|requests| Op::BookMany { requests }),
        2 => (0..16usize, proptest::option::of(0..USERS)).prop_map(|(ticket, by)| Op::Cancel { ticket, by }),
        1 => (0..16usize).prop_map(|ticket| Op::Confirm { ticket }),
        1 => (0..1_200u64).prop_map(|secs| Op::Advance { secs }),
        1 => Just(Op::Expire),
    ]
}

/// What a call returned, reduced to what the model can predict.
#[derive(Debug, PartialEq, Eq)]
enum Answer {
    Ok,
    SoldOut,
    LimitReached,
    NotFound,
    WrongStatus(TicketStatus),
    Expired(usize),
    Many(Vec<Answer>),
}

fn answer<T>(result: Result<T, TicketError>) -> Answer {
    match result {
        Ok(_) => Answer::Ok,
        Err(TicketError::SoldOut { .. }) => Answer::SoldOut,
        Err(TicketError::LimitReached { .. }) => Answer::LimitReached,
        Err(TicketError::Common(CommonError::NotFound(Subject::Ticket))) => Answer::NotFound,
        Err(TicketError::WrongStatus(s)) => Answer::WrongStatus(s),
        Err(other) => panic!("the model never expects {other:?}"),
    }
}

#[derive(Clone, Copy)]
struct ModelTicket {
    paid: bool,
    user: usize,
    quantity: u32,
    status: TicketStatus,
    expires_at: u64,
}

#[derive(Default)]
struct Model {
    now: u64,
    tickets: Vec<ModelTicket>,
}

impl Model {
    fn taken(&self, paid: bool, only: impl Fn(&ModelTicket) -> bool) -> u32 {
        self.tickets
            .iter()
            .filter(|t| t.paid == paid && t.status.is_active() && only(t))
            .map(|t| t.quantity)
            .sum()
    }

    fn book(&mut self, user: usize, paid: bool, quantity: u32) -> Answer {
        let held = self.taken(paid, |t| t.user == user);
        if held + quantity > LIMIT {
            return Answer::LimitReached;
        }
        if quantity > CAPACITY - self.taken(paid, |_| true) {
            return Answer::SoldOut;
        }
        let status = if paid {
            TicketStatus::Pending
        } else {
            TicketStatus::Booked
        };
        self.tickets.push(ModelTicket {
            paid,
            user,
            quantity,
            status,
            expires_at: self.now + HOLD_SECS,
        });
        Answer::Ok
    }

    fn cancel(&mut self, index: usize, by: Option<usize>) -> Answer {
        let ticket = &mut self.tickets[index];
        if by.is_some_and(|u| u != ticket.user) {
            return Answer::NotFound;
        }
        if !ticket.status.is_active() {
            return Answer::WrongStatus(ticket.status);
        }
        ticket.status = TicketStatus::Cancelled;
        Answer::Ok
    }

    fn confirm(&mut self, index: usize) -> Answer {
        let now = self.now;
        let ticket = &mut self.tickets[index];
        match ticket.status {
            TicketStatus::Pending if ticket.expires_at <= now => {
                Answer::WrongStatus(TicketStatus::Expired)
            }
            TicketStatus::Pending => {
                ticket.status = TicketStatus::Booked;
                Answer::Ok
            }
            other => Answer::WrongStatus(other),
        }
    }

    fn expire(&mut self) -> Answer {
        let now = self.now;
        let mut expired = 0;
        for ticket in &mut self.tickets {
            if ticket.status == TicketStatus::Pending && ticket.expires_at <= now {
                ticket.status = TicketStatus::Expired;
                expired += 1;
            }
        }
        Answer::Expired(expired)
    }
}

struct Real {
    world: World,
    organizer: Actor,
    users: Vec<Actor>,
    events: HashMap<bool, EventId>,
    tickets: Vec<TicketId>,
}

impl Real {
    fn new() -> Self {
        let world = World::with(|c| c.hold_duration(Duration::from_secs(HOLD_SECS)));
        let organizer = world.user("Olga", Role::Organizer);
        let users = (0..USERS)
            .map(|i| world.user(&format!("User {i}"), Role::Attendee))
            .collect();
        let mut events = HashMap::new();
        events.insert(
            false,
            world.event(&organizer, CAPACITY.into(), 0, LIMIT.into()).id,
        );
        events.insert(
            true,
            world
                .event(&organizer, CAPACITY.into(), 700, LIMIT.into())
                .id,
        );
        Real {
            world,
            organizer,
            users,
            events,
            tickets: Vec::new(),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn the_store_behaves_like_the_model(ops in proptest::collection::vec(op(), 1..40)) {
        let mut real = Real::new();
        let mut model = Model::default();
        for op in ops {
            let tickets = real.world.prasang.tickets();
            let (got, expected) = match op {
                Op::Book { user, paid, quantity } => {
                    let request = BookingRequest { event: real.events[&paid], quantity: quantity.into(), idempotency_key: None, lines: Vec::new(), promo_code: None, };
                    let result = tickets.book(&real.users[user], &request);
                    if let Ok(outcome) = &result {
                        real.tickets.push(outcome.ticket.id);
                    }
                    (answer(result), model.book(user, paid, quantity))
                }
                Op::BookMany { requests } => {
                    let batch: Vec<_> = requests.iter().map(|&(user, paid, quantity)| {
                        (real.users[user], BookingRequest { event: real.events[&paid], quantity: quantity.into(), idempotency_key: None, lines: Vec::new(), promo_code: None, })
                    }).collect();
                    let results = tickets.book_many(&batch);
                    for outcome in results.iter().flatten() {
                        real.tickets.push(outcome.ticket.id);
                    }
                    let expected = requests.iter().map(|&(user, paid, quantity)| model.book(user, paid, quantity)).collect();
                    (Answer::Many(results.into_iter().map(answer).collect()), Answer::Many(expected))
                }
                Op::Cancel { ticket, by } if !real.tickets.is_empty() => {
                    let index = ticket % real.tickets.len();
                    let actor = by.map_or(real.organizer, |u| real.users[u]);
                    (answer(tickets.cancel(&actor, real.tickets[index])), model.cancel(index, by))
                }
                Op::Confirm { ticket } if !real.tickets.is_empty() => {
                    let index = ticket % real.tickets.len();
                    (answer(tickets.confirm_payment(&real.organizer, real.tickets[index])), model.confirm(index))
                }
                Op::Advance { secs } => {
                    real.world.clock.advance(Duration::from_secs(secs));
                    model.now += secs;
                    (Answer::Ok, Answer::Ok)
                }
                Op::Expire => (Answer::Expired(tickets.expire_due().expect("expire")), model.expire()),
                _ => continue,
            };
            prop_assert_eq!(got, expected);
            for paid in [false, true] {
                let seats = real.world.prasang.events().peek(real.events[&paid]).expect("event").seats;
                let held = model.tickets.iter().filter(|t| t.paid == paid && t.status == TicketStatus::Pending).map(|t| t.quantity).sum::<u32>();
                let booked = model.tickets.iter().filter(|t| t.paid == paid && t.status == TicketStatus::Booked).map(|t| t.quantity).sum::<u32>();
                prop_assert_eq!((seats.held, seats.booked, seats.remaining), (held, booked, CAPACITY - held - booked));
            }
        }
        let report = real.world.prasang.verify_integrity(&real.world.prasang.auth().system_actor()).expect("check");
        prop_assert!(report.is_ok(), "{:?}", report.problems);
    }
}
