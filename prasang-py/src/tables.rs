//! Raw tables: events, their ticket types and promo codes, tickets and their lines, seats
//! checked in, waiting list entries, organizer messages (without their text), feedback with
//! replies, attendee demographics and the event log.
//! No table has a name, an e-mail address or a password hash: the core's export API never
//! hands them out.

use std::num::NonZeroUsize;
use std::sync::{Mutex, PoisonError};
use std::{panic, thread};

use prasang_core::EventId;
use prasang_core::Timestamp;
use prasang_core::events::{Event, TicketType};
use prasang_core::export::{
    Attendee, ExportError, MessageSummary, SeatCheckIn, TicketScan, WaitlistRow,
};
use prasang_core::feedback::Feedback;
use prasang_core::log::{DomainEvent, LogEntry};
use prasang_core::messages::{ChannelCounts, MessageReport};
use prasang_core::promo::PromoCode;
use prasang_core::tickets::Ticket;
use pyo3::PyResult;

use crate::table::{Columns, Table};
use crate::vocab::{
    self, AGE_GROUPS, DISCOUNTS, ENTRY_STATES, EVENT_STATUSES, GENDERS, ROLES, SEGMENTS,
    TICKET_STATUSES,
};

fn ms(at: Timestamp) -> Option<i64> {
    Some(at.as_millis())
}

fn ms_opt(at: Option<Timestamp>) -> Option<i64> {
    at.map(Timestamp::as_millis)
}

fn minor(amount: u64) -> i64 {
    i64::try_from(amount).unwrap_or(i64::MAX)
}

pub(crate) fn events(rows: &[Event]) -> PyResult<Table> {
    Table::new(
        Columns::default()
            .text("id", rows.iter().map(|e| e.id.to_string()))
            .text("organizer", rows.iter().map(|e| e.organizer.to_string()))
            .text("title", rows.iter().map(|e| e.title.as_str()))
            .text("location", rows.iter().map(|e| e.location.as_str()))
            .timestamp("starts_at", rows.iter().map(|e| ms(e.starts_at)))
            .timestamp("ends_at", rows.iter().map(|e| ms(e.ends_at)))
            .int("price_minor", rows.iter().map(|e| minor(e.price_minor)))
            .text("currency", rows.iter().map(|e| e.currency.as_str()))
            .int(
                "per_user_limit",
                rows.iter().map(|e| i64::from(e.per_user_limit)),
            )
            .category(
                "status",
                &EVENT_STATUSES,
                rows.iter().map(|e| vocab::event_status(e.status)),
            )
            .int("capacity", rows.iter().map(|e| i64::from(e.seats.capacity)))
            .int(
                "remaining",
                rows.iter().map(|e| i64::from(e.seats.remaining)),
            )
            .int("held", rows.iter().map(|e| i64::from(e.seats.held)))
            .int("booked", rows.iter().map(|e| i64::from(e.seats.booked)))
            .float("average_rating", rows.iter().map(|e| e.rating.average))
            .int(
                "rating_count",
                rows.iter()
                    .map(|e| i64::try_from(e.rating.count).unwrap_or(i64::MAX)),
            )
            .timestamp("created_at", rows.iter().map(|e| ms(e.created_at)))
            .timestamp("updated_at", rows.iter().map(|e| ms(e.updated_at))),
    )
}

fn count(value: u32) -> i64 {
    i64::from(value)
}

/// Every ticket type of every event.
pub(crate) fn ticket_types(rows: &[(EventId, TicketType)]) -> PyResult<Table> {
    Table::new(
        Columns::default()
            .text("event", rows.iter().map(|(e, _)| e.to_string()))
            .int("ticket_type", rows.iter().map(|(_, t)| count(t.id)))
            .text("type_name", rows.iter().map(|(_, t)| t.name.as_str()))
            .int(
                "price_minor",
                rows.iter().map(|(_, t)| minor(t.price_minor)),
            )
            .int_opt("quota", rows.iter().map(|(_, t)| t.quota.map(count)))
            .int("held", rows.iter().map(|(_, t)| count(t.held)))
            .int("booked", rows.iter().map(|(_, t)| count(t.booked)))
            .boolean("hidden", rows.iter().map(|(_, t)| t.hidden))
            .boolean("closed", rows.iter().map(|(_, t)| t.closed))
            .timestamp(
                "sales_open_at",
                rows.iter().map(|(_, t)| ms_opt(t.sales_open_at)),
            )
            .timestamp(
                "sales_close_at",
                rows.iter().map(|(_, t)| ms_opt(t.sales_close_at)),
            ),
    )
}

