//! The chat cells of roles.md (send and receive per dialog type and role) and privacy lists.
#![allow(clippy::many_single_char_names)]

use cube_xmpp::Stanza;
use cube_xmpp::stanza::{
    Iq, IqPayload, IqType, ListRef, Message, PrivacyAction, PrivacyList, PrivacyQuery,
};
use serde_json::{Value, json};

use super::chat_client::{Client, DOMAIN, Via, chat, error_of, group, oid};
use super::support::{APP, TestServer};

fn password(login: &str) -> String {
    format!("{login}-pass1")
}

async fn admin_server() -> TestServer {
    TestServer::with_config(|c| {
        let s = cube_server::domain::apps::AppSettings {
            admin_api_key: Some("admin-key".into()),
            ..Default::default()
        };
        c.with_app_settings(APP, s)
    })
    .await
}

async fn broadcast(t: &TestServer, owner_token: &str, admin: i64) -> String {
    let resp = t
        .http
        .post(format!("{}/chat/Dialog.json", t.base))
        .header("CB-Token", owner_token)
        .header("CB-Administration-API-Key", "admin-key")
        .json(&json!({"type": 1, "name": "b", "admins_ids": [admin]}))
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status().as_u16(), 201);
    resp.json::<Value>().await.expect("json")["_id"]
        .as_str()
        .expect("id")
        .to_owned()
}

/// Sends a group message as `sender`; `Ok` with who received it, `Err` with the refusal text.
async fn try_send(
    sender: &mut Client,
    dialog: &str,
    id: &str,
    watchers: &mut [&mut Client],
) -> Result<usize, String> {
    sender.send_now(group(dialog, "hi", id, true)).await;
    let stanzas = sender.drain().await;
    if let Some(err) = stanzas.iter().find_map(|s| error_of(s, id)) {
        assert_eq!(err.condition.as_str(), "forbidden");
        for w in watchers.iter_mut() {
            let got = w.drain().await;
            assert!(
                !got.iter()
                    .any(|s| matches!(s, Stanza::Message(m) if m.id.as_deref() == Some(id))),
                "a refused message is not routed"
            );
        }
        return Err(err.text.unwrap_or_default());
    }
    let mut reached = 0;
    for w in watchers.iter_mut() {
        let got = w.drain().await;
        if got
            .iter()
            .any(|s| matches!(s, Stanza::Message(m) if m.id.as_deref() == Some(id)))
        {
            reached += 1;
        }
    }
    Ok(reached)
}

#[tokio::test]
async fn chat_cells_of_the_roles_table() {
    let t = admin_server().await;
    let (owner_t, owner) = t.user("owner").await;
    let (admin_t, admin) = t.user("admin").await;
    let (regular_t, regular) = t.user("regular").await;
    let (_, outsider) = t.user("outsider").await;
    let mut o = Client::connect(&t, Via::Ws, owner, &password("owner")).await;
    let mut a = Client::connect(&t, Via::Tcp, admin, &password("admin")).await;
    let mut r = Client::connect(&t, Via::Ws, regular, &password("regular")).await;
    let mut x = Client::connect(&t, Via::Tcp, outsider, &password("outsider")).await;

    let private = t
        .dialog(&owner_t, json!({"type": 3, "occupants_ids": [regular]}))
        .await;
    let grp = t
        .dialog(
            &owner_t,
            json!({"type": 2, "name": "g", "occupants_ids": [admin, regular], "admins_ids": [admin]}),
        )
        .await;
    let public = t
        .dialog(
            &owner_t,
            json!({"type": 4, "name": "p", "admins_ids": [admin]}),
        )
        .await;
    for who in [&admin_t, &regular_t] {
        t.post(
            &format!("/chat/Dialog/{public}/subscribe.json"),
            who,
            json!({}),
        )
        .await
        .expect(200);
    }
    let bcast = broadcast(&t, &owner_t, admin).await;
    let mut n = 100;
    let mut next = || {
        n += 1;
        oid(n)
    };

    // Private: both participants send and receive.
    assert_eq!(
        try_send(&mut r, &private, &next(), &mut [&mut o]).await,
        Ok(1)
    );
    assert_eq!(
        try_send(&mut o, &private, &next(), &mut [&mut r]).await,
        Ok(1)
    );
    // Group, public: owner, admin and regular send; every member receives.
    for d in [&grp, &public] {
        assert_eq!(
            try_send(&mut o, d, &next(), &mut [&mut a, &mut r]).await,
            Ok(2)
        );
        assert_eq!(
            try_send(&mut a, d, &next(), &mut [&mut o, &mut r]).await,
            Ok(2)
        );
        assert_eq!(
            try_send(&mut r, d, &next(), &mut [&mut o, &mut a]).await,
            Ok(2)
        );
    }
    // Broadcast: owner and admin send to every user of the application; a regular may not.
    assert_eq!(
        try_send(&mut o, &bcast, &next(), &mut [&mut a, &mut r, &mut x]).await,
        Ok(3)
    );
    assert_eq!(
        try_send(&mut a, &bcast, &next(), &mut [&mut o, &mut r, &mut x]).await,
        Ok(3)
    );
    let refused = try_send(&mut r, &bcast, &next(), &mut [&mut o, &mut a]).await;
    assert!(
        refused.as_ref().is_err_and(|t| !t.is_empty()),
        "{refused:?}"
    );
    let history = t
        .get(
            &format!("/chat/Message.json?chat_dialog_id={bcast}"),
            &owner_t,
        )
        .await
        .expect(200);
    assert_eq!(
        history.body["items"].as_array().map(Vec::len),
        Some(2),
        "refused sends are not stored"
    );
    // Outsiders of group and private dialogs may not send.
    for d in [&grp, &private] {
        let refused = try_send(&mut x, d, &next(), &mut [&mut o]).await;
        assert!(refused.is_err(), "{refused:?}");
    }
    // A user blocked in a public dialog may not send to it.
    let actor = cube_server::domain::dialogs::Actor {
        app_id: APP,
        user_id: owner,
    };
    let (d, target) = (public.clone(), regular);
    t.server
        .service()
        .write(move |c| cube_server::domain::dialogs::set_blocked(c, actor, &d, &[target], true))
        .await
        .expect("block");
    let refused = try_send(&mut r, &public, &next(), &mut [&mut o]).await;
    assert!(refused.is_err(), "{refused:?}");
    for c in [o, a, r, x] {
        c.close().await;
    }
}

