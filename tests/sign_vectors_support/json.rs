//! A minimal JSON reader for the vector files (the crate has no JSON
//! dependency and tests may not add one). Panics on malformed input.

#[derive(Debug)]
pub(crate) enum Value {
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    Arr(Vec<Value>),
    Obj(Vec<(String, Value)>),
}

impl Value {
    pub(crate) fn get(&self, key: &str) -> Option<&Value> {
        let Value::Obj(fields) = self else {
            return None;
        };
        fields.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }
    /// The string field `key` (panics if missing: a malformed vector).
    pub(crate) fn s(&self, key: &str) -> &str {
        self.get(key)
            .unwrap_or_else(|| panic!("missing {key:?}"))
            .as_str()
    }
    /// The array field `key`, empty if absent.
    pub(crate) fn list(&self, key: &str) -> &[Value] {
        self.get(key).map_or(&[], Value::as_array)
    }
    /// The `[name, value]` pairs of the array field `key`.
    pub(crate) fn pairs(&self, key: &str) -> Vec<(&str, &str)> {
        self.list(key)
            .iter()
            .map(|v| (v.as_array()[0].as_str(), v.as_array()[1].as_str()))
            .collect()
    }
    pub(crate) fn b(&self, key: &str) -> bool {
        self.get(key).is_some_and(Value::as_bool)
    }
    pub(crate) fn n(&self, key: &str) -> u64 {
        self.get(key)
            .unwrap_or_else(|| panic!("missing {key:?}"))
            .as_u64()
    }
    pub(crate) fn as_str(&self) -> &str {
        let Value::Str(s) = self else {
            panic!("not a string: {self:?}")
        };
        s
    }
    pub(crate) fn as_bool(&self) -> bool {
        let Value::Bool(b) = self else {
            panic!("not a bool: {self:?}")
        };
        *b
    }
    pub(crate) fn as_u64(&self) -> u64 {
        let Value::Num(n) = self else {
            panic!("not a number: {self:?}")
        };
        *n as u64
    }
    pub(crate) fn as_array(&self) -> &[Value] {
        let Value::Arr(items) = self else {
            panic!("not an array: {self:?}")
        };
        items
    }
    pub(crate) fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }
}

pub(crate) fn parse(text: &str) -> Value {
    let mut p = Parser {
        b: text.as_bytes(),
        i: 0,
    };
    let v = p.value();
    assert!(p.peek().is_none(), "trailing data in JSON");
    v
}

struct Parser<'a> {
    b: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    /// The next non-whitespace byte, not consumed.
    fn peek(&mut self) -> Option<u8> {
        while self.b.get(self.i).is_some_and(u8::is_ascii_whitespace) {
            self.i += 1;
        }
        self.b.get(self.i).copied()
    }

    fn bump(&mut self) -> u8 {
        let c = self.peek().expect("JSON ends early");
        self.i += 1;
        c
    }

    /// Items up to `close`, each read by `item`, separated by commas.
    fn items<T>(&mut self, close: u8, mut item: impl FnMut(&mut Self) -> T) -> Vec<T> {
        let mut out = Vec::new();
        if self.peek() == Some(close) {
            self.i += 1;
            return out;
        }
        loop {
            out.push(item(self));
            if self.bump() == close {
                return out;
            }
        }
    }

    fn value(&mut self) -> Value {
        match self.bump() {
            b'{' => Value::Obj(self.items(b'}', |p| {
                let key = p.string();
                assert_eq!(p.bump(), b':');
                (key, p.value())
            })),
            b'[' => Value::Arr(self.items(b']', Self::value)),
            b'"' => {
                self.i -= 1;
                Value::Str(self.string())
            }
            c => {
                let start = self.i - 1;
                while self
                    .b
                    .get(self.i)
                    .is_some_and(|b| b.is_ascii_alphanumeric() || b"+-.".contains(b))
                {
                    self.i += 1;
                }
                match &self.b[start..self.i] {
                    b"true" => Value::Bool(true),
                    b"false" => Value::Bool(false),
                    b"null" => Value::Null,
                    num => {
                        let num = std::str::from_utf8(num).unwrap();
                        Value::Num(
                            num.parse()
                                .unwrap_or_else(|_| panic!("bad JSON {c}: {num}")),
                        )
                    }
                }
            }
        }
    }

    fn hex4(&mut self) -> u32 {
        let s = std::str::from_utf8(&self.b[self.i..self.i + 4]).unwrap();
        self.i += 4;
        u32::from_str_radix(s, 16).unwrap()
    }

    fn string(&mut self) -> String {
        assert_eq!(self.bump(), b'"');
        let mut out: Vec<u8> = Vec::new();
        loop {
            let c = self.b[self.i];
            self.i += 1;
            let ch = match c {
                b'"' => return String::from_utf8(out).unwrap(),
                b'\\' => {
                    self.i += 1;
                    match self.b[self.i - 1] {
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'u' => {
                            let mut code = self.hex4();
                            if (0xd800..0xdc00).contains(&code) {
                                self.i += 2; // the "\u" of the low surrogate
                                code = 0x10000 + ((code - 0xd800) << 10) + (self.hex4() - 0xdc00);
                            }
                            char::from_u32(code).unwrap()
                        }
                        other => char::from(other),
                    }
                }
                _ => {
                    out.push(c);
                    continue;
                }
            };
            out.extend_from_slice(ch.encode_utf8(&mut [0; 4]).as_bytes());
        }
    }
}
