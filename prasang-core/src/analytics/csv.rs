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
    Demographics, Funnel, Popularity, RatingsByGroup, Revenue, TopEvents, Trends, gender_str,
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

impl Table for Popularity {
    fn header(&self) -> Vec<&'static str> {
        vec![
            "visits",
            "bookings",
            "cancellations",
            "expiries",
            "conversion",
            "average_rating",
            "rating_count",
        ]
    }
    fn rows(&self) -> Vec<Vec<String>> {
        vec![vec![
            self.visits.to_string(),
            self.bookings.to_string(),
            self.cancellations.to_string(),
            self.expiries.to_string(),
            opt(self.conversion),
            opt(self.average_rating),
            self.rating_count.to_string(),
        ]]
    }
}

impl Table for Demographics {
    fn header(&self) -> Vec<&'static str> {
        vec!["gender", "age_group", "holders"]
    }
    fn rows(&self) -> Vec<Vec<String>> {
        self.groups
            .iter()
            .map(|r| {
                vec![
                    gender_str(r.gender).to_owned(),
                    r.age_group.as_str().to_owned(),
                    r.holders.to_string(),
                ]
            })
            .collect()
    }
}

impl Table for RatingsByGroup {
    fn header(&self) -> Vec<&'static str> {
        vec!["gender", "age_group", "count", "average"]
    }
    fn rows(&self) -> Vec<Vec<String>> {
        self.groups
            .iter()
            .map(|r| {
                vec![
                    gender_str(r.gender).to_owned(),
                    r.age_group.as_str().to_owned(),
                    r.count.to_string(),
                    opt(r.average),
                ]
            })
            .collect()
    }
}

impl Table for Trends {
    fn header(&self) -> Vec<&'static str> {
        vec![
            "period",
            "starts_on",
            "bookings",
            "cancellations",
            "revenue_minor",
        ]
    }
    fn rows(&self) -> Vec<Vec<String>> {
        self.rows
            .iter()
            .map(|r| {
                vec![
                    r.period.clone(),
                    r.starts_on.clone(),
                    r.bookings.to_string(),
                    r.cancellations.to_string(),
                    r.revenue_minor.to_string(),
                ]
            })
            .collect()
    }
}

impl Table for TopEvents {
    fn header(&self) -> Vec<&'static str> {
        vec![
            "rank",
            "event",
            "title",
            "bookings",
            "revenue_minor",
            "average_rating",
            "rating_count",
        ]
    }
    fn rows(&self) -> Vec<Vec<String>> {
        self.events
            .iter()
            .map(|e| {
                vec![
                    e.rank.to_string(),
                    e.event.to_string(),
                    e.title.clone(),
                    e.bookings.to_string(),
                    e.revenue_minor.to_string(),
                    opt(e.average_rating),
                    e.rating_count.to_string(),
                ]
            })
            .collect()
    }
}

impl Table for Funnel {
    fn header(&self) -> Vec<&'static str> {
        vec!["visits", "holds", "booked", "cancelled", "expired"]
    }
    fn rows(&self) -> Vec<Vec<String>> {
        vec![vec![
            self.visits.to_string(),
            self.holds.to_string(),
            self.booked.to_string(),
            self.cancelled.to_string(),
            self.expired.to_string(),
        ]]
    }
}

impl Table for Revenue {
    fn header(&self) -> Vec<&'static str> {
        vec!["revenue_minor", "seats_booked", "capacity", "utilisation"]
    }
    fn rows(&self) -> Vec<Vec<String>> {
        vec![vec![
            self.revenue_minor.to_string(),
            self.seats_booked.to_string(),
            self.capacity.to_string(),
            opt(self.utilisation),
        ]]
    }
}

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
