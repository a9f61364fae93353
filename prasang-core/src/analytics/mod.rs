//! Analytics: reports for organizers (their own events) and admins (everything), maintained
//! incrementally from the event log.
//!
//! A log consumer (cursor [`CURSOR`], see `consumer.rs`) folds every entry into counter buckets
//! — totals, per-day and per-demographic-group, each for the event, its organizer and all
//! events — and writes them with its advanced cursor in one transaction. A report therefore
//! reads the buckets it returns and never a ticket. Reports lag the log by at most one round of
//! the background consumer; [`Analytics::lag`] says how far behind it is, and
//! [`crate::Prasang::run_analytics_once`] catches up on the calling thread.
//!
//! What the counters mean:
//! - **visits**: event page views ([`crate::events::Events::get`]);
//! - **holds**: pending holds taken (paid tickets awaiting payment);
//! - **bookings**: tickets that became booked (free bookings and confirmed payments), ever;
//! - **cancellations**, **expiries**: tickets cancelled (from pending or booked) or lapsed;
//! - **revenue**: confirmed payments minus refunds of cancelled booked tickets, in minor units,
//!   counted on the day of the payment or refund (sums across events add minor units of each
//!   event's currency as they are);
//! - **holders** (demographics): distinct users holding at least one booked ticket, in the
//!   demographic group of their profile when they booked;
//! - **ratings**: the current feedback of each user, in their group when they first rated.
//!
//! ```
//! use prasang_core::{Config, Prasang};
//! use prasang_core::analytics::Scope;
//!
//! let prasang = Prasang::open(Config::temporary())?;
//! let admin = prasang.auth().system_actor();
//! prasang.run_analytics_once()?;
//! let popularity = prasang.analytics().popularity(&admin, Scope::All)?;
//! assert_eq!(popularity.bookings, 0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub(crate) mod consumer;
pub mod csv;
pub(crate) mod store;

use std::fmt;

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

pub use consumer::{CURSOR, ConsumerReport};

pub use self::store::EventRating;
pub(crate) use self::store::event_rating;

use self::store::{self as agg, Counters, ScopeKey, average, count, read_totals, round3};
use crate::auth::Actor;
use crate::context::Context;
use crate::error::{CommonError, domain_error};
use crate::events::record as event_record;
use crate::ids::{EventId, UserId};
use crate::log::Log;
use crate::store::{StoreError, codec};
use crate::users::Gender;
use crate::validate::FieldError;
use crate::zone::Zone;

/// Longest date range a trend report covers.
pub const MAX_TREND_DAYS: i64 = 3_653;
/// How many events a top-events report lists.
pub const TOP_N: usize = 10;

/// Age groups of demographic reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum AgeGroup {
    /// Under 18.
    #[serde(rename = "under_18")]
    Under18 = 0,
    /// 18–24.
    #[serde(rename = "18_24")]
    From18To24 = 1,
    /// 25–34.
    #[serde(rename = "25_34")]
    From25To34 = 2,
    /// 35–44.
    #[serde(rename = "35_44")]
    From35To44 = 3,
    /// 45–54.
    #[serde(rename = "45_54")]
    From45To54 = 4,
    /// 55–64.
    #[serde(rename = "55_64")]
    From55To64 = 5,
    /// 65 and over.
    #[serde(rename = "65_plus")]
    From65 = 6,
}

impl AgeGroup {
    /// Every group, youngest first.
    pub const ALL: [AgeGroup; 7] = [
        AgeGroup::Under18,
        AgeGroup::From18To24,
        AgeGroup::From25To34,
        AgeGroup::From35To44,
        AgeGroup::From45To54,
        AgeGroup::From55To64,
        AgeGroup::From65,
    ];

    /// The group of an age in years.
    pub fn of(age: u8) -> AgeGroup {
        match age {
            0..=17 => AgeGroup::Under18,
            18..=24 => AgeGroup::From18To24,
            25..=34 => AgeGroup::From25To34,
            35..=44 => AgeGroup::From35To44,
            45..=54 => AgeGroup::From45To54,
            55..=64 => AgeGroup::From55To64,
            _ => AgeGroup::From65,
        }
    }

    pub(crate) fn from_byte(byte: u8) -> Option<AgeGroup> {
        AgeGroup::ALL.get(usize::from(byte)).copied()
    }

