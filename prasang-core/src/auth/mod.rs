//! Authentication: logins, EdDSA access tokens, rotating refresh tokens, and the [`Actor`] every
//! rights-checked operation takes.

mod claims;
pub(crate) mod generation;
pub(crate) mod keys;
pub(crate) mod known;
pub(crate) mod refresh;

pub use claims::Claims;

use jsonwebtoken::{Algorithm, Header, Validation};
use serde::Serialize;

use crate::context::Context;
use crate::error::{CommonError, ErrorInfo, Subject, domain_error};
use crate::ids::UserId;
use crate::store::StoreError;
use crate::time::Timestamp;
use crate::users::record::{self as user_record, Role, User, UserRecord};
use crate::validate;

/// Who is calling: a verified user and their role. Every rights check of the core asks the
/// actor, so its fields are private: an actor comes only from [`Auth::verify`] (a bearer
/// token) or, in a trusted embedding that authenticates users itself, from
/// [`Auth::trusted_actor`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    user_id: UserId,
    role: Role,
}

impl Actor {
    pub(crate) fn new(user_id: UserId, role: Role) -> Self {
        Actor { user_id, role }
    }

    /// The user acting.
    pub fn user_id(&self) -> UserId {
        self.user_id
    }

    /// Their role (when the token was issued, for actors from a token).
    pub fn role(&self) -> Role {
        self.role
    }

    /// Whether the actor is an admin.
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// Whether the actor may put events on sale (organizers and admins).
    pub fn can_organize(&self) -> bool {
        matches!(self.role, Role::Organizer | Role::Admin)
    }

    /// Whether the actor may manage what `organizer` owns: the organizer themself, or an admin.
    pub fn can_manage(&self, organizer: UserId) -> bool {
        self.is_admin() || (self.role == Role::Organizer && self.user_id == organizer)
    }

    /// Whether the actor may see or change the account `user`: its owner, or an admin.
    pub fn can_access_account(&self, user: UserId) -> bool {
        self.is_admin() || self.user_id == user
    }

    /// Refuses with `CommonError::Forbidden(reason)` unless the actor is an admin.
    pub(crate) fn require_admin(&self, reason: &'static str) -> Result<(), CommonError> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(CommonError::Forbidden(reason))
        }
    }
}

/// How far ahead of our clock a token's issue time may be (clocks of a cluster drift a little).
const CLOCK_SKEW_SECS: i64 = 60;

/// Tokens handed out by a login or a refresh.
#[derive(Debug, Clone, Serialize)]
pub struct Session {
    /// Short-lived EdDSA JWT for the `Authorization: Bearer` header.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// Opaque, single-use token that buys the next session.
    pub refresh_token: String,
    /// The logged-in user.
    pub user: User,
}

/// Errors of the auth API.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Wrong e-mail or password (deliberately not saying which).
    #[error("wrong e-mail or password")]
    InvalidCredentials,
    /// The token is malformed, forged, or not one of ours.
    #[error("the token is invalid")]
    InvalidToken,
    /// The access or refresh token has expired.
    #[error("the token has expired")]
    TokenExpired,
    /// A refresh token was used twice: the whole session has been revoked.
    #[error(
        "this refresh token was already used; the session has been revoked, please log in again"
    )]
    RefreshReused,
    /// The session was logged out or revoked.
    #[error("the session has ended, please log in again")]
    SessionRevoked,
    /// Too many passwords are being checked at once; try again in a few seconds.
    #[error("the server is busy; please try again in a few seconds")]
    Busy,
    /// Shared refusals and failures (unknown user, storage).
    #[error(transparent)]
    Common(#[from] CommonError),
}

domain_error!(AuthError {
    AuthError::InvalidCredentials => ErrorInfo::new(Unauthorized, "invalid-credentials", "Login failed"),
    AuthError::InvalidToken => ErrorInfo::new(Unauthorized, "invalid-token", "Invalid token"),
    AuthError::TokenExpired => ErrorInfo::new(Unauthorized, "token-expired", "Token expired"),
    AuthError::RefreshReused => ErrorInfo::new(Unauthorized, "refresh-reused", "Refresh token reused"),
    AuthError::SessionRevoked => ErrorInfo::new(Unauthorized, "session-revoked", "Session ended"),
    AuthError::Busy => ErrorInfo::new(Unavailable, "busy", "Server busy"),
});

/// Logins and tokens. Obtained from [`crate::Prasang::auth`].
pub struct Auth<'a> {
    pub(crate) inner: &'a Context,
}

