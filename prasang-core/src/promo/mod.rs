//! Promo codes: per-event discount codes (a percentage, an amount per seat, free seats, or none
//! at all to only reveal hidden ticket types), optionally limited to some types, to a number of
//! seats, to a validity period and to one use per user.
//!
//! Bookings count a code's uses in the booking transaction itself (see
//! [`crate::tickets`]), so racing buyers can never use it for more seats than it allows, and a
//! cancelled or expired ticket gives its seats back. This module is the organizers' side:
//! create, change, deactivate, list and see the uses.

pub(crate) mod record;

use serde::{Deserialize, Serialize};
use sled::transaction::ConflictableTransactionError;

pub use record::{Discount, PromoRefusal};
use record::{PromoRecord, key, normalize};

use crate::auth::Actor;
use crate::context::Context;
use crate::error::{CommonError, ErrorInfo, Subject, domain_error};
use crate::events::record as event_record;
use crate::events::{SaleState, TicketTypeId};
use crate::ids::{EventId, TicketId, UserId};
use crate::limits;
use crate::log::{self, DomainEvent};
use crate::store::{StoreError, abort, codec, finish, keys, read_in_tx};
use crate::tickets::TicketStatus;
use crate::time::Timestamp;
use crate::validate::FieldError;
use crate::zone::{EventTime, Zone};

/// A promo code as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PromoCode {
    /// The event it belongs to.
    pub event: EventId,
    /// The code, upper case (buyers may type it in any case).
    pub code: String,
    /// What it takes off each seat it applies to.
    pub discount: Discount,
    /// Ticket types it applies to; empty: every type.
    pub applies_to: Vec<TicketTypeId>,
    /// Hidden ticket types it makes bookable.
    pub reveals: Vec<TicketTypeId>,
    /// Most seats it may be used for; none: unlimited.
    pub max_uses: Option<u32>,
    /// Seats it is used for by pending and booked tickets.
    pub used: u32,
    /// When it starts to work, if not at once.
    pub valid_from: Option<Timestamp>,
    /// When it stops working.
    pub valid_until: Option<Timestamp>,
    /// Whether a user may hold only one ticket with it at a time.
    pub once_per_user: bool,
    /// Whether it works (an organizer can deactivate it).
    pub active: bool,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
}

impl PromoCode {
    pub(crate) fn of(event: EventId, record: PromoRecord) -> Self {
        PromoCode {
            event,
            code: record.code,
            discount: record.discount,
            applies_to: record.applies_to,
            reveals: record.reveals,
            max_uses: record.max_uses,
            used: record.used,
            valid_from: record.valid_from,
            valid_until: record.valid_until,
            once_per_user: record.once_per_user,
            active: record.active,
            created_at: record.created_at,
            updated_at: record.updated_at,
        }
    }
}

/// A new promo code.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewPromoCode {
    /// 3–32 letters, digits and dashes; unique per event whatever the case.
    pub code: String,
    /// `{"percent": 20}`, `{"per_seat": 500}` (minor units), `"free"`, or `"none"` for a code
    /// that only reveals hidden types.
    pub discount: Discount,
    /// Ticket types it applies to (default: every type).
    #[serde(default)]
    pub applies_to: Vec<TicketTypeId>,
    /// Hidden ticket types it makes bookable.
    #[serde(default)]
    pub reveals: Vec<TicketTypeId>,
    /// Most seats it may be used for, 1–1,000,000 (default: unlimited).
    #[serde(default)]
    pub max_uses: Option<i64>,
    /// When it starts to work: an instant, or a local date-time in the event's zone.
    #[serde(default)]
    pub valid_from: Option<EventTime>,
    /// When it stops working, after `valid_from`.
    #[serde(default)]
    pub valid_until: Option<EventTime>,
    /// One ticket with it per user at a time.
    #[serde(default)]
    pub once_per_user: bool,
}

impl NewPromoCode {
    /// A code taking `discount` off every type's seats, unlimited, always valid, any number
    /// of times per user; set the other fields with struct update syntax.
    pub fn new(code: impl Into<String>, discount: Discount) -> Self {
        NewPromoCode {
            code: code.into(),
            discount,
            applies_to: Vec::new(),
            reveals: Vec::new(),
            max_uses: None,
            valid_from: None,
            valid_until: None,
            once_per_user: false,
        }
    }
}

