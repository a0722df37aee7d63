//! Dialogs: creation, listing, updates, deletion, subscriptions, notifications, block lists,
//! and the roles check every dialog and message operation goes through.

use std::collections::BTreeMap;

use cube_model::dialog::DialogType;
use cube_model::roles::{self, Action, Decision, Role};
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::{Map, json};

use super::error::{Error, Result};
use super::query::{self, Column, Kind};
use super::time::iso;
use super::users;

/// At most this many admins per dialog.
pub const MAX_ADMINS: usize = 5;

/// Who is acting: the application and the session's user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    /// Application.
    pub app_id: i64,
    /// The session's user.
    pub user_id: i64,
}

/// A stored dialog with its member lists.
#[derive(Debug, Clone, PartialEq)]
pub struct DialogRecord {
    /// 24-hex id.
    pub id: String,
    /// Application.
    pub app_id: i64,
    /// Type code: 1 broadcast, 2 group, 3 private, 4 public.
    pub dialog_type: u8,
    /// Owner.
    pub user_id: i64,
    /// Name.
    pub name: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Photo.
    pub photo: Option<String>,
    /// Custom string fields.
    pub extensions: BTreeMap<String, String>,
    /// Permissions object (`{"allow_preview": bool}`).
    pub permissions: Option<serde_json::Value>,
    /// Occupants (group, private) or subscribers (public), in joining order.
    pub members: Vec<i64>,
    /// Admins.
    pub admins: Vec<i64>,
    /// Pinned message ids.
    pub pins: Vec<String>,
    /// Last message id.
    pub last_message_id: Option<String>,
    /// Last message text.
    pub last_message: Option<String>,
    /// Last message sender.
    pub last_message_user_id: Option<i64>,
    /// Last message time, unix seconds.
    pub last_message_date_sent: Option<i64>,
    /// Created, unix millis.
    pub created_at: i64,
    /// Updated, unix millis.
    pub updated_at: i64,
    /// The unread count and last message status for the user who listed the dialog, when the
    /// listing computed them (saves a query per dialog).
    pub viewer_state: Option<(i64, Option<String>)>,
}

impl DialogRecord {
    /// The model's dialog type.
    pub fn kind(&self) -> DialogType {
        DialogType::from_code(self.dialog_type)
    }

    /// The MUC room JID (`{app}_{dialog}@muc.{domain}`), none for private dialogs.
    pub fn room_jid(&self, domain: &str) -> Option<String> {
        (self.kind() != DialogType::Private)
            .then(|| format!("{}_{}@muc.{domain}", self.app_id, self.id))
    }

    /// Whether `user` is an occupant (group, private) or subscriber (public).
    pub fn is_member(&self, user: i64) -> bool {
        self.members.contains(&user)
    }
}

const COLUMNS: &str = "id, app_id, type, user_id, name, description, photo, extensions, \
    permissions, last_message_id, last_message, last_message_user_id, last_message_date_sent, \
    created_at, updated_at";

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<DialogRecord> {
    let ext: Option<String> = r.get(7)?;
    let perm: Option<String> = r.get(8)?;
    Ok(DialogRecord {
        id: r.get(0)?,
        app_id: r.get(1)?,
        dialog_type: r.get(2)?,
        user_id: r.get(3)?,
        name: r.get(4)?,
        description: r.get(5)?,
        photo: r.get(6)?,
        extensions: ext
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or_default(),
        permissions: perm.and_then(|s| serde_json::from_str(&s).ok()),
        members: Vec::new(),
        admins: Vec::new(),
        pins: Vec::new(),
        last_message_id: r.get(9)?,
        last_message: r.get(10)?,
        last_message_user_id: r.get(11)?,
        last_message_date_sent: r.get(12)?,
        created_at: r.get(13)?,
        updated_at: r.get(14)?,
        viewer_state: None,
    })
}

fn id_list(conn: &Connection, sql: &str, dialog: &str) -> Result<Vec<i64>> {
    let mut st = conn.prepare_cached(sql)?;
    let rows = st
        .query_map([dialog], |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<i64>>>()?;
    Ok(rows)
}

fn fill_lists(conn: &Connection, d: &mut DialogRecord) -> Result<()> {
    d.members = id_list(
        conn,
        "SELECT user_id FROM dialog_occupants WHERE dialog_id = ?1 ORDER BY seq",
        &d.id,
    )?;
    d.admins = id_list(
        conn,
        "SELECT user_id FROM dialog_admins WHERE dialog_id = ?1 ORDER BY seq",
        &d.id,
    )?;
    let mut st = conn
        .prepare_cached("SELECT message_id FROM dialog_pins WHERE dialog_id = ?1 ORDER BY seq")?;
    d.pins = st
        .query_map([&d.id], |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<String>>>()?;
    Ok(())
}

/// Dialog `id` of the application, or 404.
pub fn load(conn: &Connection, app_id: i64, id: &str) -> Result<DialogRecord> {
    let mut d = conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM dialogs WHERE id = ?1 AND app_id = ?2"
        ))?
        .query_row(params![id, app_id], from_row)
        .optional()?
        .ok_or_else(|| Error::not_found("Dialog"))?;
    fill_lists(conn, &mut d)?;
    Ok(d)
}

