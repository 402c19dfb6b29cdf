//! Avro schema engine: parse and validate a schema the way Apache Avro Java 1.12's `Schema.Parser` does
//! (strict names, validated defaults, as Confluent configures it), print the string Confluent stores
//! (`Schema.toString(referencedSchemas, false)`), produce Confluent's `normalize=true` form
//! (`AvroSchemaUtils.toNormalizedString`, re-parsed and printed again, as `AvroSchema.normalize()` does),
//! resolve named types defined in referenced schemas, and check reader/writer compatibility with the
//! rules of Avro Java's `SchemaCompatibility`, reported in the shape of Confluent's `avro.Difference`.
//!
//! Layout: model → parser → JSON output helpers → printer (`toString`) → normalizer → compatibility → tests.
//!
//! The model is an arena of named types (record, enum, fixed). Nodes refer to named types through a
//! *slot* table, so a name used before its definition (Avro 1.12 allows forward references), a
//! self-reference, or a type defined in a referenced schema all resolve the same way, and an identical
//! redefinition simply points its slot at the first definition.
//!
//! Every recursion is bounded ([`MAX_DEPTH`], [`MAX_CHECK_DEPTH`]) and the number of reported
//! incompatibilities is capped, so hostile input yields an error, never a crash.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt;
use std::rc::Rc;

use serde_json::{Map, Value};

/// Deepest nesting of schema nodes accepted while parsing, printing and validating defaults.
const MAX_DEPTH: usize = 256;
/// Deepest reader/writer recursion of the compatibility checker.
const MAX_CHECK_DEPTH: usize = 300;
/// Most incompatibilities collected for one check (Java's memoized results can multiply).
const MAX_INCOMPATIBILITIES: usize = 10_000;
/// Most reader/writer pairs compared in one check (unions of many records are quadratic).
const MAX_CHECK_STEPS: usize = 1_000_000;

/// An invalid schema; the message follows Avro Java's wording where practical.
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

// ============================================================================================ model

type Props = Vec<(String, Value)>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

#[derive(Debug, Clone, PartialEq)]
enum Node {
    Primitive(Prim, Props),
    Array(Box<Node>, Props),
    Map(Box<Node>, Props),
    Union(Vec<Node>),
    /// A named type, through an index into the slot table.
    Named(usize),
}

#[derive(Debug, Clone, PartialEq)]
enum Slot {
    Type(usize),
    /// A name not yet defined when it was used: the full name to look up at the end of the
    /// document, and the name as written (tried second, as Avro before 1.12.1 effectively did).
    Pending(String, String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Order {
    Ascending,
    Descending,
    Ignore,
}

#[derive(Debug, Clone, PartialEq)]
struct Field {
    name: String,
    ty: Node,
    doc: Option<String>,
    /// The default as Java keeps it; a textual float/double default is converted to a number
    /// (`"NaN"`, `"Infinity"`, `"-Infinity"` stay strings, which is also how Jackson prints them).
    default: Option<Value>,
    order: Order,
    aliases: Vec<String>,
    props: Props,
}

#[derive(Debug, Clone, PartialEq)]
enum Kind {
    Record { error: bool, fields: Vec<Field> },
    Enum { symbols: Vec<String>, default: Option<String> },
    Fixed { size: i64 },
}

/// Avro Java's `Schema.Name`: a simple name and an optional namespace (`""` is stored as none).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Name {
    name: String,
    space: Option<String>,
}

impl Name {
    fn full(&self) -> String {
        match &self.space {
            Some(s) => format!("{s}.{}", self.name),
            None => self.name.clone(),
        }
    }

    /// `Name.getQualified`: the short name when in `current` namespace (and not a type keyword).
    fn qualified(&self, current: Option<&str>) -> String {
        const TYPE_NAMES: &[&str] = &[
            "record", "enum", "array", "map", "union", "fixed", "string", "bytes", "int", "long", "float", "double",
            "boolean", "null",
        ];
        if self.space.is_some() && self.space.as_deref() == current && !TYPE_NAMES.contains(&self.name.as_str()) {
            self.name.clone()
        } else {
            self.full()
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
struct Named {
    name: Name,
    doc: Option<String>,
    aliases: Vec<Name>,
    props: Props,
    kind: Kind,
}

impl Named {
    fn kind_name(&self) -> &'static str {
        match self.kind {
            Kind::Record { error: false, .. } => "record",
            Kind::Record { error: true, .. } => "error",
            Kind::Enum { .. } => "enum",
            Kind::Fixed { .. } => "fixed",
        }
    }

    /// `Schema.getAliases()`: full names, a null-namespace alias of a namespaced type as `.name`.
    fn alias_strings(&self) -> Vec<String> {
        self.aliases
            .iter()
            .map(|a| if a.space.is_none() && self.name.space.is_some() { format!(".{}", a.name) } else { a.full() })
            .collect()
    }
}

/// The named types and the slot table nodes refer to them through.
#[derive(Debug, Clone, Default)]
struct Graph {
    types: Vec<Named>,
    slots: Vec<Slot>,
}

/// What a node is, as Avro Java's `Schema.Type` (upper-case names in messages).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TypeTag {
    Prim(Prim),
    Array,
    Map,
    Union,
    Record,
    Enum,
    Fixed,
}

impl TypeTag {
    fn label(self) -> &'static str {
        match self {
            TypeTag::Prim(Prim::Null) => "NULL",
            TypeTag::Prim(Prim::Boolean) => "BOOLEAN",
            TypeTag::Prim(Prim::Int) => "INT",
            TypeTag::Prim(Prim::Long) => "LONG",
            TypeTag::Prim(Prim::Float) => "FLOAT",
            TypeTag::Prim(Prim::Double) => "DOUBLE",
            TypeTag::Prim(Prim::Bytes) => "BYTES",
            TypeTag::Prim(Prim::String) => "STRING",
            TypeTag::Array => "ARRAY",
            TypeTag::Map => "MAP",
            TypeTag::Union => "UNION",
            TypeTag::Record => "RECORD",
            TypeTag::Enum => "ENUM",
            TypeTag::Fixed => "FIXED",
        }
    }
}

impl Graph {
    /// The named type behind a slot; `None` while the name is still pending.
    fn named(&self, slot: usize) -> Option<&Named> {
        match self.slots.get(slot) {
            Some(Slot::Type(i)) => self.types.get(*i),
            _ => None,
        }
    }

    /// Arena index behind a slot (identity of a named type).
    fn type_index(&self, slot: usize) -> Option<usize> {
        match self.slots.get(slot) {
            Some(Slot::Type(i)) => Some(*i),
            _ => None,
        }
    }

    fn slot_full_name(&self, slot: usize) -> String {
        match self.slots.get(slot) {
            Some(Slot::Type(i)) => self.types.get(*i).map(|t| t.name.full()).unwrap_or_default(),
            Some(Slot::Pending(full, _)) => full.clone(),
            None => String::new(),
        }
    }

    fn tag(&self, node: &Node) -> TypeTag {
        match node {
            Node::Primitive(p, _) => TypeTag::Prim(*p),
            Node::Array(..) => TypeTag::Array,
            Node::Map(..) => TypeTag::Map,
            Node::Union(_) => TypeTag::Union,
            // A pending name is an unresolved placeholder, which Avro models as a record.
            Node::Named(s) => match self.named(*s).map(|t| &t.kind) {
                Some(Kind::Enum { .. }) => TypeTag::Enum,
                Some(Kind::Fixed { .. }) => TypeTag::Fixed,
                _ => TypeTag::Record,
            },
        }
    }
}

/// A parsed, validated Avro schema.
#[derive(Debug, Clone)]
pub struct AvroSchema {
    graph: Graph,
    root: Node,
    /// Full names of the referenced schemas' top-level types: printed as names, never inline.
    known: Vec<String>,
    canonical: String,
    name: Option<String>,
}

impl AvroSchema {
    /// Parse `text`. `references` are the schema texts of referenced schemas in dependency order
    /// (a reference's own references come before it); the named types they define may be used by
    /// name in `text`. With `normalize`, [`canonical`](Self::canonical) is Confluent's normalized form.
    pub fn parse(text: &str, references: &[&str], normalize: bool) -> Result<AvroSchema, AvroError> {
        let mut parser = Parser::default();
        let mut known = Vec::new();
        for r in references {
            let node = parser.document(r)?;
            if let Node::Named(slot) = node {
                known.push(parser.graph.slot_full_name(slot));
            }
        }
        let root = parser.document(text)?;
        let graph = parser.graph;
        let name = match &root {
            Node::Named(slot) => graph.named(*slot).map(|t| t.name.full()),
            _ => None,
        };
        let canonical = graph.print(&root, &known)?;
        let schema = AvroSchema { graph, root, known, canonical, name };
        if normalize {
            // Confluent's AvroSchema.normalize(): build the normalized text, then parse it again
            // (with the same references) and store that schema's canonical string.
            let text = schema.graph.normalized_text(&schema.root, &schema.known)?;
            return AvroSchema::parse(&text, references, false);
        }
        Ok(schema)
    }

    /// The string the registry stores and returns.
    pub fn canonical(&self) -> &str {
        &self.canonical
    }

