//! The analytics consumer: folds log entries into counter buckets.
//!
//! A round reads a batch of entries past the cursor, folds them into deltas in memory (reading
//! the per-(event, user) state it needs through an overlay of the batch's own changes), then
//! writes every delta, the new per-(event, user) state, the feedback-request queue changes *and
//! the advanced cursor* in one transaction. A crash before that commit leaves nothing behind,
//! so the batch is folded again from the same cursor; a crash after it leaves the cursor past
//! the batch. Either way every entry counts exactly once.
//!
//! Only this consumer writes the `agg_*` trees, and one round runs at a time (a lock), so the
//! reads outside the transaction cannot go stale.

mod admissions;
mod room;
mod waitlist;

use std::collections::{HashMap, HashSet};
use std::sync::Weak;
use std::sync::atomic::Ordering;
use std::time::Duration;

use parking_lot::Mutex;
use sled::transaction::ConflictableTransactionError;

use super::store::{
    self as agg, Counters, Currency, EventInfo, Member, MessageRow, ScopeKey, Series, UserInfo,
    WaitlistRow,
};
use super::{AgeGroup, Group};
use crate::context::{BackgroundThread, Context, Handle};
use crate::events::record as event_record;
use crate::feedback::requests;
use crate::ids::{EventId, TicketId, UserId};
use crate::log::{self, DomainEvent, EventField, Log, LogEntry};
use crate::store::{self, StoreError, codec, keys};
use crate::tickets::record as ticket_record;
use crate::tickets::{TicketLine, TicketStatus};
use crate::time::Timestamp;
use crate::users::Gender;

/// The consumer's cursor in the log's cursor table.
pub const CURSOR: &str = "analytics";

/// Log entries folded per transaction. Larger batches share one commit among more entries (and
/// the counter buckets a batch touches many times are written once): 16,384 folds ~10% faster
/// than 4,096 at 1M tickets (BENCHMARKS.md).
pub(crate) const ENTRIES_PER_BATCH: usize = 16_384;

/// How long the background consumer sleeps when the log is quiet (it also sends due
/// feedback requests this often).
const IDLE_POLL: Duration = Duration::from_millis(500);

/// The background thread and the lock that keeps rounds one at a time.
#[derive(Default)]
pub(crate) struct Runner {
    pub(crate) round: Mutex<()>,
    thread: BackgroundThread,
}

impl Runner {
    /// Starts the background consumer.
    pub(crate) fn start(&self, inner: Weak<dyn Handle<Runner>>) -> std::io::Result<()> {
        self.thread.spawn("prasang-analytics", move |stopped| {
            while !stopped.load(Ordering::SeqCst) {
                let Some(strong) = inner.upgrade() else {
                    return;
                };
                let from = match run_once(strong.context(), strong.service()) {
                    Ok(report) if report.entries > 0 => {
                        drop(strong);
                        std::thread::sleep(log::CONSUMER_GATHER);
                        continue;
                    }
                    Ok(report) => report.cursor,
                    Err(error) => {
                        tracing::warn!(?error, "analytics consumer failed; will retry");
                        drop(strong);
                        std::thread::sleep(IDLE_POLL);
                        continue;
                    }
                };
                if stopped.load(Ordering::SeqCst) {
                    return;
                }
                let _ = Log {
                    inner: strong.context(),
                }
                .wait_for(from, IDLE_POLL);
            }
        })
    }

    /// Stops the background consumer (idempotent); `wake` interrupts its wait.
    pub(crate) fn stop(&self, wake: impl FnOnce()) {
        self.thread.stop(wake);
    }
}

/// What one [`run_once`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ConsumerReport {
    /// Log entries folded into the aggregates.
    pub entries: usize,
    /// Events whose holders were asked for feedback.
    pub feedback_requests: usize,
    /// The cursor afterwards: the first entry not yet folded.
    pub cursor: u64,
}

/// Folds every entry past the cursor, sends due feedback requests, and folds the entries those
/// appended.
pub(crate) fn run_once(inner: &Context, runner: &Runner) -> Result<ConsumerReport, StoreError> {
    let mut report = ConsumerReport::default();
    report.entries += catch_up(inner, runner, usize::MAX)?;
    report.feedback_requests = requests::send_due(inner)?;
    if report.feedback_requests > 0 {
        report.entries += catch_up(inner, runner, usize::MAX)?;
    }
    report.cursor = Log { inner }.position(CURSOR)?;
    Ok(report)
}

/// Folds up to `max_batches` batches past the cursor. Returns entries folded.
pub(crate) fn catch_up(
    inner: &Context,
    runner: &Runner,
    max_batches: usize,
) -> Result<usize, StoreError> {
    let _one_at_a_time = runner.round.lock();
    backfill(inner)?;
    let log = Log { inner };
    let mut folded = 0;
    for _ in 0..max_batches {
        let from = log.position(CURSOR)?;
        let entries = log.entries(from, ENTRIES_PER_BATCH)?;
        let Some(last) = entries.last() else { break };
        let next = last.seq + 1;
        let mut fold = Fold::new(inner);
        for entry in &entries {
            fold.entry(entry)?;
        }
        fold.commit(next)?;
        folded += entries.len();
        if entries.len() < ENTRIES_PER_BATCH {
            break;
        }
    }
    Ok(folded)
}

