//! Time zones of events: IANA names checked against the tz database compiled into the binary
//! (jiff's bundled copy, so a machine without `/usr/share/zoneinfo` behaves the same), local
//! date-times resolved to instants, and instants shown as local times.
//!
//! Two rules live here:
//! - a local time in a spring-forward gap does not exist: it is refused with a field error
//!   naming the field (the caller picks a real time or gives an offset);
//! - a local time in a fall-back fold happens twice: it means the **earlier** instant (the
//!   first pass, still on summer time). Give an RFC 3339 offset to mean the later one.

use std::fmt;

use jiff::civil::{Date, DateTime};
use jiff::tz::{AmbiguousOffset, TimeZone};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::time::Timestamp;
use crate::validate::FieldError;

/// An IANA time zone (`Europe/Berlin`, `Asia/Kolkata`, `UTC`) known to the bundled database.
#[derive(Clone)]
pub struct Zone {
    name: String,
    tz: TimeZone,
}

/// A name that is not an IANA time zone.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown time zone {0:?}: use an IANA name such as Europe/Berlin or Asia/Kolkata")]
pub struct UnknownZone(pub String);

impl Zone {
    /// The zone called `name` (matched case-insensitively, kept in the database's spelling).
    pub fn new(name: &str) -> Result<Zone, UnknownZone> {
        let unknown = || UnknownZone(name.chars().take(64).collect());
        // Only names: fixed offsets and POSIX TZ strings are not places an event happens in.
        if name.is_empty() || name.len() > 64 || name.starts_with(['+', '-', ':', '/']) {
            return Err(unknown());
        }
        let tz = jiff::tz::db().get(name).map_err(|_| unknown())?;
        let name = tz.iana_name().unwrap_or(name).to_owned();
        Ok(Zone { name, tz })
    }

    /// Coordinated Universal Time, the zone of events stored before zones existed.
    pub fn utc() -> Zone {
        Zone {
            name: "UTC".into(),
            tz: TimeZone::UTC,
        }
    }

    /// The zone read back from a stored record; UTC if the database no longer knows the name
    /// (names are only ever added to it, so this is a safety net, logged).
    pub(crate) fn stored(name: &str) -> Zone {
        Zone::new(name).unwrap_or_else(|_| {
            tracing::warn!(
                zone = name,
                "stored time zone unknown to the tz database; using UTC"
            );
            Zone::utc()
        })
    }

    /// Checks the zone a caller gave in `field`.
    pub(crate) fn check(field: &'static str, name: &str) -> Result<Zone, FieldError> {
        Zone::new(name.trim()).map_err(|error| FieldError::new(field, error))
    }

    /// The IANA name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// `at` as a wall-clock time in this zone.
    pub fn local(&self, at: Timestamp) -> LocalTime {
        let instant = jiff_instant(at);
        let info = self.tz.to_offset_info(instant);
        let offset = info.offset();
        let dt = offset.to_datetime(instant);
        let abbreviation = info.abbreviation();
        // The database writes "+0530"-style placeholders where a zone has no real abbreviation.
        let real =
            !abbreviation.is_empty() && abbreviation.chars().all(|c| c.is_ascii_alphabetic());
        LocalTime {
            year: dt.year(),
            month: dt.month().unsigned_abs(),
            day: dt.day().unsigned_abs(),
            weekday: dt.weekday().to_monday_one_offset().unsigned_abs(),
            hour: dt.hour().unsigned_abs(),
            minute: dt.minute().unsigned_abs(),
            second: dt.second().unsigned_abs(),
            millisecond: dt.millisecond().unsigned_abs(),
            utc_offset_seconds: offset.seconds(),
            abbreviation: real.then(|| abbreviation.to_owned()),
        }
    }

    /// The instant `local` names in this zone, for the caller's `field`: a gap is refused, a
    /// fold means the earlier instant (see the module documentation).
    pub fn instant_of(
        &self,
        local: LocalDateTime,
        field: &'static str,
    ) -> Result<Timestamp, FieldError> {
        let ambiguous = self.tz.to_ambiguous_timestamp(local.0);
        if let AmbiguousOffset::Gap { before, after } = ambiguous.offset() {
            return Err(FieldError::new(
                field,
                format!(
                    "{local} does not exist in {}: the clocks jump from UTC{before} to \
                     UTC{after} there; choose a time outside the gap or give an offset",
                    self.name
                ),
            ));
        }
        let resolved = ambiguous
            .earlier()
            .map_err(|_| FieldError::new(field, "is out of range"))?;
        Ok(Timestamp::from_millis(resolved.as_millisecond()))
    }

