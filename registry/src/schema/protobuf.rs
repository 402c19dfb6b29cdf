//! Protobuf schema engine: parsing, Confluent's canonical text, normalization, message indexes and
//! Confluent's Protobuf compatibility rules.
//!
//! Confluent (`ProtobufSchema`) keeps the *source-level* syntax tree of a schema (Square Wire's
//! `ProtoFileElement`) and prints it back (`ProtobufSchemaUtils.toString`); type names stay as
//! written, `map<K, V>` stays a map, comments are dropped and declarations are regrouped. This module
//! does the same: a small parser that builds the same tree as Wire's `ProtoParser`, a printer that
//! follows Confluent's layout, and `protox` (compiler) + `prost-reflect` (descriptors) for semantic
//! validation (unknown types, duplicate numbers, missing imports, ...) and message indexes.
//! The compatibility check walks the syntax trees the way Confluent's `diff` package does.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt;
use std::sync::OnceLock;

use prost_reflect::DescriptorPool;

// ---------------------------------------------------------------------------------------------
// Public interface
// ---------------------------------------------------------------------------------------------

/// A schema that could not be parsed or validated. Display is the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtobufError(pub String);

impl fmt::Display for ProtobufError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ProtobufError {}

/// A parsed and validated Protobuf schema.
#[derive(Debug, Clone)]
pub struct ProtobufSchema {
    canonical: String,
    name: Option<String>,
    file: FileAst,
    refs: Vec<RefFile>,
    pool: DescriptorPool,
}

#[derive(Debug, Clone)]
struct RefFile {
    name: String,
    text: String,
    ast: FileAst,
}

/// Name under which the schema being parsed is compiled (never importable by a user schema).
const MAIN_FILE: &str = "lockstep/__registry_schema__.proto";
/// Deepest nesting of messages / option values accepted (guards recursion on hostile input).
const MAX_DEPTH: usize = 64;
/// Largest tag value; `to max` in reserved and extension ranges.
const MAX_TAG_VALUE: i32 = 536_870_911;

impl ProtobufSchema {
    /// Parse .proto text (proto2 or proto3). `references` are (import path, .proto text) of the schemas
    /// it imports, transitively, in dependency order. Well-known `google/protobuf/*.proto`,
    /// `google/type/*.proto` and Confluent's `confluent/meta.proto`, `confluent/type/decimal.proto`,
    /// `confluent/type/variant.proto` are built in.
    pub fn parse(text: &str, references: &[(&str, &str)], normalize: bool) -> Result<ProtobufSchema, ProtobufError> {
        let file = parse_file(text).map_err(|e| ProtobufError(format!("Could not parse Protobuf - {e}")))?;
        let mut refs = Vec::with_capacity(references.len());
        for (name, ref_text) in references {
            let ast = parse_file(ref_text)
                .map_err(|e| ProtobufError(format!("Could not parse Protobuf reference '{name}' - {e}")))?;
            refs.push(RefFile { name: (*name).to_string(), text: (*ref_text).to_string(), ast });
        }
        let pool = compile(text, references)?;
        let name = first_type_name(&file);
        let canonical = if normalize {
            let table = TypeTable::build(&file, &refs);
            let mut ctx = FormatCtx { normalize: true, table: Some(&table), names: Vec::new() };
            print_file(&mut ctx, &file)
        } else {
            let mut ctx = FormatCtx { normalize: false, table: None, names: Vec::new() };
            print_file(&mut ctx, &file)
        };
        Ok(ProtobufSchema { canonical, name, file, refs, pool })
    }

    /// The string the registry stores: Confluent's canonical .proto text, or its normalized form.
    pub fn canonical(&self) -> &str {
        &self.canonical
    }

    /// Full name of the first message (falling back to the first enum, as Confluent's `name()`).
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// Message indexes for the wire format of a message full name: first top-level `[0]`, nested
    /// `[0,0]`, ... Indexes follow the compiled descriptors: synthetic map-entry messages count in
    /// nested lists, at the position of their map field (what descriptor-based serializers write).
    pub fn message_indexes(&self, full_name: &str) -> Option<Vec<i32>> {
        let full_name = full_name.strip_prefix('.').unwrap_or(full_name);
        let msg = self.pool.get_message_by_name(full_name)?;
        if msg.parent_file().name() != MAIN_FILE {
            return None;
        }
        let mut path = Vec::new();
        let mut cur = msg;
        loop {
            match cur.parent_message() {
                Some(parent) => {
                    let idx = parent.child_messages().position(|m| m.full_name() == cur.full_name())?;
                    path.push(i32::try_from(idx).ok()?);
                    cur = parent;
                }
                None => {
                    let file = cur.parent_file();
                    let idx = file.messages().position(|m| m.full_name() == cur.full_name())?;
                    path.push(i32::try_from(idx).ok()?);
                    break;
                }
            }
        }
        path.reverse();
        Some(path)
    }
}

/// One reason why a schema cannot read data written with another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incompatibility {
    pub error_type: String,
    pub description: String,
}

impl fmt::Display for Incompatibility {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{{errorType:\"{}\", description:\"{}\"}}", self.error_type, self.description)
    }
}

