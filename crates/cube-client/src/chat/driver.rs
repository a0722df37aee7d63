//! The task behind a [`Chat`](super::Chat): it owns the transport and cube-xmpp's state
//! machine, moves bytes between them, runs the machine's timers, serves the handle's commands,
//! and reconnects.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use cube_model::{DialogType, Filter, Op, Query, Sort, UserId};
use cube_rest::chat::list_messages;
use cube_xmpp::client::{ClientConfig, ClientConnection, ClientEvent, ResumeState, SendError};
use cube_xmpp::sasl::Password;
use cube_xmpp::stanza::{IqPayload, IqType, MessageType};
use cube_xmpp::{CloseReason, ExtraParams, Iq, Jid, Stanza, StartTlsUse};
use futures_util::{StreamExt, TryStreamExt};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::Instant;

use super::dedup::Seen;
use super::events::{self, ChatEvent, ChatMessage, ConnectionState};
use super::transport::Transport;
use super::{ChatConfig, ChatCredentials, ChatError, Command};
use crate::config::ChatTransport;

/// Most stanzas held while offline; older ones are dropped first (and reported).
const MAX_OUTBOX: usize = 10_000;

/// How far before the last message seen the history catch-up starts, in seconds: senders'
/// clocks differ (`date_sent` is the sender's), and what was already delivered is dropped by id.
const CATCH_UP_MARGIN_SECS: i64 = 300;

/// Most dialogs whose history is fetched after a reconnect.
const CATCH_UP_DIALOGS: usize = 200;

/// One live connection: transport and state machine.
struct Link {
    transport: Transport,
    conn: ClientConnection,
}

/// How `serve` ended.
enum Ended {
    /// Closed on purpose (`disconnect`, or every handle dropped).
    Closed,
    /// The connection is over for this reason.
    Lost(CloseReason),
}

pub(super) struct Driver {
    config: ChatConfig,
    rx: mpsc::UnboundedReceiver<Command>,
    events: mpsc::UnboundedSender<ChatEvent>,
    state: watch::Sender<ConnectionState>,
    seen: Seen,
    pending: HashMap<String, oneshot::Sender<Result<Iq, ChatError>>>,
    outbox: VecDeque<Stanza>,
    epoch: Instant,
    /// The newest `date_sent` delivered, for the history catch-up.
    newest_seen: Option<i64>,
    /// When the connection was last lost (Unix seconds).
    lost_at: Option<i64>,
    /// The bound full JID.
    full_jid: Option<Jid>,
}

