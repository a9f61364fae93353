//! `/api/v1/analytics/{report}` (the caller's events, or everyone's for admins, or one
//! organizer's with `?organizer=`) and `/api/v1/events/{id}/analytics/{report}`: JSON by default,
//! CSV with `Accept: text/csv` or `?format=csv`. Rights and parameter rules are in the core.

use std::collections::HashMap;

use hyper::StatusCode;
use hyper::header::{ACCEPT, CONTENT_DISPOSITION, HeaderValue};
use prasang_core::analytics::csv::{Table, to_csv};
use prasang_core::analytics::{AgeGroup, ReportName, Scope, TopParams, TrendParams};
use prasang_core::auth::Actor;
use prasang_core::{EventId, Prasang, UserId};
use serde::Serialize;
use serde_json::{Value, json};

use crate::problem::{ApiError, RequestError};
use crate::request::{Ctx, Reply, json, text};

/// Where a report's events come from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Over {
    /// `/api/v1/analytics/...`
    Caller,
    /// `/api/v1/events/{id}/analytics/...`
    Event,
}

macro_rules! report_handlers {
    ($($name:ident, $event_name:ident => $report:expr;)*) => {
        $(
            pub(crate) async fn $name(cx: Ctx) -> Reply {
                serve(cx, $report, Over::Caller).await
            }
            pub(crate) async fn $event_name(cx: Ctx) -> Reply {
                serve(cx, $report, Over::Event).await
            }
        )*
    };
}

report_handlers! {
    popularity, event_popularity => ReportName::Popularity;
    demographics, event_demographics => ReportName::Demographics;
    ratings_by_group, event_ratings_by_group => ReportName::RatingsByGroup;
    trends, event_trends => ReportName::Trends;
    funnel, event_funnel => ReportName::Funnel;
    revenue, event_revenue => ReportName::Revenue;
    attendance, event_attendance => ReportName::Attendance;
    attendance_by_group, event_attendance_by_group => ReportName::AttendanceByGroup;
    waitlist_totals, event_waitlist_totals => ReportName::WaitlistTotals;
}

pub(crate) async fn top_events(cx: Ctx) -> Reply {
    serve(cx, ReportName::TopEvents, Over::Caller).await
}

pub(crate) async fn by_ticket_type(cx: Ctx) -> Reply {
    serve(cx, ReportName::ByTicketType, Over::Event).await
}

pub(crate) async fn by_promo_code(cx: Ctx) -> Reply {
    serve(cx, ReportName::ByPromoCode, Over::Event).await
}

pub(crate) async fn attendance_by_ticket_type(cx: Ctx) -> Reply {
    serve(cx, ReportName::AttendanceByTicketType, Over::Event).await
}

pub(crate) async fn arrivals(cx: Ctx) -> Reply {
    serve(cx, ReportName::Arrivals, Over::Event).await
}

pub(crate) async fn waitlist_length(cx: Ctx) -> Reply {
    serve(cx, ReportName::WaitlistLength, Over::Event).await
}

pub(crate) async fn waiting_room(cx: Ctx) -> Reply {
    serve(cx, ReportName::WaitingRoom, Over::Event).await
}

/// Any other name under `/analytics/`: refused with the `report` field named.
pub(crate) async fn unknown(cx: Ctx) -> Reply {
    let name = cx
        .params
        .iter()
        .find(|(k, _)| k == "report")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let report = ReportName::parse(&name)?;
    let over = if cx.params.iter().any(|(k, _)| k == "id") {
        Over::Event
    } else {
        Over::Caller
    };
    serve(cx, report, over).await
}

/// Query parameters each report reads (besides `format` and, over the caller, `organizer`).
pub(crate) fn query_of(report: ReportName) -> &'static [&'static str] {
    match report {
        ReportName::Trends => &["from", "to", "group_by", "time_zone"],
        ReportName::TopEvents => &["by", "min_ratings"],
        _ => &[],
    }
}

async fn serve(cx: Ctx, report: ReportName, over: Over) -> Reply {
    let mut allowed = vec!["format"];
    if over == Over::Caller {
        allowed.push("organizer");
    }
    allowed.extend_from_slice(query_of(report));
    let params = cx.query_params(&allowed)?;
    let csv = wants_csv(&cx, &params)?;
    let event: Option<EventId> = match over {
        Over::Event => Some(cx.id("id")?),
        Over::Caller => None,
    };
    let organizer = params
        .get("organizer")
        .map(|text| {
            text.parse::<UserId>().map_err(|_| {
                ApiError::from(RequestError::BadParameter(
                    "`organizer` must be a user id (26 characters of Crockford base32)".into(),
                ))
            })
        })
        .transpose()?;
    let actor = cx.actor().await?;
    let scope = match (event, organizer) {
        (Some(event), _) => Scope::Event(event),
        (None, Some(organizer)) => Scope::Organizer(organizer),
        (None, None) if actor.is_admin() => Scope::All,
        (None, None) => Scope::Organizer(actor.user_id()),
    };
    let get = |name: &str| params.get(name).cloned();
    answer(cx.prasang(), &actor, scope, report, get, csv)
}

