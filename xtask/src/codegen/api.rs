//! The REST API as the generators see it: cube-rest's endpoint table, each endpoint's request
//! fields and first doc line, its answer (a cube-model type, whose JSON Schema schemars
//! derives), and the roles of `cube_model::roles` that decide it.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result, bail};
use cube_model::{
    Action, Dialog, DialogDeleteResult, ErrorBody, Message, MessageDeleteResult,
    NotificationsEnvelope, Page, SessionEnvelope, SystemMessageResponse, UnreadCounts, User,
    UserEnvelope, UserId,
};
use cube_rest::fields::{Field, request_fields};
use cube_rest::{AuthKind, EndpointKind, Metadata};
use schemars::JsonSchema;
use schemars::generate::{SchemaGenerator, SchemaSettings};
use serde_json::{Map, Value, json};

/// Where `$ref`s into the shared schemas point.
pub const SCHEMAS_PATH: &str = "#/components/schemas/";

/// One endpoint, everything the generated documents say about it.
#[derive(Debug)]
pub struct EndpointDoc {
    /// Its method, path template and auth.
    pub meta: Metadata,
    /// The first sentence(s) of its module doc, without the leading "`METHOD /path`: ".
    pub summary: String,
    /// Its request fields and where they travel.
    pub fields: &'static [Field],
    /// Its success answer.
    pub ok: Success,
    /// The roles-table actions that decide whether a user may do it.
    pub roles: &'static [Action],
}

/// The success answer of an endpoint.
#[derive(Debug)]
pub struct Success {
    /// The status.
    pub status: u16,
    /// The JSON body (type name for people, schema for machines), or `None` for an empty body.
    pub body: Option<(String, Value)>,
    /// Whether the body may also be empty (a text endpoint that answers JSON in some cases).
    pub may_be_empty: bool,
}

/// The whole API: the endpoints in cube-rest's order and the schemas they refer to.
#[derive(Debug)]
pub struct Api {
    /// Every endpoint.
    pub endpoints: Vec<EndpointDoc>,
    /// The named schemas (`components.schemas`), by name.
    pub schemas: Map<String, Value>,
    /// The schema of every error answer (a `$ref` to `ErrorBody`).
    pub error_schema: Value,
}

impl Api {
    /// Collects the API from cube-rest (and the endpoint sources under `root` for summaries).
    pub fn load(root: &Path) -> Result<Self> {
        let mut generator = SchemaSettings::draft2020_12()
            .with(|s| s.definitions_path = SCHEMAS_PATH.into())
            .for_serialize()
            .into_generator();
        let error_schema = schema_of::<ErrorBody>(&mut generator).1;
        let mut endpoints = Vec::new();
        for &kind in EndpointKind::ALL {
            let meta = kind.metadata();
            endpoints.push(EndpointDoc {
                summary: summary(root, meta.name)?,
                fields: request_fields(kind),
                ok: success(meta.name, &mut generator)?,
                roles: roles(meta.name),
                meta,
            });
        }
        let schemas = generator.take_definitions(true);
        Ok(Api {
            endpoints,
            schemas,
            error_schema,
        })
    }
}

/// The schema of `T` (a `$ref` for named types) and its short type name.
fn schema_of<T: JsonSchema>(generator: &mut SchemaGenerator) -> (String, Value) {
    (
        short_type_name::<T>(),
        generator.subschema_for::<T>().to_value(),
    )
}

/// `cube_model::page::Page<cube_model::user::User>` as `Page<User>`.
fn short_type_name<T>() -> String {
    let full = std::any::type_name::<T>();
    let mut out = String::new();
    let mut word = String::new();
    for c in full.chars().chain(std::iter::once(' ')) {
        if c.is_alphanumeric() || c == '_' || c == ':' {
            word.push(c);
        } else {
            out.push_str(word.rsplit("::").next().unwrap_or(&word));
            word.clear();
            if c != ' ' {
                out.push(c);
            }
        }
    }
    out
}

fn json<T: JsonSchema>(status: u16, generator: &mut SchemaGenerator) -> Success {
    Success {
        status,
        body: Some(schema_of::<T>(generator)),
        may_be_empty: false,
    }
}

