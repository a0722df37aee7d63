//! The server's shared state and the operations that need more than one transaction: sessions
//! for every credential kind, passwords (argon2id off the async threads), remote identity checks.
//!
//! Everything else is a domain function run through [`Service::write`] / [`Service::read`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use cube_auth::{AuthSecret, Provider, SessionCredentials};
use rusqlite::Connection;
use tokio::sync::broadcast;

use crate::clock::SharedClock;
use crate::domain::apps::{self, Application};
use crate::domain::error::{Error, Result};
use crate::domain::sessions::{self, SessionRecord};
use crate::domain::users::{self, Lookup, UserFields, UserRecord};
use crate::ids::{self, ObjectIds};
use crate::providers::{self, ProviderError};
use crate::store::Store;

/// The argon2id cost of password hashes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordParams {
    /// Memory in KiB.
    pub memory_kib: u32,
    /// Passes.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
}

impl Default for PasswordParams {
    /// OWASP's argon2id recommendation: 19 MiB, 2 passes, 1 lane.
    fn default() -> Self {
        Self {
            memory_kib: 19 * 1024,
            iterations: 2,
            parallelism: 1,
        }
    }
}

impl PasswordParams {
    /// The cheapest valid parameters, for tests.
    pub fn cheap() -> Self {
        Self {
            memory_kib: 8,
            iterations: 1,
            parallelism: 1,
        }
    }
}

/// Something that happened which the chat side may deliver in real time.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// A message was created over REST with `send_to_chat=1`.
    MessageCreated {
        /// Application.
        app_id: i64,
        /// The message as the REST API shows it to its sender.
        message: serde_json::Value,
        /// The dialog's type code.
        dialog_type: u8,
        /// The dialog's occupants (group, private) or subscribers (public).
        recipients: Vec<i64>,
    },
    /// Messages were deleted for everyone.
    MessagesDeleted {
        /// Application.
        app_id: i64,
        /// Dialog.
        dialog_id: String,
        /// Message ids.
        ids: Vec<String>,
    },
    /// A user's reaction to a message changed (`PUT /chat/Message/{id}/reactions`).
    ReactionsChanged {
        /// Application.
        app_id: i64,
        /// Dialog.
        dialog_id: String,
        /// The message.
        message_id: String,
        /// The reacting user.
        user_id: i64,
        /// The reaction added.
        add: Option<String>,
        /// The reaction taken back.
        remove: Option<String>,
    },
    /// A system message (`POST /chat/Message/system`).
    SystemMessage {
        /// Application.
        app_id: i64,
        /// Sender.
        sender_id: i64,
        /// Recipient.
        recipient_id: i64,
        /// The message id.
        message_id: String,
        /// The extra parameters.
        params: serde_json::Map<String, serde_json::Value>,
    },
}

/// How the service is set up.
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    /// The chat domain (`localhost`).
    pub domain: String,
    /// Session token lifetime (sliding).
    pub token_lifetime: Duration,
    /// Password hashing cost.
    pub password_params: PasswordParams,
}

/// A session request with its credentials (both the signed and the unsigned form).
#[derive(Debug, Clone)]
pub struct SessionRequest {
    /// Application id.
    pub app_id: i64,
    /// The `auth_key` sent.
    pub auth_key: String,
    /// Who the session is for.
    pub credentials: SessionCredentials,
    /// The whole received body when it carries a `signature` (verified with cube-auth).
    pub signed_body: Option<serde_json::Value>,
}

/// Failed logins after which a login is slowed down.
const FREE_FAILURES: u32 = 5;

struct Inner {
    store: Store,
    clock: SharedClock,
    ids: ObjectIds,
    config: ServiceConfig,
    argon: Argon2<'static>,
    failures: Mutex<HashMap<(i64, String), (u32, i64)>>,
    apps: std::sync::RwLock<HashMap<i64, Application>>,
    sessions: std::sync::RwLock<HashMap<String, SessionRecord>>,
    rates: Mutex<HashMap<(i64, String), (i64, u32)>>,
    events: broadcast::Sender<Event>,
    /// The chat hub of a running chat server, for who is online (none without chat).
    presence: std::sync::RwLock<Option<std::sync::Weak<crate::chat::hub::Hub>>>,
}