fn privacy_set(id: &str, q: PrivacyQuery) -> Iq {
    Iq::set(id, IqPayload::Privacy(q))
}

async fn answer(c: &mut Client, iq: Iq) -> Iq {
    let id = iq.id.clone();
    c.send_now(iq).await;
    c.expect(|s| match s {
        Stanza::Iq(i) if i.id == id => Some(i.clone()),
        _ => None,
    })
    .await
}

#[tokio::test]
async fn privacy_lists_block_one_to_one_and_group_traffic() {
    let t = TestServer::start().await;
    let (alice_t, alice) = t.user("alice").await;
    let (_, bob) = t.user("bob").await;
    let (_, carol) = t.user("carol").await;
    let grp = t
        .dialog(
            &alice_t,
            json!({"type": 2, "name": "g", "occupants_ids": [bob, carol]}),
        )
        .await;
    let mut a = Client::connect(&t, Via::Ws, alice, &password("alice")).await;
    let mut b = Client::connect(&t, Via::Tcp, bob, &password("bob")).await;
    let mut c = Client::connect(&t, Via::Ws, carol, &password("carol")).await;

    // Alice blocks Bob, the way the JS SDK builds the list (two items per user).
    let list = PrivacyList::for_users(
        "blocked",
        &[(cube_model::UserId(bob as u64), PrivacyAction::Deny, false)],
        cube_model::AppId(APP as u64),
        DOMAIN,
        &format!("muc.{DOMAIN}"),
    );
    let mut q = PrivacyQuery::default();
    q.lists.push(list.clone());
    assert_eq!(
        answer(&mut a, privacy_set("p1", q)).await.kind,
        IqType::Result
    );
    // Not in force until it is the default list.
    b.send_now(chat(alice, "before default", &oid(1), None, false))
        .await;
    assert_eq!(
        a.expect_body().await.body.as_deref(),
        Some("before default")
    );
    let mut q = PrivacyQuery::default();
    q.default = Some(ListRef::named("blocked"));
    assert_eq!(
        answer(&mut a, privacy_set("p2", q)).await.kind,
        IqType::Result
    );

    // Names, default and the list read back.
    let got = answer(
        &mut a,
        Iq::get("p3", IqPayload::Privacy(PrivacyQuery::default())),
    )
    .await;
    let Some(IqPayload::Privacy(names)) = got.payload else {
        panic!("privacy names: {got:?}");
    };
    assert_eq!(
        names.default.and_then(|d| d.name).as_deref(),
        Some("blocked")
    );
    assert_eq!(
        names
            .lists
            .iter()
            .map(|l| l.name.as_str())
            .collect::<Vec<_>>(),
        ["blocked"]
    );
    let mut q = PrivacyQuery::default();
    q.lists.push(PrivacyList::named("blocked"));
    let got = answer(&mut a, Iq::get("p4", IqPayload::Privacy(q))).await;
    let Some(IqPayload::Privacy(read)) = got.payload else {
        panic!("privacy list: {got:?}");
    };
    assert_eq!(
        read.lists.first().map(PrivacyList::users),
        Some(list.users())
    );

    // 1:1 from Bob is refused with an error; Carol still gets through.
    let blocked = oid(2);
    b.send_now(chat(alice, "blocked", &blocked, None, true))
        .await;
    let err = b.expect(|s| error_of(s, &blocked)).await;
    assert_eq!(err.condition.as_str(), "service-unavailable");
    c.send_now(chat(alice, "from carol", &oid(3), None, false))
        .await;
    assert_eq!(a.expect_body().await.body.as_deref(), Some("from carol"));

    // In the group, Alice gets nothing from Bob (and Bob no error); Carol gets it.
    let gid = oid(4);
    b.send_now(group(&grp, "to the group", &gid, false)).await;
    assert_eq!(c.expect_body().await.id.as_deref(), Some(gid.as_str()));
    let at_alice = a.drain().await;
    assert!(
        !at_alice
            .iter()
            .any(|s| matches!(s, Stanza::Message(m) if m.id.as_deref() == Some(gid.as_str()))),
        "{at_alice:?}"
    );
    let at_bob = b.drain().await;
    assert!(at_bob.iter().all(|s| error_of(s, &gid).is_none()));

    // Declining the default lifts the block; deleting the list works.
    let mut q = PrivacyQuery::default();
    q.default = Some(ListRef::none());
    assert_eq!(
        answer(&mut a, privacy_set("p5", q)).await.kind,
        IqType::Result
    );
    b.send_now(chat(alice, "unblocked", &oid(5), None, false))
        .await;
    assert_eq!(a.expect_body().await.body.as_deref(), Some("unblocked"));
    let mut q = PrivacyQuery::default();
    q.lists.push(PrivacyList::named("blocked"));
    assert_eq!(
        answer(&mut a, privacy_set("p6", q)).await.kind,
        IqType::Result
    );
    let mut q = PrivacyQuery::default();
    q.lists.push(PrivacyList::named("blocked"));
    assert_eq!(
        answer(&mut a, Iq::get("p7", IqPayload::Privacy(q)))
            .await
            .kind,
        IqType::Error
    );
    let _ = Message::default();
    for x in [a, b, c] {
        x.close().await;
    }
}

