//! The chat layer against cube-server: every call, over WebSocket and TCP; reconnects that
//! deliver each message exactly once; chat across session expiry.

use std::collections::BTreeMap;
use std::time::Duration;

use cube_client::chat::{
    Backoff, Chat, ChatCredentials, ChatEvent, ChatEvents, ChatMessage, ConnectionState,
    ExtraParams, OutgoingMessage, Target,
};
use cube_client::rest::chat::create_system_message;
use cube_client::{Client, UserId};

use crate::proxy::Proxy;
use crate::support::TestServer;

/// A failure guard for waits on the network: a test that gets here has failed.
const WAIT: Duration = Duration::from_secs(20);

/// The first event `pick` accepts; the others are skipped.
pub async fn expect<T>(
    events: &mut ChatEvents,
    what: &str,
    mut pick: impl FnMut(&ChatEvent) -> Option<T>,
) -> T {
    tokio::time::timeout(WAIT, async {
        loop {
            match events.recv().await {
                Some(ev) => {
                    if let Some(t) = pick(&ev) {
                        return t;
                    }
                }
                None => panic!("event stream ended while waiting for {what}"),
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("no {what} within {WAIT:?}"))
}

fn message(id: &str) -> impl FnMut(&ChatEvent) -> Option<ChatMessage> + '_ {
    move |ev| match ev {
        ChatEvent::Message(m) if m.id.as_deref() == Some(id) => Some(m.clone()),
        _ => None,
    }
}

fn fast_backoff() -> Backoff {
    Backoff {
        initial: Duration::from_millis(20),
        max: Duration::from_millis(200),
        attempts_per_cycle: 50,
        cycle_pause: Duration::from_millis(500),
    }
}

async fn connect(client: &Client, url: Option<String>) -> (Chat, ChatEvents) {
    client
        .connect_chat_with(ChatCredentials::SessionToken, |mut c| {
            if let Some(url) = url {
                c.transport = cube_client::ChatTransport::parse(&url).unwrap();
            }
            c.with_reconnect(true, fast_backoff())
        })
        .await
        .expect("chat connects")
}

#[tokio::test]
async fn every_chat_call_over_websocket_and_tcp() {
    let t = TestServer::start().await;
    let (alice, a) = t.user("alice").await;
    let (bob, b) = t.user("bob").await;
    let tcp = format!("xmpp://{}", t.server.tcp_addr().expect("tcp served"));
    let (a_chat, mut a_ev) = connect(&alice, None).await;
    let (b_chat, mut b_ev) = connect(&bob, Some(tcp)).await;
    assert!(matches!(a_chat.state(), ConnectionState::Online { .. }));
    assert_eq!(a_chat.jid().user_id(), Some(a.id));

    // 1:1 with extraParams, both ways; automatic delivered marker; read marker.
    let private = alice.dialogs().create_private(b.id).await.unwrap();
    let id = a_chat
        .send(
            OutgoingMessage::new(Target::User(b.id), "hi <bob> & co")
                .with_extra(ExtraParams::new().with("customParam", "v"))
                .in_dialog(private.id),
        )
        .unwrap();
    let got = expect(&mut b_ev, "alice's message", message(&id)).await;
    assert_eq!(got.body.as_deref(), Some("hi <bob> & co"));
    assert_eq!(got.extra.get("customParam"), Some("v"));
    assert_eq!(got.sender_id, Some(a.id));
    assert_eq!(got.dialog(), Some(private.id));
    // The server's acknowledgement (XEP-0198) and bob's automatic delivered marker, in
    // whichever order they come.
    let (mut acked, mut delivered) = (false, false);
    expect(
        &mut a_ev,
        "the acknowledgement and the delivered marker",
        |ev| {
            match ev {
                ChatEvent::Sent { ids } if ids.contains(&id) => acked = true,
                ChatEvent::Delivered { id: d, user_id, .. } if *d == id => {
                    assert_eq!(*user_id, Some(b.id));
                    delivered = true;
                }
                _ => {}
            }
            (acked && delivered).then_some(())
        },
    )
    .await;
    b_chat.mark_read(&got).unwrap();
    let reader = expect(&mut a_ev, "the read marker", |ev| match ev {
        ChatEvent::Read { id: d, user_id, .. } if *d == id => Some(*user_id),
        _ => None,
    })
    .await;
    assert_eq!(reader, Some(b.id));
    let back = b_chat
        .send(OutgoingMessage::new(Target::User(a.id), "hello alice").in_dialog(private.id))
        .unwrap();
    expect(&mut a_ev, "bob's answer", message(&back)).await;

    // Typing, edit, delete.
    a_chat.typing(&Target::User(b.id), true).unwrap();
    expect(&mut b_ev, "typing", |ev| match ev {
        ChatEvent::Typing {
            composing: true,
            user_id,
            ..
        } => Some(*user_id),
        _ => None,
    })
    .await;
    a_chat
        .edit(&Target::User(b.id), &id, "edited", Some(private.id))
        .unwrap();
    let body = expect(&mut b_ev, "the edit", |ev| match ev {
        ChatEvent::Edited { id: e, body, .. } if *e == id => Some(body.clone()),
        _ => None,
    })
    .await;
    assert_eq!(body.as_deref(), Some("edited"));
    a_chat
        .delete(&Target::User(b.id), &id, Some(private.id))
        .unwrap();
    expect(&mut b_ev, "the deletion", |ev| match ev {
        ChatEvent::Deleted { id: e, .. } if *e == id => Some(()),
        _ => None,
    })
    .await;

    // Group chat (no join needed on ConnectyCube), stored in history.
    let group = alice.dialogs().create_group("G", [b.id]).await.unwrap();
    let gid = a_chat.send_to_dialog(group.id, "to the group").unwrap();
    let gm = expect(&mut b_ev, "the group message", message(&gid)).await;
    assert_eq!(gm.dialog(), Some(group.id));
    assert_eq!(gm.sender_id, Some(a.id));
    b_chat.mark_read(&gm).unwrap();
    expect(&mut a_ev, "the group read marker", |ev| match ev {
        ChatEvent::Read { id: d, .. } if *d == gid => Some(()),
        _ => None,
    })
    .await;

    // A system message sent over REST arrives as a system event.
    alice
        .messages()
        .send_system(create_system_message::Request::new(b.id).with_param("kind", "ping"))
        .await
        .unwrap();
    let sys = expect(&mut b_ev, "the system message", |ev| match ev {
        ChatEvent::System(s) => Some(s.clone()),
        _ => None,
    })
    .await;
    assert_eq!(sys.extra.get("kind"), Some("ping"));

    // Last activity of an online user, and a ping.
    let seconds = a_chat.last_activity(&b_chat.jid().clone()).await.unwrap();
    assert!(seconds < 60, "{seconds}");
    a_chat.ping().await.unwrap();

    // Blocking: bob blocks alice; her message does not reach him; then unblocks.
    b_chat
        .set_blocked("blocked", &[(a.id, true)])
        .await
        .unwrap();
    assert_eq!(b_chat.blocked("blocked").await.unwrap(), [a.id]);
    let lost = a_chat.send_to_user(b.id, "you blocked me").unwrap();
    expect(
        &mut a_ev,
        "the bounce of a blocked message",
        |ev| match ev {
            ChatEvent::MessageError { id: Some(e), .. } if *e == lost => Some(()),
            _ => None,
        },
    )
    .await;
    b_chat
        .set_blocked("blocked", &[(a.id, false)])
        .await
        .unwrap();
    let ok = a_chat.send_to_user(b.id, "unblocked").unwrap();
    let got = expect(&mut b_ev, "a message after unblocking", |ev| match ev {
        ChatEvent::Message(m) => Some(m.id.clone()),
        _ => None,
    })
    .await;
    assert_eq!(
        got.as_deref(),
        Some(ok.as_str()),
        "the blocked one never came"
    );

    // Clean close: the event stream ends after the Closed state.
    a_chat.disconnect().await;
    let mut last = None;
    while let Some(ev) = tokio::time::timeout(WAIT, a_ev.recv()).await.unwrap() {
        last = Some(ev);
    }
    assert!(matches!(
        last,
        Some(ChatEvent::State(ConnectionState::Closed { .. }))
    ));
    assert!(a_chat.send_to_user(b.id, "after close").is_err());
    b_chat.disconnect().await;
}

/// Reads events, counting content messages by id, until a condition holds.
struct Counter<'a> {
    events: &'a mut ChatEvents,
    counts: BTreeMap<String, usize>,
    from_history: usize,
}

impl<'a> Counter<'a> {
    fn new(events: &'a mut ChatEvents) -> Self {
        Counter {
            events,
            counts: BTreeMap::new(),
            from_history: 0,
        }
    }

    /// Reads until `stop` accepts an event (messages are counted either way).
    async fn until<T>(
        &mut self,
        what: &str,
        mut stop: impl FnMut(&ChatEvent, &Self) -> Option<T>,
    ) -> T {
        let read = async {
            loop {
                let Some(ev) = self.events.recv().await else {
                    panic!("event stream ended while waiting for {what}");
                };
                if std::env::var_os("CUBE_TEST_TRACE").is_some() {
                    eprintln!("{ev:?}");
                }
                if let ChatEvent::Message(m) = &ev {
                    if let Some(id) = &m.id {
                        *self.counts.entry(id.clone()).or_default() += 1;
                    }
                    self.from_history += usize::from(m.from_history);
                }
                if let Some(t) = stop(&ev, self) {
                    return t;
                }
            }
        };
        if let Ok(t) = tokio::time::timeout(WAIT, read).await {
            t
        } else {
            panic!(
                "no {what} within {WAIT:?}; messages so far: {:?}",
                self.counts
            )
        }
    }

    /// Reads until the connection dropped and came back; answers whether it was resumed.
    async fn reconnected(&mut self) -> bool {
        self.until("the disconnection", |ev, _| {
            matches!(ev, ChatEvent::State(ConnectionState::Disconnected { .. })).then_some(())
        })
        .await;
        self.until("the reconnection", |ev, _| match ev {
            ChatEvent::State(ConnectionState::Online { resumed, .. }) => Some(*resumed),
            _ => None,
        })
        .await
    }

    /// Reads until every message of `want` and then `fence` arrived (late duplicates of
    /// `want` would have come before the fence).
    async fn all_of(&mut self, want: &[String], fence: &str) {
        self.until("every message", |_, c| {
            (want.iter().all(|w| c.counts.contains_key(w)) && c.counts.contains_key(fence))
                .then_some(())
        })
        .await;
    }
}

/// Waits for the connection to drop and come back; answers whether it was resumed.
async fn wait_reconnected(events: &mut ChatEvents) -> bool {
    Counter::new(events).reconnected().await
}

#[tokio::test]
async fn dropped_connections_deliver_every_message_exactly_once() {
    for websocket in [true, false] {
        let t = TestServer::start().await;
        let (alice, _) = t.user("alice").await;
        let (bob, b) = t.user("bob").await;
        let target = if websocket {
            t.server.ws_addr().unwrap()
        } else {
            t.server.tcp_addr().unwrap()
        };
        let proxy = Proxy::start(target).await;
        let url = if websocket {
            format!("ws://{}", proxy.addr)
        } else {
            format!("xmpp://{}", proxy.addr)
        };
        let (a_chat, _a_ev) = connect(&alice, None).await;
        let (b_chat, mut b_ev) = connect(&bob, Some(url)).await;
        let group = alice.dialogs().create_group("flow", [b.id]).await.unwrap();
        let private = alice.dialogs().create_private(b.id).await.unwrap();

        let mut sent = Vec::new();
        let mut resumed = Vec::new();
        let mut bob_sees = Counter::new(&mut b_ev);
        for round in 0..3 {
            for i in 0..10 {
                let text = format!("round {round} message {i}");
                let id = if i % 2 == 0 {
                    a_chat.send_to_dialog(group.id, text).unwrap()
                } else {
                    a_chat
                        .send(OutgoingMessage::new(Target::User(b.id), text).in_dialog(private.id))
                        .unwrap()
                };
                sent.push(id);
                if i == 5 {
                    // The network fails under bob while messages are in flight.
                    proxy.drop_connections();
                }
            }
            resumed.push(bob_sees.reconnected().await);
        }
        let fence = a_chat.send_to_user(b.id, "fence").unwrap();
        bob_sees.all_of(&sent, &fence).await;
        let counts = bob_sees.counts;
        let dup: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
        assert!(
            dup.is_empty(),
            "duplicates (websocket={websocket}): {dup:?}"
        );
        for id in &sent {
            assert_eq!(counts.get(id), Some(&1), "{id} (websocket={websocket})");
        }
        assert_eq!(resumed.len(), 3);
        a_chat.disconnect().await;
        b_chat.disconnect().await;
    }
}

#[tokio::test]
async fn without_resumption_a_reconnect_catches_up_from_history() {
    let t = TestServer::start().await;
    let (alice, _) = t.user("alice").await;
    let (bob, b) = t.user("bob").await;
    let proxy = Proxy::start(t.server.ws_addr().unwrap()).await;
    let (a_chat, _a_ev) = connect(&alice, None).await;
    let (b_chat, mut b_ev) = bob
        .connect_chat_with(ChatCredentials::SessionToken, |mut c| {
            c.transport =
                cube_client::ChatTransport::parse(&format!("ws://{}", proxy.addr)).unwrap();
            // Long first pause: the messages below are sent while bob is away.
            let backoff = Backoff {
                initial: Duration::from_millis(300),
                ..fast_backoff()
            };
            c.with_stream_management(false)
                .with_reconnect(true, backoff)
        })
        .await
        .unwrap();
    let group = alice.dialogs().create_group("g", [b.id]).await.unwrap();
    let before = a_chat.send_to_dialog(group.id, "before").unwrap();
    expect(&mut b_ev, "the first message", message(&before)).await;

    proxy.drop_connections();
    let mut bob_sees = Counter::new(&mut b_ev);
    bob_sees
        .until("the disconnection", |ev, _| {
            matches!(ev, ChatEvent::State(ConnectionState::Disconnected { .. })).then_some(())
        })
        .await;
    let mut missed = Vec::new();
    for i in 0..5 {
        missed.push(
            a_chat
                .send_to_dialog(group.id, format!("missed {i}"))
                .unwrap(),
        );
    }
    // The server handles a connection's stanzas in order: after the pong, they are stored.
    a_chat.ping().await.unwrap();
    let stored: Vec<_> =
        futures_util::TryStreamExt::try_collect::<Vec<_>>(alice.messages().history(group.id))
            .await
            .unwrap();
    assert!(stored.len() >= 6, "{}", stored.len());
    let resumed = bob_sees
        .until("the reconnection", |ev, _| match ev {
            ChatEvent::State(ConnectionState::Online { resumed, .. }) => Some(*resumed),
            _ => None,
        })
        .await;
    assert!(!resumed, "stream management is off: a new session");
    let fence = a_chat.send_to_user(b.id, "fence").unwrap();
    bob_sees.all_of(&missed, &fence).await;
    for id in &missed {
        assert_eq!(bob_sees.counts.get(id), Some(&1), "{id}");
    }
    assert_eq!(
        bob_sees.from_history,
        missed.len(),
        "group messages come from history"
    );
    assert!(
        !bob_sees.counts.contains_key(&before),
        "the first message is not delivered twice"
    );
    b_chat.disconnect().await;
    a_chat.disconnect().await;
}

#[tokio::test]
async fn chat_goes_on_across_session_expiry() {
    let t = TestServer::start_with(|mut c| {
        c.token_lifetime = Duration::from_secs(60);
        c
    })
    .await;
    let (alice, _) = t.user("alice").await;
    let (bob, b) = t.user("bob").await;
    let (a_chat, _a_ev) = connect(&alice, None).await;
    let (b_chat, mut b_ev) = connect(&bob, None).await;
    let old = bob.token().unwrap();

    // Bob's token expires; his connection drops; the reconnect must log in with a new token.
    t.clock.advance_millis(61_000);
    b_chat.simulate_connection_loss().unwrap();
    wait_reconnected(&mut b_ev).await;
    assert_ne!(
        bob.token().unwrap(),
        old,
        "the session was renewed for chat"
    );
    let id = a_chat.send_to_user(b.id, "still here?").unwrap();
    // Alice's token expired too, but her live connection goes on.
    expect(&mut b_ev, "a message after the expiry", message(&id)).await;
    a_chat.disconnect().await;
    b_chat.disconnect().await;
    let _ = UserId(0);
}

#[tokio::test]
async fn a_server_restart_loses_and_duplicates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = cube_server::Location::File(dir.path().join("cube.sqlite3"));
    let with_file = |db: cube_server::Location| {
        move |mut c: cube_server::ServerConfig| {
            c.db = db;
            c
        }
    };
    let t = TestServer::start_with(with_file(db.clone())).await;
    let rest = Proxy::start(t.server.rest_addr()).await;
    let ws = Proxy::start(t.server.ws_addr().unwrap()).await;
    let client = || {
        Client::builder(crate::support::APP_ID, crate::support::AUTH_KEY)
            .local(
                format!("http://{}", rest.addr),
                format!("ws://{}", ws.addr),
                "localhost",
            )
            .build()
            .unwrap()
    };
    let (alice, bob) = (client(), client());
    for (c, login) in [(&alice, "alice"), (&bob, "bob")] {
        c.users()
            .sign_up(
                cube_client::UserParams::new()
                    .with_login(login)
                    .with_password(format!("{login}-pass")),
            )
            .await
            .unwrap();
        c.create_user_session(login, format!("{login}-pass"))
            .await
            .unwrap();
    }
    let b = bob.current_user_id().unwrap();
    let (a_chat, mut a_ev) = connect(&alice, None).await;
    let (b_chat, mut b_ev) = connect(&bob, None).await;
    let group = alice.dialogs().create_group("restart", [b]).await.unwrap();
    let private = alice.dialogs().create_private(b).await.unwrap();
    let send = |i: usize| {
        let text = format!("message {i}");
        if i % 2 == 0 {
            a_chat.send_to_dialog(group.id, text).unwrap()
        } else {
            a_chat
                .send(OutgoingMessage::new(Target::User(b), text).in_dialog(private.id))
                .unwrap()
        }
    };
    let mut sent: Vec<String> = (0..6).map(send).collect();
    let mut bob_sees = Counter::new(&mut b_ev);
    bob_sees.all_of(&sent[..5], &sent[5]).await;

    // The server goes away and comes back on other ports, with the same database.
    let TestServer { server, clock } = t;
    server.shutdown().await;
    rest.drop_connections();
    ws.drop_connections();
    expect(&mut a_ev, "alice's disconnection", |ev| {
        matches!(ev, ChatEvent::State(ConnectionState::Disconnected { .. })).then_some(())
    })
    .await;
    // Sent while the server is down: held, then sent after the reconnect.
    sent.extend((6..10).map(send));
    let mut config = cube_server::ServerConfig::ephemeral().with_app(
        crate::support::APP_ID as i64,
        crate::support::AUTH_KEY,
        crate::support::AUTH_SECRET,
    );
    config.clock = std::sync::Arc::new(clock);
    config.create_dev_app = false;
    let server = cube_server::Server::start(with_file(db)(config))
        .await
        .unwrap();
    rest.retarget(server.rest_addr());
    ws.retarget(server.ws_addr().unwrap());

    let resumed = bob_sees.reconnected().await;
    assert!(!resumed, "a restarted server cannot resume");
    sent.extend((10..14).map(send));
    let fence = a_chat.send_to_user(b, "fence").unwrap();
    bob_sees.all_of(&sent, &fence).await;
    for id in &sent {
        assert_eq!(bob_sees.counts.get(id), Some(&1), "{id}");
    }
    // Nothing was stored twice either.
    let history: Vec<_> =
        futures_util::TryStreamExt::try_collect::<Vec<_>>(bob.messages().history(group.id))
            .await
            .unwrap();
    assert_eq!(history.len(), 7, "{history:?}");
    a_chat.disconnect().await;
    b_chat.disconnect().await;
    server.shutdown().await;
}

