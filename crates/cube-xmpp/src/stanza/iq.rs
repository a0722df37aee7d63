//! `<iq/>` and the payloads ConnectyCube uses.

use cube_model::{AppId, UserId};

use crate::element::Element;
use crate::error::DecodeError;
use crate::jid::Jid;
use crate::macros::wire_enum;
use crate::ns;

use super::{CommonAttrs, StanzaError, expect, parse_bool, parse_jid, parse_num, required_attr};

wire_enum! {
    /// `type` of an iq.
    pub enum IqType {
        /// A query.
        Get => "get",
        /// A change.
        Set => "set",
        /// A successful answer.
        Result => "result",
        /// A failed answer.
        Error => "error",
    }
}

/// RFC 6120 resource binding: `<bind><resource/></bind>` (request) or `<bind><jid/></bind>`
/// (answer).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Bind {
    /// The resource the client asks for (the JS SDK asks for none).
    pub resource: Option<String>,
    /// The full JID the server bound.
    pub jid: Option<Jid>,
}

impl Bind {
    /// A request for a server-assigned resource.
    pub fn request() -> Self {
        Self::default()
    }

    /// The server's answer.
    pub fn bound(jid: Jid) -> Self {
        Self {
            resource: None,
            jid: Some(jid),
        }
    }
}

impl TryFrom<Element> for Bind {
    type Error = DecodeError;

    fn try_from(el: Element) -> Result<Self, Self::Error> {
        let el = expect(el, "bind", ns::BIND)?;
        let mut out = Bind::default();
        for child in el.children() {
            if child.is("resource", ns::BIND) {
                let r = child.text();
                out.resource = (!r.trim().is_empty()).then(|| r.trim().to_owned());
            } else if child.is("jid", ns::BIND) {
                out.jid = Some(parse_jid(child.text().trim(), "bind", "jid")?);
            }
        }
        Ok(out)
    }
}

impl From<Bind> for Element {
    fn from(b: Bind) -> Element {
        let mut el = Element::new("bind", ns::BIND);
        if let Some(r) = b.resource {
            el.push_child(Element::new("resource", ns::BIND).with_text(r));
        }
        if let Some(j) = b.jid {
            el.push_child(Element::new("jid", ns::BIND).with_text(j.to_string()));
        }
        el
    }
}

/// XEP-0012 `<query xmlns="jabber:iq:last" seconds/>`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct LastActivity {
    /// Seconds since the user was last active (answers and pushes).
    pub seconds: Option<u64>,
    /// Optional status text.
    pub status: Option<String>,
}

impl LastActivity {
    /// The query (no seconds).
    pub fn query() -> Self {
        Self::default()
    }

    /// An answer.
    pub fn seconds(seconds: u64) -> Self {
        Self {
            seconds: Some(seconds),
            status: None,
        }
    }
}

impl TryFrom<Element> for LastActivity {
    type Error = DecodeError;

    fn try_from(el: Element) -> Result<Self, Self::Error> {
        let el = expect(el, "query", ns::LAST)?;
        let status = el.text();
        Ok(Self {
            seconds: el
                .attr("seconds")
                .map(|s| parse_num(s, "query", "seconds"))
                .transpose()?,
            status: (!status.is_empty()).then_some(status),
        })
    }
}

impl From<LastActivity> for Element {
    fn from(l: LastActivity) -> Element {
        let mut el = Element::new("query", ns::LAST)
            .with_opt_attr("seconds", l.seconds.map(|s| s.to_string()));
        if let Some(s) = l.status {
            el.push_text(s);
        }
        el
    }
}

wire_enum! {
    /// A privacy rule's action.
    pub enum PrivacyAction {
        /// Let the stanzas through.
        Allow => "allow",
        /// Block the stanzas.
        Deny => "deny",
    }
}

/// XEP-0016 `<item>` of a privacy list.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PrivacyItem {
    /// `type` (`jid`, `group`, `subscription`), absent for the fall-through item.
    pub kind: Option<String>,
    /// `value`: for `jid` items a user JID, or `muc.{domain}/{user_id}` (ConnectyCube).
    pub value: Option<String>,
    /// `action`.
    pub action: PrivacyAction,
    /// `order`.
    pub order: u32,
    /// `<message/>` is blocked or allowed.
    pub message: bool,
    /// `<presence-in/>`.
    pub presence_in: bool,
    /// `<presence-out/>`.
    pub presence_out: bool,
    /// `<iq/>`.
    pub iq: bool,
}