fn empty() -> Success {
    Success {
        status: 200,
        body: None,
        may_be_empty: true,
    }
}

/// The success answer of each endpoint, as its `Response` type writes it.
fn success(name: &str, g: &mut SchemaGenerator) -> Result<Success> {
    Ok(match name {
        "create_session" => json::<SessionEnvelope>(201, g),
        "get_session" => json::<SessionEnvelope>(200, g),
        "create_login" => json::<UserEnvelope>(202, g),
        "create_user" => json::<UserEnvelope>(201, g),
        "get_user" | "update_user" => json::<UserEnvelope>(200, g),
        "list_users" | "list_occupants" => json::<Page<User>>(200, g),
        "create_dialog" => json::<Dialog>(201, g),
        "update_dialog" | "update_admins" | "subscribe" => json::<Dialog>(200, g),
        "list_dialogs" => {
            let (name, page) = schema_of::<Page<Dialog>>(g);
            let count = json!({
                "type": "object",
                "properties": { "items_count": { "type": "integer", "minimum": 0 } },
                "required": ["items_count"]
            });
            Success {
                status: 200,
                body: Some((
                    format!("{name} (or {{items_count}} when count=1)"),
                    json!({ "anyOf": [page, count] }),
                )),
                may_be_empty: false,
            }
        }
        "get_notifications" | "update_notifications" => json::<NotificationsEnvelope>(200, g),
        "create_message" => json::<Message>(201, g),
        "list_messages" => json::<Page<Message>>(200, g),
        "unread_counts" => json::<UnreadCounts>(200, g),
        "create_system_message" => json::<SystemMessageResponse>(201, g),
        "delete_dialog" => Success {
            body: Some(schema_of::<DialogDeleteResult>(g)),
            ..empty()
        },
        "delete_messages" => Success {
            body: Some(schema_of::<MessageDeleteResult>(g)),
            ..empty()
        },
        "list_online" => {
            let user = g.subschema_for::<User>().to_value();
            let users = json!({
                "type": "object",
                "properties": { "users": { "type": "array", "items": user } },
                "required": ["users"]
            });
            let count = json!({
                "type": "object",
                "properties": { "count": { "type": "integer", "minimum": 0 } },
                "required": ["count"]
            });
            Success {
                status: 200,
                body: Some((
                    "{users: [User]} (or {count} when count=true)".to_owned(),
                    json!({ "anyOf": [users, count] }),
                )),
                may_be_empty: false,
            }
        }
        "list_reactions" => Success {
            status: 200,
            body: Some((
                "{reaction: [UserId]}".to_owned(),
                g.subschema_for::<BTreeMap<String, Vec<UserId>>>()
                    .to_value(),
            )),
            may_be_empty: false,
        },
        "delete_session"
        | "delete_login"
        | "delete_user"
        | "unsubscribe"
        | "update_messages"
        | "create_password_reset"
        | "get_password_reset"
        | "block_users"
        | "unblock_users"
        | "clear_history"
        | "update_dialog_messages"
        | "update_reactions" => empty(),
        other => bail!("no answer known for endpoint {other}: add it to xtask/src/codegen/api.rs"),
    })
}

/// The roles-table rows (protocol/roles.md) that decide each dialog and message endpoint.
fn roles(name: &str) -> &'static [Action] {
    match name {
        "create_message" => &[Action::SendMessage],
        "list_messages"
        | "update_messages"
        | "update_dialog_messages"
        | "unread_counts"
        | "list_occupants"
        | "get_notifications"
        | "update_notifications"
        | "list_reactions"
        | "update_reactions" => &[Action::ReadHistory],
        "clear_history" => &[Action::ReadHistory, Action::DeleteOthersMessageForEveryone],
        "block_users" | "unblock_users" => &[Action::BlockUsers],
        "delete_messages" => &[
            Action::DeleteOwnMessageForSelf,
            Action::DeleteOwnMessageForEveryone,
            Action::DeleteOthersMessageForEveryone,
        ],
        "delete_dialog" => &[Action::LeaveDialog, Action::DeleteDialogForEveryone],
        "unsubscribe" => &[Action::LeaveDialog],
        "update_dialog" => &[
            Action::ChangeNamePhotoDescription,
            Action::AddOccupants,
            Action::RemoveOtherOccupants,
            Action::LeaveDialog,
            Action::PinMessages,
            Action::ManageAdmins,
        ],
        "update_admins" => &[Action::ManageAdmins],
        _ => &[],
    }
}

