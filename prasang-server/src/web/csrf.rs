//! CSRF protection of every form post.
//!
//! Each browser gets a random id in an HttpOnly cookie; the token put in its forms is the
//! HMAC-SHA256 of that id under a server secret (kept in the data folder, mode 0600). A post
//! must carry the token of its own cookie, which another site can neither read nor forge, and,
//! when the browser says where the post came from (`Origin`, else `Referer`), come from this
//! server.

use std::io::Write;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use hyper::header::{HOST, HeaderMap, HeaderValue, ORIGIN, REFERER};
use prasang_core::Timestamp;
use rand::RngCore;
use sha2::Sha256;

use super::error::WebError;
use super::form::Form;
use super::session::{cookie, set_cookie};

/// Name of the form field that carries the token.
pub(crate) const FIELD: &str = "csrf";
/// Name of the cookie holding the browser id.
const COOKIE: &str = "prasang_browser";

pub(crate) struct Csrf {
    secret: [u8; 32],
}

impl Csrf {
    /// Reads the secret from `file`, creating it (0600) with a random one when missing;
    /// without a file, a random secret for this process.
    pub(crate) fn new(file: Option<&Path>) -> std::io::Result<Csrf> {
        let mut secret = [0u8; 32];
        match file {
            None => rand::thread_rng().fill_bytes(&mut secret),
            Some(path) => match std::fs::read(path) {
                Ok(bytes) if bytes.len() == 32 => secret.copy_from_slice(&bytes),
                Ok(_) => {
                    return Err(std::io::Error::other(format!(
                        "{} is not a 32-byte web secret; delete it to make a new one",
                        path.display()
                    )));
                }
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                    rand::thread_rng().fill_bytes(&mut secret);
                    if let Some(folder) = path.parent() {
                        std::fs::create_dir_all(folder)?;
                    }
                    let mut options = std::fs::OpenOptions::new();
                    options.write(true).create_new(true);
                    #[cfg(unix)]
                    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
                    options.open(path)?.write_all(&secret)?;
                }
                Err(error) => return Err(error),
            },
        }
        Ok(Csrf { secret })
    }

    fn mac(&self) -> Hmac<Sha256> {
        <Hmac<Sha256> as Mac>::new_from_slice(&self.secret).expect("HMAC takes any key length")
    }

    /// The token of a browser id.
    pub(crate) fn token(&self, browser: &str) -> String {
        let mut mac = self.mac();
        mac.update(b"prasang-csrf:");
        mac.update(browser.as_bytes());
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }

    /// The token of the booking widget of `event` in hour `hour` (since the Unix epoch):
    /// `{hour}.{HMAC(secret, event, hour)}`. A widget in a cross-site frame gets no cookie, so
    /// its token is bound to what it books and when, not to a browser; its posts must also
    /// come from this site (see [`Csrf::check_widget`]).
    fn widget_token_at(&self, event: &str, hour: i64) -> String {
        let mut mac = self.mac();
        mac.update(b"prasang-widget:");
        mac.update(event.as_bytes());
        mac.update(b":");
        mac.update(&hour.to_be_bytes());
        format!(
            "{hour}.{}",
            URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
        )
    }

    /// The token a widget page of `event` shown at `now` puts in its form.
    pub(crate) fn widget_token(&self, event: &str, now: Timestamp) -> String {
        self.widget_token_at(event, hour_of(now))
    }

    /// Refuses a widget post unless it comes from this site (the framed page itself: a venue
    /// site or any other can not post it) and carries a token of this event; a token from this
    /// hour or the one before is [`WidgetPost::Fresh`], an older one [`WidgetPost::Stale`] (the
    /// widget shows its form again rather than book from a page left open for hours).
    pub(crate) fn check_widget(
        &self,
        headers: &HeaderMap,
        form: &Form,
        event: &str,
        now: Timestamp,
    ) -> Result<WidgetPost, WebError> {
        if !same_origin(headers) {
            return Err(WebError::Csrf);
        }
        let sent = form.get(FIELD);
        let hour = sent
            .split_once('.')
            .and_then(|(hour, _)| hour.parse::<i64>().ok())
            .ok_or(WebError::Csrf)?;
        let current = hour_of(now);
        if hour > current {
            return Err(WebError::Csrf);
        }
        constant_time_eq(sent, &self.widget_token_at(event, hour))?;
        Ok(if hour >= current - 1 {
            WidgetPost::Fresh
        } else {
            WidgetPost::Stale
        })
    }
}

/// A widget post that passed [`Csrf::check_widget`].
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum WidgetPost {
    /// From a page shown within the last hour or two: served.
    Fresh,
    /// From a page shown longer ago: not served, the widget is shown again.
    Stale,
}

