//! Schema engines behind one facade: parse + canonicalize, references, compatibility.
//! Each format lives in its own module; this module dispatches on [`SchemaType`] and turns a
//! compatibility level into reader/writer checks the way Confluent does.

pub mod avro;
pub mod json;
pub mod protobuf;

/// Runs `f` and fails the test when it takes 15 s or more: generous for a debug build on a
/// shared machine, where the quadratic code the scale tests guard against took minutes.
#[cfg(test)]
pub(crate) fn timed<T>(what: &str, f: impl FnOnce() -> T) -> T {
    let start = std::time::Instant::now();
    let out = f();
    let took = start.elapsed();
    assert!(took < std::time::Duration::from_secs(15), "{what} took {took:?}");
    out
}

/// One reason why a JSON Schema or Protobuf change breaks reading, as Confluent's
/// `Difference.toString()` prints it: `{errorType:"TYPE_CHANGED", description:"..."}`, except
/// that its JSON Schema one closes the description with a single quote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    pub error_type: String,
    pub description: String,
    closing_quote: char,
}

impl Difference {
    pub(crate) fn json(error_type: &str, description: String) -> Self {
        Self { error_type: error_type.to_string(), description, closing_quote: '\'' }
    }

    pub(crate) fn protobuf(error_type: &str, description: String) -> Self {
        Self { error_type: error_type.to_string(), description, closing_quote: '"' }
    }
}

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{{errorType:\"{}\", description:\"{}{}}}", self.error_type, self.description, self.closing_quote)
    }
}

use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::sync::Arc;

/// The schema formats of the Confluent API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SchemaType {
    Avro,
    Protobuf,
    Json,
}

impl SchemaType {
    /// `None` (absent) means AVRO, as in Confluent. Case-insensitive.
    pub fn parse(s: Option<&str>) -> Option<Self> {
        match s {
            None => Some(Self::Avro),
            Some(s) if s.eq_ignore_ascii_case("AVRO") => Some(Self::Avro),
            Some(s) if s.eq_ignore_ascii_case("PROTOBUF") => Some(Self::Protobuf),
            Some(s) if s.eq_ignore_ascii_case("JSON") => Some(Self::Json),
            Some(_) => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Avro => "AVRO",
            Self::Protobuf => "PROTOBUF",
            Self::Json => "JSON",
        }
    }

    /// Types this build can parse and check.
    pub fn supported() -> &'static [SchemaType] {
        &[SchemaType::Json, SchemaType::Protobuf, SchemaType::Avro]
    }
}

/// A reference from one schema to a subject-version, as in the Confluent API.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SchemaReference {
    pub name: String,
    pub subject: String,
    pub version: i32,
}

/// A referenced schema with its own references resolved, for parsing the schema that uses it.
#[derive(Debug, Clone)]
pub struct Dependency {
    pub name: String,
    pub schema_type: SchemaType,
    pub schema: Arc<str>,
    pub dependencies: Vec<Dependency>,
}

impl Dependency {
    /// Schema texts in dependency order: every schema after the schemas it references.
    pub fn flatten(deps: &[Dependency]) -> Vec<Arc<str>> {
        fn walk(d: &Dependency, seen: &mut HashSet<Arc<str>>, out: &mut Vec<Arc<str>>) {
            for inner in &d.dependencies {
                walk(inner, seen, out);
            }
            if seen.insert(d.schema.clone()) {
                out.push(d.schema.clone());
            }
        }
        let (mut seen, mut out) = (HashSet::new(), Vec::new());
        for d in deps {
            walk(d, &mut seen, &mut out);
        }
        out
    }

    /// (reference name, schema text) pairs in dependency order, each name once: how Protobuf
    /// imports and JSON Schema `$ref`s find their targets.
    pub fn flatten_named(deps: &[Dependency]) -> Vec<(String, Arc<str>)> {
        fn walk<'a>(d: &'a Dependency, seen: &mut HashSet<&'a str>, out: &mut Vec<(String, Arc<str>)>) {
            for inner in &d.dependencies {
                walk(inner, seen, out);
            }
            if seen.insert(&d.name) {
                out.push((d.name.clone(), d.schema.clone()));
            }
        }
        let (mut seen, mut out) = (HashSet::new(), Vec::new());
        for d in deps {
            walk(d, &mut seen, &mut out);
        }
        out
    }
}

/// A parsed, validated schema.
#[derive(Debug, Clone)]
pub enum ParsedSchema {
    Avro(avro::AvroSchema),
    Protobuf(protobuf::ProtobufSchema),
    Json(json::JsonSchema),
}

