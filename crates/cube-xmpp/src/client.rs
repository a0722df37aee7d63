//! The client side of one chat connection, as a state machine without I/O.
//!
//! # Contract (the quinn-proto shape)
//!
//! * Create the machine when the transport is up: it queues the stream header at once.
//! * Feed every received chunk (TCP: any split; WebSocket: one text frame per call) to
//!   [`ClientConnection::handle_input`] with the current time in milliseconds.
//! * After every call, drain [`ClientConnection::poll_transmit`] and
//!   [`ClientConnection::poll_event`], arm a timer for [`ClientConnection::poll_timeout`] and
//!   call [`ClientConnection::handle_timeout`] when it fires.
//! * The machine negotiates by itself: stream header, SASL (SCRAM-SHA-1 when offered and
//!   allowed, else PLAIN), restart, resumption or resource binding, stream management,
//!   carbons, initial presence; then [`ClientEvent::Online`]. Stanzas that arrive before
//!   that are held and emitted right after it (as the JS SDK does).
//! * Afterwards, send stanzas with [`ClientConnection::send`]; incoming ones arrive as
//!   [`ClientEvent::Stanza`]. Server pings are answered, acks requested and answered, and the
//!   connection is kept alive with pings when it is idle.
//! * STARTTLS (RFC 6120 §5, TCP only): with [`ClientConfig::starttls`] other than
//!   [`StartTlsUse::Never`], an offered `<starttls/>` is taken before SASL; on `<proceed/>`
//!   the machine emits [`ClientEvent::StartTls`] and waits: write everything from
//!   `poll_transmit`, run the TLS handshake on the socket, then call
//!   [`ClientConnection::tls_established`], which restarts the stream over TLS.
//! * When the transport drops, call [`ClientConnection::connection_lost`]; keep
//!   [`ClientConnection::resume_state`] to resume on the next connection, or
//!   [`ClientConnection::take_unacked`] to resend.

use std::collections::VecDeque;

use crate::codec::{Frame, Framing, Limits, StreamHeader};
use crate::conn::{CloseReason, Entropy, SmCounters, Wire};
use crate::element::Element;
use crate::jid::Jid;
use crate::nonza::{Packet, Sasl, Sm, StreamFeatures, Tls};
use crate::sasl::{Password, ScramClient, mechanism, plain_encode};
use crate::stanza::{Iq, IqPayload, IqType, Presence, Stanza};
use crate::stream_error::{StreamError, StreamErrorCondition};

/// Whether the client upgrades a plain TCP stream with STARTTLS.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum StartTlsUse {
    /// Never (WebSocket, direct TLS, or a caller that cannot upgrade): a server that
    /// requires STARTTLS ends the negotiation.
    #[default]
    Never,
    /// When the server offers it.
    WhenOffered,
    /// Always: a server that does not offer it ends the negotiation before credentials are
    /// sent.
    Required,
}

/// Who connects and how.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ClientConfig {
    /// The user's bare JID, `{user_id}-{app_id}@{chat_domain}`; its node is the SASL authcid.
    pub jid: Jid,
    /// The password or session token (wire.md §8.3).
    pub password: Password,
    /// The transport framing.
    pub framing: Framing,
    /// STARTTLS on this connection (the caller must be able to upgrade the socket).
    pub starttls: StartTlsUse,
    /// The stream header's `to` (the JS SDK uses the WebSocket URL's host).
    pub stream_to: String,
    /// Put `from="{bare JID}"` in the stream header (the JS SDK does on reconnects).
    pub announce_from: bool,
    /// Ask for this resource (none: the server assigns one, as the JS SDK does).
    pub resource: Option<String>,
    /// Use SCRAM-SHA-1 when offered.
    pub allow_scram: bool,
    /// Use PLAIN when offered (and SCRAM is not used).
    pub allow_plain: bool,
    /// Enable XEP-0198 stream management when offered.
    pub stream_management: bool,
    /// Ask for resumption when enabling stream management.
    pub request_resumption: bool,
    /// Resume this earlier session instead of binding anew.
    pub resume: Option<ResumeState>,
    /// Enable carbons after binding.
    pub carbons: bool,
    /// Send the initial presence after binding.
    pub initial_presence: bool,
    /// Ping when nothing was received for this long (none: never).
    pub ping_interval_ms: Option<u64>,
    /// Give up when a ping gets no traffic back within this long.
    pub ping_timeout_ms: u64,
    /// Give up when negotiation takes longer than this.
    pub negotiation_timeout_ms: u64,
    /// Parser bounds.
    pub limits: Limits,
}

