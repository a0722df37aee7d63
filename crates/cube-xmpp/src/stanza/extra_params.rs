//! ConnectyCube's `<extraParams xmlns="jabber:client">`: the message "extension".
//!
//! Its children are, in order: plain values (`<key>text</key>`, every value a string, an empty
//! element an empty string), nested objects (`<key><a>1</a></key>`), and attachments
//! (`<attachment type="image" url="…"/>`, every value an attribute). Anything else (attributes
//! on a non-attachment, mixed content, a foreign namespace) is kept verbatim as
//! [`Param::Raw`] (wire.md §8.5, §8.6).

use std::borrow::Cow;

use crate::element::{Element, Name, Node, is_valid_name};
use crate::error::DecodeError;
use crate::ns;

/// A key that cannot be an XML element name (e.g. `0`, `a b`, ``).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} cannot be an extraParams key (it is not an xml name)")]
pub struct InvalidKey(pub String);

/// The ConnectyCube message extension.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExtraParams {
    params: Vec<Param>,
}

/// One child of `<extraParams>` (or of a nested object).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Param {
    /// `<key>value</key>`; the value is always a string (`<key/>` is `""`).
    Value {
        /// The element name.
        key: String,
        /// The text.
        value: String,
    },
    /// `<key><child>…</child>…</key>`: a nested object, in order.
    Object {
        /// The element name.
        key: String,
        /// The nested fields.
        fields: Vec<Param>,
    },
    /// `<attachment k="v" …/>`.
    Attachment(Attachment),
    /// Any other element, kept verbatim.
    Raw(Element),
}

impl Param {
    /// The element name of this parameter.
    pub fn key(&self) -> &str {
        match self {
            Param::Value { key, .. } | Param::Object { key, .. } => key,
            Param::Attachment(_) => "attachment",
            Param::Raw(el) => el.name(),
        }
    }

    fn from_element(mut el: Element) -> Param {
        if el.ns() != ns::CLIENT {
            return Param::Raw(el);
        }
        let has_elements = el.children().next().is_some();
        if el.name() == "attachment" && !has_elements && el.nodes().is_empty() {
            return Param::Attachment(Attachment {
                attrs: el.take_attrs(),
            });
        }
        if el.attr_count() > 0 {
            return Param::Raw(el);
        }
        if !has_elements {
            let value = el.take_text();
            return Param::Value {
                key: el.take_name().into_owned(),
                value,
            };
        }
        let mixed = el
            .nodes()
            .iter()
            .any(|n| matches!(n, Node::Text(t) if !t.trim().is_empty()));
        if mixed {
            return Param::Raw(el);
        }
        let key = el.take_name().into_owned();
        Param::Object {
            key,
            fields: el.into_children().map(Param::from_element).collect(),
        }
    }

    fn into_element(self) -> Element {
        match self {
            Param::Value { key, value } => Element::new(key, ns::CLIENT).with_text(value),
            Param::Object { key, fields } => {
                let mut el = Element::new(key, ns::CLIENT);
                for f in fields {
                    el.push_child(f.into_element());
                }
                el
            }
            Param::Attachment(a) => a.into(),
            Param::Raw(el) => el,
        }
    }
}

fn check_key(key: &str) -> Result<(), InvalidKey> {
    if is_valid_name(key) {
        Ok(())
    } else {
        Err(InvalidKey(key.to_owned()))
    }
}

impl ExtraParams {
    /// An empty extension.
    pub fn new() -> Self {
        Self::default()
    }

    /// The parameters in order.
    pub fn params(&self) -> &[Param] {
        &self.params
    }

    /// The parameters, mutably.
    pub fn params_mut(&mut self) -> &mut Vec<Param> {
        &mut self.params
    }

    /// Whether there are no parameters.
    pub fn is_empty(&self) -> bool {
        self.params.is_empty()
    }

