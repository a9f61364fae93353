//! The Kafka exporter (feature `kafka`): a log consumer that publishes every entry, in log
//! order, to one Kafka topic, for platforms that outgrow one machine (docs/kafka.md).
//!
//! Delivery: a batch of entries is sent with an idempotent producer (acks=all), and the cursor
//! moves past the batch only once the broker acknowledged all of it. A crash, a broker outage or
//! a failed batch resumes from the cursor, so nothing is ever missing; what can happen is that
//! entries sent but not yet counted are sent again, with the same sequence number (the
//! CloudEvent's `id`), which consumers drop. The exporter runs on its own thread and reads the
//! log after bookings committed it: a slow or absent broker never slows a booking.
//!
//! ```no_run
//! use prasang_core::kafka::KafkaSettings;
//! use prasang_core::{Config, Prasang};
//!
//! let config = Config::new("data").kafka(KafkaSettings::new("127.0.0.1:9092", "prasang.log"));
//! let prasang = Prasang::open(config)?;
//! if let Some(status) = prasang.kafka_export() {
//!     println!("{} entries behind", status?.behind);
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod envelope;
mod producer;

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::Weak;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use crate::context::{BackgroundThread, Context, Handle};
use crate::log::{self, Log};
use crate::store::StoreError;
use crate::time::Timestamp;
use producer::{MAX_IN_FLIGHT, SendError, Session};

/// The exporter's cursor in the log's cursor table.
pub const CURSOR: &str = "kafka";

/// Entries read and sent per batch: large enough that waiting for one batch's acknowledgement
/// costs little of the throughput, small enough to keep a batch's memory in a few megabytes.
const ENTRIES_PER_BATCH: usize = 10_000;

/// How long the exporter sleeps when the log is quiet.
const IDLE_POLL: Duration = Duration::from_millis(500);

/// The first wait after a failure; it doubles up to [`MAX_BACKOFF`] and resets on success.
const FIRST_BACKOFF: Duration = Duration::from_millis(250);
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// Delays are counted per millisecond up to this many; slower ones share the last bucket.
const DELAY_BUCKETS_MS: usize = 10_000;

/// Where and how to export. Build with [`KafkaSettings::new`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KafkaSettings {
    /// `host:port[,host:port…]` of one or more brokers (`bootstrap.servers`).
    pub brokers: String,
    /// The topic every entry goes to.
    pub topic: String,
    /// Partitions, when the exporter creates the topic (default 3).
    pub partitions: i32,
    /// Replicas of each partition, when the exporter creates the topic (default 1).
    pub replication: i32,
    /// The CloudEvents `source` of every entry (default: the store's public URL).
    pub source: Option<String>,
}

impl KafkaSettings {
    /// Export to `topic` on the brokers `brokers` (`host:port`, comma separated).
    pub fn new(brokers: impl Into<String>, topic: impl Into<String>) -> Self {
        KafkaSettings {
            brokers: brokers.into(),
            topic: topic.into(),
            partitions: 3,
            replication: 1,
            source: None,
        }
    }
}

/// How far the exporter got, for metrics and health. From [`crate::Prasang::kafka_export`].
#[derive(Debug, Clone)]
pub struct ExportStatus {
    /// The topic.
    pub topic: String,
    /// The first log sequence number the broker has not acknowledged.
    pub cursor: u64,
    /// Entries the broker has not acknowledged yet, counted up to
    /// [`crate::log::BACKLOG_COUNT_CAP`] (that number means at least as many).
    pub behind: u64,
    /// How long ago the oldest entry still to send was committed (zero when caught up).
    pub lag: Duration,
    /// Entries the broker acknowledged since the store was opened.
    pub exported: u64,
    /// Batches that failed (broker down, refused, timed out) since the store was opened.
    pub failures: u64,
    /// Whether the last attempt reached the broker and was acknowledged.
    pub broker_up: bool,
    /// What went wrong last, when something did.
    pub last_error: Option<String>,
    /// Per entry, the time from its commit to the broker's acknowledgement.
    pub delays: DelayHistogram,
}

