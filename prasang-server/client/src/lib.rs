//! A minimal HTTP/1.1 client over one keep-alive connection, used by the benchmark's load
//! generator (`prasang-server bench`) and by the server's integration tests (no TLS, no pool: it
//! talks to a server on loopback). A crate of its own so that it is not part of the server
//! library's API.

pub mod usage;

use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HOST, HeaderMap, HeaderValue};
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::Value;

/// Errors of the client.
pub type ClientError = Box<dyn std::error::Error + Send + Sync>;

/// A response read in full.
#[derive(Debug, Clone)]
pub struct Reply {
    /// Status code.
    pub status: StatusCode,
    /// Headers.
    pub headers: HeaderMap,
    /// Raw body.
    pub body: Bytes,
}

impl Reply {
    /// The body parsed as JSON (`Value::Null` when it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// One open connection to a server.
pub struct Connection {
    address: SocketAddr,
    sender: SendRequest<Full<Bytes>>,
}

impl Connection {
    /// Opens a connection.
    pub async fn open(address: SocketAddr) -> Result<Connection, ClientError> {
        let stream = tokio::net::TcpStream::connect(address).await?;
        stream.set_nodelay(true)?;
        let (sender, connection) =
            hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(async move {
            let _ = connection.await;
        });
        Ok(Connection { address, sender })
    }

    /// Sends a request and reads the whole response; reconnects once if the server had closed
    /// the connection.
    pub async fn send(&mut self, request: Request<Full<Bytes>>) -> Result<Reply, ClientError> {
        if self.sender.ready().await.is_err() || self.sender.is_closed() {
            *self = Connection::open(self.address).await?;
        }
        let response = self.sender.send_request(request).await?;
        let (parts, body) = response.into_parts();
        let body = body.collect().await?.to_bytes();
        Ok(Reply {
            status: parts.status,
            headers: parts.headers,
            body,
        })
    }
}

/// Builds a request: `body` is sent as JSON when given; `token` becomes a bearer header.
pub fn request(
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> Request<Full<Bytes>> {
    let mut builder = Request::builder()
        .method(method)
        .uri(path)
        .header(HOST, HeaderValue::from_static("localhost"));
    if let Some(token) = token {
        builder = builder.header(AUTHORIZATION, format!("Bearer {token}"));
    }
    let body = match body {
        Some(value) => {
            builder = builder.header(CONTENT_TYPE, "application/json");
            Bytes::from(value.to_string())
        }
        None => Bytes::new(),
    };
    builder.body(Full::new(body)).expect("a valid request")
}

/// Convenience: open a fresh connection, send one request, return the reply.
pub async fn call(
    address: SocketAddr,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> Result<Reply, ClientError> {
    Connection::open(address)
        .await?
        .send(request(method, path, token, body))
        .await
}
