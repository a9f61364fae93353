//! Booking seats: the transaction that applies the rules of an order ([`super::order`]) to a
//! batch of requests in arrival order (see [`super::group`] for the queue in front of it).

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use serde::{Deserialize, Serialize};
use sled::transaction::{ConflictableTransactionError, TransactionalTree};

use super::group::{BookingOutcome, NewGuest, PendingBooking, Queued, Request, Wanted};
use super::held::{self, Booked, HeldSeats};
use super::{NO_SUCH_TICKET, Ticket, TicketError, TicketStatus, Tickets, order, record};
use crate::auth::Actor;
use crate::context::Context;
use crate::error::{CommonError, Subject};
use crate::events::attendee_names::{self, AttendeeNames};
use crate::events::{SaleState, TicketTypeId};
use crate::ids::{EventId, TicketId, UserId};
use crate::limits::{self, IDEMPOTENCY_KEY};
use crate::log::{self, DomainEvent};
use crate::promo::PromoRefusal;
use crate::promo::record::{self as promo_record, PromoRecord};
use crate::store::codec::Record;
use crate::store::{StoreError, abort, codec, decode_in_tx, finish, keys, read_in_tx};
use crate::time::Timestamp;
use crate::validate::{self, FieldError};
use crate::waiting_room::gate;
use crate::waiting_room::record::{RoomRecord, room_key};
use crate::waitlist::Offer;
use crate::waitlist::offers::{self, ListTrees};
use crate::waitlist::state::EntryRecord;

/// A request for seats: `quantity` seats of the event's first listed type on sale, or seats
/// per ticket type in `lines`.
#[derive(Debug, Clone, Deserialize)]
pub struct BookingRequest {
    /// The event.
    pub event: EventId,
    /// Seats, 1 up to the event's per-user limit. With `lines`, leave it out (0) or give their
    /// sum.
    #[serde(default)]
    pub quantity: i64,
    /// A key of the caller's choosing (1–255 printable ASCII characters): repeating a request with
    /// the same key returns the first result instead of booking again.
    pub idempotency_key: Option<String>,
    /// Seats per ticket type (each type once): all are booked or none.
    #[serde(default)]
    pub lines: Vec<BookingLine>,
    /// A promo code of the event (any case); empty means none.
    #[serde(default)]
    pub promo_code: Option<String>,
    /// One name per seat in seat order, for events that ask for them (`""` leaves a seat
    /// unnamed where names are optional); leave out for none.
    #[serde(default)]
    pub attendee_names: Vec<String>,
    /// The pass from the event's waiting room, while it has one that is on (see
    /// [`crate::waiting_room`]): a completed booking spends it. Ignored while the room is off.
    #[serde(default)]
    pub pass: Option<String>,
}

impl BookingRequest {
    /// `quantity` seats of `event`'s default type, with no key, lines or code.
    pub fn seats(event: EventId, quantity: i64) -> Self {
        BookingRequest {
            event,
            quantity,
            idempotency_key: None,
            lines: Vec::new(),
            promo_code: None,
            attendee_names: Vec::new(),
            pass: None,
        }
    }

    /// An order of `lines` (ticket type, seats) of `event`, with `promo_code` if given.
    pub fn order(event: EventId, lines: &[(TicketTypeId, i64)], promo_code: Option<&str>) -> Self {
        BookingRequest {
            lines: lines
                .iter()
                .map(|&(ticket_type, quantity)| BookingLine {
                    ticket_type,
                    quantity,
                })
                .collect(),
            promo_code: promo_code.map(str::to_owned),
            ..BookingRequest::seats(event, 0)
        }
    }
}

/// Seats of one ticket type in a [`BookingRequest`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BookingLine {
    /// The ticket type's number within the event.
    pub ticket_type: TicketTypeId,
    /// Seats of it, 1 up to the limits.
    pub quantity: i64,
}

/// The refusal for a booking of an event that does not exist.
const NO_SUCH_EVENT: CommonError = CommonError::NotFound(Subject::Event);

/// What the `idempotency` tree remembers about a request.
#[derive(Serialize, Deserialize)]
struct IdempotencyRecord {
    ticket: TicketId,
    event: EventId,
    quantity: u32,
}

fn check_idempotency_key(key: &str) -> Result<(), FieldError> {
    let printable = key.bytes().all(|b| (0x21..=0x7e).contains(&b));
    let length = key.len() as i64;
    if !IDEMPOTENCY_KEY.contains(length) || !printable {
        return Err(FieldError::new(
            "idempotency_key",
            "must be 1 to 255 printable ASCII characters without spaces",
        ));
    }
    Ok(())
}

