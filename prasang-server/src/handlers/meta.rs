//! Health, metrics, JWKS and the OpenAPI document.

use serde_json::json as value;

use crate::request::{Ctx, Reply, ok, text};

/// Healthy when the store can still write: a store that hit a disk error refuses every write
/// until the server restarts, so the check answers 503 (storage-unavailable) then.
pub(crate) async fn health(cx: Ctx) -> Reply {
    cx.core(|p| p.flush()).await?;
    ok(&value!({ "status": "ok" }))
}

pub(crate) async fn metrics(cx: Ctx) -> Reply {
    let store_bytes = cx.core(|p| p.size_on_disk()).await.ok();
    let mut body = cx.state.metrics.render(store_bytes);
    if let Ok(lag) = cx.core_read(|p| p.analytics().lag()) {
        body.push_str(&super::analytics::lag_metrics(lag));
    }
    text("text/plain; version=0.0.4; charset=utf-8", body)
}

pub(crate) async fn jwks(cx: Ctx) -> Reply {
    text("application/jwk-set+json", cx.state.jwks.clone())
}

pub(crate) async fn openapi(cx: Ctx) -> Reply {
    text("application/json", cx.state.openapi.clone())
}