/// Dialog `id` of the application with its occupants and admins but without its pins, in one
/// statement (rather than [`load`]'s four): what sending a message needs.
pub fn load_for_sending(conn: &Connection, app_id: i64, id: &str) -> Result<DialogRecord> {
    let ids = |s: Option<String>| -> Vec<i64> {
        s.and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or_default()
    };
    conn.prepare_cached(&format!(
        "SELECT {COLUMNS}, \
         (SELECT json_group_array(user_id) FROM (SELECT user_id FROM dialog_occupants \
          WHERE dialog_id = ?1 ORDER BY seq)), \
         (SELECT json_group_array(user_id) FROM (SELECT user_id FROM dialog_admins \
          WHERE dialog_id = ?1 ORDER BY seq)) \
         FROM dialogs WHERE id = ?1 AND app_id = ?2"
    ))?
    .query_row(params![id, app_id], |r| {
        let mut d = from_row(r)?;
        d.members = ids(r.get(15)?);
        d.admins = ids(r.get(16)?);
        Ok(d)
    })
    .optional()?
    .ok_or_else(|| Error::not_found("Dialog"))
}

/// Whether `user` is on the dialog's block list.
pub fn is_blocked(conn: &Connection, dialog: &str, user: i64) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM dialog_blocks WHERE dialog_id = ?1 AND user_id = ?2")?
        .query_row(params![dialog, user], |_| Ok(()))
        .optional()?
        .is_some())
}

/// The role of `user` in the dialog (roles.md): owner, admin, regular or outsider.
pub fn role_of(d: &DialogRecord, user: i64) -> Role {
    match d.kind() {
        DialogType::Private => {
            if d.is_member(user) {
                Role::Regular
            } else {
                Role::Outsider
            }
        }
        DialogType::Other(_) => Role::Outsider,
        t => {
            if user == d.user_id {
                Role::Owner
            } else if d.admins.contains(&user) {
                Role::Admin
            } else if t == DialogType::Broadcast || d.is_member(user) {
                Role::Regular
            } else {
                Role::Outsider
            }
        }
    }
}

/// Refuses (403 with the table's reason) unless `user` may do `action` in the dialog.
///
/// A blocked user of a public or broadcast dialog may not send, read or subscribe.
pub fn require(conn: &Connection, d: &DialogRecord, user: i64, action: Action) -> Result<()> {
    let role = role_of(d, user);
    if matches!(d.kind(), DialogType::Public | DialogType::Broadcast)
        && matches!(action, Action::SendMessage | Action::ReadHistory)
        && role != Role::Owner
        && is_blocked(conn, &d.id, user)?
    {
        return Err(Error::Forbidden(
            "You are blocked in this dialog".to_owned(),
        ));
    }
    match roles::decide(d.kind(), role, action) {
        Decision::Allowed => Ok(()),
        _ => Err(Error::Forbidden(
            roles::refusal_reason(d.kind(), role, action)
                .unwrap_or("Forbidden")
                .to_owned(),
        )),
    }
}

/// A dialog to create.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NewDialog {
    /// Type code.
    pub dialog_type: u8,
    /// Name (required for 1, 2, 4; ignored for 3).
    pub name: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Photo.
    pub photo: Option<String>,
    /// Occupants besides the creator (2, 3).
    pub occupants_ids: Vec<i64>,
    /// Admins.
    pub admins_ids: Vec<i64>,
    /// Custom fields (values become strings).
    pub extensions: Option<Map<String, serde_json::Value>>,
    /// Permissions.
    pub permissions: Option<serde_json::Value>,
}

fn stringify_extensions(ext: &Map<String, serde_json::Value>) -> BTreeMap<String, String> {
    ext.iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| {
            let s = match v {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            (k.clone(), s)
        })
        .collect()
}

fn check_users(conn: &Connection, app_id: i64, field: &str, ids: &[i64]) -> Result<()> {
    for id in ids {
        if !users::exists(conn, app_id, *id)? {
            return Err(Error::invalid(
                field,
                format!("contains an unknown user {id}"),
            ));
        }
    }
    Ok(())
}

fn next_seq(conn: &Connection, table: &str, dialog: &str) -> Result<i64> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT COALESCE(MAX(seq), 0) + 1 FROM {table} WHERE dialog_id = ?1"
        ))?
        .query_row([dialog], |r| r.get(0))?)
}

fn add_ids(conn: &Connection, table: &str, dialog: &str, ids: &[i64]) -> Result<()> {
    let mut seq = next_seq(conn, table, dialog)?;
    for id in ids {
        let n = conn.execute(
            &format!("INSERT OR IGNORE INTO {table} (dialog_id, user_id, seq) VALUES (?1, ?2, ?3)"),
            params![dialog, id, seq],
        )?;
        seq += i64::try_from(n).unwrap_or(0);
    }
    Ok(())
}

fn remove_ids(conn: &Connection, table: &str, dialog: &str, ids: &[i64]) -> Result<()> {
    for id in ids {
        conn.execute(
            &format!("DELETE FROM {table} WHERE dialog_id = ?1 AND user_id = ?2"),
            params![dialog, id],
        )?;
    }
    Ok(())
}

fn dedup(ids: &[i64]) -> Vec<i64> {
    let mut out: Vec<i64> = Vec::with_capacity(ids.len());
    for id in ids {
        if !out.contains(id) {
            out.push(*id);
        }
    }
    out
}

