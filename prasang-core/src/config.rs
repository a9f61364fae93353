//! How a store is opened.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::context::Settings;
#[cfg(feature = "kafka")]
use crate::kafka::KafkaSettings;
use crate::notify::{Channel, DeliveryPolicy, NotifyConfig};
use crate::store::Durability;
use crate::time::{Clock, SystemClock};
use crate::users::password::{HashingLimits, PasswordCost};
use crate::zone::Zone;

/// Settings for [`crate::Prasang::open`]. Start from [`Config::new`] or [`Config::temporary`]
/// and adjust with the builder methods.
#[derive(Clone)]
pub struct Config {
    pub(crate) settings: Settings,
    /// Boxed to keep `Config` small (it travels by value in `OpenTarget`).
    pub(crate) notify: Box<NotifyConfig>,
    /// Where the log is exported to, if anywhere.
    #[cfg(feature = "kafka")]
    pub(crate) kafka: Option<Box<KafkaSettings>>,
}

impl Config {
    /// A store kept in the data folder `path` (created if missing): the database in
    /// `path/store`, the token signing key in `path/keys`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Config {
            settings: Settings {
                location: Some(path.into()),
                durability: Durability::GroupCommit,
                hold_duration: Duration::from_secs(15 * 60),
                access_token_ttl: Duration::from_secs(15 * 60),
                refresh_token_ttl: Duration::from_secs(30 * 24 * 3600),
                issuer: "prasang".into(),
                clock: Arc::new(SystemClock),
                background_tasks: true,
                maintenance_interval: Duration::from_secs(1),
                password_cost: PasswordCost::RECOMMENDED,
                password_hashing: HashingLimits::default(),
                cache_bytes: 256 * 1024 * 1024,
                default_time_zone: Zone::utc(),
                public_url: "http://127.0.0.1:8080".into(),
                lottery_seed: None,
            },
            notify: Box::default(),
            #[cfg(feature = "kafka")]
            kafka: None,
        }
    }

    /// A throwaway store in a fresh temporary folder, deleted when the handle is dropped.
    /// Uses cheap password hashing: for tests only.
    pub fn temporary() -> Self {
        let mut config = Config::new("");
        config.settings.location = None;
        config.settings.password_cost = PasswordCost::INSECURE_FAST;
        config.settings.cache_bytes = 16 * 1024 * 1024;
        config
    }

    /// How writes reach the disk (default: group commit, every `Ok` is durable).
    pub fn durability(mut self, durability: Durability) -> Self {
        self.settings.durability = durability;
        self
    }

    /// How long a paid ticket is held awaiting payment (default 15 minutes).
    pub fn hold_duration(mut self, duration: Duration) -> Self {
        self.settings.hold_duration = duration;
        self
    }

    /// Lifetime of access tokens (default 15 minutes).
    pub fn access_token_ttl(mut self, ttl: Duration) -> Self {
        self.settings.access_token_ttl = ttl;
        self
    }

    /// Lifetime of refresh tokens (default 30 days).
    pub fn refresh_token_ttl(mut self, ttl: Duration) -> Self {
        self.settings.refresh_token_ttl = ttl;
        self
    }

    /// The `iss` claim of issued tokens (default `prasang`).
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.settings.issuer = issuer.into();
        self
    }

    /// Where "now" comes from (default: the system clock).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.settings.clock = Arc::new(clock);
        self
    }

    /// Whether a background thread expires holds and records page views every
    /// `maintenance_interval` (default on). Turn off to call
    /// [`crate::Prasang::run_maintenance`] yourself.
    pub fn background_tasks(mut self, enabled: bool) -> Self {
        self.settings.background_tasks = enabled;
        self
    }

    /// How often background maintenance runs (default 1 s).
    pub fn maintenance_interval(mut self, interval: Duration) -> Self {
        self.settings.maintenance_interval = interval;
        self
    }

    /// argon2id cost for new password hashes.
    pub fn password_cost(mut self, cost: PasswordCost) -> Self {
        self.settings.password_cost = cost;
        self
    }

    /// How many password hashes run and wait at once (default: one per core, four per core
    /// waiting); logins and registrations beyond that are refused as busy.
    pub fn password_hashing(mut self, limits: HashingLimits) -> Self {
        self.settings.password_hashing = limits;
        self
    }

    /// sled page cache size in bytes.
    pub fn cache_bytes(mut self, bytes: u64) -> Self {
        self.settings.cache_bytes = bytes;
        self
    }

    /// The address people reach the web UI at, e.g. `https://tickets.example.org`, for links
    /// in notifications such as a waiting-list offer's (default `http://127.0.0.1:8080`).
    pub fn public_url(mut self, url: impl Into<String>) -> Self {
        self.settings.public_url = url.into().trim_end_matches('/').to_owned();
        self
    }

    /// The time zone of events created without one (default UTC).
    pub fn default_time_zone(mut self, zone: Zone) -> Self {
        self.settings.default_time_zone = zone;
        self
    }

    /// Seeds the waiting rooms' lottery with `seed`, so the same arrivals draw the same places
    /// every run. For tests only: a known seed lets anyone predict the draws.
    #[doc(hidden)]
    pub fn lottery_seed(mut self, seed: u64) -> Self {
        self.settings.lottery_seed = Some(seed);
        self
    }

    /// Registers a notification channel (a native one, or a plugin from the plugin host); more
    /// can be added later with [`crate::Prasang::register_channel`].
    pub fn channel(mut self, channel: Arc<dyn Channel>) -> Self {
        self.notify.channels.push(channel);
        self
    }

    /// Retries, backoff, worker threads and default channels of notification delivery.
    pub fn delivery_policy(mut self, policy: DeliveryPolicy) -> Self {
        self.notify.policy = policy;
        self
    }

    /// Publishes every log entry to a Kafka topic from a background thread (docs/kafka.md).
    #[cfg(feature = "kafka")]
    pub fn kafka(mut self, settings: KafkaSettings) -> Self {
        self.kafka = Some(Box::new(settings));
        self
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("location", &self.settings.location)
            .field("durability", &self.settings.durability)
            .field("hold_duration", &self.settings.hold_duration)
            .field("issuer", &self.settings.issuer)
            .field("default_time_zone", &self.settings.default_time_zone)
            .field("public_url", &self.settings.public_url)
            .field("background_tasks", &self.settings.background_tasks)
            .field("delivery_policy", &self.notify.policy)
            .finish_non_exhaustive()
    }
}
