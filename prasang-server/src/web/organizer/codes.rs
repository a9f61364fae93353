//! An event's promo codes on its organizer pages: the list with each code's discount, types,
//! uses and validity (deactivate or activate it there), a form to create one, and one code's
//! page with its edit form and the tickets that used it. Every rule is the core's; its
//! refusals show beside their fields.

use hyper::StatusCode;
use maud::{Markup, html};
use prasang_core::auth::Actor;
use prasang_core::events::{Event, EventStatus, TicketType, TicketTypeId};
use prasang_core::promo::{Discount, NewPromoCode, PromoCode, PromoCodeUpdate, PromoUse};
use prasang_core::{EventId, Timestamp};

use super::edit::form_page;
use super::input::{Entry, FieldErrors, error_of, error_summary, refused_field};
use crate::web::cx::{BoxPage, PageReply, WebCx};
use crate::web::error::WebError;
use crate::web::form::Form;
use crate::web::format;
use crate::web::layout::{Field, csrf_field, redirect};
use crate::web::tickets::status_text;

/// A promo code form's values as entered (or as stored, when editing).
#[derive(Default)]
struct CodeForm {
    code: String,
    /// `percent`, `per_seat`, `free` or `none`.
    kind: String,
    amount: String,
    applies_to: Vec<TicketTypeId>,
    reveals: Vec<TicketTypeId>,
    max_uses: String,
    valid_from: String,
    valid_until: String,
    once_per_user: bool,
}

const KINDS: [(&str, &str); 4] = [
    ("percent", "Percentage off each seat"),
    ("per_seat", "Amount off each seat"),
    ("free", "Free seats"),
    ("none", "No discount (only reveals hidden types)"),
];

impl CodeForm {
    fn blank() -> Self {
        CodeForm {
            kind: "percent".into(),
            amount: "10".into(),
            ..CodeForm::default()
        }
    }

    fn of(code: &PromoCode, event: &Event) -> Self {
        let time = |at: Option<Timestamp>| {
            at.map(|at| format::event_time_input(event, at))
                .unwrap_or_default()
        };
        let (kind, amount) = match code.discount {
            Discount::Percent(percent) => ("percent", percent.to_string()),
            Discount::PerSeat(amount) => ("per_seat", format::money_input(amount)),
            Discount::Free => ("free", String::new()),
            Discount::None => ("none", String::new()),
        };
        CodeForm {
            code: code.code.clone(),
            kind: kind.into(),
            amount,
            applies_to: code.applies_to.clone(),
            reveals: code.reveals.clone(),
            max_uses: code.max_uses.map(|n| n.to_string()).unwrap_or_default(),
            valid_from: time(code.valid_from),
            valid_until: time(code.valid_until),
            once_per_user: code.once_per_user,
        }
    }

    fn entered(form: &Form) -> Self {
        let types = |name: &str| {
            form.all(name)
                .iter()
                .filter_map(|id| id.parse().ok())
                .collect()
        };
        CodeForm {
            code: form.get("code").to_owned(),
            kind: form.get("kind").to_owned(),
            amount: form.get("amount").to_owned(),
            applies_to: types("applies_to"),
            reveals: types("reveals"),
            max_uses: form.get("max_uses").to_owned(),
            valid_from: form.get("valid_from").to_owned(),
            valid_until: form.get("valid_until").to_owned(),
            once_per_user: !form.get("once_per_user").is_empty(),
        }
    }

    /// The typed values, or an error beside each field that is not even of the right kind.
    fn parse(&self) -> Result<NewPromoCode, FieldErrors> {
        let mut entry = Entry::default();
        let discount = match self.kind.as_str() {
            "percent" => entry
                .number("discount", &self.amount)
                .map(|percent| Discount::Percent(u8::try_from(percent).unwrap_or(0))),
            "per_seat" => entry
                .money("discount", &self.amount)
                .map(|amount| Discount::PerSeat(amount.unsigned_abs())),
            "free" => Some(Discount::Free),
            "none" => Some(Discount::None),
            _ => {
                entry
                    .errors
                    .push(("discount", "Choose a kind of discount.".into()));
                None
            }
        };
        let max_uses = entry.optional_number("max_uses", &self.max_uses);
        let valid_from = entry.optional_time("valid_from", &self.valid_from);
        let valid_until = entry.optional_time("valid_until", &self.valid_until);
        let new = match (discount, max_uses, valid_from, valid_until) {
            (Some(discount), Some(max_uses), Some(valid_from), Some(valid_until)) => {
                Some(NewPromoCode {
                    code: self.code.clone(),
                    discount,
                    applies_to: self.applies_to.clone(),
                    reveals: self.reveals.clone(),
                    max_uses,
                    valid_from,
                    valid_until,
                    once_per_user: self.once_per_user,
                })
            }
            _ => None,
        };
        entry.finish(new)
    }

