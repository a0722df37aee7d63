//! The client machine negotiates with the server machine in memory, over both framings.

use cube_model::{AppId, UserId};
use cube_xmpp::nonza::SaslCondition;
use cube_xmpp::sasl::{Password, ScramCredentials};
use cube_xmpp::stanza::MessageType;
use cube_xmpp::{
    AuthGrant, ClientConfig, ClientConnection, ClientEvent, CloseReason, DetachedSession, Framing,
    Jid, Message, ServerConfig, ServerConnection, ServerEvent, ServerState, Stanza, StartTlsOffer,
    StartTlsUse, StreamError, StreamErrorCondition,
};
use proptest::prelude::*;

const DOMAIN: &str = "localhost";
const PASSWORD: &str = "secret-token";

struct Pair {
    client: ClientConnection,
    server: ServerConnection,
    now: u64,
    /// Chunk sizes to split every write into, cycled (none: whole writes).
    splits: Vec<usize>,
    split_at: usize,
    client_events: Vec<ClientEvent>,
    server_events: Vec<ServerEvent>,
    detached: Option<DetachedSession>,
    /// Drop what the server writes (a link that loses everything downstream).
    blackhole_server: bool,
}

fn user() -> Jid {
    Jid::user(UserId(5), AppId(385), DOMAIN).unwrap()
}

impl Pair {
    fn new(client: ClientConfig, server: ServerConfig) -> Self {
        Self {
            client: ClientConnection::new(client, [3; 32], 0),
            server: ServerConnection::new(server, [4; 32], 0),
            now: 0,
            splits: Vec::new(),
            split_at: 0,
            client_events: Vec::new(),
            server_events: Vec::new(),
            detached: None,
            blackhole_server: false,
        }
    }

    fn ws() -> Self {
        Self::new(
            ClientConfig::new(user(), Password::new(PASSWORD), Framing::WebSocket),
            ServerConfig::new(DOMAIN, Framing::WebSocket),
        )
    }

    fn deliver(&mut self, to_server: bool, bytes: &[u8]) {
        let mut chunks: Vec<&[u8]> = Vec::new();
        let mut rest = bytes;
        while !rest.is_empty() {
            let n = if self.splits.is_empty() {
                rest.len()
            } else {
                self.split_at += 1;
                self.splits[self.split_at % self.splits.len()].clamp(1, rest.len())
            };
            chunks.push(&rest[..n]);
            rest = &rest[n..];
        }
        for c in chunks {
            if to_server {
                self.server.handle_input(c, self.now);
            } else {
                self.client.handle_input(c, self.now);
            }
        }
    }

    fn pump(&mut self) {
        loop {
            let mut progressed = false;
            while let Some(bytes) = self.client.poll_transmit() {
                self.deliver(true, &bytes);
                progressed = true;
            }
            while let Some(ev) = self.server.poll_event() {
                self.answer(&ev);
                self.server_events.push(ev);
                progressed = true;
            }
            while let Some(bytes) = self.server.poll_transmit() {
                if !self.blackhole_server {
                    self.deliver(false, &bytes);
                }
                progressed = true;
            }
            while let Some(ev) = self.client.poll_event() {
                // The in-memory link "upgrades" at once: everything written so far went out
                // in plain, what follows is "encrypted".
                if matches!(ev, ClientEvent::StartTls) {
                    self.client.tls_established(self.now);
                }
                self.client_events.push(ev);
                progressed = true;
            }
            if !progressed {
                break;
            }
        }
    }

    /// The application's side of the server: credentials and resumption.
    fn answer(&mut self, ev: &ServerEvent) {
        match ev {
            ServerEvent::Authenticate {
                authcid, password, ..
            } => {
                if authcid == "5-385" && password.expose() == PASSWORD {
                    self.server.accept_auth(AuthGrant::new());
                } else {
                    self.server.reject_auth(SaslCondition::NotAuthorized);
                }
            }
            ServerEvent::ScramLookup { authcid } => {
                let creds = (authcid == "5-385")
                    .then(|| ScramCredentials::derive(PASSWORD, b"salt-of-5-385", 4096));
                self.server
                    .provide_scram_credentials(creds, AuthGrant::new());
            }
            ServerEvent::ResumeRequested { previd, .. } => match self.detached.take() {
                Some(d) if d.id == *previd => self.server.resume_session(d),
                _ => self.server.reject_resume(),
            },
            _ => {}
        }
    }

