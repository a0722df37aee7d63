//! Sessions: both forms, every password credential, login/logout, expiry and the exact errors.
#![allow(clippy::many_single_char_names, clippy::field_reassign_with_default)]

use cube_auth::{AppCredentials, Nonce, SessionCredentials, Signing};
use cube_server::clock::Clock as _;
use reqwest::Method;
use serde_json::json;

use crate::support::{APP, KEY, SECRET, TestServer};

#[tokio::test]
async fn application_session_and_exact_errors() {
    let t = TestServer::start().await;
    let token = t.app_token().await;
    assert_eq!(token.len(), 40);
    assert!(token.bytes().all(|b| b.is_ascii_hexdigit()));

    let a = t.get("/session.json", &token).await.expect(200);
    assert_eq!(a.body["session"]["user_id"], 0);
    assert_eq!(a.body["session"]["application_id"], APP);
    let expiry = a.headers["cb-token-expirationdate"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(expiry.len(), "2026-11-28 11:22:33 UTC".len());
    assert!(expiry.ends_with(" UTC"));

    // An application session on a user endpoint.
    let a = t.get("/chat/Dialog.json", &token).await.expect(403);
    assert_eq!(
        a.body.to_string(),
        r#"{"errors":{"base":["Forbidden. Need user."]}}"#
    );
    // Unknown token, and no token.
    let a = t
        .get("/chat/Dialog", "0123456789012345678901234567890123456789")
        .await
        .expect(401);
    assert_eq!(
        a.body.to_string(),
        r#"{"errors":{"base":["Required session does not exist"]}}"#
    );
    let a = t
        .raw(Method::GET, "/session", None, None, Vec::new())
        .await
        .expect(401);
    assert_eq!(
        a.body["errors"]["base"][0],
        "Required session does not exist"
    );

    t.delete("/session.json", &token, "").await.expect(200);
    t.get("/session.json", &token).await.expect(401);
}

#[tokio::test]
async fn wrong_application_or_key_is_refused() {
    let t = TestServer::start().await;
    t.json(
        Method::POST,
        "/session",
        None,
        &json!({"application_id": APP, "auth_key": "nope"}),
    )
    .await
    .expect(422);
    t.json(
        Method::POST,
        "/session",
        None,
        &json!({"application_id": 99, "auth_key": KEY}),
    )
    .await
    .expect(422);
    t.json(Method::POST, "/session", None, &json!({"auth_key": KEY}))
        .await
        .refused();
}

#[tokio::test]
async fn login_and_email_create_users_and_check_passwords() {
    let t = TestServer::start().await;
    let body =
        |user: serde_json::Value| json!({"application_id": APP, "auth_key": KEY, "user": user});
    let a = t
        .json(
            Method::POST,
            "/session.json",
            None,
            &body(json!({"login": "alice", "password": "alicePass1"})),
        )
        .await
        .expect(201);
    let alice = a.body["session"]["user"]["id"].as_i64().unwrap();
    assert_eq!(a.body["session"]["user_id"], alice);
    assert_eq!(a.body["session"]["user"]["login"], "alice");
    assert!(a.body["session"]["user"].get("password").is_none());

    t.json(
        Method::POST,
        "/session.json",
        None,
        &body(json!({"login": "alice", "password": "wrongPass1"})),
    )
    .await
    .expect(401);
    let a = t
        .json(
            Method::POST,
            "/session.json",
            None,
            &body(json!({"email": "e@example.com", "password": "emailPass1"})),
        )
        .await
        .expect(201);
    let by_email = a.body["session"]["user_id"].as_i64().unwrap();
    let a = t
        .json(
            Method::POST,
            "/session.json",
            None,
            &body(json!({"email": "E@example.com", "password": "emailPass1"})),
        )
        .await
        .expect(201);
    assert_eq!(a.body["session"]["user_id"], by_email);

    // A guest.
    let a = t
        .json(
            Method::POST,
            "/session.json",
            None,
            &body(json!({"guest": "1", "full_name": "Guest Gary"})),
        )
        .await
        .expect(201);
    assert_eq!(a.body["session"]["user"]["full_name"], "Guest Gary");
    assert!(
        a.body["session"]["user"]["login"]
            .as_str()
            .unwrap()
            .starts_with("guest_login_")
    );
}

#[tokio::test]
async fn unknown_logins_are_refused_when_the_app_says_so() {
    let t = TestServer::with_config(|c| {
        let mut s = cube_server::domain::apps::AppSettings::default();
        s.create_user_on_session = false;
        c.with_app_settings(APP, s)
    })
    .await;
    t.json(
        Method::POST,
        "/session.json",
        None,
        &json!({"application_id": APP, "auth_key": KEY, "user": {"login": "nobody", "password": "nobodyPass1"}}),
    )
    .await
    .expect(401);
}

#[tokio::test]
async fn login_upgrades_and_logout_downgrades() {
    let t = TestServer::start().await;
    let (_, alice) = t.user("alice").await;
    let app = t.app_token().await;
    let a = t
        .post(
            "/login.json",
            &app,
            json!({"login": "alice", "password": "alice-pass1"}),
        )
        .await
        .expect(202);
    assert_eq!(a.body["user"]["id"], alice);
    let a = t.get("/session.json", &app).await.expect(200);
    assert_eq!(a.body["session"]["user_id"], alice);
    t.get("/chat/Dialog.json", &app).await.expect(200);
    t.delete("/login.json", &app, "").await.expect(200);
    let a = t.get("/session.json", &app).await.expect(200);
    assert_eq!(a.body["session"]["user_id"], 0);
    t.get("/chat/Dialog.json", &app).await.expect(403);
    t.post(
        "/login.json",
        &app,
        json!({"login": "alice", "password": "bad-pass-1"}),
    )
    .await
    .expect(401);
}

#[tokio::test]
async fn signed_sessions_verify_and_nonces_are_single_use() {
    let t = TestServer::start().await;
    let now = t.clock.now_secs();
    let app = AppCredentials::new(APP as u64, KEY).with_auth_secret(SECRET);
    let creds = SessionCredentials::login("signed", "signedPass1");
    let body = creds
        .signed_body(&app, Signing::new(Nonce(4321), now))
        .unwrap();
    let a = t
        .json(Method::POST, "/session.json", None, &body)
        .await
        .expect(201);
    assert_eq!(a.body["session"]["nonce"], 4321);
    assert!(a.body["session"]["user_id"].as_i64().unwrap() > 0);
    // The same nonce and timestamp again.
    t.json(Method::POST, "/session.json", None, &body)
        .await
        .expect(422);
    // A bad signature.
    let mut forged = creds
        .signed_body(&app, Signing::new(Nonce(1), now))
        .unwrap();
    forged["signature"] = json!("0000000000000000000000000000000000000000");
    t.json(Method::POST, "/session.json", None, &forged)
        .await
        .expect(422);
    // Outside the 60-minute window.
    let old = SessionCredentials::Application
        .signed_body(&app, Signing::new(Nonce(2), now - 3601))
        .unwrap();
    t.json(Method::POST, "/session.json", None, &old)
        .await
        .expect(422);
    // A signed application session.
    let fine = SessionCredentials::Application
        .signed_body(&app, Signing::new(Nonce(3), now - 3000))
        .unwrap();
    let a = t
        .json(Method::POST, "/session.json", None, &fine)
        .await
        .expect(201);
    assert_eq!(a.body["session"]["user_id"], 0);
}

#[tokio::test]
async fn tokens_slide_and_expire() {
    let t = TestServer::start().await;
    let (token, _) = t.user("slider").await;
    // Each request extends the two hours.
    t.clock.advance_millis(100 * 60 * 1000);
    t.get("/chat/Dialog.json", &token).await.expect(200);
    t.clock.advance_millis(100 * 60 * 1000);
    let a = t.get("/chat/Dialog.json", &token).await.expect(200);
    assert!(a.headers.contains_key("cb-token-expirationdate"));
    t.clock.advance_millis(2 * 3600 * 1000 + 1000);
    let a = t.get("/chat/Dialog.json", &token).await.expect(401);
    assert_eq!(
        a.body["errors"]["base"][0],
        "Required session does not exist"
    );
}

#[tokio::test]
async fn short_token_lifetime_is_configurable() {
    let t = TestServer::with_config(|mut c| {
        c.token_lifetime = std::time::Duration::from_secs(5);
        c
    })
    .await;
    let token = t.app_token().await;
    t.clock.advance_millis(6_000);
    t.get("/session.json", &token).await.expect(401);
}

#[tokio::test]
async fn failed_logins_are_slowed_down() {
    let t = TestServer::start().await;
    t.user("victim").await;
    let body = json!({"application_id": APP, "auth_key": KEY, "user": {"login": "victim", "password": "guess-guess"}});
    for _ in 0..5 {
        t.json(Method::POST, "/session.json", None, &body)
            .await
            .expect(401);
    }
    let a = t
        .json(Method::POST, "/session.json", None, &body)
        .await
        .expect(429);
    assert!(a.headers.contains_key("retry-after"));
}

#[tokio::test]
async fn tokens_over_their_rate_get_429_with_retry_after() {
    let t = TestServer::with_config(|c| {
        let s = cube_server::domain::apps::AppSettings {
            rate_limit_per_minute: Some(5),
            ..Default::default()
        };
        c.with_app_settings(APP, s)
    })
    .await;
    // Session creation counts against the address (the first request).
    let token = t.app_token().await;
    for _ in 0..3 {
        t.get("/session.json", &token).await.expect(200);
    }
    let a = t.get("/session.json", &token).await.expect(200);
    assert!(a.headers.contains_key("cb-token-expirationdate"));
    let a = t.get("/session.json", &token).await.expect(429);
    assert!(
        a.headers["retry-after"]
            .to_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            <= 60
    );
    assert!(a.body["errors"]["base"].is_array());
    // A new minute, a new window.
    t.clock.advance_millis(60_000);
    t.get("/session.json", &token).await.expect(200);
}

#[tokio::test]
async fn browsers_get_cors_answers() {
    let t = TestServer::start().await;
    let a = t
        .raw(Method::OPTIONS, "/chat/Dialog.json", None, None, Vec::new())
        .await
        .expect(204);
    assert_eq!(a.headers["access-control-allow-origin"], "*");
    let allowed = a.headers["access-control-allow-headers"].to_str().unwrap();
    assert!(allowed.contains("CB-Token"));
    let token = t.app_token().await;
    let a = t.get("/session.json", &token).await.expect(200);
    assert!(
        a.headers["access-control-expose-headers"]
            .to_str()
            .unwrap()
            .contains("CB-Token-ExpirationDate")
    );
}
