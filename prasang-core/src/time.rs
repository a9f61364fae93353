//! Wall-clock instants and the injectable clock every rule that depends on "now" reads.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

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

    /// Parses RFC 3339 text such as `2026-12-01T18:30:00Z`.
    pub fn parse_rfc3339(text: &str) -> Option<Self> {
        let parsed: jiff::Timestamp = text.parse().ok()?;
        // Sub-millisecond digits are dropped (towards zero).
        i64::try_from(parsed.as_nanosecond() / 1_000_000)
            .ok()
            .map(Timestamp)
    }

    /// RFC 3339 text in UTC, e.g. `2026-12-01T18:30:00Z` (fractional seconds only when not
    /// zero, without trailing zeros); the bare millisecond count outside years 0000-9999,
    /// which RFC 3339 cannot write.
    pub fn to_rfc3339(self) -> String {
        /// 0000-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z.
        const RFC3339_MILLIS: std::ops::RangeInclusive<i64> =
            -62_167_219_200_000..=253_402_300_799_999;
        RFC3339_MILLIS
            .contains(&self.0)
            .then(|| jiff::Timestamp::from_millisecond(self.0).ok())
            .flatten()
            .map_or_else(|| self.0.to_string(), |t| t.to_string())
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
        assert_eq!(Timestamp::parse_rfc3339("2026-12-01T18:30:00"), None);
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
