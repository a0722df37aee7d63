//! Chat over both listeners: login, 1:1 and group delivery, carbons, history, offline queue,
//! markers, typing, edits, deletions, last activity.
#![allow(clippy::many_single_char_names)]

use cube_xmpp::stanza::{
    ChatMarker, ChatState, ExtraParams, Iq, IqPayload, LastActivity, Message, MessageType, Remove,
    Replace,
};
use cube_xmpp::{CloseReason, Stanza};
use serde_json::{Value, json};

use super::chat_client::{BOTH, Client, Via, chat, group, oid, user_jid};
use super::support::TestServer;

fn password(login: &str) -> String {
    format!("{login}-pass1")
}

async fn user(t: &TestServer, login: &str) -> (String, i64) {
    t.user(login).await
}

#[tokio::test]
async fn login_with_password_or_token_and_refuse_wrong_credentials() {
    let t = TestServer::start().await;
    let (token, alice) = user(&t, "alice").await;
    for via in BOTH {
        let c = Client::connect(&t, via, alice, &password("alice")).await;
        let jid = c.jid.clone().expect("bound");
        assert_eq!(jid.to_bare(), user_jid(alice));
        assert!(
            jid.resource().is_some_and(|r| r.len() >= 16),
            "long resource: {jid}"
        );
        c.close().await;

        // PLAIN with a session token (provider and identity-provider users).
        let cfg = Client::config(alice, &token, via).with_mechanisms(false, true);
        let c = Client::try_connect(&t, via, cfg)
            .await
            .expect("token login");
        c.close().await;

        // SCRAM-SHA-1 with the password (credentials derived at sign-up).
        let cfg = Client::config(alice, &password("alice"), via).with_mechanisms(true, false);
        let c = Client::try_connect(&t, via, cfg)
            .await
            .expect("scram login");
        c.close().await;

        for (scram, plain) in [(false, true), (true, false)] {
            let cfg = Client::config(alice, "wrong-password", via).with_mechanisms(scram, plain);
            let refused = Client::try_connect(&t, via, cfg).await.err();
            assert!(
                matches!(refused, Some(CloseReason::AuthFailed { .. })),
                "{via:?} scram={scram}: {refused:?}"
            );
        }
        let cfg = Client::config(999_999, "whatever", via).with_mechanisms(false, true);
        assert!(Client::try_connect(&t, via, cfg).await.is_err());
    }
}

#[tokio::test]
async fn one_to_one_reaches_every_resource_with_carbons_to_the_sender() {
    let t = TestServer::start().await;
    let (_, alice) = user(&t, "alice").await;
    let (_, bob) = user(&t, "bob").await;
    let mut a1 = Client::connect(&t, Via::Ws, alice, &password("alice")).await;
    let mut a2 = Client::connect(&t, Via::Tcp, alice, &password("alice")).await;
    let mut b1 = Client::connect(&t, Via::Tcp, bob, &password("bob")).await;
    let mut b2 = Client::connect(&t, Via::Ws, bob, &password("bob")).await;

    let id = oid(1);
    let params = ExtraParams::new()
        .with("customParam", "v")
        .with("nested_a", "1");
    let m = Message::chat(user_jid(bob), "hello <bob> & co")
        .with_id(id.clone())
        .with_extra_params(params);
    a1.send_now(m).await;
    for b in [&mut b1, &mut b2] {
        let got = b.expect_body().await;
        assert_eq!(got.id.as_deref(), Some(id.as_str()));
        assert_eq!(got.body.as_deref(), Some("hello <bob> & co"));
        assert_eq!(
            got.from.as_ref(),
            a1.jid.as_ref(),
            "from is the sender's full JID"
        );
        assert_eq!(got.message_type(), MessageType::Chat);
        assert_eq!(
            got.extra_params.as_ref().and_then(|p| p.get("customParam")),
            Some("v")
        );
    }
    // The sender's other resource gets a `sent` carbon, never a `received` one.
    let carbon = a2
        .expect(|s| match s {
            Stanza::Message(m) if m.carbon.is_some() => Some(m.clone()),
            _ => None,
        })
        .await;
    match carbon.carbon {
        Some(cube_xmpp::stanza::Carbon::Sent(f)) => {
            assert_eq!(f.message.id.as_deref(), Some(id.as_str()));
        }
        other => panic!("expected a sent carbon, got {other:?}"),
    }
    let rest = a1.drain().await;
    assert!(
        rest.iter()
            .all(|s| !matches!(s, Stanza::Message(m) if m.body.is_some())),
        "no echo: {rest:?}"
    );
    for c in [a1, a2, b1, b2] {
        c.close().await;
    }
}

