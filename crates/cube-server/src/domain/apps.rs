//! Applications and their settings.

use std::collections::BTreeMap;
use std::path::PathBuf;

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use super::error::{Error, Result};

/// An application: its credentials and settings.
#[derive(Clone, PartialEq)]
pub struct Application {
    /// Application id.
    pub id: i64,
    /// The public key clients send as `auth_key`.
    pub auth_key: String,
    /// The secret that signs session requests.
    pub auth_secret: String,
    /// Per-application settings.
    pub settings: AppSettings,
}

impl std::fmt::Debug for Application {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Application")
            .field("id", &self.id)
            .field("auth_key", &self.auth_key)
            .field("auth_secret", &"***")
            .field("settings", &self.settings)
            .finish()
    }
}

fn yes() -> bool {
    true
}

/// Per-application settings (stored as JSON, settable from a TOML file).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AppSettings {
    /// Whether a session for an unknown login creates the user (default yes).
    #[serde(default = "yes")]
    pub create_user_on_session: bool,
    /// Whether `GET /users` listings are allowed (default yes).
    #[serde(default = "yes")]
    pub users_listing: bool,
    /// The administration API key (creates broadcast dialogs), if any.
    pub admin_api_key: Option<String>,
    /// Where Facebook tokens are verified.
    pub facebook: Option<ProviderVerifier>,
    /// Where Twitter tokens are verified.
    pub twitter: Option<ProviderVerifier>,
    /// Firebase ID token verification.
    pub firebase: Option<FirebaseSettings>,
    /// The custom identity provider, if enabled.
    pub identity_provider: Option<IdentityProvider>,
    /// Requests per minute allowed per token and per address (none: unlimited).
    pub rate_limit_per_minute: Option<u32>,
}

impl Default for AppSettings {
    fn default() -> Self {
        Self {
            create_user_on_session: true,
            users_listing: true,
            admin_api_key: None,
            facebook: None,
            twitter: None,
            firebase: None,
            identity_provider: None,
            rate_limit_per_minute: None,
        }
    }
}

/// A URL that answers `GET url?token=..[&secret=..]` with the provider's user
/// (`{"id": "...", "name": "...", "email": "..."}`) or a non-2xx status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderVerifier {
    /// The verification URL (plain `http://`).
    pub url: String,
}

/// Firebase ID token verification: the project and its JSON Web Key Set file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FirebaseSettings {
    /// The Firebase project id (the tokens' `aud`, and `iss` suffix).
    pub project_id: String,
    /// A JWKS file holding the RSA public keys.
    pub jwks_file: PathBuf,
}

/// A custom identity provider (server-semantics §1.4).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentityProvider {
    /// The verification URL (plain `http://`).
    pub url: String,
    /// `GET` or `POST`.
    #[serde(default = "get_method")]
    pub method: String,
    /// Extra request headers.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Request parameters, values with `#{login}` / `#{password}` substituted.
    #[serde(default)]
    pub request_params: BTreeMap<String, String>,
    /// Response mapping: our field (`uid`, `login`, `email`, `full_name`) to a path like `#{user.id}`.
    #[serde(default)]
    pub response_params: BTreeMap<String, String>,
}

fn get_method() -> String {
    "GET".to_owned()
}

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(i64, String, String, String)> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
}

fn build(row: (i64, String, String, String)) -> Result<Application> {
    let settings = serde_json::from_str(&row.3)
        .map_err(|e| Error::Internal(format!("settings of application {}: {e}", row.0)))?;
    Ok(Application {
        id: row.0,
        auth_key: row.1,
        auth_secret: row.2,
        settings,
    })
}

/// Application `id`, if stored.
pub fn get(conn: &Connection, id: i64) -> Result<Option<Application>> {
    conn.prepare_cached(
        "SELECT id, auth_key, auth_secret, settings FROM applications WHERE id = ?1",
    )?
    .query_row([id], from_row)
    .optional()?
    .map(build)
    .transpose()
}

/// The application whose auth key is `auth_key` (the `CB-AuthKey` sign-up header).
pub fn by_auth_key(conn: &Connection, auth_key: &str) -> Result<Option<Application>> {
    conn.prepare_cached("SELECT id, auth_key, auth_secret, settings FROM applications WHERE auth_key = ?1 ORDER BY id LIMIT 1")?.query_row([auth_key],
        from_row,
    )
    .optional()?
    .map(build)
    .transpose()
}

/// Every stored application.
pub fn list(conn: &Connection) -> Result<Vec<Application>> {
    let mut st =
        conn.prepare("SELECT id, auth_key, auth_secret, settings FROM applications ORDER BY id")?;
    let rows = st
        .query_map([], from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter().map(build).collect()
}

/// Stores the application, replacing its credentials (and settings when given).
pub fn upsert(
    conn: &Connection,
    id: i64,
    auth_key: &str,
    auth_secret: &str,
    settings: Option<&AppSettings>,
    now: i64,
) -> Result<Application> {
    let json = settings
        .map(serde_json::to_string)
        .transpose()
        .map_err(|e| Error::Internal(e.to_string()))?;
    conn.execute(
        "INSERT INTO applications (id, auth_key, auth_secret, settings, created_at) \
         VALUES (?1, ?2, ?3, COALESCE(?4, '{}'), ?5) \
         ON CONFLICT(id) DO UPDATE SET auth_key = excluded.auth_key, \
         auth_secret = excluded.auth_secret, settings = COALESCE(?4, settings)",
        params![id, auth_key, auth_secret, json, now],
    )?;
    get(conn, id)?.ok_or_else(|| Error::Internal("application vanished".into()))
}

/// Replaces the settings of application `id`.
pub fn set_settings(conn: &Connection, id: i64, settings: &AppSettings) -> Result<()> {
    let json = serde_json::to_string(settings).map_err(|e| Error::Internal(e.to_string()))?;
    let n = conn.execute(
        "UPDATE applications SET settings = ?1 WHERE id = ?2",
        params![json, id],
    )?;
    if n == 0 {
        return Err(Error::not_found("Application"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::schema;

    #[test]
    fn upsert_keeps_settings_unless_given() {
        let mut c = Connection::open_in_memory().unwrap();
        schema::migrate(&mut c).unwrap();
        let s = AppSettings {
            admin_api_key: Some("adm".into()),
            ..AppSettings::default()
        };
        upsert(&c, 5, "k", "s", Some(&s), 0).unwrap();
        let app = upsert(&c, 5, "k2", "s2", None, 0).unwrap();
        assert_eq!(app.auth_key, "k2");
        assert_eq!(app.settings.admin_api_key.as_deref(), Some("adm"));
        assert!(app.settings.create_user_on_session);
        assert_eq!(list(&c).unwrap().len(), 1);
        assert!(!format!("{app:?}").contains("s2"));
    }

    #[test]
    fn settings_parse_from_toml() {
        let s: AppSettings = toml::from_str(
            "create_user_on_session = false\n[facebook]\nurl = \"http://127.0.0.1:1/fb\"\n",
        )
        .unwrap();
        assert!(!s.create_user_on_session);
        assert!(s.users_listing);
        assert_eq!(s.facebook.unwrap().url, "http://127.0.0.1:1/fb");
    }
}