/// One batch's changes, in memory until [`Fold::commit`].
struct Fold<'a> {
    inner: &'a Context,
    counters: HashMap<Vec<u8>, Counters>,
    members: HashMap<[u8; 33], Option<Member>>,
    events: HashMap<EventId, Option<EventInfo>>,
    users: HashMap<UserId, UserInfo>,
    /// The currency of each event seen (read from its record: the log does not carry it).
    currencies: HashMap<EventId, Option<Currency>>,
    /// Events and users whose record this batch changed (the maps above also cache reads).
    events_changed: HashSet<EventId>,
    users_changed: HashSet<UserId>,
    /// Feedback-request queue changes, in log order: the event's end, or `None` for off.
    due: Vec<(EventId, Option<Timestamp>)>,
    /// The lines and promo code of tickets ordered in this batch (`TicketOrdered`), so their
    /// `TicketBooked` need not read the ticket.
    orders: HashMap<TicketId, Order>,
    /// The seats checked in of each ticket the batch touched.
    check_ins: HashMap<(EventId, TicketId), admissions::TicketCheckIns>,
    /// The waiting list entries the batch touched, as they stand now.
    waitlist: HashMap<[u8; 24], Option<WaitlistRow>>,
    /// Messages sent in the batch, by log sequence number.
    messages: Vec<(u64, MessageRow)>,
}

/// What a ticket was ordered with: fixed when it is made, so the ticket record (read for
/// tickets ordered in an earlier batch, or before the log named lines) says the same.
struct Order {
    lines: Vec<TicketLine>,
    promo_code: Option<String>,
}

/// What an entry adds to the dated (day and quarter-hour) buckets of its event's scopes:
/// bookings with their revenue, cancellations with their refund.
fn dated_delta(event: &DomainEvent) -> Option<(EventId, Counters)> {
    match event {
        DomainEvent::TicketBooked {
            event,
            amount_minor,
            ..
        } => Some((*event, booked_delta(*amount_minor))),
        DomainEvent::TicketCancelled {
            event,
            amount_minor,
            previous,
            ..
        } => Some((*event, cancelled_delta(*amount_minor, *previous))),
        _ => None,
    }
}

/// A ticket became booked: one booking and its amount as revenue.
fn booked_delta(amount_minor: u64) -> Counters {
    Counters {
        bookings: 1,
        revenue_minor: money(amount_minor),
        ..Counters::default()
    }
}

/// A ticket was cancelled: one cancellation, and a refund if it had been booked (paid).
fn cancelled_delta(amount_minor: u64, previous: TicketStatus) -> Counters {
    let refund = if previous == TicketStatus::Booked {
        money(amount_minor)
    } else {
        0
    };
    Counters {
        cancellations: 1,
        revenue_minor: -refund,
        ..Counters::default()
    }
}

/// What a booking or cancellation adds to a sale bucket of `seats` seats charged `amount_minor`
/// after `discount_minor` off: the dated delta with the seats, discount and refund it moves.
fn sale_delta(event: &DomainEvent, seats: u32, amount_minor: u64, discount_minor: u64) -> Counters {
    let seats = i64::from(seats);
    let discount = money(discount_minor);
    match event {
        DomainEvent::TicketCancelled { previous, .. } => {
            let dated = cancelled_delta(amount_minor, *previous);
            if *previous != TicketStatus::Booked {
                return dated;
            }
            Counters {
                seats_booked: -seats,
                discount_minor: -discount,
                refund_minor: -dated.revenue_minor,
                ..dated
            }
        }
        _ => Counters {
            seats_booked: seats,
            discount_minor: discount,
            ..booked_delta(amount_minor)
        },
    }
}

/// One hold taken.
const HOLD: Counters = Counters {
    holds: 1,
    ..Counters::ZERO
};

fn money(minor: u64) -> i64 {
    i64::try_from(minor).unwrap_or(i64::MAX)
}

fn quarter_of(at: Timestamp) -> i64 {
    at.as_millis().div_euclid(agg::QUARTER_MS)
}

/// A bucket set added after stores had already folded entries into the others, filled once from
/// the entries folded before it: its marker (in the cursor table, whose keys are the consumers'
/// names; its value is the log position the backfill went up to) and what one entry adds.
type Backfill = (
    &'static str,
    fn(&mut Fold, &LogEntry) -> Result<(), StoreError>,
);

/// Oldest first; a store made by this version writes every marker in its first round.
const BACKFILLS: [Backfill; 6] = [
    ("analytics-quarter-hours", |fold, entry| {
        fold.quarters_of(entry)
    }),
    ("analytics-currencies", |fold, entry| fold.money_of(entry)),
    ("analytics-free-holds", |fold, entry| {
        fold.free_hold_of(entry)
    }),
    ("analytics-ticket-types", |fold, entry| fold.sales(entry)),
    ("analytics-group-seats", |fold, entry| {
        fold.group_seats_of(entry)
    }),
    // Stores that ran the waiting room before its analytics folded its entries into nothing.
    ("analytics-waiting-room", |fold, entry| {
        fold.room_entry(entry)
    }),
];

/// Runs the backfills a store has not had yet (under the round lock, before folding anything
/// new), each in one transaction with its marker.
fn backfill(inner: &Context) -> Result<(), StoreError> {
    for (marker, fold_entry) in BACKFILLS {
        if !inner.store.cursors.contains_key(marker)? {
            backfill_one(inner, marker, fold_entry)?;
        }
    }
    Ok(())
}

