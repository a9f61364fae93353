//! Everyone's pages: upcoming events with search and paging, and one event with its booking
//! form ([`booking`]).

use hyper::StatusCode;
use maud::{Markup, html};
use prasang_core::EventId;
use prasang_core::events::{Event, EventQuery, EventStatus, TicketType};
use prasang_core::tickets::TicketStatus;
use prasang_core::waitlist::JoinRequest;

use super::booking::{self, Checkout, Order, Purchase};
use super::cx::{BoxPage, PageReply, WebCx};
use super::error::WebError;
use super::format;
use super::layout::{Field, capitalised, csrf_field, page, page_with, redirect};
use super::waiting_room::{self, Gate};
use super::waitlist::{self, JoinForm, ReturnTo};

const PAGE_SIZE: usize = 12;

/// `GET /?q=&date=&after=` (`date`: events starting that day in their own time zone)
pub(crate) fn list(cx: WebCx) -> BoxPage {
    Box::pin(async move {
        let given = |name: &str| cx.query(name).filter(|value| !value.trim().is_empty());
        let (q, date) = (given("q").unwrap_or(""), given("date").unwrap_or(""));
        let query = EventQuery {
            text: Some(q.to_owned()).filter(|q| !q.is_empty()),
            local_date: Some(date.trim().to_owned()).filter(|d| !d.is_empty()),
            page: cx.page_request(PAGE_SIZE),
        };
        let events = cx.core_read(|p| p.events().list(&query))?;
        let link = |after: Option<&str>| {
            let mut link = form_urlencoded::Serializer::new(String::new());
            for (name, value) in [("q", q), ("date", date)] {
                if !value.is_empty() {
                    link.append_pair(name, value);
                }
            }
            if let Some(after) = after {
                link.append_pair("after", after);
            }
            format!("/?{}", link.finish())
        };
        let next = events.next.as_deref().map(|after| link(Some(after)));
        let filtered = !q.is_empty() || !date.is_empty();
        let body = html! {
            h1 { "Upcoming events" }
            form.search method="get" action="/" role="search" {
                label for="q" { "Search events" }
                input #q type="search" name="q" value=(q) placeholder="Title, place or words";
                label for="date" { "On" }
                input #date type="date" name="date" value=(date);
                button type="submit" { "Search" }
            }
            @if events.items.is_empty() {
                p { @if filtered { "No upcoming events match." } @else { "No upcoming events yet." } }
            }
            ul.cards {
                @for event in &events.items {
                    li.card { (card(event)) }
                }
            }
            nav.pager aria-label="Pages" {
                @if cx.query("after").is_some() {
                    a href=(link(None)) { "First page" }
                }
                @if let Some(next) = &next {
                    a href=(next) rel="next" { "Next page" }
                }
            }
        };
        page(&cx, "Upcoming events", body)
    })
}

fn card(event: &Event) -> Markup {
    html! {
        h2 { a href=(format!("/events/{}", event.id)) { (event.title) } }
        p.meta { (format::event_time(event, event.starts_at)) }
        p.meta { (event.location) }
        p.meta {
            (format::money(event.price_minor as i64, &event.currency)) " · "
            (availability(event))
        }
    }
}

/// "12 seats left", "Sold out" or "Cancelled".
pub(crate) fn availability(event: &Event) -> Markup {
    html! {
        @if event.status == EventStatus::Cancelled {
            span.badge.cancelled { "Cancelled" }
        } @else if event.seats.remaining == 0 {
            span.badge.soldout { "Sold out" }
        } @else {
            span.badge { (format::seats(event.seats.remaining)) " left" }
        }
    }
}

/// The facts of an event as a description list; with `types` of several prices, the price is
/// the lowest ("From EUR 10.00").
pub(crate) fn facts(event: &Event, types: &[TicketType]) -> Markup {
    let several_prices = types
        .iter()
        .any(|sale_type| sale_type.price_minor != event.price_minor);
    html! {
        dl.facts {
            dt { "Starts" } dd { (format::event_time(event, event.starts_at)) }
            dt { "Ends" } dd { (format::event_time(event, event.ends_at)) }
            dt { "Time zone" } dd { (event.time_zone) }
            dt { "Where" } dd { (event.location) }
            dt { "Price" } dd {
                @if several_prices {
                    "From " (format::money(event.price_minor as i64, &event.currency))
                } @else {
                    (format::money(event.price_minor as i64, &event.currency))
                    @if event.price_minor > 0 { " per seat" }
                }
            }
            dt { "Seats" } dd { (availability(event)) " of " (event.seats.capacity) }
            dt { "Rating" } dd { (format::rating(&event.rating)) }
        }
    }
}

