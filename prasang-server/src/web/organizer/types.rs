//! An event's ticket types on its organizer pages: the table (price, seats, sale window in the
//! event's time, state) with each type's actions (move up or down, close or reopen, delete),
//! each type's edit form and a form to add one. Every rule is the core's; its refusals show
//! beside their fields, or above the table.

use hyper::StatusCode;
use maud::{Markup, html};
use prasang_core::auth::Actor;
use prasang_core::events::{
    Event, EventStatus, NewTicketType, TicketType, TicketTypeId, TicketTypeUpdate,
};
use prasang_core::{EventId, Timestamp};

use super::edit::form_page;
use super::input::{Entry, FieldErrors, error_of, error_summary, refused_field};
use crate::web::cx::{BoxPage, PageReply, WebCx};
use crate::web::error::WebError;
use crate::web::form::Form;
use crate::web::format;
use crate::web::layout::{Field, capitalised, csrf_field, redirect};

/// A ticket type form's values as entered (or as stored, when editing).
#[derive(Default)]
struct TypeForm {
    name: String,
    description: String,
    price: String,
    quota: String,
    sales_open_at: String,
    sales_close_at: String,
    per_user_limit: String,
    min_per_order: String,
    max_per_order: String,
    hidden: bool,
}

impl TypeForm {
    fn blank() -> Self {
        TypeForm {
            price: "0".into(),
            min_per_order: "1".into(),
            ..TypeForm::default()
        }
    }

    fn of(sale_type: &TicketType, event: &Event) -> Self {
        let time = |at: Option<Timestamp>| {
            at.map(|at| format::event_time_input(event, at))
                .unwrap_or_default()
        };
        let count = |count: Option<u32>| count.map(|n| n.to_string()).unwrap_or_default();
        TypeForm {
            name: sale_type.name.clone(),
            description: sale_type.description.clone(),
            price: format::money_input(sale_type.price_minor),
            quota: count(sale_type.quota),
            sales_open_at: time(sale_type.sales_open_at),
            sales_close_at: time(sale_type.sales_close_at),
            per_user_limit: count(sale_type.per_user_limit),
            min_per_order: sale_type.min_per_order.to_string(),
            max_per_order: count(sale_type.max_per_order),
            hidden: sale_type.hidden,
        }
    }

    fn entered(form: &Form) -> Self {
        let get = |name: &str| form.get(name).to_owned();
        TypeForm {
            name: get("name"),
            description: get("description"),
            price: get("price"),
            quota: get("quota"),
            sales_open_at: get("sales_open_at"),
            sales_close_at: get("sales_close_at"),
            per_user_limit: get("per_user_limit"),
            min_per_order: get("min_per_order"),
            max_per_order: get("max_per_order"),
            hidden: !form.get("hidden").is_empty(),
        }
    }

    /// The typed values, or an error beside each field that is not even of the right kind.
    fn parse(&self) -> Result<NewTicketType, FieldErrors> {
        let mut entry = Entry::default();
        let price = entry.money("price", &self.price);
        let quota = entry.optional_number("quota", &self.quota);
        let opens = entry.optional_time("sales_open_at", &self.sales_open_at);
        let closes = entry.optional_time("sales_close_at", &self.sales_close_at);
        let per_user = entry.optional_number("per_user_limit", &self.per_user_limit);
        let min = entry.number("min_per_order", &self.min_per_order);
        let max = entry.optional_number("max_per_order", &self.max_per_order);
        let new = match (price, quota, opens, closes, per_user, min, max) {
            (
                Some(price),
                Some(quota),
                Some(opens),
                Some(closes),
                Some(per_user),
                Some(min),
                Some(max),
            ) => Some(NewTicketType {
                name: self.name.clone(),
                description: self.description.clone(),
                price_minor: price,
                quota,
                sales_open_at: opens,
                sales_close_at: closes,
                per_user_limit: per_user,
                min_per_order: Some(min),
                max_per_order: max,
                hidden: self.hidden,
            }),
            _ => None,
        };
        entry.finish(new)
    }

