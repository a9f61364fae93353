//! In-process servers that stand in for an SMTP relay and a webhook receiver, for the plugin
//! tests (prasang-core), the server's notification tests (prasang-server) and the plugin
//! benchmark (plugins/bench).
//!
//! Each sink listens on loopback, serves every connection on a thread of its own and keeps what
//! it receives for the test to inspect:
//!
//! - [`smtp::SmtpSink`]: an RFC 5321 subset that keeps every message (envelope, Message-ID, raw
//!   text) and can hold back its answers, to crash a sender mid-delivery.
//! - [`http::HttpSink`]: a keep-alive HTTP/1.1 server that keeps every request and answers with
//!   a status of the test's choosing.
//!
//! The rest of the kit: [`plugins::plugins_dir`], the built plugins the tests load (one
//! `PRASANG_PLUGINS_DIR` rule for every test), and [`sample::booked`], the notification the
//! plugin tests and the plugin benchmark deliver.
//!
//! Both sinks have a lean variant for the benchmark, which sends hundreds of thousands of messages: it
//! keeps only what the benchmark reads, and the sinks are tuned so a client never waits for a
//! delayed ACK.
//!
//! ```
//! use prasang_test_sinks::smtp::SmtpSink;
//! use std::io::{BufRead, BufReader, Write};
//!
//! let sink = SmtpSink::start();
//! let mut client = std::net::TcpStream::connect(("127.0.0.1", sink.port)).unwrap();
//! let mut replies = BufReader::new(client.try_clone().unwrap());
//! let mut reply = String::new();
//! replies.read_line(&mut reply).unwrap(); // 220
//! for command in ["HELO me", "MAIL FROM:<a@example.org>", "RCPT TO:<b@example.org>", "DATA"] {
//!     write!(client, "{command}\r\n").unwrap();
//!     reply.clear();
//!     replies.read_line(&mut reply).unwrap();
//! }
//! client.write_all(b"Message-ID: <1@example.org>\r\n\r\nHello\r\n.\r\n").unwrap();
//! let messages = sink.wait_for(1);
//! assert_eq!(messages[0].to, ["b@example.org"]);
//! assert_eq!(messages[0].message_id.as_deref(), Some("<1@example.org>"));
//! ```

pub mod http;
pub mod plugins;
pub mod sample;
pub mod smtp;

use std::net::{TcpListener, TcpStream};
use std::sync::Arc;

/// A port on loopback with nothing listening on it (at least for now): somewhere a sink can be
/// started later with [`smtp::SmtpSink::start_on`], to test a server that is down at first.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port on loopback")
        .port()
}

/// Serves every connection `listener` accepts with `serve`, on a thread each; returns the port.
///
/// A thread per connection: the clients keep a few connections alive and reuse them, and for a
/// few busy connections a blocking read loop is the cheapest server there is.
fn serve_each<S: Send + Sync + 'static>(
    listener: TcpListener,
    shared: &Arc<S>,
    serve: fn(TcpStream, &S) -> std::io::Result<()>,
) -> u16 {
    let port = listener.local_addr().expect("a bound socket").port();
    let shared = Arc::clone(shared);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let shared = Arc::clone(&shared);
            std::thread::spawn(move || {
                // The client hung up or misbehaved: that connection is over, the sink goes on.
                let _ = serve(stream, &shared);
            });
        }
    });
    port
}
