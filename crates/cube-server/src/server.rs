//! Starting and stopping the server: configuration, applications, listeners.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::clock::{SharedClock, SystemClock};
use crate::domain::apps::{self, AppSettings, Application};
use crate::domain::sessions;
use crate::ids;
use crate::service::{PasswordParams, Service, ServiceConfig};
use crate::store::{Location, Store, StoreError};

/// The default session token lifetime: 2 hours, sliding.
pub const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(2 * 3600);

/// Why the server did not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// The database could not be opened or migrated.
    #[error("cannot open the database")]
    Store(#[from] StoreError),
    /// Applications could not be stored.
    #[error("cannot set up applications")]
    Domain(#[from] crate::domain::Error),
    /// The chat listeners could not start.
    #[error("cannot start chat")]
    Chat(#[from] crate::chat::ChatError),
    /// A listener could not be bound.
    #[error("cannot listen on {addr}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// An application spec is malformed.
    #[error("invalid application {0:?}: expected ID:AUTH_KEY:AUTH_SECRET")]
    BadApp(String),
    /// The application settings file is unreadable or invalid.
    #[error("invalid application settings file {path}")]
    AppConfig {
        /// The file.
        path: String,
        /// What went wrong.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

/// An application to store at start-up.
#[derive(Clone, PartialEq)]
pub struct AppSpec {
    /// Application id.
    pub id: i64,
    /// Auth key.
    pub auth_key: String,
    /// Auth secret.
    pub auth_secret: String,
}

impl std::fmt::Debug for AppSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppSpec")
            .field("id", &self.id)
            .field("auth_key", &self.auth_key)
            .finish_non_exhaustive()
    }
}

impl std::str::FromStr for AppSpec {
    type Err = StartError;

    /// Parses `ID:AUTH_KEY:AUTH_SECRET`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || StartError::BadApp(s.split(':').take(2).collect::<Vec<_>>().join(":"));
        let mut parts = s.splitn(3, ':');
        let (Some(id), Some(key), Some(secret)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(bad());
        };
        let id: i64 = id.trim().parse().map_err(|_| bad())?;
        if id <= 0 || key.is_empty() || secret.is_empty() {
            return Err(bad());
        }
        Ok(Self {
            id,
            auth_key: key.to_owned(),
            auth_secret: secret.to_owned(),
        })
    }
}

/// How to run the server.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// REST listener (`127.0.0.1:8080`; port 0 picks a free one).
    pub http: SocketAddr,
    /// XMPP over WebSocket listener (served once chat lands).
    pub ws: Option<SocketAddr>,
    /// XMPP over TCP listener (served once chat lands).
    pub tcp: Option<SocketAddr>,
    /// Where the database lives.
    pub db: Location,
    /// Chat domain.
    pub domain: String,
    /// Applications to store (credentials replaced if they exist).
    pub apps: Vec<AppSpec>,
    /// Settings per application id (replace the stored ones).
    pub app_settings: BTreeMap<i64, AppSettings>,
    /// Create a development application when none is given or stored.
    pub create_dev_app: bool,
    /// Session token lifetime (sliding).
    pub token_lifetime: Duration,
    /// Password hashing cost.
    pub password_params: PasswordParams,
    /// The clock.
    pub clock: SharedClock,
    /// TLS on the chat TCP listener (`--tls-cert`, `--tls-key`): direct TLS, and STARTTLS on
    /// plain connections to the same port.
    pub tls: Option<crate::chat::TlsFiles>,
    /// When STARTTLS is required on plain TCP chat connections (with `tls`; by default for
    /// peers not on loopback).
    pub starttls: crate::chat::StartTlsPolicy,
    /// Chat limits: stanza size, rates, connections, queues, timeouts.
    pub chat_limits: crate::chat::ChatLimits,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            http: SocketAddr::from(([127, 0, 0, 1], 8080)),
            ws: Some(SocketAddr::from(([127, 0, 0, 1], 5291))),
            tcp: Some(SocketAddr::from(([127, 0, 0, 1], 5222))),
            db: Location::File("cube-data/cube.sqlite3".into()),
            domain: "localhost".to_owned(),
            apps: Vec::new(),
            app_settings: BTreeMap::new(),
            create_dev_app: true,
            token_lifetime: DEFAULT_TOKEN_LIFETIME,
            password_params: PasswordParams::default(),
            clock: Arc::new(SystemClock),
            tls: None,
            starttls: crate::chat::StartTlsPolicy::default(),
            chat_limits: crate::chat::ChatLimits::default(),
        }
    }
}

