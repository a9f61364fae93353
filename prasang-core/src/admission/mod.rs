//! Admission codes: one signed code per booked seat, which a gate verifies offline with the
//! published public keys (see `docs/check-in.md` for the format and the protocol).
//!
//! A code is computed, never stored: it is the signature of (event, ticket, seat), so a ticket's
//! codes are the same every time they are shown. Whether a seat may still enter (not cancelled,
//! not yet admitted) is the check-in's business, not the code's.

pub mod code;
pub(crate) mod keys;
pub mod qr;

use serde::{Deserialize, Serialize};

pub use code::{CODE_LEN, CodeError, ParsedCode, parse};
pub use keys::AdmissionPublicKey;

use crate::auth::Actor;
use crate::context::Context;
use crate::error::{CommonError, ErrorInfo, Subject, domain_error};
use crate::ids::{EventId, TicketId};
use crate::store::StoreError;
use crate::tickets::{self, Ticket, TicketStatus};

/// One seat's admission code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeatCode {
    /// The event.
    pub event: EventId,
    /// The ticket.
    pub ticket: TicketId,
    /// The seat within the ticket, from 1.
    pub seat: u32,
    /// Seats on the ticket.
    pub of: u32,
    /// The code (what the QR code holds).
    pub code: String,
}

/// Errors of the admissions API.
#[derive(Debug, thiserror::Error)]
pub enum AdmissionError {
    /// Only booked tickets have admission codes (a pending one is not paid for; a cancelled or
    /// expired one admits nobody).
    #[error("only a booked ticket has admission codes; this one is {}", status_word(.0))]
    NotBooked(TicketStatus),
    /// The text is not a valid code for the event (malformed, forged, another event's, or
    /// signed by an unknown key).
    #[error("not a valid admission code for this event: {0}")]
    InvalidCode(#[from] CodeError),
    /// Shared refusals and failures.
    #[error(transparent)]
    Common(#[from] CommonError),
}

domain_error!(AdmissionError {
    AdmissionError::NotBooked(_) => ErrorInfo::new(Conflict, "ticket-not-booked", "Ticket not booked"),
    AdmissionError::InvalidCode(_) => ErrorInfo::new(InvalidInput, "admission-code-invalid", "Invalid admission code"),
});

fn status_word(status: &TicketStatus) -> &'static str {
    match status {
        TicketStatus::Pending => "pending",
        TicketStatus::Booked => "booked",
        TicketStatus::Cancelled => "cancelled",
        TicketStatus::Expired => "expired",
    }
}

const NO_SUCH_TICKET: CommonError = CommonError::NotFound(Subject::Ticket);

/// Admission codes and the keys that sign them. Obtained from [`crate::Prasang::admissions`].
pub struct Admissions<'a> {
    pub(crate) inner: &'a Context,
}

impl Admissions<'_> {
    /// The codes of a booked ticket's seats, for its holder, the event's organizer and admins.
    pub fn codes(&self, actor: &Actor, ticket: TicketId) -> Result<Vec<SeatCode>, AdmissionError> {
        let ctx = self.inner;
        let ticket = tickets::visible_to(&ctx.store, actor, ticket)?.ok_or(NO_SUCH_TICKET)?;
        if ticket.status != TicketStatus::Booked {
            return Err(AdmissionError::NotBooked(ticket.status));
        }
        Ok(seat_codes(ctx, &ticket)?)
    }

    /// Checks offline that `code` is a seat of `event` signed by one of the published keys —
    /// what a gate does before it knows whether the seat was cancelled or already admitted.
    pub fn verify(&self, event: EventId, code: &str) -> Result<ParsedCode, AdmissionError> {
        Ok(self.inner.admission_keys.verify(code, event)??)
    }

    /// Every admission key, oldest first; the last one signs new codes. Public: gates and
    /// anyone else verify codes with them.
    pub fn public_keys(&self) -> Result<Vec<AdmissionPublicKey>, AdmissionError> {
        Ok(self.inner.admission_keys.public_keys()?)
    }

    /// Starts signing new codes with a new key (admins). Codes signed before keep verifying:
    /// the old keys stay published. Returns the new key's id.
    pub fn rotate_key(&self, actor: &Actor) -> Result<u8, AdmissionError> {
        if !actor.is_admin() {
            return Err(CommonError::Forbidden("only an admin can rotate admission keys").into());
        }
        self.inner
            .admission_keys
            .rotate()?
            .ok_or_else(|| CommonError::Forbidden("all 255 admission key ids are used").into())
    }
}

/// The codes of every seat of `ticket`, whatever its status (callers decide whether to show
/// them).
pub(crate) fn seat_codes(ctx: &Context, ticket: &Ticket) -> Result<Vec<SeatCode>, StoreError> {
    (1..=ticket.quantity)
        .map(|seat| {
            // Quantities are capped far below u16::MAX (`limits::QUANTITY`).
            let seat_u16 = u16::try_from(seat).unwrap_or(u16::MAX);
            Ok(SeatCode {
                event: ticket.event,
                ticket: ticket.id,
                seat,
                of: ticket.quantity,
                code: ctx.admission_keys.sign(ticket.event, ticket.id, seat_u16)?,
            })
        })
        .collect()
}
