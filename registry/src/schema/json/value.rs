//! JSON values: a parser that keeps number text (Jackson prints BigDecimal text, not f64), and
//! Jackson-compatible output.

use super::*;

#[derive(Debug, Clone)]
pub(super) enum JVal {
    Null,
    Bool(bool),
    Num(JNum),
    Str(String),
    Arr(Vec<JVal>),
    Obj(Vec<(String, JVal)>),
}

#[derive(Debug, Clone)]
pub(super) struct JNum {
    pub(super) raw: String,
    pub(super) int: bool,
}

impl JNum {
    pub(super) fn f64(&self) -> f64 {
        self.raw.parse::<f64>().unwrap_or(f64::NAN)
    }

    /// Jackson's rendering: integers as digits (`-0` is `0`), other numbers as
    /// `BigDecimal#toString` of the exact literal.
    pub(super) fn canonical(&self) -> String {
        if self.int {
            if self.raw.bytes().all(|c| c == b'-' || c == b'0') {
                return "0".to_string();
            }
            return self.raw.clone();
        }
        let (neg, rest) = match self.raw.strip_prefix('-') {
            Some(r) => (true, r),
            None => (false, self.raw.as_str()),
        };
        let (mantissa, exp) = match rest.find(['e', 'E']) {
            Some(p) => (&rest[..p], rest[p + 1..].parse::<i64>().unwrap_or(0)),
            None => (rest, 0),
        };
        let (ip, fp) = match mantissa.find('.') {
            Some(p) => (&mantissa[..p], &mantissa[p + 1..]),
            None => (mantissa, ""),
        };
        let all: String = format!("{ip}{fp}");
        let coeff = all.trim_start_matches('0');
        let coeff = if coeff.is_empty() { "0" } else { coeff };
        let scale = fp.len() as i64 - exp;
        big_decimal_layout(neg && coeff != "0", coeff, scale)
    }
}

/// `java.math.BigDecimal#toString` for an unscaled coefficient (decimal digits) and scale.
pub(super) fn big_decimal_layout(neg: bool, coeff: &str, scale: i64) -> String {
    let mut s = String::with_capacity(coeff.len() + 8);
    if neg {
        s.push('-');
    }
    if scale == 0 {
        s.push_str(coeff);
        return s;
    }
    let len = coeff.len() as i64;
    let adjusted = -scale + (len - 1);
    if scale > 0 && adjusted >= -6 {
        let pad = scale - len;
        if pad >= 0 {
            s.push_str("0.");
            for _ in 0..pad {
                s.push('0');
            }
            s.push_str(coeff);
        } else {
            let p = (len - scale) as usize;
            s.push_str(&coeff[..p]);
            s.push('.');
            s.push_str(&coeff[p..]);
        }
    } else {
        s.push_str(&coeff[..1]);
        if coeff.len() > 1 {
            s.push('.');
            s.push_str(&coeff[1..]);
        }
        if adjusted != 0 {
            s.push('E');
            if adjusted > 0 {
                s.push('+');
            }
            s.push_str(&adjusted.to_string());
        }
    }
    s
}

impl JVal {
    pub(super) fn get(&self, key: &str) -> Option<&JVal> {
        match self {
            JVal::Obj(m) => m.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub(super) fn as_str(&self) -> Option<&str> {
        match self {
            JVal::Str(s) => Some(s),
            _ => None,
        }
    }

    pub(super) fn type_name(&self) -> &'static str {
        match self {
            JVal::Null => "NULL",
            JVal::Bool(_) => "BOOLEAN",
            JVal::Num(_) => "NUMBER",
            JVal::Str(_) => "STRING",
            JVal::Arr(_) => "ARRAY",
            JVal::Obj(_) => "OBJECT",
        }
    }
}

pub(super) fn parse_json(text: &str) -> Result<JVal, String> {
    let mut p = JsonParser { b: text.as_bytes(), i: 0 };
    p.ws();
    if p.i >= p.b.len() {
        return Err("empty document".to_string());
    }
    let v = p.value(0)?;
    p.ws();
    if p.i != p.b.len() {
        return Err(format!("unexpected trailing content at offset {}", p.i));
    }
    Ok(v)
}

pub(super) struct JsonParser<'a> {
    pub(super) b: &'a [u8],
    pub(super) i: usize,
}