/// Confluent's Protobuf compatibility: changes from `writer` (the original) to `reader` (the update)
/// that break reading (`SchemaDiff.compare(original=writer, update=reader)` minus its compatible
/// changes). `reader_is_new` picks the new/old words in descriptions.
pub fn check_compatibility(
    reader: &ProtobufSchema,
    writer: &ProtobufSchema,
    reader_is_new: bool,
) -> Vec<Incompatibility> {
    let (reader_word, writer_word) = if reader_is_new { ("new", "old") } else { ("old", "new") };
    schema_diff(writer, reader)
        .into_iter()
        .filter(|d| !d.kind.is_compatible())
        .map(|d| Incompatibility {
            error_type: d.kind.as_str().to_string(),
            description: d.kind.template(&d.path).replacen("%s", reader_word, 1).replacen("%s", writer_word, 1),
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Syntax tree (the shape of Wire's ProtoFileElement)
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Default)]
struct FileAst {
    syntax: Option<String>,
    package: Option<String>,
    imports: Vec<String>,
    public_imports: Vec<String>,
    types: Vec<TypeEl>,
    services: Vec<ServiceEl>,
    extends: Vec<ExtendEl>,
    options: Vec<Opt>,
}

#[derive(Debug, Clone)]
enum TypeEl {
    Message(MessageEl),
    Enum(EnumEl),
}

impl TypeEl {
    fn name(&self) -> &str {
        match self {
            TypeEl::Message(m) => &m.name,
            TypeEl::Enum(e) => &e.name,
        }
    }
}

#[derive(Debug, Clone, Default)]
struct MessageEl {
    name: String,
    nested: Vec<TypeEl>,
    options: Vec<Opt>,
    reserveds: Vec<Vec<RangeVal>>,
    fields: Vec<FieldEl>,
    oneofs: Vec<OneofEl>,
    extensions: Vec<ExtensionsEl>,
    groups: Vec<GroupEl>,
    extends: Vec<ExtendEl>,
}

impl MessageEl {
    fn is_map_entry(&self) -> bool {
        self.options.iter().any(|o| o.name == "map_entry" && matches!(&o.value, OVal::Bool(b) if b == "true"))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Label {
    Optional,
    Required,
    Repeated,
}

impl Label {
    fn as_str(self) -> &'static str {
        match self {
            Label::Optional => "optional",
            Label::Required => "required",
            Label::Repeated => "repeated",
        }
    }
}

#[derive(Debug, Clone)]
struct FieldEl {
    label: Option<Label>,
    ty: String,
    name: String,
    tag: i32,
    default: Option<String>,
    json_name: Option<String>,
    options: Vec<Opt>,
}

#[derive(Debug, Clone, Default)]
struct OneofEl {
    name: String,
    fields: Vec<FieldEl>,
    groups: Vec<GroupEl>,
    options: Vec<Opt>,
}

#[derive(Debug, Clone)]
struct GroupEl {
    label: Option<Label>,
    name: String,
    tag: i32,
    fields: Vec<FieldEl>,
}

#[derive(Debug, Clone, Default)]
struct EnumEl {
    name: String,
    options: Vec<Opt>,
    constants: Vec<EnumConst>,
    reserveds: Vec<Vec<RangeVal>>,
}

#[derive(Debug, Clone)]
struct EnumConst {
    name: String,
    tag: i32,
    options: Vec<Opt>,
}

#[derive(Debug, Clone, PartialEq)]
enum RangeVal {
    Name(String),
    Tag(i32),
    Range(i32, i32),
}

#[derive(Debug, Clone)]
struct ExtensionsEl {
    values: Vec<RangeVal>,
    options: Vec<Opt>,
}

#[derive(Debug, Clone)]
struct ExtendEl {
    name: String,
    fields: Vec<FieldEl>,
}

#[derive(Debug, Clone)]
struct ServiceEl {
    name: String,
    rpcs: Vec<RpcEl>,
    options: Vec<Opt>,
}

#[derive(Debug, Clone)]
struct RpcEl {
    name: String,
    request: String,
    response: String,
    request_stream: bool,
    response_stream: bool,
    options: Vec<Opt>,
}

/// An option: `name = value`, `(ext).sub = value` (value is `OVal::Opt`), `(ext) = { ... }`.
#[derive(Debug, Clone, PartialEq)]
struct Opt {
    name: String,
    paren: bool,
    value: OVal,
}

#[derive(Debug, Clone, PartialEq)]
enum OVal {
    Str(String),
    Bool(String),
    Num(String),
    Enum(String),
    Map(Vec<(String, OVal)>),
    List(Vec<OVal>),
    Opt(Box<Opt>),
}

// ---------------------------------------------------------------------------------------------
// Parser (accepts what Wire's ProtoParser accepts, builds the same tree)
// ---------------------------------------------------------------------------------------------

type PResult<T> = Result<T, String>;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Ctx {
    File,
    Message,
    Enum,
    Rpc,
    Extend,
    Service,
}

enum Decl {
    Type(TypeEl),
    Service(ServiceEl),
    Option(Opt),
    Extend(ExtendEl),
    Field(FieldEl),
    Oneof(OneofEl),
    Group(GroupEl),
    Extensions(ExtensionsEl),
    Reserved(Vec<RangeVal>),
    Const(EnumConst),
    Rpc(RpcEl),
}

struct Parser {
    data: Vec<char>,
    pos: usize,
    line: usize,
    line_start: usize,
    depth: usize,
    decl_count: usize,
    syntax: Option<String>,
    package: Option<String>,
    imports: Vec<String>,
    public_imports: Vec<String>,
}

fn parse_file(text: &str) -> PResult<FileAst> {
    let mut p = Parser {
        data: text.chars().collect(),
        pos: 0,
        line: 0,
        line_start: 0,
        depth: 0,
        decl_count: 0,
        syntax: None,
        package: None,
        imports: Vec::new(),
        public_imports: Vec::new(),
    };
    let mut types: Vec<TypeEl> = Vec::new();
    let mut services: Vec<ServiceEl> = Vec::new();
    let mut extends = Vec::new();
    let mut options = Vec::new();
    loop {
        p.skip_ws(true)?;
        if p.pos >= p.data.len() {
            break;
        }
        match p.read_declaration(Ctx::File)? {
            Some(Decl::Type(t)) => {
                if types.iter().any(|x| x.name() == t.name()) {
                    return Err(format!("{} is already defined", t.name()));
                }
                types.push(t);
            }
            Some(Decl::Service(s)) => {
                if services.iter().any(|x| x.name == s.name) {
                    return Err(format!("{} is already defined", s.name));
                }
                services.push(s);
            }
            Some(Decl::Option(o)) => options.push(o),
            Some(Decl::Extend(e)) => extends.push(e),
            _ => {}
        }
    }
    Ok(FileAst {
        syntax: p.syntax,
        package: p.package,
        imports: p.imports,
        public_imports: p.public_imports,
        types,
        services,
        extends,
        options,
    })
}

impl Parser {
    fn err<T>(&self, msg: impl Into<String>) -> PResult<T> {
        Err(format!(
            "Syntax error in {}:{}: {}",
            self.line + 1,
            self.pos.saturating_sub(self.line_start) + 1,
            msg.into()
        ))
    }

    fn enter(&mut self) -> PResult<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return self.err("nesting too deep");
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    fn skip_ws(&mut self, skip_comments: bool) -> PResult<()> {
        while let Some(&c) = self.data.get(self.pos) {
            match c {
                ' ' | '\t' | '\r' | '\n' => {
                    self.pos += 1;
                    if c == '\n' {
                        self.newline();
                    }
                }
                '/' if skip_comments => self.skip_comment()?,
                _ => return Ok(()),
            }
        }
        Ok(())
    }

    fn newline(&mut self) {
        self.line += 1;
        self.line_start = self.pos;
    }

    fn skip_comment(&mut self) -> PResult<()> {
        self.pos += 1;
        match self.data.get(self.pos).copied() {
            Some('*') => {
                self.pos += 1;
                while self.pos + 1 < self.data.len() {
                    if self.data[self.pos] == '*' && self.data[self.pos + 1] == '/' {
                        self.pos += 2;
                        return Ok(());
                    }
                    if self.data[self.pos] == '\n' {
                        self.pos += 1;
                        self.newline();
                    } else {
                        self.pos += 1;
                    }
                }
                self.err("unterminated comment")
            }
            Some('/') => {
                while let Some(&c) = self.data.get(self.pos) {
                    self.pos += 1;
                    if c == '\n' {
                        self.newline();
                        break;
                    }
                }
                Ok(())
            }
            _ => self.err("unexpected '/'"),
        }
    }

    fn peek(&mut self) -> PResult<char> {
        self.skip_ws(true)?;
        match self.data.get(self.pos) {
            Some(&c) => Ok(c),
            None => self.err("unexpected end of file"),
        }
    }

    /// Consumes `c` if it is next.
    fn peek_is(&mut self, c: char) -> PResult<bool> {
        if self.peek()? == c {
            self.pos += 1;
            Ok(true)
        } else {
            Ok(false)
        }
    }

    fn read_char(&mut self) -> PResult<char> {
        let c = self.peek()?;
        self.pos += 1;
        Ok(c)
    }

    fn require(&mut self, c: char) -> PResult<()> {
        let got = self.read_char()?;
        if got != c {
            return self.err(format!("expected '{c}' but was '{got}'"));
        }
        Ok(())
    }

    fn read_word(&mut self, allow_leading_digit: bool, allow_dots: bool) -> PResult<String> {
        self.skip_ws(true)?;
        let start = self.pos;
        while let Some(&c) = self.data.get(self.pos) {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' || (allow_dots && c == '.') {
                self.pos += 1;
            } else {
                break;
            }
        }
        if start == self.pos {
            return self.err("expected a word");
        }
        if !allow_leading_digit && self.data[start].is_ascii_digit() {
            return self.err("field and constant names cannot start with a digit");
        }
        Ok(self.data[start..self.pos].iter().collect())
    }

    fn read_name(&mut self, allow_leading_digit: bool, retain_wrap: bool, allow_dots: bool) -> PResult<String> {
        match self.peek()? {
            '(' => {
                self.pos += 1;
                let w = self.read_word(allow_leading_digit, true)?;
                if self.read_char()? != ')' {
                    return self.err("expected ')'");
                }
                Ok(if retain_wrap { format!("({w})") } else { w })
            }
            '[' => {
                self.pos += 1;
                let w = self.read_word(allow_leading_digit, true)?;
                if self.read_char()? != ']' {
                    return self.err("expected ']'");
                }
                Ok(if retain_wrap { format!("[{w}]") } else { w })
            }
            _ => self.read_word(allow_leading_digit, allow_dots),
        }
    }

    fn read_quoted_string(&mut self) -> PResult<String> {
        let mut quote = self.read_char()?;
        if quote != '"' && quote != '\'' {
            return self.err("expected quoted string");
        }
        let mut out = String::new();
        while let Some(&c0) = self.data.get(self.pos) {
            self.pos += 1;
            let mut c = c0;
            if c == quote {
                self.skip_ws(true)?;
                match self.data.get(self.pos) {
                    Some(&q) if q == '"' || q == '\'' => {
                        quote = q;
                        self.pos += 1;
                        continue;
                    }
                    _ => return Ok(out),
                }
            }
            if c == '\\' {
                let Some(&e) = self.data.get(self.pos) else {
                    return self.err("unexpected end of file");
                };
                self.pos += 1;
                c = match e {
                    'a' => '\u{7}',
                    'b' => '\u{8}',
                    'f' => '\u{c}',
                    'n' => '\n',
                    'r' => '\r',
                    't' => '\t',
                    'v' => '\u{b}',
                    'x' | 'X' => self.read_numeric_escape(16, 2)?,
                    '0'..='7' => {
                        self.pos -= 1;
                        self.read_numeric_escape(8, 3)?
                    }
                    other => other,
                };
            }
            out.push(c);
            if c == '\n' {
                self.newline();
            }
        }
        self.err("unterminated string")
    }

    fn read_numeric_escape(&mut self, radix: u32, len: usize) -> PResult<char> {
        let end = (self.pos + len).min(self.data.len());
        let mut value: Option<u32> = None;
        while self.pos < end {
            match self.data[self.pos].to_digit(radix) {
                Some(d) => {
                    value = Some(value.map_or(d, |v| v * radix + d));
                    self.pos += 1;
                }
                None => break,
            }
        }
        match value.and_then(char::from_u32) {
            Some(c) => Ok(c),
            None => self.err("expected a digit after \\x or \\X"),
        }
    }

    fn read_string(&mut self) -> PResult<String> {
        match self.peek()? {
            '"' | '\'' => self.read_quoted_string(),
            _ => self.read_word(true, true),
        }
    }

    fn read_data_type(&mut self) -> PResult<String> {
        let name = self.read_word(true, true)?;
        self.read_data_type_named(name)
    }

    fn read_data_type_named(&mut self, name: String) -> PResult<String> {
        if name == "map" {
            if self.read_char()? != '<' {
                return self.err("expected '<'");
            }
            let key = self.read_data_type()?;
            if self.read_char()? != ',' {
                return self.err("expected ','");
            }
            let value = self.read_data_type()?;
            if self.read_char()? != '>' {
                return self.err("expected '>'");
            }
            return Ok(format!("map<{key}, {value}>"));
        }
        let mut out = name;
        while self.peek()? == '.' {
            self.pos += 1;
            let w = self.read_word(true, true)?;
            out.push('.');
            out.push_str(&w);
        }
        Ok(out)
    }

    fn read_int(&mut self) -> PResult<i32> {
        let word = self.read_word(true, true)?;
        let (digits, radix) = match word.strip_prefix("0x").or_else(|| word.strip_prefix("0X")) {
            Some(hex) => (hex, 16),
            None => (word.as_str(), 10),
        };
        match i32::from_str_radix(digits, radix) {
            Ok(v) => Ok(v),
            Err(_) => self.err(format!("expected an integer but was {word}")),
        }
    }

    fn read_declaration(&mut self, ctx: Ctx) -> PResult<Option<Decl>> {
        let index = self.decl_count;
        self.decl_count += 1;
        if self.peek_is(';')? {
            return Ok(None);
        }
        let label = self.read_word(ctx != Ctx::Enum, true)?;
        let permits_message = matches!(ctx, Ctx::File | Ctx::Message);
        match label.as_str() {
            "package" if ctx == Ctx::File => {
                let name = self.read_name(true, false, true)?;
                self.package = Some(name);
                self.require(';')?;
                Ok(None)
            }
            "import" if ctx == Ctx::File => {
                let c = self.peek()?;
                if c == '"' || c == '\'' {
                    let s = self.read_quoted_string()?;
                    self.imports.push(s);
                } else {
                    match self.read_string()?.as_str() {
                        "weak" => {
                            // Wire keeps weak imports apart; Confluent's printer never prints them.
                            self.read_quoted_string()?;
                        }
                        "public" => {
                            let s = self.read_quoted_string()?;
                            self.public_imports.push(s);
                        }
                        _ => return self.err("expected quoted string"),
                    }
                }
                self.require(';')?;
                Ok(None)
            }
            "syntax" if ctx == Ctx::File => {
                if self.syntax.is_some() {
                    return self.err("too many syntax definitions");
                }
                self.require('=')?;
                if index != 0 {
                    return self.err("'syntax' element must be the first declaration in a file");
                }
                let s = self.read_quoted_string()?;
                if s != "proto2" && s != "proto3" {
                    return self.err(format!("unexpected syntax: {s}"));
                }
                self.syntax = Some(s);
                self.require(';')?;
                Ok(None)
            }
            "option" => {
                let o = self.read_option('=')?;
                self.require(';')?;
                Ok(Some(Decl::Option(o)))
            }
            "reserved" => Ok(Some(Decl::Reserved(self.read_reserved()?))),
            "message" if permits_message => Ok(Some(Decl::Type(TypeEl::Message(self.read_message()?)))),
            "enum" if permits_message => Ok(Some(Decl::Type(TypeEl::Enum(self.read_enum()?)))),
            "service" if ctx == Ctx::File => Ok(Some(Decl::Service(self.read_service()?))),
            "extend" if permits_message => Ok(Some(Decl::Extend(self.read_extend()?))),
            "rpc" if ctx == Ctx::Service => Ok(Some(Decl::Rpc(self.read_rpc()?))),
            "oneof" if ctx == Ctx::Message => Ok(Some(Decl::Oneof(self.read_oneof()?))),
            "extensions" if ctx == Ctx::Message => Ok(Some(Decl::Extensions(self.read_extensions()?))),
            _ if matches!(ctx, Ctx::Message | Ctx::Extend) => self.read_field_decl(label),
            _ if ctx == Ctx::Enum => Ok(Some(Decl::Const(self.read_enum_constant(label)?))),
            "edition" if ctx == Ctx::File => self.err("edition is not currently supported"),
            _ => self.err(format!("unexpected label: {label}")),
        }
    }

    fn read_message(&mut self) -> PResult<MessageEl> {
        self.enter()?;
        let mut m = MessageEl { name: self.read_name(true, false, true)?, ..Default::default() };
        self.require('{')?;
        loop {
            if self.peek_is('}')? {
                break;
            }
            match self.read_declaration(Ctx::Message)? {
                Some(Decl::Field(f)) => m.fields.push(f),
                Some(Decl::Oneof(o)) => m.oneofs.push(o),
                Some(Decl::Group(g)) => m.groups.push(g),
                Some(Decl::Type(t)) => m.nested.push(t),
                Some(Decl::Extensions(e)) => m.extensions.push(e),
                Some(Decl::Option(o)) => m.options.push(o),
                Some(Decl::Extend(e)) => m.extends.push(e),
                Some(Decl::Reserved(r)) => m.reserveds.push(r),
                _ => {}
            }
        }
        self.leave();
        Ok(m)
    }

    fn read_extend(&mut self) -> PResult<ExtendEl> {
        let name = self.read_name(true, false, true)?;
        let mut fields = Vec::new();
        self.require('{')?;
        loop {
            if self.peek_is('}')? {
                break;
            }
            if let Some(Decl::Field(f)) = self.read_declaration(Ctx::Extend)? {
                fields.push(f);
            }
        }
        Ok(ExtendEl { name, fields })
    }

    fn read_service(&mut self) -> PResult<ServiceEl> {
        let name = self.read_name(true, false, true)?;
        let mut rpcs = Vec::new();
        let mut options = Vec::new();
        self.require('{')?;
        loop {
            if self.peek_is('}')? {
                break;
            }
            match self.read_declaration(Ctx::Service)? {
                Some(Decl::Rpc(r)) => rpcs.push(r),
                Some(Decl::Option(o)) => options.push(o),
                _ => {}
            }
        }
        Ok(ServiceEl { name, rpcs, options })
    }

    fn read_enum(&mut self) -> PResult<EnumEl> {
        let mut e = EnumEl { name: self.read_name(true, false, true)?, ..Default::default() };
        self.require('{')?;
        loop {
            if self.peek_is('}')? {
                break;
            }
            match self.read_declaration(Ctx::Enum)? {
                Some(Decl::Const(c)) => e.constants.push(c),
                Some(Decl::Option(o)) => e.options.push(o),
                Some(Decl::Reserved(r)) => e.reserveds.push(r),
                _ => {}
            }
        }
        Ok(e)
    }

    fn read_field_decl(&mut self, word: String) -> PResult<Option<Decl>> {
        let (label, ty) = match word.as_str() {
            "required" => {
                if self.syntax.as_deref() == Some("proto3") {
                    return self.err("'required' label forbidden in proto3 field declarations");
                }
                (Some(Label::Required), self.read_data_type()?)
            }
            "optional" => (Some(Label::Optional), self.read_data_type()?),
            "repeated" => (Some(Label::Repeated), self.read_data_type()?),
            _ => {
                let is_map = word == "map" && self.peek()? == '<';
                if self.syntax.as_deref() != Some("proto3") && !is_map {
                    return self.err(format!("unexpected label: {word}"));
                }
                (None, self.read_data_type_named(word)?)
            }
        };
        if ty.starts_with("map<") && label.is_some() {
            return self.err("'map' type cannot have label");
        }
        if ty == "group" {
            return Ok(Some(Decl::Group(self.read_group(label)?)));
        }
        Ok(Some(Decl::Field(self.read_field(label, ty)?)))
    }

    fn read_field(&mut self, label: Option<Label>, ty: String) -> PResult<FieldEl> {
        let name = self.read_name(false, false, true)?;
        self.require('=')?;
        let tag = self.read_int()?;
        let mut options = self.read_options()?;
        let default = strip_value("default", &mut options);
        let json_name = strip_value("json_name", &mut options);
        self.require(';')?;
        Ok(FieldEl { label, ty, name, tag, default, json_name, options })
    }

    fn read_oneof(&mut self) -> PResult<OneofEl> {
        let mut o = OneofEl { name: self.read_name(true, false, true)?, ..Default::default() };
        self.require('{')?;
        loop {
            if self.peek_is('}')? {
                break;
            }
            let ty = self.read_data_type()?;
            match ty.as_str() {
                "group" => o.groups.push(self.read_group(None)?),
                "option" => {
                    o.options.push(self.read_option('=')?);
                    self.require(';')?;
                }
                _ => o.fields.push(self.read_field(None, ty)?),
            }
        }
        Ok(o)
    }

    fn read_group(&mut self, label: Option<Label>) -> PResult<GroupEl> {
        self.enter()?;
        let name = self.read_word(true, true)?;
        self.require('=')?;
        let tag = self.read_int()?;
        let mut fields = Vec::new();
        self.require('{')?;
        loop {
            if self.peek_is('}')? {
                break;
            }
            let word = self.read_word(true, true)?;
            match self.read_field_decl(word)? {
                Some(Decl::Field(f)) => fields.push(f),
                _ => return self.err("expected field declaration"),
            }
        }
        self.leave();
        Ok(GroupEl { label, name, tag, fields })
    }

    fn read_range_end(&mut self) -> PResult<i32> {
        let w = self.read_word(true, true)?;
        if w == "max" {
            return Ok(MAX_TAG_VALUE);
        }
        match w.parse::<i32>() {
            Ok(v) => Ok(v),
            Err(_) => self.err(format!("expected an integer but was {w}")),
        }
    }

    fn read_reserved(&mut self) -> PResult<Vec<RangeVal>> {
        let mut values = Vec::new();
        loop {
            let c = self.peek()?;
            if c == '"' || c == '\'' {
                values.push(RangeVal::Name(self.read_quoted_string()?));
            } else {
                let start = self.read_int()?;
                let c = self.peek()?;
                if c == ',' || c == ';' {
                    values.push(RangeVal::Tag(start));
                } else {
                    if self.read_word(true, true)? != "to" {
                        return self.err("expected ',', ';', or 'to'");
                    }
                    let end = self.read_range_end()?;
                    values.push(RangeVal::Range(start, end));
                }
            }
            match self.read_char()? {
                ';' => break,
                ',' => continue,
                _ => return self.err("expected ',' or ';'"),
            }
        }
        Ok(values)
    }

    fn read_extensions(&mut self) -> PResult<ExtensionsEl> {
        let mut values = Vec::new();
        let mut options = Vec::new();
        loop {
            let start = self.read_int()?;
            let c = self.peek()?;
            if c == ',' || c == ';' || c == '[' {
                values.push(RangeVal::Tag(start));
            } else {
                if self.read_word(true, true)? != "to" {
                    return self.err("expected ',', ';', '[' or 'to'");
                }
                let end = self.read_range_end()?;
                values.push(RangeVal::Range(start, end));
            }
            if self.peek()? == '[' {
                options.extend(self.read_options()?);
                self.require(';')?;
                break;
            }
            match self.read_char()? {
                ';' => break,
                ',' => continue,
                _ => return self.err("expected ',' or ';'"),
            }
        }
        Ok(ExtensionsEl { values, options })
    }

    fn read_enum_constant(&mut self, name: String) -> PResult<EnumConst> {
        self.require('=')?;
        let tag = self.read_int()?;
        let options = self.read_options()?;
        self.require(';')?;
        Ok(EnumConst { name, tag, options })
    }

    fn read_rpc_type(&mut self) -> PResult<(bool, String)> {
        let word = self.read_word(true, true)?;
        if word == "stream" {
            Ok((true, self.read_data_type()?))
        } else {
            Ok((false, self.read_data_type_named(word)?))
        }
    }

    fn read_rpc(&mut self) -> PResult<RpcEl> {
        let name = self.read_name(true, false, true)?;
        self.require('(')?;
        let (request_stream, request) = self.read_rpc_type()?;
        self.require(')')?;
        if self.read_word(true, true)? != "returns" {
            return self.err("expected 'returns'");
        }
        self.require('(')?;
        let (response_stream, response) = self.read_rpc_type()?;
        self.require(')')?;
        let mut options = Vec::new();
        if self.peek_is('{')? {
            loop {
                if self.peek_is('}')? {
                    break;
                }
                if let Some(Decl::Option(o)) = self.read_declaration(Ctx::Rpc)? {
                    options.push(o);
                }
            }
        } else {
            self.require(';')?;
        }
        Ok(RpcEl { name, request, response, request_stream, response_stream, options })
    }

    // --- options (Wire's OptionReader) ---

    fn read_options(&mut self) -> PResult<Vec<Opt>> {
        if !self.peek_is('[')? {
            return Ok(Vec::new());
        }
        let mut out = Vec::new();
        loop {
            out.push(self.read_option('=')?);
            if self.peek_is(']')? {
                break;
            }
            if !self.peek_is(',')? {
                return self.err("Expected ',' or ']");
            }
        }
        Ok(out)
    }

    fn read_option(&mut self, sep: char) -> PResult<Opt> {
        self.enter()?;
        let first = self.peek()?;
        let is_extension = first == '[';
        let paren = first == '(';
        let mut name = self.read_name(true, false, true)?;
        if is_extension {
            name = format!("[{name}]");
        }
        let mut sub_names = Vec::new();
        let mut c;
        loop {
            c = self.read_char()?;
            if c != '.' {
                break;
            }
            sub_names.push(self.read_name(true, true, false)?);
        }
        if sep == ':' && c == '{' {
            self.pos -= 1;
        } else if c != sep {
            return self.err(format!("expected '{sep}' in option"));
        }
        let mut value = self.read_value()?;
        for sub in sub_names.into_iter().rev() {
            let (sub, sub_paren) = match sub.strip_prefix('(').and_then(|s| s.strip_suffix(')')) {
                Some(inner) => (inner.to_string(), true),
                None => (sub, false),
            };
            value = OVal::Opt(Box::new(Opt { name: sub, paren: sub_paren, value }));
        }
        self.leave();
        Ok(Opt { name, paren, value })
    }

    fn read_value(&mut self) -> PResult<OVal> {
        match self.peek()? {
            '{' => self.read_map(),
            '[' => self.read_list(),
            '"' | '\'' => Ok(OVal::Str(self.read_string()?)),
            c if c.is_ascii_digit() || c == '-' => Ok(OVal::Num(self.read_word(true, true)?)),
            _ => {
                let w = self.read_word(true, true)?;
                Ok(match w.as_str() {
                    "true" | "false" => OVal::Bool(w),
                    _ => OVal::Enum(w),
                })
            }
        }
    }

    fn read_map(&mut self) -> PResult<OVal> {
        self.enter()?;
        self.require('{')?;
        let mut entries: Vec<(String, OVal)> = Vec::new();
        loop {
            if self.peek_is('}')? {
                break;
            }
            let opt = self.read_option(':')?;
            let key = opt.name;
            match opt.value {
                OVal::Opt(inner) => {
                    let pos = match entries.iter().position(|(k, _)| *k == key) {
                        Some(p) => p,
                        None => {
                            entries.push((key.clone(), OVal::Map(Vec::new())));
                            entries.len() - 1
                        }
                    };
                    if let OVal::Map(nested) = &mut entries[pos].1 {
                        match nested.iter_mut().find(|(k, _)| *k == inner.name) {
                            Some(slot) => slot.1 = inner.value,
                            None => nested.push((inner.name, inner.value)),
                        }
                    }
                }
                value => match entries.iter_mut().find(|(k, _)| *k == key) {
                    None => entries.push((key, value)),
                    Some(slot) => {
                        let prev = std::mem::replace(&mut slot.1, OVal::List(Vec::new()));
                        let mut list = match prev {
                            OVal::List(l) => l,
                            other => vec![other],
                        };
                        match value {
                            OVal::List(l) => list.extend(l),
                            v => list.push(v),
                        }
                        slot.1 = OVal::List(list);
                    }
                },
            }
            if !self.peek_is(',')? {
                self.peek_is(';')?;
            }
        }
        self.leave();
        Ok(OVal::Map(entries))
    }

    fn read_list(&mut self) -> PResult<OVal> {
        self.enter()?;
        self.require('[')?;
        let mut out = Vec::new();
        loop {
            if self.peek_is(']')? {
                break;
            }
            out.push(self.read_value()?);
            if self.peek_is(',')? {
                continue;
            }
            if self.peek()? != ']' {
                return self.err("expected ',' or ']'");
            }
        }
        self.leave();
        Ok(OVal::List(out))
    }
}

/// Wire moves `default` and `json_name` out of the field options (the last one wins).
fn strip_value(name: &str, options: &mut Vec<Opt>) -> Option<String> {
    let mut result = None;
    options.retain(|o| {
        if o.name == name {
            result = Some(match &o.value {
                OVal::Str(s) | OVal::Bool(s) | OVal::Num(s) | OVal::Enum(s) => s.clone(),
                other => format!("{other:?}"),
            });
            false
        } else {
            true
        }
    });
    result
}

fn first_type_name(file: &FileAst) -> Option<String> {
    let first = file
        .types
        .iter()
        .find(|t| matches!(t, TypeEl::Message(_)))
        .or_else(|| file.types.iter().find(|t| matches!(t, TypeEl::Enum(_))))?;
    Some(match file.package.as_deref() {
        Some(p) if !p.is_empty() => format!("{p}.{}", first.name()),
        _ => first.name().to_string(),
    })
}

// ---------------------------------------------------------------------------------------------
// Semantic validation with protox
// ---------------------------------------------------------------------------------------------

struct MemResolver {
    files: HashMap<String, String>,
}

impl protox::file::FileResolver for MemResolver {
    fn open_file(&self, name: &str) -> Result<protox::file::File, protox::Error> {
        if let Some(src) = self.files.get(name) {
            return protox::file::File::from_source(name, src);
        }
        if let Some(src) = builtin_source(name) {
            return protox::file::File::from_source(name, src);
        }
        Err(protox::Error::file_not_found(name))
    }
}

fn compile(text: &str, references: &[(&str, &str)]) -> Result<DescriptorPool, ProtobufError> {
    let mut files: HashMap<String, String> =
        references.iter().map(|(n, t)| ((*n).to_string(), (*t).to_string())).collect();
    files.insert(MAIN_FILE.to_string(), text.to_string());
    // protox is not known to panic, but it runs on untrusted text: a panic in it must not take the
    // request down with it, so it is contained here and reported as an invalid schema.
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
        let mut chain = protox::file::ChainFileResolver::new();
        chain.add(MemResolver { files });
        chain.add(protox::file::GoogleFileResolver::new());
        let mut compiler = protox::Compiler::with_file_resolver(chain);
        compiler.include_imports(true);
        compiler.open_file(MAIN_FILE).map(|c| c.descriptor_pool()).map_err(|e| e.to_string())
    }));
    match result {
        Ok(Ok(pool)) => Ok(pool),
        Ok(Err(e)) => Err(ProtobufError(format!("Invalid Protobuf schema - {}", e.replace(MAIN_FILE, "schema")))),
        Err(_) => Err(ProtobufError("Invalid Protobuf schema - internal compiler error".to_string())),
    }
}

