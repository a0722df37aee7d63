//! proptest: every model type survives a JSON round-trip, and encoding is stable.

use std::collections::BTreeMap;
use std::fmt::Debug;

use cube_model::filter::FilterValue;
use cube_model::{
    AppId, Attachment, DeleteResult, Dialog, DialogId, DialogType, ErrorBody, Filter, IdList,
    ListStyle, Message, MessageId, MessageStatus, NotificationSettings, NotificationsEnvelope,
    ObjectId, Op, Page, Permissions, Query, Reactions, Session, SessionEnvelope, Sort,
    SystemMessageResponse, UnreadCounts, User, UserEnvelope, UserId, format_unix, parse_iso,
};
use proptest::collection::{btree_map, vec};
use proptest::option;
use proptest::prelude::*;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Encodes, decodes, checks equality, and checks that encoding again gives the same text.
fn round_trip<T>(t: &T) -> Result<(), TestCaseError>
where
    T: Serialize + DeserializeOwned + PartialEq + Debug,
{
    let text = serde_json::to_string(t).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let back: T =
        serde_json::from_str(&text).map_err(|e| TestCaseError::fail(format!("{e} in {text}")))?;
    prop_assert_eq!(&back, t, "through {}", text);
    let again = serde_json::to_string(&back).map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(again, text);
    Ok(())
}

fn text() -> impl Strategy<Value = String> {
    ".{0,12}"
}

fn opt_text() -> impl Strategy<Value = Option<String>> {
    option::of(text())
}

fn user_id() -> impl Strategy<Value = UserId> {
    any::<u64>().prop_map(UserId)
}

fn object_id() -> impl Strategy<Value = ObjectId> + Clone {
    any::<[u8; 12]>().prop_map(ObjectId)
}

fn dialog_id() -> impl Strategy<Value = DialogId> + Clone {
    object_id().prop_map(DialogId)
}

fn message_id() -> impl Strategy<Value = MessageId> + Clone {
    object_id().prop_map(MessageId)
}

fn dialog_type() -> impl Strategy<Value = DialogType> {
    any::<u8>().prop_map(DialogType::from_code)
}

/// JSON without floats (their text form is not guaranteed to round-trip bit for bit).
fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        text().prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(Value::from),
            btree_map("[a-z]{1,4}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn custom_keys() -> impl Strategy<Value = BTreeMap<String, Value>> {
    btree_map("x_[a-zA-Z]{1,6}", json(), 0..3)
}

prop_compose! {
    fn user()(
        id in user_id(),
        (full_name, email, login, phone, website) in (opt_text(), opt_text(), opt_text(), opt_text(), opt_text()),
        (created_at, updated_at, last_request_at) in (opt_text(), opt_text(), opt_text()),
        (external_user_id, external_id, facebook_id, twitter_id) in (option::of(any::<u64>()), opt_text(), opt_text(), opt_text()),
        (custom_data, blob_id, avatar) in (opt_text(), option::of(any::<u64>()), opt_text()),
        user_tags in option::of(vec("[a-z0-9_][a-z0-9_ .-]{0,6}[a-z0-9_]", 0..4)),
        timezone in option::of(any::<i64>()),
        is_guest in option::of(any::<bool>()),
    ) -> User {
        let mut u = User::new(id);
        u.full_name = full_name;
        u.email = email;
        u.login = login;
        u.phone = phone;
        u.website = website;
        u.created_at = created_at;
        u.updated_at = updated_at;
        u.last_request_at = last_request_at;
        u.external_user_id = external_user_id;
        u.external_id = external_id;
        u.facebook_id = facebook_id;
        u.twitter_id = twitter_id;
        u.custom_data = custom_data;
        u.blob_id = blob_id;
        u.avatar = avatar;
        u.user_tags = user_tags;
        u.timezone = timezone;
        u.is_guest = is_guest;
        u
    }
}

prop_compose! {
    fn session()(
        object_id in opt_text(),
        id in any::<u64>(),
        app in any::<u64>(),
        user_id in user_id(),
        nonce in option::of(any::<i64>()),
        token in text(),
        ts in any::<i64>(),
        (created_at, updated_at) in (opt_text(), opt_text()),
        user in option::of(user()),
    ) -> Session {
        let mut s = Session::new(AppId(app), user_id, token);
        s.object_id = object_id;
        s.id = id;
        s.nonce = nonce;
        s.ts = ts;
        s.created_at = created_at;
        s.updated_at = updated_at;
        s.user = user;
        s
    }
}

