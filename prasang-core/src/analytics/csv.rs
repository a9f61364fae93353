//! Reports as tables, and tables as CSV (RFC 4180: header row, comma-separated, CRLF line ends,
//! fields quoted when they hold a comma, quote or line break, UTF-8).
//!
//! Cells a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, a tab or a
//! carriage return) are neutralised with a leading `'`, as OWASP recommends. Negative numbers
//! are numbers, not formulas, and are written as they are.
//!
//! ```
//! use prasang_core::analytics::csv::{Table, to_csv};
//!
//! struct Names;
//! impl Table for Names {
//!     fn header(&self) -> Vec<&'static str> { vec!["name"] }
//!     fn rows(&self) -> Vec<Vec<String>> { vec![vec!["=HYPERLINK(\"x\")".into()]] }
//! }
//! assert_eq!(to_csv(&Names), "name\r\n\"'=HYPERLINK(\"\"x\"\")\"\r\n");
//! ```

use super::{
    ArrivalRow, Arrivals, Attendance, AttendanceByGroup, AttendanceByTicketType, ByPromoCode,
    ByTicketType, CodeSales, CurrencyTotals, DemographicRow, Demographics, Funnel, GroupAttendance,
    GroupRating, Popularity, QueueMinute, QueueOverTime, RatingsByGroup, Revenue, TopEvent,
    TopEvents, TrendRow, Trends, TypeAttendance, TypeSales, WaitlistHour, WaitlistLength,
    WaitlistTotals, gender_str,
};

/// A report as rows of text cells.
pub trait Table {
    /// Column names.
    fn header(&self) -> Vec<&'static str>;
    /// The rows, each as long as the header.
    fn rows(&self) -> Vec<Vec<String>>;
}

/// The table as CSV text.
pub fn to_csv(table: &dyn Table) -> String {
    let mut out = String::new();
    let header: Vec<String> = table.header().into_iter().map(str::to_owned).collect();
    write_row(&mut out, &header);
    for row in table.rows() {
        write_row(&mut out, &row);
    }
    out
}

fn write_row(out: &mut String, cells: &[String]) {
    for (i, cell) in cells.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_cell(out, cell);
    }
    out.push_str("\r\n");
}

fn is_number(cell: &str) -> bool {
    !cell.is_empty() && cell.parse::<f64>().is_ok() && !cell.contains(['e', 'E', 'i', 'n', 'N'])
}

