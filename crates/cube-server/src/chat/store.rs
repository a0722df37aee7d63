//! What chat keeps in SQLite besides messages: SCRAM credentials, privacy lists, the offline
//! queue and last activity.
//!
//! The chat tables are created with `IF NOT EXISTS` when the chat side starts, so they live
//! beside the REST schema's migrations without taking a version number from them.

use cube_xmpp::sasl::ScramCredentials;
use cube_xmpp::stanza::{PrivacyList, PrivacyQuery};
use cube_xmpp::{Element, Frame, Framing, Limits, StreamParser};
use rusqlite::{Connection, OptionalExtension, params};

use crate::domain::error::Result;

/// The PBKDF2 iteration count of stored SCRAM-SHA-1 credentials.
pub const SCRAM_ITERATIONS: u32 = 4096;

const SCHEMA: &str = r"
CREATE TABLE IF NOT EXISTS chat_privacy_lists (
    app_id   INTEGER NOT NULL,
    user_id  INTEGER NOT NULL,
    name     TEXT NOT NULL,
    items    TEXT NOT NULL,
    PRIMARY KEY (app_id, user_id, name)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS chat_privacy_default (
    app_id   INTEGER NOT NULL,
    user_id  INTEGER NOT NULL,
    name     TEXT NOT NULL,
    PRIMARY KEY (app_id, user_id)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS chat_offline (
    seq      INTEGER PRIMARY KEY AUTOINCREMENT,
    app_id   INTEGER NOT NULL,
    user_id  INTEGER NOT NULL,
    stanza   TEXT NOT NULL,
    stamp    INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS chat_offline_user ON chat_offline(app_id, user_id, seq);

CREATE TABLE IF NOT EXISTS chat_last_seen (
    app_id   INTEGER NOT NULL,
    user_id  INTEGER NOT NULL,
    at       INTEGER NOT NULL,
    PRIMARY KEY (app_id, user_id)
) WITHOUT ROWID;
";

/// Creates the chat tables if they are missing.
pub fn ensure_schema(conn: &Connection) -> Result<()> {
    conn.execute_batch(SCHEMA)?;
    Ok(())
}

/// Stores the SCRAM-SHA-1 credentials of a user (sign-up, password change).
pub fn set_scram(conn: &Connection, user_id: i64, creds: &ScramCredentials) -> Result<()> {
    conn.execute(
        "UPDATE users SET scram_salt = ?1, scram_iterations = ?2, scram_stored_key = ?3, \
         scram_server_key = ?4 WHERE id = ?5",
        params![
            creds.salt,
            creds.iterations,
            creds.stored_key.as_slice(),
            creds.server_key.as_slice(),
            user_id
        ],
    )?;
    Ok(())
}

/// The stored SCRAM-SHA-1 credentials of a user, if any.
pub fn scram(conn: &Connection, app_id: i64, user_id: i64) -> Result<Option<ScramCredentials>> {
    type Row = (
        Option<Vec<u8>>,
        Option<u32>,
        Option<Vec<u8>>,
        Option<Vec<u8>>,
    );
    let row: Option<Row> = conn
        .prepare_cached(
            "SELECT scram_salt, scram_iterations, scram_stored_key, scram_server_key \
             FROM users WHERE id = ?1 AND app_id = ?2",
        )?
        .query_row(params![user_id, app_id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })
        .optional()?;
    let Some((Some(salt), Some(iterations), Some(stored), Some(server))) = row else {
        return Ok(None);
    };
    let (Ok(stored_key), Ok(server_key)) = (stored.try_into(), server.try_into()) else {
        return Ok(None);
    };
    Ok(Some(ScramCredentials {
        salt,
        iterations,
        stored_key,
        server_key,
    }))
}

/// The token of a user's most recently used live session (SCRAM for users who log in to chat
/// with a session token: provider, Firebase and identity-provider users).
pub fn latest_token(
    conn: &Connection,
    app_id: i64,
    user_id: i64,
    now: i64,
) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached(
            "SELECT token FROM sessions WHERE app_id = ?1 AND user_id = ?2 AND expires_at > ?3 \
             ORDER BY updated_at DESC, id DESC LIMIT 1",
        )?
        .query_row(params![app_id, user_id, now], |r| r.get(0))
        .optional()?)
}

/// Derives SCRAM credentials for a new password with a fresh random salt (slow: PBKDF2).
pub fn derive_scram(password: &str) -> ScramCredentials {
    let salt = crate::ids::random_bytes::<16>();
    ScramCredentials::derive(password, &salt, SCRAM_ITERATIONS)
}

/// Parses one element from its XML text (stored stanzas and lists), with the stream parser.
pub fn parse_element(xml: &str) -> Option<Element> {
    let mut parser = StreamParser::new(Framing::WebSocket, Limits::default());
    parser.feed(xml.as_bytes());
    match parser.next_frame() {
        Ok(Some(Frame::Element(el))) => Some(el),
        _ => None,
    }
}

/// Creates or replaces a privacy list; an empty list deletes it (XEP-0016 §2.6).
pub fn put_privacy_list(
    conn: &Connection,
    app_id: i64,
    user_id: i64,
    list: &PrivacyList,
) -> Result<()> {
    if list.items.is_empty() {
        conn.execute(
            "DELETE FROM chat_privacy_lists WHERE app_id = ?1 AND user_id = ?2 AND name = ?3",
            params![app_id, user_id, list.name],
        )?;
        conn.execute(
            "DELETE FROM chat_privacy_default WHERE app_id = ?1 AND user_id = ?2 AND name = ?3",
            params![app_id, user_id, list.name],
        )?;
        return Ok(());
    }
    let mut query = PrivacyQuery::default();
    query.lists.push(list.clone());
    let xml = Element::from(query).to_xml();
    conn.execute(
        "INSERT INTO chat_privacy_lists (app_id, user_id, name, items) VALUES (?1, ?2, ?3, ?4) \
         ON CONFLICT(app_id, user_id, name) DO UPDATE SET items = excluded.items",
        params![app_id, user_id, list.name, xml],
    )?;
    Ok(())
}

/// One privacy list of a user.
pub fn privacy_list(
    conn: &Connection,
    app_id: i64,
    user_id: i64,
    name: &str,
) -> Result<Option<PrivacyList>> {
    let items: Option<String> = conn
        .prepare_cached(
            "SELECT items FROM chat_privacy_lists WHERE app_id = ?1 AND user_id = ?2 AND name = ?3",
        )?
        .query_row(params![app_id, user_id, name], |r| r.get(0))
        .optional()?;
    Ok(items
        .as_deref()
        .and_then(parse_element)
        .and_then(|el| PrivacyQuery::try_from(el).ok())
        .and_then(|q| q.lists.into_iter().next())
        .map(|mut list| {
            list.items.sort_by_key(|i| i.order);
            list
        }))
}

/// The names of a user's privacy lists.
pub fn privacy_names(conn: &Connection, app_id: i64, user_id: i64) -> Result<Vec<String>> {
    let mut st = conn.prepare_cached(
        "SELECT name FROM chat_privacy_lists WHERE app_id = ?1 AND user_id = ?2 ORDER BY name",
    )?;
    let names = st
        .query_map(params![app_id, user_id], |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<String>>>()?;
    Ok(names)
}

/// The name of a user's default privacy list.
pub fn privacy_default(conn: &Connection, app_id: i64, user_id: i64) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT name FROM chat_privacy_default WHERE app_id = ?1 AND user_id = ?2")?
        .query_row(params![app_id, user_id], |r| r.get(0))
        .optional()?)
}

