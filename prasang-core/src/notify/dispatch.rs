//! Dispatch: log entries become delivery records.

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use std::rc::Rc;

use super::access;
use super::delivery::{Delivery, DeliveryStatus};
use super::settings::EventNotificationSettings;
use super::{
    CURSOR, EventSummary, Notification, NotificationKind, OfferSummary, QueuePassSummary,
    Recipient, TicketLineSummary, TicketSummary, keys, settings,
};
use crate::context::Context;
use crate::events::TicketTypeId;
use crate::events::record::{EventRecord, sale_state};
use crate::ids::{EventId, TicketId, UserId};
use crate::log::{DomainEvent, EventField, Log, LogEntry};
use crate::messages::recipients;
use crate::store::{StoreError, codec};
use crate::tickets::TicketStatus;
use crate::tickets::record as ticket_record;
use crate::time::Timestamp;
use crate::zone::Zone;

/// Log entries read per round.
const ENTRIES_PER_ROUND: usize = 256;
/// Delivery records planned before they are written (an event-wide notification can fan out to
/// many).
const DELIVERIES_PER_WRITE: usize = 512;

/// What one round of dispatch found.
pub(super) enum Round {
    /// No entry at or past the cursor `from`.
    Empty { from: u64 },
    /// `entries` entries became `made` delivery records; the cursor moved to `next`.
    Done {
        next: u64,
        entries: usize,
        made: usize,
    },
}

/// Turns the next entries past the cursor into delivery records and advances the cursor. The
/// caller runs one round at a time (so the cursor only moves forward) and announces the records
/// once their entries are durable (see `runtime::dispatch_pending`).
pub(super) fn round(inner: &Context, default_channels: &[String]) -> Result<Round, StoreError> {
    let log = Log { inner };
    let from = log.position(CURSOR)?;
    let entries = log.entries(from, ENTRIES_PER_ROUND)?;
    let Some(last) = entries.last() else {
        return Ok(Round::Empty { from });
    };
    let next = last.seq + 1;
    let mut batch = Batch {
        inner,
        default_channels,
        rows: Vec::new(),
        created: 0,
        known: Known::default(),
        replaying: inner
            .store
            .deliveries
            .range(crate::store::keys::log_seq(from)..)
            .next()
            .is_some(),
    };
    for entry in &entries {
        plan(inner, entry, &mut batch)?;
    }
    let made = batch.finish(next)?;
    Ok(Round::Done {
        next,
        entries: entries.len(),
        made,
    })
}

/// Delivery records on their way to the store, written a few hundred at a time so an event-wide
/// notification to many holders never builds one huge vector.
struct Batch<'a> {
    inner: &'a Context,
    /// The channels of users who never chose.
    default_channels: &'a [String],
    rows: Vec<Delivery>,
    created: usize,
    known: Known,
    /// Whether records of this round's entries may exist already: some record's entry is at or
    /// past the cursor, left by a run cut off before it moved the cursor. Only dispatch makes
    /// records, one round at a time, and a round never plans one record twice, so otherwise
    /// none does and the round skips looking each one up.
    replaying: bool,
}

/// The event and recipient records a round has read, each read once per round: a sale's
/// bookings all name one event, and reading it again for each was most of the round's reads.
/// A round covers a few milliseconds of the log, so it sees each record as of one moment.
#[derive(Default)]
struct Known {
    events: HashMap<EventId, Option<Rc<AboutEvent>>>,
    recipients: HashMap<UserId, Option<Rc<AboutRecipient>>>,
}

/// What a notification says about its event, and who else its organizer wants told.
struct AboutEvent {
    summary: EventSummary,
    time_zone: String,
    settings: EventNotificationSettings,
    /// Its ticket types' names by number, as its sale state has them.
    type_names: HashMap<TicketTypeId, String>,
}

impl AboutEvent {
    /// A type's name; types that sold seats are never deleted, so the fallback is for a sale
    /// state gone missing.
    fn type_name(&self, id: TicketTypeId) -> String {
        self.type_names
            .get(&id)
            .cloned()
            .unwrap_or_else(|| format!("Type {id}"))
    }
}

