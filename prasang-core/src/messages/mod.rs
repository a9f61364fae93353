//! Messages from organizers to the attendees of one event, delivered through each recipient's
//! notification channels (kind `organizer_message`).
//!
//! Sending writes the `MessageSent` log entry (its sequence number is the message's id), the
//! event's copy of the message and its day's count in one transaction, after checking the count
//! against [`limits::MESSAGES_PER_EVENT_PER_DAY`] in that same transaction: sends that race
//! cannot pass the limit together. The notifications dispatcher then finds the segment's people
//! ([`recipients`]) and writes one delivery per recipient and channel, keyed by
//! `(log sequence, user, channel)`, so a restart in the middle of the fan-out finishes it
//! without telling anyone twice. The subject and body are plain text: nothing in them is read as
//! HTML or markup, and every front end shows them escaped.

pub(crate) mod recipients;
mod record;
mod report;
mod segment;

use serde::{Deserialize, Serialize};

pub(crate) use record::set_recipients;
pub use report::ChannelCounts;
pub use segment::Segment;

use crate::auth::Actor;
use crate::context::Context;
use crate::error::{CommonError, ErrorInfo, domain_error};
use crate::events::SaleState;
use crate::events::record as event_record;
use crate::ids::{EventId, UserId};
use crate::limits;
use crate::log::{self, DomainEvent};
use crate::paging::{self, Page, PageRequest};
use crate::store::{abort, codec, decode_in_tx, finish};
use crate::time::Timestamp;
use crate::validate::{self, FieldError};
use record::MessageRecord;

/// A message as its organizer writes it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MessageDraft {
    /// Subject line: 1 to 150 characters, one line.
    pub subject: String,
    /// Plain text: 1 to 5,000 characters, lines allowed.
    pub body: String,
    /// Who it is for.
    pub segment: Segment,
}

/// A message sent to (a segment of) an event's people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Message {
    /// Its id: the sequence number of its `MessageSent` log entry.
    pub id: u64,
    /// The event.
    pub event: EventId,
    /// Who sent it (the organizer, or an admin).
    pub sent_by: UserId,
    /// Who it is for.
    pub segment: Segment,
    /// Subject line.
    pub subject: String,
    /// Plain text.
    pub body: String,
    /// When it was sent.
    pub sent_at: Timestamp,
    /// How many people were in the segment when it went out; `None` until the notifications
    /// dispatcher has reached it.
    pub recipients: Option<u32>,
}

/// What became of a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MessageReport {
    /// The message.
    pub message: Message,
    /// Recipients none of whose channels got a delivery (they turned notifications off, or the
    /// organizer turned `organizer_message` off for the event); `None` until dispatched.
    pub unreached: Option<u32>,
    /// The deliveries per channel, in channel id order.
    pub channels: Vec<ChannelCounts>,
}

/// Errors of the messages API.
#[derive(Debug, thiserror::Error)]
pub enum MessageError {
    /// The event sent its messages for today (UTC) already.
    #[error(
        "this event has sent its {limit} messages for today (UTC); send again after midnight UTC"
    )]
    DailyLimit {
        /// Messages an event may send per day.
        limit: u32,
    },
    /// No such message of this event.
    #[error("message not found")]
    NotFound,
    /// Shared refusals and failures: invalid field, event not found, forbidden, storage.
    #[error(transparent)]
    Common(#[from] CommonError),
}

domain_error!(MessageError {
    MessageError::DailyLimit { .. } => ErrorInfo::new(Conflict, "message-limit-reached", "Daily message limit reached"),
    MessageError::NotFound => ErrorInfo::new(NotFound, "message-not-found", "Message not found"),
});

/// Who may write to an event's people and see its messages.
const ORGANIZER_ONLY: &str = "only the event's organizer can message its attendees";

/// Messages of events. Obtained from [`crate::Prasang::messages`].
pub struct Messages<'a> {
    pub(crate) inner: &'a Context,
}

