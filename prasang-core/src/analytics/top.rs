//! Top events: an organizer's or everyone's best events by bookings, rating or revenue.

use serde::{Deserialize, Serialize};

use super::store::{self as agg, Counters};
use super::{Analytics, AnalyticsError, Scope, average, count};
use crate::auth::Actor;
use crate::events::record as event_record;
use crate::ids::EventId;
use crate::store::{StoreError, codec};
use crate::validate::FieldError;

/// How many events a top-events report lists.
pub const TOP_N: usize = 10;

/// What to rank events by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TopBy {
    /// Tickets booked.
    Bookings,
    /// Mean rating (events with at least `min_ratings` ratings).
    Rating,
    /// Revenue.
    Revenue,
}

/// Parameters of a top-events report, as text.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TopParams {
    /// `bookings` (default), `rating` or `revenue`.
    pub by: Option<String>,
    /// For `rating`: fewest ratings an event needs to be ranked (default 1, at most 1,000,000).
    pub min_ratings: Option<String>,
}

/// One ranked event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TopEvent {
    /// 1 for the first.
    pub rank: u32,
    /// The event.
    pub event: EventId,
    /// Its title.
    pub title: String,
    /// Tickets booked.
    pub bookings: u64,
    /// Revenue, minor units of `currency`.
    pub revenue_minor: i64,
    /// The event's currency (ISO 4217).
    pub currency: String,
    /// Mean rating.
    pub average_rating: Option<f64>,
    /// Ratings given.
    pub rating_count: u64,
}

/// The top [`TOP_N`] events of a scope.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TopEvents {
    /// Ranked by.
    pub by: TopBy,
    /// The ranking, best first (ties by event id).
    pub events: Vec<TopEvent>,
}

impl Analytics<'_> {
    /// The top [`TOP_N`] events of an organizer or of all events by bookings, mean rating or
    /// revenue.
    pub fn top_events(
        &self,
        actor: &Actor,
        scope: Scope,
        params: &TopParams,
    ) -> Result<TopEvents, AnalyticsError> {
        let (by, min_ratings) = parse_top(params)?;
        if let Scope::Event(_) = scope {
            return Err(FieldError::new(
                "scope",
                "top events ranks the events of an organizer or of everyone, not one event",
            )
            .into());
        }
        self.authorize(actor, scope)?;
        let store = &self.inner.store;
        let mut candidates: Vec<(EventId, Counters)> = Vec::new();
        match scope {
            Scope::Organizer(organizer) => {
                for item in store.events_by_organizer.scan_prefix(organizer.to_bytes()) {
                    let (key, _) = item.map_err(StoreError::from)?;
                    if let Some(event) = key.get(16..).and_then(EventId::from_key_prefix) {
                        candidates.push((event, self.totals(&agg::event_scope(event))?));
                    }
                }
            }
            _ => {
                let prefix = [agg::TOTALS, 2];
                for item in store.agg_counters.scan_prefix(prefix) {
                    let (key, value) = item.map_err(StoreError::from)?;
                    if let Some(event) = key.get(2..18).and_then(EventId::from_key_prefix) {
                        candidates.push((event, codec::read(&value)?));
                    }
                }
            }
        }
        let key = |c: &Counters| -> (i64, i64) {
            match by {
                TopBy::Bookings => (c.bookings, 0),
                TopBy::Revenue => (c.revenue_minor, 0),
                // Compare sum/count exactly: a/b > c/d  <=>  a*d > c*b.
                TopBy::Rating => (c.rating_sum, c.rating_count),
            }
        };
        if by == TopBy::Rating {
            candidates.retain(|(_, c)| c.rating_count >= min_ratings.max(1));
        }
        candidates.sort_by(|(ea, a), (eb, b)| {
            let (ka, kb) = (key(a), key(b));
            let order = if by == TopBy::Rating {
                (i128::from(kb.0) * i128::from(ka.1)).cmp(&(i128::from(ka.0) * i128::from(kb.1)))
            } else {
                kb.0.cmp(&ka.0)
            };
            order.then(ea.cmp(eb))
        });
        let mut events = Vec::with_capacity(TOP_N);
        for (rank, (event, c)) in candidates.into_iter().take(TOP_N).enumerate() {
            let (title, currency) = event_record::load(&self.inner.store, event)?
                .map(|e| (e.title, e.currency))
                .unwrap_or_default();
            events.push(TopEvent {
                rank: rank as u32 + 1,
                event,
                title,
                bookings: count(c.bookings),
                revenue_minor: c.revenue_minor,
                currency,
                average_rating: average(c.rating_sum, c.rating_count),
                rating_count: count(c.rating_count),
            });
        }
        Ok(TopEvents { by, events })
    }
}

fn parse_top(params: &TopParams) -> Result<(TopBy, i64), FieldError> {
    let by = match params.by.as_deref().map(str::trim) {
        None | Some("bookings") => TopBy::Bookings,
        Some("rating") => TopBy::Rating,
        Some("revenue") => TopBy::Revenue,
        Some(_) => {
            return Err(FieldError::new(
                "by",
                "must be one of bookings, rating, revenue",
            ));
        }
    };
    let min_ratings = match params.min_ratings.as_deref() {
        None => 1,
        Some(text) => {
            let bad = || FieldError::new("min_ratings", "must be a whole number from 1 to 1000000");
            let n: i64 = text.trim().parse().map_err(|_| bad())?;
            if !(1..=1_000_000).contains(&n) {
                return Err(bad());
            }
            n
        }
    };
    Ok((by, min_ratings))
}
