//! User accounts: registration, profiles, roles.

pub(crate) mod password;
pub(crate) mod record;

use serde::Deserialize;

pub(crate) use password::Busy;
pub use password::{HashingLimits, PasswordCost};
pub(crate) use record::UserRecord;
pub use record::{Gender, Role, User};

use crate::auth::{Actor, generation, refresh};
use crate::context::Context;
use crate::error::{CommonError, ErrorInfo, Subject, domain_error};
use crate::ids::UserId;
use crate::limits;
use crate::log::{self, DomainEvent};
use crate::paging::{self, Page, PageRequest};
use crate::store::{StoreError, abort, codec, finish, read_in_tx};
use crate::validate::{self, FieldError};

/// A registration request.
#[derive(Debug, Clone, Deserialize)]
pub struct NewUser {
    /// Display name, 1–100 characters.
    pub name: String,
    /// E-mail address; stored lower-cased and must be unique.
    pub email: String,
    /// 8–256 characters.
    pub password: String,
    /// For demographic analytics.
    pub gender: Gender,
    /// Age in years, 13–120.
    pub age: i64,
    /// `attendee` or `organizer` (admins are made with [`Users::create_admin`]).
    #[serde(default = "default_role")]
    pub role: Role,
}

fn default_role() -> Role {
    Role::Attendee
}

/// Changes to a profile; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileUpdate {
    /// New display name.
    pub name: Option<String>,
    /// New e-mail address (must still be unique).
    pub email: Option<String>,
    /// New password.
    pub password: Option<String>,
    /// New gender.
    pub gender: Option<Gender>,
    /// New age.
    pub age: Option<i64>,
}

/// Errors of the users API.
#[derive(Debug, thiserror::Error)]
pub enum UserError {
    /// Another account already uses this e-mail address.
    #[error("an account with this e-mail address already exists")]
    EmailTaken,
    /// The address bought tickets as a guest: a sign-in link was sent to it, which opens the
    /// guest account to set a password (keeping its tickets).
    #[error(
        "this address has tickets bought without an account: open the sign-in link we e-mailed \
         to it to set a password and keep them"
    )]
    GuestAccount,
    /// Password hashing failed.
    #[error("password hashing failed")]
    Hashing,
    /// Too many passwords are being checked at once; try again in a few seconds.
    #[error("the server is busy; please try again in a few seconds")]
    Busy,
    /// Shared refusals and failures: invalid field, user not found, forbidden, storage.
    #[error(transparent)]
    Common(#[from] CommonError),
}

domain_error!(UserError {
    UserError::EmailTaken => ErrorInfo::new(Conflict, "email-taken", "E-mail already registered"),
    UserError::GuestAccount => ErrorInfo::new(Conflict, "guest-account", "E-mail used for guest tickets"),
    UserError::Hashing => ErrorInfo::new(Internal, "internal", "Internal error"),
    UserError::Busy => ErrorInfo::new(Unavailable, "busy", "Server busy"),
});

/// The refusal for an account the caller may not see: the same as for one that does not exist,
/// so ids cannot be probed.
pub(crate) const NO_SUCH_USER: CommonError = CommonError::NotFound(Subject::User);

struct ValidUser {
    name: String,
    email: String,
    password: String,
    gender: Gender,
    age: u8,
}

/// Passwords are taken as typed (no trimming), so only their length is checked.
fn check_password(password: &str) -> Result<String, FieldError> {
    let length = password.chars().count() as i64;
    let limit = limits::PASSWORD;
    if !limit.contains(length) {
        return Err(FieldError::new(
            limit.field,
            format!("must be between {} and {} characters", limit.min, limit.max),
        ));
    }
    Ok(password.to_owned())
}

fn check_age(age: i64) -> Result<u8, FieldError> {
    validate::in_range(&limits::AGE, age)
}

fn check_name(name: &str) -> Result<String, FieldError> {
    validate::text(&limits::USER_NAME, name, false)
}

/// Whether `email` (normalised) is the address of a guest account.
fn is_guest_address(ctx: &Context, email: &str) -> Result<bool, StoreError> {
    Ok(match record::id_by_email(&ctx.store, email)? {
        Some(id) => record::load(&ctx.store, id)?.is_some_and(|record| record.is_guest()),
        None => false,
    })
}

/// What a guest gives to become a normal account, checked.
pub(crate) struct ValidRegistration {
    pub(crate) password: String,
    pub(crate) gender: Gender,
    pub(crate) age: u8,
}

