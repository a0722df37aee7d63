//! A throw-away cube-server per test, and clients pointed at it.

use std::sync::Arc;
use std::time::Duration;

use cube_client::{Client, RetryPolicy, SessionCredentials, User, UserParams};
use cube_server::clock::ManualClock;
use cube_server::{RunningServer, Server, ServerConfig};

pub const APP_ID: u64 = 385;
pub const AUTH_KEY: &str = "DFBMs9-8NlwQbfY";
pub const AUTH_SECRET: &str = "Kz8dsH-f7zUxnHg";

/// A started server and the clock it runs on.
pub struct TestServer {
    pub server: RunningServer,
    pub clock: ManualClock,
}

/// A clock for the client that reads the server's manual clock (signatures are dated with it).
#[derive(Debug)]
pub struct SharedManualClock(pub ManualClock);

impl cube_client::Clock for SharedManualClock {
    fn now_unix(&self) -> i64 {
        use cube_server::clock::Clock as _;
        self.0.now_secs()
    }
}

impl TestServer {
    /// A server on ephemeral ports with an in-memory database and one application.
    pub async fn start() -> Self {
        Self::start_with(|c| c).await
    }

    /// As [`TestServer::start`], with the configuration adjusted by `f`.
    pub async fn start_with(f: impl FnOnce(ServerConfig) -> ServerConfig) -> Self {
        // The server's clock starts at the real time: chat messages carry the sender's clock
        // (`date_sent`), and the history catch-up compares the two.
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis();
        let clock = ManualClock::new(i64::try_from(now).unwrap());
        let mut config = ServerConfig::ephemeral().with_app(APP_ID as i64, AUTH_KEY, AUTH_SECRET);
        config.clock = Arc::new(clock.clone());
        config.create_dev_app = false;
        let server = Server::start(f(config)).await.expect("server starts");
        TestServer { server, clock }
    }

    /// The chat URL (WebSocket when served, else a closed port).
    pub fn ws_url(&self) -> String {
        self.server
            .ws_addr()
            .map_or_else(|| "ws://127.0.0.1:9".to_owned(), |a| format!("ws://{a}"))
    }

    /// A client of the application, without a session.
    pub fn client(&self) -> Client {
        Client::builder(APP_ID, AUTH_KEY)
            .local(self.server.rest_url(), self.ws_url(), "localhost")
            .retry_policy(RetryPolicy {
                max_attempts: 2,
                base_delay: Duration::from_millis(10),
                max_delay: Duration::from_millis(50),
            })
            .clock(Arc::new(SharedManualClock(self.clock.clone())))
            .build()
            .expect("client builds")
    }

    /// A client that signs its session requests.
    pub fn signing_client(&self) -> Client {
        Client::builder(APP_ID, AUTH_KEY)
            .auth_secret(AUTH_SECRET)
            .local(self.server.rest_url(), self.ws_url(), "localhost")
            .clock(Arc::new(SharedManualClock(self.clock.clone())))
            .build()
            .expect("client builds")
    }

    /// Signs `login` up (password `{login}-pass`) and returns a client logged in as that user.
    pub async fn user(&self, login: &str) -> (Client, User) {
        let client = self.client();
        let user = client
            .users()
            .sign_up(
                UserParams::new()
                    .with_login(login)
                    .with_password(format!("{login}-pass"))
                    .with_full_name(format!("User {login}")),
            )
            .await
            .expect("sign-up");
        client
            .create_session(SessionCredentials::login(login, format!("{login}-pass")))
            .await
            .expect("user session");
        (client, user)
    }
}