fn backfill_one(
    inner: &Context,
    marker: &'static str,
    fold_entry: fn(&mut Fold, &LogEntry) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    let store = &inner.store;
    let log = Log { inner };
    let upto = log.position(CURSOR)?;
    let mut fold = Fold::new(inner);
    let mut from = 0;
    while from < upto {
        let entries = log.entries(from, ENTRIES_PER_BATCH)?;
        let Some(last) = entries.last() else { break };
        from = last.seq + 1;
        for entry in entries.iter().filter(|entry| entry.seq < upto) {
            fold_entry(&mut fold, entry)?;
        }
    }
    let counters: Vec<_> = fold.counters.into_iter().collect();
    let position = keys::log_seq(upto);
    let written = store.transaction(
        (&store.agg_counters, &store.cursors),
        |(agg_counters, cursors)| {
            for (key, delta) in &counters {
                add_counters(agg_counters, key, delta)?;
            }
            cursors.insert(marker, &position)?;
            Ok::<_, ConflictableTransactionError<StoreError>>(())
        },
    );
    if !counters.is_empty() {
        tracing::info!(
            buckets = counters.len(),
            entries = upto,
            marker,
            "analytics: filled new buckets from the entries folded before them"
        );
    }
    store::finish(written)
}

/// Adds `delta` to the bucket under `key` inside a transaction (an all-zero bucket is removed).
fn add_counters(
    agg_counters: &sled::transaction::TransactionalTree,
    key: &[u8],
    delta: &Counters,
) -> Result<(), ConflictableTransactionError<StoreError>> {
    let mut value: Counters = match agg_counters.get(key)? {
        Some(bytes) => codec::read(&bytes).map_err(store::abort)?,
        None => Counters::default(),
    };
    value.add(delta);
    if value.is_zero() {
        agg_counters.remove(key)?;
    } else {
        agg_counters.insert(key, codec::write(&value))?;
    }
    Ok(())
}

fn user_info(gender: Gender, age: u8) -> UserInfo {
    UserInfo {
        gender: agg::gender_byte(gender),
        age: AgeGroup::of(age) as u8,
    }
}

impl<'a> Fold<'a> {
    fn new(inner: &'a Context) -> Self {
        Fold {
            inner,
            counters: HashMap::new(),
            members: HashMap::new(),
            events: HashMap::new(),
            users: HashMap::new(),
            currencies: HashMap::new(),
            events_changed: HashSet::new(),
            users_changed: HashSet::new(),
            due: Vec::new(),
            orders: HashMap::new(),
            check_ins: HashMap::new(),
            waitlist: HashMap::new(),
            messages: Vec::new(),
        }
    }

    fn event(&mut self, event: EventId) -> Result<Option<EventInfo>, StoreError> {
        if let Some(info) = self.events.get(&event) {
            return Ok(*info);
        }
        let stored = codec::get(&self.inner.store.agg_events, &event.to_bytes())?;
        self.events.insert(event, stored);
        Ok(stored)
    }

    fn user(&mut self, user: UserId) -> Result<UserInfo, StoreError> {
        if let Some(info) = self.users.get(&user) {
            return Ok(*info);
        }
        let stored: Option<UserInfo> = codec::get(&self.inner.store.agg_users, &user.to_bytes())?;
        let info = match stored {
            Some(info) => info,
            // Not registered through the log (cannot happen in a store made by this version),
            // so take the profile as it is now.
            None => match crate::users::record::load(&self.inner.store, user)? {
                Some(record) => user_info(record.gender, record.age),
                None => user_info(Gender::Undisclosed, 0),
            },
        };
        self.users.insert(user, info);
        Ok(info)
    }

    fn member(&mut self, key: [u8; 33]) -> Result<Option<Member>, StoreError> {
        if let Some(member) = self.members.get(&key) {
            return Ok(*member);
        }
        codec::get(&self.inner.store.agg_members, &key)
    }

    fn bump(&mut self, key: Vec<u8>, delta: &Counters) {
        self.counters.entry(key).or_default().add(delta);
    }

    /// Adds `delta` to the totals of the event, its organizer and all events.
    fn totals(&mut self, scopes: &[ScopeKey; 3], delta: Counters) {
        for scope in scopes {
            self.bump(agg::totals(scope), &delta);
        }
    }

    /// Adds `delta` to the day and quarter-hour buckets of `at` in every scope.
    fn dated(&mut self, scopes: &[ScopeKey; 3], at: Timestamp, delta: Counters) {
        for scope in scopes {
            self.bump(agg::day(scope, at.day_number()), &delta);
            self.bump(agg::quarter(scope, quarter_of(at)), &delta);
        }
    }

    /// Adds a dated delta to the currency buckets (totals, day, quarter hour) of its event.
    fn money(
        &mut self,
        scopes: &[ScopeKey; 3],
        event: EventId,
        at: Timestamp,
        delta: Counters,
    ) -> Result<(), StoreError> {
        let Some(currency) = self.currency(event)? else {
            return Ok(());
        };
        let series = Series::Currency(currency);
        for scope in scopes {
            self.bump(agg::money(scope, currency), &delta);
            self.bump(series.day(scope, at.day_number()), &delta);
            self.bump(series.quarter(scope, quarter_of(at)), &delta);
        }
        Ok(())
    }

    fn currency(&mut self, event: EventId) -> Result<Option<Currency>, StoreError> {
        if let Some(currency) = self.currencies.get(&event) {
            return Ok(*currency);
        }
        let currency =
            event_record::load(&self.inner.store, event)?.map(|e| agg::currency_code(&e.currency));
        self.currencies.insert(event, currency);
        Ok(currency)
    }

