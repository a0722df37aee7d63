//! `cube bench chat`: a load generator for any XMPP server over TCP with SASL PLAIN, and
//! `cube bench setup`: the users (and group dialog) it needs on a cube server.
//!
//! The generator only talks to a socket: it knows nothing of cube-server, so the same run
//! measures Prosody or the ConnectyCube cloud. Every connection is one tokio task driving
//! cube-xmpp's [`ClientConnection`] (the I/O-free client state machine) over a `TcpStream`.
//!
//! Each message body starts with the run id, the sender's index, a sequence number and the
//! send time (microseconds since the run started, on this process's monotonic clock), so the
//! receiving task measures the latency itself. Senders keep at most `--window` messages in
//! flight: a slot frees when every expected receiver has the message.
//!
//! Users are numbered `i = FIRST .. FIRST + USERS` (`--first-index`, 0 by default). In 1:1
//! mode the senders are the first N users and sender `k` writes to user `N + k`. In group mode
//! (`--group K`) the first K users send to the room and the next `--receivers R` users only
//! receive; every receiver must get every message (senders' own echoes are not counted).

use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, anyhow, bail};
use cube_client::xmpp::sasl::Password;
use cube_client::xmpp::stanza::MessageType;
use cube_client::xmpp::{
    ClientConfig, ClientConnection, ClientEvent, ExtraParams, Framing, Jid, Message, Presence,
    Stanza,
};
use futures_util::StreamExt as _;
use serde_json::json;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio::sync::{Notify, Semaphore, mpsc, watch};

/// `cube bench chat`.
#[derive(Debug, clap::Args)]
pub struct ChatArgs {
    /// The server's XMPP TCP listener (plain c2s), HOST:PORT.
    #[arg(long)]
    addr: String,
    /// The XMPP domain of the users (the part after `@`).
    #[arg(long, default_value = "localhost")]
    domain: String,
    /// 1:1 mode: N sender -> receiver pairs (2N users).
    #[arg(long, default_value_t = 50)]
    pairs: usize,
    /// Messages each sender sends.
    #[arg(long, default_value_t = 200)]
    messages: usize,
    /// Messages each sender keeps in flight (sent, not yet received by every receiver).
    #[arg(long, default_value_t = 10)]
    window: usize,
    /// Body size in bytes (at least what the sequence number and timestamp need).
    #[arg(long, default_value_t = 64)]
    body_size: usize,
    /// The JID node (and SASL user name) of user `i`: `{i}` is the user's index, `{id}` the
    /// index-th line of --ids (e.g. `{id}-1` for cube-server, `u{i}` for Prosody).
    #[arg(long, default_value = "{i}")]
    user_pattern: String,
    /// The password of user `i`, with the same placeholders.
    #[arg(long, default_value = "pw{i}")]
    password_pattern: String,
    /// The index of the first user (use 1 for 1-based numbering).
    #[arg(long, default_value_t = 0)]
    first_index: usize,
    /// A file of user ids, one a line, for `{id}` (what `cube bench setup` writes); line 1
    /// belongs to the first user.
    #[arg(long)]
    ids: Option<PathBuf>,
    /// Group mode: K senders write to one room (--room) and every receiver gets everything.
    #[arg(long, value_name = "K")]
    group: Option<usize>,
    /// Group mode: users that only receive.
    #[arg(long, default_value_t = 20)]
    receivers: usize,
    /// Group mode: the room's bare JID (cube-server: `{app}_{dialog}@muc.{domain}`).
    #[arg(long)]
    room: Option<String>,
    /// Group mode: join the room with MUC presence first (Prosody; cube-server needs none).
    #[arg(long)]
    muc_join: bool,
    /// Add ConnectyCube's extraParams save_to_history=1 to every message.
    #[arg(long)]
    save_to_history: bool,
    /// Bound of each phase in seconds (logging in; sending and receiving): never hang.
    #[arg(long, default_value_t = 60)]
    timeout: u64,
    /// A name for the server in the output (e.g. `cube`, `prosody`).
    #[arg(long, default_value = "server")]
    label: String,
    /// Print one JSON object on one line instead of text.
    #[arg(long)]
    json: bool,
}

