//! Stream management (XEP-0198): acknowledgements and resumption after a dropped socket, with
//! nothing lost and nothing duplicated.
#![allow(clippy::many_single_char_names)]

use cube_xmpp::Stanza;
use cube_xmpp::client::ClientEvent;

use super::chat_client::{BOTH, Client, chat, oid};
use super::support::TestServer;

fn password(login: &str) -> String {
    format!("{login}-pass1")
}

fn bodies(stanzas: &[Stanza]) -> Vec<String> {
    stanzas
        .iter()
        .filter_map(|s| match s {
            Stanza::Message(m) => m.body.clone(),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn resumption_after_a_dropped_socket_loses_and_duplicates_nothing() {
    let t = TestServer::start().await;
    let (_, alice) = t.user("alice").await;
    let (_, bob) = t.user("bob").await;
    for (round, via) in BOTH.into_iter().enumerate() {
        let base = 100 * round as u32;
        let mut a = Client::connect(&t, via, alice, &password("alice")).await;
        let mut b = Client::connect(&t, via, bob, &password("bob")).await;
        let sm = b
            .next_event(|e| match e {
                ClientEvent::SmEnabled { resumable } => Some(*resumable),
                _ => None,
            })
            .await;
        assert!(sm, "the server grants resumption");
        b.events.clear();

        a.send_now(chat(bob, "m1", &oid(base + 1), None, false))
            .await;
        assert_eq!(b.expect_body().await.body.as_deref(), Some("m1"));
        // The socket dies; the server has not heard an ack for m1 (Bob handled it: h=1).
        let state = b.drop_socket().expect("resumable state");
        a.send_now(chat(bob, "m2", &oid(base + 2), None, false))
            .await;
        a.send_now(chat(bob, "m3", &oid(base + 3), None, false))
            .await;
        a.sync().await;

        let cfg = Client::config(bob, &password("bob"), via).with_resume(state);
        let mut b = Client::try_connect(&t, via, cfg).await.expect("resumed");
        let got = bodies(&b.drain().await);
        assert_eq!(got, ["m2", "m3"], "every message once, in order");

        // The resumed session is live: new traffic flows both ways.
        a.send_now(chat(bob, "m4", &oid(base + 4), None, false))
            .await;
        assert_eq!(b.expect_body().await.body.as_deref(), Some("m4"));
        b.send_now(chat(alice, "back", &oid(base + 5), None, false))
            .await;
        assert_eq!(a.expect_body().await.body.as_deref(), Some("back"));
        b.close().await;
        // Nothing left over for the next plain login either.
        let mut b = Client::connect(&t, via, bob, &password("bob")).await;
        let rest = bodies(&b.drain().await);
        assert!(rest.is_empty(), "{rest:?}");
        b.close().await;
        a.close().await;
    }
}

#[tokio::test]
async fn an_unknown_session_is_not_resumed_and_nothing_is_lost() {
    let t = TestServer::with_config(|mut c| {
        c.chat_limits.resume_timeout = std::time::Duration::ZERO;
        c
    })
    .await;
    let (_, alice) = t.user("alice").await;
    let (_, bob) = t.user("bob").await;
    let via = super::chat_client::Via::Tcp;
    let mut a = Client::connect(&t, via, alice, &password("alice")).await;
    let b = Client::connect(&t, via, bob, &password("bob")).await;
    let mut state = b.drop_socket().expect("resumable state");
    state.previd = "no-such-session".into();
    a.send_now(chat(bob, "while gone", &oid(1), None, false))
        .await;
    a.sync().await;
    let cfg = Client::config(bob, &password("bob"), via).with_resume(state);
    let mut b = Client::try_connect(&t, via, cfg).await.expect("bound anew");
    let failed = b
        .next_event(|e| matches!(e, ClientEvent::ResumeFailed { .. }).then_some(()))
        .await;
    let () = failed;
    // The message went to the offline queue (or straight to the new session).
    let got = b.expect_body().await;
    assert_eq!(got.body.as_deref(), Some("while gone"));
    b.close().await;
    a.close().await;
}

#[tokio::test]
async fn a_fresh_login_after_a_drop_gets_everything_once() {
    let t = TestServer::with_config(|mut c| {
        c.chat_limits.resume_timeout = std::time::Duration::from_millis(200);
        c
    })
    .await;
    let (_, alice) = t.user("alice").await;
    let (_, bob) = t.user("bob").await;
    for (round, via) in BOTH.into_iter().enumerate() {
        let base = 100 * round as u32;
        let mut a = Client::connect(&t, via, alice, &password("alice")).await;
        let b = Client::connect(&t, via, bob, &password("bob")).await;
        let _ = b.drop_socket();
        a.send_now(chat(bob, "m1", &oid(base + 1), None, false))
            .await;
        a.sync().await;
        // Bob logs in again without resuming (the JS SDK never resumes).
        let mut b = Client::connect(&t, via, bob, &password("bob")).await;
        a.send_now(chat(bob, "m2", &oid(base + 2), None, false))
            .await;
        let mut got = Vec::new();
        while got.len() < 2 {
            got.push(b.expect_body().await.body.unwrap_or_default());
        }
        got.sort();
        assert_eq!(got, ["m1", "m2"]);
        // m1 reached the new session only when the dropped one expired, so that expiry is
        // over: nothing else is on its way.
        let rest = bodies(&b.drain().await);
        assert!(rest.is_empty(), "duplicates: {rest:?}");
        b.close().await;
        a.close().await;
    }
}
