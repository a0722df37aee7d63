//! Well-known names and namespaces, borrowed instead of allocated when parsed.

use std::borrow::Cow;

use crate::element::Name;
use crate::ns;

/// `Some(&'static str)` when the string is one of the listed ones: a `match`, which the
/// compiler turns into a switch on the length and a few word comparisons.
macro_rules! interned {
    ($s:expr; path $($k:path),* $(,)?) => {
        match $s {
            $($k => Some($k),)*
            _ => None,
        }
    };
    ($s:expr; $($k:literal),* $(,)?) => {
        match $s {
            $($k => Some(Cow::Borrowed($k)),)*
            _ => None,
        }
    };
}

/// A namespace URI: the known ones borrowed.
pub(crate) fn namespace(uri: &str) -> Name {
    if uri.is_empty() {
        return Cow::Borrowed("");
    }
    interned!(uri; path
        ns::CLIENT,
        ns::STREAM,
        ns::FRAMING,
        ns::STREAM_ERRORS,
        ns::STANZA_ERRORS,
        ns::SASL,
        ns::TLS,
        ns::BIND,
        ns::SESSION,
        ns::SM,
        ns::PING,
        ns::LAST,
        ns::PRIVACY,
        ns::CARBONS,
        ns::FORWARD,
        ns::DELAY,
        ns::CHATSTATES,
        ns::CHAT_MARKERS,
        ns::MESSAGE_CORRECT,
        ns::MESSAGE_DELETE,
        ns::MESSAGE_DESTROY_AFTER,
        ns::REACTIONS,
        ns::STATUS_STREAMING,
        ns::MOBILE_V2,
        ns::MUC,
        ns::MUC_USER,
        ns::DISCO_ITEMS,
        ns::DISCO_INFO,
        ns::XML,
    )
    .map_or_else(|| Cow::Owned(uri.to_owned()), Cow::Borrowed)
}

/// Returns the known name if it is one (so it needs no validation), else `None`.
pub(crate) fn element_name(name: &str) -> Option<Name> {
    interned!(name;
        "message",
        "presence",
        "iq",
        "body",
        "extraParams",
        "attachment",
        "query",
        "item",
        "x",
        "error",
        "text",
        "thread",
        "subject",
        "markable",
        "received",
        "displayed",
        "composing",
        "paused",
        "active",
        "inactive",
        "gone",
        "replace",
        "remove",
        "delay",
        "sent",
        "forwarded",
        "bind",
        "jid",
        "resource",
        "session",
        "ping",
        "enable",
        "enabled",
        "r",
        "a",
        "open",
        "close",
        "features",
        "mechanisms",
        "mechanism",
        "auth",
        "challenge",
        "response",
        "success",
        "failure",
        "status",
        "show",
        "priority",
        "history",
        "mobile",
        "subscribe",
        "reactions",
        "reaction",
        "stream",
    )
}

/// Returns the known attribute name if it is one, else `None`.
pub(crate) fn attr_name(name: &str) -> Option<Name> {
    interned!(name;
        "from",
        "to",
        "id",
        "type",
        "xml:lang",
        "version",
        "name",
        "url",
        "size",
        "uid",
        "h",
        "enable",
        "seconds",
        "value",
        "action",
        "order",
        "code",
        "stamp",
        "last",
        "jid",
        "affiliation",
        "role",
        "mechanism",
        "maxstanzas",
        "previd",
        "resume",
        "user_jid",
        "message_id",
        "user_id",
        "after",
        "content-type",
    )
}
