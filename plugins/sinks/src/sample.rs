//! The sample notification of the plugin tests and the plugin benchmark, and the accounts the
//! benchmarks book with.

use prasang_core::auth::Actor;
use prasang_core::events::EventStatus;
use prasang_core::events::NewEvent;
use prasang_core::notify::{
    AccessLink, EventSummary, Notification, NotificationKind, OfferSummary, QueuePassSummary,
    Recipient, SeatAdmission, TicketLineSummary, TicketSummary,
};
use prasang_core::tickets::TicketStatus;
use prasang_core::users::{Gender, NewUser, Role};
use prasang_core::{EventId, Prasang, TicketId, Timestamp, UserId};

/// Ada Lovelace booked 2 seats (an Adult at INR 600 and a Child at INR 500 less 100 with the
/// code `FAMILY`: INR 1000 in all) for "Rust & Wasm Night" on 1 Dec 2026, 18:30–21:00 UTC (the event's zone is `UTC`; [`booked_in_kolkata`] is the same in Pune's own time): the
/// notification the dispatcher makes for log entry `log_seq` and `channel` (the idempotency
/// key is `<log_seq>.<user>.<channel>`, as the dispatcher writes it), with an admission code
/// per seat as the notifier adds them before a delivery ([`admission`]: shaped like one, not
/// signed).
pub fn booked(log_seq: u64, channel: &str) -> Notification {
    let user: UserId = ulid("01JBQ8ZK3N2V4W6X8Y0A2C4E6G");
    Notification {
        idempotency_key: format!("{log_seq}.{user}.{channel}"),
        kind: NotificationKind::TicketBooked,
        log_seq,
        occurred_at: Timestamp::from_millis(1_796_000_000_000),
        recipient: Recipient {
            user_id: user,
            name: "Ada Lovelace".into(),
            email: "ada@example.org".into(),
        },
        event: EventSummary {
            id: ulid::<EventId>("01JBQ8ZK3N2V4W6X8Y0A2C4E6H"),
            title: "Rust & Wasm Night".into(),
            description: "Talks about plugins, then music.".into(),
            location: "Hall 1, Pune".into(),
            starts_at: Timestamp::from_millis(1_796_149_800_000),
            ends_at: Timestamp::from_millis(1_796_158_800_000),
            status: EventStatus::Published,
            price_minor: 50_000,
            currency: "INR".into(),
        },
        ticket: Some(TicketSummary {
            id: ulid::<TicketId>("01JBQ8ZK3N2V4W6X8Y0A2C4E6J"),
            quantity: 2,
            status: TicketStatus::Booked,
            amount_minor: 100_000,
            expires_at: None,
            lines: vec![line("Adult", 60_000, 0), line("Child", 50_000, 10_000)],
            discount_minor: 10_000,
            promo_code: Some("FAMILY".into()),
            admissions: vec![admission(1), admission(2)],
        }),
        changed: Vec::new(),
        message: None,
        time_zone: "UTC".into(),
        offer: None,
        subject: None,
        access: None,
        queue_pass: None,
    }
}

/// [`booked`] for an event in `Asia/Kolkata` at 18:30–21:00 local time (13:00–15:30 UTC).
pub fn booked_in_kolkata(log_seq: u64, channel: &str) -> Notification {
    let mut notification = booked(log_seq, channel);
    notification.time_zone = "Asia/Kolkata".into();
    notification.event.starts_at = Timestamp::from_millis(1_796_130_000_000);
    notification.event.ends_at = Timestamp::from_millis(1_796_139_000_000);
    notification
}

/// Where [`waitlist_offer`]'s offer is accepted: the page the dispatcher links to on a server
/// whose public address is `https://tickets.example.org`.
pub const ACCEPT_URL: &str = "https://tickets.example.org/waitlist/01JBQ8ZK3N2V4W6X8Y0A2C4E6H";

/// The event of [`booked_in_kolkata`] offered to Ada from its waiting list: 2 Adult seats held
/// until Mon 30 Nov 2026, 20:00 in Kolkata (14:30 UTC), to accept at [`ACCEPT_URL`].
pub fn waitlist_offer(log_seq: u64, channel: &str) -> Notification {
    let mut notification = booked_in_kolkata(log_seq, channel);
    notification.kind = NotificationKind::WaitlistOffer;
    notification.ticket = None;
    notification.offer = Some(OfferSummary {
        seats: 2,
        ticket_type: "Adult".into(),
        deadline: Timestamp::from_millis(1_796_049_000_000),
        accept_url: ACCEPT_URL.into(),
    });
    notification
}

/// The waiting page [`queue_admitted`] links to on a server whose public address is
/// `https://tickets.example.org`.
pub const WAITING_ROOM_URL: &str =
    "https://tickets.example.org/events/01JBQ8ZK3N2V4W6X8Y0A2C4E6H/waiting-room";

/// The waiting room of [`booked_in_kolkata`]'s event admitted Ada: her pass stands until Mon
/// 30 Nov 2026, 20:00 in Kolkata (14:30 UTC); she books from [`WAITING_ROOM_URL`].
pub fn queue_admitted(log_seq: u64, channel: &str) -> Notification {
    let mut notification = booked_in_kolkata(log_seq, channel);
    notification.kind = NotificationKind::QueueAdmitted;
    notification.ticket = None;
    notification.queue_pass = Some(QueuePassSummary {
        expires_at: Timestamp::from_millis(1_796_049_000_000),
        url: WAITING_ROOM_URL.into(),
    });
    notification
}

