//! Sessions: tokens with a sliding expiry, application or user sessions, and replay nonces.

use rusqlite::{Connection, OptionalExtension, params};
use serde_json::json;

use super::error::{Error, Result};
use super::time::iso;
use crate::ids;

/// A stored session.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionRecord {
    /// Numeric session id.
    pub id: i64,
    /// The 24-hex `_id`.
    pub object_id: String,
    /// The 40-hex token.
    pub token: String,
    /// Application.
    pub app_id: i64,
    /// The user, for a user session.
    pub user_id: Option<i64>,
    /// The nonce the session was created with, if signed.
    pub nonce: Option<i64>,
    /// Creation time in unix seconds.
    pub ts: i64,
    /// Expiry, unix millis.
    pub expires_at: i64,
    /// Created, unix millis.
    pub created_at: i64,
    /// Updated, unix millis.
    pub updated_at: i64,
}

impl std::fmt::Debug for SessionRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionRecord")
            .field("id", &self.id)
            .field("token", &"***")
            .field("app_id", &self.app_id)
            .field("user_id", &self.user_id)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

impl SessionRecord {
    /// The session object of the REST API (without the `user` member).
    pub fn to_json(&self) -> serde_json::Value {
        json!({
            "_id": self.object_id,
            "id": self.id,
            "application_id": self.app_id,
            "user_id": self.user_id.unwrap_or(0),
            "nonce": self.nonce,
            "token": self.token,
            "ts": self.ts,
            "created_at": iso(self.created_at),
            "updated_at": iso(self.updated_at),
        })
    }
}

const COLUMNS: &str =
    "id, object_id, token, app_id, user_id, nonce, ts, expires_at, created_at, updated_at";

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<SessionRecord> {
    Ok(SessionRecord {
        id: r.get(0)?,
        object_id: r.get(1)?,
        token: r.get(2)?,
        app_id: r.get(3)?,
        user_id: r.get(4)?,
        nonce: r.get(5)?,
        ts: r.get(6)?,
        expires_at: r.get(7)?,
        created_at: r.get(8)?,
        updated_at: r.get(9)?,
    })
}

/// Creates a session with a fresh token.
pub fn create(
    conn: &Connection,
    app_id: i64,
    user_id: Option<i64>,
    nonce: Option<i64>,
    object_id: &str,
    now: i64,
    lifetime_ms: i64,
) -> Result<SessionRecord> {
    let token = ids::session_token();
    conn.execute(
        "INSERT INTO sessions (object_id, token, app_id, user_id, nonce, ts, expires_at, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
        params![
            object_id,
            token,
            app_id,
            user_id,
            nonce,
            now.div_euclid(1000),
            now + lifetime_ms,
            now
        ],
    )?;
    by_token(conn, &token)?.ok_or_else(|| Error::Internal("session vanished".into()))
}

/// The session holding `token`, expired or not.
pub fn by_token(conn: &Connection, token: &str) -> Result<Option<SessionRecord>> {
    Ok(conn
        .prepare_cached(&format!("SELECT {COLUMNS} FROM sessions WHERE token = ?1"))?
        .query_row([token], from_row)
        .optional()?)
}

/// The live session holding `token` at `now`, or 401.
pub fn live(conn: &Connection, token: &str, now: i64) -> Result<SessionRecord> {
    match by_token(conn, token)? {
        Some(s) if s.expires_at > now => Ok(s),
        _ => Err(Error::SessionMissing),
    }
}

/// Whether a session checked at `now` should have its expiry pushed forward (so that not
/// every request writes).
pub fn needs_extension(session: &SessionRecord, now: i64, lifetime_ms: i64) -> bool {
    let slack = (lifetime_ms / 100).clamp(0, 60_000);
    now + lifetime_ms - session.expires_at > slack
}

/// Pushes the expiry of a live session to `now + lifetime`; 401 if it expired meanwhile.
pub fn extend(conn: &Connection, token: &str, now: i64, lifetime_ms: i64) -> Result<SessionRecord> {
    let n = conn.execute(
        "UPDATE sessions SET expires_at = ?1 WHERE token = ?2 AND expires_at > ?3",
        params![now + lifetime_ms, token, now],
    )?;
    if n == 0 {
        return Err(Error::SessionMissing);
    }
    live(conn, token, now)
}

/// Sets (login) or clears (logout) the session's user.
pub fn set_user(
    conn: &Connection,
    id: i64,
    user_id: Option<i64>,
    now: i64,
) -> Result<SessionRecord> {
    conn.execute(
        "UPDATE sessions SET user_id = ?1, updated_at = ?2 WHERE id = ?3",
        params![user_id, now, id],
    )?;
    conn.prepare_cached(&format!("SELECT {COLUMNS} FROM sessions WHERE id = ?1"))?
        .query_row([id], from_row)
        .optional()?
        .ok_or(Error::SessionMissing)
}

/// Deletes the session holding `token`.
pub fn delete(conn: &Connection, token: &str) -> Result<()> {
    conn.execute("DELETE FROM sessions WHERE token = ?1", [token])?;
    Ok(())
}

/// Deletes sessions that expired before `now`.
pub fn purge_expired(conn: &Connection, now: i64) -> Result<usize> {
    Ok(conn.execute("DELETE FROM sessions WHERE expires_at <= ?1", [now])?)
}

/// Records a (nonce, timestamp) pair for the application; `false` when it was already used.
pub fn use_nonce(
    conn: &Connection,
    app_id: i64,
    nonce: &str,
    timestamp: i64,
    now: i64,
) -> Result<bool> {
    // Pairs older than the accepted window can never be replayed, so they can go.
    conn.execute(
        "DELETE FROM replay_nonces WHERE seen_at < ?1",
        [now - 3 * 3_600_000],
    )?;
    let n = conn.execute(
        "INSERT OR IGNORE INTO replay_nonces (app_id, nonce, timestamp, seen_at) VALUES (?1, ?2, ?3, ?4)",
        params![app_id, nonce, timestamp, now],
    )?;
    Ok(n == 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::schema;

    fn db() -> Connection {
        let mut c = Connection::open_in_memory().unwrap();
        schema::migrate(&mut c).unwrap();
        c.execute(
            "INSERT INTO applications (id, auth_key, auth_secret, created_at) VALUES (1, 'k', 's', 0)",
            [],
        )
        .unwrap();
        c
    }

    #[test]
    fn sliding_expiry() {
        let c = db();
        let s = create(&c, 1, None, None, "a", 1_000, 10_000).unwrap();
        assert_eq!(s.token.len(), 40);
        assert_eq!(s.to_json()["user_id"], 0);
        assert!(live(&c, &s.token, 10_999).is_ok());
        assert!(needs_extension(&s, 8_000, 10_000));
        let s2 = extend(&c, &s.token, 8_000, 10_000).unwrap();
        assert_eq!(s2.expires_at, 18_000);
        assert!(live(&c, &s.token, 15_000).is_ok());
        assert!(matches!(
            live(&c, &s.token, 18_000),
            Err(Error::SessionMissing)
        ));
        assert!(matches!(
            extend(&c, &s.token, 18_001, 10_000),
            Err(Error::SessionMissing)
        ));
        assert!(matches!(live(&c, "nope", 0), Err(Error::SessionMissing)));
    }

    #[test]
    fn nonces_are_single_use() {
        let c = db();
        assert!(use_nonce(&c, 1, "5", 100, 1_000).unwrap());
        assert!(!use_nonce(&c, 1, "5", 100, 1_000).unwrap());
        assert!(use_nonce(&c, 1, "5", 101, 1_000).unwrap());
    }
}