/// Commit-to-acknowledgement delays, counted per millisecond.
#[derive(Debug, Clone)]
pub struct DelayHistogram {
    per_ms: Vec<u64>,
}

impl Default for DelayHistogram {
    fn default() -> Self {
        DelayHistogram {
            per_ms: vec![0; DELAY_BUCKETS_MS + 1],
        }
    }
}

impl DelayHistogram {
    fn record(&mut self, delay_ms: i64) {
        let bucket = usize::try_from(delay_ms.max(0))
            .unwrap_or(DELAY_BUCKETS_MS)
            .min(DELAY_BUCKETS_MS);
        self.per_ms[bucket] += 1;
    }

    /// Entries counted.
    pub fn count(&self) -> u64 {
        self.per_ms.iter().sum()
    }

    /// The delays added up (to the millisecond; 10 s or more counts as 10 s).
    pub fn sum(&self) -> Duration {
        let ms: u64 = self
            .per_ms
            .iter()
            .enumerate()
            .map(|(ms, n)| ms as u64 * n)
            .sum();
        Duration::from_millis(ms)
    }

    /// Entries whose delay was at most `ms` milliseconds.
    pub fn at_most(&self, ms: u64) -> u64 {
        let last = usize::try_from(ms)
            .unwrap_or(DELAY_BUCKETS_MS)
            .min(DELAY_BUCKETS_MS);
        self.per_ms[..=last].iter().sum()
    }

