//! `cube bench rest`: drives a server over loopback with N concurrent clients and prints
//! requests per second and p50/p99 latency per operation.
//!
//! Each client holds one keep-alive HTTP/1.1 connection (hyper's connection API, no pooling
//! layers) so that the load generator spends as little CPU as possible on a machine it shares
//! with the server.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::{Context as _, anyhow, bail};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};

/// `cube bench ...`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    target: Target,
}

#[derive(Debug, clap::Subcommand)]
enum Target {
    /// The REST API: session creation, dialog listing, message creation, history reads.
    Rest(RestArgs),
    /// Chat over XMPP/TCP against any server: 1:1 pairs or a group room, rate and latency.
    Chat(crate::bench_chat::ChatArgs),
    /// Sign up the users (and a group dialog) `cube bench chat` needs on a cube server.
    Setup(crate::bench_chat::SetupArgs),
}

/// `cube bench rest`.
#[derive(Debug, clap::Args)]
struct RestArgs {
    /// The server (`http://127.0.0.1:8080`); without it, one is started in-process on a
    /// temporary file database.
    #[arg(long, env = "CUBE_URL")]
    url: Option<String>,
    /// The application as ID:AUTH_KEY (needed with --url).
    #[arg(long, env = "CUBE_BENCH_APP")]
    app: Option<String>,
    /// Concurrent clients.
    #[arg(long, default_value_t = 50)]
    clients: usize,
    /// Requests per client and operation.
    #[arg(long, default_value_t = 200)]
    requests: usize,
    /// Operations to run, in order.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "session,list,create,history"
    )]
    ops: Vec<Op>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Op {
    /// `POST /session` (application sessions).
    Session,
    /// `GET /chat/Dialog`.
    List,
    /// `POST /chat/Message` (durable: answered after commit).
    Create,
    /// `GET /chat/Message` (20 newest, not marking read).
    History,
}

/// One keep-alive connection.
struct Conn {
    sender: SendRequest<Full<Bytes>>,
    host: String,
}

impl Conn {
    async fn open(addr: SocketAddr) -> anyhow::Result<Self> {
        let stream = tokio::net::TcpStream::connect(addr)
            .await
            .with_context(|| format!("connecting to {addr}"))?;
        stream.set_nodelay(true)?;
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(Self {
            sender,
            host: addr.to_string(),
        })
    }

