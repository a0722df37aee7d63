//! Dialogs: create, update (occupants, admins, pins), delete, list, subscribe, occupants,
//! notification settings, block lists and clearing the history.

use cube_model::{
    Action, Decision, Dialog, DialogDeleteResult, DialogId, DialogType, MessageId, Query, User,
    UserId,
};
use cube_rest::chat::{
    IdChanges, block_users, clear_history, create_dialog, delete_dialog, get_notifications,
    list_dialogs, list_occupants, subscribe, unblock_users, unsubscribe, update_admins,
    update_dialog, update_notifications,
};
use futures_util::Stream;

use crate::client::Client;
use crate::error::Error;
use crate::paging::{page_plan, paged};

/// The dialogs API of a [`Client`] (`client.dialogs()`).
#[derive(Debug, Clone, Copy)]
pub struct Dialogs<'a> {
    client: &'a Client,
}

impl Client {
    /// Dialogs: create, update, delete, list, subscribe.
    pub fn dialogs(&self) -> Dialogs<'_> {
        Dialogs { client: self }
    }

    /// What the roles table (roles.md) says the current user may do in `dialog`; the server
    /// decides the same way, so a caller can hide what would be refused.
    pub fn decide(&self, dialog: &Dialog, action: Action) -> Decision {
        match self.current_user_id() {
            Some(me) => dialog.decide(me, action),
            None => Decision::Refused,
        }
    }

    /// Whether the current user may do `action` in `dialog` (see [`Client::decide`]).
    pub fn can(&self, dialog: &Dialog, action: Action) -> bool {
        self.decide(dialog, action).is_allowed()
    }
}

