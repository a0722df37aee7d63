//! The server's entry point: route a request to its endpoint and parse it into [`AnyRequest`].

use http::Method;

use crate::endpoint::Endpoint;
use crate::error::FromHttpRequestError;
use crate::metadata::Metadata;

/// Declares the endpoint table once: [`EndpointKind`], [`AnyRequest`] and their dispatch.
macro_rules! endpoints {
    ($($variant:ident => $($module:ident)::+,)+) => {
        /// Names one endpoint; [`route`] answers with it.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum EndpointKind {
            $(
                #[doc = concat!("[`crate::", stringify!($($module)::+), "`].")]
                $variant,
            )+
        }

        impl EndpointKind {
            /// Every endpoint, in declaration order.
            pub const ALL: &'static [EndpointKind] = &[$(EndpointKind::$variant),+];

            /// The endpoint's method, path template and auth.
            pub fn metadata(self) -> Metadata {
                match self {
                    $(EndpointKind::$variant => <crate::$($module)::+::Request as Endpoint>::METADATA,)+
                }
            }
        }

        /// A parsed request of any endpoint; the server matches on it.
        #[derive(Debug, Clone, PartialEq)]
        pub enum AnyRequest {
            $(
                #[doc = concat!("[`crate::", stringify!($($module)::+), "`].")]
                $variant(crate::$($module)::+::Request),
            )+
        }

        impl AnyRequest {
            /// Which endpoint this is.
            pub fn kind(&self) -> EndpointKind {
                match self {
                    $(AnyRequest::$variant(_) => EndpointKind::$variant,)+
                }
            }

            /// The endpoint's method, path template and auth.
            pub fn metadata(&self) -> Metadata {
                self.kind().metadata()
            }

            /// Client side: the HTTP request of whichever endpoint this is.
            pub fn try_into_http_request(
                &self,
                base_url: &str,
                token: Option<&str>,
            ) -> Result<http::Request<Vec<u8>>, $crate::IntoHttpError> {
                match self {
                    $(AnyRequest::$variant(r) => r.try_into_http_request(base_url, token),)+
                }
            }

            fn parse<B: AsRef<[u8]>>(
                kind: EndpointKind,
                req: &http::Request<B>,
                args: &[String],
            ) -> Result<Self, FromHttpRequestError> {
                match kind {
                    $(EndpointKind::$variant => {
                        <crate::$($module)::+::Request as Endpoint>::try_from_http_request(req, args)
                            .map(AnyRequest::$variant)
                    })+
                }
            }
        }

        $(
            impl From<crate::$($module)::+::Request> for AnyRequest {
                fn from(r: crate::$($module)::+::Request) -> Self {
                    AnyRequest::$variant(r)
                }
            }
        )+
    };
}

endpoints! {
    CreateSession => session::create_session,
    GetSession => session::get_session,
    DeleteSession => session::delete_session,
    CreateLogin => session::create_login,
    DeleteLogin => session::delete_login,
    CreateUser => users::create_user,
    GetUser => users::get_user,
    ListUsers => users::list_users,
    UpdateUser => users::update_user,
    DeleteUser => users::delete_user,
    ListOnline => users::list_online,
    CreatePasswordReset => users::create_password_reset,
    GetPasswordReset => users::get_password_reset,
    CreateDialog => chat::create_dialog,
    ListDialogs => chat::list_dialogs,
    UpdateDialog => chat::update_dialog,
    DeleteDialog => chat::delete_dialog,
    UpdateAdmins => chat::update_admins,
    Subscribe => chat::subscribe,
    Unsubscribe => chat::unsubscribe,
    ListOccupants => chat::list_occupants,
    GetNotifications => chat::get_notifications,
    UpdateNotifications => chat::update_notifications,
    BlockUsers => chat::block_users,
    UnblockUsers => chat::unblock_users,
    ClearHistory => chat::clear_history,
    CreateMessage => chat::create_message,
    ListMessages => chat::list_messages,
    UpdateMessages => chat::update_messages,
    DeleteMessages => chat::delete_messages,
    UnreadCounts => chat::unread_counts,
    CreateSystemMessage => chat::create_system_message,
    UpdateDialogMessages => chat::update_dialog_messages,
    UpdateReactions => chat::update_reactions,
    ListReactions => chat::list_reactions,
}

/// Where a request goes: the endpoint and the decoded `{param}` values of its path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The endpoint.
    pub kind: EndpointKind,
    /// The path parameters, percent-decoded, in template order.
    pub path_args: Vec<String>,
}

