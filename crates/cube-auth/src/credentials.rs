//! Application and session credentials, and the `POST /session` body they make.

use std::fmt;

use cube_model::AppId;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::SignError;
use crate::params::Params;
use crate::secret::{AuthKey, AuthSecret, Password, Token};
use crate::signature::{Hash, Nonce, sign};

/// An application id as the application was configured with it: a number or a string.
///
/// The JS SDK sends `appId` verbatim, so `385` and `"385"` produce different bodies (and,
/// in the signed form, the same signature). Keeping the form keeps the body exact.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ApplicationId {
    /// Given as a number: `"application_id":385`.
    Number(u64),
    /// Given as a string: `"application_id":"385"`.
    Text(String),
}

impl ApplicationId {
    /// The id as a number, when it is one or is a string of decimal digits.
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Self::Number(n) => Some(*n),
            Self::Text(s) => s.parse().ok(),
        }
    }

    /// The id as cube-model's [`AppId`], when it is numeric.
    pub fn app_id(&self) -> Option<AppId> {
        self.as_u64().map(AppId::from)
    }

    /// The id as it appears in the string to sign (`application_id=385`).
    pub fn to_text(&self) -> String {
        self.to_string()
    }

    /// Reads the id from a JSON value: a non-negative integer or a string.
    pub fn from_json(value: &Value) -> Option<Self> {
        match value {
            Value::Number(n) => n.as_u64().map(Self::Number),
            Value::String(s) => Some(Self::Text(s.clone())),
            _ => None,
        }
    }

    fn to_json(&self) -> Value {
        match self {
            Self::Number(n) => Value::from(*n),
            Self::Text(s) => Value::from(s.as_str()),
        }
    }
}

impl fmt::Display for ApplicationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Number(n) => n.fmt(f),
            Self::Text(s) => f.write_str(s),
        }
    }
}

impl From<u64> for ApplicationId {
    fn from(id: u64) -> Self {
        Self::Number(id)
    }
}

impl From<AppId> for ApplicationId {
    fn from(id: AppId) -> Self {
        Self::Number(id.get())
    }
}

impl From<&str> for ApplicationId {
    fn from(id: &str) -> Self {
        Self::Text(id.to_owned())
    }
}

impl From<String> for ApplicationId {
    fn from(id: String) -> Self {
        Self::Text(id)
    }
}

/// What identifies an application to the API: its id, auth key and (for signing) secret.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AppCredentials {
    /// The application id, kept in the form it was given.
    pub app_id: ApplicationId,
    /// The authorization key.
    pub auth_key: AuthKey,
    /// The authorization secret; only signed session requests need it.
    pub auth_secret: Option<AuthSecret>,
}

impl AppCredentials {
    /// Credentials without a secret, as current SDKs are initialised.
    pub fn new(app_id: impl Into<ApplicationId>, auth_key: impl Into<AuthKey>) -> Self {
        Self {
            app_id: app_id.into(),
            auth_key: auth_key.into(),
            auth_secret: None,
        }
    }

    /// Adds the secret that signs session requests.
    pub fn with_auth_secret(mut self, auth_secret: impl Into<AuthSecret>) -> Self {
        self.auth_secret = Some(auth_secret.into());
        self
    }
}

/// A social identity provider whose token opens a session (`provider` + `keys`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Provider {
    /// `facebook`, with `keys[token]`.
    Facebook,
    /// `twitter`, with `keys[token]` and `keys[secret]`.
    Twitter,
    /// Any other provider name, sent verbatim.
    Other(String),
}

impl Provider {
    /// The provider's name on the wire.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Facebook => "facebook",
            Self::Twitter => "twitter",
            Self::Other(name) => name,
        }
    }
}

/// Who a session is created for: the application alone, or a user by some credential.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SessionCredentials {
    /// An application session: no user.
    Application,
    /// A user by login and password: `user{login,password}`.
    Login {
        /// The user's login.
        login: String,
        /// The user's password.
        password: Password,
    },
    /// A user by email and password: `user{email,password}`.
    Email {
        /// The user's email address.
        email: String,
        /// The user's password.
        password: Password,
    },
    /// A user by a social provider's token: `provider` and `keys{token[,secret]}`.
    Provider {
        /// The identity provider.
        provider: Provider,
        /// The provider's access token.
        token: Token,
        /// The provider's token secret (Twitter).
        secret: Option<Token>,
    },
    /// A user by a Firebase phone-auth token: `provider` and `firebase_phone{project_id,access_token}`.
    FirebasePhone {
        /// The Firebase project id.
        project_id: String,
        /// The Firebase ID token.
        access_token: Token,
    },
    /// A user by a Firebase email-auth token: `provider` and `firebase_email{project_id,access_token}`.
    FirebaseEmail {
        /// The Firebase project id.
        project_id: String,
        /// The Firebase ID token.
        access_token: Token,
    },
    /// A guest user, created on the fly: `user{guest:"1"[,full_name]}`.
    Guest {
        /// The guest's display name.
        full_name: Option<String>,
    },
}

