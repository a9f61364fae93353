//! What every `prasang:channel` version's bindings share: the generated bindings themselves,
//! the host functions (`send-email`, `http-post`, `log`, `config-get`), delivering through a
//! pre-instantiated component, and the records that did not change between versions. Each
//! version's `bindgen!` makes its own Rust types, so [`channel_host!`] writes these once and each
//! version module expands it over its own `wit` types; [`zoned_notification!`] does the same for
//! the notification of the versions with local times (0.2.0 on).

/// A `wit::Notification` of `$n` (a `notify::Notification`), with the version's own `kind`,
/// any extra `EventSummary` fields and any extra `Notification` fields after those: what every
/// version's notification shares.
macro_rules! wit_notification {
    ($n:expr, $attempted_at:expr, $kind:expr, { $($event_extra:tt)* }) => {
        super::shared_bindings::wit_notification!($n, $attempted_at, $kind, { $($event_extra)* }, {})
    };
    (
        $n:expr, $attempted_at:expr, $kind:expr,
        { $($event_extra:tt)* }, { $($notification_extra:tt)* }
    ) => {
        wit::Notification {
            idempotency_key: $n.idempotency_key.clone(),
            kind: $kind,
            log_seq: $n.log_seq,
            occurred_at: $n.occurred_at.as_millis(),
            attempted_at: $attempted_at,
            recipient: recipient($n),
            event: wit::EventSummary {
                id: $n.event.id.to_string(),
                title: $n.event.title.clone(),
                description: $n.event.description.clone(),
                location: $n.event.location.clone(),
                starts_at: $n.event.starts_at.as_millis(),
                ends_at: $n.event.ends_at.as_millis(),
                status: event_status($n.event.status),
                price_minor: $n.event.price_minor,
                currency: $n.event.currency.clone(),
                $($event_extra)*
            },
            ticket: ticket($n),
            changed: changed($n),
            message: $n.message.clone(),
            $($notification_extra)*
        }
    };
}

pub(crate) use wit_notification;

