//! Handlers of `/session` and `/login`.

use cube_rest::session::{create_login, create_session, delete_login, delete_session, get_session};
use serde_json::Value;

use crate::domain::users;
use crate::http::{Context, Reply, ok, session_model, user_model};
use crate::service::SessionRequest;

/// `POST /session`: create an application or user session, signed (3.x SDKs) or not (6.x).
pub(in crate::http) async fn create_session(
    ctx: &mut Context<'_>,
    r: cube_rest::session::create_session::Request,
) -> Reply {
    let svc = ctx.service.clone();
    if let Some(peer) = &ctx.peer {
        svc.check_rate(r.application_id.get() as i64, &format!("addr:{peer}"))
            .await?;
    }
    let signed_body = r
        .signed
        .is_some()
        .then(|| Value::Object(r.raw_params.clone()));
    let (session, user) = svc
        .create_session(SessionRequest {
            app_id: r.application_id.get() as i64,
            auth_key: r.auth_key.expose().to_owned(),
            credentials: r.credentials,
            signed_body,
        })
        .await?;
    let body = create_session::Response::new(session_model(&session, user.as_ref())?);
    ctx.session = Some(session);
    ok(&body)
}

/// `GET /session`: read the session of the current token.
pub(in crate::http) async fn get_session(
    ctx: &mut Context<'_>,
    _r: cube_rest::session::get_session::Request,
) -> Reply {
    let svc = ctx.service.clone();
    let s = ctx.session()?.clone();
    let user = match s.user_id {
        Some(u) => Some(svc.read(move |c| users::get(c, s.app_id, u)).await?),
        None => None,
    };
    ok(&get_session::Response::new(session_model(
        &s,
        user.as_ref(),
    )?))
}

/// `DELETE /session`: destroy the session of the current token.
pub(in crate::http) async fn delete_session(
    ctx: &mut Context<'_>,
    _r: cube_rest::session::delete_session::Request,
) -> Reply {
    let svc = ctx.service.clone();
    let token = ctx.session()?.token.clone();
    svc.delete_session(&token).await?;
    ctx.session = None;
    ok(&delete_session::Response::new())
}

/// `POST /login`: attach a user to the current application session (the token is unchanged).
pub(in crate::http) async fn create_login(
    ctx: &mut Context<'_>,
    r: cube_rest::session::create_login::Request,
) -> Reply {
    let svc = ctx.service.clone();
    let s = ctx.session()?.clone();
    let user = svc.login(&s, &r.credentials).await?;
    ok(&create_login::Response::new(user_model(&user)?))
}

/// `DELETE /login`: log the user out; the token stays valid as an application session.
pub(in crate::http) async fn delete_login(
    ctx: &mut Context<'_>,
    _r: cube_rest::session::delete_login::Request,
) -> Reply {
    let svc = ctx.service.clone();
    let id = ctx.session()?.id;
    let s = svc.set_session_user(id, None).await?;
    ctx.session = Some(s);
    ok(&delete_login::Response::new())
}
