//! `<message/>` and its payloads.

use crate::element::Element;
use crate::error::DecodeError;
use crate::jid::Jid;
use crate::macros::wire_enum;
use crate::ns;

use super::{CommonAttrs, ExtraParams, StanzaError, expect, parse_bool, parse_num, required_attr};

wire_enum! {
    /// `type` of a message.
    pub enum MessageType {
        /// 1:1 chat.
        Chat => "chat",
        /// Group chat (to a room).
        Groupchat => "groupchat",
        /// System messages and call signalling.
        Headline => "headline",
        /// A bounced message.
        Error => "error",
        /// The default when no type is given.
        Normal => "normal",
    }
}

wire_enum! {
    /// XEP-0085 chat states.
    pub enum ChatState {
        /// Actively participating.
        Active => "active",
        /// Typing.
        Composing => "composing",
        /// Stopped typing.
        Paused => "paused",
        /// Not paying attention.
        Inactive => "inactive",
        /// Gone.
        Gone => "gone",
    }
}

impl TryFrom<Element> for ChatState {
    type Error = DecodeError;

    fn try_from(el: Element) -> Result<Self, Self::Error> {
        if el.ns() != ns::CHATSTATES {
            return Err(DecodeError::NotMine(el));
        }
        match ChatState::from_wire(el.name()) {
            ChatState::Other(_) => Err(DecodeError::NotMine(el)),
            state => Ok(state),
        }
    }
}

impl From<ChatState> for Element {
    fn from(s: ChatState) -> Element {
        Element::new(s.to_name(), ns::CHATSTATES)
    }
}

/// XEP-0333 chat markers, as ConnectyCube uses them (delivered and read receipts).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChatMarker {
    /// `<markable/>`: the sender asks for markers.
    Markable,
    /// `<received id/>`: delivered.
    Received {
        /// The id of the message delivered.
        id: String,
    },
    /// `<displayed id/>`: read.
    Displayed {
        /// The id of the message read.
        id: String,
    },
    /// `<acknowledged id/>`.
    Acknowledged {
        /// The id of the message acknowledged.
        id: String,
    },
}

impl TryFrom<Element> for ChatMarker {
    type Error = DecodeError;

    fn try_from(el: Element) -> Result<Self, Self::Error> {
        if el.ns() != ns::CHAT_MARKERS {
            return Err(DecodeError::NotMine(el));
        }
        let id = || required_attr(&el, "id", "chat marker");
        Ok(match el.name() {
            "markable" => ChatMarker::Markable,
            "received" => ChatMarker::Received { id: id()? },
            "displayed" => ChatMarker::Displayed { id: id()? },
            "acknowledged" => ChatMarker::Acknowledged { id: id()? },
            _ => return Err(DecodeError::NotMine(el)),
        })
    }
}

impl From<ChatMarker> for Element {
    fn from(m: ChatMarker) -> Element {
        let (name, id) = match m {
            ChatMarker::Markable => ("markable", None),
            ChatMarker::Received { id } => ("received", Some(id)),
            ChatMarker::Displayed { id } => ("displayed", Some(id)),
            ChatMarker::Acknowledged { id } => ("acknowledged", Some(id)),
        };
        Element::new(name, ns::CHAT_MARKERS).with_opt_attr("id", id)
    }
}

/// `<replace id last/>`: this message edits an earlier one.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Replace {
    /// The id of the message edited.
    pub id: String,
    /// `last="true"`: the edited message was the last one.
    pub last: Option<bool>,
}

impl Replace {
    /// An edit of message `id`.
    pub fn new(id: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            last: None,
        }
    }

    /// Builder: sets `last`.
    pub fn with_last(mut self, last: bool) -> Self {
        self.last = Some(last);
        self
    }
}

impl TryFrom<Element> for Replace {
    type Error = DecodeError;

    fn try_from(el: Element) -> Result<Self, Self::Error> {
        let el = expect(el, "replace", ns::MESSAGE_CORRECT)?;
        Ok(Self {
            id: required_attr(&el, "id", "replace")?,
            last: el
                .attr("last")
                .map(|v| parse_bool(v, "replace", "last"))
                .transpose()?,
        })
    }
}

impl From<Replace> for Element {
    fn from(r: Replace) -> Element {
        Element::new("replace", ns::MESSAGE_CORRECT)
            .with_attr("id", r.id)
            .with_opt_attr("last", r.last.map(|l| l.to_string()))
    }
}

