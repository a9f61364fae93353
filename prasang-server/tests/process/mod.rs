//! The server as a separate process (the `prasang-server` binary: `$PRASANG_SERVER_BIN` when the
//! suite built the release one, else the binary cargo built for these tests), for tests that
//! kill it or starve it: what an in-process server cannot show.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

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
    /// Starts the server on `data_dir` and waits until it serves; its log (stderr) is appended
    /// to `log`.
    pub fn start(data_dir: &Path, log: &Path) -> ServerProcess {
        let mut command = Command::new(binary());
        command.args(serve_flags(data_dir));
        Self::spawn(command, log)
    }

    /// Starts the server as [`ServerProcess::start`] does, inside `sh -c` with `limits` (shell
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
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .expect("the log file opens");
        let mut child = command
            .env("PRASANG_LOG", "info")
            // Every acknowledged write durable, whatever the caller's environment says.
            .env_remove("PRASANG_PERIODIC_FLUSH_MS")
            .stdout(Stdio::piped())
            .stderr(log)
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
        // Keep reading the banner so that the server never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        ServerProcess { child, address }
    }

    /// SIGKILL: no shutdown, no flush, nothing.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
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