    /// The instant the calendar day `year-month-day` starts in this zone (its first instant:
    /// midnight, or the end of a gap that swallows midnight).
    pub(crate) fn start_of_day(&self, year: i16, month: i8, day: i8) -> Option<Timestamp> {
        let date = Date::new(year, month, day).ok()?;
        self.day_bounds(LocalDate(date)).map(|(start, _)| start)
    }

    /// The instants `[start, end)` of the local calendar day `date` in this zone.
    pub(crate) fn day_bounds(&self, date: LocalDate) -> Option<(Timestamp, Timestamp)> {
        let start = date.0.to_zoned_datetime(self.tz.clone()).ok()?;
        let end = date
            .0
            .tomorrow()
            .ok()?
            .to_zoned_datetime(self.tz.clone())
            .ok()?;
        Some((
            Timestamp::from_millis(start.timestamp().as_millisecond()),
            Timestamp::from_millis(end.timestamp().as_millisecond()),
        ))
    }
}

impl Zone {
    /// The instants between which local day `date` falls in some zone on Earth: from its start
    /// at UTC+14 to its end at UTC-12.
    pub(crate) fn widest_day_bounds(date: LocalDate) -> Option<(Timestamp, Timestamp)> {
        const HOUR: i64 = 3_600_000;
        let (start, end) = Zone::utc().day_bounds(date)?;
        Some((
            Timestamp::from_millis(start.as_millis() - 14 * HOUR),
            Timestamp::from_millis(end.as_millis() + 12 * HOUR),
        ))
    }
}

fn jiff_instant(at: Timestamp) -> jiff::Timestamp {
    jiff::Timestamp::from_millisecond(at.as_millis()).unwrap_or(if at.as_millis() < 0 {
        jiff::Timestamp::MIN
    } else {
        jiff::Timestamp::MAX
    })
}

impl PartialEq for Zone {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl fmt::Debug for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Zone({})", self.name)
    }
}

impl fmt::Display for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

/// A wall-clock time in some zone, with the offset and abbreviation in force then.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalTime {
    /// Year.
    pub year: i16,
    /// Month, 1–12.
    pub month: u8,
    /// Day of the month, 1–31.
    pub day: u8,
    /// Day of the week, 1 (Monday) – 7 (Sunday).
    pub weekday: u8,
    /// Hour, 0–23.
    pub hour: u8,
    /// Minute, 0–59.
    pub minute: u8,
    /// Second, 0–59.
    pub second: u8,
    /// Millisecond, 0–999.
    pub millisecond: u16,
    /// Local time minus UTC, in seconds (19800 for UTC+05:30).
    pub utc_offset_seconds: i32,
    /// The zone's abbreviation then (`IST`, `CEST`), when the tz database has a real one;
    /// `None` where it only has a numeric placeholder.
    pub abbreviation: Option<String>,
}

impl LocalTime {
    /// The offset as `+05:30` / `-03:00` (`+00:00` for UTC).
    pub fn offset_text(&self) -> String {
        let sign = if self.utc_offset_seconds < 0 {
            '-'
        } else {
            '+'
        };
        let minutes = self.utc_offset_seconds.unsigned_abs() / 60;
        format!("{sign}{:02}:{:02}", minutes / 60, minutes % 60)
    }

    /// For people: `Sat 5 Dec 2026, 18:30 IST (UTC+05:30)`; just the offset where the tz
    /// database has no real abbreviation (`Sat 5 Dec 2026, 18:00 (UTC-03:00)`); `… 18:30 UTC`
    /// in UTC itself. The e-mail plugin writes the same text (`prasang_plugin_sdk::human_local`).
    pub fn readable(&self) -> String {
        const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
        const MONTHS: [&str; 12] = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        let weekday = WEEKDAYS[usize::from(self.weekday.clamp(1, 7) - 1)];
        let month = MONTHS[usize::from(self.month.clamp(1, 12) - 1)];
        let day = format!(
            "{weekday} {} {month} {}, {:02}:{:02}",
            self.day, self.year, self.hour, self.minute
        );
        match self.abbreviation.as_deref() {
            Some("UTC") if self.utc_offset_seconds == 0 => format!("{day} UTC"),
            Some(abbreviation) => format!("{day} {abbreviation} (UTC{})", self.offset_text()),
            None => format!("{day} (UTC{})", self.offset_text()),
        }
    }

