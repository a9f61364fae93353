//! Booking seats: the rules ([`decide_booking`]) and the transaction that applies them to a
//! batch of requests in arrival order (see [`super::group`] for the queue in front of it).

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use serde::{Deserialize, Serialize};
use sled::transaction::{ConflictableTransactionError, TransactionalTree};

use super::group::{BookingOutcome, PendingBooking, Queued, Request};
use super::held::{self, Booked, HeldSeats};
use super::{NO_SUCH_TICKET, Ticket, TicketError, TicketStatus, Tickets, record};
use crate::auth::Actor;
use crate::context::Context;
use crate::error::{CommonError, Subject};
use crate::events::{EventStatus, SaleState};
use crate::ids::{EventId, TicketId, UserId};
use crate::limits::{self, IDEMPOTENCY_KEY};
use crate::log::{self, DomainEvent};
use crate::store::{StoreError, abort, codec, decode_in_tx, finish, keys, read_in_tx};
use crate::time::Timestamp;
use crate::validate::{self, FieldError};

/// A request for seats.
#[derive(Debug, Clone, Deserialize)]
pub struct BookingRequest {
    /// The event.
    pub event: EventId,
    /// Seats, 1 up to the event's per-user limit.
    pub quantity: i64,
    /// A key of the caller's choosing (1–255 printable ASCII characters): repeating a request with
    /// the same key returns the first result instead of booking again.
    pub idempotency_key: Option<String>,
}

/// The refusal for a booking of an event that does not exist.
const NO_SUCH_EVENT: CommonError = CommonError::NotFound(Subject::Event);

/// What the `idempotency` tree remembers about a request.
#[derive(Serialize, Deserialize)]
struct IdempotencyRecord {
    ticket: TicketId,
    event: EventId,
    quantity: u32,
}

fn check_idempotency_key(key: &str) -> Result<(), FieldError> {
    let printable = key.bytes().all(|b| (0x21..=0x7e).contains(&b));
    let length = key.len() as i64;
    if !IDEMPOTENCY_KEY.contains(length) || !printable {
        return Err(FieldError::new(
            "idempotency_key",
            "must be 1 to 255 printable ASCII characters without spaces",
        ));
    }
    Ok(())
}

/// What a booking does to the sale state, and the ticket it issues.
#[derive(Debug, PartialEq)]
struct Decision {
    /// The sale state with the seats taken.
    sale: SaleState,
    /// `Booked` for free events; `Pending` (held until paid) for paid ones.
    status: TicketStatus,
    /// The price of all the seats.
    amount_minor: u64,
}

/// Decides a booking of `quantity` seats by a user who already holds `held` seats of the event,
/// at `now`: the event must be on sale, the per-user limit hold and enough seats remain, in
/// that order (so a user over the limit hears that, not "sold out").
fn decide_booking(
    sale: &SaleState,
    held: u32,
    quantity: u32,
    now: Timestamp,
) -> Result<Decision, TicketError> {
    if sale.status == EventStatus::Cancelled {
        return Err(TicketError::NotOnSale("the event is cancelled"));
    }
    if sale.starts_at <= now {
        return Err(TicketError::NotOnSale("the event has already started"));
    }
    if held + quantity > sale.per_user_limit {
        return Err(TicketError::LimitReached {
            limit: sale.per_user_limit,
            held,
        });
    }
    if quantity > sale.seats.remaining {
        return Err(TicketError::SoldOut {
            remaining: sale.seats.remaining,
        });
    }
    let mut sale = sale.clone();
    let price_minor = sale.types.first().map_or(0, |first| first.price_minor);
    let paid = price_minor > 0;
    sale.seats.remaining -= quantity;
    if paid {
        sale.seats.held += quantity;
    } else {
        sale.seats.booked += quantity;
    }
    sale.tickets_issued += 1;
    Ok(Decision {
        amount_minor: price_minor.saturating_mul(u64::from(quantity)),
        status: if paid {
            TicketStatus::Pending
        } else {
            TicketStatus::Booked
        },
        sale,
    })
}

/// What an earlier request with the same idempotency key left behind.
enum Replay {
    /// No earlier request: book.
    Fresh,
    /// The ticket the earlier request made.
    First(Ticket),
    /// The key was used for another event or quantity, or its ticket is gone.
    Refused(TicketError),
}

