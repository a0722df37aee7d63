//! What the chat connection reports: one event type, built from incoming stanzas.

use cube_model::UserId;
use cube_xmpp::stanza::{Carbon, ChatMarker, ChatState, MessageType, PresenceType};
use cube_xmpp::{ExtraParams, Jid, Message, Presence};

use super::ChatError;

/// The state of the chat connection.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConnectionState {
    /// Connecting for the first time.
    Connecting,
    /// Online with this full JID; `resumed` when an interrupted session was resumed (nothing
    /// was lost), otherwise a new session (missed messages are fetched from history).
    Online {
        /// The bound full JID.
        jid: Jid,
        /// Whether an earlier session was resumed.
        resumed: bool,
    },
    /// The connection was lost; reconnecting follows.
    Disconnected {
        /// Why, in words.
        reason: String,
    },
    /// Waiting before reconnect attempt `attempt`.
    Reconnecting {
        /// The attempt number since the connection was lost (1-based).
        attempt: u32,
        /// The wait before it, in milliseconds.
        delay_ms: u64,
    },
    /// Closed for good: by `disconnect`, or after the server refused the credentials.
    Closed {
        /// Why, in words.
        reason: String,
    },
}

/// A content message (1:1 or group), live or fetched from history after a reconnect.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ChatMessage {
    /// The message id (24-hex ObjectId style for ConnectyCube clients).
    pub id: Option<String>,
    /// `chat` (1:1) or `groupchat`.
    pub kind: MessageType,
    /// The sender's JID (for groups, `room/nick`).
    pub from: Option<Jid>,
    /// The recipient JID.
    pub to: Option<Jid>,
    /// The sender's ConnectyCube user id (from the JID node, or the room nick).
    pub sender_id: Option<UserId>,
    /// The dialog id (from `extraParams/dialog_id`, or the room JID).
    pub dialog_id: Option<String>,
    /// The text.
    pub body: Option<String>,
    /// ConnectyCube's `extraParams` (every value a string).
    pub extra: ExtraParams,
    /// When it was sent, in Unix seconds, if known.
    pub date_sent: Option<i64>,
    /// A carbon copy of a message this user sent from another device.
    pub forwarded: bool,
    /// Fetched from REST history after a reconnect, not received live.
    pub from_history: bool,
}

impl ChatMessage {
    /// The dialog id as a typed id, when it is one.
    pub fn dialog(&self) -> Option<cube_model::DialogId> {
        self.dialog_id.as_deref()?.parse().ok()
    }
}

/// A system message (`headline` with `moduleIdentifier=SystemNotifications`).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SystemMessage {
    /// The message id.
    pub id: Option<String>,
    /// The sender, if given.
    pub from: Option<Jid>,
    /// The text, if any.
    pub body: Option<String>,
    /// The parameters.
    pub extra: ExtraParams,
}

/// Everything the chat connection reports, in order, on one stream.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ChatEvent {
    /// A content message, delivered once (duplicates after a reconnect are dropped).
    Message(ChatMessage),
    /// A peer received a message (XEP-0333 `received`).
    Delivered {
        /// The message id.
        id: String,
        /// Who.
        from: Option<Jid>,
        /// Their user id.
        user_id: Option<UserId>,
        /// The dialog, if said.
        dialog_id: Option<String>,
    },
    /// A peer read a message (XEP-0333 `displayed`).
    Read {
        /// The message id.
        id: String,
        /// Who.
        from: Option<Jid>,
        /// Their user id.
        user_id: Option<UserId>,
        /// The dialog, if said.
        dialog_id: Option<String>,
    },
    /// A peer started (`true`) or stopped typing.
    Typing {
        /// Who.
        from: Option<Jid>,
        /// Their user id.
        user_id: Option<UserId>,
        /// The dialog, if known.
        dialog_id: Option<String>,
        /// Composing or paused.
        composing: bool,
    },
    /// A message was edited.
    Edited {
        /// The id of the message edited.
        id: String,
        /// The new text.
        body: Option<String>,
        /// Who edited.
        from: Option<Jid>,
        /// The dialog, if known.
        dialog_id: Option<String>,
    },
    /// A message was deleted.
    Deleted {
        /// The id of the message deleted.
        id: String,
        /// Who deleted.
        from: Option<Jid>,
        /// The dialog, if known.
        dialog_id: Option<String>,
    },
    /// A system message.
    System(SystemMessage),
    /// A presence: a user or a room occupant came or went.
    Presence {
        /// Who (for rooms, `room/nick`).
        from: Option<Jid>,
        /// Their user id, when a ConnectyCube JID.
        user_id: Option<UserId>,
        /// Available or not.
        available: bool,
        /// Whether it is a room occupant's presence.
        in_room: bool,
    },
    /// The server pushed a user's last activity (status streaming).
    LastActivity {
        /// Who.
        from: Option<Jid>,
        /// Seconds since their last activity.
        seconds: u64,
    },
    /// The server acknowledged these sent messages (XEP-0198): they will not be lost.
    Sent {
        /// The ids of the messages acknowledged.
        ids: Vec<String>,
    },
    /// A sent message bounced with an error.
    MessageError {
        /// The id of the message that failed.
        id: Option<String>,
        /// The error condition (`forbidden`, `service-unavailable`, ...).
        condition: String,
        /// The error text.
        text: Option<String>,
    },
    /// The connection changed state.
    State(ConnectionState),
    /// Something went wrong that the connection survived (a failed reconnect attempt, a
    /// failed catch-up); the connection keeps trying.
    Error(String),
}