    fn advance(&mut self, ms: u64) {
        self.now += ms;
        self.client.handle_timeout(self.now);
        self.server.handle_timeout(self.now);
        self.pump();
    }

    fn client_stanzas(&self) -> Vec<&Stanza> {
        self.client_events
            .iter()
            .filter_map(|e| match e {
                ClientEvent::Stanza(s) => Some(s),
                _ => None,
            })
            .collect()
    }

    fn server_stanzas(&self) -> Vec<&Stanza> {
        self.server_events
            .iter()
            .filter_map(|e| match e {
                ServerEvent::Stanza(s) => Some(s),
                _ => None,
            })
            .collect()
    }

    fn online_jid(&self) -> Jid {
        self.client_events
            .iter()
            .find_map(|e| match e {
                ClientEvent::Online { jid, .. } => Some(jid.clone()),
                _ => None,
            })
            .expect("the client is online")
    }
}

fn chat(body: &str) -> Message {
    Message::chat(Jid::user(UserId(6), AppId(385), DOMAIN).unwrap(), body)
        .with_id(format!("id-{body}"))
}

#[test]
fn websocket_scram_with_stream_management() {
    let mut p = Pair::ws();
    p.pump();
    let jid = p.online_jid();
    assert_eq!(jid.to_bare(), user());
    // Long, unique, server-generated resource (wire.md §9 item 9).
    assert_eq!(jid.resource().unwrap().len(), 24);
    assert!(matches!(
        &p.client_events[0],
        ClientEvent::Authenticated { mechanism } if mechanism == "SCRAM-SHA-1"
    ));
    assert!(
        p.client_events
            .iter()
            .any(|e| matches!(e, ClientEvent::SmEnabled { resumable: true }))
    );
    assert_eq!(p.server.state(), ServerState::Bound);
    assert!(p.server.carbons_enabled());
    assert_eq!(p.server.jid(), Some(&jid));
    // The initial presence reached the application, from-stamped.
    assert!(matches!(
        p.server_stanzas()[..],
        [Stanza::Presence(pr)] if pr.from.as_ref() == Some(&jid)
    ));

    // Client to server: the message arrives stamped; the client's ack request is answered.
    p.client.send(chat("hello")).unwrap();
    p.pump();
    let Stanza::Message(m) = p.server_stanzas()[1] else {
        panic!()
    };
    assert_eq!(m.body.as_deref(), Some("hello"));
    assert_eq!(m.from.as_ref(), Some(&jid));
    let acked: Vec<&Stanza> = p
        .client_events
        .iter()
        .filter_map(|e| match e {
            ClientEvent::Acked(s) => Some(s),
            _ => None,
        })
        .flatten()
        .collect();
    // Carbons iq, presence and the message.
    assert_eq!(acked.len(), 3);

    // Server to client: delivered, then acknowledged when the ack timer fires.
    let incoming = Message::chat(jid.clone(), "hi back")
        .with_from(Jid::user(UserId(6), AppId(385), DOMAIN).unwrap());
    p.server.send(incoming.clone());
    p.pump();
    assert_eq!(p.client_stanzas(), [&Stanza::Message(incoming)]);
    // Counted from `<enabled/>` on: the carbons result and the message.
    assert_eq!(p.server.unacked().count(), 2);
    let at = p.server.poll_timeout().unwrap();
    p.advance(at - p.now);
    assert_eq!(p.server.unacked().count(), 0);
    assert!(
        p.server_events
            .iter()
            .any(|e| matches!(e, ServerEvent::Acked(s) if s.len() == 2))
    );

    // Graceful close.
    p.client.close();
    p.pump();
    assert!(p.server.is_closed());
    assert!(matches!(
        p.server_events.last(),
        Some(ServerEvent::Closed(CloseReason::PeerClosed))
    ));
}

