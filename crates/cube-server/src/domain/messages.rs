//! Messages: creation (by dialog or by private recipient), history with read marking, updates
//! (read, delivered, edit), reactions, deletion for self or everyone, clearing a history, and
//! unread counts.

use std::collections::BTreeMap;

use cube_model::dialog::DialogType;
use cube_model::roles::Action;
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::{Map, json};

use super::dialogs::{self, Actor, DeleteOutcome, DialogRecord, NewDialog};
use super::error::{Error, Result};
use super::query::{self, Column, Kind};
use super::time::iso;
use super::users;

/// Longest accepted message text, in characters.
pub const MAX_TEXT: usize = 64 * 1024;

/// A stored message.
#[derive(Debug, Clone, PartialEq)]
pub struct MessageRecord {
    /// 24-hex id.
    pub id: String,
    /// Application.
    pub app_id: i64,
    /// Dialog.
    pub dialog_id: String,
    /// Sender.
    pub sender_id: i64,
    /// Recipient (private dialogs).
    pub recipient_id: Option<i64>,
    /// Text.
    pub message: Option<String>,
    /// Send time, unix seconds.
    pub date_sent: i64,
    /// Attachments as given.
    pub attachments: Vec<serde_json::Value>,
    /// Custom top-level fields.
    pub custom: Map<String, serde_json::Value>,
    /// Users who read it.
    pub read_ids: Vec<i64>,
    /// Users it was delivered to.
    pub delivered_ids: Vec<i64>,
    /// Views (public and broadcast dialogs).
    pub views_count: i64,
    /// Reactions: `(user, reaction)`, one per user.
    pub reactions: Vec<(i64, String)>,
    /// Created, unix millis.
    pub created_at: i64,
    /// Updated, unix millis.
    pub updated_at: i64,
}

impl MessageRecord {
    /// The message as `viewer` sees it in the REST API.
    pub fn to_json(&self, viewer: i64, dialog_type: u8) -> serde_json::Value {
        let mut v = serde_json::Value::Object(self.custom.clone());
        let fields = json!({
            "_id": self.id,
            "chat_dialog_id": self.dialog_id,
            "message": self.message,
            "date_sent": self.date_sent,
            "sender_id": self.sender_id,
            "recipient_id": self.recipient_id.unwrap_or(0),
            "read_ids": self.read_ids,
            "delivered_ids": self.delivered_ids,
            "attachments": self.attachments,
            "read": i32::from(self.read_ids.contains(&viewer)),
            "created_at": iso(self.created_at),
            "updated_at": iso(self.updated_at),
        });
        if let (Some(obj), serde_json::Value::Object(f)) = (v.as_object_mut(), fields) {
            obj.extend(f);
            if matches!(dialog_type, 1 | 4) {
                obj.insert("views_count".into(), self.views_count.into());
            }
            if !self.reactions.is_empty() {
                obj.insert("reactions".into(), self.reactions_json(viewer));
            }
        }
        v
    }

    /// `{"own": [..], "total": {reaction: n}}` as `viewer` sees it.
    fn reactions_json(&self, viewer: i64) -> serde_json::Value {
        let mut total: BTreeMap<&str, u64> = BTreeMap::new();
        let mut own = Vec::new();
        for (user, reaction) in &self.reactions {
            *total.entry(reaction.as_str()).or_default() += 1;
            if *user == viewer {
                own.push(reaction.as_str());
            }
        }
        json!({ "own": own, "total": total })
    }
}

const COLUMNS: &str = "m.id, m.app_id, m.dialog_id, m.sender_id, m.recipient_id, m.body, \
    m.date_sent, m.attachments, m.custom, m.read_ids, m.delivered_ids, m.views_count, \
    m.created_at, m.updated_at, \
    (SELECT json_group_array(json_array(r.user_id, r.reaction)) FROM message_reactions r \
     WHERE r.message_id = m.id)";

fn json_col<T: serde::de::DeserializeOwned + Default>(s: &str) -> T {
    serde_json::from_str(s).unwrap_or_default()
}

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<MessageRecord> {
    Ok(MessageRecord {
        id: r.get(0)?,
        app_id: r.get(1)?,
        dialog_id: r.get(2)?,
        sender_id: r.get(3)?,
        recipient_id: r.get(4)?,
        message: r.get(5)?,
        date_sent: r.get(6)?,
        attachments: json_col(&r.get::<_, String>(7)?),
        custom: json_col(&r.get::<_, String>(8)?),
        read_ids: json_col(&r.get::<_, String>(9)?),
        delivered_ids: json_col(&r.get::<_, String>(10)?),
        views_count: r.get(11)?,
        created_at: r.get(12)?,
        updated_at: r.get(13)?,
        reactions: json_col(&r.get::<_, Option<String>>(14)?.unwrap_or_default()),
    })
}