#[tokio::test]
async fn save_to_history_stores_before_routing_and_creates_the_private_dialog() {
    let t = TestServer::start().await;
    let (_, alice) = user(&t, "alice").await;
    let (bob_token, bob) = user(&t, "bob").await;
    for (n, via) in BOTH.into_iter().enumerate() {
        let mut a = Client::connect(&t, via, alice, &password("alice")).await;
        let mut b = Client::connect(&t, via, bob, &password("bob")).await;
        let id = oid(10 + n as u32);
        a.send_now(chat(bob, "stored", &id, None, true)).await;
        let got = b.expect_body().await;
        let dialog = got
            .dialog_id()
            .expect("the server adds dialog_id to stored messages")
            .to_owned();
        assert!(
            got.extra_params
                .as_ref()
                .and_then(ExtraParams::date_sent)
                .is_some()
        );
        let history = t
            .get(
                &format!("/chat/Message.json?chat_dialog_id={dialog}"),
                &bob_token,
            )
            .await
            .expect(200);
        let items = history.body["items"].as_array().expect("items").clone();
        let stored = items
            .iter()
            .find(|m| m["_id"] == json!(id))
            .unwrap_or_else(|| panic!("{id} in history: {}", history.body));
        assert_eq!(stored["message"], json!("stored"));
        assert_eq!(stored["sender_id"], json!(alice));
        assert_eq!(stored["recipient_id"], json!(bob));
        let dialogs = t.get("/chat/Dialog.json", &bob_token).await.expect(200);
        let d = dialogs.body["items"]
            .as_array()
            .expect("dialogs")
            .iter()
            .find(|d| d["_id"] == json!(dialog))
            .cloned()
            .expect("private dialog listed");
        assert_eq!(d["type"], json!(3));
        assert_eq!(d["last_message"], json!("stored"));
        // Not stored without save_to_history.
        let unsaved = oid(20 + n as u32);
        a.send_now(chat(bob, "ephemeral", &unsaved, Some(&dialog), false))
            .await;
        b.expect_body().await;
        let history = t
            .get(
                &format!("/chat/Message.json?chat_dialog_id={dialog}"),
                &bob_token,
            )
            .await
            .expect(200);
        assert!(!history.body.to_string().contains(&unsaved));
        a.close().await;
        b.close().await;
    }
}

#[tokio::test]
async fn a_burst_of_saved_messages_from_one_connection_arrives_in_order_once_and_stored() {
    let t = TestServer::start().await;
    let (_, alice) = user(&t, "alice").await;
    let (bob_token, bob) = user(&t, "bob").await;
    for (round, via) in BOTH.into_iter().enumerate() {
        let mut a = Client::connect(&t, via, alice, &password("alice")).await;
        let mut b = Client::connect(&t, via, bob, &password("bob")).await;
        // More than one connection keeps in flight, written at once; an unsaved message in
        // the middle keeps its place too.
        let base = 1000 * (round as u32 + 1);
        let ids: Vec<String> = (0..150).map(|i| oid(base + i)).collect();
        for (i, id) in ids.iter().enumerate() {
            a.send(chat(bob, &format!("burst {i}"), id, None, i != 70));
        }
        a.sync().await;
        let mut got = Vec::new();
        while got.len() < ids.len() {
            got.push(b.expect_body().await);
        }
        let got_ids: Vec<String> = got.iter().filter_map(|m| m.id.clone()).collect();
        assert_eq!(got_ids, ids, "in order, each once");
        for (i, m) in got.iter().enumerate() {
            assert_eq!(m.body.as_deref(), Some(format!("burst {i}").as_str()));
            assert_eq!(m.dialog_id().is_some(), i != 70, "message {i}");
        }
        let extra = b.drain().await;
        assert!(
            !extra
                .iter()
                .any(|s| matches!(s, Stanza::Message(m) if m.body.is_some())),
            "nothing routed twice: {extra:?}"
        );
        let dialog = got[0].dialog_id().expect("stored").to_owned();
        let mut stored = Vec::new();
        for skip in (0..300).step_by(100) {
            let page = t
                .get(
                    &format!("/chat/Message.json?chat_dialog_id={dialog}&limit=100&skip={skip}"),
                    &bob_token,
                )
                .await
                .expect(200);
            stored.extend(
                page.body["items"]
                    .as_array()
                    .expect("items")
                    .iter()
                    .filter_map(|m| m["_id"].as_str().map(str::to_owned))
                    .filter(|id| ids.contains(id)),
            );
        }
        let saved: Vec<String> = ids
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != 70)
            .map(|(_, id)| id.clone())
            .collect();
        // Each exactly once (history order is the commit order of the save batches, which
        // two batches in flight do not strictly fix).
        stored.sort();
        assert_eq!(stored, saved, "each saved message in history, once");
        a.close().await;
        b.close().await;
    }
}

