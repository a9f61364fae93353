//! The waiting room in the fold: each join and each admission counts in the event's `ROOM`
//! bucket of its minute. The queue's length at any time is the joins so far less the
//! admissions so far (a place is kept until it is admitted), so the report adds the buckets up
//! in order and nothing else is kept per person.

use super::Fold;
use crate::analytics::store::{self as agg, Counters};
use crate::log::{DomainEvent, LogEntry};
use crate::store::StoreError;

impl Fold<'_> {
    /// Folds a waiting room entry (others are not this module's); an event the consumer does
    /// not know is left out, like every other count.
    pub(super) fn room_entry(&mut self, entry: &LogEntry) -> Result<(), StoreError> {
        let (event, delta) = match &entry.event {
            DomainEvent::QueueJoined { event, .. } => (
                *event,
                Counters {
                    queue_joined: 1,
                    ..Counters::ZERO
                },
            ),
            DomainEvent::QueueAdmitted { event, .. } => (
                *event,
                Counters {
                    queue_admitted: 1,
                    ..Counters::ZERO
                },
            ),
            _ => return Ok(()),
        };
        if self.scopes(event)?.is_some() {
            let minute = entry.at.as_millis().div_euclid(agg::MINUTE_MS);
            self.bump(agg::room(event, minute), &delta);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::Timestamp;
    use crate::analytics::store::{self as agg, Counters};
    use crate::store::codec;
    use crate::testing;
    use crate::users::Role;
    use crate::waiting_room::{AdmissionRate, RoomSettings};

    const MINUTE: Duration = Duration::from_secs(60);

    /// A store from before the waiting room's analytics (its entries folded into nothing): the
    /// next round fills the minutes from the entries folded before; folding the whole log again
    /// from nothing gives the same report.
    #[test]
    fn minutes_are_filled_for_entries_folded_before_them_and_a_replay_agrees() {
        let (prasang, clock) = testing::on_manual_clock(Timestamp::from_millis(1_893_456_000_000));
        let organizer = testing::register(&prasang, "olga", Role::Organizer);
        let starts_at = prasang.now().plus(Duration::from_secs(86_400));
        let event = prasang
            .events()
            .create(&organizer, testing::free_event(starts_at, 10))
            .expect("event")
            .id;
        let room = RoomSettings {
            enabled: true,
            on_sale_at: prasang.now().plus(MINUTE),
            admission: AdmissionRate::PerMinute(1),
            pass_minutes: 10,
        };
        let room_api = prasang.waiting_room();
        room_api
            .configure(&organizer, event, room)
            .expect("room on");
        for name in ["ada", "bo", "cy"] {
            let who = testing::register(&prasang, name, Role::Attendee);
            room_api.join(&who, event).expect("join");
        }
        clock.advance(3 * MINUTE);
        assert!(room_api.admit_due().expect("admit") > 0);
        prasang.run_analytics_once().expect("fold");
        let report = || {
            prasang
                .analytics()
                .waiting_room(&organizer, event)
                .expect("report")
        };
        let folded = report();
        assert_eq!(folded.rows[0].joined, 3);
        assert!(folded.rows.iter().any(|row| row.admitted > 0));

        // Forget the room's buckets and the marker, as a store folded by an older version.
        let store = &prasang.inner.ctx.store;
        for item in store.agg_counters.scan_prefix([agg::ROOM]) {
            let (key, value) = item.expect("bucket");
            let counters: Counters = codec::read(&value).expect("read");
            assert!(counters.queue_joined + counters.queue_admitted > 0);
            store.agg_counters.remove(key).expect("remove");
        }
        store
            .cursors
            .remove("analytics-waiting-room")
            .expect("remove marker");
        assert!(report().rows.is_empty());
        prasang.run_analytics_once().expect("backfill");
        assert_eq!(report(), folded);
        prasang.run_analytics_once().expect("again");
        assert_eq!(report(), folded);

        testing::forget_analytics(&prasang);
        prasang.run_analytics_once().expect("replay");
        assert_eq!(report(), folded);
    }
}
