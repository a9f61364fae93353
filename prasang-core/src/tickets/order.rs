//! The rules of an order, as pure functions over the records: which ticket types its lines
//! book, whether each line fits (the type's window, per-order and per-user limits, its quota,
//! the event's seats), what a promo code takes off, and what the sale state becomes. All lines
//! fit or the order is refused, naming the first line that does not.

use super::group::Wanted;
use super::held::Booked;
use super::{TicketError, TicketLine, TicketStatus};
use crate::error::{CommonError, Subject};
use crate::events::types::{TypeAvailability, TypeSale};
use crate::events::{EventStatus, SaleState, TicketTypeId};
use crate::promo::PromoRefusal;
use crate::promo::record::PromoRecord;
use crate::time::Timestamp;

/// The promo code an order names, as the booking found it.
#[derive(Clone, Copy)]
pub(super) enum Promo<'a> {
    /// The event has no such code.
    Unknown,
    /// The code, and how many active tickets of the buyer use it already.
    Found(&'a PromoRecord, u32),
}

/// What an order takes and charges: [`Decision::apply`] takes it from the sale state.
#[derive(Debug, PartialEq)]
pub(super) struct Decision {
    /// `Booked` when nothing is to be paid; `Pending` (held until paid) otherwise.
    pub(super) status: TicketStatus,
    /// What is charged for all seats.
    pub(super) amount_minor: u64,
    /// Seats per type at the prices charged.
    pub(super) lines: Vec<TicketLine>,
    /// Seats the promo code is used for.
    pub(super) promo_seats: u32,
}

/// The type an order without lines books: the first listed type on sale, else the first
/// listed one (whose refusal then says why it does not sell).
fn default_type(sale: &SaleState, now: Timestamp) -> Option<&TypeSale> {
    let mut listed = sale.types.iter().filter(|sale_type| !sale_type.hidden);
    let first = listed.clone().next();
    listed
        .find(|sale_type| {
            sale_type.availability(now, sale.seats.remaining) == TypeAvailability::OnSale
        })
        .or(first)
}

/// Why a type that exists does not sell at `now`, if it does not.
fn not_selling(sale_type: &TypeSale, now: Timestamp) -> Option<TicketError> {
    // Sold out is decided below with the order's own seats.
    match sale_type.availability(now, u32::MAX) {
        TypeAvailability::Closed => Some(TicketError::NotOnSale("this ticket type is closed")),
        TypeAvailability::NotYetOpen => Some(TicketError::NotOnSale(
            "this ticket type is not on sale yet",
        )),
        TypeAvailability::SaleEnded => Some(TicketError::NotOnSale(
            "the sale of this ticket type has ended",
        )),
        TypeAvailability::OnSale | TypeAvailability::SoldOut => None,
    }
}

