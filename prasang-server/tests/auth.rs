//! Auth abuse: missing, forged, `alg: none`, expired and revoked tokens, refresh reuse, rate
//! limits, and JWKS checked by an independent verifier (PyJWT).

mod common;

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::{access_of, assert_problem, problem, spawn, spawn_with};
use hyper::StatusCode;
use prasang_core::{Clock, Config, ManualClock, SystemClock};
use prasang_server::ServerConfig;
use serde_json::{Value, json};

fn parts(token: &str) -> (Value, Value, String) {
    let mut split = token.split('.');
    let mut decode =
        || serde_json::from_slice(&URL_SAFE_NO_PAD.decode(split.next().unwrap()).unwrap()).unwrap();
    let (header, claims) = (decode(), decode());
    (header, claims, token.rsplit('.').next().unwrap().to_owned())
}

fn encode(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn protected_routes_need_a_bearer_token() {
    let app = spawn().await;
    let reply = app.get("/api/v1/me", None).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(problem(&reply), "missing-token");
    assert!(
        reply
            .header("www-authenticate")
            .unwrap()
            .starts_with("Bearer")
    );
    let mut request = prasang_http_client::request(hyper::Method::GET, "/api/v1/me", None, None);
    request
        .headers_mut()
        .insert("authorization", "Basic dXNlcjpwYXNz".parse().unwrap());
    assert_eq!(app.raw(request).await.status, StatusCode::UNAUTHORIZED);
    app.assert_me_refused("not.a.jwt", "invalid-token").await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tampered_and_unsigned_tokens_are_rejected() {
    let app = spawn().await;
    let token = app.user("eve@example.org", "attendee").await;
    let (header, mut claims, signature) = parts(&token);

    claims["role"] = json!("admin");
    let promoted = format!("{}.{}.{signature}", encode(&header), encode(&claims));
    app.assert_me_refused(&promoted, "invalid-token").await;

    let none = json!({ "alg": "none", "typ": "JWT" });
    for unsigned in [
        format!("{}.{}.", encode(&none), encode(&claims)),
        format!("{}.{}", encode(&none), encode(&claims)),
        format!("{}.{}.{signature}", encode(&none), encode(&parts(&token).1)),
    ] {
        let reply = app.me(&unsigned).await;
        assert_eq!(
            reply.status,
            StatusCode::UNAUTHORIZED,
            "alg none must not pass: {unsigned}"
        );
    }
    let hs256 = json!({ "alg": "HS256", "typ": "JWT" });
    let confused = format!(
        "{}.{}.{signature}",
        encode(&hs256),
        encode(&parts(&token).1)
    );
    assert_eq!(app.me_status(&confused).await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.me_status(&token).await,
        StatusCode::OK,
        "the real one still works"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_tokens_are_rejected_even_when_cached() {
    let clock = ManualClock::new(SystemClock.now());
    let config = ServerConfig {
        store: Config::temporary()
            .clock(clock.clone())
            .access_token_ttl(Duration::from_secs(60)),
        ..ServerConfig::temporary()
    };
    let app = spawn_with(config).await;
    let token = app.user("tim@example.org", "attendee").await;
    assert_eq!(app.me_status(&token).await, StatusCode::OK);
    clock.advance(Duration::from_secs(61));
    app.assert_me_refused(&token, "token-expired").await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reusing_a_refresh_token_revokes_the_whole_session() {
    let app = spawn().await;
    let first = app.attendee_session("rita@example.org").await;
    let old_refresh = first["refresh_token"].clone();
    let second = app.refresh(&old_refresh).await;
    assert_eq!(second.status, StatusCode::OK);
    let second = second.json();
    let access = access_of(&second).to_owned();
    assert_eq!(app.me_status(&access).await, StatusCode::OK, "now cached");

    let reuse = app.refresh(&old_refresh).await;
    assert_problem(&reuse, StatusCode::UNAUTHORIZED, "refresh-reused");
    let newest = app.refresh(&second["refresh_token"]).await;
    assert_eq!(
        newest.status,
        StatusCode::UNAUTHORIZED,
        "the family is revoked"
    );
    app.assert_me_refused(&access, "session-revoked").await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_ends_the_session_at_once() {
    let app = spawn().await;
    let session = app.attendee_session("lou@example.org").await;
    let access = access_of(&session);
    assert_eq!(app.me_status(access).await, StatusCode::OK);
    let out = app.logout(&session["refresh_token"]).await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    assert_eq!(app.me_status(access).await, StatusCode::UNAUTHORIZED);
    let wrong = app.try_login("lou@example.org", "wrong password").await;
    assert_problem(&wrong, StatusCode::UNAUTHORIZED, "invalid-credentials");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_demoted_organizer_loses_the_role_at_once_even_with_a_cached_token() {
    let app = spawn().await;
    let admin = app.admin("root@example.org").await;
    let organizer = app.user("olga@example.org", "organizer").await;
    let me = app.me(&organizer).await.json();
    let id = me["id"].as_str().unwrap().to_owned();
    app.event_id(&organizer, 5, 0).await; // the token is now in the gateway's cache
    let demoted = app.set_role(&admin, &id, "attendee").await;
    assert_eq!(demoted.status, StatusCode::OK, "{:?}", demoted.json());
    app.assert_me_refused(&organizer, "session-revoked").await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_change_ends_the_other_sessions() {
    let app = spawn().await;
    let laptop = app.attendee_session("lou@example.org").await;
    let phone = app.login("lou@example.org").await;
    let (laptop_access, phone_access) = (access_of(&laptop), access_of(&phone));
    assert_eq!(app.me_status(phone_access).await, StatusCode::OK);
    let new_password = json!({ "password": "another long password" });
    let changed = app
        .patch("/api/v1/me", Some(laptop_access), &new_password)
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{:?}", changed.json());
    app.assert_me_refused(phone_access, "session-revoked").await;
    let refresh = app.refresh(&phone["refresh_token"]).await;
    assert_problem(&refresh, StatusCode::UNAUTHORIZED, "session-revoked");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logins_from_one_address_are_rate_limited() {
    let config = ServerConfig {
        auth_rate_per_minute: 6,
        auth_burst: 3,
        ..ServerConfig::temporary()
    };
    let app = spawn_with(config).await;
    let body = json!({ "email": "nobody@example.org", "password": "guessing123" });
    for _ in 0..3 {
        assert_eq!(
            app.post("/api/v1/auth/login", None, &body).await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    let limited = app.post("/api/v1/auth/login", None, &body).await;
    assert_problem(&limited, StatusCode::TOO_MANY_REQUESTS, "rate-limited");
    let retry: u64 = limited.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=10).contains(&retry), "retry after {retry}");
    let register = app.post("/api/v1/auth/register", None, &json!({})).await;
    assert_eq!(
        register.status,
        StatusCode::TOO_MANY_REQUESTS,
        "registration shares the bucket"
    );
    assert_eq!(
        app.status("/api/v1/events", None).await,
        StatusCode::OK,
        "other routes are not limited"
    );
    app.stop().await;
}

const PYJWT_VERIFY: &str = r#"
import json, sys
import jwt
jwks = json.load(open(sys.argv[1]))
token = open(sys.argv[2]).read().strip()
kid = jwt.get_unverified_header(token)["kid"]
key = next(k for k in jwks["keys"] if k["kid"] == kid)
claims = jwt.decode(token, jwt.PyJWK(key).key, algorithms=["EdDSA"], issuer="prasang")
print(claims["sub"])
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jwks_verifies_tokens_with_an_independent_verifier() {
    // scripts/test.sh points PRASANG_PYTHON at its virtual environment (PyJWT pinned there).
    let python = std::env::var("PRASANG_PYTHON").unwrap_or_else(|_| "python3".into());
    let probe = std::process::Command::new(&python)
        .args(["-c", "import jwt, cryptography"])
        .output();
    if !probe.is_ok_and(|o| o.status.success()) {
        let why = "python3 with PyJWT is missing; `pip install 'pyjwt[crypto]'` to run this test";
        // scripts/test.sh sets PRASANG_REQUIRE_PYJWT=1 and installs PyJWT: there a missing verifier is a
        // broken set-up, not a reason to pass without checking the JWKS.
        if std::env::var_os("PRASANG_REQUIRE_PYJWT").is_some_and(|v| v == "1") {
            panic!("PRASANG_REQUIRE_PYJWT=1: {why}");
        }
        eprintln!("SKIPPED: {why}");
        return;
    }
    let app = spawn().await;
    let user = app.register("jay@example.org", "attendee").await;
    let token = app.access_token("jay@example.org").await;
    let jwks = app.get("/.well-known/jwks.json", None).await;
    assert_eq!(jwks.status, StatusCode::OK);
    let dir = tempfile::tempdir().unwrap();
    let (jwks_path, token_path, script) = (
        dir.path().join("jwks.json"),
        dir.path().join("token"),
        dir.path().join("verify.py"),
    );
    std::fs::write(&jwks_path, &jwks.body).unwrap();
    std::fs::write(&script, PYJWT_VERIFY).unwrap();
    let verify = |token: &str| {
        std::fs::write(&token_path, token).unwrap();
        std::process::Command::new(&python)
            .arg(&script)
            .arg(&jwks_path)
            .arg(&token_path)
            .output()
            .unwrap()
    };
    let good = verify(&token);
    assert!(
        good.status.success(),
        "PyJWT rejected a real token: {}",
        String::from_utf8_lossy(&good.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&good.stdout).trim(),
        user["id"].as_str().unwrap()
    );
    let (header, mut claims, signature) = parts(&token);
    claims["role"] = json!("admin");
    let forged = verify(&format!(
        "{}.{}.{signature}",
        encode(&header),
        encode(&claims)
    ));
    assert!(!forged.status.success(), "PyJWT accepted a forged token");
    app.stop().await;
}
