//! Where the client talks to, with which application credentials, timeouts and retry policy;
//! and the two seams onto the outside world that signing needs (clock and nonces).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use cube_auth::{AuthKey, AuthSecret, Nonce};
use cube_model::AppId;
use cube_rest::retry::RetryPolicy;

use crate::client::Client;
use crate::error::{BuildError, Call, Error};

/// The ConnectyCube cloud's REST API.
pub const CLOUD_API_URL: &str = "https://api.connectycube.com";
/// The ConnectyCube cloud's chat over WebSocket.
pub const CLOUD_CHAT_URL: &str = "wss://chat.connectycube.com:5291";
/// The ConnectyCube cloud's chat over direct TLS (what native SDKs use).
pub const CLOUD_CHAT_TLS_URL: &str = "xmpps://chat.connectycube.com:5223";
/// The ConnectyCube cloud's chat domain (the domain part of user JIDs).
pub const CLOUD_CHAT_DOMAIN: &str = "chat.connectycube.com";

/// A source of wall-clock time, in Unix seconds (signatures carry a timestamp).
pub trait Clock: Send + Sync + fmt::Debug {
    /// Seconds since the Unix epoch.
    fn now_unix(&self) -> i64;
}

/// The operating system's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_unix(&self) -> i64 {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        i64::try_from(now.as_secs()).unwrap_or(i64::MAX)
    }
}

/// A source of nonces for signed session requests.
pub trait Nonces: Send + Sync + fmt::Debug {
    /// A fresh nonce (the JS SDK draws one in `0..10000`).
    fn nonce(&self) -> Nonce;
}

/// Nonces from the thread-local random generator.
#[derive(Debug, Clone, Copy, Default)]
pub struct RandomNonces;

impl Nonces for RandomNonces {
    fn nonce(&self) -> Nonce {
        // A wider range than the JS SDK's 0..10000 makes (nonce, timestamp) collisions between
        // two sessions created in the same second unlikely; the server accepts any integer.
        Nonce::new(rand::random_range(0..1_000_000_000))
    }
}

/// How the chat connection is carried, read from the chat URL's scheme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChatTransport {
    /// `ws://` or `wss://`: XMPP over WebSocket (RFC 7395), subprotocol `xmpp`.
    WebSocket {
        /// The URL.
        url: String,
    },
    /// `xmpp://host:port` (TCP, upgraded with STARTTLS when the server offers it; see
    /// `ChatConfig::require_tls`) or `xmpps://host:port` (direct TLS, the cloud's port
    /// 5223): XMPP over TCP (RFC 6120).
    Tcp {
        /// Host name (also the TLS server name).
        host: String,
        /// Port.
        port: u16,
        /// Direct TLS (otherwise STARTTLS when offered).
        tls: bool,
    },
}

impl ChatTransport {
    /// Reads a chat URL: `ws://`, `wss://`, `xmpp://host:port` or `xmpps://host:port`.
    pub fn parse(url: &str) -> Result<Self, String> {
        let (scheme, rest) = url
            .split_once("://")
            .ok_or_else(|| format!("chat url {url:?} has no scheme"))?;
        match scheme {
            "ws" | "wss" => Ok(ChatTransport::WebSocket {
                url: url.to_owned(),
            }),
            "xmpp" | "xmpps" | "tcp" | "tls" => {
                let hostport = rest.trim_end_matches('/');
                let (host, port) = hostport
                    .rsplit_once(':')
                    .ok_or_else(|| format!("chat url {url:?} needs a port"))?;
                let port = port
                    .parse()
                    .map_err(|_| format!("chat url {url:?} has a bad port"))?;
                Ok(ChatTransport::Tcp {
                    host: host.trim_matches(['[', ']']).to_owned(),
                    port,
                    tls: matches!(scheme, "xmpps" | "tls"),
                })
            }
            other => Err(format!(
                "chat url scheme {other:?} is not ws, wss, xmpp or xmpps"
            )),
        }
    }

