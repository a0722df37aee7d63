//! Every credential kind that leaves the server: Facebook and Twitter verification URLs,
//! Firebase ID tokens (RS256, signed here with a test key), and the custom identity provider.
#![allow(clippy::many_single_char_names, clippy::field_reassign_with_default)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cube_server::clock::Clock as _;
use cube_server::domain::apps::{
    AppSettings, FirebaseSettings, IdentityProvider, ProviderVerifier,
};
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{APP, KEY, TestServer};

async fn fake_provider() -> String {
    async fn facebook(Query(q): Query<BTreeMap<String, String>>) -> axum::response::Response {
        match q.get("token").map(String::as_str) {
            Some("fb-good") => {
                axum::Json(json!({"id": "fb123", "name": "Fb User", "email": "fb@example.com"}))
                    .into_response()
            }
            Some("fb-known-email") => {
                axum::Json(json!({"id": 555, "name": "Known", "email": "known@example.com"}))
                    .into_response()
            }
            _ => (StatusCode::UNAUTHORIZED, "bad token").into_response(),
        }
    }
    async fn twitter(Query(q): Query<BTreeMap<String, String>>) -> axum::response::Response {
        if q.get("token").map(String::as_str) == Some("tw-good")
            && q.get("secret").map(String::as_str) == Some("tw-secret")
        {
            axum::Json(json!({"id": "tw9", "name": "Tw User"})).into_response()
        } else {
            StatusCode::UNAUTHORIZED.into_response()
        }
    }
    async fn idp_get(Query(q): Query<BTreeMap<String, String>>) -> axum::response::Response {
        match q.get("token").map(String::as_str) {
            Some("idp-good") => axum::Json(
                json!({"user": {"id": 4242, "login": "cidp-user", "email": "c@example.com"}}),
            )
            .into_response(),
            _ => StatusCode::NOT_FOUND.into_response(),
        }
    }
    async fn idp_post(
        headers: axum::http::HeaderMap,
        axum::Json(body): axum::Json<Value>,
    ) -> axum::response::Response {
        let authorized = headers.get("x-api-key").is_some_and(|v| v == "sekret");
        if authorized && body["access"] == "idp-post-good" {
            axum::Json(json!({"data": {"uid": "abc-uid", "name": "Posty"}})).into_response()
        } else {
            (StatusCode::FORBIDDEN, "{\"error\":\"denied\"}").into_response()
        }
    }
    let app = axum::Router::new()
        .route("/facebook/me", get(facebook))
        .route("/twitter/verify", get(twitter))
        .route("/idp/verify", get(idp_get))
        .route("/idp/post", post(idp_post));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    format!("http://{addr}")
}

fn jwks_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/it/data/firebase-jwks.json")
}

fn firebase_token(project: &str, claims: Value) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256","kid":"test-key","typ":"JWT"}"#);
    let mut c = claims;
    c["iss"] = json!(format!("https://securetoken.google.com/{project}"));
    c["aud"] = json!(project);
    let payload = URL_SAFE_NO_PAD.encode(c.to_string());
    let signing_input = format!("{header}.{payload}");
    let key =
        ring::signature::RsaKeyPair::from_pkcs8(include_bytes!("data/firebase-key.pk8")).unwrap();
    let mut sig = vec![0; key.public().modulus_len()];
    key.sign(
        &ring::signature::RSA_PKCS1_SHA256,
        &ring::rand::SystemRandom::new(),
        signing_input.as_bytes(),
        &mut sig,
    )
    .unwrap();
    format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(sig))
}

async fn server_with(settings: AppSettings) -> TestServer {
    TestServer::with_config(|c| c.with_app_settings(APP, settings)).await
}

fn session_body(extra: Value) -> Value {
    let mut body = json!({"application_id": APP, "auth_key": KEY});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    body
}

