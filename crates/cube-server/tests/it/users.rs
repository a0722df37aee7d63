//! Users: sign-up in both auth forms, validation, reads, listing, updates, deletion.
#![allow(clippy::many_single_char_names)]

use reqwest::Method;
use serde_json::json;

use crate::support::{APP, KEY, TestServer};

#[tokio::test]
async fn sign_up_with_every_field_and_read_back() {
    let t = TestServer::start().await;
    let app = t.app_token().await;
    let a = t
        .post(
            "/users.json",
            &app,
            json!({"user": {
                "login": "bob", "password": "bobPass123", "email": "bob@example.com",
                "full_name": "Bob", "phone": "+100", "website": "https://bob.example",
                "custom_data": "{\"k\":1}", "tag_list": ["b", "a"], "external_id": "ext-1",
                "external_user_id": 77, "facebook_id": "fb1", "twitter_id": "tw1",
                "avatar": "av", "blob_id": 5, "timezone": 120
            }}),
        )
        .await
        .expect(201);
    let u = &a.body["user"];
    assert_eq!(u["login"], "bob");
    assert_eq!(u["user_tags"], "b,a");
    assert_eq!(u["custom_data"], "{\"k\":1}");
    assert_eq!(u["timezone"], 120);
    assert_eq!(u["external_user_id"], 77);
    assert!(u.get("password").is_none());
    let id = u["id"].as_i64().unwrap();
    let a = t.get(&format!("/users/{id}.json"), &app).await.expect(200);
    assert_eq!(a.body["user"]["email"], "bob@example.com");
    t.get("/users/999999.json", &app).await.expect(404);

    // Sign-up without a session, with the CB-AuthKey header.
    let resp = t
        .http
        .post(format!("{}/users.json", t.base))
        .header("CB-AuthKey", KEY)
        .json(&json!({"user": {"login": "carol", "password": "carolPass1"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 201);
    // Neither a token nor a key.
    t.json(
        Method::POST,
        "/users.json",
        None,
        &json!({"user": {"login": "dave", "password": "davePass12"}}),
    )
    .await
    .expect(401);
}

#[tokio::test]
async fn validation_errors_are_keyed_by_field() {
    let t = TestServer::start().await;
    let app = t.app_token().await;
    let a = t
        .post(
            "/users.json",
            &app,
            json!({"user": {"login": "ab", "password": "short", "email": "nope"}}),
        )
        .await
        .expect(422);
    for field in ["login", "password", "email"] {
        assert!(a.body["errors"][field].is_array(), "{field}: {}", a.body);
    }
    t.post(
        "/users.json",
        &app,
        json!({"user": {"login": "taken", "password": "takenPass1"}}),
    )
    .await
    .expect(201);
    let a = t
        .post(
            "/users.json",
            &app,
            json!({"user": {"login": "TAKEN", "password": "takenPass1"}}),
        )
        .await
        .expect(422);
    assert_eq!(a.body["errors"]["login"][0], "has already been taken.");
    let long = "x".repeat(71);
    t.post(
        "/users.json",
        &app,
        json!({"user": {"login": long, "password": "longPass12"}}),
    )
    .await
    .expect(422);
}

#[tokio::test]
async fn list_v2_filters_sorts_and_pages() {
    let t = TestServer::start().await;
    let app = t.app_token().await;
    for (login, tags) in [("anna", "red,x"), ("bert", "blue"), ("carl", "red")] {
        t.post(
            "/users.json",
            &app,
            json!({"user": {"login": login, "password": "password12", "tag_list": tags}}),
        )
        .await
        .expect(201);
    }
    let a = t
        .get("/users/v2.json?sort_desc=login", &app)
        .await
        .expect(200);
    assert_eq!(a.body["total_entries"], 3);
    assert_eq!(a.body["items"][0]["login"], "carl");
    let a = t
        .get("/users/v2.json?user_tags=red", &app)
        .await
        .expect(200);
    assert_eq!(a.body["items"].as_array().unwrap().len(), 2);
    let a = t
        .get("/users/v2.json?id[in][]=1&id[in][]=3", &app)
        .await
        .expect(200);
    assert_eq!(a.body["items"].as_array().unwrap().len(), 2);
    let a = t.get("/users/v2.json?login=bert", &app).await.expect(200);
    assert_eq!(a.body["items"][0]["login"], "bert");
    let a = t
        .get("/users/v2.json?limit=1&offset=1", &app)
        .await
        .expect(200);
    assert_eq!(a.body["items"][0]["login"], "bert");
    assert_eq!(a.body["limit"], 1);
    let a = t.get("/users/v2.json?limit=500", &app).await.expect(200);
    assert_eq!(a.body["limit"], 100);
    t.get("/users/v2.json?password_hash=x", &app)
        .await
        .refused();
}

#[tokio::test]
async fn update_needs_old_password_and_only_own_user() {
    let t = TestServer::start().await;
    let (alice_token, alice) = t.user("alice").await;
    let (_, bob) = t.user("bobby").await;
    let a = t
        .put(
            &format!("/users/{alice}.json"),
            &alice_token,
            json!({"user": {"full_name": "Alice A", "tag_list": "x,y"}}),
        )
        .await
        .expect(200);
    assert_eq!(a.body["user"]["full_name"], "Alice A");
    assert_eq!(a.body["user"]["user_tags"], "x,y");
    t.put(
        &format!("/users/{bob}.json"),
        &alice_token,
        json!({"user": {"full_name": "hack"}}),
    )
    .await
    .expect(403);
    t.put(
        &format!("/users/{alice}.json"),
        &alice_token,
        json!({"user": {"password": "newPass123"}}),
    )
    .await
    .expect(422);
    t.put(
        &format!("/users/{alice}.json"),
        &alice_token,
        json!({"user": {"password": "newPass123", "old_password": "wrong-old"}}),
    )
    .await
    .expect(422);
    t.put(
        &format!("/users/{alice}.json"),
        &alice_token,
        json!({"user": {"password": "newPass123", "old_password": "alice-pass1"}}),
    )
    .await
    .expect(200);
    let body = json!({"application_id": APP, "auth_key": KEY, "user": {"login": "alice", "password": "newPass123"}});
    t.json(Method::POST, "/session.json", None, &body)
        .await
        .expect(201);
}

#[tokio::test]
async fn deleting_a_user_ends_its_sessions() {
    let t = TestServer::start().await;
    let (token, id) = t.user("leaver").await;
    let (other_token, other) = t.user("stayer").await;
    t.delete(&format!("/users/{other}.json"), &token, "")
        .await
        .expect(403);
    t.delete(&format!("/users/{id}.json"), &token, "")
        .await
        .expect(200);
    t.get("/session.json", &token).await.expect(401);
    t.get(&format!("/users/{id}.json"), &other_token)
        .await
        .expect(404);
}

#[tokio::test]
async fn password_reset_answers_200_without_mail_in_both_forms() {
    let t = TestServer::start().await;
    let app = t.app_token().await;
    t.user("alice").await;
    // Known or not, the answer is the same empty 200 (no mail is sent, nothing is told).
    for email in ["alice@example.com", "nobody@example.com"] {
        let r = t
            .post("/users/password/reset.json", &app, json!({"email": email}))
            .await
            .expect(200);
        assert!(r.body.is_null(), "{}", r.body);
        t.get(&format!("/users/password/reset.json?email={email}"), &app)
            .await
            .expect(200);
    }
    t.post("/users/password/reset.json", &app, json!({}))
        .await
        .expect(422);
    t.get("/users/password/reset", &app).await.expect(422);
    t.json(
        Method::POST,
        "/users/password/reset.json",
        None,
        &json!({"email": "a@b.c"}),
    )
    .await
    .expect(401);
}

#[tokio::test]
async fn nobody_is_online_without_chat_connections() {
    let t = TestServer::start().await;
    let app = t.app_token().await;
    t.user("alice").await;
    let r = t.get("/users/online.json", &app).await.expect(200);
    assert_eq!(r.body, json!({"users": []}));
    let r = t
        .get("/users/online.json?count=true", &app)
        .await
        .expect(200);
    assert_eq!(r.body, json!({"count": 0}));
    t.raw(Method::GET, "/users/online.json", None, None, Vec::new())
        .await
        .expect(401);
}
