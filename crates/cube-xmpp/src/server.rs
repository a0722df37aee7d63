//! The server side of one client connection, as a state machine without I/O.
//!
//! # Contract (the quinn-proto shape)
//!
//! * Feed every received chunk (TCP: any split; WebSocket: one text frame per call) to
//!   [`ServerConnection::handle_input`] with the current time in milliseconds (any epoch, as
//!   long as it is the same for every call).
//! * After every call, drain [`ServerConnection::poll_transmit`] (each item is one WebSocket
//!   frame, or one TCP chunk) and [`ServerConnection::poll_event`], then arm a timer for
//!   [`ServerConnection::poll_timeout`] and call [`ServerConnection::handle_timeout`] when it
//!   fires.
//! * Answer the decisions the machine cannot take itself: [`ServerEvent::Authenticate`] (SASL
//!   PLAIN: check the password or session token) with [`ServerConnection::accept_auth`] or
//!   [`ServerConnection::reject_auth`]; [`ServerEvent::ScramLookup`] with
//!   [`ServerConnection::provide_scram_credentials`]; [`ServerEvent::ResumeRequested`] with
//!   [`ServerConnection::resume_session`] or [`ServerConnection::reject_resume`]. Input that
//!   arrives meanwhile is buffered and processed once the answer is given.
//! * Once [`ServerEvent::Bound`] is out, incoming stanzas arrive as [`ServerEvent::Stanza`]
//!   (their `from` stamped with the bound full JID) and outgoing ones go in through
//!   [`ServerConnection::send`] (also accepted before binding: they are queued and flushed
//!   right after the bind result, which is how messages reach the JS SDK between auth and
//!   "connected").
//! * After [`ServerEvent::Closed`], drain `poll_transmit` once more and close the transport.
//!
//! The machine answers by itself: the stream header and features, SASL, resource binding
//! (with a long random resource, wire.md §9 item 9), the legacy session iq, carbons
//! enable/disable, pings to the server, and stream management (`<enable/>`, `<r/>`, `<a/>`,
//! ack requests and resumption).
//!
//! # STARTTLS (RFC 6120 §5)
//!
//! With [`ServerConfig::starttls`] other than [`StartTlsOffer::Off`] (plain TCP with a
//! certificate at hand), the first features offer `<starttls/>` (with `<required/>` and no
//! SASL mechanisms when [`StartTlsOffer::Required`]; SASL before TLS then fails with
//! `encryption-required`). On `<starttls/>` the machine queues `<proceed/>` and emits
//! [`ServerEvent::StartTls`]: write everything from `poll_transmit` on the plain socket, run
//! the TLS handshake on it, and go on feeding what the TLS stream yields; the client opens a
//! fresh stream, which gets the features without `<starttls/>`.

use std::collections::VecDeque;

use crate::codec::{Frame, Framing, Limits, ParseError, StreamHeader};
use crate::conn::{CloseReason, Entropy, SmCounters, Wire};
use crate::element::Element;
use crate::error::DecodeError;
use crate::jid::Jid;
use crate::nonza::{Packet, Sasl, SaslCondition, Sm, StreamFeatures, Tls};
use crate::ns;
use crate::sasl::{self, Password, SaslError, ScramCredentials, ScramServer, mechanism};
use crate::stanza::{DefinedCondition, ErrorType, Iq, IqPayload, IqType, Stanza, StanzaError};
use crate::stream_error::{StreamError, StreamErrorCondition};

/// Whether the first stream features offer STARTTLS.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum StartTlsOffer {
    /// Not offered (WebSocket, direct TLS, or no certificate).
    #[default]
    Off,
    /// Offered; the client may authenticate without it.
    Optional,
    /// Offered with `<required/>`: no SASL before TLS.
    Required,
}

/// What the server offers and how it behaves.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerConfig {
    /// The chat domain: the `from` of stream headers and the domain of user JIDs.
    pub domain: String,
    /// The transport framing.
    pub framing: Framing,
    /// STARTTLS on this connection (the caller must be able to upgrade the socket).
    pub starttls: StartTlsOffer,
    /// Parser bounds.
    pub limits: Limits,
    /// SASL mechanisms offered, in order (default: PLAIN, then SCRAM-SHA-1).
    pub mechanisms: Vec<String>,
    /// Offer XEP-0198 stream management.
    pub stream_management: bool,
    /// Allow stream resumption (requires `stream_management`).
    pub resumption: bool,
    /// The resumption window advertised in `<enabled max>`, seconds.
    pub resumption_max_secs: Option<u32>,
    /// Ask the client for an ack (`<r/>`) this long after the first unacknowledged stanza.
    pub ack_request_delay_ms: u64,
    /// Close the stream (connection-timeout) when an ack request stays unanswered this long.
    pub ack_timeout_ms: u64,
    /// Close the stream (connection-timeout) when the client is not bound this long after the
    /// connection started.
    pub negotiation_timeout_ms: u64,
    /// How many failed SASL attempts are allowed before the stream is closed.
    pub max_auth_attempts: u32,
    /// How many stanzas a client may send between authentication and binding (they are held
    /// and delivered after binding).
    pub max_pending_before_bind: usize,
}

impl ServerConfig {
    /// The defaults for this domain and framing.
    pub fn new(domain: impl Into<String>, framing: Framing) -> Self {
        Self {
            domain: domain.into(),
            framing,
            starttls: StartTlsOffer::Off,
            limits: Limits::default(),
            mechanisms: vec![mechanism::PLAIN.into(), mechanism::SCRAM_SHA_1.into()],
            stream_management: true,
            resumption: true,
            resumption_max_secs: Some(300),
            ack_request_delay_ms: 1_000,
            ack_timeout_ms: 60_000,
            negotiation_timeout_ms: 30_000,
            max_auth_attempts: 3,
            max_pending_before_bind: 64,
        }
    }

