//! Changing the attendee names on a ticket's seats: its holder may, until the event starts.

use super::{NO_SUCH_TICKET, Ticket, TicketError, Tickets, record};
use crate::auth::Actor;
use crate::error::CommonError;
use crate::events::attendee_names::{self, AttendeeNames};
use crate::events::{EventStatus, SaleState};
use crate::ids::TicketId;
use crate::log::{self, DomainEvent};
use crate::store::{abort, finish};

impl Tickets<'_> {
    /// Sets the attendee name of every seat of ticket `id` (one per seat in seat order, `""`
    /// for an unnamed seat where names are optional). Only its holder (or an admin) may, while
    /// the ticket holds seats, before the event starts, and only where the event asks for
    /// names. The names stay in the ticket; the log records only that they changed.
    pub fn set_attendee_names(
        &self,
        actor: &Actor,
        id: TicketId,
        names: &[String],
    ) -> Result<Ticket, TicketError> {
        let now = self.inner.now();
        let store = &self.inner.store;
        let ticket = finish::<_, TicketError>(store.transaction(
            (&store.tickets, &store.inventory, &store.log),
            |(tickets, inventory, log)| {
                let bytes = tickets
                    .get(id.to_bytes())?
                    .ok_or_else(|| abort(NO_SUCH_TICKET))?;
                let mut ticket = record::decode(&bytes).map_err(abort)?;
                if ticket.user != actor.user_id() && !actor.is_admin() {
                    return Err(abort(NO_SUCH_TICKET));
                }
                if !ticket.status.is_active() {
                    return Err(abort(TicketError::WrongStatus(ticket.status)));
                }
                let sale = SaleState::read_in_tx(inventory, &ticket.event.to_bytes())?;
                if sale.status == EventStatus::Cancelled || now >= sale.starts_at {
                    return Err(abort(TicketError::NamesLocked));
                }
                // Names already given stay changeable after an organizer stops asking for them.
                let policy = match sale.attendee_names {
                    AttendeeNames::NotAsked if !ticket.attendee_names.is_empty() => {
                        AttendeeNames::Optional
                    }
                    policy => policy,
                };
                let names = attendee_names::check(policy, names, ticket.quantity)
                    .map_err(|refusal| abort(CommonError::from(refusal)))?;
                ticket.attendee_names = names;
                ticket.updated_at = now;
                tickets.insert(&id.to_bytes(), record::encode(&ticket))?;
                let changed = DomainEvent::TicketNamesChanged {
                    ticket: id,
                    event: ticket.event,
                };
                log::append(log, now, &changed)?;
                Ok(ticket)
            },
        ))?;
        self.inner.committed_with_log()?;
        Ok(ticket)
    }
}
