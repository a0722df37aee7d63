//! The REST surface: one catch-all handler that reads the body (1 MiB at most), routes and
//! authenticates with cube-rest's endpoint table, runs the domain operation and answers with
//! cube-rest's response types.

use std::collections::BTreeMap;

use axum::body::Body;
use axum::extract::State;
use cube_model::{
    Dialog, DialogDeleteResult, DialogId, Message, MessageDeleteResult, MessageId, Page, Session,
    SystemMessageResponse, UnreadCounts, User, UserId,
};
use cube_rest::chat::{
    create_dialog, create_message, create_system_message, delete_dialog, delete_messages,
    get_notifications, list_dialogs, list_messages, list_occupants, subscribe, unread_counts,
    unsubscribe, update_admins, update_dialog, update_messages, update_notifications,
};
use cube_rest::session::{create_login, create_session, delete_login, delete_session, get_session};
use cube_rest::users::{create_user, delete_user, get_user, list_users, update_user};
use cube_rest::{AnyRequest, AuthKind, EndpointResponse, FromHttpRequestError, MAX_BODY_BYTES};
use http::{HeaderValue, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::domain::apps;
use crate::domain::dialogs::{self, Actor, DialogRecord, DialogUpdate, IdChanges, NewDialog};
use crate::domain::error::Error;
use crate::domain::messages::{self, MessageUpdate, NewMessage};
use crate::domain::sessions::SessionRecord;
use crate::domain::time::expiration_header;
use crate::domain::users::{self, UserFields, UserRecord};
use crate::service::{Event, Service, SessionRequest};

/// The header that carries the administration API key (broadcast dialogs).
pub const ADMIN_KEY_HEADER: &str = "cb-administration-api-key";

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
        }
    }
}