/// What an earlier request with the same idempotency key left behind.
enum Replay {
    /// No earlier request: book.
    Fresh,
    /// The ticket the earlier request made.
    First(Ticket),
    /// The key was used for another event or quantity, or its ticket is gone.
    Refused(TicketError),
}

type TxResult<T> = Result<T, ConflictableTransactionError<StoreError>>;

/// Inside the booking transaction: the ticket an earlier request with the same idempotency `key`
/// made, if there was one (also when that request is earlier in the same batch: the transaction
/// reads its own writes); the key may not be reused for another event, other seats or another
/// promo code.
fn replay(
    idempotency: &TransactionalTree,
    tickets: &TransactionalTree,
    key: &[u8],
    request: &Queued,
) -> TxResult<Replay> {
    let Some(bytes) = idempotency.get(key)? else {
        return Ok(Replay::Fresh);
    };
    let first: IdempotencyRecord = decode_in_tx("idempotency", &bytes)?;
    if first.event != request.event || first.quantity != request.wanted.total() {
        return Ok(Replay::Refused(TicketError::IdempotencyKeyReused));
    }
    let Some(bytes) = tickets.get(first.ticket.to_bytes())? else {
        return Ok(Replay::Refused(NO_SUCH_TICKET.into()));
    };
    let ticket = record::decode(&bytes).map_err(abort)?;
    let same_lines = match &request.wanted {
        Wanted::Default(_) => true,
        Wanted::Lines(lines) => ticket
            .lines
            .iter()
            .map(|line| (line.ticket_type, line.quantity))
            .eq(lines.iter().copied()),
    };
    if !same_lines || ticket.promo_code != request.promo_code {
        return Ok(Replay::Refused(TicketError::IdempotencyKeyReused));
    }
    Ok(Replay::First(ticket))
}

/// The log entry for a newly issued ticket: pending (with its hold's end) or booked.
fn issued(ticket: &Ticket) -> DomainEvent {
    match ticket.expires_at {
        Some(expires_at) => DomainEvent::TicketPending {
            ticket: ticket.id,
            event: ticket.event,
            user: ticket.user,
            quantity: ticket.quantity,
            amount_minor: ticket.amount_minor,
            expires_at,
        },
        None => DomainEvent::TicketBooked {
            ticket: ticket.id,
            event: ticket.event,
            user: ticket.user,
            quantity: ticket.quantity,
            amount_minor: ticket.amount_minor,
        },
    }
}

/// The trees a booking batch touches, inside its transaction.
struct BookingTrees<'t> {
    inventory: &'t TransactionalTree,
    tickets: &'t TransactionalTree,
    by_event: &'t TransactionalTree,
    by_user: &'t TransactionalTree,
    idempotency: &'t TransactionalTree,
    by_expiry: &'t TransactionalTree,
    log: &'t TransactionalTree,
    promo_codes: &'t TransactionalTree,
    promo_uses: &'t TransactionalTree,
    waitlist: &'t TransactionalTree,
    users: &'t TransactionalTree,
    users_by_email: &'t TransactionalTree,
    waiting_rooms: &'t TransactionalTree,
    room_members: &'t TransactionalTree,
}

/// A value read once per batch, changed in memory by each booking and written back once.
struct Cached<T> {
    value: T,
    changed: bool,
}

/// The sale states and promo codes a batch has read and the seats its users hold, as its
/// bookings changed them so far.
struct BatchState<'h> {
    /// `None`: no such event.
    sales: HashMap<EventId, Option<Cached<SaleState>>>,
    /// By `promo_codes` key; `None`: no such code.
    promos: HashMap<Vec<u8>, Option<Cached<PromoRecord>>>,
    /// By `promo_uses` key: a user's active tickets with a code.
    promo_users: HashMap<Vec<u8>, Cached<u32>>,
    /// Events' waiting rooms; `None`: the event has none.
    rooms: HashMap<EventId, Option<Cached<RoomRecord>>>,
    /// What the writer knew before the batch (every user and event of it recalled).
    remembered: &'h HeldSeats,
    held: HashMap<(UserId, EventId), Booked>,
}

