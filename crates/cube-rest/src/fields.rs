//! Where each endpoint's request fields travel, for the generated documentation.
//!
//! `cargo xtask codegen` builds `docs/endpoints.md` and `docs/openapi.json` from
//! [`EndpointKind::ALL`], each endpoint's [`Metadata`](crate::Metadata) and this table. The
//! location is where the official SDK (and this crate's client side) puts a field; the server
//! side reads the query string and the body alike (body values win), so it is liberal there.
//! The tests below keep the table honest: path fields match the path templates, and every
//! field a client request built by this crate carries is listed with its location.

use crate::EndpointKind;

/// Where a request field travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Location {
    /// A `{param}` segment of the path.
    Path,
    /// The query string (`GET` parameters).
    Query,
    /// A key of the JSON body (`POST`, `PUT`).
    JsonBody,
    /// A key of the form-encoded body (`DELETE` parameters, as the SDK sends them).
    FormBody,
}

impl Location {
    /// A short name for tables: `path`, `query`, `json`, `form`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Location::Path => "path",
            Location::Query => "query",
            Location::JsonBody => "json",
            Location::FormBody => "form",
        }
    }
}

/// The JSON shape of a request field, as the client sends it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FieldType {
    /// A string.
    String,
    /// An integer.
    Integer,
    /// A flag, `1` or `0`.
    Flag,
    /// A user id (a number).
    UserId,
    /// A dialog id (24 hex digits).
    DialogId,
    /// User ids: a JSON array, or a comma string `"6, 7"` (both are accepted).
    UserIds,
    /// Dialog ids, comma separated (`a,b` in a path, `a, b` in a query).
    DialogIds,
    /// Message ids, comma separated.
    MessageIds,
    /// A JSON object whose shape the description gives.
    Object,
    /// An array of attachment objects.
    Attachments,
    /// Bracketed filter parameters (`field[op]=value`) with `sort_asc`/`sort_desc`.
    Filters,
}

/// One request field of an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Field {
    /// The field's name on the wire (for [`FieldType::Filters`], a pattern such as `field[op]`).
    pub name: &'static str,
    /// Where it travels.
    pub location: Location,
    /// Whether the server refuses a request without it.
    pub required: bool,
    /// Its JSON shape.
    pub ty: FieldType,
    /// One sentence on what it is.
    pub description: &'static str,
}

const fn field(
    name: &'static str,
    location: Location,
    required: bool,
    ty: FieldType,
    description: &'static str,
) -> Field {
    Field {
        name,
        location,
        required,
        ty,
        description,
    }
}

use FieldType as T;
use Location::{FormBody as Form, JsonBody as Json, Path, Query};

const SESSION_CREDENTIALS: &str =
    "Optional user credentials: `{login|email, password}`, or `{guest: \"1\", full_name}`.";

const CREATE_SESSION: &[Field] = &[
    field(
        "application_id",
        Json,
        true,
        T::Integer,
        "The application id.",
    ),
    field(
        "auth_key",
        Json,
        true,
        T::String,
        "The application's authorization key.",
    ),
    field("user", Json, false, T::Object, SESSION_CREDENTIALS),
    field(
        "provider",
        Json,
        false,
        T::String,
        "A social or Firebase provider: `facebook`, `twitter`, `firebase_phone`, `firebase_email`.",
    ),
    field(
        "keys",
        Json,
        false,
        T::Object,
        "The provider's credentials: `{token[, secret]}`.",
    ),
    field(
        "firebase_phone",
        Json,
        false,
        T::Object,
        "Firebase phone credentials: `{project_id, access_token}`.",
    ),
    field(
        "firebase_email",
        Json,
        false,
        T::Object,
        "Firebase e-mail credentials: `{project_id, access_token}`.",
    ),
    field(
        "nonce",
        Json,
        false,
        T::Integer,
        "Signed form (3.x SDKs): a number used once with `timestamp`.",
    ),
    field(
        "timestamp",
        Json,
        false,
        T::Integer,
        "Signed form: Unix seconds, within 60 minutes of the server's clock.",
    ),
    field(
        "signature",
        Json,
        false,
        T::String,
        "Signed form: hex HMAC-SHA1 of the sorted parameters with the auth secret.",
    ),
];