/// Creates a dialog; `admin_api` says the request carried the administration API key (needed
/// for broadcast dialogs). A private dialog for an existing pair returns that dialog.
pub fn create(
    conn: &Connection,
    actor: Actor,
    input: &NewDialog,
    new_id: &str,
    admin_api: bool,
    now: i64,
) -> Result<DialogRecord> {
    let kind = DialogType::from_code(input.dialog_type);
    let name = input
        .name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty());
    let mut occupants = vec![actor.user_id];
    occupants.extend(input.occupants_ids.iter().copied());
    let occupants = dedup(&occupants);
    let admins = dedup(&input.admins_ids);
    match kind {
        DialogType::Broadcast if !admin_api => {
            return Err(Error::Forbidden(
                "Broadcast dialogs can be created only with the administration API key".into(),
            ));
        }
        DialogType::Group | DialogType::Private if input.occupants_ids.is_empty() => {
            return Err(Error::invalid("occupants_ids", "can't be blank"));
        }
        DialogType::Private if occupants.len() != 2 => {
            return Err(Error::invalid(
                "occupants_ids",
                "a private dialog has exactly two occupants",
            ));
        }
        DialogType::Other(_) => return Err(Error::invalid("type", "is invalid")),
        _ => {}
    }
    if kind != DialogType::Private && name.is_none() {
        return Err(Error::invalid("name", "can't be blank"));
    }
    if let Some(n) = name {
        if n.chars().count() > 200 {
            return Err(Error::invalid(
                "name",
                "is too long (maximum is 200 characters)",
            ));
        }
    }
    if admins.len() > MAX_ADMINS {
        return Err(Error::invalid("admins_ids", "at most 5 admins"));
    }
    if kind == DialogType::Private && !admins.is_empty() {
        return Err(Error::invalid(
            "admins_ids",
            "private dialogs have no admins",
        ));
    }
    check_users(conn, actor.app_id, "occupants_ids", &occupants)?;
    check_users(conn, actor.app_id, "admins_ids", &admins)?;
    if let Some(p) = &input.permissions {
        if !p.is_object() {
            return Err(Error::invalid("permissions", "must be an object"));
        }
    }
    let pair = (kind == DialogType::Private).then(|| {
        let (a, b) = (
            occupants[0].min(occupants[1]),
            occupants[0].max(occupants[1]),
        );
        format!("{a}:{b}")
    });
    if let Some(pair) = &pair {
        let existing: Option<String> = conn
            .prepare_cached("SELECT id FROM dialogs WHERE app_id = ?1 AND private_pair = ?2")?
            .query_row(params![actor.app_id, pair], |r| r.get(0))
            .optional()?;
        if let Some(id) = existing {
            set_hidden(conn, &id, actor.user_id, false)?;
            return load(conn, actor.app_id, &id);
        }
    }
    let extensions = input
        .extensions
        .as_ref()
        .map(stringify_extensions)
        .unwrap_or_default();
    conn.execute(
        "INSERT INTO dialogs (id, app_id, type, user_id, name, description, photo, extensions, \
         permissions, private_pair, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11)",
        params![
            new_id,
            actor.app_id,
            kind.code(),
            actor.user_id,
            if kind == DialogType::Private {
                None
            } else {
                name
            },
            input.description,
            input.photo,
            serde_json::to_string(&extensions).ok(),
            input.permissions.as_ref().map(ToString::to_string),
            pair,
            now,
        ],
    )?;
    match kind {
        DialogType::Group | DialogType::Private => {
            add_ids(conn, "dialog_occupants", new_id, &occupants)?;
        }
        DialogType::Public => add_ids(conn, "dialog_occupants", new_id, &[actor.user_id])?,
        _ => {}
    }
    add_ids(conn, "dialog_admins", new_id, &admins)?;
    load(conn, actor.app_id, new_id)
}

fn set_hidden(conn: &Connection, dialog: &str, user: i64, hidden: bool) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO dialog_user_state (dialog_id, user_id, hidden) VALUES (?1, ?2, ?3) \
         ON CONFLICT(dialog_id, user_id) DO UPDATE SET hidden = excluded.hidden",
    )?
    .execute(params![dialog, user, hidden])?;
    Ok(())
}

/// Shows every hidden copy of the dialog again (a new message arrived).
pub fn unhide_all(conn: &Connection, dialog: &str) -> Result<()> {
    conn.prepare_cached(
        "UPDATE dialog_user_state SET hidden = 0 WHERE dialog_id = ?1 AND hidden = 1",
    )?
    .execute([dialog])?;
    Ok(())
}

/// The viewer's unread count in the dialog.
pub fn unread_count(conn: &Connection, d: &DialogRecord, viewer: i64) -> Result<i64> {
    if d.kind() == DialogType::Broadcast {
        return super::messages::count_unread_live(conn, &d.id, viewer);
    }
    Ok(conn
        .prepare_cached(
            "SELECT unread FROM dialog_user_state WHERE dialog_id = ?1 AND user_id = ?2",
        )?
        .query_row(params![d.id, viewer], |r| r.get(0))
        .optional()?
        .unwrap_or(0))
}

