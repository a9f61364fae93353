//! Guests: buying without an account. A checkout gives a name and an e-mail address; the
//! tickets belong to a guest account keyed by that address, which has no password. Its owner
//! comes back through single-use, short-lived sign-in links e-mailed to the address (carried by
//! the booking confirmation, and sent again on request), and may set a password later, which
//! makes the account a normal one that keeps its tickets. See docs/guests.md.
//!
//! Nothing here tells a caller whether an address is known: a checkout with the address of an
//! existing account books for that account (its owner is told by e-mail, as for any booking),
//! and a request for a link answers the same whether or not one is sent.

pub(crate) mod access;
pub(crate) mod limiter;
pub(crate) mod link;

use std::time::Duration;

use serde::Deserialize;

use crate::auth::{Actor, AuthError, Session};
use crate::context::Context;
use crate::error::{CommonError, ErrorInfo, domain_error};
use crate::events::TicketTypeId;
use crate::ids::UserId;
use crate::limits;
use crate::log::{self, DomainEvent};
use crate::store::{StoreError, abort, codec, finish, keys, read_in_tx};
use crate::tickets::{self, BookingOutcome, BookingRequest, NewGuest, PendingBooking, TicketError};
use crate::users::record::{self as user_record, UserRecord};
use crate::users::{self, Gender, User, UserError};
use crate::validate::{self, FieldError};

/// How long a sign-in link works: thirty minutes, long enough to open the e-mail, short enough
/// that an old message in an inbox opens nothing.
pub const LINK_TTL: Duration = Duration::from_secs(30 * 60);

/// A booking by someone without an account (or not signed in).
#[derive(Debug, Clone, Deserialize)]
pub struct GuestCheckout {
    /// The buyer's name, 1–100 characters (the account's name when the address is new).
    pub name: String,
    /// Where the tickets and the sign-in link go.
    pub email: String,
    /// The seats, as for any booking (types, promo code, names per seat, idempotency key).
    #[serde(flatten)]
    pub booking: BookingRequest,
}

/// A guest setting a password: the account becomes a normal one.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuestRegistration {
    /// 8–256 characters.
    pub password: String,
    /// For demographic analytics.
    pub gender: Gender,
    /// Age in years, 13–120.
    pub age: i64,
}

