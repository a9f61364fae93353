//! Trends: bookings, cancellations and revenue per day, ISO week or month.

use std::fmt;

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use super::store::{self as agg, Counters, ScopeKey, Series};
use super::{Analytics, AnalyticsError, CurrencyTotals, Scope, count};
use crate::auth::Actor;
use crate::store::{StoreError, codec};
use crate::validate::FieldError;
use crate::zone::Zone;

/// Longest date range a trend report covers.
pub const MAX_TREND_DAYS: i64 = 3_653;

/// How trend rows are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    /// UTC days.
    Day,
    /// ISO weeks (Monday to Sunday, UTC).
    Week,
    /// Calendar months (UTC).
    Month,
}

/// Parameters of a trend report, as text so every front end validates them alike.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrendParams {
    /// First day, `YYYY-MM-DD` (default: 29 days before `to`).
    pub from: Option<String>,
    /// Last day, inclusive, `YYYY-MM-DD` (default: today, UTC).
    pub to: Option<String>,
    /// `day` (default), `week` or `month`.
    pub group_by: Option<String>,
    /// IANA time zone whose local days (weeks, months) the rows cover (default: UTC).
    pub time_zone: Option<String>,
}

/// One period of a trend.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrendRow {
    /// `2030-01-07`, `2030-W02` or `2030-01`.
    pub period: String,
    /// First day of the period (clipped to the range), `YYYY-MM-DD`.
    pub starts_on: String,
    /// Tickets that became booked.
    pub bookings: u64,
    /// Tickets cancelled.
    pub cancellations: u64,
    /// Bookings, cancellations and revenue (payments minus refunds) per currency: one entry
    /// for each currency with bookings or cancellations anywhere in the range, by code.
    pub by_currency: Vec<CurrencyTotals>,
}

/// Bookings, cancellations and revenue over time; every period of the range has a row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Trends {
    /// Grouping.
    pub group_by: GroupBy,
    /// First day.
    pub from: String,
    /// Last day.
    pub to: String,
    /// The zone whose local days the rows cover.
    pub time_zone: String,
    /// One row per period, oldest first.
    pub rows: Vec<TrendRow>,
}

