//! What every part of an open store shares: the database, the settings and clock, the token
//! signing keys and known tokens, the page-view counter, the password hasher, the waiting
//! rooms' pass key and lottery, and the signal that the log grew.
//!
//! This module sits under the domain modules, which take a `&Context` and never reach for the
//! crate root. Services that belong to one module (the notifier, the analytics runner, the
//! booking queue) are owned by that module; `lib.rs`, the top of the house, holds them beside
//! the context and hands background threads a [`Handle`] to both.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

use crate::admission::keys::AdmissionKeys;
use crate::auth::keys::SigningKeys;
use crate::auth::known::KnownTokens;
use crate::events::visits::VisitCounter;
use crate::store::{Durability, Store, StoreError};
use crate::time::{Clock, Timestamp};
use crate::users::password::{Busy, Hashing, HashingLimits, PasswordCost};
use crate::waiting_room::shared::RoomShared;
use crate::zone::Zone;

/// The settings of [`crate::Config`] the domain modules read (all but the notification
/// channels, which the notifier owns).
#[derive(Clone)]
pub(crate) struct Settings {
    pub(crate) location: Option<PathBuf>,
    pub(crate) durability: Durability,
    pub(crate) hold_duration: Duration,
    pub(crate) access_token_ttl: Duration,
    pub(crate) refresh_token_ttl: Duration,
    pub(crate) issuer: String,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) background_tasks: bool,
    pub(crate) maintenance_interval: Duration,
    pub(crate) password_cost: PasswordCost,
    pub(crate) password_hashing: HashingLimits,
    pub(crate) cache_bytes: u64,
    pub(crate) default_time_zone: Zone,
    /// Where people reach the web UI, for links in notifications (no trailing slash).
    pub(crate) public_url: String,
    /// A fixed seed for the waiting rooms' lottery (tests only; `None`: seeded by the OS).
    pub(crate) lottery_seed: Option<u64>,
}

/// Told after a transaction that appended to the log has committed (the notifier registers
/// one), so the writer need not know who follows the log.
pub(crate) trait LogListener: Send + Sync {
    /// The log grew.
    fn log_appended(&self);
}

/// Wakes consumers waiting for new entries.
#[derive(Default)]
pub(crate) struct LogSignal {
    appended: Mutex<u64>,
    changed: Condvar,
}

impl LogSignal {
    /// Called after a transaction that appended to the log has committed.
    pub(crate) fn notify(&self) {
        *self.appended.lock() += 1;
        self.changed.notify_all();
    }

    /// Blocks until [`LogSignal::notify`] or `deadline`, unless `ready` (asked under the
    /// signal's lock, so no append between the question and the wait is missed) says no need.
    pub(crate) fn wait_unless<E>(
        &self,
        deadline: Instant,
        ready: impl FnOnce() -> Result<bool, E>,
    ) -> Result<(), E> {
        let mut appended = self.appended.lock();
        if ready()? {
            return Ok(());
        }
        let seen = *appended;
        while *appended == seen {
            if self.changed.wait_until(&mut appended, deadline).timed_out() {
                break;
            }
        }
        Ok(())
    }
}

/// The shared parts of an open store.
pub(crate) struct Context {
    pub(crate) store: Store,
    pub(crate) config: Settings,
    pub(crate) data_dir: PathBuf,
    pub(crate) keys: SigningKeys,
    pub(crate) admission_keys: AdmissionKeys,
    pub(crate) known_tokens: KnownTokens,
    pub(crate) visits: VisitCounter,
    pub(crate) log_signal: LogSignal,
    pub(crate) hashing: Hashing,
    /// Sign-in links sent per e-mail address lately.
    pub(crate) guest_links: crate::guests::limiter::LinkLimiter,
    /// The waiting rooms' pass key and lottery draws.
    pub(crate) rooms: RoomShared,
    log_listeners: Vec<Arc<dyn LogListener>>,
    dummy_hash: OnceLock<String>,
}

impl Context {
    pub(crate) fn new(
        store: Store,
        config: Settings,
        data_dir: PathBuf,
        keys: SigningKeys,
        log_listeners: Vec<Arc<dyn LogListener>>,
    ) -> Self {
        Context {
            hashing: Hashing::new(config.password_cost, config.password_hashing),
            rooms: RoomShared::new(data_dir.join("keys"), config.lottery_seed),
            store,
            config,
            admission_keys: AdmissionKeys::new(data_dir.join("keys").join("admission")),
            data_dir,
            keys,
            known_tokens: KnownTokens::default(),
            visits: VisitCounter::default(),
            log_signal: LogSignal::default(),
            guest_links: Default::default(),
            log_listeners,
            dummy_hash: OnceLock::new(),
        }
    }

    pub(crate) fn now(&self) -> Timestamp {
        self.config.clock.now()
    }

    /// After a transaction that appended to the log: wait until it is durable (per the
    /// durability mode), then wake log consumers.
    pub(crate) fn committed_with_log(&self) -> Result<(), StoreError> {
        self.store.durable()?;
        self.log_signal.notify();
        for listener in &self.log_listeners {
            listener.log_appended();
        }
        Ok(())
    }

    /// A password hash of the configured cost that matches nothing anyone types.
    pub(crate) fn dummy_password_hash(&self) -> Result<&str, Busy> {
        if let Some(hash) = self.dummy_hash.get() {
            return Ok(hash);
        }
        let hash = self
            .hashing
            .hash("not a password anyone can type \u{0}")?
            .unwrap_or_default();
        Ok(self.dummy_hash.get_or_init(|| hash))
    }
}

/// A module's background thread (the analytics consumer, the Kafka exporter): started with
/// the store, stopped and joined when it closes.
#[derive(Default)]
pub(crate) struct BackgroundThread {
    stopped: Arc<AtomicBool>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl BackgroundThread {
    /// Runs `body` on a thread named `name`, with the flag that tells it to return.
    pub(crate) fn spawn(
        &self,
        name: &str,
        body: impl FnOnce(&AtomicBool) + Send + 'static,
    ) -> std::io::Result<()> {
        let stopped = Arc::clone(&self.stopped);
        let thread = std::thread::Builder::new()
            .name(name.into())
            .spawn(move || body(&stopped))?;
        *self.thread.lock() = Some(thread);
        Ok(())
    }

    /// Sets the flag, lets `wake` interrupt the thread's wait, and joins it (idempotent; a
    /// thread that drops the last handle itself is not joined by itself).
    pub(crate) fn stop(&self, wake: impl FnOnce()) {
        self.stopped.store(true, Ordering::SeqCst);
        wake();
        if let Some(thread) = self.thread.lock().take()
            && thread.thread().id() != std::thread::current().id()
        {
            let _ = thread.join();
        }
    }
}

/// The open store as a background thread of one module holds it (as a `Weak`, upgraded for
/// each round): the shared context and that module's own service `S`.
pub(crate) trait Handle<S: ?Sized>: Send + Sync + 'static {
    fn context(&self) -> &Context;
    fn service(&self) -> &S;
}
