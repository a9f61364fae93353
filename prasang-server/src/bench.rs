//! The flash-sale benchmark (`prasang-server bench`): many users race for few seats over HTTP.
//!
//! It starts a server (this same binary, with throwaway accounts hashed cheaply and no login
//! rate limit) on a temporary store and a hello-world server, both on loopback, then:
//! registers and logs in N users, creates one event with C seats, fires one booking per user at
//! the given concurrency, and checks through the API that exactly C seats were sold and that the
//! store's integrity check passes. In the same run it measures two ceilings with the same load
//! generator: hyper hello-world and the public event listing.
//!
//! `--waitlist N` first fills a waiting list of N entries on another event of the same server
//! ([`waitlist`]), then runs the same sale beside it.
//!
//! `--guests N` runs the sale with N guest checkouts instead, each under its own e-mail address
//! and so each making a guest account, with no registration or login before it ([`guests`]).
//!
//! `--kafka-brokers` makes the server export its log to Kafka during the sale and adds the
//! exporter's lag to the report; `--kafka-export N` measures the exporter's throughput instead
//! ([`kafka`]).
//!
//! `--waiting-room N` runs an on-sale behind a waiting room: N people arrive, poll their place
//! and book with their pass once admitted ([`waiting_room`]).
//!
//! `--check-in` runs the doors-open burst instead and `--verify-codes` the offline verification
//! of admission codes ([`check_in`]); `--message` one organizer message to every holder of an
//! event ([`message`]).

mod check_in;
mod guests;
mod kafka;
mod message;
mod waiting_room;
mod waitlist;

use std::collections::BTreeMap;
use std::net::{SocketAddr, TcpListener};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use hyper::{Method, Request};
use indicatif::{ProgressBar, ProgressStyle};
use parking_lot::Mutex;
use serde_json::json;

use prasang_http_client::usage::process_usage;
use prasang_http_client::{self as client, Connection, Reply};

type BenchError = Box<dyn std::error::Error + Send + Sync>;

