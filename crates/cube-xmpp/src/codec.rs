//! The bounded streaming parser and the framing writer, for both XMPP transports.
//!
//! * **TCP** (RFC 6120): an optional XML declaration, `<stream:stream …>` (the header), then
//!   stanzas as its children, then `</stream:stream>`. A new `<stream:stream>` at stanza level
//!   is a stream restart (after SASL) and yields a new header.
//! * **WebSocket** (RFC 7395): one element per frame; `<open/>` is the header and `<close/>`
//!   the footer. Stanzas without a namespace are taken as `jabber:client`.
//!
//! Bytes may be split anywhere: [`StreamParser::feed`] appends them and
//! [`StreamParser::next_frame`] yields complete frames; the result is the same whatever the
//! split. Input is bounded by [`Limits`]: the bytes of one stanza (or of any incomplete
//! markup), the nesting depth and the attributes per element. Comments, processing
//! instructions, DTDs and entity references other than the five XML ones and character
//! references are refused (`restricted-xml`), as RFC 6120 §11.1 requires.

use std::borrow::Cow;
use std::mem;

use quick_xml::errors::{Error as XmlError, IllFormedError, SyntaxError};
use quick_xml::events::{BytesStart, Event};
use quick_xml::reader::Reader;

use crate::element::{Element, Name, escape_attr, is_valid_name};
use crate::intern;
use crate::ns;
use crate::stream_error::StreamErrorCondition;

/// Which transport framing the bytes use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Framing {
    /// RFC 6120 over TCP: `<stream:stream>` wraps the stanzas.
    Tcp,
    /// RFC 7395 over WebSocket: one element per frame, `<open/>` and `<close/>`.
    WebSocket,
}

/// Bounds on what the parser accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// The most bytes one stanza (or one incomplete piece of markup) may take.
    pub max_stanza_bytes: usize,
    /// The deepest element nesting inside a stanza (the stanza itself is depth 1).
    pub max_depth: usize,
    /// The most attributes (namespace declarations included) one element may have.
    pub max_attributes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_stanza_bytes: 256 * 1024,
            max_depth: 32,
            max_attributes: 64,
        }
    }
}

impl Limits {
    /// Builder: the most bytes of one stanza.
    pub fn with_max_stanza_bytes(mut self, bytes: usize) -> Self {
        self.max_stanza_bytes = bytes;
        self
    }

    /// Builder: the deepest nesting.
    pub fn with_max_depth(mut self, depth: usize) -> Self {
        self.max_depth = depth;
        self
    }

    /// Builder: the most attributes per element.
    pub fn with_max_attributes(mut self, attributes: usize) -> Self {
        self.max_attributes = attributes;
        self
    }
}

/// The attributes of a stream header (`<stream:stream>` or `<open/>`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct StreamHeader {
    /// `to`: the domain the stream is for.
    pub to: Option<String>,
    /// `from`: the sender (server domain, or the client's bare JID on reconnect).
    pub from: Option<String>,
    /// `id`: the stream id (server to client).
    pub id: Option<String>,
    /// `version`, `1.0` for RFC 6120 streams.
    pub version: Option<String>,
    /// `xml:lang`.
    pub lang: Option<String>,
}

impl StreamHeader {
    /// A header with no attributes.
    pub fn new() -> Self {
        Self::default()
    }

    /// Builder: sets `to`.
    pub fn with_to(mut self, to: impl Into<String>) -> Self {
        self.to = Some(to.into());
        self
    }

    /// Builder: sets `from`.
    pub fn with_from(mut self, from: impl Into<String>) -> Self {
        self.from = Some(from.into());
        self
    }

    /// Builder: sets `id`.
    pub fn with_id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(id.into());
        self
    }

    /// Builder: sets `version`.
    pub fn with_version(mut self, version: impl Into<String>) -> Self {
        self.version = Some(version.into());
        self
    }

    /// Builder: sets `xml:lang`.
    pub fn with_lang(mut self, lang: impl Into<String>) -> Self {
        self.lang = Some(lang.into());
        self
    }

    fn from_element(el: &Element) -> Self {
        let get = |k: &str| el.attr(k).map(str::to_owned);
        Self {
            to: get("to"),
            from: get("from"),
            id: get("id"),
            version: get("version"),
            lang: get("xml:lang"),
        }
    }
}

/// One unit out of the parser.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Frame {
    /// A stream header: `<stream:stream …>` or `<open …/>`.
    Open(StreamHeader),
    /// A top-level element: a stanza or a nonza (SASL, features, stream management, …).
    Element(Element),
    /// The end of the stream: `</stream:stream>` or `<close/>`.
    Close,
}

