//! One chat connection's task: moves bytes between the transport and cube-xmpp's
//! [`ServerConnection`], answers its credential and resumption decisions from storage, and
//! connects the bound session to the hub and the router.
//!
//! The protocol (stream headers, SASL, bind, stream management) lives in the state machine;
//! this task only does I/O, timers, limits and the server's decisions.
//!
//! Saved messages are pipelined: a message to store with nothing else to apply
//! ([`router::pipelines`]) is checked and submitted to storage at once, and the task goes on
//! reading while it commits. Every stanza of the connection then waits in one FIFO, the
//! *pipeline*, whose head is released (routed, its answers sent, reported handled to the
//! machine) only once it is committed, so
//! - routing keeps the connection's order: a later stanza is never routed before an earlier
//!   saved message; any other stanza (markers, edits, deletions, iq, presence) first waits
//!   for the whole pipeline, so it also sees the earlier messages in storage;
//! - nothing is routed or acknowledged before its commit: the machine counts a stanza in the
//!   XEP-0198 `h` only once it is released ([`ServerConnection::defer_handled`]);
//! - at most `MAX_IN_FLIGHT` (64) items wait: then the task stops reading and waits for the head;
//! - when the connection ends, the pipeline is drained (committed, routed, counted) before
//!   the session is parked or finished: nothing acknowledged is lost, nothing routed twice.

use std::collections::VecDeque;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use cube_xmpp::jid::parse_user_node;
use cube_xmpp::nonza::SaslCondition;
use cube_xmpp::server::{AuthGrant, ServerConfig, ServerConnection, ServerEvent};
use cube_xmpp::stanza::{Iq, IqPayload};
use cube_xmpp::{
    CloseReason, Framing, Limits, Stanza, StartTlsOffer, StreamError, StreamErrorCondition,
};
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until};

use super::hub::{Queued, Session};
use super::router::{self, Begun};
use super::transport::Transport;
use super::{ChatCore, Parked, number_unacked, store, tls};

/// Stanzas taken from the outgoing queue per wake-up before writing.
const BATCH: usize = 64;

/// Most stanzas of one connection waiting in its pipeline (saved messages in flight).
const MAX_IN_FLIGHT: usize = 64;

/// A token bucket: `rate` stanzas per second, up to `burst` at once.
#[derive(Debug)]
struct Bucket {
    tokens: f64,
    rate: f64,
    burst: f64,
    at: Instant,
}

impl Bucket {
    fn new(rate: u32, burst: u32) -> Self {
        Self {
            tokens: f64::from(burst.max(1)),
            rate: f64::from(rate.max(1)),
            burst: f64::from(burst.max(1)),
            at: Instant::now(),
        }
    }

    /// Takes a token; how long to wait first when there is none.
    fn take(&mut self) -> Option<Duration> {
        let now = Instant::now();
        let elapsed = now.duration_since(self.at).as_secs_f64();
        self.at = now;
        self.tokens = (self.tokens + elapsed * self.rate).min(self.burst);
        self.tokens -= 1.0;
        (self.tokens < 0.0).then(|| Duration::from_secs_f64(-self.tokens / self.rate))
    }
}

/// Whether a stream's `to` names this server: the chat domain, `localhost`, or an IP literal
/// (the JS SDK puts the WebSocket URL's host there, wire.md §9 item 10).
pub fn accepts_stream_to(to: Option<&str>, domain: &str) -> bool {
    let Some(to) = to else {
        return true;
    };
    let bare = to.trim_start_matches('[').trim_end_matches(']');
    to.eq_ignore_ascii_case(domain)
        || to.eq_ignore_ascii_case("localhost")
        || bare.parse::<IpAddr>().is_ok()
}

/// The authenticated user: `(app_id, user_id)` from the SASL authcid `{user_id}-{app_id}`.
fn parse_authcid(authcid: &str) -> Option<(i64, i64)> {
    let (user, app) = parse_user_node(authcid)?;
    Some((
        i64::try_from(app.get()).ok()?,
        i64::try_from(user.get()).ok()?,
    ))
}

struct Bound {
    session: Arc<Session>,
    rx: mpsc::Receiver<Queued>,
}

