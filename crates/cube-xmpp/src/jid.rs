//! JIDs (RFC 7622 addresses) with ConnectyCube's conventions.
//!
//! ConnectyCube users are `{user_id}-{app_id}@{chat_domain}`, group rooms are
//! `{app_id}_{dialog_id}@{muc_domain}`, and a room occupant's nick (the resource of a room
//! full JID) is the decimal user id (wire.md §8.2).
//!
//! No stringprep/PRECIS normalisation is applied: parts are compared byte for byte, which is
//! what ConnectyCube's own JIDs (digits, `-`, `_`, hex, lowercase domains) need.

use std::fmt;
use std::str::FromStr;

use cube_model::{AppId, DialogId, UserId};

/// The longest a JID part may be, in bytes (RFC 7622 §3).
const MAX_PART: usize = 1023;

/// An XMPP address: `[node@]domain[/resource]`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Jid {
    node: Option<String>,
    domain: String,
    resource: Option<String>,
}

/// Why a string is not a JID.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JidError {
    /// The domain part is empty.
    #[error("jid has an empty domain")]
    EmptyDomain,
    /// `@` with nothing before it.
    #[error("jid has an empty node")]
    EmptyNode,
    /// `/` with nothing after it.
    #[error("jid has an empty resource")]
    EmptyResource,
    /// A part is longer than 1023 bytes.
    #[error("jid part is longer than 1023 bytes")]
    TooLong,
    /// A part holds a character JIDs forbid (whitespace, control characters, `@` or `/` in
    /// the wrong place, quotes, angle brackets).
    #[error("jid contains the forbidden character {0:?}")]
    ForbiddenChar(char),
}

fn check_part(part: &str, allow_at_slash: bool) -> Result<(), JidError> {
    if part.len() > MAX_PART {
        return Err(JidError::TooLong);
    }
    for c in part.chars() {
        let forbidden = c.is_control()
            || c.is_whitespace()
            || (!allow_at_slash && matches!(c, '@' | '/' | '"' | '&' | '\'' | ':' | '<' | '>'));
        if forbidden {
            return Err(JidError::ForbiddenChar(c));
        }
    }
    Ok(())
}

impl Jid {
    /// Builds a JID from its parts, checking each.
    pub fn new(node: Option<&str>, domain: &str, resource: Option<&str>) -> Result<Self, JidError> {
        if domain.is_empty() {
            return Err(JidError::EmptyDomain);
        }
        check_part(domain, false)?;
        if let Some(n) = node {
            if n.is_empty() {
                return Err(JidError::EmptyNode);
            }
            check_part(n, false)?;
        }
        if let Some(r) = resource {
            if r.is_empty() {
                return Err(JidError::EmptyResource);
            }
            check_part(r, true)?;
        }
        Ok(Self {
            node: node.map(str::to_owned),
            domain: domain.to_owned(),
            resource: resource.map(str::to_owned),
        })
    }

    /// A bare domain JID, e.g. the server's own address.
    pub fn domain_jid(domain: &str) -> Result<Self, JidError> {
        Self::new(None, domain, None)
    }

    /// A ConnectyCube user's bare JID: `{user_id}-{app_id}@{domain}`.
    pub fn user(user_id: UserId, app_id: AppId, domain: &str) -> Result<Self, JidError> {
        Self::new(Some(&user_node(user_id, app_id)), domain, None)
    }

    /// A ConnectyCube group room's bare JID: `{app_id}_{dialog_id}@{muc_domain}`.
    pub fn room(app_id: AppId, dialog_id: DialogId, muc_domain: &str) -> Result<Self, JidError> {
        Self::new(
            Some(&format!("{}_{dialog_id}", app_id.get())),
            muc_domain,
            None,
        )
    }

    /// The node (local part), if any.
    pub fn node(&self) -> Option<&str> {
        self.node.as_deref()
    }

    /// The domain part.
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// The resource, if this is a full JID.
    pub fn resource(&self) -> Option<&str> {
        self.resource.as_deref()
    }

    /// Whether this JID has no resource.
    pub fn is_bare(&self) -> bool {
        self.resource.is_none()
    }

    /// The same JID without its resource.
    pub fn to_bare(&self) -> Jid {
        Jid {
            node: self.node.clone(),
            domain: self.domain.clone(),
            resource: None,
        }
    }

    /// The same bare JID with the given resource.
    pub fn with_resource(&self, resource: &str) -> Result<Jid, JidError> {
        if resource.is_empty() {
            return Err(JidError::EmptyResource);
        }
        check_part(resource, true)?;
        Ok(Jid {
            node: self.node.clone(),
            domain: self.domain.clone(),
            resource: Some(resource.to_owned()),
        })
    }

    /// `(user_id, app_id)` of a ConnectyCube user JID (`{user_id}-{app_id}@…`), if it is one.
    pub fn user_and_app(&self) -> Option<(UserId, AppId)> {
        parse_user_node(self.node()?)
    }

