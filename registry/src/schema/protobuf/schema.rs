//! Public interface: the error type, the parsed schema (parse, canonical text, message indexes)
//! and the compatibility entry point.

use super::*;

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
    pub(super) canonical: String,
    pub(super) name: Option<String>,
    pub(super) file: FileAst,
    pub(super) refs: Vec<RefFile>,
    pub(super) pool: DescriptorPool,
}

#[derive(Debug, Clone)]
pub(super) struct RefFile {
    pub(super) name: String,
    pub(super) text: String,
    pub(super) ast: FileAst,
}

/// Name under which the schema being parsed is compiled (never importable by a user schema).
pub(super) const MAIN_FILE: &str = "lockstep/__registry_schema__.proto";
/// Deepest nesting of messages / option values accepted (guards recursion on hostile input).
pub(super) const MAX_DEPTH: usize = 64;
/// Largest tag value; `to max` in reserved and extension ranges.
pub(super) const MAX_TAG_VALUE: i32 = 536_870_911;

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
        precheck(&file)?;
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

    /// Field names of the first message of the file, oneof and group fields included (Confluent
    /// `ProtobufSchema.hasTopLevelField`: `findFieldByName` on the first message's descriptor).
    pub fn top_level_fields(&self) -> Vec<String> {
        let Some(first) = self.file.types.iter().find_map(|t| match t {
            TypeEl::Message(m) => Some(m.name.as_str()),
            TypeEl::Enum(_) => None,
        }) else {
            return Vec::new();
        };
        let full = match self.file.package.as_deref() {
            Some(p) if !p.is_empty() => format!("{p}.{first}"),
            _ => first.to_string(),
        };
        match self.pool.get_message_by_name(&full) {
            Some(m) => m.fields().map(|f| f.name().to_string()).collect(),
            None => Vec::new(),
        }
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

/// Confluent's Protobuf compatibility: changes from `writer` (the original) to `reader` (the update)
/// that break reading (`SchemaDiff.compare(original=writer, update=reader)` minus its compatible
/// changes). `reader_is_new` picks the new/old words in descriptions.
pub fn check_compatibility(
    reader: &ProtobufSchema,
    writer: &ProtobufSchema,
    reader_is_new: bool,
) -> Vec<Incompatibility> {
    let (reader_word, writer_word) = if reader_is_new { ("new", "old") } else { ("old", "new") };
    crate::budget::ensure(|| schema_diff(writer, reader))
        .into_iter()
        .filter(|d| !d.kind.is_compatible())
        .map(|d| {
            let description = d.kind.template(&d.path).replacen("%s", reader_word, 1).replacen("%s", writer_word, 1);
            Incompatibility::protobuf(d.kind.as_str(), description)
        })
        .collect()
}
