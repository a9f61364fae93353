//! What the `users` tree stores: [`UserRecord`], version 1.

use serde::{Deserialize, Serialize};

use super::{Gender, Role, User};
use crate::ids::UserId;
use crate::store::codec::Record;
use crate::time::Timestamp;

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
    /// argon2id PHC string.
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
        }
    }
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
