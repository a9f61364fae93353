//! The waiting list and organizer messages in the fold.
//!
//! Each entry is kept in `agg_waitlist` (its seats, its state, its offers' outcome), so an entry
//! that stops waiting — offered seats, or leaving or removed while waiting — takes exactly the
//! seats it added off the list's length, whatever the log entry carries. Every change counts in
//! the totals of the event's three scopes and, for the list's curve, in the event's
//! quarter-hour `WAITLIST` bucket.
//!
//! Each message is kept in `agg_messages` under its log sequence number, without its text.

use super::{Fold, quarter_of};
use crate::analytics::store::{self as agg, Counters, EntryState, MessageRow, WaitlistRow};
use crate::events::TicketTypeId;
use crate::ids::{EventId, TicketId, UserId};
use crate::log::{DomainEvent, LogEntry};
use crate::messages::Segment;
use crate::store::{StoreError, codec};
use crate::time::Timestamp;

/// An entry no longer waits (it holds an offer, or it is off the list).
fn stops_waiting(row: &WaitlistRow) -> Counters {
    Counters {
        waitlist_entries: -1,
        waitlist_seats: -i64::from(row.seats),
        ..Counters::ZERO
    }
}

/// How an offer, or the entry holding it, came off the list.
#[derive(Clone, Copy)]
pub(super) enum Outcome {
    Accepted {
        seats: u32,
        ticket: TicketId,
    },
    Declined,
    Expired,
    /// The entry left (`by` its user) or was removed, with `offered` seats on offer.
    Left {
        by: UserId,
        offered: u32,
    },
}