impl ParsedSchema {
    /// Parse and validate `text` of `schema_type` with its resolved references.
    /// The error is the message for a 42201 response. The bytes parsed (the references'
    /// included) and printed are charged to the work budget ([`crate::budget`]).
    pub fn parse(
        schema_type: SchemaType,
        text: &str,
        deps: &[Dependency],
        normalize: bool,
    ) -> Result<ParsedSchema, String> {
        crate::budget::ensure(|| {
            let bytes = text.len() + Dependency::flatten(deps).iter().map(|d| d.len()).sum::<usize>();
            if !crate::budget::charge_each(bytes, 1) {
                return Err("request work limit exceeded".to_string());
            }
            let parsed = Self::parse_within_budget(schema_type, text, deps, normalize)?;
            if !crate::budget::charge_each(parsed.canonical().len(), 1) {
                return Err("request work limit exceeded".to_string());
            }
            Ok(parsed)
        })
    }

    fn parse_within_budget(
        schema_type: SchemaType,
        text: &str,
        deps: &[Dependency],
        normalize: bool,
    ) -> Result<ParsedSchema, String> {
        let invalid = |e: String| {
            format!(
                "Invalid schema {text} with refs {} of type {}, details: {e}",
                refs_list(deps),
                schema_type.as_str()
            )
        };
        match schema_type {
            SchemaType::Avro => {
                let texts = Dependency::flatten(deps);
                let refs: Vec<&str> = texts.iter().map(|s| &**s).collect();
                avro::AvroSchema::parse(text, &refs, normalize).map(ParsedSchema::Avro).map_err(|e| invalid(e.0))
            }
            SchemaType::Protobuf => {
                let named = Dependency::flatten_named(deps);
                let refs: Vec<(&str, &str)> = named.iter().map(|(n, s)| (n.as_str(), &**s)).collect();
                // A base64 FileDescriptorProto (Confluent's Python serializer) is stored as .proto text.
                let proto = protobuf::base64_descriptor_to_proto(text);
                protobuf::ProtobufSchema::parse(proto.as_deref().unwrap_or(text), &refs, normalize)
                    .map(ParsedSchema::Protobuf)
                    .map_err(|e| invalid(e.0))
            }
            SchemaType::Json => {
                let named = Dependency::flatten_named(deps);
                let refs: Vec<(&str, &str)> = named.iter().map(|(n, s)| (n.as_str(), &**s)).collect();
                json::JsonSchema::parse(text, &refs, normalize).map(ParsedSchema::Json).map_err(|e| invalid(e.0))
            }
        }
    }

    pub fn schema_type(&self) -> SchemaType {
        match self {
            ParsedSchema::Avro(_) => SchemaType::Avro,
            ParsedSchema::Protobuf(_) => SchemaType::Protobuf,
            ParsedSchema::Json(_) => SchemaType::Json,
        }
    }

    /// The string the registry stores and returns.
    pub fn canonical(&self) -> &str {
        match self {
            ParsedSchema::Avro(s) => s.canonical(),
            ParsedSchema::Protobuf(s) => s.canonical(),
            ParsedSchema::Json(s) => s.canonical(),
        }
    }

    /// Confluent's `formattedString(format)`: the schema text a `?format=` query asks for, or
    /// None when that is the stored canonical text (no format, `default`, or a format this schema
    /// type does not have: Confluent ignores unknown formats). Avro `resolved` prints referenced
    /// types inline; Protobuf `serialized` is the base64 `FileDescriptorProto`.
    pub fn formatted(&self, format: &str) -> Option<String> {
        match (self, format.trim()) {
            (ParsedSchema::Avro(s), "resolved") => Some(s.resolved()),
            (ParsedSchema::Protobuf(s), "serialized") => Some(s.serialized()),
            _ => None,
        }
    }

    /// Top-level field names (Confluent `ParsedSchema.hasTopLevelField`): Avro record fields,
    /// the first Protobuf message's fields, the root JSON object's `properties`.
    pub fn top_level_fields(&self) -> Vec<String> {
        match self {
            ParsedSchema::Avro(s) => s.top_level_fields().into_iter().map(str::to_string).collect(),
            ParsedSchema::Protobuf(s) => s.top_level_fields(),
            ParsedSchema::Json(s) => s.top_level_fields().into_iter().map(str::to_string).collect(),
        }
    }

