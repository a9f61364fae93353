//! What a buyer sees before booking: the ticket types on offer (hidden ones only with a code
//! that reveals them) and what an order would cost, decided by the same rules as the booking
//! itself but without writing anything.

use serde::Serialize;

use super::held::{Booked, Holding};
use super::order::{self, Promo};
use super::{TicketError, TicketStatus, Tickets, booking, record};
use crate::auth::Actor;
use crate::error::{CommonError, Subject};
use crate::events::record as event_record;
use crate::events::{EventStatus, TicketType, TicketTypeId};
use crate::ids::{EventId, UserId};
use crate::promo::PromoRefusal;
use crate::promo::record::{self as promo_record, PromoRecord};
use crate::store::{StoreError, codec, keys};
use crate::zone::Zone;

const NO_SUCH_EVENT: CommonError = CommonError::NotFound(Subject::Event);

/// What an order would cost, line by line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Quote {
    /// The event's currency (ISO 4217).
    pub currency: String,
    /// Each line with its type's name, price and discount.
    pub lines: Vec<QuoteLine>,
    /// What the promo code takes off in all, minor units.
    pub discount_minor: u64,
    /// What would be charged, minor units.
    pub amount_minor: u64,
    /// `booked` when nothing is to be paid, else `pending` (held until paid).
    pub status: TicketStatus,
    /// The promo code applied, upper case.
    pub promo_code: Option<String>,
}

/// One line of a [`Quote`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QuoteLine {
    /// The ticket type's number.
    pub ticket_type: TicketTypeId,
    /// Its name.
    pub name: String,
    /// Seats.
    pub quantity: u32,
    /// Price of one seat before the discount, minor units.
    pub unit_price_minor: u64,
    /// What the code takes off the line, minor units.
    pub discount_minor: u64,
    /// What the line costs, minor units.
    pub amount_minor: u64,
}

impl Tickets<'_> {
    /// The ticket types `viewer` may see of a published event, in display order: the listed
    /// ones, plus the hidden ones `promo_code` reveals (a code that cannot be used now is
    /// refused as a booking would refuse it). The event's organizer and admins see every type.
    pub fn types_for(
        &self,
        viewer: Option<&Actor>,
        event: EventId,
        promo_code: Option<&str>,
    ) -> Result<Vec<TicketType>, TicketError> {
        let store = &self.inner.store;
        let sale = event_record::sale_state(store, event)?.ok_or(NO_SUCH_EVENT)?;
        let record = event_record::load(store, event)?.ok_or(NO_SUCH_EVENT)?;
        let manages = viewer.is_some_and(|actor| sale.is_run_by(actor));
        if sale.status == EventStatus::Cancelled && !manages {
            return Err(NO_SUCH_EVENT.into());
        }
        let now = self.inner.now();
        let promo = match code_of(promo_code)? {
            Some(code) => {
                let found = load_promo(store, event, &code)?.ok_or(PromoRefusal::Unknown)?;
                found.check_valid(now)?;
                Some(found)
            }
            None => None,
        };
        let zone = Zone::stored(&record.time_zone);
        Ok(sale
            .types
            .iter()
            .filter(|sale_type| {
                manages
                    || !sale_type.hidden
                    || promo
                        .as_ref()
                        .is_some_and(|code| code.reveals(sale_type.id))
            })
            .map(|sale_type| sale_type.to_api(&zone, now, sale.seats.remaining))
            .collect())
    }

    /// What `request` would cost `actor` now, line by line, refused exactly as booking it
    /// would be (sold out, limits, windows, codes); nothing is held or written.
    pub fn quote(
        &self,
        actor: &Actor,
        request: &super::BookingRequest,
    ) -> Result<Quote, TicketError> {
        let wanted = booking::wanted(request)?;
        let code = code_of(request.promo_code.as_deref())?;
        let store = &self.inner.store;
        let sale = event_record::sale_state(store, request.event)?.ok_or(NO_SUCH_EVENT)?;
        let event = event_record::load(store, request.event)?.ok_or(NO_SUCH_EVENT)?;
        let held = self.held_by(actor.user_id(), request.event)?;
        let promo = match &code {
            Some(code) => Some(match load_promo(store, request.event, code)? {
                Some(found) => {
                    let key = promo_record::use_key(request.event, code, actor.user_id());
                    let uses = store.promo_uses.get(key).map_err(StoreError::from)?;
                    (Some(found), uses.as_deref().map_or(0, booking::uses_count))
                }
                None => (None, 0),
            }),
            None => None,
        };
        let as_order = promo.as_ref().map(|(found, uses)| match found {
            Some(record) => Promo::Found(record, *uses),
            None => Promo::Unknown,
        });
        let decision = order::decide(&sale, &held, &wanted, as_order, self.inner.now())?;
        let lines: Vec<QuoteLine> = decision
            .lines
            .iter()
            .map(|line| QuoteLine {
                ticket_type: line.ticket_type,
                name: sale
                    .ticket_type(line.ticket_type)
                    .map(|sale_type| sale_type.name.clone())
                    .unwrap_or_default(),
                quantity: line.quantity,
                unit_price_minor: line.unit_price_minor,
                discount_minor: line.discount_minor,
                amount_minor: line.amount_minor(),
            })
            .collect();
        Ok(Quote {
            currency: event.currency,
            discount_minor: lines.iter().map(|line| line.discount_minor).sum(),
            amount_minor: decision.amount_minor,
            lines,
            status: decision.status,
            promo_code: code,
        })
    }

    /// The seats `user` holds for `event` now, in all and per type, counted from their tickets.
    fn held_by(&self, user: UserId, event: EventId) -> Result<Booked, StoreError> {
        let store = &self.inner.store;
        let mut holding = Holding::default();
        for key in store.tickets_by_user.scan_prefix(user.to_bytes()).keys() {
            let Some(id) = keys::ticket_from_index_key(&key?) else {
                continue;
            };
            if let Some(ticket) = record::load(store, id)?.filter(|t| t.event == event) {
                holding.add(&ticket);
            }
        }
        Ok(Booked::from_memory(&holding))
    }
}

/// The upper-case code a buyer typed, if any: blank is none, and a code no event could have
/// is unknown.
fn code_of(text: Option<&str>) -> Result<Option<String>, TicketError> {
    match text.map(str::trim) {
        None | Some("") => Ok(None),
        Some(code) => promo_record::normalize("promo_code", code)
            .map(Some)
            .map_err(|_| PromoRefusal::Unknown.into()),
    }
}

fn load_promo(
    store: &crate::store::Store,
    event: EventId,
    code: &str,
) -> Result<Option<PromoRecord>, StoreError> {
    codec::get(&store.promo_codes, &promo_record::key(event, code))
}