impl BookingTrees<'_> {
    /// Decides every request of a batch in order, writes the tickets and log entries of those
    /// that book, then each changed sale state once. A refusal writes nothing. Returns the
    /// answers and what the batch booked per user and event, for the writer's memory.
    fn decide_batch(
        &self,
        batch: &[Queued],
        remembered: &HeldSeats,
        now: Timestamp,
        hold_until: Timestamp,
    ) -> TxResult<Decided> {
        let mut state = BatchState {
            sales: HashMap::new(),
            promos: HashMap::new(),
            promo_users: HashMap::new(),
            rooms: HashMap::new(),
            remembered,
            held: HashMap::new(),
        };
        let mut answers = Vec::with_capacity(batch.len());
        for request in batch {
            answers.push(self.decide_one(&mut state, request, now, hold_until)?);
        }
        for (event, sale) in &state.sales {
            if let Some(sale) = sale.as_ref().filter(|sale| sale.changed) {
                self.inventory
                    .insert(&event.to_bytes(), codec::write(&sale.value))?;
            }
        }
        for (key, promo) in &state.promos {
            if let Some(promo) = promo.as_ref().filter(|promo| promo.changed) {
                self.promo_codes
                    .insert(key.as_slice(), codec::write(&promo.value))?;
            }
        }
        for (key, uses) in state.promo_users.iter().filter(|(_, uses)| uses.changed) {
            self.promo_uses
                .insert(key.as_slice(), &uses.value.to_be_bytes())?;
        }
        for (event, room) in &state.rooms {
            if let Some(room) = room.as_ref().filter(|room| room.changed) {
                self.waiting_rooms
                    .insert(&room_key(*event)[..], codec::write(&room.value))?;
            }
        }
        Ok((answers, state.held))
    }

    fn decide_one(
        &self,
        state: &mut BatchState<'_>,
        request: &Queued,
        now: Timestamp,
        hold_until: Timestamp,
    ) -> TxResult<Result<BookingOutcome, TicketError>> {
        if let Some(key) = &request.idempotency_key {
            match replay(self.idempotency, self.tickets, key, request)? {
                Replay::Fresh => {}
                Replay::First(ticket) => {
                    return Ok(Ok(BookingOutcome {
                        ticket,
                        replayed: true,
                    }));
                }
                Replay::Refused(error) => return Ok(Err(error)),
            }
        }
        if let Some(guest) = &request.guest
            && let Some(owner) = self.users_by_email.get(guest.email.as_bytes())?
            && UserId::from_key_prefix(&owner) != Some(request.user)
        {
            // The address got an account since the caller looked (earlier in this batch, or a
            // registration): the guests API books again, for that account.
            return Ok(Err(TicketError::GuestAddressTaken));
        }
        let Some(sale) = read_once(&mut state.sales, request.event, self.inventory, |event| {
            event.to_bytes()
        })?
        else {
            return Ok(Err(NO_SUCH_EVENT.into()));
        };
        let room = read_once(
            &mut state.rooms,
            request.event,
            self.waiting_rooms,
            |event| room_key(*event),
        )?;
        let pass = match request.offer {
            // An accepted offer books the seats held for it: the room does not stand between.
            Some(_) => None,
            None => match gate::check_in_tx(
                self.room_members,
                room.as_ref().map(|room| &room.value),
                (request.event, request.user),
                request.pass.as_ref(),
                now,
            )? {
                Ok(pass) => pass,
                Err(turned) => return Ok(Err(turned.into())),
            },
        };
        // An accepted offer names no seats (its holder can add names until the event starts).
        let names_policy = match (request.offer, sale.value.attendee_names) {
            (Some(_), AttendeeNames::Required) => AttendeeNames::Optional,
            (_, policy) => policy,
        };
        let names = &request.attendee_names;
        if let Err(refusal) = attendee_names::require(names_policy, names, request.wanted.total()) {
            return Ok(Err(CommonError::from(refusal).into()));
        }
        let list = ListTrees {
            waitlist: self.waitlist,
            log: self.log,
        };
        // An accepted offer books the seats held for it; anyone else finds seats that belong
        // to the waiting list sold out.
        let offered = match request.offer {
            Some(number) => match open_offer(&list, request, number, now)? {
                Some(open) => Some((number, open)),
                None => return Ok(Err(TicketError::OfferGone)),
            },
            None if offers::blocks_newcomers(&sale.value, now) => {
                return Ok(Err(TicketError::SoldOut { remaining: 0 }));
            }
            None => None,
        };
        let before_offer = offered.as_ref().map(|(_, (entry, offer))| {
            let before = sale.value.clone();
            offers::give_back(&mut sale.value, entry.ticket_type, *offer);
            before
        });
        let Some(remembered) = state.remembered.get(request.user, request.event) else {
            // Recalled before the transaction; missing only if that went wrong: retryable.
            return Err(abort(StoreError::Conflict));
        };
        let held = state
            .held
            .entry((request.user, request.event))
            .or_insert_with(|| Booked::from_memory(remembered));
        let mut promo = match &request.promo_code {
            Some(code) => {
                Some(self.promo(&mut state.promos, &mut state.promo_users, request, code)?)
            }
            None => None,
        };
        let decide = |held: &Booked, promo: &Option<PromoSlot<'_>>| {
            let promo = promo.as_ref().map(PromoSlot::as_order);
            order::decide(&sale.value, held, &request.wanted, promo, now)
        };
        let mut decided = decide(held, &promo);
        if matches!(&decided, Err(refusal) if order::is_limit(refusal)) && !held.exact {
            // Refused by the remembered bound: a cancel may have freed seats; count exactly.
            held::count_in_tx(self.tickets, &remembered.tickets, held)?;
            decided = decide(held, &promo);
        }
        let decision = match decided {
            Ok(decision) => decision,
            Err(refusal) => {
                if let Some(before) = before_offer {
                    sale.value = before;
                }
                return Ok(Err(refusal));
            }
        };
        decision.apply(&mut sale.value);
        sale.changed = true;
        held.added += request.wanted.total();
        for line in &decision.lines {
            held.added_by_type.add(line.ticket_type, line.quantity);
        }
        if let Some(PromoSlot::Found { record, uses }) = promo.as_mut() {
            record.value.used += decision.promo_seats;
            record.changed = true;
            uses.value += 1;
            uses.changed = true;
        }
        let pending = decision.status == TicketStatus::Pending;
        let ticket_id = TicketId::generate();
        held.issued.push(ticket_id);
        let ticket = Ticket {
            id: ticket_id,
            event: request.event,
            user: request.user,
            quantity: request.wanted.total(),
            status: decision.status,
            amount_minor: decision.amount_minor,
            discount_minor: decision.lines.iter().map(|line| line.discount_minor).sum(),
            lines: decision.lines,
            promo_code: request.promo_code.clone(),
            promo_seats: decision.promo_seats,
            attendee_names: names.clone(),
            created_at: now,
            updated_at: now,
            expires_at: pending.then_some(hold_until),
        };
        self.tickets
            .insert(&ticket_id.to_bytes(), record::encode(&ticket))?;
        self.by_event
            .insert(&keys::ticket_by_event(ticket.event, ticket_id), &[])?;
        self.by_user
            .insert(&keys::ticket_by_user(ticket.user, ticket_id), &[])?;
        if let Some(key) = &request.idempotency_key {
            let remembered = IdempotencyRecord {
                ticket: ticket_id,
                event: request.event,
                quantity: ticket.quantity,
            };
            self.idempotency
                .insert(key.as_slice(), codec::encode(&remembered))?;
        }
        if let Some(expires_at) = ticket.expires_at {
            self.by_expiry
                .insert(&keys::hold_by_expiry(expires_at, ticket_id), &[])?;
        }
        if let Some(guest) = &request.guest {
            self.make_guest(request.user, guest, now)?;
        }
        if let (Some(pass), Some(room)) = (pass, room) {
            gate::spend_in_tx(self.room_members, &mut room.value, pass, now)?;
            room.changed = true;
        }
        let ordered = DomainEvent::TicketOrdered {
            ticket: ticket.id,
            event: ticket.event,
            lines: ticket.lines.clone(),
            promo_code: ticket.promo_code.clone(),
            promo_seats: ticket.promo_seats,
        };
        log::append(self.log, now, &ordered)?;
        log::append(self.log, now, &issued(&ticket))?;
        if let Some((number, (entry, offer))) = offered {
            list.remove_accepted(request.event, number, &entry, offer)?;
            let accepted = DomainEvent::WaitlistOfferAccepted {
                event: request.event,
                user: request.user,
                entry: number,
                seats: offer.seats,
                ticket: ticket_id,
            };
            log::append(self.log, now, &accepted)?;
        }
        Ok(Ok(BookingOutcome {
            ticket,
            replayed: false,
        }))
    }

    /// Makes the guest account `user` for a booking of a checkout without an account: its
    /// record, its address in the e-mail index, and `guest_created` before the booking's
    /// entries. Only a booking that goes through makes one, in its own transaction.
    fn make_guest(&self, user: UserId, guest: &NewGuest, now: Timestamp) -> TxResult<()> {
        self.users_by_email
            .insert(guest.email.as_bytes(), &user.to_bytes())?;
        self.users
            .insert(&user.to_bytes(), guest.record.as_slice())?;
        log::append(self.log, now, &DomainEvent::GuestCreated { user })?;
        Ok(())
    }

    /// The promo code `code` a request names, and its buyer's active tickets with it, read once
    /// per batch and then kept in `promos` and `users` as the batch's bookings change them.
    fn promo<'s>(
        &self,
        promos: &'s mut HashMap<Vec<u8>, Option<Cached<PromoRecord>>>,
        users: &'s mut HashMap<Vec<u8>, Cached<u32>>,
        request: &Queued,
        code: &str,
    ) -> TxResult<PromoSlot<'s>> {
        let key = promo_record::key(request.event, code);
        let Some(record) = read_once(promos, key, self.promo_codes, Vec::clone)? else {
            return Ok(PromoSlot::Unknown);
        };
        let use_key = promo_record::use_key(request.event, code, request.user);
        let uses = match users.entry(use_key) {
            Entry::Occupied(entry) => entry.into_mut(),
            Entry::Vacant(entry) => {
                let stored = self.promo_uses.get(entry.key())?;
                entry.insert(Cached::read(stored.as_deref().map_or(0, uses_count)))
            }
        };
        Ok(PromoSlot::Found { record, uses })
    }
}

