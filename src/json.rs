//! A small, strict JSON reader for the credential documents: the
//! `credential_process` output, the ECS/EKS and IMDS answers, the SSO token
//! cache and the SSO portal's `GetRoleCredentials` answer.
//!
//! RFC 8259 syntax only: no comments, no trailing commas, no leading zeros,
//! no raw control characters in strings, and nothing but whitespace after the
//! document. Nesting is bounded, so hostile input cannot overflow the stack.
//! Every failure is a message, never a panic.

use std::collections::BTreeMap;

/// Deepest nesting of objects and arrays accepted.
const MAX_DEPTH: usize = 16;

/// A JSON value.
#[derive(Clone, PartialEq)]
pub(crate) enum Value {
    Null,
    Bool(bool),
    /// Numbers are kept as their text, so large integers lose nothing.
    Number(String),
    String(String),
    Array(Vec<Value>),
    Object(BTreeMap<String, Value>),
}

/// Parses a whole document.
pub(crate) fn parse(input: &[u8]) -> Result<Value, String> {
    let text = std::str::from_utf8(input).map_err(|_| "JSON is not valid UTF-8".to_string())?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut p = Parser {
        s: text.as_bytes(),
        i: 0,
    };
    let v = p.value(0)?;
    p.ws();
    if p.i != p.s.len() {
        return Err(format!(
            "unexpected data after the JSON document at byte {}",
            p.i
        ));
    }
    Ok(v)
}

/// Parses a document whose top level must be an object.
pub(crate) fn parse_object(input: &[u8]) -> Result<Object, String> {
    match parse(input)? {
        Value::Object(map) => Ok(Object(map)),
        _ => Err("expected a JSON object".into()),
    }
}

/// A JSON object with typed field access; messages name the field but never
/// its value (values are often secrets).
#[derive(Clone, PartialEq, Default)]
pub(crate) struct Object(BTreeMap<String, Value>);

impl Object {
    /// The raw value of `key`.
    #[cfg(test)]
    pub(crate) fn get(&self, key: &str) -> Option<&Value> {
        self.0.get(key)
    }

    /// A string field; `None` when absent or `null`.
    pub(crate) fn opt_str(&self, key: &str) -> Result<Option<&str>, String> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(format!("field {key:?} must be a string")),
        }
    }

    /// A string field that must be present.
    pub(crate) fn str(&self, key: &str) -> Result<&str, String> {
        self.opt_str(key)?
            .ok_or_else(|| format!("field {key:?} is missing"))
    }

    /// An integer field; `None` when absent or `null`.
    pub(crate) fn opt_i64(&self, key: &str) -> Result<Option<i64>, String> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => n
                .parse()
                .map(Some)
                .map_err(|_| format!("field {key:?} must be an integer")),
            Some(_) => Err(format!("field {key:?} must be a number")),
        }
    }

    /// A nested object field that must be present.
    pub(crate) fn object(&self, key: &str) -> Result<Object, String> {
        match self.0.get(key) {
            Some(Value::Object(map)) => Ok(Object(map.clone())),
            Some(_) => Err(format!("field {key:?} must be an object")),
            None => Err(format!("field {key:?} is missing")),
        }
    }
}

impl Object {
    /// Sets `key` to the string `value`.
    pub(crate) fn set_str(&mut self, key: &str, value: impl Into<String>) {
        self.0.insert(key.to_string(), Value::String(value.into()));
    }

    /// The object as compact JSON text (keys sorted).
    pub(crate) fn to_json(&self) -> String {
        let mut out = String::new();
        write_object(&self.0, &mut out);
        out
    }
}

fn write_value(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(n),
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => write_object(map, out),
    }
}

fn write_object(map: &BTreeMap<String, Value>, out: &mut String) {
    out.push('{');
    for (i, (k, v)) in map.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_string(k, out);
        out.push(':');
        write_value(v, out);
    }
    out.push('}');
}

/// `s` as a JSON string literal, quotes included.
pub(crate) fn string_literal(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    write_string(s, &mut out);
    out
}

