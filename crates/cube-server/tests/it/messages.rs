//! Messages: create by dialog or recipient, history, read marking, edits, deletes, unread
//! counts, system messages, and the dialog fields that follow.
#![allow(clippy::many_single_char_names)]

use serde_json::{Value, json};

use crate::support::TestServer;

fn as_json(v: &Value) -> Value {
    match v {
        Value::String(s) => serde_json::from_str(s).unwrap_or(Value::Null),
        other => other.clone(),
    }
}

#[tokio::test]
async fn create_by_recipient_and_follow_the_dialog() {
    let t = TestServer::start().await;
    let (alice, a) = t.user("alice").await;
    let (bob, b) = t.user("bobby").await;
    let r = t
        .post(
            "/chat/Message.json",
            &alice,
            json!({"recipient_id": b, "message": "hi bob", "attachments": [{"type": "image", "uid": "u1", "url": "http://x/1"}],
                   "color": "blue", "send_to_chat": 1, "markable": 1}),
        )
        .await
        .expect(201);
    let m1 = r.body["_id"].as_str().unwrap().to_owned();
    let d = r.body["chat_dialog_id"].as_str().unwrap().to_owned();
    assert_eq!(r.body["sender_id"], a);
    assert_eq!(r.body["recipient_id"], b);
    assert_eq!(r.body["color"], "blue");
    assert_eq!(r.body["attachments"][0]["type"], "image");
    assert!(r.body["date_sent"].as_i64().unwrap() > 1_700_000_000);

    let dialogs = t.get("/chat/Dialog.json", &bob).await.expect(200);
    let dialog = &dialogs.body["items"][0];
    assert_eq!(dialog["_id"], d.as_str());
    assert_eq!(dialog["last_message"], "hi bob");
    assert_eq!(dialog["last_message_id"], m1.as_str());
    assert_eq!(dialog["last_message_user_id"], a);
    assert_eq!(dialog["unread_messages_count"], 1);
    let mine = t.get("/chat/Dialog.json", &alice).await.body["items"][0].clone();
    assert_eq!(mine["last_message_status"], "sent");

    t.message(&alice, &d, "second").await;
    let r = t
        .get(
            &format!("/chat/Message/unread.json?chat_dialog_ids={d}"),
            &bob,
        )
        .await
        .expect(200);
    assert_eq!(r.body["total"], 2);
    assert_eq!(r.body[d.as_str()], 2);

    // History without marking, then with.
    let r = t
        .get(
            &format!("/chat/Message.json?chat_dialog_id={d}&mark_as_read=0"),
            &bob,
        )
        .await
        .expect(200);
    assert_eq!(r.body["items"].as_array().unwrap().len(), 2);
    assert_eq!(r.body["items"][0]["message"], "hi bob");
    assert_eq!(
        t.get("/chat/Message/unread.json", &bob).await.body["total"],
        2
    );
    let r = t
        .get(
            &format!("/chat/Message.json?chat_dialog_id={d}&sort_desc=date_sent&limit=1"),
            &bob,
        )
        .await
        .expect(200);
    assert_eq!(r.body["items"][0]["message"], "second");
    assert_eq!(
        t.get("/chat/Message/unread.json", &bob).await.body["total"],
        1
    );
    let r = t
        .get(&format!("/chat/Message.json?chat_dialog_id={d}"), &bob)
        .await
        .expect(200);
    assert_eq!(r.body["items"][1]["read_ids"], json!([b]));
    assert_eq!(
        t.get("/chat/Message/unread.json", &bob).await.body["total"],
        0
    );
    let mine = t.get("/chat/Dialog.json", &alice).await.body["items"][0].clone();
    assert_eq!(mine["last_message_status"], "read");
}