impl PrivacyItem {
    /// Whether the item applies to everything (no stanza-kind children).
    pub fn applies_to_all(&self) -> bool {
        !(self.message || self.presence_in || self.presence_out || self.iq)
    }
}

/// XEP-0016 `<list name>`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PrivacyList {
    /// `name`.
    pub name: String,
    /// The items (none: the list is being deleted, or only named).
    pub items: Vec<PrivacyItem>,
}

impl PrivacyList {
    /// A list with no items (a delete request, or a get of one list).
    pub fn named(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            items: Vec::new(),
        }
    }

    /// The list the JS SDK builds for `privacylist.create`: two items per user (the user JID,
    /// then `{muc_domain}/{user_id}`), with all four stanza kinds unless `mutual` (which
    /// blocks everything).
    pub fn for_users(
        name: impl Into<String>,
        users: &[(UserId, PrivacyAction, bool)],
        app_id: AppId,
        chat_domain: &str,
        muc_domain: &str,
    ) -> Self {
        let mut items = Vec::new();
        for (i, (user_id, action, mutual)) in users.iter().enumerate() {
            let every = !(*mutual && *action == PrivacyAction::Deny);
            let values = [
                format!("{}@{chat_domain}", crate::jid::user_node(*user_id, app_id)),
                format!("{muc_domain}/{}", user_id.get()),
            ];
            for (j, value) in values.into_iter().enumerate() {
                items.push(PrivacyItem {
                    kind: Some("jid".into()),
                    value: Some(value),
                    action: action.clone(),
                    order: (2 * i + j + 1) as u32,
                    message: every,
                    presence_in: every,
                    presence_out: every,
                    iq: every,
                });
            }
        }
        Self {
            name: name.into(),
            items,
        }
    }

    /// `(user_id, action)` for each user JID item (the even items, as the JS SDK reads them).
    pub fn users(&self) -> Vec<(UserId, PrivacyAction)> {
        self.items
            .iter()
            .filter_map(|item| {
                let jid: Jid = item.value.as_deref()?.parse().ok()?;
                Some((jid.user_id()?, item.action.clone()))
            })
            .collect()
    }
}

/// `<active name/>` or `<default name/>`; no name declines (unsets).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ListRef {
    /// The list name, or none to decline.
    pub name: Option<String>,
}

impl ListRef {
    /// A reference to this list.
    pub fn named(name: impl Into<String>) -> Self {
        Self {
            name: Some(name.into()),
        }
    }

    /// The declination (`<default/>`).
    pub fn none() -> Self {
        Self { name: None }
    }
}

/// XEP-0016 `<query xmlns="jabber:iq:privacy">`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PrivacyQuery {
    /// `<active>`.
    pub active: Option<ListRef>,
    /// `<default>`.
    pub default: Option<ListRef>,
    /// `<list>` elements, in order.
    pub lists: Vec<PrivacyList>,
}

impl TryFrom<Element> for PrivacyQuery {
    type Error = DecodeError;

    fn try_from(el: Element) -> Result<Self, Self::Error> {
        let el = expect(el, "query", ns::PRIVACY)?;
        let mut out = PrivacyQuery::default();
        for child in el.children() {
            if child.ns() != ns::PRIVACY {
                continue;
            }
            let name = child.attr("name").map(str::to_owned);
            match child.name() {
                "active" => out.active = Some(ListRef { name }),
                "default" => out.default = Some(ListRef { name }),
                "list" => {
                    let mut list = PrivacyList {
                        name: required_attr(child, "name", "list")?,
                        items: Vec::new(),
                    };
                    for item in child.children().filter(|c| c.is("item", ns::PRIVACY)) {
                        let has = |n: &str| item.has_child(n, ns::PRIVACY);
                        list.items.push(PrivacyItem {
                            kind: item.attr("type").map(str::to_owned),
                            value: item.attr("value").map(str::to_owned),
                            action: PrivacyAction::from_wire(&required_attr(
                                item, "action", "item",
                            )?),
                            order: parse_num(
                                &required_attr(item, "order", "item")?,
                                "item",
                                "order",
                            )?,
                            message: has("message"),
                            presence_in: has("presence-in"),
                            presence_out: has("presence-out"),
                            iq: has("iq"),
                        });
                    }
                    out.lists.push(list);
                }
                _ => {}
            }
        }
        Ok(out)
    }
}

