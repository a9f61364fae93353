//! The threads that run notifications, and the registry of channels.
//!
//! One dispatcher thread follows the log (woken by every commit that appended to it). Each
//! channel has its own workers (see [`super::DeliveryPolicy::workers_per_channel`]) over its own
//! due queue, so a channel that hangs until its own deadline, or fails every time, holds up only
//! its own queue. Per-channel queues were chosen over one shared pool with per-delivery timeouts
//! because a blocking `deliver` cannot be interrupted from outside: a timeout would only let the
//! pool stop *waiting*, while the thread stays stuck and the pool shrinks.
//!
//! Threads hold only a `Weak` handle to the store, and never while calling a channel, so
//! dropping the last [`crate::Prasang`] is not held up by a slow delivery. Shutdown waits a
//! bounded time for workers to finish their current call, then leaves any still running
//! detached: their delivery stays `sending` on disk and is repeated with the same key next time.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashSet};
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex, RwLock};

use super::delivery::{self, Claim, Claims, FreshProgress, Outcome};
use super::dispatch::{self, Round};
use super::{
    Channel, DeliveryError, DeliveryPolicy, DispatchReport, Notification, NotifyConfig,
    NotifyError, Receipt, check_channel_id,
};
use super::{access, admissions};
use crate::context::{Context, Handle, LogListener};
use crate::store::{StoreError, keys};
use crate::time::Timestamp;

/// Longest a worker sleeps before looking at its queue again without being woken.
const IDLE_POLL: Duration = Duration::from_secs(1);
/// How long dropping the store waits for channels to finish their current delivery.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Notification state that lives as long as the store handle.
pub(crate) struct Notifier {
    shared: Arc<Shared>,
    threads: Mutex<Vec<JoinHandle<()>>>,
    /// Set when background threads run; new channels then get workers too.
    background: Mutex<Option<Weak<dyn Handle<Notifier>>>>,
    policy: DeliveryPolicy,
    /// Serialises dispatch rounds so the cursor only moves forward.
    dispatch_lock: Mutex<()>,
}

struct Shared {
    channels: RwLock<BTreeMap<String, Arc<dyn Channel>>>,
    state: Mutex<State>,
    /// Signalled when the log grew.
    log_grew: Condvar,
    /// Signalled when deliveries were created (or the store is closing).
    work_arrived: Condvar,
    /// Signalled when a thread exits.
    exited: Condvar,
    /// Deliveries being attempted right now, by key: the claim that keeps two workers (or a
    /// worker and `run_notifications_once`) from attempting one delivery at the same time.
    in_flight: Mutex<HashSet<Vec<u8>>>,
    fresh_progress: FreshProgress,
    workers_per_channel: usize,
    stopped: AtomicBool,
    /// Log entries below this sequence are known to be durable (see `entries_durable_before`).
    durable_before: AtomicU64,
}

#[derive(Default)]
struct State {
    log_appends: u64,
    work: u64,
}

impl Claims for Shared {
    /// Claims a delivery for an attempt, unless it is being attempted already or announces a
    /// log entry not yet known to be durable.
    fn take(&self, key: &[u8]) -> bool {
        let durable = keys::seq_from_key(key)
            .is_some_and(|seq| seq < self.durable_before.load(Ordering::SeqCst));
        durable && self.in_flight.lock().insert(key.to_vec())
    }

    fn release(&self, key: &[u8]) {
        self.in_flight.lock().remove(key);
    }

    fn fresh_progress(&self) -> &FreshProgress {
        &self.fresh_progress
    }
}

impl LogListener for Shared {
    /// Wakes the dispatcher. Cheap; this is all the booking path ever does for notifications.
    fn log_appended(&self) {
        self.state.lock().log_appends += 1;
        self.log_grew.notify_one();
    }
}

impl Shared {
    fn channel(&self, id: &str) -> Option<Arc<dyn Channel>> {
        self.channels.read().get(id).cloned()
    }

    fn work_arrived(&self) {
        self.state.lock().work += 1;
        self.work_arrived.notify_all();
    }
}

