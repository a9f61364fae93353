//! The waiting list of a sold-out event: people queue per ticket type in joining order, and
//! seats that come free (a cancellation, a lapsed hold or offer, a raised capacity or quota) are
//! offered to the head of the line in the same transaction that freed them, held for that person
//! until the offer's deadline.

pub(crate) mod offers;
pub(crate) mod state;

use serde::{Deserialize, Serialize};

pub use state::{Offer, WaitlistSettings};

use std::collections::{HashMap, HashSet};

use sled::transaction::ConflictableTransactionError;

use offers::ListTrees;
use state::EntryRecord;

use crate::auth::Actor;
use crate::context::Context;
use crate::error::{CommonError, ErrorInfo, Subject, domain_error};
use crate::events::record as event_record;
use crate::events::types::{TypeAvailability, TypeSale};
use crate::events::{EventStatus, SaleState, TicketTypeId};
use crate::ids::{EventId, UserId};
use crate::limits;
use crate::log::{self, DomainEvent};
use crate::paging::{self, Page, PageRequest};
use crate::store::{StoreError, abort, codec, finish};
use crate::tickets::{BookingOutcome, PendingBooking, TicketError, Tickets};
use crate::time::Timestamp;
use crate::users::record as user_record;
use crate::validate::{self, FieldError};

/// A request to join an event's waiting list.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JoinRequest {
    /// The ticket type waited for; none: the event's default type (as bookings without lines).
    #[serde(default)]
    pub ticket_type: Option<TicketTypeId>,
    /// Seats wanted, 1 up to the event's per-user limit.
    pub seats: i64,
}

/// One entry of a waiting list, as its user (and the organizer) sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaitlistEntry {
    /// The event.
    pub event: EventId,
    /// The entry's number in the event's list (joining order); names it in requests.
    pub entry: u64,
    /// The ticket type waited for.
    pub ticket_type: TicketTypeId,
    /// Seats wanted.
    pub seats: u32,
    /// When it joined.
    pub joined_at: Timestamp,
    /// While waiting: its place among those waiting for the same type, from 1.
    pub position: Option<u32>,
    /// Seats on offer to it, if any.
    pub offer: Option<Offer>,
}

/// An entry with who it belongs to, for the event's organizer and admins.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WaitlistMember {
    /// The entry.
    #[serde(flatten)]
    pub entry: WaitlistEntry,
    /// Its user.
    pub user: UserId,
    /// Their display name.
    pub name: String,
    /// Their e-mail address.
    pub email: String,
}

/// An event's waiting list in numbers (no names): anyone may see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct WaitlistStatus {
    /// The settings.
    pub settings: WaitlistSettings,
    /// Entries waiting.
    pub waiting: u32,
    /// Seats they wait for.
    pub waiting_seats: u32,
    /// Entries holding an offer.
    pub offers: u32,
    /// Seats on offer.
    pub offered_seats: u32,
    /// Free seats kept for the people waiting (the head waits for more seats than are free,
    /// or offers are paused): bookings find them sold out.
    pub held_back_seats: u32,
}

/// Errors of the waiting list API.
#[derive(Debug, thiserror::Error)]
pub enum WaitlistError {
    /// The organizer has not opened the waiting list.
    #[error("this event has no open waiting list")]
    Closed,
    /// Seats can be booked right now: book them instead.
    #[error("{available} seats of this ticket type can be booked now: book them instead")]
    NotSoldOut {
        /// Seats a booking would get now.
        available: u32,
    },
    /// The user waits for this ticket type already.
    #[error("you are already on the waiting list for this ticket type")]
    AlreadyJoined,
    /// No such entry (or not the caller's).
    #[error("no such waiting list entry")]
    NoEntry,
    /// The entry holds no open offer (it is still waiting, or its offer lapsed).
    #[error("this entry has no open offer")]
    NoOffer,
    /// Accepting was refused by the booking rules.
    #[error(transparent)]
    Booking(#[from] TicketError),
    /// Shared refusals and failures: invalid field, event not found, forbidden, storage.
    #[error(transparent)]
    Common(#[from] CommonError),
}

domain_error!(WaitlistError {
    WaitlistError::Closed => ErrorInfo::new(Conflict, "waitlist-closed", "Waiting list closed"),
    WaitlistError::NotSoldOut { .. } => ErrorInfo::new(Conflict, "waitlist-not-sold-out", "Seats available"),
    WaitlistError::AlreadyJoined => ErrorInfo::new(Conflict, "waitlist-already-joined", "Already on the waiting list"),
    WaitlistError::NoEntry => ErrorInfo::new(NotFound, "waitlist-entry-not-found", "No such waiting list entry"),
    WaitlistError::NoOffer => ErrorInfo::new(Conflict, "waitlist-no-offer", "No open offer"),
    WaitlistError::Booking(error) => error.info(),
} fields {
    WaitlistError::Booking(error) => error.field(),
});

/// Waiting lists of events. Obtained from [`crate::Prasang::waitlist`].
pub struct Waitlist<'a> {
    pub(crate) inner: &'a Context,
    pub(crate) booking: &'a crate::tickets::group::BookingQueue,
}

impl Waitlist<'_> {
    /// The event's settings and numbers (anyone).
    pub fn status(&self, event: EventId) -> Result<WaitlistStatus, WaitlistError> {
        let sale = event_record::sale_state(&self.inner.store, event)?
            .ok_or(CommonError::NotFound(Subject::Event))?;
        Ok(status_of(&sale, self.inner.now()))
    }

