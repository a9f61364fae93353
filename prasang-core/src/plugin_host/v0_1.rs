//! Bindings for `prasang:channel@0.1.0`, kept so plugins built against it load and run as
//! before (they are skipped for `feedback_request`, which 0.1.0 does not have). The host
//! functions and unchanged records come from [`channel_host!`](super::shared_bindings).

use wasmtime::component::{HasSelf, Linker};

use super::HostState;
use super::services::{HttpPost, OutgoingAttachment, OutgoingEmail, ServiceError};
use crate::events::EventStatus;
use crate::notify::{self, NotificationKind};
use crate::tickets::TicketStatus;

wasmtime::component::bindgen!({
    world: "channel",
    path: "../plugins/wit/0.1.0",
});

use prasang::channel::types as wit;

/// The WIT package version these bindings implement.
pub const VERSION: &str = "0.1.0";

pub(crate) fn add_to_linker(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    Channel::add_to_linker::<HostState, HasSelf<HostState>>(linker, |state| state)
}

/// The notification as 0.1.0 plugins see it; `None` for kinds the 0.1.0 interface does not
/// have (they are not sent to such plugins).
pub(crate) fn notification(
    n: &notify::Notification,
    attempted_at: i64,
) -> Option<wit::Notification> {
    Some(wit::Notification {
        idempotency_key: n.idempotency_key.clone(),
        kind: shared_kind(n.kind)?,
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
            status: event_status(n.event.status),
            price_minor: n.event.price_minor,
            currency: n.event.currency.clone(),
        },
        ticket: ticket(n),
        changed: changed(n),
        message: n.message.clone(),
    })
}

super::shared_bindings::channel_host!();
