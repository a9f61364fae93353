//! The organizer's booking widget: the sites (origins) allowed to frame it, and the snippet to
//! paste into a venue page.

use hyper::StatusCode;
use maud::{Markup, html};
use prasang_core::events::Event;

use super::edit::form_page;
use super::input::refused_field;
use crate::web::cx::{BoxPage, WebCx};
use crate::web::layout::{Field, csrf_field, redirect};

/// The form field of the origins: one per line.
const FIELD: &str = "embed_origins";

/// `GET /organizer/embed`: the origins allowed to frame the organizer's widgets.
pub(crate) fn page(cx: WebCx) -> BoxPage {
    Box::pin(async move {
        let actor = cx.signed_in()?.actor;
        if !actor.can_organize() {
            // The core's rule for the list itself is "the organizer themself"; someone who
            // organizes nothing has no widget.
            return Err(prasang_core::CommonError::Forbidden(
                "only organizers have a booking widget",
            )
            .into());
        }
        let origins = cx.core_read(|p| p.events().embed_origins(actor.user_id()))?;
        let body = form(&cx, &origins.join("\n"), None);
        form_page(&cx, StatusCode::OK, "Booking widget", body)
    })
}

fn form(cx: &WebCx, entered: &str, error: Option<&str>) -> Markup {
    html! {
        p { "Your events' booking widget can be shown in a frame on your own sites. List the sites allowed to show it, one per line, as scheme, host and port only (such as https://venue.example or http://localhost:8000). No site listed: no site may frame it." }
        form method="post" action="/organizer/embed" novalidate {
            (csrf_field(cx))
            (Field::new(FIELD, "Sites allowed to show the widget", entered).kind("textarea").optional().error(error).render())
            button type="submit" { "Save" }
        }
        p { "Each event's page under " a href="/organizer" { "My events" } " has the snippet to paste into your site." }
    }
}

/// `POST /organizer/embed` (`embed_origins`, one per line): saves the list; a refused origin
/// shows beside the field.
pub(crate) fn save(cx: WebCx) -> BoxPage {
    Box::pin(async move {
        let actor = cx.signed_in()?.actor;
        let entered = cx.form.get(FIELD).to_owned();
        let origins: Vec<String> = entered
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .map(str::to_owned)
            .collect();
        match cx
            .core(move |p| {
                p.events()
                    .set_embed_origins(&actor, actor.user_id(), &origins)
            })
            .await
        {
            Ok(_) => redirect("/organizer/embed?done=embed-saved"),
            Err(error) => {
                let errors = refused_field(error)?;
                let message = errors.first().map(|(_, message)| message.as_str());
                let body = form(&cx, &entered, message);
                form_page(
                    &cx,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "Booking widget",
                    body,
                )
            }
        }
    })
}

/// The organizer event page's widget section: the snippet to paste, and where to allow sites.
pub(crate) fn snippet(public_url: &str, event: &Event) -> Markup {
    let code = format!(
        r#"<iframe src="{public_url}/embed/events/{id}" title="Tickets: {title}" width="100%" height="520" style="border:0"></iframe>"#,
        id = event.id,
        title = attribute_text(&event.title),
    );
    html! {
        h2 #widget { "Booking widget" }
        p { "Paste this into a page of your site to sell tickets there. Allow your site under " a href="/organizer/embed" { "Booking widget settings" } " first." }
        div.field {
            label for="widget-snippet" { "Snippet" }
            textarea #widget-snippet readonly rows="3" { (code) }
        }
    }
}

/// `text` safe inside a double-quoted HTML attribute of the snippet.
fn attribute_text(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
