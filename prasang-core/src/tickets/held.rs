//! What the booking writer remembers of the seats each user holds per event, so that a booking
//! writes no per-user count of its own (the `holdings` tree of earlier versions).
//!
//! The writer is the only one that issues tickets (it is one thread), so for each (user, event)
//! it has seen it can keep the tickets and an upper bound of the seats they hold: a cancel or an
//! expiry only lowers the truth. A booking within the per-user limit by that bound is within it;
//! only one refused by it is decided again on the exact count, read from the ticket records
//! inside the batch's transaction. A user's tickets are read from the store (through
//! `tickets_by_user`) the first time the writer sees the user, for all their events at once; the
//! memory starts empty at every open.

use std::collections::{HashMap, HashSet};

use sled::transaction::{ConflictableTransactionError, TransactionalTree};

use super::{Ticket, record};
use crate::ids::{EventId, TicketId, UserId};
use crate::store::{Store, StoreError, abort, keys};

/// Most (user, event) pairs remembered (about 10 MB); past that the memory starts over and reads
/// each user's tickets again at their next booking.
const MOST_REMEMBERED: usize = 1 << 16;

/// The seats a ticket holds: its quantity while pending or booked, none once released.
fn seats_held(ticket: &Ticket) -> u32 {
    if ticket.status.is_active() {
        ticket.quantity
    } else {
        0
    }
}

/// One user's tickets for one event, as the writer knows them.
#[derive(Default)]
pub(super) struct Holding {
    /// At least the seats `tickets` hold now.
    pub(super) at_most: u32,
    /// Every ticket of the user for the event.
    pub(super) tickets: Vec<TicketId>,
}

/// What a batch changed of one [`Holding`], applied once the batch has committed.
pub(super) struct Booked {
    /// The seats the earlier tickets held: the remembered bound, or the exact count if the batch
    /// needed it.
    pub(super) before: u32,
    /// Whether `before` was counted exactly inside the batch's transaction.
    pub(super) exact: bool,
    /// Seats booked by the batch, and its tickets.
    pub(super) added: u32,
    pub(super) issued: Vec<TicketId>,
}

impl Booked {
    /// The seats the user holds for the event as the batch stands.
    pub(super) fn seats(&self) -> u32 {
        self.before.saturating_add(self.added)
    }
}

/// The writer's memory (see the module docs).
#[derive(Default)]
pub(crate) struct HeldSeats {
    remembered: HashMap<(UserId, EventId), Holding>,
    /// Users whose tickets were all read: an event missing for them is one they hold nothing of.
    recalled: HashSet<UserId>,
}

impl HeldSeats {
    /// Makes sure every (user, event) in `wanted` is remembered: a user seen for the first time
    /// has their tickets read from the store, once for all their events.
    pub(super) fn recall(
        &mut self,
        store: &Store,
        wanted: impl IntoIterator<Item = (UserId, EventId)>,
    ) -> Result<(), StoreError> {
        // Start over between batches, never while recalling one (its pairs must all stay).
        if self.remembered.len() >= MOST_REMEMBERED {
            self.remembered.clear();
            self.recalled.clear();
        }
        for (user, event) in wanted {
            if self.remembered.contains_key(&(user, event)) {
                continue;
            }
            if self.recalled.contains(&user) {
                self.remembered.insert((user, event), Holding::default());
                continue;
            }
            let mut found: HashMap<EventId, Holding> = HashMap::new();
            found.entry(event).or_default();
            for key in store.tickets_by_user.scan_prefix(user.to_bytes()).keys() {
                let Some(id) = keys::ticket_from_index_key(&key?) else {
                    continue;
                };
                let Some(bytes) = store.tickets.get(id.to_bytes())? else {
                    continue;
                };
                let ticket = record::decode(&bytes)?;
                let holding = found.entry(ticket.event).or_default();
                holding.at_most = holding.at_most.saturating_add(seats_held(&ticket));
                holding.tickets.push(id);
            }
            for (event, holding) in found {
                self.remembered.insert((user, event), holding);
            }
            self.recalled.insert(user);
        }
        Ok(())
    }

    /// What the writer knows of `user`'s tickets for `event` (after [`recall`](Self::recall)).
    pub(super) fn get(&self, user: UserId, event: EventId) -> Option<&Holding> {
        self.remembered.get(&(user, event))
    }

    /// Applies what a committed batch booked.
    pub(super) fn booked(&mut self, batch: HashMap<(UserId, EventId), Booked>) {
        for (pair, booked) in batch {
            let holding = self.remembered.entry(pair).or_default();
            holding.at_most = booked.seats();
            holding.tickets.extend(booked.issued);
        }
    }
}

/// Inside a transaction: the seats `tickets` hold now.
pub(super) fn count_in_tx(
    tickets_tree: &TransactionalTree,
    tickets: &[TicketId],
) -> Result<u32, ConflictableTransactionError<StoreError>> {
    let mut held = 0u32;
    for id in tickets {
        if let Some(bytes) = tickets_tree.get(id.to_bytes())? {
            let ticket = record::decode(&bytes).map_err(abort)?;
            held = held.saturating_add(seats_held(&ticket));
        }
    }
    Ok(held)
}

/// Drops the `holdings` tree that stores before this memory kept (its counts are not read); a
/// no-op once it is gone.
pub(crate) fn drop_stored_counts(store: &Store) -> Result<(), StoreError> {
    store.db.drop_tree("holdings")?;
    Ok(())
}
