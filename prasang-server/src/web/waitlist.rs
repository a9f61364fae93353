//! The waiting list as an attendee uses it (behaviour in docs/waitlist.md): the join form and
//! one's place on a sold-out event's page, `/waitlist/{event}` (the page an offer's notification
//! links to) with Accept / Decline and the deadline on the event's clock, and the offers on "My
//! tickets". Joining is posted to the event page ([`super::events::join_waitlist`]); the
//! organizer's side is [`super::organizer::waitlist`]. Every rule is the core's.

use maud::{Markup, html};
use prasang_core::EventId;
use prasang_core::auth::Actor;
use prasang_core::events::{Event, TicketType, TypeAvailability};
use prasang_core::tickets::TicketStatus;
use prasang_core::waitlist::{Waitlist, WaitlistEntry, WaitlistError, WaitlistStatus};

use super::cx::{BoxPage, PageReply, WebCx};
use super::error::WebError;
use super::format;
use super::layout::{csrf_field, page, redirect};

/// The page an entry's form was on, where its answer goes back to (one of a fixed set of
/// pages, so the form cannot send anyone elsewhere).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReturnTo {
    /// The event's page.
    Event,
    /// "My tickets".
    Tickets,
    /// `/waitlist/{event}`.
    Offers,
}

impl ReturnTo {
    fn field(self) -> &'static str {
        match self {
            ReturnTo::Event => "event",
            ReturnTo::Tickets => "tickets",
            ReturnTo::Offers => "offers",
        }
    }

    fn read(cx: &WebCx) -> ReturnTo {
        match cx.form.get("from") {
            "event" => ReturnTo::Event,
            "tickets" => ReturnTo::Tickets,
            _ => ReturnTo::Offers,
        }
    }

    /// Where to go after `done` (a notice of [`super::layout`]).
    pub(crate) fn back(self, event: EventId, done: &str) -> String {
        match self {
            ReturnTo::Event => format!("/events/{event}?done={done}#waitlist"),
            ReturnTo::Tickets => format!("/me/tickets?done={done}#offers"),
            ReturnTo::Offers => format!("/waitlist/{event}?done={done}"),
        }
    }
}

/// The join form as entered, and why the core refused it.
#[derive(Default)]
pub(crate) struct JoinForm {
    pub(crate) seats: String,
    pub(crate) ticket_type: String,
    pub(crate) refusal: Option<String>,
}

/// What an event page shows of its waiting list: its settings and numbers, and the viewer's
/// entries.
pub(crate) struct OnEventPage {
    status: WaitlistStatus,
    mine: Vec<WaitlistEntry>,
}

/// The types one may wait for: those sold out, and every type that sells once every free seat
/// of the event is taken or kept for the people waiting (bookings find those sold out).
fn waitable<'a>(
    event: &Event,
    status: &WaitlistStatus,
    types: &'a [TicketType],
) -> Vec<&'a TicketType> {
    let all_taken = event.seats.remaining <= status.held_back_seats;
    types
        .iter()
        .filter(|sale_type| match sale_type.availability {
            TypeAvailability::SoldOut => true,
            TypeAvailability::OnSale => all_taken,
            _ => false,
        })
        .collect()
}

/// The waiting list of an event page, when there is something to show: the viewer's entries,
/// an open list one may join, or why joining was `refused`.
pub(crate) fn on_event_page(
    cx: &WebCx,
    event: &Event,
    types: &[TicketType],
    refused: bool,
) -> Result<Option<OnEventPage>, WebError> {
    let mine = match &cx.user {
        Some(user) => cx.core_read(|p| p.waitlist().mine_for(&user.actor, event.id))?,
        None => Vec::new(),
    };
    let status = cx.core_read(|p| p.waitlist().status(event.id))?;
    let joinable = status.settings.enabled && !waitable(event, &status, types).is_empty();
    Ok((joinable || refused || !mine.is_empty()).then_some(OnEventPage { status, mine }))
}

