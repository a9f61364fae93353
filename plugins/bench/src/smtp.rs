//! A minimal SMTP server (RFC 5321 subset: EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT) that
//! notes when each message arrived and its Message-ID (not the message itself: the benchmark
//! sends hundreds of thousands).

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// One accepted message.
#[derive(Debug, Clone)]
pub struct Received {
    /// When the final `.` was read (before the reply was sent).
    pub at: Instant,
    /// The `Message-ID` header, angle brackets included.
    pub message_id: Option<String>,
}

pub struct SmtpSink {
    pub port: u16,
    messages: Arc<Mutex<Vec<Received>>>,
}

impl SmtpSink {
    pub fn start() -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0").expect("binding the SMTP sink");
        let port = listener.local_addr().expect("a bound socket").port();
        let messages = Arc::new(Mutex::new(Vec::new()));
        let kept = Arc::clone(&messages);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let kept = Arc::clone(&kept);
                std::thread::spawn(move || {
                    let _ = serve(stream, &kept);
                });
            }
        });
        SmtpSink { port, messages }
    }

    /// Messages received so far.
    pub fn count(&self) -> usize {
        self.messages.lock().expect("sink lock").len()
    }

    /// Takes the messages received so far.
    pub fn take(&self) -> Vec<Received> {
        std::mem::take(&mut *self.messages.lock().expect("sink lock"))
    }
}

fn serve(stream: TcpStream, kept: &Mutex<Vec<Received>>) -> std::io::Result<()> {
    // Without this, small replies wait for delayed ACKs (~40 ms per message).
    stream.set_nodelay(true)?;
    let mut reader = BufReader::new(QuickAck(stream.try_clone()?));
    let mut out = stream;
    out.write_all(b"220 test-smtp ready\r\n")?;
    let mut line = Vec::new();
    loop {
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
            b"EHLO" => out.write_all(b"250-test-smtp\r\n250 8BITMIME\r\n")?,
            b"HELO" => out.write_all(b"250 test-smtp\r\n")?,
            b"MAIL" | b"RCPT" | b"RSET" | b"NOOP" => out.write_all(b"250 OK\r\n")?,
            b"DATA" => {
                out.write_all(b"354 end with <CRLF>.<CRLF>\r\n")?;
                let mut message_id = None;
                let mut in_headers = true;
                loop {
                    line.clear();
                    if reader.read_until(b'\n', &mut line)? == 0 {
                        return Ok(());
                    }
                    if line == b".\r\n" || line == b".\n" {
                        break;
                    }
                    if in_headers {
                        in_headers = line != b"\r\n";
                        if message_id.is_none() {
                            message_id = header(&line, "message-id");
                        }
                    }
                }
                let at = Instant::now();
                kept.lock()
                    .expect("sink lock")
                    .push(Received { at, message_id });
                out.write_all(b"250 OK queued\r\n")?;
            }
            b"QUIT" => {
                out.write_all(b"221 bye\r\n")?;
                return Ok(());
            }
            _ => out.write_all(b"502 not implemented\r\n")?,
        }
    }
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
/// read makes this sink ACK at once, as a busy relay effectively does.
pub struct QuickAck(pub TcpStream);

impl std::io::Read for QuickAck {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        use std::os::fd::AsRawFd;
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
        let n = self.0.read(buf)?;
        Ok(n)
    }
}