impl JsonParser<'_> {
    pub(super) fn ws(&mut self) {
        while self.i < self.b.len() && matches!(self.b[self.i], b' ' | b'\t' | b'\n' | b'\r') {
            self.i += 1;
        }
    }

    pub(super) fn fail<T>(&self, what: &str) -> Result<T, String> {
        Err(format!("{what} at offset {}", self.i))
    }

    pub(super) fn expect_lit(&mut self, lit: &str, v: JVal) -> Result<JVal, String> {
        if self.b[self.i..].starts_with(lit.as_bytes()) {
            self.i += lit.len();
            Ok(v)
        } else {
            self.fail("unexpected token")
        }
    }

    pub(super) fn value(&mut self, depth: usize) -> Result<JVal, String> {
        if self.i >= self.b.len() {
            return self.fail("unexpected end of input");
        }
        match self.b[self.i] {
            b'{' | b'[' if depth >= MAX_JSON_DEPTH => self.fail(&format!("nesting deeper than {MAX_JSON_DEPTH}")),
            b'{' => self.object(depth),
            b'[' => self.array(depth),
            b'"' => Ok(JVal::Str(self.string()?)),
            b't' => self.expect_lit("true", JVal::Bool(true)),
            b'f' => self.expect_lit("false", JVal::Bool(false)),
            b'n' => self.expect_lit("null", JVal::Null),
            b'-' | b'0'..=b'9' => Ok(JVal::Num(self.number()?)),
            _ => self.fail("unexpected character"),
        }
    }

    /// An object (at `{`): members in order, a repeated key's last value in its first place.
    fn object(&mut self, depth: usize) -> Result<JVal, String> {
        self.i += 1;
        let mut members: Vec<(String, JVal)> = Vec::new();
        let mut index: Option<HashMap<String, usize>> = None;
        self.ws();
        if self.i < self.b.len() && self.b[self.i] == b'}' {
            self.i += 1;
            return Ok(JVal::Obj(members));
        }
        loop {
            self.ws();
            if self.i >= self.b.len() || self.b[self.i] != b'"' {
                return self.fail("expected a field name");
            }
            let key = self.string()?;
            self.ws();
            if self.i >= self.b.len() || self.b[self.i] != b':' {
                return self.fail("expected ':'");
            }
            self.i += 1;
            self.ws();
            let v = self.value(depth + 1)?;
            // Duplicate keys: the last value wins, in the first key's position (Jackson).
            if members.len() >= 16 && index.is_none() {
                index = Some(members.iter().enumerate().map(|(i, (k, _))| (k.clone(), i)).collect());
            }
            let existing = match &index {
                Some(ix) => ix.get(&key).copied(),
                None => members.iter().position(|(k, _)| *k == key),
            };
            match existing {
                Some(pos) => members[pos].1 = v,
                None => {
                    if let Some(ix) = index.as_mut() {
                        ix.insert(key.clone(), members.len());
                    }
                    members.push((key, v));
                }
            }
            self.ws();
            if self.i >= self.b.len() {
                return self.fail("unexpected end of input");
            }
            match self.b[self.i] {
                b',' => self.i += 1,
                b'}' => {
                    self.i += 1;
                    return Ok(JVal::Obj(members));
                }
                _ => return self.fail("expected ',' or '}'"),
            }
        }
    }

    /// An array (at `[`).
    fn array(&mut self, depth: usize) -> Result<JVal, String> {
        self.i += 1;
        let mut items = Vec::new();
        self.ws();
        if self.i < self.b.len() && self.b[self.i] == b']' {
            self.i += 1;
            return Ok(JVal::Arr(items));
        }
        loop {
            self.ws();
            items.push(self.value(depth + 1)?);
            self.ws();
            if self.i >= self.b.len() {
                return self.fail("unexpected end of input");
            }
            match self.b[self.i] {
                b',' => self.i += 1,
                b']' => {
                    self.i += 1;
                    return Ok(JVal::Arr(items));
                }
                _ => return self.fail("expected ',' or ']'"),
            }
        }
    }

    pub(super) fn hex4(&mut self) -> Result<u32, String> {
        if self.i + 4 > self.b.len() {
            return self.fail("truncated unicode escape");
        }
        let mut v = 0u32;
        for k in 0..4 {
            let d = match self.b[self.i + k] {
                c @ b'0'..=b'9' => c - b'0',
                c @ b'a'..=b'f' => c - b'a' + 10,
                c @ b'A'..=b'F' => c - b'A' + 10,
                _ => return self.fail("invalid unicode escape"),
            };
            v = v * 16 + u32::from(d);
        }
        self.i += 4;
        Ok(v)
    }

    pub(super) fn string(&mut self) -> Result<String, String> {
        self.i += 1; // opening quote
        let mut out = String::new();
        let mut start = self.i;
        loop {
            if self.i >= self.b.len() {
                return self.fail("unterminated string");
            }
            match self.b[self.i] {
                b'"' => {
                    out.push_str(self.slice(start, self.i)?);
                    self.i += 1;
                    return Ok(out);
                }
                b'\\' => {
                    out.push_str(self.slice(start, self.i)?);
                    self.i += 1;
                    if self.i >= self.b.len() {
                        return self.fail("unterminated string");
                    }
                    let c = self.b[self.i];
                    self.i += 1;
                    match c {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let hi = self.hex4()?;
                            let cp = if (0xD800..0xDC00).contains(&hi) {
                                if self.b[self.i..].starts_with(b"\\u") {
                                    self.i += 2;
                                    let lo = self.hex4()?;
                                    if !(0xDC00..0xE000).contains(&lo) {
                                        return self.fail("invalid surrogate pair");
                                    }
                                    0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                                } else {
                                    return self.fail("unpaired surrogate");
                                }
                            } else if (0xDC00..0xE000).contains(&hi) {
                                return self.fail("unpaired surrogate");
                            } else {
                                hi
                            };
                            match char::from_u32(cp) {
                                Some(ch) => out.push(ch),
                                None => return self.fail("invalid unicode escape"),
                            }
                        }
                        _ => return self.fail("invalid escape"),
                    }
                    start = self.i;
                }
                c if c < 0x20 => return self.fail("unescaped control character in string"),
                _ => self.i += 1,
            }
        }
    }

    pub(super) fn slice(&self, a: usize, b: usize) -> Result<&str, String> {
        std::str::from_utf8(&self.b[a..b]).map_err(|_| format!("invalid UTF-8 at offset {a}"))
    }

    pub(super) fn number(&mut self) -> Result<JNum, String> {
        let start = self.i;
        let b = self.b;
        let digits = |i: &mut usize| {
            let s = *i;
            while *i < b.len() && b[*i].is_ascii_digit() {
                *i += 1;
            }
            *i - s
        };
        let mut i = self.i;
        if b[i] == b'-' {
            i += 1;
        }
        if i < b.len() && b[i] == b'0' {
            i += 1;
            if i < b.len() && b[i].is_ascii_digit() {
                self.i = i;
                return self.fail("leading zeros are not allowed");
            }
        } else if digits(&mut i) == 0 {
            self.i = i;
            return self.fail("invalid number");
        }
        let mut int = true;
        if i < b.len() && b[i] == b'.' {
            i += 1;
            int = false;
            if digits(&mut i) == 0 {
                self.i = i;
                return self.fail("invalid number");
            }
        }
        if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
            i += 1;
            int = false;
            if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
                i += 1;
            }
            let exp_start = i;
            let n = digits(&mut i);
            if n == 0 {
                self.i = i;
                return self.fail("invalid number");
            }
            let exp_digits = std::str::from_utf8(&b[exp_start..i]).unwrap_or("");
            let exp_digits = exp_digits.trim_start_matches('0');
            if exp_digits.len() > 9 {
                self.i = i;
                return self.fail("number exponent out of range");
            }
        }
        if i - start > MAX_NUMBER_LEN {
            self.i = i;
            return self.fail(&format!("number longer than {MAX_NUMBER_LEN} characters"));
        }
        self.i = i;
        let raw = std::str::from_utf8(&b[start..i]).unwrap_or("0").to_string();
        Ok(JNum { raw, int })
    }
}

