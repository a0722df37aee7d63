//! Where API commands point: flags, then `CUBE_*` environment variables (clap reads both),
//! then a profile file, then the ConnectyCube cloud.
//!
//! The profile file is TOML, `$CUBE_CONFIG` or `~/.config/cube/profiles.toml`:
//!
//! ```toml
//! [profile.local]
//! api_url = "http://127.0.0.1:8080"
//! chat_url = "ws://127.0.0.1:5291"
//! chat_domain = "localhost"
//! app_id = 1
//! auth_key = "..."
//! login = "alice"
//! password = "..."
//! ```

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{Context as _, bail};
use cube_client::{Client, Endpoints, SessionCredentials};

/// The target and credentials of API commands.
#[derive(Debug, Clone, clap::Args)]
pub struct Target {
    /// Profile to read from the profile file.
    #[arg(long, global = true, env = "CUBE_PROFILE")]
    profile: Option<String>,
    /// REST base URL (default: the ConnectyCube cloud).
    #[arg(long, global = true, env = "CUBE_API_URL")]
    api_url: Option<String>,
    /// Chat URL: ws://, wss://, xmpp://host:port or xmpps://host:port.
    #[arg(long, global = true, env = "CUBE_CHAT_URL")]
    chat_url: Option<String>,
    /// Chat domain (the domain of user JIDs).
    #[arg(long, global = true, env = "CUBE_CHAT_DOMAIN")]
    chat_domain: Option<String>,
    /// Application id.
    #[arg(long, global = true, env = "CUBE_APP_ID")]
    app_id: Option<u64>,
    /// Application auth key.
    #[arg(long, global = true, env = "CUBE_AUTH_KEY", hide_env_values = true)]
    auth_key: Option<String>,
    /// Application auth secret (signs session requests when given).
    #[arg(long, global = true, env = "CUBE_AUTH_SECRET", hide_env_values = true)]
    auth_secret: Option<String>,
    /// Log in as this user (with --password).
    #[arg(long, global = true, env = "CUBE_LOGIN")]
    login: Option<String>,
    /// The user's password.
    #[arg(long, global = true, env = "CUBE_PASSWORD", hide_env_values = true)]
    password: Option<String>,
    /// Use this session token instead of creating a session.
    #[arg(long, global = true, env = "CUBE_TOKEN", hide_env_values = true)]
    token: Option<String>,
}

/// One profile of the profile file.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Profile {
    api_url: Option<String>,
    chat_url: Option<String>,
    chat_domain: Option<String>,
    app_id: Option<u64>,
    auth_key: Option<String>,
    auth_secret: Option<String>,
    login: Option<String>,
    password: Option<String>,
    token: Option<String>,
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    profile: BTreeMap<String, Profile>,
}

fn profile_path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("CUBE_CONFIG") {
        return Some(PathBuf::from(p));
    }
    let home = std::env::var_os("HOME")?;
    Some(PathBuf::from(home).join(".config/cube/profiles.toml"))
}

/// Who the commands act as.
#[derive(Debug)]
pub enum Login {
    /// An application session only.
    App,
    /// A user by login and password.
    User(String, String),
    /// A given token.
    Token(String),
}

impl Target {
    /// The named profile (or `default` when the file has one), or nothing.
    fn profile(&self) -> anyhow::Result<Profile> {
        let Some(path) = profile_path() else {
            return Ok(Profile::default());
        };
        if !path.exists() {
            if let Some(name) = &self.profile {
                bail!(
                    "profile {name:?} asked for, but {} does not exist",
                    path.display()
                );
            }
            return Ok(Profile::default());
        }
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        let mut file: File =
            toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
        let name = self.profile.as_deref().unwrap_or("default");
        match file.profile.remove(name) {
            Some(p) => Ok(p),
            None if self.profile.is_none() => Ok(Profile::default()),
            None => bail!("no [profile.{name}] in {}", path.display()),
        }
    }