impl ClientConfig {
    /// The defaults for this user: SCRAM or PLAIN, stream management with resumption,
    /// carbons, initial presence, a ping after a minute of silence.
    pub fn new(jid: Jid, password: Password, framing: Framing) -> Self {
        let stream_to = jid.domain().to_owned();
        Self {
            jid: jid.to_bare(),
            password,
            framing,
            starttls: StartTlsUse::Never,
            stream_to,
            announce_from: false,
            resource: None,
            allow_scram: true,
            allow_plain: true,
            stream_management: true,
            request_resumption: true,
            resume: None,
            carbons: true,
            initial_presence: true,
            ping_interval_ms: Some(60_000),
            ping_timeout_ms: 20_000,
            negotiation_timeout_ms: 30_000,
            limits: Limits::default(),
        }
    }

    /// Builder: the stream header's `to`.
    pub fn with_stream_to(mut self, to: impl Into<String>) -> Self {
        self.stream_to = to.into();
        self
    }

    /// Builder: resume this session.
    pub fn with_resume(mut self, state: ResumeState) -> Self {
        self.resume = Some(state);
        self
    }

    /// Builder: stream management on or off, and whether to ask for resumption.
    pub fn with_stream_management(mut self, enabled: bool, resumption: bool) -> Self {
        self.stream_management = enabled;
        self.request_resumption = enabled && resumption;
        self
    }

    /// Builder: which SASL mechanisms may be used.
    pub fn with_mechanisms(mut self, scram: bool, plain: bool) -> Self {
        self.allow_scram = scram;
        self.allow_plain = plain;
        self
    }

    /// Builder: STARTTLS use (TCP only; the caller upgrades on [`ClientEvent::StartTls`]).
    pub fn with_starttls(mut self, starttls: StartTlsUse) -> Self {
        self.starttls = starttls;
        self
    }

    /// Builder: keepalive pings.
    pub fn with_ping(mut self, interval_ms: Option<u64>, timeout_ms: u64) -> Self {
        self.ping_interval_ms = interval_ms;
        self.ping_timeout_ms = timeout_ms;
        self
    }
}

/// What a new connection needs to resume a session (XEP-0198).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ResumeState {
    /// The server's stream management id.
    pub previd: String,
    /// The full JID of the session.
    pub jid: Jid,
    /// Stanzas received (the `h` to send).
    pub inbound: u32,
    /// The server's last acknowledged count of our stanzas.
    pub acked: u32,
    /// Stanzas sent and not acknowledged, oldest first (resent after resumption).
    pub unacked: Vec<Stanza>,
}

/// What the client learns, in order.
// Stanzas are the common event; boxing them would cost an allocation each.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
#[non_exhaustive]
pub enum ClientEvent {
    /// The server agreed to STARTTLS: write everything from `poll_transmit`, run the TLS
    /// handshake on the socket, then call [`ClientConnection::tls_established`] (or
    /// [`ClientConnection::connection_lost`] if the handshake fails).
    StartTls,
    /// SASL succeeded with this mechanism.
    Authenticated {
        /// The mechanism used.
        mechanism: String,
    },
    /// The server bound this full JID.
    Bound {
        /// The full JID.
        jid: Jid,
    },
    /// Stream management is on.
    SmEnabled {
        /// Whether the server allows resumption.
        resumable: bool,
    },
    /// Resumption failed; a new session is being bound. These stanzas were never
    /// acknowledged by the old session.
    ResumeFailed {
        /// The old session's unacknowledged stanzas.
        unacked: Vec<Stanza>,
    },
    /// Negotiation is complete: the session is usable.
    Online {
        /// The full JID.
        jid: Jid,
        /// Whether an earlier session was resumed (no new bind, carbons or presence).
        resumed: bool,
    },
    /// A stanza from the server.
    Stanza(Stanza),
    /// The server acknowledged these stanzas (the JS SDK's `sent-message`).
    Acked(Vec<Stanza>),
    /// The connection is over; drain `poll_transmit` and close the transport.
    Closed(CloseReason),
}

