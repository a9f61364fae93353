//! Calendar arithmetic for the millisecond timestamps in notifications, and wording for the
//! local times the host sends with them (plugins have no clock and no time-zone database: the
//! host computes each [`LocalTime`] from its own).

use crate::LocalTime;

/// A UTC date and time, to the second.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UtcDateTime {
    /// Year, e.g. 2026.
    pub year: i64,
    /// 1..=12.
    pub month: u32,
    /// 1..=31.
    pub day: u32,
    /// 0..=23.
    pub hour: u32,
    /// 0..=59.
    pub minute: u32,
    /// 0..=59.
    pub second: u32,
    /// 0 = Monday … 6 = Sunday.
    pub weekday: u32,
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

impl UtcDateTime {
    /// The date and time `millis` milliseconds after the Unix epoch.
    ///
    /// ```
    /// use prasang_plugin_sdk::time::UtcDateTime;
    /// let t = UtcDateTime::from_millis(1_796_149_800_000);
    /// assert_eq!(t.rfc3339(), "2026-12-01T18:30:00Z");
    /// ```
    pub fn from_millis(millis: i64) -> Self {
        let secs = millis.div_euclid(1000);
        let days = secs.div_euclid(86_400);
        let of_day = secs.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        UtcDateTime {
            year,
            month,
            day,
            hour: (of_day / 3600) as u32,
            minute: (of_day % 3600 / 60) as u32,
            second: (of_day % 60) as u32,
            // 1970-01-01 was a Thursday (3).
            weekday: (days + 3).rem_euclid(7) as u32,
        }
    }

    /// `2026-12-01T18:30:00Z`.
    pub fn rfc3339(&self) -> String {
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }

    /// iCalendar UTC form: `20261201T183000Z`.
    pub fn ical(&self) -> String {
        format!(
            "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }

    /// For people: `Tue 1 Dec 2026, 18:30 UTC`.
    pub fn human(&self) -> String {
        format!(
            "{} {} {} {}, {:02}:{:02} UTC",
            WEEKDAYS[self.weekday as usize],
            self.day,
            MONTHS[(self.month - 1) as usize],
            self.year,
            self.hour,
            self.minute
        )
    }
}

/// For people, in the event's own time: `Sat 5 Dec 2026, 18:30 IST (UTC+05:30)`; just the
/// offset where the tz database has no real abbreviation (`Sat 5 Dec 2026, 18:00 (UTC-03:00)`);
/// `Sat 5 Dec 2026, 18:30 UTC` in UTC itself.
pub fn human_local(t: &LocalTime) -> String {
    let weekday = WEEKDAYS[usize::from(t.weekday.clamp(1, 7) - 1)];
    let month = MONTHS[usize::from(t.month.clamp(1, 12) - 1)];
    let day = format!(
        "{weekday} {} {month} {}, {:02}:{:02}",
        t.day, t.year, t.hour, t.minute
    );
    match t.abbreviation.as_deref() {
        Some("UTC") if t.utc_offset_seconds == 0 => format!("{day} UTC"),
        Some(abbreviation) => format!("{day} {abbreviation} (UTC{})", t.utc_offset),
        None => format!("{day} (UTC{})", t.utc_offset),
    }
}

/// [`human_local`] for where space is short (an SMS): `5 Dec 18:30 IST`, without the weekday,
/// the year or the offset where the zone has an abbreviation; `5 Dec 18:00 UTC-03:00` where it
/// has none.
pub fn short_local(t: &LocalTime) -> String {
    let month = MONTHS[usize::from(t.month.clamp(1, 12) - 1)];
    let day = format!("{} {month} {:02}:{:02}", t.day, t.hour, t.minute);
    with_zone(day, t)
}

/// The time of day on the event's clock: `18:30 IST`; `18:00 UTC-03:00` where the zone has no
/// abbreviation.
pub fn clock_local(t: &LocalTime) -> String {
    let clock = format!("{:02}:{:02}", t.hour, t.minute);
    with_zone(clock, t)
}

/// `text` followed by the zone of `t`: its abbreviation, or the offset where it has none.
fn with_zone(text: String, t: &LocalTime) -> String {
    match t.abbreviation.as_deref() {
        Some(abbreviation) => format!("{text} {abbreviation}"),
        None => format!("{text} UTC{}", t.utc_offset),
    }
}

/// Howard Hinnant's `civil_from_days`: days since 1970-01-01 to (year, month, day).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local(abbreviation: Option<&str>, offset: (i32, &str)) -> LocalTime {
        LocalTime {
            year: 2026,
            month: 12,
            day: 5,
            weekday: 6,
            hour: 18,
            minute: 30,
            second: 0,
            utc_offset_seconds: offset.0,
            utc_offset: offset.1.into(),
            abbreviation: abbreviation.map(str::to_owned),
            rfc3339: format!("2026-12-05T18:30:00{}", offset.1),
        }
    }

    #[test]
    fn local_times_name_the_zone_where_it_has_a_name() {
        assert_eq!(
            human_local(&local(Some("IST"), (19_800, "+05:30"))),
            "Sat 5 Dec 2026, 18:30 IST (UTC+05:30)"
        );
        assert_eq!(
            human_local(&local(None, (-10_800, "-03:00"))),
            "Sat 5 Dec 2026, 18:30 (UTC-03:00)"
        );
        assert_eq!(
            human_local(&local(Some("UTC"), (0, "+00:00"))),
            "Sat 5 Dec 2026, 18:30 UTC"
        );
    }

    #[test]
    fn short_local_times_keep_the_zone() {
        let ist = local(Some("IST"), (19_800, "+05:30"));
        assert_eq!(short_local(&ist), "5 Dec 18:30 IST");
        let sao_paulo = local(None, (-10_800, "-03:00"));
        assert_eq!(short_local(&sao_paulo), "5 Dec 18:30 UTC-03:00");
        assert_eq!(clock_local(&ist), "18:30 IST");
        assert_eq!(clock_local(&sao_paulo), "18:30 UTC-03:00");
    }

    #[test]
    fn epoch_and_leap_days_convert() {
        assert_eq!(
            UtcDateTime::from_millis(0).rfc3339(),
            "1970-01-01T00:00:00Z"
        );
        assert_eq!(
            UtcDateTime::from_millis(0).human(),
            "Thu 1 Jan 1970, 00:00 UTC"
        );
        // 2024-02-29T12:00:00Z
        let leap = UtcDateTime::from_millis(1_709_208_000_000);
        assert_eq!(leap.rfc3339(), "2024-02-29T12:00:00Z");
        assert_eq!(leap.ical(), "20240229T120000Z");
        assert_eq!(leap.human(), "Thu 29 Feb 2024, 12:00 UTC");
        assert_eq!(
            UtcDateTime::from_millis(-1000).rfc3339(),
            "1969-12-31T23:59:59Z"
        );
    }
}
