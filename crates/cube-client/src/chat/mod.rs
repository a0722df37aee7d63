//! Real-time chat over XMPP: connect over WebSocket or TCP (+TLS), one stream of typed events,
//! sending, and reconnects that resume or catch up from history.
//!
//! The protocol is cube-xmpp's [`ClientConnection`](cube_xmpp::ClientConnection) state machine;
//! this module only moves its bytes, owns its timers, and turns its stanzas into
//! [`ChatEvent`]s. One task per connection does all of it; the [`Chat`] handle talks to the
//! task over a channel, so it is cheap to clone and usable from anywhere.
//!
//! Reconnects never get stuck: the [`Backoff`] schedule always arms the next attempt. When the
//! server allowed it (XEP-0198), the session is resumed and nothing is lost; otherwise the
//! client logs in again, resends what the server had not acknowledged, and fetches from REST
//! history what arrived while it was away. Every message is delivered once: ids seen recently
//! are remembered (a bounded set) and duplicates are dropped.

mod backoff;
mod dedup;
mod driver;
mod error;
mod events;
mod transport;

use std::sync::Arc;
use std::time::Duration;

use cube_model::{DialogId, UserId};
use cube_xmpp::stanza::{
    ChatMarker, ChatState, IqPayload, LastActivity, ListRef, PrivacyAction, PrivacyList,
    PrivacyQuery, Remove, Replace,
};
use cube_xmpp::{Iq, Message, Presence, Stanza};
use futures_util::Stream;
use tokio::sync::{mpsc, oneshot, watch};

pub use backoff::Backoff;
/// The `extraParams` of a message, its type, and JIDs (from cube-xmpp).
pub use cube_xmpp::{ExtraParams, Jid, stanza::MessageType};
pub use error::ChatError;
pub use events::{ChatEvent, ChatMessage, ConnectionState, SystemMessage};

use crate::client::Client;
use crate::config::{ChatTransport, Clock, SystemClock};

/// The chat password: the user's password, or the session token (kept fresh across renewals).
#[derive(Clone)]
pub enum ChatCredentials {
    /// The user's password (login/password users).
    Password(String),
    /// The current session token of the client (any user; required for provider and
    /// identity-provider users). Each (re)connection reads the token anew.
    SessionToken,
}

impl std::fmt::Debug for ChatCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ChatCredentials::Password(_) => f.write_str("Password(***)"),
            ChatCredentials::SessionToken => f.write_str("SessionToken"),
        }
    }
}

/// How to connect: where, as whom, and how to behave on the way.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ChatConfig {
    /// The transport and address.
    pub transport: ChatTransport,
    /// The user's bare JID.
    pub jid: Jid,
    /// The password source.
    pub credentials: ChatCredentials,
    /// The MUC domain (`muc.{chat domain}`).
    pub muc_domain: String,
    /// The ConnectyCube application id, when the JIDs are ConnectyCube's (`{uid}-{app}@…`).
    pub app_id: Option<u64>,
    /// Use SCRAM-SHA-1 when offered.
    pub allow_scram: bool,
    /// Use PLAIN when offered.
    pub allow_plain: bool,
    /// Ask for XEP-0198 stream management with resumption.
    pub stream_management: bool,
    /// Reconnect when the connection is lost.
    pub reconnect: bool,
    /// The reconnect schedule.
    pub backoff: Backoff,
    /// Time limit of one connection attempt (transport and negotiation).
    pub connect_timeout: Duration,
    /// Send a keepalive ping after this long without traffic.
    pub ping_interval: Option<Duration>,
    /// Send `received` markers for incoming 1:1 messages automatically (as the JS SDK does).
    pub auto_delivered: bool,
    /// How many message ids to remember for deduplication.
    pub dedup_capacity: usize,
    /// TLS settings for `wss://`, `xmpps://` and STARTTLS (default: the webpki roots).
    pub tls: Option<Arc<rustls::ClientConfig>>,
    /// Refuse to send credentials without TLS: on `xmpp://` the server must offer STARTTLS
    /// (which is used whenever offered anyway); `ws://` is refused. Default: off.
    pub require_tls: bool,
    /// The REST client: session token as password, and history catch-up after a reconnect.
    pub client: Option<Client>,
    /// The clock of `date_sent` and message ids (the client's, when connected through one).
    pub clock: Arc<dyn Clock>,
}