/// The nonce, timestamp and hash of a signed session request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Signing {
    /// The caller-drawn nonce.
    pub nonce: Nonce,
    /// The caller's clock, in Unix seconds.
    pub timestamp: i64,
    /// The HMAC hash function.
    pub hash: Hash,
}

impl Signing {
    /// HMAC-SHA1 signing with this nonce and timestamp.
    pub fn new(nonce: Nonce, timestamp: i64) -> Self {
        Self {
            nonce,
            timestamp,
            hash: Hash::Sha1,
        }
    }

    /// Uses another hash function.
    pub fn with_hash(mut self, hash: Hash) -> Self {
        self.hash = hash;
        self
    }
}

impl SessionCredentials {
    /// A user by login and password.
    pub fn login(login: impl Into<String>, password: impl Into<Password>) -> Self {
        Self::Login {
            login: login.into(),
            password: password.into(),
        }
    }

    /// A user by email and password.
    pub fn email(email: impl Into<String>, password: impl Into<Password>) -> Self {
        Self::Email {
            email: email.into(),
            password: password.into(),
        }
    }

    /// A user by a Facebook access token.
    pub fn facebook(token: impl Into<Token>) -> Self {
        Self::Provider {
            provider: Provider::Facebook,
            token: token.into(),
            secret: None,
        }
    }

    /// A user by a Twitter token and token secret.
    pub fn twitter(token: impl Into<Token>, secret: impl Into<Token>) -> Self {
        Self::Provider {
            provider: Provider::Twitter,
            token: token.into(),
            secret: Some(secret.into()),
        }
    }

    /// A user by a Firebase phone-auth token.
    pub fn firebase_phone(project_id: impl Into<String>, access_token: impl Into<Token>) -> Self {
        Self::FirebasePhone {
            project_id: project_id.into(),
            access_token: access_token.into(),
        }
    }

    /// A user by a Firebase email-auth token.
    pub fn firebase_email(project_id: impl Into<String>, access_token: impl Into<Token>) -> Self {
        Self::FirebaseEmail {
            project_id: project_id.into(),
            access_token: access_token.into(),
        }
    }

    /// A guest user, optionally named.
    pub fn guest(full_name: Option<String>) -> Self {
        Self::Guest { full_name }
    }

    /// The parameters the SDK signs: `application_id`, `auth_key`, `nonce`, `timestamp`, then
    /// this credential's own (wire.md §3.3), in body order.
    ///
    /// Firebase credentials are included as nested objects (`firebase_phone[access_token]=…`),
    /// as a server should sign them; the 3.35.3 SDK itself dropped them from the request.
    pub fn signed_params(&self, app: &AppCredentials, nonce: Nonce, timestamp: i64) -> Params {
        let mut params = app_params(app);
        params.insert("nonce", nonce.value());
        params.insert("timestamp", timestamp);
        self.append_to(&mut params);
        params
    }

    /// The body of `POST /session` as the 6.x JS SDK sends it: unsigned.
    pub fn unsigned_body(&self, app: &AppCredentials) -> Value {
        let mut params = app_params(app);
        self.append_to(&mut params);
        params.into_json()
    }

    /// The body of `POST /session` as the 3.x JS SDK sends it: signed, `signature` last.
    pub fn signed_body(&self, app: &AppCredentials, signing: Signing) -> Result<Value, SignError> {
        let secret = app.auth_secret.as_ref().ok_or(SignError::MissingSecret)?;
        let mut params = self.signed_params(app, signing.nonce, signing.timestamp);
        let signature = sign(secret, &params.string_to_sign(), signing.hash);
        params.insert("signature", signature);
        Ok(params.into_json())
    }

    /// The body of `POST /session`: signed when `signing` is given, unsigned otherwise.
    pub fn session_body(
        &self,
        app: &AppCredentials,
        signing: Option<Signing>,
    ) -> Result<Value, SignError> {
        match signing {
            Some(signing) => self.signed_body(app, signing),
            None => Ok(self.unsigned_body(app)),
        }
    }

