//! Users: sign-up validation, storage, lookup, listing, update and deletion.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde_json::json;

use super::error::{Error, Result};
use super::query::{self, Column, Kind};
use super::time::iso;

/// A stored user, as the API shows it (no password material).
#[derive(Debug, Clone, PartialEq)]
pub struct UserRecord {
    /// User id.
    pub id: i64,
    /// Owning application.
    pub app_id: i64,
    /// Login.
    pub login: Option<String>,
    /// Email.
    pub email: Option<String>,
    /// Full name.
    pub full_name: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// Website.
    pub website: Option<String>,
    /// Custom data, kept as the JSON value given.
    pub custom_data: Option<serde_json::Value>,
    /// Tags.
    pub user_tags: Vec<String>,
    /// Avatar URL or id.
    pub avatar: Option<String>,
    /// Deprecated blob id.
    pub blob_id: Option<i64>,
    /// Deprecated external user id (also the identity provider's uid).
    pub external_user_id: Option<i64>,
    /// External id.
    pub external_id: Option<String>,
    /// Facebook id.
    pub facebook_id: Option<String>,
    /// Twitter id.
    pub twitter_id: Option<String>,
    /// Time zone offset in minutes.
    pub timezone: Option<i64>,
    /// A guest user.
    pub is_guest: bool,
    /// Created, unix millis.
    pub created_at: i64,
    /// Updated, unix millis.
    pub updated_at: i64,
    /// Last request, unix millis.
    pub last_request_at: Option<i64>,
}

impl UserRecord {
    /// The user as the REST API shows it (the bare object, unwrapped).
    pub fn to_json(&self) -> serde_json::Value {
        let mut v = json!({
            "id": self.id,
            "full_name": self.full_name,
            "email": self.email,
            "login": self.login,
            "phone": self.phone,
            "website": self.website,
            "created_at": iso(self.created_at),
            "updated_at": iso(self.updated_at),
            "last_request_at": self.last_request_at.map(iso),
            "external_user_id": self.external_user_id,
            "external_id": self.external_id,
            "facebook_id": self.facebook_id,
            "twitter_id": self.twitter_id,
            "blob_id": self.blob_id,
            "custom_data": self.custom_data,
            "avatar": self.avatar,
            "user_tags": if self.user_tags.is_empty() { serde_json::Value::Null } else { self.user_tags.join(",").into() },
            "timezone": self.timezone,
        });
        if self.is_guest {
            v["is_guest"] = true.into();
        }
        v
    }
}

/// Profile fields given on sign-up or update; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UserFields {
    /// Login.
    pub login: Option<String>,
    /// Email.
    pub email: Option<String>,
    /// Password (plain; hashed before storage, never stored or logged as is).
    pub password: Option<String>,
    /// The current password, needed to change it.
    pub old_password: Option<String>,
    /// Full name.
    pub full_name: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// Website.
    pub website: Option<String>,
    /// Custom data, any JSON value.
    pub custom_data: Option<serde_json::Value>,
    /// Tags (`tag_list`).
    pub tag_list: Option<Vec<String>>,
    /// Avatar.
    pub avatar: Option<String>,
    /// Blob id.
    pub blob_id: Option<i64>,
    /// External user id.
    pub external_user_id: Option<i64>,
    /// External id.
    pub external_id: Option<String>,
    /// Facebook id.
    pub facebook_id: Option<String>,
    /// Twitter id.
    pub twitter_id: Option<String>,
    /// Time zone in minutes.
    pub timezone: Option<i64>,
}

/// Shortest and longest accepted password.
pub const PASSWORD_LEN: (usize, usize) = (8, 128);

fn looks_like_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s.chars().any(char::is_whitespace)
        && !domain.contains('@')
        && s.len() <= 254
}