/// Why the parser stopped; each maps to the stream error condition to send.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// The bytes are not well-formed XML.
    #[error("not well-formed xml: {0}")]
    NotWellFormed(String),
    /// Comments, processing instructions and DTDs are not allowed in XMPP.
    #[error("restricted xml: {0} is not allowed")]
    Restricted(&'static str),
    /// An entity reference other than the five XML ones (or a bad character reference).
    #[error("undefined entity reference &{0};")]
    UndefinedEntity(String),
    /// A prefix without a namespace declaration, or the stream in a wrong namespace.
    #[error("invalid namespace: {0}")]
    InvalidNamespace(String),
    /// A stanza (or incomplete markup) is larger than the limit.
    #[error("stanza larger than {limit} bytes")]
    StanzaTooLarge {
        /// The limit in force.
        limit: usize,
    },
    /// Elements nested deeper than the limit.
    #[error("elements nested deeper than {limit}")]
    TooDeep {
        /// The limit in force.
        limit: usize,
    },
    /// An element with more attributes than the limit.
    #[error("element with more than {limit} attributes")]
    TooManyAttributes {
        /// The limit in force.
        limit: usize,
    },
}

impl ParseError {
    /// The RFC 6120 stream error condition to report for this error.
    pub fn condition(&self) -> StreamErrorCondition {
        match self {
            Self::NotWellFormed(_) => StreamErrorCondition::NotWellFormed,
            Self::Restricted(_) | Self::UndefinedEntity(_) => StreamErrorCondition::RestrictedXml,
            Self::InvalidNamespace(_) => StreamErrorCondition::InvalidNamespace,
            Self::StanzaTooLarge { .. } | Self::TooDeep { .. } | Self::TooManyAttributes { .. } => {
                StreamErrorCondition::PolicyViolation
            }
        }
    }
}

/// The namespace declarations one element (or the stream header) made: the default one
/// apart, so that the common `xmlns='…'` needs no vector.
#[derive(Debug, Default)]
struct Decls {
    default: Option<Name>,
    prefixed: Vec<(String, Name)>,
}

impl Decls {
    fn find(&self, prefix: Option<&str>) -> Option<&Name> {
        match prefix {
            None => self.default.as_ref(),
            Some(p) => self
                .prefixed
                .iter()
                .rev()
                .find(|(q, _)| q == p)
                .map(|(_, uri)| uri),
        }
    }
}

/// An element being built, with its prefix (for matching the end tag) and the namespace
/// declarations it made.
#[derive(Debug)]
struct Open {
    element: Element,
    prefix: Option<String>,
    decls: Decls,
}

impl Open {
    /// Whether an end tag's qualified name closes this element.
    fn matches_end(&self, qname: &[u8]) -> bool {
        let name = self.element.name().as_bytes();
        match &self.prefix {
            None => qname == name,
            Some(p) => {
                qname
                    .strip_prefix(p.as_bytes())
                    .and_then(|rest| rest.strip_prefix(b":"))
                    == Some(name)
            }
        }
    }

    fn qname(&self) -> String {
        match &self.prefix {
            None => self.element.name().to_owned(),
            Some(p) => format!("{p}:{}", self.element.name()),
        }
    }
}

/// The incremental, bounded parser for one direction of one connection.
#[derive(Debug)]
pub struct StreamParser {
    framing: Framing,
    limits: Limits,
    buf: Vec<u8>,
    /// Bytes of `buf` already turned into events.
    pos: usize,
    /// Absolute stream offset of `buf[0]`.
    base: u64,
    /// Open elements of the current stanza (the stream root is not here).
    stack: Vec<Open>,
    /// TCP: the stream header is open and these are its declarations.
    root: Option<Decls>,
    /// Pending character data of the innermost open element (literal UTF-8 bytes).
    text: Vec<u8>,
    /// Absolute offset where the current stanza started.
    stanza_start: Option<u64>,
    /// After incomplete markup, `buf` up to here holds no `>`: no need to rescan it.
    scan_from: usize,
    failed: Option<ParseError>,
}

enum Step {
    Continue,
    Frame(Frame),
}

impl StreamParser {
    /// A parser for this framing with these limits.
    pub fn new(framing: Framing, limits: Limits) -> Self {
        Self {
            framing,
            limits,
            buf: Vec::new(),
            pos: 0,
            base: 0,
            stack: Vec::new(),
            root: None,
            text: Vec::new(),
            stanza_start: None,
            scan_from: 0,
            failed: None,
        }
    }

    /// The framing this parser reads.
    pub fn framing(&self) -> Framing {
        self.framing
    }

