//! Dialogs: create, add and remove occupants, rename, pin, list, the roles table, delete.
//! Run: `cargo run -p cube-client --example dialogs`.

#[path = "common/mod.rs"]
#[allow(dead_code)] // each example uses part of it
mod common;

use cube_client::{Action, Query};
use futures_util::TryStreamExt;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let target = common::Target::get().await?;
    let (owner, _) = target.user("olivia").await?;
    let (member, m) = target.user("marcus").await?;
    let (_, guest) = target.user("gina").await?;

    let group = owner.dialogs().create_group("Book club", [m.id]).await?;
    println!(
        "created {} ({:?}) with occupants {:?}",
        group.id, group.name, group.occupants_ids
    );
    let d = owner.dialogs().add_occupants(group.id, [guest.id]).await?;
    println!("added gina: {:?}", d.occupants_ids);
    let d = owner
        .dialogs()
        .remove_occupants(group.id, [guest.id])
        .await?;
    println!("removed gina: {:?}", d.occupants_ids);
    let d = member
        .dialogs()
        .rename(group.id, "Book club (Tuesdays)")
        .await?;
    println!("marcus renamed it to {:?}", d.name);

    // The same roles table as the server: hide what would be refused.
    for action in [
        Action::ChangeNamePhotoDescription,
        Action::DeleteDialogForEveryone,
    ] {
        println!(
            "may marcus {action:?}? {}; may olivia? {}",
            member.can(&d, action),
            owner.can(&d, action)
        );
    }
    let refused = member.dialogs().delete_for_everyone(group.id).await;
    println!("marcus tries anyway: {:?}", refused.map_err(|e| e.status()));

    let mine: Vec<_> = owner.dialogs().list(Query::new()).try_collect().await?;
    println!("olivia has {} dialog(s)", mine.len());
    owner.dialogs().delete_for_everyone(group.id).await?;
    println!("deleted for everyone");
    Ok(())
}