impl Fold<'_> {
    /// The entry `entry` of `event`, read from `agg_waitlist` the first time the batch touches
    /// it.
    fn waitlist_row(
        &mut self,
        event: EventId,
        entry: u64,
    ) -> Result<Option<WaitlistRow>, StoreError> {
        let key = agg::waitlist_entry(event, entry);
        if let Some(row) = self.waitlist.get(&key) {
            return Ok(row.clone());
        }
        let stored: Option<WaitlistRow> = codec::get(&self.inner.store.agg_waitlist, &key)?;
        self.waitlist.insert(key, stored.clone());
        Ok(stored)
    }

    /// Adds `delta` to the totals of `event`'s scopes and to its list's bucket of `at`; false
    /// (nothing counted) for an event the consumer does not know.
    fn waitlist_count(
        &mut self,
        event: EventId,
        at: Timestamp,
        delta: Counters,
    ) -> Result<bool, StoreError> {
        let Some(scopes) = self.scopes(event)? else {
            return Ok(false);
        };
        self.totals(&scopes, delta);
        self.bump(agg::waitlist(event, quarter_of(at)), &delta);
        Ok(true)
    }

    /// Someone joined `event`'s list: the entry and its seats are on it.
    pub(super) fn waitlist_joined(
        &mut self,
        at: Timestamp,
        event: EventId,
        user: UserId,
        ticket_type: TicketTypeId,
        seats: u32,
        entry: u64,
    ) -> Result<(), StoreError> {
        if self.scopes(event)?.is_none() || self.waitlist_row(event, entry)?.is_some() {
            return Ok(());
        }
        let row = WaitlistRow {
            user,
            ticket_type,
            seats,
            joined_at: at,
            state: EntryState::Waiting,
            offers: 0,
            offered_seats: 0,
            deadline: None,
            ended_at: None,
            ticket: None,
        };
        let delta = Counters {
            waitlist_joined: 1,
            waitlist_entries: 1,
            waitlist_seats: i64::from(seats),
            ..Counters::ZERO
        };
        self.waitlist_count(event, at, delta)?;
        self.waitlist
            .insert(agg::waitlist_entry(event, entry), Some(row));
        Ok(())
    }

    /// Seats were offered to an entry.
    pub(super) fn waitlist_offered(
        &mut self,
        at: Timestamp,
        event: EventId,
        entry: u64,
        seats: u32,
        deadline: Timestamp,
    ) -> Result<(), StoreError> {
        let delta = Counters {
            offers: 1,
            offered_seats: i64::from(seats),
            ..Counters::ZERO
        };
        if !self.waitlist_count(event, at, delta)? {
            return Ok(());
        }
        if let Some(mut row) = self.waitlist_row(event, entry)? {
            if row.state == EntryState::Waiting {
                self.waitlist_count(event, at, stops_waiting(&row))?;
            }
            row.state = EntryState::Offered;
            row.offers = row.offers.saturating_add(1);
            row.offered_seats = seats;
            row.deadline = Some(deadline);
            self.waitlist
                .insert(agg::waitlist_entry(event, entry), Some(row));
        }
        Ok(())
    }

    /// An entry came off the list: its offer accepted, declined or lapsed, or it left.
    pub(super) fn waitlist_ended(
        &mut self,
        at: Timestamp,
        event: EventId,
        entry: u64,
        outcome: Outcome,
    ) -> Result<(), StoreError> {
        let row = self.waitlist_row(event, entry)?;
        let (state, mut delta) = match outcome {
            Outcome::Accepted { seats, .. } => (
                EntryState::Accepted,
                Counters {
                    offers_accepted: 1,
                    seats_recovered: i64::from(seats),
                    ..Counters::ZERO
                },
            ),
            Outcome::Declined => (
                EntryState::Declined,
                Counters {
                    offers_declined: 1,
                    ..Counters::ZERO
                },
            ),
            Outcome::Expired => (
                EntryState::Expired,
                Counters {
                    offers_expired: 1,
                    ..Counters::ZERO
                },
            ),
            Outcome::Left { by, offered } => {
                let user = row.as_ref().map(|row| row.user);
                let state = if user == Some(by) {
                    EntryState::Left
                } else {
                    EntryState::Removed
                };
                let delta = Counters {
                    waitlist_left: 1,
                    offers_withdrawn: i64::from(offered > 0),
                    ..Counters::ZERO
                };
                (state, delta)
            }
        };
        let Some(mut row) = row else {
            self.waitlist_count(event, at, delta)?;
            return Ok(());
        };
        if row.state == EntryState::Waiting {
            delta.add(&stops_waiting(&row));
        }
        if !self.waitlist_count(event, at, delta)? {
            return Ok(());
        }
        row.state = state;
        row.ended_at = Some(at);
        if let Outcome::Accepted { ticket, .. } = outcome {
            row.ticket = Some(ticket);
        }
        self.waitlist
            .insert(agg::waitlist_entry(event, entry), Some(row));
        Ok(())
    }

    /// A message was sent: kept without its text.
    pub(super) fn message_sent(
        &mut self,
        entry: &LogEntry,
        event: EventId,
        by: UserId,
        segment: &Segment,
        subject: &str,
        body: &str,
    ) {
        let chars = |text: &str| u32::try_from(text.chars().count()).unwrap_or(u32::MAX);
        self.messages.push((
            entry.seq,
            MessageRow {
                event,
                by,
                segment: *segment,
                sent_at: entry.at,
                subject_chars: chars(subject),
                body_chars: chars(body),
            },
        ));
    }

    /// Folds a waiting list or message entry (others are not this module's).
    pub(super) fn waitlist_entry(&mut self, entry: &LogEntry) -> Result<(), StoreError> {
        let at = entry.at;
        match &entry.event {
            DomainEvent::WaitlistJoined {
                event,
                user,
                ticket_type,
                seats,
                entry,
            } => self.waitlist_joined(at, *event, *user, *ticket_type, *seats, *entry),
            DomainEvent::WaitlistOffered {
                event,
                seats,
                entry,
                deadline,
                ..
            } => self.waitlist_offered(at, *event, *entry, *seats, *deadline),
            DomainEvent::WaitlistOfferAccepted {
                event,
                entry,
                seats,
                ticket,
                ..
            } => {
                let outcome = Outcome::Accepted {
                    seats: *seats,
                    ticket: *ticket,
                };
                self.waitlist_ended(at, *event, *entry, outcome)
            }
            DomainEvent::WaitlistOfferDeclined { event, entry, .. } => {
                self.waitlist_ended(at, *event, *entry, Outcome::Declined)
            }
            DomainEvent::WaitlistOfferExpired { event, entry, .. } => {
                self.waitlist_ended(at, *event, *entry, Outcome::Expired)
            }
            DomainEvent::WaitlistLeft {
                event,
                entry,
                offered,
                by,
                ..
            } => {
                let outcome = Outcome::Left {
                    by: *by,
                    offered: *offered,
                };
                self.waitlist_ended(at, *event, *entry, outcome)
            }
            DomainEvent::MessageSent {
                event,
                by,
                segment,
                subject,
                body,
            } => {
                if self.scopes(*event)?.is_some() {
                    self.message_sent(entry, *event, *by, segment, subject, body);
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Prasang;
    use crate::analytics::{Scope, WaitlistTotals};
    use crate::auth::Actor;
    use crate::export::{MessageSummary, WaitlistRow as Row};
    use crate::testing::{self, append};
    use crate::users::Role;

    /// 2030-01-01 00:00 UTC.
    const DAY0: i64 = 1_893_456_000_000;

    /// `hour:minute` on 2030-01-01 in Kolkata (UTC+05:30).
    fn kolkata(hour: i64, minute: i64) -> Timestamp {
        Timestamp::from_millis(DAY0 + (hour * 60 + minute - 330) * 60_000)
    }

    /// Everything the waiting list reports and tables say.
    fn reports(prasang: &Prasang, organizer: &Actor, event: EventId) -> String {
        let analytics = prasang.analytics();
        let admin = prasang.auth().system_actor();
        format!(
            "{:?}\n{:?}\n{:?}\n{:?}\n{:?}",
            analytics.waitlist_totals(organizer, Scope::Event(event)),
            analytics.waitlist_totals(organizer, Scope::Organizer(organizer.user_id())),
            analytics.waitlist_length(organizer, event),
            prasang.export().waitlist(&admin),
            prasang.export().messages(&admin),
        )
    }

    /// A waiting list by hand, folded over several batches: each way off the list takes the
    /// entry's own seats off it (whatever the entry ending it carries), the hourly curve
    /// follows the event's clock with quiet hours filled, messages keep no text, and folding
    /// the whole log again from nothing gives the same reports.
    #[test]
    fn waiting_list_by_hand_over_batches_and_replay() {
        let (prasang, clock) = testing::on_manual_clock(kolkata(9, 0));
        let organizer = testing::register(&prasang, "olga", Role::Organizer);
        let new = crate::events::NewEvent {
            time_zone: Some("Asia/Kolkata".into()),
            ..testing::free_event(
                kolkata(9, 0).plus(std::time::Duration::from_secs(86_400)),
                10,
            )
        };
        let event = prasang.events().create(&organizer, new).expect("event").id;
        let [ada, bo, cy, dee, eve] = ["ada", "bo", "cy", "dee", "eve"]
            .map(|n| testing::register(&prasang, n, Role::Attendee));
        let at = |hour, minute, entry: DomainEvent| {
            clock.set(kolkata(hour, minute));
            append(&prasang, entry);
        };
        let joined = |who: &Actor, entry, seats| DomainEvent::WaitlistJoined {
            event,
            user: who.user_id(),
            ticket_type: 1,
            seats,
            entry,
        };
        let offered = |who: &Actor, entry, seats| DomainEvent::WaitlistOffered {
            event,
            user: who.user_id(),
            ticket_type: 1,
            seats,
            entry,
            deadline: kolkata(23, 0),
        };
        let totals = || {
            prasang
                .analytics()
                .waitlist_totals(&organizer, Scope::Event(event))
                .expect("waitlist")
        };
        let ticket = TicketId::generate();

        at(10, 5, joined(&ada, 1, 2));
        at(10, 6, joined(&bo, 2, 1));
        at(10, 20, joined(&cy, 3, 3));
        at(11, 10, offered(&ada, 1, 2));
        prasang.run_analytics_once().expect("fold");
        let open = totals();
        assert_eq!((open.waiting, open.waiting_seats), (2, 4));
        assert_eq!((open.offers, open.open_offers), (1, 1));
        assert_eq!(open.acceptance_rate, None);

        // Ada accepts (the stored entry is read back in a later batch), Bo declines.
        let user = ada.user_id();
        at(
            11,
            40,
            DomainEvent::WaitlistOfferAccepted {
                event,
                user,
                entry: 1,
                seats: 2,
                ticket,
            },
        );
        at(12, 30, offered(&bo, 2, 1));
        let user = bo.user_id();
        at(
            12,
            31,
            DomainEvent::WaitlistOfferDeclined {
                event,
                user,
                entry: 2,
                seats: 1,
            },
        );
        prasang.run_analytics_once().expect("fold");
        // Cy is offered what fits (1 of 3) and lets it lapse: all 3 of Cy's seats leave.
        at(13, 10, offered(&cy, 3, 1));
        let user = cy.user_id();
        at(
            13,
            15,
            DomainEvent::WaitlistOfferExpired {
                event,
                user,
                entry: 3,
                seats: 1,
            },
        );
        at(13, 20, joined(&dee, 4, 1));
        let user = dee.user_id();
        let left = |entry, offered, by: &Actor| DomainEvent::WaitlistLeft {
            event,
            user,
            entry,
            offered,
            by: by.user_id(),
        };
        at(13, 50, left(4, 0, &dee));
        // Nothing at 14:00; Eve joins and is offered a seat, and the organizer removes her later.
        at(15, 5, joined(&eve, 5, 2));
        at(15, 10, offered(&eve, 5, 1));
        let user = eve.user_id();
        at(
            16,
            5,
            DomainEvent::WaitlistLeft {
                event,
                user,
                entry: 5,
                offered: 1,
                by: organizer.user_id(),
            },
        );
        prasang.run_analytics_once().expect("fold");

        let expected = WaitlistTotals {
            joined: 5,
            left: 2,
            waiting: 0,
            waiting_seats: 0,
            offers: 4,
            offered_seats: 5,
            accepted: 1,
            declined: 1,
            expired: 1,
            withdrawn: 1,
            open_offers: 0,
            seats_recovered: 2,
            acceptance_rate: Some(0.25),
        };
        assert_eq!(totals(), expected);
        // The organizer's and everyone's scopes count the same (one event).
        let admin = prasang.auth().system_actor();
        let all = prasang
            .analytics()
            .waitlist_totals(&admin, Scope::All)
            .expect("all");
        assert_eq!(all, expected);

        let length = prasang
            .analytics()
            .waitlist_length(&organizer, event)
            .expect("length");
        assert_eq!(length.time_zone, "Asia/Kolkata");
        assert_eq!(length.rows[0].starts_at, "2030-01-01T10:00:00+05:30");
        let curve: Vec<_> = length
            .rows
            .iter()
            .map(|r| {
                let flows = (r.joined, r.offers, r.accepted, r.declined, r.expired);
                let levels = (r.waiting, r.waiting_seats, r.open_offers);
                (r.time.as_str(), levels, flows)
            })
            .collect();
        assert_eq!(
            curve,
            vec![
                ("2030-01-01 10:00", (3, 6, 0), (3, 0, 0, 0, 0)),
                ("2030-01-01 11:00", (2, 4, 0), (0, 1, 1, 0, 0)),
                ("2030-01-01 12:00", (1, 3, 0), (0, 1, 0, 1, 0)),
                ("2030-01-01 13:00", (0, 0, 0), (1, 1, 0, 0, 1)),
                ("2030-01-01 14:00", (0, 0, 0), (0, 0, 0, 0, 0)),
                ("2030-01-01 15:00", (0, 0, 1), (1, 1, 0, 0, 0)),
                ("2030-01-01 16:00", (0, 0, 0), (0, 0, 0, 0, 0)),
            ]
        );

        let rows = prasang.export().waitlist(&admin).expect("rows");
        let states: Vec<_> = rows.iter().map(|r| (r.entry, r.state, r.seats)).collect();
        assert_eq!(
            states,
            vec![
                (1, EntryState::Accepted, 2),
                (2, EntryState::Declined, 1),
                (3, EntryState::Expired, 3),
                (4, EntryState::Left, 1),
                (5, EntryState::Removed, 2),
            ]
        );
        assert_eq!(
            rows[0],
            Row {
                event,
                entry: 1,
                user: ada.user_id(),
                ticket_type: 1,
                seats: 2,
                joined_at: kolkata(10, 5),
                state: EntryState::Accepted,
                offers: 1,
                offered_seats: 2,
                offer_deadline: Some(kolkata(23, 0)),
                ended_at: Some(kolkata(11, 40)),
                ticket: Some(ticket),
            }
        );
        // Others' events' analytics are not the organizer's to read.
        let stranger = testing::register(&prasang, "sam", Role::Organizer);
        assert!(
            prasang
                .analytics()
                .waitlist_length(&stranger, event)
                .is_err()
        );

        // Replay: forget every aggregate and fold the whole log again, in one batch.
        let before = reports(&prasang, &organizer, event);
        testing::forget_analytics(&prasang);
        prasang.run_analytics_once().expect("replay");
        assert_eq!(reports(&prasang, &organizer, event), before);
        prasang.run_analytics_once().expect("again");
        assert_eq!(reports(&prasang, &organizer, event), before);
    }

    /// A message sent through the messages API is kept with its id, segment, sender, time and
    /// the lengths of its text, never the text itself.
    #[test]
    fn messages_keep_no_text() {
        let (prasang, clock) = testing::on_manual_clock(kolkata(9, 0));
        let organizer = testing::register(&prasang, "olga", Role::Organizer);
        let starts_at = kolkata(9, 0).plus(std::time::Duration::from_secs(86_400));
        let event = prasang
            .events()
            .create(&organizer, testing::free_event(starts_at, 10))
            .expect("event")
            .id;
        clock.set(kolkata(16, 0));
        let segment = Segment::TicketType { ticket_type: 1 };
        let draft = crate::messages::MessageDraft {
            subject: "Türen öffnen später".into(),
            body: "Doors at 20:00.".into(),
            segment,
        };
        let sent = prasang
            .messages()
            .send(&organizer, event, draft)
            .expect("send");
        prasang.run_analytics_once().expect("fold");
        let admin = prasang.auth().system_actor();
        let messages = prasang.export().messages(&admin).expect("messages");
        assert_eq!(messages.len(), 1);
        let MessageSummary {
            message,
            event: of,
            sent_by,
            segment: to,
            sent_at,
            subject_chars,
            body_chars,
        } = messages[0].clone();
        assert_eq!(message, sent.id);
        assert_eq!(
            (of, sent_by, to, sent_at),
            (event, organizer.user_id(), segment, kolkata(16, 0))
        );
        // Characters, not bytes.
        assert_eq!((subject_chars, body_chars), (19, 15));
        let stored = prasang.inner.ctx.store.agg_messages.iter().values();
        for value in stored {
            let bytes = value.expect("value");
            assert!(!String::from_utf8_lossy(&bytes).contains("Doors"));
        }
    }
}