    /// Full name of the top-level type when it is named (record/enum/fixed), else `None`.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }
}

// =========================================================================================== parser

const SCHEMA_RESERVED: &[&str] =
    &["doc", "fields", "items", "name", "namespace", "size", "symbols", "values", "type", "aliases"];
const ENUM_RESERVED: &[&str] =
    &["doc", "fields", "items", "name", "namespace", "size", "symbols", "values", "type", "aliases", "default"];
const FIELD_RESERVED: &[&str] = &["default", "doc", "name", "order", "type", "aliases"];

/// Avro's `NameValidator.STRICT_VALIDATOR`.
fn validate_name(name: Option<&str>) -> Result<(), AvroError> {
    let Some(name) = name else { return err("Null name") };
    let mut chars = name.chars();
    match chars.next() {
        None => err("Empty name"),
        Some(c) if !(c.is_ascii_alphabetic() || c == '_') => err(format!("Illegal initial character: {name}")),
        _ if !chars.all(|c| c.is_ascii_alphanumeric() || c == '_') => err(format!("Illegal character in: {name}")),
        _ => Ok(()),
    }
}

/// `new Schema.Name(name, space)`: a dotted name carries its own namespace; `""` means none.
fn make_name(name: &str, space: Option<&str>) -> Result<Name, AvroError> {
    let (simple, space) = match name.rfind('.') {
        Some(i) => (&name[i + 1..], Some(&name[..i])),
        None => (name, space),
    };
    validate_name(Some(simple))?;
    Ok(Name { name: simple.to_string(), space: space.filter(|s| !s.is_empty()).map(str::to_string) })
}

fn text<'a>(obj: Option<&'a Map<String, Value>>, key: &str) -> Option<&'a str> {
    obj.and_then(|o| o.get(key)).and_then(Value::as_str)
}

fn props_of(obj: &Map<String, Value>, reserved: &[&str]) -> Props {
    obj.iter().filter(|(k, _)| !reserved.contains(&k.as_str())).map(|(k, v)| (k.clone(), v.clone())).collect()
}

/// `Schema.parseAliases`: the alias strings, in order, without duplicates.
fn alias_list(json: &Value) -> Result<Vec<String>, AvroError> {
    let Some(node) = json.get("aliases") else { return Ok(Vec::new()) };
    let Value::Array(items) = node else { return err(format!("aliases not an array: {json}")) };
    let mut out: Vec<String> = Vec::new();
    for a in items {
        let Some(s) = a.as_str() else { return err(format!("alias not a string: {a}")) };
        if !out.iter().any(|x| x == s) {
            out.push(s.to_string());
        }
    }
    Ok(out)
}

/// Avro's JSON factory enables `ALLOW_COMMENTS`: `/* ... */` and `// ...` outside strings are
/// blanks (each comment becomes one space, so tokens on either side stay apart).
fn strip_comments(text: &str) -> Result<std::borrow::Cow<'_, str>, AvroError> {
    if !text.contains('/') {
        return Ok(std::borrow::Cow::Borrowed(text));
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    let mut in_string = false;
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            match c {
                '\\' => out.extend(chars.next()),
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match (c, chars.peek()) {
            ('"', _) => {
                in_string = true;
                out.push(c);
            }
            ('/', Some('/')) => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
                out.push('\n');
            }
            ('/', Some('*')) => {
                chars.next();
                let mut prev = ' ';
                loop {
                    match chars.next() {
                        Some('/') if prev == '*' => break,
                        Some(c) => prev = c,
                        None => return err("Invalid schema JSON: unterminated comment"),
                    }
                }
                out.push(' ');
            }
            _ => out.push(c),
        }
    }
    Ok(std::borrow::Cow::Owned(out))
}

/// Java's `Double.parseDouble` for textual float/double defaults.
fn java_parse_double(s: &str) -> Result<Value, AvroError> {
    let t = s.trim_matches(|c: char| c <= ' ');
    let unsigned = t.strip_prefix(['+', '-']).unwrap_or(t);
    let negative = t.starts_with('-');
    let v = match unsigned {
        "NaN" => return Ok(Value::String("NaN".into())),
        "Infinity" => return Ok(Value::String(if negative { "-Infinity" } else { "Infinity" }.into())),
        _ => {
            let body = t.strip_suffix(['d', 'D', 'f', 'F']).unwrap_or(t);
            let well_formed = !body.is_empty()
                && body.chars().all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | '.' | 'e' | 'E'))
                && body.chars().any(|c| c.is_ascii_digit());
            body.parse::<f64>().ok().filter(|_| well_formed)
        }
    };
    match v {
        Some(d) if d.is_infinite() => Ok(Value::String(if d < 0.0 { "-Infinity" } else { "Infinity" }.into())),
        Some(d) => Ok(serde_json::Number::from_f64(d).map(Value::Number).unwrap_or(Value::Null)),
        None => err(format!("For input string: \"{s}\"")),
    }
}

#[derive(Default)]
struct Parser {
    graph: Graph,
    by_name: HashMap<String, usize>,
}

impl Parser {
    /// Parse one JSON document and resolve the names it left pending (`Undefined schema` otherwise).
    fn document(&mut self, text: &str) -> Result<Node, AvroError> {
        let text = strip_comments(text)?;
        let json: Value = serde_json::from_str(&text).map_err(|e| AvroError(format!("Invalid schema JSON: {e}")))?;
        let first = self.graph.slots.len();
        let node = self.parse(&json, None, 0)?;
        for i in first..self.graph.slots.len() {
            if let Slot::Pending(full, written) = &self.graph.slots[i] {
                match self.by_name.get(full).or_else(|| self.by_name.get(written)) {
                    Some(t) => self.graph.slots[i] = Slot::Type(*t),
                    None => return err(format!("Undefined schema: {full}")),
                }
            }
        }
        Ok(node)
    }

    fn slot(&mut self, slot: Slot) -> Node {
        self.graph.slots.push(slot);
        Node::Named(self.graph.slots.len() - 1)
    }

    /// `ParseContext.find`: the name in the current namespace, else as written; pending otherwise.
    fn find(&mut self, name: &str, ns: Option<&str>) -> Node {
        let full = match ns {
            Some(n) if !name.contains('.') => format!("{n}.{name}"),
            _ => name.to_string(),
        };
        match self.by_name.get(&full).or_else(|| self.by_name.get(name)) {
            Some(i) => self.slot(Slot::Type(*i)),
            None => self.slot(Slot::Pending(full, name.to_string())),
        }
    }

    fn parse(&mut self, json: &Value, ns: Option<&str>, depth: usize) -> Result<Node, AvroError> {
        if depth > MAX_DEPTH {
            return err("Schema nested too deeply");
        }
        match json {
            Value::String(s) => Ok(match Prim::from_name(s) {
                Some(p) => Node::Primitive(p, Vec::new()),
                None => self.find(s, ns),
            }),
            Value::Array(branches) => self.parse_union(json, branches, ns, depth),
            Value::Object(obj) => {
                let Some(ty) = obj.get("type").and_then(Value::as_str) else { return err(format!("No type: {json}")) };
                if let Some(p) = Prim::from_name(ty) {
                    return Ok(Node::Primitive(p, props_of(obj, SCHEMA_RESERVED)));
                }
                match ty {
                    "record" | "error" | "enum" | "fixed" => self.parse_named(ty, json, obj, ns, depth),
                    "array" | "map" => {
                        let key = if ty == "array" { "items" } else { "values" };
                        let Some(inner) = obj.get(key) else {
                            let what = if ty == "array" { "Array has no items type" } else { "Map has no values type" };
                            return err(format!("{what}: {json}"));
                        };
                        let inner = Box::new(self.parse(inner, ns, depth + 1)?);
                        let props = props_of(obj, SCHEMA_RESERVED);
                        Ok(if ty == "array" { Node::Array(inner, props) } else { Node::Map(inner, props) })
                    }
                    _ => err("A schema \"type\" MUST be a primitive type or one of \"enum\", \"fixed\", \"record\", \"error\", \"array\" or \"map\"."),
                }
            }
            other => err(format!("Schema not yet supported: {other}")),
        }
    }

    fn parse_union(
        &mut self,
        json: &Value,
        items: &[Value],
        ns: Option<&str>,
        depth: usize,
    ) -> Result<Node, AvroError> {
        let mut branches = Vec::with_capacity(items.len());
        let mut seen: HashSet<String> = HashSet::new();
        for item in items {
            let node = self.parse(item, ns, depth + 1)?;
            let key = match &node {
                Node::Union(_) => return err(format!("Nested union: {json}")),
                Node::Primitive(p, _) => p.name().to_string(),
                Node::Array(..) => "array".into(),
                Node::Map(..) => "map".into(),
                Node::Named(slot) => self.graph.slot_full_name(*slot),
            };
            if !seen.insert(key.clone()) {
                return err(format!("Duplicate in union:{key}"));
            }
            branches.push(node);
        }
        Ok(Node::Union(branches))
    }

