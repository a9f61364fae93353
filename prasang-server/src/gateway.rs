//! Gateway duties in front of the core: per-address rate limiting of login and registration.
//! (Access tokens need no cache here: the core remembers the ones it signed or checked.)

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::Instant;

use parking_lot::Mutex;

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

    /// Whether `limiter` lets `ip` through `times` times in a row.
    fn allows(limiter: &RateLimiter, ip: &str, times: usize) -> bool {
        let ip: IpAddr = ip.parse().unwrap();
        (0..times).all(|_| limiter.check(ip).is_ok())
    }

    #[test]
    fn a_bucket_allows_its_burst_then_asks_to_wait() {
        let limiter = RateLimiter::new(60, 3);
        assert!(allows(&limiter, "192.0.2.1", 3));
        assert_eq!(limiter.check("192.0.2.1".parse().unwrap()), Err(1));
        assert!(allows(&limiter, "192.0.2.2", 1), "buckets are per address");
    }

    #[test]
    fn zero_rate_disables_limiting() {
        assert!(allows(&RateLimiter::new(0, 1), "192.0.2.1", 100));
    }
}
