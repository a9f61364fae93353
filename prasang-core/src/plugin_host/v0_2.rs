//! Bindings for `prasang:channel@0.2.0`: 0.1.0 plus the `feedback-request` kind and the
//! event's time zone with local start and end times, computed here from the tz database so
//! plugins need none.

use wasmtime::component::{HasSelf, Linker};

use super::HostState;
use super::services::{HttpPost, OutgoingAttachment, OutgoingEmail, ServiceError};
use crate::events::EventStatus;
use crate::notify::{self, NotificationKind};
use crate::tickets::TicketStatus;
use crate::time::Timestamp;
use crate::zone::Zone;

wasmtime::component::bindgen!({
    world: "channel",
    path: "../plugins/wit/0.2.0",
});

use prasang::channel::types as wit;

/// The WIT package version these bindings implement.
pub const VERSION: &str = "0.2.0";

pub(crate) fn add_to_linker(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    Channel::add_to_linker::<HostState, HasSelf<HostState>>(linker, |state| state)
}

/// The notification as 0.2.0 plugins see it (every kind).
pub(crate) fn notification(n: &notify::Notification, attempted_at: i64) -> wit::Notification {
    let zone = Zone::stored(&n.time_zone);
    wit::Notification {
        idempotency_key: n.idempotency_key.clone(),
        // The one kind 0.1.0 lacks is the only one `shared_kind` leaves out.
        kind: shared_kind(n.kind).unwrap_or(wit::NotificationKind::FeedbackRequest),
        log_seq: n.log_seq,
        occurred_at: n.occurred_at.as_millis(),
        attempted_at,
        recipient: recipient(n),
        event: wit::EventSummary {
            id: n.event.id.to_string(),
            title: n.event.title.clone(),
            description: n.event.description.clone(),
            location: n.event.location.clone(),
            starts_at: n.event.starts_at.as_millis(),
            ends_at: n.event.ends_at.as_millis(),
            time_zone: zone.name().to_owned(),
            starts_at_local: local_time(&zone, n.event.starts_at),
            ends_at_local: local_time(&zone, n.event.ends_at),
            status: event_status(n.event.status),
            price_minor: n.event.price_minor,
            currency: n.event.currency.clone(),
        },
        ticket: ticket(n),
        changed: changed(n),
        message: n.message.clone(),
    }
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

super::shared_bindings::channel_host!();
