//! The signed-in user: the core's session (access + refresh token) in an HttpOnly cookie.
//!
//! Each page verifies the access token with the core (or finds it in the server's short-lived
//! cache of verified tokens, as the REST gateway does); when it has expired or was revoked, the
//! refresh token is traded for a new session once, transparently. Whatever the core refuses
//! (logout, a reused refresh token revoking its family, a role or password change ending older
//! tokens) ends the cookie's session too.

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hyper::header::{COOKIE, HeaderMap, HeaderValue};
use prasang_core::auth::{Actor, AuthError, Session};
use prasang_core::users::User;

use crate::request::blocking;
use crate::state::State;

const SESSION_COOKIE: &str = "prasang_session";

/// A signed-in user.
pub(crate) struct SignedIn {
    /// Who the core says they are.
    pub(crate) actor: Actor,
    /// Their account.
    pub(crate) user: User,
    /// The session's refresh token (what logout revokes).
    pub(crate) refresh_token: String,
}

/// A cookie's value from the request's `Cookie` headers.
pub(crate) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Lax, whole site, `Secure` when asked;
/// `max_age` 0 deletes it, `None` keeps it for the browser session.
pub(crate) fn set_cookie(
    name: &str,
    value: &str,
    secure: bool,
    max_age: Option<u64>,
) -> HeaderValue {
    let mut text = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if secure {
        text.push_str("; Secure");
    }
    if let Some(seconds) = max_age {
        text.push_str(&format!("; Max-Age={seconds}"));
    }
    // Both tokens are base64url and dots, so the value is always a valid header.
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static("invalid=; Max-Age=0"))
}

/// The cookie that holds `session`.
pub(crate) fn start(session: &Session, secure: bool) -> HeaderValue {
    let value = format!(
        "{}~{}",
        session.access_token,
        URL_SAFE_NO_PAD.encode(&session.refresh_token)
    );
    set_cookie(SESSION_COOKIE, &value, secure, None)
}

/// The cookie that ends the session in the browser.
pub(crate) fn end(secure: bool) -> HeaderValue {
    set_cookie(SESSION_COOKIE, "", secure, Some(0))
}

fn decode(value: &str) -> Option<(String, String)> {
    let (access, refresh) = value.split_once('~')?;
    let refresh = String::from_utf8(URL_SAFE_NO_PAD.decode(refresh).ok()?).ok()?;
    Some((access.to_owned(), refresh))
}

/// The signed-in user of a request, refreshing an expired session (the new cookie, or one
/// that clears a dead session, is pushed onto `cookies`).
pub(crate) async fn resume(
    state: &Arc<State>,
    secure: bool,
    headers: &HeaderMap,
    cookies: &mut Vec<HeaderValue>,
) -> Option<SignedIn> {
    let value = cookie(headers, SESSION_COOKIE)?;
    let Some((access, refresh)) = decode(value) else {
        cookies.push(end(secure));
        return None;
    };
    let (actor, refresh) = match verify(state, &access) {
        Some(actor) => (actor, refresh),
        None => {
            let outcome = blocking(&state.prasang, move |p| {
                Ok::<_, AuthError>(p.auth().refresh(&refresh))
            })
            .await
            .ok()?;
            match outcome {
                Ok(session) => {
                    cookies.push(start(&session, secure));
                    let actor = verify(state, &session.access_token)?;
                    (actor, session.refresh_token)
                }
                Err(_) => {
                    cookies.push(end(secure));
                    return None;
                }
            }
        }
    };
    let user = state.prasang.users().get(&actor, actor.user_id()).ok()?;
    Some(SignedIn {
        actor,
        user,
        refresh_token: refresh,
    })
}

/// The actor of an access token the core accepts now (checked on the async worker: the core
/// remembers tokens it signed or checked, so this is mostly in-memory work).
fn verify(state: &State, access: &str) -> Option<Actor> {
    state.prasang.auth().verify(access).ok()
}