/// Compact JSON in Jackson's style; `sorted` orders object keys like a Java `TreeMap<String, _>`.
pub(super) fn write_json(v: &JVal, sorted: bool, out: &mut String) {
    match v {
        JVal::Null => out.push_str("null"),
        JVal::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        JVal::Num(n) => out.push_str(&n.canonical()),
        JVal::Str(s) => write_str(s, out),
        JVal::Arr(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(item, sorted, out);
            }
            out.push(']');
        }
        JVal::Obj(members) => {
            out.push('{');
            let mut refs: Vec<&(String, JVal)> = members.iter().collect();
            if sorted {
                refs.sort_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));
            }
            for (i, (k, val)) in refs.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_str(k, out);
                out.push(':');
                write_json(val, sorted, out);
            }
            out.push('}');
        }
    }
}

pub(super) fn write_str(s: &str, out: &mut String) {
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Order-insensitive identity of a JSON value (for enum/const comparisons).
pub(super) fn value_key(v: &JVal) -> String {
    let mut s = String::new();
    write_json(v, true, &mut s);
    s
}

pub(super) fn to_serde(v: &JVal) -> serde_json::Value {
    use serde_json::Value;
    match v {
        JVal::Null => Value::Null,
        JVal::Bool(b) => Value::Bool(*b),
        JVal::Num(n) => {
            if n.int {
                if let Ok(i) = n.raw.parse::<i64>() {
                    return Value::from(i);
                }
                if let Ok(u) = n.raw.parse::<u64>() {
                    return Value::from(u);
                }
            }
            let f = n.f64();
            let f = if f.is_finite() {
                f
            } else if f.is_sign_negative() {
                f64::MIN
            } else {
                f64::MAX
            };
            serde_json::Number::from_f64(f).map(Value::Number).unwrap_or(Value::Null)
        }
        JVal::Str(s) => Value::String(s.clone()),
        JVal::Arr(items) => Value::Array(items.iter().map(to_serde).collect()),
        JVal::Obj(members) => Value::Object(members.iter().map(|(k, v)| (k.clone(), to_serde(v))).collect()),
    }
}
