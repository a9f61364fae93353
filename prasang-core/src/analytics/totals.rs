//! Reports read from a scope's totals: popularity, the funnel, revenue.

use serde::Serialize;

use super::store::{self as agg, Counters};
use super::{Analytics, AnalyticsError, Scope, average, count, ratio};
use crate::auth::Actor;
use crate::store::{StoreError, codec};

/// Page views, but never fewer than the holds: bookings made without a recorded view count
/// their hold as the visit, so conversion stays within 0 to 1.
fn visits(c: &Counters) -> i64 {
    c.visits.max(c.holds)
}

/// Popularity: how many looked, booked, cancelled, lapsed, and how they rated it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Popularity {
    /// Event page views, or the holds when there are more (see [`Funnel::visits`]).
    pub visits: u64,
    /// Tickets that became booked.
    pub bookings: u64,
    /// Tickets cancelled.
    pub cancellations: u64,
    /// Holds that lapsed.
    pub expiries: u64,
    /// bookings / visits, from 0 to 1 (none without visits).
    pub conversion: Option<f64>,
    /// Mean rating.
    pub average_rating: Option<f64>,
    /// Ratings given.
    pub rating_count: u64,
}

/// The path from a page view to a booking and through the door; each stage is at most the one
/// before (`visits ≥ holds ≥ booked ≥ checked_in`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Funnel {
    /// Event page views. A hold taken without a recorded view (through the API, or a link
    /// straight to booking) stands for its own visit, so this is never below `holds`.
    pub visits: u64,
    /// Holds taken: pending holds of paid tickets, and free bookings (a hold confirmed at
    /// once).
    pub holds: u64,
    /// Tickets booked (free bookings and confirmed payments).
    pub booked: u64,
    /// Tickets cancelled.
    pub cancelled: u64,
    /// Holds that lapsed.
    pub expired: u64,
    /// Tickets with at least one seat checked in (a cancelled ticket's no longer count).
    pub checked_in: u64,
}

/// Bookings and revenue of the events priced in one currency.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CurrencyTotals {
    /// ISO 4217 code.
    pub currency: String,
    /// Tickets that became booked.
    pub bookings: u64,
    /// Tickets cancelled.
    pub cancellations: u64,
    /// Confirmed payments minus refunds, minor units of `currency`.
    pub revenue_minor: i64,
}

impl CurrencyTotals {
    pub(super) fn of(currency: agg::Currency, c: &Counters) -> CurrencyTotals {
        CurrencyTotals {
            currency: String::from_utf8_lossy(&currency).into_owned(),
            bookings: count(c.bookings),
            cancellations: count(c.cancellations),
            revenue_minor: c.revenue_minor,
        }
    }
}

/// Revenue per currency (never summed across currencies) and seat utilisation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Revenue {
    /// One row per currency the scope's events took bookings in, by code.
    pub by_currency: Vec<CurrencyTotals>,
    /// Seats booked now.
    pub seats_booked: u64,
    /// Seats on sale.
    pub capacity: u64,
    /// seats_booked / capacity.
    pub utilisation: Option<f64>,
}

impl Analytics<'_> {
    /// Visits, bookings, cancellations, expiries, conversion and rating.
    pub fn popularity(&self, actor: &Actor, scope: Scope) -> Result<Popularity, AnalyticsError> {
        let c = self.totals(&self.authorize(actor, scope)?)?;
        Ok(Popularity {
            visits: count(visits(&c)),
            bookings: count(c.bookings),
            cancellations: count(c.cancellations),
            expiries: count(c.expiries),
            conversion: ratio(c.bookings, visits(&c)),
            average_rating: average(c.rating_sum, c.rating_count),
            rating_count: count(c.rating_count),
        })
    }

    /// Visits → holds → booked → cancelled or expired, and booked → checked in.
    pub fn funnel(&self, actor: &Actor, scope: Scope) -> Result<Funnel, AnalyticsError> {
        let c = self.totals(&self.authorize(actor, scope)?)?;
        Ok(Funnel {
            visits: count(visits(&c)),
            holds: count(c.holds),
            booked: count(c.bookings),
            cancelled: count(c.cancellations),
            expired: count(c.expiries),
            checked_in: count(c.admitted_tickets),
        })
    }

    /// Revenue (confirmed payments minus refunds) per currency and seat utilisation.
    pub fn revenue(&self, actor: &Actor, scope: Scope) -> Result<Revenue, AnalyticsError> {
        let scope = self.authorize(actor, scope)?;
        let c = self.totals(&scope)?;
        let by_currency = self
            .currencies(&scope)?
            .iter()
            .map(|(currency, c)| CurrencyTotals::of(*currency, c))
            .collect();
        Ok(Revenue {
            by_currency,
            seats_booked: count(c.seats_booked),
            capacity: count(c.capacity),
            utilisation: ratio(c.seats_booked, c.capacity),
        })
    }

    /// The currency totals of `scope`, by code.
    pub(super) fn currencies(
        &self,
        scope: &agg::ScopeKey,
    ) -> Result<Vec<(agg::Currency, Counters)>, StoreError> {
        let prefix = agg::money(scope, *b"   ");
        let mut out = Vec::new();
        for item in self.inner.store.agg_counters.scan_prefix(&prefix[..18]) {
            let (key, value) = item?;
            if let Some(currency) = agg::currency_from(&key) {
                out.push((currency, codec::read(&value)?));
            }
        }
        Ok(out)
    }
}
