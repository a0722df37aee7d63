//! The client: one HTTP connection pool, the session it holds, and the call machinery (retry,
//! tracing, renewal of expired sessions).

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use bytes::Bytes;
use cube_auth::{SessionCredentials, Signing, Token};
use cube_model::{AppId, Session, User, UserId};
use cube_rest::retry::{self, Outcome, RetryDecision};
use cube_rest::session::{create_login, create_session, delete_login, delete_session, get_session};
use cube_rest::{Endpoint, EndpointResponse, FromHttpResponseError};
use tokio::sync::watch;
use tracing::Instrument;

use crate::config::{ClientBuilder, Config, Endpoints};
use crate::error::{BuildError, Call, Error};

/// The ConnectyCube client: sessions, users, dialogs, messages and chat.
///
/// Cheap to clone (an `Arc` inside); clones share the session. Every REST call:
/// - is sent with the current session token and retried under the [`retry
///   policy`](ClientBuilder::retry_policy) when that is safe;
/// - when the server answers `401 Required session does not exist`, creates a new session with
///   the credentials the client holds and is sent once more (the chat connection is told the
///   new token);
/// - runs in a `tracing` span `cube_call` with the endpoint name, method and path, never a
///   token or password.
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) config: Config,
    http: reqwest::Client,
    state: Mutex<SessionState>,
    renewing: tokio::sync::Mutex<()>,
    token_tx: watch::Sender<Option<Token>>,
}

/// The session the client holds and how to get another one.
#[derive(Default)]
struct SessionState {
    session: Option<Session>,
    /// What an expired session is re-created with; `None` after `destroy_session` or when the
    /// token was set from outside.
    renew_with: Option<SessionCredentials>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state();
        f.debug_struct("Client")
            .field("app_id", &self.inner.config.app_id)
            .field("endpoints", &self.inner.config.endpoints)
            .field("user_id", &state.session.as_ref().map(|s| s.user_id))
            .field("has_session", &state.session.is_some())
            .finish_non_exhaustive()
    }
}

/// Credentials of a user of a custom identity provider: its token goes in as the `login`
/// (ConnectyCube asks the provider to vouch for it) and, to pass validation, as the password.
pub fn identity_provider_credentials(token: impl Into<String>) -> SessionCredentials {
    let token = token.into();
    SessionCredentials::login(token.clone(), token)
}

impl Client {
    /// Starts configuring a client for an application (id and auth key, from the dashboard).
    pub fn builder(
        app_id: impl Into<AppId>,
        auth_key: impl Into<cube_auth::AuthKey>,
    ) -> ClientBuilder {
        ClientBuilder::new(app_id, auth_key)
    }

