//! The delivery log: one record per (log entry, recipient, channel) and its way through
//! pending → sending → sent | retrying → … → failed.
//!
//! Write order, and why it is safe:
//! 1. the record is created `pending` with an entry in its channel's due queue (by dispatch, in
//!    the same transaction as the cursor);
//! 2. a worker claims it (in memory, see [`super::runtime`]) and writes `sending`;
//! 3. the channel is called;
//! 4. the outcome and the due-queue change are written in one transaction, then made durable.
//!
//! The due entry is removed only in step 4, so a crash anywhere before it leaves the delivery
//! due: after a restart it is attempted again, with the same idempotency key.

use serde::{Deserialize, Serialize};
use sled::Transactional;
use sled::transaction::ConflictableTransactionError;

use super::{DeliveryError, DeliveryPolicy, Notification, NotificationKind, Receipt, keys};
use crate::Inner;
use crate::ids::{EventId, UserId};
use crate::store::{StoreError, codec};
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
    /// The last failure, if any.
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
        .map(|bytes| codec::decode("deliveries", &bytes))
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
        .insert(key, codec::encode(&delivery))?;
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
    let record = codec::encode(&delivery);
    let store = &inner.store;
    (&store.deliveries, &store.deliveries_due)
        .transaction(|(deliveries, due)| {
            deliveries.insert(key.as_slice(), record.as_slice())?;
            if let Some(old) = &old_due {
                due.remove(old.as_slice())?;
            }
            if let Some(new) = &new_due {
                due.insert(new.as_slice(), &[])?;
            }
            Ok::<_, ConflictableTransactionError<()>>(())
        })
        .map_err(|error| match error {
            sled::transaction::TransactionError::Storage(e) => StoreError::Engine(e),
            sled::transaction::TransactionError::Abort(()) => StoreError::Flush("aborted".into()),
        })?;
    // Until this returns, a crash repeats the delivery: that is the in-flight window.
    store.durable()?;
    Ok(outcome)
}
