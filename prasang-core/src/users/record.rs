//! A user account ([`User`], its [`Role`] and [`Gender`]) and what the `users` tree stores:
//! [`UserRecord`], version 1.

use serde::{Deserialize, Serialize};

use crate::ids::UserId;
use crate::store::codec::{self, Record};
use crate::store::{Store, StoreError};
use crate::time::Timestamp;

/// What a user may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Books tickets and leaves feedback.
    Attendee,
    /// Also creates and runs events.
    Organizer,
    /// May do anything.
    Admin,
}

impl Role {
    /// The role's name as used in tokens and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Attendee => "attendee",
            Role::Organizer => "organizer",
            Role::Admin => "admin",
        }
    }
}

/// Self-described gender, used only for aggregated analytics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Gender {
    /// Female.
    Female,
    /// Male.
    Male,
    /// Non-binary.
    NonBinary,
    /// Prefers not to say.
    Undisclosed,
}

/// A user account as the API shows it (never the password hash).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    /// The account's id.
    pub id: UserId,
    /// Display name.
    pub name: String,
    /// Normalised (trimmed, lower-case) e-mail address; unique.
    pub email: String,
    /// What the user may do.
    pub role: Role,
    /// For demographic analytics.
    pub gender: Gender,
    /// Age in years, for demographic analytics.
    pub age: u8,
    /// When the account was created.
    pub created_at: Timestamp,
    /// A guest account: made at checkout for an e-mail address, with no password (gender
    /// `undisclosed`, age 0 meaning unknown). Its owner signs in with links sent to that
    /// address until they set a password ([`crate::guests::Guests::register`]).
    #[serde(default)]
    pub guest: bool,
}

/// An account as stored. Version 1 nested the API `User` followed by the hash; postcard writes a
/// nested struct as its fields in order, so these flat fields are that same layout, now owned
/// by the record instead of borrowed from the API type.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct UserRecord {
    pub(crate) id: UserId,
    pub(crate) name: String,
    /// Normalised; the key of `users_by_email`.
    pub(crate) email: String,
    pub(crate) role: Role,
    pub(crate) gender: Gender,
    pub(crate) age: u8,
    pub(crate) created_at: Timestamp,
    /// argon2id PHC string; empty for a guest account, which has no password.
    pub(crate) password_hash: String,
}

impl Record for UserRecord {
    const TREE: &'static str = "users";
    const VERSION: u8 = 1;
}

impl UserRecord {
    /// The account as the API shows it (never the hash).
    pub(crate) fn to_api(&self) -> User {
        User {
            id: self.id,
            name: self.name.clone(),
            email: self.email.clone(),
            role: self.role,
            gender: self.gender,
            age: self.age,
            created_at: self.created_at,
            guest: self.is_guest(),
        }
    }

    /// A guest account for `email` (normalised): no password, gender undisclosed, age unknown.
    pub(crate) fn guest(id: UserId, name: String, email: String, at: Timestamp) -> Self {
        UserRecord {
            id,
            name,
            email,
            role: Role::Attendee,
            gender: Gender::Undisclosed,
            age: 0,
            created_at: at,
            password_hash: String::new(),
        }
    }

    /// Whether this is a guest account (no password yet).
    pub(crate) fn is_guest(&self) -> bool {
        self.password_hash.is_empty()
    }
}

/// The account `id`, as stored.
pub(crate) fn load(store: &Store, id: UserId) -> Result<Option<UserRecord>, StoreError> {
    codec::get(&store.users, &id.to_bytes())
}

/// The account with this (normalised) e-mail address.
pub(crate) fn id_by_email(
    store: &Store,
    normalised_email: &str,
) -> Result<Option<UserId>, StoreError> {
    Ok(store
        .users_by_email
        .get(normalised_email.as_bytes())?
        .and_then(|bytes| UserId::from_key_prefix(&bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::codec::variant_indexes;

    /// Roles and genders are stored by variant index: reordering them would silently change
    /// what old records mean.
    #[test]
    fn stored_variant_indexes_never_change() {
        assert_eq!(
            variant_indexes(&[Role::Attendee, Role::Organizer, Role::Admin]),
            [0, 1, 2]
        );
        let genders = [
            Gender::Female,
            Gender::Male,
            Gender::NonBinary,
            Gender::Undisclosed,
        ];
        assert_eq!(variant_indexes(&genders), [0, 1, 2, 3]);
    }
}
