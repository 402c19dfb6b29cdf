//! Printing: JSON output helpers, the printer (`Schema.toString`) and the normalizer
//! (`AvroSchemaUtils.toNormalizedString`).

use super::*;

/// A JSON string as Jackson writes it (control characters as `\u00XX` with upper-case hex).
pub(super) fn push_json_str(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

pub(super) fn json_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    push_json_str(s, &mut out);
    out
}

/// Java's `Double.toString` / `Float.toString` layout from Rust's shortest round-trip digits
/// (`{:e}` output, e.g. `1.5e-7`).
pub(super) fn java_float_text(sci: &str, negative: bool) -> String {
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let sign = if negative { "-" } else { "" };
    if (-3..7).contains(&exp) {
        if exp >= 0 {
            let int_len = exp as usize + 1;
            let mut int_part: String = digits.chars().take(int_len).collect();
            while int_part.len() < int_len {
                int_part.push('0');
            }
            let frac: String = digits.chars().skip(int_len).collect();
            format!("{sign}{int_part}.{}", if frac.is_empty() { "0" } else { &frac })
        } else {
            format!("{sign}0.{}{digits}", "0".repeat((-exp - 1) as usize))
        }
    } else {
        let rest = &digits[digits.len().min(1)..];
        format!("{sign}{}.{}E{exp}", &digits[..digits.len().min(1)], if rest.is_empty() { "0" } else { rest })
    }
}

pub(super) fn java_double(d: f64) -> String {
    if d.is_nan() {
        return "NaN".into();
    }
    if d.is_infinite() {
        return if d > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    if d == 0.0 {
        return if d.is_sign_negative() { "-0.0" } else { "0.0" }.into();
    }
    java_float_text(&format!("{:e}", d.abs()), d < 0.0)
}

pub(super) fn java_float(f: f32) -> String {
    if !f.is_finite() || f == 0.0 {
        return java_double(f64::from(f));
    }
    java_float_text(&format!("{:e}", f.abs()), f < 0.0)
}

pub(super) fn push_number(n: &serde_json::Number, out: &mut String) {
    if let Some(i) = n.as_i64() {
        out.push_str(&i.to_string());
    } else if let Some(u) = n.as_u64() {
        out.push_str(&u.to_string());
    } else {
        out.push_str(&java_double(n.as_f64().unwrap_or(0.0)));
    }
}

/// A JSON value as Jackson's `JsonNode.toString()` prints it; `sort` orders object keys
/// (Confluent's `SortingNodeFactory`).
pub(super) fn push_json(v: &Value, sort: bool, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => push_number(n, out),
        Value::String(s) => push_json_str(s, out),
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                push_json(x, sort, out);
            }
            out.push(']');
        }
        Value::Object(o) => {
            let mut entries: Vec<(&String, &Value)> = o.iter().collect();
            if sort {
                entries.sort_by(|a, b| a.0.cmp(b.0));
            }
            out.push('{');
            for (i, (k, x)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                push_json_str(k, out);
                out.push(':');
                push_json(x, sort, out);
            }
            out.push('}');
        }
    }
}

pub(super) fn jackson(v: &Value) -> String {
    let mut out = String::new();
    push_json(v, false, &mut out);
    out
}

pub(super) struct Printer<'a> {
    pub(super) graph: &'a Graph,
    pub(super) known: HashSet<String>,
    pub(super) out: String,
}

impl Graph {
    /// Java `Schema.toString(referencedSchemas, false)`: `known` are the full names printed as
    /// references from the start.
    pub(super) fn print(&self, root: &Node, known: &[String]) -> Result<String, AvroError> {
        let mut p = Printer { graph: self, known: known.iter().cloned().collect(), out: String::new() };
        p.node(root, None, 0)?;
        Ok(p.out)
    }
}