#[tokio::test]
async fn facebook_and_twitter_through_their_verification_urls() {
    let base = fake_provider().await;
    let mut s = AppSettings::default();
    s.facebook = Some(ProviderVerifier {
        url: format!("{base}/facebook/me"),
    });
    s.twitter = Some(ProviderVerifier {
        url: format!("{base}/twitter/verify"),
    });
    let t = server_with(s).await;

    let fb = session_body(json!({"provider": "facebook", "keys": {"token": "fb-good"}}));
    let a = t
        .json(Method::POST, "/session.json", None, &fb)
        .await
        .expect(201);
    let user = &a.body["session"]["user"];
    assert_eq!(user["facebook_id"], "fb123");
    assert_eq!(user["full_name"], "Fb User");
    let id = user["id"].clone();
    // The same Facebook user again is the same user.
    let a = t
        .json(Method::POST, "/session.json", None, &fb)
        .await
        .expect(201);
    assert_eq!(a.body["session"]["user"]["id"], id);
    // A provider user is linked by email to an existing account.
    let app = t.app_token().await;
    let a = t.post("/users.json", &app, json!({"user": {"login": "known", "email": "known@example.com", "password": "knownPass1"}})).await.expect(201);
    let known = a.body["user"]["id"].clone();
    let a = t
        .json(
            Method::POST,
            "/session.json",
            None,
            &session_body(json!({"provider": "facebook", "keys": {"token": "fb-known-email"}})),
        )
        .await
        .expect(201);
    assert_eq!(a.body["session"]["user"]["id"], known);
    assert_eq!(a.body["session"]["user"]["facebook_id"], "555");
    // A refused token names the remote status.
    let a = t
        .json(
            Method::POST,
            "/session.json",
            None,
            &session_body(json!({"provider": "facebook", "keys": {"token": "bad"}})),
        )
        .await
        .expect(422);
    assert!(
        a.body["errors"]["base"][0]
            .as_str()
            .unwrap()
            .contains("Status: 401"),
        "{}",
        a.body
    );

    let tw = session_body(
        json!({"provider": "twitter", "keys": {"token": "tw-good", "secret": "tw-secret"}}),
    );
    let a = t
        .json(Method::POST, "/session.json", None, &tw)
        .await
        .expect(201);
    assert_eq!(a.body["session"]["user"]["twitter_id"], "tw9");
    let bad = session_body(
        json!({"provider": "twitter", "keys": {"token": "tw-good", "secret": "wrong"}}),
    );
    t.json(Method::POST, "/session.json", None, &bad)
        .await
        .expect(422);

    // Login on an application session with a provider works too.
    let app = t.app_token().await;
    let a = t
        .post(
            "/login.json",
            &app,
            json!({"provider": "facebook", "keys": {"token": "fb-good"}}),
        )
        .await
        .expect(202);
    assert_eq!(a.body["user"]["id"], id);
}

#[tokio::test]
async fn providers_not_configured_are_refused() {
    let t = TestServer::start().await;
    let fb = session_body(json!({"provider": "facebook", "keys": {"token": "x"}}));
    t.json(Method::POST, "/session.json", None, &fb)
        .await
        .expect(422);
}

#[tokio::test]
async fn firebase_phone_and_email_tokens() {
    let mut s = AppSettings::default();
    s.firebase = Some(FirebaseSettings {
        project_id: "my-proj".into(),
        jwks_file: jwks_path(),
    });
    let t = server_with(s).await;
    let now = t.clock.now_secs();
    let phone = firebase_token(
        "my-proj",
        json!({"sub": "f1", "phone_number": "+15550001", "iat": now, "exp": now + 3600}),
    );
    let body = session_body(
        json!({"provider": "firebase_phone", "firebase_phone": {"project_id": "my-proj", "access_token": phone}}),
    );
    let a = t
        .json(Method::POST, "/session.json", None, &body)
        .await
        .expect(201);
    assert_eq!(a.body["session"]["user"]["phone"], "+15550001");
    let first = a.body["session"]["user"]["id"].clone();
    let a = t
        .json(Method::POST, "/session.json", None, &body)
        .await
        .expect(201);
    assert_eq!(a.body["session"]["user"]["id"], first);

    let email = firebase_token(
        "my-proj",
        json!({"sub": "f2", "email": "fire@example.com", "iat": now, "exp": now + 3600}),
    );
    let body = session_body(
        json!({"provider": "firebase_email", "firebase_email": {"project_id": "my-proj", "access_token": email}}),
    );
    let a = t
        .json(Method::POST, "/session.json", None, &body)
        .await
        .expect(201);
    assert_eq!(a.body["session"]["user"]["email"], "fire@example.com");

    // Expired, another project, a tampered token.
    let expired = firebase_token(
        "my-proj",
        json!({"sub": "f1", "phone_number": "+1", "iat": now - 7200, "exp": now - 3600}),
    );
    let body = session_body(
        json!({"provider": "firebase_phone", "firebase_phone": {"project_id": "my-proj", "access_token": expired}}),
    );
    t.json(Method::POST, "/session.json", None, &body)
        .await
        .refused();
    let other = firebase_token(
        "other-proj",
        json!({"sub": "f1", "phone_number": "+1", "exp": now + 3600}),
    );
    let body = session_body(
        json!({"provider": "firebase_phone", "firebase_phone": {"project_id": "my-proj", "access_token": other}}),
    );
    t.json(Method::POST, "/session.json", None, &body)
        .await
        .refused();
    let good = firebase_token(
        "my-proj",
        json!({"sub": "f1", "phone_number": "+15550001", "exp": now + 3600}),
    );
    let mut parts: Vec<String> = good.split('.').map(str::to_owned).collect();
    parts[1] = URL_SAFE_NO_PAD.encode(json!({"sub": "f1", "phone_number": "+1999", "exp": now + 3600, "aud": "my-proj", "iss": "https://securetoken.google.com/my-proj"}).to_string());
    let body = session_body(
        json!({"provider": "firebase_phone", "firebase_phone": {"project_id": "my-proj", "access_token": parts.join(".")}}),
    );
    t.json(Method::POST, "/session.json", None, &body)
        .await
        .refused();
}

