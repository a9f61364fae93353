//! Group commit: callers that need their writes on disk share one `flush` instead of each
//! paying for its own fsync.
//!
//! A flush covers every write that committed before it *started*. A caller therefore waits for
//! the first flush that starts after its commit; while one flush runs, every caller that arrives
//! meanwhile is covered by the next one, so N concurrent callers cost about two fsyncs, not N.

use std::sync::Arc;
use std::thread::JoinHandle;

use parking_lot::{Condvar, Mutex};

use super::StoreError;

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
        let outcome = db.flush();
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
