//! A consistent copy of a live store, taken while it keeps serving writes.
//!
//! sled lets one process open a store, so an analyst cannot open the folder a server holds;
//! they open a snapshot instead. Copying every tree takes seconds at a million tickets, so
//! writes cannot stop for the whole copy. Instead:
//!
//! 1. a subscriber (`Tree::watch_prefix`) is registered on every tree, so every write from then
//!    on is captured, in commit order per tree;
//! 2. every tree is copied by iteration. On its own this copy is inconsistent (a booking may land
//!    in `tickets` after that tree was copied but before `inventory` was), but any key written
//!    after step 1 is also in the captured events, and any key not written since holds its
//!    current value in the copy;
//! 3. the cut: in sled 0.34 a transaction runs its closure while holding the global lock every
//!    write takes (non-transactional writes take it shared, transactions exclusively, and sled
//!    reserves a subscriber's slot inside that lock). So a transaction whose closure only drains
//!    the subscribers stops writes exactly between two commits: the events drained by then are
//!    every write committed before the cut, and none after. This is the only pause writers see,
//!    and it lasts as long as draining what arrived since the last drain;
//! 4. replaying the captured events onto the copy, in order per tree (the last write per key
//!    wins), turns it into the store as it was at the cut, every transaction in or out whole.
//!
//! A background thread drains the subscribers during the copy: sled's subscriber channels hold
//! 1,024 events, and a writer that finds one full waits inside the global lock. Captured writes
//! go into chunks that never move ([`Captured`]), so neither that thread nor the cut ever stops
//! to copy millions of them into a larger buffer.
//!
//! The copy is background work and keeps out of the live store's way
//! (docs/performance-history.md measures each choice): its database has no flusher of its own
//! (sled flushes under the global lock) and is synced every megabyte from a file handle of ours
//! instead; it works in slices of 2 ms and rests 1 ms after each, so that on a busy machine it is
//! not preempted inside a step while writers wait for the lock; and the store's transactions
//! wait for a running flush outside sled's lock (`store/durability.rs`), so the copy's reads do
//! not queue behind fsyncs.
//!
//! ```
//! use prasang_core::users::{Gender, NewUser, Role};
//! use prasang_core::{Config, Prasang};
//!
//! let prasang = Prasang::open(Config::temporary())?;
//! # prasang.users().register(NewUser {
//! #     name: "Ada".into(), email: "ada@example.org".into(),
//! #     password: "a long password".into(), gender: Gender::Undisclosed, age: 30,
//! #     role: Role::Attendee,
//! # })?;
//! let admin = prasang.auth().system_actor();
//! let folder = tempfile::tempdir()?;
//! let dest = folder.path().join("copy");
//! let taken = prasang.snapshot(&admin, &dest)?;
//! drop(prasang);
//! let copy = Prasang::open(dest.as_path())?;
//! assert!(copy.verify_integrity(&copy.auth().system_actor())?.is_ok());
//! # assert!(taken.keys > 0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{self, Poll, Wake, Waker};
use std::thread::{self, Thread};
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use sled::{Event, Subscriber, Tree};

use crate::auth::Actor;
use crate::context::Context;
use crate::error::{CommonError, domain_error};
use crate::store::{SLOW, StoreError};
use crate::validate::FieldError;

/// The folder, inside a snapshot, that holds the database (as in a data folder).
const STORE_DIR: &str = "store";

/// The folder of the data folder that named snapshots go into.
pub const SNAPSHOTS_DIR: &str = "snapshots";

/// Where the snapshot called `name` goes in `data_dir`: `snapshots/NAME`. A name is 1–64
/// letters, digits, `-`, `_` or `.`, not starting with `.`, so it stays inside that folder.
pub(crate) fn named(data_dir: &Path, name: &str) -> Result<PathBuf, SnapshotError> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    if name.is_empty() || name.len() > 64 || name.starts_with('.') || !name.chars().all(allowed) {
        return Err(CommonError::from(FieldError::new(
            "name",
            "1 to 64 letters, digits, '-', '_' or '.', not starting with '.'",
        ))
        .into());
    }
    Ok(data_dir.join(SNAPSHOTS_DIR).join(name))
}