/// Flags of `prasang-server bench`.
#[derive(Debug, Clone, clap::Args)]
pub struct BenchArgs {
    /// Users who each try to book one seat.
    #[arg(long, default_value_t = 20_000)]
    pub users: usize,
    /// Seats of the event (fewer than users: the rest are turned away).
    #[arg(long, default_value_t = 10_000)]
    pub capacity: usize,
    /// Requests in flight at once (one keep-alive connection each).
    #[arg(long, default_value_t = 64)]
    pub concurrency: usize,
    /// Seconds each ceiling (hello-world, listing) is measured for.
    #[arg(long, default_value_t = 5)]
    pub ceiling_secs: u64,
    /// Run the server with periodic flushing every this many ms instead of durable group commit
    /// (to show what the flush costs; not the headline number).
    #[arg(long)]
    pub periodic_flush_ms: Option<u64>,
    /// Worker threads of the server under test (default: its own default, one per core).
    #[arg(long)]
    pub server_workers: Option<usize>,
    /// The page cache of the server under test in MiB (default: its own default, 256).
    #[arg(long)]
    pub server_cache_mb: Option<u64>,
    /// The server binary to run (default: this one), e.g. an older build to compare against
    /// with the same load generator.
    #[arg(long)]
    pub server_bin: Option<std::path::PathBuf>,
    /// What is on sale: one price (an event made without types), one type of a three-type
    /// event, all three types in turn, or one type with every buyer using one promo code.
    #[arg(long, value_enum, default_value_t = Sale::OnePrice)]
    pub sale: Sale,
    /// Instead of the sale: the doors-open burst. Every user books `--seats-per-ticket` seats,
    /// then `--gates` gates check every seat in once over HTTP.
    #[arg(long, conflicts_with = "verify_codes")]
    pub check_in: bool,
    /// Gates scanning at once in `--check-in` (one keep-alive connection each).
    #[arg(long, default_value_t = 16)]
    pub gates: usize,
    /// Seats of each user's ticket in `--check-in`.
    #[arg(long, default_value_t = 1)]
    pub seats_per_ticket: usize,
    /// Instead of the sale: how many admission codes one core verifies per second offline
    /// (parse + Ed25519 signature), in this process; the number of codes to make.
    #[arg(long)]
    pub verify_codes: Option<usize>,
    /// Instead of the sale: every user books one seat, then the organizer writes to all
    /// holders; measures the time until every recipient's delivery is queued.
    #[arg(long, conflicts_with_all = ["check_in", "verify_codes"])]
    pub message: bool,
    /// Channel plugins of the server under test (`bash plugins/build.sh` builds them into
    /// target/plugins); without them it tells no one. `--message` needs them.
    #[arg(long)]
    pub plugins_dir: Option<std::path::PathBuf>,
    /// Before the sale: N more users join the waiting list of another event of the same
    /// server (one seat, booked), so the sale runs beside a list of N entries.
    #[arg(long, conflicts_with_all = ["check_in", "verify_codes", "message"])]
    pub waitlist: Option<usize>,
    /// Instead of the sale by registered users: N guest checkouts (`POST
    /// /api/v1/guest/bookings`) race for `--capacity` seats, each with its own e-mail address,
    /// so each makes a guest account.
    #[arg(long, conflicts_with_all = ["check_in", "verify_codes", "message", "waitlist"])]
    pub guests: Option<usize>,
    /// The server exports its event log to Kafka through these brokers (`host:port`) during
    /// the sale; the report adds the exporter's lag. Start a broker first
    /// (`scripts/bench-kafka.sh` does).
    #[arg(long)]
    pub kafka_brokers: Option<String>,
    /// Instead of the sale: a store with a log of about N entries exports it to the
    /// `--kafka-brokers` broker, beside a plain producer's ceiling in the same run.
    #[arg(long, requires = "kafka_brokers",
          conflicts_with_all = ["check_in", "verify_codes", "message", "waitlist", "guests"])]
    pub kafka_export: Option<usize>,
    /// Instead of the sale: N signed-in people arrive at an event behind a waiting room, poll
    /// their place and book with their pass once admitted.
    #[arg(long, conflicts_with_all = ["check_in", "verify_codes", "message", "waitlist", "guests", "kafka_export"])]
    pub waiting_room: Option<usize>,
    /// People the `--waiting-room` room admits a minute.
    #[arg(long, default_value_t = 6_000)]
    pub admit_per_minute: u32,
    /// Seconds the `--waiting-room` crowd polls its places while the room admits.
    #[arg(long, default_value_t = 30)]
    pub room_secs: u64,
}

/// The kinds of flash sale `--sale` chooses between.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Sale {
    /// An event made without ticket types (one "Admission" type), `{"quantity": 1}`.
    OnePrice,
    /// Every buyer books one seat of the second of three types, naming it in `lines`.
    OneType,
    /// Buyer i books one seat of type i mod 3.
    Spread,
    /// Every buyer books one seat of the second type with one promo code that makes it free
    /// and has a use for every seat.
    Promo,
}

/// The bench event's three types: none has a quota, so the event's capacity decides.
const BENCH_TYPES: [&str; 3] = ["Early bird", "Regular", "Student"];
/// The promo code of `--sale promo`.
const BENCH_CODE: &str = "FLASH-FREE";

impl Sale {
    /// The event's `ticket_types` when it has them. The promo sale's type has a price the code
    /// takes off entirely, so its bookings are booked at once like the free ones of the others.
    fn ticket_types(self) -> Option<serde_json::Value> {
        let price = if self == Sale::Promo { 2_500 } else { 0 };
        (self != Sale::OnePrice).then(|| {
            BENCH_TYPES
                .iter()
                .map(|name| json!({ "name": name, "price_minor": price }))
                .collect()
        })
    }

    /// The booking body of buyer `i`.
    fn booking(self, i: usize) -> serde_json::Value {
        match self {
            Sale::OnePrice => json!({ "quantity": 1 }),
            Sale::OneType => json!({ "lines": [{ "ticket_type": 2, "quantity": 1 }] }),
            Sale::Spread => json!({ "lines": [{ "ticket_type": i % 3 + 1, "quantity": 1 }] }),
            Sale::Promo => json!({ "lines": [{ "ticket_type": 2, "quantity": 1 }],
                                   "promo_code": BENCH_CODE }),
        }
    }
}

