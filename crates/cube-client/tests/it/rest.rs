//! Every REST call of the client against cube-server.

use std::collections::BTreeSet;

use cube_client::model::{Filter, Op};
use cube_client::rest::chat::IdChanges;
use cube_client::rest::chat::{create_dialog, create_system_message, list_messages, update_dialog};
use cube_client::{
    Action, BuildError, DialogType, Error, Query, SessionCredentials, Sort, UserId, UserParams,
    identity_provider_credentials,
};
use cube_server::domain::apps::{AppSettings, IdentityProvider, ProviderVerifier};
use futures_util::TryStreamExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::support::{APP_ID, AUTH_KEY, TestServer};

#[tokio::test]
async fn sessions_of_every_kind() {
    let t = TestServer::start().await;
    let c = t.client();
    assert!(c.current_session().is_none());

    // Application session, unsigned and signed.
    let app = c.create_app_session().await.unwrap();
    assert_eq!(app.user_id, UserId(0));
    assert_eq!(c.current_user_id(), None);
    let signed = t.signing_client();
    let s = signed.create_app_session().await.unwrap();
    assert!(!s.token.is_empty());

    // Sign-up on the application session, then a login upgrade (same token).
    let alice = c
        .users()
        .sign_up(
            UserParams::new()
                .with_login("alice")
                .with_email("alice@example.com")
                .with_password("alicePass1"),
        )
        .await
        .unwrap();
    let me = c
        .login(SessionCredentials::login("alice", "alicePass1"))
        .await
        .unwrap();
    assert_eq!(me.id, alice.id);
    assert_eq!(c.current_user_id(), Some(alice.id));
    assert_eq!(c.token().unwrap().expose(), app.token);
    assert_eq!(c.session().await.unwrap().user_id, alice.id);

    // Logout keeps the token as an application session.
    c.logout().await.unwrap();
    assert_eq!(c.current_user_id(), None);
    assert_eq!(c.session().await.unwrap().user_id, UserId(0));

    // User sessions by login and by email, signed and unsigned.
    let by_login = signed
        .create_user_session("alice", "alicePass1")
        .await
        .unwrap();
    assert_eq!(by_login.user_id, alice.id);
    let by_email = t
        .client()
        .create_session(SessionCredentials::email("alice@example.com", "alicePass1"))
        .await
        .unwrap();
    assert_eq!(by_email.user_id, alice.id);

    // A wrong password is the server's refusal, named after the call.
    let err = t
        .client()
        .create_user_session("alice", "wrong")
        .await
        .unwrap_err();
    assert_eq!(err.call().unwrap().path, "/session");
    assert!(matches!(err.status(), Some(401 | 422)), "{err:?}");

    // Guest session: a fresh user.
    let guest = t
        .client()
        .create_session(SessionCredentials::guest(Some("Guest Gary".into())))
        .await
        .unwrap();
    assert!(guest.user_id.0 != 0 && guest.user_id != alice.id);

    // Destroy: the token is gone and calls are not sent.
    c.destroy_session().await.unwrap();
    assert!(c.current_session().is_none());
    let err = c.users().update(UserParams::new()).await.unwrap_err();
    assert!(matches!(
        err,
        Error::Build {
            source: BuildError::NoSession,
            ..
        }
    ));
    assert!(err.is_not_sent());
}

/// A one-route HTTP server answering every request with `body` (a provider's verify URL).
async fn verifier(body: &'static str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 1024];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    match sock.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                let resp = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = sock.write_all(resp.as_bytes()).await;
                let _ = sock.shutdown().await;
            });
        }
    });
    format!("http://{addr}/verify")
}

