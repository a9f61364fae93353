//! Deliveries per second through the bundled webhook and e-mail plugins to local sinks, beside
//! native Rust channels doing the same work and raw clients that show the sinks' own ceilings.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::PoolConfig;
use lettre::{Message, SmtpTransport, Transport};
use prasang_core::notify::{Channel, DeliveryError, Notification, Receipt};
use prasang_core::plugin_host::{HostServices, Manifest, PluginHost, SmtpSettings};
use prasang_test_sinks::http::{self, HttpSink};
use prasang_test_sinks::smtp::SmtpSink;
use sha2::Sha256;

use crate::{Options, Quantiles, cpu_time, load_average, manifest};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

type Scenario = (&'static str, Arc<dyn Channel>);

pub fn run(options: &Options, plugins: &Path) -> Result<(), String> {
    let seconds: f64 = options.get("seconds", 3.0)?;
    let thread_counts = options.list("threads", &[2, 8])?;
    let run_for = Duration::from_secs_f64(seconds);

    let http = HttpSink::start_counting();
    let smtp = SmtpSink::start_lean();
    let outbox = tempfile::tempdir().map_err(|e| format!("temporary folder: {e}"))?;
    let outbox_host = PluginHost::new(HostServices::outbox(outbox.path())).map_err(text)?;
    let smtp_settings = SmtpSettings::new("127.0.0.1", smtp.port);
    let smtp_host =
        PluginHost::new(HostServices::smtp(smtp_settings.clone()).map_err(text)?).map_err(text)?;

    let hook_url = format!("http://127.0.0.1:{}/hook", http.port);
    // The same sink addressed by name: every request then goes through the host's resolver.
    let webhook_to = |host: &str| -> Result<Arc<dyn Channel>, String> {
        let mut webhook = manifest(plugins, "webhook")?;
        webhook.allowed_hosts = vec![format!("{host}:{}", http.port)];
        let url = format!("http://{host}:{}/hook", http.port);
        webhook.config.insert("url".into(), url);
        webhook.config.insert("secret".into(), SECRET.into());
        Ok(outbox_host.load_manifest(webhook).map_err(text)?)
    };
    let webhook = webhook_to("127.0.0.1")?;
    let webhook_by_name = webhook_to("localhost")?;
    let email = manifest(plugins, "email")?;
    let email_outbox = outbox_host.load_manifest(email.clone()).map_err(text)?;
    let email_smtp = smtp_host.load_manifest(email).map_err(text)?;
    let noop_plugin = outbox_host
        .load_bytes(
            noop_manifest()?,
            &prasang_test_sinks::plugins::wat_component("ok")?,
        )
        .map_err(text)?;

    // The raw clients send what the plugins send: one webhook body, one e-mail as the plugin
    // renders it (taken from the outbox).
    email_outbox
        .deliver(&notification(u64::MAX))
        .map_err(text)?;
    let eml = first_file(outbox.path())?;
    let webhook_body = webhook_json(&notification(0));

    println!(
        "{seconds} s per row; {} cores; load average {} at the start",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        load_average()
    );
    let scenarios: Vec<Scenario> = vec![
        ("native no-op (harness ceiling)", Arc::new(NativeNoop)),
        ("plugin no-op (WAT; fresh instance per call)", noop_plugin),
        (
            "raw HTTP/1.1 keep-alive client -> HTTP sink (sink ceiling)",
            Arc::new(RawHttp::new(http.port, &webhook_body)),
        ),
        (
            "native webhook (serde_json + HMAC + ureq) -> HTTP sink",
            Arc::new(NativeWebhook::new(hook_url)),
        ),
        ("webhook plugin -> HTTP sink", webhook),
        ("webhook plugin, host by name -> HTTP sink", webhook_by_name),
        (
            "raw SMTP client (pipelined), pre-rendered e-mail -> SMTP sink (sink ceiling)",
            Arc::new(RawSmtp::new(smtp.port, eml)),
        ),
        (
            "native e-mail (lettre builder + SmtpTransport) -> SMTP sink",
            Arc::new(NativeEmail::new(&smtp_settings)),
        ),
        ("email plugin -> SMTP sink", email_smtp),
        ("email plugin -> .eml outbox", email_outbox),
    ];
    let only = std::env::var("PRASANG_BENCH_ONLY").unwrap_or_default();
    for threads in thread_counts {
        println!(
            "\n| channel ({threads} threads) | deliveries/s | p50 µs | p99 µs | CPU µs/delivery |"
        );
        println!("|---|---:|---:|---:|---:|");
        for (name, channel) in scenarios.iter().filter(|(name, _)| name.contains(&only)) {
            let cpu_before = cpu_time();
            let (delivered, elapsed, latencies) = measure(channel, threads, run_for)?;
            let cpu = (cpu_time() - cpu_before).as_secs_f64() * 1e6 / delivered as f64;
            println!(
                "| {name} | {:.0} | {:.0} | {:.0} | {cpu:.0} |",
                delivered as f64 / elapsed.as_secs_f64(),
                micros(latencies.at(0.5)),
                micros(latencies.at(0.99)),
            );
        }
    }
    println!(
        "\nload average {} at the end; sinks received {} webhooks, {} e-mails",
        load_average(),
        http.count(),
        smtp.count(),
    );
    Ok(())
}

fn text(error: impl std::fmt::Display) -> String {
    error.to_string()
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// Calls `channel` from `threads` threads for `run_for`: (deliveries, time taken, latencies).
fn measure(
    channel: &Arc<dyn Channel>,
    threads: usize,
    run_for: Duration,
) -> Result<(usize, Duration, Quantiles), String> {
    // Warm up: connections, page cache, lazy inits.
    for i in 0..50 {
        channel.deliver(&notification(i)).map_err(text)?;
    }
    let started = Instant::now();
    let workers: Vec<_> = (0..threads)
        .map(|t| {
            let channel = Arc::clone(channel);
            std::thread::spawn(move || {
                let mut latencies = Vec::with_capacity(100_000);
                let mut i = (t as u64 + 1) << 40;
                while started.elapsed() < run_for {
                    let n = notification(i);
                    let call = Instant::now();
                    channel.deliver(&n).map_err(text)?;
                    latencies.push(call.elapsed());
                    i += 1;
                }
                Ok::<_, String>(latencies)
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for worker in workers {
        latencies.extend(
            worker
                .join()
                .map_err(|_| "a delivering thread panicked".to_owned())??,
        );
    }
    let elapsed = started.elapsed();
    Ok((latencies.len(), elapsed, Quantiles::new(latencies)))
}

fn first_file(folder: &Path) -> Result<Vec<u8>, String> {
    let entry = std::fs::read_dir(folder)
        .map_err(text)?
        .flatten()
        .find(|entry| entry.path().extension().is_some_and(|e| e == "eml"))
        .ok_or("the e-mail plugin wrote no .eml file")?;
    std::fs::read(entry.path()).map_err(text)
}

fn receipt() -> Receipt {
    Receipt {
        remote_id: None,
        detail: String::new(),
    }
}

struct NativeNoop;

impl Channel for NativeNoop {
    fn id(&self) -> &str {
        "noop"
    }
    fn deliver(&self, _: &Notification) -> Result<Receipt, DeliveryError> {
        Ok(receipt())
    }
}

type Connection = BufReader<TcpStream>;

/// Idle connections of a raw client, kept for the next call.
#[derive(Default)]
struct Idle(Mutex<Vec<Connection>>);

impl Idle {
    /// Runs `exchange` on an idle connection (or a new one from `connect`), then keeps the
    /// connection for the next call if the exchange succeeded.
    fn exchange(
        &self,
        connect: impl FnOnce() -> std::io::Result<Connection>,
        exchange: impl FnOnce(&mut Connection) -> std::io::Result<()>,
    ) -> Result<Receipt, DeliveryError> {
        let pooled = self.0.lock().map_err(text_temporary)?.pop();
        let mut connection = match pooled {
            Some(connection) => connection,
            None => connect().map_err(text_temporary)?,
        };
        exchange(&mut connection).map_err(text_temporary)?;
        self.0.lock().map_err(text_temporary)?.push(connection);
        Ok(receipt())
    }
}

/// A loopback connection that sends small writes at once.
fn connect(port: u16) -> std::io::Result<Connection> {
    let stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_nodelay(true)?;
    Ok(BufReader::new(stream))
}

/// The smallest HTTP client: a pre-built request over pooled keep-alive connections.
struct RawHttp {
    port: u16,
    request: Vec<u8>,
    idle: Idle,
}

impl RawHttp {
    fn new(port: u16, body: &str) -> RawHttp {
        let mut request = format!(
            "POST /hook HTTP/1.1\r\nhost: 127.0.0.1:{port}\r\ncontent-type: application/json\r\n\
             content-length: {}\r\n\r\n",
            body.len()
        )
        .into_bytes();
        request.extend_from_slice(body.as_bytes());
        RawHttp {
            port,
            request,
            idle: Idle::default(),
        }
    }

    fn post(&self, connection: &mut Connection) -> std::io::Result<()> {
        connection.get_mut().write_all(&self.request)?;
        let head = http::read_head(connection, |_, _| {})?;
        let head = head.ok_or(std::io::ErrorKind::UnexpectedEof)?;
        let mut body = vec![0; head.content_length];
        connection.read_exact(&mut body)
    }
}

impl Channel for RawHttp {
    fn id(&self) -> &str {
        "raw-http"
    }
    fn deliver(&self, _: &Notification) -> Result<Receipt, DeliveryError> {
        self.idle.exchange(|| connect(self.port), |c| self.post(c))
    }
}

fn text_temporary(error: impl std::fmt::Display) -> DeliveryError {
    DeliveryError::Temporary(error.to_string())
}

/// The smallest SMTP client: the host's exchange per message (MAIL, RCPT and DATA in one write,
/// then the message) over pooled connections.
struct RawSmtp {
    port: u16,
    message: Vec<u8>,
    idle: Idle,
}

impl RawSmtp {
    fn new(port: u16, eml: Vec<u8>) -> RawSmtp {
        // The plugin's e-mail is plain ASCII with CRLF line ends and no line starting with `.`.
        let mut message = eml;
        message.extend_from_slice(b"\r\n.\r\n");
        RawSmtp {
            port,
            message,
            idle: Idle::default(),
        }
    }

    fn connect(&self) -> std::io::Result<Connection> {
        let mut connection = connect(self.port)?;
        reply(&mut connection)?;
        command(&mut connection, b"EHLO bench\r\n")?;
        Ok(connection)
    }

    fn send(&self, connection: &mut Connection) -> std::io::Result<()> {
        connection.get_mut().write_all(
            b"MAIL FROM:<noreply@prasang.localhost>\r\nRCPT TO:<ada@example.org>\r\nDATA\r\n",
        )?;
        for _ in 0..3 {
            reply(connection)?;
        }
        command(connection, &self.message)
    }
}

fn command(connection: &mut Connection, line: &[u8]) -> std::io::Result<()> {
    connection.get_mut().write_all(line)?;
    reply(connection)
}

/// Reads one (possibly multi-line) SMTP reply; fails on a 4xx/5xx.
fn reply(connection: &mut Connection) -> std::io::Result<()> {
    let mut line = String::new();
    loop {
        line.clear();
        if connection.read_line(&mut line)? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        if line.starts_with('4') || line.starts_with('5') {
            return Err(std::io::Error::other(line.trim_end().to_owned()));
        }
        if line.as_bytes().get(3) != Some(&b'-') {
            return Ok(());
        }
    }
}

impl Channel for RawSmtp {
    fn id(&self) -> &str {
        "raw-smtp"
    }
    fn deliver(&self, _: &Notification) -> Result<Receipt, DeliveryError> {
        self.idle.exchange(|| self.connect(), |c| self.send(c))
    }
}

/// What the e-mail plugin does, in plain Rust with lettre: text and HTML bodies and an ICS
/// attachment, sent through a pooled `SmtpTransport` configured as the host's.
struct NativeEmail {
    transport: SmtpTransport,
    from: Mailbox,
}

impl NativeEmail {
    fn new(settings: &SmtpSettings) -> NativeEmail {
        let transport = SmtpTransport::builder_dangerous(&settings.host)
            .port(settings.port)
            .timeout(Some(settings.timeout))
            .pool_config(PoolConfig::new().max_size(settings.max_connections))
            .build();
        NativeEmail {
            transport,
            from: Mailbox::new(
                Some("Prasang".into()),
                lettre::Address::new("noreply", "prasang.localhost").expect("a valid address"),
            ),
        }
    }

    fn compose(&self, n: &Notification) -> Result<Message, String> {
        let to = Mailbox::new(
            Some(n.recipient.name.clone()),
            n.recipient.email.parse().map_err(text)?,
        );
        let seats = n.ticket.as_ref().map_or(0, |t| t.quantity);
        let text_body = format!(
            "Hello {},\n\nYou have {seats} seat(s) for {} at {}.\n\n{}\n\nThe Prasang team\n",
            n.recipient.name, n.event.title, n.event.location, n.event.description
        );
        let html_body = format!(
            "<!doctype html><html><body><p>Hello {},</p><p>You have {seats} seat(s) for \
             <strong>{}</strong> at {}.</p><p>{}</p><p>The Prasang team</p></body></html>",
            n.recipient.name, n.event.title, n.event.location, n.event.description
        );
        let calendar = format!(
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Prasang//EN\r\nMETHOD:PUBLISH\r\n\
             BEGIN:VEVENT\r\nUID:event-{}@prasang\r\nDTSTART:{}\r\nDTEND:{}\r\nSUMMARY:{}\r\n\
             LOCATION:{}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
            n.event.id,
            n.event.starts_at.as_millis(),
            n.event.ends_at.as_millis(),
            n.event.title,
            n.event.location
        );
        let calendar_type =
            ContentType::parse("text/calendar; charset=utf-8; method=PUBLISH").map_err(text)?;
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .message_id(Some(format!("<{}@prasang.localhost>", n.idempotency_key)))
            .subject(format!("Booked: {}", n.event.title))
            .multipart(
                MultiPart::mixed()
                    .multipart(
                        MultiPart::alternative()
                            .singlepart(SinglePart::plain(text_body))
                            .singlepart(SinglePart::html(html_body)),
                    )
                    .singlepart(Attachment::new("event.ics".into()).body(calendar, calendar_type)),
            )
            .map_err(text)
    }
}

impl Channel for NativeEmail {
    fn id(&self) -> &str {
        "native-email"
    }
    fn deliver(&self, n: &Notification) -> Result<Receipt, DeliveryError> {
        let message = self.compose(n).map_err(DeliveryError::Permanent)?;
        self.transport.send(&message).map_err(text_temporary)?;
        Ok(receipt())
    }
}

/// The webhook plugin's JSON body.
fn webhook_json(n: &Notification) -> String {
    serde_json::json!({
        "type": "ticket.booked",
        "timestamp": n.occurred_at,
        "data": n,
    })
    .to_string()
}

/// What the webhook plugin does, in plain Rust: a Standard Webhooks signed POST with ureq.
struct NativeWebhook {
    url: String,
    key: Vec<u8>,
    agent: ureq::Agent,
}

impl NativeWebhook {
    fn new(url: String) -> Self {
        NativeWebhook {
            url,
            key: BASE64
                .decode(SECRET.trim_start_matches("whsec_"))
                .expect("the secret is base64"),
            // Per-phase timeouts, not a global one: with a global timeout ureq resolves every
            // host name on a thread of its own (the plugin host avoids that for IP addresses).
            agent: ureq::Agent::config_builder()
                .timeout_connect(Some(Duration::from_secs(10)))
                .timeout_recv_response(Some(Duration::from_secs(10)))
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
        let body = webhook_json(n);
        let timestamp = (n.occurred_at.as_millis() / 1000).to_string();
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).map_err(text_temporary)?;
        mac.update(format!("{}.{timestamp}.", n.idempotency_key).as_bytes());
        mac.update(body.as_bytes());
        let signature = format!("v1,{}", BASE64.encode(mac.finalize().into_bytes()));
        let mut response = self
            .agent
            .post(&self.url)
            .header("content-type", "application/json")
            .header("webhook-id", &n.idempotency_key)
            .header("webhook-timestamp", &timestamp)
            .header("webhook-signature", &signature)
            .send(body.as_bytes())
            .map_err(text_temporary)?;
        // Read the answer to its end, as the host does: only then can ureq reuse the
        // connection (otherwise every call connects anew).
        let mut answer = Vec::new();
        response
            .body_mut()
            .as_reader()
            .take(64 * 1024)
            .read_to_end(&mut answer)
            .map_err(text_temporary)?;
        Ok(Receipt {
            remote_id: Some(n.idempotency_key.clone()),
            detail: response.status().to_string(),
        })
    }
}

fn noop_manifest() -> Result<Manifest, String> {
    Manifest::parse(
        "id = \"noop\"\nversion = \"0.0.1\"\napi = \"0.1.0\"\n",
        "noop.wasm".into(),
    )
    .map_err(text)
}

/// A booking notification like the dispatcher makes, numbered `i`.
pub fn notification(i: u64) -> Notification {
    prasang_test_sinks::sample::booked(i, "bench")
}