    /// The change that makes the stored code (`shown`) what was entered; a validity bound only
    /// when its text changed (the form shows minutes).
    fn update(&self, shown: &CodeForm, new: NewPromoCode) -> PromoCodeUpdate {
        let changed = |entered: &str, shown: &str| entered.trim() != shown.trim();
        PromoCodeUpdate {
            discount: Some(new.discount),
            applies_to: Some(new.applies_to),
            reveals: Some(new.reveals),
            max_uses: Some(new.max_uses),
            valid_from: changed(&self.valid_from, &shown.valid_from).then_some(new.valid_from),
            valid_until: changed(&self.valid_until, &shown.valid_until).then_some(new.valid_until),
            once_per_user: Some(new.once_per_user),
            active: None,
        }
    }

    /// The form: with a code field when creating, the code fixed when editing.
    fn render(
        &self,
        cx: &WebCx,
        action: &str,
        types: &[TicketType],
        creating: bool,
        errors: &FieldErrors,
    ) -> Markup {
        let field =
            |name, label, value| Field::new(name, label, value).error(error_of(errors, name));
        let checkboxes = |name: &str, legend: &str, chosen: &[TicketTypeId], hidden_only: bool| {
            html! {
                fieldset.field.invalid[error_of(errors, name).is_some()] {
                    legend { (legend) }
                    @for sale_type in types.iter().filter(|t| !hidden_only || t.hidden) {
                        div { label {
                            input type="checkbox" name=(name) value=(sale_type.id) checked[chosen.contains(&sale_type.id)];
                            " " (sale_type.name)
                        } }
                    }
                    @if let Some(error) = error_of(errors, name) { p.field-error { (error) } }
                }
            }
        };
        html! {
            (error_summary(errors))
            form method="post" action=(action) novalidate {
                (csrf_field(cx))
                input type="hidden" name="do" value="save";
                @if creating {
                    (field("code", "Code", &self.code).hint("3 to 32 letters, digits and dashes; buyers may type it in any case.").render())
                }
                div.row {
                    div.field {
                        label for="f-kind" { "Discount" }
                        select #f-kind name="kind" {
                            @for (value, label) in KINDS {
                                option value=(value) selected[self.kind == value] { (label) }
                            }
                        }
                    }
                    (field("discount", "Percent or amount", &self.amount).optional().hint("20 for 20 %, or an amount such as 5 or 2.50.").render())
                }
                (checkboxes("applies_to", "Applies to (none ticked: every type)", &self.applies_to, false))
                @if types.iter().any(|t| t.hidden) {
                    (checkboxes("reveals", "Reveals these hidden types", &self.reveals, true))
                }
                div.row {
                    (field("max_uses", "Most seats", &self.max_uses).kind("number").optional().hint("Empty: no limit.").render())
                    (field("valid_from", "Valid from", &self.valid_from).kind("datetime-local").optional().hint("In the event's time zone; empty: at once.").render())
                    (field("valid_until", "Valid until", &self.valid_until).kind("datetime-local").optional().render())
                }
                div.field { label for="f-once" {
                    input #f-once type="checkbox" name="once_per_user" value="1" checked[self.once_per_user];
                    " One ticket with this code per person"
                } }
                button type="submit" { @if creating { "Create code" } @else { "Save code" } }
            }
        }
    }
}

/// A discount in words, in the event's currency.
fn discount_text(discount: Discount, currency: &str) -> String {
    match discount {
        Discount::Percent(percent) => format!("{percent} % off"),
        Discount::PerSeat(amount) => {
            format!("{} off per seat", format::money(amount as i64, currency))
        }
        Discount::Free => "Free".into(),
        Discount::None => "Reveals only".into(),
    }
}

/// The names of `ids` among the event's types ("every type" for none).
fn type_names(types: &[TicketType], ids: &[TicketTypeId], none: &str) -> String {
    if ids.is_empty() {
        return none.into();
    }
    let names: Vec<&str> = types
        .iter()
        .filter(|t| ids.contains(&t.id))
        .map(|t| t.name.as_str())
        .collect();
    names.join(", ")
}

fn codes_path(id: EventId) -> String {
    format!("/organizer/events/{id}/codes")
}