#[tokio::test]
async fn provider_and_identity_provider_sessions() {
    let fb = verifier(r#"{"id":"fb-100","name":"Fb User","email":"fb@example.com"}"#).await;
    let tw = verifier(r#"{"id":"tw-200","name":"Tw User"}"#).await;
    let idp = verifier(r#"{"uid":"ext-300","login":"ext_user","full_name":"Ext User"}"#).await;
    let t = TestServer::start_with(|c| {
        c.with_app_settings(
            APP_ID as i64,
            AppSettings {
                facebook: Some(ProviderVerifier { url: fb }),
                twitter: Some(ProviderVerifier { url: tw }),
                identity_provider: Some(IdentityProvider {
                    url: idp,
                    method: "GET".into(),
                    headers: std::collections::BTreeMap::default(),
                    request_params: std::collections::BTreeMap::default(),
                    response_params: std::collections::BTreeMap::default(),
                }),
                ..AppSettings::default()
            },
        )
    })
    .await;

    let c = t.client();
    let s = c
        .create_session(SessionCredentials::facebook("EAAGfbToken"))
        .await
        .unwrap();
    assert!(s.user_id.0 != 0);
    let again = t
        .client()
        .create_session(SessionCredentials::facebook("EAAGfbToken"))
        .await
        .unwrap();
    assert_eq!(again.user_id, s.user_id, "the same provider user");

    let tw = t
        .client()
        .create_session(SessionCredentials::twitter("twTok", "twSecret"))
        .await
        .unwrap();
    assert!(tw.user_id.0 != 0 && tw.user_id != s.user_id);

    let ext = t
        .client()
        .create_session(identity_provider_credentials("jwt-of-my-backend"))
        .await
        .unwrap();
    assert!(ext.user_id.0 != 0);

    // Firebase needs a key set the test server does not have: refused, not mis-sent.
    let err = t
        .client()
        .create_session(SessionCredentials::firebase_phone("my-proj", "not-a-jwt"))
        .await
        .unwrap_err();
    assert!(err.api_error().is_some(), "{err:?}");
    let err = t
        .client()
        .create_session(SessionCredentials::firebase_email("my-proj", "not-a-jwt"))
        .await
        .unwrap_err();
    assert!(err.api_error().is_some(), "{err:?}");
}

#[tokio::test]
async fn users_sign_up_read_search_update_delete() {
    let t = TestServer::start().await;
    // Sign-up without any session goes with the auth key.
    let anon = t.client();
    let bob = anon
        .users()
        .sign_up(
            UserParams::new()
                .with_login("bob")
                .with_password("bobPass12")
                .with_tags(["rust", "chat"]),
        )
        .await
        .unwrap();
    assert_eq!(bob.login.as_deref(), Some("bob"));

    let (alice, a) = t.user("alice").await;
    assert_eq!(alice.users().get(bob.id).await.unwrap().id, bob.id);

    // Search: more users than one page, so the stream pages by itself.
    for i in 0..7 {
        anon.users()
            .sign_up(
                UserParams::new()
                    .with_login(format!("user{i:02}"))
                    .with_password("longenough1"),
            )
            .await
            .unwrap();
    }
    let all_ids: Vec<UserId> = (1..=200).map(UserId).collect();
    let q = Query::new()
        .with_filter(Filter::list(
            "id",
            Op::In,
            all_ids.iter().map(ToString::to_string),
        ))
        .with_limit(3);
    let found: Vec<_> = alice.users().list(q).try_collect().await.unwrap();
    let ids: BTreeSet<UserId> = found.iter().map(|u| u.id).collect();
    assert_eq!(found.len(), 9, "alice, bob and seven more, each once");
    assert_eq!(ids.len(), 9);

    let by_login: Vec<_> = alice
        .users()
        .list(Query::new().with_filter(Filter::new("login", Op::Eq, "bob")))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(by_login.len(), 1);

    // Update the current user, then delete it.
    let updated = alice
        .users()
        .update(UserParams::new().with_full_name("Alice Liddell"))
        .await
        .unwrap();
    assert_eq!(updated.full_name.as_deref(), Some("Alice Liddell"));
    alice.users().delete_me().await.unwrap();
    let err = anon_session(&t).await.users().get(a.id).await.unwrap_err();
    assert_eq!(err.status(), Some(404), "{err:?}");
}

async fn anon_session(t: &TestServer) -> cube_client::Client {
    let c = t.client();
    c.create_app_session().await.unwrap();
    c
}

#[tokio::test]
async fn dialogs_every_call() {
    let srv = TestServer::start().await;
    let (alice, ua) = srv.user("alice").await;
    let (bob, ub) = srv.user("bob").await;
    let (carol, uc) = srv.user("carol").await;

    let group = alice.dialogs().create_group("Team", [ub.id]).await.unwrap();
    assert_eq!(group.dialog_type, DialogType::Group);
    assert_eq!(group.user_id, ua.id);
    assert!(group.is_occupant(ua.id) && group.is_occupant(ub.id));

    // Occupants in and out, rename, pins, admins.
    let d = alice
        .dialogs()
        .add_occupants(group.id, [uc.id])
        .await
        .unwrap();
    assert!(d.is_occupant(uc.id));
    let d = alice
        .dialogs()
        .remove_occupants(group.id, [uc.id])
        .await
        .unwrap();
    assert!(!d.is_occupant(uc.id));
    let d = bob.dialogs().rename(group.id, "Renamed").await.unwrap();
    assert_eq!(d.name.as_deref(), Some("Renamed"));
    let d = alice.dialogs().add_admins(group.id, [ub.id]).await.unwrap();
    assert!(d.is_admin(ub.id));
    let msg = alice.messages().send(group.id, "pin me").await.unwrap();
    let d = bob.dialogs().pin(group.id, [msg.id]).await.unwrap();
    assert_eq!(d.pinned_messages_ids, [msg.id]);
    let d = bob.dialogs().unpin(group.id, [msg.id]).await.unwrap();
    assert!(d.pinned_messages_ids.is_empty());
    let d = alice
        .dialogs()
        .remove_admins(group.id, [ub.id])
        .await
        .unwrap();
    assert!(!d.is_admin(ub.id));
    let d = alice
        .dialogs()
        .update(
            update_dialog::Request::new(group.id)
                .with_description("about")
                .with_push_all(IdChanges::new().with_occupants([uc.id])),
        )
        .await
        .unwrap();
    assert_eq!(d.description.as_deref(), Some("about"));
    assert!(d.is_occupant(uc.id));

    // The roles table, locally and on the server: a regular user cannot delete for everyone.
    assert!(!bob.can(&d, Action::DeleteDialogForEveryone));
    assert!(alice.can(&d, Action::DeleteDialogForEveryone));
    assert!(
        bob.dialogs()
            .check(&d, Action::DeleteDialogForEveryone)
            .is_err()
    );
    let err = bob
        .dialogs()
        .delete_for_everyone(group.id)
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(403), "{err:?}");
    assert!(!err.is_retryable());

    // Notifications.
    assert!(carol.dialogs().notifications(group.id).await.unwrap());
    assert!(
        !carol
            .dialogs()
            .set_notifications(group.id, false)
            .await
            .unwrap()
    );
    assert!(!carol.dialogs().notifications(group.id).await.unwrap());

    // Listing pages by itself: 5 more dialogs, pages of 2.
    let private = alice.dialogs().create_private(uc.id).await.unwrap();
    assert_eq!(private.dialog_type, DialogType::Private);
    for i in 0..4 {
        alice
            .dialogs()
            .create(
                create_dialog::Request::new(DialogType::Group, [ub.id]).with_name(format!("g{i}")),
            )
            .await
            .unwrap();
    }
    let listed: Vec<_> = alice
        .dialogs()
        .list(Query::new().with_limit(2))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(listed.len(), 6);
    let ids: BTreeSet<_> = listed.iter().map(|d| d.id).collect();
    assert_eq!(ids.len(), 6);
    assert_eq!(alice.dialogs().count(Query::new()).await.unwrap(), 6);
    let groups: Vec<_> = alice
        .dialogs()
        .list(Query::new().with_filter(Filter::new("type", Op::Eq, "3")))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(groups.len(), 1);

    // Public dialogs: subscribe, occupants, unsubscribe.
    let public = alice.dialogs().create_public("Town square").await.unwrap();
    let d = carol.dialogs().subscribe(public.id).await.unwrap();
    assert_eq!(d.id, public.id);
    let occupants: Vec<_> = alice
        .dialogs()
        .occupants(public.id)
        .try_collect()
        .await
        .unwrap();
    assert!(occupants.iter().any(|u| u.id == uc.id));
    carol.dialogs().unsubscribe(public.id).await.unwrap();

    // Leave for self, then delete for everyone, and many at once.
    carol.dialogs().delete(group.id).await.unwrap();
    let still: Vec<_> = carol
        .dialogs()
        .list(Query::new())
        .try_collect()
        .await
        .unwrap();
    assert!(still.iter().all(|d| d.id != group.id));
    alice.dialogs().delete_for_everyone(group.id).await.unwrap();
    let err = bob
        .messages()
        .history(group.id)
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert!(matches!(err.status(), Some(403 | 404)), "{err:?}");
    let res = alice
        .dialogs()
        .delete_many([private.id, public.id], true)
        .await
        .unwrap();
    // Private dialogs have no owner: nobody deletes them for everyone (roles.md).
    assert_eq!(res.successfully_deleted.ids, [public.id], "{res:?}");
    assert_eq!(res.wrong_permissions.ids, [private.id], "{res:?}");
}

#[tokio::test]
async fn messages_every_call() {
    let t = TestServer::start().await;
    let (alice, a) = t.user("alice").await;
    let (bob, b) = t.user("bob").await;
    let dialog = alice.dialogs().create_group("Chat", [b.id]).await.unwrap();

    // 130 messages: more than one page of 100.
    let mut sent = Vec::new();
    for i in 0..130 {
        let m = alice
            .messages()
            .create(
                cube_client::rest::chat::create_message::Request::new(
                    cube_client::rest::chat::create_message::Target::Dialog(dialog.id),
                    format!("m{i}"),
                )
                .with_custom("n", i),
            )
            .await
            .unwrap();
        sent.push(m.id);
    }
    let history: Vec<_> = bob
        .messages()
        .history(dialog.id)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(history.len(), 130);
    assert_eq!(history.iter().map(|m| m.id).collect::<Vec<_>>(), sent);
    assert_eq!(history[0].message.as_deref(), Some("m0"));

    let unread = bob.messages().unread_counts([dialog.id]).await.unwrap();
    assert_eq!(unread.total, 130);
    bob.messages()
        .mark_delivered(dialog.id, sent[..2].iter().copied())
        .await
        .unwrap();
    bob.messages()
        .mark_read(dialog.id, sent.iter().copied())
        .await
        .unwrap();
    let unread = bob.messages().unread_counts([]).await.unwrap();
    assert_eq!(unread.total, 0);

    // A listing with options: newest first, only five.
    let latest: Vec<_> = bob
        .messages()
        .list(
            list_messages::Request::new(
                dialog.id,
                Query::new()
                    .with_sort(Sort::desc("date_sent"))
                    .with_limit(5),
            )
            .with_mark_as_read(false),
        )
        .try_collect()
        .await
        .unwrap();
    assert_eq!(latest.len(), 130, "the stream goes on past the first page");

    // Edit own, refuse editing another's.
    alice
        .messages()
        .edit(dialog.id, sent[0], "edited")
        .await
        .unwrap();
    let first = bob
        .messages()
        .history(dialog.id)
        .try_collect::<Vec<_>>()
        .await
        .unwrap()
        .remove(0);
    assert_eq!(first.message.as_deref(), Some("edited"));
    assert!(bob.messages().edit(dialog.id, sent[1], "x").await.is_err());

    // Delete for self, for everyone, and a refused delete of another's for everyone.
    bob.messages().delete([sent[2]], false).await.unwrap();
    let err = bob.messages().delete([sent[3]], true).await;
    match err {
        Err(e) => assert_eq!(e.status(), Some(403), "{e:?}"),
        Ok(r) => assert!(r.wrong_permissions.ids.contains(&sent[3]), "{r:?}"),
    }
    alice.messages().delete([sent[4]], true).await.unwrap();
    let after: Vec<_> = bob
        .messages()
        .history(dialog.id)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(after.len(), 128);
    assert!(after.iter().all(|m| m.id != sent[2] && m.id != sent[4]));

    // Sending to a user creates the private dialog; system messages are answered.
    let m = alice
        .messages()
        .create(cube_client::rest::chat::create_message::Request::new(
            cube_client::rest::chat::create_message::Target::Recipient(b.id),
            "hi bob",
        ))
        .await
        .unwrap();
    assert!(m.chat_dialog_id.is_some());
    let sys = alice
        .messages()
        .send_system(create_system_message::Request::new(b.id).with_param("kind", "ping"))
        .await
        .unwrap();
    assert_eq!(sys.recipient_id, b.id);
    let _ = a;
    let _ = AUTH_KEY;
}

/// A listener that accepts connections and never answers.
async fn black_hole() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((sock, _)) = listener.accept().await {
            held.push(sock);
        }
    });
    format!("http://{addr}")
}

