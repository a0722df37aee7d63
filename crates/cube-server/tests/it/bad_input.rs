//! Bad input on every endpoint: always a 4xx with an errors body, and the server keeps serving.
#![allow(clippy::many_single_char_names)]

use reqwest::Method;
use serde_json::json;

use crate::support::TestServer;

/// Every endpoint: method and path, `{uid}`, `{did}`, `{mid}` replaced by ids.
const ENDPOINTS: &[(&str, &str)] = &[
    ("POST", "/session.json"),
    ("POST", "/login.json"),
    ("POST", "/users.json"),
    ("PUT", "/users/{uid}.json"),
    ("POST", "/chat/Dialog.json"),
    ("PUT", "/chat/Dialog/{did}.json"),
    ("PUT", "/chat/Dialog/{did}/admins.json"),
    ("PUT", "/chat/Dialog/{did}/notifications.json"),
    ("POST", "/chat/Message.json"),
    ("PUT", "/chat/Message/{mid}.json"),
    ("POST", "/chat/Message/system.json"),
];

/// Endpoints with ids in the path, for invalid and unknown ids.
const ID_ENDPOINTS: &[(&str, &str)] = &[
    ("GET", "/users/{uid}.json"),
    ("PUT", "/users/{uid}.json"),
    ("DELETE", "/users/{uid}.json"),
    ("PUT", "/chat/Dialog/{did}.json"),
    ("DELETE", "/chat/Dialog/{did}.json"),
    ("PUT", "/chat/Dialog/{did}/admins.json"),
    ("POST", "/chat/Dialog/{did}/subscribe.json"),
    ("DELETE", "/chat/Dialog/{did}/subscribe.json"),
    ("GET", "/chat/Dialog/{did}/occupants.json"),
    ("GET", "/chat/Dialog/{did}/notifications.json"),
    ("PUT", "/chat/Dialog/{did}/notifications.json"),
    ("GET", "/chat/Message.json?chat_dialog_id={did}"),
    ("PUT", "/chat/Message/{mid}.json"),
    ("DELETE", "/chat/Message/{mid}.json"),
    ("GET", "/chat/Message/unread.json?chat_dialog_ids={did}"),
];

fn fill(path: &str, uid: &str, did: &str, mid: &str) -> String {
    path.replace("{uid}", uid)
        .replace("{did}", did)
        .replace("{mid}", mid)
}

#[tokio::test]
async fn malformed_bodies_wrong_types_and_missing_fields() {
    let t = TestServer::start().await;
    let (token, uid) = t.user("alice").await;
    let (_, b) = t.user("bobby").await;
    let did = t
        .dialog(
            &token,
            json!({"type": 2, "name": "G", "occupants_ids": [b]}),
        )
        .await;
    let mid = t.message(&token, &did, "hello").await;
    let bodies: Vec<Vec<u8>> = vec![
        b"{not json".to_vec(),
        b"[]".to_vec(),
        b"\"text\"".to_vec(),
        b"null".to_vec(),
        b"\xff\xfe\x00garbage".to_vec(),
        br#"{"user": "x", "type": "abc", "occupants_ids": {"a": 1}, "chat_dialog_id": 5, "enabled": "maybe", "recipientId": "x", "push_all": 3, "application_id": "x", "auth_key": 5}"#.to_vec(),
        br#"{"type": 2, "name": "\ud800"}"#.to_vec(),
    ];
    for (method, path) in ENDPOINTS {
        let path = fill(path, &uid.to_string(), &did, &mid);
        for body in &bodies {
            let a = t
                .raw(
                    Method::from_bytes(method.as_bytes()).unwrap(),
                    &path,
                    Some(&token),
                    Some("application/json"),
                    body.clone(),
                )
                .await;
            assert!(
                (400..500).contains(&a.status) && a.body.get("errors").is_some(),
                "{method} {path} with {:?}: {} {}",
                String::from_utf8_lossy(body),
                a.status,
                a.body
            );
        }
    }
    // Missing required fields.
    t.post(
        "/chat/Message.json",
        &token,
        json!({"message": "no target"}),
    )
    .await
    .refused();
    t.post("/chat/Dialog.json", &token, json!({"name": "no type"}))
        .await
        .refused();
    t.post("/chat/Message/system.json", &token, json!({"x": 1}))
        .await
        .refused();
    t.json(Method::POST, "/session.json", None, &json!({}))
        .await
        .refused();
    t.get("/chat/Message.json", &token).await.refused();
    t.get("/session.json", &token).await.expect(200);
}