/// Runs one report for `actor` over `scope` and answers it as JSON or CSV: shared by these
/// routes and the web dashboard's CSV links. `get` reads the report's parameters.
pub(crate) fn answer(
    prasang: &Prasang,
    actor: &Actor,
    scope: Scope,
    report: ReportName,
    get: impl Fn(&str) -> Option<String>,
    csv: bool,
) -> Reply {
    let analytics = prasang.analytics();
    let name = report.as_str();
    match report {
        ReportName::Popularity => respond(csv, name, &analytics.popularity(actor, scope)?),
        ReportName::Demographics => respond(csv, name, &analytics.demographics(actor, scope)?),
        ReportName::RatingsByGroup => {
            respond(csv, name, &analytics.ratings_by_group(actor, scope)?)
        }
        ReportName::Trends => {
            let query = TrendParams {
                from: get("from"),
                to: get("to"),
                group_by: get("group_by"),
                time_zone: get("time_zone"),
            };
            respond(csv, name, &analytics.trends(actor, scope, &query)?)
        }
        ReportName::TopEvents => {
            let query = TopParams {
                by: get("by"),
                min_ratings: get("min_ratings"),
            };
            respond(csv, name, &analytics.top_events(actor, scope, &query)?)
        }
        ReportName::Funnel => respond(csv, name, &analytics.funnel(actor, scope)?),
        ReportName::Revenue => respond(csv, name, &analytics.revenue(actor, scope)?),
        ReportName::ByTicketType => {
            let event = scope.event_only(report)?;
            respond(csv, name, &analytics.by_ticket_type(actor, event)?)
        }
        ReportName::ByPromoCode => {
            let event = scope.event_only(report)?;
            respond(csv, name, &analytics.by_promo_code(actor, event)?)
        }
        ReportName::Attendance => respond(csv, name, &analytics.attendance(actor, scope)?),
        ReportName::AttendanceByTicketType => {
            let event = scope.event_only(report)?;
            respond(
                csv,
                name,
                &analytics.attendance_by_ticket_type(actor, event)?,
            )
        }
        ReportName::AttendanceByGroup => {
            respond(csv, name, &analytics.attendance_by_group(actor, scope)?)
        }
        ReportName::Arrivals => {
            let event = scope.event_only(report)?;
            respond(csv, name, &analytics.arrivals(actor, event)?)
        }
        ReportName::WaitlistTotals => respond(csv, name, &analytics.waitlist_totals(actor, scope)?),
        ReportName::WaitlistLength => {
            let event = scope.event_only(report)?;
            respond(csv, name, &analytics.waitlist_length(actor, event)?)
        }
        ReportName::WaitingRoom => {
            let event = scope.event_only(report)?;
            respond(csv, name, &analytics.waiting_room(actor, event)?)
        }
    }
}