    /// The limits in force.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Appends received bytes (any split); ignored once the parser has failed.
    pub fn feed(&mut self, bytes: &[u8]) {
        if self.failed.is_some() {
            return;
        }
        if self.pos == self.buf.len() {
            self.base += self.pos as u64;
            self.buf.clear();
            self.scan_from = 0;
            self.pos = 0;
        } else if self.pos > 4096 && self.pos * 2 > self.buf.len() {
            self.base += self.pos as u64;
            self.buf.drain(..self.pos);
            self.scan_from = self.scan_from.saturating_sub(self.pos);
            self.pos = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// Bytes received but not yet turned into frames.
    pub fn buffered(&self) -> usize {
        self.buf.len() - self.pos + self.text.len()
    }

    /// Forgets the open stream and any partial stanza, keeping unread bytes (a stream restart).
    pub fn reset(&mut self) {
        self.stack.clear();
        self.root = None;
        self.text.clear();
        self.stanza_start = None;
    }

    /// WebSocket framing: forgets a broken frame (and anything buffered) and the error, so
    /// that the next frame parses afresh. Frames are self-contained there, so one bad frame
    /// need not end the stream; TCP streams cannot recover this way.
    pub fn discard_frame(&mut self) {
        self.base += self.buf.len() as u64;
        self.buf.clear();
        self.pos = 0;
        self.scan_from = 0;
        self.stack.clear();
        self.text.clear();
        self.stanza_start = None;
        self.failed = None;
    }

    /// The next complete frame, `Ok(None)` if more bytes are needed. After an error every
    /// call returns the same error.
    pub fn next_frame(&mut self) -> Result<Option<Frame>, ParseError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        let buf = mem::take(&mut self.buf);
        let result = self.run(&buf);
        self.buf = buf;
        if let Err(e) = &result {
            self.failed = Some(e.clone());
        }
        result
    }

    fn run(&mut self, buf: &[u8]) -> Result<Option<Frame>, ParseError> {
        let start = self.pos;
        if start >= buf.len() {
            return Ok(None);
        }
        // Incomplete markup seen before and still no `>` in the new bytes: nothing to do.
        if buf[start] == b'<'
            && self.scan_from > start
            && memchr(b'>', &buf[self.scan_from..]).is_none()
        {
            self.scan_from = buf.len();
            return self.incomplete(buf.len()).map(|()| None);
        }
        let slice = &buf[start..];
        let mut reader = Reader::from_reader(slice);
        {
            let config = reader.config_mut();
            config.check_end_names = false;
            config.expand_empty_elements = false;
            config.trim_text_start = false;
            config.trim_text_end = false;
            config.allow_dangling_amp = false;
            config.check_comments = false;
            config.allow_unmatched_ends = true;
        }
        loop {
            let event_start = start + reader.buffer_position() as usize;
            let event = match reader.read_event() {
                Ok(event) => event,
                Err(e) => {
                    if let Some(err) = classify(&e, &slice[event_start - start..]) {
                        return Err(err);
                    }
                    self.pos = event_start;
                    self.scan_from = buf.len();
                    return self.incomplete(buf.len()).map(|()| None);
                }
            };
            let end = start + reader.buffer_position() as usize;
            let step = match event {
                Event::Eof => {
                    self.pos = buf.len();
                    return self.incomplete(buf.len()).map(|()| None);
                }
                Event::Text(t) => {
                    self.on_text(&t)?;
                    Step::Continue
                }
                Event::CData(c) => {
                    self.on_text(&c)?;
                    Step::Continue
                }
                Event::GeneralRef(r) => {
                    let c = resolve_ref(&r)?;
                    let mut tmp = [0u8; 4];
                    self.on_text(c.encode_utf8(&mut tmp).as_bytes())?;
                    Step::Continue
                }
                Event::Start(s) => self.on_start(&s, false, event_start)?,
                Event::Empty(s) => self.on_start(&s, true, event_start)?,
                Event::End(e) => self.on_end(e.name().as_ref())?,
                Event::Decl(_) => {
                    if !self.stack.is_empty() {
                        return Err(ParseError::Restricted("an xml declaration inside a stanza"));
                    }
                    Step::Continue
                }
                Event::Comment(_) => return Err(ParseError::Restricted("a comment")),
                Event::PI(_) => return Err(ParseError::Restricted("a processing instruction")),
                Event::DocType(_) => return Err(ParseError::Restricted("a DTD")),
            };
            self.pos = end;
            if let Some(s) = self.stanza_start {
                let size = (self.base + end as u64).saturating_sub(s);
                if size > self.limits.max_stanza_bytes as u64 {
                    return Err(ParseError::StanzaTooLarge {
                        limit: self.limits.max_stanza_bytes,
                    });
                }
            }
            if let Step::Frame(frame) = step {
                return Ok(Some(frame));
            }
        }
    }

    /// Checks the bounds while waiting for more bytes.
    fn incomplete(&self, buf_len: usize) -> Result<(), ParseError> {
        let limit = self.limits.max_stanza_bytes;
        let pending = (buf_len - self.pos) as u64;
        let too_big = match self.stanza_start {
            Some(s) => (self.base + buf_len as u64).saturating_sub(s) > limit as u64,
            None => pending > limit as u64,
        };
        if too_big {
            return Err(ParseError::StanzaTooLarge { limit });
        }
        Ok(())
    }

    fn at_top(&self) -> bool {
        self.stack.is_empty()
    }

    fn on_text(&mut self, bytes: &[u8]) -> Result<(), ParseError> {
        if self.at_top() {
            if bytes
                .iter()
                .all(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
            {
                return Ok(());
            }
            return Err(ParseError::NotWellFormed(
                "character data outside of a stanza".into(),
            ));
        }
        self.text.extend_from_slice(bytes);
        Ok(())
    }

    fn flush_text(&mut self) -> Result<(), ParseError> {
        if self.text.is_empty() {
            return Ok(());
        }
        let bytes = mem::take(&mut self.text);
        let text = String::from_utf8(bytes)
            .map_err(|_| ParseError::NotWellFormed("invalid utf-8 in character data".into()))?;
        if let Some(top) = self.stack.last_mut() {
            top.element.push_text(text);
        }
        Ok(())
    }

    fn lookup(&self, own: &Decls, prefix: Option<&str>) -> Option<Name> {
        if prefix == Some("xml") {
            return Some(Cow::Borrowed(ns::XML));
        }
        let found = own
            .find(prefix)
            .or_else(|| self.stack.iter().rev().find_map(|o| o.decls.find(prefix)))
            .or_else(|| self.root.as_ref().and_then(|r| r.find(prefix)));
        if let Some(uri) = found {
            return Some(uri.clone());
        }
        match (prefix, self.framing) {
            (None, Framing::WebSocket) => Some(Cow::Borrowed(ns::CLIENT)),
            (None, Framing::Tcp) => Some(Cow::Borrowed("")),
            (Some(_), _) => None,
        }
    }

    fn build(&self, s: &BytesStart<'_>) -> Result<Open, ParseError> {
        // One UTF-8 check for the whole tag; names and values are slices of it.
        let tag = utf8(s)?;
        let name_len = s.name().as_ref().len();
        let (qname, raw_attrs) = tag.split_at_checked(name_len).unwrap_or((tag, ""));
        let (prefix, local) = match qname.bytes().position(|b| b == b':') {
            Some(i) => (Some(&qname[..i]), &qname[i + 1..]),
            None => (None, qname),
        };
        let name = match intern::element_name(local) {
            Some(known) if prefix.is_none_or(is_valid_name) => known,
            _ if is_valid_qname(qname) => Cow::Owned(local.to_owned()),
            _ => {
                return Err(ParseError::NotWellFormed(format!(
                    "bad element name {qname}"
                )));
            }
        };
        // An attribute takes at least four bytes (` a=""`); a guess from the length is
        // cheaper than counting, and most elements get exactly one allocation.
        let guess = (raw_attrs.len() / 16).clamp(usize::from(raw_attrs.len() > 3), 8);
        let mut element = Element::with_attr_capacity(
            name,
            Cow::Borrowed(""),
            guess.min(self.limits.max_attributes),
        );
        let mut decls = Decls::default();
        let mut count = 0usize;
        for attr in RawAttrs::new(raw_attrs) {
            let (key, value) = attr?;
            count += 1;
            if count > self.limits.max_attributes {
                return Err(ParseError::TooManyAttributes {
                    limit: self.limits.max_attributes,
                });
            }
            if let Some(rest) = key.strip_prefix("xmlns") {
                let prefix = match rest.strip_prefix(':') {
                    None if rest.is_empty() => None,
                    Some(p) if is_valid_name(p) => Some(p),
                    _ => {
                        return Err(ParseError::InvalidNamespace(format!(
                            "bad namespace declaration {key}"
                        )));
                    }
                };
                let uri = unescape(value)?;
                let duplicate = match prefix {
                    None => decls.default.is_some(),
                    Some(p) => {
                        if uri.is_empty() {
                            return Err(ParseError::InvalidNamespace(format!(
                                "empty declaration of {key}"
                            )));
                        }
                        decls.prefixed.iter().any(|(q, _)| q == p)
                    }
                };
                if duplicate {
                    return Err(ParseError::NotWellFormed(format!(
                        "duplicate attribute {key}"
                    )));
                }
                let uri = intern::namespace(&uri);
                match prefix {
                    None => decls.default = Some(uri),
                    Some(p) => decls.prefixed.push((p.to_owned(), uri)),
                }
                continue;
            }
            let key = match intern::attr_name(key) {
                Some(known) => known,
                None if is_valid_qname(key) => Cow::Owned(key.to_owned()),
                None => {
                    return Err(ParseError::NotWellFormed(format!(
                        "bad attribute name {key}"
                    )));
                }
            };
            if element.attr(&key).is_some() {
                return Err(ParseError::NotWellFormed(format!(
                    "duplicate attribute {key}"
                )));
            }
            element.push_attr(key, unescape(value)?.into_owned());
        }
        let ns = self.lookup(&decls, prefix).ok_or_else(|| {
            ParseError::InvalidNamespace(format!("undeclared prefix in <{qname}>"))
        })?;
        element.set_ns(ns);
        Ok(Open {
            element,
            prefix: prefix.map(str::to_owned),
            decls,
        })
    }

    fn on_start(
        &mut self,
        s: &BytesStart<'_>,
        empty: bool,
        offset: usize,
    ) -> Result<Step, ParseError> {
        self.flush_text()?;
        let open = self.build(s)?;
        let is_stream_root = open.element.is("stream", ns::STREAM);
        if self.framing == Framing::Tcp && self.at_top() {
            if is_stream_root {
                if empty {
                    return Err(ParseError::NotWellFormed("empty stream header".into()));
                }
                // A header, or a restart while a previous stream is open.
                let header = StreamHeader::from_element(&open.element);
                self.root = Some(open.decls);
                return Ok(Step::Frame(Frame::Open(header)));
            }
            if self.root.is_none() {
                return Err(ParseError::InvalidNamespace(format!(
                    "expected <stream:stream>, got <{}>",
                    open.qname()
                )));
            }
        }
        if self.at_top() {
            self.stanza_start = Some(self.base + offset as u64);
        }
        if self.stack.len() >= self.limits.max_depth {
            return Err(ParseError::TooDeep {
                limit: self.limits.max_depth,
            });
        }
        if empty {
            return Ok(self.complete(open.element));
        }
        self.stack.push(open);
        Ok(Step::Continue)
    }

    fn on_end(&mut self, name: &[u8]) -> Result<Step, ParseError> {
        self.flush_text()?;
        let Some(open) = self.stack.pop() else {
            if self.framing == Framing::Tcp && self.root.is_some() && name == b"stream:stream" {
                self.root = None;
                return Ok(Step::Frame(Frame::Close));
            }
            let name = utf8(name)?;
            return Err(ParseError::NotWellFormed(format!("unexpected </{name}>")));
        };
        if !open.matches_end(name) {
            let name = utf8(name)?;
            return Err(ParseError::NotWellFormed(format!(
                "expected </{}>, found </{name}>",
                open.qname()
            )));
        }
        Ok(self.complete(open.element))
    }

    /// An element is complete: attach it to its parent, or hand out a frame.
    fn complete(&mut self, element: Element) -> Step {
        if let Some(parent) = self.stack.last_mut() {
            parent.element.push_child(element);
            return Step::Continue;
        }
        self.stanza_start = None;
        if self.framing == Framing::WebSocket && element.ns() == ns::FRAMING {
            match element.name() {
                "open" => return Step::Frame(Frame::Open(StreamHeader::from_element(&element))),
                "close" => return Step::Frame(Frame::Close),
                _ => {}
            }
        }
        Step::Frame(Frame::Element(element))
    }
}

/// The first start tag of `bytes` as an empty element in `jabber:client` (unescaped attribute
/// values, names as written), even when the rest is not well-formed: enough to bounce an
/// error to a broken stanza's sender.
pub fn first_start_tag(bytes: &[u8]) -> Option<Element> {
    let mut reader = Reader::from_reader(bytes);
    loop {
        match reader.read_event().ok()? {
            Event::Start(s) | Event::Empty(s) => {
                let local = s.local_name();
                let name = std::str::from_utf8(local.as_ref()).ok()?.to_owned();
                let mut el = Element::new(name, ns::CLIENT);
                for attr in s.attributes().flatten() {
                    let key = std::str::from_utf8(attr.key.as_ref()).ok()?.to_owned();
                    if key == "xmlns" || key.starts_with("xmlns:") {
                        continue;
                    }
                    let Ok(v) = std::str::from_utf8(&attr.value) else {
                        continue;
                    };
                    if let Ok(v) = unescape(v) {
                        el.set_attr(key, v.into_owned());
                    }
                }
                return Some(el);
            }
            Event::Text(_) | Event::Decl(_) => {}
            _ => return None,
        }
    }
}

/// Decides whether a reader error means "wait for more bytes" (`None`) or a real error.
fn classify(e: &XmlError, rest: &[u8]) -> Option<ParseError> {
    match e {
        XmlError::Syntax(
            SyntaxError::UnclosedTag
            | SyntaxError::UnclosedCData
            | SyntaxError::UnclosedComment
            | SyntaxError::UnclosedPIOrXmlDecl,
        ) => None,
        XmlError::Syntax(SyntaxError::UnclosedDoctype) => Some(ParseError::Restricted("a DTD")),
        XmlError::Syntax(SyntaxError::InvalidBangMarkup) => {
            // `<!` followed by too few bytes to tell a comment, CDATA or DTD apart.
            let prefix_of = |full: &[u8]| rest.len() < full.len() && full.starts_with(rest);
            if prefix_of(b"<![CDATA[") || prefix_of(b"<!--") || prefix_of(b"<!DOCTYPE") {
                None
            } else {
                Some(ParseError::NotWellFormed("unknown markup after <!".into()))
            }
        }
        XmlError::IllFormed(IllFormedError::UnclosedReference) => {
            // `&name` with no `;` yet: incomplete if nothing else follows, and short.
            let after = rest.get(1..).unwrap_or_default();
            if memchr3(b';', b'&', b'<', after).is_none() && after.len() < 16 {
                None
            } else {
                Some(ParseError::NotWellFormed(
                    "unterminated entity reference".into(),
                ))
            }
        }
        other => Some(ParseError::NotWellFormed(other.to_string())),
    }
}

/// The attributes of a start tag as `(key, raw value)` pairs, by quick-xml's rules for XML
/// attributes (whitespace allowed around `=`, single or double quotes, a key ends at `=` or
/// whitespace), without its per-attribute bookkeeping; keys are validated by the caller.
struct RawAttrs<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> RawAttrs<'a> {
    fn new(s: &'a str) -> Self {
        Self { s, pos: 0 }
    }

    /// Ends the iteration with an error.
    fn fail(&mut self, what: &str) -> Result<(&'a str, &'a str), ParseError> {
        self.pos = self.s.len();
        Err(ParseError::NotWellFormed(what.to_owned()))
    }
}

impl<'a> Iterator for RawAttrs<'a> {
    type Item = Result<(&'a str, &'a str), ParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        let b = self.s.as_bytes();
        let ws = |c: u8| matches!(c, b' ' | b'\t' | b'\r' | b'\n');
        let skip_ws = |mut i: usize| {
            while i < b.len() && ws(b[i]) {
                i += 1;
            }
            i
        };
        let start = skip_ws(self.pos);
        if start >= b.len() {
            self.pos = b.len();
            return None;
        }
        let mut i = start;
        while i < b.len() && b[i] != b'=' && !ws(b[i]) {
            i += 1;
        }
        let key_end = i;
        i = skip_ws(i);
        if b.get(i) != Some(&b'=') {
            return Some(self.fail("attribute without a value"));
        }
        i = skip_ws(i + 1);
        let quote = match b.get(i) {
            Some(&q @ (b'"' | b'\'')) => q,
            Some(_) => return Some(self.fail("unquoted attribute value")),
            None => return Some(self.fail("attribute without a value")),
        };
        let value_start = i + 1;
        let Some(len) = memchr(quote, &b[value_start..]) else {
            return Some(self.fail("unterminated attribute value"));
        };
        let value_end = value_start + len;
        self.pos = value_end + 1;
        // Every bound is at an ASCII byte (or an end), so a char boundary: `get` never fails.
        match (
            self.s.get(start..key_end),
            self.s.get(value_start..value_end),
        ) {
            (Some(key), Some(value)) => Some(Ok((key, value))),
            _ => Some(self.fail("attribute not on character boundaries")),
        }
    }
}

