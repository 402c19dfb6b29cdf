//! Avro: parse and validate a schema, print the string Confluent stores (Java Avro's
//! `Schema.toString()`), normalize, resolve named types from referenced schemas, and check
//! reader/writer compatibility with the rules of Apache Avro Java's `SchemaCompatibility`.
//!
//! The model is an arena of named types (records, enums, fixed) referred to by index, so
//! recursive types and types defined in references need no special cases.

use std::collections::{HashMap, HashSet};
use std::fmt;

use serde_json::{Map, Value};

/// Deepest nesting of schema JSON accepted (serde_json itself stops at 128).
const MAX_DEPTH: usize = 200;

/// An invalid schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AvroError(pub String);

impl fmt::Display for AvroError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for AvroError {}

fn err<T>(msg: impl Into<String>) -> Result<T, AvroError> {
    Err(AvroError(msg.into()))
}

type Props = Vec<(String, Value)>;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Prim {
    Null,
    Boolean,
    Int,
    Long,
    Float,
    Double,
    Bytes,
    String,
}

impl Prim {
    fn from_name(s: &str) -> Option<Prim> {
        Some(match s {
            "null" => Prim::Null,
            "boolean" => Prim::Boolean,
            "int" => Prim::Int,
            "long" => Prim::Long,
            "float" => Prim::Float,
            "double" => Prim::Double,
            "bytes" => Prim::Bytes,
            "string" => Prim::String,
            _ => return None,
        })
    }
    fn name(self) -> &'static str {
        match self {
            Prim::Null => "null",
            Prim::Boolean => "boolean",
            Prim::Int => "int",
            Prim::Long => "long",
            Prim::Float => "float",
            Prim::Double => "double",
            Prim::Bytes => "bytes",
            Prim::String => "string",
        }
    }
}

#[derive(Debug, Clone)]
enum Node {
    Primitive(Prim, Props),
    Array(Box<Node>, Props),
    Map(Box<Node>, Props),
    Union(Vec<Node>),
    /// Index into the arena of named types.
    Named(usize),
}

#[derive(Debug, Clone)]
struct Field {
    name: String,
    ty: Node,
    doc: Option<String>,
    default: Option<Value>,
    order: Option<String>,
    aliases: Vec<String>,
    props: Props,
}

#[derive(Debug, Clone)]
enum NamedKind {
    Record { error: bool, fields: Vec<Field> },
    Enum { symbols: Vec<String>, default: Option<String> },
    Fixed { size: u64 },
}

#[derive(Debug, Clone)]
struct Named {
    /// Short name.
    name: String,
    /// None = the null namespace.
    namespace: Option<String>,
    doc: Option<String>,
    /// Full names.
    aliases: Vec<String>,
    props: Props,
    kind: NamedKind,
    /// Defined by a referenced schema: printed by name only.
    from_reference: bool,
}

impl Named {
    fn full_name(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{ns}.{}", self.name),
            None => self.name.clone(),
        }
    }
    fn kind_name(&self) -> &'static str {
        match self.kind {
            NamedKind::Record { error: false, .. } => "record",
            NamedKind::Record { error: true, .. } => "error",
            NamedKind::Enum { .. } => "enum",
            NamedKind::Fixed { .. } => "fixed",
        }
    }
}

/// A parsed, validated Avro schema.
#[derive(Debug, Clone)]
pub struct AvroSchema {
    root: Node,
    types: Vec<Named>,
    canonical: String,
}

impl AvroSchema {
    /// Parse `text`; `references` are the referenced schemas' texts in dependency order (each after
    /// the schemas it references); the named types they define may be used by name in `text`.
    /// With `normalize`, [`canonical`](Self::canonical) is the normalized form.
    pub fn parse(text: &str, references: &[&str], normalize: bool) -> Result<AvroSchema, AvroError> {
        let mut p = Parser::default();
        for r in references {
            let json: Value =
                serde_json::from_str(r).map_err(|e| AvroError(format!("invalid referenced schema: {e}")))?;
            p.parse(&json, None, 0)?;
        }
        for t in &mut p.types {
            t.from_reference = true;
        }
        let json: Value = serde_json::from_str(text).map_err(|e| AvroError(format!("Invalid JSON: {e}")))?;
        let root = p.parse(&json, None, 0)?;
        let mut schema = AvroSchema { root, types: p.types, canonical: String::new() };
        schema.canonical = if normalize { schema.normalized() } else { schema.print() };
        Ok(schema)
    }

    /// The string the registry stores and returns.
    pub fn canonical(&self) -> &str {
        &self.canonical
    }

    /// Full name of the top-level type when it is named.
    pub fn name(&self) -> Option<String> {
        match &self.root {
            Node::Named(i) => Some(self.types[*i].full_name()),
            _ => None,
        }
    }
}

// ------------------------------------------------------------------------------------ parser

#[derive(Default)]
struct Parser {
    types: Vec<Named>,
    by_name: HashMap<String, usize>,
}

const SCHEMA_RESERVED: &[&str] =
    &["doc", "fields", "items", "name", "namespace", "size", "symbols", "values", "type", "aliases"];
const FIELD_RESERVED: &[&str] = &["default", "doc", "name", "order", "type", "aliases"];

fn valid_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn valid_full_name(s: &str) -> bool {
    !s.is_empty() && s.split('.').all(valid_name)
}

fn props_of(obj: &Map<String, Value>, reserved: &[&str]) -> Props {
    obj.iter().filter(|(k, _)| !reserved.contains(&k.as_str())).map(|(k, v)| (k.clone(), v.clone())).collect()
}

fn opt_str(obj: &Map<String, Value>, key: &str) -> Result<Option<String>, AvroError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => err(format!("\"{key}\" must be a string, found {other}")),
    }
}

/// Split `name` (maybe dotted) in the enclosing namespace into (short name, namespace).
fn split_name(name: &str, namespace: Option<&str>) -> (String, Option<String>) {
    match name.rfind('.') {
        Some(i) => (name[i + 1..].to_string(), Some(name[..i].to_string()).filter(|s| !s.is_empty())),
        None => (name.to_string(), namespace.map(str::to_string).filter(|s| !s.is_empty())),
    }
}

impl Parser {
    fn lookup(&self, name: &str, namespace: Option<&str>) -> Option<usize> {
        if !name.contains('.') {
            if let Some(ns) = namespace {
                if let Some(i) = self.by_name.get(&format!("{ns}.{name}")) {
                    return Some(*i);
                }
            }
        }
        self.by_name.get(name).copied()
    }