impl ServerConfig {
    /// A throw-away server: ephemeral ports on 127.0.0.1, `:memory:` database, cheap password
    /// hashing; for tests and demos.
    pub fn ephemeral() -> Self {
        Self {
            http: SocketAddr::from(([127, 0, 0, 1], 0)),
            ws: Some(SocketAddr::from(([127, 0, 0, 1], 0))),
            tcp: Some(SocketAddr::from(([127, 0, 0, 1], 0))),
            db: Location::Memory,
            password_params: PasswordParams::cheap(),
            ..Self::default()
        }
    }

    /// Adds an application.
    pub fn with_app(
        mut self,
        id: i64,
        auth_key: impl Into<String>,
        auth_secret: impl Into<String>,
    ) -> Self {
        self.apps.push(AppSpec {
            id,
            auth_key: auth_key.into(),
            auth_secret: auth_secret.into(),
        });
        self
    }

    /// Sets an application's settings.
    pub fn with_app_settings(mut self, id: i64, settings: AppSettings) -> Self {
        self.app_settings.insert(id, settings);
        self
    }

    /// Reads application settings from a TOML file: one `[app.ID]` table per application.
    pub fn load_app_settings(&mut self, path: &Path) -> Result<(), StartError> {
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        struct File {
            #[serde(default)]
            app: BTreeMap<String, AppSettings>,
        }
        let err = |source: Box<dyn std::error::Error + Send + Sync>| StartError::AppConfig {
            path: path.display().to_string(),
            source,
        };
        let text = std::fs::read_to_string(path).map_err(|e| err(Box::new(e)))?;
        let file: File = toml::from_str(&text).map_err(|e| err(Box::new(e)))?;
        for (id, settings) in file.app {
            let id: i64 = id
                .parse()
                .map_err(|e: std::num::ParseIntError| err(Box::new(e)))?;
            self.app_settings.insert(id, settings);
        }
        Ok(())
    }
}

/// The server entry point.
#[derive(Debug)]
pub struct Server;