impl Dialogs<'_> {
    /// Creates a dialog (`POST /chat/Dialog`); the creator becomes its owner and an occupant.
    pub async fn create(self, req: create_dialog::Request) -> Result<Dialog, Error> {
        Ok(self.client.call(&req).await?.dialog)
    }

    /// Creates a group dialog named `name` with `occupants` (the creator is added).
    pub async fn create_group(
        self,
        name: impl Into<String>,
        occupants: impl IntoIterator<Item = UserId>,
    ) -> Result<Dialog, Error> {
        self.create(create_dialog::Request::new(DialogType::Group, occupants).with_name(name))
            .await
    }

    /// Creates (or finds) the private dialog with `user`.
    pub async fn create_private(self, user: UserId) -> Result<Dialog, Error> {
        self.create(create_dialog::Request::new(DialogType::Private, [user]))
            .await
    }

    /// Creates a public dialog named `name`, which any user may subscribe to.
    pub async fn create_public(self, name: impl Into<String>) -> Result<Dialog, Error> {
        self.create(create_dialog::Request::new(DialogType::Public, []).with_name(name))
            .await
    }

    /// Updates a dialog (`PUT /chat/Dialog/{id}`): any mix of name, description, photo,
    /// extensions, permissions, and `push_all` / `pull_all` of occupants, admins and pins.
    pub async fn update(self, req: update_dialog::Request) -> Result<Dialog, Error> {
        Ok(self.client.call(&req).await?.dialog)
    }

    /// Renames a dialog.
    pub async fn rename(self, id: DialogId, name: impl Into<String>) -> Result<Dialog, Error> {
        self.update(update_dialog::Request::new(id).with_name(name))
            .await
    }

    /// Adds occupants to a group dialog.
    pub async fn add_occupants(
        self,
        id: DialogId,
        users: impl IntoIterator<Item = UserId>,
    ) -> Result<Dialog, Error> {
        self.update(
            update_dialog::Request::new(id).with_push_all(IdChanges::new().with_occupants(users)),
        )
        .await
    }

    /// Removes occupants from a group dialog (removing oneself is leaving).
    pub async fn remove_occupants(
        self,
        id: DialogId,
        users: impl IntoIterator<Item = UserId>,
    ) -> Result<Dialog, Error> {
        self.update(
            update_dialog::Request::new(id).with_pull_all(IdChanges::new().with_occupants(users)),
        )
        .await
    }

    /// Pins messages in a dialog.
    pub async fn pin(
        self,
        id: DialogId,
        messages: impl IntoIterator<Item = MessageId>,
    ) -> Result<Dialog, Error> {
        self.update(
            update_dialog::Request::new(id).with_push_all(IdChanges::new().with_pinned(messages)),
        )
        .await
    }

    /// Unpins messages in a dialog.
    pub async fn unpin(
        self,
        id: DialogId,
        messages: impl IntoIterator<Item = MessageId>,
    ) -> Result<Dialog, Error> {
        self.update(
            update_dialog::Request::new(id).with_pull_all(IdChanges::new().with_pinned(messages)),
        )
        .await
    }

    /// Makes users admins of a dialog (`PUT /chat/Dialog/{id}/admins`, the owner only).
    pub async fn add_admins(
        self,
        id: DialogId,
        users: impl IntoIterator<Item = UserId>,
    ) -> Result<Dialog, Error> {
        Ok(self
            .client
            .call(&update_admins::Request::add(id, users))
            .await?
            .dialog)
    }

    /// Takes admin rights away (`PUT /chat/Dialog/{id}/admins`, the owner only).
    pub async fn remove_admins(
        self,
        id: DialogId,
        users: impl IntoIterator<Item = UserId>,
    ) -> Result<Dialog, Error> {
        Ok(self
            .client
            .call(&update_admins::Request::remove(id, users))
            .await?
            .dialog)
    }

    /// Deletes a dialog for the current user only (leaves it).
    pub async fn delete(self, id: DialogId) -> Result<(), Error> {
        self.client.call(&delete_dialog::Request::new([id])).await?;
        Ok(())
    }

    /// Deletes a dialog for everyone (`force=1`; the owner only).
    pub async fn delete_for_everyone(self, id: DialogId) -> Result<(), Error> {
        self.client
            .call(&delete_dialog::Request::new([id]).with_force(true))
            .await?;
        Ok(())
    }

    /// Deletes many dialogs at once; the answer tells which were deleted, not found or refused.
    pub async fn delete_many(
        self,
        ids: impl IntoIterator<Item = DialogId>,
        force: bool,
    ) -> Result<DialogDeleteResult, Error> {
        let ids: Vec<DialogId> = ids.into_iter().collect();
        let resp = self
            .client
            .call(&delete_dialog::Request::new(ids.clone()).with_force(force))
            .await?;
        // A single-id delete is a text endpoint that answers with an empty body.
        Ok(resp
            .result
            .unwrap_or_else(|| DialogDeleteResult::from_lists(ids, Vec::new(), Vec::new())))
    }

    /// Every dialog of the current user matching `query` (`GET /chat/Dialog`), fetched page by
    /// page (at most 100 each).
    pub fn list(self, query: Query) -> impl Stream<Item = Result<Dialog, Error>> + Send + 'static {
        let client = self.client.clone();
        let (limit, start) = page_plan(&query);
        paged(limit, start, move |skip, limit| {
            let client = client.clone();
            let q = query
                .clone()
                .with_skip(skip)
                .with_limit(u64::from(limit))
                .with_count(false);
            async move {
                match client.call(&list_dialogs::Request::new(q)).await? {
                    list_dialogs::Response::Page(page) => Ok(page),
                    // Not asked for; an empty page ends the listing.
                    _ => Ok(cube_model::Page::new(skip, u64::from(limit), Vec::new())),
                }
            }
        })
    }

    /// The number of dialogs matching `query` (`count=1`).
    pub async fn count(self, query: Query) -> Result<u64, Error> {
        match self
            .client
            .call(&list_dialogs::Request::new(query.with_count(true)))
            .await?
        {
            list_dialogs::Response::Count(n) => Ok(n),
            list_dialogs::Response::Page(page) => {
                Ok(page.total_entries.unwrap_or(page.items.len() as u64))
            }
            _ => Ok(0),
        }
    }

    /// Subscribes the current user to a public dialog.
    pub async fn subscribe(self, id: DialogId) -> Result<Dialog, Error> {
        Ok(self.client.call(&subscribe::Request::new(id)).await?.dialog)
    }

    /// Unsubscribes the current user from a public dialog.
    pub async fn unsubscribe(self, id: DialogId) -> Result<(), Error> {
        self.client.call(&unsubscribe::Request::new(id)).await?;
        Ok(())
    }

    /// Every subscriber of a public dialog (`GET /chat/Dialog/{id}/occupants`), page by page.
    pub fn occupants(
        self,
        id: DialogId,
    ) -> impl Stream<Item = Result<User, Error>> + Send + 'static {
        let client = self.client.clone();
        paged(cube_rest::paging::MAX_LIMIT, 0, move |skip, limit| {
            let client = client.clone();
            async move {
                let req = list_occupants::Request::new(id).with_page(u64::from(limit), skip);
                let mut page = client.call(&req).await?.page;
                // The endpoint may omit paging fields; the request's are the truth.
                page.skip = skip;
                page.limit = u64::from(limit);
                Ok(page)
            }
        })
    }

    /// Whether push notifications are on for a dialog.
    pub async fn notifications(self, id: DialogId) -> Result<bool, Error> {
        Ok(self
            .client
            .call(&get_notifications::Request::new(id))
            .await?
            .enabled)
    }

    /// Turns push notifications of a dialog on or off; answers the new setting.
    pub async fn set_notifications(self, id: DialogId, enabled: bool) -> Result<bool, Error> {
        Ok(self
            .client
            .call(&update_notifications::Request::new(id, enabled))
            .await?
            .enabled)
    }

    /// Blocks users of a public or broadcast dialog (`POST /chat/Dialog/{id}/block`; admins and
    /// the owner): they are unsubscribed and can no longer send, subscribe or read.
    pub async fn block(
        self,
        id: DialogId,
        users: impl IntoIterator<Item = UserId>,
    ) -> Result<(), Error> {
        self.client
            .call(&block_users::Request::new(id, users))
            .await?;
        Ok(())
    }

    /// Unblocks users of a public or broadcast dialog (`DELETE /chat/Dialog/{id}/block`).
    pub async fn unblock(
        self,
        id: DialogId,
        users: impl IntoIterator<Item = UserId>,
    ) -> Result<(), Error> {
        self.client
            .call(&unblock_users::Request::new(id, users))
            .await?;
        Ok(())
    }

    /// Hides a dialog's messages so far from the current user
    /// (`DELETE /chat/Dialog/clearHistory/{id}`), or with `for_everyone` deletes them for every
    /// occupant (admins and the owner).
    pub async fn clear_history(self, id: DialogId, for_everyone: bool) -> Result<(), Error> {
        self.client
            .call(&clear_history::Request::new(id).with_force(for_everyone))
            .await?;
        Ok(())
    }

    /// Checks locally whether the current user may do `action` in `dialog`, and returns the
    /// error the server would answer with when not (for callers that want one code path).
    pub fn check(self, dialog: &Dialog, action: Action) -> Result<(), &'static str> {
        let me = self
            .client
            .current_user_id()
            .ok_or("Forbidden. Need user.")?;
        match dialog.refusal_reason(me, action) {
            None => Ok(()),
            Some(reason) => Err(reason),
        }
    }
}
