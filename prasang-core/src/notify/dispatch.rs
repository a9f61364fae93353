//! Dispatch: log entries become delivery records.

use std::collections::HashSet;

use sled::transaction::ConflictableTransactionError;

use super::delivery::{Delivery, DeliveryStatus};
use super::{
    CURSOR, EventSummary, Notification, NotificationKind, Recipient, TicketSummary, keys, settings,
};
use crate::Inner;
use crate::events::Event;
use crate::ids::{EventId, UserId};
use crate::log::{DomainEvent, EventField, Log, LogEntry};
use crate::store::{self, StoreError, codec};
use crate::tickets::{TicketStatus, Tickets};

/// Log entries read per round.
const ENTRIES_PER_ROUND: usize = 256;
/// Delivery records written per transaction (an event-wide notification can fan out to many).
const DELIVERIES_PER_TRANSACTION: usize = 512;

/// Turns every log entry past the cursor into delivery records and advances the cursor.
/// Returns (entries read, records created).
pub(crate) fn dispatch_pending(inner: &Inner) -> Result<(usize, usize), StoreError> {
    // One dispatcher at a time, so the cursor only moves forward.
    let _one_at_a_time = inner.notifier.dispatch_lock.lock();
    let log = Log { inner };
    let (mut entries_read, mut created) = (0, 0);
    loop {
        let from = log.position(CURSOR)?;
        let entries = log.entries(from, ENTRIES_PER_ROUND)?;
        let Some(last) = entries.last() else {
            // After a restart: what the log holds survived, but make sure before announcing it.
            if inner.notifier.durable_before() < from {
                inner.store.durable()?;
                inner.notifier.entries_durable_before(from);
            }
            break;
        };
        let next = last.seq + 1;
        let mut batch = Batch {
            inner,
            rows: Vec::new(),
            created: 0,
        };
        for entry in &entries {
            plan(inner, entry, &mut batch)?;
        }
        let made = batch.finish(next)?;
        // Under group commit a log entry is visible before it is durable. Deliveries wait until
        // the entries they announce are on disk, so a crash can never leave someone told about
        // a booking that did not survive it.
        inner.store.durable()?;
        inner.notifier.entries_durable_before(next);
        if made > 0 {
            inner.notifier.wake_workers();
        }
        created += made;
        entries_read += entries.len();
    }
    Ok((entries_read, created))
}

/// Delivery records on their way to the store, written a transaction's worth at a time so an
/// event-wide notification to many holders never builds one huge transaction or vector.
struct Batch<'a> {
    inner: &'a Inner,
    rows: Vec<Delivery>,
    created: usize,
}

impl Batch<'_> {
    fn push(&mut self, delivery: Delivery) -> Result<(), StoreError> {
        self.rows.push(delivery);
        if self.rows.len() >= DELIVERIES_PER_TRANSACTION {
            self.created += write(self.inner, &self.rows, None)?;
            self.rows.clear();
        }
        Ok(())
    }

    /// Writes the rest together with the cursor moved to `next`: the cursor never passes an
    /// entry whose records are not all written.
    fn finish(self, next: u64) -> Result<usize, StoreError> {
        Ok(self.created + write(self.inner, &self.rows, Some(next))?)
    }
}

/// Writes the records that do not exist yet (and the cursor, when given) in one transaction.
fn write(inner: &Inner, planned: &[Delivery], cursor: Option<u64>) -> Result<usize, StoreError> {
    let store = &inner.store;
    let cursor_value = cursor.map(crate::store::keys::log_seq);
    let rows: Vec<_> = planned
        .iter()
        .map(|d| {
            let key = d.key();
            (
                keys::delivery_by_event(d.event, &key),
                keys::delivery_by_user(d.log_seq, d.user, &d.channel),
                d.due_key(),
                codec::write(d),
                key,
            )
        })
        .collect();
    let written = store.transaction(
        (
            &store.deliveries,
            &store.deliveries_by_event,
            &store.deliveries_by_user,
            &store.deliveries_due,
            &store.cursors,
        ),
        |(deliveries, by_event, by_user, due, cursors)| {
            let mut written = 0;
            for (event_key, user_key, due_key, record, key) in &rows {
                // Made before (a replay, or a crash before the cursor moved): keep it as is.
                if deliveries.get(key.as_slice())?.is_some() {
                    continue;
                }
                deliveries.insert(key.as_slice(), record.as_slice())?;
                by_event.insert(event_key.as_slice(), &[])?;
                by_user.insert(user_key.as_slice(), &[])?;
                if let Some(due_key) = due_key {
                    due.insert(due_key.as_slice(), &[])?;
                }
                written += 1;
            }
            if let Some(value) = &cursor_value {
                cursors.insert(CURSOR, value)?;
            }
            Ok::<_, ConflictableTransactionError<StoreError>>(written)
        },
    );
    store::finish(written)
}

