//! The waiting list in numbers: joins, offers and how they ended, the seats the list turned back
//! into tickets (per event or scope), and the list's length hour by hour on the event's local
//! clock.
//!
//! An entry *waits* from joining until it is offered seats (or leaves, or is removed, before
//! that), as in [`crate::waitlist::WaitlistStatus`]; it then *holds an offer* until the offer is
//! accepted, declined, lapses, or the entry leaves (*withdrawn*). Every offer ends the entry: the
//! next seats go to the next in line. *Seats recovered* are the seats of accepted offers: seats
//! that came free and were sold again through the list.

use std::collections::BTreeMap;

use serde::Serialize;

use super::store::{self as agg, Counters};
use super::{Analytics, AnalyticsError, Scope, count, ratio};
use crate::auth::Actor;
use crate::events::record as event_record;
use crate::ids::EventId;
use crate::time::Timestamp;
use crate::zone::Zone;

/// A waiting list's totals.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct WaitlistTotals {
    /// Entries that joined.
    pub joined: u64,
    /// Entries that left, or were removed, before being served.
    pub left: u64,
    /// Entries waiting now (on the list without an offer).
    pub waiting: u64,
    /// Seats they wait for.
    pub waiting_seats: u64,
    /// Offers made.
    pub offers: u64,
    /// Seats those offers held.
    pub offered_seats: u64,
    /// Offers accepted.
    pub accepted: u64,
    /// Offers declined.
    pub declined: u64,
    /// Offers whose deadline passed.
    pub expired: u64,
    /// Offers whose entry left the list (or was removed) while holding them.
    pub withdrawn: u64,
    /// Offers standing now: offers − accepted − declined − expired − withdrawn.
    pub open_offers: u64,
    /// Seats of accepted offers: seats the list sold again.
    pub seats_recovered: u64,
    /// accepted / the offers that ended (none before one has).
    pub acceptance_rate: Option<f64>,
}

/// Offers that ended: accepted, declined, lapsed or withdrawn.
fn ended(c: &Counters) -> i64 {
    c.offers_accepted + c.offers_declined + c.offers_expired + c.offers_withdrawn
}

fn open_offers(c: &Counters) -> i64 {
    c.offers - ended(c)
}

impl WaitlistTotals {
    fn of(c: &Counters) -> WaitlistTotals {
        let ended = ended(c);
        WaitlistTotals {
            joined: count(c.waitlist_joined),
            left: count(c.waitlist_left),
            waiting: count(c.waitlist_entries),
            waiting_seats: count(c.waitlist_seats),
            offers: count(c.offers),
            offered_seats: count(c.offered_seats),
            accepted: count(c.offers_accepted),
            declined: count(c.offers_declined),
            expired: count(c.offers_expired),
            withdrawn: count(c.offers_withdrawn),
            open_offers: count(open_offers(c)),
            seats_recovered: count(c.seats_recovered),
            acceptance_rate: ratio(c.offers_accepted, ended),
        }
    }
}

/// One hour of an event's waiting list, on its local clock.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WaitlistHour {
    /// The hour's start on the event's local clock, RFC 3339 with its offset.
    pub starts_at: String,
    /// The same as `YYYY-MM-DD HH:MM`.
    pub time: String,
    /// Entries waiting at the end of the hour.
    pub waiting: u64,
    /// Seats they wait for.
    pub waiting_seats: u64,
    /// Offers standing at the end of the hour.
    pub open_offers: u64,
    /// Entries that joined in the hour.
    pub joined: u64,
    /// Offers made in the hour.
    pub offers: u64,
    /// Offers accepted in the hour.
    pub accepted: u64,
    /// Offers declined in the hour.
    pub declined: u64,
    /// Offers that lapsed in the hour.
    pub expired: u64,
}