#[tokio::test]
async fn history_filters_and_limits() {
    let t = TestServer::start().await;
    let (alice, _) = t.user("alice").await;
    let (bob, b) = t.user("bobby").await;
    let g = t
        .dialog(
            &alice,
            json!({"type": 2, "name": "G", "occupants_ids": [b]}),
        )
        .await;
    for i in 0..5 {
        t.message(if i % 2 == 0 { &alice } else { &bob }, &g, &format!("m{i}"))
            .await;
    }
    let r = t
        .get(
            &format!("/chat/Message.json?chat_dialog_id={g}&sender_id={b}"),
            &alice,
        )
        .await
        .expect(200);
    assert_eq!(r.body["items"].as_array().unwrap().len(), 2);
    let r = t
        .get(
            &format!("/chat/Message.json?chat_dialog_id={g}&limit=2&skip=1"),
            &alice,
        )
        .await
        .expect(200);
    assert_eq!(r.body["items"][0]["message"], "m1");
    assert_eq!(r.body["limit"], 2);
    assert_eq!(r.body["skip"], 1);
    let r = t
        .get(
            &format!("/chat/Message.json?chat_dialog_id={g}&limit=1000"),
            &alice,
        )
        .await
        .expect(200);
    assert_eq!(r.body["limit"], 100);
    let r = t
        .get(
            &format!("/chat/Message.json?chat_dialog_id={g}&message[ctn]=m3"),
            &alice,
        )
        .await
        .expect(200);
    assert_eq!(r.body["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn update_read_delivered_and_edit() {
    let t = TestServer::start().await;
    let (alice, _) = t.user("alice").await;
    let (bob, b) = t.user("bobby").await;
    let g = t
        .dialog(
            &alice,
            json!({"type": 2, "name": "G", "occupants_ids": [b]}),
        )
        .await;
    let m1 = t.message(&alice, &g, "one").await;
    let m2 = t.message(&alice, &g, "two").await;
    t.put(
        &format!("/chat/Message/{m1}.json"),
        &bob,
        json!({"delivered": 1, "chat_dialog_id": g}),
    )
    .await
    .expect(200);
    let r = t
        .get(
            &format!("/chat/Message.json?chat_dialog_id={g}&mark_as_read=0"),
            &alice,
        )
        .await;
    assert_eq!(r.body["items"][0]["delivered_ids"], json!([b]));
    t.put(
        &format!("/chat/Message/{m1},{m2}.json"),
        &bob,
        json!({"read": 1, "chat_dialog_id": g}),
    )
    .await
    .expect(200);
    assert_eq!(
        t.get("/chat/Message/unread.json", &bob).await.body["total"],
        0
    );
    // Edits: own messages only.
    t.put(
        &format!("/chat/Message/{m2}.json"),
        &bob,
        json!({"message": "hacked"}),
    )
    .await
    .expect(403);
    t.put(
        &format!("/chat/Message/{m2}.json"),
        &alice,
        json!({"message": "two, edited"}),
    )
    .await
    .expect(200);
    let r = t
        .get(
            &format!("/chat/Message.json?chat_dialog_id={g}&_id={m2}"),
            &alice,
        )
        .await;
    assert_eq!(r.body["items"][0]["message"], "two, edited");
}

#[tokio::test]
async fn delete_for_self_and_everyone() {
    let t = TestServer::start().await;
    let (alice, _) = t.user("alice").await;
    let (bob, b) = t.user("bobby").await;
    let g = t
        .dialog(
            &alice,
            json!({"type": 2, "name": "G", "occupants_ids": [b]}),
        )
        .await;
    let m1 = t.message(&bob, &g, "one").await;
    let m2 = t.message(&bob, &g, "two").await;
    // Bob deletes his first for himself only.
    t.delete(&format!("/chat/Message/{m1}.json"), &bob, "")
        .await
        .expect(200);
    assert_eq!(
        t.get(&format!("/chat/Message.json?chat_dialog_id={g}"), &bob)
            .await
            .body["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        t.get(&format!("/chat/Message.json?chat_dialog_id={g}"), &alice)
            .await
            .body["items"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // The owner deletes both for everyone, plus an unknown id.
    let missing = "ffffffffffffffffffffffff";
    let r = t
        .delete(
            &format!("/chat/Message/{m1},{m2},{missing}.json"),
            &alice,
            "force=1",
        )
        .await
        .expect(200);
    let body = as_json(&r.body);
    assert_eq!(body["SuccessfullyDeleted"]["ids"], json!([m1, m2]));
    assert_eq!(body["NotFound"]["ids"], json!([missing]));
    assert!(
        t.get(&format!("/chat/Message.json?chat_dialog_id={g}"), &alice)
            .await
            .body["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let d = t.get("/chat/Dialog.json", &alice).await.body["items"][0].clone();
    assert!(d["last_message_id"].is_null());
    t.delete(&format!("/chat/Message/{missing}.json"), &alice, "")
        .await
        .expect(404);
}

#[tokio::test]
async fn system_messages_are_accepted_and_published() {
    let t = TestServer::start().await;
    let (alice, _) = t.user("alice").await;
    let (_, b) = t.user("bobby").await;
    let mut events = t.server.service().subscribe_events();
    let r = t
        .post(
            "/chat/Message/system.json",
            &alice,
            json!({"recipientId": b, "kind": "ping", "n": 1}),
        )
        .await
        .expect(201);
    assert_eq!(r.body["recipientId"], b);
    assert_eq!(r.body["extensionParams"]["kind"], "ping");
    assert_eq!(r.body["messageId"].as_str().unwrap().len(), 24);
    let event = events.recv().await.unwrap();
    assert!(
        matches!(event, cube_server::Event::SystemMessage { recipient_id, .. } if recipient_id == b)
    );
    t.post(
        "/chat/Message/system.json",
        &alice,
        json!({"recipientId": 999_999}),
    )
    .await
    .expect(422);
}

#[tokio::test]
async fn put_without_ids_marks_the_whole_dialog() {
    let t = TestServer::start().await;
    let (alice, alice_id) = t.user("alice").await;
    let (bob, bob_id) = t.user("bob").await;
    let d = t
        .dialog(
            &alice,
            json!({"type": 2, "name": "g", "occupants_ids": [bob_id]}),
        )
        .await;
    for text in ["1", "2", "3"] {
        t.message(&alice, &d, text).await;
    }
    let unread = |token: String| {
        let t = &t;
        let d = d.clone();
        async move {
            t.get(
                &format!("/chat/Message/unread.json?chat_dialog_ids={d}"),
                &token,
            )
            .await
            .expect(200)
            .body["total"]
                .as_i64()
        }
    };
    assert_eq!(unread(bob.clone()).await, Some(3));

    t.put(
        "/chat/Message.json",
        &bob,
        json!({"chat_dialog_id": d, "delivered": 1}),
    )
    .await
    .expect(200);
    assert_eq!(unread(bob.clone()).await, Some(3));
    let r = t
        .put(
            "/chat/Message",
            &bob,
            json!({"chat_dialog_id": d, "read": 1}),
        )
        .await
        .expect(200);
    assert!(r.body.is_null());
    assert_eq!(unread(bob.clone()).await, Some(0));
    let items = t
        .get(
            &format!("/chat/Message.json?chat_dialog_id={d}&mark_as_read=0"),
            &alice,
        )
        .await
        .expect(200)
        .body["items"]
        .clone();
    for m in items.as_array().unwrap() {
        assert_eq!(m["read_ids"], json!([bob_id]), "{m}");
        assert_eq!(m["delivered_ids"], json!([bob_id]), "{m}");
        assert_eq!(m["sender_id"], json!(alice_id));
    }

    // The dialog is required; editing text needs ids; outsiders are refused.
    t.put("/chat/Message.json", &bob, json!({"read": 1}))
        .await
        .expect(422);
    t.put("/chat/Message.json", &bob, json!({"chat_dialog_id": d}))
        .await
        .expect(422);
    let (eve, _) = t.user("eve").await;
    t.put(
        "/chat/Message.json",
        &eve,
        json!({"chat_dialog_id": d, "read": 1}),
    )
    .await
    .refused();
}

#[tokio::test]
async fn reactions_one_per_user_listed_and_summarised_on_the_message() {
    let t = TestServer::start().await;
    let (alice, alice_id) = t.user("alice").await;
    let (bob, bob_id) = t.user("bob").await;
    let d = t
        .dialog(
            &alice,
            json!({"type": 2, "name": "g", "occupants_ids": [bob_id]}),
        )
        .await;
    let m = t.message(&alice, &d, "react to me").await;
    let path = format!("/chat/Message/{m}/reactions.json");
    let list = |token: String| {
        let (t, path) = (&t, path.clone());
        async move { t.get(&path, &token).await.expect(200).body }
    };
    let message = |token: String| {
        let t = &t;
        let d = d.clone();
        async move {
            t.get(
                &format!("/chat/Message.json?chat_dialog_id={d}&mark_as_read=0"),
                &token,
            )
            .await
            .expect(200)
            .body["items"][0]
                .clone()
        }
    };
    assert_eq!(list(alice.clone()).await, json!({}));
    assert!(message(alice.clone()).await.get("reactions").is_none());

    t.put(&path, &alice, json!({"add": "🔥"})).await.expect(200);
    t.put(&path, &bob, json!({"add": "🔥"})).await.expect(200);
    assert_eq!(list(bob.clone()).await, json!({"🔥": [alice_id, bob_id]}));
    // Adding another replaces the user's reaction; adding the same one again changes nothing.
    t.put(&path, &bob, json!({"add": "👍"})).await.expect(200);
    t.put(&path, &bob, json!({"add": "👍"})).await.expect(200);
    assert_eq!(
        list(bob.clone()).await,
        json!({"🔥": [alice_id], "👍": [bob_id]})
    );
    let seen = message(bob.clone()).await;
    assert_eq!(
        seen["reactions"],
        json!({"own": ["👍"], "total": {"🔥": 1, "👍": 1}})
    );
    assert_eq!(
        message(alice.clone()).await["reactions"]["own"],
        json!(["🔥"])
    );
    // Both at once (updateReaction), then removal; removing what one does not have is a no-op.
    t.put(&path, &alice, json!({"add": "👍", "remove": "🔥"}))
        .await
        .expect(200);
    t.put(&path, &bob, json!({"remove": "🔥"}))
        .await
        .expect(200);
    assert_eq!(list(bob.clone()).await, json!({"👍": [alice_id, bob_id]}));
    t.put(&path, &bob, json!({"remove": "👍"}))
        .await
        .expect(200);
    t.put(&path, &alice, json!({"remove": "👍"}))
        .await
        .expect(200);
    assert_eq!(list(bob.clone()).await, json!({}));
    assert!(message(bob.clone()).await.get("reactions").is_none());

    // Bad input, outsiders, unknown messages; deleting the message drops its reactions.
    t.put(&path, &bob, json!({})).await.expect(422);
    t.put(&path, &bob, json!({"add": " "})).await.expect(422);
    t.put(&path, &bob, json!({"add": "x".repeat(33)}))
        .await
        .expect(422);
    let (eve, _) = t.user("eve").await;
    t.put(&path, &eve, json!({"add": "🔥"})).await.refused();
    t.get(&path, &eve).await.refused();
    t.get(
        "/chat/Message/ffffffffffffffffffffffff/reactions.json",
        &bob,
    )
    .await
    .expect(404);
    t.put(&path, &bob, json!({"add": "🔥"})).await.expect(200);
    t.delete(&format!("/chat/Message/{m}.json"), &alice, "force=1")
        .await
        .expect(200);
    t.get(&path, &bob).await.expect(404);
}