/// Checks the password, gender and age a guest gives when setting a password.
pub(crate) fn check_registration(
    password: &str,
    gender: Gender,
    age: i64,
) -> Result<ValidRegistration, FieldError> {
    Ok(ValidRegistration {
        password: check_password(password)?,
        gender,
        age: check_age(age)?,
    })
}

/// Hashes a password with the store's cost (refused while too many are being hashed).
pub(crate) fn hash_password(ctx: &Context, password: &str) -> Result<String, UserError> {
    match ctx.hashing.hash(password) {
        Ok(hashed) => hashed.map_err(|_| UserError::Hashing),
        Err(Busy) => Err(UserError::Busy),
    }
}

impl NewUser {
    fn validate(&self) -> Result<ValidUser, FieldError> {
        Ok(ValidUser {
            name: check_name(&self.name)?,
            email: validate::email(&self.email)?,
            password: check_password(&self.password)?,
            gender: self.gender,
            age: check_age(self.age)?,
        })
    }
}

/// User accounts. Obtained from [`crate::Prasang::users`].
pub struct Users<'a> {
    pub(crate) inner: &'a Context,
}

impl Users<'_> {
    /// Creates an attendee or organizer account.
    ///
    /// ```
    /// # use prasang_core::{Prasang, Config, users::{NewUser, Gender, Role}};
    /// let prasang = Prasang::open(Config::temporary())?;
    /// let ada = prasang.users().register(NewUser {
    ///     name: "Ada".into(), email: "Ada@Example.org".into(), password: "analytical engine".into(),
    ///     gender: Gender::Female, age: 36, role: Role::Organizer,
    /// })?;
    /// assert_eq!(ada.email, "ada@example.org");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn register(&self, new: NewUser) -> Result<User, UserError> {
        if new.role == Role::Admin {
            return Err(CommonError::Forbidden("admin accounts cannot be self-registered").into());
        }
        let role = new.role;
        let email = validate::email(&new.email).ok();
        match (self.insert(new, role), email) {
            (Err(UserError::EmailTaken), Some(email)) if is_guest_address(self.inner, &email)? => {
                crate::guests::access::send_link(self.inner, &email)?;
                Err(UserError::GuestAccount)
            }
            (result, _) => result,
        }
    }

    /// Creates an admin account. Only for the embedding application (e.g. a bootstrap command):
    /// there is no caller check because whoever holds the store is trusted.
    pub fn create_admin(&self, new: NewUser) -> Result<User, UserError> {
        self.insert(new, Role::Admin)
    }

    fn insert(&self, new: NewUser, role: Role) -> Result<User, UserError> {
        let valid = new.validate()?;
        let password_hash = self.hash_password(&valid.password)?;
        let user = UserRecord {
            id: UserId::generate(),
            name: valid.name,
            email: valid.email,
            role,
            gender: valid.gender,
            age: valid.age,
            created_at: self.inner.now(),
            password_hash,
        };
        let record = codec::write(&user);
        let store = &self.inner.store;
        let at = user.created_at;
        finish::<_, UserError>(store.transaction(
            (&store.users, &store.users_by_email, &store.log),
            |(users, by_email, log)| {
                if by_email.get(user.email.as_bytes())?.is_some() {
                    return Err(abort(UserError::EmailTaken));
                }
                by_email.insert(user.email.as_bytes(), &user.id.to_bytes())?;
                users.insert(&user.id.to_bytes(), record.as_slice())?;
                let event = DomainEvent::UserRegistered {
                    user: user.id,
                    role,
                    gender: user.gender,
                    age: user.age,
                };
                log::append(log, at, &event)?;
                Ok(())
            },
        ))?;
        self.inner.committed_with_log()?;
        Ok(user.to_api())
    }

    /// The caller's own account, or any account for an admin.
    pub fn get(&self, actor: &Actor, id: UserId) -> Result<User, UserError> {
        if !actor.can_access_account(id) {
            return Err(NO_SUCH_USER.into());
        }
        Ok(record::load(&self.inner.store, id)?
            .ok_or(NO_SUCH_USER)?
            .to_api())
    }

    /// Finds an account by e-mail (admins only).
    pub fn find_by_email(&self, actor: &Actor, email: &str) -> Result<User, UserError> {
        actor.require_admin("only admins can look up accounts")?;
        let normalised = validate::email(email)?;
        let id = record::id_by_email(&self.inner.store, &normalised)?.ok_or(NO_SUCH_USER)?;
        Ok(record::load(&self.inner.store, id)?
            .ok_or(NO_SUCH_USER)?
            .to_api())
    }

    /// Accounts whose name or e-mail contains `text` (case-insensitive; every account when it is
    /// empty), in id order (oldest first), a page at a time (admins only).
    pub fn search(
        &self,
        actor: &Actor,
        text: &str,
        page: &PageRequest,
    ) -> Result<Page<User>, UserError> {
        actor.require_admin("only admins can list accounts")?;
        let needle = validate::text(&limits::SEARCH_TEXT, text, false)?.to_lowercase();
        let found = paging::scan(&self.inner.store.users, &[], &[], page, |key| {
            let Ok(bytes) = <[u8; 16]>::try_from(key) else {
                return Ok(None);
            };
            let Some(record) = record::load(&self.inner.store, UserId::from_bytes(bytes))? else {
                return Ok(None);
            };
            let matches = needle.is_empty()
                || record.name.to_lowercase().contains(&needle)
                || record.email.to_lowercase().contains(&needle);
            Ok(matches.then(|| record.to_api()))
        })
        .map_err(CommonError::from)?;
        Ok(found)
    }

    /// Changes a profile: the user themself or an admin. A new password ends every session of
    /// the user (their access and refresh tokens stop working), so each device logs in again
    /// with the new password.
    pub fn update_profile(
        &self,
        actor: &Actor,
        id: UserId,
        update: ProfileUpdate,
    ) -> Result<User, UserError> {
        if !actor.can_access_account(id) {
            return Err(NO_SUCH_USER.into());
        }
        let name = update.name.as_deref().map(check_name).transpose()?;
        let email = update.email.as_deref().map(validate::email).transpose()?;
        let age = update.age.map(check_age).transpose()?;
        let password_hash = match update.password.as_deref() {
            Some(password) => Some(self.hash_password(&check_password(password)?)?),
            None => None,
        };
        let store = &self.inner.store;
        let at = self.inner.now();
        let user = finish::<_, UserError>(store.transaction(
            (
                &store.users,
                &store.users_by_email,
                &store.token_generations,
                &store.log,
            ),
            |(users, by_email, generations, log)| {
                let bytes = users
                    .get(id.to_bytes())?
                    .ok_or_else(|| abort(NO_SUCH_USER))?;
                let mut record: UserRecord = read_in_tx(&bytes)?;
                if let Some(email) = &email
                    && *email != record.email
                {
                    if by_email.get(email.as_bytes())?.is_some() {
                        return Err(abort(UserError::EmailTaken));
                    }
                    by_email.remove(record.email.as_bytes())?;
                    by_email.insert(email.as_bytes(), &id.to_bytes())?;
                    record.email = email.clone();
                }
                if let Some(name) = &name {
                    record.name = name.clone();
                }
                if let Some(gender) = update.gender {
                    record.gender = gender;
                }
                if let Some(age) = age {
                    record.age = age;
                }
                if let Some(hash) = &password_hash {
                    record.password_hash = hash.clone();
                    generation::advance(generations, id)?;
                }
                users.insert(&id.to_bytes(), codec::write(&record))?;
                log::append(log, at, &DomainEvent::UserUpdated { user: id })?;
                Ok(record.to_api())
            },
        ))?;
        if password_hash.is_some() {
            // The generation moved on: tokens known to be alive must be read again.
            self.inner.known_tokens.sessions_changed();
            refresh::revoke_all(self.inner, id)?;
        }
        self.inner.committed_with_log()?;
        Ok(user)
    }

    /// Gives an account another role (admins only). Their access tokens issued before stop
    /// working at once; a refresh gives them one with the new role.
    pub fn set_role(&self, actor: &Actor, id: UserId, role: Role) -> Result<User, UserError> {
        actor.require_admin("only admins can change roles")?;
        let store = &self.inner.store;
        let at = self.inner.now();
        let user = finish::<_, UserError>(store.transaction(
            (&store.users, &store.token_generations, &store.log),
            |(users, generations, log)| {
                let bytes = users
                    .get(id.to_bytes())?
                    .ok_or_else(|| abort(NO_SUCH_USER))?;
                let mut record: UserRecord = read_in_tx(&bytes)?;
                record.role = role;
                generation::advance(generations, id)?;
                users.insert(&id.to_bytes(), codec::write(&record))?;
                log::append(log, at, &DomainEvent::UserUpdated { user: id })?;
                Ok(record.to_api())
            },
        ))?;
        self.inner.known_tokens.sessions_changed();
        self.inner.committed_with_log()?;
        Ok(user)
    }

    fn hash_password(&self, password: &str) -> Result<String, UserError> {
        hash_password(self.inner, password)
    }
}