/// Decides an order of `wanted` seats by a user who holds `held` of the event already, with
/// `promo` if the order names a code, at `now`. Checked in this order: the event is on sale,
/// the event's per-user limit, the code is valid, then each line (its type exists and is
/// listed or revealed by the code, sells now, the per-order and per-type limits, the type's
/// quota, the event's seats), then the code's uses. A refusal of a line names it when the
/// order came with lines.
pub(super) fn decide(
    sale: &SaleState,
    held: &Booked,
    wanted: &Wanted,
    promo: Option<Promo<'_>>,
    now: Timestamp,
) -> Result<Decision, TicketError> {
    if sale.status == EventStatus::Cancelled {
        return Err(TicketError::NotOnSale("the event is cancelled"));
    }
    if sale.starts_at <= now {
        return Err(TicketError::NotOnSale("the event has already started"));
    }
    let total = wanted.total();
    if held.seats() + total > sale.per_user_limit {
        return Err(TicketError::LimitReached {
            limit: sale.per_user_limit,
            held: held.seats(),
        });
    }
    let promo = match promo {
        None => None,
        Some(Promo::Unknown) => return Err(PromoRefusal::Unknown.into()),
        Some(Promo::Found(record, user_tickets)) => {
            record.check_valid(now)?;
            Some((record, user_tickets))
        }
    };
    let named = matches!(wanted, Wanted::Lines(_));
    let default_line;
    let lines: &[(TicketTypeId, u32)] = match wanted {
        Wanted::Default(quantity) => match default_type(sale, now) {
            Some(sale_type) => {
                default_line = [(sale_type.id, *quantity)];
                &default_line
            }
            None => return Err(TicketError::NotOnSale("no ticket type is on sale")),
        },
        Wanted::Lines(lines) => lines,
    };
    // Each type appears in one line only (checked with the request), so each line is checked
    // against its type as stored and against the event's seats the earlier lines left.
    let mut remaining = sale.seats.remaining;
    let mut decided = Vec::with_capacity(lines.len());
    let mut promo_seats = 0u32;
    for (index, &(type_id, quantity)) in lines.iter().enumerate() {
        let refuse = |refusal: TicketError, name: &str| {
            if named {
                TicketError::InLine {
                    line: index,
                    ticket_type: type_id,
                    name: name.to_owned(),
                    refusal: Box::new(refusal),
                }
            } else {
                refusal
            }
        };
        let revealed = promo.is_some_and(|(record, _)| record.reveals(type_id));
        let Some(sale_type) = sale
            .ticket_type(type_id)
            .filter(|sale_type| !sale_type.hidden || revealed)
        else {
            let missing = CommonError::NotFound(Subject::TicketType).into();
            return Err(refuse(missing, ""));
        };
        let line = check_line(sale_type, held, quantity, remaining, now)
            .map_err(|refusal| refuse(refusal, &sale_type.name))?;
        let applies = promo.is_some_and(|(record, _)| record.applies_to(type_id));
        let discount_minor = match promo {
            Some((record, _)) if applies => record
                .discount
                .off_one_seat(sale_type.price_minor)
                .saturating_mul(u64::from(quantity)),
            _ => 0,
        };
        if applies {
            promo_seats += quantity;
        }
        remaining -= quantity;
        decided.push(TicketLine {
            discount_minor,
            ..line
        });
    }
    if let Some((record, user_tickets)) = promo {
        record.check_use(promo_seats, user_tickets)?;
    }
    let amount_minor = decided.iter().map(TicketLine::amount_minor).sum::<u64>();
    let status = if amount_minor > 0 {
        TicketStatus::Pending
    } else {
        TicketStatus::Booked
    };
    Ok(Decision {
        status,
        amount_minor,
        lines: decided,
        promo_seats,
    })
}

impl Decision {
    /// Takes the order's seats from the sale state it was decided on: held while pending,
    /// booked otherwise, from the event and from each line's type.
    pub(super) fn apply(&self, sale: &mut SaleState) {
        let pending = self.status == TicketStatus::Pending;
        let mut total = 0;
        for line in &self.lines {
            if let Some(sale_type) = sale.ticket_type_mut(line.ticket_type) {
                let counter = if pending {
                    &mut sale_type.held
                } else {
                    &mut sale_type.booked
                };
                *counter += line.quantity;
                sale_type.tickets_issued = sale_type.tickets_issued.saturating_add(1);
            }
            total += line.quantity;
        }
        sale.seats.remaining -= total;
        if pending {
            sale.seats.held += total;
        } else {
            sale.seats.booked += total;
        }
        sale.tickets_issued += 1;
    }
}

/// Checks one line of `quantity` seats of `sale_type` fits, with `remaining` seats of the
/// event free for it; the line at full price.
fn check_line(
    sale_type: &TypeSale,
    held: &Booked,
    quantity: u32,
    remaining: u32,
    now: Timestamp,
) -> Result<TicketLine, TicketError> {
    if let Some(refusal) = not_selling(sale_type, now) {
        return Err(refusal);
    }
    if quantity < sale_type.min_per_order
        || sale_type.max_per_order.is_some_and(|max| quantity > max)
    {
        return Err(TicketError::OrderLimit {
            min: sale_type.min_per_order,
            max: sale_type.max_per_order,
        });
    }
    if let Some(limit) = sale_type.per_user_limit {
        let of_type = held.seats_of(sale_type.id);
        if of_type + quantity > limit {
            return Err(TicketError::LimitReached {
                limit,
                held: of_type,
            });
        }
    }
    if let Some(left) = sale_type.quota_left().filter(|&left| quantity > left) {
        return Err(TicketError::TypeSoldOut { remaining: left });
    }
    if quantity > remaining {
        return Err(TicketError::SoldOut { remaining });
    }
    Ok(TicketLine {
        ticket_type: sale_type.id,
        quantity,
        unit_price_minor: sale_type.price_minor,
        discount_minor: 0,
    })
}

