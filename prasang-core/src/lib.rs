//! # prasang-core
//!
//! The embeddable engine of Prasang: users and authentication, events, ticket booking that never
//! oversells, and an event log that notification and analytics consumers follow.
//!
//! ```
//! use prasang_core::{Config, Prasang};
//! use prasang_core::users::{Gender, NewUser, Role};
//!
//! let prasang = Prasang::open(Config::temporary())?;
//! let user = prasang.users().register(NewUser {
//!     name: "Grace".into(), email: "grace@example.org".into(), password: "compilers rock".into(),
//!     gender: Gender::Female, age: 45, role: Role::Attendee,
//! })?;
//! let session = prasang.auth().login("grace@example.org", "compilers rock")?;
//! let actor = prasang.auth().verify(&session.access_token)?;
//! assert_eq!(actor.user_id(), user.id);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Every domain operation is a method on a sub-API ([`Prasang::users`], [`Prasang::auth`],
//! [`Prasang::events`], [`Prasang::tickets`], [`Prasang::feedback`], [`Prasang::analytics`],
//! [`Prasang::log`], [`Prasang::notifications`]) and
//! returns that module's error type; every error type implements [`DomainError`], whose
//! [`ErrorKind`] is all a front end needs to answer (see [`error`]). Rights are checked here,
//! against the [`auth::Actor`] each call takes, so every front end refuses alike. See
//! `docs/storage.md` for the keyspace and transaction boundaries.

pub mod admission;
pub mod analytics;
pub mod auth;
pub mod checkin;
mod config;
mod context;
pub mod error;
pub mod events;
pub mod export;
pub mod feedback;
pub mod guests;
mod ids;
mod integrity;
#[cfg(feature = "kafka")]
pub mod kafka;
pub mod limits;
pub mod log;
pub mod messages;
pub mod notify;
mod paging;
#[cfg(feature = "plugins")]
pub mod plugin_host;
pub mod promo;
pub mod snapshot;
mod store;
#[cfg(test)]
mod testing;
pub mod tickets;
mod time;
pub mod users;
mod validate;
pub mod waiting_room;
pub mod waitlist;
pub mod zone;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Weak};
use std::thread::JoinHandle;

use parking_lot::{Condvar, Mutex};

pub use config::Config;
pub use error::{CommonError, DomainError, ErrorInfo, ErrorKind, Subject};
pub use ids::{EventId, IdText, InvalidId, TicketId, UserId};
pub use integrity::IntegrityReport;
pub use paging::{MAX_PAGE_SIZE, Page, PageRequest};
pub use store::{Durability, StoreError};
pub use time::{Clock, ManualClock, SystemClock, Timestamp};
pub use validate::FieldError;

use analytics::consumer::Runner;
use auth::keys::SigningKeys;
use context::{Context, Handle};
use log::DomainEvent;
use notify::Notifier;
use store::Store;
use tickets::group::BookingQueue;

/// An open Prasang store. Cheap to clone; all clones share one database.
///
/// sled allows one process per store: open it once and share the handle.
#[derive(Clone)]
pub struct Prasang {
    inner: Arc<Inner>,
    _open: Arc<OpenHandles>,
}

/// Shared by the handles the embedder holds (background threads hold only `Weak<Inner>`, and
/// briefly an `Arc`). When the last handle goes, this stops and joins the background threads
/// first, so the store closes on the dropping thread and can be reopened as soon as it returns.
struct OpenHandles(Arc<Inner>);

impl Drop for OpenHandles {
    fn drop(&mut self) {
        self.0.stop_background();
    }
}

/// The top of the house: the shared context and each module's own services.
struct Inner {
    ctx: Context,
    notifier: Notifier,
    analytics: Runner,
    booking: BookingQueue,
    /// Online check-ins waiting for a shared transaction.
    scan_batches: checkin::ScanBatches,
    /// Waiting-room joins waiting for a shared transaction.
    arrivals: waiting_room::arrivals::Arrivals,
    maintenance: Mutex<Option<Maintenance>>,
    #[cfg(feature = "kafka")]
    kafka: kafka::Exporter,
    // Declared last so the folder outlives the database files inside it.
    _temporary_dir: Option<tempfile::TempDir>,
}

impl Handle<Notifier> for Inner {
    fn context(&self) -> &Context {
        &self.ctx
    }
    fn service(&self) -> &Notifier {
        &self.notifier
    }
}