/// Why a stanza could not be sent.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SendError {
    /// No resource is bound yet.
    #[error("the chat session is not established yet")]
    NotReady,
    /// The connection is closed.
    #[error("the chat connection is closed")]
    Closed,
}

#[derive(Debug)]
enum Phase {
    AwaitOpen,
    AwaitFeatures,
    AwaitProceed,
    AwaitTls,
    AwaitPlainSuccess,
    AwaitScramChallenge(Box<ScramClient>),
    AwaitScramSuccess(Box<ScramClient>),
    AwaitResumed,
    AwaitBind { id: String },
    AwaitSmEnabled,
    AwaitCarbons { id: String },
    Online,
    Closed,
}

/// The client side of one chat connection.
#[derive(Debug)]
pub struct ClientConnection {
    config: ClientConfig,
    wire: Wire,
    entropy: Entropy,
    phase: Phase,
    authenticated: bool,
    /// The stream was upgraded with STARTTLS.
    secured: bool,
    features: StreamFeatures,
    events: VecDeque<ClientEvent>,
    now: u64,
    started: u64,
    last_rx: u64,
    ping_deadline: Option<u64>,
    jid: Option<Jid>,
    sm: SmCounters,
    sm_id: Option<String>,
    sm_resumable: bool,
    held: Vec<Stanza>,
}

impl ClientConnection {
    /// A connection whose transport is up; the stream header is queued. `entropy` (32 random
    /// bytes from the caller) seeds the SCRAM nonce and the iq ids.
    pub fn new(config: ClientConfig, entropy: [u8; 32], now: u64) -> Self {
        let mut conn = Self {
            wire: Wire::new(config.framing, config.limits),
            config,
            entropy: Entropy::new(&entropy),
            phase: Phase::AwaitOpen,
            authenticated: false,
            secured: false,
            features: StreamFeatures::default(),
            events: VecDeque::new(),
            now,
            started: now,
            last_rx: now,
            ping_deadline: None,
            jid: None,
            sm: SmCounters::default(),
            sm_id: None,
            sm_resumable: false,
            held: Vec::new(),
        };
        conn.open_stream();
        conn
    }

    /// The configuration.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// The bound full JID.
    pub fn jid(&self) -> Option<&Jid> {
        self.jid.as_ref()
    }

    /// Whether negotiation is complete.
    pub fn is_online(&self) -> bool {
        matches!(self.phase, Phase::Online)
    }

    /// Whether the connection is over.
    pub fn is_closed(&self) -> bool {
        matches!(self.phase, Phase::Closed)
    }

    /// Whether stream management is on.
    pub fn sm_enabled(&self) -> bool {
        self.sm.enabled
    }

    /// Whether the stream was upgraded to TLS with STARTTLS.
    pub fn is_secured(&self) -> bool {
        self.secured
    }

    /// Whether the machine waits for the caller's TLS handshake ([`ClientEvent::StartTls`]).
    pub fn awaiting_tls(&self) -> bool {
        matches!(self.phase, Phase::AwaitTls)
    }

    /// The TLS handshake after [`ClientEvent::StartTls`] succeeded: the stream restarts over
    /// TLS (a fresh header is queued; anything received in plain after `<proceed/>` is
    /// forgotten).
    pub fn tls_established(&mut self, now: u64) {
        self.now = now;
        if !matches!(self.phase, Phase::AwaitTls) {
            return;
        }
        self.secured = true;
        self.wire.reset_parser();
        self.open_stream();
    }

    /// Feeds received bytes (TCP: any split; WebSocket: one frame).
    pub fn handle_input(&mut self, bytes: &[u8], now: u64) {
        self.now = now;
        if self.is_closed() {
            return;
        }
        self.last_rx = now;
        self.ping_deadline = None;
        if self.awaiting_tls() {
            // Plaintext after `<proceed/>`: not part of any stream.
            return;
        }
        self.wire.parser.feed(bytes);
        while !self.is_closed() && !self.awaiting_tls() {
            match self.wire.parser.next_frame() {
                Ok(Some(frame)) => self.on_frame(frame),
                Ok(None) => break,
                Err(e) => {
                    let err = StreamError::new(e.condition()).with_text(e.to_string());
                    self.fail_with(err.clone(), CloseReason::LocalError(err));
                }
            }
        }
    }

