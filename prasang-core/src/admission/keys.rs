//! The Ed25519 keys that sign admission codes: kept apart from the token key, in
//! `keys/admission/` in the data folder (one PKCS#8 file per key id, owner-only permissions),
//! made on first use.
//!
//! Rotation adds a key with the next id; the newest key signs new codes and every older key
//! stays published, so codes already printed or e-mailed keep verifying.

use std::fs;
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use ed25519_dalek::{SigningKey, VerifyingKey};
use parking_lot::RwLock;
use serde::{Deserialize, Serialize};

use super::code::{self, CodeError, ParsedCode};
use crate::auth::keys::write_private;
use crate::ids::{EventId, TicketId};
use crate::store::StoreError;

/// A published admission key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdmissionPublicKey {
    /// The id codes carry (their second byte).
    pub key_id: u8,
    /// Always `Ed25519`.
    pub algorithm: String,
    /// The 32-byte public key, base64url without padding (as in a JWK's `x`).
    pub public_key: String,
    /// Whether this key signs new codes.
    pub current: bool,
}

impl AdmissionPublicKey {
    /// The key itself, for verifying codes.
    pub fn verifying_key(&self) -> Option<VerifyingKey> {
        let bytes: [u8; 32] = URL_SAFE_NO_PAD
            .decode(&self.public_key)
            .ok()?
            .try_into()
            .ok()?;
        VerifyingKey::from_bytes(&bytes).ok()
    }
}

struct Key {
    id: u8,
    signing: SigningKey,
}

/// The admission keys of one data folder, loaded on first use.
pub(crate) struct AdmissionKeys {
    dir: PathBuf,
    /// Sorted by id; empty until the first code is signed or a key is asked for.
    keys: RwLock<Vec<Key>>,
}

fn file_name(id: u8) -> String {
    format!("admission-ed25519-{id}.pk8")
}

fn corrupt(path: &Path, reason: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt {
        tree: "keys",
        reason: format!("{}: {reason}", path.display()),
    }
}

impl AdmissionKeys {
    pub(crate) fn new(dir: PathBuf) -> Self {
        AdmissionKeys {
            dir,
            keys: RwLock::new(Vec::new()),
        }
    }

    /// Reads every key in the folder, making the first one if there is none.
    fn load(&self) -> Result<(), StoreError> {
        if !self.keys.read().is_empty() {
            return Ok(());
        }
        let mut keys = self.keys.write();
        if !keys.is_empty() {
            return Ok(());
        }
        fs::create_dir_all(&self.dir)?;
        for id in 1..=u8::MAX {
            let path = self.dir.join(file_name(id));
            match fs::read(&path) {
                Ok(der) => keys.push(Key {
                    id,
                    signing: SigningKey::from_pkcs8_der(&der).map_err(|e| corrupt(&path, e))?,
                }),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => break,
                Err(e) => return Err(e.into()),
            }
        }
        if keys.is_empty() {
            keys.push(self.create(1)?);
        }
        Ok(())
    }

    fn create(&self, id: u8) -> Result<Key, StoreError> {
        let signing = SigningKey::generate(&mut rand::rngs::OsRng);
        let path = self.dir.join(file_name(id));
        let der = signing.to_pkcs8_der().map_err(|e| corrupt(&path, e))?;
        write_private(&path, der.as_bytes())?;
        tracing::info!(path = %path.display(), key_id = id, "generated an admission signing key");
        Ok(Key { id, signing })
    }

    /// Signs the code of one seat with the newest key.
    pub(crate) fn sign(
        &self,
        event: EventId,
        ticket: TicketId,
        seat: u16,
    ) -> Result<String, StoreError> {
        self.load()?;
        let keys = self.keys.read();
        let key = keys.last().ok_or_else(|| corrupt(&self.dir, "no key"))?;
        Ok(code::sign(key.id, &key.signing, event, ticket, seat))
    }

    /// The public half of key `id`, if it exists.
    pub(crate) fn verifying(&self, id: u8) -> Result<Option<VerifyingKey>, StoreError> {
        self.load()?;
        let keys = self.keys.read();
        Ok(keys
            .iter()
            .find(|key| key.id == id)
            .map(|key| key.signing.verifying_key()))
    }

    /// Takes `text` apart and checks it is a code for `event` signed by one of the keys.
    pub(crate) fn verify(
        &self,
        text: &str,
        event: EventId,
    ) -> Result<Result<ParsedCode, CodeError>, StoreError> {
        let parsed = match code::parse(text) {
            Ok(parsed) => parsed,
            Err(error) => return Ok(Err(error)),
        };
        let Some(key) = self.verifying(parsed.key_id)? else {
            return Ok(Err(CodeError::UnknownKey(parsed.key_id)));
        };
        Ok(parsed.verify(event, &key).map(|()| parsed))
    }

    /// Every key, oldest first; the last one is current.
    pub(crate) fn public_keys(&self) -> Result<Vec<AdmissionPublicKey>, StoreError> {
        self.load()?;
        let keys = self.keys.read();
        let newest = keys.last().map(|key| key.id);
        Ok(keys
            .iter()
            .map(|key| AdmissionPublicKey {
                key_id: key.id,
                algorithm: "Ed25519".into(),
                public_key: URL_SAFE_NO_PAD.encode(key.signing.verifying_key().to_bytes()),
                current: Some(key.id) == newest,
            })
            .collect())
    }

    /// Adds a key with the next id, which signs from now on. `None` once 255 keys exist.
    pub(crate) fn rotate(&self) -> Result<Option<u8>, StoreError> {
        self.load()?;
        let mut keys = self.keys.write();
        let Some(next) = keys.last().and_then(|key| key.id.checked_add(1)) else {
            return Ok(None);
        };
        keys.push(self.create(next)?);
        Ok(Some(next))
    }
}
