//! Passes out of a waiting room: (event, account, expiry) signed with HMAC-SHA256 under a key
//! kept in the data folder (`keys/waiting-room.key`, 32 random bytes, mode 0600), so any
//! instance that has the data folder verifies a pass without asking another.
//!
//! Text form: `base64url(payload).base64url(mac)`, payload = version (1) ++ event (16) ++ user
//! (16) ++ expiry (i64 milliseconds, big-endian). The signature proves the room issued it; whether
//! it was spent is the member's state in the store.

use std::fs;
use std::io::ErrorKind;
use std::path::PathBuf;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use parking_lot::Mutex;
use rand::RngCore;
use sha2::Sha256;

use crate::auth::keys::write_private;
use crate::ids::{EventId, UserId};
use crate::store::StoreError;
use crate::time::Timestamp;

/// File name of the key inside the keys folder.
pub(crate) const KEY_FILE: &str = "waiting-room.key";

const PASS_VERSION: u8 = 1;
const PAYLOAD_LEN: usize = 1 + 16 + 16 + 8;
const KEY_LEN: usize = 32;

/// What a valid signature vouches for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PassClaims {
    pub(crate) event: EventId,
    pub(crate) user: UserId,
    pub(crate) expires_at: Timestamp,
}

/// The pass key, read or made on first use.
pub(crate) struct PassKey {
    dir: PathBuf,
    key: Mutex<Option<[u8; KEY_LEN]>>,
}

impl PassKey {
    /// The key kept in `dir` (the data folder's `keys/`); nothing is read until it is used.
    pub(crate) fn new(dir: PathBuf) -> Self {
        PassKey {
            dir,
            key: Mutex::new(None),
        }
    }

    /// The pass for `claims`, as text.
    pub(crate) fn sign(&self, claims: &PassClaims) -> Result<String, StoreError> {
        let payload = payload(claims);
        let mac = self.mac(&payload)?.finalize().into_bytes();
        Ok(format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(payload),
            URL_SAFE_NO_PAD.encode(mac)
        ))
    }

    /// The claims of `token` if this key signed it, else `Ok(None)` (altered, malformed or
    /// signed by another key).
    pub(crate) fn open(&self, token: &str) -> Result<Option<PassClaims>, StoreError> {
        let Some((payload, mac)) = token.trim().split_once('.') else {
            return Ok(None);
        };
        let (Ok(payload), Ok(mac)) = (URL_SAFE_NO_PAD.decode(payload), URL_SAFE_NO_PAD.decode(mac))
        else {
            return Ok(None);
        };
        // Constant-time comparison, inside `verify_slice`.
        if self.mac(&payload)?.verify_slice(&mac).is_err() {
            return Ok(None);
        }
        Ok(claims_of(&payload))
    }

    fn mac(&self, payload: &[u8]) -> Result<Hmac<Sha256>, StoreError> {
        let key = self.key()?;
        let mut mac = Hmac::<Sha256>::new_from_slice(&key)
            .map_err(|error| StoreError::Signing(error.to_string()))?;
        mac.update(payload);
        Ok(mac)
    }

    fn key(&self) -> Result<[u8; KEY_LEN], StoreError> {
        let mut held = self.key.lock();
        if let Some(key) = *held {
            return Ok(key);
        }
        let key = load_or_create(&self.dir)?;
        *held = Some(key);
        Ok(key)
    }
}

/// Reads the key file in `dir`, or writes a new random one (owner-only) when there is none.
fn load_or_create(dir: &std::path::Path) -> Result<[u8; KEY_LEN], StoreError> {
    let path = dir.join(KEY_FILE);
    let read = |bytes: Vec<u8>| {
        <[u8; KEY_LEN]>::try_from(bytes).map_err(|bytes| StoreError::Corrupt {
            tree: "keys",
            reason: format!(
                "{}: {} bytes, expected {KEY_LEN}",
                path.display(),
                bytes.len()
            ),
        })
    };
    match fs::read(&path) {
        Ok(bytes) => read(bytes),
        Err(error) if error.kind() == ErrorKind::NotFound => {
            fs::create_dir_all(dir)?;
            let mut key = [0; KEY_LEN];
            rand::rngs::OsRng.fill_bytes(&mut key);
            write_private(&path, &key)?;
            tracing::info!(path = %path.display(), "generated a new waiting-room pass key");
            Ok(key)
        }
        Err(error) => Err(error.into()),
    }
}

fn payload(claims: &PassClaims) -> [u8; PAYLOAD_LEN] {
    let mut payload = [0; PAYLOAD_LEN];
    payload[0] = PASS_VERSION;
    payload[1..17].copy_from_slice(&claims.event.to_bytes());
    payload[17..33].copy_from_slice(&claims.user.to_bytes());
    payload[33..].copy_from_slice(&claims.expires_at.as_millis().to_be_bytes());
    payload
}

fn claims_of(payload: &[u8]) -> Option<PassClaims> {
    if payload.len() != PAYLOAD_LEN || payload[0] != PASS_VERSION {
        return None;
    }
    Some(PassClaims {
        event: EventId::from_bytes(payload.get(1..17)?.try_into().ok()?),
        user: UserId::from_bytes(payload.get(17..33)?.try_into().ok()?),
        expires_at: Timestamp::from_millis(i64::from_be_bytes(payload.get(33..)?.try_into().ok()?)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims() -> PassClaims {
        PassClaims {
            event: EventId::generate(),
            user: UserId::generate(),
            expires_at: Timestamp::from_millis(1_893_456_600_000),
        }
    }

    #[test]
    fn a_pass_opens_with_its_key_only_and_not_after_a_change() {
        let dir = tempfile::tempdir().expect("dir");
        let key = PassKey::new(dir.path().join("keys"));
        let claims = claims();
        let pass = key.sign(&claims).expect("sign");
        assert_eq!(key.open(&pass).expect("open"), Some(claims));

        // The same folder, read by another instance, verifies it.
        let again = PassKey::new(dir.path().join("keys"));
        assert_eq!(again.open(&pass).expect("open"), Some(claims));

        let other = tempfile::tempdir().expect("dir");
        let stranger = PassKey::new(other.path().to_path_buf());
        assert_eq!(stranger.open(&pass).expect("open"), None);

        let (payload, mac) = pass.split_once('.').expect("two parts");
        let mut bytes = URL_SAFE_NO_PAD.decode(payload).expect("base64");
        bytes[40] ^= 1;
        let altered = format!("{}.{mac}", URL_SAFE_NO_PAD.encode(bytes));
        assert_eq!(key.open(&altered).expect("open"), None);
        for junk in ["", ".", "abc", "a.b", &pass[1..]] {
            assert_eq!(key.open(junk).expect("open"), None, "{junk:?}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn the_key_file_is_the_owners_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("dir");
        let key = PassKey::new(dir.path().to_path_buf());
        key.sign(&claims()).expect("sign");
        let mode = fs::metadata(dir.path().join(KEY_FILE))
            .expect("key file")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
