//! The event page's waiting list numbers: offers made and how they ended, the seats the list
//! sold again, and the list's length hour by hour on the event's local clock (the `waitlist` and
//! `waitlist-length` reports, with their CSV links). Shown once someone has joined the list.

use maud::{Markup, html};
use prasang_core::analytics::{AnalyticsError, Scope, WaitlistLength, WaitlistTotals};
use prasang_core::auth::Actor;
use prasang_core::{EventId, Prasang};

use crate::web::charts::{self, BarChart, Series};

/// The reports the section shows.
pub(crate) struct Reports {
    pub(crate) totals: WaitlistTotals,
    pub(crate) length: WaitlistLength,
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
            totals: analytics.waitlist_totals(actor, Scope::Event(event))?,
            length: analytics.waitlist_length(actor, event)?,
        })
    }
}

/// A chart label for an hour: `MM-DD HHh` from its local RFC 3339 start (short enough for
/// the axis).
fn hour_label(starts_at: &str) -> String {
    match (starts_at.get(5..10), starts_at.get(11..13)) {
        (Some(day), Some(hour)) => format!("{day} {hour}h"),
        _ => starts_at.to_owned(),
    }
}

/// The waiting list's numbers (as the analytics consumer has folded them); nothing before
/// anyone joined.
pub(crate) fn section(id: EventId, reports: &Reports) -> Markup {
    let t = &reports.totals;
    if t.joined == 0 {
        return html! {};
    }
    let csv = |report: &str| format!("/organizer/analytics/csv/{report}?event={id}");
    let rows = &reports.length.rows;
    let title = format!("Waiting list per hour ({})", reports.length.time_zone);
    let length = BarChart {
        id: "waitlist-length",
        title: &title,
        labels: rows.iter().map(|r| hour_label(&r.starts_at)).collect(),
        series: vec![
            Series {
                name: "Waiting",
                values: rows.iter().map(|r| r.waiting as f64).collect(),
            },
            Series {
                name: "Open offers",
                values: rows.iter().map(|r| r.open_offers as f64).collect(),
            },
        ],
        csv: csv("waitlist-length"),
        show: charts::count,
    };
    let rate = t
        .acceptance_rate
        .map_or_else(|| "–".to_owned(), |r| format!("{:.0}%", r * 100.0));
    html! {
        h2 #waitlist-numbers { "Waiting list in numbers" }
        ul.stats aria-label="Waiting list" {
            li { strong { (t.waiting) } "waiting (" (t.waiting_seats) " seats)" }
            li { strong { (t.offers) } "offers made" }
            li { strong { (t.accepted) " / " (t.declined) " / " (t.expired) } "accepted / declined / expired" }
            li { strong { (t.seats_recovered) } "seats recovered" }
            li { strong { (rate) } "offers accepted" }
        }
        p { a href=(csv("waitlist-totals")) { "Download (CSV)" } }
        div.charts { (length.render()) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hour_labels_fit_the_axis() {
        assert_eq!(hour_label("2030-01-01T19:00:00+05:30"), "01-01 19h");
        assert_eq!(hour_label("odd"), "odd");
    }
}