impl Messages<'_> {
    /// How many people `segment` of `event` holds now: whom a message would reach (its
    /// organizer or an admin).
    pub fn preview(
        &self,
        actor: &Actor,
        event: EventId,
        segment: Segment,
    ) -> Result<u32, MessageError> {
        let sale = self.require_organizer(actor, event)?;
        check_segment(&sale, segment)?;
        let people = recipients::recipients(self.inner, event, segment)?;
        Ok(u32::try_from(people.len()).unwrap_or(u32::MAX))
    }

    /// Sends a message to `draft.segment` of `event` (its organizer or an admin), at most
    /// [`limits::MESSAGES_PER_EVENT_PER_DAY`] per event per UTC day. Durable on return; the
    /// deliveries follow through the notifications dispatcher.
    pub fn send(
        &self,
        actor: &Actor,
        event: EventId,
        draft: MessageDraft,
    ) -> Result<Message, MessageError> {
        let sale = self.require_organizer(actor, event)?;
        let subject = validate::text(&limits::MESSAGE_SUBJECT, &draft.subject, false)?;
        let body = validate::text(&limits::MESSAGE_BODY, &draft.body, true)?;
        check_segment(&sale, draft.segment)?;
        let now = self.inner.now();
        let record = MessageRecord {
            by: actor.user_id(),
            segment: draft.segment,
            subject,
            body,
            sent_at: now,
            recipients: None,
        };
        let sent = DomainEvent::MessageSent {
            event,
            by: record.by,
            segment: record.segment,
            subject: record.subject.clone(),
            body: record.body.clone(),
        };
        let store = &self.inner.store;
        let day = record::day_key(event, now);
        let stored = codec::write(&record);
        let seq = finish::<_, MessageError>(store.transaction(
            (&store.message_days, &store.messages, &store.log),
            |(days, messages, log)| {
                let sent_today: u32 = match days.get(day)? {
                    Some(bytes) => decode_in_tx("message_days", &bytes)?,
                    None => 0,
                };
                if sent_today >= limits::MESSAGES_PER_EVENT_PER_DAY {
                    return Err(abort(MessageError::DailyLimit {
                        limit: limits::MESSAGES_PER_EVENT_PER_DAY,
                    }));
                }
                let seq = log::append(log, now, &sent)?;
                messages.insert(&record::key(event, seq), stored.as_slice())?;
                days.insert(&day, codec::encode(&(sent_today + 1)))?;
                Ok(seq)
            },
        ))?;
        self.inner.committed_with_log()?;
        Ok(message(event, seq, record))
    }

    /// The messages of `event`, newest first (its organizer or an admin).
    pub fn list(
        &self,
        actor: &Actor,
        event: EventId,
        page: &PageRequest,
    ) -> Result<Page<Message>, MessageError> {
        self.require_organizer(actor, event)?;
        let store = &self.inner.store;
        let prefix = event.to_bytes();
        Ok(paging::scan(
            &store.messages,
            &prefix,
            &prefix,
            page,
            |key| {
                let Some(seq) = record::seq_from_key(key) else {
                    return Ok(None);
                };
                Ok(record::load(store, event, seq)?.map(|stored| message(event, seq, stored)))
            },
        )?)
    }

    /// Message `id` of `event` and what became of it: its deliveries per channel (its
    /// organizer or an admin).
    pub fn report(
        &self,
        actor: &Actor,
        event: EventId,
        id: u64,
    ) -> Result<MessageReport, MessageError> {
        self.require_organizer(actor, event)?;
        let stored = record::load(&self.inner.store, event, id)?.ok_or(MessageError::NotFound)?;
        let (channels, reached) = report::count(self.inner, id)?;
        let message = message(event, id, stored);
        Ok(MessageReport {
            unreached: message
                .recipients
                .map(|recipients| recipients.saturating_sub(reached)),
            message,
            channels,
        })
    }

    fn require_organizer(&self, actor: &Actor, event: EventId) -> Result<SaleState, MessageError> {
        Ok(event_record::require_run_by(
            &self.inner.store,
            actor,
            event,
            ORGANIZER_ONLY,
        )?)
    }
}

/// A segment of holders of a type names one of the event's types.
fn check_segment(sale: &SaleState, segment: Segment) -> Result<(), FieldError> {
    match segment {
        Segment::TicketType { ticket_type } if sale.ticket_type(ticket_type).is_none() => {
            Err(FieldError::new(
                "segment",
                format!("this event has no ticket type {ticket_type}"),
            ))
        }
        _ => Ok(()),
    }
}

fn message(event: EventId, id: u64, stored: MessageRecord) -> Message {
    Message {
        id,
        event,
        sent_by: stored.by,
        segment: stored.segment,
        subject: stored.subject,
        body: stored.body,
        sent_at: stored.sent_at,
        recipients: stored.recipients,
    }
}
