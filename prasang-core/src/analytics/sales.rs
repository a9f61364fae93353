//! Reports of one event's sales by ticket type and by promo code: tickets, seats, revenue,
//! refunds and discounts, per currency (an event's currency can change between sales).

use serde::Serialize;

use super::store::{self as agg, Counters, Currency};
use super::{Analytics, AnalyticsError, count};
use crate::auth::Actor;
use crate::events::TicketTypeId;
use crate::events::record as event_record;
use crate::ids::EventId;
use crate::promo::record::PromoRecord;
use crate::store::{StoreError, codec};

/// What one ticket type or promo code sold, in one currency.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sales {
    /// ISO 4217 code.
    pub currency: String,
    /// Tickets that became booked (a ticket with seats of two types counts for both).
    pub bookings: u64,
    /// Seats booked now.
    pub seats_booked: u64,
    /// Tickets cancelled (from pending or booked).
    pub cancellations: u64,
    /// Confirmed payments minus refunds, minor units of `currency`.
    pub revenue_minor: i64,
    /// Refunds of cancelled booked tickets, minor units.
    pub refund_minor: i64,
    /// What promo codes took off the booked seats (less that of cancelled ones), minor units.
    pub discount_minor: i64,
}

impl Sales {
    fn of(currency: Currency, c: &Counters) -> Sales {
        Sales {
            currency: String::from_utf8_lossy(&currency).into_owned(),
            bookings: count(c.bookings),
            seats_booked: count(c.seats_booked),
            cancellations: count(c.cancellations),
            revenue_minor: c.revenue_minor,
            refund_minor: c.refund_minor,
            discount_minor: c.discount_minor,
        }
    }
}

/// The sales of one ticket type in one currency.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TypeSales {
    /// The type's number within the event.
    pub ticket_type: TicketTypeId,
    /// Its name now (empty if it no longer exists).
    pub name: String,
    /// What it sold.
    #[serde(flatten)]
    pub sales: Sales,
}

/// The sales of one promo code in one currency: the whole tickets booked with it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CodeSales {
    /// The code, upper case.
    pub code: String,
    /// What the tickets with it sold.
    #[serde(flatten)]
    pub sales: Sales,
}

/// An event's sales by ticket type: every type in display order (those that sold nothing with
/// zeros, in the event's currency), each with a row per currency it sold in.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ByTicketType {
    /// The event.
    pub event: EventId,
    /// The rows.
    pub types: Vec<TypeSales>,
}

/// An event's sales by promo code: every code in code order (unused ones with zeros), each
/// with a row per currency. Tickets booked without a code are in no row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ByPromoCode {
    /// The event.
    pub event: EventId,
    /// The rows.
    pub codes: Vec<CodeSales>,
}

/// The sale buckets of one kind of an event, as (name, currency, counters) in key order.
type Buckets = Vec<(Vec<u8>, Currency, Counters)>;

/// One row per name in `names` order (then names only the buckets know), with a zero row in
/// `currency` for a name without buckets.
fn rows<R>(
    names: Vec<Vec<u8>>,
    mut buckets: Buckets,
    currency: Currency,
    row: impl Fn(&[u8], Sales) -> R,
) -> Vec<R> {
    let mut out = Vec::new();
    for name in &names {
        let mut found = false;
        for (bucket, code, counters) in &buckets {
            if bucket == name {
                found = true;
                out.push(row(name, Sales::of(*code, counters)));
            }
        }
        if !found {
            out.push(row(name, Sales::of(currency, &Counters::ZERO)));
        }
    }
    buckets.retain(|(bucket, _, _)| !names.contains(bucket));
    out.extend(
        buckets
            .iter()
            .map(|(name, code, counters)| row(name, Sales::of(*code, counters))),
    );
    out
}

impl Analytics<'_> {
    /// Tickets, seats, revenue, refunds and discounts of each of an event's ticket types (its
    /// organizer and admins).
    pub fn by_ticket_type(
        &self,
        actor: &Actor,
        event: EventId,
    ) -> Result<ByTicketType, AnalyticsError> {
        let currency = self.sales_event(actor, event)?;
        let types = event_record::sale_state(&self.inner.store, event)?
            .map(|sale| sale.types)
            .unwrap_or_default();
        let names = types
            .iter()
            .map(|t| agg::type_name(t.id).to_vec())
            .collect();
        let buckets = self.sale_buckets(agg::TYPE, event)?;
        let types = rows(names, buckets, currency, |name, sales| {
            let id = agg::type_from(name).unwrap_or_default();
            TypeSales {
                ticket_type: id,
                name: types
                    .iter()
                    .find(|t| t.id == id)
                    .map(|t| t.name.clone())
                    .unwrap_or_default(),
                sales,
            }
        });
        Ok(ByTicketType { event, types })
    }

    /// Tickets, seats, revenue, refunds and discounts of the tickets booked with each of an
    /// event's promo codes (its organizer and admins).
    pub fn by_promo_code(
        &self,
        actor: &Actor,
        event: EventId,
    ) -> Result<ByPromoCode, AnalyticsError> {
        let currency = self.sales_event(actor, event)?;
        let mut names = Vec::new();
        for entry in self.inner.store.promo_codes.scan_prefix(event.to_bytes()) {
            let (_, bytes) = entry.map_err(StoreError::from)?;
            names.push(codec::read::<PromoRecord>(&bytes)?.code.into_bytes());
        }
        let buckets = self.sale_buckets(agg::CODE, event)?;
        let codes = rows(names, buckets, currency, |name, sales| CodeSales {
            code: String::from_utf8_lossy(name).into_owned(),
            sales,
        });
        Ok(ByPromoCode { event, codes })
    }

    /// Checks `actor` may read `event`'s analytics; its currency now.
    fn sales_event(&self, actor: &Actor, event: EventId) -> Result<Currency, AnalyticsError> {
        self.authorize(actor, super::Scope::Event(event))?;
        Ok(event_record::load(&self.inner.store, event)?
            .map_or(*b"XXX", |record| agg::currency_code(&record.currency)))
    }

    fn sale_buckets(&self, kind: u8, event: EventId) -> Result<Buckets, StoreError> {
        let mut out = Vec::new();
        for item in self
            .inner
            .store
            .agg_counters
            .scan_prefix(agg::sale_prefix(kind, event))
        {
            let (key, value) = item?;
            if let Some((currency, name)) = agg::sale_from(&key) {
                out.push((name.to_vec(), currency, codec::read(&value)?));
            }
        }
        Ok(out)
    }
}