    /// The change that makes `shown` (the type's form as stored) what was entered: every field,
    /// but a sale window only when its text changed (the form shows minutes; resending it
    /// would drop the seconds of a time set through the API).
    fn update(&self, shown: &TypeForm, new: NewTicketType) -> TicketTypeUpdate {
        let changed = |entered: &str, shown: &str| entered.trim() != shown.trim();
        TicketTypeUpdate {
            name: Some(new.name),
            description: Some(new.description),
            price_minor: Some(new.price_minor),
            quota: Some(new.quota),
            sales_open_at: changed(&self.sales_open_at, &shown.sales_open_at)
                .then_some(new.sales_open_at),
            sales_close_at: changed(&self.sales_close_at, &shown.sales_close_at)
                .then_some(new.sales_close_at),
            per_user_limit: Some(new.per_user_limit),
            min_per_order: new.min_per_order,
            max_per_order: Some(new.max_per_order),
            hidden: Some(new.hidden),
            closed: None,
            position: None,
        }
    }

    /// The form; `scope` tells its fields from the same fields of the page's other forms.
    fn render(
        &self,
        cx: &WebCx,
        action: &str,
        scope: &str,
        submit: &str,
        errors: &FieldErrors,
    ) -> Markup {
        let field = |name, label, value| {
            Field::new(name, label, value)
                .scoped(scope)
                .error(error_of(errors, name))
        };
        let hidden_id = format!("f-{scope}-hidden");
        html! {
            (error_summary(errors))
            form method="post" action=(action) novalidate {
                (csrf_field(cx))
                input type="hidden" name="do" value="save";
                (field("name", "Name", &self.name).render())
                (field("description", "Description", &self.description).kind("textarea").optional().render())
                div.row {
                    (field("price", "Price per seat", &self.price).hint("0 for free; in the event's currency.").render())
                    (field("quota", "Seats of this type", &self.quota).kind("number").optional().hint("Empty: only the event's seats limit it.").render())
                }
                div.row {
                    (field("sales_open_at", "Sale opens", &self.sales_open_at).kind("datetime-local").optional().hint("In the event's time zone; empty: at once.").render())
                    (field("sales_close_at", "Sale closes", &self.sales_close_at).kind("datetime-local").optional().hint("Empty: when the event starts.").render())
                }
                div.row {
                    (field("min_per_order", "Fewest per booking", &self.min_per_order).kind("number").render())
                    (field("max_per_order", "Most per booking", &self.max_per_order).kind("number").optional().render())
                    (field("per_user_limit", "Most per person", &self.per_user_limit).kind("number").optional().hint("Empty: the event's seats per person.").render())
                }
                div.field {
                    label for=(hidden_id) {
                        input id=(hidden_id) type="checkbox" name="hidden" value="1" checked[self.hidden];
                        " Hidden: only buyers with a promo code that reveals it see and book it"
                    }
                }
                button type="submit" { (submit) }
            }
        }
    }
}

/// A form shown again with what the reader or the core refused.
struct Refused {
    /// `new`, or the number of the type whose edit form it is.
    scope: String,
    form: TypeForm,
    errors: FieldErrors,
}

/// What the page shows beyond the event and its types.
#[derive(Default)]
struct Shown {
    refused: Option<Refused>,
    /// A refusal of an action (a type that sold seats cannot be deleted, …).
    alert: Option<String>,
}

fn types_path(id: EventId) -> String {
    format!("/organizer/events/{id}/types")
}

