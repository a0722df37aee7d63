//! Bad input and abuse: malformed XML, wrong namespaces, unknown stanzas, oversized stanzas,
//! floods, half-open and silent sockets, slow readers. Each closes (or slows) only the
//! offending stream; everyone else goes on.
#![allow(clippy::many_single_char_names)]

use std::fmt::Write as _;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use cube_server::chat::ChatLimits;
use tokio::time::Instant;

use super::chat_client::{BOTH, Client, Socket, Via, WAIT, chat, oid};
use super::support::TestServer;

fn password(login: &str) -> String {
    format!("{login}-pass1")
}

const TCP_OPEN: &str = "<?xml version='1.0'?><stream:stream to='localhost' version='1.0' \
    xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>";
const WS_OPEN: &str =
    r#"<open xmlns="urn:ietf:params:xml:ns:xmpp-framing" to="localhost" version="1.0"/>"#;

fn open_frame(via: Via) -> &'static str {
    match via {
        Via::Ws => WS_OPEN,
        Via::Tcp | Via::Tls => TCP_OPEN,
    }
}

/// Reads until `marker` has arrived; everything read.
async fn read_until(s: &mut Socket, marker: &str) -> String {
    let mut all = String::new();
    let deadline = Instant::now() + WAIT;
    while !all.contains(marker) {
        let got = tokio::time::timeout_at(deadline, s.recv())
            .await
            .unwrap_or_else(|_| panic!("no {marker} in time: {all}"));
        match got {
            Some(b) => all.push_str(&String::from_utf8_lossy(&b)),
            None => panic!("closed before {marker}: {all}"),
        }
    }
    all
}

