//! `/api/v1/admin/*`: operator endpoints (the integrity check, the raw log, snapshots); the
//! core refuses anyone but admins.

use hyper::StatusCode;
use serde_json::json as value;

use crate::problem::{ApiError, RequestError};
use crate::request::{Ctx, Reply, json, ok};

pub(crate) async fn integrity(cx: Ctx) -> Reply {
    let actor = cx.actor().await?;
    let report = cx.core(move |p| p.verify_integrity(&actor)).await?;
    ok(&value!({
        "ok": report.is_ok(),
        "events": report.events,
        "tickets": report.tickets,
        "users": report.users,
        "problems": report.problems,
    }))
}

pub(crate) async fn log(cx: Ctx) -> Reply {
    let params = cx.query_params(&["from", "limit"])?;
    let number = |name: &str, default: u64, max: u64| -> Result<u64, ApiError> {
        match params.get(name) {
            None => Ok(default),
            Some(text) => text
                .parse::<u64>()
                .ok()
                .filter(|n| *n <= max)
                .ok_or_else(|| {
                    RequestError::BadParameter(format!(
                        "`{name}` must be a whole number up to {max}"
                    ))
                    .into()
                }),
        }
    };
    let from = number("from", 0, u64::MAX)?;
    let limit = number("limit", 100, 1000)? as usize;
    let actor = cx.actor().await?;
    let (entries, end) = cx
        .core(move |p| {
            Ok::<_, prasang_core::log::LogError>((
                p.log().read(&actor, from, limit)?,
                p.log().end()?,
            ))
        })
        .await?;
    let next = entries.last().map(|e| e.seq + 1);
    ok(&value!({ "entries": entries, "next": next, "end": end }))
}

/// `POST /api/v1/admin/snapshot` body.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct SnapshotRequest {
    /// Folder name under `snapshots/` of the data folder.
    name: String,
}

/// Takes a consistent snapshot of the live store into `snapshots/NAME` of the data folder,
/// for analysts (`prasang.open()` in Python), while bookings go on.
pub(crate) async fn snapshot(cx: Ctx) -> Reply {
    let actor = cx.actor().await?;
    let request: SnapshotRequest = cx.json()?;
    let name = request.name;
    let taken = cx
        .core(move |p| p.snapshot_named(&actor, &name).map(|r| (name, r)))
        .await?;
    let (name, report) = taken;
    json(
        StatusCode::CREATED,
        &value!({
            "name": name,
            "path": report.path,
            "keys": report.keys,
            "replayed": report.replayed,
            "pause_ms": report.pause.as_secs_f64() * 1e3,
            "took_ms": report.took.as_secs_f64() * 1e3,
        }),
    )
}
