//! Bindings for `prasang:channel@0.3.0`: 0.2.0 plus what a ticket is made of and what was paid
//! for it (its lines by ticket type, its discount and promo code), each booked seat's admission
//! code, inline e-mail parts (`attachment.content-id`) and the `qr-code-png` host function;
//! the kinds `waitlist-offer` (with the `offer`, its deadline also in the event's local time)
//! and `organizer-message` (with its `subject`), and `guest-access` with a guest's sign-in link
//! (`access`, which the notifier signs for the `email` channel alone), and `queue-admitted` with
//! the waiting room's pass (`queue-pass`: its expiry, also in local time, and the waiting
//! page). The SDK and the bundled plugins build for this version.

super::shared_bindings::channel_host!(
    "0.3.0",
    "../plugins/wit/0.3.0",
    ticket |t| {
        lines: t.lines.iter().map(line).collect(),
        discount_minor: t.discount_minor,
        promo_code: t.promo_code.clone(),
        admissions: t.admissions.iter().map(admission).collect(),
    },
    attachment |a| a.content_id,
    host {
        fn qr_code_png(&mut self, text: String) -> Result<Vec<u8>, wit::HostError> {
            self.qr_code_png(&text).map_err(host_error)
        }
    }
);
super::shared_bindings::zoned_notification!(notification |n, zone| {
    offer: n.offer.as_ref().map(|offer| wit::Offer {
        seats: offer.seats,
        ticket_type: offer.ticket_type.clone(),
        deadline: offer.deadline.as_millis(),
        deadline_local: local_time(zone, offer.deadline),
        accept_url: offer.accept_url.clone(),
    }),
    subject: n.subject.clone(),
    access: n.access.as_ref().map(|access| wit::Access {
        url: access.url.clone(),
        expires_at: access.expires_at.as_millis(),
        expires_at_local: local_time(zone, access.expires_at),
    }),
    queue_pass: n.queue_pass.as_ref().map(|pass| wit::QueuePass {
        expires_at: pass.expires_at.as_millis(),
        expires_at_local: local_time(zone, pass.expires_at),
        url: pass.url.clone(),
    }),
});

/// Every kind the core has.
fn kind(kind: NotificationKind) -> Option<wit::NotificationKind> {
    Some(match kind {
        NotificationKind::FeedbackRequest => wit::NotificationKind::FeedbackRequest,
        NotificationKind::WaitlistOffer => wit::NotificationKind::WaitlistOffer,
        NotificationKind::OrganizerMessage => wit::NotificationKind::OrganizerMessage,
        NotificationKind::GuestAccess => wit::NotificationKind::GuestAccess,
        NotificationKind::QueueAdmitted => wit::NotificationKind::QueueAdmitted,
        other => return shared_kind(other),
    })
}

fn line(line: &notify::TicketLineSummary) -> wit::TicketLine {
    wit::TicketLine {
        ticket_type: line.ticket_type.clone(),
        quantity: line.quantity,
        unit_price_minor: line.unit_price_minor,
        discount_minor: line.discount_minor,
        amount_minor: line.amount_minor,
    }
}

fn admission(admission: &notify::SeatAdmission) -> wit::Admission {
    wit::Admission {
        seat: admission.seat,
        code: admission.code.clone(),
    }
}