impl From<PrivacyQuery> for Element {
    fn from(q: PrivacyQuery) -> Element {
        let mut el = Element::new("query", ns::PRIVACY);
        if let Some(a) = q.active {
            el.push_child(Element::new("active", ns::PRIVACY).with_opt_attr("name", a.name));
        }
        if let Some(d) = q.default {
            el.push_child(Element::new("default", ns::PRIVACY).with_opt_attr("name", d.name));
        }
        for list in q.lists {
            let mut l = Element::new("list", ns::PRIVACY).with_attr("name", list.name);
            for item in list.items {
                let mut i = Element::new("item", ns::PRIVACY)
                    .with_opt_attr("type", item.kind)
                    .with_opt_attr("value", item.value)
                    .with_attr("action", item.action.as_str())
                    .with_attr("order", item.order.to_string());
                for (on, name) in [
                    (item.message, "message"),
                    (item.presence_in, "presence-in"),
                    (item.presence_out, "presence-out"),
                    (item.iq, "iq"),
                ] {
                    if on {
                        i.push_child(Element::new(name, ns::PRIVACY));
                    }
                }
                l.push_child(i);
            }
            el.push_child(l);
        }
        el
    }
}

/// Tigase `<mobile xmlns="http://tigase.org/protocol/mobile#v2" enable/>`: ConnectyCube's
/// active/inactive switch (`enable="true"` means the app is in the background).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Mobile {
    /// `true`: inactive (background); `false`: active.
    pub enable: bool,
}

impl TryFrom<Element> for Mobile {
    type Error = DecodeError;

    fn try_from(el: Element) -> Result<Self, Self::Error> {
        let el = expect(el, "mobile", ns::MOBILE_V2)?;
        Ok(Self {
            enable: parse_bool(&required_attr(&el, "enable", "mobile")?, "mobile", "enable")?,
        })
    }
}

impl From<Mobile> for Element {
    fn from(m: Mobile) -> Element {
        Element::new("mobile", ns::MOBILE_V2).with_attr("enable", m.enable.to_string())
    }
}

/// ConnectyCube `<subscribe xmlns="…/status_streaming" user_jid enable/>`: last-activity
/// streaming for one user.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct StatusSubscribe {
    /// The user watched.
    pub user_jid: Jid,
    /// Subscribe (`true`) or unsubscribe.
    pub enable: bool,
}

impl TryFrom<Element> for StatusSubscribe {
    type Error = DecodeError;

    fn try_from(el: Element) -> Result<Self, Self::Error> {
        let el = expect(el, "subscribe", ns::STATUS_STREAMING)?;
        Ok(Self {
            user_jid: parse_jid(
                &required_attr(&el, "user_jid", "subscribe")?,
                "subscribe",
                "user_jid",
            )?,
            enable: parse_bool(
                &required_attr(&el, "enable", "subscribe")?,
                "subscribe",
                "enable",
            )?,
        })
    }
}

impl From<StatusSubscribe> for Element {
    fn from(s: StatusSubscribe) -> Element {
        Element::new("subscribe", ns::STATUS_STREAMING)
            .with_attr("user_jid", s.user_jid.to_string())
            .with_attr("enable", s.enable.to_string())
    }
}

/// One `<item jid name node/>` of [`DiscoItems`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct DiscoItem {
    /// `jid`.
    pub jid: String,
    /// `name`.
    pub name: Option<String>,
    /// `node`.
    pub node: Option<String>,
}

impl DiscoItem {
    /// An item with this JID and name.
    pub fn new(jid: impl Into<String>, name: Option<String>) -> Self {
        Self {
            jid: jid.into(),
            name,
            node: None,
        }
    }
}

