//! Wording for seats offered from a waiting list (`waitlist-offer` notifications), shared by
//! the bundled plugins so an e-mail, a chat message and an SMS say it the same way.

use crate::Offer;
use crate::time::human_local;

/// The seats offered: `2 × Adult`.
pub fn seats(offer: &Offer) -> String {
    format!("{} × {}", offer.seats, offer.ticket_type)
}

/// Until when, on the event's clock: `Mon 30 Nov 2026, 20:00 IST (UTC+05:30)`.
pub fn deadline(offer: &Offer) -> String {
    human_local(&offer.deadline_local)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::waitlist_offer;

    #[test]
    fn offers_say_what_and_until_when_on_the_events_clock() {
        let offer = waitlist_offer().offer.expect("an offer");
        assert_eq!(seats(&offer), "2 × Adult");
        assert_eq!(deadline(&offer), "Mon 30 Nov 2026, 20:00 IST (UTC+05:30)");
    }
}