    pub(crate) fn from_config(config: Config) -> Result<Self, BuildError> {
        let http = reqwest::Client::builder()
            .timeout(config.request_timeout)
            .connect_timeout(config.connect_timeout)
            .build()
            .map_err(|e| BuildError::Config(format!("http client: {e}")))?;
        let (token_tx, _) = watch::channel(None);
        Ok(Client {
            inner: Arc::new(Inner {
                config,
                http,
                state: Mutex::new(SessionState::default()),
                renewing: tokio::sync::Mutex::new(()),
                token_tx,
            }),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// Where the client talks to.
    pub fn endpoints(&self) -> &Endpoints {
        &self.inner.config.endpoints
    }

    /// The application id.
    pub fn app_id(&self) -> AppId {
        self.inner.config.app_id
    }

    fn state(&self) -> MutexGuard<'_, SessionState> {
        // The state is a plain value: a panic elsewhere cannot leave it half-written.
        self.inner
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The session the client holds (with its token), if any.
    pub fn current_session(&self) -> Option<Session> {
        self.state().session.clone()
    }

    /// The user of the current session, if it has one.
    pub fn current_user_id(&self) -> Option<UserId> {
        self.state()
            .session
            .as_ref()
            .map(|s| s.user_id)
            .filter(|id| id.0 != 0)
    }

    /// The current session token, if any.
    pub fn token(&self) -> Option<Token> {
        self.state()
            .session
            .as_ref()
            .map(|s| Token::new(s.token.clone()))
    }

    /// Watches the session token: the chat layer uses it to log in again with a renewed token.
    pub fn token_updates(&self) -> watch::Receiver<Option<Token>> {
        self.inner.token_tx.subscribe()
    }

    /// Uses a token issued elsewhere (by your backend, for example); the client cannot renew it.
    pub fn set_token(&self, token: impl Into<String>, user_id: Option<UserId>) {
        let session = Session::new(self.app_id(), user_id.unwrap_or(UserId(0)), token.into());
        self.set_session(session, None);
    }

    fn set_session(&self, session: Session, renew_with: Option<SessionCredentials>) {
        let token = Token::new(session.token.clone());
        {
            let mut state = self.state();
            state.session = Some(session);
            state.renew_with = renew_with;
        }
        self.inner.token_tx.send_replace(Some(token));
    }

    fn token_string(&self) -> Option<String> {
        self.state().session.as_ref().map(|s| s.token.clone())
    }

    /// The current user id, or a [`BuildError::NoUser`] for `call`.
    pub(crate) fn require_user(&self, call: Call) -> Result<UserId, Error> {
        match self.state().session.as_ref() {
            None => Err(Error::build(call, BuildError::NoSession)),
            Some(s) if s.user_id.0 == 0 => Err(Error::build(call, BuildError::NoUser)),
            Some(s) => Ok(s.user_id),
        }
    }

    // ------------------------------------------------------------------ sessions --

    /// Creates an application session (no user): enough for sign-up and public reads.
    pub async fn create_app_session(&self) -> Result<Session, Error> {
        self.create_session(SessionCredentials::Application).await
    }

    /// Creates a session for `credentials` (application, login or email and password,
    /// Facebook or Twitter token, Firebase phone or email token, guest; for a custom identity
    /// provider see [`identity_provider_credentials`]) and holds it, with the credentials for
    /// renewal. The request is signed when the client has an auth secret.
    pub async fn create_session(&self, credentials: SessionCredentials) -> Result<Session, Error> {
        let session = self.open_session(&credentials).await?;
        self.set_session(session.clone(), Some(credentials));
        Ok(session)
    }

    /// Creates a user session by login and password.
    pub async fn create_user_session(
        &self,
        login: impl Into<String>,
        password: impl Into<cube_auth::Password>,
    ) -> Result<Session, Error> {
        self.create_session(SessionCredentials::login(login, password))
            .await
    }

    async fn open_session(&self, credentials: &SessionCredentials) -> Result<Session, Error> {
        let c = &self.inner.config;
        let req = match &c.auth_secret {
            Some(secret) => {
                let signing = Signing::new(c.nonces.nonce(), c.clock.now_unix());
                create_session::Request::signed(
                    c.app_id,
                    c.auth_key.clone(),
                    credentials.clone(),
                    secret,
                    signing,
                )
                .map_err(|e| {
                    Error::build(Call::of::<create_session::Request>(), BuildError::Sign(e))
                })?
            }
            None => create_session::Request::new(c.app_id, c.auth_key.clone(), credentials.clone()),
        };
        // No CB-Token: a stale token must not stand in the way of a fresh session.
        Ok(self.send(&req, None).await?.session)
    }

    /// Attaches a user to the current session (`POST /login`); the token stays the same, and
    /// renewal will create user sessions with these credentials.
    pub async fn login(&self, credentials: SessionCredentials) -> Result<User, Error> {
        let user = self
            .call(&create_login::Request::new(credentials.clone()))
            .await?
            .user;
        let mut state = self.state();
        if let Some(s) = state.session.as_mut() {
            s.user_id = user.id;
            s.user = Some(user.clone());
        }
        state.renew_with = Some(credentials);
        Ok(user)
    }

    /// Detaches the user from the session (`DELETE /login`); the token stays an application
    /// session.
    pub async fn logout(&self) -> Result<(), Error> {
        self.call(&delete_login::Request::new()).await?;
        let mut state = self.state();
        if let Some(s) = state.session.as_mut() {
            s.user_id = UserId(0);
            s.user = None;
        }
        state.renew_with = Some(SessionCredentials::Application);
        Ok(())
    }

    /// Destroys the session (`DELETE /session`) and forgets it and its credentials.
    pub async fn destroy_session(&self) -> Result<(), Error> {
        let token = self.token_string();
        self.send(&delete_session::Request::new(), token.as_deref())
            .await?;
        {
            let mut state = self.state();
            state.session = None;
            state.renew_with = None;
        }
        self.inner.token_tx.send_replace(None);
        Ok(())
    }

    /// Reads the session from the server (`GET /session`) and refreshes the held copy.
    pub async fn session(&self) -> Result<Session, Error> {
        let session = self.call(&get_session::Request::new()).await?.session;
        if let Some(held) = self.state().session.as_mut() {
            if held.token == session.token || session.token.is_empty() {
                held.user_id = session.user_id;
            }
        }
        Ok(session)
    }

    // ---------------------------------------------------------------- machinery --

    /// Sends `req` with the current token; on an expired session, renews it and sends again once.
    pub async fn call<E: Endpoint>(&self, req: &E) -> Result<E::Response, Error> {
        let token = self.token_string();
        let first = self.send(req, token.as_deref()).await;
        match first {
            Err(Error::Api { ref source, .. })
                if source.is_session_expired() && !E::METADATA.path.contains("session") =>
            {
                if self.renew(token.as_deref()).await? {
                    let token = self.token_string();
                    self.send(req, token.as_deref()).await
                } else {
                    first
                }
            }
            other => other,
        }
    }

    /// Replaces the current session now (the chat server refused its token); false when
    /// there is nothing to renew with.
    pub(crate) async fn force_renew(&self) -> Result<bool, Error> {
        let token = self.token_string();
        self.renew(token.as_deref()).await
    }

    /// Replaces the session whose token `expired` was refused; false when there is nothing to
    /// renew with. Concurrent callers renew once: the second sees the token already changed.
    async fn renew(&self, expired: Option<&str>) -> Result<bool, Error> {
        let _guard = self.inner.renewing.lock().await;
        let (current, creds) = {
            let state = self.state();
            (
                state.session.as_ref().map(|s| s.token.clone()),
                state.renew_with.clone(),
            )
        };
        if current.as_deref() != expired && current.is_some() {
            return Ok(true);
        }
        let Some(creds) = creds else {
            return Ok(false);
        };
        tracing::info!(target: "cube_client", "session expired; creating a new one");
        let session = self.open_session(&creds).await?;
        self.set_session(session, Some(creds));
        Ok(true)
    }

    /// Sends `req` with `token`, retrying under the policy; no renewal.
    pub(crate) async fn send<E: Endpoint>(
        &self,
        req: &E,
        token: Option<&str>,
    ) -> Result<E::Response, Error> {
        let call = Call::of::<E>();
        let span = tracing::debug_span!(
            target: "cube_client",
            "cube_call",
            endpoint = call.name,
            method = call.method,
            path = call.path,
        );
        self.send_inner(req, token, call).instrument(span).await
    }

    async fn send_inner<E: Endpoint>(
        &self,
        req: &E,
        token: Option<&str>,
        call: Call,
    ) -> Result<E::Response, Error> {
        let c = &self.inner.config;
        let http_req = req
            .try_into_http_request(&c.endpoints.api_url, token)
            .map_err(|e| Error::build(call, BuildError::Encode(e)))?;
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let result = self.attempt(&http_req).await;
            let (outcome, retry_after) = match &result {
                Ok(resp) if resp.status().is_success() => return finish(call, result),
                Ok(resp) => (
                    Outcome::Status(resp.status().as_u16()),
                    resp.headers()
                        .get(http::header::RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned),
                ),
                Err(e) if e.is_timeout() => (Outcome::Timeout, None),
                Err(e) if e.is_connect() => (Outcome::ConnectFailed, None),
                Err(_) => (Outcome::Other, None),
            };
            let decision = retry::decide(
                &c.retry,
                http_req.method(),
                outcome,
                attempt,
                retry_after.as_deref(),
                rand::random::<f64>(),
            );
            match decision {
                RetryDecision::Retry(wait) => {
                    tracing::debug!(target: "cube_client", attempt, ?outcome, ?wait, "retrying");
                    tokio::time::sleep(wait).await;
                }
                RetryDecision::GiveUp => return finish(call, result),
            }
        }
    }

    /// One attempt: the request over reqwest, the whole body read.
    async fn attempt(
        &self,
        req: &http::Request<Vec<u8>>,
    ) -> Result<http::Response<Bytes>, reqwest::Error> {
        let mut builder = self
            .inner
            .http
            .request(req.method().clone(), req.uri().to_string())
            .headers(req.headers().clone());
        if !req.body().is_empty() {
            builder = builder.body(req.body().clone());
        }
        let resp = builder.send().await?;
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = resp.bytes().await?;
        tracing::debug!(target: "cube_client", status = status.as_u16(), bytes = body.len(), "answered");
        let mut out = http::Response::new(body);
        *out.status_mut() = status;
        *out.headers_mut() = headers;
        Ok(out)
    }
}

/// The typed result of the last attempt.
fn finish<R: EndpointResponse>(
    call: Call,
    result: Result<http::Response<Bytes>, reqwest::Error>,
) -> Result<R, Error> {
    match result {
        Err(e) if e.is_timeout() => Err(Error::Timeout { call }),
        Err(source) => Err(Error::Transport { call, source }),
        Ok(resp) => R::try_from_http_response(&resp).map_err(|e| match e {
            FromHttpResponseError::Api(source) => Error::Api {
                call,
                source: Box::new(source),
            },
            other => Error::Decode {
                call,
                source: Box::new(other),
            },
        }),
    }
}
