//! `<presence/>`, MUC join and occupant information.

use crate::element::Element;
use crate::error::DecodeError;
use crate::jid::Jid;
use crate::macros::wire_enum;
use crate::ns;

use super::{CommonAttrs, StanzaError, expect, parse_num};

wire_enum! {
    /// `type` of a presence (absent means available).
    pub enum PresenceType {
        /// Going offline, or leaving a room.
        Unavailable => "unavailable",
        /// Subscription request.
        Subscribe => "subscribe",
        /// Subscription approved.
        Subscribed => "subscribed",
        /// Unsubscription request.
        Unsubscribe => "unsubscribe",
        /// Subscription cancelled.
        Unsubscribed => "unsubscribed",
        /// Presence probe.
        Probe => "probe",
        /// An error.
        Error => "error",
    }
}

wire_enum! {
    /// `<show>`: availability detail.
    pub enum Show {
        /// Away.
        Away => "away",
        /// Free for chat.
        Chat => "chat",
        /// Do not disturb.
        Dnd => "dnd",
        /// Extended away.
        Xa => "xa",
    }
}

/// `<x xmlns="http://jabber.org/protocol/muc">`: a room join request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct MucJoin {
    /// `<history maxstanzas>` (the JS SDK asks for `0`).
    pub history_max_stanzas: Option<u32>,
    /// `<password>`.
    pub password: Option<String>,
    /// Other children, kept verbatim.
    pub others: Vec<Element>,
}

impl MucJoin {
    /// A join asking for no history, as the JS SDK sends it.
    pub fn without_history() -> Self {
        Self {
            history_max_stanzas: Some(0),
            ..Self::default()
        }
    }
}

impl TryFrom<Element> for MucJoin {
    type Error = DecodeError;

    fn try_from(el: Element) -> Result<Self, Self::Error> {
        let el = expect(el, "x", ns::MUC)?;
        let mut out = MucJoin::default();
        for child in el.into_children() {
            if child.is("history", ns::MUC) && child.attr_count() <= 1 {
                if let Some(v) = child.attr("maxstanzas") {
                    out.history_max_stanzas = Some(parse_num(v, "history", "maxstanzas")?);
                    continue;
                }
            }
            if child.is("password", ns::MUC) {
                out.password = Some(child.text());
                continue;
            }
            out.others.push(child);
        }
        Ok(out)
    }
}

impl From<MucJoin> for Element {
    fn from(j: MucJoin) -> Element {
        let mut el = Element::new("x", ns::MUC);
        if let Some(n) = j.history_max_stanzas {
            el.push_child(Element::new("history", ns::MUC).with_attr("maxstanzas", n.to_string()));
        }
        if let Some(p) = j.password {
            el.push_child(Element::new("password", ns::MUC).with_text(p));
        }
        for o in j.others {
            el.push_child(o);
        }
        el
    }
}

/// `<item>` of [`MucUser`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct MucItem {
    /// `affiliation` (owner, admin, member, outcast, none).
    pub affiliation: Option<String>,
    /// `role` (moderator, participant, visitor, none).
    pub role: Option<String>,
    /// `jid`: the occupant's real JID.
    pub jid: Option<String>,
    /// `nick`.
    pub nick: Option<String>,
    /// `<actor jid>`: who did it (kicks).
    pub actor: Option<String>,
    /// `<reason>`.
    pub reason: Option<String>,
}

/// `<x xmlns="http://jabber.org/protocol/muc#user">`: occupant information and status codes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct MucUser {
    /// The items.
    pub items: Vec<MucItem>,
    /// Status codes (110 self-presence, 301 banned, 307 kicked…).
    pub status_codes: Vec<u16>,
    /// Other children, kept verbatim.
    pub others: Vec<Element>,
}

impl TryFrom<Element> for MucUser {
    type Error = DecodeError;

    fn try_from(el: Element) -> Result<Self, Self::Error> {
        let el = expect(el, "x", ns::MUC_USER)?;
        let mut out = MucUser::default();
        for child in el.into_children() {
            if child.is("status", ns::MUC_USER) {
                if let Some(code) = child.attr("code") {
                    out.status_codes.push(parse_num(code, "status", "code")?);
                    continue;
                }
            }
            if child.is("item", ns::MUC_USER) {
                let get = |k: &str| child.attr(k).map(str::to_owned);
                let mut item = MucItem {
                    affiliation: get("affiliation"),
                    role: get("role"),
                    jid: get("jid"),
                    nick: get("nick"),
                    ..MucItem::default()
                };
                for sub in child.children() {
                    if sub.is("actor", ns::MUC_USER) {
                        item.actor = sub.attr("jid").or(sub.attr("nick")).map(str::to_owned);
                    } else if sub.is("reason", ns::MUC_USER) {
                        item.reason = Some(sub.text());
                    }
                }
                out.items.push(item);
                continue;
            }
            out.others.push(child);
        }
        Ok(out)
    }
}

