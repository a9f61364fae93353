//! Check-ins in the fold: each seat counts once however often it is scanned; an undo, or the
//! ticket's cancellation, takes it out of the buckets it went into (kept with it in
//! `agg_admissions`, so a later change of the holder's profile or of the event's types does not
//! move it).

use std::collections::BTreeMap;

use super::{Fold, quarter_of};
use crate::analytics::store::{self as agg, Admission, Counters, ScopeKey};
use crate::events::TicketTypeId;
use crate::ids::{EventId, TicketId, UserId};
use crate::store::{StoreError, codec};
use crate::tickets::TicketLine;
use crate::tickets::record as ticket_record;
use crate::time::Timestamp;

/// The seats of one ticket checked in: as stored when the batch first touched the ticket, and
/// now.
#[derive(Default)]
pub(super) struct TicketCheckIns {
    pub(super) stored: Vec<u32>,
    pub(super) seats: BTreeMap<u32, Admission>,
}

/// One scan that admitted a seat, as the log has it.
pub(super) struct Scan<'e> {
    pub(super) event: EventId,
    pub(super) ticket: TicketId,
    pub(super) seat: u32,
    pub(super) gate: &'e str,
    pub(super) scanned_at: Timestamp,
    pub(super) offline: bool,
}

/// The type of seat `seat` (numbered from 1) of a ticket with `lines`: the seats of the first
/// line come first, then the next line's, in order.
pub(crate) fn seat_type(lines: &[TicketLine], seat: u32) -> TicketTypeId {
    let mut last = 0u32;
    for line in lines {
        last = last.saturating_add(line.quantity);
        if seat <= last {
            return line.ticket_type;
        }
    }
    lines.last().map_or(1, |line| line.ticket_type)
}

