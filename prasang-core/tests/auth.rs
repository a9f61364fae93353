//! Registration, login, tokens and their abuse.

mod common;

use prasang_core::{CommonError, Subject};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::{World, assert_intact, new_user, sign_in};
use prasang_core::auth::{AuthError, Session};
use prasang_core::users::{ProfileUpdate, Role, UserError};

/// A fresh world in which the attendee Ada has signed in, and her session.
fn ada_session() -> (World, Session) {
    let world = World::new();
    let session = world.signed_in("Ada", Role::Attendee);
    (world, session)
}

#[test]
fn login_returns_a_token_that_verifies_into_the_user() {
    let world = World::new();
    let ada = world.register("Ada", Role::Organizer);
    // Case and surrounding spaces in the e-mail do not matter at login.
    let session = world
        .prasang
        .auth()
        .login("  ADA@example.org ", "Ada has a long password")
        .expect("login");
    assert_eq!(session.token_type, "Bearer");
    assert_eq!(session.expires_in, 15 * 60);
    let actor = world
        .prasang
        .auth()
        .verify(&session.access_token)
        .expect("verify");
    assert_eq!((actor.user_id(), actor.role()), (ada.id, Role::Organizer));
}

#[test]
fn access_tokens_carry_the_documented_claims_and_an_eddsa_header() {
    let (world, session) = ada_session();
    let parts: Vec<&str> = session.access_token.split('.').collect();
    assert_eq!(parts.len(), 3);
    let header: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).expect("b64")).expect("json");
    let claims: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).expect("b64")).expect("json");
    assert_eq!(header["alg"], "EdDSA");
    let jwks = world.prasang.auth().jwks();
    assert_eq!(header["kid"], jwks["keys"][0]["kid"]);
    assert_eq!(jwks["keys"][0]["kty"], "OKP");
    assert_eq!(jwks["keys"][0]["crv"], "Ed25519");
    for claim in ["sub", "role", "exp", "iat", "jti", "iss"] {
        assert!(claims.get(claim).is_some(), "missing claim {claim}");
    }
    assert_eq!(
        claims["exp"].as_i64().expect("exp") - claims["iat"].as_i64().expect("iat"),
        900
    );
    assert_eq!(claims["iss"], "prasang");
}

#[test]
fn wrong_passwords_and_unknown_emails_get_the_same_answer() {
    let world = World::new();
    world.register("Ada", Role::Attendee);
    let wrong = world
        .prasang
        .auth()
        .login("ada@example.org", "not her password");
    let unknown = world
        .prasang
        .auth()
        .login("nobody@example.org", "Ada has a long password");
    let malformed = world.prasang.auth().login("not an email", "whatever");
    for result in [wrong, unknown, malformed] {
        assert_matches!(result, Err(AuthError::InvalidCredentials));
    }
}

#[test]
fn expired_tokens_are_refused() {
    let (world, session) = ada_session();
    world.clock.advance(Duration::from_secs(15 * 60));
    let result = world.prasang.auth().verify(&session.access_token);
    assert_matches!(result, Err(AuthError::TokenExpired));
}

#[test]
fn tampered_forged_and_unsigned_tokens_are_refused() {
    let (world, session) = ada_session();
    let parts: Vec<&str> = session.access_token.split('.').collect();

    // Promote ourselves to admin, keep the signature.
    let mut claims: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).expect("b64")).expect("json");
    claims["role"] = "admin".into();
    let forged_claims = URL_SAFE_NO_PAD.encode(claims.to_string());
    let tampered = format!("{}.{}.{}", parts[0], forged_claims, parts[2]);
    // alg: none with no signature.
    let none_header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
    let unsigned = format!("{none_header}.{forged_claims}.");
    // HS256 "signed" with the public key as an HMAC secret (the classic confusion attack).
    let hs_header = URL_SAFE_NO_PAD.encode(r#"{"alg":"HS256","typ":"JWT"}"#);
    let confused = format!("{hs_header}.{forged_claims}.{}", parts[2]);
    // A token from another Prasang (different signing key).
    let (_other, foreign) = ada_session();

    for token in [
        tampered.as_str(),
        &unsigned,
        &confused,
        &foreign.access_token,
        "",
        "a.b.c",
        "garbage",
    ] {
        let result = world.prasang.auth().verify(token);
        assert!(
            matches!(result, Err(AuthError::InvalidToken)),
            "{token:?} gave {result:?}"
        );
    }
}