/// Kills a child process when dropped, so a failed run leaves nothing behind.
struct ChildGuard(Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> Result<SocketAddr, BenchError> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?)
}

async fn wait_until_up(address: SocketAddr, path: &str) -> Result<(), BenchError> {
    for _ in 0..200 {
        if client::call(address, Method::GET, path, None, None)
            .await
            .is_ok()
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Err(format!("server at {address} did not come up").into())
}

/// What one load run saw.
#[derive(Default)]
struct LoadResult {
    elapsed: Duration,
    /// Latency of every request, microseconds, sorted.
    latencies: Vec<u64>,
    statuses: BTreeMap<u16, usize>,
    transport_errors: usize,
    /// When the last `201 Created` arrived, from the start of the run.
    last_created: Duration,
}

impl LoadResult {
    fn percentile(&self, p: f64) -> f64 {
        if self.latencies.is_empty() {
            return 0.0;
        }
        let index =
            ((self.latencies.len() as f64 * p).ceil() as usize).clamp(1, self.latencies.len()) - 1;
        self.latencies[index] as f64 / 1000.0
    }
    fn rate(&self) -> f64 {
        self.latencies.len() as f64 / self.elapsed.as_secs_f64()
    }
    fn count(&self, status: u16) -> usize {
        self.statuses.get(&status).copied().unwrap_or(0)
    }
    /// Adds what another connection of the same run saw (latencies left unsorted).
    fn absorb(&mut self, other: LoadResult) {
        self.last_created = self.last_created.max(other.last_created);
        self.latencies.extend(other.latencies);
        for (status, n) in other.statuses {
            *self.statuses.entry(status).or_default() += n;
        }
        self.transport_errors += other.transport_errors;
    }
}

type MakeRequest = Arc<dyn Fn(usize) -> Request<Full<Bytes>> + Send + Sync>;
type OnReply = Arc<dyn Fn(usize, &Reply) + Send + Sync>;

/// Runs `jobs` requests (or as many as fit in `duration`) over `concurrency` connections.
async fn load(
    address: SocketAddr,
    concurrency: usize,
    jobs: Option<usize>,
    duration: Option<Duration>,
    make: MakeRequest,
    on_reply: Option<OnReply>,
    progress: ProgressBar,
) -> Result<LoadResult, BenchError> {
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let deadline = duration.map(|d| started + d);
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let (next, make, on_reply, progress) = (
            Arc::clone(&next),
            Arc::clone(&make),
            on_reply.clone(),
            progress.clone(),
        );
        let mut connection = Connection::open(address).await.map_err(|e| e.to_string())?;
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut statuses: BTreeMap<u16, usize> = BTreeMap::new();
            let mut errors = 0;
            let mut last_created = Duration::ZERO;
            loop {
                if deadline.is_some_and(|d| Instant::now() >= d) {
                    break;
                }
                let job = next.fetch_add(1, Ordering::Relaxed);
                if jobs.is_some_and(|n| job >= n) {
                    break;
                }
                let request = make(job);
                let sent = Instant::now();
                match connection.send(request).await {
                    Ok(reply) => {
                        latencies.push(sent.elapsed().as_micros() as u64);
                        *statuses.entry(reply.status.as_u16()).or_default() += 1;
                        if reply.status == hyper::StatusCode::CREATED {
                            last_created = started.elapsed();
                        }
                        if let Some(on_reply) = &on_reply {
                            on_reply(job, &reply);
                        }
                    }
                    Err(_) => errors += 1,
                }
                progress.inc(1);
            }
            LoadResult {
                elapsed: Duration::ZERO,
                latencies,
                statuses,
                transport_errors: errors,
                last_created,
            }
        }));
    }
    let mut result = LoadResult::default();
    for worker in workers {
        result.absorb(worker.await?);
    }
    result.elapsed = started.elapsed();
    result.latencies.sort_unstable();
    progress.finish();
    Ok(result)
}

