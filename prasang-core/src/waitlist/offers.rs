//! The waiting list inside transactions: joining and leaving a line, making offers from freed
//! seats and giving offered seats back. Every transaction that frees seats of an event ends with
//! [`ListTrees::offer_freed`] on the sale state it is about to write, so an offer is durable
//! exactly when the freeing is, and a freed seat is never left unoffered while someone waits.

use std::time::Duration;

use sled::transaction::{ConflictableTransactionError, TransactionalTree};

use super::state::{self, EntryRecord, Offer, WaitlistState};
use crate::events::types::TypeAvailability;
use crate::events::{EventStatus, SaleState, TicketTypeId};
use crate::ids::EventId;
use crate::log::{self, DomainEvent};
use crate::store::{StoreError, abort, codec, read_in_tx};
use crate::time::Timestamp;

type TxResult<T, E> = Result<T, ConflictableTransactionError<E>>;

/// Seats of `ticket_type` a booking could take now: none unless the type sells at `now` (its
/// window, not closed); else its quota's and the event's free seats.
pub(crate) fn room(sale: &SaleState, ticket_type: TicketTypeId, now: Timestamp) -> u32 {
    let Some(sale_type) = sale.ticket_type(ticket_type) else {
        return 0;
    };
    match sale_type.availability(now, sale.seats.remaining) {
        TypeAvailability::OnSale => sale_type.available(sale.seats.remaining),
        _ => 0,
    }
}

/// Whether free seats belong to the waiting list: someone waits for a type that has room (a
/// head waiting for more seats than are free, or offers paused). A booking that comes with no
/// offer is then sold out.
pub(crate) fn blocks_newcomers(sale: &SaleState, now: Timestamp) -> bool {
    sale.waitlist.as_deref().is_some_and(|list| {
        list.lines
            .iter()
            .any(|line| line.waiting > 0 && room(sale, line.ticket_type, now) > 0)
    })
}

/// Gives an offer's seats back to the event's free seats (they were counted as held).
pub(crate) fn give_back(sale: &mut SaleState, ticket_type: TicketTypeId, offer: Offer) {
    let seats = offer.seats;
    sale.seats.held -= seats.min(sale.seats.held);
    sale.seats.remaining += seats;
    if let Some(sale_type) = sale.ticket_type_mut(ticket_type) {
        sale_type.held -= seats.min(sale_type.held);
    }
    if let Some(list) = sale.waitlist.as_deref_mut() {
        let line = list.line_mut(ticket_type);
        line.offers = line.offers.saturating_sub(1);
        line.offered_seats = line.offered_seats.saturating_sub(seats);
    }
}

/// Holds `seats` free seats of `ticket_type` for an offer.
fn reserve(sale: &mut SaleState, ticket_type: TicketTypeId, seats: u32) {
    sale.seats.remaining -= seats;
    sale.seats.held += seats;
    if let Some(sale_type) = sale.ticket_type_mut(ticket_type) {
        sale_type.held += seats;
    }
    if let Some(list) = sale.waitlist.as_deref_mut() {
        let line = list.line_mut(ticket_type);
        line.offers += 1;
        line.offered_seats += seats;
    }
}

/// The waiting list's tree and the log, inside a transaction.
pub(crate) struct ListTrees<'t> {
    pub(crate) waitlist: &'t TransactionalTree,
    pub(crate) log: &'t TransactionalTree,
}

