//! Real-time chat: XMPP over WebSocket (RFC 7395) and TCP (RFC 6120, optionally TLS), on the
//! same storage and rules as the REST API.
//!
//! * [`transport`]: WebSocket or byte-stream I/O under a connection;
//! * [`conn`]: one connection's task, driving cube-xmpp's `ServerConnection` state machine
//!   (negotiation, SASL, bind, stream management) and answering its credential decisions;
//! * [`hub`]: the registry of bound resources and delivery to them;
//! * [`router`]: what a stanza does (store, route, answer), roles and privacy enforced;
//! * [`store`]: SCRAM credentials, privacy lists, offline queue and last activity in SQLite;
//! * [`tls`]: rustls server configuration from PEM files, direct TLS and STARTTLS.
//!
//! # TLS on the TCP listener
//!
//! Without `--tls-cert`/`--tls-key` the TCP listener is plain XMPP (meant for loopback).
//! With them, the one TCP port serves both forms, told apart by the client's first byte (a
//! TLS ClientHello starts with 0x16, an XMPP stream with `<`): direct TLS (`xmpps://`, the
//! cloud's 5223 form), and plain XMPP that offers STARTTLS (RFC 6120 §5). By default
//! ([`StartTlsPolicy::RequiredExceptLoopback`]) STARTTLS is required before SASL for peers
//! that are not on loopback (credentials never cross a network in clear) and optional on
//! loopback (local tools and load generators may stay plain).
//!
//! User JIDs are `{user_id}-{app_id}@{domain}`, rooms `{app_id}_{dialog_id}@muc.{domain}`.

pub mod conn;
pub mod hub;
pub mod router;
pub mod saver;
pub mod store;
pub mod tls;
pub mod transport;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{State, WebSocketUpgrade};
use axum::response::Response;
use cube_xmpp::StartTlsOffer;
use cube_xmpp::server::DetachedSession;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use self::hub::{Hub, Session};
use self::router::Router;
use self::transport::Transport;
use crate::service::Service;
use cube_xmpp::Stanza;

/// Bounds on what one connection, one user and the whole server may use.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ChatLimits {
    /// The largest stanza accepted, in bytes.
    pub max_stanza_bytes: usize,
    /// Stanzas per second one connection may send (sustained); faster senders are slowed down.
    pub stanzas_per_second: u32,
    /// Stanzas one connection may send in a burst above the sustained rate.
    pub burst: u32,
    /// Connections one user may hold at once.
    pub connections_per_user: usize,
    /// Connections the server holds at once.
    pub connections_total: usize,
    /// Stanzas waiting to be written to one connection; a reader this slow is disconnected.
    pub outgoing_queue: usize,
    /// Stanzas kept per offline user (the oldest are dropped beyond this).
    pub offline_per_user: usize,
    /// A connection silent this long is pinged.
    pub idle_ping: Duration,
    /// A pinged connection still silent this long after the ping is closed.
    pub idle_close: Duration,
    /// How long a dropped stream-management session waits to be resumed.
    pub resume_timeout: Duration,
    /// The longest a write to one connection may block before it is given up.
    pub write_timeout: Duration,
    /// A connection not bound this long after it was accepted is closed.
    pub negotiation_timeout: Duration,
}

impl Default for ChatLimits {
    fn default() -> Self {
        Self {
            max_stanza_bytes: 256 * 1024,
            stanzas_per_second: 10_000,
            burst: 20_000,
            connections_per_user: 32,
            connections_total: 20_000,
            outgoing_queue: 4_096,
            offline_per_user: 1_000,
            idle_ping: Duration::from_secs(120),
            idle_close: Duration::from_secs(30),
            resume_timeout: Duration::from_secs(120),
            write_timeout: Duration::from_secs(20),
            negotiation_timeout: Duration::from_secs(30),
        }
    }
}

/// PEM files for TLS on the TCP listener.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// The certificate chain.
    pub cert: PathBuf,
    /// The private key.
    pub key: PathBuf,
}

/// Whether plain TCP connections must upgrade with STARTTLS before SASL (when TLS is
/// configured; without a certificate STARTTLS is not offered at all).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum StartTlsPolicy {
    /// Required for peers not on loopback, optional on loopback (the default).
    #[default]
    RequiredExceptLoopback,
    /// Required for every peer.
    Required,
    /// Offered, never required.
    Optional,
}

