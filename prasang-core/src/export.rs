//! Whole tables for analysts: every event, ticket and feedback entry, and the attendees as
//! demographics only (never a name, an e-mail address or a password hash).
//!
//! Each read covers the whole store, so only admins (and the system actor) may make it; an
//! organizer reads their own events through the paged APIs and the reports. Reads are not one
//! snapshot in time: export from a stopped store or a snapshot ([`crate::Prasang::snapshot`])
//! when tables must agree with each other.
//!
//! ```
//! use prasang_core::{Config, Prasang};
//!
//! let prasang = Prasang::open(Config::temporary())?;
//! let admin = prasang.auth().system_actor();
//! assert_eq!(prasang.export().tickets(&admin)?.count(), 0);
//! assert!(prasang.export().attendees(&admin)?.is_empty());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::Inner;
use crate::analytics::AgeGroup;
use crate::auth::Actor;
use crate::error::{CommonError, domain_error};
use crate::events::Event;
use crate::feedback::{Feedback, FeedbackRecord};
use crate::ids::{EventId, UserId};
use crate::store::{StoreError, codec};
use crate::tickets::Ticket;
use crate::time::Timestamp;
use crate::users::{Gender, Role, UserRecord};

const ADMINS_ONLY: &str = "only admins can export whole tables";

/// A user as analysts see them: demographics, no identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attendee {
    /// The user's id (joins with tickets and feedback).
    pub id: UserId,
    /// Attendee, organizer or admin.
    pub role: Role,
    /// Gender from the profile.
    pub gender: Gender,
    /// Age group from the profile (never the age itself).
    pub age_group: AgeGroup,
    /// When the account was created.
    pub created_at: Timestamp,
}

/// Errors of the export API.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// Forbidden for non-admins, or storage failure.
    #[error(transparent)]
    Common(#[from] CommonError),
}

domain_error!(ExportError {});

/// Whole-table reads. Obtained from [`crate::Prasang::export`].
pub struct Export<'a> {
    pub(crate) inner: &'a Inner,
}

impl Export<'_> {
    /// Every event (any status, past ones too) with its seat counters and rating, in id order.
    pub fn events(&self, actor: &Actor) -> Result<Vec<Event>, ExportError> {
        actor.require_admin(ADMINS_ONLY)?;
        let mut events = Vec::new();
        for item in self.inner.store.events.iter() {
            let (key, _) = item.map_err(StoreError::from)?;
            let Some(id) = EventId::from_key_prefix(&key) else {
                continue;
            };
            if let Some(event) = self.inner.events().load(id)? {
                events.push(event);
            }
        }
        Ok(events)
    }

    /// Every ticket in id (booking) order, read lazily: a million tickets never sit in memory
    /// as API values at once.
    pub fn tickets(
        &self,
        actor: &Actor,
    ) -> Result<impl Iterator<Item = Result<Ticket, ExportError>> + '_, ExportError> {
        actor.require_admin(ADMINS_ONLY)?;
        Ok(self.inner.store.tickets.iter().map(|item| {
            let (_, value) = item.map_err(StoreError::from)?;
            Ok(crate::tickets::record::decode(&value)?)
        }))
    }

    /// Every feedback entry with its reply, by event then user.
    pub fn feedback(&self, actor: &Actor) -> Result<Vec<Feedback>, ExportError> {
        actor.require_admin(ADMINS_ONLY)?;
        let mut entries = Vec::new();
        for item in self.inner.store.feedback.iter() {
            let (key, value) = item.map_err(StoreError::from)?;
            let event = key.get(..16).and_then(EventId::from_key_prefix);
            let user = key.get(16..).and_then(UserId::from_key_prefix);
            let (Some(event), Some(user)) = (event, user) else {
                continue;
            };
            let record: FeedbackRecord = codec::decode("feedback", &value)?;
            entries.push(record.to_api(event, user));
        }
        Ok(entries)
    }

    /// Every account as demographics (id, role, gender, age group, creation time), in id order.
    pub fn attendees(&self, actor: &Actor) -> Result<Vec<Attendee>, ExportError> {
        actor.require_admin(ADMINS_ONLY)?;
        let mut attendees = Vec::new();
        for item in self.inner.store.users.iter() {
            let (_, value) = item.map_err(StoreError::from)?;
            let record: UserRecord = codec::read(&value)?;
            attendees.push(Attendee {
                id: record.id,
                role: record.role,
                gender: record.gender,
                age_group: AgeGroup::of(record.age),
                created_at: record.created_at,
            });
        }
        Ok(attendees)
    }
}
