//! `/api/v1/auth/*`: register, login, refresh, logout.

use prasang_core::users::{Gender, NewUser, Role};
use serde::Deserialize;

use crate::request::{Ctx, Reply, created, no_content, ok};

/// Registration body (like the core's `NewUser`, but unknown fields are refused).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Register {
    name: String,
    email: String,
    password: String,
    gender: Gender,
    age: i64,
    #[serde(default = "attendee")]
    role: Role,
}

fn attendee() -> Role {
    Role::Attendee
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Login {
    email: String,
    password: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RefreshToken {
    refresh_token: String,
}

pub(crate) async fn register(cx: Ctx) -> Reply {
    let body: Register = cx.json()?;
    let new = NewUser {
        name: body.name,
        email: body.email,
        password: body.password,
        gender: body.gender,
        age: body.age,
        role: body.role,
    };
    let user = cx.core(move |p| p.users().register(new)).await?;
    created(format!("/api/v1/users/{}", user.id), &user)
}

pub(crate) async fn login(cx: Ctx) -> Reply {
    let body: Login = cx.json()?;
    let session = cx
        .core(move |p| p.auth().login(&body.email, &body.password))
        .await?;
    ok(&session)
}

pub(crate) async fn refresh(cx: Ctx) -> Reply {
    let body: RefreshToken = cx.json()?;
    let session = cx
        .core(move |p| p.auth().refresh(&body.refresh_token))
        .await?;
    ok(&session)
}

pub(crate) async fn logout(cx: Ctx) -> Reply {
    let body: RefreshToken = cx.json()?;
    cx.core(move |p| p.auth().logout(&body.refresh_token))
        .await?;
    no_content()
}
