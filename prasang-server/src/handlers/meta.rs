//! Health, metrics, JWKS and the OpenAPI document.

use std::fmt::Write as _;

use prasang_core::kafka::ExportStatus;
use serde_json::json as value;

use crate::request::{Ctx, Reply, ok, text};

/// Healthy when the store can still write: a store that hit a disk error refuses every write
/// until the server restarts, so the check answers 503 (storage-unavailable) then. With the
/// Kafka exporter on, a detail says whether it reaches the broker and how far behind it is (a
/// broker outage does not make the server unhealthy: bookings go on).
pub(crate) async fn health(cx: Ctx) -> Reply {
    cx.core(|p| p.flush()).await?;
    match cx.core_read(|p| p.kafka_export().transpose())? {
        Some(kafka) => ok(&value!({
            "status": "ok",
            "kafka": {
                "topic": kafka.topic,
                "state": if kafka.broker_up || kafka.behind == 0 { "exporting" } else { "retrying" },
                "behind": kafka.behind,
                "lag_seconds": kafka.lag.as_secs_f64(),
            },
        })),
        None => ok(&value!({ "status": "ok" })),
    }
}

pub(crate) async fn metrics(cx: Ctx) -> Reply {
    let store_bytes = cx.core(|p| p.size_on_disk()).await.ok();
    let mut body = cx.state.metrics.render(store_bytes);
    if let Ok(lag) = cx.core_read(|p| p.analytics().lag()) {
        body.push_str(&super::analytics::lag_metrics(lag));
    }
    if let Ok(Some(kafka)) = cx.core_read(|p| p.kafka_export().transpose()) {
        body.push_str(&kafka_metrics(&kafka));
    }
    text("text/plain; version=0.0.4; charset=utf-8", body)
}

pub(crate) async fn jwks(cx: Ctx) -> Reply {
    text("application/jwk-set+json", cx.state.jwks.clone())
}

pub(crate) async fn openapi(cx: Ctx) -> Reply {
    text("application/json", cx.state.openapi.clone())
}

/// Upper bounds of the commit-to-acknowledgement histogram's buckets, milliseconds.
const DELAY_BUCKETS_MS: [u64; 13] = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000];

/// The exporter's gauges, counters and delay histogram.
fn kafka_metrics(kafka: &ExportStatus) -> String {
    let topic = kafka.topic.replace(['\\', '"', '\n'], "_");
    let labels = format!("topic=\"{topic}\"");
    let mut out = String::with_capacity(2048);
    let gauges = [
        (
            "prasang_kafka_export_behind",
            "gauge",
            "Log entries the broker has not acknowledged yet (counted up to 100000).",
            kafka.behind as f64,
        ),
        (
            "prasang_kafka_export_lag_seconds",
            "gauge",
            "Age of the oldest log entry the broker has not acknowledged yet.",
            kafka.lag.as_secs_f64(),
        ),
        (
            "prasang_kafka_broker_up",
            "gauge",
            "1 when the last batch reached the broker and was acknowledged.",
            f64::from(u8::from(kafka.broker_up)),
        ),
        (
            "prasang_kafka_exported_total",
            "counter",
            "Log entries the broker acknowledged since the server started.",
            kafka.exported as f64,
        ),
        (
            "prasang_kafka_export_failures_total",
            "counter",
            "Batches that failed (broker down, refused, timed out) and were sent again.",
            kafka.failures as f64,
        ),
    ];
    for (name, kind, help, value) in gauges {
        let _ = writeln!(
            out,
            "# HELP {name} {help}\n# TYPE {name} {kind}\n{name}{{{labels}}} {value}"
        );
    }
    let name = "prasang_kafka_export_delay_seconds";
    let _ = writeln!(
        out,
        "# HELP {name} Per log entry, time from its commit to the broker's acknowledgement.\n# TYPE {name} histogram"
    );
    for bound in DELAY_BUCKETS_MS {
        let seconds = bound as f64 / 1000.0;
        let count = kafka.delays.at_most(bound);
        let _ = writeln!(out, "{name}_bucket{{{labels},le=\"{seconds}\"}} {count}");
    }
    let count = kafka.delays.count();
    let sum = kafka.delays.sum().as_secs_f64();
    let _ = writeln!(out, "{name}_bucket{{{labels},le=\"+Inf\"}} {count}");
    let _ = writeln!(
        out,
        "{name}_sum{{{labels}}} {sum}\n{name}_count{{{labels}}} {count}"
    );
    out
}
