//! The sign-in link a guest's notification carries: signed just before each attempt, never
//! stored with the delivery (like admission codes, see `admissions`), so the delivery log holds
//! nothing that opens an account. Every attempt and every channel's copy of one notification
//! shares the link's nonce, so using any of them spends them all.

use std::borrow::Cow;

use super::{AccessLink, Notification, NotificationKind};
use crate::context::Context;
use crate::guests::{LINK_TTL, link::Link};
use crate::store::StoreError;
use crate::users::record as user_record;

/// The path of the sign-in page under the server's public address.
pub const ACCESS_PATH: &str = "/guest/access";

/// The only channel a link goes over: it proves that its holder reads the account's e-mail, so
/// it goes to that address and nowhere else (not to an organizer's webhook or a chat room).
pub(crate) const EMAIL_CHANNEL: &str = "email";

/// `notification`, about to go over `channel`, with a fresh sign-in link if it is a guest's
/// link or a guest's booking confirmation by e-mail; any other as it is.
pub(crate) fn with_link<'a>(
    ctx: &Context,
    channel: &str,
    notification: Cow<'a, Notification>,
) -> Result<Cow<'a, Notification>, StoreError> {
    let carries_link = matches!(
        notification.kind,
        NotificationKind::GuestAccess
            | NotificationKind::TicketBooked
            | NotificationKind::TicketPending
    );
    if !carries_link || channel != EMAIL_CHANNEL {
        return Ok(notification);
    }
    let user = notification.recipient.user_id;
    let is_guest = user_record::load(&ctx.store, user)?.is_some_and(|record| record.is_guest());
    if !is_guest {
        return Ok(notification);
    }
    let link = Link {
        user,
        nonce: Link::nonce_for(&notification.idempotency_key),
        expires_at: ctx.now().plus(LINK_TTL),
    };
    let token = link.sign(&ctx.keys.signer);
    let mut notification = notification.into_owned();
    notification.access = Some(AccessLink {
        url: format!("{}{ACCESS_PATH}?token={token}", ctx.config.public_url),
        expires_at: link.expires_at,
    });
    Ok(Cow::Owned(notification))
}
