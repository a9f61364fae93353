//! Fixtures for the crate's own unit tests (the integration tests have `tests/common`, which
//! unit tests cannot reach).

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use crate::Prasang;
use crate::auth::Actor;
use crate::events::NewEvent;
use crate::notify::{Channel, DeliveryError, Notification, Receipt};
use crate::time::Timestamp;
use crate::users::{Gender, NewUser, Role};

/// Appends `event` to the log at the clock's time, as the engine that owns it would (for tests
/// of the log's consumers that need entries no API writes yet, or at chosen times).
pub(crate) fn append(prasang: &Prasang, event: crate::log::DomainEvent) {
    let store = &prasang.inner.ctx.store;
    store
        .transaction(&store.log, |log| {
            crate::log::append(log, prasang.now(), &event)?;
            Ok::<_, sled::transaction::ConflictableTransactionError<()>>(())
        })
        .expect("append");
}

/// A temporary store without background threads whose clock starts at `start` and moves only
/// when the test moves it.
pub(crate) fn on_manual_clock(start: Timestamp) -> (Prasang, crate::ManualClock) {
    let clock = crate::ManualClock::new(start);
    let config = crate::Config::temporary()
        .clock(clock.clone())
        .background_tasks(false);
    (
        Prasang::open(config).expect("open a temporary store"),
        clock,
    )
}

/// Forgets everything the analytics consumer folded (its aggregates and every cursor), so the
/// next round folds the whole log again: tests compare that replay with the incremental result.
pub(crate) fn forget_analytics(prasang: &Prasang) {
    let store = &prasang.inner.ctx.store;
    for tree in [
        &store.agg_counters,
        &store.agg_members,
        &store.agg_events,
        &store.agg_users,
        &store.agg_admissions,
        &store.agg_waitlist,
        &store.agg_messages,
        &store.cursors,
    ] {
        tree.clear().expect("clear");
    }
}

/// Registers `name` (`name@example.org`) with `role` and returns them as an actor.
pub(crate) fn register(prasang: &Prasang, name: &str, role: Role) -> Actor {
    person(prasang, name, role, Gender::Undisclosed, 30)
}

/// [`register`] with a gender and an age, for the demographic reports.
pub(crate) fn person(prasang: &Prasang, name: &str, role: Role, gender: Gender, age: i64) -> Actor {
    let user = prasang
        .users()
        .register(NewUser {
            name: name.into(),
            email: format!("{name}@example.org"),
            password: format!("{name} has a long password"),
            gender,
            age,
            role,
        })
        .expect("register");
    Actor::new(user.id, role)
}

/// Adds a ticket type "Child" at `price_minor` to `event`; returns its number.
pub(crate) fn child_type(
    prasang: &Prasang,
    organizer: &Actor,
    event: crate::EventId,
    price_minor: i64,
) -> crate::events::TicketTypeId {
    let child = crate::events::NewTicketType {
        name: "Child".into(),
        price_minor,
        ..Default::default()
    };
    prasang
        .events()
        .add_ticket_type(organizer, event, child)
        .expect("type")
        .id
}

/// A free one-hour event from `starts_at` with `capacity` seats, one per person.
pub(crate) fn free_event(starts_at: Timestamp, capacity: i64) -> NewEvent {
    NewEvent {
        attendee_names: Default::default(),
        title: "RustConf".into(),
        description: "Talks".into(),
        location: "Montreal".into(),
        starts_at: starts_at.into(),
        ends_at: starts_at.plus(Duration::from_secs(3600)).into(),
        time_zone: None,
        capacity,
        price_minor: 0,
        currency: "EUR".into(),
        image_url: None,
        per_user_limit: Some(1),
        ticket_types: None,
    }
}

/// A store with one booking: organizer Olga's free event of 10 seats a week ahead, one seat of
/// which attendee Ada holds.
pub(crate) struct OneBooking {
    pub(crate) prasang: Prasang,
    pub(crate) organizer: Actor,
    pub(crate) ada: Actor,
    pub(crate) event: crate::events::Event,
}

/// Opens `config` and makes [`OneBooking`]'s booking (nothing dispatched yet).
pub(crate) fn one_booking(config: crate::Config) -> OneBooking {
    let prasang = Prasang::open(config).expect("open");
    let organizer = register(&prasang, "olga", Role::Organizer);
    let ada = register(&prasang, "ada", Role::Attendee);
    let starts_at = prasang.now().plus(Duration::from_secs(7 * 24 * 3600));
    let event = prasang
        .events()
        .create(&organizer, free_event(starts_at, 10))
        .expect("create event");
    let request = crate::tickets::BookingRequest {
        attendee_names: Default::default(),
        pass: None,
        event: event.id,
        quantity: 1,
        idempotency_key: None,
        lines: Vec::new(),
        promo_code: None,
    };
    prasang.tickets().book(&ada, &request).expect("book");
    OneBooking {
        prasang,
        organizer,
        ada,
        event,
    }
}

/// An `email` channel that counts its calls and fails (temporarily) every call it is told to
/// before it accepts.
#[derive(Default)]
pub(crate) struct EmailChannel {
    pub(crate) calls: AtomicU32,
    /// Calls that fail before the first accepted one.
    pub(crate) failures: u32,
}

impl EmailChannel {
    /// Calls made so far.
    pub(crate) fn calls(&self) -> u32 {
        self.calls.load(Ordering::SeqCst)
    }
}

impl Channel for EmailChannel {
    fn id(&self) -> &str {
        "email"
    }
    fn deliver(&self, _: &Notification) -> Result<Receipt, DeliveryError> {
        if self.calls.fetch_add(1, Ordering::SeqCst) < self.failures {
            return Err(DeliveryError::Temporary("not yet".into()));
        }
        Ok(Receipt {
            remote_id: None,
            detail: "accepted".into(),
        })
    }
}
