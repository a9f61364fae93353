//! Group commit: callers that need their writes on disk share one `flush` instead of each
//! paying for its own fsync.
//!
//! A flush covers every write that committed before it *started*. A caller therefore waits for
//! the first flush that starts after its commit; while one flush runs, every caller that arrives
//! meanwhile is covered by the next one, so N concurrent callers cost about two fsyncs, not N.
//!
//! Transactions wait for a running flush at a gate of their own ([`GroupCommit::hold_off_flush`])
//! rather than inside sled: sled's flush holds its process-wide lock shared through the fsync,
//! and that lock is fair, so one transaction queued on it for exclusive use would make every
//! reader (a GET, a token check, a snapshot's copy) wait behind the fsync as well.

use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Instant;

use parking_lot::{Condvar, Mutex, RwLock, RwLockReadGuard};

use super::{SLOW, StoreError};

#[derive(Default)]
struct FlushState {
    /// Number of flushes started so far.
    started: u64,
    /// Number of flushes finished so far (successfully or not).
    completed: u64,
    /// Highest flush number some caller is waiting for.
    requested: u64,
    /// The most recent flush that failed, if any.
    last_failure: Option<(u64, String)>,
    shutdown: bool,
}

struct Shared {
    state: Mutex<FlushState>,
    /// Held exclusively by the flusher while it flushes, shared by transactions while they run.
    flush_gate: RwLock<()>,
    work: Condvar,
    done: Condvar,
}

/// The flusher thread and the waiting room in front of it.
pub(crate) struct GroupCommit {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl GroupCommit {
    /// Starts the flusher thread for `db`.
    pub(crate) fn start(db: sled::Db) -> std::io::Result<Self> {
        let shared = Arc::new(Shared {
            state: Mutex::new(FlushState::default()),
            flush_gate: RwLock::new(()),
            work: Condvar::new(),
            done: Condvar::new(),
        });
        let thread_shared = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("prasang-flusher".into())
            .spawn(move || flush_loop(&db, &thread_shared))?;
        Ok(GroupCommit {
            shared,
            thread: Some(thread),
        })
    }

    /// Waits until no flush is running and keeps the next one from starting until the guard is
    /// dropped: taken around every transaction (see the module docs).
    pub(crate) fn hold_off_flush(&self) -> RwLockReadGuard<'_, ()> {
        self.shared.flush_gate.read()
    }

    /// Returns once everything this thread committed before the call is on disk.
    pub(crate) fn wait_durable(&self) -> Result<(), StoreError> {
        let mut state = self.shared.state.lock();
        let target = state.started + 1;
        if state.requested < target {
            state.requested = target;
            self.shared.work.notify_one();
        }
        while state.completed < target {
            if state.shutdown {
                return Err(StoreError::Flush("the store is closing".into()));
            }
            self.shared.done.wait(&mut state);
        }
        match &state.last_failure {
            Some((failed, reason)) if *failed >= target => Err(StoreError::Flush(reason.clone())),
            _ => Ok(()),
        }
    }
}

impl Drop for GroupCommit {
    fn drop(&mut self) {
        self.shared.state.lock().shutdown = true;
        self.shared.work.notify_all();
        self.shared.done.notify_all();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn flush_loop(db: &sled::Db, shared: &Shared) {
    let mut state = shared.state.lock();
    loop {
        while state.requested <= state.started && !state.shutdown {
            shared.work.wait(&mut state);
        }
        if state.requested <= state.started {
            return; // shutting down with nobody left waiting
        }
        state.started += 1;
        let this_flush = state.started;
        drop(state);
        let outcome = {
            let _no_transaction_running = shared.flush_gate.write();
            let started = Instant::now();
            let outcome = db.flush();
            let took = started.elapsed();
            if took >= SLOW {
                let bytes = outcome.as_ref().map_or(0, |bytes| *bytes);
                tracing::debug!(took_ms = took.as_secs_f64() * 1e3, bytes, "slow flush");
            }
            outcome
        };
        state = shared.state.lock();
        state.completed = this_flush;
        if let Err(error) = outcome {
            if state.last_failure.is_none() {
                // sled keeps refusing every write after an I/O error until the store is opened
                // again: say so once, plainly, for the operator.
                tracing::error!(
                    %error,
                    "the store cannot write to disk (full or failing?): writes are refused with \
                     503 from now on; free space and restart the server"
                );
            } else {
                tracing::warn!(%error, "group commit flush failed again");
            }
            state.last_failure = Some((this_flush, error.to_string()));
        }
        shared.done.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;
    use std::time::Duration;

    use super::GroupCommit;

    /// A transaction in progress keeps the next flush from starting, and the flush follows as
    /// soon as it ends: a transaction never waits for a flush inside sled's lock.
    #[test]
    fn a_flush_waits_for_the_transactions_in_progress() {
        let db = sled::Config::new().temporary(true).open().expect("db");
        let group = std::sync::Arc::new(GroupCommit::start(db).expect("flusher"));
        let transaction = group.hold_off_flush();
        let (flushed, until_flushed) = mpsc::channel();
        let waiter = {
            let group = std::sync::Arc::clone(&group);
            std::thread::spawn(move || {
                let outcome = group.wait_durable();
                let _ = flushed.send(());
                outcome
            })
        };
        assert!(
            until_flushed
                .recv_timeout(Duration::from_millis(200))
                .is_err(),
            "a flush ran while a transaction was in progress"
        );
        drop(transaction);
        until_flushed
            .recv_timeout(Duration::from_secs(30))
            .expect("the flush follows the transaction");
        waiter.join().expect("waiter").expect("flushed");
    }
}