    /// The next bytes to write: one WebSocket frame or one TCP chunk.
    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        self.wire.poll_transmit()
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<ClientEvent> {
        self.events.pop_front()
    }

    /// When [`ClientConnection::handle_timeout`] should be called next (milliseconds).
    pub fn poll_timeout(&self) -> Option<u64> {
        match self.phase {
            Phase::Closed => None,
            Phase::Online => match (self.ping_deadline, self.config.ping_interval_ms) {
                (Some(deadline), _) => Some(deadline),
                (None, Some(interval)) => Some(self.last_rx + interval),
                (None, None) => None,
            },
            _ => Some(self.started + self.config.negotiation_timeout_ms),
        }
    }

    /// Runs the timers due at `now`.
    pub fn handle_timeout(&mut self, now: u64) {
        self.now = now;
        match self.phase {
            Phase::Closed => {}
            Phase::Online => {
                if self.ping_deadline.is_some_and(|d| now >= d) {
                    self.wire.close();
                    self.closed(CloseReason::Timeout);
                } else if self.ping_deadline.is_none()
                    && self
                        .config
                        .ping_interval_ms
                        .is_some_and(|i| now >= self.last_rx + i)
                {
                    self.ping();
                }
            }
            _ => {
                if now >= self.started + self.config.negotiation_timeout_ms {
                    self.wire.close();
                    self.closed(CloseReason::Timeout);
                }
            }
        }
    }

    /// Sends a stanza (after binding). With stream management, it is kept until acknowledged
    /// and an ack is requested after each content message.
    pub fn send(&mut self, stanza: impl Into<Stanza>) -> Result<(), SendError> {
        match self.phase {
            Phase::Closed => return Err(SendError::Closed),
            Phase::AwaitSmEnabled | Phase::AwaitCarbons { .. } | Phase::Online => {}
            _ => return Err(SendError::NotReady),
        }
        let stanza = stanza.into();
        let wants_ack = matches!(&stanza, Stanza::Message(m) if m.has_content());
        self.send_stanza(stanza);
        if self.sm.enabled && wants_ack {
            self.wire.element(&Sm::Request.into());
            self.sm.request_outstanding = true;
        }
        Ok(())
    }

    /// Closes the stream gracefully. With stream management on, a last `<a h/>` goes first,
    /// so that the server does not keep (and later re-deliver) stanzas already received.
    pub fn close(&mut self) {
        if self.is_closed() {
            return;
        }
        if self.sm.enabled {
            let h = self.sm.inbound;
            self.send_packet(Sm::Ack { h });
        }
        self.wire.close();
        self.closed(CloseReason::LocalClosed);
    }

    /// The transport went away.
    pub fn connection_lost(&mut self) {
        if !self.is_closed() {
            self.closed(CloseReason::ConnectionLost);
        }
    }

    /// What the next connection needs to resume this session, if the server allowed it.
    pub fn resume_state(&self) -> Option<ResumeState> {
        if !self.sm.enabled || !self.sm_resumable {
            return None;
        }
        Some(ResumeState {
            previd: self.sm_id.clone()?,
            jid: self.jid.clone()?,
            inbound: self.sm.inbound,
            acked: self.sm.acked,
            unacked: self.sm.unacked.iter().cloned().collect(),
        })
    }

    /// Takes the stanzas sent and not acknowledged (to resend on a new session).
    pub fn take_unacked(&mut self) -> Vec<Stanza> {
        self.sm.unacked.drain(..).collect()
    }

    fn open_stream(&mut self) {
        let mut header = StreamHeader::new()
            .with_to(self.config.stream_to.clone())
            .with_version("1.0");
        if self.config.announce_from {
            header = header.with_from(self.config.jid.to_string());
        }
        self.wire.open(&header);
        self.phase = Phase::AwaitOpen;
    }