/// What a snapshot copied and how long writers waited for it.
#[derive(Debug, Clone, PartialEq)]
pub struct SnapshotReport {
    /// The snapshot's data folder (open it with [`crate::Prasang::open`]).
    pub path: PathBuf,
    /// Keys copied by iteration.
    pub keys: u64,
    /// Writes captured during the copy and replayed onto it.
    pub replayed: u64,
    /// How long writes were held at the cut.
    pub pause: Duration,
    /// When the cut began: every write acknowledged before this instant is in the snapshot,
    /// none that began after it.
    pub cut_at: Instant,
    /// How long the whole snapshot took.
    pub took: Duration,
}

/// Errors of [`crate::Prasang::snapshot`].
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// Not an admin, the destination is not an empty or new folder, or storage failed.
    #[error(transparent)]
    Common(#[from] CommonError),
}

domain_error!(SnapshotError {});

impl From<std::io::Error> for SnapshotError {
    fn from(error: std::io::Error) -> Self {
        StoreError::from(error).into()
    }
}

impl From<sled::Error> for SnapshotError {
    fn from(error: sled::Error) -> Self {
        StoreError::from(error).into()
    }
}

/// One tree's subscriber and the writes it captured so far.
struct Capture {
    name: sled::IVec,
    subscriber: Subscriber,
    events: Captured,
}

/// Writes captured from one tree, in order, in chunks that never move once allocated: a
/// growing `Vec` copies everything captured so far each time it doubles (~100 MB at millions
/// of writes), and a drain that did so inside the cut held every writer for ~100 ms
/// (docs/performance-history.md); during the copy, it left sled's channels full and writers waiting.
#[derive(Default)]
struct Captured {
    chunks: Vec<Vec<Event>>,
}

/// Writes per chunk of [`Captured`].
const EVENTS_PER_CHUNK: usize = 1 << 14;

impl Captured {
    fn push(&mut self, event: Event) {
        match self.chunks.last_mut() {
            Some(chunk) if chunk.len() < EVENTS_PER_CHUNK => chunk.push(event),
            _ => {
                let mut chunk = Vec::with_capacity(EVENTS_PER_CHUNK);
                chunk.push(event);
                self.chunks.push(chunk);
            }
        }
    }

    /// The writes in the order they were captured.
    fn into_writes(self) -> impl Iterator<Item = Event> {
        self.chunks.into_iter().flatten()
    }
}

/// The captures, shared by the drain thread and the cut.
struct Captures {
    trees: Mutex<Vec<Capture>>,
    cut: AtomicBool,
}

impl Captures {
    /// Moves every event already in the subscribers' channels into the captures. Touches no
    /// sled lock, so it may run inside a transaction.
    fn drain(&self, waker: &Waker) {
        let mut context = task::Context::from_waker(waker);
        for capture in self.trees.lock().iter_mut() {
            while let Poll::Ready(Some(event)) =
                Pin::new(&mut capture.subscriber).poll(&mut context)
            {
                capture.events.push(event);
            }
        }
    }
}

/// Wakes the drain thread when a subscriber has news.
struct Unpark(Thread);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

/// Copies the live store into `dest` (a new or empty folder); see the module docs. A failed
/// snapshot leaves no half copy behind.
pub(crate) fn take(inner: &Context, dest: &Path) -> Result<SnapshotReport, SnapshotError> {
    check_destination(dest)?;
    std::fs::create_dir_all(dest)?;
    let taken = copy_consistently(inner, dest);
    if taken.is_err()
        && let Err(error) = std::fs::remove_dir_all(dest)
    {
        tracing::warn!(?error, path = %dest.display(), "could not remove a failed snapshot");
    }
    taken
}

