//! Bindings for `prasang:channel@0.2.0`: 0.1.0 plus the `feedback-request` kind and the
//! event's time zone with local start and end times, computed here from the tz database so
//! plugins need none.

use crate::time::Timestamp;
use crate::zone::Zone;

super::shared_bindings::channel_host!("0.2.0", "../plugins/wit/0.2.0");

/// The notification as 0.2.0 plugins see it (every kind).
pub(crate) fn notification(n: &notify::Notification, attempted_at: i64) -> wit::Notification {
    let zone = Zone::stored(&n.time_zone);
    // The one kind 0.1.0 lacks is the only one `shared_kind` leaves out.
    let kind = shared_kind(n.kind).unwrap_or(wit::NotificationKind::FeedbackRequest);
    super::shared_bindings::wit_notification!(n, attempted_at, kind, {
        time_zone: zone.name().to_owned(),
        starts_at_local: local_time(&zone, n.event.starts_at),
        ends_at_local: local_time(&zone, n.event.ends_at),
    })
}

fn local_time(zone: &Zone, at: Timestamp) -> wit::LocalTime {
    let local = zone.local(at);
    wit::LocalTime {
        year: i32::from(local.year),
        month: local.month,
        day: local.day,
        weekday: local.weekday,
        hour: local.hour,
        minute: local.minute,
        second: local.second,
        utc_offset_seconds: local.utc_offset_seconds,
        utc_offset: local.offset_text(),
        rfc3339: local.to_rfc3339(),
        abbreviation: local.abbreviation,
    }
}