/// The module doc of endpoint `name` (`crates/cube-rest/src/<area>/<name>.rs`), first paragraph,
/// without its "`METHOD /path`: " prefix.
fn summary(root: &Path, name: &str) -> Result<String> {
    let src = root.join("crates/cube-rest/src");
    let mut found = None;
    for area in std::fs::read_dir(&src).with_context(|| format!("reading {}", src.display()))? {
        let path = area?.path().join(format!("{name}.rs"));
        if path.is_file() {
            found = Some(path);
            break;
        }
    }
    let path = found.with_context(|| format!("no source file for endpoint {name}"))?;
    let text = std::fs::read_to_string(&path)?;
    let first: Vec<&str> = text
        .lines()
        .map_while(|l| l.strip_prefix("//!"))
        .map(str::trim)
        .take_while(|l| !l.is_empty())
        .collect();
    let first = first.join(" ");
    let rest = first
        .split_once("`: ")
        .map_or(first.as_str(), |(_, rest)| rest);
    Ok(rest.to_owned())
}

/// How people say an auth kind.
pub fn auth_label(auth: AuthKind) -> &'static str {
    match auth {
        AuthKind::None => "none",
        AuthKind::AuthKeyOrSession => "`CB-AuthKey` or session",
        AuthKind::AppSession => "session",
        AuthKind::UserSession => "user session",
        _ => "see source",
    }
}

/// What may go wrong, by status, for an endpoint (every such answer is an [`ErrorBody`]).
pub fn error_statuses(doc: &EndpointDoc) -> Vec<(u16, &'static str)> {
    let mut out = vec![(400, "Malformed parameters or body.")];
    match doc.meta.auth {
        AuthKind::None => {}
        AuthKind::AuthKeyOrSession => out.push((
            401,
            "No valid `CB-Token` or `CB-AuthKey`: `{\"errors\":{\"base\":[\"Required session does not exist\"]}}`.",
        )),
        _ => out.push((
            401,
            "Unknown or expired `CB-Token`: `{\"errors\":{\"base\":[\"Required session does not exist\"]}}`.",
        )),
    }
    if doc.meta.auth == AuthKind::UserSession || !doc.roles.is_empty() {
        out.push((
            403,
            "The session has no user (`Forbidden. Need user.`), the caller may not act on this \
             resource, or the roles table refuses.",
        ));
    } else if doc.meta.name == "list_users" {
        out.push((
            403,
            "Listing users is turned off in the application's settings (`users_listing`).",
        ));
    }
    out.push((404, "No such resource (or a malformed id in the path)."));
    if doc
        .fields
        .iter()
        .any(|f| f.location != cube_rest::fields::Location::Path)
    {
        out.push((413, "The body is larger than 1 MiB."));
    }
    out.push((422, "A field is missing or invalid."));
    out.push(if matches!(doc.meta.name, "create_session" | "create_login") {
        (
            429,
            "Too many requests (the application's rate limit per token and address), or too many \
             failed passwords for this login; `Retry-After` says when to retry.",
        )
    } else {
        (
            429,
            "Too many requests (the application's rate limit per token and address); \
             `Retry-After` says when to retry.",
        )
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_names_are_short() {
        assert_eq!(short_type_name::<Page<User>>(), "Page<User>");
        assert_eq!(
            short_type_name::<DialogDeleteResult>(),
            "DeleteResult<DialogId>"
        );
    }

    #[test]
    fn every_action_is_documented_on_some_endpoint() {
        let api = Api::load(&crate::workspace::root()).unwrap();
        for action in Action::ALL {
            let used = api.endpoints.iter().any(|e| e.roles.contains(&action));
            assert!(used, "{action:?}");
        }
        assert!(api.endpoints.iter().all(|e| !e.summary.is_empty()));
    }
}
