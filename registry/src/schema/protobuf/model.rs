//! Syntax tree (the shape of Wire's `ProtoFileElement`).

#[derive(Debug, Clone, Default)]
pub(super) struct FileAst {
    pub(super) syntax: Option<String>,
    pub(super) package: Option<String>,
    pub(super) imports: Vec<String>,
    pub(super) public_imports: Vec<String>,
    pub(super) types: Vec<TypeEl>,
    pub(super) services: Vec<ServiceEl>,
    pub(super) extends: Vec<ExtendEl>,
    pub(super) options: Vec<Opt>,
}

#[derive(Debug, Clone)]
pub(super) enum TypeEl {
    Message(MessageEl),
    Enum(EnumEl),
}

impl TypeEl {
    pub(super) fn name(&self) -> &str {
        match self {
            TypeEl::Message(m) => &m.name,
            TypeEl::Enum(e) => &e.name,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub(super) struct MessageEl {
    pub(super) name: String,
    pub(super) nested: Vec<TypeEl>,
    pub(super) options: Vec<Opt>,
    pub(super) reserveds: Vec<Vec<RangeVal>>,
    pub(super) fields: Vec<FieldEl>,
    pub(super) oneofs: Vec<OneofEl>,
    pub(super) extensions: Vec<ExtensionsEl>,
    pub(super) groups: Vec<GroupEl>,
    pub(super) extends: Vec<ExtendEl>,
}

impl MessageEl {
    pub(super) fn is_map_entry(&self) -> bool {
        self.options.iter().any(|o| o.name == "map_entry" && matches!(&o.value, OVal::Bool(b) if b == "true"))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Label {
    Optional,
    Required,
    Repeated,
}

impl Label {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Label::Optional => "optional",
            Label::Required => "required",
            Label::Repeated => "repeated",
        }
    }
}

#[derive(Debug, Clone)]
pub(super) struct FieldEl {
    pub(super) label: Option<Label>,
    pub(super) ty: String,
    pub(super) name: String,
    pub(super) tag: i32,
    pub(super) default: Option<String>,
    pub(super) json_name: Option<String>,
    pub(super) options: Vec<Opt>,
}

#[derive(Debug, Clone, Default)]
pub(super) struct OneofEl {
    pub(super) name: String,
    pub(super) fields: Vec<FieldEl>,
    pub(super) groups: Vec<GroupEl>,
    pub(super) options: Vec<Opt>,
}

#[derive(Debug, Clone)]
pub(super) struct GroupEl {
    pub(super) label: Option<Label>,
    pub(super) name: String,
    pub(super) tag: i32,
    pub(super) fields: Vec<FieldEl>,
}

#[derive(Debug, Clone, Default)]
pub(super) struct EnumEl {
    pub(super) name: String,
    pub(super) options: Vec<Opt>,
    pub(super) constants: Vec<EnumConst>,
    pub(super) reserveds: Vec<Vec<RangeVal>>,
}

#[derive(Debug, Clone)]
pub(super) struct EnumConst {
    pub(super) name: String,
    pub(super) tag: i32,
    pub(super) options: Vec<Opt>,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum RangeVal {
    Name(String),
    Tag(i32),
    Range(i32, i32),
}

#[derive(Debug, Clone)]
pub(super) struct ExtensionsEl {
    pub(super) values: Vec<RangeVal>,
    pub(super) options: Vec<Opt>,
}

#[derive(Debug, Clone)]
pub(super) struct ExtendEl {
    pub(super) name: String,
    pub(super) fields: Vec<FieldEl>,
}

#[derive(Debug, Clone)]
pub(super) struct ServiceEl {
    pub(super) name: String,
    pub(super) rpcs: Vec<RpcEl>,
    pub(super) options: Vec<Opt>,
}

#[derive(Debug, Clone)]
pub(super) struct RpcEl {
    pub(super) name: String,
    pub(super) request: String,
    pub(super) response: String,
    pub(super) request_stream: bool,
    pub(super) response_stream: bool,
    pub(super) options: Vec<Opt>,
}

/// An option: `name = value`, `(ext).sub = value` (value is `OVal::Opt`), `(ext) = { ... }`.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Opt {
    pub(super) name: String,
    pub(super) paren: bool,
    pub(super) value: OVal,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum OVal {
    Str(String),
    Bool(String),
    Num(String),
    Enum(String),
    Map(Vec<(String, OVal)>),
    List(Vec<OVal>),
    Opt(Box<Opt>),
}