/// What a log entry tells, before recipients and channels are known.
struct Plan {
    kind: NotificationKind,
    event: EventId,
    recipients: Vec<UserId>,
    ticket: Option<TicketSummary>,
    changed: Vec<EventField>,
    message: Option<String>,
}

/// Fields whose change is worth telling ticket holders about.
const NOTEWORTHY: [EventField; 3] = [
    EventField::StartsAt,
    EventField::EndsAt,
    EventField::Location,
];

fn ticket_plan(
    kind: NotificationKind,
    event: EventId,
    user: UserId,
    ticket: TicketSummary,
) -> Option<Plan> {
    Some(Plan {
        kind,
        event,
        recipients: vec![user],
        ticket: Some(ticket),
        changed: Vec::new(),
        message: None,
    })
}

fn what_to_tell(inner: &Inner, entry: &LogEntry) -> Result<Option<Plan>, StoreError> {
    use NotificationKind as K;
    Ok(match &entry.event {
        DomainEvent::TicketBooked {
            ticket,
            event,
            user,
            quantity,
            amount_minor,
        } => ticket_plan(
            K::TicketBooked,
            *event,
            *user,
            TicketSummary {
                id: *ticket,
                quantity: *quantity,
                status: TicketStatus::Booked,
                amount_minor: *amount_minor,
                expires_at: None,
            },
        ),
        DomainEvent::TicketPending {
            ticket,
            event,
            user,
            quantity,
            amount_minor,
            expires_at,
        } => ticket_plan(
            K::TicketPending,
            *event,
            *user,
            TicketSummary {
                id: *ticket,
                quantity: *quantity,
                status: TicketStatus::Pending,
                amount_minor: *amount_minor,
                expires_at: Some(*expires_at),
            },
        ),
        DomainEvent::TicketCancelled {
            ticket,
            event,
            user,
            quantity,
            amount_minor,
            ..
        } => ticket_plan(
            K::TicketCancelled,
            *event,
            *user,
            TicketSummary {
                id: *ticket,
                quantity: *quantity,
                status: TicketStatus::Cancelled,
                amount_minor: *amount_minor,
                expires_at: None,
            },
        ),
        DomainEvent::TicketExpired {
            ticket,
            event,
            user,
            quantity,
        } => {
            let amount_minor = Tickets { inner }
                .load(*ticket)?
                .map_or(0, |t| t.amount_minor);
            ticket_plan(
                K::TicketExpired,
                *event,
                *user,
                TicketSummary {
                    id: *ticket,
                    quantity: *quantity,
                    status: TicketStatus::Expired,
                    amount_minor,
                    expires_at: None,
                },
            )
        }
        DomainEvent::EventUpdated { event, changed }
            if changed.iter().any(|field| NOTEWORTHY.contains(field)) =>
        {
            Some(Plan {
                kind: K::EventUpdated,
                event: *event,
                recipients: active_holders(inner, *event)?,
                ticket: None,
                changed: changed.clone(),
                message: None,
            })
        }
        DomainEvent::EventCancelled { event, .. } => Some(Plan {
            kind: K::EventCancelled,
            event: *event,
            recipients: active_holders(inner, *event)?,
            ticket: None,
            changed: Vec::new(),
            message: None,
        }),
        DomainEvent::FeedbackReplied { event, user, .. } => {
            // The reply as it stands now (a later edit is told by its own entry, with the same
            // text if both are dispatched late); none if the feedback was withdrawn meanwhile.
            let feedback = crate::feedback::Feedbacks { inner }.load(*event, *user)?;
            feedback.and_then(|f| f.reply).map(|reply| Plan {
                kind: K::FeedbackReply,
                event: *event,
                recipients: vec![*user],
                ticket: None,
                changed: Vec::new(),
                message: Some(reply.text),
            })
        }
        DomainEvent::FeedbackRequested { event } => Some(Plan {
            kind: K::FeedbackRequest,
            event: *event,
            recipients: booked_holders(inner, *event)?,
            ticket: None,
            changed: Vec::new(),
            message: Some(
                "How was it? Rate the event from 1 to 5 and leave a comment: \
                 POST /api/v1/events/{id}/feedback, or the event's page."
                    .replace("{id}", &event.to_string()),
            ),
        }),
        _ => None,
    })
}