fn write_cell(out: &mut String, cell: &str) {
    let risky = cell.starts_with(['=', '+', '-', '@', '\t', '\r']) && !is_number(cell);
    let text = if risky {
        format!("'{cell}")
    } else {
        cell.to_owned()
    };
    if text.contains([',', '"', '\n', '\r']) || risky {
        out.push('"');
        out.push_str(&text.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(&text);
    }
}

fn opt(value: Option<f64>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

/// A column: its name and how to write one row's cell.
type Column<R> = (&'static str, fn(&R) -> String);

/// Implements [`Table`] for a report from its rows (references to `R`, bound to `$this`) and
/// its columns (`&[Column<R>]`).
macro_rules! table {
    ($report:ty, |$this:ident| $rows:expr, $columns:expr) => {
        impl Table for $report {
            fn header(&self) -> Vec<&'static str> {
                $columns.iter().map(|(name, _)| *name).collect()
            }
            fn rows(&self) -> Vec<Vec<String>> {
                let $this = self;
                $rows
                    .into_iter()
                    .map(|row| $columns.iter().map(|(_, cell)| cell(row)).collect())
                    .collect()
            }
        }
    };
}

const POPULARITY: &[Column<Popularity>] = &[
    ("visits", |r| r.visits.to_string()),
    ("bookings", |r| r.bookings.to_string()),
    ("cancellations", |r| r.cancellations.to_string()),
    ("expiries", |r| r.expiries.to_string()),
    ("conversion", |r| opt(r.conversion)),
    ("average_rating", |r| opt(r.average_rating)),
    ("rating_count", |r| r.rating_count.to_string()),
];
table!(Popularity, |r| [r], POPULARITY);

const DEMOGRAPHICS: &[Column<DemographicRow>] = &[
    ("gender", |r| gender_str(r.gender).to_owned()),
    ("age_group", |r| r.age_group.as_str().to_owned()),
    ("holders", |r| r.holders.to_string()),
];
table!(Demographics, |r| &r.groups, DEMOGRAPHICS);

const RATINGS_BY_GROUP: &[Column<GroupRating>] = &[
    ("gender", |r| gender_str(r.gender).to_owned()),
    ("age_group", |r| r.age_group.as_str().to_owned()),
    ("count", |r| r.count.to_string()),
    ("average", |r| opt(r.average)),
];
table!(RatingsByGroup, |r| &r.groups, RATINGS_BY_GROUP);

/// A row of a per-currency table: the report's row and one of its currencies (none when the
/// row has no currency at all, so the row still shows).
type InCurrency<'a, R> = (&'a R, Option<&'a CurrencyTotals>);

fn in_currencies<'a, R>(row: &'a R, currencies: &'a [CurrencyTotals]) -> Vec<InCurrency<'a, R>> {
    if currencies.is_empty() {
        return vec![(row, None)];
    }
    currencies.iter().map(|c| (row, Some(c))).collect()
}

fn currency<R>(row: &InCurrency<'_, R>) -> String {
    row.1.map(|c| c.currency.clone()).unwrap_or_default()
}

fn revenue_minor<R>(row: &InCurrency<'_, R>) -> String {
    row.1.map_or(0, |c| c.revenue_minor).to_string()
}

/// One row per period and currency: the bookings, cancellations and revenue of the events
/// priced in that currency (so the rows of a period add up to its totals).
fn trend_columns<'a>() -> [Column<InCurrency<'a, TrendRow>>; 6] {
    [
        ("period", |(r, _)| r.period.clone()),
        ("starts_on", |(r, _)| r.starts_on.clone()),
        ("currency", currency),
        ("bookings", |(r, c)| {
            c.map_or(r.bookings, |c| c.bookings).to_string()
        }),
        ("cancellations", |(r, c)| {
            c.map_or(r.cancellations, |c| c.cancellations).to_string()
        }),
        ("revenue_minor", revenue_minor),
    ]
}
table!(
    Trends,
    |t| &t
        .rows
        .iter()
        .flat_map(|row| in_currencies(row, &row.by_currency))
        .collect::<Vec<_>>(),
    trend_columns()
);

const TOP_EVENTS: &[Column<TopEvent>] = &[
    ("rank", |e| e.rank.to_string()),
    ("event", |e| e.event.to_string()),
    ("title", |e| e.title.clone()),
    ("bookings", |e| e.bookings.to_string()),
    ("revenue_minor", |e| e.revenue_minor.to_string()),
    ("currency", |e| e.currency.clone()),
    ("average_rating", |e| opt(e.average_rating)),
    ("rating_count", |e| e.rating_count.to_string()),
];
table!(TopEvents, |r| &r.events, TOP_EVENTS);

const FUNNEL: &[Column<Funnel>] = &[
    ("visits", |r| r.visits.to_string()),
    ("holds", |r| r.holds.to_string()),
    ("booked", |r| r.booked.to_string()),
    ("cancelled", |r| r.cancelled.to_string()),
    ("expired", |r| r.expired.to_string()),
    ("checked_in", |r| r.checked_in.to_string()),
];
table!(Funnel, |r| [r], FUNNEL);

/// One row per currency; the seat columns are the whole scope's, the same on every row.
fn revenue_columns<'a>() -> [Column<InCurrency<'a, Revenue>>; 5] {
    [
        ("currency", currency),
        ("revenue_minor", revenue_minor),
        ("seats_booked", |(r, _)| r.seats_booked.to_string()),
        ("capacity", |(r, _)| r.capacity.to_string()),
        ("utilisation", |(r, _)| opt(r.utilisation)),
    ]
}
table!(
    Revenue,
    |r| &in_currencies(r, &r.by_currency),
    revenue_columns()
);

/// A sales row's own columns (its type or code), then those of its `sales`.
macro_rules! sales_columns {
    ($row:ty, [$($own:expr),*]) => {
        &[
            $($own,)*
            ("currency", |r: &$row| r.sales.currency.clone()),
            ("bookings", |r: &$row| r.sales.bookings.to_string()),
            ("seats_booked", |r: &$row| r.sales.seats_booked.to_string()),
            ("cancellations", |r: &$row| r.sales.cancellations.to_string()),
            ("revenue_minor", |r: &$row| r.sales.revenue_minor.to_string()),
            ("refund_minor", |r: &$row| r.sales.refund_minor.to_string()),
            ("discount_minor", |r: &$row| r.sales.discount_minor.to_string()),
        ]
    };
}

const BY_TICKET_TYPE: &[Column<TypeSales>] = sales_columns!(
    TypeSales,
    [
        ("ticket_type", |r: &TypeSales| r.ticket_type.to_string()),
        ("name", |r: &TypeSales| r.name.clone())
    ]
);
table!(ByTicketType, |r| &r.types, BY_TICKET_TYPE);

const BY_PROMO_CODE: &[Column<CodeSales>] =
    sales_columns!(CodeSales, [("code", |r: &CodeSales| r.code.clone())]);
table!(ByPromoCode, |r| &r.codes, BY_PROMO_CODE);

/// An attendance row's own columns (none, its type, its group), then the attendance's.
macro_rules! attendance_columns {
    ($row:ty, |$r:ident| $attendance:expr, [$($own:expr),*]) => {
        &[
            $($own,)*
            ("booked_seats", |$r: &$row| $attendance.booked_seats.to_string()),
            ("checked_in", |$r: &$row| $attendance.checked_in.to_string()),
            ("no_shows", |$r: &$row| $attendance.no_shows.to_string()),
            ("rate", |$r: &$row| opt($attendance.rate)),
        ]
    };
}

