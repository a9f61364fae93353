//! Group booking: booking requests queue in process, and one writer thread takes whatever is
//! waiting, decides each request in arrival order and writes them all as one transaction that
//! shares one flush (the idea of group commit, applied to the sale state every booking of a
//! hot event changes).
//!
//! One queue serves every event of the store, not one per event: sled runs all transactions
//! under one process-wide lock anyway, so per-event writers could not write in parallel, and
//! with one queue a sale spread over many events batches as well as a sale of one hot event.
//! Inside a batch the requests of each event are still decided in the order they arrived.
//!
//! Callers hand a request over and wait for its answer, either blocking
//! ([`PendingBooking::wait`]) or as a future (the server awaits it on its async workers, so a
//! booking costs no blocking-pool thread).

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Weak};
use std::task::{Context, Poll, Waker};
use std::thread::JoinHandle;

use parking_lot::{Condvar, Mutex};

use serde::Serialize;

use super::held::HeldSeats;
use super::{Ticket, TicketError};
use crate::context::{self, Handle};
use crate::events::TicketTypeId;
use crate::ids::{EventId, UserId};
use crate::store::StoreError;
use crate::waiting_room::gate::OpenedPass;

/// The result of [`super::Tickets::book`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BookingOutcome {
    /// The ticket (`booked` for free events, `pending` for paid ones).
    pub ticket: Ticket,
    /// True when an earlier request with the same idempotency key made this ticket.
    pub replayed: bool,
}

/// Most requests decided and written in one transaction; the rest wait for the next batch.
const MAX_BATCH: usize = 1024;

/// The seats a request asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Wanted {
    /// This many seats of the event's default type (its first listed type on sale): the
    /// request of clients that know nothing of types.
    Default(u32),
    /// Seats per ticket type, each type once, in the caller's order.
    Lines(Vec<(TicketTypeId, u32)>),
}

impl Wanted {
    /// Seats in all.
    pub(super) fn total(&self) -> u32 {
        match self {
            Wanted::Default(quantity) => *quantity,
            Wanted::Lines(lines) => lines.iter().map(|(_, quantity)| quantity).sum(),
        }
    }
}

/// A checked booking request in the queue.
pub(crate) struct Queued {
    pub(super) user: UserId,
    pub(super) event: EventId,
    pub(super) wanted: Wanted,
    /// The promo code, upper case.
    pub(super) promo_code: Option<String>,
    /// The `idempotency` key (user ++ the caller's key), if the caller gave one.
    pub(super) idempotency_key: Option<Vec<u8>>,
    /// For an accepted waiting-list offer: the entry whose held seats it books.
    pub(super) offer: Option<u64>,
    /// One name per seat as the caller gave them (checked against the event's policy when
    /// decided), or none.
    pub(super) attendee_names: Vec<String>,
    /// For a guest checkout whose address had no account: the guest account to make (as
    /// `user`) in the booking's own transaction, if the booking goes through.
    pub(super) guest: Option<Box<NewGuest>>,
    /// The waiting-room pass the request carries, opened (see [`crate::waiting_room::gate`]).
    pub(super) pass: Option<OpenedPass>,
    answer: Arc<Answer>,
}

impl Queued {
    /// A request nobody waits for, to decide in a unit test.
    #[cfg(test)]
    pub(super) fn unanswered(user: UserId, event: EventId, quantity: u32) -> Self {
        Queued {
            user,
            event,
            wanted: Wanted::Default(quantity),
            promo_code: None,
            idempotency_key: None,
            offer: None,
            attendee_names: Vec::new(),
            guest: None,
            pass: None,
            answer: Arc::default(),
        }
    }

    /// Hands the caller its answer.
    pub(super) fn answer(self, result: Result<BookingOutcome, TicketError>) {
        self.answer.set(result);
    }
}

/// A request before it is queued.
pub(super) struct Request {
    pub(super) user: UserId,
    pub(super) event: EventId,
    pub(super) wanted: Wanted,
    pub(super) promo_code: Option<String>,
    pub(super) idempotency_key: Option<Vec<u8>>,
    pub(super) offer: Option<u64>,
    pub(super) attendee_names: Vec<String>,
    pub(super) guest: Option<Box<NewGuest>>,
    pub(super) pass: Option<OpenedPass>,
}

/// A guest account to make with a booking: its (normalised) e-mail address and its record,
/// encoded by the caller so the booking writer only copies bytes.
#[derive(Debug, Clone)]
pub(crate) struct NewGuest {
    pub(crate) email: String,
    pub(crate) record: Vec<u8>,
}

/// Where the writer leaves one caller's answer.
#[derive(Default)]
struct Answer {
    slot: Mutex<Slot>,
    ready: Condvar,
}

#[derive(Default)]
struct Slot {
    result: Option<Result<BookingOutcome, TicketError>>,
    waker: Option<Waker>,
}