type TxResult<T> = Result<T, ConflictableTransactionError<StoreError>>;

/// Inside the booking transaction: the ticket an earlier request with the same idempotency `key`
/// made, if there was one (also when that request is earlier in the same batch: the transaction
/// reads its own writes); the key may not be reused for another event or quantity.
fn replay(
    idempotency: &TransactionalTree,
    tickets: &TransactionalTree,
    key: &[u8],
    event: EventId,
    quantity: u32,
) -> TxResult<Replay> {
    let Some(bytes) = idempotency.get(key)? else {
        return Ok(Replay::Fresh);
    };
    let first: IdempotencyRecord = decode_in_tx("idempotency", &bytes)?;
    if first.event != event || first.quantity != quantity {
        return Ok(Replay::Refused(TicketError::IdempotencyKeyReused));
    }
    let Some(bytes) = tickets.get(first.ticket.to_bytes())? else {
        return Ok(Replay::Refused(NO_SUCH_TICKET.into()));
    };
    record::decode(&bytes).map(Replay::First).map_err(abort)
}

/// The log entry for a newly issued ticket: pending (with its hold's end) or booked.
fn issued(ticket: &Ticket) -> DomainEvent {
    match ticket.expires_at {
        Some(expires_at) => DomainEvent::TicketPending {
            ticket: ticket.id,
            event: ticket.event,
            user: ticket.user,
            quantity: ticket.quantity,
            amount_minor: ticket.amount_minor,
            expires_at,
        },
        None => DomainEvent::TicketBooked {
            ticket: ticket.id,
            event: ticket.event,
            user: ticket.user,
            quantity: ticket.quantity,
            amount_minor: ticket.amount_minor,
        },
    }
}

/// The trees a booking batch touches, inside its transaction.
struct BookingTrees<'t> {
    inventory: &'t TransactionalTree,
    tickets: &'t TransactionalTree,
    by_event: &'t TransactionalTree,
    by_user: &'t TransactionalTree,
    idempotency: &'t TransactionalTree,
    by_expiry: &'t TransactionalTree,
    log: &'t TransactionalTree,
}

/// A value read once per batch, changed in memory by each booking and written back once.
struct Cached<T> {
    value: T,
    changed: bool,
}

/// The sale states a batch has read and the seats its users hold, as its bookings changed them
/// so far.
struct BatchState<'h> {
    /// `None`: no such event.
    sales: HashMap<EventId, Option<Cached<SaleState>>>,
    /// What the writer knew before the batch (every user and event of it recalled).
    remembered: &'h HeldSeats,
    held: HashMap<(UserId, EventId), Booked>,
}