    /// The first plain value under this key.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.params.iter().find_map(|p| match p {
            Param::Value { key: k, value } if k == key => Some(value.as_str()),
            _ => None,
        })
    }

    /// The first nested object under this key.
    pub fn object(&self, key: &str) -> Option<&[Param]> {
        self.params.iter().find_map(|p| match p {
            Param::Object { key: k, fields } if k == key => Some(fields.as_slice()),
            _ => None,
        })
    }

    /// The attachments in order.
    pub fn attachments(&self) -> impl Iterator<Item = &Attachment> {
        self.params.iter().filter_map(|p| match p {
            Param::Attachment(a) => Some(a),
            _ => None,
        })
    }

    /// Sets a plain value: replaces the first parameter with this key, or appends.
    pub fn set(&mut self, key: &str, value: impl Into<String>) -> Result<(), InvalidKey> {
        check_key(key)?;
        let value = value.into();
        let new = Param::Value {
            key: key.to_owned(),
            value,
        };
        if let Some(slot) = self
            .params
            .iter_mut()
            .find(|p| !matches!(p, Param::Attachment(_)) && p.key() == key)
        {
            *slot = new;
        } else {
            self.params.push(new);
        }
        Ok(())
    }

    /// Builder: sets a plain value (see [`ExtraParams::set`]).
    pub fn try_with(mut self, key: &str, value: impl Into<String>) -> Result<Self, InvalidKey> {
        self.set(key, value)?;
        Ok(self)
    }

    /// Builder: sets a plain value whose key is known to be valid (a literal).
    ///
    /// # Panics
    /// If `key` is not an XML name; use [`ExtraParams::try_with`] for keys from data.
    pub fn with(self, key: &str, value: impl Into<String>) -> Self {
        match self.try_with(key, value) {
            Ok(p) => p,
            Err(e) => panic!("{e}"),
        }
    }

    /// Appends a nested object.
    pub fn push_object(&mut self, key: &str, fields: Vec<Param>) -> Result<(), InvalidKey> {
        check_key(key)?;
        self.params.push(Param::Object {
            key: key.to_owned(),
            fields,
        });
        Ok(())
    }

    /// Builder: appends an attachment.
    pub fn with_attachment(mut self, attachment: Attachment) -> Self {
        self.params.push(Param::Attachment(attachment));
        self
    }

    /// Appends any parameter.
    pub fn push(&mut self, param: Param) {
        self.params.push(param);
    }

    /// Removes and returns the first non-attachment parameter with this key.
    pub fn remove(&mut self, key: &str) -> Option<Param> {
        let at = self
            .params
            .iter()
            .position(|p| !matches!(p, Param::Attachment(_)) && p.key() == key)?;
        Some(self.params.remove(at))
    }

    /// `save_to_history` is `1`: the server stores the message (the default is not to).
    pub fn save_to_history(&self) -> bool {
        self.get("save_to_history") == Some("1")
    }

    /// `dialog_id`.
    pub fn dialog_id(&self) -> Option<&str> {
        self.get("dialog_id")
    }

    /// `date_sent` as sent (Unix seconds, as a string).
    pub fn date_sent(&self) -> Option<&str> {
        self.get("date_sent")
    }

    /// `date_sent` as Unix seconds, when it is an integer.
    pub fn date_sent_secs(&self) -> Option<i64> {
        self.date_sent()?.trim().parse().ok()
    }

    /// `moduleIdentifier` (`SystemNotifications`, `WebRTCVideoChat`).
    pub fn module_identifier(&self) -> Option<&str> {
        self.get("moduleIdentifier")
    }

    /// `silent` is `1`: no offline push notification.
    pub fn silent(&self) -> bool {
        self.get("silent") == Some("1")
    }
}

impl TryFrom<Element> for ExtraParams {
    type Error = DecodeError;

    fn try_from(el: Element) -> Result<Self, Self::Error> {
        let el = super::expect(el, "extraParams", ns::CLIENT)?;
        Ok(Self {
            params: el.into_children().map(Param::from_element).collect(),
        })
    }
}

impl From<ExtraParams> for Element {
    fn from(p: ExtraParams) -> Element {
        let mut el = Element::new("extraParams", ns::CLIENT);
        for param in p.params {
            el.push_child(param.into_element());
        }
        el
    }
}

/// `<attachment …/>`: every property is an attribute, every value a string.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Attachment {
    attrs: Vec<(Name, String)>,
}

impl Attachment {
    /// An attachment with no properties.
    pub fn new() -> Self {
        Self::default()
    }

    /// All properties in order.
    pub fn attrs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.attrs.iter().map(|(k, v)| (k.as_ref(), v.as_str()))
    }

    /// A property.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Sets a property (replacing in place, or appending).
    pub fn set(&mut self, key: &str, value: impl Into<String>) -> Result<(), InvalidKey> {
        check_key(key)?;
        let value = value.into();
        if let Some(slot) = self.attrs.iter_mut().find(|(k, _)| k == key) {
            slot.1 = value;
        } else {
            self.attrs.push((Cow::Owned(key.to_owned()), value));
        }
        Ok(())
    }

    /// Builder: sets a property whose key is known to be valid (a literal).
    ///
    /// # Panics
    /// If `key` is not an XML name; use [`Attachment::set`] for keys from data.
    pub fn with(mut self, key: &str, value: impl Into<String>) -> Self {
        if let Err(e) = self.set(key, value) {
            panic!("{e}");
        }
        self
    }

    /// `type` (image, video, audio, file…).
    pub fn kind(&self) -> Option<&str> {
        self.get("type")
    }

    /// `id`.
    pub fn id(&self) -> Option<&str> {
        self.get("id")
    }

    /// `uid` (the blob uid).
    pub fn uid(&self) -> Option<&str> {
        self.get("uid")
    }

    /// `url`.
    pub fn url(&self) -> Option<&str> {
        self.get("url")
    }

    /// `name`.
    pub fn name(&self) -> Option<&str> {
        self.get("name")
    }

    /// `content-type`.
    pub fn content_type(&self) -> Option<&str> {
        self.get("content-type")
    }

    /// `size` in bytes, when it is an integer (the JS SDK parses it so).
    pub fn size(&self) -> Option<u64> {
        self.get("size")?.trim().parse().ok()
    }
}

impl From<Attachment> for Element {
    fn from(a: Attachment) -> Element {
        let mut el = Element::new("attachment", ns::CLIENT);
        for (k, v) in a.attrs {
            el.push_attr(k, v);
        }
        el
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_and_reads_well_known_keys() {
        let p = ExtraParams::new()
            .with("save_to_history", "1")
            .with("dialog_id", "5f1e")
            .with("date_sent", "1704164645")
            .with_attachment(Attachment::new().with("type", "image").with("size", "1024"));
        assert!(p.save_to_history());
        assert_eq!(p.dialog_id(), Some("5f1e"));
        assert_eq!(p.date_sent_secs(), Some(1_704_164_645));
        assert_eq!(p.attachments().next().unwrap().size(), Some(1024));
        let el: Element = p.clone().into();
        assert_eq!(ExtraParams::try_from(el).unwrap(), p);
    }

    #[test]
    fn refuses_keys_that_are_not_names() {
        assert_eq!(
            ExtraParams::new().try_with("0", "x"),
            Err(InvalidKey("0".into()))
        );
    }
}
