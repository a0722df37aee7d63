//! `cube serve`: the local server, with the flags and environment variables of DESIGN.md.

use std::io::Write;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use cube_server::{AppSpec, Location, Server, ServerConfig};

/// Flags of `cube serve`; each also reads a `CUBE_*` environment variable.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// REST listener address (port 0 picks a free port).
    #[arg(long, env = "CUBE_HTTP", default_value = "127.0.0.1:8080", value_parser = parse_addr)]
    http: SocketAddr,
    /// XMPP over WebSocket listener (RFC 7395, subprotocol `xmpp`).
    #[arg(long, env = "CUBE_WS", default_value = "127.0.0.1:5291", value_parser = parse_addr)]
    ws: SocketAddr,
    /// XMPP over TCP listener (RFC 6120 c2s; direct TLS with --tls-cert/--tls-key).
    #[arg(long, env = "CUBE_TCP", default_value = "127.0.0.1:5222", value_parser = parse_addr)]
    tcp: SocketAddr,
    /// SQLite database file, or `:memory:` for a throw-away server.
    #[arg(long, env = "CUBE_DB", default_value = "cube-data/cube.sqlite3")]
    db: String,
    /// Chat domain: user JIDs `{user_id}-{app_id}@DOMAIN`.
    #[arg(long, env = "CUBE_DOMAIN", default_value = "localhost")]
    domain: String,
    /// An application as ID:AUTH_KEY:AUTH_SECRET (repeatable; comma-separated in CUBE_APP).
    #[arg(long = "app", env = "CUBE_APP", value_delimiter = ',', value_parser = parse_app)]
    apps: Vec<AppSpec>,
    /// Per-application settings, a TOML file with one `[app.ID]` table per application.
    #[arg(long, env = "CUBE_APP_CONFIG")]
    app_config: Option<PathBuf>,
    /// TLS certificate chain (PEM) for direct TLS on the chat TCP listener.
    #[arg(long, env = "CUBE_TLS_CERT", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// TLS private key (PEM) for the chat TCP listener.
    #[arg(long, env = "CUBE_TLS_KEY", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Session token lifetime in seconds (sliding).
    #[arg(long, env = "CUBE_TOKEN_LIFETIME", default_value_t = 7200)]
    token_lifetime: u64,
}

fn parse_addr(s: &str) -> Result<SocketAddr, String> {
    s.to_socket_addrs()
        .map_err(|e| format!("{s}: {e}"))?
        .next()
        .ok_or_else(|| format!("{s}: no address"))
}

fn parse_app(s: &str) -> Result<AppSpec, String> {
    s.parse()
        .map_err(|e: cube_server::StartError| e.to_string())
}

/// Starts the server, prints its addresses and `ready`, and serves until Ctrl-C or SIGTERM.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let mut config = ServerConfig {
        http: args.http,
        ws: Some(args.ws),
        tcp: Some(args.tcp),
        db: Location::parse(&args.db),
        domain: args.domain,
        apps: args.apps,
        token_lifetime: Duration::from_secs(args.token_lifetime.max(1)),
        tls: match (args.tls_cert, args.tls_key) {
            (Some(cert), Some(key)) => Some(cube_server::chat::TlsFiles { cert, key }),
            _ => None,
        },
        ..ServerConfig::default()
    };
    if let Some(path) = &args.app_config {
        config.load_app_settings(path)?;
    }
    let server = Server::start(config).await.context("starting the server")?;
    let mut out = std::io::stdout().lock();
    if let Some(app) = server.dev_app() {
        writeln!(
            out,
            "created development application: id {} auth_key {} auth_secret {}",
            app.id, app.auth_key, app.auth_secret
        )?;
    }
    writeln!(out, "rest {}", server.rest_url())?;
    writeln!(out, "ws ws://{}", server.ws_addr().unwrap_or(args.ws))?;
    writeln!(out, "tcp {}", server.tcp_addr().unwrap_or(args.tcp))?;
    writeln!(out, "ready")?;
    out.flush()?;
    drop(out);
    wait_for_stop().await?;
    server.shutdown().await;
    Ok(())
}

/// Waits for Ctrl-C or, on Unix, SIGTERM.
async fn wait_for_stop() -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .context("installing the SIGTERM handler")?;
        tokio::select! {
            r = tokio::signal::ctrl_c() => r.context("waiting for Ctrl-C")?,
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    tokio::signal::ctrl_c()
        .await
        .context("waiting for Ctrl-C")?;
    Ok(())
}