/// The idempotency key of accepting the offer of `entry`: a repeated accept finds its ticket.
fn offer_key(actor: &Actor, event: EventId, entry: u64) -> Vec<u8> {
    keys::idempotency(actor.user_id(), &format!("waitlist-offer:{event}:{entry}"))
}

/// Inside the booking transaction: the entry `number` of the request's event and its offer, if
/// the offer is the requester's, still open at `now`, and for the seats the request asks for.
fn open_offer(
    list: &ListTrees<'_>,
    request: &Queued,
    number: u64,
    now: Timestamp,
) -> TxResult<Option<(EntryRecord, Offer)>> {
    let Some(entry) = list.entry::<StoreError>(request.event, number)? else {
        return Ok(None);
    };
    Ok(entry
        .offer
        .filter(|offer| {
            entry.user == request.user
                && offer.deadline > now
                && request.wanted == Wanted::Lines(vec![(entry.ticket_type, offer.seats)])
        })
        .map(|offer| (entry, offer)))
}

/// A batch's promo code for one request.
enum PromoSlot<'s> {
    Unknown,
    Found {
        record: &'s mut Cached<PromoRecord>,
        /// The buyer's active tickets with the code.
        uses: &'s mut Cached<u32>,
    },
}

impl PromoSlot<'_> {
    fn as_order(&self) -> order::Promo<'_> {
        match self {
            PromoSlot::Unknown => order::Promo::Unknown,
            PromoSlot::Found { record, uses } => order::Promo::Found(&record.value, uses.value),
        }
    }
}

