//! The event log: every state change appends a typed domain event, in the same transaction as
//! the change itself. Consumers (notifications, analytics, exporters) read from a sequence number
//! and remember how far they got in a named cursor; they process at least once and key their
//! effects by the sequence number, so replaying from any point is safe.

mod events;

use std::time::Duration;

use serde::{Deserialize, Serialize};
use sled::transaction::{TransactionalTree, UnabortableTransactionError};

pub use events::{DomainEvent, EventField, TypeChange};

use crate::auth::Actor;
use crate::context::Context;
use crate::error::{CommonError, ErrorInfo, domain_error};
use crate::store::{StoreError, codec, keys};
use crate::time::Timestamp;

/// How long a background consumer of the log (analytics, the notification dispatcher) lets
/// commits gather after a round that found entries, before its next round. A flash sale commits
/// a booking batch every few milliseconds; a round per commit cost each consumer a wake-up and a
/// transaction of its own per commit (docs/performance-history.md, third round). What a consumer sees, and
/// that it sees every entry once, does not change; it only sees them a little later.
pub(crate) const CONSUMER_GATHER: Duration = Duration::from_millis(20);

/// A consumer's backlog is counted entry by entry up to this many (that number means at least
/// as many), so that reading it stays cheap during a long outage.
pub const BACKLOG_COUNT_CAP: usize = 100_000;

/// One entry of the log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogEntry {
    /// Position in the log; strictly increasing in commit order (gaps are possible).
    pub seq: u64,
    /// When the change was committed.
    pub at: Timestamp,
    /// What happened.
    pub event: DomainEvent,
}

/// What is stored under a sequence number.
#[derive(Serialize, Deserialize)]
struct StoredEntry {
    at: Timestamp,
    event: DomainEvent,
}

/// Errors of the log API.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    /// A cursor name must be 1–64 printable characters.
    #[error("cursor names must be 1 to 64 printable characters")]
    InvalidCursorName,
    /// Shared refusals and failures: forbidden (the log is for admins), storage.
    #[error(transparent)]
    Common(#[from] CommonError),
}

domain_error!(LogError {
    LogError::InvalidCursorName => ErrorInfo::new(InvalidInput, "invalid-field", "A field is invalid"),
});

/// Appends `event` inside a transaction and returns its sequence number.
///
/// sled runs transactions one at a time under a process-wide lock, so ids drawn here are issued
/// in commit order: a consumer that has seen sequence `n` will never later find a smaller one.
pub(crate) fn append(
    log: &TransactionalTree,
    at: Timestamp,
    event: &DomainEvent,
) -> Result<u64, UnabortableTransactionError> {
    let seq = log.generate_id()?;
    log.insert(
        &keys::log_seq(seq),
        codec::encode(&StoredEntry {
            at,
            event: event.clone(),
        }),
    )?;
    Ok(seq)
}

/// Reading the log and keeping consumer cursors. Obtained from [`crate::Prasang::log`].
pub struct Log<'a> {
    pub(crate) inner: &'a Context,
}

impl Log<'_> {
    /// Up to `limit` entries with `seq >= from`, in order (admins only: the log names every
    /// user and every booking).
    pub fn read(&self, actor: &Actor, from: u64, limit: usize) -> Result<Vec<LogEntry>, LogError> {
        actor.require_admin("only admins can read the event log")?;
        Ok(self.entries(from, limit)?)
    }

    /// [`Log::read`] for the core's own consumers.
    pub(crate) fn entries(&self, from: u64, limit: usize) -> Result<Vec<LogEntry>, StoreError> {
        let mut entries = Vec::with_capacity(limit.min(1024));
        for item in self
            .inner
            .store
            .log
            .range(keys::log_seq(from)..)
            .take(limit)
        {
            let (key, value) = item.map_err(StoreError::from)?;
            let seq = keys::seq_from_key(&key).ok_or(StoreError::Corrupt {
                tree: "log",
                reason: "short key".into(),
            })?;
            let stored: StoredEntry = codec::decode("log", &value)?;
            entries.push(LogEntry {
                seq,
                at: stored.at,
                event: stored.event,
            });
        }
        Ok(entries)
    }

    /// The sequence number one past the newest entry (0 for an empty log).
    pub fn end(&self) -> Result<u64, LogError> {
        Ok(self.next_seq()?)
    }

    /// Entries at or after `from`, counted up to [`BACKLOG_COUNT_CAP`]: a consumer's backlog.
    /// Sequence numbers have gaps (a restart skips ahead by millions), so the difference of two
    /// of them is no count.
    pub(crate) fn backlog(&self, from: u64) -> Result<u64, StoreError> {
        let mut count = 0;
        let entries = self.inner.store.log.range(keys::log_seq(from)..);
        for item in entries.take(BACKLOG_COUNT_CAP) {
            item?;
            count += 1;
        }
        Ok(count)
    }

    /// [`Log::end`] for the core's own consumers.
    pub(crate) fn next_seq(&self) -> Result<u64, StoreError> {
        let last = self.inner.store.log.last()?;
        Ok(last
            .and_then(|(key, _)| keys::seq_from_key(&key))
            .map_or(0, |seq| seq + 1))
    }

    /// Where the consumer `name` should resume: the first sequence it has not processed (0 when
    /// it never committed).
    pub fn cursor(&self, name: &str) -> Result<u64, LogError> {
        check_cursor_name(name)?;
        Ok(self.position(name)?)
    }

    /// [`Log::cursor`] for the core's own consumers, whose names are constants.
    pub(crate) fn position(&self, name: &str) -> Result<u64, StoreError> {
        let stored = self.inner.store.cursors.get(name)?;
        Ok(stored
            .and_then(|bytes| keys::seq_from_key(&bytes))
            .unwrap_or(0))
    }

    /// Records that consumer `name` has processed everything before `next`. Durable on return
    /// (under group commit), so a restart resumes from here.
    pub fn commit_cursor(&self, name: &str, next: u64) -> Result<(), LogError> {
        check_cursor_name(name)?;
        self.inner
            .store
            .cursors
            .insert(name, &keys::log_seq(next))
            .map_err(StoreError::from)?;
        self.inner.store.durable()?;
        Ok(())
    }

    /// Blocks until the log holds an entry at or after `from`, or `timeout` passes. Returns
    /// whether such an entry exists.
    pub fn wait_for(&self, from: u64, timeout: Duration) -> Result<bool, LogError> {
        let deadline = std::time::Instant::now() + timeout;
        self.inner
            .log_signal
            .wait_unless(deadline, || Ok::<_, LogError>(self.end()? > from))?;
        Ok(self.end()? > from)
    }
}

fn check_cursor_name(name: &str) -> Result<(), LogError> {
    let printable = name.chars().all(|c| !c.is_control());
    if name.is_empty() || name.len() > 64 || !printable {
        return Err(LogError::InvalidCursorName);
    }
    Ok(())
}
