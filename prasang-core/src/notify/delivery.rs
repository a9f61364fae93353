//! The delivery log: one record per (log entry, recipient, channel) and its way through
//! pending → sending → sent | retrying → … → failed.
//!
//! Write order, and why it is safe:
//! 1. the record is created `pending` by dispatch; after a round's records, one entry in each
//!    channel's due queue stands for all of the round's new deliveries over that channel
//!    (`DueEntry::Fresh`: its log range), before the cursor moves past their log entries;
//! 2. a worker claims a delivery (in memory, see [`super::runtime`]) and writes `sending`;
//! 3. the channel is called;
//! 4. the outcome is written — a due entry of the delivery's own first (retrying), then the
//!    record, then its old own due entry removed, if it had one — and made durable.
//!
//! A round's entry goes only once none of its deliveries is `pending` or `sending`, and a
//! delivery's own entry only in step 4, so a crash anywhere before a delivery's outcome is
//! written leaves it due: after a restart it is attempted again, with the same idempotency key.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use parking_lot::Mutex;
use serde::{Deserialize, Serialize};

use super::keys::{self, DueEntry};
use super::{DeliveryError, DeliveryPolicy, Notification, NotificationKind, Receipt};
use crate::context::Context;
use crate::ids::{EventId, UserId};
use crate::store::StoreError;
use crate::store::codec::{self, Record};
use crate::time::Timestamp;

/// Where a delivery is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Created, not attempted yet.
    Pending,
    /// Handed to the channel; the outcome is not recorded yet. A delivery found in this state
    /// after a restart was interrupted and is attempted again with the same key.
    Sending,
    /// The channel accepted it.
    Sent,
    /// An attempt failed temporarily; another follows at `next_attempt_at`.
    Retrying,
    /// Given up: a permanent failure, or `max_attempts` temporary ones.
    Failed,
}

impl DeliveryStatus {
    /// Whether nothing more will happen to the delivery.
    pub fn is_final(self) -> bool {
        matches!(self, DeliveryStatus::Sent | DeliveryStatus::Failed)
    }
}

/// One notification to one recipient over one channel, and what became of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delivery {
    /// The log entry that caused it.
    pub log_seq: u64,
    /// The recipient.
    pub user: UserId,
    /// The event it is about.
    pub event: EventId,
    /// The channel.
    pub channel: String,
    /// Why.
    pub kind: NotificationKind,
    /// Where it is.
    pub status: DeliveryStatus,
    /// Attempts started so far (an attempt interrupted by a crash counts).
    pub attempts: u32,
    /// While not final: when it is (or was) due for its next attempt.
    pub next_attempt_at: Option<Timestamp>,
    /// The last failure, if any: `<class>: <why>` for admins; only the class (`temporary
    /// delivery failure`) for anyone else, since the why can name the deployment's servers.
    pub last_error: Option<String>,
    /// What the channel answered on success.
    pub receipt: Option<Receipt>,
    /// When the record was created.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
    /// What is handed to the channel on every attempt, exactly, but for a booked ticket's
    /// admission codes ([`super::TicketSummary::admissions`]): those are signed at each attempt
    /// and never stored here.
    pub notification: Notification,
}

/// Version 2 added [`Notification::time_zone`]; version 3 added the ticket's `lines`,
/// `discount_minor` and `promo_code` at the end of [`TicketSummary`]; version 4 added
/// [`Notification::offer`] and [`Notification::subject`], the last fields then; version 5
/// added [`Notification::queue_pass`] after them.
impl Record for Delivery {
    const TREE: &'static str = "deliveries";
    const VERSION: u8 = 5;

    fn read_older(version: u8, body: &[u8]) -> Option<postcard::Result<Self>> {
        let v4 = match version {
            1 => older::with_utc_zone(body)
                .and_then(|v2| older::from_v2(&v2))
                .map(|v3| older::from_v3(&v3)),
            2 => older::from_v2(body).map(|v3| older::from_v3(&v3)),
            3 => Ok(older::from_v3(body)),
            4 => Ok(body.to_vec()),
            _ => return None,
        };
        Some(v4.and_then(|v4| older::from_v4(&v4)))
    }
}