    /// Builder: the SASL mechanisms offered, in order.
    pub fn with_mechanisms<S: Into<String>>(
        mut self,
        mechanisms: impl IntoIterator<Item = S>,
    ) -> Self {
        self.mechanisms = mechanisms.into_iter().map(Into::into).collect();
        self
    }

    /// Builder: stream management on or off (and resumption with it).
    pub fn with_stream_management(mut self, enabled: bool, resumption: bool) -> Self {
        self.stream_management = enabled;
        self.resumption = enabled && resumption;
        self
    }

    /// Builder: parser bounds.
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Builder: offer STARTTLS (TCP only; the caller upgrades on [`ServerEvent::StartTls`]).
    pub fn with_starttls(mut self, offer: StartTlsOffer) -> Self {
        self.starttls = offer;
        self
    }
}

/// What the server learns, in order.
// Stanzas are the common event; boxing them would cost an allocation each.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
#[non_exhaustive]
pub enum ServerEvent {
    /// The client opened a stream (its header: `to`, and `from` on reconnects).
    StreamOpened(StreamHeader),
    /// The client sent `<starttls/>` and `<proceed/>` is queued: write everything from
    /// `poll_transmit` on the plain socket, then run the TLS handshake on it and feed what
    /// the TLS stream yields from then on (a fresh stream header first). If the handshake
    /// fails, call [`ServerConnection::connection_lost`].
    StartTls,
    /// SASL PLAIN: decide with [`ServerConnection::accept_auth`] or
    /// [`ServerConnection::reject_auth`]. The password is the user's password or, for
    /// external identities, the session token (wire.md §8.3).
    Authenticate {
        /// `{user_id}-{app_id}`.
        authcid: String,
        /// The authorization identity (empty from the JS SDK).
        authzid: String,
        /// The password or token.
        password: Password,
    },
    /// SASL SCRAM-SHA-1: answer with [`ServerConnection::provide_scram_credentials`].
    ScramLookup {
        /// `{user_id}-{app_id}`.
        authcid: String,
    },
    /// Authentication succeeded for this bare JID.
    Authenticated {
        /// `{authcid}@{domain}`.
        jid: Jid,
        /// The mechanism used.
        mechanism: String,
    },
    /// A resource is bound: the session is live under this full JID.
    Bound {
        /// The full JID.
        jid: Jid,
    },
    /// The client asks to resume a detached session: answer with
    /// [`ServerConnection::resume_session`] or [`ServerConnection::reject_resume`].
    ResumeRequested {
        /// The stream management id of the old session.
        previd: String,
        /// How many of the old session's stanzas the client handled.
        h: u32,
    },
    /// A detached session was resumed under this full JID.
    Resumed {
        /// The full JID.
        jid: Jid,
    },
    /// Stream management is on.
    SmEnabled {
        /// The id to resume with (when resumable).
        id: String,
        /// Whether the session may be resumed.
        resumable: bool,
    },
    /// Carbons were enabled (`true`) or disabled for this session.
    CarbonsChanged(bool),
    /// A stanza from the client, `from` stamped with the bound full JID.
    Stanza(Stanza),
    /// The client acknowledged these stanzas (stream management): they were delivered.
    Acked(Vec<Stanza>),
    /// The connection is over; drain `poll_transmit` and close the transport.
    Closed(CloseReason),
}

/// A session whose connection went away with stream management on: keep it (keyed by
/// [`DetachedSession::id`]) to resume it or to store its undelivered stanzas.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct DetachedSession {
    /// The stream management id (`previd` when resuming).
    pub id: String,
    /// The bound full JID.
    pub jid: Jid,
    /// Whether the client asked for (and was granted) resumption.
    pub resumable: bool,
    /// Stanzas received from the client (the `h` to report on resume).
    pub inbound: u32,
    /// The client's last acknowledged count of our stanzas.
    pub acked: u32,
    /// Stanzas sent to the client and not acknowledged, oldest first.
    pub unacked: Vec<Stanza>,
    /// Whether carbons were enabled.
    pub carbons: bool,
}

/// The decision of [`ServerConnection::accept_auth`]: who the client is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct AuthGrant {
    /// The JID node to use instead of the authcid.
    pub node: Option<String>,
    /// The resource to bind when the client asks for none (instead of one derived from the
    /// connection's entropy). It must be long and unique (wire.md §9 item 9).
    pub resource: Option<String>,
}

impl AuthGrant {
    /// Accept as the authcid, with a generated resource.
    pub fn new() -> Self {
        Self::default()
    }

    /// Builder: bind this resource when the client asks for none.
    pub fn with_resource(mut self, resource: impl Into<String>) -> Self {
        self.resource = Some(resource.into());
        self
    }

    /// Builder: use this JID node instead of the authcid.
    pub fn with_node(mut self, node: impl Into<String>) -> Self {
        self.node = Some(node.into());
        self
    }
}

/// Where the negotiation is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ServerState {
    /// Waiting for the client's stream header.
    AwaitingOpen,
    /// Waiting for SASL (or for the caller's decision on credentials).
    Authenticating,
    /// Authenticated; waiting for the stream restart and resource binding (or resumption).
    Binding,
    /// Bound: stanzas flow.
    Bound,
    /// The stream is over.
    Closed,
}

