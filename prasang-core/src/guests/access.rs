//! Sending a guest a sign-in link: the request goes into the log (the notifications dispatcher
//! sends the link), if the address is a guest account's with a ticket and within its limit.
//! Apart from the guests API so that registration (in `users`) can send one too.

use crate::context::Context;
use crate::ids::{EventId, UserId};
use crate::log::{self, DomainEvent};
use crate::store::{StoreError, finish, keys};
use crate::tickets::record as ticket_record;
use crate::users::record::{self as user_record, UserRecord};

/// Appends the request for a link to the guest account of `email` (normalised), if it is one,
/// has a ticket, and the address is within its limit; whether it did.
pub(crate) fn send_link(ctx: &Context, email: &str) -> Result<bool, StoreError> {
    let store = &ctx.store;
    let Some(record) = user_record::id_by_email(store, email)?
        .map(|id| user_record::load(store, id))
        .transpose()?
        .flatten()
        .filter(UserRecord::is_guest)
    else {
        return Ok(false);
    };
    let Some(event) = latest_event(ctx, record.id)? else {
        return Ok(false);
    };
    let now = ctx.now();
    if !ctx.guest_links.allow(email, now) {
        tracing::info!(user = %record.id, "sign-in link not sent: too many for this address");
        return Ok(false);
    }
    let requested = DomainEvent::GuestAccessRequested {
        user: record.id,
        event,
    };
    finish::<_, StoreError>(store.transaction(&store.log, |log| {
        log::append(log, now, &requested)?;
        Ok(())
    }))?;
    ctx.committed_with_log()?;
    Ok(true)
}

/// The event of `user`'s latest ticket, if they have one.
fn latest_event(ctx: &Context, user: UserId) -> Result<Option<EventId>, StoreError> {
    let Some(key) = ctx
        .store
        .tickets_by_user
        .scan_prefix(user.to_bytes())
        .keys()
        .next_back()
        .transpose()?
    else {
        return Ok(None);
    };
    let Some(ticket) = keys::ticket_from_index_key(&key) else {
        return Ok(None);
    };
    Ok(ticket_record::load(&ctx.store, ticket)?.map(|ticket| ticket.event))
}
