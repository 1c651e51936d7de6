//! The one XML reader and writer every S3 document goes through.
//!
//! Reading turns a body into a small element tree ([`Node`]): local names
//! (namespace prefixes dropped), the text of each element with entities,
//! character references and CDATA resolved, and the children in order. The
//! per-document parsers then only look children up by name, so unknown
//! elements are skipped for free and a missing required one is an error that
//! names it. Text is kept exactly as sent (keys may start or end with
//! spaces); numbers, booleans and dates are trimmed before parsing.
//!
//! Writing escapes text for element content, including the carriage returns
//! and line feeds that XML end-of-line handling would otherwise alter.

use std::borrow::Cow;

use quick_xml::Reader;
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::{BytesRef, BytesStart, Event};
use time::OffsetDateTime;

use crate::{Error, ErrorKind, Result};

/// The namespace of S3 request and response documents.
pub(crate) const S3_XMLNS: &str = "http://s3.amazonaws.com/doc/2006-03-01/";

/// S3 documents are at most five levels deep; this bounds work and drop
/// recursion on hostile input.
const MAX_DEPTH: usize = 32;

/// One element: its local name, its own text and its child elements.
#[derive(Debug)]
pub(crate) struct Node<'a> {
    name: Box<str>,
    text: Cow<'a, str>,
    children: Vec<Node<'a>>,
}

/// An [`ErrorKind::Service`] error: the server sent something we cannot read.
pub(crate) fn service_error(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::Service, message)
}

/// Reads `body`, checks that its root element is one of `roots` and hands the
/// root to `f`. Every error is of kind [`ErrorKind::Service`] and starts with
/// the document's name.
pub(crate) fn parse_doc<'a, T>(
    body: &'a [u8],
    roots: &[&str],
    f: impl FnOnce(&Node<'a>) -> Result<T>,
) -> Result<T> {
    let doc = roots.first().copied().unwrap_or("S3");
    let run = || {
        let root = read_tree(body)?;
        if !roots.contains(&root.name()) {
            return Err(service_error(format!(
                "expected <{}>, found <{}>",
                roots.join("> or <"),
                root.name()
            )));
        }
        f(&root)
    };
    run().map_err(|e| e.context(format_args!("reading <{doc}> body")))
}

/// Reads a whole document into a tree.
pub(crate) fn read_tree(body: &[u8]) -> Result<Node<'_>> {
    let mut b = Builder::default();
    b.feed(body)?;
    b.done
        .ok_or_else(|| service_error("empty document: no root element"))
}

/// Reads as much of a document as is well formed: on an error, the root with
/// the children that were complete by then. `None` when no root was opened.
pub(crate) fn read_tree_partial(body: &[u8]) -> Option<Node<'_>> {
    let mut b = Builder::default();
    match b.feed(body) {
        Ok(()) => b.done,
        Err(_) => b.done.or_else(|| b.stack.into_iter().next()),
    }
}

/// The local name of the first element of `body`, if it starts well formed.
pub(crate) fn root_name(body: &[u8]) -> Option<String> {
    let mut reader = Reader::from_reader(body);
    loop {
        match reader.read_event().ok()? {
            Event::Start(e) | Event::Empty(e) => return local_name(&e).ok().map(String::from),
            Event::Text(t) if is_blank(&t) => {}
            Event::Decl(_) | Event::Comment(_) | Event::PI(_) | Event::DocType(_) => {}
            _ => return None,
        }
    }
}

impl<'a> Node<'a> {
    /// The element's local name.
    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// The element's own text, exactly as sent (after unescaping).
    pub(crate) fn text(&self) -> &str {
        &self.text
    }