/// Every promo code of every event: its rules and how many seats use it, never who.
pub(crate) fn promo_codes(rows: &[PromoCode]) -> PyResult<Table> {
    Table::new(
        Columns::default()
            .text("event", rows.iter().map(|c| c.event.to_string()))
            .text("code", rows.iter().map(|c| c.code.as_str()))
            .category(
                "discount",
                &DISCOUNTS,
                rows.iter().map(|c| vocab::discount(c.discount).0),
            )
            .int_opt(
                "discount_value",
                rows.iter().map(|c| vocab::discount(c.discount).1),
            )
            .int_opt("max_uses", rows.iter().map(|c| c.max_uses.map(count)))
            .int("used", rows.iter().map(|c| count(c.used)))
            .timestamp("valid_from", rows.iter().map(|c| ms_opt(c.valid_from)))
            .timestamp("valid_until", rows.iter().map(|c| ms_opt(c.valid_until)))
            .boolean("once_per_user", rows.iter().map(|c| c.once_per_user))
            .boolean("active", rows.iter().map(|c| c.active)),
    )
}

/// How one batch of tickets becomes columns: one row per ticket, or per ticket line.
pub(crate) type TicketColumns = fn(TicketScan) -> Result<Columns, ExportError>;

/// Every ticket, column by column through `columns`, one table batch per part of `scans`
/// (consecutive id ranges), in id order. `threads` workers take the parts from a queue: many
/// small parts keep the workers equally busy however unevenly tickets are spread over the id
/// (time) range.
pub(crate) fn tickets(
    scans: Vec<TicketScan>,
    threads: usize,
    columns: TicketColumns,
) -> Result<Vec<Columns>, ExportError> {
    let queue = Mutex::new(scans.into_iter().enumerate());
    let take = || queue.lock().unwrap_or_else(PoisonError::into_inner).next();
    let mut batches: Vec<(usize, Columns)> = thread::scope(|scope| {
        let workers: Vec<_> = (0..threads.max(1))
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    while let Some((index, scan)) = take() {
                        done.push((index, columns(scan)?));
                    }
                    Ok::<_, ExportError>(done)
                })
            })
            .collect();
        let mut batches = Vec::new();
        for worker in workers {
            let done = worker
                .join()
                .unwrap_or_else(|panic| panic::resume_unwind(panic))?;
            batches.extend(done);
        }
        Ok::<_, ExportError>(batches)
    })?;
    batches.sort_unstable_by_key(|(index, _)| *index);
    Ok(batches.into_iter().map(|(_, columns)| columns).collect())
}

/// How many threads read the tickets tree: one per core.
pub(crate) fn ticket_scan_threads() -> usize {
    thread::available_parallelism().map_or(1, NonZeroUsize::get)
}

/// How many id ranges the tickets tree is cut into per thread.
pub(crate) const TICKET_PARTS_PER_THREAD: usize = 16;

