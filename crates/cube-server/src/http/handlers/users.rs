//! Handlers of `/users`.

use cube_model::Page;
use cube_rest::users::{create_user, delete_user, get_user, list_users, update_user};

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