#[test]
fn tcp_plain_split_into_tiny_chunks() {
    for chunk in [1, 3, 7, 64] {
        let client = ClientConfig::new(user(), Password::new(PASSWORD), Framing::Tcp)
            .with_mechanisms(false, true)
            .with_stream_management(false, false);
        let server = ServerConfig::new(DOMAIN, Framing::Tcp).with_stream_management(false, false);
        let mut p = Pair::new(client, server);
        p.splits = vec![chunk];
        p.pump();
        let jid = p.online_jid();
        assert!(matches!(
            &p.client_events[0],
            ClientEvent::Authenticated { mechanism } if mechanism == "PLAIN"
        ));
        let mut m = chat("über <tcp> & co");
        m.extra_params = Some(
            cube_xmpp::ExtraParams::new()
                .with("save_to_history", "1")
                .with("dialog_id", "5f1e"),
        );
        p.client.send(m.clone()).unwrap();
        p.pump();
        let Some(Stanza::Message(got)) = p.server_stanzas().last().copied() else {
            panic!()
        };
        assert_eq!(got.body, m.body);
        assert_eq!(got.extra_params, m.extra_params);
        assert_eq!(got.from.as_ref(), Some(&jid));
        p.server.close();
        p.pump();
        assert!(p.client.is_closed());
        assert!(matches!(
            p.client_events.last(),
            Some(ClientEvent::Closed(CloseReason::PeerClosed))
        ));
    }
}

#[test]
fn wrong_credentials_fail_both_mechanisms() {
    for scram in [true, false] {
        let client = ClientConfig::new(user(), Password::new("wrong"), Framing::WebSocket)
            .with_mechanisms(scram, !scram);
        let mut p = Pair::new(client, ServerConfig::new(DOMAIN, Framing::WebSocket));
        p.pump();
        assert!(
            matches!(
                p.client_events.last(),
                Some(ClientEvent::Closed(CloseReason::AuthFailed {
                    condition: SaslCondition::NotAuthorized,
                    ..
                }))
            ),
            "{:?}",
            p.client_events
        );
        assert_ne!(p.server.state(), ServerState::Bound);
    }
}

#[test]
fn stanzas_sent_before_binding_arrive_after_online() {
    let mut p = Pair::ws();
    // Step until the server has authenticated the client, then queue a message.
    while !p
        .server_events
        .iter()
        .any(|e| matches!(e, ServerEvent::Authenticated { .. }))
    {
        let bytes = p.client.poll_transmit().expect("client progresses");
        p.server.handle_input(&bytes, 0);
        while let Some(ev) = p.server.poll_event() {
            p.answer(&ev);
            p.server_events.push(ev);
        }
        while let Some(bytes) = p.server.poll_transmit() {
            p.client.handle_input(&bytes, 0);
        }
    }
    let early = Message::new(MessageType::Headline).with_body("offline message");
    p.server.send(early.clone());
    p.pump();
    let online_at = p
        .client_events
        .iter()
        .position(|e| matches!(e, ClientEvent::Online { .. }))
        .unwrap();
    let stanza_at = p
        .client_events
        .iter()
        .position(|e| matches!(e, ClientEvent::Stanza(Stanza::Message(m)) if *m == early))
        .unwrap();
    assert!(stanza_at > online_at);
}