/// The page: the table, each type's edit form, the form to add one.
fn render(
    cx: &WebCx,
    event: &Event,
    types: &[TicketType],
    shown: &Shown,
    status: StatusCode,
) -> PageReply {
    let id = event.id;
    let live = event.status == EventStatus::Published;
    let refused = |scope: &str| shown.refused.as_ref().filter(|r| r.scope == scope);
    let no_errors = FieldErrors::new();
    let body = html! {
        p.row {
            a href=(format!("/organizer/events/{id}")) { "Back to the event" }
            a href=(format!("/events/{id}")) { "Public page" }
        }
        p.meta {
            "Times are in the event's time zone, " (event.time_zone) ". The event has "
            (format::seats(event.seats.capacity)) " in all; a type's own seats are a share of them."
        }
        @if let Some(alert) = &shown.alert {
            p.form-error role="alert" { (alert) }
        }
        div.table-wrap tabindex="0" {
            table {
                thead { tr {
                    th scope="col" { "Type" } th scope="col" { "Price" } th scope="col" { "Seats" }
                    th scope="col" { "Sale" } th scope="col" { "State" } th scope="col" { span.hint { "Actions" } }
                } }
                tbody {
                    @for (index, sale_type) in types.iter().enumerate() {
                        tr {
                            td {
                                strong { (sale_type.name) }
                                @if sale_type.hidden { " " span.badge { "Hidden" } }
                                @if !sale_type.description.is_empty() { br; span.meta { (sale_type.description) } }
                            }
                            td { (format::money(sale_type.price_minor as i64, &event.currency)) }
                            td {
                                (sale_type.booked) " booked · " (sale_type.held) " held"
                                @if let Some(quota) = sale_type.quota { " of " (quota) }
                                br; span.meta { (format::seats(sale_type.available)) " left" }
                            }
                            td { (format::sale_window(event, sale_type.sales_open_at, sale_type.sales_close_at)) }
                            td {
                                @let (text, class) = format::type_availability(sale_type.availability);
                                span class=(format!("badge {class}")) { (text) }
                            }
                            td {
                                @if live {
                                    (actions(cx, id, sale_type, index, types.len()))
                                }
                            }
                        }
                    }
                }
            }
        }
        @if live {
            h2 { "Change a type" }
            @for sale_type in types {
                @let scope = sale_type.id.to_string();
                @let again = refused(&scope);
                details id=(format!("type-{scope}")) open[again.is_some()] {
                    summary { "Edit " (sale_type.name) }
                    @match again {
                        Some(again) => (again.form.render(cx, &type_path(id, sale_type.id), &format!("t{scope}"), "Save type", &again.errors)),
                        None => (TypeForm::of(sale_type, event).render(cx, &type_path(id, sale_type.id), &format!("t{scope}"), "Save type", &no_errors)),
                    }
                }
            }
            h2 #add { "Add a ticket type" }
            @match refused("new") {
                Some(again) => (again.form.render(cx, &types_path(id), "new", "Add type", &again.errors)),
                None => (TypeForm::blank().render(cx, &types_path(id), "new", "Add type", &no_errors)),
            }
        }
    };
    form_page(
        cx,
        status,
        &format!("Ticket types of “{}”", event.title),
        body,
    )
}

fn type_path(event: EventId, type_id: TicketTypeId) -> String {
    format!("/organizer/events/{event}/types/{type_id}")
}

/// A type's buttons: move up or down, close or reopen, delete (only one that never sold).
fn actions(
    cx: &WebCx,
    event: EventId,
    sale_type: &TicketType,
    index: usize,
    count: usize,
) -> Markup {
    let name = &sale_type.name;
    html! {
        form.inline method="post" action=(type_path(event, sale_type.id)) {
            (csrf_field(cx))
            @if index > 0 {
                button.secondary type="submit" name="do" value="up" aria-label=(format!("Move {name} up")) { "Up" }
            }
            @if index + 1 < count {
                button.secondary type="submit" name="do" value="down" aria-label=(format!("Move {name} down")) { "Down" }
            }
            @if sale_type.closed {
                button.secondary type="submit" name="do" value="reopen" aria-label=(format!("Reopen {name}")) { "Reopen" }
            } @else {
                button.secondary type="submit" name="do" value="close" aria-label=(format!("Close {name}")) { "Close" }
            }
            @if !sale_type.has_tickets && count > 1 {
                button.danger type="submit" name="do" value="delete" aria-label=(format!("Delete {name}")) { "Delete" }
            }
        }
        " " a href=(format!("#type-{}", sale_type.id)) aria-label=(format!("Edit {name}")) { "Edit" }
    }
}

/// The event and its types, when the caller runs it (the core's rule).
fn load(cx: &WebCx, actor: Actor, id: EventId) -> Result<(Event, Vec<TicketType>), WebError> {
    let event = cx.core_read(|p| p.events().get_managed(&actor, id))?;
    let types = cx.core_read(|p| p.events().ticket_types(&actor, id))?;
    Ok((event, types))
}

