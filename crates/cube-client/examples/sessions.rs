//! Sessions: application session, sign-up, user session (unsigned and signed), login upgrade,
//! logout, destroy. Run: `cargo run -p cube-client --example sessions`.

#[path = "common/mod.rs"]
#[allow(dead_code)] // each example uses part of it
mod common;

use cube_client::{SessionCredentials, UserParams};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let target = common::Target::get().await?;
    let client = target.builder().build()?;

    // An application session: enough to sign users up.
    let app = client.create_app_session().await?;
    println!("application session {} (user {})", app.id, app.user_id);
    let user = client
        .users()
        .sign_up(
            UserParams::new()
                .with_login("ada")
                .with_password("ada-secret-1"),
        )
        .await?;
    println!(
        "signed up {} as user {}",
        user.login.as_deref().unwrap_or("?"),
        user.id
    );

    // Upgrade the application session to a user session: same token, now with a user.
    let me = client
        .login(SessionCredentials::login("ada", "ada-secret-1"))
        .await?;
    println!(
        "logged in as {}; current user {:?}",
        me.id,
        client.current_user_id()
    );
    client.logout().await?;
    println!("logged out; current user {:?}", client.current_user_id());

    // A user session in one call (what renewal re-creates when the token expires).
    let session = client.create_user_session("ada", "ada-secret-1").await?;
    println!("user session {} for user {}", session.id, session.user_id);
    let remote = client.session().await?;
    println!("the server agrees: user {}", remote.user_id);
    client.destroy_session().await?;
    println!(
        "session destroyed; held: {}",
        client.current_session().is_some()
    );

    // Errors say which call failed and why.
    let err = client
        .create_user_session("ada", "wrong password")
        .await
        .expect_err("a wrong password is refused");
    println!(
        "refused as expected: {err} ({:?})",
        err.api_error().map(cube_client::ApiError::messages)
    );
    Ok(())
}
