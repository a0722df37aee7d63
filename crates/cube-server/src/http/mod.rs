//! The REST surface: one catch-all handler that reads the body (1 MiB at most), routes and
//! authenticates with cube-rest's endpoint table, runs the domain operation and answers with
//! cube-rest's response types.

use std::collections::BTreeMap;

use axum::body::Body;
use axum::extract::State;
use cube_model::{Dialog, Session, User, UserId};
use cube_rest::{AnyRequest, AuthKind, EndpointResponse, FromHttpRequestError, MAX_BODY_BYTES};
use http::{HeaderValue, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::domain::apps;
use crate::domain::dialogs::{self, Actor, DialogRecord, IdChanges};
use crate::domain::error::Error;
use crate::domain::sessions::SessionRecord;
use crate::domain::time::expiration_header;
use crate::domain::users::{UserFields, UserRecord};
use crate::service::Service;

/// The header that carries the administration API key (broadcast dialogs).
pub const ADMIN_KEY_HEADER: &str = "cb-administration-api-key";

mod handlers;

/// What a handler answers: cube-rest's encoded response, or a refusal.
type Reply = Result<http::Response<Vec<u8>>, Failure>;

/// The REST router over a service.
pub fn router(service: Service) -> axum::Router {
    axum::Router::new().fallback(handle).with_state(service)
}

/// A refusal: status and `{"errors": ...}` body.
#[derive(Debug)]
struct Failure {
    status: StatusCode,
    body: Value,
    retry_after: Option<u64>,
    /// The methods the path accepts, for a 405's `Allow` header.
    allow: Option<String>,
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        if let Error::Store(inner) = &e {
            tracing::error!(error = %inner, "storage failure");
        }
        if let Error::Internal(m) = &e {
            tracing::error!(error = %m, "internal failure");
        }
        Failure {
            status: StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            retry_after: match e {
                Error::TooManyRequests { retry_after } => Some(retry_after),
                _ => None,
            },
            body: e.body(),
            allow: None,
        }
    }
}

impl From<FromHttpRequestError> for Failure {
    fn from(e: FromHttpRequestError) -> Self {
        let (status, body) = e.error_response();
        let allow = match &e {
            FromHttpRequestError::MethodNotAllowed { allowed, .. } => Some(
                allowed
                    .iter()
                    .map(http::Method::as_str)
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            _ => None,
        };
        Failure {
            status,
            body: serde_json::to_value(body).unwrap_or_else(|_| Value::Null),
            retry_after: None,
            allow,
        }
    }
}

impl From<cube_rest::IntoHttpError> for Failure {
    fn from(e: cube_rest::IntoHttpError) -> Self {
        Error::Internal(format!("encoding the response: {e}")).into()
    }
}

fn failure_response(f: &Failure) -> http::Response<Body> {
    let mut resp = http::Response::new(Body::from(f.body.to_string()));
    *resp.status_mut() = f.status;
    resp.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    if let Some(secs) = f.retry_after {
        if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
            resp.headers_mut().insert(http::header::RETRY_AFTER, v);
        }
    }
    if let Some(allow) = f
        .allow
        .as_deref()
        .and_then(|a| HeaderValue::from_str(a).ok())
    {
        resp.headers_mut().insert(http::header::ALLOW, allow);
    }
    resp
}

async fn handle(State(service): State<Service>, req: http::Request<Body>) -> http::Response<Body> {
    let (parts, body) = req.into_parts();
    if parts.method == http::Method::OPTIONS {
        // A browser's CORS preflight: the JS SDK in a page talks to this server cross-origin.
        let mut resp = http::Response::new(Body::empty());
        *resp.status_mut() = StatusCode::NO_CONTENT;
        add_common_headers(&mut resp);
        return resp;
    }
    let peer = parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip().to_string());
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY_BYTES).await else {
        let mut resp = failure_response(&Failure {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            body: serde_json::json!({"errors": {"base": [format!("Request body is larger than {MAX_BODY_BYTES} bytes")]}}),
            retry_after: None,
            allow: None,
        });
        add_common_headers(&mut resp);
        return resp;
    };
    let req = http::Request::from_parts(parts, bytes);
    let mut ctx = Context {
        service: &service,
        session: None,
        peer,
        app_id: None,
        admin_key: None,
    };
    let result = dispatch(&mut ctx, &req).await;
    let mut resp = match result {
        Ok(r) => r.map(Body::from),
        Err(f) => failure_response(&f),
    };
    // Never the token or the body: they carry secrets.
    tracing::debug!(method = %req.method(), path = req.uri().path(), status = resp.status().as_u16(), "rest");
    if let Some(s) = &ctx.session {
        if let Ok(v) = HeaderValue::from_str(&expiration_header(s.expires_at)) {
            resp.headers_mut().insert("cb-token-expirationdate", v);
        }
    }
    add_common_headers(&mut resp);
    resp
}

