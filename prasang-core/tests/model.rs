//! Model-based property test: random operation sequences against the real store and against a
//! tiny in-memory model of the rules must give the same answers and the same counts.
//!
//! Three events: a free and a paid one of one type each, and one of three ticket types (a paid
//! one, a free one with a quota and a per-order maximum, a hidden one with a per-user limit that
//! a promo code reveals) with a code that halves the price of two types, has a maximum of uses
//! and is once per user. Operations book seats or lines (alone or as one batch, with or without
//! the code), cancel, confirm, let time pass and expire holds, close and reopen a type and
//! change its price (tickets already issued keep theirs). Every single booking is quoted first:
//! the quote must answer as the booking does and cost what it charges.

mod common;

use std::time::Duration;

use common::World;
use common::crash::log_entries;
use common::types::{
    Taken, code_used, event_with_code, order, promo_code, refusal_code, replay_log, ticket_type,
    type_counters, typed_event,
};
use prasang_core::auth::Actor;
use prasang_core::events::{NewTicketType, TicketTypeId, TicketTypeUpdate};
use prasang_core::promo::Discount;
use prasang_core::tickets::{BookingRequest, TicketError, TicketStatus};
use prasang_core::users::Role;
use prasang_core::{EventId, TicketId};
use proptest::prelude::*;

const HOLD_SECS: u64 = 900;
const USERS: usize = 3;

/// The single-type events: free and paid, 4 seats, 2 per user.
const SIMPLE_CAPACITY: u32 = 4;
const SIMPLE_LIMIT: u32 = 2;
const SIMPLE_PRICES: [u64; 2] = [0, 700];

/// The event of several types, by index, and its types.
const TYPED: usize = 2;
const TYPED_CAPACITY: u32 = 6;
const TYPED_LIMIT: u32 = 4;
const ADULT: TicketTypeId = 1;
const CHILD: TicketTypeId = 2;
const VIP: TicketTypeId = 3;
const CODE: &str = "VIP-PASS";
const CODE_PERCENT: u8 = 50;
const CODE_MAX_USES: u32 = 4;
/// What a type's price may be changed to.
const PRICES: [u64; 4] = [0, 700, 2_000, 5_000];

/// Seats a booking asks for: a number of the event's default type, or lines of types.
#[derive(Debug, Clone)]
enum Seats {
    Quantity(u32),
    Lines(Vec<(TicketTypeId, u32)>),
}

impl Seats {
    fn total(&self) -> u32 {
        match self {
            Seats::Quantity(quantity) => *quantity,
            Seats::Lines(lines) => lines.iter().map(|(_, quantity)| quantity).sum(),
        }
    }
}

#[derive(Debug, Clone)]
struct Request {
    event: usize,
    user: usize,
    seats: Seats,
    code: bool,
}

#[derive(Debug, Clone)]
enum Op {
    Book(Request),
    /// Several bookings handed to the booking writer back to back (one batch): the model
    /// decides them one after the other.
    BookMany(Vec<Request>),
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
    /// Closes or reopens a type of the typed event.
    Close {
        ticket_type: TicketTypeId,
        closed: bool,
    },
    /// Changes the price of a type of the typed event.
    Reprice {
        ticket_type: TicketTypeId,
        price_minor: u64,
    },
}

