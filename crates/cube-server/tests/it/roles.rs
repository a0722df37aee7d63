//! Every cell of protocol/roles.md over HTTP: allowed means 2xx and a visible effect, refused
//! means 403 (404 for things outsiders may not know) and nothing changed.
#![allow(clippy::many_single_char_names, clippy::field_reassign_with_default)]

use serde_json::{Value, json};

use crate::support::{APP, TestServer};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Private,
    Group,
    Public,
    Broadcast,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum As {
    Regular,
    Admin,
    Owner,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cell {
    Y,
    N,
    NA,
}
use Cell::{N, NA, Y};

const COLUMNS: [(Kind, As); 10] = [
    (Kind::Private, As::Regular),
    (Kind::Group, As::Regular),
    (Kind::Group, As::Admin),
    (Kind::Group, As::Owner),
    (Kind::Public, As::Regular),
    (Kind::Public, As::Admin),
    (Kind::Public, As::Owner),
    (Kind::Broadcast, As::Regular),
    (Kind::Broadcast, As::Admin),
    (Kind::Broadcast, As::Owner),
];

/// The table of roles.md, row by row, in its column order.
const TABLE: [(&str, [Cell; 10]); 13] = [
    ("send a message", [Y, Y, Y, Y, Y, Y, Y, N, Y, Y]),
    ("read history", [Y, Y, Y, Y, Y, Y, Y, Y, Y, Y]),
    (
        "delete own message for self",
        [Y, Y, Y, Y, Y, Y, Y, NA, Y, Y],
    ),
    (
        "delete own message for everyone",
        [Y, Y, Y, Y, Y, Y, Y, NA, Y, Y],
    ),
    (
        "delete another's message for everyone",
        [N, N, Y, Y, N, Y, Y, N, Y, Y],
    ),
    ("delete the dialog for self", [Y, Y, Y, Y, Y, Y, Y, Y, Y, Y]),
    (
        "delete the dialog for everyone",
        [N, N, N, Y, N, N, Y, N, N, Y],
    ),
    ("add occupants", [N, Y, Y, Y, NA, NA, NA, NA, NA, NA]),
    (
        "remove other occupants",
        [N, N, Y, Y, NA, NA, NA, NA, NA, NA],
    ),
    (
        "change name, photo, description",
        [N, Y, Y, Y, N, Y, Y, N, Y, Y],
    ),
    ("pin and unpin messages", [N, N, Y, Y, N, Y, Y, N, Y, Y]),
    ("add and remove admins", [N, N, N, Y, N, N, Y, N, N, Y]),
    ("block and unblock users", [N, N, N, N, N, Y, Y, N, Y, Y]),
];

struct People {
    owner: (String, i64),
    admin: (String, i64),
    regular: (String, i64),
    outsider: (String, i64),
    spare: (String, i64),
}

struct Fixture {
    dialog: String,
    /// The acting user.
    me: (String, i64),
    /// Someone else in the dialog who may send (the owner, or the admin when I am the owner).
    other: (String, i64),
    /// The owner's token, to observe effects.
    observer: String,
}

async fn fixture(t: &TestServer, p: &People, kind: Kind, role: As) -> Fixture {
    let (owner_t, owner) = &p.owner;
    let dialog = match kind {
        Kind::Private => t.dialog(owner_t, json!({"type": 3, "occupants_ids": [p.regular.1]})).await,
        Kind::Group => {
            t.dialog(owner_t, json!({"type": 2, "name": "g", "occupants_ids": [p.admin.1, p.regular.1], "admins_ids": [p.admin.1]}))
                .await
        }
        Kind::Public => {
            let d = t.dialog(owner_t, json!({"type": 4, "name": "p", "admins_ids": [p.admin.1]})).await;
            for who in [&p.admin.0, &p.regular.0] {
                t.post(&format!("/chat/Dialog/{d}/subscribe.json"), who, json!({})).await.expect(200);
            }
            d
        }
        Kind::Broadcast => {
            let resp = t
                .http
                .post(format!("{}/chat/Dialog.json", t.base))
                .header("CB-Token", owner_t)
                .header("CB-Administration-API-Key", "admin-key")
                .json(&json!({"type": 1, "name": "b", "admins_ids": [p.admin.1]}))
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status().as_u16(), 201);
            resp.json::<Value>().await.unwrap()["_id"].as_str().unwrap().to_owned()
        }
    };
    let me = match role {
        As::Regular => p.regular.clone(),
        As::Admin => p.admin.clone(),
        As::Owner => p.owner.clone(),
    };
    let other = if me.1 == *owner {
        p.admin.clone()
    } else {
        p.owner.clone()
    };
    let other = if kind == Kind::Private {
        p.owner.clone()
    } else {
        other
    };
    Fixture {
        dialog,
        me,
        other,
        observer: owner_t.clone(),
    }
}

