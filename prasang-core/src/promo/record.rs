//! What the `promo_codes` and `promo_uses` trees store, and the rules a booking applies with a
//! code: whether it may be used now, by this user, for these seats, and what it takes off.

use serde::{Deserialize, Serialize};

use crate::events::TicketTypeId;
use crate::ids::{EventId, UserId};
use crate::limits;
use crate::store::codec::Record;
use crate::time::Timestamp;
use crate::validate::FieldError;

/// What a code takes off each seat it applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Discount {
    /// This percentage of the seat's price (1–100), rounded to the nearest minor unit.
    Percent(u8),
    /// This many minor units off each seat (never below free).
    PerSeat(u64),
    /// The seat is free.
    Free,
    /// Nothing off: the code only reveals hidden ticket types.
    None,
}

impl Discount {
    /// What the discount takes off one seat priced `unit_price`.
    pub fn off_one_seat(self, unit_price: u64) -> u64 {
        match self {
            Discount::Percent(percent) => {
                let off = (u128::from(unit_price) * u128::from(percent) + 50) / 100;
                u64::try_from(off).unwrap_or(unit_price).min(unit_price)
            }
            Discount::PerSeat(amount) => amount.min(unit_price),
            Discount::Free => unit_price,
            Discount::None => 0,
        }
    }

    /// Checks the amount is within the published limits.
    pub(crate) fn check(self) -> Result<Self, FieldError> {
        let within = match self {
            Discount::Percent(percent) => limits::PROMO_PERCENT.contains(i64::from(percent)),
            Discount::PerSeat(amount) => {
                i64::try_from(amount).is_ok_and(|amount| limits::PROMO_AMOUNT.contains(amount))
            }
            Discount::Free | Discount::None => true,
        };
        if within {
            Ok(self)
        } else {
            Err(FieldError::new(
                "discount",
                format!(
                    "a percentage is {} to {}; an amount per seat {} to {} minor units",
                    limits::PROMO_PERCENT.min,
                    limits::PROMO_PERCENT.max,
                    limits::PROMO_AMOUNT.min,
                    limits::PROMO_AMOUNT.max
                ),
            ))
        }
    }
}

/// A promo code as stored in `promo_codes` under its event and upper-case text (version 1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct PromoRecord {
    pub(crate) code: String,
    pub(crate) discount: Discount,
    /// Types it applies to; empty: every type.
    pub(crate) applies_to: Vec<TicketTypeId>,
    /// Hidden types it makes bookable.
    pub(crate) reveals: Vec<TicketTypeId>,
    /// Most seats it may be used for.
    pub(crate) max_uses: Option<u32>,
    /// Seats it is used for by active (pending or booked) tickets.
    pub(crate) used: u32,
    pub(crate) valid_from: Option<Timestamp>,
    pub(crate) valid_until: Option<Timestamp>,
    /// Whether a user may hold only one active ticket with it.
    pub(crate) once_per_user: bool,
    pub(crate) active: bool,
    pub(crate) created_at: Timestamp,
    pub(crate) updated_at: Timestamp,
}

impl Record for PromoRecord {
    const TREE: &'static str = "promo_codes";
    const VERSION: u8 = 1;
}

/// Why a code cannot be used for a booking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromoRefusal {
    /// No such code for this event.
    Unknown,
    /// The organizer deactivated it.
    Inactive,
    /// Its validity has not begun.
    NotYetValid,
    /// Its validity has ended.
    Expired,
    /// Fewer uses left than the booking's seats it applies to.
    UsedUp {
        /// Seats it may still be used for.
        left: u32,
    },
    /// It applies to none of the booking's ticket types.
    NotApplicable,
    /// The user already holds a ticket with this once-per-user code.
    AlreadyUsed,
}