    fn on_frame(&mut self, frame: Frame) {
        match frame {
            Frame::Open(_) => {
                if matches!(self.phase, Phase::AwaitOpen) {
                    self.phase = Phase::AwaitFeatures;
                } else {
                    self.negotiation_failed("unexpected stream header");
                }
            }
            Frame::Close => {
                self.wire.close();
                self.closed(CloseReason::PeerClosed);
            }
            Frame::Element(el) => match Packet::try_from(el) {
                Ok(packet) => self.on_packet(packet),
                Err(e) => {
                    let err =
                        StreamError::new(StreamErrorCondition::InvalidXml).with_text(e.to_string());
                    self.fail_with(err.clone(), CloseReason::LocalError(err));
                }
            },
        }
    }

    fn on_packet(&mut self, packet: Packet) {
        match packet {
            Packet::Features(f) if matches!(self.phase, Phase::AwaitFeatures) => {
                self.features = f;
                if self.authenticated {
                    self.after_auth_features();
                } else if !self.secured {
                    self.maybe_starttls();
                } else {
                    self.start_sasl();
                }
            }
            Packet::Tls(Tls::Proceed) if matches!(self.phase, Phase::AwaitProceed) => {
                self.phase = Phase::AwaitTls;
                self.events.push_back(ClientEvent::StartTls);
            }
            Packet::Tls(Tls::Failure) if matches!(self.phase, Phase::AwaitProceed) => {
                self.wire.close();
                self.closed(CloseReason::Negotiation(
                    "the server refused starttls".to_owned(),
                ));
            }
            Packet::Sasl(s) => self.on_sasl(s),
            Packet::Sm(s) => self.on_sm(s),
            Packet::Stanza(s) => self.on_stanza(s),
            Packet::StreamError(e) => {
                self.wire.close();
                self.closed(CloseReason::PeerError(e));
            }
            Packet::Features(_) | Packet::Tls(_) | Packet::Other(_) => {}
        }
    }

    /// Before SASL on a plain stream: STARTTLS when offered and wanted, or the end of the
    /// negotiation when one side requires it and the other does not do it.
    fn maybe_starttls(&mut self) {
        let offered = self.features.starttls;
        let usable = self.config.framing == Framing::Tcp;
        match (self.config.starttls, offered) {
            (StartTlsUse::WhenOffered | StartTlsUse::Required, Some(_)) if usable => {
                self.send_packet(Tls::StartTls);
                self.phase = Phase::AwaitProceed;
            }
            (StartTlsUse::Required, _) => {
                self.negotiation_failed("the server does not offer starttls");
            }
            (_, Some(true)) => self.negotiation_failed("the server requires starttls"),
            _ => self.start_sasl(),
        }
    }

    fn start_sasl(&mut self) {
        let username = self.config.jid.node().unwrap_or_default().to_owned();
        if self.config.allow_scram && self.features.offers(mechanism::SCRAM_SHA_1) {
            let nonce = self.entropy.hex(16);
            match ScramClient::new(&username, self.config.password.clone(), &nonce) {
                Ok(client) => {
                    self.send_packet(Sasl::Auth {
                        mechanism: mechanism::SCRAM_SHA_1.into(),
                        initial: Some(client.client_first()),
                    });
                    self.phase = Phase::AwaitScramChallenge(Box::new(client));
                }
                Err(e) => self.negotiation_failed(&e.to_string()),
            }
        } else if self.config.allow_plain && self.features.offers(mechanism::PLAIN) {
            self.send_packet(Sasl::Auth {
                mechanism: mechanism::PLAIN.into(),
                initial: Some(plain_encode("", &username, self.config.password.expose())),
            });
            self.phase = Phase::AwaitPlainSuccess;
        } else {
            self.negotiation_failed("no usable sasl mechanism offered");
        }
    }

