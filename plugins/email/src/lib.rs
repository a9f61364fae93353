//! E-mail channel: renders the notification into plain-text and HTML bodies from the templates
//! in `templates/`, attaches an iCalendar (`.ics`) invitation for booked tickets and each seat's
//! admission code as an inline QR code image (a PNG the host draws), and hands the message to
//! the host, which sends it over SMTP (or into the outbox folder) with a Message-ID derived from
//! the notification's idempotency key.
//!
//! A guest's sign-in link (`notification.access`, which the host attaches over this channel
//! only) is the whole of a `guest-access` e-mail, and a "manage your tickets" line in a guest's
//! booking confirmation.
//!
//! Settings: `signature` (closing line), `subject-prefix`.

mod ics;
mod render;

use prasang_plugin_sdk::{
    Attachment, ChannelPlugin, DeliveryError, Email, HostError, Mailbox, Notification,
    NotificationKind, Receipt, config, host,
};

pub use ics::calendar;
pub use render::{Rendered, content_id, render};

struct EmailChannel;

impl ChannelPlugin for EmailChannel {
    fn deliver(notification: Notification) -> Result<Receipt, DeliveryError> {
        // A sign-in link the host could not attach (the guest set a password since they
        // asked): the e-mail would have nothing to say.
        if notification.kind == NotificationKind::GuestAccess && notification.access.is_none() {
            return Ok(Receipt {
                remote_id: None,
                detail: "skipped: a guest-access notification without its sign-in link".into(),
            });
        }
        let settings = render::Settings {
            signature: config::get("signature").unwrap_or_else(|| "The Prasang team".into()),
            subject_prefix: config::get("subject-prefix").unwrap_or_default(),
        };
        let email = compose(&notification, &settings, host::qr_code_png)?;
        let message_id = host::send_email(&email)?;
        Ok(Receipt {
            remote_id: Some(message_id),
            detail: format!("e-mailed {}", notification.recipient.email),
        })
    }
}

prasang_plugin_sdk::export_plugin!(EmailChannel);