#[tokio::test]
async fn group_messages_reach_every_connected_occupant_from_the_room() {
    let t = TestServer::start().await;
    let (alice_token, alice) = user(&t, "alice").await;
    let (bob_token, bob) = user(&t, "bob").await;
    let (_, carol) = user(&t, "carol").await;
    let (_, dave) = user(&t, "dave").await;
    let dialog = t
        .dialog(
            &alice_token,
            json!({"type": 2, "name": "g", "occupants_ids": [bob, carol]}),
        )
        .await;
    let mut a = Client::connect(&t, Via::Ws, alice, &password("alice")).await;
    let mut b1 = Client::connect(&t, Via::Tcp, bob, &password("bob")).await;
    let mut b2 = Client::connect(&t, Via::Ws, bob, &password("bob")).await;
    let mut c = Client::connect(&t, Via::Tcp, carol, &password("carol")).await;
    let mut d = Client::connect(&t, Via::Ws, dave, &password("dave")).await;

    let id = oid(30);
    a.send_now(group(&dialog, "hello group", &id, true)).await;
    for x in [&mut a, &mut b1, &mut b2, &mut c] {
        let got = x.expect_body().await;
        assert_eq!(got.id.as_deref(), Some(id.as_str()));
        assert_eq!(got.message_type(), MessageType::Groupchat);
        let from = got.from.expect("from");
        assert_eq!(
            from.dialog_id().map(|d| d.to_string()),
            Some(dialog.clone())
        );
        assert_eq!(
            from.occupant_user_id().map(cube_model::UserId::get),
            Some(alice as u64)
        );
    }
    // An outsider gets nothing.
    let outsider = d.drain().await;
    assert!(
        outsider.iter().all(|s| !matches!(s, Stanza::Message(_))),
        "{outsider:?}"
    );
    let unread = t
        .get("/chat/Message/unread.json", &bob_token)
        .await
        .expect(200);
    assert_eq!(unread.body[&dialog], json!(1), "{}", unread.body);
    let history = t
        .get(
            &format!("/chat/Message.json?chat_dialog_id={dialog}"),
            &bob_token,
        )
        .await
        .expect(200);
    assert_eq!(history.body["items"][0]["_id"], json!(id));
    // The outsider may not post either: refused with forbidden, nothing routed.
    let refused = oid(31);
    d.send_now(group(&dialog, "let me in", &refused, true))
        .await;
    let err = d
        .expect(|s| super::chat_client::error_of(s, &refused))
        .await;
    assert_eq!(err.condition.as_str(), "forbidden");
    assert!(err.text.is_some_and(|t| !t.is_empty()));
    let nothing = c.drain().await;
    assert!(
        nothing
            .iter()
            .all(|s| !matches!(s, Stanza::Message(m) if m.body.is_some()))
    );
    for x in [a, b1, b2, c, d] {
        x.close().await;
    }
}

