//! How often one e-mail address may be sent a sign-in link: a few per window, counted in
//! memory (a restart forgets the counts, which only lets a few more links out). Addresses are
//! kept as a hash, never as text.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use parking_lot::Mutex;
use sha2::{Digest, Sha256};

use crate::time::Timestamp;

/// Links one address may be sent per [`WINDOW`].
pub(crate) const LINKS_PER_WINDOW: usize = 3;
/// The window links are counted over.
pub(crate) const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Addresses remembered at most; past it, requests for new addresses send nothing until old
/// ones age out (a flood of made-up addresses cannot grow memory without bound).
const MAX_ADDRESSES: usize = 100_000;

#[derive(Default)]
pub(crate) struct LinkLimiter {
    sent: Mutex<HashMap<[u8; 16], VecDeque<Timestamp>>>,
}

impl LinkLimiter {
    /// Whether `email` (normalised) may be sent another link at `now`; counts it if so.
    pub(crate) fn allow(&self, email: &str, now: Timestamp) -> bool {
        let mut sent = self.sent.lock();
        let since = now.minus(WINDOW);
        if sent.len() >= MAX_ADDRESSES {
            sent.retain(|_, times| times.back().is_some_and(|at| *at > since));
        }
        let key = address_key(email);
        if !sent.contains_key(&key) && sent.len() >= MAX_ADDRESSES {
            return false;
        }
        let times = sent.entry(key).or_default();
        while times.front().is_some_and(|at| *at <= since) {
            times.pop_front();
        }
        if times.len() >= LINKS_PER_WINDOW {
            return false;
        }
        times.push_back(now);
        true
    }
}

fn address_key(email: &str) -> [u8; 16] {
    let digest = Sha256::digest(email.as_bytes());
    let mut key = [0; 16];
    key.copy_from_slice(&digest[..16]);
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_gets_a_few_links_per_window_and_others_are_not_held_up() {
        let limiter = LinkLimiter::default();
        let start = Timestamp::from_millis(1_900_000_000_000);
        for _ in 0..LINKS_PER_WINDOW {
            assert!(limiter.allow("ada@example.org", start));
        }
        assert!(!limiter.allow("ada@example.org", start));
        assert!(limiter.allow("bo@example.org", start));
        let later = start.plus(WINDOW + Duration::from_millis(1));
        assert!(limiter.allow("ada@example.org", later));
    }
}
