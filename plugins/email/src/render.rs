//! Fills the text and HTML templates.

use prasang_plugin_sdk::text::{one_line, web_link};
use prasang_plugin_sdk::ticket::{line, money, promo, seat};
use prasang_plugin_sdk::time::{UtcDateTime, human_local};
use prasang_plugin_sdk::{Access, Notification, NotificationKind, access, queue, waitlist};

const TEXT_TEMPLATE: &str = include_str!("../templates/message.txt");
const HTML_TEMPLATE: &str = include_str!("../templates/message.html");

/// From the plugin's config.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// Closing line.
    pub signature: String,
    /// Put before the subject.
    pub subject_prefix: String,
}

/// Subject and bodies.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// Subject line.
    pub subject: String,
    /// text/plain body.
    pub text: String,
    /// text/html body.
    pub html: String,
}

/// Renders a notification.
pub fn render(n: &Notification, settings: &Settings) -> Rendered {
    // The event's own time, as attendees will read it on the venue's clock.
    let when = human_local(&n.event.starts_at_local);
    let until = human_local(&n.event.ends_at_local);
    let seats = n.ticket.as_ref().map_or(0, |t| t.quantity);
    let (label, headline) = match n.kind {
        NotificationKind::TicketBooked => (
            "Booked",
            format!("Your booking is confirmed: {seats} seat(s). See you there!"),
        ),
        NotificationKind::TicketPending => {
            let until = n
                .ticket
                .as_ref()
                .and_then(|t| t.expires_at)
                .map(|at| UtcDateTime::from_millis(at).human())
                .unwrap_or_else(|| "soon".into());
            (
                "Held",
                format!(
                    "We are holding {seats} seat(s) for you until {until}. Complete the payment to keep them."
                ),
            )
        }
        NotificationKind::TicketCancelled => (
            "Cancelled",
            format!("Your booking of {seats} seat(s) is cancelled."),
        ),
        NotificationKind::TicketExpired => (
            "Expired",
            "Your hold expired and the seats were released.".to_owned(),
        ),
        NotificationKind::EventUpdated => {
            let changed = if n.changed.is_empty() {
                "details".to_owned()
            } else {
                n.changed.join(", ").replace('_', " ")
            };
            (
                "Updated",
                format!("The event changed ({changed}). Here are the current details."),
            )
        }
        NotificationKind::EventCancelled => (
            "Event cancelled",
            "We are sorry: the event is cancelled.".to_owned(),
        ),
        NotificationKind::FeedbackReply => (
            "Reply",
            "The organizer replied to your feedback.".to_owned(),
        ),
        NotificationKind::FeedbackRequest => (
            "How was it?",
            "Thank you for coming! How was the event? Rate it and leave a comment on the \
             event's page: the organizer reads every reply."
                .to_owned(),
        ),
        NotificationKind::WaitlistOffer => ("Seats for you", offer_headline(n)),
        NotificationKind::OrganizerMessage => (
            "From the organizer",
            "The organizer of this event sent you the message below, as they wrote it.".to_owned(),
        ),
        NotificationKind::GuestAccess => (
            "Your sign-in link",
            "You asked for a way back to your tickets: the link below signs you in to see and \
             cancel them. If you did not ask for it, ignore this e-mail; nobody can sign in \
             without the link."
                .to_owned(),
        ),
        NotificationKind::QueueAdmitted => ("Your turn to book", queue_headline(n)),
    };
    let subject = match (n.kind, &n.subject) {
        // The organizer's own subject, marked as theirs; on one line, as a header must be.
        (NotificationKind::OrganizerMessage, Some(subject)) => format!(
            "{}{label} of {}: {}",
            settings.subject_prefix,
            one_line(&n.event.title),
            one_line(subject)
        ),
        _ => format!(
            "{}{label}: {}, {when}",
            settings.subject_prefix, n.event.title
        ),
    };

    let mut text_details = format!("  Until: {until}\n");
    let mut html_details = row("Until", &escape(&until));
    if let Some(ticket) = &n.ticket {
        let currency = &n.event.currency;
        let lines: Vec<String> = ticket.lines.iter().map(|l| line(l, currency)).collect();
        let amount = money(ticket.amount_minor, currency);
        text_details.push_str(&format!("  Seats: {}\n", ticket.quantity));
        html_details.push_str(&row("Seats", &ticket.quantity.to_string()));
        for line in &lines {
            text_details.push_str(&format!("    {line}\n"));
        }
        if !lines.is_empty() {
            let escaped: Vec<String> = lines.iter().map(|line| escape(line)).collect();
            html_details.push_str(&row("Tickets", &escaped.join("<br>")));
        }
        if let Some(promo) = promo(ticket, currency) {
            text_details.push_str(&format!("  Code:  {promo}\n"));
            html_details.push_str(&row("Code", &escape(&promo)));
        }
        text_details.push_str(&format!("  Total: {amount}\n  Ticket: {}\n", ticket.id));
        html_details.push_str(&row("Total", &escape(&amount)));
        html_details.push_str(&row("Ticket", &escape(&ticket.id)));
    }
    if let Some(offer) = &n.offer {
        let seats = waitlist::seats(offer);
        let deadline = waitlist::deadline(offer);
        text_details.push_str(&format!(
            "  Offer: {seats}\n  Held until: {deadline}\n  Accept or decline: {}\n",
            offer.accept_url
        ));
        html_details.push_str(&row("Offer", &escape(&seats)));
        html_details.push_str(&row("Held until", &escape(&deadline)));
        let accept = link(&offer.accept_url, "Accept or decline the offer");
        html_details.push_str(&row("Reply", &accept));
    }
    if let Some(pass) = &n.queue_pass {
        let until = queue::until(pass);
        text_details.push_str(&format!(
            "  Book before: {until}\n  Book now: {}\n",
            pass.url
        ));
        html_details.push_str(&row("Book before", &escape(&until)));
        html_details.push_str(&row("Book now", &link(&pass.url, "Go on to book")));
    }
    if let Some(access) = &n.access {
        let (text, html) = access_rows(n.kind, access);
        text_details.push_str(&text);
        html_details.push_str(&html);
    }
    let (text_admissions, html_admissions) = admissions(n);
    let (text_message, html_message) = match &n.message {
        Some(message) if n.kind == NotificationKind::OrganizerMessage => {
            organizer_message(n.subject.as_deref(), message)
        }
        Some(message) => (
            format!("\n  \"{message}\"\n"),
            format!(
                "<blockquote style=\"border-left: 3px solid #ccc; padding-left: 1em;\">{}</blockquote>",
                escape(message)
            ),
        ),
        None => (String::new(), String::new()),
    };

    let text = fill(
        TEXT_TEMPLATE,
        &[
            ("name", n.recipient.name.clone()),
            ("headline", headline.clone()),
            ("title", n.event.title.clone()),
            ("when", when.clone()),
            ("location", n.event.location.clone()),
            ("details", text_details),
            ("admissions", text_admissions),
            ("message", text_message),
            ("description", n.event.description.clone()),
            ("signature", settings.signature.clone()),
        ],
    );
    let html = fill(
        HTML_TEMPLATE,
        &[
            ("name", escape(&n.recipient.name)),
            ("headline", escape(&headline)),
            ("title", escape(&n.event.title)),
            ("when", escape(&when)),
            ("location", escape(&n.event.location)),
            ("details", html_details),
            ("admissions", html_admissions),
            ("message", html_message),
            ("description", escape(&n.event.description)),
            ("signature", escape(&settings.signature)),
        ],
    );
    Rendered {
        subject,
        text,
        html,
    }
}