impl ChatEvent {
    /// Wraps an error as an event.
    pub(crate) fn error(e: &ChatError) -> Self {
        let mut text = e.to_string();
        let mut source = std::error::Error::source(e);
        while let Some(s) = source {
            text.push_str(": ");
            text.push_str(&s.to_string());
            source = s.source();
        }
        ChatEvent::Error(text)
    }
}

fn user_of(jid: Option<&Jid>) -> Option<UserId> {
    let jid = jid?;
    if jid.room_parts().is_some() {
        return jid.occupant_user_id();
    }
    jid.user_id()
}

fn dialog_of(msg: &Message) -> Option<String> {
    if let Some(d) = msg.dialog_id() {
        return Some(d.to_owned());
    }
    if msg.message_type() == MessageType::Groupchat {
        return msg.from.as_ref()?.dialog_id().map(|d| d.to_string());
    }
    None
}

/// The events a message stanza means (usually one; none for an empty one).
pub(crate) fn from_message(msg: Message) -> Vec<ChatEvent> {
    let mut msg = msg;
    let mut forwarded = false;
    if let Some(carbon) = msg.carbon.take() {
        let inner = match carbon {
            Carbon::Sent(f) | Carbon::Received(f) => f.message,
            _ => return Vec::new(),
        };
        forwarded = true;
        msg = *inner;
    }
    let kind = msg.message_type();
    let from = msg.from.clone();
    let user_id = user_of(from.as_ref());
    let dialog_id = dialog_of(&msg);
    if kind == MessageType::Error {
        let (condition, text) = msg.error.as_ref().map_or_else(
            || ("undefined-condition".to_owned(), None),
            |e| (e.condition.as_str().to_owned(), e.text.clone()),
        );
        return vec![ChatEvent::MessageError {
            id: msg.id,
            condition,
            text,
        }];
    }
    if kind == MessageType::Headline {
        let extra = msg.extra_params.clone().unwrap_or_default();
        if extra.module_identifier() == Some("SystemNotifications") {
            return vec![ChatEvent::System(SystemMessage {
                id: msg.id,
                from,
                body: msg.body,
                extra,
            })];
        }
        return Vec::new();
    }
    let mut out = Vec::new();
    if let Some(state) = &msg.chat_state {
        if matches!(state, ChatState::Composing | ChatState::Paused) && msg.body.is_none() {
            out.push(ChatEvent::Typing {
                from: from.clone(),
                user_id,
                dialog_id: dialog_id.clone(),
                composing: *state == ChatState::Composing,
            });
            return out;
        }
    }
    if let Some(replace) = &msg.replace {
        out.push(ChatEvent::Edited {
            id: replace.id.clone(),
            body: msg.body.clone(),
            from,
            dialog_id,
        });
        return out;
    }
    if let Some(remove) = &msg.remove {
        out.push(ChatEvent::Deleted {
            id: remove.id.clone(),
            from,
            dialog_id,
        });
        return out;
    }
    match &msg.marker {
        Some(ChatMarker::Received { id }) => {
            out.push(ChatEvent::Delivered {
                id: id.clone(),
                from,
                user_id,
                dialog_id,
            });
            return out;
        }
        Some(ChatMarker::Displayed { id }) => {
            out.push(ChatEvent::Read {
                id: id.clone(),
                from,
                user_id,
                dialog_id,
            });
            return out;
        }
        _ => {}
    }
    let extra = msg.extra_params.clone().unwrap_or_default();
    if msg.body.is_none() && extra.attachments().next().is_none() {
        return out;
    }
    let date_sent = extra.date_sent_secs();
    out.push(ChatEvent::Message(ChatMessage {
        id: msg.id,
        kind,
        from: msg.from,
        to: msg.to,
        sender_id: user_id,
        dialog_id,
        body: msg.body,
        extra,
        date_sent,
        forwarded,
        from_history: false,
    }));
    out
}

