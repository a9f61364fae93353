//! An iCalendar (RFC 5545) file for a booked ticket, written by hand: the format is a few
//! lines, and the usual crates pull in a clock and random ids that a sandboxed plugin has not.

use prasang_plugin_sdk::Notification;
use prasang_plugin_sdk::time::{UtcDateTime, human_local};

/// A one-event calendar. The UID is stable per ticket (or event), so calendar apps update the
/// entry instead of adding a second one when the message repeats.
///
/// Start and end are UTC instants (`DTSTART:…Z`): every calendar app places them correctly and
/// shows them in its user's zone, and a plugin has no tz database to write a `VTIMEZONE` from.
/// The event's own zone goes in `X-WR-TIMEZONE` and its local time in the description.
pub fn calendar(n: &Notification) -> String {
    let uid = match &n.ticket {
        Some(ticket) => format!("ticket-{}@prasang", ticket.id),
        None => format!("event-{}@prasang", n.event.id),
    };
    let mut lines = vec![
        "BEGIN:VCALENDAR".to_owned(),
        "VERSION:2.0".to_owned(),
        "PRODID:-//Prasang//Email channel//EN".to_owned(),
        "CALSCALE:GREGORIAN".to_owned(),
        "METHOD:PUBLISH".to_owned(),
        format!("X-WR-TIMEZONE:{}", escape(&n.event.time_zone)),
        "BEGIN:VEVENT".to_owned(),
        format!("UID:{uid}"),
        format!("DTSTAMP:{}", UtcDateTime::from_millis(n.occurred_at).ical()),
        format!(
            "DTSTART:{}",
            UtcDateTime::from_millis(n.event.starts_at).ical()
        ),
        format!("DTEND:{}", UtcDateTime::from_millis(n.event.ends_at).ical()),
        format!("SUMMARY:{}", escape(&n.event.title)),
        format!("LOCATION:{}", escape(&n.event.location)),
        format!(
            "DESCRIPTION:{}",
            escape(&format!(
                "{} ({})\n\n{}",
                human_local(&n.event.starts_at_local),
                n.event.time_zone,
                n.event.description
            ))
        ),
        "STATUS:CONFIRMED".to_owned(),
        "END:VEVENT".to_owned(),
        "END:VCALENDAR".to_owned(),
    ];
    lines.iter_mut().for_each(|line| *line = fold(line));
    lines.join("\r\n") + "\r\n"
}

/// TEXT value escaping (RFC 5545 §3.3.11).
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// Lines longer than 75 octets continue on the next line after CRLF + space (§3.1), split on
/// character boundaries.
fn fold(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + line.len() / 70 * 3);
    let mut width = 0;
    for c in line.chars() {
        if width + c.len_utf8() > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += c.len_utf8();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use prasang_plugin_sdk::testing::booked_notification;

    #[test]
    fn calendar_has_the_event_times_in_utc() {
        let ics = calendar(&booked_notification());
        assert!(ics.starts_with("BEGIN:VCALENDAR\r\n"));
        assert!(ics.contains("\r\nDTSTART:20261201T183000Z\r\n"));
        assert!(ics.contains("\r\nDTEND:20261201T210000Z\r\n"));
        assert!(ics.contains("\r\nLOCATION:Hall 1\\, Pune\r\n"));
        assert!(ics.contains("UID:ticket-01JTICKET0000000000000000@prasang"));
    }

    #[test]
    fn a_local_event_keeps_its_utc_instants_and_names_its_zone() {
        let ics = calendar(&prasang_plugin_sdk::testing::booked_in_kolkata());
        assert!(ics.contains("\r\nDTSTART:20261201T130000Z\r\n"), "{ics}");
        assert!(ics.contains("\r\nDTEND:20261201T153000Z\r\n"), "{ics}");
        assert!(ics.contains("\r\nX-WR-TIMEZONE:Asia/Kolkata\r\n"), "{ics}");
        assert!(ics.contains("18:30 IST (UTC+05:30)"), "{ics}");
    }

    #[test]
    fn long_lines_fold_at_75_octets_on_char_boundaries() {
        let folded = fold(&format!("DESCRIPTION:{}", "é".repeat(60)));
        for line in folded.split("\r\n") {
            assert!(line.len() <= 75, "{line}");
        }
        assert_eq!(
            folded.replace("\r\n ", ""),
            format!("DESCRIPTION:{}", "é".repeat(60))
        );
    }
}