/// Everyone holding a pending or booked ticket for `event`, each once, in booking order.
fn active_holders(inner: &Inner, event: EventId) -> Result<Vec<UserId>, StoreError> {
    holders(inner, event, TicketStatus::is_active)
}

/// Everyone holding a booked ticket for `event`, each once, in booking order.
fn booked_holders(inner: &Inner, event: EventId) -> Result<Vec<UserId>, StoreError> {
    holders(inner, event, |status| status == TicketStatus::Booked)
}

fn holders(
    inner: &Inner,
    event: EventId,
    counts: impl Fn(TicketStatus) -> bool,
) -> Result<Vec<UserId>, StoreError> {
    let tickets = Tickets { inner };
    let mut seen = HashSet::new();
    let mut holders = Vec::new();
    for item in inner.store.tickets_by_event.scan_prefix(event.to_bytes()) {
        let (key, _) = item?;
        let Some(id) = crate::store::keys::ticket_from_index_key(&key) else {
            continue;
        };
        if let Some(ticket) = tickets.load(id)?
            && counts(ticket.status)
            && seen.insert(ticket.user)
        {
            holders.push(ticket.user);
        }
    }
    Ok(holders)
}

fn summary(event: &Event) -> EventSummary {
    EventSummary {
        id: event.id,
        title: event.title.clone(),
        description: event.description.clone(),
        location: event.location.clone(),
        starts_at: event.starts_at,
        ends_at: event.ends_at,
        status: event.status,
        price_minor: event.price_minor,
        currency: event.currency.clone(),
    }
}

/// Adds the deliveries `entry` calls for to `out`, built from the current user and event records.
fn plan(inner: &Inner, entry: &LogEntry, out: &mut Batch<'_>) -> Result<(), StoreError> {
    let Some(plan) = what_to_tell(inner, entry)? else {
        return Ok(());
    };
    let Some(event) = inner.events().load(plan.event)? else {
        return Ok(());
    };
    let settings = settings::event_settings(inner, plan.event)?;
    if settings.disabled_kinds.contains(&plan.kind) {
        return Ok(());
    }
    let time_zone = event.time_zone.clone();
    let event = summary(&event);
    let now = inner.now();
    for user in plan.recipients {
        let Some(record) = inner.users().load(user)? else {
            continue;
        };
        let mut channels = settings::preferences(inner, user)?.channels;
        for extra in &settings.extra_channels {
            if !channels.contains(extra) {
                channels.push(extra.clone());
            }
        }
        for channel in channels {
            let notification = Notification {
                idempotency_key: format!("{}.{}.{}", entry.seq, user, channel),
                kind: plan.kind,
                log_seq: entry.seq,
                occurred_at: entry.at,
                recipient: Recipient {
                    user_id: user,
                    name: record.name.clone(),
                    email: record.email.clone(),
                },
                event: event.clone(),
                ticket: plan.ticket.clone(),
                changed: plan.changed.clone(),
                message: plan.message.clone(),
                time_zone: time_zone.clone(),
            };
            out.push(Delivery {
                log_seq: entry.seq,
                user,
                event: plan.event,
                channel,
                kind: plan.kind,
                status: DeliveryStatus::Pending,
                attempts: 0,
                next_attempt_at: Some(now),
                last_error: None,
                receipt: None,
                created_at: now,
                updated_at: now,
                notification,
            })?;
        }
    }
    Ok(())
}