/// The token of [`ACCESS_URL`], spelled once for both constants.
macro_rules! access_token {
    () => {
        "R1VFU1QtU0FNUExFLVRPS0VOLW5vdC1zaWduZWQtMDEyMzQ1Njc4OS1hYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ei1BQkNERUZHSElKS0xNTk9QUVJTVFVWV1hZWi0wMTIzNDU2Nzg5"
    };
}

/// The token of [`ACCESS_URL`]: shaped like a signed one (140 base64url characters), not
/// signed. Tests look for it in what a channel sent.
pub const ACCESS_TOKEN: &str = access_token!();

/// Ada's sign-in link as the notifier signs it on a server whose public address is
/// `https://tickets.example.org`.
pub const ACCESS_URL: &str = concat!(
    "https://tickets.example.org/guest/access?token=",
    access_token!()
);

/// Ada's sign-in link ([`ACCESS_URL`]), working until Mon 30 Nov 2026, 20:00 in Kolkata
/// (14:30 UTC).
fn access() -> AccessLink {
    AccessLink {
        url: ACCESS_URL.into(),
        expires_at: Timestamp::from_millis(1_796_049_000_000),
    }
}

/// Ada, a guest, asked for a way back to her tickets for [`booked_in_kolkata`]'s event: the
/// notification the dispatcher makes for log entry `log_seq` and `channel`, with the sign-in
/// link the notifier adds before an `email` delivery ([`ACCESS_URL`]).
pub fn guest_access(log_seq: u64, channel: &str) -> Notification {
    let mut notification = booked_in_kolkata(log_seq, channel);
    notification.kind = NotificationKind::GuestAccess;
    notification.ticket = None;
    notification.access = Some(access());
    notification
}

/// [`booked_in_kolkata`] for Ada as a guest: her booking confirmation with her sign-in link.
pub fn guest_booked(log_seq: u64, channel: &str) -> Notification {
    let mut notification = booked_in_kolkata(log_seq, channel);
    notification.access = Some(access());
    notification
}

/// The organizer of [`booked_in_kolkata`]'s event writing to Ada: a subject and two lines of
/// plain text, both with markup in them that must reach her as text.
pub fn organizer_message(log_seq: u64, channel: &str) -> Notification {
    let mut notification = booked_in_kolkata(log_seq, channel);
    notification.kind = NotificationKind::OrganizerMessage;
    notification.ticket = None;
    notification.subject = Some("Doors open at <b>19:00</b>".into());
    notification.message = Some(
        "The hall opens an hour later.\n<script>alert(1)</script> & <a href=\"https://evil.example\">bring this</a>"
            .into(),
    );
    notification
}

/// Seat `seat`'s admission code in [`booked`]: text shaped like a real code, not signed.
pub fn admission(seat: u32) -> SeatAdmission {
    SeatAdmission {
        seat,
        code: format!(
            "PA1.01JBQ8ZK3N2V4W6X8Y0A2C4E6H.01JBQ8ZK3N2V4W6X8Y0A2C4E6J.{seat}.k1.c2lnbmF0dXJl"
        ),
    }
}

/// One seat of `ticket_type` at `unit_price_minor`, less `discount_minor`.
fn line(ticket_type: &str, unit_price_minor: u64, discount_minor: u64) -> TicketLineSummary {
    TicketLineSummary {
        ticket_type: ticket_type.into(),
        quantity: 1,
        unit_price_minor,
        discount_minor,
        amount_minor: unit_price_minor - discount_minor,
    }
}

fn ulid<T: std::str::FromStr>(text: &str) -> T
where
    T::Err: std::fmt::Debug,
{
    text.parse().expect("a valid ULID")
}

/// Registers `name@bench.example` with `role` and returns them as an actor.
pub fn account(prasang: &Prasang, name: &str, role: Role) -> Result<Actor, String> {
    let user = prasang
        .users()
        .register(NewUser {
            email: format!("{name}@bench.example"),
            name: name.to_owned(),
            password: "benchmark password".into(),
            gender: Gender::Undisclosed,
            age: 30,
            role,
        })
        .map_err(|e| format!("registering {name}: {e}"))?;
    prasang
        .auth()
        .trusted_actor(user.id)
        .map_err(|e| e.to_string())
}

/// The free, one-hour event the flash-sale benchmarks sell out: up to 100 seats a person.
pub fn flash_sale(starts_at: Timestamp, capacity: u32) -> NewEvent {
    NewEvent {
        title: "Flash sale".into(),
        description: "One night only.".into(),
        location: "Loopback Hall".into(),
        starts_at: starts_at.into(),
        ends_at: starts_at.plus(std::time::Duration::from_secs(3_600)).into(),
        time_zone: None,
        capacity: i64::from(capacity),
        price_minor: 0,
        currency: "EUR".into(),
        image_url: None,
        per_user_limit: Some(100),
        ticket_types: None,
        attendee_names: Default::default(),
    }
}
