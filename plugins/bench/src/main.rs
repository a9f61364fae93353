//! Plugin deliveries per second through the bundled webhook and email plugins to local sinks,
//! beside native Rust channels doing the same work, in one run.
//!
//! ```text
//! plugins/build.sh                                   # the components, into target/plugins
//! cargo run --release -p prasang-plugin-bench -- [seconds per scenario, default 3] [threads, default 2]
//! ```
//!
//! Every scenario calls `Channel::deliver` in a loop from `threads` threads for the given time
//! and reports deliveries/s and the per-call latency p50/p99. The sinks (HTTP, SMTP) run in the
//! same process and share the cores, as a local relay would.

mod http;
mod smtp;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use prasang_core::events::EventStatus;
use prasang_core::notify::{
    Channel, DeliveryError, EventSummary, Notification, NotificationKind, Receipt, Recipient,
    TicketSummary,
};
use prasang_core::plugin_host::{HostServices, Manifest, PluginHost, SmtpSettings};
use prasang_core::tickets::TicketStatus;
use prasang_core::{EventId, TicketId, Timestamp, UserId};
use sha2::Sha256;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

fn main() {
    let mut args = std::env::args().skip(1);
    let seconds: f64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(3.0);
    let threads: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(2);
    let run_for = Duration::from_secs_f64(seconds);
    let plugins = plugins_dir();
    assert!(
        plugins.join("webhook.wasm").is_file(),
        "no plugins in {}; run plugins/build.sh first",
        plugins.display()
    );

    let http = http::HttpSink::start();
    let smtp = smtp::SmtpSink::start();
    let outbox = tempfile::tempdir().unwrap();
    let outbox_host = PluginHost::new(HostServices::outbox(outbox.path())).unwrap();
    let smtp_host = PluginHost::new(HostServices::smtp(SmtpSettings::new(
        "127.0.0.1",
        smtp.port,
    )))
    .unwrap();

    let hook_url = format!("http://127.0.0.1:{}/hook", http.port);
    let mut webhook = Manifest::from_file(&plugins.join("webhook.toml")).unwrap();
    webhook.allowed_hosts = vec![format!("127.0.0.1:{}", http.port)];
    webhook.config.insert("url".into(), hook_url.clone());
    webhook.config.insert("secret".into(), SECRET.into());
    let webhook = outbox_host.load_manifest(webhook).unwrap();
    let email_manifest = Manifest::from_file(&plugins.join("email.toml")).unwrap();
    let email_outbox = outbox_host.load_manifest(email_manifest.clone()).unwrap();
    let email_smtp = smtp_host.load_manifest(email_manifest).unwrap();
    let noop_plugin = outbox_host
        .load_bytes(noop_manifest(), &noop_component())
        .unwrap();

    println!(
        "{} s per scenario, {threads} delivering threads, {} cores",
        seconds,
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!("| channel | deliveries/s | p50 µs | p99 µs |\n|---|---:|---:|---:|");
    let scenarios: Vec<(&str, Arc<dyn Channel>)> = vec![
        ("native no-op (harness ceiling)", Arc::new(NativeNoop)),
        ("plugin no-op (WAT; fresh instance per call)", noop_plugin),
        (
            "native webhook (serde_json + HMAC + ureq) -> HTTP sink",
            Arc::new(NativeWebhook::new(hook_url)),
        ),
        ("webhook plugin -> HTTP sink", webhook),
        ("email plugin -> .eml outbox", email_outbox),
        ("email plugin -> SMTP sink (lettre)", email_smtp),
    ];
    for (name, channel) in scenarios {
        let (rate, p50, p99) = measure(channel, threads, run_for);
        println!("| {name} | {rate:.0} | {p50:.0} | {p99:.0} |");
    }
    println!(
        "\nsinks received: {} webhooks over HTTP, {} e-mails over SMTP, {} .eml files",
        http.received.load(std::sync::atomic::Ordering::Relaxed),
        smtp.messages().len(),
        std::fs::read_dir(outbox.path()).map_or(0, |d| d.count()),
    );
}

fn measure(channel: Arc<dyn Channel>, threads: usize, run_for: Duration) -> (f64, f64, f64) {
    // Warm up: connections, page cache, lazy inits.
    for i in 0..50 {
        channel.deliver(&notification(i)).unwrap();
    }
    let started = Instant::now();
    let workers: Vec<_> = (0..threads)
        .map(|t| {
            let channel = Arc::clone(&channel);
            std::thread::spawn(move || {
                let mut latencies = Vec::with_capacity(100_000);
                let mut i = (t as u64) << 40;
                while started.elapsed() < run_for {
                    let n = notification(i);
                    let call = Instant::now();
                    channel.deliver(&n).unwrap();
                    latencies.push(call.elapsed());
                    i += 1;
                }
                latencies
            })
        })
        .collect();
    let mut latencies: Vec<Duration> = workers
        .into_iter()
        .flat_map(|w| w.join().unwrap())
        .collect();
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort();
    let quantile = |q: f64| {
        latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)].as_secs_f64()
            * 1e6
    };
    (
        latencies.len() as f64 / elapsed,
        quantile(0.5),
        quantile(0.99),
    )
}

