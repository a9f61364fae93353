//! The booking form of an event page: one seat count per ticket type on offer (with its price
//! and what is left), a promo code with an "Apply" button that shows the page again with the
//! types the code reveals, the discount and the total (a quote), then "Book". No JavaScript: the
//! quote is a form round-trip. The core decides what is on offer and what it costs.

use maud::{Markup, html};
use prasang_core::EventId;
use prasang_core::auth::Actor;
use prasang_core::events::{Event, TicketType, TicketTypeId, TypeAvailability};
use prasang_core::tickets::{BookingLine, BookingRequest, Quote};

use super::cx::WebCx;
use super::form::Form;
use super::format;
use super::layout::{capitalised, csrf_field};

/// The field of a type's seat count.
fn seats_field(type_id: TicketTypeId) -> String {
    format!("seats-{type_id}")
}

/// An order as the form sent it.
#[derive(Default)]
pub(crate) struct Order {
    /// Seat counts per type as entered (the form shows them again).
    pub(crate) seats: Vec<(TicketTypeId, String)>,
    /// The old form's one `quantity` (the event's first listed type), when no type was named.
    pub(crate) quantity: Option<String>,
    pub(crate) promo_code: String,
    /// The form's idempotency key: a double-submitted form books once.
    pub(crate) key: String,
}

impl Order {
    /// The order in a posted form: `seats-{type}` fields, or the old single `quantity`.
    pub(crate) fn entered(form: &Form) -> Order {
        let seats = form
            .fields()
            .filter_map(|(name, value)| {
                let type_id = name.strip_prefix("seats-")?.parse().ok()?;
                Some((type_id, value.to_owned()))
            })
            .collect::<Vec<_>>();
        Order {
            quantity: seats.is_empty().then(|| form.get("quantity").to_owned()),
            seats,
            promo_code: form.get("promo_code").trim().to_owned(),
            key: form.get("key").to_owned(),
        }
    }

    /// The request for the core: lines of the types with seats (a count that does not read
    /// is 0, which the core refuses), or the old quantity.
    pub(crate) fn request(&self, event: EventId) -> BookingRequest {
        let count = |text: &str| text.trim().parse::<i64>().unwrap_or(0);
        let lines = self
            .seats
            .iter()
            .filter(|(_, text)| !matches!(text.trim(), "" | "0"))
            .map(|(ticket_type, text)| BookingLine {
                ticket_type: *ticket_type,
                quantity: count(text),
            })
            .collect();
        BookingRequest {
            event,
            quantity: self.quantity.as_deref().map_or(0, count),
            idempotency_key: (!self.key.is_empty()).then(|| format!("web-{}", self.key)),
            lines,
            promo_code: Some(self.promo_code.clone()).filter(|code| !code.is_empty()),
            attendee_names: Vec::new(),
        }
    }

    /// Whether the order names any seats at all.
    pub(crate) fn is_empty(&self) -> bool {
        let none = |text: &str| matches!(text.trim(), "" | "0");
        self.quantity.is_none() && self.seats.iter().all(|(_, text)| none(text))
    }

    /// The seats entered for a type (before anything was entered: one of the only type, else
    /// none).
    fn seats_of(&self, type_id: TicketTypeId, single: bool) -> &str {
        let unentered = if single && self.seats.is_empty() {
            "1"
        } else {
            "0"
        };
        self.seats
            .iter()
            .find(|(id, _)| *id == type_id)
            .map_or(unentered, |(_, text)| text.as_str())
    }
}

/// What the booking section shows: the order entered, and its quote or why it was refused.
#[derive(Default)]
pub(crate) struct Purchase {
    pub(crate) order: Order,
    pub(crate) quote: Option<Quote>,
    /// Why the order (or the code alone) was refused, in words.
    pub(crate) refusal: Option<String>,
    /// The code was refused: the message goes beside its field.
    pub(crate) code_refused: bool,
}

impl Purchase {
    /// A refusal of the order, beside the code when it is the code's.
    pub(crate) fn refused(order: Order, error: &super::error::WebError) -> Purchase {
        Purchase {
            order,
            quote: None,
            refusal: Some(capitalised(&error.order_message())),
            code_refused: error
                .field()
                .is_some_and(|field| field.field == "promo_code"),
        }
    }
}

/// The types `viewer` may book, with those the entered code reveals; a code that cannot be
/// used now is set aside (its refusal is shown beside it) and the listed types are offered.
pub(crate) fn offered(
    cx: &WebCx,
    viewer: Option<Actor>,
    event: EventId,
    purchase: &mut Purchase,
) -> Result<Vec<TicketType>, super::error::WebError> {
    let code = Some(purchase.order.promo_code.as_str()).filter(|code| !code.is_empty());
    match cx.core_read(|p| p.tickets().types_for(viewer.as_ref(), event, code)) {
        Ok(types) => Ok(types),
        Err(error) if code.is_some() && error.field().is_some() => {
            if purchase.refusal.is_none() {
                *purchase = Purchase::refused(std::mem::take(&mut purchase.order), &error);
            }
            cx.core_read(|p| p.tickets().types_for(viewer.as_ref(), event, None))
        }
        Err(error) => Err(error),
    }
}