/// The server's state: storage, clock, id generator, settings. Cheap to clone.
#[derive(Clone)]
pub struct Service {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Service")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

struct SqlReplay<'a> {
    conn: &'a Connection,
    app_id: i64,
    now: i64,
}

impl cube_auth::ReplayStore for SqlReplay<'_> {
    fn check_and_insert(&mut self, _app: &str, nonce: cube_auth::Nonce, timestamp: i64) -> bool {
        sessions::use_nonce(
            self.conn,
            self.app_id,
            &nonce.0.to_string(),
            timestamp,
            self.now,
        )
        .unwrap_or(false)
    }
}

fn provider_error(e: &ProviderError) -> Error {
    match e {
        ProviderError::Status { status, body } => {
            let tail = if body.trim().is_empty() {
                "With empty response".to_owned()
            } else {
                format!(
                    "With response: {}",
                    body.chars().take(200).collect::<String>()
                )
            };
            Error::invalid(
                "base",
                format!(
                    "Bad Authentication data. Unauthorized on remote side. Status: {status}.{tail}"
                ),
            )
        }
        other => Error::invalid("base", format!("Bad Authentication data. {other}")),
    }
}

impl Service {
    /// A service over an opened store.
    pub fn new(store: Store, clock: SharedClock, config: ServiceConfig) -> Result<Self> {
        let p = config.password_params;
        let params = Params::new(p.memory_kib, p.iterations, p.parallelism, None)
            .map_err(|e| Error::Internal(format!("password parameters: {e}")))?;
        let (events, _) = broadcast::channel(1024);
        Ok(Self {
            inner: Arc::new(Inner {
                store,
                clock,
                ids: ObjectIds::new(),
                argon: Argon2::new(Algorithm::Argon2id, Version::V0x13, params),
                config,
                failures: Mutex::new(HashMap::new()),
                apps: std::sync::RwLock::new(HashMap::new()),
                sessions: std::sync::RwLock::new(HashMap::new()),
                rates: Mutex::new(HashMap::new()),
                events,
                presence: std::sync::RwLock::new(None),
            }),
        })
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// The clock.
    pub fn clock(&self) -> &SharedClock {
        &self.inner.clock
    }

    /// Now, in unix milliseconds.
    pub fn now(&self) -> i64 {
        self.inner.clock.now_millis()
    }

    /// The chat domain.
    pub fn domain(&self) -> &str {
        &self.inner.config.domain
    }

    /// The token lifetime in milliseconds.
    pub fn token_lifetime_ms(&self) -> i64 {
        i64::try_from(self.inner.config.token_lifetime.as_millis()).unwrap_or(i64::MAX / 2)
    }

    /// A fresh 24-hex object id.
    pub fn object_id(&self) -> String {
        self.inner.ids.next(self.inner.clock.as_ref())
    }

    /// Real-time events (messages to deliver over chat).
    pub fn subscribe_events(&self) -> broadcast::Receiver<Event> {
        self.inner.events.subscribe()
    }

    /// Publishes an event to the chat side (dropped if nobody listens).
    pub fn publish(&self, event: Event) {
        let _ = self.inner.events.send(event);
    }

    /// Makes `hub` the source of [`Service::online_users`] (the chat server does, at start).
    pub fn set_presence(&self, hub: &Arc<crate::chat::hub::Hub>) {
        if let Ok(mut slot) = self.inner.presence.write() {
            *slot = Some(Arc::downgrade(hub));
        }
    }

    /// The users of application `app_id` connected to chat now, ascending; none when no chat
    /// server runs over this service.
    pub fn online_users(&self, app_id: i64) -> Vec<i64> {
        self.inner
            .presence
            .read()
            .ok()
            .and_then(|slot| slot.as_ref().and_then(std::sync::Weak::upgrade))
            .map(|hub| hub.online_users(app_id))
            .unwrap_or_default()
    }

    /// Runs a domain function in a write transaction; `Ok` means committed.
    pub async fn write<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        self.inner.store.write(f).await
    }