impl Driver {
    /// Connects once (errors go to the caller), then runs the connection in a task.
    pub(super) async fn start(
        config: ChatConfig,
        rx: mpsc::UnboundedReceiver<Command>,
        events: mpsc::UnboundedSender<ChatEvent>,
        state: watch::Sender<ConnectionState>,
    ) -> Result<(), ChatError> {
        let mut driver = Driver {
            seen: Seen::new(config.dedup_capacity),
            config,
            rx,
            events,
            state,
            pending: HashMap::new(),
            outbox: VecDeque::new(),
            epoch: Instant::now(),
            newest_seen: None,
            lost_at: None,
            full_jid: None,
        };
        let (link, jid) = match driver.establish(None, false).await {
            Ok((link, jid, _)) => (link, jid),
            Err(ChatError::AuthFailed(_)) if driver.renew_token().await => {
                let (link, jid, _) = driver.establish(None, false).await?;
                (link, jid)
            }
            Err(e) => return Err(e),
        };
        tokio::spawn(driver.run(link, jid));
        Ok(())
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn at(&self, ms: u64) -> Instant {
        self.epoch + Duration::from_millis(ms)
    }

    fn emit(&self, event: ChatEvent) {
        // Nobody listening is not an error: the connection goes on for the handle's sake.
        let _ = self.events.send(event);
    }

    fn set_state(&self, state: ConnectionState) {
        self.state.send_replace(state.clone());
        self.emit(ChatEvent::State(state));
    }

    /// The password for the next connection: the configured one, or the current token.
    fn password(&self) -> Result<String, ChatError> {
        match &self.config.credentials {
            ChatCredentials::Password(p) => Ok(p.clone()),
            ChatCredentials::SessionToken => self
                .config
                .client
                .as_ref()
                .and_then(crate::Client::token)
                .map(|t| t.expose().to_owned())
                .ok_or(ChatError::NoUser),
        }
    }

    /// After the server refused a token: renew the client's session; true when there is a
    /// new token to try.
    async fn renew_token(&self) -> bool {
        if !matches!(self.config.credentials, ChatCredentials::SessionToken) {
            return false;
        }
        let Some(client) = &self.config.client else {
            return false;
        };
        match client.force_renew().await {
            Ok(renewed) => renewed,
            Err(e) => {
                self.emit(ChatEvent::Error(format!("session renewal failed: {e}")));
                false
            }
        }
    }

    /// Opens a transport and negotiates until online.
    async fn establish(
        &mut self,
        resume: Option<ResumeState>,
        reconnecting: bool,
    ) -> Result<(Link, Jid, bool), ChatError> {
        let password = self.password()?;
        let c = &self.config;
        let starttls = starttls_use(&c.transport, c.require_tls)?;
        let transport = Transport::connect(&c.transport, c.connect_timeout, c.tls.as_ref()).await?;
        let mut xc = ClientConfig::new(c.jid.clone(), Password::new(password), transport.framing())
            // A session token is no password a server can keep SCRAM secrets for: PLAIN only.
            .with_mechanisms(
                c.allow_scram && matches!(c.credentials, ChatCredentials::Password(_)),
                c.allow_plain,
            )
            .with_stream_management(c.stream_management, c.stream_management)
            .with_ping(
                c.ping_interval
                    .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
                20_000,
            );
        xc.negotiation_timeout_ms =
            u64::try_from(c.connect_timeout.as_millis()).unwrap_or(u64::MAX);
        xc.announce_from = reconnecting;
        xc.starttls = starttls;
        if let Some(r) = resume {
            xc = xc.with_resume(r);
        }
        let conn = ClientConnection::new(xc, rand::random(), self.now_ms());
        let mut link = Link { transport, conn };
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            flush(&mut link).await?;
            while let Some(ev) = link.conn.poll_event() {
                match ev {
                    ClientEvent::Online { jid, resumed } => {
                        self.full_jid = Some(jid.clone());
                        return Ok((link, jid, resumed));
                    }
                    ClientEvent::Closed(reason) => {
                        link.transport.shutdown().await;
                        return Err(close_error(&reason));
                    }
                    ClientEvent::ResumeFailed { unacked } => {
                        for s in unacked.into_iter().rev() {
                            self.outbox.push_front(s);
                        }
                    }
                    ClientEvent::Stanza(s) => self.on_stanza(s, &mut link),
                    ClientEvent::StartTls => {
                        // `<proceed/>`: nothing more goes out in plain; handshake, then the
                        // machine restarts the stream over TLS.
                        let c = &self.config;
                        let host = c.transport.host();
                        link.transport = link
                            .transport
                            .starttls(&host, c.connect_timeout, c.tls.as_ref())
                            .await?;
                        link.conn.tls_established(self.now_ms());
                        flush(&mut link).await?;
                    }
                    _ => {}
                }
            }
            let deadline = link.conn.poll_timeout().map(|ms| self.at(ms));
            tokio::select! {
                r = link.transport.recv(&mut buf) => match r {
                    Some(Ok(bytes)) => link.conn.handle_input(&bytes, self.now_ms()),
                    Some(Err(_)) | None => link.conn.connection_lost(),
                },
                () = sleep_until(deadline), if deadline.is_some() => {
                    link.conn.handle_timeout(self.now_ms());
                }
            }
        }
    }

