//! Chat: two users online, a 1:1 message with a read marker, typing, a group message.
//! Run: `cargo run -p cube-client --example chat`.

#[path = "common/mod.rs"]
#[allow(dead_code)] // each example uses part of it
mod common;

use std::time::Duration;

use cube_client::chat::{ChatEvent, ChatEvents, OutgoingMessage, Target};

/// The next event `pick` accepts, within a few seconds.
async fn next<T>(
    events: &mut ChatEvents,
    mut pick: impl FnMut(&ChatEvent) -> Option<T>,
) -> anyhow::Result<T> {
    tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(ev) = events.recv().await {
            if let Some(t) = pick(&ev) {
                return Ok(t);
            }
        }
        anyhow::bail!("the connection closed")
    })
    .await?
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let target = common::Target::get().await?;
    let (alice, _) = target.user("alice").await?;
    let (bob, b) = target.user("bob").await?;
    let (a_chat, mut a_events) = alice.connect_chat().await?;
    let (b_chat, mut b_events) = bob.connect_chat().await?;
    println!("online: {} and {}", a_chat.jid(), b_chat.jid());

    let private = alice.dialogs().create_private(b.id).await?;
    a_chat.typing(&Target::User(b.id), true)?;
    let id =
        a_chat.send(OutgoingMessage::new(Target::User(b.id), "Hi Bob!").in_dialog(private.id))?;
    let msg = next(&mut b_events, |ev| match ev {
        ChatEvent::Message(m) if m.id.as_deref() == Some(&id) => Some(m.clone()),
        _ => None,
    })
    .await?;
    println!("bob got {:?} from user {:?}", msg.body, msg.sender_id);
    b_chat.mark_read(&msg)?;
    next(&mut a_events, |ev| {
        matches!(ev, ChatEvent::Read { id: r, .. } if *r == id).then_some(())
    })
    .await?;
    println!("alice saw bob read it");

    let group = alice.dialogs().create_group("Team", [b.id]).await?;
    let gid = a_chat.send_to_dialog(group.id, "Hello team")?;
    next(&mut b_events, |ev| match ev {
        ChatEvent::Message(m) if m.id.as_deref() == Some(&gid) => Some(()),
        _ => None,
    })
    .await?;
    println!("bob got the group message");

    a_chat.disconnect().await;
    b_chat.disconnect().await;
    Ok(())
}