#[tokio::test]
async fn custom_identity_provider_get_and_post() {
    let base = fake_provider().await;
    let mut s = AppSettings::default();
    s.identity_provider = Some(IdentityProvider {
        url: format!("{base}/idp/verify"),
        method: "GET".into(),
        headers: BTreeMap::new(),
        request_params: [("token".to_owned(), "#{login}".to_owned())].into(),
        response_params: [
            ("uid".to_owned(), "#{user.id}".to_owned()),
            ("login".to_owned(), "#{user.login}".to_owned()),
            ("email".to_owned(), "#{user.email}".to_owned()),
        ]
        .into(),
    });
    let t = server_with(s).await;
    let body = session_body(json!({"user": {"login": "idp-good", "password": "anything"}}));
    let a = t
        .json(Method::POST, "/session.json", None, &body)
        .await
        .expect(201);
    let user = a.body["session"]["user"].clone();
    assert_eq!(user["external_user_id"], 4242);
    assert_eq!(user["login"], "cidp-user");
    let token = a.body["session"]["token"].as_str().unwrap().to_owned();
    let a = t
        .json(Method::POST, "/session.json", None, &body)
        .await
        .expect(201);
    assert_eq!(a.body["session"]["user"]["id"], user["id"]);
    // The session token is the chat password of identity-provider users.
    let uid = user["id"].as_i64().unwrap();
    assert!(
        t.server
            .service()
            .check_chat_password(APP, uid, &token)
            .await
            .unwrap()
    );
    // A failing provider: 422 naming the remote status.
    let bad = session_body(json!({"user": {"login": "idp-bad", "password": "anything"}}));
    let a = t
        .json(Method::POST, "/session.json", None, &bad)
        .await
        .expect(422);
    assert_eq!(
        a.body["errors"]["base"][0],
        "Bad Authentication data. Unauthorized on remote side. Status: 404.With empty response"
    );

    // POST with headers and a body mapping.
    let mut s = AppSettings::default();
    s.identity_provider = Some(IdentityProvider {
        url: format!("{base}/idp/post"),
        method: "POST".into(),
        headers: [("x-api-key".to_owned(), "sekret".to_owned())].into(),
        request_params: [("access".to_owned(), "#{login}".to_owned())].into(),
        response_params: [
            ("uid".to_owned(), "#{data.uid}".to_owned()),
            ("full_name".to_owned(), "#{data.name}".to_owned()),
        ]
        .into(),
    });
    let t = server_with(s).await;
    let body = session_body(json!({"user": {"login": "idp-post-good", "password": "x"}}));
    let a = t
        .json(Method::POST, "/session.json", None, &body)
        .await
        .expect(201);
    assert_eq!(a.body["session"]["user"]["external_id"], "abc-uid");
    assert_eq!(a.body["session"]["user"]["full_name"], "Posty");
    let body = session_body(json!({"user": {"login": "nope", "password": "x"}}));
    let a = t
        .json(Method::POST, "/session.json", None, &body)
        .await
        .expect(422);
    assert!(
        a.body["errors"]["base"][0]
            .as_str()
            .unwrap()
            .contains("Status: 403")
    );
}