/// Whether `name` is `Name` or `prefix:Name` (XML names, no further colon).
fn is_valid_qname(name: &str) -> bool {
    match name.split_once(':') {
        Some((p, l)) => is_valid_name(p) && is_valid_name(l),
        None => is_valid_name(name),
    }
}

fn memchr(needle: u8, hay: &[u8]) -> Option<usize> {
    hay.iter().position(|&b| b == needle)
}

fn memchr3(a: u8, b: u8, c: u8, hay: &[u8]) -> Option<usize> {
    hay.iter().position(|&x| x == a || x == b || x == c)
}

fn utf8(bytes: &[u8]) -> Result<&str, ParseError> {
    std::str::from_utf8(bytes)
        .map_err(|_| ParseError::NotWellFormed("invalid utf-8 in markup".into()))
}

/// Resolves a reference name (`amp`, `#38`, `#x26`) to its character.
fn resolve_ref(name: &[u8]) -> Result<char, ParseError> {
    let c = match name {
        b"amp" => '&',
        b"lt" => '<',
        b"gt" => '>',
        b"quot" => '"',
        b"apos" => '\'',
        _ => {
            let text = utf8(name)?;
            let code = if let Some(hex) = text.strip_prefix("#x") {
                u32::from_str_radix(hex, 16).ok()
            } else if let Some(dec) = text.strip_prefix('#') {
                dec.parse::<u32>().ok()
            } else {
                None
            };
            let c = code.and_then(char::from_u32);
            match c {
                Some(c) if is_char_ref_ok(c) => c,
                _ => return Err(ParseError::UndefinedEntity(text.chars().take(32).collect())),
            }
        }
    };
    Ok(c)
}

