//! Typed stanzas and payloads.
//!
//! Each type converts from an [`Element`] with `TryFrom` (an element of another type comes
//! back in [`DecodeError::NotMine`]; a malformed one of this type is another error) and into
//! an [`Element`] with `From`. Children a type does not know are kept in its `others`, so
//! parse-then-write loses nothing that matters.

mod error;
mod extra_params;
mod iq;
mod message;
mod presence;

pub use error::{DefinedCondition, ErrorType, StanzaError};
pub use extra_params::{Attachment, ExtraParams, InvalidKey, Param};
pub use iq::{
    Bind, DiscoItem, DiscoItems, Iq, IqPayload, IqType, LastActivity, ListRef, Mobile,
    PrivacyAction, PrivacyItem, PrivacyList, PrivacyQuery, StatusSubscribe,
};
pub use message::{
    Carbon, ChatMarker, ChatState, Delay, DestroyAfter, Forwarded, Message, MessageType, Reaction,
    Reactions, Remove, Replace,
};
pub use presence::{MucItem, MucJoin, MucUser, Presence, PresenceType, Show};

use crate::element::Element;
use crate::error::DecodeError;
use crate::jid::Jid;
use crate::ns;

/// A message, presence or iq.
// Messages are the common case; boxing them would cost an allocation each.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stanza {
    /// `<message/>`.
    Message(Message),
    /// `<presence/>`.
    Presence(Presence),
    /// `<iq/>`.
    Iq(Iq),
}

impl Stanza {
    /// The `id` attribute, if any.
    pub fn id(&self) -> Option<&str> {
        match self {
            Stanza::Message(m) => m.id.as_deref(),
            Stanza::Presence(p) => p.id.as_deref(),
            Stanza::Iq(iq) => Some(&iq.id),
        }
    }

    /// The `from` address, if any.
    pub fn from(&self) -> Option<&Jid> {
        match self {
            Stanza::Message(m) => m.from.as_ref(),
            Stanza::Presence(p) => p.from.as_ref(),
            Stanza::Iq(iq) => iq.from.as_ref(),
        }
    }

    /// The `to` address, if any.
    pub fn to(&self) -> Option<&Jid> {
        match self {
            Stanza::Message(m) => m.to.as_ref(),
            Stanza::Presence(p) => p.to.as_ref(),
            Stanza::Iq(iq) => iq.to.as_ref(),
        }
    }

    /// Sets the `from` address (a server stamps the sender's full JID).
    pub fn set_from(&mut self, from: Option<Jid>) {
        match self {
            Stanza::Message(m) => m.from = from,
            Stanza::Presence(p) => p.from = from,
            Stanza::Iq(iq) => iq.from = from,
        }
    }

    /// Sets the `to` address.
    pub fn set_to(&mut self, to: Option<Jid>) {
        match self {
            Stanza::Message(m) => m.to = to,
            Stanza::Presence(p) => p.to = to,
            Stanza::Iq(iq) => iq.to = to,
        }
    }

    /// Whether an element is a stanza (by name, in `jabber:client`).
    pub fn is_stanza(el: &Element) -> bool {
        el.ns() == ns::CLIENT && matches!(el.name(), "message" | "presence" | "iq")
    }
}

impl TryFrom<Element> for Stanza {
    type Error = DecodeError;

    fn try_from(el: Element) -> Result<Self, Self::Error> {
        if el.ns() != ns::CLIENT {
            return Err(DecodeError::NotMine(el));
        }
        match el.name() {
            "message" => Message::try_from(el).map(Stanza::Message),
            "presence" => Presence::try_from(el).map(Stanza::Presence),
            "iq" => Iq::try_from(el).map(Stanza::Iq),
            _ => Err(DecodeError::NotMine(el)),
        }
    }
}

impl From<Stanza> for Element {
    fn from(s: Stanza) -> Element {
        match s {
            Stanza::Message(m) => m.into(),
            Stanza::Presence(p) => p.into(),
            Stanza::Iq(iq) => iq.into(),
        }
    }
}

impl From<Message> for Stanza {
    fn from(m: Message) -> Self {
        Stanza::Message(m)
    }
}

impl From<Presence> for Stanza {
    fn from(p: Presence) -> Self {
        Stanza::Presence(p)
    }
}

impl From<Iq> for Stanza {
    fn from(iq: Iq) -> Self {
        Stanza::Iq(iq)
    }
}

/// The attributes every stanza shares.
#[derive(Default)]
pub(crate) struct CommonAttrs {
    pub from: Option<Jid>,
    pub to: Option<Jid>,
    pub id: Option<String>,
    pub kind: Option<String>,
    pub lang: Option<String>,
    pub extra: Vec<(String, String)>,
}

impl CommonAttrs {
    /// Takes the attributes out of the element (moving their values).
    pub(crate) fn take(el: &mut Element, element: &'static str) -> Result<Self, DecodeError> {
        let mut out = CommonAttrs::default();
        for (k, v) in el.take_attrs() {
            match k.as_ref() {
                "from" => out.from = Some(parse_jid_owned(v, element, "from")?),
                "to" => out.to = Some(parse_jid_owned(v, element, "to")?),
                "id" => out.id = Some(v),
                "type" => out.kind = Some(v),
                "xml:lang" => out.lang = Some(v),
                _ => out.extra.push((k.into_owned(), v)),
            }
        }
        Ok(out)
    }

    pub(crate) fn write(self, el: &mut Element) {
        if let Some(from) = self.from {
            el.push_attr("from", from.into_string());
        }
        if let Some(to) = self.to {
            el.push_attr("to", to.into_string());
        }
        if let Some(kind) = self.kind {
            el.push_attr("type", kind);
        }
        if let Some(id) = self.id {
            el.push_attr("id", id);
        }
        if let Some(lang) = self.lang {
            el.push_attr("xml:lang", lang);
        }
        for (k, v) in self.extra {
            el.set_attr(k, v);
        }
    }
}

pub(crate) fn parse_jid_owned(
    value: String,
    element: &'static str,
    attr: &'static str,
) -> Result<Jid, DecodeError> {
    Jid::parse_owned(value).map_err(|source| DecodeError::Jid {
        element,
        attr,
        source,
    })
}

pub(crate) fn parse_jid(
    value: &str,
    element: &'static str,
    attr: &'static str,
) -> Result<Jid, DecodeError> {
    value.parse().map_err(|source| DecodeError::Jid {
        element,
        attr,
        source,
    })
}

/// Gives the element back unless it has this name and namespace.
pub(crate) fn expect(el: Element, name: &str, ns: &str) -> Result<Element, DecodeError> {
    if el.is(name, ns) {
        Ok(el)
    } else {
        Err(DecodeError::NotMine(el))
    }
}

pub(crate) fn required_attr(
    el: &Element,
    attr: &'static str,
    element: &'static str,
) -> Result<String, DecodeError> {
    el.attr(attr)
        .map(str::to_owned)
        .ok_or(DecodeError::Missing {
            element,
            what: attr,
        })
}

/// `true`/`1` and `false`/`0` (XML Schema booleans).
pub(crate) fn parse_bool(
    value: &str,
    element: &'static str,
    what: &'static str,
) -> Result<bool, DecodeError> {
    match value {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        other => Err(DecodeError::invalid(element, what, other)),
    }
}

pub(crate) fn parse_num<T: std::str::FromStr>(
    value: &str,
    element: &'static str,
    what: &'static str,
) -> Result<T, DecodeError> {
    value
        .trim()
        .parse()
        .map_err(|_| DecodeError::invalid(element, what, value))
}