    /// The name used in JSON and CSV (`18_24`).
    pub fn as_str(self) -> &'static str {
        match self {
            AgeGroup::Under18 => "under_18",
            AgeGroup::From18To24 => "18_24",
            AgeGroup::From25To34 => "25_34",
            AgeGroup::From35To44 => "35_44",
            AgeGroup::From45To54 => "45_54",
            AgeGroup::From55To64 => "55_64",
            AgeGroup::From65 => "65_plus",
        }
    }
}

/// A demographic group: gender × age group.
pub type Group = (Gender, AgeGroup);

pub(crate) fn gender_str(gender: Gender) -> &'static str {
    match gender {
        Gender::Female => "female",
        Gender::Male => "male",
        Gender::NonBinary => "non_binary",
        Gender::Undisclosed => "undisclosed",
    }
}

/// The reports, by the names front ends use (`popularity`, `ratings-by-group`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportName {
    /// [`Analytics::popularity`].
    Popularity,
    /// [`Analytics::demographics`].
    Demographics,
    /// [`Analytics::ratings_by_group`].
    RatingsByGroup,
    /// [`Analytics::trends`].
    Trends,
    /// [`Analytics::top_events`].
    TopEvents,
    /// [`Analytics::funnel`].
    Funnel,
    /// [`Analytics::revenue`].
    Revenue,
}

impl ReportName {
    /// Every report.
    pub const ALL: [ReportName; 7] = [
        ReportName::Popularity,
        ReportName::Demographics,
        ReportName::RatingsByGroup,
        ReportName::Trends,
        ReportName::TopEvents,
        ReportName::Funnel,
        ReportName::Revenue,
    ];

    /// The name.
    pub fn as_str(self) -> &'static str {
        match self {
            ReportName::Popularity => "popularity",
            ReportName::Demographics => "demographics",
            ReportName::RatingsByGroup => "ratings-by-group",
            ReportName::Trends => "trends",
            ReportName::TopEvents => "top-events",
            ReportName::Funnel => "funnel",
            ReportName::Revenue => "revenue",
        }
    }

    /// The report called `name`; anything else is an invalid `report` field.
    pub fn parse(name: &str) -> Result<ReportName, AnalyticsError> {
        ReportName::ALL
            .into_iter()
            .find(|r| r.as_str() == name)
            .ok_or_else(|| {
                FieldError::new(
                    "report",
                    "unknown report; use popularity, demographics, ratings-by-group, trends, \
                     top-events, funnel or revenue",
                )
                .into()
            })
    }
}

/// Which events a report covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// One event (its organizer and admins).
    Event(EventId),
    /// Every event of one organizer (that organizer and admins).
    Organizer(UserId),
    /// Every event (admins).
    All,
}

fn ratio(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| round3(part as f64 / whole as f64))
}

/// Popularity: how many looked, booked, cancelled, lapsed, and how they rated it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Popularity {
    /// Event page views.
    pub visits: u64,
    /// Tickets that became booked.
    pub bookings: u64,
    /// Tickets cancelled.
    pub cancellations: u64,
    /// Holds that lapsed.
    pub expiries: u64,
    /// bookings / visits (none without visits).
    pub conversion: Option<f64>,
    /// Mean rating.
    pub average_rating: Option<f64>,
    /// Ratings given.
    pub rating_count: u64,
}

/// One demographic group of ticket holders.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DemographicRow {
    /// Gender.
    pub gender: Gender,
    /// Age group.
    pub age_group: AgeGroup,
    /// Distinct users holding a booked ticket.
    pub holders: u64,
}

/// Demographics of ticket holders: every gender × age group (zeros included), with totals per
/// gender and per age group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Demographics {
    /// Holders in total.
    pub holders: u64,
    /// Per gender.
    pub by_gender: Vec<(Gender, u64)>,
    /// Per age group.
    pub by_age_group: Vec<(AgeGroup, u64)>,
    /// Per gender × age group.
    pub groups: Vec<DemographicRow>,
}

/// The mean rating of one demographic group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupRating {
    /// Gender.
    pub gender: Gender,
    /// Age group.
    pub age_group: AgeGroup,
    /// Ratings given by the group.
    pub count: u64,
    /// Their mean (none without ratings).
    pub average: Option<f64>,
}

/// Ratings by demographic group (groups that rated, in gender then age order).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RatingsByGroup {
    /// One row per group with at least one rating.
    pub groups: Vec<GroupRating>,
}

/// How trend rows are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    /// UTC days.
    Day,
    /// ISO weeks (Monday to Sunday, UTC).
    Week,
    /// Calendar months (UTC).
    Month,
}