// ---------------------------------------------------------------------------------------------
// Built-in files: google/type/*, confluent/* (message/field layout from their public
// definitions) and google/protobuf/* (from prost-reflect's bundled descriptors)
// ---------------------------------------------------------------------------------------------

const BUILTIN_SOURCES: &[(&str, &str)] = &[
    (
        "confluent/meta.proto",
        "syntax = \"proto3\";\npackage confluent;\nimport \"google/protobuf/descriptor.proto\";\n\
         option java_package = \"io.confluent.protobuf\";\noption java_outer_classname = \"MetaProto\";\n\
         message Meta {\n  string doc = 1;\n  map<string, string> params = 2;\n  repeated string tags = 3;\n  repeated Rule rules = 4;\n}\n\
         message Rule {\n  string name = 1;\n  string doc = 2;\n  string expr = 3;\n  string sql = 4;\n}\n\
         extend google.protobuf.FileOptions {\n  Meta file_meta = 1088;\n}\n\
         extend google.protobuf.MessageOptions {\n  Meta message_meta = 1088;\n}\n\
         extend google.protobuf.FieldOptions {\n  Meta field_meta = 1088;\n}\n\
         extend google.protobuf.EnumOptions {\n  Meta enum_meta = 1088;\n}\n\
         extend google.protobuf.EnumValueOptions {\n  Meta enum_value_meta = 1088;\n}\n",
    ),
    (
        "confluent/type/decimal.proto",
        "syntax = \"proto3\";\npackage confluent.type;\noption java_package = \"io.confluent.protobuf.type\";\n\
         option java_multiple_files = true;\noption java_outer_classname = \"DecimalProto\";\n\
         message Decimal {\n  bytes value = 1;\n  uint32 precision = 2;\n  int32 scale = 3;\n}\n",
    ),
    (
        "confluent/type/variant.proto",
        "syntax = \"proto3\";\npackage confluent.type;\noption java_package = \"io.confluent.protobuf.type\";\n\
         option java_multiple_files = true;\noption java_outer_classname = \"VariantProto\";\n\
         message Variant {\n  bytes metadata = 1;\n  bytes value = 2;\n}\n",
    ),
    (
        "google/type/calendar_period.proto",
        "syntax = \"proto3\";\npackage google.type;\nenum CalendarPeriod {\n  CALENDAR_PERIOD_UNSPECIFIED = 0;\n  DAY = 1;\n  \
         WEEK = 2;\n  FORTNIGHT = 3;\n  MONTH = 4;\n  QUARTER = 5;\n  HALF = 6;\n  YEAR = 7;\n}\n",
    ),
    (
        "google/type/color.proto",
        "syntax = \"proto3\";\npackage google.type;\nimport \"google/protobuf/wrappers.proto\";\n\
         message Color {\n  float red = 1;\n  float green = 2;\n  float blue = 3;\n  google.protobuf.FloatValue alpha = 4;\n}\n",
    ),
    (
        "google/type/date.proto",
        "syntax = \"proto3\";\npackage google.type;\nmessage Date {\n  int32 year = 1;\n  int32 month = 2;\n  int32 day = 3;\n}\n",
    ),
    (
        "google/type/datetime.proto",
        "syntax = \"proto3\";\npackage google.type;\nimport \"google/protobuf/duration.proto\";\n\
         message DateTime {\n  int32 year = 1;\n  int32 month = 2;\n  int32 day = 3;\n  int32 hours = 4;\n  \
         int32 minutes = 5;\n  int32 seconds = 6;\n  int32 nanos = 7;\n  oneof time_offset {\n    \
         google.protobuf.Duration utc_offset = 8;\n    TimeZone time_zone = 9;\n  }\n}\n\
         message TimeZone {\n  string id = 1;\n  string version = 2;\n}\n",
    ),
    (
        "google/type/dayofweek.proto",
        "syntax = \"proto3\";\npackage google.type;\nenum DayOfWeek {\n  DAY_OF_WEEK_UNSPECIFIED = 0;\n  MONDAY = 1;\n  \
         TUESDAY = 2;\n  WEDNESDAY = 3;\n  THURSDAY = 4;\n  FRIDAY = 5;\n  SATURDAY = 6;\n  SUNDAY = 7;\n}\n",
    ),
    ("google/type/decimal.proto", "syntax = \"proto3\";\npackage google.type;\nmessage Decimal {\n  string value = 1;\n}\n"),
    (
        "google/type/expr.proto",
        "syntax = \"proto3\";\npackage google.type;\nmessage Expr {\n  string expression = 1;\n  string title = 2;\n  \
         string description = 3;\n  string location = 4;\n}\n",
    ),
    (
        "google/type/fraction.proto",
        "syntax = \"proto3\";\npackage google.type;\nmessage Fraction {\n  int64 numerator = 1;\n  int64 denominator = 2;\n}\n",
    ),
    (
        "google/type/interval.proto",
        "syntax = \"proto3\";\npackage google.type;\nimport \"google/protobuf/timestamp.proto\";\n\
         message Interval {\n  google.protobuf.Timestamp start_time = 1;\n  google.protobuf.Timestamp end_time = 2;\n}\n",
    ),
    (
        "google/type/latlng.proto",
        "syntax = \"proto3\";\npackage google.type;\nmessage LatLng {\n  double latitude = 1;\n  double longitude = 2;\n}\n",
    ),
    (
        "google/type/money.proto",
        "syntax = \"proto3\";\npackage google.type;\nmessage Money {\n  string currency_code = 1;\n  int64 units = 2;\n  \
         int32 nanos = 3;\n}\n",
    ),
    (
        "google/type/month.proto",
        "syntax = \"proto3\";\npackage google.type;\nenum Month {\n  MONTH_UNSPECIFIED = 0;\n  JANUARY = 1;\n  FEBRUARY = 2;\n  \
         MARCH = 3;\n  APRIL = 4;\n  MAY = 5;\n  JUNE = 6;\n  JULY = 7;\n  AUGUST = 8;\n  SEPTEMBER = 9;\n  OCTOBER = 10;\n  \
         NOVEMBER = 11;\n  DECEMBER = 12;\n}\n",
    ),
    (
        "google/type/phone_number.proto",
        "syntax = \"proto3\";\npackage google.type;\nmessage PhoneNumber {\n  oneof kind {\n    string e164_number = 1;\n    \
         ShortCode short_code = 2;\n  }\n  string extension = 3;\n  message ShortCode {\n    string region_code = 1;\n    \
         string number = 2;\n  }\n}\n",
    ),
    (
        "google/type/postal_address.proto",
        "syntax = \"proto3\";\npackage google.type;\nmessage PostalAddress {\n  int32 revision = 1;\n  string region_code = 2;\n  \
         string language_code = 3;\n  string postal_code = 4;\n  string sorting_code = 5;\n  string administrative_area = 6;\n  \
         string locality = 7;\n  string sublocality = 8;\n  repeated string address_lines = 9;\n  repeated string recipients = 10;\n  \
         string organization = 11;\n}\n",
    ),
    (
        "google/type/quaternion.proto",
        "syntax = \"proto3\";\npackage google.type;\nmessage Quaternion {\n  double x = 1;\n  double y = 2;\n  double z = 3;\n  \
         double w = 4;\n}\n",
    ),
    (
        "google/type/timeofday.proto",
        "syntax = \"proto3\";\npackage google.type;\nmessage TimeOfDay {\n  int32 hours = 1;\n  int32 minutes = 2;\n  \
         int32 seconds = 3;\n  int32 nanos = 4;\n}\n",
    ),
];

const GOOGLE_PROTOBUF_FILES: &[&str] = &[
    "google/protobuf/any.proto",
    "google/protobuf/api.proto",
    "google/protobuf/descriptor.proto",
    "google/protobuf/duration.proto",
    "google/protobuf/empty.proto",
    "google/protobuf/field_mask.proto",
    "google/protobuf/source_context.proto",
    "google/protobuf/struct.proto",
    "google/protobuf/timestamp.proto",
    "google/protobuf/type.proto",
    "google/protobuf/wrappers.proto",
];

fn builtin_source(name: &str) -> Option<&'static str> {
    BUILTIN_SOURCES.iter().find(|(n, _)| *n == name).map(|(_, s)| *s)
}

/// Syntax trees of every built-in file (Confluent's KNOWN_DEPENDENCIES), built once.
fn builtin_asts() -> &'static [(&'static str, FileAst)] {
    static CELL: OnceLock<Vec<(&'static str, FileAst)>> = OnceLock::new();
    CELL.get_or_init(|| {
        let mut out = Vec::new();
        for (name, src) in BUILTIN_SOURCES {
            if let Ok(ast) = parse_file(src) {
                out.push((*name, ast));
            }
        }
        let pool = DescriptorPool::global();
        for name in GOOGLE_PROTOBUF_FILES {
            if let Some(fd) = pool.get_file_by_name(name) {
                out.push((*name, ast_from_descriptor(fd.file_descriptor_proto())));
            }
        }
        out
    })
}

pub(crate) fn scalar_type_name(t: i32) -> Option<&'static str> {
    use prost_types::field_descriptor_proto::Type;
    Some(match Type::try_from(t).ok()? {
        Type::Double => "double",
        Type::Float => "float",
        Type::Int64 => "int64",
        Type::Uint64 => "uint64",
        Type::Int32 => "int32",
        Type::Fixed64 => "fixed64",
        Type::Fixed32 => "fixed32",
        Type::Bool => "bool",
        Type::String => "string",
        Type::Bytes => "bytes",
        Type::Uint32 => "uint32",
        Type::Sfixed32 => "sfixed32",
        Type::Sfixed64 => "sfixed64",
        Type::Sint32 => "sint32",
        Type::Sint64 => "sint64",
        _ => return None,
    })
}

fn field_from_descriptor(fd: &prost_types::FieldDescriptorProto, proto3: bool) -> FieldEl {
    use prost_types::field_descriptor_proto::Label as L;
    let label = match L::try_from(fd.label.unwrap_or(1)) {
        Ok(L::Repeated) => Some(Label::Repeated),
        Ok(L::Required) => Some(Label::Required),
        _ if proto3 && !fd.proto3_optional.unwrap_or(false) => None,
        _ => Some(Label::Optional),
    };
    let ty = match scalar_type_name(fd.r#type.unwrap_or(0)) {
        Some(s) => s.to_string(),
        None => fd.type_name.clone().unwrap_or_default(),
    };
    FieldEl {
        label,
        ty,
        name: fd.name.clone().unwrap_or_default(),
        tag: fd.number.unwrap_or(0),
        default: None,
        json_name: None,
        options: Vec::new(),
    }
}

fn extends_from_descriptor(exts: &[prost_types::FieldDescriptorProto], proto3: bool) -> Vec<ExtendEl> {
    let mut out: Vec<ExtendEl> = Vec::new();
    for fd in exts {
        let extendee = fd.extendee.clone().unwrap_or_default();
        let field = field_from_descriptor(fd, proto3);
        match out.iter_mut().find(|e| e.name == extendee) {
            Some(e) => e.fields.push(field),
            None => out.push(ExtendEl { name: extendee, fields: vec![field] }),
        }
    }
    out
}

fn message_from_descriptor(d: &prost_types::DescriptorProto, proto3: bool) -> MessageEl {
    let mut m = MessageEl { name: d.name.clone().unwrap_or_default(), ..Default::default() };
    let mut oneofs: Vec<OneofEl> = d
        .oneof_decl
        .iter()
        .map(|o| OneofEl { name: o.name.clone().unwrap_or_default(), ..Default::default() })
        .collect();
    for fd in &d.field {
        let field = field_from_descriptor(fd, proto3);
        match fd.oneof_index {
            Some(i) if !fd.proto3_optional.unwrap_or(false) => {
                match usize::try_from(i).ok().and_then(|i| oneofs.get_mut(i)) {
                    Some(o) => o.fields.push(field),
                    None => m.fields.push(field),
                }
            }
            _ => m.fields.push(field),
        }
    }
    m.oneofs = oneofs.into_iter().filter(|o| !o.fields.is_empty()).collect();
    for n in &d.nested_type {
        m.nested.push(TypeEl::Message(message_from_descriptor(n, proto3)));
    }
    for e in &d.enum_type {
        m.nested.push(TypeEl::Enum(enum_from_descriptor(e)));
    }
    if d.options.as_ref().and_then(|o| o.map_entry).unwrap_or(false) {
        m.options.push(Opt { name: "map_entry".into(), paren: false, value: OVal::Bool("true".into()) });
    }
    m.extends = extends_from_descriptor(&d.extension, proto3);
    m
}

