//! How the UI writes times, money and ratings.
//!
//! Every event time shown or edited goes through [`event_time`] and [`event_time_input`] /
//! [`parse_event_time_input`]: events show and take times in their own time zone (the core
//! reads a form's local date-time in the event's zone and refuses times in a spring gap).

use prasang_core::Timestamp;
use prasang_core::analytics::EventRating;
use prasang_core::events::{Event, TypeAvailability};
use prasang_core::zone::{EventTime, LocalDateTime, Zone};

/// An instant of `event` as people read it in the event's zone, e.g.
/// "Sat 5 Dec 2026, 18:30 IST (UTC+05:30)".
pub fn event_time(event: &Event, at: Timestamp) -> String {
    zone_of(event).local(at).readable()
}

/// An instant that belongs to no event (a hold's expiry, a delivery), in UTC.
pub fn instant(at: Timestamp) -> String {
    jiff::Timestamp::from_millisecond(at.as_millis())
        .ok()
        .and_then(|t| jiff::fmt::strtime::format("%a %-d %b %Y, %H:%M UTC", t).ok())
        .unwrap_or_else(|| at.to_rfc3339())
}

/// The value of a `datetime-local` field for an event time, in the event's zone.
pub fn event_time_input(event: &Event, at: Timestamp) -> String {
    zone_of(event).local(at).to_input_value()
}

/// Reads a `datetime-local` field (`2026-12-24T18:30`, seconds optional) as a wall-clock time
/// the core reads in the event's zone.
pub fn parse_event_time_input(text: &str) -> Option<EventTime> {
    LocalDateTime::parse(text.trim()).map(EventTime::Local)
}

/// The event's zone (events store checked names; UTC should one ever fail to load).
fn zone_of(event: &Event) -> Zone {
    Zone::new(&event.time_zone).unwrap_or_else(|_| Zone::utc())
}

/// A price or amount: "Free", or "EUR 12.50" (minor units are hundredths).
pub fn money(minor: i64, currency: &str) -> String {
    if minor == 0 {
        return "Free".into();
    }
    let sign = if minor < 0 { "-" } else { "" };
    let minor = minor.unsigned_abs();
    format!("{currency} {sign}{}.{:02}", minor / 100, minor % 100)
}

/// Major units as a form shows them ("12.50"; "0" for free).
pub fn money_input(minor: u64) -> String {
    if minor.is_multiple_of(100) {
        (minor / 100).to_string()
    } else {
        format!("{}.{:02}", minor / 100, minor % 100)
    }
}

/// Reads a price in major units ("12", "12.5", "12.50") as minor units.
pub fn parse_money_input(text: &str) -> Option<i64> {
    let text = text.trim();
    if text.is_empty() {
        return Some(0);
    }
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if fraction.len() > 2 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    let cents: i64 = format!("{fraction:0<2}").parse().ok()?;
    whole.checked_mul(100)?.checked_add(cents)
}

/// "4.3 of 5 (12 ratings)", or "No ratings yet".
pub fn rating(rating: &EventRating) -> String {
    match rating.average {
        Some(average) if rating.count > 0 => format!(
            "{average:.1} of 5 ({} rating{})",
            rating.count,
            if rating.count == 1 { "" } else { "s" }
        ),
        _ => "No ratings yet".into(),
    }
}

/// A notification kind's API name (`ticket_booked`).
pub fn notification_kind(kind: prasang_core::notify::NotificationKind) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// Whether a ticket type sells now, in words, and the badge class that goes with it.
pub fn type_availability(availability: TypeAvailability) -> (&'static str, &'static str) {
    match availability {
        TypeAvailability::OnSale => ("On sale", "booked"),
        TypeAvailability::NotYetOpen => ("Not on sale yet", "pending"),
        TypeAvailability::SaleEnded => ("Sale ended", "expired"),
        TypeAvailability::Closed => ("Closed", "cancelled"),
        TypeAvailability::SoldOut => ("Sold out", "soldout"),
    }
}

/// When a ticket type sells, in the event's time ("Until the event starts" without a window).
pub fn sale_window(event: &Event, open: Option<Timestamp>, close: Option<Timestamp>) -> String {
    let at = |at| event_time(event, at);
    match (open, close) {
        (None, None) => "Until the event starts".into(),
        (Some(open), None) => format!("From {}", at(open)),
        (None, Some(close)) => format!("Until {}", at(close)),
        (Some(open), Some(close)) => format!("{} to {}", at(open), at(close)),
    }
}

/// "1 seat" / "3 seats".
pub fn seats(count: u32) -> String {
    format!("{count} seat{}", if count == 1 { "" } else { "s" })
}

/// A wait in words, rounded up to the minute: "under a minute", "about 3 minutes", "about 1
/// hour 20 minutes"; "not known yet" while no rate is known.
pub fn wait(seconds: Option<u64>) -> String {
    let Some(seconds) = seconds else {
        return "not known yet".into();
    };
    if seconds < 60 {
        return "under a minute".into();
    }
    let minutes = seconds.div_ceil(60);
    let plural =
        |count: u64, unit: &str| format!("{count} {unit}{}", if count == 1 { "" } else { "s" });
    match (minutes / 60, minutes % 60) {
        (0, minutes) => format!("about {}", plural(minutes, "minute")),
        (hours, 0) => format!("about {}", plural(hours, "hour")),
        (hours, minutes) => format!(
            "about {} {}",
            plural(hours, "hour"),
            plural(minutes, "minute")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_read_in_whole_minutes() {
        assert_eq!(wait(None), "not known yet");
        assert_eq!(wait(Some(59)), "under a minute");
        assert_eq!(wait(Some(60)), "about 1 minute");
        assert_eq!(wait(Some(61)), "about 2 minutes");
        assert_eq!(wait(Some(3600)), "about 1 hour");
        assert_eq!(wait(Some(3600 + 20 * 60)), "about 1 hour 20 minutes");
    }

    #[test]
    fn times_read_and_round_trip_through_forms() {
        let at = Timestamp::parse_rfc3339("2026-12-02T18:30:00Z").unwrap();
        assert_eq!(instant(at), "Wed 2 Dec 2026, 18:30 UTC");
        let local = |text: &str| LocalDateTime::parse(text).map(EventTime::Local);
        assert_eq!(
            parse_event_time_input(" 2026-12-02T18:30 "),
            local("2026-12-02T18:30")
        );
        assert_eq!(
            parse_event_time_input("2026-12-02T18:30:00"),
            local("2026-12-02T18:30:00")
        );
        for bad in ["tomorrow", "2026-12-02T18:30Z", "2026-12-02"] {
            assert_eq!(parse_event_time_input(bad), None, "{bad}");
        }
    }

    #[test]
    fn money_reads_and_writes_major_units() {
        assert_eq!(money(1250, "EUR"), "EUR 12.50");
        assert_eq!(money(0, "EUR"), "Free");
        assert_eq!(parse_money_input("12.5"), Some(1250));
        assert_eq!(parse_money_input("12"), Some(1200));
        assert_eq!(parse_money_input(""), Some(0));
        for bad in ["-1", "1.234", "abc", ".5", "1e3"] {
            assert_eq!(parse_money_input(bad), None, "{bad}");
        }
        assert_eq!(money_input(1250), "12.50");
        assert_eq!(money_input(1200), "12");
    }
}
