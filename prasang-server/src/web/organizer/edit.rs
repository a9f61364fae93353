//! Creating, editing and cancelling an event: the event form, read and checked here, with the
//! core's refusals shown beside their fields.

use hyper::StatusCode;
use maud::{Markup, html};
use prasang_core::events::{AttendeeNames, Event, EventUpdate, NewEvent};
use prasang_core::zone::EventTime;
use prasang_core::{EventId, Timestamp};

use super::input::{Entry, FieldErrors, error_of, error_summary, refused_field};
use crate::web::cx::{BoxPage, PageReply, WebCx};
use crate::web::error::WebError;
use crate::web::form::Form;
use crate::web::format;
use crate::web::layout::{Field, csrf_field, page_with, redirect};

/// The event form's values as entered (or as stored, when editing).
struct EventForm {
    title: String,
    description: String,
    location: String,
    starts_at: String,
    ends_at: String,
    time_zone: String,
    capacity: String,
    price: String,
    currency: String,
    per_user_limit: String,
    /// `not_asked`, `optional` or `required`.
    attendee_names: String,
}

/// The choices of the attendee names field: value and label.
const NAME_CHOICES: [(&str, AttendeeNames, &str); 3] = [
    ("not_asked", AttendeeNames::NotAsked, "Not asked"),
    (
        "optional",
        AttendeeNames::Optional,
        "Optional: buyers may name each seat",
    ),
    (
        "required",
        AttendeeNames::Required,
        "Required: a name on every seat",
    ),
];

impl EventForm {
    fn blank() -> Self {
        EventForm {
            title: String::new(),
            description: String::new(),
            location: String::new(),
            starts_at: String::new(),
            ends_at: String::new(),
            // Empty: the server's --default-time-zone.
            time_zone: String::new(),
            capacity: "50".into(),
            price: "0".into(),
            currency: "EUR".into(),
            per_user_limit: "4".into(),
            attendee_names: "not_asked".into(),
        }
    }

    fn of(event: &Event) -> Self {
        EventForm {
            title: event.title.clone(),
            description: event.description.clone(),
            location: event.location.clone(),
            starts_at: format::event_time_input(event, event.starts_at),
            ends_at: format::event_time_input(event, event.ends_at),
            time_zone: event.time_zone.clone(),
            capacity: event.seats.capacity.to_string(),
            price: format::money_input(event.price_minor),
            currency: event.currency.clone(),
            per_user_limit: event.per_user_limit.to_string(),
            attendee_names: NAME_CHOICES
                .iter()
                .find(|(_, policy, _)| *policy == event.attendee_names)
                .map_or("not_asked", |(value, _, _)| value)
                .to_owned(),
        }
    }

    fn entered(form: &Form) -> Self {
        let get = |name: &str| form.get(name).to_owned();
        EventForm {
            title: get("title"),
            description: get("description"),
            location: get("location"),
            starts_at: get("starts_at"),
            ends_at: get("ends_at"),
            time_zone: get("time_zone"),
            capacity: get("capacity"),
            price: get("price"),
            currency: get("currency"),
            per_user_limit: get("per_user_limit"),
            attendee_names: get("attendee_names"),
        }
    }

    /// The typed values, or an error beside each field that is not even of the right kind
    /// (the core checks the rules: lengths, ranges, start in the future, end after start).
    fn parse(&self) -> Result<NewEvent, FieldErrors> {
        let mut entry = Entry::default();
        let starts_at = entry.time("starts_at", &self.starts_at);
        let ends_at = entry.time("ends_at", &self.ends_at);
        let capacity = entry.number("capacity", &self.capacity);
        let per_user_limit = entry.number("per_user_limit", &self.per_user_limit);
        let price = entry.money("price", &self.price);
        // A form of before this field (or a script posting it) leaves names not asked.
        let names = match self.attendee_names.as_str() {
            "" => Some(AttendeeNames::NotAsked),
            given => NAME_CHOICES
                .iter()
                .find(|(value, _, _)| *value == given)
                .map(|(_, policy, _)| *policy),
        };
        if names.is_none() {
            entry
                .errors
                .push(("attendee_names", "Choose one of the options.".into()));
        }
        let new = (|| {
            Some(NewEvent {
                title: self.title.clone(),
                description: self.description.clone(),
                location: self.location.clone(),
                starts_at: starts_at?,
                ends_at: ends_at?,
                time_zone: Some(self.time_zone.trim())
                    .filter(|zone| !zone.is_empty())
                    .map(str::to_owned),
                capacity: capacity?,
                price_minor: price?,
                currency: self.currency.trim().to_owned(),
                image_url: None,
                per_user_limit: Some(per_user_limit?),
                ticket_types: None,
                attendee_names: names?,
            })
        })();
        entry.finish(new)
    }