/// Reading deliveries of older layouts. Postcard writes a struct's fields one after another
/// without names or lengths, nested structs included, so an older body is upgraded by rewriting
/// the bytes of what changed and leaving the rest as it is.
mod older {
    use serde::Deserialize;

    use super::{Delivery, DeliveryStatus};
    use crate::ids::{EventId, TicketId, UserId};
    use crate::notify::{EventSummary, NotificationKind, Receipt, Recipient, TicketSummary};
    use crate::tickets::TicketStatus;
    use crate::time::Timestamp;
    use crate::zone::Zone;

    /// A version-1 body followed by the encoding of `"UTC"` (the zone old events had) is a
    /// version-2 body: the zone is the last field of the last field.
    pub(super) fn with_utc_zone(v1: &[u8]) -> postcard::Result<Vec<u8>> {
        postcard::to_extend(Zone::utc().name(), v1.to_vec())
    }

    /// What a version-2 (and 3) body holds before the notification's ticket: the delivery's
    /// fields up to its notification, then the notification's up to its ticket.
    type BeforeTicket = (
        (
            u64,
            UserId,
            EventId,
            String,
            NotificationKind,
            DeliveryStatus,
            u32,
            Option<Timestamp>,
            Option<String>,
            Option<Receipt>,
            Timestamp,
            Timestamp,
        ),
        (
            String,
            NotificationKind,
            u64,
            Timestamp,
            Recipient,
            EventSummary,
        ),
    );

    /// A [`TicketSummary`] as versions 1 and 2 stored it.
    #[derive(Deserialize)]
    struct TicketSummaryV2 {
        id: TicketId,
        quantity: u32,
        status: TicketStatus,
        amount_minor: u64,
        expires_at: Option<Timestamp>,
    }

    /// A version-3 body with no offer and no subject (two `None`s) is a version-4 body.
    pub(super) fn from_v3(v3: &[u8]) -> Vec<u8> {
        [v3, &[0, 0]].concat()
    }

    /// A version-4 body with no queue pass (a `None`) is a version-5 body.
    pub(super) fn from_v4(v4: &[u8]) -> postcard::Result<Delivery> {
        postcard::from_bytes(&[v4, &[0]].concat())
    }

    /// A version-2 body in the layout of version 3: its ticket, if any, without lines,
    /// discount or code (the caller then reads it as version 3).
    pub(super) fn from_v2(v2: &[u8]) -> postcard::Result<Vec<u8>> {
        let (_, at_ticket) = postcard::take_from_bytes::<BeforeTicket>(v2)?;
        let (ticket, after) = postcard::take_from_bytes::<Option<TicketSummaryV2>>(at_ticket)?;
        let ticket = ticket.map(|old| TicketSummary {
            id: old.id,
            quantity: old.quantity,
            status: old.status,
            amount_minor: old.amount_minor,
            expires_at: old.expires_at,
            lines: Vec::new(),
            discount_minor: 0,
            promo_code: None,
            admissions: Vec::new(),
        });
        let mut v3 = v2[..v2.len() - at_ticket.len()].to_vec();
        v3 = postcard::to_extend(&ticket, v3)?;
        v3.extend_from_slice(after);
        Ok(v3)
    }
}

impl Delivery {
    /// The record's key in `deliveries`.
    pub(crate) fn key(&self) -> Vec<u8> {
        keys::delivery(self.log_seq, self.user, &self.channel)
    }

    /// Its entry in the channel's due queue, while it has one.
    pub(crate) fn due_key(&self) -> Option<Vec<u8>> {
        self.next_attempt_at
            .filter(|_| !self.status.is_final())
            .map(|at| keys::due(&self.channel, at, self.log_seq, self.user))
    }
}

