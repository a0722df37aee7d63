//! Handlers of `/chat/Dialog`.

use cube_model::{Dialog, DialogDeleteResult, DialogId, Page};
use cube_rest::chat::{
    block_users, clear_history, create_dialog, delete_dialog, get_notifications, list_dialogs,
    list_occupants, subscribe, unblock_users, unsubscribe, update_admins, update_dialog,
    update_notifications,
};

use crate::domain::dialogs::{DialogUpdate, IdChanges, NewDialog};
use crate::domain::{dialogs, messages, users};
use crate::http::{
    Context, Reply, changes, dialog_model, ids_i64, model, ok, parse_ids, to_object, user_model,
};

/// `POST /chat/Dialog`: create a dialog (the creator becomes its owner and an occupant).
pub(in crate::http) async fn create_dialog(
    ctx: &mut Context<'_>,
    r: cube_rest::chat::create_dialog::Request,
) -> Reply {
    let svc = ctx.service.clone();
    let now = svc.now();
    let actor = ctx.actor()?;
    let admin_api = match ctx.admin_key.as_deref() {
        Some(given) => {
            let app = svc.application(actor.app_id).await?;
            // Compared in constant time: the key is a secret.
            app.and_then(|a| a.settings.admin_api_key).is_some_and(|k| {
                bool::from(subtle::ConstantTimeEq::ct_eq(
                    k.as_bytes(),
                    given.as_bytes(),
                ))
            })
        }
        None => false,
    };
    let input = NewDialog {
        dialog_type: r.dialog_type.code(),
        name: r.name.clone(),
        description: r.description.clone(),
        photo: r.photo.clone(),
        occupants_ids: ids_i64(&r.occupants_ids),
        admins_ids: ids_i64(&r.admins_ids),
        extensions: r.extensions.as_ref().map(to_object),
        permissions: r
            .permissions
            .as_ref()
            .and_then(|p| serde_json::to_value(p).ok()),
    };
    let id = svc.object_id();
    let d = svc
        .write(move |c| dialogs::create(c, actor, &input, &id, admin_api, now))
        .await?;
    ok(&create_dialog::Response::new(
        dialog_model(&svc, d, actor.user_id).await?,
    ))
}

/// `GET /chat/Dialog`: list the dialogs the user is in, with filters, sort and paging.
pub(in crate::http) async fn list_dialogs(
    ctx: &mut Context<'_>,
    r: cube_rest::chat::list_dialogs::Request,
) -> Reply {
    let svc = ctx.service.clone();
    let actor = ctx.actor()?;
    let count = r.query.count;
    let pairs = r.query.to_pairs(cube_model::ListStyle::Comma);
    let domain = svc.domain().to_owned();
    let (page, views) = svc
        .read(move |c| {
            let page = dialogs::list(c, actor, &pairs, count)?;
            let views = page
                .items
                .iter()
                .map(|d| dialogs::view(c, d, actor.user_id, &domain))
                .collect::<Result<Vec<_>, _>>()?;
            Ok((page, views))
        })
        .await?;
    if count {
        return ok(&list_dialogs::Response::Count(page.total_entries as u64));
    }
    let items = views
        .into_iter()
        .map(model::<Dialog>)
        .collect::<Result<Vec<_>, _>>()?;
    ok(&list_dialogs::Response::Page(
        Page::new(page.skip as u64, page.limit as u64, items).with_total(page.total_entries as u64),
    ))
}

/// `PUT /chat/Dialog/{id}`: rename, re-describe or re-configure a dialog, and add or remove
/// occupants, admins and pinned messages.
pub(in crate::http) async fn update_dialog(
    ctx: &mut Context<'_>,
    r: cube_rest::chat::update_dialog::Request,
) -> Reply {
    let id = r.id.to_string();
    let up = DialogUpdate {
        name: r.name.clone(),
        description: r.description.clone(),
        photo: r.photo.clone(),
        extensions: r.extensions.as_ref().map(|e| Some(to_object(e))),
        permissions: r
            .permissions
            .as_ref()
            .and_then(|p| serde_json::to_value(p).ok()),
        push_all: changes(&r.push_all),
        pull_all: changes(&r.pull_all),
    };
    ok(&update_dialog::Response::new(
        apply_update(ctx, id, up).await?,
    ))
}

