//! RFC 6120 stanza errors (`<error type="…"><condition/><text/></error>`).

use crate::element::Element;
use crate::error::DecodeError;
use crate::macros::wire_enum;
use crate::ns;

use super::parse_num;

wire_enum! {
    /// How the sender should treat a stanza error.
    pub enum ErrorType {
        /// Do not retry.
        Cancel => "cancel",
        /// Proceed (a warning).
        Continue => "continue",
        /// Retry after changing the data.
        Modify => "modify",
        /// Retry after providing credentials.
        Auth => "auth",
        /// Retry after waiting.
        Wait => "wait",
    }
}

wire_enum! {
    /// A stanza error condition (RFC 6120 §8.3.3).
    pub enum DefinedCondition {
        /// Malformed request.
        BadRequest => "bad-request",
        /// Conflicts with existing state.
        Conflict => "conflict",
        /// Not implemented.
        FeatureNotImplemented => "feature-not-implemented",
        /// Not permitted.
        Forbidden => "forbidden",
        /// The recipient is gone.
        Gone => "gone",
        /// The server failed.
        InternalServerError => "internal-server-error",
        /// No such item.
        ItemNotFound => "item-not-found",
        /// An address is malformed.
        JidMalformed => "jid-malformed",
        /// Not acceptable.
        NotAcceptable => "not-acceptable",
        /// Not allowed.
        NotAllowed => "not-allowed",
        /// Not authorized.
        NotAuthorized => "not-authorized",
        /// Against local policy.
        PolicyViolation => "policy-violation",
        /// The recipient is unavailable.
        RecipientUnavailable => "recipient-unavailable",
        /// Redirect elsewhere.
        Redirect => "redirect",
        /// Registration is required.
        RegistrationRequired => "registration-required",
        /// The remote server does not exist.
        RemoteServerNotFound => "remote-server-not-found",
        /// The remote server timed out.
        RemoteServerTimeout => "remote-server-timeout",
        /// The server lacks resources.
        ResourceConstraint => "resource-constraint",
        /// The service is unavailable.
        ServiceUnavailable => "service-unavailable",
        /// A subscription is required.
        SubscriptionRequired => "subscription-required",
        /// Another condition.
        UndefinedCondition => "undefined-condition",
        /// Unexpected at this point.
        UnexpectedRequest => "unexpected-request",
    }
}

impl DefinedCondition {
    /// The legacy numeric `code` the JS SDK reads into `error.code` (XEP-0086).
    pub fn legacy_code(&self) -> Option<u16> {
        Some(match self {
            Self::BadRequest | Self::JidMalformed | Self::UnexpectedRequest => 400,
            Self::NotAuthorized => 401,
            Self::RegistrationRequired | Self::Forbidden => 403,
            Self::ItemNotFound | Self::RecipientUnavailable | Self::RemoteServerNotFound => 404,
            Self::NotAllowed => 405,
            Self::NotAcceptable | Self::PolicyViolation => 406,
            Self::SubscriptionRequired => 407,
            Self::Conflict => 409,
            Self::InternalServerError | Self::UndefinedCondition | Self::ResourceConstraint => 500,
            Self::FeatureNotImplemented => 501,
            Self::ServiceUnavailable => 503,
            Self::RemoteServerTimeout => 504,
            Self::Gone | Self::Redirect => 302,
            Self::Other(_) => return None,
        })
    }
}

/// `<error/>` inside a stanza of type `error`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct StanzaError {
    /// `type`: how to treat the error.
    pub kind: ErrorType,
    /// The defined condition.
    pub condition: DefinedCondition,
    /// Optional human-readable text.
    pub text: Option<String>,
    /// The legacy `code` attribute (the JS SDK reads it as the numeric code).
    pub code: Option<u16>,
    /// `by`: the entity that generated the error.
    pub by: Option<String>,
    /// Application-specific children, kept verbatim.
    pub others: Vec<Element>,
}

impl StanzaError {
    /// An error of this type and condition, with the legacy code the JS SDK reads.
    pub fn new(kind: ErrorType, condition: DefinedCondition) -> Self {
        let code = condition.legacy_code();
        Self {
            kind,
            condition,
            text: None,
            code,
            by: None,
            others: Vec::new(),
        }
    }

    /// Builder: sets the text.
    pub fn with_text(mut self, text: impl Into<String>) -> Self {
        self.text = Some(text.into());
        self
    }
}

impl TryFrom<Element> for StanzaError {
    type Error = DecodeError;

    fn try_from(el: Element) -> Result<Self, Self::Error> {
        let el = super::expect(el, "error", ns::CLIENT)?;
        let kind = ErrorType::from_wire(el.attr("type").ok_or(DecodeError::Missing {
            element: "error",
            what: "attribute type",
        })?);
        let code = el
            .attr("code")
            .map(|c| parse_num(c, "error", "code"))
            .transpose()?;
        let by = el.attr("by").map(str::to_owned);
        let mut condition = None;
        let mut text = None;
        let mut others = Vec::new();
        for child in el.into_children() {
            if child.ns() == ns::STANZA_ERRORS {
                if child.name() == "text" {
                    text = Some(child.text());
                    continue;
                }
                if condition.is_none() {
                    condition = Some(DefinedCondition::from_wire(child.name()));
                    continue;
                }
            }
            others.push(child);
        }
        Ok(Self {
            kind,
            condition: condition.unwrap_or(DefinedCondition::UndefinedCondition),
            text,
            code,
            by,
            others,
        })
    }
}

impl From<StanzaError> for Element {
    fn from(e: StanzaError) -> Element {
        let mut el = Element::new("error", ns::CLIENT).with_attr("type", e.kind.as_str());
        if let Some(code) = e.code {
            el.set_attr("code", code.to_string());
        }
        if let Some(by) = e.by {
            el.set_attr("by", by);
        }
        el.push_child(Element::new(e.condition.to_name(), ns::STANZA_ERRORS));
        if let Some(text) = e.text {
            el.push_child(
                Element::new("text", ns::STANZA_ERRORS)
                    .with_attr("xml:lang", "en")
                    .with_text(text),
            );
        }
        for o in e.others {
            el.push_child(o);
        }
        el
    }
}