impl StartTlsPolicy {
    /// What a plain TCP connection from this peer is offered.
    pub fn offer(self, peer: std::net::IpAddr) -> StartTlsOffer {
        let loopback = match peer {
            std::net::IpAddr::V6(v6) => v6
                .to_ipv4_mapped()
                .map_or(v6.is_loopback(), |v4| v4.is_loopback()),
            std::net::IpAddr::V4(v4) => v4.is_loopback(),
        };
        match self {
            Self::Required => StartTlsOffer::Required,
            Self::RequiredExceptLoopback if !loopback => StartTlsOffer::Required,
            _ => StartTlsOffer::Optional,
        }
    }
}

/// How chat is served.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct ChatOptions {
    /// XMPP over WebSocket listener.
    pub ws: Option<SocketAddr>,
    /// XMPP over TCP listener.
    pub tcp: Option<SocketAddr>,
    /// TLS on the TCP listener, direct and STARTTLS (plain TCP without).
    pub tls: Option<TlsFiles>,
    /// When STARTTLS is required on plain TCP connections (with `tls`).
    pub starttls: StartTlsPolicy,
    /// Limits.
    pub limits: ChatLimits,
}

impl ChatOptions {
    /// Listeners on these addresses with the default limits.
    pub fn new(ws: Option<SocketAddr>, tcp: Option<SocketAddr>) -> Self {
        Self {
            ws,
            tcp,
            ..Self::default()
        }
    }

    /// Builder: TLS on the TCP listener.
    pub fn with_tls(mut self, tls: Option<TlsFiles>) -> Self {
        self.tls = tls;
        self
    }

    /// Builder: when STARTTLS is required on plain TCP connections.
    pub fn with_starttls(mut self, policy: StartTlsPolicy) -> Self {
        self.starttls = policy;
        self
    }

    /// Builder: limits.
    pub fn with_limits(mut self, limits: ChatLimits) -> Self {
        self.limits = limits;
        self
    }
}