#[derive(Debug)]
enum Phase {
    AwaitOpen,
    AwaitAuth,
    /// An empty challenge was sent because `<auth>` had no initial response.
    AwaitInitialResponse {
        mechanism: String,
    },
    PlainPending {
        authcid: String,
    },
    ScramLookup {
        server: Box<ScramServer>,
        authcid: String,
    },
    ScramFinal {
        server: Box<ScramServer>,
        authcid: String,
    },
    AwaitRestart,
    AwaitBind,
    ResumePending {
        previd: String,
        h: u32,
    },
    Bound,
    Closed,
}

/// The server side of one client connection.
#[derive(Debug)]
pub struct ServerConnection {
    config: ServerConfig,
    wire: Wire,
    entropy: Entropy,
    phase: Phase,
    events: VecDeque<ServerEvent>,
    now: u64,
    started: u64,
    /// TCP: our stream header for the current stream is sent.
    header_sent: bool,
    /// The stream was upgraded with STARTTLS.
    secured: bool,
    auth_failures: u32,
    /// The authenticated bare JID.
    user: Option<Jid>,
    grant: AuthGrant,
    jid: Option<Jid>,
    carbons: bool,
    sm: SmCounters,
    sm_id: Option<String>,
    sm_resumable: bool,
    ack_request_at: Option<u64>,
    ack_deadline: Option<u64>,
    /// Stanzas from the client between authentication and binding.
    pending_in: Vec<Stanza>,
    /// Stanzas for the client before binding.
    pending_out: Vec<Stanza>,
    /// A fixed SCRAM server nonce (reproducing captured exchanges) instead of entropy.
    scram_nonce: Option<String>,
    /// The caller reports handled stanzas itself ([`ServerConnection::defer_handled`]).
    defer_handled: bool,
    /// Stanzas not yet handled, oldest first, as `(the machine's own answer, counted in
    /// sm.inbound)`: those handed to the caller (no answer), and those the machine answers
    /// itself after them (the answer is held until everything before is handled).
    unhandled: VecDeque<(Option<Stanza>, bool)>,
}

impl ServerConnection {
    /// A connection that has just been accepted. `entropy` (32 random bytes from the caller)
    /// seeds the stream id, the SCRAM nonce, the stream management id and the resource.
    pub fn new(config: ServerConfig, entropy: [u8; 32], now: u64) -> Self {
        Self {
            wire: Wire::new(config.framing, config.limits),
            config,
            entropy: Entropy::new(&entropy),
            phase: Phase::AwaitOpen,
            events: VecDeque::new(),
            now,
            started: now,
            header_sent: false,
            secured: false,
            auth_failures: 0,
            user: None,
            grant: AuthGrant::default(),
            jid: None,
            carbons: false,
            sm: SmCounters::default(),
            sm_id: None,
            sm_resumable: false,
            ack_request_at: None,
            ack_deadline: None,
            pending_in: Vec::new(),
            pending_out: Vec::new(),
            scram_nonce: None,
            defer_handled: false,
            unhandled: VecDeque::new(),
        }
    }

    /// From now on a stanza handed out as [`ServerEvent::Stanza`] counts as handled (the
    /// XEP-0198 `h` of `<a/>` and of [`ServerConnection::detach`]) only once the caller reports
    /// it with [`ServerConnection::handled`]: for callers that finish stanzas later, in order.
    /// Iq the machine answers itself (ping, session, carbons) are answered once everything
    /// before them is handled.
    pub fn defer_handled(&mut self) {
        self.defer_handled = true;
    }

    /// The caller has handled its `n` oldest outstanding stanzas (see
    /// [`ServerConnection::defer_handled`]).
    pub fn handled(&mut self, n: usize) {
        let mut n = n;
        while let Some((answer, _)) = self.unhandled.front() {
            if answer.is_none() {
                if n == 0 {
                    break;
                }
                n -= 1;
            }
            if let Some((Some(answer), _)) = self.unhandled.pop_front() {
                self.send_stanza(answer);
            }
        }
    }

    /// The inbound count without the stanzas the caller has not handled yet.
    fn handled_inbound(&self) -> u32 {
        let pending = self
            .unhandled
            .iter()
            .filter(|&&(_, counted)| counted)
            .count();
        self.sm
            .inbound
            .wrapping_sub(u32::try_from(pending).unwrap_or(u32::MAX))
    }

    /// Uses this SCRAM server nonce instead of one drawn from the entropy: only for
    /// reproducing captured exchanges byte for byte (a fixed nonce allows replay).
    pub fn with_scram_nonce(mut self, nonce: impl Into<String>) -> Self {
        self.scram_nonce = Some(nonce.into());
        self
    }

    /// The configuration.
    pub fn config(&self) -> &ServerConfig {
        &self.config
    }

    /// Where the negotiation is.
    pub fn state(&self) -> ServerState {
        match self.phase {
            Phase::AwaitOpen => ServerState::AwaitingOpen,
            Phase::AwaitAuth
            | Phase::AwaitInitialResponse { .. }
            | Phase::PlainPending { .. }
            | Phase::ScramLookup { .. }
            | Phase::ScramFinal { .. } => ServerState::Authenticating,
            Phase::AwaitRestart | Phase::AwaitBind | Phase::ResumePending { .. } => {
                ServerState::Binding
            }
            Phase::Bound => ServerState::Bound,
            Phase::Closed => ServerState::Closed,
        }
    }

    /// Whether the stream is over.
    pub fn is_closed(&self) -> bool {
        matches!(self.phase, Phase::Closed)
    }

