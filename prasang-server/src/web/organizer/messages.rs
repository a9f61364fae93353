//! An event's messages on its organizer pages: write one (subject, plain text, who it is for),
//! see how many people it would reach, then send it; and the messages sent, each with what
//! became of its deliveries per channel. Without JavaScript: "Preview" posts the draft and the
//! answer shows the count with a "Send" form carrying the same draft. Every rule (who may
//! write, the limits, who is in a segment) is the core's.

use hyper::StatusCode;
use maud::{Markup, html};
use prasang_core::auth::Actor;
use prasang_core::events::{Event, TicketType};
use prasang_core::limits::MESSAGES_PER_EVENT_PER_DAY;
use prasang_core::messages::{ChannelCounts, MessageDraft, MessageReport, Segment};
use prasang_core::{EventId, PageRequest};

use super::edit::form_page;
use crate::web::cx::{BoxPage, PageReply, WebCx};
use crate::web::error::WebError;
use crate::web::format;
use crate::web::layout::{Field, capitalised, csrf_field, redirect};

/// How many of the last messages the page shows with their reports.
const SHOWN: usize = 20;

fn path(id: EventId) -> String {
    format!("/organizer/events/{id}/messages")
}

/// A draft as the form holds it.
#[derive(Default)]
struct Compose {
    subject: String,
    body: String,
    /// The segment's form value (see [`segment_value`]).
    segment: String,
}

impl Compose {
    fn entered(cx: &WebCx) -> Compose {
        Compose {
            subject: cx.form.get("subject").to_owned(),
            body: cx.form.get("body").to_owned(),
            segment: cx.form.get("segment").to_owned(),
        }
    }

    fn draft(&self) -> Option<MessageDraft> {
        Some(MessageDraft {
            subject: self.subject.clone(),
            body: self.body.clone(),
            segment: parse_segment(&self.segment)?,
        })
    }
}

/// What the page says about the draft: nothing yet, its count, or why it was refused.
enum Said {
    Nothing,
    Reaches(u32),
    Refused {
        field: Option<&'static str>,
        message: String,
    },
}

impl Said {
    fn error(&self, field: &str) -> Option<&str> {
        match self {
            Said::Refused {
                field: Some(at),
                message,
            } if *at == field => Some(message),
            _ => None,
        }
    }
}

const CHOOSE_SEGMENT: &str = "Choose who the message is for.";

/// `ticket_type:3` and the plain kinds, as the segment menu's values.
fn segment_value(segment: Segment) -> String {
    match segment {
        Segment::TicketType { ticket_type } => format!("ticket_type:{ticket_type}"),
        other => other.kind().to_owned(),
    }
}

fn parse_segment(value: &str) -> Option<Segment> {
    Some(match value {
        "all_holders" => Segment::AllHolders,
        "checked_in" => Segment::CheckedIn,
        "not_checked_in" => Segment::NotCheckedIn,
        "waiting_list" => Segment::WaitingList,
        other => Segment::TicketType {
            ticket_type: other.strip_prefix("ticket_type:")?.parse().ok()?,
        },
    })
}

/// Who a segment is, in words.
fn segment_label(segment: Segment, types: &[TicketType]) -> String {
    match segment {
        Segment::AllHolders => "Everyone with a ticket".into(),
        Segment::TicketType { ticket_type } => {
            let name = types.iter().find(|t| t.id == ticket_type);
            format!(
                "Holders of {}",
                name.map_or_else(|| format!("type {ticket_type}"), |t| t.name.clone())
            )
        }
        Segment::CheckedIn => "Checked in at the door".into(),
        Segment::NotCheckedIn => "Booked, not checked in yet".into(),
        Segment::WaitingList => "The waiting list".into(),
    }
}

/// The menu's choices: every segment, a type's for each ticket type.
fn segments(types: &[TicketType]) -> Vec<Segment> {
    let mut all = vec![Segment::AllHolders];
    all.extend(
        types
            .iter()
            .map(|t| Segment::TicketType { ticket_type: t.id }),
    );
    all.extend([
        Segment::CheckedIn,
        Segment::NotCheckedIn,
        Segment::WaitingList,
    ]);
    all
}

/// `GET /organizer/events/{id}/messages`
pub(crate) fn page(cx: WebCx) -> BoxPage {
    Box::pin(async move {
        let id: EventId = cx.id("id")?;
        let actor = cx.signed_in()?.actor;
        let compose = Compose {
            segment: segment_value(Segment::AllHolders),
            ..Compose::default()
        };
        render(&cx, actor, id, &compose, &Said::Nothing)
    })
}

/// `POST /organizer/events/{id}/messages/preview` (`subject`, `body`, `segment`): the page with
/// the draft and how many it would reach.
pub(crate) fn preview(cx: WebCx) -> BoxPage {
    Box::pin(async move {
        let id: EventId = cx.id("id")?;
        let actor = cx.signed_in()?.actor;
        let compose = Compose::entered(&cx);
        let said = match parse_segment(&compose.segment) {
            None => Said::Refused {
                field: Some("segment"),
                message: CHOOSE_SEGMENT.into(),
            },
            Some(segment) => {
                match cx
                    .core(move |p| p.messages().preview(&actor, id, segment))
                    .await
                {
                    Ok(count) => Said::Reaches(count),
                    Err(error) => refused(error)?,
                }
            }
        };
        render(&cx, actor, id, &compose, &said)
    })
}