struct NativeNoop;

impl Channel for NativeNoop {
    fn id(&self) -> &str {
        "noop"
    }
    fn deliver(&self, _: &Notification) -> Result<Receipt, DeliveryError> {
        Ok(Receipt {
            remote_id: None,
            detail: String::new(),
        })
    }
}

/// What the webhook plugin does, in plain Rust.
struct NativeWebhook {
    url: String,
    key: Vec<u8>,
    agent: ureq::Agent,
}

impl NativeWebhook {
    fn new(url: String) -> Self {
        NativeWebhook {
            url,
            key: BASE64.decode(SECRET.trim_start_matches("whsec_")).unwrap(),
            agent: ureq::Agent::config_builder()
                .timeout_global(Some(Duration::from_secs(10)))
                .max_redirects(0)
                .build()
                .into(),
        }
    }
}

impl Channel for NativeWebhook {
    fn id(&self) -> &str {
        "native-webhook"
    }
    fn deliver(&self, n: &Notification) -> Result<Receipt, DeliveryError> {
        let body = serde_json::json!({
            "type": "ticket.booked",
            "timestamp": n.occurred_at,
            "data": n,
        })
        .to_string();
        let timestamp = (n.occurred_at.as_millis() / 1000).to_string();
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).unwrap();
        mac.update(format!("{}.{timestamp}.", n.idempotency_key).as_bytes());
        mac.update(body.as_bytes());
        let signature = format!("v1,{}", BASE64.encode(mac.finalize().into_bytes()));
        let response = self
            .agent
            .post(&self.url)
            .header("content-type", "application/json")
            .header("webhook-id", &n.idempotency_key)
            .header("webhook-timestamp", &timestamp)
            .header("webhook-signature", &signature)
            .send(body.as_bytes())
            .map_err(|e| DeliveryError::Temporary(e.to_string()))?;
        Ok(Receipt {
            remote_id: Some(n.idempotency_key.clone()),
            detail: response.status().to_string(),
        })
    }
}

fn plugins_dir() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    match std::env::var_os("PRASANG_PLUGINS_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => root.join("target/plugins"),
    }
}

fn noop_manifest() -> Manifest {
    Manifest::parse(
        "id = \"noop\"\nversion = \"0.0.1\"\napi = \"0.1.0\"\n",
        "noop.wasm".into(),
    )
    .unwrap()
}

/// The `ok` WAT fixture of the plugin tests as a component.
fn noop_component() -> Vec<u8> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut module =
        wat::parse_file(root.join("prasang-core/tests/fixtures/plugins/ok.wat")).unwrap();
    let mut resolve = wit_parser::Resolve::default();
    let (package, _) = resolve.push_dir(root.join("plugins/wit/0.1.0")).unwrap();
    let world = resolve.select_world(&[package], Some("channel")).unwrap();
    wit_component::embed_component_metadata(
        &mut module,
        &resolve,
        world,
        wit_component::StringEncoding::UTF8,
        false,
    )
    .unwrap();
    wit_component::ComponentEncoder::default()
        .module(&module)
        .unwrap()
        .validate(true)
        .encode()
        .unwrap()
}

fn notification(i: u64) -> Notification {
    let user: UserId = "01JBQ8ZK3N2V4W6X8Y0A2C4E6G".parse().unwrap();
    Notification {
        idempotency_key: format!("{i}.{user}.bench"),
        kind: NotificationKind::TicketBooked,
        log_seq: i,
        occurred_at: Timestamp::from_millis(1_796_000_000_000),
        recipient: Recipient {
            user_id: user,
            name: "Ada Lovelace".into(),
            email: "ada@example.org".into(),
        },
        event: EventSummary {
            id: "01JBQ8ZK3N2V4W6X8Y0A2C4E6H".parse::<EventId>().unwrap(),
            title: "Rust & Wasm Night".into(),
            description: "Talks about plugins, then music.".into(),
            location: "Hall 1, Pune".into(),
            starts_at: Timestamp::from_millis(1_796_149_800_000),
            ends_at: Timestamp::from_millis(1_796_158_800_000),
            status: EventStatus::Published,
            price_minor: 50_000,
            currency: "INR".into(),
        },
        ticket: Some(TicketSummary {
            id: "01JBQ8ZK3N2V4W6X8Y0A2C4E6J".parse::<TicketId>().unwrap(),
            quantity: 2,
            status: TicketStatus::Booked,
            amount_minor: 100_000,
            expires_at: None,
        }),
        changed: Vec::new(),
        message: None,
    }
}