fn enum_from_descriptor(e: &prost_types::EnumDescriptorProto) -> EnumEl {
    EnumEl {
        name: e.name.clone().unwrap_or_default(),
        constants: e
            .value
            .iter()
            .map(|v| EnumConst {
                name: v.name.clone().unwrap_or_default(),
                tag: v.number.unwrap_or(0),
                options: Vec::new(),
            })
            .collect(),
        ..Default::default()
    }
}

fn ast_from_descriptor(fd: &prost_types::FileDescriptorProto) -> FileAst {
    let proto3 = fd.syntax.as_deref() == Some("proto3");
    let mut types = Vec::new();
    for m in &fd.message_type {
        types.push(TypeEl::Message(message_from_descriptor(m, proto3)));
    }
    for e in &fd.enum_type {
        types.push(TypeEl::Enum(enum_from_descriptor(e)));
    }
    FileAst {
        syntax: fd.syntax.clone(),
        package: fd.package.clone().filter(|p| !p.is_empty()),
        types,
        extends: extends_from_descriptor(&fd.extension, proto3),
        ..Default::default()
    }
}

// ---------------------------------------------------------------------------------------------
// Type table (Confluent's diff Context: types and extension fields of a schema and its deps)
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq)]
enum Origin<'a> {
    Main,
    /// A reference: import name and text (stands for Confluent's subject + version).
    Ref(&'a str, &'a str),
    Builtin,
}

#[derive(Clone, Copy)]
enum TypeRef<'a> {
    Msg(&'a MessageEl),
    Enum,
}

#[derive(Clone)]
struct TypeInfo<'a> {
    package: String,
    origin: Origin<'a>,
    el: TypeRef<'a>,
    map: Option<(String, String)>,
}

struct ExtInfo<'a> {
    field: &'a FieldEl,
}

struct TypeTable<'a> {
    types: HashMap<String, TypeInfo<'a>>,
    exts: HashMap<String, ExtInfo<'a>>,
    package: String,
}

impl<'a> TypeTable<'a> {
    fn build(file: &'a FileAst, refs: &'a [RefFile]) -> TypeTable<'a> {
        let mut t = TypeTable { types: HashMap::new(), exts: HashMap::new(), package: String::new() };
        for (name, ast) in builtin_asts() {
            if !refs.iter().any(|r| r.name == *name) {
                t.collect_file(ast, Origin::Builtin);
            }
        }
        for r in refs {
            t.collect_file(&r.ast, Origin::Ref(&r.name, &r.text));
        }
        t.collect_file(file, Origin::Main);
        t
    }

    fn collect_file(&mut self, file: &'a FileAst, origin: Origin<'a>) {
        self.package = file.package.clone().unwrap_or_default();
        let mut path = Vec::new();
        self.collect_extends(&file.extends, &mut path);
        self.collect_types(&file.types, origin, &mut path);
    }

    fn qualify(&self, path: &[String]) -> String {
        let name = path.join(".");
        if self.package.is_empty() {
            name
        } else {
            format!("{}.{}", self.package, name)
        }
    }

    fn collect_extends(&mut self, extends: &'a [ExtendEl], path: &mut Vec<String>) {
        for e in extends {
            for f in &e.fields {
                path.push(f.name.clone());
                let full = self.qualify(path);
                self.exts.insert(full, ExtInfo { field: f });
                path.pop();
            }
        }
    }

    fn collect_types(&mut self, types: &'a [TypeEl], origin: Origin<'a>, path: &mut Vec<String>) {
        for t in types {
            path.push(t.name().to_string());
            let full = self.qualify(path);
            match t {
                TypeEl::Message(m) => {
                    self.collect_extends(&m.extends, path);
                    let map = if m.is_map_entry() {
                        let key = m.fields.iter().find(|f| f.name == "key").map(|f| f.ty.clone()).unwrap_or_default();
                        let value =
                            m.fields.iter().find(|f| f.name == "value").map(|f| f.ty.clone()).unwrap_or_default();
                        Some((key, value))
                    } else {
                        None
                    };
                    let info = TypeInfo { package: self.package.clone(), origin, el: TypeRef::Msg(m), map };
                    self.types.insert(full, info);
                    self.collect_types(&m.nested, origin, path);
                }
                TypeEl::Enum(_) => {
                    let info = TypeInfo { package: self.package.clone(), origin, el: TypeRef::Enum, map: None };
                    self.types.insert(full, info);
                }
            }
            path.pop();
        }
    }
}

/// Confluent's `Context.resolveFull`: a leading dot is absolute; otherwise try the package plus the
/// enclosing names from the innermost scope outwards, then the bare name.
fn resolve_name(pkg: &str, scope: &[String], name: &str, exists: impl Fn(&str) -> bool) -> Option<String> {
    if let Some(abs) = name.strip_prefix('.') {
        return exists(abs).then(|| abs.to_string());
    }
    let mut prefix: Vec<&str> = if pkg.is_empty() { Vec::new() } else { pkg.split('.').collect() };
    prefix.extend(scope.iter().map(String::as_str));
    while !prefix.is_empty() {
        let candidate = format!("{}.{}", prefix.join("."), name);
        if exists(&candidate) {
            return Some(candidate);
        }
        prefix.pop();
    }
    exists(name).then(|| name.to_string())
}

// ---------------------------------------------------------------------------------------------
// Printer (Confluent's ProtobufSchemaUtils.toString / toNormalizedString)
// ---------------------------------------------------------------------------------------------

struct FormatCtx<'t, 'a> {
    normalize: bool,
    table: Option<&'t TypeTable<'a>>,
    names: Vec<String>,
}

impl FormatCtx<'_, '_> {
    fn resolve_type(&self, name: &str) -> Option<String> {
        let table = self.table?;
        resolve_name(&table.package, &self.names, name, |n| table.types.contains_key(n))
    }

    fn resolve_ext(&self, name: &str) -> Option<String> {
        let table = self.table?;
        resolve_name(&table.package, &self.names, name, |n| table.exts.contains_key(n))
    }

    fn type_info(&self, name: &str) -> Option<&TypeInfo<'_>> {
        let full = self.resolve_type(name)?;
        self.table?.types.get(&full)
    }

    /// Leading-dot full name, or the name as written when it does not resolve.
    fn qualified(&self, name: &str) -> String {
        match self.resolve_type(name) {
            Some(full) => format!(".{full}"),
            None => name.to_string(),
        }
    }
}

fn append_indented(sb: &mut String, value: &str) {
    // Java's String.split("\n") drops trailing empty strings but keeps inner ones.
    let mut lines: Vec<&str> = value.split('\n').collect();
    while lines.len() > 1 && lines.last() == Some(&"") {
        lines.pop();
    }
    for line in lines {
        sb.push_str("  ");
        sb.push_str(line);
        sb.push('\n');
    }
}

fn escape_chars(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    for c in input.chars() {
        match c {
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            c => out.push(c),
        }
    }
    out
}

/// Confluent normalizes numbers with Commons Lang `NumberUtils.createNumber` and a default
/// `DecimalFormat` without grouping (at most three fraction digits, half-even).
fn format_number(ctx: &FormatCtx<'_, '_>, value: &str) -> String {
    if !ctx.normalize {
        return value.to_string();
    }
    normalize_number(value).unwrap_or_else(|| value.to_string())
}

fn normalize_number(value: &str) -> Option<String> {
    let (neg, body) = match value.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, value),
    };
    let int_val: Option<i128> = if let Some(hex) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
        i128::from_str_radix(hex, 16).ok()
    } else if body.len() > 1 && body.starts_with('0') && body.chars().all(|c| c.is_ascii_digit()) {
        i128::from_str_radix(&body[1..], 8).ok()
    } else if !body.is_empty() && body.chars().all(|c| c.is_ascii_digit()) {
        body.parse::<i128>().ok()
    } else {
        None
    };
    if let Some(v) = int_val {
        return Some(if neg { (-v).to_string() } else { v.to_string() });
    }
    let trimmed = body.trim_end_matches(['f', 'F', 'd', 'D']);
    if trimmed.is_empty() || !trimmed.chars().all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '-' | '+')) {
        return None;
    }
    let f: f64 = trimmed.parse().ok()?;
    if !f.is_finite() {
        return None;
    }
    let f = if neg { -f } else { f };
    let mut s = format!("{:.3}", round_half_even(f, 3));
    if s.contains('.') {
        while s.ends_with('0') {
            s.pop();
        }
        if s.ends_with('.') {
            s.pop();
        }
    }
    if s == "-0" && f == 0.0 {
        return Some("-0".to_string());
    }
    Some(s)
}

fn round_half_even(f: f64, digits: i32) -> f64 {
    let scale = 10f64.powi(digits);
    let x = f * scale;
    let r = x.round();
    let adjusted = if (x - x.trunc()).abs() == 0.5 { 2.0 * (x / 2.0).round() } else { r };
    adjusted / scale
}

fn print_file(ctx: &mut FormatCtx<'_, '_>, file: &FileAst) -> String {
    let mut sb = String::new();
    if let Some(syntax) = &file.syntax {
        if !ctx.normalize || syntax == "proto3" {
            sb.push_str(&format!("syntax = \"{syntax}\";\n"));
        }
    }
    if let Some(p) = &file.package {
        sb.push_str(&format!("package {p};\n"));
    }
    if !file.imports.is_empty() || !file.public_imports.is_empty() {
        sb.push('\n');
        for i in sorted_if(ctx.normalize, &file.imports) {
            sb.push_str(&format!("import \"{i}\";\n"));
        }
        for i in sorted_if(ctx.normalize, &file.public_imports) {
            sb.push_str(&format!("import public \"{i}\";\n"));
        }
    }
    let options = filter_options(ctx, &file.options);
    if !options.is_empty() {
        sb.push('\n');
        for o in &options {
            sb.push_str(&option_statement(ctx, o));
        }
    }
    let types = filter_types(ctx, &file.types);
    if !types.is_empty() {
        sb.push('\n');
        for t in &types {
            if let TypeEl::Message(m) = t {
                ctx.names.push(m.name.clone());
                sb.push_str(&print_message(ctx, m));
                ctx.names.pop();
            }
        }
        for t in &types {
            if let TypeEl::Enum(e) = t {
                ctx.names.push(e.name.clone());
                sb.push_str(&print_enum(ctx, e));
                ctx.names.pop();
            }
        }
    }
    if !file.extends.is_empty() {
        sb.push('\n');
        for e in normalize_extends(ctx, &file.extends) {
            sb.push_str(&print_extend(ctx, &e));
        }
    }
    if !file.services.is_empty() {
        sb.push('\n');
        for s in &file.services {
            sb.push_str(&print_service(ctx, s));
        }
    }
    sb
}

fn sorted_if(normalize: bool, v: &[String]) -> Vec<String> {
    if normalize {
        let set: BTreeSet<&String> = v.iter().collect();
        set.into_iter().cloned().collect()
    } else {
        v.to_vec()
    }
}

fn filter_types<'m>(ctx: &FormatCtx<'_, '_>, types: &'m [TypeEl]) -> Vec<&'m TypeEl> {
    types
        .iter()
        .filter(|t| match t {
            TypeEl::Message(m) if ctx.normalize => ctx.type_info(&m.name).is_none_or(|i| i.map.is_none()),
            _ => true,
        })
        .collect()
}

fn normalize_extends(ctx: &FormatCtx<'_, '_>, extends: &[ExtendEl]) -> Vec<ExtendEl> {
    if !ctx.normalize {
        return extends.to_vec();
    }
    let mut out: Vec<ExtendEl> = Vec::new();
    for e in extends {
        let name = ctx.qualified(&e.name);
        for f in &e.fields {
            match out.iter_mut().find(|x| x.name == name) {
                Some(x) => x.fields.push(f.clone()),
                None => out.push(ExtendEl { name: name.clone(), fields: vec![f.clone()] }),
            }
        }
    }
    out
}

fn print_service(ctx: &mut FormatCtx<'_, '_>, s: &ServiceEl) -> String {
    let mut sb = format!("service {} {{", s.name);
    let options = filter_options(ctx, &s.options);
    if !options.is_empty() {
        sb.push('\n');
        for o in &options {
            append_indented(&mut sb, &option_statement(ctx, o));
        }
    }
    if !s.rpcs.is_empty() {
        sb.push('\n');
        for r in &s.rpcs {
            let text = print_rpc(ctx, r);
            append_indented(&mut sb, &text);
        }
    }
    sb.push_str("}\n");
    sb
}

fn print_rpc(ctx: &mut FormatCtx<'_, '_>, r: &RpcEl) -> String {
    let mut sb = format!("rpc {} (", r.name);
    if r.request_stream {
        sb.push_str("stream ");
    }
    sb.push_str(&if ctx.normalize { ctx.qualified(&r.request) } else { r.request.clone() });
    sb.push_str(") returns (");
    if r.response_stream {
        sb.push_str("stream ");
    }
    sb.push_str(&if ctx.normalize { ctx.qualified(&r.response) } else { r.response.clone() });
    sb.push(')');
    let options = filter_options(ctx, &r.options);
    if !options.is_empty() {
        sb.push_str(" {\n");
        for o in &options {
            append_indented(&mut sb, &option_statement(ctx, o));
        }
        sb.push('}');
    }
    sb.push_str(";\n");
    sb
}

fn range_sort_key(v: &RangeVal) -> (i64, String) {
    match v {
        RangeVal::Range(s, e) => (i64::from(*s), format!("{s}..{e}")),
        RangeVal::Tag(t) => (i64::from(*t), t.to_string()),
        RangeVal::Name(n) => (i64::from(i32::MAX), n.clone()),
    }
}

fn split_sorted_ranges(reserveds: &[Vec<RangeVal>]) -> Vec<Vec<RangeVal>> {
    let mut all: Vec<Vec<RangeVal>> = reserveds.iter().flatten().map(|v| vec![v.clone()]).collect();
    all.sort_by_key(|v| v.first().map(range_sort_key).unwrap_or_default());
    all
}

fn print_ranges(ctx: &FormatCtx<'_, '_>, keyword: &str, values: &[RangeVal]) -> String {
    let mut sb = format!("{keyword} ");
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            sb.push_str(", ");
        }
        match v {
            RangeVal::Name(n) => sb.push_str(&format!("\"{n}\"")),
            RangeVal::Tag(t) => sb.push_str(&t.to_string()),
            RangeVal::Range(s, e) if ctx.normalize && s == e => sb.push_str(&s.to_string()),
            RangeVal::Range(s, e) => {
                if *e < MAX_TAG_VALUE {
                    sb.push_str(&format!("{s} to {e}"));
                } else {
                    sb.push_str(&format!("{s} to max"));
                }
            }
        }
    }
    sb
}

fn print_enum(ctx: &mut FormatCtx<'_, '_>, e: &EnumEl) -> String {
    let mut sb = format!("enum {} {{", e.name);
    if !e.reserveds.is_empty() {
        sb.push('\n');
        let reserveds = if ctx.normalize { split_sorted_ranges(&e.reserveds) } else { e.reserveds.clone() };
        for r in &reserveds {
            append_indented(&mut sb, &format!("{};\n", print_ranges(ctx, "reserved", r)));
        }
    }
    if e.reserveds.is_empty() && (!e.options.is_empty() || !e.constants.is_empty()) {
        sb.push('\n');
    }
    for o in &filter_options(ctx, &e.options) {
        append_indented(&mut sb, &option_statement(ctx, o));
    }
    let mut constants: Vec<&EnumConst> = e.constants.iter().collect();
    if ctx.normalize {
        constants.sort_by(|a, b| a.tag.cmp(&b.tag).then_with(|| a.name.cmp(&b.name)));
    }
    for c in constants {
        let mut line = format!("{} = {}", c.name, c.tag);
        let options = filter_options(ctx, &c.options);
        if !options.is_empty() {
            line.push(' ');
            append_option_list(ctx, &mut line, &options);
        }
        line.push_str(";\n");
        append_indented(&mut sb, &line);
    }
    sb.push_str("}\n");
    sb
}

