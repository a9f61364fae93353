//! The Ed25519 key that signs access tokens: generated on first open, kept in the data folder
//! with owner-only permissions, published as a JWKS document.

use std::fs;
use std::io::Write;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use jsonwebtoken::{DecodingKey, EncodingKey};
use sha2::{Digest, Sha256};

use crate::store::StoreError;

/// File name of the PKCS#8 private key inside the keys folder.
const KEY_FILE: &str = "jwt-ed25519.pk8";

pub(crate) struct SigningKeys {
    /// Key id: the JWK thumbprint-like hash of the public key, carried in each token's header.
    pub(crate) kid: String,
    pub(crate) encoding: EncodingKey,
    pub(crate) decoding: DecodingKey,
    /// The same key, to sign what is not a JWT (a guest's sign-in link, with its own domain
    /// prefix so neither signature can pass for the other).
    pub(crate) signer: SigningKey,
    public: [u8; 32],
}

impl SigningKeys {
    /// Loads the key from `dir`, generating and saving it (mode 0600) on first use.
    pub(crate) fn load_or_create(dir: &Path) -> Result<Self, StoreError> {
        fs::create_dir_all(dir)?;
        let path = dir.join(KEY_FILE);
        let signing = match fs::read(&path) {
            Ok(der) => SigningKey::from_pkcs8_der(&der).map_err(|e| StoreError::Corrupt {
                tree: "keys",
                reason: format!("{}: {e}", path.display()),
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = SigningKey::generate(&mut rand::rngs::OsRng);
                write_private(
                    &path,
                    key.to_pkcs8_der()
                        .map_err(|e| StoreError::Corrupt {
                            tree: "keys",
                            reason: e.to_string(),
                        })?
                        .as_bytes(),
                )?;
                tracing::info!(path = %path.display(), "generated a new token signing key");
                key
            }
            Err(e) => return Err(e.into()),
        };
        Ok(Self::from_signing_key(&signing))
    }

    fn from_signing_key(signing: &SigningKey) -> Self {
        let public = signing.verifying_key().to_bytes();
        let der = signing
            .to_pkcs8_der()
            .map(|d| d.as_bytes().to_vec())
            .unwrap_or_default();
        let kid = URL_SAFE_NO_PAD.encode(&Sha256::digest(public)[..12]);
        SigningKeys {
            kid,
            encoding: EncodingKey::from_ed_der(&der),
            decoding: DecodingKey::from_ed_der(&public),
            signer: signing.clone(),
            public,
        }
    }

    /// The public key as a JSON Web Key Set (RFC 7517 / RFC 8037).
    pub(crate) fn jwks(&self) -> serde_json::Value {
        serde_json::json!({
            "keys": [{
                "kty": "OKP",
                "crv": "Ed25519",
                "alg": "EdDSA",
                "use": "sig",
                "kid": self.kid,
                "x": URL_SAFE_NO_PAD.encode(self.public),
            }]
        })
    }
}

#[cfg(unix)]
pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(not(unix))]
pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}
