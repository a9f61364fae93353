//! The librdkafka side of the exporter: an idempotent producer (acks=all) and the wait for a
//! batch's acknowledgements.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::task::{Context as TaskContext, Poll, Wake, Waker};
use std::time::Duration;

use parking_lot::Mutex;
use rdkafka::ClientConfig;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::ClientContext;
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{BaseProducer, BaseRecord, DeliveryResult, Producer, ProducerContext};

use super::KafkaSettings;
use super::envelope::{CONTENT_TYPE, CONTENT_TYPE_HEADER, Record, SEQUENCE_HEADER};

/// How long librdkafka keeps retrying one record before it reports the batch failed; the
/// exporter then backs off and sends again from its cursor.
const MESSAGE_TIMEOUT: Duration = Duration::from_secs(30);

/// How long creating the topic may take.
const ADMIN_TIMEOUT: Duration = Duration::from_secs(5);

/// How often the wait for acknowledgements looks at the stop flag.
const POLL: Duration = Duration::from_millis(20);

/// Batches a session may have sent and not yet seen acknowledged; more slots than that, so a
/// batch's slot is never reused while an older batch still counts in it.
pub(super) const MAX_IN_FLIGHT: usize = 4;
const SLOTS: usize = MAX_IN_FLIGHT + 1;

/// What the broker answered, counted per batch slot by librdkafka's delivery callbacks.
#[derive(Default)]
pub(super) struct Acks {
    acked: [AtomicU64; SLOTS],
    failed: AtomicBool,
    last_error: Mutex<Option<String>>,
}

impl ClientContext for Acks {
    fn log(&self, level: RDKafkaLogLevel, facility: &str, message: &str) {
        match level {
            RDKafkaLogLevel::Emerg
            | RDKafkaLogLevel::Alert
            | RDKafkaLogLevel::Critical
            | RDKafkaLogLevel::Error
            | RDKafkaLogLevel::Warning => tracing::warn!(facility, message, "kafka client"),
            _ => tracing::debug!(facility, message, "kafka client"),
        }
    }

    fn error(&self, error: KafkaError, reason: &str) {
        tracing::warn!(%error, reason, "kafka client error");
        *self.last_error.lock() = Some(reason.to_owned());
    }
}

impl ProducerContext for Acks {
    /// The slot of the record's batch.
    type DeliveryOpaque = usize;

    fn delivery(&self, result: &DeliveryResult<'_>, slot: usize) {
        match result {
            Ok(_) => {
                if let Some(acked) = self.acked.get(slot) {
                    acked.fetch_add(1, Ordering::Relaxed);
                }
            }
            Err((error, _)) => {
                self.failed.store(true, Ordering::SeqCst);
                *self.last_error.lock() = Some(error.to_string());
            }
        }
    }
}

/// Why a batch could not be sent.
#[derive(Debug)]
pub(super) enum SendError {
    /// The exporter is stopping; what was sent may or may not arrive.
    Stopped,
    /// The client refused the record; the text says why.
    Failed(String),
}

/// One producer session. A failed batch ends it (an idempotent producer's sequence state is
/// not worth repairing): the next one starts afresh from the cursor.
pub(super) struct Session {
    producer: BaseProducer<Acks>,
    topic: String,
}

impl Session {
    /// Connects, creating the topic first when it is missing and the broker allows it.
    pub(super) fn open(settings: &KafkaSettings) -> Result<Session, String> {
        let mut config = ClientConfig::new();
        config
            .set("bootstrap.servers", &settings.brokers)
            .set("client.id", "prasang-exporter")
            // The delivery guarantee: every record is on all in-sync replicas before it counts,
            // and librdkafka's own retries never duplicate or reorder within a session.
            .set("enable.idempotence", "true")
            .set("acks", "all")
            // A record that times out ends the session instead of leaving a gap that later
            // records of its partition step over: what a partition holds from one session is
            // then always an unbroken run of what was sent, which is what makes "skip ids at or
            // below the highest seen in this partition" a correct de-duplication (docs/kafka.md).
            .set("enable.gapless.guarantee", "true")
            // The Java client's partitioner, so any client agrees on a key's partition.
            .set("partitioner", "murmur2_random")
            .set("linger.ms", "5")
            .set(
                "message.timeout.ms",
                MESSAGE_TIMEOUT.as_millis().to_string(),
            );
        ensure_topic(&config, settings)?;
        let producer = config
            .create_with_context(Acks::default())
            .map_err(|error| error.to_string())?;
        Ok(Session {
            producer,
            topic: settings.topic.clone(),
        })
    }

