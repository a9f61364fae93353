//! Feedback: holders of a booked ticket rate an event (1–5, optional comment) once it has
//! started; organizers list and answer it.
//!
//! One entry per (event, user), keyed so an event's feedback is one ordered key range. Every
//! change appends a domain event in the same transaction, so the analytics consumer keeps the
//! rating aggregates and the notification dispatcher tells the attendee about a reply.
//!
//! ```
//! use std::time::Duration;
//! use prasang_core::{Config, ManualClock, Prasang, Timestamp};
//! use prasang_core::events::NewEvent;
//! use prasang_core::feedback::FeedbackInput;
//! use prasang_core::tickets::BookingRequest;
//! use prasang_core::users::{Gender, NewUser, Role};
//!
//! let clock = ManualClock::new(Timestamp::from_millis(1_893_456_000_000));
//! let prasang = Prasang::open(Config::temporary().clock(clock.clone()).background_tasks(false))?;
//! let mut register = |name: &str, role| -> Result<_, Box<dyn std::error::Error>> {
//!     let user = prasang.users().register(NewUser {
//!         name: name.into(), email: format!("{name}@example.org"), password: "long enough!".into(),
//!         gender: Gender::Female, age: 30, role,
//!     })?;
//!     Ok(prasang.auth().trusted_actor(user.id)?)
//! };
//! let (olga, ada) = (register("olga", Role::Organizer)?, register("ada", Role::Attendee)?);
//! let starts_at = prasang.now().plus(Duration::from_secs(3600));
//! let event = prasang.events().create(&olga, NewEvent {
//!     title: "Meetup".into(), description: String::new(), location: "Pune".into(),
//!     starts_at: starts_at.into(), ends_at: starts_at.plus(Duration::from_secs(7200)).into(),
//!     time_zone: None, capacity: 10, price_minor: 0,
//!     currency: "INR".into(), image_url: None, per_user_limit: None, ticket_types: None,
//!     attendee_names: Default::default(),
//! })?;
//! prasang.tickets().book(&ada, &BookingRequest::seats(event.id, 1))?;
//! clock.advance(Duration::from_secs(2 * 3600)); // the event has started
//! let given = prasang.feedback().give(&ada, event.id, FeedbackInput { rating: 5, comment: Some("Great".into()) })?;
//! assert_eq!(given.rating, 5);
//! prasang.run_analytics_once()?;
//! assert_eq!(prasang.events().peek(event.id)?.rating.count, 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub(crate) mod requests;

use serde::{Deserialize, Serialize};
use sled::transaction::{ConflictableTransactionError, TransactionalTree};

use crate::auth::Actor;
use crate::context::Context;
use crate::error::{CommonError, ErrorInfo, Subject, domain_error};
use crate::events::record as event_record;
use crate::events::{EventStatus, SaleState};
use crate::ids::{EventId, TicketId, UserId};
use crate::limits;
use crate::log::{self, DomainEvent};
use crate::paging::{self, Page, PageRequest};
use crate::store::{StoreError, abort, codec, decode_in_tx, finish, keys};
use crate::tickets::TicketStatus;
use crate::time::Timestamp;
use crate::validate::{self, FieldError};

/// One attendee's feedback on one event, as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Feedback {
    /// The event.
    pub event: EventId,
    /// Who wrote it.
    pub user: UserId,
    /// 1–5.
    pub rating: u8,
    /// Optional comment.
    pub comment: Option<String>,
    /// When it was first given.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
    /// The organizer's answer, if any.
    pub reply: Option<Reply>,
}

/// The organizer's answer to a feedback entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reply {
    /// The text.
    pub text: String,
    /// Who wrote it (the organizer or an admin).
    pub by: UserId,
    /// When it last changed.
    pub updated_at: Timestamp,
}

/// What the `feedback` tree stores (version 1 of the record).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct FeedbackRecord {
    pub(crate) rating: u8,
    pub(crate) comment: Option<String>,
    pub(crate) created_at: Timestamp,
    pub(crate) updated_at: Timestamp,
    pub(crate) reply: Option<ReplyRecord>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ReplyRecord {
    pub(crate) text: String,
    pub(crate) by: UserId,
    pub(crate) updated_at: Timestamp,
}

