//! The error of decoding an element into a typed stanza or payload.

use crate::element::Element;
use crate::jid::JidError;

/// Why an element did not become a typed value.
///
/// `NotMine` gives the element back unchanged so the caller can try the next type;
/// the other variants mean "this is mine, but it is malformed".
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The element has another name or namespace; here it is back.
    #[error("element <{}> in namespace {:?} is not of the expected type", .0.name(), .0.ns())]
    NotMine(Element),
    /// A required attribute or child is missing.
    #[error("<{element}> lacks its required {what}")]
    Missing {
        /// The element being decoded.
        element: &'static str,
        /// The missing attribute or child, e.g. `attribute id`.
        what: &'static str,
    },
    /// An attribute or text has a value this element cannot have.
    #[error("<{element}> has an invalid {what}: {value:?}")]
    Invalid {
        /// The element being decoded.
        element: &'static str,
        /// Which attribute or text.
        what: &'static str,
        /// The offending value (truncated).
        value: String,
    },
    /// An address attribute is not a JID.
    #[error("<{element}> has an invalid jid in {attr}")]
    Jid {
        /// The element being decoded.
        element: &'static str,
        /// The attribute holding the address.
        attr: &'static str,
        /// Why the address is invalid.
        #[source]
        source: JidError,
    },
    /// Base64 content that does not decode.
    #[error("<{element}> has invalid base64 content")]
    Base64 {
        /// The element being decoded.
        element: &'static str,
        /// The decoder's complaint.
        #[source]
        source: base64::DecodeError,
    },
}

impl DecodeError {
    /// Whether the element was simply of another type (and is given back).
    pub fn is_not_mine(&self) -> bool {
        matches!(self, Self::NotMine(_))
    }

    pub(crate) fn invalid(element: &'static str, what: &'static str, value: &str) -> Self {
        let mut value = value.to_owned();
        if value.len() > 64 {
            let mut cut = 64;
            while !value.is_char_boundary(cut) {
                cut -= 1;
            }
            value.truncate(cut);
        }
        Self::Invalid {
            element,
            what,
            value,
        }
    }
}