/// `POST /organizer/events/{id}/messages` (`subject`, `body`, `segment`): sends the draft.
pub(crate) fn send(cx: WebCx) -> BoxPage {
    Box::pin(async move {
        let id: EventId = cx.id("id")?;
        let actor = cx.signed_in()?.actor;
        let compose = Compose::entered(&cx);
        let Some(draft) = compose.draft() else {
            let said = Said::Refused {
                field: Some("segment"),
                message: CHOOSE_SEGMENT.into(),
            };
            return render(&cx, actor, id, &compose, &said);
        };
        match cx.core(move |p| p.messages().send(&actor, id, draft)).await {
            Ok(_) => redirect(&format!("{}?done=message-sent#sent", path(id))),
            Err(error) => {
                let said = refused(error)?;
                render(&cx, actor, id, &compose, &said)
            }
        }
    })
}

/// A refusal shown beside its field (or above the form); anything else is an error page.
fn refused(error: WebError) -> Result<Said, WebError> {
    if error.refusal_status().is_none() {
        return Err(error);
    }
    Ok(Said::Refused {
        field: error.field().map(|field| field.field),
        message: capitalised(
            &error
                .field()
                .map_or_else(|| error.message(), |field| field.message.clone()),
        ),
    })
}

fn render(cx: &WebCx, actor: Actor, id: EventId, compose: &Compose, said: &Said) -> PageReply {
    let event = cx.core_read(|p| p.events().get_managed(&actor, id))?;
    let types = cx.core_read(|p| p.events().ticket_types(&actor, id))?;
    let sent = cx.core_read(|p| p.messages().list(&actor, id, &PageRequest::first(SHOWN)))?;
    let reports = sent
        .items
        .iter()
        .map(|message| cx.core_read(|p| p.messages().report(&actor, id, message.id)))
        .collect::<Result<Vec<_>, _>>()?;
    let here = path(id);
    let general = match said {
        Said::Refused {
            field: None,
            message,
        } => Some(message.as_str()),
        _ => None,
    };
    let body = html! {
        p.row {
            a href=(format!("/organizer/events/{id}")) { "Back to the event" }
        }
        p.hint {
            "Plain text, told through each person's notification channels. At most "
            (MESSAGES_PER_EVENT_PER_DAY) " messages per event per day (UTC)."
        }
        @if let Some(message) = general { p.form-error role="alert" { (message) } }
        form method="post" action=(format!("{here}/preview")) novalidate {
            (csrf_field(cx))
            (Field::new("subject", "Subject", &compose.subject).error(said.error("subject")).render())
            (Field::new("body", "Message", &compose.body).kind("textarea").error(said.error("body")).render())
            div.field.invalid[said.error("segment").is_some()] {
                label for="f-segment" { "To" }
                select #f-segment name="segment" aria-invalid=[said.error("segment").map(|_| "true")] {
                    @for segment in segments(&types) {
                        @let value = segment_value(segment);
                        option value=(value) selected[compose.segment == value] { (segment_label(segment, &types)) }
                    }
                }
                @if let Some(error) = said.error("segment") { p.field-error { (error) } }
            }
            button type="submit" { "Preview recipients" }
        }
        @if let Said::Reaches(count) = said {
            section #preview aria-labelledby="preview-heading" {
                h2 #preview-heading { "Ready to send" }
                p { "This message would reach " strong { (count) } " " (if *count == 1 { "person" } else { "people" }) " now." }
                form method="post" action=(here) {
                    (csrf_field(cx))
                    input type="hidden" name="subject" value=(compose.subject);
                    input type="hidden" name="body" value=(compose.body);
                    input type="hidden" name="segment" value=(compose.segment);
                    button type="submit" { "Send to " (count) " " (if *count == 1 { "person" } else { "people" }) }
                }
            }
        }
        h2 #sent { "Sent messages" }
        @if reports.is_empty() {
            p { "No messages sent yet." }
        } @else {
            (sent_table(&event, &types, &reports))
        }
    };
    let status = match said {
        Said::Refused { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        _ => StatusCode::OK,
    };
    form_page(cx, status, &format!("Messages: {}", event.title), body)
}

/// The messages sent, newest first, each with its deliveries per channel.
fn sent_table(event: &Event, types: &[TicketType], reports: &[MessageReport]) -> Markup {
    html! {
        div.table-wrap tabindex="0" {
            table {
                thead { tr {
                    th scope="col" { "Sent" } th scope="col" { "Message" } th scope="col" { "To" }
                    th scope="col" { "People" } th scope="col" { "Deliveries" }
                } }
                tbody {
                    @for report in reports {
                        @let message = &report.message;
                        tr {
                            td { (format::event_time(event, message.sent_at)) }
                            td { details { summary { (message.subject) } p.description { (message.body) } } }
                            td { (segment_label(message.segment, types)) }
                            td {
                                @match message.recipients {
                                    Some(count) => { (count) @if let Some(unreached) = report.unreached.filter(|n| *n > 0) { " (" (unreached) " without a channel)" } }
                                    None => { span.hint { "going out" } }
                                }
                            }
                            td {
                                @if report.channels.is_empty() { "None" }
                                ul {
                                    @for channel in &report.channels { li { (channel_line(channel)) } }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// `email: 120 sent, 2 failed, 3 pending, 0 skipped`
fn channel_line(counts: &ChannelCounts) -> String {
    format!(
        "{}: {} sent, {} failed, {} pending, {} skipped",
        counts.channel, counts.sent, counts.failed, counts.pending, counts.skipped
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segment_values_read_back() {
        for segment in [
            Segment::AllHolders,
            Segment::TicketType { ticket_type: 3 },
            Segment::CheckedIn,
            Segment::NotCheckedIn,
            Segment::WaitingList,
        ] {
            assert_eq!(parse_segment(&segment_value(segment)), Some(segment));
        }
        for bad in ["", "everyone", "ticket_type:", "ticket_type:x"] {
            assert_eq!(parse_segment(bad), None, "{bad:?}");
        }
    }
}
