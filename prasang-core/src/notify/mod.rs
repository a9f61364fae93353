//! Notifications: what gets told to whom, and the [`Channel`] contract every delivery mechanism
//! (a Wasm plugin, or a native Rust channel) implements.
//!
//! The dispatcher (a log consumer) turns domain events into [`Notification`]s and hands each to
//! the recipient's channels. Delivery is at least once: a crash between delivering and recording
//! repeats the delivery with the same [`Notification::idempotency_key`], which channels put on
//! the wire (SMTP `Message-ID`, webhook id header) so receivers can drop the duplicate.

mod channel;

pub use channel::{
    Channel, DeliveryError, EventSummary, Notification, NotificationKind, Receipt, Recipient,
    TicketSummary,
};
