//! A minimal SMTP server (RFC 5321 subset: EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT;
//! PIPELINING, which a line-at-a-time server gets for free) that
//! keeps every message it accepts, and can be told to hold back its answers.

use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// How long [`SmtpSink::wait_for`] waits at the most.
const WAIT_FOR: Duration = Duration::from_secs(30);

/// One accepted message.
#[derive(Debug, Clone)]
pub struct Received {
    /// When the final `.` was read (before the reply was sent).
    pub at: Instant,
    /// The envelope sender (`MAIL FROM`), without angle brackets.
    pub from: String,
    /// The envelope recipients (`RCPT TO`), without angle brackets.
    pub to: Vec<String>,
    /// The `Message-ID` header, angle brackets included.
    pub message_id: Option<String>,
    /// The message as sent (dot-stuffing removed, CRLF line ends); empty from a
    /// [lean](SmtpSink::start_lean) sink.
    pub data: Vec<u8>,
}

/// An SMTP server on loopback; it stops with the process.
///
/// ```
/// let sink = prasang_test_sinks::smtp::SmtpSink::start();
/// // Point the sender at ("127.0.0.1", sink.port), send, then:
/// assert!(sink.wait_for(0).is_empty());
/// ```
pub struct SmtpSink {
    /// The port it listens on (on 127.0.0.1).
    pub port: u16,
    shared: Arc<Shared>,
}

struct Shared {
    /// Whether to keep each message's text (off for the benchmark).
    keep_data: bool,
    state: Mutex<State>,
    /// Signalled when a message arrives (if anyone waits) or the hold is lifted.
    changed: Condvar,
}

#[derive(Default)]
struct State {
    /// The messages kept and not yet [taken](SmtpSink::take), in order of arrival.
    messages: Vec<Received>,
    /// How many messages arrived in all.
    count: usize,
    /// Threads waiting on `changed` for a message: without any, an arrival signals nobody, so
    /// a busy sink makes no futex call per message.
    waiters: usize,
    /// While set, every message after the first `n` is kept but not answered.
    hold_after: Option<usize>,
    /// The kept messages whose answer is being held back.
    held: Vec<Received>,
    /// How often the hold was lifted: a held answer waits for the next lift, even if a new
    /// hold starts before its thread wakes up.
    releases: u64,
}

impl SmtpSink {
    /// Listens on a free port and keeps every message whole.
    pub fn start() -> SmtpSink {
        Self::on(Self::bind(0), true)
    }

    /// Listens on a port chosen earlier (see [`free_port`](crate::free_port)), to bring a
    /// server "back up".
    pub fn start_on(port: u16) -> SmtpSink {
        Self::on(Self::bind(port), true)
    }

    /// Listens on a free port and keeps of each message only its envelope, Message-ID and time
    /// of arrival, not its text: for the benchmark, which sends hundreds of thousands.
    pub fn start_lean() -> SmtpSink {
        Self::on(Self::bind(0), false)
    }

    fn bind(port: u16) -> TcpListener {
        TcpListener::bind(("127.0.0.1", port)).expect("binding the SMTP sink")
    }

    fn on(listener: TcpListener, keep_data: bool) -> SmtpSink {
        let shared = Arc::new(Shared {
            keep_data,
            state: Mutex::default(),
            changed: Condvar::new(),
        });
        let port = crate::serve_each(listener, &shared, serve);
        SmtpSink { port, shared }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.shared.state.lock().expect("SMTP sink lock")
    }

    /// The messages kept so far (since the last [`take`](Self::take)).
    pub fn messages(&self) -> Vec<Received> {
        self.state().messages.clone()
    }

    /// Takes the messages kept so far; [`count`](Self::count) goes on counting them.
    pub fn take(&self) -> Vec<Received> {
        std::mem::take(&mut self.state().messages)
    }

    /// How many messages arrived so far, taken or not.
    pub fn count(&self) -> usize {
        self.state().count
    }

    /// Waits up to 30 s until `n` messages arrived; returns the messages kept.
    pub fn wait_for(&self, n: usize) -> Vec<Received> {
        self.wait_until(WAIT_FOR, |state| state.count >= n);
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
        state.waiters += 1;
        while !done(&state) {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            state = self
                .shared
                .changed
                .wait_timeout(state, left)
                .expect("SMTP sink lock")
                .0;
        }
        state.waiters -= 1;
    }
}