#[tokio::test]
async fn errors_tell_what_happened_to_the_request() {
    let client = |url: String| {
        cube_client::Client::builder(APP_ID, AUTH_KEY)
            .api_url(url)
            .request_timeout(std::time::Duration::from_millis(300))
            .retry_policy(cube_client::RetryPolicy::never())
            .build()
            .unwrap()
    };
    // Nobody listens: a transport error (retryable), naming the call.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let err = client(format!("http://{closed}"))
        .create_app_session()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert!(err.is_retryable());
    assert_eq!(err.call().unwrap().to_string(), "POST /session");

    // Accepted and never answered: a timeout.
    let err = client(black_hole().await)
        .create_app_session()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");

    // Answered 200 with something that is not a session: unreadable.
    let err = client(
        verifier("<html>not json</html>")
            .await
            .replace("/verify", ""),
    )
    .create_app_session()
    .await
    .unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
    assert!(!err.is_retryable());

    // A chat connection to nowhere fails with a chat error.
    let t = TestServer::start().await;
    let (alice, _) = t.user("alice").await;
    let err = alice
        .connect_chat_with(cube_client::chat::ChatCredentials::SessionToken, |mut c| {
            c.transport = cube_client::ChatTransport::parse(&format!("xmpp://{closed}")).unwrap();
            c
        })
        .await
        .unwrap_err();
    assert!(err.is_retryable(), "{err:?}");
}

