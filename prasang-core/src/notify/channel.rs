//! The channel contract.

use serde::{Deserialize, Serialize};

use crate::events::EventStatus;
use crate::ids::{EventId, TicketId, UserId};
use crate::log::EventField;
use crate::tickets::TicketStatus;
use crate::time::Timestamp;

/// Why the recipient is being told something.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    /// Their ticket is booked.
    TicketBooked,
    /// Seats are held for them until the ticket's `expires_at`; payment is awaited.
    TicketPending,
    /// Their ticket was cancelled.
    TicketCancelled,
    /// Their hold lapsed.
    TicketExpired,
    /// An event they hold tickets for changed (see [`Notification::changed`]).
    EventUpdated,
    /// An event they hold tickets for was cancelled.
    EventCancelled,
    /// The organizer replied to their feedback ([`Notification::message`] holds the reply).
    FeedbackReply,
    /// An event they held a booked ticket for has ended: how was it? Plugins built against
    /// `prasang:channel@0.1.0` do not know this kind and are skipped for it.
    FeedbackRequest,
    /// Seats came free and are held for them from the waiting list until the offer's deadline
    /// (see [`Notification::offer`]). Plugins built before `prasang:channel@0.3.0` are skipped.
    WaitlistOffer,
    /// The event's organizer wrote to them ([`Notification::subject`] and
    /// [`Notification::message`]). Plugins built before `prasang:channel@0.3.0` are skipped.
    OrganizerMessage,
    /// A guest (an account made at checkout, without a password) asked for a way back to their
    /// tickets: [`Notification::access`] holds a single-use sign-in link. Plugins built before
    /// `prasang:channel@0.3.0` are skipped.
    GuestAccess,
    /// The event's waiting room admitted them: they may book until their pass lapses (see
    /// [`Notification::queue_pass`]). Told because they may have closed the waiting page.
    /// Plugins built before `prasang:channel@0.3.0` are skipped.
    QueueAdmitted,
}

/// Who is told.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recipient {
    /// The user.
    pub user_id: UserId,
    /// Their display name.
    pub name: String,
    /// Their e-mail address.
    pub email: String,
}

/// The event a notification is about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventSummary {
    /// The event.
    pub id: EventId,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Where.
    pub location: String,
    /// Start.
    pub starts_at: Timestamp,
    /// End.
    pub ends_at: Timestamp,
    /// Published or cancelled.
    pub status: EventStatus,
    /// Price of one seat, minor units.
    pub price_minor: u64,
    /// ISO 4217 code.
    pub currency: String,
}

/// The ticket a notification is about, if any.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketSummary {
    /// The ticket.
    pub id: TicketId,
    /// Seats.
    pub quantity: u32,
    /// Its status when the notification was made.
    pub status: TicketStatus,
    /// Charged for all seats, minor units, after any discount.
    pub amount_minor: u64,
    /// For pending tickets: when the hold lapses.
    pub expires_at: Option<Timestamp>,
    /// The seats by ticket type, in booking order (empty in deliveries recorded before ticket
    /// types existed).
    pub lines: Vec<TicketLineSummary>,
    /// Discount on the whole ticket, minor units (the lines' discounts together).
    pub discount_minor: u64,
    /// The promo code applied, if any.
    pub promo_code: Option<String>,
    /// Each seat's signed admission code, in seat order, for a booked ticket (empty otherwise).
    /// Not stored with the delivery: the notifier signs them just before each attempt (the
    /// same codes every time, Ed25519 signatures being deterministic), so the delivery log
    /// never holds codes that admit people.
    #[serde(skip)]
    pub admissions: Vec<SeatAdmission>,
}

/// One booked seat's admission code, as a notification carries it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeatAdmission {
    /// The seat's number within the ticket, from 1.
    pub seat: u32,
    /// The signed code, as the door scans it.
    pub code: String,
}

/// Seats of one ticket type within a ticket; amounts in the event's currency, minor units.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketLineSummary {
    /// The type's name, e.g. `Adult`.
    pub ticket_type: String,
    /// Seats of this type.
    pub quantity: u32,
    /// Price of one seat before any discount.
    pub unit_price_minor: u64,
    /// Discount on the whole line.
    pub discount_minor: u64,
    /// Charged for the line: `quantity * unit_price_minor - discount_minor`.
    pub amount_minor: u64,
}

