//! Host-name lookups for the plugin host's HTTP client.
//!
//! ureq resolves a request's host *before* it looks for a pooled keep-alive connection, and with
//! a timeout set its own resolver runs every lookup on a new thread. Left alone, every webhook
//! POST would start a thread and ask the system resolver again, even for an IP address. This
//! resolver answers IP literals itself and remembers what a name resolved to for
//! [`NAME_TTL`], so a busy webhook host costs one lookup per TTL instead of one per delivery.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::NextTimeout;

/// How long a looked-up name is trusted. The system resolver gives no TTL; 30 s is what JVMs
/// and many HTTP clients use. An address that stopped working costs at most this long (the
/// failed delivery is retried later anyway).
pub(super) const NAME_TTL: Duration = Duration::from_secs(30);

/// Names remembered at most; when full, the cache starts over (there are few webhook hosts).
const MAX_CACHED_NAMES: usize = 1024;

/// IP literals answered in place, names looked up by `lookup` and cached for `ttl`.
pub(super) struct CachingResolver<R = DefaultResolver> {
    lookup: R,
    ttl: Duration,
    cache: Mutex<HashMap<String, Cached>>,
}

struct Cached {
    addrs: ResolvedSocketAddrs,
    expires: Instant,
}

impl CachingResolver {
    /// ureq's own resolver (with the request's timeout) behind the cache.
    pub(super) fn new() -> Self {
        Self::with_lookup(DefaultResolver::default(), NAME_TTL)
    }
}

impl<R: Resolver> CachingResolver<R> {
    pub(super) fn with_lookup(lookup: R, ttl: Duration) -> Self {
        CachingResolver {
            lookup,
            ttl,
            cache: Mutex::new(HashMap::new()),
        }
    }
}

impl<R> std::fmt::Debug for CachingResolver<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CachingResolver")
            .field("ttl", &self.ttl)
            .field("cached_names", &self.cache.lock().len())
            .finish()
    }
}

impl<R: Resolver> Resolver for CachingResolver<R> {
    fn resolve(
        &self,
        uri: &ureq::http::Uri,
        config: &ureq::config::Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let host = uri.host().unwrap_or_default();
        let Some(port) = uri.port_u16().or(default_port(uri)) else {
            // Not a URL the host would send; let ureq say what is wrong with it.
            return self.lookup.resolve(uri, config, timeout);
        };
        let literal = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host)
            .parse::<IpAddr>();
        if let Ok(ip) = literal {
            let mut addrs = self.empty();
            addrs.push(SocketAddr::new(ip, port));
            return Ok(addrs);
        }
        let name = format!("{}:{port}", host.to_ascii_lowercase());
        let now = Instant::now();
        if let Some(cached) = self.cache.lock().get(&name)
            && cached.expires > now
        {
            return Ok(cached.addrs.clone());
        }
        // Looked up without holding the cache: a slow lookup must not stall other hosts.
        // Two threads missing at once both look up; the later answer wins, which is harmless.
        let addrs = self.lookup.resolve(uri, config, timeout)?;
        let mut cache = self.cache.lock();
        if cache.len() >= MAX_CACHED_NAMES {
            cache.clear();
        }
        cache.insert(
            name,
            Cached {
                addrs: addrs.clone(),
                expires: now + self.ttl,
            },
        );
        Ok(addrs)
    }
}

/// The port an `http://` or `https://` URL without one connects to; `None` for other schemes.
pub(super) fn default_port(uri: &ureq::http::Uri) -> Option<u16> {
    match uri.scheme_str() {
        Some("http") => Some(80),
        Some("https") => Some(443),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// Answers 127.0.0.1 (or fails) and counts how often it was asked.
    #[derive(Debug, Default)]
    struct CountingLookup {
        calls: AtomicUsize,
        fail: bool,
    }

    impl Resolver for CountingLookup {
        fn resolve(
            &self,
            uri: &ureq::http::Uri,
            _config: &ureq::config::Config,
            _timeout: NextTimeout,
        ) -> Result<ResolvedSocketAddrs, ureq::Error> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            if self.fail {
                return Err(ureq::Error::HostNotFound);
            }
            let mut addrs = self.empty();
            addrs.push(SocketAddr::from((
                [127, 0, 0, 1],
                uri.port_u16().unwrap_or(80),
            )));
            Ok(addrs)
        }
    }

    fn resolve(
        resolver: &CachingResolver<CountingLookup>,
        url: &str,
    ) -> Result<Vec<SocketAddr>, ureq::Error> {
        let uri: ureq::http::Uri = url.parse().expect("test URLs parse");
        let config = ureq::Agent::config_builder().build();
        let addrs = resolver.resolve(&uri, &config, NextTimeout::default())?;
        Ok(addrs.iter().copied().collect())
    }

    fn calls(resolver: &CachingResolver<CountingLookup>) -> usize {
        resolver.lookup.calls.load(Ordering::SeqCst)
    }

    #[test]
    fn ip_literals_need_no_lookup() {
        let resolver = CachingResolver::with_lookup(CountingLookup::default(), NAME_TTL);
        let v4 = resolve(&resolver, "http://10.1.2.3:8080/hook").expect("literal");
        let v6 = resolve(&resolver, "https://[::1]/hook").expect("literal");
        assert_eq!(v4, vec!["10.1.2.3:8080".parse().expect("address")]);
        assert_eq!(v6, vec!["[::1]:443".parse().expect("address")]);
        assert_eq!(calls(&resolver), 0);
    }

    #[test]
    fn a_name_is_looked_up_once_per_ttl_and_per_port() {
        let resolver = CachingResolver::with_lookup(CountingLookup::default(), NAME_TTL);
        let first = resolve(&resolver, "http://hooks.example:9000/a").expect("resolves");
        let again = resolve(&resolver, "http://HOOKS.example:9000/b").expect("resolves");
        assert_eq!(first, again);
        assert_eq!(calls(&resolver), 1, "the second request used the cache");
        let other_port = resolve(&resolver, "http://hooks.example:9001/a").expect("resolves");
        assert_eq!(other_port, vec!["127.0.0.1:9001".parse().expect("address")]);
        assert_eq!(calls(&resolver), 2);
    }

    #[test]
    fn an_expired_name_is_looked_up_again() {
        let resolver = CachingResolver::with_lookup(CountingLookup::default(), Duration::ZERO);
        resolve(&resolver, "http://hooks.example/a").expect("resolves");
        resolve(&resolver, "http://hooks.example/a").expect("resolves");
        assert_eq!(calls(&resolver), 2);
    }

    #[test]
    fn a_failed_lookup_is_not_remembered() {
        let failing = CountingLookup {
            fail: true,
            ..CountingLookup::default()
        };
        let resolver = CachingResolver::with_lookup(failing, NAME_TTL);
        for _ in 0..2 {
            assert!(matches!(
                resolve(&resolver, "http://nowhere.example/a"),
                Err(ureq::Error::HostNotFound)
            ));
        }
        assert_eq!(calls(&resolver), 2);
    }
}