    /// A booking or cancellation in its event's ticket-type and promo-code buckets (in the
    /// event's currency now, as [`Fold::money`]): each line in its type's, the whole ticket in
    /// its code's. Also the backfill of those buckets, where an older ticket reads as one line
    /// of type 1.
    fn sales(&mut self, entry: &LogEntry) -> Result<(), StoreError> {
        let (DomainEvent::TicketBooked { event, ticket, .. }
        | DomainEvent::TicketCancelled { event, ticket, .. }) = &entry.event
        else {
            return Ok(());
        };
        if self.event(*event)?.is_none() {
            return Ok(());
        }
        let Some(currency) = self.currency(*event)? else {
            return Ok(());
        };
        let Some(order) = self.order(*ticket)? else {
            return Ok(());
        };
        let mut whole = (0u32, 0u64, 0u64);
        for line in &order.lines {
            let delta = sale_delta(
                &entry.event,
                line.quantity,
                line.amount_minor(),
                line.discount_minor,
            );
            let name = agg::type_name(line.ticket_type);
            self.bump(agg::sale(agg::TYPE, *event, currency, &name), &delta);
            whole.0 = whole.0.saturating_add(line.quantity);
            whole.1 = whole.1.saturating_add(line.amount_minor());
            whole.2 = whole.2.saturating_add(line.discount_minor);
        }
        if let Some(code) = &order.promo_code {
            let delta = sale_delta(&entry.event, whole.0, whole.1, whole.2);
            self.bump(
                agg::sale(agg::CODE, *event, currency, code.as_bytes()),
                &delta,
            );
        }
        Ok(())
    }

    /// The lines and code of `ticket`: from its `TicketOrdered` in this batch, else its record.
    fn order(&mut self, ticket: TicketId) -> Result<Option<Order>, StoreError> {
        if let Some(order) = self.orders.remove(&ticket) {
            return Ok(Some(order));
        }
        Ok(
            ticket_record::load(&self.inner.store, ticket)?.map(|ticket| Order {
                lines: ticket.lines,
                promo_code: ticket.promo_code,
            }),
        )
    }

    /// Backfill: the quarter-hour buckets of a booking or cancellation.
    fn quarters_of(&mut self, entry: &LogEntry) -> Result<(), StoreError> {
        if let Some((event, delta)) = dated_delta(&entry.event)
            && let Some(scopes) = self.scopes(event)?
        {
            for scope in &scopes {
                self.bump(agg::quarter(scope, quarter_of(entry.at)), &delta);
            }
        }
        Ok(())
    }

    /// Backfill: the currency buckets of a booking or cancellation (in the event's currency
    /// now: the log does not say which it had then).
    fn money_of(&mut self, entry: &LogEntry) -> Result<(), StoreError> {
        if let Some((event, delta)) = dated_delta(&entry.event)
            && let Some(scopes) = self.scopes(event)?
        {
            self.money(&scopes, event, entry.at, delta)?;
        }
        Ok(())
    }

    /// Backfill: the seats booked of each demographic group, in the group of the user's booked
    /// tickets now (so cancellations to come take them from the same group), or their
    /// profile's when they hold none (their seats then add up to zero).
    fn group_seats_of(&mut self, entry: &LogEntry) -> Result<(), StoreError> {
        let (event, user, seats) = match &entry.event {
            DomainEvent::TicketBooked {
                event,
                user,
                quantity,
                ..
            } => (*event, *user, i64::from(*quantity)),
            DomainEvent::TicketCancelled {
                event,
                user,
                quantity,
                previous: TicketStatus::Booked,
                ..
            } => (*event, *user, -i64::from(*quantity)),
            _ => return Ok(()),
        };
        if let Some(scopes) = self.scopes(event)? {
            let (gender, age) = self.holder_group(event, user)?;
            let group = agg::group_of(gender, age);
            let delta = Counters {
                seats_booked: seats,
                ..Counters::default()
            };
            self.groups(&scopes, group, delta);
        }
        Ok(())
    }

    /// Backfill: a free booking as the hold it stands for.
    fn free_hold_of(&mut self, entry: &LogEntry) -> Result<(), StoreError> {
        if let DomainEvent::TicketBooked {
            event,
            amount_minor: 0,
            ..
        } = &entry.event
            && let Some(scopes) = self.scopes(*event)?
        {
            self.totals(&scopes, HOLD);
        }
        Ok(())
    }

    fn groups(&mut self, scopes: &[ScopeKey; 3], group: Group, delta: Counters) {
        for scope in scopes {
            self.bump(agg::group(scope, group), &delta);
        }
    }

    /// The three scopes an event counts in, if the consumer knows it.
    fn scopes(&mut self, event: EventId) -> Result<Option<[ScopeKey; 3]>, StoreError> {
        Ok(self.event(event)?.map(|info| {
            [
                agg::event_scope(event),
                agg::organizer_scope(info.organizer),
                agg::ALL,
            ]
        }))
    }

    /// The current end of an event, for the feedback-request queue (`None`: no request). An
    /// event that ended more than [`requests::ASK_WITHIN`] ago is not asked about: that only
    /// happens when a store from before feedback requests folds its old log for the first time,
    /// and nobody wants "how was it?" about last year's concert.
    fn end_of(&self, event: EventId) -> Result<Option<Timestamp>, StoreError> {
        let too_old = self.inner.now().minus(requests::ASK_WITHIN);
        Ok(event_record::load(&self.inner.store, event)?
            .filter(|e| e.status == crate::events::EventStatus::Published)
            .map(|e| e.ends_at)
            .filter(|ends_at| *ends_at >= too_old))
    }