impl BookingTrees<'_> {
    /// Decides every request of a batch in order, writes the tickets and log entries of those
    /// that book, then each changed sale state once. A refusal writes nothing. Returns the
    /// answers and what the batch booked per user and event, for the writer's memory.
    fn decide_batch(
        &self,
        batch: &[Queued],
        remembered: &HeldSeats,
        now: Timestamp,
        hold_until: Timestamp,
    ) -> TxResult<Decided> {
        let mut state = BatchState {
            sales: HashMap::new(),
            remembered,
            held: HashMap::new(),
        };
        let mut answers = Vec::with_capacity(batch.len());
        for request in batch {
            answers.push(self.decide_one(&mut state, request, now, hold_until)?);
        }
        for (event, sale) in &state.sales {
            if let Some(sale) = sale.as_ref().filter(|sale| sale.changed) {
                self.inventory
                    .insert(&event.to_bytes(), codec::write(&sale.value))?;
            }
        }
        Ok((answers, state.held))
    }

    fn decide_one(
        &self,
        state: &mut BatchState<'_>,
        request: &Queued,
        now: Timestamp,
        hold_until: Timestamp,
    ) -> TxResult<Result<BookingOutcome, TicketError>> {
        let quantity = request.quantity;
        if let Some(key) = &request.idempotency_key {
            match replay(self.idempotency, self.tickets, key, request.event, quantity)? {
                Replay::Fresh => {}
                Replay::First(ticket) => {
                    return Ok(Ok(BookingOutcome {
                        ticket,
                        replayed: true,
                    }));
                }
                Replay::Refused(error) => return Ok(Err(error)),
            }
        }
        let sale = match state.sales.entry(request.event) {
            Entry::Occupied(entry) => entry.into_mut(),
            Entry::Vacant(entry) => {
                let stored = self.inventory.get(request.event.to_bytes())?;
                let sale = match stored {
                    Some(bytes) => Some(read_in_tx::<SaleState, StoreError>(&bytes)?),
                    None => None,
                };
                entry.insert(sale.map(|value| Cached {
                    value,
                    changed: false,
                }))
            }
        };
        let Some(sale) = sale else {
            return Ok(Err(NO_SUCH_EVENT.into()));
        };
        let Some(remembered) = state.remembered.get(request.user, request.event) else {
            // Recalled before the transaction; missing only if that went wrong: retryable.
            return Err(abort(StoreError::Conflict));
        };
        let held = state
            .held
            .entry((request.user, request.event))
            .or_insert_with(|| Booked {
                before: remembered.at_most,
                exact: remembered.at_most == 0,
                added: 0,
                issued: Vec::new(),
            });
        let decide = |held: &Booked| decide_booking(&sale.value, held.seats(), quantity, now);
        let mut decided = decide(held);
        if matches!(decided, Err(TicketError::LimitReached { .. })) && !held.exact {
            // Refused by the remembered bound: a cancel may have freed seats; count exactly.
            held.before = held::count_in_tx(self.tickets, &remembered.tickets)?;
            held.exact = true;
            decided = decide(held);
        }
        let decision = match decided {
            Ok(decision) => decision,
            Err(refusal) => return Ok(Err(refusal)),
        };
        sale.value = decision.sale;
        sale.changed = true;
        held.added += quantity;
        let pending = decision.status == TicketStatus::Pending;
        let ticket_id = TicketId::generate();
        held.issued.push(ticket_id);
        let ticket = Ticket {
            id: ticket_id,
            event: request.event,
            user: request.user,
            quantity,
            status: decision.status,
            amount_minor: decision.amount_minor,
            created_at: now,
            updated_at: now,
            expires_at: pending.then_some(hold_until),
        };
        self.tickets
            .insert(&ticket_id.to_bytes(), record::encode(&ticket))?;
        self.by_event
            .insert(&keys::ticket_by_event(ticket.event, ticket_id), &[])?;
        self.by_user
            .insert(&keys::ticket_by_user(ticket.user, ticket_id), &[])?;
        if let Some(key) = &request.idempotency_key {
            let remembered = IdempotencyRecord {
                ticket: ticket_id,
                event: request.event,
                quantity,
            };
            self.idempotency
                .insert(key.as_slice(), codec::encode(&remembered))?;
        }
        if let Some(expires_at) = ticket.expires_at {
            self.by_expiry
                .insert(&keys::hold_by_expiry(expires_at, ticket_id), &[])?;
        }
        log::append(self.log, now, &issued(&ticket))?;
        Ok(Ok(BookingOutcome {
            ticket,
            replayed: false,
        }))
    }
}

/// A batch's answers, and what it booked per user and event.
type Decided = (
    Vec<Result<BookingOutcome, TicketError>>,
    HashMap<(UserId, EventId), Booked>,
);

/// Decides `batch` in arrival order in one transaction, given what the writer remembers of its
/// users' seats (every user and event of the batch recalled).
fn decide_in_tx(
    inner: &Context,
    batch: &[Queued],
    remembered: &HeldSeats,
    now: Timestamp,
) -> Result<Decided, StoreError> {
    let hold_until = now.plus(inner.config.hold_duration);
    let store = &inner.store;
    finish::<_, StoreError>(store.transaction(
        (
            &store.inventory,
            &store.tickets,
            &store.tickets_by_event,
            &store.tickets_by_user,
            &store.idempotency,
            &store.holds_by_expiry,
            &store.log,
        ),
        |(inventory, tickets, by_event, by_user, idempotency, by_expiry, log)| {
            BookingTrees {
                inventory,
                tickets,
                by_event,
                by_user,
                idempotency,
                by_expiry,
                log,
            }
            .decide_batch(batch, remembered, now, hold_until)
        },
    ))
}