const CREATE_LOGIN: &[Field] = &[
    field(
        "login",
        Json,
        false,
        T::String,
        "The user's login (with `password`).",
    ),
    field(
        "email",
        Json,
        false,
        T::String,
        "The user's e-mail (with `password`).",
    ),
    field("password", Json, false, T::String, "The user's password."),
    field(
        "provider",
        Json,
        false,
        T::String,
        "A social or Firebase provider, instead of a password.",
    ),
    field(
        "keys",
        Json,
        false,
        T::Object,
        "The provider's credentials: `{token[, secret]}`.",
    ),
    field(
        "firebase_phone",
        Json,
        false,
        T::Object,
        "Firebase phone credentials: `{project_id, access_token}`.",
    ),
    field(
        "firebase_email",
        Json,
        false,
        T::Object,
        "Firebase e-mail credentials: `{project_id, access_token}`.",
    ),
];

const USER_FIELDS: &str = "The profile: `login`, `email`, `password`, `full_name`, `phone`, `website`, `custom_data`, `tag_list`, `external_user_id`, `external_id`, `facebook_id`, `twitter_id`, `avatar`, `blob_id`, `timezone`.";

const CREATE_USER: &[Field] = &[field("user", Json, true, T::Object, USER_FIELDS)];

const UPDATE_USER: &[Field] = &[
    field("id", Path, true, T::UserId, "The current user's id."),
    field(
        "user",
        Json,
        true,
        T::Object,
        "The fields to change (as for sign-up); a new `password` needs `old_password`.",
    ),
];

const USER_ID: &[Field] = &[field("id", Path, true, T::UserId, "The user's id.")];

const LIST_USERS: &[Field] = &[
    field(
        "field[op]",
        Query,
        false,
        T::Filters,
        "Filters such as `login=alice`, `id[in][]=5`, `created_at[gt]=1700000000`; `sort_asc`/`sort_desc=field`.",
    ),
    field("offset", Query, false, T::Integer, "Entries to skip."),
    field("limit", Query, false, T::Integer, "Page size."),
];

const DIALOG_FIELDS: &[Field] = &[
    field(
        "type",
        Json,
        true,
        T::Integer,
        "The dialog type: 1 broadcast, 2 group, 3 private, 4 public.",
    ),
    field(
        "name",
        Json,
        false,
        T::String,
        "The name (required for broadcast, group and public dialogs).",
    ),
    field(
        "occupants_ids",
        Json,
        false,
        T::UserIds,
        "The occupants (required for group and private dialogs); sent as `\"6, 7\"`.",
    ),
    field(
        "admins_ids",
        Json,
        false,
        T::UserIds,
        "The admins; sent as `\"6, 7\"`.",
    ),
    field("description", Json, false, T::String, "The description."),
    field("photo", Json, false, T::String, "A photo blob uid or URL."),
    field(
        "extensions",
        Json,
        false,
        T::Object,
        "Custom fields, values as strings.",
    ),
    field(
        "permissions",
        Json,
        false,
        T::Object,
        "`{allow_preview: bool}`.",
    ),
];

const LIST_DIALOGS: &[Field] = &[
    field(
        "field[op]",
        Query,
        false,
        T::Filters,
        "Filters such as `type[in]=2,3`, `name[ctn]=Te`, `updated_at[gt]=1704164645`; `sort_asc`/`sort_desc=field`.",
    ),
    field("limit", Query, false, T::Integer, "Page size."),
    field("skip", Query, false, T::Integer, "Entries to skip."),
    field(
        "count",
        Query,
        false,
        T::Flag,
        "`1`: answer `{items_count}` only.",
    ),
];