impl Handle<Runner> for Inner {
    fn context(&self) -> &Context {
        &self.ctx
    }
    fn service(&self) -> &Runner {
        &self.analytics
    }
}

#[cfg(feature = "kafka")]
impl Handle<kafka::Exporter> for Inner {
    fn context(&self) -> &Context {
        &self.ctx
    }
    fn service(&self) -> &kafka::Exporter {
        &self.kafka
    }
}

impl Handle<BookingQueue> for Inner {
    fn context(&self) -> &Context {
        &self.ctx
    }
    fn service(&self) -> &BookingQueue {
        &self.booking
    }
}

struct Maintenance {
    stop: Arc<(Mutex<bool>, Condvar)>,
    thread: JoinHandle<()>,
}

impl Prasang {
    /// Opens (creating on first use) the store described by `config`; a path opens
    /// `Config::new(path)`.
    pub fn open(config: impl Into<OpenTarget>) -> Result<Prasang, OpenError> {
        let config = match config.into() {
            OpenTarget::Config(config) => *config,
            OpenTarget::Path(path) => Config::new(path),
        };
        let (data_dir, temporary_dir) = match &config.settings.location {
            Some(path) => (path.clone(), None),
            None => {
                let dir = tempfile::Builder::new().prefix("prasang-").tempdir()?;
                (dir.path().to_path_buf(), Some(dir))
            }
        };
        std::fs::create_dir_all(&data_dir)?;
        let keys = SigningKeys::load_or_create(&data_dir.join("keys"))?;
        let settings = config.settings;
        let store = Store::open(
            &data_dir.join("store"),
            settings.durability,
            settings.cache_bytes,
        )
        .map_err(|error| OpenError::locked_or(error, &data_dir))?;
        auth::refresh::index_families(&store)?;
        tickets::held::drop_stored_counts(&store)?;
        let notifier = Notifier::new(&config.notify)?;
        let listeners = vec![notifier.log_listener()];
        let inner = Arc::new(Inner {
            ctx: Context::new(store, settings, data_dir, keys, listeners),
            notifier,
            analytics: Runner::default(),
            booking: BookingQueue::default(),
            scan_batches: checkin::ScanBatches::default(),
            arrivals: waiting_room::arrivals::Arrivals::default(),
            maintenance: Mutex::new(None),
            #[cfg(feature = "kafka")]
            kafka: kafka::Exporter::new(config.kafka.map(|settings| *settings)),
            _temporary_dir: temporary_dir,
        });
        // Bookings are written by this thread whatever the settings (see `tickets::group`).
        inner.booking.start(
            Arc::downgrade(&inner) as Weak<dyn Handle<BookingQueue>>,
            tickets::write_batch,
        )?;
        if inner.ctx.config.background_tasks {
            let maintenance = Maintenance::start(
                Arc::downgrade(&inner),
                inner.ctx.config.maintenance_interval,
            )?;
            *inner.maintenance.lock() = Some(maintenance);
            inner
                .notifier
                .start(Arc::downgrade(&inner) as Weak<dyn Handle<Notifier>>)?;
            inner
                .analytics
                .start(Arc::downgrade(&inner) as Weak<dyn Handle<Runner>>)?;
            #[cfg(feature = "kafka")]
            inner
                .kafka
                .start(Arc::downgrade(&inner) as Weak<dyn Handle<kafka::Exporter>>)?;
        }
        let open = Arc::new(OpenHandles(Arc::clone(&inner)));
        Ok(Prasang { inner, _open: open })
    }

