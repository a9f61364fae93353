//! The analytics reports as tables: the same rows and columns as the REST API's CSV.

use prasang_core::analytics::{
    AgeGroup, Arrivals, Attendance, AttendanceByGroup, AttendanceByTicketType, ByPromoCode,
    ByTicketType, CurrencyTotals, Demographics, Funnel, Popularity, QueueOverTime, RatingsByGroup,
    Revenue, Sales, TopEvents, Trends, WaitlistLength, WaitlistTotals,
};
use prasang_core::users::Gender;
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

/// The gender and age group columns of rows by demographic group.
fn groups<R>(rows: &[R], group: impl Fn(&R) -> (Gender, AgeGroup)) -> Columns {
    Columns::default()
        .category(
            "gender",
            &GENDERS,
            rows.iter().map(|r| vocab::gender(group(r).0)),
        )
        .category(
            "age_group",
            &AGE_GROUPS,
            rows.iter().map(|r| vocab::age_group(group(r).1)),
        )
}

pub(crate) fn demographics(r: &Demographics) -> PyResult<Table> {
    let rows = &r.groups;
    Table::new(
        groups(rows, |g| (g.gender, g.age_group))
            .int("holders", rows.iter().map(|g| count(g.holders))),
    )
}

pub(crate) fn ratings_by_group(r: &RatingsByGroup) -> PyResult<Table> {
    let rows = &r.groups;
    Table::new(
        groups(rows, |g| (g.gender, g.age_group))
            .int("count", rows.iter().map(|g| count(g.count)))
            .float("average", rows.iter().map(|g| g.average)),
    )
}

/// The rows of a per-currency table: each row with each of its currencies (or with none, so a
/// row without any still shows), as the CSV has them.
fn in_currencies<'a, R>(
    rows: impl IntoIterator<Item = &'a R>,
    currencies: impl Fn(&'a R) -> &'a [CurrencyTotals],
) -> Vec<(&'a R, Option<&'a CurrencyTotals>)> {
    let mut out = Vec::new();
    for row in rows {
        match currencies(row) {
            [] => out.push((row, None)),
            list => out.extend(list.iter().map(|c| (row, Some(c)))),
        }
    }
    out
}

/// Trends in long form: one row per period and currency, with the bookings, cancellations and
/// revenue of the events priced in it.
pub(crate) fn trends(r: &Trends) -> PyResult<Table> {
    let rows = in_currencies(&r.rows, |t| &t.by_currency);
    Table::new(
        Columns::default()
            .text("period", rows.iter().map(|(t, _)| t.period.as_str()))
            .date("starts_on", rows.iter().map(|(t, _)| days(&t.starts_on)))
            .text_opt("currency", rows.iter().map(|(_, c)| c.map(|c| &c.currency)))
            .int(
                "bookings",
                rows.iter()
                    .map(|(t, c)| count(c.map_or(t.bookings, |c| c.bookings))),
            )
            .int(
                "cancellations",
                rows.iter()
                    .map(|(t, c)| count(c.map_or(t.cancellations, |c| c.cancellations))),
            )
            .int(
                "revenue_minor",
                rows.iter().map(|(_, c)| c.map_or(0, |c| c.revenue_minor)),
            ),
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
            .text("currency", rows.iter().map(|e| e.currency.as_str()))
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
            .int("expired", [count(r.expired)])
            .int("checked_in", [count(r.checked_in)]),
    )
}

/// One row per currency; the seat columns are the whole scope's, the same on every row.
pub(crate) fn revenue(r: &Revenue) -> PyResult<Table> {
    let rows = in_currencies([r], |r| &r.by_currency);
    Table::new(
        Columns::default()
            .text_opt("currency", rows.iter().map(|(_, c)| c.map(|c| &c.currency)))
            .int(
                "revenue_minor",
                rows.iter().map(|(_, c)| c.map_or(0, |c| c.revenue_minor)),
            )
            .int(
                "seats_booked",
                rows.iter().map(|(r, _)| count(r.seats_booked)),
            )
            .int("capacity", rows.iter().map(|(r, _)| count(r.capacity)))
            .float("utilisation", rows.iter().map(|(r, _)| r.utilisation)),
    )
}

/// A sales report's columns after the row's own (its type or code), as the CSV has them.
fn sales<R>(own: Columns, rows: &[R], sales: impl Fn(&R) -> &Sales) -> Columns {
    own.text("currency", rows.iter().map(|r| sales(r).currency.as_str()))
        .int("bookings", rows.iter().map(|r| count(sales(r).bookings)))
        .int(
            "seats_booked",
            rows.iter().map(|r| count(sales(r).seats_booked)),
        )
        .int(
            "cancellations",
            rows.iter().map(|r| count(sales(r).cancellations)),
        )
        .int("revenue_minor", rows.iter().map(|r| sales(r).revenue_minor))
        .int("refund_minor", rows.iter().map(|r| sales(r).refund_minor))
        .int(
            "discount_minor",
            rows.iter().map(|r| sales(r).discount_minor),
        )
}

pub(crate) fn by_ticket_type(r: &ByTicketType) -> PyResult<Table> {
    let rows = &r.types;
    let own = Columns::default()
        .int("ticket_type", rows.iter().map(|t| i64::from(t.ticket_type)))
        .text("name", rows.iter().map(|t| t.name.as_str()));
    Table::new(sales(own, rows, |t| &t.sales))
}

