//! Test harness: the real server on port 0 with a temporary store, and a client that talks to it
//! as any HTTP client would.
#![allow(dead_code)]

use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::Full;
use hyper::{Method, Request, StatusCode};
use prasang_core::{Clock, Prasang, SystemClock};
use prasang_server::client::{self, Connection, Reply};
use prasang_server::{Application, ServerConfig};
use serde_json::{Value, json};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub struct TestApp {
    pub address: SocketAddr,
    pub prasang: Prasang,
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<()>>,
}

pub async fn spawn() -> TestApp {
    spawn_with(ServerConfig::temporary()).await
}

pub async fn spawn_with(config: ServerConfig) -> TestApp {
    let app = Application::build(config).await.expect("the server starts");
    let address = app.address();
    let prasang = app.prasang().clone();
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        app.run_until(async {
            let _ = stopped.await;
        })
        .await
        .expect("the server stops cleanly");
    });
    TestApp {
        address,
        prasang,
        stop: Some(stop),
        server: Some(server),
    }
}

impl TestApp {
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Reply {
        client::call(self.address, method, path, token, body)
            .await
            .expect("the request is answered")
    }

    pub async fn raw(&self, request: Request<Full<Bytes>>) -> Reply {
        Connection::open(self.address)
            .await
            .expect("connect")
            .send(request)
            .await
            .expect("answered")
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Reply {
        self.send(Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> Reply {
        self.send(Method::POST, path, token, Some(body)).await
    }

    /// Registers an account and returns its JSON.
    pub async fn register(&self, email: &str, role: &str) -> Value {
        let reply = self
            .post(
                "/api/v1/auth/register",
                None,
                &json!({ "name": email.split('@').next().unwrap(), "email": email,
                         "password": "password123", "gender": "female", "age": 30, "role": role }),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.json());
        reply.json()
    }

    /// Logs in and returns the session JSON.
    pub async fn login(&self, email: &str) -> Value {
        let reply = self
            .post(
                "/api/v1/auth/login",
                None,
                &json!({ "email": email, "password": "password123" }),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.json());
        reply.json()
    }

    /// Registers and logs in; returns the access token.
    pub async fn user(&self, email: &str, role: &str) -> String {
        self.register(email, role).await;
        self.login(email).await["access_token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Creates an event starting in a day; returns its JSON.
    pub async fn event(&self, token: &str, capacity: u32, price_minor: u64) -> Value {
        let starts = self
            .prasang
            .now()
            .plus(std::time::Duration::from_secs(86_400));
        let reply = self
            .post(
                "/api/v1/events",
                Some(token),
                &json!({ "title": "Concert", "location": "Hall", "starts_at": starts,
                         "ends_at": starts.plus(std::time::Duration::from_secs(3600)),
                         "capacity": capacity, "price_minor": price_minor }),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.json());
        reply.json()
    }

    /// Stops the server gracefully and waits for it.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.expect("server task");
        }
    }
}

/// The `type` slug of a problem reply.
pub fn problem(reply: &Reply) -> String {
    assert_eq!(
        reply.header("content-type"),
        Some("application/problem+json"),
        "{:?}",
        reply.json()
    );
    reply.json()["type"]
        .as_str()
        .unwrap_or_default()
        .trim_start_matches("urn:prasang:problem:")
        .to_owned()
}

pub fn now_plus_days(days: u64) -> prasang_core::Timestamp {
    SystemClock
        .now()
        .plus(std::time::Duration::from_secs(days * 86_400))
}