    /// User accounts.
    pub fn users(&self) -> users::Users<'_> {
        users::Users {
            inner: &self.inner.ctx,
        }
    }

    /// Logins and tokens.
    pub fn auth(&self) -> auth::Auth<'_> {
        auth::Auth {
            inner: &self.inner.ctx,
        }
    }

    /// Events.
    pub fn events(&self) -> events::Events<'_> {
        events::Events::new(&self.inner.ctx)
    }

    /// Promo codes of events.
    pub fn promo_codes(&self) -> promo::PromoCodes<'_> {
        promo::PromoCodes {
            inner: &self.inner.ctx,
        }
    }

    /// Admission codes of booked seats and the public keys that verify them.
    pub fn admissions(&self) -> admission::Admissions<'_> {
        admission::Admissions {
            inner: &self.inner.ctx,
        }
    }

    /// Waiting lists of sold-out events, and the offers made from them.
    pub fn waitlist(&self) -> waitlist::Waitlist<'_> {
        waitlist::Waitlist {
            inner: &self.inner.ctx,
            booking: &self.inner.booking,
        }
    }

    /// Waiting rooms in front of on-sales: a fair queue, admission at a set rate, signed passes.
    pub fn waiting_room(&self) -> waiting_room::WaitingRoom<'_> {
        waiting_room::WaitingRoom {
            inner: &self.inner.ctx,
            arrivals: &self.inner.arrivals,
        }
    }

    /// Messages from organizers to the people of their events.
    pub fn messages(&self) -> messages::Messages<'_> {
        messages::Messages {
            inner: &self.inner.ctx,
        }
    }

    /// Buying without an account: guest checkout and the sign-in links of guests.
    pub fn guests(&self) -> guests::Guests<'_> {
        guests::Guests {
            inner: &self.inner.ctx,
            tickets: self.tickets(),
        }
    }

    /// Tickets.
    pub fn tickets(&self) -> tickets::Tickets<'_> {
        tickets::Tickets {
            inner: &self.inner.ctx,
            booking: &self.inner.booking,
        }
    }

    /// Check-in at the door: scanning admission codes, door staff, counts, offline gates.
    pub fn check_ins(&self) -> checkin::CheckIns<'_> {
        checkin::CheckIns {
            inner: &self.inner.ctx,
            batches: &self.inner.scan_batches,
        }
    }

    /// Feedback on events.
    pub fn feedback(&self) -> feedback::Feedbacks<'_> {
        feedback::Feedbacks {
            inner: &self.inner.ctx,
        }
    }

    /// Whole tables for analysts (admins): events, tickets, feedback, attendee demographics.
    pub fn export(&self) -> export::Export<'_> {
        export::Export {
            inner: &self.inner.ctx,
        }
    }

    /// Copies the store into `dest` (a new or empty folder) while it keeps serving: the copy is
    /// the store as it was at one instant, and writes wait only for a short cut (admins only).
    /// See [`snapshot`] for how.
    pub fn snapshot(
        &self,
        actor: &auth::Actor,
        dest: &Path,
    ) -> Result<snapshot::SnapshotReport, snapshot::SnapshotError> {
        snapshot::authorize(actor)?;
        snapshot::take(&self.inner.ctx, dest)
    }

    /// [`Prasang::snapshot`] into `snapshots/NAME` of the data folder (admins only): what a
    /// server offers, since its callers must not pick arbitrary paths on its disk.
    pub fn snapshot_named(
        &self,
        actor: &auth::Actor,
        name: &str,
    ) -> Result<snapshot::SnapshotReport, snapshot::SnapshotError> {
        snapshot::authorize(actor)?;
        let dest = snapshot::named(&self.inner.ctx.data_dir, name)?;
        snapshot::take(&self.inner.ctx, &dest)
    }

    /// Reports, maintained incrementally from the event log.
    pub fn analytics(&self) -> analytics::Analytics<'_> {
        analytics::Analytics {
            inner: &self.inner.ctx,
        }
    }

    /// Folds new log entries into the analytics aggregates and asks the holders of events that
    /// have ended for feedback, on this thread. A background thread does this continuously
    /// unless [`Config::background_tasks`] turned it off.
    pub fn run_analytics_once(&self) -> Result<analytics::ConsumerReport, StoreError> {
        analytics::consumer::run_once(&self.inner.ctx, &self.inner.analytics)
    }

    /// Where the Kafka exporter stands (`None` when the store exports to no topic).
    #[cfg(feature = "kafka")]
    pub fn kafka_export(&self) -> Option<Result<kafka::ExportStatus, StoreError>> {
        self.inner.kafka.status(&self.inner.ctx)
    }

    /// The event log and consumer cursors.
    pub fn log(&self) -> log::Log<'_> {
        log::Log {
            inner: &self.inner.ctx,
        }
    }

    /// Notification preferences, organizer settings and the delivery log.
    pub fn notifications(&self) -> notify::Notifications<'_> {
        notify::Notifications {
            inner: &self.inner.ctx,
            notifier: &self.inner.notifier,
        }
    }

    /// Adds a notification channel (or replaces the one with the same id); see also
    /// [`Config::channel`].
    pub fn register_channel(
        &self,
        channel: Arc<dyn notify::Channel>,
    ) -> Result<(), notify::NotifyError> {
        self.inner.notifier.register(channel)
    }

    /// Turns new log entries into deliveries and attempts every delivery that is due, once, on
    /// this thread. Background workers do this continuously unless [`Config::background_tasks`]
    /// turned them off.
    pub fn run_notifications_once(&self) -> Result<notify::DispatchReport, StoreError> {
        notify::run_once(&self.inner.ctx, &self.inner.notifier)
    }

    /// Recomputes every counter and index from the records (admins only); call on a quiet
    /// store.
    pub fn verify_integrity(&self, actor: &auth::Actor) -> Result<IntegrityReport, CommonError> {
        actor.require_admin("only admins can check the store's integrity")?;
        Ok(integrity::verify(&self.inner.ctx)?)
    }

    /// Expires lapsed holds, admits people from waiting rooms and writes batched page views to
    /// the log. Runs every second in the background unless [`Config::background_tasks`] turned
    /// that off.
    pub fn run_maintenance(&self) -> Result<(), tickets::TicketError> {
        self.inner.run_maintenance()
    }

    /// Writes everything to disk now.
    pub fn flush(&self) -> Result<(), StoreError> {
        self.inner.ctx.store.flush()
    }

    /// The data folder (the database lives in `store/`, the signing key in `keys/`).
    pub fn data_dir(&self) -> &Path {
        &self.inner.ctx.data_dir
    }

    /// Bytes the database occupies on disk.
    pub fn size_on_disk(&self) -> Result<u64, StoreError> {
        self.inner.ctx.store.size_on_disk()
    }

    /// Where people reach the web UI ([`Config::public_url`]): the base of the links e-mails
    /// carry, and of the snippet that frames an organizer's booking widget.
    pub fn public_url(&self) -> &str {
        &self.inner.ctx.config.public_url
    }

    /// The current time by the configured clock.
    pub fn now(&self) -> Timestamp {
        self.inner.ctx.now()
    }
}

