//! Feedback on an organizer's event, and the organizer's replies.

use maud::{Markup, html};
use prasang_core::feedback::{Feedback, ReplyInput};
use prasang_core::{EventId, Page, UserId};

use crate::web::cx::{BoxPage, WebCx};
use crate::web::format;
use crate::web::layout::{Field, csrf_field, redirect};

/// The event page's feedback section: each rating and comment with a form to reply.
pub(crate) fn section(
    cx: &WebCx,
    id: EventId,
    feedback: &Page<Feedback>,
    name: &dyn Fn(&UserId) -> String,
) -> Markup {
    html! {
        h2 #feedback { "Feedback" }
        @if feedback.items.is_empty() { p { "No feedback yet." } }
        @for item in &feedback.items {
            @let author = item.user.to_string();
            div.feedback {
                p { strong { (item.rating) " of 5" } " · from " (name(&item.user)) " · " (format::instant(item.updated_at)) }
                @if let Some(comment) = &item.comment { p.comment { (comment) } }
                form method="post" action=(format!("/organizer/events/{id}/feedback/{}/reply", item.user)) {
                    (csrf_field(cx))
                    (Field::new("text", "Your reply", item.reply.as_ref().map_or("", |r| r.text.as_str())).kind("textarea").scoped(&author).render())
                    button type="submit" { @if item.reply.is_some() { "Change reply" } @else { "Reply" } }
                }
            }
        }
    }
}

/// `POST /organizer/events/{id}/feedback/{user}/reply` (text)
pub(crate) fn reply(cx: WebCx) -> BoxPage {
    Box::pin(async move {
        let id: EventId = cx.id("id")?;
        let user: UserId = cx.id("user")?;
        let actor = cx.signed_in()?.actor;
        let input = ReplyInput {
            text: cx.form.get("text").to_owned(),
        };
        cx.core(move |p| p.feedback().reply(&actor, id, user, input))
            .await?;
        redirect(&format!("/organizer/events/{id}?done=replied#feedback"))
    })
}
