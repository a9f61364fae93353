//! A minimal keep-alive HTTP/1.1 server that keeps every request and answers with a status of
//! the test's choosing (200 unless told otherwise).

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicU16, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long [`HttpSink::wait_for`] waits at the most.
const WAIT_FOR: Duration = Duration::from_secs(5);

/// One request as received.
#[derive(Debug, Clone)]
pub struct Request {
    /// `GET`, `POST`…
    pub method: String,
    /// The request target, e.g. `/hook?x=1`.
    pub path: String,
    /// Lower-cased names.
    pub headers: BTreeMap<String, String>,
    /// The body, as sent.
    pub body: Vec<u8>,
}

/// An HTTP server on loopback; it stops with the process.
///
/// ```
/// let sink = prasang_test_sinks::http::HttpSink::start();
/// sink.answer_with(503);
/// // POST to sink.url("/hook"), then:
/// assert!(sink.wait_for(0).is_empty());
/// ```
pub struct HttpSink {
    /// The port it listens on (on 127.0.0.1).
    pub port: u16,
    shared: Arc<Shared>,
}

struct Shared {
    /// Whether to keep the requests (off for the benchmark, which only counts them).
    record: bool,
    requests: Mutex<Vec<Request>>,
    count: AtomicUsize,
    status: AtomicU16,
}

impl HttpSink {
    /// Listens on a free port and keeps every request.
    pub fn start() -> HttpSink {
        Self::on(true)
    }

    /// Listens on a free port and only counts the requests: for the benchmark.
    pub fn start_counting() -> HttpSink {
        Self::on(false)
    }

    fn on(record: bool) -> HttpSink {
        let listener = TcpListener::bind("127.0.0.1:0").expect("binding the HTTP sink");
        let shared = Arc::new(Shared {
            record,
            requests: Mutex::default(),
            count: AtomicUsize::new(0),
            status: AtomicU16::new(200),
        });
        let port = crate::serve_each(listener, &shared, serve);
        HttpSink { port, shared }
    }

    /// `http://127.0.0.1:<port><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// `127.0.0.1:<port>`, as a plugin's allowed hosts name it.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Answer every following request with `status`.
    pub fn answer_with(&self, status: u16) {
        self.shared.status.store(status, Ordering::SeqCst);
    }

    /// The requests kept so far.
    pub fn requests(&self) -> Vec<Request> {
        self.shared.requests.lock().expect("HTTP sink lock").clone()
    }

    /// How many requests arrived so far.
    pub fn count(&self) -> usize {
        self.shared.count.load(Ordering::Relaxed)
    }

    /// Waits up to 5 s for `n` requests; returns the requests kept.
    pub fn wait_for(&self, n: usize) -> Vec<Request> {
        let deadline = Instant::now() + WAIT_FOR;
        while self.count() < n && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        self.requests()
    }
}

fn serve(stream: TcpStream, shared: &Shared) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut writer = stream;
    let (mut reply, mut replied_status) = (Vec::new(), 0);
    let mut headers = BTreeMap::new();
    let mut body = Vec::new();
    loop {
        let head = read_head(&mut reader, |name, value| {
            if shared.record {
                headers.insert(name.to_ascii_lowercase(), value.to_owned());
            }
        })?;
        let Some(head) = head else {
            return Ok(());
        };
        body.resize(head.content_length, 0);
        reader.read_exact(&mut body)?;
        if shared.record {
            let mut start = head.start_line.split_whitespace();
            let request = Request {
                method: start.next().unwrap_or_default().to_owned(),
                path: start.next().unwrap_or_default().to_owned(),
                headers: std::mem::take(&mut headers),
                body: std::mem::take(&mut body),
            };
            shared
                .requests
                .lock()
                .expect("HTTP sink lock")
                .push(request);
        }
        // Counted after it is kept, so `wait_for` finds what it counted.
        shared.count.fetch_add(1, Ordering::SeqCst);
        let status = shared.status.load(Ordering::SeqCst);
        if status != replied_status {
            reply =
                format!("HTTP/1.1 {status} Whatever\r\ncontent-length: 2\r\n\r\nok").into_bytes();
            replied_status = status;
        }
        writer.write_all(&reply)?;
    }
}

/// The start of an HTTP/1.1 request or response.
pub struct Head {
    /// `POST /hook HTTP/1.1` or `HTTP/1.1 200 OK`, line end removed.
    pub start_line: String,
    /// The `content-length`; 0 without one.
    pub content_length: usize,
}

/// Reads a request or response head, calling `header` with each header's name and value
/// (trimmed); `None` at the end of the stream. Also what the benchmark's raw client reads
/// answers with.
pub fn read_head(
    reader: &mut impl BufRead,
    mut header: impl FnMut(&str, &str),
) -> std::io::Result<Option<Head>> {
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    let start_line = line.trim_end().to_owned();
    let mut content_length = 0;
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Ok(None);
        }
        let field = line.trim_end();
        if field.is_empty() {
            return Ok(Some(Head {
                start_line,
                content_length,
            }));
        }
        if let Some((name, value)) = field.split_once(':') {
            let (name, value) = (name.trim(), value.trim());
            if name.eq_ignore_ascii_case("content-length") {
                content_length = value.parse().unwrap_or(0);
            }
            header(name, value);
        }
    }
}