    async fn run(mut self, mut link: Link, jid: Jid) {
        self.set_state(ConnectionState::Online {
            jid,
            resumed: false,
        });
        self.flush_outbox(&mut link);
        loop {
            match self.serve(&mut link).await {
                Ended::Closed => {
                    self.fail_pending();
                    self.set_state(ConnectionState::Closed {
                        reason: "disconnected".into(),
                    });
                    return;
                }
                Ended::Lost(reason) => {
                    link.transport.shutdown().await;
                    self.fail_pending();
                    let fatal = matches!(reason, CloseReason::AuthFailed { .. })
                        && matches!(self.config.credentials, ChatCredentials::Password(_));
                    if fatal || !self.config.reconnect {
                        self.set_state(ConnectionState::Closed {
                            reason: describe(&reason),
                        });
                        return;
                    }
                    let resume = link.conn.resume_state();
                    if resume.is_none() {
                        for s in link.conn.take_unacked().into_iter().rev() {
                            self.outbox.push_front(s);
                        }
                    }
                    self.lost_at = Some(self.config.clock.now_unix());
                    self.set_state(ConnectionState::Disconnected {
                        reason: describe(&reason),
                    });
                    let Some(new_link) = self.reconnect(resume).await else {
                        self.set_state(ConnectionState::Closed {
                            reason: "disconnected".into(),
                        });
                        return;
                    };
                    link = new_link;
                }
            }
        }
    }

