//! The domain events the log carries.
//!
//! Versioning: entries are stored with the store's format-version byte. Within a version,
//! variants and fields are only ever appended (postcard encodes variants by index), so old
//! entries keep decoding; anything else bumps the version.

use serde::{Deserialize, Serialize};

use crate::events::EventStatus;
use crate::ids::{EventId, TicketId, UserId};
use crate::messages::Segment;
use crate::tickets::{TicketLine, TicketStatus};
use crate::time::Timestamp;
use crate::users::{Gender, Role};

/// A field of an event whose change notifications care about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventField {
    /// The title.
    Title,
    /// The description.
    Description,
    /// Where it happens.
    Location,
    /// When it starts.
    StartsAt,
    /// When it ends.
    EndsAt,
    /// How many seats exist.
    Capacity,
    /// The price or currency.
    Price,
    /// The picture.
    ImageUrl,
    /// How many seats one user may hold.
    PerUserLimit,
    /// The time zone (new in the log of version 0.2 stores; appended, so older entries read
    /// the same).
    TimeZone,
    /// Whether bookings give a name per seat (appended like `TimeZone`).
    AttendeeNames,
}

/// What happened to a ticket type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TypeChange {
    /// It was added.
    Added,
    /// Its settings changed (price, quota, window, limits, visibility, closing, place).
    Updated,
    /// It was deleted (it never had tickets).
    Deleted,
}