    /// Changes the event's settings (its organizer or an admin). Opening, unpausing or allowing
    /// partial offers offers free seats at once.
    pub fn configure(
        &self,
        actor: &Actor,
        event: EventId,
        settings: WaitlistSettings,
    ) -> Result<WaitlistStatus, WaitlistError> {
        validate::in_range::<u32>(
            &limits::OFFER_WINDOW_MINUTES,
            i64::from(settings.offer_window_minutes),
        )?;
        let now = self.inner.now();
        self.in_list_tx(event, |sale, list| {
            if !sale.is_run_by(actor) {
                return Err(abort(CommonError::Forbidden(ORGANIZERS_ONLY)));
            }
            sale.waitlist.get_or_insert_with(Box::default).settings = settings;
            let configured = DomainEvent::WaitlistConfigured {
                event,
                enabled: settings.enabled,
                paused: settings.paused,
                offer_window_secs: settings.offer_window_minutes * 60,
                offer_what_fits: settings.offer_what_fits,
                by: actor.user_id(),
            };
            log::append(list.log, now, &configured)?;
            list.offer_freed(sale, event, now)?;
            Ok(status_of(sale, now))
        })
    }

    /// Joins the event's waiting list (signed-in users; one entry per user and ticket type),
    /// when the seats wanted cannot be booked now.
    pub fn join(
        &self,
        actor: &Actor,
        event: EventId,
        request: &JoinRequest,
    ) -> Result<WaitlistEntry, WaitlistError> {
        let seats = validate::in_range(&limits::QUANTITY, request.seats)
            .map_err(|error| FieldError::new("seats", error.message))?;
        let now = self.inner.now();
        let user = actor.user_id();
        let (number, place) = self.in_list_tx(event, |sale, list| {
            let settings = sale.waitlist.as_deref().map(|list| list.settings);
            if !settings.is_some_and(|settings| settings.enabled) {
                return Err(abort(WaitlistError::Closed));
            }
            if sale.status == EventStatus::Cancelled {
                return Err(abort(TicketError::NotOnSale("the event is cancelled")));
            }
            if sale.starts_at <= now {
                return Err(abort(TicketError::NotOnSale(
                    "the event has already started",
                )));
            }
            let ticket_type = joinable_type(sale, request.ticket_type, now)?;
            if seats > sale.per_user_limit {
                return Err(abort(FieldError::new(
                    "seats",
                    format!("at most {} seats per person", sale.per_user_limit),
                )));
            }
            if list
                .waitlist
                .get(state::user_key(user, event, ticket_type))?
                .is_some()
            {
                return Err(abort(WaitlistError::AlreadyJoined));
            }
            let available = offers::room(sale, ticket_type, now);
            if available >= seats && !offers::blocks_newcomers(sale, now) {
                return Err(abort(WaitlistError::NotSoldOut { available }));
            }
            let entry = EntryRecord {
                user,
                ticket_type,
                seats,
                joined_at: now,
                prev: 0,
                next: 0,
                offer: None,
            };
            let number = list.append(sale, event, entry)?;
            // At the end of its line: its place is the line's length (reading every entry for
            // it would make filling a long list quadratic).
            let place = sale
                .waitlist
                .as_deref_mut()
                .map_or(0, |list| list.line_mut(ticket_type).waiting);
            let joined = DomainEvent::WaitlistJoined {
                event,
                user,
                ticket_type,
                seats,
                entry: number,
            };
            log::append(list.log, now, &joined)?;
            list.offer_freed(sale, event, now)?;
            Ok((number, place))
        })?;
        let record = self.record(event, number)?.ok_or(WaitlistError::NoEntry)?;
        let positions = Positions::from([(number, place)]);
        Ok(entry_view(event, number, &record, &positions))
    }