fn is_char_ref_ok(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Unescapes an attribute value (borrowed when it holds no reference).
fn unescape(text: &str) -> Result<Cow<'_, str>, ParseError> {
    let raw = text.as_bytes();
    let Some(first) = raw.iter().position(|&b| b == b'&' || b == b'<') else {
        return Ok(Cow::Borrowed(text));
    };
    if raw[first..].contains(&b'<') {
        return Err(ParseError::NotWellFormed("< in an attribute value".into()));
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let semi = after.find(';').ok_or_else(|| {
            ParseError::NotWellFormed("unterminated reference in attribute".into())
        })?;
        out.push(resolve_ref(&after.as_bytes()[..semi])?);
        rest = &after[semi + 1..];
    }
    out.push_str(rest);
    Ok(Cow::Owned(out))
}

/// Writes stream headers, footers and elements for one framing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Encoder {
    framing: Framing,
}

impl Encoder {
    /// An encoder for this framing.
    pub fn new(framing: Framing) -> Self {
        Self { framing }
    }

    /// The framing written.
    pub fn framing(&self) -> Framing {
        self.framing
    }

    /// The stream header: `<open …/>` (WebSocket) or `<?xml?><stream:stream …>` (TCP).
    pub fn open(&self, header: &StreamHeader, out: &mut Vec<u8>) {
        let attrs = [
            ("to", &header.to),
            ("from", &header.from),
            ("id", &header.id),
            ("version", &header.version),
            ("xml:lang", &header.lang),
        ];
        match self.framing {
            Framing::WebSocket => {
                out.extend_from_slice(b"<open xmlns=\"");
                out.extend_from_slice(ns::FRAMING.as_bytes());
                out.push(b'"');
            }
            Framing::Tcp => {
                out.extend_from_slice(b"<?xml version='1.0'?><stream:stream xmlns=\"");
                out.extend_from_slice(ns::CLIENT.as_bytes());
                out.extend_from_slice(b"\" xmlns:stream=\"");
                out.extend_from_slice(ns::STREAM.as_bytes());
                out.push(b'"');
            }
        }
        for (k, v) in attrs {
            if let Some(v) = v {
                out.push(b' ');
                out.extend_from_slice(k.as_bytes());
                out.extend_from_slice(b"=\"");
                escape_attr(out, v);
                out.push(b'"');
            }
        }
        out.extend_from_slice(match self.framing {
            Framing::WebSocket => b"/>",
            Framing::Tcp => b">",
        });
    }