/// A TLS configuration trusting only the test certificate (CN and SAN `localhost`).
pub fn test_tls() -> std::sync::Arc<rustls::ClientConfig> {
    let pem = include_bytes!("data/chat-tls-cert.pem");
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_pemfile::certs(&mut pem.as_slice()) {
        roots.add(cert.unwrap()).unwrap();
    }
    let config = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    std::sync::Arc::new(config)
}

#[tokio::test]
async fn chat_over_direct_tls() {
    let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/data");
    let t = TestServer::start_with(|mut c| {
        c.tls = Some(cube_server::chat::TlsFiles {
            cert: data.join("chat-tls-cert.pem"),
            key: data.join("chat-tls-key.pem"),
        });
        c
    })
    .await;
    let (alice, _) = t.user("alice").await;
    let (bob, b) = t.user("bob").await;
    let port = t.server.tcp_addr().unwrap().port();
    // The cloud's form, `xmpps://host:5223`, against the local listener.
    let (a_chat, _a_ev) = alice
        .connect_chat_with(ChatCredentials::SessionToken, |mut c| {
            c.transport =
                cube_client::ChatTransport::parse(&format!("xmpps://localhost:{port}")).unwrap();
            c.with_tls(test_tls())
        })
        .await
        .expect("chat over TLS");
    let (b_chat, mut b_ev) = connect(&bob, None).await;
    let id = a_chat.send_to_user(b.id, "over tls").unwrap();
    expect(&mut b_ev, "the message sent over TLS", message(&id)).await;
    // An untrusted certificate is refused (the webpki roots do not know the test CA).
    let err = alice
        .connect_chat_with(ChatCredentials::SessionToken, |mut c| {
            c.transport =
                cube_client::ChatTransport::parse(&format!("xmpps://localhost:{port}")).unwrap();
            c
        })
        .await
        .unwrap_err();
    assert!(
        matches!(err, cube_client::chat::ChatError::Connect { .. }),
        "{err:?}"
    );
    a_chat.disconnect().await;
    b_chat.disconnect().await;
}