impl Analytics<'_> {
    /// Bookings, cancellations and revenue per day, ISO week or month over a date range.
    pub fn trends(
        &self,
        actor: &Actor,
        scope: Scope,
        params: &TrendParams,
    ) -> Result<Trends, AnalyticsError> {
        let zone = match params.time_zone.as_deref() {
            Some(name) => Zone::check("time_zone", name)?,
            None => Zone::utc(),
        };
        let today = zone.local(self.inner.now());
        let today = date_of_parts(today.year, today.month, today.day)
            .map(day_of)
            .unwrap_or_else(|| self.inner.now().day_number());
        let (from, to, group_by) = parse_trend(params, today)?;
        let scope = self.authorize(actor, scope)?;
        let days = |series| {
            if zone == Zone::utc() {
                self.utc_days(&scope, series, from, to)
            } else {
                self.local_days(&scope, series, &zone, from, to)
            }
        };
        let totals = periods(days(Series::All)?, from, to, group_by);
        let mut currencies = Vec::new();
        for (currency, _) in self.currencies(&scope)? {
            let days = days(Series::Currency(currency))?;
            if !days.is_empty() {
                currencies.push((currency, periods(days, from, to, group_by)));
            }
        }
        let rows = totals
            .into_iter()
            .enumerate()
            .map(|(i, (period, starts_on, c))| TrendRow {
                period,
                starts_on,
                bookings: count(c.bookings),
                cancellations: count(c.cancellations),
                by_currency: currencies
                    .iter()
                    .map(|(currency, rows)| CurrencyTotals::of(*currency, &rows[i].2))
                    .collect(),
            })
            .collect();
        Ok(Trends {
            group_by,
            from: date_text(from),
            to: date_text(to),
            time_zone: zone.name().to_owned(),
            rows,
        })
    }

    /// The day buckets of `scope` from day `from` to `to` (UTC days), oldest first.
    fn utc_days(
        &self,
        scope: &ScopeKey,
        series: Series,
        from: i64,
        to: i64,
    ) -> Result<Vec<(i64, Counters)>, AnalyticsError> {
        let range = series.day(scope, from)..=series.day(scope, to);
        let mut days = Vec::new();
        for item in self.inner.store.agg_counters.range(range) {
            let (key, value) = item.map_err(StoreError::from)?;
            if let Some(day) = agg::day_from(&key) {
                days.push((day, codec::read(&value)?));
            }
        }
        Ok(days)
    }

    /// The local days `from` to `to` of `zone`, summed from the quarter-hour buckets of `scope`
    /// (a local day starts on a quarter hour in every zone in use; 23 or 25 hours long across a
    /// daylight-saving change).
    fn local_days(
        &self,
        scope: &ScopeKey,
        series: Series,
        zone: &Zone,
        from: i64,
        to: i64,
    ) -> Result<Vec<(i64, Counters)>, AnalyticsError> {
        // starts[i]: the first quarter hour of local day from + i; one more for the end.
        let mut starts = Vec::new();
        for day in from..=to + 1 {
            let start = date_of(day)
                .and_then(|d| zone.start_of_day(d.year(), d.month(), d.day()))
                .ok_or_else(|| FieldError::new("to", "is out of range"))?;
            starts.push(start.as_millis().div_euclid(agg::QUARTER_MS));
        }
        let (first, end) = (starts[0], starts[starts.len() - 1]);
        let mut days: Vec<(i64, Counters)> = Vec::new();
        for item in self
            .inner
            .store
            .agg_counters
            .range(series.quarter(scope, first)..series.quarter(scope, end))
        {
            let (key, value) = item.map_err(StoreError::from)?;
            let Some(quarter) = agg::day_from(&key) else {
                continue;
            };
            let counters: Counters = codec::read(&value)?;
            let day = from + starts.partition_point(|start| *start <= quarter) as i64 - 1;
            match days.last_mut() {
                Some((last, sum)) if *last == day => sum.add(&counters),
                _ => days.push((day, counters)),
            }
        }
        Ok(days)
    }
}

/// Sums day buckets (oldest first) into the periods of `from..=to`: label, first day, counters.
fn periods(
    days: Vec<(i64, Counters)>,
    from: i64,
    to: i64,
    group_by: GroupBy,
) -> Vec<(String, String, Counters)> {
    let mut rows = Vec::new();
    let mut next = days.into_iter().peekable();
    let mut day = from;
    while day <= to {
        let (period, period_end) = period_of(day, group_by);
        let last = period_end.min(to);
        let mut sum = Counters::default();
        while let Some((_, c)) = next.next_if(|(d, _)| *d <= last) {
            sum.add(&c);
        }
        rows.push((period, date_text(day), sum));
        day = last + 1;
    }
    rows
}

fn date_of_parts(year: i16, month: u8, day: u8) -> Option<Date> {
    Date::new(year, i8::try_from(month).ok()?, i8::try_from(day).ok()?).ok()
}

const UNIX_EPOCH_DAY: Date = jiff::civil::date(1970, 1, 1);

/// The date `day` days after 1970-01-01.
fn date_of(day: i64) -> Option<Date> {
    UNIX_EPOCH_DAY
        .checked_add(jiff::Span::new().try_days(day).ok()?)
        .ok()
}

/// Days since 1970-01-01.
fn day_of(date: Date) -> i64 {
    date.since(UNIX_EPOCH_DAY)
        .map_or(0, |span| i64::from(span.get_days()))
}

fn date_text(day: i64) -> String {
    match date_of(day) {
        Some(date) => format!("{:04}-{:02}-{:02}", date.year(), date.month(), date.day()),
        None => day.to_string(),
    }
}

