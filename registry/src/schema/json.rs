//! JSON Schema engine: parse + validate, Confluent's canonical string and normalized form, `$ref`
//! resolution (local pointers, `$id`/`$anchor`, registry references) and Confluent's JSON Schema
//! compatibility rules (`SchemaDiff` of the json-schema-provider).
//!
//! Behaviour follows Confluent Schema Registry 8.x:
//! * the stored string is Jackson's compact rendering of the parsed document: key order kept,
//!   insignificant whitespace removed, floats printed like `java.math.BigDecimal#toString`,
//!   control characters escaped with upper-case hex (`JsonSchema.canonicalString()`);
//! * `normalize` additionally sorts every object's keys (Java `String` order, i.e. UTF-16 units);
//! * the draft comes from `$schema` (default draft-07, unknown URIs fall back to draft-07);
//! * the schema is modelled the way the Everit loader models it (enum/combined/not/const/type
//!   extraction, keyword sniffing, synthetic `allOf` when several apply) because the
//!   compatibility rules are written against that model.
//!
//! Everything is bounded: JSON nesting depth, number length, `$ref` chains, diff recursion depth
//! and total diff work. Hostile input yields errors, never panics or stack overflows.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::rc::Rc;
use std::sync::Arc;

/// Deepest JSON nesting accepted (Jackson allows 1000; we keep the stack small).
const MAX_JSON_DEPTH: usize = 128;
/// Longest number literal accepted (Jackson's `StreamReadConstraints` default).
const MAX_NUMBER_LEN: usize = 1000;
/// Deepest nesting of schema pairs on the compatibility-check stack.
const MAX_DIFF_DEPTH: usize = 160;
/// Total schema-pair comparisons one compatibility check may perform.
const MAX_DIFF_STEPS: usize = 1_000_000;
/// Passes of the fixed-point iteration over recursive schemas.
const MAX_FIXPOINT_PASSES: usize = 32;
/// Longest chain of `$ref` to `$ref` followed.
const MAX_REF_CHAIN: usize = 64;
/// Base URI of a root schema without `$id` (the one Confluent's json-sKema path uses).
const DEFAULT_BASE_URI: &str = "mem://input/";

// ------------------------------------------------------------------------------------------------
// Public interface
// ------------------------------------------------------------------------------------------------

/// Why a JSON Schema was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonSchemaError(pub String);

impl fmt::Display for JsonSchemaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for JsonSchemaError {}

fn err<T>(msg: impl Into<String>) -> Result<T, JsonSchemaError> {
    Err(JsonSchemaError(msg.into()))
}

/// A parsed, validated JSON Schema with its references resolved.
#[derive(Debug, Clone)]
pub struct JsonSchema {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    canonical: String,
    name: Option<String>,
    nodes: Vec<Node>,
    root: NodeId,
}

impl JsonSchema {
    /// Parse and validate a JSON Schema (drafts 4, 6, 7, 2019-09, 2020-12; `$schema` picks the
    /// draft, draft-07 by default as in Confluent). `references` are (reference name = the `$ref`
    /// URL/name used, schema text), transitively, in dependency order; `$ref`s to them must
    /// resolve. Invalid schemas (not JSON, not an object/boolean, failing the draft's
    /// meta-schema, unresolvable `$ref`) are errors.
    pub fn parse(text: &str, references: &[(&str, &str)], normalize: bool) -> Result<JsonSchema, JsonSchemaError> {
        let root = parse_json(text).map_err(|e| JsonSchemaError(format!("Invalid JSON: {e}")))?;
        match &root {
            JVal::Obj(_) | JVal::Bool(_) => {}
            other => {
                return err(format!(
                    "Invalid JSON schema: expected an object or boolean at the root, found {}",
                    other.type_name()
                ))
            }
        }
        let draft = detect_draft(&root, Draft::D7)?;
        if matches!(root, JVal::Obj(_)) {
            meta_validate(&root, draft)?;
        }
        let mut docs = Vec::with_capacity(references.len() + 1);
        let root_base = match root.get(draft.id_keyword()).and_then(JVal::as_str) {
            Some(id) => strip_fragment(&resolve_uri(DEFAULT_BASE_URI, id)).to_string(),
            None => DEFAULT_BASE_URI.to_string(),
        };
        docs.push(Doc { value: root, base: root_base.clone(), draft, names: vec![root_base.clone()] });
        for (name, ref_text) in references {
            let value = parse_json(ref_text)
                .map_err(|e| JsonSchemaError(format!("Invalid referenced schema '{name}': {e}")))?;
            let ref_draft = detect_draft(&value, draft)?;
            let uri = strip_fragment(&resolve_uri(&root_base, name)).to_string();
            let mut names = vec![uri.clone(), (*name).to_string()];
            let base = match value.get(ref_draft.id_keyword()).and_then(JVal::as_str) {
                Some(id) => {
                    let own = strip_fragment(&resolve_uri(&uri, id)).to_string();
                    names.push(own.clone());
                    own
                }
                None => uri,
            };
            docs.push(Doc { value, base, draft: ref_draft, names });
        }
        let (nodes, root_id) = Loader::run(&docs)?;
        let root_val = &docs[0].value;
        let mut canonical = String::with_capacity(text.len());
        write_json(root_val, normalize, &mut canonical);
        let name = root_val.get("title").map(|t| match t {
            JVal::Str(s) => s.clone(),
            JVal::Num(n) => n.canonical(),
            JVal::Bool(b) => b.to_string(),
            JVal::Null => "null".to_string(),
            JVal::Arr(_) | JVal::Obj(_) => String::new(),
        });
        Ok(JsonSchema { inner: Arc::new(Inner { canonical, name, nodes, root: root_id }) })
    }

    /// The string the registry stores: Confluent's canonical string (compact Jackson rendering,
    /// key order kept) or, when parsed with `normalize`, the normalized form (keys sorted).
    pub fn canonical(&self) -> &str {
        &self.inner.canonical
    }

    /// `title` of the root, if any (Confluent's `JsonSchema.name()`).
    pub fn name(&self) -> Option<&str> {
        self.inner.name.as_deref()
    }
}

/// One reason why a schema change breaks reading, as Confluent reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incompatibility {
    pub error_type: String,
    pub description: String,
}

impl fmt::Display for Incompatibility {
    /// Confluent's `Difference.toString()` shape, quotes included:
    /// `{errorType:"TYPE_CHANGED", description:"...'}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{{errorType:\"{}\", description:\"{}'}}", self.error_type, self.description)
    }
}

/// Confluent's JSON Schema compatibility (STRICT policy): the changes from `writer` (original)
/// to `reader` (update) that break reading, i.e. `SchemaDiff.compare(original=writer,
/// update=reader)` filtered by the compatible-change list. `reader_is_new` picks the new/old words
/// in descriptions (the first placeholder names the reader).
pub fn check_compatibility(reader: &JsonSchema, writer: &JsonSchema, reader_is_new: bool) -> Vec<Incompatibility> {
    check_compatibility_with_policy(reader, writer, reader_is_new, false)
}

/// As [`check_compatibility`]; `lenient` selects Confluent's LENIENT compatibility policy
/// (`compatibilityPolicy=LENIENT`), which additionally accepts open/closed content-model changes.
pub fn check_compatibility_with_policy(
    reader: &JsonSchema,
    writer: &JsonSchema,
    reader_is_new: bool,
    lenient: bool,
) -> Vec<Incompatibility> {
    let (words_first, words_second) = if reader_is_new { ("new", "old") } else { ("old", "new") };
    match run_diff(writer, reader, lenient) {
        Ok(diffs) => diffs
            .into_iter()
            .filter(|d| !is_compatible(d.ty, lenient))
            .map(|d| Incompatibility {
                error_type: d.ty.name().to_string(),
                description: describe(d.ty, &d.path, words_first, words_second),
            })
            .collect(),
        Err(reason) => vec![Incompatibility {
            error_type: "COMPATIBILITY_CHECK_ABORTED".to_string(),
            description: format!("The compatibility check between the {words_first} schema and the {words_second} schema was aborted: {reason}"),
        }],
    }
}

/// Every difference Confluent's `SchemaDiff.compare(original, update)` reports, compatible ones
/// included, as `(type, json path)` pairs. For diagnostics and tests.
#[doc(hidden)]
pub fn raw_differences(original: &JsonSchema, update: &JsonSchema) -> Vec<(String, String)> {
    match run_diff(original, update, false) {
        Ok(diffs) => diffs.into_iter().map(|d| (d.ty.name().to_string(), d.path)).collect(),
        Err(reason) => vec![("COMPATIBILITY_CHECK_ABORTED".to_string(), reason)],
    }
}

// ------------------------------------------------------------------------------------------------
// JSON values: a parser that keeps number text (Jackson prints BigDecimal text, not f64)
// ------------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
enum JVal {
    Null,
    Bool(bool),
    Num(JNum),
    Str(String),
    Arr(Vec<JVal>),
    Obj(Vec<(String, JVal)>),
}

#[derive(Debug, Clone)]
struct JNum {
    raw: String,
    int: bool,
}

impl JNum {
    fn f64(&self) -> f64 {
        self.raw.parse::<f64>().unwrap_or(f64::NAN)
    }

