//! The event page's sales section: seats, revenue, refunds and discounts per ticket type and
//! per promo code (the `by-ticket-type` and `by-promo-code` reports, with their CSV links).

use maud::{Markup, html};
use prasang_core::EventId;
use prasang_core::analytics::{ByPromoCode, ByTicketType, Sales};

use crate::web::format;

/// A table of sales rows, each named by its first cell (a type or a code), with a CSV link.
fn table<'a>(
    title: &str,
    first: &str,
    csv: String,
    rows: impl Iterator<Item = (String, &'a Sales)>,
) -> Markup {
    let rows: Vec<_> = rows.collect();
    html! {
        h3 { (title) }
        @if rows.is_empty() {
            p { "None yet." }
        } @else {
            div.table-wrap tabindex="0" {
                table {
                    thead { tr {
                        th scope="col" { (first) } th scope="col" { "Tickets" } th scope="col" { "Seats booked" }
                        th scope="col" { "Cancellations" } th scope="col" { "Revenue" } th scope="col" { "Refunds" }
                        th scope="col" { "Discounts" }
                    } }
                    tbody {
                        @for (name, sales) in &rows {
                            tr {
                                th scope="row" { (name) }
                                td { (sales.bookings) }
                                td { (sales.seats_booked) }
                                td { (sales.cancellations) }
                                td { (format::money(sales.revenue_minor, &sales.currency)) }
                                td { (format::money(sales.refund_minor, &sales.currency)) }
                                td { (format::money(sales.discount_minor, &sales.currency)) }
                            }
                        }
                    }
                }
            }
        }
        p { a href=(csv) { "Download (CSV)" } }
    }
}

/// Sales by ticket type and by promo code (as the analytics consumer has folded them).
pub(crate) fn section(id: EventId, types: &ByTicketType, codes: &ByPromoCode) -> Markup {
    let csv = |report: &str| format!("/organizer/analytics/csv/{report}?event={id}");
    html! {
        h2 #sales { "Sales" }
        (table(
            "By ticket type",
            "Ticket type",
            csv("by-ticket-type"),
            types.types.iter().map(|t| (t.name.clone(), &t.sales)),
        ))
        (table(
            "By promo code",
            "Code",
            csv("by-promo-code"),
            codes.codes.iter().map(|c| (c.code.clone(), &c.sales)),
        ))
    }
}