fn message_status() -> impl Strategy<Value = MessageStatus> {
    prop_oneof![
        Just(MessageStatus::Sent),
        Just(MessageStatus::Delivered),
        Just(MessageStatus::Read),
        "[A-Z][a-z]{0,5}".prop_map(MessageStatus::Other),
    ]
}

prop_compose! {
    fn dialog()(
        (id, owner, dialog_type) in (dialog_id(), user_id(), dialog_type()),
        (name, description, photo) in (opt_text(), opt_text(), opt_text()),
        (occupants, occupants_count, admins, pinned) in (
            vec(user_id(), 0..5), option::of(any::<u64>()), vec(user_id(), 0..3), vec(message_id(), 0..3)
        ),
        (last_message, last_date, last_id, last_user, last_status) in (
            opt_text(), option::of(any::<i64>()), option::of(message_id()), option::of(user_id()),
            option::of(message_status())
        ),
        unread in option::of(any::<u64>()),
        jid in opt_text(),
        extensions in btree_map(text(), text(), 0..3),
        allow_preview in option::of(option::of(any::<bool>())),
        (created_at, updated_at) in (opt_text(), opt_text()),
    ) -> Dialog {
        let mut d = Dialog::new(id, owner, dialog_type);
        d.name = name;
        d.description = description;
        d.photo = photo;
        d.occupants_ids = occupants;
        d.occupants_count = occupants_count;
        d.admins_ids = admins;
        d.pinned_messages_ids = pinned;
        d.last_message = last_message;
        d.last_message_date_sent = last_date;
        d.last_message_id = last_id;
        d.last_message_user_id = last_user;
        d.last_message_status = last_status;
        d.unread_messages_count = unread;
        d.xmpp_room_jid = jid;
        d.extensions = extensions;
        d.permissions = allow_preview.map(|p| {
            let mut perms = Permissions::default();
            perms.allow_preview = p;
            perms
        });
        d.created_at = created_at;
        d.updated_at = updated_at;
        d
    }
}

prop_compose! {
    fn attachment()(
        (kind, id, uid, url, name) in (opt_text(), opt_text(), opt_text(), opt_text(), opt_text()),
        (size, content_type, width, height) in (
            option::of(any::<u64>()), opt_text(), option::of(any::<u64>()), option::of(any::<u64>())
        ),
        duration in option::of((0u32..1_000_000).prop_map(|n| f64::from(n) / 4.0)),
        data in opt_text(),
        extra in custom_keys(),
    ) -> Attachment {
        let mut a = Attachment::default();
        a.kind = kind;
        a.id = id;
        a.uid = uid;
        a.url = url;
        a.name = name;
        a.size = size;
        a.content_type = content_type;
        a.width = width;
        a.height = height;
        a.duration = duration;
        a.data = data;
        a.extra = extra;
        a
    }
}

prop_compose! {
    fn reactions()(own in vec(text(), 0..3), total in btree_map(text(), any::<u64>(), 0..3)) -> Reactions {
        let mut r = Reactions::default();
        r.own = own;
        r.total = total;
        r
    }
}

prop_compose! {
    fn message()(
        (id, dialog, sender, date_sent) in (message_id(), option::of(dialog_id()), user_id(), any::<i64>()),
        text in opt_text(),
        recipient in option::of(user_id()),
        (read_ids, delivered_ids, views) in (vec(user_id(), 0..3), vec(user_id(), 0..3), option::of(any::<u64>())),
        attachments in vec(attachment(), 0..3),
        reactions in option::of(reactions()),
        read in option::of(any::<bool>()),
        (created_at, updated_at) in (opt_text(), opt_text()),
        custom in custom_keys(),
    ) -> Message {
        let did = dialog.unwrap_or(DialogId(ObjectId([0; 12])));
        let mut m = Message::new(id, did, sender, "", date_sent);
        m.chat_dialog_id = dialog;
        m.message = text;
        m.recipient_id = recipient;
        m.read_ids = read_ids;
        m.delivered_ids = delivered_ids;
        m.views_count = views;
        m.attachments = attachments;
        m.reactions = reactions;
        m.read = read;
        m.created_at = created_at;
        m.updated_at = updated_at;
        m.custom = custom;
        m
    }
}

