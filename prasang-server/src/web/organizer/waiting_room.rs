//! An event's waiting room on its organizer pages: the live numbers (queue length, admitted,
//! booked with their pass, abandoned, passes out, the lottery, the wait), reloading themselves
//! while the room is on, and the settings form on a page of its own (so a reload never loses
//! what is being typed): on or off, the on-sale time in the event's time zone, people per
//! minute or automatic, the pass lifetime. The attendee's side is
//! [`crate::web::waiting_room`]. Every rule is the core's.

use hyper::StatusCode;
use maud::{Markup, html};
use prasang_core::auth::Actor;
use prasang_core::events::Event;
use prasang_core::waiting_room::{AdmissionRate, RoomError, RoomNumbers, RoomSettings};
use prasang_core::zone::{EventTime, Zone};
use prasang_core::{EventId, limits};

use super::edit::form_page;
use super::input::{Entry, FieldErrors, error_of, error_summary, refused_field};
use crate::web::cx::{BoxPage, PageReply, WebCx};
use crate::web::error::WebError;
use crate::web::format;
use crate::web::layout::{Field, capitalised, csrf_field, redirect, refreshing_page};

/// How often the numbers reload themselves while the room is on, in seconds.
const NUMBERS_REFRESH: u64 = 10;

fn path(id: EventId) -> String {
    format!("/organizer/events/{id}/waiting-room")
}

/// The room's numbers, or none when the event never had a room.
fn numbers_of(cx: &WebCx, actor: Actor, id: EventId) -> Result<Option<RoomNumbers>, WebError> {
    match cx.prasang().waiting_room().numbers(&actor, id) {
        Ok(numbers) => Ok(Some(numbers)),
        Err(RoomError::NotOpen) => Ok(None),
        Err(error) => Err(error.into()),
    }
}

/// `GET /organizer/events/{id}/waiting-room`: the live numbers.
pub(crate) fn page(cx: WebCx) -> BoxPage {
    Box::pin(async move {
        let id: EventId = cx.id("id")?;
        let actor = cx.signed_in()?.actor;
        let event = cx.core_read(|p| p.events().get_managed(&actor, id))?;
        let numbers = numbers_of(&cx, actor, id)?;
        let on = numbers.is_some_and(|numbers| numbers.settings.enabled);
        let title = format!("Waiting room: {}", event.title);
        let body = html! {
            h1 { (title) }
            p.row {
                a href=(format!("/organizer/events/{id}")) { "Back to the event" }
                a href=(format!("/events/{id}")) { "Public page" }
            }
            @match &numbers {
                None => {
                    p { "No waiting room yet: booking is first come, first served. A waiting room queues a crowd fairly before a popular on-sale and lets people in at the rate you set." }
                    p { a.button href=(format!("{}/settings", path(id))) { "Set up the waiting room" } }
                }
                Some(numbers) => {
                    p { (summary(&event, &numbers.settings)) }
                    p { a.button href=(format!("{}/settings", path(id))) { "Change the settings" } }
                    (numbers_list(&event, numbers))
                }
            }
        };
        refreshing_page(&cx, &title, body, on.then_some(NUMBERS_REFRESH))
    })
}

/// The settings in one sentence.
fn summary(event: &Event, settings: &RoomSettings) -> String {
    if !settings.enabled {
        return "Off: booking is first come, first served; everyone's place is kept for when it is on again.".into();
    }
    let rate = match settings.admission {
        AdmissionRate::PerMinute(rate) => format!("{rate} people a minute"),
        AdmissionRate::Automatic => "people as fast as passes are used".into(),
    };
    format!(
        "On: the sale opens at {}; the room admits {rate}; a pass lasts {} minutes.",
        format::event_time(event, settings.on_sale_at),
        settings.pass_minutes
    )
}

fn numbers_list(event: &Event, numbers: &RoomNumbers) -> Markup {
    let lottery = if numbers.lottery_drawn {
        "drawn".to_owned()
    } else {
        format!(
            "drawn at {}",
            format::event_time(event, numbers.settings.on_sale_at)
        )
    };
    html! {
        ul.stats aria-label="Numbers" {
            li { strong { (numbers.queue_length) } "waiting" }
            li { strong { (numbers.admitted) } "admitted" }
            li { strong { (numbers.spent) } "booked with their pass" }
            li { strong { (numbers.abandoned) } "passes lapsed unused" }
            li { strong { (numbers.outstanding) } "passes out now" }
            li { strong { (numbers.lottery_size) } "in the lottery (" (lottery) ")" }
            li { strong { (format::wait(numbers.estimated_wait_secs)) } "wait for someone joining now" }
        }
    }
}

/// The settings form as entered (or as stored).
struct SettingsForm {
    enabled: bool,
    on_sale_at: String,
    automatic: bool,
    per_minute: String,
    pass_minutes: String,
}

impl SettingsForm {
    fn stored(event: &Event, numbers: Option<&RoomNumbers>) -> SettingsForm {
        match numbers.map(|numbers| numbers.settings) {
            Some(settings) => SettingsForm {
                enabled: settings.enabled,
                on_sale_at: format::event_time_input(event, settings.on_sale_at),
                automatic: settings.admission == AdmissionRate::Automatic,
                per_minute: match settings.admission {
                    AdmissionRate::PerMinute(rate) => rate.to_string(),
                    AdmissionRate::Automatic => String::new(),
                },
                pass_minutes: settings.pass_minutes.to_string(),
            },
            None => SettingsForm {
                enabled: true,
                on_sale_at: String::new(),
                automatic: false,
                per_minute: String::new(),
                pass_minutes: "10".into(),
            },
        }
    }