#[tokio::test]
async fn invalid_and_unknown_ids() {
    let t = TestServer::start().await;
    let (token, _) = t.user("alice").await;
    let bad: &[(&str, &str, &str)] = &[
        ("abc", "nothex", "zz"),
        (
            "99999999999999999999999",
            "0123456789abcdef0123456",
            "ffffffffffffffffffffffffff",
        ),
        ("%00", "%E2%80%AE", "%F0%9F%98%80"),
        (
            "999999",
            "ffffffffffffffffffffffff",
            "eeeeeeeeeeeeeeeeeeeeeeee",
        ),
    ];
    for (uid, did, mid) in bad {
        for (method, path) in ID_ENDPOINTS {
            let path = fill(path, uid, did, mid);
            let method = Method::from_bytes(method.as_bytes()).unwrap();
            let body = if method == Method::PUT {
                br#"{"name":"x","enabled":1,"read":1,"chat_dialog_id":"ffffffffffffffffffffffff","user":{"full_name":"x"},"push_all":{"admins_ids":[1]}}"#.to_vec()
            } else {
                Vec::new()
            };
            let a = t
                .raw(
                    method.clone(),
                    &path,
                    Some(&token),
                    Some("application/json"),
                    body,
                )
                .await;
            assert!(
                (400..500).contains(&a.status) && a.body.get("errors").is_some(),
                "{method} {path}: {} {}",
                a.status,
                a.body
            );
        }
    }
    t.get("/session.json", &token).await.expect(200);
}

#[tokio::test]
async fn huge_bodies_are_413_and_unknown_routes_404() {
    let t = TestServer::start().await;
    let (token, _) = t.user("alice").await;
    let huge = format!(r#"{{"message": "{}"}}"#, "x".repeat(2 * 1024 * 1024));
    for path in ["/chat/Message.json", "/session.json", "/users.json"] {
        let a = t
            .raw(
                Method::POST,
                path,
                Some(&token),
                Some("application/json"),
                huge.clone().into_bytes(),
            )
            .await;
        assert_eq!(a.status, 413, "{path}");
        assert!(a.body["errors"]["base"].is_array());
    }
    let a = t.get("/nope.json", &token).await.expect(404);
    assert!(a.body.get("errors").is_some());
    let a = t
        .raw(
            Method::PATCH,
            "/chat/Dialog.json",
            Some(&token),
            None,
            Vec::new(),
        )
        .await
        .expect(405);
    assert_eq!(a.headers["allow"], "POST, GET");
    assert!(a.body.get("errors").is_some());
    t.get("/session.json", &token).await.expect(200);
}

#[tokio::test]
async fn odd_unicode_is_kept_exactly() {
    let t = TestServer::start().await;
    let (token, b) = t.user("bobby").await;
    let (alice, _) = t.user("alice").await;
    let text = "héllo \u{202e}rtl \u{1f600} \u{0} 漢字 \u{fe0f}";
    let d = t
        .dialog(
            &alice,
            json!({"type": 2, "name": text, "occupants_ids": [b]}),
        )
        .await;
    let a = t
        .post(
            "/chat/Message.json",
            &token,
            json!({"chat_dialog_id": d, "message": text}),
        )
        .await
        .expect(201);
    assert_eq!(a.body["message"], text);
    let r = t
        .get(&format!("/chat/Message.json?chat_dialog_id={d}"), &alice)
        .await
        .expect(200);
    assert_eq!(r.body["items"][0]["message"], text);
    let r = t
        .get(&format!("/chat/Dialog.json?_id={d}"), &alice)
        .await
        .expect(200);
    assert_eq!(r.body["items"][0]["name"], text);
    let a = t
        .post(
            "/users.json",
            &token,
            json!({"user": {"login": "ünï cødé", "password": "p&ss=w rd+%/?#", "full_name": text}}),
        )
        .await
        .expect(201);
    assert_eq!(a.body["user"]["login"], "ünï cødé");
}
