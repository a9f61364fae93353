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
use crate::events::TicketTypeId;
use crate::ids::{EventId, TicketId, UserId};
use crate::store::{Store, StoreError, abort, keys};

/// Most (user, event) pairs remembered (about 10 MB); past that the memory starts over and reads
/// each user's tickets again at their next booking.
const MOST_REMEMBERED: usize = 1 << 16;

/// Seats per ticket type (an event has few types, so a short list beats a map).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct TypeSeats(Vec<(TicketTypeId, u32)>);

impl TypeSeats {
    /// Seats of `ticket_type`.
    pub(super) fn of(&self, ticket_type: TicketTypeId) -> u32 {
        self.0
            .iter()
            .find(|(id, _)| *id == ticket_type)
            .map_or(0, |(_, seats)| *seats)
    }

    /// Adds `seats` of `ticket_type`.
    pub(super) fn add(&mut self, ticket_type: TicketTypeId, seats: u32) {
        match self.0.iter_mut().find(|(id, _)| *id == ticket_type) {
            Some((_, held)) => *held = held.saturating_add(seats),
            None => self.0.push((ticket_type, seats)),
        }
    }

    /// Adds the seats a ticket holds (none once it is released).
    fn add_ticket(&mut self, ticket: &Ticket) {
        if ticket.status.is_active() {
            for line in &ticket.lines {
                self.add(line.ticket_type, line.quantity);
            }
        }
    }

    /// These seats plus `more`.
    fn plus(&self, more: &TypeSeats) -> TypeSeats {
        let mut sum = self.clone();
        for &(id, seats) in &more.0 {
            sum.add(id, seats);
        }
        sum
    }
}

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
    /// At least the seats of each type `tickets` hold now.
    pub(super) by_type: TypeSeats,
    /// Every ticket of the user for the event.
    pub(super) tickets: Vec<TicketId>,
}

impl Holding {
    /// Counts `ticket` in: its seats while it holds them, and its id.
    pub(super) fn add(&mut self, ticket: &Ticket) {
        self.at_most = self.at_most.saturating_add(seats_held(ticket));
        self.by_type.add_ticket(ticket);
        self.tickets.push(ticket.id);
    }
}

/// What a batch changed of one [`Holding`], applied once the batch has committed.
pub(super) struct Booked {
    /// The seats the earlier tickets held: the remembered bound, or the exact count if the batch
    /// needed it.
    pub(super) before: u32,
    /// The same per ticket type.
    pub(super) before_by_type: TypeSeats,
    /// Whether `before` was counted exactly inside the batch's transaction.
    pub(super) exact: bool,
    /// After an exact count: the earlier tickets that still hold seats (the others are
    /// forgotten when the batch commits).
    pub(super) still_held: Option<Vec<TicketId>>,
    /// Seats booked by the batch (in all and per type), and its tickets.
    pub(super) added: u32,
    pub(super) added_by_type: TypeSeats,
    pub(super) issued: Vec<TicketId>,
}

impl Booked {
    /// What a batch starts from: the remembered bounds.
    pub(super) fn from_memory(holding: &Holding) -> Self {
        Booked {
            before: holding.at_most,
            before_by_type: holding.by_type.clone(),
            exact: holding.at_most == 0,
            still_held: None,
            added: 0,
            added_by_type: TypeSeats::default(),
            issued: Vec::new(),
        }
    }

    /// The seats the user holds for the event as the batch stands.
    pub(super) fn seats(&self) -> u32 {
        self.before.saturating_add(self.added)
    }

    /// The seats of `ticket_type` the user holds for the event as the batch stands.
    pub(super) fn seats_of(&self, ticket_type: TicketTypeId) -> u32 {
        self.before_by_type
            .of(ticket_type)
            .saturating_add(self.added_by_type.of(ticket_type))
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
                found.entry(ticket.event).or_default().add(&ticket);
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
            holding.by_type = booked.before_by_type.plus(&booked.added_by_type);
            if let Some(still_held) = booked.still_held {
                holding.tickets = still_held;
            }
            holding.tickets.extend(booked.issued);
        }
    }
}

/// Inside a transaction: counts exactly what `tickets` hold now, in all and per type, and
/// keeps in `booked` the ones that still hold seats: a released ticket never holds any again,
/// so the writer forgets it once the batch commits (else a user who books and cancels again and
/// again would have every old ticket read at each recount).
pub(super) fn count_in_tx(
    tickets_tree: &TransactionalTree,
    tickets: &[TicketId],
    booked: &mut Booked,
) -> Result<(), ConflictableTransactionError<StoreError>> {
    let mut held = 0u32;
    let mut by_type = TypeSeats::default();
    let mut active = Vec::new();
    for id in tickets {
        if let Some(bytes) = tickets_tree.get(id.to_bytes())? {
            let ticket = record::decode(&bytes).map_err(abort)?;
            if ticket.status.is_active() {
                held = held.saturating_add(ticket.quantity);
                by_type.add_ticket(&ticket);
                active.push(*id);
            }
        }
    }
    booked.before = held;
    booked.before_by_type = by_type;
    booked.still_held = Some(active);
    booked.exact = true;
    Ok(())
}

/// Drops the `holdings` tree that stores before this memory kept (its counts are not read); a
/// no-op once it is gone.
pub(crate) fn drop_stored_counts(store: &Store) -> Result<(), StoreError> {
    store.db.drop_tree("holdings")?;
    Ok(())
}
