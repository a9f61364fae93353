//! Moving a ticket out of (or through) the states that occupy seats: cancel, expire, confirm.

use sled::transaction::{ConflictableTransactionError, TransactionalTree};

use super::booking::uses_count;
use super::{NO_SUCH_TICKET, Ticket, TicketError, TicketStatus, Tickets, record};
use crate::auth::Actor;
use crate::error::{CommonError, Subject};
use crate::events::SaleState;
use crate::ids::TicketId;
use crate::log::{self, DomainEvent};
use crate::promo::record::{self as promo_record, PromoRecord};
use crate::store::{StoreError, abort, codec, finish, keys, read_in_tx};
use crate::time::Timestamp;
use crate::waitlist::offers::ListTrees;

/// Most holds released by one expiry transaction.
const EXPIRY_BATCH: usize = 256;

type TxResult<T> = Result<T, ConflictableTransactionError<TicketError>>;

/// The trees a release touches, inside a transaction.
struct ReleaseTrees<'t> {
    inventory: &'t TransactionalTree,
    tickets: &'t TransactionalTree,
    by_expiry: &'t TransactionalTree,
    log: &'t TransactionalTree,
    promo_codes: &'t TransactionalTree,
    promo_uses: &'t TransactionalTree,
    admission_feed: &'t TransactionalTree,
    waitlist: &'t TransactionalTree,
}

impl ReleaseTrees<'_> {
    fn ticket(&self, id: TicketId) -> TxResult<Ticket> {
        let bytes = self
            .tickets
            .get(id.to_bytes())?
            .ok_or_else(|| abort(NO_SUCH_TICKET))?;
        record::decode(&bytes).map_err(abort)
    }

    fn sale(&self, ticket: &Ticket) -> TxResult<SaleState> {
        SaleState::read_in_tx(self.inventory, &ticket.event.to_bytes())
    }

    /// Gives an active ticket's seats back and moves it to `to` (cancelled or expired). The
    /// status check makes a second release of the same ticket impossible.
    fn release(
        &self,
        mut ticket: Ticket,
        to: TicketStatus,
        by: crate::ids::UserId,
        at: Timestamp,
    ) -> TxResult<Ticket> {
        let previous = ticket.status;
        if !previous.is_active() {
            return Err(abort(TicketError::WrongStatus(previous)));
        }
        let mut sale = self.sale(&ticket)?;
        let quantity = ticket.quantity;
        let pending = previous == TicketStatus::Pending;
        let release = |counter: &mut u32, seats: u32| *counter -= seats.min(*counter);
        if pending {
            release(&mut sale.seats.held, quantity);
        } else {
            release(&mut sale.seats.booked, quantity);
        }
        sale.seats.remaining += quantity;
        for line in &ticket.lines {
            if let Some(sale_type) = sale.ticket_type_mut(line.ticket_type) {
                if pending {
                    release(&mut sale_type.held, line.quantity);
                } else {
                    release(&mut sale_type.booked, line.quantity);
                }
            }
        }
        self.give_back_promo(&ticket)?;
        if let Some(expires_at) = ticket
            .expires_at
            .filter(|_| previous == TicketStatus::Pending)
        {
            self.by_expiry
                .remove(&keys::hold_by_expiry(expires_at, ticket.id))?;
        }
        ticket.status = to;
        ticket.updated_at = at;
        self.tickets
            .insert(&ticket.id.to_bytes(), record::encode(&ticket))?;
        let event = match to {
            TicketStatus::Expired => DomainEvent::TicketExpired {
                ticket: ticket.id,
                event: ticket.event,
                user: ticket.user,
                quantity,
            },
            _ => DomainEvent::TicketCancelled {
                ticket: ticket.id,
                event: ticket.event,
                user: ticket.user,
                quantity,
                amount_minor: ticket.amount_minor,
                previous,
                by,
            },
        };
        log::append(self.log, at, &event)?;
        // The freed seats go to the waiting list first, in this same transaction.
        let list = ListTrees {
            waitlist: self.waitlist,
            log: self.log,
        };
        list.offer_freed(&mut sale, ticket.event, at)?;
        self.inventory
            .insert(&ticket.event.to_bytes(), codec::write(&sale))?;
        if previous == TicketStatus::Booked {
            // Its seats had admission codes: offline gates learn they no longer admit.
            crate::checkin::revoke_in_tx(self.admission_feed, &ticket)?;
        }
        Ok(ticket)
    }
}

