//! Notifications: what gets told to whom, and the [`Channel`] contract every delivery mechanism
//! (a Wasm plugin, or a native Rust channel) implements.
//!
//! The dispatcher (a log consumer with the cursor [`CURSOR`]) turns domain events into
//! [`Notification`]s and hands each to the recipient's channels. Delivery is at least once: a
//! crash between delivering and recording repeats the delivery with the same
//! [`Notification::idempotency_key`], which channels put on the wire (SMTP `Message-ID`, webhook
//! id header) so receivers can drop the duplicate.
//!
//! How it runs, in two steps that share nothing but the store:
//!
//! 1. **Dispatch** reads the log from the cursor, builds one [`Delivery`] per (log entry,
//!    recipient, channel) and writes those records and their indexes, then one entry in each
//!    channel's due queue that stands for the round's new deliveries over it, *then* the
//!    advanced cursor (plain writes in that order: sled keeps a prefix of them through a
//!    crash). Records are keyed by `(seq, user, channel)`, so processing an entry again (a
//!    replay, or a crash before the cursor moved) finds them, completes their indexes and
//!    creates nothing new.
//! 2. **Delivery**: each channel has its own due queue and its own worker threads
//!    ([`DeliveryPolicy::workers_per_channel`]). A worker claims the earliest due delivery, marks
//!    it `sending`, calls the channel *without holding the store*, then records `sent`,
//!    `retrying` (capped exponential backoff) or `failed` and waits until that record is durable.
//!    A slow or failing channel therefore only ever delays its own queue, and a booking never
//!    calls a channel: it only wakes the dispatcher.
//!
//! ```
//! use std::sync::Arc;
//! use prasang_core::{Config, Prasang};
//! use prasang_core::notify::{Channel, DeliveryError, Notification, Receipt};
//!
//! struct Stdout;
//! impl Channel for Stdout {
//!     fn id(&self) -> &str { "email" }
//!     fn deliver(&self, n: &Notification) -> Result<Receipt, DeliveryError> {
//!         println!("{:?} for {}", n.kind, n.recipient.email);
//!         Ok(Receipt { remote_id: None, detail: "printed".into() })
//!     }
//! }
//!
//! let prasang = Prasang::open(Config::temporary().channel(Arc::new(Stdout)))?;
//! assert_eq!(prasang.notifications().channels(), vec!["email".to_string()]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod access;
mod admissions;
mod channel;
mod delivery;
mod dispatch;
mod keys;
mod runtime;
mod settings;

use std::borrow::Cow;
use std::time::Duration;

use serde::Serialize;

pub use access::ACCESS_PATH;
pub use channel::{
    AccessLink, Channel, DeliveryError, EventSummary, Notification, NotificationKind, OfferSummary,
    QueuePassSummary, Receipt, Recipient, SeatAdmission, TicketLineSummary, TicketSummary,
};
pub use delivery::{Delivery, DeliveryStatus};
pub use settings::{EventNotificationSettings, NotificationPreferences};

pub(crate) use runtime::{Notifier, run_once};

use crate::auth::Actor;
use crate::context::Context;
use crate::error::{CommonError, ErrorInfo, Subject, domain_error};
use crate::events::record as event_record;
use crate::ids::{EventId, UserId};
use crate::paging::{self, Page, PageRequest};
use crate::store::{StoreError, codec};
use crate::validate::FieldError;

/// The name of the dispatcher's cursor in the log's cursor table.
pub const CURSOR: &str = "notifications";

/// The notification part of [`crate::Config`].
#[derive(Clone, Default)]
pub(crate) struct NotifyConfig {
    pub(crate) channels: Vec<std::sync::Arc<dyn Channel>>,
    pub(crate) policy: DeliveryPolicy,
}

/// How deliveries are retried and run. Set with [`crate::Config::delivery_policy`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryPolicy {
    /// Attempts before a delivery is marked failed (at least 1; default 8).
    pub max_attempts: u32,
    /// Wait after the first failed attempt; doubles after each further one (default 2 s).
    pub backoff_base: Duration,
    /// Longest wait between attempts (default 10 minutes).
    pub backoff_cap: Duration,
    /// Worker threads per channel, i.e. how many deliveries of one channel may be in flight at
    /// once (at least 1; default 8: deliveries wait on the network, and workers waiting for
    /// their outcome to be durable share one flush, so more workers than cores pay off —
    /// see BENCHMARKS.md, Plugins).
    pub workers_per_channel: usize,
    /// Channels used for users who never chose (default `["email"]`).
    pub default_channels: Vec<String>,
}

impl Default for DeliveryPolicy {
    fn default() -> Self {
        DeliveryPolicy {
            max_attempts: 8,
            backoff_base: Duration::from_secs(2),
            backoff_cap: Duration::from_secs(600),
            workers_per_channel: 8,
            default_channels: vec!["email".into()],
        }
    }
}