const UPDATE_DIALOG: &[Field] = &[
    field("id", Path, true, T::DialogId, "The dialog."),
    field("name", Json, false, T::String, "The new name."),
    field(
        "description",
        Json,
        false,
        T::String,
        "The new description.",
    ),
    field("photo", Json, false, T::String, "The new photo."),
    field(
        "extensions",
        Json,
        false,
        T::Object,
        "New custom fields; `null` resets them.",
    ),
    field(
        "permissions",
        Json,
        false,
        T::Object,
        "`{allow_preview: bool}`.",
    ),
    field(
        "push_all",
        Json,
        false,
        T::Object,
        "Ids to add: `{occupants_ids, admins_ids, pinned_messages_ids}` as arrays.",
    ),
    field(
        "pull_all",
        Json,
        false,
        T::Object,
        "Ids to remove: `{occupants_ids, admins_ids, pinned_messages_ids}` as arrays.",
    ),
];

const DELETE_DIALOG: &[Field] = &[
    field(
        "ids",
        Path,
        true,
        T::DialogIds,
        "One dialog id, or several joined with commas.",
    ),
    field(
        "force",
        Form,
        false,
        T::Flag,
        "`1`: delete for everyone (the owner only), not just leave.",
    ),
];

const UPDATE_ADMINS: &[Field] = &[
    field("id", Path, true, T::DialogId, "The dialog."),
    field(
        "push_all",
        Json,
        false,
        T::Object,
        "`{admins_ids: [..]}`: users to make admins.",
    ),
    field(
        "pull_all",
        Json,
        false,
        T::Object,
        "`{admins_ids: [..]}`: admins to demote.",
    ),
];

const DIALOG_ID: &[Field] = &[field("id", Path, true, T::DialogId, "The dialog.")];

const LIST_OCCUPANTS: &[Field] = &[
    field("id", Path, true, T::DialogId, "The public dialog."),
    field("limit", Query, false, T::Integer, "Page size."),
    field("skip", Query, false, T::Integer, "Entries to skip."),
];

const UPDATE_NOTIFICATIONS: &[Field] = &[
    field("id", Path, true, T::DialogId, "The dialog."),
    field(
        "enabled",
        Json,
        true,
        T::Flag,
        "`1` to turn notifications on, `0` to turn them off.",
    ),
];

const CREATE_MESSAGE: &[Field] = &[
    field(
        "chat_dialog_id",
        Json,
        false,
        T::DialogId,
        "The dialog (this or `recipient_id`).",
    ),
    field(
        "recipient_id",
        Json,
        false,
        T::UserId,
        "A user: the private dialog with them is found or created.",
    ),
    field("message", Json, false, T::String, "The text."),
    field(
        "attachments",
        Json,
        false,
        T::Attachments,
        "`[{type, uid, url, ...}]`.",
    ),
    field(
        "send_to_chat",
        Json,
        false,
        T::Flag,
        "`1`: also deliver it over chat.",
    ),
    field(
        "markable",
        Json,
        false,
        T::Flag,
        "`1`: ask for read and delivery markers.",
    ),
    field(
        "*",
        Json,
        false,
        T::Object,
        "Any other top-level key is kept as a custom parameter.",
    ),
];

const LIST_MESSAGES: &[Field] = &[
    field("chat_dialog_id", Query, true, T::DialogId, "The dialog."),
    field(
        "field[op]",
        Query,
        false,
        T::Filters,
        "Filters such as `date_sent[lt]=1704164645`, `_id[nin]=a,b`; `sort_asc`/`sort_desc=field`.",
    ),
    field("limit", Query, false, T::Integer, "Page size."),
    field("skip", Query, false, T::Integer, "Entries to skip."),
    field(
        "mark_as_read",
        Query,
        false,
        T::Flag,
        "`0`: do not mark the returned messages read (default `1`).",
    ),
    field(
        "preview",
        Query,
        false,
        T::Flag,
        "`1`: a non-member's preview, when the dialog allows it.",
    ),
];

const UPDATE_MESSAGES: &[Field] = &[
    field(
        "ids",
        Path,
        true,
        T::MessageIds,
        "One message id, or several joined with commas.",
    ),
    field(
        "chat_dialog_id",
        Json,
        false,
        T::DialogId,
        "The dialog of the messages (with `read` or `delivered`).",
    ),
    field("read", Json, false, T::Flag, "`1`: mark read."),
    field("delivered", Json, false, T::Flag, "`1`: mark delivered."),
    field("message", Json, false, T::String, "The edited text."),
];

