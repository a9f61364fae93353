//! An event's waiting list on its organizer pages: the settings (open, paused, the offer window,
//! whether partial offers are made), the numbers, and the list in joining order (names, seats,
//! joined at, offer state) with "Remove". The attendee's side is [`crate::web::waitlist`]. Every
//! rule is the core's.

use hyper::StatusCode;
use maud::html;
use prasang_core::auth::Actor;
use prasang_core::waitlist::{WaitlistMember, WaitlistSettings};
use prasang_core::{EventId, limits};

use super::edit::form_page;
use crate::web::cx::{BoxPage, PageReply, WebCx};
use crate::web::format;
use crate::web::layout::{Field, capitalised, csrf_field, redirect};
use crate::web::tickets::TypeNames;

/// Entries a page lists (the next page is a link; the REST listing pages the same way).
const PAGE_SIZE: usize = 100;

fn path(id: EventId) -> String {
    format!("/organizer/events/{id}/waitlist")
}

/// The settings form as entered: the window as typed, and the core's refusal of it.
struct SettingsForm {
    settings: WaitlistSettings,
    window: String,
    error: Option<String>,
}

/// `GET /organizer/events/{id}/waitlist?after=`
pub(crate) fn page(cx: WebCx) -> BoxPage {
    Box::pin(async move {
        let id: EventId = cx.id("id")?;
        let actor = cx.signed_in()?.actor;
        render(&cx, actor, id, None)
    })
}

/// The page, with the settings form as entered after a refusal (else as stored).
fn render(cx: &WebCx, actor: Actor, id: EventId, entered: Option<SettingsForm>) -> PageReply {
    let event = cx.core_read(|p| p.events().get_managed(&actor, id))?;
    let status = cx.core_read(|p| p.waitlist().status(id))?;
    let page_request = cx.page_request(PAGE_SIZE);
    let list = cx.core_read(|p| p.waitlist().list(&actor, id, &page_request))?;
    let types = cx.core_read(|p| p.events().ticket_types(&actor, id))?;
    let names = TypeNames::of(&types);
    let several_types = types.len() > 1;
    let refused = entered.is_some();
    let form = entered.unwrap_or_else(|| SettingsForm {
        settings: status.settings,
        window: status.settings.offer_window_minutes.to_string(),
        error: None,
    });
    let here = path(id);
    let window_hint = format!(
        "How long seats stay held for the person offered them: {} to {} minutes (a day is 1440, a week 10080).",
        limits::OFFER_WINDOW_MINUTES.min,
        limits::OFFER_WINDOW_MINUTES.max
    );
    let state = |member: &WaitlistMember| match (&member.entry.offer, member.entry.position) {
        (Some(offer), _) => format!(
            "Offered {} until {}",
            format::seats(offer.seats),
            format::event_time(&event, offer.deadline)
        ),
        (None, Some(position)) => format!("Waiting, number {position}"),
        (None, None) => "Waiting".to_owned(),
    };
    let body = html! {
        p.row {
            a href=(format!("/organizer/events/{id}")) { "Back to the event" }
            a href=(format!("/events/{id}")) { "Public page" }
        }
        ul.stats aria-label="Numbers" {
            li { strong { (status.waiting) } "waiting" }
            li { strong { (status.waiting_seats) } "seats wanted" }
            li { strong { (status.offers) } "offers open" }
            li { strong { (status.offered_seats) } "seats on offer" }
            li { strong { (status.held_back_seats) } "free seats held back" }
        }
        h2 #settings { "Settings" }
        form method="post" action=(format!("{here}/settings")) novalidate {
            (csrf_field(cx))
            fieldset {
                legend { "Waiting list" }
                div { label {
                    input type="checkbox" name="enabled" value="on" checked[form.settings.enabled];
                    " Open: people may join when seats are sold out"
                } }
                div { label {
                    input type="checkbox" name="paused" value="on" checked[form.settings.paused];
                    " Pause offers (seats that come free stay with the list until you resume)"
                } }
                div { label {
                    input type="checkbox" name="offer_what_fits" value="on" checked[form.settings.offer_what_fits];
                    " Offer what fits: when fewer seats came free than the first in line waits for, offer those (otherwise everyone waits)"
                } }
            }
            (Field::new("offer_window_minutes", "Offer window (minutes)", &form.window)
                .kind("number").hint(&window_hint).error(form.error.as_deref()).render())
            button type="submit" { "Save waiting list settings" }
        }
        h2 #list { "The list" }
        @if list.items.is_empty() {
            p { "No one is waiting." }
        } @else {
            div.table-wrap tabindex="0" {
                table {
                    thead { tr {
                        th scope="col" { "Name" } th scope="col" { "Seats" }
                        @if several_types { th scope="col" { "Ticket type" } }
                        th scope="col" { "Joined" } th scope="col" { "State" } th scope="col" { span.hint { "Actions" } }
                    } }
                    tbody {
                        @for member in &list.items {
                            tr {
                                td { (member.name) br; span.meta { (member.email) } }
                                td { (member.entry.seats) }
                                @if several_types { td { (names.get(member.entry.ticket_type).unwrap_or("—")) } }
                                td { (format::event_time(&event, member.entry.joined_at)) }
                                td { (state(member)) }
                                td {
                                    form.inline method="post" action=(format!("{here}/{}/remove", member.entry.entry)) {
                                        (csrf_field(cx))
                                        button.secondary type="submit" aria-label=(format!("Remove {} from the waiting list", member.name)) { "Remove" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        @if let Some(after) = &list.next {
            nav.pager aria-label="Pages" { a href=(format!("{here}?after={after}#list")) rel="next" { "More entries" } }
        }
    };
    let status = if refused {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    form_page(cx, status, &format!("Waiting list: {}", event.title), body)
}

/// `POST /organizer/events/{id}/waitlist/settings` (`enabled`, `paused`, `offer_what_fits`
/// checkboxes; `offer_window_minutes`): a refused window is shown beside its field.
pub(crate) fn settings(cx: WebCx) -> BoxPage {
    Box::pin(async move {
        let id: EventId = cx.id("id")?;
        let actor = cx.signed_in()?.actor;
        let checked = |name: &str| !cx.form.get(name).is_empty();
        let window = cx.form.get("offer_window_minutes").trim().to_owned();
        let settings = WaitlistSettings {
            enabled: checked("enabled"),
            paused: checked("paused"),
            // A window that does not read is 0, which the core refuses beside the field.
            offer_window_minutes: window.parse().unwrap_or(0),
            offer_what_fits: checked("offer_what_fits"),
        };
        match cx
            .core(move |p| p.waitlist().configure(&actor, id, settings))
            .await
        {
            Ok(_) => redirect(&format!("{}?done=saved#settings", path(id))),
            Err(error) if error.field().is_some() => {
                let entered = SettingsForm {
                    settings,
                    window,
                    error: Some(capitalised(&error.message())),
                };
                render(&cx, actor, id, Some(entered))
            }
            Err(error) => Err(error),
        }
    })
}

/// `POST /organizer/events/{id}/waitlist/{entry}/remove`
pub(crate) fn remove(cx: WebCx) -> BoxPage {
    Box::pin(async move {
        let id: EventId = cx.id("id")?;
        let actor = cx.signed_in()?.actor;
        let entry: u64 = cx
            .param("entry")
            .parse()
            .map_err(|_| crate::web::error::WebError::NotFound)?;
        cx.core(move |p| p.waitlist().leave(&actor, id, entry))
            .await?;
        redirect(&format!("{}?done=waitlist-removed#list", path(id)))
    })
}