/// Parameters of a trend report, as text so every front end validates them alike.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrendParams {
    /// First day, `YYYY-MM-DD` (default: 29 days before `to`).
    pub from: Option<String>,
    /// Last day, inclusive, `YYYY-MM-DD` (default: today, UTC).
    pub to: Option<String>,
    /// `day` (default), `week` or `month`.
    pub group_by: Option<String>,
    /// IANA time zone whose local days (weeks, months) the rows cover (default: UTC).
    pub time_zone: Option<String>,
}

/// One period of a trend.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrendRow {
    /// `2030-01-07`, `2030-W02` or `2030-01`.
    pub period: String,
    /// First day of the period (clipped to the range), `YYYY-MM-DD`.
    pub starts_on: String,
    /// Tickets that became booked.
    pub bookings: u64,
    /// Tickets cancelled.
    pub cancellations: u64,
    /// Payments minus refunds, minor units.
    pub revenue_minor: i64,
}

/// Bookings, cancellations and revenue over time; every period of the range has a row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Trends {
    /// Grouping.
    pub group_by: GroupBy,
    /// First day.
    pub from: String,
    /// Last day.
    pub to: String,
    /// The zone whose local days the rows cover.
    pub time_zone: String,
    /// One row per period, oldest first.
    pub rows: Vec<TrendRow>,
}

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
    /// Revenue, minor units.
    pub revenue_minor: i64,
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

/// The path from a page view to a booking.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Funnel {
    /// Event page views.
    pub visits: u64,
    /// Pending holds taken.
    pub holds: u64,
    /// Tickets booked (free bookings and confirmed payments).
    pub booked: u64,
    /// Tickets cancelled.
    pub cancelled: u64,
    /// Holds that lapsed.
    pub expired: u64,
}

/// Revenue and seat utilisation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Revenue {
    /// Confirmed payments minus refunds, minor units.
    pub revenue_minor: i64,
    /// Seats booked now.
    pub seats_booked: u64,
    /// Seats on sale.
    pub capacity: u64,
    /// seats_booked / capacity.
    pub utilisation: Option<f64>,
}

/// How far the analytics consumer is behind the log.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Lag {
    /// Log entries not yet folded.
    pub entries: u64,
    /// Age of the oldest entry not yet folded, seconds (0 when caught up).
    pub seconds: f64,
}

/// Errors of the analytics API.
#[derive(Debug, thiserror::Error)]
pub enum AnalyticsError {
    /// Shared refusals and failures: invalid parameter, event not found, forbidden, storage.
    #[error(transparent)]
    Common(#[from] CommonError),
}

domain_error!(AnalyticsError {});

/// Reports. Obtained from [`crate::Prasang::analytics`].
pub struct Analytics<'a> {
    pub(crate) inner: &'a Context,
}

