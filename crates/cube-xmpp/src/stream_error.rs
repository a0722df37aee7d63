//! RFC 6120 stream errors (`<stream:error>`).

use crate::element::Element;
use crate::error::DecodeError;
use crate::macros::wire_enum;
use crate::ns;

wire_enum! {
    /// A stream error condition (RFC 6120 §4.9.3).
    pub enum StreamErrorCondition {
        /// The entity sent XML that cannot be processed.
        BadFormat => "bad-format",
        /// An unsupported namespace prefix.
        BadNamespacePrefix => "bad-namespace-prefix",
        /// A new stream for the same resource replaced this one.
        Conflict => "conflict",
        /// No traffic for too long.
        ConnectionTimeout => "connection-timeout",
        /// The host is no longer served.
        HostGone => "host-gone",
        /// The host is not served here.
        HostUnknown => "host-unknown",
        /// A stanza lacks a required address.
        ImproperAddressing => "improper-addressing",
        /// The server failed.
        InternalServerError => "internal-server-error",
        /// The from address is not allowed.
        InvalidFrom => "invalid-from",
        /// The stream or a stanza namespace is wrong.
        InvalidNamespace => "invalid-namespace",
        /// Invalid XML.
        InvalidXml => "invalid-xml",
        /// The entity is not authenticated.
        NotAuthorized => "not-authorized",
        /// The input is not well-formed XML.
        NotWellFormed => "not-well-formed",
        /// A local policy (such as a size limit) was violated.
        PolicyViolation => "policy-violation",
        /// A remote connection failed.
        RemoteConnectionFailed => "remote-connection-failed",
        /// The stream must be reset.
        Reset => "reset",
        /// The server lacks resources.
        ResourceConstraint => "resource-constraint",
        /// Restricted XML (comments, processing instructions, DTDs, entity references).
        RestrictedXml => "restricted-xml",
        /// Connect to another host.
        SeeOtherHost => "see-other-host",
        /// The server is shutting down.
        SystemShutdown => "system-shutdown",
        /// Another condition.
        UndefinedCondition => "undefined-condition",
        /// The encoding is not UTF-8.
        UnsupportedEncoding => "unsupported-encoding",
        /// A required feature is unsupported.
        UnsupportedFeature => "unsupported-feature",
        /// A top-level element of an unknown kind.
        UnsupportedStanzaType => "unsupported-stanza-type",
        /// The stream version is unsupported.
        UnsupportedVersion => "unsupported-version",
    }
}

/// `<stream:error>`: the peer closes the stream because of this condition.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct StreamError {
    /// The defined condition.
    pub condition: StreamErrorCondition,
    /// Optional human-readable text.
    pub text: Option<String>,
    /// Application-specific children, kept verbatim.
    pub others: Vec<Element>,
}

impl StreamError {
    /// A stream error with this condition and no text.
    pub fn new(condition: StreamErrorCondition) -> Self {
        Self {
            condition,
            text: None,
            others: Vec::new(),
        }
    }

    /// Builder: sets the text.
    pub fn with_text(mut self, text: impl Into<String>) -> Self {
        self.text = Some(text.into());
        self
    }
}

impl TryFrom<Element> for StreamError {
    type Error = DecodeError;

    fn try_from(el: Element) -> Result<Self, Self::Error> {
        if !el.is("error", ns::STREAM) {
            return Err(DecodeError::NotMine(el));
        }
        let mut condition = None;
        let mut text = None;
        let mut others = Vec::new();
        for child in el.into_children() {
            if child.ns() == ns::STREAM_ERRORS {
                if child.name() == "text" {
                    text = Some(child.text());
                } else if condition.is_none() {
                    condition = Some(StreamErrorCondition::from_wire(child.name()));
                }
            } else {
                others.push(child);
            }
        }
        Ok(Self {
            condition: condition.ok_or(DecodeError::Missing {
                element: "stream:error",
                what: "condition",
            })?,
            text,
            others,
        })
    }
}

impl From<StreamError> for Element {
    fn from(e: StreamError) -> Element {
        let mut el = Element::new("error", ns::STREAM)
            .with_child(Element::new(e.condition.to_name(), ns::STREAM_ERRORS));
        if let Some(text) = e.text {
            el.push_child(Element::new("text", ns::STREAM_ERRORS).with_text(text));
        }
        for o in e.others {
            el.push_child(o);
        }
        el
    }
}
