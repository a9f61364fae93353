//! The Wasm plugin host: notification channels as sandboxed WebAssembly components.
//!
//! Each plugin is a component built against the `prasang:channel` WIT package (see
//! `plugins/wit/` and `docs/plugins.md`) with a TOML [`Manifest`] beside it. The host
//!
//! - shares one wasmtime [`Engine`] between all plugins and compiles each plugin once, keeping a
//!   pre-instantiated form (`InstancePre`) of it;
//! - runs every delivery in a fresh `Store` with a deadline (epoch interruption) and a memory cap
//!   ([`Limits`]); a trap, timeout or malformed answer fails that one delivery with
//!   [`DeliveryError::Temporary`], is logged with the plugin's id, and leaves the host serving;
//! - links no WASI at all: a plugin reaches the outside only through the host functions of
//!   [`HostServices`] (e-mail, HTTP POST to its allow-listed hosts, log, its own config).
//!
//! An app gets the bundled server's channels with one call, [`ChannelSettings::load`]: the
//! plugins of a folder, their e-mail into an outbox folder or over SMTP ([`Mail`]), and `email`
//! as the default channel of users who never chose one, when it is installed.
//!
//! ```no_run
//! use prasang_core::plugin_host::ChannelSettings;
//! use prasang_core::{Config, Prasang};
//!
//! let settings = ChannelSettings::outbox("/etc/prasang/plugins", "/var/lib/prasang/outbox");
//! let (config, report) = settings.load(Config::new("/var/lib/prasang"))?;
//! println!("channels {:?}, default {:?}", report.loaded, report.default_channels);
//! let prasang = Prasang::open(config)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The pieces it is made of, for finer control:
//!
//! ```no_run
//! use prasang_core::plugin_host::{HostServices, PluginHost};
//! use prasang_core::notify::Channel;
//!
//! let host = PluginHost::new(HostServices::outbox("/var/lib/prasang/outbox"))?;
//! let loaded = host.load_dir("/etc/prasang/plugins")?;
//! for skipped in &loaded.skipped {
//!     eprintln!("plugin {} skipped: {}", skipped.path.display(), skipped.error);
//! }
//! for channel in loaded.channels() {
//!     println!("channel {} ready", channel.id());
//! }
//! # Ok::<(), prasang_core::plugin_host::PluginHostError>(())
//! ```

mod cache;
mod channels;
mod manifest;
mod resolver;
mod services;
mod shared_bindings;
mod smtp;
mod v0_1;
mod v0_2;
mod v0_3;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use wasmtime::component::{Component, Linker};
use wasmtime::{Engine, Store, StoreLimits, StoreLimitsBuilder, Trap, UpdateDeadline};

use crate::notify::{Channel, DeliveryError, Notification, Receipt};

pub use cache::CacheStats;
use cache::CompileCache;
pub use channels::{CACHE_FOLDER, ChannelReport, ChannelSettings, DEFAULT_CHANNEL, Mail};
pub use manifest::Manifest;
pub use services::{HostServices, MAX_QR_TEXT, MAX_RESPONSE_BODY};
use services::{HttpAnswer, HttpPost, OutgoingEmail, ServiceError};
pub use smtp::{SmtpSettings, SmtpTls};

/// `prasang:channel` versions this host can load, newest first.
pub const SUPPORTED_API_VERSIONS: &[&str] = &[v0_3::VERSION, v0_2::VERSION, v0_1::VERSION];

/// Bytes of each memory and table slot reset in place instead of returned to the kernel.
const KEEP_RESIDENT: usize = 1 << 20;

/// How often the engine's epoch advances; deadlines are accurate to about this much.
const EPOCH_TICK: Duration = Duration::from_millis(5);

/// Per-delivery limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Time the plugin's own code may run per delivery. Time spent waiting in host functions
    /// (SMTP, HTTP) does not count; those have their own timeouts.
    pub cpu_time: Duration,
    /// Wall-clock time a delivery may take in all, host functions included.
    pub wall_time: Duration,
    /// Linear memory the plugin may use, in bytes.
    pub memory_bytes: usize,
}