    fn parse_named(
        &mut self,
        ty: &str,
        json: &Value,
        obj: &Map<String, Value>,
        ns: Option<&str>,
        depth: usize,
    ) -> Result<Node, AvroError> {
        let Some(raw) = obj.get("name").and_then(Value::as_str) else {
            return err(format!("No name in schema: {json}"));
        };
        let space = obj.get("namespace").and_then(Value::as_str).or(ns);
        let name = make_name(raw, space)?;
        let doc = obj.get("doc").and_then(Value::as_str).map(str::to_string);
        let kind = match ty {
            "record" | "error" => {
                let Some(Value::Array(list)) = obj.get("fields") else {
                    return err(format!("Record has no fields: {json}"));
                };
                let mut fields: Vec<Field> = Vec::with_capacity(list.len());
                for f in list {
                    fields.push(self.parse_field(f, name.space.as_deref(), depth)?);
                }
                let mut positions: HashMap<&str, usize> = HashMap::new();
                for (pos, f) in fields.iter().enumerate() {
                    if let Some(prev) = positions.insert(&f.name, pos) {
                        let label = |i: usize| {
                            format!("{} type:{} pos:{i}", fields[i].name, self.graph.tag(&fields[i].ty).label())
                        };
                        return err(format!(
                            "Duplicate field {} in record {}: {} and {}.",
                            f.name,
                            name.full(),
                            label(pos),
                            label(prev)
                        ));
                    }
                }
                Kind::Record { error: ty == "error", fields }
            }
            "enum" => {
                let Some(Value::Array(list)) = obj.get("symbols") else {
                    return err(format!("Enum has no symbols: {json}"));
                };
                let mut symbols: Vec<String> = Vec::with_capacity(list.len());
                for s in list {
                    let sym = s.as_str();
                    validate_name(sym)?;
                    let sym = sym.unwrap_or_default().to_string();
                    if symbols.contains(&sym) {
                        return err(format!("Duplicate enum symbol: {sym}"));
                    }
                    symbols.push(sym);
                }
                let default = obj.get("default").and_then(Value::as_str).map(str::to_string);
                if let Some(d) = &default {
                    if !symbols.contains(d) {
                        return err(format!(
                            "The Enum Default: {d} is not in the enum symbol set: [{}]",
                            symbols.join(", ")
                        ));
                    }
                }
                Kind::Enum { symbols, default }
            }
            _ => {
                let size = match obj.get("size") {
                    Some(Value::Number(n)) => n.as_i64().filter(|s| i32::try_from(*s).is_ok()),
                    _ => None,
                };
                let Some(size) = size else { return err(format!("Invalid or no size: {json}")) };
                if size < 0 {
                    return err(format!("Malformed data. Length is negative: {size}"));
                }
                if size > i64::from(i32::MAX - 8) {
                    return err(format!("Bytes length {size} exceeds maximum allowed"));
                }
                Kind::Fixed { size }
            }
        };
        let props = props_of(obj, if ty == "enum" { ENUM_RESERVED } else { SCHEMA_RESERVED });
        let mut aliases: Vec<Name> = Vec::new();
        for a in alias_list(json)? {
            let alias = make_name(&a, name.space.as_deref())?;
            if !aliases.contains(&alias) {
                aliases.push(alias);
            }
        }
        self.put(Named { name, doc, aliases, props, kind })
    }

    fn parse_field(&mut self, json: &Value, ns: Option<&str>, depth: usize) -> Result<Field, AvroError> {
        let obj = json.as_object();
        let Some(name) = text(obj, "name") else { return err(format!("No field name: {json}")) };
        let Some(ty_json) = obj.and_then(|o| o.get("type")) else { return err(format!("No field type: {json}")) };
        let ty = self.parse(ty_json, ns, depth + 1)?;
        let order = match obj.and_then(|o| o.get("order")) {
            None => Order::Ascending,
            Some(v) => match v.as_str().map(str::to_uppercase).as_deref() {
                Some("ASCENDING") => Order::Ascending,
                Some("DESCENDING") => Order::Descending,
                Some("IGNORE") => Order::Ignore,
                Some(other) => return err(format!("No enum constant org.apache.avro.Schema.Field.Order.{other}")),
                None => return err(format!("Field order must be a string: {json}")),
            },
        };
        let mut default = obj.and_then(|o| o.get("default")).cloned();
        let mut converted = false;
        if let (Some(Value::String(s)), Node::Primitive(Prim::Float | Prim::Double, _)) = (&default, &ty) {
            default = Some(java_parse_double(s)?);
            converted = true;
        }
        validate_name(Some(name))?;
        if let Some(d) = &default {
            if !converted && !self.graph.valid_default(&ty, d, 0) {
                let schema = self.graph.print(&ty, &[]).unwrap_or_default();
                return err(format!("Invalid default for field {name}: {} not a {schema}", jackson(d)));
            }
        }
        let obj_props = obj.map(|o| props_of(o, FIELD_RESERVED)).unwrap_or_default();
        Ok(Field {
            name: name.to_string(),
            ty,
            doc: text(obj, "doc").map(str::to_string),
            default,
            order,
            aliases: alias_list(json)?,
            props: obj_props,
        })
    }

    /// `ParseContext.put`: validate the namespace, register the type; an identical redefinition
    /// resolves to the first definition, a different one is an error.
    fn put(&mut self, named: Named) -> Result<Node, AvroError> {
        if let Some(space) = &named.name.space {
            for part in space.split('.') {
                validate_name(Some(part))
                    .map_err(|e| AvroError(format!("Namespace part \"{part}\" is invalid: {}", e.0)))?;
            }
        }
        let full = named.name.full();
        if let Some(&existing) = self.by_name.get(&full) {
            if self.graph.types.get(existing).is_some_and(|t| self.graph.same_named(t, &named)) {
                return Ok(self.slot(Slot::Type(existing)));
            }
            return err(format!("Can't redefine: {full}"));
        }
        self.graph.types.push(named);
        let index = self.graph.types.len() - 1;
        self.by_name.insert(full, index);
        Ok(self.slot(Slot::Type(index)))
    }
}