    fn render(&self, cx: &WebCx, action: &str, submit: &str, errors: &FieldErrors) -> Markup {
        let error = |name: &str| error_of(errors, name);
        let zone = "Date and time in the event's time zone.";
        html! {
            (error_summary(errors))
            form method="post" action=(action) novalidate {
                (csrf_field(cx))
                (Field::new("title", "Title", &self.title).error(error("title")).render())
                (Field::new("description", "Description", &self.description).kind("textarea").optional().error(error("description")).render())
                (Field::new("location", "Place", &self.location).error(error("location")).render())
                div.row {
                    (Field::new("starts_at", "Starts", &self.starts_at).kind("datetime-local").hint(zone).error(error("starts_at")).render())
                    (Field::new("ends_at", "Ends", &self.ends_at).kind("datetime-local").hint(zone).error(error("ends_at")).render())
                }
                (Field::new("time_zone", "Time zone", &self.time_zone).optional().hint("IANA name such as Europe/Berlin or Asia/Kolkata; empty for the server's default.").error(error("time_zone")).render())
                div.row {
                    (Field::new("capacity", "Seats", &self.capacity).kind("number").error(error("capacity")).render())
                    (Field::new("per_user_limit", "Seats per person", &self.per_user_limit).kind("number").error(error("per_user_limit")).render())
                }
                div.row {
                    (Field::new("price", "Price per seat", &self.price).hint("0 for free.").error(error("price")).render())
                    (Field::new("currency", "Currency", &self.currency).hint("Three letters, e.g. EUR.").error(error("currency")).render())
                }
                fieldset.field.invalid[error("attendee_names").is_some()] {
                    legend { "Attendee names" }
                    small.hint { "Whether buyers give a name for each seat (shown on the attendee list, its CSV and at the door)." }
                    @for (value, _, label) in NAME_CHOICES {
                        label { input type="radio" name="attendee_names" value=(value) checked[self.attendee_names == value]; " " (label) }
                    }
                    @if let Some(message) = error("attendee_names") { p.field-error { (message) } }
                }
                button type="submit" { (submit) }
            }
        }
    }
}

pub(super) fn form_page(cx: &WebCx, status: StatusCode, title: &str, body: Markup) -> PageReply {
    page_with(cx, status, title, html! { h1 { (title) } (body) })
}

/// `GET /organizer/events/new`
pub(crate) fn new_form(cx: WebCx) -> BoxPage {
    Box::pin(async move {
        cx.signed_in()?;
        let form = EventForm::blank().render(&cx, "/organizer/events/new", "Publish", &Vec::new());
        form_page(&cx, StatusCode::OK, "New event", form)
    })
}

/// `POST /organizer/events/new`: publishes, or shows the form again with the errors.
pub(crate) fn create(cx: WebCx) -> BoxPage {
    Box::pin(async move {
        let actor = cx.signed_in()?.actor;
        let entered = EventForm::entered(&cx.form);
        let errors = match entered.parse() {
            Ok(new) => match cx.core(move |p| p.events().create(&actor, new)).await {
                Ok(event) => {
                    return redirect(&format!("/organizer/events/{}?done=created", event.id));
                }
                Err(error) => refused_field(error)?,
            },
            Err(errors) => errors,
        };
        let form = entered.render(&cx, "/organizer/events/new", "Publish", &errors);
        form_page(&cx, StatusCode::UNPROCESSABLE_ENTITY, "New event", form)
    })
}