#[tokio::test]
async fn chat_over_starttls() {
    let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/data");
    let t = TestServer::start_with(|mut c| {
        c.tls = Some(cube_server::chat::TlsFiles {
            cert: data.join("chat-tls-cert.pem"),
            key: data.join("chat-tls-key.pem"),
        });
        c
    })
    .await;
    let (alice, _) = t.user("alice").await;
    let (bob, b) = t.user("bob").await;
    let port = t.server.tcp_addr().unwrap().port();
    // `xmpp://` on the server's plain port: STARTTLS (required here), then SASL over TLS.
    let url = format!("xmpp://localhost:{port}");
    let (a_chat, _a_ev) = alice
        .connect_chat_with(ChatCredentials::SessionToken, |mut c| {
            c.transport = cube_client::ChatTransport::parse(&url).unwrap();
            c.with_tls(test_tls()).with_require_tls(true)
        })
        .await
        .expect("chat over STARTTLS");
    let (b_chat, mut b_ev) = connect(&bob, None).await;
    let id = a_chat.send_to_user(b.id, "over starttls").unwrap();
    expect(&mut b_ev, "the message sent over STARTTLS", message(&id)).await;
    // STARTTLS is taken whenever offered: an untrusted certificate is refused, not skipped.
    let err = alice
        .connect_chat_with(ChatCredentials::SessionToken, |mut c| {
            c.transport = cube_client::ChatTransport::parse(&url).unwrap();
            c
        })
        .await
        .unwrap_err();
    assert!(
        matches!(err, cube_client::chat::ChatError::Connect { .. }),
        "{err:?}"
    );
    a_chat.disconnect().await;
    b_chat.disconnect().await;
}

#[tokio::test]
async fn require_tls_refuses_a_server_without_it() {
    let t = TestServer::start().await;
    let (alice, _) = t.user("alice").await;
    let tcp = format!("xmpp://{}", t.server.tcp_addr().expect("tcp served"));
    let err = alice
        .connect_chat_with(ChatCredentials::SessionToken, |mut c| {
            c.transport = cube_client::ChatTransport::parse(&tcp).unwrap();
            c.with_require_tls(true)
        })
        .await
        .unwrap_err();
    assert!(
        matches!(&err, cube_client::chat::ChatError::Stream(m) if m.contains("starttls")),
        "{err:?}"
    );
    let ws = format!("ws://{}", t.server.ws_addr().expect("ws served"));
    let err = alice
        .connect_chat_with(ChatCredentials::SessionToken, |mut c| {
            c.transport = cube_client::ChatTransport::parse(&ws).unwrap();
            c.with_require_tls(true)
        })
        .await
        .unwrap_err();
    assert!(
        matches!(err, cube_client::chat::ChatError::Config(_)),
        "{err:?}"
    );
}