/// `GET /organizer/events/{id}/types`
pub(crate) fn page(cx: WebCx) -> BoxPage {
    Box::pin(async move {
        let id: EventId = cx.id("id")?;
        let actor = cx.signed_in()?.actor;
        let (event, types) = load(&cx, actor, id)?;
        render(&cx, &event, &types, &Shown::default(), StatusCode::OK)
    })
}

/// The page again after a refusal: the form with its errors, or the action's refusal above the
/// table; anything else (not allowed, no such event) is an error page.
async fn refused(
    cx: &WebCx,
    actor: Actor,
    id: EventId,
    scope: String,
    entered: TypeForm,
    error: Result<FieldErrors, WebError>,
) -> PageReply {
    let (event, types) = load(cx, actor, id)?;
    let (shown, status) = match error {
        Ok(errors) => {
            let refused = Refused {
                scope,
                form: entered,
                errors,
            };
            let shown = Shown {
                refused: Some(refused),
                alert: None,
            };
            (shown, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(error) => {
            let Some(status) = error.refusal_status() else {
                return Err(error);
            };
            let shown = Shown {
                refused: None,
                alert: Some(capitalised(&error.message())),
            };
            (shown, status)
        }
    };
    render(cx, &event, &types, &shown, status)
}

/// `POST /organizer/events/{id}/types`: adds a type, or shows the form again with the errors.
pub(crate) fn add(cx: WebCx) -> BoxPage {
    Box::pin(async move {
        let id: EventId = cx.id("id")?;
        let actor = cx.signed_in()?.actor;
        let entered = TypeForm::entered(&cx.form);
        let error = match entered.parse() {
            Ok(new) => match cx
                .core(move |p| p.events().add_ticket_type(&actor, id, new))
                .await
            {
                Ok(added) => {
                    let path = types_path(id);
                    return redirect(&format!("{path}?done=type-added#type-{}", added.id));
                }
                Err(error) => refused_field(error),
            },
            Err(errors) => Ok(errors),
        };
        refused(&cx, actor, id, "new".into(), entered, error).await
    })
}

/// `POST /organizer/events/{id}/types/{type}` (`do`: save, up, down, close, reopen, delete).
pub(crate) fn change(cx: WebCx) -> BoxPage {
    Box::pin(async move {
        let id: EventId = cx.id("id")?;
        let type_id: TicketTypeId = cx.param("type").parse().map_err(|_| WebError::NotFound)?;
        let actor = cx.signed_in()?.actor;
        let (event, types) = load(&cx, actor, id)?;
        let index = types
            .iter()
            .position(|sale_type| sale_type.id == type_id)
            .ok_or(WebError::NotFound)?;
        let entered = TypeForm::entered(&cx.form);
        let position = |by: i64| TicketTypeUpdate {
            position: Some(index as i64 + 1 + by),
            ..TicketTypeUpdate::default()
        };
        let closed = |closed| TicketTypeUpdate {
            closed: Some(closed),
            ..TicketTypeUpdate::default()
        };
        let update = match cx.form.get("do") {
            "save" => match entered.parse() {
                Ok(new) => entered.update(&TypeForm::of(&types[index], &event), new),
                Err(errors) => {
                    let scope = type_id.to_string();
                    return refused(&cx, actor, id, scope, entered, Ok(errors)).await;
                }
            },
            "up" => position(-1),
            "down" => position(1),
            "close" => closed(true),
            "reopen" => closed(false),
            "delete" => {
                return match cx
                    .core(move |p| p.events().delete_ticket_type(&actor, id, type_id))
                    .await
                {
                    Ok(()) => redirect(&format!("{}?done=type-deleted", types_path(id))),
                    Err(error) => refused(&cx, actor, id, String::new(), entered, Err(error)).await,
                };
            }
            _ => return Err(WebError::NotFound),
        };
        let saving = cx.form.get("do") == "save";
        match cx
            .core(move |p| p.events().update_ticket_type(&actor, id, type_id, update))
            .await
        {
            Ok(_) => redirect(&format!("{}?done=saved#type-{type_id}", types_path(id))),
            Err(error) => {
                let error = if saving {
                    refused_field(error)
                } else {
                    Err(error)
                };
                refused(&cx, actor, id, type_id.to_string(), entered, error).await
            }
        }
    })
}
