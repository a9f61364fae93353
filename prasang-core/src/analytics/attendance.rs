//! Attendance: seats checked in at the door against seats booked (per event or scope, per ticket
//! type, per demographic group), and the arrival curve (check-ins per quarter hour on the
//! event's local clock).
//!
//! A seat counts once however often it was scanned; an undone admission, or a cancelled ticket,
//! no longer counts. *No-shows* are the booked seats not checked in (before the doors close,
//! those still to come).

use serde::Serialize;

use super::groups::GENDERS;
use super::store::{self as agg, Counters};
use super::{AgeGroup, Analytics, AnalyticsError, Scope, count, ratio};
use crate::auth::Actor;
use crate::events::TicketTypeId;
use crate::events::record as event_record;
use crate::ids::EventId;
use crate::store::{StoreError, codec};
use crate::time::Timestamp;
use crate::users::Gender;
use crate::zone::Zone;

/// Seats booked and checked in.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Attendance {
    /// Seats booked now.
    pub booked_seats: u64,
    /// Of those, seats checked in.
    pub checked_in: u64,
    /// booked_seats − checked_in.
    pub no_shows: u64,
    /// checked_in / booked_seats (none without bookings).
    pub rate: Option<f64>,
}

impl Attendance {
    fn of(booked: i64, checked_in: i64) -> Attendance {
        Attendance {
            booked_seats: count(booked),
            checked_in: count(checked_in),
            no_shows: count(booked - checked_in),
            rate: ratio(checked_in, booked),
        }
    }
}

/// The attendance of one ticket type.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TypeAttendance {
    /// The type's number within the event.
    pub ticket_type: TicketTypeId,
    /// Its name now (empty if it no longer exists).
    pub name: String,
    /// Its seats.
    #[serde(flatten)]
    pub attendance: Attendance,
}

/// An event's attendance per ticket type: every type in display order (zeros included), then
/// types deleted since that still have seats.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AttendanceByTicketType {
    /// The event.
    pub event: EventId,
    /// The rows.
    pub types: Vec<TypeAttendance>,
}

/// The attendance of one demographic group (of the ticket holder).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupAttendance {
    /// Gender.
    pub gender: Gender,
    /// Age group.
    pub age_group: AgeGroup,
    /// The group's seats.
    #[serde(flatten)]
    pub attendance: Attendance,
}

/// Attendance by the holder's gender × age group: every group, zeros included, in gender then
/// age order. A seat counts in the group its holder's tickets count in (see `demographics`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AttendanceByGroup {
    /// The rows.
    pub groups: Vec<GroupAttendance>,
}

/// Check-ins in one quarter hour.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ArrivalRow {
    /// The quarter hour's start on the event's local clock, RFC 3339 with its offset.
    pub starts_at: String,
    /// The same as `HH:MM`.
    pub time: String,
    /// Seats checked in that were scanned in it (by the gate's clock).
    pub checked_in: u64,
}

/// An event's arrival curve: check-ins per quarter hour of scanning, on the event's local clock.
/// Every quarter hour from the first check-in to the last has a row when they are at most
/// [`MAX_ARRIVAL_QUARTERS`] apart; otherwise (a gate with a wrong clock) only those with
/// check-ins do.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Arrivals {
    /// The event.
    pub event: EventId,
    /// The event's zone, whose clock the rows follow.
    pub time_zone: String,
    /// The rows, oldest first.
    pub rows: Vec<ArrivalRow>,
}

/// The longest span of quarter hours an arrival curve fills with zero rows: three days.
pub const MAX_ARRIVAL_QUARTERS: i64 = 3 * 24 * 4;