/// Whether a refusal is a per-user limit (of the event or, inside a line, of a type): the
/// writer's remembered bound may be stale, so it counts exactly and decides again.
pub(super) fn is_limit(refusal: &TicketError) -> bool {
    match refusal {
        TicketError::LimitReached { .. } => true,
        TicketError::InLine { refusal, .. } => is_limit(refusal),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::events::record::SeatCounters;
    use crate::ids::UserId;
    use crate::promo::Discount;
    use crate::tickets::held::Holding;

    const NOW: Timestamp = Timestamp::from_millis(1_893_456_000_000);

    fn typed(id: TicketTypeId, name: &str, price_minor: u64) -> TypeSale {
        TypeSale {
            id,
            name: name.into(),
            ..TypeSale::admission(price_minor)
        }
    }

    /// An event of 10 seats, limit 4 per user, with Adult (25.00), Child (free, quota 2) and a
    /// hidden VIP type (100.00).
    fn family_event() -> SaleState {
        SaleState {
            attendee_names: Default::default(),
            organizer: UserId::generate(),
            seats: SeatCounters::empty(10),
            per_user_limit: 4,
            starts_at: NOW.plus(Duration::from_secs(3600)),
            status: EventStatus::Published,
            tickets_issued: 0,
            types: vec![
                typed(1, "Adult", 2_500),
                TypeSale {
                    quota: Some(2),
                    ..typed(2, "Child", 0)
                },
                TypeSale {
                    hidden: true,
                    ..typed(3, "VIP", 10_000)
                },
            ],
            last_type_id: 3,
            waitlist: None,
        }
    }

    fn nothing_held() -> Booked {
        Booked::from_memory(&Holding::default())
    }

    fn code(discount: Discount) -> PromoRecord {
        PromoRecord {
            code: "FAMILY".into(),
            discount,
            applies_to: vec![],
            reveals: vec![3],
            max_uses: Some(3),
            used: 0,
            valid_from: None,
            valid_until: None,
            once_per_user: false,
            active: true,
            created_at: NOW,
            updated_at: NOW,
        }
    }

    fn order(lines: &[(TicketTypeId, u32)]) -> Wanted {
        Wanted::Lines(lines.to_vec())
    }

    #[test]
    fn lines_of_several_types_are_one_pending_order_at_their_prices() {
        let sale = family_event();
        let decision =
            decide(&sale, &nothing_held(), &order(&[(1, 2), (2, 1)]), None, NOW).expect("fits");
        assert_eq!(decision.status, TicketStatus::Pending);
        assert_eq!(decision.amount_minor, 5_000);
        assert_eq!(decision.lines.len(), 2);
        let mut after = sale.clone();
        decision.apply(&mut after);
        assert_eq!((after.seats.remaining, after.seats.held), (7, 3));
        assert_eq!(after.types[0].held, 2);
        assert_eq!(after.types[1].held, 1);
        assert_eq!(after.types[1].tickets_issued, 1);
    }

    #[test]
    fn an_order_that_costs_nothing_is_booked_at_once() {
        let mut sale = family_event();
        let decision = decide(&sale, &nothing_held(), &order(&[(2, 2)]), None, NOW).expect("free");
        assert_eq!(decision.status, TicketStatus::Booked);
        decision.apply(&mut sale);
        assert_eq!(sale.types[1].booked, 2);
        assert_eq!(sale.seats.booked, 2);
        assert_eq!(sale.tickets_issued, 1);
    }

    #[test]
    fn a_line_over_its_types_quota_refuses_the_whole_order_naming_it() {
        let refused = decide(
            &family_event(),
            &nothing_held(),
            &order(&[(1, 1), (2, 3)]),
            None,
            NOW,
        );
        match refused {
            Err(TicketError::InLine {
                line: 1,
                ticket_type: 2,
                name,
                refusal,
            }) => {
                assert_eq!(name, "Child");
                assert!(matches!(
                    *refusal,
                    TicketError::TypeSoldOut { remaining: 2 }
                ));
            }
            other => panic!("expected the second line refused, got {other:?}"),
        }
    }

    #[test]
    fn hidden_types_are_unknown_without_a_code_that_reveals_them() {
        let sale = family_event();
        let hidden = decide(&sale, &nothing_held(), &order(&[(3, 1)]), None, NOW);
        assert!(matches!(
            hidden,
            Err(TicketError::InLine { refusal, .. })
                if matches!(*refusal, TicketError::Common(CommonError::NotFound(Subject::TicketType)))
        ));
        let vip = code(Discount::None);
        let revealed = decide(
            &sale,
            &nothing_held(),
            &order(&[(3, 1)]),
            Some(Promo::Found(&vip, 0)),
            NOW,
        )
        .expect("revealed");
        assert_eq!(revealed.amount_minor, 10_000);
    }

    #[test]
    fn a_code_discounts_the_lines_it_applies_to_and_counts_their_seats() {
        let sale = family_event();
        let mut ten_percent = code(Discount::Percent(10));
        ten_percent.applies_to = vec![1];
        let decision = decide(
            &sale,
            &nothing_held(),
            &order(&[(1, 2), (2, 1)]),
            Some(Promo::Found(&ten_percent, 0)),
            NOW,
        )
        .expect("discounted");
        assert_eq!(decision.lines[0].discount_minor, 500);
        assert_eq!(decision.lines[1].discount_minor, 0);
        assert_eq!(decision.amount_minor, 4_500);
        assert_eq!(decision.promo_seats, 2);

        let used_up = PromoRecord {
            used: 2,
            ..ten_percent.clone()
        };
        let refused = decide(
            &sale,
            &nothing_held(),
            &order(&[(1, 2)]),
            Some(Promo::Found(&used_up, 0)),
            NOW,
        );
        assert!(matches!(
            refused,
            Err(TicketError::PromoRefused {
                refusal: PromoRefusal::UsedUp { left: 1 },
                ..
            })
        ));
        let child_only = decide(
            &sale,
            &nothing_held(),
            &order(&[(2, 1)]),
            Some(Promo::Found(&ten_percent, 0)),
            NOW,
        );
        assert!(matches!(
            child_only,
            Err(TicketError::PromoRefused {
                refusal: PromoRefusal::NotApplicable,
                ..
            })
        ));
        let unknown = decide(
            &sale,
            &nothing_held(),
            &order(&[(1, 1)]),
            Some(Promo::Unknown),
            NOW,
        );
        assert!(matches!(
            unknown,
            Err(TicketError::PromoRefused {
                refusal: PromoRefusal::Unknown,
                ..
            })
        ));
    }

    #[test]
    fn a_free_code_makes_the_order_free_and_booked() {
        let free = code(Discount::Free);
        let decision = decide(
            &family_event(),
            &nothing_held(),
            &order(&[(1, 2)]),
            Some(Promo::Found(&free, 0)),
            NOW,
        )
        .expect("free");
        assert_eq!(
            (decision.amount_minor, decision.status),
            (0, TicketStatus::Booked)
        );
    }

    #[test]
    fn per_type_limits_windows_and_order_sizes() {
        let mut sale = family_event();
        sale.types[0].per_user_limit = Some(2);
        sale.types[0].max_per_order = Some(2);
        sale.types[1].min_per_order = 2;
        let mut held = nothing_held();
        held.before_by_type.add(1, 1);
        held.before = 1;
        let over = decide(&sale, &held, &order(&[(1, 2)]), None, NOW);
        assert!(matches!(&over, Err(error) if is_limit(error)));
        let too_few = decide(&sale, &nothing_held(), &order(&[(2, 1)]), None, NOW);
        assert!(matches!(
            too_few,
            Err(TicketError::InLine { refusal, .. })
                if matches!(*refusal, TicketError::OrderLimit { min: 2, .. })
        ));
        sale.types[0].sales_close_at = Some(NOW);
        let ended = decide(&sale, &nothing_held(), &order(&[(1, 1)]), None, NOW);
        assert!(matches!(
            ended,
            Err(TicketError::InLine { refusal, .. }) if matches!(*refusal, TicketError::NotOnSale(_))
        ));
    }

    #[test]
    fn an_order_without_lines_books_the_first_listed_type_on_sale() {
        let mut sale = family_event();
        sale.types[0].closed = true;
        let decision =
            decide(&sale, &nothing_held(), &Wanted::Default(1), None, NOW).expect("child");
        assert_eq!(decision.lines[0].ticket_type, 2);
        sale.types[1].closed = true;
        let refused = decide(&sale, &nothing_held(), &Wanted::Default(1), None, NOW);
        assert!(matches!(refused, Err(TicketError::NotOnSale(_))));
    }

    #[test]
    fn the_events_own_rules_come_first() {
        let mut sale = family_event();
        let over = decide(&sale, &nothing_held(), &order(&[(1, 3), (2, 2)]), None, NOW);
        assert!(matches!(
            over,
            Err(TicketError::LimitReached { limit: 4, held: 0 })
        ));
        sale.seats = SeatCounters {
            capacity: 10,
            remaining: 1,
            held: 0,
            booked: 9,
        };
        let sold_out = decide(&sale, &nothing_held(), &Wanted::Default(2), None, NOW);
        assert!(matches!(
            sold_out,
            Err(TicketError::SoldOut { remaining: 1 })
        ));
        let started = decide(
            &sale,
            &nothing_held(),
            &Wanted::Default(1),
            None,
            sale.starts_at,
        );
        assert!(matches!(started, Err(TicketError::NotOnSale(_))));
        sale.status = EventStatus::Cancelled;
        let cancelled = decide(&sale, &nothing_held(), &Wanted::Default(1), None, NOW);
        assert!(matches!(cancelled, Err(TicketError::NotOnSale(_))));
    }
}