    /// The first child named `name`.
    pub(crate) fn child(&self, name: &str) -> Option<&Node<'a>> {
        self.children.iter().find(|c| *c.name == *name)
    }

    /// Every child element, in document order.
    pub(crate) fn elements(&self) -> impl Iterator<Item = &Node<'a>> {
        self.children.iter()
    }

    /// Every child named `name`, in document order.
    pub(crate) fn children<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'s Node<'a>> {
        self.children.iter().filter(move |c| *c.name == *name)
    }

    /// The text of the first child named `name`, as sent.
    pub(crate) fn opt(&self, name: &str) -> Option<String> {
        self.child(name).map(|c| c.text().to_owned())
    }

    /// The trimmed text of child `name`; `None` when absent or blank. For
    /// codes, markers and tokens, where blank means "none".
    pub(crate) fn opt_trim(&self, name: &str) -> Option<String> {
        self.child(name)
            .map(|c| c.text().trim())
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
    }

    /// The text of child `name`, which must be present.
    pub(crate) fn req(&self, name: &str) -> Result<String> {
        self.child(name)
            .map(|c| c.text().to_owned())
            .ok_or_else(|| self.missing(name))
    }

    /// The error for a missing required child.
    pub(crate) fn missing(&self, name: &str) -> Error {
        service_error(format!("missing <{name}> in <{}>", self.name))
    }

    /// Child `name` parsed by `parse` after trimming; absent or blank is `None`.
    pub(crate) fn opt_parsed<T>(
        &self,
        name: &str,
        parse: impl FnOnce(&str) -> Option<T>,
    ) -> Result<Option<T>> {
        let Some(text) = self.child(name).map(|c| c.text().trim()) else {
            return Ok(None);
        };
        if text.is_empty() {
            return Ok(None);
        }
        parse(text)
            .map(Some)
            .ok_or_else(|| service_error(format!("invalid <{name}> {text:?} in <{}>", self.name)))
    }

    /// Child `name` as an unsigned number, if present.
    pub(crate) fn opt_num<T: std::str::FromStr>(&self, name: &str) -> Result<Option<T>> {
        self.opt_parsed(name, |t| t.parse().ok())
    }

    /// Child `name` as an unsigned number, which must be present.
    pub(crate) fn req_num<T: std::str::FromStr>(&self, name: &str) -> Result<T> {
        self.opt_num(name)?.ok_or_else(|| self.missing(name))
    }

    /// Child `name` as `true`/`false` (any case); absent means `false`.
    pub(crate) fn flag(&self, name: &str) -> Result<bool> {
        let parsed = self.opt_parsed(name, |t| {
            if t.eq_ignore_ascii_case("true") {
                Some(true)
            } else if t.eq_ignore_ascii_case("false") {
                Some(false)
            } else {
                None
            }
        })?;
        Ok(parsed.unwrap_or(false))
    }

    /// Child `name` as an ISO 8601 timestamp, if present.
    pub(crate) fn opt_date(&self, name: &str) -> Result<Option<OffsetDateTime>> {
        self.opt_parsed(name, |t| crate::date::parse_iso8601(t).ok())
    }

    /// Child `name` as an ISO 8601 timestamp, which must be present.
    pub(crate) fn req_date(&self, name: &str) -> Result<OffsetDateTime> {
        self.opt_date(name)?.ok_or_else(|| self.missing(name))
    }
}

/// How key-like fields of a listing are encoded.
///
/// With `encoding-type=url`, S3 percent-encodes `Key`, `Prefix`, `Delimiter`,
/// `StartAfter` and the key markers, and says so with
/// `<EncodingType>url</EncodingType>`. AWS form-encodes: a space arrives as
/// `+`, a literal `+` as `%2B` (botocore decodes with `unquote_plus`, the Java
/// SDK with `URLDecoder`), so `+` is decoded to a space. Without that element
/// nothing is decoded: servers that ignore the parameter send raw keys, which
/// may contain `%` and `+`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct KeyEncoding {
    url: bool,
}

impl KeyEncoding {
    /// The encoding declared by `root`'s `<EncodingType>`.
    pub(crate) fn of(root: &Node<'_>) -> Self {
        let url = root
            .child("EncodingType")
            .is_some_and(|c| c.text().trim().eq_ignore_ascii_case("url"));
        KeyEncoding { url }
    }

    /// Child `name` of `node`, decoded.
    pub(crate) fn opt(self, node: &Node<'_>, name: &str) -> Result<Option<String>> {
        node.child(name)
            .map(|c| self.decode(c.text(), name))
            .transpose()
    }

    /// Child `name` of `node`, decoded; it must be present.
    pub(crate) fn req(self, node: &Node<'_>, name: &str) -> Result<String> {
        self.opt(node, name)?.ok_or_else(|| node.missing(name))
    }

    /// `text` decoded if the listing is url-encoded.
    pub(crate) fn decode(self, text: &str, name: &str) -> Result<String> {
        if !self.url {
            return Ok(text.to_owned());
        }
        let b = text.as_bytes();
        let mut out = Vec::with_capacity(b.len());
        let mut i = 0;
        while let Some(&c) = b.get(i) {
            let hex = b.get(i + 1..i + 3).and_then(|h| {
                let h = std::str::from_utf8(h).ok()?;
                u8::from_str_radix(h, 16)
                    .ok()
                    .filter(|_| h.bytes().all(|d| d.is_ascii_hexdigit()))
            });
            match (c, hex) {
                (b'%', Some(byte)) => {
                    out.push(byte);
                    i += 3;
                }
                (b'+', _) => {
                    out.push(b' ');
                    i += 1;
                }
                _ => {
                    out.push(c);
                    i += 1;
                }
            }
        }
        String::from_utf8(out)
            .map_err(|_| service_error(format!("<{name}> {text:?} is not UTF-8 once url-decoded")))
    }
}

