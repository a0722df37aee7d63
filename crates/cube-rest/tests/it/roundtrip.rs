//! Every endpoint round-trips: typed request -> client `http::Request` -> server typed request,
//! and typed response -> server `http::Response` -> client typed response.

use std::fmt::Debug;

use cube_auth::{Provider, SessionCredentials};
use cube_model::{
    AppId, Attachment, DeleteResult, Dialog, DialogId, DialogType, Filter, FilterValue, Message,
    MessageId, ObjectId, Op, Page, Permissions, Query, Session, Sort, SystemMessageResponse,
    UnreadCounts, User, UserId,
};
use cube_rest::chat::{self, IdChanges, create_message::Target};
use cube_rest::users::{self, UserParams};
use cube_rest::{AnyRequest, EndpointResponse, parse_request, session};
use proptest::prelude::*;
use proptest::strategy::Union;
use serde_json::Value;

use crate::support::normalize;

fn object_id() -> impl Strategy<Value = ObjectId> {
    any::<[u8; 12]>().prop_map(ObjectId)
}

fn dialog_id() -> impl Strategy<Value = DialogId> {
    object_id().prop_map(DialogId)
}

fn message_id() -> impl Strategy<Value = MessageId> {
    object_id().prop_map(MessageId)
}

fn user_id() -> impl Strategy<Value = UserId> {
    any::<u64>().prop_map(UserId)
}

/// Any printable text, including the characters that need encoding (`&=+%[], `).
fn text() -> impl Strategy<Value = String> {
    "\\PC{0,12}".prop_filter("the JS SDK's stringified undefined", |s| s != "undefined")
}

/// Text a header can carry.
fn header_text() -> impl Strategy<Value = String> {
    "[!-~]{1,24}"
}

/// A field or parameter name.
fn ident() -> impl Strategy<Value = String> {
    "[a-z][a-z_]{0,8}"
}

/// A list element that survives comma-joining.
fn list_item() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9._~*()!'-]{1,6}"
}

fn opt<T: Debug + Clone + 'static>(
    s: impl Strategy<Value = T> + 'static,
) -> BoxedStrategy<Option<T>> {
    proptest::option::of(s).boxed()
}

fn credentials(login_only: bool) -> BoxedStrategy<SessionCredentials> {
    let provider = prop_oneof![
        Just(Provider::Facebook),
        Just(Provider::Twitter),
        ident()
            .prop_filter("named providers", |n| {
                !matches!(
                    n.as_str(),
                    "facebook" | "twitter" | "firebase_phone" | "firebase_email"
                )
            })
            .prop_map(Provider::Other),
    ];
    let mut arms: Vec<BoxedStrategy<SessionCredentials>> = vec![
        (text(), text())
            .prop_map(|(l, p)| SessionCredentials::login(l, p))
            .boxed(),
        (text(), text())
            .prop_map(|(e, p)| SessionCredentials::email(e, p))
            .boxed(),
        (provider, text(), opt(text()))
            .prop_map(|(provider, token, secret)| SessionCredentials::Provider {
                provider,
                token: token.into(),
                secret: secret.map(Into::into),
            })
            .boxed(),
        (text(), text())
            .prop_map(|(p, t)| SessionCredentials::firebase_phone(p, t))
            .boxed(),
        (text(), text())
            .prop_map(|(p, t)| SessionCredentials::firebase_email(p, t))
            .boxed(),
    ];
    if !login_only {
        arms.push(Just(SessionCredentials::Application).boxed());
        arms.push(opt(text()).prop_map(SessionCredentials::guest).boxed());
    }
    Union::new(arms).boxed()
}

fn user_params() -> impl Strategy<Value = UserParams> {
    (
        (
            opt(text()),
            opt(text()),
            opt(text()),
            opt(text()),
            opt(text()),
        ),
        (opt(text()), opt(text()), opt(text())),
        opt(proptest::collection::vec(list_item(), 0..4)),
        (
            opt(any::<u64>()),
            opt(text()),
            opt(any::<u64>()),
            opt(any::<i64>()),
        ),
    )
        .prop_map(
            |((login, email, password, old, name), (phone, site, data), tags, nums)| {
                let mut u = UserParams::new();
                u.login = login;
                u.email = email;
                u.password = password.map(Into::into);
                u.old_password = old.map(Into::into);
                u.full_name = name;
                u.phone = phone;
                u.website = site;
                u.custom_data = data;
                u.tag_list = tags;
                (u.external_user_id, u.external_id, u.blob_id, u.timezone) = nums;
                u
            },
        )
}