fn copy_consistently(inner: &Context, dest: &Path) -> Result<SnapshotReport, SnapshotError> {
    let started = Instant::now();
    let copy = open_copy(dest)?;
    let live = &inner.store.db;

    let mut trees: Vec<(sled::IVec, Tree)> = Vec::new();
    let mut captures = Vec::new();
    for name in live.tree_names() {
        let tree = live.open_tree(&name)?;
        captures.push(Capture {
            name: name.clone(),
            subscriber: tree.watch_prefix(vec![]),
            events: Captured::default(),
        });
        trees.push((name, tree));
    }
    let captures = Arc::new(Captures {
        trees: Mutex::new(captures),
        cut: AtomicBool::new(false),
    });
    let drainer = {
        let captures = Arc::clone(&captures);
        thread::Builder::new()
            .name("prasang-snapshot".into())
            .spawn(move || {
                let waker = Waker::from(Arc::new(Unpark(thread::current())));
                while !captures.cut.load(Ordering::Acquire) {
                    captures.drain(&waker);
                    thread::park_timeout(Duration::from_millis(20));
                }
            })?
    };
    let copied = copy_trees(&trees, &copy, dest);
    let cut = cut(inner, &captures);
    captures.cut.store(true, Ordering::Release);
    drainer.thread().unpark();
    let _ = drainer.join();
    let keys = copied?;
    let (cut_at, pause) = cut?;

    // Unsubscribe from every tree before replaying any: nobody drains any more, and a writer
    // that finds a subscriber's channel full waits for room while holding sled's global lock,
    // which the replay's own inserts need (with one subscriber per tree dropped as its turn
    // came, a busy server deadlocked there).
    let captured: Vec<(sled::IVec, Captured)> = std::mem::take(&mut *captures.trees.lock())
        .into_iter()
        .map(|capture| (capture.name, capture.events))
        .collect();
    let mut replayed = 0u64;
    for (name, events) in captured {
        let target = copy.open_tree(&name)?;
        for event in events.into_writes() {
            match event {
                Event::Insert { key, value } => target.insert(key, value)?,
                Event::Remove { key } => target.remove(key)?,
            };
            replayed += 1;
        }
    }
    sync_copy(dest)?;
    copy.flush()?;
    let report = SnapshotReport {
        path: dest.to_path_buf(),
        keys,
        replayed,
        pause,
        cut_at,
        took: started.elapsed(),
    };
    tracing::info!(path = %dest.display(), keys, replayed, pause_ms = pause.as_secs_f64() * 1e3,
        took_ms = report.took.as_secs_f64() * 1e3, "snapshot taken");
    Ok(report)
}

fn check_destination(dest: &Path) -> Result<(), SnapshotError> {
    let occupied = match std::fs::read_dir(dest) {
        Ok(mut entries) => entries.next().is_some(),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => false,
        Err(_) if dest.exists() => true,
        Err(error) => return Err(error.into()),
    };
    if occupied {
        return Err(CommonError::from(FieldError::new(
            "dest",
            "the snapshot folder must be new or empty",
        ))
        .into());
    }
    Ok(())
}

/// The copy's page cache: it is written once, front to back, and read by nobody meanwhile.
const COPY_CACHE_BYTES: u64 = 128 << 20;

/// Bytes copied between two syncs of the copy's file (see [`sync_copy`]).
const SYNC_EVERY_BYTES: usize = 1 << 20;

/// Opens the copy's database without a background flusher: sled flushes under its
/// process-wide lock, so a flusher writing and syncing the copy's megabytes would hold every
/// transaction of the live store waiting. The copy is synced by [`sync_copy`] instead.
fn open_copy(dest: &Path) -> Result<sled::Db, SnapshotError> {
    Ok(sled::Config::new()
        .path(dest.join(STORE_DIR))
        .cache_capacity(COPY_CACHE_BYTES)
        .flush_every_ms(None)
        .open()?)
}

/// Puts what sled has written of the copy on disk from a file handle of our own, which takes
/// none of sled's locks; the copy's own `flush` at the end then has little left to sync while
/// it holds the live store's writers off.
fn sync_copy(dest: &Path) -> Result<(), SnapshotError> {
    std::fs::File::open(dest.join(STORE_DIR).join("db"))?.sync_data()?;
    Ok(())
}