impl<T> Cached<T> {
    /// A value as read, unchanged so far.
    fn read(value: T) -> Self {
        Cached {
            value,
            changed: false,
        }
    }
}

/// The record of `tree` at `tree_key(&key)`, read at its first use in the batch and kept in
/// `read` under `key` from then on, as the batch's bookings change it (`None`: there is none).
fn read_once<'s, K: std::hash::Hash + Eq, T: Record, B: AsRef<[u8]>>(
    read: &'s mut HashMap<K, Option<Cached<T>>>,
    key: K,
    tree: &TransactionalTree,
    tree_key: impl FnOnce(&K) -> B,
) -> TxResult<&'s mut Option<Cached<T>>> {
    Ok(match read.entry(key) {
        Entry::Occupied(entry) => entry.into_mut(),
        Entry::Vacant(entry) => {
            let stored = match tree.get(tree_key(entry.key()))? {
                Some(bytes) => Some(Cached::read(read_in_tx::<T, StoreError>(&bytes)?)),
                None => None,
            };
            entry.insert(stored)
        }
    })
}

/// A `promo_uses` value: a big-endian count (anything else reads as none).
pub(crate) fn uses_count(bytes: &[u8]) -> u32 {
    <[u8; 4]>::try_from(bytes).map_or(0, u32::from_be_bytes)
}