impl ChatConfig {
    /// A connection to `url` (`ws://`, `wss://`, `xmpp://host:port`, `xmpps://host:port`) as
    /// `jid` with `password`; for any XMPP server.
    pub fn new(url: &str, jid: Jid, password: impl Into<String>) -> Result<Self, ChatError> {
        let transport = ChatTransport::parse(url).map_err(ChatError::Config)?;
        let muc_domain = format!("muc.{}", jid.domain());
        Ok(ChatConfig {
            transport,
            jid: jid.to_bare(),
            credentials: ChatCredentials::Password(password.into()),
            muc_domain,
            app_id: None,
            allow_scram: true,
            allow_plain: true,
            stream_management: true,
            reconnect: true,
            backoff: Backoff::default(),
            connect_timeout: Duration::from_secs(15),
            ping_interval: Some(Duration::from_secs(60)),
            auto_delivered: true,
            dedup_capacity: 10_000,
            tls: None,
            require_tls: false,
            client: None,
            clock: Arc::new(SystemClock),
        })
    }

    /// Which SASL mechanisms may be used.
    pub fn with_mechanisms(mut self, scram: bool, plain: bool) -> Self {
        self.allow_scram = scram;
        self.allow_plain = plain;
        self
    }

    /// Stream management (and so resumption) on or off.
    pub fn with_stream_management(mut self, on: bool) -> Self {
        self.stream_management = on;
        self
    }

    /// Reconnects on or off, and their schedule.
    pub fn with_reconnect(mut self, on: bool, backoff: Backoff) -> Self {
        self.reconnect = on;
        self.backoff = backoff;
        self
    }

    /// The MUC domain.
    pub fn with_muc_domain(mut self, muc: impl Into<String>) -> Self {
        self.muc_domain = muc.into();
        self
    }

    /// The time limit of one connection attempt.
    pub fn with_connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Automatic `received` markers on or off.
    pub fn with_auto_delivered(mut self, on: bool) -> Self {
        self.auto_delivered = on;
        self
    }

    /// TLS settings for `wss://`, `xmpps://` and STARTTLS.
    pub fn with_tls(mut self, tls: Arc<rustls::ClientConfig>) -> Self {
        self.tls = Some(tls);
        self
    }

    /// Whether credentials may only be sent over TLS (see [`ChatConfig::require_tls`]).
    pub fn with_require_tls(mut self, on: bool) -> Self {
        self.require_tls = on;
        self
    }

    /// The keepalive ping interval (none: no pings).
    pub fn with_ping_interval(mut self, interval: Option<Duration>) -> Self {
        self.ping_interval = interval;
        self
    }
}

/// Where an outgoing message goes.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Target {
    /// A ConnectyCube user: `chat` to `{uid}-{app}@{domain}`.
    User(UserId),
    /// A ConnectyCube group dialog: `groupchat` to `{app}_{dialog}@{muc}`.
    Dialog(DialogId),
    /// Any JID, with the message type to use.
    Jid(Jid, MessageType),
}

/// An outgoing content message.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct OutgoingMessage {
    /// Where to.
    pub to: Target,
    /// The text.
    pub body: String,
    /// `extraParams` (attachments, custom keys, `dialog_id` for 1:1 messages of a dialog).
    pub extra: ExtraParams,
    /// Add `save_to_history=1` (the server stores it) and `date_sent`.
    pub save_to_history: bool,
    /// Ask for markers (`<markable/>`).
    pub markable: bool,
    /// The id (default: a fresh ObjectId-style id).
    pub id: Option<String>,
}

impl OutgoingMessage {
    /// A message with `body` to `to`, stored in history and markable.
    pub fn new(to: Target, body: impl Into<String>) -> Self {
        OutgoingMessage {
            to,
            body: body.into(),
            extra: ExtraParams::new(),
            save_to_history: true,
            markable: true,
            id: None,
        }
    }

    /// Sets `extraParams`.
    pub fn with_extra(mut self, extra: ExtraParams) -> Self {
        self.extra = extra;
        self
    }

    /// Says which dialog a 1:1 message belongs to (`extraParams/dialog_id`).
    pub fn in_dialog(mut self, dialog: DialogId) -> Self {
        let _ = self.extra.set("dialog_id", dialog.to_string());
        self
    }

