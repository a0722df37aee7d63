//! Messages over REST: send, history (a stream), read marks, edit, delete, unread counts.
//! Run: `cargo run -p cube-client --example messages`.

#[path = "common/mod.rs"]
#[allow(dead_code)] // each example uses part of it
mod common;

use futures_util::TryStreamExt;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let target = common::Target::get().await?;
    let (alice, _) = target.user("alice").await?;
    let (bob, b) = target.user("bob").await?;
    let dialog = alice.dialogs().create_group("Plans", [b.id]).await?;

    let mut ids = Vec::new();
    for text in ["Lunch at noon?", "Or one o'clock", "Either works"] {
        ids.push(alice.messages().send(dialog.id, text).await?.id);
    }
    println!(
        "bob has {} unread",
        bob.messages().unread_counts([dialog.id]).await?.total
    );

    let history: Vec<_> = bob.messages().history(dialog.id).try_collect().await?;
    for m in &history {
        println!(
            "  {} from {}: {}",
            m.id,
            m.sender_id,
            m.message.as_deref().unwrap_or("")
        );
    }
    bob.messages()
        .mark_read(dialog.id, ids.iter().copied())
        .await?;
    println!(
        "bob read them; unread now {}",
        bob.messages().unread_counts([]).await?.total
    );

    alice.messages().edit(dialog.id, ids[1], "Or 1 pm").await?;
    let result = alice.messages().delete([ids[2]], true).await?;
    let deleted: Vec<String> = result
        .successfully_deleted
        .ids
        .iter()
        .map(ToString::to_string)
        .collect();
    println!("edited one, deleted {deleted:?}");
    Ok(())
}
