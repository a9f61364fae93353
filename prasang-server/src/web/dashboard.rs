//! The organizer's analytics dashboard (charts drawn on the server) and its CSV downloads.

use hyper::header::{CACHE_CONTROL, HeaderValue};
use maud::html;
use prasang_core::EventId;
use prasang_core::analytics::{AgeGroup, ReportName, Scope, TopParams, TrendParams, TrendRow};
use prasang_core::auth::Actor;
use prasang_core::users::Gender;

use super::charts::{self, BarChart, Series};
use super::cx::{BoxPage, WebCx};
use super::error::WebError;
use super::layout::page;

/// The funnel chart's bars.
pub(crate) const FUNNEL_STEPS: [&str; 6] = [
    "Page views",
    "Holds",
    "Booked",
    "Cancelled",
    "Expired",
    "Checked in",
];

/// The caller's events, or everyone's for admins (as the REST reports).
fn scope_of(actor: &Actor) -> Scope {
    if actor.is_admin() {
        Scope::All
    } else {
        Scope::Organizer(actor.user_id())
    }
}

/// `GET /organizer/analytics?group_by=day|week|month`
pub(crate) fn show(cx: WebCx) -> BoxPage {
    Box::pin(async move {
        let actor = cx.signed_in()?.actor;
        let scope = scope_of(&actor);
        let group_by = cx
            .query("group_by")
            .filter(|by| matches!(*by, "day" | "week" | "month"))
            .unwrap_or("day");
        let analytics = cx.prasang().analytics();
        let trend_params = TrendParams {
            from: None,
            to: None,
            group_by: Some(group_by.to_owned()),
            time_zone: None,
        };
        let trends = analytics
            .trends(&actor, scope, &trend_params)
            .map_err(WebError::from)?;
        let demographics = analytics
            .demographics(&actor, scope)
            .map_err(WebError::from)?;
        let ratings = analytics
            .ratings_by_group(&actor, scope)
            .map_err(WebError::from)?;
        let funnel = analytics.funnel(&actor, scope).map_err(WebError::from)?;
        let top = analytics
            .top_events(
                &actor,
                scope,
                &TopParams {
                    by: None,
                    min_ratings: None,
                },
            )
            .map_err(WebError::from)?;
        let periods: Vec<String> = trends.rows.iter().map(|r| r.period.clone()).collect();
        let trends_csv = format!("/organizer/analytics/csv/trends?group_by={group_by}");
        // One series of the trend rows, by period.
        let per_period = |name, value: fn(&TrendRow) -> f64| Series {
            name,
            values: trends.rows.iter().map(value).collect(),
        };
        let trend_chart = BarChart {
            id: "trend",
            title: "Bookings and cancellations",
            labels: periods.clone(),
            series: vec![
                per_period("Bookings", |r| r.bookings as f64),
                per_period("Cancellations", |r| r.cancellations as f64),
            ],
            csv: trends_csv.clone(),
            show: charts::count,
        };
        // One chart per currency: minor units of two currencies do not add up.
        let currencies: Vec<&str> = trends
            .rows
            .first()
            .map(|row| {
                row.by_currency
                    .iter()
                    .map(|c| c.currency.as_str())
                    .collect()
            })
            .unwrap_or_default();
        // (id, title); the first keeps the id `revenue` the page always had.
        let revenue_titles: Vec<(String, String)> = if currencies.is_empty() {
            vec![("revenue".to_owned(), "Revenue".to_owned())]
        } else {
            currencies
                .iter()
                .enumerate()
                .map(|(index, code)| {
                    let id = match index {
                        0 => "revenue".to_owned(),
                        _ => format!("revenue-{}", code.to_ascii_lowercase()),
                    };
                    (id, format!("Revenue in {code} (major units)"))
                })
                .collect()
        };
        let revenue_charts: Vec<BarChart> = revenue_titles
            .iter()
            .enumerate()
            .map(|(index, (id, title))| BarChart {
                id,
                title,
                labels: periods.clone(),
                series: vec![Series {
                    name: "Revenue",
                    values: trends
                        .rows
                        .iter()
                        .map(|r| {
                            r.by_currency
                                .get(index)
                                .map_or(0.0, |c| c.revenue_minor as f64)
                        })
                        .collect(),
                }],
                csv: trends_csv.clone(),
                show: charts::money,
            })
            .collect();
        let age_chart = BarChart {
            id: "age",
            title: "Ticket holders by age group",
            labels: demographics
                .by_age_group
                .iter()
                .map(|(g, _)| age_label(*g))
                .collect(),
            series: vec![Series {
                name: "Holders",
                values: demographics
                    .by_age_group
                    .iter()
                    .map(|(_, n)| *n as f64)
                    .collect(),
            }],
            csv: "/organizer/analytics/csv/demographics".into(),
            show: charts::count,
        };
        let gender_chart = BarChart {
            id: "gender",
            title: "Ticket holders by gender",
            labels: demographics
                .by_gender
                .iter()
                .map(|(g, _)| gender_label(*g).to_owned())
                .collect(),
            series: vec![Series {
                name: "Holders",
                values: demographics
                    .by_gender
                    .iter()
                    .map(|(_, n)| *n as f64)
                    .collect(),
            }],
            csv: "/organizer/analytics/csv/demographics".into(),
            show: charts::count,
        };
        // Mean rating per age group, over every gender (weighted by how many rated).
        let mut by_age: Vec<(AgeGroup, f64, u64)> = Vec::new();
        for group in &ratings.groups {
            let Some(average) = group.average else {
                continue;
            };
            match by_age.iter_mut().find(|(g, _, _)| *g == group.age_group) {
                Some((_, sum, n)) => {
                    *sum += average * group.count as f64;
                    *n += group.count;
                }
                None => by_age.push((group.age_group, average * group.count as f64, group.count)),
            }
        }
        by_age.sort_by_key(|(g, _, _)| *g);
        let rating_chart = BarChart {
            id: "rating",
            title: "Mean rating by age group",
            labels: by_age.iter().map(|(g, _, _)| age_label(*g)).collect(),
            series: vec![Series {
                name: "Mean rating",
                values: by_age
                    .iter()
                    .map(|(_, sum, n)| if *n > 0 { sum / *n as f64 } else { 0.0 })
                    .collect(),
            }],
            csv: "/organizer/analytics/csv/ratings-by-group".into(),
            show: charts::decimal,
        };
        let funnel_chart = BarChart {
            id: "funnel",
            title: "Funnel",
            labels: FUNNEL_STEPS.map(String::from).to_vec(),
            series: vec![Series {
                name: "Count",
                values: [
                    funnel.visits,
                    funnel.holds,
                    funnel.booked,
                    funnel.cancelled,
                    funnel.expired,
                    funnel.checked_in,
                ]
                .map(|n| n as f64)
                .to_vec(),
            }],
            csv: "/organizer/analytics/csv/funnel".into(),
            show: charts::count,
        };
        let top_chart = BarChart {
            id: "top",
            title: "Top events by bookings",
            labels: top.events.iter().map(|e| e.title.clone()).collect(),
            series: vec![Series {
                name: "Bookings",
                values: top.events.iter().map(|e| e.bookings as f64).collect(),
            }],
            csv: "/organizer/analytics/csv/top-events".into(),
            show: charts::count,
        };
        let body = html! {
            h1 { "Analytics" }
            p { a href="/organizer" { "Back to my events" } }
            form.search method="get" action="/organizer/analytics" {
                label for="group_by" { "Trend by" }
                select #group_by name="group_by" {
                    @for (value, label) in [("day", "Day"), ("week", "Week"), ("month", "Month")] {
                        option value=(value) selected[value == group_by] { (label) }
                    }
                }
                button type="submit" { "Show" }
            }
            p.hint { "From " (trends.from) " to " (trends.to) " (UTC)." }
            div.charts {
                (trend_chart.render())
                @for chart in &revenue_charts {
                    (chart.render())
                }
                (funnel_chart.render())
                (top_chart.render())
                (age_chart.render())
                (gender_chart.render())
                (rating_chart.render())
            }
        };
        page(&cx, "Analytics", body)
    })
}

pub(crate) fn age_label(group: AgeGroup) -> String {
    group
        .as_str()
        .replace('_', "–")
        .replace("under–18", "under 18")
        .replace("65–plus", "65+")
}

pub(crate) fn gender_label(gender: Gender) -> &'static str {
    match gender {
        Gender::Female => "Female",
        Gender::Male => "Male",
        Gender::NonBinary => "Non-binary",
        Gender::Undisclosed => "Undisclosed",
    }
}

/// `GET /organizer/analytics/csv/{report}?event=&group_by=&by=`: the REST report as CSV, over
/// the caller's events (or one of them), for the signed-in user.
pub(crate) fn csv(cx: WebCx) -> BoxPage {
    Box::pin(async move {
        let actor = cx.signed_in()?.actor;
        let report = ReportName::parse(cx.param("report"))?;
        let scope = match cx.query("event") {
            Some(id) => Scope::Event(id.parse::<EventId>().map_err(|_| WebError::NotFound)?),
            None => scope_of(&actor),
        };
        let get = |name: &str| cx.query(name).map(str::to_owned);
        let mut response =
            crate::handlers::analytics::answer(cx.prasang(), &actor, scope, report, get, true)?;
        response
            .headers_mut()
            .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        Ok(response)
    })
}