#[tokio::test]
async fn session_chat_and_history_start_together() {
    let t = TestServer::start().await;
    let (_, a) = t.user("alice").await;
    let client = t.client();
    let (session, chat) = tokio::join!(
        client.create_user_session("alice", "alice-pass"),
        client.connect_chat_as(
            a.id,
            cube_client::chat::ChatCredentials::Password("alice-pass".into()),
            |c| c
        ),
    );
    assert_eq!(session.unwrap().user_id, a.id);
    let (chat, _events) = chat.unwrap();
    assert_eq!(chat.jid().user_id(), Some(a.id));
    chat.disconnect().await;
}

#[tokio::test]
async fn rate_limits_are_retryable_refusals() {
    let t = TestServer::start_with(|c| {
        c.with_app_settings(
            APP_ID as i64,
            AppSettings {
                rate_limit_per_minute: Some(3),
                ..AppSettings::default()
            },
        )
    })
    .await;
    let c = t.client();
    c.create_app_session().await.unwrap();
    let mut refused = None;
    for _ in 0..10 {
        if let Err(e) = c.users().get(UserId(1)).await {
            if e.status() == Some(429) {
                refused = Some(e);
                break;
            }
        }
    }
    let e = refused.expect("the limit is enforced");
    assert!(e.is_retryable(), "{e:?}");
    assert_eq!(e.call().unwrap().path, "/users/{id}");
}

