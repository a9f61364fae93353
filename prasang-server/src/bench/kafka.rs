//! The Kafka exporter's benchmarks (issue 30), against a broker the caller runs
//! (`--kafka-brokers`; `scripts/bench-kafka.sh` starts a local tansu):
//!
//! - `--kafka-export N`: a store with a log of about N entries (registrations, bookings and
//!   cancellations) exports it from the start, and the time until the broker acknowledged the
//!   last entry gives entries/s. The ceiling in the same run: a plain librdkafka producer with
//!   the exporter's settings (idempotent, acks=all) sending the same records, already encoded.
//! - `--kafka-brokers` with the flash sale: the server exports while the sale runs; the report
//!   adds the exporter's lag, sampled from `/healthz` during the sale, and the per-entry
//!   commit-to-acknowledgement delay from `/metrics` (the sale's throughput is compared with a
//!   run without the flag).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use hyper::Method;
use parking_lot::Mutex;
use prasang_core::auth::Actor;
use prasang_core::events::NewEvent;
use prasang_core::kafka::KafkaSettings;
use prasang_core::kafka::envelope::{self, Record};
use prasang_core::tickets::BookingRequest;
use prasang_core::users::{Gender, NewUser, PasswordCost, Role};
use prasang_core::{Clock, Config, Durability, Prasang, SystemClock};
use rdkafka::ClientConfig;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::producer::{BaseRecord, DeliveryResult, Producer, ProducerContext, ThreadedProducer};

use prasang_http_client as client;

use super::BenchError;

/// Events the export bench's bookings spread over.
const EVENTS: usize = 20;

/// Partitions of the bench topics (the exporter's default).
const PARTITIONS: i32 = 3;