/// The section of the event page: the viewer's entries (place in line or offer), then the join
/// form for the sold-out types they do not wait for yet.
pub(crate) fn section(
    cx: &WebCx,
    event: &Event,
    types: &[TicketType],
    shown: &OnEventPage,
    join: &JoinForm,
) -> Markup {
    let id = event.id;
    let open: Vec<&TicketType> = waitable(event, &shown.status, types)
        .into_iter()
        .filter(|sale_type| {
            !shown
                .mine
                .iter()
                .any(|entry| entry.ticket_type == sale_type.id)
        })
        .collect();
    let most = event.per_user_limit.max(1);
    html! {
        h2 #waitlist { "Waiting list" }
        @if shown.status.waiting > 0 {
            p.meta { (format::seats(shown.status.waiting_seats)) " wanted by " (people(shown.status.waiting)) " waiting." }
        }
        @if shown.status.held_back_seats > 0 {
            p.meta { (format::seats(shown.status.held_back_seats)) " free now, kept for the people waiting in turn." }
        }
        @if !shown.mine.is_empty() {
            (entries(cx, event, types, &shown.mine, ReturnTo::Event))
        }
        @if let Some(refusal) = &join.refusal {
            p.form-error role="alert" { (refusal) }
        }
        @if shown.status.settings.enabled && !open.is_empty() {
            @if cx.user.is_some() {
                form #join method="post" action=(format!("/events/{id}/waitlist#waitlist")) {
                    (csrf_field(cx))
                    p { "When seats come free they are offered in joining order: you are told, and they are held for you for a while." }
                    div.row {
                        @if let [only] = open.as_slice() {
                            input type="hidden" name="ticket_type" value=(only.id);
                        } @else {
                            div.field {
                                label for="waitlist-type" { "Ticket type" }
                                select #waitlist-type name="ticket_type" {
                                    @for sale_type in &open {
                                        option value=(sale_type.id) selected[join.ticket_type == sale_type.id.to_string()] { (sale_type.name) }
                                    }
                                }
                            }
                        }
                        div.field {
                            label for="waitlist-seats" { "Seats wanted" }
                            input #waitlist-seats name="seats" type="number" min="1" max=(most) inputmode="numeric"
                                value=(if join.seats.is_empty() { "1" } else { join.seats.as_str() });
                        }
                    }
                    button type="submit" { "Join the waiting list" }
                }
            } @else {
                p { a href=(format!("/login?next=/events/{id}")) { "Log in" } " or " a href="/register" { "register" } " to join the waiting list." }
            }
        }
    }
}

fn people(count: u32) -> String {
    if count == 1 {
        "1 person".into()
    } else {
        format!("{count} people")
    }
}

/// `from` on the forms of one entry list.
fn from_field(from: ReturnTo) -> Markup {
    html! { input type="hidden" name="from" value=(from.field()); }
}

/// The viewer's entries of one event: each with its place in line and a Leave button, or its
/// offer (seats, deadline on the event's clock) with Accept and Decline.
pub(crate) fn entries(
    cx: &WebCx,
    event: &Event,
    types: &[TicketType],
    entries: &[WaitlistEntry],
    from: ReturnTo,
) -> Markup {
    let id = event.id;
    let name = |entry: &WaitlistEntry| {
        types
            .iter()
            .find(|sale_type| sale_type.id == entry.ticket_type)
            .map_or("tickets", |sale_type| sale_type.name.as_str())
    };
    html! {
        ul.waitlist {
            @for entry in entries {
                @let base = format!("/waitlist/{id}/{}", entry.entry);
                li {
                    @if let Some(offer) = &entry.offer {
                        strong { (format::seats(offer.seats)) " of " (name(entry)) " held for you" }
                        " until " strong { (format::event_time(event, offer.deadline)) } ". "
                        form.inline method="post" action=(format!("{base}/accept")) {
                            (csrf_field(cx))
                            (from_field(from))
                            button type="submit" aria-label=(format!("Accept the offer for {}", event.title)) { "Accept" }
                        }
                        " "
                        form.inline method="post" action=(format!("{base}/decline")) {
                            (csrf_field(cx))
                            (from_field(from))
                            button.secondary type="submit" aria-label=(format!("Decline the offer for {}", event.title)) { "Decline" }
                        }
                        br; span.meta { "Accepting books the seats (paid seats are then held until the organizer confirms your payment); declining passes them on." }
                    } @else {
                        "Waiting for " (format::seats(entry.seats)) " of " (name(entry))
                        @if let Some(position) = entry.position { ": number " strong { (position) } " in line" }
                        ". "
                        form.inline method="post" action=(format!("{base}/leave")) {
                            (csrf_field(cx))
                            (from_field(from))
                            button.secondary type="submit" aria-label=(format!("Leave the waiting list for {}", event.title)) { "Leave" }
                        }
                    }
                }
            }
        }
    }
}

/// The event and entry an entry's form names.
fn named(cx: &WebCx) -> Result<(EventId, u64), WebError> {
    let event = cx.id("event")?;
    let entry = cx.param("entry").parse().map_err(|_| WebError::NotFound)?;
    Ok((event, entry))
}