/// A delivery record by key.
pub(crate) fn load(inner: &Context, key: &[u8]) -> Result<Option<Delivery>, StoreError> {
    inner
        .store
        .deliveries
        .get(key)?
        .map(|bytes| codec::read(&bytes))
        .transpose()
}

/// What the next look at a channel's due queue found.
pub(crate) enum Claim {
    /// A delivery to attempt now, already marked `sending`, and where the next look at the
    /// queue may start.
    Due {
        delivery: Box<Delivery>,
        resume_at: Vec<u8>,
    },
    /// Nothing due now; the earliest future due time, if any.
    Idle(Option<Timestamp>),
}

/// Whether a delivery is waiting for its first attempt, or for one a crash cut off.
fn awaits_attempt(delivery: &Delivery) -> bool {
    matches!(
        delivery.status,
        DeliveryStatus::Pending | DeliveryStatus::Sending
    )
}

/// The in-memory claim on deliveries (see [`super::runtime`]): `take` refuses a key already
/// being attempted, or one whose log entry is not known to be durable yet; `release` gives a
/// key back when it turns out not to be claimable.
pub(crate) trait Claims {
    fn take(&self, key: &[u8]) -> bool;
    fn release(&self, key: &[u8]);
    /// How far the claims from each round's entry have got.
    fn fresh_progress(&self) -> &FreshProgress;
}

/// Per round's entry in a due queue (`DueEntry::Fresh`), how far the claims from it have got.
/// Kept in memory only: after a restart the first claim scans the round's deliveries from the
/// start.
#[derive(Default)]
pub(crate) struct FreshProgress(Mutex<HashMap<Vec<u8>, Arc<Mutex<RoundProgress>>>>);

/// How far the claims from one round's entry have got.
#[derive(Default)]
struct RoundProgress {
    /// Where the scan of the round's deliveries goes on (`None`: at its first).
    next: Option<Vec<u8>>,
    /// Deliveries behind `next` that were claimed, here or elsewhere, when the scan passed them,
    /// until they are seen attempted: an attempt whose outcome could not be written is claimed
    /// again, and the entry goes only once this is empty.
    unsettled: BTreeSet<Vec<u8>>,
}

impl FreshProgress {
    fn of(&self, due_key: &[u8]) -> Arc<Mutex<RoundProgress>> {
        Arc::clone(self.0.lock().entry(due_key.to_vec()).or_default())
    }

    fn forget(&self, due_key: &[u8]) {
        self.0.lock().remove(due_key);
    }
}

/// Claims the earliest delivery of `channel` due at `now`, scanning its due queue from
/// `resume_at` when given.
pub(crate) fn claim_next(
    inner: &Context,
    channel: &str,
    now: Timestamp,
    resume_at: Option<&[u8]>,
    claims: &impl Claims,
) -> Result<Claim, StoreError> {
    let due = &inner.store.deliveries_due;
    let prefix = keys::due_prefix(channel);
    let start = resume_at.map_or_else(|| prefix.clone(), <[u8]>::to_vec);
    let end = keys::due_after(channel, now);
    if start < end {
        for item in due.range(start..end.clone()) {
            let (due_key, _) = item?;
            let Some((_, entry)) = keys::due_parts(&due_key, channel) else {
                continue;
            };
            let (claimed, resume_at) = match entry {
                DueEntry::One(key) => {
                    let mut after = due_key.to_vec();
                    after.push(0);
                    (claim_listed(inner, &due_key, &key, now, claims)?, after)
                }
                DueEntry::Fresh { from, to } => {
                    let claimed = claim_fresh(inner, &due_key, channel, from..to, now, claims)?;
                    (claimed, due_key.to_vec())
                }
            };
            if let Some(delivery) = claimed {
                return Ok(Claim::Due {
                    delivery,
                    resume_at,
                });
            }
        }
    }
    let next = due
        .range(end..)
        .next()
        .transpose()?
        .filter(|(key, _)| key.starts_with(&prefix))
        .and_then(|(key, _)| keys::due_parts(&key, channel))
        .map(|(at, _)| at);
    Ok(Claim::Idle(next))
}