#[tokio::test]
async fn offline_messages_arrive_with_a_delay_on_next_login() {
    let t = TestServer::start().await;
    let (alice_token, alice) = user(&t, "alice").await;
    let (_, bob) = user(&t, "bob").await;
    let dialog = t
        .dialog(
            &alice_token,
            json!({"type": 2, "name": "g", "occupants_ids": [bob]}),
        )
        .await;
    for via in BOTH {
        let mut a = Client::connect(&t, via, alice, &password("alice")).await;
        a.send_now(chat(bob, "while you were away", &oid(40), None, false))
            .await;
        a.send_now(group(&dialog, "group while away", &oid(41), true))
            .await;
        a.sync().await;
        let mut b = Client::connect(&t, via, bob, &password("bob")).await;
        let first = b.expect_body().await;
        let second = b.expect_body().await;
        assert_eq!(first.body.as_deref(), Some("while you were away"));
        assert_eq!(second.body.as_deref(), Some("group while away"));
        assert!(first.delay.is_some() && second.delay.is_some());
        b.close().await;
        // Delivered once: a new login finds the queue empty.
        let mut b = Client::connect(&t, via, bob, &password("bob")).await;
        let again = b.drain().await;
        assert!(
            again.iter().all(|s| !matches!(s, Stanza::Message(_))),
            "{again:?}"
        );
        b.close().await;
        a.close().await;
    }
}

#[tokio::test]
async fn markers_typing_edit_and_delete_are_routed_and_stored() {
    let t = TestServer::start().await;
    let (alice_token, alice) = user(&t, "alice").await;
    let (bob_token, bob) = user(&t, "bob").await;
    let mut a = Client::connect(&t, Via::Ws, alice, &password("alice")).await;
    let mut b = Client::connect(&t, Via::Tcp, bob, &password("bob")).await;

    let id = oid(50);
    a.send_now(chat(bob, "mark me", &id, None, true)).await;
    let got = b.expect_body().await;
    let dialog = got.dialog_id().expect("dialog").to_owned();

    // Typing.
    b.send_now(
        Message::new(MessageType::Chat)
            .with_to(user_jid(alice))
            .with_chat_state(ChatState::Composing),
    )
    .await;
    let typing = a
        .expect(|s| match s {
            Stanza::Message(m) if m.chat_state.is_some() => Some(m.clone()),
            _ => None,
        })
        .await;
    assert_eq!(typing.chat_state, Some(ChatState::Composing));
    assert_eq!(typing.from.as_ref(), b.jid.as_ref());

    // Delivered, then read.
    for marker in [
        ChatMarker::Received { id: id.clone() },
        ChatMarker::Displayed { id: id.clone() },
    ] {
        let m = Message::new(MessageType::Chat)
            .with_to(user_jid(alice))
            .with_id(oid(51))
            .with_marker(marker.clone())
            .with_extra_params(ExtraParams::new().with("dialog_id", dialog.clone()));
        b.send_now(m).await;
        let seen = a
            .expect(|s| match s {
                Stanza::Message(m) if m.marker.is_some() => m.marker.clone(),
                _ => None,
            })
            .await;
        assert_eq!(seen, marker);
    }
    let history = t
        .get(
            &format!("/chat/Message.json?chat_dialog_id={dialog}&mark_as_read=0"),
            &alice_token,
        )
        .await
        .expect(200);
    let stored = &history.body["items"][0];
    assert_eq!(stored["delivered_ids"], json!([bob]));
    assert_eq!(stored["read_ids"], json!([bob]));

    // Edit: routed and the stored text follows.
    let edit = Message::new(MessageType::Chat)
        .with_to(user_jid(bob))
        .with_id(oid(52))
        .with_body("edited")
        .with_replace(Replace::new(id.clone()).with_last(true))
        .with_extra_params(ExtraParams::new().with("dialog_id", dialog.clone()));
    a.send_now(edit).await;
    let got = b.expect_body().await;
    assert_eq!(
        got.replace.as_ref().map(|r| r.id.as_str()),
        Some(id.as_str())
    );
    let history = t
        .get(
            &format!("/chat/Message.json?chat_dialog_id={dialog}"),
            &bob_token,
        )
        .await
        .expect(200);
    assert_eq!(history.body["items"][0]["message"], json!("edited"));

    // Bob may not edit or delete Alice's message.
    let bad = oid(53);
    b.send_now(
        Message::new(MessageType::Chat)
            .with_to(user_jid(alice))
            .with_id(bad.clone())
            .with_remove(Remove::new(id.clone())),
    )
    .await;
    let err = b.expect(|s| super::chat_client::error_of(s, &bad)).await;
    assert_eq!(err.condition.as_str(), "forbidden");

    // Delete by the author: routed and gone from history.
    a.send_now(
        Message::new(MessageType::Chat)
            .with_to(user_jid(bob))
            .with_id(oid(54))
            .with_remove(Remove::new(id.clone()))
            .with_extra_params(ExtraParams::new().with("dialog_id", dialog.clone())),
    )
    .await;
    let removed = b
        .expect(|s| match s {
            Stanza::Message(m) if m.remove.is_some() => m.remove.clone(),
            _ => None,
        })
        .await;
    assert_eq!(removed.id, id);
    let history = t
        .get(
            &format!("/chat/Message.json?chat_dialog_id={dialog}"),
            &bob_token,
        )
        .await
        .expect(200);
    assert_eq!(history.body["items"], Value::Array(Vec::new()));
    a.close().await;
    b.close().await;
}