    fn parse(&mut self, json: &Value, ns: Option<&str>, depth: usize) -> Result<Node, AvroError> {
        if depth > MAX_DEPTH {
            return err("schema nested too deeply");
        }
        match json {
            Value::String(s) => self.parse_type_name(s, ns),
            Value::Array(branches) => self.parse_union(branches, ns, depth),
            Value::Object(obj) => self.parse_object(obj, ns, depth),
            other => err(format!("{other} is not a schema: expected a type name, an object or an array (union)")),
        }
    }

    fn parse_type_name(&self, s: &str, ns: Option<&str>) -> Result<Node, AvroError> {
        if let Some(p) = Prim::from_name(s) {
            return Ok(Node::Primitive(p, Vec::new()));
        }
        match self.lookup(s, ns) {
            Some(i) => Ok(Node::Named(i)),
            None => err(format!("Undefined name: \"{s}\"")),
        }
    }

    fn parse_union(&mut self, branches: &[Value], ns: Option<&str>, depth: usize) -> Result<Node, AvroError> {
        let mut nodes = Vec::with_capacity(branches.len());
        let mut seen: HashSet<String> = HashSet::new();
        for b in branches {
            let node = self.parse(b, ns, depth + 1)?;
            let key = match &node {
                Node::Union(_) => return err("Nested union: unions may not immediately contain other unions"),
                Node::Primitive(p, _) => p.name().to_string(),
                Node::Array(..) => "array".to_string(),
                Node::Map(..) => "map".to_string(),
                Node::Named(i) => self.types[*i].full_name(),
            };
            if !seen.insert(key.clone()) {
                return err(format!("Duplicate in union: {key}"));
            }
            nodes.push(node);
        }
        Ok(Node::Union(nodes))
    }

    fn parse_object(&mut self, obj: &Map<String, Value>, ns: Option<&str>, depth: usize) -> Result<Node, AvroError> {
        let ty = match obj.get("type") {
            Some(Value::String(t)) => t.as_str(),
            Some(other @ (Value::Object(_) | Value::Array(_))) => return self.parse(other, ns, depth + 1),
            Some(other) => return err(format!("\"type\" must be a string, found {other}")),
            None => return err(format!("No type: {}", Value::Object(obj.clone()))),
        };
        if let Some(p) = Prim::from_name(ty) {
            return Ok(Node::Primitive(p, props_of(obj, SCHEMA_RESERVED)));
        }
        match ty {
            "array" => {
                let items = obj.get("items").ok_or_else(|| AvroError("Array has no items type".into()))?;
                let items = self.parse(items, ns, depth + 1)?;
                Ok(Node::Array(Box::new(items), props_of(obj, SCHEMA_RESERVED)))
            }
            "map" => {
                let values = obj.get("values").ok_or_else(|| AvroError("Map has no values type".into()))?;
                let values = self.parse(values, ns, depth + 1)?;
                Ok(Node::Map(Box::new(values), props_of(obj, SCHEMA_RESERVED)))
            }
            "record" | "error" | "enum" | "fixed" => self.parse_named(ty, obj, ns, depth),
            other => match self.lookup(other, ns) {
                Some(i) => Ok(Node::Named(i)),
                None => err(format!("Type not supported: {other}")),
            },
        }
    }

