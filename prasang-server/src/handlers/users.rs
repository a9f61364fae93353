//! `/api/v1/me` and `/api/v1/users/*`.

use prasang_core::UserId;
use prasang_core::users::{ProfileUpdate, Role};
use serde::Deserialize;

use crate::request::{Ctx, Reply};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RoleChange {
    role: Role,
}

pub(crate) async fn me(cx: Ctx) -> Reply {
    cx.answer(|p, actor| p.users().get(actor, actor.user_id()))
        .await
}

pub(crate) async fn update_me(cx: Ctx) -> Reply {
    cx.answer_with_body(move |p, actor, update: ProfileUpdate| {
        p.users().update_profile(actor, actor.user_id(), update)
    })
    .await
}

pub(crate) async fn get(cx: Ctx) -> Reply {
    let id: UserId = cx.id("id")?;
    cx.answer(move |p, actor| p.users().get(actor, id)).await
}

pub(crate) async fn set_role(cx: Ctx) -> Reply {
    let id: UserId = cx.id("id")?;
    cx.answer_with_body(move |p, actor, change: RoleChange| {
        p.users().set_role(actor, id, change.role)
    })
    .await
}