    /// The host the connection goes to.
    pub fn host(&self) -> String {
        match self {
            ChatTransport::WebSocket { url } => {
                let rest = url.split_once("://").map_or(url.as_str(), |(_, r)| r);
                let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
                let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
                if let Some(v6) = authority.strip_prefix('[') {
                    return v6.split(']').next().unwrap_or_default().to_owned();
                }
                authority.split(':').next().unwrap_or_default().to_owned()
            }
            ChatTransport::Tcp { host, .. } => host.clone(),
        }
    }
}

/// The addresses of one ConnectyCube deployment: the cloud by default, or a local server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    /// REST base URL, e.g. `https://api.connectycube.com` or `http://127.0.0.1:8080`.
    pub api_url: String,
    /// Chat URL: `wss://…`, `ws://…`, `xmpps://host:5223` or `xmpp://host:5222`.
    pub chat_url: String,
    /// Chat domain: the domain of user JIDs (`chat.connectycube.com`, `localhost`).
    pub chat_domain: String,
}

impl Default for Endpoints {
    fn default() -> Self {
        Endpoints::cloud()
    }
}

impl Endpoints {
    /// The ConnectyCube cloud.
    pub fn cloud() -> Self {
        Endpoints {
            api_url: CLOUD_API_URL.to_owned(),
            chat_url: CLOUD_CHAT_URL.to_owned(),
            chat_domain: CLOUD_CHAT_DOMAIN.to_owned(),
        }
    }

    /// A local server (`cube serve`), e.g. `("http://127.0.0.1:8080", "ws://127.0.0.1:5291",
    /// "localhost")`.
    pub fn local(
        api_url: impl Into<String>,
        chat_url: impl Into<String>,
        chat_domain: impl Into<String>,
    ) -> Self {
        Endpoints {
            api_url: api_url.into(),
            chat_url: chat_url.into(),
            chat_domain: chat_domain.into(),
        }
    }

    /// The MUC domain: `muc.{chat_domain}`.
    pub fn muc_domain(&self) -> String {
        format!("muc.{}", self.chat_domain)
    }
}

/// Everything a [`Client`] is configured with.
#[derive(Debug, Clone)]
pub struct Config {
    /// The application id.
    pub app_id: AppId,
    /// The application's auth key.
    pub auth_key: AuthKey,
    /// The application's auth secret: when set, session requests are signed.
    pub auth_secret: Option<AuthSecret>,
    /// Where to connect.
    pub endpoints: Endpoints,
    /// Time limit of one REST attempt (connection, request and response).
    pub request_timeout: Duration,
    /// Time limit of establishing a connection (REST and chat).
    pub connect_timeout: Duration,
    /// Retries of failed REST attempts.
    pub retry: RetryPolicy,
    /// The clock signatures are dated with.
    pub clock: Arc<dyn Clock>,
    /// The nonce source of signatures.
    pub nonces: Arc<dyn Nonces>,
}

/// Builds a [`Client`]: application credentials, endpoints, timeouts and retry policy.
///
/// ```
/// use std::time::Duration;
/// let client = cube_client::Client::builder(385, "DFBMs9-8NlwQbfY")
///     .local("http://127.0.0.1:8080", "ws://127.0.0.1:5291", "localhost")
///     .request_timeout(Duration::from_secs(10))
///     .build()?;
/// assert_eq!(client.endpoints().chat_domain, "localhost");
/// # Ok::<(), cube_client::Error>(())
/// ```
#[derive(Debug)]
#[must_use]
pub struct ClientBuilder {
    config: Config,
}

impl ClientBuilder {
    pub(crate) fn new(app_id: impl Into<AppId>, auth_key: impl Into<AuthKey>) -> Self {
        ClientBuilder {
            config: Config {
                app_id: app_id.into(),
                auth_key: auth_key.into(),
                auth_secret: None,
                endpoints: Endpoints::cloud(),
                request_timeout: Duration::from_secs(30),
                connect_timeout: Duration::from_secs(10),
                retry: RetryPolicy::default(),
                clock: Arc::new(SystemClock),
                nonces: Arc::new(RandomNonces),
            },
        }
    }

