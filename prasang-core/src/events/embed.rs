//! Where an organizer's booking widget may be framed: the web origins (scheme, host and port of
//! their venue sites) they list. The server allows framing of the widget pages by exactly those
//! origins (CSP `frame-ancestors`), and of no other page by anyone.

use serde::{Deserialize, Serialize};

use super::{EventError, Events, record as event_record};
use crate::auth::Actor;
use crate::error::{CommonError, Subject};
use crate::ids::{EventId, UserId};
use crate::store::StoreError;
use crate::store::codec::{self, Record};
use crate::validate::FieldError;

/// Most origins one organizer may list.
pub const MAX_EMBED_ORIGINS: usize = 20;
/// Longest origin accepted.
const MAX_ORIGIN_LEN: usize = 200;

/// An organizer's framing origins as stored in `embed_origins`, version 1.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct EmbedOrigins {
    origins: Vec<String>,
}

impl Record for EmbedOrigins {
    const TREE: &'static str = "embed_origins";
    const VERSION: u8 = 1;
}

/// `value` as a web origin (`https://venue.example`, `http://localhost:8000`), lower-cased
/// with no trailing slash; anything else (a path, a wildcard, spaces, another scheme) refused,
/// so an origin can go into a CSP header as it is.
fn check_origin(value: &str) -> Result<String, FieldError> {
    let refused = || {
        FieldError::new(
            "embed_origins",
            format!(
                "`{}` is not a web origin such as https://venue.example or \
                 http://localhost:8000 (scheme, host and optional port, nothing else)",
                value.chars().take(MAX_ORIGIN_LEN).collect::<String>()
            ),
        )
    };
    let origin = value.trim().trim_end_matches('/').to_ascii_lowercase();
    if origin.len() > MAX_ORIGIN_LEN {
        return Err(refused());
    }
    let (scheme, rest) = origin.split_once("://").ok_or_else(refused)?;
    if !matches!(scheme, "http" | "https") {
        return Err(refused());
    }
    let (host, port) = match rest.rsplit_once(':') {
        Some((host, port)) if !host.ends_with(']') || rest.starts_with('[') => (host, Some(port)),
        _ => (rest, None),
    };
    let host_ok = !host.is_empty()
        && (host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-'))
            || (host.starts_with('[')
                && host.ends_with(']')
                && host[1..host.len() - 1]
                    .chars()
                    .all(|c| c.is_ascii_hexdigit() || c == ':')));
    let port_ok = port.is_none_or(|port| port.parse::<u16>().is_ok_and(|port| port > 0));
    if !host_ok || !port_ok || host.starts_with('.') || host.starts_with('-') {
        return Err(refused());
    }
    Ok(origin)
}

impl Events<'_> {
    /// Sets the origins that may frame `organizer`'s booking widgets (the organizer themself, or
    /// an admin); an empty list allows none. Returns them as stored (normalised, each once).
    pub fn set_embed_origins(
        &self,
        actor: &Actor,
        organizer: UserId,
        origins: &[String],
    ) -> Result<Vec<String>, EventError> {
        if !actor.can_manage(organizer) {
            return Err(CommonError::Forbidden(
                "only the organizer can set where their widget shows",
            )
            .into());
        }
        if origins.len() > MAX_EMBED_ORIGINS {
            return Err(FieldError::new(
                "embed_origins",
                format!("list at most {MAX_EMBED_ORIGINS} origins"),
            )
            .into());
        }
        let mut checked: Vec<String> = Vec::with_capacity(origins.len());
        for origin in origins {
            let origin = check_origin(origin)?;
            if !checked.contains(&origin) {
                checked.push(origin);
            }
        }
        let record = EmbedOrigins { origins: checked };
        self.inner
            .store
            .embed_origins
            .insert(organizer.to_bytes(), codec::write(&record))
            .map_err(StoreError::from)?;
        self.inner.store.durable()?;
        Ok(record.origins)
    }

    /// The origins that may frame `organizer`'s widgets (none unless they listed some).
    pub fn embed_origins(&self, organizer: UserId) -> Result<Vec<String>, EventError> {
        let stored: Option<EmbedOrigins> =
            codec::get(&self.inner.store.embed_origins, &organizer.to_bytes())?;
        Ok(stored.unwrap_or_default().origins)
    }

    /// The origins that may frame the widget of `event`: its organizer's.
    pub fn embed_origins_for_event(&self, event: EventId) -> Result<Vec<String>, EventError> {
        let sale = event_record::sale_state(&self.inner.store, event)?
            .ok_or(CommonError::NotFound(Subject::Event))?;
        self.embed_origins(sale.organizer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_scheme_host_and_port_only() {
        for (given, stored) in [
            ("https://Venue.Example/", "https://venue.example"),
            ("http://localhost:8000", "http://localhost:8000"),
            ("http://127.0.0.1:9", "http://127.0.0.1:9"),
            ("https://[::1]:8443", "https://[::1]:8443"),
        ] {
            assert_eq!(check_origin(given).as_deref(), Ok(stored), "{given}");
        }
        for refused in [
            "venue.example",
            "ftp://venue.example",
            "https://venue.example/shop",
            "https://*.venue.example",
            "https://venue.example; script-src *",
            "https://venue.example:0",
            "https://venue.example:99999",
            "https://",
            "javascript://x",
            "'self'",
        ] {
            assert!(check_origin(refused).is_err(), "{refused}");
        }
    }
}
