//! Wording for what a ticket is made of and what was paid for it, shared by the bundled
//! plugins so an e-mail, a chat message and an SMS say it the same way.

use crate::{Admission, TicketLine, TicketSummary};

/// `1000.00 INR` from minor units (two decimals; good for the currencies Prasang sells in).
///
/// ```
/// assert_eq!(prasang_plugin_sdk::ticket::money(2_550, "EUR"), "25.50 EUR");
/// ```
pub fn money(minor: u64, currency: &str) -> String {
    format!("{}.{:02} {currency}", minor / 100, minor % 100)
}

/// One line with what was charged for it: `2 × Adult (50.00 EUR)`, or with its discount
/// `1 × Child (4.00 EUR, 1.00 EUR off)`.
pub fn line(line: &TicketLine, currency: &str) -> String {
    let amount = money(line.amount_minor, currency);
    let seats = format!("{} × {}", line.quantity, line.ticket_type);
    match line.discount_minor {
        0 => format!("{seats} ({amount})"),
        off => format!("{seats} ({amount}, {} off)", money(off, currency)),
    }
}

/// The seats by type without prices, `2 × Adult, 1 × Child`, for where space is short; `3
/// seat(s)` for a ticket without lines (a notification recorded before ticket types).
pub fn seats(ticket: &TicketSummary) -> String {
    if ticket.lines.is_empty() {
        return format!("{} seat(s)", ticket.quantity);
    }
    let lines: Vec<String> = ticket
        .lines
        .iter()
        .map(|line| format!("{} × {}", line.quantity, line.ticket_type))
        .collect();
    lines.join(", ")
}

/// The promo code and the discount on the whole ticket, `FAMILY (1.00 EUR off)`, when there
/// was either.
pub fn promo(ticket: &TicketSummary, currency: &str) -> Option<String> {
    let off = money(ticket.discount_minor, currency);
    match (&ticket.promo_code, ticket.discount_minor) {
        (None, 0) => None,
        (Some(code), 0) => Some(code.clone()),
        (Some(code), _) => Some(format!("{code} ({off} off)")),
        (None, _) => Some(format!("{off} off")),
    }
}

/// Which seat an admission code admits: `Seat 1 of 2`.
pub fn seat(admission: &Admission, ticket: &TicketSummary) -> String {
    format!("Seat {} of {}", admission.seat, ticket.quantity)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::booked_notification;

    #[test]
    fn lines_name_the_type_and_the_amount_and_the_discount_when_there_is_one() {
        let ticket = booked_notification().ticket.expect("a ticket");
        assert_eq!(line(&ticket.lines[0], "INR"), "1 × Adult (600.00 INR)");
        assert_eq!(
            line(&ticket.lines[1], "INR"),
            "1 × Child (400.00 INR, 100.00 INR off)"
        );
        assert_eq!(seats(&ticket), "1 × Adult, 1 × Child");
        assert_eq!(
            promo(&ticket, "INR").as_deref(),
            Some("FAMILY (100.00 INR off)")
        );
        assert_eq!(seat(&ticket.admissions[1], &ticket), "Seat 2 of 2");
    }

    #[test]
    fn a_ticket_without_lines_or_discount_says_seats_and_no_code() {
        let mut ticket = booked_notification().ticket.expect("a ticket");
        ticket.lines.clear();
        ticket.discount_minor = 0;
        ticket.promo_code = None;
        assert_eq!(seats(&ticket), "2 seat(s)");
        assert_eq!(promo(&ticket, "INR"), None);
        ticket.discount_minor = 5;
        assert_eq!(promo(&ticket, "INR").as_deref(), Some("0.05 INR off"));
    }
}