/// The API version header and the CORS headers every answer carries.
fn add_common_headers(resp: &mut http::Response<Body>) {
    let h = resp.headers_mut();
    h.insert(
        "connectycube-rest-api-version",
        HeaderValue::from_static("0.1.1"),
    );
    h.insert(
        http::header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    h.insert(
        http::header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, POST, PUT, PATCH, DELETE, OPTIONS"),
    );
    h.insert(
        http::header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static(
            "CB-Token, CB-SDK, CB-AuthKey, CB-Administration-API-Key, ConnectyCube-REST-API-Version, Content-Type",
        ),
    );
    h.insert(
        http::header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static("CB-Token-ExpirationDate, ConnectyCube-REST-API-Version"),
    );
    h.insert(
        http::header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static("86400"),
    );
}

/// One request's state, as the handlers see it.
struct Context<'a> {
    service: &'a Service,
    /// The authenticated session, once known.
    session: Option<SessionRecord>,
    /// The client's address, when the listener knows it.
    peer: Option<String>,
    /// The application, from the session or the `CB-AuthKey` header.
    app_id: Option<i64>,
    /// The `CB-Administration-API-Key` header, if sent.
    admin_key: Option<String>,
}

impl Context<'_> {
    fn session(&self) -> Result<&SessionRecord, Failure> {
        self.session
            .as_ref()
            .ok_or_else(|| Error::SessionMissing.into())
    }

    fn actor(&self) -> Result<Actor, Failure> {
        let s = self.session()?;
        Ok(Actor {
            app_id: s.app_id,
            user_id: s.user_id.ok_or(Error::NeedUser)?,
        })
    }
}

fn model<T: DeserializeOwned>(v: Value) -> Result<T, Failure> {
    serde_json::from_value(v).map_err(|e| Error::Internal(format!("model conversion: {e}")).into())
}

fn user_model(u: &UserRecord) -> Result<User, Failure> {
    model(u.to_json())
}

fn session_model(s: &SessionRecord, user: Option<&UserRecord>) -> Result<Session, Failure> {
    let mut v = s.to_json();
    if let Some(u) = user {
        v["user"] = u.to_json();
    }
    model(v)
}

async fn dialog_model(svc: &Service, d: DialogRecord, viewer: i64) -> Result<Dialog, Failure> {
    let domain = svc.domain().to_owned();
    let v = svc
        .read(move |c| dialogs::view(c, &d, viewer, &domain))
        .await?;
    model(v)
}

fn ok<R: EndpointResponse>(r: &R) -> Result<http::Response<Vec<u8>>, Failure> {
    Ok(r.try_into_http_response()?)
}

fn user_fields(p: &cube_rest::users::UserParams) -> UserFields {
    UserFields {
        login: p.login.clone(),
        email: p.email.clone(),
        password: p.password.as_ref().map(|x| x.expose().to_owned()),
        old_password: p.old_password.as_ref().map(|x| x.expose().to_owned()),
        full_name: p.full_name.clone(),
        phone: p.phone.clone(),
        website: p.website.clone(),
        custom_data: p.custom_data.clone().map(Value::String),
        tag_list: p.tag_list.clone(),
        avatar: p.avatar.clone(),
        blob_id: p.blob_id.map(|v| v as i64),
        external_user_id: p.external_user_id.map(|v| v as i64),
        external_id: p.external_id.clone(),
        facebook_id: p.facebook_id.clone(),
        twitter_id: p.twitter_id.clone(),
        timezone: p.timezone,
    }
}

fn ids_i64(ids: &[UserId]) -> Vec<i64> {
    ids.iter().map(|u| u.get() as i64).collect()
}

fn changes(c: &cube_rest::chat::IdChanges) -> IdChanges {
    IdChanges {
        occupants_ids: ids_i64(&c.occupants_ids),
        admins_ids: ids_i64(&c.admins_ids),
        pinned_messages_ids: c
            .pinned_messages_ids
            .iter()
            .map(ToString::to_string)
            .collect(),
    }
}

fn to_object(map: &BTreeMap<String, String>) -> Map<String, Value> {
    map.iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect()
}

fn parse_ids<T: std::str::FromStr>(ids: &[String]) -> Vec<T> {
    ids.iter().filter_map(|s| s.parse().ok()).collect()
}

