//! Health, metrics, JWKS and the OpenAPI document.

use hyper::StatusCode;
use serde_json::json as value;

use crate::request::{BoxReply, Ctx, json, text};

/// Healthy when the store can still write: a store that hit a disk error refuses every write
/// until the server restarts, so the check answers 503 (storage-unavailable) then.
pub(crate) fn health(cx: Ctx) -> BoxReply {
    Box::pin(async move {
        cx.core(|p| p.flush()).await?;
        json(StatusCode::OK, &value!({ "status": "ok" }))
    })
}

pub(crate) fn metrics(cx: Ctx) -> BoxReply {
    Box::pin(async move {
        let store_bytes = cx.core(|p| p.size_on_disk()).await.ok();
        let mut body = cx.state.metrics.render(store_bytes);
        if let Ok(lag) = cx.core_read(|p| p.analytics().lag()) {
            body.push_str(&super::analytics::lag_metrics(lag));
        }
        text("text/plain; version=0.0.4; charset=utf-8", body)
    })
}

pub(crate) fn jwks(cx: Ctx) -> BoxReply {
    Box::pin(async move { text("application/jwk-set+json", cx.state.jwks.clone()) })
}

pub(crate) fn openapi(cx: Ctx) -> BoxReply {
    Box::pin(async move { text("application/json", cx.state.openapi.clone()) })
}