fn write_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.s.get(self.i) {
            self.i += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn err(&self, what: &str) -> String {
        format!("invalid JSON at byte {}: {what}", self.i)
    }

    fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn literal(&mut self, word: &[u8], v: Value) -> Result<Value, String> {
        if self.s[self.i..].starts_with(word) {
            self.i += word.len();
            Ok(v)
        } else {
            Err(self.err("unknown literal"))
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value, String> {
        if depth > MAX_DEPTH {
            return Err(self.err("nested too deeply"));
        }
        self.ws();
        match self.peek() {
            None => Err(self.err("unexpected end")),
            Some(b'{') => self.object(depth),
            Some(b'[') => self.array(depth),
            Some(b'"') => self.string().map(Value::String),
            Some(b't') => self.literal(b"true", Value::Bool(true)),
            Some(b'f') => self.literal(b"false", Value::Bool(false)),
            Some(b'n') => self.literal(b"null", Value::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => Err(self.err("unexpected character")),
        }
    }

    fn object(&mut self, depth: usize) -> Result<Value, String> {
        self.i += 1;
        let mut map = BTreeMap::new();
        self.ws();
        if self.eat(b'}') {
            return Ok(Value::Object(map));
        }
        loop {
            self.ws();
            if self.peek() != Some(b'"') {
                return Err(self.err("expected a string key"));
            }
            let key = self.string()?;
            self.ws();
            if !self.eat(b':') {
                return Err(self.err("expected ':'"));
            }
            let v = self.value(depth + 1)?;
            if map.insert(key, v).is_some() {
                return Err(self.err("duplicate key"));
            }
            self.ws();
            if self.eat(b',') {
                continue;
            }
            if self.eat(b'}') {
                return Ok(Value::Object(map));
            }
            return Err(self.err("expected ',' or '}'"));
        }
    }

    fn array(&mut self, depth: usize) -> Result<Value, String> {
        self.i += 1;
        let mut items = Vec::new();
        self.ws();
        if self.eat(b']') {
            return Ok(Value::Array(items));
        }
        loop {
            items.push(self.value(depth + 1)?);
            self.ws();
            if self.eat(b',') {
                continue;
            }
            if self.eat(b']') {
                return Ok(Value::Array(items));
            }
            return Err(self.err("expected ',' or ']'"));
        }
    }

    fn number(&mut self) -> Result<Value, String> {
        let start = self.i;
        self.eat(b'-');
        match self.peek() {
            Some(b'0') => self.i += 1,
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(self.err("expected a digit")),
        }
        if self.eat(b'.') {
            if !self.peek().is_some_and(|b| b.is_ascii_digit()) {
                return Err(self.err("expected a fraction digit"));
            }
            self.digits();
        }
        if self.eat(b'e') || self.eat(b'E') {
            if !self.eat(b'+') {
                self.eat(b'-');
            }
            if !self.peek().is_some_and(|b| b.is_ascii_digit()) {
                return Err(self.err("expected an exponent digit"));
            }
            self.digits();
        }
        // The bytes are ASCII digits and signs, so this slice is UTF-8.
        let text = String::from_utf8_lossy(&self.s[start..self.i]).into_owned();
        Ok(Value::Number(text))
    }

    fn digits(&mut self) {
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.i += 1;
        }
    }

    fn string(&mut self) -> Result<String, String> {
        self.i += 1;
        let mut out = String::new();
        loop {
            let run = self.i;
            while let Some(b) = self.peek() {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.i += 1;
            }
            // The input is a `str` and the run stops only at ASCII bytes,
            // so it is whole characters.
            out.push_str(&String::from_utf8_lossy(&self.s[run..self.i]));
            match self.peek() {
                None => return Err(self.err("unterminated string")),
                Some(b'"') => {
                    self.i += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.i += 1;
                    let c = self.escape()?;
                    out.push(c);
                }
                Some(_) => return Err(self.err("control character in string")),
            }
        }
    }

    fn escape(&mut self) -> Result<char, String> {
        let b = self.peek().ok_or_else(|| self.err("unterminated escape"))?;
        self.i += 1;
        Ok(match b {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let hi = self.hex4()?;
                if (0xD800..0xDC00).contains(&hi) {
                    if !(self.eat(b'\\') && self.eat(b'u')) {
                        return Err(self.err("unpaired surrogate"));
                    }
                    let lo = self.hex4()?;
                    if !(0xDC00..0xE000).contains(&lo) {
                        return Err(self.err("unpaired surrogate"));
                    }
                    let c = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                    char::from_u32(c).ok_or_else(|| self.err("bad surrogate pair"))?
                } else {
                    char::from_u32(hi).ok_or_else(|| self.err("unpaired surrogate"))?
                }
            }
            _ => return Err(self.err("unknown escape")),
        })
    }

    fn hex4(&mut self) -> Result<u32, String> {
        let mut n = 0;
        for _ in 0..4 {
            let d = self
                .peek()
                .and_then(|b| char::from(b).to_digit(16))
                .ok_or_else(|| self.err("expected 4 hex digits"))?;
            n = n * 16 + d;
            self.i += 1;
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly on bad fixtures")]

    use super::*;

    #[test]
    fn written_objects_parse_back_the_same() {
        let text =
            r#"{"a": "x\"y\\z\n\u0001é", "n": 12, "l": [true, false, null], "o": {"k": "v"}}"#;
        let mut o = parse_object(text.as_bytes()).unwrap();
        o.set_str("b", "new");
        let again = parse_object(o.to_json().as_bytes()).unwrap();
        assert!(again == o, "{}", o.to_json());
        assert_eq!(again.str("a").unwrap(), "x\"y\\z\n\u{1}é");
    }

    #[test]
    fn reads_credential_process_output() {
        let o = parse_object(
            br#" {"Version": 1, "AccessKeyId": "AKID", "SecretAccessKey": "S\/K\u00e9\ud83d\ude00",
                 "SessionToken": null, "Expiration": "2030-01-01T00:00:00Z", "Ok": true,
                 "Nested": {"a": [1, -2.5e3, "x", false, null, {}]}}"#,
        )
        .unwrap();
        assert_eq!(o.opt_i64("Version").unwrap(), Some(1));
        assert_eq!(o.str("AccessKeyId").unwrap(), "AKID");
        assert_eq!(o.str("SecretAccessKey").unwrap(), "S/Ké😀");
        assert_eq!(o.opt_str("SessionToken").unwrap(), None);
        assert!(matches!(o.get("Ok"), Some(Value::Bool(true))));
        assert!(o.object("Nested").unwrap().get("a").is_some());
        assert!(o.str("Missing").unwrap_err().contains("Missing"));
        assert!(o.str("Version").unwrap_err().contains("string"));
        assert!(o.opt_i64("AccessKeyId").is_err());
    }

    #[test]
    fn rejects_malformed_documents_without_panicking() {
        for bad in [
            &b""[..],
            b"{",
            b"{\"a\":}",
            b"{\"a\":1,}",
            b"[1,]",
            b"{'a':1}",
            b"{\"a\":01}",
            b"{\"a\":1.}",
            b"{\"a\":1e}",
            b"{\"a\":-}",
            b"{\"a\":\"x\ny\"}",
            b"{\"a\":\"\\x\"}",
            b"{\"a\":\"\\ud800\"}",
            b"{\"a\":\"\\udc00\"}",
            b"{\"a\":\"\\u12\"}",
            b"{\"a\":tru}",
            b"{\"a\":1} x",
            b"{\"a\":1,\"a\":2}",
            b"{\"a\":\"\xff\"}",
            b"\"unterminated",
            b"// comment\n{}",
        ] {
            assert!(parse(bad).is_err(), "{:?}", String::from_utf8_lossy(bad));
        }
        assert!(parse_object(b"[1]").is_err());
        let deep = "[".repeat(100_000);
        assert!(parse(deep.as_bytes()).err().unwrap().contains("deeply"));
        // Every prefix of a valid document is either valid or an error.
        let doc = br#"{"k": "v\u0041", "n": [1, 2.5, true]}"#;
        for cut in 0..doc.len() {
            assert!(parse(&doc[..cut]).is_err());
        }
        assert!(parse(doc).is_ok());
    }
}