/// The booking writer's step: decides `batch` in arrival order in one transaction, answers the
/// refusals at once (they wrote nothing), waits until the bookings are durable (one shared
/// flush for the whole batch), then answers them. `held_seats` is the writer's memory of the
/// seats its users hold (see [`held`]).
pub(crate) fn write_batch(inner: &Context, batch: Vec<Queued>, held_seats: &mut HeldSeats) {
    let now = inner.now();
    let users = batch.iter().map(|queued| (queued.user, queued.event));
    let decided = held_seats
        .recall(&inner.store, users)
        .and_then(|()| decide_in_tx(inner, &batch, held_seats, now));
    let answers = match decided {
        Ok((answers, booked)) => {
            held_seats.booked(booked);
            answers
        }
        Err(failure) => {
            tracing::error!(?failure, requests = batch.len(), "a booking batch failed");
            for request in batch {
                request.answer(Err(failure.clone().into()));
            }
            return;
        }
    };
    let mut booked = Vec::with_capacity(answers.len());
    let mut wrote = false;
    for (request, answer) in batch.into_iter().zip(answers) {
        match answer {
            Ok(outcome) => {
                wrote |= !outcome.replayed;
                booked.push((request, outcome));
            }
            Err(refusal) => request.answer(Err(refusal)),
        }
    }
    if booked.is_empty() {
        return;
    }
    // A replay must be durable too: its first request may not have been acknowledged yet.
    let durable = if wrote {
        inner.committed_with_log()
    } else {
        inner.store.durable()
    };
    for (request, outcome) in booked {
        request.answer(match &durable {
            Ok(()) => Ok(outcome),
            Err(failure) => Err(failure.clone().into()),
        });
    }
}

impl Tickets<'_> {
    /// Books seats: checks the event is on sale, that seats remain and the per-user limit
    /// holds, takes the seats, writes the ticket, its indexes and the log entry, all in one
    /// transaction. Free events are booked at once; paid ones are held as `pending` until
    /// payment is confirmed or the hold expires. Returns once the booking is durable.
    ///
    /// Concurrent bookings are decided in arrival order by one writer and written together
    /// (see [`Tickets::book_async`]).
    pub fn book(
        &self,
        actor: &Actor,
        request: &BookingRequest,
    ) -> Result<BookingOutcome, TicketError> {
        self.book_async(actor, request).wait()
    }

    /// [`Tickets::book`] without blocking: hands the request to the store's booking writer and
    /// returns its pending answer, to `.await` (it needs no particular async runtime) or to
    /// [`wait`](PendingBooking::wait) for. The writer takes every request waiting, decides them
    /// in arrival order, writes them as one transaction and answers after one shared flush;
    /// refusals (sold out, limit reached, not on sale) are answered without waiting for it.
    pub fn book_async(&self, actor: &Actor, request: &BookingRequest) -> PendingBooking {
        let checked = checked(actor, request);
        let mut pending = self.booking.submit([checked]);
        pending
            .pop()
            .unwrap_or_else(|| PendingBooking::ready(Err(StoreError::Conflict.into())))
    }

    /// Books several requests, decided one after the other in the order given, with no other
    /// caller's request between them (in one transaction unless the writer's batch is full).
    /// Each request gets its own answer, as from [`Tickets::book`]; a request repeating an
    /// earlier one's idempotency key gets that one's ticket.
    pub fn book_many(
        &self,
        requests: &[(Actor, BookingRequest)],
    ) -> Vec<Result<BookingOutcome, TicketError>> {
        let checked = requests
            .iter()
            .map(|(actor, request)| checked(actor, request));
        self.booking
            .submit(checked)
            .into_iter()
            .map(PendingBooking::wait)
            .collect()
    }
}