    /// Signs session requests with this secret (the 3.x SDKs' and the REST documentation's
    /// form); without it, sessions are created with the auth key alone, as current SDKs do.
    pub fn auth_secret(mut self, secret: impl Into<AuthSecret>) -> Self {
        self.config.auth_secret = Some(secret.into());
        self
    }

    /// Points the client at a local server (`cube serve`): REST URL, chat URL and chat domain.
    pub fn local(
        mut self,
        api_url: impl Into<String>,
        chat_url: impl Into<String>,
        chat_domain: impl Into<String>,
    ) -> Self {
        self.config.endpoints = Endpoints::local(api_url, chat_url, chat_domain);
        self
    }

    /// Uses these endpoints.
    pub fn endpoints(mut self, endpoints: Endpoints) -> Self {
        self.config.endpoints = endpoints;
        self
    }

    /// Sets the REST base URL only.
    pub fn api_url(mut self, url: impl Into<String>) -> Self {
        self.config.endpoints.api_url = url.into();
        self
    }

    /// Sets the chat URL only (`wss://…`, `xmpps://chat.connectycube.com:5223`, …).
    pub fn chat_url(mut self, url: impl Into<String>) -> Self {
        self.config.endpoints.chat_url = url.into();
        self
    }

    /// Sets the chat domain only.
    pub fn chat_domain(mut self, domain: impl Into<String>) -> Self {
        self.config.endpoints.chat_domain = domain.into();
        self
    }

    /// Time limit of one REST attempt (default 30 s).
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.config.request_timeout = timeout;
        self
    }

    /// Time limit of establishing a connection (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.config.connect_timeout = timeout;
        self
    }

    /// Retry policy of REST calls (default: 3 attempts, 250 ms doubling, at most 10 s).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.config.retry = policy;
        self
    }

    /// The clock signatures are dated with (default: the system clock).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.config.clock = clock;
        self
    }

    /// The nonce source of signatures (default: random).
    pub fn nonces(mut self, nonces: Arc<dyn Nonces>) -> Self {
        self.config.nonces = nonces;
        self
    }

    /// Builds the client; fails only when the HTTP client or an URL cannot be set up.
    pub fn build(self) -> Result<Client, Error> {
        let call = Call {
            name: "build",
            method: "-",
            path: "-",
        };
        ChatTransport::parse(&self.config.endpoints.chat_url)
            .map_err(|e| Error::build(call, BuildError::Config(e)))?;
        if !(self.config.endpoints.api_url.starts_with("http://")
            || self.config.endpoints.api_url.starts_with("https://"))
        {
            return Err(Error::build(
                call,
                BuildError::Config(format!(
                    "api url {:?} is not http:// or https://",
                    self.config.endpoints.api_url
                )),
            ));
        }
        Client::from_config(self.config).map_err(|e| Error::build(call, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chat_urls_pick_the_transport() {
        assert_eq!(
            ChatTransport::parse("xmpps://chat.connectycube.com:5223").unwrap(),
            ChatTransport::Tcp {
                host: "chat.connectycube.com".into(),
                port: 5223,
                tls: true
            }
        );
        assert_eq!(
            ChatTransport::parse("xmpp://127.0.0.1:5222").unwrap(),
            ChatTransport::Tcp {
                host: "127.0.0.1".into(),
                port: 5222,
                tls: false
            }
        );
        let ws = ChatTransport::parse(CLOUD_CHAT_URL).unwrap();
        assert_eq!(ws.host(), "chat.connectycube.com");
        assert_eq!(
            ChatTransport::parse("ws://localhost:5280/xmpp-websocket")
                .unwrap()
                .host(),
            "localhost"
        );
        assert!(ChatTransport::parse("http://x").is_err());
        assert!(ChatTransport::parse("xmpp://nohost").is_err());
        assert!(ChatTransport::parse("nothing").is_err());
    }

    #[test]
    fn builder_rejects_bad_urls() {
        assert!(Client::builder(1, "k").api_url("ftp://x").build().is_err());
        assert!(
            Client::builder(1, "k")
                .chat_url("gopher://x")
                .build()
                .is_err()
        );
        let c = Client::builder(1, "k").build().unwrap();
        assert_eq!(c.endpoints(), &Endpoints::cloud());
    }
}
