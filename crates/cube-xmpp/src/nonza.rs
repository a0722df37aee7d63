//! Top-level elements that are not stanzas: stream features, SASL, stream management.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;

use crate::element::Element;
use crate::error::DecodeError;
use crate::macros::wire_enum;
use crate::ns;
use crate::stanza::{DefinedCondition, Stanza, expect, parse_bool, parse_num, required_attr};
use crate::stream_error::StreamError;

/// `<stream:features>`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct StreamFeatures {
    /// `<starttls>`; `Some(true)` when `<required/>`.
    pub starttls: Option<bool>,
    /// `<mechanisms>`: the SASL mechanisms offered, in order.
    pub mechanisms: Option<Vec<String>>,
    /// `<bind>`: resource binding is offered.
    pub bind: bool,
    /// `<session>`; `Some(true)` when `<optional/>`.
    pub session: Option<bool>,
    /// `<sm xmlns="urn:xmpp:sm:3">`: stream management is offered.
    pub sm: bool,
    /// Other features, kept verbatim.
    pub others: Vec<Element>,
}

impl StreamFeatures {
    /// The features before authentication: these SASL mechanisms.
    pub fn sasl<S: Into<String>>(mechanisms: impl IntoIterator<Item = S>) -> Self {
        Self {
            mechanisms: Some(mechanisms.into_iter().map(Into::into).collect()),
            ..Self::default()
        }
    }

    /// The features after authentication: bind, optional session, and `sm` if wanted.
    pub fn bind(sm: bool) -> Self {
        Self {
            bind: true,
            session: Some(true),
            sm,
            ..Self::default()
        }
    }

    /// Builder: offer STARTTLS (`required`: `<required/>` inside).
    pub fn with_starttls(mut self, required: bool) -> Self {
        self.starttls = Some(required);
        self
    }

    /// Whether a mechanism is offered.
    pub fn offers(&self, mechanism: &str) -> bool {
        self.mechanisms
            .as_ref()
            .is_some_and(|m| m.iter().any(|x| x == mechanism))
    }
}

impl TryFrom<Element> for StreamFeatures {
    type Error = DecodeError;

    fn try_from(el: Element) -> Result<Self, Self::Error> {
        let el = expect(el, "features", ns::STREAM)?;
        let mut f = StreamFeatures::default();
        for child in el.into_children() {
            match (child.ns(), child.name()) {
                (ns::TLS, "starttls") => f.starttls = Some(child.has_child("required", ns::TLS)),
                (ns::SASL, "mechanisms") => {
                    f.mechanisms = Some(
                        child
                            .children()
                            .filter(|m| m.is("mechanism", ns::SASL))
                            .map(|m| m.text().trim().to_owned())
                            .collect(),
                    );
                }
                (ns::BIND, "bind") => f.bind = true,
                (ns::SESSION, "session") => {
                    f.session = Some(child.has_child("optional", ns::SESSION));
                }
                (ns::SM, "sm") => f.sm = true,
                _ => f.others.push(child),
            }
        }
        Ok(f)
    }
}

impl From<StreamFeatures> for Element {
    fn from(f: StreamFeatures) -> Element {
        let mut el = Element::new("features", ns::STREAM);
        if let Some(required) = f.starttls {
            let mut s = Element::new("starttls", ns::TLS);
            if required {
                s.push_child(Element::new("required", ns::TLS));
            }
            el.push_child(s);
        }
        if let Some(mechs) = f.mechanisms {
            let mut m = Element::new("mechanisms", ns::SASL);
            for mech in mechs {
                m.push_child(Element::new("mechanism", ns::SASL).with_text(mech));
            }
            el.push_child(m);
        }
        if f.bind {
            el.push_child(Element::new("bind", ns::BIND));
        }
        if let Some(optional) = f.session {
            let mut s = Element::new("session", ns::SESSION);
            if optional {
                s.push_child(Element::new("optional", ns::SESSION));
            }
            el.push_child(s);
        }
        if f.sm {
            el.push_child(Element::new("sm", ns::SM));
        }
        for o in f.others {
            el.push_child(o);
        }
        el
    }
}