/// The booking form: a seat count per type, the promo code, Apply, the quote, Book.
pub(crate) fn section(
    cx: &WebCx,
    event: &Event,
    types: &[TicketType],
    purchase: &Purchase,
    key: &str,
) -> Markup {
    let id = event.id;
    let most = |sale_type: &TicketType| {
        let per_order = sale_type.max_per_order.unwrap_or(u32::MAX);
        sale_type.available.min(per_order).min(event.per_user_limit)
    };
    // One type on offer: its field is simply "Seats", one seat to start with.
    let single = types.len() == 1;
    let code_error = purchase
        .refusal
        .as_deref()
        .filter(|_| purchase.code_refused);
    html! {
        @if let Some(refusal) = purchase.refusal.as_deref().filter(|_| !purchase.code_refused) {
            p.form-error role="alert" { (refusal) }
        }
        form #book method="post" action=(format!("/events/{id}/book#book")) {
            (csrf_field(cx))
            input type="hidden" name="key" value=(key);
            // The code first: applying it may list more types to choose from.
            div.row {
                div.field.invalid[code_error.is_some()] {
                    label for="promo_code" { "Promo code" }
                    input #promo_code name="promo_code" type="text" value=(purchase.order.promo_code)
                        autocomplete="off" aria-invalid=[code_error.map(|_| "true")]
                        aria-describedby=[code_error.map(|_| "promo_code-error")];
                    @if let Some(error) = code_error {
                        p.field-error #promo_code-error { (error) }
                    }
                }
                button.secondary type="submit" name="step" value="quote" { "Apply and show the total" }
            }
            div.table-wrap tabindex="0" {
                table {
                    thead { tr { th scope="col" { "Ticket" } th scope="col" { "Price" } th scope="col" { "Seats" } } }
                    tbody {
                        @for sale_type in types {
                            @let field = seats_field(sale_type.id);
                            tr {
                                td {
                                    @if single { strong { (sale_type.name) } }
                                    @else { label for=(field) { strong { (sale_type.name) } } }
                                    @if !sale_type.description.is_empty() { br; span.meta { (sale_type.description) } }
                                    br; span.meta { (offer(event, sale_type)) }
                                }
                                td { (format::money(sale_type.price_minor as i64, &event.currency)) }
                                td {
                                    @if sale_type.availability == TypeAvailability::OnSale {
                                        @if single { label for=(field) { "Seats" } " " }
                                        input id=(field) name=(field) type="number" min="0" max=(most(sale_type))
                                            value=(purchase.order.seats_of(sale_type.id, single)) inputmode="numeric";
                                    } @else {
                                        span.hint { "—" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            p.hint { "Up to " (format::seats(event.per_user_limit)) " per person in all." }
            @if let Some(quote) = &purchase.quote {
                (quote_table(quote))
            }
            button type="submit" name="step" value="book" { "Book" }
            p.hint { "Paid seats are held for you until the organizer confirms your payment." }
        }
    }
}

/// The types on offer and their prices, for someone not signed in.
pub(crate) fn prices(event: &Event, types: &[TicketType]) -> Markup {
    html! {
        ul {
            @for sale_type in types {
                li {
                    strong { (sale_type.name) } " · "
                    (format::money(sale_type.price_minor as i64, &event.currency)) " · "
                    (offer(event, sale_type))
                }
            }
        }
    }
}

/// What is left of a type, or why it does not sell, and its sale window.
fn offer(event: &Event, sale_type: &TicketType) -> String {
    let state = match sale_type.availability {
        TypeAvailability::OnSale => format!("{} left", format::seats(sale_type.available)),
        other => format::type_availability(other).0.to_owned(),
    };
    match (sale_type.sales_open_at, sale_type.sales_close_at) {
        (None, None) => state,
        (open, close) => format!("{state} · {}", format::sale_window(event, open, close)),
    }
}

/// A quote: each line, the code's discount and the total.
fn quote_table(quote: &Quote) -> Markup {
    let money = |minor: u64| format::money(minor as i64, &quote.currency);
    html! {
        div.table-wrap tabindex="0" {
            table.numbers aria-label="Your order" {
                thead { tr { th scope="col" { "Ticket" } th scope="col" { "Seats" } th scope="col" { "Price" } th scope="col" { "Discount" } th scope="col" { "Amount" } } }
                tbody {
                    @for line in &quote.lines {
                        tr {
                            td { (line.name) } td { (line.quantity) } td { (money(line.unit_price_minor)) }
                            td { @if line.discount_minor > 0 { "−" (money(line.discount_minor)) } }
                            td { (money(line.amount_minor)) }
                        }
                    }
                }
            }
        }
        p.total {
            @if let Some(code) = &quote.promo_code {
                @if quote.discount_minor > 0 { "Code " (code) " takes off " (money(quote.discount_minor)) ". " }
                @else { "Code " (code) " applied. " }
            }
            strong { "Total: " (money(quote.amount_minor)) }
        }
    }
}