impl Auth<'_> {
    /// Checks e-mail and password and starts a session.
    pub fn login(&self, email: &str, password: &str) -> Result<Session, AuthError> {
        let store = &self.inner.store;
        let record = match validate::email(email) {
            Ok(normalised) => match user_record::id_by_email(store, &normalised)? {
                Some(id) => user_record::load(store, id)?,
                None => None,
            },
            Err(_) => None,
        };
        let hashing = &self.inner.hashing;
        // A guest account has no password: it signs in with e-mailed links only.
        let Some(record) = record.filter(|record| !record.is_guest()) else {
            // Spend the same time as a wrong password so logins do not reveal which e-mails exist.
            let dummy = self
                .inner
                .dummy_password_hash()
                .map_err(|_| AuthError::Busy)?;
            hashing
                .verify(password, dummy)
                .map_err(|_| AuthError::Busy)?;
            return Err(AuthError::InvalidCredentials);
        };
        if !hashing
            .verify(password, &record.password_hash)
            .map_err(|_| AuthError::Busy)?
        {
            return Err(AuthError::InvalidCredentials);
        }
        self.start_session(&record)
    }

    /// Starts a session for the account `record`, whose owner has been proven (by password, or
    /// by a guest's sign-in link).
    pub(crate) fn start_session(&self, record: &UserRecord) -> Result<Session, AuthError> {
        let sessions_version = self.inner.known_tokens.sessions_version();
        let (refresh_token, family) = refresh::start_family(self.inner, record.id)?;
        self.session(record.to_api(), refresh_token, family, sessions_version)
    }

    /// Trades a refresh token for a new session. Each refresh token works once: presenting a used
    /// one again revokes every token of that session (someone has a stolen copy).
    pub fn refresh(&self, refresh_token: &str) -> Result<Session, AuthError> {
        let sessions_version = self.inner.known_tokens.sessions_version();
        let (user_id, new_token, family) = refresh::rotate(self.inner, refresh_token)?;
        let record =
            user_record::load(&self.inner.store, user_id)?.ok_or(AuthError::InvalidToken)?;
        self.session(record.to_api(), new_token, family, sessions_version)
    }

    /// Ends the session the refresh token belongs to; its access tokens stop working too.
    pub fn logout(&self, refresh_token: &str) -> Result<(), AuthError> {
        refresh::revoke_by_token(self.inner, refresh_token)
    }

    /// Verifies a bearer access token (signature, issuer, expiry, session) into an [`Actor`].
    ///
    /// The signature is checked once per token (see `auth::known`); the rest on every call.
    pub fn verify(&self, access_token: &str) -> Result<Actor, AuthError> {
        let now = self.inner.now().as_secs();
        let known = &self.inner.known_tokens;
        // Read before the store is: a session ended after this read moves the version on.
        let sessions_version = known.sessions_version();
        let (claims, session_alive) = match known.get(access_token, sessions_version) {
            Some(found) => found,
            None => {
                let claims = self.check_signature(access_token)?;
                known.remember(access_token, &claims, now, None);
                (claims, false)
            }
        };
        if claims.exp <= now {
            return Err(AuthError::TokenExpired);
        }
        // A token from the future was not issued by this clock; one not yet valid is not valid.
        let latest_start = now + CLOCK_SKEW_SECS;
        if claims.iat > latest_start || claims.nbf.is_some_and(|nbf| nbf > latest_start) {
            return Err(AuthError::InvalidToken);
        }
        let user_id = claims.sub.parse().map_err(|_| AuthError::InvalidToken)?;
        if !session_alive {
            if refresh::family_revoked(self.inner, &claims.sid)?
                || claims.generation != generation::current(&self.inner.store, user_id)?
            {
                return Err(AuthError::SessionRevoked);
            }
            known.session_alive(access_token, sessions_version);
        }
        Ok(Actor::new(user_id, claims.role))
    }

    /// The claims of `access_token` if it carries our signature and issuer.
    fn check_signature(&self, access_token: &str) -> Result<Claims, AuthError> {
        self.inner.known_tokens.checked_one();
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_issuer(&[self.inner.config.issuer.as_str()]);
        // Expiry is checked by `verify` against the store's clock so that it is testable.
        validation.validate_exp = false;
        validation.set_required_spec_claims(&["exp", "iss", "sub"]);
        jsonwebtoken::decode::<Claims>(access_token, &self.inner.keys.decoding, &validation)
            .map(|data| data.claims)
            .map_err(|_| AuthError::InvalidToken)
    }

    /// The public signing keys as a JWKS document (serve it at `/.well-known/jwks.json`).
    pub fn jwks(&self) -> serde_json::Value {
        self.inner.keys.jwks()
    }

    /// An actor for a user, with the role the account has now, for trusted embedders that
    /// authenticate users themselves (and for tests). Nothing is checked but that the user
    /// exists: whoever can call this holds the store.
    pub fn trusted_actor(&self, user_id: UserId) -> Result<Actor, AuthError> {
        let record = user_record::load(&self.inner.store, user_id)?
            .ok_or(CommonError::NotFound(Subject::User))?;
        Ok(Actor::new(user_id, record.role))
    }

    /// An admin actor that stands for the embedding application itself rather than for a user
    /// account: for trusted maintenance code that holds the store (integrity checks, log
    /// exporters, tests). It has no account, so it is no organizer of anything it creates.
    pub fn system_actor(&self) -> Actor {
        Actor::new(UserId::SYSTEM, Role::Admin)
    }

    fn session(
        &self,
        user: User,
        refresh_token: String,
        family: String,
        sessions_version: u64,
    ) -> Result<Session, AuthError> {
        let now = self.inner.now();
        let ttl = self.inner.config.access_token_ttl;
        let generation = generation::current(&self.inner.store, user.id)?;
        let claims = Claims {
            sub: user.id.to_string(),
            role: user.role,
            exp: now.plus(ttl).as_secs(),
            iat: now.as_secs(),
            jti: ulid::Ulid::new().to_string(),
            iss: self.inner.config.issuer.clone(),
            sid: family,
            generation,
            nbf: None,
        };
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.inner.keys.kid.clone());
        let access_token = jsonwebtoken::encode(&header, &claims, &self.inner.keys.encoding)
            .map_err(|e| StoreError::Signing(e.to_string()))?;
        // Signed here, so its signature is good; its session was alive (just started or rotated)
        // and its generation read after `sessions_version` was: its first request reads
        // neither, unless a session ended since.
        self.inner.known_tokens.remember(
            &access_token,
            &claims,
            now.as_secs(),
            Some(sessions_version),
        );
        Ok(Session {
            access_token,
            token_type: "Bearer",
            expires_in: ttl.as_secs(),
            refresh_token,
            user,
        })
    }
}