/// Changes to a promo code; `None` leaves a field as it is, and for the optional fields JSON
/// `null` removes the setting.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PromoCodeUpdate {
    /// New discount (tickets already issued keep theirs).
    pub discount: Option<Discount>,
    /// New types it applies to.
    pub applies_to: Option<Vec<TicketTypeId>>,
    /// New hidden types it reveals.
    pub reveals: Option<Vec<TicketTypeId>>,
    /// New most seats: at least the seats it is used for.
    #[serde(default, with = "double_option")]
    pub max_uses: Option<Option<i64>>,
    /// New start of validity.
    #[serde(default, with = "double_option")]
    pub valid_from: Option<Option<EventTime>>,
    /// New end of validity.
    #[serde(default, with = "double_option")]
    pub valid_until: Option<Option<EventTime>>,
    /// One ticket per user, or not.
    pub once_per_user: Option<bool>,
    /// Activate or deactivate it.
    pub active: Option<bool>,
}

mod double_option {
    use serde::{Deserialize, Deserializer};

    pub(super) fn deserialize<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
        d: D,
    ) -> Result<Option<Option<T>>, D::Error> {
        Option::<T>::deserialize(d).map(Some)
    }
}

/// One ticket that used a code.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PromoUse {
    /// The ticket.
    pub ticket: TicketId,
    /// Its holder.
    pub user: UserId,
    /// Seats the code was used for.
    pub seats: u32,
    /// What the code took off the ticket, minor units.
    pub discount_minor: u64,
    /// The ticket's status now (cancelled and expired tickets gave their uses back).
    pub status: TicketStatus,
    /// When it was booked.
    pub created_at: Timestamp,
}

/// Errors of the promo-codes API.
#[derive(Debug, thiserror::Error)]
pub enum PromoError {
    /// The event already has this code.
    #[error("this event already has the code {0}")]
    CodeTaken(String),
    /// An event has at most this many codes.
    #[error("an event has at most {0} promo codes")]
    TooMany(i64),
    /// Shared refusals and failures.
    #[error(transparent)]
    Common(#[from] CommonError),
}

domain_error!(PromoError {
    PromoError::CodeTaken(_) => ErrorInfo::new(Conflict, "promo-code-taken", "Promo code taken"),
    PromoError::TooMany(_) => ErrorInfo::new(Conflict, "too-many-promo-codes", "Too many promo codes"),
});

const REFUSAL: &str = "only the event's organizer can manage its promo codes";
const NO_SUCH_CODE: CommonError = CommonError::NotFound(Subject::PromoCode);

type TxResult<T> = Result<T, ConflictableTransactionError<PromoError>>;

/// Promo codes. Obtained from [`crate::Prasang::promo_codes`].
pub struct PromoCodes<'a> {
    pub(crate) inner: &'a Context,
}

/// The settings a code is made of, each checked, before they meet the event's types.
struct Settings {
    discount: Discount,
    applies_to: Vec<TicketTypeId>,
    reveals: Vec<TicketTypeId>,
    max_uses: Option<u32>,
    valid_from: Option<Timestamp>,
    valid_until: Option<Timestamp>,
}

fn check_types(
    field: &'static str,
    types: &[TicketTypeId],
    sale: &SaleState,
) -> Result<Vec<TicketTypeId>, FieldError> {
    let mut checked = Vec::with_capacity(types.len());
    for &id in types {
        if sale.ticket_type(id).is_none() {
            return Err(FieldError::new(
                field,
                format!("the event has no ticket type {id}"),
            ));
        }
        if !checked.contains(&id) {
            checked.push(id);
        }
    }
    Ok(checked)
}

fn check_max_uses(value: i64) -> Result<u32, FieldError> {
    crate::validate::in_range(&limits::PROMO_MAX_USES, value)
}

