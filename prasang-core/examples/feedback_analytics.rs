//! Feedback and analytics: attendees rate an event after it starts, the organizer answers and
//! reads reports that a log consumer keeps up to date.
//!
//! ```text
//! cargo run -p prasang-core --example feedback_analytics
//! ```

use std::time::Duration;

use prasang_core::analytics::csv::to_csv;
use prasang_core::analytics::{Scope, TrendParams};
use prasang_core::events::NewEvent;
use prasang_core::feedback::{FeedbackInput, ReplyInput};
use prasang_core::tickets::BookingRequest;
use prasang_core::users::{Gender, NewUser, Role};
use prasang_core::{Clock, Config, ManualClock, Prasang, SystemClock};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // 1. A store whose clock we move by hand, so the event can start within this program.
    //    Without background tasks, `run_analytics_once` does the consumer's work here.
    let clock = ManualClock::new(SystemClock.now());
    let prasang = Prasang::open(
        Config::temporary()
            .clock(clock.clone())
            .background_tasks(false),
    )?;

    // 2. An organizer, three attendees of different ages, and an event tomorrow.
    let person = |name: &str, gender, age, role| -> Result<_, Box<dyn std::error::Error>> {
        let user = prasang.users().register(NewUser {
            name: name.into(),
            email: format!("{}@example.org", name.to_lowercase()),
            password: "a long enough password".into(),
            gender,
            age,
            role,
        })?;
        Ok(prasang.auth().trusted_actor(user.id)?)
    };
    let olga = person("Olga", Gender::Female, 41, Role::Organizer)?;
    let guests = [
        person("Ada", Gender::Female, 36, Role::Attendee)?,
        person("Bala", Gender::Male, 22, Role::Attendee)?,
        person("Chen", Gender::NonBinary, 67, Role::Attendee)?,
    ];
    // A new event reads from JSON as the server reads it: the fields left out take their
    // defaults (free, no description, the store's time zone; quickstart.rs spells them all).
    let starts_at = prasang.now().plus(Duration::from_secs(86_400));
    let meetup: NewEvent = serde_json::from_value(serde_json::json!({
        "title": "Rust meetup", "location": "Pune", "capacity": 30, "currency": "INR",
        "per_user_limit": 2, "starts_at": starts_at,
        "ends_at": starts_at.plus(Duration::from_secs(3 * 3600)),
    }))?;
    let event = prasang.events().create(&olga, meetup)?;

    // 3. Everyone looks at the event page and books a seat.
    for guest in &guests {
        prasang.events().get(event.id)?;
        let request = BookingRequest {
            pass: None,
            attendee_names: Default::default(),
            event: event.id,
            quantity: 1,
            idempotency_key: None,
            lines: Vec::new(),
            promo_code: None,
        };
        prasang.tickets().book(guest, &request)?;
    }

    // 4. The event starts; holders of a booked ticket may rate it, once each.
    clock.advance(Duration::from_secs(86_400 + 600));
    for (guest, rating) in guests.iter().zip([5, 3, 4]) {
        let input = FeedbackInput {
            rating,
            comment: Some("Thanks!".into()),
        };
        prasang.feedback().give(guest, event.id, input)?;
    }
    // The organizer answers one; the attendee is notified through their channels.
    let reply = ReplyInput {
        text: "Glad you came. Slides are online.".into(),
    };
    prasang
        .feedback()
        .reply(&olga, event.id, guests[1].user_id(), reply)?;

    // 5. Fold the log into the aggregates (page views are batched by maintenance first).
    prasang.run_maintenance()?;
    prasang.run_analytics_once()?;
    let shown = prasang.events().peek(event.id)?.rating;
    println!(
        "rating on the event: {:?} from {}",
        shown.average, shown.count
    );

    // 6. Reports cost the buckets they return; the organizer sees their own events only.
    let analytics = prasang.analytics();
    let scope = Scope::Event(event.id);
    println!("{:?}", analytics.popularity(&olga, scope)?);
    print!("{}", to_csv(&analytics.ratings_by_group(&olga, scope)?));
    let week = TrendParams {
        group_by: Some("week".into()),
        ..TrendParams::default()
    };
    print!("{}", to_csv(&analytics.trends(&olga, scope, &week)?));
    assert!(analytics.popularity(&guests[0], scope).is_err());
    Ok(())
}