/// The dialog as `viewer` sees it in the REST API.
pub fn view(
    conn: &Connection,
    d: &DialogRecord,
    viewer: i64,
    domain: &str,
) -> Result<serde_json::Value> {
    let kind = d.kind();
    let (unread, status) = if let Some((unread, status)) = &d.viewer_state {
        (
            *unread,
            status
                .clone()
                .filter(|_| d.last_message_user_id == Some(viewer)),
        )
    } else {
        let status = match (&d.last_message_id, d.last_message_user_id) {
            (Some(mid), Some(sender)) if sender == viewer => {
                super::messages::status_of(conn, mid)?.map(str::to_owned)
            }
            _ => None,
        };
        (unread_count(conn, d, viewer)?, status)
    };
    let occupants: Vec<i64> = if kind.has_occupants() {
        d.members.clone()
    } else {
        Vec::new()
    };
    let mut v = json!({
        "_id": d.id,
        "user_id": d.user_id,
        "type": d.dialog_type,
        "name": d.name,
        "description": d.description,
        "photo": d.photo,
        "occupants_ids": occupants,
        "admins_ids": d.admins,
        "pinned_messages_ids": d.pins,
        "last_message": d.last_message,
        "last_message_date_sent": d.last_message_date_sent,
        "last_message_id": d.last_message_id,
        "last_message_user_id": d.last_message_user_id,
        "last_message_status": status,
        "unread_messages_count": unread,
        "xmpp_room_jid": d.room_jid(domain),
        "created_at": iso(d.created_at),
        "updated_at": iso(d.updated_at),
    });
    if kind == DialogType::Private {
        if let Some(o) = v.as_object_mut() {
            o.remove("name");
        }
    }
    if kind == DialogType::Public {
        v["occupants_count"] = d.members.len().into();
    }
    if !d.extensions.is_empty() {
        v["extensions"] = json!(d.extensions);
    }
    if let Some(p) = &d.permissions {
        v["permissions"] = p.clone();
    }
    Ok(v)
}

/// Filterable columns of `GET /chat/Dialog`.
pub const LIST_COLUMNS: &[Column] = &[
    Column {
        field: "_id",
        sql: "d.id",
        kind: Kind::Text,
    },
    Column {
        field: "type",
        sql: "d.type",
        kind: Kind::Int,
    },
    Column {
        field: "name",
        sql: "d.name",
        kind: Kind::Text,
    },
    Column {
        field: "last_message_date_sent",
        sql: "d.last_message_date_sent",
        kind: Kind::Secs,
    },
    Column {
        field: "created_at",
        sql: "d.created_at",
        kind: Kind::Millis,
    },
    Column {
        field: "updated_at",
        sql: "d.updated_at",
        kind: Kind::Millis,
    },
    Column {
        field: "user_id",
        sql: "d.user_id",
        kind: Kind::Int,
    },
];

/// One page of dialogs (or only the count).
#[derive(Debug, Clone, PartialEq)]
pub struct DialogPage {
    /// All matching dialogs.
    pub total_entries: i64,
    /// Offset.
    pub skip: i64,
    /// Page size.
    pub limit: i64,
    /// The page (empty when only counting).
    pub items: Vec<DialogRecord>,
}

