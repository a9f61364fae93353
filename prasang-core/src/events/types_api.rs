//! Organizers' side of ticket types: list, add, change, reorder, close and delete them. Each
//! change is one transaction over the sale state (where the types live), the event record
//! (whose listed price follows the types) and the log.

use sled::transaction::ConflictableTransactionError;

use super::record::{EventRecord, SaleState};
use super::types::{self, NewTicketType, TicketType, TicketTypeId, TicketTypeUpdate, TypeRefusal};
use super::{EventError, Events, NO_SUCH_TYPE, live_event_run_by};
use crate::auth::Actor;
use crate::ids::EventId;
use crate::log::{self, DomainEvent, TypeChange};
use crate::store::{abort, codec, finish};
use crate::validate::FieldError;
use crate::waitlist::offers::ListTrees;
use crate::zone::Zone;

const REFUSAL: &str = "only the event's organizer can change its ticket types";

/// The records of a live event being changed, inside a transaction.
struct Editing {
    sale: SaleState,
    event: EventRecord,
    zone: Zone,
}

impl Events<'_> {
    /// Every ticket type of an event in display order, hidden ones included (its organizer and
    /// admins; buyers ask [`Tickets::types_for`](crate::tickets::Tickets::types_for)).
    pub fn ticket_types(&self, actor: &Actor, id: EventId) -> Result<Vec<TicketType>, EventError> {
        let sale = super::record::require_run_by(&self.inner.store, actor, id, REFUSAL)?;
        let event = super::record::load(&self.inner.store, id)?.ok_or(super::NO_SUCH_EVENT)?;
        let zone = Zone::stored(&event.time_zone);
        let now = self.inner.now();
        Ok(sale
            .types
            .iter()
            .map(|sale_type| sale_type.to_api(&zone, now, sale.seats.remaining))
            .collect())
    }

    /// Adds a ticket type to a live event (its organizer or an admin).
    pub fn add_ticket_type(
        &self,
        actor: &Actor,
        id: EventId,
        new: NewTicketType,
    ) -> Result<TicketType, EventError> {
        self.edit_types(actor, id, TypeChange::Added, |editing| {
            add_type(&mut editing.sale, &new, &editing.zone)
                .map_err(|invalid| abort(EventError::from(invalid)))
        })
    }

    /// Changes a ticket type: its price applies to later bookings only, its quota may not drop
    /// below the seats of it held or booked, `closed` stops its sale, `position` moves it.
    pub fn update_ticket_type(
        &self,
        actor: &Actor,
        id: EventId,
        type_id: TicketTypeId,
        update: TicketTypeUpdate,
    ) -> Result<TicketType, EventError> {
        self.edit_types(actor, id, TypeChange::Updated, |editing| {
            let index = type_index(&editing.sale, type_id)?;
            types::apply_update(&mut editing.sale.types, index, &update, &editing.zone).map_err(
                |refusal| {
                    abort(match refusal {
                        TypeRefusal::Invalid(field) => EventError::from(field),
                        TypeRefusal::QuotaBelowSold(sold) => EventError::QuotaBelowSold { sold },
                    })
                },
            )?;
            Ok(type_id)
        })
    }

    /// Deletes a ticket type no ticket was ever issued with (close it otherwise); an event
    /// keeps at least one type.
    pub fn delete_ticket_type(
        &self,
        actor: &Actor,
        id: EventId,
        type_id: TicketTypeId,
    ) -> Result<(), EventError> {
        self.edit_types(actor, id, TypeChange::Deleted, |editing| {
            let index = type_index(&editing.sale, type_id)?;
            if editing.sale.types[index].tickets_issued > 0 {
                return Err(abort(EventError::TypeHasTickets));
            }
            if editing.sale.types.len() == 1 {
                return Err(abort(EventError::LastType));
            }
            editing.sale.types.remove(index);
            Ok(type_id)
        })
        .map(|_| ())
    }

    /// Runs `change` on the live event's records in one transaction, writes them back with the
    /// listed price kept true, logs the change, and returns the changed type as it is now (the
    /// type's former self for a deletion).
    fn edit_types(
        &self,
        actor: &Actor,
        id: EventId,
        change: TypeChange,
        body: impl Fn(&mut Editing) -> Result<TicketTypeId, ConflictableTransactionError<EventError>>,
    ) -> Result<TicketType, EventError> {
        let now = self.inner.now();
        let store = &self.inner.store;
        let key = id.to_bytes();
        let changed = finish::<_, EventError>(store.transaction(
            (&store.events, &store.inventory, &store.log, &store.waitlist),
            |(events, inventory, log, waitlist)| {
                let (sale, event) = live_event_run_by(actor, &key, inventory, events, REFUSAL)?;
                let zone = Zone::stored(&event.time_zone);
                let before = sale.clone();
                let mut editing = Editing { sale, event, zone };
                let type_id = body(&mut editing)?;
                let Editing {
                    mut sale,
                    mut event,
                    zone,
                } = editing;
                let shown = sale
                    .ticket_type(type_id)
                    .or_else(|| before.ticket_type(type_id))
                    .map(|sale_type| sale_type.to_api(&zone, now, sale.seats.remaining))
                    .ok_or_else(|| abort(NO_SUCH_TYPE))?;
                sync_listed_price(&mut event, &sale);
                event.updated_at = now;
                events.insert(&key, codec::write(&event))?;
                let logged = DomainEvent::TicketTypeChanged {
                    event: id,
                    ticket_type: type_id,
                    change,
                };
                log::append(log, now, &logged)?;
                // A raised quota or a reopened type may free seats for the waiting list.
                ListTrees { waitlist, log }.offer_freed(&mut sale, id, now)?;
                inventory.insert(&key, codec::write(&sale))?;
                Ok(shown)
            },
        ))?;
        self.inner.committed_with_log()?;
        Ok(changed)
    }
}

/// Where type `type_id` sits in the event's list, or `NotFound`.
fn type_index(
    sale: &SaleState,
    type_id: TicketTypeId,
) -> Result<usize, ConflictableTransactionError<EventError>> {
    sale.types
        .iter()
        .position(|sale_type| sale_type.id == type_id)
        .ok_or_else(|| abort(NO_SUCH_TYPE))
}

/// Adds a type to an event, numbered after every type it ever had.
fn add_type(
    sale: &mut SaleState,
    new: &NewTicketType,
    zone: &Zone,
) -> Result<TicketTypeId, FieldError> {
    types::check_type_count(sale.types.len() + 1)?;
    let id = sale.next_type_id();
    let sale_type = types::new_type(new, id, zone, &sale.types)?;
    sale.types.push(sale_type);
    Ok(id)
}

/// Keeps the event record's listed price ("from") true after its types changed.
fn sync_listed_price(event: &mut EventRecord, sale: &SaleState) {
    event.price_minor = types::listed_price(&sale.types);
}