#[tokio::test]
async fn last_activity_is_zero_online_and_counts_after_disconnect() {
    let t = TestServer::start().await;
    let (_, alice) = user(&t, "alice").await;
    let (_, bob) = user(&t, "bob").await;
    let mut a = Client::connect(&t, Via::Tcp, alice, &password("alice")).await;
    let b = Client::connect(&t, Via::Ws, bob, &password("bob")).await;
    let ask = |id: &str| {
        let mut iq = Iq::get(id, IqPayload::LastActivity(LastActivity::query()));
        iq.to = Some(user_jid(bob));
        iq
    };
    let seconds = |id: String| {
        move |s: &Stanza| match s {
            Stanza::Iq(iq) if iq.id == id => match &iq.payload {
                Some(IqPayload::LastActivity(l)) => l.seconds,
                _ => None,
            },
            _ => None,
        }
    };
    a.send_now(ask("last-1")).await;
    assert_eq!(a.expect(seconds("last-1".into())).await, 0);
    b.close().await;
    t.clock.advance_millis(42_000);
    a.send_now(ask("last-2")).await;
    assert_eq!(a.expect(seconds("last-2".into())).await, 42);
    a.close().await;
}

#[tokio::test]
async fn rest_messages_with_send_to_chat_are_delivered_over_chat() {
    let t = TestServer::start().await;
    let (alice_token, alice) = user(&t, "alice").await;
    let (_, bob) = user(&t, "bob").await;
    let dialog = t
        .dialog(
            &alice_token,
            json!({"type": 2, "name": "g", "occupants_ids": [bob]}),
        )
        .await;
    let mut b = Client::connect(&t, Via::Ws, bob, &password("bob")).await;
    let sent = t
        .post(
            "/chat/Message.json",
            &alice_token,
            json!({"chat_dialog_id": dialog, "message": "from rest", "send_to_chat": 1, "customParam": "x"}),
        )
        .await
        .expect(201);
    let got = b.expect_body().await;
    assert_eq!(got.body.as_deref(), Some("from rest"));
    assert_eq!(
        got.id.as_ref(),
        sent.body["_id"].as_str().map(str::to_owned).as_ref()
    );
    assert_eq!(
        got.from
            .and_then(|f| f.occupant_user_id())
            .map(cube_model::UserId::get),
        Some(alice as u64)
    );
    assert_eq!(
        got.extra_params.as_ref().and_then(|p| p.get("customParam")),
        Some("x")
    );
    b.close().await;
}

#[tokio::test]
async fn direct_tls_on_the_tcp_listener() {
    let t = TestServer::with_config(|mut c| {
        c.tls = Some(super::chat_client::tls_files());
        c
    })
    .await;
    let (_, alice) = user(&t, "alice").await;
    let (_, bob) = user(&t, "bob").await;
    let mut a = Client::connect(&t, Via::Tls, alice, &password("alice")).await;
    let mut b = Client::connect(&t, Via::Ws, bob, &password("bob")).await;
    a.send_now(chat(bob, "over tls", &oid(60), None, false))
        .await;
    assert_eq!(b.expect_body().await.body.as_deref(), Some("over tls"));
    b.send_now(chat(alice, "back", &oid(61), None, false)).await;
    assert_eq!(a.expect_body().await.body.as_deref(), Some("back"));
    a.close().await;
    b.close().await;
}

