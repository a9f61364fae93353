//! Fixtures shared by the integration tests.
#![allow(dead_code)]

pub mod crash;

use std::time::Duration;

use prasang_core::auth::Actor;
use prasang_core::events::{Event, NewEvent};
use prasang_core::users::{Gender, NewUser, Role};
use prasang_core::{Config, ManualClock, Prasang, Timestamp};

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

    pub fn user(&self, name: &str, role: Role) -> Actor {
        let user = self
            .prasang
            .users()
            .register(new_user(name, role))
            .expect("register");
        Actor {
            user_id: user.id,
            role,
        }
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
}

pub fn new_user(name: &str, role: Role) -> NewUser {
    NewUser {
        name: name.to_owned(),
        email: format!("{}@example.org", name.to_lowercase().replace(' ', ".")),
        password: format!("{name} has a long password"),
        gender: Gender::Undisclosed,
        age: 30,
        role,
    }
}

pub fn new_event(capacity: i64, price_minor: i64, per_user_limit: i64) -> NewEvent {
    let starts_at = START.plus(Duration::from_secs(7 * 24 * 3600));
    NewEvent {
        title: "RustConf".into(),
        description: "Talks and hallway track".into(),
        location: "Montreal".into(),
        starts_at,
        ends_at: starts_at.plus(Duration::from_secs(8 * 3600)),
        capacity,
        price_minor,
        currency: "EUR".into(),
        image_url: None,
        per_user_limit: Some(per_user_limit),
    }
}

pub fn assert_intact(prasang: &Prasang) {
    let report = prasang.verify_integrity().expect("integrity check runs");
    assert!(report.is_ok(), "integrity problems: {:#?}", report.problems);
}