/// Expands, inside a version module: the `bindgen!` of the WIT folder `$wit` (which gives `wit`,
/// its `types` interface, and `prasang`, its package), `VERSION` (`$version`), `linker`,
/// `instantiate_pre`, `deliver`, the shared record conversions and the `Host` impls for
/// [`HostState`](super::HostState).
///
/// A version whose `ticket-summary` has fields past 0.1.0's names them after `ticket |t|`, as
/// struct fields built from `t`, the core's [`TicketSummary`](crate::notify::TicketSummary).
/// One whose `attachment` has a `content-id` reads it after `attachment |a|` (`a`: the WIT
/// attachment), and one with host functions past 0.1.0's writes them in `host { … }`, as
/// methods of its `host::Host` impl for [`HostState`](super::HostState).
macro_rules! channel_host {
    ($version:tt, $wit:tt) => {
        super::shared_bindings::channel_host!($version, $wit, ticket |_t| {});
    };
    ($version:tt, $wit:tt, ticket |$t:ident| { $($ticket_extra:tt)* }) => {
        super::shared_bindings::channel_host!(
            $version, $wit, ticket |$t| { $($ticket_extra)* }, attachment |_a| None, host {}
        );
    };
    (
        $version:tt, $wit:tt,
        ticket |$t:ident| { $($ticket_extra:tt)* },
        attachment |$a:ident| $content_id:expr,
        host { $($host_extra:tt)* }
    ) => {
        use wasmtime::component::{Component, HasSelf, Linker};

        use super::HostState;
        use super::services::{HttpPost, OutgoingAttachment, OutgoingEmail, ServiceError};
        use crate::events::EventStatus;
        use crate::notify::{self, NotificationKind};
        use crate::tickets::TicketStatus;

        wasmtime::component::bindgen!({
            world: "channel",
            path: $wit,
        });

        use prasang::channel::types as wit;

        /// The WIT package version these bindings implement.
        pub const VERSION: &str = $version;

        /// A linker that gives components of this version the host functions.
        pub(crate) fn linker(engine: &wasmtime::Engine) -> wasmtime::Result<Linker<HostState>> {
            let mut linker = Linker::new(engine);
            Channel::add_to_linker::<HostState, HasSelf<HostState>>(&mut linker, |state| state)?;
            Ok(linker)
        }

        /// `component` linked and type-checked once, ready to instantiate per delivery.
        pub(crate) fn instantiate_pre(
            linker: &Linker<HostState>,
            component: &Component,
        ) -> wasmtime::Result<ChannelPre<HostState>> {
            ChannelPre::new(linker.instantiate_pre(component)?)
        }

        /// One delivery of `input` in a fresh instance in `store`.
        pub(crate) fn deliver(
            pre: &ChannelPre<HostState>,
            store: &mut wasmtime::Store<HostState>,
            input: &wit::Notification,
        ) -> wasmtime::Result<Result<notify::Receipt, notify::DeliveryError>> {
            let channel = pre.instantiate(&mut *store)?;
            channel.call_deliver(store, input).map(outcome)
        }

        fn outcome(
            result: Result<wit::Receipt, wit::DeliveryError>,
        ) -> Result<notify::Receipt, notify::DeliveryError> {
            match result {
                Ok(receipt) => Ok(notify::Receipt {
                    remote_id: receipt.remote_id,
                    detail: receipt.detail,
                }),
                Err(wit::DeliveryError::Temporary(why)) => {
                    Err(notify::DeliveryError::Temporary(why))
                }
                Err(wit::DeliveryError::Permanent(why)) => {
                    Err(notify::DeliveryError::Permanent(why))
                }
            }
        }

        /// The kinds every version has (0.1.0's); `None` for the ones added later, which each
        /// version's own `kind` maps where its interface has them.
        fn shared_kind(kind: NotificationKind) -> Option<wit::NotificationKind> {
            Some(match kind {
                NotificationKind::TicketBooked => wit::NotificationKind::TicketBooked,
                NotificationKind::TicketPending => wit::NotificationKind::TicketPending,
                NotificationKind::TicketCancelled => wit::NotificationKind::TicketCancelled,
                NotificationKind::TicketExpired => wit::NotificationKind::TicketExpired,
                NotificationKind::EventUpdated => wit::NotificationKind::EventUpdated,
                NotificationKind::EventCancelled => wit::NotificationKind::EventCancelled,
                NotificationKind::FeedbackReply => wit::NotificationKind::FeedbackReply,
                NotificationKind::FeedbackRequest
                | NotificationKind::WaitlistOffer
                | NotificationKind::OrganizerMessage
                | NotificationKind::GuestAccess
                | NotificationKind::QueueAdmitted => return None,
            })
        }

        fn recipient(n: &notify::Notification) -> wit::Recipient {
            wit::Recipient {
                user_id: n.recipient.user_id.to_string(),
                name: n.recipient.name.clone(),
                email: n.recipient.email.clone(),
            }
        }

        fn event_status(status: EventStatus) -> wit::EventStatus {
            match status {
                EventStatus::Published => wit::EventStatus::Published,
                EventStatus::Cancelled => wit::EventStatus::Cancelled,
            }
        }

        fn ticket(n: &notify::Notification) -> Option<wit::TicketSummary> {
            n.ticket.as_ref().map(|$t| wit::TicketSummary {
                id: $t.id.to_string(),
                quantity: $t.quantity,
                status: match $t.status {
                    TicketStatus::Pending => wit::TicketStatus::Pending,
                    TicketStatus::Booked => wit::TicketStatus::Booked,
                    TicketStatus::Cancelled => wit::TicketStatus::Cancelled,
                    TicketStatus::Expired => wit::TicketStatus::Expired,
                },
                amount_minor: $t.amount_minor,
                expires_at: $t.expires_at.map(|at| at.as_millis()),
                $($ticket_extra)*
            })
        }

        /// The changed fields in snake_case, as the interface documents them.
        fn changed(n: &notify::Notification) -> Vec<String> {
            n.changed
                .iter()
                .map(|field| {
                    serde_json::to_value(field)
                        .ok()
                        .and_then(|value| value.as_str().map(str::to_owned))
                        .unwrap_or_default()
                })
                .collect()
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
                        .map(|$a| OutgoingAttachment {
                            filename: $a.filename,
                            content_type: $a.content_type,
                            data: $a.data,
                            content_id: $content_id,
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

            $($host_extra)*
        }
    };
}

pub(crate) use channel_host;

/// Expands, after [`channel_host!`] in a version module whose WIT has local times (0.2.0 on):
/// `notification`, the notification as that version's plugins see it, with the event's time
/// zone and its local start and end, computed here from the tz database so plugins need none,
/// and `local_time`. The module writes `kind`, which maps the core's kinds to its own (`None`
/// for a kind its interface does not have: such plugins are skipped for it); a version with
/// notification fields past 0.2.0's names them after `notification |n, zone|`, as struct fields
/// built from `n` (the core's notification) and `zone` (the event's [`Zone`](crate::zone::Zone)).
macro_rules! zoned_notification {
    () => {
        super::shared_bindings::zoned_notification!(notification |_n, _zone| {});
    };
    (notification |$n:ident, $zone:ident| { $($notification_extra:tt)* }) => {
        /// The notification as this version's plugins see it; `None` for a kind they do not
        /// have (they are not sent it).
        pub(crate) fn notification(
            n: &notify::Notification,
            attempted_at: i64,
        ) -> Option<wit::Notification> {
            let kind = kind(n.kind)?;
            let zone = crate::zone::Zone::stored(&n.time_zone);
            let ($n, $zone) = (n, &zone);
            Some(super::shared_bindings::wit_notification!(
                n,
                attempted_at,
                kind,
                {
                    time_zone: zone.name().to_owned(),
                    starts_at_local: local_time(&zone, n.event.starts_at),
                    ends_at_local: local_time(&zone, n.event.ends_at),
                },
                { $($notification_extra)* }
            ))
        }

        fn local_time(zone: &crate::zone::Zone, at: crate::time::Timestamp) -> wit::LocalTime {
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
    };
}

pub(crate) use zoned_notification;