/// `cube bench setup`.
#[derive(Debug, clap::Args)]
pub struct SetupArgs {
    /// The cube server's REST URL (`http://127.0.0.1:8080`).
    #[arg(long)]
    url: String,
    /// The application id.
    #[arg(long)]
    app_id: u64,
    /// The application's auth key.
    #[arg(long)]
    auth_key: String,
    /// The chat domain (for the room JID printed).
    #[arg(long, default_value = "localhost")]
    domain: String,
    /// How many users to sign up.
    #[arg(long)]
    users: usize,
    /// The password of user `i` (`{i}`; at least 8 characters).
    #[arg(long, default_value = "bench-pw-{i}")]
    password_pattern: String,
    /// The index of the first user.
    #[arg(long, default_value_t = 0)]
    first_index: usize,
    /// Also create one group dialog with every user as occupant and print its room JID.
    #[arg(long)]
    group: bool,
    /// Where to write the user ids, one a line (for `cube bench chat --ids`).
    #[arg(long)]
    ids_out: PathBuf,
}

fn expand(pattern: &str, i: usize, id: Option<&str>) -> String {
    let s = pattern.replace("{i}", &i.to_string());
    match id {
        Some(id) => s.replace("{id}", id),
        None => s,
    }
}

/// Signs up the users (and the group dialog) a benchmark of a cube server needs.
pub async fn setup(args: SetupArgs) -> anyhow::Result<()> {
    let client = cube_client::Client::builder(args.app_id, args.auth_key.as_str())
        .local(args.url.as_str(), "ws://127.0.0.1:9", args.domain.as_str())
        .build()?;
    client.create_app_session().await?;
    // Logins must be new on a server that already has users from an earlier run.
    let run = run_id();
    let logins: Vec<(String, String)> = (0..args.users)
        .map(|k| {
            let i = args.first_index + k;
            (
                format!("bench-{run:08x}-{i}"),
                expand(&args.password_pattern, i, None),
            )
        })
        .collect();
    let started = Instant::now();
    // A few at once: the server hashes every password (argon2) on a shared machine.
    let mut ids = futures_util::stream::iter(logins.iter().map(|(login, password)| {
        let client = &client;
        async move {
            let params = cube_client::UserParams::new()
                .with_login(login.as_str())
                .with_password(password.as_str());
            client
                .users()
                .sign_up(params)
                .await
                .with_context(|| format!("signing up {login}"))
                .map(|u| u.id)
        }
    }))
    .buffered(4)
    .collect::<Vec<_>>()
    .await
    .into_iter()
    .collect::<Result<Vec<_>, _>>()?;
    let mut text = String::new();
    for id in &ids {
        writeln!(text, "{id}")?;
    }
    std::fs::write(&args.ids_out, text)
        .with_context(|| format!("writing {}", args.ids_out.display()))?;
    println!(
        "signed up {} users in {:.1} s",
        ids.len(),
        started.elapsed().as_secs_f64()
    );
    println!("ids {}", args.ids_out.display());
    println!("user-pattern {{id}}-{}", args.app_id);
    if args.group && !ids.is_empty() {
        let (login, password) = &logins[0];
        client
            .create_user_session(login.as_str(), password.as_str())
            .await?;
        let owner = ids.remove(0);
        let dialog = client.dialogs().create_group("bench room", ids).await?;
        let _ = owner;
        println!("room {}_{}@muc.{}", args.app_id, dialog.id, args.domain);
    }
    Ok(())
}

/// A run id that differs between runs (wall clock and pid): it tells this run's messages
/// from a room's history and keeps stanza ids unique across runs.
fn run_id() -> u32 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    (nanos as u32) ^ std::process::id().rotate_left(16)
}

/// What one sender needs: its window and, per message, how many receivers still wait for it.
struct SenderState {
    window: Semaphore,
    remaining: Vec<AtomicU32>,
}

/// State shared by every connection task of a run.
struct Shared {
    t0: Instant,
    run: u32,
    senders: Vec<SenderState>,
    expected_deliveries: u64,
    delivered: AtomicU64,
    duplicates: AtomicU64,
    errors: AtomicU64,
    first_error: std::sync::Mutex<Option<String>>,
    done: Notify,
}

impl Shared {
    fn now_ms(&self) -> u64 {
        self.t0.elapsed().as_millis() as u64
    }

    fn now_us(&self) -> u64 {
        self.t0.elapsed().as_micros() as u64
    }

    fn error(&self, text: String) {
        self.errors.fetch_add(1, Ordering::Relaxed);
        let mut first = self
            .first_error
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        first.get_or_insert(text);
    }