/// The instant a token issued now expires.
pub(crate) fn expiry_after(now: Timestamp, ttl: std::time::Duration) -> Timestamp {
    now.plus(ttl)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::register;
    use crate::users::PasswordCost;
    use crate::{Config, Prasang};

    fn store() -> Prasang {
        Prasang::open(Config::temporary().password_cost(PasswordCost::INSECURE_FAST)).expect("open")
    }

    fn login(prasang: &Prasang, name: &str) -> Session {
        register(prasang, name, Role::Attendee);
        let password = format!("{name} has a long password");
        prasang
            .auth()
            .login(&format!("{name}@example.org"), &password)
            .expect("login")
    }

    #[test]
    fn a_token_signed_here_needs_no_signature_check_and_others_need_one() {
        let here = store();
        let session = login(&here, "ada");
        let known = &here.inner.ctx.known_tokens;
        let checks = known.signature_checks();
        here.auth().verify(&session.access_token).expect("valid");
        assert_eq!(known.signature_checks(), checks, "signed here: known");

        // A restarted server has forgotten it: one check, then it is known.
        known.claims.lock().clear();
        here.auth().verify(&session.access_token).expect("valid");
        here.auth().verify(&session.access_token).expect("valid");
        assert_eq!(known.signature_checks(), checks + 1);

        // Refusals are not remembered: a forgery is checked (and refused) every time.
        let elsewhere = store();
        let foreign = login(&elsewhere, "eve");
        for _ in 0..2 {
            let refused = here.auth().verify(&foreign.access_token);
            assert!(
                matches!(refused, Err(AuthError::InvalidToken)),
                "{refused:?}"
            );
        }
        assert_eq!(known.signature_checks(), checks + 3);
    }

    #[test]
    fn a_known_token_still_ends_with_its_session() {
        let prasang = store();
        let session = login(&prasang, "ada");
        let auth = prasang.auth();
        auth.verify(&session.access_token).expect("valid");
        auth.logout(&session.refresh_token).expect("logout");
        let after = auth.verify(&session.access_token);
        assert!(matches!(after, Err(AuthError::SessionRevoked)), "{after:?}");
    }
}