/// Checks the fields' forms (not uniqueness); `signup` also requires login or email and a password.
pub fn validate(fields: &UserFields, signup: bool) -> Result<()> {
    let mut errors: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut add = |k: &str, m: &str| errors.entry(k.to_owned()).or_default().push(m.to_owned());
    if let Some(login) = &fields.login {
        let n = login.chars().count();
        if !(3..=70).contains(&n) {
            add("login", "is invalid: must be 3 to 70 characters");
        } else if login.chars().any(char::is_control) {
            add("login", "is invalid");
        }
    }
    if let Some(email) = &fields.email {
        if !looks_like_email(email) {
            add("email", "is invalid");
        }
    }
    if signup && fields.login.is_none() && fields.email.is_none() {
        add("base", "login or email required");
    }
    if let Some(password) = &fields.password {
        let n = password.chars().count();
        if n < PASSWORD_LEN.0 {
            add("password", "is too short (minimum is 8 characters)");
        } else if n > PASSWORD_LEN.1 {
            add("password", "is too long (maximum is 128 characters)");
        }
    } else if signup {
        add("password", "can't be blank");
    }
    if let Some(name) = &fields.full_name {
        if name.chars().count() > 200 {
            add("full_name", "is too long (maximum is 200 characters)");
        }
    }
    if let Some(tz) = fields.timezone {
        if !(-720..=840).contains(&tz) {
            add("timezone", "is invalid");
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Error::Unprocessable(errors))
    }
}

const USER_COLUMNS: &str = "id, app_id, login, email, full_name, phone, website, custom_data, \
    user_tags, avatar, blob_id, external_user_id, external_id, facebook_id, twitter_id, timezone, \
    is_guest, created_at, updated_at, last_request_at";

fn from_row(r: &Row<'_>) -> rusqlite::Result<UserRecord> {
    let custom: Option<String> = r.get(7)?;
    let tags: Option<String> = r.get(8)?;
    Ok(UserRecord {
        id: r.get(0)?,
        app_id: r.get(1)?,
        login: r.get(2)?,
        email: r.get(3)?,
        full_name: r.get(4)?,
        phone: r.get(5)?,
        website: r.get(6)?,
        custom_data: custom.and_then(|s| serde_json::from_str(&s).ok()),
        user_tags: tags
            .map(|t| {
                t.split(',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default(),
        avatar: r.get(9)?,
        blob_id: r.get(10)?,
        external_user_id: r.get(11)?,
        external_id: r.get(12)?,
        facebook_id: r.get(13)?,
        twitter_id: r.get(14)?,
        timezone: r.get(15)?,
        is_guest: r.get(16)?,
        created_at: r.get(17)?,
        updated_at: r.get(18)?,
        last_request_at: r.get(19)?,
    })
}

fn tags_text(tags: &[String]) -> Option<String> {
    let cleaned: Vec<&str> = tags
        .iter()
        .map(|t| t.trim())
        .filter(|t| !t.is_empty())
        .collect();
    if cleaned.is_empty() {
        None
    } else {
        Some(cleaned.join(","))
    }
}

fn check_unique(conn: &Connection, app_id: i64, fields: &UserFields, except: i64) -> Result<()> {
    let mut errors: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (field, value) in [("login", &fields.login), ("email", &fields.email)] {
        if let Some(value) = value {
            let taken: Option<i64> = conn
                .prepare_cached(&format!(
                        "SELECT id FROM users WHERE app_id = ?1 AND {field} = ?2 COLLATE NOCASE AND id != ?3"
                    ))?
                .query_row(params![app_id, value, except],
                    |r| r.get(0),
                )
                .optional()?;
            if taken.is_some() {
                errors
                    .entry(field.to_owned())
                    .or_default()
                    .push("has already been taken.".to_owned());
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Error::Unprocessable(errors))
    }
}

/// Inserts a user; login and email must be unique in the application (422 otherwise).
pub fn insert(
    conn: &Connection,
    app_id: i64,
    fields: &UserFields,
    password_hash: Option<&str>,
    is_guest: bool,
    now: i64,
) -> Result<UserRecord> {
    check_unique(conn, app_id, fields, 0)?;
    conn.execute(
        "INSERT INTO users (app_id, login, email, full_name, phone, website, custom_data, user_tags, \
         avatar, blob_id, external_user_id, external_id, facebook_id, twitter_id, timezone, is_guest, \
         password_hash, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?18)",
        params![
            app_id,
            fields.login,
            fields.email,
            fields.full_name,
            fields.phone,
            fields.website,
            fields.custom_data.as_ref().map(ToString::to_string),
            fields.tag_list.as_deref().and_then(tags_text),
            fields.avatar,
            fields.blob_id,
            fields.external_user_id,
            fields.external_id,
            fields.facebook_id,
            fields.twitter_id,
            fields.timezone,
            is_guest,
            password_hash,
            now,
        ],
    )?;
    get(conn, app_id, conn.last_insert_rowid())
}

/// The user `id` of the application, or 404.
pub fn get(conn: &Connection, app_id: i64, id: i64) -> Result<UserRecord> {
    conn.prepare_cached(&format!(
        "SELECT {USER_COLUMNS} FROM users WHERE app_id = ?1 AND id = ?2"
    ))?
    .query_row(params![app_id, id], from_row)
    .optional()?
    .ok_or_else(|| Error::not_found("User"))
}

/// Whether user `id` exists in the application.
pub fn exists(conn: &Connection, app_id: i64, id: i64) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM users WHERE app_id = ?1 AND id = ?2")?
        .query_row(params![app_id, id], |_| Ok(()))
        .optional()?
        .is_some())
}

/// A column users can be looked up by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    /// Login, case-insensitive.
    Login,
    /// Email, case-insensitive.
    Email,
    /// Facebook id.
    FacebookId,
    /// Twitter id.
    TwitterId,
    /// Phone.
    Phone,
    /// External user id (the identity provider's uid).
    ExternalUserId,
    /// External id.
    ExternalId,
    /// Full name.
    FullName,
}

impl Lookup {
    fn column(self) -> &'static str {
        match self {
            Self::Login => "login = ?2 COLLATE NOCASE",
            Self::Email => "email = ?2 COLLATE NOCASE",
            Self::FacebookId => "facebook_id = ?2",
            Self::TwitterId => "twitter_id = ?2",
            Self::Phone => "phone = ?2",
            Self::ExternalUserId => "external_user_id = ?2",
            Self::ExternalId => "external_id = ?2",
            Self::FullName => "full_name = ?2",
        }
    }
}