const DELETE_MESSAGES: &[Field] = &[
    field(
        "ids",
        Path,
        true,
        T::MessageIds,
        "One message id, or several joined with commas.",
    ),
    field(
        "force",
        Form,
        false,
        T::Flag,
        "`1`: delete for everyone, not just for the current user.",
    ),
];

const UNREAD_COUNTS: &[Field] = &[field(
    "chat_dialog_ids",
    Query,
    false,
    T::DialogIds,
    "The dialogs to count, joined with `, `; none means every dialog of the user.",
)];

const CREATE_SYSTEM_MESSAGE: &[Field] = &[
    field("recipientId", Json, true, T::UserId, "The recipient."),
    field(
        "*",
        Json,
        false,
        T::Object,
        "Any other top-level key is delivered as an extra parameter.",
    ),
];

const BLOCK_USERS: &[Field] = &[
    field(
        "id",
        Path,
        true,
        T::DialogId,
        "The public or broadcast dialog.",
    ),
    field(
        "user_ids",
        Json,
        true,
        T::UserIds,
        "The users to block: a JSON array (a comma string is accepted).",
    ),
];

const UNBLOCK_USERS: &[Field] = &[
    field(
        "id",
        Path,
        true,
        T::DialogId,
        "The public or broadcast dialog.",
    ),
    field(
        "user_ids",
        Form,
        true,
        T::UserIds,
        "The users to unblock, joined with commas.",
    ),
];

const CLEAR_HISTORY: &[Field] = &[
    field("id", Path, true, T::DialogId, "The dialog."),
    field(
        "force",
        Form,
        false,
        T::Flag,
        "`1`: delete the messages for everyone, not just hide them from the current user.",
    ),
];

const UPDATE_DIALOG_MESSAGES: &[Field] = &[
    field(
        "chat_dialog_id",
        Json,
        true,
        T::DialogId,
        "The dialog whose messages are marked.",
    ),
    field("read", Json, false, T::Flag, "`1`: mark read."),
    field("delivered", Json, false, T::Flag, "`1`: mark delivered."),
];

const UPDATE_REACTIONS: &[Field] = &[
    field("id", Path, true, T::MessageIds, "The message."),
    field(
        "add",
        Json,
        false,
        T::String,
        "The reaction to add (one per user: it replaces the user's previous one).",
    ),
    field(
        "remove",
        Json,
        false,
        T::String,
        "The reaction to take back.",
    ),
];

const MESSAGE_ID: &[Field] = &[field("id", Path, true, T::MessageIds, "The message.")];

const LIST_ONLINE: &[Field] = &[
    field("limit", Query, false, T::Integer, "Page size."),
    field("offset", Query, false, T::Integer, "Users to skip."),
    field(
        "count",
        Query,
        false,
        T::Flag,
        "`true`: answer only the number of online users.",
    ),
];

const CREATE_PASSWORD_RESET: &[Field] = &[field(
    "email",
    Json,
    true,
    T::String,
    "The address of the account.",
)];

const GET_PASSWORD_RESET: &[Field] = &[field(
    "email",
    Query,
    true,
    T::String,
    "The address of the account.",
)];