impl From<MucUser> for Element {
    fn from(u: MucUser) -> Element {
        let mut el = Element::new("x", ns::MUC_USER);
        for item in u.items {
            let mut i = Element::new("item", ns::MUC_USER)
                .with_opt_attr("affiliation", item.affiliation)
                .with_opt_attr("role", item.role)
                .with_opt_attr("jid", item.jid)
                .with_opt_attr("nick", item.nick);
            if let Some(actor) = item.actor {
                i.push_child(Element::new("actor", ns::MUC_USER).with_attr("jid", actor));
            }
            if let Some(reason) = item.reason {
                i.push_child(Element::new("reason", ns::MUC_USER).with_text(reason));
            }
            el.push_child(i);
        }
        for code in u.status_codes {
            el.push_child(Element::new("status", ns::MUC_USER).with_attr("code", code.to_string()));
        }
        for o in u.others {
            el.push_child(o);
        }
        el
    }
}

/// `<presence/>`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Presence {
    /// `from`.
    pub from: Option<Jid>,
    /// `to`.
    pub to: Option<Jid>,
    /// `id`.
    pub id: Option<String>,
    /// `type` (absent means available).
    pub kind: Option<PresenceType>,
    /// `xml:lang`.
    pub lang: Option<String>,
    /// `<show>`.
    pub show: Option<Show>,
    /// `<status>`.
    pub status: Option<String>,
    /// `<priority>`.
    pub priority: Option<i8>,
    /// MUC join request.
    pub muc: Option<MucJoin>,
    /// MUC occupant information.
    pub muc_user: Option<MucUser>,
    /// The error of an error presence.
    pub error: Option<StanzaError>,
    /// Children this type does not know, in order.
    pub others: Vec<Element>,
    /// Attributes this type does not know, in order.
    pub extra_attrs: Vec<(String, String)>,
}

impl Presence {
    /// An available presence (the initial presence).
    pub fn available() -> Self {
        Self::default()
    }

    /// An unavailable presence.
    pub fn unavailable() -> Self {
        Self {
            kind: Some(PresenceType::Unavailable),
            ..Self::default()
        }
    }

    /// A MUC join of `room/nick` asking for no history, as the JS SDK sends it.
    pub fn muc_join(occupant: Jid) -> Self {
        Self {
            to: Some(occupant),
            muc: Some(MucJoin::without_history()),
            ..Self::default()
        }
    }

    /// Builder: sets `from`.
    pub fn with_from(mut self, from: Jid) -> Self {
        self.from = Some(from);
        self
    }

    /// Builder: sets `to`.
    pub fn with_to(mut self, to: Jid) -> Self {
        self.to = Some(to);
        self
    }

    /// Builder: sets `id`.
    pub fn with_id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(id.into());
        self
    }

    /// Whether this presence is available (no type).
    pub fn is_available(&self) -> bool {
        self.kind.is_none()
    }
}

impl TryFrom<Element> for Presence {
    type Error = DecodeError;

    fn try_from(el: Element) -> Result<Self, Self::Error> {
        let mut el = expect(el, "presence", ns::CLIENT)?;
        let attrs = CommonAttrs::take(&mut el, "presence")?;
        let mut p = Presence {
            from: attrs.from,
            to: attrs.to,
            id: attrs.id,
            kind: attrs.kind.as_deref().map(PresenceType::from_wire),
            lang: attrs.lang,
            extra_attrs: attrs.extra,
            ..Presence::default()
        };
        for child in el.into_children() {
            match (child.ns(), child.name()) {
                (ns::CLIENT, "show") if p.show.is_none() => {
                    p.show = Some(Show::from_wire(child.text().trim()));
                }
                (ns::CLIENT, "status") if p.status.is_none() => p.status = Some(child.text()),
                (ns::CLIENT, "priority") if p.priority.is_none() => {
                    p.priority = Some(parse_num(&child.text(), "priority", "value")?);
                }
                (ns::CLIENT, "error") if p.error.is_none() => {
                    p.error = Some(StanzaError::try_from(child)?);
                }
                (ns::MUC, "x") if p.muc.is_none() => p.muc = Some(MucJoin::try_from(child)?),
                (ns::MUC_USER, "x") if p.muc_user.is_none() => {
                    p.muc_user = Some(MucUser::try_from(child)?);
                }
                _ => p.others.push(child),
            }
        }
        Ok(p)
    }
}

impl From<Presence> for Element {
    fn from(p: Presence) -> Element {
        let mut el = Element::new("presence", ns::CLIENT);
        CommonAttrs {
            from: p.from,
            to: p.to,
            id: p.id,
            kind: p.kind.map(|k| k.as_str().to_owned()),
            lang: p.lang,
            extra: p.extra_attrs,
        }
        .write(&mut el);
        if let Some(show) = p.show {
            el.push_child(Element::new("show", ns::CLIENT).with_text(show.as_str()));
        }
        if let Some(status) = p.status {
            el.push_child(Element::new("status", ns::CLIENT).with_text(status));
        }
        if let Some(priority) = p.priority {
            el.push_child(Element::new("priority", ns::CLIENT).with_text(priority.to_string()));
        }
        if let Some(m) = p.muc {
            el.push_child(m.into());
        }
        if let Some(u) = p.muc_user {
            el.push_child(u.into());
        }
        if let Some(e) = p.error {
            el.push_child(e.into());
        }
        for o in p.others {
            el.push_child(o);
        }
        el
    }
}
