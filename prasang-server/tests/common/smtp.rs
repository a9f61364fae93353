//! The smallest SMTP server the server's e-mail can be sent to: answers EHLO/HELO, MAIL, RCPT,
//! DATA, RSET, NOOP and QUIT, and keeps every message. (prasang-core's plugin tests have a fuller
//! one that can hold its answers back; this one only listens.)

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One accepted message.
#[derive(Debug, Clone)]
pub struct Received {
    pub to: Vec<String>,
    /// The message as sent, dot-stuffing removed.
    pub data: Vec<u8>,
}

pub struct SmtpSink {
    pub port: u16,
    messages: Arc<Mutex<Vec<Received>>>,
}

impl SmtpSink {
    pub fn start() -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
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

    /// Waits up to 30 s until `n` messages arrived; returns them.
    pub fn wait_for(&self, n: usize) -> Vec<Received> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let messages = self.messages.lock().unwrap().clone();
            if messages.len() >= n || Instant::now() > deadline {
                return messages;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

fn serve(stream: TcpStream, kept: &Mutex<Vec<Received>>) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut out = stream;
    out.write_all(b"220 sink ESMTP\r\n")?;
    let mut to = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let command = line.trim_end().to_ascii_uppercase();
        let reply: &[u8] = if command.starts_with("EHLO") || command.starts_with("HELO") {
            b"250 sink\r\n"
        } else if command.starts_with("RCPT TO:") {
            let address = line.trim_end()[8..].trim().trim_matches(['<', '>']);
            to.push(address.to_owned());
            b"250 ok\r\n"
        } else if command.starts_with("DATA") {
            out.write_all(b"354 go on\r\n")?;
            let mut data = Vec::new();
            loop {
                let mut body_line = Vec::new();
                if reader.read_until(b'\n', &mut body_line)? == 0 {
                    return Ok(());
                }
                if body_line == b".\r\n" {
                    break;
                }
                let unstuffed = body_line.strip_prefix(b".").unwrap_or(&body_line);
                data.extend_from_slice(unstuffed);
            }
            let to = std::mem::take(&mut to);
            kept.lock().unwrap().push(Received { to, data });
            b"250 kept\r\n"
        } else if command.starts_with("QUIT") {
            out.write_all(b"221 bye\r\n")?;
            return Ok(());
        } else {
            // MAIL, RSET, NOOP and anything else.
            b"250 ok\r\n"
        };
        out.write_all(reply)?;
    }
}