    /// Takes an entry off the list: its user leaving, or the event's organizer or an admin
    /// removing it. Seats on offer to it go to the next in line.
    pub fn leave(&self, actor: &Actor, event: EventId, entry: u64) -> Result<(), WaitlistError> {
        let now = self.inner.now();
        self.in_list_tx(event, |sale, list| {
            let record = list
                .entry(event, entry)?
                .filter(|record| record.user == actor.user_id() || sale.is_run_by(actor))
                .ok_or_else(|| abort(WaitlistError::NoEntry))?;
            let user = record.user;
            let offered = list.remove(sale, event, entry, record)?;
            let left = DomainEvent::WaitlistLeft {
                event,
                user,
                entry,
                offered,
                by: actor.user_id(),
            };
            log::append(list.log, now, &left)?;
            list.offer_freed(sale, event, now)?;
            Ok(())
        })
    }

    /// The caller's entries for `event`, in joining order.
    pub fn mine_for(
        &self,
        actor: &Actor,
        event: EventId,
    ) -> Result<Vec<WaitlistEntry>, WaitlistError> {
        self.entries_of(actor.user_id(), Some(event))
    }

    /// The caller's entries across all events (offers first, then by joining time).
    pub fn mine(&self, actor: &Actor) -> Result<Vec<WaitlistEntry>, WaitlistError> {
        let mut entries = self.entries_of(actor.user_id(), None)?;
        entries.sort_by_key(|entry| (entry.offer.is_none(), entry.joined_at));
        Ok(entries)
    }

    /// Accepts the offer of an entry (its user): books its seats as a normal booking (booked,
    /// or pending payment for paid tickets). Repeating it returns the same ticket.
    pub fn accept(
        &self,
        actor: &Actor,
        event: EventId,
        entry: u64,
    ) -> Result<BookingOutcome, WaitlistError> {
        self.accept_async(actor, event, entry)?
            .wait()
            .map_err(WaitlistError::from)
    }

    /// [`Waitlist::accept`] without blocking on the booking writer.
    pub fn accept_async(
        &self,
        actor: &Actor,
        event: EventId,
        entry: u64,
    ) -> Result<PendingBooking, WaitlistError> {
        let tickets = Tickets {
            inner: self.inner,
            booking: self.booking,
        };
        let Some(record) = self.record(event, entry)? else {
            // Gone: if it was accepted, the booking's idempotency key gives its ticket back.
            return Ok(tickets.replay_offer(actor, event, entry));
        };
        if record.user != actor.user_id() {
            return Err(WaitlistError::NoEntry);
        }
        let offer = record.offer.ok_or(WaitlistError::NoOffer)?;
        Ok(tickets.book_offer(actor, event, entry, (record.ticket_type, offer.seats)))
    }

    /// Declines the offer of an entry (its user): the seats go to the next in line and the
    /// entry leaves the list.
    pub fn decline(&self, actor: &Actor, event: EventId, entry: u64) -> Result<(), WaitlistError> {
        let now = self.inner.now();
        self.in_list_tx(event, |sale, list| {
            let record = list
                .entry(event, entry)?
                .filter(|record| record.user == actor.user_id())
                .ok_or_else(|| abort(WaitlistError::NoEntry))?;
            let Some(offer) = record.offer else {
                return Err(abort(WaitlistError::NoOffer));
            };
            let user = record.user;
            list.remove(sale, event, entry, record)?;
            let declined = DomainEvent::WaitlistOfferDeclined {
                event,
                user,
                entry,
                seats: offer.seats,
            };
            log::append(list.log, now, &declined)?;
            list.offer_freed(sale, event, now)?;
            Ok(())
        })
    }