/// Who a recipient is and the channels they chose.
struct AboutRecipient {
    recipient: Recipient,
    channels: Vec<String>,
}

impl Known {
    fn event(
        &mut self,
        inner: &Context,
        id: EventId,
    ) -> Result<Option<Rc<AboutEvent>>, StoreError> {
        if let Some(known) = self.events.get(&id) {
            return Ok(known.clone());
        }
        let about = match codec::get::<EventRecord>(&inner.store.events, &id.to_bytes())? {
            Some(record) => Some(Rc::new(AboutEvent {
                time_zone: Zone::stored(&record.time_zone).name().to_owned(),
                settings: settings::event_settings(inner, id)?,
                summary: summary(record),
                type_names: sale_state(&inner.store, id)?
                    .map(|sale| sale.types.into_iter().map(|t| (t.id, t.name)).collect())
                    .unwrap_or_default(),
            })),
            None => None,
        };
        self.events.insert(id, about.clone());
        Ok(about)
    }

    fn recipient(
        &mut self,
        inner: &Context,
        default_channels: &[String],
        id: UserId,
    ) -> Result<Option<Rc<AboutRecipient>>, StoreError> {
        if let Some(known) = self.recipients.get(&id) {
            return Ok(known.clone());
        }
        let about = match crate::users::record::load(&inner.store, id)? {
            Some(record) => Some(Rc::new(AboutRecipient {
                recipient: Recipient {
                    user_id: id,
                    name: record.name,
                    email: record.email,
                },
                channels: settings::preferences(inner, default_channels, id)?.channels,
            })),
            None => None,
        };
        self.recipients.insert(id, about.clone());
        Ok(about)
    }
}

impl Batch<'_> {
    fn push(&mut self, delivery: Delivery) -> Result<(), StoreError> {
        self.rows.push(delivery);
        if self.rows.len() >= DELIVERIES_PER_WRITE {
            self.created += write(self.inner, &self.rows, None, self.replaying)?;
            self.rows.clear();
        }
        Ok(())
    }

    /// Writes the rest together with the cursor moved to `next`: the cursor never passes an
    /// entry whose records are not all written.
    fn finish(self, next: u64) -> Result<usize, StoreError> {
        Ok(self.created + write(self.inner, &self.rows, Some(next), self.replaying)?)
    }
}

/// Writes the records that do not exist yet with their index entries, one due entry per
/// channel for the lot, then the cursor when given; returns how many records it made.
///
/// Plain writes, not a transaction: sled 0.34 runs every transaction under one lock for the
/// whole store, so a round's transaction of hundreds of records held up every booking until it
/// was done. The order keeps a crash harmless instead: sled recovers a prefix of its writes,
/// so a cursor that survived has every record and entry before it, an index entry never points
/// at a missing record, and the entries past a cursor that did not survive are planned again
/// by the next round (`replaying`), which keeps each record it finds as it is and writes that
/// record's index entries and the due entries again (a record that has been attempted since has
/// its own due entry, if it needs one). Workers leave these records alone until the round is
/// over: they take only deliveries of entries known to be durable.
fn write(
    inner: &Context,
    planned: &[Delivery],
    cursor: Option<u64>,
    replaying: bool,
) -> Result<usize, StoreError> {
    let store = &inner.store;
    let mut made = 0;
    // Per channel, the log entries the new deliveries over it come from.
    let mut fresh: BTreeMap<&str, Range<u64>> = BTreeMap::new();
    for delivery in planned {
        let key = delivery.key();
        let exists = replaying && store.deliveries.contains_key(&key)?;
        if !exists {
            store
                .deliveries
                .insert(key.as_slice(), codec::write(delivery))?;
            made += 1;
        }
        let by_user = keys::delivery_by_user(delivery.log_seq, delivery.user, &delivery.channel);
        let by_event = keys::delivery_by_event(delivery.event, &key);
        store.deliveries_by_event.insert(by_event, &[])?;
        store.deliveries_by_user.insert(by_user, &[])?;
        let seqs = fresh
            .entry(delivery.channel.as_str())
            .or_insert(delivery.log_seq..delivery.log_seq);
        seqs.end = delivery.log_seq + 1;
    }
    // One due entry per channel stands for all of these deliveries: one key fewer per delivery
    // took ~40% off dispatch's CPU (docs/performance-history.md). Workers find them in `deliveries`.
    let now = inner.now();
    for (channel, seqs) in fresh {
        let due = keys::due_fresh(channel, now, seqs.start, seqs.end);
        store.deliveries_due.insert(due, &[])?;
    }
    if let Some(next) = cursor {
        store
            .cursors
            .insert(CURSOR, &crate::store::keys::log_seq(next))?;
    }
    Ok(made)
}

