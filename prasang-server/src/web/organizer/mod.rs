//! Organizer pages: my events, and one event's page with its attendees (payment confirmation),
//! feedback (replies) and notification settings; creating, editing and cancelling an event is in
//! [`edit`], its check-in (door staff, counts, conflicts, undo) in [`check_in`], messages to its
//! people in [`messages`], its waiting list in [`waitlist`], its waiting room in [`waiting_room`].

mod attendance;
pub(super) mod attendees;
pub(super) mod check_in;
pub(super) mod codes;
pub(super) mod edit;
pub(super) mod embed;
pub(super) mod feedback;
mod input;
pub(super) mod messages;
mod room_report;
mod sales;
pub(super) mod settings;
pub(super) mod types;
pub(super) mod waiting_room;
pub(super) mod waitlist;
mod waitlist_report;

use maud::html;
use prasang_core::analytics::Scope;
use prasang_core::events::EventStatus;
use prasang_core::{EventId, PageRequest, UserId};

use super::cx::{BoxPage, WebCx};
use super::events::{availability, facts};
use super::format;
use super::layout::page;
use attendees::short;

/// `GET /organizer`: the organizer's events and their totals (the core refuses attendees).
pub(crate) fn home(cx: WebCx) -> BoxPage {
    Box::pin(async move {
        let actor = cx.signed_in()?.actor;
        let totals = cx.core_read(|p| {
            p.analytics()
                .popularity(&actor, Scope::Organizer(actor.user_id()))
        })?;
        let page_request = cx.page_request(50);
        let events = cx
            .core(move |p| {
                p.events()
                    .list_by_organizer(&actor, actor.user_id(), &page_request)
            })
            .await?;
        let body = html! {
            h1 { "My events" }
            p.row {
                a.button href="/organizer/events/new" { "New event" }
                a href="/organizer/analytics" { "Analytics dashboard" }
                a href="/organizer/embed" { "Booking widget" }
            }
            ul.stats aria-label="Totals" {
                li { strong { (totals.visits) } "page views" }
                li { strong { (totals.bookings) } "bookings" }
                li { strong { (totals.cancellations) } "cancellations" }
                li { strong { (format::rating(&prasang_core::analytics::EventRating { average: totals.average_rating, count: totals.rating_count })) } "rating" }
            }
            @if events.items.is_empty() {
                p { "No events yet." }
            } @else {
                div.table-wrap tabindex="0" {
                    table {
                        thead { tr { th scope="col" { "Event" } th scope="col" { "Starts" } th scope="col" { "Seats" } th scope="col" { span.hint { "Actions" } } } }
                        tbody {
                            @for event in &events.items {
                                tr {
                                    td { a href=(format!("/organizer/events/{}", event.id)) { (event.title) } }
                                    td { (format::event_time(event, event.starts_at)) }
                                    td { (availability(event)) " · " (event.seats.booked) " booked, " (event.seats.held) " held" }
                                    td {
                                        @if event.status == EventStatus::Published {
                                            a href=(format!("/organizer/events/{}/edit", event.id)) { "Edit" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @if let Some(after) = &events.next {
                nav.pager aria-label="Pages" { a href=(format!("/organizer?after={after}")) rel="next" { "More events" } }
            }
        };
        page(&cx, "My events", body)
    })
}

/// `GET /organizer/events/{id}`: the event, its tickets (confirm payment) and its feedback
/// (reply).
pub(crate) fn event(cx: WebCx) -> BoxPage {
    Box::pin(async move {
        let id: EventId = cx.id("id")?;
        let actor = cx.signed_in()?.actor;
        let page_request = cx.page_request(100);
        let tickets = cx
            .core(move |p| p.tickets().list_for_event(&actor, id, &page_request))
            .await?;
        let event = cx.core_read(|p| p.events().peek(id))?;
        let settings = cx
            .core(move |p| p.notifications().event_settings(&actor, id))
            .await?;
        let deliveries = cx
            .core(move |p| {
                p.notifications().deliveries_for_event(
                    &actor,
                    id,
                    &PageRequest {
                        after: None,
                        limit: Some(20),
                    },
                )
            })
            .await?;
        let channels = cx.prasang().notifications().channels();
        let feedback = cx.core_read(|p| {
            p.feedback().list_for_event(
                &actor,
                id,
                &PageRequest {
                    after: None,
                    limit: Some(100),
                },
            )
        })?;
        let people: Vec<UserId> = tickets
            .items
            .iter()
            .map(|ticket| ticket.user)
            .chain(feedback.items.iter().map(|item| item.user))
            .collect();
        let names = cx.core_read(|p| p.tickets().attendee_names(&actor, id, &people))?;
        let by_type = cx.core_read(|p| p.analytics().by_ticket_type(&actor, id))?;
        let by_code = cx.core_read(|p| p.analytics().by_promo_code(&actor, id))?;
        let attendance = cx.core_read(|p| attendance::Reports::of(p, &actor, id))?;
        let waitlist = cx.core_read(|p| waitlist_report::Reports::of(p, &actor, id))?;
        let queue = cx.core_read(|p| p.analytics().waiting_room(&actor, id))?;
        let name = |user: &UserId| {
            names
                .get(user)
                .cloned()
                .unwrap_or_else(|| short(&user.to_string()).to_owned())
        };
        let types = cx.core_read(|p| p.events().ticket_types(&actor, id))?;
        let type_names = crate::web::tickets::TypeNames::of(&types);
        let body = html! {
            h1 { (event.title) }
            p.row {
                a href=(format!("/events/{id}")) { "Public page" }
                @if event.status == EventStatus::Published {
                    a href=(format!("/organizer/events/{id}/edit")) { "Edit or cancel" }
                }
                a href=(format!("/organizer/events/{id}/types")) { "Ticket types" }
                a href=(format!("/organizer/events/{id}/codes")) { "Promo codes" }
                a href=(format!("/organizer/events/{id}/check-in")) { "Check-in" }
                a href=(format!("/organizer/events/{id}/messages")) { "Messages" }
                a href=(format!("/organizer/events/{id}/waitlist")) { "Waiting list" }
                a href=(format!("/organizer/events/{id}/waiting-room")) { "Waiting room" }
                a href=(format!("/events/{id}/door")) { "Door page" }
                a href=(format!("/organizer/analytics/csv/popularity?event={id}")) { "Event report (CSV)" }
            }
            (facts(&event, &types))
            (sales::section(id, &by_type, &by_code))
            (attendance::section(id, &attendance))
            (waitlist_report::section(id, &waitlist))
            (room_report::section(&queue))
            (attendees::section(&cx, &event, &tickets, &name, &type_names))
            @if event.status == EventStatus::Published {
                (embed::snippet(cx.prasang().public_url(), &event))
            }
            (feedback::section(&cx, id, &feedback, &name))
            (settings::section(&cx, id, &settings, &channels, &deliveries))
        };
        page(&cx, &event.title, body)
    })
}