/// One batch of tickets, a row each. Ids go in as stack text (no `String` per id): at a million
/// rows the allocations were a large part of the scan. `ticket_type` is the type of a ticket of
/// one line (null for several: `ticket_lines()` has them).
pub(crate) fn ticket_columns(rows: TicketScan) -> Result<Columns, ExportError> {
    let mut id = Vec::new();
    let mut event = Vec::new();
    let mut user = Vec::new();
    let mut quantity = Vec::new();
    let mut status = Vec::new();
    let mut amount = Vec::new();
    let mut created = Vec::new();
    let mut updated = Vec::new();
    let mut expires = Vec::new();
    let mut ticket_type = Vec::new();
    let mut discount = Vec::new();
    let mut code = Vec::new();
    for ticket in rows {
        let t = ticket?;
        ticket_type.push(match t.lines.as_slice() {
            [line] => Some(count(line.ticket_type)),
            _ => None,
        });
        discount.push(minor(t.discount_minor));
        code.push(t.promo_code);
        id.push(t.id.text());
        event.push(t.event.text());
        user.push(t.user.text());
        quantity.push(i64::from(t.quantity));
        status.push(vocab::ticket_status(t.status));
        amount.push(minor(t.amount_minor));
        created.push(ms(t.created_at));
        updated.push(ms(t.updated_at));
        expires.push(t.expires_at.map(Timestamp::as_millis));
    }
    Ok(Columns::default()
        .ids("id", &id)
        .ids("event", &event)
        .ids("user", &user)
        .int("quantity", quantity)
        .category("status", &TICKET_STATUSES, status)
        .int("amount_minor", amount)
        .timestamp("created_at", created)
        .timestamp("updated_at", updated)
        .timestamp("expires_at", expires)
        .int_opt("ticket_type", ticket_type)
        .text_opt("promo_code", code)
        .int("discount_minor", discount))
}

/// One batch of tickets, a row per line: the seats of one type at the price charged.
pub(crate) fn ticket_line_columns(rows: TicketScan) -> Result<Columns, ExportError> {
    let mut tickets: Vec<Ticket> = Vec::new();
    for ticket in rows {
        tickets.push(ticket?);
    }
    let lines: Vec<_> = tickets
        .iter()
        .flat_map(|t| t.lines.iter().map(move |line| (t, line)))
        .collect();
    Ok(Columns::default()
        .ids(
            "ticket",
            &lines.iter().map(|(t, _)| t.id.text()).collect::<Vec<_>>(),
        )
        .ids(
            "event",
            &lines
                .iter()
                .map(|(t, _)| t.event.text())
                .collect::<Vec<_>>(),
        )
        .int(
            "ticket_type",
            lines.iter().map(|(_, l)| count(l.ticket_type)),
        )
        .int("quantity", lines.iter().map(|(_, l)| count(l.quantity)))
        .int(
            "unit_price_minor",
            lines.iter().map(|(_, l)| minor(l.unit_price_minor)),
        )
        .int(
            "discount_minor",
            lines.iter().map(|(_, l)| minor(l.discount_minor)),
        )
        .int(
            "amount_minor",
            lines.iter().map(|(_, l)| minor(l.amount_minor())),
        )
        .category(
            "status",
            &TICKET_STATUSES,
            lines.iter().map(|(t, _)| vocab::ticket_status(t.status)),
        ))
}

/// Every seat checked in: where and when, never who.
pub(crate) fn check_ins(rows: &[SeatCheckIn]) -> PyResult<Table> {
    Table::new(
        Columns::default()
            .text("event", rows.iter().map(|c| c.event.to_string()))
            .text("ticket", rows.iter().map(|c| c.ticket.to_string()))
            .int("seat", rows.iter().map(|c| count(c.seat)))
            .int("ticket_type", rows.iter().map(|c| count(c.ticket_type)))
            .text("gate", rows.iter().map(|c| c.gate.as_str()))
            .timestamp("scanned_at", rows.iter().map(|c| ms(c.scanned_at)))
            .boolean("offline", rows.iter().map(|c| c.offline)),
    )
}