impl From<FromHttpRequestError> for Failure {
    fn from(e: FromHttpRequestError) -> Self {
        let (status, body) = e.error_response();
        Failure {
            status,
            body: serde_json::to_value(body).unwrap_or_else(|_| Value::Null),
            retry_after: None,
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
        });
        add_common_headers(&mut resp);
        return resp;
    };
    let req = http::Request::from_parts(parts, bytes);
    let mut ctx = Context {
        service: &service,
        session: None,
        peer,
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

struct Context<'a> {
    service: &'a Service,
    session: Option<SessionRecord>,
    /// The client's address, when the listener knows it.
    peer: Option<String>,
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

async fn dispatch(
    ctx: &mut Context<'_>,
    req: &http::Request<bytes::Bytes>,
) -> Result<http::Response<Vec<u8>>, Failure> {
    let route = cube_rest::route(req.method(), req.uri().path())?;
    let app_id = authenticate(ctx, req, route.kind.metadata().auth).await?;
    let parsed = cube_rest::parse_request(req)?;
    let svc = ctx.service.clone();
    let now = svc.now();
    match parsed {
        AnyRequest::CreateSession(r) => {
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
        AnyRequest::GetSession(_) => {
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
        AnyRequest::DeleteSession(_) => {
            let token = ctx.session()?.token.clone();
            svc.delete_session(&token).await?;
            ctx.session = None;
            ok(&delete_session::Response::new())
        }
        AnyRequest::CreateLogin(r) => {
            let s = ctx.session()?.clone();
            let user = svc.login(&s, &r.credentials).await?;
            ok(&create_login::Response::new(user_model(&user)?))
        }
        AnyRequest::DeleteLogin(_) => {
            let id = ctx.session()?.id;
            let s = svc.set_session_user(id, None).await?;
            ctx.session = Some(s);
            ok(&delete_login::Response::new())
        }
        AnyRequest::CreateUser(r) => {
            let app_id = app_id.ok_or(Error::SessionMissing)?;
            let user = svc.sign_up(app_id, user_fields(&r.user)).await?;
            ok(&create_user::Response::new(user_model(&user)?))
        }
        AnyRequest::GetUser(r) => {
            let app_id = ctx.session()?.app_id;
            let id = r.id.get() as i64;
            let user = svc.read(move |c| users::get(c, app_id, id)).await?;
            ok(&get_user::Response::new(user_model(&user)?))
        }
        AnyRequest::ListUsers(r) => {
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
                Page::new(page.skip as u64, page.limit as u64, items)
                    .with_total(page.total_entries as u64),
            ))
        }
        AnyRequest::UpdateUser(r) => {
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
        AnyRequest::DeleteUser(r) => {
            let actor = ctx.actor()?;
            let id = r.id.get() as i64;
            if id != actor.user_id {
                return Err(Error::Forbidden("You can delete only your own user".into()).into());
            }
            svc.delete_user(actor.app_id, id).await?;
            ctx.session = None;
            ok(&delete_user::Response::new())
        }
        AnyRequest::CreateDialog(r) => {
            let actor = ctx.actor()?;
            let admin_api = match cube_rest::header_str(req, ADMIN_KEY_HEADER) {
                Some(given) => {
                    let app = svc.application(actor.app_id).await?;
                    app.and_then(|a| a.settings.admin_api_key)
                        .is_some_and(|k| k == given)
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
        AnyRequest::ListDialogs(r) => {
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
                Page::new(page.skip as u64, page.limit as u64, items)
                    .with_total(page.total_entries as u64),
            ))
        }
        AnyRequest::UpdateDialog(r) => {
            let actor = ctx.actor()?;
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
            let d = svc
                .write(move |c| dialogs::update(c, actor, &id, &up, now))
                .await?;
            ok(&update_dialog::Response::new(
                dialog_model(&svc, d, actor.user_id).await?,
            ))
        }
        AnyRequest::UpdateAdmins(r) => {
            let actor = ctx.actor()?;
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
            let d = svc
                .write(move |c| dialogs::update(c, actor, &id, &up, now))
                .await?;
            ok(&update_admins::Response::new(
                dialog_model(&svc, d, actor.user_id).await?,
            ))
        }
        AnyRequest::DeleteDialog(r) => {
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
        AnyRequest::Subscribe(r) => {
            let actor = ctx.actor()?;
            let id = r.id.to_string();
            let d = svc
                .write(move |c| dialogs::subscribe(c, actor, &id))
                .await?;
            ok(&subscribe::Response::new(
                dialog_model(&svc, d, actor.user_id).await?,
            ))
        }
        AnyRequest::Unsubscribe(r) => {
            let actor = ctx.actor()?;
            let id = r.id.to_string();
            svc.write(move |c| dialogs::unsubscribe(c, actor, &id))
                .await?;
            ok(&unsubscribe::Response::new())
        }
        AnyRequest::ListOccupants(r) => {
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
        AnyRequest::GetNotifications(r) => {
            let actor = ctx.actor()?;
            let id = r.id.to_string();
            let on = svc
                .read(move |c| dialogs::notifications(c, actor, &id))
                .await?;
            ok(&get_notifications::Response::new(on))
        }
        AnyRequest::UpdateNotifications(r) => {
            let actor = ctx.actor()?;
            let id = r.id.to_string();
            let enabled = r.enabled;
            let on = svc
                .write(move |c| dialogs::set_notifications(c, actor, &id, enabled))
                .await?;
            ok(&update_notifications::Response::new(on))
        }
        AnyRequest::CreateMessage(r) => {
            let actor = ctx.actor()?;
            let mut custom: Map<String, Value> = r.custom.clone().into_iter().collect();
            let date_sent = custom.remove("date_sent").and_then(|v| match v {
                Value::Number(n) => n.as_i64(),
                Value::String(s) => s.parse().ok(),
                _ => None,
            });
            let input = NewMessage {
                chat_dialog_id: match &r.target {
                    create_message::Target::Dialog(d) => Some(d.to_string()),
                    create_message::Target::Recipient(_) => None,
                },
                recipient_id: match &r.target {
                    create_message::Target::Recipient(u) => Some(u.get() as i64),
                    create_message::Target::Dialog(_) => None,
                },
                message: r.message.clone(),
                attachments: r
                    .attachments
                    .iter()
                    .filter_map(|a| serde_json::to_value(a).ok())
                    .collect(),
                custom,
                date_sent,
            };
            let (mid, did) = (svc.object_id(), svc.object_id());
            let (m, d) = svc
                .write(move |c| messages::create(c, actor, &input, &mid, &did, now))
                .await?;
            let json = m.to_json(actor.user_id, d.dialog_type);
            if r.send_to_chat {
                svc.publish(Event::MessageCreated {
                    app_id: actor.app_id,
                    message: json.clone(),
                    dialog_type: d.dialog_type,
                    recipients: d.members.clone(),
                });
            }
            ok(&create_message::Response::new(model::<Message>(json)?))
        }
        AnyRequest::ListMessages(r) => {
            let actor = ctx.actor()?;
            let mut pairs = r.query.to_pairs(cube_model::ListStyle::Comma);
            pairs.push(("chat_dialog_id".into(), r.chat_dialog_id.to_string()));
            if !r.mark_as_read {
                pairs.push(("mark_as_read".into(), "0".into()));
            }
            if r.preview {
                pairs.push(("preview".into(), "1".into()));
            }
            // Marking read writes; a plain read of history needs no writer.
            let page = if r.mark_as_read {
                svc.write(move |c| messages::list(c, actor, &pairs)).await?
            } else {
                svc.read(move |c| messages::list(c, actor, &pairs)).await?
            };
            let items = page
                .items
                .iter()
                .map(|m| model::<Message>(m.to_json(actor.user_id, page.dialog_type)))
                .collect::<Result<Vec<_>, _>>()?;
            ok(&list_messages::Response::new(Page::new(
                page.skip as u64,
                page.limit as u64,
                items,
            )))
        }
        AnyRequest::UpdateMessages(r) => {
            let actor = ctx.actor()?;
            let ids: Vec<String> = r.ids.iter().map(ToString::to_string).collect();
            let up = MessageUpdate {
                chat_dialog_id: r.chat_dialog_id.map(|d| d.to_string()),
                read: r.read,
                delivered: r.delivered,
                message: r.message.clone(),
            };
            svc.write(move |c| messages::update(c, actor, &ids, &up, now))
                .await?;
            ok(&update_messages::Response::new())
        }
        AnyRequest::DeleteMessages(r) => {
            let actor = ctx.actor()?;
            let ids: Vec<String> = r.ids.iter().map(ToString::to_string).collect();
            let force = r.force;
            let single = ids.len() == 1;
            let (out, deleted) = if single {
                let id = ids[0].clone();
                let m = svc
                    .write(move |c| messages::delete_one(c, actor, &id, force))
                    .await?;
                let out = dialogs::DeleteOutcome {
                    deleted: vec![m.id.clone()],
                    ..Default::default()
                };
                (out, vec![m])
            } else {
                svc.write(move |c| messages::delete_many(c, actor, &ids, force))
                    .await?
            };
            if force && !deleted.is_empty() {
                let mut by_dialog: BTreeMap<String, Vec<String>> = BTreeMap::new();
                for m in &deleted {
                    by_dialog
                        .entry(m.dialog_id.clone())
                        .or_default()
                        .push(m.id.clone());
                }
                for (dialog_id, ids) in by_dialog {
                    svc.publish(Event::MessagesDeleted {
                        app_id: actor.app_id,
                        dialog_id,
                        ids,
                    });
                }
            }
            ok(&delete_messages::Response::new(
                MessageDeleteResult::from_lists(
                    parse_ids::<MessageId>(&out.deleted),
                    parse_ids(&out.not_found),
                    parse_ids(&out.wrong_permissions),
                ),
            ))
        }
        AnyRequest::UnreadCounts(r) => {
            let actor = ctx.actor()?;
            let ids: Vec<String> = r.chat_dialog_ids.iter().map(ToString::to_string).collect();
            let (_, map) = svc
                .read(move |c| {
                    messages::unread_counts(c, actor, (!ids.is_empty()).then_some(ids.as_slice()))
                })
                .await?;
            let per: BTreeMap<DialogId, u64> = map
                .into_iter()
                .filter_map(|(k, v)| Some((k.parse().ok()?, v.max(0) as u64)))
                .collect();
            ok(&unread_counts::Response::new(
                UnreadCounts::from_per_dialog(per),
            ))
        }
        AnyRequest::CreateSystemMessage(r) => {
            let actor = ctx.actor()?;
            let recipient = r.recipient_id.get() as i64;
            let exists = svc
                .read(move |c| users::exists(c, actor.app_id, recipient))
                .await?;
            if !exists {
                return Err(Error::invalid("recipientId", "is not a user").into());
            }
            let mid = svc.object_id();
            let params: BTreeMap<String, String> = r
                .extra
                .iter()
                .map(|(k, v)| {
                    let s = match v {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    (k.clone(), s)
                })
                .collect();
            svc.publish(Event::SystemMessage {
                app_id: actor.app_id,
                sender_id: actor.user_id,
                recipient_id: recipient,
                message_id: mid.clone(),
                params: r.extra.clone().into_iter().collect(),
            });
            let message_id: MessageId = mid
                .parse()
                .map_err(|_| Failure::from(Error::Internal("bad object id".into())))?;
            ok(&create_system_message::Response::new(
                SystemMessageResponse::new(message_id, r.recipient_id, params),
            ))
        }
    }
}