/// `GET /events/{id}`: details, the booking form, and (once it started) the user's feedback.
pub(crate) fn show(cx: WebCx) -> BoxPage {
    Box::pin(async move {
        let id: EventId = cx.id("id")?;
        render(
            &cx,
            id,
            Purchase::default(),
            JoinForm::default(),
            StatusCode::OK,
        )
    })
}

/// `POST /events/{id}/book` (`seats-{type}` per type, or the one `quantity` of the form of
/// before; `promo_code`; `key`; `step`): `step=quote` shows the page again with the types the
/// code reveals and what the order would cost; otherwise it books (a paid order gives a pending
/// hold). A refusal of the form per type is shown above it; of the old form, on its own page.
pub(crate) fn book(cx: WebCx) -> BoxPage {
    Box::pin(async move {
        let event: EventId = cx.id("id")?;
        let actor = cx.signed_in()?.actor;
        let order = Order::entered(&cx.form);
        let request = match order.request(event) {
            Ok(request) => request,
            Err(message) => return names_refused(&cx, event, order, message),
        };
        if cx.form.get("step") == "quote" {
            if order.is_empty() {
                let purchase = Purchase {
                    order,
                    ..Purchase::default()
                };
                return render(&cx, event, purchase, JoinForm::default(), StatusCode::OK);
            }
            let (purchase, status) = match cx.core_read(|p| p.tickets().quote(&actor, &request)) {
                Ok(quote) => {
                    let purchase = Purchase {
                        order,
                        quote: Some(quote),
                        ..Purchase::default()
                    };
                    (purchase, StatusCode::OK)
                }
                Err(error) => match waiting_room::sent_back(event, &error) {
                    Some(place) => return redirect(&place),
                    None => refused(order, error)?,
                },
            };
            return render(&cx, event, purchase, JoinForm::default(), status);
        }
        let metrics = cx.state.metrics.clone();
        let outcome = cx.core(move |p| p.tickets().book(&actor, &request)).await;
        metrics.booking(outcome.as_ref().map(|o| o.replayed).map_err(|_| ()));
        let outcome = match outcome {
            Ok(outcome) => outcome,
            // Refused for want of a (live) pass: to the person's place in the waiting room.
            Err(error) if let Some(place) = waiting_room::sent_back(event, &error) => {
                return redirect(&place);
            }
            Err(error) if order.quantity.is_none() => {
                let (purchase, status) = refused(order, error)?;
                return render(&cx, event, purchase, JoinForm::default(), status);
            }
            Err(error) => return Err(error),
        };
        let done = match outcome.ticket.status {
            TicketStatus::Pending => "held",
            _ => "booked",
        };
        redirect(&format!("/me/tickets?done={done}"))
    })
}