    /// The wall-clock time as a form's `datetime-local` value: `2026-12-05T18:30`.
    pub fn to_input_value(&self) -> String {
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}",
            self.year, self.month, self.day, self.hour, self.minute
        )
    }

    /// RFC 3339 with the local offset, e.g. `2026-12-05T18:30:00+05:30`.
    pub fn to_rfc3339(&self) -> String {
        let fraction = if self.millisecond == 0 {
            String::new()
        } else {
            format!(".{:03}", self.millisecond)
        };
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{fraction}{}",
            self.year,
            self.month,
            self.day,
            self.hour,
            self.minute,
            self.second,
            self.offset_text()
        )
    }
}

/// A date-time without an offset, read in an event's time zone (`2026-12-05T18:30`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalDateTime(DateTime);

impl LocalDateTime {
    /// Parses `YYYY-MM-DDTHH:MM[:SS[.fff]]`: no offset, no `Z`.
    pub fn parse(text: &str) -> Option<LocalDateTime> {
        let (date, time) = text.split_once('T')?;
        let plain = date.len() == 10
            && time.len() >= 5
            && time
                .chars()
                .all(|c| c.is_ascii_digit() || c == ':' || c == '.');
        if !plain {
            return None;
        }
        text.parse().ok().map(LocalDateTime)
    }
}

/// Shows a wrapper over a jiff civil type exactly as the wrapped value.
macro_rules! display_as_inner {
    ($($wrapper:ty),+) => {$(
        impl fmt::Display for $wrapper {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    )+};
}
display_as_inner!(LocalDateTime, LocalDate);

/// A calendar date (`2026-12-05`), e.g. the local day a listing is filtered by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalDate(Date);

impl LocalDate {
    /// Parses `YYYY-MM-DD`.
    pub fn parse(text: &str) -> Option<LocalDate> {
        if text.len() != 10 {
            return None;
        }
        text.parse().ok().map(LocalDate)
    }
}

/// When an event starts or ends, as given by its organizer: an instant (RFC 3339 with `Z` or an
/// offset) or a local date-time read in the event's zone. In JSON it is one string either way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventTime {
    /// An exact instant.
    Instant(Timestamp),
    /// A wall-clock time in the event's time zone.
    Local(LocalDateTime),
}

impl EventTime {
    /// The instant this time names in `zone`, for the caller's `field`.
    pub(crate) fn resolve(self, zone: &Zone, field: &'static str) -> Result<Timestamp, FieldError> {
        match self {
            EventTime::Instant(at) => Ok(at),
            EventTime::Local(local) => zone.instant_of(local, field),
        }
    }

    /// Parses either form.
    pub fn parse(text: &str) -> Option<EventTime> {
        Timestamp::parse_rfc3339(text)
            .map(EventTime::Instant)
            .or_else(|| LocalDateTime::parse(text).map(EventTime::Local))
    }
}

impl From<Timestamp> for EventTime {
    fn from(at: Timestamp) -> Self {
        EventTime::Instant(at)
    }
}

impl Serialize for EventTime {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            EventTime::Instant(at) => at.serialize(serializer),
            EventTime::Local(local) => serializer.collect_str(local),
        }
    }
}