/// `PUT /chat/Dialog/{id}/admins`: add or remove dialog admins (the owner only).
pub(in crate::http) async fn update_admins(
    ctx: &mut Context<'_>,
    r: cube_rest::chat::update_admins::Request,
) -> Reply {
    let id = r.id.to_string();
    let up = DialogUpdate {
        push_all: IdChanges {
            admins_ids: ids_i64(&r.push),
            ..IdChanges::default()
        },
        pull_all: IdChanges {
            admins_ids: ids_i64(&r.pull),
            ..IdChanges::default()
        },
        ..DialogUpdate::default()
    };
    ok(&update_admins::Response::new(
        apply_update(ctx, id, up).await?,
    ))
}

/// Applies `up` to dialog `id` as the session's user (roles decide inside
/// `dialogs::update`) and returns the dialog as that user sees it.
async fn apply_update(
    ctx: &mut Context<'_>,
    id: String,
    up: DialogUpdate,
) -> Result<Dialog, crate::http::Failure> {
    let svc = ctx.service.clone();
    let now = svc.now();
    let actor = ctx.actor()?;
    let d = svc
        .write(move |c| dialogs::update(c, actor, &id, &up, now))
        .await?;
    dialog_model(&svc, d, actor.user_id).await
}

/// `DELETE /chat/Dialog/{ids}`: leave (or, with `force`, delete for everyone) one or many dialogs.
pub(in crate::http) async fn delete_dialog(
    ctx: &mut Context<'_>,
    r: cube_rest::chat::delete_dialog::Request,
) -> Reply {
    let svc = ctx.service.clone();
    let actor = ctx.actor()?;
    let ids: Vec<String> = r.ids.iter().map(ToString::to_string).collect();
    let force = r.force;
    if ids.len() == 1 {
        let id = ids[0].clone();
        svc.write(move |c| dialogs::delete_one(c, actor, &id, force))
            .await?;
        return ok(&delete_dialog::Response::empty());
    }
    let out = svc
        .write(move |c| dialogs::delete_many(c, actor, &ids, force))
        .await?;
    ok(&delete_dialog::Response::with_result(
        DialogDeleteResult::from_lists(
            parse_ids::<DialogId>(&out.deleted),
            parse_ids(&out.not_found),
            parse_ids(&out.wrong_permissions),
        ),
    ))
}

/// `POST /chat/Dialog/{id}/subscribe`: join a public dialog.
pub(in crate::http) async fn subscribe(
    ctx: &mut Context<'_>,
    r: cube_rest::chat::subscribe::Request,
) -> Reply {
    let svc = ctx.service.clone();
    let actor = ctx.actor()?;
    let id = r.id.to_string();
    let d = svc
        .write(move |c| dialogs::subscribe(c, actor, &id))
        .await?;
    ok(&subscribe::Response::new(
        dialog_model(&svc, d, actor.user_id).await?,
    ))
}

/// `DELETE /chat/Dialog/{id}/subscribe`: leave a public dialog.
pub(in crate::http) async fn unsubscribe(
    ctx: &mut Context<'_>,
    r: cube_rest::chat::unsubscribe::Request,
) -> Reply {
    let svc = ctx.service.clone();
    let actor = ctx.actor()?;
    let id = r.id.to_string();
    svc.write(move |c| dialogs::unsubscribe(c, actor, &id))
        .await?;
    ok(&unsubscribe::Response::new())
}

