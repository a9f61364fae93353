//! The sled keyspace: one `Db`, one `Tree` per record kind and per secondary index.
//!
//! This module is the only place that opens trees and knows the value format ([`codec`]). Key
//! encodings are in [`keys`], except those of the notification trees, which live beside the code
//! that reads them in `notify/keys.rs` (built from the helpers here); docs/storage.md describes
//! the same layout for humans.

pub(crate) mod codec;
mod durability;
pub(crate) mod keys;

use std::cell::Cell;
use std::collections::BTreeSet;
use std::panic::Location;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use sled::Transactional;
use sled::transaction::{
    ConflictableTransactionError, ConflictableTransactionResult, TransactionError,
    TransactionResult, UnabortableTransactionError,
};
use sled::{Db, Tree};

use durability::GroupCommit;

/// How writes reach the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// Every call that returns `Ok` is on disk; concurrent callers share one flush.
    GroupCommit,
    /// Calls return as soon as they are committed in memory; the store is flushed in the
    /// background every `every`. A crash can lose up to that much acknowledged work.
    Periodic {
        /// Flush interval.
        every: Duration,
    },
}

/// The storage layer failed underneath an operation.
///
/// Users see only "storage failure"; the `Debug` chain tells operators what happened.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// sled reported an I/O or corruption error.
    #[error("storage engine error")]
    Engine(#[from] sled::Error),
    /// A stored value could not be read back.
    #[error("stored record in `{tree}` is unreadable: {reason}")]
    Corrupt {
        /// The tree holding the value.
        tree: &'static str,
        /// What went wrong while decoding.
        reason: String,
    },
    /// Flushing to disk failed, so durability of the last write is unknown.
    #[error("flushing to disk failed: {0}")]
    Flush(String),
    /// Preparing the data folder or a background thread failed.
    #[error("could not prepare the data folder: {0}")]
    Io(#[from] std::io::Error),
    /// A transaction conflicted where it could not be retried.
    #[error("a storage transaction conflicted; retry")]
    Conflict,
    /// Signing a token failed (the signing key is unusable).
    #[error("signing failed: {0}")]
    Signing(String),
}

/// A copy for each caller of a batch that failed as a whole (the I/O error inside is copied by
/// kind and message, as sled copies its own).
impl Clone for StoreError {
    fn clone(&self) -> Self {
        match self {
            StoreError::Engine(error) => StoreError::Engine(error.clone()),
            StoreError::Corrupt { tree, reason } => StoreError::Corrupt {
                tree,
                reason: reason.clone(),
            },
            StoreError::Flush(reason) => StoreError::Flush(reason.clone()),
            StoreError::Io(error) => {
                StoreError::Io(std::io::Error::new(error.kind(), error.to_string()))
            }
            StoreError::Conflict => StoreError::Conflict,
            StoreError::Signing(reason) => StoreError::Signing(reason.clone()),
        }
    }
}

impl From<UnabortableTransactionError> for StoreError {
    fn from(error: UnabortableTransactionError) -> Self {
        match error {
            UnabortableTransactionError::Storage(e) => StoreError::Engine(e),
            UnabortableTransactionError::Conflict => StoreError::Conflict,
        }
    }
}

/// Store folders this process has opened. sled's I/O threads may keep a closed store's file,
/// and with it the lock on the store, for a moment after its last handle is dropped, so
/// reopening one of these waits up to [`RELEASE_GRACE`] for that instead of failing at once as
/// if another process held it.
static OPENED_HERE: Mutex<BTreeSet<PathBuf>> = Mutex::new(BTreeSet::new());

/// How long reopening a store this process closed waits for sled to let go of its lock.
const RELEASE_GRACE: Duration = Duration::from_secs(5);

/// True when sled could not lock the database file: another handle has the store open.
pub(crate) fn is_locked(error: &sled::Error) -> bool {
    matches!(error, sled::Error::Io(io) if io.to_string().contains("could not acquire lock"))
}

/// Opens the database in `dir`, waiting for a lock this process itself is still releasing.
fn open_released(dir: &Path, config: &sled::Config) -> Result<Db, sled::Error> {
    let deadline = Instant::now() + RELEASE_GRACE;
    loop {
        match config.open() {
            Ok(db) => {
                if let Ok(path) = dir.canonicalize() {
                    OPENED_HERE.lock().insert(path);
                }
                return Ok(db);
            }
            Err(error) if is_locked(&error) && Instant::now() < deadline => {
                let ours = dir
                    .canonicalize()
                    .is_ok_and(|path| OPENED_HERE.lock().contains(&path));
                if !ours {
                    return Err(error);
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            Err(error) => return Err(error),
        }
    }
}

/// A transaction or flush that takes this long is logged (at `debug`): what a slow request
/// waited for, for the operator (`--log prasang_core::store=debug`).
pub(crate) const SLOW: Duration = Duration::from_millis(20);

/// Every tree of the keyspace, opened once.
pub(crate) struct Store {
    pub(crate) db: Db,
    pub(crate) users: Tree,
    pub(crate) users_by_email: Tree,
    pub(crate) events: Tree,
    pub(crate) events_by_start: Tree,
    pub(crate) events_by_organizer: Tree,
    pub(crate) inventory: Tree,
    pub(crate) tickets: Tree,
    pub(crate) tickets_by_event: Tree,
    pub(crate) tickets_by_user: Tree,
    pub(crate) holds_by_expiry: Tree,
    pub(crate) idempotency: Tree,
    pub(crate) promo_codes: Tree,
    pub(crate) promo_uses: Tree,
    pub(crate) refresh_tokens: Tree,
    pub(crate) token_families: Tree,
    pub(crate) families_by_user: Tree,
    pub(crate) token_generations: Tree,
    pub(crate) log: Tree,
    pub(crate) cursors: Tree,
    pub(crate) notify_prefs: Tree,
    pub(crate) notify_event_settings: Tree,
    pub(crate) deliveries: Tree,
    pub(crate) deliveries_by_event: Tree,
    pub(crate) deliveries_by_user: Tree,
    pub(crate) deliveries_due: Tree,
    pub(crate) feedback: Tree,
    pub(crate) feedback_due: Tree,
    pub(crate) feedback_due_by_event: Tree,
    pub(crate) agg_counters: Tree,
    pub(crate) agg_events: Tree,
    pub(crate) agg_users: Tree,
    pub(crate) agg_members: Tree,
    pub(crate) admissions: Tree,
    pub(crate) admission_scans: Tree,
    pub(crate) admission_feed: Tree,
    pub(crate) admission_conflicts: Tree,
    pub(crate) admission_counts: Tree,
    pub(crate) door_staff: Tree,
    pub(crate) door_staff_by_user: Tree,
    /// Waiting list entries, their users' index and open offers by deadline.
    pub(crate) waitlist: Tree,
    pub(crate) agg_admissions: Tree,
    pub(crate) messages: Tree,
    pub(crate) message_days: Tree,
    pub(crate) agg_waitlist: Tree,
    pub(crate) agg_messages: Tree,
    /// Spent guest sign-in links: nonce → the spent token's expiry (see `guests`).
    pub(crate) guest_links_used: Tree,
    /// Per organizer: the origins that may frame their booking widget (see `events::embed`).
    pub(crate) embed_origins: Tree,
    /// Per event with a waiting room: its settings and durable counters (see `waiting_room`).
    pub(crate) waiting_rooms: Tree,
    /// (event, place, user) → `[]`: a waiting room's queue in admission order.
    pub(crate) room_queue: Tree,
    /// (event, user) → the member's place, ordinal and state.
    pub(crate) room_members: Tree,
    group_commit: Option<GroupCommit>,
}

impl Store {
    /// Opens (or creates) the sled database in `dir`.
    pub(crate) fn open(
        dir: &Path,
        durability: Durability,
        cache_bytes: u64,
    ) -> Result<Self, StoreError> {
        let flush_every = match durability {
            Durability::GroupCommit => None,
            Durability::Periodic { every } => {
                Some(every.as_millis().clamp(1, u128::from(u64::MAX)) as u64)
            }
        };
        let config = sled::Config::new()
            .path(dir)
            .cache_capacity(cache_bytes)
            .flush_every_ms(flush_every);
        let db = open_released(dir, &config)?;
        let group_commit = match durability {
            Durability::GroupCommit => Some(GroupCommit::start(db.clone())?),
            Durability::Periodic { .. } => None,
        };
        let tree = |name: &str| db.open_tree(name);
        Ok(Store {
            users: tree("users")?,
            users_by_email: tree("users_by_email")?,
            events: tree("events")?,
            events_by_start: tree("events_by_start")?,
            events_by_organizer: tree("events_by_organizer")?,
            inventory: tree("inventory")?,
            tickets: tree("tickets")?,
            tickets_by_event: tree("tickets_by_event")?,
            tickets_by_user: tree("tickets_by_user")?,
            holds_by_expiry: tree("holds_by_expiry")?,
            idempotency: tree("idempotency")?,
            promo_codes: tree("promo_codes")?,
            promo_uses: tree("promo_uses")?,
            refresh_tokens: tree("refresh_tokens")?,
            token_families: tree("token_families")?,
            families_by_user: tree("families_by_user")?,
            token_generations: tree("token_generations")?,
            log: tree("log")?,
            cursors: tree("cursors")?,
            notify_prefs: tree("notify_prefs")?,
            notify_event_settings: tree("notify_event_settings")?,
            deliveries: tree("deliveries")?,
            deliveries_by_event: tree("deliveries_by_event")?,
            deliveries_by_user: tree("deliveries_by_user")?,
            deliveries_due: tree("deliveries_due")?,
            feedback: tree("feedback")?,
            feedback_due: tree("feedback_due")?,
            feedback_due_by_event: tree("feedback_due_by_event")?,
            agg_counters: tree("agg_counters")?,
            agg_events: tree("agg_events")?,
            agg_users: tree("agg_users")?,
            agg_members: tree("agg_members")?,
            admissions: tree("admissions")?,
            admission_scans: tree("admission_scans")?,
            admission_feed: tree("admission_feed")?,
            admission_conflicts: tree("admission_conflicts")?,
            admission_counts: tree("admission_counts")?,
            door_staff: tree("door_staff")?,
            door_staff_by_user: tree("door_staff_by_user")?,
            waitlist: tree("waitlist")?,
            agg_admissions: tree("agg_admissions")?,
            messages: tree("messages")?,
            message_days: tree("message_days")?,
            agg_waitlist: tree("agg_waitlist")?,
            agg_messages: tree("agg_messages")?,
            guest_links_used: tree("guest_links_used")?,
            embed_origins: tree("embed_origins")?,
            waiting_rooms: tree("waiting_rooms")?,
            room_queue: tree("room_queue")?,
            room_members: tree("room_members")?,
            db,
            group_commit,
        })
    }

    /// Runs a sled transaction over `trees`. Every transaction of the store goes through here:
    /// under group commit it first waits for a running flush outside sled's lock (see
    /// `durability`), which keeps reads flowing while the flush syncs.
    ///
    /// One that takes [`SLOW`] or longer is logged at `debug` with its caller and where the time
    /// went: waiting for a flush, waiting for sled's lock (another transaction or a reader held
    /// it), or its own work (reads that went to disk, many writes, retries after conflicts).
    #[allow(clippy::disallowed_methods)] // the one place that may start a sled transaction
    #[track_caller]
    pub(crate) fn transaction<T, A, E>(
        &self,
        trees: T,
        body: impl Fn(&T::View) -> ConflictableTransactionResult<A, E>,
    ) -> TransactionResult<A, E>
    where
        T: Transactional<E>,
    {
        let caller = Location::caller();
        let called = Instant::now();
        let _no_flush_running = self.group_commit.as_ref().map(GroupCommit::hold_off_flush);
        let past_gate = Instant::now();
        let entered = Cell::new(None);
        let outcome = trees.transaction(|view| {
            if entered.get().is_none() {
                entered.set(Some(Instant::now()));
            }
            body(view)
        });
        let took = called.elapsed();
        if took >= SLOW {
            let entered = entered.get().unwrap_or(past_gate);
            tracing::debug!(
                at = %caller,
                took_ms = took.as_secs_f64() * 1e3,
                flush_wait_ms = (past_gate - called).as_secs_f64() * 1e3,
                lock_wait_ms = (entered - past_gate).as_secs_f64() * 1e3,
                "slow transaction"
            );
        }
        outcome
    }

    /// Makes everything committed so far durable according to the configured mode: waits for a
    /// shared flush under group commit, returns at once in periodic mode.
    pub(crate) fn durable(&self) -> Result<(), StoreError> {
        match &self.group_commit {
            Some(group) => group.wait_durable(),
            None => Ok(()),
        }
    }

    /// Flushes now, whatever the mode: through the group commit when there is one (so that a
    /// failing disk is reported once, plainly, by its flusher), else directly.
    pub(crate) fn flush(&self) -> Result<(), StoreError> {
        match &self.group_commit {
            Some(group) => group.wait_durable(),
            None => {
                self.db.flush()?;
                Ok(())
            }
        }
    }

    /// Bytes the store occupies on disk.
    pub(crate) fn size_on_disk(&self) -> Result<u64, StoreError> {
        Ok(self.db.size_on_disk()?)
    }
}

/// Aborts a transaction with a domain error (or anything that converts into the module's error).
pub(crate) fn abort<E>(error: impl Into<E>) -> ConflictableTransactionError<E> {
    ConflictableTransactionError::Abort(error.into())
}

/// Turns a finished transaction's result into the module's error type.
pub(crate) fn finish<T, E: From<StoreError>>(
    result: Result<T, TransactionError<E>>,
) -> Result<T, E> {
    result.map_err(|error| match error {
        TransactionError::Abort(domain) => domain,
        TransactionError::Storage(engine) => E::from(StoreError::Engine(engine)),
    })
}

/// Reads a [`codec::Record`] inside a transaction, aborting with the module's error if the value
/// is unreadable.
pub(crate) fn read_in_tx<R: codec::Record, E: From<StoreError>>(
    bytes: &[u8],
) -> Result<R, ConflictableTransactionError<E>> {
    codec::read(bytes).map_err(abort)
}

/// Decodes inside a transaction, aborting with the module's error if the value is unreadable.
pub(crate) fn decode_in_tx<T: serde::de::DeserializeOwned, E: From<StoreError>>(
    tree: &'static str,
    bytes: &[u8],
) -> Result<T, ConflictableTransactionError<E>> {
    codec::decode(tree, bytes).map_err(abort)
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::{is_locked, open_released};

    /// A store this process opened and is still closing (a handle kept alive elsewhere for a
    /// moment, as sled's I/O threads do) opens once it is released; a store this process never
    /// opened is reported locked at once.
    #[test]
    fn reopening_waits_for_this_process_to_let_go_but_not_for_others() {
        let folder = tempfile::tempdir().expect("dir");
        let dir = folder.path().join("store");
        let config = sled::Config::new().path(&dir);
        let first = open_released(&dir, &config).expect("first open");
        let closing = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            drop(first);
        });
        let started = Instant::now();
        let again = open_released(&dir, &config).expect("reopened after release");
        assert!(started.elapsed() >= Duration::from_millis(250));
        closing.join().expect("closer");

        let elsewhere = tempfile::tempdir().expect("dir");
        let other_dir = elsewhere.path().join("store");
        let held = sled::Config::new().path(&other_dir).open().expect("held");
        let started = Instant::now();
        let refused = open_released(&other_dir, &sled::Config::new().path(&other_dir))
            .expect_err("held by a handle not opened through here");
        assert!(is_locked(&refused));
        assert!(started.elapsed() < Duration::from_secs(1));
        drop((again, held));
    }
}
