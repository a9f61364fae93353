//! Sample data for plugin unit tests (which run natively, outside the host).

use crate::{
    Access, Admission, EventStatus, EventSummary, LocalTime, Notification, NotificationKind, Offer,
    QueuePass, Recipient, TicketLine, TicketStatus, TicketSummary,
};

/// The wall-clock time `hour:minute` on Tuesday 1 Dec 2026 at `offset` (seconds, text), as the
/// host would send it.
fn on_1_dec_2026(hour: u8, minute: u8, offset: (i32, &str), abbreviation: &str) -> LocalTime {
    LocalTime {
        year: 2026,
        month: 12,
        day: 1,
        weekday: 2,
        hour,
        minute,
        second: 0,
        utc_offset_seconds: offset.0,
        utc_offset: offset.1.into(),
        abbreviation: Some(abbreviation.into()),
        rfc3339: format!("2026-12-01T{hour:02}:{minute:02}:00{}", offset.1),
    }
}

/// The page the samples' offers are accepted on.
pub const ACCEPT_URL: &str = "https://tickets.example.org/waitlist/01JEVENT00000000000000000";

/// The concert of [`booked_in_kolkata`] offered from its waiting list: 2 Adult seats held for
/// Ada until Monday 30 Nov 2026, 20:00 in Kolkata (14:30 UTC), to accept at [`ACCEPT_URL`].
pub fn waitlist_offer() -> Notification {
    let mut n = booked_in_kolkata();
    n.kind = NotificationKind::WaitlistOffer;
    n.ticket = None;
    n.offer = Some(Offer {
        seats: 2,
        ticket_type: "Adult".into(),
        deadline: 1_796_049_000_000,
        deadline_local: on_30_nov_2026_20_00_ist(),
        accept_url: ACCEPT_URL.into(),
    });
    n
}

/// The sign-in link of the samples' guest (a sample token, not signed).
pub const ACCESS_URL: &str =
    "https://tickets.example.org/guest/access?token=R1VFU1Q.c2FtcGxlLXRva2Vu";

/// Ada, a guest, asked for a way back to her tickets for [`booked_in_kolkata`]'s concert: a
/// sign-in link ([`ACCESS_URL`]) that works until Monday 30 Nov 2026, 20:00 in Kolkata (14:30
/// UTC).
pub fn guest_access() -> Notification {
    let mut n = booked_in_kolkata();
    n.kind = NotificationKind::GuestAccess;
    n.ticket = None;
    n.access = Some(Access {
        url: ACCESS_URL.into(),
        expires_at: 1_796_049_000_000,
        expires_at_local: on_30_nov_2026_20_00_ist(),
    });
    n
}

/// The waiting page of [`queue_admitted`]'s concert.
pub const WAITING_ROOM_URL: &str =
    "https://tickets.example.org/events/01JEVENT00000000000000000/waiting-room";

/// The waiting room of [`booked_in_kolkata`]'s concert let Ada through: her pass stands until
/// Monday 30 Nov 2026, 20:00 in Kolkata (14:30 UTC), and she books from [`WAITING_ROOM_URL`].
pub fn queue_admitted() -> Notification {
    let mut n = booked_in_kolkata();
    n.kind = NotificationKind::QueueAdmitted;
    n.ticket = None;
    n.queue_pass = Some(QueuePass {
        expires_at: 1_796_049_000_000,
        expires_at_local: on_30_nov_2026_20_00_ist(),
        url: WAITING_ROOM_URL.into(),
    });
    n
}

/// [`booked_in_kolkata`] for Ada as a guest: with her sign-in link ([`guest_access`]'s).
pub fn guest_booked() -> Notification {
    let mut n = booked_in_kolkata();
    n.access = guest_access().access;
    n
}

/// Monday 30 Nov 2026, 20:00 in Kolkata (14:30 UTC), as the host would send it.
fn on_30_nov_2026_20_00_ist() -> LocalTime {
    LocalTime {
        day: 30,
        month: 11,
        weekday: 1,
        rfc3339: "2026-11-30T20:00:00+05:30".into(),
        ..on_1_dec_2026(20, 0, (19_800, "+05:30"), "IST")
    }
}

