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