const RESERVED: [&str; 7] = [
    "limit",
    "skip",
    "offset",
    "count",
    "sort_asc",
    "sort_desc",
    "extensions",
];

fn query(extra_reserved: &'static [&'static str]) -> impl Strategy<Value = Query> {
    let op = proptest::sample::select(Op::ALL.to_vec());
    let field = ident().prop_filter("reserved keys", move |f| {
        !RESERVED.contains(&f.as_str()) && !extra_reserved.contains(&f.as_str())
    });
    let filters = proptest::collection::btree_map(
        field,
        (op, text(), proptest::collection::vec(list_item(), 1..4)),
        0..4,
    );
    (
        filters,
        opt((ident(), any::<bool>())),
        (
            opt(any::<u64>()),
            opt(any::<u64>()),
            opt(any::<u64>()),
            any::<bool>(),
        ),
    )
        .prop_map(|(filters, sort, (limit, skip, offset, count))| {
            let mut q = Query::new();
            for (field, (op, one, many)) in filters {
                q = q.with_filter(if op.takes_list() {
                    Filter::list(field, op, many)
                } else {
                    Filter::new(field, op, one)
                });
            }
            q.sort = sort.map(|(f, desc)| if desc { Sort::desc(f) } else { Sort::asc(f) });
            (q.limit, q.skip, q.offset, q.count) = (limit, skip, offset, count);
            q
        })
}

/// Filters in a canonical order, list values sorted: the wire does not keep either.
fn canonical(mut q: Query) -> Query {
    for f in &mut q.filters {
        if let FilterValue::Many(v) = &mut f.value {
            v.sort();
        }
    }
    q.filters.sort_by(|a, b| a.field.cmp(&b.field));
    q
}

fn canonical_request(req: AnyRequest) -> AnyRequest {
    match normalize(req) {
        AnyRequest::ListUsers(mut r) => {
            r.query = canonical(r.query);
            r.into()
        }
        AnyRequest::ListDialogs(mut r) => {
            r.query = canonical(r.query);
            r.into()
        }
        AnyRequest::ListMessages(mut r) => {
            r.query = canonical(r.query);
            r.into()
        }
        other => other,
    }
}

fn scalar_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        text().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<bool>().prop_map(Value::from),
    ]
}

fn ids<T: Debug>(s: impl Strategy<Value = T>, min: usize) -> impl Strategy<Value = Vec<T>> {
    proptest::collection::vec(s, min..5)
}

fn id_changes() -> impl Strategy<Value = IdChanges> {
    (ids(user_id(), 0), ids(user_id(), 0), ids(message_id(), 0)).prop_map(|(o, a, p)| {
        IdChanges::new()
            .with_occupants(o)
            .with_admins(a)
            .with_pinned(p)
    })
}

fn permissions() -> impl Strategy<Value = Permissions> {
    opt(any::<bool>()).prop_map(|p| p.map_or_else(Permissions::default, Permissions::allow_preview))
}

fn session_requests() -> Vec<BoxedStrategy<AnyRequest>> {
    let signed = (any::<i64>(), any::<i64>(), "[0-9a-f]{40}");
    vec![
        (
            any::<u64>(),
            text(),
            credentials(false),
            opt(signed),
            opt(any::<i64>()),
        )
            .prop_map(|(app, key, creds, signed, ts)| {
                let mut r = session::create_session::Request::new(AppId(app), key, creds);
                r.signed =
                    signed.map(|(n, t, s)| session::create_session::SignedPart::new(n, t, s));
                r.timestamp = if r.signed.is_some() { None } else { ts };
                r.into()
            })
            .boxed(),
        Just(session::get_session::Request::new().into()).boxed(),
        Just(session::delete_session::Request::new().into()).boxed(),
        credentials(true)
            .prop_map(|c| session::create_login::Request::new(c).into())
            .boxed(),
        Just(session::delete_login::Request::new().into()).boxed(),
    ]
}

