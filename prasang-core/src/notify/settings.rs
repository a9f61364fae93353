//! Who wants to hear through which channel, and what each event's organizer allows.

use serde::{Deserialize, Serialize};

use super::NotificationKind;
use crate::context::Context;
use crate::ids::{EventId, UserId};
use crate::store::{StoreError, codec};

/// A user's choice of channels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotificationPreferences {
    /// Channel ids to be told through, in order of preference; empty means "tell me nothing".
    pub channels: Vec<String>,
}

/// An event organizer's notification settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventNotificationSettings {
    /// Kinds of notification this event's holders do not get (default: none, all are sent).
    #[serde(default)]
    pub disabled_kinds: Vec<NotificationKind>,
    /// Channels that get a copy of every notification about this event, besides each holder's
    /// own channels (e.g. the organizer's webhook). The copy still names the holder as recipient.
    #[serde(default)]
    pub extra_channels: Vec<String>,
}

/// A user's preferences, or the configured `defaults` when they never chose.
pub(crate) fn preferences(
    inner: &Context,
    defaults: &[String],
    user: UserId,
) -> Result<NotificationPreferences, StoreError> {
    match inner.store.notify_prefs.get(user.to_bytes())? {
        Some(bytes) => codec::decode("notify_prefs", &bytes),
        None => Ok(NotificationPreferences {
            channels: defaults.to_vec(),
        }),
    }
}

/// An event's settings, or the defaults.
pub(crate) fn event_settings(
    inner: &Context,
    event: EventId,
) -> Result<EventNotificationSettings, StoreError> {
    match inner.store.notify_event_settings.get(event.to_bytes())? {
        Some(bytes) => codec::decode("notify_event_settings", &bytes),
        None => Ok(EventNotificationSettings::default()),
    }
}