/// Message `id` of the application, or 404.
pub fn load(conn: &Connection, app_id: i64, id: &str) -> Result<MessageRecord> {
    conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM messages m WHERE m.id = ?1 AND m.app_id = ?2"
    ))?
    .query_row(params![id, app_id], from_row)
    .optional()?
    .ok_or_else(|| Error::not_found("Message"))
}

/// `sent`, `delivered` or `read` for a message, none if it does not exist.
pub fn status_of(conn: &Connection, id: &str) -> Result<Option<&'static str>> {
    let row: Option<(String, String)> = conn
        .prepare_cached("SELECT read_ids, delivered_ids FROM messages WHERE id = ?1")?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    Ok(row.map(|(read, delivered)| {
        if read != "[]" {
            "read"
        } else if delivered != "[]" {
            "delivered"
        } else {
            "sent"
        }
    }))
}

const VISIBLE: &str = "NOT EXISTS (SELECT 1 FROM json_each(m.deleted_for) WHERE value = ?2)";

/// Counts the viewer's unread messages in a dialog by scanning it (used for broadcasts and to
/// recompute counters).
pub fn count_unread_live(conn: &Connection, dialog: &str, viewer: i64) -> Result<i64> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT COUNT(*) FROM messages m WHERE m.dialog_id = ?1 AND m.sender_id != ?2 \
             AND NOT EXISTS (SELECT 1 FROM json_each(m.read_ids) WHERE value = ?2) AND {VISIBLE} \
             AND m.created_at > COALESCE((SELECT cleared_at FROM dialog_user_state \
             WHERE dialog_id = ?1 AND user_id = ?2), -1)"
        ))?
        .query_row(params![dialog, viewer], |r| r.get(0))?)
}

fn store_unread(conn: &Connection, dialog: &str, user: i64) -> Result<()> {
    let n = count_unread_live(conn, dialog, user)?;
    conn.execute(
        "INSERT INTO dialog_user_state (dialog_id, user_id, unread) VALUES (?1, ?2, ?3) \
         ON CONFLICT(dialog_id, user_id) DO UPDATE SET unread = excluded.unread",
        params![dialog, user, n],
    )?;
    Ok(())
}

/// A message to create.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NewMessage {
    /// The dialog, or
    pub chat_dialog_id: Option<String>,
    /// the other user of a private dialog (created if missing).
    pub recipient_id: Option<i64>,
    /// Text.
    pub message: Option<String>,
    /// Attachments.
    pub attachments: Vec<serde_json::Value>,
    /// Custom fields.
    pub custom: Map<String, serde_json::Value>,
    /// Send time in unix seconds (the server's clock if absent).
    pub date_sent: Option<i64>,
}