impl FeedbackRecord {
    pub(crate) fn to_api(&self, event: EventId, user: UserId) -> Feedback {
        Feedback {
            event,
            user,
            rating: self.rating,
            comment: self.comment.clone(),
            created_at: self.created_at,
            updated_at: self.updated_at,
            reply: self.reply.as_ref().map(|r| Reply {
                text: r.text.clone(),
                by: r.by,
                updated_at: r.updated_at,
            }),
        }
    }
}

/// A rating and optional comment.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedbackInput {
    /// 1–5.
    pub rating: i64,
    /// Up to [`limits::COMMENT`](crate::limits::COMMENT) characters, trimmed; no control characters except line
    /// breaks and tabs. Empty means none.
    #[serde(default)]
    pub comment: Option<String>,
}

/// An organizer's reply.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplyInput {
    /// [`limits::REPLY`](crate::limits::REPLY) characters, trimmed.
    pub text: String,
}

/// Errors of the feedback API.
#[derive(Debug, thiserror::Error)]
pub enum FeedbackError {
    /// Only holders of a booked ticket may rate an event.
    #[error("only holders of a booked ticket for this event can leave feedback")]
    NotAHolder,
    /// Feedback opens when the event starts.
    #[error("feedback opens when the event starts")]
    NotStarted,
    /// A cancelled event takes no feedback.
    #[error("the event is cancelled")]
    EventCancelled,
    /// The caller already rated this event; they may edit that feedback instead.
    #[error("you already left feedback for this event; edit it instead")]
    AlreadyGiven,
    /// Shared refusals and failures: invalid field, event or feedback not found, forbidden,
    /// storage.
    #[error(transparent)]
    Common(#[from] CommonError),
}

domain_error!(FeedbackError {
    FeedbackError::NotAHolder => ErrorInfo::new(Forbidden, "not-a-ticket-holder", "Not a ticket holder"),
    FeedbackError::NotStarted => ErrorInfo::new(Conflict, "event-not-started", "Event not started"),
    FeedbackError::EventCancelled => ErrorInfo::new(Conflict, "event-cancelled", "Event cancelled"),
    FeedbackError::AlreadyGiven => ErrorInfo::new(Conflict, "feedback-exists", "Feedback already given"),
});

const NO_SUCH_EVENT: CommonError = CommonError::NotFound(Subject::Event);
const NO_SUCH_FEEDBACK: CommonError = CommonError::NotFound(Subject::Feedback);

type TxResult<T> = Result<T, ConflictableTransactionError<FeedbackError>>;

/// The `feedback` key: event, then user.
pub(crate) fn key(event: EventId, user: UserId) -> [u8; 32] {
    keys::event_user(event, user)
}

impl FeedbackInput {
    /// The rating, and the comment trimmed (an empty one is none).
    fn check(&self) -> Result<(u8, Option<String>), FieldError> {
        let rating = validate::in_range(&limits::RATING, self.rating)?;
        let Some(comment) = self.comment.as_deref() else {
            return Ok((rating, None));
        };
        let text = validate::text(&limits::COMMENT, comment, true)?;
        Ok((rating, (!text.is_empty()).then_some(text)))
    }
}

fn check_reply(text: &str) -> Result<String, FieldError> {
    validate::text(&limits::REPLY, text, true)
}

/// Feedback. Obtained from [`crate::Prasang::feedback`].
pub struct Feedbacks<'a> {
    pub(crate) inner: &'a Context,
}

