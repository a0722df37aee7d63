//! A small XML element tree and its exact, escaped writer.
//!
//! An [`Element`] holds a local name, a resolved namespace, its other attributes in document
//! order (namespace declarations are not attributes: the writer derives them), and its child
//! nodes (elements and text, in order). Equality is structural and order-sensitive.

use std::borrow::Cow;

use crate::ns;

/// A name or namespace: borrowed for the well-known ones, owned otherwise.
pub type Name = Cow<'static, str>;

/// One XML element: name, namespace, attributes in order, children.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Element {
    name: Name,
    ns: Name,
    attrs: Vec<(Name, String)>,
    nodes: Vec<Node>,
}

/// A child of an element: an element or a run of text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Node {
    /// A child element.
    Element(Element),
    /// Character data (already unescaped).
    Text(String),
}

impl Element {
    /// An empty element with this local name and namespace (`""` for none).
    pub fn new(name: impl Into<Name>, ns: impl Into<Name>) -> Self {
        Self {
            name: name.into(),
            ns: ns.into(),
            attrs: Vec::new(),
            nodes: Vec::new(),
        }
    }

    /// An empty element with room for `attrs` attributes (the parser knows a bound).
    pub(crate) fn with_attr_capacity(name: Name, ns: Name, attrs: usize) -> Self {
        Self {
            name,
            ns,
            attrs: Vec::with_capacity(attrs),
            nodes: Vec::new(),
        }
    }

    /// The local name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The namespace (`""` when none is in scope).
    pub fn ns(&self) -> &str {
        &self.ns
    }

    /// Whether this element has this local name and namespace.
    pub fn is(&self, name: &str, ns: &str) -> bool {
        self.name == name && self.ns == ns
    }

    /// Changes the namespace (used when a namespace-less child is adopted, e.g. a stanza).
    pub fn set_ns(&mut self, ns: impl Into<Name>) {
        self.ns = ns.into();
    }

