//! The versioned schema: each migration runs once, in order, recorded in `schema_version`.

use rusqlite::Connection;

/// Migrations in order; the index plus one is the version a migration brings the database to.
const MIGRATIONS: &[&str] = &[
    // 1: applications, sessions, users, dialogs, messages.
    r"
CREATE TABLE applications (
    id           INTEGER PRIMARY KEY,
    auth_key     TEXT NOT NULL,
    auth_secret  TEXT NOT NULL,
    settings     TEXT NOT NULL DEFAULT '{}',
    created_at   INTEGER NOT NULL
);

CREATE TABLE users (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    app_id            INTEGER NOT NULL REFERENCES applications(id),
    login             TEXT,
    email             TEXT,
    full_name         TEXT,
    phone             TEXT,
    website           TEXT,
    custom_data       TEXT,
    user_tags         TEXT,
    avatar            TEXT,
    blob_id           INTEGER,
    external_user_id  INTEGER,
    external_id       TEXT,
    facebook_id       TEXT,
    twitter_id        TEXT,
    timezone          INTEGER,
    is_guest          INTEGER NOT NULL DEFAULT 0,
    password_hash     TEXT,
    scram_salt        BLOB,
    scram_iterations  INTEGER,
    scram_stored_key  BLOB,
    scram_server_key  BLOB,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    last_request_at   INTEGER
);
CREATE UNIQUE INDEX users_login ON users(app_id, login COLLATE NOCASE) WHERE login IS NOT NULL;
CREATE UNIQUE INDEX users_email ON users(app_id, email COLLATE NOCASE) WHERE email IS NOT NULL;
CREATE INDEX users_facebook ON users(app_id, facebook_id) WHERE facebook_id IS NOT NULL;
CREATE INDEX users_twitter ON users(app_id, twitter_id) WHERE twitter_id IS NOT NULL;
CREATE INDEX users_phone ON users(app_id, phone) WHERE phone IS NOT NULL;
CREATE INDEX users_external ON users(app_id, external_user_id) WHERE external_user_id IS NOT NULL;

CREATE TABLE sessions (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    object_id   TEXT NOT NULL,
    token       TEXT NOT NULL UNIQUE,
    app_id      INTEGER NOT NULL REFERENCES applications(id),
    user_id     INTEGER REFERENCES users(id) ON DELETE CASCADE,
    nonce       INTEGER,
    ts          INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE replay_nonces (
    app_id     INTEGER NOT NULL,
    nonce      TEXT NOT NULL,
    timestamp  INTEGER NOT NULL,
    seen_at    INTEGER NOT NULL,
    PRIMARY KEY (app_id, nonce, timestamp)
) WITHOUT ROWID;

CREATE TABLE dialogs (
    id                      TEXT PRIMARY KEY,
    app_id                  INTEGER NOT NULL REFERENCES applications(id),
    type                    INTEGER NOT NULL,
    user_id                 INTEGER NOT NULL,
    name                    TEXT,
    description             TEXT,
    photo                   TEXT,
    extensions              TEXT,
    permissions             TEXT,
    private_pair            TEXT,
    last_message_id         TEXT,
    last_message            TEXT,
    last_message_user_id    INTEGER,
    last_message_date_sent  INTEGER,
    created_at              INTEGER NOT NULL,
    updated_at              INTEGER NOT NULL
) WITHOUT ROWID;
CREATE UNIQUE INDEX dialogs_private_pair ON dialogs(app_id, private_pair) WHERE private_pair IS NOT NULL;
CREATE INDEX dialogs_app_type ON dialogs(app_id, type);

CREATE TABLE dialog_occupants (
    dialog_id  TEXT NOT NULL REFERENCES dialogs(id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL,
    seq        INTEGER NOT NULL,
    PRIMARY KEY (dialog_id, user_id)
) WITHOUT ROWID;
CREATE INDEX dialog_occupants_user ON dialog_occupants(user_id);

CREATE TABLE dialog_admins (
    dialog_id  TEXT NOT NULL REFERENCES dialogs(id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL,
    seq        INTEGER NOT NULL,
    PRIMARY KEY (dialog_id, user_id)
) WITHOUT ROWID;

CREATE TABLE dialog_pins (
    dialog_id   TEXT NOT NULL REFERENCES dialogs(id) ON DELETE CASCADE,
    message_id  TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    PRIMARY KEY (dialog_id, message_id)
) WITHOUT ROWID;

CREATE TABLE dialog_blocks (
    dialog_id  TEXT NOT NULL REFERENCES dialogs(id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL,
    PRIMARY KEY (dialog_id, user_id)
) WITHOUT ROWID;

CREATE TABLE dialog_user_state (
    dialog_id      TEXT NOT NULL REFERENCES dialogs(id) ON DELETE CASCADE,
    user_id        INTEGER NOT NULL,
    hidden         INTEGER NOT NULL DEFAULT 0,
    notifications  INTEGER NOT NULL DEFAULT 1,
    unread         INTEGER NOT NULL DEFAULT 0,
    cleared_at     INTEGER,
    PRIMARY KEY (dialog_id, user_id)
) WITHOUT ROWID;

CREATE TABLE messages (
    id             TEXT PRIMARY KEY,
    app_id         INTEGER NOT NULL,
    dialog_id      TEXT NOT NULL REFERENCES dialogs(id) ON DELETE CASCADE,
    seq            INTEGER NOT NULL,
    sender_id      INTEGER NOT NULL,
    recipient_id   INTEGER,
    body           TEXT,
    date_sent      INTEGER NOT NULL,
    attachments    TEXT NOT NULL DEFAULT '[]',
    custom         TEXT NOT NULL DEFAULT '{}',
    read_ids       TEXT NOT NULL DEFAULT '[]',
    delivered_ids  TEXT NOT NULL DEFAULT '[]',
    deleted_for    TEXT NOT NULL DEFAULT '[]',
    views_count    INTEGER NOT NULL DEFAULT 0,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX messages_dialog ON messages(dialog_id, date_sent, seq);

CREATE TABLE counters (
    name   TEXT PRIMARY KEY,
    value  INTEGER NOT NULL
) WITHOUT ROWID;
",
    // 2: message reactions, one per user and message.
    r"
CREATE TABLE message_reactions (
    message_id  TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL,
    reaction    TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (message_id, user_id)
) WITHOUT ROWID;
",
];

/// The version the newest migration brings a database to.
pub const LATEST: i64 = MIGRATIONS.len() as i64;

/// Applies every migration newer than the database's version, each in its own transaction.
pub fn migrate(conn: &mut Connection) -> rusqlite::Result<i64> {
    conn.execute_batch("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")?;
    let current: i64 = conn.query_row(
        "SELECT COALESCE(MAX(version), 0) FROM schema_version",
        [],
        |r| r.get(0),
    )?;
    for (index, sql) in MIGRATIONS.iter().enumerate() {
        let version = index as i64 + 1;
        if version <= current {
            continue;
        }
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.execute("DELETE FROM schema_version", [])?;
        tx.execute(
            "INSERT INTO schema_version (version) VALUES (?1)",
            [version],
        )?;
        tx.commit()?;
    }
    Ok(LATEST.max(current))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_apply_once() {
        let mut conn = Connection::open_in_memory().unwrap();
        assert_eq!(migrate(&mut conn).unwrap(), LATEST);
        assert_eq!(migrate(&mut conn).unwrap(), LATEST);
        let version: i64 = conn
            .query_row("SELECT version FROM schema_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, LATEST);
    }
}