fn page<T: Debug + Clone>(item: impl Strategy<Value = T>) -> impl Strategy<Value = Page<T>> {
    (
        option::of(any::<u64>()),
        any::<u64>(),
        any::<u64>(),
        vec(item, 0..3),
    )
        .prop_map(|(total, skip, limit, items)| {
            let mut p = Page::new(skip, limit, items);
            p.total_entries = total;
            p
        })
}

fn error_body() -> impl Strategy<Value = ErrorBody> {
    prop_oneof![
        btree_map("[a-z_]{1,8}", vec(text(), 0..3), 0..3).prop_map(ErrorBody::Fields),
        vec(text(), 0..3).prop_map(ErrorBody::List),
    ]
}

fn delete_result<T: Debug + Clone>(
    id: impl Strategy<Value = T> + Clone,
) -> impl Strategy<Value = DeleteResult<T>> {
    (vec(id.clone(), 0..3), vec(id.clone(), 0..3), vec(id, 0..3))
        .prop_map(|(a, b, c)| DeleteResult::from_lists(a, b, c))
}

fn filter_field() -> impl Strategy<Value = String> {
    prop_oneof!["f_[a-z_.]{0,8}", "extensions\\[[a-z]{1,5}\\]"]
}

fn op() -> impl Strategy<Value = Op> {
    proptest::sample::select(Op::ALL.to_vec())
}

