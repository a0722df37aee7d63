//! Users: sign-up, read, search (a stream that pages by itself), update, delete.
//! Run: `cargo run -p cube-client --example users`.

#[path = "common/mod.rs"]
#[allow(dead_code)] // each example uses part of it
mod common;

use cube_client::model::{Filter, Op};
use cube_client::{Query, UserParams};
use futures_util::TryStreamExt;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let target = common::Target::get().await?;
    let (client, me) = target.user("grace").await?;
    for i in 0..5 {
        client
            .users()
            .sign_up(
                UserParams::new()
                    .with_login(format!("colleague{i}"))
                    .with_password("colleague-pass-1")
                    .with_full_name(format!("Colleague {i}")),
            )
            .await?;
    }
    let one = client.users().get(me.id).await?;
    println!("user {}: {:?}", one.id, one.login);

    // Pages of 2: the stream asks for the next page when it needs it.
    let ids: Vec<String> = (1..=20).map(|i: u64| i.to_string()).collect();
    let everyone: Vec<_> = client
        .users()
        .list(
            Query::new()
                .with_filter(Filter::list("id", Op::In, ids))
                .with_limit(2),
        )
        .try_collect()
        .await?;
    println!("{} users, fetched two at a time", everyone.len());

    let updated = client
        .users()
        .update(UserParams::new().with_full_name("Grace Hopper"))
        .await?;
    println!("renamed to {:?}", updated.full_name);
    client.users().delete_me().await?;
    println!("deleted user {}", me.id);
    Ok(())
}