fn print_message(ctx: &mut FormatCtx<'_, '_>, m: &MessageEl) -> String {
    let mut sb = format!("message {} {{", m.name);
    if !m.reserveds.is_empty() {
        sb.push('\n');
        let reserveds = if ctx.normalize { split_sorted_ranges(&m.reserveds) } else { m.reserveds.clone() };
        for r in &reserveds {
            append_indented(&mut sb, &format!("{};\n", print_ranges(ctx, "reserved", r)));
        }
    }
    let options = filter_options(ctx, &m.options);
    if !options.is_empty() {
        sb.push('\n');
        for o in &options {
            append_indented(&mut sb, &option_statement(ctx, o));
        }
    }
    if !m.fields.is_empty() {
        sb.push('\n');
        let mut fields: Vec<&FieldEl> = m.fields.iter().collect();
        if ctx.normalize {
            fields.sort_by_key(|f| f.tag);
        }
        for f in fields {
            let text = print_field(ctx, f);
            append_indented(&mut sb, &text);
        }
    }
    if !m.oneofs.is_empty() {
        sb.push('\n');
        let mut oneofs: Vec<OneofEl> = m.oneofs.clone();
        if ctx.normalize {
            oneofs.retain(|o| !o.fields.is_empty());
            for o in &mut oneofs {
                o.fields.sort_by_key(|f| f.tag);
            }
            oneofs.sort_by_key(|o| o.fields.first().map(|f| f.tag).unwrap_or_default());
        }
        for o in &oneofs {
            let text = print_oneof(ctx, o);
            append_indented(&mut sb, &text);
        }
    }
    if !m.groups.is_empty() {
        sb.push('\n');
        let mut groups: Vec<&GroupEl> = m.groups.iter().collect();
        if ctx.normalize {
            groups.sort_by_key(|g| g.tag);
        }
        for g in groups {
            let text = print_group(ctx, g);
            append_indented(&mut sb, &text);
        }
    }
    if !m.extensions.is_empty() {
        sb.push('\n');
        let mut exts: Vec<ExtensionsEl> = m.extensions.clone();
        if ctx.normalize {
            exts = exts
                .iter()
                .flat_map(|e| {
                    e.values.iter().map(|v| ExtensionsEl { values: vec![v.clone()], options: e.options.clone() })
                })
                .collect();
            exts.sort_by_key(|e| e.values.first().map(|v| range_sort_key(v).0).unwrap_or_default());
        }
        for e in &exts {
            let mut line = print_ranges(ctx, "extensions", &e.values);
            let options = filter_options(ctx, &e.options);
            if !options.is_empty() {
                line.push(' ');
                append_option_list(ctx, &mut line, &options);
            }
            line.push_str(";\n");
            append_indented(&mut sb, &line);
        }
    }
    if !m.extends.is_empty() {
        sb.push('\n');
        for e in normalize_extends(ctx, &m.extends) {
            let text = print_extend(ctx, &e);
            append_indented(&mut sb, &text);
        }
    }
    let types = filter_types(ctx, &m.nested);
    if !types.is_empty() {
        sb.push('\n');
        for t in &types {
            if let TypeEl::Message(n) = t {
                ctx.names.push(n.name.clone());
                let text = print_message(ctx, n);
                ctx.names.pop();
                append_indented(&mut sb, &text);
            }
        }
        for t in &types {
            if let TypeEl::Enum(n) = t {
                ctx.names.push(n.name.clone());
                let text = print_enum(ctx, n);
                ctx.names.pop();
                append_indented(&mut sb, &text);
            }
        }
    }
    sb.push_str("}\n");
    sb
}

fn print_oneof(ctx: &mut FormatCtx<'_, '_>, o: &OneofEl) -> String {
    let mut sb = format!("oneof {} {{", o.name);
    let options = filter_options(ctx, &o.options);
    if !options.is_empty() {
        sb.push('\n');
        for opt in &options {
            append_indented(&mut sb, &option_statement(ctx, opt));
        }
    }
    if !o.fields.is_empty() {
        sb.push('\n');
        for f in &o.fields {
            let text = print_field(ctx, f);
            append_indented(&mut sb, &text);
        }
    }
    if !o.groups.is_empty() {
        sb.push('\n');
        let mut groups: Vec<&GroupEl> = o.groups.iter().collect();
        if ctx.normalize {
            groups.sort_by_key(|g| g.tag);
        }
        for g in groups {
            let text = print_group(ctx, g);
            append_indented(&mut sb, &text);
        }
    }
    sb.push_str("}\n");
    sb
}

fn print_group(ctx: &mut FormatCtx<'_, '_>, g: &GroupEl) -> String {
    let mut sb = String::new();
    if let Some(l) = g.label {
        sb.push_str(l.as_str());
        sb.push(' ');
    }
    sb.push_str(&format!("group {} = {} {{", g.name, g.tag));
    if !g.fields.is_empty() {
        sb.push('\n');
        let mut fields: Vec<&FieldEl> = g.fields.iter().collect();
        if ctx.normalize {
            fields.sort_by_key(|f| f.tag);
        }
        for f in fields {
            let text = print_field(ctx, f);
            append_indented(&mut sb, &text);
        }
    }
    sb.push_str("}\n");
    sb
}

fn print_extend(ctx: &mut FormatCtx<'_, '_>, e: &ExtendEl) -> String {
    let mut sb = format!("extend {} {{", e.name);
    if !e.fields.is_empty() {
        sb.push('\n');
        let mut fields: Vec<&FieldEl> = e.fields.iter().collect();
        if ctx.normalize {
            fields.sort_by_key(|f| f.tag);
        }
        for f in fields {
            let text = print_field(ctx, f);
            append_indented(&mut sb, &text);
        }
    }
    sb.push_str("}\n");
    sb
}

fn is_scalar(t: &str) -> bool {
    matches!(
        t,
        "bool"
            | "bytes"
            | "double"
            | "float"
            | "fixed32"
            | "fixed64"
            | "int32"
            | "int64"
            | "sfixed32"
            | "sfixed64"
            | "sint32"
            | "sint64"
            | "string"
            | "uint32"
            | "uint64"
    )
}

/// Key and value of a `map<K, V>` type string (Wire's ProtoType.get).
fn map_parts(t: &str) -> Option<(String, String)> {
    let inner = t.strip_prefix("map<")?.strip_suffix('>')?;
    let comma = inner.find(',')?;
    Some((inner[..comma].trim().to_string(), inner[comma + 1..].trim().to_string()))
}

fn print_field(ctx: &mut FormatCtx<'_, '_>, f: &FieldEl) -> String {
    let mut label = f.label;
    let mut ty = f.ty.clone();
    if ctx.normalize {
        if !is_scalar(&ty) && map_parts(&ty).is_none() {
            let resolved = ctx.resolve_type(&ty);
            if let Some(full) = resolved {
                let info = ctx.table.and_then(|t| t.types.get(&full));
                ty = match info.and_then(|i| i.map.clone()) {
                    Some((k, v)) => format!("map<{k}, {v}>"),
                    None => format!(".{full}"),
                };
            }
        }
        if let Some((k, v)) = map_parts(&ty) {
            if let Some(full) = ctx.resolve_type(&v) {
                ty = format!("map<{k}, .{full}>");
            }
            label = None;
        }
    }
    let mut sb = String::new();
    if let Some(l) = label {
        sb.push_str(l.as_str());
        sb.push(' ');
    }
    sb.push_str(&format!("{ty} {} = {}", f.name, f.tag));
    let mut options = f.options.clone();
    if let Some(d) = &f.default {
        let simple = ty.rsplit('.').next().unwrap_or(&ty);
        let value = match simple {
            "bool" => OVal::Bool(d.clone()),
            // Confluent prints bytes defaults unquoted; they are quoted here so the text parses again.
            "string" | "bytes" => OVal::Str(d.clone()),
            s if is_scalar(s) => OVal::Num(d.clone()),
            _ => OVal::Enum(d.clone()),
        };
        options.push(Opt { name: "default".into(), paren: false, value });
    }
    if let Some(j) = &f.json_name {
        options.push(Opt { name: "json_name".into(), paren: false, value: OVal::Str(j.clone()) });
    }
    let options = filter_options(ctx, &options);
    if !options.is_empty() {
        sb.push(' ');
        append_option_list(ctx, &mut sb, &options);
    }
    sb.push_str(";\n");
    sb
}

fn option_statement(ctx: &FormatCtx<'_, '_>, o: &Opt) -> String {
    format!("option {};\n", option_to_string(ctx, o))
}

fn option_to_string(ctx: &FormatCtx<'_, '_>, o: &Opt) -> String {
    let mut sb = if o.paren { format!("({})", o.name) } else { o.name.clone() };
    match &o.value {
        OVal::Str(s) => sb.push_str(&format!(" = \"{}\"", escape_chars(s))),
        OVal::Bool(v) | OVal::Enum(v) => sb.push_str(&format!(" = {v}")),
        OVal::Num(v) => sb.push_str(&format!(" = {}", format_number(ctx, v))),
        OVal::Opt(inner) => {
            sb.push('.');
            sb.push_str(&option_to_string(ctx, inner));
        }
        OVal::Map(entries) => {
            sb.push_str(" = {\n");
            format_option_map(ctx, &mut sb, entries);
            sb.push('}');
        }
        OVal::List(items) => {
            sb.push_str(" = ");
            let items: Vec<ListItem<'_>> = items.iter().map(ListItem::Value).collect();
            append_list(ctx, &mut sb, &items);
        }
    }
    sb
}

enum ListItem<'v> {
    Value(&'v OVal),
    Option(&'v Opt),
}

fn append_option_list(ctx: &FormatCtx<'_, '_>, sb: &mut String, options: &[Opt]) {
    let items: Vec<ListItem<'_>> = options.iter().map(ListItem::Option).collect();
    append_list(ctx, sb, &items);
}

/// Confluent's `appendOptions`: one item inline in brackets, several one per line.
fn append_list(ctx: &FormatCtx<'_, '_>, sb: &mut String, items: &[ListItem<'_>]) {
    let fmt_item = |item: &ListItem<'_>| match item {
        ListItem::Value(v) => format_value(ctx, v),
        ListItem::Option(o) => option_to_string(ctx, o),
    };
    if items.len() == 1 {
        sb.push('[');
        sb.push_str(&fmt_item(&items[0]));
        sb.push(']');
        return;
    }
    sb.push_str("[\n");
    for (i, item) in items.iter().enumerate() {
        let endl = if i + 1 < items.len() { "," } else { "" };
        append_indented(sb, &format!("{}{endl}", fmt_item(item)));
    }
    sb.push(']');
}

fn format_option_map(ctx: &FormatCtx<'_, '_>, sb: &mut String, entries: &[(String, OVal)]) {
    let mut entries: Vec<(String, &OVal)> = entries.iter().map(|(k, v)| (k.clone(), v)).collect();
    if ctx.normalize {
        entries.retain(|(_, v)| !matches!(v, OVal::List(l) if l.is_empty()));
        for (k, _) in entries.iter_mut() {
            if let Some(inner) = k.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
                if let Some(resolved) = ctx.resolve_ext(inner) {
                    *k = format!("[{resolved}]");
                }
            }
        }
        // TreeMap: sorted keys, first value of a duplicate key wins.
        let mut sorted: Vec<(String, &OVal)> = Vec::new();
        for (k, v) in entries {
            if !sorted.iter().any(|(sk, _)| *sk == k) {
                sorted.push((k, v));
            }
        }
        sorted.sort_by(|a, b| a.0.cmp(&b.0));
        entries = sorted;
    }
    let last = entries.len().saturating_sub(1);
    for (i, (k, v)) in entries.iter().enumerate() {
        let endl = if i != last { "," } else { "" };
        append_indented(sb, &format!("{k}: {}{endl}", format_value(ctx, v)));
    }
}

fn format_value(ctx: &FormatCtx<'_, '_>, v: &OVal) -> String {
    match v {
        OVal::Str(s) => format!("\"{}\"", escape_chars(s)),
        OVal::Bool(s) | OVal::Enum(s) => s.clone(),
        OVal::Num(s) => format_number(ctx, s),
        OVal::Map(entries) => {
            let mut sb = String::from("{\n");
            format_option_map(ctx, &mut sb, entries);
            sb.push('}');
            sb
        }
        OVal::List(items) if ctx.normalize && items.len() == 1 => format_value(ctx, &items[0]),
        OVal::List(items) => {
            let mut sb = String::from("[\n");
            let last = items.len().saturating_sub(1);
            for (i, item) in items.iter().enumerate() {
                let endl = if i != last { "," } else { "" };
                append_indented(&mut sb, &format!("{}{endl}", format_value(ctx, item)));
            }
            sb.push(']');
            sb
        }
        OVal::Opt(o) => option_to_string(ctx, o),
    }
}

/// Confluent's `transform`: `(a).b.c = v` becomes `(a) = { b: { c: v } }`.
fn transform_option(o: Opt) -> Opt {
    match o.value {
        OVal::Opt(inner) => Opt { name: o.name, paren: o.paren, value: OVal::Map(vec![transform_inner(*inner)]) },
        value => Opt { name: o.name, paren: o.paren, value },
    }
}

fn transform_inner(o: Opt) -> (String, OVal) {
    match o.value {
        OVal::Opt(inner) => (o.name, OVal::Map(vec![transform_inner(*inner)])),
        value => (o.name, value),
    }
}

/// Confluent's `FormatContext.filterOptions` (normalize only: qualify custom option names, sort by
/// name, merge repeated settings of a non-repeated extension into one message literal).
fn filter_options(ctx: &FormatCtx<'_, '_>, options: &[Opt]) -> Vec<Opt> {
    if !ctx.normalize || options.is_empty() {
        return options.to_vec();
    }
    let mut mapped: Vec<Opt> = options
        .iter()
        .map(|o| {
            if o.paren {
                if let Some(resolved) = ctx.resolve_ext(&o.name) {
                    return transform_option(Opt { name: resolved, paren: o.paren, value: o.value.clone() });
                }
            }
            o.clone()
        })
        .collect();
    mapped.sort_by(|a, b| a.name.cmp(&b.name));
    let mut out: Vec<Opt> = Vec::new();
    let mut i = 0;
    while i < mapped.len() {
        let mut j = i + 1;
        while j < mapped.len() && mapped[j].name == mapped[i].name {
            j += 1;
        }
        let group = &mapped[i..j];
        let ext = ctx.table.and_then(|t| t.exts.get(&mapped[i].name));
        match ext {
            Some(info) if info.field.label != Some(Label::Repeated) => {
                let mut acc = group[0].clone();
                for next in &group[1..] {
                    acc = merge_option(ctx, info.field, acc, next.clone());
                }
                out.push(acc);
            }
            _ => out.extend(group.iter().cloned()),
        }
        i = j;
    }
    out
}

fn merge_option(ctx: &FormatCtx<'_, '_>, field: &FieldEl, existing: Opt, replacement: Opt) -> Opt {
    let replacement = transform_option(replacement);
    match (&existing.value, &replacement.value) {
        (OVal::Map(a), OVal::Map(b)) => {
            let merged = merge_option_maps(ctx, Some(field), a, b, 0);
            Opt { name: replacement.name, paren: replacement.paren, value: OVal::Map(merged) }
        }
        _ => replacement,
    }
}

fn message_of<'t>(ctx: &'t FormatCtx<'_, '_>, field: Option<&FieldEl>) -> Option<&'t MessageEl> {
    let info = ctx.type_info(&field?.ty)?;
    match info.el {
        TypeRef::Msg(m) => Some(m),
        TypeRef::Enum => None,
    }
}

