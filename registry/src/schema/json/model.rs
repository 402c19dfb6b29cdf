//! Schema model (mirrors the Everit object model that Confluent's `SchemaDiff` is written against).

use super::*;

pub(super) type NodeId = usize;

#[derive(Debug)]
pub(super) struct Node {
    pub(super) kind: Kind,
    pub(super) id: Option<String>,
    pub(super) title: Option<String>,
    pub(super) description: Option<String>,
    pub(super) default: Option<String>,
    pub(super) connect_type: Option<String>,
}

impl Node {
    pub(super) fn new(kind: Kind) -> Node {
        Node { kind, id: None, title: None, description: None, default: None, connect_type: None }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Crit {
    All,
    Any,
    One,
}

impl Crit {
    pub(super) fn name(self) -> &'static str {
        match self {
            Crit::All => "allOf",
            Crit::Any => "anyOf",
            Crit::One => "oneOf",
        }
    }
}

#[derive(Debug)]
pub(super) enum Kind {
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
pub(super) enum Class {
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
    pub(super) fn class(&self) -> Class {
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
    pub(super) fn is_empty_schema(&self) -> bool {
        matches!(self, Kind::Empty | Kind::True)
    }
}

#[derive(Debug, Default)]
pub(super) struct StrS {
    pub(super) min_length: Option<i64>,
    pub(super) max_length: Option<i64>,
    pub(super) pattern: Option<String>,
}

#[derive(Debug, Clone)]
pub(super) struct Decimal {
    pub(super) raw: String,
}

#[derive(Debug, Default)]
pub(super) struct NumS {
    pub(super) requires_integer: bool,
    pub(super) minimum: Option<f64>,
    pub(super) maximum: Option<f64>,
    pub(super) exclusive_minimum: Option<f64>,
    pub(super) exclusive_maximum: Option<f64>,
    pub(super) multiple_of: Option<Decimal>,
}

#[derive(Debug)]
pub(super) struct PatternProp {
    pub(super) regex: Option<fancy_regex::Regex>,
    pub(super) schema: NodeId,
}

#[derive(Debug)]
pub(super) struct ObjS {
    pub(super) properties: Vec<(String, NodeId)>,
    pub(super) property_index: HashMap<String, NodeId>,
    pub(super) required: HashSet<String>,
    pub(super) min_properties: Option<i64>,
    pub(super) max_properties: Option<i64>,
    pub(super) permits_additional: bool,
    pub(super) additional_schema: Option<NodeId>,
    pub(super) pattern_properties: Vec<PatternProp>,
    pub(super) property_dependencies: Vec<(String, Vec<String>)>,
    pub(super) schema_dependencies: Vec<(String, NodeId)>,
    pub(super) unevaluated: Option<NodeId>,
}

impl ObjS {
    pub(super) fn new() -> ObjS {
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

    pub(super) fn property(&self, key: &str) -> Option<NodeId> {
        self.property_index.get(key).copied()
    }
}

#[derive(Debug)]
pub(super) struct ArrS {
    pub(super) all_items: Option<NodeId>,
    pub(super) item_schemas: Vec<NodeId>,
    pub(super) permits_additional: bool,
    pub(super) additional_schema: Option<NodeId>,
    pub(super) min_items: Option<i64>,
    pub(super) max_items: Option<i64>,
    pub(super) unique_items: bool,
    pub(super) min_contains: Option<f64>,
    pub(super) max_contains: Option<f64>,
    pub(super) unevaluated: Option<NodeId>,
}

impl ArrS {
    pub(super) fn new() -> ArrS {
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
