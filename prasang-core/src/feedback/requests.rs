//! Post-event feedback requests: when an event ends, its holders of booked tickets are asked
//! "how was it?" exactly once.
//!
//! Like hold expiry, this is a due queue: `feedback_due` holds `(ends_at, event)` keys and
//! `feedback_due_by_event` the state of each event (scheduled at a time, already requested, or
//! off because it was cancelled or deleted). The analytics consumer keeps the queue in step with
//! the log (event created, end moved, cancelled, deleted) in the same transaction that moves its
//! cursor. When an entry falls due, one transaction removes it, marks the event `Requested` and
//! appends one [`DomainEvent::FeedbackRequested`]; the notification dispatcher turns that entry
//! into one delivery per holder and channel, keyed by the log sequence, so a restart at any
//! point neither skips nor repeats a request.

use serde::{Deserialize, Serialize};
use sled::transaction::{
    ConflictableTransactionError, TransactionalTree, UnabortableTransactionError,
};

use crate::context::Context;
use crate::ids::EventId;
use crate::log::{self, DomainEvent};
use crate::store::{self, StoreError, codec, keys};
use crate::time::Timestamp;

/// Events requested per transaction.
const BATCH: usize = 256;

/// Events that ended longer ago than this when the consumer first sees them are not asked about.
pub(crate) const ASK_WITHIN: std::time::Duration = std::time::Duration::from_secs(7 * 86_400);

/// Where an event stands in the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum DueState {
    /// Due at this time (its end).
    Scheduled(Timestamp),
    /// The request went out; never again.
    Requested,
    /// Cancelled or deleted: no request.
    Off,
}

fn due_key(at: Timestamp, event: EventId) -> [u8; 24] {
    let mut key = [0u8; 24];
    key[..8].copy_from_slice(&keys::timestamp(at));
    key[8..].copy_from_slice(&event.to_bytes());
    key
}

/// Inside the consumer's transaction: (re)schedules `event` for `ends_at`, or takes it off the
/// queue when `None`. An event already requested stays requested.
pub(crate) fn reschedule(
    due: &TransactionalTree,
    by_event: &TransactionalTree,
    event: EventId,
    ends_at: Option<Timestamp>,
) -> Result<(), UnabortableTransactionError> {
    let state = by_event
        .get(event.to_bytes())?
        .and_then(|bytes| codec::decode::<DueState>("feedback_due_by_event", &bytes).ok());
    match state {
        Some(DueState::Requested) => return Ok(()),
        Some(DueState::Scheduled(at)) => {
            due.remove(&due_key(at, event))?;
        }
        Some(DueState::Off) | None => {}
    }
    let next = match ends_at {
        Some(at) => {
            due.insert(&due_key(at, event), &[])?;
            DueState::Scheduled(at)
        }
        None => DueState::Off,
    };
    by_event.insert(&event.to_bytes(), codec::encode(&next))?;
    Ok(())
}

/// Requests feedback for every event whose end has passed. Returns how many were requested.
pub(crate) fn send_due(inner: &Context) -> Result<usize, StoreError> {
    let store = &inner.store;
    let mut requested = 0;
    loop {
        let now = inner.now();
        let end = keys::timestamp(now.plus(std::time::Duration::from_millis(1)));
        let mut due = Vec::new();
        for item in store.feedback_due.range(..end.to_vec()).take(BATCH) {
            let (key, _) = item?;
            let Some(at) = key.get(..8).and_then(keys::timestamp_from) else {
                continue;
            };
            if let Some(event) = key.get(8..).and_then(EventId::from_key_prefix) {
                due.push((at, event));
            }
        }
        if due.is_empty() {
            return Ok(requested);
        }
        let batch = due.len();
        let written = store.transaction(
            (
                &store.feedback_due,
                &store.feedback_due_by_event,
                &store.log,
            ),
            |(queue, by_event, log)| {
                let mut written = 0;
                for &(at, event) in &due {
                    queue.remove(&due_key(at, event))?;
                    let state = by_event.get(event.to_bytes())?.and_then(|bytes| {
                        codec::decode::<DueState>("feedback_due_by_event", &bytes).ok()
                    });
                    // A stale key (the end moved, or the event was called off) asks nobody.
                    if state != Some(DueState::Scheduled(at)) {
                        continue;
                    }
                    by_event.insert(&event.to_bytes(), codec::encode(&DueState::Requested))?;
                    log::append(log, now, &DomainEvent::FeedbackRequested { event })?;
                    written += 1;
                }
                Ok::<_, ConflictableTransactionError<StoreError>>(written)
            },
        );
        let written = store::finish(written)?;
        if written > 0 {
            inner.committed_with_log()?;
        }
        requested += written;
        if batch < BATCH {
            return Ok(requested);
        }
    }
}
