//! The waiting room over time: per minute of an event's local clock, the people who joined its
//! room, the people it admitted, and the queue's length at the minute's end (everyone who
//! joined so far less everyone admitted so far: a place is kept until it is admitted).

use std::collections::BTreeMap;

use serde::Serialize;

use super::store::{self as agg, Counters, count};
use super::{Analytics, AnalyticsError, Scope};
use crate::auth::Actor;
use crate::events::record as event_record;
use crate::ids::EventId;
use crate::time::Timestamp;
use crate::zone::Zone;

/// One minute of an event's waiting room, on its local clock.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QueueMinute {
    /// The minute's start on the event's local clock, RFC 3339 with its offset.
    pub starts_at: String,
    /// The same as `YYYY-MM-DD HH:MM`.
    pub time: String,
    /// People who took a place in the minute.
    pub joined: u64,
    /// People admitted in the minute.
    pub admitted: u64,
    /// People in the queue at the minute's end: joined so far less admitted so far.
    pub waiting: u64,
}

/// An event's waiting room minute by minute on its local clock, from the first minute anyone
/// joined to the last one anything happened; the queue stays as the last row says until
/// something changes. Every minute has a row when they are at most [`MAX_QUEUE_MINUTES`]
/// apart; otherwise only those in which something happened (the length is right in each).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QueueOverTime {
    /// The event.
    pub event: EventId,
    /// The event's zone, whose clock the rows follow.
    pub time_zone: String,
    /// The rows, oldest first.
    pub rows: Vec<QueueMinute>,
}

/// The longest span of minutes the report fills with quiet rows: one day.
pub const MAX_QUEUE_MINUTES: i64 = 24 * 60;

impl Analytics<'_> {
    /// One event's waiting room per minute on its local clock: joins, admissions and the
    /// queue's length.
    pub fn waiting_room(
        &self,
        actor: &Actor,
        event: EventId,
    ) -> Result<QueueOverTime, AnalyticsError> {
        self.authorize(actor, Scope::Event(event))?;
        let zone = event_record::load(&self.inner.store, event)?
            .map_or_else(Zone::utc, |record| Zone::stored(&record.time_zone));
        let mut minutes: BTreeMap<i64, Counters> = BTreeMap::new();
        for (key, c) in self.scan(&agg::sale_prefix(agg::ROOM, event))? {
            if let Some(minute) = agg::day_from(&key) {
                minutes.insert(minute, c);
            }
        }
        let span = match (minutes.keys().next(), minutes.keys().next_back()) {
            (Some(first), Some(last)) if last - first < MAX_QUEUE_MINUTES => {
                (*first..=*last).collect()
            }
            _ => minutes.keys().copied().collect::<Vec<_>>(),
        };
        let mut queue = 0;
        let rows = span
            .into_iter()
            .map(|minute| {
                let c = minutes.get(&minute).copied().unwrap_or_default();
                queue += c.queue_joined - c.queue_admitted;
                let local = zone.local(Timestamp::from_millis(minute * agg::MINUTE_MS));
                QueueMinute {
                    starts_at: local.to_rfc3339(),
                    time: format!(
                        "{:04}-{:02}-{:02} {:02}:{:02}",
                        local.year, local.month, local.day, local.hour, local.minute
                    ),
                    joined: count(c.queue_joined),
                    admitted: count(c.queue_admitted),
                    waiting: count(queue),
                }
            })
            .collect();
        Ok(QueueOverTime {
            event,
            time_zone: zone.name().to_owned(),
            rows,
        })
    }
}