/// A guest's sign-in link as text and HTML table rows: in a `guest-access` e-mail, the link and
/// when it expires; in a guest's booking confirmation, a line to manage the tickets with it.
fn access_rows(kind: NotificationKind, sign_in: &Access) -> (String, String) {
    let anchor = |label: &str| link(&sign_in.url, label);
    if kind == NotificationKind::GuestAccess {
        let expires = access::expires(sign_in);
        let text = format!(
            "  Sign in: {}\n  Works once, until: {expires}\n",
            sign_in.url
        );
        let html = row("Sign in", &anchor("Sign in to your tickets"))
            + &row("Works once, until", &escape(&expires));
        return (text, html);
    }
    let until = access::until(sign_in);
    let text = format!(
        "\n  Manage your tickets: {} (works once, until {until})\n",
        sign_in.url
    );
    let html = row(
        "Manage",
        &format!(
            "{} (works once, until {})",
            anchor("Manage your tickets"),
            escape(&until)
        ),
    );
    (text, html)
}

/// What a `waitlist-offer` e-mail says first: the seats, the deadline on the event's clock, and
/// what happens after it.
fn offer_headline(n: &Notification) -> String {
    match &n.offer {
        Some(offer) => format!(
            "Seats came free and you are next on the waiting list: we are holding {} for you \
             until {}. Accept them before then, or they go to the next person on the list.",
            waitlist::seats(offer),
            waitlist::deadline(offer)
        ),
        None => "Seats came free and you are next on the waiting list.".to_owned(),
    }
}