impl Graph {
    /// Avro Java 1.12 `Schema.isValidDefault` (a union default may match any branch).
    fn valid_default(&self, ty: &Node, v: &Value, depth: usize) -> bool {
        if depth > MAX_DEPTH {
            return false;
        }
        match ty {
            Node::Primitive(p, _) => match p {
                Prim::Null => v.is_null(),
                Prim::Boolean => v.is_boolean(),
                Prim::Int => v.as_i64().is_some_and(|n| i32::try_from(n).is_ok()),
                Prim::Long => v.as_i64().is_some(),
                // Converted NaN/Infinity defaults are kept as strings.
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
            Node::Union(branches) => branches.iter().any(|b| self.valid_default(b, v, depth + 1)),
            Node::Named(slot) => match self.named(*slot).map(|t| &t.kind) {
                Some(Kind::Enum { .. } | Kind::Fixed { .. }) => v.is_string(),
                Some(Kind::Record { fields, .. }) => v.as_object().is_some_and(|o| {
                    fields.iter().all(|f| match o.get(&f.name).or(f.default.as_ref()) {
                        Some(x) => self.valid_default(&f.ty, x, depth + 1),
                        None => false,
                    })
                }),
                // An unresolved name is a placeholder record without fields.
                None => v.is_object(),
            },
        }
    }

    /// `Schema.equals` for a redefinition: names, kinds, props, fields (name, type, default, order,
    /// props), symbols, size; docs and aliases do not matter. Nested named types compare by name.
    fn same_named(&self, a: &Named, b: &Named) -> bool {
        let kinds = match (&a.kind, &b.kind) {
            (Kind::Record { fields: fa, .. }, Kind::Record { fields: fb, .. }) => {
                fa.len() == fb.len()
                    && fa.iter().zip(fb).all(|(x, y)| {
                        x.name == y.name
                            && x.default == y.default
                            && x.order == y.order
                            && x.props == y.props
                            && self.same_node(&x.ty, &y.ty, 0)
                    })
            }
            (Kind::Enum { symbols: sa, default: da }, Kind::Enum { symbols: sb, default: db }) => sa == sb && da == db,
            (Kind::Fixed { size: x }, Kind::Fixed { size: y }) => x == y,
            _ => false,
        };
        kinds && a.name == b.name && a.props == b.props
    }

    fn same_node(&self, a: &Node, b: &Node, depth: usize) -> bool {
        if depth > MAX_DEPTH {
            return false;
        }
        match (a, b) {
            (Node::Primitive(x, px), Node::Primitive(y, py)) => x == y && px == py,
            (Node::Array(x, px), Node::Array(y, py)) | (Node::Map(x, px), Node::Map(y, py)) => {
                px == py && self.same_node(x, y, depth + 1)
            }
            (Node::Union(x), Node::Union(y)) => {
                x.len() == y.len() && x.iter().zip(y).all(|(m, n)| self.same_node(m, n, depth + 1))
            }
            (Node::Named(x), Node::Named(y)) => self.slot_full_name(*x) == self.slot_full_name(*y),
            _ => false,
        }
    }
}

// ============================================================================== JSON output helpers

/// A JSON string as Jackson writes it (control characters as `\u00XX` with upper-case hex).
fn push_json_str(s: &str, out: &mut String) {
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

fn json_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    push_json_str(s, &mut out);
    out
}

/// Java's `Double.toString` / `Float.toString` layout from Rust's shortest round-trip digits
/// (`{:e}` output, e.g. `1.5e-7`).
fn java_float_text(sci: &str, negative: bool) -> String {
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

fn java_double(d: f64) -> String {
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

fn java_float(f: f32) -> String {
    if !f.is_finite() || f == 0.0 {
        return java_double(f64::from(f));
    }
    java_float_text(&format!("{:e}", f.abs()), f < 0.0)
}

fn push_number(n: &serde_json::Number, out: &mut String) {
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
fn push_json(v: &Value, sort: bool, out: &mut String) {
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

fn jackson(v: &Value) -> String {
    let mut out = String::new();
    push_json(v, false, &mut out);
    out
}

// ========================================================================================== printer

struct Printer<'a> {
    graph: &'a Graph,
    known: HashSet<String>,
    out: String,
}

impl Graph {
    /// Java `Schema.toString(referencedSchemas, false)`: `known` are the full names printed as
    /// references from the start.
    fn print(&self, root: &Node, known: &[String]) -> Result<String, AvroError> {
        let mut p = Printer { graph: self, known: known.iter().cloned().collect(), out: String::new() };
        p.node(root, None, 0)?;
        Ok(p.out)
    }
}

impl Printer<'_> {
    fn key(&mut self, k: &str) {
        self.out.push(',');
        push_json_str(k, &mut self.out);
        self.out.push(':');
    }

    fn props(&mut self, props: &Props) {
        for (k, v) in props {
            self.key(k);
            push_json(v, false, &mut self.out);
        }
    }

    fn node(&mut self, node: &Node, ns: Option<&str>, depth: usize) -> Result<(), AvroError> {
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
            Node::Named(slot) => {
                let graph = self.graph;
                let Some(t) = graph.named(*slot) else {
                    push_json_str(&graph.slot_full_name(*slot), &mut self.out);
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
                    let list: Vec<String> =
                        t.aliases.iter().map(|a| json_str(&a.qualified(t.name.space.as_deref()))).collect();
                    self.out.push_str(&format!(",\"aliases\":[{}]", list.join(",")));
                }
                self.out.push('}');
            }
        }
        Ok(())
    }

    fn field(&mut self, f: &Field, ns: Option<&str>, depth: usize) -> Result<(), AvroError> {
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

// ======================================================================================= normalizer

/// The base a logical type annotates, for `LogicalTypes.fromSchemaIgnoreInvalid`.
#[derive(Clone, Copy)]
enum LogicalBase {
    Prim(Prim),
    Fixed(i64),
    Other,
}

fn prop<'a>(props: &'a Props, key: &str) -> Option<&'a Value> {
    props.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

/// Confluent's `setLogicalProps` text when the schema carries a logical type Avro Java accepts
/// (invalid or unknown logical types are plain properties).
fn logical_segment(base: LogicalBase, props: &Props) -> Option<String> {
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
fn latin1(s: &str) -> String {
    s.chars()
        .flat_map(|c| {
            let n = if (c as u32) > 0xFFFF { 2 } else { 1 };
            std::iter::repeat_n(if (c as u32) > 0xFF { '?' } else { c }, n)
        })
        .collect()
}

impl Graph {
    /// Confluent's `AvroSchemaUtils.toNormalizedString`; `known` seeds the names printed as references.
    fn normalized_text(&self, root: &Node, known: &[String]) -> Result<String, AvroError> {
        let mut env: HashSet<String> = known.iter().cloned().collect();
        let mut out = String::new();
        self.normalize(root, &mut env, &mut out, 0)?;
        Ok(out)
    }

    fn sorted_props(props: &Props, out: &mut String) -> Result<(), AvroError> {
        let sorted: BTreeMap<&String, &Value> = props.iter().map(|(k, v)| (k, v)).collect();
        for (k, v) in sorted {
            out.push(',');
            push_json_str(k, out);
            out.push(':');
            push_json(v, true, out);
        }
        Ok(())
    }

    fn normalize(
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
            Node::Named(slot) => {
                let full = self.slot_full_name(*slot);
                let Some(t) = self.named(*slot) else { return err(format!("Undefined schema: {full}")) };
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
            }
        }
        Ok(())
    }

    fn normalize_field(
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
    fn java_value(&self, v: &Value, schema: Option<&Node>, depth: usize) -> Result<Option<String>, AvroError> {
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

// ==================================================================================== compatibility

/// One reason a reader cannot read a writer's data, in Confluent's message shape.
/// An empty `error_type` marks Confluent's "Unexpected exception during compatibility check"
/// message, which is shown as the bare description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incompatibility {
    pub error_type: String,
    pub description: String,
    pub additional_info: String,
}

impl fmt::Display for Incompatibility {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.error_type.is_empty() {
            return f.write_str(&self.description);
        }
        write!(
            f,
            "{{errorType:'{}', description:'{}', additionalInfo:'{}'}}",
            self.error_type, self.description, self.additional_info
        )
    }
}

/// An incompatibility as Avro's `SchemaCompatibility.Incompatibility`: type, message, location
/// tokens from the root (the first token is the root's empty token).
#[derive(Debug, Clone)]
struct Found {
    kind: &'static str,
    message: Rc<str>,
    /// `Incompatibility.getLocation()`: a JSON pointer without the root token.
    path: Rc<str>,
}

fn pointer(location: &[String]) -> String {
    let parts: Vec<String> = location.iter().skip(1).map(|c| c.replace('~', "~0").replace('/', "~1")).collect();
    format!("/{}", parts.join("/"))
}

/// `SchemaCompatibilityResult`.
#[derive(Debug, Clone, Default)]
struct Outcome {
    incompatible: bool,
    found: Vec<Found>,
}

impl Outcome {
    fn merge(&mut self, other: &Outcome) {
        self.incompatible |= other.incompatible;
        let room = MAX_INCOMPATIBILITIES.saturating_sub(self.found.len());
        self.found.extend(other.found.iter().take(room).cloned());
    }

    fn add(&mut self, kind: &'static str, message: String, location: &[String]) {
        self.incompatible = true;
        if self.found.len() < MAX_INCOMPATIBILITIES {
            self.found.push(Found { kind, message: message.into(), path: pointer(location).into() });
        }
    }
}

/// Avro Java's `ReaderWriterCompatibilityChecker`, memoizing every named reader/writer pair
/// (in progress = compatible, finished = the stored result, locations included, as in Java).
struct Checker<'a> {
    reader: &'a AvroSchema,
    writer: &'a AvroSchema,
    memo: HashMap<(usize, usize), Option<Rc<Outcome>>>,
    depth: usize,
    steps: usize,
    /// Set when Java would throw: the check ends with Confluent's exception message.
    aborted: Option<String>,
}

impl<'a> Checker<'a> {
    /// `getCompatibility(referenceToken, reader, writer, location)`.
    fn get(&mut self, token: &str, r: &'a Node, w: &'a Node, loc: &mut Vec<String>) -> Outcome {
        loc.push(token.to_string());
        let result = if self.aborted.is_some() {
            Outcome::default()
        } else if self.depth >= MAX_CHECK_DEPTH {
            self.aborted = Some("schemas nest too deeply to compare".into());
            Outcome::default()
        } else if self.steps >= MAX_CHECK_STEPS {
            self.aborted = Some("schemas too complex to compare".into());
            Outcome::default()
        } else {
            let key = match (r, w) {
                (Node::Named(rs), Node::Named(ws)) => {
                    self.reader.graph.type_index(*rs).zip(self.writer.graph.type_index(*ws))
                }
                _ => None,
            };
            match key.map(|k| (k, self.memo.get(&k).cloned())) {
                Some((_, Some(None))) => Outcome::default(),
                Some((_, Some(Some(done)))) => (*done).clone(),
                Some((k, None)) => {
                    self.memo.insert(k, None);
                    let result = self.calculate(r, w, loc);
                    self.memo.insert(k, Some(Rc::new(result.clone())));
                    result
                }
                None => self.calculate(r, w, loc),
            }
        };
        loc.pop();
        result
    }

    /// `getCompatibility(reader, writer)`: a check with a fresh location.
    fn fresh(&mut self, r: &'a Node, w: &'a Node) -> Outcome {
        self.get("", r, w, &mut Vec::new())
    }

    fn calculate(&mut self, r: &'a Node, w: &'a Node, loc: &mut Vec<String>) -> Outcome {
        self.depth += 1;
        self.steps += 1;
        let result = self.calculate_inner(r, w, loc);
        self.depth -= 1;
        result
    }

    fn calculate_inner(&mut self, r: &'a Node, w: &'a Node, loc: &mut Vec<String>) -> Outcome {
        let (rt, wt) = (self.reader.graph.tag(r), self.writer.graph.tag(w));
        let mut result = Outcome::default();
        if rt == wt {
            match (r, w) {
                (Node::Array(ri, _), Node::Array(wi, _)) => result.merge(&self.get("items", ri, wi, loc)),
                (Node::Map(rv, _), Node::Map(wv, _)) => result.merge(&self.get("values", rv, wv, loc)),
                (Node::Union(_), Node::Union(wb)) => {
                    for (i, b) in wb.iter().enumerate() {
                        loc.push(i.to_string());
                        if self.fresh(r, b).incompatible {
                            let message =
                                format!("reader union lacking writer type: {}", self.writer.graph.tag(b).label());
                            result.add("MISSING_UNION_BRANCH", message, loc);
                        }
                        loc.pop();
                    }
                }
                (Node::Named(rs), Node::Named(ws)) => self.named(*rs, *ws, w, loc, &mut result),
                _ => {}
            }
            return result;
        }
        if let Node::Union(wb) = w {
            for (i, b) in wb.iter().enumerate() {
                result.merge(&self.get(&i.to_string(), r, b, loc));
            }
            return result;
        }
        let promotable = match rt {
            TypeTag::Prim(Prim::Long) => wt == TypeTag::Prim(Prim::Int),
            TypeTag::Prim(Prim::Float) => matches!(wt, TypeTag::Prim(Prim::Int | Prim::Long)),
            TypeTag::Prim(Prim::Double) => matches!(wt, TypeTag::Prim(Prim::Int | Prim::Long | Prim::Float)),
            TypeTag::Prim(Prim::Bytes) => wt == TypeTag::Prim(Prim::String),
            TypeTag::Prim(Prim::String) => wt == TypeTag::Prim(Prim::Bytes),
            _ => false,
        };
        if promotable {
            return result;
        }
        if let Node::Union(rb) = r {
            for b in rb {
                if !self.fresh(b, w).incompatible {
                    return result;
                }
            }
            result.add("MISSING_UNION_BRANCH", format!("reader union lacking writer type: {}", wt.label()), loc);
            return result;
        }
        let message = format!("reader type: {} not compatible with writer type: {}", rt.label(), wt.label());
        result.add("TYPE_MISMATCH", message, loc);
        result
    }

    fn named(&mut self, rs: usize, ws: usize, w_node: &'a Node, loc: &mut Vec<String>, result: &mut Outcome) {
        let (Some(r), Some(w)) = (self.reader.graph.named(rs), self.writer.graph.named(ws)) else { return };
        // checkSchemaNames: unqualified names, or a reader alias naming the writer's full name.
        if r.name.name != w.name.name && !r.alias_strings().contains(&w.name.full()) {
            loc.push("name".into());
            result.add("NAME_MISMATCH", format!("expected: {}", w.name.full()), loc);
            loc.pop();
        }
        match (&r.kind, &w.kind) {
            (Kind::Fixed { size: rsize }, Kind::Fixed { size: wsize }) if rsize != wsize => {
                loc.push("size".into());
                result.add("FIXED_SIZE_MISMATCH", format!("expected: {wsize}, found: {rsize}"), loc);
                loc.pop();
            }
            (Kind::Enum { symbols: rsym, default: rdef }, Kind::Enum { symbols: wsym, .. }) => {
                let missing: BTreeSet<&String> = wsym.iter().filter(|s| !rsym.contains(s)).collect();
                let covered = rdef.as_ref().is_some_and(|d| rsym.contains(d));
                if !missing.is_empty() && !covered {
                    loc.push("symbols".into());
                    let list: Vec<&str> = missing.into_iter().map(String::as_str).collect();
                    result.add("MISSING_ENUM_SYMBOLS", format!("[{}]", list.join(", ")), loc);
                    loc.pop();
                }
            }
            (Kind::Record { fields: rf, .. }, Kind::Record { fields: wf, .. }) => {
                loc.push("fields".into());
                for (pos, f) in rf.iter().enumerate() {
                    loc.push(pos.to_string());
                    // lookupWriterField: by name, then by each reader alias; several hits throw.
                    let mut hits: Vec<&'a Field> = wf.iter().filter(|x| x.name == f.name).collect();
                    for alias in &f.aliases {
                        hits.extend(wf.iter().filter(|x| &x.name == alias));
                    }
                    match hits.as_slice() {
                        [] if f.default.is_some() => {}
                        [] => {
                            let enum_default = matches!(&f.ty, Node::Named(s)
                                if matches!(self.reader.graph.named(*s).map(|t| &t.kind), Some(Kind::Enum { default: Some(_), .. })));
                            if enum_default {
                                // Java compares the enum with the writer's record itself.
                                result.merge(&self.get("type", &f.ty, w_node, loc));
                            } else {
                                result.add("READER_FIELD_MISSING_DEFAULT_VALUE", f.name.clone(), loc);
                            }
                        }
                        [one] => result.merge(&self.get("type", &f.ty, &one.ty, loc)),
                        _ => {
                            let record = self.writer.graph.print(&Node::Named(ws), &[]).unwrap_or_default();
                            self.aborted = Some(format!(
                                "Reader record field {} type:{} pos:{pos} matches multiple fields in writer record schema {record}",
                                f.name,
                                self.reader.graph.tag(&f.ty).label()
                            ));
                        }
                    }
                    loc.pop();
                }
                loc.pop();
            }
            _ => {}
        }
    }
}

/// Can `reader` read data written with `writer`? Apache Avro Java `SchemaCompatibility`
/// semantics; every incompatibility found is returned (empty = compatible). `reader_is_new`
/// selects Confluent's wording: the reader is "new" in a BACKWARD check, "old" in a FORWARD one.
pub fn check_compatibility(reader: &AvroSchema, writer: &AvroSchema, reader_is_new: bool) -> Vec<Incompatibility> {
    let (rw, ww) = if reader_is_new { ("new", "old") } else { ("old", "new") };
    let mut checker = Checker { reader, writer, memo: HashMap::new(), depth: 0, steps: 0, aborted: None };
    let outcome = checker.fresh(&reader.root, &writer.root);
    if let Some(message) = checker.aborted {
        return vec![Incompatibility {
            error_type: String::new(),
            description: format!("Unexpected exception during compatibility check: {message}"),
            additional_info: String::new(),
        }];
    }
    outcome
        .found
        .into_iter()
        .map(|f| {
            let path = &f.path;
            let description = match f.kind {
                "FIXED_SIZE_MISMATCH" => {
                    format!("The size of FIXED type field at path '{path}' in the {rw} schema does not match with the {ww} schema")
                }
                "TYPE_MISMATCH" => {
                    format!("The type (path '{path}') of a field in the {rw} schema does not match with the {ww} schema")
                }
                "NAME_MISMATCH" => format!("The name of the schema has changed (path '{path}')"),
                "MISSING_ENUM_SYMBOLS" => format!(
                    "The {rw} schema is missing enum symbols '{}' at path '{path}' in the {ww} schema",
                    f.message
                ),
                "MISSING_UNION_BRANCH" => {
                    format!("The {rw} schema is missing a type inside a union field at path '{path}' in the {ww} schema")
                }
                "READER_FIELD_MISSING_DEFAULT_VALUE" => format!(
                    "The field '{}' at path '{path}' in the {rw} schema has no default value and is missing in the {ww} schema",
                    f.message
                ),
                _ => String::new(),
            };
            Incompatibility { error_type: f.kind.to_string(), description, additional_info: f.message.to_string() }
        })
        .collect()
}

// ============================================================================================ tests

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> AvroSchema {
        AvroSchema::parse(s, &[], false).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn norm(s: &str) -> String {
        AvroSchema::parse(s, &[], true).unwrap_or_else(|e| panic!("{s}: {e}")).canonical().to_string()
    }

    fn parse_err(s: &str) -> String {
        match AvroSchema::parse(s, &[], false) {
            Ok(x) => panic!("accepted {s}: {}", x.canonical()),
            Err(e) => e.0,
        }
    }

    fn check(reader: &str, writer: &str) -> Vec<Incompatibility> {
        check_compatibility(&p(reader), &p(writer), true)
    }

    fn compatible(reader: &str, writer: &str) -> bool {
        check(reader, writer).is_empty()
    }

    fn rec(fields: &str) -> String {
        format!(r#"{{"type":"record","name":"r","fields":[{fields}]}}"#)
    }

    // ------------------------------------------------------------------------------ canonical form

    #[test]
    fn canonical_form_is_java_tostring() {
        let s = p(r#"{ "namespace": "com.acme", "type": "record", "name": "User", "doc": "a user", "x": {"b":1,"a":2},
            "aliases": ["Old", "other.Older"],
            "fields": [ {"name": "id", "type": "long", "doc": "key"},
                        {"type": ["null", "string"], "name": "email", "default": null},
                        {"name": "kind", "type": {"symbols": ["A", "B"], "type": "enum", "name": "Kind", "default": "A", "p": 1}},
                        {"name": "other", "type": "Kind"},
                        {"name": "ts", "type": {"type": "long", "logicalType": "timestamp-millis"}},
                        {"name": "f", "type": {"type": "fixed", "name": "F", "namespace": "x.y", "size": 4}},
                        {"name": "g", "type": "x.y.F", "order": "DESCENDING", "aliases": ["gg"], "custom": 1, "default": "abcd"} ] }"#);
        assert_eq!(
            s.canonical(),
            r#"{"type":"record","name":"User","namespace":"com.acme","doc":"a user","fields":[{"name":"id","type":"long","doc":"key"},{"name":"email","type":["null","string"],"default":null},{"name":"kind","type":{"type":"enum","name":"Kind","symbols":["A","B"],"default":"A","p":1}},{"name":"other","type":"Kind"},{"name":"ts","type":{"type":"long","logicalType":"timestamp-millis"}},{"name":"f","type":{"type":"fixed","name":"F","namespace":"x.y","size":4}},{"name":"g","type":"x.y.F","default":"abcd","order":"descending","aliases":["gg"],"custom":1}],"x":{"b":1,"a":2},"aliases":["Old","other.Older"]}"#
        );
        assert_eq!(s.name(), Some("com.acme.User"));
        assert_eq!(p(r#"{"type":"string"}"#).canonical(), r#""string""#);
        assert_eq!(p(r#"{   "type":   "string"}"#).canonical(), r#""string""#);
        assert_eq!(p(r#"{"type":"string","doc":"reserved words are dropped"}"#).canonical(), r#""string""#);
        assert_eq!(p(r#" [ "null" , "int" ] "#).canonical(), r#"["null","int"]"#);
        assert_eq!(p(r#"{"type":"int","a":[1,2.50,1e3]}"#).canonical(), r#"{"type":"int","a":[1,2.5,1000.0]}"#);
        assert_eq!(
            p(r#"{"type":"array","items":"int","p":true}"#).canonical(),
            r#"{"type":"array","items":"int","p":true}"#
        );
        assert_eq!(p(r#"{"values":"int","type":"map"}"#).canonical(), r#"{"type":"map","values":"int"}"#);
        assert_eq!(p(r#""int""#).name(), None);
    }

    #[test]
    fn namespaces_print_like_java() {
        // A null namespace inside a namespace is written as "".
        let s = p(
            r#"{"type":"record","name":"a.R","fields":[{"name":"x","type":{"type":"record","name":"In","namespace":"","fields":[]}}]}"#,
        );
        assert_eq!(
            s.canonical(),
            r#"{"type":"record","name":"R","namespace":"a","fields":[{"name":"x","type":{"type":"record","name":"In","namespace":"","fields":[]}}]}"#
        );
        // Inherited namespace; a dotted name overrides the namespace attribute; references are
        // short in the current namespace, full elsewhere.
        let s = p(r#"{"type":"record","name":"R","namespace":"a","fields":[
            {"name":"e","type":{"type":"enum","name":"E","symbols":["X"]}},
            {"name":"f","type":{"type":"fixed","name":"b.F","namespace":"ignored","size":1}},
            {"name":"g","type":{"type":"record","name":"G","namespace":"b","fields":[{"name":"e","type":"a.E"},{"name":"f","type":"F"}]}},
            {"name":"h","type":"E"}]}"#);
        assert_eq!(
            s.canonical(),
            r#"{"type":"record","name":"R","namespace":"a","fields":[{"name":"e","type":{"type":"enum","name":"E","symbols":["X"]}},{"name":"f","type":{"type":"fixed","name":"F","namespace":"b","size":1}},{"name":"g","type":{"type":"record","name":"G","namespace":"b","fields":[{"name":"e","type":"a.E"},{"name":"f","type":"F"}]}},{"name":"h","type":"E"}]}"#
        );
        // A null-namespace type is found by its bare name from inside a namespace.
        let s = p(
            r#"{"type":"record","name":"Top","fields":[{"name":"x","type":{"type":"record","name":"In","namespace":"n","fields":[{"name":"t","type":["null","Top"]}]}}]}"#,
        );
        assert!(s.canonical().contains(r#""type":["null","Top"]"#), "{}", s.canonical());
        // Name references that are type keywords keep their namespace.
        let s = p(
            r#"{"type":"record","name":"n.R","fields":[{"name":"a","type":{"type":"fixed","name":"map","size":1}},{"name":"b","type":"map"}]}"#,
        );
        assert!(s.canonical().ends_with(r#"{"name":"b","type":"n.map"}]}"#), "{}", s.canonical());
    }

    #[test]
    fn strings_and_numbers_print_like_jackson() {
        let s = p(r#"{"type":"record","name":"r","doc":"tab\there \"q\" \u0001 é/","fields":[
            {"name":"d","type":"double","default":1e20},{"name":"e","type":"double","default":0.00001},
            {"name":"f","type":"float","default":"1.5"},{"name":"g","type":"double","default":"NaN"},
            {"name":"h","type":"double","default":-0.0},{"name":"i","type":"double","default":123456.5}]}"#);
        assert_eq!(
            s.canonical(),
            r#"{"type":"record","name":"r","doc":"tab\there \"q\" \u0001 é/","fields":[{"name":"d","type":"double","default":1.0E20},{"name":"e","type":"double","default":1.0E-5},{"name":"f","type":"float","default":1.5},{"name":"g","type":"double","default":"NaN"},{"name":"h","type":"double","default":-0.0},{"name":"i","type":"double","default":123456.5}]}"#
        );
        assert_eq!(java_double(1e7), "1.0E7");
        assert_eq!(java_double(9999999.0), "9999999.0");
        assert_eq!(java_double(0.001), "0.001");
        assert_eq!(java_double(1.0), "1.0");
        assert_eq!(java_double(100.0), "100.0");
        assert_eq!(java_double(-1.25e-10), "-1.25E-10");
        assert_eq!(java_float(0.1), "0.1");
        assert_eq!(java_float(3.4e38), "3.4E38");
    }

    #[test]
    fn forward_and_recursive_references() {
        let list = r#"{"type":"record","name":"Node","fields":[{"name":"v","type":"int"},{"name":"next","type":["null","Node"]}]}"#;
        assert_eq!(p(list).canonical(), list);
        // Avro 1.12: a name may be used before the definition that follows it.
        let fwd = r#"{"type":"record","name":"n.A","fields":[{"name":"b1","type":["null","B"]},{"name":"b2","type":{"type":"record","name":"B","fields":[]}}]}"#;
        assert_eq!(
            p(fwd).canonical(),
            r#"{"type":"record","name":"A","namespace":"n","fields":[{"name":"b1","type":["null",{"type":"record","name":"B","fields":[]}]},{"name":"b2","type":"B"}]}"#,
            "Java prints a named type in full where it first occurs"
        );
        // An identical redefinition is accepted and prints as a reference.
        let twice = rec(
            r#"{"name":"a","type":{"type":"enum","name":"E","symbols":["X"]}},{"name":"b","type":{"type":"enum","name":"E","symbols":["X"],"doc":"d"}}"#,
        );
        assert!(p(&twice).canonical().ends_with(r#"{"name":"b","type":"E"}]}"#));
    }

    #[test]
    fn references_resolve_and_print_by_name() {
        let addr = r#"{"type":"record","name":"Address","namespace":"com.acme","fields":[{"name":"city","type":"string"},{"name":"geo","type":{"type":"fixed","name":"Geo","size":8}}]}"#;
        let user = r#"{"type":"record","name":"User","namespace":"com.acme","fields":[{"name":"home","type":"Address"},{"name":"g","type":"Geo"}]}"#;
        let s = AvroSchema::parse(user, &[addr], false).unwrap();
        // Only the referenced schema's top-level name is known to the printer (Java seeds
        // knownNames with referenced schemas' full names): nested types print inline.
        assert_eq!(
            s.canonical(),
            r#"{"type":"record","name":"User","namespace":"com.acme","fields":[{"name":"home","type":"Address"},{"name":"g","type":{"type":"fixed","name":"Geo","size":8}}]}"#
        );
        assert_eq!(parse_err(user), "Undefined schema: com.acme.Address");
        // Dependency order: a reference may use an earlier one.
        let base = r#"{"type":"enum","name":"n.Color","symbols":["RED"]}"#;
        let mid = r#"{"type":"record","name":"n.Pen","fields":[{"name":"c","type":"Color"}]}"#;
        let top =
            r#"{"type":"record","name":"Box","fields":[{"name":"p","type":"n.Pen"},{"name":"c","type":"n.Color"}]}"#;
        let s = AvroSchema::parse(top, &[base, mid], false).unwrap();
        assert_eq!(
            s.canonical(),
            r#"{"type":"record","name":"Box","fields":[{"name":"p","type":"n.Pen"},{"name":"c","type":"n.Color"}]}"#
        );
        // A reference that redefines differently is rejected.
        let other = r#"{"type":"enum","name":"n.Color","symbols":["BLUE"]}"#;
        let e = AvroSchema::parse(r#""int""#, &[base, other], false).unwrap_err();
        assert_eq!(e.0, "Can't redefine: n.Color");
        // The checker sees the referenced definitions.
        let addr2 = r#"{"type":"record","name":"Address","namespace":"com.acme","fields":[{"name":"city","type":"string"},{"name":"zip","type":"string"},{"name":"geo","type":{"type":"fixed","name":"Geo","size":8}}]}"#;
        let new = AvroSchema::parse(user, &[addr2], false).unwrap();
        let old = AvroSchema::parse(user, &[addr], false).unwrap();
        let problems = check_compatibility(&new, &old, true);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(
            problems[0].to_string(),
            "{errorType:'READER_FIELD_MISSING_DEFAULT_VALUE', description:'The field 'zip' at path '/fields/0/type/fields/1' in the new schema has no default value and is missing in the old schema', additionalInfo:'zip'}"
        );
    }

    // ---------------------------------------------------------------------------------- parse errors

    #[test]
    fn parse_errors_follow_java() {
        let cases: &[(&str, &str)] = &[
            (r#"{"type":"record","name":"r"}"#, "Record has no fields"),
            (r#"{"type":"record","name":"1r","fields":[]}"#, "Illegal initial character: 1r"),
            (r#"{"type":"record","name":"r-x","fields":[]}"#, "Illegal character in: r-x"),
            (r#"{"type":"record","name":"a..r","fields":[]}"#, "Namespace part \"\" is invalid: Empty name"),
            (r#"{"type":"record","name":"r","namespace":"1a","fields":[]}"#, "Namespace part \"1a\" is invalid"),
            (r#"{"type":"record","fields":[]}"#, "No name in schema"),
            (
                &rec(r#"{"name":"a","type":"int"},{"name":"a","type":"long"}"#),
                "Duplicate field a in record r: a type:LONG pos:1 and a type:INT pos:0.",
            ),
            (&rec(r#"{"type":"int"}"#), "No field name"),
            (&rec(r#"{"name":"a"}"#), "No field type"),
            (&rec(r#"{"name":"a b","type":"int"}"#), "Illegal character in: a b"),
            (r#"{"type":"enum","name":"e","symbols":["A","A"]}"#, "Duplicate enum symbol: A"),
            (r#"{"type":"enum","name":"e","symbols":["A","9"]}"#, "Illegal initial character: 9"),
            (
                r#"{"type":"enum","name":"e","symbols":["A","B"],"default":"C"}"#,
                "The Enum Default: C is not in the enum symbol set: [A, B]",
            ),
            (r#"{"type":"enum","name":"e"}"#, "Enum has no symbols"),
            (r#"{"type":"fixed","name":"f"}"#, "Invalid or no size"),
            (r#"{"type":"fixed","name":"f","size":1.5}"#, "Invalid or no size"),
            (r#"{"type":"fixed","name":"f","size":-1}"#, "Length is negative"),
            (r#"{"type":"array"}"#, "Array has no items type"),
            (r#"{"type":"map"}"#, "Map has no values type"),
            (r#"["int","int"]"#, "Duplicate in union:int"),
            (r#"[{"type":"array","items":"int"},{"type":"array","items":"long"}]"#, "Duplicate in union:array"),
            (r#"["null",["int"]]"#, "Nested union"),
            (r#""nosuch""#, "Undefined schema: nosuch"),
            (&rec(r#"{"name":"a","type":"Later"}"#), "Undefined schema: Later"),
            (r#"{"type":"nosuch"}"#, "A schema \"type\" MUST be"),
            (r#"{"type":{"type":"int"}}"#, "No type"),
            (r#"{"name":"x"}"#, "No type"),
            ("42", "Schema not yet supported: 42"),
            (&rec(r#"{"name":"a","type":"int","default":"x"}"#), "Invalid default for field a: \"x\" not a \"int\""),
            (&rec(r#"{"name":"a","type":"int","default":1.0}"#), "Invalid default for field a"),
            (&rec(r#"{"name":"a","type":"int","default":4294967296}"#), "Invalid default for field a"),
            (&rec(r#"{"name":"a","type":"long","default":18446744073709551615}"#), "Invalid default for field a"),
            (&rec(r#"{"name":"a","type":"boolean","default":0}"#), "Invalid default for field a"),
            (&rec(r#"{"name":"a","type":"null","default":0}"#), "Invalid default for field a"),
            (&rec(r#"{"name":"a","type":"bytes","default":1}"#), "Invalid default for field a"),
            (&rec(r#"{"name":"a","type":["null","int"],"default":"x"}"#), "Invalid default for field a"),
            (
                &rec(r#"{"name":"a","type":{"type":"array","items":"int"},"default":[1,"x"]}"#),
                "Invalid default for field a",
            ),
            (&rec(r#"{"name":"a","type":{"type":"map","values":"int"},"default":[]}"#), "Invalid default for field a"),
            (
                &rec(
                    r#"{"name":"a","type":{"type":"record","name":"S","fields":[{"name":"x","type":"int"}]},"default":{}}"#,
                ),
                "Invalid default for field a",
            ),
            (&rec(r#"{"name":"a","type":"double","default":"abc"}"#), "For input string: \"abc\""),
            (
                &rec(r#"{"name":"a","type":"int","order":"up"}"#),
                "No enum constant org.apache.avro.Schema.Field.Order.UP",
            ),
            (&rec(r#"{"name":"a","type":"int","aliases":"x"}"#), "aliases not an array"),
            (&rec(r#"{"name":"a","type":"int","aliases":[1]}"#), "alias not a string: 1"),
            (r#"{"type":"record","name":"r","fields":[],"aliases":["1x"]}"#, "Illegal initial character: 1x"),
            (
                &rec(
                    r#"{"name":"a","type":{"type":"enum","name":"E","symbols":["X"]}},{"name":"b","type":{"type":"enum","name":"E","symbols":["Y"]}}"#,
                ),
                "Can't redefine: E",
            ),
            (r#"{"type":"record","name":"r","fields":[]} trailing"#, "Invalid schema JSON"),
            ("", "Invalid schema JSON"),
        ];
        for (schema, expected) in cases {
            let e = parse_err(schema);
            assert!(e.contains(expected), "{schema}: got {e:?}, want {expected:?}");
        }
    }

    #[test]
    fn comments_are_allowed_like_avro_java() {
        let s =
            p("/* head */ {\"type\": // line\n \"record\", \"name\":\"r\", \"doc\":\"a // b /* c */\", \"fields\":[]}");
        assert_eq!(s.canonical(), r#"{"type":"record","name":"r","doc":"a // b /* c */","fields":[]}"#);
        assert!(parse_err("/* open {\"type\":\"int\"}").contains("unterminated comment"));
    }

    #[test]
    fn valid_defaults_are_accepted() {
        for (ty, default) in [
            (r#""int""#, "-2147483648"),
            (r#""long""#, "9223372036854775807"),
            (r#""float""#, "1"),
            (r#""double""#, r#""-Infinity""#),
            (r#""bytes""#, r#""\u00ff""#),
            (r#"["null","int"]"#, "null"),
            (r#"["null","int"]"#, "3"),
            (r#"["string","null"]"#, "null"),
            (r#"{"type":"enum","name":"E","symbols":["A"]}"#, r#""not checked against symbols""#),
            (r#"{"type":"fixed","name":"F","size":2}"#, r#""ab""#),
            (r#"{"type":"map","values":{"type":"array","items":"int"}}"#, r#"{"a":[1,2]}"#),
            (
                r#"{"type":"record","name":"S","fields":[{"name":"x","type":"int","default":1},{"name":"y","type":"string"}]}"#,
                r#"{"y":"v","extra":true}"#,
            ),
        ] {
            let s = rec(&format!(r#"{{"name":"a","type":{ty},"default":{default}}}"#));
            AvroSchema::parse(&s, &[], false).unwrap_or_else(|e| panic!("{s}: {e}"));
        }
    }

    #[test]
    fn hostile_input_is_an_error_not_a_crash() {
        let deep = format!("{}\"int\"{}", "{\"type\":\"array\",\"items\":".repeat(5000), "}".repeat(5000));
        assert!(AvroSchema::parse(&deep, &[], false).is_err());
        let deep_union = format!("{}\"int\"{}", "[".repeat(10_000), "]".repeat(10_000));
        assert!(AvroSchema::parse(&deep_union, &[], false).is_err());
        let long_name = "a".repeat(1 << 20);
        let s = AvroSchema::parse(&format!(r#"{{"type":"fixed","name":"{long_name}","size":1}}"#), &[], false).unwrap();
        assert_eq!(s.name().map(str::len), Some(1 << 20));
        for garbage in [
            "null",
            "true",
            "{}",
            "[]",
            "{\"type\":null}",
            "\"\"",
            "{\"type\":\"record\",\"name\":\"\",\"fields\":[]}",
            "\u{0}",
        ] {
            let _ = AvroSchema::parse(garbage, &[], false);
            let _ = AvroSchema::parse(garbage, &[], true);
        }
        // A long chain of named types, each using the next by name: parses, prints and checks.
        let n = 2000;
        let mut branches = Vec::new();
        for i in 0..n {
            let next = if i + 1 < n { format!(r#"["null","T{}"]"#, i + 1) } else { r#""int""#.to_string() };
            branches.push(format!(r#"{{"type":"record","name":"T{i}","fields":[{{"name":"f","type":{next}}}]}}"#));
        }
        branches.reverse();
        let chain = format!("[{}]", branches.join(","));
        if let Ok(s) = AvroSchema::parse(&chain, &[], false) {
            let _ = check_compatibility(&s, &s, true);
        }
        // Mutually recursive types and self-cycles terminate.
        let cyc = r#"{"type":"record","name":"A","fields":[{"name":"b","type":{"type":"record","name":"B","fields":[{"name":"a","type":["null","A"]}]}},{"name":"s","type":["null","A","B"]}]}"#;
        let s = p(cyc);
        assert!(check_compatibility(&s, &s, true).is_empty());
        let _ = norm(cyc);
    }

    // ---------------------------------------------------------------------------------- normalize

    #[test]
    fn normalize_matches_confluent() {
        // AvroSchemaTest#testNormalization: same as the canonical form.
        let n = norm(
            r#"{"type":"record","name":"myrecord","doc":"hi\"there","fields":[{"type":"string","name":"f1","doc":"bye\"now"}]}"#,
        );
        assert_eq!(
            n,
            r#"{"type":"record","name":"myrecord","doc":"hi\"there","fields":[{"name":"f1","type":"string","doc":"bye\"now"}]}"#
        );
        // RestApiTest: properties are sorted; nested property objects too.
        let a = norm(
            r#"{"type":"record","name":"myrecord","fields":[{"type":{"type":"int"},"name":"field0","zprop":"z","aprop":"a"}],"extraMetadata":{"b":2,"a":1}}"#,
        );
        let b = norm(
            r#"{"type":"record","name":"myrecord","fields":[{"type":"int","name":"field0","aprop":"a","zprop":"z"}],"extraMetadata":{"a":1,"b":2}}"#,
        );
        assert_eq!(a, b);
        assert_eq!(
            a,
            r#"{"type":"record","name":"myrecord","fields":[{"name":"field0","type":"int","aprop":"a","zprop":"z"}],"extraMetadata":{"a":1,"b":2}}"#
        );
        // Full names, aliases sorted, empty record doc dropped, error → record, logical type first.
        let n = norm(
            r#"{"type":"error","name":"R","namespace":"n","doc":"","aliases":["Z","A"],"fields":[
            {"name":"t","type":{"type":"long","connect.name":"x","logicalType":"timestamp-millis"},"doc":"","aliases":["z","b"]},
            {"name":"d","type":{"type":"bytes","scale":0,"precision":4,"logicalType":"decimal","a":1}},
            {"name":"u","type":{"type":"int","logicalType":"uuid","b":1}},
            {"name":"f","type":"float","default":1},{"name":"g","type":["null","double"],"default":null},
            {"name":"h","type":{"type":"map","values":"double"},"default":{"y":2,"x":1}}]}"#,
        );
        assert_eq!(
            n,
            r#"{"type":"record","name":"R","namespace":"n","fields":[{"name":"t","type":{"type":"long","logicalType":"timestamp-millis","connect.name":"x"},"doc":"","aliases":["b","z"]},{"name":"d","type":{"type":"bytes","logicalType":"decimal","precision":4,"a":1,"scale":0}},{"name":"u","type":{"type":"int","b":1,"logicalType":"uuid"}},{"name":"f","type":"float","default":1.0},{"name":"g","type":["null","double"],"default":null},{"name":"h","type":{"type":"map","values":"double"},"default":{"x":1.0,"y":2.0}}],"aliases":["A","Z"]}"#
        );
        // Two spellings of one schema normalize to the same string.
        let x = norm(
            r#"{"type":"record","name":"R","namespace":"n","fields":[{"name":"a","type":{"type":"enum","name":"E","symbols":["A"]}},{"name":"b","type":"E"}]}"#,
        );
        let y = norm(
            r#"{"fields":[{"type":{"symbols":["A"],"name":"n.E","type":"enum"},"name":"a"},{"name":"b","type":"n.E"}],"name":"n.R","type":"record"}"#,
        );
        assert_eq!(x, y);
        // References stay references.
        let r = r#"{"type":"record","name":"Sub","namespace":"o","fields":[{"name":"f","type":"string"}]}"#;
        let s = AvroSchema::parse(r#"{"type":"record","name":"M","fields":[{"name":"s","type":"o.Sub"}]}"#, &[r], true)
            .unwrap();
        assert_eq!(s.canonical(), r#"{"type":"record","name":"M","fields":[{"name":"s","type":"o.Sub"}]}"#);
    }

    #[test]
    fn normalize_quirks_follow_confluent() {
        // A null-namespace type nested in a namespaced record is written by its bare name and
        // therefore re-parsed into the parent's namespace.
        let n = norm(
            r#"{"type":"record","name":"a.R","fields":[{"name":"x","type":{"type":"record","name":"In","namespace":"","fields":[]}},{"name":"y","type":"In"}]}"#,
        );
        assert_eq!(
            n,
            r#"{"type":"record","name":"R","namespace":"a","fields":[{"name":"x","type":{"type":"record","name":"In","fields":[]}},{"name":"y","type":"In"}]}"#
        );
        // Bytes defaults go through ISO-8859-1.
        let n = norm(&rec(r#"{"name":"b","type":"bytes","default":"é€"}"#));
        assert!(n.contains(r#""default":"é?""#), "{n}");
    }

    // ------------------------------------------------------------------------------ compatibility

    #[test]
    fn field_rules_and_messages() {
        let v1 = rec(r#"{"name":"a","type":"int"}"#);
        let add_default = rec(r#"{"name":"a","type":"int"},{"name":"b","type":"string","default":""}"#);
        let add_required = rec(r#"{"name":"a","type":"int"},{"name":"b","type":"string"}"#);
        let renamed_alias = rec(r#"{"name":"z","type":"int","aliases":["a"]}"#);
        assert!(compatible(&add_default, &v1));
        assert!(compatible(&v1, &add_required), "a removed field is ignored by the reader");
        assert!(compatible(&renamed_alias, &v1), "reader field aliases match writer fields");
        let problems = check(&add_required, &v1);
        assert_eq!(
            problems[0].to_string(),
            "{errorType:'READER_FIELD_MISSING_DEFAULT_VALUE', description:'The field 'b' at path '/fields/1' in the new schema has no default value and is missing in the old schema', additionalInfo:'b'}"
        );
        let forward = check_compatibility(&p(&add_required), &p(&v1), false);
        assert!(forward[0]
            .description
            .ends_with("in the old schema has no default value and is missing in the new schema"));
        // Field type mismatch location.
        let m = check(&rec(r#"{"name":"a","type":"string"}"#), &v1);
        assert_eq!(
            m[0].to_string(),
            "{errorType:'TYPE_MISMATCH', description:'The type (path '/fields/0/type') of a field in the new schema does not match with the old schema', additionalInfo:'reader type: STRING not compatible with writer type: INT'}"
        );
    }

    #[test]
    fn alias_matching_several_writer_fields_is_javas_exception() {
        let reader = rec(r#"{"name":"a","type":"int","aliases":["b"]}"#);
        let writer = rec(r#"{"name":"a","type":"int"},{"name":"b","type":"int"}"#);
        let m = check(&reader, &writer);
        assert_eq!(m.len(), 1);
        assert!(m[0].to_string().starts_with("Unexpected exception during compatibility check: Reader record field a type:INT pos:0 matches multiple fields in writer record schema {\"type\":\"record\""), "{}", m[0]);
    }

    #[test]
    fn promotions_follow_the_spec() {
        let cases = [
            ("long", "int", true),
            ("float", "int", true),
            ("float", "long", true),
            ("double", "int", true),
            ("double", "long", true),
            ("double", "float", true),
            ("string", "bytes", true),
            ("bytes", "string", true),
            ("int", "long", false),
            ("long", "float", false),
            ("float", "double", false),
            ("boolean", "int", false),
            ("null", "int", false),
            ("int", "null", false),
        ];
        for (r, w, ok) in cases {
            assert_eq!(compatible(&format!("\"{r}\""), &format!("\"{w}\"")), ok, "{r} reading {w}");
        }
        let m = check("\"int\"", "\"long\"");
        assert_eq!(
            m[0].to_string(),
            "{errorType:'TYPE_MISMATCH', description:'The type (path '/') of a field in the new schema does not match with the old schema', additionalInfo:'reader type: INT not compatible with writer type: LONG'}"
        );
    }

    #[test]
    fn union_rules() {
        assert!(compatible(r#"["null","int"]"#, r#""int""#));
        assert!(compatible(r#"["null","long"]"#, r#""int""#), "a branch reads via promotion");
        assert!(compatible(r#""long""#, r#"["int","long"]"#));
        assert!(compatible(r#"["null","string","int"]"#, r#"["int","null"]"#));
        // Writer union against a non-union reader: each branch is checked at its index (Avro 1.12).
        let m = check(r#""int""#, r#"["null","int"]"#);
        assert_eq!(m.len(), 1);
        assert_eq!(
            m[0].to_string(),
            "{errorType:'TYPE_MISMATCH', description:'The type (path '/0') of a field in the new schema does not match with the old schema', additionalInfo:'reader type: INT not compatible with writer type: NULL'}"
        );
        // Union against union: the missing writer branch, at its index.
        let m = check(&rec(r#"{"name":"u","type":["null","string"]}"#), &rec(r#"{"name":"u","type":["null","int"]}"#));
        assert_eq!(
            m[0].to_string(),
            "{errorType:'MISSING_UNION_BRANCH', description:'The new schema is missing a type inside a union field at path '/fields/0/type/1' in the old schema', additionalInfo:'reader union lacking writer type: INT'}"
        );
        // Reader union against a non-union writer: reported where the union is.
        let m = check(&rec(r#"{"name":"u","type":["null","string"]}"#), &rec(r#"{"name":"u","type":"int"}"#));
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].error_type, "MISSING_UNION_BRANCH");
        assert_eq!(m[0].additional_info, "reader union lacking writer type: INT");
        assert!(m[0].description.contains("at path '/fields/0/type'"));
    }

    #[test]
    fn enum_rules() {
        let ab = r#"{"type":"enum","name":"E","symbols":["A","B","C"]}"#;
        let a = r#"{"type":"enum","name":"E","symbols":["A"]}"#;
        let a_default = r#"{"type":"enum","name":"E","symbols":["A","U"],"default":"U"}"#;
        assert!(compatible(ab, a));
        assert!(compatible(a_default, ab), "the reader's enum default covers unknown symbols");
        let m = check(a, ab);
        assert_eq!(
            m[0].to_string(),
            "{errorType:'MISSING_ENUM_SYMBOLS', description:'The new schema is missing enum symbols '[B, C]' at path '/symbols' in the old schema', additionalInfo:'[B, C]'}"
        );
        // Renamed enum: name mismatch and missing symbols are both reported.
        let m = check(r#"{"type":"enum","name":"F","symbols":["A"]}"#, ab);
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].to_string(), "{errorType:'NAME_MISMATCH', description:'The name of the schema has changed (path '/name')', additionalInfo:'expected: E'}");
    }

    #[test]
    fn new_enum_field_with_only_an_enum_default_is_checked_against_the_writer_record() {
        let v1 = rec(r#"{"name":"a","type":"int"}"#);
        let v2 = rec(
            r#"{"name":"a","type":"int"},{"name":"e","type":{"type":"enum","name":"E","symbols":["X"],"default":"X"}}"#,
        );
        let m = check(&v2, &v1);
        assert_eq!(m.len(), 1, "{m:?}");
        assert_eq!(m[0].error_type, "TYPE_MISMATCH");
        assert_eq!(m[0].additional_info, "reader type: ENUM not compatible with writer type: RECORD");
        assert!(m[0].description.contains("(path '/fields/1/type')"));
    }

    #[test]
    fn named_type_rules() {
        let f4 = r#"{"type":"fixed","name":"F","size":4}"#;
        let f8 = r#"{"type":"fixed","name":"F","size":8}"#;
        let g4 = r#"{"type":"fixed","name":"G","size":4}"#;
        let g4_alias = r#"{"type":"fixed","name":"G","size":4,"aliases":["F"]}"#;
        assert_eq!(
            check(f8, f4)[0].to_string(),
            "{errorType:'FIXED_SIZE_MISMATCH', description:'The size of FIXED type field at path '/size' in the new schema does not match with the old schema', additionalInfo:'expected: 4, found: 8'}"
        );
        assert_eq!(check(g4, f4)[0].error_type, "NAME_MISMATCH");
        assert!(compatible(g4_alias, f4), "reader aliases match the writer's full name");
        assert!(compatible(r#"{"type":"fixed","name":"other.F","size":4}"#, f4), "unqualified names compare");
        let ns_alias = r#"{"type":"fixed","name":"G","namespace":"n","size":4,"aliases":["F"]}"#;
        assert!(!compatible(ns_alias, f4), "the alias means n.F, the writer is F");
        let rec_a = r#"{"type":"record","name":"A","fields":[]}"#;
        let rec_b = r#"{"type":"record","name":"B","fields":[]}"#;
        assert_eq!(check(rec_b, rec_a)[0].additional_info, "expected: A");
        assert_eq!(check(f4, rec_a)[0].additional_info, "reader type: FIXED not compatible with writer type: RECORD");
    }

    #[test]
    fn arrays_maps_and_recursion() {
        assert!(compatible(r#"{"type":"array","items":"long"}"#, r#"{"type":"array","items":"int"}"#));
        let m = check(r#"{"type":"map","values":"int"}"#, r#"{"type":"map","values":"long"}"#);
        assert!(m[0].description.contains("(path '/values')"));
        let m = check(r#"{"type":"array","items":"int"}"#, r#"{"type":"array","items":"long"}"#);
        assert!(m[0].description.contains("(path '/items')"));
        assert!(!compatible(r#"{"type":"map","values":"int"}"#, r#"{"type":"array","items":"int"}"#));
        let list = r#"{"type":"record","name":"Node","fields":[{"name":"v","type":"int"},{"name":"next","type":["null","Node"]}]}"#;
        let widened = r#"{"type":"record","name":"Node","fields":[{"name":"v","type":"long"},{"name":"next","type":["null","Node"]}]}"#;
        assert!(compatible(list, list));
        assert!(compatible(widened, list));
        let m = check(list, widened);
        assert_eq!(m.len(), 1, "{m:?}");
        assert!(m[0].description.contains("(path '/fields/0/type')"));
    }

    #[test]
    fn memoized_pairs_repeat_their_first_result() {
        // Java memoizes each named reader/writer pair: a second use reports the first location.
        let e_old = r#"{"type":"enum","name":"E","symbols":["A","B"]}"#;
        let e_new = r#"{"type":"enum","name":"E","symbols":["A"]}"#;
        let m = check(
            &rec(&format!(r#"{{"name":"x","type":{e_new}}},{{"name":"y","type":"E"}}"#)),
            &rec(&format!(r#"{{"name":"x","type":{e_old}}},{{"name":"y","type":"E"}}"#)),
        );
        assert_eq!(m.len(), 2);
        assert!(m.iter().all(|i| i.description.contains("at path '/fields/0/type/symbols'")), "{m:?}");
    }

    #[test]
    fn schema_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<AvroSchema>();
    }
}