    fn entry(&mut self, entry: &LogEntry) -> Result<(), StoreError> {
        match &entry.event {
            DomainEvent::UserRegistered {
                user, gender, age, ..
            }
            | DomainEvent::GuestRegistered { user, gender, age } => {
                self.users.insert(*user, user_info(*gender, *age));
                self.users_changed.insert(*user);
            }
            DomainEvent::UserUpdated { user } => {
                // The log does not carry the new profile: later entries count the user in the
                // group their profile shows now; what was counted before stays.
                if let Some(record) = crate::users::record::load(&self.inner.store, *user)? {
                    self.users
                        .insert(*user, user_info(record.gender, record.age));
                    self.users_changed.insert(*user);
                }
            }
            DomainEvent::EventCreated {
                event,
                organizer,
                capacity,
                ..
            } => {
                let info = EventInfo {
                    organizer: *organizer,
                    capacity: *capacity,
                };
                self.events.insert(*event, Some(info));
                self.events_changed.insert(*event);
                if let Some(scopes) = self.scopes(*event)? {
                    let delta = Counters {
                        capacity: i64::from(*capacity),
                        ..Counters::default()
                    };
                    self.totals(&scopes, delta);
                }
                let end = self.end_of(*event)?;
                self.due.push((*event, end));
            }
            DomainEvent::EventUpdated { event, changed } => {
                if changed.contains(&EventField::Capacity)
                    && let Some(mut info) = self.event(*event)?
                    && let Some(sale) = event_record::sale_state(&self.inner.store, *event)?
                {
                    let delta = i64::from(sale.seats.capacity) - i64::from(info.capacity);
                    info.capacity = sale.seats.capacity;
                    self.events.insert(*event, Some(info));
                    self.events_changed.insert(*event);
                    if let Some(scopes) = self.scopes(*event)? {
                        let delta = Counters {
                            capacity: delta,
                            ..Counters::default()
                        };
                        self.totals(&scopes, delta);
                    }
                }
                if changed.contains(&EventField::EndsAt) {
                    let end = self.end_of(*event)?;
                    self.due.push((*event, end));
                }
            }
            DomainEvent::EventCancelled { event, .. } => self.due.push((*event, None)),
            DomainEvent::EventDeleted { event } => {
                // Only events that never issued a ticket can be deleted, so all they can have
                // counted is their capacity and page views: take those back out.
                if let Some(scopes) = self.scopes(*event)? {
                    let key = agg::totals(&scopes[0]);
                    let mut current: Counters =
                        codec::get(&self.inner.store.agg_counters, &key)?.unwrap_or_default();
                    if let Some(pending) = self.counters.get(&key) {
                        current.add(pending);
                    }
                    self.totals(&scopes, current.negated());
                }
                self.events.insert(*event, None);
                self.events_changed.insert(*event);
                self.due.push((*event, None));
            }
            DomainEvent::EventViewed { event, count } => {
                if let Some(scopes) = self.scopes(*event)? {
                    let delta = Counters {
                        visits: i64::from(*count),
                        ..Counters::default()
                    };
                    self.totals(&scopes, delta);
                }
            }
            DomainEvent::TicketPending { event, .. } => {
                if let Some(scopes) = self.scopes(*event)? {
                    self.totals(&scopes, HOLD);
                }
            }
            DomainEvent::TicketBooked {
                event,
                user,
                quantity,
                amount_minor,
                ..
            } => {
                let Some(scopes) = self.scopes(*event)? else {
                    return Ok(());
                };
                let dated = booked_delta(*amount_minor);
                let delta = Counters {
                    seats_booked: i64::from(*quantity),
                    // Free tickets are booked at once: count the hold they skip, so every
                    // booking passed through a hold (the funnel narrows).
                    holds: i64::from(*amount_minor == 0),
                    ..dated
                };
                self.totals(&scopes, delta);
                self.dated(&scopes, entry.at, dated);
                self.money(&scopes, *event, entry.at, dated)?;
                self.holder(&scopes, *event, *user, 1, i64::from(*quantity))?;
                self.sales(entry)?;
            }
            DomainEvent::TicketCancelled {
                event,
                ticket,
                user,
                quantity,
                amount_minor,
                previous,
                ..
            } => {
                let Some(scopes) = self.scopes(*event)? else {
                    return Ok(());
                };
                let was_booked = *previous == TicketStatus::Booked;
                let dated = cancelled_delta(*amount_minor, *previous);
                let delta = Counters {
                    seats_booked: if was_booked { -i64::from(*quantity) } else { 0 },
                    ..dated
                };
                self.totals(&scopes, delta);
                self.dated(&scopes, entry.at, dated);
                self.money(&scopes, *event, entry.at, dated)?;
                if was_booked {
                    self.holder(&scopes, *event, *user, -1, -i64::from(*quantity))?;
                    self.check_ins_cancelled(&scopes, *event, *ticket)?;
                }
                self.sales(entry)?;
            }
            DomainEvent::TicketOrdered {
                ticket,
                lines,
                promo_code,
                ..
            } => {
                let order = Order {
                    lines: lines.clone(),
                    promo_code: promo_code.clone(),
                };
                self.orders.insert(*ticket, order);
            }
            DomainEvent::TicketExpired { event, .. } => {
                if let Some(scopes) = self.scopes(*event)? {
                    let delta = Counters {
                        expiries: 1,
                        ..Counters::default()
                    };
                    self.totals(&scopes, delta);
                }
            }
            DomainEvent::FeedbackGiven {
                event,
                user,
                rating,
            }
            | DomainEvent::FeedbackEdited {
                event,
                user,
                rating,
                ..
            } => self.rating(*event, *user, Some(*rating))?,
            DomainEvent::FeedbackDeleted { event, user, .. } => self.rating(*event, *user, None)?,
            DomainEvent::GuestCreated { user } => {
                // A guest told neither gender nor age (age 0: unknown).
                self.users.insert(*user, user_info(Gender::Undisclosed, 0));
                self.users_changed.insert(*user);
            }
            DomainEvent::FeedbackReplied { .. }
            | DomainEvent::FeedbackRequested { .. }
            | DomainEvent::GuestAccessRequested { .. }
            | DomainEvent::TicketNamesChanged { .. }
            | DomainEvent::TicketTypeChanged { .. }
            | DomainEvent::PromoCodeChanged { .. }
            | DomainEvent::AdmissionConflict { .. }
            | DomainEvent::DoorStaffAdded { .. }
            | DomainEvent::DoorStaffRemoved { .. }
            | DomainEvent::WaitlistConfigured { .. } => {}
            DomainEvent::QueueAdmitted { .. } | DomainEvent::QueueJoined { .. } => {
                self.room_entry(entry)?
            }
            DomainEvent::WaitlistJoined { .. }
            | DomainEvent::WaitlistLeft { .. }
            | DomainEvent::WaitlistOffered { .. }
            | DomainEvent::WaitlistOfferAccepted { .. }
            | DomainEvent::WaitlistOfferDeclined { .. }
            | DomainEvent::WaitlistOfferExpired { .. }
            | DomainEvent::MessageSent { .. } => self.waitlist_entry(entry)?,
            DomainEvent::Admitted {
                event,
                ticket,
                seat,
                gate,
                scanned_at,
                offline,
                ..
            } => self.admitted(admissions::Scan {
                event: *event,
                ticket: *ticket,
                seat: *seat,
                gate,
                scanned_at: *scanned_at,
                offline: *offline,
            })?,
            DomainEvent::AdmissionUndone {
                event,
                ticket,
                seat,
                ..
            } => self.admission_undone(*event, *ticket, *seat)?,
        }
        Ok(())
    }