    /// A client for the target, and who to act as.
    pub fn client(&self) -> anyhow::Result<(Client, Login)> {
        let p = self.profile()?;
        let app_id = self.app_id.or(p.app_id).context(
            "no application id: pass --app-id, set CUBE_APP_ID, or use a profile with app_id",
        )?;
        let auth_key = self.auth_key.clone().or(p.auth_key).context(
            "no auth key: pass --auth-key, set CUBE_AUTH_KEY, or use a profile with auth_key",
        )?;
        let cloud = Endpoints::cloud();
        let endpoints = Endpoints {
            api_url: self.api_url.clone().or(p.api_url).unwrap_or(cloud.api_url),
            chat_url: self
                .chat_url
                .clone()
                .or(p.chat_url)
                .unwrap_or(cloud.chat_url),
            chat_domain: self
                .chat_domain
                .clone()
                .or(p.chat_domain)
                .unwrap_or(cloud.chat_domain),
        };
        let mut builder = Client::builder(app_id, auth_key).endpoints(endpoints);
        if let Some(secret) = self.auth_secret.clone().or(p.auth_secret) {
            builder = builder.auth_secret(secret);
        }
        let client = builder.build()?;
        let login = match (
            self.token.clone().or(p.token),
            self.login.clone().or(p.login),
            self.password.clone().or(p.password),
        ) {
            (Some(token), _, _) => Login::Token(token),
            (None, Some(login), Some(password)) => Login::User(login, password),
            (None, Some(_), None) => bail!("--login needs --password (or CUBE_PASSWORD)"),
            (None, None, _) => Login::App,
        };
        Ok((client, login))
    }

    /// A client with a session: the user's when a login is configured, else the application's.
    pub async fn session(&self, need_user: bool) -> anyhow::Result<Client> {
        let (client, login) = self.client()?;
        match login {
            Login::Token(token) => {
                client.set_token(token.clone(), None);
                if need_user {
                    // Whose token is it?
                    let s = client.session().await?;
                    client.set_token(token, (s.user_id.0 != 0).then_some(s.user_id));
                }
            }
            Login::User(login, password) => {
                client
                    .create_session(SessionCredentials::login(login, password))
                    .await?;
            }
            Login::App if need_user => {
                bail!(
                    "this command needs a user: pass --login and --password (or CUBE_LOGIN/CUBE_PASSWORD)"
                )
            }
            Login::App => {
                client.create_app_session().await?;
            }
        }
        if need_user && client.current_user_id().is_none() {
            bail!("the token is an application session: this command needs a user");
        }
        Ok(client)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_files_parse_and_reject_unknown_keys() {
        let file: File = toml::from_str(
            r#"
            [profile.local]
            api_url = "http://127.0.0.1:8080"
            chat_url = "ws://127.0.0.1:5291"
            chat_domain = "localhost"
            app_id = 1
            auth_key = "k"
            login = "alice"
            password = "p"
            "#,
        )
        .unwrap();
        let p = &file.profile["local"];
        assert_eq!(p.app_id, Some(1));
        assert_eq!(p.login.as_deref(), Some("alice"));
        assert!(toml::from_str::<File>("[profile.x]\nap_id = 1\n").is_err());
    }

    #[test]
    fn flags_build_a_client_and_refuse_half_logins() {
        use clap::Parser;
        #[derive(Debug, Parser)]
        struct Cli {
            #[command(flatten)]
            target: Target,
        }
        let cli = Cli::try_parse_from(["cube", "--profile-none-such-flag"]);
        assert!(cli.is_err(), "unknown flags are a clap error");
        let cli = Cli::try_parse_from([
            "cube",
            "--app-id",
            "5",
            "--auth-key",
            "k",
            "--api-url",
            "http://127.0.0.1:1",
            "--login",
            "alice",
        ])
        .unwrap();
        let err = cli.target.client().unwrap_err();
        assert!(err.to_string().contains("--password"), "{err}");
        let cli = Cli::try_parse_from(["cube", "--app-id", "5", "--auth-key", "k", "--token", "t"])
            .unwrap();
        let (client, login) = cli.target.client().unwrap();
        assert!(matches!(login, Login::Token(_)));
        assert_eq!(client.endpoints(), &Endpoints::cloud());
    }
}
