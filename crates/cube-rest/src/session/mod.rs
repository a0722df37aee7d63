//! Sessions and logins: `/session` and `/login`.

use cube_auth::{Password, Provider, SessionCredentials, Token};
use serde_json::{Map, Value};

use crate::error::FromHttpRequestError;
use crate::params::Fields;

pub mod create_login;
pub mod create_session;
pub mod delete_login;
pub mod delete_session;
pub mod get_session;

/// The provider named `name` (`facebook`, `twitter`, or any other name).
fn provider_from_name(name: &str) -> Provider {
    match name {
        "facebook" => Provider::Facebook,
        "twitter" => Provider::Twitter,
        other => Provider::Other(other.to_owned()),
    }
}

/// Reads the credential part of a session or login body, in the JS SDK's precedence: a `user`
/// object (guest, then login, then email), or `provider` with `keys`/`firebase_*`, or, when
/// `flat` (the `/login` form), `login`/`email` and `password` at the top level.
///
/// A provider without keys (what the 3.x SDK sends for Firebase) has an empty token.
pub(crate) fn read_credentials(
    fields: &Fields<'_>,
    flat: bool,
) -> Result<SessionCredentials, FromHttpRequestError> {
    if let Some(user) = fields.object("user")? {
        return read_user_credentials(&user);
    }
    if let Some(provider) = fields.string("provider")? {
        return read_provider(fields, &provider);
    }
    if flat && (fields.get("login").is_some() || fields.get("email").is_some()) {
        return read_user_credentials(fields);
    }
    Ok(SessionCredentials::Application)
}

fn read_user_credentials(user: &Fields<'_>) -> Result<SessionCredentials, FromHttpRequestError> {
    if user.get("guest").is_some() {
        return Ok(SessionCredentials::Guest {
            full_name: user.string("full_name")?,
        });
    }
    let password = || -> Result<Password, FromHttpRequestError> {
        user.required_string("password").map(Password::new)
    };
    if let Some(login) = user.string("login")? {
        return Ok(SessionCredentials::Login {
            login,
            password: password()?,
        });
    }
    if let Some(email) = user.string("email")? {
        return Ok(SessionCredentials::Email {
            email,
            password: password()?,
        });
    }
    Err(FromHttpRequestError::missing(user.name("login")))
}

fn read_provider(
    fields: &Fields<'_>,
    provider: &str,
) -> Result<SessionCredentials, FromHttpRequestError> {
    if provider == "firebase_phone" || provider == "firebase_email" {
        if let Some(fb) = fields.object(if provider == "firebase_phone" {
            "firebase_phone"
        } else {
            "firebase_email"
        })? {
            let project_id = fb.required_string("project_id")?;
            let access_token = Token::new(fb.required_string("access_token")?);
            return Ok(if provider == "firebase_phone" {
                SessionCredentials::FirebasePhone {
                    project_id,
                    access_token,
                }
            } else {
                SessionCredentials::FirebaseEmail {
                    project_id,
                    access_token,
                }
            });
        }
    }
    let (token, secret) = match fields.object("keys")? {
        Some(keys) => (
            keys.string("token")?.unwrap_or_default(),
            keys.string("secret")?,
        ),
        None => (String::new(), None),
    };
    Ok(SessionCredentials::Provider {
        provider: provider_from_name(provider),
        token: Token::new(token),
        secret: secret.map(Token::new),
    })
}

/// Writes credentials the way the JS SDK places them; `flat` for `/login` (no `user` wrapper).
pub(crate) fn write_credentials(
    creds: &SessionCredentials,
    flat: bool,
    out: &mut Map<String, Value>,
) {
    let mut user = Map::new();
    match creds {
        SessionCredentials::Login { login, password } => {
            user.insert("login".into(), login.as_str().into());
            user.insert("password".into(), password.expose().into());
        }
        SessionCredentials::Email { email, password } => {
            user.insert("email".into(), email.as_str().into());
            user.insert("password".into(), password.expose().into());
        }
        SessionCredentials::Guest { full_name } => {
            user.insert("guest".into(), "1".into());
            if let Some(name) = full_name {
                user.insert("full_name".into(), name.as_str().into());
            }
        }
        SessionCredentials::Provider {
            provider,
            token,
            secret,
        } => {
            out.insert("provider".into(), provider.as_str().into());
            let mut keys = Map::new();
            keys.insert("token".into(), token.expose().into());
            if let Some(secret) = secret {
                keys.insert("secret".into(), secret.expose().into());
            }
            out.insert("keys".into(), Value::Object(keys));
        }
        SessionCredentials::FirebasePhone {
            project_id,
            access_token,
        }
        | SessionCredentials::FirebaseEmail {
            project_id,
            access_token,
        } => {
            let key = if matches!(creds, SessionCredentials::FirebasePhone { .. }) {
                "firebase_phone"
            } else {
                "firebase_email"
            };
            out.insert("provider".into(), key.into());
            let mut fb = Map::new();
            fb.insert("project_id".into(), project_id.as_str().into());
            fb.insert("access_token".into(), access_token.expose().into());
            out.insert(key.into(), Value::Object(fb));
        }
        _ => {}
    }
    if user.is_empty() {
        return;
    }
    if flat {
        out.extend(user);
    } else {
        out.insert("user".into(), Value::Object(user));
    }
}