#[test]
fn a_lost_connection_resumes_with_unacked_stanzas_resent() {
    let mut p = Pair::ws();
    p.pump();
    let jid = p.online_jid();
    // The downstream link dies: the server's next stanzas are lost in transit.
    p.blackhole_server = true;
    let lost = Message::chat(jid.clone(), "lost in transit");
    p.server.send(lost.clone());
    p.client.send(chat("mine, unacked")).unwrap();
    p.pump();
    p.client.connection_lost();
    p.server.connection_lost();
    let state = p.client.resume_state().expect("resumable");
    let detached = p.server.detach().expect("detachable");
    assert!(detached.resumable);
    // The carbons result (received, but never acknowledged) and the lost message.
    assert_eq!(detached.unacked.len(), 2);

    let client =
        ClientConfig::new(user(), Password::new(PASSWORD), Framing::WebSocket).with_resume(state);
    let mut q = Pair::new(client, ServerConfig::new(DOMAIN, Framing::WebSocket));
    q.detached = Some(detached);
    q.pump();
    assert!(
        q.client_events
            .iter()
            .any(|e| matches!(e, ClientEvent::Online { resumed: true, jid: j } if *j == jid)),
        "{:?}",
        q.client_events
    );
    assert!(
        q.server_events
            .iter()
            .any(|e| matches!(e, ServerEvent::Resumed { .. }))
    );
    // Only the lost stanza is resent: the client's `h` covers the carbons result.
    assert_eq!(q.client_stanzas(), [&Stanza::Message(lost)]);
    // The client's carbons iq, presence and message had reached the server, which counted
    // them: acknowledged at resumption, not resent.
    assert!(
        q.client_events
            .iter()
            .any(|e| matches!(e, ClientEvent::Acked(s) if s.len() == 3))
    );
    assert!(q.server_stanzas().is_empty());
    assert_eq!(q.server.jid(), Some(&jid));
}

#[test]
fn a_refused_resumption_binds_anew() {
    let mut p = Pair::ws();
    p.pump();
    p.client.send(chat("pending")).unwrap();
    // Nothing comes back: the ack is lost.
    p.client.connection_lost();
    let state = p.client.resume_state().unwrap();
    let client =
        ClientConfig::new(user(), Password::new(PASSWORD), Framing::WebSocket).with_resume(state);
    let mut q = Pair::new(client, ServerConfig::new(DOMAIN, Framing::WebSocket));
    q.pump();
    // Carbons iq, presence and the message: never acknowledged.
    assert!(
        q.client_events
            .iter()
            .any(|e| matches!(e, ClientEvent::ResumeFailed { unacked } if unacked.len() == 3)),
        "{:?}",
        q.client_events
    );
    assert!(
        q.client_events
            .iter()
            .any(|e| matches!(e, ClientEvent::Online { resumed: false, .. }))
    );
}

#[test]
fn keepalive_detects_a_dead_server() {
    let mut p = Pair::ws();
    p.pump();
    p.blackhole_server = true;
    let ping_at = p.client.poll_timeout().unwrap();
    assert_eq!(ping_at, p.now + 60_000);
    p.advance(60_000);
    let deadline = p.client.poll_timeout().unwrap();
    p.advance(deadline - p.now);
    assert!(matches!(
        p.client_events.last(),
        Some(ClientEvent::Closed(CloseReason::Timeout))
    ));
}

#[test]
fn keepalive_pings_keep_a_live_connection() {
    let client = ClientConfig::new(user(), Password::new(PASSWORD), Framing::WebSocket)
        .with_stream_management(false, false);
    let mut p = Pair::new(client, ServerConfig::new(DOMAIN, Framing::WebSocket));
    p.pump();
    for _ in 0..3 {
        p.advance(60_000);
    }
    assert!(p.client.is_online());
    assert!(!p.server.is_closed());
}

#[test]
fn the_server_times_out_silent_clients_and_can_end_sessions() {
    let mut server = ServerConnection::new(
        ServerConfig::new(DOMAIN, Framing::WebSocket),
        [0; 32],
        1_000,
    );
    assert_eq!(server.poll_timeout(), Some(31_000));
    server.handle_timeout(31_000);
    assert!(server.is_closed());
    let out = String::from_utf8(server.poll_transmit().unwrap()).unwrap();
    assert!(out.starts_with("<open"), "{out}");
    let out = String::from_utf8(server.poll_transmit().unwrap()).unwrap();
    assert!(out.contains("connection-timeout"), "{out}");

    let mut p = Pair::ws();
    p.pump();
    p.server
        .close_with_error(StreamError::new(StreamErrorCondition::Conflict));
    p.pump();
    assert!(matches!(
        p.client_events.last(),
        Some(ClientEvent::Closed(CloseReason::PeerError(e))) if e.condition == StreamErrorCondition::Conflict
    ));
}

