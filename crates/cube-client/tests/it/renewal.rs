//! Sessions that expire under the user are renewed with the held credentials, once.

use std::time::Duration;

use cube_client::{Query, SessionCredentials, UserParams};
use futures_util::TryStreamExt;

use crate::support::TestServer;

#[tokio::test]
async fn expired_sessions_are_renewed_and_the_call_goes_through() {
    let t = TestServer::start_with(|mut c| {
        c.token_lifetime = Duration::from_secs(60);
        c
    })
    .await;
    let (alice, a) = t.user("alice").await;
    let mut tokens = alice.token_updates();
    let first = alice.token().unwrap();
    tokens.borrow_and_update();

    // Past the lifetime: the next call meets 401 "Required session does not exist", renews
    // with the held login and password, and is answered.
    t.clock.advance_millis(61_000);
    let dialogs: Vec<_> = alice
        .dialogs()
        .list(Query::new())
        .try_collect()
        .await
        .unwrap();
    assert!(dialogs.is_empty());
    let second = alice.token().unwrap();
    assert_ne!(first, second);
    assert!(tokens.has_changed().unwrap(), "the chat layer is told");
    assert_eq!(alice.current_user_id(), Some(a.id));

    // Many calls at once across an expiry renew once between them and all succeed.
    t.clock.advance_millis(61_000);
    let calls = (0..8).map(|_| alice.users().get(a.id));
    let users = futures_util::future::join_all(calls).await;
    assert!(users.iter().all(Result::is_ok), "{users:?}");
    assert_ne!(alice.token().unwrap(), second);

    // A login upgrade is what renewal re-creates: a user session.
    let c = t.client();
    c.create_app_session().await.unwrap();
    c.login(SessionCredentials::login("alice", "alice-pass"))
        .await
        .unwrap();
    t.clock.advance_millis(61_000);
    let me = c
        .users()
        .update(UserParams::new().with_full_name("Renewed"))
        .await
        .unwrap();
    assert_eq!(me.id, a.id);

    // A token set from outside cannot be renewed: the 401 reaches the caller.
    let outside = t.client();
    outside.set_token(alice.token().unwrap().expose(), Some(a.id));
    t.clock.advance_millis(61_000);
    let err = outside.users().get(a.id).await.unwrap_err();
    assert!(err.is_session_expired(), "{err:?}");
}

#[tokio::test]
async fn signed_sessions_are_renewed_too() {
    let t = TestServer::start_with(|mut c| {
        c.token_lifetime = Duration::from_secs(60);
        c
    })
    .await;
    let (_, a) = t.user("alice").await;
    let c = t.signing_client();
    c.create_user_session("alice", "alice-pass").await.unwrap();
    t.clock.advance_millis(61_000);
    assert_eq!(c.users().get(a.id).await.unwrap().id, a.id);
}