/// Why [`Prasang::open`] failed.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The configuration names a channel id that is not acceptable.
    #[error("invalid notification settings: {0}")]
    Channels(#[from] notify::NotifyError),
    /// The data folder or the database could not be opened.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Another process (a running server) has the store open; sled allows one process per
    /// store.
    #[error(
        "the store in {} is in use by another process (a running server?); open a snapshot of \
         it instead (POST /api/v1/admin/snapshot on the server)",
        .path.display()
    )]
    Locked {
        /// The data folder.
        path: PathBuf,
    },
}

impl OpenError {
    /// [`OpenError::Locked`] when sled could not lock the database file, else the error as is.
    fn locked_or(error: StoreError, data_dir: &Path) -> OpenError {
        match &error {
            StoreError::Engine(engine) if store::is_locked(engine) => OpenError::Locked {
                path: data_dir.to_path_buf(),
            },
            _ => OpenError::Store(error),
        }
    }
}

impl From<std::io::Error> for OpenError {
    fn from(error: std::io::Error) -> Self {
        OpenError::Store(error.into())
    }
}

impl From<sled::Error> for OpenError {
    fn from(error: sled::Error) -> Self {
        OpenError::Store(error.into())
    }
}

impl DomainError for OpenError {
    fn info(&self) -> ErrorInfo {
        match self {
            OpenError::Channels(_) => ErrorInfo::new(
                ErrorKind::InvalidInput,
                "invalid-config",
                "Invalid settings",
            ),
            OpenError::Store(store) => store.info(),
            OpenError::Locked { .. } => {
                ErrorInfo::new(ErrorKind::Conflict, "store-locked", "Store in use")
            }
        }
    }
}

/// What [`Prasang::open`] accepts: a [`Config`] or a data-folder path.
pub enum OpenTarget {
    /// Full settings.
    Config(Box<Config>),
    /// A data folder with default settings.
    Path(PathBuf),
}

impl From<Config> for OpenTarget {
    fn from(config: Config) -> Self {
        OpenTarget::Config(Box::new(config))
    }
}

impl From<&Path> for OpenTarget {
    fn from(path: &Path) -> Self {
        OpenTarget::Path(path.to_path_buf())
    }
}