    /// Runs one live connection until it ends.
    async fn serve(&mut self, link: &mut Link) -> Ended {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            if flush(link).await.is_err() {
                link.conn.connection_lost();
            }
            while let Some(ev) = link.conn.poll_event() {
                match ev {
                    ClientEvent::Stanza(s) => self.on_stanza(s, link),
                    ClientEvent::Acked(stanzas) => {
                        let ids: Vec<String> = stanzas
                            .iter()
                            .filter(|s| matches!(s, Stanza::Message(m) if m.has_content()))
                            .filter_map(|s| s.id().map(str::to_owned))
                            .collect();
                        if !ids.is_empty() {
                            self.emit(ChatEvent::Sent { ids });
                        }
                    }
                    ClientEvent::Closed(CloseReason::LocalClosed) => return Ended::Closed,
                    ClientEvent::Closed(reason) => return Ended::Lost(reason),
                    _ => {}
                }
            }
            if flush(link).await.is_err() {
                link.conn.connection_lost();
                continue;
            }
            let deadline = link.conn.poll_timeout().map(|ms| self.at(ms));
            tokio::select! {
                cmd = self.rx.recv() => match cmd {
                    None => {
                        self.close(link).await;
                        return Ended::Closed;
                    }
                    Some(Command::Send(s)) => self.send(link, *s),
                    Some(Command::Request(iq, reply)) => {
                        let id = iq.id.clone();
                        match link.conn.send(*iq) {
                            Ok(()) => {
                                self.pending.insert(id, reply);
                            }
                            Err(_) => {
                                let _ = reply.send(Err(ChatError::NotConnected));
                            }
                        }
                    }
                    Some(Command::Close(ack)) => {
                        self.close(link).await;
                        let _ = ack.send(());
                        return Ended::Closed;
                    }
                    Some(Command::Kill) => link.conn.connection_lost(),
                },
                r = link.transport.recv(&mut buf) => match r {
                    Some(Ok(bytes)) => link.conn.handle_input(&bytes, self.now_ms()),
                    Some(Err(_)) | None => link.conn.connection_lost(),
                },
                () = sleep_until(deadline), if deadline.is_some() => {
                    link.conn.handle_timeout(self.now_ms());
                }
            }
        }
    }

    /// Closes the stream, waits briefly for the server's close, ends the transport.
    async fn close(&mut self, link: &mut Link) {
        link.conn.close();
        let _ = flush(link).await;
        let mut buf = vec![0u8; 4096];
        let _ = tokio::time::timeout(Duration::from_secs(2), async {
            while let Some(Ok(_)) = link.transport.recv(&mut buf).await {}
        })
        .await;
        link.transport.shutdown().await;
        while let Some(ev) = link.conn.poll_event() {
            if let ClientEvent::Stanza(s) = ev {
                self.on_stanza(s, link);
            }
        }
    }

    fn send(&mut self, link: &mut Link, stanza: Stanza) {
        // Not ready (still negotiating) or closed (lost): keep it for the next connection.
        if let Err(SendError::NotReady | SendError::Closed | _) = link.conn.send(stanza.clone()) {
            self.hold(stanza);
        }
    }

    /// Keeps a stanza for the next connection.
    fn hold(&mut self, stanza: Stanza) {
        if self.outbox.len() >= MAX_OUTBOX {
            self.outbox.pop_front();
            self.emit(ChatEvent::Error(
                "too many messages queued while offline: the oldest was dropped".into(),
            ));
        }
        self.outbox.push_back(stanza);
    }

    fn flush_outbox(&mut self, link: &mut Link) {
        while let Some(s) = self.outbox.pop_front() {
            if link.conn.send(s.clone()).is_err() {
                self.outbox.push_front(s);
                break;
            }
        }
    }

    fn fail_pending(&mut self) {
        for (_, reply) in self.pending.drain() {
            let _ = reply.send(Err(ChatError::NotConnected));
        }
    }

    /// Waits `delay` while holding sends and refusing requests; false when asked to close.
    async fn wait_serving(&mut self, delay: Duration) -> bool {
        let sleep = tokio::time::sleep(delay);
        tokio::pin!(sleep);
        loop {
            tokio::select! {
                () = &mut sleep => return true,
                cmd = self.rx.recv() => match cmd {
                    None => return false,
                    Some(Command::Send(s)) => self.hold(*s),
                    Some(Command::Request(_, reply)) => {
                        let _ = reply.send(Err(ChatError::NotConnected));
                    }
                    Some(Command::Close(ack)) => {
                        let _ = ack.send(());
                        return false;
                    }
                    Some(Command::Kill) => {}
                },
            }
        }
    }

    /// Reconnects with backoff until online again; `None` when asked to close meanwhile.
    async fn reconnect(&mut self, mut resume: Option<ResumeState>) -> Option<Link> {
        let mut attempt = 0u32;
        loop {
            attempt = attempt.saturating_add(1);
            let delay = self.config.backoff.delay(attempt, rand::random::<f64>());
            self.set_state(ConnectionState::Reconnecting {
                attempt,
                delay_ms: u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
            });
            if !self.wait_serving(delay).await {
                return None;
            }
            match self.establish(resume.clone(), true).await {
                Ok((mut link, jid, resumed)) => {
                    self.set_state(ConnectionState::Online { jid, resumed });
                    self.flush_outbox(&mut link);
                    if !resumed {
                        self.catch_up().await;
                    }
                    return Some(link);
                }
                Err(e) => {
                    self.emit(ChatEvent::error(&e));
                    if matches!(e, ChatError::AuthFailed(_)) {
                        // A resumption cannot outlive the credentials; a new token may help.
                        resume = None;
                        self.renew_token().await;
                    }
                }
            }
        }
    }

    /// After a new (not resumed) session: fetches from REST history the messages that
    /// arrived while away, and delivers those not seen yet.
    async fn catch_up(&mut self) {
        let Some(client) = self.config.client.clone() else {
            return;
        };
        let Some(me) = client.current_user_id() else {
            return;
        };
        let since = self
            .newest_seen
            .or(self.lost_at)
            .unwrap_or_else(|| self.config.clock.now_unix())
            - CATCH_UP_MARGIN_SECS;
        let dialogs_query = Query::new().with_filter(Filter::new(
            "last_message_date_sent",
            Op::Gte,
            since.to_string(),
        ));
        let dialogs: Result<Vec<_>, _> = client
            .dialogs()
            .list(dialogs_query)
            .take(CATCH_UP_DIALOGS)
            .try_collect()
            .await;
        let dialogs = match dialogs {
            Ok(d) => d,
            Err(e) => {
                self.emit(ChatEvent::Error(format!("history catch-up failed: {e}")));
                return;
            }
        };
        let app = self.config.app_id.unwrap_or(client.app_id().0);
        let domain = self.config.jid.domain().to_owned();
        for dialog in dialogs {
            let req = list_messages::Request::new(
                dialog.id,
                Query::new()
                    .with_filter(Filter::new("date_sent", Op::Gte, since.to_string()))
                    .with_sort(Sort::asc("date_sent")),
            )
            .with_mark_as_read(false);
            let messages: Result<Vec<_>, _> = client.messages().list(req).try_collect().await;
            let messages = match messages {
                Ok(m) => m,
                Err(e) => {
                    self.emit(ChatEvent::Error(format!("history catch-up failed: {e}")));
                    continue;
                }
            };
            for m in messages {
                if m.sender_id == me || !self.seen.insert(&m.id.to_string()) {
                    continue;
                }
                let group = !matches!(dialog.dialog_type, DialogType::Private);
                let from = if group {
                    Jid::room(cube_model::AppId(app), dialog.id, &self.config.muc_domain)
                        .and_then(|r| r.with_resource(&m.sender_id.to_string()))
                        .ok()
                } else {
                    Jid::user(m.sender_id, cube_model::AppId(app), &domain).ok()
                };
                let mut extra = ExtraParams::new()
                    .with("dialog_id", dialog.id.to_string())
                    .with("date_sent", m.date_sent.to_string());
                for (k, v) in &m.custom {
                    let text = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
                    let _ = extra.set(k, text);
                }
                self.note_date(Some(m.date_sent));
                self.emit(ChatEvent::Message(ChatMessage {
                    id: Some(m.id.to_string()),
                    kind: if group {
                        MessageType::Groupchat
                    } else {
                        MessageType::Chat
                    },
                    from,
                    to: None,
                    sender_id: Some(m.sender_id),
                    dialog_id: Some(dialog.id.to_string()),
                    body: m.message.clone(),
                    extra,
                    date_sent: Some(m.date_sent),
                    forwarded: false,
                    from_history: true,
                }));
            }
        }
    }

    fn note_date(&mut self, date: Option<i64>) {
        if let Some(d) = date {
            self.newest_seen = Some(self.newest_seen.map_or(d, |n| n.max(d)));
        }
    }

    fn my_user_id(&self) -> Option<UserId> {
        self.config.jid.user_id()
    }

    fn on_stanza(&mut self, stanza: Stanza, link: &mut Link) {
        match stanza {
            Stanza::Iq(iq) => self.on_iq(iq, link),
            Stanza::Presence(p) => {
                if let Some(ev) = events::from_presence(&p) {
                    self.emit(ev);
                }
            }
            Stanza::Message(m) => {
                for ev in events::from_message(m) {
                    if let ChatEvent::Message(msg) = &ev {
                        if let Some(id) = &msg.id {
                            if !self.seen.insert(id) {
                                continue;
                            }
                        }
                        self.note_date(msg.date_sent);
                        self.auto_delivered(msg, link);
                    }
                    self.emit(ev);
                }
            }
        }
    }

    /// Sends the `received` marker the JS SDK sends for incoming 1:1 messages of a dialog.
    fn auto_delivered(&mut self, msg: &ChatMessage, link: &mut Link) {
        if !self.config.auto_delivered
            || msg.forwarded
            || msg.kind != MessageType::Chat
            || msg.dialog_id.is_none()
            || msg.sender_id.is_none()
            || msg.sender_id == self.my_user_id()
        {
            return;
        }
        let (Some(id), Some(from)) = (&msg.id, &msg.from) else {
            return;
        };
        let marker = cube_xmpp::Message::new(MessageType::Chat)
            .with_to(from.to_bare())
            .with_id(super::new_message_id(self.config.clock.now_unix()))
            .with_marker(cube_xmpp::stanza::ChatMarker::Received { id: id.clone() })
            .with_extra_params(
                ExtraParams::new().with("dialog_id", msg.dialog_id.clone().unwrap_or_default()),
            );
        let _ = link.conn.send(marker);
    }

    fn on_iq(&mut self, iq: Iq, link: &mut Link) {
        match iq.kind {
            IqType::Result | IqType::Error => {
                if let Some(reply) = self.pending.remove(&iq.id) {
                    let answer = match (&iq.kind, &iq.error) {
                        (IqType::Error, e) => Err(ChatError::Refused {
                            condition: e
                                .as_ref()
                                .map_or("undefined-condition", |e| e.condition.as_str())
                                .to_owned(),
                            text: e.as_ref().and_then(|e| e.text.clone()),
                        }),
                        _ => Ok(iq),
                    };
                    let _ = reply.send(answer);
                } else if let Some(IqPayload::LastActivity(l)) = &iq.payload {
                    self.emit(ChatEvent::LastActivity {
                        from: iq.from.clone(),
                        seconds: l.seconds.unwrap_or(0),
                    });
                }
            }
            IqType::Get | IqType::Set => {
                // RFC 6120 §8.2.3: every request gets an answer; we serve none.
                let error = cube_xmpp::stanza::StanzaError::new(
                    cube_xmpp::stanza::ErrorType::Cancel,
                    cube_xmpp::stanza::DefinedCondition::ServiceUnavailable,
                );
                let _ = link.conn.send(Iq::error_for(&iq, error));
            }
            _ => {}
        }
    }
}

