//! What every example needs: a server to talk to. With `CUBE_API_URL`, `CUBE_CHAT_URL`,
//! `CUBE_CHAT_DOMAIN`, `CUBE_APP_ID` and `CUBE_AUTH_KEY` set, that server (a `cube serve`, or
//! the cloud); otherwise a cube-server started inside the example on ephemeral ports.

use cube_client::{Client, ClientBuilder};
use cube_server::{RunningServer, Server, ServerConfig};

/// The server (when started here) and a builder pointed at it.
pub struct Target {
    /// The in-process server, kept alive while the example runs (dropped with it).
    _server: Option<RunningServer>,
    app_id: u64,
    auth_key: String,
    api_url: String,
    chat_url: String,
    chat_domain: String,
}

impl Target {
    /// From the environment, or a fresh in-process server.
    pub async fn get() -> anyhow::Result<Target> {
        let env = |k: &str| std::env::var(k).ok();
        if let (Some(api_url), Some(app_id), Some(auth_key)) = (
            env("CUBE_API_URL"),
            env("CUBE_APP_ID"),
            env("CUBE_AUTH_KEY"),
        ) {
            return Ok(Target {
                _server: None,
                app_id: app_id.parse()?,
                auth_key,
                api_url,
                chat_url: env("CUBE_CHAT_URL")
                    .unwrap_or_else(|| cube_client::CLOUD_CHAT_URL.to_owned()),
                chat_domain: env("CUBE_CHAT_DOMAIN").unwrap_or_else(|| "localhost".to_owned()),
            });
        }
        let server =
            Server::start(ServerConfig::ephemeral().with_app(1, "example-key", "example-secret"))
                .await?;
        let chat_url = server
            .ws_addr()
            .map(|a| format!("ws://{a}"))
            .unwrap_or_default();
        println!("(started cube-server in process at {})", server.rest_url());
        Ok(Target {
            api_url: server.rest_url(),
            _server: Some(server),
            app_id: 1,
            auth_key: "example-key".to_owned(),
            chat_url,
            chat_domain: "localhost".to_owned(),
        })
    }

    /// A client builder for the target.
    pub fn builder(&self) -> ClientBuilder {
        Client::builder(self.app_id, self.auth_key.clone()).local(
            self.api_url.clone(),
            self.chat_url.clone(),
            self.chat_domain.clone(),
        )
    }

    /// A client with a session of a new user `login` (signed up if needed).
    pub async fn user(&self, login: &str) -> anyhow::Result<(Client, cube_client::User)> {
        let client = self.builder().build()?;
        client.create_app_session().await?;
        let password = format!("{login}-example-pass");
        let user = client
            .users()
            .sign_up(
                cube_client::UserParams::new()
                    .with_login(login)
                    .with_password(password.clone()),
            )
            .await?;
        client.create_user_session(login, password).await?;
        Ok((client, user))
    }
}