/// `<remove id/>`: deletes an earlier message.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Remove {
    /// The id of the message deleted.
    pub id: String,
}

impl Remove {
    /// Deletes message `id`.
    pub fn new(id: impl Into<String>) -> Self {
        Self { id: id.into() }
    }
}

impl TryFrom<Element> for Remove {
    type Error = DecodeError;

    fn try_from(el: Element) -> Result<Self, Self::Error> {
        let el = expect(el, "remove", ns::MESSAGE_DELETE)?;
        Ok(Self {
            id: required_attr(&el, "id", "remove")?,
        })
    }
}

impl From<Remove> for Element {
    fn from(r: Remove) -> Element {
        Element::new("remove", ns::MESSAGE_DELETE).with_attr("id", r.id)
    }
}

/// `<destroy after="5"/>`: the message destroys itself after so many seconds.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct DestroyAfter {
    /// Seconds.
    pub after: u64,
}

impl DestroyAfter {
    /// Destroy after `after` seconds.
    pub fn new(after: u64) -> Self {
        Self { after }
    }
}

impl TryFrom<Element> for DestroyAfter {
    type Error = DecodeError;

    fn try_from(el: Element) -> Result<Self, Self::Error> {
        let el = expect(el, "destroy", ns::MESSAGE_DESTROY_AFTER)?;
        let after = required_attr(&el, "after", "destroy")?;
        Ok(Self {
            after: parse_num(&after, "destroy", "after")?,
        })
    }
}

impl From<DestroyAfter> for Element {
    fn from(d: DestroyAfter) -> Element {
        Element::new("destroy", ns::MESSAGE_DESTROY_AFTER).with_attr("after", d.after.to_string())
    }
}

/// XEP-0203 `<delay stamp from/>`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Delay {
    /// When the stanza was originally sent (XEP-0082 date-time, kept as sent).
    pub stamp: String,
    /// Who delayed it.
    pub from: Option<String>,
    /// Optional description.
    pub text: Option<String>,
}

impl Delay {
    /// A delay stamped `stamp` (e.g. `2024-01-02T03:04:05Z`).
    pub fn new(stamp: impl Into<String>) -> Self {
        Self {
            stamp: stamp.into(),
            from: None,
            text: None,
        }
    }
}

impl TryFrom<Element> for Delay {
    type Error = DecodeError;

    fn try_from(el: Element) -> Result<Self, Self::Error> {
        let el = expect(el, "delay", ns::DELAY)?;
        let text = el.text();
        Ok(Self {
            stamp: required_attr(&el, "stamp", "delay")?,
            from: el.attr("from").map(str::to_owned),
            text: (!text.is_empty()).then_some(text),
        })
    }
}

impl From<Delay> for Element {
    fn from(d: Delay) -> Element {
        let mut el = Element::new("delay", ns::DELAY)
            .with_opt_attr("from", d.from)
            .with_attr("stamp", d.stamp);
        if let Some(t) = d.text {
            el.push_text(t);
        }
        el
    }
}

/// XEP-0297 `<forwarded>`: a copied message with its original delay.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Forwarded {
    /// The original delay, if any.
    pub delay: Option<Delay>,
    /// The forwarded message.
    pub message: Box<Message>,
}

impl Forwarded {
    /// Forwards this message.
    pub fn new(message: Message) -> Self {
        Self {
            delay: None,
            message: Box::new(message),
        }
    }
}

impl TryFrom<Element> for Forwarded {
    type Error = DecodeError;

    fn try_from(el: Element) -> Result<Self, Self::Error> {
        let el = expect(el, "forwarded", ns::FORWARD)?;
        let mut delay = None;
        let mut message = None;
        for child in el.into_children() {
            if child.is("delay", ns::DELAY) {
                delay = Some(Delay::try_from(child)?);
            } else if child.is("message", ns::CLIENT) {
                message = Some(Message::try_from(child)?);
            }
        }
        Ok(Self {
            delay,
            message: Box::new(message.ok_or(DecodeError::Missing {
                element: "forwarded",
                what: "message",
            })?),
        })
    }
}

impl From<Forwarded> for Element {
    fn from(f: Forwarded) -> Element {
        let mut el = Element::new("forwarded", ns::FORWARD);
        if let Some(d) = f.delay {
            el.push_child(d.into());
        }
        el.push_child((*f.message).into());
        el
    }
}

