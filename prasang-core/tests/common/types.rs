//! Ticket types and promo codes in the integration tests: events of several types, codes,
//! orders across types, the counters as the organizer sees them, and the same counters
//! recomputed from the log.

use std::collections::{BTreeMap, HashMap};

use prasang_core::auth::Actor;
use prasang_core::events::{NewEvent, NewTicketType, TicketTypeId};
use prasang_core::log::DomainEvent;
use prasang_core::promo::{Discount, NewPromoCode};
use prasang_core::tickets::{BookingRequest, TicketError, TicketLine};
use prasang_core::{DomainError, EventId, Prasang, TicketId};

/// A ticket type named `name` at `price_minor` a seat, with its own `quota` if given.
pub fn ticket_type(name: &str, price_minor: i64, quota: Option<i64>) -> NewTicketType {
    NewTicketType {
        name: name.into(),
        price_minor,
        quota,
        ..Default::default()
    }
}

/// [`super::new_event`] selling `types` instead of one price.
pub fn typed_event(capacity: i64, per_user_limit: i64, types: Vec<NewTicketType>) -> NewEvent {
    NewEvent {
        ticket_types: Some(types),
        ..super::new_event(capacity, 0, per_user_limit)
    }
}

/// A code that applies to every type and reveals none, valid at once and for ever.
pub fn promo_code(
    code: &str,
    discount: Discount,
    max_uses: Option<i64>,
    once_per_user: bool,
) -> NewPromoCode {
    NewPromoCode {
        max_uses,
        once_per_user,
        ..NewPromoCode::new(code, discount)
    }
}

/// Creates `event` as `organizer`, then `code` for it; both must succeed.
pub fn event_with_code(
    prasang: &Prasang,
    organizer: &Actor,
    event: NewEvent,
    code: NewPromoCode,
) -> EventId {
    let event = prasang
        .events()
        .create(organizer, event)
        .expect("create event")
        .id;
    prasang
        .promo_codes()
        .create(organizer, event, code)
        .expect("create promo code");
    event
}

/// A booking of `lines` (type, seats) of `event`, with `code` if given.
pub fn order(event: EventId, lines: &[(TicketTypeId, i64)], code: Option<&str>) -> BookingRequest {
    BookingRequest::order(event, lines, code)
}

/// Seats held and booked.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Taken {
    pub held: u32,
    pub booked: u32,
}

impl Taken {
    pub fn total(self) -> u32 {
        self.held + self.booked
    }
}

/// Each type's seats held and booked, as the organizer's list of types says.
pub fn type_counters(
    prasang: &Prasang,
    organizer: &Actor,
    event: EventId,
) -> BTreeMap<TicketTypeId, Taken> {
    prasang
        .events()
        .ticket_types(organizer, event)
        .expect("ticket types")
        .into_iter()
        .map(|t| {
            let taken = Taken {
                held: t.held,
                booked: t.booked,
            };
            (t.id, taken)
        })
        .collect()
}

/// The seats `code` of `event` is used for, as the organizer sees it.
pub fn code_used(prasang: &Prasang, organizer: &Actor, event: EventId, code: &str) -> u32 {
    prasang
        .promo_codes()
        .get(organizer, event, code)
        .expect("promo code")
        .used
}

/// The problem code of a refusal (`sold-out`, `promo-code-used-up`, ...), whatever line it is in.
pub fn refusal_code(error: &TicketError) -> &'static str {
    error.info().code
}

/// One event's types and codes as the log tells them, replayed in order.
#[derive(Debug, Default)]
pub struct Replayed {
    /// Seats per type now.
    pub by_type: BTreeMap<TicketTypeId, Taken>,
    /// Seats each code is used for now.
    pub code_seats: BTreeMap<String, u32>,
    /// The most seats of each type ever taken at once.
    pub peak_by_type: BTreeMap<TicketTypeId, u32>,
    /// The most seats of the event ever taken at once.
    pub peak: u32,
}

/// A ticket the replay has seen ordered.
struct Ordered {
    lines: Vec<TicketLine>,
    code_seats: Option<(String, u32)>,
    pending: bool,
    active: bool,
}

/// Replays the log (see [`super::crash::log_entries`]) for `event`: `TicketOrdered` gives each
/// ticket's lines, code and the seats the code was used for, `TicketPending`/`TicketBooked` take
/// them, `TicketCancelled` and `TicketExpired` give them back.
pub fn replay_log(entries: &[prasang_core::log::LogEntry], event: EventId) -> Replayed {
    let mut replayed = Replayed::default();
    let mut tickets: HashMap<TicketId, Ordered> = HashMap::new();
    for entry in entries {
        match &entry.event {
            DomainEvent::TicketOrdered {
                ticket,
                event: of,
                lines,
                promo_code,
                promo_seats,
            } if *of == event => {
                let code_seats = promo_code.clone().map(|code| (code, *promo_seats));
                let ordered = Ordered {
                    lines: lines.clone(),
                    code_seats,
                    pending: false,
                    active: false,
                };
                tickets.insert(*ticket, ordered);
            }
            DomainEvent::TicketPending { ticket, .. }
            | DomainEvent::TicketBooked { ticket, .. } => {
                let Some(ordered) = tickets.get_mut(ticket) else {
                    continue;
                };
                let pending = matches!(entry.event, DomainEvent::TicketPending { .. });
                if ordered.active {
                    // A payment confirmed: the held seats become booked.
                    for line in &ordered.lines {
                        let taken = replayed.by_type.entry(line.ticket_type).or_default();
                        taken.held -= line.quantity;
                        taken.booked += line.quantity;
                    }
                } else {
                    take(&mut replayed, ordered, pending, 1);
                }
                ordered.pending = pending;
                ordered.active = true;
            }
            DomainEvent::TicketCancelled { ticket, .. }
            | DomainEvent::TicketExpired { ticket, .. } => {
                let Some(ordered) = tickets.get_mut(ticket) else {
                    continue;
                };
                assert!(ordered.active, "ticket {ticket} released while inactive");
                take(&mut replayed, ordered, ordered.pending, -1);
                ordered.active = false;
            }
            _ => {}
        }
        let mut total = 0;
        for (ticket_type, taken) in &replayed.by_type {
            let peak = replayed.peak_by_type.entry(*ticket_type).or_default();
            *peak = (*peak).max(taken.total());
            total += taken.total();
        }
        replayed.peak = replayed.peak.max(total);
    }
    replayed
}

/// Takes (`sign` 1) or gives back (-1) a ticket's seats and code uses.
fn take(replayed: &mut Replayed, ordered: &Ordered, pending: bool, sign: i64) {
    let apply = |counter: &mut u32, seats: u32| {
        *counter = u32::try_from(i64::from(*counter) + sign * i64::from(seats))
            .expect("the log gives back more than was taken");
    };
    for line in &ordered.lines {
        let taken = replayed.by_type.entry(line.ticket_type).or_default();
        apply(
            if pending {
                &mut taken.held
            } else {
                &mut taken.booked
            },
            line.quantity,
        );
    }
    if let Some((code, seats)) = &ordered.code_seats {
        apply(replayed.code_seats.entry(code.clone()).or_default(), *seats);
    }
}