impl<'de> Deserialize<'de> for EventTime {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        if !deserializer.is_human_readable() {
            return Timestamp::deserialize(deserializer).map(EventTime::Instant);
        }
        let text = String::deserialize(deserializer)?;
        EventTime::parse(&text).ok_or_else(|| {
            serde::de::Error::custom(
                "expected an RFC 3339 date-time such as 2026-12-05T13:00:00Z or a local \
                 date-time such as 2026-12-05T18:30 (read in the event's time_zone)",
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        Timestamp::parse_rfc3339(text).expect("valid instant")
    }

    fn local(text: &str) -> LocalDateTime {
        LocalDateTime::parse(text).expect("valid local time")
    }

    #[test]
    fn names_are_checked_against_the_bundled_database() {
        assert_eq!(
            Zone::new("asia/kolkata").expect("known").name(),
            "Asia/Kolkata"
        );
        assert_eq!(Zone::new("UTC").expect("known"), Zone::utc());
        for bad in [
            "Mars/Olympus_Mons",
            "",
            "+05:30",
            "/etc/passwd",
            "../../x",
            "EST5EDT,M3",
        ] {
            assert!(Zone::new(bad).is_err(), "{bad} must be refused");
        }
    }

    #[test]
    fn local_times_carry_the_offset_and_a_real_abbreviation_only() {
        let kolkata = Zone::new("Asia/Kolkata").expect("known");
        let shown = kolkata.local(at("2026-12-05T13:00:00Z"));
        assert_eq!(shown.to_rfc3339(), "2026-12-05T18:30:00+05:30");
        assert_eq!(shown.abbreviation.as_deref(), Some("IST"));
        assert_eq!(shown.weekday, 6, "a Saturday");
        let sao_paulo = Zone::new("America/Sao_Paulo").expect("known");
        let shown = sao_paulo.local(at("2026-12-05T21:00:00Z"));
        assert_eq!(shown.to_rfc3339(), "2026-12-05T18:00:00-03:00");
        assert_eq!(shown.abbreviation, None, "the database only has \"-03\"");
    }

    #[test]
    fn readable_times_name_the_zone_as_people_do() {
        let shown = |zone: &str, instant: &str| Zone::new(zone).expect("known").local(at(instant));
        let kolkata = shown("Asia/Kolkata", "2026-12-05T13:00:00Z");
        assert_eq!(kolkata.readable(), "Sat 5 Dec 2026, 18:30 IST (UTC+05:30)");
        assert_eq!(kolkata.to_input_value(), "2026-12-05T18:30");
        assert_eq!(
            shown("America/Sao_Paulo", "2026-12-05T21:00:00Z").readable(),
            "Sat 5 Dec 2026, 18:00 (UTC-03:00)"
        );
        assert_eq!(
            shown("UTC", "2026-12-05T18:30:00Z").readable(),
            "Sat 5 Dec 2026, 18:30 UTC"
        );
    }

    #[test]
    fn a_spring_gap_is_refused_and_a_fold_means_the_earlier_instant() {
        let berlin = Zone::new("Europe/Berlin").expect("known");
        let error = berlin
            .instant_of(local("2027-03-28T02:30"), "starts_at")
            .expect_err("02:30 does not exist that night");
        assert_eq!(error.field, "starts_at");
        assert!(
            error.message.contains("does not exist in Europe/Berlin"),
            "{}",
            error.message
        );
        let folded = berlin
            .instant_of(local("2026-10-25T02:30"), "starts_at")
            .expect("exists twice");
        assert_eq!(
            folded,
            at("2026-10-25T00:30:00Z"),
            "the first 02:30, still CEST"
        );
    }

    #[test]
    fn event_times_read_instants_first_and_refuse_offsets_on_local_times() {
        assert_eq!(
            EventTime::parse("2026-12-05T18:30:00+05:30"),
            Some(EventTime::Instant(at("2026-12-05T13:00:00Z")))
        );
        assert!(matches!(
            EventTime::parse("2026-12-05T18:30"),
            Some(EventTime::Local(_))
        ));
        for bad in [
            "2026-12-05",
            "2026-12-05T18:30+05",
            "2026-12-05 18:30",
            "18:30",
            "2026-02-30T10:00",
        ] {
            assert_eq!(EventTime::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_local_day_spans_23_hours_on_the_spring_change() {
        let berlin = Zone::new("Europe/Berlin").expect("known");
        let (start, end) = berlin
            .day_bounds(LocalDate::parse("2027-03-28").expect("date"))
            .expect("in range");
        assert_eq!(start, at("2027-03-27T23:00:00Z"));
        assert_eq!(end, at("2027-03-28T22:00:00Z"));
    }
}
