//! Dialogs: create, list with filters, update, admins, delete, subscribe, occupants, notifications.
#![allow(clippy::many_single_char_names, clippy::field_reassign_with_default)]

use serde_json::json;

use crate::support::{APP, TestServer};

#[tokio::test]
async fn create_every_type_and_read_the_shape() {
    let t = TestServer::with_config(|c| {
        let mut s = cube_server::domain::apps::AppSettings::default();
        s.admin_api_key = Some("admin-key".into());
        c.with_app_settings(APP, s)
    })
    .await;
    let (alice, a_id) = t.user("alice").await;
    let (_, b_id) = t.user("bobby").await;

    // Private: occupants as a comma+space string, as the JS SDK sends them.
    let a = t
        .post(
            "/chat/Dialog.json",
            &alice,
            json!({"type": 3, "occupants_ids": format!("{b_id}")}),
        )
        .await
        .expect(201);
    let private = a.body["_id"].as_str().unwrap().to_owned();
    assert_eq!(a.body["type"], 3);
    assert!(a.body["xmpp_room_jid"].is_null());
    assert_eq!(a.body["occupants_ids"], json!([a_id, b_id]));
    // The same pair again gives the same dialog.
    let a = t
        .post(
            "/chat/Dialog.json",
            &alice,
            json!({"type": 3, "occupants_ids": [b_id]}),
        )
        .await
        .expect(201);
    assert_eq!(a.body["_id"], private.as_str());

    let a = t
        .post(
            "/chat/Dialog.json",
            &alice,
            json!({"type": 2, "name": "Team", "occupants_ids": format!("{b_id}, {a_id}"), "description": "d",
                   "photo": "p", "extensions": {"color": "red", "n": 3}, "permissions": {"allow_preview": true}}),
        )
        .await
        .expect(201);
    let group = a.body["_id"].as_str().unwrap().to_owned();
    assert_eq!(a.body["name"], "Team");
    assert_eq!(a.body["user_id"], a_id);
    assert_eq!(
        a.body["xmpp_room_jid"],
        format!("{APP}_{group}@muc.localhost")
    );
    assert_eq!(a.body["extensions"]["color"], "red");
    assert_eq!(a.body["unread_messages_count"], 0);

    let a = t
        .post(
            "/chat/Dialog.json",
            &alice,
            json!({"type": 4, "name": "Public"}),
        )
        .await
        .expect(201);
    assert_eq!(a.body["occupants_count"], 1);

    // Missing name, missing occupants, bad type.
    t.post(
        "/chat/Dialog.json",
        &alice,
        json!({"type": 2, "occupants_ids": [b_id]}),
    )
    .await
    .expect(422);
    t.post("/chat/Dialog.json", &alice, json!({"type": 2, "name": "x"}))
        .await
        .expect(422);
    t.post("/chat/Dialog.json", &alice, json!({"type": 9, "name": "x"}))
        .await
        .refused();

    // Broadcast only with the administration key.
    t.post(
        "/chat/Dialog.json",
        &alice,
        json!({"type": 1, "name": "News"}),
    )
    .await
    .expect(403);
    let resp = t
        .http
        .post(format!("{}/chat/Dialog.json", t.base))
        .header("CB-Token", &alice)
        .header("CB-Administration-API-Key", "admin-key")
        .json(&json!({"type": 1, "name": "News"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 201);
}

#[tokio::test]
async fn list_filters_sort_limit_and_count() {
    let t = TestServer::start().await;
    let (alice, _) = t.user("alice").await;
    let (_, b) = t.user("bobby").await;
    let mut ids = Vec::new();
    for name in ["One", "Two", "Three"] {
        ids.push(
            t.dialog(
                &alice,
                json!({"type": 2, "name": name, "occupants_ids": [b]}),
            )
            .await,
        );
    }
    t.dialog(&alice, json!({"type": 3, "occupants_ids": [b]}))
        .await;
    let a = t.get("/chat/Dialog.json", &alice).await.expect(200);
    assert_eq!(a.body["total_entries"], 4);
    assert_eq!(a.body["limit"], 100);
    let a = t
        .get("/chat/Dialog.json?type[in]=2,3&limit=2&skip=1", &alice)
        .await
        .expect(200);
    assert_eq!(a.body["items"].as_array().unwrap().len(), 2);
    assert_eq!(a.body["total_entries"], 4);
    let a = t.get("/chat/Dialog.json?type=3", &alice).await.expect(200);
    assert_eq!(a.body["total_entries"], 1);
    let a = t
        .get("/chat/Dialog.json?name[ctn]=T&sort_asc=name", &alice)
        .await
        .expect(200);
    let names: Vec<&str> = a.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["Three", "Two"]);
    let a = t.get("/chat/Dialog.json?count=1", &alice).await.expect(200);
    assert_eq!(a.body["items_count"], 4, "{}", a.body);
    let a = t
        .get(&format!("/chat/Dialog.json?_id={}", ids[1]), &alice)
        .await
        .expect(200);
    assert_eq!(a.body["items"][0]["name"], "Two");
    let (_, c) = t.user("carol").await;
    let with_c = t
        .dialog(
            &alice,
            json!({"type": 2, "name": "Four", "occupants_ids": [b, c]}),
        )
        .await;
    let a = t
        .get(
            &format!("/chat/Dialog.json?occupants_ids[all]={b},{c}"),
            &alice,
        )
        .await
        .expect(200);
    assert_eq!(a.body["total_entries"], 1);
    assert_eq!(a.body["items"][0]["_id"], with_c.as_str());
    let a = t
        .get(&format!("/chat/Dialog.json?occupants_ids[in]={c}"), &alice)
        .await
        .expect(200);
    assert_eq!(a.body["total_entries"], 1);
    let a = t
        .get(&format!("/chat/Dialog.json?occupants_ids[nin]={c}"), &alice)
        .await
        .expect(200);
    assert_eq!(a.body["total_entries"], 4);
    t.message(&alice, &ids[0], "latest").await;
    let a = t
        .get("/chat/Dialog.json?sort_desc=last_message_date_sent", &alice)
        .await
        .expect(200);
    assert_eq!(a.body["items"][0]["_id"], ids[0].as_str());
}

#[tokio::test]
async fn update_admins_pins_and_occupants() {
    let t = TestServer::start().await;
    let (alice, a) = t.user("alice").await;
    let (bob, b) = t.user("bobby").await;
    let (_, c) = t.user("carol").await;
    let g = t
        .dialog(
            &alice,
            json!({"type": 2, "name": "G", "occupants_ids": [b]}),
        )
        .await;
    let m = t.message(&bob, &g, "pin me").await;
    let r = t
        .put(
            &format!("/chat/Dialog/{g}.json"),
            &alice,
            json!({"name": "G2", "push_all": {"occupants_ids": [c], "pinned_messages_ids": [m]}}),
        )
        .await
        .expect(200);
    assert_eq!(r.body["name"], "G2");
    assert_eq!(r.body["occupants_ids"], json!([a, b, c]));
    assert_eq!(r.body["pinned_messages_ids"], json!([m]));
    let r = t
        .put(
            &format!("/chat/Dialog/{g}/admins.json"),
            &alice,
            json!({"push_all": {"admins_ids": [b]}}),
        )
        .await
        .expect(200);
    assert_eq!(r.body["admins_ids"], json!([b]));
    let r = t
        .put(
            &format!("/chat/Dialog/{g}/admins.json"),
            &alice,
            json!({"pull_all": {"admins_ids": [b]}}),
        )
        .await
        .expect(200);
    assert_eq!(r.body["admins_ids"], json!([]));
    // Six admins are refused.
    let mut many = vec![b, c];
    for i in 0..4 {
        many.push(t.user(&format!("extra{i}")).await.1);
    }
    t.put(
        &format!("/chat/Dialog/{g}.json"),
        &alice,
        json!({"push_all": {"admins_ids": many}}),
    )
    .await
    .expect(422);
    // Leaving: pull one's own id.
    let r = t
        .put(
            &format!("/chat/Dialog/{g}.json"),
            &bob,
            json!({"pull_all": {"occupants_ids": [b]}}),
        )
        .await
        .expect(200);
    assert_eq!(r.body["occupants_ids"], json!([a, c]));
    t.get(&format!("/chat/Message.json?chat_dialog_id={g}"), &bob)
        .await
        .expect(403);
}

#[tokio::test]
async fn delete_single_multiple_and_force() {
    let t = TestServer::start().await;
    let (alice, _) = t.user("alice").await;
    let (bob, b) = t.user("bobby").await;
    let g1 = t
        .dialog(
            &alice,
            json!({"type": 2, "name": "G1", "occupants_ids": [b]}),
        )
        .await;
    let g2 = t
        .dialog(
            &alice,
            json!({"type": 2, "name": "G2", "occupants_ids": [b]}),
        )
        .await;
    let p = t
        .dialog(&alice, json!({"type": 3, "occupants_ids": [b]}))
        .await;
    // Bob may not delete for everyone; the multi-delete sorts the ids.
    let missing = "ffffffffffffffffffffffff";
    let r = t
        .delete(
            &format!("/chat/Dialog/{g1},{missing}.json"),
            &bob,
            "force=1",
        )
        .await
        .expect(200);
    let body: serde_json::Value = match &r.body {
        serde_json::Value::String(s) => serde_json::from_str(s).unwrap(),
        v => v.clone(),
    };
    assert_eq!(body["WrongPermissions"]["ids"], json!([g1]));
    assert_eq!(body["NotFound"]["ids"], json!([missing]));
    t.delete(&format!("/chat/Dialog/{g1}.json"), &bob, "force=1")
        .await
        .expect(403);
    // For self: Bob leaves g1 and hides the private dialog.
    t.delete(&format!("/chat/Dialog/{g1}.json"), &bob, "")
        .await
        .expect(200);
    t.delete(&format!("/chat/Dialog/{p}.json"), &bob, "")
        .await
        .expect(200);
    let r = t.get("/chat/Dialog.json", &bob).await.expect(200);
    assert_eq!(r.body["total_entries"], 1);
    // A new message shows the private dialog again.
    t.message(&alice, &p, "back?").await;
    assert_eq!(
        t.get("/chat/Dialog.json", &bob).await.body["total_entries"],
        2
    );
    // The owner deletes for everyone.
    t.delete(&format!("/chat/Dialog/{g2}.json"), &alice, "force=1")
        .await
        .expect(200);
    t.get(&format!("/chat/Message.json?chat_dialog_id={g2}"), &alice)
        .await
        .expect(404);
    t.delete(&format!("/chat/Dialog/{missing}.json"), &alice, "")
        .await
        .expect(404);
}

#[tokio::test]
async fn public_subscribe_occupants_and_notifications() {
    let t = TestServer::start().await;
    let (alice, a) = t.user("alice").await;
    let (bob, b) = t.user("bobby").await;
    let p = t.dialog(&alice, json!({"type": 4, "name": "Pub"})).await;
    assert_eq!(
        t.get("/chat/Dialog.json", &bob).await.body["total_entries"],
        0
    );
    let r = t
        .post(&format!("/chat/Dialog/{p}/subscribe.json"), &bob, json!({}))
        .await
        .expect(200);
    assert_eq!(r.body["occupants_count"], 2);
    assert_eq!(
        t.get("/chat/Dialog.json", &bob).await.body["total_entries"],
        1
    );
    let r = t
        .get(
            &format!("/chat/Dialog/{p}/occupants.json?limit=10&skip=0"),
            &alice,
        )
        .await
        .expect(200);
    let ids: Vec<i64> = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![a, b]);
    t.delete(&format!("/chat/Dialog/{p}/subscribe.json"), &bob, "")
        .await
        .expect(200);
    assert_eq!(
        t.get("/chat/Dialog.json", &bob).await.body["total_entries"],
        0
    );

    let r = t
        .get(&format!("/chat/Dialog/{p}/notifications.json"), &alice)
        .await
        .expect(200);
    assert_eq!(r.body["notifications"]["enabled"], 1);
    let r = t
        .put(
            &format!("/chat/Dialog/{p}/notifications.json"),
            &alice,
            json!({"enabled": 0}),
        )
        .await
        .expect(200);
    assert_eq!(r.body["notifications"]["enabled"], 0);
    let r = t
        .get(&format!("/chat/Dialog/{p}/notifications.json"), &alice)
        .await
        .expect(200);
    assert_eq!(r.body["notifications"]["enabled"], 0);
    // Subscribing to a group is refused.
    let g = t
        .dialog(
            &alice,
            json!({"type": 2, "name": "G", "occupants_ids": [b]}),
        )
        .await;
    t.post(&format!("/chat/Dialog/{g}/subscribe.json"), &bob, json!({}))
        .await
        .expect(403);
}