impl Feedbacks<'_> {
    /// Rates an event the caller holds a booked ticket for, once it has started. A second call
    /// fails with [`FeedbackError::AlreadyGiven`]; use [`Feedbacks::edit`].
    pub fn give(
        &self,
        actor: &Actor,
        event: EventId,
        input: FeedbackInput,
    ) -> Result<Feedback, FeedbackError> {
        let (rating, comment) = input.check()?;
        let user = actor.user_id();
        let candidates = self.candidate_tickets(user, event)?;
        let now = self.inner.now();
        let store = &self.inner.store;
        let key = key(event, user);
        let record = finish::<_, FeedbackError>(store.transaction(
            (
                &store.feedback,
                &store.tickets,
                &store.inventory,
                &store.log,
            ),
            |(feedback, tickets, inventory, log)| {
                check_open(inventory, event, now)?;
                if feedback.get(key)?.is_some() {
                    return Err(abort(FeedbackError::AlreadyGiven));
                }
                check_holder(tickets, &candidates)?;
                let record = FeedbackRecord {
                    rating,
                    comment: comment.clone(),
                    created_at: now,
                    updated_at: now,
                    reply: None,
                };
                let given = DomainEvent::FeedbackGiven {
                    event,
                    user,
                    rating,
                };
                put(feedback, log, &key, &record, now, &given)?;
                Ok(record)
            },
        ))?;
        self.inner.committed_with_log()?;
        Ok(record.to_api(event, user))
    }

    /// Changes the caller's rating and comment (the comment is replaced; `None` removes it).
    pub fn edit(
        &self,
        actor: &Actor,
        event: EventId,
        input: FeedbackInput,
    ) -> Result<Feedback, FeedbackError> {
        let (rating, comment) = input.check()?;
        let user = actor.user_id();
        let now = self.inner.now();
        self.update(event, user, now, |record| {
            let previous = record.rating;
            record.rating = rating;
            record.comment = comment.clone();
            record.updated_at = now;
            DomainEvent::FeedbackEdited {
                event,
                user,
                rating,
                previous,
            }
        })
    }

    /// Withdraws the caller's feedback (and any reply to it).
    pub fn delete(&self, actor: &Actor, event: EventId) -> Result<(), FeedbackError> {
        let user = actor.user_id();
        let now = self.inner.now();
        let store = &self.inner.store;
        let key = key(event, user);
        finish::<_, FeedbackError>(store.transaction(
            (&store.feedback, &store.log),
            |(feedback, log)| {
                let record = existing(feedback, &key)?;
                feedback.remove(&key)?;
                let deleted = DomainEvent::FeedbackDeleted {
                    event,
                    user,
                    previous: record.rating,
                };
                log::append(log, now, &deleted)?;
                Ok(())
            },
        ))?;
        self.inner.committed_with_log()?;
        Ok(())
    }

    /// The caller's own feedback on an event.
    pub fn mine(&self, actor: &Actor, event: EventId) -> Result<Feedback, FeedbackError> {
        let user = actor.user_id();
        let record = self.load(event, user)?.ok_or(NO_SUCH_FEEDBACK)?;
        Ok(record.to_api(event, user))
    }

    /// All feedback on an event, in user-id order (its organizer and admins).
    pub fn list_for_event(
        &self,
        actor: &Actor,
        event: EventId,
        page: &PageRequest,
    ) -> Result<Page<Feedback>, FeedbackError> {
        self.check_runs(
            actor,
            event,
            "only the event's organizer can read its feedback",
        )?;
        let prefix = event.to_bytes();
        let store = &self.inner.store;
        Ok(paging::scan(
            &store.feedback,
            &prefix,
            &prefix,
            page,
            |key| {
                let Some(user) = key.get(16..).and_then(UserId::from_key_prefix) else {
                    return Ok(None);
                };
                Ok(self.load(event, user)?.map(|r| r.to_api(event, user)))
            },
        )?)
    }

    /// Replies to `user`'s feedback on `event`, or changes the reply (its organizer and
    /// admins). The attendee is notified through their channels.
    pub fn reply(
        &self,
        actor: &Actor,
        event: EventId,
        user: UserId,
        input: ReplyInput,
    ) -> Result<Feedback, FeedbackError> {
        self.check_runs(
            actor,
            event,
            "only the event's organizer can reply to feedback",
        )?;
        let text = check_reply(&input.text)?;
        let now = self.inner.now();
        let by = actor.user_id();
        self.update(event, user, now, |record| {
            record.reply = Some(ReplyRecord {
                text: text.clone(),
                by,
                updated_at: now,
            });
            DomainEvent::FeedbackReplied { event, user, by }
        })
    }

    /// Changes `user`'s feedback on `event` in one transaction (`change` says what to log),
    /// then waits until it is durable and wakes log consumers.
    fn update(
        &self,
        event: EventId,
        user: UserId,
        now: Timestamp,
        change: impl Fn(&mut FeedbackRecord) -> DomainEvent,
    ) -> Result<Feedback, FeedbackError> {
        let store = &self.inner.store;
        let key = key(event, user);
        let record = finish::<_, FeedbackError>(store.transaction(
            (&store.feedback, &store.log),
            |(feedback, log)| {
                let mut record = existing(feedback, &key)?;
                let what = change(&mut record);
                put(feedback, log, &key, &record, now, &what)?;
                Ok(record)
            },
        ))?;
        self.inner.committed_with_log()?;
        Ok(record.to_api(event, user))
    }

    pub(crate) fn load(
        &self,
        event: EventId,
        user: UserId,
    ) -> Result<Option<FeedbackRecord>, StoreError> {
        self.inner
            .store
            .feedback
            .get(key(event, user))?
            .map(|bytes| codec::decode("feedback", &bytes))
            .transpose()
    }

    fn check_runs(
        &self,
        actor: &Actor,
        event: EventId,
        refusal: &'static str,
    ) -> Result<(), FeedbackError> {
        event_record::require_run_by(&self.inner.store, actor, event, refusal)?;
        Ok(())
    }

    /// The caller's tickets for `event` (read outside the transaction; their status is checked
    /// again inside it).
    fn candidate_tickets(&self, user: UserId, event: EventId) -> Result<Vec<TicketId>, StoreError> {
        let store = &self.inner.store;
        let mut out = Vec::new();
        for item in store.tickets_by_user.scan_prefix(user.to_bytes()) {
            let (key, _) = item?;
            let Some(id) = keys::ticket_from_index_key(&key) else {
                continue;
            };
            if let Some(bytes) = store.tickets.get(id.to_bytes())? {
                let ticket = crate::tickets::record::decode(&bytes)?;
                if ticket.event == event {
                    out.push(id);
                }
            }
        }
        Ok(out)
    }
}