    /// The authenticated bare JID.
    pub fn user(&self) -> Option<&Jid> {
        self.user.as_ref()
    }

    /// The bound full JID.
    pub fn jid(&self) -> Option<&Jid> {
        self.jid.as_ref()
    }

    /// Whether the stream was upgraded to TLS with STARTTLS.
    pub fn is_secured(&self) -> bool {
        self.secured
    }

    /// Whether the client must still negotiate STARTTLS before SASL.
    fn tls_required_now(&self) -> bool {
        self.config.starttls == StartTlsOffer::Required && !self.secured
    }

    /// Whether the client enabled carbons.
    pub fn carbons_enabled(&self) -> bool {
        self.carbons
    }

    /// Whether stream management is on.
    pub fn sm_enabled(&self) -> bool {
        self.sm.enabled
    }

    /// Stanzas sent and not yet acknowledged (stream management), oldest first.
    pub fn unacked(&self) -> impl Iterator<Item = &Stanza> {
        self.sm.unacked.iter()
    }

    /// Feeds received bytes (TCP: any split; WebSocket: one frame).
    pub fn handle_input(&mut self, bytes: &[u8], now: u64) {
        self.now = now;
        if self.is_closed() {
            return;
        }
        self.wire.parser.feed(bytes);
        self.process_with(Some(bytes));
    }

    /// Bounces a stanza error for a WebSocket frame that did not parse, to the sender of the
    /// stanza it started (when it has an id).
    fn bounce_malformed(&mut self, head: &Element, why: &ParseError) {
        let Some(id) = head.attr("id").map(str::to_owned) else {
            return;
        };
        let to = head.attr("to").and_then(|t| t.parse::<Jid>().ok());
        let condition = match why {
            ParseError::StanzaTooLarge { .. } => DefinedCondition::PolicyViolation,
            _ => DefinedCondition::NotAcceptable,
        };
        let error = StanzaError::new(ErrorType::Modify, condition).with_text(why.to_string());
        let bounce = match head.name() {
            "message" => {
                let mut m = crate::stanza::Message::new(crate::stanza::MessageType::Error)
                    .with_id(id)
                    .with_error(error);
                m.from = to;
                m.to.clone_from(&self.jid);
                Stanza::Message(m)
            }
            "iq" if matches!(head.attr("type"), Some("get" | "set")) => {
                let mut iq = Iq::new(IqType::Error, id, None);
                iq.error = Some(error);
                iq.from = to;
                iq.to.clone_from(&self.jid);
                Stanza::Iq(iq)
            }
            _ => return,
        };
        self.send_stanza(bounce);
    }

    /// The next bytes to write: one WebSocket frame or one TCP chunk.
    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        self.wire.poll_transmit()
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<ServerEvent> {
        self.events.pop_front()
    }

    /// When [`ServerConnection::handle_timeout`] should be called next (milliseconds).
    pub fn poll_timeout(&self) -> Option<u64> {
        if self.is_closed() {
            return None;
        }
        let negotiation = (!matches!(self.phase, Phase::Bound))
            .then(|| self.started + self.config.negotiation_timeout_ms);
        [negotiation, self.ack_request_at, self.ack_deadline]
            .into_iter()
            .flatten()
            .min()
    }

    /// Runs the timers due at `now`.
    pub fn handle_timeout(&mut self, now: u64) {
        self.now = now;
        if self.is_closed() {
            return;
        }
        if !matches!(self.phase, Phase::Bound)
            && now >= self.started + self.config.negotiation_timeout_ms
        {
            self.fail_with(
                StreamError::new(StreamErrorCondition::ConnectionTimeout),
                CloseReason::Timeout,
            );
            return;
        }
        if self.ack_deadline.is_some_and(|d| now >= d) {
            self.fail_with(
                StreamError::new(StreamErrorCondition::ConnectionTimeout),
                CloseReason::Timeout,
            );
            return;
        }
        if self.ack_request_at.is_some_and(|t| now >= t) {
            self.request_ack();
        }
    }

    /// SASL PLAIN: the credentials of the last [`ServerEvent::Authenticate`] are good.
    pub fn accept_auth(&mut self, grant: AuthGrant) {
        let Phase::PlainPending { authcid } = &self.phase else {
            return;
        };
        let authcid = authcid.clone();
        self.grant = grant;
        self.succeed(&authcid, mechanism::PLAIN, None);
        self.process();
    }

    /// SASL PLAIN: the credentials of the last [`ServerEvent::Authenticate`] are wrong.
    pub fn reject_auth(&mut self, condition: SaslCondition) {
        if !matches!(self.phase, Phase::PlainPending { .. }) {
            return;
        }
        self.sasl_failure(condition);
        self.process();
    }

    /// SCRAM-SHA-1: the stored credentials of the last [`ServerEvent::ScramLookup`], or
    /// `None` if there is no such user (the client is then refused with `not-authorized`).
    /// `grant` applies if the client's proof then verifies.
    pub fn provide_scram_credentials(
        &mut self,
        credentials: Option<ScramCredentials>,
        grant: AuthGrant,
    ) {
        let phase = std::mem::replace(&mut self.phase, Phase::AwaitAuth);
        let Phase::ScramLookup {
            mut server,
            authcid,
        } = phase
        else {
            self.phase = phase;
            return;
        };
        match credentials {
            Some(c) => {
                self.grant = grant;
                let first = server.server_first(c);
                self.send_packet(Sasl::Challenge(first));
                self.phase = Phase::ScramFinal { server, authcid };
            }
            None => self.sasl_failure(SaslCondition::NotAuthorized),
        }
        self.process();
    }

