//! Wall-clock instants and the injectable clock every rule that depends on "now" reads.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// 1970-01-01, the day the millisecond count starts on.
const UNIX_EPOCH_DATE: jiff::civil::Date = jiff::civil::date(1970, 1, 1);

/// An instant in UTC with millisecond precision.
///
/// Stored as milliseconds since the Unix epoch; rendered as RFC 3339 text in human-readable
/// formats (JSON) and as an integer in the binary store format.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    /// The instant `millis` milliseconds after the Unix epoch.
    pub const fn from_millis(millis: i64) -> Self {
        Timestamp(millis)
    }

    /// Milliseconds since the Unix epoch.
    pub const fn as_millis(self) -> i64 {
        self.0
    }

    /// Whole seconds since the Unix epoch (what JWT claims use).
    pub const fn as_secs(self) -> i64 {
        self.0.div_euclid(1000)
    }

    /// This instant moved forward by `duration` (saturating).
    pub fn plus(self, duration: Duration) -> Self {
        let millis = i64::try_from(duration.as_millis()).unwrap_or(i64::MAX);
        Timestamp(self.0.saturating_add(millis))
    }

    /// This instant moved back by `duration` (saturating).
    pub fn minus(self, duration: Duration) -> Self {
        let millis = i64::try_from(duration.as_millis()).unwrap_or(i64::MAX);
        Timestamp(self.0.saturating_sub(millis))
    }

    /// Parses RFC 3339 text such as `2026-12-01T18:30:00Z`: `YYYY-MM-DD`, one separator
    /// character (`T` by the RFC), `HH:MM:SS`, an optional fraction, then `Z` or `±HH:MM`.
    /// Digits past the millisecond are dropped (towards zero); a leap second reads as the last
    /// instant of its minute.
    pub fn parse_rfc3339(text: &str) -> Option<Self> {
        let b = text.as_bytes();
        let number = |from: usize, to: usize| -> Option<i64> {
            let digits = b.get(from..to)?;
            digits.iter().all(u8::is_ascii_digit).then(|| {
                digits
                    .iter()
                    .fold(0, |n, digit| n * 10 + i64::from(digit - b'0'))
            })
        };
        let punctuation = [(4, b'-'), (7, b'-'), (13, b':'), (16, b':')];
        if punctuation.iter().any(|&(at, c)| b.get(at) != Some(&c)) || !b.get(10)?.is_ascii() {
            return None;
        }
        let date = jiff::civil::Date::new(
            i16::try_from(number(0, 4)?).ok()?,
            i8::try_from(number(5, 7)?).ok()?,
            i8::try_from(number(8, 10)?).ok()?,
        )
        .ok()?;
        let (hour, minute, mut second) = (number(11, 13)?, number(14, 16)?, number(17, 19)?);
        let mut nanos: i64 = 0;
        if hour > 23 || minute > 59 || second > 60 {
            return None;
        }
        let mut rest = &b[19..];
        if let Some(fraction) = rest.strip_prefix(b".") {
            let digits = fraction.iter().take_while(|c| c.is_ascii_digit()).count();
            if digits == 0 {
                return None;
            }
            nanos = fraction[..digits]
                .iter()
                .chain(std::iter::repeat(&b'0'))
                .take(9)
                .fold(0, |n, digit| n * 10 + i64::from(digit - b'0'));
            rest = &fraction[digits..];
        }
        if second == 60 {
            (second, nanos) = (59, 999_999_999);
        }
        let offset = match rest {
            b"Z" | b"z" => 0,
            [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
                let two = |tens: &u8, ones: &u8| {
                    (tens.is_ascii_digit() && ones.is_ascii_digit())
                        .then(|| i64::from(tens - b'0') * 10 + i64::from(ones - b'0'))
                };
                let (hours, minutes) = (two(h1, h2)?, two(m1, m2)?);
                if hours > 23 || minutes > 59 {
                    return None;
                }
                let seconds = hours * 3600 + minutes * 60;
                if *sign == b'-' { -seconds } else { seconds }
            }
            _ => return None,
        };
        let days = i64::from(date.since(UNIX_EPOCH_DATE).ok()?.get_days());
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset;
        let nanos = i128::from(seconds) * 1_000_000_000 + i128::from(nanos);
        i64::try_from(nanos / 1_000_000).ok().map(Timestamp)
    }

    /// RFC 3339 text in UTC, e.g. `2026-12-01T18:30:00Z` (fractional seconds only when not
    /// zero, without trailing zeros); the bare millisecond count outside years 0000-9999,
    /// which RFC 3339 cannot write.
    pub fn to_rfc3339(self) -> String {
        let (day, millis) = (self.0.div_euclid(86_400_000), self.0.rem_euclid(86_400_000));
        let date = jiff::Span::new()
            .try_days(day)
            .and_then(|days| UNIX_EPOCH_DATE.checked_add(days))
            .ok()
            .filter(|date| (0..=9999).contains(&date.year()));
        let Some(date) = date else {
            return self.0.to_string();
        };
        let (seconds, millis) = (millis / 1000, millis % 1000);
        let mut text = format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            date.year(),
            date.month(),
            date.day(),
            seconds / 3600,
            seconds / 60 % 60,
            seconds % 60
        );
        if millis != 0 {
            let fraction = format!(".{millis:03}");
            text.push_str(fraction.trim_end_matches('0'));
        }
        text.push('Z');
        text
    }

    /// Days since the Unix epoch: the bucket analytics count per day in.
    pub const fn day_number(self) -> i64 {
        self.0.div_euclid(86_400_000)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Timestamp({})", self.to_rfc3339())
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            serializer.serialize_str(&self.to_rfc3339())
        } else {
            serializer.serialize_i64(self.0)
        }
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        if deserializer.is_human_readable() {
            let text = String::deserialize(deserializer)?;
            Timestamp::parse_rfc3339(&text).ok_or_else(|| {
                serde::de::Error::custom(
                    "expected an RFC 3339 date-time such as 2026-12-01T18:30:00Z",
                )
            })
        } else {
            i64::deserialize(deserializer).map(Timestamp)
        }
    }
}