/// The event page again with names that do not fit the seats chosen refused beside them.
fn names_refused(cx: &WebCx, event: EventId, order: Order, message: String) -> PageReply {
    let purchase = Purchase::refused_with(order, message, Some("attendee_names"));
    render(
        cx,
        event,
        purchase,
        JoinForm::default(),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
}

/// The page again with the order and why the core refused it, if the buyer can act on it
/// there (a line that does not fit, a code, a guest's name or address); anything else is an
/// error page.
pub(super) fn refused(order: Order, error: WebError) -> Result<(Purchase, StatusCode), WebError> {
    let status = error.refusal_status().or_else(|| {
        // A line naming a type the buyer may not see.
        error.is_not_found().then_some(StatusCode::NOT_FOUND)
    });
    match status {
        Some(status) => Ok((Purchase::refused(order, &error), status)),
        None => Err(error),
    }
}

/// `POST /events/{id}/waitlist` (`ticket_type`, `seats`): joins the waiting list; a refusal
/// (seats free after all, on the list already, too many seats) shows above the join form.
pub(crate) fn join_waitlist(cx: WebCx) -> BoxPage {
    Box::pin(async move {
        let event: EventId = cx.id("id")?;
        let actor = cx.signed_in()?.actor;
        let form = JoinForm {
            seats: cx.form.get("seats").trim().to_owned(),
            ticket_type: cx.form.get("ticket_type").trim().to_owned(),
            refusal: None,
        };
        let request = JoinRequest {
            ticket_type: form.ticket_type.parse().ok(),
            // A count that does not read is 0, which the core refuses.
            seats: form.seats.parse().unwrap_or(0),
        };
        match cx
            .core(move |p| p.waitlist().join(&actor, event, &request))
            .await
        {
            Ok(_) => redirect(&ReturnTo::Event.back(event, "waitlist-joined")),
            Err(error) => match error.refusal_status() {
                Some(status) => {
                    let form = JoinForm {
                        refusal: Some(capitalised(&error.message())),
                        ..form
                    };
                    render(&cx, event, Purchase::default(), form, status)
                }
                None => Err(error),
            },
        }
    })
}

/// The event page with the booking section as `purchase` has it, and the waiting list's join
/// form as `join` has it.
pub(super) fn render(
    cx: &WebCx,
    id: EventId,
    mut purchase: Purchase,
    join: JoinForm,
    status: StatusCode,
) -> PageReply {
    let event = cx.core_read(|p| p.events().get(id))?;
    let now = cx.prasang().now();
    let on_sale = event.status == EventStatus::Published && event.starts_at > now;
    let started = event.starts_at <= now;
    let mine = match &cx.user {
        Some(user) if started => match cx.core_read(|p| p.feedback().mine(&user.actor, id)) {
            Ok(feedback) => Some(feedback),
            Err(error) if error.is_not_found() => None,
            Err(error) => return Err(error),
        },
        _ => None,
    };
    let viewer = cx.user.as_ref().map(|user| user.actor);
    // The door page is for who may scan here (the core's rule, asked through the counts).
    let scans_here =
        viewer.is_some_and(|actor| cx.core_read(|p| p.check_ins().counts(&actor, id)).is_ok());
    let types = if on_sale {
        booking::offered(cx, viewer, id, &mut purchase)?
    } else {
        Vec::new()
    };
    // While the event's waiting room is on, only an admitted person books, with their pass.
    let gate = if on_sale {
        waiting_room::gate(cx, id)?
    } else {
        Gate::Free
    };
    if let Gate::Pass { pass, .. } = &gate
        && purchase.order.pass.is_empty()
    {
        purchase.order.pass = pass.clone();
    }
    // Sold out (or the viewer waits or holds an offer, or was just refused joining): the
    // waiting list.
    let refused = join.refusal.is_some();
    let waiting = if on_sale || refused {
        waitlist::on_event_page(cx, &event, &types, refused)?
    } else {
        None
    };
    let key = Some(purchase.order.key.clone())
        .filter(|key| !key.is_empty())
        .unwrap_or_else(fresh_key);
    let body = html! {
        h1 { (event.title) }
        @if scans_here {
            p.row { a.button href=(format!("/events/{id}/door")) { "Door page (check-in)" } }
        }
        (facts(&event, &types))
        @if !event.description.is_empty() {
            h2 { "About" }
            p.description { (event.description) }
        }
        @if on_sale {
            h2 #booking { "Book" }
            @if event.seats.remaining == 0 {
                p { "This event is sold out." }
            } @else if let Gate::Queue { on_sale_at, place } = &gate {
                (waiting_room::on_event_page(cx, &event, *on_sale_at, place.as_ref()))
            } @else if cx.user.is_some() {
                @if let Gate::Pass { expires_at, .. } = &gate {
                    p.notice role="status" { "Your turn from the waiting room: book before " (format::event_time(&event, *expires_at)) "." }
                }
                (booking::section(cx, &event, &types, &purchase, &key, Checkout::Account))
            } @else {
                p { "Have an account? " a href=(format!("/login?next=/events/{id}")) { "Log in" } " to book with it." }
                h3 #guest-checkout { "Buy without an account" }
                (booking::section(cx, &event, &types, &purchase, &key, Checkout::Guest))
            }
        }
        @if let Some(waiting) = &waiting {
            (waitlist::section(cx, &event, &types, waiting, &join))
        }
        @if started && cx.user.is_some() {
            h2 #feedback { "Your feedback" }
            (feedback_form(cx, id, mine.as_ref()))
        }
    };
    page_with(cx, status, &event.title, body)
}

fn feedback_form(
    cx: &WebCx,
    event: EventId,
    mine: Option<&prasang_core::feedback::Feedback>,
) -> Markup {
    let rating = mine.map_or(5, |f| f.rating);
    let comment = mine.and_then(|f| f.comment.as_deref()).unwrap_or("");
    html! {
        @if let Some(reply) = mine.and_then(|f| f.reply.as_ref()) {
            div.reply {
                p { strong { "The organizer replied:" } }
                p.reply-text { (reply.text) }
            }
        }
        form method="post" action=(format!("/events/{event}/feedback")) {
            (csrf_field(cx))
            div.field {
                label for="rating" { "Rating (1 to 5)" }
                select #rating name="rating" {
                    @for value in (1..=5u8).rev() {
                        option value=(value) selected[value == rating] { (value) }
                    }
                }
            }
            (Field::new("comment", "Comment", comment).kind("textarea").optional().render())
            button type="submit" { @if mine.is_some() { "Update feedback" } @else { "Send feedback" } }
        }
    }
}

/// A fresh idempotency key for a form (a booking, a scan at the door): a form sent twice counts
/// once.
pub(crate) fn fresh_key() -> String {
    use base64::Engine;
    use rand::RngCore;
    let mut bytes = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}