#[test]
fn garbage_from_a_tcp_client_ends_the_stream_with_an_error() {
    let mut server = ServerConnection::new(ServerConfig::new(DOMAIN, Framing::Tcp), [0; 32], 0);
    server.handle_input(b"<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'><a><!-- no --></a>", 0);
    let mut out = Vec::new();
    while let Some(b) = server.poll_transmit() {
        out.extend(b);
    }
    let out = String::from_utf8(out).unwrap();
    assert!(out.contains("<stream:error><restricted-xml"), "{out}");
    assert!(out.ends_with("</stream:stream>"));
    let mut closed = None;
    while let Some(ev) = server.poll_event() {
        if let ServerEvent::Closed(r) = ev {
            closed = Some(r);
        }
    }
    assert!(
        matches!(closed, Some(CloseReason::LocalError(e)) if e.condition == StreamErrorCondition::RestrictedXml)
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Whatever the TCP segmentation, negotiation completes and stanzas arrive intact.
    #[test]
    fn tcp_negotiation_survives_any_segmentation(
        splits in prop::collection::vec(1usize..40, 1..8),
        scram in any::<bool>(),
        body in "[ -~\u{e9}\u{1F525}]{0,40}",
    ) {
        let client = ClientConfig::new(user(), Password::new(PASSWORD), Framing::Tcp)
            .with_mechanisms(scram, true);
        let mut p = Pair::new(client, ServerConfig::new(DOMAIN, Framing::Tcp));
        p.splits = splits;
        p.pump();
        prop_assert!(p.client.is_online(), "{:?}", p.client_events);
        p.client.send(chat(&body)).unwrap();
        let back = Message::chat(p.online_jid(), body.clone());
        p.server.send(back.clone());
        p.pump();
        let Some(Stanza::Message(m)) = p.server_stanzas().last().copied() else {
            panic!("no message")
        };
        prop_assert_eq!(m.body.as_deref(), Some(body.as_str()));
        prop_assert_eq!(p.client_stanzas(), [&Stanza::Message(back)]);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Mutated JS SDK frames never make either machine panic, and the server always ends in
    /// a state it can report.
    #[test]
    fn mutated_frames_never_panic(
        flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..6),
        tcp in any::<bool>(),
    ) {
        let frames = crate::support::scenario("plain");
        let framing = if tcp { Framing::Tcp } else { Framing::WebSocket };
        let mut server = ServerConnection::new(ServerConfig::new(DOMAIN, framing), [9; 32], 0);
        let mut client = ClientConnection::new(
            ClientConfig::new(user(), Password::new(PASSWORD), framing),
            [8; 32],
            0,
        );
        for (i, f) in frames.iter().enumerate() {
            let mut bytes = f.xml.clone().into_bytes();
            for (at, b) in &flips {
                if at.index(frames.len()) == i && !bytes.is_empty() {
                    let j = at.index(bytes.len());
                    bytes[j] = *b;
                }
            }
            if f.client_to_server {
                server.handle_input(&bytes, i as u64);
                while let Some(ev) = server.poll_event() {
                    if let ServerEvent::Authenticate { .. } = ev {
                        server.accept_auth(AuthGrant::new());
                    }
                }
                while server.poll_transmit().is_some() {}
            } else {
                client.handle_input(&bytes, i as u64);
                while client.poll_event().is_some() {}
                while client.poll_transmit().is_some() {}
            }
        }
        server.handle_timeout(u64::MAX / 2);
        client.handle_timeout(u64::MAX / 2);
        // A stalled negotiation times out; only a bound session may stay open.
        prop_assert!(server.is_closed() || server.state() == ServerState::Bound);
    }
}

fn tcp_pair(client: StartTlsUse, server: StartTlsOffer) -> Pair {
    Pair::new(
        ClientConfig::new(user(), Password::new(PASSWORD), Framing::Tcp).with_starttls(client),
        ServerConfig::new(DOMAIN, Framing::Tcp).with_starttls(server),
    )
}

fn closed_reason(events: &[ClientEvent]) -> Option<&CloseReason> {
    events.iter().find_map(|e| match e {
        ClientEvent::Closed(r) => Some(r),
        _ => None,
    })
}

#[test]
fn starttls_upgrades_then_negotiates_over_the_new_stream() {
    for (client, server) in [
        (StartTlsUse::WhenOffered, StartTlsOffer::Optional),
        (StartTlsUse::WhenOffered, StartTlsOffer::Required),
        (StartTlsUse::Required, StartTlsOffer::Required),
    ] {
        let mut p = tcp_pair(client, server);
        p.splits = vec![1, 7, 64];
        p.pump();
        let jid = p.online_jid();
        assert_eq!(p.server.jid(), Some(&jid));
        assert!(p.client.is_secured() && p.server.is_secured());
        let tls_at = p
            .client_events
            .iter()
            .position(|e| matches!(e, ClientEvent::StartTls))
            .expect("the client was told to upgrade");
        let auth_at = p
            .client_events
            .iter()
            .position(|e| matches!(e, ClientEvent::Authenticated { .. }))
            .expect("authenticated");
        assert!(tls_at < auth_at, "TLS comes before SASL");
        assert_eq!(
            p.server_events
                .iter()
                .filter(|e| matches!(e, ServerEvent::StartTls))
                .count(),
            1
        );
        // Two stream headers before authentication: the plain one and the one over TLS.
        assert_eq!(
            p.server_events
                .iter()
                .filter(|e| matches!(e, ServerEvent::StreamOpened(_)))
                .count(),
            3
        );
        p.client.send(chat("over tls")).unwrap();
        p.pump();
        assert_eq!(p.server_stanzas().len(), 2, "presence, message");
    }
}

#[test]
fn starttls_is_skipped_when_not_wanted_or_not_offered() {
    for (client, server) in [
        (StartTlsUse::Never, StartTlsOffer::Optional),
        (StartTlsUse::WhenOffered, StartTlsOffer::Off),
    ] {
        let mut p = tcp_pair(client, server);
        p.pump();
        p.online_jid();
        assert!(!p.client.is_secured() && !p.server.is_secured());
        assert!(
            !p.client_events
                .iter()
                .any(|e| matches!(e, ClientEvent::StartTls))
        );
    }
}

#[test]
fn a_starttls_requirement_on_one_side_alone_ends_before_credentials() {
    for (client, server, why) in [
        (StartTlsUse::Never, StartTlsOffer::Required, "requires"),
        (StartTlsUse::Required, StartTlsOffer::Off, "does not offer"),
    ] {
        let mut p = tcp_pair(client, server);
        p.pump();
        match closed_reason(&p.client_events) {
            Some(CloseReason::Negotiation(m)) => assert!(m.contains(why), "{m}"),
            other => panic!("{other:?}"),
        }
        assert!(
            !p.server_events.iter().any(|e| matches!(
                e,
                ServerEvent::Authenticate { .. } | ServerEvent::ScramLookup { .. }
            )),
            "no credentials were sent"
        );
    }
}

fn server_output(server: &mut ServerConnection) -> String {
    let mut out = Vec::new();
    while let Some(b) = server.poll_transmit() {
        out.extend(b);
    }
    String::from_utf8(out).unwrap()
}

const TCP_HEADER: &str = "<?xml version='1.0'?><stream:stream xmlns='jabber:client' \
    xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>";

#[test]
fn the_server_refuses_sasl_before_required_tls_and_starttls_when_not_offered() {
    let config = ServerConfig::new(DOMAIN, Framing::Tcp).with_starttls(StartTlsOffer::Required);
    let mut server = ServerConnection::new(config, [1; 32], 0);
    server.handle_input(TCP_HEADER.as_bytes(), 0);
    let features = server_output(&mut server);
    assert!(
        features
            .contains("<starttls xmlns=\"urn:ietf:params:xml:ns:xmpp-tls\"><required/></starttls>"),
        "{features}"
    );
    assert!(!features.contains("mechanism"), "{features}");
    let auth = "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AHgAeQ==</auth>";
    server.handle_input(auth.as_bytes(), 0);
    assert!(server_output(&mut server).contains("<encryption-required/>"));
    assert!(
        server
            .poll_event()
            .is_some_and(|e| matches!(e, ServerEvent::StreamOpened(_)))
    );
    assert!(server.poll_event().is_none(), "no credentials to check");

    // Offered only on TCP when configured; otherwise `<failure/>` and the stream ends.
    let mut server = ServerConnection::new(ServerConfig::new(DOMAIN, Framing::Tcp), [1; 32], 0);
    server.handle_input(TCP_HEADER.as_bytes(), 0);
    assert!(!server_output(&mut server).contains("starttls"));
    server.handle_input(b"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>", 0);
    let out = server_output(&mut server);
    assert!(
        out.contains("<failure xmlns=\"urn:ietf:params:xml:ns:xmpp-tls\"/>"),
        "{out}"
    );
    assert!(out.ends_with("</stream:stream>"), "{out}");
    assert!(server.is_closed());
}

#[test]
fn the_server_forgets_plaintext_sent_after_starttls() {
    let config = ServerConfig::new(DOMAIN, Framing::Tcp).with_starttls(StartTlsOffer::Optional);
    let mut server = ServerConnection::new(config, [1; 32], 0);
    server.handle_input(TCP_HEADER.as_bytes(), 0);
    server_output(&mut server);
    // Injected plaintext after `<starttls/>` must not reach the TLS stream.
    let injected = "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>\
        <auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AHgAeQ==</auth>";
    server.handle_input(injected.as_bytes(), 0);
    let out = server_output(&mut server);
    assert_eq!(out, "<proceed xmlns=\"urn:ietf:params:xml:ns:xmpp-tls\"/>");
    let events: Vec<_> = std::iter::from_fn(|| server.poll_event()).collect();
    assert!(
        matches!(events.last(), Some(ServerEvent::StartTls)),
        "{events:?}"
    );
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, ServerEvent::Authenticate { .. }))
    );
    assert_eq!(server.state(), ServerState::AwaitingOpen);
    // The stream over TLS: features without `<starttls/>`, with the mechanisms.
    server.handle_input(TCP_HEADER.as_bytes(), 0);
    let features = server_output(&mut server);
    assert!(
        !features.contains("starttls") && features.contains("PLAIN"),
        "{features}"
    );
}