impl Fold<'_> {
    /// The seats of `ticket` checked in, read from `agg_admissions` the first time the batch
    /// touches it.
    fn check_ins(
        &mut self,
        event: EventId,
        ticket: TicketId,
    ) -> Result<&mut TicketCheckIns, StoreError> {
        if !self.check_ins.contains_key(&(event, ticket)) {
            let mut loaded = TicketCheckIns::default();
            let prefix = agg::admissions_of(event, ticket);
            for item in self.inner.store.agg_admissions.scan_prefix(prefix) {
                let (key, value) = item?;
                if let Some((_, _, seat)) = agg::admission_from(&key) {
                    loaded.stored.push(seat);
                    loaded.seats.insert(seat, codec::read(&value)?);
                }
            }
            self.check_ins.insert((event, ticket), loaded);
        }
        Ok(self.check_ins.entry((event, ticket)).or_default())
    }

    /// The group `user` counts in for `event`: that of their booked tickets (a holder's), else
    /// their profile's.
    pub(super) fn holder_group(
        &mut self,
        event: EventId,
        user: UserId,
    ) -> Result<(u8, u8), StoreError> {
        if let Some(member) = self.member(agg::member(agg::HOLDER, event, user))? {
            return Ok((member.gender, member.age));
        }
        let info = self.user(user)?;
        Ok((info.gender, info.age))
    }

    /// Adds `seats` check-ins (and `tickets` tickets with one) of `admission` to its buckets.
    fn count_check_in(
        &mut self,
        scopes: &[ScopeKey; 3],
        event: EventId,
        admission: &Admission,
        seats: i64,
        tickets: i64,
    ) {
        let seat = Counters {
            admitted: seats,
            ..Counters::ZERO
        };
        self.totals(
            scopes,
            Counters {
                admitted_tickets: tickets,
                ..seat
            },
        );
        self.groups(scopes, admission.group(), seat);
        self.bump(agg::admit_type(event, admission.ticket_type), &seat);
        self.bump(agg::arrival(event, quarter_of(admission.scanned_at)), &seat);
    }

    /// A seat admitted: counted unless it already is.
    pub(super) fn admitted(&mut self, scan: Scan<'_>) -> Result<(), StoreError> {
        let Some(scopes) = self.scopes(scan.event)? else {
            return Ok(());
        };
        let Some(ticket) = ticket_record::load(&self.inner.store, scan.ticket)? else {
            return Ok(());
        };
        if ticket.event != scan.event {
            return Ok(());
        }
        let (gender, age) = self.holder_group(scan.event, ticket.user)?;
        let admission = Admission {
            scanned_at: scan.scanned_at,
            gate: scan.gate.to_owned(),
            offline: scan.offline,
            ticket_type: seat_type(&ticket.lines, scan.seat),
            gender,
            age,
        };
        let check_ins = self.check_ins(scan.event, scan.ticket)?;
        if check_ins.seats.contains_key(&scan.seat) {
            return Ok(());
        }
        let first = check_ins.seats.is_empty();
        check_ins.seats.insert(scan.seat, admission.clone());
        self.count_check_in(&scopes, scan.event, &admission, 1, i64::from(first));
        Ok(())
    }

    /// An admission undone: the seat is taken back out.
    pub(super) fn admission_undone(
        &mut self,
        event: EventId,
        ticket: TicketId,
        seat: u32,
    ) -> Result<(), StoreError> {
        let Some(scopes) = self.scopes(event)? else {
            return Ok(());
        };
        let check_ins = self.check_ins(event, ticket)?;
        let Some(admission) = check_ins.seats.remove(&seat) else {
            return Ok(());
        };
        let last = check_ins.seats.is_empty();
        self.count_check_in(&scopes, event, &admission, -1, -i64::from(last));
        Ok(())
    }

    /// A ticket cancelled: its seats are no longer booked, so none of them counts as checked in
    /// (attendance never exceeds the seats booked).
    pub(super) fn check_ins_cancelled(
        &mut self,
        scopes: &[ScopeKey; 3],
        event: EventId,
        ticket: TicketId,
    ) -> Result<(), StoreError> {
        let taken = std::mem::take(&mut self.check_ins(event, ticket)?.seats);
        for (index, admission) in taken.values().enumerate() {
            self.count_check_in(scopes, event, admission, -1, -i64::from(index == 0));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analytics::{Attendance, Scope};
    use crate::auth::Actor;
    use crate::log::DomainEvent;
    use crate::testing::{self, append};
    use crate::tickets::{BookingLine, BookingRequest};
    use crate::users::{Gender, Role};
    use crate::{Config, Prasang};

    #[test]
    fn seats_take_the_types_of_the_lines_in_order() {
        let line = |ticket_type, quantity| TicketLine {
            ticket_type,
            quantity,
            unit_price_minor: 0,
            discount_minor: 0,
        };
        let lines = [line(2, 2), line(5, 1)];
        let types: Vec<_> = (1..=4).map(|seat| seat_type(&lines, seat)).collect();
        // Seats 1–2 are the first line's, 3 the second's; past the end reads as the last.
        assert_eq!(types, vec![2, 2, 5, 5]);
        assert_eq!(seat_type(&[], 1), 1);
    }

    /// 2030-01-01 13:30 UTC: 19:00 in Kolkata (UTC+05:30).
    const DOORS: i64 = 1_893_504_600_000;

    fn minutes(n: i64) -> Timestamp {
        Timestamp::from_millis(DOORS + n * 60_000)
    }

    /// Everything the attendance reports and the check-in table say about `event`.
    fn reports(prasang: &Prasang, organizer: &Actor, event: EventId) -> String {
        let analytics = prasang.analytics();
        let scope = Scope::Event(event);
        let admin = prasang.auth().system_actor();
        let by_group: Vec<_> = analytics
            .attendance_by_group(organizer, scope)
            .expect("by group")
            .groups
            .into_iter()
            .filter(|g| g.attendance.booked_seats > 0)
            .collect();
        format!(
            "{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}",
            analytics.attendance(organizer, scope).expect("attendance"),
            analytics
                .attendance_by_ticket_type(organizer, event)
                .expect("by type")
                .types,
            by_group,
            analytics.arrivals(organizer, event).expect("arrivals"),
            analytics
                .funnel(organizer, scope)
                .expect("funnel")
                .checked_in,
            prasang.export().check_ins(&admin).expect("check-ins"),
        )
    }

    fn seats(booked: u64, checked_in: u64) -> Attendance {
        Attendance {
            booked_seats: booked,
            checked_in,
            no_shows: booked - checked_in,
            rate: (booked > 0).then(|| {
                let rate = checked_in as f64 / booked as f64;
                (rate * 1000.0).round() / 1000.0
            }),
        }
    }

    /// Check-ins by hand: a seat scanned twice counts once, an undone one is taken back (and
    /// may enter again), a cancelled ticket's seats no longer count; folding the whole log
    /// again from nothing gives the same reports.
    #[test]
    fn attendance_by_hand_with_undo_cancellation_and_replay() {
        let (prasang, _clock) = testing::on_manual_clock(minutes(-7 * 24 * 60));
        let organizer = testing::register(&prasang, "olga", Role::Organizer);
        let new = crate::events::NewEvent {
            time_zone: Some("Asia/Kolkata".into()),
            per_user_limit: Some(10),
            ..testing::free_event(minutes(0), 100)
        };
        let event = prasang.events().create(&organizer, new).expect("event").id;
        let child = testing::child_type(&prasang, &organizer, event, 0);
        let ada = testing::person(&prasang, "ada", Role::Attendee, Gender::Female, 22);
        let bo = testing::person(&prasang, "bo", Role::Attendee, Gender::Male, 35);
        let book = |who: &Actor, lines: Vec<BookingLine>| {
            let request = BookingRequest {
                pass: None,
                attendee_names: Default::default(),
                event,
                quantity: 0,
                idempotency_key: None,
                lines,
                promo_code: None,
            };
            prasang.tickets().book(who, &request).expect("book").ticket
        };
        let line = |ticket_type, quantity| BookingLine {
            ticket_type,
            quantity,
        };
        // Ada: seats 1–2 Admission, seat 3 Child. Bo: one Admission seat.
        let ada_ticket = book(&ada, vec![line(1, 2), line(child, 1)]).id;
        let bo_ticket = book(&bo, vec![line(1, 1)]).id;
        // The log's own times stay before the event (so Ada may still cancel); the scans carry
        // the door's.
        let admitted = |ticket, seat, gate: &str, at: i64, offline| DomainEvent::Admitted {
            event,
            ticket,
            seat,
            gate: gate.into(),
            by: organizer.user_id(),
            scanned_at: minutes(at),
            offline,
        };
        let undone = |ticket, seat| DomainEvent::AdmissionUndone {
            event,
            ticket,
            seat,
            by: organizer.user_id(),
        };
        append(&prasang, admitted(ada_ticket, 1, "North", 5, false));
        append(&prasang, admitted(bo_ticket, 1, "North", 7, false));
        prasang.run_analytics_once().expect("fold");
        // In later batches: ada's seat 1 again (an offline gate), her Child seat, Bo undone and
        // admitted again at another gate.
        append(&prasang, admitted(ada_ticket, 1, "South", 6, true));
        append(&prasang, admitted(ada_ticket, 3, "South", 25, true));
        append(&prasang, undone(bo_ticket, 1));
        append(&prasang, undone(bo_ticket, 1));
        prasang.run_analytics_once().expect("fold");
        append(&prasang, admitted(bo_ticket, 1, "East", 45, false));
        prasang.run_analytics_once().expect("fold");

        let analytics = prasang.analytics();
        let scope = Scope::Event(event);
        assert_eq!(
            analytics.attendance(&organizer, scope).expect("attendance"),
            seats(4, 3)
        );
        let by_type = analytics
            .attendance_by_ticket_type(&organizer, event)
            .expect("by type");
        let by_type: Vec<_> = by_type
            .types
            .iter()
            .map(|t| (t.ticket_type, t.attendance))
            .collect();
        assert_eq!(by_type, vec![(1, seats(3, 2)), (child, seats(1, 1))]);
        let by_group = analytics
            .attendance_by_group(&organizer, scope)
            .expect("by group");
        let by_group: Vec<_> = by_group
            .groups
            .iter()
            .filter(|g| g.attendance.booked_seats > 0)
            .map(|g| (g.gender, g.age_group, g.attendance))
            .collect();
        use crate::analytics::AgeGroup::{From18To24, From35To44};
        assert_eq!(
            by_group,
            vec![
                (Gender::Female, From18To24, seats(3, 2)),
                (Gender::Male, From35To44, seats(1, 1)),
            ]
        );
        // The arrival curve on Kolkata's clock, every quarter hour from the first to the last.
        let arrivals = analytics.arrivals(&organizer, event).expect("arrivals");
        assert_eq!(arrivals.time_zone, "Asia/Kolkata");
        let curve: Vec<_> = arrivals
            .rows
            .iter()
            .map(|r| (r.time.as_str(), r.checked_in))
            .collect();
        assert_eq!(
            curve,
            vec![("19:00", 1), ("19:15", 1), ("19:30", 0), ("19:45", 1)]
        );
        assert_eq!(arrivals.rows[0].starts_at, "2030-01-01T19:00:00+05:30");
        let funnel = analytics.funnel(&organizer, scope).expect("funnel");
        assert_eq!((funnel.booked, funnel.checked_in), (2, 2));
        let admin = prasang.auth().system_actor();
        let table: Vec<_> = prasang
            .export()
            .check_ins(&admin)
            .expect("check-ins")
            .into_iter()
            .map(|c| {
                (
                    c.ticket,
                    c.seat,
                    c.ticket_type,
                    c.gate,
                    c.scanned_at,
                    c.offline,
                )
            })
            .collect();
        let mut expected = vec![
            (ada_ticket, 1, 1, "North".to_owned(), minutes(5), false),
            (ada_ticket, 3, child, "South".to_owned(), minutes(25), true),
            (bo_ticket, 1, 1, "East".to_owned(), minutes(45), false),
        ];
        expected.sort_by_key(|row| (row.0, row.1));
        assert_eq!(table, expected);

        // Ada's ticket is cancelled: her seats no longer count anywhere.
        prasang.tickets().cancel(&ada, ada_ticket).expect("cancel");
        prasang.run_analytics_once().expect("fold");
        assert_eq!(
            analytics.attendance(&organizer, scope).expect("attendance"),
            seats(1, 1)
        );
        let curve: Vec<_> = analytics
            .arrivals(&organizer, event)
            .expect("arrivals")
            .rows
            .iter()
            .map(|r| (r.time.clone(), r.checked_in))
            .collect();
        assert_eq!(curve, vec![("19:45".to_owned(), 1)]);
        assert_eq!(
            analytics
                .funnel(&organizer, scope)
                .expect("funnel")
                .checked_in,
            1
        );
        let before = reports(&prasang, &organizer, event);
        assert_eq!(prasang.export().check_ins(&admin).expect("rows").len(), 1);

        // Replay: forget every aggregate and fold the whole log again, in one batch.
        testing::forget_analytics(&prasang);
        prasang.run_analytics_once().expect("replay");
        assert_eq!(reports(&prasang, &organizer, event), before);
        // A round with nothing new changes nothing.
        prasang.run_analytics_once().expect("again");
        assert_eq!(reports(&prasang, &organizer, event), before);
    }

    /// A store from before group seat counts: the next round fills them from the bookings and
    /// cancellations folded before, so attendance by group has its seats booked.
    #[test]
    fn group_seats_are_filled_for_entries_folded_before_them() {
        let prasang = Prasang::open(Config::temporary().background_tasks(false)).expect("open");
        let organizer = testing::register(&prasang, "olga", Role::Organizer);
        let starts_at = prasang.now().plus(std::time::Duration::from_secs(86_400));
        let new = crate::events::NewEvent {
            per_user_limit: Some(10),
            ..testing::free_event(starts_at, 10)
        };
        let event = prasang.events().create(&organizer, new).expect("event").id;
        let ada = testing::person(&prasang, "ada", Role::Attendee, Gender::Female, 22);
        let request = BookingRequest {
            pass: None,
            attendee_names: Default::default(),
            event,
            quantity: 3,
            idempotency_key: None,
            lines: Vec::new(),
            promo_code: None,
        };
        prasang.tickets().book(&ada, &request).expect("book");
        let again = prasang.tickets().book(&ada, &request).expect("book").ticket;
        prasang.tickets().cancel(&ada, again.id).expect("cancel");
        prasang.run_analytics_once().expect("fold");
        let booked = || {
            let groups = prasang
                .analytics()
                .attendance_by_group(&organizer, Scope::Event(event))
                .expect("by group")
                .groups;
            groups
                .iter()
                .map(|g| g.attendance.booked_seats)
                .sum::<u64>()
        };
        assert_eq!(booked(), 3);

        // Forget the group buckets' seats and the marker, as a store folded by an older version.
        let store = &prasang.inner.ctx.store;
        for item in store.agg_counters.scan_prefix([agg::GROUP]) {
            let (key, value) = item.expect("bucket");
            let mut counters: Counters = codec::read(&value).expect("read");
            counters.seats_booked = 0;
            store
                .agg_counters
                .insert(key, codec::write(&counters))
                .expect("write");
        }
        store
            .cursors
            .remove("analytics-group-seats")
            .expect("remove marker");
        assert_eq!(booked(), 0);
        prasang.run_analytics_once().expect("backfill");
        assert_eq!(booked(), 3);
        prasang.run_analytics_once().expect("again");
        assert_eq!(booked(), 3);
    }
}