    /// Stored in history or not.
    pub fn with_save_to_history(mut self, save: bool) -> Self {
        self.save_to_history = save;
        self
    }

    /// Uses this id.
    pub fn with_id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(id.into());
        self
    }
}

/// What the handle asks the connection task.
#[derive(Debug)]
enum Command {
    /// Send this stanza (queued while reconnecting).
    Send(Box<Stanza>),
    /// Send this iq and answer with the reply.
    Request(Box<Iq>, oneshot::Sender<Result<Iq, ChatError>>),
    /// Close the stream and end the task.
    Close(oneshot::Sender<()>),
    /// Drop the transport without closing the stream (a simulated network loss).
    Kill,
}

/// The shared, read-only facts of a connection.
#[derive(Debug)]
struct Shared {
    jid: Jid,
    app_id: Option<u64>,
    muc_domain: String,
    clock: Arc<dyn Clock>,
}

/// A chat connection (cheap to clone). Events arrive on the [`ChatEvents`] returned with it.
#[derive(Debug, Clone)]
pub struct Chat {
    tx: mpsc::UnboundedSender<Command>,
    state: watch::Receiver<ConnectionState>,
    shared: Arc<Shared>,
}

/// The one stream of [`ChatEvent`]s of a connection; it ends when the connection is closed.
///
/// Events wait here until taken (the queue is unbounded, so that no message is ever dropped
/// for a slow reader): keep reading it, or drop it to stop receiving events.
#[derive(Debug)]
pub struct ChatEvents {
    rx: mpsc::UnboundedReceiver<ChatEvent>,
}

impl ChatEvents {
    /// The next event; `None` once the connection is closed and every event was taken.
    pub async fn recv(&mut self) -> Option<ChatEvent> {
        self.rx.recv().await
    }
}

impl Stream for ChatEvents {
    type Item = ChatEvent;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<ChatEvent>> {
        self.rx.poll_recv(cx)
    }
}

impl Client {
    /// Connects the current user to chat at the client's chat URL, with the session token as
    /// the password (renewed sessions are used on reconnect).
    pub async fn connect_chat(&self) -> Result<(Chat, ChatEvents), ChatError> {
        self.connect_chat_with(ChatCredentials::SessionToken, |c| c)
            .await
    }

    /// Connects the current user to chat with these credentials and adjustments.
    pub async fn connect_chat_with(
        &self,
        credentials: ChatCredentials,
        adjust: impl FnOnce(ChatConfig) -> ChatConfig,
    ) -> Result<(Chat, ChatEvents), ChatError> {
        let user = self.current_user_id().ok_or(ChatError::NoUser)?;
        self.connect_chat_as(user, credentials, adjust).await
    }

    /// Connects `user` to chat, whether or not the client holds a session yet: with a
    /// [`ChatCredentials::Password`], chat, session creation and the first history page can
    /// start together (`tokio::join!`) instead of one after another.
    pub async fn connect_chat_as(
        &self,
        user: UserId,
        credentials: ChatCredentials,
        adjust: impl FnOnce(ChatConfig) -> ChatConfig,
    ) -> Result<(Chat, ChatEvents), ChatError> {
        let app = self.app_id().0;
        let ep = self.endpoints();
        let jid = Jid::user(user, self.app_id(), &ep.chat_domain)
            .map_err(|e| ChatError::Config(format!("chat domain: {e}")))?;
        let mut config = ChatConfig::new(&ep.chat_url, jid, String::new())?
            .with_muc_domain(ep.muc_domain())
            .with_connect_timeout(self.config().connect_timeout.max(Duration::from_secs(5)));
        config.credentials = credentials;
        config.app_id = Some(app);
        config.client = Some(self.clone());
        config.clock = self.config().clock.clone();
        Chat::connect(adjust(config)).await
    }
}

impl Chat {
    /// Connects and waits until the session is online (or refused); then a task keeps it
    /// alive and reconnects as configured.
    pub async fn connect(config: ChatConfig) -> Result<(Chat, ChatEvents), ChatError> {
        let shared = Arc::new(Shared {
            jid: config.jid.clone(),
            app_id: config.app_id,
            muc_domain: config.muc_domain.clone(),
            clock: config.clock.clone(),
        });
        let (tx, rx) = mpsc::unbounded_channel();
        let (events_tx, events_rx) = mpsc::unbounded_channel();
        let (state_tx, state_rx) = watch::channel(ConnectionState::Connecting);
        // Boxed: the TLS and WebSocket handshakes make a large future.
        Box::pin(driver::Driver::start(config, rx, events_tx, state_tx)).await?;
        Ok((
            Chat {
                tx,
                state: state_rx,
                shared,
            },
            ChatEvents { rx: events_rx },
        ))
    }