/// The event, its types and its codes, when the caller runs it (the core's rule).
fn load(
    cx: &WebCx,
    actor: Actor,
    id: EventId,
) -> Result<(Event, Vec<TicketType>, Vec<PromoCode>), WebError> {
    let event = cx.core_read(|p| p.events().get_managed(&actor, id))?;
    let types = cx.core_read(|p| p.events().ticket_types(&actor, id))?;
    let codes = cx.core_read(|p| p.promo_codes().list(&actor, id))?;
    Ok((event, types, codes))
}

/// The list page, with the creation form (as entered, with its errors, after a refusal).
fn list_page(
    cx: &WebCx,
    (event, types, codes): &(Event, Vec<TicketType>, Vec<PromoCode>),
    form: &CodeForm,
    errors: &FieldErrors,
) -> PageReply {
    let id = event.id;
    let live = event.status == EventStatus::Published;
    let body = html! {
        p.row {
            a href=(format!("/organizer/events/{id}")) { "Back to the event" }
            a href=(format!("/organizer/events/{id}/types")) { "Ticket types" }
        }
        @if codes.is_empty() {
            p { "No promo codes yet." }
        } @else {
            div.table-wrap tabindex="0" {
                table {
                    thead { tr {
                        th scope="col" { "Code" } th scope="col" { "Discount" } th scope="col" { "Types" }
                        th scope="col" { "Used" } th scope="col" { "Valid" } th scope="col" { span.hint { "Actions" } }
                    } }
                    tbody {
                        @for code in codes {
                            tr {
                                td {
                                    a href=(format!("{}/{}", codes_path(id), code.code)) { code { (code.code) } }
                                    @if !code.active { " " span.badge.cancelled { "Inactive" } }
                                }
                                td { (discount_text(code.discount, &event.currency)) }
                                td {
                                    (type_names(types, &code.applies_to, "Every type"))
                                    @if !code.reveals.is_empty() { br; span.meta { "Reveals " (type_names(types, &code.reveals, "")) } }
                                }
                                td {
                                    (format::seats(code.used))
                                    @if let Some(max) = code.max_uses { " of " (max) }
                                    @if code.once_per_user { br; span.meta { "once per person" } }
                                }
                                td { (validity(event, code)) }
                                td {
                                    @if live { (toggle(cx, id, code)) }
                                }
                            }
                        }
                    }
                }
            }
        }
        @if live {
            h2 #add { "Create a promo code" }
            (form.render(cx, &codes_path(id), types, true, errors))
        }
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    form_page(
        cx,
        status,
        &format!("Promo codes of “{}”", event.title),
        body,
    )
}

/// When a code works, in the event's time.
fn validity(event: &Event, code: &PromoCode) -> String {
    match (code.valid_from, code.valid_until) {
        (None, None) => "Always".into(),
        (from, until) => format::sale_window(event, from, until),
    }
}

/// The button that deactivates or activates a code.
fn toggle(cx: &WebCx, id: EventId, code: &PromoCode) -> Markup {
    let (action, label) = if code.active {
        ("deactivate", "Deactivate")
    } else {
        ("activate", "Activate")
    };
    html! {
        form.inline method="post" action=(format!("{}/{}", codes_path(id), code.code)) {
            (csrf_field(cx))
            button.secondary type="submit" name="do" value=(action) aria-label=(format!("{label} {}", code.code)) { (label) }
        }
    }
}

/// `GET /organizer/events/{id}/codes`
pub(crate) fn list(cx: WebCx) -> BoxPage {
    Box::pin(async move {
        let id: EventId = cx.id("id")?;
        let actor = cx.signed_in()?.actor;
        let loaded = load(&cx, actor, id)?;
        list_page(&cx, &loaded, &CodeForm::blank(), &FieldErrors::new())
    })
}

/// `POST /organizer/events/{id}/codes`: creates a code, or shows the form again with the errors.
pub(crate) fn create(cx: WebCx) -> BoxPage {
    Box::pin(async move {
        let id: EventId = cx.id("id")?;
        let actor = cx.signed_in()?.actor;
        let entered = CodeForm::entered(&cx.form);
        let errors = match entered.parse() {
            Ok(new) => match cx
                .core(move |p| p.promo_codes().create(&actor, id, new))
                .await
            {
                Ok(made) => {
                    return redirect(&format!(
                        "{}/{}?done=code-created",
                        codes_path(id),
                        made.code
                    ));
                }
                Err(error) if error.field().is_some() => refused_field(error)?,
                Err(error) => match error.refusal_status() {
                    Some(_) => vec![("code", crate::web::layout::capitalised(&error.message()))],
                    None => return Err(error),
                },
            },
            Err(errors) => errors,
        };
        list_page(&cx, &load(&cx, actor, id)?, &entered, &errors)
    })
}

/// One code's page: its edit form (as entered after a refusal) and the tickets that used it.
fn code_page(
    cx: &WebCx,
    event: &Event,
    types: &[TicketType],
    code: &PromoCode,
    uses: &[PromoUse],
    form: &CodeForm,
    errors: &FieldErrors,
) -> PageReply {
    let id = event.id;
    let path = format!("{}/{}", codes_path(id), code.code);
    let body = html! {
        p.row {
            a href=(codes_path(id)) { "All promo codes" }
            @if event.status == EventStatus::Published { (toggle(cx, id, code)) }
        }
        p {
            (discount_text(code.discount, &event.currency)) " · used for " (format::seats(code.used))
            @if let Some(max) = code.max_uses { " of " (max) }
            " · " @if code.active { "active" } @else { "inactive" }
        }
        @if event.status == EventStatus::Published {
            h2 { "Change" }
            (form.render(cx, &path, types, false, errors))
        }
        h2 #uses { "Uses" }
        @if uses.is_empty() {
            p { "No ticket used this code yet." }
        } @else {
            div.table-wrap tabindex="0" {
                table {
                    thead { tr { th scope="col" { "Ticket" } th scope="col" { "Seats" } th scope="col" { "Discount" } th scope="col" { "Status" } th scope="col" { "Booked" } } }
                    tbody {
                        @for used in uses {
                            tr {
                                td { code { (super::attendees::short(&used.ticket.to_string())) } }
                                td { (used.seats) }
                                td { (format::money(used.discount_minor as i64, &event.currency)) }
                                td { (status_text(used.status)) }
                                td { (format::instant(used.created_at)) }
                            }
                        }
                    }
                }
            }
        }
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    form_page(cx, status, &format!("Promo code {}", code.code), body)
}

/// The event, its types, one code and its uses.
fn load_code(
    cx: &WebCx,
    actor: Actor,
    id: EventId,
    code: &str,
) -> Result<(Event, Vec<TicketType>, PromoCode, Vec<PromoUse>), WebError> {
    let event = cx.core_read(|p| p.events().get_managed(&actor, id))?;
    let types = cx.core_read(|p| p.events().ticket_types(&actor, id))?;
    let found = cx.core_read(|p| p.promo_codes().get(&actor, id, code))?;
    let uses = cx.core_read(|p| p.promo_codes().uses(&actor, id, code))?;
    Ok((event, types, found, uses))
}

/// `GET /organizer/events/{id}/codes/{code}`
pub(crate) fn show(cx: WebCx) -> BoxPage {
    Box::pin(async move {
        let id: EventId = cx.id("id")?;
        let actor = cx.signed_in()?.actor;
        let (event, types, code, uses) = load_code(&cx, actor, id, cx.param("code"))?;
        let form = CodeForm::of(&code, &event);
        code_page(
            &cx,
            &event,
            &types,
            &code,
            &uses,
            &form,
            &FieldErrors::new(),
        )
    })
}

/// `POST /organizer/events/{id}/codes/{code}` (`do`: save, activate, deactivate).
pub(crate) fn change(cx: WebCx) -> BoxPage {
    Box::pin(async move {
        let id: EventId = cx.id("id")?;
        let actor = cx.signed_in()?.actor;
        let (event, types, code, uses) = load_code(&cx, actor, id, cx.param("code"))?;
        let entered = CodeForm::entered(&cx.form);
        let update = match cx.form.get("do") {
            "save" => match entered.parse() {
                Ok(new) => entered.update(&CodeForm::of(&code, &event), new),
                Err(errors) => {
                    return code_page(&cx, &event, &types, &code, &uses, &entered, &errors);
                }
            },
            "activate" | "deactivate" => PromoCodeUpdate {
                active: Some(cx.form.get("do") == "activate"),
                ..PromoCodeUpdate::default()
            },
            _ => return Err(WebError::NotFound),
        };
        let text = code.code.clone();
        match cx
            .core(move |p| p.promo_codes().update(&actor, id, &text, update))
            .await
        {
            Ok(saved) => redirect(&format!("{}/{}?done=saved", codes_path(id), saved.code)),
            Err(error) => {
                let errors = refused_field(error)?;
                code_page(&cx, &event, &types, &code, &uses, &entered, &errors)
            }
        }
    })
}