    fn parse_named(
        &mut self,
        ty: &str,
        obj: &Map<String, Value>,
        ns: Option<&str>,
        depth: usize,
    ) -> Result<Node, AvroError> {
        let raw_name = opt_str(obj, "name")?
            .ok_or_else(|| AvroError(format!("No name in schema: {}", Value::Object(obj.clone()))))?;
        let explicit_ns = opt_str(obj, "namespace")?;
        let enclosing = explicit_ns.as_deref().or(ns);
        let (name, namespace) = split_name(&raw_name, enclosing);
        if !valid_name(&name) {
            return err(format!("Illegal name: {raw_name}"));
        }
        if let Some(space) = &namespace {
            if !valid_full_name(space) {
                return err(format!("Illegal namespace: {space}"));
            }
        }
        let full = match &namespace {
            Some(n) => format!("{n}.{name}"),
            None => name.clone(),
        };
        if Prim::from_name(&full).is_some() {
            return err(format!("Schemas may not be named after primitives: {full}"));
        }
        if self.by_name.contains_key(&full) {
            return err(format!("Can't redefine: {full}"));
        }
        let doc = opt_str(obj, "doc")?;
        let aliases = match obj.get("aliases") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(a)) => a
                .iter()
                .map(|v| match v.as_str() {
                    Some(s) if valid_full_name(s) => Ok(if s.contains('.') || namespace.is_none() {
                        s.to_string()
                    } else {
                        format!("{}.{s}", namespace.as_deref().unwrap_or(""))
                    }),
                    _ => err(format!("Invalid alias {v} in {full}")),
                })
                .collect::<Result<_, _>>()?,
            Some(other) => return err(format!("aliases must be an array of names, found {other}")),
        };
        let placeholder = NamedKind::Fixed { size: 0 };
        let index = self.types.len();
        self.types.push(Named {
            name,
            namespace: namespace.clone(),
            doc,
            aliases,
            props: Vec::new(),
            kind: placeholder,
            from_reference: false,
        });
        self.by_name.insert(full.clone(), index);
        let (kind, props) = match ty {
            "record" | "error" => {
                let fields = self.parse_fields(obj, namespace.as_deref(), &full, depth)?;
                (NamedKind::Record { error: ty == "error", fields }, props_of(obj, SCHEMA_RESERVED))
            }
            "enum" => {
                let symbols = match obj.get("symbols") {
                    Some(Value::Array(a)) => a
                        .iter()
                        .map(|v| match v.as_str() {
                            Some(s) if valid_name(s) => Ok(s.to_string()),
                            _ => err(format!("Illegal enum symbol {v} in {full}")),
                        })
                        .collect::<Result<Vec<_>, _>>()?,
                    _ => return err(format!("Enum {full} has no symbols array")),
                };
                let mut seen = HashSet::new();
                if let Some(dup) = symbols.iter().find(|s| !seen.insert(s.as_str())) {
                    return err(format!("Duplicate enum symbol: {dup}"));
                }
                let default = opt_str(obj, "default")?;
                if let Some(d) = &default {
                    if !symbols.contains(d) {
                        return err(format!("The Enum Default: {d} is not in the enum symbol set: {symbols:?}"));
                    }
                }
                let mut reserved = SCHEMA_RESERVED.to_vec();
                reserved.push("default");
                (NamedKind::Enum { symbols, default }, props_of(obj, &reserved))
            }
            _ => {
                let size = match obj.get("size") {
                    Some(Value::Number(n)) => n.as_u64().filter(|s| *s <= i32::MAX as u64),
                    _ => None,
                }
                .ok_or_else(|| AvroError(format!("Invalid size for fixed {full}")))?;
                (NamedKind::Fixed { size }, props_of(obj, SCHEMA_RESERVED))
            }
        };
        let t = &mut self.types[index];
        t.kind = kind;
        t.props = props;
        Ok(Node::Named(index))
    }

    fn parse_fields(
        &mut self,
        obj: &Map<String, Value>,
        ns: Option<&str>,
        record: &str,
        depth: usize,
    ) -> Result<Vec<Field>, AvroError> {
        let Some(Value::Array(list)) = obj.get("fields") else {
            return err(format!("Record {record} has no fields array"));
        };
        let mut fields = Vec::with_capacity(list.len());
        let mut names = HashSet::new();
        for f in list {
            let Value::Object(fo) = f else { return err(format!("Invalid field in {record}: {f}")) };
            let name = opt_str(fo, "name")?.ok_or_else(|| AvroError(format!("No field name in {record}")))?;
            if !valid_name(&name) {
                return err(format!("Illegal field name: {name}"));
            }
            if !names.insert(name.clone()) {
                return err(format!("Duplicate field {name} in record {record}"));
            }
            let ty_json = fo.get("type").ok_or_else(|| AvroError(format!("No field type for {record}.{name}")))?;
            let ty = self.parse(ty_json, ns, depth + 1)?;
            let default = fo.get("default").cloned();
            if let Some(d) = &default {
                if !self.valid_default(&ty, d, 0) {
                    return err(format!("Invalid default for field {name}: {d} not a {}", self.type_label(&ty)));
                }
            }
            let order = match opt_str(fo, "order")? {
                None => None,
                Some(o) if o == "ascending" => None,
                Some(o) if o == "descending" || o == "ignore" => Some(o),
                Some(o) => return err(format!("Invalid order {o} for field {name}")),
            };
            let aliases = match fo.get("aliases") {
                None | Some(Value::Null) => Vec::new(),
                Some(Value::Array(a)) => a
                    .iter()
                    .map(|v| {
                        v.as_str()
                            .map(str::to_string)
                            .ok_or_else(|| AvroError(format!("Invalid alias {v} for field {name}")))
                    })
                    .collect::<Result<_, _>>()?,
                Some(other) => return err(format!("aliases must be an array, found {other}")),
            };
            fields.push(Field {
                name,
                ty,
                doc: opt_str(fo, "doc")?,
                default,
                order,
                aliases,
                props: props_of(fo, FIELD_RESERVED),
            });
        }
        Ok(fields)
    }

    fn type_label(&self, ty: &Node) -> String {
        match ty {
            Node::Primitive(p, _) => p.name().to_string(),
            Node::Array(..) => "array".into(),
            Node::Map(..) => "map".into(),
            Node::Union(b) => {
                format!("union starting with {}", b.first().map(|n| self.type_label(n)).unwrap_or_default())
            }
            Node::Named(i) => self.types[*i].full_name(),
        }
    }

    /// Java's `Schema.isValidDefault`: a union's default matches its first branch.
    fn valid_default(&self, ty: &Node, v: &Value, depth: usize) -> bool {
        if depth > MAX_DEPTH {
            return false;
        }
        match ty {
            Node::Primitive(p, _) => match p {
                Prim::Null => v.is_null(),
                Prim::Boolean => v.is_boolean(),
                Prim::Int => v.as_i64().is_some_and(|n| i32::try_from(n).is_ok()),
                Prim::Long => v.is_i64() || v.is_u64() && v.as_u64().is_some_and(|n| i64::try_from(n).is_ok()),
                Prim::Float | Prim::Double => {
                    v.is_number() || matches!(v.as_str(), Some("NaN" | "Infinity" | "-Infinity"))
                }
                Prim::Bytes | Prim::String => v.is_string(),
            },
            Node::Array(items, _) => {
                v.as_array().is_some_and(|a| a.iter().all(|x| self.valid_default(items, x, depth + 1)))
            }
            Node::Map(values, _) => {
                v.as_object().is_some_and(|o| o.values().all(|x| self.valid_default(values, x, depth + 1)))
            }
            Node::Union(branches) => branches.first().is_some_and(|b| self.valid_default(b, v, depth + 1)),
            Node::Named(i) => match &self.types[*i].kind {
                NamedKind::Enum { .. } | NamedKind::Fixed { .. } => v.is_string(),
                NamedKind::Record { fields, .. } => v.as_object().is_some_and(|o| {
                    fields.iter().all(|f| match o.get(&f.name).or(f.default.as_ref()) {
                        Some(x) => self.valid_default(&f.ty, x, depth + 1),
                        None => false,
                    })
                }),
            },
        }
    }
}

// ------------------------------------------------------------------------------------ printing

fn json_str(s: &str) -> String {
    Value::String(s.to_string()).to_string()
}

impl AvroSchema {
    /// Java `Schema.toString()` (with referenced types printed by name).
    fn print(&self) -> String {
        let mut out = String::new();
        let mut printed: HashSet<usize> =
            self.types.iter().enumerate().filter(|(_, t)| t.from_reference).map(|(i, _)| i).collect();
        self.print_node(&self.root, None, &mut printed, &mut out);
        out
    }

    fn print_props(props: &Props, out: &mut String) {
        for (k, v) in props {
            out.push(',');
            out.push_str(&json_str(k));
            out.push(':');
            out.push_str(&v.to_string());
        }
    }

    fn print_aliases(aliases: &[String], out: &mut String) {
        if !aliases.is_empty() {
            out.push_str(",\"aliases\":[");
            out.push_str(&aliases.iter().map(|a| json_str(a)).collect::<Vec<_>>().join(","));
            out.push(']');
        }
    }