    fn on_sasl(&mut self, sasl: Sasl) {
        let phase = std::mem::replace(&mut self.phase, Phase::AwaitFeatures);
        match (phase, sasl) {
            (Phase::AwaitScramChallenge(mut client), Sasl::Challenge(data)) => {
                match client.handle_server_first(&data) {
                    Ok(final_message) => {
                        self.send_packet(Sasl::Response {
                            data: final_message,
                            mechanism: None,
                        });
                        self.phase = Phase::AwaitScramSuccess(client);
                    }
                    Err(e) => self.negotiation_failed(&e.to_string()),
                }
            }
            (Phase::AwaitScramSuccess(client), Sasl::Success(data)) => {
                match client.verify_server_final(data.as_deref().unwrap_or_default()) {
                    Ok(()) => self.authenticated(mechanism::SCRAM_SHA_1),
                    Err(e) => self.negotiation_failed(&e.to_string()),
                }
            }
            (Phase::AwaitPlainSuccess, Sasl::Success(_)) => self.authenticated(mechanism::PLAIN),
            (
                Phase::AwaitPlainSuccess
                | Phase::AwaitScramChallenge(_)
                | Phase::AwaitScramSuccess(_),
                Sasl::Failure { condition, text },
            ) => {
                self.wire.close();
                self.closed(CloseReason::AuthFailed { condition, text });
            }
            (phase, _) => {
                self.phase = phase;
                self.negotiation_failed("unexpected sasl element");
            }
        }
    }

    fn authenticated(&mut self, mech: &str) {
        self.authenticated = true;
        self.events.push_back(ClientEvent::Authenticated {
            mechanism: mech.to_owned(),
        });
        self.open_stream();
    }

    fn after_auth_features(&mut self) {
        if let Some(state) = self.config.resume.take() {
            if self.features.sm {
                self.sm = SmCounters {
                    enabled: true,
                    inbound: state.inbound,
                    acked: state.acked,
                    unacked: state.unacked.into(),
                    request_outstanding: false,
                };
                self.sm_id = Some(state.previd.clone());
                self.sm_resumable = true;
                self.jid = Some(state.jid);
                self.send_packet(Sm::Resume {
                    previd: state.previd,
                    h: state.inbound,
                });
                self.phase = Phase::AwaitResumed;
                return;
            }
            self.events.push_back(ClientEvent::ResumeFailed {
                unacked: state.unacked,
            });
        }
        self.bind();
    }

    fn bind(&mut self) {
        let id = self.entropy.base36(10);
        let bind = crate::stanza::Bind {
            resource: self.config.resource.clone(),
            jid: None,
        };
        let iq = Iq::set(id.clone(), IqPayload::Bind(bind));
        self.wire.element(&Element::from(Stanza::Iq(iq)));
        self.phase = Phase::AwaitBind { id };
    }

    fn on_sm(&mut self, sm: Sm) {
        match (&self.phase, sm) {
            (Phase::AwaitResumed, Sm::Resumed { h, .. }) => {
                let acked = self.sm.on_ack(h);
                if !acked.is_empty() {
                    self.events.push_back(ClientEvent::Acked(acked));
                }
                let resend: Vec<Stanza> = self.sm.unacked.iter().cloned().collect();
                for s in resend {
                    self.wire.element(&Element::from(s));
                }
                if !self.sm.unacked.is_empty() {
                    self.wire.element(&Sm::Request.into());
                    self.sm.request_outstanding = true;
                }
                self.online(true);
            }
            (Phase::AwaitResumed, Sm::Failed { .. }) => {
                let unacked = self.take_unacked();
                self.sm = SmCounters::default();
                self.sm_id = None;
                self.jid = None;
                self.events.push_back(ClientEvent::ResumeFailed { unacked });
                self.bind();
            }
            (Phase::AwaitSmEnabled, Sm::Enabled { id, resume, .. }) => {
                self.sm = SmCounters {
                    enabled: true,
                    ..SmCounters::default()
                };
                self.sm_resumable = resume && id.is_some();
                self.sm_id = id;
                self.events.push_back(ClientEvent::SmEnabled {
                    resumable: self.sm_resumable,
                });
                self.after_sm();
            }
            (Phase::AwaitSmEnabled, Sm::Failed { .. }) => self.after_sm(),
            (_, Sm::Request) if self.sm.enabled => {
                let h = self.sm.inbound;
                self.send_packet(Sm::Ack { h });
            }
            (_, Sm::Ack { h }) if self.sm.enabled => {
                self.sm.request_outstanding = false;
                let acked = self.sm.on_ack(h);
                if !acked.is_empty() {
                    self.events.push_back(ClientEvent::Acked(acked));
                }
            }
            _ => {}
        }
    }