/// Where "now" comes from. Tests use [`ManualClock`] to move time by hand.
pub trait Clock: Send + Sync + 'static {
    /// The current instant.
    fn now(&self) -> Timestamp;
}

/// The operating system's clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        let since_epoch = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO);
        Timestamp(i64::try_from(since_epoch.as_millis()).unwrap_or(i64::MAX))
    }
}

/// A clock that only moves when told to; clones share the same time.
#[derive(Debug, Clone)]
pub struct ManualClock {
    millis: Arc<AtomicI64>,
}

impl ManualClock {
    /// A clock standing at `start`.
    pub fn new(start: Timestamp) -> Self {
        ManualClock {
            millis: Arc::new(AtomicI64::new(start.0)),
        }
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        let millis = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        self.millis.fetch_add(millis, Ordering::SeqCst);
    }

    /// Puts the clock at `at`.
    pub fn set(&self, at: Timestamp) {
        self.millis.store(at.0, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        Timestamp(self.millis.load(Ordering::SeqCst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_round_trips_to_the_millisecond() {
        let t = Timestamp::parse_rfc3339("2026-12-01T18:30:00.250Z").expect("valid");
        assert_eq!(t.to_rfc3339(), "2026-12-01T18:30:00.25Z");
        assert_eq!(Timestamp::parse_rfc3339(&t.to_rfc3339()), Some(t));
        assert_eq!(Timestamp::parse_rfc3339("yesterday"), None);
    }

    #[test]
    fn rfc3339_text_is_utc_with_the_shortest_fraction() {
        let at = |text| Timestamp::parse_rfc3339(text).expect(text).to_rfc3339();
        assert_eq!(at("2026-12-01T18:30:00Z"), "2026-12-01T18:30:00Z");
        assert_eq!(at("2026-12-01T18:30:00.001Z"), "2026-12-01T18:30:00.001Z");
        assert_eq!(
            at("2026-12-01T18:30:00.1204+05:30"),
            "2026-12-01T13:00:00.12Z"
        );
        assert_eq!(at("1969-12-31T23:59:59.999Z"), "1969-12-31T23:59:59.999Z");
        assert_eq!(at("0000-01-01T00:00:00Z"), "0000-01-01T00:00:00Z");
        assert_eq!(at("9999-12-31T23:59:59.999Z"), "9999-12-31T23:59:59.999Z");
        assert_eq!(
            Timestamp::from_millis(-62_167_219_200_001).to_rfc3339(),
            "-62167219200001"
        );
        assert_eq!(
            Timestamp::from_millis(i64::MAX).to_rfc3339(),
            i64::MAX.to_string()
        );
        assert_eq!(at("2016-12-31T23:59:60Z"), "2016-12-31T23:59:59.999Z");
        assert_eq!(
            at("2026-12-01 18:30:00.1234567891z"),
            "2026-12-01T18:30:00.123Z"
        );
        for bad in [
            "2026-12-01T18:30:00",
            "2026-12-01T18:30Z",
            "2026-12-05T18:30+05",
            "2026-12-01T18:30:00+24:00",
            "2026-02-30T18:30:00Z",
            "2026-12-01T18:30:00.Z",
            "2026-12-01T18:30:00Z ",
            "+2026-12-01T18:30:00Z",
        ] {
            assert_eq!(Timestamp::parse_rfc3339(bad), None, "{bad}");
        }
    }

    #[test]
    fn json_uses_text_and_the_store_uses_integers() {
        let t = Timestamp::from_millis(1_000);
        assert_eq!(
            serde_json::to_string(&t).expect("json"),
            "\"1970-01-01T00:00:01Z\""
        );
        let bytes = postcard::to_stdvec(&t).expect("postcard");
        assert_eq!(
            postcard::from_bytes::<Timestamp>(&bytes).expect("decode"),
            t
        );
    }
}
