//! Booking seats: the one transaction that takes them.

use serde::{Deserialize, Serialize};
use sled::Transactional;
use sled::transaction::{ConflictableTransactionError, TransactionalTree};

use super::{NO_SUCH_TICKET, Ticket, TicketError, TicketStatus, Tickets, record};
use crate::auth::Actor;
use crate::events::{EventStatus, SaleState};
use crate::ids::{EventId, TicketId};
use crate::limits::{self, IDEMPOTENCY_KEY};
use crate::log::{self, DomainEvent};
use crate::store::{abort, codec, decode_in_tx, finish, keys};
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

/// The result of [`Tickets::book`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BookingOutcome {
    /// The ticket (`booked` for free events, `pending` for paid ones).
    pub ticket: Ticket,
    /// True when an earlier request with the same idempotency key made this ticket.
    pub replayed: bool,
}

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
    let paid = sale.price_minor > 0;
    sale.seats.remaining -= quantity;
    if paid {
        sale.seats.held += quantity;
    } else {
        sale.seats.booked += quantity;
    }
    sale.tickets_issued += 1;
    Ok(Decision {
        amount_minor: sale.price_minor.saturating_mul(u64::from(quantity)),
        status: if paid {
            TicketStatus::Pending
        } else {
            TicketStatus::Booked
        },
        sale,
    })
}

/// Inside the booking transaction: the ticket an earlier request with the same idempotency `key`
/// made, if there was one; the key may not be reused for another event or quantity.
fn replay(
    idempotency: &TransactionalTree,
    tickets: &TransactionalTree,
    key: &[u8],
    event: EventId,
    quantity: u32,
) -> Result<Option<Ticket>, ConflictableTransactionError<TicketError>> {
    let Some(bytes) = idempotency.get(key)? else {
        return Ok(None);
    };
    let first: IdempotencyRecord = decode_in_tx("idempotency", &bytes)?;
    if first.event != event || first.quantity != quantity {
        return Err(abort(TicketError::IdempotencyKeyReused));
    }
    let bytes = tickets
        .get(first.ticket.to_bytes())?
        .ok_or_else(|| abort(NO_SUCH_TICKET))?;
    record::decode(&bytes).map(Some).map_err(abort)
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

impl Tickets<'_> {
    /// Books seats in one transaction: checks the event is on sale, that seats remain and the
    /// per-user limit holds, takes the seats, writes the ticket, its indexes and the log entry.
    /// Free events are booked at once; paid ones are held as `pending` until payment is
    /// confirmed or the hold expires. Returns once the booking is durable.
    pub fn book(
        &self,
        actor: &Actor,
        request: &BookingRequest,
    ) -> Result<BookingOutcome, TicketError> {
        let quantity: u32 = validate::in_range(&limits::QUANTITY, request.quantity)?;
        let idempotency_key = match &request.idempotency_key {
            Some(key) => {
                check_idempotency_key(key)?;
                Some(keys::idempotency(actor.user_id(), key))
            }
            None => None,
        };
        let now = self.inner.now();
        let hold_until = now.plus(self.inner.config.hold_duration);
        let ticket_id = TicketId::generate();
        let event_key = request.event.to_bytes();
        let holding_key = keys::holding(request.event, actor.user_id());
        let store = &self.inner.store;
        let outcome = finish::<_, TicketError>(
            (
                &store.inventory,
                &store.tickets,
                &store.tickets_by_event,
                &store.tickets_by_user,
                &store.holdings,
                &store.idempotency,
                &store.holds_by_expiry,
                &store.log,
            )
                .transaction(
                    |(
                        inventory,
                        tickets,
                        by_event,
                        by_user,
                        holdings,
                        idempotency,
                        by_expiry,
                        log,
                    )| {
                        if let Some(key) = &idempotency_key
                            && let Some(first) =
                                replay(idempotency, tickets, key, request.event, quantity)?
                        {
                            return Ok(BookingOutcome {
                                ticket: first,
                                replayed: true,
                            });
                        }
                        let sale = SaleState::read_in_tx(inventory, &event_key)?;
                        let held = match holdings.get(holding_key)? {
                            Some(bytes) => keys::counter_from(&bytes).unwrap_or(0),
                            None => 0,
                        };
                        let decision = decide_booking(&sale, held, quantity, now).map_err(abort)?;
                        let sale = decision.sale;
                        let pending = decision.status == TicketStatus::Pending;
                        let ticket = Ticket {
                            id: ticket_id,
                            event: request.event,
                            user: actor.user_id(),
                            quantity,
                            status: decision.status,
                            amount_minor: decision.amount_minor,
                            created_at: now,
                            updated_at: now,
                            expires_at: pending.then_some(hold_until),
                        };
                        inventory.insert(&event_key, codec::write(&sale))?;
                        tickets.insert(&ticket_id.to_bytes(), record::encode(&ticket))?;
                        by_event.insert(&keys::ticket_by_event(ticket.event, ticket_id), &[])?;
                        by_user.insert(&keys::ticket_by_user(ticket.user, ticket_id), &[])?;
                        holdings.insert(&holding_key, &keys::counter(held + quantity))?;
                        if let Some(key) = &idempotency_key {
                            let remembered = IdempotencyRecord {
                                ticket: ticket_id,
                                event: request.event,
                                quantity,
                            };
                            idempotency.insert(key.as_slice(), codec::encode(&remembered))?;
                        }
                        if let Some(expires_at) = ticket.expires_at {
                            by_expiry.insert(&keys::hold_by_expiry(expires_at, ticket_id), &[])?;
                        }
                        log::append(log, now, &issued(&ticket))?;
                        Ok(BookingOutcome {
                            ticket,
                            replayed: false,
                        })
                    },
                ),
        )?;
        // A replay must be durable too: its first request may not have been acknowledged yet.
        self.inner.committed_with_log()?;
        Ok(outcome)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::record::SeatCounters;
    use crate::ids::UserId;

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
            price_minor,
            starts_at: NOW.plus(std::time::Duration::from_secs(3600)),
            status: EventStatus::Published,
            tickets_issued: 0,
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