impl DeliveryPolicy {
    /// The wait after the `attempts`-th failed attempt: `base * 2^(attempts-1)`, at most `cap`.
    pub fn backoff(&self, attempts: u32) -> Duration {
        let doublings = attempts.saturating_sub(1).min(31);
        self.backoff_base
            .checked_mul(1u32 << doublings)
            .unwrap_or(self.backoff_cap)
            .min(self.backoff_cap)
    }
}

/// What one [`crate::Prasang::run_notifications_once`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct DispatchReport {
    /// Log entries read past.
    pub entries: usize,
    /// Delivery records created.
    pub created: usize,
    /// Deliveries that succeeded.
    pub sent: usize,
    /// Deliveries that failed and will be tried again.
    pub retrying: usize,
    /// Deliveries that failed for good.
    pub failed: usize,
}

/// Errors of the notifications API.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    /// No channel with this id is registered.
    #[error("unknown notification channel `{0}`; see the list of channels")]
    UnknownChannel(String),
    /// A channel id must be 1–32 characters of `a-z`, `0-9`, `-` and `_`.
    #[error("invalid channel id `{0}`: use 1 to 32 characters of a-z, 0-9, - and _")]
    InvalidChannelId(String),
    /// Shared refusals and failures: invalid field, user or event not found, forbidden, storage.
    #[error(transparent)]
    Common(#[from] CommonError),
}

domain_error!(NotifyError {
    NotifyError::UnknownChannel(_) | NotifyError::InvalidChannelId(_) => {
        ErrorInfo::new(InvalidInput, "unknown-channel", "Unknown notification channel")
    }
});

/// Checks the shape of a channel id (it becomes part of idempotency keys and store keys).
pub(crate) fn check_channel_id(id: &str) -> Result<(), NotifyError> {
    let ok = (1..=32).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(NotifyError::InvalidChannelId(id.to_owned()))
    }
}

/// Notification preferences, organizer settings and the delivery log. Obtained from
/// [`crate::Prasang::notifications`].
pub struct Notifications<'a> {
    pub(crate) inner: &'a Context,
    pub(crate) notifier: &'a Notifier,
}