    /// Incompatibilities when `self` (reader) reads data written with `writer`.
    /// `reader_is_new` picks Confluent's wording.
    fn read_problems(&self, writer: &ParsedSchema, reader_is_new: bool) -> Vec<String> {
        fn strings<T: std::fmt::Display>(v: Vec<T>) -> Vec<String> {
            v.into_iter().map(|i| i.to_string()).collect()
        }
        match (self, writer) {
            (ParsedSchema::Avro(r), ParsedSchema::Avro(w)) => strings(avro::check_compatibility(r, w, reader_is_new)),
            (ParsedSchema::Protobuf(r), ParsedSchema::Protobuf(w)) => {
                strings(protobuf::check_compatibility(r, w, reader_is_new))
            }
            (ParsedSchema::Json(r), ParsedSchema::Json(w)) => strings(json::check_compatibility(r, w, reader_is_new)),
            _ => vec!["Incompatible because of different schema type".to_string()],
        }
    }
}

/// Metadata property listing reserved field names (comma-separated), as in Confluent.
pub const RESERVED_FIELDS_PROPERTY: &str = "confluent:reserved";

/// Confluent's `getReservedFields`: the comma-separated names of `confluent:reserved`, trimmed,
/// empty ones dropped.
pub fn reserved_fields(property: Option<&str>) -> std::collections::BTreeSet<String> {
    property
        .into_iter()
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|f| !f.is_empty())
        .map(str::to_string)
        .collect()
}

/// Confluent's `validateFields` messages: a reserved field of the previous version's metadata
/// missing from the new metadata, then each reserved field the new schema has at top level.
pub fn reserved_field_problems(
    new: &ParsedSchema,
    new_reserved: &std::collections::BTreeSet<String>,
    previous_reserved: Option<&std::collections::BTreeSet<String>>,
) -> Vec<String> {
    let mut out = Vec::new();
    for f in previous_reserved.into_iter().flatten().filter(|f| !new_reserved.contains(*f)) {
        out.push(format!(
            "The new schema has reserved field {f} removed from its metadata which is present in the old schema's metadata."
        ));
    }
    let fields: std::collections::HashSet<String> = new.top_level_fields().into_iter().collect();
    for f in new_reserved.iter().filter(|f| fields.contains(*f)) {
        out.push(format!("The new schema has field that conflicts with the reserved field {f}."));
    }
    out
}

fn refs_list(deps: &[Dependency]) -> String {
    let names: Vec<&str> = deps.iter().map(|d| d.name.as_str()).collect();
    format!("{names:?}")
}

/// Confluent's compatibility levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompatibilityLevel {
    None,
    Backward,
    BackwardTransitive,
    Forward,
    ForwardTransitive,
    Full,
    FullTransitive,
}

impl CompatibilityLevel {
    /// Case-insensitive, as Confluent.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.to_ascii_uppercase().as_str() {
            "NONE" => Self::None,
            "BACKWARD" => Self::Backward,
            "BACKWARD_TRANSITIVE" => Self::BackwardTransitive,
            "FORWARD" => Self::Forward,
            "FORWARD_TRANSITIVE" => Self::ForwardTransitive,
            "FULL" => Self::Full,
            "FULL_TRANSITIVE" => Self::FullTransitive,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "NONE",
            Self::Backward => "BACKWARD",
            Self::BackwardTransitive => "BACKWARD_TRANSITIVE",
            Self::Forward => "FORWARD",
            Self::ForwardTransitive => "FORWARD_TRANSITIVE",
            Self::Full => "FULL",
            Self::FullTransitive => "FULL_TRANSITIVE",
        }
    }

    pub fn is_transitive(self) -> bool {
        matches!(self, Self::BackwardTransitive | Self::ForwardTransitive | Self::FullTransitive)
    }

    fn backward(self) -> bool {
        matches!(self, Self::Backward | Self::BackwardTransitive | Self::Full | Self::FullTransitive)
    }

    fn forward(self) -> bool {
        matches!(self, Self::Forward | Self::ForwardTransitive | Self::Full | Self::FullTransitive)
    }
}

/// A previous version to check against.
pub struct Previous<'a> {
    pub version: u32,
    pub schema: &'a ParsedSchema,
}