/// Finds a user and its password hash by a unique-ish column.
pub fn find(
    conn: &Connection,
    app_id: i64,
    by: Lookup,
    value: &str,
) -> Result<Option<(UserRecord, Option<String>)>> {
    let sql = format!(
        "SELECT {USER_COLUMNS}, password_hash FROM users WHERE app_id = ?1 AND {} ORDER BY id LIMIT 1",
        by.column()
    );
    Ok(conn
        .prepare_cached(&sql)?
        .query_row(params![app_id, value], |r| {
            Ok((from_row(r)?, r.get::<_, Option<String>>(20)?))
        })
        .optional()?)
}

/// The stored password hash of a user.
pub fn password_hash(conn: &Connection, app_id: i64, id: i64) -> Result<Option<String>> {
    conn.prepare_cached("SELECT password_hash FROM users WHERE app_id = ?1 AND id = ?2")?
        .query_row(params![app_id, id], |r| r.get(0))
        .optional()?
        .ok_or_else(|| Error::not_found("User"))
}

/// Applies the given fields to user `id`; `new_hash` replaces the password hash when given.
pub fn update(
    conn: &Connection,
    app_id: i64,
    id: i64,
    fields: &UserFields,
    new_hash: Option<&str>,
    now: i64,
) -> Result<UserRecord> {
    get(conn, app_id, id)?;
    check_unique(conn, app_id, fields, id)?;
    let mut sets: Vec<String> = vec!["updated_at = ?".into()];
    let mut values: Vec<Value> = vec![Value::Integer(now)];
    let mut text = |col: &str, v: &Option<String>| {
        if let Some(v) = v {
            sets.push(format!("{col} = ?"));
            values.push(if v.is_empty() {
                Value::Null
            } else {
                Value::Text(v.clone())
            });
        }
    };
    text("login", &fields.login);
    text("email", &fields.email);
    text("full_name", &fields.full_name);
    text("phone", &fields.phone);
    text("website", &fields.website);
    text("avatar", &fields.avatar);
    text("external_id", &fields.external_id);
    text("facebook_id", &fields.facebook_id);
    text("twitter_id", &fields.twitter_id);
    if let Some(v) = &fields.custom_data {
        sets.push("custom_data = ?".into());
        values.push(Value::Text(v.to_string()));
    }
    if let Some(tags) = &fields.tag_list {
        sets.push("user_tags = ?".into());
        values.push(tags_text(tags).map_or(Value::Null, Value::Text));
    }
    for (col, v) in [
        ("blob_id", fields.blob_id),
        ("external_user_id", fields.external_user_id),
        ("timezone", fields.timezone),
    ] {
        if let Some(v) = v {
            sets.push(format!("{col} = ?"));
            values.push(Value::Integer(v));
        }
    }
    if let Some(hash) = new_hash {
        sets.push("password_hash = ?".into());
        values.push(Value::Text(hash.to_owned()));
    }
    values.push(Value::Integer(app_id));
    values.push(Value::Integer(id));
    conn.execute(
        &format!(
            "UPDATE users SET {} WHERE app_id = ? AND id = ?",
            sets.join(", ")
        ),
        rusqlite::params_from_iter(values),
    )?;
    get(conn, app_id, id)
}