impl ListTrees<'_> {
    /// Entry `entry` of `event`, if it exists.
    pub(crate) fn entry<E: From<StoreError>>(
        &self,
        event: EventId,
        entry: u64,
    ) -> TxResult<Option<EntryRecord>, E> {
        match self.waitlist.get(state::entry_key(event, entry))? {
            Some(bytes) => Ok(Some(read_in_tx(&bytes)?)),
            None => Ok(None),
        }
    }

    fn put<E>(&self, event: EventId, number: u64, entry: &EntryRecord) -> TxResult<(), E> {
        self.waitlist
            .insert(state::entry_key(event, number), codec::write(entry))?;
        Ok(())
    }

    /// An entry that must exist (a line's links point at it).
    fn linked<E: From<StoreError>>(&self, event: EventId, entry: u64) -> TxResult<EntryRecord, E> {
        self.entry(event, entry)?.ok_or_else(|| {
            abort(StoreError::Corrupt {
                tree: "waitlist",
                reason: format!("entry {entry} of event {event} is linked but missing"),
            })
        })
    }

    /// Puts a new entry at the end of its type's line; returns its number.
    pub(crate) fn append<E: From<StoreError>>(
        &self,
        sale: &mut SaleState,
        event: EventId,
        mut entry: EntryRecord,
    ) -> TxResult<u64, E> {
        let list = sale.waitlist.get_or_insert_with(Box::default);
        list.last_entry += 1;
        let number = list.last_entry;
        let line = list.line_mut(entry.ticket_type);
        entry.prev = line.tail;
        entry.next = 0;
        entry.offer = None;
        if line.tail != 0 {
            let mut last = self.linked(event, line.tail)?;
            last.next = number;
            self.put(event, line.tail, &last)?;
        } else {
            line.head = number;
        }
        line.tail = number;
        line.waiting += 1;
        line.waiting_seats += entry.seats;
        self.put(event, number, &entry)?;
        self.waitlist.insert(
            state::user_key(entry.user, event, entry.ticket_type),
            &number.to_be_bytes(),
        )?;
        Ok(number)
    }

    /// Takes a waiting entry out of its line (its record is left to the caller).
    fn unlink<E: From<StoreError>>(
        &self,
        list: &mut WaitlistState,
        event: EventId,
        entry: &mut EntryRecord,
    ) -> TxResult<(), E> {
        let line = list.line_mut(entry.ticket_type);
        if entry.prev != 0 {
            let mut before = self.linked(event, entry.prev)?;
            before.next = entry.next;
            self.put(event, entry.prev, &before)?;
        } else {
            line.head = entry.next;
        }
        if entry.next != 0 {
            let mut after = self.linked(event, entry.next)?;
            after.prev = entry.prev;
            self.put(event, entry.next, &after)?;
        } else {
            line.tail = entry.prev;
        }
        line.waiting = line.waiting.saturating_sub(1);
        line.waiting_seats = line.waiting_seats.saturating_sub(entry.seats);
        entry.prev = 0;
        entry.next = 0;
        Ok(())
    }

    /// Removes an entry from the list altogether: out of its line if waiting, its offer's
    /// seats given back if it had one. Returns the seats given back. The caller logs why and
    /// then offers what came free.
    pub(crate) fn remove<E: From<StoreError>>(
        &self,
        sale: &mut SaleState,
        event: EventId,
        number: u64,
        mut entry: EntryRecord,
    ) -> TxResult<u32, E> {
        let given_back = match entry.offer {
            Some(offer) => {
                give_back(sale, entry.ticket_type, offer);
                self.waitlist
                    .remove(state::deadline_key(offer.deadline, event, number))?;
                offer.seats
            }
            None => {
                if let Some(list) = sale.waitlist.as_deref_mut() {
                    self.unlink(list, event, &mut entry)?;
                }
                0
            }
        };
        self.waitlist.remove(state::entry_key(event, number))?;
        self.waitlist
            .remove(state::user_key(entry.user, event, entry.ticket_type))?;
        Ok(given_back)
    }

    /// Removes an accepted entry: its offer's seats became the booking's, so nothing is given
    /// back here.
    pub(crate) fn remove_accepted<E>(
        &self,
        event: EventId,
        number: u64,
        entry: &EntryRecord,
        offer: Offer,
    ) -> TxResult<(), E> {
        self.waitlist.remove(state::entry_key(event, number))?;
        self.waitlist
            .remove(state::user_key(entry.user, event, entry.ticket_type))?;
        self.waitlist
            .remove(state::deadline_key(offer.deadline, event, number))?;
        Ok(())
    }

    /// Offers the event's free seats to the list, strictly in joining order: the earliest
    /// waiting head among the types with room gets the seats it wants (or what fits, if the
    /// organizer allows that); a head that does not fit stops everyone behind it. Nothing is
    /// offered while the list is paused or the event does not sell. Returns the offers made.
    pub(crate) fn offer_freed<E: From<StoreError>>(
        &self,
        sale: &mut SaleState,
        event: EventId,
        now: Timestamp,
    ) -> TxResult<u32, E> {
        let Some(list) = sale.waitlist.as_deref() else {
            return Ok(0);
        };
        if list.settings.paused
            || list.waiting() == 0
            || sale.status == EventStatus::Cancelled
            || sale.starts_at <= now
        {
            return Ok(0);
        }
        let what_fits = list.settings.offer_what_fits;
        let window = Duration::from_secs(u64::from(list.settings.offer_window_minutes) * 60);
        let mut made = 0;
        loop {
            let Some(list) = sale.waitlist.as_deref() else {
                return Ok(made);
            };
            let head = list
                .lines
                .iter()
                .filter(|line| line.waiting > 0)
                .map(|line| {
                    (
                        line.head,
                        line.ticket_type,
                        room(sale, line.ticket_type, now),
                    )
                })
                .filter(|&(_, _, room)| room > 0)
                .min_by_key(|&(head, _, _)| head);
            let Some((number, ticket_type, room)) = head else {
                return Ok(made);
            };
            let mut entry = self.linked(event, number)?;
            let seats = if room >= entry.seats {
                entry.seats
            } else if what_fits {
                room
            } else {
                return Ok(made);
            };
            if let Some(list) = sale.waitlist.as_deref_mut() {
                self.unlink(list, event, &mut entry)?;
            }
            reserve(sale, ticket_type, seats);
            let deadline = now.plus(window);
            entry.offer = Some(Offer { seats, deadline });
            self.put(event, number, &entry)?;
            self.waitlist
                .insert(state::deadline_key(deadline, event, number), &[])?;
            let offered = DomainEvent::WaitlistOffered {
                event,
                user: entry.user,
                ticket_type,
                seats,
                entry: number,
                deadline,
            };
            log::append(self.log, now, &offered)?;
            made += 1;
        }
    }
}