/// One message to one recipient over one channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notification {
    /// Stable across retries and restarts: `"{log_seq}.{recipient user id}.{channel id}"`.
    /// Channels send it on the wire (SMTP `Message-ID`, `webhook-id` header).
    pub idempotency_key: String,
    /// Why.
    pub kind: NotificationKind,
    /// Sequence number of the log entry that caused it.
    pub log_seq: u64,
    /// When that happened.
    pub occurred_at: Timestamp,
    /// Who is told.
    pub recipient: Recipient,
    /// The event.
    pub event: EventSummary,
    /// The ticket, for ticket notifications.
    pub ticket: Option<TicketSummary>,
    /// For [`NotificationKind::EventUpdated`]: what changed.
    pub changed: Vec<EventField>,
    /// Free text (e.g. the organizer's feedback reply).
    pub message: Option<String>,
    /// The event's IANA time zone (`UTC` in deliveries recorded before zones existed). Kept
    /// last: stored deliveries of format version 1 are this record without it.
    pub time_zone: String,
    /// For [`NotificationKind::WaitlistOffer`]: the seats held and until when. Appended in
    /// delivery layout 4.
    pub offer: Option<OfferSummary>,
    /// For [`NotificationKind::OrganizerMessage`]: the subject line (the text is in
    /// [`Notification::message`]). Appended in delivery layout 4.
    pub subject: Option<String>,
    /// For [`NotificationKind::GuestAccess`], and for a guest's booking confirmations
    /// ([`NotificationKind::TicketBooked`], [`NotificationKind::TicketPending`]): a single-use
    /// sign-in link to the guest's tickets. A credential: never stored with the delivery (the
    /// notifier signs a fresh one just before each attempt), and channels that publish what
    /// they send (webhooks, chat rooms) must leave it out.
    #[serde(skip)]
    pub access: Option<AccessLink>,
    /// For [`NotificationKind::QueueAdmitted`]: until when the pass stands and where to book.
    /// Appended in delivery layout 5 (after `subject`: `access` is not stored).
    pub queue_pass: Option<QueuePassSummary>,
}

/// A waiting room's admission, as a notification carries it. Not the pass itself (a
/// credential bound to the account): the waiting page hands that to the signed-in person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueuePassSummary {
    /// When the pass lapses (show it on the event's clock, [`Notification::time_zone`]).
    pub expires_at: Timestamp,
    /// The event's waiting page on the server's public address, where the admitted person
    /// goes on to book.
    pub url: String,
}

/// A guest's single-use sign-in link, as a notification carries it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessLink {
    /// The server's public address, the sign-in page and the signed token.
    pub url: String,
    /// When the link stops working (show it on the event's clock, [`Notification::time_zone`]).
    pub expires_at: Timestamp,
}

/// Seats offered from the waiting list, as a notification carries them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfferSummary {
    /// Seats held for the recipient.
    pub seats: u32,
    /// The ticket type's name.
    pub ticket_type: String,
    /// When the offer lapses (show it on the event's clock, [`Notification::time_zone`]).
    pub deadline: Timestamp,
    /// Where to accept or decline it: the server's public address and the offer's page.
    pub accept_url: String,
}

/// Proof of a delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    /// An id the far side knows the message by (e.g. the SMTP Message-ID), if any.
    pub remote_id: Option<String>,
    /// Anything worth showing in the delivery log.
    pub detail: String,
}

impl Receipt {
    /// Whether the channel skipped the notification instead of sending it: a plugin whose
    /// interface version lacks the notification's kind answers `skipped: …` (see
    /// `plugin_host`), which is recorded as a success, since trying again would not help.
    pub fn is_skip(&self) -> bool {
        self.detail.starts_with("skipped:")
    }
}

/// Why a delivery failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum DeliveryError {
    /// Worth retrying later (network down, timeout, plugin trap).
    #[error("temporary delivery failure: {0}")]
    Temporary(String),
    /// Retrying will not help (bad address, plugin refused the message).
    #[error("permanent delivery failure: {0}")]
    Permanent(String),
}

/// A way of delivering notifications. Implementations must be safe to call from several threads
/// and should bound their own running time; the dispatcher calls them off the booking path.
pub trait Channel: Send + Sync {
    /// Short stable id (`email`, `webhook`, `chat`, ...), used in preferences and idempotency keys.
    fn id(&self) -> &str;

    /// Delivers one notification.
    fn deliver(&self, notification: &Notification) -> Result<Receipt, DeliveryError>;
}