/// The request fields of an endpoint (empty for an endpoint that takes none).
pub fn request_fields(kind: EndpointKind) -> &'static [Field] {
    match kind.metadata().name {
        "create_session" => CREATE_SESSION,
        "create_login" => CREATE_LOGIN,
        "create_user" => CREATE_USER,
        "get_user" | "delete_user" => USER_ID,
        "list_users" => LIST_USERS,
        "update_user" => UPDATE_USER,
        "create_dialog" => DIALOG_FIELDS,
        "list_dialogs" => LIST_DIALOGS,
        "update_dialog" => UPDATE_DIALOG,
        "delete_dialog" => DELETE_DIALOG,
        "update_admins" => UPDATE_ADMINS,
        "subscribe" | "unsubscribe" | "get_notifications" => DIALOG_ID,
        "list_occupants" => LIST_OCCUPANTS,
        "update_notifications" => UPDATE_NOTIFICATIONS,
        "create_message" => CREATE_MESSAGE,
        "list_messages" => LIST_MESSAGES,
        "update_messages" => UPDATE_MESSAGES,
        "delete_messages" => DELETE_MESSAGES,
        "unread_counts" => UNREAD_COUNTS,
        "create_system_message" => CREATE_SYSTEM_MESSAGE,
        "block_users" => BLOCK_USERS,
        "unblock_users" => UNBLOCK_USERS,
        "clear_history" => CLEAR_HISTORY,
        "update_dialog_messages" => UPDATE_DIALOG_MESSAGES,
        "update_reactions" => UPDATE_REACTIONS,
        "list_reactions" => MESSAGE_ID,
        "list_online" => LIST_ONLINE,
        "create_password_reset" => CREATE_PASSWORD_RESET,
        "get_password_reset" => GET_PASSWORD_RESET,
        _ => &[],
    }
}

