//! The door page: where staff scan admission codes with a keyboard-wedge scanner (or type them),
//! without JavaScript. One big autofocused field; Enter posts it (with a fresh scan id, so a
//! resent form counts once); the answer comes back large, colour-coded and in words, with the
//! field empty and focused again, the counts (admitted / expected) and the last scans. Only the
//! organizer, admins and the event's door staff get the page: the core's rule, asked through
//! the counts.

use maud::{Markup, html};
use prasang_core::EventId;
use prasang_core::auth::Actor;
use prasang_core::checkin::{Admitted, CheckInError, CheckInRequest};
use prasang_core::events::Event;

use super::cx::{BoxPage, PageReply, WebCx};
use super::error::WebError;
use super::events::fresh_key;
use super::format;
use super::layout::{capitalised, csrf_field, page};
use crate::problem::ApiError;

/// The gate a door page scans for when its address names none.
const DEFAULT_GATE: &str = "Door";
/// How many of the last scans the page lists.
const LAST_SCANS: usize = 10;

/// What the last scan answered, as the page shows it.
enum Answer {
    Admitted(Admitted),
    /// A refusal the staff act on at the door: its class (the colour), its heading in words, the
    /// core's reason, and the seat it concerns when the core says.
    Refused {
        class: &'static str,
        heading: String,
        detail: String,
        seat: Option<Box<Admitted>>,
    },
}

/// `GET /events/{id}/door?gate=`
pub(crate) fn show(cx: WebCx) -> BoxPage {
    Box::pin(async move {
        let id: EventId = cx.id("id")?;
        let actor = cx.signed_in()?.actor;
        render(&cx, actor, id, None)
    })
}

/// `POST /events/{id}/door` (`code`, `gate`, `scan_id`): checks the code in and shows the page
/// again with the answer.
pub(crate) fn scan(cx: WebCx) -> BoxPage {
    Box::pin(async move {
        let id: EventId = cx.id("id")?;
        let actor = cx.signed_in()?.actor;
        let code = cx.form.get("code").to_owned();
        let gate = gate(cx.form.get("gate")).to_owned();
        let scan_id = cx.form.get("scan_id").to_owned();
        let answer = match cx
            .core(move |p| {
                p.check_ins().check_in(
                    &actor,
                    CheckInRequest {
                        event: id,
                        code: &code,
                        gate,
                        scan_id,
                    },
                )
            })
            .await
        {
            Ok(admitted) => Answer::Admitted(admitted),
            Err(error) => refusal(&cx, id, error)?,
        };
        render(&cx, actor, id, Some(answer))
    })
}

/// The gate named in a form or address, or the default.
fn gate(given: &str) -> &str {
    match given.trim() {
        "" => DEFAULT_GATE,
        gate => gate,
    }
}