impl Answer {
    fn set(&self, result: Result<BookingOutcome, TicketError>) {
        let waker = {
            let mut slot = self.slot.lock();
            slot.result = Some(result);
            slot.waker.take()
        };
        self.ready.notify_one();
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

/// A booking handed to the writer: [`wait`](PendingBooking::wait) for its answer, or `.await`
/// it. Returned by [`Tickets::book_async`](super::Tickets::book_async).
#[must_use = "a booking is only decided once its answer is awaited or waited for"]
pub struct PendingBooking {
    answer: Arc<Answer>,
}

impl PendingBooking {
    /// An answer known before queueing (an invalid request).
    pub(super) fn ready(result: Result<BookingOutcome, TicketError>) -> Self {
        let answer = Arc::new(Answer::default());
        answer.slot.lock().result = Some(result);
        PendingBooking { answer }
    }

    /// Blocks until the booking is decided (and, if it succeeded, durable).
    pub fn wait(self) -> Result<BookingOutcome, TicketError> {
        let mut slot = self.answer.slot.lock();
        loop {
            if let Some(result) = slot.result.take() {
                return result;
            }
            self.answer.ready.wait(&mut slot);
        }
    }
}

impl Future for PendingBooking {
    type Output = Result<BookingOutcome, TicketError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut slot = self.answer.slot.lock();
        if let Some(result) = slot.result.take() {
            return Poll::Ready(result);
        }
        if !slot
            .waker
            .as_ref()
            .is_some_and(|waker| waker.will_wake(cx.waker()))
        {
            slot.waker = Some(cx.waker().clone());
        }
        Poll::Pending
    }
}

#[derive(Default)]
struct Waiting {
    requests: Vec<Queued>,
    stopping: bool,
}

#[derive(Default)]
struct Shared {
    waiting: Mutex<Waiting>,
    arrived: Condvar,
}

/// The writer's step: decides and writes one batch, answering every request in it.
pub(crate) type WriteBatch = fn(&context::Context, Vec<Queued>, &mut HeldSeats);

/// The queue in front of the booking writer, and the writer thread.
#[derive(Default)]
pub(crate) struct BookingQueue {
    shared: Arc<Shared>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl BookingQueue {
    /// Starts the writer thread, which hands each batch to `write` (the booking step lives
    /// above the queue, in `tickets::booking`).
    pub(crate) fn start(
        &self,
        store: Weak<dyn Handle<BookingQueue>>,
        write: WriteBatch,
    ) -> std::io::Result<()> {
        let shared = Arc::clone(&self.shared);
        let thread = std::thread::Builder::new()
            .name("prasang-booking".into())
            .spawn(move || write_batches(&store, &shared, write))?;
        *self.thread.lock() = Some(thread);
        Ok(())
    }

    /// Queues `requests` one after the other (no other caller's request comes between them),
    /// and returns one pending answer per request, in order. Requests that already failed are
    /// answered at once.
    pub(super) fn submit(
        &self,
        requests: impl IntoIterator<Item = Result<Request, TicketError>>,
    ) -> Vec<PendingBooking> {
        let mut pending = Vec::new();
        let mut waiting = self.shared.waiting.lock();
        for request in requests {
            let request = match request {
                Ok(request) if !waiting.stopping => request,
                Ok(_) => {
                    let closing = StoreError::Flush("the store is closing".into());
                    pending.push(PendingBooking::ready(Err(closing.into())));
                    continue;
                }
                Err(error) => {
                    pending.push(PendingBooking::ready(Err(error)));
                    continue;
                }
            };
            let answer = Arc::new(Answer::default());
            waiting.requests.push(Queued {
                user: request.user,
                event: request.event,
                wanted: request.wanted,
                promo_code: request.promo_code,
                idempotency_key: request.idempotency_key,
                offer: request.offer,
                attendee_names: request.attendee_names,
                guest: request.guest,
                pass: request.pass,
                answer: Arc::clone(&answer),
            });
            pending.push(PendingBooking { answer });
        }
        drop(waiting);
        self.shared.arrived.notify_one();
        pending
    }

    /// Lets the writer finish what is queued, then stops it (idempotent).
    pub(crate) fn stop(&self) {
        self.shared.waiting.lock().stopping = true;
        self.shared.arrived.notify_all();
        if let Some(thread) = self.thread.lock().take() {
            // The writer may itself hold the last handle of the store; it cannot join itself.
            if thread.thread().id() != std::thread::current().id() {
                let _ = thread.join();
            }
        }
    }
}

/// The writer: waits for requests, then decides and writes everything waiting (up to
/// [`MAX_BATCH`]) as one batch, until the store stops and the queue is empty.
fn write_batches(store: &Weak<dyn Handle<BookingQueue>>, shared: &Shared, write: WriteBatch) {
    let mut held_seats = HeldSeats::default();
    loop {
        let batch = {
            let mut waiting = shared.waiting.lock();
            while waiting.requests.is_empty() && !waiting.stopping {
                shared.arrived.wait(&mut waiting);
            }
            if waiting.requests.is_empty() {
                return;
            }
            let take = waiting.requests.len().min(MAX_BATCH);
            if take == waiting.requests.len() {
                std::mem::take(&mut waiting.requests)
            } else {
                waiting.requests.drain(..take).collect()
            }
        };
        match store.upgrade() {
            Some(store) => write(store.context(), batch, &mut held_seats),
            None => {
                for queued in batch {
                    let closing = StoreError::Flush("the store is closing".into());
                    queued.answer(Err(closing.into()));
                }
            }
        }
    }
}