/// `GET /organizer/events/{id}/edit`
pub(crate) fn edit_form(cx: WebCx) -> BoxPage {
    Box::pin(async move {
        let id: EventId = cx.id("id")?;
        let actor = cx.signed_in()?.actor;
        let event = owned_event(&cx, &actor, id)?;
        let action = format!("/organizer/events/{id}/edit");
        let form = EventForm::of(&event).render(&cx, &action, "Save changes", &Vec::new());
        let cancel = html! {
            h2 { "Cancel this event" }
            p { "Ticket holders are told; this cannot be undone." }
            form method="post" action=(format!("/organizer/events/{id}/cancel")) {
                (csrf_field(&cx))
                button.danger type="submit" { "Cancel event" }
            }
        };
        form_page(
            &cx,
            StatusCode::OK,
            &format!("Edit “{}”", event.title),
            html! { (form) (cancel) },
        )
    })
}

/// The event, when the caller runs it (the core's rule).
fn owned_event(
    cx: &WebCx,
    actor: &prasang_core::auth::Actor,
    id: EventId,
) -> Result<Event, WebError> {
    cx.core_read(|p| p.events().get_managed(actor, id))
}

/// `POST /organizer/events/{id}/edit`: sends only what changed.
pub(crate) fn update(cx: WebCx) -> BoxPage {
    Box::pin(async move {
        let id: EventId = cx.id("id")?;
        let actor = cx.signed_in()?.actor;
        let event = owned_event(&cx, &actor, id)?;
        let mut entered = EventForm::entered(&cx.form);
        if entered.attendee_names.is_empty() {
            // Not sent: unchanged.
            entered.attendee_names = EventForm::of(&event).attendee_names;
        }
        let errors = match entered.parse() {
            Ok(new) => {
                let changed = changes(&event, new);
                match cx
                    .core(move |p| p.events().update(&actor, id, changed))
                    .await
                {
                    Ok(_) => return redirect(&format!("/organizer/events/{id}?done=saved")),
                    Err(error) => refused_field(error)?,
                }
            }
            Err(errors) => errors,
        };
        let action = format!("/organizer/events/{id}/edit");
        let form = entered.render(&cx, &action, "Save changes", &errors);
        form_page(
            &cx,
            StatusCode::UNPROCESSABLE_ENTITY,
            &format!("Edit “{}”", event.title),
            form,
        )
    })
}

/// The fields of `new` that differ from `event`.
fn changes(event: &Event, new: NewEvent) -> EventUpdate {
    fn differs<T: PartialEq>(old: T, new: T) -> Option<T> {
        (old != new).then_some(new)
    }
    let price_changed =
        event.price_minor as i64 != new.price_minor || event.currency != new.currency;
    let zone_changed = new
        .time_zone
        .as_deref()
        .is_some_and(|zone| zone != event.time_zone);
    EventUpdate {
        title: differs(event.title.clone(), new.title),
        description: differs(event.description.clone(), new.description),
        location: differs(event.location.clone(), new.location),
        // A new zone keeps the wall-clock times on the form, so both go along with it.
        starts_at: local_differs(event, event.starts_at, new.starts_at, zone_changed),
        ends_at: local_differs(event, event.ends_at, new.ends_at, zone_changed),
        time_zone: new.time_zone.filter(|_| zone_changed),
        capacity: differs(i64::from(event.seats.capacity), new.capacity),
        price_minor: price_changed.then_some(new.price_minor),
        currency: price_changed.then_some(new.currency),
        image_url: None,
        per_user_limit: new
            .per_user_limit
            .filter(|limit| *limit != i64::from(event.per_user_limit)),
        attendee_names: differs(event.attendee_names, new.attendee_names),
    }
}

/// `new` when it names another wall-clock time than `at` shows in the event's zone (or the zone
/// changes).
fn local_differs(
    event: &Event,
    at: Timestamp,
    new: EventTime,
    zone_changed: bool,
) -> Option<EventTime> {
    let shown = format::parse_event_time_input(&format::event_time_input(event, at));
    (zone_changed || shown != Some(new)).then_some(new)
}

/// `POST /organizer/events/{id}/cancel`
pub(crate) fn cancel(cx: WebCx) -> BoxPage {
    Box::pin(async move {
        let id: EventId = cx.id("id")?;
        let actor = cx.signed_in()?.actor;
        cx.core(move |p| p.events().cancel(&actor, id)).await?;
        redirect(&format!("/organizer/events/{id}?done=event-cancelled"))
    })
}