    /// One more (`+1`) or one fewer (`-1`) booked ticket of `user` for `event`, of `seats`
    /// seats (negative for one fewer); the user is a holder while they have at least one, and
    /// the seats count in the holder's group.
    fn holder(
        &mut self,
        scopes: &[ScopeKey; 3],
        event: EventId,
        user: UserId,
        change: i32,
        seats: i64,
    ) -> Result<(), StoreError> {
        let key = agg::member(agg::HOLDER, event, user);
        let before = self.member(key)?;
        let (count, member) = match before {
            Some(member) => (member.value, member),
            None => {
                let info = self.user(user)?;
                (
                    0,
                    Member {
                        value: 0,
                        gender: info.gender,
                        age: info.age,
                    },
                )
            }
        };
        let after = count.saturating_add_signed(change);
        let group = member.group();
        let holders = match (count, after) {
            (0, 1..) => 1,
            (1.., 0) => -1,
            _ => 0,
        };
        if holders != 0 {
            let delta = Counters {
                holders,
                ..Counters::default()
            };
            self.totals(scopes, delta);
        }
        let delta = Counters {
            holders,
            seats_booked: seats,
            ..Counters::default()
        };
        self.groups(scopes, group, delta);
        let next = (after > 0).then_some(Member {
            value: after,
            ..member
        });
        self.members.insert(key, next);
        Ok(())
    }

    /// Sets `user`'s rating of `event` (`None`: withdrawn), moving the sums by the difference.
    fn rating(
        &mut self,
        event: EventId,
        user: UserId,
        rating: Option<u8>,
    ) -> Result<(), StoreError> {
        let Some(scopes) = self.scopes(event)? else {
            return Ok(());
        };
        let key = agg::member(agg::RATER, event, user);
        let before = self.member(key)?;
        if let Some(old) = before {
            let delta = Counters {
                rating_sum: -i64::from(old.value),
                rating_count: -1,
                ..Counters::default()
            };
            self.totals(&scopes, delta);
            self.groups(&scopes, old.group(), delta);
        }
        let next = match rating {
            Some(rating) => {
                let (gender, age) = match before {
                    Some(old) => (old.gender, old.age),
                    None => {
                        let info = self.user(user)?;
                        (info.gender, info.age)
                    }
                };
                let member = Member {
                    value: u32::from(rating),
                    gender,
                    age,
                };
                let delta = Counters {
                    rating_sum: i64::from(rating),
                    rating_count: 1,
                    ..Counters::default()
                };
                self.totals(&scopes, delta);
                self.groups(&scopes, member.group(), delta);
                Some(member)
            }
            None => None,
        };
        self.members.insert(key, next);
        Ok(())
    }