impl Notifications<'_> {
    /// Ids of the registered channels, sorted.
    pub fn channels(&self) -> Vec<String> {
        self.notifier.channel_ids()
    }

    /// A user's channel preferences (the user themself or an admin). Users who never chose get
    /// the configured default channels.
    pub fn preferences(
        &self,
        actor: &Actor,
        user: UserId,
    ) -> Result<NotificationPreferences, NotifyError> {
        self.check_self_or_admin(actor, user)?;
        Ok(settings::preferences(
            self.inner,
            self.notifier.default_channels(),
            user,
        )?)
    }

    /// Sets a user's channel preferences (the user themself or an admin). An empty list turns
    /// notifications off; every channel must be registered.
    pub fn set_preferences(
        &self,
        actor: &Actor,
        user: UserId,
        preferences: NotificationPreferences,
    ) -> Result<NotificationPreferences, NotifyError> {
        self.check_self_or_admin(actor, user)?;
        let channels = self.checked_channels("channels", preferences.channels)?;
        let preferences = NotificationPreferences { channels };
        self.save(
            &self.inner.store.notify_prefs,
            &user.to_bytes(),
            &preferences,
        )?;
        Ok(preferences)
    }

    /// An event's notification settings (its organizer or an admin).
    pub fn event_settings(
        &self,
        actor: &Actor,
        event: EventId,
    ) -> Result<EventNotificationSettings, NotifyError> {
        self.check_runs_event(actor, event)?;
        Ok(settings::event_settings(self.inner, event)?)
    }

    /// Sets which kinds of notification an event's holders get and which extra channels
    /// (e.g. the organizer's webhook) receive a copy of each (its organizer or an admin).
    pub fn set_event_settings(
        &self,
        actor: &Actor,
        event: EventId,
        settings: EventNotificationSettings,
    ) -> Result<EventNotificationSettings, NotifyError> {
        self.check_runs_event(actor, event)?;
        let mut disabled_kinds = settings.disabled_kinds;
        disabled_kinds.sort_by_key(|kind| *kind as u8);
        disabled_kinds.dedup();
        let settings = EventNotificationSettings {
            disabled_kinds,
            extra_channels: self.checked_channels("extra_channels", settings.extra_channels)?,
        };
        self.save(
            &self.inner.store.notify_event_settings,
            &event.to_bytes(),
            &settings,
        )?;
        Ok(settings)
    }

    /// Deliveries about an event, oldest first (its organizer or an admin). Why a delivery
    /// failed is shown in full to admins only (see [`Delivery::last_error`]).
    pub fn deliveries_for_event(
        &self,
        actor: &Actor,
        event: EventId,
        page: &PageRequest,
    ) -> Result<Page<Delivery>, NotifyError> {
        self.check_runs_event(actor, event)?;
        let index = &self.inner.store.deliveries_by_event;
        // The index key ends with the delivery's own key: borrow it.
        self.deliveries_in(actor, index, &event.to_bytes(), page, |key| {
            keys::delivery_from_by_event(key).map(Cow::Borrowed)
        })
    }

    /// Deliveries to a user, oldest first (the user themself or an admin). Why a delivery
    /// failed is shown in full to admins only (see [`Delivery::last_error`]).
    pub fn deliveries_for_user(
        &self,
        actor: &Actor,
        user: UserId,
        page: &PageRequest,
    ) -> Result<Page<Delivery>, NotifyError> {
        self.check_self_or_admin(actor, user)?;
        let index = &self.inner.store.deliveries_by_user;
        // The index key is reordered: the delivery's own key must be built.
        self.deliveries_in(actor, index, &user.to_bytes(), page, |key| {
            keys::delivery_from_by_user(key).map(Cow::Owned)
        })
    }

    /// One page of the deliveries `index` lists under `prefix`, as `actor` may see them;
    /// `delivery_key` reads a delivery's own key out of an index key.
    fn deliveries_in(
        &self,
        actor: &Actor,
        index: &sled::Tree,
        prefix: &[u8],
        page: &PageRequest,
        delivery_key: impl Fn(&[u8]) -> Option<Cow<'_, [u8]>>,
    ) -> Result<Page<Delivery>, NotifyError> {
        let page = paging::scan(index, prefix, prefix, page, |key| match delivery_key(key) {
            Some(delivery) => delivery::load(self.inner, &delivery),
            None => Ok(None),
        })?;
        Ok(shown_to(actor, page))
    }

    fn check_self_or_admin(&self, actor: &Actor, user: UserId) -> Result<(), NotifyError> {
        if !actor.can_access_account(user) {
            return Err(CommonError::Forbidden(
                "only the user themself can see or change their notifications",
            )
            .into());
        }
        if crate::users::record::load(&self.inner.store, user)?.is_none() {
            return Err(CommonError::NotFound(Subject::User).into());
        }
        Ok(())
    }

    /// Stores a user's or an event's settings and waits until they are durable.
    fn save(
        &self,
        tree: &sled::Tree,
        key: &[u8],
        value: &impl Serialize,
    ) -> Result<(), StoreError> {
        tree.insert(key, codec::encode(value))?;
        self.inner.store.durable()
    }

    fn check_runs_event(&self, actor: &Actor, event: EventId) -> Result<(), NotifyError> {
        event_record::require_run_by(
            &self.inner.store,
            actor,
            event,
            "only the event's organizer can see or change its notifications",
        )?;
        Ok(())
    }

    /// Dedupes `channels` (keeping order) and checks each is registered.
    fn checked_channels(
        &self,
        field: &'static str,
        channels: Vec<String>,
    ) -> Result<Vec<String>, NotifyError> {
        if channels.len() > 16 {
            return Err(FieldError::new(field, "at most 16 channels").into());
        }
        let known = self.channels();
        let mut out: Vec<String> = Vec::with_capacity(channels.len());
        for channel in channels {
            let channel = channel.trim().to_owned();
            if !known.contains(&channel) {
                return Err(NotifyError::UnknownChannel(channel));
            }
            if !out.contains(&channel) {
                out.push(channel);
            }
        }
        Ok(out)
    }
}

/// Deliveries as `actor` may see them: a failure reads `temporary delivery failure: <why>`, and
/// the why can name servers and addresses of the deployment (an SMTP relay, a webhook URL), so
/// only admins see it; everyone else sees the class of failure.
fn shown_to(actor: &Actor, mut page: Page<Delivery>) -> Page<Delivery> {
    if !actor.is_admin() {
        for delivery in &mut page.items {
            if let Some(error) = &mut delivery.last_error {
                *error = failure_class(error).to_owned();
            }
        }
    }
    page
}

/// `temporary delivery failure` of `temporary delivery failure: connection refused`.
fn failure_class(error: &str) -> &str {
    match error.split_once(": ") {
        Some((class, _)) => class,
        None => "delivery failure",
    }
}

#[cfg(test)]
mod tests {
    use super::failure_class;

    #[test]
    fn a_failure_class_omits_the_reason() {
        let error = "temporary delivery failure: SMTP relay 10.0.0.7:25 refused the connection";
        assert_eq!(failure_class(error), "temporary delivery failure");
        assert_eq!(failure_class("odd"), "delivery failure");
    }
}