/// Creates a message and updates the dialog's last message and the unread counters.
///
/// `new_id` names the message; `new_dialog_id` names the private dialog if one is created.
pub fn create(
    conn: &Connection,
    actor: Actor,
    input: &NewMessage,
    new_id: &str,
    new_dialog_id: &str,
    now: i64,
) -> Result<(MessageRecord, DialogRecord)> {
    if let Some(text) = &input.message {
        if text.chars().count() > MAX_TEXT {
            return Err(Error::invalid("message", "is too long"));
        }
    }
    let dialog = match (&input.chat_dialog_id, input.recipient_id) {
        (Some(id), _) => dialogs::load(conn, actor.app_id, id)?,
        (None, Some(recipient)) => {
            if recipient == actor.user_id {
                return Err(Error::invalid("recipient_id", "cannot be yourself"));
            }
            if !users::exists(conn, actor.app_id, recipient)? {
                return Err(Error::invalid("recipient_id", "is not a user"));
            }
            let new = NewDialog {
                dialog_type: 3,
                occupants_ids: vec![recipient],
                ..NewDialog::default()
            };
            dialogs::create(conn, actor, &new, new_dialog_id, false, now)?
        }
        (None, None) => return Err(Error::invalid("chat_dialog_id", "can't be blank")),
    };
    dialogs::require(conn, &dialog, actor.user_id, Action::SendMessage)?;
    let recipient = if dialog.kind() == DialogType::Private {
        dialog.members.iter().copied().find(|u| *u != actor.user_id)
    } else {
        None
    };
    let seq: i64 = conn
        .prepare_cached(
            "INSERT INTO counters (name, value) VALUES ('message_seq', 1) \
         ON CONFLICT(name) DO UPDATE SET value = value + 1 RETURNING value",
        )?
        .query_row([], |r| r.get(0))?;
    let date_sent = input.date_sent.unwrap_or_else(|| now.div_euclid(1000));
    conn.prepare_cached(
        "INSERT INTO messages (id, app_id, dialog_id, seq, sender_id, recipient_id, body, date_sent, \
         attachments, custom, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11)",
    )?
    .execute(params![
        new_id,
        actor.app_id,
        dialog.id,
        seq,
        actor.user_id,
        recipient,
        input.message,
        date_sent,
        serde_json::Value::from(input.attachments.clone()).to_string(),
        serde_json::Value::Object(input.custom.clone()).to_string(),
        now,
    ])?;
    conn.prepare_cached(
        "UPDATE dialogs SET last_message_id = ?1, last_message = ?2, last_message_user_id = ?3, \
         last_message_date_sent = ?4, updated_at = ?5 WHERE id = ?6",
    )?
    .execute(params![
        new_id,
        input.message,
        actor.user_id,
        date_sent,
        now,
        dialog.id
    ])?;
    dialogs::unhide_all(conn, &dialog.id)?;
    if dialog.kind() != DialogType::Broadcast {
        conn.prepare_cached(
            "INSERT INTO dialog_user_state (dialog_id, user_id, unread) \
             SELECT ?1, user_id, 1 FROM dialog_occupants WHERE dialog_id = ?1 AND user_id != ?2 \
             ON CONFLICT(dialog_id, user_id) DO UPDATE SET unread = unread + 1",
        )?
        .execute(params![dialog.id, actor.user_id])?;
    }
    // Built from what was written rather than read back: this is the hot path of chat.
    let message = MessageRecord {
        id: new_id.to_owned(),
        app_id: actor.app_id,
        dialog_id: dialog.id.clone(),
        sender_id: actor.user_id,
        recipient_id: recipient,
        message: input.message.clone(),
        date_sent,
        attachments: input.attachments.clone(),
        custom: input.custom.clone(),
        read_ids: Vec::new(),
        delivered_ids: Vec::new(),
        views_count: 0,
        reactions: Vec::new(),
        created_at: now,
        updated_at: now,
    };
    let mut dialog = dialog;
    dialog.last_message_id = Some(new_id.to_owned());
    dialog.last_message.clone_from(&input.message);
    dialog.last_message_user_id = Some(actor.user_id);
    dialog.last_message_date_sent = Some(date_sent);
    dialog.updated_at = now;
    Ok((message, dialog))
}

/// Filterable columns of `GET /chat/Message`.
pub const LIST_COLUMNS: &[Column] = &[
    Column {
        field: "_id",
        sql: "m.id",
        kind: Kind::Text,
    },
    Column {
        field: "message",
        sql: "m.body",
        kind: Kind::Text,
    },
    Column {
        field: "date_sent",
        sql: "m.date_sent",
        kind: Kind::Secs,
    },
    Column {
        field: "sender_id",
        sql: "m.sender_id",
        kind: Kind::Int,
    },
    Column {
        field: "recipient_id",
        sql: "m.recipient_id",
        kind: Kind::Int,
    },
    Column {
        field: "updated_at",
        sql: "m.updated_at",
        kind: Kind::Millis,
    },
    Column {
        field: "created_at",
        sql: "m.created_at",
        kind: Kind::Millis,
    },
    Column {
        field: "read_ids",
        sql: "m.read_ids",
        kind: Kind::IntList,
    },
    Column {
        field: "delivered_ids",
        sql: "m.delivered_ids",
        kind: Kind::IntList,
    },
];

/// One page of history.
#[derive(Debug, Clone, PartialEq)]
pub struct MessagePage {
    /// Offset.
    pub skip: i64,
    /// Page size.
    pub limit: i64,
    /// The page.
    pub items: Vec<MessageRecord>,
    /// The dialog's type code.
    pub dialog_type: u8,
}