/// Every waiting list entry ever made: what it waited for and how it ended; its user as an id
/// only.
pub(crate) fn waitlist(rows: &[WaitlistRow]) -> PyResult<Table> {
    Table::new(
        Columns::default()
            .text("event", rows.iter().map(|r| r.event.to_string()))
            .int(
                "entry",
                rows.iter()
                    .map(|r| i64::try_from(r.entry).unwrap_or(i64::MAX)),
            )
            .text("user", rows.iter().map(|r| r.user.to_string()))
            .int("ticket_type", rows.iter().map(|r| count(r.ticket_type)))
            .int("seats", rows.iter().map(|r| count(r.seats)))
            .timestamp("joined_at", rows.iter().map(|r| ms(r.joined_at)))
            .category(
                "state",
                &ENTRY_STATES,
                rows.iter().map(|r| vocab::entry_state(r.state)),
            )
            .int("offers", rows.iter().map(|r| count(r.offers)))
            .int("offered_seats", rows.iter().map(|r| count(r.offered_seats)))
            .timestamp(
                "offer_deadline",
                rows.iter().map(|r| ms_opt(r.offer_deadline)),
            )
            .timestamp("ended_at", rows.iter().map(|r| ms_opt(r.ended_at)))
            .text_opt(
                "ticket",
                rows.iter().map(|r| r.ticket.map(|t| t.to_string())),
            ),
    )
}

/// Every organizer message: to which segment of which event, by whom, when, and the lengths
/// of its subject and body (never their text); with its `report` (if it has one), how many it
/// was for and its deliveries over all channels.
pub(crate) fn messages(
    rows: &[MessageSummary],
    reports: &[Option<MessageReport>],
) -> PyResult<Table> {
    let report = |i: usize| reports.get(i).and_then(Option::as_ref);
    let total = |count: fn(&ChannelCounts) -> u32| {
        (0..rows.len())
            .map(move |i| report(i).map(|r| i64::from(r.channels.iter().map(count).sum::<u32>())))
    };
    Table::new(
        Columns::default()
            .int(
                "message",
                rows.iter()
                    .map(|m| i64::try_from(m.message).unwrap_or(i64::MAX)),
            )
            .text("event", rows.iter().map(|m| m.event.to_string()))
            .text("sent_by", rows.iter().map(|m| m.sent_by.to_string()))
            .category(
                "segment",
                &SEGMENTS,
                rows.iter().map(|m| vocab::segment(m.segment).0),
            )
            .int_opt(
                "ticket_type",
                rows.iter().map(|m| vocab::segment(m.segment).1),
            )
            .timestamp("sent_at", rows.iter().map(|m| ms(m.sent_at)))
            .int("subject_chars", rows.iter().map(|m| count(m.subject_chars)))
            .int("body_chars", rows.iter().map(|m| count(m.body_chars)))
            .int_opt(
                "recipients",
                (0..rows.len()).map(|i| report(i).and_then(|r| r.message.recipients).map(count)),
            )
            .int_opt(
                "unreached",
                (0..rows.len()).map(|i| report(i).and_then(|r| r.unreached).map(count)),
            )
            .int_opt("sent", total(|c| c.sent))
            .int_opt("failed", total(|c| c.failed))
            .int_opt("pending", total(|c| c.pending))
            .int_opt("skipped", total(|c| c.skipped)),
    )
}

pub(crate) fn feedback(rows: &[Feedback]) -> PyResult<Table> {
    Table::new(
        Columns::default()
            .text("event", rows.iter().map(|f| f.event.to_string()))
            .text("user", rows.iter().map(|f| f.user.to_string()))
            .int("rating", rows.iter().map(|f| i64::from(f.rating)))
            .text_opt("comment", rows.iter().map(|f| f.comment.as_deref()))
            .timestamp("created_at", rows.iter().map(|f| ms(f.created_at)))
            .timestamp("updated_at", rows.iter().map(|f| ms(f.updated_at)))
            .text_opt(
                "reply",
                rows.iter()
                    .map(|f| f.reply.as_ref().map(|r| r.text.as_str())),
            )
            .text_opt(
                "reply_by",
                rows.iter()
                    .map(|f| f.reply.as_ref().map(|r| r.by.to_string())),
            )
            .timestamp(
                "reply_updated_at",
                rows.iter()
                    .map(|f| f.reply.as_ref().map(|r| r.updated_at.as_millis())),
            ),
    )
}