impl Analytics<'_> {
    /// Visits, bookings, cancellations, expiries, conversion and rating.
    pub fn popularity(&self, actor: &Actor, scope: Scope) -> Result<Popularity, AnalyticsError> {
        let c = self.totals(&self.authorize(actor, scope)?)?;
        Ok(Popularity {
            visits: count(c.visits),
            bookings: count(c.bookings),
            cancellations: count(c.cancellations),
            expiries: count(c.expiries),
            conversion: ratio(c.bookings, c.visits),
            average_rating: average(c.rating_sum, c.rating_count),
            rating_count: count(c.rating_count),
        })
    }

    /// Ticket holders by gender and age group.
    pub fn demographics(
        &self,
        actor: &Actor,
        scope: Scope,
    ) -> Result<Demographics, AnalyticsError> {
        let groups = self.groups(&self.authorize(actor, scope)?)?;
        let mut rows = Vec::with_capacity(28);
        for gender in GENDERS {
            for age_group in AgeGroup::ALL {
                let holders = groups
                    .iter()
                    .find(|(g, _)| *g == (gender, age_group))
                    .map_or(0, |(_, c)| count(c.holders));
                rows.push(DemographicRow {
                    gender,
                    age_group,
                    holders,
                });
            }
        }
        let by_gender = GENDERS
            .iter()
            .map(|g| {
                let n = rows.iter().filter(|r| r.gender == *g).map(|r| r.holders);
                (*g, n.sum())
            })
            .collect();
        let by_age_group = AgeGroup::ALL
            .iter()
            .map(|a| {
                let n = rows.iter().filter(|r| r.age_group == *a).map(|r| r.holders);
                (*a, n.sum())
            })
            .collect();
        Ok(Demographics {
            holders: rows.iter().map(|r| r.holders).sum(),
            by_gender,
            by_age_group,
            groups: rows,
        })
    }

    /// Mean rating per gender × age group.
    pub fn ratings_by_group(
        &self,
        actor: &Actor,
        scope: Scope,
    ) -> Result<RatingsByGroup, AnalyticsError> {
        let groups = self.groups(&self.authorize(actor, scope)?)?;
        let mut rows: Vec<_> = groups
            .into_iter()
            .filter(|(_, c)| c.rating_count > 0)
            .map(|((gender, age_group), c)| GroupRating {
                gender,
                age_group,
                count: count(c.rating_count),
                average: average(c.rating_sum, c.rating_count),
            })
            .collect();
        rows.sort_by_key(|r| (agg::gender_byte(r.gender), r.age_group));
        Ok(RatingsByGroup { groups: rows })
    }

    /// Bookings, cancellations and revenue per day, ISO week or month over a date range.
    pub fn trends(
        &self,
        actor: &Actor,
        scope: Scope,
        params: &TrendParams,
    ) -> Result<Trends, AnalyticsError> {
        let zone = match params.time_zone.as_deref() {
            Some(name) => Zone::check("time_zone", name)?,
            None => Zone::utc(),
        };
        let today = zone.local(self.inner.now());
        let today = date_of_parts(today.year, today.month, today.day)
            .map(day_of)
            .unwrap_or_else(|| self.inner.now().day_number());
        let (from, to, group_by) = parse_trend(params, today)?;
        let scope = self.authorize(actor, scope)?;
        let days = if zone == Zone::utc() {
            self.utc_days(&scope, from, to)?
        } else {
            self.local_days(&scope, &zone, from, to)?
        };
        let mut rows: Vec<TrendRow> = Vec::new();
        let mut next = days.into_iter().peekable();
        let mut day = from;
        while day <= to {
            let (period, period_end) = period_of(day, group_by);
            let last = period_end.min(to);
            let mut row = TrendRow {
                period,
                starts_on: date_text(day),
                bookings: 0,
                cancellations: 0,
                revenue_minor: 0,
            };
            while let Some((d, c)) = next.next_if(|(d, _)| *d <= last) {
                debug_assert!(d >= day);
                row.bookings += count(c.bookings);
                row.cancellations += count(c.cancellations);
                row.revenue_minor += c.revenue_minor;
            }
            rows.push(row);
            day = last + 1;
        }
        Ok(Trends {
            group_by,
            from: date_text(from),
            to: date_text(to),
            time_zone: zone.name().to_owned(),
            rows,
        })
    }

    /// The day buckets of `scope` from day `from` to `to` (UTC days), oldest first.
    fn utc_days(
        &self,
        scope: &ScopeKey,
        from: i64,
        to: i64,
    ) -> Result<Vec<(i64, Counters)>, AnalyticsError> {
        let range = agg::day(scope, from)..=agg::day(scope, to);
        let mut days = Vec::new();
        for item in self.inner.store.agg_counters.range(range) {
            let (key, value) = item.map_err(StoreError::from)?;
            if let Some(day) = agg::day_from(&key) {
                days.push((day, codec::decode("agg_counters", &value)?));
            }
        }
        Ok(days)
    }

    /// The local days `from` to `to` of `zone`, summed from the quarter-hour buckets of `scope`
    /// (a local day starts on a quarter hour in every zone in use; 23 or 25 hours long across a
    /// daylight-saving change).
    fn local_days(
        &self,
        scope: &ScopeKey,
        zone: &Zone,
        from: i64,
        to: i64,
    ) -> Result<Vec<(i64, Counters)>, AnalyticsError> {
        // starts[i]: the first quarter hour of local day from + i; one more for the end.
        let mut starts = Vec::new();
        for day in from..=to + 1 {
            let start = date_of(day)
                .and_then(|d| zone.start_of_day(d.year(), d.month(), d.day()))
                .ok_or_else(|| FieldError::new("to", "is out of range"))?;
            starts.push(start.as_millis().div_euclid(agg::QUARTER_MS));
        }
        let (first, end) = (starts[0], starts[starts.len() - 1]);
        let mut days: Vec<(i64, Counters)> = Vec::new();
        for item in self
            .inner
            .store
            .agg_counters
            .range(agg::quarter(scope, first)..agg::quarter(scope, end))
        {
            let (key, value) = item.map_err(StoreError::from)?;
            let Some(quarter) = agg::day_from(&key) else {
                continue;
            };
            let counters: Counters = codec::decode("agg_counters", &value)?;
            let day = from + starts.partition_point(|start| *start <= quarter) as i64 - 1;
            match days.last_mut() {
                Some((last, sum)) if *last == day => sum.add(&counters),
                _ => days.push((day, counters)),
            }
        }
        Ok(days)
    }

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
                        candidates.push((event, codec::decode("agg_counters", &value)?));
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
            let title = event_record::load(&self.inner.store, event)?
                .map(|e| e.title)
                .unwrap_or_default();
            events.push(TopEvent {
                rank: rank as u32 + 1,
                event,
                title,
                bookings: count(c.bookings),
                revenue_minor: c.revenue_minor,
                average_rating: average(c.rating_sum, c.rating_count),
                rating_count: count(c.rating_count),
            });
        }
        Ok(TopEvents { by, events })
    }

    /// Visits → holds → booked → cancelled or expired.
    pub fn funnel(&self, actor: &Actor, scope: Scope) -> Result<Funnel, AnalyticsError> {
        let c = self.totals(&self.authorize(actor, scope)?)?;
        Ok(Funnel {
            visits: count(c.visits),
            holds: count(c.holds),
            booked: count(c.bookings),
            cancelled: count(c.cancellations),
            expired: count(c.expiries),
        })
    }

    /// Revenue (confirmed payments minus refunds) and seat utilisation.
    pub fn revenue(&self, actor: &Actor, scope: Scope) -> Result<Revenue, AnalyticsError> {
        let c = self.totals(&self.authorize(actor, scope)?)?;
        Ok(Revenue {
            revenue_minor: c.revenue_minor,
            seats_booked: count(c.seats_booked),
            capacity: count(c.capacity),
            utilisation: ratio(c.seats_booked, c.capacity),
        })
    }

    /// How far the consumer is behind the log.
    pub fn lag(&self) -> Result<Lag, AnalyticsError> {
        let log = Log { inner: self.inner };
        let cursor = log.position(CURSOR)?;
        let last = self.inner.store.log.last().map_err(StoreError::from)?;
        let end = last
            .and_then(|(key, _)| crate::store::keys::seq_from_key(&key))
            .map_or(0, |seq| seq + 1);
        let oldest = log.entries(cursor, 1)?;
        let seconds = oldest.first().map_or(0.0, |entry| {
            let millis = self.inner.now().as_millis() - entry.at.as_millis();
            millis.max(0) as f64 / 1000.0
        });
        Ok(Lag {
            entries: end.saturating_sub(cursor),
            seconds,
        })
    }

    /// Checks `actor` may read `scope` and returns its key.
    fn authorize(&self, actor: &Actor, scope: Scope) -> Result<ScopeKey, AnalyticsError> {
        match scope {
            Scope::Event(event) => {
                event_record::require_run_by(
                    &self.inner.store,
                    actor,
                    event,
                    "only the event's organizer can read its analytics",
                )?;
                Ok(agg::event_scope(event))
            }
            Scope::Organizer(organizer) => {
                if !actor.can_access_account(organizer) || !actor.can_organize() {
                    return Err(CommonError::Forbidden(
                        "organizers can read the analytics of their own events only",
                    )
                    .into());
                }
                Ok(agg::organizer_scope(organizer))
            }
            Scope::All => {
                actor.require_admin("only admins can read analytics across all events")?;
                Ok(agg::ALL)
            }
        }
    }

    fn totals(&self, scope: &ScopeKey) -> Result<Counters, StoreError> {
        read_totals(self.inner, scope)
    }

    fn groups(&self, scope: &ScopeKey) -> Result<Vec<(Group, Counters)>, StoreError> {
        let mut prefix = vec![agg::GROUP];
        prefix.extend_from_slice(scope);
        let mut out = Vec::new();
        for item in self.inner.store.agg_counters.scan_prefix(prefix) {
            let (key, value) = item?;
            if let Some(group) = agg::group_from(&key) {
                out.push((group, codec::decode("agg_counters", &value)?));
            }
        }
        Ok(out)
    }
}

