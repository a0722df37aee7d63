//! Restart with a file database: users, dialogs, messages and sessions survive.
#![allow(clippy::many_single_char_names)]

use cube_server::Server;
use serde_json::json;

use crate::support::{TestServer, config};

#[tokio::test]
async fn everything_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let db = cube_server::Location::File(dir.path().join("cube.sqlite3"));
    let clock = cube_server::clock::ManualClock::new(1_795_000_000_000);
    let mut cfg = config(&clock);
    cfg.db = db.clone();
    let t = TestServer::attach(Server::start(cfg.clone()).await.unwrap(), clock.clone());
    let (alice, a) = t.user("alice").await;
    let (_, b) = t.user("bobby").await;
    let d = t
        .dialog(
            &alice,
            json!({"type": 2, "name": "Kept", "occupants_ids": [b]}),
        )
        .await;
    let m = t.message(&alice, &d, "still here").await;
    let TestServer { server, .. } = t;
    server.shutdown().await;

    let t = TestServer::attach(Server::start(cfg).await.unwrap(), clock);
    let s = t.get("/session.json", &alice).await.expect(200);
    assert_eq!(s.body["session"]["user_id"], a);
    let r = t
        .get(&format!("/chat/Message.json?chat_dialog_id={d}"), &alice)
        .await
        .expect(200);
    assert_eq!(r.body["items"][0]["_id"], m.as_str());
    assert_eq!(r.body["items"][0]["message"], "still here");
    let r = t.get("/chat/Dialog.json", &alice).await.expect(200);
    assert_eq!(r.body["items"][0]["name"], "Kept");
    assert_eq!(r.body["items"][0]["occupants_ids"], json!([a, b]));
    let r = t.get(&format!("/users/{b}.json"), &alice).await.expect(200);
    assert_eq!(r.body["user"]["login"], "bobby");
    // The password still works, and no second development app appeared.
    t.user("alice").await;
    assert_eq!(t.server.applications().await.unwrap().len(), 1);
    assert!(t.server.dev_app().is_none());
}

#[tokio::test]
async fn a_development_app_is_created_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = cube_server::ServerConfig::ephemeral();
    cfg.db = cube_server::Location::File(dir.path().join("dev.sqlite3"));
    let first = Server::start(cfg.clone()).await.unwrap();
    let app = first.dev_app().cloned().expect("a development app");
    first.shutdown().await;
    let second = Server::start(cfg).await.unwrap();
    assert!(second.dev_app().is_none());
    let apps = second.applications().await.unwrap();
    assert_eq!(apps.len(), 1);
    assert_eq!(apps[0].auth_key, app.auth_key);
    second.shutdown().await;
}

#[tokio::test]
async fn every_acknowledged_concurrent_write_survives() {
    let dir = tempfile::tempdir().unwrap();
    let clock = cube_server::clock::ManualClock::new(1_795_000_000_000);
    let mut cfg = config(&clock);
    cfg.db = cube_server::Location::File(dir.path().join("cube.sqlite3"));
    let t = TestServer::attach(Server::start(cfg.clone()).await.unwrap(), clock.clone());
    let (alice, _) = t.user("alice").await;
    let (_, b) = t.user("bobby").await;
    let d = t
        .dialog(
            &alice,
            json!({"type": 2, "name": "Busy", "occupants_ids": [b]}),
        )
        .await;
    // Many concurrent writes share transactions (group commit); each 2xx must be on disk.
    let sends = (0..100).map(|i| {
        let (t, alice, d) = (&t, alice.clone(), d.clone());
        async move {
            t.post(
                "/chat/Message.json",
                &alice,
                json!({"chat_dialog_id": d, "message": format!("m{i}")}),
            )
            .await
            .status
        }
    });
    let statuses = futures_util::future::join_all(sends).await;
    let acknowledged = statuses.iter().filter(|s| **s == 201).count();
    assert_eq!(acknowledged, 100);
    let TestServer { server, .. } = t;
    server.shutdown().await;

    let t = TestServer::attach(Server::start(cfg).await.unwrap(), clock);
    let r = t
        .get(
            &format!("/chat/Message.json?chat_dialog_id={d}&limit=100&mark_as_read=0"),
            &alice,
        )
        .await
        .expect(200);
    assert_eq!(r.body["items"].as_array().unwrap().len(), acknowledged);
}