struct Conn {
    core: Arc<ChatCore>,
    machine: ServerConnection,
    user: Option<(i64, i64)>,
    bound: Option<Bound>,
    bucket: Bucket,
    last_input: Instant,
    pinged: Option<Instant>,
    ping_seq: u64,
    closed: Option<CloseReason>,
    /// The machine answered `<starttls/>`: upgrade the transport once `<proceed/>` is written.
    upgrade: bool,
    sm_id: Option<String>,
    /// Routing numbers of the messages handed to the machine, oldest first (bounded): the
    /// unacknowledged ones are their suffix.
    sent_msgs: VecDeque<u64>,
    /// Stanzas started and not yet released, oldest first (see the module documentation).
    pipeline: VecDeque<Begun>,
}

/// Runs one connection to its end. `starttls`: what a plain TCP stream offers (off for
/// WebSocket and direct TLS); the transport is upgraded when the client takes it.
pub async fn run(
    core: Arc<ChatCore>,
    mut transport: Transport,
    framing: Framing,
    starttls: StartTlsOffer,
) {
    let limits = core.limits().clone();
    let mut config = ServerConfig::new(core.router().domain(), framing)
        .with_limits(Limits::default().with_max_stanza_bytes(limits.max_stanza_bytes))
        .with_starttls(starttls);
    config.negotiation_timeout_ms =
        u64::try_from(limits.negotiation_timeout.as_millis()).unwrap_or(u64::MAX);
    let mut machine =
        ServerConnection::new(config, crate::ids::random_bytes::<32>(), core.now_ms());
    machine.defer_handled();
    let mut c = Conn {
        machine,
        user: None,
        bound: None,
        bucket: Bucket::new(limits.stanzas_per_second, limits.burst),
        last_input: Instant::now(),
        pinged: None,
        ping_seq: 0,
        closed: None,
        upgrade: false,
        sm_id: None,
        sent_msgs: VecDeque::new(),
        pipeline: VecDeque::new(),
        core,
    };
    let mut buf = Vec::with_capacity(16 * 1024);
    loop {
        c.drain_events().await;
        if c.closed.is_some() {
            c.release(0).await;
        }
        if !c.flush(&mut transport).await {
            c.machine.connection_lost();
            c.drain_events().await;
        }
        if c.closed.is_some() {
            break;
        }
        if std::mem::take(&mut c.upgrade) {
            // `<proceed/>` is written: the TLS handshake runs on the same socket.
            let upgraded = match (transport.into_stream(), c.core.tls.clone()) {
                (Some(plain), Some(cfg)) => tls::upgrade(cfg, plain).await,
                _ => None,
            };
            let Some(secure) = upgraded else {
                c.machine.connection_lost();
                c.drain_events().await;
                c.release(0).await;
                c.finish().await;
                return;
            };
            transport = Transport::Stream(secure);
            c.last_input = Instant::now();
            continue;
        }
        let timeout = c.next_timer();
        let wake = {
            let (session, rx) = match c.bound.as_mut() {
                Some(b) => (Some(b.session.clone()), Some(&mut b.rx)),
                None => (None, None),
            };
            let reading = c.pipeline.len() < MAX_IN_FLIGHT;
            tokio::select! {
                got = transport.recv(&mut buf), if reading => Wake::Input(matches!(got, Ok(true))),
                () = head_committed(c.pipeline.front_mut()) => Wake::Committed,
                first = recv(rx) => Wake::Out(first.map(Box::new)),
                () = kicked(session) => Wake::Kicked,
                () = c.core.stopping() => Wake::Stopping,
                () = sleep_until(timeout) => Wake::Timer,
            }
        };
        match wake {
            Wake::Input(true) => {
                c.last_input = Instant::now();
                c.pinged = None;
                let now = c.core.now_ms();
                c.machine.handle_input(&buf, now);
            }
            Wake::Input(false) => c.machine.connection_lost(),
            Wake::Out(Some(stanza)) => {
                let (seq, stanza) = *stanza;
                c.out(seq, stanza);
                for _ in 1..BATCH {
                    let next = c.bound.as_mut().and_then(|b| b.rx.try_recv().ok());
                    match next {
                        Some((seq, s)) => c.out(seq, s),
                        None => break,
                    }
                }
            }
            Wake::Out(None) => {}
            Wake::Kicked if c.bound.as_ref().is_some_and(|b| b.session.taken_over()) => {
                // A resuming connection takes the session: drop this transport silently so
                // the session is parked for it.
                c.machine.connection_lost();
            }
            Wake::Kicked => {
                let overflowed = c.bound.as_ref().is_some_and(|b| b.session.overflowed());
                let error = if overflowed {
                    StreamError::new(StreamErrorCondition::PolicyViolation)
                        .with_text("the connection reads too slowly; outgoing queue full")
                } else {
                    StreamError::new(StreamErrorCondition::SystemShutdown)
                };
                c.machine.close_with_error(error);
            }
            Wake::Committed => c.release(usize::MAX).await,
            Wake::Timer => c.on_timer(),
            Wake::Stopping => c
                .machine
                .close_with_error(StreamError::new(StreamErrorCondition::SystemShutdown)),
        }
    }
    c.release(0).await;
    let _ = tokio::time::timeout(c.core.limits().write_timeout, transport.shutdown()).await;
    c.finish().await;
}