impl Default for Limits {
    /// 1 s of plugin code, 30 s in all, 64 MiB of memory.
    fn default() -> Self {
        Limits {
            cpu_time: Duration::from_secs(1),
            wall_time: Duration::from_secs(30),
            memory_bytes: 64 << 20,
        }
    }
}

/// Why the host could not start.
#[derive(Debug, thiserror::Error)]
pub enum PluginHostError {
    /// The Wasm engine could not be created.
    #[error("creating the Wasm engine: {0}")]
    Engine(String),
    /// A setting is invalid.
    #[error("invalid plugin host setting: {0}")]
    Config(String),
    /// The plugins folder could not be read.
    #[error("reading plugin folder {path}: {error}")]
    Folder {
        /// The folder.
        path: PathBuf,
        /// Why.
        error: std::io::Error,
    },
}

/// Why one plugin was not loaded.
#[derive(Debug, thiserror::Error)]
pub enum PluginLoadError {
    /// A file could not be read.
    #[error("reading {path}: {error}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        error: std::io::Error,
    },
    /// The manifest is malformed.
    #[error("invalid manifest: {0}")]
    Manifest(String),
    /// The plugin was built for an interface version this host does not implement.
    #[error("plugin `{id}` wants prasang:channel@{api}; this host supports {supported}")]
    UnsupportedApi {
        /// The plugin.
        id: String,
        /// The version it asks for.
        api: String,
        /// What this host offers.
        supported: String,
    },
    /// The file is not a valid component, or does not fit the interface it claims.
    #[error("plugin `{id}`: {reason}")]
    Invalid {
        /// The plugin.
        id: String,
        /// Why.
        reason: String,
    },
    /// Another plugin already has this id.
    #[error("plugin id `{0}` is used twice")]
    DuplicateId(String),
}

/// The outcome of [`PluginHost::load_dir`].
#[derive(Default)]
pub struct LoadedPlugins {
    /// Plugins ready to deliver, sorted by id.
    pub plugins: Vec<Arc<PluginChannel>>,
    /// Manifests that were reported and skipped.
    pub skipped: Vec<SkippedPlugin>,
}

impl LoadedPlugins {
    /// The loaded plugins as channels for the dispatcher.
    pub fn channels(&self) -> Vec<Arc<dyn Channel>> {
        self.plugins
            .iter()
            .map(|plugin| Arc::clone(plugin) as Arc<dyn Channel>)
            .collect()
    }
}

/// A plugin that was not loaded, and why.
#[derive(Debug)]
pub struct SkippedPlugin {
    /// Its manifest.
    pub path: PathBuf,
    /// Why it was skipped.
    pub error: PluginLoadError,
}

/// Loads and runs channel plugins. Create one per process; cheap to clone.
#[derive(Clone)]
pub struct PluginHost {
    shared: Arc<Shared>,
    cache: Option<Arc<CompileCache>>,
}

struct Shared {
    engine: Engine,
    services: Arc<HostServices>,
    limits: Limits,
    linker_v0_1: Linker<HostState>,
    linker_v0_2: Linker<HostState>,
    linker_v0_3: Linker<HostState>,
    ticker_stop: Arc<AtomicBool>,
}

impl Drop for Shared {
    fn drop(&mut self) {
        self.ticker_stop.store(true, Ordering::Relaxed);
    }
}

impl PluginHost {
    /// A host with the default [`Limits`].
    pub fn new(services: HostServices) -> Result<PluginHost, PluginHostError> {
        Self::with_limits(services, Limits::default())
    }