/// Whether the machine takes STARTTLS: on `xmpp://` when the server offers it (always with
/// `require_tls`); never on direct TLS or WebSocket (where `require_tls` needs `wss://`).
fn starttls_use(transport: &ChatTransport, require_tls: bool) -> Result<StartTlsUse, ChatError> {
    match transport {
        ChatTransport::Tcp { tls: false, .. } if require_tls => Ok(StartTlsUse::Required),
        ChatTransport::Tcp { tls: false, .. } => Ok(StartTlsUse::WhenOffered),
        ChatTransport::WebSocket { url } if require_tls && !url.starts_with("wss://") => {
            Err(ChatError::Config(format!(
                "require_tls: {url:?} is not encrypted (use wss://)"
            )))
        }
        _ => Ok(StartTlsUse::Never),
    }
}

/// Writes everything the machine queued.
async fn flush(link: &mut Link) -> Result<(), ChatError> {
    while let Some(bytes) = link.conn.poll_transmit() {
        link.transport.send(bytes).await?;
    }
    Ok(())
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

fn describe(reason: &CloseReason) -> String {
    match reason {
        CloseReason::PeerClosed => "the server closed the stream".into(),
        CloseReason::LocalClosed => "closed".into(),
        CloseReason::ConnectionLost => "the connection was lost".into(),
        CloseReason::Timeout => "the server stopped answering".into(),
        CloseReason::LocalError(e) => format!("stream error sent: {e:?}"),
        CloseReason::PeerError(e) => format!("stream error received: {e:?}"),
        CloseReason::AuthFailed { condition, text } => format!(
            "authentication refused: {condition:?}{}",
            text.as_deref()
                .map(|t| format!(" ({t})"))
                .unwrap_or_default()
        ),
        CloseReason::Negotiation(s) => format!("negotiation failed: {s}"),
        other => format!("{other:?}"),
    }
}

fn close_error(reason: &CloseReason) -> ChatError {
    match reason {
        CloseReason::AuthFailed { .. } => ChatError::AuthFailed(describe(reason)),
        CloseReason::Timeout => ChatError::Timeout("negotiating"),
        _ => ChatError::Stream(describe(reason)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starttls_is_taken_on_plain_tcp_only() {
        let t = |url: &str| ChatTransport::parse(url).unwrap();
        let plain = t("xmpp://localhost:5222");
        assert_eq!(
            starttls_use(&plain, false).unwrap(),
            StartTlsUse::WhenOffered
        );
        assert_eq!(starttls_use(&plain, true).unwrap(), StartTlsUse::Required);
        let direct = t("xmpps://localhost:5223");
        assert_eq!(starttls_use(&direct, true).unwrap(), StartTlsUse::Never);
        assert_eq!(
            starttls_use(&t("wss://chat.example/ws"), true).unwrap(),
            StartTlsUse::Never
        );
        assert_eq!(
            starttls_use(&t("ws://127.0.0.1:5291"), false).unwrap(),
            StartTlsUse::Never
        );
        assert!(matches!(
            starttls_use(&t("ws://127.0.0.1:5291"), true),
            Err(ChatError::Config(_))
        ));
    }
}