    /// Queues `records` as the batch counted in `slot` (which must not hold a batch still in
    /// flight); librdkafka sends them from its own threads.
    pub(super) fn send(
        &self,
        records: &[Record],
        slot: usize,
        stopped: &AtomicBool,
    ) -> Result<(), SendError> {
        let slot = slot % SLOTS;
        self.producer.context().acked[slot].store(0, Ordering::Relaxed);
        for record in records {
            let seq = record.seq.to_string();
            let headers = OwnedHeaders::new_with_capacity(2)
                .insert(Header {
                    key: SEQUENCE_HEADER,
                    value: Some(seq.as_bytes()),
                })
                .insert(Header {
                    key: CONTENT_TYPE_HEADER,
                    value: Some(CONTENT_TYPE.as_bytes()),
                });
            let mut message = BaseRecord::with_opaque_to(&self.topic, slot)
                .key(record.key.as_bytes())
                .payload(record.value.as_slice())
                .headers(headers);
            // A full local queue empties as the broker acknowledges: serve callbacks and retry.
            loop {
                match self.producer.send(message) {
                    Ok(()) => break,
                    Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                        message = back;
                        if stopped.load(Ordering::SeqCst) {
                            return Err(SendError::Stopped);
                        }
                        self.producer.poll(POLL);
                    }
                    Err((error, _)) => return Err(SendError::Failed(error.to_string())),
                }
            }
        }
        Ok(())
    }

    /// Records of the batch in `slot` the broker acknowledged so far.
    pub(super) fn acked(&self, slot: usize) -> u64 {
        self.producer.context().acked[slot % SLOTS].load(Ordering::Relaxed)
    }

    /// Whether any record of this session failed (the session is then over: see [`Session`]).
    pub(super) fn failed(&self) -> bool {
        self.producer.context().failed.load(Ordering::SeqCst)
    }

    /// Serves delivery callbacks, waiting up to a short while for one.
    pub(super) fn wait_for_acks(&self) {
        self.producer.poll(POLL);
    }

    /// The client's latest complaint (e.g. "all brokers down"), for the status.
    pub(super) fn last_error(&self) -> Option<String> {
        self.producer.context().last_error.lock().clone()
    }
}

/// Creates the topic with the configured partitions when it does not exist. A broker that
/// forbids it (authorization, a managed cluster) is not an error here: the topic may have been
/// made by its operators, and producing says so plainly when it was not.
fn ensure_topic(config: &ClientConfig, settings: &KafkaSettings) -> Result<(), String> {
    let admin: AdminClient<Acks> = config
        .create_with_context(Acks::default())
        .map_err(|error| error.to_string())?;
    let topic = NewTopic::new(
        &settings.topic,
        settings.partitions,
        TopicReplication::Fixed(settings.replication),
    );
    // Short, so a broker that is down delays the exporter's retries (and a shutdown) little.
    let options = AdminOptions::new()
        .request_timeout(Some(ADMIN_TIMEOUT))
        .operation_timeout(Some(ADMIN_TIMEOUT));
    match block_on(admin.create_topics([&topic], &options)) {
        Ok(results) => {
            for result in results {
                match result {
                    Ok(name) => tracing::info!(topic = name, "kafka topic created"),
                    Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
                    Err((name, code)) => {
                        tracing::warn!(topic = name, %code, "could not create the kafka topic")
                    }
                }
            }
            Ok(())
        }
        Err(error) => Err(error.to_string()),
    }
}

/// Runs a future to completion on this thread (the admin client's answers arrive from its own
/// thread, so nothing else needs polling).
fn block_on<F: Future>(future: F) -> F::Output {
    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = TaskContext::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        std::thread::park();
    }
}