impl Server {
    /// Opens the database, stores the applications, binds the listeners and starts serving.
    pub async fn start(config: ServerConfig) -> Result<RunningServer, StartError> {
        let location = config.db.clone();
        let store = tokio::task::spawn_blocking(move || Store::open(&location))
            .await
            .map_err(|_| StoreError::Panicked)??;
        let service = Service::new(
            store,
            config.clock.clone(),
            ServiceConfig {
                domain: config.domain.clone(),
                token_lifetime: config.token_lifetime,
                password_params: config.password_params,
            },
        )?;
        let now = service.now();
        let specs = config.apps.clone();
        let settings = config.app_settings.clone();
        let create_dev = config.create_dev_app;
        let dev_app = service
            .write(move |c| {
                for app in &specs {
                    apps::upsert(
                        c,
                        app.id,
                        &app.auth_key,
                        &app.auth_secret,
                        settings.get(&app.id),
                        now,
                    )?;
                }
                for (id, s) in &settings {
                    if !specs.iter().any(|a| a.id == *id) && apps::get(c, *id)?.is_some() {
                        apps::set_settings(c, *id, s)?;
                    }
                }
                if create_dev && specs.is_empty() && apps::list(c)?.is_empty() {
                    let key = ids::hex(&ids::random_bytes::<8>());
                    let secret = ids::hex(&ids::random_bytes::<12>());
                    let app = apps::upsert(c, 1, &key, &secret, settings.get(&1), now)?;
                    return Ok(Some(app));
                }
                Ok(None)
            })
            .await?;
        let listener = TcpListener::bind(config.http)
            .await
            .map_err(|source| StartError::Bind {
                addr: config.http,
                source,
            })?;
        let rest_addr = listener.local_addr().map_err(|source| StartError::Bind {
            addr: config.http,
            source,
        })?;
        let (stop_tx, stop_rx) = watch::channel(false);
        let app = crate::http::router(service.clone());
        let mut rest_stop = stop_rx.clone();
        let rest = tokio::spawn(async move {
            let app = app.into_make_service_with_connect_info::<SocketAddr>();
            let serve = axum::serve(listener, app).with_graceful_shutdown(async move {
                while rest_stop.changed().await.is_ok() {
                    if *rest_stop.borrow() {
                        break;
                    }
                }
            });
            if let Err(e) = serve.await {
                tracing::error!(error = %e, "REST listener failed");
            }
        });
        let chat_options = crate::chat::ChatOptions::new(config.ws, config.tcp)
            .with_tls(config.tls.clone())
            .with_starttls(config.starttls)
            .with_limits(config.chat_limits.clone());
        let chat = crate::chat::start(service.clone(), chat_options, stop_rx.clone()).await?;
        let purge_service = service.clone();
        let mut purge_stop = stop_rx;
        let purge = tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(600));
            loop {
                tokio::select! {
                    _ = tick.tick() => {
                        let now = purge_service.now();
                        let purged = purge_service
                            .write(move |c| {
                                sessions::purge_expired(c, now)?;
                                crate::domain::users::purge_guests(c, now)
                            })
                            .await;
                        if purged.is_ok_and(|n| n > 0) {
                            purge_service.forget_sessions();
                        }
                    }
                    changed = purge_stop.changed() => {
                        if changed.is_err() || *purge_stop.borrow() {
                            break;
                        }
                    }
                }
            }
        });
        let mut tasks = vec![rest, purge];
        tasks.extend(chat.tasks);
        Ok(RunningServer {
            rest_addr,
            ws_addr: chat.ws_addr,
            tcp_addr: chat.tcp_addr,
            service,
            dev_app,
            stop: stop_tx,
            tasks,
        })
    }
}

/// A started server: its bound addresses, its service, and a way to stop it.
#[derive(Debug)]
pub struct RunningServer {
    rest_addr: SocketAddr,
    ws_addr: Option<SocketAddr>,
    tcp_addr: Option<SocketAddr>,
    service: Service,
    dev_app: Option<Application>,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl RunningServer {
    /// The bound REST address.
    pub fn rest_addr(&self) -> SocketAddr {
        self.rest_addr
    }

    /// The REST base URL (`http://127.0.0.1:PORT`).
    pub fn rest_url(&self) -> String {
        format!("http://{}", self.rest_addr)
    }

    /// The bound XMPP-over-WebSocket address, once chat is served.
    pub fn ws_addr(&self) -> Option<SocketAddr> {
        self.ws_addr
    }

    /// The bound XMPP-over-TCP address, once chat is served.
    pub fn tcp_addr(&self) -> Option<SocketAddr> {
        self.tcp_addr
    }

    /// The service (storage, domain operations, events) the listeners share.
    pub fn service(&self) -> &Service {
        &self.service
    }

    /// The development application created at this start, if one was.
    pub fn dev_app(&self) -> Option<&Application> {
        self.dev_app.as_ref()
    }

    /// Every stored application.
    pub async fn applications(&self) -> Result<Vec<Application>, crate::domain::Error> {
        self.service.read(apps::list).await
    }

    /// Stops accepting, finishes requests in flight, and waits for the listeners to end.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
    }
}