/// XEP-0280 carbon copies.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Carbon {
    /// `<received>`: a copy of a message another resource received.
    Received(Forwarded),
    /// `<sent>`: a copy of a message another resource sent.
    Sent(Forwarded),
}

impl TryFrom<Element> for Carbon {
    type Error = DecodeError;

    fn try_from(el: Element) -> Result<Self, Self::Error> {
        if el.ns() != ns::CARBONS || !matches!(el.name(), "received" | "sent") {
            return Err(DecodeError::NotMine(el));
        }
        let sent = el.name() == "sent";
        let forwarded = el
            .into_children()
            .find(|c| c.is("forwarded", ns::FORWARD))
            .ok_or(DecodeError::Missing {
                element: "carbon",
                what: "forwarded",
            })?;
        let forwarded = Forwarded::try_from(forwarded)?;
        Ok(if sent {
            Carbon::Sent(forwarded)
        } else {
            Carbon::Received(forwarded)
        })
    }
}

impl From<Carbon> for Element {
    fn from(c: Carbon) -> Element {
        let (name, f) = match c {
            Carbon::Received(f) => ("received", f),
            Carbon::Sent(f) => ("sent", f),
        };
        Element::new(name, ns::CARBONS).with_child(f.into())
    }
}

/// One reaction change inside [`Reactions`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Reaction {
    /// The emoji (`type`).
    pub kind: String,
    /// `add="true"` (otherwise `remove="true"`).
    pub add: bool,
}

/// ConnectyCube reactions (inferred shape, wire.md §8.6).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Reactions {
    /// The message reacted to.
    pub message_id: String,
    /// The reacting user.
    pub user_id: Option<String>,
    /// Added and removed reactions, in order.
    pub reactions: Vec<Reaction>,
}

impl Reaction {
    /// This emoji added.
    pub fn add(kind: impl Into<String>) -> Self {
        Self {
            kind: kind.into(),
            add: true,
        }
    }

    /// This emoji removed.
    pub fn remove(kind: impl Into<String>) -> Self {
        Self {
            kind: kind.into(),
            add: false,
        }
    }
}

impl Reactions {
    /// A reaction notice for this message, with no changes yet.
    pub fn new(message_id: impl Into<String>) -> Self {
        Self {
            message_id: message_id.into(),
            user_id: None,
            reactions: Vec::new(),
        }
    }

    /// Builder: the reacting user (`user_id`).
    pub fn with_user_id(mut self, user_id: impl Into<String>) -> Self {
        self.user_id = Some(user_id.into());
        self
    }

    /// Builder: one more change, after the others.
    pub fn with_reaction(mut self, reaction: Reaction) -> Self {
        self.reactions.push(reaction);
        self
    }
}

impl TryFrom<Element> for Reactions {
    type Error = DecodeError;

    fn try_from(el: Element) -> Result<Self, Self::Error> {
        let el = expect(el, "reactions", ns::REACTIONS)?;
        let mut reactions = Vec::new();
        for child in el.children().filter(|c| c.name() == "reaction") {
            let kind = required_attr(child, "type", "reaction")?;
            let add = child.attr("add").is_some_and(|v| v == "true" || v == "1");
            reactions.push(Reaction { kind, add });
        }
        Ok(Self {
            message_id: required_attr(&el, "message_id", "reactions")?,
            user_id: el.attr("user_id").map(str::to_owned),
            reactions,
        })
    }
}

impl From<Reactions> for Element {
    fn from(r: Reactions) -> Element {
        let mut el = Element::new("reactions", ns::REACTIONS)
            .with_attr("message_id", r.message_id)
            .with_opt_attr("user_id", r.user_id);
        for reaction in r.reactions {
            let action = if reaction.add { "add" } else { "remove" };
            el.push_child(
                Element::new("reaction", ns::REACTIONS)
                    .with_attr("type", reaction.kind)
                    .with_attr(action, "true"),
            );
        }
        el
    }
}

