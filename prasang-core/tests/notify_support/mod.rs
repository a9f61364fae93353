//! Native test channels for the notification tests.
#![allow(dead_code)]

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};
use prasang_core::notify::{Channel, DeliveryError, Notification, Receipt};

fn receipt(channel: &str) -> Receipt {
    Receipt {
        remote_id: None,
        detail: format!("accepted by {channel}"),
    }
}

/// One call of a channel: what it got and on which thread.
#[derive(Debug, Clone)]
pub struct Call {
    pub notification: Notification,
    pub thread: String,
    pub at: Instant,
}

/// Remembers every notification it is given; can be told to fail the first `failures` calls and
/// to take `delay` over each.
pub struct Recording {
    id: String,
    calls: Mutex<Vec<Call>>,
    grew: Condvar,
    failures: AtomicU32,
    permanent: bool,
    delay: Duration,
}

impl Recording {
    pub fn new(id: &str) -> Self {
        Recording {
            id: id.into(),
            calls: Mutex::new(Vec::new()),
            grew: Condvar::new(),
            failures: AtomicU32::new(0),
            permanent: false,
            delay: Duration::ZERO,
        }
    }

    /// Fails the first `n` calls with a temporary error, then succeeds.
    pub fn failing(id: &str, n: u32) -> Self {
        let channel = Self::new(id);
        channel.failures.store(n, Ordering::SeqCst);
        channel
    }

    /// Fails every call with a permanent error.
    pub fn refusing(id: &str) -> Self {
        Recording {
            permanent: true,
            ..Self::failing(id, u32::MAX)
        }
    }

    /// Takes `delay` over every call.
    pub fn slow(id: &str, delay: Duration) -> Self {
        Recording {
            delay,
            ..Self::new(id)
        }
    }

    /// Every call so far (failed ones included).
    pub fn calls(&self) -> Vec<Call> {
        self.calls.lock().clone()
    }

    /// The notifications of every call so far.
    pub fn notifications(&self) -> Vec<Notification> {
        self.calls().into_iter().map(|c| c.notification).collect()
    }

    /// Waits until at least `n` calls happened or `timeout` passed; returns the count.
    pub fn wait_for(&self, n: usize, timeout: Duration) -> usize {
        let deadline = Instant::now() + timeout;
        let mut calls = self.calls.lock();
        while calls.len() < n {
            if self.grew.wait_until(&mut calls, deadline).timed_out() {
                break;
            }
        }
        calls.len()
    }
}

impl Channel for Recording {
    fn id(&self) -> &str {
        &self.id
    }

    fn deliver(&self, notification: &Notification) -> Result<Receipt, DeliveryError> {
        std::thread::sleep(self.delay);
        let thread = std::thread::current().name().unwrap_or("").to_owned();
        self.calls.lock().push(Call {
            notification: notification.clone(),
            thread,
            at: Instant::now(),
        });
        self.grew.notify_all();
        let failing = self
            .failures
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        match (failing, self.permanent) {
            (false, _) => Ok(receipt(&self.id)),
            (true, true) => Err(DeliveryError::Permanent("no such mailbox".into())),
            (true, false) => Err(DeliveryError::Temporary("connection refused".into())),
        }
    }
}