fn merge_option_maps(
    ctx: &FormatCtx<'_, '_>,
    container: Option<&FieldEl>,
    existing: &[(String, OVal)],
    replacement: &[(String, OVal)],
    depth: usize,
) -> Vec<(String, OVal)> {
    let container_type = message_of(ctx, container);
    let mut merged: Vec<(String, OVal)> = existing.to_vec();
    for (k, v) in replacement {
        let nested_field = container_type
            .and_then(|m| m.fields.iter().chain(m.oneofs.iter().flat_map(|o| o.fields.iter())).find(|f| f.name == *k));
        match merged.iter_mut().find(|(mk, _)| mk == k) {
            None => merged.push((k.clone(), v.clone())),
            Some(slot) => {
                let old = std::mem::replace(&mut slot.1, OVal::List(Vec::new()));
                slot.1 = merge_option_values(ctx, nested_field, old, v.clone(), depth + 1);
            }
        }
    }
    merged
}

fn merge_option_values(ctx: &FormatCtx<'_, '_>, field: Option<&FieldEl>, v1: OVal, v2: OVal, depth: usize) -> OVal {
    let singular = field.is_some_and(|f| f.label != Some(Label::Repeated));
    if singular && depth < MAX_DEPTH {
        if let (OVal::Map(a), OVal::Map(b)) = (&v1, &v2) {
            if message_of(ctx, field).is_some() {
                return OVal::Map(merge_option_maps(ctx, field, a, b, depth));
            }
        }
    }
    if singular {
        return v2;
    }
    let mut list: Vec<OVal> = Vec::new();
    for v in [v1, v2] {
        let items = match v {
            OVal::List(l) => l,
            other => vec![other],
        };
        for item in items {
            if !list.contains(&item) {
                list.push(item);
            }
        }
    }
    OVal::List(list)
}

// ---------------------------------------------------------------------------------------------
// Compatibility (Confluent's protobuf diff package)
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DiffKind {
    PackageChanged,
    MessageAdded,
    MessageRemoved,
    MessageMoved,
    EnumAdded,
    EnumRemoved,
    EnumConstAdded,
    EnumConstChanged,
    EnumConstRemoved,
    FieldAdded,
    FieldRemoved,
    FieldNameChanged,
    FieldKindChanged,
    FieldScalarKindChanged,
    FieldNamedTypeChanged,
    FieldNumericLabelChanged,
    FieldStringOrBytesLabelChanged,
    RequiredFieldAdded,
    RequiredFieldRemoved,
    OneofAdded,
    OneofRemoved,
    OneofFieldAdded,
    OneofFieldRemoved,
    OneofFieldMovedToTopLevel,
    MultipleFieldsMovedToOneof,
    FieldMovedToExistingOneof,
}

impl DiffKind {
    fn as_str(self) -> &'static str {
        use DiffKind::*;
        match self {
            PackageChanged => "PACKAGE_CHANGED",
            MessageAdded => "MESSAGE_ADDED",
            MessageRemoved => "MESSAGE_REMOVED",
            MessageMoved => "MESSAGE_MOVED",
            EnumAdded => "ENUM_ADDED",
            EnumRemoved => "ENUM_REMOVED",
            EnumConstAdded => "ENUM_CONST_ADDED",
            EnumConstChanged => "ENUM_CONST_CHANGED",
            EnumConstRemoved => "ENUM_CONST_REMOVED",
            FieldAdded => "FIELD_ADDED",
            FieldRemoved => "FIELD_REMOVED",
            FieldNameChanged => "FIELD_NAME_CHANGED",
            FieldKindChanged => "FIELD_KIND_CHANGED",
            FieldScalarKindChanged => "FIELD_SCALAR_KIND_CHANGED",
            FieldNamedTypeChanged => "FIELD_NAMED_TYPE_CHANGED",
            FieldNumericLabelChanged => "FIELD_NUMERIC_LABEL_CHANGED",
            FieldStringOrBytesLabelChanged => "FIELD_STRING_OR_BYTES_LABEL_CHANGED",
            RequiredFieldAdded => "REQUIRED_FIELD_ADDED",
            RequiredFieldRemoved => "REQUIRED_FIELD_REMOVED",
            OneofAdded => "ONEOF_ADDED",
            OneofRemoved => "ONEOF_REMOVED",
            OneofFieldAdded => "ONEOF_FIELD_ADDED",
            OneofFieldRemoved => "ONEOF_FIELD_REMOVED",
            OneofFieldMovedToTopLevel => "ONEOF_FIELD_MOVED_TO_TOP_LEVEL",
            MultipleFieldsMovedToOneof => "MULTIPLE_FIELDS_MOVED_TO_ONEOF",
            FieldMovedToExistingOneof => "FIELD_MOVED_TO_EXISTING_ONEOF",
        }
    }

    /// Confluent's `SchemaDiff.COMPATIBLE_CHANGES`.
    fn is_compatible(self) -> bool {
        use DiffKind::*;
        matches!(
            self,
            MessageAdded
                | MessageMoved
                | EnumAdded
                | EnumRemoved
                | EnumConstAdded
                | EnumConstChanged
                | EnumConstRemoved
                | FieldAdded
                | FieldRemoved
                | FieldNameChanged
                | FieldStringOrBytesLabelChanged
                | OneofAdded
                | OneofRemoved
                | OneofFieldAdded
                | OneofFieldMovedToTopLevel
        )
    }

    /// Description with two `%s` slots: the reader's word, then the writer's.
    fn template(self, p: &str) -> String {
        use DiffKind::*;
        match self {
            PackageChanged => format!("The package at '{p}' in the %s schema does not match the package in the %s schema"),
            MessageRemoved => format!("The %s schema is missing a MESSAGE type at path '{p}' in the %s schema"),
            FieldKindChanged => format!("The type of a field at path '{p}' in the %s schema does not match the %s schema"),
            FieldScalarKindChanged => {
                format!("The kind of a SCALAR field at path '{p}' in the %s schema does not match its kind in the %s schema")
            }
            FieldNamedTypeChanged => {
                format!("The type of a MESSAGE field at path '{p}' in the %s schema does not match its type in the %s schema")
            }
            FieldNumericLabelChanged => format!(
                "The label for a NUMERIC field at path '{p}' in the %s schema does not match its label in the %s schema"
            ),
            RequiredFieldAdded => format!("A required field  at path '{p}' in the %s schema is missing in the %s schema"),
            RequiredFieldRemoved => format!("The %s schema is missing a required field at path: '{p}' in the %s schema"),
            OneofFieldRemoved => format!("The %s schema is missing a oneof field at path '{p}' in the %s schema"),
            OneofFieldMovedToTopLevel => format!(
                "The oneof field at path '{p}' in the %s schema was moved out of its oneof to a top-level field in the %s schema"
            ),
            MultipleFieldsMovedToOneof => {
                format!("Multiple fields in the oneof at path '{p}' in the %s schema are outside a oneof in the %s schema")
            }
            FieldMovedToExistingOneof => {
                format!("A field in the oneof at path '{p}' in the %s schema is outside an existing oneof in the %s schema")
            }
            _ => String::new(),
        }
    }
}

#[derive(Debug, Clone)]
struct Diff {
    kind: DiffKind,
    path: String,
}

/// Recursion into referenced message types stops at this depth (then names alone are compared).
const MAX_DIFF_DEPTH: usize = 32;
/// Total work budget (message comparisons) for one check, against pathological reference graphs.
const DIFF_BUDGET: usize = 100_000;

struct DiffCtx<'t, 'a> {
    orig: &'t TypeTable<'a>,
    upd: &'t TypeTable<'a>,
    orig_pkg: String,
    upd_pkg: String,
    path: Vec<String>,
    names: Vec<String>,
    schemas: Vec<*const MessageEl>,
    diffs: Vec<Diff>,
    depth: usize,
    budget: &'t std::cell::Cell<usize>,
}

impl<'t, 'a> DiffCtx<'t, 'a> {
    fn add(&mut self, kind: DiffKind) {
        self.diffs.push(Diff { kind, path: format!("#/{}", self.path.join("/")) });
    }

    fn add_at(&mut self, parts: &[&str], kind: DiffKind) {
        let n = self.path.len();
        self.path.extend(parts.iter().map(|s| s.to_string()));
        self.add(kind);
        self.path.truncate(n);
    }

    fn table(&self, original: bool) -> &'t TypeTable<'a> {
        if original {
            self.orig
        } else {
            self.upd
        }
    }

    fn resolve(&self, name: &str, original: bool) -> Option<String> {
        let table = self.table(original);
        if table.types.is_empty() {
            return None;
        }
        let pkg = if original { &self.orig_pkg } else { &self.upd_pkg };
        resolve_name(pkg, &self.names, name, |n| table.types.contains_key(n))
    }

    fn get_type(&self, name: &str, original: bool) -> Option<&'t TypeInfo<'a>> {
        let full = self.resolve(name, original)?;
        self.table(original).types.get(&full)
    }

    fn sub(&self) -> DiffCtx<'t, 'a> {
        DiffCtx {
            orig: self.orig,
            upd: self.upd,
            orig_pkg: self.orig_pkg.clone(),
            upd_pkg: self.upd_pkg.clone(),
            path: self.path.clone(),
            names: self.names.clone(),
            schemas: self.schemas.clone(),
            diffs: Vec::new(),
            depth: self.depth + 1,
            budget: self.budget,
        }
    }
}

fn schema_diff(original: &ProtobufSchema, update: &ProtobufSchema) -> Vec<Diff> {
    let orig = TypeTable::build(&original.file, &original.refs);
    let upd = TypeTable::build(&update.file, &update.refs);
    let budget = std::cell::Cell::new(DIFF_BUDGET);
    let mut ctx = DiffCtx {
        orig: &orig,
        upd: &upd,
        orig_pkg: original.file.package.clone().unwrap_or_default(),
        upd_pkg: update.file.package.clone().unwrap_or_default(),
        path: Vec::new(),
        names: Vec::new(),
        schemas: Vec::new(),
        diffs: Vec::new(),
        depth: 0,
        budget: &budget,
    };
    if original.file.package != update.file.package {
        ctx.add(DiffKind::PackageChanged);
    }
    compare_type_elements(&mut ctx, &original.file.types, &update.file.types);
    ctx.diffs
}

/// Java's `String.hashCode` (UTF-16 code units).
fn java_hash(s: &str) -> i32 {
    let mut h: i32 = 0;
    for unit in s.encode_utf16() {
        h = h.wrapping_mul(31).wrapping_add(i32::from(unit));
    }
    h
}

fn java_bucket(s: &str, cap: usize) -> usize {
    let h = java_hash(s) as u32;
    ((h ^ (h >> 16)) as usize) & (cap - 1)
}

/// Iteration order of a default `java.util.HashMap` filled with `keys` in order.
fn java_map_order(keys: &[String]) -> Vec<String> {
    let mut cap = 16usize;
    while keys.len() * 4 > cap * 3 {
        cap *= 2;
    }
    let mut v: Vec<(usize, usize, String)> =
        keys.iter().enumerate().map(|(i, k)| (java_bucket(k, cap), i, k.clone())).collect();
    v.sort();
    v.into_iter().map(|(_, _, k)| k).collect()
}

/// Iteration order of `new HashSet<>(first)` followed by `addAll(second)` (first, second already in
/// their own HashMap iteration orders), as in Confluent's `compareTypeElements`.
fn java_union_order(first: &[String], second: &[String]) -> Vec<String> {
    let n1 = first.len();
    let mut cap = ((n1 as f64 / 0.75) as usize + 1).max(16).next_power_of_two();
    let mut seen: HashSet<&str> = HashSet::new();
    let mut all: Vec<String> = Vec::new();
    for k in first.iter().chain(second.iter()) {
        if seen.insert(k.as_str()) {
            all.push(k.clone());
            if all.len() * 4 > cap * 3 {
                cap *= 2;
            }
        }
    }
    let mut v: Vec<(usize, usize, String)> =
        all.into_iter().enumerate().map(|(i, k)| (java_bucket(&k, cap), i, k)).collect();
    v.sort();
    v.into_iter().map(|(_, _, k)| k).collect()
}

fn compare_type_elements(ctx: &mut DiffCtx<'_, '_>, original: &[TypeEl], update: &[TypeEl]) {
    type Collected<'m> =
        (HashMap<&'m str, (&'m MessageEl, usize)>, Vec<String>, HashMap<&'m str, &'m EnumEl>, Vec<String>);
    fn collect(types: &[TypeEl]) -> Collected<'_> {
        let mut msgs = HashMap::new();
        let mut msg_keys = Vec::new();
        let mut enums = HashMap::new();
        let mut enum_keys = Vec::new();
        let mut index = 0;
        for t in types {
            match t {
                TypeEl::Message(m) => {
                    if msgs.insert(m.name.as_str(), (m, index)).is_none() {
                        msg_keys.push(m.name.clone());
                    }
                    index += 1;
                }
                TypeEl::Enum(e) => {
                    if enums.insert(e.name.as_str(), e).is_none() {
                        enum_keys.push(e.name.clone());
                    }
                }
            }
        }
        (msgs, java_map_order(&msg_keys), enums, java_map_order(&enum_keys))
    }
    let (o_msgs, o_keys, o_enums, o_enum_keys) = collect(original);
    let (u_msgs, u_keys, u_enums, u_enum_keys) = collect(update);
    for name in java_union_order(&o_keys, &u_keys) {
        ctx.path.push(name.clone());
        ctx.names.push(name.clone());
        match (o_msgs.get(name.as_str()), u_msgs.get(name.as_str())) {
            (Some(_), None) => {
                if ctx.get_type(&name, true).is_some_and(|t| t.map.is_none()) {
                    ctx.add(DiffKind::MessageRemoved);
                }
            }
            (None, Some(_)) => {
                if ctx.get_type(&name, false).is_some_and(|t| t.map.is_none()) {
                    ctx.add(DiffKind::MessageAdded);
                }
            }
            (Some((om, oi)), Some((um, ui))) => {
                compare_messages(ctx, om, um);
                if oi != ui {
                    ctx.add(DiffKind::MessageMoved);
                }
            }
            (None, None) => {}
        }
        ctx.names.pop();
        ctx.path.pop();
    }
    for name in java_union_order(&o_enum_keys, &u_enum_keys) {
        ctx.path.push(name.clone());
        ctx.names.push(name.clone());
        match (o_enums.get(name.as_str()), u_enums.get(name.as_str())) {
            (Some(_), None) => ctx.add(DiffKind::EnumRemoved),
            (None, Some(_)) => ctx.add(DiffKind::EnumAdded),
            (Some(oe), Some(ue)) => compare_enums(ctx, oe, ue),
            (None, None) => {}
        }
        ctx.names.pop();
        ctx.path.pop();
    }
}

fn compare_enums(ctx: &mut DiffCtx<'_, '_>, original: &EnumEl, update: &EnumEl) {
    let o: HashMap<i32, &str> = original.constants.iter().map(|c| (c.tag, c.name.as_str())).collect();
    let u: HashMap<i32, &str> = update.constants.iter().map(|c| (c.tag, c.name.as_str())).collect();
    let tags: BTreeSet<i32> = o.keys().chain(u.keys()).copied().collect();
    for tag in tags {
        let t = tag.to_string();
        match (o.get(&tag), u.get(&tag)) {
            (Some(_), None) => ctx.add_at(&[&t], DiffKind::EnumConstRemoved),
            (None, Some(_)) => ctx.add_at(&[&t], DiffKind::EnumConstAdded),
            (Some(a), Some(b)) if a != b => ctx.add_at(&[&t], DiffKind::EnumConstChanged),
            _ => {}
        }
    }
}

type FieldIndex<'m> = (HashMap<i32, &'m FieldEl>, HashMap<i32, &'m str>, HashMap<&'m str, &'m OneofEl>);

fn collect_fields(m: &MessageEl) -> FieldIndex<'_> {
    let mut by_tag = HashMap::new();
    let mut tag_to_oneof = HashMap::new();
    let mut oneofs = HashMap::new();
    for f in &m.fields {
        by_tag.insert(f.tag, f);
    }
    for o in &m.oneofs {
        oneofs.insert(o.name.as_str(), o);
        for f in &o.fields {
            by_tag.insert(f.tag, f);
            tag_to_oneof.insert(f.tag, o.name.as_str());
        }
    }
    (by_tag, tag_to_oneof, oneofs)
}

