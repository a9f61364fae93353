//! Analytics: reports for organizers (their own events) and admins (everything), maintained
//! incrementally from the event log.
//!
//! A log consumer (cursor [`CURSOR`], see `consumer.rs`) folds every entry into counter buckets
//! — totals, per-day, per-demographic-group and per-currency, each for the event, its organizer
//! and all events — and writes them with its advanced cursor in one transaction. A report therefore
//! reads the buckets it returns and never a ticket. Reports lag the log by at most one round of
//! the background consumer; [`Analytics::lag`] says how far behind it is, and
//! [`crate::Prasang::run_analytics_once`] catches up on the calling thread.
//!
//! What the counters mean:
//! - **visits**: event page views ([`crate::events::Events::get`]); reports never show fewer
//!   visits than holds (a hold made without a recorded view is its own visit);
//! - **holds**: holds taken: pending holds of paid tickets, and free bookings (holds confirmed
//!   at once), so visits ≥ holds ≥ bookings and conversion lies within 0 to 1;
//! - **bookings**: tickets that became booked (free bookings and confirmed payments), ever;
//! - **cancellations**, **expiries**: tickets cancelled (from pending or booked) or lapsed;
//! - **revenue**: confirmed payments minus refunds of cancelled booked tickets, in minor units,
//!   counted on the day of the payment or refund, and reported per currency only (minor units
//!   of two currencies never add up);
//! - **holders** (demographics): distinct users holding at least one booked ticket, in the
//!   demographic group of their profile when they booked;
//! - **ratings**: the current feedback of each user, in their group when they first rated;
//! - **waiting list**: entries joined and left, offers made and how they ended (accepted,
//!   declined, expired, withdrawn), seats recovered (those of accepted offers), and the list's
//!   length (entries and seats) now and hour by hour (see `waitlist.rs`).
//! - **waiting room**: people who took a place in an event's room and people it admitted, and
//!   the queue's length (joined less admitted), minute by minute (see `room.rs`).
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

mod attendance;
pub(crate) mod consumer;
pub mod csv;
mod groups;
mod room;
mod sales;
pub(crate) mod store;
mod top;
mod totals;
mod trends;
mod waitlist;

use serde::{Deserialize, Serialize};

pub use attendance::{
    ArrivalRow, Arrivals, Attendance, AttendanceByGroup, AttendanceByTicketType, GroupAttendance,
    MAX_ARRIVAL_QUARTERS, TypeAttendance,
};
pub use consumer::{CURSOR, ConsumerReport};
pub use groups::{DemographicRow, Demographics, GroupRating, RatingsByGroup};
pub use room::{MAX_QUEUE_MINUTES, QueueMinute, QueueOverTime};
pub use sales::{ByPromoCode, ByTicketType, CodeSales, Sales, TypeSales};
pub use top::{TOP_N, TopBy, TopEvent, TopEvents, TopParams};
pub use totals::{CurrencyTotals, Funnel, Popularity, Revenue};
pub use trends::{GroupBy, MAX_TREND_DAYS, TrendParams, TrendRow, Trends};
pub use waitlist::{MAX_WAITLIST_HOURS, WaitlistHour, WaitlistLength, WaitlistTotals};

pub(crate) use self::store::event_rating;
pub use self::store::{EntryState, EventRating};

use self::store::{self as agg, Counters, ScopeKey, read_totals, round3};
use self::store::{average, count};
use crate::auth::Actor;
use crate::context::Context;
use crate::error::{CommonError, domain_error};
use crate::events::record as event_record;
use crate::ids::{EventId, UserId};
use crate::log::Log;
use crate::store::{StoreError, codec};
use crate::users::Gender;
use crate::validate::FieldError;

/// Age groups of demographic reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(into = "&'static str", try_from = "String")]
pub enum AgeGroup {
    /// Under 18.
    Under18 = 0,
    /// 18–24.
    From18To24 = 1,
    /// 25–34.
    From25To34 = 2,
    /// 35–44.
    From35To44 = 3,
    /// 45–54.
    From45To54 = 4,
    /// 55–64.
    From55To64 = 5,
    /// 65 and over.
    From65 = 6,
    /// Not known: a guest, who bought without an account and told no age (stored as 0;
    /// registration asks for 13 or over). Last, so the stored groups of the others keep their
    /// numbers.
    Unknown = 7,
}

impl AgeGroup {
    /// Every group, youngest first, then [`AgeGroup::Unknown`].
    pub const ALL: [AgeGroup; 8] = [
        AgeGroup::Under18,
        AgeGroup::From18To24,
        AgeGroup::From25To34,
        AgeGroup::From35To44,
        AgeGroup::From45To54,
        AgeGroup::From55To64,
        AgeGroup::From65,
        AgeGroup::Unknown,
    ];

    /// The group of an age in years; [`AgeGroup::Unknown`] under 13, which no registration
    /// gives (a guest's age is 0: not told).
    pub fn of(age: u8) -> AgeGroup {
        match age {
            0..=12 => AgeGroup::Unknown,
            13..=17 => AgeGroup::Under18,
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
            AgeGroup::Unknown => "unknown",
        }
    }
}