    fn print_node(&self, node: &Node, space: Option<&str>, printed: &mut HashSet<usize>, out: &mut String) {
        match node {
            Node::Primitive(p, props) if props.is_empty() => out.push_str(&json_str(p.name())),
            Node::Primitive(p, props) => {
                out.push_str("{\"type\":");
                out.push_str(&json_str(p.name()));
                Self::print_props(props, out);
                out.push('}');
            }
            Node::Array(items, props) => {
                out.push_str("{\"type\":\"array\",\"items\":");
                self.print_node(items, space, printed, out);
                Self::print_props(props, out);
                out.push('}');
            }
            Node::Map(values, props) => {
                out.push_str("{\"type\":\"map\",\"values\":");
                self.print_node(values, space, printed, out);
                Self::print_props(props, out);
                out.push('}');
            }
            Node::Union(branches) => {
                out.push('[');
                for (i, b) in branches.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    self.print_node(b, space, printed, out);
                }
                out.push(']');
            }
            Node::Named(i) => {
                let t = &self.types[*i];
                if printed.contains(i) {
                    // A name reference: short when in the current namespace.
                    let name = if t.namespace.as_deref() == space { t.name.clone() } else { t.full_name() };
                    out.push_str(&json_str(&name));
                    return;
                }
                printed.insert(*i);
                out.push_str("{\"type\":");
                out.push_str(&json_str(t.kind_name()));
                out.push_str(",\"name\":");
                out.push_str(&json_str(&t.name));
                match (&t.namespace, space) {
                    (Some(ns), s) if Some(ns.as_str()) != s => {
                        out.push_str(",\"namespace\":");
                        out.push_str(&json_str(ns));
                    }
                    (None, Some(_)) => out.push_str(",\"namespace\":\"\""),
                    _ => {}
                }
                if let Some(doc) = &t.doc {
                    out.push_str(",\"doc\":");
                    out.push_str(&json_str(doc));
                }
                let inner = t.namespace.as_deref();
                match &t.kind {
                    NamedKind::Record { fields, .. } => {
                        out.push_str(",\"fields\":[");
                        for (n, f) in fields.iter().enumerate() {
                            if n > 0 {
                                out.push(',');
                            }
                            out.push_str("{\"name\":");
                            out.push_str(&json_str(&f.name));
                            out.push_str(",\"type\":");
                            self.print_node(&f.ty, inner, printed, out);
                            if let Some(doc) = &f.doc {
                                out.push_str(",\"doc\":");
                                out.push_str(&json_str(doc));
                            }
                            if let Some(d) = &f.default {
                                out.push_str(",\"default\":");
                                out.push_str(&d.to_string());
                            }
                            if let Some(o) = &f.order {
                                out.push_str(",\"order\":");
                                out.push_str(&json_str(o));
                            }
                            Self::print_aliases(&f.aliases, out);
                            Self::print_props(&f.props, out);
                            out.push('}');
                        }
                        out.push(']');
                        Self::print_props(&t.props, out);
                    }
                    NamedKind::Enum { symbols, default } => {
                        out.push_str(",\"symbols\":[");
                        out.push_str(&symbols.iter().map(|s| json_str(s)).collect::<Vec<_>>().join(","));
                        out.push(']');
                        if let Some(d) = default {
                            out.push_str(",\"default\":");
                            out.push_str(&json_str(d));
                        }
                        Self::print_props(&t.props, out);
                    }
                    NamedKind::Fixed { size } => {
                        out.push_str(",\"size\":");
                        out.push_str(&size.to_string());
                        Self::print_props(&t.props, out);
                    }
                }
                Self::print_aliases(&t.aliases, out);
                out.push('}');
            }
        }
    }

    /// Lockstep's normalized form (`normalize=true`): full names, no namespace attributes, no
    /// docs, attributes in one fixed order, custom properties sorted by key, aliases sorted.
    /// Two schemas that differ only in formatting, namespace style, docs or attribute order
    /// normalize to the same string.
    fn normalized(&self) -> String {
        let mut printed: HashSet<usize> =
            self.types.iter().enumerate().filter(|(_, t)| t.from_reference).map(|(i, _)| i).collect();
        let v = self.normalize_node(&self.root, &mut printed);
        v.to_string()
    }

    fn sorted_props(props: &Props) -> Vec<(String, Value)> {
        let mut p = props.clone();
        p.sort_by(|a, b| a.0.cmp(&b.0));
        p
    }

    fn normalize_node(&self, node: &Node, printed: &mut HashSet<usize>) -> Value {
        let with_props = |mut m: Map<String, Value>, props: &Props| {
            for (k, v) in Self::sorted_props(props) {
                m.insert(k, v);
            }
            Value::Object(m)
        };
        match node {
            Node::Primitive(p, props) if props.is_empty() => Value::String(p.name().into()),
            Node::Primitive(p, props) => {
                let mut m = Map::new();
                m.insert("type".into(), Value::String(p.name().into()));
                with_props(m, props)
            }
            Node::Array(items, props) => {
                let mut m = Map::new();
                m.insert("type".into(), "array".into());
                m.insert("items".into(), self.normalize_node(items, printed));
                with_props(m, props)
            }
            Node::Map(values, props) => {
                let mut m = Map::new();
                m.insert("type".into(), "map".into());
                m.insert("values".into(), self.normalize_node(values, printed));
                with_props(m, props)
            }
            Node::Union(b) => Value::Array(b.iter().map(|n| self.normalize_node(n, printed)).collect()),
            Node::Named(i) => {
                let t = &self.types[*i];
                if !printed.insert(*i) {
                    return Value::String(t.full_name());
                }
                let mut m = Map::new();
                m.insert("type".into(), t.kind_name().into());
                m.insert("name".into(), t.full_name().into());
                match &t.kind {
                    NamedKind::Record { fields, .. } => {
                        let fs: Vec<Value> = fields
                            .iter()
                            .map(|f| {
                                let mut fm = Map::new();
                                fm.insert("name".into(), f.name.clone().into());
                                fm.insert("type".into(), self.normalize_node(&f.ty, printed));
                                if let Some(d) = &f.default {
                                    fm.insert("default".into(), d.clone());
                                }
                                if let Some(o) = &f.order {
                                    fm.insert("order".into(), o.clone().into());
                                }
                                if !f.aliases.is_empty() {
                                    let mut a = f.aliases.clone();
                                    a.sort();
                                    fm.insert("aliases".into(), a.into());
                                }
                                with_props(fm, &f.props)
                            })
                            .collect();
                        m.insert("fields".into(), Value::Array(fs));
                    }
                    NamedKind::Enum { symbols, default } => {
                        m.insert("symbols".into(), symbols.clone().into());
                        if let Some(d) = default {
                            m.insert("default".into(), d.clone().into());
                        }
                    }
                    NamedKind::Fixed { size } => {
                        m.insert("size".into(), (*size).into());
                    }
                }
                if !t.aliases.is_empty() {
                    let mut a = t.aliases.clone();
                    a.sort();
                    m.insert("aliases".into(), a.into());
                }
                with_props(m, &t.props)
            }
        }
    }
}