/// Builds a request document: declaration, root with the S3 namespace,
/// escaped leaves.
pub(crate) struct XmlWriter {
    out: String,
}

impl XmlWriter {
    /// Starts a document whose root is `root`.
    pub(crate) fn new(root: &str) -> Self {
        let mut out = String::with_capacity(256);
        out.push_str(r#"<?xml version="1.0" encoding="UTF-8"?>"#);
        out.push_str(&format!(r#"<{root} xmlns="{S3_XMLNS}">"#));
        XmlWriter { out }
    }

    /// Opens element `name`.
    pub(crate) fn open(&mut self, name: &str) -> &mut Self {
        self.out.push('<');
        self.out.push_str(name);
        self.out.push('>');
        self
    }

    /// Closes element `name`.
    pub(crate) fn close(&mut self, name: &str) -> &mut Self {
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push('>');
        self
    }

    /// Writes `<name>text</name>` with `text` escaped.
    pub(crate) fn leaf(&mut self, name: &str, text: &str) -> &mut Self {
        self.open(name);
        escape_into(&mut self.out, text);
        self.close(name)
    }

    /// Writes the leaf when `text` is present.
    pub(crate) fn opt_leaf(&mut self, name: &str, text: Option<&str>) -> &mut Self {
        if let Some(text) = text {
            self.leaf(name, text);
        }
        self
    }

    /// Closes the root and returns the document.
    pub(crate) fn finish(mut self, root: &str) -> String {
        self.close(root);
        self.out
    }
}

/// Appends `text` escaped for element content: `& < > " '` as entities, and
/// control characters (CR, LF, TAB included) as character references, since
/// XML parsers normalise raw line ends.
pub(crate) fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("&#{};", u32::from(c))),
            c => out.push(c),
        }
    }
}

/// Accumulates the tree while quick-xml reads events.
#[derive(Default)]
struct Builder<'a> {
    /// Open elements, root first.
    stack: Vec<Node<'a>>,
    /// The root once it is closed.
    done: Option<Node<'a>>,
}

impl<'a> Builder<'a> {
    fn feed(&mut self, body: &'a [u8]) -> Result<()> {
        let mut reader = Reader::from_reader(body);
        loop {
            let event = reader.read_event().map_err(|e| {
                service_error(format!(
                    "malformed XML at byte {}: {e}",
                    reader.error_position()
                ))
            })?;
            match event {
                Event::Start(e) => self.open(&e)?,
                Event::Empty(e) => {
                    self.open(&e)?;
                    self.close();
                }
                Event::End(_) => self.close(),
                Event::Text(t) => {
                    if !(self.stack.is_empty() && is_blank(&t)) {
                        self.text(t.xml10_content().map_err(malformed)?)?;
                    }
                }
                Event::CData(t) => self.text(t.decode().map_err(malformed)?)?,
                Event::GeneralRef(r) => self.text(resolve(&r)?)?,
                Event::Eof => {
                    return match self.stack.last() {
                        Some(open) => Err(service_error(format!(
                            "truncated document: <{}> is not closed",
                            open.name
                        ))),
                        None => Ok(()),
                    };
                }
                Event::Decl(_) | Event::Comment(_) | Event::PI(_) | Event::DocType(_) => {}
            }
        }
    }

    fn open(&mut self, start: &BytesStart<'_>) -> Result<()> {
        if self.done.is_some() {
            return Err(service_error("more than one root element"));
        }
        if self.stack.len() >= MAX_DEPTH {
            return Err(service_error(format!(
                "elements nested deeper than {MAX_DEPTH}"
            )));
        }
        if let Some(parent) = self.stack.last_mut() {
            // Whitespace between child elements is not content.
            parent.text = Cow::Borrowed("");
        }
        self.stack.push(Node {
            name: local_name(start)?.into(),
            text: Cow::Borrowed(""),
            children: Vec::new(),
        });
        Ok(())
    }

    /// Closes the innermost element; quick-xml has checked the end tag
    /// matches it.
    fn close(&mut self) {
        if let Some(node) = self.stack.pop() {
            match self.stack.last_mut() {
                Some(parent) => parent.children.push(node),
                None => self.done = Some(node),
            }
        }
    }

    fn text(&mut self, text: Cow<'a, str>) -> Result<()> {
        let Some(node) = self.stack.last_mut() else {
            return Err(service_error("text outside the root element"));
        };
        if !node.children.is_empty() {
            // Mixed content: S3 documents have none; ignore it.
        } else if node.text.is_empty() {
            node.text = text;
        } else {
            node.text.to_mut().push_str(&text);
        }
        Ok(())
    }
}