/// The request with its fields checked, ready for the queue.
fn checked(actor: &Actor, request: &BookingRequest) -> Result<Request, TicketError> {
    let quantity: u32 = validate::in_range(&limits::QUANTITY, request.quantity)?;
    let idempotency_key = match &request.idempotency_key {
        Some(key) => {
            check_idempotency_key(key)?;
            Some(keys::idempotency(actor.user_id(), key))
        }
        None => None,
    };
    Ok(Request {
        user: actor.user_id(),
        event: request.event,
        quantity,
        idempotency_key,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::record::SeatCounters;
    use crate::events::types::TypeSale;
    use crate::testing::{free_event, register};
    use crate::users::{PasswordCost, Role};
    use crate::{Config, Prasang};

    /// A batch decided after a cancel that the writer's memory has not seen: the remembered
    /// bound refuses, the exact count inside the transaction books.
    #[test]
    fn a_cancel_the_writer_has_not_seen_still_frees_the_limit() {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = Config::new(dir.path())
            .background_tasks(false)
            .password_cost(PasswordCost::INSECURE_FAST);
        let prasang = Prasang::open(config).expect("open");
        let organizer = register(&prasang, "Olga", Role::Organizer);
        let ada = register(&prasang, "Ada", Role::Attendee);
        let starts_at = prasang.now().plus(std::time::Duration::from_secs(3_600));
        let event = prasang
            .events()
            .create(&organizer, free_event(starts_at, 10))
            .expect("event")
            .id;
        let request = BookingRequest {
            event,
            quantity: 1,
            idempotency_key: None,
        };
        let first = prasang.tickets().book(&ada, &request).expect("book");
        let inner = &prasang.inner.ctx;
        let user = ada.user_id();
        let recalled = || {
            let mut memory = HeldSeats::default();
            memory
                .recall(&inner.store, [(user, event)])
                .expect("recall");
            memory
        };
        let decide = |memory: &HeldSeats| {
            let batch = [Queued::unanswered(user, event, 1)];
            decide_in_tx(inner, &batch, memory, inner.now())
                .expect("decided")
                .0
        };

        // Nothing changed: the limit (one seat) holds, counted exactly.
        let refused = decide(&recalled());
        assert!(matches!(
            refused[0],
            Err(TicketError::LimitReached { limit: 1, held: 1 })
        ));

        let stale = recalled();
        prasang
            .tickets()
            .cancel(&ada, first.ticket.id)
            .expect("cancel");
        let booked = decide(&stale);
        assert!(booked[0].is_ok(), "{:?}", booked[0]);
    }

    const NOW: Timestamp = Timestamp::from_millis(1_893_456_000_000);

    fn on_sale(remaining: u32, price_minor: u64) -> SaleState {
        SaleState {
            organizer: UserId::generate(),
            seats: SeatCounters {
                capacity: 10,
                remaining,
                held: 0,
                booked: 10 - remaining,
            },
            per_user_limit: 4,
            starts_at: NOW.plus(std::time::Duration::from_secs(3600)),
            status: EventStatus::Published,
            tickets_issued: 0,
            types: vec![TypeSale::admission(price_minor)],
            last_type_id: 1,
        }
    }

    #[test]
    fn a_free_booking_takes_the_seats_at_once() {
        let decision = decide_booking(&on_sale(10, 0), 0, 3, NOW).expect("booked");
        assert_eq!(decision.status, TicketStatus::Booked);
        assert_eq!(decision.amount_minor, 0);
        let seats = decision.sale.seats;
        assert_eq!((seats.remaining, seats.held, seats.booked), (7, 0, 3));
        assert_eq!(decision.sale.tickets_issued, 1);
    }

    #[test]
    fn a_paid_booking_holds_the_seats_at_the_full_price() {
        let decision = decide_booking(&on_sale(10, 2_500), 0, 2, NOW).expect("held");
        assert_eq!(decision.status, TicketStatus::Pending);
        assert_eq!(decision.amount_minor, 5_000);
        assert_eq!(
            (decision.sale.seats.remaining, decision.sale.seats.held),
            (8, 2)
        );
    }

    #[test]
    fn the_per_user_limit_counts_seats_already_held_and_is_checked_before_stock() {
        assert!(matches!(
            decide_booking(&on_sale(1, 0), 3, 2, NOW),
            Err(TicketError::LimitReached { limit: 4, held: 3 })
        ));
        assert!(decide_booking(&on_sale(10, 0), 3, 1, NOW).is_ok());
    }

    #[test]
    fn no_more_seats_than_remain() {
        assert!(matches!(
            decide_booking(&on_sale(1, 0), 0, 2, NOW),
            Err(TicketError::SoldOut { remaining: 1 })
        ));
    }

    #[test]
    fn cancelled_or_started_events_are_not_on_sale() {
        let mut cancelled = on_sale(10, 0);
        cancelled.status = EventStatus::Cancelled;
        assert!(matches!(
            decide_booking(&cancelled, 0, 1, NOW),
            Err(TicketError::NotOnSale(_))
        ));
        let started = on_sale(10, 0);
        assert!(matches!(
            decide_booking(&started, 0, 1, started.starts_at),
            Err(TicketError::NotOnSale(_))
        ));
    }
}
