//! The booking widget, `/embed/events/{id}`: a compact page made for an `<iframe>` on a venue's
//! own site (no site header, its own small stylesheet, no script), with the event's ticket types
//! on sale and the guest checkout form of [`super::guest`]; the confirmation shows in the frame.
//!
//! Framing: the page's `Content-Security-Policy` allows `frame-ancestors` of exactly the origins
//! the event's organizer listed (none: `'none'`), every other page of the site none
//! ([`super::headers`]). Forms: a cross-site frame gets no cookie, so the widget reads and sets
//! none; its form token is bound to the event and the hour, and its posts must come from this
//! site, i.e. from the framed page itself ([`super::csrf::Csrf::check_widget`]).

use hyper::StatusCode;
use hyper::header::CONTENT_SECURITY_POLICY;
use maud::{DOCTYPE, Markup, html};
use prasang_core::EventId;
use prasang_core::events::{Event, EventStatus};

use super::booking::{self, Checkout, Purchase};
use super::cx::{BoxPage, PageReply, WebCx};
use super::events::fresh_key;
use super::format;
use super::guest::{self, Checkout as Outcome};
use super::headers::widget_policy;
use super::layout::html;
use super::waiting_room::{self, Gate};

/// `GET /embed/events/{id}`: the event's ticket types on sale and the guest checkout form.
pub(crate) fn show(cx: WebCx) -> BoxPage {
    Box::pin(async move {
        let id: EventId = cx.id("id")?;
        render(&cx, id, Purchase::default(), StatusCode::OK)
    })
}

/// `POST /embed/events/{id}` (the guest checkout fields: `name`, `email`, `seats-{type}`,
/// `promo_code`, `attendee_name` per seat, `key`, `step`, `csrf`): books and shows the
/// confirmation in the frame, or the form again with why not.
pub(crate) fn book(cx: WebCx) -> BoxPage {
    Box::pin(async move {
        let id: EventId = cx.id("id")?;
        match guest::checkout(&cx, id).await? {
            Outcome::Booked { ticket, email } => {
                let event = cx.core_read(|p| p.events().peek(id))?;
                let names = guest::type_names(&cx, &ticket);
                let body = html! {
                    h1 { (guest::heading(&ticket)) }
                    (guest::confirmation(&event, &ticket, &email, &names))
                };
                framed(&cx, id, StatusCode::OK, &event.title, body)
            }
            Outcome::Again(purchase, status) => render(&cx, id, *purchase, status),
        }
    })
}

/// The widget with the form as `purchase` has it.
fn render(cx: &WebCx, id: EventId, mut purchase: Purchase, status: StatusCode) -> PageReply {
    let event = cx.core_read(|p| p.events().get(id))?;
    let on_sale = event.status == EventStatus::Published && event.starts_at > cx.prasang().now();
    let types = if on_sale {
        booking::offered(cx, None, id, &mut purchase)?
    } else {
        Vec::new()
    };
    // A guest cannot book while the room is on: the room needs an account.
    let room_on = on_sale && matches!(waiting_room::gate(cx, id)?, Gate::Queue { .. });
    let key = Some(purchase.order.key.clone())
        .filter(|key| !key.is_empty())
        .unwrap_or_else(fresh_key);
    let body = html! {
        (heading(&event))
        @if cx.query("expired").is_some() {
            p.form-error role="alert" { "This form was open for hours, so nothing was booked: please fill it in again." }
        }
        @if !on_sale {
            p { "Tickets for this event are not on sale." }
        } @else if event.seats.remaining == 0 {
            p { "This event is sold out." }
        } @else if room_on {
            p { "This sale has a waiting room: "
                a href=(waiting_room::path(id)) target="_blank" rel="noopener" { "join it on our site" } "." }
        } @else {
            (booking::section(cx, &event, &types, &purchase, &key, Checkout::Widget))
        }
    };
    framed(cx, id, status, &event.title, body)
}

/// The event's title, time and place, and a link to its full page (in a new tab: the site's
/// own pages are never framed).
fn heading(event: &Event) -> Markup {
    html! {
        h1 { (event.title) }
        p.meta { (format::event_time(event, event.starts_at)) " · " (event.location) }
        p.meta { a href=(format!("/events/{}", event.id)) target="_blank" rel="noopener" { "More about this event" } }
    }
}

/// A widget document, framable by the event's organizer's origins only.
fn framed(cx: &WebCx, id: EventId, status: StatusCode, title: &str, body: Markup) -> PageReply {
    let origins = cx.core_read(|p| p.events().embed_origins_for_event(id))?;
    let document = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { "Tickets: " (title) }
                link rel="stylesheet" href="/static/embed.css";
                link rel="icon" type="image/svg+xml" href="/static/favicon.svg";
            }
            body { main { (body) } }
        }
    };
    let mut response = html(status, document);
    if let Some(policy) = widget_policy(&origins) {
        response
            .headers_mut()
            .insert(CONTENT_SECURITY_POLICY, policy);
    }
    Ok(response)
}