    /// A receiver got message `seq` of `sender`; frees the sender's slot when it was the
    /// last receiver waiting for it.
    fn delivered(&self, sender: usize, seq: usize) {
        let s = &self.senders[sender];
        if s.remaining[seq].fetch_sub(1, Ordering::AcqRel) == 1 {
            s.window.add_permits(1);
        }
        if self.delivered.fetch_add(1, Ordering::AcqRel) + 1 == self.expected_deliveries {
            self.done.notify_one();
        }
    }
}

/// What one connection does.
struct Role {
    /// Sends as this sender index, to this JID with this type.
    send: Option<(usize, Jid, MessageType)>,
    /// Counts messages of these sender indices.
    expect: std::ops::Range<usize>,
    /// Joins this MUC occupant JID before reporting ready.
    join: Option<Jid>,
}

struct User {
    jid: Jid,
    password: String,
}

/// Runs `cube bench chat`.
pub async fn chat(args: ChatArgs) -> anyhow::Result<()> {
    let addr = tokio::net::lookup_host(&args.addr)
        .await
        .with_context(|| format!("resolving {}", args.addr))?
        .next()
        .ok_or_else(|| anyhow!("no address for {}", args.addr))?;
    let ids: Option<Vec<String>> = match &args.ids {
        Some(path) => Some(
            std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect(),
        ),
        None => None,
    };
    let (n_senders, n_receivers) = match args.group {
        Some(k) => (k, args.receivers),
        None => (args.pairs, args.pairs),
    };
    if n_senders == 0 || n_receivers == 0 || args.messages == 0 || args.window == 0 {
        bail!("--pairs (or --group and --receivers), --messages and --window must be positive");
    }
    let total = n_senders + n_receivers;
    let users = (0..total)
        .map(|k| {
            let id = match &ids {
                Some(ids) => Some(ids.get(k).map(String::as_str).ok_or_else(|| {
                    anyhow!(
                        "--ids has {} lines; this run needs {total} users",
                        ids.len()
                    )
                })?),
                None => None,
            };
            let i = args.first_index + k;
            let node = expand(&args.user_pattern, i, id);
            let jid: Jid = format!("{node}@{}", args.domain)
                .parse()
                .map_err(|e| anyhow!("user {i}: {node}@{}: {e}", args.domain))?;
            Ok(User {
                jid,
                password: expand(&args.password_pattern, i, id),
            })
        })
        .collect::<anyhow::Result<Vec<User>>>()?;
    let room: Option<Jid> = match (args.group, &args.room) {
        (Some(_), Some(r)) => Some(r.parse().map_err(|e| anyhow!("--room {r}: {e}"))?),
        (Some(_), None) => bail!("--group needs --room"),
        (None, _) => None,
    };

    // 1:1: one receiver per message; group: every receiver.
    let per_message = if room.is_some() {
        n_receivers as u32
    } else {
        1
    };
    let shared = Arc::new(Shared {
        t0: Instant::now(),
        run: run_id(),
        senders: (0..n_senders)
            .map(|_| SenderState {
                window: Semaphore::new(args.window),
                remaining: (0..args.messages)
                    .map(|_| AtomicU32::new(per_message))
                    .collect(),
            })
            .collect(),
        expected_deliveries: (n_senders * args.messages) as u64 * u64::from(per_message),
        delivered: AtomicU64::new(0),
        duplicates: AtomicU64::new(0),
        errors: AtomicU64::new(0),
        first_error: std::sync::Mutex::new(None),
        done: Notify::new(),
    });

    let mode = if args.group.is_some() { "group" } else { "1:1" };
    if !args.json {
        println!(
            "cube bench chat: {mode}, {n_senders} senders x {} messages to {n_receivers} receivers, \
             window {}, body {} B{} against {} ({})",
            args.messages,
            args.window,
            args.body_size,
            if args.save_to_history {
                ", save_to_history"
            } else {
                ""
            },
            addr,
            args.label
        );
    }

    let (start_tx, start_rx) = watch::channel(false);
    let (stop_tx, stop_rx) = watch::channel(false);
    let (status_tx, mut status_rx) = mpsc::unbounded_channel::<Result<(), String>>();
    let jids: Vec<Jid> = users.iter().map(|u| u.jid.clone()).collect();
    let mut tasks = Vec::with_capacity(total);
    for (k, user) in users.into_iter().enumerate() {
        let role = match &room {
            Some(room) => Role {
                send: (k < n_senders).then(|| (k, room.clone(), MessageType::Groupchat)),
                expect: if k < n_senders { 0..0 } else { 0..n_senders },
                join: if args.muc_join {
                    let nick = user.jid.node().unwrap_or("user").to_owned();
                    Some(
                        room.with_resource(&nick)
                            .map_err(|e| anyhow!("room occupant {nick}: {e}"))?,
                    )
                } else {
                    None
                },
            },
            None => Role {
                send: (k < n_senders).then(|| (k, jids[k + n_senders].clone(), MessageType::Chat)),
                expect: if k < n_senders {
                    0..0
                } else {
                    (k - n_senders)..(k - n_senders + 1)
                },
                join: None,
            },
        };
        let job = Job {
            shared: Arc::clone(&shared),
            user,
            role,
            messages: args.messages,
            body_size: args.body_size,
            save_to_history: args.save_to_history,
            entropy_seed: k as u64,
        };
        let (start, stop, status) = (start_rx.clone(), stop_rx.clone(), status_tx.clone());
        tasks.push(tokio::spawn(async move {
            let r = job.run(addr, start, stop, &status).await;
            if let Err(e) = &r {
                let _ = status.send(Err(format!("{e:#}")));
            }
            r
        }));
    }
    drop(status_tx);

    // Phase 1: every user logged in (and in the room), within the timeout.
    let phase = Duration::from_secs(args.timeout.max(1));
    let connect_started = Instant::now();
    let deadline = tokio::time::Instant::now() + phase;
    let mut ready = 0;
    let mut failure: Option<String> = None;
    while ready < total {
        match tokio::time::timeout_at(deadline, status_rx.recv()).await {
            Ok(Some(Ok(()))) => ready += 1,
            Ok(Some(Err(e))) => {
                failure = Some(format!("a connection failed while logging in: {e}"));
                break;
            }
            Ok(None) => {
                failure = Some("every connection ended before logging in".to_owned());
                break;
            }
            Err(_) => {
                failure = Some(format!(
                    "only {ready} of {total} users logged in within {phase:?}"
                ));
                break;
            }
        }
    }
    let connect_s = connect_started.elapsed().as_secs_f64();

    // Phase 2: send and receive everything, within the timeout.
    let started_us = shared.now_us();
    let mut end_us = started_us;
    if failure.is_none() {
        let _ = start_tx.send(true);
        let deadline = tokio::time::Instant::now() + phase;
        loop {
            tokio::select! {
                () = shared.done.notified() => break,
                status = status_rx.recv() => match status {
                    Some(Ok(())) => {}
                    Some(Err(e)) => {
                        failure = Some(format!("a connection failed during the run: {e}"));
                        break;
                    }
                    None => {
                        failure = Some("every connection ended during the run".to_owned());
                        break;
                    }
                },
                () = tokio::time::sleep_until(deadline) => {
                    failure = Some(format!("not every message was delivered within {phase:?}"));
                    break;
                }
            }
        }
        end_us = shared.now_us();
    }
    let _ = stop_tx.send(true);
    let mut latencies: Vec<u32> = Vec::new();
    let mut sent = 0_u64;
    // Every task ends at `stop`; one bound for all of them covers a task stuck in a connect
    // or a write, which is then aborted.
    let join_deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    for t in tasks {
        let abort = t.abort_handle();
        match tokio::time::timeout_at(join_deadline, t).await {
            Ok(Ok(Ok(outcome))) => {
                latencies.extend(outcome.latencies_us);
                sent += outcome.sent;
            }
            Ok(_) => {}
            Err(_) => abort.abort(),
        }
    }
    latencies.sort_unstable();

    let delivered = shared.delivered.load(Ordering::Acquire);
    let expected = shared.expected_deliveries;
    let duplicates = shared.duplicates.load(Ordering::Relaxed);
    let errors = shared.errors.load(Ordering::Relaxed);
    let elapsed_s = (end_us.saturating_sub(started_us)) as f64 / 1e6;
    let rate = if elapsed_s > 0.0 {
        delivered as f64 / elapsed_s
    } else {
        0.0
    };
    let pct = |p: f64| percentile_ms(&latencies, p);
    let ok = failure.is_none() && delivered == expected && errors == 0 && duplicates == 0;
    let first_error = shared
        .first_error
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();
    if args.json {
        let line = json!({
            "server": args.label,
            "mode": mode,
            "addr": addr.to_string(),
            "senders": n_senders,
            "receivers": n_receivers,
            "messages_per_sender": args.messages,
            "window": args.window,
            "body_size": args.body_size,
            "save_to_history": args.save_to_history,
            "sent": sent,
            "expected": expected,
            "delivered": delivered,
            "duplicates": duplicates,
            "errors": errors,
            "connect_s": round3(connect_s),
            "elapsed_s": round3(elapsed_s),
            "delivered_per_s": rate.round(),
            "sent_per_s": if elapsed_s > 0.0 { (sent as f64 / elapsed_s).round() } else { 0.0 },
            "p50_ms": round3(pct(0.50)),
            "p95_ms": round3(pct(0.95)),
            "p99_ms": round3(pct(0.99)),
            "max_ms": round3(pct(1.0)),
            "ok": ok,
            "failure": failure.clone().or(first_error.clone()),
        });
        println!("{line}");
    } else {
        println!("logged in {total} users in {connect_s:.2} s");
        println!(
            "delivered {delivered}/{expected} ({sent} sent, {duplicates} duplicates, {errors} \
             errors) in {elapsed_s:.2} s: {rate:.0} deliveries/s"
        );
        println!(
            "latency ms: p50 {:.2}  p95 {:.2}  p99 {:.2}  max {:.2}",
            pct(0.50),
            pct(0.95),
            pct(0.99),
            pct(1.0)
        );
    }
    if let Some(f) = failure {
        bail!("{f} ({delivered} of {expected} deliveries)");
    }
    if let Some(e) = first_error {
        bail!("{errors} error stanzas; the first: {e}");
    }
    if delivered != expected || duplicates != 0 {
        bail!("{delivered} of {expected} deliveries, {duplicates} duplicates");
    }
    Ok(())
}