    /// Resumption: here is the detached session the last [`ServerEvent::ResumeRequested`]
    /// named. It must belong to the authenticated user; otherwise resumption fails.
    pub fn resume_session(&mut self, session: DetachedSession) {
        let Phase::ResumePending { previd, h } = &self.phase else {
            return;
        };
        let (previd, h) = (previd.clone(), *h);
        let same_user = self.user.as_ref() == Some(&session.jid.to_bare());
        if !same_user || session.id != previd || !session.resumable {
            self.reject_resume();
            return;
        }
        self.sm = SmCounters {
            enabled: true,
            inbound: session.inbound,
            acked: session.acked,
            unacked: session.unacked.into(),
            request_outstanding: false,
        };
        self.sm_id = Some(session.id);
        self.sm_resumable = true;
        self.carbons = session.carbons;
        self.jid = Some(session.jid.clone());
        let acked = self.sm.on_ack(h);
        self.send_packet(Sm::Resumed {
            previd,
            h: self.sm.inbound,
        });
        self.phase = Phase::Bound;
        self.events
            .push_back(ServerEvent::Resumed { jid: session.jid });
        if !acked.is_empty() {
            self.events.push_back(ServerEvent::Acked(acked));
        }
        let resend: Vec<Stanza> = self.sm.unacked.iter().cloned().collect();
        for s in &resend {
            self.wire.element(&Element::from(s.clone()));
        }
        if !resend.is_empty() {
            self.schedule_ack_request();
        }
        self.flush_pending();
        self.process();
    }

    /// Resumption: there is no such session (or it expired); the client will bind anew.
    pub fn reject_resume(&mut self) {
        if !matches!(self.phase, Phase::ResumePending { .. }) {
            return;
        }
        self.send_packet(Sm::Failed {
            h: None,
            condition: Some(DefinedCondition::ItemNotFound),
        });
        self.phase = Phase::AwaitBind;
        self.process();
    }

    /// Sends a stanza to the client. Before binding it is held and sent right after the bind
    /// result; after the stream is closed it is dropped (see [`ServerConnection::detach`]).
    pub fn send(&mut self, stanza: impl Into<Stanza>) {
        let stanza = stanza.into();
        match self.phase {
            Phase::Bound => self.send_stanza(stanza),
            Phase::Closed => {}
            _ => self.pending_out.push(stanza),
        }
    }

    /// Closes the stream gracefully.
    pub fn close(&mut self) {
        if self.is_closed() {
            return;
        }
        self.ensure_header();
        self.wire.close();
        self.closed(CloseReason::LocalClosed);
    }

    /// Closes the stream with this error (e.g. `conflict` when a newer session takes the
    /// resource, `system-shutdown`).
    pub fn close_with_error(&mut self, error: StreamError) {
        if self.is_closed() {
            return;
        }
        self.fail_with(error.clone(), CloseReason::LocalError(error));
    }

    /// The transport went away (socket closed or errored).
    pub fn connection_lost(&mut self) {
        if !self.is_closed() {
            self.closed(CloseReason::ConnectionLost);
        }
    }

    /// After the connection ended: the session's stream management state, for resumption
    /// (when [`DetachedSession::resumable`]) or to store its undelivered stanzas. `None` when
    /// the session was never bound with stream management on. Takes the unacked stanzas.
    pub fn detach(&mut self) -> Option<DetachedSession> {
        if !self.sm.enabled {
            return None;
        }
        Some(DetachedSession {
            id: self.sm_id.clone()?,
            jid: self.jid.clone()?,
            resumable: self.sm_resumable,
            inbound: self.handled_inbound(),
            acked: self.sm.acked,
            unacked: self.sm.unacked.drain(..).collect(),
            carbons: self.carbons,
        })
    }

    fn waiting_for_caller(&self) -> bool {
        matches!(
            self.phase,
            Phase::PlainPending { .. } | Phase::ScramLookup { .. } | Phase::ResumePending { .. }
        )
    }

    fn process(&mut self) {
        self.process_with(None);
    }

    /// Processes buffered input. In a bound WebSocket session a frame that does not parse
    /// (the JS SDK emits one for array values in an extension, wire.md §8.5) is skipped and
    /// bounced to its sender as a stanza error instead of ending the stream: WebSocket frames
    /// are self-contained, so the stream is still in sync.
    fn process_with(&mut self, frame: Option<&[u8]>) {
        while !self.is_closed() && !self.waiting_for_caller() {
            match self.wire.parser.next_frame() {
                Ok(Some(frame)) => self.on_frame(frame),
                Ok(None) => break,
                Err(e) => match frame {
                    Some(bytes)
                        if self.wire.framing() == Framing::WebSocket
                            && matches!(self.phase, Phase::Bound) =>
                    {
                        self.wire.parser.discard_frame();
                        if let Some(head) = crate::codec::first_start_tag(bytes) {
                            self.bounce_malformed(&head, &e);
                        }
                    }
                    _ => {
                        let err = StreamError::new(e.condition()).with_text(e.to_string());
                        self.fail_with(err.clone(), CloseReason::LocalError(err));
                    }
                },
            }
        }
    }

    fn on_frame(&mut self, frame: Frame) {
        match frame {
            Frame::Open(header) => self.on_open(header),
            Frame::Close => {
                self.ensure_header();
                self.wire.close();
                self.closed(CloseReason::PeerClosed);
            }
            Frame::Element(el) => self.on_element(el),
        }
    }