impl PromoRefusal {
    /// The refusal in words, for the buyer.
    pub fn message(self) -> String {
        match self {
            PromoRefusal::Unknown => "this promo code does not exist for this event".into(),
            PromoRefusal::Inactive => "this promo code is no longer active".into(),
            PromoRefusal::NotYetValid => "this promo code is not valid yet".into(),
            PromoRefusal::Expired => "this promo code has expired".into(),
            PromoRefusal::UsedUp { left } => {
                format!("this promo code can be used for only {left} more seats")
            }
            PromoRefusal::NotApplicable => {
                "this promo code does not apply to the ticket types chosen".into()
            }
            PromoRefusal::AlreadyUsed => "you have already used this promo code".into(),
        }
    }
}

impl PromoRecord {
    /// Whether the code applies to seats of `ticket_type` (those count as its uses): the types
    /// it names, or if it names none, every type — except a code that takes nothing off, which
    /// then applies to the hidden types it reveals (a guest-list code is not used up by the
    /// ordinary seats booked beside a VIP seat).
    pub(crate) fn applies_to(&self, ticket_type: TicketTypeId) -> bool {
        if !self.applies_to.is_empty() {
            self.applies_to.contains(&ticket_type)
        } else if self.discount == Discount::None {
            self.reveals.contains(&ticket_type)
        } else {
            true
        }
    }

    /// Whether the code makes hidden `ticket_type` bookable.
    pub(crate) fn reveals(&self, ticket_type: TicketTypeId) -> bool {
        self.reveals.contains(&ticket_type)
    }

    /// Whether the code may be used at `now` at all: active and within its validity.
    pub(crate) fn check_valid(&self, now: Timestamp) -> Result<(), PromoRefusal> {
        if !self.active {
            Err(PromoRefusal::Inactive)
        } else if self.valid_from.is_some_and(|from| now < from) {
            Err(PromoRefusal::NotYetValid)
        } else if self.valid_until.is_some_and(|until| now >= until) {
            Err(PromoRefusal::Expired)
        } else {
            Ok(())
        }
    }

    /// Whether a booking of `seats` seats it applies to may use it, by a user with
    /// `user_tickets` active tickets using it.
    pub(crate) fn check_use(&self, seats: u32, user_tickets: u32) -> Result<(), PromoRefusal> {
        if seats == 0 {
            return Err(PromoRefusal::NotApplicable);
        }
        if self.once_per_user && user_tickets > 0 {
            return Err(PromoRefusal::AlreadyUsed);
        }
        if let Some(max) = self.max_uses {
            let left = max.saturating_sub(self.used);
            if seats > left {
                return Err(PromoRefusal::UsedUp { left });
            }
        }
        Ok(())
    }
}

/// Upper-cases a code and checks it: 3–32 letters, digits and dashes.
pub(crate) fn normalize(field: &'static str, text: &str) -> Result<String, FieldError> {
    let code = text.trim().to_ascii_uppercase();
    let length = code.chars().count() as i64;
    let allowed = code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    if !limits::PROMO_CODE.contains(length) || !allowed {
        return Err(FieldError::new(
            field,
            format!(
                "a promo code is {} to {} letters, digits and dashes",
                limits::PROMO_CODE.min,
                limits::PROMO_CODE.max
            ),
        ));
    }
    Ok(code)
}

/// `promo_codes`: event, then the upper-case code.
pub(crate) fn key(event: EventId, code: &str) -> Vec<u8> {
    let mut key = Vec::with_capacity(16 + code.len());
    key.extend_from_slice(&event.to_bytes());
    key.extend_from_slice(code.as_bytes());
    key
}

/// `promo_uses`: event, the code, a zero byte (no code contains one), then the user: the
/// number of that user's active tickets using the code.
pub(crate) fn use_key(event: EventId, code: &str, user: UserId) -> Vec<u8> {
    let mut key = use_prefix(event, code);
    key.extend_from_slice(&user.to_bytes());
    key
}

