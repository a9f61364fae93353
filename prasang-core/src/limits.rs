//! Field limits: the one source for what validation enforces and what the API documents (the
//! server builds its OpenAPI schemas from these constants), so the two cannot disagree.

/// The inclusive range a field must lie in: characters for text, the value for numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// The field's name as callers spell it.
    pub field: &'static str,
    /// Smallest length or value.
    pub min: i64,
    /// Largest length or value.
    pub max: i64,
}

impl Limit {
    /// Whether `value` (a length or a number) lies within the limit.
    pub fn contains(&self, value: i64) -> bool {
        (self.min..=self.max).contains(&value)
    }
}

const fn limit(field: &'static str, min: i64, max: i64) -> Limit {
    Limit { field, min, max }
}

/// A user's display name, in characters.
pub const USER_NAME: Limit = limit("name", 1, 100);
/// The attendee name on one seat (the buyer may leave a seat unnamed where names are optional).
pub const ATTENDEE_NAME: Limit = limit("attendee_names", 1, 100);
/// A password, in characters.
pub const PASSWORD: Limit = limit("password", 8, 256);
/// A user's age in years.
pub const AGE: Limit = limit("age", 13, 120);
/// An event's title, in characters.
pub const TITLE: Limit = limit("title", 1, 200);
/// An event's description, in characters (it may span lines).
pub const DESCRIPTION: Limit = limit("description", 0, 10_000);
/// Where an event happens, in characters.
pub const LOCATION: Limit = limit("location", 1, 300);
/// Seats of one event.
pub const CAPACITY: Limit = limit("capacity", 1, 1_000_000);
/// Price of one seat, in minor units (cents).
pub const PRICE_MINOR: Limit = limit("price_minor", 0, 100_000_000);
/// Seats one user may hold for one event.
pub const PER_USER_LIMIT: Limit = limit("per_user_limit", 1, 100);
/// Seats in one booking (never more than anyone may hold).
pub const QUANTITY: Limit = limit("quantity", 1, PER_USER_LIMIT.max);
/// An idempotency key, in printable ASCII characters.
pub const IDEMPOTENCY_KEY: Limit = limit("idempotency_key", 1, 255);
/// Search text for event listings, in characters.
pub const SEARCH_TEXT: Limit = limit("text", 0, 200);
/// A feedback rating.
pub const RATING: Limit = limit("rating", 1, 5);
/// A feedback comment, in characters (it may span lines).
pub const COMMENT: Limit = limit("comment", 0, 2_000);
/// An organizer's reply to feedback, in characters (it may span lines).
pub const REPLY: Limit = limit("text", 1, 2_000);
/// Ticket types of one event.
pub const TICKET_TYPES: Limit = limit("ticket_types", 1, 50);
/// A ticket type's name, in characters.
pub const TICKET_TYPE_NAME: Limit = limit("name", 1, 80);
/// A ticket type's description, in characters.
pub const TICKET_TYPE_DESCRIPTION: Limit = limit("description", 0, 1_000);
/// Seats of one ticket type.
pub const TICKET_TYPE_QUOTA: Limit = limit("quota", 1, CAPACITY.max);
/// Seats of one ticket type one user may hold.
pub const TYPE_PER_USER_LIMIT: Limit = limit("per_user_limit", 1, PER_USER_LIMIT.max);
/// Fewest seats of one ticket type in one booking.
pub const MIN_PER_ORDER: Limit = limit("min_per_order", 1, PER_USER_LIMIT.max);
/// Most seats of one ticket type in one booking.
pub const MAX_PER_ORDER: Limit = limit("max_per_order", 1, PER_USER_LIMIT.max);
/// Lines (ticket types) in one booking.
pub const BOOKING_LINES: Limit = limit("lines", 1, TICKET_TYPES.max);
/// A promo code, in letters, digits and dashes.
pub const PROMO_CODE: Limit = limit("code", 3, 32);
/// A percentage discount.
pub const PROMO_PERCENT: Limit = limit("percent", 1, 100);
/// A fixed discount per seat, in minor units.
pub const PROMO_AMOUNT: Limit = limit("amount_minor", 1, PRICE_MINOR.max);
/// Seats a promo code may be used for.
pub const PROMO_MAX_USES: Limit = limit("max_uses", 1, CAPACITY.max);
/// Promo codes of one event.
pub const PROMO_CODES_PER_EVENT: Limit = limit("codes", 0, 1_000);
/// A check-in gate's name, in characters.
pub const GATE: Limit = limit("gate", 1, 64);
/// A scan's id, in printable ASCII characters.
pub const SCAN_ID: Limit = limit("scan_id", 1, 128);
/// An admission code as scanned, in bytes (a code is 141 characters; anything much longer is
/// refused before it is decoded).
pub const ADMISSION_CODE: Limit = limit("code", 1, 256);
/// Scans in one upload of an offline gate.
pub const UPLOAD_SCANS: Limit = limit("scans", 1, 1_000);
/// Items per page of a listing.
pub const PAGE_SIZE: Limit = limit("limit", 1, 100);

/// Minutes an offer from the waiting list stands: 15 minutes to 7 days.
pub const OFFER_WINDOW_MINUTES: Limit = limit("offer_window_minutes", 15, 7 * 24 * 60);
/// Subject line of an organizer's message.
pub const MESSAGE_SUBJECT: Limit = limit("subject", 1, 150);
/// Plain-text body of an organizer's message.
pub const MESSAGE_BODY: Limit = limit("body", 1, 5_000);
/// Messages one event may send per day (UTC day), against floods.
pub const MESSAGES_PER_EVENT_PER_DAY: u32 = 5;

/// People a waiting room admits per minute (its `per_minute` admission).
pub const ROOM_PER_MINUTE: Limit = limit("per_minute", 1, 1_000_000);
/// How long a waiting room's pass stands, in minutes.
pub const PASS_MINUTES: Limit = limit("pass_minutes", 1, 120);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate;

    #[test]
    fn validation_enforces_exactly_the_published_limits() {
        for limit in [USER_NAME, TITLE, LOCATION] {
            let longest = "x".repeat(limit.max as usize);
            assert!(validate::text(&limit, &longest, false).is_ok());
            let error = validate::text(&limit, &format!("{longest}x"), false).unwrap_err();
            assert_eq!(error.field, limit.field);
        }
        for limit in [
            AGE,
            CAPACITY,
            PRICE_MINOR,
            PER_USER_LIMIT,
            QUANTITY,
            TICKET_TYPE_QUOTA,
            MIN_PER_ORDER,
            PROMO_PERCENT,
            PROMO_MAX_USES,
            ROOM_PER_MINUTE,
            PASS_MINUTES,
        ] {
            assert!(validate::in_range::<u64>(&limit, limit.min).is_ok());
            assert!(validate::in_range::<u64>(&limit, limit.max).is_ok());
            assert!(validate::in_range::<u64>(&limit, limit.max + 1).is_err());
            assert!(validate::in_range::<u64>(&limit, limit.min - 1).is_err());
        }
    }
}
