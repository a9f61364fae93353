//! Access tokens whose signature is known to be good: the ones this store signed, and the ones
//! it has already checked, until they expire.
//!
//! A signature check costs tens of microseconds (Ed25519); in a flash sale every buyer's first
//! request presents a token the server has not verified yet, and that check was a quarter of the
//! server's CPU (docs/performance-history.md). A token's signature never changes, so it is checked once per
//! token. Expiry is checked by [`super::Auth::verify`] on every call. What can end a session
//! early — its revocation, the user's token generation moving on — is read from the store
//! (two reads, ~13% of an async worker's time in a flash sale) only when something of the kind
//! happened since the token's session was last found alive: every such change moves
//! [`KnownTokens::sessions_version`] on, and a token remembers the version it was checked at.
//!
//! Tokens are remembered by their SHA-256, not their text (about 300 bytes), so that a crowd
//! polling a waiting room fits: with 200,000 live tokens taking turns, a memory of 100,000 started
//! over again and again, and Ed25519 checks took 40% of the server's CPU (BENCHMARKS.md, the
//! waiting room). Finding another token with the same digest as a checked one is as hard as
//! breaking SHA-256, so a forgery cannot ride on a remembered signature.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::Mutex;
use sha2::{Digest, Sha256};

use super::claims::Claims;

/// Tokens remembered at most (about 300 bytes each with their claims); when full, expired ones
/// are dropped, and if that is not enough the memory starts over (the next request with each
/// token pays one check again).
const MAX_KNOWN_TOKENS: usize = 300_000;

/// A token's key in the memory: the SHA-256 of its exact text.
type TokenDigest = [u8; 32];

fn digest(token: &str) -> TokenDigest {
    Sha256::digest(token.as_bytes()).into()
}

/// The claims of tokens with a good signature, by the digest of the token's exact text. Only
/// tokens that passed a signature check or that this store signed get in, so nobody can fill it
/// with forgeries, and its size is bounded.
#[derive(Default)]
pub(crate) struct KnownTokens {
    pub(super) claims: Mutex<HashMap<TokenDigest, KnownToken>>,
    /// Moved on after every committed change that can end sessions (see the module docs).
    sessions_version: AtomicU64,
    signature_checks: AtomicU64,
}

/// A token with a good signature.
pub(super) struct KnownToken {
    pub(super) claims: Claims,
    /// The [`KnownTokens::sessions_version`] read before its session was last found alive.
    session_alive_at: Option<u64>,
}

impl KnownTokens {
    /// The claims of `token` if its signature is known to be good, and whether its session was
    /// found alive at `sessions_version` (read by the caller before it looks at the store).
    pub(crate) fn get(&self, token: &str, sessions_version: u64) -> Option<(Claims, bool)> {
        let key = digest(token);
        let known = self.claims.lock();
        let token = known.get(&key)?;
        let alive = token.session_alive_at == Some(sessions_version);
        Some((token.claims.clone(), alive))
    }

    /// Remembers a token whose signature was just checked or made here, with the sessions
    /// version its session was found alive at, if it was; `now_secs` decides what has expired
    /// when room is needed.
    pub(crate) fn remember(
        &self,
        token: &str,
        claims: &Claims,
        now_secs: i64,
        session_alive_at: Option<u64>,
    ) {
        let key = digest(token);
        let mut known = self.claims.lock();
        if known.len() >= MAX_KNOWN_TOKENS {
            known.retain(|_, token| token.claims.exp > now_secs);
            if known.len() >= MAX_KNOWN_TOKENS {
                known.clear();
            }
        }
        let entry = KnownToken {
            claims: claims.clone(),
            session_alive_at,
        };
        known.insert(key, entry);
    }

    /// Notes that `token`'s session was found alive at `sessions_version`.
    pub(crate) fn session_alive(&self, token: &str, sessions_version: u64) {
        let key = digest(token);
        if let Some(entry) = self.claims.lock().get_mut(&key) {
            entry.session_alive_at = Some(sessions_version);
        }
    }

    /// The current sessions version: read it before reading whether a session is alive.
    pub(crate) fn sessions_version(&self) -> u64 {
        self.sessions_version.load(Ordering::SeqCst)
    }

    /// Called after a change that can end sessions has been committed, before the caller hears
    /// of it: every known token's session is read from the store again on its next use.
    pub(crate) fn sessions_changed(&self) {
        self.sessions_version.fetch_add(1, Ordering::SeqCst);
    }

    /// Counts one signature check (tests read how often the memory missed).
    pub(crate) fn checked_one(&self) {
        self.signature_checks.fetch_add(1, Ordering::Relaxed);
    }

    /// Signature checks made so far.
    #[cfg(test)]
    pub(crate) fn signature_checks(&self) -> u64 {
        self.signature_checks.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::users::Role;

    fn claims(exp: i64) -> Claims {
        Claims {
            sub: "user".into(),
            role: Role::Attendee,
            exp,
            iat: 0,
            jti: "jti".into(),
            iss: "prasang".into(),
            sid: "family".into(),
            generation: 0,
            nbf: None,
        }
    }

    #[test]
    fn only_the_exact_token_text_is_known() {
        let known = KnownTokens::default();
        known.remember("a.b.c", &claims(100), 0, None);
        assert_eq!(known.get("a.b.c", 0).map(|(c, _)| c.exp), Some(100));
        assert!(known.get("a.b.C", 0).is_none());
        assert!(known.get("a.b.c ", 0).is_none());
    }

    #[test]
    fn a_session_found_alive_counts_only_until_sessions_change() {
        let known = KnownTokens::default();
        let alive = |known: &KnownTokens| {
            let version = known.sessions_version();
            known.get("a.b.c", version).map(|(_, alive)| alive)
        };
        known.remember("a.b.c", &claims(100), 0, None);
        assert_eq!(alive(&known), Some(false), "never checked");
        known.session_alive("a.b.c", known.sessions_version());
        assert_eq!(alive(&known), Some(true));
        known.sessions_changed();
        assert_eq!(alive(&known), Some(false), "a session may have ended since");
        let version = known.sessions_version();
        known.remember("d.e.f", &claims(100), 0, Some(version));
        assert_eq!(
            known.get("d.e.f", version).map(|(_, alive)| alive),
            Some(true)
        );
    }

    #[test]
    fn a_full_memory_drops_expired_tokens_first_and_stays_bounded() {
        let known = KnownTokens::default();
        for i in 0..MAX_KNOWN_TOKENS {
            // Every other token has expired by time 50.
            let exp = if i % 2 == 0 { 10 } else { 100 };
            known.remember(&format!("token-{i}"), &claims(exp), 0, None);
        }
        known.remember("fresh", &claims(100), 50, None);
        assert!(
            known.get("token-0", 0).is_none(),
            "expired tokens are dropped"
        );
        assert!(known.get("token-1", 0).is_some(), "live tokens are kept");
        assert!(known.get("fresh", 0).is_some());
        assert_eq!(known.claims.lock().len(), MAX_KNOWN_TOKENS / 2 + 1);

        let live = KnownTokens::default();
        for i in 0..MAX_KNOWN_TOKENS {
            live.remember(&format!("token-{i}"), &claims(100), 0, None);
        }
        live.remember("one more", &claims(100), 0, None);
        assert_eq!(
            live.claims.lock().len(),
            1,
            "nothing expired: it starts over"
        );
    }
}