/// Why chat did not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ChatError {
    /// A listener could not be bound.
    #[error("cannot listen on {addr}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// The TLS certificate or key is unusable.
    #[error("cannot load the TLS certificate or key")]
    Tls(#[source] std::io::Error),
    /// The chat tables could not be created.
    #[error("cannot prepare chat storage")]
    Store(#[source] crate::domain::Error),
}

/// A session parked after its connection dropped, waiting for resumption.
#[derive(Debug)]
pub(crate) struct Parked {
    pub(crate) detached: DetachedSession,
    pub(crate) session: Arc<Session>,
    pub(crate) rx: mpsc::Receiver<hub::Queued>,
    pub(crate) app_id: i64,
    pub(crate) user_id: i64,
    /// The routing numbers of the unacknowledged stanzas worth keeping, in order.
    pub(crate) unacked_seqs: Vec<u64>,
}

/// Everything the connections share.
#[derive(Debug)]
pub struct ChatCore {
    router: Router,
    limits: ChatLimits,
    epoch: tokio::time::Instant,
    parked: Mutex<HashMap<String, Parked>>,
    /// Resumable sessions whose connection is still up, by stream management id.
    resumable: Mutex<HashMap<String, Arc<Session>>>,
    park_notify: tokio::sync::Notify,
    tls: Option<Arc<tokio_rustls::rustls::ServerConfig>>,
    starttls: StartTlsPolicy,
    /// One permit per open connection (bound or not), `connections_total` in all.
    connections: Arc<tokio::sync::Semaphore>,
    stop: watch::Receiver<bool>,
}

impl ChatCore {
    /// The shared state over this service with these limits.
    pub fn new(service: Service, limits: ChatLimits, stop: watch::Receiver<bool>) -> Self {
        let hub = Arc::new(Hub::new(
            limits.connections_per_user,
            limits.connections_total,
            limits.outgoing_queue,
        ));
        service.set_presence(&hub);
        Self {
            router: Router::new(service, hub, limits.offline_per_user),
            epoch: tokio::time::Instant::now(),
            parked: Mutex::new(HashMap::new()),
            resumable: Mutex::new(HashMap::new()),
            park_notify: tokio::sync::Notify::new(),
            tls: None,
            starttls: StartTlsPolicy::default(),
            connections: Arc::new(tokio::sync::Semaphore::new(limits.connections_total)),
            stop,
            limits,
        }
    }

    /// Resolves when the server is stopping.
    pub(crate) async fn stopping(&self) {
        stopped(self.stop.clone()).await;
    }

    /// A permit for one more connection; none when the server holds the most it may.
    pub(crate) fn admit(&self) -> Option<tokio::sync::OwnedSemaphorePermit> {
        self.connections.clone().try_acquire_owned().ok()
    }

    /// The router.
    pub fn router(&self) -> &Router {
        &self.router
    }

    /// The hub.
    pub fn hub(&self) -> &Arc<Hub> {
        self.router.hub()
    }

    /// The limits.
    pub fn limits(&self) -> &ChatLimits {
        &self.limits
    }

    /// Milliseconds since the chat side started (the state machines' clock).
    pub(crate) fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn parked(&self) -> std::sync::MutexGuard<'_, HashMap<String, Parked>> {
        self.parked
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Parks a dropped session for resumption; after the timeout its undelivered stanzas go
    /// to the offline queue.
    pub(crate) fn park(self: &Arc<Self>, parked: Parked) {
        let id = parked.detached.id.clone();
        self.parked().insert(id.clone(), parked);
        self.forget_resumable(&id);
        self.park_notify.notify_waiters();
        let core = self.clone();
        let wait = self.limits.resume_timeout;
        tokio::spawn(async move {
            tokio::time::sleep(wait).await;
            let expired = core.parked().remove(&id);
            if let Some(p) = expired {
                core.release(p).await;
            }
        });
    }

    /// Puts back a parked session taken by mistake (its expiry timer still runs).
    pub(crate) fn park_again(&self, parked: Parked) {
        let id = parked.detached.id.clone();
        self.parked().insert(id, parked);
    }

    fn resumable(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Session>>> {
        self.resumable
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Notes a live session that may be resumed under this stream management id.
    pub(crate) fn note_resumable(&self, id: &str, session: Arc<Session>) {
        self.resumable().insert(id.to_owned(), session);
    }

    /// Forgets a stream management id (its session was parked or ended).
    pub(crate) fn forget_resumable(&self, id: &str) {
        self.resumable().remove(id);
    }

    /// Takes a parked session to resume it. When its old connection is still up (it has not
    /// noticed the client is gone), that connection is told to let go and this waits, up to a
    /// bound, until it has parked the session.
    pub(crate) async fn unpark(&self, id: &str) -> Option<Parked> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        loop {
            let notified = self.park_notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some(p) = self.parked().remove(id) {
                return Some(p);
            }
            let live = self.resumable().get(id).cloned();
            let session = live?;
            session.take_over();
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return self.parked().remove(id);
            }
        }
    }

    /// Ends a parked session for good: unregisters it and keeps what it did not deliver.
    pub(crate) async fn release(&self, mut p: Parked) {
        let floor = p.session.registered();
        let mut undelivered = number_unacked(
            p.detached.unacked.drain(..).collect(),
            &p.unacked_seqs,
            floor,
        );
        while let Ok(q) = p.rx.try_recv() {
            undelivered.push(q);
        }
        self.finish(&p.session, undelivered).await;
    }

    /// A session is over: unregister it and record last activity if it was the user's last.
    /// What it did not deliver goes to the user's sessions that did not get their own copy
    /// (bound after it was routed), or to the offline queue when none is connected.
    pub(crate) async fn finish(&self, session: &Session, undelivered: Vec<hub::Queued>) {
        let (app, user) = (session.app_id, session.user_id);
        let last = self.hub().unregister(session);
        let live = self.hub().sessions(app, user);
        if !live.is_empty() {
            for (seq, stanza) in undelivered {
                if !router::worth_keeping(&stanza) {
                    continue;
                }
                for s in live.iter().filter(|s| s.missed(seq)) {
                    s.send(stanza.clone());
                }
            }
        } else if !undelivered.is_empty() {
            let stanzas = undelivered.into_iter().map(|(_, s)| s).collect();
            self.router.requeue(app, user, stanzas).await;
            // A session of the user bound meanwhile (a reconnect that did not resume) gets
            // them now rather than at its next login.
            let live = self.hub().sessions(app, user);
            if let Some(first) = live.first() {
                for stanza in self.router.offline_for(first).await {
                    for s in &live {
                        s.send(stanza.clone());
                    }
                }
            }
        }
        if last {
            self.router.went_offline(app, user).await;
        }
    }
}

/// Pairs the unacknowledged stanzas worth keeping with their routing numbers: they are the
/// last ones of `seqs` (the numbers of what was sent, in order); missing numbers get `floor`.
pub(crate) fn number_unacked(unacked: Vec<Stanza>, seqs: &[u64], floor: u64) -> Vec<hub::Queued> {
    let kept: Vec<Stanza> = unacked.into_iter().filter(router::worth_keeping).collect();
    let known = &seqs[seqs.len().saturating_sub(kept.len())..];
    let missing = kept.len() - known.len();
    kept.into_iter()
        .enumerate()
        .map(|(i, s)| {
            let seq = i
                .checked_sub(missing)
                .and_then(|j| known.get(j).copied())
                .unwrap_or(floor);
            (seq, s)
        })
        .collect()
}

/// The running chat listeners.
#[derive(Debug)]
pub struct ChatServer {
    /// The bound WebSocket address.
    pub ws_addr: Option<SocketAddr>,
    /// The bound TCP address.
    pub tcp_addr: Option<SocketAddr>,
    /// The shared state.
    pub core: Arc<ChatCore>,
    /// The listener and event tasks.
    pub tasks: Vec<JoinHandle<()>>,
}

async fn bind(addr: SocketAddr) -> Result<TcpListener, ChatError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| ChatError::Bind { addr, source })
}