    /// The event's list with names, in joining order (its organizer or an admin).
    pub fn list(
        &self,
        actor: &Actor,
        event: EventId,
        page: &PageRequest,
    ) -> Result<Page<WaitlistMember>, WaitlistError> {
        let store = &self.inner.store;
        event_record::require_run_by(store, actor, event, ORGANIZERS_ONLY)?;
        let positions = self.positions(event)?;
        let prefix = state::entries_of(event);
        let page = paging::scan(&store.waitlist, &prefix, &prefix, page, |key| {
            let (Some(number), Some(bytes)) = (state::entry_number(key), store.waitlist.get(key)?)
            else {
                return Ok(None);
            };
            let record: EntryRecord = codec::read(&bytes)?;
            let Some(user) = user_record::load(store, record.user)? else {
                return Ok(None);
            };
            Ok(Some(WaitlistMember {
                entry: entry_view(event, number, &record, &positions),
                user: record.user,
                name: user.name,
                email: user.email,
            }))
        })?;
        Ok(page)
    }

    /// Lets every offer whose deadline has passed lapse, offering its seats to the next in
    /// line. The maintenance thread calls it every second. Returns how many lapsed.
    pub fn expire_due(&self) -> Result<usize, WaitlistError> {
        let mut lapsed = 0;
        loop {
            let now = self.inner.now();
            let (start, end) = state::deadlines_until(now);
            let mut due = Vec::new();
            for key in self
                .inner
                .store
                .waitlist
                .range(start..end)
                .keys()
                .take(EXPIRY_BATCH)
            {
                if let Some(found) = state::from_deadline_key(&key.map_err(StoreError::from)?) {
                    due.push(found);
                }
            }
            if due.is_empty() {
                return Ok(lapsed);
            }
            let batch = due.len();
            let store = &self.inner.store;
            let released = finish::<_, WaitlistError>(store.transaction(
                (&store.inventory, &store.waitlist, &store.log),
                |(inventory, waitlist, log)| {
                    let list = ListTrees { waitlist, log };
                    let mut released = 0;
                    for &(event, number) in &due {
                        let Some(record) = list.entry::<WaitlistError>(event, number)? else {
                            continue;
                        };
                        let Some(offer) = record.offer.filter(|offer| offer.deadline <= now) else {
                            continue;
                        };
                        let mut sale = SaleState::read_in_tx(inventory, &event.to_bytes())?;
                        let user = record.user;
                        list.remove(&mut sale, event, number, record)?;
                        let expired = DomainEvent::WaitlistOfferExpired {
                            event,
                            user,
                            entry: number,
                            seats: offer.seats,
                        };
                        log::append(log, now, &expired)?;
                        list.offer_freed(&mut sale, event, now)?;
                        inventory.insert(&event.to_bytes(), codec::write(&sale))?;
                        released += 1;
                    }
                    Ok(released)
                },
            ))?;
            self.inner.committed_with_log()?;
            lapsed += released;
            if batch < EXPIRY_BATCH || released == 0 {
                return Ok(lapsed);
            }
        }
    }