fn parse_date(field: &'static str, text: &str) -> Result<i64, FieldError> {
    let bad = || FieldError::new(field, "must be a date such as 2030-01-31");
    let mut parts = text.trim().splitn(3, '-');
    let (Some(y), Some(m), Some(d)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(bad());
    };
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return Err(bad());
    }
    let year: i16 = y.parse().map_err(|_| bad())?;
    let month: u8 = m.parse().map_err(|_| bad())?;
    let day: u8 = d.parse().map_err(|_| bad())?;
    let date = date_of_parts(year, month, day).ok_or_else(bad)?;
    Ok(day_of(date))
}

fn parse_trend(params: &TrendParams, today: i64) -> Result<(i64, i64, GroupBy), FieldError> {
    let group_by = match params.group_by.as_deref().map(str::trim) {
        None | Some("day") => GroupBy::Day,
        Some("week") => GroupBy::Week,
        Some("month") => GroupBy::Month,
        Some(_) => {
            return Err(FieldError::new(
                "group_by",
                "must be one of day, week, month",
            ));
        }
    };
    let to = match params.to.as_deref() {
        Some(text) => parse_date("to", text)?,
        None => today,
    };
    let from = match params.from.as_deref() {
        Some(text) => parse_date("from", text)?,
        None => to - 29,
    };
    if to < from {
        return Err(FieldError::new("to", "must not be before from"));
    }
    if to - from + 1 > MAX_TREND_DAYS {
        return Err(FieldError::new(
            "to",
            "the range may cover at most 10 years (3653 days)",
        ));
    }
    Ok((from, to, group_by))
}

/// The label of the period holding `day`, and the period's last day.
fn period_of(day: i64, group_by: GroupBy) -> (String, i64) {
    let Some(date) = date_of(day) else {
        return (day.to_string(), day);
    };
    match group_by {
        GroupBy::Day => (date_text(day), day),
        GroupBy::Week => {
            let week = date.iso_week_date();
            let last = day + 6 - i64::from(week.weekday().to_monday_zero_offset());
            (format!("{:04}-W{:02}", week.year(), week.week()), last)
        }
        GroupBy::Month => {
            let last = day_of(date.last_of_month());
            (format!("{:04}-{:02}", date.year(), date.month()), last)
        }
    }
}

impl fmt::Display for GroupBy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            GroupBy::Day => "day",
            GroupBy::Week => "week",
            GroupBy::Month => "month",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip_and_periods_end_where_they_should() {
        let day = parse_date("from", "2030-01-01").expect("date");
        assert_eq!(date_text(day), "2030-01-01");
        // 2030-01-01 is a Tuesday in ISO week 1; the week ends Sunday 2030-01-06.
        let (label, last) = period_of(day, GroupBy::Week);
        assert_eq!(
            (label.as_str(), date_text(last).as_str()),
            ("2030-W01", "2030-01-06")
        );
        let (label, last) = period_of(day, GroupBy::Month);
        assert_eq!(
            (label.as_str(), date_text(last).as_str()),
            ("2030-01", "2030-01-31")
        );
        assert!(parse_date("from", "2030-02-30").is_err());
        assert!(parse_date("from", "30-01-01").is_err());
    }

    #[test]
    fn bad_ranges_name_the_field() {
        let params = |from: &str, to: &str| TrendParams {
            from: Some(from.into()),
            to: Some(to.into()),
            group_by: None,
            time_zone: None,
        };
        let err = parse_trend(&params("2030-01-02", "2030-01-01"), 0).unwrap_err();
        assert_eq!(err.field, "to");
        let err = parse_trend(&params("2000-01-01", "2030-01-01"), 0).unwrap_err();
        assert_eq!(err.field, "to");
        let bad_group = TrendParams {
            group_by: Some("year".into()),
            ..TrendParams::default()
        };
        assert_eq!(parse_trend(&bad_group, 0).unwrap_err().field, "group_by");
    }
}