#[tokio::test]
async fn deleting_over_chat_follows_the_roles_table() {
    let t = TestServer::start().await;
    let (owner_t, owner) = t.user("owner").await;
    let (_, admin) = t.user("admin").await;
    let (_, regular) = t.user("regular").await;
    let grp = t
        .dialog(
            &owner_t,
            json!({"type": 2, "name": "g", "occupants_ids": [admin, regular], "admins_ids": [admin]}),
        )
        .await;
    let mut o = Client::connect(&t, Via::Ws, owner, &password("owner")).await;
    let mut a = Client::connect(&t, Via::Tcp, admin, &password("admin")).await;
    let mut r = Client::connect(&t, Via::Ws, regular, &password("regular")).await;
    let remove = |id: &str, rid: &str| {
        Message::groupchat(super::chat_client::room_jid(&grp), "")
            .with_id(rid)
            .with_remove(cube_xmpp::stanza::Remove::new(id))
    };
    let strip = |mut m: Message| {
        m.body = None;
        m
    };
    // A regular user may not delete the admin's message for everyone.
    let by_admin = oid(1);
    assert_eq!(
        try_send(&mut a, &grp, &by_admin, &mut [&mut o, &mut r]).await,
        Ok(2)
    );
    r.send_now(strip(remove(&by_admin, &oid(2)))).await;
    let err = r.expect(|s| error_of(s, &oid(2))).await;
    assert_eq!(err.condition.as_str(), "forbidden");
    // An admin may delete the regular user's message; everyone sees the removal.
    let by_regular = oid(3);
    assert_eq!(
        try_send(&mut r, &grp, &by_regular, &mut [&mut o, &mut a]).await,
        Ok(2)
    );
    a.send_now(strip(remove(&by_regular, &oid(4)))).await;
    for c in [&mut o, &mut r] {
        let removed = c
            .expect(|s| match s {
                Stanza::Message(m) if m.remove.is_some() => m.remove.clone(),
                _ => None,
            })
            .await;
        assert_eq!(removed.id, by_regular);
    }
    let history = t
        .get(
            &format!("/chat/Message.json?chat_dialog_id={grp}"),
            &owner_t,
        )
        .await
        .expect(200);
    let ids: Vec<&str> = history.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|m| m["_id"].as_str())
        .collect();
    assert_eq!(ids, [by_admin.as_str()]);
    for c in [o, a, r] {
        c.close().await;
    }
}