/// What a log entry tells, before recipients and channels are known.
struct Plan {
    kind: NotificationKind,
    event: EventId,
    recipients: Vec<UserId>,
    ticket: Option<TicketSummary>,
    changed: Vec<EventField>,
    message: Option<String>,
    offer: Option<OfferSummary>,
    subject: Option<String>,
    queue_pass: Option<QueuePassSummary>,
}

impl Plan {
    /// `kind` about `event` for `recipients`, with none of the fields only some kinds carry.
    fn new(kind: NotificationKind, event: EventId, recipients: Vec<UserId>) -> Plan {
        Plan {
            kind,
            event,
            recipients,
            ticket: None,
            changed: Vec::new(),
            message: None,
            offer: None,
            subject: None,
            queue_pass: None,
        }
    }
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
        ticket: Some(ticket),
        ..Plan::new(kind, event, vec![user])
    })
}

/// The ticket a notification tells about: `quantity` seats charged `amount_minor` in all, as
/// its log entry says. What it is made of is added by [`add_lines`] once its event is known.
fn ticket_summary(
    id: TicketId,
    status: TicketStatus,
    quantity: u32,
    amount_minor: u64,
    expires_at: Option<Timestamp>,
) -> TicketSummary {
    TicketSummary {
        id,
        quantity,
        status,
        amount_minor,
        expires_at,
        lines: Vec::new(),
        discount_minor: 0,
        promo_code: None,
        admissions: Vec::new(),
    }
}

/// Adds to `ticket` what its record says it is made of: its lines with the names their types
/// have now, its discount and its promo code (the prices are the ones charged at booking).
fn add_lines(
    inner: &Context,
    event: &AboutEvent,
    ticket: &mut TicketSummary,
) -> Result<(), StoreError> {
    let Some(record) = ticket_record::load(&inner.store, ticket.id)? else {
        return Ok(());
    };
    ticket.lines = record
        .lines
        .iter()
        .map(|line| TicketLineSummary {
            ticket_type: event.type_name(line.ticket_type),
            quantity: line.quantity,
            unit_price_minor: line.unit_price_minor,
            discount_minor: line.discount_minor,
            amount_minor: line.amount_minor(),
        })
        .collect();
    ticket.discount_minor = record.discount_minor;
    ticket.promo_code = record.promo_code;
    Ok(())
}