    /// A host whose deliveries run under `limits`.
    pub fn with_limits(
        services: HostServices,
        limits: Limits,
    ) -> Result<PluginHost, PluginHostError> {
        if limits.cpu_time.is_zero() || limits.wall_time.is_zero() || limits.memory_bytes == 0 {
            return Err(PluginHostError::Config(
                "limits must be greater than zero".into(),
            ));
        }
        let engine = new_engine(&limits)?;
        let linker_error = |e: wasmtime::Error| PluginHostError::Engine(format!("{e:#}"));
        let linker_v0_1 = v0_1::linker(&engine).map_err(linker_error)?;
        let linker_v0_2 = v0_2::linker(&engine).map_err(linker_error)?;
        let linker_v0_3 = v0_3::linker(&engine).map_err(linker_error)?;
        let ticker_stop = Arc::new(AtomicBool::new(false));
        start_epoch_ticker(engine.clone(), Arc::clone(&ticker_stop))
            .map_err(|e| PluginHostError::Engine(format!("starting the epoch ticker: {e}")))?;
        Ok(PluginHost {
            shared: Arc::new(Shared {
                engine,
                services: Arc::new(services),
                limits,
                linker_v0_1,
                linker_v0_2,
                linker_v0_3,
                ticker_stop,
            }),
            cache: None,
        })
    }

    /// Keeps compiled plugins in `folder` (created owner-only when first written), so the next
    /// start reads them instead of compiling again. A cache file is used only for the same
    /// component bytes and the same engine; anything else there is ignored and rewritten.
    pub fn with_cache(mut self, folder: impl Into<PathBuf>) -> Self {
        self.cache = Some(Arc::new(CompileCache::new(
            folder.into(),
            &self.shared.engine,
        )));
        self
    }

    /// What the compiled-plugin cache did so far (all zero without [`PluginHost::with_cache`]).
    pub fn cache_stats(&self) -> CacheStats {
        self.cache
            .as_ref()
            .map_or_else(CacheStats::default, |cache| cache.stats())
    }

    /// Loads every plugin in `folder` (each `*.toml` manifest with its component beside it).
    /// A plugin that fails to load is logged and listed in [`LoadedPlugins::skipped`]; only an
    /// unreadable folder is an error.
    pub fn load_dir(&self, folder: impl AsRef<Path>) -> Result<LoadedPlugins, PluginHostError> {
        let folder = folder.as_ref();
        let entries = std::fs::read_dir(folder).map_err(|error| PluginHostError::Folder {
            path: folder.to_path_buf(),
            error,
        })?;
        let mut manifests: Vec<PathBuf> = entries
            .filter_map(|entry| entry.ok().map(|entry| entry.path()))
            .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
            .collect();
        manifests.sort();
        let mut loaded = LoadedPlugins::default();
        for path in manifests {
            let result = self.load(&path).and_then(|plugin| {
                if loaded.plugins.iter().any(|p| p.id() == plugin.id()) {
                    Err(PluginLoadError::DuplicateId(plugin.id().to_owned()))
                } else {
                    Ok(plugin)
                }
            });
            match result {
                Ok(plugin) => loaded.plugins.push(plugin),
                Err(error) => {
                    tracing::error!(manifest = %path.display(), %error, "plugin skipped");
                    loaded.skipped.push(SkippedPlugin { path, error });
                }
            }
        }
        loaded.plugins.sort_by(|a, b| a.id().cmp(b.id()));
        Ok(loaded)
    }

    /// Loads the plugin described by the manifest file at `path`.
    pub fn load(&self, path: impl AsRef<Path>) -> Result<Arc<PluginChannel>, PluginLoadError> {
        self.load_manifest(Manifest::from_file(path.as_ref())?)
    }

    /// Loads a plugin from an already parsed (and perhaps adjusted) manifest, e.g. to supply
    /// secrets from the embedder's own configuration.
    pub fn load_manifest(&self, manifest: Manifest) -> Result<Arc<PluginChannel>, PluginLoadError> {
        let bytes = std::fs::read(&manifest.component).map_err(|error| PluginLoadError::Io {
            path: manifest.component.clone(),
            error,
        })?;
        self.load_bytes(manifest, &bytes)
    }

