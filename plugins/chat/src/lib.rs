//! Chat channel: posts a Slack-compatible incoming-webhook message (`text` plus Block Kit
//! `blocks`) to the URL in the `webhook-url` setting. Works with Slack, Mattermost, Rocket.Chat
//! and anything else that accepts Slack's incoming-webhook JSON.

use prasang_plugin_sdk::ticket::{line, money, promo};
use prasang_plugin_sdk::time::human_local;
use prasang_plugin_sdk::{
    ChannelPlugin, DeliveryError, Notification, NotificationKind, Receipt, config, host,
};
use serde_json::{Value, json};

struct Chat;

impl ChannelPlugin for Chat {
    fn deliver(notification: Notification) -> Result<Receipt, DeliveryError> {
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
    if let Some(message) = &n.message {
        details.push_str(&format!("\n> {}", escape(message)));
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