impl Notifier {
    /// The registry of the channels `config` names (their ids checked); no threads yet.
    pub(crate) fn new(config: &NotifyConfig) -> Result<Self, NotifyError> {
        let mut channels = BTreeMap::new();
        for channel in &config.channels {
            check_channel_id(channel.id())?;
            channels.insert(channel.id().to_owned(), Arc::clone(channel));
        }
        for id in &config.policy.default_channels {
            check_channel_id(id)?;
        }
        Ok(Notifier {
            shared: Arc::new(Shared {
                channels: RwLock::new(channels),
                state: Mutex::new(State::default()),
                log_grew: Condvar::new(),
                work_arrived: Condvar::new(),
                exited: Condvar::new(),
                in_flight: Mutex::new(HashSet::new()),
                fresh_progress: FreshProgress::default(),
                workers_per_channel: config.policy.workers_per_channel.max(1),
                stopped: AtomicBool::new(false),
                durable_before: AtomicU64::new(0),
            }),
            threads: Mutex::new(Vec::new()),
            background: Mutex::new(None),
            policy: config.policy.clone(),
            dispatch_lock: Mutex::new(()),
        })
    }

    /// Starts the dispatcher and every channel's workers.
    pub(crate) fn start(&self, inner: Weak<dyn Handle<Notifier>>) -> std::io::Result<()> {
        let mut background = self.background.lock();
        let shared = Arc::clone(&self.shared);
        let weak = inner.clone();
        self.spawn("prasang-notify-dispatch".into(), move || {
            dispatcher(&weak, &shared)
        })?;
        let ids: Vec<String> = self.shared.channels.read().keys().cloned().collect();
        for id in ids {
            self.spawn_workers(&inner, &id)?;
        }
        *background = Some(inner);
        Ok(())
    }

    fn spawn(&self, name: String, body: impl FnOnce() + Send + 'static) -> std::io::Result<()> {
        let shared = Arc::clone(&self.shared);
        let handle = std::thread::Builder::new().name(name).spawn(move || {
            body();
            // Wake a shutdown waiting for this thread.
            let _state = shared.state.lock();
            shared.exited.notify_all();
        })?;
        self.threads.lock().push(handle);
        Ok(())
    }

    fn spawn_workers(&self, inner: &Weak<dyn Handle<Notifier>>, id: &str) -> std::io::Result<()> {
        for n in 0..self.shared.workers_per_channel {
            let (weak, shared, id_owned) = (inner.clone(), Arc::clone(&self.shared), id.to_owned());
            self.spawn(format!("prasang-notify-{id}-{n}"), move || {
                worker(&weak, &shared, &id_owned)
            })?;
        }
        Ok(())
    }

    /// Ids of the registered channels, sorted.
    pub(crate) fn channel_ids(&self) -> Vec<String> {
        self.shared.channels.read().keys().cloned().collect()
    }

    /// Adds a channel, or replaces the one with the same id (e.g. a reloaded plugin).
    pub(crate) fn register(&self, channel: Arc<dyn Channel>) -> Result<(), NotifyError> {
        let id = channel.id().to_owned();
        check_channel_id(&id)?;
        let background = self.background.lock();
        let added = self
            .shared
            .channels
            .write()
            .insert(id.clone(), channel)
            .is_none();
        if added && let Some(inner) = background.as_ref() {
            self.spawn_workers(inner, &id).map_err(StoreError::from)?;
        }
        self.shared.work_arrived();
        Ok(())
    }

    /// Records that every log entry before `seq` is on disk, so its deliveries may go out.
    pub(crate) fn entries_durable_before(&self, seq: u64) {
        self.shared.durable_before.fetch_max(seq, Ordering::SeqCst);
    }

    /// Wakes every channel's workers: deliveries were created.
    pub(crate) fn wake_workers(&self) {
        self.shared.work_arrived();
    }

    /// The sequence below which log entries are known to be durable.
    pub(crate) fn durable_before(&self) -> u64 {
        self.shared.durable_before.load(Ordering::SeqCst)
    }

    /// What the context tells after every commit that appended to the log.
    pub(crate) fn log_listener(&self) -> Arc<dyn LogListener> {
        Arc::clone(&self.shared) as Arc<dyn LogListener>
    }