async fn authenticate<B>(
    ctx: &mut Context<'_>,
    req: &http::Request<B>,
    auth: AuthKind,
) -> Result<Option<i64>, Failure> {
    let token = cube_rest::token(req);
    match (auth, token) {
        (AuthKind::None, _) => Ok(None),
        (AuthKind::AuthKeyOrSession, None) => {
            let key = cube_rest::auth_key(req)
                .ok_or(Error::SessionMissing)?
                .to_owned();
            let app = ctx
                .service
                .read(move |c| apps::by_auth_key(c, &key))
                .await?
                .ok_or(Error::SessionMissing)?;
            Ok(Some(app.id))
        }
        (_, None) => Err(Error::SessionMissing.into()),
        (_, Some(token)) => {
            let s = ctx.service.authenticate(token).await?;
            let app_id = s.app_id;
            ctx.service
                .check_rate(app_id, &format!("token:{token}"))
                .await?;
            if let Some(peer) = &ctx.peer {
                ctx.service
                    .check_rate(app_id, &format!("addr:{peer}"))
                    .await?;
            }
            let has_user = s.user_id.is_some();
            ctx.session = Some(s);
            if auth == AuthKind::UserSession && !has_user {
                return Err(Error::NeedUser.into());
            }
            Ok(Some(app_id))
        }
    }
}

async fn dispatch(ctx: &mut Context<'_>, req: &http::Request<bytes::Bytes>) -> Reply {
    let route = cube_rest::route(req.method(), req.uri().path())?;
    ctx.app_id = authenticate(ctx, req, route.kind.metadata().auth).await?;
    ctx.admin_key = cube_rest::header_str(req, ADMIN_KEY_HEADER).map(str::to_owned);
    match cube_rest::parse_request(req)? {
        AnyRequest::CreateSession(r) => handlers::sessions::create_session(ctx, r).await,
        AnyRequest::GetSession(r) => handlers::sessions::get_session(ctx, r).await,
        AnyRequest::DeleteSession(r) => handlers::sessions::delete_session(ctx, r).await,
        AnyRequest::CreateLogin(r) => handlers::sessions::create_login(ctx, r).await,
        AnyRequest::DeleteLogin(r) => handlers::sessions::delete_login(ctx, r).await,
        AnyRequest::CreateUser(r) => handlers::users::create_user(ctx, r).await,
        AnyRequest::GetUser(r) => handlers::users::get_user(ctx, r).await,
        AnyRequest::ListUsers(r) => handlers::users::list_users(ctx, r).await,
        AnyRequest::UpdateUser(r) => handlers::users::update_user(ctx, r).await,
        AnyRequest::DeleteUser(r) => handlers::users::delete_user(ctx, r).await,
        AnyRequest::CreateDialog(r) => handlers::dialogs::create_dialog(ctx, r).await,
        AnyRequest::ListDialogs(r) => handlers::dialogs::list_dialogs(ctx, r).await,
        AnyRequest::UpdateDialog(r) => handlers::dialogs::update_dialog(ctx, r).await,
        AnyRequest::UpdateAdmins(r) => handlers::dialogs::update_admins(ctx, r).await,
        AnyRequest::DeleteDialog(r) => handlers::dialogs::delete_dialog(ctx, r).await,
        AnyRequest::Subscribe(r) => handlers::dialogs::subscribe(ctx, r).await,
        AnyRequest::Unsubscribe(r) => handlers::dialogs::unsubscribe(ctx, r).await,
        AnyRequest::ListOccupants(r) => handlers::dialogs::list_occupants(ctx, r).await,
        AnyRequest::GetNotifications(r) => handlers::dialogs::get_notifications(ctx, r).await,
        AnyRequest::UpdateNotifications(r) => handlers::dialogs::update_notifications(ctx, r).await,
        AnyRequest::CreateMessage(r) => handlers::messages::create_message(ctx, r).await,
        AnyRequest::ListMessages(r) => handlers::messages::list_messages(ctx, r).await,
        AnyRequest::UpdateMessages(r) => handlers::messages::update_messages(ctx, r).await,
        AnyRequest::DeleteMessages(r) => handlers::messages::delete_messages(ctx, r).await,
        AnyRequest::UnreadCounts(r) => handlers::messages::unread_counts(ctx, r).await,
        AnyRequest::CreateSystemMessage(r) => {
            handlers::messages::create_system_message(ctx, r).await
        }
        AnyRequest::ListOnline(r) => handlers::users::list_online(ctx, r).await,
        AnyRequest::CreatePasswordReset(r) => handlers::users::create_password_reset(ctx, r),
        AnyRequest::GetPasswordReset(r) => handlers::users::get_password_reset(ctx, r),
        AnyRequest::BlockUsers(r) => handlers::dialogs::block_users(ctx, r).await,
        AnyRequest::UnblockUsers(r) => handlers::dialogs::unblock_users(ctx, r).await,
        AnyRequest::ClearHistory(r) => handlers::dialogs::clear_history(ctx, r).await,
        AnyRequest::UpdateDialogMessages(r) => {
            handlers::messages::update_dialog_messages(ctx, r).await
        }
        AnyRequest::UpdateReactions(r) => handlers::messages::update_reactions(ctx, r).await,
        AnyRequest::ListReactions(r) => handlers::messages::list_reactions(ctx, r).await,
    }
}
