//! Bad input is a 4xx problem with a clear message, never a 5xx or a panic.

mod common;

use bytes::Bytes;
use common::{assert_problem, problem, spawn, spawn_with};
use http_body_util::Full;
use hyper::{Method, Request, StatusCode};
use prasang_server::ServerConfig;
use serde_json::json;

fn raw(
    method: Method,
    path: &str,
    token: Option<&str>,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> Request<Full<Bytes>> {
    let mut builder = Request::builder()
        .method(method)
        .uri(path)
        .header("host", "localhost");
    if let Some(token) = token {
        builder = builder.header("authorization", format!("Bearer {token}"));
    }
    if let Some(kind) = content_type {
        builder = builder.header("content-type", kind);
    }
    builder.body(Full::new(Bytes::from(body))).unwrap()
}

/// What is sent, with which content type, and the status and problem slug expected.
type Case = (
    &'static str,
    Vec<u8>,
    Option<&'static str>,
    StatusCode,
    &'static str,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_bodies_are_client_errors() {
    let app = spawn().await;
    let organizer = app.user("o@example.org", "organizer").await;
    let json_type = Some("application/json");
    let cases: Vec<Case> = vec![
        ("truncated JSON", b"{\"title\": ".to_vec(), json_type, StatusCode::BAD_REQUEST, "malformed-json"),
        ("not JSON", b"title=hello".to_vec(), json_type, StatusCode::BAD_REQUEST, "malformed-json"),
        ("bad UTF-8", b"{\"title\": \"\xff\xfe\"}".to_vec(), json_type, StatusCode::BAD_REQUEST, "malformed-json"),
        ("wrong type", br#"{"title": 5, "location": "x", "starts_at": "2030-01-01T00:00:00Z", "ends_at": "2030-01-02T00:00:00Z", "capacity": 1}"#.to_vec(), json_type, StatusCode::UNPROCESSABLE_ENTITY, "invalid-body"),
        ("unknown field", br#"{"title": "t", "location": "x", "starts_at": "2030-01-01T00:00:00Z", "ends_at": "2030-01-02T00:00:00Z", "capacity": 1, "seats": 9}"#.to_vec(), json_type, StatusCode::UNPROCESSABLE_ENTITY, "invalid-body"),
        ("missing field", br#"{"title": "t"}"#.to_vec(), json_type, StatusCode::UNPROCESSABLE_ENTITY, "invalid-body"),
        ("bad date", br#"{"title": "t", "location": "x", "starts_at": "tomorrow", "ends_at": "2030-01-02T00:00:00Z", "capacity": 1}"#.to_vec(), json_type, StatusCode::UNPROCESSABLE_ENTITY, "invalid-body"),
        ("huge number", br#"{"title": "t", "location": "x", "starts_at": "2030-01-01T00:00:00Z", "ends_at": "2030-01-02T00:00:00Z", "capacity": 1e400}"#.to_vec(), json_type, StatusCode::BAD_REQUEST, "malformed-json"),
        ("array", b"[1,2,3]".to_vec(), json_type, StatusCode::UNPROCESSABLE_ENTITY, "invalid-body"),
        ("form content type", b"title=x".to_vec(), Some("application/x-www-form-urlencoded"), StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type"),
        ("no content type", br#"{"title": "t"}"#.to_vec(), None, StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type"),
        ("latin-1 JSON", br#"{"title": "t"}"#.to_vec(), Some("application/json; charset=iso-8859-1"), StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type"),
        ("UTF-8 named", br#"{"title": "t"}"#.to_vec(), Some("application/json; charset=UTF-8"), StatusCode::UNPROCESSABLE_ENTITY, "invalid-body"),
    ];
    for (what, body, kind, status, slug) in cases {
        let reply = app
            .raw(raw(
                Method::POST,
                "/api/v1/events",
                Some(&organizer),
                kind,
                body,
            ))
            .await;
        assert_eq!(reply.status, status, "{what}: {:?}", reply.json());
        assert_eq!(problem(&reply), slug, "{what}");
        assert!(
            reply.json()["detail"]
                .as_str()
                .is_some_and(|d| !d.is_empty()),
            "{what} explains itself"
        );
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_fields_name_the_field() {
    let app = spawn().await;
    let organizer = app.user("o@example.org", "organizer").await;
    let past = app
        .create_event(
            &organizer,
            &json!({ "title": "t", "location": "x",
        "starts_at": "2001-01-01T00:00:00Z", "ends_at": "2001-01-02T00:00:00Z", "capacity": 1 }),
        )
        .await;
    assert_problem(&past, StatusCode::UNPROCESSABLE_ENTITY, "invalid-field");
    assert_eq!(past.json()["errors"][0]["field"], "starts_at");
    let capacity = app.create_event(&organizer, &json!({ "title": "t", "location": "x",
        "starts_at": common::now_plus_days(1), "ends_at": common::now_plus_days(2), "capacity": -5 })).await;
    assert_eq!(capacity.json()["errors"][0]["field"], "capacity");
    let register = app
        .register_with(&json!({ "name": "n", "email": "not-an-email",
        "password": "password123", "gender": "female", "age": 30 }))
        .await;
    assert_eq!(
        (
            register.status,
            register.json()["errors"][0]["field"].clone()
        ),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("email"))
    );
    let taken = app
        .register_with(&json!({ "name": "n", "email": "o@example.org",
        "password": "password123", "gender": "female", "age": 30 }))
        .await;
    assert_problem(&taken, StatusCode::CONFLICT, "email-taken");
    let admin = app
        .register_with(&json!({ "name": "n", "email": "x@example.org",
        "password": "password123", "gender": "female", "age": 30, "role": "admin" }))
        .await;
    assert_eq!(
        admin.status,
        StatusCode::FORBIDDEN,
        "admins cannot self-register"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_bodies_are_refused_with_413() {
    let app = spawn_with(ServerConfig {
        max_body_bytes: 1024,
        ..ServerConfig::temporary()
    })
    .await;
    let big = vec![b' '; 4096];
    let declared = app
        .raw(raw(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some("application/json"),
            big,
        ))
        .await;
    assert_problem(&declared, StatusCode::PAYLOAD_TOO_LARGE, "body-too-large");
    // Chunked (no Content-Length): the limit applies while reading.
    let chunks = Chunks(vec![Bytes::from(vec![b'a'; 800]), Bytes::from(vec![b'a'; 800])].into());
    let request = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/auth/login")
        .header("host", "localhost")
        .header("content-type", "application/json")
        .body(chunks)
        .unwrap();
    let stream = tokio::net::TcpStream::connect(app.address).await.unwrap();
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .unwrap();
    tokio::spawn(connection);
    let reply = sender.send_request(request).await.unwrap();
    assert_eq!(reply.status(), StatusCode::PAYLOAD_TOO_LARGE);
    app.stop().await;
}

/// A body sent in chunks without a declared length.
struct Chunks(std::collections::VecDeque<Bytes>);

impl hyper::body::Body for Chunks {
    type Data = Bytes;
    type Error = std::convert::Infallible;
    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Bytes>, Self::Error>>> {
        std::task::Poll::Ready(self.0.pop_front().map(|b| Ok(hyper::body::Frame::data(b))))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_ids_paths_methods_and_queries_are_client_errors() {
    let app = spawn().await;
    let token = app.user("a@example.org", "attendee").await;
    for path in [
        "/api/v1/events/not-an-id",
        "/api/v1/events/%FF%FE",
        "/api/v1/events/01ARZ3NDEKTSV4RRFFQ69G5FAVX",
    ] {
        let reply = app.get(path, None).await;
        assert_eq!(
            (reply.status, problem(&reply).as_str()),
            (StatusCode::BAD_REQUEST, "invalid-id"),
            "{path}"
        );
    }
    let ticket = app.get("/api/v1/tickets/zzz", Some(&token)).await;
    assert_eq!(ticket.status, StatusCode::BAD_REQUEST);
    let missing = app
        .get("/api/v1/events/01ARZ3NDEKTSV4RRFFQ69G5FAV", None)
        .await;
    assert_problem(&missing, StatusCode::NOT_FOUND, "event-not-found");
    let route = app.get("/api/v1/nothing-here", None).await;
    assert_problem(&route, StatusCode::NOT_FOUND, "route-not-found");
    let method = app.send(Method::PUT, "/api/v1/events", None, None).await;
    assert_eq!(method.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(method.header("allow"), Some("GET, POST"));
    for (query, status) in [
        ("limit=abc", StatusCode::BAD_REQUEST),
        ("limit=0", StatusCode::UNPROCESSABLE_ENTITY),
        ("limit=1000", StatusCode::UNPROCESSABLE_ENTITY),
        ("after=garbage", StatusCode::UNPROCESSABLE_ENTITY),
        ("colour=red", StatusCode::BAD_REQUEST),
        ("limit=1&limit=2", StatusCode::BAD_REQUEST),
        ("text=%FF", StatusCode::OK),
    ] {
        let reply = app.get(&format!("/api/v1/events?{query}"), None).await;
        assert_eq!(reply.status, status, "{query}: {:?}", reply.json());
    }
    let key = raw(
        Method::POST,
        "/api/v1/events/01ARZ3NDEKTSV4RRFFQ69G5FAV/tickets",
        Some(&token),
        None,
        vec![],
    );
    let mut key = key;
    key.headers_mut()
        .insert("idempotency-key", "has space".parse().unwrap());
    let reply = app.raw(key).await;
    assert!(reply.status.is_client_error(), "{:?}", reply.json());

    // Two different idempotency keys on one request: neither is picked.
    let (_, event) = app.organizer_with_event("o@example.org", 5, 0).await;
    let mut twice = raw(
        Method::POST,
        &format!("/api/v1/events/{event}/tickets"),
        Some(&token),
        None,
        vec![],
    );
    for value in ["first", "second"] {
        twice
            .headers_mut()
            .append("idempotency-key", value.parse().unwrap());
    }
    let reply = app.raw(twice).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{:?}", reply.json());
    assert_eq!(problem(&reply), "bad-parameter");
    assert_eq!(
        app.seats(&event).await["remaining"],
        5,
        "nothing was booked"
    );
    app.stop().await;
}
