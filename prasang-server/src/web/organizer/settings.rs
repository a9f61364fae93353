//! An event's notification settings: which kinds its ticket holders get, which channels get a
//! copy, and the latest deliveries.

use maud::{Markup, html};
use prasang_core::notify::{Delivery, EventNotificationSettings, NotificationKind};
use prasang_core::{EventId, Page};

use crate::web::account::delivery_status;
use crate::web::cx::{BoxPage, WebCx};
use crate::web::format;
use crate::web::layout::{csrf_field, redirect};

/// The event page's notification section: the settings form and the latest deliveries.
pub(crate) fn section(
    cx: &WebCx,
    id: EventId,
    settings: &EventNotificationSettings,
    channels: &[String],
    deliveries: &Page<Delivery>,
) -> Markup {
    html! {
        h2 #notifications { "Notifications" }
        form method="post" action=(format!("/organizer/events/{id}/notifications")) {
            (csrf_field(cx))
            fieldset {
                legend { "Ticket holders are told when" }
                @for (kind, label) in KINDS {
                    div { label {
                        input type="checkbox" name="send" value=(format::notification_kind(kind)) checked[!settings.disabled_kinds.contains(&kind)];
                        " " (label)
                    } }
                }
            }
            @if !channels.is_empty() {
                fieldset {
                    legend { "Also send a copy to" }
                    @for channel in channels {
                        div { label {
                            input type="checkbox" name="copy" value=(channel) checked[settings.extra_channels.contains(channel)];
                            " " (channel)
                        } }
                    }
                }
            }
            button type="submit" { "Save notification settings" }
        }
        @if !deliveries.items.is_empty() {
            h3 { "Latest deliveries" }
            ul {
                @for delivery in &deliveries.items {
                    li { (format::instant(delivery.created_at)) " · " (format::notification_kind(delivery.kind)) " · " (delivery.channel) " · " (delivery_status(delivery.status)) }
                }
            }
        }
    }
}

/// The kinds of notification an organizer may turn off, as the form lists them.
const KINDS: [(NotificationKind, &str); 8] = [
    (NotificationKind::TicketBooked, "a ticket is booked"),
    (
        NotificationKind::TicketPending,
        "seats are held awaiting payment",
    ),
    (NotificationKind::TicketCancelled, "a ticket is cancelled"),
    (NotificationKind::TicketExpired, "a hold lapses"),
    (NotificationKind::EventUpdated, "the event changes"),
    (NotificationKind::EventCancelled, "the event is cancelled"),
    (
        NotificationKind::FeedbackReply,
        "you reply to their feedback",
    ),
    (
        NotificationKind::FeedbackRequest,
        "the event ended (feedback request)",
    ),
];

/// `POST /organizer/events/{id}/notifications` (send: kinds kept on; copy: extra channels)
pub(crate) fn set_notifications(cx: WebCx) -> BoxPage {
    Box::pin(async move {
        let id: EventId = cx.id("id")?;
        let actor = cx.signed_in()?.actor;
        let send = cx.form.all("send");
        let settings = EventNotificationSettings {
            disabled_kinds: KINDS
                .iter()
                .map(|(kind, _)| *kind)
                .filter(|kind| !send.contains(&format::notification_kind(*kind)))
                .collect(),
            extra_channels: cx.form.all("copy"),
        };
        cx.core(move |p| p.notifications().set_event_settings(&actor, id, settings))
            .await?;
        redirect(&format!("/organizer/events/{id}?done=saved#notifications"))
    })
}
