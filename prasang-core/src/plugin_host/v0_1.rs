//! Bindings for `prasang:channel@0.1.0`. When the interface grows, a `v0_2.rs` beside this one
//! gets its own `bindgen!`, and plugins built against 0.1 keep loading through this module.

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
        kind: match n.kind {
            NotificationKind::TicketBooked => wit::NotificationKind::TicketBooked,
            NotificationKind::TicketPending => wit::NotificationKind::TicketPending,
            NotificationKind::TicketCancelled => wit::NotificationKind::TicketCancelled,
            NotificationKind::TicketExpired => wit::NotificationKind::TicketExpired,
            NotificationKind::EventUpdated => wit::NotificationKind::EventUpdated,
            NotificationKind::EventCancelled => wit::NotificationKind::EventCancelled,
            NotificationKind::FeedbackReply => wit::NotificationKind::FeedbackReply,
            NotificationKind::FeedbackRequest => return None,
        },
        log_seq: n.log_seq,
        occurred_at: n.occurred_at.as_millis(),
        attempted_at,
        recipient: wit::Recipient {
            user_id: n.recipient.user_id.to_string(),
            name: n.recipient.name.clone(),
            email: n.recipient.email.clone(),
        },
        event: wit::EventSummary {
            id: n.event.id.to_string(),
            title: n.event.title.clone(),
            description: n.event.description.clone(),
            location: n.event.location.clone(),
            starts_at: n.event.starts_at.as_millis(),
            ends_at: n.event.ends_at.as_millis(),
            status: match n.event.status {
                EventStatus::Published => wit::EventStatus::Published,
                EventStatus::Cancelled => wit::EventStatus::Cancelled,
            },
            price_minor: n.event.price_minor,
            currency: n.event.currency.clone(),
        },
        ticket: n.ticket.as_ref().map(|t| wit::TicketSummary {
            id: t.id.to_string(),
            quantity: t.quantity,
            status: match t.status {
                TicketStatus::Pending => wit::TicketStatus::Pending,
                TicketStatus::Booked => wit::TicketStatus::Booked,
                TicketStatus::Cancelled => wit::TicketStatus::Cancelled,
                TicketStatus::Expired => wit::TicketStatus::Expired,
            },
            amount_minor: t.amount_minor,
            expires_at: t.expires_at.map(|at| at.as_millis()),
        }),
        changed: n
            .changed
            .iter()
            .map(|field| {
                serde_json::to_value(field)
                    .ok()
                    .and_then(|value| value.as_str().map(str::to_owned))
                    .unwrap_or_default()
            })
            .collect(),
        message: n.message.clone(),
    })
}

pub(crate) fn outcome(
    result: Result<wit::Receipt, wit::DeliveryError>,
) -> Result<notify::Receipt, notify::DeliveryError> {
    match result {
        Ok(receipt) => Ok(notify::Receipt {
            remote_id: receipt.remote_id,
            detail: receipt.detail,
        }),
        Err(wit::DeliveryError::Temporary(why)) => Err(notify::DeliveryError::Temporary(why)),
        Err(wit::DeliveryError::Permanent(why)) => Err(notify::DeliveryError::Permanent(why)),
    }
}

fn host_error(error: ServiceError) -> wit::HostError {
    match error {
        ServiceError::Denied(why) => wit::HostError::Denied(why),
        ServiceError::Unavailable(why) => wit::HostError::Unavailable(why),
        ServiceError::Invalid(why) => wit::HostError::Invalid(why),
    }
}

impl wit::Host for HostState {}

impl prasang::channel::host::Host for HostState {
    fn send_email(&mut self, message: wit::Email) -> Result<String, wit::HostError> {
        let email = OutgoingEmail {
            to: message
                .to
                .into_iter()
                .map(|mailbox| (mailbox.name, mailbox.address))
                .collect(),
            subject: message.subject,
            text_body: message.text_body,
            html_body: message.html_body,
            attachments: message
                .attachments
                .into_iter()
                .map(|a| OutgoingAttachment {
                    filename: a.filename,
                    content_type: a.content_type,
                    data: a.data,
                })
                .collect(),
        };
        self.send_email(email).map_err(host_error)
    }

    fn http_post(
        &mut self,
        request: wit::HttpRequest,
    ) -> Result<wit::HttpResponse, wit::HostError> {
        let answer = self
            .http_post(HttpPost {
                url: request.url,
                headers: request.headers,
                body: request.body,
            })
            .map_err(host_error)?;
        Ok(wit::HttpResponse {
            status: answer.status,
            headers: answer.headers,
            body: answer.body,
        })
    }

    fn log(&mut self, level: wit::LogLevel, message: String) {
        let level = match level {
            wit::LogLevel::Trace => tracing::Level::TRACE,
            wit::LogLevel::Debug => tracing::Level::DEBUG,
            wit::LogLevel::Info => tracing::Level::INFO,
            wit::LogLevel::Warn => tracing::Level::WARN,
            wit::LogLevel::Error => tracing::Level::ERROR,
        };
        HostState::log(self, level, &message);
    }

    fn config_get(&mut self, key: String) -> Option<String> {
        self.plugin.manifest.config.get(&key).cloned()
    }
}
