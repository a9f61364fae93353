//! Check-in at the door over REST (the protocol is docs/check-in.md): scanning a seat's
//! admission code, undoing an admission, the counts and the last admissions, the event's door
//! staff, and the offline gates' sync, uploads and conflicts. Every rule (who may scan, what a
//! code admits, what is a conflict) is the core's; this reads requests and shapes answers.

use prasang_core::checkin::{CheckInRequest, OfflineScan, UploadOutcome};
use prasang_core::limits;
use prasang_core::{CommonError, EventId, Subject, TicketId, UserId};
use serde::Deserialize;
use serde_json::{Value, json};

use super::page_request;
use crate::problem::{RequestError, core_problem};
use crate::request::{Ctx, Reply, no_content, ok};
use crate::schema::{id, list_of, page_of, string, text, time};

/// How many of the last admissions `GET …/check-ins` lists when not told.
const RECENT_DEFAULT: usize = 20;

/// `POST /api/v1/events/{id}/check-ins`: one scan at a gate.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Scan {
    code: String,
    gate: String,
    scan_id: String,
}

/// `POST /api/v1/events/{id}/check-in-uploads`: what a gate scanned while offline.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Upload {
    gate: String,
    scans: Vec<OfflineScan>,
}

pub(crate) async fn check_in(cx: Ctx) -> Reply {
    let event: EventId = cx.id("id")?;
    cx.answer_with_body(move |p, actor, scan: Scan| {
        p.check_ins().check_in(
            actor,
            CheckInRequest {
                event,
                code: &scan.code,
                gate: scan.gate,
                scan_id: scan.scan_id,
            },
        )
    })
    .await
}

pub(crate) async fn undo(cx: Ctx) -> Reply {
    let event: EventId = cx.id("id")?;
    let ticket: TicketId = cx.id("ticket")?;
    let seat: u32 = cx.number("seat")?;
    cx.as_caller(move |p, actor| p.check_ins().undo(actor, event, ticket, seat))
        .await?;
    no_content()
}

pub(crate) async fn summary(cx: Ctx) -> Reply {
    let event: EventId = cx.id("id")?;
    let actor = cx.actor().await?;
    ok(&cx.core_read(|p| p.check_ins().counts(&actor, event))?)
}

/// `GET /api/v1/events/{id}/check-ins?limit=`: the last admissions, newest first.
pub(crate) async fn recent(cx: Ctx) -> Reply {
    let event: EventId = cx.id("id")?;
    let params = cx.query_params(&["limit"])?;
    let limit = params
        .get("limit")
        .map(|limit| {
            limit.parse::<usize>().map_err(|_| {
                RequestError::BadParameter("`limit` must be a whole number from 1 to 100".into())
            })
        })
        .transpose()?
        .unwrap_or(RECENT_DEFAULT);
    let actor = cx.actor().await?;
    let items = cx.core_read(|p| p.check_ins().recent(&actor, event, limit))?;
    ok(&json!({ "items": items }))
}

pub(crate) async fn staff(cx: Ctx) -> Reply {
    let event: EventId = cx.id("id")?;
    let actor = cx.actor().await?;
    let items = cx.core_read(|p| p.check_ins().staff(&actor, event))?;
    ok(&json!({ "items": items }))
}

pub(crate) async fn add_staff(cx: Ctx) -> Reply {
    let event: EventId = cx.id("id")?;
    let user: UserId = cx.id("user")?;
    cx.answer(move |p, actor| p.check_ins().add_staff(actor, event, user))
        .await
}

pub(crate) async fn remove_staff(cx: Ctx) -> Reply {
    let event: EventId = cx.id("id")?;
    let user: UserId = cx.id("user")?;
    let removed = cx
        .as_caller(move |p, actor| p.check_ins().remove_staff(actor, event, user))
        .await?;
    if !removed {
        // Not on this event's staff: as for any user the caller cannot find there.
        return Err(CommonError::NotFound(Subject::User).into());
    }
    no_content()
}

/// `GET /api/v1/events/{id}/check-in-sync?cursor=`: 0 (the default) the first time.
pub(crate) async fn sync(cx: Ctx) -> Reply {
    let event: EventId = cx.id("id")?;
    let params = cx.query_params(&["cursor"])?;
    let cursor = params
        .get("cursor")
        .map(|cursor| {
            cursor.parse::<u64>().map_err(|_| {
                RequestError::BadParameter(
                    "`cursor` must be 0 or the `next_cursor` of the last sync".into(),
                )
            })
        })
        .transpose()?
        .unwrap_or(0);
    let actor = cx.actor().await?;
    ok(&cx.core_read(|p| p.check_ins().sync(&actor, event, cursor))?)
}

/// `POST /api/v1/events/{id}/check-in-uploads`: one outcome per scan, in order.
pub(crate) async fn upload(cx: Ctx) -> Reply {
    let event: EventId = cx.id("id")?;
    let (actor, upload): (_, Upload) = cx.caller_and_body().await?;
    let (outcomes, upload) = cx
        .core(move |p| {
            p.check_ins()
                .upload(&actor, event, &upload.gate, &upload.scans)
                .map(|outcomes| (outcomes, upload))
        })
        .await?;
    let outcomes: Vec<Value> = upload
        .scans
        .iter()
        .zip(&outcomes)
        .map(|(scan, outcome)| {
            let mut shown = json!({ "scan_id": scan.scan_id });
            match outcome {
                UploadOutcome::Admitted(admitted) => {
                    shown["outcome"] = json!("admitted");
                    shown["admitted"] = json!(admitted);
                }
                UploadOutcome::Conflict(conflict) => {
                    shown["outcome"] = json!("conflict");
                    shown["conflict"] = json!(conflict);
                }
                UploadOutcome::Refused(refusal) => {
                    shown["outcome"] = json!("refused");
                    shown["problem"] = core_problem(refusal).body();
                }
            }
            shown
        })
        .collect();
    ok(&json!({ "outcomes": outcomes }))
}

