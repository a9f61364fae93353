//! `/api/v1/me` and `/api/v1/users/*`.

use hyper::StatusCode;
use prasang_core::UserId;
use prasang_core::users::{ProfileUpdate, Role};
use serde::Deserialize;

use crate::request::{BoxReply, Ctx, json};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RoleChange {
    role: Role,
}

pub(crate) fn me(cx: Ctx) -> BoxReply {
    Box::pin(async move {
        let actor = cx.actor().await?;
        let user = cx
            .core(move |p| p.users().get(&actor, actor.user_id()))
            .await?;
        json(StatusCode::OK, &user)
    })
}

pub(crate) fn update_me(cx: Ctx) -> BoxReply {
    Box::pin(async move {
        let actor = cx.actor().await?;
        let update: ProfileUpdate = cx.json()?;
        let user = cx
            .core(move |p| p.users().update_profile(&actor, actor.user_id(), update))
            .await?;
        json(StatusCode::OK, &user)
    })
}

pub(crate) fn get(cx: Ctx) -> BoxReply {
    Box::pin(async move {
        let id: UserId = cx.id("id")?;
        let actor = cx.actor().await?;
        let user = cx.core(move |p| p.users().get(&actor, id)).await?;
        json(StatusCode::OK, &user)
    })
}

pub(crate) fn set_role(cx: Ctx) -> BoxReply {
    Box::pin(async move {
        let id: UserId = cx.id("id")?;
        let actor = cx.actor().await?;
        let change: RoleChange = cx.json()?;
        let user = cx
            .core(move |p| p.users().set_role(&actor, id, change.role))
            .await?;
        json(StatusCode::OK, &user)
    })
}