fn what_to_tell(inner: &Context, entry: &LogEntry) -> Result<Option<Plan>, StoreError> {
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
            ticket_summary(
                *ticket,
                TicketStatus::Booked,
                *quantity,
                *amount_minor,
                None,
            ),
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
            ticket_summary(
                *ticket,
                TicketStatus::Pending,
                *quantity,
                *amount_minor,
                Some(*expires_at),
            ),
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
            ticket_summary(
                *ticket,
                TicketStatus::Cancelled,
                *quantity,
                *amount_minor,
                None,
            ),
        ),
        DomainEvent::TicketExpired {
            ticket,
            event,
            user,
            quantity,
        } => {
            let amount_minor =
                ticket_record::load(&inner.store, *ticket)?.map_or(0, |t| t.amount_minor);
            ticket_plan(
                K::TicketExpired,
                *event,
                *user,
                ticket_summary(
                    *ticket,
                    TicketStatus::Expired,
                    *quantity,
                    amount_minor,
                    None,
                ),
            )
        }
        DomainEvent::EventUpdated { event, changed }
            if changed.iter().any(|field| NOTEWORTHY.contains(field)) =>
        {
            Some(Plan {
                changed: changed.clone(),
                ..Plan::new(K::EventUpdated, *event, active_holders(inner, *event)?)
            })
        }
        DomainEvent::EventCancelled { event, .. } => Some(Plan::new(
            K::EventCancelled,
            *event,
            active_holders(inner, *event)?,
        )),
        DomainEvent::FeedbackReplied { event, user, .. } => {
            // The reply as it stands now (a later edit is told by its own entry, with the same
            // text if both are dispatched late); none if the feedback was withdrawn meanwhile.
            let feedback = crate::feedback::Feedbacks { inner }.load(*event, *user)?;
            feedback.and_then(|f| f.reply).map(|reply| Plan {
                message: Some(reply.text),
                ..Plan::new(K::FeedbackReply, *event, vec![*user])
            })
        }
        DomainEvent::GuestAccessRequested { user, event } => {
            Some(Plan::new(K::GuestAccess, *event, vec![*user]))
        }
        DomainEvent::FeedbackRequested { event } => Some(Plan {
            message: Some(
                "How was it? Rate the event from 1 to 5 and leave a comment: \
                 POST /api/v1/events/{id}/feedback, or the event's page."
                    .replace("{id}", &event.to_string()),
            ),
            ..Plan::new(K::FeedbackRequest, *event, booked_holders(inner, *event)?)
        }),
        DomainEvent::WaitlistOffered {
            event,
            user,
            ticket_type,
            seats,
            deadline,
            ..
        } => {
            let sale = sale_state(&inner.store, *event)?;
            let type_name = sale
                .as_ref()
                .and_then(|sale| sale.types.iter().find(|t| t.id == *ticket_type))
                .map_or_else(|| format!("Type {ticket_type}"), |t| t.name.clone());
            Some(Plan {
                offer: Some(OfferSummary {
                    seats: *seats,
                    ticket_type: type_name,
                    deadline: *deadline,
                    accept_url: format!("{}/waitlist/{event}", inner.config.public_url),
                }),
                ..Plan::new(K::WaitlistOffer, *event, vec![*user])
            })
        }
        DomainEvent::MessageSent {
            event,
            segment,
            subject,
            body,
            ..
        } => {
            // The segment as it is now; the count is kept for the message's report.
            let recipients = recipients::recipients(inner, *event, *segment)?;
            crate::messages::set_recipients(&inner.store, *event, entry.seq, recipients.len())?;
            Some(Plan {
                message: Some(body.clone()),
                subject: Some(subject.clone()),
                ..Plan::new(K::OrganizerMessage, *event, recipients)
            })
        }
        // A pass that lapsed before dispatch got to it (the store was down, say) is not told:
        // the person could no longer use it.
        DomainEvent::QueueAdmitted {
            event,
            user,
            expires_at,
        } if *expires_at > inner.now() => Some(Plan {
            queue_pass: Some(QueuePassSummary {
                expires_at: *expires_at,
                // The waiting page, which hands the signed-in person their pass.
                url: format!("{}/events/{event}/waiting-room", inner.config.public_url),
            }),
            ..Plan::new(K::QueueAdmitted, *event, vec![*user])
        }),
        _ => None,
    })
}

/// Everyone holding a pending or booked ticket for `event`, each once, in booking order.
fn active_holders(inner: &Context, event: EventId) -> Result<Vec<UserId>, StoreError> {
    recipients::holders(inner, event, |ticket| ticket.status.is_active())
}