fn serve(stream: TcpStream, shared: &Shared) -> std::io::Result<()> {
    // Without this, small replies wait for delayed ACKs (~40 ms per message).
    stream.set_nodelay(true)?;
    let mut reader = BufReader::new(QuickAck(stream.try_clone()?));
    // Replies to pipelined commands go out together, as real servers send them: the replies
    // are flushed only when everything the client sent so far has been answered.
    let mut out = BufWriter::new(stream);
    out.write_all(b"220 test-smtp ready\r\n")?;
    let (mut from, mut to) = (String::new(), Vec::new());
    let mut line = Vec::new();
    loop {
        if reader.buffer().is_empty() {
            out.flush()?;
        }
        line.clear();
        if reader.read_until(b'\n', &mut line)? == 0 {
            return Ok(());
        }
        let verb = line
            .split(|b| b.is_ascii_whitespace())
            .next()
            .unwrap_or_default()
            .to_ascii_uppercase();
        match &verb[..] {
            b"EHLO" => out.write_all(b"250-test-smtp\r\n250-PIPELINING\r\n250 8BITMIME\r\n")?,
            b"HELO" => out.write_all(b"250 test-smtp\r\n")?,
            b"MAIL" => {
                from = address(&line);
                to.clear();
                out.write_all(b"250 OK\r\n")?;
            }
            b"RCPT" => {
                to.push(address(&line));
                out.write_all(b"250 OK\r\n")?;
            }
            b"RSET" => {
                from.clear();
                to.clear();
                out.write_all(b"250 OK\r\n")?;
            }
            b"NOOP" => out.write_all(b"250 OK\r\n")?,
            b"DATA" => {
                out.write_all(b"354 end with <CRLF>.<CRLF>\r\n")?;
                out.flush()?;
                let Some((message_id, data)) = read_data(&mut reader, &mut line, shared.keep_data)?
                else {
                    return Ok(());
                };
                let message = Received {
                    at: Instant::now(),
                    // The envelope ends with its message: the next one starts with MAIL.
                    from: std::mem::take(&mut from),
                    to: std::mem::take(&mut to),
                    message_id,
                    data,
                };
                keep(shared, message);
                out.write_all(b"250 OK queued\r\n")?;
            }
            b"QUIT" => {
                out.write_all(b"221 bye\r\n")?;
                return out.flush();
            }
            _ => out.write_all(b"502 not implemented\r\n")?,
        }
    }
}

/// Reads a message up to the closing `.`: its Message-ID and (if `keep_data`) its text, or
/// `None` if the client hung up first.
fn read_data(
    reader: &mut impl BufRead,
    line: &mut Vec<u8>,
    keep_data: bool,
) -> std::io::Result<Option<(Option<String>, Vec<u8>)>> {
    let (mut message_id, mut data) = (None, Vec::new());
    let mut in_headers = true;
    loop {
        line.clear();
        if reader.read_until(b'\n', line)? == 0 {
            return Ok(None);
        }
        if line == b".\r\n" || line == b".\n" {
            return Ok(Some((message_id, data)));
        }
        if in_headers {
            in_headers = line != b"\r\n" && line != b"\n";
            if message_id.is_none() {
                message_id = header(line, "message-id");
            }
        }
        if keep_data {
            data.extend_from_slice(line.strip_prefix(b".").unwrap_or(line));
        }
    }
}

/// Keeps a message; returns once it may be answered.
fn keep(shared: &Shared, message: Received) {
    let mut state = shared.state.lock().expect("SMTP sink lock");
    state.count += 1;
    if state.hold_after.is_some_and(|n| state.count > n) {
        state.messages.push(message.clone());
        state.held.push(message);
        shared.changed.notify_all();
        let releases = state.releases;
        state.waiters += 1;
        while state.releases == releases {
            state = shared.changed.wait(state).expect("SMTP sink lock");
        }
        state.waiters -= 1;
    } else {
        state.messages.push(message);
        if state.waiters > 0 {
            shared.changed.notify_all();
        }
    }
}

/// The address in a `MAIL FROM:<…>` or `RCPT TO:<…>` line.
fn address(line: &[u8]) -> String {
    let line = String::from_utf8_lossy(line);
    let line = line.trim_end();
    let start = line
        .find('<')
        .map_or_else(|| line.find(':').map_or(line.len(), |i| i + 1), |i| i + 1);
    let end = line[start..].find('>').map_or(line.len(), |i| start + i);
    line[start..end].trim().to_owned()
}

/// The value of `line` if it is the header `name` (lettre never folds Message-ID).
fn header(line: &[u8], name: &str) -> Option<String> {
    let line = std::str::from_utf8(line).ok()?;
    let (field, value) = line.split_once(':')?;
    field
        .eq_ignore_ascii_case(name)
        .then(|| value.trim().to_owned())
}

/// lettre writes the message and the closing `.` in two writes; with Nagle on its side and a
/// delayed ACK on ours, each message would wait ~40 ms. Re-arming TCP_QUICKACK before every
/// read (the kernel clears it again on its own) makes this sink ACK at once, as a busy relay
/// effectively does.
struct QuickAck(TcpStream);

impl Read for QuickAck {
    #[allow(unsafe_code)] // setsockopt: std has no TCP_QUICKACK
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_lose_their_brackets_and_parameters() {
        assert_eq!(address(b"MAIL FROM:<a@x.org> BODY=8BITMIME\r\n"), "a@x.org");
        assert_eq!(address(b"RCPT TO:<b@x.org>\r\n"), "b@x.org");
        assert_eq!(address(b"RCPT TO: c@x.org\r\n"), "c@x.org");
    }
}
