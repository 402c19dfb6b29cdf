//! Limits and the public interface: the error type, the parsed schema and the compatibility
//! entry points.

use super::*;

/// Deepest JSON nesting accepted (Jackson allows 1000; we keep the stack small).
pub(super) const MAX_JSON_DEPTH: usize = 128;
/// Longest number literal accepted (Jackson's `StreamReadConstraints` default).
pub(super) const MAX_NUMBER_LEN: usize = 1000;
/// Deepest nesting of schema pairs on the compatibility-check stack.
pub(super) const MAX_DIFF_DEPTH: usize = 160;
/// Passes of the fixed-point iteration over recursive schemas.
pub(super) const MAX_FIXPOINT_PASSES: usize = 32;
/// Longest chain of `$ref` to `$ref` followed.
pub(super) const MAX_REF_CHAIN: usize = 64;
/// Base URI of a root schema without `$id` (the one Confluent's json-sKema path uses).
pub(super) const DEFAULT_BASE_URI: &str = "mem://input/";

/// Why a JSON Schema was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonSchemaError(pub String);

impl fmt::Display for JsonSchemaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for JsonSchemaError {}

pub(super) fn err<T>(msg: impl Into<String>) -> Result<T, JsonSchemaError> {
    Err(JsonSchemaError(msg.into()))
}

/// A parsed, validated JSON Schema with its references resolved.
#[derive(Debug, Clone)]
pub struct JsonSchema {
    pub(super) inner: Arc<Inner>,
}

#[derive(Debug)]
pub(super) struct Inner {
    pub(super) canonical: String,
    pub(super) name: Option<String>,
    pub(super) nodes: Vec<Node>,
    pub(super) root: NodeId,
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

    /// Names in the root schema's `properties` (Confluent `JsonSchema.hasTopLevelField`); empty
    /// when the root is not an object schema.
    pub fn top_level_fields(&self) -> Vec<&str> {
        match self.inner.nodes.get(self.inner.root).map(|n| &n.kind) {
            Some(Kind::Obj(o)) => o.properties.iter().map(|(k, _)| k.as_str()).collect(),
            _ => Vec::new(),
        }
    }

    /// `title` of the root, if any (Confluent's `JsonSchema.name()`).
    pub fn name(&self) -> Option<&str> {
        self.inner.name.as_deref()
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
            .map(|d| Incompatibility::json(d.ty.name(), describe(d.ty, &d.path, words_first, words_second)))
            .collect(),
        Err(reason) => vec![Incompatibility::json(
            "COMPATIBILITY_CHECK_ABORTED",
            format!("The compatibility check between the {words_first} schema and the {words_second} schema was aborted: {reason}"),
        )],
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