    /// The stream footer: `<close/>` (WebSocket) or `</stream:stream>` (TCP).
    pub fn close(&self, out: &mut Vec<u8>) {
        match self.framing {
            Framing::WebSocket => {
                out.extend_from_slice(b"<close xmlns=\"");
                out.extend_from_slice(ns::FRAMING.as_bytes());
                out.extend_from_slice(b"\"/>");
            }
            Framing::Tcp => out.extend_from_slice(b"</stream:stream>"),
        }
    }

    /// A top-level element: standalone with every namespace declared (WebSocket), or as a
    /// child of the stream whose default namespace is `jabber:client` (TCP).
    pub fn element(&self, element: &Element, out: &mut Vec<u8>) {
        match self.framing {
            Framing::WebSocket => element.write_scoped(out, "", false),
            Framing::Tcp => element.write_scoped(out, ns::CLIENT, true),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(framing: Framing, chunks: &[&[u8]]) -> Result<Vec<Frame>, ParseError> {
        let mut p = StreamParser::new(framing, Limits::default());
        let mut out = Vec::new();
        for c in chunks {
            p.feed(c);
            while let Some(f) = p.next_frame()? {
                out.push(f);
            }
        }
        Ok(out)
    }

    const TCP: &str = "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>\n<message to='a@b'><body>x &amp; &#x3C;y&gt;</body></message> <stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features></stream:stream>";

    #[test]
    fn tcp_stream_whole_and_bytewise() {
        let whole = frames(Framing::Tcp, &[TCP.as_bytes()]).unwrap();
        assert_eq!(whole.len(), 4);
        let Frame::Open(h) = &whole[0] else { panic!() };
        assert_eq!(h.to.as_deref(), Some("localhost"));
        let Frame::Element(m) = &whole[1] else {
            panic!()
        };
        assert!(m.is("message", ns::CLIENT));
        assert_eq!(m.child("body", ns::CLIENT).unwrap().text(), "x & <y>");
        let Frame::Element(f) = &whole[2] else {
            panic!()
        };
        assert!(f.is("features", ns::STREAM));
        assert!(f.has_child("bind", ns::BIND));
        assert_eq!(whole[3], Frame::Close);
        let bytes: Vec<&[u8]> = TCP.as_bytes().chunks(1).collect();
        assert_eq!(frames(Framing::Tcp, &bytes).unwrap(), whole);
    }

    #[test]
    fn tcp_restart_yields_a_new_header() {
        let input = "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'><a xmlns='urn:x'/><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'><presence/>";
        let f = frames(Framing::Tcp, &[input.as_bytes()]).unwrap();
        assert!(matches!(f[0], Frame::Open(_)));
        assert!(matches!(f[2], Frame::Open(_)));
        let Frame::Element(p) = &f[3] else { panic!() };
        assert!(p.is("presence", ns::CLIENT));
    }

    #[test]
    fn websocket_frames() {
        let f = frames(
            Framing::WebSocket,
            &[
                b"<open xmlns=\"urn:ietf:params:xml:ns:xmpp-framing\" to=\"127.0.0.1\" version=\"1.0\"/>",
                b"<presence xmlns=\"jabber:client\"/>",
                b"<presence/>",
                b"<close xmlns=\"urn:ietf:params:xml:ns:xmpp-framing\"/>",
            ],
        )
        .unwrap();
        assert_eq!(f.len(), 4);
        assert_eq!(f[1], f[2]);
        assert_eq!(f[3], Frame::Close);
    }

    #[test]
    fn refuses_restricted_xml() {
        for bad in [
            "<a><!-- c --></a>",
            "<?pi x?><a/>",
            "<!DOCTYPE a [<!ENTITY x 'y'>]><a/>",
            "<a>&foo;</a>",
            "<a b='&foo;'/>",
        ] {
            let err = frames(Framing::WebSocket, &[bad.as_bytes()]).unwrap_err();
            assert_eq!(
                err.condition(),
                StreamErrorCondition::RestrictedXml,
                "{bad}"
            );
        }
        let err = frames(Framing::WebSocket, &[b"<a><b></a>"]).unwrap_err();
        assert_eq!(err.condition(), StreamErrorCondition::NotWellFormed);
        let err = frames(Framing::WebSocket, &[b"<x:a/>"]).unwrap_err();
        assert_eq!(err.condition(), StreamErrorCondition::InvalidNamespace);
    }

    #[test]
    fn enforces_limits() {
        let limits = Limits::default()
            .with_max_stanza_bytes(100)
            .with_max_depth(3)
            .with_max_attributes(2);
        let run = |input: &[u8]| {
            let mut p = StreamParser::new(Framing::WebSocket, limits);
            p.feed(input);
            loop {
                match p.next_frame() {
                    Ok(Some(_)) => {}
                    Ok(None) => return None,
                    Err(e) => return Some(e),
                }
            }
        };
        assert_eq!(
            run(format!("<a>{}</a>", "x".repeat(200)).as_bytes()),
            Some(ParseError::StanzaTooLarge { limit: 100 })
        );
        assert_eq!(
            run(format!("<a b='{}", "x".repeat(200)).as_bytes()),
            Some(ParseError::StanzaTooLarge { limit: 100 })
        );
        assert_eq!(
            run(b"<a><b><c><d/></c></b></a>"),
            Some(ParseError::TooDeep { limit: 3 })
        );
        assert_eq!(
            run(b"<a x='1' y='2' z='3'/>"),
            Some(ParseError::TooManyAttributes { limit: 2 })
        );
        assert_eq!(run(b"<a><b><c/></b></a>"), None);
    }

    #[test]
    fn attribute_syntax() {
        let f = frames(
            Framing::WebSocket,
            &[b"<a x = '1'\ty=\"2 '\"\nxmlns:p='urn:p' p:z='&amp;'/>"],
        )
        .unwrap();
        let Frame::Element(a) = &f[0] else { panic!() };
        assert_eq!(
            a.attrs().collect::<Vec<_>>(),
            [("x", "1"), ("y", "2 '"), ("p:z", "&")]
        );
        for bad in [
            "<a x/>",
            "<a x=1/>",
            "<a x='1' x='2'/>",
            "<a xmlns='u' xmlns='v'/>",
            "<a =''/>",
            "<a x='<'/>",
        ] {
            let err = frames(Framing::WebSocket, &[bad.as_bytes()]).unwrap_err();
            assert_eq!(
                err.condition(),
                StreamErrorCondition::NotWellFormed,
                "{bad}"
            );
        }
    }

    #[test]
    fn split_entity_and_utf8() {
        let text = "<m><b>caf\u{e9} &amp; \u{1F525}</b></m>";
        let bytes: Vec<&[u8]> = text.as_bytes().chunks(1).collect();
        let f = frames(Framing::WebSocket, &bytes).unwrap();
        let Frame::Element(m) = &f[0] else { panic!() };
        assert_eq!(m.children().next().unwrap().text(), "caf\u{e9} & \u{1F525}");
    }

    #[test]
    fn encoder_tcp_and_ws() {
        let header = StreamHeader {
            to: Some("localhost".into()),
            version: Some("1.0".into()),
            ..StreamHeader::default()
        };
        let mut out = Vec::new();
        Encoder::new(Framing::WebSocket).open(&header, &mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "<open xmlns=\"urn:ietf:params:xml:ns:xmpp-framing\" to=\"localhost\" version=\"1.0\"/>"
        );
        let mut out = Vec::new();
        let msg = Element::new("message", ns::CLIENT).with_child(Element::new("r", ns::SM));
        Encoder::new(Framing::Tcp).element(&msg, &mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "<message><r xmlns=\"urn:xmpp:sm:3\"/></message>"
        );
    }
}
