//! Refresh tokens: opaque random strings stored only as SHA-256 hashes, grouped in families (one
//! per login). Each token is single-use; a reused token revokes its family.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{AuthError, expiry_after};
use crate::context::Context;
use crate::ids::UserId;
use crate::store::{StoreError, abort, codec, decode_in_tx, finish};
use crate::time::Timestamp;

#[derive(Serialize, Deserialize)]
struct RefreshRecord {
    family: [u8; 16],
    user: UserId,
    expires_at: Timestamp,
    used: bool,
}

#[derive(Serialize, Deserialize)]
struct FamilyRecord {
    user: UserId,
    revoked: bool,
    created_at: Timestamp,
}

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes
}

fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

fn new_token() -> String {
    URL_SAFE_NO_PAD.encode(random_bytes::<32>())
}

fn family_text(family: [u8; 16]) -> String {
    URL_SAFE_NO_PAD.encode(family)
}

/// Starts a login session: a new family and its first refresh token.
pub(super) fn start_family(inner: &Context, user: UserId) -> Result<(String, String), AuthError> {
    let family = random_bytes::<16>();
    let token = new_token();
    let now = inner.now();
    let store = &inner.store;
    let family_record = codec::encode(&FamilyRecord {
        user,
        revoked: false,
        created_at: now,
    });
    let token_record = codec::encode(&RefreshRecord {
        family,
        user,
        expires_at: expiry_after(now, inner.config.refresh_token_ttl),
        used: false,
    });
    finish::<_, AuthError>(store.transaction(
        (
            &store.token_families,
            &store.families_by_user,
            &store.refresh_tokens,
        ),
        |(families, by_user, tokens)| {
            families.insert(&family, family_record.as_slice())?;
            by_user.insert(&family_by_user(user, family), &[])?;
            tokens.insert(&token_hash(&token), token_record.as_slice())?;
            Ok(())
        },
    ))?;
    inner.store.durable()?;
    Ok((token, family_text(family)))
}

enum Rotation {
    Rotated(UserId, [u8; 16]),
    Reused,
}

/// Uses a refresh token: marks it used and issues its successor in the same family.
pub(super) fn rotate(
    inner: &Context,
    presented: &str,
) -> Result<(UserId, String, String), AuthError> {
    let now = inner.now();
    let successor = new_token();
    let store = &inner.store;
    let ttl = inner.config.refresh_token_ttl;
    let outcome = finish::<_, AuthError>(store.transaction(
        (&store.token_families, &store.refresh_tokens),
        |(families, tokens)| {
            let hash = token_hash(presented);
            let bytes = tokens
                .get(hash)?
                .ok_or_else(|| abort(AuthError::InvalidToken))?;
            let mut record: RefreshRecord = decode_in_tx("refresh_tokens", &bytes)?;
            let family_bytes = families
                .get(record.family)?
                .ok_or_else(|| abort(AuthError::InvalidToken))?;
            let mut family: FamilyRecord = decode_in_tx("token_families", &family_bytes)?;
            if family.revoked {
                return Err(abort(AuthError::SessionRevoked));
            }
            if record.used {
                // Commit the revocation (an abort would roll it back) and report reuse afterwards.
                family.revoked = true;
                families.insert(&record.family, codec::encode(&family))?;
                return Ok(Rotation::Reused);
            }
            if record.expires_at <= now {
                return Err(abort(AuthError::TokenExpired));
            }
            record.used = true;
            tokens.insert(&hash, codec::encode(&record))?;
            let next = RefreshRecord {
                family: record.family,
                user: record.user,
                expires_at: expiry_after(now, ttl),
                used: false,
            };
            tokens.insert(&token_hash(&successor), codec::encode(&next))?;
            Ok(Rotation::Rotated(record.user, record.family))
        },
    ))?;
    if matches!(outcome, Rotation::Reused) {
        inner.known_tokens.sessions_changed();
    }
    inner.store.durable()?;
    match outcome {
        Rotation::Rotated(user, family) => Ok((user, successor, family_text(family))),
        Rotation::Reused => {
            tracing::warn!("refresh token reuse detected; session revoked");
            Err(AuthError::RefreshReused)
        }
    }
}

/// Revokes the family of a refresh token (logout).
pub(super) fn revoke_by_token(inner: &Context, presented: &str) -> Result<(), AuthError> {
    let store = &inner.store;
    finish::<_, AuthError>(store.transaction(
        (&store.token_families, &store.refresh_tokens),
        |(families, tokens)| {
            let bytes = tokens
                .get(token_hash(presented))?
                .ok_or_else(|| abort(AuthError::InvalidToken))?;
            let record: RefreshRecord = decode_in_tx("refresh_tokens", &bytes)?;
            if let Some(family_bytes) = families.get(record.family)? {
                let mut family: FamilyRecord = decode_in_tx("token_families", &family_bytes)?;
                family.revoked = true;
                families.insert(&record.family, codec::encode(&family))?;
            }
            Ok(())
        },
    ))?;
    inner.known_tokens.sessions_changed();
    inner.store.durable()?;
    Ok(())
}

/// Whether the session `family` (as carried in an access token's `sid`) has been revoked.
pub(super) fn family_revoked(inner: &Context, family: &str) -> Result<bool, AuthError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(family)
        .map_err(|_| AuthError::InvalidToken)?;
    let Some(stored) = inner
        .store
        .token_families
        .get(bytes)
        .map_err(StoreError::from)?
    else {
        return Err(AuthError::InvalidToken);
    };
    let record: FamilyRecord = codec::decode("token_families", &stored)?;
    Ok(record.revoked)
}

fn family_by_user(user: UserId, family: [u8; 16]) -> [u8; 32] {
    let mut key = [0u8; 32];
    key[..16].copy_from_slice(&user.to_bytes());
    key[16..].copy_from_slice(&family);
    key
}

/// Ends every session of `user` (after a password change): each of their refresh-token families
/// is revoked, so neither their refresh tokens nor their access tokens work any more.
pub(crate) fn revoke_all(inner: &Context, user: UserId) -> Result<usize, StoreError> {
    let store = &inner.store;
    let mut revoked = 0;
    for entry in store.families_by_user.scan_prefix(user.to_bytes()) {
        let (key, _) = entry?;
        let Some(family) = key.get(16..) else {
            continue;
        };
        let Some(bytes) = store.token_families.get(family)? else {
            continue;
        };
        let mut record: FamilyRecord = codec::decode("token_families", &bytes)?;
        if !record.revoked {
            record.revoked = true;
            store
                .token_families
                .insert(family, codec::encode(&record))?;
            inner.known_tokens.sessions_changed();
            revoked += 1;
        }
    }
    Ok(revoked)
}

/// Builds the `families_by_user` index for families made before it existed (stores written by
/// an older version); a no-op once the index has entries or there are no families.
pub(crate) fn index_families(store: &crate::store::Store) -> Result<(), StoreError> {
    if !store.families_by_user.is_empty() || store.token_families.is_empty() {
        return Ok(());
    }
    for entry in store.token_families.iter() {
        let (family, bytes) = entry?;
        let record: FamilyRecord = codec::decode("token_families", &bytes)?;
        if let Ok(family) = <[u8; 16]>::try_from(family.as_ref()) {
            store
                .families_by_user
                .insert(family_by_user(record.user, family), &[])?;
        }
    }
    Ok(())
}