    /// The connection's state now.
    pub fn state(&self) -> ConnectionState {
        self.state.borrow().clone()
    }

    /// Watches the connection's state.
    pub fn state_updates(&self) -> watch::Receiver<ConnectionState> {
        self.state.clone()
    }

    /// The user's bare JID.
    pub fn jid(&self) -> &Jid {
        &self.shared.jid
    }

    fn new_id(&self) -> String {
        new_message_id(self.shared.clock.now_unix())
    }

    fn command(&self, c: Command) -> Result<(), ChatError> {
        self.tx.send(c).map_err(|_| ChatError::NotConnected)
    }

    /// Sends a stanza as is (queued while reconnecting).
    pub fn send_stanza(&self, stanza: impl Into<Stanza>) -> Result<(), ChatError> {
        self.command(Command::Send(Box::new(stanza.into())))
    }

    /// Sends an iq and waits for the answer (an error answer is [`ChatError::Refused`]).
    pub async fn request(&self, iq: Iq) -> Result<Iq, ChatError> {
        let (tx, rx) = oneshot::channel();
        self.command(Command::Request(Box::new(iq), tx))?;
        rx.await.map_err(|_| ChatError::NotConnected)?
    }

    /// The JID of a ConnectyCube user.
    pub fn user_jid(&self, user: UserId) -> Result<Jid, ChatError> {
        let app = self
            .shared
            .app_id
            .ok_or_else(|| ChatError::Config("not a ConnectyCube connection: no app id".into()))?;
        Jid::user(user, cube_model::AppId(app), self.shared.jid.domain())
            .map_err(|e| ChatError::Config(e.to_string()))
    }

    /// The room JID of a ConnectyCube group dialog.
    pub fn room_jid(&self, dialog: DialogId) -> Result<Jid, ChatError> {
        let app = self
            .shared
            .app_id
            .ok_or_else(|| ChatError::Config("not a ConnectyCube connection: no app id".into()))?;
        Jid::room(cube_model::AppId(app), dialog, &self.shared.muc_domain)
            .map_err(|e| ChatError::Config(e.to_string()))
    }

    fn address(&self, to: &Target) -> Result<(Jid, MessageType), ChatError> {
        Ok(match to {
            Target::User(u) => (self.user_jid(*u)?, MessageType::Chat),
            Target::Dialog(d) => (self.room_jid(*d)?, MessageType::Groupchat),
            Target::Jid(j, k) => (j.clone(), k.clone()),
        })
    }

    /// Sends a content message; answers its id.
    pub fn send(&self, msg: OutgoingMessage) -> Result<String, ChatError> {
        let (to, kind) = self.address(&msg.to)?;
        let id = msg.id.unwrap_or_else(|| self.new_id());
        let mut extra = msg.extra;
        if msg.save_to_history {
            let _ = extra.set("save_to_history", "1");
            if extra.date_sent().is_none() {
                let _ = extra.set("date_sent", self.shared.clock.now_unix().to_string());
            }
        }
        let mut m = Message::new(kind)
            .with_to(to)
            .with_id(id.clone())
            .with_body(msg.body);
        if msg.markable {
            m = m.with_marker(ChatMarker::Markable);
        }
        if !extra.is_empty() {
            m = m.with_extra_params(extra);
        }
        self.send_stanza(m)?;
        Ok(id)
    }

    /// Sends `text` to a ConnectyCube user (1:1).
    pub fn send_to_user(&self, user: UserId, text: impl Into<String>) -> Result<String, ChatError> {
        self.send(OutgoingMessage::new(Target::User(user), text))
    }

    /// Sends `text` to a ConnectyCube group dialog.
    pub fn send_to_dialog(
        &self,
        dialog: DialogId,
        text: impl Into<String>,
    ) -> Result<String, ChatError> {
        self.send(OutgoingMessage::new(Target::Dialog(dialog), text))
    }

