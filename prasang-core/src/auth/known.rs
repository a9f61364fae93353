//! Access tokens whose signature is known to be good: the ones this store signed, and the ones
//! it has already checked, until they expire.
//!
//! A signature check costs tens of microseconds (Ed25519); in a flash sale every buyer's first
//! request presents a token the server has not verified yet, and that check was a quarter of the
//! server's CPU (BENCHMARKS.md). A token's signature never changes, so it is checked once per
//! token; what can change — the session being revoked, the user's token generation moving on,
//! the token expiring — is still checked by [`super::Auth::verify`] on every call.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::Mutex;

use super::Claims;

/// Tokens remembered at most; when full, expired ones are dropped, and if that is not enough
/// the memory starts over (the next request with each token pays one check again).
const MAX_KNOWN_TOKENS: usize = 100_000;

/// The claims of tokens with a good signature, by the token's exact text. Only tokens that
/// passed a signature check or that this store signed get in, so nobody can fill it with
/// forgeries, and its size is bounded.
#[derive(Default)]
pub(crate) struct KnownTokens {
    pub(super) claims: Mutex<HashMap<Box<str>, Claims>>,
    signature_checks: AtomicU64,
}

impl KnownTokens {
    /// The claims of `token` if its signature is known to be good.
    pub(crate) fn get(&self, token: &str) -> Option<Claims> {
        self.claims.lock().get(token).cloned()
    }

    /// Remembers a token whose signature was just checked or made here; `now_secs` decides what
    /// has expired when room is needed.
    pub(crate) fn remember(&self, token: &str, claims: &Claims, now_secs: i64) {
        let mut known = self.claims.lock();
        if known.len() >= MAX_KNOWN_TOKENS {
            known.retain(|_, claims| claims.exp > now_secs);
            if known.len() >= MAX_KNOWN_TOKENS {
                known.clear();
            }
        }
        known.insert(token.into(), claims.clone());
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
        known.remember("a.b.c", &claims(100), 0);
        assert_eq!(known.get("a.b.c").map(|c| c.exp), Some(100));
        assert!(known.get("a.b.C").is_none());
        assert!(known.get("a.b.c ").is_none());
    }

    #[test]
    fn a_full_memory_drops_expired_tokens_first_and_stays_bounded() {
        let known = KnownTokens::default();
        for i in 0..MAX_KNOWN_TOKENS {
            // Every other token has expired by time 50.
            let exp = if i % 2 == 0 { 10 } else { 100 };
            known.remember(&format!("token-{i}"), &claims(exp), 0);
        }
        known.remember("fresh", &claims(100), 50);
        assert!(known.get("token-0").is_none(), "expired tokens are dropped");
        assert!(known.get("token-1").is_some(), "live tokens are kept");
        assert!(known.get("fresh").is_some());
        assert_eq!(known.claims.lock().len(), MAX_KNOWN_TOKENS / 2 + 1);

        let live = KnownTokens::default();
        for i in 0..MAX_KNOWN_TOKENS {
            live.remember(&format!("token-{i}"), &claims(100), 0);
        }
        live.remember("one more", &claims(100), 0);
        assert_eq!(
            live.claims.lock().len(),
            1,
            "nothing expired: it starts over"
        );
    }
}
