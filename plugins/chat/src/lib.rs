//! Chat channel: posts a Slack-compatible incoming-webhook message (`text` plus Block Kit
//! `blocks`) to the URL in the `webhook-url` setting. Works with Slack, Mattermost, Rocket.Chat
//! and anything else that accepts Slack's incoming-webhook JSON.
//!
//! A chat room is read by many: a guest's sign-in link (`notification.access`) is never shown,
//! and a `guest-access` notification, which only carries one, is answered with a `skipped:`
//! receipt and not posted.

use prasang_plugin_sdk::text::{one_line, shorten, web_link};
use prasang_plugin_sdk::ticket::{line, money, promo};
use prasang_plugin_sdk::time::human_local;
use prasang_plugin_sdk::{
    ChannelPlugin, DeliveryError, Notification, NotificationKind, Receipt, access, config, host,
    queue, waitlist,
};
use serde_json::{Value, json};

struct Chat;

impl ChannelPlugin for Chat {
    fn deliver(notification: Notification) -> Result<Receipt, DeliveryError> {
        if let Some(skipped) = access::skip_unpublishable(&notification) {
            return Ok(skipped);
        }
        let url = config::require("webhook-url")?;
        let username = config::get("username");
        let body = message(&notification, username.as_deref()).to_string();
        let response = host::http_post(
            &url,
            &[("content-type", "application/json")],
            body.as_bytes(),
        )?;
        host::check_status(&response)?;
        Ok(Receipt {
            remote_id: None,
            detail: format!("chat webhook answered HTTP {}", response.status),
        })
    }
}

prasang_plugin_sdk::export_plugin!(Chat);

/// Slack escapes only these three characters in message text.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The one-line summary of a notification.
pub fn headline(n: &Notification) -> String {
    let who = escape(&n.recipient.name);
    let title = escape(&n.event.title);
    let seats = n.ticket.as_ref().map_or(0, |t| t.quantity);
    match n.kind {
        NotificationKind::TicketBooked => format!("{who} booked {seats} seat(s) for *{title}*"),
        NotificationKind::TicketPending => {
            format!("{who} is holding {seats} seat(s) for *{title}*")
        }
        NotificationKind::TicketCancelled => {
            format!("{who} cancelled {seats} seat(s) for *{title}*")
        }
        NotificationKind::TicketExpired => format!("{who}'s hold for *{title}* expired"),
        NotificationKind::EventUpdated => format!("*{title}* was updated"),
        NotificationKind::EventCancelled => format!("*{title}* was cancelled"),
        NotificationKind::FeedbackReply => format!("The organizer of *{title}* replied to {who}"),
        NotificationKind::FeedbackRequest => format!("{who} was asked how *{title}* went"),
        NotificationKind::WaitlistOffer => match &n.offer {
            Some(offer) => format!(
                "{who} was offered {} for *{title}* from the waiting list",
                escape(&waitlist::seats(offer))
            ),
            None => format!("{who} was offered seats for *{title}* from the waiting list"),
        },
        NotificationKind::OrganizerMessage => match &n.subject {
            Some(subject) => format!(
                "The organizer of *{title}* wrote to {who}: *{}*",
                escape(&one_line(subject))
            ),
            None => format!("The organizer of *{title}* wrote to {who}"),
        },
        // Never posted (see `deliver`); and never with the link.
        NotificationKind::GuestAccess => format!("{who} asked for a sign-in link"),
        NotificationKind::QueueAdmitted => {
            format!("{who} was let through the waiting room for *{title}*")
        }
    }
}

/// Characters of free text (an organizer's message or reply) quoted in a message: Slack
/// refuses a block whose text is over 3,000 characters, escapes included.
const QUOTE_MAX_CHARS: usize = 2_000;