fn query() -> impl Strategy<Value = Query> {
    let filter = (filter_field(), op(), vec("[a-z0-9]{1,6}", 1..4), ".{0,10}").prop_map(
        |(field, op, list, one)| {
            if op.takes_list() {
                Filter::list(field, op, list)
            } else {
                Filter::new(field, op, one)
            }
        },
    );
    (
        vec(filter, 0..5),
        option::of(("[a-z_]{1,10}", any::<bool>())),
        (
            option::of(any::<u64>()),
            option::of(any::<u64>()),
            option::of(any::<u64>()),
        ),
        any::<bool>(),
    )
        .prop_map(|(filters, sort, (limit, skip, offset), count)| {
            let mut q = Query::new();
            for f in filters {
                // parse merges repeated list filters on one field; keep one filter per (field, op)
                if !q.filters.iter().any(|g| g.field == f.field && g.op == f.op) {
                    q.filters.push(f);
                }
            }
            q.sort = sort.map(|(field, descending)| Sort { field, descending });
            q.limit = limit;
            q.skip = skip;
            q.offset = offset;
            q.count = count;
            q
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn ids_round_trip(u in user_id(), a in any::<u64>(), d in dialog_id(), m in message_id(), o in object_id()) {
        round_trip(&u)?;
        round_trip(&AppId(a))?;
        round_trip(&d)?;
        round_trip(&m)?;
        round_trip(&o)?;
        prop_assert_eq!(o.to_string().parse::<ObjectId>().unwrap(), o);
        prop_assert_eq!(o.to_string().to_uppercase().parse::<ObjectId>().unwrap(), o);
        prop_assert_eq!(u.to_string().parse::<UserId>().unwrap(), u);
    }

    #[test]
    fn object_id_parts(secs in any::<u32>(), random in any::<[u8; 5]>(), counter in any::<u32>()) {
        let id = ObjectId::from_parts(secs, random, counter);
        prop_assert_eq!(id.timestamp(), secs);
        prop_assert_eq!(id.counter(), counter & 0x00ff_ffff);
        prop_assert_eq!(&id.bytes()[4..9], &random[..]);
        let text = id.to_string();
        prop_assert_eq!(text.len(), 24);
        prop_assert!(text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
    }

    #[test]
    fn id_lists_round_trip(ids in vec(user_id(), 0..6), oids in vec(message_id(), 0..4)) {
        let list = IdList(ids);
        round_trip(&list)?;
        for sep in [",", ", "] {
            prop_assert_eq!(list.join(sep).parse::<IdList<UserId>>().unwrap(), list.clone());
            let as_string = Value::from(list.join(sep));
            prop_assert_eq!(serde_json::from_value::<IdList<UserId>>(as_string).unwrap(), list.clone());
        }
        let strings: Vec<Value> = list.0.iter().map(|i| Value::from(i.to_string())).collect();
        prop_assert_eq!(serde_json::from_value::<IdList<UserId>>(Value::from(strings)).unwrap(), list.clone());
        round_trip(&IdList(oids))?;
    }

    #[test]
    fn dialog_types_round_trip(t in dialog_type()) {
        round_trip(&t)?;
        prop_assert_eq!(DialogType::from_code(t.code()), t);
    }

    #[test]
    fn users_round_trip(u in user()) {
        round_trip(&u)?;
        round_trip(&UserEnvelope::new(u.clone()))?;
        let bare = serde_json::to_value(&u).unwrap();
        prop_assert_eq!(serde_json::from_value::<UserEnvelope>(bare).unwrap().user, u);
    }

    #[test]
    fn sessions_round_trip(s in session()) {
        round_trip(&s)?;
        round_trip(&SessionEnvelope::new(s.clone()))?;
        let bare = serde_json::to_value(&s).unwrap();
        prop_assert_eq!(serde_json::from_value::<SessionEnvelope>(bare).unwrap().session, s);
    }

    #[test]
    fn dialogs_round_trip(d in dialog()) {
        round_trip(&d)?;
    }

    #[test]
    fn messages_round_trip(m in message()) {
        round_trip(&m)?;
        for a in &m.attachments {
            round_trip(a)?;
        }
    }

    #[test]
    fn indexed_attachments_decode_in_order(atts in vec(attachment(), 0..12)) {
        let keyed: serde_json::Map<String, Value> = atts
            .iter()
            .enumerate()
            .rev()
            .map(|(i, a)| (i.to_string(), serde_json::to_value(a).unwrap()))
            .collect();
        let v = serde_json::json!({"_id": "5f1e6b113d9e4a0001a1b2c4", "attachments": keyed});
        let m: Message = serde_json::from_value(v).unwrap();
        prop_assert_eq!(m.attachments, atts);
    }

    #[test]
    fn pages_round_trip(u in page(user()), d in page(dialog()), m in page(message())) {
        round_trip(&u)?;
        round_trip(&d)?;
        round_trip(&m)?;
    }

    #[test]
    fn small_bodies_round_trip(
        e in error_body(),
        dd in delete_result(dialog_id()),
        md in delete_result(message_id()),
        total in any::<u64>(),
        per_dialog in btree_map(dialog_id(), any::<u64>(), 0..4),
        enabled in any::<bool>(),
        (mid, rid, params) in (message_id(), user_id(), btree_map(text(), text(), 0..3)),
        r in reactions(),
        status in message_status(),
    ) {
        round_trip(&e)?;
        prop_assert_eq!(ErrorBody::from_bytes(&e.to_bytes()), e);
        round_trip(&dd)?;
        round_trip(&md)?;
        let mut u = UnreadCounts::default();
        u.total = total;
        u.per_dialog = per_dialog;
        round_trip(&u)?;
        round_trip(&NotificationSettings::new(enabled))?;
        round_trip(&NotificationsEnvelope::new(enabled))?;
        round_trip(&SystemMessageResponse::new(mid, rid, params))?;
        round_trip(&r)?;
        round_trip(&status)?;
    }

    #[test]
    fn other_error_json_is_kept_verbatim(v in json()) {
        let e = ErrorBody::from_value(v.clone());
        if matches!(e, ErrorBody::Other(_)) {
            prop_assert_eq!(serde_json::to_value(&e).unwrap(), v);
        }
    }

    #[test]
    fn queries_round_trip_through_pairs(q in query(), brackets in any::<bool>()) {
        let style = if brackets { ListStyle::Brackets } else { ListStyle::Comma };
        let pairs = q.to_pairs(style);
        prop_assert_eq!(Query::parse(pairs.iter().map(|(k, v)| (k, v))).unwrap(), q.clone());
        for f in &q.filters {
            if let FilterValue::Many(vs) = &f.value {
                prop_assert!(!vs.is_empty());
            }
        }
    }

    #[test]
    fn timestamps_round_trip(secs in -62_135_596_800i64..253_402_300_800) {
        let s = format_unix(secs);
        prop_assert_eq!(s.len(), 20);
        prop_assert_eq!(parse_iso(&s).unwrap(), secs);
    }
}