/// Inside a transaction: the event exists, is not cancelled and has started.
fn check_open(inventory: &TransactionalTree, event: EventId, now: Timestamp) -> TxResult<()> {
    let sale: SaleState = match inventory.get(event.to_bytes())? {
        Some(bytes) => crate::store::read_in_tx(&bytes)?,
        None => return Err(abort(NO_SUCH_EVENT)),
    };
    if sale.status == EventStatus::Cancelled {
        return Err(abort(FeedbackError::EventCancelled));
    }
    if sale.starts_at > now {
        return Err(abort(FeedbackError::NotStarted));
    }
    Ok(())
}

/// Inside a transaction: one of `candidates` is booked (read in the transaction, so a
/// concurrent cancellation cannot slip between the check and the write).
fn check_holder(tickets: &TransactionalTree, candidates: &[TicketId]) -> TxResult<()> {
    for id in candidates {
        if let Some(bytes) = tickets.get(id.to_bytes())? {
            let ticket = crate::tickets::record::decode(&bytes).map_err(abort)?;
            if ticket.status == TicketStatus::Booked {
                return Ok(());
            }
        }
    }
    Err(abort(FeedbackError::NotAHolder))
}

/// Inside a transaction: stores `record` under `key` and logs `what` happened.
fn put(
    feedback: &TransactionalTree,
    log: &TransactionalTree,
    key: &[u8],
    record: &FeedbackRecord,
    at: Timestamp,
    what: &DomainEvent,
) -> TxResult<()> {
    feedback.insert(key, codec::encode(record))?;
    log::append(log, at, what)?;
    Ok(())
}

fn existing(feedback: &TransactionalTree, key: &[u8]) -> TxResult<FeedbackRecord> {
    match feedback.get(key)? {
        Some(bytes) => decode_in_tx("feedback", &bytes),
        None => Err(abort(NO_SUCH_FEEDBACK)),
    }
}
