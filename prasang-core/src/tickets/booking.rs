//! Booking seats: the one transaction that takes them.

use serde::{Deserialize, Serialize};
use sled::Transactional;

use super::{NO_SUCH_TICKET, Ticket, TicketError, TicketStatus, Tickets, record};
use crate::auth::Actor;
use crate::events::{EventStatus, SaleState};
use crate::ids::{EventId, TicketId};
use crate::log::{self, DomainEvent};
use crate::store::{abort, codec, decode_in_tx, finish, keys};
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
    if key.is_empty() || key.len() > 255 || !printable {
        return Err(FieldError::new(
            "idempotency_key",
            "must be 1 to 255 printable ASCII characters without spaces",
        ));
    }
    Ok(())
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
        let quantity: u32 = validate::in_range(
            "quantity",
            request.quantity,
            1,
            crate::events::MAX_PER_USER_LIMIT,
        )?;
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
                            && let Some(bytes) = idempotency.get(key)?
                        {
                            let first: IdempotencyRecord = decode_in_tx("idempotency", &bytes)?;
                            if first.event != request.event || first.quantity != quantity {
                                return Err(abort(TicketError::IdempotencyKeyReused));
                            }
                            let bytes = tickets
                                .get(first.ticket.to_bytes())?
                                .ok_or_else(|| abort(NO_SUCH_TICKET))?;
                            return Ok(BookingOutcome {
                                ticket: record::decode(&bytes).map_err(abort)?,
                                replayed: true,
                            });
                        }
                        let mut sale = SaleState::read_in_tx(inventory, &event_key)?;
                        if sale.status == EventStatus::Cancelled {
                            return Err(abort(TicketError::NotOnSale("the event is cancelled")));
                        }
                        if sale.starts_at <= now {
                            return Err(abort(TicketError::NotOnSale(
                                "the event has already started",
                            )));
                        }
                        let held = match holdings.get(holding_key)? {
                            Some(bytes) => keys::counter_from(&bytes).unwrap_or(0),
                            None => 0,
                        };
                        if held + quantity > sale.per_user_limit {
                            return Err(abort(TicketError::LimitReached {
                                limit: sale.per_user_limit,
                                held,
                            }));
                        }
                        if quantity > sale.seats.remaining {
                            return Err(abort(TicketError::SoldOut {
                                remaining: sale.seats.remaining,
                            }));
                        }
                        let paid = sale.price_minor > 0;
                        sale.seats.remaining -= quantity;
                        if paid {
                            sale.seats.held += quantity;
                        } else {
                            sale.seats.booked += quantity;
                        }
                        sale.tickets_issued += 1;
                        let ticket = Ticket {
                            id: ticket_id,
                            event: request.event,
                            user: actor.user_id(),
                            quantity,
                            status: if paid {
                                TicketStatus::Pending
                            } else {
                                TicketStatus::Booked
                            },
                            amount_minor: sale.price_minor.saturating_mul(u64::from(quantity)),
                            created_at: now,
                            updated_at: now,
                            expires_at: paid.then_some(hold_until),
                        };
                        inventory.insert(&event_key, codec::write(&sale))?;
                        tickets.insert(&ticket_id.to_bytes(), record::encode(&ticket))?;
                        by_event.insert(&keys::ticket_by_event(ticket.event, ticket_id), &[])?;
                        by_user.insert(&keys::ticket_by_user(ticket.user, ticket_id), &[])?;
                        holdings.insert(&holding_key, &keys::counter(held + quantity))?;
                        if let Some(key) = &idempotency_key {
                            let record = IdempotencyRecord {
                                ticket: ticket_id,
                                event: request.event,
                                quantity,
                            };
                            idempotency.insert(key.as_slice(), codec::encode(&record))?;
                        }
                        let logged = if paid {
                            by_expiry.insert(&keys::hold_by_expiry(hold_until, ticket_id), &[])?;
                            DomainEvent::TicketPending {
                                ticket: ticket_id,
                                event: ticket.event,
                                user: ticket.user,
                                quantity,
                                amount_minor: ticket.amount_minor,
                                expires_at: hold_until,
                            }
                        } else {
                            DomainEvent::TicketBooked {
                                ticket: ticket_id,
                                event: ticket.event,
                                user: ticket.user,
                                quantity,
                                amount_minor: ticket.amount_minor,
                            }
                        };
                        log::append(log, now, &logged)?;
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