    /// The value of an attribute, by its qualified name (`id`, `xml:lang`).
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// All attributes in order, namespace declarations excluded.
    pub fn attrs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.attrs.iter().map(|(k, v)| (k.as_ref(), v.as_str()))
    }

    /// The number of attributes.
    pub fn attr_count(&self) -> usize {
        self.attrs.len()
    }

    /// Sets an attribute, replacing a previous value in place or appending.
    pub fn set_attr(&mut self, name: impl Into<Name>, value: impl Into<String>) {
        let name = name.into();
        let value = value.into();
        if let Some(slot) = self.attrs.iter_mut().find(|(k, _)| *k == name) {
            slot.1 = value;
        } else {
            self.attrs.push((name, value));
        }
    }

    /// Removes an attribute and returns its value.
    pub fn remove_attr(&mut self, name: &str) -> Option<String> {
        let at = self.attrs.iter().position(|(k, _)| k == name)?;
        Some(self.attrs.remove(at).1)
    }

    /// Appends an attribute without looking for an earlier one of the same name (the caller
    /// knows there is none, e.g. a parser that already refused duplicates).
    pub fn push_attr(&mut self, name: impl Into<Name>, value: impl Into<String>) {
        self.attrs.push((name.into(), value.into()));
    }

    /// Takes the attributes out, leaving none.
    pub fn take_attrs(&mut self) -> Vec<(Name, String)> {
        std::mem::take(&mut self.attrs)
    }

    /// Takes the direct text out (moving it when it is a single run), leaving the child
    /// elements.
    pub fn take_text(&mut self) -> String {
        if let [Node::Text(_)] = self.nodes.as_slice() {
            if let Some(Node::Text(t)) = self.nodes.pop() {
                return t;
            }
        }
        let mut out = String::new();
        self.nodes.retain_mut(|n| match n {
            Node::Text(t) => {
                if out.is_empty() {
                    out = std::mem::take(t);
                } else {
                    out.push_str(t);
                }
                false
            }
            Node::Element(_) => true,
        });
        out
    }

    /// Takes the local name out (the element keeps an empty one).
    pub fn take_name(&mut self) -> Name {
        std::mem::take(&mut self.name)
    }

    /// Builder: sets an attribute.
    pub fn with_attr(mut self, name: impl Into<Name>, value: impl Into<String>) -> Self {
        self.set_attr(name, value);
        self
    }

    /// Builder: sets an attribute when a value is given.
    pub fn with_opt_attr(self, name: impl Into<Name>, value: Option<impl Into<String>>) -> Self {
        match value {
            Some(v) => self.with_attr(name, v),
            None => self,
        }
    }

    /// Builder: appends a child element.
    pub fn with_child(mut self, child: Element) -> Self {
        self.nodes.push(Node::Element(child));
        self
    }

    /// Builder: appends text.
    pub fn with_text(mut self, text: impl Into<String>) -> Self {
        self.push_text(text);
        self
    }

    /// Appends a child element.
    pub fn push_child(&mut self, child: Element) {
        self.nodes.push(Node::Element(child));
    }

    /// Appends text, merging with a preceding text node.
    pub fn push_text(&mut self, text: impl Into<String>) {
        let text = text.into();
        if text.is_empty() {
            return;
        }
        if let Some(Node::Text(last)) = self.nodes.last_mut() {
            last.push_str(&text);
        } else {
            self.nodes.push(Node::Text(text));
        }
    }

    /// All child nodes in order.
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// Takes the child nodes out, leaving none.
    pub fn take_nodes(&mut self) -> Vec<Node> {
        std::mem::take(&mut self.nodes)
    }

    /// The child elements in order.
    pub fn children(&self) -> impl Iterator<Item = &Element> {
        self.nodes.iter().filter_map(|n| match n {
            Node::Element(e) => Some(e),
            Node::Text(_) => None,
        })
    }

    /// Consumes the element, giving its child elements (text is dropped).
    pub fn into_children(self) -> impl Iterator<Item = Element> {
        self.nodes.into_iter().filter_map(|n| match n {
            Node::Element(e) => Some(e),
            Node::Text(_) => None,
        })
    }

    /// The first child with this name and namespace.
    pub fn child(&self, name: &str, ns: &str) -> Option<&Element> {
        self.children().find(|c| c.is(name, ns))
    }

    /// Whether a child with this name and namespace exists.
    pub fn has_child(&self, name: &str, ns: &str) -> bool {
        self.child(name, ns).is_some()
    }

    /// The concatenated text of the direct text children.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for n in &self.nodes {
            if let Node::Text(t) = n {
                out.push_str(t);
            }
        }
        out
    }

    /// Whether the element has no children and no text.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Writes the element as a standalone document fragment (every namespace declared), as one
    /// WebSocket frame carries it.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        self.write_scoped(out, "", false);
    }

    /// The element as a standalone XML string (see [`Element::write_to`]).
    pub fn to_xml(&self) -> String {
        let mut out = Vec::with_capacity(256);
        self.write_to(&mut out);
        // The writer only ever emits UTF-8 (names and text are `String`s).
        String::from_utf8(out).unwrap_or_default()
    }

    /// Writes the element inside a scope whose default namespace is `default_ns` and where the
    /// `stream:` prefix is (or is not) already declared.
    pub(crate) fn write_scoped(&self, out: &mut Vec<u8>, default_ns: &str, stream_declared: bool) {
        let is_stream = self.ns == ns::STREAM;
        out.push(b'<');
        if is_stream {
            out.extend_from_slice(b"stream:");
        }
        out.extend_from_slice(self.name.as_bytes());
        let mut child_default = default_ns;
        let mut child_stream = stream_declared;
        if is_stream {
            if !stream_declared {
                out.extend_from_slice(b" xmlns:stream=\"");
                out.extend_from_slice(ns::STREAM.as_bytes());
                out.push(b'"');
                child_stream = true;
            }
        } else if self.ns != default_ns {
            out.extend_from_slice(b" xmlns=\"");
            escape_attr(out, &self.ns);
            out.push(b'"');
            child_default = &self.ns;
        }
        for (k, v) in &self.attrs {
            out.push(b' ');
            out.extend_from_slice(k.as_bytes());
            out.extend_from_slice(b"=\"");
            escape_attr(out, v);
            out.push(b'"');
        }
        if self.nodes.is_empty() {
            out.extend_from_slice(b"/>");
            return;
        }
        out.push(b'>');
        for node in &self.nodes {
            match node {
                Node::Element(e) => e.write_scoped(out, child_default, child_stream),
                Node::Text(t) => escape_text(out, t),
            }
        }
        out.extend_from_slice(b"</");
        if is_stream {
            out.extend_from_slice(b"stream:");
        }
        out.extend_from_slice(self.name.as_bytes());
        out.push(b'>');
    }
}