/// Check `new` against `previous` (newest first, non-deleted only) at `level`, as Confluent's
/// `isCompatibleWithPrevious`: non-transitive levels look at the newest version only; transitive
/// levels at all of them, stopping at the first incompatible one. Returns Confluent's message list
/// (empty = compatible): the incompatibilities, then `{oldSchemaVersion: N}`, `{oldSchema: '...'}`
/// and `{validateFields: 'false', compatibility: 'LEVEL'}`.
pub fn check_compatibility(level: CompatibilityLevel, new: &ParsedSchema, previous: &[Previous<'_>]) -> Vec<String> {
    crate::budget::ensure(|| check_within_budget(level, new, previous))
}

fn check_within_budget(level: CompatibilityLevel, new: &ParsedSchema, previous: &[Previous<'_>]) -> Vec<String> {
    if level == CompatibilityLevel::None {
        return Vec::new();
    }
    let candidates = if level.is_transitive() { previous } else { &previous[..previous.len().min(1)] };
    for prev in candidates {
        let mut problems = Vec::new();
        if new.schema_type() != prev.schema.schema_type() {
            problems.push("Incompatible because of different schema type".to_string());
        } else {
            if level.backward() {
                problems.extend(new.read_problems(prev.schema, true));
            }
            if level.forward() {
                problems.extend(prev.schema.read_problems(new, false));
            }
        }
        if !problems.is_empty() {
            let old = prev.schema.canonical();
            let old = truncate_utf8(old, 10 * 1024);
            problems.push(format!("{{oldSchemaVersion: {}}}", prev.version));
            problems.push(format!("{{oldSchema: '{old}'}}"));
            problems.push(format!("{{validateFields: 'false', compatibility: '{}'}}", level.as_str()));
            return problems;
        }
    }
    Vec::new()
}

fn truncate_utf8(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn avro(s: &str) -> ParsedSchema {
        ParsedSchema::parse(SchemaType::Avro, s, &[], false).unwrap()
    }

    #[test]
    fn top_level_fields_and_reserved_field_messages() {
        let a = avro(
            r#"{"type":"record","name":"r","fields":[{"name":"email","type":"string"},{"name":"b","type":"int"}]}"#,
        );
        assert_eq!(a.top_level_fields(), ["email", "b"]);
        assert!(avro(r#"{"type":"enum","name":"e","symbols":["email"]}"#).top_level_fields().is_empty());
        let p = ParsedSchema::parse(
            SchemaType::Protobuf,
            "syntax = \"proto3\";\npackage p;\nenum E { E0 = 0; }\nmessage M { string email = 1; oneof o { int32 x = 2; } }\nmessage N { int32 y = 1; }\n",
            &[],
            false,
        )
        .unwrap();
        assert_eq!(p.top_level_fields(), ["email", "x"]);
        let j =
            ParsedSchema::parse(SchemaType::Json, r#"{"type":"object","properties":{"email":{},"b":{}}}"#, &[], false)
                .unwrap();
        assert_eq!(j.top_level_fields(), ["email", "b"]);
        let reserved = reserved_fields(Some(" email, ,zip"));
        assert_eq!(reserved.iter().collect::<Vec<_>>(), ["email", "zip"]);
        let previous = reserved_fields(Some("phone,zip"));
        assert_eq!(
            reserved_field_problems(&a, &reserved, Some(&previous)),
            [
                "The new schema has reserved field phone removed from its metadata which is present in the old schema's metadata.",
                "The new schema has field that conflicts with the reserved field email.",
            ]
        );
        assert!(reserved_field_problems(&j, &reserved_fields(None), None).is_empty());
    }

    #[test]
    fn levels_parse_case_insensitively() {
        assert_eq!(CompatibilityLevel::parse("full_transitive"), Some(CompatibilityLevel::FullTransitive));
        assert_eq!(CompatibilityLevel::parse("bogus"), None);
    }

    #[test]
    fn non_transitive_checks_latest_only() {
        let v1 = avro(r#"{"type":"record","name":"r","fields":[{"name":"a","type":"int"}]}"#);
        let v2 = avro(
            r#"{"type":"record","name":"r","fields":[{"name":"a","type":"int"},{"name":"b","type":"int","default":0}]}"#,
        );
        // v3 adds a required field relative to v1 only if v2's default is dropped: reading v1 data fails.
        let v3 = avro(r#"{"type":"record","name":"r","fields":[{"name":"b","type":"int"}]}"#);
        let prev = [Previous { version: 2, schema: &v2 }, Previous { version: 1, schema: &v1 }];
        assert!(check_compatibility(CompatibilityLevel::Backward, &v3, &prev).is_empty());
        let msgs = check_compatibility(CompatibilityLevel::BackwardTransitive, &v3, &prev);
        assert!(msgs.iter().any(|m| m.contains("READER_FIELD_MISSING_DEFAULT_VALUE")), "{msgs:?}");
        assert!(msgs.iter().any(|m| m == "{oldSchemaVersion: 1}"), "{msgs:?}");
        assert!(check_compatibility(CompatibilityLevel::None, &v3, &prev).is_empty());
    }
}