    fn entered(cx: &WebCx) -> SettingsForm {
        let field = |name: &str| cx.form.get(name).trim().to_owned();
        SettingsForm {
            enabled: !cx.form.get("enabled").is_empty(),
            on_sale_at: field("on_sale_at"),
            automatic: cx.form.get("admission") == "automatic",
            per_minute: field("per_minute"),
            pass_minutes: field("pass_minutes"),
        }
    }

    /// The settings, or what does not read (a time in the event's zone, whole numbers; the
    /// core refuses what is out of range).
    fn settings(&self, event: &Event) -> Result<RoomSettings, FieldErrors> {
        let mut entry = Entry::default();
        let zone = Zone::new(&event.time_zone).unwrap_or_else(|_| Zone::utc());
        let on_sale_at = match entry.time("on_sale_at", &self.on_sale_at) {
            Some(EventTime::Local(local)) => match zone.instant_of(local, "on_sale_at") {
                Ok(at) => Some(at),
                Err(refusal) => {
                    entry
                        .errors
                        .push(("on_sale_at", capitalised(&refusal.message)));
                    None
                }
            },
            Some(EventTime::Instant(at)) => Some(at),
            None => None,
        };
        // A number out of u32's range is 0, which the core refuses with the range.
        let mut count = |name, text: &str| {
            entry
                .number(name, text)
                .map(|number| u32::try_from(number).unwrap_or(0))
        };
        let admission = if self.automatic {
            Some(AdmissionRate::Automatic)
        } else {
            count("per_minute", &self.per_minute).map(AdmissionRate::PerMinute)
        };
        let pass_minutes = count("pass_minutes", &self.pass_minutes);
        let settings = match (on_sale_at, admission, pass_minutes) {
            (Some(on_sale_at), Some(admission), Some(pass_minutes)) => Some(RoomSettings {
                enabled: self.enabled,
                on_sale_at,
                admission,
                pass_minutes,
            }),
            _ => None,
        };
        entry.finish(settings)
    }

    fn render(&self, cx: &WebCx, event: &Event, errors: &FieldErrors) -> Markup {
        let error = |name| error_of(errors, name);
        let zone_hint = format!("In the event's time zone, {}.", event.time_zone);
        let rate_hint = format!(
            "{} to {}. To sell the seats in about half an hour to people booking one each: seats ÷ 30 ({} here).",
            limits::ROOM_PER_MINUTE.min,
            limits::ROOM_PER_MINUTE.max,
            event.seats.capacity.div_ceil(30)
        );
        let pass_hint = format!(
            "How long an admitted person has to book: {} to {} minutes.",
            limits::PASS_MINUTES.min,
            limits::PASS_MINUTES.max
        );
        html! {
            (error_summary(errors))
            form method="post" action=(format!("{}/settings", path(event.id))) novalidate {
                (csrf_field(cx))
                div.field { label {
                    input type="checkbox" name="enabled" value="on" checked[self.enabled];
                    " On: booking needs a pass from the waiting room"
                } }
                (Field::new("on_sale_at", "On-sale time", &self.on_sale_at).kind("datetime-local")
                    .hint(&zone_hint).error(error("on_sale_at")).render())
                fieldset.field {
                    legend { "Admission" }
                    label { input type="radio" name="admission" value="per_minute" checked[!self.automatic]; " A set number of people per minute" }
                    label { input type="radio" name="admission" value="automatic" checked[self.automatic]; " Automatic: as fast as people book (about 100 booking at a time)" }
                }
                (Field::new("per_minute", "People per minute", &self.per_minute).kind("number").optional()
                    .hint(&rate_hint).error(error("per_minute")).render())
                (Field::new("pass_minutes", "Pass lifetime (minutes)", &self.pass_minutes).kind("number")
                    .hint(&pass_hint).error(error("pass_minutes")).render())
                button type="submit" { "Save waiting room settings" }
            }
        }
    }
}

/// `GET /organizer/events/{id}/waiting-room/settings`
pub(crate) fn settings_form(cx: WebCx) -> BoxPage {
    Box::pin(async move {
        let id: EventId = cx.id("id")?;
        let actor = cx.signed_in()?.actor;
        let event = cx.core_read(|p| p.events().get_managed(&actor, id))?;
        let numbers = numbers_of(&cx, actor, id)?;
        let form = SettingsForm::stored(&event, numbers.as_ref());
        settings_page(&cx, &event, &form, &FieldErrors::new())
    })
}

fn settings_page(
    cx: &WebCx,
    event: &Event,
    form: &SettingsForm,
    errors: &FieldErrors,
) -> PageReply {
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let body = html! {
        p.row { a href=(path(event.id)) { "Back to the waiting room" } }
        (form.render(cx, event, errors))
    };
    form_page(
        cx,
        status,
        &format!("Waiting room settings: {}", event.title),
        body,
    )
}

/// `POST /organizer/events/{id}/waiting-room/settings` (`enabled`, `on_sale_at`, `admission`,
/// `per_minute`, `pass_minutes`): a value that does not read or that the core refuses is shown
/// beside its field.
pub(crate) fn save(cx: WebCx) -> BoxPage {
    Box::pin(async move {
        let id: EventId = cx.id("id")?;
        let actor = cx.signed_in()?.actor;
        let event = cx.core_read(|p| p.events().get_managed(&actor, id))?;
        let form = SettingsForm::entered(&cx);
        let settings = match form.settings(&event) {
            Ok(settings) => settings,
            Err(errors) => return settings_page(&cx, &event, &form, &errors),
        };
        match cx
            .core(move |p| p.waiting_room().configure(&actor, id, settings))
            .await
        {
            Ok(_) => redirect(&format!("{}?done=saved", path(id))),
            Err(error) => settings_page(&cx, &event, &form, &refused_field(error)?),
        }
    })
}