const GENDERS: [Gender; 4] = [
    Gender::Female,
    Gender::Male,
    Gender::NonBinary,
    Gender::Undisclosed,
];

fn date_of_parts(year: i16, month: u8, day: u8) -> Option<Date> {
    Date::new(year, i8::try_from(month).ok()?, i8::try_from(day).ok()?).ok()
}

const UNIX_EPOCH_DAY: Date = jiff::civil::date(1970, 1, 1);

/// The date `day` days after 1970-01-01.
fn date_of(day: i64) -> Option<Date> {
    UNIX_EPOCH_DAY
        .checked_add(jiff::Span::new().try_days(day).ok()?)
        .ok()
}

/// Days since 1970-01-01.
fn day_of(date: Date) -> i64 {
    date.since(UNIX_EPOCH_DAY)
        .map_or(0, |span| i64::from(span.get_days()))
}

fn date_text(day: i64) -> String {
    match date_of(day) {
        Some(date) => format!("{:04}-{:02}-{:02}", date.year(), date.month(), date.day()),
        None => day.to_string(),
    }
}

fn parse_date(field: &'static str, text: &str) -> Result<i64, FieldError> {
    let bad = || FieldError::new(field, "must be a date such as 2030-01-31");
    let mut parts = text.trim().splitn(3, '-');
    let (Some(y), Some(m), Some(d)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(bad());
    };
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return Err(bad());
    }
    let year: i16 = y.parse().map_err(|_| bad())?;
    let month: u8 = m.parse().map_err(|_| bad())?;
    let day: u8 = d.parse().map_err(|_| bad())?;
    let date = date_of_parts(year, month, day).ok_or_else(bad)?;
    Ok(day_of(date))
}

