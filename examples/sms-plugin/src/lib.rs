//! # A custom channel plugin, from scratch: SMS through an HTTP gateway
//!
//! This is the whole plugin. It turns a notification into a text of at most 160 characters and
//! POSTs it as JSON to an SMS gateway, which looks the recipient's phone number up by their
//! user id (Prasang keeps no phone numbers). Everything outside the sandbox goes through the
//! SDK: `config` for settings, `host::http_post` for the network (only to hosts listed in
//! `allowed-hosts` in `plugin.toml`), `log` for the host's log.
//!
//! Build and install (from the workspace root):
//!
//! ```text
//! plugins/build.sh                       # -> target/plugins-examples/sms.wasm + sms.toml
//! cp target/plugins-examples/sms.* <your plugins folder>/
//! ```
//!
//! The gateway receives:
//!
//! ```text
//! POST /v1/messages
//! authorization: Bearer <api-key>
//! idempotency-key: <the notification's idempotency key>
//! {"sender":"PRASANG","recipient_ref":"<user id>","text":"Booked: 2 × Adult for ..."}
//! ```
//!
//! A waiting-list offer and a waiting room's admission must arrive with their link whole, so
//! their text is built to fit: the deadline (short, on the event's clock) and the link are
//! kept, the event's title gives way.
//!
//! A guest's sign-in link (`guest-access`) is not sent: its token alone is 140 characters, so
//! with the server's address it cannot arrive whole in one SMS, and a cut link is useless. (The
//! host sends such links over the `email` channel only anyway, and an SMS never shows one.)
//! The delivery is answered with a `skipped:` receipt, as for a kind the plugin does not send.

use prasang_plugin_sdk::text::{one_line, shorten};
use prasang_plugin_sdk::time::{human_local, short_local};
use prasang_plugin_sdk::{
    ChannelPlugin, DeliveryError, Notification, NotificationKind, Receipt, access, config, host,
    log, queue, ticket, waitlist,
};

/// SMS texts longer than this are split (and billed) in parts; keep to one.
const MAX_CHARS: usize = 160;

struct Sms;

impl ChannelPlugin for Sms {
    fn deliver(notification: Notification) -> Result<Receipt, DeliveryError> {
        // 0. A sign-in link cannot fit one SMS: not sent (see the top of this file).
        if let Some(skipped) = access::skip_unpublishable(&notification) {
            return Ok(skipped);
        }
        // 1. Settings from the manifest's [config] table.
        let url = config::require("gateway-url")?;
        let api_key = config::require("api-key")?;
        let sender = config::get("sender").unwrap_or_else(|| "PRASANG".into());

        // 2. Render the message. Plugins have no clock: every time comes in the notification.
        let text = text(&notification);
        let body = serde_json::json!({
            "sender": sender,
            "recipient_ref": notification.recipient.user_id,
            "text": text,
        })
        .to_string();

        // 3. Ask the host to POST it. The idempotency key lets the gateway drop a repeat.
        let authorization = format!("Bearer {api_key}");
        let response = host::http_post(
            &url,
            &[
                ("content-type", "application/json"),
                ("authorization", &authorization),
                ("idempotency-key", &notification.idempotency_key),
            ],
            body.as_bytes(),
        )?;
        // 4. 2xx = sent; 408/429/5xx = try again later; other = give up.
        host::check_status(&response)?;
        log::debug(&format!(
            "sms for {} accepted",
            notification.recipient.user_id
        ));
        Ok(Receipt {
            remote_id: None,
            detail: format!("gateway answered HTTP {}", response.status),
        })
    }
}

prasang_plugin_sdk::export_plugin!(Sms);

/// The SMS text, at most 160 characters.
pub fn text(n: &Notification) -> String {
    match (n.kind, &n.offer, &n.queue_pass) {
        // The link must arrive whole: the title is what gives way.
        (NotificationKind::WaitlistOffer, Some(offer), _) => fit(
            &format!(
                "Seats for you: {}, {}",
                waitlist::seats(offer),
                n.event.title
            ),
            &format!(
                ". Accept by {}: {}",
                short_local(&offer.deadline_local),
                offer.accept_url
            ),
        ),
        (NotificationKind::QueueAdmitted, _, Some(pass)) => fit(
            &format!("Your turn to book {}", n.event.title),
            &format!(". Book by {}: {}", queue::until_short(pass), pass.url),
        ),
        _ => shorten(&full_text(n), MAX_CHARS),
    }
}

/// `head` cut so that `head` + `tail` fits one SMS; `tail` is kept whole unless it is too long
/// by itself.
fn fit(head: &str, tail: &str) -> String {
    let room = MAX_CHARS.saturating_sub(tail.chars().count());
    shorten(
        &format!("{}{tail}", shorten(&one_line(head), room)),
        MAX_CHARS,
    )
}