impl Analytics<'_> {
    /// Seats booked, checked in and not (yet) checked in.
    pub fn attendance(&self, actor: &Actor, scope: Scope) -> Result<Attendance, AnalyticsError> {
        let c = self.totals(&self.authorize(actor, scope)?)?;
        Ok(Attendance::of(c.seats_booked, c.admitted))
    }

    /// [`Analytics::attendance`] per ticket type of one event.
    pub fn attendance_by_ticket_type(
        &self,
        actor: &Actor,
        event: EventId,
    ) -> Result<AttendanceByTicketType, AnalyticsError> {
        self.authorize(actor, Scope::Event(event))?;
        let types = event_record::sale_state(&self.inner.store, event)?
            .map(|sale| sale.types)
            .unwrap_or_default();
        // (type, seats booked, checked in), in display order, then types only buckets know.
        let mut rows: Vec<(TicketTypeId, i64, i64)> = types.iter().map(|t| (t.id, 0, 0)).collect();
        let mut add = |id: TicketTypeId, booked: i64, admitted: i64| match rows
            .iter_mut()
            .find(|r| r.0 == id)
        {
            Some(row) => {
                row.1 += booked;
                row.2 += admitted;
            }
            None => rows.push((id, booked, admitted)),
        };
        // Seats booked are in the sale buckets, one per currency the type sold in.
        for (key, c) in self.scan(&agg::sale_prefix(agg::TYPE, event))? {
            if let Some(id) = agg::sale_from(&key).and_then(|(_, name)| agg::type_from(name)) {
                add(id, c.seats_booked, 0);
            }
        }
        for (key, c) in self.scan(&agg::sale_prefix(agg::ADMIT_TYPE, event))? {
            if let Some(id) = key.get(18..).and_then(agg::type_from) {
                add(id, 0, c.admitted);
            }
        }
        let types = rows
            .into_iter()
            .map(|(id, booked, admitted)| TypeAttendance {
                ticket_type: id,
                name: types
                    .iter()
                    .find(|t| t.id == id)
                    .map(|t| t.name.clone())
                    .unwrap_or_default(),
                attendance: Attendance::of(booked, admitted),
            })
            .collect();
        Ok(AttendanceByTicketType { event, types })
    }

    /// [`Analytics::attendance`] per gender × age group of the ticket holders.
    pub fn attendance_by_group(
        &self,
        actor: &Actor,
        scope: Scope,
    ) -> Result<AttendanceByGroup, AnalyticsError> {
        let groups = self.groups(&self.authorize(actor, scope)?)?;
        let mut rows = Vec::with_capacity(GENDERS.len() * AgeGroup::ALL.len());
        for gender in GENDERS {
            for age_group in AgeGroup::ALL {
                let c = groups
                    .iter()
                    .find(|(g, _)| *g == (gender, age_group))
                    .map_or(Counters::ZERO, |(_, c)| *c);
                rows.push(GroupAttendance {
                    gender,
                    age_group,
                    attendance: Attendance::of(c.seats_booked, c.admitted),
                });
            }
        }
        Ok(AttendanceByGroup { groups: rows })
    }

    /// Check-ins per quarter hour of one event, on its local clock.
    pub fn arrivals(&self, actor: &Actor, event: EventId) -> Result<Arrivals, AnalyticsError> {
        self.authorize(actor, Scope::Event(event))?;
        let zone = event_record::load(&self.inner.store, event)?
            .map_or_else(Zone::utc, |record| Zone::stored(&record.time_zone));
        let mut quarters = Vec::new();
        for (key, c) in self.scan(&agg::sale_prefix(agg::ARRIVAL, event))? {
            if let Some(quarter) = agg::day_from(&key) {
                quarters.push((quarter, c.admitted));
            }
        }
        let fill = match (quarters.first(), quarters.last()) {
            (Some(first), Some(last)) => last.0 - first.0 < MAX_ARRIVAL_QUARTERS,
            _ => false,
        };
        let mut rows = Vec::new();
        let mut next = quarters.iter().peekable();
        let mut quarter = quarters.first().map_or(0, |q| q.0);
        while let Some((at, admitted)) = next.peek().copied() {
            let checked_in = if *at == quarter {
                next.next();
                *admitted
            } else if fill {
                0
            } else {
                quarter = *at;
                continue;
            };
            let local = zone.local(Timestamp::from_millis(quarter * agg::QUARTER_MS));
            rows.push(ArrivalRow {
                starts_at: local.to_rfc3339(),
                time: format!("{:02}:{:02}", local.hour, local.minute),
                checked_in: count(checked_in),
            });
            quarter += 1;
        }
        Ok(Arrivals {
            event,
            time_zone: zone.name().to_owned(),
            rows,
        })
    }

    /// Every bucket under `prefix`, in key order.
    pub(super) fn scan(&self, prefix: &[u8]) -> Result<Vec<(Vec<u8>, Counters)>, StoreError> {
        let mut out = Vec::new();
        for item in self.inner.store.agg_counters.scan_prefix(prefix) {
            let (key, value) = item?;
            out.push((key.to_vec(), codec::read(&value)?));
        }
        Ok(out)
    }
}