/// `text` escaped and quoted line by line (`> `), cut to [`QUOTE_MAX_CHARS`].
fn quote(text: &str) -> String {
    let mut escaped = shorten(&escape(text.trim_end()), QUOTE_MAX_CHARS);
    // A cut may split an escape (`&am…`): drop its start rather than send it broken.
    if let Some(amp) = escaped.rfind('&')
        && !escaped[amp..].contains(';')
    {
        escaped.replace_range(amp.., "…");
    }
    escaped
        .lines()
        .map(|line| format!("> {line}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `url` as a Slack link saying `label` when it is a web address; as text otherwise.
fn link(url: &str, label: &str) -> String {
    match web_link(url) {
        Some(url) => format!("<{}|{label}>", escape(url)),
        None => escape(url),
    }
}

/// The Slack incoming-webhook payload.
pub fn message(n: &Notification, username: Option<&str>) -> Value {
    let text = headline(n);
    let when = human_local(&n.event.starts_at_local);
    let mut details = format!("{when} · {}", escape(&n.event.location));
    if let Some(ticket) = &n.ticket {
        let currency = &n.event.currency;
        let lines: Vec<String> = ticket.lines.iter().map(|l| line(l, currency)).collect();
        details.push_str(&format!("\n{}", escape(&lines.join(", "))));
        details.push_str(&format!(
            " · total {}",
            money(ticket.amount_minor, currency)
        ));
        if let Some(promo) = promo(ticket, currency) {
            details.push_str(&format!(" · code {}", escape(&promo)));
        }
        if !ticket.admissions.is_empty() {
            let codes: Vec<String> = ticket
                .admissions
                .iter()
                .map(|a| format!("seat {} `{}`", a.seat, escape(&a.code)))
                .collect();
            details.push_str(&format!("\nAdmission codes: {}", codes.join(" · ")));
        }
    }
    if let Some(offer) = &n.offer {
        let deadline = escape(&waitlist::deadline(offer));
        details.push_str(&format!("\nHeld until {deadline} · "));
        details.push_str(&link(&offer.accept_url, "Accept or decline"));
    }
    if let Some(pass) = &n.queue_pass {
        let until = escape(&queue::until(pass));
        details.push_str(&format!("\nMay book until {until} · "));
        details.push_str(&link(&pass.url, "Book now"));
    }
    if let Some(message) = &n.message {
        details.push_str(&format!("\n{}", quote(message)));
    }
    let mut payload = json!({
        "text": text,
        "blocks": [
            { "type": "section", "text": { "type": "mrkdwn", "text": text } },
            { "type": "context", "elements": [ { "type": "mrkdwn", "text": details } ] }
        ]
    });
    if let Some(username) = username {
        payload["username"] = Value::from(username);
    }
    payload
}

#[cfg(test)]
mod tests {
    use super::*;
    use prasang_plugin_sdk::testing::booked_notification;

    /// The context block's text.
    fn details(payload: &Value) -> &str {
        payload["blocks"][1]["elements"][0]["text"]
            .as_str()
            .expect("the context text")
    }

    #[test]
    fn offers_show_the_seats_the_deadline_on_the_events_clock_and_the_link() {
        let payload = message(&prasang_plugin_sdk::testing::waitlist_offer(), None);
        assert_eq!(
            payload["text"],
            "Ada Lovelace was offered 2 × Adult for *Rust &amp; &lt;Wasm&gt; Night* \
             from the waiting list"
        );
        let url = prasang_plugin_sdk::testing::ACCEPT_URL;
        assert!(
            details(&payload).ends_with(&format!(
                "\nHeld until Mon 30 Nov 2026, 20:00 IST (UTC+05:30) · <{url}|Accept or decline>"
            )),
            "{payload}"
        );
    }

    #[test]
    fn queue_admissions_show_until_when_on_the_events_clock_and_the_waiting_page() {
        let payload = message(&prasang_plugin_sdk::testing::queue_admitted(), None);
        assert_eq!(
            payload["text"],
            "Ada Lovelace was let through the waiting room for *Rust &amp; &lt;Wasm&gt; Night*"
        );
        let url = prasang_plugin_sdk::testing::WAITING_ROOM_URL;
        assert!(
            details(&payload).ends_with(&format!(
                "\nMay book until Mon 30 Nov 2026, 20:00 IST (UTC+05:30) · <{url}|Book now>"
            )),
            "{payload}"
        );
    }

    #[test]
    fn a_guests_sign_in_link_is_never_shown() {
        use prasang_plugin_sdk::testing::{ACCESS_URL, guest_access, guest_booked};
        let payload = message(&guest_booked(), None).to_string();
        assert!(payload.contains("booked 2 seat(s)"), "{payload}");
        assert!(!payload.contains(ACCESS_URL), "{payload}");
        assert!(!payload.contains("token="), "{payload}");
        assert!(access::skip_unpublishable(&guest_access()).is_some());
    }

    #[test]
    fn organizer_messages_quote_every_line_escaped_and_cut_to_fit_a_block() {
        let mut n = prasang_plugin_sdk::testing::organizer_message();
        let payload = message(&n, None);
        assert_eq!(
            payload["text"],
            "The organizer of *Rust &amp; &lt;Wasm&gt; Night* wrote to Ada Lovelace: \
             *Doors open at &lt;b&gt;19:00&lt;/b&gt;*"
        );
        assert!(
            details(&payload).ends_with(
                "\n> The hall opens an hour later than planned.\n\
                 > &lt;script&gt;alert(\"hi\")&lt;/script&gt; &amp; see you!"
            ),
            "{payload}"
        );
        n.message = Some("&".repeat(5_000));
        let payload = message(&n, None);
        let quoted = details(&payload).split("\n> ").nth(1).expect("a quote");
        assert!(quoted.chars().count() <= QUOTE_MAX_CHARS, "{quoted}");
        assert!(quoted.ends_with("&amp;…"), "no split escape: {quoted}");
    }

    #[test]
    fn ticket_messages_show_each_type_with_its_amount_the_total_and_the_code() {
        let payload = message(&booked_notification(), None);
        let details = payload["blocks"][1]["elements"][0]["text"]
            .as_str()
            .expect("the context text");
        let sample = prasang_plugin_sdk::testing::sample_admission;
        assert!(
            details.ends_with(&format!(
                "\n1 × Adult (600.00 INR), 1 × Child (400.00 INR, 100.00 INR off) \
                 · total 1000.00 INR · code FAMILY (100.00 INR off)\n\
                 Admission codes: seat 1 `{}` · seat 2 `{}`",
                sample(1).code,
                sample(2).code
            )),
            "{details}"
        );
        assert_eq!(
            payload["text"],
            "Ada Lovelace booked 2 seat(s) for *Rust &amp; &lt;Wasm&gt; Night*"
        );
    }
}
