//! The booking form of an event page: one seat count per ticket type on offer (with its price
//! and what is left), a promo code with an "Apply" button that shows the page again with the
//! types the code reveals, the discount and the total (a quote), then "Book". No JavaScript: the
//! quote is a form round-trip. The core decides what is on offer and what it costs. The same
//! form books for the signed-in user, for a guest (name and e-mail address first) and in the
//! booking widget ([`Checkout`]), with one name field per seat where the event asks for names.

use maud::{Markup, html};
use prasang_core::EventId;
use prasang_core::auth::Actor;
use prasang_core::events::{AttendeeNames, Event, TicketType, TicketTypeId, TypeAvailability};
use prasang_core::tickets::{BookingLine, BookingRequest, Quote};

use super::cx::WebCx;
use super::form::Form;
use super::format;
use super::layout::{Field, capitalised, csrf_field};

/// The field of a type's seat count.
fn seats_field(type_id: TicketTypeId) -> String {
    format!("seats-{type_id}")
}

/// Who the booking form books for.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Checkout {
    /// The signed-in user (`POST /events/{id}/book`).
    Account,
    /// Someone not signed in, by name and e-mail address (`POST /events/{id}/guest`).
    Guest,
    /// The same in the booking widget (`POST /embed/events/{id}`).
    Widget,
}

impl Checkout {
    /// Where the form posts.
    fn action(self, event: EventId) -> String {
        match self {
            Checkout::Account => format!("/events/{event}/book#book"),
            Checkout::Guest => format!("/events/{event}/guest#book"),
            Checkout::Widget => format!("/embed/events/{event}"),
        }
    }
}

