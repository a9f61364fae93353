//! Bindings for `prasang:channel@0.2.0`: 0.1.0 plus the `feedback-request` kind and the
//! event's time zone with local start and end times, computed here from the tz database so
//! plugins need none. Kept so plugins built against it load and run as before (they are
//! skipped for `waitlist_offer`, `organizer_message`, `guest_access` and `queue_admitted`,
//! which 0.2.0 does not have).

super::shared_bindings::channel_host!("0.2.0", "../plugins/wit/0.2.0");
super::shared_bindings::zoned_notification!();

/// 0.1.0's kinds and `feedback-request`; `None` for the kinds of 0.3.0.
fn kind(kind: NotificationKind) -> Option<wit::NotificationKind> {
    match kind {
        NotificationKind::FeedbackRequest => Some(wit::NotificationKind::FeedbackRequest),
        other => shared_kind(other),
    }
}