    /// Appends this credential's parameters in the order the JS SDK places them.
    fn append_to(&self, params: &mut Params) {
        match self {
            Self::Application => {}
            Self::Login { login, password } => params.insert_object(
                "user",
                [("login", login.as_str()), ("password", password.expose())],
            ),
            Self::Email { email, password } => params.insert_object(
                "user",
                [("email", email.as_str()), ("password", password.expose())],
            ),
            Self::Provider {
                provider,
                token,
                secret,
            } => {
                params.insert("provider", provider.as_str());
                let mut keys = vec![("token", token.expose())];
                if let Some(secret) = secret {
                    keys.push(("secret", secret.expose()));
                }
                params.insert_object("keys", keys);
            }
            Self::FirebasePhone {
                project_id,
                access_token,
            } => {
                params.insert("provider", "firebase_phone");
                params.insert_object(
                    "firebase_phone",
                    [
                        ("project_id", project_id.as_str()),
                        ("access_token", access_token.expose()),
                    ],
                );
            }
            Self::FirebaseEmail {
                project_id,
                access_token,
            } => {
                params.insert("provider", "firebase_email");
                params.insert_object(
                    "firebase_email",
                    [
                        ("project_id", project_id.as_str()),
                        ("access_token", access_token.expose()),
                    ],
                );
            }
            Self::Guest { full_name } => {
                let mut user = vec![("guest", "1")];
                if let Some(name) = full_name {
                    user.push(("full_name", name.as_str()));
                }
                params.insert_object("user", user);
            }
        }
    }
}

/// `application_id` then `auth_key`: how every session body starts.
fn app_params(app: &AppCredentials) -> Params {
    let mut params = Params::new();
    params.insert("application_id", app.app_id.to_json());
    params.insert("auth_key", app.auth_key.expose());
    params
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app() -> AppCredentials {
        AppCredentials::new(385, "DFBMs9-8NlwQbfY").with_auth_secret("Kz8dsH-f7zUxnHg")
    }

    #[test]
    fn unsigned_bodies_match_the_6x_sdk() {
        let body = SessionCredentials::Application.unsigned_body(&app());
        assert_eq!(
            body.to_string(),
            r#"{"application_id":385,"auth_key":"DFBMs9-8NlwQbfY"}"#
        );
        let body = SessionCredentials::guest(None).unsigned_body(&app());
        assert_eq!(
            body.to_string(),
            r#"{"application_id":385,"auth_key":"DFBMs9-8NlwQbfY","user":{"guest":"1"}}"#
        );
    }

    #[test]
    fn signing_without_a_secret_fails() {
        let app = AppCredentials::new("385", "k");
        let err = SessionCredentials::Application
            .session_body(&app, Some(Signing::new(Nonce(1), 2)))
            .unwrap_err();
        assert_eq!(err, SignError::MissingSecret);
        assert!(
            SessionCredentials::Application
                .session_body(&app, None)
                .is_ok()
        );
    }

    #[test]
    fn application_id_keeps_its_form() {
        assert_eq!(ApplicationId::from(385).to_json(), Value::from(385));
        assert_eq!(ApplicationId::from("385").to_json(), Value::from("385"));
        assert_eq!(ApplicationId::from("385").as_u64(), Some(385));
        assert_eq!(ApplicationId::from("x").as_u64(), None);
        assert_eq!(ApplicationId::from("385").app_id(), Some(AppId::from(385)));
        assert_eq!(
            ApplicationId::from(AppId::from(7)),
            ApplicationId::Number(7)
        );
        assert_eq!(
            ApplicationId::from_json(&Value::from(-1)),
            None,
            "negative ids are not ids"
        );
        let parsed: ApplicationId = serde_json::from_str(r#""12345""#).unwrap();
        assert_eq!(parsed, ApplicationId::Text("12345".into()));
        let parsed: ApplicationId = serde_json::from_str("12345").unwrap();
        assert_eq!(parsed, ApplicationId::Number(12345));
    }

    #[test]
    fn debug_hides_secrets() {
        let creds = SessionCredentials::login("alice", "alicePass1");
        let debug = format!("{:?} {:?}", creds, app());
        assert!(!debug.contains("alicePass1"));
        assert!(!debug.contains("Kz8dsH"));
    }
}