async fn history(t: &TestServer, token: &str, dialog: &str) -> Vec<String> {
    let r = t
        .get(
            &format!("/chat/Message.json?chat_dialog_id={dialog}&mark_as_read=0"),
            token,
        )
        .await;
    r.body["items"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|m| m["_id"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

async fn dialog_json(t: &TestServer, token: &str, dialog: &str) -> Option<Value> {
    let r = t
        .get(&format!("/chat/Dialog.json?_id={dialog}"), token)
        .await;
    r.body["items"].as_array().and_then(|a| a.first().cloned())
}

/// Runs one cell and asserts the outcome; `expected` is Y or N (NA cells still must refuse).
async fn check(t: &TestServer, p: &People, row: usize, kind: Kind, role: As, expected: Cell) {
    let f = fixture(t, p, kind, role).await;
    let (d, me, other) = (&f.dialog, &f.me, &f.other);
    let allowed = expected == Y;
    let label = format!("{} / {kind:?} {role:?}", TABLE[row].0);
    let status_ok = |status: u16| {
        if allowed {
            assert!(
                (200..300).contains(&status),
                "{label}: expected 2xx, got {status}"
            );
        } else {
            assert!(
                status == 403 || status == 404,
                "{label}: expected 403, got {status}"
            );
        }
    };
    match row {
        0 => {
            let r = t
                .post(
                    "/chat/Message.json",
                    &me.0,
                    json!({"chat_dialog_id": d, "message": "x"}),
                )
                .await;
            status_ok(r.status);
            assert_eq!(
                history(t, &f.observer, d).await.len(),
                usize::from(allowed),
                "{label}"
            );
        }
        1 => {
            let r = t
                .get(&format!("/chat/Message.json?chat_dialog_id={d}"), &me.0)
                .await;
            status_ok(r.status);
        }
        2 | 3 => {
            let m = t.message(&me.0, d, "mine").await;
            let form = if row == 3 { "force=1" } else { "" };
            let r = t
                .delete(&format!("/chat/Message/{m}.json"), &me.0, form)
                .await;
            status_ok(r.status);
            assert_eq!(history(t, &me.0, d).await.contains(&m), !allowed, "{label}");
            assert_eq!(
                history(t, &f.observer, d).await.contains(&m),
                row == 2 && f.observer != me.0 || !allowed,
                "{label}"
            );
        }
        4 => {
            let m = t.message(&other.0, d, "theirs").await;
            let r = t
                .delete(&format!("/chat/Message/{m}.json"), &me.0, "force=1")
                .await;
            status_ok(r.status);
            assert_eq!(
                history(t, &other.0, d).await.contains(&m),
                !allowed,
                "{label}"
            );
        }
        5 => {
            let r = t.delete(&format!("/chat/Dialog/{d}.json"), &me.0, "").await;
            status_ok(r.status);
            assert!(
                dialog_json(t, &me.0, d).await.is_none(),
                "{label}: still listed"
            );
        }
        6 => {
            let r = t
                .delete(&format!("/chat/Dialog/{d}.json"), &me.0, "force=1")
                .await;
            status_ok(r.status);
            assert_eq!(
                dialog_json(t, &other.0, d).await.is_none(),
                allowed,
                "{label}"
            );
        }
        7 => {
            let r = t
                .put(
                    &format!("/chat/Dialog/{d}.json"),
                    &me.0,
                    json!({"push_all": {"occupants_ids": [p.spare.1]}}),
                )
                .await;
            status_ok(r.status);
            if kind != Kind::Broadcast {
                // Every application user sees a broadcast; elsewhere, membership shows.
                assert_eq!(
                    dialog_json(t, &p.spare.0, d).await.is_some(),
                    allowed,
                    "{label}"
                );
            }
        }
        8 => {
            let target = if me.1 == p.regular.1 {
                &p.admin
            } else {
                &p.regular
            };
            let target = if kind == Kind::Private {
                &p.owner
            } else {
                target
            };
            let r = t
                .put(
                    &format!("/chat/Dialog/{d}.json"),
                    &me.0,
                    json!({"pull_all": {"occupants_ids": [target.1]}}),
                )
                .await;
            status_ok(r.status);
            assert_eq!(
                dialog_json(t, &target.0, d).await.is_none(),
                allowed,
                "{label}"
            );
        }
        9 => {
            let r = t
                .put(
                    &format!("/chat/Dialog/{d}.json"),
                    &me.0,
                    json!({"name": "renamed", "description": "dd"}),
                )
                .await;
            status_ok(r.status);
            let now = dialog_json(t, &f.observer, d).await.unwrap();
            assert_eq!(now["name"] == "renamed", allowed, "{label}");
        }
        10 => {
            let m = t.message(&f.observer, d, "pin").await;
            let r = t
                .put(
                    &format!("/chat/Dialog/{d}.json"),
                    &me.0,
                    json!({"push_all": {"pinned_messages_ids": [m]}}),
                )
                .await;
            status_ok(r.status);
            let now = dialog_json(t, &f.observer, d).await.unwrap();
            assert_eq!(now["pinned_messages_ids"] == json!([m]), allowed, "{label}");
            if allowed {
                t.put(
                    &format!("/chat/Dialog/{d}.json"),
                    &me.0,
                    json!({"pull_all": {"pinned_messages_ids": [m]}}),
                )
                .await
                .ok();
                let now = dialog_json(t, &f.observer, d).await.unwrap();
                assert_eq!(now["pinned_messages_ids"], json!([]), "{label}");
            }
        }
        11 => {
            let r = t
                .put(
                    &format!("/chat/Dialog/{d}/admins.json"),
                    &me.0,
                    json!({"push_all": {"admins_ids": [p.spare.1]}}),
                )
                .await;
            status_ok(r.status);
            let now = dialog_json(t, &f.observer, d).await.unwrap();
            let admins = now["admins_ids"].as_array().cloned().unwrap_or_default();
            assert_eq!(admins.contains(&json!(p.spare.1)), allowed, "{label}");
        }
        12 => {
            let target = &p.spare;
            if kind == Kind::Public {
                t.post(
                    &format!("/chat/Dialog/{d}/subscribe.json"),
                    &target.0,
                    json!({}),
                )
                .await
                .expect(200);
            }
            let r = t
                .post(
                    &format!("/chat/Dialog/{d}/block.json"),
                    &me.0,
                    json!({"user_ids": [target.1]}),
                )
                .await;
            status_ok(r.status);
            let r = t
                .get(&format!("/chat/Message.json?chat_dialog_id={d}"), &target.0)
                .await;
            if kind == Kind::Public || kind == Kind::Broadcast {
                // A blocked user of a public or broadcast dialog may not read it.
                assert_eq!(r.status == 403, allowed, "{label}: read while blocked");
            }
            if allowed && kind == Kind::Public {
                let r = t
                    .post(
                        &format!("/chat/Dialog/{d}/subscribe.json"),
                        &target.0,
                        json!({}),
                    )
                    .await;
                assert_eq!(r.status, 403, "{label}: blocked user subscribed");
                assert!(
                    dialog_json(t, &target.0, d).await.is_none(),
                    "{label}: blocking unsubscribes"
                );
            }
            // Unblocking is the same cell: refused, or the user may read (and subscribe) again.
            let r = t
                .delete(
                    &format!("/chat/Dialog/{d}/block.json"),
                    &me.0,
                    &format!("user_ids={}", target.1),
                )
                .await;
            status_ok(r.status);
            if allowed {
                t.get(&format!("/chat/Message.json?chat_dialog_id={d}"), &target.0)
                    .await
                    .expect(200);
                if kind == Kind::Public {
                    t.post(
                        &format!("/chat/Dialog/{d}/subscribe.json"),
                        &target.0,
                        json!({}),
                    )
                    .await
                    .expect(200);
                }
            }
        }
        _ => unreachable!(),
    }
}

#[tokio::test]
async fn every_cell_of_the_roles_table() {
    let t = TestServer::with_config(|c| {
        let mut s = cube_server::domain::apps::AppSettings::default();
        s.admin_api_key = Some("admin-key".into());
        c.with_app_settings(APP, s)
    })
    .await;
    let p = People {
        owner: t.user("owner").await,
        admin: t.user("admin").await,
        regular: t.user("regular").await,
        outsider: t.user("outsider").await,
        spare: t.user("spare").await,
    };
    for (row, (_, cells)) in TABLE.iter().enumerate() {
        for (col, (kind, role)) in COLUMNS.iter().enumerate() {
            let cell = cells[col];
            if cell == NA && matches!(row, 2 | 3) {
                // A broadcast regular cannot send, so has no own message to delete.
                continue;
            }
            check(&t, &p, row, *kind, *role, cell).await;
        }
    }

    // Outsiders of group and private dialogs may do nothing, not even read.
    for kind in [Kind::Group, Kind::Private] {
        let f = fixture(&t, &p, kind, As::Owner).await;
        let d = &f.dialog;
        let x = &p.outsider.0;
        let before = history(&t, &f.observer, d).await;
        let r = t
            .get(&format!("/chat/Message.json?chat_dialog_id={d}"), x)
            .await;
        assert!(r.status == 403 || r.status == 404);
        let r = t
            .post(
                "/chat/Message.json",
                x,
                json!({"chat_dialog_id": d, "message": "x"}),
            )
            .await;
        assert!(r.status == 403 || r.status == 404);
        let r = t
            .put(&format!("/chat/Dialog/{d}.json"), x, json!({"name": "x"}))
            .await;
        assert!(r.status == 403 || r.status == 404);
        let r = t
            .put(
                &format!("/chat/Dialog/{d}.json"),
                x,
                json!({"push_all": {"occupants_ids": [p.outsider.1]}}),
            )
            .await;
        assert!(r.status == 403 || r.status == 404);
        assert_eq!(history(&t, &f.observer, d).await, before);
    }
    // An outsider may read a public dialog but not send to it before subscribing.
    let f = fixture(&t, &p, Kind::Public, As::Owner).await;
    t.get(
        &format!("/chat/Message.json?chat_dialog_id={}", f.dialog),
        &p.outsider.0,
    )
    .await
    .expect(200);
    t.post(
        "/chat/Message.json",
        &p.outsider.0,
        json!({"chat_dialog_id": f.dialog, "message": "x"}),
    )
    .await
    .expect(403);
}