/// What a `queue-admitted` e-mail says first: it is their turn, until when on the event's
/// clock, and what happens after it.
fn queue_headline(n: &Notification) -> String {
    match &n.queue_pass {
        Some(pass) => format!(
            "It is your turn: the waiting room let you through and you can book until {}. \
             Sign in and book before then; after it, your pass lapses.",
            queue::until(pass)
        ),
        None => "It is your turn: the waiting room let you through.".to_owned(),
    }
}

/// An organizer's message as text and as HTML: their subject and text, every character of it
/// shown as written (escaped, line breaks kept), never as markup.
fn organizer_message(subject: Option<&str>, message: &str) -> (String, String) {
    let subject = subject.map(one_line).unwrap_or_default();
    let text = format!(
        "\n  Message from the organizer\n  Subject: {subject}\n\n{}\n",
        message.trim_end()
    );
    let html = format!(
        "<div style=\"border-left: 3px solid #ccc; padding-left: 1em;\">\
         <p style=\"color: #666; margin-bottom: 0;\">Message from the organizer</p>\
         <p style=\"font-weight: bold; margin-top: 0;\">{}</p>\
         <p style=\"white-space: pre-wrap;\">{}</p></div>",
        escape(&subject),
        escape(message.trim_end())
    );
    (text, html)
}

/// The Content-ID of the inline image of a seat's QR code, which the HTML shows as
/// `cid:seat<n>.<ticket>@prasang` (a ticket id is a ULID: letters and digits).
pub fn content_id(ticket_id: &str, seat: u32) -> String {
    format!("seat{seat}.{ticket_id}@prasang")
}

/// Side of a QR code image in the HTML, in CSS pixels.
const QR_DISPLAY_PX: u32 = 200;

/// The admission codes of a booked ticket, one per seat: in the text, each seat's code; in the
/// HTML, each seat's QR code (the inline image [`content_id`] names) with its code under it.
/// Both empty when the notification carries none.
fn admissions(n: &Notification) -> (String, String) {
    let Some(ticket) = n.ticket.as_ref().filter(|t| !t.admissions.is_empty()) else {
        return (String::new(), String::new());
    };
    const INTRO: &str = "One code per seat: show it at the door, printed or on your phone.";
    let mut text = format!("\n  Admission codes. {INTRO}\n");
    let mut html = format!(
        "<h2 style=\"font-size: 1.1em; margin-top: 1.5em;\">Admission codes</h2><p>{INTRO}</p>"
    );
    for admission in &ticket.admissions {
        let label = seat(admission, ticket);
        text.push_str(&format!("    {label}: {}\n", admission.code));
        html.push_str(&format!(
            "<div style=\"display: inline-block; vertical-align: top; text-align: center; \
             max-width: 16em; margin: 0 1.5em 1.5em 0;\">\
             <img src=\"cid:{cid}\" alt=\"QR code for {label}\" width=\"{QR_DISPLAY_PX}\" \
             height=\"{QR_DISPLAY_PX}\" style=\"display: block; margin: 0 auto;\">\
             <div style=\"font-weight: bold;\">{label}</div>\
             <div style=\"font-family: monospace; font-size: 0.8em; word-break: break-all;\">\
             {code}</div></div>",
            cid = escape(&content_id(&ticket.id, admission.seat)),
            label = escape(&label),
            code = escape(&admission.code),
        ));
    }
    (text, html)
}

/// `url` as a bold HTML link saying `label` when it is a web address; as text otherwise (a
/// `javascript:` URL, say).
fn link(url: &str, label: &str) -> String {
    match web_link(url) {
        Some(url) => format!(
            "<a href=\"{}\" style=\"font-weight: bold;\">{label}</a>",
            escape(url)
        ),
        None => escape(url),
    }
}

fn row(label: &str, value_html: &str) -> String {
    format!(
        "<tr><td style=\"padding-right: 1em; color: #666;\">{label}</td><td>{value_html}</td></tr>"
    )
}

/// Replaces each `{{name}}` by its value in one pass, so values are never re-scanned.
fn fill(template: &str, values: &[(&str, String)]) -> String {
    let mut out = String::with_capacity(template.len() + 256);
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after.find("}}") {
            Some(end) => {
                let name = &after[..end];
                match values.iter().find(|(key, _)| *key == name) {
                    Some((_, value)) => out.push_str(value),
                    None => out.push_str(&rest[start..start + 2 + end + 2]),
                }
                rest = &after[end + 2..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_inserted_once_and_unknown_placeholders_stay() {
        let filled = fill(
            "a {{x}} b {{y}} c {{",
            &[("x", "{{y}}".into()), ("y", "Y".into())],
        );
        assert_eq!(filled, "a {{y}} b Y c {{");
    }
}