/// A batch's answers, and what it booked per user and event.
type Decided = (
    Vec<Result<BookingOutcome, TicketError>>,
    HashMap<(UserId, EventId), Booked>,
);

/// Decides `batch` in arrival order in one transaction, given what the writer remembers of its
/// users' seats (every user and event of the batch recalled).
fn decide_in_tx(
    inner: &Context,
    batch: &[Queued],
    remembered: &HeldSeats,
    now: Timestamp,
) -> Result<Decided, StoreError> {
    let hold_until = now.plus(inner.config.hold_duration);
    let store = &inner.store;
    finish::<_, StoreError>(store.transaction(
        (
            &store.inventory,
            &store.tickets,
            &store.tickets_by_event,
            &store.tickets_by_user,
            &store.idempotency,
            &store.holds_by_expiry,
            &store.log,
            &store.promo_codes,
            &store.promo_uses,
            &store.waitlist,
            &store.users,
            &store.users_by_email,
            &store.waiting_rooms,
            &store.room_members,
        ),
        |(
            inventory,
            tickets,
            by_event,
            by_user,
            idempotency,
            by_expiry,
            log,
            promo_codes,
            promo_uses,
            waitlist,
            users,
            users_by_email,
            waiting_rooms,
            room_members,
        )| {
            BookingTrees {
                inventory,
                tickets,
                by_event,
                by_user,
                idempotency,
                by_expiry,
                log,
                promo_codes,
                promo_uses,
                waitlist,
                users,
                users_by_email,
                waiting_rooms,
                room_members,
            }
            .decide_batch(batch, remembered, now, hold_until)
        },
    ))
}

/// The booking writer's step: decides `batch` in arrival order in one transaction, answers the
/// refusals at once (they wrote nothing), waits until the bookings are durable (one shared
/// flush for the whole batch), then answers them. `held_seats` is the writer's memory of the
/// seats its users hold (see [`held`]).
pub(crate) fn write_batch(inner: &Context, batch: Vec<Queued>, held_seats: &mut HeldSeats) {
    let now = inner.now();
    let users = batch.iter().map(|queued| (queued.user, queued.event));
    let decided = held_seats
        .recall(&inner.store, users)
        .and_then(|()| decide_in_tx(inner, &batch, held_seats, now));
    let answers = match decided {
        Ok((answers, booked)) => {
            held_seats.booked(booked);
            answers
        }
        Err(failure) => {
            tracing::error!(?failure, requests = batch.len(), "a booking batch failed");
            for request in batch {
                request.answer(Err(failure.clone().into()));
            }
            return;
        }
    };
    let mut booked = Vec::with_capacity(answers.len());
    let mut wrote = false;
    for (request, answer) in batch.into_iter().zip(answers) {
        match answer {
            Ok(outcome) => {
                wrote |= !outcome.replayed;
                booked.push((request, outcome));
            }
            Err(refusal) => request.answer(Err(refusal)),
        }
    }
    if booked.is_empty() {
        return;
    }
    // A replay must be durable too: its first request may not have been acknowledged yet.
    let durable = if wrote {
        inner.committed_with_log()
    } else {
        inner.store.durable()
    };
    for (request, outcome) in booked {
        request.answer(match &durable {
            Ok(()) => Ok(outcome),
            Err(failure) => Err(failure.clone().into()),
        });
    }
}

