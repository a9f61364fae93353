//! Demo data: organizers, attendees of varied gender and age, past and upcoming events in
//! several currencies, page views, bookings, payments, cancellations and lapsed holds, on the
//! past events ratings, comments and the organizers' replies, a sold-out event whose waiting
//! list turned a cancellation into an accepted offer, and an event that asks for a name on every
//! seat, booked by a guest (no account, no password). The first organizer lets a venue page on
//! [`EMBED_ORIGIN`] frame her booking widgets.
//!
//! Everything goes through the public core API. The core refuses events that start in the past,
//! so the loader opens the store with a [`ManualClock`] set 90 days back and lets time run forward
//! through the story: events created then are "past" now, with the bookings, payments and
//! cancellations they collected on the way. The store is then closed and the server reopens it
//! with the system clock. The notification dispatcher's cursor is moved past the story, so the
//! demo's own bookings send no e-mail; bookings made on the running server do.

use std::collections::BTreeMap;
use std::time::Duration;

use prasang_core::auth::Actor;
use prasang_core::checkin::CheckInRequest;
use prasang_core::events::{AttendeeNames, NewEvent, NewTicketType, TicketTypeId};
use prasang_core::feedback::{FeedbackError, FeedbackInput, ReplyInput};
use prasang_core::guests::GuestCheckout;
use prasang_core::promo::{Discount, NewPromoCode};
use prasang_core::tickets::{BookingLine, BookingRequest, TicketError, TicketStatus};
use prasang_core::users::{Gender, NewUser, Role};
use prasang_core::waiting_room::{AdmissionRate, RoomSettings};
use prasang_core::waitlist::{JoinRequest, WaitlistSettings};
use prasang_core::zone::{LocalDateTime, Zone};
use prasang_core::{
    Clock, Config, EventId, ManualClock, PageRequest, Prasang, SystemClock, TicketId, Timestamp,
    UserId,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Errors while loading (any core error, as text).
pub type DemoError = Box<dyn std::error::Error + Send + Sync>;

/// Password of every demo organizer.
pub const ORGANIZER_PASSWORD: &str = "demo-organizer";
/// Password of every demo attendee.
pub const ATTENDEE_PASSWORD: &str = "demo-attendee";
/// The demo admin.
pub const ADMIN: (&str, &str) = ("admin@demo.prasang.org", "demo-admin-password");
/// The door staff of every demo event: scans tickets at `/events/{id}/door`.
pub const DOOR_STAFF: (&str, &str, &str) = ("Noor Haddad", "door@demo.prasang.org", "demo-door");
/// The gates the demo's past events admitted their audience through.
const GATES: [&str; 2] = ["Main door", "Side door"];
/// Doors open this long before an event starts.
const DOORS_OPEN: i64 = 45 * 60_000;

const DAY: i64 = 86_400_000;
const HOUR: i64 = 3_600_000;

const ORGANIZERS: &[(&str, &str, Gender, i64)] = &[
    ("Meera Iyer", "meera@demo.prasang.org", Gender::Female, 41),
    ("Tomás Ortega", "tomas@demo.prasang.org", Gender::Male, 35),
    (
        "Kai Nakamura",
        "kai@demo.prasang.org",
        Gender::NonBinary,
        29,
    ),
];

const ATTENDEES: &[(&str, Gender, i64)] = &[
    ("Aisha Bello", Gender::Female, 23),
    ("Bruno Costa", Gender::Male, 31),
    ("Chen Wei", Gender::Male, 44),
    ("Dana Kowalski", Gender::Female, 52),
    ("Eli Rosen", Gender::NonBinary, 19),
    ("Fatima Zahra", Gender::Female, 27),
    ("Gustav Lind", Gender::Male, 63),
    ("Hana Sato", Gender::Female, 36),
    ("Ivan Petrov", Gender::Male, 48),
    ("Jo Mensah", Gender::Undisclosed, 33),
    ("Kavya Rao", Gender::Female, 21),
    ("Luca Bianchi", Gender::Male, 26),
    ("Maya Cohen", Gender::Female, 58),
    ("Nils Berg", Gender::Male, 17),
    ("Olu Adeyemi", Gender::Male, 39),
    ("Priya Shah", Gender::Female, 45),
    ("Quinn Murphy", Gender::NonBinary, 24),
    ("Rosa Díaz", Gender::Female, 67),
    ("Sami Haddad", Gender::Male, 29),
    ("Tara Singh", Gender::Female, 34),
    ("Umar Farooq", Gender::Male, 55),
    ("Vera Novak", Gender::Female, 42),
    ("Wen Li", Gender::Undisclosed, 30),
    ("Yusuf Kaya", Gender::Male, 71),
];

struct DemoEvent {
    organizer: usize,
    title: &'static str,
    location: &'static str,
    description: &'static str,
    /// Start, in days from the real "now" (negative: already happened), at `local_start` on the
    /// venue's clock.
    starts_in_days: i64,
    /// Local start time (hour, minute) in `time_zone`.
    local_start: (u8, u8),
    /// The venue's IANA time zone.
    time_zone: &'static str,
    hours: i64,
    capacity: i64,
    price_minor: i64,
    /// ISO 4217 code of the price.
    currency: &'static str,
    per_user_limit: i64,
    /// Share of attendees who try to book.
    popularity: f64,
}

const EVENTS: &[DemoEvent] = &[
    DemoEvent {
        organizer: 0,
        title: "Rust Meetup: Async in Practice",
        location: "Bengaluru, Koramangala Hub",
        description: "Talks on tokio, cancellation and back-pressure, then pizza.",
        starts_in_days: -60,
        local_start: (18, 30),
        time_zone: "Asia/Kolkata",
        hours: 3,
        capacity: 40,
        price_minor: 0,
        currency: "INR",
        per_user_limit: 1,
        popularity: 0.8,
    },
    DemoEvent {
        organizer: 1,
        title: "Flamenco Night",
        location: "Sevilla, Teatro Central",
        description: "Live guitar, cante and baile.",
        starts_in_days: -30,
        local_start: (21, 0),
        time_zone: "Europe/Madrid",
        hours: 2,
        capacity: 12,
        price_minor: 2500,
        currency: "EUR",
        per_user_limit: 2,
        popularity: 0.6,
    },
    DemoEvent {
        organizer: 2,
        title: "Data Viz Workshop",
        location: "Online (Berlin time)",
        description: "Hands-on charts with Arrow, polars and SVG.",
        starts_in_days: -7,
        local_start: (10, 0),
        time_zone: "Europe/Berlin",
        hours: 4,
        capacity: 25,
        price_minor: 1500,
        currency: "EUR",
        per_user_limit: 1,
        popularity: 0.5,
    },
    DemoEvent {
        organizer: 0,
        title: "Community Hackathon",
        location: "Bengaluru, Indiranagar Lab",
        description: "24 hours, open source, good food.",
        starts_in_days: 3,
        local_start: (9, 0),
        time_zone: "Asia/Kolkata",
        hours: 24,
        capacity: 60,
        price_minor: 0,
        currency: "INR",
        per_user_limit: 1,
        popularity: 0.7,
    },
    DemoEvent {
        organizer: 1,
        title: "Jazz on the Roof",
        location: "Lisbon, Rooftop 9",
        description: "A quartet and the sunset.",
        starts_in_days: 10,
        local_start: (19, 30),
        time_zone: "Europe/Lisbon",
        hours: 3,
        capacity: 8,
        price_minor: 3000,
        currency: "EUR",
        per_user_limit: 2,
        popularity: 0.6,
    },
    DemoEvent {
        organizer: 2,
        title: "Intro to Pottery",
        location: "Kyoto, Studio Tsuchi",
        description: "Wheel throwing for beginners; clay included.",
        starts_in_days: 21,
        local_start: (10, 0),
        time_zone: "Asia/Tokyo",
        hours: 2,
        capacity: 10,
        price_minor: 4000,
        currency: "EUR",
        per_user_limit: 1,
        popularity: 0.4,
    },
    DemoEvent {
        organizer: 0,
        title: "Systems Conference 2027",
        location: "Pune, Convention Centre",
        description: "Storage engines, schedulers and the people who build them.",
        starts_in_days: 45,
        local_start: (9, 0),
        time_zone: "Asia/Kolkata",
        hours: 9,
        capacity: 300,
        price_minor: 499_900,
        currency: "INR",
        per_user_limit: 4,
        popularity: 0.5,
    },
    DemoEvent {
        organizer: 1,
        title: "Charity 10k Run",
        location: "Madrid, Retiro Park",
        description: "Every seat funds the local food bank.",
        starts_in_days: 60,
        local_start: (8, 30),
        time_zone: "Europe/Madrid",
        hours: 4,
        capacity: 200,
        price_minor: 0,
        currency: "EUR",
        per_user_limit: 2,
        popularity: 0.3,
    },
    DemoEvent {
        organizer: 1,
        title: "Samba Percussion Workshop",
        location: "São Paulo, Vila Madalena",
        description: "Surdo, tamborim and agogô for beginners; instruments provided.",
        starts_in_days: 17,
        local_start: (10, 0),
        time_zone: "America/Sao_Paulo",
        hours: 3,
        capacity: 20,
        price_minor: 1800,
        currency: "BRL",
        per_user_limit: 2,
        popularity: 0.4,
    },
    DemoEvent {
        organizer: 2,
        title: "Brooklyn Chamber Concert",
        location: "New York, Brooklyn Music Hall",
        description: "Schubert and Shostakovich by a string quartet.",
        starts_in_days: 28,
        local_start: (19, 30),
        time_zone: "America/New_York",
        hours: 2,
        capacity: 80,
        price_minor: 3500,
        currency: "USD",
        per_user_limit: 6,
        popularity: 0.8,
    },
    DemoEvent {
        organizer: 1,
        title: "Stand-up Comedy Night",
        location: "Madrid, Sala Chica",
        description: "Four comics, six seats, no mercy.",
        starts_in_days: 12,
        local_start: (21, 0),
        time_zone: "Europe/Madrid",
        hours: 2,
        capacity: 6,
        price_minor: 0,
        currency: "EUR",
        per_user_limit: 2,
        // Nobody books it at random: its story is [`LIST_STORY`].
        popularity: 0.0,
    },
    DemoEvent {
        organizer: 0,
        title: "Kathak Evening",
        location: "Pune, Nritya Hall",
        description: "Classical dance with live tabla; every seat is named at the door.",
        starts_in_days: 9,
        local_start: (19, 0),
        time_zone: "Asia/Kolkata",
        hours: 2,
        capacity: 50,
        price_minor: 0,
        currency: "INR",
        per_user_limit: 4,
        // Named seats only: its bookings are [`NAMED_EVENT`]'s guest and the visitors of the
        // running server.
        popularity: 0.0,
    },
    DemoEvent {
        organizer: 2,
        title: "Open-Air Cinema (postponed)",
        location: "Osaka, Riverside",
        description: "Called off for the rainy season.",
        starts_in_days: 14,
        local_start: (19, 0),
        time_zone: "Asia/Tokyo",
        hours: 3,
        capacity: 50,
        price_minor: 0,
        currency: "EUR",
        per_user_limit: 2,
        popularity: 0.3,
    },
];

/// The event that sells several ticket types and takes promo codes: the chamber concert.
const TYPED_EVENT: usize = 9;

/// The event whose sale has a waiting room, on since the demo was loaded: the charity run, whose
/// visitors join, are admitted within seconds ([`ROOM_PER_MINUTE`]) and book with their pass.
const ROOM_EVENT: usize = 7;
/// How many the demo's waiting room admits a minute.
const ROOM_PER_MINUTE: u32 = 30;

/// The event that asks for a name on every seat (required): the kathak evening, booked by a
/// guest ([`GUEST`]) for the seats of [`GUEST_SEATS`].
const NAMED_EVENT: usize = 11;
/// The guest who bought named seats without an account: name and e-mail address.
const GUEST: (&str, &str) = ("Ravi Menon", "ravi.guest@demo.prasang.org");
/// The names on the guest's seats.
const GUEST_SEATS: [&str; 2] = ["Ravi Menon", "Anjali Menon"];
/// The origin of a venue page allowed to frame the first organizer's booking widgets (a page
/// served with `python3 -m http.server` in a folder holding the snippet shows it).
pub const EMBED_ORIGIN: &str = "http://localhost:8000";

/// A ticket type of [`TYPED_EVENT`]; numbered 1, 2, ... in this order.
struct DemoType {
    name: &'static str,
    price_minor: i64,
    quota: Option<i64>,
    /// Its sale closes this many days from the real "now" (negative: already closed).
    closes_in_days: Option<i64>,
    hidden: bool,
}

const TYPES: &[DemoType] = &[
    DemoType {
        name: "Early bird",
        price_minor: 2500,
        quota: Some(30),
        closes_in_days: Some(-20),
        hidden: false,
    },
    DemoType {
        name: "Regular",
        price_minor: 3500,
        quota: None,
        closes_in_days: None,
        hidden: false,
    },
    DemoType {
        name: "Student",
        price_minor: 1500,
        quota: Some(12),
        closes_in_days: None,
        hidden: false,
    },
    DemoType {
        name: "Child",
        price_minor: 500,
        quota: None,
        closes_in_days: None,
        hidden: false,
    },
    DemoType {
        name: "VIP",
        price_minor: 9000,
        quota: Some(6),
        closes_in_days: None,
        hidden: true,
    },
];
const EARLY_BIRD: TicketTypeId = 1;
const REGULAR: TicketTypeId = 2;
const STUDENT: TicketTypeId = 3;
const CHILD: TicketTypeId = 4;
const VIP: TicketTypeId = 5;

/// [`TYPED_EVENT`]'s codes: 10% off for friends of the quartet, and the VIP guest list (which
/// reveals the hidden VIP type and takes nothing off).
const FRIENDS: &str = "FRIENDS10";
const VIP_GUEST: &str = "VIP-GUEST";

fn demo_types(now: Timestamp) -> Vec<NewTicketType> {
    TYPES
        .iter()
        .map(|t| NewTicketType {
            name: t.name.into(),
            price_minor: t.price_minor,
            quota: t.quota,
            sales_close_at: t
                .closes_in_days
                .map(|days| Timestamp::from_millis(now.as_millis() + days * DAY).into()),
            hidden: t.hidden,
            ..NewTicketType::default()
        })
        .collect()
}

fn demo_codes() -> [NewPromoCode; 2] {
    let code = |code: &str, discount, reveals, max_uses| NewPromoCode {
        reveals,
        max_uses: Some(max_uses),
        ..NewPromoCode::new(code, discount)
    };
    [
        code(FRIENDS, Discount::Percent(10), Vec::new(), 40),
        code(VIP_GUEST, Discount::None, vec![VIP], 6),
    ]
}

/// What the `n`th buyer of [`TYPED_EVENT`] orders at `time`: early-bird seats while they sell,
/// then in turn Regular seats with a Child seat (with the friends' code), a VIP seat through
/// the guest list, a Student seat, Regular seats, and so on; some others use the friends' code
/// too. The turn, not chance, picks the kind, so every type and code has orders whatever day
/// the demo is loaded on.
fn typed_order(
    rng: &mut StdRng,
    n: usize,
    time: i64,
    early_bird_closes: i64,
    quantity: i64,
) -> (Vec<BookingLine>, Option<String>) {
    let line = |ticket_type, quantity| BookingLine {
        ticket_type,
        quantity,
    };
    let friends = (n.is_multiple_of(4) || rng.gen_bool(0.2)).then(|| FRIENDS.to_owned());
    if time < early_bird_closes {
        return (vec![line(EARLY_BIRD, quantity)], friends);
    }
    match n % 4 {
        0 => (vec![line(REGULAR, quantity), line(CHILD, 1)], friends),
        1 => (vec![line(VIP, 1)], Some(VIP_GUEST.to_owned())),
        2 => (vec![line(STUDENT, 1)], friends),
        _ => (vec![line(REGULAR, quantity)], friends),
    }
}

/// The sold-out event with a waiting list: the comedy night.
const SOLD_OUT_EVENT: usize = 10;

/// A step of [`SOLD_OUT_EVENT`]'s story; attendees by their index in [`ATTENDEES`].
#[derive(Clone, Copy)]
enum ListStep {
    /// Books two seats.
    Book(usize),
    /// The organizer opens the waiting list (offers stand 24 hours).
    Open,
    /// Joins the waiting list for this many seats.
    Join(usize, i64),
    /// Cancels their booking: its seats are offered to the head of the list.
    Cancel(usize),
    /// Accepts the offer on their entry.
    Accept(usize),
}

/// [`SOLD_OUT_EVENT`]'s story, in hours before now: three people take its six seats, four join
/// its list, a cancellation offers two seats to Aisha (the head of the list), who accepts; one
/// more joins later. Three attendees shown at the end of loading are in it (Aisha was served,
/// Bruno waits).
const LIST_STORY: [(i64, ListStep); 11] = [
    (80, ListStep::Book(20)),
    (79, ListStep::Book(21)),
    (78, ListStep::Book(22)),
    (77, ListStep::Open),
    (76, ListStep::Join(0, 2)),
    (70, ListStep::Join(1, 1)),
    (60, ListStep::Join(2, 2)),
    (52, ListStep::Join(3, 1)),
    (40, ListStep::Cancel(21)),
    (37, ListStep::Accept(0)),
    (20, ListStep::Join(23, 2)),
];

/// The waiting list story's bookings and entries, by attendee, as it goes.
#[derive(Default)]
struct ListState {
    tickets: BTreeMap<usize, TicketId>,
    entries: BTreeMap<usize, u64>,
}

/// Plays one step of [`LIST_STORY`] on `event`.
fn list_step(
    prasang: &Prasang,
    state: &mut ListState,
    organizer: &Actor,
    attendees: &[UserId],
    event: EventId,
    step: ListStep,
) -> Result<(), DemoError> {
    let who = |attendee: usize| -> Result<Actor, DemoError> {
        let user = attendees.get(attendee).ok_or("a demo attendee")?;
        Ok(prasang.auth().trusted_actor(*user)?)
    };
    match step {
        ListStep::Book(attendee) => {
            let request = BookingRequest::seats(event, 2);
            let outcome = prasang.tickets().book(&who(attendee)?, &request)?;
            state.tickets.insert(attendee, outcome.ticket.id);
        }
        ListStep::Open => {
            let settings = WaitlistSettings {
                enabled: true,
                ..WaitlistSettings::default()
            };
            prasang.waitlist().configure(organizer, event, settings)?;
        }
        ListStep::Join(attendee, seats) => {
            let request = JoinRequest {
                ticket_type: None,
                seats,
            };
            let entry = prasang.waitlist().join(&who(attendee)?, event, &request)?;
            state.entries.insert(attendee, entry.entry);
        }
        ListStep::Cancel(attendee) => {
            let ticket = *state
                .tickets
                .get(&attendee)
                .ok_or("cancels a booking made before")?;
            prasang.tickets().cancel(&who(attendee)?, ticket)?;
        }
        ListStep::Accept(attendee) => {
            let entry = *state
                .entries
                .get(&attendee)
                .ok_or("accepts an entry made before")?;
            prasang.waitlist().accept(&who(attendee)?, event, entry)?;
        }
    }
    Ok(())
}

/// What happens when, in story order.
enum Step {
    Book {
        attendee: usize,
        event: usize,
        quantity: i64,
    },
    Confirm {
        ticket: TicketId,
        event: usize,
    },
    Cancel {
        ticket: TicketId,
        user: UserId,
    },
    CancelEvent {
        event: usize,
    },
    /// A holder rates a past event (if they still hold a booked ticket).
    Rate {
        attendee: usize,
        event: usize,
    },
    /// The organizer answers a rating.
    Reply {
        attendee: usize,
        event: usize,
    },
    /// The doors of a past event open: most holders of a booked ticket will arrive.
    OpenDoors {
        event: usize,
    },
    /// A seat is scanned at a gate.
    Admit {
        event: usize,
        code: String,
        gate: &'static str,
    },
    /// A step of the sold-out event's waiting list story.
    List(ListStep),
    /// [`GUEST`] books the named seats of [`NAMED_EVENT`] without an account.
    GuestBooking,
}

/// Comments by rating (1 to 5), so the words match the stars.
const COMMENTS: [&[&str]; 5] = [
    &["Disappointing: started late and the sound was poor."],
    &["Too crowded to enjoy.", "The venue was hard to find."],
    &[
        "Fine, if a little long.",
        "Good content, chaotic organisation.",
    ],
    &["Really enjoyed it.", "Great people; would come again."],
    &[
        "Wonderful evening, thank you!",
        "The best event I went to this year.",
    ],
];

/// How a demo attendee rates an event: a little lower when young, higher when older, so the
/// ratings-by-age chart has a shape.
fn demo_rating(rng: &mut StdRng, age: i64) -> i64 {
    let lean = match age {
        ..=24 => -0.8,
        25..=44 => 0.0,
        45..=64 => 0.5,
        _ => 0.9,
    };
    let rating: f64 = 3.6 + lean + rng.gen_range(-1.2..1.2);
    (rating.round() as i64).clamp(1, 5)
}

/// Page views of an event by people who only look: a few hundred for a popular one. Views are
/// counted in memory and written to the log in one entry per maintenance run, so this is cheap.
/// The admission codes of every seat of `event`'s booked tickets.
fn booked_seat_codes(
    prasang: &Prasang,
    organizer: &Actor,
    event: EventId,
) -> Result<Vec<String>, DemoError> {
    let mut codes = Vec::new();
    let mut page = PageRequest::first(100);
    loop {
        let tickets = prasang.tickets().list_for_event(organizer, event, &page)?;
        for ticket in tickets.items {
            if ticket.status == TicketStatus::Booked {
                let seats = prasang.admissions().codes(organizer, ticket.id)?;
                codes.extend(seats.into_iter().map(|seat| seat.code));
            }
        }
        match tickets.next {
            Some(next) => page.after = Some(next),
            None => return Ok(codes),
        }
    }
}

fn browse(
    prasang: &Prasang,
    rng: &mut StdRng,
    event: EventId,
    popularity: f64,
) -> Result<(), DemoError> {
    let views = (rng.gen_range(150.0..400.0) * popularity) as usize;
    for _ in 0..views {
        prasang.events().get(event)?;
    }
    Ok(())
}

fn email_of(name: &str) -> String {
    let first = name.split_whitespace().next().unwrap_or("guest");
    let ascii: String = first
        .chars()
        .filter(char::is_ascii_alphabetic)
        .collect::<String>()
        .to_lowercase();
    format!("{ascii}@demo.prasang.org")
}

/// Loads the demo story into the store `config` describes, unless it already holds data.
/// Returns the text listing the demo accounts, or `None` when the store was not empty.
pub fn load_if_empty(config: Config) -> Result<Option<String>, DemoError> {
    let now = SystemClock.now();
    let clock = ManualClock::new(now.minus(Duration::from_secs(90 * 86_400)));
    let prasang = Prasang::open(config.clock(clock.clone()).background_tasks(false))?;
    if prasang.log().end()? > 0 {
        return Ok(None);
    }
    let at = |millis: i64| Timestamp::from_millis(millis);
    let start = clock.now().as_millis();
    let mut rng = StdRng::seed_from_u64(2026);

    prasang.users().create_admin(NewUser {
        name: "Demo Admin".into(),
        email: ADMIN.0.into(),
        password: ADMIN.1.into(),
        gender: Gender::Undisclosed,
        age: 40,
        role: Role::Admin,
    })?;
    let mut organizers = Vec::new();
    for (name, email, gender, age) in ORGANIZERS {
        let user = prasang.users().register(NewUser {
            name: (*name).into(),
            email: (*email).into(),
            password: ORGANIZER_PASSWORD.into(),
            gender: *gender,
            age: *age,
            role: Role::Organizer,
        })?;
        organizers.push(user.id);
    }
    let mut attendees = Vec::new();
    for (i, (name, gender, age)) in ATTENDEES.iter().enumerate() {
        clock.set(at(start + i as i64 * HOUR));
        let user = prasang.users().register(NewUser {
            name: (*name).into(),
            email: email_of(name),
            password: ATTENDEE_PASSWORD.into(),
            gender: *gender,
            age: *age,
            role: Role::Attendee,
        })?;
        attendees.push(user.id);
    }
    let door_staff = prasang.users().register(NewUser {
        name: DOOR_STAFF.0.into(),
        email: DOOR_STAFF.1.into(),
        password: DOOR_STAFF.2.into(),
        gender: Gender::Undisclosed,
        age: 30,
        role: Role::Attendee,
    })?;
    let door_staff = prasang.auth().trusted_actor(door_staff.id)?;

    // Events are announced on day 1 of the story.
    clock.set(at(start + DAY));
    let mut events: Vec<EventId> = Vec::new();
    // When each event really starts (its local hour on its day), for the booking story.
    let mut starts: Vec<i64> = Vec::new();
    for (e, event) in EVENTS.iter().enumerate() {
        let typed = e == TYPED_EVENT;
        let actor = prasang.auth().trusted_actor(organizers[event.organizer])?;
        let zone = Zone::new(event.time_zone)?;
        let day = zone.local(at(now.as_millis() + event.starts_in_days * DAY));
        let (hour, minute) = event.local_start;
        let local = format!(
            "{:04}-{:02}-{:02}T{hour:02}:{minute:02}",
            day.year, day.month, day.day
        );
        let local = LocalDateTime::parse(&local).ok_or("a demo start is a local date-time")?;
        let starts_at = zone.instant_of(local, "starts_at")?;
        starts.push(starts_at.as_millis());
        let created = prasang.events().create(
            &actor,
            NewEvent {
                attendee_names: if e == NAMED_EVENT {
                    AttendeeNames::Required
                } else {
                    AttendeeNames::NotAsked
                },
                title: event.title.into(),
                description: event.description.into(),
                location: event.location.into(),
                starts_at: starts_at.into(),
                // Durations are real hours, whatever the clocks do meanwhile.
                ends_at: starts_at
                    .plus(Duration::from_secs(event.hours.unsigned_abs() * 3600))
                    .into(),
                time_zone: Some(event.time_zone.into()),
                capacity: event.capacity,
                price_minor: if typed { 0 } else { event.price_minor },
                currency: event.currency.into(),
                image_url: None,
                per_user_limit: Some(event.per_user_limit),
                ticket_types: typed.then(|| demo_types(now)),
            },
        )?;
        if typed {
            for code in demo_codes() {
                prasang.promo_codes().create(&actor, created.id, code)?;
            }
        }
        prasang
            .check_ins()
            .add_staff(&actor, created.id, door_staff.user_id())?;
        events.push(created.id);
    }

    // Bookings happen between the announcement and the start (or now, for upcoming events).
    let mut steps: BTreeMap<(i64, usize), Step> = BTreeMap::new();
    let mut order = 0;
    let mut schedule = |steps: &mut BTreeMap<(i64, usize), Step>, time: i64, step: Step| {
        order += 1;
        steps.insert((time, order), step);
    };
    for (e, event) in EVENTS.iter().enumerate() {
        let last = starts[e].min(now.as_millis()) - HOUR;
        // The concert's buyers come back for a second order (a Child seat, a friend's).
        let orders = if e == TYPED_EVENT { 2 } else { 1 };
        for a in (0..attendees.len()).flat_map(|a| std::iter::repeat_n(a, orders)) {
            if rng.gen_bool(event.popularity) {
                let time = rng.gen_range(start + DAY + HOUR..last);
                let quantity = rng.gen_range(1..=event.per_user_limit.min(2));
                schedule(
                    &mut steps,
                    time,
                    Step::Book {
                        attendee: a,
                        event: e,
                        quantity,
                    },
                );
            }
        }
    }
    for (e, event) in EVENTS.iter().enumerate() {
        let ends = starts[e] + event.hours * HOUR;
        if ends >= now.as_millis() - 2 * HOUR {
            continue;
        }
        for attendee in 0..attendees.len() {
            if rng.gen_bool(0.8) {
                let time = (ends + rng.gen_range(1..72) * HOUR).min(now.as_millis() - 2 * HOUR);
                schedule(&mut steps, time, Step::Rate { attendee, event: e });
            }
        }
    }
    for (e, start) in starts.iter().enumerate() {
        if *start < now.as_millis() - HOUR {
            schedule(&mut steps, start - DOORS_OPEN, Step::OpenDoors { event: e });
        }
    }
    for (hours_before, step) in LIST_STORY {
        schedule(
            &mut steps,
            now.as_millis() - hours_before * HOUR,
            Step::List(step),
        );
    }
    schedule(&mut steps, now.as_millis() - 5 * HOUR, Step::GuestBooking);
    let postponed = EVENTS.len() - 1;
    schedule(
        &mut steps,
        now.as_millis() - 2 * DAY,
        Step::CancelEvent { event: postponed },
    );

    let (mut booked, mut sold_out, mut rated, mut admitted) = (0, 0, 0, 0);
    let mut list = ListState::default();
    // Orders of the typed event after its early-bird sale closed, in story order.
    let mut late_orders = 0;
    while let Some(((time, _), step)) = steps.pop_first() {
        clock.set(at(time));
        match step {
            Step::Book {
                attendee,
                event,
                quantity,
            } => {
                let actor = prasang.auth().trusted_actor(attendees[attendee])?;
                // People look at the page (once or a few times) before they book.
                for _ in 0..rng.gen_range(1..=3) {
                    prasang.events().get(events[event])?;
                }
                let early_bird_closes = now.as_millis() - 20 * DAY;
                // The first round of the typed event's late orders is always paid, so each of
                // its types and codes shows in the reports.
                let mut always_paid = false;
                let (lines, promo_code) = if event == TYPED_EVENT {
                    let late = time >= early_bird_closes;
                    let n = if late { late_orders } else { 0 };
                    always_paid = late && n < 4;
                    late_orders += usize::from(late);
                    typed_order(&mut rng, n, time, early_bird_closes, quantity)
                } else {
                    (Vec::new(), None)
                };
                let request = BookingRequest {
                    attendee_names: Default::default(),
                    pass: None,
                    event: events[event],
                    quantity: if lines.is_empty() { quantity } else { 0 },
                    idempotency_key: None,
                    lines,
                    promo_code,
                };
                match prasang.tickets().book(&actor, &request) {
                    Ok(outcome) => {
                        booked += 1;
                        let ticket = outcome.ticket;
                        let roll: f64 = rng.r#gen();
                        let later = time + rng.gen_range(1..10) * 60_000;
                        let before_start = starts[event];
                        if ticket.status == TicketStatus::Pending && (roll < 0.8 || always_paid) {
                            schedule(
                                &mut steps,
                                later,
                                Step::Confirm {
                                    ticket: ticket.id,
                                    event,
                                },
                            );
                        } else if roll > 0.85 {
                            let when = (later + rng.gen_range(1..5) * DAY)
                                .min(before_start - HOUR)
                                .min(now.as_millis() - HOUR);
                            if when > time {
                                schedule(
                                    &mut steps,
                                    when,
                                    Step::Cancel {
                                        ticket: ticket.id,
                                        user: ticket.user,
                                    },
                                );
                            }
                        }
                    }
                    // The event, a type's quota (in a line) or a code's uses ran out.
                    Err(
                        TicketError::SoldOut { .. }
                        | TicketError::InLine { .. }
                        | TicketError::PromoRefused { .. },
                    ) => sold_out += 1,
                    Err(TicketError::NotOnSale(_)) => {}
                    Err(error) => return Err(error.into()),
                }
            }
            Step::Confirm { ticket, event } => {
                let actor = prasang
                    .auth()
                    .trusted_actor(organizers[EVENTS[event].organizer])?;
                // A hold may have lapsed meanwhile; then it simply stays unpaid.
                let _ = prasang.run_maintenance();
                let _ = prasang.tickets().confirm_payment(&actor, ticket);
            }
            Step::Cancel { ticket, user } => {
                let actor = prasang.auth().trusted_actor(user)?;
                let _ = prasang.tickets().cancel(&actor, ticket);
            }
            Step::CancelEvent { event } => {
                let actor = prasang
                    .auth()
                    .trusted_actor(organizers[EVENTS[event].organizer])?;
                prasang.events().cancel(&actor, events[event])?;
            }
            Step::Rate { attendee, event } => {
                let actor = prasang.auth().trusted_actor(attendees[attendee])?;
                let rating = demo_rating(&mut rng, ATTENDEES[attendee].2);
                let comments = COMMENTS[rating as usize - 1];
                let comment = rng
                    .gen_bool(0.7)
                    .then(|| comments[rng.gen_range(0..comments.len())].to_owned());
                let input = FeedbackInput { rating, comment };
                match prasang.feedback().give(&actor, events[event], input) {
                    Ok(_) => {
                        rated += 1;
                        let later =
                            (time + rng.gen_range(2..30) * HOUR).min(now.as_millis() - HOUR);
                        if later > time && rng.gen_bool(0.5) {
                            schedule(&mut steps, later, Step::Reply { attendee, event });
                        }
                    }
                    // Only holders of a booked ticket rate; most who were asked hold none.
                    Err(FeedbackError::NotAHolder) => {}
                    Err(error) => return Err(error.into()),
                }
            }
            Step::OpenDoors { event } => {
                let organizer = prasang
                    .auth()
                    .trusted_actor(organizers[EVENTS[event].organizer])?;
                let codes = booked_seat_codes(&prasang, &organizer, events[event])?;
                // One seat in seven never shows up (every event has a few no-shows).
                for (seat, code) in codes.into_iter().enumerate() {
                    if seat % 7 != 3 {
                        // Arrivals peak a little before the start and trail off after it.
                        let (a, b): (f64, f64) = (rng.r#gen(), rng.r#gen());
                        let offset = ((a + b) / 2.0 * 80.0) as i64 * 60_000;
                        let gate = GATES[usize::from(rng.gen_bool(0.3))];
                        schedule(&mut steps, time + offset, Step::Admit { event, code, gate });
                    }
                }
            }
            Step::Admit { event, code, gate } => {
                admitted += 1;
                let request = CheckInRequest {
                    event: events[event],
                    code: &code,
                    gate: gate.into(),
                    scan_id: format!("demo-{admitted}"),
                };
                prasang.check_ins().check_in(&door_staff, request)?;
            }
            Step::List(step) => {
                let organizer = prasang
                    .auth()
                    .trusted_actor(organizers[EVENTS[SOLD_OUT_EVENT].organizer])?;
                let event = events[SOLD_OUT_EVENT];
                list_step(&prasang, &mut list, &organizer, &attendees, event, step)?;
            }
            Step::GuestBooking => {
                let checkout = GuestCheckout {
                    name: GUEST.0.into(),
                    email: GUEST.1.into(),
                    booking: BookingRequest {
                        attendee_names: GUEST_SEATS.map(String::from).to_vec(),
                        ..BookingRequest::seats(events[NAMED_EVENT], GUEST_SEATS.len() as i64)
                    },
                };
                prasang.guests().book(&checkout)?;
                booked += 1;
            }
            Step::Reply { attendee, event } => {
                let actor = prasang
                    .auth()
                    .trusted_actor(organizers[EVENTS[event].organizer])?;
                let text = format!(
                    "Thank you for coming, {}! We read every comment.",
                    ATTENDEES[attendee]
                        .0
                        .split_whitespace()
                        .next()
                        .unwrap_or("friend")
                );
                prasang.feedback().reply(
                    &actor,
                    events[event],
                    attendees[attendee],
                    ReplyInput { text },
                )?;
            }
        }
    }
    prasang.events().set_embed_origins(
        &prasang.auth().trusted_actor(organizers[0])?,
        organizers[0],
        &[EMBED_ORIGIN.to_owned()],
    )?;
    clock.set(now);
    for (e, event) in EVENTS.iter().enumerate() {
        browse(&prasang, &mut rng, events[e], event.popularity)?;
    }
    let room = RoomSettings {
        enabled: true,
        on_sale_at: now,
        admission: AdmissionRate::PerMinute(ROOM_PER_MINUTE),
        pass_minutes: 10,
    };
    let runner = prasang
        .auth()
        .trusted_actor(organizers[EVENTS[ROOM_EVENT].organizer])?;
    prasang
        .waiting_room()
        .configure(&runner, events[ROOM_EVENT], room)?;
    prasang.run_maintenance()?;
    // The story is history: nobody is e-mailed about it. Notifications start with the first
    // thing that happens on the running server.
    let end = prasang.log().end()?;
    prasang
        .log()
        .commit_cursor(prasang_core::notify::CURSOR, end)?;
    prasang.flush()?;
    drop(prasang);

    let mut text = String::from("\nDemo data loaded");
    text.push_str(&format!(
        " ({} events, {booked} bookings, {sold_out} turned away as sold out, {rated} ratings, \
         {admitted} seats checked in at the door). Demo accounts:\n",
        EVENTS.len()
    ));
    text.push_str(&format!(
        "  admin      {:<28} password: {}\n",
        ADMIN.0, ADMIN.1
    ));
    for (name, email, _, _) in ORGANIZERS {
        text.push_str(&format!(
            "  organizer  {email:<28} password: {ORGANIZER_PASSWORD}  ({name})\n"
        ));
    }
    text.push_str(&format!(
        "  door staff {:<28} password: {}  ({}, scans at every event's door page)\n",
        DOOR_STAFF.1, DOOR_STAFF.2, DOOR_STAFF.0
    ));
    text.push_str(&format!(
        "  guest      {:<28} no password: a sign-in link by e-mail at /guest/link ({})\n",
        GUEST.1, GUEST.0
    ));
    for (name, _, _) in ATTENDEES.iter().take(4) {
        text.push_str(&format!(
            "  attendee   {:<28} password: {ATTENDEE_PASSWORD}  ({name})\n",
            email_of(name)
        ));
    }
    text.push_str(&format!(
        "  … and {} more attendees <firstname>@demo.prasang.org, same password\n",
        ATTENDEES.len() - 4
    ));
    Ok(Some(text))
}

#[cfg(test)]
mod tests {
    use prasang_core::PageRequest;
    use prasang_core::analytics::{Scope, TopParams};
    use prasang_core::users::PasswordCost;

    use super::*;

    /// The id of demo event `index` of [`EVENTS`].
    fn demo_event(prasang: &Prasang, index: usize) -> EventId {
        let admin = prasang.auth().system_actor();
        let events = prasang.export().events(&admin).expect("events");
        let title = EVENTS[index].title;
        events
            .iter()
            .find(|e| e.title == title)
            .unwrap_or_else(|| panic!("{title} is in the demo"))
            .id
    }

    #[test]
    fn every_report_of_the_demo_shows_something() {
        let dir = tempfile::tempdir().expect("temporary folder");
        let config = || Config::new(dir.path()).password_cost(PasswordCost::INSECURE_FAST);
        let loaded = load_if_empty(config()).expect("demo loads");
        assert!(loaded.is_some(), "an empty store gets the demo");
        let prasang = Prasang::open(config().background_tasks(false)).expect("reopen");
        prasang.run_analytics_once().expect("fold the story");
        let admin = prasang.auth().system_actor();
        let analytics = prasang.analytics();

        let ratings = analytics
            .ratings_by_group(&admin, Scope::All)
            .expect("ratings");
        assert!(ratings.groups.len() >= 5, "{ratings:?}");
        let funnel = analytics.funnel(&admin, Scope::All).expect("funnel");
        assert!(funnel.visits > 5 * funnel.booked, "{funnel:?}");
        assert!(
            funnel.holds >= funnel.booked && funnel.booked > 20,
            "{funnel:?}"
        );
        let revenue = analytics.revenue(&admin, Scope::All).expect("revenue");
        let currencies: Vec<&str> = revenue
            .by_currency
            .iter()
            .map(|c| c.currency.as_str())
            .collect();
        assert!(currencies.len() >= 3, "{currencies:?}");
        assert!(revenue.by_currency.iter().any(|c| c.revenue_minor > 0));

        // The concert sold early-bird seats before that sale closed, then the other types, some
        // with the friends' code and VIP seats through the guest list.
        let concert = demo_event(&prasang, TYPED_EVENT);
        let by_type = analytics.by_ticket_type(&admin, concert).expect("types");
        let sold: Vec<_> = by_type
            .types
            .iter()
            .map(|t| (t.name.as_str(), t.sales.bookings))
            .collect();
        assert_eq!(sold.len(), TYPES.len(), "{sold:?}");
        assert!(sold.iter().all(|(_, bookings)| *bookings > 0), "{sold:?}");
        let by_code = analytics.by_promo_code(&admin, concert).expect("codes");
        assert!(
            by_code.codes.iter().all(|c| c.sales.bookings > 0)
                && by_code.codes.iter().any(|c| c.sales.discount_minor > 0),
            "{by_code:?}"
        );

        // Most holders of the past events came through the doors, a few did not.
        let first = demo_event(&prasang, 0);
        let counts = prasang.check_ins().counts(&admin, first).expect("counts");
        assert!(
            counts.admitted > 0 && counts.admitted < counts.expected,
            "{counts:?}"
        );

        // The comedy night sold out; a cancellation went to the head of its waiting list, who
        // took the seats, and four people still wait.
        let comedy = demo_event(&prasang, SOLD_OUT_EVENT);
        let list = analytics
            .waitlist_totals(&admin, Scope::Event(comedy))
            .expect("waiting list");
        assert_eq!(
            (
                list.joined,
                list.accepted,
                list.seats_recovered,
                list.waiting
            ),
            (5, 1, 2, 4),
            "{list:?}"
        );
        let status = prasang.waitlist().status(comedy).expect("status");
        assert_eq!((status.waiting, status.waiting_seats), (4, 6), "{status:?}");
        let hours = analytics
            .waitlist_length(&admin, comedy)
            .expect("length")
            .rows;
        assert!(hours.len() > 24, "{} hours", hours.len());

        // The kathak evening asks for names; a guest booked two named seats. The first
        // organizer's widgets may be framed by the demo venue page's origin.
        let kathak = demo_event(&prasang, NAMED_EVENT);
        let tickets = prasang
            .tickets()
            .list_for_event(&admin, kathak, &PageRequest::first(10))
            .expect("tickets")
            .items;
        let [ticket] = tickets.as_slice() else {
            panic!("one booking of the named event: {tickets:?}")
        };
        assert_eq!(ticket.attendee_names, GUEST_SEATS);
        let holder = prasang.users().get(&admin, ticket.user).expect("holder");
        assert!(holder.guest && holder.email == GUEST.1, "{holder:?}");
        let organizer = prasang.events().get(kathak).expect("event").organizer;
        assert_eq!(
            prasang.events().embed_origins(organizer).expect("origins"),
            [EMBED_ORIGIN]
        );

        // Comments and replies are there to read on the rated (past) events.
        let by_rating = TopParams {
            by: Some("rating".into()),
            min_ratings: None,
        };
        let rated = analytics
            .top_events(&admin, Scope::All, &by_rating)
            .expect("top");
        assert!(rated.events.len() >= 3, "{rated:?}");
        let page = PageRequest {
            after: None,
            limit: Some(100),
        };
        let (mut comments, mut replies) = (0, 0);
        for event in &rated.events {
            let feedback = prasang
                .feedback()
                .list_for_event(&admin, event.event, &page);
            for item in feedback.expect("feedback").items {
                comments += usize::from(item.comment.is_some());
                replies += usize::from(item.reply.is_some());
            }
        }
        // How many depends on the real clock the demo is seeded at (a few holds lapse or not),
        // so the bounds leave room: about a dozen of each is usual.
        assert!(
            comments >= 5 && replies >= 3,
            "{comments} comments, {replies} replies"
        );

        // The charity run sells through its waiting room: a visitor is sent to it, and joining
        // puts them first in line.
        let run = demo_event(&prasang, ROOM_EVENT);
        let visitor = prasang
            .auth()
            .trusted_actor(
                prasang
                    .users()
                    .register(prasang_core::users::NewUser {
                        name: "Visitor".into(),
                        email: "visitor@example.org".into(),
                        password: "a long enough password".into(),
                        gender: Gender::Undisclosed,
                        age: 30,
                        role: Role::Attendee,
                    })
                    .expect("register")
                    .id,
            )
            .expect("actor");
        let refused = prasang
            .tickets()
            .book(&visitor, &BookingRequest::seats(run, 1));
        assert!(
            matches!(refused, Err(TicketError::PassRequired { .. })),
            "{refused:?}"
        );
        let joined = prasang.waiting_room().join(&visitor, run).expect("join");
        assert!(
            matches!(
                joined.place,
                prasang_core::waiting_room::Place::Waiting { position: 1, .. }
            ),
            "{joined:?}"
        );
    }
}