/// Decodes SASL base64 content: empty text is "no data", `=` is "empty data".
fn decode_b64(el: &Element, element: &'static str) -> Result<Option<Vec<u8>>, DecodeError> {
    let text = el.text();
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    if text == "=" {
        return Ok(Some(Vec::new()));
    }
    B64.decode(text)
        .map(Some)
        .map_err(|source| DecodeError::Base64 { element, source })
}

fn encode_b64(el: &mut Element, data: Option<&[u8]>) {
    match data {
        None => {}
        Some([]) => el.push_text("="),
        Some(d) => el.push_text(B64.encode(d)),
    }
}

wire_enum! {
    /// A SASL failure condition (RFC 6120 §6.5).
    pub enum SaslCondition {
        /// The exchange was aborted.
        Aborted => "aborted",
        /// The account is disabled.
        AccountDisabled => "account-disabled",
        /// The credentials expired.
        CredentialsExpired => "credentials-expired",
        /// Encryption is required first.
        EncryptionRequired => "encryption-required",
        /// Bad base64.
        IncorrectEncoding => "incorrect-encoding",
        /// The authzid is not allowed.
        InvalidAuthzid => "invalid-authzid",
        /// The mechanism is not offered.
        InvalidMechanism => "invalid-mechanism",
        /// The request is malformed.
        MalformedRequest => "malformed-request",
        /// The mechanism is too weak.
        MechanismTooWeak => "mechanism-too-weak",
        /// Wrong credentials.
        NotAuthorized => "not-authorized",
        /// A temporary failure.
        TemporaryAuthFailure => "temporary-auth-failure",
    }
}

/// A SASL element.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Sasl {
    /// `<auth mechanism>`: the client starts, with an optional initial response.
    Auth {
        /// The chosen mechanism.
        mechanism: String,
        /// The initial response (`None`: none was sent).
        initial: Option<Vec<u8>>,
    },
    /// `<challenge>`.
    Challenge(Vec<u8>),
    /// `<response>`; the JS SDK adds a non-standard `mechanism` attribute, kept here.
    Response {
        /// The data.
        data: Vec<u8>,
        /// The non-standard `mechanism` attribute (ignored by servers).
        mechanism: Option<String>,
    },
    /// `<success>` with optional additional data (SCRAM's `v=`).
    Success(Option<Vec<u8>>),
    /// `<failure>`.
    Failure {
        /// The condition.
        condition: SaslCondition,
        /// Optional text.
        text: Option<String>,
    },
    /// `<abort/>`.
    Abort,
}

impl TryFrom<Element> for Sasl {
    type Error = DecodeError;

    fn try_from(el: Element) -> Result<Self, Self::Error> {
        if el.ns() != ns::SASL {
            return Err(DecodeError::NotMine(el));
        }
        Ok(match el.name() {
            "auth" => Sasl::Auth {
                mechanism: required_attr(&el, "mechanism", "auth")?,
                initial: decode_b64(&el, "auth")?,
            },
            "challenge" => Sasl::Challenge(decode_b64(&el, "challenge")?.unwrap_or_default()),
            "response" => Sasl::Response {
                data: decode_b64(&el, "response")?.unwrap_or_default(),
                mechanism: el.attr("mechanism").map(str::to_owned),
            },
            "success" => Sasl::Success(decode_b64(&el, "success")?),
            "failure" => {
                let mut condition = SaslCondition::NotAuthorized;
                let mut text = None;
                for c in el.children() {
                    if c.name() == "text" {
                        text = Some(c.text());
                    } else {
                        condition = SaslCondition::from_wire(c.name());
                    }
                }
                Sasl::Failure { condition, text }
            }
            "abort" => Sasl::Abort,
            _ => return Err(DecodeError::NotMine(el)),
        })
    }
}

impl From<Sasl> for Element {
    fn from(s: Sasl) -> Element {
        match s {
            Sasl::Auth { mechanism, initial } => {
                let mut el = Element::new("auth", ns::SASL).with_attr("mechanism", mechanism);
                encode_b64(&mut el, initial.as_deref());
                el
            }
            Sasl::Challenge(data) => {
                let mut el = Element::new("challenge", ns::SASL);
                encode_b64(&mut el, Some(&data));
                el
            }
            Sasl::Response { data, mechanism } => {
                let mut el =
                    Element::new("response", ns::SASL).with_opt_attr("mechanism", mechanism);
                encode_b64(&mut el, Some(&data));
                el
            }
            Sasl::Success(data) => {
                let mut el = Element::new("success", ns::SASL);
                encode_b64(&mut el, data.as_deref());
                el
            }
            Sasl::Failure { condition, text } => {
                let mut el = Element::new("failure", ns::SASL)
                    .with_child(Element::new(condition.to_name(), ns::SASL));
                if let Some(t) = text {
                    el.push_child(Element::new("text", ns::SASL).with_text(t));
                }
                el
            }
            Sasl::Abort => Element::new("abort", ns::SASL),
        }
    }
}

