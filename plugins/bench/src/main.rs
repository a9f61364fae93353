//! Plugin benchmarks, each printing its ceilings beside its results (Markdown for BENCHMARKS.md).
//!
//! ```text
//! plugins/build.sh      # the components, into target/plugins
//! cargo run --release -p prasang-plugin-bench -- throughput [--seconds 3] [--threads 2,8]
//! cargo run --release -p prasang-plugin-bench -- flash-sale [--seats 6000] [--users 3000]
//!     [--booking-threads 16] [--workers 2,8] [--durability durable|periodic]
//! ```
//!
//! - `throughput` calls `Channel::deliver` in a loop from each number of threads for the given
//!   time: native and plugin channels to in-process HTTP and SMTP sinks, and raw clients that
//!   measure what the sinks and loopback allow at most.
//! - `flash-sale` opens a Prasang store with the real e-mail plugin as its `email` channel,
//!   sending through an in-process SMTP sink, sells out one event from many threads, and
//!   measures each booking's time from `book` returning to its e-mail arriving at the sink,
//!   delivered by the store's own background workers.
//!
//! `PRASANG_BENCH_ONLY=<text>` runs only the throughput rows whose name contains `<text>`.

mod flash_sale;
mod throughput;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use prasang_core::plugin_host::Manifest;

fn main() {
    let mut args = std::env::args().skip(1).peekable();
    let mode = match args.peek() {
        Some(first) if !first.starts_with("--") => args.next().unwrap_or_default(),
        _ => "throughput".to_owned(),
    };
    let options = match Options::parse(args) {
        Ok(options) => options,
        Err(why) => fail(&why),
    };
    let plugins = plugins_dir();
    if !plugins.join("email.wasm").is_file() {
        fail(&format!(
            "no plugins in {}; run plugins/build.sh first",
            plugins.display()
        ));
    }
    let result = match mode.as_str() {
        "throughput" => throughput::run(&options, &plugins),
        "flash-sale" => flash_sale::run(&options, &plugins),
        other => Err(format!("unknown mode `{other}`: throughput or flash-sale")),
    };
    if let Err(why) = result {
        fail(&why);
    }
}

fn fail(why: &str) -> ! {
    eprintln!("prasang-plugin-bench: {why}");
    std::process::exit(2)
}

/// `--name value` pairs.
pub struct Options(HashMap<String, String>);

impl Options {
    fn parse(args: impl Iterator<Item = String>) -> Result<Options, String> {
        let mut options = HashMap::new();
        let mut args = args;
        while let Some(name) = args.next() {
            let name = name
                .strip_prefix("--")
                .ok_or_else(|| format!("expected --option, got `{name}`"))?
                .to_owned();
            let value = args
                .next()
                .ok_or_else(|| format!("--{name} needs a value"))?;
            options.insert(name, value);
        }
        Ok(Options(options))
    }

    /// The option's value, or `default`.
    pub fn get<T: std::str::FromStr>(&self, name: &str, default: T) -> Result<T, String> {
        match self.0.get(name) {
            None => Ok(default),
            Some(text) => text
                .parse()
                .map_err(|_| format!("--{name}: cannot use `{text}`")),
        }
    }

    /// A comma-separated list of numbers, or `default`.
    pub fn list(&self, name: &str, default: &[usize]) -> Result<Vec<usize>, String> {
        match self.0.get(name) {
            None => Ok(default.to_vec()),
            Some(text) => text
                .split(',')
                .map(|n| {
                    n.trim()
                        .parse()
                        .map_err(|_| format!("--{name}: `{n}` is not a number"))
                })
                .collect(),
        }
    }
}

fn plugins_dir() -> PathBuf {
    match std::env::var_os("PRASANG_PLUGINS_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/plugins"),
    }
}

/// A bundled plugin's manifest from `plugins`.
pub fn manifest(plugins: &Path, id: &str) -> Result<Manifest, String> {
    let path = plugins.join(format!("{id}.toml"));
    Manifest::from_file(&path).map_err(|e| format!("{}: {e}", path.display()))
}

/// CPU time (user + system) this process used so far, all threads.
#[allow(unsafe_code)] // getrusage: std has no CPU-time clock
pub fn cpu_time() -> Duration {
    // SAFETY: getrusage only writes the struct it is given.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage
    };
    let time = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec.unsigned_abs()) + Duration::from_micros(t.tv_usec as u64)
    };
    time(usage.ru_utime) + time(usage.ru_stime)
}

/// The 1-minute load average, for the record.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|text| text.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".into())
}

/// Quantiles of a set of durations.
pub struct Quantiles(Vec<Duration>);

impl Quantiles {
    /// The quantiles of `samples`, in any order.
    pub fn new(mut samples: Vec<Duration>) -> Quantiles {
        samples.sort_unstable();
        Quantiles(samples)
    }

    /// The `q` quantile (0 ≤ q ≤ 1); zero when there are no samples.
    pub fn at(&self, q: f64) -> Duration {
        let last = self.0.len().saturating_sub(1);
        let index = ((self.0.len() as f64 * q) as usize).min(last);
        self.0.get(index).copied().unwrap_or_default()
    }

    /// The largest sample; zero when there are none.
    pub fn max(&self) -> Duration {
        self.0.last().copied().unwrap_or_default()
    }
}
