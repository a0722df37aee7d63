//! Users: sign-up, reads, search, online users, profile updates, password reset and deletion.

use cube_model::{Query, User, UserId};
use cube_rest::users::{
    UserParams, create_password_reset, create_user, delete_user, get_user, list_online, list_users,
    update_user,
};
use futures_util::Stream;

use crate::client::Client;
use crate::error::{Call, Error};
use crate::paging::{page_plan, paged};

/// The users API of a [`Client`] (`client.users()`).
#[derive(Debug, Clone, Copy)]
pub struct Users<'a> {
    client: &'a Client,
}

impl Client {
    /// Users: sign-up, reads, search, profile updates, deletion.
    pub fn users(&self) -> Users<'_> {
        Users { client: self }
    }
}

impl Users<'_> {
    /// Signs a user up (`POST /users`): with the session token when the client has a session,
    /// otherwise with the application's auth key.
    pub async fn sign_up(self, user: UserParams) -> Result<User, Error> {
        let key = self.client.config().auth_key.expose().to_owned();
        let req = create_user::Request::new(user).with_auth_key(key);
        Ok(self.client.call(&req).await?.user)
    }

    /// Reads one user (`GET /users/{id}`).
    pub async fn get(self, id: UserId) -> Result<User, Error> {
        Ok(self.client.call(&get_user::Request::new(id)).await?.user)
    }

    /// Every user matching `query` (`GET /users/v2`), fetched page by page (at most 100 each).
    ///
    /// The server needs at least one filter on a stand-alone field (`id`, `login`, ...).
    pub fn list(self, query: Query) -> impl Stream<Item = Result<User, Error>> + Send + 'static {
        let client = self.client.clone();
        let (limit, start) = page_plan(&query);
        paged(limit, start, move |offset, limit| {
            let client = client.clone();
            let q = query
                .clone()
                .with_offset(offset)
                .with_limit(u64::from(limit));
            async move { Ok(client.call(&list_users::Request::new(q)).await?.page) }
        })
    }

    /// The users connected to chat now (`GET /users/online`), one page of at most `limit`
    /// after `offset`.
    pub async fn online(self, limit: u64, offset: u64) -> Result<Vec<User>, Error> {
        let req = list_online::Request::new().with_page(limit, offset);
        match self.client.call(&req).await? {
            list_online::Response::Users(users) => Ok(users),
            // Not asked for: no users to show.
            _ => Ok(Vec::new()),
        }
    }

    /// The number of users connected to chat now (`GET /users/online?count=true`).
    pub async fn online_count(self) -> Result<u64, Error> {
        match self.client.call(&list_online::Request::count()).await? {
            list_online::Response::Count(n) => Ok(n),
            list_online::Response::Users(users) => Ok(users.len() as u64),
            _ => Ok(0),
        }
    }

    /// Asks for a password-reset mail to `email` (`POST /users/password/reset`). The local
    /// server answers without sending mail.
    pub async fn reset_password(self, email: impl Into<String>) -> Result<(), Error> {
        self.client
            .call(&create_password_reset::Request::new(email))
            .await?;
        Ok(())
    }

    /// Updates the current user's profile (`PUT /users/{id}`); a password change needs
    /// `with_old_password`.
    pub async fn update(self, user: UserParams) -> Result<User, Error> {
        let me = self
            .client
            .require_user(Call::of::<update_user::Request>())?;
        Ok(self
            .client
            .call(&update_user::Request::new(me, user))
            .await?
            .user)
    }

    /// Deletes the current user's account (`DELETE /users/{id}`).
    pub async fn delete_me(self) -> Result<(), Error> {
        let me = self
            .client
            .require_user(Call::of::<delete_user::Request>())?;
        self.client.call(&delete_user::Request::new(me)).await?;
        Ok(())
    }
}