/// The organizer of [`booked_in_kolkata`]'s concert writing to Ada: a subject and two lines of
/// text, both with markup in them that must reach her as text.
pub fn organizer_message() -> Notification {
    let mut n = booked_in_kolkata();
    n.kind = NotificationKind::OrganizerMessage;
    n.ticket = None;
    n.subject = Some("Doors open at <b>19:00</b>".into());
    n.message = Some(
        "The hall opens an hour later than planned.\n<script>alert(\"hi\")</script> & see you!"
            .into(),
    );
    n
}

/// [`booked_notification`] for the same concert held in `Asia/Kolkata` at 18:30–21:00 local
/// time (13:00–15:30 UTC).
pub fn booked_in_kolkata() -> Notification {
    let mut n = booked_notification();
    n.event.starts_at = 1_796_130_000_000;
    n.event.ends_at = 1_796_139_000_000;
    n.event.time_zone = "Asia/Kolkata".into();
    n.event.starts_at_local = on_1_dec_2026(18, 30, (19_800, "+05:30"), "IST");
    n.event.ends_at_local = on_1_dec_2026(21, 0, (19_800, "+05:30"), "IST");
    n
}

/// A booked-ticket notification for a concert on 1 Dec 2026, 18:30–21:00 UTC (zone `UTC`): an
/// Adult seat at INR 600 and a Child seat at INR 500 less 100 with the code `FAMILY`, INR 1000
/// in all; each seat with an admission code (sample text, not signed).
pub fn booked_notification() -> Notification {
    Notification {
        idempotency_key: "42.01JBOOKER0000000000000000.email".into(),
        kind: NotificationKind::TicketBooked,
        log_seq: 42,
        occurred_at: 1_796_000_000_000,
        attempted_at: 1_796_000_001_000,
        recipient: Recipient {
            user_id: "01JBOOKER0000000000000000".into(),
            name: "Ada Lovelace".into(),
            email: "ada@example.org".into(),
        },
        event: EventSummary {
            id: "01JEVENT00000000000000000".into(),
            title: "Rust & <Wasm> Night".into(),
            description: "Talks, then music.".into(),
            location: "Hall 1, Pune".into(),
            starts_at: 1_796_149_800_000,
            ends_at: 1_796_158_800_000,
            time_zone: "UTC".into(),
            starts_at_local: on_1_dec_2026(18, 30, (0, "+00:00"), "UTC"),
            ends_at_local: on_1_dec_2026(21, 0, (0, "+00:00"), "UTC"),
            status: EventStatus::Published,
            price_minor: 50_000,
            currency: "INR".into(),
        },
        ticket: Some(TicketSummary {
            id: "01JTICKET0000000000000000".into(),
            quantity: 2,
            status: TicketStatus::Booked,
            amount_minor: 100_000,
            expires_at: None,
            lines: vec![
                one_seat("Adult", 60_000, 0),
                one_seat("Child", 50_000, 10_000),
            ],
            discount_minor: 10_000,
            promo_code: Some("FAMILY".into()),
            admissions: vec![sample_admission(1), sample_admission(2)],
        }),
        changed: Vec::new(),
        message: None,
        offer: None,
        subject: None,
        access: None,
        queue_pass: None,
    }
}

/// One seat of `ticket_type` at `unit_price_minor`, less `discount_minor`.
fn one_seat(ticket_type: &str, unit_price_minor: u64, discount_minor: u64) -> TicketLine {
    TicketLine {
        ticket_type: ticket_type.into(),
        quantity: 1,
        unit_price_minor,
        discount_minor,
        amount_minor: unit_price_minor - discount_minor,
    }
}

/// Seat `seat`'s admission code in the sample: text shaped like a real one, not signed.
pub fn sample_admission(seat: u32) -> Admission {
    Admission {
        seat,
        code: format!(
            "PA1.01JEVENT00000000000000000.01JTICKET0000000000000000.{seat}.k1.c2lnbmF0dXJl"
        ),
    }
}
