//! A minimal SMTP server (RFC 5321 subset: EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT) that
//! keeps every message it accepts, and can be told to hold back its answers.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// One accepted message.
#[derive(Debug, Clone)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    /// The message as sent (dot-stuffing removed), CRLF line ends.
    pub data: Vec<u8>,
}

pub struct SmtpSink {
    pub port: u16,
    shared: Arc<Shared>,
}

#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    /// Signalled when a message arrives or the hold is lifted.
    changed: Condvar,
}

#[derive(Default)]
struct State {
    /// Every message kept, in order of arrival.
    messages: Vec<Received>,
    /// While set, every message after the first `n` is kept but not answered.
    hold_after: Option<usize>,
    /// The kept messages whose answer is being held back.
    held: Vec<Received>,
    /// How often the hold was lifted: a held answer waits for the next lift, even if a new
    /// hold starts before its thread wakes up.
    releases: u64,
}

impl SmtpSink {
    pub fn start() -> SmtpSink {
        Self::on(TcpListener::bind("127.0.0.1:0").unwrap())
    }

    /// Listens on a port chosen earlier (to bring a server "back up").
    pub fn start_on(port: u16) -> SmtpSink {
        Self::on(TcpListener::bind(("127.0.0.1", port)).unwrap())
    }

    fn on(listener: TcpListener) -> SmtpSink {
        let port = listener.local_addr().unwrap().port();
        let shared = Arc::new(Shared::default());
        let kept = Arc::clone(&shared);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let kept = Arc::clone(&kept);
                std::thread::spawn(move || {
                    let _ = serve(stream, &kept);
                });
            }
        });
        SmtpSink { port, shared }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.shared.state.lock().unwrap()
    }

    pub fn messages(&self) -> Vec<Received> {
        self.state().messages.clone()
    }

    /// How many messages were kept so far.
    pub fn count(&self) -> usize {
        self.state().messages.len()
    }

    /// Waits up to 5 s for `n` messages.
    pub fn wait_for(&self, n: usize) -> Vec<Received> {
        self.wait_until(Duration::from_secs(5), |state| state.messages.len() >= n);
        self.messages()
    }

    /// From now on, keeps every message after the first `n` (counting from the first this server
    /// ever got) but holds back its `250`, until [`release`](Self::release): the sender does not
    /// know yet whether it arrived. A crash test kills the sender in that window.
    pub fn hold_replies_after(&self, n: usize) {
        self.state().hold_after = Some(n);
    }

    /// Waits up to `timeout` until at least `n` answers are held back; returns those messages.
    pub fn wait_for_held(&self, n: usize, timeout: Duration) -> Vec<Received> {
        self.wait_until(timeout, |state| state.held.len() >= n);
        self.state().held.clone()
    }

    /// Sends the held-back answers (to whoever still listens) and stops holding.
    pub fn release(&self) {
        let mut state = self.state();
        state.hold_after = None;
        state.held.clear();
        state.releases += 1;
        self.shared.changed.notify_all();
    }

    fn wait_until(&self, timeout: Duration, done: impl Fn(&State) -> bool) {
        let deadline = Instant::now() + timeout;
        let mut state = self.state();
        while !done(&state) {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return;
            }
            state = self.shared.changed.wait_timeout(state, left).unwrap().0;
        }
    }
}

/// A port on loopback with nothing listening on it (at least for now).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn serve(stream: TcpStream, shared: &Shared) -> std::io::Result<()> {
    // Without this, small replies wait for delayed ACKs (~40 ms per message).
    stream.set_nodelay(true)?;
    let mut reader = BufReader::new(QuickAck(stream.try_clone()?));
    let mut out = stream;
    out.write_all(b"220 test-smtp ready\r\n")?;
    let (mut from, mut to) = (String::new(), Vec::new());
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let command = line.trim_end().to_owned();
        let verb = command
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        match verb.as_str() {
            "EHLO" => out.write_all(b"250-test-smtp\r\n250 8BITMIME\r\n")?,
            "HELO" => out.write_all(b"250 test-smtp\r\n")?,
            "MAIL" => {
                from = address(&command);
                to.clear();
                out.write_all(b"250 OK\r\n")?;
            }
            "RCPT" => {
                to.push(address(&command));
                out.write_all(b"250 OK\r\n")?;
            }
            "DATA" => {
                out.write_all(b"354 end with <CRLF>.<CRLF>\r\n")?;
                let mut data = Vec::new();
                loop {
                    let mut line = Vec::new();
                    if reader.read_until(b'\n', &mut line)? == 0 {
                        return Ok(());
                    }
                    if line == b".\r\n" || line == b".\n" {
                        break;
                    }
                    let line = line.strip_prefix(b".").unwrap_or(&line);
                    data.extend_from_slice(line);
                }
                keep(
                    shared,
                    Received {
                        from: from.clone(),
                        to: to.clone(),
                        data,
                    },
                );
                out.write_all(b"250 OK queued\r\n")?;
            }
            "RSET" | "NOOP" => out.write_all(b"250 OK\r\n")?,
            "QUIT" => {
                out.write_all(b"221 bye\r\n")?;
                return Ok(());
            }
            _ => out.write_all(b"502 not implemented\r\n")?,
        }
    }
}

/// lettre writes the message and the closing `.` in two writes; with Nagle on its side and a
/// delayed ACK on ours, each message would wait ~40 ms. Re-arming TCP_QUICKACK before every
/// read makes this server ACK at once, as a busy relay effectively does.
struct QuickAck(TcpStream);

impl Read for QuickAck {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let one: libc::c_int = 1;
        // SAFETY: a valid socket and a pointer to a c_int of the size given.
        unsafe {
            libc::setsockopt(
                self.0.as_raw_fd(),
                libc::IPPROTO_TCP,
                libc::TCP_QUICKACK,
                (&one as *const libc::c_int).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            );
        }
        self.0.read(buf)
    }
}

/// Keeps a message; returns once it may be answered.
fn keep(shared: &Shared, message: Received) {
    let mut state = shared.state.lock().unwrap();
    state.messages.push(message.clone());
    if state.hold_after.is_some_and(|n| state.messages.len() > n) {
        state.held.push(message);
        shared.changed.notify_all();
        let releases = state.releases;
        while state.releases == releases {
            state = shared.changed.wait(state).unwrap();
        }
    } else {
        shared.changed.notify_all();
    }
}

fn address(command: &str) -> String {
    let start = command.find('<').map_or(0, |i| i + 1);
    let end = command[start..]
        .find('>')
        .map_or(command.len(), |i| start + i);
    command[start..end].to_owned()
}