fn local(listener: &TcpListener, addr: SocketAddr) -> Result<SocketAddr, ChatError> {
    listener
        .local_addr()
        .map_err(|source| ChatError::Bind { addr, source })
}

async fn stopped(mut stop: watch::Receiver<bool>) {
    while !*stop.borrow() {
        if stop.changed().await.is_err() {
            return;
        }
    }
}

async fn ws_upgrade(State(core): State<Arc<ChatCore>>, ws: WebSocketUpgrade) -> Response {
    let Some(permit) = core.admit() else {
        return axum::response::IntoResponse::into_response((
            http::StatusCode::SERVICE_UNAVAILABLE,
            "too many connections",
        ));
    };
    // Above the stanza limit, so that an oversized stanza gets an XMPP stream error from the
    // parser rather than a bare WebSocket close.
    let max = core
        .limits
        .max_stanza_bytes
        .saturating_mul(2)
        .saturating_add(16 * 1024);
    ws.protocols(["xmpp"])
        .max_message_size(max)
        .max_frame_size(max)
        .on_upgrade(move |socket| async move {
            let _permit = permit;
            conn::run(
                core,
                Transport::Ws(Box::new(socket)),
                cube_xmpp::Framing::WebSocket,
                StartTlsOffer::Off,
            )
            .await;
        })
}

