//! Fixtures shared by the integration tests.
#![allow(dead_code)]

pub mod codes;
pub mod crash;
pub mod file_channel;
pub mod types;
pub mod waitlist;

use std::time::Duration;

use prasang_core::auth::{Actor, Session};
use prasang_core::events::{Event, NewEvent, Seats};
use prasang_core::tickets::{BookingOutcome, BookingRequest, Ticket};
use prasang_core::users::{Gender, NewUser, Role, User};
use prasang_core::{Config, EventId, ManualClock, Prasang, TicketId, Timestamp};

/// Asserts that `value` matches `pattern`, and shows the value when it does not.
#[macro_export]
macro_rules! assert_matches {
    ($value:expr, $pattern:pat $(,)?) => {{
        let value = &$value;
        assert!(matches!(value, $pattern), "{value:?}");
    }};
}

/// 2030-01-01T00:00:00Z: tests run at a fixed "now".
pub const START: Timestamp = Timestamp::from_millis(1_893_456_000_000);

pub struct World {
    pub prasang: Prasang,
    pub clock: ManualClock,
}

impl World {
    pub fn new() -> Self {
        Self::with(|config| config)
    }

    pub fn with(adjust: impl FnOnce(Config) -> Config) -> Self {
        let clock = ManualClock::new(START);
        let config = Config::temporary()
            .clock(clock.clone())
            .background_tasks(false);
        let prasang = Prasang::open(adjust(config)).expect("open a temporary store");
        World { prasang, clock }
    }

    /// Registers `name` (see [`new_user`]) and returns the stored user.
    pub fn register(&self, name: &str, role: Role) -> User {
        register_user(&self.prasang, name, role)
    }

    /// Registers `name` and returns them as an actor, ready to call the API.
    pub fn user(&self, name: &str, role: Role) -> Actor {
        register_actor(&self.prasang, name, role)
    }

    /// Logs in as the already registered `name`, with the credentials [`new_user`] gave them.
    pub fn login(&self, name: &str) -> Session {
        login(&self.prasang, name)
    }

    /// Registers `name` and logs in: the start of most token tests.
    pub fn signed_in(&self, name: &str, role: Role) -> Session {
        sign_in(&self.prasang, name, role)
    }

    pub fn event(
        &self,
        organizer: &Actor,
        capacity: i64,
        price_minor: i64,
        per_user_limit: i64,
    ) -> Event {
        self.prasang
            .events()
            .create(organizer, new_event(capacity, price_minor, per_user_limit))
            .expect("create event")
    }

    /// The usual cast of a booking test: registers Olga (organizer) and Ada (attendee), in that
    /// order, then Olga publishes an event on these terms (see [`new_event`]).
    pub fn organizer_attendee_event(
        &self,
        capacity: i64,
        price_minor: i64,
        per_user_limit: i64,
    ) -> (Actor, Actor, Event) {
        let organizer = self.user("Olga", Role::Organizer);
        let ada = self.user("Ada", Role::Attendee);
        let event = self.event(&organizer, capacity, price_minor, per_user_limit);
        (organizer, ada, event)
    }

    /// Registers Olga (organizer), Ada and Bob (attendees), in that order.
    pub fn olga_ada_bob(&self) -> (Actor, Actor, Actor) {
        let olga = self.user("Olga", Role::Organizer);
        let ada = self.user("Ada", Role::Attendee);
        let bob = self.user("Bob", Role::Attendee);
        (olga, ada, bob)
    }

    /// [`World::organizer_attendee_event`], then registers Bob (attendee) too.
    pub fn organizer_two_attendees_event(
        &self,
        capacity: i64,
        price_minor: i64,
        per_user_limit: i64,
    ) -> (Actor, Actor, Actor, Event) {
        let (organizer, ada, event) =
            self.organizer_attendee_event(capacity, price_minor, per_user_limit);
        let bob = self.user("Bob", Role::Attendee);
        (organizer, ada, bob, event)
    }

    /// Books `quantity` seats of `event` for `who` (no idempotency key); the booking must succeed.
    pub fn book(&self, who: &Actor, event: EventId, quantity: i64) -> Ticket {
        book(&self.prasang, who, event, quantity)
    }