/// Hours since the Unix epoch.
fn hour_of(at: Timestamp) -> i64 {
    at.as_millis().div_euclid(3_600_000)
}

/// `Ok` when `sent` is `expected`, compared in constant time (the lengths are public).
fn constant_time_eq(sent: &str, expected: &str) -> Result<(), WebError> {
    let (sent, expected) = (sent.as_bytes(), expected.as_bytes());
    let equal = sent.len() == expected.len()
        && sent
            .iter()
            .zip(expected)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
    if equal { Ok(()) } else { Err(WebError::Csrf) }
}

/// This browser's id from its cookie, or a new one (then set as a cookie).
pub(crate) fn browser_id(
    headers: &HeaderMap,
    secure: bool,
    cookies: &mut Vec<HeaderValue>,
) -> String {
    if let Some(id) = cookie(headers, COOKIE).filter(|id| id.len() == 43) {
        return id.to_owned();
    }
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    let id = URL_SAFE_NO_PAD.encode(bytes);
    cookies.push(set_cookie(COOKIE, &id, secure, None));
    id
}

/// Refuses a post without this browser's token or from another origin.
pub(crate) fn check(headers: &HeaderMap, form: &Form, expected: &str) -> Result<(), WebError> {
    if !same_origin(headers) {
        return Err(WebError::Csrf);
    }
    constant_time_eq(form.get(FIELD), expected)
}

/// Whether `Origin` (or, without it, `Referer`) names this server's host; a request with
/// neither relies on the token alone.
fn same_origin(headers: &HeaderMap) -> bool {
    let Some(host) = headers.get(HOST).and_then(|h| h.to_str().ok()) else {
        return false;
    };
    let source = headers
        .get(ORIGIN)
        .or_else(|| headers.get(REFERER))
        .and_then(|v| v.to_str().ok());
    let Some(source) = source else {
        return true;
    };
    let rest = source
        .strip_prefix("http://")
        .or_else(|| source.strip_prefix("https://"));
    rest.map(|rest| rest.split('/').next().unwrap_or(""))
        .is_some_and(|origin_host| origin_host.eq_ignore_ascii_case(host))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn origin_must_be_this_host() {
        let from = |name: &'static str, value: &'static str| {
            same_origin(&headers(&[("host", "a:1"), (name, value)]))
        };
        assert!(from("origin", "http://a:1"));
        assert!(!from("origin", "http://evil:1"));
        assert!(!from("origin", "null"));
        assert!(from("referer", "http://a:1/x"));
        assert!(!from("referer", "http://a:10/x"));
    }

    #[test]
    fn a_token_belongs_to_one_browser_and_one_secret() {
        let csrf = Csrf::new(None).unwrap();
        let form = |t: &str| Form::parse(format!("csrf={t}").as_bytes());
        let host = headers(&[("host", "a")]);
        let token = csrf.token("browser-1");
        assert!(check(&host, &form(&token), &token).is_ok());
        assert!(check(&host, &form(&csrf.token("browser-2")), &token).is_err());
        assert!(check(&host, &form(""), &token).is_err());
        assert_ne!(Csrf::new(None).unwrap().token("browser-1"), token);
    }

    #[test]
    fn a_widget_token_belongs_to_one_event_and_two_hours() {
        let csrf = Csrf::new(None).unwrap();
        let hour = 3_600_000;
        let at = |ms: i64| Timestamp::from_millis(1_900_000_000_000 / hour * hour + ms);
        let token = csrf.widget_token("7", at(0));
        let form = Form::parse(format!("csrf={token}").as_bytes());
        let here = headers(&[("host", "a:1"), ("origin", "http://a:1")]);
        let answer = |at| csrf.check_widget(&here, &form, "7", at).ok();
        assert_eq!(answer(at(0)), Some(WidgetPost::Fresh));
        assert_eq!(answer(at(2 * hour - 1)), Some(WidgetPost::Fresh));
        assert_eq!(answer(at(2 * hour)), Some(WidgetPost::Stale));
        assert_eq!(answer(at(-1)), None, "a token from a later hour");
        assert!(csrf.check_widget(&here, &form, "8", at(0)).is_err());
        let venue = headers(&[("host", "a:1"), ("origin", "http://venue:1")]);
        assert!(csrf.check_widget(&venue, &form, "7", at(0)).is_err());
        // A token from a later hour, a forged one, none at all.
        let later = csrf.widget_token("7", at(hour));
        let later = Form::parse(format!("csrf={later}").as_bytes());
        assert!(csrf.check_widget(&here, &later, "7", at(0)).is_err());
        for forged in ["", "csrf=x", "csrf=527777.AAAA"] {
            let form = Form::parse(forged.as_bytes());
            assert!(
                csrf.check_widget(&here, &form, "7", at(0)).is_err(),
                "{forged}"
            );
        }
    }
}