/// The `promo_uses` keys of one code.
pub(crate) fn use_prefix(event: EventId, code: &str) -> Vec<u8> {
    let mut key = key(event, code);
    key.push(0);
    key
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::codec::variant_indexes;

    #[test]
    fn discounts_never_go_below_free_and_round_to_the_nearest_unit() {
        assert_eq!(Discount::Percent(10).off_one_seat(2_500), 250);
        assert_eq!(Discount::Percent(33).off_one_seat(999), 330);
        assert_eq!(Discount::Percent(100).off_one_seat(999), 999);
        assert_eq!(Discount::PerSeat(500).off_one_seat(300), 300);
        assert_eq!(Discount::PerSeat(500).off_one_seat(2_000), 500);
        assert_eq!(Discount::Free.off_one_seat(2_000), 2_000);
        assert_eq!(Discount::None.off_one_seat(2_000), 0);
        assert!(Discount::Percent(0).check().is_err());
        assert!(Discount::Percent(101).check().is_err());
        assert!(Discount::PerSeat(0).check().is_err());
    }

    #[test]
    fn codes_are_case_insensitive_letters_digits_and_dashes() {
        assert_eq!(
            normalize("code", " early-bird ").expect("valid"),
            "EARLY-BIRD"
        );
        for bad in ["ab", "has space", "ünï", &"x".repeat(33), "semi;colon"] {
            assert!(normalize("code", bad).is_err(), "{bad}");
        }
    }

    fn record(max_uses: Option<u32>, used: u32, once_per_user: bool) -> PromoRecord {
        PromoRecord {
            code: "SPRING".into(),
            discount: Discount::Percent(10),
            applies_to: vec![2],
            reveals: vec![],
            max_uses,
            used,
            valid_from: None,
            valid_until: None,
            once_per_user,
            active: true,
            created_at: Timestamp::from_millis(0),
            updated_at: Timestamp::from_millis(0),
        }
    }

    #[test]
    fn uses_are_seats_and_never_exceed_the_maximum() {
        let code = record(Some(10), 8, false);
        assert_eq!(code.check_use(2, 0), Ok(()));
        assert_eq!(code.check_use(3, 0), Err(PromoRefusal::UsedUp { left: 2 }));
        assert_eq!(code.check_use(0, 0), Err(PromoRefusal::NotApplicable));
        let once = record(None, 0, true);
        assert_eq!(once.check_use(1, 1), Err(PromoRefusal::AlreadyUsed));
        assert!(code.applies_to(2) && !code.applies_to(1));
        let guest_list = PromoRecord {
            discount: Discount::None,
            applies_to: vec![],
            reveals: vec![3],
            ..record(Some(5), 0, false)
        };
        assert!(guest_list.applies_to(3) && !guest_list.applies_to(1));
        let everything = PromoRecord {
            applies_to: vec![],
            ..record(None, 0, false)
        };
        assert!(everything.applies_to(1) && everything.applies_to(3));
    }

    #[test]
    fn validity_has_a_start_an_end_and_an_off_switch() {
        let now = Timestamp::from_millis(1_000);
        let mut code = record(None, 0, false);
        assert_eq!(code.check_valid(now), Ok(()));
        code.valid_from = Some(Timestamp::from_millis(1_001));
        assert_eq!(code.check_valid(now), Err(PromoRefusal::NotYetValid));
        code.valid_from = None;
        code.valid_until = Some(now);
        assert_eq!(code.check_valid(now), Err(PromoRefusal::Expired));
        code.active = false;
        assert_eq!(code.check_valid(now), Err(PromoRefusal::Inactive));
    }

    /// Discounts are stored by variant index: reordering them would change what old codes say.
    #[test]
    fn stored_variant_indexes_never_change() {
        let discounts = [
            Discount::Percent(1),
            Discount::PerSeat(1),
            Discount::Free,
            Discount::None,
        ];
        assert_eq!(variant_indexes(&discounts), [0, 1, 2, 3]);
    }
}
