//! The delivery log: one record per (log entry, recipient, channel) and its way through
//! pending → sending → sent | retrying → … → failed.
//!
//! Write order, and why it is safe:
//! 1. the record is created `pending`, then its entry in its channel's due queue (by dispatch,
//!    before the cursor moves past its log entry);
//! 2. a worker claims it (in memory, see [`super::runtime`]) and writes `sending`;
//! 3. the channel is called;
//! 4. the outcome is written — a new due entry first (retrying), then the record, then the old
//!    due entry removed — and made durable.
//!
//! The due entry is removed only in step 4, so a crash anywhere before it leaves the delivery
//! due: after a restart it is attempted again, with the same idempotency key.

use serde::{Deserialize, Serialize};

use super::{DeliveryError, DeliveryPolicy, Notification, NotificationKind, Receipt, keys};
use crate::Inner;
use crate::ids::{EventId, UserId};
use crate::store::StoreError;
use crate::store::codec::{self, Record};
use crate::time::Timestamp;
use crate::zone::Zone;

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
    /// Exactly what is handed to the channel, on every attempt.
    pub notification: Notification,
}

/// Version 2 added [`Notification::time_zone`], the last field of the last field: a version-1
/// body followed by the encoding of `"UTC"` is a version-2 body, the zone old events had.
impl Record for Delivery {
    const TREE: &'static str = "deliveries";
    const VERSION: u8 = 2;

    fn read_older(version: u8, body: &[u8]) -> Option<postcard::Result<Self>> {
        (version == 1).then(|| {
            let mut upgraded = body.to_vec();
            upgraded.extend(postcard::to_allocvec(Zone::utc().name()).unwrap_or_default());
            postcard::from_bytes(&upgraded)
        })
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
pub(crate) fn load(inner: &Inner, key: &[u8]) -> Result<Option<Delivery>, StoreError> {
    inner
        .store
        .deliveries
        .get(key)?
        .map(|bytes| codec::read(&bytes))
        .transpose()
}

/// What the next look at a channel's due queue found.
pub(crate) enum Claim {
    /// A delivery to attempt now; it is already marked `sending`.
    Due(Box<Delivery>),
    /// Nothing due now; the earliest future due time, if any.
    Idle(Option<Timestamp>),
}

/// Claims the earliest delivery of `channel` due at `now` that `take` accepts (`take` is the
/// in-memory claim: it refuses keys already being attempted; `release` gives a key back when it
/// turns out not to be claimable). Scans from just after the due key `after` when given.
pub(crate) fn claim_next(
    inner: &Inner,
    channel: &str,
    now: Timestamp,
    after: Option<&[u8]>,
    mut take: impl FnMut(&[u8]) -> bool,
    mut release: impl FnMut(&[u8]),
) -> Result<Claim, StoreError> {
    let due = &inner.store.deliveries_due;
    let prefix = keys::due_prefix(channel);
    let start = match after {
        Some(after) => {
            let mut key = after.to_vec();
            key.push(0);
            key
        }
        None => prefix.clone(),
    };
    let end = keys::due_after(channel, now);
    if start < end {
        for item in due.range(start..end.clone()) {
            let (due_key, _) = item?;
            let Some((_, key)) = keys::due_parts(&due_key, channel) else {
                continue;
            };
            if !take(&key) {
                continue;
            }
            match claim_one(inner, &due_key, &key, now) {
                Ok(Some(delivery)) => return Ok(Claim::Due(Box::new(delivery))),
                Ok(None) => release(&key),
                Err(error) => {
                    release(&key);
                    return Err(error);
                }
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

/// Marks the delivery behind `due_key` as `sending`, or drops a leftover due entry whose record
/// has moved on (returning `None`).
fn claim_one(
    inner: &Inner,
    due_key: &[u8],
    key: &[u8],
    now: Timestamp,
) -> Result<Option<Delivery>, StoreError> {
    let mut delivery = match load(inner, key)? {
        Some(delivery) if delivery.due_key().as_deref() == Some(due_key) => delivery,
        _ => {
            inner.store.deliveries_due.remove(due_key)?;
            return Ok(None);
        }
    };
    delivery.status = DeliveryStatus::Sending;
    delivery.attempts = delivery.attempts.saturating_add(1);
    delivery.updated_at = now;
    inner
        .store
        .deliveries
        .insert(key, codec::write(&delivery))?;
    Ok(Some(delivery))
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
    inner: &Inner,
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
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::time::Duration;

    use super::*;
    use crate::notify::Channel;
    use crate::{Clock, Config, ManualClock, Prasang, testing};

    /// Fails its first call (temporarily), then accepts; counts calls.
    #[derive(Default)]
    struct FailsOnce {
        calls: AtomicU32,
    }

    impl Channel for FailsOnce {
        fn id(&self) -> &str {
            "email"
        }
        fn deliver(&self, _: &Notification) -> Result<Receipt, DeliveryError> {
            match self.calls.fetch_add(1, Ordering::SeqCst) {
                0 => Err(DeliveryError::Temporary("not yet".into())),
                _ => Ok(Receipt {
                    remote_id: None,
                    detail: "accepted".into(),
                }),
            }
        }
    }

    const BACKOFF: Duration = Duration::from_secs(10);

    /// A store whose one booking's e-mail has failed once and is `retrying`.
    fn retrying_delivery() -> (Prasang, ManualClock, Arc<FailsOnce>, Delivery) {
        let clock = ManualClock::new(Timestamp::from_millis(1_893_456_000_000));
        let channel = Arc::new(FailsOnce::default());
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
        let (_, record) = prasang
            .inner
            .store
            .deliveries
            .iter()
            .next()
            .expect("one delivery")
            .expect("readable");
        let delivery: Delivery = codec::read(&record).expect("decodes");
        assert_eq!(delivery.status, DeliveryStatus::Retrying);
        (prasang, clock, channel, delivery)
    }

    /// Puts `delivery` in its channel's due queue at `at`, as a cut outcome write can leave it.
    fn add_due_entry(prasang: &Prasang, delivery: &Delivery, at: Timestamp) {
        let key = keys::due(&delivery.channel, at, delivery.log_seq, delivery.user);
        let queue = &prasang.inner.store.deliveries_due;
        queue.insert(key, &[]).expect("insert a due entry");
    }

    fn due_entries(prasang: &Prasang) -> usize {
        prasang.inner.store.deliveries_due.len()
    }

    #[test]
    fn a_crash_before_the_old_due_entry_went_does_not_deliver_early_or_twice() {
        let (prasang, clock, channel, delivery) = retrying_delivery();
        // The state a crash leaves between writing the `retrying` record and removing the due
        // entry it was claimed from: that entry is due now, the record points later.
        add_due_entry(&prasang, &delivery, delivery.created_at);
        assert_eq!(due_entries(&prasang), 2);

        prasang.run_notifications_once().expect("run");
        assert_eq!(
            channel.calls.load(Ordering::SeqCst),
            1,
            "not attempted before its time"
        );
        assert_eq!(due_entries(&prasang), 1, "the leftover was dropped");

        clock.advance(BACKOFF);
        assert_eq!(prasang.run_notifications_once().expect("run").sent, 1);
        assert_eq!(channel.calls.load(Ordering::SeqCst), 2);
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
        assert_eq!(channel.calls.load(Ordering::SeqCst), 2);
        assert_eq!(due_entries(&prasang), 0, "the stray entry was dropped");
    }
}