/// Claims the delivery behind a due entry of its own, or drops the entry if it is a leftover
/// whose record has moved on.
fn claim_listed(
    inner: &Context,
    due_key: &[u8],
    key: &[u8],
    now: Timestamp,
    claims: &impl Claims,
) -> Result<Option<Box<Delivery>>, StoreError> {
    let listed = |delivery: &Delivery| delivery.due_key().as_deref() == Some(due_key);
    Ok(match claim_if(inner, key, now, claims, listed)? {
        Taken::Claimed(delivery) => Some(delivery),
        Taken::Busy => None,
        Taken::Not => {
            inner.store.deliveries_due.remove(due_key)?;
            None
        }
    })
}

/// Claims the next delivery over `channel` of the log entries `seqs` that awaits an attempt,
/// for the round's entry `due_key`; drops the entry once each of them has had its attempt.
fn claim_fresh(
    inner: &Context,
    due_key: &[u8],
    channel: &str,
    seqs: std::ops::Range<u64>,
    now: Timestamp,
    claims: &impl Claims,
) -> Result<Option<Box<Delivery>>, StoreError> {
    let progress = claims.fresh_progress().of(due_key);
    let mut progress = progress.lock();
    let all = keys::deliveries_of(seqs.start, seqs.end);
    let start = progress.next.clone().unwrap_or_else(|| all.start.to_vec());
    for key in inner.store.deliveries.range(start..all.end.to_vec()).keys() {
        let key = key?;
        let mut next = key.to_vec();
        next.push(0);
        progress.next = Some(next);
        if !keys::delivery_is_over(&key, channel) {
            continue;
        }
        // The record is read (once) under the claim; one held elsewhere is looked at again below.
        match claim_if(inner, &key, now, claims, awaits_attempt)? {
            Taken::Claimed(delivery) => {
                progress.unsettled.insert(key.to_vec());
                return Ok(Some(delivery));
            }
            Taken::Busy => {
                progress.unsettled.insert(key.to_vec());
            }
            Taken::Not => {}
        }
    }
    // Past the last: look again at those passed while claimed. Read before claiming, so that
    // one already attempted is settled even while its claim is still held.
    for key in progress.unsettled.clone() {
        // Neither pending nor sending: it has had its attempt (a retry has an entry of its own).
        if !load(inner, &key)?.is_some_and(|delivery| awaits_attempt(&delivery)) {
            progress.unsettled.remove(&key);
        } else if let Taken::Claimed(delivery) = claim_if(inner, &key, now, claims, awaits_attempt)?
        {
            return Ok(Some(delivery));
        }
    }
    if progress.unsettled.is_empty() {
        inner.store.deliveries_due.remove(due_key)?;
        claims.fresh_progress().forget(due_key);
    }
    Ok(None)
}

/// What became of an attempt to claim a delivery.
enum Taken {
    Claimed(Box<Delivery>),
    /// Claimed by someone else, or its log entry is not known to be durable yet.
    Busy,
    /// Its record is not claimable (any more).
    Not,
}

/// Claims `key` if its record, read again under the claim, is `claimable`, and marks it
/// `sending`.
fn claim_if(
    inner: &Context,
    key: &[u8],
    now: Timestamp,
    claims: &impl Claims,
    claimable: impl Fn(&Delivery) -> bool,
) -> Result<Taken, StoreError> {
    if !claims.take(key) {
        return Ok(Taken::Busy);
    }
    let taken = match load(inner, key) {
        Ok(Some(delivery)) if claimable(&delivery) => {
            mark_sending(inner, key, delivery, now).map(|claimed| Taken::Claimed(Box::new(claimed)))
        }
        Ok(_) => Ok(Taken::Not),
        Err(error) => Err(error),
    };
    if !matches!(taken, Ok(Taken::Claimed(_))) {
        claims.release(key);
    }
    taken
}