    /// Writes the batch and moves the cursor to `next`, all in one transaction.
    fn commit(self, next: u64) -> Result<(), StoreError> {
        let store = &self.inner.store;
        let counters: Vec<_> = self
            .counters
            .into_iter()
            .filter(|(_, delta)| !delta.is_zero())
            .collect();
        let members: Vec<_> = self
            .members
            .into_iter()
            .map(|(key, member)| (key, member.map(|m| codec::encode(&m))))
            .collect();
        let events: Vec<_> = self
            .events_changed
            .iter()
            .map(|id| {
                let info = self.events.get(id).copied().flatten();
                (id.to_bytes(), info.map(|i| codec::encode(&i)))
            })
            .collect();
        let users: Vec<_> = self
            .users_changed
            .iter()
            .filter_map(|id| Some((id.to_bytes(), codec::encode(self.users.get(id)?))))
            .collect();
        let mut check_ins = Vec::new();
        for ((event, ticket), seats) in &self.check_ins {
            for seat in &seats.stored {
                if !seats.seats.contains_key(seat) {
                    check_ins.push((agg::admission(*event, *ticket, *seat), None));
                }
            }
            for (seat, admission) in &seats.seats {
                let value = Some(codec::encode(admission));
                check_ins.push((agg::admission(*event, *ticket, *seat), value));
            }
        }
        let waitlist: Vec<_> = self
            .waitlist
            .into_iter()
            .filter_map(|(key, row)| Some((key, codec::encode(&row?))))
            .collect();
        let messages: Vec<_> = self
            .messages
            .iter()
            .map(|(seq, row)| (keys::log_seq(*seq), codec::encode(row)))
            .collect();
        let cursor = keys::log_seq(next);
        let due = self.due;
        let written = store.transaction(
            (
                &store.agg_counters,
                &store.agg_members,
                &store.agg_events,
                &store.agg_users,
                &store.feedback_due,
                &store.feedback_due_by_event,
                &store.cursors,
                &store.agg_admissions,
                &store.agg_waitlist,
                &store.agg_messages,
            ),
            |(
                agg_counters,
                agg_members,
                agg_events,
                agg_users,
                due_tree,
                by_event,
                cursors,
                agg_admissions,
                agg_waitlist,
                agg_messages,
            )| {
                for (key, delta) in &counters {
                    add_counters(agg_counters, key, delta)?;
                }
                for (key, member) in &members {
                    match member {
                        Some(bytes) => agg_members.insert(key.as_slice(), bytes.as_slice())?,
                        None => agg_members.remove(key.as_slice())?,
                    };
                }
                for (key, info) in &events {
                    match info {
                        Some(bytes) => agg_events.insert(key, bytes.as_slice())?,
                        None => agg_events.remove(key)?,
                    };
                }
                for (key, info) in &users {
                    agg_users.insert(key, info.as_slice())?;
                }
                for (event, end) in &due {
                    requests::reschedule(due_tree, by_event, *event, *end)?;
                }
                for (key, admission) in &check_ins {
                    match admission {
                        Some(bytes) => agg_admissions.insert(key.as_slice(), bytes.as_slice())?,
                        None => agg_admissions.remove(key.as_slice())?,
                    };
                }
                for (key, row) in &waitlist {
                    agg_waitlist.insert(key.as_slice(), row.as_slice())?;
                }
                for (key, row) in &messages {
                    agg_messages.insert(key.as_slice(), row.as_slice())?;
                }
                cursors.insert(CURSOR, &cursor)?;
                Ok::<_, ConflictableTransactionError<StoreError>>(())
            },
        );
        store::finish(written)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::analytics::{Scope, TrendParams};
    use crate::tickets::BookingRequest;
    use crate::users::Role;
    use crate::{Config, Prasang, testing};

    /// A store from before quarter-hour buckets: its aggregates were folded, but it has no
    /// quarter buckets and no marker. The next round fills them from the folded entries.
    #[test]
    fn quarter_hour_buckets_are_filled_for_entries_folded_before_them() {
        let (prasang, clock) = testing::on_manual_clock(Timestamp::from_millis(1_893_456_000_000));
        let register = |name: &str, role| testing::register(&prasang, name, role);
        let organizer = register("olga", Role::Organizer);
        let starts_at =
            Timestamp::from_millis(1_893_456_000_000).plus(Duration::from_secs(30 * 24 * 3600));
        let event = prasang
            .events()
            .create(&organizer, testing::free_event(starts_at, 100))
            .expect("create event")
            .id;
        let kolkata_days = |prasang: &Prasang| {
            let params = TrendParams {
                from: Some("2030-01-01".into()),
                to: Some("2030-01-03".into()),
                time_zone: Some("Asia/Kolkata".into()),
                ..TrendParams::default()
            };
            let trends = prasang
                .analytics()
                .trends(&organizer, Scope::Event(event), &params)
                .expect("trends");
            trends
                .rows
                .iter()
                .map(|row| row.bookings)
                .collect::<Vec<_>>()
        };
        // Bookings every 5 hours from 2030-01-01 00:00 UTC (Kolkata 05:30) for two days.
        for (n, hour) in (0..48).step_by(5).enumerate() {
            clock.set(Timestamp::from_millis(1_893_456_000_000 + hour * 3_600_000));
            let guest = register(&format!("guest{n}"), Role::Attendee);
            let request = BookingRequest {
                pass: None,
                attendee_names: Default::default(),
                event,
                quantity: 1,
                idempotency_key: None,
                lines: Vec::new(),
                promo_code: None,
            };
            prasang.tickets().book(&guest, &request).expect("book");
        }
        prasang.run_analytics_once().expect("fold");
        let expected = kolkata_days(&prasang);
        // By hand: UTC hours 0,5,10,15 are Kolkata 1 Jan (before 18:30 UTC); 20..40 are 2 Jan;
        // 45 is 3 Jan 02:30.
        assert_eq!(expected, vec![4, 5, 1]);

        // Forget the quarter buckets and the marker, as a store folded by an older version.
        let store = &prasang.inner.ctx.store;
        let quarters: Vec<_> = store
            .agg_counters
            .scan_prefix([agg::QUARTER])
            .keys()
            .collect::<Result<_, _>>()
            .expect("keys");
        assert!(!quarters.is_empty());
        for key in quarters {
            store.agg_counters.remove(key).expect("remove");
        }
        store.cursors.remove(BACKFILLS[0].0).expect("remove marker");
        assert_eq!(kolkata_days(&prasang), vec![0, 0, 0]);

        prasang.run_analytics_once().expect("backfill");
        assert_eq!(kolkata_days(&prasang), expected);
        // Once only: another round adds nothing.
        prasang.run_analytics_once().expect("again");
        assert_eq!(kolkata_days(&prasang), expected);
    }

    /// A store from before currency buckets: the next round fills them from the entries
    /// already folded, in each event's currency.
    #[test]
    fn currency_buckets_are_filled_for_entries_folded_before_them() {
        let prasang = Prasang::open(Config::temporary().background_tasks(false)).expect("open");
        let organizer = testing::register(&prasang, "olga", Role::Organizer);
        let starts_at = prasang.now().plus(Duration::from_secs(30 * 24 * 3600));
        for (currency, guest) in [("EUR", "ada"), ("INR", "bo")] {
            let new = crate::events::NewEvent {
                price_minor: 500,
                currency: currency.into(),
                ..testing::free_event(starts_at, 10)
            };
            let event = prasang.events().create(&organizer, new).expect("event").id;
            let guest = testing::register(&prasang, guest, Role::Attendee);
            let request = BookingRequest {
                pass: None,
                attendee_names: Default::default(),
                event,
                quantity: 1,
                idempotency_key: None,
                lines: Vec::new(),
                promo_code: None,
            };
            let held = prasang
                .tickets()
                .book(&guest, &request)
                .expect("book")
                .ticket;
            prasang
                .tickets()
                .confirm_payment(&organizer, held.id)
                .expect("confirm");
        }
        prasang.run_analytics_once().expect("fold");
        let revenue = || {
            let scope = Scope::Organizer(organizer.user_id());
            let report = prasang
                .analytics()
                .revenue(&organizer, scope)
                .expect("revenue");
            report
                .by_currency
                .into_iter()
                .map(|c| (c.currency, c.revenue_minor))
                .collect::<Vec<_>>()
        };
        let expected = vec![("EUR".to_owned(), 500), ("INR".to_owned(), 500)];
        assert_eq!(revenue(), expected);

        // Forget the currency buckets and their marker, as a store folded by an older version.
        forget(
            &prasang,
            &[agg::MONEY, agg::MONEY_DAY, agg::MONEY_QUARTER],
            1,
        );
        assert_eq!(revenue(), vec![]);

        prasang.run_analytics_once().expect("backfill");
        assert_eq!(revenue(), expected);
        prasang.run_analytics_once().expect("again");
        assert_eq!(revenue(), expected);
    }

    /// Removes every bucket of `kinds` and the marker of backfill `backfill`, as in a store
    /// folded by a version before them.
    fn forget(prasang: &Prasang, kinds: &[u8], backfill: usize) {
        let store = &prasang.inner.ctx.store;
        for kind in kinds {
            for key in store.agg_counters.scan_prefix([*kind]).keys() {
                store
                    .agg_counters
                    .remove(key.expect("key"))
                    .expect("remove");
            }
        }
        store
            .cursors
            .remove(BACKFILLS[backfill].0)
            .expect("remove marker");
    }

    /// A store from before ticket-type and promo-code buckets: the next round fills them from
    /// the tickets booked and cancelled before, each line in its type and the ticket in its code.
    #[test]
    fn sale_buckets_are_filled_for_entries_folded_before_them() {
        let prasang = Prasang::open(Config::temporary().background_tasks(false)).expect("open");
        let organizer = testing::register(&prasang, "olga", Role::Organizer);
        let starts_at = prasang.now().plus(Duration::from_secs(30 * 24 * 3600));
        let new = crate::events::NewEvent {
            price_minor: 1_000,
            per_user_limit: Some(10),
            ..testing::free_event(starts_at, 10)
        };
        let event = prasang.events().create(&organizer, new).expect("event").id;
        let child = testing::child_type(&prasang, &organizer, event, 400);
        let code = crate::promo::NewPromoCode {
            applies_to: vec![child],
            ..crate::promo::NewPromoCode::new("half", crate::promo::Discount::Percent(50))
        };
        prasang
            .promo_codes()
            .create(&organizer, event, code)
            .expect("code");
        let guest = testing::register(&prasang, "ada", Role::Attendee);
        let line = |ticket_type, quantity| crate::tickets::BookingLine {
            ticket_type,
            quantity,
        };
        let request = BookingRequest {
            pass: None,
            attendee_names: Default::default(),
            event,
            quantity: 0,
            idempotency_key: None,
            lines: vec![line(1, 1), line(child, 2)],
            promo_code: Some("HALF".into()),
        };
        let tickets = prasang.tickets();
        let held = tickets.book(&guest, &request).expect("book").ticket;
        tickets.confirm_payment(&organizer, held.id).expect("pay");
        let again = tickets.book(&guest, &request).expect("book").ticket;
        tickets.cancel(&guest, again.id).expect("cancel");
        prasang.run_analytics_once().expect("fold");
        let sales = || {
            let analytics = prasang.analytics();
            let types = analytics.by_ticket_type(&organizer, event).expect("types");
            let codes = analytics.by_promo_code(&organizer, event).expect("codes");
            (types, codes)
        };
        let expected = sales();
        let child_row = &expected.0.types[1].sales;
        assert_eq!((child_row.seats_booked, child_row.revenue_minor), (2, 400));
        assert_eq!(expected.1.codes[0].sales.discount_minor, 400);
        assert_eq!(expected.1.codes[0].sales.cancellations, 1);

        forget(&prasang, &[agg::TYPE, agg::CODE], 3);
        assert_eq!(sales().0.types[1].sales.seats_booked, 0);

        prasang.run_analytics_once().expect("backfill");
        assert_eq!(sales(), expected);
        prasang.run_analytics_once().expect("again");
        assert_eq!(sales(), expected);
    }
}