/// What a message body carries.
#[derive(Debug, PartialEq, Eq)]
struct Stamp {
    run: u32,
    sender: usize,
    seq: usize,
    /// Send time, microseconds since the run started.
    t: u64,
}

/// The body of message `seq`: run, sender, sequence, send time (µs), padded with `x` to
/// `size` bytes.
fn body(run: u32, sender: usize, seq: usize, t: u64, size: usize) -> String {
    let mut body = format!("{run:08x} {sender} {seq} {t} ");
    while body.len() < size {
        body.push('x');
    }
    body
}

/// Reads what [`body`] wrote; `None` for any other body.
fn parse_body(body: &str) -> Option<Stamp> {
    let mut parts = body.split(' ');
    Some(Stamp {
        run: u32::from_str_radix(parts.next()?, 16).ok()?,
        sender: parts.next()?.parse().ok()?,
        seq: parts.next()?.parse().ok()?,
        t: parts.next()?.parse().ok()?,
    })
}

/// The `p`-quantile (0..=1, nearest rank) of sorted microseconds, in milliseconds.
fn percentile_ms(sorted_us: &[u32], p: f64) -> f64 {
    if sorted_us.is_empty() {
        return 0.0;
    }
    let rank = (sorted_us.len() as f64 * p).ceil() as usize;
    f64::from(sorted_us[rank.clamp(1, sorted_us.len()) - 1]) / 1000.0
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// One connection's work.
struct Job {
    shared: Arc<Shared>,
    user: User,
    role: Role,
    messages: usize,
    body_size: usize,
    save_to_history: bool,
    entropy_seed: u64,
}

/// What one connection measured.
struct Outcome {
    latencies_us: Vec<u32>,
    sent: u64,
}

impl Job {
    fn config(&self) -> ClientConfig {
        let mut config = ClientConfig::new(
            self.user.jid.clone(),
            Password::new(self.user.password.clone()),
            Framing::Tcp,
        )
        .with_mechanisms(false, true)
        .with_stream_management(false, false)
        .with_ping(None, 20_000);
        // One resource per user: carbons would only add work to the server.
        config.carbons = false;
        config.initial_presence = true;
        config
    }

    fn body(&self, sender: usize, seq: usize) -> String {
        body(
            self.shared.run,
            sender,
            seq,
            self.shared.now_us(),
            self.body_size,
        )
    }

    fn message(&self, sender: usize, seq: usize, to: &Jid, kind: MessageType) -> Message {
        // A 24-hex id, as the JS SDK sends (cube-server keeps it as the stored `_id`).
        let id = format!("{:08x}{:08x}{:08x}", self.shared.run, sender, seq);
        let mut m = Message::new(kind)
            .with_to(to.clone())
            .with_id(id)
            .with_body(self.body(sender, seq));
        if self.save_to_history {
            m = m.with_extra_params(ExtraParams::new().with("save_to_history", "1"));
        }
        m
    }

    /// Counts a received message when it is one this connection waits for.
    fn on_message(&self, m: &Message, seen: &mut [Vec<bool>], latencies: &mut Vec<u32>) {
        if m.kind == Some(MessageType::Error) || m.error.is_some() {
            let text = m
                .error
                .as_ref()
                .map_or_else(|| "an error message".to_owned(), |e| format!("{e:?}"));
            self.shared.error(text);
            return;
        }
        let Some(body) = m.body.as_deref() else {
            return;
        };
        let Some(Stamp {
            run,
            sender,
            seq,
            t,
        }) = parse_body(body)
        else {
            return;
        };
        if run != self.shared.run || !self.role.expect.contains(&sender) || seq >= self.messages {
            return;
        }
        let slot = &mut seen[sender - self.role.expect.start][seq];
        if *slot {
            self.shared.duplicates.fetch_add(1, Ordering::Relaxed);
            return;
        }
        *slot = true;
        let latency = self.shared.now_us().saturating_sub(t);
        latencies.push(u32::try_from(latency).unwrap_or(u32::MAX));
        self.shared.delivered(sender, seq);
    }

    async fn run(
        self,
        addr: std::net::SocketAddr,
        mut start: watch::Receiver<bool>,
        mut stop: watch::Receiver<bool>,
        status: &mpsc::UnboundedSender<Result<(), String>>,
    ) -> anyhow::Result<Outcome> {
        let jid = self.user.jid.to_string();
        let stream = TcpStream::connect(addr)
            .await
            .with_context(|| format!("{jid}: connecting to {addr}"))?;
        stream.set_nodelay(true)?;
        let (mut rd, mut wr) = stream.into_split();
        // The entropy seeds iq ids and SCRAM nonces only; PLAIN is used and nothing here is
        // secret, so a per-connection constant is enough for a load generator.
        let mut entropy = [0_u8; 32];
        entropy[..8].copy_from_slice(&self.entropy_seed.to_le_bytes());
        entropy[8..12].copy_from_slice(&self.shared.run.to_le_bytes());
        let mut conn = ClientConnection::new(self.config(), entropy, self.shared.now_ms());

        let mut buf = vec![0_u8; 64 * 1024];
        let mut out: Vec<u8> = Vec::with_capacity(16 * 1024);
        let mut seen: Vec<Vec<bool>> = self
            .role
            .expect
            .clone()
            .map(|_| vec![false; self.messages])
            .collect();
        let mut latencies = Vec::with_capacity(seen.len() * self.messages);
        let mut online = false;
        let mut joined = self.role.join.is_none();
        let mut reported = false;
        let mut started = false;
        let mut next = 0_usize;
        let window = self
            .role
            .send
            .as_ref()
            .map(|s| &self.shared.senders[s.0].window);
        loop {
            // Drain events (they may queue output), then write everything queued at once.
            while let Some(event) = conn.poll_event() {
                match event {
                    ClientEvent::Online { .. } => {
                        online = true;
                        if let Some(occupant) = &self.role.join {
                            conn.send(Presence::muc_join(occupant.clone()))
                                .map_err(|e| anyhow!("{jid}: joining the room: {e}"))?;
                        }
                    }
                    ClientEvent::Stanza(Stanza::Message(m)) => {
                        self.on_message(&m, &mut seen, &mut latencies);
                    }
                    ClientEvent::Stanza(Stanza::Presence(p)) => {
                        if let (Some(occupant), Some(from)) = (&self.role.join, &p.from) {
                            if from == occupant {
                                if p.error.is_some() {
                                    bail!("{jid}: the room refused the join: {:?}", p.error);
                                }
                                joined = true;
                            }
                        }
                    }
                    ClientEvent::Closed(reason) => {
                        if *stop.borrow() {
                            return Ok(Outcome {
                                latencies_us: latencies,
                                sent: next as u64,
                            });
                        }
                        bail!("{jid}: the stream closed: {reason:?}");
                    }
                    _ => {}
                }
            }
            while let Some(bytes) = conn.poll_transmit() {
                out.extend_from_slice(&bytes);
            }
            if !out.is_empty() {
                wr.write_all(&out)
                    .await
                    .with_context(|| format!("{jid}: writing"))?;
                out.clear();
            }
            if online && joined && !reported {
                reported = true;
                let _ = status.send(Ok(()));
            }
            if !started && *start.borrow() {
                started = true;
            }
            let can_send = started && next < self.messages && window.is_some();
            let timeout = conn.poll_timeout();
            tokio::select! {
                biased;
                _ = stop.changed() => {
                    conn.close();
                    while let Some(bytes) = conn.poll_transmit() {
                        out.extend_from_slice(&bytes);
                    }
                    let _ = tokio::time::timeout(Duration::from_secs(1), wr.write_all(&out)).await;
                    return Ok(Outcome { latencies_us: latencies, sent: next as u64 });
                }
                r = rd.read(&mut buf) => {
                    let n = r.with_context(|| format!("{jid}: reading"))?;
                    if n == 0 {
                        conn.connection_lost();
                        if *stop.borrow() {
                            continue;
                        }
                        bail!("{jid}: the server closed the connection");
                    }
                    conn.handle_input(&buf[..n], self.shared.now_ms());
                }
                _ = start.changed(), if !started => {}
                permit = async { window.expect("a sender").acquire().await }, if can_send => {
                    permit.context("window closed")?.forget();
                    let Some((sender, to, kind)) = &self.role.send else { continue };
                    let mut batch = 1;
                    // Fill the free part of the window in one write.
                    while next + batch < self.messages
                        && window.is_some_and(|w| w.try_acquire().map(tokio::sync::SemaphorePermit::forget).is_ok())
                    {
                        batch += 1;
                    }
                    for _ in 0..batch {
                        let m = self.message(*sender, next, to, kind.clone());
                        conn.send(m).map_err(|e| anyhow!("{jid}: sending: {e}"))?;
                        next += 1;
                    }
                }
                () = async {
                    match timeout {
                        Some(at) => {
                            let wait = at.saturating_sub(self.shared.now_ms());
                            tokio::time::sleep(Duration::from_millis(wait)).await;
                        }
                        None => std::future::pending().await,
                    }
                } => conn.handle_timeout(self.shared.now_ms()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_expand_index_and_id() {
        assert_eq!(expand("u{i}", 7, None), "u7");
        assert_eq!(expand("{id}-1", 7, Some("42")), "42-1");
        assert_eq!(expand("pw{i}-{id}", 0, Some("9")), "pw0-9");
        assert_eq!(expand("{id}-1", 3, None), "{id}-1");
    }

    #[test]
    fn bodies_round_trip_and_are_padded() {
        let b = body(0xdead_beef, 3, 199, 1_234_567, 64);
        assert_eq!(b.len(), 64);
        assert_eq!(
            parse_body(&b),
            Some(Stamp {
                run: 0xdead_beef,
                sender: 3,
                seq: 199,
                t: 1_234_567
            })
        );
        // A body shorter than its stamp is not cut.
        let short = body(1, 2, 3, 4, 0);
        assert_eq!(parse_body(&short).map(|s| s.t), Some(4));
    }

    #[test]
    fn foreign_bodies_are_ignored() {
        assert_eq!(parse_body("hello"), None);
        assert_eq!(parse_body(""), None);
        assert_eq!(parse_body("zz 1 2 3 "), None);
        assert_eq!(parse_body("0000000a 1 2"), None);
    }

    #[test]
    fn percentiles_use_nearest_rank() {
        let us: Vec<u32> = (1..=100).map(|x| x * 1000).collect();
        assert!((percentile_ms(&us, 0.50) - 50.0).abs() < f64::EPSILON);
        assert!((percentile_ms(&us, 0.99) - 99.0).abs() < f64::EPSILON);
        assert!((percentile_ms(&us, 1.0) - 100.0).abs() < f64::EPSILON);
        assert!((percentile_ms(&us, 0.0) - 1.0).abs() < f64::EPSILON);
        assert!(percentile_ms(&[], 0.5).abs() < f64::EPSILON);
    }
}