impl Tickets<'_> {
    /// Books seats: checks the event is on sale, that seats remain and the per-user limit
    /// holds, takes the seats, writes the ticket, its indexes and the log entry, all in one
    /// transaction. Free events are booked at once; paid ones are held as `pending` until
    /// payment is confirmed or the hold expires. Returns once the booking is durable.
    ///
    /// Concurrent bookings are decided in arrival order by one writer and written together
    /// (see [`Tickets::book_async`]).
    pub fn book(
        &self,
        actor: &Actor,
        request: &BookingRequest,
    ) -> Result<BookingOutcome, TicketError> {
        self.book_async(actor, request).wait()
    }

    /// [`Tickets::book`] without blocking: hands the request to the store's booking writer and
    /// returns its pending answer, to `.await` (it needs no particular async runtime) or to
    /// [`wait`](PendingBooking::wait) for. The writer takes every request waiting, decides them
    /// in arrival order, writes them as one transaction and answers after one shared flush;
    /// refusals (sold out, limit reached, not on sale) are answered without waiting for it.
    pub fn book_async(&self, actor: &Actor, request: &BookingRequest) -> PendingBooking {
        let checked = checked(self.inner, actor.user_id(), request);
        let mut pending = self.booking.submit([checked]);
        pending
            .pop()
            .unwrap_or_else(|| PendingBooking::ready(Err(StoreError::Conflict.into())))
    }

    /// Accepts the waiting-list offer of `entry` (of `event`, for `seats` of `ticket_type`, as
    /// read before): books the seats held for it through the booking writer, so the per-user
    /// limit and every other rule of a booking apply. Keyed for idempotency by the entry, so a
    /// repeated accept returns the same ticket.
    pub(crate) fn book_offer(
        &self,
        actor: &Actor,
        event: EventId,
        entry: u64,
        (ticket_type, seats): (TicketTypeId, u32),
    ) -> PendingBooking {
        let request = Request {
            user: actor.user_id(),
            event,
            wanted: Wanted::Lines(vec![(ticket_type, seats)]),
            promo_code: None,
            idempotency_key: Some(offer_key(actor, event, entry)),
            offer: Some(entry),
            attendee_names: Vec::new(),
            guest: None,
            pass: None,
        };
        let mut pending = self.booking.submit([Ok(request)]);
        pending
            .pop()
            .unwrap_or_else(|| PendingBooking::ready(Err(StoreError::Conflict.into())))
    }

    /// Books `request` for the guest checkout of `user`: an existing account (`guest` is
    /// `None`), or a new id and the guest account to make with the booking if it goes through.
    /// Refused with [`TicketError::GuestAddressTaken`] if the address got an account meanwhile.
    pub(crate) fn book_for_guest(
        &self,
        user: UserId,
        guest: Option<NewGuest>,
        request: &BookingRequest,
    ) -> PendingBooking {
        let checked = checked(self.inner, user, request).map(|mut checked| {
            checked.guest = guest.map(Box::new);
            checked
        });
        let mut pending = self.booking.submit([checked]);
        pending
            .pop()
            .unwrap_or_else(|| PendingBooking::ready(Err(StoreError::Conflict.into())))
    }

    /// The ticket an accepted offer of `entry` became, for an accept repeated after the entry
    /// left the list; [`TicketError::OfferGone`] if it was never accepted.
    pub(crate) fn replay_offer(&self, actor: &Actor, event: EventId, entry: u64) -> PendingBooking {
        let found = || -> Result<BookingOutcome, TicketError> {
            let store = &self.inner.store;
            let stored = store.idempotency.get(offer_key(actor, event, entry));
            let Some(bytes) = stored.map_err(StoreError::from)? else {
                return Err(TicketError::OfferGone);
            };
            let first: IdempotencyRecord = codec::decode("idempotency", &bytes)?;
            let ticket = record::load(store, first.ticket)?.ok_or(NO_SUCH_TICKET)?;
            // Its booking may not have been acknowledged yet.
            store.durable()?;
            Ok(BookingOutcome {
                ticket,
                replayed: true,
            })
        };
        PendingBooking::ready(found())
    }

    /// Books several requests, decided one after the other in the order given, with no other
    /// caller's request between them (in one transaction unless the writer's batch is full).
    /// Each request gets its own answer, as from [`Tickets::book`]; a request repeating an
    /// earlier one's idempotency key gets that one's ticket.
    pub fn book_many(
        &self,
        requests: &[(Actor, BookingRequest)],
    ) -> Vec<Result<BookingOutcome, TicketError>> {
        let checked = requests
            .iter()
            .map(|(actor, request)| checked(self.inner, actor.user_id(), request));
        self.booking
            .submit(checked)
            .into_iter()
            .map(PendingBooking::wait)
            .collect()
    }
}

/// The request with its fields checked, ready for the queue.
fn checked(
    inner: &Context,
    user: UserId,
    request: &BookingRequest,
) -> Result<Request, TicketError> {
    let wanted = wanted(request)?;
    let wanted_total = wanted.total();
    let promo_code = match request.promo_code.as_deref().map(str::trim) {
        None | Some("") => None,
        // A code that cannot exist is unknown, whatever is wrong with its spelling.
        Some(code) => Some(
            promo_record::normalize("promo_code", code)
                .map_err(|_| TicketError::from(PromoRefusal::Unknown))?,
        ),
    };
    let idempotency_key = match &request.idempotency_key {
        Some(key) => {
            check_idempotency_key(key)?;
            Some(keys::idempotency(user, key))
        }
        None => None,
    };
    Ok(Request {
        user,
        event: request.event,
        wanted,
        promo_code,
        idempotency_key,
        offer: None,
        guest: None,
        attendee_names: attendee_names::normalize(&request.attendee_names, wanted_total)?,
        pass: match request.pass.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(token) => Some(gate::open(
                &inner.rooms.passes,
                user,
                request.event,
                token,
                inner.now(),
            )?),
        },
    })
}