fn compare_messages(ctx: &mut DiffCtx<'_, '_>, original: &MessageEl, update: &MessageEl) {
    ctx.budget.set(ctx.budget.get().saturating_sub(1));
    let key = original as *const MessageEl;
    if !ctx.schemas.contains(&key) {
        ctx.schemas.push(key);
        compare_message_fields(ctx, original, update);
        ctx.schemas.retain(|k| *k != key);
    }
    compare_type_elements(ctx, &original.nested, &update.nested);
}

fn compare_message_fields(ctx: &mut DiffCtx<'_, '_>, original: &MessageEl, update: &MessageEl) {
    let (o_by_tag, o_tag_oneof, o_oneofs) = collect_fields(original);
    let (u_by_tag, u_tag_oneof, u_oneofs) = collect_fields(update);

    let mut deleted_oneofs: HashSet<&str> = HashSet::new();
    for (name, oneof) in &o_oneofs {
        if !u_oneofs.contains_key(name) && !oneof.fields.iter().any(|f| u_by_tag.contains_key(&f.tag)) {
            deleted_oneofs.insert(name);
        }
    }

    for oneof in &update.oneofs {
        let mut groups: HashSet<String> = HashSet::new();
        let mut moved_in = 0;
        for f in &oneof.fields {
            if let Some(o) = o_tag_oneof.get(&f.tag) {
                groups.insert(format!("oneof:{o}"));
            } else if o_by_tag.contains_key(&f.tag) {
                groups.insert(format!("field:{}", f.tag));
                moved_in += 1;
            }
        }
        if groups.len() > 1 {
            let kind =
                if moved_in > 1 { DiffKind::MultipleFieldsMovedToOneof } else { DiffKind::FieldMovedToExistingOneof };
            ctx.add_at(&[&oneof.name], kind);
        }
    }

    let all_oneofs: BTreeSet<&str> = o_oneofs.keys().chain(u_oneofs.keys()).copied().collect();
    for name in all_oneofs {
        if !u_oneofs.contains_key(name) {
            ctx.add_at(&[name], DiffKind::OneofRemoved);
        } else if !o_oneofs.contains_key(name) {
            ctx.add_at(&[name], DiffKind::OneofAdded);
        }
    }

    let all_tags: BTreeSet<i32> = o_by_tag.keys().chain(u_by_tag.keys()).copied().collect();
    for tag in all_tags {
        let t = tag.to_string();
        let of = o_by_tag.get(&tag);
        let uf = u_by_tag.get(&tag);
        let o_oneof = o_tag_oneof.get(&tag).copied();
        let u_oneof = u_tag_oneof.get(&tag).copied();
        match (of, uf) {
            (Some(of), None) => match o_oneof {
                Some(oo) => {
                    if !deleted_oneofs.contains(oo) {
                        ctx.add_at(&[oo, &t], DiffKind::OneofFieldRemoved);
                    }
                }
                None => {
                    let kind = if of.label == Some(Label::Required) {
                        DiffKind::RequiredFieldRemoved
                    } else {
                        DiffKind::FieldRemoved
                    };
                    ctx.add_at(&[&t], kind);
                }
            },
            (None, Some(uf)) => match u_oneof {
                Some(uo) => ctx.add_at(&[uo, &t], DiffKind::OneofFieldAdded),
                None => {
                    let kind = if uf.label == Some(Label::Required) {
                        DiffKind::RequiredFieldAdded
                    } else {
                        DiffKind::FieldAdded
                    };
                    ctx.add_at(&[&t], kind);
                }
            },
            (Some(of), Some(uf)) => {
                if o_oneof.is_some() && u_oneof.is_none() {
                    ctx.add_at(&[&t], DiffKind::OneofFieldMovedToTopLevel);
                }
                let n = ctx.path.len();
                if let Some(uo) = u_oneof {
                    ctx.path.push(uo.to_string());
                }
                ctx.path.push(t.clone());
                compare_fields(ctx, of, uf);
                ctx.path.truncate(n);
            }
            (None, None) => {}
        }
    }
}

fn compare_fields(ctx: &mut DiffCtx<'_, '_>, original: &FieldEl, update: &FieldEl) {
    if original.name != update.name {
        ctx.add(DiffKind::FieldNameChanged);
    }
    compare_labels_and_types(ctx, original.label, update.label, &original.ty, &update.ty);
}

#[derive(PartialEq, Eq, Clone, Copy)]
enum Kind {
    Scalar,
    Map,
    Message,
}

#[derive(PartialEq, Eq, Clone, Copy, Debug)]
enum ScalarKind {
    GeneralNumber,
    SignedNumber,
    StringOrBytes,
    Fixed32,
    Fixed64,
    Float,
    Double,
    Unknown,
}

fn kind_of(ctx: &DiffCtx<'_, '_>, ty: &str, original: bool) -> Kind {
    if is_scalar(ty) {
        Kind::Scalar
    } else if map_parts(ty).is_some() {
        Kind::Map
    } else if ctx.get_type(ty, original).is_some_and(|t| matches!(t.el, TypeRef::Enum)) {
        Kind::Scalar
    } else {
        Kind::Message
    }
}

fn scalar_kind(ctx: &DiffCtx<'_, '_>, ty: &str, original: bool) -> ScalarKind {
    if ctx.get_type(ty, original).is_some_and(|t| matches!(t.el, TypeRef::Enum)) {
        return ScalarKind::GeneralNumber;
    }
    match ty {
        "int32" | "int64" | "uint32" | "uint64" | "bool" => ScalarKind::GeneralNumber,
        "sint32" | "sint64" => ScalarKind::SignedNumber,
        "string" | "bytes" => ScalarKind::StringOrBytes,
        "fixed32" | "sfixed32" => ScalarKind::Fixed32,
        "fixed64" | "sfixed64" => ScalarKind::Fixed64,
        "float" => ScalarKind::Float,
        "double" => ScalarKind::Double,
        _ => ScalarKind::Unknown,
    }
}

fn compare_labels_and_types(ctx: &mut DiffCtx<'_, '_>, ol: Option<Label>, ul: Option<Label>, ot: &str, ut: &str) {
    let mut ot = ot.to_string();
    let mut ut = ut.to_string();
    if let Some((k, v)) = ctx.get_type(&ot, true).and_then(|t| t.map.clone()) {
        ot = format!("map<{k}, {v}>");
    }
    if let Some((k, v)) = ctx.get_type(&ut, false).and_then(|t| t.map.clone()) {
        ut = format!("map<{k}, {v}>");
    }
    let ok = kind_of(ctx, &ot, true);
    let uk = kind_of(ctx, &ut, false);
    if ok != uk {
        ctx.add(DiffKind::FieldKindChanged);
        return;
    }
    match ok {
        Kind::Scalar => {
            let osk = scalar_kind(ctx, &ot, true);
            let usk = scalar_kind(ctx, &ut, false);
            if osk != usk {
                ctx.add(DiffKind::FieldScalarKindChanged);
            } else if let (Some(a), Some(b)) = (ol, ul) {
                if a != b {
                    match osk {
                        ScalarKind::StringOrBytes => ctx.add(DiffKind::FieldStringOrBytesLabelChanged),
                        ScalarKind::Unknown => {}
                        _ => ctx.add(DiffKind::FieldNumericLabelChanged),
                    }
                }
            }
        }
        Kind::Message => compare_message_types(ctx, &ot, &ut),
        Kind::Map => {
            if let (Some((ok, ov)), Some((uk, uv))) = (map_parts(&ot), map_parts(&ut)) {
                compare_labels_and_types(ctx, None, None, &ok, &uk);
                compare_labels_and_types(ctx, None, None, &ov, &uv);
            }
        }
    }
}

fn local_name(full: &str, package: &str) -> String {
    match full.strip_prefix(package).and_then(|s| s.strip_prefix('.')) {
        Some(local) => local.to_string(),
        None => full.to_string(),
    }
}