fn user_requests() -> Vec<BoxedStrategy<AnyRequest>> {
    vec![
        (user_params(), opt(header_text()))
            .prop_map(|(u, key)| {
                let mut r = users::create_user::Request::new(u);
                r.auth_key = key;
                r.into()
            })
            .boxed(),
        user_id()
            .prop_map(|id| users::get_user::Request::new(id).into())
            .boxed(),
        query(&[])
            .prop_map(|q| users::list_users::Request::new(q).into())
            .boxed(),
        (user_id(), user_params())
            .prop_map(|(id, u)| users::update_user::Request::new(id, u).into())
            .boxed(),
        user_id()
            .prop_map(|id| users::delete_user::Request::new(id).into())
            .boxed(),
        (opt(any::<u64>()), opt(any::<u64>()), any::<bool>())
            .prop_map(|(limit, offset, count)| {
                let mut r = if count {
                    users::list_online::Request::count()
                } else {
                    users::list_online::Request::new()
                };
                (r.limit, r.offset) = (limit, offset);
                r.into()
            })
            .boxed(),
        text()
            .prop_map(|e| users::create_password_reset::Request::new(e).into())
            .boxed(),
        text()
            .prop_map(|e| users::get_password_reset::Request::new(e).into())
            .boxed(),
    ]
}

/// A reaction: any non-empty text (emoji in practice).
fn reaction() -> impl Strategy<Value = String> {
    "\\PC{1,4}".prop_filter("the JS SDK's stringified undefined", |s| s != "undefined")
}

fn dialog_requests() -> Vec<BoxedStrategy<AnyRequest>> {
    let extensions = proptest::collection::btree_map(ident(), text(), 1..3);
    vec![
        (
            any::<u8>(),
            (opt(text()), opt(text()), opt(text())),
            (ids(user_id(), 0), ids(user_id(), 0)),
            (opt(extensions), opt(permissions())),
        )
            .prop_map(|(t, (name, desc, photo), (occ, adm), (ext, perm))| {
                let mut r = chat::create_dialog::Request::new(DialogType::from_code(t), occ)
                    .with_admins(adm);
                (r.name, r.description, r.photo) = (name, desc, photo);
                (r.extensions, r.permissions) = (ext, perm);
                r.into()
            })
            .boxed(),
        query(&[])
            .prop_map(|q| chat::list_dialogs::Request::new(q).into())
            .boxed(),
        (
            dialog_id(),
            (opt(text()), opt(text()), opt(text())),
            opt(proptest::collection::btree_map(ident(), text(), 0..3)),
            opt(permissions()),
            (id_changes(), id_changes()),
        )
            .prop_map(|(id, (name, desc, photo), ext, perm, (push, pull))| {
                let mut r = chat::update_dialog::Request::new(id)
                    .with_push_all(push)
                    .with_pull_all(pull);
                (r.name, r.description, r.photo) = (name, desc, photo);
                (r.extensions, r.permissions) = (ext, perm);
                r.into()
            })
            .boxed(),
        (ids(dialog_id(), 1), any::<bool>())
            .prop_map(|(ids, f)| chat::delete_dialog::Request::new(ids).with_force(f).into())
            .boxed(),
        (dialog_id(), ids(user_id(), 0), ids(user_id(), 0))
            .prop_map(|(id, push, pull)| {
                let mut r = chat::update_admins::Request::add(id, push);
                r.pull = pull;
                r.into()
            })
            .boxed(),
        dialog_id()
            .prop_map(|id| chat::subscribe::Request::new(id).into())
            .boxed(),
        dialog_id()
            .prop_map(|id| chat::unsubscribe::Request::new(id).into())
            .boxed(),
        (dialog_id(), opt(any::<u64>()), opt(any::<u64>()))
            .prop_map(|(id, limit, skip)| {
                let mut r = chat::list_occupants::Request::new(id);
                (r.limit, r.skip) = (limit, skip);
                r.into()
            })
            .boxed(),
        dialog_id()
            .prop_map(|id| chat::get_notifications::Request::new(id).into())
            .boxed(),
        (dialog_id(), any::<bool>())
            .prop_map(|(id, on)| chat::update_notifications::Request::new(id, on).into())
            .boxed(),
        (dialog_id(), ids(user_id(), 1))
            .prop_map(|(id, users)| chat::block_users::Request::new(id, users).into())
            .boxed(),
        (dialog_id(), ids(user_id(), 1))
            .prop_map(|(id, users)| chat::unblock_users::Request::new(id, users).into())
            .boxed(),
        (dialog_id(), any::<bool>())
            .prop_map(|(id, f)| chat::clear_history::Request::new(id).with_force(f).into())
            .boxed(),
    ]
}