/// `POST /waitlist/{event}/{entry}/accept`: books the offered seats, then "My tickets".
pub(crate) fn accept(cx: WebCx) -> BoxPage {
    Box::pin(async move {
        let (event, entry) = named(&cx)?;
        let actor = cx.signed_in()?.actor;
        let metrics = cx.state.metrics.clone();
        let outcome = cx
            .core(move |p| p.waitlist().accept(&actor, event, entry))
            .await;
        metrics.booking(outcome.as_ref().map(|o| o.replayed).map_err(|_| ()));
        let done = match outcome?.ticket.status {
            TicketStatus::Pending => "held",
            _ => "booked",
        };
        redirect(&format!("/me/tickets?done={done}"))
    })
}

/// `POST /waitlist/{event}/{entry}/decline`
pub(crate) fn decline(cx: WebCx) -> BoxPage {
    Box::pin(on_entry(
        cx,
        "offer-declined",
        |waitlist, actor, event, entry| waitlist.decline(actor, event, entry),
    ))
}

/// `POST /waitlist/{event}/{entry}/leave`
pub(crate) fn leave(cx: WebCx) -> BoxPage {
    Box::pin(on_entry(
        cx,
        "waitlist-left",
        |waitlist, actor, event, entry| waitlist.leave(actor, event, entry),
    ))
}

/// What an entry's form does: `call` for the signed-in user on the entry the address names,
/// then back to the page the form was on with the notice `done`.
async fn on_entry(
    cx: WebCx,
    done: &'static str,
    call: fn(&Waitlist<'_>, &Actor, EventId, u64) -> Result<(), WaitlistError>,
) -> PageReply {
    let (event, entry) = named(&cx)?;
    let actor = cx.signed_in()?.actor;
    cx.core(move |p| call(&p.waitlist(), &actor, event, entry))
        .await?;
    redirect(&ReturnTo::read(&cx).back(event, done))
}

/// `GET /waitlist/{event}`: the signed-in user's entries of the event, an offer with Accept and
/// Decline and its deadline on the event's clock (offer notifications link here).
pub(crate) fn show(cx: WebCx) -> BoxPage {
    Box::pin(async move {
        let id: EventId = cx.id("event")?;
        let actor = cx.signed_in()?.actor;
        // Not a view of the event page: no visit counted.
        let event = cx.core_read(|p| p.events().peek(id))?;
        let mine = cx.core_read(|p| p.waitlist().mine_for(&actor, id))?;
        let types = cx
            .core_read(|p| p.tickets().types_for(Some(&actor), id, None))
            .unwrap_or_default();
        let body = html! {
            h1 { "Waiting list: " (event.title) }
            p.meta { (format::event_time(&event, event.starts_at)) " · " (event.location) }
            @if mine.is_empty() {
                p { "You are not on this event's waiting list (an offer you accepted is under " a href="/me/tickets" { "My tickets" } ")." }
            } @else {
                (entries(&cx, &event, &types, &mine, ReturnTo::Offers))
            }
            p { a href=(format!("/events/{id}")) { "The event's page" } }
        };
        page(&cx, &format!("Waiting list: {}", event.title), body)
    })
}

/// The user's open offers and places in line across events, for "My tickets" (nothing when
/// they wait for nothing).
pub(crate) fn on_my_tickets(cx: &WebCx) -> Result<Markup, WebError> {
    let Some(user) = &cx.user else {
        return Ok(html! {});
    };
    let actor = user.actor;
    let mine = cx.core_read(|p| p.waitlist().mine(&actor))?;
    if mine.is_empty() {
        return Ok(html! {});
    }
    // The core lists offers first, then by joining time: grouped by event in that order.
    let mut by_event: Vec<(EventId, Vec<WaitlistEntry>)> = Vec::new();
    for entry in mine {
        match by_event.iter_mut().find(|(event, _)| *event == entry.event) {
            Some((_, entries)) => entries.push(entry),
            None => by_event.push((entry.event, vec![entry])),
        }
    }
    let mut shown = Vec::with_capacity(by_event.len());
    for (id, entries) in by_event {
        // (An event deleted since is left out.)
        let Ok(event) = cx.core_read(|p| p.events().peek(id)) else {
            continue;
        };
        let types = cx
            .core_read(|p| p.tickets().types_for(Some(&actor), id, None))
            .unwrap_or_default();
        shown.push((event, types, entries));
    }
    let offers = shown
        .iter()
        .flat_map(|(_, _, entries)| entries)
        .filter(|entry| entry.offer.is_some())
        .count();
    Ok(html! {
        section.waitlists aria-labelledby="offers" {
            h2 #offers {
                @if offers > 0 { "Offers from waiting lists (" (offers) ")" } @else { "Waiting lists" }
            }
            @for (event, types, entries) in &shown {
                h3 { a href=(format!("/events/{}", event.id)) { (event.title) } }
                p.meta { (format::event_time(event, event.starts_at)) }
                (self::entries(cx, event, types, entries, ReturnTo::Tickets))
            }
        }
    })
}