/// Logs in by hand (PLAIN, bind); the socket is then bound.
async fn raw_login(t: &TestServer, via: Via, user: i64, pass: &str) -> Socket {
    let mut s = Socket::open(t, via).await;
    s.send(open_frame(via).as_bytes()).await;
    read_until(&mut s, "</stream:features>").await;
    let auth = B64.encode(format!("\0{user}-1\0{pass}"));
    let frame = format!(
        r#"<auth xmlns="urn:ietf:params:xml:ns:xmpp-sasl" mechanism="PLAIN">{auth}</auth>"#
    );
    s.send(frame.as_bytes()).await;
    read_until(&mut s, "<success").await;
    s.send(open_frame(via).as_bytes()).await;
    read_until(&mut s, "</stream:features>").await;
    s.send(br#"<iq type="set" id="b1" xmlns="jabber:client"><bind xmlns="urn:ietf:params:xml:ns:xmpp-bind"/></iq>"#)
        .await;
    read_until(&mut s, "</iq>").await;
    s
}

/// Sends `bad` on a bound stream and returns everything until the server closed it.
async fn closed_by(t: &TestServer, via: Via, user: i64, bad: &str) -> String {
    let mut s = raw_login(t, via, user, &password("mallory")).await;
    s.send(bad.as_bytes()).await;
    s.read_to_close().await
}

/// Alice and Bob can still chat.
async fn still_serving(t: &TestServer, alice: i64, bob: i64, n: u32) {
    let mut a = Client::connect(t, Via::Ws, alice, &password("alice")).await;
    let mut b = Client::connect(t, Via::Tcp, bob, &password("bob")).await;
    a.send_now(chat(bob, "still here", &oid(n), None, false))
        .await;
    assert_eq!(b.expect_body().await.body.as_deref(), Some("still here"));
    a.close().await;
    b.close().await;
}

#[tokio::test]
async fn bad_input_closes_only_that_stream_with_the_right_error() {
    let t = TestServer::with_config(|mut c| {
        c.chat_limits.max_stanza_bytes = 8 * 1024;
        c
    })
    .await;
    let (_, mallory) = t.user("mallory").await;
    let (_, alice) = t.user("alice").await;
    let (_, bob) = t.user("bob").await;
    // A bystander stays connected through all of it.
    let mut bystander = Client::connect(&t, Via::Tcp, alice, &password("alice")).await;
    let big = format!(
        r#"<message to="{bob}-1@localhost" type="chat" id="big1" xmlns="jabber:client"><body>{}</body></message>"#,
        "x".repeat(20 * 1024)
    );
    let malformed = r#"<message id="bad1" xmlns="jabber:client"><body>x</message>"#.to_owned();
    let entity =
        r#"<message id="ent1" xmlns="jabber:client"><body>&bogus;</body></message>"#.to_owned();
    let unknown = r#"<foo xmlns="jabber:client"/>"#.to_owned();
    let doctype = "<!DOCTYPE x [<!ENTITY a 'b'>]>".to_owned();
    // TCP: the stream is out of sync after bad XML, so it ends with the RFC 6120 condition.
    let cases: Vec<(&String, &str)> = vec![
        (&malformed, "not-well-formed"),
        (&big, "policy-violation"),
        (&unknown, "unsupported-stanza-type"),
        (&doctype, "restricted-xml"),
        (&entity, "restricted-xml"),
    ];
    for (n, (bad, condition)) in cases.into_iter().enumerate() {
        let got = closed_by(&t, Via::Tcp, mallory, bad).await;
        assert!(
            got.contains("stream:error") && got.contains(condition),
            "{bad:.60}: {got}"
        );
        still_serving(&t, alice, bob, n as u32).await;
    }
    // WebSocket: frames are self-contained, so a bound stream survives a frame that does not
    // parse (the JS SDK writes one for array values, wire.md §8.5): it is bounced to its
    // sender as a stanza error and the stream goes on.
    for (bad, id, condition) in [
        (&malformed, "bad1", "not-acceptable"),
        (&entity, "ent1", "not-acceptable"),
        (&big, "big1", "policy-violation"),
    ] {
        let mut s = raw_login(&t, Via::Ws, mallory, &password("mallory")).await;
        s.send(bad.as_bytes()).await;
        let got = read_until(&mut s, "</message>").await;
        assert!(
            got.contains(&format!(r#"id="{id}""#)) && got.contains(condition),
            "{bad:.60}: {got}"
        );
        s.send(
            br#"<iq type="get" id="p1" xmlns="jabber:client"><ping xmlns="urn:xmpp:ping"/></iq>"#,
        )
        .await;
        let got = read_until(&mut s, r#"id="p1""#).await;
        assert!(got.contains("result"), "{got}");
    }
    let got = closed_by(&t, Via::Ws, mallory, &unknown).await;
    assert!(got.contains("unsupported-stanza-type"), "{got}");
    still_serving(&t, alice, bob, 99).await;
    // A TCP stream in the wrong namespace.
    let mut s = Socket::open(&t, Via::Tcp).await;
    s.send(b"<stream:stream to='localhost' version='1.0' xmlns='jabber:client' xmlns:stream='urn:wrong'>")
        .await;
    let got = s.read_to_close().await;
    assert!(got.contains("invalid-namespace"), "{got}");
    // A stream for another host.
    let mut s = Socket::open(&t, Via::Ws).await;
    s.send(
        br#"<open xmlns="urn:ietf:params:xml:ns:xmpp-framing" to="evil.example" version="1.0"/>"#,
    )
    .await;
    let got = s.read_to_close().await;
    assert!(got.contains("host-unknown"), "{got}");
    bystander.sync().await;
    bystander.close().await;
}

#[tokio::test]
async fn half_open_and_silent_connections_are_timed_out() {
    let t = TestServer::with_config(|mut c| {
        c.chat_limits.negotiation_timeout = Duration::from_millis(300);
        c.chat_limits.idle_ping = Duration::from_millis(300);
        c.chat_limits.idle_close = Duration::from_millis(300);
        c
    })
    .await;
    let (_, mallory) = t.user("mallory").await;
    for via in BOTH {
        // Half a stream header, then nothing.
        let mut s = Socket::open(&t, via).await;
        s.send(&open_frame(via).as_bytes()[..20]).await;
        let got = s.read_to_close().await;
        assert!(
            via == Via::Ws || got.contains("connection-timeout"),
            "{got}"
        );
        // Bound, then silent: pinged, then closed.
        let mut s = raw_login(&t, via, mallory, &password("mallory")).await;
        let got = s.read_to_close().await;
        assert!(got.contains("urn:xmpp:ping"), "pinged first: {got}");
        assert!(got.contains("connection-timeout"), "{got}");
    }
}

#[tokio::test]
async fn a_flooding_client_is_slowed_down_and_others_are_served() {
    let t = TestServer::with_config(|mut c| {
        c.chat_limits.stanzas_per_second = 200;
        c.chat_limits.burst = 50;
        c
    })
    .await;
    let (_, mallory) = t.user("mallory").await;
    let (_, alice) = t.user("alice").await;
    let (_, bob) = t.user("bob").await;
    let mut flood = raw_login(&t, Via::Tcp, mallory, &password("mallory")).await;
    let mut burst = String::new();
    for i in 0..2_000 {
        let _ = write!(
            burst,
            r#"<message to="{mallory}-1@localhost" type="chat" id="f{i}" xmlns="jabber:client"><composing xmlns="http://jabber.org/protocol/chatstates"/></message>"#
        );
    }
    let writer = tokio::spawn(async move {
        flood.send(burst.as_bytes()).await;
        flood
    });
    still_serving(&t, alice, bob, 1).await;
    drop(writer);
}

#[tokio::test]
async fn a_slow_reader_is_disconnected_without_slowing_the_sender() {
    let t = TestServer::with_config(|mut c| {
        c.chat_limits = ChatLimits::default();
        c.chat_limits.outgoing_queue = 16;
        c.chat_limits.write_timeout = Duration::from_millis(500);
        c
    })
    .await;
    let (_, alice) = t.user("alice").await;
    let (_, bob) = t.user("bob").await;
    let (_, carol) = t.user("carol").await;
    // Bob logs in and never reads again.
    let mut slow = raw_login(&t, Via::Tcp, bob, &password("bob")).await;
    let mut a = Client::connect(&t, Via::Ws, alice, &password("alice")).await;
    let mut c = Client::connect(&t, Via::Tcp, carol, &password("carol")).await;
    let body = "y".repeat(32 * 1024);
    for i in 0..400 {
        a.send(chat(bob, &body, &oid(i), None, false));
        if i % 50 == 0 {
            // Alice is served all along: her own round trips complete.
            a.sync().await;
        }
    }
    a.sync().await;
    a.send_now(chat(carol, "unaffected", &oid(1000), None, false))
        .await;
    assert_eq!(c.expect_body().await.body.as_deref(), Some("unaffected"));
    // Bob's connection was given up: reading now reaches its end.
    let _ = slow.read_to_close().await;
    a.close().await;
    c.close().await;
}

#[tokio::test]
async fn shutdown_closes_chat_streams_with_system_shutdown() {
    let t = TestServer::start().await;
    let (_, alice) = t.user("alice").await;
    let mut clients = Vec::new();
    for via in BOTH {
        clients.push(Client::connect(&t, via, alice, &password("alice")).await);
    }
    // A connection that never authenticates is closed too.
    let mut idle = Socket::open(&t, Via::Tcp).await;
    t.server.shutdown().await;
    for mut c in clients {
        let reason = c
            .next_event(|e| match e {
                cube_xmpp::client::ClientEvent::Closed(r) => Some(r.clone()),
                _ => None,
            })
            .await;
        assert!(
            matches!(&reason, cube_xmpp::CloseReason::PeerError(e) if e.condition.as_str() == "system-shutdown"),
            "{reason:?}"
        );
    }
    let _ = idle.read_to_close().await;
}

#[tokio::test]
async fn connections_beyond_the_total_bound_are_refused_at_once() {
    let t = TestServer::with_config(|mut c| {
        c.chat_limits.connections_total = 2;
        c
    })
    .await;
    let (_, alice) = t.user("alice").await;
    let first = Client::connect(&t, Via::Tcp, alice, &password("alice")).await;
    // An unauthenticated socket holds a place too.
    let mut second = Socket::open(&t, Via::Tcp).await;
    second.send(TCP_OPEN.as_bytes()).await;
    read_until(&mut second, "</stream:features>").await;
    let mut third = Socket::open(&t, Via::Tcp).await;
    assert_eq!(third.read_to_close().await, "", "closed without a word");
    let refused = tokio_tungstenite::connect_async(format!(
        "ws://{}/",
        t.server.ws_addr().expect("ws listener")
    ))
    .await;
    assert!(refused.is_err(), "the WebSocket upgrade is refused");
    drop(second);
    first.close().await;
}