fn message_requests() -> Vec<BoxedStrategy<AnyRequest>> {
    let target = prop_oneof![
        dialog_id().prop_map(Target::Dialog),
        user_id().prop_map(Target::Recipient)
    ];
    let attachment = (text(), opt(text()), opt(text())).prop_map(|(kind, uid, url)| {
        let mut a = Attachment::new(kind);
        (a.uid, a.url) = (uid, url);
        a
    });
    let custom_key = "x[a-zA-Z_]{0,8}";
    vec![
        (
            target,
            opt(text()),
            proptest::collection::vec(attachment, 0..3),
            (any::<bool>(), any::<bool>()),
            proptest::collection::btree_map(custom_key, scalar_value(), 0..3),
        )
            .prop_map(|(target, text, atts, (send, mark), custom)| {
                let mut r = chat::create_message::Request::new(target, "")
                    .with_send_to_chat(send)
                    .with_markable(mark);
                r.message = text;
                r.attachments = atts;
                r.custom = custom;
                r.into()
            })
            .boxed(),
        (
            dialog_id(),
            query(&["chat_dialog_id", "mark_as_read", "preview"]),
            any::<bool>(),
            any::<bool>(),
        )
            .prop_map(|(d, q, mark, preview)| {
                chat::list_messages::Request::new(d, q)
                    .with_mark_as_read(mark)
                    .with_preview(preview)
                    .into()
            })
            .boxed(),
        (
            ids(message_id(), 1),
            opt(dialog_id()),
            (any::<bool>(), any::<bool>()),
            opt(text()),
        )
            .prop_map(|(ids, dialog, (read, delivered), text)| {
                let mut r = chat::update_messages::Request::new(ids);
                r.chat_dialog_id = dialog;
                (r.read, r.delivered, r.message) = (read, delivered, text);
                r.into()
            })
            .boxed(),
        (ids(message_id(), 1), any::<bool>())
            .prop_map(|(ids, f)| {
                chat::delete_messages::Request::new(ids)
                    .with_force(f)
                    .into()
            })
            .boxed(),
        ids(dialog_id(), 0)
            .prop_map(|ids| chat::unread_counts::Request::new(ids).into())
            .boxed(),
        (
            user_id(),
            proptest::collection::btree_map(custom_key, scalar_value(), 0..3),
        )
            .prop_map(|(to, extra)| {
                let mut r = chat::create_system_message::Request::new(to);
                r.extra = extra;
                r.into()
            })
            .boxed(),
        (dialog_id(), any::<bool>(), any::<bool>())
            .prop_map(|(d, read, delivered)| {
                let mut r = chat::update_dialog_messages::Request::read(d);
                (r.read, r.delivered) = (read, delivered);
                r.into()
            })
            .boxed(),
        (message_id(), opt(reaction()), reaction())
            .prop_map(|(id, add, remove)| match add {
                Some(add) => chat::update_reactions::Request::replace(id, add, remove).into(),
                None => chat::update_reactions::Request::remove(id, remove).into(),
            })
            .boxed(),
        message_id()
            .prop_map(|id| chat::list_reactions::Request::new(id).into())
            .boxed(),
    ]
}