    /// Loads a plugin from component bytes.
    pub fn load_bytes(
        &self,
        manifest: Manifest,
        component: &[u8],
    ) -> Result<Arc<PluginChannel>, PluginLoadError> {
        let invalid = |reason: String| PluginLoadError::Invalid {
            id: manifest.id.clone(),
            reason,
        };
        let version =
            supported_version(&manifest.api).ok_or_else(|| PluginLoadError::UnsupportedApi {
                id: manifest.id.clone(),
                api: manifest.api.clone(),
                supported: SUPPORTED_API_VERSIONS.join(", "),
            })?;
        let engine = &self.shared.engine;
        let component = match &self.cache {
            Some(cache) => cache.component(engine, component),
            None => Component::new(engine, component),
        }
        .map_err(|e| invalid(format!("not a valid component: {e:#}")))?;
        check_imports(&self.shared.engine, &component, version).map_err(invalid)?;
        let shared = &self.shared;
        let bindings = match version {
            v0_1::VERSION => {
                v0_1::instantiate_pre(&shared.linker_v0_1, &component).map(Bindings::V0_1)
            }
            v0_2::VERSION => {
                v0_2::instantiate_pre(&shared.linker_v0_2, &component).map(Bindings::V0_2)
            }
            v0_3::VERSION => {
                v0_3::instantiate_pre(&shared.linker_v0_3, &component).map(Bindings::V0_3)
            }
            other => unreachable!("version {other} is listed but has no bindings"),
        }
        .map_err(|e| invalid(format!("{e:#}")))?;
        tracing::info!(plugin = %manifest.id, version = %manifest.version, api = version, "plugin loaded");
        Ok(Arc::new(PluginChannel {
            plugin: Arc::new(PluginInfo { manifest }),
            bindings,
            shared: Arc::clone(&self.shared),
        }))
    }

    /// The limits every delivery runs under.
    pub fn limits(&self) -> Limits {
        self.shared.limits
    }
}

fn new_engine(limits: &Limits) -> Result<Engine, PluginHostError> {
    let mut config = wasmtime::Config::new();
    config.epoch_interruption(true);
    config.wasm_component_model(true);
    let mut pooling = wasmtime::PoolingAllocationConfig::default();
    pooling
        .total_component_instances(256)
        .total_core_instances(256)
        .total_memories(256)
        .total_tables(256)
        .max_memory_size(limits.memory_bytes);
    // A fresh instance per delivery frees its slot after every call. By default that is an
    // `madvise` of the slot, whose TLB shootdown (an IPI to every core) cost more than running
    // the plugin. Instead, reset the first MiB of a memory in place, and where the kernel has
    // PAGEMAP_SCAN (Linux 6.7+) reset only the pages the call dirtied. Slots go back to the same
    // plugin most recently used first, so this keeps about 1 MiB resident per concurrent call.
    pooling
        .linear_memory_keep_resident(KEEP_RESIDENT)
        .table_keep_resident(KEEP_RESIDENT)
        .pagemap_scan(wasmtime::Enabled::Auto);
    let mut pooled = config.clone();
    pooled.allocation_strategy(wasmtime::InstanceAllocationStrategy::Pooling(pooling));
    match Engine::new(&pooled) {
        Ok(engine) => Ok(engine),
        // The pool reserves address space up front; some sandboxes refuse that.
        Err(error) => {
            tracing::warn!(%error, "pooling allocator unavailable; allocating instances on demand");
            Engine::new(&config).map_err(|e| PluginHostError::Engine(format!("{e:#}")))
        }
    }
}

fn start_epoch_ticker(engine: Engine, stop: Arc<AtomicBool>) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name("prasang-plugin-epoch".into())
        .spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                std::thread::sleep(EPOCH_TICK);
                engine.increment_epoch();
            }
        })
        .map(drop)
}

/// The bindings version for a manifest's `api`: same major and minor (0.x: same minor), any
/// patch not newer than ours.
fn supported_version(api: &str) -> Option<&'static str> {
    let parse = |text: &str| -> Option<(u64, u64, u64)> {
        let mut parts = text.trim().split('.');
        let version = (
            parts.next()?.parse().ok()?,
            parts.next()?.parse().ok()?,
            parts.next().unwrap_or("0").parse().ok()?,
        );
        parts.next().is_none().then_some(version)
    };
    let wanted = parse(api)?;
    SUPPORTED_API_VERSIONS.iter().copied().find(|supported| {
        parse(supported)
            .is_some_and(|ours| ours.0 == wanted.0 && ours.1 == wanted.1 && wanted.2 <= ours.2)
    })
}