pub(crate) fn by_promo_code(r: &ByPromoCode) -> PyResult<Table> {
    let rows = &r.codes;
    let own = Columns::default().text("code", rows.iter().map(|c| c.code.as_str()));
    Table::new(sales(own, rows, |c| &c.sales))
}

/// An attendance report's columns after the row's own (none, its type, its group), as the CSV
/// has them.
fn attendance<R>(own: Columns, rows: &[R], attendance: impl Fn(&R) -> &Attendance) -> Columns {
    own.int(
        "booked_seats",
        rows.iter().map(|r| count(attendance(r).booked_seats)),
    )
    .int(
        "checked_in",
        rows.iter().map(|r| count(attendance(r).checked_in)),
    )
    .int(
        "no_shows",
        rows.iter().map(|r| count(attendance(r).no_shows)),
    )
    .float("rate", rows.iter().map(|r| attendance(r).rate))
}

pub(crate) fn attendance_totals(r: &Attendance) -> PyResult<Table> {
    Table::new(attendance(Columns::default(), &[r], |r| r))
}

pub(crate) fn attendance_by_ticket_type(r: &AttendanceByTicketType) -> PyResult<Table> {
    let rows = &r.types;
    let own = Columns::default()
        .int("ticket_type", rows.iter().map(|t| i64::from(t.ticket_type)))
        .text("name", rows.iter().map(|t| t.name.as_str()));
    Table::new(attendance(own, rows, |t| &t.attendance))
}

pub(crate) fn attendance_by_group(r: &AttendanceByGroup) -> PyResult<Table> {
    let rows = &r.groups;
    let own = groups(rows, |g| (g.gender, g.age_group));
    Table::new(attendance(own, rows, |g| &g.attendance))
}

/// The arrival curve: the quarter hour's local start (RFC 3339 with its offset, as the REST
/// API writes it), its `HH:MM`, and the seats checked in.
pub(crate) fn arrivals(r: &Arrivals) -> PyResult<Table> {
    let rows = &r.rows;
    Table::new(
        Columns::default()
            .text("starts_at", rows.iter().map(|a| a.starts_at.as_str()))
            .text("time", rows.iter().map(|a| a.time.as_str()))
            .int("checked_in", rows.iter().map(|a| count(a.checked_in))),
    )
}

/// The waiting list's totals (one row), as the CSV has them.
pub(crate) fn waitlist_totals(r: &WaitlistTotals) -> PyResult<Table> {
    Table::new(
        Columns::default()
            .int("joined", [count(r.joined)])
            .int("left", [count(r.left)])
            .int("waiting", [count(r.waiting)])
            .int("waiting_seats", [count(r.waiting_seats)])
            .int("offers", [count(r.offers)])
            .int("offered_seats", [count(r.offered_seats)])
            .int("accepted", [count(r.accepted)])
            .int("declined", [count(r.declined)])
            .int("expired", [count(r.expired)])
            .int("withdrawn", [count(r.withdrawn)])
            .int("open_offers", [count(r.open_offers)])
            .int("seats_recovered", [count(r.seats_recovered)])
            .float("acceptance_rate", [r.acceptance_rate]),
    )
}

/// The waiting list per hour on the event's local clock: the hour's local start (RFC 3339
/// with its offset, as the REST API writes it), its `YYYY-MM-DD HH:MM`, the list at its end and
/// what happened in it.
pub(crate) fn waitlist_length(r: &WaitlistLength) -> PyResult<Table> {
    let rows = &r.rows;
    let column = |f: fn(&prasang_core::analytics::WaitlistHour) -> u64| {
        rows.iter().map(move |h| count(f(h)))
    };
    Table::new(
        Columns::default()
            .text("starts_at", rows.iter().map(|h| h.starts_at.as_str()))
            .text("time", rows.iter().map(|h| h.time.as_str()))
            .int("waiting", column(|h| h.waiting))
            .int("waiting_seats", column(|h| h.waiting_seats))
            .int("open_offers", column(|h| h.open_offers))
            .int("joined", column(|h| h.joined))
            .int("offers", column(|h| h.offers))
            .int("accepted", column(|h| h.accepted))
            .int("declined", column(|h| h.declined))
            .int("expired", column(|h| h.expired)),
    )
}

/// The waiting room per minute on the event's local clock: the minute's local start (RFC 3339
/// with its offset), its `YYYY-MM-DD HH:MM`, the joins and admissions in it and the queue at
/// its end.
pub(crate) fn waiting_room(r: &QueueOverTime) -> PyResult<Table> {
    let rows = &r.rows;
    let column =
        |f: fn(&prasang_core::analytics::QueueMinute) -> u64| rows.iter().map(move |m| count(f(m)));
    Table::new(
        Columns::default()
            .text("starts_at", rows.iter().map(|m| m.starts_at.as_str()))
            .text("time", rows.iter().map(|m| m.time.as_str()))
            .int("joined", column(|m| m.joined))
            .int("admitted", column(|m| m.admitted))
            .int("waiting", column(|m| m.waiting)),
    )
}