    fn on_open(&mut self, header: StreamHeader) {
        let features = match self.phase {
            Phase::AwaitOpen => {
                self.phase = Phase::AwaitAuth;
                match (self.config.starttls, self.secured) {
                    (StartTlsOffer::Required, false) => {
                        StreamFeatures::default().with_starttls(true)
                    }
                    (StartTlsOffer::Optional, false) => {
                        StreamFeatures::sasl(self.config.mechanisms.clone()).with_starttls(false)
                    }
                    _ => StreamFeatures::sasl(self.config.mechanisms.clone()),
                }
            }
            Phase::AwaitRestart => {
                self.phase = Phase::AwaitBind;
                StreamFeatures::bind(self.config.stream_management)
            }
            _ => {
                let err = StreamError::new(StreamErrorCondition::BadFormat)
                    .with_text("unexpected stream header");
                self.fail_with(err.clone(), CloseReason::LocalError(err));
                return;
            }
        };
        self.header_sent = false;
        self.ensure_header();
        self.send_packet(features);
        self.events.push_back(ServerEvent::StreamOpened(header));
    }

    /// Sends our stream header for the current stream if not yet sent.
    fn ensure_header(&mut self) {
        if self.header_sent {
            return;
        }
        self.header_sent = true;
        let id = self.entropy.hex(8);
        let header = StreamHeader::new()
            .with_from(self.config.domain.clone())
            .with_id(id)
            .with_version("1.0")
            .with_lang("en");
        self.wire.open(&header);
    }

    fn on_element(&mut self, el: Element) {
        let is_sasl = el.ns() == ns::SASL;
        let packet = match Packet::try_from(el) {
            Ok(p) => p,
            Err(e) => return self.on_malformed(e, is_sasl),
        };
        match packet {
            Packet::Sasl(s) => self.on_sasl(s),
            Packet::Sm(s) => self.on_sm(s),
            Packet::Stanza(s) => self.on_stanza(s),
            Packet::Tls(Tls::StartTls) => self.on_starttls(),
            Packet::StreamError(e) => self.closed(CloseReason::PeerError(e)),
            Packet::Features(_) | Packet::Tls(_) | Packet::Other(_) => {
                let err = StreamError::new(StreamErrorCondition::UnsupportedStanzaType);
                self.fail_with(err.clone(), CloseReason::LocalError(err));
            }
        }
    }

    /// `<starttls/>`: proceed when offered and nothing else was negotiated yet; otherwise
    /// `<failure/>` and the stream is closed (RFC 6120 §5.4.2.2).
    fn on_starttls(&mut self) {
        let offered = self.config.starttls != StartTlsOffer::Off
            && self.config.framing == Framing::Tcp
            && !self.secured;
        if !offered || !matches!(self.phase, Phase::AwaitAuth) || self.auth_failures > 0 {
            self.send_packet(Tls::Failure);
            self.wire.close();
            self.closed(CloseReason::Negotiation("starttls refused".into()));
            return;
        }
        self.send_packet(Tls::Proceed);
        self.wire.reset_parser();
        self.secured = true;
        self.header_sent = false;
        self.phase = Phase::AwaitOpen;
        self.events.push_back(ServerEvent::StartTls);
    }

    fn on_malformed(&mut self, e: DecodeError, is_sasl: bool) {
        if is_sasl && self.state() == ServerState::Authenticating {
            self.sasl_failure(SaslCondition::IncorrectEncoding);
            return;
        }
        // A malformed stanza has no usable id or address to bounce an error to.
        let err = StreamError::new(StreamErrorCondition::InvalidXml).with_text(e.to_string());
        self.fail_with(err.clone(), CloseReason::LocalError(err));
    }

    fn on_sasl(&mut self, sasl: Sasl) {
        let phase = std::mem::replace(&mut self.phase, Phase::AwaitAuth);
        match (phase, sasl) {
            (Phase::AwaitAuth, Sasl::Auth { mechanism, initial }) => {
                if self.tls_required_now() {
                    self.sasl_failure(SaslCondition::EncryptionRequired);
                    return;
                }
                if !self.config.mechanisms.contains(&mechanism) {
                    self.sasl_failure(SaslCondition::InvalidMechanism);
                    return;
                }
                if let Some(data) = initial {
                    self.start_mechanism(&mechanism, &data);
                } else {
                    self.send_packet(Sasl::Challenge(Vec::new()));
                    self.phase = Phase::AwaitInitialResponse { mechanism };
                }
            }
            (Phase::AwaitInitialResponse { mechanism }, Sasl::Response { data, .. }) => {
                self.start_mechanism(&mechanism, &data);
            }
            (Phase::ScramFinal { server, authcid }, Sasl::Response { data, .. }) => {
                match server.handle_client_final(&data) {
                    Ok(server_final) => {
                        self.succeed(&authcid, mechanism::SCRAM_SHA_1, Some(server_final));
                    }
                    Err(SaslError::InvalidProof) => self.sasl_failure(SaslCondition::NotAuthorized),
                    Err(_) => self.sasl_failure(SaslCondition::MalformedRequest),
                }
            }
            (Phase::AwaitInitialResponse { .. } | Phase::ScramFinal { .. }, Sasl::Abort) => {
                self.sasl_failure(SaslCondition::Aborted);
            }
            (phase, _) => {
                self.phase = phase;
                let err = StreamError::new(StreamErrorCondition::BadFormat)
                    .with_text("unexpected sasl element");
                self.fail_with(err.clone(), CloseReason::LocalError(err));
            }
        }
    }