    fn marker(&self, msg: &ChatMessage, marker: ChatMarker) -> Result<(), ChatError> {
        // Markers go 1:1 to the sender's user JID, even for group messages (wire.md §8.5).
        let to = match (msg.sender_id, msg.kind.clone()) {
            (Some(uid), MessageType::Groupchat) => self.user_jid(uid)?,
            _ => msg
                .from
                .as_ref()
                .map(Jid::to_bare)
                .ok_or_else(|| ChatError::Config("the message has no sender".into()))?,
        };
        let mut m = Message::new(MessageType::Chat)
            .with_to(to)
            .with_id(self.new_id())
            .with_marker(marker);
        if let Some(d) = &msg.dialog_id {
            m = m.with_extra_params(ExtraParams::new().with("dialog_id", d.clone()));
        }
        self.send_stanza(m)
    }

    /// Tells the sender that `msg` was read (XEP-0333 `displayed`).
    pub fn mark_read(&self, msg: &ChatMessage) -> Result<(), ChatError> {
        let id = msg
            .id
            .clone()
            .ok_or_else(|| ChatError::Config("the message has no id".into()))?;
        self.marker(msg, ChatMarker::Displayed { id })
    }

    /// Tells the sender that `msg` was delivered (XEP-0333 `received`).
    pub fn mark_delivered(&self, msg: &ChatMessage) -> Result<(), ChatError> {
        let id = msg
            .id
            .clone()
            .ok_or_else(|| ChatError::Config("the message has no id".into()))?;
        self.marker(msg, ChatMarker::Received { id })
    }

    /// Starts (`true`) or stops typing towards `to`.
    pub fn typing(&self, to: &Target, composing: bool) -> Result<(), ChatError> {
        let (jid, kind) = self.address(to)?;
        let state = if composing {
            ChatState::Composing
        } else {
            ChatState::Paused
        };
        self.send_stanza(Message::new(kind).with_to(jid).with_chat_state(state))
    }

    /// Replaces the text of message `id` sent to `to`.
    pub fn edit(
        &self,
        to: &Target,
        id: &str,
        body: impl Into<String>,
        dialog: Option<DialogId>,
    ) -> Result<(), ChatError> {
        let (jid, kind) = self.address(to)?;
        let mut m = Message::new(kind)
            .with_to(jid)
            .with_id(self.new_id())
            .with_body(body)
            .with_replace(Replace::new(id).with_last(true));
        if let Some(d) = dialog {
            m = m.with_extra_params(ExtraParams::new().with("dialog_id", d.to_string()));
        }
        self.send_stanza(m)
    }

    /// Tells `to` that message `id` was deleted.
    pub fn delete(&self, to: &Target, id: &str, dialog: Option<DialogId>) -> Result<(), ChatError> {
        let (jid, kind) = self.address(to)?;
        let mut m = Message::new(kind)
            .with_to(jid)
            .with_id(self.new_id())
            .with_remove(Remove::new(id));
        if let Some(d) = dialog {
            m = m.with_extra_params(ExtraParams::new().with("dialog_id", d.to_string()));
        }
        self.send_stanza(m)
    }

    /// Joins a MUC room as `nick` (ConnectyCube does not need it to send or receive; other
    /// XMPP servers do).
    pub fn join_room(&self, room: &Jid, nick: &str) -> Result<(), ChatError> {
        let occupant = room
            .with_resource(nick)
            .map_err(|e| ChatError::Config(e.to_string()))?;
        self.send_stanza(Presence::muc_join(occupant).with_id(self.new_id()))
    }

    /// Joins a ConnectyCube group dialog's room (nick = the user id).
    pub fn join_dialog(&self, dialog: DialogId) -> Result<(), ChatError> {
        let room = self.room_jid(dialog)?;
        let nick = self.shared.jid.user_id().map_or_else(
            || self.shared.jid.node().unwrap_or("me").to_owned(),
            |u| u.to_string(),
        );
        self.join_room(&room, &nick)
    }

    /// Leaves a MUC room.
    pub fn leave_room(&self, room: &Jid, nick: &str) -> Result<(), ChatError> {
        let occupant = room
            .with_resource(nick)
            .map_err(|e| ChatError::Config(e.to_string()))?;
        self.send_stanza(Presence::unavailable().with_to(occupant))
    }