fn local_name<'s>(start: &'s BytesStart<'_>) -> Result<&'s str> {
    let name = start.local_name().into_inner();
    std::str::from_utf8(name).map_err(|_| service_error("element name is not UTF-8"))
}

fn is_blank(text: &[u8]) -> bool {
    text.iter()
        .all(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
}

/// `&amp;`, `&#233;`, `&#x1F600;`: the replacement text of a reference.
fn resolve(r: &BytesRef<'_>) -> Result<Cow<'static, str>> {
    if let Some(c) = r.resolve_char_ref().map_err(malformed)? {
        return Ok(Cow::Owned(c.to_string()));
    }
    let name = r.decode().map_err(malformed)?;
    resolve_predefined_entity(&name)
        .map(Cow::Borrowed)
        .ok_or_else(|| service_error(format!("unknown entity &{name};")))
}

fn malformed(e: impl std::fmt::Display) -> Error {
    service_error(format!("malformed XML: {e}"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly on bad fixtures")]

    use super::*;

    #[test]
    fn tree_resolves_entities_cdata_and_namespaces() {
        let body = "\u{feff}<?xml version=\"1.0\"?>\n<s3:R xmlns:s3=\"x\"><s3:K>a &amp; b &#233;&#x1F600; &lt;c&gt;</s3:K>\
                    <C><![CDATA[<raw & kept>]]></C><E/><K>second</K></s3:R>  \n";
        let root = read_tree(body.as_bytes()).unwrap();
        assert_eq!(root.name(), "R");
        assert_eq!(root.opt("K").unwrap(), "a & b é😀 <c>");
        assert_eq!(root.children("K").count(), 2);
        assert_eq!(root.opt("C").unwrap(), "<raw & kept>");
        assert_eq!(root.opt("E").unwrap(), "");
        assert_eq!(root.opt_trim("E"), None);
        assert!(root.opt("Missing").is_none());
    }

    #[test]
    fn tree_keeps_leading_and_trailing_spaces_of_text() {
        let root = read_tree(b"<R><K>  two  spaces &amp; tab\t</K></R>").unwrap();
        assert_eq!(root.opt("K").unwrap(), "  two  spaces & tab\t");
    }

    #[test]
    fn tree_rejects_malformed_documents() {
        for bad in [
            &b""[..],
            b"   ",
            b"not xml",
            b"<R>",
            b"<R></S>",
            b"<R>&bogus;</R>",
            b"<R>&#0;</R>",
            b"<R/><R/>",
            b"<R/>trailing",
            b"<R>\xff</R>",
        ] {
            let e = read_tree(bad).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Service, "{e}");
        }
    }

    #[test]
    fn tree_depth_is_bounded() {
        let deep = "<a>".repeat(10_000);
        let e = read_tree(deep.as_bytes()).unwrap_err();
        assert!(e.to_string().contains("nested deeper"), "{e}");
    }

    #[test]
    fn partial_tree_keeps_complete_children_only() {
        let root = read_tree_partial(b"<Error><Code>SlowDown</Code><Message>Please red").unwrap();
        assert_eq!(root.opt("Code").unwrap(), "SlowDown");
        assert!(root.child("Message").is_none());
    }

    #[test]
    fn url_decoding_handles_percent_plus_and_bad_escapes() {
        let url = KeyEncoding { url: true };
        assert_eq!(url.decode("a%20b", "Key").unwrap(), "a b");
        assert_eq!(url.decode("a+b%2Bc", "Key").unwrap(), "a b+c");
        assert_eq!(url.decode("%25", "Key").unwrap(), "%");
        assert_eq!(url.decode("caf%C3%A9", "Key").unwrap(), "café");
        assert_eq!(url.decode("100%", "Key").unwrap(), "100%");
        assert_eq!(url.decode("%zz%4", "Key").unwrap(), "%zz%4");
        assert_eq!(url.decode("%+1", "Key").unwrap(), "% 1");
        assert!(url.decode("%ff", "Key").is_err());
        let raw = KeyEncoding { url: false };
        assert_eq!(raw.decode("a%20b+c", "Key").unwrap(), "a%20b+c");
    }

    #[test]
    fn escape_covers_markup_quotes_and_line_ends() {
        let mut out = String::new();
        escape_into(&mut out, "a&b<c>d\"e'f\r\n\tg é");
        assert_eq!(out, "a&amp;b&lt;c&gt;d&quot;e&apos;f&#13;&#10;&#9;g é");
        let doc = format!("<R>{out}</R>");
        let root = read_tree(doc.as_bytes()).unwrap();
        assert_eq!(root.text(), "a&b<c>d\"e'f\r\n\tg é");
    }
}