    /// Runs `body` over the event's sale state in a transaction with the list and the log,
    /// writes the sale state back, and returns once durable.
    fn in_list_tx<T>(
        &self,
        event: EventId,
        body: impl Fn(&mut SaleState, &ListTrees<'_>) -> TxResult<T>,
    ) -> Result<T, WaitlistError> {
        let store = &self.inner.store;
        let key = event.to_bytes();
        let result = finish::<_, WaitlistError>(store.transaction(
            (&store.inventory, &store.waitlist, &store.log),
            |(inventory, waitlist, log)| {
                let mut sale = SaleState::read_in_tx(inventory, &key)?;
                let result = body(&mut sale, &ListTrees { waitlist, log })?;
                inventory.insert(&key, codec::write(&sale))?;
                Ok(result)
            },
        ))?;
        self.inner.committed_with_log()?;
        Ok(result)
    }

    fn record(&self, event: EventId, entry: u64) -> Result<Option<EntryRecord>, StoreError> {
        codec::get(&self.inner.store.waitlist, &state::entry_key(event, entry))
    }

    /// `user`'s entries (of `event` when given), in the index's order.
    fn entries_of(
        &self,
        user: UserId,
        event: Option<EventId>,
    ) -> Result<Vec<WaitlistEntry>, WaitlistError> {
        let store = &self.inner.store;
        let mut entries = Vec::new();
        let mut positions: Option<(EventId, Positions)> = None;
        for found in store.waitlist.scan_prefix(state::user_prefix(user, event)) {
            let (key, value) = found.map_err(StoreError::from)?;
            let Some((event, number)) = state::from_user_index(&key, &value) else {
                continue;
            };
            let Some(record) = self.record(event, number)? else {
                continue;
            };
            if positions.as_ref().is_none_or(|(of, _)| *of != event) {
                positions = Some((event, self.positions(event)?));
            }
            if let Some((_, positions)) = &positions {
                entries.push(entry_view(event, number, &record, positions));
            }
        }
        entries.sort_by_key(|entry| (entry.event.to_bytes(), entry.entry));
        Ok(entries)
    }

    /// Every waiting entry's place in its type's line, walking the event's entries in joining
    /// order.
    fn positions(&self, event: EventId) -> Result<Positions, StoreError> {
        let mut counted: HashMap<TicketTypeId, u32> = HashMap::new();
        let mut positions = HashMap::new();
        for found in self
            .inner
            .store
            .waitlist
            .scan_prefix(state::entries_of(event))
        {
            let (key, bytes) = found?;
            let record: EntryRecord = codec::read(&bytes)?;
            if record.offer.is_some() {
                continue;
            }
            let place = counted.entry(record.ticket_type).or_default();
            *place += 1;
            if let Some(number) = state::entry_number(&key) {
                positions.insert(number, *place);
            }
        }
        Ok(positions)
    }
}

/// Most offers lapsed by one transaction.
const EXPIRY_BATCH: usize = 256;

const ORGANIZERS_ONLY: &str = "only the event's organizer can manage its waiting list";

type TxResult<T> = Result<T, ConflictableTransactionError<WaitlistError>>;

/// Entry number → place among those waiting for its type.
type Positions = HashMap<u64, u32>;

fn entry_view(
    event: EventId,
    number: u64,
    record: &EntryRecord,
    positions: &Positions,
) -> WaitlistEntry {
    WaitlistEntry {
        event,
        entry: number,
        ticket_type: record.ticket_type,
        seats: record.seats,
        joined_at: record.joined_at,
        position: record
            .offer
            .is_none()
            .then(|| positions.get(&number).copied())
            .flatten(),
        offer: record.offer,
    }
}

fn status_of(sale: &SaleState, now: Timestamp) -> WaitlistStatus {
    let list = sale.waitlist.as_deref();
    let sum = |field: fn(&state::TypeLine) -> u32| {
        list.map_or(0, |list| list.lines.iter().map(field).sum())
    };
    WaitlistStatus {
        settings: list.map(|list| list.settings).unwrap_or_default(),
        waiting: sum(|line| line.waiting),
        waiting_seats: sum(|line| line.waiting_seats),
        offers: sum(|line| line.offers),
        offered_seats: sum(|line| line.offered_seats),
        held_back_seats: if offers::blocks_newcomers(sale, now) {
            sale.seats.remaining
        } else {
            0
        },
    }
}

/// The ticket type a join waits for: the one named, or the event's first listed type that
/// sells or is sold out. Hidden types (sold only with a code) and types whose sale is not open
/// have no waiting list.
fn joinable_type(
    sale: &SaleState,
    named: Option<TicketTypeId>,
    now: Timestamp,
) -> TxResult<TicketTypeId> {
    let sells = |sale_type: &&TypeSale| {
        matches!(
            sale_type.availability(now, sale.seats.remaining),
            TypeAvailability::OnSale | TypeAvailability::SoldOut
        )
    };
    let found = match named {
        Some(id) => sale
            .ticket_type(id)
            .filter(|sale_type| !sale_type.hidden)
            .ok_or_else(|| abort(CommonError::NotFound(Subject::TicketType)))?,
        None => sale
            .types
            .iter()
            .filter(|sale_type| !sale_type.hidden)
            .find(sells)
            .ok_or_else(|| abort(TicketError::NotOnSale("no ticket type is on sale")))?,
    };
    if !sells(&found) {
        return Err(abort(TicketError::NotOnSale(
            "this ticket type is not on sale",
        )));
    }
    Ok(found.id)
}

/// Everyone with an entry in `event`'s list (waiting or holding an offer), each once, in joining
/// order: the "waiting list" segment of organizer messages.
pub(crate) fn users(inner: &Context, event: EventId) -> Result<Vec<UserId>, StoreError> {
    let mut seen = HashSet::new();
    let mut users = Vec::new();
    for found in inner.store.waitlist.scan_prefix(state::entries_of(event)) {
        let (_, bytes) = found?;
        let record: EntryRecord = codec::read(&bytes)?;
        if seen.insert(record.user) {
            users.push(record.user);
        }
    }
    Ok(users)
}
