//! A guest's sign-in link (`notification.access`): how the bundled plugins word it, and what a
//! channel that publishes what it sends does with it. The link is a credential (whoever holds
//! it opens the guest's account until it is used or expires); the host signs it for the `email`
//! channel alone, so only the e-mail plugin ever shows it.

use crate::time::{clock_local, human_local};
use crate::{Access, Notification, NotificationKind, Receipt};

/// When the link stops working, on the event's clock: `Mon 30 Nov 2026, 20:00 IST (UTC+05:30)`.
pub fn expires(access: &Access) -> String {
    human_local(&access.expires_at_local)
}

/// The same, as a time of day for a short line (the link lasts half an hour): `20:00 IST`.
pub fn until(access: &Access) -> String {
    clock_local(&access.expires_at_local)
}

/// The receipt of a channel that publishes what it sends (a webhook, a chat room, an SMS
/// gateway) for a notification it must not send: a `guest-access` one, which exists only to
/// carry the link. `None` for every other kind, which such a channel sends without `access`.
pub fn skip_unpublishable(n: &Notification) -> Option<Receipt> {
    (n.kind == NotificationKind::GuestAccess).then(|| Receipt {
        remote_id: None,
        detail: "skipped: a guest's sign-in link goes by e-mail only".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{booked_notification, guest_access};

    #[test]
    fn the_expiry_is_on_the_events_clock() {
        let access = guest_access().access.expect("a link");
        assert_eq!(expires(&access), "Mon 30 Nov 2026, 20:00 IST (UTC+05:30)");
        assert_eq!(until(&access), "20:00 IST");
    }

    #[test]
    fn only_guest_access_is_skipped() {
        let skipped = skip_unpublishable(&guest_access()).expect("skipped");
        assert!(
            skipped.detail.starts_with("skipped: "),
            "{}",
            skipped.detail
        );
        assert_eq!(skipped.remote_id, None);
        assert!(skip_unpublishable(&booked_notification()).is_none());
    }
}
