//! Bindings for `prasang:channel@0.1.0`, kept so plugins built against it load and run as
//! before (they are skipped for `feedback_request` and the kinds of 0.3.0, which 0.1.0 does not
//! have). The bindings, host functions and unchanged records come from
//! [`channel_host!`](super::shared_bindings).

super::shared_bindings::channel_host!("0.1.0", "../plugins/wit/0.1.0");

/// The notification as 0.1.0 plugins see it; `None` for kinds the 0.1.0 interface does not
/// have (they are not sent to such plugins).
pub(crate) fn notification(
    n: &notify::Notification,
    attempted_at: i64,
) -> Option<wit::Notification> {
    let kind = shared_kind(n.kind)?;
    Some(super::shared_bindings::wit_notification!(
        n,
        attempted_at,
        kind,
        {}
    ))
}