fn compare_message_types(ctx: &mut DiffCtx<'_, '_>, original: &str, update: &str) {
    let (Some(of), Some(uf)) = (ctx.resolve(original, true), ctx.resolve(update, false)) else {
        if original != update {
            ctx.add(DiffKind::FieldNamedTypeChanged);
        }
        return;
    };
    let (Some(oi), Some(ui)) = (ctx.orig.types.get(&of), ctx.upd.types.get(&uf)) else {
        return;
    };
    let ol = local_name(&of, &oi.package);
    let ul = local_name(&uf, &ui.package);
    if ol != ul {
        ctx.add(DiffKind::FieldNamedTypeChanged);
        return;
    }
    // Types of the same file version are compared where they are declared, not through fields.
    if oi.origin == ui.origin {
        return;
    }
    let (TypeRef::Msg(om), TypeRef::Msg(um)) = (oi.el, ui.el) else {
        return;
    };
    if ctx.depth >= MAX_DIFF_DEPTH || ctx.budget.get() == 0 {
        return;
    }
    let mut sub = ctx.sub();
    sub.orig_pkg = oi.package.clone();
    sub.upd_pkg = ui.package.clone();
    let parts: Vec<String> = ol.split('.').map(str::to_string).collect();
    sub.path = parts.clone();
    sub.names = parts;
    compare_messages(&mut sub, om, um);
    let incompatible = sub.diffs.iter().any(|d| !d.kind.is_compatible());
    ctx.diffs.append(&mut sub.diffs);
    if incompatible {
        ctx.add(DiffKind::FieldNamedTypeChanged);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> ProtobufSchema {
        ProtobufSchema::parse(text, &[], false).unwrap_or_else(|e| panic!("{e}\n{text}"))
    }

    fn types(reader: &str, writer: &str) -> Vec<String> {
        check_compatibility(&p(reader), &p(writer), true).into_iter().map(|i| i.error_type).collect()
    }

    fn all_diffs(writer: &str, reader: &str) -> Vec<String> {
        schema_diff(&p(writer), &p(reader)).into_iter().map(|d| format!("{} {}", d.kind.as_str(), d.path)).collect()
    }

    const P3: &str = "syntax = \"proto3\";\n";

    fn msg(body: &str) -> String {
        format!("{P3}package t;\nmessage M {{\n{body}\n}}\n")
    }

    // --- canonical text ---

    #[test]
    fn canonical_regroups_declarations_and_drops_comments() {
        let text = "// header\nimport \"google/protobuf/timestamp.proto\";\nsyntax = \"proto3\";";
        assert!(ProtobufSchema::parse(text, &[], false).is_err(), "syntax must come first");
        let text = "syntax = \"proto3\";\n// c\nimport \"google/protobuf/timestamp.proto\";\npackage a.b;\n\
                    option java_package = \"x\";\nenum E { A = 0; }\nmessage M { /* c */ google.protobuf.Timestamp ts = 1; \
                    map<string,int32> m = 2; message N {} oneof o { string s = 3; } reserved 7, 9 to max; reserved \"x\"; \
                    option deprecated = true; }\nservice S { rpc Get (M) returns (stream M); }";
        let want = "syntax = \"proto3\";\npackage a.b;\n\nimport \"google/protobuf/timestamp.proto\";\n\n\
                    option java_package = \"x\";\n\nmessage M {\n  reserved 7, 9 to max;\n  reserved \"x\";\n\n  \
                    option deprecated = true;\n\n  google.protobuf.Timestamp ts = 1;\n  map<string, int32> m = 2;\n\n  \
                    oneof o {\n    string s = 3;\n  }\n\n  message N {}\n}\nenum E {\n  A = 0;\n}\n\n\
                    service S {\n  rpc Get (M) returns (stream M);\n}\n";
        assert_eq!(p(text).canonical(), want);
    }

    #[test]
    fn canonical_field_options_json_name_default_and_proto2_labels() {
        let text = "syntax = \"proto2\";\nmessage M {\n  optional string s = 1 [default = \"a\\\"b\", json_name = \"S\"];\n  \
                    repeated int32 r = 2 [packed = true, deprecated = true];\n  required bool b = 3 [default = true];\n  \
                    extensions 100 to 199;\n}\n";
        let want = "syntax = \"proto2\";\n\nmessage M {\n  optional string s = 1 [\n    default = \"a\\\"b\",\n    \
                    json_name = \"S\"\n  ];\n  repeated int32 r = 2 [\n    packed = true,\n    deprecated = true\n  ];\n  \
                    required bool b = 3 [default = true];\n\n  extensions 100 to 199;\n}\n";
        assert_eq!(p(text).canonical(), want);
        // printing is a fixed point
        assert_eq!(p(want).canonical(), want);
    }

    #[test]
    fn canonical_custom_option_aggregate_and_enum_layout() {
        let text =
            "syntax = \"proto3\";\nimport \"confluent/meta.proto\";\nmessage M {\n  option (confluent.message_meta) = \
                    { doc: \"hi\" tags: [\"a\", \"b\"] };\n  int32 a = 1 [(confluent.field_meta).doc = \"x\"];\n}\n\
                    enum E { option allow_alias = true; Z = 0; Y = 0 [deprecated = true]; reserved 5; }\n";
        let want = "syntax = \"proto3\";\n\nimport \"confluent/meta.proto\";\n\nmessage M {\n  \
                    option (confluent.message_meta) = {\n    doc: \"hi\",\n    tags: [\n      \"a\",\n      \"b\"\n    ]\n  };\n\n  \
                    int32 a = 1 [(confluent.field_meta).doc = \"x\"];\n}\nenum E {\n  reserved 5;\n  option allow_alias = true;\n  \
                    Z = 0;\n  Y = 0 [deprecated = true];\n}\n";
        assert_eq!(p(text).canonical(), want);
    }

    #[test]
    fn canonical_nested_blank_lines_are_indented() {
        let text = "syntax = \"proto3\";\nmessage A { message B { reserved 2; int32 a = 1; } }";
        let want =
            "syntax = \"proto3\";\n\nmessage A {\n  message B {\n    reserved 2;\n  \n    int32 a = 1;\n  }\n}\n";
        assert_eq!(p(text).canonical(), want);
    }

    #[test]
    fn normalized_sorts_and_qualifies() {
        let text = "syntax = \"proto3\";\npackage t;\nimport \"google/protobuf/timestamp.proto\";\n\
                    import \"confluent/meta.proto\";\noption java_package = \"x\";\noption go_package = \"y\";\n\
                    message M {\n  int32 b = 2;\n  google.protobuf.Timestamp a = 1;\n  map<string, N> m = 3;\n  \
                    message N { string x = 1 [(confluent.field_meta).tags = \"a\", (confluent.field_meta).tags = \"b\"]; }\n}\n\
                    enum E { B = 0; A = 1; reserved 8, 3 to 4; }\n";
        let n = ProtobufSchema::parse(text, &[], true).unwrap();
        let want = "syntax = \"proto3\";\npackage t;\n\nimport \"confluent/meta.proto\";\n\
                    import \"google/protobuf/timestamp.proto\";\n\noption go_package = \"y\";\noption java_package = \"x\";\n\n\
                    message M {\n  .google.protobuf.Timestamp a = 1;\n  int32 b = 2;\n  map<string, .t.M.N> m = 3;\n\n  \
                    message N {\n    string x = 1 [(confluent.field_meta) = {\n      tags: [\n        \"a\",\n        \"b\"\n      \
                    ]\n    }];\n  }\n}\nenum E {\n  reserved 3 to 4;\n  reserved 8;\n  B = 0;\n  A = 1;\n}\n";
        assert_eq!(n.canonical(), want);
        assert_eq!(ProtobufSchema::parse(want, &[], true).unwrap().canonical(), want);
    }

    #[test]
    fn normalized_numbers_and_proto2_syntax_dropped() {
        let text = "syntax = \"proto2\";\nmessage M { optional double d = 1 [default = 1.50]; optional int32 i = 2 [default = 0x10]; }";
        let n = ProtobufSchema::parse(text, &[], true).unwrap();
        assert_eq!(
            n.canonical(),
            "\nmessage M {\n  optional double d = 1 [default = 1.5];\n  optional int32 i = 2 [default = 16];\n}\n"
        );
        assert_eq!(normalize_number("1.23456").as_deref(), Some("1.235"));
        assert_eq!(normalize_number("-2.0").as_deref(), Some("-2"));
        assert_eq!(normalize_number("inf"), None);
    }

    // --- references, built-ins, names, indexes ---

    #[test]
    fn references_and_builtin_imports() {
        let dep = "syntax = \"proto3\";\npackage d;\nmessage Dep { string x = 1; }\n";
        let text = "syntax = \"proto3\";\npackage t;\nimport \"dep.proto\";\nimport \"google/type/money.proto\";\n\
                    import \"confluent/type/decimal.proto\";\nimport \"google/protobuf/struct.proto\";\n\
                    message M { d.Dep dep = 1; google.type.Money m = 2; confluent.type.Decimal dec = 3; \
                    google.protobuf.Struct s = 4; google.type.DayOfWeek bad = 5; }\n";
        let err = ProtobufSchema::parse(text, &[("dep.proto", dep)], false).unwrap_err();
        assert!(err.0.contains("DayOfWeek"), "{err}");
        let text = text.replace(
            "import \"google/type/money.proto\";",
            "import \"google/type/money.proto\";\nimport \"google/type/dayofweek.proto\";",
        );
        let s = ProtobufSchema::parse(&text, &[("dep.proto", dep)], false).unwrap();
        assert_eq!(s.name(), Some("t.M"));
        let missing = ProtobufSchema::parse(&text, &[], false).unwrap_err();
        assert!(missing.0.contains("dep.proto"), "{missing}");
        for name in [
            "google/type/calendar_period.proto",
            "google/type/color.proto",
            "google/type/date.proto",
            "google/type/datetime.proto",
            "google/type/decimal.proto",
            "google/type/expr.proto",
            "google/type/fraction.proto",
            "google/type/interval.proto",
            "google/type/latlng.proto",
            "google/type/month.proto",
            "google/type/phone_number.proto",
            "google/type/postal_address.proto",
            "google/type/quaternion.proto",
            "google/type/timeofday.proto",
            "confluent/type/variant.proto",
            "google/protobuf/descriptor.proto",
            "google/protobuf/any.proto",
        ] {
            let t = format!("syntax = \"proto3\";\nimport \"{name}\";\nmessage M {{ int32 a = 1; }}\n");
            ProtobufSchema::parse(&t, &[], false).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }

    #[test]
    fn name_and_message_indexes() {
        let s =
            p("syntax = \"proto3\";\npackage t;\nenum E { E0 = 0; }\nmessage A { message B {} map<string, B> m = 1; \
                   message C { message D {} } }\nmessage Z {}\n");
        assert_eq!(s.name(), Some("t.A"));
        assert_eq!(s.message_indexes("t.A"), Some(vec![0]));
        assert_eq!(s.message_indexes(".t.Z"), Some(vec![1]));
        assert_eq!(s.message_indexes("t.A.B"), Some(vec![0, 0]));
        // the map entry of `m` sits between B and C in the descriptor's nested list
        assert_eq!(s.message_indexes("t.A.MEntry"), Some(vec![0, 1]));
        assert_eq!(s.message_indexes("t.A.C"), Some(vec![0, 2]));
        assert_eq!(s.message_indexes("t.A.C.D"), Some(vec![0, 2, 0]));
        assert_eq!(s.message_indexes("t.E"), None);
        assert_eq!(s.message_indexes("google.protobuf.Timestamp"), None);
        assert_eq!(p("syntax = \"proto3\";\nenum E { A = 0; }\n").name(), Some("E"));
    }

    #[test]
    fn hostile_input_is_an_error() {
        let deep = format!("syntax = \"proto3\";\n{}{}", "message A {".repeat(10_000), "}".repeat(10_000));
        assert!(ProtobufSchema::parse(&deep, &[], false).is_err());
        let deep_opt = format!("syntax = \"proto3\";\noption (x) = {}{};", "{a:".repeat(10_000), "}".repeat(10_000));
        assert!(ProtobufSchema::parse(&deep_opt, &[], false).is_err());
        for bad in [
            "syntax = \"proto4\";",
            "message",
            "message M {",
            "message M { int32 a = 1 }",
            "syntax = \"proto3\"; message M { int32 a = 1; int32 b = 1; }",
            "/* open",
            "\"",
            "message M { string s = 1 [default = \"\\x",
            "syntax = \"proto3\"; message M { Unknown u = 1; }",
            "edition = \"2023\";",
            "\u{0}\u{ffff}",
            "option a = -;",
            "syntax = \"proto3\"; message M { int32 a = 99999999999; }",
            "syntax = \"proto3\"; message M { reserved 1 to; }",
        ] {
            assert!(ProtobufSchema::parse(bad, &[], false).is_err(), "{bad:?} parsed");
        }
        assert!(ProtobufSchema::parse("syntax = \"proto3\";", &[], false).unwrap().name().is_none());
    }

    // --- compatibility: one test per Confluent difference type ---

    #[test]
    fn display_format() {
        let inc = check_compatibility(&p(&msg("string a = 1;")), &p(&msg("int32 a = 1;")), true);
        assert_eq!(
            inc[0].to_string(),
            "{errorType:\"FIELD_SCALAR_KIND_CHANGED\", description:\"The kind of a SCALAR field at path '#/M/1' in the \
             new schema does not match its kind in the old schema\"}"
        );
        let inc = check_compatibility(&p(&msg("int32 a = 1;")), &p(&msg("string a = 1;")), false);
        assert!(inc[0].description.contains("in the old schema does not match its kind in the new schema"));
    }

    #[test]
    fn package_changed() {
        let a = format!("{P3}package a;\nmessage M {{ int32 x = 1; }}");
        let b = format!("{P3}package b;\nmessage M {{ int32 x = 1; }}");
        assert_eq!(types(&b, &a), ["PACKAGE_CHANGED"]);
        assert_eq!(
            check_compatibility(&p(&b), &p(&a), true)[0].description,
            "The package at '#/' in the new schema does not match the package in the old schema"
        );
    }

    #[test]
    fn message_added_and_removed() {
        let one = msg("int32 a = 1;");
        let two = format!("{one}message N {{}}\n");
        assert!(types(&two, &one).is_empty());
        assert_eq!(all_diffs(&one, &two), ["MESSAGE_ADDED #/N"]);
        assert_eq!(types(&one, &two), ["MESSAGE_REMOVED"]);
    }

    #[test]
    fn message_moved() {
        let a = format!("{P3}message A {{}}\nmessage B {{}}\n");
        let b = format!("{P3}message B {{}}\nmessage A {{}}\n");
        assert!(types(&b, &a).is_empty());
        assert_eq!(all_diffs(&a, &b), ["MESSAGE_MOVED #/A", "MESSAGE_MOVED #/B"]);
    }

    #[test]
    fn field_added_and_removed() {
        assert!(types(&msg("int32 a = 1; int32 b = 2;"), &msg("int32 a = 1;")).is_empty());
        assert!(types(&msg("int32 a = 1;"), &msg("int32 a = 1; int32 b = 2;")).is_empty());
        assert_eq!(all_diffs(&msg("int32 a = 1;"), &msg("int32 a = 1; int32 b = 2;")), ["FIELD_ADDED #/M/2"]);
        assert_eq!(all_diffs(&msg("int32 a = 1; int32 b = 2;"), &msg("int32 a = 1;")), ["FIELD_REMOVED #/M/2"]);
    }

    #[test]
    fn field_name_changed() {
        assert!(types(&msg("int32 b = 1;"), &msg("int32 a = 1;")).is_empty());
        assert_eq!(all_diffs(&msg("int32 a = 1;"), &msg("int32 b = 1;")), ["FIELD_NAME_CHANGED #/M/1"]);
    }

    #[test]
    fn field_kind_changed() {
        assert_eq!(types(&msg("N a = 1; message N {}"), &msg("int32 a = 1; message N {}")), ["FIELD_KIND_CHANGED"]);
        assert_eq!(types(&msg("map<string, int32> a = 1;"), &msg("int32 a = 1;")), ["FIELD_KIND_CHANGED"]);
        // an enum counts as a scalar of the general-number group
        assert!(types(&msg("E a = 1; enum E { Z = 0; }"), &msg("int32 a = 1; enum E { Z = 0; }")).is_empty());
    }

    #[test]
    fn field_scalar_kind_changed() {
        for (a, b, ok) in [
            ("int32", "int64", true),
            ("uint32", "bool", true),
            ("uint64", "int32", true),
            ("sint32", "sint64", true),
            ("fixed32", "sfixed32", true),
            ("fixed64", "sfixed64", true),
            ("string", "bytes", true),
            ("int32", "sint32", false),
            ("int32", "fixed32", false),
            ("float", "double", false),
            ("string", "int32", false),
            ("fixed32", "fixed64", false),
        ] {
            let t = types(&msg(&format!("{b} a = 1;")), &msg(&format!("{a} a = 1;")));
            assert_eq!(t.is_empty(), ok, "{a} -> {b}: {t:?}");
            if !ok {
                assert_eq!(t, ["FIELD_SCALAR_KIND_CHANGED"]);
            }
        }
        // map values are compared like fields
        assert_eq!(
            types(&msg("map<string, string> m = 1;"), &msg("map<string, int32> m = 1;")),
            ["FIELD_SCALAR_KIND_CHANGED"]
        );
    }

    #[test]
    fn field_named_type_changed() {
        let a = msg("N1 a = 1; message N1 {} message N2 {}");
        let b = msg("N2 a = 1; message N1 {} message N2 {}");
        assert_eq!(types(&b, &a), ["FIELD_NAMED_TYPE_CHANGED"]);
        // same name through a changed reference: the nested difference and the field are both reported
        let dep1 = "syntax = \"proto3\";\npackage d;\nmessage D { int32 x = 1; }\n";
        let dep2 = "syntax = \"proto3\";\npackage d;\nmessage D { string x = 1; }\n";
        let text = "syntax = \"proto3\";\nimport \"d.proto\";\nmessage M { d.D d = 1; }\n";
        let w = ProtobufSchema::parse(text, &[("d.proto", dep1)], false).unwrap();
        let r = ProtobufSchema::parse(text, &[("d.proto", dep2)], false).unwrap();
        let inc: Vec<String> =
            check_compatibility(&r, &w, true).iter().map(|i| format!("{} {}", i.error_type, i.description)).collect();
        assert_eq!(inc.len(), 2, "{inc:?}");
        assert!(inc[0].starts_with("FIELD_SCALAR_KIND_CHANGED") && inc[0].contains("'#/D/1'"));
        assert!(inc[1].starts_with("FIELD_NAMED_TYPE_CHANGED") && inc[1].contains("'#/M/1'"));
        assert!(check_compatibility(&w, &w, true).is_empty());
    }

    #[test]
    fn field_numeric_label_changed() {
        let a = "syntax = \"proto2\";\nmessage M { optional int32 a = 1; }";
        let b = "syntax = \"proto2\";\nmessage M { repeated int32 a = 1; }";
        assert_eq!(types(b, a), ["FIELD_NUMERIC_LABEL_CHANGED"]);
        // proto3 implicit presence has no label: nothing to compare
        assert!(types(&msg("repeated int32 a = 1;"), &msg("int32 a = 1;")).is_empty());
    }

    #[test]
    fn field_string_or_bytes_label_changed_is_compatible() {
        let a = "syntax = \"proto2\";\nmessage M { optional string a = 1; }";
        let b = "syntax = \"proto2\";\nmessage M { repeated string a = 1; }";
        assert!(types(b, a).is_empty());
        assert_eq!(all_diffs(a, b), ["FIELD_STRING_OR_BYTES_LABEL_CHANGED #/M/1"]);
    }

    #[test]
    fn required_field_added_and_removed() {
        let a = "syntax = \"proto2\";\nmessage M { optional int32 a = 1; }";
        let b = "syntax = \"proto2\";\nmessage M { optional int32 a = 1; required int32 b = 2; }";
        assert_eq!(types(b, a), ["REQUIRED_FIELD_ADDED"]);
        assert_eq!(types(a, b), ["REQUIRED_FIELD_REMOVED"]);
    }

    #[test]
    fn oneof_added_and_removed() {
        let a = msg("int32 x = 1;");
        let b = msg("int32 x = 1; oneof o { int32 y = 2; string z = 3; }");
        assert!(types(&b, &a).is_empty());
        assert_eq!(all_diffs(&a, &b), ["ONEOF_ADDED #/M/o", "ONEOF_FIELD_ADDED #/M/o/2", "ONEOF_FIELD_ADDED #/M/o/3"]);
        // deleting a whole oneof is compatible
        assert!(types(&a, &b).is_empty());
        assert_eq!(all_diffs(&b, &a), ["ONEOF_REMOVED #/M/o"]);
    }

    #[test]
    fn oneof_field_added_and_removed() {
        let a = msg("oneof o { int32 y = 2; string z = 3; }");
        let b = msg("oneof o { int32 y = 2; }");
        assert!(types(&a, &b).is_empty());
        assert_eq!(types(&b, &a), ["ONEOF_FIELD_REMOVED"]);
        assert!(check_compatibility(&p(&b), &p(&a), true)[0].description.contains("'#/M/o/3'"));
    }

    #[test]
    fn oneof_field_moved_to_top_level() {
        let a = msg("oneof o { int32 y = 2; string z = 3; }");
        let b = msg("int32 y = 2; oneof o { string z = 3; }");
        assert!(types(&b, &a).is_empty());
        assert_eq!(all_diffs(&a, &b), ["ONEOF_FIELD_MOVED_TO_TOP_LEVEL #/M/2"]);
    }

    #[test]
    fn multiple_fields_moved_to_oneof() {
        let a = msg("int32 y = 2; string z = 3;");
        let b = msg("oneof o { int32 y = 2; string z = 3; }");
        assert_eq!(types(&b, &a), ["MULTIPLE_FIELDS_MOVED_TO_ONEOF"]);
        // a single field moved into a new oneof is fine
        assert!(types(&msg("oneof o { int32 y = 2; } string z = 3;"), &a).is_empty());
    }

    #[test]
    fn field_moved_to_existing_oneof() {
        let a = msg("int32 y = 2; oneof o { string z = 3; }");
        let b = msg("oneof o { int32 y = 2; string z = 3; }");
        assert_eq!(types(&b, &a), ["FIELD_MOVED_TO_EXISTING_ONEOF"]);
    }

    #[test]
    fn enum_changes_are_compatible() {
        let a = msg("E e = 1; enum E { A = 0; B = 1; }");
        let b = msg("E e = 1; enum E { A = 0; C = 1; D = 2; }");
        assert!(types(&b, &a).is_empty());
        assert_eq!(all_diffs(&a, &b), ["ENUM_CONST_CHANGED #/M/E/1", "ENUM_CONST_ADDED #/M/E/2"]);
        assert_eq!(all_diffs(&b, &a), ["ENUM_CONST_CHANGED #/M/E/1", "ENUM_CONST_REMOVED #/M/E/2"]);
        let c = format!("{P3}package t;\nmessage M {{ int32 e = 1; }}\nenum F {{ Z = 0; }}\n");
        let d = format!("{P3}package t;\nmessage M {{ int32 e = 1; }}\n");
        assert_eq!(all_diffs(&d, &c), ["ENUM_ADDED #/F"]);
        assert_eq!(all_diffs(&c, &d), ["ENUM_REMOVED #/F"]);
        assert!(types(&c, &d).is_empty() && types(&d, &c).is_empty());
    }

    #[test]
    fn nested_and_map_entry_messages() {
        let a = msg("message N { int32 x = 1; }");
        let b = msg("message N { string x = 1; }");
        assert_eq!(all_diffs(&a, &b), ["FIELD_SCALAR_KIND_CHANGED #/M/N/1"]);
        // an explicit map-entry message and map<> syntax are the same field kind
        let explicit = "syntax = \"proto2\";\nmessage M { repeated E m = 1; message E { option map_entry = true; \
                        optional string key = 1; optional int32 value = 2; } }";
        let implicit = "syntax = \"proto2\";\nmessage M { map<string, int32> m = 1; }";
        assert!(types(implicit, explicit).is_empty());
        assert!(types(explicit, implicit).is_empty());
    }

    #[test]
    fn schema_is_send_sync() {
        fn check<T: Send + Sync + Clone>() {}
        check::<ProtobufSchema>();
    }

    #[test]
    fn java_hash_order_matches_hashmap() {
        assert_eq!(
            java_hash("TestMessage"),
            "TestMessage".encode_utf16().fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(c as i32))
        );
        // "Aa" and "BB" collide in Java; insertion order breaks the tie
        let order = java_union_order(&["BB".to_string()], &["Aa".to_string(), "C".to_string()]);
        assert_eq!(order, ["BB", "Aa", "C"]);
    }
}