    /// The user id of a ConnectyCube user JID (`{user_id}-{app_id}@…`), if it is one.
    pub fn user_id(&self) -> Option<UserId> {
        self.user_and_app().map(|(user, _)| user)
    }

    /// `(app_id, dialog_id)` of a ConnectyCube room JID (`{app_id}_{dialog_id}@…`), if it is
    /// one; the dialog id as written (the JS SDK takes whatever follows `_`).
    pub fn room_parts(&self) -> Option<(AppId, &str)> {
        let (app, dialog) = self.node()?.split_once('_')?;
        if dialog.is_empty() {
            return None;
        }
        Some((AppId(parse_decimal(app)?), dialog))
    }

    /// The dialog id of a ConnectyCube room JID, if it is one and a valid object id.
    pub fn dialog_id(&self) -> Option<DialogId> {
        self.room_parts()?.1.parse().ok()
    }

    /// The user id of a room occupant JID (`{room}/{user_id}`: the nick is the user id).
    pub fn occupant_user_id(&self) -> Option<UserId> {
        self.room_parts()?;
        parse_decimal(self.resource()?).map(UserId)
    }
}

/// The SASL authcid and JID node of a ConnectyCube user: `{user_id}-{app_id}`.
pub fn user_node(user_id: UserId, app_id: AppId) -> String {
    format!("{}-{}", user_id.get(), app_id.get())
}

/// Parses a ConnectyCube authcid or node `{user_id}-{app_id}` into `(user_id, app_id)`.
pub fn parse_user_node(node: &str) -> Option<(UserId, AppId)> {
    let (user, app) = node.split_once('-')?;
    Some((UserId(parse_decimal(user)?), AppId(parse_decimal(app)?)))
}

fn parse_decimal(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

impl FromStr for Jid {
    type Err = JidError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (bare, resource) = match s.split_once('/') {
            Some((bare, resource)) => (bare, Some(resource)),
            None => (s, None),
        };
        let (node, domain) = match bare.split_once('@') {
            Some((node, domain)) => (Some(node), domain),
            None => (None, bare),
        };
        Jid::new(node, domain, resource)
    }
}

impl TryFrom<&str> for Jid {
    type Error = JidError;

    fn try_from(s: &str) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl fmt::Display for Jid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(node) = &self.node {
            write!(f, "{node}@")?;
        }
        f.write_str(&self.domain)?;
        if let Some(resource) = &self.resource {
            write!(f, "/{resource}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_formats_full_jids() {
        let jid: Jid = "5-385@chat.connectycube.com/sdkres1".parse().unwrap();
        assert_eq!(jid.node(), Some("5-385"));
        assert_eq!(jid.domain(), "chat.connectycube.com");
        assert_eq!(jid.resource(), Some("sdkres1"));
        assert_eq!(jid.to_string(), "5-385@chat.connectycube.com/sdkres1");
        assert_eq!(jid.to_bare().to_string(), "5-385@chat.connectycube.com");
        assert_eq!(jid.user_and_app(), Some((UserId(5), AppId(385))));
    }

    #[test]
    fn resource_may_hold_at_and_slash() {
        let jid: Jid = "a@b/c@d/e".parse().unwrap();
        assert_eq!(jid.resource(), Some("c@d/e"));
    }

    #[test]
    fn rejects_empty_parts() {
        assert_eq!("@x".parse::<Jid>(), Err(JidError::EmptyNode));
        assert_eq!("x/".parse::<Jid>(), Err(JidError::EmptyResource));
        assert_eq!("a@".parse::<Jid>(), Err(JidError::EmptyDomain));
        assert!("a b@c".parse::<Jid>().is_err());
    }

    #[test]
    fn connectycube_conventions() {
        let user = Jid::user(UserId(6), AppId(385), "chat.connectycube.com").unwrap();
        assert_eq!(user.to_string(), "6-385@chat.connectycube.com");
        assert_eq!(user.user_id(), Some(UserId(6)));
        let dialog: DialogId = "5f1e6a0c3d9e4a0001a1b2c3".parse().unwrap();
        let room = Jid::room(AppId(385), dialog, "muc.chat.connectycube.com").unwrap();
        assert_eq!(
            room.to_string(),
            "385_5f1e6a0c3d9e4a0001a1b2c3@muc.chat.connectycube.com"
        );
        assert_eq!(
            room.room_parts(),
            Some((AppId(385), "5f1e6a0c3d9e4a0001a1b2c3"))
        );
        assert_eq!(room.dialog_id(), Some(dialog));
        let occupant = room.with_resource("7").unwrap();
        assert_eq!(occupant.occupant_user_id(), Some(UserId(7)));
        assert_eq!(user.occupant_user_id(), None);
        assert_eq!(room.user_id(), None);
        assert_eq!(parse_user_node("5-385"), Some((UserId(5), AppId(385))));
        assert_eq!(parse_user_node("5-x"), None);
    }
}