/// The complete e-mail for a notification. `qr` draws an admission code as a PNG image: the
/// host's [`host::qr_code_png`] in a delivery (its errors fail the delivery), a stand-in in
/// unit tests, which run outside the host.
pub fn compose(
    n: &Notification,
    settings: &render::Settings,
    qr: impl Fn(&str) -> Result<Vec<u8>, HostError>,
) -> Result<Email, HostError> {
    let Rendered {
        subject,
        text,
        html,
    } = render(n, settings);
    let mut attachments = Vec::new();
    // The HTML shows these by their Content-ID; the host sends them beside it, inline.
    if let Some(ticket) = &n.ticket {
        for admission in &ticket.admissions {
            attachments.push(Attachment {
                filename: format!("seat-{}.png", admission.seat),
                content_type: "image/png".into(),
                data: qr(&admission.code)?,
                content_id: Some(content_id(&ticket.id, admission.seat)),
            });
        }
    }
    if n.kind == NotificationKind::TicketBooked {
        attachments.push(Attachment {
            filename: "event.ics".into(),
            content_type: "text/calendar; charset=utf-8; method=PUBLISH".into(),
            data: calendar(n).into_bytes(),
            content_id: None,
        });
    }
    Ok(Email {
        to: vec![Mailbox {
            name: Some(n.recipient.name.clone()),
            address: n.recipient.email.clone(),
        }],
        subject,
        text_body: text,
        html_body: Some(html),
        attachments,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use prasang_plugin_sdk::TicketStatus;
    use prasang_plugin_sdk::testing::{
        ACCEPT_URL, ACCESS_URL, WAITING_ROOM_URL, booked_in_kolkata, booked_notification,
        guest_access, guest_booked, organizer_message, queue_admitted, waitlist_offer,
    };

    /// A stand-in for the host's QR code drawing: the text's bytes after a marker.
    fn fake_qr(text: &str) -> Result<Vec<u8>, HostError> {
        Ok([b"QR:".as_slice(), text.as_bytes()].concat())
    }

    /// [`compose`] with [`fake_qr`].
    fn compose(n: &Notification, settings: &render::Settings) -> Email {
        super::compose(n, settings, fake_qr).expect("composed")
    }

    #[test]
    fn booked_tickets_get_both_bodies_and_a_calendar_file() {
        let settings = render::Settings {
            signature: "Hall 1".into(),
            subject_prefix: "[Pune] ".into(),
        };
        let email = compose(&booked_notification(), &settings);
        assert_eq!(email.to[0].address, "ada@example.org");
        assert_eq!(
            email.subject,
            "[Pune] Booked: Rust & <Wasm> Night, Tue 1 Dec 2026, 18:30 UTC"
        );
        assert!(email.text_body.contains("Until: Tue 1 Dec 2026, 21:00 UTC"));
        assert!(email.text_body.contains("Rust & <Wasm> Night"));
        assert!(email.text_body.contains("Seats: 2"));
        let text = &email.text_body;
        assert!(text.contains("\n    1 × Adult (600.00 INR)\n"), "{text}");
        assert!(
            text.contains("\n    1 × Child (400.00 INR, 100.00 INR off)\n"),
            "{text}"
        );
        assert!(
            text.contains("\n  Code:  FAMILY (100.00 INR off)\n"),
            "{text}"
        );
        assert!(text.contains("\n  Total: 1000.00 INR\n"), "{text}");
        let html = email.html_body.unwrap();
        assert!(html.contains("Rust &amp; &lt;Wasm&gt; Night"), "{html}");
        assert!(
            html.contains("1 × Adult (600.00 INR)<br>1 × Child (400.00 INR, 100.00 INR off)"),
            "{html}"
        );
        assert!(html.contains("FAMILY (100.00 INR off)"), "{html}");
        assert!(!html.contains("{{"), "unfilled placeholder in {html}");
        assert_eq!(email.attachments[2].filename, "event.ics");
        assert_eq!(email.attachments[2].content_id, None);
    }

    #[test]
    fn each_booked_seat_gets_its_qr_code_inline_with_the_code_under_it() {
        let n = booked_notification();
        let ticket = n.ticket.clone().expect("a ticket");
        let email = compose(&n, &render::Settings::default());
        let html = email.html_body.as_deref().expect("an HTML body");
        let text = &email.text_body;
        for (admission, part) in ticket.admissions.iter().zip(&email.attachments) {
            let cid = format!("seat{}.01JTICKET0000000000000000@prasang", admission.seat);
            assert_eq!(part.content_id.as_deref(), Some(cid.as_str()));
            assert_eq!(part.content_type, "image/png");
            assert_eq!(part.filename, format!("seat-{}.png", admission.seat));
            assert_eq!(part.data, fake_qr(&admission.code).unwrap());
            let img = format!(
                "<img src=\"cid:{cid}\" alt=\"QR code for Seat {} of 2\"",
                admission.seat
            );
            let at = html
                .find(&img)
                .unwrap_or_else(|| panic!("no {img} in {html}"));
            let code_at = html[at..].find(&admission.code).map(|i| at + i);
            assert!(code_at.is_some(), "the code follows its image: {html}");
            let line = format!("\n    Seat {} of 2: {}\n", admission.seat, admission.code);
            assert!(text.contains(&line), "{text}");
        }
        assert!(
            text.contains("Admission codes. One code per seat"),
            "{text}"
        );
    }

    #[test]
    fn a_ticket_without_codes_shows_none_and_a_failed_drawing_fails_the_mail() {
        let mut n = booked_notification();
        let ticket = n.ticket.as_mut().expect("a ticket");
        ticket.status = TicketStatus::Pending;
        ticket.admissions.clear();
        n.kind = NotificationKind::TicketPending;
        let email = compose(&n, &render::Settings::default());
        assert!(email.attachments.is_empty());
        assert!(!email.text_body.contains("Admission codes"));
        assert!(!email.html_body.unwrap().contains("cid:"));

        let refused = super::compose(&booked_notification(), &render::Settings::default(), |_| {
            Err(HostError::Invalid("too long".into()))
        });
        assert!(matches!(refused, Err(HostError::Invalid(_))));
    }

    #[test]
    fn times_are_the_events_local_time_with_its_zone() {
        let email = compose(&booked_in_kolkata(), &render::Settings::default());
        assert_eq!(
            email.subject,
            "Booked: Rust & <Wasm> Night, Tue 1 Dec 2026, 18:30 IST (UTC+05:30)"
        );
        assert!(
            email
                .text_body
                .contains("When:  Tue 1 Dec 2026, 18:30 IST (UTC+05:30)"),
            "{}",
            email.text_body
        );
        assert!(
            email
                .text_body
                .contains("Until: Tue 1 Dec 2026, 21:00 IST (UTC+05:30)")
        );
        assert!(
            !email.text_body.contains("13:00"),
            "no UTC time in {}",
            email.text_body
        );
    }

    #[test]
    fn feedback_requests_ask_how_it_was_without_a_calendar_file() {
        let mut n = booked_in_kolkata();
        n.kind = NotificationKind::FeedbackRequest;
        n.ticket = None;
        let email = compose(&n, &render::Settings::default());
        assert!(
            email
                .subject
                .starts_with("How was it?: Rust & <Wasm> Night"),
            "{}",
            email.subject
        );
        assert!(email.text_body.contains("How was the event?"));
        assert!(email.html_body.unwrap().contains("How was the event?"));
        assert!(email.attachments.is_empty());
    }

    #[test]
    fn waitlist_offers_say_what_is_held_until_when_on_the_events_clock_and_link_the_reply() {
        let email = compose(&waitlist_offer(), &render::Settings::default());
        assert_eq!(
            email.subject,
            "Seats for you: Rust & <Wasm> Night, Tue 1 Dec 2026, 18:30 IST (UTC+05:30)"
        );
        let text = &email.text_body;
        assert!(
            text.contains(
                "we are holding 2 × Adult for you until Mon 30 Nov 2026, 20:00 IST (UTC+05:30)"
            ),
            "{text}"
        );
        assert!(text.contains("\n  Offer: 2 × Adult\n"), "{text}");
        assert!(
            text.contains("\n  Held until: Mon 30 Nov 2026, 20:00 IST (UTC+05:30)\n"),
            "{text}"
        );
        assert!(
            text.contains(&format!("\n  Accept or decline: {ACCEPT_URL}\n")),
            "{text}"
        );
        assert!(!text.contains("14:30"), "no UTC deadline in {text}");
        let html = email.html_body.expect("an HTML body");
        assert!(
            html.contains(&format!("<a href=\"{ACCEPT_URL}\"")),
            "the accept link in {html}"
        );
        assert!(
            html.contains("Mon 30 Nov 2026, 20:00 IST (UTC+05:30)"),
            "{html}"
        );
        assert!(email.attachments.is_empty(), "no calendar, no codes");
    }

    #[test]
    fn a_queue_admission_says_until_when_on_the_events_clock_and_links_the_waiting_page() {
        let email = compose(&queue_admitted(), &render::Settings::default());
        assert_eq!(
            email.subject,
            "Your turn to book: Rust & <Wasm> Night, Tue 1 Dec 2026, 18:30 IST (UTC+05:30)"
        );
        let text = &email.text_body;
        assert!(
            text.contains(
                "the waiting room let you through and you can book until Mon 30 Nov 2026, \
                 20:00 IST (UTC+05:30)"
            ),
            "{text}"
        );
        assert!(
            text.contains("\n  Book before: Mon 30 Nov 2026, 20:00 IST (UTC+05:30)\n"),
            "{text}"
        );
        assert!(
            text.contains(&format!("\n  Book now: {WAITING_ROOM_URL}\n")),
            "{text}"
        );
        assert!(!text.contains("14:30"), "no UTC expiry in {text}");
        let html = email.html_body.expect("an HTML body");
        assert!(
            html.contains(&format!("<a href=\"{WAITING_ROOM_URL}\"")),
            "the link in {html}"
        );
        assert!(
            html.contains("Mon 30 Nov 2026, 20:00 IST (UTC+05:30)"),
            "{html}"
        );
        assert!(email.attachments.is_empty(), "no calendar, no codes");

        let mut n = queue_admitted();
        n.queue_pass.as_mut().expect("a pass").url = "javascript:alert(1)".into();
        let html = compose(&n, &render::Settings::default()).html_body;
        let html = html.expect("an HTML body");
        assert!(!html.contains("href=\"javascript"), "{html}");
    }

    #[test]
    fn a_guest_access_mail_carries_the_link_its_expiry_on_the_events_clock_and_a_disclaimer() {
        let email = compose(&guest_access(), &render::Settings::default());
        assert_eq!(
            email.subject,
            "Your sign-in link: Rust & <Wasm> Night, Tue 1 Dec 2026, 18:30 IST (UTC+05:30)"
        );
        let text = &email.text_body;
        assert!(
            text.contains("You asked for a way back to your tickets"),
            "{text}"
        );
        assert!(
            text.contains("If you did not ask for it, ignore this e-mail"),
            "{text}"
        );
        assert!(
            text.contains(&format!("\n  Sign in: {ACCESS_URL}\n")),
            "{text}"
        );
        assert!(
            text.contains("\n  Works once, until: Mon 30 Nov 2026, 20:00 IST (UTC+05:30)\n"),
            "{text}"
        );
        assert!(!text.contains("14:30"), "no UTC expiry in {text}");
        let html = email.html_body.expect("an HTML body");
        assert!(
            html.contains(&format!("<a href=\"{ACCESS_URL}\"")),
            "the link in {html}"
        );
        assert!(
            html.contains("Mon 30 Nov 2026, 20:00 IST (UTC+05:30)"),
            "{html}"
        );
        assert!(email.attachments.is_empty(), "no calendar, no codes");
    }

    #[test]
    fn a_guests_booking_says_how_to_manage_the_tickets_and_others_do_not() {
        let email = compose(&guest_booked(), &render::Settings::default());
        let text = &email.text_body;
        assert!(
            text.contains(&format!(
                "\n  Manage your tickets: {ACCESS_URL} (works once, until 20:00 IST)\n"
            )),
            "{text}"
        );
        assert!(text.contains("Your booking is confirmed"), "{text}");
        let html = email.html_body.expect("an HTML body");
        assert!(
            html.contains(&format!(
                "<a href=\"{ACCESS_URL}\" style=\"font-weight: bold;\">Manage your tickets</a> \
                 (works once, until 20:00 IST)"
            )),
            "{html}"
        );
        let mut held = guest_booked();
        held.kind = NotificationKind::TicketPending;
        let text = compose(&held, &render::Settings::default()).text_body;
        assert!(text.contains("Manage your tickets: "), "{text}");

        let account = compose(&booked_in_kolkata(), &render::Settings::default());
        assert!(!account.text_body.contains("Manage your tickets"));
        assert!(!account.html_body.expect("HTML").contains("/guest/access"));
    }

    #[test]
    fn a_sign_in_link_that_is_not_a_web_address_is_only_text() {
        let mut n = guest_access();
        n.access.as_mut().expect("a link").url = "javascript:alert(1)\"><b>".into();
        let html = compose(&n, &render::Settings::default())
            .html_body
            .expect("an HTML body");
        assert!(!html.contains("href=\"javascript"), "{html}");
        assert!(
            html.contains("javascript:alert(1)&quot;&gt;&lt;b&gt;"),
            "{html}"
        );
    }

    #[test]
    fn an_offer_link_that_is_not_a_web_address_is_only_text() {
        let mut n = waitlist_offer();
        let offer = n.offer.as_mut().expect("an offer");
        offer.accept_url = "javascript:alert(1)".into();
        let html = compose(&n, &render::Settings::default())
            .html_body
            .expect("an HTML body");
        assert!(!html.contains("href=\"javascript"), "{html}");
        assert!(html.contains("javascript:alert(1)"), "{html}");
    }

    #[test]
    fn organizer_messages_carry_their_subject_marked_as_theirs_and_markup_stays_text() {
        let settings = render::Settings {
            subject_prefix: "[Pune] ".into(),
            ..render::Settings::default()
        };
        let email = compose(&organizer_message(), &settings);
        assert_eq!(
            email.subject,
            "[Pune] From the organizer of Rust & <Wasm> Night: Doors open at <b>19:00</b>"
        );
        let text = &email.text_body;
        assert!(
            text.contains("The organizer of this event sent you the message below"),
            "{text}"
        );
        assert!(
            text.contains(
                "  Subject: Doors open at <b>19:00</b>\n\nThe hall opens an hour later than \
                 planned.\n<script>alert(\"hi\")</script> & see you!\n"
            ),
            "the text as written in {text}"
        );
        let html = email.html_body.expect("an HTML body");
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<b>19"), "{html}");
        assert!(
            html.contains("Doors open at &lt;b&gt;19:00&lt;/b&gt;"),
            "{html}"
        );
        assert!(
            html.contains(
                "planned.\n&lt;script&gt;alert(&quot;hi&quot;)&lt;/script&gt; &amp; see you!"
            ),
            "{html}"
        );
        assert!(
            html.contains("white-space: pre-wrap"),
            "line breaks kept: {html}"
        );
        assert!(email.attachments.is_empty());
    }

    #[test]
    fn an_organizers_subject_is_one_line_in_the_header() {
        let mut n = organizer_message();
        n.subject = Some("Doors\r\nBcc: everyone@example.org".into());
        let email = compose(&n, &render::Settings::default());
        assert_eq!(
            email.subject,
            "From the organizer of Rust & <Wasm> Night: Doors Bcc: everyone@example.org"
        );
    }

    #[test]
    fn other_notifications_have_no_calendar_file() {
        let mut n = booked_notification();
        n.kind = NotificationKind::TicketCancelled;
        let ticket = n.ticket.as_mut().expect("a ticket");
        ticket.status = TicketStatus::Cancelled;
        ticket.admissions.clear();
        let email = compose(&n, &render::Settings::default());
        assert!(email.attachments.is_empty());
        assert!(email.subject.starts_with("Cancelled: "));
    }
}