/// Writes a claimed delivery as `sending`, its attempt counted.
fn mark_sending(
    inner: &Context,
    key: &[u8],
    mut delivery: Delivery,
    now: Timestamp,
) -> Result<Delivery, StoreError> {
    delivery.status = DeliveryStatus::Sending;
    delivery.attempts = delivery.attempts.saturating_add(1);
    delivery.updated_at = now;
    inner
        .store
        .deliveries
        .insert(key, codec::write(&delivery))?;
    Ok(delivery)
}

/// How an attempt ended, as recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    Sent,
    Retrying,
    Failed,
}

/// Records the result of an attempt on a claimed delivery and waits until it is durable.
pub(crate) fn record(
    inner: &Context,
    mut delivery: Delivery,
    result: Result<Receipt, DeliveryError>,
    policy: &DeliveryPolicy,
) -> Result<Outcome, StoreError> {
    let now = inner.now();
    let old_due = delivery.due_key();
    let outcome = match result {
        Ok(receipt) => {
            delivery.status = DeliveryStatus::Sent;
            delivery.receipt = Some(receipt);
            delivery.next_attempt_at = None;
            Outcome::Sent
        }
        Err(error) => {
            let permanent = matches!(error, DeliveryError::Permanent(_));
            delivery.last_error = Some(error.to_string());
            if permanent || delivery.attempts >= policy.max_attempts.max(1) {
                delivery.status = DeliveryStatus::Failed;
                delivery.next_attempt_at = None;
                Outcome::Failed
            } else {
                delivery.status = DeliveryStatus::Retrying;
                delivery.next_attempt_at = Some(now.plus(policy.backoff(delivery.attempts)));
                Outcome::Retrying
            }
        }
    };
    delivery.updated_at = now;
    let key = delivery.key();
    let new_due = delivery.due_key();
    let record = codec::write(&delivery);
    let store = &inner.store;
    // Three plain writes instead of a transaction (sled writes its log buffer twice more for
    // each transaction), in an order that is safe wherever a crash cuts it: sled recovers a
    // prefix of its log, and a due entry the record does not point at is a leftover that the
    // next claim drops. No other worker touches this delivery meanwhile: it stays claimed in
    // memory until the caller releases it.
    if let Some(new) = &new_due {
        store.deliveries_due.insert(new.as_slice(), &[])?;
    }
    store.deliveries.insert(key.as_slice(), record)?;
    if let Some(old) = old_due.filter(|old| Some(old) != new_due.as_ref()) {
        store.deliveries_due.remove(old)?;
    }
    // Until this returns, a crash repeats the delivery: that is the in-flight window.
    store.durable()?;
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;
    use crate::notify::Channel;
    use crate::testing::{self, EmailChannel};
    use crate::{Clock, Config, ManualClock, Prasang};

    const BACKOFF: Duration = Duration::from_secs(10);

    /// A store whose one booking's e-mail has failed once and is `retrying`.
    fn retrying_delivery() -> (Prasang, ManualClock, Arc<EmailChannel>, Delivery) {
        let clock = ManualClock::new(Timestamp::from_millis(1_893_456_000_000));
        let channel = Arc::new(EmailChannel {
            failures: 1,
            ..EmailChannel::default()
        });
        let policy = DeliveryPolicy {
            backoff_base: BACKOFF,
            ..DeliveryPolicy::default()
        };
        let prasang = testing::one_booking(
            Config::temporary()
                .clock(clock.clone())
                .background_tasks(false)
                .channel(Arc::clone(&channel) as Arc<dyn Channel>)
                .delivery_policy(policy),
        )
        .prasang;
        let report = prasang.run_notifications_once().expect("run");
        assert_eq!(report.retrying, 1);
        let delivery = only_delivery(&prasang);
        assert_eq!(delivery.status, DeliveryStatus::Retrying);
        (prasang, clock, channel, delivery)
    }

    /// The store's one delivery record.
    fn only_delivery(prasang: &Prasang) -> Delivery {
        let deliveries = &prasang.inner.ctx.store.deliveries;
        assert_eq!(deliveries.len(), 1);
        let (_, record) = deliveries.iter().next().expect("one").expect("readable");
        codec::read(&record).expect("decodes")
    }

    /// Puts `delivery` in its channel's due queue at `at`, as a cut outcome write can leave it.
    fn add_due_entry(prasang: &Prasang, delivery: &Delivery, at: Timestamp) {
        let key = keys::due(&delivery.channel, at, delivery.log_seq, delivery.user);
        let queue = &prasang.inner.ctx.store.deliveries_due;
        queue.insert(key, &[]).expect("insert a due entry");
    }

    fn due_entries(prasang: &Prasang) -> usize {
        prasang.inner.ctx.store.deliveries_due.len()
    }

    #[test]
    fn a_crash_before_the_old_due_entry_went_does_not_deliver_early_or_twice() {
        let (prasang, clock, channel, delivery) = retrying_delivery();
        // The state a crash leaves between writing the `retrying` record and removing the due
        // entry it was claimed from: that entry is due now, the record points later.
        add_due_entry(&prasang, &delivery, delivery.created_at);
        assert_eq!(due_entries(&prasang), 2);

        prasang.run_notifications_once().expect("run");
        assert_eq!(channel.calls(), 1, "not attempted before its time");
        assert_eq!(due_entries(&prasang), 1, "the leftover was dropped");

        clock.advance(BACKOFF);
        assert_eq!(prasang.run_notifications_once().expect("run").sent, 1);
        assert_eq!(channel.calls(), 2);
        assert_eq!(due_entries(&prasang), 0);
    }

    #[test]
    fn a_stray_due_entry_from_a_cut_outcome_write_never_causes_a_second_delivery() {
        let (prasang, clock, channel, delivery) = retrying_delivery();
        // What a crash leaves after an outcome's first write (its new due entry) but before the
        // record: a due entry the record does not point at, here due after the real one.
        add_due_entry(&prasang, &delivery, clock.now().plus(BACKOFF * 3));

        clock.advance(BACKOFF);
        assert_eq!(prasang.run_notifications_once().expect("run").sent, 1);
        clock.advance(BACKOFF * 3);
        let report = prasang.run_notifications_once().expect("run");
        assert_eq!((report.sent, report.retrying), (0, 0), "sent once only");
        assert_eq!(channel.calls(), 2);
        assert_eq!(due_entries(&prasang), 0, "the stray entry was dropped");
    }

    /// Claims as the runtime's do, without its check for durability; keys stay taken until
    /// released.
    #[derive(Default)]
    struct Held {
        taken: Mutex<std::collections::HashSet<Vec<u8>>>,
        progress: FreshProgress,
    }

    impl Claims for Held {
        fn take(&self, key: &[u8]) -> bool {
            self.taken.lock().insert(key.to_vec())
        }
        fn release(&self, key: &[u8]) {
            self.taken.lock().remove(key);
        }
        fn fresh_progress(&self) -> &FreshProgress {
            &self.progress
        }
    }

    fn claim(prasang: &Prasang, claims: &Held) -> Option<Delivery> {
        let now = prasang.now();
        match claim_next(&prasang.inner.ctx, "email", now, None, claims).expect("claim") {
            Claim::Due { delivery, .. } => Some(*delivery),
            Claim::Idle(_) => None,
        }
    }

    #[test]
    fn a_rounds_due_entry_stays_until_each_of_its_deliveries_has_had_its_attempt() {
        let testing::OneBooking { prasang, event, .. } =
            testing::one_booking(Config::temporary().background_tasks(false));
        for name in ["bob", "cy"] {
            let attendee = testing::register(&prasang, name, crate::users::Role::Attendee);
            let request = crate::tickets::BookingRequest {
                attendee_names: Default::default(),
                pass: None,
                event: event.id,
                quantity: 1,
                idempotency_key: None,
                lines: Vec::new(),
                promo_code: None,
            };
            prasang.tickets().book(&attendee, &request).expect("book");
        }
        super::super::runtime::dispatch_pending(&prasang.inner.ctx, &prasang.inner.notifier)
            .expect("dispatch");
        assert_eq!(prasang.inner.ctx.store.deliveries.len(), 3);
        assert_eq!(due_entries(&prasang), 1, "one entry for the round's three");

        let claims = Held::default();
        let claimed: Vec<Delivery> = std::iter::from_fn(|| claim(&prasang, &claims)).collect();
        assert_eq!(claimed.len(), 3, "each claimed once, none while claimed");
        assert!(
            claimed
                .iter()
                .all(|d| d.status == DeliveryStatus::Sending && d.attempts == 1)
        );
        assert_eq!(
            due_entries(&prasang),
            1,
            "kept while they are being attempted"
        );

        // Two are sent; the third attempt is cut off before its outcome is written.
        let policy = DeliveryPolicy::default();
        let [first, second, cut] = <[Delivery; 3]>::try_from(claimed).expect("three");
        let accepted = || {
            Ok(Receipt {
                remote_id: None,
                detail: "accepted".into(),
            })
        };
        for sent in [first, second] {
            let key = sent.key();
            let outcome = record(&prasang.inner.ctx, sent, accepted(), &policy);
            assert_eq!(outcome.expect("recorded"), Outcome::Sent);
            claims.release(&key);
        }
        claims.release(&cut.key());

        let again = claim(&prasang, &claims).expect("the cut attempt is due again");
        assert_eq!((again.key(), again.attempts), (cut.key(), 2));
        let outcome = record(&prasang.inner.ctx, again, accepted(), &policy);
        assert_eq!(outcome.expect("recorded"), Outcome::Sent);
        claims.release(&cut.key());

        assert!(claim(&prasang, &claims).is_none());
        assert_eq!(due_entries(&prasang), 0, "dropped once all were attempted");
    }

    #[test]
    fn a_pending_delivery_queued_by_its_own_entry_as_older_stores_did_is_sent_once() {
        let channel = Arc::new(EmailChannel::default());
        let config = Config::temporary()
            .background_tasks(false)
            .channel(Arc::clone(&channel) as Arc<dyn Channel>);
        let prasang = testing::one_booking(config).prasang;
        super::super::runtime::dispatch_pending(&prasang.inner.ctx, &prasang.inner.notifier)
            .expect("dispatch");
        // What dispatch wrote before rounds had entries: the delivery's own entry, no round's.
        prasang
            .inner
            .ctx
            .store
            .deliveries_due
            .clear()
            .expect("clear");
        let delivery = only_delivery(&prasang);
        add_due_entry(&prasang, &delivery, delivery.created_at);

        assert_eq!(prasang.run_notifications_once().expect("run").sent, 1);
        assert_eq!(prasang.run_notifications_once().expect("run").sent, 0);
        assert_eq!(channel.calls(), 1, "delivered once");
        assert_eq!(only_delivery(&prasang).status, DeliveryStatus::Sent);
        assert_eq!(due_entries(&prasang), 0);
    }

    /// The body of `delivery` (with no queue pass) in layout version 4: version 5 without its
    /// last field, a `None`.
    fn v4_body(delivery: &Delivery) -> Vec<u8> {
        assert!(delivery.notification.queue_pass.is_none());
        let v5 = postcard::to_allocvec(delivery).expect("encodes");
        assert_eq!(v5[v5.len() - 1..], [0]);
        v5[..v5.len() - 1].to_vec()
    }

    /// The body of `delivery` (with no offer, subject or queue pass) in layout version 3:
    /// version 4 without its last two fields, two `None`s.
    fn v3_body(delivery: &Delivery) -> Vec<u8> {
        assert!(delivery.notification.offer.is_none() && delivery.notification.subject.is_none());
        let v4 = v4_body(delivery);
        assert_eq!(v4[v4.len() - 2..], [0, 0]);
        v4[..v4.len() - 2].to_vec()
    }

    /// The body of `delivery` in layout version 2, built from the parts postcard writes one
    /// after another: what comes before the ticket, the ticket's five fields of then, the rest.
    fn v2_body(delivery: &Delivery) -> Vec<u8> {
        let ticket = delivery.notification.ticket.clone().expect("a ticket");
        let mut without_ticket = delivery.clone();
        without_ticket.notification.ticket = None;
        let none = v3_body(&without_ticket);
        let some = v3_body(delivery);
        // The option's tag (0 = none, 1 = some) is the first byte where the two differ.
        let at = none
            .iter()
            .zip(&some)
            .position(|(a, b)| a != b)
            .expect("differ");
        let mut v2 = none[..at].to_vec();
        let old = (
            ticket.id,
            ticket.quantity,
            ticket.status,
            ticket.amount_minor,
            ticket.expires_at,
        );
        v2 = postcard::to_extend(&Some(old), v2).expect("encodes");
        v2.extend_from_slice(&none[at + 1..]);
        v2
    }

    #[test]
    fn versions_1_to_4_read_with_a_ticket_of_no_lines_discount_or_code() {
        let (_, _, _, mut delivery) = retrying_delivery();
        delivery.notification.time_zone = "Asia/Kolkata".into();
        delivery.notification.message = Some("after the ticket".into());
        let ticket = delivery.notification.ticket.as_mut().expect("a ticket");
        ticket.expires_at = Some(delivery.created_at);
        ticket.discount_minor = 500;
        ticket.promo_code = Some("EARLY".into());
        assert!(!ticket.lines.is_empty());
        let mut as_of_then = delivery.clone();
        let ticket = as_of_then.notification.ticket.as_mut().expect("a ticket");
        ticket.lines.clear();
        ticket.discount_minor = 0;
        ticket.promo_code = None;

        let v2 = [&[2][..], &v2_body(&delivery)].concat();
        assert_eq!(codec::read::<Delivery>(&v2).expect("reads v2"), as_of_then);
        let zone = postcard::to_allocvec("Asia/Kolkata").expect("encodes");
        let v1 = [&[1][..], &v2[1..v2.len() - zone.len()]].concat();
        as_of_then.notification.time_zone = "UTC".into();
        assert_eq!(codec::read::<Delivery>(&v1).expect("reads v1"), as_of_then);
        let v3 = [&[3][..], &v3_body(&delivery)].concat();
        assert_eq!(codec::read::<Delivery>(&v3).expect("reads v3"), delivery);
        let v4 = [&[4][..], &v4_body(&delivery)].concat();
        assert_eq!(codec::read::<Delivery>(&v4).expect("reads v4"), delivery);
        let v5 = codec::write(&delivery);
        assert_eq!(v5[0], 5);
        assert_eq!(codec::read::<Delivery>(&v5).expect("reads v5"), delivery);
    }

    #[test]
    fn stored_kinds_keep_their_variant_indexes() {
        let kinds = [
            NotificationKind::TicketBooked,
            NotificationKind::WaitlistOffer,
            NotificationKind::GuestAccess,
            NotificationKind::QueueAdmitted,
        ];
        assert_eq!(codec::variant_indexes(&kinds), [0, 8, 10, 11]);
    }

    #[test]
    fn version_4_reads_with_no_queue_pass_and_version_5_keeps_one() {
        let (_, _, _, mut delivery) = retrying_delivery();
        delivery.notification.subject = Some("last field of version 4".into());
        let v4 = [&[4][..], &v4_body(&delivery)].concat();
        assert_eq!(codec::read::<Delivery>(&v4).expect("reads v4"), delivery);

        delivery.notification.kind = NotificationKind::QueueAdmitted;
        delivery.notification.queue_pass = Some(crate::notify::QueuePassSummary {
            expires_at: delivery.created_at,
            url: "https://tickets.example.org/events/x/waiting-room".into(),
        });
        let v5 = codec::write(&delivery);
        assert_eq!(codec::read::<Delivery>(&v5).expect("reads v5"), delivery);
    }
}