/// Errors of the guests API.
#[derive(Debug, thiserror::Error)]
pub enum GuestError {
    /// The link is not one of ours (mistyped, cut short or tampered with), or its account is
    /// no longer a guest account.
    #[error("this sign-in link is not valid; ask for a new one")]
    LinkInvalid,
    /// The link is older than [`LINK_TTL`].
    #[error("this sign-in link has expired; ask for a new one")]
    LinkExpired,
    /// The link (or another copy of the same message's link) was used already.
    #[error("this sign-in link was already used; ask for a new one")]
    LinkUsed,
    /// The caller's account has a password already.
    #[error("this account already has a password")]
    NotAGuest,
    /// The booking would pass the per-person limit of the event (`ticket_type`: `None`) or of
    /// the ticket type its line `line` names. Unlike a signed-in buyer's refusal it does not say
    /// how many seats the address holds: whoever types an address is not necessarily its owner.
    #[error("{}", guest_limit(*limit, ticket_type.as_ref()))]
    LimitReached {
        /// Most seats one person may hold.
        limit: u32,
        /// For a ticket type's own limit: the line's index, the type and its name.
        ticket_type: Option<(usize, TicketTypeId, String)>,
    },
    /// The booking was refused by the booking rules.
    #[error(transparent)]
    Booking(#[from] TicketError),
    /// The password, gender or age was refused.
    #[error(transparent)]
    Account(#[from] UserError),
    /// Shared refusals and failures: invalid field, forbidden, storage.
    #[error(transparent)]
    Common(#[from] CommonError),
}

domain_error!(GuestError {
    GuestError::LinkInvalid => ErrorInfo::new(Unauthorized, "guest-link-invalid", "Invalid sign-in link"),
    GuestError::LinkExpired => ErrorInfo::new(Unauthorized, "guest-link-expired", "Sign-in link expired"),
    GuestError::LinkUsed => ErrorInfo::new(Unauthorized, "guest-link-used", "Sign-in link already used"),
    GuestError::NotAGuest => ErrorInfo::new(Conflict, "not-a-guest", "Account has a password"),
    GuestError::LimitReached { .. } => ErrorInfo::new(Conflict, "limit-reached", "Per-person limit reached"),
    GuestError::Booking(error) => error.info(),
    GuestError::Account(error) => error.info(),
} fields {
    GuestError::Booking(error) => error.field(),
    GuestError::Account(error) => error.field(),
});

fn guest_limit(limit: u32, ticket_type: Option<&(usize, TicketTypeId, String)>) -> String {
    match ticket_type {
        None => format!("one e-mail address can book at most {limit} seats of this event in all"),
        Some((line, _, name)) => format!(
            "lines[{line}] ({name}): one e-mail address can book at most {limit} seats of this \
             ticket type in all"
        ),
    }
}

/// A booking's refusal as a guest checkout answers it: a per-person limit without the seats
/// the address holds, anything else as it is.
fn refusal(refused: TicketError) -> GuestError {
    match refused {
        TicketError::LimitReached { limit, .. } => GuestError::LimitReached {
            limit,
            ticket_type: None,
        },
        TicketError::InLine {
            line,
            ticket_type,
            name,
            refusal,
        } => match *refusal {
            TicketError::LimitReached { limit, .. } => GuestError::LimitReached {
                limit,
                ticket_type: Some((line, ticket_type, name)),
            },
            refusal => GuestError::Booking(TicketError::InLine {
                line,
                ticket_type,
                name,
                refusal: Box::new(refusal),
            }),
        },
        other => GuestError::Booking(other),
    }
}

impl From<AuthError> for GuestError {
    fn from(error: AuthError) -> Self {
        match error {
            AuthError::Common(common) => GuestError::Common(common),
            _ => GuestError::LinkInvalid,
        }
    }
}

/// A checkout with its name and address checked.
struct Order<'c> {
    name: String,
    email: String,
    booking: &'c BookingRequest,
}

impl<'c> Order<'c> {
    fn of(checkout: &'c GuestCheckout) -> Result<Self, FieldError> {
        Ok(Order {
            name: validate::text(&limits::USER_NAME, &checkout.name, false)?,
            email: validate::email(&checkout.email)?,
            booking: &checkout.booking,
        })
    }
}

/// Guest checkout and sign-in links. Obtained from [`crate::Prasang::guests`].
pub struct Guests<'a> {
    pub(crate) inner: &'a Context,
    pub(crate) tickets: tickets::Tickets<'a>,
}

impl Guests<'_> {
    /// Books seats for a guest: for the account of `checkout.email`, or for a new guest account
    /// made in the booking's own transaction (so only a booking that goes through makes one),
    /// by the rules of [`tickets::Tickets::book`]. Returns once the booking is durable. The
    /// confirmation sent to the address carries a sign-in link when the account is a guest's.
    pub fn book(&self, checkout: &GuestCheckout) -> Result<BookingOutcome, GuestError> {
        let order = Order::of(checkout)?;
        let outcome = match self.submit(&order)?.wait() {
            Err(TicketError::GuestAddressTaken) => self.submit(&order)?.wait(),
            outcome => outcome,
        };
        outcome.map_err(refusal)
    }

    /// [`Guests::book`] as a future: the booking waits in the booking writer's queue without
    /// holding a thread.
    pub async fn book_async(&self, checkout: &GuestCheckout) -> Result<BookingOutcome, GuestError> {
        let order = Order::of(checkout)?;
        let outcome = match self.submit(&order)?.await {
            Err(TicketError::GuestAddressTaken) => self.submit(&order)?.await,
            outcome => outcome,
        };
        outcome.map_err(refusal)
    }

    /// Hands `order` to the booking writer, for the account its address has, or with a new
    /// guest account. If the address gets an account before the writer decides (another
    /// checkout, a registration), the writer answers `GuestAddressTaken` and the second submit
    /// finds that account.
    fn submit(&self, order: &Order<'_>) -> Result<PendingBooking, StoreError> {
        let (user, guest) = match user_record::id_by_email(&self.inner.store, &order.email)? {
            Some(user) => (user, None),
            None => {
                let id = UserId::generate();
                let (name, email) = (order.name.clone(), order.email.clone());
                let record = UserRecord::guest(id, name, email.clone(), self.inner.now());
                let record = codec::write(&record);
                (id, Some(NewGuest { email, record }))
            }
        };
        Ok(self.tickets.book_for_guest(user, guest, order.booking))
    }