    /// The channels of users who never chose.
    pub(crate) fn default_channels(&self) -> &[String] {
        &self.policy.default_channels
    }

    /// Stops the threads: waits up to [`SHUTDOWN_GRACE`] for deliveries in progress.
    pub(crate) fn shutdown(&self) {
        self.shared.stopped.store(true, Ordering::SeqCst);
        {
            let _state = self.shared.state.lock();
            self.shared.log_grew.notify_all();
            self.shared.work_arrived.notify_all();
        }
        let handles = std::mem::take(&mut *self.threads.lock());
        // The last handle may be dropped on one of these threads; it cannot wait for itself.
        let me = std::thread::current().id();
        let others = |h: &JoinHandle<()>| h.thread().id() != me;
        let deadline = Instant::now() + SHUTDOWN_GRACE;
        loop {
            if handles
                .iter()
                .filter(|h| others(h))
                .all(|h| h.is_finished())
            {
                break;
            }
            if Instant::now() >= deadline {
                tracing::warn!("a notification channel is still delivering; leaving it running");
                break;
            }
            let mut state = self.shared.state.lock();
            self.shared
                .exited
                .wait_for(&mut state, Duration::from_millis(10));
        }
        for handle in handles {
            if others(&handle) && handle.is_finished() {
                let _ = handle.join();
            }
        }
    }
}

/// Turns every log entry past the cursor into delivery records and advances the cursor.
/// Returns (entries read, records created).
pub(crate) fn dispatch_pending(
    inner: &Context,
    notifier: &Notifier,
) -> Result<(usize, usize), StoreError> {
    // One dispatcher at a time, so the cursor only moves forward.
    let _one_at_a_time = notifier.dispatch_lock.lock();
    let (mut entries_read, mut created) = (0, 0);
    loop {
        match dispatch::round(inner, notifier.default_channels())? {
            Round::Empty { from } => {
                // After a restart: what the log holds survived, but make sure before announcing
                // it.
                if notifier.durable_before() < from {
                    inner.store.durable()?;
                    notifier.entries_durable_before(from);
                }
                return Ok((entries_read, created));
            }
            Round::Done {
                next,
                entries,
                made,
            } => {
                // Under group commit a log entry is visible before it is durable. Deliveries
                // wait until the entries they announce are on disk, so a crash can never leave
                // someone told about a booking that did not survive it.
                inner.store.durable()?;
                notifier.entries_durable_before(next);
                if made > 0 {
                    notifier.wake_workers();
                }
                created += made;
                entries_read += entries;
            }
        }
    }
}

/// `notification` ready for its channel: with its admission codes and a guest's sign-in link,
/// signed now (see [`admissions`] and [`access`]). Keys or records that cannot be read fail
/// the attempt, to be retried, rather than send a booking without its codes.
fn prepare<'a>(
    ctx: &Context,
    delivery: &'a super::Delivery,
) -> Result<Cow<'a, Notification>, DeliveryError> {
    let notification = &delivery.notification;
    admissions::with_codes(ctx, notification)
        .and_then(|prepared| access::with_link(ctx, &delivery.channel, prepared))
        .map_err(|error| {
            tracing::warn!(%error, key = %notification.idempotency_key, "preparing a notification failed");
            DeliveryError::Temporary(format!("preparing the notification failed: {error}"))
        })
}

/// Calls a channel with a prepared notification; a panic in it fails the delivery instead of
/// the worker.
fn deliver(
    channel: &dyn Channel,
    notification: Result<Cow<'_, Notification>, DeliveryError>,
) -> Result<Receipt, DeliveryError> {
    let notification = notification?;
    std::panic::catch_unwind(AssertUnwindSafe(|| channel.deliver(&notification))).unwrap_or_else(
        |_| {
            Err(DeliveryError::Temporary(format!(
                "channel `{}` panicked",
                channel.id()
            )))
        },
    )
}

