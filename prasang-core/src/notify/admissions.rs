//! The admission codes a notification about a booked ticket carries: signed just before each
//! attempt, never stored with the delivery, so the delivery log holds nothing that admits
//! anyone. Ed25519 signatures are deterministic, so every attempt carries the same codes (until
//! an admin rotates the key; codes of either key admit).

use std::borrow::Cow;

use super::{Notification, SeatAdmission};
use crate::admission;
use crate::context::Context;
use crate::store::StoreError;
use crate::tickets::{TicketStatus, record as ticket_record};

/// `notification` as its channel gets it: a booked ticket's summary with each seat's code,
/// any other notification as it is.
pub(crate) fn with_codes<'a>(
    ctx: &Context,
    notification: &'a Notification,
) -> Result<Cow<'a, Notification>, StoreError> {
    let Some(summary) = notification
        .ticket
        .as_ref()
        .filter(|t| t.status == TicketStatus::Booked)
    else {
        return Ok(Cow::Borrowed(notification));
    };
    let Some(ticket) = ticket_record::load(&ctx.store, summary.id)? else {
        return Ok(Cow::Borrowed(notification));
    };
    let admissions = admission::seat_codes(ctx, &ticket)?
        .into_iter()
        .map(|seat| SeatAdmission {
            seat: seat.seat,
            code: seat.code,
        })
        .collect();
    let mut notification = notification.clone();
    if let Some(summary) = &mut notification.ticket {
        summary.admissions = admissions;
    }
    Ok(Cow::Owned(notification))
}