const ATTENDANCE: &[Column<Attendance>] = attendance_columns!(Attendance, |r| r, []);
table!(Attendance, |r| [r], ATTENDANCE);

const ATTENDANCE_BY_TICKET_TYPE: &[Column<TypeAttendance>] = attendance_columns!(
    TypeAttendance,
    |r| r.attendance,
    [
        ("ticket_type", |r: &TypeAttendance| r
            .ticket_type
            .to_string()),
        ("name", |r: &TypeAttendance| r.name.clone())
    ]
);
table!(
    AttendanceByTicketType,
    |r| &r.types,
    ATTENDANCE_BY_TICKET_TYPE
);

const ATTENDANCE_BY_GROUP: &[Column<GroupAttendance>] = attendance_columns!(
    GroupAttendance,
    |r| r.attendance,
    [
        ("gender", |r: &GroupAttendance| gender_str(r.gender)
            .to_owned()),
        ("age_group", |r: &GroupAttendance| r
            .age_group
            .as_str()
            .to_owned())
    ]
);
table!(AttendanceByGroup, |r| &r.groups, ATTENDANCE_BY_GROUP);

const ARRIVALS: &[Column<ArrivalRow>] = &[
    ("starts_at", |r| r.starts_at.clone()),
    ("time", |r| r.time.clone()),
    ("checked_in", |r| r.checked_in.to_string()),
];
table!(Arrivals, |r| &r.rows, ARRIVALS);

const WAITLIST: &[Column<WaitlistTotals>] = &[
    ("joined", |r| r.joined.to_string()),
    ("left", |r| r.left.to_string()),
    ("waiting", |r| r.waiting.to_string()),
    ("waiting_seats", |r| r.waiting_seats.to_string()),
    ("offers", |r| r.offers.to_string()),
    ("offered_seats", |r| r.offered_seats.to_string()),
    ("accepted", |r| r.accepted.to_string()),
    ("declined", |r| r.declined.to_string()),
    ("expired", |r| r.expired.to_string()),
    ("withdrawn", |r| r.withdrawn.to_string()),
    ("open_offers", |r| r.open_offers.to_string()),
    ("seats_recovered", |r| r.seats_recovered.to_string()),
    ("acceptance_rate", |r| opt(r.acceptance_rate)),
];
table!(WaitlistTotals, |r| [r], WAITLIST);

const WAITLIST_LENGTH: &[Column<WaitlistHour>] = &[
    ("starts_at", |r| r.starts_at.clone()),
    ("time", |r| r.time.clone()),
    ("waiting", |r| r.waiting.to_string()),
    ("waiting_seats", |r| r.waiting_seats.to_string()),
    ("open_offers", |r| r.open_offers.to_string()),
    ("joined", |r| r.joined.to_string()),
    ("offers", |r| r.offers.to_string()),
    ("accepted", |r| r.accepted.to_string()),
    ("declined", |r| r.declined.to_string()),
    ("expired", |r| r.expired.to_string()),
];
table!(WaitlistLength, |r| &r.rows, WAITLIST_LENGTH);

const WAITING_ROOM: &[Column<QueueMinute>] = &[
    ("starts_at", |r| r.starts_at.clone()),
    ("time", |r| r.time.clone()),
    ("joined", |r| r.joined.to_string()),
    ("admitted", |r| r.admitted.to_string()),
    ("waiting", |r| r.waiting.to_string()),
];
table!(QueueOverTime, |r| &r.rows, WAITING_ROOM);

#[cfg(test)]
mod tests {
    use super::*;

    struct One(&'static str);
    impl Table for One {
        fn header(&self) -> Vec<&'static str> {
            vec!["a", "b"]
        }
        fn rows(&self) -> Vec<Vec<String>> {
            vec![vec![self.0.to_owned(), "x".into()]]
        }
    }

    #[test]
    fn formulas_are_neutralised_and_quoting_follows_rfc_4180() {
        assert_eq!(to_csv(&One("=1+2")), "a,b\r\n\"'=1+2\",x\r\n");
        assert_eq!(to_csv(&One("@SUM(A1)")), "a,b\r\n\"'@SUM(A1)\",x\r\n");
        assert_eq!(to_csv(&One("+cmd")), "a,b\r\n\"'+cmd\",x\r\n");
        assert_eq!(
            to_csv(&One("-cmd|' /C calc'!A0")),
            "a,b\r\n\"'-cmd|' /C calc'!A0\",x\r\n"
        );
        assert_eq!(to_csv(&One("-42")), "a,b\r\n-42,x\r\n");
        assert_eq!(
            to_csv(&One("a,\"b\"\nc")),
            "a,b\r\n\"a,\"\"b\"\"\nc\",x\r\n"
        );
        assert_eq!(to_csv(&One("Grüße")), "a,b\r\nGrüße,x\r\n");
    }
}