/// A refusal of a scan in the words the door needs (the heading) with the core's reason; a
/// request the core refuses altogether (not allowed here, the store failing) is an error page.
fn refusal(cx: &WebCx, id: EventId, error: WebError) -> Result<Answer, WebError> {
    let refused = match &error {
        WebError::Api(ApiError::Core(core)) => {
            let core: &(dyn std::error::Error + 'static) = core.as_ref();
            core.downcast_ref::<CheckInError>()
        }
        _ => None,
    };
    let detail = capitalised(&error.message());
    let answer = |class, heading: String, seat| Answer::Refused {
        class,
        heading,
        detail: detail.clone(),
        seat,
    };
    Ok(match refused {
        Some(CheckInError::AlreadyAdmitted { first }) => {
            let event = cx.core_read(|p| p.events().peek(id))?;
            let when = format::event_time(&event, first.at);
            Answer::Refused {
                class: "warning",
                heading: format!("Already admitted at {when} by gate {}", first.gate),
                // (The core's sentence says the same with a UTC instant.)
                detail: "This seat is in already: do not let it in again.".into(),
                seat: Some(first.clone()),
            }
        }
        Some(CheckInError::Revoked { .. }) => answer("refused", "Revoked".into(), None),
        Some(CheckInError::WrongEvent) => answer("refused", "Wrong event".into(), None),
        Some(CheckInError::CodeInvalid(_)) => answer("refused", "Invalid code".into(), None),
        // A mistyped gate name, a scan id used before: nothing was checked in.
        _ if error.refusal_status().is_some() => answer("refused", "Not checked in".into(), None),
        _ => return Err(error),
    })
}

/// The door page, with the answer to the last scan if there was one.
fn render(cx: &WebCx, actor: Actor, id: EventId, answer: Option<Answer>) -> PageReply {
    // The counts are the core's check of who may work this door.
    let counts = cx.core_read(|p| p.check_ins().counts(&actor, id))?;
    let event = cx.core_read(|p| p.events().peek(id))?;
    let recent = cx.core_read(|p| p.check_ins().recent(&actor, id, LAST_SCANS))?;
    let recent: Vec<&Admitted> = recent
        .iter()
        .filter(|scan| !scan.undone)
        .map(|scan| &scan.admitted)
        .collect();
    let gate = gate(cx.query("gate").unwrap_or(cx.form.get("gate")));
    let body = html! {
        h1 { "Door: " (event.title) }
        p.meta { "Gate " strong { (gate) } " · " a href=(format!("/events/{id}")) { "Event page" } }
        @if let Some(answer) = &answer { (answer_panel(&event, answer)) }
        form.door method="post" action=(format!("/events/{id}/door")) {
            (csrf_field(cx))
            input type="hidden" name="gate" value=(gate);
            input type="hidden" name="scan_id" value=(fresh_key());
            label for="code" { "Scan or type an admission code" }
            input #code.scan type="text" name="code" value="" autofocus autocomplete="off"
                autocapitalize="characters" spellcheck="false" required;
            button type="submit" { "Check in" }
        }
        ul.stats aria-label="Counts" {
            li { strong { (counts.admitted) } "admitted" }
            li { strong { (counts.expected) } "expected" }
        }
        h2 { "Last scans" }
        @if recent.is_empty() {
            p { "No one admitted yet." }
        } @else {
            div.table-wrap tabindex="0" {
                table {
                    thead { tr { th scope="col" { "Time" } th scope="col" { "Name" } th scope="col" { "Ticket type" } th scope="col" { "Seat" } th scope="col" { "Gate" } } }
                    tbody {
                        @for admitted in &recent {
                            tr {
                                td { (format::event_time(&event, admitted.at)) }
                                td { (who(admitted)) }
                                td { (admitted.ticket_type_name) }
                                td { (admitted.seat) " of " (admitted.of) }
                                td { (admitted.gate) }
                            }
                        }
                    }
                }
            }
        }
    };
    page(cx, &format!("Door: {}", event.title), body)
}

/// Who a seat lets in: the attendee name on it, if the buyer gave one, with the ticket's
/// holder; else the holder.
pub(crate) fn who(admitted: &Admitted) -> Markup {
    html! {
        @match &admitted.attendee_name {
            Some(seat_name) => { (seat_name) " " span.meta { "(ticket of " (admitted.name) ")" } }
            None => { (admitted.name) }
        }
    }
}

/// The answer, large: colour for a glance, words for everyone (and screen readers).
fn answer_panel(event: &Event, answer: &Answer) -> Markup {
    match answer {
        Answer::Admitted(admitted) => html! {
            section.answer.admitted role="status" aria-live="polite" {
                h2 { "Admitted" }
                p.who { (who(admitted)) }
                p { (admitted.ticket_type_name) " · seat " (admitted.seat) " of " (admitted.of) }
                p.meta { (format::event_time(event, admitted.at)) " · gate " (admitted.gate) }
            }
        },
        Answer::Refused {
            class,
            heading,
            detail,
            seat,
        } => html! {
            section class=(format!("answer {class}")) role="alert" {
                h2 { (heading) }
                @if let Some(seat) = seat {
                    p.who { (who(seat)) }
                    p { (seat.ticket_type_name) " · seat " (seat.seat) " of " (seat.of) }
                }
                p { (detail) }
            }
        },
    }
}