impl Printer<'_> {
    pub(super) fn key(&mut self, k: &str) {
        self.out.push(',');
        push_json_str(k, &mut self.out);
        self.out.push(':');
    }

    pub(super) fn props(&mut self, props: &Props) {
        for (k, v) in props {
            self.key(k);
            push_json(v, false, &mut self.out);
        }
    }

    pub(super) fn node(&mut self, node: &Node, ns: Option<&str>, depth: usize) -> Result<(), AvroError> {
        if depth > MAX_DEPTH {
            return err("Schema nested too deeply");
        }
        match node {
            Node::Primitive(p, props) if props.is_empty() => push_json_str(p.name(), &mut self.out),
            Node::Primitive(p, props) => {
                self.out.push_str("{\"type\":");
                push_json_str(p.name(), &mut self.out);
                self.props(props);
                self.out.push('}');
            }
            Node::Array(inner, props) | Node::Map(inner, props) => {
                let array = matches!(node, Node::Array(..));
                self.out.push_str(if array {
                    "{\"type\":\"array\",\"items\":"
                } else {
                    "{\"type\":\"map\",\"values\":"
                });
                self.node(inner, ns, depth + 1)?;
                self.props(props);
                self.out.push('}');
            }
            Node::Union(branches) => {
                self.out.push('[');
                for (i, b) in branches.iter().enumerate() {
                    if i > 0 {
                        self.out.push(',');
                    }
                    self.node(b, ns, depth + 1)?;
                }
                self.out.push(']');
            }
            Node::Named(slot) => self.named_type(*slot, ns, depth)?,
        }
        Ok(())
    }

    /// A named type: its full definition the first time it is printed, its name after that.
    fn named_type(&mut self, slot: usize, ns: Option<&str>, depth: usize) -> Result<(), AvroError> {
        let graph = self.graph;
        let Some(t) = graph.named(slot) else {
            push_json_str(&graph.slot_full_name(slot), &mut self.out);
            return Ok(());
        };
        if !self.known.insert(t.name.full()) {
            push_json_str(&t.name.qualified(ns), &mut self.out);
            return Ok(());
        }
        self.out.push_str("{\"type\":");
        push_json_str(t.kind_name(), &mut self.out);
        self.key("name");
        push_json_str(&t.name.name, &mut self.out);
        match (&t.name.space, ns) {
            (Some(space), current) if Some(space.as_str()) != current => {
                self.key("namespace");
                push_json_str(space, &mut self.out);
            }
            (None, Some(_)) => self.out.push_str(",\"namespace\":\"\""),
            _ => {}
        }
        if let Some(doc) = &t.doc {
            self.key("doc");
            push_json_str(doc, &mut self.out);
        }
        match &t.kind {
            Kind::Record { fields, .. } => {
                self.out.push_str(",\"fields\":[");
                for (i, f) in fields.iter().enumerate() {
                    if i > 0 {
                        self.out.push(',');
                    }
                    self.field(f, t.name.space.as_deref(), depth)?;
                }
                self.out.push(']');
            }
            Kind::Enum { symbols, default } => {
                self.out.push_str(",\"symbols\":[");
                self.out.push_str(&symbols.iter().map(|s| json_str(s)).collect::<Vec<_>>().join(","));
                self.out.push(']');
                if let Some(d) = default {
                    self.key("default");
                    push_json_str(d, &mut self.out);
                }
            }
            Kind::Fixed { size } => {
                self.key("size");
                self.out.push_str(&size.to_string());
            }
        }
        self.props(&t.props);
        if !t.aliases.is_empty() {
            let list: Vec<String> = t.aliases.iter().map(|a| json_str(&a.qualified(t.name.space.as_deref()))).collect();
            self.out.push_str(&format!(",\"aliases\":[{}]", list.join(",")));
        }
        self.out.push('}');
        Ok(())
    }

    pub(super) fn field(&mut self, f: &Field, ns: Option<&str>, depth: usize) -> Result<(), AvroError> {
        self.out.push_str("{\"name\":");
        push_json_str(&f.name, &mut self.out);
        self.key("type");
        self.node(&f.ty, ns, depth + 1)?;
        if let Some(doc) = &f.doc {
            self.key("doc");
            push_json_str(doc, &mut self.out);
        }
        if let Some(d) = &f.default {
            self.key("default");
            push_json(d, false, &mut self.out);
        }
        match f.order {
            Order::Ascending => {}
            Order::Descending => self.out.push_str(",\"order\":\"descending\""),
            Order::Ignore => self.out.push_str(",\"order\":\"ignore\""),
        }
        if !f.aliases.is_empty() {
            let list: Vec<String> = f.aliases.iter().map(|a| json_str(a)).collect();
            self.out.push_str(&format!(",\"aliases\":[{}]", list.join(",")));
        }
        self.props(&f.props);
        self.out.push('}');
        Ok(())
    }
}

