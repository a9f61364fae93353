//! What a Prasang access token says.

use serde::{Deserialize, Serialize};

use crate::users::record::Role;

/// The claims of a Prasang access token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// The user id.
    pub sub: String,
    /// The user's role.
    pub role: Role,
    /// Expiry, seconds since the epoch.
    pub exp: i64,
    /// Issue time, seconds since the epoch.
    pub iat: i64,
    /// Unique token id.
    pub jti: String,
    /// Issuer (the configured issuer name).
    pub iss: String,
    /// The refresh-token family (login session) this token belongs to; logging out revokes it.
    pub sid: String,
    /// The user's token generation when it was issued: a role or password change moves it on
    /// and ends every older token.
    #[serde(default, rename = "gen")]
    pub generation: u64,
    /// Not valid before (seconds since the epoch); our tokens do not set it, but it is honoured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
}
