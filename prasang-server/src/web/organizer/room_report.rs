//! The event page's waiting room chart: the queue and the admissions minute by minute on the
//! event's local clock (the `waiting-room` report, with its CSV link). Shown once someone has
//! joined the room; the room's settings and live numbers are on its own page.

use maud::{Markup, html};
use prasang_core::analytics::QueueOverTime;

use crate::web::charts::{self, BarChart, Series};

/// A chart label for a minute: `HH:MM` from its local RFC 3339 start.
fn minute_label(starts_at: &str) -> String {
    starts_at.get(11..16).unwrap_or(starts_at).to_owned()
}

/// The queue over time (as the analytics consumer has folded it); nothing before anyone joined.
pub(crate) fn section(queue: &QueueOverTime) -> Markup {
    let rows = &queue.rows;
    if rows.is_empty() {
        return html! {};
    }
    let title = format!("Waiting room per minute ({})", queue.time_zone);
    let chart = BarChart {
        id: "waiting-room",
        title: &title,
        labels: rows.iter().map(|r| minute_label(&r.starts_at)).collect(),
        series: vec![
            Series {
                name: "In the queue",
                values: rows.iter().map(|r| r.waiting as f64).collect(),
            },
            Series {
                name: "Admitted",
                values: rows.iter().map(|r| r.admitted as f64).collect(),
            },
        ],
        csv: format!(
            "/organizer/analytics/csv/waiting-room?event={}",
            queue.event
        ),
        show: charts::count,
    };
    html! {
        h2 #waiting-room-numbers { "Waiting room over time" }
        div.charts { (chart.render()) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minute_labels_are_the_local_clock() {
        assert_eq!(minute_label("2030-01-01T19:05:00+05:30"), "19:05");
        assert_eq!(minute_label("odd"), "odd");
    }
}
