//! Limits, the error type and the model: an arena of named types (record, enum, fixed) reached
//! through a slot table, and the parsed schema handle.

use super::*;

/// Deepest nesting of schema nodes accepted while parsing, printing and validating defaults.
pub(super) const MAX_DEPTH: usize = 256;
/// Deepest reader/writer recursion of the compatibility checker.
pub(super) const MAX_CHECK_DEPTH: usize = 300;
/// Most incompatibilities collected for one check (Java's memoized results can multiply).
pub(super) const MAX_INCOMPATIBILITIES: usize = 10_000;

/// An invalid schema; the message follows Avro Java's wording where practical.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AvroError(pub String);

impl fmt::Display for AvroError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for AvroError {}

pub(super) fn err<T>(msg: impl Into<String>) -> Result<T, AvroError> {
    Err(AvroError(msg.into()))
}

pub(super) type Props = Vec<(String, Value)>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Prim {
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
    pub(super) fn from_name(s: &str) -> Option<Prim> {
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

    pub(super) fn name(self) -> &'static str {
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
pub(super) enum Node {
    Primitive(Prim, Props),
    Array(Box<Node>, Props),
    Map(Box<Node>, Props),
    Union(Vec<Node>),
    /// A named type, through an index into the slot table.
    Named(usize),
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Slot {
    Type(usize),
    /// A name not yet defined when it was used: the full name to look up at the end of the
    /// document, and the name as written (tried second, as Avro before 1.12.1 effectively did).
    Pending(String, String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Order {
    Ascending,
    Descending,
    Ignore,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct Field {
    pub(super) name: String,
    pub(super) ty: Node,
    pub(super) doc: Option<String>,
    /// The default as Java keeps it; a textual float/double default is converted to a number
    /// (`"NaN"`, `"Infinity"`, `"-Infinity"` stay strings, which is also how Jackson prints them).
    pub(super) default: Option<Value>,
    pub(super) order: Order,
    pub(super) aliases: Vec<String>,
    pub(super) props: Props,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Kind {
    Record { error: bool, fields: Vec<Field> },
    Enum { symbols: Vec<String>, default: Option<String> },
    Fixed { size: i64 },
}

/// Avro Java's `Schema.Name`: a simple name and an optional namespace (`""` is stored as none).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) struct Name {
    pub(super) name: String,
    pub(super) space: Option<String>,
}

impl Name {
    pub(super) fn full(&self) -> String {
        match &self.space {
            Some(s) => format!("{s}.{}", self.name),
            None => self.name.clone(),
        }
    }

    /// `Name.getQualified`: the short name when in `current` namespace (and not a type keyword).
    pub(super) fn qualified(&self, current: Option<&str>) -> String {
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
pub(super) struct Named {
    pub(super) name: Name,
    pub(super) doc: Option<String>,
    pub(super) aliases: Vec<Name>,
    pub(super) props: Props,
    pub(super) kind: Kind,
}

impl Named {
    pub(super) fn kind_name(&self) -> &'static str {
        match self.kind {
            Kind::Record { error: false, .. } => "record",
            Kind::Record { error: true, .. } => "error",
            Kind::Enum { .. } => "enum",
            Kind::Fixed { .. } => "fixed",
        }
    }

    /// `Schema.getAliases()`: full names, a null-namespace alias of a namespaced type as `.name`.
    pub(super) fn alias_strings(&self) -> Vec<String> {
        self.aliases
            .iter()
            .map(|a| if a.space.is_none() && self.name.space.is_some() { format!(".{}", a.name) } else { a.full() })
            .collect()
    }
}

/// The named types and the slot table nodes refer to them through.
#[derive(Debug, Clone, Default)]
pub(super) struct Graph {
    pub(super) types: Vec<Named>,
    pub(super) slots: Vec<Slot>,
}

/// What a node is, as Avro Java's `Schema.Type` (upper-case names in messages).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TypeTag {
    Prim(Prim),
    Array,
    Map,
    Union,
    Record,
    Enum,
    Fixed,
}

impl TypeTag {
    pub(super) fn label(self) -> &'static str {
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
    pub(super) fn named_node(&self, node: &Node) -> Option<&Named> {
        match node {
            Node::Named(slot) => self.named(*slot),
            _ => None,
        }
    }

    pub(super) fn named(&self, slot: usize) -> Option<&Named> {
        match self.slots.get(slot) {
            Some(Slot::Type(i)) => self.types.get(*i),
            _ => None,
        }
    }

    /// Arena index behind a slot (identity of a named type).
    pub(super) fn type_index(&self, slot: usize) -> Option<usize> {
        match self.slots.get(slot) {
            Some(Slot::Type(i)) => Some(*i),
            _ => None,
        }
    }

    pub(super) fn slot_full_name(&self, slot: usize) -> String {
        match self.slots.get(slot) {
            Some(Slot::Type(i)) => self.types.get(*i).map(|t| t.name.full()).unwrap_or_default(),
            Some(Slot::Pending(full, _)) => full.clone(),
            None => String::new(),
        }
    }

    pub(super) fn tag(&self, node: &Node) -> TypeTag {
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
    pub(super) graph: Graph,
    pub(super) root: Node,
    /// Full names of the referenced schemas' top-level types: printed as names, never inline.
    pub(super) known: Vec<String>,
    pub(super) canonical: String,
    pub(super) name: Option<String>,
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

    /// Field names of the top-level record (Confluent `AvroSchema.hasTopLevelField`); empty for
    /// any other top-level type.
    pub fn top_level_fields(&self) -> Vec<&str> {
        match self.graph.named_node(&self.root).map(|t| &t.kind) {
            Some(Kind::Record { fields, .. }) => fields.iter().map(|f| f.name.as_str()).collect(),
            _ => Vec::new(),
        }
    }

    /// Confluent's `resolved` format (Java's `Schema.toString()`): named types from references
    /// printed inline at their first use instead of by name.
    pub fn resolved(&self) -> String {
        self.graph.print(&self.root, &[]).unwrap_or_else(|_| self.canonical.clone())
    }

    /// Full name of the top-level type when it is named (record/enum/fixed), else `None`.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }
}
