//! The server as a separate process (the `prasang-server` binary: `$PRASANG_SERVER_BIN` when the
//! suite built the release one, else the binary cargo built for these tests), for tests that
//! kill it or starve it: what an in-process server cannot show.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use hyper::{Method, StatusCode};
use prasang_core::{Clock, SystemClock};
use prasang_http_client::{self as client, ClientError, Reply};
use serde_json::{Value, json};

/// The server binary under test.
pub fn binary() -> PathBuf {
    std::env::var_os("PRASANG_SERVER_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_prasang-server")))
}

/// A running server process; killed (SIGKILL) when dropped.
pub struct ServerProcess {
    child: Child,
    /// Where it listens.
    pub address: SocketAddr,
    /// Copies its stdout (the log, after the banner) to the log file.
    log_copier: Option<std::thread::JoinHandle<()>>,
}

/// The flags every test server gets: a free port, cheap password hashes and no login rate
/// limit (the tests log many users in), an admin account.
fn serve_flags(data_dir: &Path) -> Vec<String> {
    [
        "--data-dir",
        &data_dir.display().to_string(),
        "--bind",
        "127.0.0.1:0",
        "--insecure-fast-password-hashing",
        "--auth-rate-per-minute",
        "0",
        "--admin-email",
        ADMIN_EMAIL,
        "--admin-password",
        PASSWORD,
    ]
    .map(str::to_owned)
    .to_vec()
}

/// The admin account every test server has.
pub const ADMIN_EMAIL: &str = "root@example.org";
/// The password of every account the tests make.
pub const PASSWORD: &str = "password123";

impl ServerProcess {
    /// Starts the server on `data_dir` and waits until it serves; its log (stdout after the
    /// banner, and stderr) is appended to `log`.
    pub fn start(data_dir: &Path, log: &Path) -> ServerProcess {
        let mut command = Command::new(binary());
        command.args(serve_flags(data_dir));
        Self::spawn(command, log)
    }

    /// Starts the server as [`ServerProcess::start`] does, inside `bash -c` with `limits` (shell
    /// commands such as `ulimit -f 64`) applied first.
    pub fn start_limited(data_dir: &Path, log: &Path, limits: &str) -> ServerProcess {
        let mut command = Command::new("bash");
        command
            .arg("-c")
            .arg(format!("{limits}; exec \"$0\" \"$@\""))
            .arg(binary())
            .args(serve_flags(data_dir));
        Self::spawn(command, log)
    }

    fn spawn(mut command: Command, log: &Path) -> ServerProcess {
        let open_log = || {
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(log)
                .expect("the log file opens")
        };
        let mut child = command
            .env("PRASANG_LOG", "info")
            .env("NO_COLOR", "1")
            // Every acknowledged write durable, whatever the caller's environment says.
            .env_remove("PRASANG_PERIODIC_FLUSH_MS")
            .stdout(Stdio::piped())
            .stderr(open_log())
            .spawn()
            .expect("the server binary starts");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout is piped")).lines();
        let address = loop {
            let line = match lines.next() {
                Some(Ok(line)) => line,
                _ => panic!("the server exited before serving: {:?}", child.wait()),
            };
            if let Some(url) = line.split("on http://").nth(1) {
                break url.trim().parse().expect("the banner names the address");
            }
        };
        // The log goes to stdout after the banner: copy it to the log file (which also keeps
        // the server from blocking on a full pipe).
        let mut copy = open_log();
        let log_copier = std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                let _ = writeln!(copy, "{line}");
            }
        });
        ServerProcess {
            child,
            address,
            log_copier: Some(log_copier),
        }
    }

    /// SIGKILL: no shutdown, no flush, nothing. Returns once its log is all in the log file.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(copier) = self.log_copier.take() {
            let _ = copier.join();
        }
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Sends one request on a fresh connection (the server may have been killed since the last).
pub async fn send(
    address: SocketAddr,
    method: Method,
    path: &str,
    token: &str,
    body: Option<&Value>,
    idempotency_key: Option<&str>,
) -> Result<Reply, ClientError> {
    let mut request = client::request(method, path, Some(token), body);
    if let Some(key) = idempotency_key {
        request
            .headers_mut()
            .insert("idempotency-key", key.parse().expect("a header value"));
    }
    client::Connection::open(address).await?.send(request).await
}

/// `POST path` with a JSON `body` and no token; the request must be answered.
async fn post(address: SocketAddr, path: &str, body: &Value) -> Reply {
    client::call(address, Method::POST, path, None, Some(body))
        .await
        .unwrap_or_else(|error| panic!("POST {path} not answered: {error}"))
}

/// Logs in with [`PASSWORD`]; returns the access token.
pub async fn login(address: SocketAddr, email: &str) -> String {
    let body = json!({ "email": email, "password": PASSWORD });
    let reply = post(address, "/api/v1/auth/login", &body).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.json());
    reply.json()["access_token"].as_str().unwrap().to_owned()
}

/// Registers an account with `role` and logs in; returns the access token.
pub async fn account(address: SocketAddr, email: &str, role: &str) -> String {
    let body = json!({ "name": "Load", "email": email, "password": PASSWORD,
                       "gender": "undisclosed", "age": 30, "role": role });
    let reply = post(address, "/api/v1/auth/register", &body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.json());
    login(address, email).await
}

/// Creates a free event starting tomorrow as the organizer of `token`; returns its id.
pub async fn event(address: SocketAddr, token: &str, capacity: u64, per_user_limit: u64) -> String {
    let starts = SystemClock.now().plus(Duration::from_secs(86_400));
    let body = json!({ "title": "Sale", "location": "Hall", "starts_at": starts,
                       "ends_at": starts.plus(Duration::from_secs(3600)),
                       "capacity": capacity, "per_user_limit": per_user_limit });
    let reply = send(
        address,
        Method::POST,
        "/api/v1/events",
        token,
        Some(&body),
        None,
    )
    .await
    .expect("event creation answered");
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.json());
    reply.json()["id"].as_str().unwrap().to_owned()
}

/// The `seats` object of `event`, after checking that capacity = booked + held + remaining.
pub async fn seats_adding_up(
    address: SocketAddr,
    token: &str,
    event: &str,
    capacity: u64,
) -> Value {
    let path = format!("/api/v1/events/{event}");
    let reply = send(address, Method::GET, &path, token, None, None)
        .await
        .expect("answered");
    let seats = reply.json()["seats"].clone();
    let count = |field: &str| seats[field].as_u64().unwrap();
    assert_eq!(count("capacity"), capacity, "{seats}");
    assert_eq!(
        count("booked") + count("held") + count("remaining"),
        capacity,
        "{seats}"
    );
    seats
}

/// Asserts that the admin integrity endpoint finds nothing wrong.
pub async fn assert_intact(address: SocketAddr) {
    let admin = login(address, ADMIN_EMAIL).await;
    let reply = send(
        address,
        Method::GET,
        "/api/v1/admin/integrity",
        &admin,
        None,
        None,
    )
    .await
    .expect("answered");
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.json());
    assert_eq!(reply.json()["ok"], true, "integrity: {:?}", reply.json());
}