#[tokio::test]
async fn connections_per_user_are_bounded() {
    let t = TestServer::with_config(|mut c| {
        c.chat_limits.connections_per_user = 2;
        c
    })
    .await;
    let (_, alice) = user(&t, "alice").await;
    let a1 = Client::connect(&t, Via::Ws, alice, &password("alice")).await;
    let a2 = Client::connect(&t, Via::Tcp, alice, &password("alice")).await;
    let third = Client::try_connect(
        &t,
        Via::Ws,
        Client::config(alice, &password("alice"), Via::Ws),
    )
    .await;
    match third {
        Err(CloseReason::PeerError(e)) => assert_eq!(e.condition.as_str(), "policy-violation"),
        Err(other) => panic!("third connection: {other:?}"),
        Ok(_) => panic!("a third connection was accepted"),
    }
    a1.close().await;
    let a3 = Client::connect(&t, Via::Ws, alice, &password("alice")).await;
    a2.close().await;
    a3.close().await;
}

#[tokio::test]
async fn system_messages_and_mobile_state() {
    let t = TestServer::start().await;
    let (_, alice) = user(&t, "alice").await;
    let (_, bob) = user(&t, "bob").await;
    let mut a = Client::connect(&t, Via::Tcp, alice, &password("alice")).await;
    let mut b = Client::connect(&t, Via::Ws, bob, &password("bob")).await;
    let mut iq = Iq::set(
        "m1",
        IqPayload::Other(
            cube_xmpp::Element::new("mobile", "http://tigase.org/protocol/mobile#v2")
                .with_attr("enable", "true"),
        ),
    );
    iq.to = None;
    a.send_now(iq).await;
    let answer = a
        .expect(|s| match s {
            Stanza::Iq(iq) if iq.id == "m1" => Some(iq.kind.clone()),
            _ => None,
        })
        .await;
    assert_eq!(answer, cube_xmpp::stanza::IqType::Result);
    let mut headline = Message::new(MessageType::Headline)
        .with_to(user_jid(bob))
        .with_id(oid(70))
        .with_extra_params(
            ExtraParams::new()
                .with("moduleIdentifier", "SystemNotifications")
                .with("param1", "value1"),
        );
    headline.body = Some("sys".into());
    a.send_now(headline).await;
    let got = b.expect_body().await;
    assert_eq!(got.message_type(), MessageType::Headline);
    assert_eq!(got.from.as_ref(), a.jid.as_ref());
    assert_eq!(
        got.extra_params.as_ref().and_then(|p| p.get("param1")),
        Some("value1")
    );
    a.close().await;
    b.close().await;
}

#[tokio::test]
async fn users_without_a_password_log_in_with_their_session_token_over_plain_and_scram() {
    let t = TestServer::start().await;
    let a = t
        .json(
            reqwest::Method::POST,
            "/session.json",
            None,
            &json!({"application_id": super::support::APP, "auth_key": super::support::KEY,
                    "user": {"guest": "1", "full_name": "Guest"}}),
        )
        .await
        .expect(201);
    let token = a.body["session"]["token"]
        .as_str()
        .expect("token")
        .to_owned();
    let guest = a.body["session"]["user_id"].as_i64().expect("user id");
    for via in BOTH {
        for (scram, plain) in [(true, false), (false, true)] {
            let cfg = Client::config(guest, &token, via).with_mechanisms(scram, plain);
            let c = Client::try_connect(&t, via, cfg)
                .await
                .unwrap_or_else(|e| panic!("{via:?} scram={scram}: {e:?}"));
            c.close().await;
            let cfg = Client::config(guest, "not-the-token", via).with_mechanisms(scram, plain);
            assert!(Client::try_connect(&t, via, cfg).await.is_err());
        }
    }
}

#[tokio::test]
async fn rest_system_messages_and_deletions_reach_chat() {
    let t = TestServer::start().await;
    let (alice_token, alice) = user(&t, "alice").await;
    let (_, bob) = user(&t, "bob").await;
    let mut b = Client::connect(&t, Via::Tcp, bob, &password("bob")).await;

    let sent = t
        .post(
            "/chat/Message/system.json",
            &alice_token,
            json!({"recipientId": bob, "param1": "value1"}),
        )
        .await
        .ok();
    let got = b
        .expect(|s| match s {
            Stanza::Message(m) if m.message_type() == MessageType::Headline => Some(m.clone()),
            _ => None,
        })
        .await;
    let params = got.extra_params.expect("extraParams");
    assert_eq!(params.module_identifier(), Some("SystemNotifications"));
    assert_eq!(params.get("param1"), Some("value1"));
    assert_eq!(
        got.from
            .and_then(|f| f.user_id())
            .map(cube_model::UserId::get),
        Some(alice as u64)
    );
    assert!(
        sent.body
            .to_string()
            .contains(got.id.as_deref().unwrap_or("?"))
    );

    let dialog = t
        .dialog(
            &alice_token,
            json!({"type": 2, "name": "g", "occupants_ids": [bob]}),
        )
        .await;
    let id = t.message(&alice_token, &dialog, "to be deleted").await;
    t.delete(&format!("/chat/Message/{id}.json"), &alice_token, "force=1")
        .await
        .ok();
    let removed = b
        .expect(|s| match s {
            Stanza::Message(m) if m.remove.is_some() => Some(m.clone()),
            _ => None,
        })
        .await;
    assert_eq!(
        removed.remove.as_ref().map(|r| r.id.as_str()),
        Some(id.as_str())
    );
    assert_eq!(removed.dialog_id(), Some(dialog.as_str()));
    b.close().await;
}