/// The event a presence means, if any.
pub(crate) fn from_presence(p: &Presence) -> Option<ChatEvent> {
    let available = match &p.kind {
        None => true,
        Some(PresenceType::Unavailable) => false,
        Some(_) => return None,
    };
    let in_room = p.muc_user.is_some() || p.from.as_ref().is_some_and(|j| j.room_parts().is_some());
    Some(ChatEvent::Presence {
        user_id: user_of(p.from.as_ref()),
        from: p.from.clone(),
        available,
        in_room,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use cube_xmpp::stanza::{Remove, Replace};

    fn jid(s: &str) -> Jid {
        s.parse().unwrap()
    }

    #[test]
    fn messages_markers_typing_edits_and_deletes() {
        let m = Message::chat(jid("5-385@localhost"), "hi")
            .with_from(jid("6-385@localhost/r1"))
            .with_id("65937d254b854839d7000000")
            .with_extra_params(ExtraParams::new().with("dialog_id", "5f1e6a0c3d9e4a0001a1b2c3"));
        let [ChatEvent::Message(cm)]: [ChatEvent; 1] = from_message(m).try_into().unwrap() else {
            panic!("one message")
        };
        assert_eq!(cm.sender_id, Some(UserId(6)));
        assert_eq!(cm.dialog_id.as_deref(), Some("5f1e6a0c3d9e4a0001a1b2c3"));
        assert!(cm.dialog().is_some());

        let g = Message::groupchat(jid("385_5f1e6a0c3d9e4a0001a1b2c3@muc.localhost"), "all")
            .with_from(jid("385_5f1e6a0c3d9e4a0001a1b2c3@muc.localhost/7"));
        let [ChatEvent::Message(gm)]: [ChatEvent; 1] = from_message(g).try_into().unwrap() else {
            panic!("one group message")
        };
        assert_eq!(gm.sender_id, Some(UserId(7)));
        assert_eq!(gm.dialog_id.as_deref(), Some("5f1e6a0c3d9e4a0001a1b2c3"));

        let typing = Message::new(MessageType::Chat)
            .with_from(jid("6-385@localhost/r"))
            .with_chat_state(ChatState::Composing);
        assert!(matches!(
            from_message(typing)[..],
            [ChatEvent::Typing {
                composing: true,
                ..
            }]
        ));
        let read = Message::new(MessageType::Chat)
            .with_from(jid("6-385@localhost/r"))
            .with_marker(ChatMarker::Displayed { id: "x".into() });
        assert!(matches!(&from_message(read)[..], [ChatEvent::Read { id, .. }] if id == "x"));
        let edit = Message::chat(jid("5-385@localhost"), "new")
            .with_replace(Replace::new("x").with_last(true));
        assert!(matches!(&from_message(edit)[..], [ChatEvent::Edited { id, .. }] if id == "x"));
        let del = Message::new(MessageType::Chat).with_remove(Remove::new("x"));
        assert!(matches!(&from_message(del)[..], [ChatEvent::Deleted { id, .. }] if id == "x"));
        assert!(from_message(Message::new(MessageType::Chat)).is_empty());
    }

    #[test]
    fn system_messages_and_presence() {
        let sys = Message::new(MessageType::Headline)
            .with_body("sys")
            .with_extra_params(ExtraParams::new().with("moduleIdentifier", "SystemNotifications"));
        assert!(matches!(&from_message(sys)[..], [ChatEvent::System(_)]));
        let p = Presence::unavailable().with_from(jid("6-385@localhost/r"));
        assert!(matches!(
            from_presence(&p),
            Some(ChatEvent::Presence {
                available: false,
                user_id: Some(UserId(6)),
                ..
            })
        ));
    }
}