// ------------------------------------------------------------------------------------ compatibility

/// One reason a reader cannot read a writer's data, in Confluent's message shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incompatibility {
    pub error_type: String,
    pub description: String,
    pub additional_info: String,
}

impl fmt::Display for Incompatibility {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{{errorType:'{}', description:'{}', additionalInfo:'{}'}}",
            self.error_type, self.description, self.additional_info
        )
    }
}

/// A view of one type in one schema's arena.
#[derive(Clone, Copy)]
struct At<'a> {
    schema: &'a AvroSchema,
    node: &'a Node,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Null,
    Boolean,
    Int,
    Long,
    Float,
    Double,
    Bytes,
    String,
    Array,
    Map,
    Union,
    Record,
    Enum,
    Fixed,
}

impl Kind {
    fn label(self) -> &'static str {
        match self {
            Kind::Null => "NULL",
            Kind::Boolean => "BOOLEAN",
            Kind::Int => "INT",
            Kind::Long => "LONG",
            Kind::Float => "FLOAT",
            Kind::Double => "DOUBLE",
            Kind::Bytes => "BYTES",
            Kind::String => "STRING",
            Kind::Array => "ARRAY",
            Kind::Map => "MAP",
            Kind::Union => "UNION",
            Kind::Record => "RECORD",
            Kind::Enum => "ENUM",
            Kind::Fixed => "FIXED",
        }
    }
}

impl<'a> At<'a> {
    fn named(&self) -> Option<&'a Named> {
        match self.node {
            Node::Named(i) => self.schema.types.get(*i),
            _ => None,
        }
    }
    fn kind(&self) -> Kind {
        match self.node {
            Node::Primitive(p, _) => match p {
                Prim::Null => Kind::Null,
                Prim::Boolean => Kind::Boolean,
                Prim::Int => Kind::Int,
                Prim::Long => Kind::Long,
                Prim::Float => Kind::Float,
                Prim::Double => Kind::Double,
                Prim::Bytes => Kind::Bytes,
                Prim::String => Kind::String,
            },
            Node::Array(..) => Kind::Array,
            Node::Map(..) => Kind::Map,
            Node::Union(_) => Kind::Union,
            Node::Named(i) => match self.schema.types[*i].kind {
                NamedKind::Record { .. } => Kind::Record,
                NamedKind::Enum { .. } => Kind::Enum,
                NamedKind::Fixed { .. } => Kind::Fixed,
            },
        }
    }
    fn with(&self, node: &'a Node) -> At<'a> {
        At { schema: self.schema, node }
    }
}

struct Checker {
    reader_word: &'static str,
    writer_word: &'static str,
    /// (reader, writer) named-type pairs being checked: assumed compatible on re-entry (recursion).
    in_progress: HashSet<(usize, usize)>,
    problems: Vec<Incompatibility>,
}

fn path(location: &[String]) -> String {
    if location.is_empty() {
        "/".to_string()
    } else {
        format!("/{}", location.join("/"))
    }
}

impl Checker {
    /// A checker for trying a branch without recording its problems.
    fn probe(&self) -> Checker {
        Checker {
            reader_word: self.reader_word,
            writer_word: self.writer_word,
            in_progress: self.in_progress.clone(),
            problems: Vec::new(),
        }
    }

    fn report(&mut self, error_type: &str, description: String, info: String) {
        self.problems.push(Incompatibility { error_type: error_type.into(), description, additional_info: info });
    }