/// Every import must be one of ours, in the version the manifest names: a component that was
/// built for WASI or another interface version is refused with a clear message.
fn check_imports(engine: &Engine, component: &Component, version: &str) -> Result<(), String> {
    let allowed = [
        format!("prasang:channel/host@{version}"),
        format!("prasang:channel/types@{version}"),
    ];
    for (name, _) in component.component_type().imports(engine) {
        if !allowed.iter().any(|ours| ours == name) {
            return Err(format!(
                "imports `{name}`, which this host does not provide (plugins get only \
                 prasang:channel/host@{version}; no WASI)"
            ));
        }
    }
    Ok(())
}

enum Bindings {
    V0_1(v0_1::ChannelPre<HostState>),
    V0_2(v0_2::ChannelPre<HostState>),
    V0_3(v0_3::ChannelPre<HostState>),
}

struct PluginInfo {
    manifest: Manifest,
}

/// The per-delivery store data: what host functions see.
pub(crate) struct HostState {
    plugin: Arc<PluginInfo>,
    services: Arc<HostServices>,
    limits: StoreLimits,
    idempotency_key: String,
    emails_sent: u32,
    started: Instant,
    waiting_on_host: Duration,
}

impl HostState {
    fn send_email(&mut self, email: OutgoingEmail) -> Result<String, ServiceError> {
        let message_id = self
            .services
            .message_id(&self.idempotency_key, self.emails_sent);
        self.emails_sent += 1;
        let services = Arc::clone(&self.services);
        self.timed(|| services.send_email(email, &message_id))?;
        Ok(message_id)
    }

    fn http_post(&mut self, request: HttpPost) -> Result<HttpAnswer, ServiceError> {
        let services = Arc::clone(&self.services);
        let plugin = Arc::clone(&self.plugin);
        let result = self.timed(|| services.http_post(&plugin.manifest.allowed_hosts, request));
        if let Err(ServiceError::Denied(why)) = &result {
            tracing::warn!(plugin = %plugin.manifest.id, "http-post refused: {why}");
        }
        result
    }

    /// A QR code of `text` as a PNG. Drawing is the plugin's work done by the host, so unlike
    /// waiting on SMTP or HTTP its time is not credited back: it counts as the plugin's CPU time.
    fn qr_code_png(&mut self, text: &str) -> Result<Vec<u8>, ServiceError> {
        services::qr_code_png(text)
    }

    fn log(&self, level: tracing::Level, message: &str) {
        let plugin = self.plugin.manifest.id.as_str();
        let key = self.idempotency_key.as_str();
        match level {
            tracing::Level::TRACE => {
                tracing::trace!(target: "prasang::plugin", plugin, key, "{message}")
            }
            tracing::Level::DEBUG => {
                tracing::debug!(target: "prasang::plugin", plugin, key, "{message}")
            }
            tracing::Level::INFO => {
                tracing::info!(target: "prasang::plugin", plugin, key, "{message}")
            }
            tracing::Level::WARN => {
                tracing::warn!(target: "prasang::plugin", plugin, key, "{message}")
            }
            tracing::Level::ERROR => {
                tracing::error!(target: "prasang::plugin", plugin, key, "{message}")
            }
        }
    }

    /// Runs a host service, crediting its time back to the plugin's CPU budget.
    fn timed<R>(&mut self, work: impl FnOnce() -> R) -> R {
        let start = Instant::now();
        let result = work();
        self.waiting_on_host += start.elapsed();
        result
    }
}

/// A loaded plugin, usable as a notification [`Channel`].
pub struct PluginChannel {
    plugin: Arc<PluginInfo>,
    bindings: Bindings,
    shared: Arc<Shared>,
}