/// The seats a request asks for: `quantity` of the default type, or its lines, each type once,
/// with `quantity` left out or equal to their sum.
pub(super) fn wanted(request: &BookingRequest) -> Result<Wanted, FieldError> {
    if request.lines.is_empty() {
        return Ok(Wanted::Default(validate::in_range(
            &limits::QUANTITY,
            request.quantity,
        )?));
    }
    if !limits::BOOKING_LINES.contains(request.lines.len() as i64) {
        return Err(FieldError::new(
            "lines",
            format!("a booking has at most {} lines", limits::BOOKING_LINES.max),
        ));
    }
    let mut lines: Vec<(TicketTypeId, u32)> = Vec::with_capacity(request.lines.len());
    for line in &request.lines {
        let quantity = validate::in_range(&limits::QUANTITY, line.quantity)?;
        if lines.iter().any(|(id, _)| *id == line.ticket_type) {
            return Err(FieldError::new(
                "lines",
                "name each ticket type in one line only",
            ));
        }
        lines.push((line.ticket_type, quantity));
    }
    let wanted = Wanted::Lines(lines);
    let total = i64::from(wanted.total());
    if total > limits::QUANTITY.max {
        return Err(FieldError::new(
            "quantity",
            format!("a booking has at most {} seats", limits::QUANTITY.max),
        ));
    }
    if request.quantity != 0 && request.quantity != total {
        return Err(FieldError::new(
            "quantity",
            "must be the sum of the lines' quantities, or left out",
        ));
    }
    Ok(wanted)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{free_event, register};
    use crate::users::{PasswordCost, Role};
    use crate::{Config, Prasang};

    /// A batch decided after a cancel that the writer's memory has not seen: the remembered
    /// bound refuses, the exact count inside the transaction books.
    #[test]
    fn a_cancel_the_writer_has_not_seen_still_frees_the_limit() {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = Config::new(dir.path())
            .background_tasks(false)
            .password_cost(PasswordCost::INSECURE_FAST);
        let prasang = Prasang::open(config).expect("open");
        let organizer = register(&prasang, "Olga", Role::Organizer);
        let ada = register(&prasang, "Ada", Role::Attendee);
        let starts_at = prasang.now().plus(std::time::Duration::from_secs(3_600));
        let event = prasang
            .events()
            .create(&organizer, free_event(starts_at, 10))
            .expect("event")
            .id;
        let request = BookingRequest {
            attendee_names: Default::default(),
            pass: None,
            event,
            quantity: 1,
            idempotency_key: None,
            lines: Vec::new(),
            promo_code: None,
        };
        let first = prasang.tickets().book(&ada, &request).expect("book");
        let inner = &prasang.inner.ctx;
        let user = ada.user_id();
        let recalled = || {
            let mut memory = HeldSeats::default();
            memory
                .recall(&inner.store, [(user, event)])
                .expect("recall");
            memory
        };
        let decide_batch = |memory: &HeldSeats| {
            let batch = [Queued::unanswered(user, event, 1)];
            decide_in_tx(inner, &batch, memory, inner.now()).expect("decided")
        };
        let decide = |memory: &HeldSeats| decide_batch(memory).0;

        // Nothing changed: the limit (one seat) holds, counted exactly.
        let refused = decide(&recalled());
        assert!(matches!(
            refused[0],
            Err(TicketError::LimitReached { limit: 1, held: 1 })
        ));

        let stale = recalled();
        prasang
            .tickets()
            .cancel(&ada, first.ticket.id)
            .expect("cancel");
        let (booked, changed) = decide_batch(&stale);
        assert!(booked[0].is_ok(), "{:?}", booked[0]);

        // The exact count found the cancelled ticket holds nothing: the writer forgets it, so
        // later counts read only tickets that still hold seats.
        let Ok(outcome) = &booked[0] else {
            unreachable!("checked above")
        };
        let mut memory = stale;
        memory.booked(changed);
        let holding = memory.get(user, event).expect("remembered");
        assert_eq!(holding.tickets, [outcome.ticket.id]);
        assert_eq!(holding.at_most, 1);
    }
}