    /// Jackson's rendering: integers as digits (`-0` is `0`), other numbers as
    /// `BigDecimal#toString` of the exact literal.
    fn canonical(&self) -> String {
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
fn big_decimal_layout(neg: bool, coeff: &str, scale: i64) -> String {
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
    fn get(&self, key: &str) -> Option<&JVal> {
        match self {
            JVal::Obj(m) => m.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    fn as_str(&self) -> Option<&str> {
        match self {
            JVal::Str(s) => Some(s),
            _ => None,
        }
    }

    fn type_name(&self) -> &'static str {
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

fn parse_json(text: &str) -> Result<JVal, String> {
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

struct JsonParser<'a> {
    b: &'a [u8],
    i: usize,
}

impl JsonParser<'_> {
    fn ws(&mut self) {
        while self.i < self.b.len() && matches!(self.b[self.i], b' ' | b'\t' | b'\n' | b'\r') {
            self.i += 1;
        }
    }

    fn fail<T>(&self, what: &str) -> Result<T, String> {
        Err(format!("{what} at offset {}", self.i))
    }

    fn expect_lit(&mut self, lit: &str, v: JVal) -> Result<JVal, String> {
        if self.b[self.i..].starts_with(lit.as_bytes()) {
            self.i += lit.len();
            Ok(v)
        } else {
            self.fail("unexpected token")
        }
    }

    fn value(&mut self, depth: usize) -> Result<JVal, String> {
        if self.i >= self.b.len() {
            return self.fail("unexpected end of input");
        }
        match self.b[self.i] {
            b'{' => {
                if depth >= MAX_JSON_DEPTH {
                    return self.fail(&format!("nesting deeper than {MAX_JSON_DEPTH}"));
                }
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
            b'[' => {
                if depth >= MAX_JSON_DEPTH {
                    return self.fail(&format!("nesting deeper than {MAX_JSON_DEPTH}"));
                }
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
            b'"' => Ok(JVal::Str(self.string()?)),
            b't' => self.expect_lit("true", JVal::Bool(true)),
            b'f' => self.expect_lit("false", JVal::Bool(false)),
            b'n' => self.expect_lit("null", JVal::Null),
            b'-' | b'0'..=b'9' => Ok(JVal::Num(self.number()?)),
            _ => self.fail("unexpected character"),
        }
    }

    fn hex4(&mut self) -> Result<u32, String> {
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

    fn string(&mut self) -> Result<String, String> {
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

    fn slice(&self, a: usize, b: usize) -> Result<&str, String> {
        std::str::from_utf8(&self.b[a..b]).map_err(|_| format!("invalid UTF-8 at offset {a}"))
    }

    fn number(&mut self) -> Result<JNum, String> {
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
fn write_json(v: &JVal, sorted: bool, out: &mut String) {
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

fn write_str(s: &str, out: &mut String) {
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
fn value_key(v: &JVal) -> String {
    let mut s = String::new();
    write_json(v, true, &mut s);
    s
}

fn to_serde(v: &JVal) -> serde_json::Value {
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

// ------------------------------------------------------------------------------------------------
// Drafts and meta-schema validation
// ------------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Draft {
    D4,
    D6,
    D7,
    D201909,
    D202012,
}

impl Draft {
    fn id_keyword(self) -> &'static str {
        if self == Draft::D4 {
            "id"
        } else {
            "$id"
        }
    }

    fn modern(self) -> bool {
        self >= Draft::D201909
    }
}

/// Confluent picks 2019-09/2020-12 by exact URL (trailing `#` ignored); older drafts go to the
/// Everit loader, which matches by prefix and falls back to draft-07.
fn detect_draft(doc: &JVal, default: Draft) -> Result<Draft, JsonSchemaError> {
    let Some(v) = doc.get("$schema") else {
        return Ok(default);
    };
    let Some(url) = v.as_str() else {
        return err("Invalid JSON schema: '$schema' must be a string");
    };
    let trimmed = url.strip_suffix('#').unwrap_or(url);
    for scheme in ["http", "https"] {
        if trimmed == format!("{scheme}://json-schema.org/draft/2019-09/schema") {
            return Ok(Draft::D201909);
        }
        if trimmed == format!("{scheme}://json-schema.org/draft/2020-12/schema") {
            return Ok(Draft::D202012);
        }
    }
    for (draft, path) in [(Draft::D4, "draft-04"), (Draft::D6, "draft-06"), (Draft::D7, "draft-07")] {
        for scheme in ["http", "https"] {
            if url.starts_with(&format!("{scheme}://json-schema.org/{path}/schema")) {
                return Ok(draft);
            }
        }
    }
    Ok(Draft::D7)
}

fn meta_validate(root: &JVal, draft: Draft) -> Result<(), JsonSchemaError> {
    let value = to_serde(root);
    let validator = match draft {
        Draft::D4 => jsonschema::draft4::meta::validator(),
        Draft::D6 => jsonschema::draft6::meta::validator(),
        Draft::D7 => jsonschema::draft7::meta::validator(),
        Draft::D201909 => jsonschema::draft201909::meta::validator(),
        Draft::D202012 => jsonschema::draft202012::meta::validator(),
    };
    for error in validator.iter_errors(&value) {
        // The loaders Confluent uses accept empty or repeated `required`/`enum`/`type` arrays and
        // empty `allOf`/`anyOf`/`oneOf`; do not reject what Confluent stores.
        let path = error.instance_path().as_str().to_string();
        // Likewise, URI formats of `$id`/`$ref`/`$schema` are not checked by it.
        use jsonschema::error::ValidationErrorKind as K;
        let lenient = match error.kind() {
            K::MinItems { .. } | K::UniqueItems => {
                ["/required", "/enum", "/type", "/allOf", "/anyOf", "/oneOf"].iter().any(|k| path.ends_with(k))
            }
            K::Format { format } => format != "regex",
            _ => false,
        };
        if lenient {
            continue;
        }
        let at = if path.is_empty() { "#".to_string() } else { format!("#{path}") };
        return err(format!("Invalid JSON schema: {at}: {error}"));
    }
    Ok(())
}

// ------------------------------------------------------------------------------------------------
// URIs and JSON pointers
// ------------------------------------------------------------------------------------------------

struct UriParts<'a> {
    scheme: Option<&'a str>,
    authority: Option<&'a str>,
    path: &'a str,
    query: Option<&'a str>,
    fragment: Option<&'a str>,
}

fn split_uri(s: &str) -> UriParts<'_> {
    let (rest, fragment) = match s.find('#') {
        Some(p) => (&s[..p], Some(&s[p + 1..])),
        None => (s, None),
    };
    let (rest, query) = match rest.find('?') {
        Some(p) => (&rest[..p], Some(&rest[p + 1..])),
        None => (rest, None),
    };
    let mut scheme = None;
    let mut rest = rest;
    if let Some(p) = rest.find(':') {
        let cand = &rest[..p];
        if !cand.is_empty()
            && cand.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && cand.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        {
            scheme = Some(cand);
            rest = &rest[p + 1..];
        }
    }
    let (authority, path) = match rest.strip_prefix("//") {
        Some(r) => match r.find('/') {
            Some(p) => (Some(&r[..p]), &r[p..]),
            None => (Some(r), ""),
        },
        None => (None, rest),
    };
    UriParts { scheme, authority, path, query, fragment }
}

fn remove_dot_segments(path: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    let absolute = path.starts_with('/');
    let segs: Vec<&str> = path.split('/').collect();
    let n = segs.len();
    for (i, seg) in segs.iter().enumerate() {
        match *seg {
            "." => {
                if i == n - 1 {
                    out.push("");
                }
            }
            ".." => {
                if out.len() > usize::from(absolute) {
                    out.pop();
                }
                if i == n - 1 {
                    out.push("");
                }
            }
            s => out.push(s),
        }
    }
    let joined = out.join("/");
    if absolute && !joined.starts_with('/') {
        format!("/{joined}")
    } else {
        joined
    }
}

/// RFC 3986 §5.2 reference resolution (enough for `$id`/`$ref` handling).
fn resolve_uri(base: &str, reference: &str) -> String {
    let r = split_uri(reference);
    let b = split_uri(base);
    let (scheme, authority, path, query);
    if r.scheme.is_some() {
        scheme = r.scheme;
        authority = r.authority;
        path = remove_dot_segments(r.path);
        query = r.query;
    } else {
        scheme = b.scheme;
        if r.authority.is_some() {
            authority = r.authority;
            path = remove_dot_segments(r.path);
            query = r.query;
        } else {
            authority = b.authority;
            if r.path.is_empty() {
                path = b.path.to_string();
                query = if r.query.is_some() { r.query } else { b.query };
            } else {
                if r.path.starts_with('/') {
                    path = remove_dot_segments(r.path);
                } else {
                    let merged = if b.authority.is_some() && b.path.is_empty() {
                        format!("/{}", r.path)
                    } else {
                        match b.path.rfind('/') {
                            Some(p) => format!("{}{}", &b.path[..=p], r.path),
                            None => r.path.to_string(),
                        }
                    };
                    path = remove_dot_segments(&merged);
                }
                query = r.query;
            }
        }
    }
    let mut out = String::new();
    if let Some(s) = scheme {
        out.push_str(s);
        out.push(':');
    }
    if let Some(a) = authority {
        out.push_str("//");
        out.push_str(a);
    }
    out.push_str(&path);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    if let Some(f) = r.fragment {
        out.push('#');
        out.push_str(f);
    }
    out
}

fn strip_fragment(uri: &str) -> &str {
    match uri.find('#') {
        Some(p) => &uri[..p],
        None => uri,
    }
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = std::str::from_utf8(&b[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok());
            if let Some(v) = hex {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn escape_token(t: &str) -> String {
    t.replace('~', "~0").replace('/', "~1")
}

fn unescape_token(t: &str) -> String {
    t.replace("~1", "/").replace("~0", "~")
}

fn child_ptr(ptr: &str, token: &str) -> String {
    format!("{ptr}/{}", escape_token(token))
}

fn pointer_get<'v>(root: &'v JVal, tokens: &[String]) -> Option<&'v JVal> {
    let mut cur = root;
    for t in tokens {
        cur = match cur {
            JVal::Obj(_) => cur.get(t)?,
            JVal::Arr(items) => {
                if t.len() > 1 && t.starts_with('0') {
                    return None;
                }
                items.get(t.parse::<usize>().ok()?)?
            }
            _ => return None,
        };
    }
    Some(cur)
}

// ------------------------------------------------------------------------------------------------
// Schema model (mirrors the Everit object model that Confluent's SchemaDiff is written against)
// ------------------------------------------------------------------------------------------------

type NodeId = usize;

#[derive(Debug)]
struct Node {
    kind: Kind,
    id: Option<String>,
    title: Option<String>,
    description: Option<String>,
    default: Option<String>,
    connect_type: Option<String>,
}

impl Node {
    fn new(kind: Kind) -> Node {
        Node { kind, id: None, title: None, description: None, default: None, connect_type: None }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Crit {
    All,
    Any,
    One,
}

impl Crit {
    fn name(self) -> &'static str {
        match self {
            Crit::All => "allOf",
            Crit::Any => "anyOf",
            Crit::One => "oneOf",
        }
    }
}

#[derive(Debug)]
enum Kind {
    Empty,
    True,
    False,
    Null,
    Boolean,
    Str(StrS),
    Num(NumS),
    Enum(Vec<String>),
    Const(String),
    Combined(Crit, Vec<NodeId>),
    Not(NodeId),
    Obj(Box<ObjS>),
    Arr(Box<ArrS>),
    Ref(Option<NodeId>, String),
    Cond,
}

/// Discriminant used for "same schema class" checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Empty,
    True,
    False,
    Null,
    Boolean,
    Str,
    Num,
    Enum,
    Const,
    Combined,
    Not,
    Obj,
    Arr,
    Ref,
    Cond,
}

impl Kind {
    fn class(&self) -> Class {
        match self {
            Kind::Empty => Class::Empty,
            Kind::True => Class::True,
            Kind::False => Class::False,
            Kind::Null => Class::Null,
            Kind::Boolean => Class::Boolean,
            Kind::Str(_) => Class::Str,
            Kind::Num(_) => Class::Num,
            Kind::Enum(_) => Class::Enum,
            Kind::Const(_) => Class::Const,
            Kind::Combined(..) => Class::Combined,
            Kind::Not(_) => Class::Not,
            Kind::Obj(_) => Class::Obj,
            Kind::Arr(_) => Class::Arr,
            Kind::Ref(..) => Class::Ref,
            Kind::Cond => Class::Cond,
        }
    }

    /// Everit's `instanceof EmptySchema` (TrueSchema extends EmptySchema).
    fn is_empty_schema(&self) -> bool {
        matches!(self, Kind::Empty | Kind::True)
    }
}

#[derive(Debug, Default)]
struct StrS {
    min_length: Option<i64>,
    max_length: Option<i64>,
    pattern: Option<String>,
}

#[derive(Debug, Clone)]
struct Decimal {
    raw: String,
}

#[derive(Debug, Default)]
struct NumS {
    requires_integer: bool,
    minimum: Option<f64>,
    maximum: Option<f64>,
    exclusive_minimum: Option<f64>,
    exclusive_maximum: Option<f64>,
    multiple_of: Option<Decimal>,
}

#[derive(Debug)]
struct PatternProp {
    regex: Option<fancy_regex::Regex>,
    schema: NodeId,
}

#[derive(Debug)]
struct ObjS {
    properties: Vec<(String, NodeId)>,
    property_index: HashMap<String, NodeId>,
    required: HashSet<String>,
    min_properties: Option<i64>,
    max_properties: Option<i64>,
    permits_additional: bool,
    additional_schema: Option<NodeId>,
    pattern_properties: Vec<PatternProp>,
    property_dependencies: Vec<(String, Vec<String>)>,
    schema_dependencies: Vec<(String, NodeId)>,
    unevaluated: Option<NodeId>,
}

impl ObjS {
    fn new() -> ObjS {
        ObjS {
            properties: Vec::new(),
            property_index: HashMap::new(),
            required: HashSet::new(),
            min_properties: None,
            max_properties: None,
            permits_additional: true,
            additional_schema: None,
            pattern_properties: Vec::new(),
            property_dependencies: Vec::new(),
            schema_dependencies: Vec::new(),
            unevaluated: None,
        }
    }

    fn property(&self, key: &str) -> Option<NodeId> {
        self.property_index.get(key).copied()
    }
}

#[derive(Debug)]
struct ArrS {
    all_items: Option<NodeId>,
    item_schemas: Vec<NodeId>,
    permits_additional: bool,
    additional_schema: Option<NodeId>,
    min_items: Option<i64>,
    max_items: Option<i64>,
    unique_items: bool,
    min_contains: Option<f64>,
    max_contains: Option<f64>,
    unevaluated: Option<NodeId>,
}

impl ArrS {
    fn new() -> ArrS {
        ArrS {
            all_items: None,
            item_schemas: Vec::new(),
            permits_additional: true,
            additional_schema: None,
            min_items: None,
            max_items: None,
            unique_items: false,
            min_contains: None,
            max_contains: None,
            unevaluated: None,
        }
    }
}

// ------------------------------------------------------------------------------------------------
// Loader: JSON documents -> node arena, with `$ref` resolution
// ------------------------------------------------------------------------------------------------

struct Doc {
    value: JVal,
    base: String,
    draft: Draft,
    /// URIs (without fragment) under which this document can be referenced.
    names: Vec<String>,
}

const OBJECT_KEYWORDS_OLD: &[&str] = &[
    "properties",
    "required",
    "minProperties",
    "maxProperties",
    "dependencies",
    "patternProperties",
    "additionalProperties",
    "propertyNames",
];
const OBJECT_KEYWORDS_V4: &[&str] = &[
    "properties",
    "required",
    "minProperties",
    "maxProperties",
    "dependencies",
    "patternProperties",
    "additionalProperties",
];
const OBJECT_KEYWORDS_MODERN: &[&str] = &[
    "properties",
    "required",
    "minProperties",
    "maxProperties",
    "dependentRequired",
    "dependentSchemas",
    "patternProperties",
    "additionalProperties",
    "propertyNames",
    "unevaluatedProperties",
];
const ARRAY_KEYWORDS_V4: &[&str] = &["items", "additionalItems", "minItems", "maxItems", "uniqueItems"];
const ARRAY_KEYWORDS_OLD: &[&str] = &["items", "additionalItems", "minItems", "maxItems", "uniqueItems", "contains"];
const ARRAY_KEYWORDS_2019: &[&str] = &[
    "items",
    "additionalItems",
    "minItems",
    "maxItems",
    "uniqueItems",
    "contains",
    "minContains",
    "maxContains",
    "unevaluatedItems",
];
const ARRAY_KEYWORDS_2020: &[&str] = &[
    "prefixItems",
    "items",
    "minItems",
    "maxItems",
    "uniqueItems",
    "contains",
    "minContains",
    "maxContains",
    "unevaluatedItems",
];
const NUMBER_KEYWORDS: &[&str] = &["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"];
const STRING_KEYWORDS: &[&str] = &["minLength", "maxLength", "pattern", "format"];
const CONDITIONAL_KEYWORDS: &[&str] = &["if", "then", "else"];
/// Whether `key` makes the loader produce a schema part (so a sibling of `$ref` matters).
fn is_applicator_keyword(key: &str, draft: Draft) -> bool {
    matches!(key, "enum" | "allOf" | "anyOf" | "oneOf" | "not" | "type" | "const" | "if" | "then" | "else")
        || array_keywords(draft).contains(&key)
        || object_keywords(draft).contains(&key)
        || NUMBER_KEYWORDS.contains(&key)
        || (STRING_KEYWORDS.contains(&key) && key != "format")
}

fn object_keywords(d: Draft) -> &'static [&'static str] {
    match d {
        Draft::D4 => OBJECT_KEYWORDS_V4,
        Draft::D6 | Draft::D7 => OBJECT_KEYWORDS_OLD,
        _ => OBJECT_KEYWORDS_MODERN,
    }
}

fn array_keywords(d: Draft) -> &'static [&'static str] {
    match d {
        Draft::D4 => ARRAY_KEYWORDS_V4,
        Draft::D6 | Draft::D7 => ARRAY_KEYWORDS_OLD,
        Draft::D201909 => ARRAY_KEYWORDS_2019,
        Draft::D202012 => ARRAY_KEYWORDS_2020,
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum TypeName {
    String,
    Integer,
    Number,
    Boolean,
    Null,
    Array,
    Object,
}

fn type_name(s: &str) -> Option<TypeName> {
    Some(match s {
        "string" => TypeName::String,
        "integer" => TypeName::Integer,
        "number" => TypeName::Number,
        "boolean" => TypeName::Boolean,
        "null" => TypeName::Null,
        "array" => TypeName::Array,
        "object" => TypeName::Object,
        _ => return None,
    })
}

struct Location {
    doc: usize,
    ptr: String,
}

struct Loader<'d> {
    docs: &'d [Doc],
    nodes: Vec<Node>,
    memo: HashMap<(usize, String), NodeId>,
    pending: Vec<(NodeId, String, String)>,
    /// Absolute URI (with anchor fragment, if any) -> location of the subschema carrying it.
    ids: HashMap<String, (usize, String)>,
}

impl<'d> Loader<'d> {
    fn run(docs: &'d [Doc]) -> Result<(Vec<Node>, NodeId), JsonSchemaError> {
        let mut loader =
            Loader { docs, nodes: Vec::new(), memo: HashMap::new(), pending: Vec::new(), ids: HashMap::new() };
        for (i, doc) in docs.iter().enumerate() {
            loader.index_ids(i, &doc.value, &doc.base, String::new(), doc.draft, 0);
        }
        let root = loader.load(0, String::new(), &docs[0].value, &docs[0].base, 0)?;
        while let Some((ref_node, base, reference)) = loader.pending.pop() {
            let target = loader.resolve_ref(&base, &reference)?;
            let doc = &loader.docs[target.doc];
            let tokens: Vec<String> = split_pointer(&target.ptr);
            let value = pointer_get(&doc.value, &tokens)
                .ok_or_else(|| JsonSchemaError(format!("Invalid JSON schema: cannot resolve $ref '{reference}'")))?;
            let target_base = base_at(doc, &tokens);
            let id = loader.load(target.doc, target.ptr, value, &target_base, 0)?;
            if let Kind::Ref(t, _) = &mut loader.nodes[ref_node].kind {
                *t = Some(id);
            }
        }
        Ok((loader.nodes, root))
    }

    /// Records every `$id` / `$anchor` of a document (JSON-structural walk, skipping data).
    fn index_ids(&mut self, doc: usize, v: &JVal, base: &str, ptr: String, draft: Draft, depth: usize) {
        if depth > MAX_JSON_DEPTH {
            return;
        }
        match v {
            JVal::Obj(members) => {
                let mut base = base.to_string();
                if let Some(id) = v.get(draft.id_keyword()).and_then(JVal::as_str) {
                    let abs = resolve_uri(&base, id);
                    if id.starts_with('#') {
                        self.ids.entry(abs).or_insert((doc, ptr.clone()));
                    } else {
                        let without = strip_fragment(&abs).to_string();
                        self.ids.entry(without.clone()).or_insert((doc, ptr.clone()));
                        if abs.len() > without.len() + 1 {
                            self.ids.entry(abs.clone()).or_insert((doc, ptr.clone()));
                        }
                        base = without;
                    }
                }
                if draft.modern() {
                    for key in ["$anchor", "$dynamicAnchor"] {
                        if let Some(anchor) = v.get(key).and_then(JVal::as_str) {
                            self.ids.entry(format!("{base}#{anchor}")).or_insert((doc, ptr.clone()));
                        }
                    }
                }
                for (k, child) in members {
                    if matches!(k.as_str(), "enum" | "const" | "default" | "examples") {
                        continue;
                    }
                    self.index_ids(doc, child, &base, child_ptr(&ptr, k), draft, depth + 1);
                }
            }
            JVal::Arr(items) => {
                for (i, child) in items.iter().enumerate() {
                    self.index_ids(doc, child, base, format!("{ptr}/{i}"), draft, depth + 1);
                }
            }
            _ => {}
        }
    }

    fn resolve_ref(&self, base: &str, reference: &str) -> Result<Location, JsonSchemaError> {
        let abs = resolve_uri(base, reference);
        let doc_part = strip_fragment(&abs);
        let fragment = percent_decode(abs.get(doc_part.len() + 1..).unwrap_or(""));
        let unresolved = || JsonSchemaError(format!("Invalid JSON schema: cannot resolve $ref '{reference}'"));
        // The document (or subschema with `$id`) named by the URI without fragment.
        let mut location = None;
        for (i, doc) in self.docs.iter().enumerate() {
            if doc.names.iter().any(|n| n == doc_part) || doc.base == doc_part {
                location = Some(Location { doc: i, ptr: String::new() });
                break;
            }
        }
        if location.is_none() {
            if let Some((d, p)) = self.ids.get(doc_part) {
                location = Some(Location { doc: *d, ptr: p.clone() });
            }
        }
        if location.is_none() {
            // A reference registered under its bare name (no base resolution).
            let bare = strip_fragment(reference);
            for (i, doc) in self.docs.iter().enumerate().skip(1) {
                if doc.names.iter().any(|n| n == bare || n.trim_start_matches("./") == bare.trim_start_matches("./")) {
                    location = Some(Location { doc: i, ptr: String::new() });
                    break;
                }
            }
        }
        let location = location.ok_or_else(unresolved)?;
        if fragment.is_empty() {
            return Ok(location);
        }
        if let Some(pointer) = fragment.strip_prefix('/') {
            let mut tokens = split_pointer(&location.ptr);
            tokens.extend(pointer.split('/').map(unescape_token));
            let doc = &self.docs[location.doc];
            if pointer_get(&doc.value, &tokens).is_none() {
                // Confluent bridges top-level `definitions` into `$defs` (and back) for lookups.
                if location.ptr.is_empty() && tokens.len() >= 2 {
                    let alt = match tokens[0].as_str() {
                        "$defs" => Some("definitions"),
                        "definitions" => Some("$defs"),
                        _ => None,
                    };
                    if let Some(alt) = alt {
                        let mut alt_tokens = tokens.clone();
                        alt_tokens[0] = alt.to_string();
                        if pointer_get(&doc.value, &alt_tokens).is_some() {
                            return Ok(Location { doc: location.doc, ptr: join_pointer(&alt_tokens) });
                        }
                    }
                }
                return Err(unresolved());
            }
            return Ok(Location { doc: location.doc, ptr: join_pointer(&tokens) });
        }
        // Plain-name fragment: an anchor.
        match self.ids.get(&format!("{doc_part}#{fragment}")) {
            Some((d, p)) => Ok(Location { doc: *d, ptr: p.clone() }),
            None => Err(unresolved()),
        }
    }

    fn alloc(&mut self, node: Node) -> NodeId {
        self.nodes.push(node);
        self.nodes.len() - 1
    }

    /// Loads the schema at `ptr` of document `doc` (memoized per location).
    fn load(&mut self, doc: usize, ptr: String, v: &JVal, base: &str, depth: usize) -> Result<NodeId, JsonSchemaError> {
        if let Some(id) = self.memo.get(&(doc, ptr.clone())) {
            return Ok(*id);
        }
        if depth > MAX_JSON_DEPTH {
            return err("Invalid JSON schema: nesting too deep");
        }
        let id = self.alloc(Node::new(Kind::Empty));
        self.memo.insert((doc, ptr.clone()), id);
        let node = match v {
            JVal::Bool(true) => Node::new(Kind::True),
            JVal::Bool(false) => Node::new(Kind::False),
            JVal::Obj(_) => self.load_object(doc, &ptr, v, base, depth, id)?,
            other => {
                return err(format!(
                    "Invalid JSON schema: expected a schema (object or boolean) at '#{ptr}', found {}",
                    other.type_name()
                ))
            }
        };
        self.nodes[id] = node;
        Ok(id)
    }

    fn load_child(
        &mut self,
        doc: usize,
        ptr: &str,
        token: &str,
        v: &JVal,
        base: &str,
        depth: usize,
    ) -> Result<NodeId, JsonSchemaError> {
        self.load(doc, child_ptr(ptr, token), v, base, depth + 1)
    }

    fn load_object(
        &mut self,
        doc: usize,
        ptr: &str,
        v: &JVal,
        base: &str,
        depth: usize,
        self_id: NodeId,
    ) -> Result<Node, JsonSchemaError> {
        let draft = self.docs[doc].draft;
        let mut base = base.to_string();
        if let Some(id) = v.get(draft.id_keyword()).and_then(JVal::as_str) {
            if !id.starts_with('#') {
                base = strip_fragment(&resolve_uri(&base, id)).to_string();
            }
        }
        let base = base.as_str();
        let loc = |k: &str| format!("#{ptr}/{k}");
        let has = |k: &str| v.get(k).is_some();

        let mut parts: Vec<Kind> = Vec::new();
        let mut ref_part: Option<NodeId> = None;
        if let Some(r) = v.get("$ref") {
            let Some(reference) = r.as_str() else {
                return err(format!("Invalid JSON schema: {} must be a string", loc("$ref")));
            };
            // Draft <= 7 ignores `$ref` siblings (Everit); 2019-09+ applies them too (json-sKema),
            // which Confluent's translator turns into an `allOf` of the reference and the rest.
            let has_siblings = draft.modern()
                && match v {
                    JVal::Obj(m) => m.iter().any(|(k, _)| is_applicator_keyword(k, draft)),
                    _ => false,
                };
            if !has_siblings {
                self.pending.push((self_id, base.to_string(), reference.to_string()));
                return self.common(v, draft, Kind::Ref(None, reference.to_string()));
            }
            let node_id = self.alloc(Node::new(Kind::Ref(None, reference.to_string())));
            self.pending.push((node_id, base.to_string(), reference.to_string()));
            ref_part = Some(node_id);
        }

        if let Some(e) = v.get("enum") {
            let JVal::Arr(items) = e else {
                return err(format!("Invalid JSON schema: {} must be an array", loc("enum")));
            };
            let mut seen = HashSet::new();
            let mut values: Vec<String> = Vec::new();
            for item in items {
                let key = value_key(item);
                if seen.insert(key.clone()) {
                    values.push(key);
                }
            }
            parts.push(Kind::Enum(values));
        }
        // Java HashSet iteration order of {"allOf", "anyOf", "oneOf"}.
        for crit in [Crit::All, Crit::One, Crit::Any] {
            if let Some(list) = v.get(crit.name()) {
                let JVal::Arr(items) = list else {
                    return err(format!("Invalid JSON schema: {} must be an array", loc(crit.name())));
                };
                let list_ptr = child_ptr(ptr, crit.name());
                let mut subs = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    subs.push(self.load_child(doc, &list_ptr, &i.to_string(), item, base, depth + 1)?);
                }
                parts.push(Kind::Combined(crit, subs));
            }
        }
        if let Some(n) = v.get("not") {
            parts.push(Kind::Not(self.load_child(doc, ptr, "not", n, base, depth)?));
        }
        if draft != Draft::D4 {
            if let Some(c) = v.get("const") {
                parts.push(Kind::Const(value_key(c)));
            }
        }
        let mut consumed_object = false;
        let mut consumed_array = false;
        let mut consumed_number = false;
        let mut consumed_string = false;
        if let Some(t) = v.get("type") {
            let mut typed = |this: &mut Self, name: &str| -> Result<Kind, JsonSchemaError> {
                let Some(tn) = type_name(name) else {
                    return err(format!("Invalid JSON schema: unknown type: [{name}]"));
                };
                Ok(match tn {
                    TypeName::String => {
                        consumed_string = true;
                        Kind::Str(this.string_part(v, ptr)?)
                    }
                    TypeName::Integer | TypeName::Number => {
                        consumed_number = true;
                        let mut n = this.number_part(v, draft, ptr)?;
                        n.requires_integer = tn == TypeName::Integer;
                        Kind::Num(n)
                    }
                    TypeName::Boolean => Kind::Boolean,
                    TypeName::Null => Kind::Null,
                    TypeName::Array => {
                        consumed_array = true;
                        Kind::Arr(Box::new(this.array_part(doc, ptr, v, base, draft, depth)?))
                    }
                    TypeName::Object => {
                        consumed_object = true;
                        Kind::Obj(Box::new(this.object_part(doc, ptr, v, base, draft, depth)?))
                    }
                })
            };
            match t {
                JVal::Str(name) => parts.push(typed(self, name)?),
                JVal::Arr(names) => {
                    let mut subs = Vec::with_capacity(names.len());
                    for name in names {
                        let Some(name) = name.as_str() else {
                            return err(format!("Invalid JSON schema: {} must contain strings", loc("type")));
                        };
                        let kind = typed(self, name)?;
                        subs.push(self.alloc(Node::new(kind)));
                    }
                    parts.push(Kind::Combined(Crit::Any, subs));
                }
                _ => return err(format!("Invalid JSON schema: {} must be a string or an array", loc("type"))),
            }
        }
        if !consumed_array && array_keywords(draft).iter().any(|k| has(k)) {
            parts.push(Kind::Arr(Box::new(self.array_part(doc, ptr, v, base, draft, depth)?)));
        }
        if !consumed_object && object_keywords(draft).iter().any(|k| has(k)) {
            parts.push(Kind::Obj(Box::new(self.object_part(doc, ptr, v, base, draft, depth)?)));
        }
        if !consumed_number && NUMBER_KEYWORDS.iter().any(|k| has(k)) {
            parts.push(Kind::Num(self.number_part(v, draft, ptr)?));
        }
        if !consumed_string && STRING_KEYWORDS.iter().any(|k| has(k)) {
            parts.push(Kind::Str(self.string_part(v, ptr)?));
        }
        if draft >= Draft::D7 && CONDITIONAL_KEYWORDS.iter().any(|k| has(k)) {
            for k in CONDITIONAL_KEYWORDS {
                if let Some(s) = v.get(k) {
                    self.load_child(doc, ptr, k, s, base, depth)?;
                }
            }
            parts.push(Kind::Cond);
        }
        // Draft <= 7: minContains/maxContains are unprocessed properties that SchemaDiff reads on
        // an array schema when it is the node's only schema.
        if !draft.modern() && parts.len() == 1 {
            if let Some(Kind::Arr(a)) = parts.first_mut() {
                a.min_contains = v.get("minContains").and_then(num_f64);
                a.max_contains = v.get("maxContains").and_then(num_f64);
            }
        }
        let kind = if let Some(r) = ref_part {
            let mut subs = vec![r];
            for p in parts {
                subs.push(self.alloc(Node::new(p)));
            }
            Kind::Combined(Crit::All, subs)
        } else if parts.len() > 1 {
            let subs = parts.into_iter().map(|p| self.alloc(Node::new(p))).collect();
            Kind::Combined(Crit::All, subs)
        } else {
            parts.pop().unwrap_or(Kind::Empty)
        };
        self.common(v, draft, kind)
    }

    fn common(&self, v: &JVal, draft: Draft, kind: Kind) -> Result<Node, JsonSchemaError> {
        let mut node = Node::new(kind);
        let text = |k: &str| -> Result<Option<String>, JsonSchemaError> {
            match v.get(k) {
                None => Ok(None),
                Some(JVal::Str(s)) => Ok(Some(s.clone())),
                Some(_) => err(format!("Invalid JSON schema: '{k}' must be a string")),
            }
        };
        node.id = text(draft.id_keyword())?;
        node.title = text("title")?;
        node.description = text("description")?;
        node.default = v.get("default").map(value_key);
        node.connect_type = v.get("connect.type").and_then(JVal::as_str).map(str::to_string);
        Ok(node)
    }

    fn string_part(&self, v: &JVal, ptr: &str) -> Result<StrS, JsonSchemaError> {
        Ok(StrS {
            min_length: int_keyword(v, "minLength", ptr)?,
            max_length: int_keyword(v, "maxLength", ptr)?,
            pattern: match v.get("pattern") {
                None => None,
                Some(JVal::Str(p)) => Some(p.clone()),
                Some(_) => return err(format!("Invalid JSON schema: #{ptr}/pattern must be a string")),
            },
        })
    }

    fn number_part(&self, v: &JVal, draft: Draft, ptr: &str) -> Result<NumS, JsonSchemaError> {
        let number = |k: &str| -> Result<Option<f64>, JsonSchemaError> {
            match v.get(k) {
                None => Ok(None),
                Some(JVal::Num(n)) => Ok(Some(n.f64())),
                Some(_) => err(format!("Invalid JSON schema: #{ptr}/{k} must be a number")),
            }
        };
        let mut n = NumS { minimum: number("minimum")?, maximum: number("maximum")?, ..NumS::default() };
        if draft != Draft::D4 {
            n.exclusive_minimum = number("exclusiveMinimum")?;
            n.exclusive_maximum = number("exclusiveMaximum")?;
        }
        if let Some(m) = v.get("multipleOf") {
            let JVal::Num(m) = m else {
                return err(format!("Invalid JSON schema: #{ptr}/multipleOf must be a number"));
            };
            if m.f64() == 0.0 {
                return err(format!("Invalid JSON schema: #{ptr}: multipleOf should not be 0"));
            }
            n.multiple_of = Some(Decimal { raw: m.raw.clone() });
        }
        Ok(n)
    }

    fn object_part(
        &mut self,
        doc: usize,
        ptr: &str,
        v: &JVal,
        base: &str,
        draft: Draft,
        depth: usize,
    ) -> Result<ObjS, JsonSchemaError> {
        let mut o = ObjS::new();
        o.min_properties = int_keyword(v, "minProperties", ptr)?;
        o.max_properties = int_keyword(v, "maxProperties", ptr)?;
        if let Some(props) = v.get("properties") {
            let JVal::Obj(members) = props else {
                return err(format!("Invalid JSON schema: #{ptr}/properties must be an object"));
            };
            let props_ptr = child_ptr(ptr, "properties");
            for (key, schema) in members {
                if key == draft.id_keyword() && !matches!(schema, JVal::Obj(_)) {
                    continue;
                }
                let id = self.load_child(doc, &props_ptr, key, schema, base, depth + 1)?;
                o.property_index.insert(key.clone(), id);
                o.properties.push((key.clone(), id));
            }
        }
        match v.get("additionalProperties") {
            None => {}
            Some(JVal::Bool(b)) => o.permits_additional = *b,
            Some(s @ JVal::Obj(_)) => {
                o.additional_schema = Some(self.load_child(doc, ptr, "additionalProperties", s, base, depth)?)
            }
            Some(_) => return err(format!("Invalid JSON schema: #{ptr}/additionalProperties must be a schema")),
        }
        if let Some(req) = v.get("required") {
            let JVal::Arr(items) = req else {
                return err(format!("Invalid JSON schema: #{ptr}/required must be an array"));
            };
            for item in items {
                let Some(s) = item.as_str() else {
                    return err(format!("Invalid JSON schema: #{ptr}/required must contain strings"));
                };
                o.required.insert(s.to_string());
            }
        }
        if let Some(pp) = v.get("patternProperties") {
            let JVal::Obj(members) = pp else {
                return err(format!("Invalid JSON schema: #{ptr}/patternProperties must be an object"));
            };
            let pp_ptr = child_ptr(ptr, "patternProperties");
            for (pattern, schema) in members {
                let id = self.load_child(doc, &pp_ptr, pattern, schema, base, depth + 1)?;
                let regex = fancy_regex::RegexBuilder::new(pattern).backtrack_limit(100_000).build().ok();
                o.pattern_properties.push(PatternProp { regex, schema: id });
            }
        }
        let deps: Vec<(&String, &JVal, &str)> = if draft.modern() {
            let mut out = Vec::new();
            if let Some(JVal::Obj(m)) = v.get("dependentRequired") {
                out.extend(m.iter().map(|(k, d)| (k, d, "dependentRequired")));
            }
            if let Some(JVal::Obj(m)) = v.get("dependentSchemas") {
                out.extend(m.iter().map(|(k, d)| (k, d, "dependentSchemas")));
            }
            out
        } else {
            match v.get("dependencies") {
                None => Vec::new(),
                Some(JVal::Obj(m)) => m.iter().map(|(k, d)| (k, d, "dependencies")).collect(),
                Some(_) => return err(format!("Invalid JSON schema: #{ptr}/dependencies must be an object")),
            }
        };
        for (key, dep, keyword) in deps {
            match dep {
                JVal::Arr(items) => {
                    let mut names = Vec::new();
                    for item in items {
                        let Some(s) = item.as_str() else {
                            return err(format!("Invalid JSON schema: #{ptr}/{keyword}/{key} must contain strings"));
                        };
                        names.push(s.to_string());
                    }
                    o.property_dependencies.push((key.clone(), names));
                }
                JVal::Obj(_) | JVal::Bool(_) => {
                    let dep_ptr = child_ptr(ptr, keyword);
                    let id = self.load_child(doc, &dep_ptr, key, dep, base, depth + 1)?;
                    o.schema_dependencies.push((key.clone(), id));
                }
                _ => return err(format!("Invalid JSON schema: #{ptr}/{keyword}/{key} is invalid")),
            }
        }
        if draft >= Draft::D6 {
            if let Some(pn) = v.get("propertyNames") {
                self.load_child(doc, ptr, "propertyNames", pn, base, depth)?;
            }
        }
        if draft.modern() {
            if let Some(u) = v.get("unevaluatedProperties") {
                o.unevaluated = Some(self.load_child(doc, ptr, "unevaluatedProperties", u, base, depth)?);
            }
        }
        Ok(o)
    }

    fn array_part(
        &mut self,
        doc: usize,
        ptr: &str,
        v: &JVal,
        base: &str,
        draft: Draft,
        depth: usize,
    ) -> Result<ArrS, JsonSchemaError> {
        let mut a = ArrS::new();
        a.min_items = int_keyword(v, "minItems", ptr)?;
        a.max_items = int_keyword(v, "maxItems", ptr)?;
        match v.get("uniqueItems") {
            None => {}
            Some(JVal::Bool(b)) => a.unique_items = *b,
            Some(_) => return err(format!("Invalid JSON schema: #{ptr}/uniqueItems must be a boolean")),
        }
        if draft == Draft::D202012 {
            let mut prefix = 0;
            if let Some(JVal::Arr(items)) = v.get("prefixItems") {
                let list_ptr = child_ptr(ptr, "prefixItems");
                for (i, item) in items.iter().enumerate() {
                    a.item_schemas.push(self.load_child(doc, &list_ptr, &i.to_string(), item, base, depth + 1)?);
                }
                prefix = items.len();
            }
            match v.get("items") {
                None | Some(JVal::Bool(true)) => {}
                Some(JVal::Bool(false)) => a.permits_additional = false,
                Some(s) => {
                    let id = self.load_child(doc, ptr, "items", s, base, depth)?;
                    if prefix == 0 {
                        a.all_items = Some(id);
                    } else {
                        a.additional_schema = Some(id);
                    }
                }
            }
        } else {
            match v.get("additionalItems") {
                None => {}
                Some(JVal::Bool(b)) => a.permits_additional = *b,
                Some(s @ JVal::Obj(_)) => {
                    a.additional_schema = Some(self.load_child(doc, ptr, "additionalItems", s, base, depth)?)
                }
                Some(_) => return err(format!("Invalid JSON schema: #{ptr}/additionalItems must be a schema")),
            }
            match v.get("items") {
                None => {}
                Some(JVal::Arr(items)) => {
                    let list_ptr = child_ptr(ptr, "items");
                    for (i, item) in items.iter().enumerate() {
                        a.item_schemas.push(self.load_child(doc, &list_ptr, &i.to_string(), item, base, depth + 1)?);
                    }
                }
                Some(s) => a.all_items = Some(self.load_child(doc, ptr, "items", s, base, depth)?),
            }
        }
        if draft != Draft::D4 {
            if let Some(c) = v.get("contains") {
                self.load_child(doc, ptr, "contains", c, base, depth)?;
                if draft.modern() {
                    a.min_contains = Some(v.get("minContains").and_then(num_f64).unwrap_or(1.0));
                    a.max_contains = v.get("maxContains").and_then(num_f64);
                }
            }
        }
        if draft.modern() {
            if let Some(u) = v.get("unevaluatedItems") {
                a.unevaluated = Some(self.load_child(doc, ptr, "unevaluatedItems", u, base, depth)?);
            }
        }
        Ok(a)
    }
}

fn num_f64(v: &JVal) -> Option<f64> {
    match v {
        JVal::Num(n) => Some(n.f64()),
        _ => None,
    }
}

fn int_keyword(v: &JVal, key: &str, ptr: &str) -> Result<Option<i64>, JsonSchemaError> {
    match v.get(key) {
        None => Ok(None),
        Some(JVal::Num(n)) => {
            let f = n.f64();
            if f.fract() != 0.0 || !f.is_finite() {
                return err(format!("Invalid JSON schema: #{ptr}/{key} must be an integer"));
            }
            Ok(Some(f.clamp(i64::MIN as f64, i64::MAX as f64) as i64))
        }
        Some(_) => err(format!("Invalid JSON schema: #{ptr}/{key} must be an integer")),
    }
}

fn split_pointer(ptr: &str) -> Vec<String> {
    if ptr.is_empty() {
        return Vec::new();
    }
    ptr[1..].split('/').map(unescape_token).collect()
}

fn join_pointer(tokens: &[String]) -> String {
    let mut s = String::new();
    for t in tokens {
        s.push('/');
        s.push_str(&escape_token(t));
    }
    s
}

/// The base URI in effect at a location: the document base, changed by each enclosing `$id`.
fn base_at(doc: &Doc, tokens: &[String]) -> String {
    let id_key = doc.draft.id_keyword();
    let mut base = doc.base.clone();
    let mut cur = &doc.value;
    for t in tokens {
        let next = match cur {
            JVal::Obj(_) => cur.get(t),
            JVal::Arr(items) => t.parse::<usize>().ok().and_then(|i| items.get(i)),
            _ => None,
        };
        let Some(next) = next else { break };
        cur = next;
        if let Some(id) = cur.get(id_key).and_then(JVal::as_str) {
            if !id.starts_with('#') {
                base = strip_fragment(&resolve_uri(&base, id)).to_string();
            }
        }
    }
    base
}

// ------------------------------------------------------------------------------------------------
// Differences (Confluent's `Difference.Type`) and the compatible-change lists
// ------------------------------------------------------------------------------------------------

macro_rules! diff_types {
    ($($name:ident),* $(,)?) => {
        #[allow(non_camel_case_types, clippy::upper_case_acronyms)]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        enum DT {
            $($name),*
        }

        impl DT {
            fn name(self) -> &'static str {
                match self {
                    $(DT::$name => stringify!($name)),*
                }
            }
        }
    };
}

diff_types!(
    ID_CHANGED,
    DESCRIPTION_CHANGED,
    TITLE_CHANGED,
    DEFAULT_CHANGED,
    SCHEMA_ADDED,
    SCHEMA_REMOVED,
    TYPE_EXTENDED,
    TYPE_NARROWED,
    TYPE_CHANGED,
    MAX_LENGTH_ADDED,
    MAX_LENGTH_REMOVED,
    MAX_LENGTH_INCREASED,
    MAX_LENGTH_DECREASED,
    MIN_LENGTH_ADDED,
    MIN_LENGTH_REMOVED,
    MIN_LENGTH_INCREASED,
    MIN_LENGTH_DECREASED,
    PATTERN_ADDED,
    PATTERN_REMOVED,
    PATTERN_CHANGED,
    MAXIMUM_ADDED,
    MAXIMUM_REMOVED,
    MAXIMUM_INCREASED,
    MAXIMUM_DECREASED,
    MINIMUM_ADDED,
    MINIMUM_REMOVED,
    MINIMUM_INCREASED,
    MINIMUM_DECREASED,
    EXCLUSIVE_MAXIMUM_ADDED,
    EXCLUSIVE_MAXIMUM_REMOVED,
    EXCLUSIVE_MAXIMUM_INCREASED,
    EXCLUSIVE_MAXIMUM_DECREASED,
    EXCLUSIVE_MINIMUM_ADDED,
    EXCLUSIVE_MINIMUM_REMOVED,
    EXCLUSIVE_MINIMUM_INCREASED,
    EXCLUSIVE_MINIMUM_DECREASED,
    MULTIPLE_OF_ADDED,
    MULTIPLE_OF_REMOVED,
    MULTIPLE_OF_EXPANDED,
    MULTIPLE_OF_REDUCED,
    MULTIPLE_OF_CHANGED,
    REQUIRED_ATTRIBUTE_ADDED,
    REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED,
    REQUIRED_ATTRIBUTE_REMOVED,
    MAX_PROPERTIES_ADDED,
    MAX_PROPERTIES_REMOVED,
    MAX_PROPERTIES_INCREASED,
    MAX_PROPERTIES_DECREASED,
    MIN_PROPERTIES_ADDED,
    MIN_PROPERTIES_REMOVED,
    MIN_PROPERTIES_INCREASED,
    MIN_PROPERTIES_DECREASED,
    ADDITIONAL_PROPERTIES_ADDED,
    ADDITIONAL_PROPERTIES_REMOVED,
    ADDITIONAL_PROPERTIES_EXTENDED,
    ADDITIONAL_PROPERTIES_NARROWED,
    DEPENDENCY_ARRAY_ADDED,
    DEPENDENCY_ARRAY_REMOVED,
    DEPENDENCY_ARRAY_EXTENDED,
    DEPENDENCY_ARRAY_NARROWED,
    DEPENDENCY_ARRAY_CHANGED,
    DEPENDENCY_SCHEMA_ADDED,
    DEPENDENCY_SCHEMA_REMOVED,
    REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL,
    REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_OPEN_CONTENT_MODEL,
    OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL,
    PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL,
    REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL,
    REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL,
    OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL,
    PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL,
    PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL,
    PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL,
    PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL,
    PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL,
    PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL,
    PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL,
    UNEVALUATED_PROPERTIES_ADDED,
    UNEVALUATED_PROPERTIES_REMOVED,
    UNEVALUATED_PROPERTIES_EXTENDED,
    UNEVALUATED_PROPERTIES_NARROWED,
    MAX_ITEMS_ADDED,
    MAX_ITEMS_REMOVED,
    MAX_ITEMS_INCREASED,
    MAX_ITEMS_DECREASED,
    MIN_ITEMS_ADDED,
    MIN_ITEMS_REMOVED,
    MIN_ITEMS_INCREASED,
    MIN_ITEMS_DECREASED,
    MAX_CONTAINS_ADDED,
    MAX_CONTAINS_REMOVED,
    MAX_CONTAINS_INCREASED,
    MAX_CONTAINS_DECREASED,
    MIN_CONTAINS_ADDED,
    MIN_CONTAINS_REMOVED,
    MIN_CONTAINS_INCREASED,
    MIN_CONTAINS_DECREASED,
    UNIQUE_ITEMS_ADDED,
    UNIQUE_ITEMS_REMOVED,
    ADDITIONAL_ITEMS_ADDED,
    ADDITIONAL_ITEMS_REMOVED,
    ADDITIONAL_ITEMS_EXTENDED,
    ADDITIONAL_ITEMS_NARROWED,
    UNEVALUATED_ITEMS_ADDED,
    UNEVALUATED_ITEMS_REMOVED,
    UNEVALUATED_ITEMS_EXTENDED,
    UNEVALUATED_ITEMS_NARROWED,
    ITEM_ADDED_TO_OPEN_CONTENT_MODEL,
    ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL,
    ITEM_ADDED_TO_CLOSED_CONTENT_MODEL,
    ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL,
    ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL,
    ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL,
    ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL,
    ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL,
    ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL,
    ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL,
    ENUM_ARRAY_EXTENDED,
    ENUM_ARRAY_NARROWED,
    ENUM_ARRAY_CHANGED,
    COMBINED_TYPE_EXTENDED,
    COMBINED_TYPE_CHANGED,
    PRODUCT_TYPE_EXTENDED,
    PRODUCT_TYPE_NARROWED,
    SUM_TYPE_EXTENDED,
    SUM_TYPE_NARROWED,
    COMBINED_TYPE_SUBSCHEMAS_CHANGED,
    NOT_TYPE_EXTENDED,
    NOT_TYPE_NARROWED,
);

/// Confluent's `SchemaDiff.COMPATIBLE_CHANGES_STRICT` (and, with `lenient`, `_LENIENT`).
fn is_compatible(ty: DT, lenient: bool) -> bool {
    use DT::*;
    let strict = matches!(
        ty,
        ID_CHANGED
            | DESCRIPTION_CHANGED
            | TITLE_CHANGED
            | DEFAULT_CHANGED
            | SCHEMA_REMOVED
            | TYPE_EXTENDED
            | MAX_LENGTH_INCREASED
            | MAX_LENGTH_REMOVED
            | MIN_LENGTH_DECREASED
            | MIN_LENGTH_REMOVED
            | PATTERN_REMOVED
            | MAXIMUM_INCREASED
            | MAXIMUM_REMOVED
            | MINIMUM_DECREASED
            | MINIMUM_REMOVED
            | EXCLUSIVE_MAXIMUM_INCREASED
            | EXCLUSIVE_MAXIMUM_REMOVED
            | EXCLUSIVE_MINIMUM_DECREASED
            | EXCLUSIVE_MINIMUM_REMOVED
            | MULTIPLE_OF_REDUCED
            | MULTIPLE_OF_REMOVED
            | REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED
            | REQUIRED_ATTRIBUTE_REMOVED
            | DEPENDENCY_ARRAY_NARROWED
            | DEPENDENCY_ARRAY_REMOVED
            | DEPENDENCY_SCHEMA_REMOVED
            | MAX_PROPERTIES_INCREASED
            | MAX_PROPERTIES_REMOVED
            | MIN_PROPERTIES_DECREASED
            | MIN_PROPERTIES_REMOVED
            | ADDITIONAL_PROPERTIES_ADDED
            | ADDITIONAL_PROPERTIES_EXTENDED
            | UNEVALUATED_PROPERTIES_ADDED
            | UNEVALUATED_PROPERTIES_EXTENDED
            | PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL
            | REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL
            | OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL
            | PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL
            | PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL
            | PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL
            | PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL
            | MAX_ITEMS_INCREASED
            | MAX_ITEMS_REMOVED
            | MIN_ITEMS_DECREASED
            | MIN_ITEMS_REMOVED
            | MAX_CONTAINS_INCREASED
            | MAX_CONTAINS_REMOVED
            | MIN_CONTAINS_DECREASED
            | MIN_CONTAINS_REMOVED
            | UNIQUE_ITEMS_REMOVED
            | ADDITIONAL_ITEMS_ADDED
            | ADDITIONAL_ITEMS_EXTENDED
            | UNEVALUATED_ITEMS_ADDED
            | UNEVALUATED_ITEMS_EXTENDED
            | ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL
            | ITEM_ADDED_TO_CLOSED_CONTENT_MODEL
            | ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL
            | ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL
            | ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL
            | ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL
            | ENUM_ARRAY_EXTENDED
            | COMBINED_TYPE_EXTENDED
            | PRODUCT_TYPE_NARROWED
            | SUM_TYPE_EXTENDED
            | NOT_TYPE_NARROWED
    );
    strict
        || (lenient
            && matches!(
                ty,
                ADDITIONAL_PROPERTIES_NARROWED
                    | ADDITIONAL_PROPERTIES_REMOVED
                    | UNEVALUATED_PROPERTIES_NARROWED
                    | UNEVALUATED_PROPERTIES_REMOVED
                    | REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_OPEN_CONTENT_MODEL
                    | OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL
                    | PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL
                    | PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL
                    | PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL
                    | PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL
            ))
}

/// Confluent's description text for a difference; `first` names the update (reader) schema and
/// `second` the original (writer), as `String.format(message, reader, writer)` does.
fn describe(ty: DT, path: &str, first: &str, second: &str) -> String {
    use DT::*;
    match ty {
        MAXIMUM_ADDED | MINIMUM_ADDED | EXCLUSIVE_MAXIMUM_ADDED | EXCLUSIVE_MINIMUM_ADDED | MULTIPLE_OF_ADDED
        | MAX_LENGTH_ADDED | MIN_LENGTH_ADDED | PATTERN_ADDED | REQUIRED_ATTRIBUTE_ADDED | MAX_PROPERTIES_ADDED
        | MIN_PROPERTIES_ADDED | DEPENDENCY_ARRAY_ADDED | DEPENDENCY_SCHEMA_ADDED | MAX_ITEMS_ADDED
        | MIN_ITEMS_ADDED | MAX_CONTAINS_ADDED | MIN_CONTAINS_ADDED | UNIQUE_ITEMS_ADDED | ADDITIONAL_ITEMS_REMOVED
        | ADDITIONAL_PROPERTIES_REMOVED | UNEVALUATED_PROPERTIES_REMOVED | UNEVALUATED_ITEMS_REMOVED => {
            format!("The keyword at path '{path}' in the {first} schema is not present in the {second} schema")
        }
        MIN_LENGTH_INCREASED | MINIMUM_INCREASED | EXCLUSIVE_MINIMUM_INCREASED | MIN_PROPERTIES_INCREASED
        | MULTIPLE_OF_EXPANDED | MIN_ITEMS_INCREASED | MIN_CONTAINS_INCREASED => {
            format!("The value at path '{path}' in the {first} schema is more than its value in the {second} schema")
        }
        MAX_LENGTH_DECREASED | MAXIMUM_DECREASED | MAX_ITEMS_DECREASED | MAX_CONTAINS_DECREASED
        | EXCLUSIVE_MAXIMUM_DECREASED | MAX_PROPERTIES_DECREASED => {
            format!("The value at path '{path}' in the {first} schema is less than its value in the {second} schema")
        }
        PATTERN_CHANGED | MULTIPLE_OF_CHANGED | DEPENDENCY_ARRAY_CHANGED => {
            format!("The value at path '{path}' is different between the {first} and {second} schema")
        }
        ADDITIONAL_ITEMS_NARROWED | ENUM_ARRAY_NARROWED | SUM_TYPE_NARROWED | ADDITIONAL_PROPERTIES_NARROWED
        | UNEVALUATED_PROPERTIES_NARROWED | UNEVALUATED_ITEMS_NARROWED => format!(
            "An array or combined type at path '{path}' has fewer elements in the {first} schema than the {second} schema"
        ),
        DEPENDENCY_ARRAY_EXTENDED | PRODUCT_TYPE_EXTENDED | SUM_TYPE_EXTENDED | NOT_TYPE_EXTENDED => format!(
            "An array or combined type at path '{path}' has more elements in the {first} schema than the {second} schema"
        ),
        TYPE_CHANGED | TYPE_NARROWED | COMBINED_TYPE_CHANGED | COMBINED_TYPE_SUBSCHEMAS_CHANGED | ENUM_ARRAY_CHANGED => {
            format!("A type at path '{path}' is different between the {first} schema and the {second} schema")
        }
        REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL
        | REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_OPEN_CONTENT_MODEL
        | OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL
        | ITEM_ADDED_TO_OPEN_CONTENT_MODEL => format!(
            "The {first} schema has an open content model and has a property or item at path '{path}' which is missing in the {second} schema"
        ),
        REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL => format!(
            "The {first} schema has an unopen content model and has a required property at path '{path}' which is missing in the {second} schema"
        ),
        PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL | ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL => format!(
            "The {first} has a closed content model and is missing a property or item present at path '{path}' in the {second} schema"
        ),
        PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL
        | ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL => format!(
            "A property or item is missing in the {first} schema but present at path '{path}' in the {second} schema and is not covered by its partially open content model"
        ),
        PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL
        | ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL => format!(
            "The {first} schema has a property or item at path '{path}' which is missing in the {second} schema and is not covered by its partially open content model"
        ),
        _ => String::new(),
    }
}

// ------------------------------------------------------------------------------------------------
// The diff engine (Confluent's SchemaDiff and the per-type *SchemaDiff classes)
// ------------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct Diff {
    ty: DT,
    path: String,
}

/// A node of one of the two schemas being compared (side 0 = original, 1 = update).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct SRef {
    side: u8,
    id: NodeId,
}

type Pair = (SRef, SRef);

struct DiffCtx {
    path: Vec<String>,
    diffs: Vec<Diff>,
}

impl DiffCtx {
    fn new() -> DiffCtx {
        DiffCtx { path: Vec::new(), diffs: Vec::new() }
    }

    fn sub(&self) -> DiffCtx {
        DiffCtx { path: self.path.clone(), diffs: Vec::new() }
    }

    fn path_string(&self) -> String {
        format!("#/{}", self.path.join("/"))
    }

    fn add(&mut self, ty: DT) {
        let path = self.path_string();
        self.diffs.push(Diff { ty, path });
    }

    fn add_at(&mut self, attr: &str, ty: DT) {
        self.path.push(attr.to_string());
        self.add(ty);
        self.path.pop();
    }

    fn enter(&mut self, segment: impl Into<String>) {
        self.path.push(segment.into());
    }

    fn leave(&mut self) {
        self.path.pop();
    }

    fn add_rebased(&mut self, relative: &[Diff]) {
        if self.path.is_empty() {
            self.diffs.extend(relative.iter().cloned());
            return;
        }
        let prefix = self.path_string();
        for d in relative {
            let path = if d.path.len() <= 2 { prefix.clone() } else { format!("{prefix}/{}", &d.path[2..]) };
            self.diffs.push(Diff { ty: d.ty, path });
        }
    }
}

fn run_diff(original: &JsonSchema, update: &JsonSchema, lenient: bool) -> Result<Vec<Diff>, String> {
    let sides = [&original.inner.nodes[..], &update.inner.nodes[..]];
    let o = SRef { side: 0, id: original.inner.root };
    let u = SRef { side: 1, id: update.inner.root };
    let mut seed: HashMap<Pair, Rc<Vec<Diff>>> = HashMap::new();
    let mut steps = 0;
    for _ in 0..MAX_FIXPOINT_PASSES {
        let mut engine = Engine {
            sides,
            lenient,
            memo: HashMap::new(),
            in_progress: HashSet::new(),
            seed,
            optimism: false,
            steps,
            depth: 0,
            abort: None,
        };
        let mut ctx = DiffCtx::new();
        engine.compare(&mut ctx, Some(o), Some(u));
        if let Some(reason) = engine.abort {
            return Err(reason);
        }
        let incompatible: HashMap<Pair, Rc<Vec<Diff>>> = engine
            .memo
            .iter()
            .filter(|(_, diffs)| diffs.iter().any(|d| !is_compatible(d.ty, lenient)))
            .map(|(k, v)| (*k, v.clone()))
            .collect();
        let converged =
            incompatible.len() == engine.seed.len() && incompatible.keys().all(|k| engine.seed.contains_key(k));
        if !engine.optimism || converged {
            return Ok(ctx.diffs);
        }
        seed = incompatible;
        steps = engine.steps;
    }
    Err("recursive schemas did not converge".to_string())
}

struct Engine<'a> {
    sides: [&'a [Node]; 2],
    lenient: bool,
    memo: HashMap<Pair, Rc<Vec<Diff>>>,
    in_progress: HashSet<Pair>,
    seed: HashMap<Pair, Rc<Vec<Diff>>>,
    optimism: bool,
    steps: usize,
    depth: usize,
    abort: Option<String>,
}

impl<'a> Engine<'a> {
    fn node(&self, s: SRef) -> &'a Node {
        &self.sides[usize::from(s.side)][s.id]
    }

    fn at(s: SRef, id: NodeId) -> SRef {
        SRef { side: s.side, id }
    }

    fn compatible(&self, ctx: &DiffCtx) -> bool {
        ctx.diffs.iter().all(|d| is_compatible(d.ty, self.lenient))
    }

    fn deref(&self, mut s: SRef) -> SRef {
        for _ in 0..MAX_REF_CHAIN {
            match &self.node(s).kind {
                Kind::Ref(Some(t), _) => s = Engine::at(s, *t),
                _ => return s,
            }
        }
        s
    }

    fn compare(&mut self, ctx: &mut DiffCtx, o: Option<SRef>, u: Option<SRef>) {
        let (o, u) = match (o, u) {
            (None, None) => return,
            (None, Some(_)) => {
                ctx.add(DT::SCHEMA_ADDED);
                return;
            }
            (Some(_), None) => {
                ctx.add(DT::SCHEMA_REMOVED);
                return;
            }
            (Some(o), Some(u)) => (o, u),
        };
        let o = self.deref(o);
        let u = self.deref(u);
        let diffs = self.compare_memoized(o, u);
        ctx.add_rebased(&diffs);
    }

    fn compare_memoized(&mut self, o: SRef, u: SRef) -> Rc<Vec<Diff>> {
        if self.abort.is_some() {
            return Rc::new(Vec::new());
        }
        let key = (o, u);
        if let Some(cached) = self.memo.get(&key) {
            return cached.clone();
        }
        if self.in_progress.contains(&key) {
            if let Some(seeded) = self.seed.get(&key) {
                return seeded.clone();
            }
            self.optimism = true;
            return Rc::new(Vec::new());
        }
        self.steps += 1;
        if self.steps > MAX_DIFF_STEPS {
            self.abort = Some("the schemas are too large or too recursive to compare".to_string());
            return Rc::new(Vec::new());
        }
        if self.depth >= MAX_DIFF_DEPTH {
            self.abort = Some("the schemas are nested too deeply to compare".to_string());
            return Rc::new(Vec::new());
        }
        self.in_progress.insert(key);
        self.depth += 1;
        let mut sub = DiffCtx::new();
        self.compare_types(&mut sub, o, u);
        self.depth -= 1;
        self.in_progress.remove(&key);
        let result = Rc::new(sub.diffs);
        self.memo.insert(key, result.clone());
        result
    }

    fn compare_types(&mut self, ctx: &mut DiffCtx, o: SRef, u: SRef) {
        let on = self.node(o);
        let un = self.node(u);
        match (&on.kind, &un.kind) {
            (ok, Kind::Combined(crit, subs)) if !matches!(ok, Kind::Combined(..)) => {
                if subs.len() == 1 {
                    let mut sub = ctx.sub();
                    self.compare(&mut sub, Some(o), Some(Engine::at(u, subs[0])));
                    if self.compatible(&sub) {
                        ctx.diffs.extend(sub.diffs);
                        return;
                    }
                } else if matches!(crit, Crit::Any | Crit::One) {
                    for s in subs {
                        let mut sub = ctx.sub();
                        self.compare(&mut sub, Some(o), Some(Engine::at(u, *s)));
                        if self.compatible(&sub) {
                            ctx.diffs.extend(sub.diffs);
                            ctx.add(DT::SUM_TYPE_EXTENDED);
                            return;
                        }
                    }
                }
            }
            (Kind::Combined(crit, subs), uk) if !matches!(uk, Kind::Combined(..)) => {
                if subs.len() == 1 {
                    let mut sub = ctx.sub();
                    self.compare(&mut sub, Some(Engine::at(o, subs[0])), Some(u));
                    if self.compatible(&sub) {
                        ctx.diffs.extend(sub.diffs);
                        return;
                    }
                } else if *crit == Crit::All {
                    for s in subs {
                        let mut sub = ctx.sub();
                        self.compare(&mut sub, Some(Engine::at(o, *s)), Some(u));
                        if self.compatible(&sub) {
                            ctx.diffs.extend(sub.diffs);
                            ctx.add(DT::PRODUCT_TYPE_NARROWED);
                            return;
                        }
                    }
                }
            }
            _ => {}
        }

        if on.kind.class() != un.kind.class() {
            if matches!(on.kind, Kind::False) || un.kind.is_empty_schema() {
                return;
            }
            if on.connect_type.as_deref() == Some("bytes") && un.connect_type.as_deref() == Some("bytes") {
                return;
            }
            ctx.add(DT::TYPE_CHANGED);
            return;
        }

        if on.id != un.id {
            ctx.add(DT::ID_CHANGED);
        }
        if on.title != un.title {
            ctx.add(DT::TITLE_CHANGED);
        }
        if on.description != un.description {
            ctx.add(DT::DESCRIPTION_CHANGED);
        }
        if on.default != un.default {
            ctx.add(DT::DEFAULT_CHANGED);
        }

        match (&on.kind, &un.kind) {
            (Kind::Str(a), Kind::Str(b)) => compare_string(ctx, a, b),
            (Kind::Num(a), Kind::Num(b)) => compare_number(ctx, a, b),
            (Kind::Const(a), Kind::Const(b)) if a != b => ctx.add_at("const", DT::ENUM_ARRAY_CHANGED),
            (Kind::Enum(a), Kind::Enum(b)) => compare_enum(ctx, a, b),
            (Kind::Combined(ac, asubs), Kind::Combined(bc, bsubs)) => {
                self.compare_combined(ctx, o, *ac, asubs, u, *bc, bsubs)
            }
            (Kind::Not(a), Kind::Not(b)) => {
                ctx.enter("not");
                let mut sub = ctx.sub();
                // The wrapped schemas are compared in reverse.
                self.compare(&mut sub, Some(Engine::at(u, *b)), Some(Engine::at(o, *a)));
                if self.compatible(&sub) {
                    ctx.add(DT::NOT_TYPE_NARROWED);
                } else {
                    ctx.add(DT::NOT_TYPE_EXTENDED);
                }
                ctx.leave();
            }
            (Kind::Obj(a), Kind::Obj(b)) => self.compare_object(ctx, o, a, u, b),
            (Kind::Arr(a), Kind::Arr(b)) => self.compare_array(ctx, o, a, u, b),
            _ => {}
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn compare_combined(
        &mut self,
        ctx: &mut DiffCtx,
        o: SRef,
        oc: Crit,
        osubs: &[NodeId],
        u: SRef,
        uc: Crit,
        usubs: &[NodeId],
    ) {
        let criteria = if oc == uc {
            None
        } else if uc == Crit::Any
            || (osubs.len() == 1 && usubs.len() == 1)
            || (osubs.len() == 1 && uc == Crit::One)
            || (usubs.len() == 1 && oc == Crit::All)
        {
            Some(DT::COMBINED_TYPE_EXTENDED)
        } else {
            Some(DT::COMBINED_TYPE_CHANGED)
        };
        if let Some(ty) = criteria {
            ctx.add(ty);
        }
        if criteria == Some(DT::COMBINED_TYPE_CHANGED) {
            return;
        }
        if osubs.len().saturating_mul(usubs.len()) > MAX_DIFF_STEPS {
            self.abort = Some("the combined schemas have too many subschemas to compare".to_string());
            return;
        }
        let olist = dedupe(self.sides[usize::from(o.side)], osubs);
        let ulist = dedupe(self.sides[usize::from(u.side)], usubs);
        if olist.len() < ulist.len() {
            ctx.add(if uc == Crit::All { DT::PRODUCT_TYPE_EXTENDED } else { DT::SUM_TYPE_EXTENDED });
        } else if olist.len() > ulist.len() {
            ctx.add(if matches!(oc, Crit::Any | Crit::One) {
                DT::SUM_TYPE_NARROWED
            } else {
                DT::PRODUCT_TYPE_NARROWED
            });
        }
        let mut edges: Vec<Vec<(usize, Vec<Diff>)>> = Vec::with_capacity(olist.len());
        for (i, os) in olist.iter().enumerate() {
            ctx.enter(format!("{}/{i}", oc.name()));
            let mut row = Vec::new();
            for (j, us) in ulist.iter().enumerate() {
                let mut sub = ctx.sub();
                self.compare(&mut sub, Some(Engine::at(o, *os)), Some(Engine::at(u, *us)));
                if self.compatible(&sub) {
                    row.push((j, sub.diffs));
                }
            }
            ctx.leave();
            edges.push(row);
        }
        let matching = max_matching(&edges, ulist.len());
        let mut matched = 0;
        for (i, m) in matching.iter().enumerate() {
            if let Some(j) = m {
                matched += 1;
                if let Some((_, diffs)) = edges[i].iter().find(|(jj, _)| jj == j) {
                    ctx.diffs.extend(diffs.iter().cloned());
                }
            }
        }
        if matched < olist.len().min(ulist.len()) {
            ctx.add(DT::COMBINED_TYPE_SUBSCHEMAS_CHANGED);
        }
    }

    fn obj_open(&self, s: SRef, obj: &ObjS) -> bool {
        obj.permits_additional
            && obj.additional_schema.is_none()
            && obj.pattern_properties.is_empty()
            && obj.unevaluated.is_none_or(|id| self.node(Engine::at(s, id)).kind.is_empty_schema())
    }

    fn obj_partial(&self, s: SRef, obj: &ObjS, key: &str) -> Option<NodeId> {
        for pp in &obj.pattern_properties {
            if let Some(re) = &pp.regex {
                if re.is_match(key).unwrap_or(false) {
                    return Some(pp.schema);
                }
            }
        }
        if obj.additional_schema.is_some() {
            return obj.additional_schema;
        }
        if obj.permits_additional {
            if let Some(u) = obj.unevaluated {
                let k = &self.node(Engine::at(s, u)).kind;
                if !matches!(k, Kind::False) && !k.is_empty_schema() {
                    return Some(u);
                }
            }
        }
        None
    }

    fn compare_object(&mut self, ctx: &mut DiffCtx, o: SRef, a: &ObjS, u: SRef, b: &ObjS) {
        // required
        ctx.enter("required");
        for (key, _) in &a.properties {
            if let Some(uid) = b.property(key) {
                let was = a.required.contains(key);
                let is = b.required.contains(key);
                if was && !is {
                    ctx.add_at(key, DT::REQUIRED_ATTRIBUTE_REMOVED);
                } else if !was && is {
                    if self.node(Engine::at(u, uid)).default.is_some() {
                        ctx.add_at(key, DT::REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED);
                    } else {
                        ctx.add_at(key, DT::REQUIRED_ATTRIBUTE_ADDED);
                    }
                }
            }
        }
        ctx.leave();

        // properties
        ctx.enter("properties");
        let keys: Vec<&String> = a
            .properties
            .iter()
            .map(|(k, _)| k)
            .chain(b.properties.iter().map(|(k, _)| k).filter(|k| a.property(k).is_none()))
            .collect();
        for key in keys {
            ctx.enter(key.as_str());
            match (a.property(key), b.property(key)) {
                (Some(oid), None) => {
                    if self.obj_open(u, b) {
                        ctx.add(DT::PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL);
                    } else if let Some(p) = self.obj_partial(u, b, key) {
                        let mut sub = ctx.sub();
                        self.compare(&mut sub, Some(Engine::at(o, oid)), Some(Engine::at(u, p)));
                        let ok = self.compatible(&sub);
                        ctx.diffs.extend(sub.diffs);
                        ctx.add(if ok {
                            DT::PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL
                        } else {
                            DT::PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL
                        });
                    } else if matches!(self.node(Engine::at(o, oid)).kind, Kind::False) {
                        ctx.add(DT::PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL);
                    } else {
                        ctx.add(DT::PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL);
                    }
                }
                (None, Some(uid)) => {
                    let un = self.node(Engine::at(u, uid));
                    let required = b.required.contains(key.as_str());
                    if self.obj_open(o, a) {
                        if un.kind.is_empty_schema() {
                            ctx.add(DT::PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL);
                        } else if required {
                            ctx.add(if un.default.is_some() {
                                DT::REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_OPEN_CONTENT_MODEL
                            } else {
                                DT::REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL
                            });
                        } else {
                            ctx.add(DT::OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL);
                        }
                    } else {
                        if let Some(p) = self.obj_partial(o, a, key) {
                            let mut sub = ctx.sub();
                            self.compare(&mut sub, Some(Engine::at(o, p)), Some(Engine::at(u, uid)));
                            let ok = self.compatible(&sub);
                            ctx.diffs.extend(sub.diffs);
                            ctx.add(if ok {
                                DT::PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL
                            } else {
                                DT::PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL
                            });
                        }
                        if required {
                            ctx.add(if un.default.is_some() {
                                DT::REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL
                            } else {
                                DT::REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL
                            });
                        } else {
                            ctx.add(DT::OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL);
                        }
                    }
                }
                (Some(oid), Some(uid)) => self.compare(ctx, Some(Engine::at(o, oid)), Some(Engine::at(u, uid))),
                (None, None) => {}
            }
            ctx.leave();
        }
        ctx.leave();

        // dependencies
        ctx.enter("dependencies");
        let a_prop: HashMap<&str, &Vec<String>> =
            a.property_dependencies.iter().map(|(k, v)| (k.as_str(), v)).collect();
        let b_prop: HashMap<&str, &Vec<String>> =
            b.property_dependencies.iter().map(|(k, v)| (k.as_str(), v)).collect();
        let a_schema: HashMap<&str, NodeId> = a.schema_dependencies.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        let b_schema: HashMap<&str, NodeId> = b.schema_dependencies.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        let dep_keys: Vec<&String> = a
            .property_dependencies
            .iter()
            .map(|(k, _)| k)
            .chain(b.property_dependencies.iter().map(|(k, _)| k).filter(|k| !a_prop.contains_key(k.as_str())))
            .collect();
        for key in dep_keys {
            match (a_prop.get(key.as_str()), b_prop.get(key.as_str())) {
                (_, None) => ctx.add_at(key, DT::DEPENDENCY_ARRAY_REMOVED),
                (None, Some(_)) => ctx.add_at(key, DT::DEPENDENCY_ARRAY_ADDED),
                (Some(x), Some(y)) => {
                    let x: HashSet<&String> = x.iter().collect();
                    let y: HashSet<&String> = y.iter().collect();
                    if x != y {
                        if y.is_superset(&x) {
                            ctx.add_at(key, DT::DEPENDENCY_ARRAY_EXTENDED);
                        } else if x.is_superset(&y) {
                            ctx.add_at(key, DT::DEPENDENCY_ARRAY_NARROWED);
                        } else {
                            ctx.add_at(key, DT::DEPENDENCY_ARRAY_CHANGED);
                        }
                    }
                }
            }
        }
        let dep_keys: Vec<&String> = a
            .schema_dependencies
            .iter()
            .map(|(k, _)| k)
            .chain(b.schema_dependencies.iter().map(|(k, _)| k).filter(|k| !a_schema.contains_key(k.as_str())))
            .collect();
        for key in dep_keys {
            match (a_schema.get(key.as_str()).copied(), b_schema.get(key.as_str()).copied()) {
                (_, None) => ctx.add_at(key, DT::DEPENDENCY_SCHEMA_REMOVED),
                (None, Some(_)) => ctx.add_at(key, DT::DEPENDENCY_SCHEMA_ADDED),
                (Some(x), Some(y)) => {
                    ctx.enter(key.as_str());
                    self.compare(ctx, Some(Engine::at(o, x)), Some(Engine::at(u, y)));
                    ctx.leave();
                }
            }
        }
        ctx.leave();

        // additionalProperties
        ctx.enter("additionalProperties");
        if a.permits_additional != b.permits_additional {
            ctx.add(if b.permits_additional {
                DT::ADDITIONAL_PROPERTIES_ADDED
            } else {
                DT::ADDITIONAL_PROPERTIES_REMOVED
            });
        } else if a.additional_schema.is_none() && b.additional_schema.is_some() {
            ctx.add(DT::ADDITIONAL_PROPERTIES_NARROWED);
        } else if b.additional_schema.is_none() && a.additional_schema.is_some() {
            ctx.add(DT::ADDITIONAL_PROPERTIES_EXTENDED);
        } else {
            let x = a.additional_schema.map(|id| Engine::at(o, id));
            let y = b.additional_schema.map(|id| Engine::at(u, id));
            self.compare(ctx, x, y);
        }
        ctx.leave();

        // unevaluatedProperties
        self.compare_unevaluated(
            ctx,
            "unevaluatedProperties",
            a.unevaluated.map(|id| Engine::at(o, id)),
            b.unevaluated.map(|id| Engine::at(u, id)),
            [
                DT::UNEVALUATED_PROPERTIES_ADDED,
                DT::UNEVALUATED_PROPERTIES_REMOVED,
                DT::UNEVALUATED_PROPERTIES_EXTENDED,
                DT::UNEVALUATED_PROPERTIES_NARROWED,
            ],
        );

        compare_limit(
            ctx,
            "maxProperties",
            a.max_properties,
            b.max_properties,
            [
                DT::MAX_PROPERTIES_ADDED,
                DT::MAX_PROPERTIES_REMOVED,
                DT::MAX_PROPERTIES_INCREASED,
                DT::MAX_PROPERTIES_DECREASED,
            ],
        );
        compare_limit(
            ctx,
            "minProperties",
            a.min_properties,
            b.min_properties,
            [
                DT::MIN_PROPERTIES_ADDED,
                DT::MIN_PROPERTIES_REMOVED,
                DT::MIN_PROPERTIES_INCREASED,
                DT::MIN_PROPERTIES_DECREASED,
            ],
        );
    }

    /// `types` = [ADDED, REMOVED, EXTENDED, NARROWED].
    fn compare_unevaluated(
        &mut self,
        ctx: &mut DiffCtx,
        keyword: &str,
        x: Option<SRef>,
        y: Option<SRef>,
        types: [DT; 4],
    ) {
        let [added, removed, extended, narrowed] = types;
        if x.is_none() && y.is_none() {
            return;
        }
        let is_false = |s: Option<SRef>| s.is_some_and(|s| matches!(self.node(s).kind, Kind::False));
        let is_empty = |s: Option<SRef>| s.is_some_and(|s| self.node(s).kind.is_empty_schema());
        ctx.enter(keyword);
        if x.is_none() {
            ctx.add(if is_false(y) { removed } else { narrowed });
        } else if y.is_none() {
            ctx.add(if is_false(x) { added } else { extended });
        } else if is_false(x) && !is_false(y) {
            ctx.add(added);
        } else if !is_false(x) && is_false(y) {
            ctx.add(removed);
        } else if is_empty(x) && !is_empty(y) {
            ctx.add(narrowed);
        } else if !is_empty(x) && is_empty(y) {
            ctx.add(extended);
        } else {
            self.compare(ctx, x, y);
        }
        ctx.leave();
    }

    fn arr_open(&self, s: SRef, arr: &ArrS) -> bool {
        arr.permits_additional
            && arr.additional_schema.is_none()
            && arr.unevaluated.is_none_or(|id| self.node(Engine::at(s, id)).kind.is_empty_schema())
    }

    fn arr_partial(&self, s: SRef, arr: &ArrS) -> Option<NodeId> {
        if arr.additional_schema.is_some() {
            return arr.additional_schema;
        }
        if arr.permits_additional {
            if let Some(u) = arr.unevaluated {
                let k = &self.node(Engine::at(s, u)).kind;
                if !matches!(k, Kind::False) && !k.is_empty_schema() {
                    return Some(u);
                }
            }
        }
        None
    }

    fn compare_array(&mut self, ctx: &mut DiffCtx, o: SRef, a: &ArrS, u: SRef, b: &ArrS) {
        ctx.enter("items");
        self.compare(ctx, a.all_items.map(|id| Engine::at(o, id)), b.all_items.map(|id| Engine::at(u, id)));
        ctx.leave();

        let common = a.item_schemas.len().min(b.item_schemas.len());
        for i in 0..common {
            ctx.enter(format!("items/{i}"));
            self.compare(ctx, Some(Engine::at(o, a.item_schemas[i])), Some(Engine::at(u, b.item_schemas[i])));
            ctx.leave();
        }
        for (i, &oid) in a.item_schemas.iter().enumerate().skip(common) {
            ctx.enter(format!("items/{i}"));
            if self.arr_open(u, b) {
                ctx.add(DT::ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL);
            } else if let Some(p) = self.arr_partial(u, b) {
                let mut sub = ctx.sub();
                self.compare(&mut sub, Some(Engine::at(o, oid)), Some(Engine::at(u, p)));
                let ok = self.compatible(&sub);
                ctx.diffs.extend(sub.diffs);
                ctx.add(if ok {
                    DT::ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL
                } else {
                    DT::ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL
                });
            } else if matches!(self.node(Engine::at(o, oid)).kind, Kind::False) {
                ctx.add(DT::ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL);
            } else {
                ctx.add(DT::ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL);
            }
            ctx.leave();
        }
        for (i, &uid) in b.item_schemas.iter().enumerate().skip(common) {
            ctx.enter(format!("items/{i}"));
            if self.arr_open(o, a) {
                if self.node(Engine::at(u, uid)).kind.is_empty_schema() {
                    ctx.add(DT::ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL);
                } else {
                    ctx.add(DT::ITEM_ADDED_TO_OPEN_CONTENT_MODEL);
                }
            } else if let Some(p) = self.arr_partial(o, a) {
                let mut sub = ctx.sub();
                self.compare(&mut sub, Some(Engine::at(o, p)), Some(Engine::at(u, uid)));
                let ok = self.compatible(&sub);
                ctx.diffs.extend(sub.diffs);
                ctx.add(if ok {
                    DT::ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL
                } else {
                    DT::ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL
                });
            } else {
                ctx.add(DT::ITEM_ADDED_TO_CLOSED_CONTENT_MODEL);
            }
            ctx.leave();
        }

        ctx.enter("additionalItems");
        if a.permits_additional != b.permits_additional {
            ctx.add(if a.permits_additional { DT::ADDITIONAL_ITEMS_REMOVED } else { DT::ADDITIONAL_ITEMS_ADDED });
        } else if a.additional_schema.is_none() && b.additional_schema.is_some() {
            ctx.add(DT::ADDITIONAL_ITEMS_NARROWED);
        } else if b.additional_schema.is_none() && a.additional_schema.is_some() {
            ctx.add(DT::ADDITIONAL_ITEMS_EXTENDED);
        } else {
            let x = a.additional_schema.map(|id| Engine::at(o, id));
            let y = b.additional_schema.map(|id| Engine::at(u, id));
            self.compare(ctx, x, y);
        }
        ctx.leave();

        self.compare_unevaluated(
            ctx,
            "unevaluatedItems",
            a.unevaluated.map(|id| Engine::at(o, id)),
            b.unevaluated.map(|id| Engine::at(u, id)),
            [
                DT::UNEVALUATED_ITEMS_ADDED,
                DT::UNEVALUATED_ITEMS_REMOVED,
                DT::UNEVALUATED_ITEMS_EXTENDED,
                DT::UNEVALUATED_ITEMS_NARROWED,
            ],
        );

        compare_limit(
            ctx,
            "maxItems",
            a.max_items,
            b.max_items,
            [DT::MAX_ITEMS_ADDED, DT::MAX_ITEMS_REMOVED, DT::MAX_ITEMS_INCREASED, DT::MAX_ITEMS_DECREASED],
        );
        compare_limit(
            ctx,
            "minItems",
            a.min_items,
            b.min_items,
            [DT::MIN_ITEMS_ADDED, DT::MIN_ITEMS_REMOVED, DT::MIN_ITEMS_INCREASED, DT::MIN_ITEMS_DECREASED],
        );
        if a.unique_items != b.unique_items {
            ctx.add_at("uniqueItems", if a.unique_items { DT::UNIQUE_ITEMS_REMOVED } else { DT::UNIQUE_ITEMS_ADDED });
        }
        // Number.intValue() comparisons.
        let int = |v: Option<f64>| v.map(|f| f as i64);
        compare_limit(
            ctx,
            "maxContains",
            int(a.max_contains),
            int(b.max_contains),
            [DT::MAX_CONTAINS_ADDED, DT::MAX_CONTAINS_REMOVED, DT::MAX_CONTAINS_INCREASED, DT::MAX_CONTAINS_DECREASED],
        );
        compare_limit(
            ctx,
            "minContains",
            int(a.min_contains),
            int(b.min_contains),
            [DT::MIN_CONTAINS_ADDED, DT::MIN_CONTAINS_REMOVED, DT::MIN_CONTAINS_INCREASED, DT::MIN_CONTAINS_DECREASED],
        );
    }
}

/// `types` = [ADDED, REMOVED, INCREASED, DECREASED].
fn compare_limit<T: PartialOrd>(ctx: &mut DiffCtx, attr: &str, a: Option<T>, b: Option<T>, types: [DT; 4]) {
    let [added, removed, increased, decreased] = types;
    match (a, b) {
        (None, None) => {}
        (None, Some(_)) => ctx.add_at(attr, added),
        (Some(_), None) => ctx.add_at(attr, removed),
        (Some(x), Some(y)) => {
            if x < y {
                ctx.add_at(attr, increased);
            } else if x > y {
                ctx.add_at(attr, decreased);
            }
        }
    }
}

fn compare_string(ctx: &mut DiffCtx, a: &StrS, b: &StrS) {
    compare_limit(
        ctx,
        "maxLength",
        a.max_length,
        b.max_length,
        [DT::MAX_LENGTH_ADDED, DT::MAX_LENGTH_REMOVED, DT::MAX_LENGTH_INCREASED, DT::MAX_LENGTH_DECREASED],
    );
    compare_limit(
        ctx,
        "minLength",
        a.min_length,
        b.min_length,
        [DT::MIN_LENGTH_ADDED, DT::MIN_LENGTH_REMOVED, DT::MIN_LENGTH_INCREASED, DT::MIN_LENGTH_DECREASED],
    );
    match (&a.pattern, &b.pattern) {
        (None, Some(_)) => ctx.add_at("pattern", DT::PATTERN_ADDED),
        (Some(_), None) => ctx.add_at("pattern", DT::PATTERN_REMOVED),
        (Some(x), Some(y)) if x != y => ctx.add_at("pattern", DT::PATTERN_CHANGED),
        _ => {}
    }
}

fn compare_number(ctx: &mut DiffCtx, a: &NumS, b: &NumS) {
    compare_limit(
        ctx,
        "maximum",
        a.maximum,
        b.maximum,
        [DT::MAXIMUM_ADDED, DT::MAXIMUM_REMOVED, DT::MAXIMUM_INCREASED, DT::MAXIMUM_DECREASED],
    );
    compare_limit(
        ctx,
        "minimum",
        a.minimum,
        b.minimum,
        [DT::MINIMUM_ADDED, DT::MINIMUM_REMOVED, DT::MINIMUM_INCREASED, DT::MINIMUM_DECREASED],
    );
    compare_limit(
        ctx,
        "exclusiveMaximum",
        a.exclusive_maximum,
        b.exclusive_maximum,
        [
            DT::EXCLUSIVE_MAXIMUM_ADDED,
            DT::EXCLUSIVE_MAXIMUM_REMOVED,
            DT::EXCLUSIVE_MAXIMUM_INCREASED,
            DT::EXCLUSIVE_MAXIMUM_DECREASED,
        ],
    );
    compare_limit(
        ctx,
        "exclusiveMinimum",
        a.exclusive_minimum,
        b.exclusive_minimum,
        [
            DT::EXCLUSIVE_MINIMUM_ADDED,
            DT::EXCLUSIVE_MINIMUM_REMOVED,
            DT::EXCLUSIVE_MINIMUM_INCREASED,
            DT::EXCLUSIVE_MINIMUM_DECREASED,
        ],
    );
    match (&a.multiple_of, &b.multiple_of) {
        (None, None) => {}
        (None, Some(_)) => ctx.add_at("multipleOf", DT::MULTIPLE_OF_ADDED),
        (Some(_), None) => ctx.add_at("multipleOf", DT::MULTIPLE_OF_REMOVED),
        (Some(x), Some(y)) => {
            if !decimal_eq(x, y) {
                if !decimal_is_zero(x) && decimal_divides(x, y) {
                    ctx.add_at("multipleOf", DT::MULTIPLE_OF_EXPANDED);
                } else if !decimal_is_zero(y) && decimal_divides(y, x) {
                    ctx.add_at("multipleOf", DT::MULTIPLE_OF_REDUCED);
                } else {
                    ctx.add_at("multipleOf", DT::MULTIPLE_OF_CHANGED);
                }
            }
        }
    }
    if a.requires_integer != b.requires_integer {
        ctx.add(if a.requires_integer { DT::TYPE_EXTENDED } else { DT::TYPE_NARROWED });
    }
}

fn compare_enum(ctx: &mut DiffCtx, a: &[String], b: &[String]) {
    let x: HashSet<&String> = a.iter().collect();
    let y: HashSet<&String> = b.iter().collect();
    if x != y {
        if y.is_superset(&x) {
            ctx.add_at("enum", DT::ENUM_ARRAY_EXTENDED);
        } else if x.is_superset(&y) {
            ctx.add_at("enum", DT::ENUM_ARRAY_NARROWED);
        } else {
            ctx.add_at("enum", DT::ENUM_ARRAY_CHANGED);
        }
    }
}

/// (unscaled coefficient, scale) of a decimal literal, if it fits in 128 bits.
fn decimal_parts(d: &Decimal) -> Option<(u128, i64)> {
    let raw = d.raw.trim_start_matches('-');
    let (mantissa, exp) = match raw.find(['e', 'E']) {
        Some(p) => (&raw[..p], raw[p + 1..].parse::<i64>().ok()?),
        None => (raw, 0),
    };
    let (ip, fp) = match mantissa.find('.') {
        Some(p) => (&mantissa[..p], &mantissa[p + 1..]),
        None => (mantissa, ""),
    };
    let digits = format!("{ip}{fp}");
    let digits = digits.trim_start_matches('0');
    let coeff = if digits.is_empty() { 0 } else { digits.parse::<u128>().ok()? };
    Some((coeff, fp.len() as i64 - exp))
}

/// Both coefficients brought to a common scale.
fn decimal_aligned(a: &Decimal, b: &Decimal) -> Option<(u128, u128)> {
    let (ca, sa) = decimal_parts(a)?;
    let (cb, sb) = decimal_parts(b)?;
    let scale = |c: u128, by: i64| -> Option<u128> {
        let p = u32::try_from(by).ok()?;
        c.checked_mul(10u128.checked_pow(p)?)
    };
    if sa >= sb {
        Some((ca, scale(cb, sa - sb)?))
    } else {
        Some((scale(ca, sb - sa)?, cb))
    }
}

fn decimal_is_zero(d: &Decimal) -> bool {
    match decimal_parts(d) {
        Some((c, _)) => c == 0,
        None => d.raw.parse::<f64>().map(|f| f == 0.0).unwrap_or(false),
    }
}

fn decimal_f64(d: &Decimal) -> f64 {
    d.raw.parse::<f64>().unwrap_or(f64::NAN)
}

fn decimal_eq(a: &Decimal, b: &Decimal) -> bool {
    match decimal_aligned(a, b) {
        Some((x, y)) => x == y && a.raw.starts_with('-') == b.raw.starts_with('-') || x == 0 && y == 0,
        None => decimal_f64(a) == decimal_f64(b),
    }
}

/// `dividend % divisor == 0` (divisor non-zero), exact when the literals fit in 128 bits.
fn decimal_divides(divisor: &Decimal, dividend: &Decimal) -> bool {
    match decimal_aligned(divisor, dividend) {
        Some((d, n)) => d != 0 && n % d == 0,
        None => {
            let q = decimal_f64(dividend) / decimal_f64(divisor);
            q.is_finite() && q.fract() == 0.0
        }
    }
}

/// Collapses structurally equal subschemas, keeping first occurrences (Confluent's LinkedHashSet).
fn dedupe(nodes: &[Node], ids: &[NodeId]) -> Vec<NodeId> {
    let mut out: Vec<NodeId> = Vec::with_capacity(ids.len());
    for &id in ids {
        if !out.iter().any(|&o| node_eq(nodes, o, id, 0)) {
            out.push(id);
        }
    }
    out
}

/// Structural equality of two nodes of one schema; `$ref`s compare by their text.
fn node_eq(nodes: &[Node], a: NodeId, b: NodeId, depth: usize) -> bool {
    if a == b {
        return true;
    }
    if depth > MAX_JSON_DEPTH {
        return false;
    }
    let (x, y) = (&nodes[a], &nodes[b]);
    if x.id != y.id
        || x.title != y.title
        || x.description != y.description
        || x.default != y.default
        || x.connect_type != y.connect_type
    {
        return false;
    }
    let eq = |p: NodeId, q: NodeId| node_eq(nodes, p, q, depth + 1);
    let opt_eq = |p: Option<NodeId>, q: Option<NodeId>| match (p, q) {
        (None, None) => true,
        (Some(p), Some(q)) => eq(p, q),
        _ => false,
    };
    let list_eq = |p: &[NodeId], q: &[NodeId]| p.len() == q.len() && p.iter().zip(q).all(|(&m, &n)| eq(m, n));
    match (&x.kind, &y.kind) {
        (Kind::Str(p), Kind::Str(q)) => {
            p.min_length == q.min_length && p.max_length == q.max_length && p.pattern == q.pattern
        }
        (Kind::Num(p), Kind::Num(q)) => {
            p.requires_integer == q.requires_integer
                && p.minimum == q.minimum
                && p.maximum == q.maximum
                && p.exclusive_minimum == q.exclusive_minimum
                && p.exclusive_maximum == q.exclusive_maximum
                && match (&p.multiple_of, &q.multiple_of) {
                    (None, None) => true,
                    (Some(m), Some(n)) => decimal_eq(m, n),
                    _ => false,
                }
        }
        (Kind::Enum(p), Kind::Enum(q)) => p == q,
        (Kind::Const(p), Kind::Const(q)) => p == q,
        (Kind::Combined(pc, ps), Kind::Combined(qc, qs)) => pc == qc && list_eq(ps, qs),
        (Kind::Not(p), Kind::Not(q)) => eq(*p, *q),
        (Kind::Ref(_, p), Kind::Ref(_, q)) => p == q,
        (Kind::Obj(p), Kind::Obj(q)) => {
            p.properties.len() == q.properties.len()
                && p.properties.iter().all(|(k, v)| q.property(k).is_some_and(|w| eq(*v, w)))
                && p.required == q.required
                && p.min_properties == q.min_properties
                && p.max_properties == q.max_properties
                && p.permits_additional == q.permits_additional
                && opt_eq(p.additional_schema, q.additional_schema)
                && p.pattern_properties.len() == q.pattern_properties.len()
                && p.pattern_properties.iter().zip(&q.pattern_properties).all(|(m, n)| {
                    m.regex.as_ref().map(|r| r.as_str()) == n.regex.as_ref().map(|r| r.as_str())
                        && eq(m.schema, n.schema)
                })
                && p.property_dependencies == q.property_dependencies
                && p.schema_dependencies.len() == q.schema_dependencies.len()
                && p.schema_dependencies.iter().zip(&q.schema_dependencies).all(|(m, n)| m.0 == n.0 && eq(m.1, n.1))
                && opt_eq(p.unevaluated, q.unevaluated)
        }
        (Kind::Arr(p), Kind::Arr(q)) => {
            opt_eq(p.all_items, q.all_items)
                && list_eq(&p.item_schemas, &q.item_schemas)
                && p.permits_additional == q.permits_additional
                && opt_eq(p.additional_schema, q.additional_schema)
                && p.min_items == q.min_items
                && p.max_items == q.max_items
                && p.unique_items == q.unique_items
                && p.min_contains == q.min_contains
                && p.max_contains == q.max_contains
                && opt_eq(p.unevaluated, q.unevaluated)
        }
        (p, q) => p.class() == q.class() && !matches!(p, Kind::Cond),
    }
}

/// Maximum bipartite matching (augmenting paths); `edges[i]` lists the right vertices of `i`.
fn max_matching(edges: &[Vec<(usize, Vec<Diff>)>], right: usize) -> Vec<Option<usize>> {
    fn augment(i: usize, edges: &[Vec<(usize, Vec<Diff>)>], seen: &mut [bool], owner: &mut [Option<usize>]) -> bool {
        for (j, _) in &edges[i] {
            if seen[*j] {
                continue;
            }
            seen[*j] = true;
            if owner[*j].is_none_or(|k| augment(k, edges, seen, owner)) {
                owner[*j] = Some(i);
                return true;
            }
        }
        false
    }
    let mut owner: Vec<Option<usize>> = vec![None; right];
    for i in 0..edges.len() {
        let mut seen = vec![false; right];
        augment(i, edges, &mut seen, &mut owner);
    }
    let mut result = vec![None; edges.len()];
    for (j, o) in owner.iter().enumerate() {
        if let Some(i) = o {
            result[*i] = Some(j);
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> JsonSchema {
        match JsonSchema::parse(text, &[], false) {
            Ok(s) => s,
            Err(e) => panic!("{text}: {e}"),
        }
    }

    fn parse_err(text: &str) -> String {
        match JsonSchema::parse(text, &[], false) {
            Ok(_) => panic!("accepted: {text}"),
            Err(e) => e.0,
        }
    }

    /// Every difference from `original` to `update`, as sorted `TYPE #/path` strings.
    fn diffs(original: &str, update: &str) -> Vec<String> {
        let mut v: Vec<String> =
            raw_differences(&parse(original), &parse(update)).into_iter().map(|(t, p)| format!("{t} {p}")).collect();
        v.sort();
        v
    }

    /// Error types breaking BACKWARD compatibility of `update` (reader) with `original` (writer).
    fn breaks(original: &str, update: &str) -> Vec<String> {
        check_compatibility(&parse(update), &parse(original), true).into_iter().map(|i| i.error_type).collect()
    }

    fn breaks_lenient(original: &str, update: &str) -> Vec<String> {
        check_compatibility_with_policy(&parse(update), &parse(original), true, true)
            .into_iter()
            .map(|i| i.error_type)
            .collect()
    }

    /// Asserts `rule` is reported and whether the change is compatible (STRICT).
    fn assert_rule(original: &str, update: &str, rule: &str, compatible: bool) {
        let all = diffs(original, update);
        assert!(all.iter().any(|d| d.split(' ').next() == Some(rule)), "{rule} not in {all:?}");
        assert_eq!(breaks(original, update).is_empty(), compatible, "{all:?}");
    }

    // --------------------------------------------------------------------------------------------
    // Confluent's published examples
    // --------------------------------------------------------------------------------------------

    /// Confluent's published diff examples (json-schema-provider test resources), draft-07 and combined, one
    /// per line: `original || update || reported differences (;-separated) || compatible STRICT, LENIENT`.
    const CONFLUENT_CASES: &str = r##"
{"properties":{}} || {} ||  || + +
{"$id":"something"} || {"$id":"something_else"} || ID_CHANGED #/ || + +
{"title":"something"} || {"title":"something_else"} || TITLE_CHANGED #/ || + +
{"description":"something"} || {"description":"something_else"} || DESCRIPTION_CHANGED #/ || + +
{"type":"object"} || {"type":"array"} || TYPE_CHANGED #/ || - -
{"type":"string","minLength":10} || {"type":"string","minLength":11} || MIN_LENGTH_INCREASED #/minLength || - -
{"type":"string","minLength":11} || {"type":"string","minLength":10} || MIN_LENGTH_DECREASED #/minLength || + +
{"type":"string","maxLength":10} || {"type":"string","maxLength":12} || MAX_LENGTH_INCREASED #/maxLength || + +
{"type":"string","maxLength":12} || {"type":"string","maxLength":10} || MAX_LENGTH_DECREASED #/maxLength || - -
{"type":"string","pattern":"uuid"} || {"type":"string"} || PATTERN_REMOVED #/pattern || + +
{"type":"string","pattern":"date-time"} || {"type":"string","pattern":"uuid"} || PATTERN_CHANGED #/pattern || - -
{"type":"string","pattern":"date-time"} || {"type":"string","pattern":"date-time"} ||  || + +
{"type":"number","maximum":10} || {"type":"number"} || MAXIMUM_REMOVED #/maximum || + +
{"type":"number","maximum":10} || {"type":"number","maximum":11} || MAXIMUM_INCREASED #/maximum || + +
{"type":"number","maximum":11} || {"type":"number","maximum":10} || MAXIMUM_DECREASED #/maximum || - -
{"type":"number","minimum":10} || {"type":"number"} || MINIMUM_REMOVED #/minimum || + +
{"type":"number","minimum":10} || {"type":"number","minimum":11} || MINIMUM_INCREASED #/minimum || - -
{"type":"number","minimum":11} || {"type":"number","minimum":10} || MINIMUM_DECREASED #/minimum || + +
{"type":"number","multipleOf":10} || {"type":"number"} || MULTIPLE_OF_REMOVED #/multipleOf || + +
{"type":"number","multipleOf":10} || {"type":"number","multipleOf":2} || MULTIPLE_OF_REDUCED #/multipleOf || + +
{"type":"number","multipleOf":10} || {"type":"number","multipleOf":11} || MULTIPLE_OF_CHANGED #/multipleOf || - -
{"type":"number"} || {"type":"integer"} || TYPE_NARROWED #/ || - -
{"type":"integer"} || {"type":"number"} || TYPE_EXTENDED #/ || + +
{"not":{"type":"number"}} || {"not":{"type":"integer"}} || NOT_TYPE_NARROWED #/not || + +
{"not":{"type":"integer"}} || {"not":{"type":"number"}} || NOT_TYPE_EXTENDED #/not || - -
{"type":"string","enum":["red"]} || {"type":"string"} || PRODUCT_TYPE_NARROWED #/ || + +
{"$schema":"http://json-schema.org/draft-07/schema#","properties":{"foo":{"const":"red"}}} || {"$schema":"http://json-schema.org/draft-07/schema#","properties":{"foo":{"const":"blue"}}} || ENUM_ARRAY_CHANGED #/properties/foo/const || - -
{"allOf":[{"type":"string"},{"enum":["red"]}]} || {"allOf":[{"type":"string"},{"enum":["blue"]}]} || COMBINED_TYPE_SUBSCHEMAS_CHANGED #/ || - -
{"allOf":[{"type":"string"},{"enum":["red"]}]} || {"allOf":[{"enum":["red","blue"]},{"type":"string"}]} || ENUM_ARRAY_EXTENDED #/allOf/1/enum || + +
{"type":["object"]} || {"type":["object","array"]} || SUM_TYPE_EXTENDED #/ || + +
{"oneOf":[{"type":"string"}]} || {"oneOf":[{"type":"number"}]} || COMBINED_TYPE_SUBSCHEMAS_CHANGED #/ || - -
{"oneOf":[{"type":"string"}]} || {"oneOf":[{"type":"number"},{"type":"string"}]} || SUM_TYPE_EXTENDED #/ || + +
{"properties":{"foo":{"type":"string"}}} || {"properties":{"bar":{"type":"string"}}} || OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL #/properties/bar; PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL #/properties/foo || - +
{"properties":{"foo":{"type":"string"}}} || {"properties":{"foo":{"type":"number"}}} || TYPE_CHANGED #/properties/foo || - -
{"properties":{"foo":{"type":"string"}},"additionalProperties":false} || {"properties":{"foo":{"type":"string"},"bar":{"type":"number"}},"additionalProperties":false} || OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL #/properties/bar || + +
{"properties":{"foo":{"type":"string"}},"additionalProperties":false,"patternProperties":{"^S_":{"type":"string"},"^I_":{"type":"integer"}}} || {"properties":{"foo":{"type":"string"},"I_123":{"type":"number"}},"additionalProperties":false,"patternProperties":{"^S_":{"type":"string"},"^I_":{"type":"integer"}}} || TYPE_EXTENDED #/properties/I_123; PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL #/properties/I_123; OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL #/properties/I_123 || + +
{"properties":{"foo":{"type":"string"}},"additionalProperties":{"type":"string"}} || {"properties":{"foo":{"type":"string"},"bar":{"type":"string"}},"additionalProperties":{"type":"string"}} || PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL #/properties/bar; OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL #/properties/bar || + +
{"properties":{"foo":{"type":"string"}},"additionalProperties":{"type":"string"}} || {"properties":{"foo":{"type":"string"},"bar":{"type":"number"}},"additionalProperties":{"type":"string"}} || TYPE_CHANGED #/properties/bar; PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL #/properties/bar; OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL #/properties/bar || - -
{"properties":{"foo":{"type":"string"}},"additionalProperties":{"type":"string"}} || {"properties":{"foo":{"type":"string"},"bar":{"type":"string"}},"required":["bar"],"additionalProperties":{"type":"string"}} || PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL #/properties/bar; REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL #/properties/bar || - -
{"properties":{"foo":{"type":"string"},"I_123":{"type":"integer"}},"additionalProperties":false} || {"properties":{"foo":{"type":"string"}},"additionalProperties":false,"patternProperties":{"^S_":{"type":"string"},"^I_":{"type":"number"}}} || TYPE_EXTENDED #/properties/I_123; PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL #/properties/I_123 || + +
{"properties":{"foo":{"type":"string"},"bar":{"type":"string"}},"additionalProperties":false} || {"properties":{"foo":{"type":"string"}},"additionalProperties":{"type":"string"}} || PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL #/properties/bar; ADDITIONAL_PROPERTIES_ADDED #/additionalProperties || + +
{"properties":{"foo":{"type":"string"},"bar":{"type":"number"}},"additionalProperties":false} || {"properties":{"foo":{"type":"string"}},"additionalProperties":{"type":"string"}} || TYPE_CHANGED #/properties/bar; PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL #/properties/bar; ADDITIONAL_PROPERTIES_ADDED #/additionalProperties || - -
{"properties":{"foo":{"type":"string"},"bar":{"oneOf":[{"type":"null"},{"type":"string"}]}},"additionalProperties":false} || {"properties":{"foo":{"type":"string"}},"additionalProperties":{"oneOf":[{"type":"null"},{"type":"string"}]}} || PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL #/properties/bar; ADDITIONAL_PROPERTIES_ADDED #/additionalProperties || + +
{"properties":{"foo":{"type":"string"},"bar":{"type":"string"}},"additionalProperties":false} || {"properties":{"foo":{"type":"string"}},"additionalProperties":{"oneOf":[{"type":"null"},{"type":"string"}]}} || SUM_TYPE_EXTENDED #/properties/bar; PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL #/properties/bar; ADDITIONAL_PROPERTIES_ADDED #/additionalProperties || + +
{"properties":{"foo":{"type":"string"}}} || {"properties":{"foo":{"type":"string"},"bar":{"type":"number"}}} || OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL #/properties/bar || - +
{"oneOf":[{"properties":{"foo":{"type":"string"}}}]} || {"oneOf":[{"properties":{"foo":{"type":"number"}}}]} || COMBINED_TYPE_SUBSCHEMAS_CHANGED #/ || - -
{"oneOf":[{"type":"string"}]} || {"allOf":[{"type":"string"}]} || COMBINED_TYPE_EXTENDED #/ || + +
{"oneOf":[{"type":"string"},{"type":"integer"}]} || {"allOf":[{"type":"string"}]} || COMBINED_TYPE_CHANGED #/ || - -
{"properties":{"foo":{"type":"number"},"bar":{"type":"string"}},"dependencies":{"foo":["bar"]}} || {"properties":{"foo":{"type":"number"},"bar":{"type":"string"}},"dependencies":{"bar":["foo"]}} || DEPENDENCY_ARRAY_ADDED #/dependencies/bar; DEPENDENCY_ARRAY_REMOVED #/dependencies/foo || - -
{"dependencies":{"foo":{"type":"string"},"bar":{"type":"string"}}} || {"dependencies":{"foo":{"type":"string"}}} || DEPENDENCY_SCHEMA_REMOVED #/dependencies/bar || + +
{"dependencies":{"foo":{"type":"string"}}} || {"dependencies":{}} || DEPENDENCY_SCHEMA_REMOVED #/dependencies/foo || + +
{"dependencies":{"foo":{"type":"string"}}} || {"dependencies":{"foo":{"type":"number"}}} || TYPE_CHANGED #/dependencies/foo || - -
{"dependencies":{"foo":{"type":"string"}}} || {"dependencies":{"bar":{"type":"string"}}} || DEPENDENCY_SCHEMA_ADDED #/dependencies/bar; DEPENDENCY_SCHEMA_REMOVED #/dependencies/foo || - -
{"properties":{"foo":{"type":"string"}},"required":["foo"]} || {"properties":{"foo":{"type":"string"}}} || REQUIRED_ATTRIBUTE_REMOVED #/required/foo || + +
{"properties":{"foo":{"type":"string"}}} || {"properties":{"foo":{"type":"string"}},"required":["foo"]} || REQUIRED_ATTRIBUTE_ADDED #/required/foo || - -
{"properties":{"foo":{"type":"string"}},"required":["foo"]} || {"properties":{"foo":{"type":"string"}},"required":["bar"]} || REQUIRED_ATTRIBUTE_REMOVED #/required/foo || + +
{"properties":{},"maxProperties":1} || {"properties":{}} || MAX_PROPERTIES_REMOVED #/maxProperties || + +
{"maxProperties":1} || {"maxProperties":2} || MAX_PROPERTIES_INCREASED #/maxProperties || + +
{"maxProperties":2} || {"maxProperties":1} || MAX_PROPERTIES_DECREASED #/maxProperties || - -
{"properties":{},"minProperties":2} || {"properties":{}} || MIN_PROPERTIES_REMOVED #/minProperties || + +
{"minProperties":1} || {"minProperties":2} || MIN_PROPERTIES_INCREASED #/minProperties || - -
{"minProperties":2} || {"minProperties":1} || MIN_PROPERTIES_DECREASED #/minProperties || + +
{"type":"array"} || {"type":"array","items":{"type":"string"}} || SCHEMA_ADDED #/items || - -
{"type":"array","items":{"type":"string"}} || {"type":"array"} || SCHEMA_REMOVED #/items || + +
{"type":"array","items":[{"type":"string"},{"type":"number"}]} || {"type":"array"} || ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL #/items/0; ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL #/items/1 || + +
{"type":"array","items":[{"type":"string"},{"type":"number"}],"additionalItems":{"type":"string"}} || {"type":"array","items":[{"type":"string"},{"type":"number"},{"type":"string"}],"additionalItems":{"type":"string"}} || ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL #/items/2 || + +
{"type":"array","items":[{"type":"string"},{"type":"number"}],"additionalItems":{"type":"string"}} || {"type":"array","items":[{"type":"string"},{"type":"number"},{"type":"number"}],"additionalItems":{"type":"string"}} || TYPE_CHANGED #/items/2; ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL #/items/2 || - -
{"type":"array","items":[{"type":"string"},{"type":"number"},{"type":"string"}],"additionalItems":{"type":"string"}} || {"type":"array","items":[{"type":"string"},{"type":"number"}],"additionalItems":{"type":"string"}} || ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL #/items/2 || + +
{"type":"array","items":[{"type":"string"},{"type":"number"},{"oneOf":[{"type":"null"},{"type":"string"}]}],"additionalItems":{"oneOf":[{"type":"null"},{"type":"string"}]}} || {"type":"array","items":[{"type":"string"},{"type":"number"}],"additionalItems":{"oneOf":[{"type":"null"},{"type":"string"}]}} || ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL #/items/2 || + +
{"type":"array","items":[{"type":"string"},{"type":"number"},{"type":"number"}],"additionalItems":{"type":"string"}} || {"type":"array","items":[{"type":"string"},{"type":"number"}],"additionalItems":{"type":"string"}} || TYPE_CHANGED #/items/2; ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL #/items/2 || - -
{"type":"array","items":[{"type":"string"}]} || {"type":"array","items":[{"type":"number"}]} || TYPE_CHANGED #/items/0 || - -
{"type":"array","maxItems":2} || {"type":"array","maxItems":1} || MAX_ITEMS_DECREASED #/maxItems || - -
{"type":"array","minItems":1} || {"type":"array"} || MIN_ITEMS_REMOVED #/minItems || + +
{"type":"array","minItems":1} || {"type":"array","minItems":2} || MIN_ITEMS_INCREASED #/minItems || - -
{"type":"array","minItems":2} || {"type":"array","minItems":1} || MIN_ITEMS_DECREASED #/minItems || + +
{"type":"array","uniqueItems":true} || {"type":"array"} || UNIQUE_ITEMS_REMOVED #/uniqueItems || + +
{"type":"array","items":{"$ref":"#/definitions/someRef"},"definitions":{"someRef":{"type":"string"}}} || {"type":"array","items":{"$ref":"#/definitions/someRef"},"definitions":{"someRef":{"type":"number"}}} || TYPE_CHANGED #/items || - -
{"type":"string"} || {"$ref":"#/definitions/someRef","definitions":{"someRef":{"type":"string"}}} ||  || + +
{"$ref":"#/definitions/someRef","definitions":{"someRef":{"type":"string"}}} || {"type":"string"} ||  || + +
{"properties":{},"additionalProperties":false} || {"properties":{}} || ADDITIONAL_PROPERTIES_ADDED #/additionalProperties || + +
{"additionalProperties":true} || {"additionalProperties":false} || ADDITIONAL_PROPERTIES_REMOVED #/additionalProperties || - +
{"additionalProperties":true} || {"additionalProperties":{"type":"number"}} || ADDITIONAL_PROPERTIES_NARROWED #/additionalProperties || - +
{"additionalProperties":true} || {"additionalProperties":true,"properties":{"foo":true}} || PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL #/properties/foo || + +
{"additionalProperties":true,"properties":{"foo":true}} || {"additionalProperties":true} || PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL #/properties/foo || + +
{"additionalProperties":false} || {"additionalProperties":false,"properties":{"foo":false}} || OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL #/properties/foo || + +
{"additionalProperties":false,"properties":{"foo":false}} || {"additionalProperties":false} || PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL #/properties/foo || + +
{"additionalProperties":{"type":"string"}} || {"additionalProperties":{"type":"number"}} || TYPE_CHANGED #/additionalProperties || - -
{"additionalItems":true} || {"additionalItems":false} || ADDITIONAL_ITEMS_REMOVED #/additionalItems || - -
{"additionalItems":{"type":"string"}} || {"additionalItems":{"type":"number"}} || TYPE_CHANGED #/additionalItems || - -
{"type":"array","additionalItems":true,"items":[{"type":"number"}]} || {"type":"array","additionalItems":true,"items":[{"type":"number"},true]} || ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL #/items/1 || + +
{"type":"array","additionalItems":true,"items":[{"type":"number"},true]} || {"type":"array","additionalItems":true,"items":[{"type":"number"}]} || ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL #/items/1 || + +
{"type":"array","additionalItems":false,"items":[{"type":"number"}]} || {"type":"array","additionalItems":false,"items":[{"type":"number"},false]} || ITEM_ADDED_TO_CLOSED_CONTENT_MODEL #/items/1 || + +
{"type":"array","additionalItems":false,"items":[{"type":"number"},false]} || {"type":"array","additionalItems":false,"items":[{"type":"number"}]} || ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL #/items/1 || + +
{"type":"array","items":[{"type":"string"},{"type":"number"}],"additionalItems":false} || {"type":"array","items":[{"type":"string"},{"type":"number"},{"type":"boolean"}],"additionalItems":true} || ITEM_ADDED_TO_CLOSED_CONTENT_MODEL #/items/2; ADDITIONAL_ITEMS_ADDED #/additionalItems || + +
{"type":"array","items":[{"type":"string"},{"type":"number"},{"type":"boolean"}],"additionalItems":false} || {"type":"array","items":[{"type":"string"},{"type":"number"}],"additionalItems":true} || ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL #/items/2; ADDITIONAL_ITEMS_ADDED #/additionalItems || + +
{"type":"array","items":[{"type":"string"},{"type":"number"}],"additionalItems":true} || {"type":"array","items":[{"type":"string"}],"additionalItems":true} || ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL #/items/1 || + +
{"type":"array","items":[{"type":"string"}],"additionalItems":false} || {"type":"array","items":[{"type":"string"},{"type":"number"}],"additionalItems":false} || ITEM_ADDED_TO_CLOSED_CONTENT_MODEL #/items/1 || + +
{"type":"array","items":[{"type":"string"},{"type":"number"}],"additionalItems":false} || {"type":"array","items":[{"type":"string"}],"additionalItems":{"type":"number"}} || ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL #/items/1; ADDITIONAL_ITEMS_ADDED #/additionalItems || + +
{"type":"array","items":[{"type":"string"}],"additionalItems":{"type":"number"}} || {"type":"array","items":[{"type":"string"},{"type":"number"}],"additionalItems":true} || ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL #/items/1; ADDITIONAL_ITEMS_EXTENDED #/additionalItems || + +
{"type":"string"} || {"oneOf":[{"type":"number"},{"type":"string"}]} || SUM_TYPE_EXTENDED #/ || + +
{"type":"null"} || {"oneOf":[{"type":"number"},{"type":"null"}]} || SUM_TYPE_EXTENDED #/ || + +
{"oneOf":[{"type":"number"}]} || {"oneOf":[{"type":"string"},{"type":"number"}]} || SUM_TYPE_EXTENDED #/ || + +
{"type":"string","maxLength":3} || {"oneOf":[{"type":"number"},{"type":"string"}]} || MAX_LENGTH_REMOVED #/maxLength; SUM_TYPE_EXTENDED #/ || + +
{"properties":{"foo":{"type":"string"}},"additionalProperties":false} || {"properties":{"foo":{"type":"string"},"bar":{"type":"string"}},"additionalProperties":false} || OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL #/properties/bar || + +
{"type":"object","properties":{"prop1":{"allOf":[{"enum":["one","two","three"]},{"type":"string"},{"maxLength":5}]}}} || {"type":"object","properties":{"prop1":{"allOf":[{"maxLength":5},{"enum":["one","two","three"]},{"type":"string"}]}}} ||  || + +
{"type":"object","properties":{"prop1":{"allOf":[{"enum":["one","two","three"]},{"type":"string"},{"maxLength":5}]}}} || {"type":"object","properties":{"prop1":{"allOf":[{"maxLength":5},{"enum":["one","two","three"]},{"type":"number"}]}}} || COMBINED_TYPE_SUBSCHEMAS_CHANGED #/properties/prop1 || - -
{"type":"object","properties":{"prop1":{"allOf":[{"type":"string"},{"type":"string"}]}}} || {"type":"object","properties":{"prop1":{"allOf":[{"type":"string"}]}}} ||  || + +
{"type":"object","properties":{"prop1":{"allOf":[{"type":"string"}]}}} || {"type":"object","properties":{"prop1":{"allOf":[{"type":"string"},{"type":"string"}]}}} ||  || + +
{"type":"object","properties":{"prop1":{"oneOf":[{"type":"string"}]}}} || {"type":"object","properties":{"prop1":{"oneOf":[{"type":"number"},{"type":"string"}]}}} || SUM_TYPE_EXTENDED #/properties/prop1 || + +
{"type":"object","properties":{"prop1":{"oneOf":[{"type":"string"}]}}} || {"type":"object","properties":{"prop1":{"oneOf":[{"type":"boolean"},{"type":"number"},{"type":"string"}]}}} || SUM_TYPE_EXTENDED #/properties/prop1 || + +
{"type":"object","properties":{"prop1":{"oneOf":[{"type":"string","maxLength":5}]}}} || {"type":"object","properties":{"prop1":{"oneOf":[{"type":"boolean"},{"type":"number"},{"title":"my string","type":"string","maxLength":8}]}}} || SUM_TYPE_EXTENDED #/properties/prop1; TITLE_CHANGED #/properties/prop1/oneOf/0; MAX_LENGTH_INCREASED #/properties/prop1/oneOf/0/maxLength || + +
{"type":"object","properties":{"prop1":{"oneOf":[{"type":"number"},{"type":"string"}]}}} || {"type":"object","properties":{"prop1":{"oneOf":[{"type":"string"}]}}} || SUM_TYPE_NARROWED #/properties/prop1 || - -
{"type":"object","properties":{"prop1":{"allOf":[{"enum":["one","two","three"]},{"type":"string"}]}}} || {"type":"object","properties":{"prop1":{"allOf":[{"type":"string"}]}}} || PRODUCT_TYPE_NARROWED #/properties/prop1 || + +
{"type":"object","properties":{"prop1":{"allOf":[{"type":"string"}]}}} || {"type":"object","properties":{"prop1":{"allOf":[{"enum":["one","two","three"]},{"type":"string"}]}}} || PRODUCT_TYPE_EXTENDED #/properties/prop1 || - -
{"type":"object","properties":{"prop1":{"oneOf":[{"type":"string"}]}}} || {"type":"object","properties":{"prop1":{"anyOf":[{"type":"string"}]}}} || COMBINED_TYPE_EXTENDED #/properties/prop1 || + +
{"type":"object","properties":{"prop1":{"oneOf":[{"type":"string"}]}}} || {"type":"object","properties":{"prop1":{"anyOf":[{"type":"number"},{"type":"string"}]}}} || COMBINED_TYPE_EXTENDED #/properties/prop1; SUM_TYPE_EXTENDED #/properties/prop1 || + +
{"type":"object","properties":{"prop1":{"allOf":[{"type":"string"}]}}} || {"type":"object","properties":{"prop1":{"anyOf":[{"type":"string"}]}}} || COMBINED_TYPE_EXTENDED #/properties/prop1 || + +
{"type":"object","properties":{"prop1":{"oneOf":[{"type":"number"},{"type":"string"}]}}} || {"type":"object","properties":{"prop1":{"anyOf":[{"type":"string"}]}}} || COMBINED_TYPE_EXTENDED #/properties/prop1; SUM_TYPE_NARROWED #/properties/prop1 || - -
{"type":"object","properties":{"prop1":{"allOf":[{"type":"string"}]}}} || {"type":"object","properties":{"prop1":{"anyOf":[{"type":"number"},{"type":"string"}]}}} || COMBINED_TYPE_EXTENDED #/properties/prop1; SUM_TYPE_EXTENDED #/properties/prop1 || + +
{"type":"object","properties":{"prop1":{"allOf":[{"type":"number"},{"type":"string"}]}}} || {"type":"object","properties":{"prop1":{"anyOf":[{"type":"string"}]}}} || COMBINED_TYPE_EXTENDED #/properties/prop1; PRODUCT_TYPE_NARROWED #/properties/prop1 || + +
{"type":"object","properties":{"prop1":{"anyOf":[{"type":"string"}]}}} || {"type":"object","properties":{"prop1":{"oneOf":[{"type":"number"},{"type":"string"}]}}} || COMBINED_TYPE_EXTENDED #/properties/prop1; SUM_TYPE_EXTENDED #/properties/prop1 || + +
{"type":"object","properties":{"prop1":{"anyOf":[{"type":"number"},{"type":"string"}]}}} || {"type":"object","properties":{"prop1":{"oneOf":[{"type":"string"}]}}} || COMBINED_TYPE_CHANGED #/properties/prop1 || - -
{"type":"object","properties":{"prop1":{"allOf":[{"type":"number"}]}}} || {"type":"object","properties":{"prop1":{"oneOf":[{"type":"number"},{"type":"string"}]}}} || COMBINED_TYPE_EXTENDED #/properties/prop1; SUM_TYPE_EXTENDED #/properties/prop1 || + +
{"type":"object","properties":{"prop1":{"allOf":[{"type":"number"},{"type":"string"}]}}} || {"type":"object","properties":{"prop1":{"oneOf":[{"type":"string"}]}}} || COMBINED_TYPE_EXTENDED #/properties/prop1; PRODUCT_TYPE_NARROWED #/properties/prop1 || + +
{"type":"object","properties":{"prop1":{"anyOf":[{"type":"string"}]}}} || {"type":"object","properties":{"prop1":{"allOf":[{"type":"string"}]}}} || COMBINED_TYPE_EXTENDED #/properties/prop1 || + +
{"type":"object","properties":{"prop1":{"oneOf":[{"type":"string"}]}}} || {"type":"object","properties":{"prop1":{"allOf":[{"type":"string"}]}}} || COMBINED_TYPE_EXTENDED #/properties/prop1 || + +
{"type":"object","properties":{"prop1":{"anyOf":[{"type":"string"}]}}} || {"type":"object","properties":{"prop1":{"allOf":[{"type":"number"},{"type":"string"}]}}} || COMBINED_TYPE_CHANGED #/properties/prop1 || - -
{"type":"object","properties":{"prop1":{"oneOf":[{"type":"string"}]}}} || {"type":"object","properties":{"prop1":{"allOf":[{"type":"number"},{"type":"string"}]}}} || COMBINED_TYPE_CHANGED #/properties/prop1 || - -
{"type":"object","properties":{"prop1":{"type":"string"}}} || {"type":"object","properties":{"prop1":{"anyOf":[{"type":"number"},{"type":"string"}]}}} || SUM_TYPE_EXTENDED #/properties/prop1 || + +
{"type":"object","properties":{"prop1":{"type":"string"}}} || {"type":"object","properties":{"prop1":{"oneOf":[{"type":"number"},{"type":"string"}]}}} || SUM_TYPE_EXTENDED #/properties/prop1 || + +
{"type":"object","properties":{"prop1":{"type":"string"}}} || {"type":"object","properties":{"prop1":{"allOf":[{"type":"string"}]}}} ||  || + +
{"type":"object","properties":{"prop1":{"type":"string"}}} || {"type":"object","properties":{"prop1":{"allOf":[{"type":"number"},{"type":"string"}]}}} || TYPE_CHANGED #/properties/prop1 || - -
"##;

    /// The 2020-12 variants (differences not compared: only the verdicts).
    const CONFLUENT_CASES_2020_12: &str = r##"
{"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{}} || {"$schema":"https://json-schema.org/draft/2020-12/schema"} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","$id":"something"} || {"$schema":"https://json-schema.org/draft/2020-12/schema","$id":"something_else"} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","title":"something"} || {"$schema":"https://json-schema.org/draft/2020-12/schema","title":"something_else"} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","description":"something"} || {"$schema":"https://json-schema.org/draft/2020-12/schema","description":"something_else"} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object"} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array"} || * || - -
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"string","minLength":10} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"string","minLength":11} || * || - -
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"string","minLength":11} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"string","minLength":10} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"string","maxLength":10} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"string","maxLength":12} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"string","maxLength":12} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"string","maxLength":10} || * || - -
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"string","pattern":"uuid"} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"string"} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"string","pattern":"date-time"} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"string","pattern":"uuid"} || * || - -
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"string","pattern":"date-time"} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"string","pattern":"date-time"} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"number","maximum":10} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"number"} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"number","maximum":10} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"number","maximum":11} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"number","maximum":11} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"number","maximum":10} || * || - -
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"number","minimum":10} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"number"} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"number","minimum":10} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"number","minimum":11} || * || - -
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"number","minimum":11} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"number","minimum":10} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"number","multipleOf":10} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"number"} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"number","multipleOf":10} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"number","multipleOf":2} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"number","multipleOf":10} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"number","multipleOf":11} || * || - -
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"number"} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"integer"} || * || - -
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"integer"} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"number"} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","not":{"type":"number"}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","not":{"type":"integer"}} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","not":{"type":"integer"}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","not":{"type":"number"}} || * || - -
{"$schema":"https://json-schema.org/draft/2020-12/schema","allOf":[{"type":"string"},{"enum":["red"]}]} || {"$schema":"https://json-schema.org/draft/2020-12/schema","allOf":[{"type":"string"},{"enum":["blue"]}]} || * || - -
{"$schema":"https://json-schema.org/draft/2020-12/schema","allOf":[{"type":"string"},{"enum":["red"]}]} || {"$schema":"https://json-schema.org/draft/2020-12/schema","allOf":[{"enum":["red","blue"]},{"type":"string"}]} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":["object"]} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":["object","array"]} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","oneOf":[{"type":"string"}]} || {"$schema":"https://json-schema.org/draft/2020-12/schema","oneOf":[{"type":"number"}]} || * || - -
{"$schema":"https://json-schema.org/draft/2020-12/schema","oneOf":[{"type":"string"}]} || {"$schema":"https://json-schema.org/draft/2020-12/schema","oneOf":[{"type":"number"},{"type":"string"}]} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"foo":{"type":"string"}}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"bar":{"type":"string"}}} || * || - +
{"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"foo":{"type":"string"}}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"foo":{"type":"number"}}} || * || - -
{"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"foo":{"type":"string"}},"additionalProperties":false} || {"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"foo":{"type":"string"},"bar":{"type":"number"}},"additionalProperties":false} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"foo":{"type":"string"}},"unevaluatedProperties":false} || {"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"foo":{"type":"string"},"bar":{"type":"number"}},"unevaluatedProperties":false} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"foo":{"type":"string"}},"additionalProperties":false,"patternProperties":{"^S_":{"type":"string"},"^I_":{"type":"integer"}}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"foo":{"type":"string"},"I_123":{"type":"number"}},"additionalProperties":false,"patternProperties":{"^S_":{"type":"string"},"^I_":{"type":"integer"}}} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"foo":{"type":"string"}},"additionalProperties":{"type":"string"}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"foo":{"type":"string"},"bar":{"type":"string"}},"additionalProperties":{"type":"string"}} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"foo":{"type":"string"}},"unevaluatedProperties":{"type":"string"}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"foo":{"type":"string"},"bar":{"type":"string"}},"unevaluatedProperties":{"type":"string"}} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"foo":{"type":"string"}},"additionalProperties":{"type":"string"}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"foo":{"type":"string"},"bar":{"type":"number"}},"additionalProperties":{"type":"string"}} || * || - -
{"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"foo":{"type":"string"}},"unevaluatedProperties":{"type":"string"}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"foo":{"type":"string"},"bar":{"type":"number"}},"unevaluatedProperties":{"type":"string"}} || * || - -
{"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"foo":{"type":"string"}},"additionalProperties":{"type":"string"}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"foo":{"type":"string"},"bar":{"type":"string"}},"required":["bar"],"additionalProperties":{"type":"string"}} || * || - -
{"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"foo":{"type":"string"}},"unevaluatedProperties":{"type":"string"}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"foo":{"type":"string"},"bar":{"type":"string"}},"required":["bar"],"unevaluatedProperties":{"type":"string"}} || * || - -
{"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"foo":{"type":"string"},"I_123":{"type":"integer"}},"additionalProperties":false} || {"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"foo":{"type":"string"}},"additionalProperties":false,"patternProperties":{"^S_":{"type":"string"},"^I_":{"type":"number"}}} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"foo":{"type":"string"},"bar":{"type":"string"}},"additionalProperties":false} || {"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"foo":{"type":"string"}},"additionalProperties":{"type":"string"}} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"foo":{"type":"string"},"bar":{"type":"number"}},"additionalProperties":false} || {"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"foo":{"type":"string"}},"additionalProperties":{"type":"string"}} || * || - -
{"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"foo":{"type":"string"},"bar":{"oneOf":[{"type":"null"},{"type":"string"}]}},"additionalProperties":false} || {"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"foo":{"type":"string"}},"additionalProperties":{"oneOf":[{"type":"null"},{"type":"string"}]}} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"foo":{"type":"string"},"bar":{"type":"string"}},"additionalProperties":false} || {"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"foo":{"type":"string"}},"additionalProperties":{"oneOf":[{"type":"null"},{"type":"string"}]}} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"foo":{"type":"string"}}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"foo":{"type":"string"},"bar":{"type":"number"}}} || * || - +
{"$schema":"https://json-schema.org/draft/2020-12/schema","oneOf":[{"properties":{"foo":{"type":"string"}}}]} || {"$schema":"https://json-schema.org/draft/2020-12/schema","oneOf":[{"properties":{"foo":{"type":"number"}}}]} || * || - -
{"$schema":"https://json-schema.org/draft/2020-12/schema","oneOf":[{"type":"string"}]} || {"$schema":"https://json-schema.org/draft/2020-12/schema","allOf":[{"type":"string"}]} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","oneOf":[{"type":"string"},{"type":"integer"}]} || {"$schema":"https://json-schema.org/draft/2020-12/schema","allOf":[{"type":"string"}]} || * || - -
{"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"foo":{"type":"number"},"bar":{"type":"string"}},"dependentRequired":{"foo":["bar"]}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"foo":{"type":"number"},"bar":{"type":"string"}},"dependentRequired":{"bar":["foo"]}} || * || - -
{"$schema":"https://json-schema.org/draft/2020-12/schema","dependentSchemas":{"foo":{"type":"string"},"bar":{"type":"string"}}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","dependentSchemas":{"foo":{"type":"string"}}} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","dependentSchemas":{"foo":{"type":"string"}}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","dependentSchemas":{}} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","dependentSchemas":{"foo":{"type":"string"}}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","dependentSchemas":{"foo":{"type":"number"}}} || * || - -
{"$schema":"https://json-schema.org/draft/2020-12/schema","dependentSchemas":{"foo":{"type":"string"}}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","dependentSchemas":{"bar":{"type":"string"}}} || * || - -
{"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"foo":{"type":"string"}},"required":["foo"]} || {"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"foo":{"type":"string"}}} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"foo":{"type":"string"}}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"foo":{"type":"string"}},"required":["foo"]} || * || - -
{"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"foo":{"type":"string"}},"required":["foo"]} || {"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"foo":{"type":"string"}},"required":["bar"]} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{},"maxProperties":1} || {"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{}} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","maxProperties":1} || {"$schema":"https://json-schema.org/draft/2020-12/schema","maxProperties":2} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","maxProperties":2} || {"$schema":"https://json-schema.org/draft/2020-12/schema","maxProperties":1} || * || - -
{"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{},"minProperties":2} || {"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{}} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","minProperties":1} || {"$schema":"https://json-schema.org/draft/2020-12/schema","minProperties":2} || * || - -
{"$schema":"https://json-schema.org/draft/2020-12/schema","minProperties":2} || {"$schema":"https://json-schema.org/draft/2020-12/schema","minProperties":1} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array"} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","items":{"type":"string"}} || * || - -
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","items":{"type":"string"}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array"} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","prefixItems":[{"type":"string"},{"type":"number"}]} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array"} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","prefixItems":[{"type":"string"},{"type":"number"}],"items":{"type":"string"}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","prefixItems":[{"type":"string"},{"type":"number"},{"type":"string"}],"items":{"type":"string"}} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","prefixItems":[{"type":"string"},{"type":"number"}],"unevaluatedItems":{"type":"string"}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","prefixItems":[{"type":"string"},{"type":"number"},{"type":"string"}],"unevaluatedItems":{"type":"string"}} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","prefixItems":[{"type":"string"},{"type":"number"}],"items":{"type":"string"}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","prefixItems":[{"type":"string"},{"type":"number"},{"type":"number"}],"items":{"type":"string"}} || * || - -
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","prefixItems":[{"type":"string"},{"type":"number"}],"unevaluatedItems":{"type":"string"}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","prefixItems":[{"type":"string"},{"type":"number"},{"type":"number"}],"unevaluatedItems":{"type":"string"}} || * || - -
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","prefixItems":[{"type":"string"},{"type":"number"},{"type":"string"}],"items":{"type":"string"}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","prefixItems":[{"type":"string"},{"type":"number"}],"items":{"type":"string"}} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","prefixItems":[{"type":"string"},{"type":"number"},{"type":"string"}],"unevaluatedItems":{"type":"string"}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","prefixItems":[{"type":"string"},{"type":"number"}],"unevaluatedItems":{"type":"string"}} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","prefixItems":[{"type":"string"},{"type":"number"},{"oneOf":[{"type":"null"},{"type":"string"}]}],"items":{"oneOf":[{"type":"null"},{"type":"string"}]}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","prefixItems":[{"type":"string"},{"type":"number"}],"items":{"oneOf":[{"type":"null"},{"type":"string"}]}} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","prefixItems":[{"type":"string"},{"type":"number"},{"oneOf":[{"type":"null"},{"type":"string"}]}],"unevaluatedItems":{"oneOf":[{"type":"null"},{"type":"string"}]}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","prefixItems":[{"type":"string"},{"type":"number"}],"unevaluatedItems":{"oneOf":[{"type":"null"},{"type":"string"}]}} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","prefixItems":[{"type":"string"},{"type":"number"},{"type":"number"}],"items":{"type":"string"}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","prefixItems":[{"type":"string"},{"type":"number"}],"items":{"type":"string"}} || * || - -
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","prefixItems":[{"type":"string"},{"type":"number"},{"type":"number"}],"unevaluatedItems":{"type":"string"}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","prefixItems":[{"type":"string"},{"type":"number"}],"unevaluatedItems":{"type":"string"}} || * || - -
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","prefixItems":[{"type":"string"}]} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","prefixItems":[{"type":"number"}]} || * || - -
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","maxItems":2} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","maxItems":1} || * || - -
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","minItems":1} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array"} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","minItems":1} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","minItems":2} || * || - -
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","minItems":2} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","minItems":1} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","contains":{"type":"number"},"minContains":1} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","contains":{"type":"number"}} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","contains":{"type":"number"},"minContains":1} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","contains":{"type":"number"},"minContains":2} || * || - -
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","contains":{"type":"number"},"minContains":2} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","contains":{"type":"number"},"minContains":1} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","uniqueItems":true} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array"} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","items":{"$ref":"#/definitions/someRef"},"definitions":{"someRef":{"type":"string"}}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","items":{"$ref":"#/definitions/someRef"},"definitions":{"someRef":{"type":"number"}}} || * || - -
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"string"} || {"$schema":"https://json-schema.org/draft/2020-12/schema","$ref":"#/definitions/someRef","definitions":{"someRef":{"type":"string"}}} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","$ref":"#/definitions/someRef","definitions":{"someRef":{"type":"string"}}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"string"} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{},"additionalProperties":false} || {"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{}} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":true} || {"$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":false} || * || - +
{"$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":true} || {"$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":{"type":"number"}} || * || - +
{"$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":true} || {"$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":true,"properties":{"foo":true}} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":true,"properties":{"foo":true}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":true} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":false} || {"$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":false,"properties":{"foo":false}} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":false,"properties":{"foo":false}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":false} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":{"type":"string"}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":{"type":"number"}} || * || - -
{"$schema":"https://json-schema.org/draft/2020-12/schema","items":true} || {"$schema":"https://json-schema.org/draft/2020-12/schema","items":false} || * || - -
{"$schema":"https://json-schema.org/draft/2020-12/schema","items":{"type":"string"}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","items":{"type":"number"}} || * || - -
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","items":true,"prefixItems":[{"type":"number"}]} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","items":true,"prefixItems":[{"type":"number"},true]} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","items":true,"prefixItems":[{"type":"number"},true]} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","items":true,"prefixItems":[{"type":"number"}]} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","items":false,"prefixItems":[{"type":"number"}]} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","items":false,"prefixItems":[{"type":"number"},false]} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","items":false,"prefixItems":[{"type":"number"},false]} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","items":false,"prefixItems":[{"type":"number"}]} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","prefixItems":[{"type":"string"},{"type":"number"}],"items":false} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","prefixItems":[{"type":"string"},{"type":"number"},{"type":"boolean"}],"items":true} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","prefixItems":[{"type":"string"},{"type":"number"},{"type":"boolean"}],"items":false} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","prefixItems":[{"type":"string"},{"type":"number"}],"items":true} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","prefixItems":[{"type":"string"},{"type":"number"}],"items":true} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","prefixItems":[{"type":"string"}],"items":true} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","prefixItems":[{"type":"string"}],"items":false} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","prefixItems":[{"type":"string"},{"type":"number"}],"items":false} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","prefixItems":[{"type":"string"},{"type":"number"}],"items":false} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","prefixItems":[{"type":"string"}],"items":{"type":"number"}} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","prefixItems":[{"type":"string"}],"items":{"type":"number"}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","prefixItems":[{"type":"string"},{"type":"number"}],"items":true} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"string"} || {"$schema":"https://json-schema.org/draft/2020-12/schema","oneOf":[{"type":"number"},{"type":"string"}]} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"null"} || {"$schema":"https://json-schema.org/draft/2020-12/schema","oneOf":[{"type":"number"},{"type":"null"}]} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","oneOf":[{"type":"number"}]} || {"$schema":"https://json-schema.org/draft/2020-12/schema","oneOf":[{"type":"string"},{"type":"number"}]} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"string","maxLength":3} || {"$schema":"https://json-schema.org/draft/2020-12/schema","oneOf":[{"type":"number"},{"type":"string"}]} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"prop1":{"allOf":[{"enum":["one","two","three"]},{"type":"string"},{"maxLength":5}]}}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"prop1":{"allOf":[{"maxLength":5},{"enum":["one","two","three"]},{"type":"string"}]}}} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"prop1":{"allOf":[{"enum":["one","two","three"]},{"type":"string"},{"maxLength":5}]}}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"prop1":{"allOf":[{"maxLength":5},{"enum":["one","two","three"]},{"type":"number"}]}}} || * || - -
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"prop1":{"allOf":[{"type":"string"},{"type":"string"}]}}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"prop1":{"allOf":[{"type":"string"}]}}} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"prop1":{"allOf":[{"type":"string"}]}}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"prop1":{"allOf":[{"type":"string"},{"type":"string"}]}}} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"prop1":{"oneOf":[{"type":"string"}]}}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"prop1":{"oneOf":[{"type":"number"},{"type":"string"}]}}} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"prop1":{"oneOf":[{"type":"string"}]}}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"prop1":{"oneOf":[{"type":"boolean"},{"type":"number"},{"type":"string"}]}}} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"prop1":{"oneOf":[{"type":"string","maxLength":5}]}}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"prop1":{"oneOf":[{"type":"boolean"},{"type":"number"},{"title":"my string","type":"string","maxLength":8}]}}} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"prop1":{"oneOf":[{"type":"number"},{"type":"string"}]}}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"prop1":{"oneOf":[{"type":"string"}]}}} || * || - -
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"prop1":{"allOf":[{"enum":["one","two","three"]},{"type":"string"}]}}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"prop1":{"allOf":[{"type":"string"}]}}} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"prop1":{"allOf":[{"type":"string"}]}}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"prop1":{"allOf":[{"enum":["one","two","three"]},{"type":"string"}]}}} || * || - -
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"prop1":{"oneOf":[{"type":"string"}]}}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"prop1":{"anyOf":[{"type":"string"}]}}} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"prop1":{"oneOf":[{"type":"string"}]}}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"prop1":{"anyOf":[{"type":"number"},{"type":"string"}]}}} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"prop1":{"allOf":[{"type":"string"}]}}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"prop1":{"anyOf":[{"type":"string"}]}}} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"prop1":{"allOf":[{"type":"string"}]}}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"prop1":{"anyOf":[{"type":"number"},{"type":"string"}]}}} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"prop1":{"type":"string"}}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"prop1":{"anyOf":[{"type":"number"},{"type":"string"}]}}} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"prop1":{"type":"string"}}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"prop1":{"oneOf":[{"type":"number"},{"type":"string"}]}}} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"prop1":{"type":"string"}}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"prop1":{"allOf":[{"type":"string"}]}}} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"prop1":{"type":"string"}}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"prop1":{"allOf":[{"type":"number"},{"type":"string"}]}}} || * || - -
"##;

    /// (original, update, expected differences if compared, STRICT verdict, LENIENT verdict).
    type Case = (String, String, Option<Vec<String>>, bool, bool);

    fn cases(table: &str) -> Vec<Case> {
        table
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|line| {
                let parts: Vec<&str> = line.split(" || ").collect();
                assert_eq!(parts.len(), 4, "{line}");
                let changes = match parts[2].trim() {
                    "*" => None,
                    "" => Some(Vec::new()),
                    list => Some(list.split("; ").map(str::to_string).collect()),
                };
                let verdict: Vec<&str> = parts[3].split(' ').collect();
                (parts[0].to_string(), parts[1].to_string(), changes, verdict[0] == "+", verdict[1] == "+")
            })
            .collect()
    }

    fn check_cases(table: &str) {
        let mut failures = Vec::new();
        for (original, update, changes, strict, lenient) in cases(table) {
            if let Some(mut expected) = changes {
                expected.sort();
                let got = diffs(&original, &update);
                if got != expected {
                    failures.push(format!("{original} -> {update}: differences {got:?}, expected {expected:?}"));
                }
            }
            if breaks(&original, &update).is_empty() != strict {
                failures.push(format!("{original} -> {update}: STRICT verdict should be {strict}"));
            }
            if breaks_lenient(&original, &update).is_empty() != lenient {
                failures.push(format!("{original} -> {update}: LENIENT verdict should be {lenient}"));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn confluent_examples_draft7_and_combined() {
        assert_eq!(cases(CONFLUENT_CASES).len(), 132);
        check_cases(CONFLUENT_CASES);
    }

    #[test]
    fn confluent_examples_2020_12() {
        assert_eq!(cases(CONFLUENT_CASES_2020_12).len(), 131);
        check_cases(CONFLUENT_CASES_2020_12);
    }

    // --------------------------------------------------------------------------------------------
    // One test per rule
    // --------------------------------------------------------------------------------------------

    const OBJ_FOO: &str = r#"{"type":"object","properties":{"foo":{"type":"string"}}}"#;
    const CLOSED_FOO: &str = r#"{"type":"object","properties":{"foo":{"type":"string"}},"additionalProperties":false}"#;

    #[test]
    fn optional_property_added_to_open_content_model() {
        let update = r#"{"type":"object","properties":{"foo":{"type":"string"},"bar":{"type":"string"}}}"#;
        assert_rule(OBJ_FOO, update, "OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL", false);
        assert!(breaks_lenient(OBJ_FOO, update).is_empty());
    }

    #[test]
    fn required_property_added_to_open_content_model() {
        let update =
            r#"{"type":"object","properties":{"foo":{"type":"string"},"bar":{"type":"string"}},"required":["bar"]}"#;
        assert_rule(OBJ_FOO, update, "REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL", false);
        assert_eq!(breaks_lenient(OBJ_FOO, update), ["REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL"]);
    }

    #[test]
    fn required_property_with_default_added_to_open_content_model() {
        let update = r#"{"type":"object","properties":{"foo":{"type":"string"},"bar":{"type":"string","default":"x"}},"required":["bar"]}"#;
        assert_rule(OBJ_FOO, update, "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_OPEN_CONTENT_MODEL", false);
        assert!(breaks_lenient(OBJ_FOO, update).is_empty());
    }

    #[test]
    fn property_with_empty_schema_added_to_open_content_model() {
        let update = r#"{"type":"object","properties":{"foo":{"type":"string"},"bar":{}}}"#;
        assert_rule(OBJ_FOO, update, "PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL", true);
    }

    #[test]
    fn optional_property_added_to_unopen_content_model() {
        let update = r#"{"type":"object","properties":{"foo":{"type":"string"},"bar":{"type":"string"}},"additionalProperties":false}"#;
        assert_rule(CLOSED_FOO, update, "OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL", true);
    }

    #[test]
    fn required_property_added_to_unopen_content_model() {
        let update = r#"{"type":"object","properties":{"foo":{"type":"string"},"bar":{"type":"string"}},"required":["bar"],"additionalProperties":false}"#;
        assert_rule(CLOSED_FOO, update, "REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL", false);
        let with_default = update.replace(r#""bar":{"type":"string"}"#, r#""bar":{"type":"string","default":"d"}"#);
        assert_rule(CLOSED_FOO, &with_default, "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL", true);
    }

    #[test]
    fn property_removed_from_open_content_model() {
        assert_rule(OBJ_FOO, r#"{"type":"object"}"#, "PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL", true);
    }

    #[test]
    fn property_removed_from_closed_content_model() {
        let update = r#"{"type":"object","additionalProperties":false}"#;
        assert_rule(CLOSED_FOO, update, "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL", false);
        assert!(breaks_lenient(CLOSED_FOO, update).is_empty());
    }

    #[test]
    fn property_removed_covered_by_pattern_properties() {
        let update = r#"{"type":"object","additionalProperties":false,"patternProperties":{"^f":{"type":"string"}}}"#;
        assert_rule(CLOSED_FOO, update, "PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", true);
        let update = r#"{"type":"object","additionalProperties":false,"patternProperties":{"^f":{"type":"number"}}}"#;
        assert_rule(CLOSED_FOO, update, "PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", false);
    }

    #[test]
    fn property_added_covered_by_additional_properties_schema() {
        let original = r#"{"type":"object","additionalProperties":{"type":"string"}}"#;
        let update =
            r#"{"type":"object","properties":{"a":{"type":"string"}},"additionalProperties":{"type":"string"}}"#;
        assert_rule(original, update, "PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", true);
        // A narrower property schema is not covered; the narrowing itself is reported too.
        let update = r#"{"type":"object","properties":{"a":{"type":"string","maxLength":3}},"additionalProperties":{"type":"string"}}"#;
        assert_rule(original, update, "PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", false);
        assert_eq!(
            breaks(original, update),
            ["MAX_LENGTH_ADDED", "PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"]
        );
    }

    #[test]
    fn required_attribute_added_and_removed() {
        let req = r#"{"type":"object","properties":{"foo":{"type":"string"}},"required":["foo"]}"#;
        assert_rule(OBJ_FOO, req, "REQUIRED_ATTRIBUTE_ADDED", false);
        assert_rule(req, OBJ_FOO, "REQUIRED_ATTRIBUTE_REMOVED", true);
        let req_default = r#"{"type":"object","properties":{"foo":{"type":"string","default":""}},"required":["foo"]}"#;
        let orig_default = r#"{"type":"object","properties":{"foo":{"type":"string","default":""}}}"#;
        assert_rule(orig_default, req_default, "REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED", true);
    }

    #[test]
    fn additional_properties_added_removed_narrowed_extended() {
        assert_rule(CLOSED_FOO, OBJ_FOO, "ADDITIONAL_PROPERTIES_ADDED", true);
        assert_rule(OBJ_FOO, CLOSED_FOO, "ADDITIONAL_PROPERTIES_REMOVED", false);
        let schema_ap = r#"{"type":"object","additionalProperties":{"type":"string"}}"#;
        assert_rule(r#"{"type":"object"}"#, schema_ap, "ADDITIONAL_PROPERTIES_NARROWED", false);
        assert_rule(schema_ap, r#"{"type":"object"}"#, "ADDITIONAL_PROPERTIES_EXTENDED", true);
    }

    #[test]
    fn type_changed() {
        assert_rule(r#"{"type":"string"}"#, r#"{"type":"number"}"#, "TYPE_CHANGED", false);
        assert_eq!(breaks(r#"{"type":"string"}"#, "{}"), Vec::<String>::new());
        assert_eq!(breaks(r#"{"type":"string"}"#, "true"), Vec::<String>::new());
        assert_eq!(breaks("false", r#"{"type":"string"}"#), Vec::<String>::new());
        assert_eq!(breaks("{}", r#"{"type":"string"}"#), ["TYPE_CHANGED"]);
    }

    #[test]
    fn type_narrowed_and_extended() {
        assert_rule(r#"{"type":"number"}"#, r#"{"type":"integer"}"#, "TYPE_NARROWED", false);
        assert_rule(r#"{"type":"integer"}"#, r#"{"type":"number"}"#, "TYPE_EXTENDED", true);
    }

    #[test]
    fn connect_bytes_types_are_equivalent() {
        let a = r#"{"type":"string","connect.type":"bytes"}"#;
        let b = r#"{"type":"number","connect.type":"bytes"}"#;
        assert!(breaks(a, b).is_empty());
    }

    #[test]
    fn enum_array_extended_narrowed_changed() {
        assert_rule(r#"{"enum":["a","b"]}"#, r#"{"enum":["a","b","c"]}"#, "ENUM_ARRAY_EXTENDED", true);
        assert_rule(r#"{"enum":["a","b"]}"#, r#"{"enum":["a"]}"#, "ENUM_ARRAY_NARROWED", false);
        assert_rule(r#"{"enum":["a","b"]}"#, r#"{"enum":["a","c"]}"#, "ENUM_ARRAY_CHANGED", false);
        assert_rule(r#"{"const":1}"#, r#"{"const":2}"#, "ENUM_ARRAY_CHANGED", false);
        // `type` + `enum` is a synthetic allOf, as in Everit.
        assert_eq!(
            diffs(r#"{"type":"string","enum":["a"]}"#, r#"{"type":"string","enum":["a","b"]}"#),
            ["ENUM_ARRAY_EXTENDED #/allOf/0/enum"]
        );
    }

    #[test]
    fn string_constraints() {
        let s = r#"{"type":"string"}"#;
        assert_rule(s, r#"{"type":"string","maxLength":5}"#, "MAX_LENGTH_ADDED", false);
        assert_rule(r#"{"type":"string","maxLength":5}"#, s, "MAX_LENGTH_REMOVED", true);
        assert_rule(
            r#"{"type":"string","maxLength":5}"#,
            r#"{"type":"string","maxLength":6}"#,
            "MAX_LENGTH_INCREASED",
            true,
        );
        assert_rule(
            r#"{"type":"string","maxLength":5}"#,
            r#"{"type":"string","maxLength":4}"#,
            "MAX_LENGTH_DECREASED",
            false,
        );
        assert_rule(s, r#"{"type":"string","minLength":1}"#, "MIN_LENGTH_ADDED", false);
        assert_rule(
            r#"{"type":"string","minLength":2}"#,
            r#"{"type":"string","minLength":1}"#,
            "MIN_LENGTH_DECREASED",
            true,
        );
        assert_rule(
            r#"{"type":"string","minLength":1}"#,
            r#"{"type":"string","minLength":2}"#,
            "MIN_LENGTH_INCREASED",
            false,
        );
        assert_rule(s, r#"{"type":"string","pattern":"^a"}"#, "PATTERN_ADDED", false);
        assert_rule(
            r#"{"type":"string","pattern":"^a"}"#,
            r#"{"type":"string","pattern":"^b"}"#,
            "PATTERN_CHANGED",
            false,
        );
        assert_rule(r#"{"type":"string","pattern":"^a"}"#, s, "PATTERN_REMOVED", true);
    }

    #[test]
    fn number_constraints() {
        let n = r#"{"type":"number"}"#;
        assert_rule(n, r#"{"type":"number","maximum":5}"#, "MAXIMUM_ADDED", false);
        assert_rule(n, r#"{"type":"number","minimum":5}"#, "MINIMUM_ADDED", false);
        assert_rule(n, r#"{"type":"number","exclusiveMaximum":5}"#, "EXCLUSIVE_MAXIMUM_ADDED", false);
        assert_rule(n, r#"{"type":"number","exclusiveMinimum":5}"#, "EXCLUSIVE_MINIMUM_ADDED", false);
        let em = |v: u32| format!(r#"{{"type":"number","exclusiveMaximum":{v}}}"#);
        assert_rule(&em(5), &em(6), "EXCLUSIVE_MAXIMUM_INCREASED", true);
        assert_rule(&em(6), &em(5), "EXCLUSIVE_MAXIMUM_DECREASED", false);
        let emin = |v: u32| format!(r#"{{"type":"number","exclusiveMinimum":{v}}}"#);
        assert_rule(&emin(5), &emin(4), "EXCLUSIVE_MINIMUM_DECREASED", true);
        assert_rule(&emin(4), &emin(5), "EXCLUSIVE_MINIMUM_INCREASED", false);
        assert_rule(&emin(4), n, "EXCLUSIVE_MINIMUM_REMOVED", true);
        // Draft 4 boolean exclusive limits are not limits.
        let d4 = |b: bool| {
            format!(
                r#"{{"$schema":"http://json-schema.org/draft-04/schema#","type":"number","minimum":1,"exclusiveMinimum":{b}}}"#
            )
        };
        assert!(diffs(&d4(false), &d4(true)).is_empty());
    }

    #[test]
    fn multiple_of_rules() {
        let m = |v: &str| format!(r#"{{"type":"number","multipleOf":{v}}}"#);
        assert_rule(r#"{"type":"number"}"#, &m("2"), "MULTIPLE_OF_ADDED", false);
        assert_rule(&m("0.5"), &m("10"), "MULTIPLE_OF_EXPANDED", false);
        assert_rule(&m("10"), &m("2.5"), "MULTIPLE_OF_REDUCED", true);
        assert_rule(&m("10"), &m("3"), "MULTIPLE_OF_CHANGED", false);
        assert!(diffs(&m("0.5"), &m("0.50")).is_empty());
        assert_rule(&m("0.1"), &m("0.3"), "MULTIPLE_OF_EXPANDED", false);
        // Like Everit, a multipleOf that is 0 as a double is rejected.
        assert!(parse_err(&m("1e-400")).contains("multipleOf"));
    }

    #[test]
    fn object_size_constraints() {
        assert_rule(r#"{"maxProperties":2}"#, r#"{"maxProperties":1}"#, "MAX_PROPERTIES_DECREASED", false);
        assert_rule(r#"{"minProperties":1}"#, r#"{"minProperties":2}"#, "MIN_PROPERTIES_INCREASED", false);
        assert_rule(r#"{"type":"object"}"#, r#"{"type":"object","maxProperties":3}"#, "MAX_PROPERTIES_ADDED", false);
    }

    #[test]
    fn dependencies_rules() {
        let d = |deps: &str| format!(r#"{{"properties":{{"a":{{}},"b":{{}},"c":{{}}}},"dependencies":{deps}}}"#);
        assert_rule(&d(r#"{"a":["b"]}"#), &d(r#"{"a":["b","c"]}"#), "DEPENDENCY_ARRAY_EXTENDED", false);
        assert_rule(&d(r#"{"a":["b","c"]}"#), &d(r#"{"a":["b"]}"#), "DEPENDENCY_ARRAY_NARROWED", true);
        assert_rule(&d(r#"{"a":["b"]}"#), &d(r#"{"a":["c"]}"#), "DEPENDENCY_ARRAY_CHANGED", false);
        assert_rule(&d(r#"{}"#), &d(r#"{"a":["b"]}"#), "DEPENDENCY_ARRAY_ADDED", false);
        assert_rule(&d(r#"{}"#), &d(r#"{"a":{"required":["b"]}}"#), "DEPENDENCY_SCHEMA_ADDED", false);
        // 2019-09+: dependentRequired / dependentSchemas.
        let m = |deps: &str| {
            format!(
                r#"{{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","dependentRequired":{deps}}}"#
            )
        };
        assert_rule(&m(r#"{"a":["b"]}"#), &m(r#"{"a":["b","c"]}"#), "DEPENDENCY_ARRAY_EXTENDED", false);
    }

    #[test]
    fn array_rules() {
        let a = r#"{"type":"array","items":{"type":"string"}}"#;
        assert_rule(a, r#"{"type":"array","items":{"type":"number"}}"#, "TYPE_CHANGED", false);
        assert_rule(r#"{"type":"array"}"#, a, "SCHEMA_ADDED", false);
        assert_rule(a, r#"{"type":"array"}"#, "SCHEMA_REMOVED", true);
        assert_rule(r#"{"type":"array"}"#, r#"{"type":"array","maxItems":3}"#, "MAX_ITEMS_ADDED", false);
        assert_rule(
            r#"{"type":"array","maxItems":3}"#,
            r#"{"type":"array","maxItems":4}"#,
            "MAX_ITEMS_INCREASED",
            true,
        );
        assert_rule(r#"{"type":"array"}"#, r#"{"type":"array","minItems":1}"#, "MIN_ITEMS_ADDED", false);
        assert_rule(r#"{"type":"array"}"#, r#"{"type":"array","uniqueItems":true}"#, "UNIQUE_ITEMS_ADDED", false);
        let tuple = r#"{"type":"array","items":[{"type":"string"}]}"#;
        let tuple2 = r#"{"type":"array","items":[{"type":"string"},{"type":"number"}]}"#;
        assert_rule(tuple, tuple2, "ITEM_ADDED_TO_OPEN_CONTENT_MODEL", false);
        assert_rule(tuple2, tuple, "ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL", true);
        let closed = r#"{"type":"array","items":[{"type":"string"},{"type":"number"}],"additionalItems":false}"#;
        let closed1 = r#"{"type":"array","items":[{"type":"string"}],"additionalItems":false}"#;
        assert_rule(closed, closed1, "ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL", false);
        assert_rule(tuple, closed1, "ADDITIONAL_ITEMS_REMOVED", false);
        assert_rule(
            r#"{"type":"array","additionalItems":true}"#,
            r#"{"type":"array","additionalItems":{"type":"string"}}"#,
            "ADDITIONAL_ITEMS_NARROWED",
            false,
        );
        // 2020-12 prefixItems / items.
        let p = |s: &str| format!(r#"{{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array",{s}}}"#);
        assert_rule(
            &p(r#""prefixItems":[{"type":"string"}]"#),
            &p(r#""prefixItems":[{"type":"string"}],"items":false"#),
            "ADDITIONAL_ITEMS_REMOVED",
            false,
        );
        assert_rule(&p(r#""items":{"type":"string"}"#), &p(r#""items":{"type":"integer"}"#), "TYPE_CHANGED", false);
        assert_rule(
            &p(r#""contains":{"type":"string"}"#),
            &p(r#""contains":{"type":"string"},"minContains":2"#),
            "MIN_CONTAINS_INCREASED",
            false,
        );
        assert_rule(
            &p(r#""contains":{"type":"string"},"maxContains":2"#),
            &p(r#""contains":{"type":"string"}"#),
            "MAX_CONTAINS_REMOVED",
            true,
        );
    }

    #[test]
    fn unevaluated_properties_rules() {
        let s = |extra: &str| {
            format!(
                r#"{{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{{"a":{{"type":"string"}}}}{extra}}}"#
            )
        };
        assert_rule(&s(""), &s(r#","unevaluatedProperties":false"#), "UNEVALUATED_PROPERTIES_REMOVED", false);
        assert_rule(&s(r#","unevaluatedProperties":false"#), &s(""), "UNEVALUATED_PROPERTIES_ADDED", true);
        assert_rule(
            &s(""),
            &s(r#","unevaluatedProperties":{"type":"string"}"#),
            "UNEVALUATED_PROPERTIES_NARROWED",
            false,
        );
        // A closed model through unevaluatedProperties: adding an optional property is fine.
        let closed = s(r#","unevaluatedProperties":false"#);
        let added = closed.replace(r#""a":{"type":"string"}"#, r#""a":{"type":"string"},"b":{"type":"string"}"#);
        assert_rule(&closed, &added, "OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL", true);
    }

    #[test]
    fn combined_type_changed() {
        let one = r#"{"oneOf":[{"type":"string"},{"type":"number"}]}"#;
        let all = r#"{"allOf":[{"type":"string"},{"type":"number"}]}"#;
        assert_rule(one, all, "COMBINED_TYPE_CHANGED", false);
        assert_rule(all, r#"{"anyOf":[{"type":"string"},{"type":"number"}]}"#, "COMBINED_TYPE_EXTENDED", true);
    }

    #[test]
    fn product_type_extended_and_narrowed() {
        let one = r#"{"allOf":[{"type":"string"}]}"#;
        let two = r#"{"allOf":[{"type":"string"},{"maxLength":4}]}"#;
        assert_rule(one, two, "PRODUCT_TYPE_EXTENDED", false);
        assert_rule(two, one, "PRODUCT_TYPE_NARROWED", true);
        // `type` + `enum` is a synthetic allOf; dropping the enum narrows the product.
        assert_rule(r#"{"type":"string","enum":["a"]}"#, r#"{"type":"string"}"#, "PRODUCT_TYPE_NARROWED", true);
        // `type` consumes its own keywords: this is a single string schema.
        assert_eq!(
            diffs(r#"{"type":"string","maxLength":3}"#, r#"{"type":"string"}"#),
            ["MAX_LENGTH_REMOVED #/maxLength"]
        );
    }

    #[test]
    fn sum_type_extended_and_narrowed() {
        let one = r#"{"oneOf":[{"type":"string"}]}"#;
        let two = r#"{"oneOf":[{"type":"string"},{"type":"null"}]}"#;
        assert_rule(one, two, "SUM_TYPE_EXTENDED", true);
        assert_rule(two, one, "SUM_TYPE_NARROWED", false);
        assert_rule(r#"{"type":"string"}"#, r#"{"type":["string","null"]}"#, "SUM_TYPE_EXTENDED", true);
        assert_eq!(breaks(r#"{"type":["string","null"]}"#, r#"{"type":"string"}"#), ["TYPE_CHANGED"]);
    }

    #[test]
    fn combined_type_subschemas_changed() {
        let a = r#"{"anyOf":[{"type":"string"},{"type":"number"}]}"#;
        let b = r#"{"anyOf":[{"type":"string"},{"type":"boolean"}]}"#;
        assert_rule(a, b, "COMBINED_TYPE_SUBSCHEMAS_CHANGED", false);
    }

    #[test]
    fn not_type_extended_and_narrowed() {
        let n = r#"{"not":{"type":"number"}}"#;
        let i = r#"{"not":{"type":"integer"}}"#;
        assert_rule(n, i, "NOT_TYPE_NARROWED", true);
        assert_rule(i, n, "NOT_TYPE_EXTENDED", false);
    }

    #[test]
    fn local_refs_definitions_and_defs() {
        let defs = |t: &str| {
            format!(r##"{{"properties":{{"a":{{"$ref":"#/definitions/A"}}}},"definitions":{{"A":{{"type":"{t}"}}}}}}"##)
        };
        assert_eq!(diffs(&defs("string"), &defs("number")), ["TYPE_CHANGED #/properties/a"]);
        let d2020 = |t: &str| {
            format!(
                r##"{{"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{{"a":{{"$ref":"#/$defs/A"}}}},"$defs":{{"A":{{"type":"{t}"}}}}}}"##
            )
        };
        assert_eq!(breaks(&d2020("integer"), &d2020("number")), Vec::<String>::new());
        assert_eq!(breaks(&d2020("number"), &d2020("integer")), ["TYPE_NARROWED"]);
        // Moving an inline schema behind a $ref is not a change.
        assert!(diffs(r#"{"type":"string"}"#, r##"{"$ref":"#/definitions/s","definitions":{"s":{"type":"string"}}}"##)
            .is_empty());
        // `#/$defs/X` finds a body under `definitions` (Confluent's bridging).
        parse(r##"{"properties":{"a":{"$ref":"#/$defs/X"}},"definitions":{"X":{"type":"string"}}}"##);
        // Escaped pointer tokens.
        parse(r##"{"properties":{"a":{"$ref":"#/definitions/a~1b%20c"}},"definitions":{"a/b c":{"type":"string"}}}"##);
    }

    #[test]
    fn refs_by_id_and_anchor() {
        parse(
            r##"{"$id":"http://example.com/root.json","definitions":{"A":{"$id":"#foo","type":"string"}},"properties":{"a":{"$ref":"#foo"}}}"##,
        );
        parse(
            r##"{"$id":"http://example.com/root.json","definitions":{"A":{"$id":"item.json","type":"string"}},"properties":{"a":{"$ref":"item.json"}}}"##,
        );
        parse(
            r##"{"$schema":"https://json-schema.org/draft/2020-12/schema","$defs":{"A":{"$anchor":"foo","type":"string"}},"properties":{"a":{"$ref":"#foo"}}}"##,
        );
        assert!(parse_err(r##"{"properties":{"a":{"$ref":"#nope"}}}"##).contains("cannot resolve $ref"));
    }

    #[test]
    fn ref_with_siblings_2020_12_is_an_allof() {
        let s = |t: &str| {
            format!(
                r##"{{"$schema":"https://json-schema.org/draft/2020-12/schema","$defs":{{"B":{{"type":"object"}}}},"$ref":"#/$defs/B","properties":{{"a":{{"type":"{t}"}}}}}}"##
            )
        };
        assert!(breaks(&s("string"), &s("string")).is_empty());
        assert!(!breaks(&s("string"), &s("number")).is_empty());
        // Draft 7 ignores $ref siblings, like Everit.
        let d7 = |t: &str| {
            format!(
                r##"{{"definitions":{{"B":{{"type":"object"}}}},"$ref":"#/definitions/B","properties":{{"a":{{"type":"{t}"}}}}}}"##
            )
        };
        assert!(breaks(&d7("string"), &d7("number")).is_empty());
    }

    #[test]
    fn registry_references() {
        let address = r#"{"type":"object","properties":{"street":{"type":"string"}}}"#;
        let address2 = r#"{"type":"object","properties":{"street":{"type":"number"}}}"#;
        let customer = r#"{"type":"object","properties":{"address":{"$ref":"address.json"}}}"#;
        let a = JsonSchema::parse(customer, &[("address.json", address)], false).unwrap();
        let b = JsonSchema::parse(customer, &[("address.json", address2)], false).unwrap();
        let found = check_compatibility(&b, &a, true);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].error_type, "TYPE_CHANGED");
        assert!(found[0].description.contains("#/properties/address/properties/street"));
        // Fragment into a referenced document, relative names, transitive references.
        let defs = r#"{"definitions":{"Id":{"type":"string"}}}"#;
        let with_frag = r##"{"properties":{"id":{"$ref":"defs.json#/definitions/Id"}}}"##;
        JsonSchema::parse(with_frag, &[("defs.json", defs)], false).unwrap();
        JsonSchema::parse(r#"{"$ref":"./defs.json"}"#, &[("defs.json", defs)], false).unwrap();
        let mid = r##"{"properties":{"id":{"$ref":"defs.json#/definitions/Id"}}}"##;
        JsonSchema::parse(r#"{"$ref":"mid.json"}"#, &[("defs.json", defs), ("mid.json", mid)], false).unwrap();
        // Absolute names and a root $id.
        let root = r#"{"$id":"https://example.com/schemas/customer.json","properties":{"a":{"$ref":"address.json"}}}"#;
        JsonSchema::parse(root, &[("https://example.com/schemas/address.json", address)], false).unwrap();
        JsonSchema::parse(root, &[("address.json", address)], false).unwrap();
        // Missing or broken references.
        assert!(JsonSchema::parse(customer, &[], false).unwrap_err().0.contains("cannot resolve $ref"));
        assert!(JsonSchema::parse(customer, &[("address.json", "{")], false).is_err());
    }

    // --------------------------------------------------------------------------------------------
    // Messages
    // --------------------------------------------------------------------------------------------

    #[test]
    fn incompatibility_display_and_words() {
        let old = parse(OBJ_FOO);
        let new = parse(r#"{"type":"object","properties":{"foo":{"type":"number"}}}"#);
        let backward = check_compatibility(&new, &old, true);
        assert_eq!(
            backward[0].to_string(),
            "{errorType:\"TYPE_CHANGED\", description:\"A type at path '#/properties/foo' is different between the new schema and the old schema'}"
        );
        let forward = check_compatibility(&old, &new, false);
        assert_eq!(
            forward[0].description,
            "A type at path '#/properties/foo' is different between the old schema and the new schema"
        );
        let added = check_compatibility(
            &parse(
                r#"{"type":"object","properties":{"foo":{"type":"string"},"x":{}},"required":["x"],"additionalProperties":false}"#,
            ),
            &parse(CLOSED_FOO),
            true,
        );
        assert_eq!(
            added[0].description,
            "The new schema has an unopen content model and has a required property at path '#/properties/x' which is missing in the old schema"
        );
        let open = check_compatibility(
            &parse(r#"{"type":"object","properties":{"foo":{"type":"string"},"x":{"type":"string"}}}"#),
            &old,
            true,
        );
        assert_eq!(open[0].error_type, "OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL");
        assert_eq!(
            open[0].description,
            "The new schema has an open content model and has a property or item at path '#/properties/x' which is missing in the old schema"
        );
    }

    // --------------------------------------------------------------------------------------------
    // Canonical string, normalization, name
    // --------------------------------------------------------------------------------------------

    #[test]
    fn canonical_is_compact_and_keeps_key_order() {
        let s = parse("{\n  \"type\" : \"object\",\n  \"properties\" : { \"b\" : {\"type\":\"string\"}, \"a\" : {} },\n  \"$id\" : \"x\"\n}");
        assert_eq!(s.canonical(), r#"{"type":"object","properties":{"b":{"type":"string"},"a":{}},"$id":"x"}"#);
        assert_eq!(parse("true").canonical(), "true");
    }

    #[test]
    fn canonical_numbers_follow_jackson_bigdecimal() {
        let s = parse(
            r#"{"default":[1.0,1e5,1.50E+3,0.0000001,-0,-0.0,123456789012345678901234567890,0.001,12.3400,1E-7,-2.5e-3,10e-1,0e10]}"#,
        );
        assert_eq!(
            s.canonical(),
            r#"{"default":[1.0,1E+5,1.50E+3,1E-7,0,0.0,123456789012345678901234567890,0.001,12.3400,1E-7,-0.0025,1.0,0E+10]}"#
        );
    }

    #[test]
    fn canonical_strings_follow_jackson_escaping() {
        let s = parse(r#"{"description":"a\/b \u001f\t\n\"\\ é \ud83d\ude00 \u2028"}"#);
        assert_eq!(s.canonical(), "{\"description\":\"a/b \\u001F\\t\\n\\\"\\\\ é \u{1F600} \u{2028}\"}");
    }

    #[test]
    fn duplicate_keys_last_value_wins_in_first_position() {
        assert_eq!(
            parse(r#"{"type":"string","title":"a","type":"number"}"#).canonical(),
            r#"{"type":"number","title":"a"}"#
        );
    }

    #[test]
    fn normalize_sorts_keys_recursively() {
        let text = r#"{"type":"object","properties":{"b":{"type":"string","maxLength":1},"a":{}},"$id":"x","enum":[{"z":1,"y":2}]}"#;
        let n = JsonSchema::parse(text, &[], true).unwrap();
        assert_eq!(
            n.canonical(),
            r#"{"$id":"x","enum":[{"y":2,"z":1}],"properties":{"a":{},"b":{"maxLength":1,"type":"string"}},"type":"object"}"#
        );
        // Java orders by UTF-16 code units: U+E000 sorts after the surrogates of U+1F600.
        let n = JsonSchema::parse("{\"\u{E000}\":1,\"\u{1F600}\":2}", &[], true).unwrap();
        assert_eq!(n.canonical(), "{\"\u{1F600}\":2,\"\u{E000}\":1}");
    }

    #[test]
    fn normalized_forms_of_reordered_schemas_with_references_are_equal() {
        let ref1 = r#"{"type":"object","additionalProperties":false,"definitions":{"ExternalType":{"type":"object","properties":{"name":{"type":"string"}},"additionalProperties":false}}}"#;
        let ref2 = r#"{"type":"object","additionalProperties":false,"definitions":{"ExternalType2":{"type":"object","properties":{"name2":{"type":"string"}},"additionalProperties":false}}}"#;
        let one = r##"{"$id": "https://acme.com/referrer.json","$schema": "http://json-schema.org/draft-07/schema#","type":"object","properties":{"Ref1": {"$ref":"ref1.json#/definitions/ExternalType"},"Ref2": {"$ref":"ref2.json#/definitions/ExternalType2"}},"additionalProperties":false}"##;
        let two = r##"{"$schema": "http://json-schema.org/draft-07/schema#","$id": "https://acme.com/referrer.json","type":"object","properties":{"Ref2": {"$ref":"ref2.json#/definitions/ExternalType2"},"Ref1": {"$ref":"ref1.json#/definitions/ExternalType"}},"additionalProperties":false}"##;
        let refs = [("ref1.json", ref1), ("ref2.json", ref2)];
        let a = JsonSchema::parse(one, &refs, true).unwrap();
        let b = JsonSchema::parse(two, &[refs[1], refs[0]], true).unwrap();
        assert_eq!(a.canonical(), b.canonical());
        let a = JsonSchema::parse(one, &refs, false).unwrap();
        let b = JsonSchema::parse(two, &refs, false).unwrap();
        assert_ne!(a.canonical(), b.canonical());
        assert!(check_compatibility(&a, &b, true).is_empty());
        // Confluent's "bad schema" is rejected.
        assert!(parse_err(
            r#"{"type":"bad-object","properties":{"f1":{"type":"string"}},"additionalProperties":false}"#
        )
        .contains("type"));
    }

    #[test]
    fn ref_with_read_only_sibling_and_unknown_keywords_compares_equal_to_itself() {
        let s = parse(
            r##"{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"incidentContext":{"$ref":"#/$defs/IncidentContext"}},"$defs":{"IncidentContext":{"type":"object","properties":{"incidentInvolvedParties":{"type":"array","items":{"$ref":"#/$defs/RelatedPerson"}}}},"RelatedPerson":{"type":"object","properties":{"sanctionsCheckResult":{"readOnly":true,"$ref":"#/$defs/SanctionsCheckResult"}},"discriminator":{"propertyName":"relatedPersonType","mapping":{"NaturalPerson":"#/$defs/NaturalPerson","LegalPerson":"#/$defs/LegalPerson"}}},"NaturalPerson":{"type":"object","allOf":[],"properties":{}},"LegalPerson":{"type":"object","allOf":[],"properties":{}},"SanctionsCheckResult":{"type":"object","properties":{}}}}"##,
        );
        assert!(raw_differences(&s, &s).is_empty());
    }

    #[test]
    fn name_is_root_title() {
        assert_eq!(parse(r#"{"title":"Customer","type":"object"}"#).name(), Some("Customer"));
        assert_eq!(parse(r#"{"type":"object"}"#).name(), None);
        assert_eq!(parse("true").name(), None);
    }

    // --------------------------------------------------------------------------------------------
    // Drafts and validation
    // --------------------------------------------------------------------------------------------

    #[test]
    fn drafts_are_selected_by_schema_keyword() {
        parse(
            r#"{"$schema":"http://json-schema.org/draft-04/schema#","type":"number","minimum":1,"exclusiveMinimum":true}"#,
        );
        assert!(parse_err(
            r#"{"$schema":"http://json-schema.org/draft-04/schema#","type":"number","exclusiveMinimum":1}"#
        )
        .contains("exclusiveMinimum"));
        parse(r#"{"$schema":"http://json-schema.org/draft-06/schema#","type":"number","exclusiveMinimum":1}"#);
        parse(r#"{"$schema":"http://json-schema.org/draft-07/schema#","if":{"type":"string"},"then":{"minLength":1}}"#);
        parse(
            r#"{"$schema":"https://json-schema.org/draft/2019-09/schema","type":"object","unevaluatedProperties":false}"#,
        );
        parse(
            r#"{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","prefixItems":[{"type":"string"}]}"#,
        );
        // Unknown meta-schema URIs fall back to draft-07 (Confluent's default).
        parse(r#"{"$schema":"http://example.com/custom-meta","type":"string"}"#);
        // Draft 4 uses `id`.
        parse(
            r##"{"$schema":"http://json-schema.org/draft-04/schema#","id":"http://x.com/a.json","properties":{"a":{"$ref":"#/definitions/b"}},"definitions":{"b":{}}}"##,
        );
        // Everit accepts empty `required` even where the draft-04 meta-schema does not.
        parse(r#"{"$schema":"http://json-schema.org/draft-04/schema#","type":"object","required":[]}"#);
    }

    #[test]
    fn invalid_schemas_are_rejected() {
        assert!(parse_err("").contains("Invalid JSON"));
        assert!(parse_err("{").contains("Invalid JSON"));
        assert!(parse_err("{} trailing").contains("Invalid JSON"));
        assert!(parse_err("[1]").contains("expected an object or boolean"));
        assert!(parse_err("42").contains("expected an object or boolean"));
        assert!(parse_err(r#""string""#).contains("expected an object or boolean"));
        assert!(parse_err(r#"{"type":"strin"}"#).contains("#/type"));
        assert!(parse_err(r#"{"minLength":-1}"#).contains("#/minLength"));
        assert!(parse_err(r#"{"properties":{"a":1}}"#).contains("Invalid JSON schema"));
        assert!(parse_err(r#"{"type":"string","pattern":"[unclosed"}"#).contains("pattern"));
        assert!(parse_err(r#"{"multipleOf":0}"#).contains("multipleOf"));
        assert!(parse_err(r#"{"$schema":5}"#).contains("$schema"));
        assert!(parse_err(r##"{"$ref":"#/definitions/missing"}"##).contains("cannot resolve"));
        assert!(parse_err(r#"{"$ref":"http://example.com/remote.json"}"#).contains("cannot resolve"));
        assert!(parse_err("{\"a\":\"\\ud800\"}").contains("surrogate"));
        assert!(parse_err("{\"a\":\"x\u{1}\"}").contains("control"));
        assert!(parse_err(r#"{"a":01}"#).contains("leading zeros"));
        assert!(parse_err(r#"{"a":NaN}"#).contains("Invalid JSON"));
    }

    #[test]
    fn json_schema_is_send_sync_and_cheap_to_clone() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<JsonSchema>();
        let s = parse(OBJ_FOO);
        let c = s.clone();
        assert!(Arc::ptr_eq(&s.inner, &c.inner));
    }

    // --------------------------------------------------------------------------------------------
    // Hostile input
    // --------------------------------------------------------------------------------------------

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let deep = format!("{}{}", "{\"not\":".repeat(100_000), "}".repeat(100_000));
        assert!(parse_err(&deep).contains("nesting deeper"));
        let deep = format!("{}{}", "[".repeat(1_000_000), "]".repeat(1_000_000));
        assert!(parse_err(&deep).contains("nesting deeper"));
        // The deepest accepted nesting parses, validates and compares without trouble.
        let nested = |leaf: &str| {
            let mut s = format!(r#"{{"type":"{leaf}"}}"#);
            for _ in 0..(MAX_JSON_DEPTH / 2 - 1) {
                s = format!(r#"{{"properties":{{"a":{s}}}}}"#);
            }
            s
        };
        assert_eq!(breaks(&nested("string"), &nested("number")), ["TYPE_CHANGED"]);
        let mut nots = String::from("{}");
        for _ in 0..(MAX_JSON_DEPTH - 1) {
            nots = format!(r#"{{"not":{nots}}}"#);
        }
        assert!(breaks(&nots, &nots).is_empty());
    }

    #[test]
    fn ref_cycles_terminate() {
        let cycles = [
            r##"{"$ref":"#"}"##,
            r##"{"$ref":"#/definitions/a","definitions":{"a":{"$ref":"#/definitions/b"},"b":{"$ref":"#/definitions/a"}}}"##,
            r##"{"type":"object","properties":{"child":{"$ref":"#"},"list":{"type":"array","items":{"$ref":"#"}}}}"##,
            r##"{"oneOf":[{"type":"null"},{"type":"object","properties":{"next":{"$ref":"#"}}}]}"##,
        ];
        for text in cycles {
            let s = parse(text);
            assert!(check_compatibility(&s, &s, true).is_empty(), "{text}");
        }
        // A real change deep inside a recursive structure is still found.
        let list = |t: &str| {
            format!(
                r##"{{"definitions":{{"node":{{"type":"object","properties":{{"v":{{"type":"{t}"}},"next":{{"oneOf":[{{"type":"null"}},{{"$ref":"#/definitions/node"}}]}}}}}}}},"$ref":"#/definitions/node"}}"##
            )
        };
        assert!(breaks(&list("string"), &list("number")).contains(&"TYPE_CHANGED".to_string()));
        assert!(breaks(&list("integer"), &list("number")).is_empty());
    }

    #[test]
    fn recursive_oneof_memoization_does_not_mask_incompatibility() {
        // T0 and T1 carry an `id` and a `ref` through a singleton oneOf; T0 -> T2 -> T0 is a cycle.
        let schema = |t0: &str, t1: &str| {
            let obj = |id: &str, next: &str| {
                format!(
                    r##"{{"type":"object","properties":{{"id":{{"type":"{id}"}},"ref":{{"oneOf":[{{"$ref":"#/definitions/{next}"}}]}}}}}}"##
                )
            };
            format!(
                r##"{{"definitions":{{"T0":{},"T1":{},"T2":{}}},"oneOf":[{{"$ref":"#/definitions/T0"}},{{"$ref":"#/definitions/T1"}}]}}"##,
                obj(t0, "T2"),
                obj(t1, "T2"),
                obj("string", "T0")
            )
        };
        assert!(!breaks(&schema("integer", "boolean"), &schema("boolean", "number")).is_empty());
        assert!(breaks(&schema("integer", "boolean"), &schema("integer", "boolean")).is_empty());
    }

    #[test]
    fn circular_oneof_schemas_compare_quickly() {
        let schema = |branches: usize, props: usize, id_type: &str| {
            let mut defs = vec![
                format!(
                    r#""SimpleId":{{"type":"object","properties":{{"id":{{"type":"{id_type}"}}}},"required":["id"]}}"#
                ),
                r#""Base":{"type":"object","properties":{"name":{"type":"string"}}}"#.to_string(),
                r##""ProductOrId":{"oneOf":[{"$ref":"#/$defs/SimpleId"},{"$ref":"#/$defs/Product"}]}"##.to_string(),
            ];
            for i in 0..branches {
                let refs: Vec<String> =
                    (0..props).map(|p| format!(r##""ref{p}":{{"$ref":"#/$defs/ProductOrId"}}"##)).collect();
                defs.push(format!(
                    r##""Type{i}":{{"$ref":"#/$defs/Base","type":"object","properties":{{{},"tag":{{"type":"string","const":"type{i}"}}}},"required":["ref0","tag"]}}"##,
                    refs.join(",")
                ));
            }
            let branches: Vec<String> = (0..branches).map(|i| format!(r##"{{"$ref":"#/$defs/Type{i}"}}"##)).collect();
            defs.push(format!(r#""Product":{{"oneOf":[{}]}}"#, branches.join(",")));
            format!(
                r##"{{"$schema":"https://json-schema.org/draft/2020-12/schema","$defs":{{{}}},"$ref":"#/$defs/Product"}}"##,
                defs.join(",")
            )
        };
        let start = std::time::Instant::now();
        assert!(breaks(&schema(12, 5, "string"), &schema(12, 5, "string")).is_empty());
        assert!(!breaks(&schema(12, 5, "string"), &schema(12, 5, "number")).is_empty());
        assert!(start.elapsed() < std::time::Duration::from_secs(20));
    }

    #[test]
    fn long_ref_chains_parse_and_abort_comparison_cleanly() {
        let chain = |n: usize, leaf: &str| {
            let mut defs: Vec<String> = (0..n)
                .map(|i| {
                    format!(
                        r##""A{i}":{{"type":"object","properties":{{"x":{{"$ref":"#/definitions/A{}"}}}}}}"##,
                        i + 1
                    )
                })
                .collect();
            defs.push(format!(r#""A{n}":{{"type":"{leaf}"}}"#));
            format!(r##"{{"$ref":"#/definitions/A0","definitions":{{{}}}}}"##, defs.join(","))
        };
        assert_eq!(breaks(&chain(100, "string"), &chain(100, "number")), ["TYPE_CHANGED"]);
        assert_eq!(breaks(&chain(5000, "string"), &chain(5000, "string")), ["COMPATIBILITY_CHECK_ABORTED"]);
    }

    #[test]
    fn huge_numbers_are_bounded() {
        assert!(parse_err(r#"{"maximum":1e99999999999}"#).contains("exponent"));
        assert!(parse_err(&format!(r#"{{"maximum":{}}}"#, "9".repeat(1001))).contains("longer than"));
        let big = format!(r#"{{"type":"number","maximum":{}}}"#, "9".repeat(999));
        let s = parse(&big);
        assert!(s.canonical().contains(&"9".repeat(999)));
        let s2 = parse(r#"{"type":"number","maximum":1e308,"minimum":-1e400,"multipleOf":1e-300}"#);
        assert!(check_compatibility(&s2, &s, true).iter().all(|i| i.error_type != "COMPATIBILITY_CHECK_ABORTED"));
        assert_eq!(parse(r#"{"default":1e999999999}"#).canonical(), r#"{"default":1E+999999999}"#);
    }

    #[test]
    fn pathological_patterns_do_not_hang() {
        let s = r#"{"type":"object","properties":{"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!":{"type":"string"}},"additionalProperties":false}"#;
        let u = r#"{"type":"object","additionalProperties":false,"patternProperties":{"^(a+)+$":{"type":"string"}}}"#;
        assert_eq!(breaks(s, u), ["PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL"]);
    }

    #[test]
    fn wide_schemas_are_fine() {
        let props: Vec<String> = (0..5000).map(|i| format!(r#""p{i}":{{"type":"string"}}"#)).collect();
        let text = format!(r#"{{"type":"object","properties":{{{}}}}}"#, props.join(","));
        let s = parse(&text);
        assert!(check_compatibility(&s, &s, true).is_empty());
        let values: Vec<String> = (0..50000).map(|i| format!(r#""v{i}""#)).collect();
        let e = parse(&format!(r#"{{"enum":[{}]}}"#, values.join(",")));
        assert!(check_compatibility(&e, &e, true).is_empty());
        let branches: Vec<String> = (0..2000).map(|i| format!(r#"{{"const":{i}}}"#)).collect();
        let wide = parse(&format!(r#"{{"oneOf":[{}]}}"#, branches.join(",")));
        assert_eq!(
            check_compatibility(&wide, &wide, true).into_iter().map(|i| i.error_type).collect::<Vec<_>>(),
            ["COMPATIBILITY_CHECK_ABORTED"]
        );
        let many_keys: Vec<String> = (0..20000).map(|i| format!(r#""k{i}":{i}"#)).collect();
        parse(&format!(r#"{{"default":{{{}}}}}"#, many_keys.join(",")));
    }
}
