//! The OpenAPI document matches the router; health and metrics answer.

mod common;

use common::spawn;
use hyper::{Method, StatusCode};
use prasang_server::routes::ROUTES;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_is_in_the_openapi_document_and_every_documented_operation_is_served() {
    let app = spawn().await;
    let reply = app.get("/api/v1/openapi.json", None).await;
    assert_eq!(reply.status, StatusCode::OK);
    let doc = reply.json();
    assert_eq!(doc["openapi"], "3.1.0");
    for route in ROUTES {
        let operation = &doc["paths"][route.path][route.method.to_ascii_lowercase()];
        assert!(
            operation.is_object(),
            "{} {} is missing from the OpenAPI document",
            route.method,
            route.path
        );
        assert!(operation["responses"][route.success.to_string()].is_object());
        if let Some(schema) = route.request.or(route.response) {
            assert!(
                doc["components"]["schemas"][schema].is_object(),
                "schema {schema} is defined"
            );
        }
    }
    let mut documented = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            documented += 1;
            let concrete = path.replace("{id}", "01ARZ3NDEKTSV4RRFFQ69G5FAV");
            let method: Method = method.to_ascii_uppercase().parse().unwrap();
            let reply = app.send(method.clone(), &concrete, None, None).await;
            let slug = reply.json()["type"].as_str().unwrap_or_default().to_owned();
            assert!(
                !slug.ends_with("route-not-found") && !slug.ends_with("method-not-allowed"),
                "{method} {path} is documented but not routed"
            );
        }
    }
    assert_eq!(documented, ROUTES.len());
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_and_metrics_answer() {
    let app = spawn().await;
    assert_eq!(app.get("/healthz", None).await.json()["status"], "ok");
    app.get("/api/v1/events", None).await;
    app.get("/api/v1/nope", None).await;
    let metrics = app.get("/metrics", None).await;
    assert_eq!(metrics.status, StatusCode::OK);
    let text = String::from_utf8(metrics.body.to_vec()).unwrap();
    assert!(
        text.contains(
            r#"prasang_http_requests_total{method="GET",route="/api/v1/events",status="200"} 1"#
        ),
        "{text}"
    );
    assert!(text.contains(r#"route="unmatched",status="404"} 1"#));
    assert!(text.contains("prasang_http_request_duration_seconds_bucket{method=\"GET\",route=\"/api/v1/events\",le=\"+Inf\"} 1"));
    assert!(text.contains("prasang_bookings_total{result=\"created\"} 0"));
    assert!(text.contains("prasang_store_size_bytes "));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_lets_in_flight_requests_finish_and_flushes() {
    let app = spawn().await;
    let (_, id) = app.organizer_with_event("o@example.org", 5, 0).await;
    let mut connection = prasang_http_client::Connection::open(app.address)
        .await
        .unwrap();
    let prasang = app.prasang.clone();
    let request =
        prasang_http_client::request(Method::GET, &format!("/api/v1/events/{id}"), None, None);
    let in_flight = tokio::spawn(async move { connection.send(request).await });
    app.stop().await;
    let reply = in_flight.await.unwrap();
    if let Ok(reply) = reply {
        assert_eq!(reply.status, StatusCode::OK);
    }
    common::assert_intact(&prasang);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documented_field_limits_are_the_ones_the_core_enforces() {
    use prasang_core::limits;
    use serde_json::json;

    let app = spawn().await;
    let doc = app.get("/api/v1/openapi.json", None).await.json();
    let schemas = &doc["components"]["schemas"];
    let documented = |schema: &str, limit: limits::Limit, min: &str, max: &str| {
        let field = &schemas[schema]["properties"][limit.field];
        assert_eq!(
            (field[min].as_i64(), field[max].as_i64()),
            (Some(limit.min), Some(limit.max)),
            "{schema}.{}",
            limit.field
        );
    };
    documented("NewUser", limits::USER_NAME, "minLength", "maxLength");
    documented("NewUser", limits::PASSWORD, "minLength", "maxLength");
    documented("NewUser", limits::AGE, "minimum", "maximum");
    documented("NewEvent", limits::TITLE, "minLength", "maxLength");
    documented("NewEvent", limits::CAPACITY, "minimum", "maximum");
    documented("NewEvent", limits::PRICE_MINOR, "minimum", "maximum");
    documented("Booking", limits::QUANTITY, "minimum", "maximum");
    documented("GuestCheckout", limits::USER_NAME, "minLength", "maxLength");
    documented("GuestCheckout", limits::QUANTITY, "minimum", "maximum");
    documented(
        "GuestRegistration",
        limits::PASSWORD,
        "minLength",
        "maxLength",
    );
    documented("GuestRegistration", limits::AGE, "minimum", "maximum");
    documented(
        "WaitlistSettings",
        limits::OFFER_WINDOW_MINUTES,
        "minimum",
        "maximum",
    );
    for schema in ["NewTicketType", "TicketTypeUpdate"] {
        documented(schema, limits::TICKET_TYPE_NAME, "minLength", "maxLength");
        documented(schema, limits::PRICE_MINOR, "minimum", "maximum");
        documented(schema, limits::MIN_PER_ORDER, "minimum", "maximum");
    }
    documented(
        "NewTicketType",
        limits::TICKET_TYPE_QUOTA,
        "minimum",
        "maximum",
    );
    documented("NewTicketType", limits::MAX_PER_ORDER, "minimum", "maximum");
    documented(
        "NewTicketType",
        limits::TYPE_PER_USER_LIMIT,
        "minimum",
        "maximum",
    );
    documented("NewPromoCode", limits::PROMO_CODE, "minLength", "maxLength");
    documented("NewPromoCode", limits::PROMO_MAX_USES, "minimum", "maximum");
    documented(
        "MessageDraft",
        limits::MESSAGE_SUBJECT,
        "minLength",
        "maxLength",
    );
    documented(
        "MessageDraft",
        limits::MESSAGE_BODY,
        "minLength",
        "maxLength",
    );
    let discounts = &schemas["NewPromoCode"]["properties"]["discount"]["oneOf"];
    for (index, key, limit) in [
        (0, "percent", limits::PROMO_PERCENT),
        (1, "per_seat", limits::PROMO_AMOUNT),
    ] {
        let amount = &discounts[index]["properties"][key];
        assert_eq!(
            (amount["minimum"].as_i64(), amount["maximum"].as_i64()),
            (Some(limit.min), Some(limit.max)),
            "discount {key}"
        );
    }
    let types = &schemas["NewEvent"]["properties"]["ticket_types"];
    assert_eq!(
        (types["minItems"].as_i64(), types["maxItems"].as_i64()),
        (
            Some(limits::TICKET_TYPES.min),
            Some(limits::TICKET_TYPES.max)
        )
    );

    // And the server refuses one past each documented maximum, naming the field.
    let organizer = app.user("o@example.org", "organizer").await;
    let starts = common::now_plus_days(2);
    let ends = common::now_plus_days(3);
    for (field, value) in [
        ("title", json!("x".repeat(limits::TITLE.max as usize + 1))),
        ("capacity", json!(limits::CAPACITY.max + 1)),
        ("price_minor", json!(limits::PRICE_MINOR.max + 1)),
    ] {
        let mut event = json!({
            "title": "Limits", "location": "Here", "capacity": 10,
            "starts_at": starts, "ends_at": ends,
        });
        event[field] = value;
        let reply = app.create_event(&organizer, &event).await;
        common::assert_problem(&reply, StatusCode::UNPROCESSABLE_ENTITY, "invalid-field");
        assert_eq!(reply.json()["errors"][0]["field"], field);
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_status_a_route_answers_with_is_documented() {
    use bytes::Bytes;
    use http_body_util::Full;
    use hyper::Request;

    let app = spawn().await;
    let doc = app.get("/api/v1/openapi.json", None).await.json();
    let attendee = app.user("a@example.org", "attendee").await;
    let (organizer, event) = app.organizer_with_event("o@example.org", 5, 0).await;
    for route in ROUTES {
        let documented = &doc["paths"][route.path][route.method.to_ascii_lowercase()]["responses"];
        let ids = [
            event.as_str(),
            "01ARZ3NDEKTSV4RRFFQ69G5FAV",
            "not-an-id",
            "81M8TGKYADXGYKVTEN19VRXDBS",
        ];
        for id in ids {
            let path = route.path.replace("{id}", id);
            for token in [None, Some(attendee.as_str()), Some(organizer.as_str())] {
                for (content_type, body) in [
                    (Some("application/json"), "{}"),
                    (Some("text/plain"), "hello"),
                    (Some("application/json"), "{\"unknown\": 1}"),
                    (None, ""),
                ] {
                    let mut request = Request::builder()
                        .method(route.method)
                        .uri(format!("{path}?limit=0"));
                    if let Some(token) = token {
                        request = request.header("authorization", format!("Bearer {token}"));
                    }
                    if let Some(kind) = content_type {
                        request = request.header("content-type", kind);
                    }
                    let request = request.body(Full::new(Bytes::from(body))).unwrap();
                    let reply = app.raw(request).await;
                    let status = reply.status.as_u16().to_string();
                    assert!(
                        documented[&status].is_object(),
                        "{} {path} answered {status}, which its OpenAPI entry does not list",
                        route.method
                    );
                }
            }
        }
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_media_type_a_route_answers_with_is_documented() {
    let app = spawn().await;
    let doc = app.get("/api/v1/openapi.json", None).await.json();
    let (organizer, event) = app.organizer_with_event("o@example.org", 5, 0).await;
    for route in ROUTES
        .iter()
        .filter(|r| r.method == "GET" && !r.path.contains("{report}"))
    {
        let path = route.path.replace("{id}", &event);
        for query in ["", "?format=csv"] {
            let reply = app.get(&format!("{path}{query}"), Some(&organizer)).await;
            if reply.status.as_u16() != route.success {
                continue;
            }
            let media_type = reply.header("content-type").unwrap_or_default();
            let media_type = media_type.split(';').next().unwrap_or_default().trim();
            let content =
                &doc["paths"][route.path]["get"]["responses"][route.success.to_string()]["content"];
            assert!(
                route.response.is_none() || content[media_type].is_object(),
                "GET {path}{query} answered {media_type}, which its OpenAPI entry does not list"
            );
        }
    }
    app.stop().await;
}
