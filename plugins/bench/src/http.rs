//! A keep-alive HTTP/1.1 sink that answers every request with 200 and counts them.
//!
//! One blocking thread per connection: the clients keep a few connections alive and reuse them
//! (a connection per request would measure `connect` and thread start-up instead), and for a
//! few busy connections a blocking read loop is the cheapest server there is. The raw-client
//! rows of the benchmark measure this sink's own ceiling in the same run.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

pub struct HttpSink {
    pub port: u16,
    pub received: Arc<AtomicU64>,
}

impl HttpSink {
    pub fn start() -> HttpSink {
        let listener = TcpListener::bind("127.0.0.1:0").expect("binding the HTTP sink");
        let port = listener.local_addr().expect("a bound socket").port();
        let received = Arc::new(AtomicU64::new(0));
        let count = Arc::clone(&received);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let count = Arc::clone(&count);
                std::thread::spawn(move || {
                    let _ = serve(stream, &count);
                });
            }
        });
        HttpSink { port, received }
    }
}

fn serve(stream: TcpStream, count: &AtomicU64) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut writer = stream;
    let mut body = Vec::new();
    while let Some(length) = read_head(&mut reader)? {
        body.resize(length, 0);
        reader.read_exact(&mut body)?;
        count.fetch_add(1, Ordering::Relaxed);
        writer.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")?;
    }
    Ok(())
}

/// Reads a request or response head; returns its `content-length` (0 without one), or `None`
/// at the end of the stream.
pub fn read_head(reader: &mut impl BufRead) -> std::io::Result<Option<usize>> {
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    let mut length = 0;
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Ok(None);
        }
        let header = line.trim_end();
        if header.is_empty() {
            return Ok(Some(length));
        }
        if let Some((name, value)) = header.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap_or(0);
        }
    }
}