fn any_request() -> impl Strategy<Value = AnyRequest> {
    let mut arms = session_requests();
    arms.extend(user_requests());
    arms.extend(dialog_requests());
    arms.extend(message_requests());
    Union::new(arms)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn requests_round_trip_client_to_server(req in any_request(), token in opt(header_text())) {
        let http = req
            .try_into_http_request("http://127.0.0.1:8080/", token.as_deref())
            .expect("builds");
        prop_assert!(http.uri().path().strip_suffix(".json").is_some());
        let back = parse_request(&http).map_err(|e| TestCaseError::fail(format!("{e:?} for {http:?}")))?;
        let mut want = req;
        if let (AnyRequest::CreateUser(r), Some(_)) = (&mut want, &token) {
            // With a session the auth key is not sent.
            r.auth_key = None;
        }
        prop_assert_eq!(canonical_request(back), canonical_request(want));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn query_pairs_round_trip(pairs in proptest::collection::vec(("[a-z]{1,4}(\\[[a-z]{0,3}\\]){0,2}", "\\PC{0,10}"), 0..6)) {
        let mut q = cube_rest::query::QueryBuilder::new();
        for (k, v) in &pairs {
            q.pair(k, v);
        }
        let mut back = cube_rest::query::pairs(&q.finish()).expect("parses");
        let mut want = pairs;
        back.sort();
        want.sort();
        prop_assert_eq!(back, want);
    }
}

fn round_trip<R: EndpointResponse + PartialEq + Debug>(r: &R) -> Result<(), TestCaseError> {
    let http = r.try_into_http_response().expect("encodes");
    prop_assert!(http.status().is_success());
    let back = R::try_from_http_response(&http).map_err(|e| {
        TestCaseError::fail(format!("{e:?}: {:?}", String::from_utf8_lossy(http.body())))
    })?;
    prop_assert_eq!(&back, r);
    Ok(())
}

fn session_value() -> impl Strategy<Value = Session> {
    (
        any::<u64>(),
        user_id(),
        header_text(),
        any::<i64>(),
        opt(any::<i64>()),
    )
        .prop_map(|(app, user, token, ts, nonce)| {
            let s = Session::new(AppId(app), user, token).with_ts(ts);
            match nonce {
                Some(n) => s.with_nonce(n),
                None => s,
            }
        })
}

fn user_value() -> impl Strategy<Value = User> {
    (
        user_id(),
        opt(text()),
        opt(text()),
        opt(proptest::collection::vec(list_item(), 1..3)),
    )
        .prop_map(|(id, name, login, tags)| {
            let mut u = User::new(id);
            (u.full_name, u.login) = (name, login);
            if let Some(tags) = tags {
                u = u.with_tags(tags);
            }
            u
        })
}

fn dialog_value() -> impl Strategy<Value = Dialog> {
    (
        dialog_id(),
        user_id(),
        any::<u8>(),
        opt(text()),
        ids(user_id(), 0),
        proptest::collection::btree_map(ident(), text(), 0..2),
    )
        .prop_map(|(id, owner, t, name, occ, ext)| {
            let mut d = Dialog::new(id, owner, DialogType::from_code(t)).with_occupants(occ);
            d.name = name;
            for (k, v) in ext {
                d = d.with_extension(k, v);
            }
            d
        })
}

fn message_value() -> impl Strategy<Value = Message> {
    (
        message_id(),
        dialog_id(),
        user_id(),
        text(),
        any::<i64>(),
        proptest::collection::btree_map("x[a-z]{0,6}", scalar_value(), 0..2),
    )
        .prop_map(|(id, d, from, body, sent, custom)| {
            let mut m = Message::new(id, d, from, body, sent);
            for (k, v) in custom {
                m = m.with_custom(k, v);
            }
            m
        })
}

fn page<T: Debug + Clone + 'static>(
    item: impl Strategy<Value = T> + 'static,
) -> impl Strategy<Value = Page<T>> {
    (
        any::<u64>(),
        any::<u64>(),
        proptest::collection::vec(item, 0..3),
        opt(any::<u64>()),
    )
        .prop_map(|(skip, limit, items, total)| {
            let p = Page::new(skip, limit, items);
            match total {
                Some(t) => p.with_total(t),
                None => p,
            }
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn session_and_user_responses_round_trip(s in session_value(), u in user_value(), p in page(user_value())) {
        round_trip(&session::create_session::Response::new(s.clone()))?;
        round_trip(&session::get_session::Response::new(s))?;
        round_trip(&session::create_login::Response::new(u.clone()))?;
        round_trip(&users::create_user::Response::new(u.clone()))?;
        round_trip(&users::get_user::Response::new(u.clone()))?;
        round_trip(&users::update_user::Response::new(u))?;
        round_trip(&users::list_users::Response::new(p.clone()))?;
        round_trip(&chat::list_occupants::Response::new(p.clone()))?;
        round_trip(&session::delete_session::Response::new())?;
        round_trip(&session::delete_login::Response::new())?;
        round_trip(&users::delete_user::Response::new())?;
        round_trip(&users::list_online::Response::Users(p.items.clone()))?;
        round_trip(&users::list_online::Response::Count(p.skip))?;
        round_trip(&users::create_password_reset::Response::new())?;
        round_trip(&users::get_password_reset::Response::new())?;
    }

    #[test]
    fn dialog_responses_round_trip(d in dialog_value(), p in page(dialog_value()), n in any::<u64>(), on in any::<bool>(),
                                   ok in ids(dialog_id(), 0), missing in ids(dialog_id(), 0)) {
        round_trip(&chat::create_dialog::Response::new(d.clone()))?;
        round_trip(&chat::update_dialog::Response::new(d.clone()))?;
        round_trip(&chat::update_admins::Response::new(d.clone()))?;
        round_trip(&chat::subscribe::Response::new(d))?;
        round_trip(&chat::list_dialogs::Response::Page(p))?;
        round_trip(&chat::list_dialogs::Response::Count(n))?;
        round_trip(&chat::get_notifications::Response::new(on))?;
        round_trip(&chat::unsubscribe::Response::new())?;
        round_trip(&chat::delete_dialog::Response::empty())?;
        round_trip(&chat::delete_dialog::Response::with_result(DeleteResult::from_lists(ok, missing, Vec::new())))?;
        round_trip(&chat::block_users::Response::new())?;
        round_trip(&chat::unblock_users::Response::new())?;
        round_trip(&chat::clear_history::Response::new())?;
    }

    #[test]
    fn message_responses_round_trip(m in message_value(), p in page(message_value()), to in user_id(),
                                    id in message_id(), counts in proptest::collection::btree_map(dialog_id(), 0..1000u64, 0..3),
                                    params in proptest::collection::btree_map(ident(), text(), 0..3),
                                    gone in ids(message_id(), 0)) {
        round_trip(&chat::create_message::Response::new(m))?;
        round_trip(&chat::list_messages::Response::new(p))?;
        round_trip(&chat::update_messages::Response::new())?;
        round_trip(&chat::delete_messages::Response::new(DeleteResult::from_lists(gone, Vec::new(), Vec::new())))?;
        round_trip(&chat::unread_counts::Response::new(UnreadCounts::from_per_dialog(counts)))?;
        round_trip(&chat::create_system_message::Response::new(SystemMessageResponse::new(id, to, params)))?;
        round_trip(&chat::update_dialog_messages::Response::new())?;
        round_trip(&chat::update_reactions::Response::new())?;
    }

    #[test]
    fn reactions_round_trip(reactions in proptest::collection::btree_map(reaction(), ids(user_id(), 0), 0..4)) {
        round_trip(&chat::list_reactions::Response::new(reactions))?;
    }
}

/// The query string `req` is sent with.
fn query_of(req: impl Into<AnyRequest>) -> String {
    let http = req
        .into()
        .try_into_http_request("http://h", Some("t"))
        .expect("builds");
    http.uri().query().unwrap_or("").to_owned()
}

#[test]
fn list_queries_use_the_sdk_conventions() {
    let q = Query::new()
        .with_filter(Filter::list("id", Op::In, ["6", "10", "5"]))
        .with_filter(Filter::new("login", Op::Eq, "a b"));
    assert_eq!(
        query_of(users::list_users::Request::new(q.clone())),
        "id[in][]=10&id[in][]=5&id[in][]=6&login=a%20b"
    );
    assert_eq!(
        query_of(chat::list_dialogs::Request::new(q)),
        "id[in]=10%2C5%2C6&login=a%20b"
    );
}