/// `GET /chat/Message`: history of a dialog, marking what is returned as read unless
/// `mark_as_read=0` (so this runs as a write).
pub fn list(conn: &Connection, actor: Actor, pairs: &[(String, String)]) -> Result<MessagePage> {
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
    };
    let dialog_id =
        get("chat_dialog_id").ok_or_else(|| Error::invalid("chat_dialog_id", "can't be blank"))?;
    let dialog = dialogs::load(conn, actor.app_id, dialog_id)?;
    let preview = get("preview") == Some("1");
    let allow_preview = dialog
        .permissions
        .as_ref()
        .and_then(|p| p.get("allow_preview"))
        .is_some_and(|v| v == &json!(true) || v == &json!(1));
    let member = dialogs::role_of(&dialog, actor.user_id) != cube_model::roles::Role::Outsider;
    if !(preview && allow_preview && !member) {
        dialogs::require(conn, &dialog, actor.user_id, Action::ReadHistory)?;
    }
    let mark = get("mark_as_read") != Some("0") && (member || !preview);
    let reserved = [
        "chat_dialog_id",
        "limit",
        "skip",
        "sort_asc",
        "sort_desc",
        "mark_as_read",
        "preview",
        "offset",
    ];
    let mut filters = query::filters_from_pairs(pairs, &reserved)?;
    let mut att_terms = String::new();
    let mut att_params: Vec<Value> = Vec::new();
    filters.retain(|f| {
        if f.field == "attachments.type" {
            for v in query::split_list(&f.values) {
                att_terms.push_str(
                    " AND EXISTS (SELECT 1 FROM json_each(m.attachments) a WHERE json_extract(a.value, '$.type') = ?)",
                );
                att_params.push(Value::Text(v));
            }
            false
        } else {
            true
        }
    });
    let (cond, params) = query::where_sql(&filters, LIST_COLUMNS)?;
    let mut limit = query::bounded(pairs, "limit", 100, 100)?;
    if preview && !member {
        limit = limit.min(20);
    }
    let skip = query::bounded(pairs, "skip", 0, i64::MAX)?;
    let order = match query::sort_from_pairs(pairs, LIST_COLUMNS)? {
        Some((col, asc)) => {
            let dir = if asc { "ASC" } else { "DESC" };
            format!("{col} {dir}, m.seq {dir}")
        }
        None => "m.date_sent ASC, m.seq ASC".to_owned(),
    };
    let cleared: Option<i64> = conn
        .prepare_cached(
            "SELECT cleared_at FROM dialog_user_state WHERE dialog_id = ?1 AND user_id = ?2",
        )?
        .query_row(params![dialog.id, actor.user_id], |r| r.get(0))
        .optional()?
        .flatten();
    let mut all: Vec<Value> = vec![
        Value::Text(dialog.id.clone()),
        Value::Integer(actor.user_id),
        Value::Integer(cleared.unwrap_or(i64::MIN)),
    ];
    all.extend(params);
    all.extend(att_params);
    all.push(Value::Integer(limit));
    all.push(Value::Integer(skip));
    let sql = format!(
        "SELECT {COLUMNS} FROM messages m WHERE m.dialog_id = ?1 AND {VISIBLE} AND m.created_at > ?3{cond}{att_terms} \
         ORDER BY {order} LIMIT ? OFFSET ?"
    );
    let mut items = conn
        .prepare_cached(&sql)?
        .query_map(rusqlite::params_from_iter(all.iter()), from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    if mark {
        let mut changed = false;
        for m in &mut items {
            if m.sender_id != actor.user_id && !m.read_ids.contains(&actor.user_id) {
                m.read_ids.push(actor.user_id);
                // Public and broadcast messages count their readers (`views_count`).
                let viewed = i64::from(matches!(
                    dialog.kind(),
                    DialogType::Public | DialogType::Broadcast
                ));
                m.views_count += viewed;
                conn.prepare_cached(
                    "UPDATE messages SET read_ids = ?1, views_count = views_count + ?2 WHERE id = ?3",
                )?
                .execute(params![
                    serde_json::Value::from(m.read_ids.clone()).to_string(),
                    viewed,
                    m.id
                ])?;
                changed = true;
            }
        }
        if changed && dialog.kind() != DialogType::Broadcast {
            store_unread(conn, &dialog.id, actor.user_id)?;
        }
    }
    Ok(MessagePage {
        skip,
        limit,
        items,
        dialog_type: dialog.dialog_type,
    })
}

/// A messages update (`PUT /chat/Message/{ids}`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MessageUpdate {
    /// The dialog (required when no ids are given).
    pub chat_dialog_id: Option<String>,
    /// Mark read.
    pub read: bool,
    /// Mark delivered.
    pub delivered: bool,
    /// New text (own messages only).
    pub message: Option<String>,
}

fn add_to_list(conn: &Connection, column: &str, id: &str, user: i64) -> Result<()> {
    conn.execute(
        &format!(
            "UPDATE messages SET {column} = json_insert({column}, '$[#]', ?1) WHERE id = ?2 \
             AND NOT EXISTS (SELECT 1 FROM json_each({column}) WHERE value = ?1)"
        ),
        params![user, id],
    )?;
    Ok(())
}