    /// Seconds since `user`'s last activity (XEP-0012); 0 when online.
    pub async fn last_activity(&self, user: &Jid) -> Result<u64, ChatError> {
        let iq = Iq::get(
            new_iq_id("lastActivity"),
            IqPayload::LastActivity(LastActivity::query()),
        )
        .with_to(user.clone());
        match self.request(iq).await?.payload {
            Some(IqPayload::LastActivity(l)) => Ok(l.seconds.unwrap_or(0)),
            _ => Err(ChatError::Stream(
                "last activity answer without seconds".into(),
            )),
        }
    }

    /// Pings the server and waits for the answer.
    pub async fn ping(&self) -> Result<(), ChatError> {
        let to = Jid::domain_jid(self.shared.jid.domain())
            .map_err(|e| ChatError::Config(e.to_string()))?;
        self.request(Iq::get(new_iq_id("ping"), IqPayload::Ping).with_to(to))
            .await
            .map(|_| ())
    }

    /// Blocks (`deny`) or unblocks (`allow`) ConnectyCube users with the privacy list `name`
    /// (XEP-0016, as the JS SDK builds it) and makes it the default list, which applies it.
    pub async fn set_blocked(&self, name: &str, users: &[(UserId, bool)]) -> Result<(), ChatError> {
        let app = self
            .shared
            .app_id
            .ok_or_else(|| ChatError::Config("not a ConnectyCube connection: no app id".into()))?;
        let entries: Vec<(UserId, PrivacyAction, bool)> = users
            .iter()
            .map(|(u, block)| {
                let action = if *block {
                    PrivacyAction::Deny
                } else {
                    PrivacyAction::Allow
                };
                (*u, action, false)
            })
            .collect();
        let list = PrivacyList::for_users(
            name,
            &entries,
            cube_model::AppId(app),
            self.shared.jid.domain(),
            &self.shared.muc_domain,
        );
        let mut q = PrivacyQuery::default();
        q.lists.push(list);
        self.request(Iq::set(new_iq_id("edit"), IqPayload::Privacy(q)))
            .await?;
        let mut q = PrivacyQuery::default();
        q.default = Some(ListRef::named(name));
        self.request(Iq::set(new_iq_id("default"), IqPayload::Privacy(q)))
            .await?;
        Ok(())
    }

    /// The users blocked by privacy list `name`.
    pub async fn blocked(&self, name: &str) -> Result<Vec<UserId>, ChatError> {
        let mut q = PrivacyQuery::default();
        q.lists.push(PrivacyList::named(name));
        let answer = self
            .request(Iq::get(new_iq_id("getList"), IqPayload::Privacy(q)))
            .await?;
        let Some(IqPayload::Privacy(q)) = answer.payload else {
            return Ok(Vec::new());
        };
        Ok(q.lists
            .iter()
            .flat_map(PrivacyList::users)
            .filter(|(_, a)| *a == PrivacyAction::Deny)
            .map(|(u, _)| u)
            .collect())
    }

    /// Drops the transport without closing the stream, as a network loss would (for tests
    /// and demos of reconnection).
    pub fn simulate_connection_loss(&self) -> Result<(), ChatError> {
        self.command(Command::Kill)
    }

    /// Closes the stream cleanly and ends the connection; the event stream then ends.
    pub async fn disconnect(&self) {
        let (tx, rx) = oneshot::channel();
        if self.command(Command::Close(tx)).is_ok() {
            let _ = rx.await;
        }
    }
}

/// A fresh ObjectId-style message id dated `unix_secs` (wire.md §8.11).
pub fn new_message_id(unix_secs: i64) -> String {
    cube_model::ObjectId::from_parts(
        u32::try_from(unix_secs).unwrap_or(u32::MAX),
        rand::random(),
        rand::random::<u32>(),
    )
    .to_string()
}

/// A fresh iq id `{uuid-like}:{suffix}`, as the JS SDK makes them.
fn new_iq_id(suffix: &str) -> String {
    let r: [u8; 16] = rand::random();
    format!(
        "{}-{}-4{}-{}-{}:{suffix}",
        hex(&r[0..4]),
        hex(&r[4..6]),
        &hex(&r[6..8])[1..],
        hex(&r[8..10]),
        hex(&r[10..16])
    )
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}