/// The base a logical type annotates, for `LogicalTypes.fromSchemaIgnoreInvalid`.
#[derive(Clone, Copy)]
pub(super) enum LogicalBase {
    Prim(Prim),
    Fixed(i64),
    Other,
}

pub(super) fn prop<'a>(props: &'a Props, key: &str) -> Option<&'a Value> {
    props.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

/// Confluent's `setLogicalProps` text when the schema carries a logical type Avro Java accepts
/// (invalid or unknown logical types are plain properties).
pub(super) fn logical_segment(base: LogicalBase, props: &Props) -> Option<String> {
    let lt = prop(props, "logicalType")?.as_str()?;
    const INCOMPATIBLE: &[&str] = &["avro.java.string", "java-class", "java-key-class", "java-element-class"];
    if INCOMPATIBLE.iter().any(|p| prop(props, p).is_some_and(Value::is_string)) {
        return None;
    }
    let int_prop = |k: &str| prop(props, k).and_then(Value::as_i64).filter(|n| i32::try_from(*n).is_ok());
    let valid = match (lt, base) {
        ("decimal", LogicalBase::Prim(Prim::Bytes) | LogicalBase::Fixed(_)) => {
            let precision = int_prop("precision")?;
            let scale = if prop(props, "scale").is_some() { int_prop("scale")? } else { 0 };
            let max = match base {
                LogicalBase::Fixed(size) => ((2f64.log10()) * (8 * size - 1) as f64).floor().round() as i64,
                _ => i64::from(i32::MAX),
            };
            if precision <= 0 || precision > max || scale < 0 || scale > precision {
                return None;
            }
            let mut s = format!(",\"logicalType\":\"decimal\",\"precision\":{precision}");
            if scale != 0 {
                s.push_str(&format!(",\"scale\":{scale}"));
            }
            return Some(s);
        }
        ("big-decimal", LogicalBase::Prim(Prim::Bytes)) => true,
        ("duration", LogicalBase::Fixed(12)) => true,
        ("uuid", LogicalBase::Prim(Prim::String) | LogicalBase::Fixed(16)) => true,
        ("date" | "time-millis", LogicalBase::Prim(Prim::Int)) => true,
        (
            "time-micros"
            | "timestamp-millis"
            | "timestamp-micros"
            | "timestamp-nanos"
            | "local-timestamp-millis"
            | "local-timestamp-micros"
            | "local-timestamp-nanos",
            LogicalBase::Prim(Prim::Long),
        ) => true,
        _ => false,
    };
    valid.then(|| format!(",\"logicalType\":{}", json_str(lt)))
}

/// ISO-8859-1 round trip of a bytes/fixed default: characters above U+00FF become `?`.
pub(super) fn latin1(s: &str) -> String {
    s.chars()
        .flat_map(|c| {
            let n = if (c as u32) > 0xFFFF { 2 } else { 1 };
            std::iter::repeat_n(if (c as u32) > 0xFF { '?' } else { c }, n)
        })
        .collect()
}

impl Graph {
    /// Confluent's `AvroSchemaUtils.toNormalizedString`; `known` seeds the names printed as references.
    pub(super) fn normalized_text(&self, root: &Node, known: &[String]) -> Result<String, AvroError> {
        let mut env: HashSet<String> = known.iter().cloned().collect();
        let mut out = String::new();
        self.normalize(root, &mut env, &mut out, 0)?;
        Ok(out)
    }

    pub(super) fn sorted_props(props: &Props, out: &mut String) -> Result<(), AvroError> {
        let sorted: BTreeMap<&String, &Value> = props.iter().map(|(k, v)| (k, v)).collect();
        for (k, v) in sorted {
            out.push(',');
            push_json_str(k, out);
            out.push(':');
            push_json(v, true, out);
        }
        Ok(())
    }