    async fn call(
        &mut self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> anyhow::Result<(u16, Bytes)> {
        self.sender.ready().await?;
        let mut req = http::Request::builder()
            .method(method)
            .uri(path)
            .header(http::header::HOST, &self.host);
        if let Some(t) = token {
            req = req.header("CB-Token", t);
        }
        let payload = match body {
            Some(v) => {
                req = req.header(http::header::CONTENT_TYPE, "application/json");
                Bytes::from(v.to_string())
            }
            None => Bytes::new(),
        };
        let resp = self
            .sender
            .send_request(req.body(Full::new(payload))?)
            .await?;
        let status = resp.status().as_u16();
        let bytes = resp.into_body().collect().await?.to_bytes();
        Ok((status, bytes))
    }

    async fn json(
        &mut self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> anyhow::Result<Value> {
        let (status, bytes) = self.call(method, path, token, body).await?;
        if !(200..300).contains(&status) {
            bail!(
                "{method} {path}: {status} {}",
                String::from_utf8_lossy(&bytes)
            );
        }
        Ok(serde_json::from_slice(&bytes)?)
    }
}

struct Client {
    conn: Conn,
    token: String,
    dialog: String,
}

/// Runs the benchmark.
pub async fn run(args: Args) -> anyhow::Result<()> {
    match args.target {
        Target::Rest(a) => rest(a).await,
        Target::Chat(a) => crate::bench_chat::chat(a).await,
        Target::Setup(a) => crate::bench_chat::setup(a).await,
    }
}

fn address(url: &str) -> anyhow::Result<SocketAddr> {
    use std::net::ToSocketAddrs;
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| anyhow!("only http:// URLs: {url}"))?;
    let authority = rest.split('/').next().unwrap_or(rest);
    authority
        .to_socket_addrs()?
        .next()
        .ok_or_else(|| anyhow!("no address for {url}"))
}

async fn rest(args: RestArgs) -> anyhow::Result<()> {
    // The in-process server (and its temporary directory) live until the end of the run.
    let mut local: Option<(cube_server::RunningServer, tempfile::TempDir)> = None;
    let (addr, app_id, auth_key) = if let Some(url) = &args.url {
        let app = args
            .app
            .as_deref()
            .context("--app ID:AUTH_KEY is needed with --url")?;
        let (id, key) = app.split_once(':').context("--app is ID:AUTH_KEY")?;
        (address(url)?, id.parse::<i64>()?, key.to_owned())
    } else {
        let dir = tempfile::tempdir()?;
        let mut config =
            cube_server::ServerConfig::ephemeral().with_app(1, "bench-key", "bench-secret");
        config.db = cube_server::Location::File(dir.path().join("bench.sqlite3"));
        config.ws = None;
        config.tcp = None;
        let server = cube_server::Server::start(config).await?;
        let addr = server.rest_addr();
        local = Some((server, dir));
        (addr, 1, "bench-key".to_owned())
    };
    let clients = args.clients.max(1);
    println!(
        "cube bench rest: {clients} clients x {} requests per operation against http://{addr}",
        args.requests
    );

    // Set-up: one user session and one group dialog (with the next user) per client.
    let run = Instant::now().elapsed().as_nanos() ^ u128::from(std::process::id());
    let mut users: Vec<(Conn, String, i64)> = Vec::with_capacity(clients);
    for i in 0..clients {
        let mut conn = Conn::open(addr).await?;
        let body = json!({"application_id": app_id, "auth_key": auth_key,
            "user": {"login": format!("bench-{run:x}-{i}"), "password": "bench-password"}});
        let s = conn
            .json("POST", "/session.json", None, Some(&body))
            .await?;
        let token = s["session"]["token"]
            .as_str()
            .context("no token")?
            .to_owned();
        let id = s["session"]["user_id"].as_i64().context("no user id")?;
        users.push((conn, token, id));
    }
    let ids: Vec<i64> = users.iter().map(|u| u.2).collect();
    let mut all = Vec::with_capacity(clients);
    for (i, (mut conn, token, _)) in users.into_iter().enumerate() {
        let other = ids[(i + 1) % clients];
        let body = json!({"type": 2, "name": format!("bench {i}"), "occupants_ids": [other]});
        let d = conn
            .json("POST", "/chat/Dialog.json", Some(&token), Some(&body))
            .await?;
        let dialog = d["_id"].as_str().context("no dialog id")?.to_owned();
        all.push(Client {
            conn,
            token,
            dialog,
        });
    }
    println!(
        "{:<9} {:>9} {:>10} {:>9} {:>9}",
        "operation", "requests", "req/s", "p50 ms", "p99 ms"
    );
    for op in &args.ops {
        let started = Instant::now();
        let mut tasks = Vec::with_capacity(clients);
        for mut c in all.drain(..) {
            let (op, n) = (*op, args.requests);
            let (app_id, auth_key) = (app_id, auth_key.clone());
            tasks.push(tokio::spawn(async move {
                let mut latencies = Vec::with_capacity(n);
                let session_body = json!({"application_id": app_id, "auth_key": auth_key});
                let message = json!({"chat_dialog_id": c.dialog, "message": "benchmark message"});
                let history = format!("/chat/Message.json?chat_dialog_id={}&limit=20&sort_desc=date_sent&mark_as_read=0", c.dialog);
                for _ in 0..n {
                    let t0 = Instant::now();
                    let (status, _) = match op {
                        Op::Session => c.conn.call("POST", "/session.json", None, Some(&session_body)).await?,
                        Op::List => c.conn.call("GET", "/chat/Dialog.json", Some(&c.token), None).await?,
                        Op::Create => c.conn.call("POST", "/chat/Message.json", Some(&c.token), Some(&message)).await?,
                        Op::History => c.conn.call("GET", &history, Some(&c.token), None).await?,
                    };
                    if !(200..300).contains(&status) {
                        bail!("{op:?} answered {status}");
                    }
                    latencies.push(t0.elapsed());
                }
                Ok::<_, anyhow::Error>((c, latencies))
            }));
        }
        let mut latencies: Vec<Duration> = Vec::with_capacity(clients * args.requests);
        for t in tasks {
            let (c, l) = t.await??;
            all.push(c);
            latencies.extend(l);
        }
        let elapsed = started.elapsed().as_secs_f64();
        latencies.sort_unstable();
        let pct = |p: usize| {
            latencies
                .get((latencies.len() * p / 100).min(latencies.len().saturating_sub(1)))
                .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
        };
        println!(
            "{:<9} {:>9} {:>10.0} {:>9.2} {:>9.2}",
            format!("{op:?}").to_lowercase(),
            latencies.len(),
            latencies.len() as f64 / elapsed,
            pct(50),
            pct(99)
        );
    }
    if let Some((server, _dir)) = local {
        server.shutdown().await;
    }
    Ok(())
}