    fn start_mechanism(&mut self, mech: &str, data: &[u8]) {
        match mech {
            mechanism::PLAIN => match sasl::plain_decode(data) {
                Ok(creds) => {
                    self.phase = Phase::PlainPending {
                        authcid: creds.authcid.clone(),
                    };
                    self.events.push_back(ServerEvent::Authenticate {
                        authcid: creds.authcid,
                        authzid: creds.authzid,
                        password: creds.password,
                    });
                }
                Err(_) => self.sasl_failure(SaslCondition::MalformedRequest),
            },
            mechanism::SCRAM_SHA_1 => {
                let nonce = match &self.scram_nonce {
                    Some(n) => n.clone(),
                    None => self.entropy.hex(12),
                };
                let Ok(mut server) = ScramServer::new(&nonce) else {
                    self.sasl_failure(SaslCondition::TemporaryAuthFailure);
                    return;
                };
                match server.handle_client_first(data) {
                    Ok(first) => {
                        self.phase = Phase::ScramLookup {
                            server: Box::new(server),
                            authcid: first.authcid.clone(),
                        };
                        self.events.push_back(ServerEvent::ScramLookup {
                            authcid: first.authcid,
                        });
                    }
                    Err(_) => self.sasl_failure(SaslCondition::MalformedRequest),
                }
            }
            _ => self.sasl_failure(SaslCondition::InvalidMechanism),
        }
    }

    fn succeed(&mut self, authcid: &str, mech: &str, data: Option<Vec<u8>>) {
        let node = self
            .grant
            .node
            .clone()
            .unwrap_or_else(|| authcid.to_owned());
        let Ok(user) = Jid::new(Some(&node), &self.config.domain, None) else {
            self.sasl_failure(SaslCondition::NotAuthorized);
            return;
        };
        self.send_packet(Sasl::Success(data));
        self.user = Some(user.clone());
        self.phase = Phase::AwaitRestart;
        self.events.push_back(ServerEvent::Authenticated {
            jid: user,
            mechanism: mech.to_owned(),
        });
    }

    fn sasl_failure(&mut self, condition: SaslCondition) {
        self.send_packet(Sasl::Failure {
            condition,
            text: None,
        });
        self.phase = Phase::AwaitAuth;
        self.auth_failures += 1;
        if self.auth_failures >= self.config.max_auth_attempts {
            let err = StreamError::new(StreamErrorCondition::NotAuthorized)
                .with_text("too many failed authentication attempts");
            self.fail_with(err.clone(), CloseReason::LocalError(err));
        }
    }

    fn on_sm(&mut self, sm: Sm) {
        match sm {
            Sm::Enable { resume, .. } => self.on_sm_enable(resume),
            Sm::Resume { previd, h } => {
                if matches!(self.phase, Phase::AwaitBind) && self.config.resumption {
                    self.phase = Phase::ResumePending {
                        previd: previd.clone(),
                        h,
                    };
                    self.events
                        .push_back(ServerEvent::ResumeRequested { previd, h });
                } else {
                    self.send_packet(Sm::Failed {
                        h: None,
                        condition: Some(DefinedCondition::UnexpectedRequest),
                    });
                }
            }
            Sm::Request if self.sm.enabled => {
                let h = self.handled_inbound();
                self.send_packet(Sm::Ack { h });
            }
            Sm::Ack { h } if self.sm.enabled => {
                let acked = self.sm.on_ack(h);
                self.sm.request_outstanding = false;
                self.ack_deadline = None;
                if !acked.is_empty() {
                    self.events.push_back(ServerEvent::Acked(acked));
                }
                if self.sm.unacked.is_empty() {
                    self.ack_request_at = None;
                } else {
                    self.schedule_ack_request();
                }
            }
            // `<r/>`/`<a/>` without stream management, or server-only elements: ignore.
            _ => {}
        }
    }

    fn on_sm_enable(&mut self, resume: bool) {
        if !matches!(self.phase, Phase::Bound) || self.sm.enabled || !self.config.stream_management
        {
            let condition = if self.config.stream_management {
                DefinedCondition::UnexpectedRequest
            } else {
                DefinedCondition::FeatureNotImplemented
            };
            self.send_packet(Sm::Failed {
                h: None,
                condition: Some(condition),
            });
            return;
        }
        let id = self.entropy.hex(12);
        let resumable = resume && self.config.resumption;
        self.sm = SmCounters {
            enabled: true,
            ..SmCounters::default()
        };
        self.sm_id = Some(id.clone());
        self.sm_resumable = resumable;
        self.send_packet(Sm::Enabled {
            id: Some(id.clone()),
            resume: resumable,
            max: if resumable {
                self.config.resumption_max_secs
            } else {
                None
            },
            location: None,
        });
        self.events
            .push_back(ServerEvent::SmEnabled { id, resumable });
    }

    fn on_stanza(&mut self, stanza: Stanza) {
        match self.phase {
            Phase::Bound => {}
            Phase::AwaitBind | Phase::AwaitRestart => {
                if let Stanza::Iq(iq) = &stanza {
                    if matches!(iq.payload, Some(IqPayload::Bind(_)))
                        && iq.kind == IqType::Set
                        && matches!(self.phase, Phase::AwaitBind)
                    {
                        let iq = iq.clone();
                        self.bind(&iq);
                        return;
                    }
                }
                if self.pending_in.len() >= self.config.max_pending_before_bind {
                    let err = StreamError::new(StreamErrorCondition::PolicyViolation)
                        .with_text("too many stanzas before resource binding");
                    self.fail_with(err.clone(), CloseReason::LocalError(err));
                } else {
                    self.pending_in.push(stanza);
                }
                return;
            }
            _ => {
                let err = StreamError::new(StreamErrorCondition::NotAuthorized);
                self.fail_with(err.clone(), CloseReason::LocalError(err));
                return;
            }
        }
        if self.sm.enabled {
            self.sm.inbound = self.sm.inbound.wrapping_add(1);
        }
        self.deliver(stanza);
    }

