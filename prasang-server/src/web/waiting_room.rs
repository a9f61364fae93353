//! The waiting room as an attendee meets it (behaviour in docs/waiting-room.md): on the event
//! page, "Join the waiting room" in place of the booking form while the room is on (the
//! booking form again, carrying the pass, once admitted), and `/events/{id}/waiting-room`, the
//! person's place: in the lottery, number N in line with an estimate, admitted (book before the
//! pass lapses), or spent / expired (join again). While they wait it reloads itself with
//! `<meta http-equiv="refresh">` as often as the REST answer's `Retry-After` says. The
//! organizer's side is [`super::organizer::waiting_room`]. Every rule is the core's.

use maud::{Markup, html};
use prasang_core::events::Event;
use prasang_core::waiting_room::{Place, QueueStatus, RoomError};
use prasang_core::{EventId, Timestamp};

use super::cx::{BoxPage, WebCx};
use super::error::WebError;
use super::format;
use super::layout::{csrf_field, page, redirect, refreshing_page};
use crate::handlers::waiting_room::poll_after;

/// The waiting page of `event`.
pub(crate) fn path(event: EventId) -> String {
    format!("/events/{event}/waiting-room")
}

/// What the waiting room means for booking an event now, for the viewer.
pub(crate) enum Gate {
    /// No room, or it is off: book as usual.
    Free,
    /// The viewer was admitted: they book with `pass` until `expires_at`.
    Pass { pass: String, expires_at: Timestamp },
    /// The room is on and the viewer holds no live pass: they join it, or wait in it.
    Queue {
        on_sale_at: Timestamp,
        /// The viewer's place, if signed in and in the room.
        place: Option<Place>,
    },
}

/// Whether `event` has its room on, and where the viewer stands in it (three point reads).
pub(crate) fn gate(cx: &WebCx, event: EventId) -> Result<Gate, WebError> {
    let settings = cx.core_read(|p| p.waiting_room().settings(event))?;
    let Some(settings) = settings.filter(|settings| settings.enabled) else {
        return Ok(Gate::Free);
    };
    let place = match &cx.user {
        Some(user) => place_of(cx, user.actor, event)?.map(|status| status.place),
        None => None,
    };
    Ok(match place {
        Some(Place::Admitted { pass, expires_at }) => Gate::Pass { pass, expires_at },
        place => Gate::Queue {
            on_sale_at: settings.on_sale_at,
            place,
        },
    })
}

/// The viewer's status, or none when they have no place (or the room is off).
fn place_of(
    cx: &WebCx,
    actor: prasang_core::auth::Actor,
    event: EventId,
) -> Result<Option<QueueStatus>, WebError> {
    match cx.prasang().waiting_room().status(&actor, event) {
        Ok(status) => Ok(Some(status)),
        Err(RoomError::NotJoined | RoomError::NotOpen) => Ok(None),
        Err(error) => Err(error.into()),
    }
}

/// Where a booking the waiting room refused sends the person: to their place, saying why.
pub(crate) fn sent_back(event: EventId, error: &WebError) -> Option<String> {
    let done = match error.code()? {
        "pass-required" => "pass-required",
        "pass-invalid" => "pass-refused",
        _ => return None,
    };
    Some(format!("{}?done={done}", path(event)))
}

/// The event page's booking section while the room is on and the viewer holds no pass.
pub(crate) fn on_event_page(
    cx: &WebCx,
    event: &Event,
    on_sale_at: Timestamp,
    place: Option<&Place>,
) -> Markup {
    let waiting_page = path(event.id);
    html! {
        p {
            "This sale has a waiting room. Everyone who arrives before "
            (format::event_time(event, on_sale_at))
            " gets a random place in line then (arriving first does not help); later arrivals queue in order. When it is your turn you have a few minutes to book."
        }
        @match place {
            Some(Place::InLottery { .. } | Place::Waiting { .. }) => {
                p { "You are in the waiting room. " a href=(waiting_page) { "See your place in line" } }
            }
            _ if cx.user.is_some() => (join_form(cx, event, "Join the waiting room")),
            _ => {
                p { a href=(format!("/login?next={waiting_page}")) { "Log in" } " to join the waiting room." }
            }
        }
    }
}

