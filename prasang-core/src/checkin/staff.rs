//! Door staff: users an event's organizer lets scan at that event, and nothing more.

use serde::Serialize;

use super::record::{self, StaffRecord};
use super::{CheckInError, CheckIns};
use crate::auth::Actor;
use crate::error::{CommonError, Subject};
use crate::ids::{EventId, UserId};
use crate::log::{self, DomainEvent};
use crate::store::{Store, StoreError, codec, finish};
use crate::time::Timestamp;
use crate::users::record as user_record;
use crate::validate;

/// A member of an event's door staff, as its organizer sees them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StaffMember {
    /// The event.
    pub event: EventId,
    /// The user.
    pub user: UserId,
    /// Their name.
    pub name: String,
    /// Their e-mail address.
    pub email: String,
    /// Who added them.
    pub added_by: UserId,
    /// When.
    pub added_at: Timestamp,
}

/// Whether `user` is door staff of `event`.
pub(super) fn is_staff(store: &Store, event: EventId, user: UserId) -> Result<bool, StoreError> {
    Ok(store
        .door_staff
        .contains_key(record::staff_key(event, user))?)
}

const NO_SUCH_USER: CommonError = CommonError::NotFound(Subject::User);

impl CheckIns<'_> {
    /// Makes the existing user `user` door staff of `event` (its organizer and admins): they
    /// may then scan, and see the counts, recent scans and sync of that event only. Adding
    /// someone twice keeps the first assignment.
    pub fn add_staff(
        &self,
        actor: &Actor,
        event: EventId,
        user: UserId,
    ) -> Result<StaffMember, CheckInError> {
        self.require_organizer(actor, event)?;
        let account = user_record::load(&self.inner.store, user)?.ok_or(NO_SUCH_USER)?;
        let now = self.inner.now();
        let store = &self.inner.store;
        let (stored, added) = finish::<_, StoreError>(store.transaction(
            (&store.door_staff, &store.door_staff_by_user, &store.log),
            |(staff, by_user, log)| {
                let key = record::staff_key(event, user);
                if let Some(bytes) = staff.get(key)? {
                    return Ok((
                        codec::read::<StaffRecord>(&bytes).map_err(crate::store::abort)?,
                        false,
                    ));
                }
                let assigned = StaffRecord {
                    added_by: actor.user_id(),
                    added_at: now,
                };
                staff.insert(&key, codec::write(&assigned))?;
                by_user.insert(&record::staff_by_user_key(user, event), &[])?;
                let added = DomainEvent::DoorStaffAdded {
                    event,
                    user,
                    by: actor.user_id(),
                };
                log::append(log, now, &added)?;
                Ok((assigned, true))
            },
        ))?;
        if added {
            self.inner.committed_with_log()?;
        }
        Ok(member(event, user, account, stored))
    }

    /// [`CheckIns::add_staff`] naming the user by e-mail address (what an organizer knows of
    /// them); an address without an account is `user-not-found`.
    pub fn add_staff_by_email(
        &self,
        actor: &Actor,
        event: EventId,
        email: &str,
    ) -> Result<StaffMember, CheckInError> {
        self.require_organizer(actor, event)?;
        let normalised = validate::email(email)?;
        let user = user_record::id_by_email(&self.inner.store, &normalised)?.ok_or(NO_SUCH_USER)?;
        self.add_staff(actor, event, user)
    }

    /// Takes `user` off the door staff of `event` (its organizer and admins); true when they
    /// were on it.
    pub fn remove_staff(
        &self,
        actor: &Actor,
        event: EventId,
        user: UserId,
    ) -> Result<bool, CheckInError> {
        self.require_organizer(actor, event)?;
        let now = self.inner.now();
        let store = &self.inner.store;
        let removed = finish::<_, StoreError>(store.transaction(
            (&store.door_staff, &store.door_staff_by_user, &store.log),
            |(staff, by_user, log)| {
                if staff.remove(&record::staff_key(event, user))?.is_none() {
                    return Ok(false);
                }
                by_user.remove(&record::staff_by_user_key(user, event))?;
                let removed = DomainEvent::DoorStaffRemoved {
                    event,
                    user,
                    by: actor.user_id(),
                };
                log::append(log, now, &removed)?;
                Ok(true)
            },
        ))?;
        if removed {
            self.inner.committed_with_log()?;
        }
        Ok(removed)
    }

    /// The door staff of `event`, in user id order (its organizer and admins).
    pub fn staff(&self, actor: &Actor, event: EventId) -> Result<Vec<StaffMember>, CheckInError> {
        self.require_organizer(actor, event)?;
        let store = &self.inner.store;
        let mut members = Vec::new();
        for entry in store.door_staff.scan_prefix(event.to_bytes()) {
            let (key, value) = entry.map_err(StoreError::from)?;
            let Some(user) = key.get(16..).and_then(UserId::from_key_prefix) else {
                continue;
            };
            let stored: StaffRecord = codec::read(&value)?;
            // An account is never deleted; skip one that is, rather than fail the list.
            if let Some(account) = user_record::load(store, user)? {
                members.push(member(event, user, account, stored));
            }
        }
        Ok(members)
    }

    /// The events the caller is door staff of (to offer their door pages).
    pub fn staff_events(&self, actor: &Actor) -> Result<Vec<EventId>, CheckInError> {
        let mut events = Vec::new();
        for key in self
            .inner
            .store
            .door_staff_by_user
            .scan_prefix(actor.user_id().to_bytes())
            .keys()
        {
            let key = key.map_err(StoreError::from)?;
            let Some(event) = key.get(16..).and_then(EventId::from_key_prefix) else {
                continue;
            };
            // An event without tickets may have been deleted since.
            if self
                .inner
                .store
                .inventory
                .contains_key(event.to_bytes())
                .map_err(StoreError::from)?
            {
                events.push(event);
            }
        }
        Ok(events)
    }
}

fn member(
    event: EventId,
    user: UserId,
    account: user_record::UserRecord,
    stored: StaffRecord,
) -> StaffMember {
    StaffMember {
        event,
        user,
        name: account.name,
        email: account.email,
        added_by: stored.added_by,
        added_at: stored.added_at,
    }
}