#[tokio::test]
async fn clear_history_hides_for_self_or_deletes_for_everyone() {
    let t = TestServer::start().await;
    let (owner, _) = t.user("owner").await;
    let (bob_t, bob) = t.user("bob").await;
    let d = t
        .dialog(
            &owner,
            json!({"type": 2, "name": "g", "occupants_ids": [bob]}),
        )
        .await;
    let history = |token: String| {
        let t = &t;
        let d = d.clone();
        async move {
            t.get(
                &format!("/chat/Message.json?chat_dialog_id={d}&mark_as_read=0"),
                &token,
            )
            .await
            .expect(200)
            .body["items"]
                .as_array()
                .map_or(0, Vec::len)
        }
    };
    t.message(&owner, &d, "one").await;
    t.message(&bob_t, &d, "two").await;

    // For self: bob no longer sees them, the owner still does; the answer is an empty 200.
    let r = t
        .delete(&format!("/chat/Dialog/clearHistory/{d}.json"), &bob_t, "")
        .await
        .expect(200);
    assert!(r.body.is_null(), "{}", r.body);
    assert_eq!(history(bob_t.clone()).await, 0);
    assert_eq!(history(owner.clone()).await, 2);

    // For everyone: a regular occupant may not, the owner may.
    t.delete(
        &format!("/chat/Dialog/clearHistory/{d}.json"),
        &bob_t,
        "force=1",
    )
    .await
    .expect(403);
    assert_eq!(history(owner.clone()).await, 2);
    t.delete(&format!("/chat/Dialog/clearHistory/{d}"), &owner, "force=1")
        .await
        .expect(200);
    assert_eq!(history(owner.clone()).await, 0);
    let listed = t
        .get(&format!("/chat/Dialog.json?_id={d}"), &owner)
        .await
        .expect(200);
    assert!(listed.body["items"][0]["last_message"].is_null());

    // A dialog that does not exist, and an outsider.
    let (eve, _) = t.user("eve").await;
    t.delete(&format!("/chat/Dialog/clearHistory/{d}.json"), &eve, "")
        .await
        .refused();
    t.delete(
        "/chat/Dialog/clearHistory/ffffffffffffffffffffffff.json",
        &owner,
        "",
    )
    .await
    .expect(404);
}

