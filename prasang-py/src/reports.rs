//! The analytics reports as tables: the same rows and columns as the REST API's CSV.

use prasang_core::analytics::{
    Demographics, Funnel, Popularity, RatingsByGroup, Revenue, TopEvents, Trends,
};
use pyo3::PyResult;

use crate::table::{Columns, Table};
use crate::vocab::{self, AGE_GROUPS, GENDERS};

fn count(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// Days since 1970-01-01 of a `YYYY-MM-DD` date the core wrote.
fn days(date: &str) -> i32 {
    date.parse::<jiff::civil::Date>()
        .and_then(|d| d.since(jiff::civil::date(1970, 1, 1)))
        .map_or(0, |span| span.get_days())
}

pub(crate) fn popularity(r: &Popularity) -> PyResult<Table> {
    Table::new(
        Columns::default()
            .int("visits", [count(r.visits)])
            .int("bookings", [count(r.bookings)])
            .int("cancellations", [count(r.cancellations)])
            .int("expiries", [count(r.expiries)])
            .float("conversion", [r.conversion])
            .float("average_rating", [r.average_rating])
            .int("rating_count", [count(r.rating_count)]),
    )
}

pub(crate) fn demographics(r: &Demographics) -> PyResult<Table> {
    let rows = &r.groups;
    Table::new(
        Columns::default()
            .category(
                "gender",
                &GENDERS,
                rows.iter().map(|g| vocab::gender(g.gender)),
            )
            .category(
                "age_group",
                &AGE_GROUPS,
                rows.iter().map(|g| vocab::age_group(g.age_group)),
            )
            .int("holders", rows.iter().map(|g| count(g.holders))),
    )
}

pub(crate) fn ratings_by_group(r: &RatingsByGroup) -> PyResult<Table> {
    let rows = &r.groups;
    Table::new(
        Columns::default()
            .category(
                "gender",
                &GENDERS,
                rows.iter().map(|g| vocab::gender(g.gender)),
            )
            .category(
                "age_group",
                &AGE_GROUPS,
                rows.iter().map(|g| vocab::age_group(g.age_group)),
            )
            .int("count", rows.iter().map(|g| count(g.count)))
            .float("average", rows.iter().map(|g| g.average)),
    )
}

pub(crate) fn trends(r: &Trends) -> PyResult<Table> {
    let rows = &r.rows;
    Table::new(
        Columns::default()
            .text("period", rows.iter().map(|t| t.period.as_str()))
            .date("starts_on", rows.iter().map(|t| days(&t.starts_on)))
            .int("bookings", rows.iter().map(|t| count(t.bookings)))
            .int("cancellations", rows.iter().map(|t| count(t.cancellations)))
            .int("revenue_minor", rows.iter().map(|t| t.revenue_minor)),
    )
}

pub(crate) fn top_events(r: &TopEvents) -> PyResult<Table> {
    let rows = &r.events;
    Table::new(
        Columns::default()
            .int("rank", rows.iter().map(|e| i64::from(e.rank)))
            .text("event", rows.iter().map(|e| e.event.to_string()))
            .text("title", rows.iter().map(|e| e.title.as_str()))
            .int("bookings", rows.iter().map(|e| count(e.bookings)))
            .int("revenue_minor", rows.iter().map(|e| e.revenue_minor))
            .float("average_rating", rows.iter().map(|e| e.average_rating))
            .int("rating_count", rows.iter().map(|e| count(e.rating_count))),
    )
}

pub(crate) fn funnel(r: &Funnel) -> PyResult<Table> {
    Table::new(
        Columns::default()
            .int("visits", [count(r.visits)])
            .int("holds", [count(r.holds)])
            .int("booked", [count(r.booked)])
            .int("cancelled", [count(r.cancelled)])
            .int("expired", [count(r.expired)]),
    )
}

pub(crate) fn revenue(r: &Revenue) -> PyResult<Table> {
    Table::new(
        Columns::default()
            .int("revenue_minor", [r.revenue_minor])
            .int("seats_booked", [count(r.seats_booked)])
            .int("capacity", [count(r.capacity)])
            .float("utilisation", [r.utilisation]),
    )
}