fn dispatcher(inner: &Weak<dyn Handle<Notifier>>, shared: &Shared) {
    loop {
        let seen = shared.state.lock().log_appends;
        if shared.stopped.load(Ordering::SeqCst) {
            return;
        }
        let Some(strong) = inner.upgrade() else {
            return;
        };
        let found = match dispatch_pending(strong.context(), strong.service()) {
            Ok((entries, _)) => entries > 0,
            Err(error) => {
                tracing::warn!(?error, "notification dispatch failed; will retry");
                false
            }
        };
        drop(strong);
        if found {
            std::thread::sleep(crate::log::CONSUMER_GATHER);
            continue;
        }
        let mut state = shared.state.lock();
        if state.log_appends == seen && !shared.stopped.load(Ordering::SeqCst) {
            shared.log_grew.wait_for(&mut state, IDLE_POLL);
        }
    }
}

fn worker(inner: &Weak<dyn Handle<Notifier>>, shared: &Shared, id: &str) {
    loop {
        let seen = shared.state.lock().work;
        if shared.stopped.load(Ordering::SeqCst) {
            return;
        }
        let Some(channel) = shared.channel(id) else {
            return;
        };
        let Some(strong) = inner.upgrade() else {
            return;
        };
        let now = strong.context().now();
        let claim = delivery::claim_next(strong.context(), id, now, None, shared);
        let wait = match claim {
            Ok(Claim::Due {
                delivery: claimed, ..
            }) => {
                let notification = prepare(strong.context(), &claimed);
                drop(strong);
                let key = claimed.key();
                let result = deliver(channel.as_ref(), notification);
                if let Some(strong) = inner.upgrade() {
                    let policy = &strong.service().policy;
                    if let Err(error) = delivery::record(strong.context(), *claimed, result, policy)
                    {
                        tracing::warn!(?error, channel = id, "could not record a delivery");
                    }
                }
                shared.release(&key);
                continue;
            }
            Ok(Claim::Idle(next)) => next.map_or(IDLE_POLL, |at| until(now, at)),
            Err(error) => {
                tracing::warn!(?error, channel = id, "reading the delivery queue failed");
                IDLE_POLL
            }
        };
        drop(strong);
        let mut state = shared.state.lock();
        if state.work == seen && !shared.stopped.load(Ordering::SeqCst) {
            shared.work_arrived.wait_for(&mut state, wait);
        }
    }
}

/// Time from `now` to `at`, between 1 ms and [`IDLE_POLL`].
fn until(now: Timestamp, at: Timestamp) -> Duration {
    let millis = at.as_millis().saturating_sub(now.as_millis()).max(1);
    Duration::from_millis(u64::try_from(millis).unwrap_or(1)).min(IDLE_POLL)
}

/// Dispatches every pending log entry, then attempts every due delivery of every channel once,
/// on the calling thread.
pub(crate) fn run_once(inner: &Context, notifier: &Notifier) -> Result<DispatchReport, StoreError> {
    let shared: &Shared = &notifier.shared;
    let (entries, created) = dispatch_pending(inner, notifier)?;
    let mut report = DispatchReport {
        entries,
        created,
        ..DispatchReport::default()
    };
    let policy = &notifier.policy;
    for id in notifier.channel_ids() {
        let Some(channel) = shared.channel(&id) else {
            continue;
        };
        // Keys attempted in this run stay claimed until it ends, so a retry that falls due
        // at once is not attempted twice in one run.
        let mut attempted = Vec::new();
        let mut resume_at = None;
        let result = loop {
            let claim = delivery::claim_next(inner, &id, inner.now(), resume_at.as_deref(), shared);
            let claimed = match claim {
                Ok(Claim::Due {
                    delivery,
                    resume_at: next,
                }) => {
                    resume_at = Some(next);
                    delivery
                }
                Ok(Claim::Idle(_)) => break Ok(()),
                Err(error) => break Err(error),
            };
            attempted.push(claimed.key());
            let result = deliver(channel.as_ref(), prepare(inner, &claimed));
            match delivery::record(inner, *claimed, result, policy) {
                Ok(Outcome::Sent) => report.sent += 1,
                Ok(Outcome::Retrying) => report.retrying += 1,
                Ok(Outcome::Failed) => report.failed += 1,
                Err(error) => break Err(error),
            }
        };
        for key in &attempted {
            shared.release(key);
        }
        result?;
    }
    Ok(report)
}