#[test]
fn refresh_tokens_rotate_and_reuse_revokes_the_whole_session() {
    let (world, first) = ada_session();
    let auth = world.prasang.auth();
    let second = auth.refresh(&first.refresh_token).expect("rotate");
    assert_ne!(second.refresh_token, first.refresh_token);
    auth.verify(&second.access_token)
        .expect("new access token works");

    // Someone replays the old refresh token: the family dies.
    let reuse = auth.refresh(&first.refresh_token);
    assert_matches!(reuse, Err(AuthError::RefreshReused));
    let after = auth.refresh(&second.refresh_token);
    assert_matches!(after, Err(AuthError::SessionRevoked));
    let access = auth.verify(&second.access_token);
    assert_matches!(access, Err(AuthError::SessionRevoked));

    // Other sessions of the same user are unaffected.
    let other = world.login("Ada");
    auth.verify(&other.access_token)
        .expect("other session works");
    assert!(matches!(
        auth.refresh("made-up-token"),
        Err(AuthError::InvalidToken)
    ));
}

#[test]
fn refresh_tokens_expire() {
    let world = World::with(|c| c.refresh_token_ttl(Duration::from_secs(60)));
    let session = world.signed_in("Ada", Role::Attendee);
    world.clock.advance(Duration::from_secs(61));
    let result = world.prasang.auth().refresh(&session.refresh_token);
    assert_matches!(result, Err(AuthError::TokenExpired));
}

#[test]
fn logout_ends_refresh_and_access_tokens() {
    let (world, session) = ada_session();
    let auth = world.prasang.auth();
    auth.logout(&session.refresh_token).expect("logout");
    assert!(matches!(
        auth.verify(&session.access_token),
        Err(AuthError::SessionRevoked)
    ));
    assert!(matches!(
        auth.refresh(&session.refresh_token),
        Err(AuthError::SessionRevoked)
    ));
}

#[test]
fn emails_are_unique_after_normalising() {
    let world = World::new();
    world.register("Ada", Role::Attendee);
    let mut twin = new_user("Ada", Role::Attendee);
    twin.email = " ADA@Example.Org".into();
    assert!(matches!(
        world.prasang.users().register(twin),
        Err(UserError::EmailTaken)
    ));
}

#[test]
fn registration_checks_every_field() {
    let world = World::new();
    type Spoil = Box<dyn Fn(&mut prasang_core::users::NewUser)>;
    let cases: Vec<(&str, Spoil)> = vec![
        ("name", Box::new(|u| u.name = "  ".into())),
        ("name", Box::new(|u| u.name = "x".repeat(101))),
        ("email", Box::new(|u| u.email = "nope".into())),
        ("password", Box::new(|u| u.password = "short".into())),
        ("password", Box::new(|u| u.password = "p".repeat(257))),
        ("age", Box::new(|u| u.age = -3)),
        ("age", Box::new(|u| u.age = 500)),
    ];
    for (field, spoil) in cases {
        let mut user = new_user("Ada", Role::Attendee);
        spoil(&mut user);
        let result = world.prasang.users().register(user);
        assert!(
            matches!(&result, Err(UserError::Common(CommonError::Invalid(e))) if e.field == field),
            "{field}: {result:?}"
        );
    }
    let admin = world.prasang.users().register(new_user("Eve", Role::Admin));
    assert!(
        matches!(admin, Err(UserError::Common(CommonError::Forbidden(_)))),
        "no self-made admins"
    );
    assert_eq!(
        world
            .prasang
            .verify_integrity(&world.prasang.auth().system_actor())
            .expect("check")
            .users,
        0,
        "nothing was stored"
    );
}

#[test]
fn profiles_change_only_by_their_owner_or_an_admin() {
    let world = World::new();
    let ada = world.user("Ada", Role::Attendee);
    let mallory = world.user("Mallory", Role::Attendee);
    let admin = world
        .prasang
        .users()
        .create_admin(new_user("Root", Role::Attendee))
        .expect("admin");
    let admin = world.prasang.auth().trusted_actor(admin.id).expect("actor");
    let rename = |name: &str| ProfileUpdate {
        name: Some(name.into()),
        ..Default::default()
    };

    let result = world
        .prasang
        .users()
        .update_profile(&mallory, ada.user_id(), rename("pwned"));
    assert_matches!(
        result,
        Err(UserError::Common(CommonError::NotFound(Subject::User)))
    );
    let renamed = world
        .prasang
        .users()
        .update_profile(&ada, ada.user_id(), rename("Ada L."))
        .expect("own");
    assert_eq!(renamed.name, "Ada L.");
    world
        .prasang
        .users()
        .update_profile(&admin, ada.user_id(), rename("Ada Lovelace"))
        .expect("admin");

    // Changing e-mail moves the login; the old address is free again.
    let update = ProfileUpdate {
        email: Some("lovelace@example.org".into()),
        ..Default::default()
    };
    world
        .prasang
        .users()
        .update_profile(&ada, ada.user_id(), update)
        .expect("email");
    world
        .prasang
        .auth()
        .login("lovelace@example.org", "Ada has a long password")
        .expect("new email logs in");
    assert!(
        world
            .prasang
            .auth()
            .login("ada@example.org", "Ada has a long password")
            .is_err()
    );
    let taken = ProfileUpdate {
        email: Some("mallory@example.org".into()),
        ..Default::default()
    };
    assert!(matches!(
        world
            .prasang
            .users()
            .update_profile(&ada, ada.user_id(), taken),
        Err(UserError::EmailTaken)
    ));
    assert_intact(&world.prasang);
}