    /// Handles what the machine answers itself, stamps `from`, and emits the rest.
    fn deliver(&mut self, mut stanza: Stanza) {
        if let Stanza::Iq(iq) = &stanza {
            if iq.is_request() && self.handle_own_iq(iq) {
                return;
            }
        }
        stanza.set_from(self.jid.clone());
        if self.defer_handled {
            self.unhandled.push_back((None, self.sm.enabled));
        }
        self.events.push_back(ServerEvent::Stanza(stanza));
    }

    fn addressed_to_server(&self, iq: &Iq) -> bool {
        match &iq.to {
            None => true,
            Some(to) => {
                to.node().is_none() && to.resource().is_none() && to.domain() == self.config.domain
                    || Some(to) == self.user.as_ref()
            }
        }
    }

    fn handle_own_iq(&mut self, iq: &Iq) -> bool {
        let answer = match (&iq.kind, &iq.payload) {
            (IqType::Set, Some(IqPayload::CarbonsEnable | IqPayload::CarbonsDisable)) => {
                let enable = matches!(iq.payload, Some(IqPayload::CarbonsEnable));
                if self.carbons != enable {
                    self.carbons = enable;
                    self.events.push_back(ServerEvent::CarbonsChanged(enable));
                }
                Iq::result_for(iq, None)
            }
            (IqType::Set, Some(IqPayload::Session)) => Iq::result_for(iq, None),
            (IqType::Get, Some(IqPayload::Ping)) if self.addressed_to_server(iq) => {
                Iq::result_for(iq, None)
            }
            (IqType::Set, Some(IqPayload::Bind(_))) => Iq::error_for(
                iq,
                StanzaError::new(ErrorType::Cancel, DefinedCondition::NotAllowed),
            ),
            _ => return false,
        };
        let mut answer = answer;
        // As the JS SDK's captures show: `from` is whom the client addressed (none, or the
        // domain for pings), `to` is the client's full JID.
        answer.from.clone_from(&iq.to);
        answer.to.clone_from(&self.jid);
        if self.unhandled.is_empty() {
            self.send_stanza(Stanza::Iq(answer));
        } else {
            self.unhandled
                .push_back((Some(Stanza::Iq(answer)), self.sm.enabled));
        }
        true
    }

    fn bind(&mut self, iq: &Iq) {
        let Some(user) = self.user.clone() else {
            return;
        };
        let requested = match &iq.payload {
            Some(IqPayload::Bind(b)) => b.resource.clone(),
            _ => None,
        };
        let resource = requested
            .or_else(|| self.grant.resource.clone())
            .unwrap_or_else(|| self.entropy.hex(12));
        let Ok(jid) = user.with_resource(&resource) else {
            let mut err = Iq::error_for(
                iq,
                StanzaError::new(ErrorType::Modify, DefinedCondition::BadRequest),
            );
            err.from = None;
            self.wire.element(&Element::from(Stanza::Iq(err)));
            return;
        };
        let mut result = Iq::new(
            IqType::Result,
            iq.id.clone(),
            Some(IqPayload::Bind(crate::stanza::Bind::bound(jid.clone()))),
        );
        result.from = None;
        result.to = None;
        self.wire.element(&Element::from(Stanza::Iq(result)));
        self.jid = Some(jid.clone());
        self.phase = Phase::Bound;
        self.events.push_back(ServerEvent::Bound { jid });
        self.flush_pending();
    }

    fn flush_pending(&mut self) {
        for stanza in std::mem::take(&mut self.pending_out) {
            self.send_stanza(stanza);
        }
        for stanza in std::mem::take(&mut self.pending_in) {
            if self.sm.enabled {
                self.sm.inbound = self.sm.inbound.wrapping_add(1);
            }
            self.deliver(stanza);
        }
    }

    fn send_stanza(&mut self, stanza: Stanza) {
        self.wire.element(&Element::from(stanza.clone()));
        if self.sm.enabled {
            self.sm.unacked.push_back(stanza);
            self.schedule_ack_request();
        }
    }

    fn schedule_ack_request(&mut self) {
        if !self.sm.request_outstanding && self.ack_request_at.is_none() {
            self.ack_request_at = Some(self.now + self.config.ack_request_delay_ms);
        }
    }

    fn request_ack(&mut self) {
        self.ack_request_at = None;
        if self.sm.unacked.is_empty() || self.sm.request_outstanding {
            return;
        }
        self.send_packet(Sm::Request);
        self.sm.request_outstanding = true;
        self.ack_deadline = Some(self.now + self.config.ack_timeout_ms);
    }

    fn send_packet(&mut self, packet: impl Into<Element>) {
        self.wire.element(&packet.into());
    }

    fn fail_with(&mut self, error: StreamError, reason: CloseReason) {
        if self.is_closed() {
            return;
        }
        self.ensure_header();
        self.wire.element(&Element::from(error));
        self.wire.close();
        self.closed(reason);
    }

    fn closed(&mut self, reason: CloseReason) {
        self.phase = Phase::Closed;
        self.ack_request_at = None;
        self.ack_deadline = None;
        self.events.push_back(ServerEvent::Closed(reason));
    }

    /// Whether bytes are waiting in [`ServerConnection::poll_transmit`].
    pub fn has_pending_transmit(&self) -> bool {
        self.wire.has_pending()
    }
}