enum Wake {
    Stopping,
    Input(bool),
    Out(Option<Box<Queued>>),
    Kicked,
    Committed,
    Timer,
}

/// Resolves when the pipeline's head may be released; never with an empty pipeline.
async fn head_committed(head: Option<&mut Begun>) {
    match head {
        Some(Begun::Saving(saving)) => saving.committed().await,
        Some(Begun::Done(_)) => {}
        None => std::future::pending().await,
    }
}

/// The next queued stanza; never resolves without a bound session.
async fn recv(rx: Option<&mut mpsc::Receiver<Queued>>) -> Option<Queued> {
    match rx {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

/// Resolves when the session is told to close; never without a bound session.
async fn kicked(session: Option<Arc<Session>>) {
    match session {
        Some(s) => s.kicked().await,
        None => std::future::pending().await,
    }
}

/// How many routing numbers a connection remembers for unacknowledged messages.
const MAX_TRACKED: usize = 16 * 1024;

impl Conn {
    /// Releases the pipeline's head items in order: routes them, sends their answers and
    /// reports them handled. Waits for commits while more than `keep` items wait; stops at
    /// the first uncommitted one otherwise.
    async fn release(&mut self, keep: usize) {
        loop {
            let waiting = self.pipeline.len();
            match self.pipeline.front_mut() {
                None => return,
                Some(Begun::Saving(saving)) if waiting > keep => saving.committed().await,
                Some(Begun::Saving(saving)) => {
                    if !saving.is_committed() {
                        return;
                    }
                }
                Some(Begun::Done(_)) => {}
            }
            let Some(item) = self.pipeline.pop_front() else {
                return;
            };
            let replies = match (item, &self.bound) {
                (Begun::Done(replies), _) => replies,
                (Begun::Saving(saving), Some(b)) => {
                    let session = b.session.clone();
                    Box::pin(self.core.router().route_saved(&session, saving)).await
                }
                (Begun::Saving(_), None) => Vec::new(),
            };
            for reply in replies {
                self.machine.send(reply);
            }
            self.machine.handled(1);
        }
    }

    /// Hands a routed stanza to the machine, remembering its routing number.
    fn out(&mut self, seq: u64, stanza: Stanza) {
        if super::router::worth_keeping(&stanza) {
            if self.sent_msgs.len() >= MAX_TRACKED {
                self.sent_msgs.pop_front();
            }
            self.sent_msgs.push_back(seq);
        }
        self.machine.send(stanza);
    }

    fn next_timer(&self) -> Instant {
        let limits = self.core.limits();
        let mut at = match self.pinged {
            Some(p) => p + limits.idle_close,
            None => self.last_input + limits.idle_ping,
        };
        if let Some(t) = self.machine.poll_timeout() {
            let now_ms = self.core.now_ms();
            let wait = Duration::from_millis(t.saturating_sub(now_ms));
            at = at.min(Instant::now() + wait);
        }
        at
    }

    fn on_timer(&mut self) {
        let now = Instant::now();
        let limits = self.core.limits().clone();
        self.machine.handle_timeout(self.core.now_ms());
        match self.pinged {
            Some(p) if now >= p + limits.idle_close => {
                self.machine
                    .close_with_error(StreamError::new(StreamErrorCondition::ConnectionTimeout));
            }
            None if now >= self.last_input + limits.idle_ping => {
                if let Some(b) = &self.bound {
                    self.ping_seq += 1;
                    let mut ping = Iq::get(format!("srv-ping-{}", self.ping_seq), IqPayload::Ping);
                    ping.to = Some(b.session.jid.clone());
                    ping.from = cube_xmpp::Jid::domain_jid(self.core.router().domain()).ok();
                    self.machine.send(Stanza::Iq(ping));
                    self.pinged = Some(now);
                } else {
                    self.machine.close_with_error(StreamError::new(
                        StreamErrorCondition::ConnectionTimeout,
                    ));
                }
            }
            _ => {}
        }
    }

    /// Writes everything the machine has for the transport; false if the transport failed.
    async fn flush(&mut self, transport: &mut Transport) -> bool {
        let limit = self.core.limits().write_timeout;
        let mut chunks = Vec::new();
        while let Some(bytes) = self.machine.poll_transmit() {
            chunks.push(bytes);
        }
        if chunks.is_empty() {
            return true;
        }
        matches!(
            tokio::time::timeout(limit, transport.send_all(chunks)).await,
            Ok(Ok(()))
        )
    }

    async fn drain_events(&mut self) {
        while let Some(event) = self.machine.poll_event() {
            self.on_event(event).await;
        }
    }

    async fn on_event(&mut self, event: ServerEvent) {
        match event {
            ServerEvent::StreamOpened(header)
                if !accepts_stream_to(header.to.as_deref(), self.core.router().domain()) =>
            {
                self.machine
                    .close_with_error(StreamError::new(StreamErrorCondition::HostUnknown));
            }
            ServerEvent::Authenticate {
                authcid, password, ..
            } => {
                let ok = match parse_authcid(&authcid) {
                    Some((app, user)) => self
                        .core
                        .router()
                        .service()
                        .check_chat_password(app, user, password.expose())
                        .await
                        .unwrap_or(false),
                    None => false,
                };
                if ok {
                    self.machine.accept_auth(AuthGrant::new());
                } else {
                    self.machine.reject_auth(SaslCondition::NotAuthorized);
                }
            }
            ServerEvent::ScramLookup { authcid } => {
                let creds = match parse_authcid(&authcid) {
                    Some((app, user)) => self.scram_credentials(app, user).await,
                    None => None,
                };
                self.machine
                    .provide_scram_credentials(creds, AuthGrant::new());
            }
            ServerEvent::Authenticated { jid, .. } => {
                self.user = jid.node().and_then(parse_authcid);
            }
            ServerEvent::Bound { jid } => {
                let Some((app, user)) = self.user else {
                    self.machine
                        .close_with_error(StreamError::new(StreamErrorCondition::NotAuthorized));
                    return;
                };
                match self.core.hub().register(app, user, jid) {
                    Ok((session, rx)) => {
                        // Taken from the queue for this session alone: every other session
                        // missed them.
                        for stanza in self.core.router().offline_for(&session).await {
                            self.out(0, stanza);
                        }
                        self.bound = Some(Bound { session, rx });
                    }
                    Err(e) => self.machine.close_with_error(
                        StreamError::new(StreamErrorCondition::PolicyViolation)
                            .with_text(e.to_string()),
                    ),
                }
            }
            ServerEvent::ResumeRequested { previd, .. } => {
                let parked = self.core.unpark(&previd).await;
                match parked {
                    Some(p) if Some((p.app_id, p.user_id)) == self.user => {
                        self.machine.resume_session(p.detached.clone());
                        if self.machine.jid().is_some() && self.bound.is_none() {
                            p.session.resumed();
                            self.sent_msgs = p.unacked_seqs.iter().copied().collect();
                            self.core.note_resumable(&previd, p.session.clone());
                            self.sm_id = Some(previd);
                            self.bound = Some(Bound {
                                session: p.session,
                                rx: p.rx,
                            });
                        } else {
                            self.core.release(p).await;
                        }
                    }
                    Some(p) => {
                        // Not this user's session: put it back untouched.
                        self.core.park_again(p);
                        self.machine.reject_resume();
                    }
                    None => self.machine.reject_resume(),
                }
            }
            ServerEvent::SmEnabled {
                id,
                resumable: true,
            } => {
                if let Some(b) = &self.bound {
                    self.core.note_resumable(&id, b.session.clone());
                    self.sm_id = Some(id);
                }
            }
            ServerEvent::CarbonsChanged(on) => {
                if let Some(b) = &self.bound {
                    b.session.set_carbons(on);
                }
            }
            ServerEvent::Stanza(stanza) => {
                if let Some(wait) = self.bucket.take() {
                    tokio::time::sleep(wait).await;
                }
                let Some(b) = &self.bound else {
                    self.machine.handled(1);
                    return;
                };
                let session = b.session.clone();
                if router::pipelines(&stanza) {
                    self.release(MAX_IN_FLIGHT - 1).await;
                    let begun = Box::pin(self.core.router().begin(&session, stanza)).await;
                    self.pipeline.push_back(begun);
                    self.release(usize::MAX).await;
                } else {
                    self.release(0).await;
                    for reply in Box::pin(self.core.router().handle(&session, stanza)).await {
                        self.machine.send(reply);
                    }
                    self.machine.handled(1);
                }
            }
            ServerEvent::StartTls => self.upgrade = true,
            ServerEvent::Closed(reason) => self.closed = Some(reason),
            _ => {}
        }
    }

    /// The SCRAM-SHA-1 credentials of a user: derived from the password at sign-up, or, for a
    /// user without a password, from the newest live session token (the chat password of
    /// provider and identity-provider users, wire.md §8.3; the Node SDK prefers SCRAM).
    async fn scram_credentials(
        &self,
        app: i64,
        user: i64,
    ) -> Option<cube_xmpp::sasl::ScramCredentials> {
        let service = self.core.router().service().clone();
        let now = service.now();
        let (stored, token) = service
            .read(move |c| {
                let stored = store::scram(c, app, user)?;
                let token = match stored {
                    Some(_) => None,
                    None => store::latest_token(c, app, user, now)?,
                };
                Ok((stored, token))
            })
            .await
            .ok()?;
        if stored.is_some() {
            return stored;
        }
        let token = token?;
        tokio::task::spawn_blocking(move || store::derive_scram(&token))
            .await
            .ok()
    }

    async fn finish(mut self) {
        let Some(Bound { session, mut rx }) = self.bound.take() else {
            return;
        };
        if let Some(id) = &self.sm_id {
            self.core.forget_resumable(id);
        }
        let detached = self.machine.detach();
        let dropped = matches!(
            self.closed,
            Some(CloseReason::ConnectionLost | CloseReason::Timeout) | None
        );
        match detached {
            Some(d)
                if d.resumable && (dropped || session.taken_over()) && !session.overflowed() =>
            {
                let (app_id, user_id) = (session.app_id, session.user_id);
                let numbered = number_unacked(
                    d.unacked.clone(),
                    self.sent_msgs.make_contiguous(),
                    session.registered(),
                );
                let unacked_seqs = numbered.into_iter().map(|(seq, _)| seq).collect();
                self.core.park(Parked {
                    detached: d,
                    session,
                    rx,
                    app_id,
                    user_id,
                    unacked_seqs,
                });
            }
            other => {
                let unacked = other.map(|d| d.unacked).unwrap_or_default();
                let mut undelivered = number_unacked(
                    unacked,
                    self.sent_msgs.make_contiguous(),
                    session.registered(),
                );
                rx.close();
                while let Ok(q) = rx.try_recv() {
                    undelivered.push(q);
                }
                self.core.finish(&session, undelivered).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_to_may_be_domain_localhost_or_ip() {
        assert!(accepts_stream_to(Some("chat.example"), "chat.example"));
        assert!(accepts_stream_to(Some("localhost"), "chat.example"));
        assert!(accepts_stream_to(Some("127.0.0.1"), "chat.example"));
        assert!(accepts_stream_to(Some("[::1]"), "chat.example"));
        assert!(accepts_stream_to(None, "chat.example"));
        assert!(!accepts_stream_to(Some("evil.example"), "chat.example"));
    }

    #[test]
    fn authcid_names_user_and_app() {
        assert_eq!(parse_authcid("5-385"), Some((385, 5)));
        assert_eq!(parse_authcid("x"), None);
    }
}