/// The text of `n` before it is cut to one SMS.
fn full_text(n: &Notification) -> String {
    let when = human_local(&n.event.starts_at_local);
    // `2 × Adult, 1 × Child` and `1000.00 INR (code FAMILY)`: the types and what is paid.
    let seats = n.ticket.as_ref().map_or_else(String::new, ticket::seats);
    let paid = n.ticket.as_ref().map_or_else(String::new, |t| {
        let total = ticket::money(t.amount_minor, &n.event.currency);
        match &t.promo_code {
            Some(code) => format!("{total} (code {code})"),
            None => total,
        }
    });
    let title = &n.event.title;
    match n.kind {
        NotificationKind::TicketBooked => {
            format!("Booked: {seats} for {title}, {when}. Paid {paid}.")
        }
        NotificationKind::TicketPending => {
            format!("Held: {seats} for {title}. Pay {paid} soon to keep them.")
        }
        NotificationKind::TicketCancelled => format!("Cancelled: your seats for {title}."),
        NotificationKind::TicketExpired => format!("Expired: your hold for {title}."),
        NotificationKind::EventUpdated => {
            format!("Changed: {title} is now {when}, {}.", n.event.location)
        }
        NotificationKind::EventCancelled => format!("{title} on {when} is cancelled."),
        NotificationKind::FeedbackReply => {
            format!("The organizer of {title} replied to your feedback.")
        }
        NotificationKind::FeedbackRequest => format!("How was {title}? Tell the organizer."),
        NotificationKind::WaitlistOffer => format!("Seats for you: {title}. See your e-mail."),
        // Their words on one line: an SMS shows line breaks poorly.
        NotificationKind::OrganizerMessage => one_line(&format!(
            "From the organizer of {title}: {}. {}",
            n.subject.as_deref().unwrap_or_default(),
            n.message.as_deref().unwrap_or_default()
        )),
        // Never sent (see `Sms::deliver`), and never with the link.
        NotificationKind::GuestAccess => format!("Your sign-in link for {title} is by e-mail."),
        NotificationKind::QueueAdmitted => format!("Your turn to book {title}. See your e-mail."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prasang_plugin_sdk::testing::booked_notification;

    #[test]
    fn texts_fit_one_sms() {
        let mut n = booked_notification();
        assert_eq!(
            text(&n),
            "Booked: 1 × Adult, 1 × Child for Rust & <Wasm> Night, Tue 1 Dec 2026, 18:30 UTC. \
             Paid 1000.00 INR (code FAMILY)."
        );
        let local = prasang_plugin_sdk::testing::booked_in_kolkata();
        assert_eq!(
            text(&local),
            "Booked: 1 × Adult, 1 × Child for Rust & <Wasm> Night, Tue 1 Dec 2026, 18:30 IST \
             (UTC+05:30). Paid 1000.00 INR (code FAMILY)."
        );
        let mut held = booked_notification();
        held.kind = NotificationKind::TicketPending;
        held.ticket.as_mut().expect("a ticket").promo_code = None;
        assert_eq!(
            text(&held),
            "Held: 1 × Adult, 1 × Child for Rust & <Wasm> Night. Pay 1000.00 INR soon to keep them."
        );
        n.event.title = "x".repeat(300);
        assert_eq!(text(&n).chars().count(), MAX_CHARS);
    }

    #[test]
    fn an_offer_keeps_its_deadline_and_whole_link_and_shortens_the_title() {
        use prasang_plugin_sdk::testing::{ACCEPT_URL, waitlist_offer};
        let mut n = waitlist_offer();
        assert_eq!(
            text(&n),
            format!(
                "Seats for you: 2 × Adult, Rust & <Wasm> Night. Accept by 30 Nov 20:00 IST: \
                 {ACCEPT_URL}"
            )
        );
        n.event.title = "Rust ".repeat(40);
        let long = text(&n);
        assert_eq!(long.chars().count(), MAX_CHARS, "{long}");
        assert!(
            long.starts_with("Seats for you: 2 × Adult, Rust Rust ")
                && long.ends_with(&format!("…. Accept by 30 Nov 20:00 IST: {ACCEPT_URL}")),
            "{long}"
        );
    }

    #[test]
    fn a_queue_admission_keeps_its_expiry_and_whole_link_and_shortens_the_title() {
        use prasang_plugin_sdk::testing::{WAITING_ROOM_URL, queue_admitted};
        let mut n = queue_admitted();
        assert_eq!(
            text(&n),
            format!(
                "Your turn to book Rust & <Wasm> Night. Book by 30 Nov 20:00 IST: \
                 {WAITING_ROOM_URL}"
            )
        );
        n.event.title = "Rust ".repeat(40);
        let long = text(&n);
        assert_eq!(long.chars().count(), MAX_CHARS, "{long}");
        assert!(
            long.ends_with(&format!("…. Book by 30 Nov 20:00 IST: {WAITING_ROOM_URL}")),
            "{long}"
        );
    }

    #[test]
    fn a_sign_in_link_is_skipped_and_never_in_a_text() {
        use prasang_plugin_sdk::testing::{ACCESS_URL, guest_access, guest_booked};
        let skipped = access::skip_unpublishable(&guest_access()).expect("skipped");
        assert!(
            skipped.detail.starts_with("skipped: "),
            "{}",
            skipped.detail
        );
        // A real link: the public address, the sign-in page and a 140-character token.
        let link = format!("https://t.example/guest/access?token={}", "A".repeat(140));
        assert!(
            link.chars().count() > MAX_CHARS,
            "a real link would fit: {link}"
        );
        let booked = text(&guest_booked());
        assert!(booked.starts_with("Booked: "), "{booked}");
        assert!(!booked.contains(ACCESS_URL), "{booked}");
    }

    #[test]
    fn an_organizers_message_is_one_line_from_them_cut_to_one_sms() {
        let mut n = prasang_plugin_sdk::testing::organizer_message();
        assert_eq!(
            text(&n),
            "From the organizer of Rust & <Wasm> Night: Doors open at <b>19:00</b>. The hall \
             opens an hour later than planned. <script>alert(\"hi\")</script> & see you!"
        );
        n.message = Some("Bring\nan umbrella. ".repeat(20));
        let sms = text(&n);
        assert_eq!(sms.chars().count(), MAX_CHARS, "{sms}");
        assert!(sms.contains("19:00</b>. Bring an umbrella. Bring"), "{sms}");
        assert!(sms.ends_with('…'), "{sms}");
    }
}
