//! Quickstart: embed Prasang in your own program.
//!
//! ```text
//! cargo run -p prasang-core --example quickstart
//! ```

use std::time::Duration;

use prasang_core::events::NewEvent;
use prasang_core::tickets::BookingRequest;
use prasang_core::users::{Gender, NewUser, Role};
use prasang_core::{Config, DomainError, ErrorKind, Prasang};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // 1. Open a store. `Config::new("./my-data")` keeps it; `temporary()` throws it away.
    let prasang = Prasang::open(Config::temporary())?;

    // 2. Register an organizer and an attendee, and log the attendee in.
    let person = |name: &str, role| NewUser {
        name: name.into(),
        email: format!("{}@example.org", name.to_lowercase()),
        password: "a long enough password".into(),
        gender: Gender::Undisclosed,
        age: 30,
        role,
    };
    prasang.users().register(person("Olga", Role::Organizer))?;
    prasang.users().register(person("Ada", Role::Attendee))?;
    let olga = prasang.auth().verify(
        &prasang
            .auth()
            .login("olga@example.org", "a long enough password")?
            .access_token,
    )?;
    let session = prasang
        .auth()
        .login("ada@example.org", "a long enough password")?;
    // Every rights-checked call takes an Actor; a server gets it from the bearer token.
    let ada = prasang.auth().verify(&session.access_token)?;

    // 3. The organizer puts an event on sale.
    let starts_at = prasang.now().plus(Duration::from_secs(7 * 86_400));
    let event = prasang.events().create(
        &olga,
        NewEvent {
            attendee_names: Default::default(),
            title: "Rust meetup".into(),
            description: "Lightning talks".into(),
            location: "Pune".into(),
            starts_at: starts_at.into(),
            ends_at: starts_at.plus(Duration::from_secs(3 * 3600)).into(),
            time_zone: None,
            capacity: 30,
            price_minor: 0,
            currency: "INR".into(),
            image_url: None,
            per_user_limit: Some(2),
            ticket_types: None,
        },
    )?;

    // 4. Book two seats. The idempotency key makes a retried request return the same ticket.
    let request = BookingRequest {
        pass: None,
        attendee_names: Default::default(),
        event: event.id,
        quantity: 2,
        idempotency_key: Some("checkout-1".into()),
        lines: Vec::new(),
        promo_code: None,
    };
    let booked = prasang.tickets().book(&ada, &request)?;
    println!(
        "booked {} ({:?}), {} seats left",
        booked.ticket.id,
        booked.ticket.status,
        prasang.events().peek(event.id)?.seats.remaining
    );

    // 5. Cancel it: the seats go back on sale exactly once.
    let cancelled = prasang.tickets().cancel(&ada, booked.ticket.id)?;
    println!("cancelled {} ({:?})", cancelled.id, cancelled.status);

    // 6. Every change is in the event log, which consumers read from a cursor. Reading it, like
    //    checking the store's integrity, is for admins: the embedding application itself acts
    //    as one through the system actor.
    let system = prasang.auth().system_actor();
    for entry in prasang.log().read(&system, 0, 100)? {
        println!("#{:<3} {}  {:?}", entry.seq, entry.at, entry.event);
    }
    assert!(prasang.verify_integrity(&system)?.is_ok());

    // 7. Every refusal has a kind, the one thing a front end needs to answer it.
    let refused = prasang.verify_integrity(&ada).unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::Forbidden);
    println!("an attendee checking integrity: {refused}");
    Ok(())
}
