//! A guest's sign-in link: a token signed with the store's Ed25519 key, naming the account, a
//! nonce and an expiry. Verifying needs only the public key; single use needs the store (the
//! nonce of a used link is kept in `guest_links_used` until the link would have expired).
//!
//! | bytes | field |
//! |-------|-------|
//! | 1     | format version (`1`) |
//! | 16    | the guest account's id |
//! | 16    | nonce: every link minted for one notification shares it, so using one ends all |
//! | 8     | expiry, Unix milliseconds, big-endian |
//! | 64    | Ed25519 signature of [`DOMAIN`] and the 41 bytes above |
//!
//! Written as unpadded base64url: 140 characters.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use sha2::{Digest, Sha256};

use crate::ids::UserId;
use crate::time::Timestamp;

/// The format version written into every link.
const VERSION: u8 = 1;
/// Bytes before the signature.
const PAYLOAD: usize = 1 + 16 + 16 + 8;
/// Bytes in a decoded token.
const TOKEN: usize = PAYLOAD + 64;
/// Prefix of the signed message, so a link's signature can never pass for any other signature
/// made with the same key (access tokens are JWTs over other bytes).
const DOMAIN: &[u8] = b"prasang/guest-access/v1";

/// What a verified link says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Link {
    pub(crate) user: UserId,
    pub(crate) nonce: [u8; 16],
    pub(crate) expires_at: Timestamp,
}

/// Why a token is not a link of ours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Forged;

impl Link {
    /// The nonce of the links minted for the notification with `idempotency_key`: the same for
    /// every attempt of one delivery and for its other channels' copies.
    pub(crate) fn nonce_for(idempotency_key: &str) -> [u8; 16] {
        let digest = Sha256::new()
            .chain_update(b"prasang/guest-access/nonce/")
            .chain_update(
                idempotency_key
                    .split('.')
                    .take(2)
                    .collect::<Vec<_>>()
                    .join("."),
            )
            .finalize();
        let mut nonce = [0; 16];
        nonce.copy_from_slice(&digest[..16]);
        nonce
    }

    fn payload(&self) -> [u8; PAYLOAD] {
        let mut bytes = [0; PAYLOAD];
        bytes[0] = VERSION;
        bytes[1..17].copy_from_slice(&self.user.to_bytes());
        bytes[17..33].copy_from_slice(&self.nonce);
        bytes[33..].copy_from_slice(&self.expires_at.as_millis().to_be_bytes());
        bytes
    }

    /// The token of this link, signed with `key`.
    pub(crate) fn sign(&self, key: &SigningKey) -> String {
        let payload = self.payload();
        let signature = key.sign(&[DOMAIN, &payload].concat());
        let mut token = payload.to_vec();
        token.extend_from_slice(&signature.to_bytes());
        URL_SAFE_NO_PAD.encode(token)
    }

    /// The link `token` stands for, if `key` signed it (expiry is the caller's to check).
    pub(crate) fn verify(token: &str, key: &VerifyingKey) -> Result<Link, Forged> {
        // Longer input than a token cannot be one: refuse it before decoding.
        if token.len() > TOKEN * 2 {
            return Err(Forged);
        }
        let bytes = URL_SAFE_NO_PAD.decode(token.trim()).map_err(|_| Forged)?;
        let bytes: [u8; TOKEN] = bytes.try_into().map_err(|_| Forged)?;
        let (payload, signature) = bytes.split_at(PAYLOAD);
        if payload[0] != VERSION {
            return Err(Forged);
        }
        let signature = Signature::from_slice(signature).map_err(|_| Forged)?;
        key.verify(&[DOMAIN, payload].concat(), &signature)
            .map_err(|_| Forged)?;
        let field = |range: std::ops::Range<usize>| payload[range].to_vec();
        let user = <[u8; 16]>::try_from(field(1..17)).map_err(|_| Forged)?;
        let nonce = <[u8; 16]>::try_from(field(17..33)).map_err(|_| Forged)?;
        let expires = <[u8; 8]>::try_from(field(33..PAYLOAD)).map_err(|_| Forged)?;
        Ok(Link {
            user: UserId::from_bytes(user),
            nonce,
            expires_at: Timestamp::from_millis(i64::from_be_bytes(expires)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&[seed; 32])
    }

    fn link() -> Link {
        Link {
            user: UserId::generate(),
            nonce: Link::nonce_for("12.01ABC.email"),
            expires_at: Timestamp::from_millis(1_900_000_000_000),
        }
    }

    #[test]
    fn a_signed_link_verifies_and_any_change_is_refused() {
        let (key, link) = (key(7), link());
        let token = link.sign(&key);
        assert_eq!(token.len(), 140);
        assert_eq!(Link::verify(&token, &key.verifying_key()), Ok(link));
        // Another key's link, a flipped byte anywhere, a cut or padded token: all refused.
        assert_eq!(
            Link::verify(&token, &self::key(8).verifying_key()),
            Err(Forged)
        );
        let bytes = URL_SAFE_NO_PAD.decode(&token).expect("base64");
        for at in [0, 1, 20, 40, 41, 100] {
            let mut tampered = bytes.clone();
            tampered[at] ^= 1;
            let tampered = URL_SAFE_NO_PAD.encode(tampered);
            assert_eq!(
                Link::verify(&tampered, &key.verifying_key()),
                Err(Forged),
                "{at}"
            );
        }
        assert_eq!(
            Link::verify(&token[..139], &key.verifying_key()),
            Err(Forged)
        );
        assert_eq!(Link::verify("", &key.verifying_key()), Err(Forged));
        assert_eq!(
            Link::verify(&"A".repeat(10_000), &key.verifying_key()),
            Err(Forged)
        );
    }

    #[test]
    fn copies_of_one_notification_share_a_nonce_and_others_do_not() {
        assert_eq!(
            Link::nonce_for("12.01ABC.email"),
            Link::nonce_for("12.01ABC.sms")
        );
        assert_ne!(
            Link::nonce_for("12.01ABC.email"),
            Link::nonce_for("13.01ABC.email")
        );
    }
}