fn parse_trend(params: &TrendParams, today: i64) -> Result<(i64, i64, GroupBy), FieldError> {
    let group_by = match params.group_by.as_deref().map(str::trim) {
        None | Some("day") => GroupBy::Day,
        Some("week") => GroupBy::Week,
        Some("month") => GroupBy::Month,
        Some(_) => {
            return Err(FieldError::new(
                "group_by",
                "must be one of day, week, month",
            ));
        }
    };
    let to = match params.to.as_deref() {
        Some(text) => parse_date("to", text)?,
        None => today,
    };
    let from = match params.from.as_deref() {
        Some(text) => parse_date("from", text)?,
        None => to - 29,
    };
    if to < from {
        return Err(FieldError::new("to", "must not be before from"));
    }
    if to - from + 1 > MAX_TREND_DAYS {
        return Err(FieldError::new(
            "to",
            "the range may cover at most 10 years (3653 days)",
        ));
    }
    Ok((from, to, group_by))
}

/// The label of the period holding `day`, and the period's last day.
fn period_of(day: i64, group_by: GroupBy) -> (String, i64) {
    let Some(date) = date_of(day) else {
        return (day.to_string(), day);
    };
    match group_by {
        GroupBy::Day => (date_text(day), day),
        GroupBy::Week => {
            let week = date.iso_week_date();
            let last = day + 6 - i64::from(week.weekday().to_monday_zero_offset());
            (format!("{:04}-W{:02}", week.year(), week.week()), last)
        }
        GroupBy::Month => {
            let last = day_of(date.last_of_month());
            (format!("{:04}-{:02}", date.year(), date.month()), last)
        }
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

impl fmt::Display for GroupBy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            GroupBy::Day => "day",
            GroupBy::Week => "week",
            GroupBy::Month => "month",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip_and_periods_end_where_they_should() {
        let day = parse_date("from", "2030-01-01").expect("date");
        assert_eq!(date_text(day), "2030-01-01");
        // 2030-01-01 is a Tuesday in ISO week 1; the week ends Sunday 2030-01-06.
        let (label, last) = period_of(day, GroupBy::Week);
        assert_eq!(
            (label.as_str(), date_text(last).as_str()),
            ("2030-W01", "2030-01-06")
        );
        let (label, last) = period_of(day, GroupBy::Month);
        assert_eq!(
            (label.as_str(), date_text(last).as_str()),
            ("2030-01", "2030-01-31")
        );
        assert!(parse_date("from", "2030-02-30").is_err());
        assert!(parse_date("from", "30-01-01").is_err());
    }

    #[test]
    fn bad_ranges_name_the_field() {
        let params = |from: &str, to: &str| TrendParams {
            from: Some(from.into()),
            to: Some(to.into()),
            group_by: None,
            time_zone: None,
        };
        let err = parse_trend(&params("2030-01-02", "2030-01-01"), 0).unwrap_err();
        assert_eq!(err.field, "to");
        let err = parse_trend(&params("2000-01-01", "2030-01-01"), 0).unwrap_err();
        assert_eq!(err.field, "to");
        let bad_group = TrendParams {
            group_by: Some("year".into()),
            ..TrendParams::default()
        };
        assert_eq!(parse_trend(&bad_group, 0).unwrap_err().field, "group_by");
    }
}