/// An RFC 6120 §5 STARTTLS element.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Tls {
    /// `<starttls/>`: the client asks to upgrade the stream to TLS.
    StartTls,
    /// `<proceed/>`: the server agrees; the TLS handshake follows on the same socket.
    Proceed,
    /// `<failure/>`: the server refuses (and closes the stream).
    Failure,
}

impl TryFrom<Element> for Tls {
    type Error = DecodeError;

    fn try_from(el: Element) -> Result<Self, Self::Error> {
        if el.ns() != ns::TLS {
            return Err(DecodeError::NotMine(el));
        }
        Ok(match el.name() {
            "starttls" => Tls::StartTls,
            "proceed" => Tls::Proceed,
            "failure" => Tls::Failure,
            _ => return Err(DecodeError::NotMine(el)),
        })
    }
}

impl From<Tls> for Element {
    fn from(t: Tls) -> Element {
        let name = match t {
            Tls::StartTls => "starttls",
            Tls::Proceed => "proceed",
            Tls::Failure => "failure",
        };
        Element::new(name, ns::TLS)
    }
}

/// A XEP-0198 stream management element.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Sm {
    /// `<enable resume max/>`.
    Enable {
        /// The client wants resumption.
        resume: bool,
        /// Preferred maximum resumption time, seconds.
        max: Option<u32>,
    },
    /// `<enabled id resume max location/>`.
    Enabled {
        /// The stream id to resume with.
        id: Option<String>,
        /// Whether resumption is allowed.
        resume: bool,
        /// Maximum resumption time, seconds.
        max: Option<u32>,
        /// Where to reconnect for resumption.
        location: Option<String>,
    },
    /// `<r/>`: please acknowledge.
    Request,
    /// `<a h/>`: this many stanzas were handled.
    Ack {
        /// Count of stanzas handled (mod 2^32).
        h: u32,
    },
    /// `<resume previd h/>`.
    Resume {
        /// The previous stream's id.
        previd: String,
        /// Stanzas the client handled from the old stream.
        h: u32,
    },
    /// `<resumed previd h/>`.
    Resumed {
        /// The previous stream's id.
        previd: String,
        /// Stanzas the server handled from the old stream.
        h: u32,
    },
    /// `<failed h/>` with an optional stanza error condition.
    Failed {
        /// Stanzas handled, when known.
        h: Option<u32>,
        /// The reason.
        condition: Option<DefinedCondition>,
    },
}

fn opt_bool(el: &Element, attr: &'static str, element: &'static str) -> Result<bool, DecodeError> {
    el.attr(attr)
        .map_or(Ok(false), |v| parse_bool(v, element, attr))
}

fn opt_num(
    el: &Element,
    attr: &'static str,
    element: &'static str,
) -> Result<Option<u32>, DecodeError> {
    el.attr(attr)
        .map(|v| parse_num(v, element, attr))
        .transpose()
}

impl TryFrom<Element> for Sm {
    type Error = DecodeError;

    fn try_from(el: Element) -> Result<Self, Self::Error> {
        if el.ns() != ns::SM {
            return Err(DecodeError::NotMine(el));
        }
        let h = |name: &'static str| -> Result<u32, DecodeError> {
            parse_num(&required_attr(&el, "h", name)?, name, "h")
        };
        Ok(match el.name() {
            "enable" => Sm::Enable {
                resume: opt_bool(&el, "resume", "enable")?,
                max: opt_num(&el, "max", "enable")?,
            },
            "enabled" => Sm::Enabled {
                id: el.attr("id").map(str::to_owned),
                resume: opt_bool(&el, "resume", "enabled")?,
                max: opt_num(&el, "max", "enabled")?,
                location: el.attr("location").map(str::to_owned),
            },
            "r" => Sm::Request,
            "a" => Sm::Ack { h: h("a")? },
            "resume" => Sm::Resume {
                previd: required_attr(&el, "previd", "resume")?,
                h: h("resume")?,
            },
            "resumed" => Sm::Resumed {
                previd: required_attr(&el, "previd", "resumed")?,
                h: h("resumed")?,
            },
            "failed" => Sm::Failed {
                h: opt_num(&el, "h", "failed")?,
                condition: el
                    .children()
                    .find(|c| c.ns() == ns::STANZA_ERRORS)
                    .map(|c| DefinedCondition::from_wire(c.name())),
            },
            _ => return Err(DecodeError::NotMine(el)),
        })
    }
}