    pub(super) fn normalize(
        &self,
        node: &Node,
        env: &mut HashSet<String>,
        out: &mut String,
        depth: usize,
    ) -> Result<(), AvroError> {
        if depth > MAX_DEPTH {
            return err("Schema nested too deeply");
        }
        match node {
            Node::Union(branches) => {
                out.push('[');
                for (i, b) in branches.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    self.normalize(b, env, out, depth + 1)?;
                }
                out.push(']');
            }
            Node::Array(inner, props) | Node::Map(inner, props) => {
                let array = matches!(node, Node::Array(..));
                out.push_str(if array { "{\"type\":\"array\",\"items\":" } else { "{\"type\":\"map\",\"values\":" });
                self.normalize(inner, env, out, depth + 1)?;
                Self::sorted_props(props, out)?;
                out.push('}');
            }
            Node::Primitive(p, props) => match logical_segment(LogicalBase::Prim(*p), props) {
                Some(lt) => {
                    out.push_str(&format!("{{\"type\":\"{}\"{lt}", p.name()));
                    Self::sorted_props(props, out)?;
                    out.push('}');
                }
                None if props.is_empty() => out.push_str(&json_str(p.name())),
                None => {
                    out.push_str(&format!("{{\"type\":\"{}\"", p.name()));
                    Self::sorted_props(props, out)?;
                    out.push('}');
                }
            },
            Node::Named(slot) => self.normalize_named(*slot, env, out, depth)?,
        }
        Ok(())
    }

    /// A named type in the normalized form: full definition the first time, its full name after.
    fn normalize_named(
        &self,
        slot: usize,
        env: &mut HashSet<String>,
        out: &mut String,
        depth: usize,
    ) -> Result<(), AvroError> {
        let full = self.slot_full_name(slot);
        let Some(t) = self.named(slot) else { return err(format!("Undefined schema: {full}")) };
        if !env.insert(full.clone()) {
            out.push_str(&json_str(&full));
            return Ok(());
        }
        let st = match t.kind {
            Kind::Record { .. } => "record",
            Kind::Enum { .. } => "enum",
            Kind::Fixed { .. } => "fixed",
        };
        out.push_str(&format!("{{\"name\":{},\"type\":\"{st}\"", json_str(&full)));
        let mut base = LogicalBase::Other;
        match &t.kind {
            Kind::Enum { symbols, .. } => {
                let list: Vec<String> = symbols.iter().map(|s| json_str(s)).collect();
                out.push_str(&format!(",\"symbols\":[{}]", list.join(",")));
            }
            Kind::Fixed { size } => {
                base = LogicalBase::Fixed(*size);
                out.push_str(&format!(",\"size\":{size}"));
            }
            Kind::Record { fields, .. } => {
                out.push_str(",\"fields\":[");
                for (i, f) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    self.normalize_field(f, env, out, depth)?;
                }
                out.push(']');
            }
        }
        if let Some(lt) = logical_segment(base, &t.props) {
            out.push_str(&lt);
        }
        if let Some(doc) = t.doc.as_deref().filter(|d| !d.is_empty()) {
            out.push_str(&format!(",\"doc\":{}", json_str(doc)));
        }
        let aliases: BTreeSet<String> = t.alias_strings().into_iter().collect();
        if !aliases.is_empty() {
            let list: Vec<String> = aliases.iter().map(|a| json_str(a)).collect();
            out.push_str(&format!(",\"aliases\":[{}]", list.join(",")));
        }
        if let Kind::Enum { default: Some(d), .. } = &t.kind {
            out.push_str(&format!(",\"default\":{}", json_str(d)));
        }
        Self::sorted_props(&t.props, out)?;
        out.push('}');
        Ok(())
    }

    pub(super) fn normalize_field(
        &self,
        f: &Field,
        env: &mut HashSet<String>,
        out: &mut String,
        depth: usize,
    ) -> Result<(), AvroError> {
        out.push_str(&format!("{{\"name\":{},\"type\":", json_str(&f.name)));
        self.normalize(&f.ty, env, out, depth + 1)?;
        let order = match f.order {
            Order::Ascending => "ASCENDING",
            Order::Descending => "DESCENDING",
            Order::Ignore => "IGNORE",
        };
        out.push_str(&format!(",\"order\":\"{order}\""));
        if let Some(doc) = &f.doc {
            out.push_str(&format!(",\"doc\":{}", json_str(doc)));
        }
        if !f.aliases.is_empty() {
            let sorted: BTreeSet<&String> = f.aliases.iter().collect();
            let list: Vec<String> = sorted.into_iter().map(|a| json_str(a)).collect();
            out.push_str(&format!(",\"aliases\":[{}]", list.join(",")));
        }
        if let Some(d) = &f.default {
            let top_float = matches!(f.ty, Node::Primitive(Prim::Float | Prim::Double, _));
            let text = match d {
                // A converted NaN/Infinity default: Jackson writes non-finite numbers as strings.
                Value::String(s) if top_float => Some(json_str(s)),
                _ => self.java_value(d, Some(&f.ty), 0)?,
            };
            if let Some(text) = text {
                out.push_str(&format!(",\"default\":{text}"));
            }
        }
        Self::sorted_props(&f.props, out)?;
        out.push('}');
        Ok(())
    }

    /// Avro's `JacksonUtils.toObject(node, schema)` followed by Confluent's `toJsonNode` (sorted
    /// object keys), as JSON text; `None` is Java's `null` (no value).
    pub(super) fn java_value(
        &self,
        v: &Value,
        schema: Option<&Node>,
        depth: usize,
    ) -> Result<Option<String>, AvroError> {
        // Long by design: one match over the JSON value kinds, as `JacksonUtils.toObject` is one switch.
        if depth > MAX_DEPTH {
            return err("Default value nested too deeply");
        }
        if v.is_null() {
            return Ok(Some("null".into()));
        }
        if let Some(Node::Union(branches)) = schema {
            for b in branches {
                if matches!(b, Node::Primitive(Prim::Null, _)) {
                    continue;
                }
                if let Some(text) = self.java_value(v, Some(b), depth + 1)? {
                    return Ok(Some(text));
                }
            }
            return Ok(None);
        }
        let tag = schema.map(|s| self.tag(s));
        Ok(match v {
            Value::Null => Some("null".into()),
            Value::Bool(b) => Some(b.to_string()),
            Value::Number(n) => {
                if let Some(i) = n.as_i64() {
                    match tag {
                        None => Some(i.to_string()),
                        Some(TypeTag::Prim(Prim::Int | Prim::Long)) => Some(i.to_string()),
                        Some(TypeTag::Prim(Prim::Float)) => Some(java_float(i as f32)),
                        Some(TypeTag::Prim(Prim::Double)) => Some(java_double(i as f64)),
                        _ => None,
                    }
                } else if n.is_u64() {
                    None // a BigInteger node: no conversion
                } else {
                    let d = n.as_f64().unwrap_or(0.0);
                    match tag {
                        None | Some(TypeTag::Prim(Prim::Double)) => Some(java_double(d)),
                        Some(TypeTag::Prim(Prim::Float)) => Some(java_float(d as f32)),
                        _ => None,
                    }
                }
            }
            Value::String(s) => match tag {
                None | Some(TypeTag::Prim(Prim::String) | TypeTag::Enum) => Some(json_str(s)),
                Some(TypeTag::Prim(Prim::Bytes) | TypeTag::Fixed) => Some(json_str(&latin1(s))),
                _ => None,
            },
            Value::Array(items) => {
                let element = match schema {
                    None => None,
                    Some(Node::Array(inner, _)) => Some(&**inner),
                    Some(_) => return err(format!("Not an array: {}", jackson(v))),
                };
                let mut parts = Vec::with_capacity(items.len());
                for x in items {
                    parts.push(self.java_value(x, element, depth + 1)?.unwrap_or_else(|| "null".into()));
                }
                Some(format!("[{}]", parts.join(",")))
            }
            Value::Object(obj) => {
                let mut parts: BTreeMap<&String, String> = BTreeMap::new();
                for (k, x) in obj {
                    let inner = match schema {
                        Some(Node::Map(values, _)) => Some(&**values),
                        Some(Node::Named(slot)) => match self.named(*slot).map(|t| &t.kind) {
                            Some(Kind::Record { fields, .. }) => match fields.iter().find(|f| &f.name == k) {
                                Some(f) => Some(&f.ty),
                                None => return err(format!("Invalid default: no field {k} in record")),
                            },
                            _ => None,
                        },
                        _ => None,
                    };
                    parts.insert(k, self.java_value(x, inner, depth + 1)?.unwrap_or_else(|| "null".into()));
                }
                let list: Vec<String> = parts.into_iter().map(|(k, x)| format!("{}:{x}", json_str(k))).collect();
                Some(format!("{{{}}}", list.join(",")))
            }
        })
    }
}