    fn on_stanza(&mut self, stanza: Stanza) {
        if self.sm.enabled {
            self.sm.inbound = self.sm.inbound.wrapping_add(1);
        }
        if let Stanza::Iq(iq) = &stanza {
            match (&self.phase, &iq.kind) {
                (Phase::AwaitBind { id }, IqType::Result) if *id == iq.id => {
                    let jid = match &iq.payload {
                        Some(IqPayload::Bind(b)) => b.jid.clone(),
                        _ => None,
                    };
                    match jid {
                        Some(jid) if jid.resource().is_some() => self.bound(jid),
                        _ => self.negotiation_failed("bind result without a full jid"),
                    }
                    return;
                }
                (Phase::AwaitBind { id }, IqType::Error) if *id == iq.id => {
                    let condition = iq
                        .error
                        .as_ref()
                        .map_or_else(String::new, |e| e.condition.to_string());
                    self.negotiation_failed(&format!("resource binding refused: {condition}"));
                    return;
                }
                (Phase::AwaitCarbons { id }, IqType::Result | IqType::Error) if *id == iq.id => {
                    self.after_carbons();
                    return;
                }
                (_, IqType::Get) if matches!(iq.payload, Some(IqPayload::Ping)) => {
                    let mut pong = Iq::result_for(iq, None);
                    pong.from.clone_from(&self.jid);
                    self.send_stanza(Stanza::Iq(pong));
                    return;
                }
                _ => {}
            }
        }
        if self.is_online() {
            self.events.push_back(ClientEvent::Stanza(stanza));
        } else {
            self.held.push(stanza);
        }
    }

    fn bound(&mut self, jid: Jid) {
        self.jid = Some(jid.clone());
        self.events.push_back(ClientEvent::Bound { jid });
        if self.config.stream_management && self.features.sm {
            self.send_packet(Sm::Enable {
                resume: self.config.request_resumption,
                max: None,
            });
            self.phase = Phase::AwaitSmEnabled;
        } else {
            self.after_sm();
        }
    }

    fn after_sm(&mut self) {
        if self.config.carbons {
            let id = format!("{}:enableCarbons", self.entropy.hex(16));
            let mut iq = Iq::set(id.clone(), IqPayload::CarbonsEnable);
            iq.from.clone_from(&self.jid);
            self.send_stanza(Stanza::Iq(iq));
            self.phase = Phase::AwaitCarbons { id };
        } else {
            self.after_carbons();
        }
    }

    fn after_carbons(&mut self) {
        if self.config.initial_presence {
            self.send_stanza(Stanza::Presence(Presence::available()));
        }
        self.online(false);
    }

    fn online(&mut self, resumed: bool) {
        self.phase = Phase::Online;
        let Some(jid) = self.jid.clone() else {
            self.negotiation_failed("no bound jid");
            return;
        };
        self.events.push_back(ClientEvent::Online { jid, resumed });
        for s in std::mem::take(&mut self.held) {
            self.events.push_back(ClientEvent::Stanza(s));
        }
    }

    fn ping(&mut self) {
        if self.sm.enabled {
            self.send_packet(Sm::Request);
            self.sm.request_outstanding = true;
        } else {
            let id = format!("{}:ping", self.entropy.hex(16));
            let mut iq = Iq::get(id, IqPayload::Ping);
            iq.to = Jid::domain_jid(self.config.jid.domain()).ok();
            self.send_stanza(Stanza::Iq(iq));
        }
        self.ping_deadline = Some(self.now + self.config.ping_timeout_ms);
    }

    fn send_stanza(&mut self, stanza: Stanza) {
        self.wire.element(&Element::from(stanza.clone()));
        if self.sm.enabled {
            self.sm.unacked.push_back(stanza);
        }
    }

    fn send_packet(&mut self, packet: impl Into<Element>) {
        self.wire.element(&packet.into());
    }

    fn negotiation_failed(&mut self, why: &str) {
        if self.is_closed() {
            return;
        }
        self.wire.close();
        self.closed(CloseReason::Negotiation(why.to_owned()));
    }

    fn fail_with(&mut self, error: StreamError, reason: CloseReason) {
        if self.is_closed() {
            return;
        }
        self.wire.element(&Element::from(error));
        self.wire.close();
        self.closed(reason);
    }

    fn closed(&mut self, reason: CloseReason) {
        self.phase = Phase::Closed;
        self.ping_deadline = None;
        self.events.push_back(ClientEvent::Closed(reason));
    }
}