/// Records which jobs the server shed with `503` (its password-hashing queue was full), so the
/// set-up phases can send those again instead of failing on a loaded machine.
fn shed_recorder(shed: &Arc<Mutex<Vec<usize>>>, then: Option<OnReply>) -> OnReply {
    let shed = Arc::clone(shed);
    Arc::new(move |job, reply| {
        if reply.status == hyper::StatusCode::SERVICE_UNAVAILABLE {
            shed.lock().push(job);
        } else if let Some(then) = &then {
            then(job, reply);
        }
    })
}

/// Sends the shed jobs again, one at a time, until each gets `expected` (at most 100 tries
/// each); returns how many did.
async fn resend_shed(
    address: SocketAddr,
    shed: &Mutex<Vec<usize>>,
    make: &MakeRequest,
    on_reply: Option<&OnReply>,
    expected: hyper::StatusCode,
) -> Result<usize, BenchError> {
    let jobs = std::mem::take(&mut *shed.lock());
    let mut connection = Connection::open(address).await.map_err(|e| e.to_string())?;
    let mut done = 0;
    for job in jobs {
        for _ in 0..100 {
            let reply = connection
                .send(make(job))
                .await
                .map_err(|e| e.to_string())?;
            if reply.status == expected {
                if let Some(on_reply) = on_reply {
                    on_reply(job, &reply);
                }
                done += 1;
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    Ok(done)
}

fn bar(length: u64, label: &str) -> ProgressBar {
    let bar = ProgressBar::new(length);
    bar.set_style(
        ProgressStyle::with_template("{msg:>14} [{bar:40}] {pos}/{len} ({per_sec}, {eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_message(label.to_owned());
    bar
}

fn timed_bar(label: &str) -> ProgressBar {
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{msg:>14} {spinner} {pos} requests ({per_sec})")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.set_message(label.to_owned());
    bar
}

/// The access token of a login (empty when refused: the calls made with it then fail).
async fn access_token(
    server: SocketAddr,
    email: &str,
    password: &str,
) -> Result<String, BenchError> {
    let login = json!({ "email": email, "password": password });
    let session = client::call(
        server,
        Method::POST,
        "/api/v1/auth/login",
        None,
        Some(&login),
    )
    .await?
    .json();
    Ok(session["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned())
}

/// `concurrency` connections asking `GET path` for `span`: a ceiling beside the sale.
async fn timed_get(
    address: SocketAddr,
    concurrency: usize,
    span: Duration,
    path: &str,
    label: &str,
) -> Result<LoadResult, BenchError> {
    let path = path.to_owned();
    let make: MakeRequest = Arc::new(move |_| client::request(Method::GET, &path, None, None));
    load(
        address,
        concurrency,
        None,
        Some(span),
        make,
        None,
        timed_bar(label),
    )
    .await
}

fn post(path: String, token: Option<String>, body: serde_json::Value) -> Request<Full<Bytes>> {
    client::request(Method::POST, &path, token.as_deref(), Some(&body))
}

/// The server under test and the hello-world ceiling, running on loopback until dropped.
struct Servers {
    server: SocketAddr,
    hello: SocketAddr,
    server_child: ChildGuard,
    hello_child: ChildGuard,
    /// The server's data folder, deleted when dropped (after the children).
    _data: tempfile::TempDir,
}

const ADMIN: (&str, &str) = ("bench-admin@example.org", "bench admin password");

impl Servers {
    /// Starts both and waits until they answer.
    async fn start(args: &BenchArgs) -> Result<Servers, BenchError> {
        let exe = std::env::current_exe()?;
        let data = tempfile::Builder::new()
            .prefix("prasang-bench-")
            .tempdir()?;
        let (server, hello) = (free_port()?, free_port()?);
        let mut command = Command::new(args.server_bin.as_ref().unwrap_or(&exe));
        command
            .arg("--data-dir")
            .arg(data.path())
            .args(["--bind", &server.to_string()])
            .args([
                "--insecure-fast-password-hashing",
                "--auth-rate-per-minute",
                "0",
            ])
            .args(["--admin-email", ADMIN.0, "--admin-password", ADMIN.1])
            .args(["--log", "warn"])
            .stdout(Stdio::null());
        if let Some(ms) = args.periodic_flush_ms {
            command.args(["--periodic-flush-ms", &ms.to_string()]);
        }
        if let Some(workers) = args.server_workers {
            command.args(["--workers", &workers.to_string()]);
        }
        if let Some(mb) = args.server_cache_mb {
            command.args(["--cache-mb", &mb.to_string()]);
        }
        if let Some(plugins) = &args.plugins_dir {
            command.arg("--plugins-dir").arg(plugins);
        }
        if let Some(brokers) = &args.kafka_brokers {
            let topic = format!("bench-sale-{:016x}", rand::random::<u64>());
            command.args(["--kafka-brokers", brokers, "--kafka-topic", &topic]);
        }
        let server_child = ChildGuard(command.spawn()?);
        let hello_child = ChildGuard(
            Command::new(&exe)
                .args(["hello", "--bind", &hello.to_string()])
                .stdout(Stdio::null())
                .spawn()?,
        );
        wait_until_up(server, "/healthz").await?;
        wait_until_up(hello, "/").await?;
        Ok(Servers {
            server,
            hello,
            server_child,
            hello_child,
            _data: data,
        })
    }

    fn server_pid(&self) -> String {
        self.server_child.0.id().to_string()
    }

    fn hello_pid(&self) -> String {
        self.hello_child.0.id().to_string()
    }
}

/// Registers and logs in `n` users (`{prefix}{i}@bench.example`, so that groups of one run do
/// not collide) over `c` connections, sending again what the server shed; their access tokens
/// by index and the two load runs.
async fn fans(
    server: SocketAddr,
    prefix: &'static str,
    n: usize,
    c: usize,
) -> Result<(Vec<String>, LoadResult, LoadResult), BenchError> {
    let register: MakeRequest = Arc::new(move |i| {
        post(
            "/api/v1/auth/register".into(),
            None,
            json!({ "name": format!("{prefix} {i}"), "email": format!("{prefix}{i}@bench.example"),
                    "password": "bench password", "gender": "undisclosed", "age": 30 }),
        )
    });
    let shed = Arc::new(Mutex::new(Vec::new()));
    let registered = load(
        server,
        c,
        Some(n),
        None,
        Arc::clone(&register),
        Some(shed_recorder(&shed, None)),
        bar(n as u64, "register"),
    )
    .await?;
    let resent = resend_shed(server, &shed, &register, None, hyper::StatusCode::CREATED).await?;
    if registered.count(201) + resent != n {
        return Err(format!("registration failed: {:?}", registered.statuses).into());
    }
    let tokens: Arc<Mutex<Vec<String>>> = Arc::new(Mutex::new(vec![String::new(); n]));
    let login: MakeRequest = Arc::new(move |i| {
        post(
            "/api/v1/auth/login".into(),
            None,
            json!({ "email": format!("{prefix}{i}@bench.example"), "password": "bench password" }),
        )
    });
    let keep = Arc::clone(&tokens);
    let keep_token: OnReply = Arc::new(move |i, reply| {
        if let Some(token) = reply.json()["access_token"].as_str() {
            keep.lock()[i] = token.to_owned();
        }
    });
    let logged_in = load(
        server,
        c,
        Some(n),
        None,
        Arc::clone(&login),
        Some(shed_recorder(&shed, Some(Arc::clone(&keep_token)))),
        bar(n as u64, "log in"),
    )
    .await?;
    let resent = resend_shed(
        server,
        &shed,
        &login,
        Some(&keep_token),
        hyper::StatusCode::OK,
    )
    .await?;
    if logged_in.count(200) + resent != n {
        return Err(format!("login failed: {:?}", logged_in.statuses).into());
    }
    let tokens = std::mem::take(&mut *tokens.lock());
    Ok((tokens, registered, logged_in))
}

/// Each holder of `tokens` books one ticket of `seats` seats of `event_id` over `c`
/// connections; the tickets' ids by holder.
async fn book_one_each(
    server: SocketAddr,
    c: usize,
    tokens: &Arc<Vec<String>>,
    event_id: &str,
    seats: usize,
) -> Result<Vec<String>, BenchError> {
    let n = tokens.len();
    let ticket_ids = Arc::new(Mutex::new(vec![String::new(); n]));
    let book: MakeRequest = {
        let (tokens, path) = (
            Arc::clone(tokens),
            format!("/api/v1/events/{event_id}/tickets"),
        );
        Arc::new(move |i| {
            let body = json!({ "quantity": seats });
            client::request(Method::POST, &path, Some(&tokens[i]), Some(&body))
        })
    };
    let keep = Arc::clone(&ticket_ids);
    let keep_id: OnReply = Arc::new(move |i, reply| {
        if let Some(id) = reply.json()["id"].as_str() {
            keep.lock()[i] = id.to_owned();
        }
    });
    let booked = load(
        server,
        c,
        Some(n),
        None,
        book,
        Some(keep_id),
        bar(n as u64, "book"),
    )
    .await?;
    if booked.count(201) != n {
        return Err(format!("booking failed: {}", statuses(&booked)).into());
    }
    Ok(std::mem::take(&mut *ticket_ids.lock()))
}

/// Registers the organizer and creates the event `new_event` (its start a day from now is set
/// here); the organizer's token and the event's id.
async fn organizer_event(
    server: SocketAddr,
    new_event: serde_json::Value,
) -> Result<(String, String), BenchError> {
    let reply = client::call(server, Method::POST, "/api/v1/auth/register", None,
        Some(&json!({ "name": "Promoter", "email": "promoter@bench.example", "password": "bench password",
                      "gender": "undisclosed", "age": 40, "role": "organizer" }))).await?;
    if reply.status != 201 {
        return Err(format!("organizer registration failed: {}", reply.status).into());
    }
    let organizer = access_token(server, "promoter@bench.example", "bench password").await?;
    let event_id = create_event(server, &organizer, new_event).await?;
    Ok((organizer, event_id))
}

/// The organizer creates the event `new_event`, starting a day from now; its id.
async fn create_event(
    server: SocketAddr,
    organizer: &str,
    mut new_event: serde_json::Value,
) -> Result<String, BenchError> {
    let starts =
        prasang_core::Clock::now(&prasang_core::SystemClock).plus(Duration::from_secs(86_400));
    new_event["starts_at"] = json!(starts);
    new_event["ends_at"] = json!(starts.plus(Duration::from_secs(7200)));
    let event = client::call(
        server,
        Method::POST,
        "/api/v1/events",
        Some(organizer),
        Some(&new_event),
    )
    .await?;
    if event.status != 201 {
        return Err(format!(
            "event creation failed: {} {}",
            event.status,
            String::from_utf8_lossy(&event.body)
        )
        .into());
    }
    Ok(event.json()["id"].as_str().unwrap_or_default().to_owned())
}

/// A load run of `n` requests made by `make` over `c` connections, with the CPU time the server
/// process used and the bytes it wrote meanwhile.
struct Measured {
    run: LoadResult,
    cpu: Duration,
    written: u64,
}

async fn measured(
    servers: &Servers,
    c: usize,
    n: usize,
    make: MakeRequest,
    label: &str,
) -> Result<Measured, BenchError> {
    let server_pid = servers.server_pid();
    let (cpu_before, written_before) = process_usage(&server_pid);
    let run = load(
        servers.server,
        c,
        Some(n),
        None,
        make,
        None,
        bar(n as u64, label),
    )
    .await?;
    let (cpu_after, written_after) = process_usage(&server_pid);
    Ok(Measured {
        run,
        cpu: cpu_after.saturating_sub(cpu_before),
        written: written_after.saturating_sub(written_before),
    })
}

/// The seats of `event_id` booked and remaining, as its public page shows them.
async fn seats(server: SocketAddr, event_id: &str) -> Result<(u64, u64), BenchError> {
    let event = client::call(
        server,
        Method::GET,
        &format!("/api/v1/events/{event_id}"),
        None,
        None,
    )
    .await?
    .json();
    let count = |name: &str| event["seats"][name].as_u64().unwrap_or(u64::MAX);
    Ok((count("booked"), count("remaining")))
}

/// Whether the store's integrity check passes (`GET /api/v1/admin/integrity`).
async fn integrity_ok(server: SocketAddr) -> Result<bool, BenchError> {
    let admin_token = access_token(server, ADMIN.0, ADMIN.1).await?;
    let integrity = client::call(
        server,
        Method::GET,
        "/api/v1/admin/integrity",
        Some(&admin_token),
        None,
    )
    .await?
    .json();
    Ok(integrity["ok"].as_bool() == Some(true))
}

/// Prints a report's heading, the run's set-up (then how writes reach the disk, durable per
/// `unit` or not, and the cores) and the head of its table.
fn report_head(title: &str, setup: &str, args: &BenchArgs, unit: &str) {
    println!();
    println!("## {title}");
    println!();
    println!(
        "{setup}, {}, loopback; {} cores",
        match args.periodic_flush_ms {
            Some(ms) => format!("periodic flush every {ms} ms (NOT durable per {unit})"),
            None => "durable group commit".to_owned(),
        },
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!();
    println!("| measurement | value |");
    println!("|---|---|");
}

/// The last rows of a report: the store's integrity check and the hello-world ceiling.
fn print_integrity_and_ceiling(integrity_ok: bool, hello: &LoadResult) {
    println!(
        "| verify_integrity (GET /api/v1/admin/integrity) | {} |",
        if integrity_ok { "ok" } else { "FAILED" }
    );
    println!(
        "| ceiling: hyper hello-world (req/s, p99 ms) | {:.0} ({:.2}) |",
        hello.rate(),
        hello.percentile(0.99)
    );
}

/// The statuses of a run as `201: 10, 409: 3`.
fn statuses(run: &LoadResult) -> String {
    run.statuses
        .iter()
        .map(|(s, n)| format!("{s}: {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Runs the benchmark chosen by the flags and prints a Markdown report.
pub async fn run(args: BenchArgs) -> Result<(), BenchError> {
    if let Some(codes) = args.verify_codes {
        return check_in::verify_codes(codes);
    }
    if args.check_in {
        return check_in::run(args).await;
    }
    if args.message {
        return message::run(args).await;
    }
    if let Some(guests) = args.guests {
        return guests::run(args, guests).await;
    }
    if let Some(people) = args.waiting_room {
        return waiting_room::run(args, people).await;
    }
    if let (Some(entries), Some(brokers)) = (args.kafka_export, &args.kafka_brokers) {
        return kafka::export(brokers.clone(), entries).await;
    }
    let servers = Servers::start(&args).await?;
    let server = servers.server;
    let c = args.concurrency.max(1);
    let n = args.users;

    // 1. An organizer puts one event on sale.
    let mut new_event = json!({ "title": "Flash sale", "location": "Loopback Arena",
                      "capacity": args.capacity, "per_user_limit": 1 });
    if let Some(types) = args.sale.ticket_types() {
        new_event["ticket_types"] = types;
    }
    let (organizer, event_id) = organizer_event(server, new_event).await?;
    if args.sale == Sale::Promo {
        let code = client::call(
            server,
            Method::POST,
            &format!("/api/v1/events/{event_id}/promo-codes"),
            Some(&organizer),
            Some(&json!({ "code": BENCH_CODE, "discount": "free", "max_uses": args.capacity })),
        )
        .await?;
        if code.status != 201 {
            return Err(format!("promo code creation failed: {}", code.status).into());
        }
    }

    // 1b. With `--waitlist`: another event's waiting list, filled before the sale.
    let beside = match args.waitlist {
        Some(entries) => {
            let pid = servers.server_pid();
            Some(waitlist::fill(server, &pid, &organizer, entries, c).await?)
        }
        None => None,
    };

    // 2. The buyers register and log in, just before the sale (after the list filled up, as
    // its members would have signed in long before: the server remembers the signatures of
    // the 300,000 newest tokens, `auth::known`, and a buyer's token should be among them).
    let (tokens, registered, logged_in) = fans(server, "fan", n, c).await?;

    // 3. The flash sale: every user tries once.
    let tokens: Arc<Vec<String>> = Arc::new(tokens);
    let book_path = format!("/api/v1/events/{event_id}/tickets");
    let sale_kind = args.sale;
    let book: MakeRequest = {
        let tokens = Arc::clone(&tokens);
        Arc::new(move |i| {
            client::request(
                Method::POST,
                &book_path,
                Some(&tokens[i]),
                Some(&sale_kind.booking(i)),
            )
        })
    };
    let lag = match args.kafka_brokers {
        Some(_) => Some((
            kafka::delay_buckets(server).await?,
            kafka::LagSampler::start(server),
        )),
        None => None,
    };
    let Measured {
        run: sale,
        cpu,
        written,
    } = measured(&servers, c, n, book, "flash sale").await?;
    let cpu_per_request = cpu.as_secs_f64() * 1e6 / n as f64;
    let bytes_per_seat = written as f64 / sale.count(201).max(1) as f64;
    let export_rows = match lag {
        Some((before, sampler)) => {
            let sampled = sampler.finish().await;
            kafka::lag_rows(server, &before, &sampled).await?
        }
        None => Vec::new(),
    };

    // 4. Check through the API: exactly C seats sold, integrity holds.
    let (booked, remaining) = seats(server, &event_id).await?;
    let integrity_ok = integrity_ok(server).await?;

    // 5. Ceilings, with the same load generator.
    let span = Duration::from_secs(args.ceiling_secs.max(1));
    let hello_run = timed_get(servers.hello, c, span, "/", "hello-world").await?;
    let listing = timed_get(server, c, span, "/api/v1/events?limit=20", "GET /events").await?;
    let event_get_path = format!("/api/v1/events/{event_id}");
    let event_get = timed_get(server, c, span, &event_get_path, "GET /events/id").await?;

    // Stop the server gracefully so its final flush is part of the run.
    drop(servers);

    let sold_ok =
        booked == args.capacity as u64 && remaining == 0 && sale.count(201) == args.capacity;
    report_head(
        "Flash sale result",
        &format!(
            "{n} users, {} seats, sale {:?}, concurrency {c}",
            args.capacity, args.sale
        ),
        &args,
        "booking",
    );
    println!(
        "| booking requests/s (all {n}) | {:.0} = {:.1}% of hello-world |",
        sale.rate(),
        100.0 * sale.rate() / hello_run.rate()
    );
    if let Some(list) = &beside {
        println!("{}", list.report_row());
    }
    println!(
        "| seats sold/s (C / time of the last 201) | {:.0} (sold out after {:.2} s) |",
        sale.count(201) as f64 / sale.last_created.as_secs_f64(),
        sale.last_created.as_secs_f64()
    );
    println!(
        "| booking latency p50 / p99 / max (ms) | {:.2} / {:.2} / {:.2} |",
        sale.percentile(0.5),
        sale.percentile(0.99),
        sale.percentile(1.0)
    );
    println!("| statuses | {} |", statuses(&sale));
    println!("| transport errors | {} |", sale.transport_errors);
    for row in &export_rows {
        println!("{row}");
    }
    println!(
        "| server CPU per booking request (µs, whole process, from /proc) | {cpu_per_request:.0} |"
    );
    println!("| bytes written per seat sold (server, /proc io) | {bytes_per_seat:.0} |");
    println!(
        "| seats booked / remaining (via API) | {booked} / {remaining} ({}) |",
        if sold_ok { "exactly C: OK" } else { "MISMATCH" }
    );
    println!(
        "| verify_integrity (GET /api/v1/admin/integrity) | {} |",
        if integrity_ok { "ok" } else { "FAILED" }
    );
    println!(
        "| register / login rate (req/s, fast hashing) | {:.0} / {:.0} |",
        registered.rate(),
        logged_in.rate()
    );
    println!(
        "| ceiling: hyper hello-world (req/s, p99 ms) | {:.0} ({:.2}) |",
        hello_run.rate(),
        hello_run.percentile(0.99)
    );
    println!(
        "| GET /api/v1/events?limit=20 (req/s, p99 ms) | {:.0} ({:.2}) = {:.0}% of hello-world |",
        listing.rate(),
        listing.percentile(0.99),
        100.0 * listing.rate() / hello_run.rate()
    );
    println!(
        "| GET /api/v1/events/{{id}} (req/s, p99 ms) | {:.0} ({:.2}) = {:.0}% of hello-world |",
        event_get.rate(),
        event_get.percentile(0.99),
        100.0 * event_get.rate() / hello_run.rate()
    );
    if !sold_ok || !integrity_ok {
        return Err("the flash sale sold the wrong number of seats or broke integrity".into());
    }
    Ok(())
}
