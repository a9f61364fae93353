//! Gateway duties in front of the core: a short-lived cache of verified access tokens and
//! per-address rate limiting of login and registration.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use parking_lot::Mutex;
use prasang_core::auth::Actor;

/// Remembers tokens the core verified, so a busy client does not pay for an Ed25519 check on
/// every request.
///
/// Revocation still takes effect: an entry lives at most `ttl` (a couple of seconds), expiry is
/// re-checked against the core's clock on every hit, and logout or a detected refresh reuse
/// through this server clears the whole cache at once.
pub struct TokenCache {
    ttl: Duration,
    entries: Mutex<HashMap<String, CachedToken>>,
}

#[derive(Clone, Copy)]
struct CachedToken {
    actor: Actor,
    /// The token's `exp` claim (seconds since the epoch).
    expires: i64,
    cached_at: Instant,
}

/// Entries beyond this are dropped wholesale rather than tracked in LRU order.
const MAX_CACHED_TOKENS: usize = 100_000;

impl TokenCache {
    /// A cache keeping verified tokens for `ttl`; zero disables it.
    pub fn new(ttl: Duration) -> Self {
        TokenCache {
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// The actor for `token` if it was verified recently and has not expired by `now_secs`.
    pub fn get(&self, token: &str, now_secs: i64) -> Option<Actor> {
        if self.ttl.is_zero() {
            return None;
        }
        let entries = self.entries.lock();
        let entry = entries.get(token)?;
        (entry.cached_at.elapsed() < self.ttl && entry.expires > now_secs).then_some(entry.actor)
    }

    /// Records a token the core has just verified.
    pub fn insert(&self, token: &str, actor: Actor) {
        if self.ttl.is_zero() {
            return;
        }
        let Some(expires) = expiry_claim(token) else {
            return;
        };
        let mut entries = self.entries.lock();
        if entries.len() >= MAX_CACHED_TOKENS {
            let ttl = self.ttl;
            entries.retain(|_, e| e.cached_at.elapsed() < ttl);
            if entries.len() >= MAX_CACHED_TOKENS {
                entries.clear();
            }
        }
        entries.insert(
            token.to_owned(),
            CachedToken {
                actor,
                expires,
                cached_at: Instant::now(),
            },
        );
    }

    /// Forgets every token (after a logout or a revoked session).
    pub fn clear(&self) {
        self.entries.lock().clear();
    }
}

/// The `exp` claim of a token whose signature the core has already checked.
fn expiry_claim(token: &str) -> Option<i64> {
    let payload = token.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload).ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    claims.get("exp")?.as_i64()
}

/// A token bucket per client address: `burst` attempts at once, refilled at `per_minute`.
pub struct RateLimiter {
    burst: f64,
    per_second: f64,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

struct Bucket {
    tokens: f64,
    refilled_at: Instant,
}

/// Addresses tracked before idle (full) buckets are pruned.
const MAX_TRACKED_ADDRESSES: usize = 50_000;

impl RateLimiter {
    /// `per_minute` attempts per address per minute after an initial `burst`; `per_minute == 0`
    /// turns limiting off.
    pub fn new(per_minute: u32, burst: u32) -> Self {
        RateLimiter {
            burst: f64::from(burst.max(1)),
            per_second: f64::from(per_minute) / 60.0,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one attempt for `ip`, or says how many seconds to wait.
    pub fn check(&self, ip: IpAddr) -> Result<(), u64> {
        if self.per_second <= 0.0 {
            return Ok(());
        }
        let now = Instant::now();
        let mut buckets = self.buckets.lock();
        if buckets.len() >= MAX_TRACKED_ADDRESSES {
            let (burst, rate) = (self.burst, self.per_second);
            buckets.retain(|_, b| {
                b.tokens + now.duration_since(b.refilled_at).as_secs_f64() * rate < burst
            });
        }
        let bucket = buckets.entry(ip).or_insert(Bucket {
            tokens: self.burst,
            refilled_at: now,
        });
        let earned = now.duration_since(bucket.refilled_at).as_secs_f64() * self.per_second;
        bucket.tokens = (bucket.tokens + earned).min(self.burst);
        bucket.refilled_at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            let wait = (1.0 - bucket.tokens) / self.per_second;
            Err(wait.ceil().max(1.0) as u64)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_allows_its_burst_then_asks_to_wait() {
        let limiter = RateLimiter::new(60, 3);
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        for _ in 0..3 {
            assert!(limiter.check(ip).is_ok());
        }
        assert_eq!(limiter.check(ip), Err(1));
        let other: IpAddr = "192.0.2.2".parse().unwrap();
        assert!(limiter.check(other).is_ok(), "buckets are per address");
    }

    #[test]
    fn zero_rate_disables_limiting() {
        let limiter = RateLimiter::new(0, 1);
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        for _ in 0..100 {
            assert!(limiter.check(ip).is_ok());
        }
    }
}