    /// The delay that the fraction `q` (0–1) of entries did not exceed, to the millisecond
    /// (`None` before any entry; 10 s or more shows as 10 s).
    pub fn quantile(&self, q: f64) -> Option<Duration> {
        let count = self.count();
        if count == 0 {
            return None;
        }
        let rank = ((q.clamp(0.0, 1.0) * count as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (ms, n) in self.per_ms.iter().enumerate() {
            seen += n;
            if seen >= rank {
                return Some(Duration::from_millis(ms as u64));
            }
        }
        Some(Duration::from_millis(DELAY_BUCKETS_MS as u64))
    }
}

/// What the exporter thread reports.
#[derive(Default)]
struct Progress {
    exported: u64,
    failures: u64,
    broker_up: bool,
    last_error: Option<String>,
    delays: DelayHistogram,
}

/// The exporter's background thread and what it reports (idle when no topic is configured).
pub(crate) struct Exporter {
    settings: Option<KafkaSettings>,
    progress: Arc<Mutex<Progress>>,
    thread: BackgroundThread,
}

impl Exporter {
    pub(crate) fn new(settings: Option<KafkaSettings>) -> Self {
        Exporter {
            settings,
            progress: Arc::default(),
            thread: BackgroundThread::default(),
        }
    }

    /// Starts exporting from the cursor, when a topic is configured.
    pub(crate) fn start(&self, inner: Weak<dyn Handle<Exporter>>) -> std::io::Result<()> {
        let Some(mut settings) = self.settings.clone() else {
            return Ok(());
        };
        let progress = Arc::clone(&self.progress);
        self.thread.spawn("prasang-kafka", move |stopped| {
            if settings.source.is_none() {
                let Some(strong) = inner.upgrade() else {
                    return;
                };
                settings.source = Some(strong.context().config.public_url.clone());
            }
            run(&settings, &inner, stopped, &progress);
        })
    }

    /// Stops the exporter (idempotent); `wake` interrupts its wait for new entries. Entries
    /// sent but not yet acknowledged are sent again by the next start.
    pub(crate) fn stop(&self, wake: impl FnOnce()) {
        self.thread.stop(wake);
    }

    /// Where the exporter stands (`None` when no topic is configured).
    pub(crate) fn status(&self, inner: &Context) -> Option<Result<ExportStatus, StoreError>> {
        let settings = self.settings.as_ref()?;
        Some(self.progress_against_log(settings, inner))
    }

    fn progress_against_log(
        &self,
        settings: &KafkaSettings,
        inner: &Context,
    ) -> Result<ExportStatus, StoreError> {
        let log = Log { inner };
        let cursor = log.position(CURSOR)?;
        let lag = match log.entries(cursor, 1)?.first() {
            Some(oldest) => millis_between(oldest.at, inner.now()),
            None => Duration::ZERO,
        };
        let progress = self.progress.lock();
        Ok(ExportStatus {
            topic: settings.topic.clone(),
            cursor,
            behind: log.backlog(cursor)?,
            lag,
            exported: progress.exported,
            failures: progress.failures,
            broker_up: progress.broker_up,
            last_error: progress.last_error.clone(),
            delays: progress.delays.clone(),
        })
    }
}

fn millis_between(earlier: Timestamp, later: Timestamp) -> Duration {
    Duration::from_millis(u64::try_from(later.as_millis() - earlier.as_millis()).unwrap_or(0))
}

/// A batch sent and not yet retired.
struct InFlight {
    /// Its slot in the session's acknowledgement counts.
    slot: usize,
    /// Its records.
    records: u64,
    /// The cursor once it is acknowledged: one past its last entry.
    next: u64,
    /// When each of its entries was committed (for the delay histogram).
    committed: Vec<Timestamp>,
}

/// The exporter thread. It reads and sends batches from the cursor while up to
/// [`MAX_IN_FLIGHT`] are unacknowledged (so reading and encoding the next batch overlaps the
/// broker's work on the previous ones), moves the cursor past each batch once all its records
/// are acknowledged, oldest first, and on any failure drops the session and everything in
/// flight, backs off and starts again from the cursor.
fn run(
    settings: &KafkaSettings,
    inner: &Weak<dyn Handle<Exporter>>,
    stopped: &AtomicBool,
    progress: &Mutex<Progress>,
) {
    let source = settings.source.clone().unwrap_or_default();
    let mut session: Option<Session> = None;
    let mut in_flight: VecDeque<InFlight> = VecDeque::new();
    let mut batches = 0usize;
    let mut backoff = FIRST_BACKOFF;
    // Entries below this sequence number are known to be durable.
    let mut durable_below = 0u64;
    // No new batch is read before this (see below).
    let mut gather_until = Instant::now();
    while !stopped.load(Ordering::SeqCst) {
        let Some(strong) = inner.upgrade() else {
            return;
        };
        let log = Log {
            inner: strong.context(),
        };
        if let Some(open) = &session {
            if open.failed() {
                let reason = open.last_error().unwrap_or_default();
                drop(strong);
                session = None;
                in_flight.clear();
                failed(progress, reason, &mut backoff, stopped);
                continue;
            }
            let next = retire(open, &mut in_flight, progress, strong.context().now());
            if let Some(next) = next
                && let Err(error) = log.commit_cursor(CURSOR, next)
            {
                // The broker has the batches; they are sent again after the backoff, with the
                // same sequence numbers.
                drop(strong);
                session = None;
                in_flight.clear();
                let reason = format!("the exporter could not save its cursor: {error}");
                failed(progress, reason, &mut backoff, stopped);
                continue;
            }
            if next.is_some() {
                backoff = FIRST_BACKOFF;
            }
        }

        let from = match in_flight.back() {
            Some(last) => Ok(last.next),
            None => log.position(CURSOR),
        };
        let may_read = in_flight.len() < MAX_IN_FLIGHT && Instant::now() >= gather_until;
        let read = match from {
            Ok(from) if may_read => log
                .entries(from, ENTRIES_PER_BATCH)
                .map(|entries| (from, entries)),
            Ok(from) => Ok((from, Vec::new())),
            Err(error) => Err(error),
        };
        let (from, entries) = match read {
            Ok(read) => read,
            Err(error) => {
                tracing::warn!(?error, "kafka exporter could not read the log; will retry");
                drop(strong);
                std::thread::sleep(IDLE_POLL);
                continue;
            }
        };
        let Some(last) = entries.last() else {
            // Nothing to send now: wait for acknowledgements, for the gathering to end, or for
            // the log to grow.
            match &session {
                Some(open) if !in_flight.is_empty() => open.wait_for_acks(),
                _ if !may_read => {
                    drop(strong);
                    std::thread::sleep(gather_until.saturating_duration_since(Instant::now()));
                }
                _ => {
                    let _ = log.wait_for(from, IDLE_POLL);
                }
            }
            continue;
        };
        let next = last.seq + 1;
        // Entries are readable once committed, before the group commit made them durable: wait
        // for it, or a crash could leave the topic with an entry (a booking) the store lost. One
        // wait covers everything committed before it, so a backlog waits once, not per batch.
        if last.seq >= durable_below {
            match wait_durable(&log, strong.context()) {
                Ok(end) => durable_below = end,
                Err(error) => {
                    tracing::warn!(?error, "kafka exporter could not wait for the flush");
                    drop(strong);
                    std::thread::sleep(IDLE_POLL);
                    continue;
                }
            }
        }
        // A batch that emptied the log gathers what comes next for a moment (like the other
        // consumers), so a sale is sent in batches of many bookings, not one or two each.
        if entries.len() < ENTRIES_PER_BATCH {
            gather_until = Instant::now() + log::CONSUMER_GATHER;
        }
        drop(strong);
        let records: Vec<_> = entries
            .iter()
            .map(|entry| envelope::record(entry, &source))
            .collect();
        let open = match &session {
            Some(open) => open,
            None => match Session::open(settings) {
                Ok(open) => session.insert(open),
                Err(reason) => {
                    failed(progress, reason, &mut backoff, stopped);
                    continue;
                }
            },
        };
        let slot = batches;
        batches = batches.wrapping_add(1);
        match open.send(&records, slot, stopped) {
            Ok(()) => in_flight.push_back(InFlight {
                slot,
                records: records.len() as u64,
                next,
                committed: entries.iter().map(|entry| entry.at).collect(),
            }),
            Err(SendError::Stopped) => return,
            Err(SendError::Failed(reason)) => {
                session = None;
                in_flight.clear();
                failed(progress, reason, &mut backoff, stopped);
            }
        }
    }
}

/// Waits until every entry committed so far is durable; the end of the log before the wait.
fn wait_durable(log: &Log<'_>, inner: &Context) -> Result<u64, StoreError> {
    let end = log.next_seq()?;
    inner.store.durable()?;
    Ok(end)
}

/// Pops the batches at the front that the broker fully acknowledged and counts them; the
/// cursor after the last one, if any.
fn retire(
    open: &Session,
    in_flight: &mut VecDeque<InFlight>,
    progress: &Mutex<Progress>,
    now: Timestamp,
) -> Option<u64> {
    let mut next = None;
    while let Some(front) = in_flight.front() {
        if open.acked(front.slot) < front.records {
            break;
        }
        let mut progress = progress.lock();
        progress.exported += front.records;
        progress.broker_up = true;
        progress.last_error = None;
        for at in &front.committed {
            progress.delays.record(now.as_millis() - at.as_millis());
        }
        next = Some(front.next);
        in_flight.pop_front();
    }
    next
}

/// Reports a failed attempt and waits out the backoff, which doubles for the next one.
fn failed(
    progress: &Mutex<Progress>,
    reason: String,
    backoff: &mut Duration,
    stopped: &AtomicBool,
) {
    tracing::warn!(reason, ?backoff, "kafka export failed; will retry");
    {
        let mut progress = progress.lock();
        progress.failures += 1;
        progress.broker_up = false;
        progress.last_error = Some(reason);
    }
    sleep_unless_stopped(*backoff, stopped);
    *backoff = (*backoff * 2).min(MAX_BACKOFF);
}

/// Sleeps `duration` in short steps, returning early once `stopped` is set.
fn sleep_unless_stopped(duration: Duration, stopped: &AtomicBool) {
    let step = Duration::from_millis(50);
    let mut left = duration;
    while !left.is_zero() && !stopped.load(Ordering::SeqCst) {
        let now = step.min(left);
        std::thread::sleep(now);
        left -= now;
    }
}
