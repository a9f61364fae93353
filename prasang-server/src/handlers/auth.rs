//! `/api/v1/auth/*`: register, login, refresh, logout.

use hyper::StatusCode;
use prasang_core::users::{Gender, NewUser, Role};
use serde::Deserialize;

use crate::request::{BoxReply, Ctx, created, json, no_content};

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

pub(crate) fn register(cx: Ctx) -> BoxReply {
    Box::pin(async move {
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
    })
}

pub(crate) fn login(cx: Ctx) -> BoxReply {
    Box::pin(async move {
        let body: Login = cx.json()?;
        let session = cx
            .core(move |p| p.auth().login(&body.email, &body.password))
            .await?;
        json(StatusCode::OK, &session)
    })
}

pub(crate) fn refresh(cx: Ctx) -> BoxReply {
    Box::pin(async move {
        let body: RefreshToken = cx.json()?;
        let session = cx
            .core(move |p| p.auth().refresh(&body.refresh_token))
            .await?;
        json(StatusCode::OK, &session)
    })
}

pub(crate) fn logout(cx: Ctx) -> BoxReply {
    Box::pin(async move {
        let body: RefreshToken = cx.json()?;
        cx.core(move |p| p.auth().logout(&body.refresh_token))
            .await?;
        no_content()
    })
}
