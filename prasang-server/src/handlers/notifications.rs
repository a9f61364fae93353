//! Notification channels, preferences, organizer settings and the delivery log:
//! `/api/v1/notification-channels`, `/api/v1/me/notification-preferences`,
//! `/api/v1/me/deliveries`, `/api/v1/events/{id}/notification-settings` and
//! `/api/v1/events/{id}/deliveries`. Who may see or change what (and how much of a failure
//! they may read) is decided by the core.

use prasang_core::notify::{
    Delivery, DeliveryStatus, EventNotificationSettings, NotificationKind, NotificationPreferences,
    NotifyError, Recipient,
};
use prasang_core::{EventId, Page, TicketId, Timestamp};
use serde::Serialize;
use serde_json::json as value;

use super::page_request;
use crate::request::{Ctx, Reply, ok};

pub(crate) async fn channels(cx: Ctx) -> Reply {
    cx.actor().await?;
    let ids = cx.core_read(|p| Ok::<_, NotifyError>(p.notifications().channels()))?;
    let items: Vec<_> = ids.iter().map(|id| value!({ "id": id })).collect();
    ok(&value!({ "items": items }))
}

pub(crate) async fn my_preferences(cx: Ctx) -> Reply {
    cx.answer(|p, actor| p.notifications().preferences(actor, actor.user_id()))
        .await
}

pub(crate) async fn set_my_preferences(cx: Ctx) -> Reply {
    cx.answer_with_body(move |p, actor, chosen: NotificationPreferences| {
        p.notifications()
            .set_preferences(actor, actor.user_id(), chosen)
    })
    .await
}

pub(crate) async fn event_settings(cx: Ctx) -> Reply {
    let event: EventId = cx.id("id")?;
    cx.answer(move |p, actor| p.notifications().event_settings(actor, event))
        .await
}

pub(crate) async fn set_event_settings(cx: Ctx) -> Reply {
    let event: EventId = cx.id("id")?;
    cx.answer_with_body(move |p, actor, settings: EventNotificationSettings| {
        p.notifications().set_event_settings(actor, event, settings)
    })
    .await
}

pub(crate) async fn my_deliveries(cx: Ctx) -> Reply {
    let (page, _) = page_request(&cx, &[])?;
    let deliveries = cx
        .as_caller(move |p, actor| {
            p.notifications()
                .deliveries_for_user(actor, actor.user_id(), &page)
        })
        .await?;
    ok(&shown(&deliveries))
}

pub(crate) async fn event_deliveries(cx: Ctx) -> Reply {
    let event: EventId = cx.id("id")?;
    let (page, _) = page_request(&cx, &[])?;
    let deliveries = cx
        .as_caller(move |p, actor| p.notifications().deliveries_for_event(actor, event, &page))
        .await?;
    ok(&shown(&deliveries))
}

/// A delivery as the API shows it: the record without the full notification it carries.
#[derive(Serialize)]
struct DeliveryView<'a> {
    /// The idempotency key, also sent on the wire (e-mail Message-ID, `webhook-id`).
    id: &'a str,
    log_seq: u64,
    channel: &'a str,
    kind: NotificationKind,
    event: EventId,
    ticket: Option<TicketId>,
    recipient: &'a Recipient,
    status: DeliveryStatus,
    attempts: u32,
    next_attempt_at: Option<Timestamp>,
    last_error: Option<&'a str>,
    remote_id: Option<&'a str>,
    detail: Option<&'a str>,
    created_at: Timestamp,
    updated_at: Timestamp,
}

fn shown(page: &Page<Delivery>) -> Page<DeliveryView<'_>> {
    Page {
        items: page.items.iter().map(view).collect(),
        next: page.next.clone(),
    }
}

fn view(delivery: &Delivery) -> DeliveryView<'_> {
    let notification = &delivery.notification;
    let receipt = delivery.receipt.as_ref();
    DeliveryView {
        id: &notification.idempotency_key,
        log_seq: delivery.log_seq,
        channel: &delivery.channel,
        kind: delivery.kind,
        event: delivery.event,
        ticket: notification.ticket.as_ref().map(|t| t.id),
        recipient: &notification.recipient,
        status: delivery.status,
        attempts: delivery.attempts,
        next_attempt_at: delivery.next_attempt_at,
        last_error: delivery.last_error.as_deref(),
        remote_id: receipt.and_then(|r| r.remote_id.as_deref()),
        detail: receipt.map(|r| r.detail.as_str()),
        created_at: delivery.created_at,
        updated_at: delivery.updated_at,
    }
}