#[tokio::test]
async fn block_lists_refuse_bad_input_and_private_dialogs() {
    let t = TestServer::start().await;
    let (owner, owner_id) = t.user("owner").await;
    let (_, bob) = t.user("bob").await;
    let public = t.dialog(&owner, json!({"type": 4, "name": "p"})).await;
    let path = format!("/chat/Dialog/{public}/block.json");
    t.post(&path, &owner, json!({})).await.expect(422);
    t.post(&path, &owner, json!({"user_ids": []}))
        .await
        .expect(422);
    t.post(&path, &owner, json!({"user_ids": "x"}))
        .await
        .expect(422);
    // The owner (and any admin) cannot be blocked.
    t.post(&path, &owner, json!({"user_ids": [owner_id]}))
        .await
        .expect(422);
    // A comma string is accepted as well as an array; unblocking reads the query string too.
    t.post(&path, &owner, json!({"user_ids": format!("{bob}")}))
        .await
        .expect(200);
    t.delete(&format!("{path}?user_ids={bob}"), &owner, "")
        .await
        .expect(200);
    let group = t
        .dialog(
            &owner,
            json!({"type": 2, "name": "g", "occupants_ids": [bob]}),
        )
        .await;
    t.post(
        &format!("/chat/Dialog/{group}/block.json"),
        &owner,
        json!({"user_ids": [bob]}),
    )
    .await
    .expect(403);
}