pub(crate) fn attendees(rows: &[Attendee]) -> PyResult<Table> {
    let group = |a: &Attendee| vocab::age_group(a.age_group);
    Table::new(
        Columns::default()
            .text("id", rows.iter().map(|a| a.id.to_string()))
            .category("role", &ROLES, rows.iter().map(|a| vocab::role(a.role)))
            .category(
                "gender",
                &GENDERS,
                rows.iter().map(|a| vocab::gender(a.gender)),
            )
            .category("age_group", &AGE_GROUPS, rows.iter().map(group))
            .boolean("guest", rows.iter().map(|a| a.guest))
            .timestamp("created_at", rows.iter().map(|a| ms(a.created_at))),
    )
}

/// The log: sequence number, time, kind (`ticket_booked`) and the entry's fields as JSON text
/// (see [`log_row`]).
pub(crate) fn log(rows: &[LogEntry]) -> PyResult<Table> {
    let (kinds, data): (Vec<String>, Vec<String>) =
        rows.iter().map(|entry| log_row(&entry.event)).unzip();
    Table::new(
        Columns::default()
            .int(
                "seq",
                rows.iter()
                    .map(|e| i64::try_from(e.seq).unwrap_or(i64::MAX)),
            )
            .timestamp("at", rows.iter().map(|e| ms(e.at)))
            .text("kind", kinds)
            .text("data", data),
    )
}

/// A log entry's kind and fields as JSON text. Entries carry ids, not names or e-mail
/// addresses (a guest's checkout logs `guest_created` with the account's id; names per seat
/// log `ticket_names_changed` without the names). An organizer's message keeps the lengths of
/// its subject and body, not their text (as the `messages()` table: the words are the
/// organizer's to their attendees, and may name people).
fn log_row(event: &DomainEvent) -> (String, String) {
    match serde_json::to_value(event) {
        Ok(serde_json::Value::Object(map)) if map.len() == 1 => {
            let (kind, mut fields) = map.into_iter().next().unwrap_or_default();
            if let serde_json::Value::Object(fields) = &mut fields {
                for text in ["subject", "body"] {
                    if let Some(serde_json::Value::String(words)) = fields.remove(text) {
                        fields.insert(format!("{text}_chars"), words.chars().count().into());
                    }
                }
            }
            (kind, fields.to_string())
        }
        Ok(serde_json::Value::String(kind)) => (kind, "{}".to_owned()),
        Ok(other) => ("unknown".to_owned(), other.to_string()),
        Err(_) => ("unknown".to_owned(), "{}".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use prasang_core::users::Gender;
    use prasang_core::{EventId, TicketId, UserId};

    use super::*;

    /// The fields of `event`'s row, by name.
    fn fields(event: &DomainEvent) -> (String, Vec<String>) {
        let (kind, data) = log_row(event);
        let data: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&data).expect("JSON fields");
        (kind, data.keys().cloned().collect())
    }

    #[test]
    fn guests_and_names_per_seat_are_logged_with_ids_only() {
        let (user, event, ticket) = (
            UserId::from_bytes([1; 16]),
            EventId::from_bytes([2; 16]),
            TicketId::from_bytes([3; 16]),
        );
        let rows = [
            DomainEvent::GuestCreated { user },
            DomainEvent::GuestAccessRequested { user, event },
            DomainEvent::GuestRegistered {
                user,
                gender: Gender::Female,
                age: 30,
            },
            DomainEvent::TicketNamesChanged { ticket, event },
        ];
        let logged: Vec<_> = rows.iter().map(fields).collect();
        let expected = [
            ("guest_created", &["user"][..]),
            ("guest_access_requested", &["event", "user"]),
            ("guest_registered", &["age", "gender", "user"]),
            ("ticket_names_changed", &["event", "ticket"]),
        ];
        for ((kind, mut keys), (want_kind, want_keys)) in logged.into_iter().zip(expected) {
            keys.sort();
            let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
            assert_eq!((kind.as_str(), keys.as_slice()), (want_kind, want_keys));
        }
    }
}