/// Starts the chat listeners and the delivery of REST events; they stop when `stop` turns
/// true.
pub async fn start(
    service: Service,
    options: ChatOptions,
    stop: watch::Receiver<bool>,
) -> Result<ChatServer, ChatError> {
    service
        .write(store::ensure_schema)
        .await
        .map_err(ChatError::Store)?;
    let mut core = ChatCore::new(service.clone(), options.limits.clone(), stop.clone());
    if let Some(files) = &options.tls {
        core.tls = Some(tls::server_config(files).map_err(ChatError::Tls)?);
    }
    core.starttls = options.starttls;
    let core = Arc::new(core);
    let mut tasks = Vec::new();

    let mut events = service.subscribe_events();
    let event_core = core.clone();
    let event_stop = stop.clone();
    tasks.push(tokio::spawn(async move {
        loop {
            tokio::select! {
                ev = events.recv() => match ev {
                    Ok(ev) => event_core.router.on_event(ev).await,
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                        tracing::warn!(missed = n, "chat fell behind REST events");
                    }
                    Err(_) => break,
                },
                () = stopped(event_stop.clone()) => break,
            }
        }
    }));

    let mut ws_addr = None;
    if let Some(addr) = options.ws {
        let listener = bind(addr).await?;
        ws_addr = Some(local(&listener, addr)?);
        let app = axum::Router::new()
            .fallback(axum::routing::get(ws_upgrade))
            .with_state(core.clone());
        let ws_stop = stop.clone();
        let ws_core = core.clone();
        tasks.push(tokio::spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(async move {
                stopped(ws_stop).await;
                ws_core.hub().kick_all();
            });
            if let Err(e) = serve.await {
                tracing::error!(error = %e, "chat WebSocket listener failed");
            }
        }));
    }

    let mut tcp_addr = None;
    if let Some(addr) = options.tcp {
        let listener = bind(addr).await?;
        tcp_addr = Some(local(&listener, addr)?);
        let tcp_core = core.clone();
        let tcp_stop = stop.clone();
        tasks.push(tokio::spawn(async move {
            loop {
                tokio::select! {
                    accepted = listener.accept() => {
                        let Ok((stream, peer)) = accepted else { continue };
                        // Beyond the connection bound, a new socket is closed at once.
                        let Some(permit) = tcp_core.admit() else { continue };
                        let _ = stream.set_nodelay(true);
                        let core = tcp_core.clone();
                        tokio::spawn(async move {
                            let _permit = permit;
                            let Some(cfg) = core.tls.clone() else {
                                let plain = Transport::Stream(Box::new(stream));
                                let off = StartTlsOffer::Off;
                                conn::run(core, plain, cube_xmpp::Framing::Tcp, off).await;
                                return;
                            };
                            let wait = core.limits.negotiation_timeout;
                            let (transport, offer) = match tls::sniff(&stream, wait).await {
                                Some(tls::Hello::Tls) => match tls::accept(cfg, stream).await {
                                    Some(s) => (Transport::Stream(s), StartTlsOffer::Off),
                                    None => return,
                                },
                                Some(tls::Hello::Xmpp) => (
                                    Transport::Stream(Box::new(stream)),
                                    core.starttls.offer(peer.ip()),
                                ),
                                None => return,
                            };
                            conn::run(core, transport, cube_xmpp::Framing::Tcp, offer).await;
                        });
                    }
                    () = stopped(tcp_stop.clone()) => {
                        tcp_core.hub().kick_all();
                        break;
                    }
                }
            }
        }));
    }

    Ok(ChatServer {
        ws_addr,
        tcp_addr,
        core,
        tasks,
    })
}

#[cfg(test)]
mod tests {
    use cube_xmpp::stanza::{Iq, IqPayload, Message};

    use super::*;

    fn msg(body: &str) -> Stanza {
        Stanza::Message(Message::default().with_body(body))
    }

    #[test]
    fn unacked_messages_take_the_last_routing_numbers() {
        let ping = Stanza::Iq(Iq::get("p", IqPayload::Ping));
        let unacked = vec![msg("a"), ping, msg("b"), msg("c")];
        let numbered = number_unacked(unacked.clone(), &[3, 7, 9], 1);
        let seqs: Vec<u64> = numbered.iter().map(|(s, _)| *s).collect();
        assert_eq!(seqs, [3, 7, 9], "iq answers are not kept");
        let numbered = number_unacked(unacked, &[9], 1);
        let seqs: Vec<u64> = numbered.iter().map(|(s, _)| *s).collect();
        assert_eq!(seqs, [1, 1, 9], "unknown numbers fall back to the floor");
    }

    #[test]
    fn starttls_is_required_off_loopback_by_default() {
        let lo: std::net::IpAddr = "127.0.0.1".parse().unwrap();
        let lo6: std::net::IpAddr = "::1".parse().unwrap();
        let mapped: std::net::IpAddr = "::ffff:127.0.0.1".parse().unwrap();
        let lan: std::net::IpAddr = "192.168.1.20".parse().unwrap();
        let policy = StartTlsPolicy::default();
        for ip in [lo, lo6, mapped] {
            assert_eq!(policy.offer(ip), StartTlsOffer::Optional, "{ip}");
        }
        assert_eq!(policy.offer(lan), StartTlsOffer::Required);
        assert_eq!(StartTlsPolicy::Required.offer(lo), StartTlsOffer::Required);
        assert_eq!(StartTlsPolicy::Optional.offer(lan), StartTlsOffer::Optional);
    }

    #[test]
    fn limits_default_to_bounded_values() {
        let l = ChatLimits::default();
        assert!(l.max_stanza_bytes > 0 && l.outgoing_queue > 0 && l.connections_total > 0);
    }
}