/// Records that the user made a request now.
pub fn touch(conn: &Connection, id: i64, now: i64) -> Result<()> {
    conn.execute(
        "UPDATE users SET last_request_at = ?1 WHERE id = ?2",
        params![now, id],
    )?;
    Ok(())
}

/// Deletes user `id` and (by cascade) its sessions.
pub fn delete(conn: &Connection, app_id: i64, id: i64) -> Result<()> {
    let n = conn.execute(
        "DELETE FROM users WHERE app_id = ?1 AND id = ?2",
        params![app_id, id],
    )?;
    if n == 0 {
        return Err(Error::not_found("User"));
    }
    conn.execute("DELETE FROM dialog_occupants WHERE user_id = ?1", [id])?;
    conn.execute("DELETE FROM dialog_admins WHERE user_id = ?1", [id])?;
    Ok(())
}

/// How long a guest user lives: one day.
pub const GUEST_LIFETIME_MS: i64 = 24 * 3600 * 1000;

/// Deletes guest users created more than a day before `now` (and, by cascade, their sessions).
pub fn purge_guests(conn: &Connection, now: i64) -> Result<usize> {
    let mut st =
        conn.prepare_cached("SELECT id FROM users WHERE is_guest = 1 AND created_at < ?1")?;
    let ids = st
        .query_map([now - GUEST_LIFETIME_MS], |r| r.get::<_, i64>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    for id in &ids {
        conn.execute("DELETE FROM users WHERE id = ?1", [id])?;
        conn.execute("DELETE FROM dialog_occupants WHERE user_id = ?1", [id])?;
        conn.execute("DELETE FROM dialog_admins WHERE user_id = ?1", [id])?;
    }
    Ok(ids.len())
}

/// Filterable columns of `GET /users/v2`.
pub const V2_COLUMNS: &[Column] = &[
    Column {
        field: "id",
        sql: "id",
        kind: Kind::Int,
    },
    Column {
        field: "login",
        sql: "login",
        kind: Kind::Text,
    },
    Column {
        field: "email",
        sql: "email",
        kind: Kind::Text,
    },
    Column {
        field: "full_name",
        sql: "full_name",
        kind: Kind::Text,
    },
    Column {
        field: "phone",
        sql: "phone",
        kind: Kind::Text,
    },
    Column {
        field: "external_id",
        sql: "external_id",
        kind: Kind::Text,
    },
    Column {
        field: "external_user_id",
        sql: "external_user_id",
        kind: Kind::Int,
    },
    Column {
        field: "facebook_id",
        sql: "facebook_id",
        kind: Kind::Text,
    },
    Column {
        field: "twitter_id",
        sql: "twitter_id",
        kind: Kind::Text,
    },
    Column {
        field: "user_tags",
        sql: "user_tags",
        kind: Kind::Text,
    },
    Column {
        field: "last_request_at",
        sql: "last_request_at",
        kind: Kind::Millis,
    },
    Column {
        field: "created_at",
        sql: "created_at",
        kind: Kind::Millis,
    },
    Column {
        field: "updated_at",
        sql: "updated_at",
        kind: Kind::Millis,
    },
];

/// One page of users.
#[derive(Debug, Clone, PartialEq)]
pub struct UserPage {
    /// Offset of the first item.
    pub skip: i64,
    /// Page size.
    pub limit: i64,
    /// Matching users in all.
    pub total_entries: i64,
    /// This page.
    pub items: Vec<UserRecord>,
}

/// `GET /users/v2`: filters, sort, offset and limit (at most 100) from query pairs.
pub fn list_v2(conn: &Connection, app_id: i64, pairs: &[(String, String)]) -> Result<UserPage> {
    let reserved = [
        "offset",
        "limit",
        "sort_asc",
        "sort_desc",
        "skip",
        "page",
        "per_page",
    ];
    let mut filters = query::filters_from_pairs(pairs, &reserved)?;
    // user_tags matches one tag among the stored comma list.
    let mut tag_terms = String::new();
    let mut tag_params = Vec::new();
    filters.retain(|f| {
        if f.field == "user_tags" && matches!(f.op, query::Op::Eq | query::Op::In | query::Op::All)
        {
            let tags = query::split_list(&f.values);
            let join = if f.op == query::Op::All {
                " AND "
            } else {
                " OR "
            };
            let terms: Vec<&str> = tags
                .iter()
                .map(|_| "(',' || user_tags || ',') LIKE ?")
                .collect();
            if !terms.is_empty() {
                let _ = write!(tag_terms, " AND ({})", terms.join(join));
                tag_params.extend(tags.iter().map(|t| Value::Text(format!("%,{t},%"))));
            }
            false
        } else {
            true
        }
    });
    let mut limit = query::bounded(pairs, "limit", 100, 100)?;
    let skip = query::bounded(pairs, "offset", 0, i64::MAX)?;
    if filters.iter().any(|f| f.op == query::Op::StartWith) {
        for f in &filters {
            if f.op == query::Op::StartWith
                && f.values.first().is_none_or(|v| v.chars().count() < 4)
            {
                return Err(Error::bad(
                    &f.field,
                    "start_with needs at least 4 characters",
                ));
            }
        }
        limit = limit.min(5);
    }
    let (mut cond, mut params) = query::where_sql(&filters, V2_COLUMNS)?;
    cond.push_str(&tag_terms);
    params.extend(tag_params);
    let order = match query::sort_from_pairs(pairs, V2_COLUMNS)? {
        Some((col, asc)) => format!("{col} {}, id", if asc { "ASC" } else { "DESC" }),
        None => "id ASC".to_owned(),
    };
    let mut all = vec![Value::Integer(app_id)];
    all.extend(params);
    let total: i64 = conn
        .prepare_cached(&format!(
            "SELECT COUNT(*) FROM users WHERE app_id = ?{cond}"
        ))?
        .query_row(rusqlite::params_from_iter(all.iter()), |r| r.get(0))?;
    all.push(Value::Integer(limit));
    all.push(Value::Integer(skip));
    let mut st = conn.prepare(&format!(
        "SELECT {USER_COLUMNS} FROM users WHERE app_id = ?{cond} ORDER BY {order} LIMIT ? OFFSET ?"
    ))?;
    let items = st
        .query_map(rusqlite::params_from_iter(all.iter()), from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(UserPage {
        skip,
        limit,
        total_entries: total,
        items,
    })
}

/// Users by id, in the order given, skipping unknown ids.
pub fn by_ids(conn: &Connection, app_id: i64, ids: &[i64]) -> Result<Vec<UserRecord>> {
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        if let Ok(u) = get(conn, app_id, *id) {
            out.push(u);
        }
    }
    Ok(out)
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

    fn fields(login: &str) -> UserFields {
        UserFields {
            login: Some(login.into()),
            password: Some("password1".into()),
            tag_list: Some(vec!["b".into(), "a".into()]),
            custom_data: Some("{\"k\":1}".into()),
            ..UserFields::default()
        }
    }

    #[test]
    fn validation_is_keyed_by_field() {
        let mut f = fields("ab");
        f.email = Some("nope".into());
        f.password = Some("short".into());
        let Err(Error::Unprocessable(map)) = validate(&f, true) else {
            panic!("expected 422")
        };
        assert!(map.contains_key("login"));
        assert!(map.contains_key("email"));
        assert!(map.contains_key("password"));
        assert!(validate(&fields("alice"), true).is_ok());
        assert!(validate(&UserFields::default(), false).is_ok());
    }

    #[test]
    fn insert_get_and_unique_login() {
        let c = db();
        let u = insert(&c, 1, &fields("alice"), Some("h"), false, 1000).unwrap();
        assert_eq!(u.user_tags, vec!["b", "a"]);
        assert_eq!(u.to_json()["user_tags"], "b,a");
        assert_eq!(u.to_json()["custom_data"], "{\"k\":1}");
        let err = insert(&c, 1, &fields("ALICE"), None, false, 1000).unwrap_err();
        assert_eq!(err.body()["errors"]["login"][0], "has already been taken.");
        let (found, hash) = find(&c, 1, Lookup::Login, "Alice").unwrap().unwrap();
        assert_eq!(found.id, u.id);
        assert_eq!(hash.as_deref(), Some("h"));
    }

    #[test]
    fn list_filters_sort_and_tags() {
        let c = db();
        for (i, name) in ["anna", "bert", "carl"].iter().enumerate() {
            let mut f = fields(name);
            f.tag_list = Some(vec![format!("t{i}"), "all".into()]);
            insert(&c, 1, &f, None, false, 1000 + i as i64).unwrap();
        }
        let p = |l: &[(&str, &str)]| -> Vec<(String, String)> {
            l.iter().map(|(a, b)| ((*a).into(), (*b).into())).collect()
        };
        let page = list_v2(&c, 1, &p(&[("sort_desc", "login")])).unwrap();
        assert_eq!(page.total_entries, 3);
        assert_eq!(page.items[0].login.as_deref(), Some("carl"));
        let page = list_v2(&c, 1, &p(&[("user_tags", "t1")])).unwrap();
        assert_eq!(page.items.len(), 1);
        let page = list_v2(&c, 1, &p(&[("id[in][]", "1"), ("id[in][]", "3")])).unwrap();
        assert_eq!(page.items.len(), 2);
        let page = list_v2(&c, 1, &p(&[("limit", "1"), ("offset", "1")])).unwrap();
        assert_eq!(page.items[0].login.as_deref(), Some("bert"));
    }

    #[test]
    fn update_and_delete() {
        let c = db();
        let u = insert(&c, 1, &fields("alice"), None, false, 1000).unwrap();
        let other = insert(&c, 1, &fields("bobby"), None, false, 1000).unwrap();
        let change = UserFields {
            full_name: Some("Alice A".into()),
            ..UserFields::default()
        };
        let u2 = update(&c, 1, u.id, &change, None, 2000).unwrap();
        assert_eq!(u2.full_name.as_deref(), Some("Alice A"));
        assert_eq!(u2.updated_at, 2000);
        let clash = UserFields {
            login: Some("bobby".into()),
            ..UserFields::default()
        };
        assert_eq!(
            update(&c, 1, u.id, &clash, None, 3000)
                .unwrap_err()
                .status(),
            422
        );
        delete(&c, 1, other.id).unwrap();
        assert_eq!(get(&c, 1, other.id).unwrap_err().status(), 404);
    }

    #[test]
    fn guests_expire_after_a_day() {
        let c = db();
        let guest = insert(&c, 1, &fields("guest_login_1"), None, true, 1_000).unwrap();
        let user = insert(&c, 1, &fields("regular"), None, false, 1_000).unwrap();
        assert_eq!(purge_guests(&c, 1_000 + GUEST_LIFETIME_MS - 1).unwrap(), 0);
        assert_eq!(purge_guests(&c, 2_000 + GUEST_LIFETIME_MS).unwrap(), 1);
        assert!(get(&c, 1, guest.id).is_err());
        assert!(get(&c, 1, user.id).is_ok());
    }
}
