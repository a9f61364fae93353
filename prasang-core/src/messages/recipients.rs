//! Who is in a segment of an event's people right now: the preview's count, and the recipients
//! the notifications dispatcher fans a message out to (it asks when it reaches the message's log
//! entry, so someone who booked after the message was written but before it went out gets it).

use std::collections::HashSet;

use super::segment::Segment;
use crate::context::Context;
use crate::ids::{EventId, UserId};
use crate::store::{StoreError, keys};
use crate::tickets::{Ticket, TicketStatus, record as ticket_record};

/// Everyone in `segment` of `event`, each once, in booking order (the waiting list in joining
/// order).
pub(crate) fn recipients(
    inner: &Context,
    event: EventId,
    segment: Segment,
) -> Result<Vec<UserId>, StoreError> {
    match segment {
        Segment::AllHolders => holders(inner, event, |ticket| ticket.status.is_active()),
        Segment::TicketType { ticket_type } => holders(inner, event, |ticket| {
            ticket.status.is_active()
                && ticket
                    .lines
                    .iter()
                    .any(|line| line.ticket_type == ticket_type && line.quantity > 0)
        }),
        Segment::CheckedIn => {
            let admitted = crate::checkin::admitted_tickets(&inner.store, event)?;
            holders(inner, event, |ticket| admitted.contains(&ticket.id))
        }
        Segment::NotCheckedIn => {
            // Per person: one admitted seat on any of their tickets puts them inside.
            let admitted = crate::checkin::admitted_tickets(&inner.store, event)?;
            let mut inside = HashSet::new();
            let mut booked = Vec::new();
            let mut seen = HashSet::new();
            for_each_ticket(inner, event, |ticket| {
                if admitted.contains(&ticket.id) {
                    inside.insert(ticket.user);
                }
                if ticket.status == TicketStatus::Booked && seen.insert(ticket.user) {
                    booked.push(ticket.user);
                }
            })?;
            booked.retain(|user| !inside.contains(user));
            Ok(booked)
        }
        Segment::WaitingList => crate::waitlist::users(inner, event),
    }
}

/// The holders of the tickets of `event` that `keep` keeps, each once, in booking order.
pub(crate) fn holders(
    inner: &Context,
    event: EventId,
    keep: impl Fn(&Ticket) -> bool,
) -> Result<Vec<UserId>, StoreError> {
    let mut seen = HashSet::new();
    let mut holders = Vec::new();
    for_each_ticket(inner, event, |ticket| {
        if keep(ticket) && seen.insert(ticket.user) {
            holders.push(ticket.user);
        }
    })?;
    Ok(holders)
}

/// Calls `visit` with each ticket of `event`, in booking order.
fn for_each_ticket(
    inner: &Context,
    event: EventId,
    mut visit: impl FnMut(&Ticket),
) -> Result<(), StoreError> {
    for key in inner
        .store
        .tickets_by_event
        .scan_prefix(event.to_bytes())
        .keys()
    {
        let Some(id) = keys::ticket_from_index_key(&key?) else {
            continue;
        };
        if let Some(ticket) = ticket_record::load(&inner.store, id)? {
            visit(&ticket);
        }
    }
    Ok(())
}