impl ReleaseTrees<'_> {
    /// Gives a released ticket's promo-code uses back: the seats to the code, the ticket to
    /// its holder's count.
    fn give_back_promo(&self, ticket: &Ticket) -> TxResult<()> {
        let Some(code) = &ticket.promo_code else {
            return Ok(());
        };
        let key = promo_record::key(ticket.event, code);
        if let Some(bytes) = self.promo_codes.get(&key)? {
            let mut promo: PromoRecord = read_in_tx(&bytes)?;
            promo.used = promo.used.saturating_sub(ticket.promo_seats);
            self.promo_codes.insert(key, codec::write(&promo))?;
        }
        let use_key = promo_record::use_key(ticket.event, code, ticket.user);
        let uses = self.promo_uses.get(&use_key)?;
        match uses.as_deref().map_or(0, uses_count) {
            0 | 1 => self.promo_uses.remove(use_key)?,
            more => self.promo_uses.insert(use_key, &(more - 1).to_be_bytes())?,
        };
        Ok(())
    }
}

impl Tickets<'_> {
    /// Runs `body` in a transaction over the trees a release touches.
    fn in_release_tx<T>(
        &self,
        body: impl Fn(&ReleaseTrees<'_>) -> TxResult<T>,
    ) -> Result<T, TicketError> {
        let store = &self.inner.store;
        let result = finish::<_, TicketError>(store.transaction(
            (
                &store.inventory,
                &store.tickets,
                &store.holds_by_expiry,
                &store.log,
                &store.promo_codes,
                &store.promo_uses,
                &store.admission_feed,
                &store.waitlist,
            ),
            |(
                inventory,
                tickets,
                by_expiry,
                log,
                promo_codes,
                promo_uses,
                admission_feed,
                waitlist,
            )| {
                body(&ReleaseTrees {
                    inventory,
                    tickets,
                    by_expiry,
                    log,
                    promo_codes,
                    promo_uses,
                    admission_feed,
                    waitlist,
                })
            },
        ))?;
        self.inner.committed_with_log()?;
        Ok(result)
    }

    /// Cancels a ticket and frees its seats. Its holder may cancel until the event starts; the
    /// event's organizer and admins at any time. Cancelling twice fails and frees nothing.
    pub fn cancel(&self, actor: &Actor, id: TicketId) -> Result<Ticket, TicketError> {
        let now = self.inner.now();
        self.in_release_tx(|trees| {
            let ticket = trees.ticket(id)?;
            let sale = trees.sale(&ticket)?;
            let runs_event = sale.is_run_by(actor);
            if ticket.user != actor.user_id() && !runs_event {
                return Err(abort(NO_SUCH_TICKET));
            }
            if !runs_event && sale.starts_at <= now {
                return Err(abort(CommonError::Forbidden(
                    "tickets cannot be cancelled after the event has started",
                )));
            }
            trees.release(ticket, TicketStatus::Cancelled, actor.user_id(), now)
        })
    }

    /// Confirms payment of a pending ticket, turning its hold into a booking (the event's
    /// organizer or an admin, i.e. whoever receives the payment). A hold that has lapsed cannot be
    /// confirmed.
    pub fn confirm_payment(&self, actor: &Actor, id: TicketId) -> Result<Ticket, TicketError> {
        const REFUSAL: &str = "only the event's organizer can confirm payments";
        if !actor.can_organize() {
            return Err(CommonError::Forbidden(REFUSAL).into());
        }
        let now = self.inner.now();
        self.in_release_tx(|trees| {
            let mut ticket = trees.ticket(id)?;
            let mut sale = trees.sale(&ticket)?;
            if !sale.is_run_by(actor) {
                // Answer as `get` would: a ticket the caller may not see does not exist for them.
                return Err(if ticket.user == actor.user_id() {
                    abort(CommonError::Forbidden(REFUSAL))
                } else {
                    abort(NO_SUCH_TICKET)
                });
            }
            let lapsed = ticket.expires_at.is_some_and(|at| at <= now);
            if ticket.status != TicketStatus::Pending || lapsed {
                let status = if lapsed && ticket.status == TicketStatus::Pending {
                    TicketStatus::Expired
                } else {
                    ticket.status
                };
                return Err(abort(TicketError::WrongStatus(status)));
            }
            sale.seats.held -= ticket.quantity.min(sale.seats.held);
            sale.seats.booked += ticket.quantity;
            for line in &ticket.lines {
                if let Some(sale_type) = sale.ticket_type_mut(line.ticket_type) {
                    sale_type.held -= line.quantity.min(sale_type.held);
                    sale_type.booked += line.quantity;
                }
            }
            if let Some(expires_at) = ticket.expires_at.take() {
                trees
                    .by_expiry
                    .remove(&keys::hold_by_expiry(expires_at, id))?;
            }
            ticket.status = TicketStatus::Booked;
            ticket.updated_at = now;
            trees
                .inventory
                .insert(&ticket.event.to_bytes(), codec::write(&sale))?;
            trees
                .tickets
                .insert(&id.to_bytes(), record::encode(&ticket))?;
            let booked = DomainEvent::TicketBooked {
                ticket: id,
                event: ticket.event,
                user: ticket.user,
                quantity: ticket.quantity,
                amount_minor: ticket.amount_minor,
            };
            log::append(trees.log, now, &booked)?;
            Ok(ticket)
        })
    }

    /// Expires every pending hold whose time is up and frees its seats. Returns how many expired.
    /// The background maintenance thread calls this every second; embedders without it call it
    /// themselves.
    pub fn expire_due(&self) -> Result<usize, TicketError> {
        let mut expired = 0;
        loop {
            let now = self.inner.now();
            let due = self.due_holds(now)?;
            if due.is_empty() {
                return Ok(expired);
            }
            let batch = due.len();
            let released = self.in_release_tx(|trees| {
                let mut released = 0;
                for &id in &due {
                    let ticket = match trees.ticket(id) {
                        Ok(ticket) => ticket,
                        Err(ConflictableTransactionError::Abort(TicketError::Common(
                            CommonError::NotFound(Subject::Ticket),
                        ))) => continue,
                        Err(other) => return Err(other),
                    };
                    // Confirmed or cancelled meanwhile: the index entry is already gone.
                    if ticket.status == TicketStatus::Pending
                        && ticket.expires_at.is_some_and(|at| at <= now)
                    {
                        let holder = ticket.user;
                        trees.release(ticket, TicketStatus::Expired, holder, now)?;
                        released += 1;
                    }
                }
                Ok(released)
            })?;
            expired += released;
            if batch < EXPIRY_BATCH || released == 0 {
                return Ok(expired);
            }
        }
    }

    fn due_holds(&self, now: Timestamp) -> Result<Vec<TicketId>, StoreError> {
        let end = keys::timestamp(now.plus(std::time::Duration::from_millis(1)));
        let mut due = Vec::new();
        for entry in self
            .inner
            .store
            .holds_by_expiry
            .range(..end.to_vec())
            .take(EXPIRY_BATCH)
        {
            let (key, _) = entry?;
            if let Some(id) = keys::ticket_from_expiry_key(&key) {
                due.push(id);
            }
        }
        Ok(due)
    }
}