fn request() -> impl Strategy<Value = Request> {
    let lines = proptest::sample::subsequence(vec![ADULT, CHILD, VIP], 1..=3)
        .prop_shuffle()
        .prop_flat_map(|types| {
            let count = types.len();
            (Just(types), proptest::collection::vec(1..=3u32, count))
        })
        .prop_map(|(types, quantities)| types.into_iter().zip(quantities).collect());
    prop_oneof![
        // The simple events; now and then with a code they do not have.
        3 => (0..TYPED, 0..USERS, 1..=3u32, proptest::bool::weighted(0.1)).prop_map(
            |(event, user, quantity, code)| Request { event, user, seats: Seats::Quantity(quantity), code }
        ),
        5 => (0..USERS, lines, any::<bool>()).prop_map(
            |(user, lines, code)| Request { event: TYPED, user, seats: Seats::Lines(lines), code }
        ),
        1 => (0..USERS, 1..=3u32, any::<bool>()).prop_map(
            |(user, quantity, code)| Request { event: TYPED, user, seats: Seats::Quantity(quantity), code }
        ),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    let typed = prop_oneof![Just(ADULT), Just(CHILD), Just(VIP)];
    prop_oneof![
        6 => request().prop_map(Op::Book),
        2 => proptest::collection::vec(request(), 1..6).prop_map(Op::BookMany),
        3 => (0..24usize, proptest::option::of(0..USERS)).prop_map(|(ticket, by)| Op::Cancel { ticket, by }),
        2 => (0..24usize).prop_map(|ticket| Op::Confirm { ticket }),
        1 => (0..1_200u64).prop_map(|secs| Op::Advance { secs }),
        1 => Just(Op::Expire),
        1 => (typed.clone(), proptest::bool::weighted(0.6)).prop_map(|(ticket_type, closed)| Op::Close { ticket_type, closed }),
        1 => (typed, proptest::sample::select(PRICES.to_vec())).prop_map(|(ticket_type, price_minor)| Op::Reprice { ticket_type, price_minor }),
    ]
}

/// What a call returned, reduced to what the model can predict.
#[derive(Debug, PartialEq, Eq)]
enum Answer {
    Ok,
    /// A refusal's problem code, and the line it names.
    Refused(&'static str, Option<usize>),
    WrongStatus(TicketStatus),
    Expired(usize),
    Many(Vec<Answer>),
}

fn answer<T>(result: Result<T, TicketError>) -> Answer {
    match result {
        Ok(_) => Answer::Ok,
        Err(TicketError::WrongStatus(status)) => Answer::WrongStatus(status),
        Err(TicketError::Common(prasang_core::CommonError::Storage(failure))) => {
            panic!("storage failure: {failure:?}")
        }
        Err(refusal) => Answer::Refused(refusal_code(&refusal), refusal.line().map(|(l, _)| l)),
    }
}

fn refused(code: &'static str) -> Answer {
    Answer::Refused(code, None)
}

#[derive(Debug, Clone)]
struct ModelType {
    id: TicketTypeId,
    price: u64,
    quota: Option<u32>,
    max_per_order: Option<u32>,
    per_user: Option<u32>,
    hidden: bool,
    closed: bool,
}

impl ModelType {
    fn priced(id: TicketTypeId, price: u64) -> Self {
        ModelType {
            id,
            price,
            quota: None,
            max_per_order: None,
            per_user: None,
            hidden: false,
            closed: false,
        }
    }
}

struct ModelCode {
    applies_to: Vec<TicketTypeId>,
    reveals: Vec<TicketTypeId>,
    max_uses: u32,
    once_per_user: bool,
}

struct ModelEvent {
    capacity: u32,
    limit: u32,
    types: Vec<ModelType>,
    code: Option<ModelCode>,
}

/// A line as the model expects it on the ticket: type, seats, unit price, discount.
type Line = (TicketTypeId, u32, u64, u64);

#[derive(Clone)]
struct ModelTicket {
    event: usize,
    user: usize,
    lines: Vec<Line>,
    /// Seats the code was used for, if the booking used it.
    code_seats: Option<u32>,
    status: TicketStatus,
    expires_at: u64,
}

impl ModelTicket {
    fn seats_of(&self, ticket_type: Option<TicketTypeId>) -> u32 {
        self.lines
            .iter()
            .filter(|line| ticket_type.is_none_or(|t| t == line.0))
            .map(|line| line.1)
            .sum()
    }
}

/// What half the price off takes, as the core rounds it.
fn code_discount(price: u64) -> u64 {
    (price * u64::from(CODE_PERCENT) + 50) / 100
}

struct Model {
    now: u64,
    events: Vec<ModelEvent>,
    tickets: Vec<ModelTicket>,
}

impl Model {
    fn new() -> Self {
        let simple = |price| ModelEvent {
            capacity: SIMPLE_CAPACITY,
            limit: SIMPLE_LIMIT,
            types: vec![ModelType::priced(1, price)],
            code: None,
        };
        let typed = ModelEvent {
            capacity: TYPED_CAPACITY,
            limit: TYPED_LIMIT,
            types: vec![
                ModelType::priced(ADULT, 2_000),
                ModelType {
                    quota: Some(2),
                    max_per_order: Some(2),
                    ..ModelType::priced(CHILD, 0)
                },
                ModelType {
                    per_user: Some(2),
                    hidden: true,
                    ..ModelType::priced(VIP, 5_000)
                },
            ],
            code: Some(ModelCode {
                applies_to: vec![ADULT, VIP],
                reveals: vec![VIP],
                max_uses: CODE_MAX_USES,
                once_per_user: true,
            }),
        };
        Model {
            now: 0,
            events: vec![simple(SIMPLE_PRICES[0]), simple(SIMPLE_PRICES[1]), typed],
            tickets: Vec::new(),
        }
    }

    fn active(&self, event: usize) -> impl Iterator<Item = &ModelTicket> {
        self.tickets
            .iter()
            .filter(move |t| t.event == event && t.status.is_active())
    }

    /// Seats of `event` (of one type, if given) held or booked, by `user` if given.
    fn taken(&self, event: usize, ticket_type: Option<TicketTypeId>, user: Option<usize>) -> u32 {
        self.active(event)
            .filter(|t| user.is_none_or(|u| u == t.user))
            .map(|t| t.seats_of(ticket_type))
            .sum()
    }

    /// Seats of each type of `event` held and booked.
    fn type_counters(&self, event: usize) -> std::collections::BTreeMap<TicketTypeId, Taken> {
        let mut counters: std::collections::BTreeMap<_, _> = self.events[event]
            .types
            .iter()
            .map(|t| (t.id, Taken::default()))
            .collect();
        for ticket in self.active(event) {
            for line in &ticket.lines {
                let taken = counters.entry(line.0).or_insert_with(Taken::default);
                match ticket.status {
                    TicketStatus::Pending => taken.held += line.1,
                    _ => taken.booked += line.1,
                }
            }
        }
        counters
    }

    fn code_used(&self, event: usize) -> u32 {
        self.active(event).filter_map(|t| t.code_seats).sum()
    }

    /// Seats of `ticket_type` anyone can still book: its quota's rest within the free seats.
    fn available(&self, event: usize, ticket_type: &ModelType) -> u32 {
        let remaining = self.events[event].capacity - self.taken(event, None, None);
        match ticket_type.quota {
            Some(quota) => remaining.min(quota - self.taken(event, Some(ticket_type.id), None)),
            None => remaining,
        }
    }

    /// The type a booking without lines gets: the first listed one on sale, else the first.
    fn default_type(&self, event: usize) -> TicketTypeId {
        let listed = || self.events[event].types.iter().filter(|t| !t.hidden);
        listed()
            .find(|t| !t.closed && self.available(event, t) > 0)
            .or_else(|| listed().next())
            .expect("a listed type")
            .id
    }

    fn book(&mut self, request: &Request) -> Answer {
        let Request {
            event: index, user, ..
        } = *request;
        let event = &self.events[index];
        let total = request.seats.total();
        if self.taken(index, None, Some(user)) + total > event.limit {
            return refused("limit-reached");
        }
        let code = match (request.code, &event.code) {
            (false, _) => None,
            (true, None) => return refused("promo-code-unknown"),
            (true, Some(code)) => Some(code),
        };
        let (named, wanted) = match &request.seats {
            Seats::Quantity(quantity) => (false, vec![(self.default_type(index), *quantity)]),
            Seats::Lines(lines) => (true, lines.clone()),
        };
        let mut remaining = event.capacity - self.taken(index, None, None);
        let mut lines = Vec::new();
        let mut code_seats = 0;
        for (line, &(type_id, quantity)) in wanted.iter().enumerate() {
            let refuse = |code| Answer::Refused(code, named.then_some(line));
            let revealed = code.is_some_and(|code| code.reveals.contains(&type_id));
            let ticket_type = &event.types[type_id as usize - 1];
            if ticket_type.hidden && !revealed {
                return refuse("ticket-type-not-found");
            }
            if ticket_type.closed {
                return refuse("not-on-sale");
            }
            if ticket_type.max_per_order.is_some_and(|max| quantity > max) {
                return refuse("order-limit");
            }
            let of_type = self.taken(index, Some(type_id), Some(user));
            if ticket_type
                .per_user
                .is_some_and(|limit| of_type + quantity > limit)
            {
                return refuse("limit-reached");
            }
            if let Some(quota) = ticket_type.quota
                && quantity > quota - self.taken(index, Some(type_id), None)
            {
                return refuse("ticket-type-sold-out");
            }
            if quantity > remaining {
                return refuse("sold-out");
            }
            remaining -= quantity;
            let applies = code.is_some_and(|code| code.applies_to.contains(&type_id));
            let discount = if applies {
                code_seats += quantity;
                code_discount(ticket_type.price) * u64::from(quantity)
            } else {
                0
            };
            lines.push((type_id, quantity, ticket_type.price, discount));
        }
        if let Some(code) = code {
            let user_tickets = self
                .active(index)
                .filter(|t| t.user == user && t.code_seats.is_some())
                .count();
            if code_seats == 0 {
                return refused("promo-code-not-applicable");
            }
            if code.once_per_user && user_tickets > 0 {
                return refused("promo-code-already-used");
            }
            if code_seats > code.max_uses - self.code_used(index) {
                return refused("promo-code-used-up");
            }
        }
        let amount: u64 = lines
            .iter()
            .map(|&(_, quantity, price, discount)| price * u64::from(quantity) - discount)
            .sum();
        self.tickets.push(ModelTicket {
            event: index,
            user,
            lines,
            code_seats: code.map(|_| code_seats),
            status: if amount > 0 {
                TicketStatus::Pending
            } else {
                TicketStatus::Booked
            },
            expires_at: self.now + HOLD_SECS,
        });
        Answer::Ok
    }

    fn cancel(&mut self, index: usize, by: Option<usize>) -> Answer {
        let ticket = &mut self.tickets[index];
        if by.is_some_and(|u| u != ticket.user) {
            return refused("ticket-not-found");
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

    fn typed_type(&mut self, ticket_type: TicketTypeId) -> &mut ModelType {
        &mut self.events[TYPED].types[ticket_type as usize - 1]
    }
}

struct Real {
    world: World,
    organizer: Actor,
    users: Vec<Actor>,
    events: Vec<EventId>,
    tickets: Vec<TicketId>,
}

impl Real {
    fn new() -> Self {
        let world = World::with(|c| c.hold_duration(Duration::from_secs(HOLD_SECS)));
        let organizer = world.user("Olga", Role::Organizer);
        let users = (0..USERS)
            .map(|i| world.user(&format!("User {i}"), Role::Attendee))
            .collect();
        let mut events: Vec<EventId> = SIMPLE_PRICES
            .iter()
            .map(|&price| {
                let capacity = SIMPLE_CAPACITY.into();
                let price = price as i64;
                world
                    .event(&organizer, capacity, price, SIMPLE_LIMIT.into())
                    .id
            })
            .collect();
        let types = vec![
            ticket_type("Adult", 2_000, None),
            NewTicketType {
                max_per_order: Some(2),
                ..ticket_type("Child", 0, Some(2))
            },
            NewTicketType {
                per_user_limit: Some(2),
                hidden: true,
                ..ticket_type("VIP", 5_000, None)
            },
        ];
        let new = typed_event(TYPED_CAPACITY.into(), TYPED_LIMIT.into(), types);
        let code = prasang_core::promo::NewPromoCode {
            applies_to: vec![ADULT, VIP],
            reveals: vec![VIP],
            ..promo_code(
                CODE,
                Discount::Percent(CODE_PERCENT),
                Some(CODE_MAX_USES.into()),
                true,
            )
        };
        events.push(event_with_code(&world.prasang, &organizer, new, code));
        Real {
            world,
            organizer,
            users,
            events,
            tickets: Vec::new(),
        }
    }

    fn request(&self, request: &Request) -> (Actor, BookingRequest) {
        let event = self.events[request.event];
        // The code in lower case: buyers may type it in any case.
        let code = request.code.then(|| CODE.to_lowercase());
        let booking = match &request.seats {
            Seats::Quantity(quantity) => BookingRequest {
                promo_code: code,
                ..BookingRequest::seats(event, (*quantity).into())
            },
            Seats::Lines(lines) => {
                let lines: Vec<_> = lines.iter().map(|&(t, q)| (t, q.into())).collect();
                order(event, &lines, code.as_deref())
            }
        };
        (self.users[request.user], booking)
    }

    fn update_type(&self, ticket_type: TicketTypeId, update: TicketTypeUpdate) -> Answer {
        let changed = self.world.prasang.events().update_ticket_type(
            &self.organizer,
            self.events[TYPED],
            ticket_type,
            update,
        );
        changed.expect("the organizer changes a type");
        Answer::Ok
    }

    /// Asserts the counters of every event, its types and its code equal the model's.
    fn assert_counts(&self, model: &Model) -> Result<(), TestCaseError> {
        for (index, &event) in self.events.iter().enumerate() {
            let seats = self.world.seats(event);
            let counters = model.type_counters(index);
            let held = counters.values().map(|t| t.held).sum::<u32>();
            let booked = counters.values().map(|t| t.booked).sum::<u32>();
            let capacity = model.events[index].capacity;
            prop_assert_eq!(
                (seats.held, seats.booked, seats.remaining),
                (held, booked, capacity - held - booked),
                "event {}",
                index
            );
            let prasang = &self.world.prasang;
            prop_assert_eq!(type_counters(prasang, &self.organizer, event), counters);
        }
        let used = code_used(
            &self.world.prasang,
            &self.organizer,
            self.events[TYPED],
            CODE,
        );
        prop_assert_eq!(used, model.code_used(TYPED));
        Ok(())
    }

    /// Asserts every ticket carries the lines, prices and code uses the model gave it when it
    /// was booked (a later price change rewrites none).
    fn assert_tickets(&self, model: &Model) -> Result<(), TestCaseError> {
        for (id, expected) in self.tickets.iter().zip(&model.tickets) {
            let ticket = self
                .world
                .prasang
                .tickets()
                .get(&self.organizer, *id)
                .expect("ticket");
            let lines: Vec<Line> = ticket
                .lines
                .iter()
                .map(|l| {
                    (
                        l.ticket_type,
                        l.quantity,
                        l.unit_price_minor,
                        l.discount_minor,
                    )
                })
                .collect();
            prop_assert_eq!(&lines, &expected.lines);
            let discount: u64 = expected.lines.iter().map(|l| l.3).sum();
            let amount: u64 = expected
                .lines
                .iter()
                .map(|l| l.2 * u64::from(l.1) - l.3)
                .sum();
            prop_assert_eq!(
                (ticket.amount_minor, ticket.discount_minor),
                (amount, discount)
            );
            prop_assert_eq!(ticket.promo_seats, expected.code_seats.unwrap_or(0));
            prop_assert_eq!(ticket.promo_code.is_some(), expected.code_seats.is_some());
            prop_assert_eq!(ticket.status, expected.status);
        }
        Ok(())
    }

    /// Asserts the log, replayed, gives the typed event's type counters and code uses.
    fn assert_log(&self, model: &Model) -> Result<(), TestCaseError> {
        let replayed = replay_log(&log_entries(&self.world.prasang), self.events[TYPED]);
        let mut from_log: std::collections::BTreeMap<_, _> = model.events[TYPED]
            .types
            .iter()
            .map(|t| (t.id, Taken::default()))
            .collect();
        from_log.extend(replayed.by_type);
        prop_assert_eq!(from_log, model.type_counters(TYPED));
        let from_log = replayed.code_seats.get(CODE).copied().unwrap_or(0);
        prop_assert_eq!(from_log, model.code_used(TYPED));
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn the_store_behaves_like_the_model(ops in proptest::collection::vec(op(), 1..60)) {
        let mut real = Real::new();
        let mut model = Model::new();
        for op in ops {
            let tickets = real.world.prasang.tickets();
            let (got, expected) = match op {
                Op::Book(request) => {
                    let (actor, booking) = real.request(&request);
                    // A quote answers as the booking will, and costs what it will.
                    let quote = tickets.quote(&actor, &booking);
                    let quoted = quote.as_ref().ok().map(|q| (q.amount_minor, q.discount_minor));
                    let quote = answer(quote);
                    let result = tickets.book(&actor, &booking);
                    let expected = model.book(&request);
                    prop_assert_eq!(&quote, &expected, "the quote");
                    if let Ok(outcome) = &result {
                        real.tickets.push(outcome.ticket.id);
                        let ticket = &outcome.ticket;
                        prop_assert_eq!(quoted, Some((ticket.amount_minor, ticket.discount_minor)));
                    }
                    (answer(result), expected)
                }
                Op::BookMany(requests) => {
                    let batch: Vec<_> = requests.iter().map(|request| real.request(request)).collect();
                    let results = tickets.book_many(&batch);
                    for outcome in results.iter().flatten() {
                        real.tickets.push(outcome.ticket.id);
                    }
                    let expected = requests.iter().map(|request| model.book(request)).collect();
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
                Op::Close { ticket_type, closed } => {
                    model.typed_type(ticket_type).closed = closed;
                    let update = TicketTypeUpdate { closed: Some(closed), ..Default::default() };
                    (real.update_type(ticket_type, update), Answer::Ok)
                }
                Op::Reprice { ticket_type, price_minor } => {
                    model.typed_type(ticket_type).price = price_minor;
                    let update = TicketTypeUpdate { price_minor: Some(price_minor as i64), ..Default::default() };
                    (real.update_type(ticket_type, update), Answer::Ok)
                }
                _ => continue,
            };
            prop_assert_eq!(got, expected);
            real.assert_counts(&model)?;
        }
        real.assert_tickets(&model)?;
        real.assert_log(&model)?;
        let report = real.world.prasang.verify_integrity(&real.world.prasang.auth().system_actor()).expect("check");
        prop_assert!(report.is_ok(), "{:?}", report.problems);
    }
}
