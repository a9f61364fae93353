//! The event page's attendance section: seats checked in against seats booked, per ticket type
//! and by the holders' group, and the arrival curve on the event's local clock (the
//! `attendance*` and `arrivals` reports, with their CSV links).

use maud::{Markup, html};
use prasang_core::analytics::{
    AnalyticsError, Arrivals, Attendance, AttendanceByGroup, AttendanceByTicketType,
    GroupAttendance, Scope,
};
use prasang_core::auth::Actor;
use prasang_core::{EventId, Prasang};

use crate::web::charts::{self, BarChart, Series};
use crate::web::dashboard::{age_label, gender_label};

/// The reports the section shows.
pub(crate) struct Reports {
    pub(crate) attendance: Attendance,
    pub(crate) by_type: AttendanceByTicketType,
    pub(crate) by_group: AttendanceByGroup,
    pub(crate) arrivals: Arrivals,
}

impl Reports {
    /// Reads the reports of `event` for `actor`.
    pub(crate) fn of(
        prasang: &Prasang,
        actor: &Actor,
        event: EventId,
    ) -> Result<Reports, AnalyticsError> {
        let analytics = prasang.analytics();
        Ok(Reports {
            attendance: analytics.attendance(actor, Scope::Event(event))?,
            by_type: analytics.attendance_by_ticket_type(actor, event)?,
            by_group: analytics.attendance_by_group(actor, Scope::Event(event))?,
            arrivals: analytics.arrivals(actor, event)?,
        })
    }
}

fn rate(attendance: &Attendance) -> String {
    attendance
        .rate
        .map_or_else(|| "–".to_owned(), |r| format!("{:.0}%", r * 100.0))
}

/// A table of attendance rows, each named by its first cell, with a CSV link.
fn table<'a>(
    title: &str,
    first: &str,
    csv: String,
    rows: impl Iterator<Item = (String, &'a Attendance)>,
) -> Markup {
    let rows: Vec<_> = rows.collect();
    html! {
        h3 { (title) }
        @if rows.is_empty() {
            p { "No seats booked yet." }
        } @else {
            div.table-wrap tabindex="0" {
                table {
                    thead { tr {
                        th scope="col" { (first) } th scope="col" { "Seats booked" }
                        th scope="col" { "Checked in" } th scope="col" { "No-shows" } th scope="col" { "Rate" }
                    } }
                    tbody {
                        @for (name, attendance) in &rows {
                            tr {
                                th scope="row" { (name) }
                                td { (attendance.booked_seats) }
                                td { (attendance.checked_in) }
                                td { (attendance.no_shows) }
                                td { (rate(attendance)) }
                            }
                        }
                    }
                }
            }
        }
        p { a href=(csv) { "Download (CSV)" } }
    }
}

fn group_name(row: &GroupAttendance) -> String {
    format!("{}, {}", gender_label(row.gender), age_label(row.age_group))
}

/// Attendance (as the analytics consumer has folded the check-ins).
pub(crate) fn section(id: EventId, reports: &Reports) -> Markup {
    let csv = |report: &str| format!("/organizer/analytics/csv/{report}?event={id}");
    let total = &reports.attendance;
    let title = format!("Arrivals per quarter hour ({})", reports.arrivals.time_zone);
    let arrivals = BarChart {
        id: "arrivals",
        title: &title,
        labels: reports
            .arrivals
            .rows
            .iter()
            .map(|r| r.time.clone())
            .collect(),
        series: vec![Series {
            name: "Checked in",
            values: reports
                .arrivals
                .rows
                .iter()
                .map(|r| r.checked_in as f64)
                .collect(),
        }],
        csv: csv("arrivals"),
        show: charts::count,
    };
    html! {
        h2 #attendance { "Attendance" }
        ul.stats aria-label="Attendance" {
            li { strong { (total.checked_in) " / " (total.booked_seats) } "seats checked in" }
            li { strong { (total.no_shows) } "no-shows" }
            li { strong { (rate(total)) } "attendance" }
        }
        p { a href=(csv("attendance")) { "Download (CSV)" } }
        div.charts { (arrivals.render()) }
        (table(
            "By ticket type",
            "Ticket type",
            csv("attendance-by-ticket-type"),
            reports.by_type.types.iter().map(|t| (t.name.clone(), &t.attendance)),
        ))
        (table(
            "By group",
            "Group",
            csv("attendance-by-group"),
            reports
                .by_group
                .groups
                .iter()
                .filter(|g| g.attendance.booked_seats > 0 || g.attendance.checked_in > 0)
                .map(|g| (group_name(g), &g.attendance)),
        ))
    }
}