    /// Runs a domain function on committed data.
    pub async fn read<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        self.inner.store.read(f).await
    }

    /// The application `id`, if stored.
    ///
    /// Applications are cached; call [`Service::forget_applications`] after changing them
    /// directly in the store.
    pub async fn application(&self, id: i64) -> Result<Option<Application>> {
        if let Some(app) = self
            .inner
            .apps
            .read()
            .ok()
            .and_then(|m| m.get(&id).cloned())
        {
            return Ok(Some(app));
        }
        let app = self.read(move |c| apps::get(c, id)).await?;
        if let (Some(app), Ok(mut cache)) = (&app, self.inner.apps.write()) {
            cache.insert(id, app.clone());
        }
        Ok(app)
    }

    /// Drops the application cache (after applications or their settings changed).
    pub fn forget_applications(&self) {
        if let Ok(mut cache) = self.inner.apps.write() {
            cache.clear();
        }
    }

    /// Counts one request against the application's per-minute limit for `key` (a token or
    /// an address); 429 with the seconds left in the window when over the limit.
    pub async fn check_rate(&self, app_id: i64, key: &str) -> Result<()> {
        let Some(limit) = self
            .application(app_id)
            .await?
            .and_then(|a| a.settings.rate_limit_per_minute)
        else {
            return Ok(());
        };
        let now = self.now();
        let window = now - now.rem_euclid(60_000);
        let mut map = self
            .inner
            .rates
            .lock()
            .map_err(|_| Error::Internal("lock".into()))?;
        if map.len() > 100_000 {
            map.retain(|_, (start, _)| *start == window);
        }
        let entry = map.entry((app_id, key.to_owned())).or_insert((window, 0));
        if entry.0 != window {
            *entry = (window, 0);
        }
        entry.1 += 1;
        if entry.1 > limit {
            let retry_after = u64::try_from((window + 60_000 - now + 999) / 1000).unwrap_or(1);
            return Err(Error::TooManyRequests { retry_after });
        }
        Ok(())
    }

    /// The live session for `token`, its expiry pushed forward (sliding); 401 otherwise.
    ///
    /// Live sessions are cached; every change to a session goes through this service
    /// ([`Service::create_session`], [`Service::set_session_user`], [`Service::delete_session`],
    /// [`Service::delete_user`]) so the cache stays true.
    pub async fn authenticate(&self, token: &str) -> Result<SessionRecord> {
        let now = self.now();
        let lifetime = self.token_lifetime_ms();
        let cached = self
            .inner
            .sessions
            .read()
            .ok()
            .and_then(|m| m.get(token).cloned());
        let session = match cached {
            Some(s) if s.expires_at > now => s,
            Some(_) => {
                self.forget_session(token);
                return Err(Error::SessionMissing);
            }
            None => {
                let owned = token.to_owned();
                let s = self.read(move |c| sessions::live(c, &owned, now)).await?;
                self.remember_session(&s);
                s
            }
        };
        if sessions::needs_extension(&session, now, lifetime) {
            let owned = token.to_owned();
            let result = self
                .write(move |c| {
                    let s = sessions::extend(c, &owned, now, lifetime)?;
                    if let Some(u) = s.user_id {
                        users::touch(c, u, now)?;
                    }
                    Ok(s)
                })
                .await;
            match &result {
                Ok(s) => self.remember_session(s),
                Err(_) => self.forget_session(token),
            }
            return result;
        }
        Ok(session)
    }

    fn remember_session(&self, s: &SessionRecord) {
        if let Ok(mut m) = self.inner.sessions.write() {
            if m.len() > 100_000 {
                m.clear();
            }
            m.insert(s.token.clone(), s.clone());
        }
    }

    /// Drops every cached session (after sessions or users were deleted in the store directly).
    pub fn forget_sessions(&self) {
        if let Ok(mut m) = self.inner.sessions.write() {
            m.clear();
        }
    }

    fn forget_session(&self, token: &str) {
        if let Ok(mut m) = self.inner.sessions.write() {
            m.remove(token);
        }
    }

    /// Sets (`POST /login`) or clears (`DELETE /login`) the user of a session.
    pub async fn set_session_user(
        &self,
        session_id: i64,
        user_id: Option<i64>,
    ) -> Result<SessionRecord> {
        let now = self.now();
        let s = self
            .write(move |c| sessions::set_user(c, session_id, user_id, now))
            .await?;
        self.remember_session(&s);
        Ok(s)
    }

    /// Deletes a session (`DELETE /session`).
    pub async fn delete_session(&self, token: &str) -> Result<()> {
        let owned = token.to_owned();
        self.write(move |c| sessions::delete(c, &owned)).await?;
        self.forget_session(token);
        Ok(())
    }

    /// Deletes a user and, with it, every session of the user.
    pub async fn delete_user(&self, app_id: i64, id: i64) -> Result<()> {
        self.write(move |c| users::delete(c, app_id, id)).await?;
        if let Ok(mut m) = self.inner.sessions.write() {
            m.retain(|_, s| s.user_id != Some(id));
        }
        Ok(())
    }

    /// Hashes a password with argon2id on a blocking thread.
    pub async fn hash_password(&self, password: &str) -> Result<String> {
        let inner = self.inner.clone();
        let password = password.to_owned();
        tokio::task::spawn_blocking(move || {
            let salt = SaltString::encode_b64(&ids::random_bytes::<16>())
                .map_err(|e| Error::Internal(e.to_string()))?;
            inner
                .argon
                .hash_password(password.as_bytes(), &salt)
                .map(|h| h.to_string())
                .map_err(|e| Error::Internal(e.to_string()))
        })
        .await
        .map_err(|e| Error::Internal(e.to_string()))?
    }

    /// Whether `password` matches the stored hash (on a blocking thread).
    pub async fn verify_password(&self, hash: &str, password: &str) -> bool {
        let inner = self.inner.clone();
        let hash = hash.to_owned();
        let password = password.to_owned();
        tokio::task::spawn_blocking(move || {
            PasswordHash::new(&hash)
                .is_ok_and(|h| inner.argon.verify_password(password.as_bytes(), &h).is_ok())
        })
        .await
        .unwrap_or(false)
    }

    /// Whether `password` lets user `user_id` into chat: the user's password, or the token of
    /// one of the user's live sessions (provider and identity-provider users).
    pub async fn check_chat_password(
        &self,
        app_id: i64,
        user_id: i64,
        password: &str,
    ) -> Result<bool> {
        let now = self.now();
        let token = password.to_owned();
        let by_token = self
            .read(move |c| Ok(sessions::live(c, &token, now).ok()))
            .await?;
        if by_token.is_some_and(|s| s.app_id == app_id && s.user_id == Some(user_id)) {
            return Ok(true);
        }
        let hash = self
            .read(move |c| users::password_hash(c, app_id, user_id))
            .await?;
        Ok(match hash {
            Some(h) => self.verify_password(&h, password).await,
            None => false,
        })
    }

    fn check_throttle(&self, app_id: i64, login: &str) -> Result<()> {
        let now = self.now();
        let key = (app_id, login.to_lowercase());
        let map = self
            .inner
            .failures
            .lock()
            .map_err(|_| Error::Internal("lock".into()))?;
        if let Some((count, last)) = map.get(&key) {
            if *count >= FREE_FAILURES {
                let wait_ms = 1000_i64 << (count - FREE_FAILURES).min(8);
                if now < last + wait_ms {
                    return Err(Error::TooManyRequests {
                        retry_after: u64::try_from((last + wait_ms - now + 999) / 1000)
                            .unwrap_or(1),
                    });
                }
            }
        }
        Ok(())
    }

    fn record_login(&self, app_id: i64, login: &str, ok: bool) {
        let now = self.now();
        if let Ok(mut map) = self.inner.failures.lock() {
            let key = (app_id, login.to_lowercase());
            if ok {
                map.remove(&key);
            } else {
                let entry = map.entry(key).or_insert((0, now));
                entry.0 += 1;
                entry.1 = now;
            }
            if map.len() > 100_000 {
                map.retain(|_, (_, last)| now - *last < 3_600_000);
            }
        }
    }

    async fn password_user(
        &self,
        app: &Application,
        by: Lookup,
        key: &str,
        password: &str,
    ) -> Result<UserRecord> {
        if let Some(idp) = app.settings.identity_provider.clone() {
            return self
                .identity_provider_user(app.id, &idp, key, password)
                .await;
        }
        self.check_throttle(app.id, key)?;
        let app_id = app.id;
        let owned = key.to_owned();
        let found = self
            .read(move |c| users::find(c, app_id, by, &owned))
            .await?;
        match found {
            Some((user, Some(hash))) if !user.is_guest => {
                let ok = self.verify_password(&hash, password).await;
                self.record_login(app.id, key, ok);
                if ok {
                    Ok(user)
                } else {
                    Err(Error::Unauthorized("Unauthorized".into()))
                }
            }
            None if app.settings.create_user_on_session => {
                let mut fields = UserFields {
                    password: Some(password.to_owned()),
                    ..UserFields::default()
                };
                match by {
                    Lookup::Email => fields.email = Some(key.to_owned()),
                    _ => fields.login = Some(key.to_owned()),
                }
                self.sign_up(app.id, fields).await
            }
            // Guests and password-less (provider) users cannot log in by password.
            Some(_) | None => {
                self.record_login(app.id, key, false);
                Err(Error::Unauthorized("Unauthorized".into()))
            }
        }
    }

    async fn identity_provider_user(
        &self,
        app_id: i64,
        idp: &apps::IdentityProvider,
        login: &str,
        password: &str,
    ) -> Result<UserRecord> {
        let identity = providers::verify_custom(idp, login, password)
            .await
            .map_err(|e| provider_error(&e))?;
        let now = self.now();
        self.write(move |c| {
            let numeric = identity.uid.parse::<i64>().ok();
            let (by, key) = match numeric {
                Some(_) => (Lookup::ExternalUserId, identity.uid.clone()),
                None => (Lookup::ExternalId, identity.uid.clone()),
            };
            if let Some((user, _)) = users::find(c, app_id, by, &key)? {
                return Ok(user);
            }
            let login = identity
                .login
                .clone()
                .filter(|l| {
                    users::find(c, app_id, Lookup::Login, l)
                        .ok()
                        .flatten()
                        .is_none()
                })
                .unwrap_or_else(|| format!("cidp_{}", identity.uid));
            let fields = UserFields {
                login: Some(login),
                email: identity.email.clone().filter(|e| {
                    users::find(c, app_id, Lookup::Email, e)
                        .ok()
                        .flatten()
                        .is_none()
                }),
                full_name: identity.full_name.clone(),
                external_user_id: numeric,
                external_id: numeric.is_none().then(|| identity.uid.clone()),
                ..UserFields::default()
            };
            users::insert(c, app_id, &fields, None, false, now)
        })
        .await
    }

    async fn social_user(
        &self,
        app: &Application,
        provider: &Provider,
        token: &str,
        secret: Option<&str>,
    ) -> Result<UserRecord> {
        let (verifier, by) = match provider {
            Provider::Facebook => (app.settings.facebook.clone(), Lookup::FacebookId),
            Provider::Twitter => (app.settings.twitter.clone(), Lookup::TwitterId),
            other @ Provider::Other(_) => {
                return Err(Error::invalid(
                    "provider",
                    format!("unsupported provider {}", other.as_str()),
                ));
            }
        };
        let verifier = verifier.ok_or_else(|| {
            Error::invalid(
                "provider",
                format!(
                    "{} is not configured for this application",
                    provider.as_str()
                ),
            )
        })?;
        let who = providers::verify_social(&verifier.url, token, secret)
            .await
            .map_err(|e| provider_error(&e))?;
        let (app_id, now) = (app.id, self.now());
        self.write(move |c| {
            if let Some((user, _)) = users::find(c, app_id, by, &who.id)? {
                return Ok(user);
            }
            let link = |u: &UserRecord| {
                let mut f = UserFields::default();
                if by == Lookup::FacebookId {
                    f.facebook_id = Some(who.id.clone());
                } else {
                    f.twitter_id = Some(who.id.clone());
                }
                users::update(c, app_id, u.id, &f, None, now)
            };
            if let Some(email) = &who.email {
                if let Some((user, _)) = users::find(c, app_id, Lookup::Email, email)? {
                    return link(&user);
                }
            }
            let mut f = UserFields {
                full_name: who.name.clone(),
                email: who.email.clone(),
                ..UserFields::default()
            };
            if by == Lookup::FacebookId {
                f.facebook_id = Some(who.id.clone());
            } else {
                f.twitter_id = Some(who.id.clone());
            }
            users::insert(c, app_id, &f, None, false, now)
        })
        .await
    }

    async fn firebase_user(
        &self,
        app: &Application,
        project_id: &str,
        token: &str,
        phone: bool,
    ) -> Result<UserRecord> {
        let settings = app.settings.firebase.clone().ok_or_else(|| {
            Error::invalid(
                "provider",
                "firebase is not configured for this application",
            )
        })?;
        if settings.project_id != project_id {
            return Err(Error::invalid(
                "project_id",
                "does not match the application's Firebase project",
            ));
        }
        let jwks = tokio::fs::read(&settings.jwks_file).await.map_err(|e| {
            Error::Internal(format!("cannot read {}: {e}", settings.jwks_file.display()))
        })?;
        let claims =
            providers::verify_firebase(token, project_id, &jwks, self.inner.clock.now_secs())
                .map_err(|e| Error::Unauthorized(format!("Bad Authentication data. {e}")))?;
        let (by, key) = if phone {
            (
                Lookup::Phone,
                claims
                    .phone_number
                    .clone()
                    .ok_or_else(|| Error::invalid("access_token", "has no phone_number"))?,
            )
        } else {
            (
                Lookup::Email,
                claims
                    .email
                    .clone()
                    .ok_or_else(|| Error::invalid("access_token", "has no email"))?,
            )
        };
        let (app_id, now) = (app.id, self.now());
        self.write(move |c| {
            if let Some((user, _)) = users::find(c, app_id, by, &key)? {
                return Ok(user);
            }
            let mut f = UserFields {
                full_name: claims.name.clone(),
                ..UserFields::default()
            };
            if phone {
                f.phone = Some(key);
            } else {
                f.email = Some(key);
            }
            users::insert(c, app_id, &f, None, false, now)
        })
        .await
    }

    async fn guest_user(&self, app_id: i64, full_name: Option<String>) -> Result<UserRecord> {
        let now = self.now();
        let fields = UserFields {
            login: Some(format!(
                "guest_login_{}",
                ids::hex(&ids::random_bytes::<8>())
            )),
            full_name,
            ..UserFields::default()
        };
        self.write(move |c| users::insert(c, app_id, &fields, None, true, now))
            .await
    }

    /// The user the credentials name (created on the fly where the rules say so); none for an
    /// application session.
    pub async fn resolve_credentials(
        &self,
        app: &Application,
        credentials: &SessionCredentials,
    ) -> Result<Option<UserRecord>> {
        Ok(Some(match credentials {
            SessionCredentials::Application => return Ok(None),
            SessionCredentials::Login { login, password } => {
                self.password_user(app, Lookup::Login, login, password.expose())
                    .await?
            }
            SessionCredentials::Email { email, password } => {
                self.password_user(app, Lookup::Email, email, password.expose())
                    .await?
            }
            SessionCredentials::Provider {
                provider,
                token,
                secret,
            } => {
                self.social_user(
                    app,
                    provider,
                    token.expose(),
                    secret.as_ref().map(cube_auth::Token::expose),
                )
                .await?
            }
            SessionCredentials::FirebasePhone {
                project_id,
                access_token,
            } => {
                self.firebase_user(app, project_id, access_token.expose(), true)
                    .await?
            }
            SessionCredentials::FirebaseEmail {
                project_id,
                access_token,
            } => {
                self.firebase_user(app, project_id, access_token.expose(), false)
                    .await?
            }
            SessionCredentials::Guest { full_name } => {
                self.guest_user(app.id, full_name.clone()).await?
            }
            _ => return Err(Error::invalid("base", "unsupported credentials")),
        }))
    }

    /// `POST /session`: checks the application (and the signature when present), resolves the
    /// user and creates the session.
    pub async fn create_session(
        &self,
        req: SessionRequest,
    ) -> Result<(SessionRecord, Option<UserRecord>)> {
        let app = self
            .application(req.app_id)
            .await?
            .filter(|a| a.auth_key == req.auth_key)
            .ok_or_else(|| Error::invalid("base", "Unknown application or auth key"))?;
        let mut nonce = None;
        if let Some(body) = req.signed_body {
            let secret = AuthSecret::new(app.auth_secret.clone());
            let (app_id, now) = (app.id, self.now());
            nonce = body.get("nonce").and_then(serde_json::Value::as_i64);
            self.write(move |c| {
                let mut replay = SqlReplay {
                    conn: c,
                    app_id,
                    now,
                };
                cube_auth::verify_session_request(&body, &secret, now.div_euclid(1000), &mut replay)
                    .map_err(|e| Error::invalid("base", format!("Unexpected signature: {e}")))
            })
            .await?;
        }
        let user = self.resolve_credentials(&app, &req.credentials).await?;
        let (app_id, user_id, now, lifetime, oid) = (
            app.id,
            user.as_ref().map(|u| u.id),
            self.now(),
            self.token_lifetime_ms(),
            self.object_id(),
        );
        let session = self
            .write(move |c| {
                if let Some(u) = user_id {
                    users::touch(c, u, now)?;
                }
                sessions::create(c, app_id, user_id, nonce, &oid, now, lifetime)
            })
            .await?;
        self.remember_session(&session);
        let user = match user {
            Some(u) => Some(self.read(move |c| users::get(c, app_id, u.id)).await?),
            None => None,
        };
        Ok((session, user))
    }

    /// `POST /login`: upgrades the session to the credentials' user.
    pub async fn login(
        &self,
        session: &SessionRecord,
        credentials: &SessionCredentials,
    ) -> Result<UserRecord> {
        let app = self
            .application(session.app_id)
            .await?
            .ok_or(Error::SessionMissing)?;
        let user = self
            .resolve_credentials(&app, credentials)
            .await?
            .ok_or_else(|| Error::invalid("base", "login needs user credentials"))?;
        self.set_session_user(session.id, Some(user.id)).await?;
        Ok(user)
    }

    /// Sign-up: validates, hashes the password, stores.
    pub async fn sign_up(&self, app_id: i64, fields: UserFields) -> Result<UserRecord> {
        users::validate(&fields, true)?;
        let hash = match &fields.password {
            Some(p) => Some(self.hash_password(p).await?),
            None => None,
        };
        let scram = self.derive_scram(fields.password.as_deref()).await?;
        let now = self.now();
        self.write(move |c| {
            let user = users::insert(c, app_id, &fields, hash.as_deref(), false, now)?;
            if let Some(creds) = &scram {
                crate::chat::store::set_scram(c, user.id, creds)?;
            }
            Ok(user)
        })
        .await
    }

    /// SCRAM-SHA-1 credentials for chat logins, derived from a new password off the async
    /// threads (PBKDF2).
    async fn derive_scram(
        &self,
        password: Option<&str>,
    ) -> Result<Option<cube_xmpp::sasl::ScramCredentials>> {
        let Some(password) = password.map(str::to_owned) else {
            return Ok(None);
        };
        tokio::task::spawn_blocking(move || Some(crate::chat::store::derive_scram(&password)))
            .await
            .map_err(|e| Error::Internal(e.to_string()))
    }

    /// Updates the caller's own user; a password change needs the right `old_password`.
    pub async fn update_user(
        &self,
        app_id: i64,
        caller: i64,
        id: i64,
        fields: UserFields,
    ) -> Result<UserRecord> {
        if caller != id {
            return Err(Error::Forbidden("You can update only your own user".into()));
        }
        users::validate(&fields, false)?;
        let mut hash = None;
        if let Some(new) = &fields.password {
            let old = fields
                .old_password
                .clone()
                .ok_or_else(|| Error::invalid("old_password", "can't be blank"))?;
            let stored = self
                .read(move |c| users::password_hash(c, app_id, id))
                .await?;
            let ok = match stored {
                Some(h) => self.verify_password(&h, &old).await,
                None => false,
            };
            if !ok {
                return Err(Error::invalid("old_password", "is incorrect"));
            }
            hash = Some(self.hash_password(new).await?);
        }
        let scram = self.derive_scram(fields.password.as_deref()).await?;
        let now = self.now();
        self.write(move |c| {
            let user = users::update(c, app_id, id, &fields, hash.as_deref(), now)?;
            if let Some(creds) = &scram {
                crate::chat::store::set_scram(c, id, creds)?;
            }
            Ok(user)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use crate::store::Location;

    async fn service() -> (Service, ManualClock) {
        let store = Store::open(&Location::Memory).unwrap();
        let clock = ManualClock::new(1_704_164_645_000);
        let svc = Service::new(
            store,
            Arc::new(clock.clone()),
            ServiceConfig {
                domain: "localhost".into(),
                token_lifetime: Duration::from_secs(7200),
                password_params: PasswordParams::cheap(),
            },
        )
        .unwrap();
        svc.write(|c| apps::upsert(c, 1, "key", "secret", None, 0))
            .await
            .unwrap();
        (svc, clock)
    }

    fn login(l: &str, p: &str) -> SessionCredentials {
        SessionCredentials::login(l, p)
    }

    #[tokio::test]
    async fn session_creates_user_then_checks_password() {
        let (svc, _) = service().await;
        let req = |c| SessionRequest {
            app_id: 1,
            auth_key: "key".into(),
            credentials: c,
            signed_body: None,
        };
        let (s, u) = svc
            .create_session(req(login("alice", "alicePass1")))
            .await
            .unwrap();
        assert_eq!(s.user_id, u.as_ref().map(|u| u.id));
        let err = svc
            .create_session(req(login("alice", "wrongPass1")))
            .await
            .unwrap_err();
        assert_eq!(err.status(), 401);
        let (_, u2) = svc
            .create_session(req(login("ALICE", "alicePass1")))
            .await
            .unwrap();
        assert_eq!(u2.unwrap().id, u.unwrap().id);
        let bad_key = SessionRequest {
            auth_key: "nope".into(),
            ..req(SessionCredentials::Application)
        };
        assert_eq!(svc.create_session(bad_key).await.unwrap_err().status(), 422);
        let (g, gu) = svc
            .create_session(req(SessionCredentials::guest(Some("G".into()))))
            .await
            .unwrap();
        assert!(gu.unwrap().is_guest);
        assert!(g.user_id.is_some());
    }

    #[tokio::test]
    async fn failed_logins_are_slowed_down() {
        let (svc, clock) = service().await;
        let req = |c| SessionRequest {
            app_id: 1,
            auth_key: "key".into(),
            credentials: c,
            signed_body: None,
        };
        svc.create_session(req(login("bob", "bobPass123")))
            .await
            .unwrap();
        for _ in 0..FREE_FAILURES {
            assert_eq!(
                svc.create_session(req(login("bob", "nopenope1")))
                    .await
                    .unwrap_err()
                    .status(),
                401
            );
        }
        let err = svc
            .create_session(req(login("bob", "bobPass123")))
            .await
            .unwrap_err();
        assert_eq!(err.status(), 429);
        clock.advance_millis(2_000);
        svc.create_session(req(login("bob", "bobPass123")))
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn tokens_slide_and_expire() {
        let (svc, clock) = service().await;
        let req = SessionRequest {
            app_id: 1,
            auth_key: "key".into(),
            credentials: SessionCredentials::Application,
            signed_body: None,
        };
        let (s, _) = svc.create_session(req).await.unwrap();
        clock.advance_millis(7_000_000);
        svc.authenticate(&s.token).await.unwrap();
        clock.advance_millis(7_000_000);
        svc.authenticate(&s.token).await.unwrap();
        clock.advance_millis(7_300_000);
        assert!(matches!(
            svc.authenticate(&s.token).await,
            Err(Error::SessionMissing)
        ));
    }

    #[tokio::test]
    async fn chat_password_accepts_password_or_token() {
        let (svc, _) = service().await;
        let req = SessionRequest {
            app_id: 1,
            auth_key: "key".into(),
            credentials: login("carol", "carolPass1"),
            signed_body: None,
        };
        let (s, u) = svc.create_session(req).await.unwrap();
        let uid = u.unwrap().id;
        assert!(svc.check_chat_password(1, uid, "carolPass1").await.unwrap());
        assert!(svc.check_chat_password(1, uid, &s.token).await.unwrap());
        assert!(!svc.check_chat_password(1, uid, "nope").await.unwrap());
    }
}