/// The form that takes (or takes again) a place.
fn join_form(cx: &WebCx, event: &Event, label: &str) -> Markup {
    html! {
        form method="post" action=(path(event.id)) {
            (csrf_field(cx))
            button type="submit" aria-label=(format!("{label} for {}", event.title)) { (label) }
        }
    }
}

/// `GET /events/{id}/waiting-room`: the person's place, reloading itself while they wait.
pub(crate) fn show(cx: WebCx) -> BoxPage {
    Box::pin(async move {
        let id: EventId = cx.id("id")?;
        let actor = cx.signed_in()?.actor;
        let event = cx.core_read(|p| p.events().get(id))?;
        let title = format!("Waiting room: {}", event.title);
        let settings = cx.core_read(|p| p.waiting_room().settings(id))?;
        if !settings.is_some_and(|settings| settings.enabled) {
            let body = html! {
                h1 { (title) }
                p { "This event has no waiting room now: book on " a href=(format!("/events/{id}#booking")) { "the event page" } "." }
            };
            return page(&cx, &title, body);
        }
        let status = place_of(&cx, actor, id)?;
        let refresh = status
            .as_ref()
            .and_then(|status| poll_after(status, cx.prasang().now()));
        let body = html! {
            h1 { (title) }
            p.row { a href=(format!("/events/{id}")) { "Event page" } }
            div #place role="status" aria-live="polite" {
                @match status.as_ref().map(|status| &status.place) {
                    None => {
                        p { "You are not in this event's waiting room." }
                        (join_form(&cx, &event, "Join the waiting room"))
                    }
                    Some(Place::InLottery { on_sale_at }) => {
                        p { strong { "You are in." } " The sale opens at " (format::event_time(&event, *on_sale_at)) "." }
                        p { "Then everyone who came before it gets a random place in line: arriving earlier does not help, and leaving this page does not lose your place." }
                    }
                    Some(Place::Waiting { position, estimated_wait_secs }) => {
                        p.position { "You are number " strong { (position) } " in line." }
                        p { "Estimated wait: " (format::wait(*estimated_wait_secs)) "." }
                    }
                    Some(Place::Admitted { expires_at, .. }) => {
                        p { strong { "It is your turn." } " Book before " (format::event_time(&event, *expires_at)) ": then your pass lapses and the next people go first." }
                        p { a.button href=(format!("/events/{id}#booking")) { "Book now" } }
                    }
                    Some(Place::Spent { at }) => {
                        p { "Your pass was used for a booking at " (format::event_time(&event, *at)) "." }
                        (join_form(&cx, &event, "Join again (at the end of the line)"))
                    }
                    Some(Place::Expired { at }) => {
                        p { "Your pass lapsed unused at " (format::event_time(&event, *at)) "." }
                        (join_form(&cx, &event, "Join again (at the end of the line)"))
                    }
                }
            }
            @if let Some(status) = &status {
                p.meta { (status.queue_length) " waiting · " (status.admitted) " admitted so far" }
            }
            @if refresh.is_some() {
                p.hint { "You may leave this page and come back: your place is kept." }
            }
        };
        refreshing_page(&cx, &title, body, refresh)
    })
}

/// `POST /events/{id}/waiting-room`: takes a place (the same one when in the room already),
/// then shows it.
pub(crate) fn join(cx: WebCx) -> BoxPage {
    Box::pin(async move {
        let id: EventId = cx.id("id")?;
        let actor = cx.signed_in()?.actor;
        cx.core(move |p| p.waiting_room().join(&actor, id)).await?;
        redirect(&path(id))
    })
}