/// XEP-0030 `<query xmlns="…disco#items">` (the JS SDK's listOnlineUsers).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct DiscoItems {
    /// `node`.
    pub node: Option<String>,
    /// The items.
    pub items: Vec<DiscoItem>,
}

impl TryFrom<Element> for DiscoItems {
    type Error = DecodeError;

    fn try_from(el: Element) -> Result<Self, Self::Error> {
        let el = expect(el, "query", ns::DISCO_ITEMS)?;
        let mut items = Vec::new();
        for item in el.children().filter(|c| c.is("item", ns::DISCO_ITEMS)) {
            items.push(DiscoItem {
                jid: required_attr(item, "jid", "item")?,
                name: item.attr("name").map(str::to_owned),
                node: item.attr("node").map(str::to_owned),
            });
        }
        Ok(Self {
            node: el.attr("node").map(str::to_owned),
            items,
        })
    }
}

impl From<DiscoItems> for Element {
    fn from(d: DiscoItems) -> Element {
        let mut el = Element::new("query", ns::DISCO_ITEMS).with_opt_attr("node", d.node);
        for item in d.items {
            el.push_child(
                Element::new("item", ns::DISCO_ITEMS)
                    .with_attr("jid", item.jid)
                    .with_opt_attr("name", item.name)
                    .with_opt_attr("node", item.node),
            );
        }
        el
    }
}

/// The payload of an iq, typed when this crate knows it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum IqPayload {
    /// Resource binding.
    Bind(Bind),
    /// Legacy session establishment (`<session xmlns="…xmpp-session"/>`).
    Session,
    /// XEP-0199 ping.
    Ping,
    /// XEP-0012 last activity.
    LastActivity(LastActivity),
    /// XEP-0016 privacy lists.
    Privacy(PrivacyQuery),
    /// XEP-0280 `<enable xmlns="urn:xmpp:carbons:2"/>`.
    CarbonsEnable,
    /// XEP-0280 `<disable xmlns="urn:xmpp:carbons:2"/>`.
    CarbonsDisable,
    /// Tigase mobile#v2 active/inactive.
    Mobile(Mobile),
    /// ConnectyCube status streaming.
    StatusSubscribe(StatusSubscribe),
    /// XEP-0030 disco#items.
    DiscoItems(DiscoItems),
    /// Anything else, verbatim.
    Other(Element),
}

impl TryFrom<Element> for IqPayload {
    type Error = DecodeError;

    fn try_from(el: Element) -> Result<Self, Self::Error> {
        Ok(match (el.ns(), el.name()) {
            (ns::BIND, "bind") => IqPayload::Bind(Bind::try_from(el)?),
            (ns::SESSION, "session") if el.is_empty() => IqPayload::Session,
            (ns::PING, "ping") if el.is_empty() => IqPayload::Ping,
            (ns::LAST, "query") => IqPayload::LastActivity(LastActivity::try_from(el)?),
            (ns::PRIVACY, "query") => IqPayload::Privacy(PrivacyQuery::try_from(el)?),
            (ns::CARBONS, "enable") if el.is_empty() => IqPayload::CarbonsEnable,
            (ns::CARBONS, "disable") if el.is_empty() => IqPayload::CarbonsDisable,
            (ns::MOBILE_V2, "mobile") => IqPayload::Mobile(Mobile::try_from(el)?),
            (ns::STATUS_STREAMING, "subscribe") => {
                IqPayload::StatusSubscribe(StatusSubscribe::try_from(el)?)
            }
            (ns::DISCO_ITEMS, "query") => IqPayload::DiscoItems(DiscoItems::try_from(el)?),
            _ => IqPayload::Other(el),
        })
    }
}

impl From<IqPayload> for Element {
    fn from(p: IqPayload) -> Element {
        match p {
            IqPayload::Bind(b) => b.into(),
            IqPayload::Session => Element::new("session", ns::SESSION),
            IqPayload::Ping => Element::new("ping", ns::PING),
            IqPayload::LastActivity(l) => l.into(),
            IqPayload::Privacy(q) => q.into(),
            IqPayload::CarbonsEnable => Element::new("enable", ns::CARBONS),
            IqPayload::CarbonsDisable => Element::new("disable", ns::CARBONS),
            IqPayload::Mobile(m) => m.into(),
            IqPayload::StatusSubscribe(s) => s.into(),
            IqPayload::DiscoItems(d) => d.into(),
            IqPayload::Other(el) => el,
        }
    }
}