/// Sets (or, with none, clears) a user's default privacy list.
pub fn set_privacy_default(
    conn: &Connection,
    app_id: i64,
    user_id: i64,
    name: Option<&str>,
) -> Result<()> {
    match name {
        Some(n) => conn.execute(
            "INSERT INTO chat_privacy_default (app_id, user_id, name) VALUES (?1, ?2, ?3) \
             ON CONFLICT(app_id, user_id) DO UPDATE SET name = excluded.name",
            params![app_id, user_id, n],
        )?,
        None => conn.execute(
            "DELETE FROM chat_privacy_default WHERE app_id = ?1 AND user_id = ?2",
            params![app_id, user_id],
        )?,
    };
    Ok(())
}

/// Appends a stanza to a user's offline queue, dropping the oldest beyond `max` entries.
pub fn push_offline(
    conn: &Connection,
    app_id: i64,
    user_id: i64,
    stanza: &str,
    stamp: i64,
    max: usize,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO chat_offline (app_id, user_id, stanza, stamp) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![app_id, user_id, stanza, stamp])?;
    conn.prepare_cached(
        "DELETE FROM chat_offline WHERE app_id = ?1 AND user_id = ?2 AND seq NOT IN \
         (SELECT seq FROM chat_offline WHERE app_id = ?1 AND user_id = ?2 ORDER BY seq DESC LIMIT ?3)",
    )?
    .execute(params![app_id, user_id, i64::try_from(max).unwrap_or(i64::MAX)])?;
    Ok(())
}

/// Takes (removes and returns) a user's offline queue, oldest first, with each stanza's time
/// in unix milliseconds.
pub fn take_offline(conn: &Connection, app_id: i64, user_id: i64) -> Result<Vec<(String, i64)>> {
    let mut st = conn.prepare_cached(
        "SELECT stanza, stamp FROM chat_offline WHERE app_id = ?1 AND user_id = ?2 ORDER BY seq",
    )?;
    let rows = st
        .query_map(params![app_id, user_id], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<Vec<(String, i64)>>>()?;
    conn.prepare_cached("DELETE FROM chat_offline WHERE app_id = ?1 AND user_id = ?2")?
        .execute(params![app_id, user_id])?;
    Ok(rows)
}

/// Records when a user's last chat connection ended (unix millis).
pub fn set_last_seen(conn: &Connection, app_id: i64, user_id: i64, at: i64) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO chat_last_seen (app_id, user_id, at) VALUES (?1, ?2, ?3) \
         ON CONFLICT(app_id, user_id) DO UPDATE SET at = excluded.at",
    )?
    .execute(params![app_id, user_id, at])?;
    Ok(())
}

/// When a user's last chat connection ended (unix millis), if ever.
pub fn last_seen(conn: &Connection, app_id: i64, user_id: i64) -> Result<Option<i64>> {
    Ok(conn
        .prepare_cached("SELECT at FROM chat_last_seen WHERE app_id = ?1 AND user_id = ?2")?
        .query_row(params![app_id, user_id], |r| r.get(0))
        .optional()?)
}