    /// Java `SchemaCompatibility`'s `getCompatibility(reader, writer)`; problems are collected.
    fn check<'a>(&mut self, reader: At<'a>, writer: At<'a>, loc: &mut Vec<String>) -> bool {
        let (rk, wk) = (reader.kind(), writer.kind());
        if let (Node::Named(ri), Node::Named(wi)) = (reader.node, writer.node) {
            if !self.in_progress.insert((*ri, *wi)) {
                return true;
            }
            let ok = self.check_inner(reader, writer, rk, wk, loc);
            self.in_progress.remove(&(*ri, *wi));
            return ok;
        }
        self.check_inner(reader, writer, rk, wk, loc)
    }

    fn type_mismatch(&mut self, reader: At<'_>, writer: At<'_>, loc: &[String]) -> bool {
        let (r, w) = (reader.kind().label(), writer.kind().label());
        self.report(
            "TYPE_MISMATCH",
            format!(
                "The type (path '{}') of a field in the {} schema does not match with the {} schema",
                path(loc),
                self.reader_word,
                self.writer_word
            ),
            format!("reader type: {r} not compatible with writer type: {w}"),
        );
        false
    }

    fn check_inner<'a>(&mut self, reader: At<'a>, writer: At<'a>, rk: Kind, wk: Kind, loc: &mut Vec<String>) -> bool {
        if rk == wk {
            return match (reader.node, writer.node) {
                (Node::Primitive(..), Node::Primitive(..)) => true,
                (Node::Array(ri, _), Node::Array(wi, _)) => {
                    loc.push("items".into());
                    let ok = self.check(reader.with(ri), writer.with(wi), loc);
                    loc.pop();
                    ok
                }
                (Node::Map(rv, _), Node::Map(wv, _)) => {
                    loc.push("values".into());
                    let ok = self.check(reader.with(rv), writer.with(wv), loc);
                    loc.pop();
                    ok
                }
                (Node::Union(_), Node::Union(wb)) => self.writer_union(reader, writer, wb, loc),
                _ => self.check_named(reader, writer, loc),
            };
        }
        if let Node::Union(wb) = writer.node {
            return self.writer_union(reader, writer, wb, loc);
        }
        match rk {
            Kind::Long if wk == Kind::Int => true,
            Kind::Float if matches!(wk, Kind::Int | Kind::Long) => true,
            Kind::Double if matches!(wk, Kind::Int | Kind::Long | Kind::Float) => true,
            Kind::Bytes if wk == Kind::String => true,
            Kind::String if wk == Kind::Bytes => true,
            Kind::Union => {
                let Node::Union(rb) = reader.node else { return false };
                // Any branch that reads the writer's type will do; probe without recording problems.
                let found = rb.iter().any(|b| self.probe().check(reader.with(b), writer, &mut loc.clone()));
                if !found {
                    self.report(
                        "MISSING_UNION_BRANCH",
                        format!(
                            "The {} schema is missing a type inside a union field at path '{}' in the {} schema",
                            self.reader_word,
                            path(loc),
                            self.writer_word
                        ),
                        format!("reader union lacking writer type: {}", wk.label()),
                    );
                }
                found
            }
            _ => self.type_mismatch(reader, writer, loc),
        }
    }

    /// Every branch of the writer's union must be readable.
    fn writer_union<'a>(
        &mut self,
        reader: At<'a>,
        writer: At<'a>,
        branches: &'a [Node],
        loc: &mut Vec<String>,
    ) -> bool {
        let mut ok = true;
        for (i, b) in branches.iter().enumerate() {
            let branch = writer.with(b);
            let readable = match reader.node {
                Node::Union(rb) => rb.iter().any(|r| self.probe().check(reader.with(r), branch, &mut loc.clone())),
                _ => {
                    let before = self.problems.len();
                    let r = self.check(reader, branch, loc);
                    if !r {
                        self.problems.truncate(before);
                    }
                    r
                }
            };
            if !readable {
                ok = false;
                loc.push(i.to_string());
                self.report(
                    "MISSING_UNION_BRANCH",
                    format!(
                        "The {} schema is missing a type inside a union field at path '{}' in the {} schema",
                        self.reader_word,
                        path(loc),
                        self.writer_word
                    ),
                    format!("reader union lacking writer type: {}", branch.kind().label()),
                );
                loc.pop();
            }
        }
        ok
    }

    fn check_named<'a>(&mut self, reader: At<'a>, writer: At<'a>, loc: &mut Vec<String>) -> bool {
        let (Some(r), Some(w)) = (reader.named(), writer.named()) else {
            return self.type_mismatch(reader, writer, loc);
        };
        let mut ok = true;
        if r.name != w.name && !r.aliases.contains(&w.full_name()) {
            loc.push("name".into());
            self.report(
                "NAME_MISMATCH",
                format!("The name of the schema has changed (path '{}')", path(loc)),
                format!("expected: {}", w.full_name()),
            );
            loc.pop();
            ok = false;
        }
        match (&r.kind, &w.kind) {
            (NamedKind::Fixed { size: rs }, NamedKind::Fixed { size: ws }) => {
                if rs != ws {
                    loc.push("size".into());
                    self.report(
                        "FIXED_SIZE_MISMATCH",
                        format!(
                            "The size of FIXED type field at path '{}' in the {} schema does not match with the {} schema",
                            path(loc),
                            self.reader_word,
                            self.writer_word
                        ),
                        format!("expected: {ws}, found: {rs}"),
                    );
                    loc.pop();
                    ok = false;
                }
            }
            (NamedKind::Enum { symbols: rsyms, default: rdef }, NamedKind::Enum { symbols: wsyms, .. }) => {
                let mut missing: Vec<&String> = wsyms.iter().filter(|s| !rsyms.contains(s)).collect();
                missing.sort();
                let has_default = rdef.as_ref().is_some_and(|d| rsyms.contains(d));
                if !missing.is_empty() && !has_default {
                    loc.push("symbols".into());
                    self.report(
                        "MISSING_ENUM_SYMBOLS",
                        format!(
                            "The {} schema is missing enum symbols '{}' at path '{}' in the {} schema",
                            self.reader_word,
                            missing.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", "),
                            path(loc),
                            self.writer_word
                        ),
                        format!("[{}]", missing.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")),
                    );
                    loc.pop();
                    ok = false;
                }
            }
            (NamedKind::Record { fields: rf, .. }, NamedKind::Record { fields: wf, .. }) => {
                for (pos, f) in rf.iter().enumerate() {
                    let wfield = wf
                        .iter()
                        .find(|x| x.name == f.name)
                        .or_else(|| wf.iter().find(|x| f.aliases.contains(&x.name)));
                    match wfield {
                        None if f.default.is_some() => {}
                        None if matches!(f.ty, Node::Named(i) if matches!(&reader.schema.types[i].kind, NamedKind::Enum { default: Some(_), .. })) =>
                        {
                            // Java's rule for a new enum field without a field default but with an
                            // enum default: the enum is checked against the writer's record itself
                            // (which can only fail as a type mismatch).
                            loc.push("fields".into());
                            loc.push(pos.to_string());
                            loc.push("type".into());
                            ok &= self.check(reader.with(&f.ty), writer, loc);
                            loc.truncate(loc.len() - 3);
                        }
                        None => {
                            loc.push("fields".into());
                            loc.push(pos.to_string());
                            self.report(
                                "READER_FIELD_MISSING_DEFAULT_VALUE",
                                format!(
                                    "The field '{}' at path '{}' in the {} schema has no default value and is missing in the {} schema",
                                    f.name,
                                    path(loc),
                                    self.reader_word,
                                    self.writer_word
                                ),
                                f.name.clone(),
                            );
                            loc.pop();
                            loc.pop();
                            ok = false;
                        }
                        Some(wfld) => {
                            loc.push("fields".into());
                            loc.push(pos.to_string());
                            loc.push("type".into());
                            ok &= self.check(reader.with(&f.ty), writer.with(&wfld.ty), loc);
                            loc.truncate(loc.len() - 3);
                        }
                    }
                }
            }
            _ => return self.type_mismatch(reader, writer, loc),
        }
        ok
    }
}