/// `GET /chat/Dialog`: the viewer's dialogs (occupied, subscribed, and every broadcast).
pub fn list(
    conn: &Connection,
    actor: Actor,
    pairs: &[(String, String)],
    count_only: bool,
) -> Result<DialogPage> {
    let reserved = ["limit", "skip", "count", "sort_asc", "sort_desc", "offset"];
    let mut filters = query::filters_from_pairs(pairs, &reserved)?;
    let mut ext_terms = String::new();
    let mut ext_params: Vec<Value> = Vec::new();
    let mut occupant_error = None;
    filters.retain(|f| {
        if let Some(key) = f
            .field
            .strip_prefix("extensions[")
            .and_then(|k| k.strip_suffix(']'))
        {
            // Only equality on extensions; other operators are not supported.
            ext_terms.push_str(" AND json_extract(d.extensions, ?) = ?");
            ext_params.push(Value::Text(format!("$.\"{}\"", key.replace('"', ""))));
            ext_params.push(Value::Text(f.values.first().cloned().unwrap_or_default()));
            false
        } else if f.field == "occupants_ids" {
            // `occupants_ids[all]=5,6` (the SDK sends it), `[in]`, `[nin]` or `=5`.
            let member = " EXISTS (SELECT 1 FROM dialog_occupants o2 \
                WHERE o2.dialog_id = d.id AND o2.user_id = ?)";
            let ids: Vec<i64> = query::split_list(&f.values)
                .iter()
                .filter_map(|v| v.parse().ok())
                .collect();
            if ids.is_empty() {
                occupant_error = Some(Error::bad("occupants_ids", "needs user ids"));
            }
            let terms = vec![member; ids.len()];
            let joined = match f.op {
                query::Op::In => format!(" AND ({})", terms.join(" OR ")),
                query::Op::Nin => format!(" AND NOT ({})", terms.join(" OR ")),
                query::Op::All | query::Op::Eq => format!(" AND ({})", terms.join(" AND ")),
                _ => {
                    occupant_error =
                        Some(Error::bad("occupants_ids", "supports eq, in, nin and all"));
                    String::new()
                }
            };
            if !ids.is_empty() {
                ext_terms.push_str(&joined);
                ext_params.extend(ids.into_iter().map(Value::Integer));
            }
            false
        } else {
            true
        }
    });
    if let Some(e) = occupant_error {
        return Err(e);
    }
    let (cond, params) = query::where_sql(&filters, LIST_COLUMNS)?;
    let limit = query::bounded(pairs, "limit", 100, 100)?;
    let skip = query::bounded(pairs, "skip", 0, i64::MAX)?;
    let order = match query::sort_from_pairs(pairs, LIST_COLUMNS)? {
        Some((col, asc)) => format!(
            "{col} {} NULLS LAST, d.id",
            if asc { "ASC" } else { "DESC" }
        ),
        None => {
            "COALESCE(d.last_message_date_sent, d.created_at / 1000) DESC, d.id DESC".to_owned()
        }
    };
    let base = "FROM dialogs d LEFT JOIN dialog_user_state s ON s.dialog_id = d.id AND s.user_id = ?2 \
        WHERE d.app_id = ?1 AND COALESCE(s.hidden, 0) = 0 AND (d.type = 1 OR EXISTS \
        (SELECT 1 FROM dialog_occupants o WHERE o.dialog_id = d.id AND o.user_id = ?2))";
    let mut all: Vec<Value> = vec![Value::Integer(actor.app_id), Value::Integer(actor.user_id)];
    all.extend(params);
    all.extend(ext_params);
    let count = |all: &[Value]| -> Result<i64> {
        Ok(conn
            .prepare_cached(&format!("SELECT COUNT(*) {base}{cond}{ext_terms}"))?
            .query_row(rusqlite::params_from_iter(all.iter()), |r| r.get(0))?)
    };
    if count_only {
        return Ok(DialogPage {
            total_entries: count(&all)?,
            skip,
            limit,
            items: Vec::new(),
        });
    }
    let filter_params = all.clone();
    all.push(Value::Integer(limit));
    all.push(Value::Integer(skip));
    let cols = COLUMNS
        .split(", ")
        .map(|c| format!("d.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ");
    // Member lists, the viewer's unread count and the last message's status come in the same
    // query, so a page costs two statements whatever its size.
    let extra = "(SELECT group_concat(user_id) FROM (SELECT user_id FROM dialog_occupants \
        WHERE dialog_id = d.id ORDER BY seq)), \
        (SELECT group_concat(user_id) FROM (SELECT user_id FROM dialog_admins \
        WHERE dialog_id = d.id ORDER BY seq)), \
        (SELECT group_concat(message_id, ' ') FROM (SELECT message_id FROM dialog_pins \
        WHERE dialog_id = d.id ORDER BY seq)), \
        COALESCE(s.unread, 0), \
        (SELECT CASE WHEN m.read_ids != '[]' THEN 'read' WHEN m.delivered_ids != '[]' \
        THEN 'delivered' ELSE 'sent' END FROM messages m WHERE m.id = d.last_message_id)";
    let mut st = conn.prepare_cached(&format!(
        "SELECT {cols}, {extra} {base}{cond}{ext_terms} ORDER BY {order} LIMIT ? OFFSET ?"
    ))?;
    let ids = |s: Option<String>| -> Vec<i64> {
        s.map(|s| s.split(',').filter_map(|x| x.parse().ok()).collect())
            .unwrap_or_default()
    };
    let items = st
        .query_map(rusqlite::params_from_iter(all.iter()), |r| {
            let mut d = from_row(r)?;
            d.members = ids(r.get(15)?);
            d.admins = ids(r.get(16)?);
            d.pins = r
                .get::<_, Option<String>>(17)?
                .map(|s| s.split(' ').map(str::to_owned).collect())
                .unwrap_or_default();
            if d.kind() != DialogType::Broadcast {
                d.viewer_state = Some((r.get(18)?, r.get(19)?));
            }
            Ok(d)
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    // A first page that is not full holds every match: no need to count them.
    let total = if skip == 0 && (items.len() as i64) < limit {
        items.len() as i64
    } else {
        count(&filter_params)?
    };
    Ok(DialogPage {
        total_entries: total,
        skip,
        limit,
        items,
    })
}

/// Lists of ids to add (`push_all`) or remove (`pull_all`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IdChanges {
    /// Occupants.
    pub occupants_ids: Vec<i64>,
    /// Admins.
    pub admins_ids: Vec<i64>,
    /// Pinned messages.
    pub pinned_messages_ids: Vec<String>,
}

impl IdChanges {
    fn is_empty(&self) -> bool {
        self.occupants_ids.is_empty()
            && self.admins_ids.is_empty()
            && self.pinned_messages_ids.is_empty()
    }
}

/// A dialog update (`PUT /chat/Dialog/{id}`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DialogUpdate {
    /// New name.
    pub name: Option<String>,
    /// New description.
    pub description: Option<String>,
    /// New photo.
    pub photo: Option<String>,
    /// `Some(None)` resets the extensions, `Some(Some(map))` replaces them.
    pub extensions: Option<Option<Map<String, serde_json::Value>>>,
    /// New permissions.
    pub permissions: Option<serde_json::Value>,
    /// Ids to add.
    pub push_all: IdChanges,
    /// Ids to remove.
    pub pull_all: IdChanges,
}

/// Applies an update after checking every part against the roles table; all or nothing.
pub fn update(
    conn: &Connection,
    actor: Actor,
    id: &str,
    up: &DialogUpdate,
    now: i64,
) -> Result<DialogRecord> {
    let d = load(conn, actor.app_id, id)?;
    let me = actor.user_id;
    let kind = d.kind();
    if up.name.is_some()
        || up.description.is_some()
        || up.photo.is_some()
        || up.extensions.is_some()
        || up.permissions.is_some()
    {
        require(conn, &d, me, Action::ChangeNamePhotoDescription)?;
    }
    if !up.push_all.occupants_ids.is_empty() {
        require(conn, &d, me, Action::AddOccupants)?;
    }
    let pull_others: Vec<i64> = up
        .pull_all
        .occupants_ids
        .iter()
        .copied()
        .filter(|u| *u != me)
        .collect();
    if !pull_others.is_empty() {
        require(conn, &d, me, Action::RemoveOtherOccupants)?;
    } else if !up.pull_all.occupants_ids.is_empty() {
        require(conn, &d, me, Action::LeaveDialog)?;
        if !kind.has_occupants() {
            return Err(Error::Forbidden("This dialog has no occupants list".into()));
        }
    }
    if !up.push_all.admins_ids.is_empty() || !up.pull_all.admins_ids.is_empty() {
        require(conn, &d, me, Action::ManageAdmins)?;
    }
    if !up.push_all.pinned_messages_ids.is_empty() || !up.pull_all.pinned_messages_ids.is_empty() {
        require(conn, &d, me, Action::PinMessages)?;
    }
    if up.name.is_none()
        && up.description.is_none()
        && up.photo.is_none()
        && up.extensions.is_none()
        && up.permissions.is_none()
        && up.push_all.is_empty()
        && up.pull_all.is_empty()
    {
        // Nothing to change: still only members see the dialog.
        require(conn, &d, me, Action::ReadHistory)?;
        return Ok(d);
    }
    if let Some(name) = &up.name {
        if name.trim().is_empty() && kind != DialogType::Private {
            return Err(Error::invalid("name", "can't be blank"));
        }
    }
    check_users(
        conn,
        actor.app_id,
        "occupants_ids",
        &up.push_all.occupants_ids,
    )?;
    check_users(conn, actor.app_id, "admins_ids", &up.push_all.admins_ids)?;
    let mut admins = d.admins.clone();
    for a in &up.push_all.admins_ids {
        if !admins.contains(a) {
            admins.push(*a);
        }
    }
    admins.retain(|a| !up.pull_all.admins_ids.contains(a));
    if admins.len() > MAX_ADMINS {
        return Err(Error::invalid("admins_ids", "at most 5 admins"));
    }
    for pin in &up.push_all.pinned_messages_ids {
        let found: Option<i64> = conn
            .prepare_cached("SELECT 1 FROM messages WHERE id = ?1 AND dialog_id = ?2")?
            .query_row(params![pin, d.id], |r| r.get(0))
            .optional()?;
        if found.is_none() {
            return Err(Error::invalid(
                "pinned_messages_ids",
                format!("unknown message {pin}"),
            ));
        }
    }
    let mut sets: Vec<&str> = vec!["updated_at = ?"];
    let mut values: Vec<Value> = vec![Value::Integer(now)];
    let opt_text = |v: &String| {
        if v.is_empty() {
            Value::Null
        } else {
            Value::Text(v.clone())
        }
    };
    if let Some(v) = &up.name {
        sets.push("name = ?");
        values.push(Value::Text(v.trim().to_owned()));
    }
    if let Some(v) = &up.description {
        sets.push("description = ?");
        values.push(opt_text(v));
    }
    if let Some(v) = &up.photo {
        sets.push("photo = ?");
        values.push(opt_text(v));
    }
    if let Some(ext) = &up.extensions {
        sets.push("extensions = ?");
        let map = ext.as_ref().map(stringify_extensions).unwrap_or_default();
        values.push(Value::Text(
            serde_json::to_string(&map).unwrap_or_else(|_| "{}".into()),
        ));
    }
    if let Some(p) = &up.permissions {
        sets.push("permissions = ?");
        values.push(Value::Text(p.to_string()));
    }
    values.push(Value::Text(d.id.clone()));
    conn.execute(
        &format!("UPDATE dialogs SET {} WHERE id = ?", sets.join(", ")),
        rusqlite::params_from_iter(values),
    )?;
    add_ids(conn, "dialog_occupants", &d.id, &up.push_all.occupants_ids)?;
    for u in &up.push_all.occupants_ids {
        set_hidden(conn, &d.id, *u, false)?;
    }
    remove_ids(conn, "dialog_occupants", &d.id, &up.pull_all.occupants_ids)?;
    remove_ids(conn, "dialog_admins", &d.id, &up.pull_all.occupants_ids)?;
    add_ids(conn, "dialog_admins", &d.id, &up.push_all.admins_ids)?;
    remove_ids(conn, "dialog_admins", &d.id, &up.pull_all.admins_ids)?;
    let mut seq = next_seq(conn, "dialog_pins", &d.id)?;
    for pin in &up.push_all.pinned_messages_ids {
        seq += conn.execute(
            "INSERT OR IGNORE INTO dialog_pins (dialog_id, message_id, seq) VALUES (?1, ?2, ?3)",
            params![d.id, pin, seq],
        )? as i64;
    }
    for pin in &up.pull_all.pinned_messages_ids {
        conn.execute(
            "DELETE FROM dialog_pins WHERE dialog_id = ?1 AND message_id = ?2",
            params![d.id, pin],
        )?;
    }
    load(conn, actor.app_id, &d.id)
}

/// What a (multi-)delete did with each id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeleteOutcome {
    /// Deleted.
    pub deleted: Vec<String>,
    /// Unknown ids.
    pub not_found: Vec<String>,
    /// Ids the caller may not delete.
    pub wrong_permissions: Vec<String>,
}

