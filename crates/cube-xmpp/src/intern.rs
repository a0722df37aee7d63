//! Well-known names and namespaces, borrowed instead of allocated when parsed.

use std::borrow::Cow;

use crate::element::Name;
use crate::ns;

/// A namespace URI: the known ones borrowed.
pub(crate) fn namespace(uri: &str) -> Name {
    const KNOWN: &[&str] = &[
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
        "",
    ];
    known(uri, KNOWN)
}

/// Returns the known name if it is one (so it needs no validation), else `None`.
pub(crate) fn element_name(name: &str) -> Option<Name> {
    const KNOWN: &[&str] = &[
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
    ];
    lookup(name, KNOWN)
}

/// Returns the known attribute name if it is one, else `None`.
pub(crate) fn attr_name(name: &str) -> Option<Name> {
    const KNOWN: &[&str] = &[
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
    ];
    lookup(name, KNOWN)
}

fn lookup(s: &str, table: &[&'static str]) -> Option<Name> {
    // Most misses (extraParams keys, custom names) differ in length from every entry.
    if s.len() > 40 {
        return None;
    }
    table
        .iter()
        .find(|k| k.len() == s.len() && k.as_bytes() == s.as_bytes())
        .map(|k| Cow::Borrowed(*k))
}

fn known(s: &str, table: &[&'static str]) -> Name {
    table
        .iter()
        .find(|k| **k == s)
        .map_or_else(|| Cow::Owned(s.to_owned()), |k| Cow::Borrowed(*k))
}