/// Marks messages read or delivered, or edits them; no ids means every message of the dialog.
pub fn update(
    conn: &Connection,
    actor: Actor,
    ids: &[String],
    up: &MessageUpdate,
    now: i64,
) -> Result<()> {
    if !up.read && !up.delivered && up.message.is_none() {
        return Err(Error::invalid(
            "base",
            "nothing to update: give read, delivered or message",
        ));
    }
    let targets: Vec<MessageRecord> = if ids.is_empty() {
        let dialog_id = up
            .chat_dialog_id
            .as_deref()
            .ok_or_else(|| Error::invalid("chat_dialog_id", "can't be blank"))?;
        let d = dialogs::load(conn, actor.app_id, dialog_id)?;
        dialogs::require(conn, &d, actor.user_id, Action::ReadHistory)?;
        if up.message.is_some() {
            return Err(Error::invalid("message", "needs message ids"));
        }
        let mut st = conn.prepare(&format!(
            "SELECT {COLUMNS} FROM messages m WHERE m.dialog_id = ?1 AND m.sender_id != ?2"
        ))?;
        st.query_map(params![d.id, actor.user_id], from_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?
    } else {
        let mut out = Vec::new();
        for id in ids {
            out.push(load(conn, actor.app_id, id)?);
        }
        out
    };
    let mut touched_dialogs: Vec<String> = Vec::new();
    for m in &targets {
        let d = dialogs::load(conn, actor.app_id, &m.dialog_id)?;
        dialogs::require(conn, &d, actor.user_id, Action::ReadHistory)?;
        if let Some(text) = &up.message {
            if m.sender_id != actor.user_id {
                return Err(Error::Forbidden(
                    "You can edit only your own messages".into(),
                ));
            }
            if text.chars().count() > MAX_TEXT {
                return Err(Error::invalid("message", "is too long"));
            }
            conn.execute(
                "UPDATE messages SET body = ?1, updated_at = ?2 WHERE id = ?3",
                params![text, now, m.id],
            )?;
            conn.execute(
                "UPDATE dialogs SET last_message = ?1 WHERE id = ?2 AND last_message_id = ?3",
                params![text, d.id, m.id],
            )?;
        }
        if m.sender_id != actor.user_id {
            if up.read {
                add_to_list(conn, "read_ids", &m.id, actor.user_id)?;
                add_to_list(conn, "delivered_ids", &m.id, actor.user_id)?;
            } else if up.delivered {
                add_to_list(conn, "delivered_ids", &m.id, actor.user_id)?;
            }
        }
        if !touched_dialogs.contains(&d.id) {
            touched_dialogs.push(d.id.clone());
        }
    }
    if up.read {
        for d in &touched_dialogs {
            store_unread(conn, d, actor.user_id)?;
        }
    }
    Ok(())
}

fn refresh_last_message(conn: &Connection, dialog: &str) -> Result<()> {
    let last: Option<(String, Option<String>, i64, i64)> = conn
        .prepare_cached("SELECT id, body, sender_id, date_sent FROM messages WHERE dialog_id = ?1 ORDER BY date_sent DESC, seq DESC LIMIT 1")?
        .query_row([dialog],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()?;
    match last {
        Some((id, body, sender, date)) => conn.execute(
            "UPDATE dialogs SET last_message_id = ?1, last_message = ?2, last_message_user_id = ?3, last_message_date_sent = ?4 WHERE id = ?5",
            params![id, body, sender, date, dialog],
        )?,
        None => conn.execute(
            "UPDATE dialogs SET last_message_id = NULL, last_message = NULL, last_message_user_id = NULL, last_message_date_sent = NULL WHERE id = ?1",
            [dialog],
        )?,
    };
    Ok(())
}

/// Deletes one message for the caller or, with `force`, for everyone; answers the dialog and
/// the message that was deleted.
pub fn delete_one(conn: &Connection, actor: Actor, id: &str, force: bool) -> Result<MessageRecord> {
    let m = load(conn, actor.app_id, id)?;
    let d = dialogs::load(conn, actor.app_id, &m.dialog_id)?;
    let own = m.sender_id == actor.user_id;
    if force {
        let action = if own {
            Action::DeleteOwnMessageForEveryone
        } else {
            Action::DeleteOthersMessageForEveryone
        };
        dialogs::require(conn, &d, actor.user_id, action)?;
        conn.execute("DELETE FROM messages WHERE id = ?1", [&m.id])?;
        conn.execute("DELETE FROM dialog_pins WHERE message_id = ?1", [&m.id])?;
        if d.last_message_id.as_deref() == Some(m.id.as_str()) {
            refresh_last_message(conn, &d.id)?;
        }
        let members = d.members.clone();
        for u in members {
            store_unread(conn, &d.id, u)?;
        }
    } else {
        let action = if own {
            Action::DeleteOwnMessageForSelf
        } else {
            Action::ReadHistory
        };
        dialogs::require(conn, &d, actor.user_id, action)?;
        add_to_list(conn, "deleted_for", &m.id, actor.user_id)?;
        if d.kind() != DialogType::Broadcast {
            store_unread(conn, &d.id, actor.user_id)?;
        }
    }
    Ok(m)
}

/// Deletes several messages, sorting each id into the outcome's lists.
pub fn delete_many(
    conn: &Connection,
    actor: Actor,
    ids: &[String],
    force: bool,
) -> Result<(DeleteOutcome, Vec<MessageRecord>)> {
    let mut out = DeleteOutcome::default();
    let mut deleted = Vec::new();
    for id in ids {
        match delete_one(conn, actor, id, force) {
            Ok(m) => {
                out.deleted.push(id.clone());
                deleted.push(m);
            }
            Err(Error::NotFound(_)) => out.not_found.push(id.clone()),
            Err(Error::Forbidden(_)) => out.wrong_permissions.push(id.clone()),
            Err(e) => return Err(e),
        }
    }
    Ok((out, deleted))
}

/// `DELETE /chat/Dialog/clearHistory/{id}`: hides every message so far from the caller or,
/// with `force`, deletes them for everyone (the roles of deleting others' messages apply).
pub fn clear_history(
    conn: &Connection,
    actor: Actor,
    dialog_id: &str,
    force: bool,
    now: i64,
) -> Result<()> {
    let d = dialogs::load(conn, actor.app_id, dialog_id)?;
    if force {
        dialogs::require(
            conn,
            &d,
            actor.user_id,
            Action::DeleteOthersMessageForEveryone,
        )?;
        conn.execute("DELETE FROM messages WHERE dialog_id = ?1", [&d.id])?;
        conn.execute("DELETE FROM dialog_pins WHERE dialog_id = ?1", [&d.id])?;
        conn.execute(
            "UPDATE dialog_user_state SET unread = 0 WHERE dialog_id = ?1",
            [&d.id],
        )?;
        refresh_last_message(conn, &d.id)?;
        return Ok(());
    }
    dialogs::require(conn, &d, actor.user_id, Action::ReadHistory)?;
    conn.execute(
        "INSERT INTO dialog_user_state (dialog_id, user_id, cleared_at, unread) VALUES (?1, ?2, ?3, 0) \
         ON CONFLICT(dialog_id, user_id) DO UPDATE SET cleared_at = excluded.cleared_at, unread = 0",
        params![d.id, actor.user_id, now],
    )?;
    Ok(())
}

/// Longest accepted reaction, in characters (an emoji sequence is a few code points).
pub const MAX_REACTION: usize = 32;

/// Message `id` and its dialog, when the actor may read the dialog's history.
fn readable(conn: &Connection, actor: Actor, id: &str) -> Result<(MessageRecord, DialogRecord)> {
    let m = load(conn, actor.app_id, id)?;
    let d = dialogs::load(conn, actor.app_id, &m.dialog_id)?;
    dialogs::require(conn, &d, actor.user_id, Action::ReadHistory)?;
    Ok((m, d))
}

/// `PUT /chat/Message/{id}/reactions`: takes back `remove` and adds `add` for the actor.
///
/// A user has one reaction per message: adding replaces whatever the user had. Anyone who may
/// read the dialog's history may react. Answers the message after the change and its dialog.
pub fn react(
    conn: &Connection,
    actor: Actor,
    id: &str,
    add: Option<&str>,
    remove: Option<&str>,
    now: i64,
) -> Result<(MessageRecord, DialogRecord)> {
    if add.is_none() && remove.is_none() {
        return Err(Error::invalid("add", "give a reaction to add or to remove"));
    }
    for (field, r) in [("add", add), ("remove", remove)] {
        if let Some(r) = r {
            if r.trim().is_empty() {
                return Err(Error::invalid(field, "can't be blank"));
            }
            if r.chars().count() > MAX_REACTION {
                return Err(Error::invalid(field, "is too long"));
            }
        }
    }
    let (m, d) = readable(conn, actor, id)?;
    if let Some(r) = remove {
        conn.execute(
            "DELETE FROM message_reactions WHERE message_id = ?1 AND user_id = ?2 AND reaction = ?3",
            params![m.id, actor.user_id, r],
        )?;
    }
    if let Some(r) = add {
        conn.execute(
            "INSERT INTO message_reactions (message_id, user_id, reaction, created_at) \
             VALUES (?1, ?2, ?3, ?4) ON CONFLICT(message_id, user_id) \
             DO UPDATE SET reaction = excluded.reaction, created_at = excluded.created_at",
            params![m.id, actor.user_id, r, now],
        )?;
    }
    let m = load(conn, actor.app_id, &m.id)?;
    Ok((m, d))
}

/// `GET /chat/Message/{id}/reactions`: the users of each reaction, ascending.
pub fn reactions(conn: &Connection, actor: Actor, id: &str) -> Result<BTreeMap<String, Vec<i64>>> {
    let (m, _) = readable(conn, actor, id)?;
    let mut st = conn.prepare_cached(
        "SELECT reaction, user_id FROM message_reactions WHERE message_id = ?1 ORDER BY user_id",
    )?;
    let rows = st.query_map([&m.id], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
    })?;
    let mut out: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for row in rows {
        let (reaction, user) = row?;
        out.entry(reaction).or_default().push(user);
    }
    Ok(out)
}

/// Unread counts per dialog (the given ones, or all of the caller's) and their total.
pub fn unread_counts(
    conn: &Connection,
    actor: Actor,
    dialog_ids: Option<&[String]>,
) -> Result<(i64, BTreeMap<String, i64>)> {
    let ids: Vec<String> = if let Some(ids) = dialog_ids {
        ids.to_vec()
    } else {
        let mut st = conn.prepare(
            "SELECT d.id FROM dialogs d WHERE d.app_id = ?1 AND (d.type = 1 OR EXISTS \
             (SELECT 1 FROM dialog_occupants o WHERE o.dialog_id = d.id AND o.user_id = ?2))",
        )?;
        st.query_map(params![actor.app_id, actor.user_id], |r| r.get(0))?
            .collect::<rusqlite::Result<Vec<String>>>()?
    };
    let mut map = BTreeMap::new();
    let mut total = 0;
    for id in ids {
        let d = dialogs::load(conn, actor.app_id, &id)?;
        dialogs::require(conn, &d, actor.user_id, Action::ReadHistory)?;
        let n = dialogs::unread_count(conn, &d, actor.user_id)?;
        total += n;
        map.insert(id, n);
    }
    Ok((total, map))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::dialogs::tests::db_with_users;

    fn actor(u: i64) -> Actor {
        Actor {
            app_id: 1,
            user_id: u,
        }
    }

    fn oid(n: u32) -> String {
        format!("{n:024x}")
    }

    fn pairs(l: &[(&str, &str)]) -> Vec<(String, String)> {
        l.iter().map(|(a, b)| ((*a).into(), (*b).into())).collect()
    }

    #[test]
    fn private_by_recipient_unread_and_read_marking() {
        let c = db_with_users(2);
        let new = NewMessage {
            recipient_id: Some(2),
            message: Some("hi".into()),
            ..NewMessage::default()
        };
        let (m, d) = create(&c, actor(1), &new, &oid(1), &oid(100), 5_000).unwrap();
        assert_eq!(m.recipient_id, Some(2));
        assert_eq!(d.last_message.as_deref(), Some("hi"));
        let again = NewMessage {
            chat_dialog_id: Some(d.id.clone()),
            message: Some("two".into()),
            ..NewMessage::default()
        };
        create(&c, actor(1), &again, &oid(2), &oid(101), 6_000).unwrap();
        assert_eq!(unread_counts(&c, actor(2), None).unwrap().0, 2);
        let d = dialogs::load(&c, 1, &d.id).unwrap();
        assert_eq!(
            dialogs::view(&c, &d, 1, "x").unwrap()["last_message_status"],
            "sent"
        );
        let page = list(
            &c,
            actor(2),
            &pairs(&[("chat_dialog_id", &d.id), ("mark_as_read", "0")]),
        )
        .unwrap();
        assert_eq!(page.items.len(), 2);
        assert_eq!(unread_counts(&c, actor(2), None).unwrap().0, 2);
        list(
            &c,
            actor(2),
            &pairs(&[("chat_dialog_id", &d.id), ("limit", "1")]),
        )
        .unwrap();
        assert_eq!(
            unread_counts(&c, actor(2), Some(std::slice::from_ref(&d.id)))
                .unwrap()
                .1[&d.id],
            1
        );
        update(
            &c,
            actor(2),
            &[],
            &MessageUpdate {
                chat_dialog_id: Some(d.id.clone()),
                read: true,
                ..MessageUpdate::default()
            },
            7_000,
        )
        .unwrap();
        assert_eq!(unread_counts(&c, actor(2), None).unwrap().0, 0);
        assert_eq!(
            dialogs::view(&c, &d, 1, "x").unwrap()["last_message_status"],
            "read"
        );
    }

    #[test]
    fn delete_for_self_and_everyone() {
        let c = db_with_users(3);
        let g = NewDialog {
            dialog_type: 2,
            name: Some("g".into()),
            occupants_ids: vec![2, 3],
            ..NewDialog::default()
        };
        let d = dialogs::create(&c, actor(1), &g, &oid(50), false, 0).unwrap();
        let new = NewMessage {
            chat_dialog_id: Some(d.id.clone()),
            message: Some("x".into()),
            ..NewMessage::default()
        };
        let (m, _) = create(&c, actor(2), &new, &oid(1), &oid(99), 1_000).unwrap();
        // user 3 (regular) cannot delete 2's message for everyone; can for self.
        let (out, _) = delete_many(&c, actor(3), std::slice::from_ref(&m.id), true).unwrap();
        assert_eq!(out.wrong_permissions, vec![m.id.clone()]);
        delete_one(&c, actor(3), &m.id, false).unwrap();
        assert!(
            list(&c, actor(3), &pairs(&[("chat_dialog_id", &d.id)]))
                .unwrap()
                .items
                .is_empty()
        );
        assert_eq!(
            list(&c, actor(1), &pairs(&[("chat_dialog_id", &d.id)]))
                .unwrap()
                .items
                .len(),
            1
        );
        // the owner can delete it for everyone.
        delete_one(&c, actor(1), &m.id, true).unwrap();
        assert_eq!(load(&c, 1, &m.id).unwrap_err().status(), 404);
        assert!(
            dialogs::load(&c, 1, &d.id)
                .unwrap()
                .last_message_id
                .is_none()
        );
    }

    #[test]
    fn clear_history_for_self_and_for_everyone() {
        let c = db_with_users(3);
        let g = NewDialog {
            dialog_type: 2,
            name: Some("g".into()),
            occupants_ids: vec![2, 3],
            ..NewDialog::default()
        };
        let d = dialogs::create(&c, actor(1), &g, &oid(50), false, 0).unwrap();
        let new = NewMessage {
            chat_dialog_id: Some(d.id.clone()),
            message: Some("x".into()),
            ..NewMessage::default()
        };
        create(&c, actor(1), &new, &oid(1), &oid(99), 1_000).unwrap();
        let history = |u: i64| {
            list(
                &c,
                actor(u),
                &pairs(&[("chat_dialog_id", &d.id), ("mark_as_read", "0")]),
            )
            .unwrap()
            .items
            .len()
        };
        clear_history(&c, actor(2), &d.id, false, 2_000).unwrap();
        assert_eq!(history(2), 0);
        assert_eq!(history(3), 1);
        assert_eq!(unread_counts(&c, actor(2), None).unwrap().0, 0);
        create(&c, actor(1), &new, &oid(2), &oid(99), 3_000).unwrap();
        assert_eq!(history(2), 1);
        assert_eq!(
            clear_history(&c, actor(3), &d.id, true, 4_000)
                .unwrap_err()
                .status(),
            403
        );
        clear_history(&c, actor(1), &d.id, true, 4_000).unwrap();
        assert_eq!(history(3), 0);
        assert!(
            dialogs::load(&c, 1, &d.id)
                .unwrap()
                .last_message_id
                .is_none()
        );
    }

    #[test]
    fn public_messages_count_their_readers() {
        let c = db_with_users(3);
        let p = NewDialog {
            dialog_type: 4,
            name: Some("p".into()),
            ..NewDialog::default()
        };
        let d = dialogs::create(&c, actor(1), &p, &oid(50), false, 0).unwrap();
        let new = NewMessage {
            chat_dialog_id: Some(d.id.clone()),
            message: Some("x".into()),
            ..NewMessage::default()
        };
        create(&c, actor(1), &new, &oid(1), &oid(99), 1_000).unwrap();
        let read = |u: i64| list(&c, actor(u), &pairs(&[("chat_dialog_id", &d.id)])).unwrap();
        read(2);
        read(2);
        let page = read(3);
        assert_eq!(page.items[0].views_count, 2);
        assert_eq!(page.items[0].to_json(3, 4)["views_count"], 2);
    }

    #[test]
    fn edit_only_own() {
        let c = db_with_users(2);
        let new = NewMessage {
            recipient_id: Some(2),
            message: Some("hi".into()),
            ..NewMessage::default()
        };
        let (m, _) = create(&c, actor(1), &new, &oid(1), &oid(100), 5_000).unwrap();
        let edit = MessageUpdate {
            message: Some("edited".into()),
            ..MessageUpdate::default()
        };
        assert_eq!(
            update(&c, actor(2), std::slice::from_ref(&m.id), &edit, 6_000)
                .unwrap_err()
                .status(),
            403
        );
        update(&c, actor(1), std::slice::from_ref(&m.id), &edit, 6_000).unwrap();
        assert_eq!(
            load(&c, 1, &m.id).unwrap().message.as_deref(),
            Some("edited")
        );
    }
}