/// Can `reader` read data written with `writer`? Apache Avro Java `SchemaCompatibility`
/// semantics; every incompatibility found is returned (empty = compatible). `reader_is_new`
/// selects Confluent's wording: the reader is "new" in a BACKWARD check, "old" in a FORWARD one.
pub fn check_compatibility(reader: &AvroSchema, writer: &AvroSchema, reader_is_new: bool) -> Vec<Incompatibility> {
    let (rw, ww) = if reader_is_new { ("new", "old") } else { ("old", "new") };
    let mut c = Checker { reader_word: rw, writer_word: ww, in_progress: HashSet::new(), problems: Vec::new() };
    c.check(At { schema: reader, node: &reader.root }, At { schema: writer, node: &writer.root }, &mut Vec::new());
    c.problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> AvroSchema {
        AvroSchema::parse(s, &[], false).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn compatible(reader: &str, writer: &str) -> bool {
        check_compatibility(&p(reader), &p(writer), true).is_empty()
    }

    #[test]
    fn canonical_form_is_java_tostring() {
        let s = p(r#"{ "namespace": "com.acme", "type": "record", "name": "User", "doc": "a user",
            "fields": [ {"name": "id", "type": "long", "doc": "key"},
                        {"type": ["null", "string"], "name": "email", "default": null},
                        {"name": "kind", "type": {"type": "enum", "name": "Kind", "symbols": ["A", "B"]}},
                        {"name": "other", "type": "Kind"},
                        {"name": "ts", "type": {"type": "long", "logicalType": "timestamp-millis"}},
                        {"name": "f", "type": {"type": "fixed", "name": "F", "namespace": "x.y", "size": 4}},
                        {"name": "g", "type": "x.y.F", "order": "descending", "aliases": ["gg"], "custom": 1} ] }"#);
        assert_eq!(
            s.canonical(),
            r#"{"type":"record","name":"User","namespace":"com.acme","doc":"a user","fields":[{"name":"id","type":"long","doc":"key"},{"name":"email","type":["null","string"],"default":null},{"name":"kind","type":{"type":"enum","name":"Kind","symbols":["A","B"]}},{"name":"other","type":"Kind"},{"name":"ts","type":{"type":"long","logicalType":"timestamp-millis"}},{"name":"f","type":{"type":"fixed","name":"F","namespace":"x.y","size":4}},{"name":"g","type":"x.y.F","order":"descending","aliases":["gg"],"custom":1}]}"#
        );
        assert_eq!(s.name().as_deref(), Some("com.acme.User"));
        assert_eq!(p(r#"{"type":"string"}"#).canonical(), r#""string""#);
        assert_eq!(p(r#" [ "null" , "int" ] "#).canonical(), r#"["null","int"]"#);
    }

    #[test]
    fn null_namespace_inside_a_namespace_is_written_as_empty() {
        let s = p(
            r#"{"type":"record","name":"a.R","fields":[{"name":"x","type":{"type":"record","name":"In","namespace":"","fields":[]}}]}"#,
        );
        assert_eq!(
            s.canonical(),
            r#"{"type":"record","name":"R","namespace":"a","fields":[{"name":"x","type":{"type":"record","name":"In","namespace":"","fields":[]}}]}"#
        );
    }

    #[test]
    fn recursive_types_parse_print_and_check() {
        let list = r#"{"type":"record","name":"Node","fields":[{"name":"v","type":"int"},{"name":"next","type":["null","Node"]}]}"#;
        let s = p(list);
        assert_eq!(
            s.canonical(),
            r#"{"type":"record","name":"Node","fields":[{"name":"v","type":"int"},{"name":"next","type":["null","Node"]}]}"#
        );
        assert!(compatible(list, list));
        let widened = r#"{"type":"record","name":"Node","fields":[{"name":"v","type":"long"},{"name":"next","type":["null","Node"]}]}"#;
        assert!(compatible(widened, list));
        assert!(!compatible(list, widened));
    }

    #[test]
    fn references_resolve_and_print_by_name() {
        let addr =
            r#"{"type":"record","name":"Address","namespace":"com.acme","fields":[{"name":"city","type":"string"}]}"#;
        let user =
            r#"{"type":"record","name":"User","namespace":"com.acme","fields":[{"name":"home","type":"Address"}]}"#;
        let s = AvroSchema::parse(user, &[addr], false).unwrap();
        assert_eq!(
            s.canonical(),
            r#"{"type":"record","name":"User","namespace":"com.acme","fields":[{"name":"home","type":"Address"}]}"#
        );
        assert!(AvroSchema::parse(user, &[], false).unwrap_err().0.contains("Undefined name"));
        // A referenced type that changes incompatibly is seen by the checker.
        let addr2 = r#"{"type":"record","name":"Address","namespace":"com.acme","fields":[{"name":"city","type":"string"},{"name":"zip","type":"string"}]}"#;
        let new = AvroSchema::parse(user, &[addr2], false).unwrap();
        let problems = check_compatibility(&new, &s, true);
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].error_type, "READER_FIELD_MISSING_DEFAULT_VALUE");
        assert_eq!(problems[0].additional_info, "zip");
    }

    #[test]
    fn invalid_schemas_are_rejected() {
        for bad in [
            r#"{"type":"record","name":"r"}"#,
            r#"{"type":"record","name":"1r","fields":[]}"#,
            r#"{"type":"record","name":"r","fields":[{"name":"a","type":"int"},{"name":"a","type":"int"}]}"#,
            r#"{"type":"enum","name":"e","symbols":["A","A"]}"#,
            r#"{"type":"enum","name":"e","symbols":["A"],"default":"B"}"#,
            r#"{"type":"fixed","name":"f"}"#,
            r#"{"type":"array"}"#,
            r#"["int","int"]"#,
            r#"["null",["int"]]"#,
            r#""nosuch""#,
            r#"{"type":"record","name":"r","fields":[{"name":"a","type":"int","default":"x"}]}"#,
            r#"{"type":"record","name":"r","fields":[{"name":"a","type":["null","int"],"default":1}]}"#,
            r#"{"type":"record","name":"r","fields":[{"name":"a","type":"int","default":4294967296}]}"#,
            r#"{"type":"record","name":"r","fields":[{"name":"a","type":"int","order":"up"}]}"#,
            r#"{"type":"record","name":"r","fields":[],"x":1} trailing"#,
            r#"{"type":"record","name":"int","fields":[]}"#,
            r#"[{"type":"record","name":"r","fields":[]},{"type":"record","name":"r","fields":[]}]"#,
            "42",
            "",
        ] {
            assert!(AvroSchema::parse(bad, &[], false).is_err(), "accepted: {bad}");
        }
    }

    #[test]
    fn hostile_nesting_is_an_error_not_a_crash() {
        let deep = format!("{}\"int\"{}", "{\"type\":\"array\",\"items\":".repeat(5000), "}".repeat(5000));
        assert!(AvroSchema::parse(&deep, &[], false).is_err());
        let deep_union = format!("{}\"int\"{}", "[".repeat(10_000), "]".repeat(10_000));
        assert!(AvroSchema::parse(&deep_union, &[], false).is_err());
    }

    #[test]
    fn normalize_ignores_formatting_namespaces_and_docs() {
        let a = AvroSchema::parse(
            r#"{"type":"record","name":"R","namespace":"n","doc":"x","fields":[{"name":"a","type":"int","doc":"d"}]}"#,
            &[],
            true,
        )
        .unwrap();
        let b = AvroSchema::parse(r#"{"fields":[{"type":"int","name":"a"}],"name":"n.R","type":"record"}"#, &[], true)
            .unwrap();
        assert_eq!(a.canonical(), b.canonical());
        assert_eq!(a.canonical(), r#"{"type":"record","name":"n.R","fields":[{"name":"a","type":"int"}]}"#);
    }

    #[test]
    fn field_rules() {
        let v1 = r#"{"type":"record","name":"r","fields":[{"name":"a","type":"int"}]}"#;
        let add_default = r#"{"type":"record","name":"r","fields":[{"name":"a","type":"int"},{"name":"b","type":"string","default":""}]}"#;
        let add_required =
            r#"{"type":"record","name":"r","fields":[{"name":"a","type":"int"},{"name":"b","type":"string"}]}"#;
        let renamed_alias = r#"{"type":"record","name":"r","fields":[{"name":"z","type":"int","aliases":["a"]}]}"#;
        assert!(compatible(add_default, v1));
        assert!(!compatible(add_required, v1));
        assert!(compatible(v1, add_required), "a removed field is ignored by the reader");
        assert!(compatible(renamed_alias, v1), "reader field aliases match writer fields");
        let problems = check_compatibility(&p(add_required), &p(v1), true);
        assert_eq!(
            problems[0].to_string(),
            "{errorType:'READER_FIELD_MISSING_DEFAULT_VALUE', description:'The field 'b' at path '/fields/1' in the new schema has no default value and is missing in the old schema', additionalInfo:'b'}"
        );
    }

    #[test]
    fn promotions_follow_the_spec() {
        let cases = [
            ("long", "int", true),
            ("float", "long", true),
            ("double", "float", true),
            ("string", "bytes", true),
            ("bytes", "string", true),
            ("int", "long", false),
            ("float", "double", false),
            ("boolean", "int", false),
            ("null", "int", false),
        ];
        for (r, w, ok) in cases {
            assert_eq!(compatible(&format!("\"{r}\""), &format!("\"{w}\"")), ok, "{r} reading {w}");
        }
        let m = check_compatibility(&p("\"int\""), &p("\"long\""), true);
        assert_eq!(m[0].error_type, "TYPE_MISMATCH");
        assert_eq!(m[0].additional_info, "reader type: INT not compatible with writer type: LONG");
    }

    #[test]
    fn union_rules() {
        assert!(compatible(r#"["null","int"]"#, r#""int""#));
        assert!(compatible(r#"["null","long"]"#, r#""int""#), "a branch reads via promotion");
        assert!(!compatible(r#""int""#, r#"["null","int"]"#), "the null branch cannot be read");
        assert!(compatible(r#""long""#, r#"["int","long"]"#));
        assert!(compatible(r#"["null","string","int"]"#, r#"["int","null"]"#));
        assert!(!compatible(r#"["null","string"]"#, r#"["null","int"]"#));
        let m = check_compatibility(&p(r#""int""#), &p(r#"["null","int"]"#), true);
        assert_eq!(m[0].error_type, "MISSING_UNION_BRANCH");
        assert_eq!(m[0].additional_info, "reader union lacking writer type: NULL");
    }

    #[test]
    fn enum_rules() {
        let ab = r#"{"type":"enum","name":"E","symbols":["A","B"]}"#;
        let a = r#"{"type":"enum","name":"E","symbols":["A"]}"#;
        let a_default = r#"{"type":"enum","name":"E","symbols":["A","U"],"default":"U"}"#;
        assert!(compatible(ab, a));
        assert!(!compatible(a, ab));
        assert!(compatible(a_default, ab), "the reader's enum default covers unknown symbols");
        let m = check_compatibility(&p(a), &p(ab), true);
        assert_eq!(m[0].error_type, "MISSING_ENUM_SYMBOLS");
        assert_eq!(m[0].additional_info, "[B]");
    }

    #[test]
    fn new_enum_field_with_only_an_enum_default_is_checked_against_the_writer_record() {
        // Java (and the avro oracle): the enum is compared with the writer's record: a mismatch.
        let v1 = r#"{"type":"record","name":"r","fields":[{"name":"a","type":"int"}]}"#;
        let v2 = r#"{"type":"record","name":"r","fields":[{"name":"a","type":"int"},{"name":"e","type":{"type":"enum","name":"E","symbols":["X"],"default":"X"}}]}"#;
        let m = check_compatibility(&p(v2), &p(v1), true);
        assert_eq!(m.len(), 1, "{m:?}");
        assert_eq!(m[0].error_type, "TYPE_MISMATCH");
        assert_eq!(m[0].additional_info, "reader type: ENUM not compatible with writer type: RECORD");
    }

    #[test]
    fn named_type_rules() {
        let f4 = r#"{"type":"fixed","name":"F","size":4}"#;
        let f8 = r#"{"type":"fixed","name":"F","size":8}"#;
        let g4 = r#"{"type":"fixed","name":"G","size":4}"#;
        let g4_alias = r#"{"type":"fixed","name":"G","size":4,"aliases":["F"]}"#;
        assert!(!compatible(f8, f4));
        assert_eq!(check_compatibility(&p(f8), &p(f4), true)[0].error_type, "FIXED_SIZE_MISMATCH");
        assert!(!compatible(g4, f4));
        assert_eq!(check_compatibility(&p(g4), &p(f4), true)[0].error_type, "NAME_MISMATCH");
        assert!(compatible(g4_alias, f4), "reader aliases match the writer's full name");
        let ns_changed = r#"{"type":"fixed","name":"other.F","size":4}"#;
        assert!(compatible(ns_changed, f4), "Java compares unqualified names");
    }

    #[test]
    fn arrays_and_maps_recurse() {
        assert!(compatible(r#"{"type":"array","items":"long"}"#, r#"{"type":"array","items":"int"}"#));
        assert!(!compatible(r#"{"type":"map","values":"int"}"#, r#"{"type":"map","values":"long"}"#));
        assert!(!compatible(r#"{"type":"map","values":"int"}"#, r#"{"type":"array","items":"int"}"#));
    }

    #[test]
    fn forward_wording_swaps_new_and_old() {
        let v1 = r#"{"type":"record","name":"r","fields":[{"name":"a","type":"int"}]}"#;
        let v2 = r#"{"type":"record","name":"r","fields":[]}"#;
        // FORWARD: the old schema (v1) reads data of the new one (v2).
        let m = check_compatibility(&p(v1), &p(v2), false);
        assert!(
            m[0].description.contains("in the old schema has no default value and is missing in the new schema"),
            "{}",
            m[0]
        );
    }
}
