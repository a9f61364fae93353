//! Sample data for plugin unit tests (which run natively, outside the host).

use crate::{
    EventStatus, EventSummary, Notification, NotificationKind, Recipient, TicketStatus,
    TicketSummary,
};

/// A booked-ticket notification for a concert on 1 Dec 2026, 18:30–21:00 UTC.
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
        }),
        changed: Vec::new(),
        message: None,
    }
}