    /// Sends a new sign-in link to `email` if it belongs to a guest account with tickets, and
    /// the address has not had [`limiter::LINKS_PER_WINDOW`] links in the last
    /// [`limiter::WINDOW`]. Answers the same in every case, so it tells nobody whether the
    /// address is known; only a malformed address is refused.
    pub fn request_link(&self, email: &str) -> Result<(), GuestError> {
        let email = validate::email(email)?;
        access::send_link(self.inner, &email)?;
        Ok(())
    }

    /// Opens a session with a sign-in link's token: checks its signature, expiry and account,
    /// spends it (durably, so it never works twice, nor does any other copy of the same
    /// message's link), and starts a session for the guest account.
    pub fn open(&self, token: &str) -> Result<Session, GuestError> {
        let verifying = self.inner.keys.signer.verifying_key();
        let link = link::Link::verify(token, &verifying).map_err(|_| GuestError::LinkInvalid)?;
        if link.expires_at <= self.inner.now() {
            return Err(GuestError::LinkExpired);
        }
        let store = &self.inner.store;
        let record = user_record::load(store, link.user)?
            .filter(UserRecord::is_guest)
            .ok_or(GuestError::LinkInvalid)?;
        // Keyed by the nonce, which every copy of the message's link shares: spending one
        // spends all, whatever expiry each was signed with.
        let expiry = keys::timestamp(link.expires_at);
        let fresh = store
            .guest_links_used
            .compare_and_swap(link.nonce, None as Option<&[u8]>, Some(&expiry[..]))
            .map_err(StoreError::from)?
            .is_ok();
        if !fresh {
            return Err(GuestError::LinkUsed);
        }
        store.durable()?;
        Ok(crate::auth::Auth { inner: self.inner }.start_session(&record)?)
    }

    /// Gives the caller's guest account a password, gender and age: a normal account from now
    /// on, with the same id, e-mail address and tickets.
    pub fn register(
        &self,
        actor: &Actor,
        registration: GuestRegistration,
    ) -> Result<User, GuestError> {
        let valid = users::check_registration(
            &registration.password,
            registration.gender,
            registration.age,
        )?;
        let password_hash = users::hash_password(self.inner, &valid.password)?;
        let store = &self.inner.store;
        let at = self.inner.now();
        let id = actor.user_id();
        let user = finish::<_, GuestError>(store.transaction(
            (&store.users, &store.log),
            |(users, log)| {
                let bytes = users
                    .get(id.to_bytes())?
                    .ok_or_else(|| abort(users::NO_SUCH_USER))?;
                let mut record: UserRecord = read_in_tx(&bytes)?;
                if !record.is_guest() {
                    return Err(abort(GuestError::NotAGuest));
                }
                record.password_hash = password_hash.clone();
                record.gender = valid.gender;
                record.age = valid.age;
                users.insert(&id.to_bytes(), codec::write(&record))?;
                let registered = DomainEvent::GuestRegistered {
                    user: id,
                    gender: valid.gender,
                    age: valid.age,
                };
                log::append(log, at, &registered)?;
                Ok(record.to_api())
            },
        ))?;
        self.inner.committed_with_log()?;
        Ok(user)
    }
}

/// How long a spent link's nonce is remembered past the spent token's expiry: other tokens of
/// the same message (signed at later delivery attempts, which retry for minutes, not days)
/// expire within it.
const REMEMBER_SPENT: Duration = Duration::from_secs(24 * 3600);

/// Forgets spent links whose every copy has expired (those are refused as expired anyway).
pub(crate) fn forget_expired_links(ctx: &Context) -> Result<usize, StoreError> {
    let forget_before = ctx.now().minus(REMEMBER_SPENT);
    let mut forgotten = 0;
    for entry in ctx.store.guest_links_used.iter() {
        let (nonce, expiry) = entry?;
        if keys::timestamp_from(&expiry).is_some_and(|at| at < forget_before) {
            ctx.store.guest_links_used.remove(nonce)?;
            forgotten += 1;
        }
    }
    Ok(forgotten)
}