impl From<PathBuf> for OpenTarget {
    fn from(path: PathBuf) -> Self {
        OpenTarget::Path(path)
    }
}

impl From<&str> for OpenTarget {
    fn from(path: &str) -> Self {
        OpenTarget::Path(path.into())
    }
}

impl Inner {
    fn run_maintenance(&self) -> Result<(), tickets::TicketError> {
        let tickets = tickets::Tickets {
            inner: &self.ctx,
            booking: &self.booking,
        };
        let expired = tickets.expire_due()?;
        if expired > 0 {
            tracing::debug!(expired, "released lapsed holds");
        }
        let waitlist = waitlist::Waitlist {
            inner: &self.ctx,
            booking: &self.booking,
        };
        match waitlist.expire_due() {
            Ok(0) => {}
            Ok(lapsed) => tracing::debug!(lapsed, "offers from waiting lists lapsed"),
            Err(failure) => tracing::warn!(%failure, "lapsing waiting list offers failed"),
        }
        let rooms = waiting_room::WaitingRoom {
            inner: &self.ctx,
            arrivals: &self.arrivals,
        };
        match rooms.admit_due() {
            Ok(0) => {}
            Ok(admitted) => tracing::debug!(admitted, "admitted from waiting rooms"),
            Err(failure) => tracing::warn!(%failure, "admitting from waiting rooms failed"),
        }
        match guests::forget_expired_links(&self.ctx) {
            Ok(0) => {}
            Ok(forgotten) => tracing::debug!(forgotten, "forgot spent sign-in links past expiry"),
            Err(failure) => tracing::warn!(%failure, "forgetting spent sign-in links failed"),
        }
        Ok(self.record_visits()?)
    }

    fn record_visits(&self) -> Result<(), StoreError> {
        let counts = self.ctx.visits.drain();
        if counts.is_empty() {
            return Ok(());
        }
        let at = self.ctx.now();
        let written = self.ctx.store.transaction(&self.ctx.store.log, |log| {
            for (event, count) in &counts {
                log::append(
                    log,
                    at,
                    &DomainEvent::EventViewed {
                        event: *event,
                        count: *count,
                    },
                )?;
            }
            Ok::<_, sled::transaction::ConflictableTransactionError<StoreError>>(())
        });
        if let Err(error) = store::finish(written) {
            self.ctx.visits.restore(&counts);
            return Err(error);
        }
        self.ctx.log_signal.notify();
        Ok(())
    }
}

impl Maintenance {
    fn start(inner: Weak<Inner>, interval: std::time::Duration) -> std::io::Result<Self> {
        let stop = Arc::new((Mutex::new(false), Condvar::new()));
        let thread_stop = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name("prasang-maintenance".into())
            .spawn(move || {
                let (stopped, wake) = &*thread_stop;
                loop {
                    {
                        let mut stopped = stopped.lock();
                        if !*stopped {
                            wake.wait_for(&mut stopped, interval);
                        }
                        if *stopped {
                            return;
                        }
                    }
                    let Some(inner) = inner.upgrade() else { return };
                    if let Err(error) = inner.run_maintenance() {
                        tracing::warn!(?error, "background maintenance failed; will retry");
                    }
                }
            })?;
        Ok(Maintenance { stop, thread })
    }
}

impl Inner {
    /// Stops the booking writer (after it answers what is queued), the notification and
    /// maintenance threads (idempotent).
    fn stop_background(&self) {
        self.booking.stop();
        self.notifier.shutdown();
        self.analytics.stop(|| self.ctx.log_signal.notify());
        #[cfg(feature = "kafka")]
        self.kafka.stop(|| self.ctx.log_signal.notify());
        if let Some(maintenance) = self.maintenance.lock().take() {
            *maintenance.stop.0.lock() = true;
            maintenance.stop.1.notify_all();
            // The maintenance thread may itself drop the last handle; it cannot join itself.
            if maintenance.thread.thread().id() != std::thread::current().id() {
                let _ = maintenance.thread.join();
            }
        }
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.stop_background();
        if let Err(error) = self.record_visits() {
            tracing::warn!(?error, "could not record the last page views");
        }
        if let Err(error) = self.ctx.store.flush() {
            tracing::error!(?error, "final flush failed");
        }
    }
}