#[tokio::test]
async fn rooms_answer_joins_online_lists_and_route_typing() {
    let t = TestServer::start().await;
    let (alice_token, alice) = user(&t, "alice").await;
    let (_, bob) = user(&t, "bob").await;
    let (_, carol) = user(&t, "carol").await;
    let dialog = t
        .dialog(
            &alice_token,
            json!({"type": 2, "name": "g", "occupants_ids": [bob, carol]}),
        )
        .await;
    let room = super::chat_client::room_jid(&dialog);
    let mut a = Client::connect(&t, Via::Ws, alice, &password("alice")).await;
    let mut b = Client::connect(&t, Via::Tcp, bob, &password("bob")).await;

    // A join (not needed to chat) is answered with the self-presence, status 110.
    let me = room
        .with_resource(&alice.to_string())
        .expect("occupant jid");
    let join = cube_xmpp::stanza::Presence::muc_join(me).with_id("j1");
    a.send_now(join).await;
    let answer = a
        .expect(|s| match s {
            Stanza::Presence(p) if p.id.as_deref() == Some("j1") => Some(p.clone()),
            _ => None,
        })
        .await;
    assert!(
        answer
            .muc_user
            .is_some_and(|x| x.status_codes.contains(&110))
    );

    // Online occupants (the JS SDK's listOnlineUsers).
    let mut iq = Iq::get(
        "d1",
        IqPayload::DiscoItems(cube_xmpp::stanza::DiscoItems::default()),
    );
    iq.to = Some(room.clone());
    a.send_now(iq).await;
    let items = a
        .expect(|s| match s {
            Stanza::Iq(iq) if iq.id == "d1" => match &iq.payload {
                Some(IqPayload::DiscoItems(d)) => Some(d.items.clone()),
                _ => None,
            },
            _ => None,
        })
        .await;
    let mut online: Vec<String> = items.into_iter().map(|i| i.jid).collect();
    online.sort();
    let mut expected = vec![format!("{room}/{alice}"), format!("{room}/{bob}")];
    expected.sort();
    assert_eq!(online, expected);

    // Typing in the room reaches the other occupants from the room.
    a.send_now(
        Message::new(MessageType::Groupchat)
            .with_to(room.clone())
            .with_chat_state(ChatState::Composing),
    )
    .await;
    let typing = b
        .expect(|s| match s {
            Stanza::Message(m) if m.chat_state.is_some() => Some(m.clone()),
            _ => None,
        })
        .await;
    assert_eq!(
        typing
            .from
            .and_then(|f| f.occupant_user_id())
            .map(cube_model::UserId::get),
        Some(alice as u64)
    );
    a.close().await;
    b.close().await;
}