/// `GET /chat/Dialog/{id}/occupants`: page through the users subscribed to a public dialog.
pub(in crate::http) async fn list_occupants(
    ctx: &mut Context<'_>,
    r: cube_rest::chat::list_occupants::Request,
) -> Reply {
    let svc = ctx.service.clone();
    let actor = ctx.actor()?;
    let id = r.id.to_string();
    let limit = r.limit.unwrap_or(100).min(100) as i64;
    let skip = r.skip.unwrap_or(0) as i64;
    let found = svc
        .read(move |c| {
            let ids = dialogs::occupants(c, actor, &id, limit, skip)?;
            users::by_ids(c, actor.app_id, &ids)
        })
        .await?;
    let items = found
        .iter()
        .map(user_model)
        .collect::<Result<Vec<_>, _>>()?;
    ok(&list_occupants::Response::new(Page::new(
        skip as u64,
        limit as u64,
        items,
    )))
}

/// `GET /chat/Dialog/{id}/notifications`: whether push notifications are on for a dialog.
pub(in crate::http) async fn get_notifications(
    ctx: &mut Context<'_>,
    r: cube_rest::chat::get_notifications::Request,
) -> Reply {
    let svc = ctx.service.clone();
    let actor = ctx.actor()?;
    let id = r.id.to_string();
    let on = svc
        .read(move |c| dialogs::notifications(c, actor, &id))
        .await?;
    ok(&get_notifications::Response::new(on))
}

/// `PUT /chat/Dialog/{id}/notifications`: turn push notifications of a dialog on or off.
pub(in crate::http) async fn update_notifications(
    ctx: &mut Context<'_>,
    r: cube_rest::chat::update_notifications::Request,
) -> Reply {
    let svc = ctx.service.clone();
    let actor = ctx.actor()?;
    let id = r.id.to_string();
    let enabled = r.enabled;
    let on = svc
        .write(move |c| dialogs::set_notifications(c, actor, &id, enabled))
        .await?;
    ok(&update_notifications::Response::new(on))
}

/// `POST /chat/Dialog/{id}/block`: block users of a public or broadcast dialog (admins and the
/// owner); a blocked user is unsubscribed and can no longer send, subscribe or read.
pub(in crate::http) async fn block_users(
    ctx: &mut Context<'_>,
    r: cube_rest::chat::block_users::Request,
) -> Reply {
    set_blocked(ctx, r.id, &r.user_ids, true).await?;
    ok(&block_users::Response::new())
}

/// `DELETE /chat/Dialog/{id}/block`: unblock users of a public or broadcast dialog.
pub(in crate::http) async fn unblock_users(
    ctx: &mut Context<'_>,
    r: cube_rest::chat::unblock_users::Request,
) -> Reply {
    set_blocked(ctx, r.id, &r.user_ids, false).await?;
    ok(&unblock_users::Response::new())
}

async fn set_blocked(
    ctx: &mut Context<'_>,
    id: DialogId,
    user_ids: &[cube_model::UserId],
    blocked: bool,
) -> Result<(), crate::http::Failure> {
    let svc = ctx.service.clone();
    let actor = ctx.actor()?;
    let id = id.to_string();
    let ids = ids_i64(user_ids);
    svc.write(move |c| dialogs::set_blocked(c, actor, &id, &ids, blocked))
        .await?;
    Ok(())
}

/// `DELETE /chat/Dialog/clearHistory/{id}`: hide the dialog's messages so far from the caller
/// or, with `force`, delete them for everyone.
pub(in crate::http) async fn clear_history(
    ctx: &mut Context<'_>,
    r: cube_rest::chat::clear_history::Request,
) -> Reply {
    let svc = ctx.service.clone();
    let now = svc.now();
    let actor = ctx.actor()?;
    let id = r.id.to_string();
    let force = r.force;
    svc.write(move |c| messages::clear_history(c, actor, &id, force, now))
        .await?;
    ok(&clear_history::Response::new())
}