/// CSV when `?format=csv`, or when `Accept` prefers `text/csv` and no format is given.
fn wants_csv(cx: &Ctx, params: &HashMap<String, String>) -> Result<bool, ApiError> {
    match params.get("format").map(String::as_str) {
        Some("csv") => return Ok(true),
        Some("json") => return Ok(false),
        Some(_) => {
            return Err(RequestError::BadParameter("`format` must be json or csv".into()).into());
        }
        None => {}
    }
    let accept = cx
        .headers
        .get(ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    Ok(accept
        .split(',')
        .next()
        .is_some_and(|first| first.trim().starts_with("text/csv")))
}

fn respond<T: Serialize + Table>(csv: bool, name: &str, report: &T) -> Reply {
    if !csv {
        return json(StatusCode::OK, report);
    }
    let mut response = text("text/csv; charset=utf-8; header=present", to_csv(report))?;
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{name}.csv\"")) {
        response.headers_mut().insert(CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

/// `base` with the properties of `own` added (an object's; anything else adds nothing).
fn merged(mut base: Value, own: &Value) -> Value {
    if let (Some(all), Some(own)) = (base.as_object_mut(), own.as_object()) {
        all.extend(own.clone());
    }
    base
}

/// OpenAPI schemas of the reports.
pub(crate) fn schemas() -> Value {
    let int = json!({ "type": "integer" });
    let num = json!({ "type": ["number", "null"] });
    let gender = json!({ "enum": ["female", "male", "non_binary", "undisclosed"] });
    let ages: Vec<&str> = AgeGroup::ALL.iter().map(|group| group.as_str()).collect();
    let age = json!({ "enum": ages });
    let id = json!({ "type": "string", "pattern": "^[0-9A-HJKMNP-TV-Z]{26}$" });
    let pair = |first: &Value| json!({ "type": "array", "prefixItems": [first, int], "minItems": 2, "maxItems": 2 });
    let currency = json!({ "type": "string", "pattern": "^[A-Z]{3}$", "description": "ISO 4217" });
    // Money is reported per currency only: minor units of two currencies never add up.
    let by_currency = json!({ "type": "array", "items": { "type": "object", "properties": {
        "currency": currency, "bookings": int, "cancellations": int,
        "revenue_minor": { "type": "integer", "description": "payments minus refunds, minor units of currency" } } } });
    let sales = |own: Value| {
        let properties = merged(
            json!({ "currency": currency, "bookings": int, "seats_booked": int,
            "cancellations": int, "revenue_minor": { "type": "integer", "description": "payments minus refunds, minor units of currency" },
            "refund_minor": int, "discount_minor": { "type": "integer", "description": "promo-code discounts of booked seats, minor units" } }),
            &own,
        );
        json!({ "type": "array", "items": { "type": "object", "properties": properties } })
    };
    // An attendance row: its own fields (none, its type, its group), then the seats.
    let attendance = |own: Value| {
        let properties = merged(
            json!({ "booked_seats": int, "checked_in": int,
            "no_shows": { "type": "integer", "description": "booked_seats - checked_in" },
            "rate": { "type": ["number", "null"], "description": "checked_in / booked_seats" } }),
            &own,
        );
        json!({ "type": "object", "properties": properties })
    };
    let rows = |row: Value| json!({ "type": "array", "items": row });
    // A curve on the event's local clock: each row's period start and its text (`time`, in the
    // format given), then its own numbers.
    let on_clock = |description: &str, time: &str, own: Value| {
        let properties = merged(
            json!({
            "starts_at": { "type": "string", "format": "date-time", "description": "local, with its offset" },
            "time": { "type": "string", "description": format!("{time}, local") } }),
            &own,
        );
        json!({ "type": "object", "description": description, "properties": { "event": id,
            "time_zone": { "type": "string", "description": "the event's IANA zone" },
            "rows": rows(json!({ "type": "object", "properties": properties })) } })
    };
    json!({
        "Attendance": attendance(json!({})),
        "AttendanceByTicketType": { "type": "object", "properties": { "event": id,
            "types": rows(attendance(json!({ "ticket_type": int, "name": { "type": "string" } }))) } },
        "AttendanceByGroup": { "type": "object", "properties": {
            "groups": rows(attendance(json!({ "gender": gender, "age_group": age }))) } },
        "Arrivals": on_clock("check-ins per quarter hour of scanning on the event's local clock",
            "HH:MM", json!({ "checked_in": int })),
        "WaitlistTotals": { "type": "object", "description": "offers = accepted + declined + expired + withdrawn + open_offers (docs/api.md)",
            "properties": { "joined": int, "left": { "type": "integer", "description": "left or removed before being served" },
            "waiting": { "type": "integer", "description": "entries waiting now, without an offer" }, "waiting_seats": int,
            "offers": int, "offered_seats": int, "accepted": int, "declined": int, "expired": int,
            "withdrawn": { "type": "integer", "description": "offers whose entry left or was removed" },
            "open_offers": int,
            "seats_recovered": { "type": "integer", "description": "seats of accepted offers" },
            "acceptance_rate": { "type": ["number", "null"], "description": "accepted / offers ended" } } },
        "WaitlistLength": on_clock("the waiting list per hour on the event's local clock",
            "YYYY-MM-DD HH:MM", json!({
                "waiting": { "type": "integer", "description": "entries waiting at the end of the hour" },
                "waiting_seats": int, "open_offers": int,
                "joined": int, "offers": int, "accepted": int, "declined": int, "expired": int })),
        "QueueOverTime": on_clock("the waiting room per minute on the event's local clock",
            "YYYY-MM-DD HH:MM", json!({
                "joined": { "type": "integer", "description": "people who took a place in the minute" },
                "admitted": { "type": "integer", "description": "people admitted in the minute" },
                "waiting": { "type": "integer", "description": "the queue at the end of the minute: joined so far less admitted so far" } })),
        "ByTicketType": { "type": "object", "properties": { "event": id,
            "types": sales(json!({ "ticket_type": int, "name": { "type": "string" } })) } },
        "ByPromoCode": { "type": "object", "properties": { "event": id,
            "codes": sales(json!({ "code": { "type": "string" } })) } },
        "Popularity": { "type": "object", "properties": {
            "visits": int, "bookings": int, "cancellations": int, "expiries": int,
            "conversion": num, "average_rating": num, "rating_count": int } },
        "Demographics": { "type": "object", "properties": {
            "holders": int,
            "by_gender": { "type": "array", "items": pair(&gender) },
            "by_age_group": { "type": "array", "items": pair(&age) },
            "groups": { "type": "array", "items": { "type": "object", "properties": {
                "gender": gender, "age_group": age, "holders": int } } } } },
        "RatingsByGroup": { "type": "object", "properties": {
            "groups": { "type": "array", "items": { "type": "object", "properties": {
                "gender": gender, "age_group": age, "count": int, "average": num } } } } },
        "Trends": { "type": "object", "properties": {
            "group_by": { "enum": ["day", "week", "month"] },
            "from": { "type": "string", "format": "date" }, "to": { "type": "string", "format": "date" },
            "time_zone": { "type": "string", "description": "the IANA zone whose local days the rows cover" },
            "rows": { "type": "array", "items": { "type": "object", "properties": {
                "period": { "type": "string", "description": "2030-01-07, 2030-W02 or 2030-01" },
                "starts_on": { "type": "string", "format": "date" },
                "bookings": int, "cancellations": int, "by_currency": by_currency } } } } },
        "TopEvents": { "type": "object", "properties": {
            "by": { "enum": ["bookings", "rating", "revenue"] },
            "events": { "type": "array", "maxItems": 10, "items": { "type": "object", "properties": {
                "rank": int, "event": id, "title": { "type": "string" }, "bookings": int,
                "revenue_minor": int, "currency": currency, "average_rating": num,
                "rating_count": int } } } } },
        "Funnel": { "type": "object", "description": "visits ≥ holds ≥ booked ≥ checked_in (docs/api.md)",
            "properties": {
            "visits": int, "holds": int, "booked": int, "cancelled": int, "expired": int,
            "checked_in": { "type": "integer", "description": "tickets with a seat checked in" } } },
        "Revenue": { "type": "object", "properties": {
            "by_currency": by_currency, "seats_booked": int, "capacity": int, "utilisation": num } }
    })
}

/// The schema of one query parameter of the analytics routes.
pub(crate) fn query_schema(name: &str) -> Option<Value> {
    Some(match name {
        "format" => json!({ "enum": ["json", "csv"], "default": "json",
            "description": "or send `Accept: text/csv`" }),
        "organizer" => {
            json!({ "type": "string", "description": "an organizer's user id (admins)" })
        }
        "from" | "to" => {
            json!({ "type": "string", "format": "date", "description": "YYYY-MM-DD, a local day of time_zone; at most 10 years apart" })
        }
        "time_zone" => json!({ "type": "string", "default": "UTC",
            "description": "IANA zone (e.g. Asia/Kolkata) whose local days, weeks and months the rows cover" }),
        "group_by" => json!({ "enum": ["day", "week", "month"], "default": "day" }),
        "by" => json!({ "enum": ["bookings", "rating", "revenue"], "default": "bookings" }),
        "min_ratings" => json!({ "type": "integer", "minimum": 1, "default": 1 }),
        "report" => {
            json!({ "enum": ReportName::ALL.iter().map(|r| r.as_str()).collect::<Vec<_>>() })
        }
        _ => return None,
    })
}

/// The analytics consumer's lag in the Prometheus text format.
pub(crate) fn lag_metrics(lag: prasang_core::analytics::Lag) -> String {
    format!(
        "# HELP prasang_analytics_lag_entries Log entries the analytics consumer has not folded yet.\n\
         # TYPE prasang_analytics_lag_entries gauge\n\
         prasang_analytics_lag_entries {}\n\
         # HELP prasang_analytics_lag_seconds Age of the oldest log entry not folded yet.\n\
         # TYPE prasang_analytics_lag_seconds gauge\n\
         prasang_analytics_lag_seconds {}\n",
        lag.entries, lag.seconds
    )
}