/// An event's waiting list hour by hour on its local clock, from the first hour anything
/// happened to it to the last; the length stays as the last row says until something changes.
/// Every hour has a row when they are at most [`MAX_WAITLIST_HOURS`] apart; otherwise only
/// those in which something happened (the length is right in each).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WaitlistLength {
    /// The event.
    pub event: EventId,
    /// The event's zone, whose clock the rows follow.
    pub time_zone: String,
    /// The rows, oldest first.
    pub rows: Vec<WaitlistHour>,
}

/// The longest span of hours a waiting list's curve fills with quiet rows: 31 days.
pub const MAX_WAITLIST_HOURS: i64 = 31 * 24;

/// Quarter hours per hour.
const QUARTERS: i64 = 4;

impl Analytics<'_> {
    /// Joins, offers and their outcome, seats recovered, and the list's length now.
    pub fn waitlist_totals(
        &self,
        actor: &Actor,
        scope: Scope,
    ) -> Result<WaitlistTotals, AnalyticsError> {
        let c = self.totals(&self.authorize(actor, scope)?)?;
        Ok(WaitlistTotals::of(&c))
    }

    /// One event's waiting list per hour on its local clock.
    pub fn waitlist_length(
        &self,
        actor: &Actor,
        event: EventId,
    ) -> Result<WaitlistLength, AnalyticsError> {
        self.authorize(actor, Scope::Event(event))?;
        let zone = event_record::load(&self.inner.store, event)?
            .map_or_else(Zone::utc, |record| Zone::stored(&record.time_zone));
        // The changes of each local hour, keyed by the quarter hour it starts at: every offset
        // in use is a whole number of quarter hours, so a local hour is four whole buckets.
        let hour_of = |quarter: i64| {
            let local = zone.local(Timestamp::from_millis(quarter * agg::QUARTER_MS));
            quarter - i64::from(local.minute) / 15
        };
        let mut hours: BTreeMap<i64, Counters> = BTreeMap::new();
        for (key, c) in self.scan(&agg::sale_prefix(agg::WAITLIST, event))? {
            if let Some(quarter) = agg::day_from(&key) {
                hours.entry(hour_of(quarter)).or_default().add(&c);
            }
        }
        let (Some(first), Some(last)) = (
            hours.keys().next().copied(),
            hours.keys().next_back().copied(),
        ) else {
            return Ok(WaitlistLength {
                event,
                time_zone: zone.name().to_owned(),
                rows: Vec::new(),
            });
        };
        let starts: Vec<i64> = if last - first < MAX_WAITLIST_HOURS * QUARTERS {
            let mut starts = vec![first];
            let mut hour = first;
            while hour < last {
                // The next local hour; a shift of the zone's offset moves it off the 4-quarter
                // step, and `hour_of` finds where it starts.
                hour = hour_of(hour + QUARTERS).max(hour + 1);
                starts.push(hour);
            }
            starts
        } else {
            hours.keys().copied().collect()
        };
        let mut level = Counters::ZERO;
        let rows = starts
            .into_iter()
            .map(|hour| {
                let changes = hours.get(&hour).copied().unwrap_or_default();
                level.add(&changes);
                let local = zone.local(Timestamp::from_millis(hour * agg::QUARTER_MS));
                WaitlistHour {
                    starts_at: local.to_rfc3339(),
                    time: format!(
                        "{:04}-{:02}-{:02} {:02}:{:02}",
                        local.year, local.month, local.day, local.hour, local.minute
                    ),
                    waiting: count(level.waitlist_entries),
                    waiting_seats: count(level.waitlist_seats),
                    open_offers: count(open_offers(&level)),
                    joined: count(changes.waitlist_joined),
                    offers: count(changes.offers),
                    accepted: count(changes.offers_accepted),
                    declined: count(changes.offers_declined),
                    expired: count(changes.offers_expired),
                }
            })
            .collect();
        Ok(WaitlistLength {
            event,
            time_zone: zone.name().to_owned(),
            rows,
        })
    }
}