/// The request path without an optional `.json` suffix and trailing `/`.
fn normalize(path: &str) -> &str {
    let path = path
        .strip_suffix('/')
        .filter(|p| !p.is_empty())
        .unwrap_or(path);
    path.strip_suffix(".json").unwrap_or(path)
}

/// Finds the endpoint for `method` and `path` (`.json` suffix optional).
///
/// Literal segments win over parameters (`GET /users/v2` is `list_users`, not `get_user`). A
/// path that exists with other methods only is [`FromHttpRequestError::MethodNotAllowed`];
/// `HEAD` is routed like `GET`.
pub fn route(method: &Method, path: &str) -> Result<Route, FromHttpRequestError> {
    let normalized = normalize(path);
    let wanted = if method == Method::HEAD {
        &Method::GET
    } else {
        method
    };
    let mut best: Option<(usize, Route)> = None;
    let mut allowed: Vec<Method> = Vec::new();
    for &kind in EndpointKind::ALL {
        let meta = kind.metadata();
        let Some((path_args, literals)) = meta.match_path(normalized) else {
            continue;
        };
        if meta.method != *wanted {
            if !allowed.contains(&meta.method) {
                allowed.push(meta.method);
            }
            continue;
        }
        if best.as_ref().is_none_or(|(score, _)| literals > *score) {
            best = Some((literals, Route { kind, path_args }));
        }
    }
    match best {
        Some((_, route)) => Ok(route),
        None if !allowed.is_empty() => Err(FromHttpRequestError::MethodNotAllowed {
            method: method.clone(),
            path: path.to_owned(),
            allowed,
        }),
        None => Err(FromHttpRequestError::NotFound {
            path: path.to_owned(),
        }),
    }
}

/// Routes and parses a request: the server's single entry point.
pub fn parse_request<B: AsRef<[u8]>>(
    req: &http::Request<B>,
) -> Result<AnyRequest, FromHttpRequestError> {
    let route = route(req.method(), req.uri().path())?;
    AnyRequest::parse(route.kind, req, &route.path_args)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_is_reachable_with_and_without_suffix() {
        for &kind in EndpointKind::ALL {
            let meta = kind.metadata();
            let path = meta.fill_path(&["5f1e6a0c3d9e4a0001a1b2c3"; 2]);
            assert_eq!(route(&meta.method, &path).unwrap().kind, kind, "{path}");
            let bare = path.trim_end_matches(".json");
            assert_eq!(route(&meta.method, bare).unwrap().kind, kind, "{bare}");
        }
    }

    #[test]
    fn literals_win_and_errors_are_told_apart() {
        assert_eq!(
            route(&Method::GET, "/users/v2.json").unwrap().kind,
            EndpointKind::ListUsers
        );
        assert_eq!(
            route(&Method::GET, "/users/5").unwrap().kind,
            EndpointKind::GetUser
        );
        assert_eq!(
            route(&Method::GET, "/chat/Message/unread.json")
                .unwrap()
                .kind,
            EndpointKind::UnreadCounts
        );
        assert_eq!(
            route(&Method::POST, "/chat/Message/system").unwrap().kind,
            EndpointKind::CreateSystemMessage
        );
        assert_eq!(
            route(&Method::GET, "/users/online.json").unwrap().kind,
            EndpointKind::ListOnline
        );
        assert_eq!(
            route(&Method::DELETE, "/chat/Dialog/clearHistory/x")
                .unwrap()
                .kind,
            EndpointKind::ClearHistory
        );
        assert_eq!(
            route(&Method::PUT, "/chat/Message.json").unwrap().kind,
            EndpointKind::UpdateDialogMessages
        );
        assert_eq!(
            route(&Method::PUT, "/chat/Message/x/reactions")
                .unwrap()
                .kind,
            EndpointKind::UpdateReactions
        );
        assert!(matches!(
            route(&Method::PATCH, "/chat/Dialog.json"),
            Err(FromHttpRequestError::MethodNotAllowed { allowed, .. }) if allowed.len() == 2
        ));
        assert!(matches!(
            route(&Method::GET, "/nope.json"),
            Err(FromHttpRequestError::NotFound { .. })
        ));
        assert!(matches!(
            route(&Method::GET, "/"),
            Err(FromHttpRequestError::NotFound { .. })
        ));
    }
}