/// Endpoints that take no request fields at all (the table's `&[]` answers on purpose).
pub const NO_FIELDS: &[&str] = &["get_session", "delete_session", "delete_login"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_endpoint_is_described_and_path_fields_match_the_templates() {
        for &kind in EndpointKind::ALL {
            let meta = kind.metadata();
            let fields = request_fields(kind);
            assert!(
                !fields.is_empty() || NO_FIELDS.contains(&meta.name),
                "{}: add its request fields to cube-rest/src/fields.rs",
                meta.name
            );
            let in_path: Vec<&str> = fields
                .iter()
                .filter(|f| f.location == Location::Path)
                .map(|f| f.name)
                .collect();
            assert_eq!(
                in_path,
                meta.path_params().collect::<Vec<_>>(),
                "{}",
                meta.name
            );
            for f in fields {
                let allowed = match f.location {
                    Location::Path => true,
                    Location::Query => meta.method == http::Method::GET,
                    Location::JsonBody => {
                        matches!(meta.method, http::Method::POST | http::Method::PUT)
                    }
                    Location::FormBody => meta.method == http::Method::DELETE,
                };
                assert!(allowed, "{}: {} in {:?}", meta.name, f.name, f.location);
            }
        }
    }

    /// The top-level keys a client request carries, with where they travel.
    fn keys_of(req: &http::Request<Vec<u8>>) -> Vec<(String, Location)> {
        let base = |k: &str| k.split('[').next().unwrap_or(k).to_owned();
        let mut out = Vec::new();
        for pair in req
            .uri()
            .query()
            .unwrap_or("")
            .split('&')
            .filter(|p| !p.is_empty())
        {
            out.push((
                base(pair.split('=').next().unwrap_or(pair)),
                Location::Query,
            ));
        }
        let body = req.body();
        if body.is_empty() {
            return out;
        }
        if let Ok(serde_json::Value::Object(map)) = serde_json::from_slice(body) {
            out.extend(map.keys().map(|k| (k.clone(), Location::JsonBody)));
        } else {
            let text = String::from_utf8_lossy(body);
            for pair in text.split('&') {
                out.push((
                    base(pair.split('=').next().unwrap_or(pair)),
                    Location::FormBody,
                ));
            }
        }
        out
    }

    /// One request of as many endpoints as possible, each with every optional field set.
    fn samples() -> Vec<crate::AnyRequest> {
        use cube_auth::{Password, SessionCredentials};
        use cube_model::{
            AppId, Attachment, DialogType, Filter, Op, Permissions, Query, Sort, UserId,
        };

        use crate::chat::{self, IdChanges, create_message::Target};
        use crate::{session, users};

        let d = "5f1e6a0c3d9e4a0001a1b2c3".parse().unwrap();
        let m = "65937d254b854839d7000000".parse().unwrap();
        let login = SessionCredentials::Login {
            login: "alice".into(),
            password: Password::new("pw"),
        };
        let query = Query::new()
            .with_filter(Filter::new("name", Op::Ctn, "x"))
            .with_sort(Sort::desc("updated_at"))
            .with_limit(10)
            .with_skip(5)
            .with_count(true);
        let mut user = users::UserParams::new()
            .with_password("new")
            .with_old_password("old")
            .with_timezone(60);
        user.login = Some("alice".into());
        vec![
            session::create_session::Request::new(AppId(1), "key", login.clone()).into(),
            session::create_login::Request::new(login).into(),
            users::create_user::Request::new(user.clone()).into(),
            users::update_user::Request::new(UserId(5), user).into(),
            users::list_users::Request::new(
                Query::new()
                    .with_filter(Filter::new("login", Op::Eq, "alice"))
                    .with_offset(3)
                    .with_limit(2),
            )
            .into(),
            chat::create_dialog::Request::new(DialogType::Group, [UserId(6)])
                .with_name("n")
                .with_description("d")
                .with_photo("p")
                .with_admins([UserId(6)])
                .with_extension("k", "v")
                .with_permissions(Permissions::allow_preview(true))
                .into(),
            chat::list_dialogs::Request::new(query.clone()).into(),
            chat::update_dialog::Request::new(d)
                .with_name("n")
                .with_description("d")
                .with_photo("p")
                .with_extensions([("k".to_owned(), "v".to_owned())].into())
                .with_permissions(Permissions::allow_preview(false))
                .with_push_all(IdChanges::new().with_occupants([UserId(7)]))
                .with_pull_all(IdChanges::new().with_admins([UserId(6)]))
                .into(),
            chat::delete_dialog::Request::new([d])
                .with_force(true)
                .into(),
            chat::update_admins::Request::add(d, [UserId(6)]).into(),
            chat::list_occupants::Request::new(d)
                .with_page(10, 5)
                .into(),
            chat::update_notifications::Request::new(d, true).into(),
            chat::create_message::Request::new(Target::Dialog(d), "hi")
                .with_attachment(Attachment::new("image"))
                .with_send_to_chat(true)
                .with_markable(true)
                .with_custom("customParam", "v")
                .into(),
            chat::create_message::Request::new(Target::Recipient(UserId(6)), "hi").into(),
            chat::list_messages::Request::new(d, query)
                .with_mark_as_read(false)
                .with_preview(true)
                .into(),
            chat::update_messages::Request::read([m], d).into(),
            chat::update_messages::Request::edit(m, "edited").into(),
            chat::update_messages::Request::delivered([m], d).into(),
            chat::delete_messages::Request::new([m])
                .with_force(true)
                .into(),
            chat::unread_counts::Request::new([d]).into(),
            chat::create_system_message::Request::new(UserId(6))
                .with_param("k", "v")
                .into(),
            chat::block_users::Request::new(d, [UserId(6)]).into(),
            chat::unblock_users::Request::new(d, [UserId(6), UserId(7)]).into(),
            chat::clear_history::Request::new(d).with_force(true).into(),
            chat::update_dialog_messages::Request::read(d).into(),
            chat::update_dialog_messages::Request::delivered(d).into(),
            chat::update_reactions::Request::replace(m, "a", "b").into(),
            chat::list_reactions::Request::new(m).into(),
            users::list_online::Request::count().with_page(10, 0).into(),
            users::create_password_reset::Request::new("a@b.c").into(),
            users::get_password_reset::Request::new("a@b.c").into(),
        ]
    }

    #[test]
    fn every_field_a_client_sends_is_in_the_table_with_its_location() {
        let mut seen = 0;
        for sample in samples() {
            let kind = sample.kind();
            let fields = request_fields(kind);
            let req = sample.try_into_http_request("http://h", Some("t")).unwrap();
            for (key, location) in keys_of(&req) {
                seen += 1;
                let listed = fields.iter().any(|f| {
                    f.location == location
                        && (f.name == key
                            || f.name == "*"
                            || (f.ty == FieldType::Filters && location == Location::Query))
                });
                assert!(
                    listed,
                    "{}: `{key}` travels in {location:?} but fields.rs does not say so",
                    kind.metadata().name
                );
            }
        }
        assert!(
            seen > 50,
            "only {seen} fields seen: is keys_of still reading requests?"
        );
    }
}