impl PluginChannel {
    /// The plugin's manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.plugin.manifest
    }

    fn new_store(&self, idempotency_key: &str) -> Store<HostState> {
        let limits = self.shared.limits;
        let state = HostState {
            plugin: Arc::clone(&self.plugin),
            services: Arc::clone(&self.shared.services),
            limits: StoreLimitsBuilder::new()
                .memory_size(limits.memory_bytes)
                .instances(16)
                .tables(16)
                .memories(4)
                .trap_on_grow_failure(true)
                .build(),
            idempotency_key: idempotency_key.to_owned(),
            emails_sent: 0,
            started: Instant::now(),
            waiting_on_host: Duration::ZERO,
        };
        let mut store = Store::new(&self.shared.engine, state);
        store.limiter(|state| &mut state.limits);
        store.set_epoch_deadline(ticks(limits.cpu_time));
        store.epoch_deadline_callback(move |store| {
            let state = store.data();
            let elapsed = state.started.elapsed();
            let guest_time = elapsed.saturating_sub(state.waiting_on_host);
            if guest_time >= limits.cpu_time || elapsed >= limits.wall_time {
                return Ok(UpdateDeadline::Interrupt);
            }
            // Host calls ran meanwhile: extend by what is left of the plugin's own budget.
            let left = (limits.cpu_time - guest_time).min(limits.wall_time - elapsed);
            Ok(UpdateDeadline::Continue(ticks(left)))
        });
        store
    }

    fn failure(&self, error: &wasmtime::Error, store: &Store<HostState>) -> DeliveryError {
        let state = store.data();
        let reason = match error.downcast_ref::<Trap>() {
            Some(Trap::Interrupt) => format!(
                "ran past its deadline ({} ms of plugin time, {} ms in all)",
                state.shared_cpu_ms(),
                state.started.elapsed().as_millis()
            ),
            _ => format!("{error:#}"),
        };
        tracing::warn!(plugin = %self.plugin.manifest.id, key = %state.idempotency_key, "delivery failed in the plugin: {reason}");
        DeliveryError::Temporary(format!(
            "plugin `{}` failed: {reason}",
            self.plugin.manifest.id
        ))
    }
}

impl HostState {
    fn shared_cpu_ms(&self) -> u128 {
        self.started
            .elapsed()
            .saturating_sub(self.waiting_on_host)
            .as_millis()
    }
}

fn ticks(duration: Duration) -> u64 {
    (duration.as_nanos() / EPOCH_TICK.as_nanos()).max(1) as u64
}

fn unix_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// The receipt for a notification whose kind the plugin's interface version does not have: it
/// is not sent, and the delivery log says why.
fn skipped(notification: &Notification, version: &str) -> Receipt {
    Receipt {
        remote_id: None,
        detail: format!(
            "skipped: plugins built for prasang:channel@{version} do not receive {:?} notifications",
            notification.kind
        ),
    }
}

impl Channel for PluginChannel {
    fn id(&self) -> &str {
        &self.plugin.manifest.id
    }

    fn deliver(&self, notification: &Notification) -> Result<Receipt, DeliveryError> {
        let mut store = self.new_store(&notification.idempotency_key);
        // Each version's `notification` is `None` for a kind its interface does not have.
        let at = unix_millis();
        let result = match &self.bindings {
            Bindings::V0_1(pre) => v0_1::notification(notification, at)
                .map(|input| v0_1::deliver(pre, &mut store, &input))
                .ok_or(v0_1::VERSION),
            Bindings::V0_2(pre) => v0_2::notification(notification, at)
                .map(|input| v0_2::deliver(pre, &mut store, &input))
                .ok_or(v0_2::VERSION),
            Bindings::V0_3(pre) => v0_3::notification(notification, at)
                .map(|input| v0_3::deliver(pre, &mut store, &input))
                .ok_or(v0_3::VERSION),
        };
        let result = match result {
            Ok(result) => result,
            Err(version) => return Ok(skipped(notification, version)),
        };
        match result {
            Ok(Ok(receipt)) => Ok(receipt),
            Ok(Err(error)) => {
                tracing::debug!(plugin = %self.plugin.manifest.id, key = %notification.idempotency_key, %error, "plugin reported a failure");
                Err(error)
            }
            Err(error) => Err(self.failure(&error, &store)),
        }
    }
}
