//! Arbitrary requests to every route of the table: path ids, query strings, bodies (bytes, JSON
//! of any shape) and tokens drawn at random, with and without a real organizer token and real
//! ids. Every answer must be a documented kind of answer: never a 5xx, and every 4xx a problem.
//! (CI runs this; the cargo-fuzz targets in fuzz/ take the parsers further.)

mod common;

use bytes::Bytes;
use http_body_util::Full;
use hyper::{Method, Request};
use prasang_server::routes::ROUTES;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

/// Percent-encodes everything but unreserved characters, so any text fits in a URI.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// One generated request, before the real ids and token are filled in.
#[derive(Debug, Clone)]
struct Generated {
    route: usize,
    /// Path parameter values; `None` takes a real id of the right kind.
    params: Vec<Option<String>>,
    query: Vec<(String, String)>,
    body: Vec<u8>,
    /// 0: no token, 1: the organizer's, 2: garbage.
    token: u8,
    garbage_token: String,
}

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_map(serde_json::Value::from),
        any::<String>().prop_map(serde_json::Value::from),
        "20[0-9]{2}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:00:00Z".prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        let key = prop_oneof![
            "(title|location|description|starts_at|ends_at|capacity|price_minor|currency)",
            "(per_user_limit|quantity|name|email|password|gender|age|role|refresh_token)",
            "(rating|comment|text|channels|disabled_kinds|extra_channels|image_url)",
            any::<String>(),
        ];
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::from),
            proptest::collection::btree_map(key, inner, 0..6)
                .prop_map(|map| serde_json::Value::Object(map.into_iter().collect())),
        ]
    })
}

fn generated() -> impl Strategy<Value = Generated> {
    let param = prop_oneof![
        Just(None),
        any::<String>().prop_map(Some),
        "[0-9A-Za-z]{24,28}".prop_map(Some),
    ];
    let query_name = prop_oneof![
        "(after|limit|from|to|days|group|event|status|kind)",
        any::<String>()
    ];
    let body = prop_oneof![
        json_value().prop_map(|value| value.to_string().into_bytes()),
        proptest::collection::vec(any::<u8>(), 0..256),
    ];
    (
        0..ROUTES.len(),
        proptest::collection::vec(param, 2),
        proptest::collection::vec((query_name, any::<String>()), 0..3),
        body,
        0..3u8,
        "[A-Za-z0-9._-]{0,80}",
    )
        .prop_map(
            |(route, params, query, body, token, garbage_token)| Generated {
                route,
                params,
                query,
                body,
                token,
                garbage_token,
            },
        )
}

#[test]
fn arbitrary_requests_get_documented_answers() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (app, organizer, event, ticket) = runtime.block_on(async {
        let app = common::spawn().await;
        let (organizer, attendee, event) = app.organizer_attendee_event(10, 0).await;
        let ticket = app.book(&event, &attendee).await.json()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        (app, organizer, event, ticket)
    });
    let user = runtime.block_on(app.me(&organizer)).json()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let mut runner = TestRunner::new(Config {
        cases: 1000,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&generated(), |case| {
            let route = &ROUTES[case.route];
            let mut path = route.path.to_owned();
            let mut values = case.params.iter();
            while let Some(start) = path.find('{') {
                let end = start + path[start..].find('}').unwrap();
                let name = &path[start + 1..end];
                let real = match (name, route.path) {
                    ("user", _) => user.clone(),
                    ("report", _) => "popularity".to_owned(),
                    (_, p) if p.starts_with("/api/v1/tickets") => ticket.clone(),
                    (_, p) if p.starts_with("/api/v1/users") => user.clone(),
                    _ => event.clone(),
                };
                let value = values.next().cloned().flatten().unwrap_or(real);
                path.replace_range(start..=end, &encode(&value));
            }
            if !case.query.is_empty() {
                let pairs: Vec<String> = case
                    .query
                    .iter()
                    .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
                    .collect();
                path = format!("{path}?{}", pairs.join("&"));
            }
            let mut request = Request::builder()
                .method(Method::from_bytes(route.method.as_bytes()).unwrap())
                .uri(&path)
                .header("host", "localhost")
                .header("content-type", "application/json");
            match case.token {
                1 => request = request.header("authorization", format!("Bearer {organizer}")),
                2 => {
                    request =
                        request.header("authorization", format!("Bearer {}", case.garbage_token))
                }
                _ => {}
            }
            let request = request
                .body(Full::new(Bytes::from(case.body.clone())))
                .unwrap();
            let reply = runtime.block_on(app.raw(request));
            let status = reply.status;
            prop_assert!(
                !status.is_server_error(),
                "{} {path}: {status} {:?}",
                route.method,
                reply.json()
            );
            if status.is_client_error() {
                prop_assert_eq!(
                    reply.header("content-type"),
                    Some("application/problem+json"),
                    "{} {}: {}",
                    route.method,
                    path,
                    status
                );
            }
            Ok(())
        })
        .unwrap();
    runtime.block_on(app.stop());
}
