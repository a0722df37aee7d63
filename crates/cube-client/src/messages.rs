//! Messages over REST: send, history, read and delivered marks, edit, delete, unread counts,
//! system messages and reactions.

use std::collections::BTreeMap;

use cube_model::{
    DialogId, Message, MessageDeleteResult, MessageId, Query, Sort, SystemMessageResponse,
    UnreadCounts, UserId,
};
use cube_rest::chat::create_message::Target;
use cube_rest::chat::{
    create_message, create_system_message, delete_messages, list_messages, list_reactions,
    unread_counts, update_dialog_messages, update_messages, update_reactions,
};
use futures_util::Stream;

use crate::client::Client;
use crate::error::Error;
use crate::paging::{page_plan, paged};

/// The messages API of a [`Client`] (`client.messages()`).
#[derive(Debug, Clone, Copy)]
pub struct Messages<'a> {
    client: &'a Client,
}

impl Client {
    /// Messages over REST: send, history, marks, edit, delete, unread counts.
    pub fn messages(&self) -> Messages<'_> {
        Messages { client: self }
    }
}

impl Messages<'_> {
    /// Stores a message (`POST /chat/Message`); with `send_to_chat` the server also delivers it
    /// over chat.
    pub async fn create(self, req: create_message::Request) -> Result<Message, Error> {
        Ok(self.client.call(&req).await?.message)
    }

    /// Sends `text` to a dialog: stored, and delivered over chat to its occupants.
    pub async fn send(self, dialog: DialogId, text: impl Into<String>) -> Result<Message, Error> {
        self.create(
            create_message::Request::new(Target::Dialog(dialog), text)
                .with_send_to_chat(true)
                .with_markable(true),
        )
        .await
    }

    /// Every message of a listing (`GET /chat/Message`), fetched page by page (at most 100
    /// each), in the request's sort order (the server's default: oldest first).
    ///
    /// Listing marks the messages read unless the request says `with_mark_as_read(false)`.
    pub fn list(
        self,
        req: list_messages::Request,
    ) -> impl Stream<Item = Result<Message, Error>> + Send + 'static {
        let client = self.client.clone();
        let (limit, start) = page_plan(&req.query);
        paged(limit, start, move |skip, limit| {
            let client = client.clone();
            let mut req = req.clone();
            req.query = req.query.with_skip(skip).with_limit(u64::from(limit));
            async move { Ok(client.call(&req).await?.page) }
        })
    }

    /// The whole history of a dialog, oldest first, without marking it read.
    pub fn history(
        self,
        dialog: DialogId,
    ) -> impl Stream<Item = Result<Message, Error>> + Send + 'static {
        self.list(
            list_messages::Request::new(dialog, Query::new().with_sort(Sort::asc("date_sent")))
                .with_mark_as_read(false),
        )
    }

    /// Marks messages of a dialog read by the current user (`PUT /chat/Message/{ids}`).
    pub async fn mark_read(
        self,
        dialog: DialogId,
        ids: impl IntoIterator<Item = MessageId>,
    ) -> Result<(), Error> {
        self.client
            .call(&update_messages::Request::read(ids, dialog))
            .await?;
        Ok(())
    }

    /// Marks messages of a dialog delivered to the current user.
    pub async fn mark_delivered(
        self,
        dialog: DialogId,
        ids: impl IntoIterator<Item = MessageId>,
    ) -> Result<(), Error> {
        self.client
            .call(&update_messages::Request::delivered(ids, dialog))
            .await?;
        Ok(())
    }

    /// Marks every message of a dialog read by the current user (`PUT /chat/Message` without
    /// ids).
    pub async fn mark_all_read(self, dialog: DialogId) -> Result<(), Error> {
        self.client
            .call(&update_dialog_messages::Request::read(dialog))
            .await?;
        Ok(())
    }

    /// Marks every message of a dialog delivered to the current user.
    pub async fn mark_all_delivered(self, dialog: DialogId) -> Result<(), Error> {
        self.client
            .call(&update_dialog_messages::Request::delivered(dialog))
            .await?;
        Ok(())
    }

    /// Reacts to a message (`PUT /chat/Message/{id}/reactions`); a user has one reaction per
    /// message, so this replaces the current user's previous one.
    pub async fn react(self, id: MessageId, reaction: impl Into<String>) -> Result<(), Error> {
        self.update_reactions(update_reactions::Request::add(id, reaction))
            .await
    }

    /// Takes back the current user's `reaction` to a message.
    pub async fn unreact(self, id: MessageId, reaction: impl Into<String>) -> Result<(), Error> {
        self.update_reactions(update_reactions::Request::remove(id, reaction))
            .await
    }

    /// Adds and removes reactions in one call (the SDK's `updateReaction`).
    pub async fn update_reactions(self, req: update_reactions::Request) -> Result<(), Error> {
        self.client.call(&req).await?;
        Ok(())
    }

    /// Who reacted to a message, by reaction (`GET /chat/Message/{id}/reactions`).
    pub async fn reactions(self, id: MessageId) -> Result<BTreeMap<String, Vec<UserId>>, Error> {
        Ok(self
            .client
            .call(&list_reactions::Request::new(id))
            .await?
            .reactions)
    }

    /// Replaces the text of one of the current user's messages.
    pub async fn edit(
        self,
        dialog: DialogId,
        id: MessageId,
        text: impl Into<String>,
    ) -> Result<(), Error> {
        self.client
            .call(&update_messages::Request::edit(id, text).with_dialog(dialog))
            .await?;
        Ok(())
    }

    /// Deletes messages for the current user, or with `for_everyone` for every occupant (own
    /// messages; admins may delete anyone's in groups).
    pub async fn delete(
        self,
        ids: impl IntoIterator<Item = MessageId>,
        for_everyone: bool,
    ) -> Result<MessageDeleteResult, Error> {
        let ids: Vec<MessageId> = ids.into_iter().collect();
        let resp = self
            .client
            .call(&delete_messages::Request::new(ids.clone()).with_force(for_everyone))
            .await?;
        Ok(resp
            .result
            .unwrap_or_else(|| MessageDeleteResult::from_lists(ids, Vec::new(), Vec::new())))
    }

    /// Unread messages of the current user, in total and for each of `dialogs` (all dialogs
    /// when empty).
    pub async fn unread_counts(
        self,
        dialogs: impl IntoIterator<Item = DialogId>,
    ) -> Result<UnreadCounts, Error> {
        Ok(self
            .client
            .call(&unread_counts::Request::new(dialogs))
            .await?
            .counts)
    }

    /// Sends a system message (`POST /chat/Message/system`): delivered over chat as a
    /// headline, not stored.
    pub async fn send_system(
        self,
        req: create_system_message::Request,
    ) -> Result<SystemMessageResponse, Error> {
        Ok(self.client.call(&req).await?.result)
    }
}
