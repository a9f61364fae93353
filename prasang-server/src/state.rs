//! What every request shares: the store, the login limiter, the counters and the documents
//! served as they are. The routers that pick a handler sit above, in [`crate::app`].

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use prasang_core::Prasang;

use crate::gateway::RateLimiter;
use crate::metrics::Metrics;

/// Shared by every request.
pub struct State {
    /// The store.
    pub prasang: Prasang,
    /// Login/registration limiter.
    pub limiter: RateLimiter,
    /// Counters.
    pub metrics: Arc<Metrics>,
    /// The JWKS document, serialised once.
    pub jwks: Bytes,
    /// The OpenAPI document, serialised once.
    pub openapi: Bytes,
    pub(crate) max_body_bytes: usize,
    pub(crate) request_timeout: Duration,
}