pub(crate) async fn conflicts(cx: Ctx) -> Reply {
    let event: EventId = cx.id("id")?;
    let (page, _) = page_request(&cx, &[])?;
    let actor = cx.actor().await?;
    ok(&cx.core_read(|p| p.check_ins().conflicts(&actor, event, &page))?)
}

/// A gate's name and a scan's id, as the core bounds them.
fn gate() -> Value {
    text(limits::GATE)
}
fn scan_id() -> Value {
    let mut schema = text(limits::SCAN_ID);
    schema["pattern"] = json!("^[!-~]+$");
    schema["description"] =
        json!("printable ASCII without spaces, unique within the event (a UUID or ULID)");
    schema
}

/// OpenAPI schemas of the check-in routes.
pub(crate) fn schemas() -> Value {
    let integer = || json!({ "type": "integer" });
    let seat = || json!({ "type": "integer", "minimum": 1 });
    let revoked_reason = json!({ "enum": ["cancelled", "expired", "not_paid", "event_cancelled"] });
    let gate_scan = json!({ "type": "object", "properties": {
        "gate": string(), "at": time(), "scan_id": string() } });
    json!({
        "CheckIn": {
            "type": "object", "additionalProperties": false,
            "required": ["code", "gate", "scan_id"],
            "properties": {
                "code": { "type": "string", "maxLength": limits::ADMISSION_CODE.max,
                    "description": "the admission code as scanned (see docs/check-in.md)" },
                "gate": gate(), "scan_id": scan_id()
            }
        },
        "Admitted": {
            "type": "object",
            "properties": {
                "event": id(), "ticket": id(), "seat": seat(), "of": seat(),
                "name": string(), "ticket_type": integer(), "ticket_type_name": string(),
                "at": time(), "gate": string(),
                "replayed": { "type": "boolean", "description": "the answer to a retried scan id" }
            }
        },
        "CheckInSummary": {
            "type": "object",
            "properties": {
                "event": id(), "admitted": integer(), "expected": integer(),
                "by_type": { "type": "array", "items": { "type": "object", "properties": {
                    "ticket_type": integer(), "name": string(),
                    "admitted": integer(), "expected": integer() } } }
            }
        },
        "RecentAdmission": {
            "type": "object",
            "properties": {
                "admitted": { "$ref": "#/components/schemas/Admitted" },
                "offline": { "type": "boolean" }, "undone": { "type": "boolean" }
            }
        },
        "RecentAdmissionList": list_of("RecentAdmission"),
        "DoorStaffMember": {
            "type": "object",
            "properties": {
                "event": id(), "user": id(), "name": string(), "email": string(),
                "added_by": id(), "added_at": time()
            }
        },
        "DoorStaffList": list_of("DoorStaffMember"),
        "CheckInSync": {
            "type": "object",
            "properties": {
                "event": id(),
                "keys": { "type": "array", "items": { "$ref": "#/components/schemas/AdmissionKey" } },
                "revoked": { "type": "array", "items": { "type": "object", "properties": {
                    "ticket": id(), "seats": integer(), "reason": revoked_reason.clone() } } },
                "admissions": { "type": "array", "items": { "type": "object", "properties": {
                    "ticket": id(), "seat": seat(), "gate": string(), "at": time() } } },
                "undone": { "type": "array", "items": { "type": "object", "properties": {
                    "ticket": id(), "seat": seat() } } },
                "next_cursor": { "type": "integer", "minimum": 0 },
                "more": { "type": "boolean", "description": "sync again at once with next_cursor" }
            }
        },
        "CheckInUpload": {
            "type": "object", "additionalProperties": false, "required": ["gate", "scans"],
            "properties": {
                "gate": gate(),
                "scans": { "type": "array", "minItems": limits::UPLOAD_SCANS.min,
                    "maxItems": limits::UPLOAD_SCANS.max, "items": {
                        "type": "object", "additionalProperties": false,
                        "required": ["scan_id", "code", "scanned_at"],
                        "properties": {
                            "scan_id": scan_id(),
                            "code": { "type": "string", "maxLength": limits::ADMISSION_CODE.max },
                            "scanned_at": { "type": "string", "format": "date-time",
                                "description": "by the gate's clock" }
                        } } }
            }
        },
        "CheckInConflict": {
            "type": "object",
            "properties": {
                "id": integer(), "event": id(), "ticket": id(), "seat": seat(), "of": seat(),
                "name": string(), "ticket_type_name": string(),
                "reason": { "type": "object", "properties": {
                    "kind": { "enum": ["already_admitted", "revoked"] },
                    "reason": revoked_reason } },
                "first": { "oneOf": [gate_scan.clone(), { "type": "null" }] },
                "this": gate_scan,
                "recorded_at": time(), "replayed": { "type": "boolean" }
            }
        },
        "CheckInConflictPage": page_of("CheckInConflict"),
        "CheckInUploadResult": {
            "type": "object",
            "properties": { "outcomes": { "type": "array", "items": {
                "type": "object",
                "properties": {
                    "scan_id": string(),
                    "outcome": { "enum": ["admitted", "conflict", "refused"] },
                    "admitted": { "$ref": "#/components/schemas/Admitted" },
                    "conflict": { "$ref": "#/components/schemas/CheckInConflict" },
                    "problem": { "$ref": "#/components/schemas/Problem" }
                }
            } } }
        }
    })
}