    /// Books as `who` with a full request (idempotency key and all); the booking must succeed.
    pub fn book_with(&self, who: &Actor, request: &BookingRequest) -> BookingOutcome {
        self.prasang
            .tickets()
            .book(who, request)
            .expect("book with a request")
    }

    /// Cancels `ticket` as `who`; the cancellation must succeed.
    pub fn cancel_ticket(&self, who: &Actor, ticket: TicketId) -> Ticket {
        self.prasang
            .tickets()
            .cancel(who, ticket)
            .expect("cancel ticket")
    }

    /// Books `quantity` seats of `event` as `who` and cancels them again; both must succeed.
    /// Returns the cancelled ticket.
    pub fn book_and_cancel(&self, who: &Actor, event: EventId, quantity: i64) -> Ticket {
        let ticket = self.book(who, event, quantity);
        self.cancel_ticket(who, ticket.id)
    }

    /// Confirms the payment of `ticket` as `organizer`; the confirmation must succeed.
    pub fn confirm_payment(&self, organizer: &Actor, ticket: TicketId) -> Ticket {
        self.prasang
            .tickets()
            .confirm_payment(organizer, ticket)
            .expect("confirm payment")
    }

    /// The seat counters of `event` as they stand now (without counting a view).
    pub fn seats(&self, event: EventId) -> Seats {
        self.prasang.events().peek(event).expect("event").seats
    }
}

pub fn new_user(name: &str, role: Role) -> NewUser {
    NewUser {
        name: name.to_owned(),
        email: email_of(name),
        password: password_of(name),
        gender: Gender::Undisclosed,
        age: 30,
        role,
    }
}

/// The e-mail address [`new_user`] gives `name`: "Ada" is ada@example.org.
pub fn email_of(name: &str) -> String {
    format!("{}@example.org", name.to_lowercase().replace(' ', "."))
}

/// The password [`new_user`] gives `name`.
pub fn password_of(name: &str) -> String {
    format!("{name} has a long password")
}

/// [`World::register`] for tests that open their own `Prasang`.
pub fn register_user(prasang: &Prasang, name: &str, role: Role) -> User {
    prasang
        .users()
        .register(new_user(name, role))
        .expect("register")
}

/// [`World::user`] for tests that open their own `Prasang`.
pub fn register_actor(prasang: &Prasang, name: &str, role: Role) -> Actor {
    let user = register_user(prasang, name, role);
    prasang
        .auth()
        .trusted_actor(user.id)
        .expect("a registered user is an actor")
}

/// [`World::login`] for tests that open their own `Prasang`.
pub fn login(prasang: &Prasang, name: &str) -> Session {
    prasang
        .auth()
        .login(&email_of(name), &password_of(name))
        .expect("login")
}

/// [`World::signed_in`] for tests that open their own `Prasang`.
pub fn sign_in(prasang: &Prasang, name: &str, role: Role) -> Session {
    register_user(prasang, name, role);
    login(prasang, name)
}

/// [`World::book`] for tests that open their own `Prasang`.
pub fn book(prasang: &Prasang, who: &Actor, event: EventId, quantity: i64) -> Ticket {
    prasang
        .tickets()
        .book(who, &booking(event, quantity))
        .expect("book")
        .ticket
}

/// A plain booking request: `quantity` seats of `event`, no idempotency key.
pub fn booking(event: EventId, quantity: i64) -> BookingRequest {
    BookingRequest::seats(event, quantity)
}

pub fn new_event(capacity: i64, price_minor: i64, per_user_limit: i64) -> NewEvent {
    let starts_at = START.plus(Duration::from_secs(7 * 24 * 3600));
    NewEvent {
        attendee_names: Default::default(),
        title: "RustConf".into(),
        description: "Talks and hallway track".into(),
        location: "Montreal".into(),
        starts_at: starts_at.into(),
        ends_at: starts_at.plus(Duration::from_secs(8 * 3600)).into(),
        time_zone: None,
        capacity,
        price_minor,
        currency: "EUR".into(),
        image_url: None,
        per_user_limit: Some(per_user_limit),
        ticket_types: None,
    }
}

pub fn assert_intact(prasang: &Prasang) {
    let report = prasang
        .verify_integrity(&prasang.auth().system_actor())
        .expect("integrity check runs");
    assert!(report.is_ok(), "integrity problems: {:#?}", report.problems);
}