/// `<message/>`: chat, groupchat, headline (system, call signalling) or error.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Message {
    /// `from`.
    pub from: Option<Jid>,
    /// `to`.
    pub to: Option<Jid>,
    /// `id` (ConnectyCube: a 24-hex ObjectId for content messages).
    pub id: Option<String>,
    /// `type` as sent (absent means `normal`).
    pub kind: Option<MessageType>,
    /// `xml:lang`.
    pub lang: Option<String>,
    /// `<body>`.
    pub body: Option<String>,
    /// `<subject>`.
    pub subject: Option<String>,
    /// `<thread>`.
    pub thread: Option<String>,
    /// XEP-0085 chat state (typing).
    pub chat_state: Option<ChatState>,
    /// Edit of an earlier message.
    pub replace: Option<Replace>,
    /// Deletion of an earlier message.
    pub remove: Option<Remove>,
    /// XEP-0333 marker (markable, delivered, read).
    pub marker: Option<ChatMarker>,
    /// ConnectyCube reactions.
    pub reactions: Option<Reactions>,
    /// Self-destruction timer.
    pub destroy_after: Option<DestroyAfter>,
    /// XEP-0203 delayed delivery.
    pub delay: Option<Delay>,
    /// XEP-0280 carbon copy.
    pub carbon: Option<Carbon>,
    /// The error of an error message.
    pub error: Option<StanzaError>,
    /// ConnectyCube's `<extraParams>`.
    pub extra_params: Option<ExtraParams>,
    /// Children this type does not know, in order.
    pub others: Vec<Element>,
    /// Attributes this type does not know, in order.
    pub extra_attrs: Vec<(String, String)>,
}

impl Message {
    /// An empty message of this type.
    pub fn new(kind: MessageType) -> Self {
        Self {
            kind: Some(kind),
            ..Self::default()
        }
    }

    /// A 1:1 chat message with a body.
    pub fn chat(to: Jid, body: impl Into<String>) -> Self {
        Self::new(MessageType::Chat).with_to(to).with_body(body)
    }

    /// A group chat message with a body.
    pub fn groupchat(room: Jid, body: impl Into<String>) -> Self {
        Self::new(MessageType::Groupchat)
            .with_to(room)
            .with_body(body)
    }

    /// The type, `normal` when absent.
    pub fn message_type(&self) -> MessageType {
        self.kind.clone().unwrap_or(MessageType::Normal)
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

    /// Builder: sets the body.
    pub fn with_body(mut self, body: impl Into<String>) -> Self {
        self.body = Some(body.into());
        self
    }

    /// Builder: sets the extension.
    pub fn with_extra_params(mut self, params: ExtraParams) -> Self {
        self.extra_params = Some(params);
        self
    }

    /// Builder: sets the chat state.
    pub fn with_chat_state(mut self, state: ChatState) -> Self {
        self.chat_state = Some(state);
        self
    }

    /// Builder: sets the chat marker.
    pub fn with_marker(mut self, marker: ChatMarker) -> Self {
        self.marker = Some(marker);
        self
    }

    /// Builder: marks this message as an edit.
    pub fn with_replace(mut self, replace: Replace) -> Self {
        self.replace = Some(replace);
        self
    }

    /// Builder: marks this message as a deletion.
    pub fn with_remove(mut self, remove: Remove) -> Self {
        self.remove = Some(remove);
        self
    }

    /// Builder: `<reactions>`.
    pub fn with_reactions(mut self, reactions: Reactions) -> Self {
        self.reactions = Some(reactions);
        self
    }

    /// Builder: sets the delay.
    pub fn with_delay(mut self, delay: Delay) -> Self {
        self.delay = Some(delay);
        self
    }

    /// Builder: sets the error.
    pub fn with_error(mut self, error: StanzaError) -> Self {
        self.error = Some(error);
        self
    }

    /// The dialog id from `extraParams/dialog_id`.
    pub fn dialog_id(&self) -> Option<&str> {
        self.extra_params.as_ref()?.dialog_id()
    }

    /// Whether this carries content (a body or an attachment), as the JS SDK counts it.
    pub fn has_content(&self) -> bool {
        self.body.is_some()
            || self
                .extra_params
                .as_ref()
                .is_some_and(|p| p.attachments().next().is_some())
    }
}

impl TryFrom<Element> for Message {
    type Error = DecodeError;