/// `<iq/>`: a request (`get`, `set`) or its answer (`result`, `error`).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Iq {
    /// `from`.
    pub from: Option<Jid>,
    /// `to`.
    pub to: Option<Jid>,
    /// `id` (required).
    pub id: String,
    /// `type`.
    pub kind: IqType,
    /// `xml:lang`.
    pub lang: Option<String>,
    /// The payload (a request's query, an answer's data, or the request echoed in an error).
    pub payload: Option<IqPayload>,
    /// The error of an error answer.
    pub error: Option<StanzaError>,
    /// Further children, kept verbatim.
    pub others: Vec<Element>,
    /// Attributes this type does not know, in order.
    pub extra_attrs: Vec<(String, String)>,
}

impl Iq {
    /// An iq of this type and id with this payload.
    pub fn new(kind: IqType, id: impl Into<String>, payload: Option<IqPayload>) -> Self {
        Self {
            from: None,
            to: None,
            id: id.into(),
            kind,
            lang: None,
            payload,
            error: None,
            others: Vec::new(),
            extra_attrs: Vec::new(),
        }
    }

    /// A `get` request.
    pub fn get(id: impl Into<String>, payload: IqPayload) -> Self {
        Self::new(IqType::Get, id, Some(payload))
    }

    /// A `set` request.
    pub fn set(id: impl Into<String>, payload: IqPayload) -> Self {
        Self::new(IqType::Set, id, Some(payload))
    }

    /// The empty `result` answering `request` (addresses swapped).
    pub fn result_for(request: &Iq, payload: Option<IqPayload>) -> Self {
        Self {
            from: request.to.clone(),
            to: request.from.clone(),
            ..Self::new(IqType::Result, request.id.clone(), payload)
        }
    }

    /// The `error` answering `request` (addresses swapped, no payload echoed).
    pub fn error_for(request: &Iq, error: StanzaError) -> Self {
        Self {
            from: request.to.clone(),
            to: request.from.clone(),
            error: Some(error),
            ..Self::new(IqType::Error, request.id.clone(), None)
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

    /// Whether this is a request (`get` or `set`).
    pub fn is_request(&self) -> bool {
        matches!(self.kind, IqType::Get | IqType::Set)
    }
}

impl TryFrom<Element> for Iq {
    type Error = DecodeError;

    fn try_from(el: Element) -> Result<Self, Self::Error> {
        let mut el = expect(el, "iq", ns::CLIENT)?;
        let attrs = CommonAttrs::take(&mut el, "iq")?;
        let kind = IqType::from_wire(attrs.kind.as_deref().ok_or(DecodeError::Missing {
            element: "iq",
            what: "attribute type",
        })?);
        let id = attrs.id.ok_or(DecodeError::Missing {
            element: "iq",
            what: "attribute id",
        })?;
        let mut iq = Iq {
            from: attrs.from,
            to: attrs.to,
            lang: attrs.lang,
            extra_attrs: attrs.extra,
            ..Iq::new(kind, id, None)
        };
        for child in el.into_children() {
            if child.is("error", ns::CLIENT) && iq.error.is_none() {
                iq.error = Some(StanzaError::try_from(child)?);
            } else if iq.payload.is_none() {
                iq.payload = Some(IqPayload::try_from(child)?);
            } else {
                iq.others.push(child);
            }
        }
        Ok(iq)
    }
}

impl From<Iq> for Element {
    fn from(iq: Iq) -> Element {
        let mut el = Element::new("iq", ns::CLIENT);
        CommonAttrs {
            from: iq.from,
            to: iq.to,
            id: Some(iq.id),
            kind: Some(iq.kind.as_str().to_owned()),
            lang: iq.lang,
            extra: iq.extra_attrs,
        }
        .write(&mut el);
        if let Some(p) = iq.payload {
            el.push_child(p.into());
        }
        for o in iq.others {
            el.push_child(o);
        }
        if let Some(e) = iq.error {
            el.push_child(e.into());
        }
        el
    }
}
