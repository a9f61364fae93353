//! Per-user token generations: an access token carries the generation its user had when it was
//! issued, and changing the user's role or password moves the generation on, so every access
//! token issued before stops working at once (not when it expires up to 15 minutes later). A
//! refresh then issues a token with the new role; a password change also revokes every refresh
//! family ([`super::refresh::revoke_all`]), so there is no refresh: the user logs in again.

use sled::transaction::{TransactionalTree, UnabortableTransactionError};

use crate::ids::UserId;
use crate::store::{Store, StoreError};

fn decode(bytes: Option<sled::IVec>) -> u64 {
    bytes
        .and_then(|bytes| <[u8; 8]>::try_from(bytes.as_ref()).ok())
        .map_or(0, u64::from_be_bytes)
}

/// The generation of `user`'s access tokens (0 until the first role or password change).
pub(crate) fn current(store: &Store, user: UserId) -> Result<u64, StoreError> {
    Ok(decode(store.token_generations.get(user.to_bytes())?))
}

/// Inside a transaction: ends the current generation of `user`'s access tokens.
pub(crate) fn advance(
    generations: &TransactionalTree,
    user: UserId,
) -> Result<(), UnabortableTransactionError> {
    let key = user.to_bytes();
    let next = decode(generations.get(key)?) + 1;
    generations.insert(&key, &next.to_be_bytes())?;
    Ok(())
}