#[tokio::test]
async fn online_users_are_the_connected_ones_and_reactions_reach_chat() {
    let t = TestServer::start().await;
    let (alice_token, alice) = user(&t, "alice").await;
    let (bob_token, bob) = user(&t, "bob").await;
    user(&t, "carol").await;
    let app = t.app_token().await;
    let online = |path: &'static str| {
        let (t, app) = (&t, app.clone());
        async move { t.get(path, &app).await.expect(200).body }
    };
    assert_eq!(online("/users/online.json?count=true").await["count"], 0);

    let a = Client::connect(&t, Via::Ws, alice, &password("alice")).await;
    let mut b = Client::connect(&t, Via::Tcp, bob, &password("bob")).await;
    let b2 = Client::connect(&t, Via::Ws, bob, &password("bob")).await;
    assert_eq!(online("/users/online.json?count=true").await["count"], 2);
    let listed = online("/users/online.json").await;
    let ids: Vec<i64> = listed["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [alice, bob]);
    assert_eq!(listed["users"][0]["login"], "alice");
    let page = online("/users/online.json?limit=1&offset=1").await;
    assert_eq!(page["users"].as_array().map(Vec::len), Some(1));
    assert_eq!(page["users"][0]["id"], bob);

    // A reaction over REST reaches the connected occupants as a <reactions> notice.
    let dialog = t
        .dialog(
            &alice_token,
            json!({"type": 2, "name": "g", "occupants_ids": [bob]}),
        )
        .await;
    let m = t.message(&bob_token, &dialog, "react").await;
    t.put(
        &format!("/chat/Message/{m}/reactions.json"),
        &alice_token,
        json!({"add": "👍", "remove": "🔥"}),
    )
    .await
    .expect(200);
    let got = b
        .expect(|s| match s {
            Stanza::Message(msg) if msg.reactions.is_some() => Some(msg.clone()),
            _ => None,
        })
        .await;
    let r = got.reactions.as_ref().expect("reactions");
    assert_eq!(r.message_id, m);
    assert_eq!(r.user_id.as_deref(), Some(alice.to_string().as_str()));
    let changes: Vec<(&str, bool)> = r
        .reactions
        .iter()
        .map(|x| (x.kind.as_str(), x.add))
        .collect();
    assert_eq!(changes, [("👍", true), ("🔥", false)]);
    assert_eq!(got.dialog_id(), Some(dialog.as_str()));
    assert_eq!(got.message_type(), MessageType::Groupchat);

    a.close().await;
    b.close().await;
    b2.close().await;
    assert_eq!(online("/users/online.json?count=true").await["count"], 0);
}

#[tokio::test]
async fn starttls_on_the_plain_tcp_port() {
    use cube_xmpp::StartTlsUse;
    let t = TestServer::with_config(|mut c| {
        c.tls = Some(super::chat_client::tls_files());
        c
    })
    .await;
    let (_, alice) = user(&t, "alice").await;
    let (_, bob) = user(&t, "bob").await;
    // The same port: STARTTLS on a plain connection, and direct TLS.
    let cfg =
        Client::config(alice, &password("alice"), Via::Tcp).with_starttls(StartTlsUse::Required);
    let mut a = Client::try_connect(&t, Via::Tcp, cfg)
        .await
        .expect("login over starttls");
    assert!(a.machine.is_secured());
    let mut b = Client::connect(&t, Via::Tls, bob, &password("bob")).await;
    a.send_now(chat(bob, "after starttls", &oid(62), None, false))
        .await;
    assert_eq!(
        b.expect_body().await.body.as_deref(),
        Some("after starttls")
    );
    b.send_now(chat(alice, "back", &oid(63), None, false)).await;
    assert_eq!(a.expect_body().await.body.as_deref(), Some("back"));
    a.close().await;
    b.close().await;

    // On loopback STARTTLS is offered, not required: a plain client still logs in.
    let plain = Client::connect(&t, Via::Tcp, alice, &password("alice")).await;
    assert!(!plain.machine.is_secured());
    plain.close().await;
}

#[tokio::test]
async fn starttls_can_be_required_on_loopback_too() {
    use cube_xmpp::StartTlsUse;
    let t = TestServer::with_config(|mut c| {
        c.tls = Some(super::chat_client::tls_files());
        c.starttls = cube_server::chat::StartTlsPolicy::Required;
        c
    })
    .await;
    let (_, alice) = user(&t, "alice").await;
    let refused = Client::try_connect(
        &t,
        Via::Tcp,
        Client::config(alice, &password("alice"), Via::Tcp),
    )
    .await
    .err()
    .expect("a plain login is refused");
    assert!(
        matches!(&refused, CloseReason::Negotiation(m) if m.contains("requires starttls")),
        "{refused:?}"
    );
    let cfg =
        Client::config(alice, &password("alice"), Via::Tcp).with_starttls(StartTlsUse::WhenOffered);
    let c = Client::try_connect(&t, Via::Tcp, cfg)
        .await
        .expect("login over starttls");
    assert!(c.machine.is_secured());
    c.close().await;
}
