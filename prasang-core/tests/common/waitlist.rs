//! Waiting-list steps the tests share.

use prasang_core::auth::Actor;
use prasang_core::waitlist::{JoinRequest, WaitlistSettings};
use prasang_core::{EventId, Prasang};

/// Settings of an open list whose offers stand `offer_window_minutes`, offering what fits or not.
pub fn open(offer_window_minutes: u32, offer_what_fits: bool) -> WaitlistSettings {
    WaitlistSettings {
        enabled: true,
        offer_window_minutes,
        offer_what_fits,
        ..WaitlistSettings::default()
    }
}

/// The organizer sets `event`'s list to `settings`; it must work.
pub fn configure(prasang: &Prasang, organizer: &Actor, event: EventId, settings: WaitlistSettings) {
    prasang
        .waitlist()
        .configure(organizer, event, settings)
        .expect("configure the waiting list");
}

/// `who` joins `event`'s list for `seats` of its default type; the entry's number.
pub fn join(prasang: &Prasang, who: &Actor, event: EventId, seats: i64) -> u64 {
    let request = JoinRequest {
        ticket_type: None,
        seats,
    };
    prasang
        .waitlist()
        .join(who, event, &request)
        .expect("join the waiting list")
        .entry
}