    fn try_from(el: Element) -> Result<Self, Self::Error> {
        let mut el = expect(el, "message", ns::CLIENT)?;
        let attrs = CommonAttrs::take(&mut el, "message")?;
        let mut m = Message {
            from: attrs.from,
            to: attrs.to,
            id: attrs.id,
            kind: attrs.kind.as_deref().map(MessageType::from_wire),
            lang: attrs.lang,
            extra_attrs: attrs.extra,
            ..Message::default()
        };
        for node in el.take_nodes() {
            let crate::element::Node::Element(child) = node else {
                continue;
            };
            m.take_child(child)?;
        }
        Ok(m)
    }
}

impl Message {
    fn take_child(&mut self, mut child: Element) -> Result<(), DecodeError> {
        match (child.ns(), child.name()) {
            (ns::CLIENT, "body") if self.body.is_none() => self.body = Some(child.take_text()),
            (ns::CLIENT, "subject") if self.subject.is_none() => {
                self.subject = Some(child.take_text());
            }
            (ns::CLIENT, "thread") if self.thread.is_none() && child.attr_count() == 0 => {
                self.thread = Some(child.take_text());
            }
            (ns::CLIENT, "extraParams") if self.extra_params.is_none() => {
                self.extra_params = Some(ExtraParams::try_from(child)?);
            }
            (ns::CLIENT, "error") if self.error.is_none() => {
                self.error = Some(StanzaError::try_from(child)?);
            }
            (ns::CHATSTATES, _) if self.chat_state.is_none() => match ChatState::try_from(child) {
                Ok(s) => self.chat_state = Some(s),
                Err(DecodeError::NotMine(el)) => self.others.push(el),
                Err(e) => return Err(e),
            },
            (ns::CHAT_MARKERS, _) if self.marker.is_none() => match ChatMarker::try_from(child) {
                Ok(m) => self.marker = Some(m),
                Err(DecodeError::NotMine(el)) => self.others.push(el),
                Err(e) => return Err(e),
            },
            (ns::MESSAGE_CORRECT, "replace") if self.replace.is_none() => {
                self.replace = Some(Replace::try_from(child)?);
            }
            (ns::MESSAGE_DELETE, "remove") if self.remove.is_none() => {
                self.remove = Some(Remove::try_from(child)?);
            }
            (ns::MESSAGE_DESTROY_AFTER, "destroy") if self.destroy_after.is_none() => {
                self.destroy_after = Some(DestroyAfter::try_from(child)?);
            }
            (ns::REACTIONS, "reactions") if self.reactions.is_none() => {
                self.reactions = Some(Reactions::try_from(child)?);
            }
            (ns::DELAY, "delay") if self.delay.is_none() => {
                self.delay = Some(Delay::try_from(child)?);
            }
            (ns::CARBONS, "sent" | "received") if self.carbon.is_none() => {
                self.carbon = Some(Carbon::try_from(child)?);
            }
            _ => self.others.push(child),
        }
        Ok(())
    }
}

impl From<Message> for Element {
    fn from(m: Message) -> Element {
        let mut el = Element::new("message", ns::CLIENT);
        CommonAttrs {
            from: m.from,
            to: m.to,
            id: m.id,
            kind: m.kind.map(|k| k.as_str().to_owned()),
            lang: m.lang,
            extra: m.extra_attrs,
        }
        .write(&mut el);
        if let Some(body) = m.body {
            el.push_child(Element::new("body", ns::CLIENT).with_text(body));
        }
        if let Some(subject) = m.subject {
            el.push_child(Element::new("subject", ns::CLIENT).with_text(subject));
        }
        if let Some(thread) = m.thread {
            el.push_child(Element::new("thread", ns::CLIENT).with_text(thread));
        }
        if let Some(s) = m.chat_state {
            el.push_child(s.into());
        }
        if let Some(r) = m.replace {
            el.push_child(r.into());
        }
        if let Some(r) = m.remove {
            el.push_child(r.into());
        }
        if let Some(mk) = m.marker {
            el.push_child(mk.into());
        }
        if let Some(r) = m.reactions {
            el.push_child(r.into());
        }
        if let Some(d) = m.destroy_after {
            el.push_child(d.into());
        }
        if let Some(d) = m.delay {
            el.push_child(d.into());
        }
        if let Some(c) = m.carbon {
            el.push_child(c.into());
        }
        if let Some(e) = m.error {
            el.push_child(e.into());
        }
        if let Some(p) = m.extra_params {
            el.push_child(p.into());
        }
        for o in m.others {
            el.push_child(o);
        }
        el
    }
}
