//! Handlers of `/users`.

use cube_model::Page;
use cube_rest::users::{
    create_password_reset, create_user, delete_user, get_password_reset, get_user, list_online,
    list_users, update_user,
};

use crate::domain::error::Error;
use crate::domain::users;
use crate::http::{Context, Reply, ok, user_fields, user_model};

/// `POST /users`: sign up a user, with a session token or, without a session, the `CB-AuthKey`.
pub(in crate::http) async fn create_user(
    ctx: &mut Context<'_>,
    r: cube_rest::users::create_user::Request,
) -> Reply {
    let svc = ctx.service.clone();
    let app_id = ctx.app_id.ok_or(Error::SessionMissing)?;
    let user = svc.sign_up(app_id, user_fields(&r.user)).await?;
    ok(&create_user::Response::new(user_model(&user)?))
}

/// `GET /users/{id}`: read one user.
pub(in crate::http) async fn get_user(
    ctx: &mut Context<'_>,
    r: cube_rest::users::get_user::Request,
) -> Reply {
    let svc = ctx.service.clone();
    let app_id = ctx.session()?.app_id;
    let id = r.id.get() as i64;
    let user = svc.read(move |c| users::get(c, app_id, id)).await?;
    ok(&get_user::Response::new(user_model(&user)?))
}

/// `GET /users/v2`: search users with filters, sort and `offset`/`limit` paging.
pub(in crate::http) async fn list_users(
    ctx: &mut Context<'_>,
    r: cube_rest::users::list_users::Request,
) -> Reply {
    let svc = ctx.service.clone();
    let app_id = ctx.session()?.app_id;
    let app = svc
        .application(app_id)
        .await?
        .ok_or(Error::SessionMissing)?;
    if !app.settings.users_listing {
        return Err(Error::Forbidden("Users retrieving forbidden in admin panel, application settings. Setup it here https://admin.connectycube.com/apps/".into()).into());
    }
    let pairs = r.query.to_pairs(cube_model::ListStyle::Comma);
    let page = svc.read(move |c| users::list_v2(c, app_id, &pairs)).await?;
    let items = page
        .items
        .iter()
        .map(user_model)
        .collect::<Result<Vec<_>, _>>()?;
    ok(&list_users::Response::new(
        Page::new(page.skip as u64, page.limit as u64, items).with_total(page.total_entries as u64),
    ))
}

/// `PUT /users/{id}`: update the current user's profile (a password change needs `old_password`).
pub(in crate::http) async fn update_user(
    ctx: &mut Context<'_>,
    r: cube_rest::users::update_user::Request,
) -> Reply {
    let svc = ctx.service.clone();
    let actor = ctx.actor()?;
    let user = svc
        .update_user(
            actor.app_id,
            actor.user_id,
            r.id.get() as i64,
            user_fields(&r.user),
        )
        .await?;
    ok(&update_user::Response::new(user_model(&user)?))
}

/// `DELETE /users/{id}`: delete the current user's account.
pub(in crate::http) async fn delete_user(
    ctx: &mut Context<'_>,
    r: cube_rest::users::delete_user::Request,
) -> Reply {
    let svc = ctx.service.clone();
    let actor = ctx.actor()?;
    let id = r.id.get() as i64;
    if id != actor.user_id {
        return Err(Error::Forbidden("You can delete only your own user".into()).into());
    }
    svc.delete_user(actor.app_id, id).await?;
    ctx.session = None;
    ok(&delete_user::Response::new())
}

/// Most online users one page holds, and the page size when none is asked.
const ONLINE_PAGE: u64 = 100;

/// `GET /users/online`: the users of the application connected to chat now (ascending ids),
/// or with `count=true` only their number. Without a chat server nobody is online.
pub(in crate::http) async fn list_online(
    ctx: &mut Context<'_>,
    r: cube_rest::users::list_online::Request,
) -> Reply {
    let svc = ctx.service.clone();
    let app_id = ctx.session()?.app_id;
    let online = svc.online_users(app_id);
    if r.count {
        return ok(&list_online::Response::Count(online.len() as u64));
    }
    let limit = r.limit.unwrap_or(ONLINE_PAGE).min(ONLINE_PAGE);
    let page: Vec<i64> = online
        .into_iter()
        .skip(usize::try_from(r.offset.unwrap_or(0)).unwrap_or(usize::MAX))
        .take(usize::try_from(limit).unwrap_or(usize::MAX))
        .collect();
    let found = svc.read(move |c| users::by_ids(c, app_id, &page)).await?;
    let items = found
        .iter()
        .map(user_model)
        .collect::<Result<Vec<_>, _>>()?;
    ok(&list_online::Response::Users(items))
}

/// `POST /users/password/reset`: answered `200` and nothing else; the local server sends no
/// mail (and so says nothing about which addresses are registered).
pub(in crate::http) fn create_password_reset(
    ctx: &mut Context<'_>,
    r: cube_rest::users::create_password_reset::Request,
) -> Reply {
    password_reset(ctx, &r.email)?;
    ok(&create_password_reset::Response::new())
}

/// `GET /users/password/reset?email=`: as `POST`, without sending mail.
pub(in crate::http) fn get_password_reset(
    ctx: &mut Context<'_>,
    r: cube_rest::users::get_password_reset::Request,
) -> Reply {
    password_reset(ctx, &r.email)?;
    ok(&get_password_reset::Response::new())
}

fn password_reset(ctx: &Context<'_>, email: &str) -> Result<(), crate::http::Failure> {
    ctx.session()?;
    if email.trim().is_empty() {
        return Err(Error::invalid("email", "can't be blank").into());
    }
    tracing::info!("password reset asked; no mail is sent by the local server");
    Ok(())
}
