//! Test harness: the real server on port 0 with a temporary store, and a client that talks to it
//! as any HTTP client would.
#![allow(dead_code)]

pub mod browser;

use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::Full;
use hyper::{Method, Request, StatusCode};
use prasang_core::{Clock, Prasang, SystemClock};
use prasang_http_client::{self as client, Connection, Reply};
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
    serve(Application::build(config).await.expect("the server starts"))
}

/// A server whose clock starts on a whole minute (forms take minutes) and moves only when the
/// test moves it.
pub async fn spawn_clocked() -> (TestApp, prasang_core::ManualClock) {
    let now = SystemClock.now().as_millis();
    let clock =
        prasang_core::ManualClock::new(prasang_core::Timestamp::from_millis(now - now % 60_000));
    let config = ServerConfig {
        store: prasang_core::Config::temporary().clock(clock.clone()),
        ..ServerConfig::temporary()
    };
    (spawn_with(config).await, clock)
}

/// Runs a built application in the background.
pub fn serve(app: Application) -> TestApp {
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

    pub async fn put(&self, path: &str, token: Option<&str>, body: &Value) -> Reply {
        self.send(Method::PUT, path, token, Some(body)).await
    }

    pub async fn patch(&self, path: &str, token: Option<&str>, body: &Value) -> Reply {
        self.send(Method::PATCH, path, token, Some(body)).await
    }

    pub async fn delete(&self, path: &str, token: Option<&str>) -> Reply {
        self.send(Method::DELETE, path, token, None).await
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

    /// `POST /api/v1/auth/refresh` with `refresh_token` (a JSON string, as a session holds it).
    pub async fn refresh(&self, refresh_token: &Value) -> Reply {
        let body = json!({ "refresh_token": refresh_token });
        self.post("/api/v1/auth/refresh", None, &body).await
    }

    /// `POST /api/v1/auth/logout` of the session holding `refresh_token` (a JSON string).
    pub async fn logout(&self, refresh_token: &Value) -> Reply {
        let body = json!({ "refresh_token": refresh_token });
        self.post("/api/v1/auth/logout", None, &body).await
    }

    /// `POST /api/v1/auth/login` with this password, whatever the answer.
    pub async fn try_login(&self, email: &str, password: &str) -> Reply {
        let body = json!({ "email": email, "password": password });
        self.post("/api/v1/auth/login", None, &body).await
    }

    /// `PUT /api/v1/users/{user}/role` as the holder of `token`.
    pub async fn set_role(&self, token: &str, user: &str, role: &str) -> Reply {
        let path = format!("/api/v1/users/{user}/role");
        self.put(&path, Some(token), &json!({ "role": role })).await
    }

    /// `POST /api/v1/auth/register` with `body` as it stands (for refusals).
    pub async fn register_with(&self, body: &Value) -> Reply {
        self.post("/api/v1/auth/register", None, body).await
    }

    /// The status `GET path` answers with, as the holder of `token`.
    pub async fn status(&self, path: &str, token: Option<&str>) -> StatusCode {
        self.get(path, token).await.status
    }

    /// `GET /api/v1/me` as the holder of `token`.
    pub async fn me(&self, token: &str) -> Reply {
        self.get("/api/v1/me", Some(token)).await
    }

    /// The status `GET /api/v1/me` answers with for the holder of `token`.
    pub async fn me_status(&self, token: &str) -> StatusCode {
        self.me(token).await.status
    }

    /// Asserts that `GET /api/v1/me` refuses `token` as unauthorized, with this problem slug.
    pub async fn assert_me_refused(&self, token: &str, slug: &str) {
        assert_problem(&self.me(token).await, StatusCode::UNAUTHORIZED, slug);
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

    /// Registers `email` as an attendee and logs in; returns the session JSON.
    pub async fn attendee_session(&self, email: &str) -> Value {
        self.register(email, "attendee").await;
        self.login(email).await
    }

    /// Logs in; returns only the access token.
    pub async fn access_token(&self, email: &str) -> String {
        self.login(email).await["access_token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Registers and logs in; returns the access token.
    pub async fn user(&self, email: &str, role: &str) -> String {
        self.register(email, role).await;
        self.access_token(email).await
    }

    /// Books one seat of `event` (an id) for the holder of `token`.
    pub async fn book(&self, event: &str, token: &str) -> Reply {
        self.post(
            &format!("/api/v1/events/{event}/tickets"),
            Some(token),
            &json!({}),
        )
        .await
    }

    /// Books `seats` seats of `event` (an id) for the holder of `token`; the ticket's id.
    pub async fn book_seats(&self, event: &str, token: &str, seats: u32) -> String {
        let reply = self
            .post(
                &format!("/api/v1/events/{event}/tickets"),
                Some(token),
                &json!({ "quantity": seats }),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.json());
        reply.json()["id"].as_str().unwrap().to_owned()
    }

    /// Cancels the ticket or event at `path` (`POST {path}/cancel`) as the holder of `token`.
    pub async fn cancel(&self, path: &str, token: &str) -> Reply {
        self.post(&format!("{path}/cancel"), Some(token), &json!({}))
            .await
    }

    /// Creates an admin through the core (admins cannot self-register), logs in; returns the
    /// access token.
    pub async fn admin(&self, email: &str) -> String {
        self.prasang
            .users()
            .create_admin(prasang_core::users::NewUser {
                name: "Root".into(),
                email: email.into(),
                password: "password123".into(),
                gender: prasang_core::users::Gender::Undisclosed,
                age: 40,
                role: prasang_core::users::Role::Admin,
            })
            .unwrap();
        self.access_token(email).await
    }

    /// `POST /api/v1/events` with `body` as the holder of `token`.
    pub async fn create_event(&self, token: &str, body: &Value) -> Reply {
        self.post("/api/v1/events", Some(token), body).await
    }

    /// Creates an event starting in a day; returns its JSON.
    pub async fn event(&self, token: &str, capacity: u32, price_minor: u64) -> Value {
        let starts = self
            .prasang
            .now()
            .plus(std::time::Duration::from_secs(86_400));
        let body = json!({ "title": "Concert", "location": "Hall", "starts_at": starts,
                           "ends_at": starts.plus(std::time::Duration::from_secs(3600)),
                           "capacity": capacity, "price_minor": price_minor });
        let reply = self.create_event(token, &body).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.json());
        reply.json()
    }

    /// Creates an event as [`TestApp::event`] does; returns only its id.
    pub async fn event_id(&self, token: &str, capacity: u32, price_minor: u64) -> String {
        self.event(token, capacity, price_minor).await["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Registers `email` as an organizer who creates an event as [`TestApp::event`] does;
    /// returns the organizer's access token and the event's id.
    pub async fn organizer_with_event(
        &self,
        email: &str,
        capacity: u32,
        price_minor: u64,
    ) -> (String, String) {
        let organizer = self.user(email, "organizer").await;
        let event = self.event_id(&organizer, capacity, price_minor).await;
        (organizer, event)
    }

    /// Registers `o@example.org` (organizer) and `a@example.org` (attendee) and has the organizer
    /// create an event as [`TestApp::event`] does; returns both access tokens and the event's id.
    pub async fn organizer_attendee_event(
        &self,
        capacity: u32,
        price_minor: u64,
    ) -> (String, String, String) {
        let organizer = self.user("o@example.org", "organizer").await;
        let attendee = self.user("a@example.org", "attendee").await;
        let event = self.event_id(&organizer, capacity, price_minor).await;
        (organizer, attendee, event)
    }

    /// The public `seats` object of `event` (an id): capacity, booked, remaining.
    pub async fn seats(&self, event: &str) -> Value {
        self.get(&format!("/api/v1/events/{event}"), None)
            .await
            .json()["seats"]
            .clone()
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

/// The access token a session JSON (as login answers) holds.
pub fn access_of(session: &Value) -> &str {
    session["access_token"]
        .as_str()
        .expect("the session has an access token")
}

/// Asserts that `reply` is a problem with this status and `type` slug.
pub fn assert_problem(reply: &Reply, status: StatusCode, slug: &str) {
    assert_eq!(reply.status, status, "{:?}", reply.json());
    assert_eq!(problem(reply), slug);
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

/// Checks the store's counters and indexes (as the embedding application: no HTTP involved).
pub fn assert_intact(prasang: &prasang_core::Prasang) {
    let report = prasang
        .verify_integrity(&prasang.auth().system_actor())
        .expect("the integrity check runs");
    assert!(report.is_ok(), "integrity problems: {:#?}", report.problems);
}