/// How the copy shares the machine: it works for `COPY_SLICE`, then rests for `COPY_REST`.
/// Every copy step holds sled's process-wide lock shared, and on a busy machine a copy thread
/// preempted inside a step keeps every writer of the live store waiting for a scheduler time
/// slice; a copy that never rests is preempted all the time. Resting gives the cores to the
/// live store while the copy holds nothing (measured in docs/performance-history.md).
const COPY_SLICE: Duration = Duration::from_millis(2);
const COPY_REST: Duration = Duration::from_millis(1);

/// Copies every tree by iteration (each key written with its own short lock, never a batch,
/// which would hold sled's global lock for the whole batch), syncing every
/// [`SYNC_EVERY_BYTES`] and resting between slices of work.
fn copy_trees(
    trees: &[(sled::IVec, Tree)],
    copy: &sled::Db,
    dest: &Path,
) -> Result<u64, SnapshotError> {
    let mut keys = 0u64;
    let mut unsynced = 0usize;
    let mut slice_began = Instant::now();
    for (name, tree) in trees {
        let target = copy.open_tree(name)?;
        let mut live = tree.iter();
        loop {
            let step_began = Instant::now();
            let Some(item) = live.next() else { break };
            let (key, value) = item?;
            let read_done = Instant::now();
            unsynced += key.len() + value.len();
            target.insert(key, value)?;
            keys += 1;
            let step_done = Instant::now();
            if step_done - step_began >= SLOW {
                // Both halves take sled's process-wide lock shared: a slow one either held the
                // live store's writers off this long or waited this long for one of them.
                tracing::debug!(
                    tree = %String::from_utf8_lossy(name),
                    read_ms = (read_done - step_began).as_secs_f64() * 1e3,
                    write_ms = (step_done - read_done).as_secs_f64() * 1e3,
                    "slow snapshot copy step"
                );
            }
            let mut now = step_done;
            if unsynced >= SYNC_EVERY_BYTES {
                sync_copy(dest)?;
                unsynced = 0;
                now = Instant::now();
            }
            if now - slice_began >= COPY_SLICE {
                thread::sleep(COPY_REST);
                slice_began = Instant::now();
            }
        }
    }
    Ok(keys)
}

/// Drains the subscribers inside a transaction, which holds off every write (see the module
/// docs); returns when the cut began and how long it held writes.
fn cut(inner: &Context, captures: &Captures) -> Result<(Instant, Duration), SnapshotError> {
    let held = Mutex::new((Instant::now(), Duration::ZERO));
    let waker = Waker::noop();
    let result = inner.store.transaction(&inner.store.cursors, |_| {
        let start = Instant::now();
        captures.drain(waker);
        *held.lock() = (start, start.elapsed());
        Ok::<_, sled::transaction::ConflictableTransactionError<SnapshotError>>(())
    });
    crate::store::finish(result)?;
    Ok(held.into_inner())
}

/// Who may take a snapshot: admins (it copies every record).
pub(crate) fn authorize(actor: &Actor) -> Result<(), SnapshotError> {
    Ok(actor.require_admin("only admins can take a snapshot")?)
}

#[cfg(test)]
mod tests {
    use sled::Event;

    use super::{Captured, EVENTS_PER_CHUNK};

    /// Writes captured across several chunks replay in the order they were captured.
    #[test]
    fn captured_writes_come_back_in_order_across_chunks() {
        let mut captured = Captured::default();
        let count = 2 * EVENTS_PER_CHUNK + 3;
        for n in 0..count as u64 {
            let key = sled::IVec::from(&n.to_be_bytes());
            captured.push(if n % 3 == 0 {
                Event::Remove { key }
            } else {
                Event::Insert {
                    value: key.clone(),
                    key,
                }
            });
        }
        assert_eq!(captured.chunks.len(), 3);
        let keys: Vec<u64> = captured
            .into_writes()
            .map(|event| match event {
                Event::Insert { key, .. } | Event::Remove { key } => {
                    u64::from_be_bytes(key.as_ref().try_into().expect("8 bytes"))
                }
            })
            .collect();
        assert_eq!(keys, (0..count as u64).collect::<Vec<_>>());
    }
}