impl Settings {
    /// Checks what must hold across fields and against the event: known types, a validity that
    /// ends after it begins, a maximum not below the uses.
    fn check(self, sale: &SaleState, used: u32) -> Result<Self, FieldError> {
        if let (Some(from), Some(until)) = (self.valid_from, self.valid_until)
            && until <= from
        {
            return Err(FieldError::new("valid_until", "must be after valid_from"));
        }
        if self.max_uses.is_some_and(|max| max < used) {
            return Err(FieldError::new(
                "max_uses",
                format!("the code is already used for {used} seats"),
            ));
        }
        Ok(Settings {
            applies_to: check_types("applies_to", &self.applies_to, sale)?,
            reveals: check_types("reveals", &self.reveals, sale)?,
            ..self
        })
    }
}

impl PromoCodes<'_> {
    /// Creates a code for an event (its organizer or an admin).
    pub fn create(
        &self,
        actor: &Actor,
        event: EventId,
        new: NewPromoCode,
    ) -> Result<PromoCode, PromoError> {
        let code = normalize("code", &new.code)?;
        let discount = new.discount.check()?;
        let max_uses = new.max_uses.map(check_max_uses).transpose()?;
        let now = self.inner.now();
        self.write(actor, event, &code, |sale, zone, existing| {
            if existing.is_some() {
                return Err(abort(PromoError::CodeTaken(code.clone())));
            }
            let resolve =
                |at: Option<EventTime>, field| at.map(|at| at.resolve(zone, field)).transpose();
            let settings = Settings {
                discount,
                applies_to: new.applies_to.clone(),
                reveals: new.reveals.clone(),
                max_uses,
                valid_from: resolve(new.valid_from, "valid_from").map_err(invalid)?,
                valid_until: resolve(new.valid_until, "valid_until").map_err(invalid)?,
            }
            .check(sale, 0)
            .map_err(invalid)?;
            Ok(PromoRecord {
                code: code.clone(),
                discount: settings.discount,
                applies_to: settings.applies_to,
                reveals: settings.reveals,
                max_uses: settings.max_uses,
                used: 0,
                valid_from: settings.valid_from,
                valid_until: settings.valid_until,
                once_per_user: new.once_per_user,
                active: true,
                created_at: now,
                updated_at: now,
            })
        })
    }

    /// Changes a code (its event's organizer or an admin). Tickets already issued keep what
    /// they were charged; `active: false` stops it working.
    pub fn update(
        &self,
        actor: &Actor,
        event: EventId,
        code: &str,
        update: PromoCodeUpdate,
    ) -> Result<PromoCode, PromoError> {
        let code = normalize("code", code).map_err(|_| NO_SUCH_CODE)?;
        let discount = update.discount.map(Discount::check).transpose()?;
        let max_uses = update
            .max_uses
            .map(|max| max.map(check_max_uses).transpose())
            .transpose()?;
        let now = self.inner.now();
        self.write(actor, event, &code, |sale, zone, existing| {
            let Some(existing) = existing else {
                return Err(abort(NO_SUCH_CODE));
            };
            let resolve = |at: Option<Option<EventTime>>, current, field| match at {
                Some(at) => at.map(|at: EventTime| at.resolve(zone, field)).transpose(),
                None => Ok(current),
            };
            let settings = Settings {
                discount: discount.unwrap_or(existing.discount),
                applies_to: update
                    .applies_to
                    .clone()
                    .unwrap_or_else(|| existing.applies_to.clone()),
                reveals: update
                    .reveals
                    .clone()
                    .unwrap_or_else(|| existing.reveals.clone()),
                max_uses: max_uses.unwrap_or(existing.max_uses),
                valid_from: resolve(update.valid_from, existing.valid_from, "valid_from")
                    .map_err(invalid)?,
                valid_until: resolve(update.valid_until, existing.valid_until, "valid_until")
                    .map_err(invalid)?,
            }
            .check(sale, existing.used)
            .map_err(invalid)?;
            Ok(PromoRecord {
                discount: settings.discount,
                applies_to: settings.applies_to,
                reveals: settings.reveals,
                max_uses: settings.max_uses,
                valid_from: settings.valid_from,
                valid_until: settings.valid_until,
                once_per_user: update.once_per_user.unwrap_or(existing.once_per_user),
                active: update.active.unwrap_or(existing.active),
                updated_at: now,
                ..existing
            })
        })
    }

    /// An event's codes, in code order (its organizer and admins).
    pub fn list(&self, actor: &Actor, event: EventId) -> Result<Vec<PromoCode>, PromoError> {
        event_record::require_run_by(&self.inner.store, actor, event, REFUSAL)?;
        let mut codes = Vec::new();
        for entry in self.inner.store.promo_codes.scan_prefix(event.to_bytes()) {
            let (_, bytes) = entry.map_err(StoreError::from)?;
            codes.push(PromoCode::of(event, codec::read(&bytes)?));
        }
        Ok(codes)
    }

    /// One code of an event (its organizer and admins).
    pub fn get(&self, actor: &Actor, event: EventId, code: &str) -> Result<PromoCode, PromoError> {
        event_record::require_run_by(&self.inner.store, actor, event, REFUSAL)?;
        let code = normalize("code", code).map_err(|_| NO_SUCH_CODE)?;
        let record = codec::get::<PromoRecord>(&self.inner.store.promo_codes, &key(event, &code))?
            .ok_or(NO_SUCH_CODE)?;
        Ok(PromoCode::of(event, record))
    }

    /// The tickets that used a code, oldest first (its event's organizer and admins).
    pub fn uses(
        &self,
        actor: &Actor,
        event: EventId,
        code: &str,
    ) -> Result<Vec<PromoUse>, PromoError> {
        let code = self.get(actor, event, code)?.code;
        let store = &self.inner.store;
        let mut uses = Vec::new();
        for entry in store.tickets_by_event.scan_prefix(event.to_bytes()).keys() {
            let Some(id) = keys::ticket_from_index_key(&entry.map_err(StoreError::from)?) else {
                continue;
            };
            let Some(ticket) = crate::tickets::record::load(store, id)? else {
                continue;
            };
            if ticket.promo_code.as_deref() == Some(code.as_str()) {
                uses.push(PromoUse {
                    ticket: ticket.id,
                    user: ticket.user,
                    seats: ticket.promo_seats,
                    discount_minor: ticket.discount_minor,
                    status: ticket.status,
                    created_at: ticket.created_at,
                });
            }
        }
        uses.sort_by_key(|used| used.created_at);
        Ok(uses)
    }

    /// Writes code `code` of `event` as `make` decides from the event's sale state, its zone and
    /// the code's current record, in one transaction with its log entry.
    fn write(
        &self,
        actor: &Actor,
        event: EventId,
        code: &str,
        make: impl Fn(&SaleState, &Zone, Option<PromoRecord>) -> TxResult<PromoRecord>,
    ) -> Result<PromoCode, PromoError> {
        let now = self.inner.now();
        let store = &self.inner.store;
        let code_key = key(event, code);
        let event_key = event.to_bytes();
        let existing_codes = store.promo_codes.scan_prefix(event_key).count();
        let written = finish::<_, PromoError>(store.transaction(
            (
                &store.inventory,
                &store.events,
                &store.promo_codes,
                &store.log,
            ),
            |(inventory, events, promo_codes, log)| {
                let sale = SaleState::read_in_tx(inventory, &event_key)?;
                if !sale.is_run_by(actor) {
                    return Err(abort(CommonError::Forbidden(REFUSAL)));
                }
                let zone = match events.get(event_key)? {
                    Some(bytes) => {
                        let event: event_record::EventRecord = read_in_tx(&bytes)?;
                        Zone::stored(&event.time_zone)
                    }
                    None => Zone::utc(),
                };
                let existing = match promo_codes.get(&code_key)? {
                    Some(bytes) => Some(read_in_tx::<PromoRecord, PromoError>(&bytes)?),
                    None => None,
                };
                if existing.is_none() && existing_codes as i64 >= limits::PROMO_CODES_PER_EVENT.max
                {
                    return Err(abort(PromoError::TooMany(
                        limits::PROMO_CODES_PER_EVENT.max,
                    )));
                }
                let record = make(&sale, &zone, existing)?;
                promo_codes.insert(code_key.as_slice(), codec::write(&record))?;
                let changed = DomainEvent::PromoCodeChanged {
                    event,
                    code: record.code.clone(),
                };
                log::append(log, now, &changed)?;
                Ok(record)
            },
        ))?;
        self.inner.committed_with_log()?;
        Ok(PromoCode::of(event, written))
    }
}

fn invalid(error: FieldError) -> ConflictableTransactionError<PromoError> {
    abort(PromoError::from(error))
}