/// Everyone holding a booked ticket for `event`, each once, in booking order.
fn booked_holders(inner: &Context, event: EventId) -> Result<Vec<UserId>, StoreError> {
    recipients::holders(inner, event, |ticket| ticket.status == TicketStatus::Booked)
}

fn summary(event: EventRecord) -> EventSummary {
    EventSummary {
        id: event.id,
        title: event.title,
        description: event.description,
        location: event.location,
        starts_at: event.starts_at,
        ends_at: event.ends_at,
        status: event.status,
        price_minor: event.price_minor,
        currency: event.currency,
    }
}

/// Adds the deliveries `entry` calls for to `out`, built from the current user and event records.
fn plan(inner: &Context, entry: &LogEntry, out: &mut Batch<'_>) -> Result<(), StoreError> {
    let Some(mut plan) = what_to_tell(inner, entry)? else {
        return Ok(());
    };
    let Some(event) = out.known.event(inner, plan.event)? else {
        return Ok(());
    };
    // A guest's sign-in link is theirs, not the event's: no event setting turns it off, and it
    // goes over e-mail alone (the one channel that proves the address).
    let guest_access = plan.kind == NotificationKind::GuestAccess;
    if event.settings.disabled_kinds.contains(&plan.kind) && !guest_access {
        return Ok(());
    }
    if let Some(ticket) = &mut plan.ticket {
        add_lines(inner, &event, ticket)?;
    }
    let now = inner.now();
    for user in plan.recipients {
        let Some(recipient) = out.known.recipient(inner, out.default_channels, user)? else {
            continue;
        };
        let mut channels = recipient.channels.clone();
        if guest_access {
            channels = vec![access::EMAIL_CHANNEL.to_owned()];
        }
        for extra in event
            .settings
            .extra_channels
            .iter()
            .filter(|_| !guest_access)
        {
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
                recipient: recipient.recipient.clone(),
                event: event.summary.clone(),
                ticket: plan.ticket.clone(),
                changed: plan.changed.clone(),
                message: plan.message.clone(),
                time_zone: event.time_zone.clone(),
                offer: plan.offer.clone(),
                subject: plan.subject.clone(),
                access: None,
                queue_pass: plan.queue_pass.clone(),
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::notify::Channel;
    use crate::testing::{self, EmailChannel};
    use crate::{Config, PageRequest};

    #[test]
    fn a_round_cut_off_after_its_records_is_finished_by_the_next() {
        let channel = Arc::new(EmailChannel::default());
        let testing::OneBooking {
            prasang,
            organizer,
            ada,
            event,
        } = testing::one_booking(
            Config::temporary()
                .background_tasks(false)
                .channel(Arc::clone(&channel) as Arc<dyn Channel>),
        );

        // What a crash leaves after a round wrote its records but none of their index entries,
        // nor moved the cursor: the record of Ada's e-mail alone.
        let store = &prasang.inner.ctx.store;
        super::super::runtime::dispatch_pending(&prasang.inner.ctx, &prasang.inner.notifier)
            .expect("dispatch");
        assert_eq!(store.deliveries.len(), 1);
        for index in [
            &store.deliveries_by_event,
            &store.deliveries_by_user,
            &store.deliveries_due,
        ] {
            index.clear().expect("clear");
        }
        store.cursors.remove(CURSOR).expect("rewind");

        let report = prasang.run_notifications_once().expect("run");
        assert_eq!(report.created, 0, "the record made before is kept");
        assert_eq!(report.sent, 1, "and it is due again");
        assert_eq!(channel.calls(), 1);
        let page = PageRequest::first(10);
        let notifications = prasang.notifications();
        let to_ada = notifications.deliveries_for_user(&ada, ada.user_id(), &page);
        assert_eq!(to_ada.expect("list").items.len(), 1);
        let about_event = notifications.deliveries_for_event(&organizer, event.id, &page);
        assert_eq!(about_event.expect("list").items.len(), 1);

        assert_eq!(prasang.run_notifications_once().expect("run").sent, 0);
        assert_eq!(channel.calls(), 1, "sent once only");
    }
}