impl DeleteOutcome {
    /// The `{"SuccessfullyDeleted":{"ids":[]},"NotFound":{"ids":[]},"WrongPermissions":{"ids":[]}}` body.
    pub fn to_json(&self) -> serde_json::Value {
        json!({
            "SuccessfullyDeleted": {"ids": self.deleted},
            "NotFound": {"ids": self.not_found},
            "WrongPermissions": {"ids": self.wrong_permissions},
        })
    }
}

/// Deletes one dialog for the caller (leave, unsubscribe, hide) or, with `force`, for everyone.
pub fn delete_one(conn: &Connection, actor: Actor, id: &str, force: bool) -> Result<()> {
    let d = load(conn, actor.app_id, id)?;
    let me = actor.user_id;
    if force {
        require(conn, &d, me, Action::DeleteDialogForEveryone)?;
        conn.execute("DELETE FROM dialogs WHERE id = ?1", [&d.id])?;
        return Ok(());
    }
    if role_of(&d, me) == Role::Outsider && d.kind() != DialogType::Public {
        return Err(Error::Forbidden(
            roles::refusal_reason(d.kind(), Role::Outsider, Action::LeaveDialog)
                .unwrap_or("Forbidden")
                .into(),
        ));
    }
    match d.kind() {
        DialogType::Group | DialogType::Public => {
            remove_ids(conn, "dialog_occupants", &d.id, &[me])?;
        }
        _ => set_hidden(conn, &d.id, me, true)?,
    }
    Ok(())
}