impl From<Sm> for Element {
    fn from(s: Sm) -> Element {
        let bool_attr = |b: bool| b.then_some("true");
        match s {
            Sm::Enable { resume, max } => Element::new("enable", ns::SM)
                .with_opt_attr("resume", bool_attr(resume))
                .with_opt_attr("max", max.map(|m| m.to_string())),
            Sm::Enabled {
                id,
                resume,
                max,
                location,
            } => Element::new("enabled", ns::SM)
                .with_opt_attr("id", id)
                .with_opt_attr("resume", bool_attr(resume))
                .with_opt_attr("max", max.map(|m| m.to_string()))
                .with_opt_attr("location", location),
            Sm::Request => Element::new("r", ns::SM),
            Sm::Ack { h } => Element::new("a", ns::SM).with_attr("h", h.to_string()),
            Sm::Resume { previd, h } => Element::new("resume", ns::SM)
                .with_attr("previd", previd)
                .with_attr("h", h.to_string()),
            Sm::Resumed { previd, h } => Element::new("resumed", ns::SM)
                .with_attr("previd", previd)
                .with_attr("h", h.to_string()),
            Sm::Failed { h, condition } => {
                let mut el =
                    Element::new("failed", ns::SM).with_opt_attr("h", h.map(|h| h.to_string()));
                if let Some(c) = condition {
                    el.push_child(Element::new(c.to_name(), ns::STANZA_ERRORS));
                }
                el
            }
        }
    }
}

/// Any top-level element, classified.
// Stanzas (mostly messages) are the common case; boxing them would cost an allocation each.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Packet {
    /// A message, presence or iq.
    Stanza(Stanza),
    /// `<stream:features>`.
    Features(StreamFeatures),
    /// `<stream:error>`.
    StreamError(StreamError),
    /// A SASL element.
    Sasl(Sasl),
    /// A stream management element.
    Sm(Sm),
    /// A STARTTLS element.
    Tls(Tls),
    /// Anything else, verbatim.
    Other(Element),
}

impl TryFrom<Element> for Packet {
    type Error = DecodeError;

    /// Never returns `NotMine`: unknown elements become [`Packet::Other`].
    fn try_from(el: Element) -> Result<Self, Self::Error> {
        Ok(match el.ns() {
            ns::CLIENT if Stanza::is_stanza(&el) => Packet::Stanza(Stanza::try_from(el)?),
            ns::SASL => match Sasl::try_from(el) {
                Ok(s) => Packet::Sasl(s),
                Err(DecodeError::NotMine(el)) => Packet::Other(el),
                Err(e) => return Err(e),
            },
            ns::SM => match Sm::try_from(el) {
                Ok(s) => Packet::Sm(s),
                Err(DecodeError::NotMine(el)) => Packet::Other(el),
                Err(e) => return Err(e),
            },
            ns::TLS => match Tls::try_from(el) {
                Ok(t) => Packet::Tls(t),
                Err(DecodeError::NotMine(el)) => Packet::Other(el),
                Err(e) => return Err(e),
            },
            ns::STREAM if el.name() == "features" => {
                Packet::Features(StreamFeatures::try_from(el)?)
            }
            ns::STREAM if el.name() == "error" => Packet::StreamError(StreamError::try_from(el)?),
            _ => Packet::Other(el),
        })
    }
}

impl From<Packet> for Element {
    fn from(p: Packet) -> Element {
        match p {
            Packet::Stanza(s) => s.into(),
            Packet::Features(f) => f.into(),
            Packet::StreamError(e) => e.into(),
            Packet::Sasl(s) => s.into(),
            Packet::Sm(s) => s.into(),
            Packet::Tls(t) => t.into(),
            Packet::Other(el) => el,
        }
    }
}