/// Whether a character may appear in an XML 1.0 document.
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Escapes character data: `&`, `<`, `>`; characters XML cannot carry are dropped.
pub(crate) fn escape_text(out: &mut Vec<u8>, text: &str) {
    let bytes = text.as_bytes();
    let mut start = 0;
    for (i, c) in text.char_indices() {
        let rep: &[u8] = match c {
            '&' => b"&amp;",
            '<' => b"&lt;",
            '>' => b"&gt;",
            '\r' => b"&#xD;",
            c if !is_xml_char(c) => b"",
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        out.extend_from_slice(rep);
        start = i + c.len_utf8();
    }
    out.extend_from_slice(&bytes[start..]);
}

/// Escapes an attribute value for double quotes; whitespace that attribute normalisation
/// would fold is written as character references.
pub(crate) fn escape_attr(out: &mut Vec<u8>, text: &str) {
    let bytes = text.as_bytes();
    let mut start = 0;
    for (i, c) in text.char_indices() {
        let rep: &[u8] = match c {
            '&' => b"&amp;",
            '<' => b"&lt;",
            '>' => b"&gt;",
            '"' => b"&quot;",
            '\t' => b"&#x9;",
            '\n' => b"&#xA;",
            '\r' => b"&#xD;",
            c if !is_xml_char(c) => b"",
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        out.extend_from_slice(rep);
        start = i + c.len_utf8();
    }
    out.extend_from_slice(&bytes[start..]);
}

/// Whether `name` is a valid XML element or attribute name (without prefix).
pub fn is_valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    let start_ok = |c: char| {
        c.is_ascii_alphabetic()
            || c == '_'
            || matches!(c, '\u{C0}'..='\u{D6}' | '\u{D8}'..='\u{F6}' | '\u{F8}'..='\u{2FF}'
                | '\u{370}'..='\u{37D}' | '\u{37F}'..='\u{1FFF}' | '\u{200C}'..='\u{200D}'
                | '\u{2070}'..='\u{218F}' | '\u{2C00}'..='\u{2FEF}' | '\u{3001}'..='\u{D7FF}'
                | '\u{F900}'..='\u{FDCF}' | '\u{FDF0}'..='\u{FFFD}' | '\u{10000}'..='\u{EFFFF}')
    };
    start_ok(first) && chars.all(|c| {
        start_ok(c)
            || c.is_ascii_digit()
            || matches!(c, '-' | '.' | '\u{B7}' | '\u{300}'..='\u{36F}' | '\u{203F}'..='\u{2040}')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_escaped_and_namespaced() {
        let e = Element::new("message", ns::CLIENT)
            .with_attr("to", "a&b\"c")
            .with_child(Element::new("body", ns::CLIENT).with_text("Hello <Bob> & co"))
            .with_child(Element::new("x", "urn:x").with_child(Element::new("y", "urn:x")));
        assert_eq!(
            e.to_xml(),
            "<message xmlns=\"jabber:client\" to=\"a&amp;b&quot;c\"><body>Hello &lt;Bob&gt; &amp; co</body><x xmlns=\"urn:x\"><y/></x></message>"
        );
    }

    #[test]
    fn stream_prefix_is_declared_once() {
        let e = Element::new("features", ns::STREAM)
            .with_child(Element::new("bind", ns::BIND))
            .with_child(Element::new("error", ns::STREAM));
        assert_eq!(
            e.to_xml(),
            "<stream:features xmlns:stream=\"http://etherx.jabber.org/streams\"><bind xmlns=\"urn:ietf:params:xml:ns:xmpp-bind\"/><stream:error/></stream:features>"
        );
    }

    #[test]
    fn empty_namespace_under_default_is_undeclared() {
        let e = Element::new("a", "urn:a").with_child(Element::new("b", ""));
        assert_eq!(e.to_xml(), "<a xmlns=\"urn:a\"><b xmlns=\"\"/></a>");
    }

    #[test]
    fn names() {
        assert!(is_valid_name("save_to_history"));
        assert!(is_valid_name("a.b-c"));
        assert!(!is_valid_name("0"));
        assert!(!is_valid_name(""));
        assert!(!is_valid_name("a b"));
        assert!(!is_valid_name("a:b"));
    }
}