/// `--kafka-export N`: the exporter's throughput beside a plain producer's.
pub(super) async fn export(brokers: String, entries: usize) -> Result<(), BenchError> {
    let data = tempfile::Builder::new()
        .prefix("prasang-kafka-bench-")
        .tempdir()?;
    let path = data.path().to_path_buf();
    let filled = Instant::now();
    let log = tokio::task::spawn_blocking(move || fill_log(&path, entries)).await??;
    let fill_secs = filled.elapsed().as_secs_f64();
    let run = format!("{:016x}", rand::random::<u64>());

    // The exporter: the store reopened with Kafka on, timed from the open to the last ack.
    let topic = format!("bench-export-{run}");
    let (path, settings) = (
        data.path().to_path_buf(),
        KafkaSettings::new(&brokers, &topic),
    );
    let exporter = tokio::task::spawn_blocking(move || export_all(&path, settings)).await??;

    // The ceiling: the same records from a plain producer, to a topic made beforehand.
    let source = "http://127.0.0.1:8080";
    let encoding = Instant::now();
    let records: Vec<Record> = log
        .iter()
        .map(|entry| envelope::record(entry, source))
        .collect();
    let encoding = encoding.elapsed();
    let ceiling_topic = format!("bench-ceiling-{run}");
    create_topic(&brokers, &ceiling_topic).await?;
    let bytes: usize = records.iter().map(|r| r.value.len() + r.key.len()).sum();
    let ceiling =
        tokio::task::spawn_blocking(move || produce_plain(&brokers, &ceiling_topic, &records))
            .await??;

    let n = log.len() as f64;
    let exporter_rate = n / exporter.total.as_secs_f64();
    let steady_rate = exporter.entries_after_first as f64 / exporter.after_first.as_secs_f64();
    let ceiling_rate = n / ceiling.as_secs_f64();
    println!();
    println!("## Kafka export throughput");
    println!();
    println!(
        "{} log entries ({:.0} bytes each on average, filled in {fill_secs:.1} s), one local broker, {} cores",
        log.len(),
        bytes as f64 / n,
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!();
    println!("| measurement | value |");
    println!("|---|---|");
    println!(
        "| exporter: open to last acknowledgement | {:.2} s = {exporter_rate:.0} entries/s = {:.1}% of the ceiling |",
        exporter.total.as_secs_f64(),
        100.0 * exporter_rate / ceiling_rate
    );
    println!(
        "| of which: opening the store / then up to the first batch's acknowledgement (topic, connection, first batch) | {:.2} s / {:.2} s |",
        exporter.open.as_secs_f64(),
        (exporter.total - exporter.open - exporter.after_first).as_secs_f64()
    );
    println!(
        "| exporter: first batch's acknowledgement to the last (steady rate) | {:.2} s for {} entries = {steady_rate:.0} entries/s = {:.1}% of the ceiling |",
        exporter.after_first.as_secs_f64(),
        exporter.entries_after_first,
        100.0 * steady_rate / ceiling_rate
    );
    println!(
        "| ceiling: plain librdkafka producer, same records and settings | {:.2} s = {ceiling_rate:.0} entries/s |",
        ceiling.as_secs_f64()
    );
    println!(
        "| of the exporter's work: encoding the CloudEvents (one thread, outside the exporter) | {:.2} s = {:.1} µs an entry |",
        encoding.as_secs_f64(),
        encoding.as_secs_f64() * 1e6 / n
    );
    Ok(())
}

/// A store in `path` whose log holds at least `entries` entries; the log.
fn fill_log(
    path: &std::path::Path,
    entries: usize,
) -> Result<Vec<prasang_core::log::LogEntry>, BenchError> {
    let config = Config::new(path)
        .password_cost(PasswordCost::INSECURE_FAST)
        .background_tasks(false)
        .durability(Durability::Periodic {
            every: Duration::from_millis(500),
        });
    let prasang = Prasang::open(config)?;
    let organizer = actor(&prasang, "organizer", Role::Organizer)?;
    let starts = SystemClock.now().plus(Duration::from_secs(30 * 86_400));
    let events = (0..EVENTS)
        .map(|i| {
            let event = NewEvent {
                attendee_names: Default::default(),
                title: format!("Export bench {i}"),
                description: String::new(),
                location: "Bench hall".into(),
                starts_at: starts.into(),
                ends_at: starts.plus(Duration::from_secs(3600)).into(),
                time_zone: None,
                capacity: 1_000_000,
                price_minor: 0,
                currency: "EUR".into(),
                image_url: None,
                per_user_limit: Some(100),
                ticket_types: None,
            };
            Ok(prasang.events().create(&organizer, event)?.id)
        })
        .collect::<Result<Vec<_>, BenchError>>()?;
    let admin = prasang.auth().system_actor();
    let mut person = 0;
    while (prasang.log().end()? as usize) < entries {
        // One person books a seat of every event and cancels one of the tickets again.
        let fan = actor(&prasang, &format!("fan{person}"), Role::Attendee)?;
        let pending: Vec<_> = events
            .iter()
            .map(|event| {
                prasang
                    .tickets()
                    .book_async(&fan, &BookingRequest::seats(*event, 1))
            })
            .collect();
        let mut tickets = Vec::with_capacity(pending.len());
        for booking in pending {
            tickets.push(booking.wait()?.ticket);
        }
        if let Some(ticket) = tickets.get(person % tickets.len()) {
            prasang.tickets().cancel(&fan, ticket.id)?;
        }
        person += 1;
    }
    prasang.flush()?;
    Ok(prasang.log().read(&admin, 0, usize::MAX)?)
}

fn actor(prasang: &Prasang, name: &str, role: Role) -> Result<Actor, BenchError> {
    let user = prasang.users().register(NewUser {
        name: name.to_owned(),
        email: format!("{name}@bench.example"),
        password: "bench password".into(),
        gender: Gender::Undisclosed,
        age: 30,
        role,
    })?;
    Ok(prasang.auth().trusted_actor(user.id)?)
}

/// How long the export of a whole log took.
struct ExportTimes {
    /// From opening the store to the last acknowledgement.
    total: Duration,
    /// Opening the store (the exporter starts at its end).
    open: Duration,
    /// From the first batch's acknowledgement to the last: the steady rate's span, without the
    /// store's opening, the topic's creation and the first round trip.
    after_first: Duration,
    /// Entries acknowledged in that span.
    entries_after_first: u64,
}

/// Opens the store in `path` exporting to `settings`, and waits until the broker acknowledged
/// the whole log.
fn export_all(path: &std::path::Path, settings: KafkaSettings) -> Result<ExportTimes, BenchError> {
    let started = Instant::now();
    let prasang = Prasang::open(Config::new(path).kafka(settings))?;
    let open = started.elapsed();
    let end = prasang.log().end()?;
    let mut first: Option<(Instant, u64)> = None;
    loop {
        let status = prasang
            .kafka_export()
            .ok_or("the exporter is not configured")??;
        if first.is_none() && status.exported > 0 {
            first = Some((Instant::now(), status.exported));
        }
        if status.cursor >= end {
            let (first_at, first_entries) = first.unwrap_or((started, 0));
            return Ok(ExportTimes {
                total: started.elapsed(),
                open,
                after_first: first_at.elapsed(),
                entries_after_first: status.exported - first_entries,
            });
        }
        if started.elapsed() > Duration::from_secs(600) {
            return Err(format!(
                "the exporter stalled at {} of {end}: {status:?}",
                status.cursor
            )
            .into());
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

async fn create_topic(brokers: &str, topic: &str) -> Result<(), BenchError> {
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .create()?;
    let new = NewTopic::new(topic, PARTITIONS, TopicReplication::Fixed(1));
    for result in admin.create_topics([&new], &AdminOptions::new()).await? {
        result.map_err(|(name, code)| format!("creating {name}: {code}"))?;
    }
    Ok(())
}

/// Counts acknowledgements and remembers a failure.
#[derive(Default)]
struct Counted {
    acked: std::sync::atomic::AtomicUsize,
    failed: AtomicBool,
}

impl rdkafka::ClientContext for Counted {}

impl ProducerContext for Counted {
    type DeliveryOpaque = ();
    fn delivery(&self, result: &DeliveryResult<'_>, _: ()) {
        match result {
            Ok(_) => self.acked.fetch_add(1, Ordering::Relaxed),
            Err(_) => {
                self.failed.store(true, Ordering::Relaxed);
                0
            }
        };
    }
}

/// Sends `records` with the exporter's producer settings and waits for every acknowledgement.
fn produce_plain(brokers: &str, topic: &str, records: &[Record]) -> Result<Duration, BenchError> {
    let producer: ThreadedProducer<Counted> = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("enable.idempotence", "true")
        .set("acks", "all")
        .set("partitioner", "murmur2_random")
        .set("linger.ms", "5")
        .create_with_context(Counted::default())?;
    let started = Instant::now();
    for record in records {
        let mut message = BaseRecord::to(topic)
            .key(record.key.as_bytes())
            .payload(record.value.as_slice());
        while let Err((error, back)) = producer.send(message) {
            if !matches!(
                error,
                rdkafka::error::KafkaError::MessageProduction(
                    rdkafka::types::RDKafkaErrorCode::QueueFull
                )
            ) {
                return Err(error.into());
            }
            message = back;
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    producer.flush(Duration::from_secs(120))?;
    let context = producer.context();
    if context.failed.load(Ordering::Relaxed)
        || context.acked.load(Ordering::Relaxed) != records.len()
    {
        return Err("the plain producer lost records".into());
    }
    Ok(started.elapsed())
}

/// Samples the exporter's lag from `/healthz` until stopped: every sample, seconds.
pub(super) struct LagSampler {
    samples: Arc<Mutex<Vec<f64>>>,
    stop: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

impl LagSampler {
    pub(super) fn start(server: SocketAddr) -> Self {
        let samples = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (kept, stopped) = (Arc::clone(&samples), Arc::clone(&stop));
        let task = tokio::spawn(async move {
            while !stopped.load(Ordering::Relaxed) {
                if let Ok(reply) = client::call(server, Method::GET, "/healthz", None, None).await
                    && let Some(lag) = reply.json()["kafka"]["lag_seconds"].as_f64()
                {
                    kept.lock().push(lag);
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        });
        LagSampler {
            samples,
            stop,
            task,
        }
    }

    /// Stops sampling; the samples, sorted.
    pub(super) async fn finish(self) -> Vec<f64> {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.task.await;
        let mut samples = std::mem::take(&mut *self.samples.lock());
        samples.sort_by(f64::total_cmp);
        samples
    }
}

/// The exporter's commit-to-acknowledgement histogram from `/metrics`: (bucket bound in
/// seconds, cumulative count), `+Inf` last.
pub(super) async fn delay_buckets(server: SocketAddr) -> Result<Vec<(f64, u64)>, BenchError> {
    let metrics = client::call(server, Method::GET, "/metrics", None, None).await?;
    let text = String::from_utf8_lossy(&metrics.body);
    Ok(text
        .lines()
        .filter(|line| line.starts_with("prasang_kafka_export_delay_seconds_bucket"))
        .filter_map(|line| {
            let bound = line.split("le=\"").nth(1)?.split('"').next()?;
            let count = line.rsplit(' ').next()?.parse().ok()?;
            Some((bound.parse().unwrap_or(f64::INFINITY), count))
        })
        .collect())
}

/// Waits until the exporter caught up, then reads its delay histogram again: the report's rows
/// on the entries of the sale (those acknowledged since `before`) and the lag sampled meanwhile.
pub(super) async fn lag_rows(
    server: SocketAddr,
    before: &[(f64, u64)],
    sampled: &[f64],
) -> Result<Vec<String>, BenchError> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let health = client::call(server, Method::GET, "/healthz", None, None)
            .await?
            .json();
        if health["kafka"]["behind"].as_u64() == Some(0) {
            break;
        }
        if Instant::now() > deadline {
            return Err(format!("the exporter did not catch up: {health}").into());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let buckets: Vec<(f64, u64)> = delay_buckets(server)
        .await?
        .into_iter()
        .enumerate()
        .map(|(i, (bound, count))| (bound, count - before.get(i).map_or(0, |(_, n)| *n)))
        .collect();
    let total = buckets.last().map_or(0, |(_, count)| *count);
    let within = |q: f64| {
        let rank = (q * total as f64).ceil() as u64;
        buckets
            .iter()
            .find(|(_, count)| *count >= rank)
            .map_or(f64::INFINITY, |(bound, _)| *bound)
    };
    let quantile = |q: f64| {
        sampled
            .get(((sampled.len() as f64 * q).ceil() as usize).saturating_sub(1))
            .copied()
            .unwrap_or(0.0)
    };
    Ok(vec![
        format!(
            "| exporter: the sale's entries, commit to broker ack p50 / p99 / max (histogram bound) | {total}: ≤ {} s / ≤ {} s / ≤ {} s |",
            within(0.5),
            within(0.99),
            within(1.0)
        ),
        format!(
            "| exporter lag sampled every 10 ms during the sale, p50 / p99 / max (s) | {:.3} / {:.3} / {:.3} ({} samples) |",
            quantile(0.5),
            quantile(0.99),
            quantile(1.0),
            sampled.len()
        ),
    ])
}