impl From<AgeGroup> for &'static str {
    fn from(group: AgeGroup) -> Self {
        group.as_str()
    }
}

// Names are spelled once, in `as_str`.
impl TryFrom<String> for AgeGroup {
    type Error = String;

    fn try_from(name: String) -> Result<Self, String> {
        AgeGroup::ALL
            .into_iter()
            .find(|group| group.as_str() == name)
            .ok_or_else(|| format!("unknown age group {name}"))
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
    /// [`Analytics::by_ticket_type`] (one event only).
    ByTicketType,
    /// [`Analytics::by_promo_code`] (one event only).
    ByPromoCode,
    /// [`Analytics::attendance`].
    Attendance,
    /// [`Analytics::attendance_by_ticket_type`] (one event only).
    AttendanceByTicketType,
    /// [`Analytics::attendance_by_group`].
    AttendanceByGroup,
    /// [`Analytics::arrivals`] (one event only).
    Arrivals,
    /// [`Analytics::waitlist_totals`].
    WaitlistTotals,
    /// [`Analytics::waitlist_length`] (one event only).
    WaitlistLength,
    /// [`Analytics::waiting_room`] (one event only).
    WaitingRoom,
}

impl ReportName {
    /// Every report.
    pub const ALL: [ReportName; 16] = [
        ReportName::Popularity,
        ReportName::Demographics,
        ReportName::RatingsByGroup,
        ReportName::Trends,
        ReportName::TopEvents,
        ReportName::Funnel,
        ReportName::Revenue,
        ReportName::ByTicketType,
        ReportName::ByPromoCode,
        ReportName::Attendance,
        ReportName::AttendanceByTicketType,
        ReportName::AttendanceByGroup,
        ReportName::Arrivals,
        ReportName::WaitlistTotals,
        ReportName::WaitlistLength,
        ReportName::WaitingRoom,
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
            ReportName::ByTicketType => "by-ticket-type",
            ReportName::ByPromoCode => "by-promo-code",
            ReportName::Attendance => "attendance",
            ReportName::AttendanceByTicketType => "attendance-by-ticket-type",
            ReportName::AttendanceByGroup => "attendance-by-group",
            ReportName::Arrivals => "arrivals",
            ReportName::WaitlistTotals => "waitlist-totals",
            ReportName::WaitlistLength => "waitlist-length",
            ReportName::WaitingRoom => "waiting-room",
        }
    }

    /// The report called `name`; anything else is an invalid `report` field.
    pub fn parse(name: &str) -> Result<ReportName, AnalyticsError> {
        ReportName::ALL
            .into_iter()
            .find(|r| r.as_str() == name)
            .ok_or_else(|| {
                let names: Vec<_> = ReportName::ALL.iter().map(|r| r.as_str()).collect();
                FieldError::new(
                    "report",
                    format!("unknown report; use one of {}", names.join(", ")),
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

impl Scope {
    /// The event of a report that covers one event only (`by-ticket-type`, `by-promo-code`,
    /// `attendance-by-ticket-type`: ticket types and codes belong to one event; `arrivals`,
    /// `waitlist-length`, `waiting-room`: on its local clock); any other scope is an invalid
    /// `report`.
    pub fn event_only(self, report: ReportName) -> Result<EventId, AnalyticsError> {
        match self {
            Scope::Event(event) => Ok(event),
            _ => Err(FieldError::new(
                "report",
                format!(
                    "{} covers one event: ask for it under that event",
                    report.as_str()
                ),
            )
            .into()),
        }
    }
}

pub(super) fn ratio(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| round3(part as f64 / whole as f64))
}

/// How far the analytics consumer is behind the log.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Lag {
    /// Log entries not yet folded, counted up to [`crate::log::BACKLOG_COUNT_CAP`].
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
    /// How far the consumer is behind the log.
    pub fn lag(&self) -> Result<Lag, AnalyticsError> {
        let log = Log { inner: self.inner };
        let cursor = log.position(CURSOR)?;
        let oldest = log.entries(cursor, 1)?;
        let seconds = oldest.first().map_or(0.0, |entry| {
            let millis = self.inner.now().as_millis() - entry.at.as_millis();
            millis.max(0) as f64 / 1000.0
        });
        Ok(Lag {
            entries: log.backlog(cursor)?,
            seconds,
        })
    }

    /// Checks `actor` may read `scope` and returns its key.
    pub(super) fn authorize(
        &self,
        actor: &Actor,
        scope: Scope,
    ) -> Result<ScopeKey, AnalyticsError> {
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

    pub(super) fn totals(&self, scope: &ScopeKey) -> Result<Counters, StoreError> {
        read_totals(self.inner, scope)
    }

    pub(super) fn groups(&self, scope: &ScopeKey) -> Result<Vec<(Group, Counters)>, StoreError> {
        let mut prefix = vec![agg::GROUP];
        prefix.extend_from_slice(scope);
        let mut out = Vec::new();
        for item in self.inner.store.agg_counters.scan_prefix(prefix) {
            let (key, value) = item?;
            if let Some(group) = agg::group_from(&key) {
                out.push((group, codec::read(&value)?));
            }
        }
        Ok(out)
    }
}