#[test]
fn a_clean_close_acknowledges_what_the_client_received() {
    let mut p = Pair::ws();
    p.pump();
    let jid = p.online_jid();
    p.server.send(Message::chat(jid, "received before closing"));
    p.pump();
    assert!(p.server.unacked().count() > 0, "no ack requested yet");
    p.client.close();
    p.pump();
    assert!(p.server.is_closed());
    let detached = p.server.detach().expect("stream management was on");
    assert!(detached.unacked.is_empty(), "{:?}", detached.unacked);
    assert_eq!(detached.acked, 2, "the carbons result and the message");
}

#[test]
fn deferred_handling_holds_acks_until_the_caller_handled() {
    let mut p = Pair::ws();
    p.pump();
    p.server.defer_handled();
    let acked = |p: &Pair| {
        p.client_events
            .iter()
            .filter_map(|e| match e {
                ClientEvent::Acked(s) => Some(s.len()),
                _ => None,
            })
            .sum::<usize>()
    };
    // The carbons iq and the presence were handled before deferring.
    let before = 2;
    p.client.send(chat("one")).unwrap();
    p.client.send(chat("two")).unwrap();
    p.pump();
    assert_eq!(p.server_stanzas().len(), 3, "presence, one, two");
    assert_eq!(
        acked(&p),
        before,
        "nothing acknowledged before it is handled"
    );
    p.server.handled(1);
    p.advance(
        p.client
            .poll_timeout()
            .map_or(0, |t| t.saturating_sub(p.now)),
    );
    p.client.send(chat("three")).unwrap();
    p.pump();
    assert_eq!(acked(&p), before + 1, "only the handled one");
    p.server.handled(2);
    p.client.send(chat("four")).unwrap();
    p.pump();
    p.server.handled(1);
    p.client.send(chat("five")).unwrap();
    p.pump();
    assert_eq!(acked(&p), before + 4);
    // What it handled is what a resumption would start from.
    p.server.handled(1);
    p.server.connection_lost();
    let d = p.server.detach().expect("stream management on");
    assert_eq!(d.inbound, 7);
}
