//! Prometheus metrics: request counts by route and status, a latency histogram per route,
//! booking outcomes and the store's size. Lock-free counters; rendered on scrape.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 13] = [
    0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];
/// Status codes are counted in a flat array indexed by the code.
const STATUSES: usize = 600;

struct RouteStats {
    statuses: Box<[AtomicU64]>,
    buckets: [AtomicU64; BUCKETS.len()],
    sum_micros: AtomicU64,
    count: AtomicU64,
}

impl RouteStats {
    fn new() -> Self {
        RouteStats {
            statuses: (0..STATUSES).map(|_| AtomicU64::new(0)).collect(),
            buckets: std::array::from_fn(|_| AtomicU64::new(0)),
            sum_micros: AtomicU64::new(0),
            count: AtomicU64::new(0),
        }
    }
}

/// The server's counters.
pub struct Metrics {
    /// The (method, path) label of each route, in the order the router numbers them.
    labels: Vec<(&'static str, &'static str)>,
    /// One per route, then one for requests that matched no route, then one for the web UI's
    /// pages (labelled `web-ui`).
    routes: Vec<RouteStats>,
    bookings_created: AtomicU64,
    bookings_replayed: AtomicU64,
    bookings_rejected: AtomicU64,
}

impl Metrics {
    /// Counters for the routes labelled `(method, path)`, numbered in this order.
    pub fn new(labels: impl IntoIterator<Item = (&'static str, &'static str)>) -> Self {
        let labels: Vec<_> = labels.into_iter().collect();
        Metrics {
            routes: (0..labels.len() + 2).map(|_| RouteStats::new()).collect(),
            labels,
            bookings_created: AtomicU64::new(0),
            bookings_replayed: AtomicU64::new(0),
            bookings_rejected: AtomicU64::new(0),
        }
    }

    /// Records one request; `route` is the index of its label, `None` when nothing matched.
    pub fn request(&self, route: Option<usize>, status: u16, elapsed: Duration) {
        self.record(route.unwrap_or(self.labels.len()), status, elapsed);
    }

    /// Records one request for a page of the web UI.
    pub fn page(&self, status: u16, elapsed: Duration) {
        self.record(self.labels.len() + 1, status, elapsed);
    }

    fn record(&self, slot: usize, status: u16, elapsed: Duration) {
        let stats = &self.routes[slot];
        if let Some(counter) = stats.statuses.get(usize::from(status)) {
            counter.fetch_add(1, Relaxed);
        }
        let seconds = elapsed.as_secs_f64();
        if let Some(bucket) = BUCKETS.iter().position(|&b| seconds <= b) {
            stats.buckets[bucket].fetch_add(1, Relaxed);
        }
        stats.sum_micros.fetch_add(
            u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX),
            Relaxed,
        );
        stats.count.fetch_add(1, Relaxed);
    }

    /// Records a booking attempt: `Ok(replayed)` or an error.
    pub fn booking<E>(&self, outcome: Result<bool, E>) {
        let counter = match outcome {
            Ok(false) => &self.bookings_created,
            Ok(true) => &self.bookings_replayed,
            Err(_) => &self.bookings_rejected,
        };
        counter.fetch_add(1, Relaxed);
    }

    /// The Prometheus text exposition.
    pub fn render(&self, store_bytes: Option<u64>) -> String {
        let mut out = String::with_capacity(8 * 1024);
        out.push_str("# HELP prasang_http_requests_total HTTP requests by route and status.\n");
        out.push_str("# TYPE prasang_http_requests_total counter\n");
        for (index, stats) in self.routes.iter().enumerate() {
            let (method, route) = self.label(index);
            for (status, counter) in stats.statuses.iter().enumerate() {
                let n = counter.load(Relaxed);
                if n > 0 {
                    let _ = writeln!(
                        out,
                        "prasang_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {n}"
                    );
                }
            }
        }
        out.push_str("# HELP prasang_http_request_duration_seconds Time to answer, by route.\n");
        out.push_str("# TYPE prasang_http_request_duration_seconds histogram\n");
        for (index, stats) in self.routes.iter().enumerate() {
            let count = stats.count.load(Relaxed);
            if count == 0 {
                continue;
            }
            let (method, route) = self.label(index);
            let labels = format!("method=\"{method}\",route=\"{route}\"");
            let mut cumulative = 0;
            for (bound, bucket) in BUCKETS.iter().zip(&stats.buckets) {
                cumulative += bucket.load(Relaxed);
                let _ = writeln!(
                    out,
                    "prasang_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {cumulative}"
                );
            }
            let _ = writeln!(
                out,
                "prasang_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {count}"
            );
            let sum = stats.sum_micros.load(Relaxed) as f64 / 1e6;
            let _ = writeln!(
                out,
                "prasang_http_request_duration_seconds_sum{{{labels}}} {sum}"
            );
            let _ = writeln!(
                out,
                "prasang_http_request_duration_seconds_count{{{labels}}} {count}"
            );
        }
        out.push_str("# HELP prasang_bookings_total Booking attempts by result.\n");
        out.push_str("# TYPE prasang_bookings_total counter\n");
        for (result, counter) in [
            ("created", &self.bookings_created),
            ("replayed", &self.bookings_replayed),
            ("rejected", &self.bookings_rejected),
        ] {
            let _ = writeln!(
                out,
                "prasang_bookings_total{{result=\"{result}\"}} {}",
                counter.load(Relaxed)
            );
        }
        if let Some(bytes) = store_bytes {
            out.push_str("# HELP prasang_store_size_bytes Bytes the database occupies on disk.\n");
            out.push_str("# TYPE prasang_store_size_bytes gauge\n");
            let _ = writeln!(out, "prasang_store_size_bytes {bytes}");
        }
        out
    }

    fn label(&self, index: usize) -> (&'static str, &'static str) {
        match self.labels.get(index) {
            Some(&label) => label,
            None if index == self.labels.len() => ("", "unmatched"),
            None => ("", "web-ui"),
        }
    }
}