#[test]
fn the_signing_key_survives_a_restart_and_is_private() {
    let dir = tempfile::tempdir().expect("tempdir");
    let token = {
        let prasang = prasang_core::Prasang::open(
            prasang_core::Config::new(dir.path())
                .password_cost(prasang_core::users::PasswordCost::INSECURE_FAST),
        )
        .expect("open");
        sign_in(&prasang, "Ada", Role::Attendee).access_token
    };
    let prasang = prasang_core::Prasang::open(dir.path()).expect("reopen");
    prasang
        .auth()
        .verify(&token)
        .expect("token from before the restart still verifies");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("keys/jwt-ed25519.pk8"))
            .expect("key file")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

#[test]
fn a_role_change_ends_older_access_tokens_at_once_and_a_refresh_carries_the_new_role() {
    let world = World::new();
    let olga = world.signed_in("Olga", Role::Organizer);
    let on_phone = world.login("Olga");
    let auth = world.prasang.auth();
    let system = auth.system_actor();
    world
        .prasang
        .users()
        .set_role(&system, olga.user.id, Role::Attendee)
        .expect("demote");

    for token in [&olga.access_token, &on_phone.access_token] {
        let refused = auth.verify(token);
        assert_matches!(refused, Err(AuthError::SessionRevoked));
    }
    let renewed = auth.refresh(&on_phone.refresh_token).expect("refresh");
    let actor = auth.verify(&renewed.access_token).expect("new token");
    assert_eq!(actor.role(), Role::Attendee);
    let create = world
        .prasang
        .events()
        .create(&actor, common::new_event(5, 0, 1));
    assert!(create.is_err(), "an attendee cannot create events any more");
}

#[test]
fn a_password_change_ends_every_session_until_a_fresh_login() {
    let (world, laptop) = ada_session();
    let phone = world.login("Ada");
    let auth = world.prasang.auth();
    let ada = auth.verify(&laptop.access_token).expect("actor");
    let new_password = "a brand new long password";
    world
        .prasang
        .users()
        .update_profile(
            &ada,
            ada.user_id(),
            ProfileUpdate {
                password: Some(new_password.into()),
                ..ProfileUpdate::default()
            },
        )
        .expect("change password");

    for session in [&laptop, &phone] {
        let access = auth.verify(&session.access_token);
        assert_matches!(access, Err(AuthError::SessionRevoked));
        let refresh = auth.refresh(&session.refresh_token);
        assert_matches!(refresh, Err(AuthError::SessionRevoked));
    }
    let old = auth.login(&common::email_of("Ada"), &common::password_of("Ada"));
    assert_matches!(old, Err(AuthError::InvalidCredentials));
    let fresh = auth
        .login(&common::email_of("Ada"), new_password)
        .expect("login with the new password");
    auth.verify(&fresh.access_token)
        .expect("the new session works");
    auth.refresh(&fresh.refresh_token).expect("and refreshes");

    // A profile change without a password leaves sessions alone.
    let actor = auth.verify(&fresh.access_token).expect("actor");
    world
        .prasang
        .users()
        .update_profile(
            &actor,
            actor.user_id(),
            ProfileUpdate {
                name: Some("Ada L.".into()),
                ..ProfileUpdate::default()
            },
        )
        .expect("rename");
    auth.verify(&fresh.access_token).expect("still valid");
}

#[test]
fn tokens_issued_in_the_future_are_refused() {
    let (world, session) = ada_session();
    let auth = world.prasang.auth();
    // Our clock goes back (or the token came from a host whose clock runs ahead).
    world
        .clock
        .set(common::START.minus(Duration::from_secs(30)));
    auth.verify(&session.access_token)
        .expect("30 s of skew is tolerated");
    world
        .clock
        .set(common::START.minus(Duration::from_secs(120)));
    let refused = auth.verify(&session.access_token);
    assert_matches!(refused, Err(AuthError::InvalidToken));
}
