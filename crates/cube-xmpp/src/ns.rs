//! XML namespaces used by ConnectyCube chat.

/// RFC 6120 client stanzas (also ConnectyCube's `<extraParams>`).
pub const CLIENT: &str = "jabber:client";
/// RFC 6120 stream elements (`<stream:stream>`, `<stream:features>`, `<stream:error>`).
pub const STREAM: &str = "http://etherx.jabber.org/streams";
/// RFC 7395 WebSocket framing (`<open/>`, `<close/>`).
pub const FRAMING: &str = "urn:ietf:params:xml:ns:xmpp-framing";
/// RFC 6120 stream error conditions.
pub const STREAM_ERRORS: &str = "urn:ietf:params:xml:ns:xmpp-streams";
/// RFC 6120 stanza error conditions.
pub const STANZA_ERRORS: &str = "urn:ietf:params:xml:ns:xmpp-stanzas";
/// RFC 6120 SASL.
pub const SASL: &str = "urn:ietf:params:xml:ns:xmpp-sasl";
/// RFC 6120 STARTTLS.
pub const TLS: &str = "urn:ietf:params:xml:ns:xmpp-tls";
/// RFC 6120 resource binding.
pub const BIND: &str = "urn:ietf:params:xml:ns:xmpp-bind";
/// RFC 3921 legacy session establishment.
pub const SESSION: &str = "urn:ietf:params:xml:ns:xmpp-session";
/// XEP-0198 stream management.
pub const SM: &str = "urn:xmpp:sm:3";
/// XEP-0199 ping.
pub const PING: &str = "urn:xmpp:ping";
/// XEP-0012 last activity.
pub const LAST: &str = "jabber:iq:last";
/// XEP-0016 privacy lists.
pub const PRIVACY: &str = "jabber:iq:privacy";
/// XEP-0280 message carbons.
pub const CARBONS: &str = "urn:xmpp:carbons:2";
/// XEP-0297 stanza forwarding.
pub const FORWARD: &str = "urn:xmpp:forward:0";
/// XEP-0203 delayed delivery.
pub const DELAY: &str = "urn:xmpp:delay";
/// XEP-0085 chat state notifications.
pub const CHATSTATES: &str = "http://jabber.org/protocol/chatstates";
/// XEP-0333 chat markers.
pub const CHAT_MARKERS: &str = "urn:xmpp:chat-markers:0";
/// XEP-0308 last message correction, as ConnectyCube names it.
pub const MESSAGE_CORRECT: &str = "urn:xmpp:message-correct:0";
/// ConnectyCube message deletion.
pub const MESSAGE_DELETE: &str = "urn:xmpp:message-delete:0";
/// ConnectyCube self-destroying messages.
pub const MESSAGE_DESTROY_AFTER: &str = "urn:xmpp:message-destroy-after:0";
/// ConnectyCube reactions (inferred shape, wire.md §8.6).
pub const REACTIONS: &str = "https://connectycube.com/protocol/reactions";
/// ConnectyCube last-activity status streaming.
pub const STATUS_STREAMING: &str = "https://connectycube.com/protocol/status_streaming";
/// Tigase mobile optimisations (ConnectyCube's active/inactive switch).
pub const MOBILE_V2: &str = "http://tigase.org/protocol/mobile#v2";
/// XEP-0045 multi-user chat (join).
pub const MUC: &str = "http://jabber.org/protocol/muc";
/// XEP-0045 multi-user chat (occupant information).
pub const MUC_USER: &str = "http://jabber.org/protocol/muc#user";
/// XEP-0030 service discovery items.
pub const DISCO_ITEMS: &str = "http://jabber.org/protocol/disco#items";
/// XEP-0030 service discovery information.
pub const DISCO_INFO: &str = "http://jabber.org/protocol/disco#info";
/// The `xml:` prefix's namespace.
pub const XML: &str = "http://www.w3.org/XML/1998/namespace";