/// Most name fields a booking form shows (one per seat a buyer may book, up to this).
const MOST_NAME_FIELDS: u32 = 50;
/// The form field of the attendee names, repeated once per seat in seat order.
pub(crate) const NAME_FIELD: &str = "attendee_name";

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
    /// The name fields per seat as entered (`attendee_name`, repeated).
    pub(crate) names: Vec<String>,
    /// A guest's name and e-mail address.
    pub(crate) buyer_name: String,
    pub(crate) buyer_email: String,
    /// The waiting room pass the order is booked with, while the event's room is on.
    pub(crate) pass: String,
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
            names: form.all(NAME_FIELD),
            buyer_name: form.get("name").to_owned(),
            buyer_email: form.get("email").trim().to_owned(),
            pass: form.get("pass").trim().to_owned(),
        }
    }

    /// The request for the core: lines of the types with seats (a count that does not read
    /// is 0, which the core refuses), or the old quantity; the names of the seats booked
    /// ([`seat_names`]), or why they do not fit the seats.
    pub(crate) fn request(&self, event: EventId) -> Result<BookingRequest, String> {
        let count = |text: &str| text.trim().parse::<i64>().unwrap_or(0);
        let lines: Vec<BookingLine> = self
            .seats
            .iter()
            .filter(|(_, text)| !matches!(text.trim(), "" | "0"))
            .map(|(ticket_type, text)| BookingLine {
                ticket_type: *ticket_type,
                quantity: count(text),
            })
            .collect();
        let quantity = self.quantity.as_deref().map_or(0, count);
        let seats = quantity + lines.iter().map(|line| line.quantity.max(0)).sum::<i64>();
        Ok(BookingRequest {
            event,
            quantity,
            idempotency_key: (!self.key.is_empty()).then(|| format!("web-{}", self.key)),
            lines,
            promo_code: Some(self.promo_code.clone()).filter(|code| !code.is_empty()),
            attendee_names: seat_names(&self.names, seats)?,
            pass: Some(self.pass.clone()).filter(|pass| !pass.is_empty()),
        })
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

/// The names a form gave for `seats` seats, as the core takes them: none when every field is
/// empty, else one per seat (an unnamed seat `""`); names beyond the seats chosen are refused
/// rather than dropped.
pub(crate) fn seat_names(fields: &[String], seats: i64) -> Result<Vec<String>, String> {
    let given = fields
        .iter()
        .rposition(|name| !name.trim().is_empty())
        .map_or(0, |last| last + 1);
    if given == 0 {
        return Ok(Vec::new());
    }
    // More seats than any booking may have: the core refuses the order as it is, and the names
    // are not padded out to a count the form never had.
    if seats > prasang_core::limits::QUANTITY.max {
        return Ok(fields[..given].to_vec());
    }
    let seats = usize::try_from(seats).unwrap_or(0);
    if given > seats {
        return Err(format!(
            "You gave names for {given} seats but chose {seats}: clear the extra names or choose more seats."
        ));
    }
    let mut names: Vec<String> = fields.iter().take(given).cloned().collect();
    names.resize(seats, String::new());
    Ok(names)
}

/// Form fields a refusal may be shown beside; any other refusal goes above the form.
const FIELDS_WITH_ERRORS: [&str; 4] = ["promo_code", "name", "email", "attendee_names"];

/// What the booking section shows: the order entered, and its quote or why it was refused.
#[derive(Default)]
pub(crate) struct Purchase {
    pub(crate) order: Order,
    pub(crate) quote: Option<Quote>,
    /// Why the order (or one field) was refused, in words.
    pub(crate) refusal: Option<String>,
    /// The field refused, when the message goes beside it.
    pub(crate) refused_field: Option<&'static str>,
}

impl Purchase {
    /// A refusal of the order, beside the field it is about when the form has it.
    pub(crate) fn refused(order: Order, error: &super::error::WebError) -> Purchase {
        // A refusal of one field of the form goes beside it, in the field's own words.
        match error.field().and_then(|field| {
            FIELDS_WITH_ERRORS
                .into_iter()
                .find(|f| *f == field.field)
                .map(|f| (f, &field.message))
        }) {
            Some((field, message)) => {
                Purchase::refused_with(order, capitalised(message), Some(field))
            }
            None => Purchase::refused_with(order, capitalised(&error.order_message()), None),
        }
    }

    /// A refusal in the form's own words.
    pub(crate) fn refused_with(
        order: Order,
        message: String,
        field: Option<&'static str>,
    ) -> Purchase {
        Purchase {
            order,
            quote: None,
            refusal: Some(message),
            refused_field: field,
        }
    }

    /// The message beside `field`, if it was refused.
    fn error_of(&self, field: &str) -> Option<&str> {
        self.refusal
            .as_deref()
            .filter(|_| self.refused_field == Some(field))
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

/// The booking form: for a guest their name and e-mail address, a seat count per type, the
/// promo code, Apply, the quote, the names per seat where the event asks for them, Book.
pub(crate) fn section(
    cx: &WebCx,
    event: &Event,
    types: &[TicketType],
    purchase: &Purchase,
    key: &str,
    checkout: Checkout,
) -> Markup {
    let most = |sale_type: &TicketType| {
        let per_order = sale_type.max_per_order.unwrap_or(u32::MAX);
        sale_type.available.min(per_order).min(event.per_user_limit)
    };
    // One type on offer: its field is simply "Seats", one seat to start with.
    let single = types.len() == 1;
    let code_error = purchase.error_of("promo_code");
    let guest = checkout != Checkout::Account;
    html! {
        @if let Some(refusal) = purchase.refusal.as_deref().filter(|_| purchase.refused_field.is_none()) {
            p.form-error role="alert" { (refusal) }
        }
        form #book method="post" action=(checkout.action(event.id)) novalidate[guest] {
            (csrf_field(cx))
            input type="hidden" name="key" value=(key);
            @if !purchase.order.pass.is_empty() {
                input type="hidden" name="pass" value=(purchase.order.pass);
            }
            @if guest {
                (Field::new("name", "Your name", &purchase.order.buyer_name).error(purchase.error_of("name")).render())
                (Field::new("email", "E-mail", &purchase.order.buyer_email).kind("email")
                    .hint("Your tickets and a link to see or cancel them go to this address.")
                    .error(purchase.error_of("email")).render())
            }
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
                button.secondary type="submit" name="step" value="quote" {
                    @if guest { "Apply the code" } @else { "Apply and show the total" }
                }
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
            (names_fieldset(event, &purchase.order.names, purchase.error_of("attendee_names")))
            @if let Some(quote) = &purchase.quote {
                (quote_table(quote))
            }
            button type="submit" name="step" value="book" { "Book" }
            p.hint { "Paid seats are held for you until the organizer confirms your payment." }
        }
    }
}

/// One name field per seat a buyer may book (no script can add fields as seats are chosen),
/// when the event asks for names; the first names go to the first seats, in the order of the
/// ticket types above.
fn names_fieldset(event: &Event, entered: &[String], error: Option<&str>) -> Markup {
    if event.attendee_names == AttendeeNames::NotAsked {
        return html! {};
    }
    let fields = event
        .per_user_limit
        .min(event.seats.remaining)
        .clamp(1, MOST_NAME_FIELDS);
    let hint = match event.attendee_names {
        AttendeeNames::Required => {
            "A name for every seat you book, in order: the first seats are those of the first ticket type above."
        }
        _ => {
            "Optional. One name per seat, in order: the first seats are those of the first ticket type above."
        }
    };
    html! {
        fieldset.names.invalid[error.is_some()] #attendee_names aria-describedby="attendee_names-hint" {
            legend { "Names on the seats" }
            small.hint #attendee_names-hint { (hint) }
            @if let Some(error) = error { p.field-error role="alert" { (error) } }
            (name_inputs("", entered, fields as usize, error.is_some()))
        }
    }
}

/// `count` name fields ("Name on seat n"), filled with `entered`; `scope` tells their ids
/// apart from another form's on the same page (one form per ticket on "My tickets").
pub(crate) fn name_inputs(scope: &str, entered: &[String], count: usize, invalid: bool) -> Markup {
    html! {
        @for seat in 1..=count {
            @let id = format!("{scope}attendee_name-{seat}");
            div.field {
                label for=(id) { "Name on seat " (seat) }
                input id=(id) name=(NAME_FIELD) type="text" autocomplete="off" maxlength="100"
                    value=(entered.get(seat - 1).map_or("", String::as_str))
                    aria-invalid=[invalid.then_some("true")];
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

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|name| (*name).to_owned()).collect()
    }

    #[test]
    fn names_fit_the_seats_chosen() {
        // Empty fields at the end are not names; the seats left over are unnamed.
        assert_eq!(
            seat_names(&names(&["Ada", "", ""]), 2),
            Ok(names(&["Ada", ""]))
        );
        assert_eq!(
            seat_names(&names(&["", "Bo", ""]), 3),
            Ok(names(&["", "Bo", ""]))
        );
        assert_eq!(seat_names(&names(&["", ""]), 2), Ok(vec![]));
        assert!(seat_names(&names(&["Ada", "Bo"]), 1).is_err());
        // A count no booking may have is not padded to (the core refuses the order).
        assert_eq!(
            seat_names(&names(&["Ada"]), 1_000_000_000),
            Ok(names(&["Ada"]))
        );
    }
}