/// Something that happened, as recorded in the log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DomainEvent {
    /// A user account was created.
    UserRegistered {
        /// The new account.
        user: UserId,
        /// Its role.
        role: Role,
        /// For demographic analytics.
        gender: Gender,
        /// For demographic analytics.
        age: u8,
    },
    /// A user changed their profile (or an admin did for them).
    UserUpdated {
        /// The account.
        user: UserId,
    },
    /// An event was created.
    EventCreated {
        /// The event.
        event: EventId,
        /// Who runs it.
        organizer: UserId,
        /// Seats on sale.
        capacity: u32,
        /// When it starts.
        starts_at: Timestamp,
    },
    /// An event's details changed.
    EventUpdated {
        /// The event.
        event: EventId,
        /// Which fields changed.
        changed: Vec<EventField>,
    },
    /// An event was cancelled; its ticket holders should hear about it.
    EventCancelled {
        /// The event.
        event: EventId,
        /// Status before cancelling.
        previous: EventStatus,
    },
    /// An event without tickets was deleted.
    EventDeleted {
        /// The event.
        event: EventId,
    },
    /// An event's page was viewed `count` times since the previous such entry.
    EventViewed {
        /// The event.
        event: EventId,
        /// Views batched into this entry.
        count: u32,
    },
    /// Seats are held for a user until `expires_at` (a paid ticket awaiting payment).
    TicketPending {
        /// The ticket.
        ticket: TicketId,
        /// Its event.
        event: EventId,
        /// Its holder.
        user: UserId,
        /// Seats.
        quantity: u32,
        /// Price of all seats, minor units.
        amount_minor: u64,
        /// When the hold lapses.
        expires_at: Timestamp,
    },
    /// Seats are booked (a free ticket, or a paid one whose payment was confirmed).
    TicketBooked {
        /// The ticket.
        ticket: TicketId,
        /// Its event.
        event: EventId,
        /// Its holder.
        user: UserId,
        /// Seats.
        quantity: u32,
        /// Price of all seats, minor units.
        amount_minor: u64,
    },
    /// A ticket was cancelled and its seats released.
    TicketCancelled {
        /// The ticket.
        ticket: TicketId,
        /// Its event.
        event: EventId,
        /// Its holder.
        user: UserId,
        /// Seats released.
        quantity: u32,
        /// Amount of the cancelled ticket (for refunds and revenue).
        amount_minor: u64,
        /// Status before cancelling.
        previous: TicketStatus,
        /// Who cancelled it.
        by: UserId,
    },
    /// A pending hold lapsed and its seats were released.
    TicketExpired {
        /// The ticket.
        ticket: TicketId,
        /// Its event.
        event: EventId,
        /// Its holder.
        user: UserId,
        /// Seats released.
        quantity: u32,
    },
    /// A ticket holder rated an event for the first time.
    FeedbackGiven {
        /// The event.
        event: EventId,
        /// Who rated it.
        user: UserId,
        /// 1–5.
        rating: u8,
    },
    /// A ticket holder changed their rating or comment.
    FeedbackEdited {
        /// The event.
        event: EventId,
        /// Whose feedback.
        user: UserId,
        /// The new rating, 1–5.
        rating: u8,
        /// The rating before.
        previous: u8,
    },
    /// A ticket holder withdrew their feedback.
    FeedbackDeleted {
        /// The event.
        event: EventId,
        /// Whose feedback.
        user: UserId,
        /// The rating withdrawn.
        previous: u8,
    },
    /// The organizer (or an admin) replied to a feedback entry, or changed the reply.
    FeedbackReplied {
        /// The event.
        event: EventId,
        /// Whose feedback was answered (the one to tell).
        user: UserId,
        /// Who replied.
        by: UserId,
    },
    /// An event has ended: its holders of booked tickets are asked for feedback (once).
    FeedbackRequested {
        /// The event.
        event: EventId,
    },
    /// The lines of a newly issued ticket: seats per ticket type at their prices, and the promo
    /// code it used. Written just before the ticket's `TicketPending` or `TicketBooked`, in the
    /// same transaction.
    TicketOrdered {
        /// The ticket.
        ticket: TicketId,
        /// Its event.
        event: EventId,
        /// Seats per type (at least one line).
        lines: Vec<TicketLine>,
        /// The promo code applied (upper case), if any.
        promo_code: Option<String>,
        /// Seats the code was used for (what counts against its maximum; 0 without one). The
        /// lines alone do not tell: a line the code applies to may have nothing taken off (a
        /// free type, a code that only reveals), and the types a code applies to can change.
        promo_seats: u32,
    },
    /// A ticket type was added, changed or deleted.
    TicketTypeChanged {
        /// The event.
        event: EventId,
        /// The type's number within it.
        ticket_type: u32,
        /// What happened.
        change: TypeChange,
    },
    /// A promo code was created or changed.
    PromoCodeChanged {
        /// The event.
        event: EventId,
        /// The code (upper case).
        code: String,
    },
    /// A seat was admitted at the door: scanned online, or scanned by an offline gate and
    /// uploaded later.
    Admitted {
        /// The event.
        event: EventId,
        /// The ticket.
        ticket: TicketId,
        /// The seat within the ticket, from 1.
        seat: u32,
        /// The gate that scanned it, as the gate names itself.
        gate: String,
        /// Who scanned it (door staff, the organizer or an admin).
        by: UserId,
        /// When it was scanned, by the gate's clock for offline scans.
        scanned_at: Timestamp,
        /// Whether an offline gate scanned it and uploaded it later.
        offline: bool,
    },
    /// An organizer or admin undid a wrong admission: the seat may enter again.
    AdmissionUndone {
        /// The event.
        event: EventId,
        /// The ticket.
        ticket: TicketId,
        /// The seat within the ticket, from 1.
        seat: u32,
        /// Who undid it.
        by: UserId,
    },
    /// An offline gate uploaded a scan it could not have admitted: the seat was admitted by
    /// another scan, or its ticket was revoked. Stored as a conflict for the organizer.
    AdmissionConflict {
        /// The event.
        event: EventId,
        /// The ticket.
        ticket: TicketId,
        /// The seat, 1-based.
        seat: u32,
        /// The gate that uploaded it.
        gate: String,
        /// Who uploaded it.
        by: UserId,
        /// When the gate scanned it, by its clock.
        scanned_at: Timestamp,
    },
    /// A user was made door staff of an event.
    DoorStaffAdded {
        /// The event.
        event: EventId,
        /// The new staff member.
        user: UserId,
        /// Who added them (the organizer or an admin).
        by: UserId,
    },
    /// A user was taken off an event's door staff.
    DoorStaffRemoved {
        /// The event.
        event: EventId,
        /// The former staff member.
        user: UserId,
        /// Who removed them.
        by: UserId,
    },
    /// The organizer (or an admin) changed an event's waiting list settings.
    WaitlistConfigured {
        /// The event.
        event: EventId,
        /// Whether people may join.
        enabled: bool,
        /// Whether offers are held back.
        paused: bool,
        /// How long an offer stands, in seconds.
        offer_window_secs: u32,
        /// Whether a partial fit is offered what fits instead of waiting.
        offer_what_fits: bool,
        /// Who changed them.
        by: UserId,
    },
    /// A user joined an event's waiting list for seats of one ticket type.
    WaitlistJoined {
        /// The event.
        event: EventId,
        /// Who joined.
        user: UserId,
        /// The ticket type waited for.
        ticket_type: u32,
        /// Seats wanted.
        seats: u32,
        /// The entry's number in the event's list (joining order).
        entry: u64,
    },
    /// An entry left the list before being served: its user left, or the organizer removed it.
    /// Seats on offer to it (`offered`, else 0) went back to the list.
    WaitlistLeft {
        /// The event.
        event: EventId,
        /// Whose entry.
        user: UserId,
        /// Its number in the list.
        entry: u64,
        /// Seats it had on offer, given back.
        offered: u32,
        /// Who took it off (the user, the organizer or an admin).
        by: UserId,
    },
    /// Freed seats were offered to the entry at the head of the list, held for it until
    /// `deadline`. Written in the transaction that freed them.
    WaitlistOffered {
        /// The event.
        event: EventId,
        /// Who is offered the seats.
        user: UserId,
        /// The ticket type.
        ticket_type: u32,
        /// Seats offered.
        seats: u32,
        /// The entry's number in the list.
        entry: u64,
        /// When the offer lapses.
        deadline: Timestamp,
    },
    /// An offer was accepted: its seats became the ticket `ticket` (booked, or pending payment).
    WaitlistOfferAccepted {
        /// The event.
        event: EventId,
        /// Who accepted.
        user: UserId,
        /// The entry's number in the list.
        entry: u64,
        /// Seats booked.
        seats: u32,
        /// The ticket they became.
        ticket: TicketId,
    },
    /// An offer was declined: its seats went to the next in line.
    WaitlistOfferDeclined {
        /// The event.
        event: EventId,
        /// Who declined.
        user: UserId,
        /// The entry's number in the list.
        entry: u64,
        /// Seats given back.
        seats: u32,
    },
    /// An offer's deadline passed: its seats went to the next in line.
    WaitlistOfferExpired {
        /// The event.
        event: EventId,
        /// Whose offer lapsed.
        user: UserId,
        /// The entry's number in the list.
        entry: u64,
        /// Seats given back.
        seats: u32,
    },
    /// An organizer (or admin) sent a message to a segment of an event's attendees. The entry's
    /// sequence number is the message's id; the notifications dispatcher delivers it.
    MessageSent {
        /// The event.
        event: EventId,
        /// Who sent it.
        by: UserId,
        /// Who it is for.
        segment: Segment,
        /// Subject line (at most 150 characters).
        subject: String,
        /// Plain text body (at most 5,000 characters).
        body: String,
    },
    /// Someone bought tickets without an account: a guest account was made for their e-mail
    /// address (it has no password; the address and name stay in the account, not the log).
    GuestCreated {
        /// The new account.
        user: UserId,
    },
    /// A guest asked for a sign-in link (or one was sent because they tried to register): the
    /// notifications dispatcher sends it. `event` is that of their latest ticket, which the
    /// message names.
    GuestAccessRequested {
        /// The guest account.
        user: UserId,
        /// The event of their latest ticket.
        event: EventId,
    },
    /// A guest set a password: the account is a normal one from now on, keeping its tickets.
    GuestRegistered {
        /// The account.
        user: UserId,
        /// For demographic analytics.
        gender: Gender,
        /// For demographic analytics.
        age: u8,
    },
    /// The holder changed the attendee names on a ticket's seats (the names stay in the
    /// ticket, not the log).
    TicketNamesChanged {
        /// The ticket.
        ticket: TicketId,
        /// Its event.
        event: EventId,
    },
    /// A waiting room admitted a person: they hold a pass to book the event until it lapses
    /// (notifications tell them: they may have closed the page).
    QueueAdmitted {
        /// The event.
        event: EventId,
        /// Who was admitted.
        user: UserId,
        /// When their pass lapses.
        expires_at: Timestamp,
    },
    /// A person took a place in an event's waiting room (or a new one at the end, after their
    /// last pass was spent or lapsed): with `QueueAdmitted`, the queue's length over time.
    QueueJoined {
        /// The event.
        event: EventId,
        /// Who joined.
        user: UserId,
    },
}