/// Deletes several dialogs, sorting each id into the outcome's lists.
pub fn delete_many(
    conn: &Connection,
    actor: Actor,
    ids: &[String],
    force: bool,
) -> Result<DeleteOutcome> {
    let mut out = DeleteOutcome::default();
    for id in ids {
        match delete_one(conn, actor, id, force) {
            Ok(()) => out.deleted.push(id.clone()),
            Err(Error::NotFound(_)) => out.not_found.push(id.clone()),
            Err(Error::Forbidden(_)) => out.wrong_permissions.push(id.clone()),
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

/// Subscribes the caller to a public dialog.
pub fn subscribe(conn: &Connection, actor: Actor, id: &str) -> Result<DialogRecord> {
    let d = load(conn, actor.app_id, id)?;
    if d.kind() != DialogType::Public {
        return Err(Error::Forbidden(
            "Only public dialogs can be subscribed to".into(),
        ));
    }
    if is_blocked(conn, &d.id, actor.user_id)? {
        return Err(Error::Forbidden("You are blocked in this dialog".into()));
    }
    add_ids(conn, "dialog_occupants", &d.id, &[actor.user_id])?;
    set_hidden(conn, &d.id, actor.user_id, false)?;
    load(conn, actor.app_id, id)
}

/// Unsubscribes the caller from a public dialog.
pub fn unsubscribe(conn: &Connection, actor: Actor, id: &str) -> Result<()> {
    let d = load(conn, actor.app_id, id)?;
    if d.kind() != DialogType::Public {
        return Err(Error::Forbidden(
            "Only public dialogs can be unsubscribed from".into(),
        ));
    }
    remove_ids(conn, "dialog_occupants", &d.id, &[actor.user_id])
}

/// Occupants (group, private) or subscribers (public) of the dialog, a page of user ids.
pub fn occupants(
    conn: &Connection,
    actor: Actor,
    id: &str,
    limit: i64,
    skip: i64,
) -> Result<Vec<i64>> {
    let d = load(conn, actor.app_id, id)?;
    require(conn, &d, actor.user_id, Action::ReadHistory)?;
    Ok(d.members
        .into_iter()
        .skip(usize::try_from(skip).unwrap_or(usize::MAX))
        .take(usize::try_from(limit).unwrap_or(0))
        .collect())
}

/// Whether notifications are on for the caller in the dialog.
pub fn notifications(conn: &Connection, actor: Actor, id: &str) -> Result<bool> {
    let d = load(conn, actor.app_id, id)?;
    require(conn, &d, actor.user_id, Action::ReadHistory)?;
    Ok(conn
        .prepare_cached(
            "SELECT notifications FROM dialog_user_state WHERE dialog_id = ?1 AND user_id = ?2",
        )?
        .query_row(params![d.id, actor.user_id], |r| r.get::<_, bool>(0))
        .optional()?
        .unwrap_or(true))
}

/// Turns notifications on or off for the caller in the dialog.
pub fn set_notifications(conn: &Connection, actor: Actor, id: &str, enabled: bool) -> Result<bool> {
    let d = load(conn, actor.app_id, id)?;
    require(conn, &d, actor.user_id, Action::ReadHistory)?;
    conn.execute(
        "INSERT INTO dialog_user_state (dialog_id, user_id, notifications) VALUES (?1, ?2, ?3) \
         ON CONFLICT(dialog_id, user_id) DO UPDATE SET notifications = excluded.notifications",
        params![d.id, actor.user_id, enabled],
    )?;
    Ok(enabled)
}

/// Blocks (or unblocks) users in a public or broadcast dialog; blocking also unsubscribes.
///
/// The owner and the admins cannot be blocked (422).
pub fn set_blocked(
    conn: &Connection,
    actor: Actor,
    id: &str,
    users_ids: &[i64],
    blocked: bool,
) -> Result<()> {
    let d = load(conn, actor.app_id, id)?;
    require(conn, &d, actor.user_id, Action::BlockUsers)?;
    if blocked
        && users_ids
            .iter()
            .any(|u| *u == d.user_id || d.admins.contains(u))
    {
        return Err(Error::invalid(
            "user_ids",
            "can't include the owner or an admin of the dialog",
        ));
    }
    for u in users_ids {
        if blocked {
            conn.execute(
                "INSERT OR IGNORE INTO dialog_blocks (dialog_id, user_id) VALUES (?1, ?2)",
                params![d.id, u],
            )?;
            remove_ids(conn, "dialog_occupants", &d.id, &[*u])?;
        } else {
            conn.execute(
                "DELETE FROM dialog_blocks WHERE dialog_id = ?1 AND user_id = ?2",
                params![d.id, u],
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::domain::users::{UserFields, insert};
    use crate::store::schema;

    pub(crate) fn db_with_users(n: usize) -> Connection {
        let mut c = Connection::open_in_memory().unwrap();
        schema::migrate(&mut c).unwrap();
        c.execute(
            "INSERT INTO applications (id, auth_key, auth_secret, created_at) VALUES (1, 'k', 's', 0)",
            [],
        )
        .unwrap();
        for i in 0..n {
            let f = UserFields {
                login: Some(format!("user{i}")),
                ..UserFields::default()
            };
            insert(&c, 1, &f, None, false, 0).unwrap();
        }
        c
    }

    fn actor(u: i64) -> Actor {
        Actor {
            app_id: 1,
            user_id: u,
        }
    }

    #[test]
    fn private_pair_is_unique_and_validated() {
        let c = db_with_users(3);
        let new = NewDialog {
            dialog_type: 3,
            occupants_ids: vec![2],
            ..NewDialog::default()
        };
        let d = create(&c, actor(1), &new, "000000000000000000000001", false, 0).unwrap();
        assert_eq!(d.members, vec![1, 2]);
        let again = NewDialog {
            dialog_type: 3,
            occupants_ids: vec![1],
            ..NewDialog::default()
        };
        let d2 = create(&c, actor(2), &again, "000000000000000000000002", false, 0).unwrap();
        assert_eq!(d2.id, d.id);
        let three = NewDialog {
            dialog_type: 3,
            occupants_ids: vec![2, 3],
            ..NewDialog::default()
        };
        assert_eq!(
            create(&c, actor(1), &three, "000000000000000000000003", false, 0)
                .unwrap_err()
                .status(),
            422
        );
        let bad = NewDialog {
            dialog_type: 2,
            occupants_ids: vec![99],
            name: Some("x".into()),
            ..NewDialog::default()
        };
        assert_eq!(
            create(&c, actor(1), &bad, "000000000000000000000004", false, 0)
                .unwrap_err()
                .status(),
            422
        );
        let broadcast = NewDialog {
            dialog_type: 1,
            name: Some("b".into()),
            ..NewDialog::default()
        };
        assert_eq!(
            create(
                &c,
                actor(1),
                &broadcast,
                "000000000000000000000005",
                false,
                0
            )
            .unwrap_err()
            .status(),
            403
        );
        let view = view(&c, &d, 1, "localhost").unwrap();
        assert!(view["xmpp_room_jid"].is_null());
        assert!(view.get("name").is_none());
    }

    #[test]
    fn group_roles_on_update() {
        let c = db_with_users(4);
        let new = NewDialog {
            dialog_type: 2,
            name: Some("g".into()),
            occupants_ids: vec![2, 3],
            admins_ids: vec![2],
            ..NewDialog::default()
        };
        let d = create(&c, actor(1), &new, "000000000000000000000001", false, 0).unwrap();
        // a regular user may rename and add, not remove others or pin.
        let rename = DialogUpdate {
            name: Some("g2".into()),
            ..DialogUpdate::default()
        };
        assert_eq!(
            update(&c, actor(3), &d.id, &rename, 1)
                .unwrap()
                .name
                .as_deref(),
            Some("g2")
        );
        let remove = DialogUpdate {
            pull_all: IdChanges {
                occupants_ids: vec![2],
                ..IdChanges::default()
            },
            ..DialogUpdate::default()
        };
        assert_eq!(
            update(&c, actor(3), &d.id, &remove, 1)
                .unwrap_err()
                .status(),
            403
        );
        // the admin may remove; the outsider may do nothing.
        let d2 = update(
            &c,
            actor(2),
            &d.id,
            &DialogUpdate {
                pull_all: IdChanges {
                    occupants_ids: vec![3],
                    ..IdChanges::default()
                },
                ..DialogUpdate::default()
            },
            2,
        )
        .unwrap();
        assert_eq!(d2.members, vec![1, 2]);
        assert_eq!(
            update(&c, actor(4), &d.id, &rename, 1)
                .unwrap_err()
                .status(),
            403
        );
        // six admins are refused.
        let many = DialogUpdate {
            push_all: IdChanges {
                admins_ids: vec![1, 2, 3, 4, 5, 6],
                ..IdChanges::default()
            },
            ..DialogUpdate::default()
        };
        assert_eq!(
            update(&c, actor(1), &d.id, &many, 1).unwrap_err().status(),
            422
        );
        let page = list(&c, actor(2), &[], false).unwrap();
        assert_eq!(page.total_entries, 1);
        assert_eq!(list(&c, actor(3), &[], false).unwrap().total_entries, 0);
    }

    #[test]
    fn public_subscribe_block_and_force_delete() {
        let c = db_with_users(3);
        let new = NewDialog {
            dialog_type: 4,
            name: Some("pub".into()),
            ..NewDialog::default()
        };
        let d = create(&c, actor(1), &new, "000000000000000000000001", false, 0).unwrap();
        subscribe(&c, actor(2), &d.id).unwrap();
        set_blocked(&c, actor(1), &d.id, &[3], true).unwrap();
        assert_eq!(subscribe(&c, actor(3), &d.id).unwrap_err().status(), 403);
        assert_eq!(
            set_blocked(&c, actor(2), &d.id, &[3], false)
                .unwrap_err()
                .status(),
            403
        );
        let out = delete_many(
            &c,
            actor(2),
            &[d.id.clone(), "ffffffffffffffffffffffff".into()],
            true,
        )
        .unwrap();
        assert_eq!(out.wrong_permissions, vec![d.id.clone()]);
        assert_eq!(out.not_found.len(), 1);
        delete_one(&c, actor(1), &d.id, true).unwrap();
        assert_eq!(load(&c, 1, &d.id).unwrap_err().status(), 404);
    }
}
