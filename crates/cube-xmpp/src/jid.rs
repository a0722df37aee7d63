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

/// An XMPP address: `[node@]domain[/resource]`, kept as one string with the part
/// boundaries (parsing an owned string allocates nothing).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Jid {
    full: String,
    /// Byte index of the `@` ending the node, if any.
    at: Option<u32>,
    /// Byte index of the `/` starting the resource, if any.
    slash: Option<u32>,
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

/// ASCII bytes no JID part may hold: controls, space, and (outside resources) the
/// separators and characters RFC 7622 forbids in nodes.
const fn ascii_forbidden(allow_at_slash: bool) -> [bool; 128] {
    let mut table = [false; 128];
    let mut b = 0;
    while b < 0x20 {
        table[b] = true;
        b += 1;
    }
    table[0x7f] = true;
    table[b' ' as usize] = true;
    if !allow_at_slash {
        let mut i = 0;
        let special = b"@/\"&':<>";
        while i < special.len() {
            table[special[i] as usize] = true;
            i += 1;
        }
    }
    table
}

const FORBIDDEN_STRICT: [bool; 128] = ascii_forbidden(false);
const FORBIDDEN_RESOURCE: [bool; 128] = ascii_forbidden(true);

fn check_part(part: &str, allow_at_slash: bool) -> Result<(), JidError> {
    if part.len() > MAX_PART {
        return Err(JidError::TooLong);
    }
    let table = if allow_at_slash {
        &FORBIDDEN_RESOURCE
    } else {
        &FORBIDDEN_STRICT
    };
    if part.is_ascii() {
        // The common case, byte by byte.
        return match part.bytes().find(|&b| table[usize::from(b)]) {
            Some(b) => Err(JidError::ForbiddenChar(char::from(b))),
            None => Ok(()),
        };
    }
    let forbidden = |c: char| {
        if c.is_ascii() {
            table[c as usize]
        } else {
            c.is_control() || c.is_whitespace()
        }
    };
    match part.chars().find(|&c| forbidden(c)) {
        Some(c) => Err(JidError::ForbiddenChar(c)),
        None => Ok(()),
    }
}

impl Jid {
    /// Builds a JID from its parts, checking each.
    pub fn new(node: Option<&str>, domain: &str, resource: Option<&str>) -> Result<Self, JidError> {
        let mut full = String::with_capacity(
            node.map_or(0, |n| n.len() + 1) + domain.len() + resource.map_or(0, |r| r.len() + 1),
        );
        if let Some(n) = node {
            if n.is_empty() {
                return Err(JidError::EmptyNode);
            }
            full.push_str(n);
            full.push('@');
        }
        full.push_str(domain);
        if let Some(r) = resource {
            if r.is_empty() {
                return Err(JidError::EmptyResource);
            }
            full.push('/');
            full.push_str(r);
        }
        let jid = Self::parse_owned(full)?;
        // The parts must not have moved a separator (e.g. an `@` inside the domain).
        if jid.node() != node || jid.domain() != domain || jid.resource() != resource {
            return Err(JidError::ForbiddenChar(if domain.contains('/') {
                '/'
            } else {
                '@'
            }));
        }
        Ok(jid)
    }

    /// Parses an owned string without copying it.
    pub fn parse_owned(full: String) -> Result<Self, JidError> {
        let slash = full.find('/');
        let bare = &full[..slash.unwrap_or(full.len())];
        let at = bare.find('@');
        let node = at.map(|a| &bare[..a]);
        let domain = &bare[at.map_or(0, |a| a + 1)..];
        let resource = slash.map(|s| &full[s + 1..]);
        if let Some(n) = node {
            if n.is_empty() {
                return Err(JidError::EmptyNode);
            }
            check_part(n, false)?;
        }
        if domain.is_empty() {
            return Err(JidError::EmptyDomain);
        }
        check_part(domain, false)?;
        if let Some(r) = resource {
            if r.is_empty() {
                return Err(JidError::EmptyResource);
            }
            check_part(r, true)?;
        }
        // Parts are at most 1023 bytes each, so the indices fit.
        Ok(Self {
            at: at.map(|a| a as u32),
            slash: slash.map(|s| s as u32),
            full,
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

    /// The whole address as written.
    pub fn as_str(&self) -> &str {
        &self.full
    }

    /// The whole address as an owned string.
    pub fn into_string(self) -> String {
        self.full
    }

    fn bare_end(&self) -> usize {
        self.slash.map_or(self.full.len(), |s| s as usize)
    }

    /// The node (local part), if any.
    pub fn node(&self) -> Option<&str> {
        self.at.map(|a| &self.full[..a as usize])
    }

    /// The domain part.
    pub fn domain(&self) -> &str {
        &self.full[self.at.map_or(0, |a| a as usize + 1)..self.bare_end()]
    }

    /// The resource, if this is a full JID.
    pub fn resource(&self) -> Option<&str> {
        self.slash.map(|s| &self.full[s as usize + 1..])
    }

    /// Whether this JID has no resource.
    pub fn is_bare(&self) -> bool {
        self.slash.is_none()
    }

    /// The bare part as a string slice (`node@domain`).
    pub fn bare_str(&self) -> &str {
        &self.full[..self.bare_end()]
    }

    /// The same JID without its resource.
    pub fn to_bare(&self) -> Jid {
        Jid {
            full: self.bare_str().to_owned(),
            at: self.at,
            slash: None,
        }
    }

    /// The same bare JID with the given resource.
    pub fn with_resource(&self, resource: &str) -> Result<Jid, JidError> {
        if resource.is_empty() {
            return Err(JidError::EmptyResource);
        }
        check_part(resource, true)?;
        let bare = self.bare_str();
        let mut full = String::with_capacity(bare.len() + 1 + resource.len());
        full.push_str(bare);
        full.push('/');
        full.push_str(resource);
        Ok(Jid {
            at: self.at,
            slash: Some(bare.len() as u32),
            full,
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
        Jid::parse_owned(s.to_owned())
    }
}

impl TryFrom<&str> for Jid {
    type Error = JidError;

    fn try_from(s: &str) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl TryFrom<String> for Jid {
    type Error = JidError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Jid::parse_owned(s)
    }
}

impl From<Jid> for String {
    fn from(j: Jid) -> String {
        j.full
    }
}

impl fmt::Display for Jid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.full)
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
        assert!(Jid::new(None, "a@b", None).is_err());
        assert!(Jid::new(Some("a"), "b/c", None).is_err());
        assert_eq!(
            Jid::new(Some("a"), "b", Some("c/d")).unwrap().to_string(),
            "a@b/c/d"
        );
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