#[tokio::test]
async fn block_lists_history_clearing_reactions_online_users_and_password_reset() {
    let t = TestServer::start().await;
    let (alice, _) = t.user("alice").await;
    let (bob, b) = t.user("bob").await;

    // Block lists of a public dialog: the owner blocks, the blocked user is refused.
    let public = alice.dialogs().create_public("Open").await.unwrap();
    bob.dialogs().subscribe(public.id).await.unwrap();
    alice.dialogs().block(public.id, [b.id]).await.unwrap();
    let refused = bob.dialogs().subscribe(public.id).await.unwrap_err();
    assert_eq!(refused.api_error().map(|e| e.status.as_u16()), Some(403));
    // A regular user may not block; unblocking lets the user back in.
    let refused = bob.dialogs().unblock(public.id, [b.id]).await.unwrap_err();
    assert_eq!(refused.api_error().map(|e| e.status.as_u16()), Some(403));
    alice.dialogs().unblock(public.id, [b.id]).await.unwrap();
    bob.dialogs().subscribe(public.id).await.unwrap();
    let empty = alice.dialogs().block(public.id, []).await.unwrap_err();
    assert!(
        matches!(
            empty,
            Error::Build {
                source: BuildError::Encode(_),
                ..
            }
        ),
        "{empty:?}"
    );

    // Reactions, their summary on the message, and marking a whole dialog read.
    let group = alice.dialogs().create_group("G", [b.id]).await.unwrap();
    let m = alice.messages().send(group.id, "hello").await.unwrap();
    alice.messages().send(group.id, "again").await.unwrap();
    bob.messages().react(m.id, "🔥").await.unwrap();
    alice.messages().react(m.id, "🔥").await.unwrap();
    bob.messages()
        .update_reactions(cube_client::rest::chat::update_reactions::Request::replace(
            m.id, "👍", "🔥",
        ))
        .await
        .unwrap();
    let by_reaction = alice.messages().reactions(m.id).await.unwrap();
    assert_eq!(by_reaction["🔥"], [m.sender_id]);
    assert_eq!(by_reaction["👍"], [b.id]);
    assert_eq!(bob.messages().unread_counts([]).await.unwrap().total, 2);
    bob.messages().mark_all_read(group.id).await.unwrap();
    assert_eq!(bob.messages().unread_counts([]).await.unwrap().total, 0);
    let first: Vec<_> = bob
        .messages()
        .history(group.id)
        .try_collect()
        .await
        .unwrap();
    let summary = first[0].reactions.as_ref().expect("reactions summary");
    assert_eq!(summary.own, ["👍"]);
    assert_eq!(summary.total.get("🔥"), Some(&1));
    assert!(first[0].read_ids.contains(&b.id));
    bob.messages().unreact(m.id, "👍").await.unwrap();
    assert!(
        !alice
            .messages()
            .reactions(m.id)
            .await
            .unwrap()
            .contains_key("👍")
    );

    // Clearing the history: for self, then (the owner) for everyone.
    bob.dialogs().clear_history(group.id, false).await.unwrap();
    let mine: Vec<_> = bob
        .messages()
        .history(group.id)
        .try_collect()
        .await
        .unwrap();
    assert!(mine.is_empty());
    let refused = bob
        .dialogs()
        .clear_history(group.id, true)
        .await
        .unwrap_err();
    assert_eq!(refused.api_error().map(|e| e.status.as_u16()), Some(403));
    alice.dialogs().clear_history(group.id, true).await.unwrap();
    let theirs: Vec<_> = alice
        .messages()
        .history(group.id)
        .try_collect()
        .await
        .unwrap();
    assert!(theirs.is_empty());

    // Online users are the ones connected to chat.
    assert_eq!(alice.users().online_count().await.unwrap(), 0);
    let (chat, _events) = bob.connect_chat().await.expect("chat connects");
    assert_eq!(alice.users().online_count().await.unwrap(), 1);
    let online = alice.users().online(10, 0).await.unwrap();
    assert_eq!(online.iter().map(|u| u.id).collect::<Vec<_>>(), [b.id]);
    assert!(alice.users().online(10, 1).await.unwrap().is_empty());
    chat.disconnect().await;

    // Password reset: 200 without mail, known address or not.
    alice
        .users()
        .reset_password("bob@example.com")
        .await
        .unwrap();
    let app = t.client();
    app.create_app_session().await.unwrap();
    app.users()
        .reset_password("nobody@example.com")
        .await
        .unwrap();
}
